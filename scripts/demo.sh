#!/usr/bin/env bash
# Install, build, and run the default model: MobileNetV1 0.75/192 (ImageNet, 1001 classes, 0 =
# background) on a committed photo, on the float executor; prints the top-5 class indices.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.configure.log 2>&1 || { cat build.configure.log; exit 1; }
cmake --build build -j"$(nproc)" --target hb_onnx_run
model=tests/data/models/onnx/mobilenet_v1_0.75_192.onnx
input=tests/data/e2e/mobilenet_v1_0.75_192/input_0.npy
echo "== hb_onnx_run $model $input --top 5 --repeat 20"
build/converter/hb_onnx_run "$model" "$input" --top 5 --repeat 20
