#!/usr/bin/env bash
# Regenerates the Swift of the protobuf schemas vcolor writes: ONNX's
# onnx.proto (as published in the onnx 1.23.2 wheel, onnx/onnx.proto) and the
# trimmed TensorBoard event schema (tools/proto/tensorboard_event.proto).
# The generated files are committed; neither the build nor CI runs protoc.
#
# Needs protoc (Debian: apt-get install protobuf-compiler) and protoc-gen-swift
# of the swift-protobuf version Package.resolved pins, built outside the
# repository, e.g.:
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && git checkout 1.39.0 && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift tools/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}
[ -x "$plugin" ] || { echo "protoc-gen-swift not found: set PROTOC_GEN_SWIFT" >&2; exit 1; }
generate() {   # generate PROTO OUTPUT-DIRECTORY
    protoc --plugin=protoc-gen-swift="$plugin" --proto_path=tools/proto \
        --swift_opt=FileNaming=DropPath --swift_out="$2" "$1"
}
generate tools/proto/onnx.proto Sources/ModelFiles/ONNX
generate tools/proto/tensorboard_event.proto Sources/TensorBoard
