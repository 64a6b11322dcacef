#!/usr/bin/env bash
# Makes the Python environment the export tests use when they can (ONNX Runtime,
# the ONNX checker, TensorBoard's reader and tbparse), outside the repository:
#   tools/setup-export-venv.sh [DIR]      (default: $VCOLOR_EXPORT_VENV or ~/.cache/vcolor/export-venv)
# Then run the tests with VCOLOR_EXPORT_VENV=DIR; without it they skip the
# Python-side checks with a one-line reason (CI does: it installs no Python).
set -euo pipefail
dir=${1:-${VCOLOR_EXPORT_VENV:-$HOME/.cache/vcolor/export-venv}}
python3 -m venv "$dir"
"$dir/bin/pip" install -q onnxruntime onnx tensorboard tbparse
"$dir/bin/python" -c "import onnxruntime, onnx, tbparse; print('onnxruntime', onnxruntime.__version__, 'onnx', onnx.__version__)"
echo "VCOLOR_EXPORT_VENV=$dir"
