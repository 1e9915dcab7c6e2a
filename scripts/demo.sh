#!/usr/bin/env bash
# The main job on the default model, MobileNetV1 0.75/192 (ImageNet, 1001 classes, 0 =
# background): install, build, convert it with hb_mapper makertbin (6 committed photos as
# calibration data, method default, march bayes-e), show the static performance estimate, check
# the .bin on the simulator against the quantized ONNX bit for bit, and print the float model's
# top-5 on a photo. Everything is written under build/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.configure.log 2>&1 ||
  { cat build.configure.log; exit 1; }
cmake --build build -j"$(nproc)" --target hb_mapper hb_eval_preprocess hb_perf hb_verifier \
  hb_onnx_run hb_model_info
demo=$root/build/demo
rm -rf "$demo" && mkdir -p "$demo"
cd "$demo"

echo "== hb_eval_preprocess: photos -> calibration data (raw uint8 NCHW 3x192x192)"
"$root"/build/converter/prep/hb_eval_preprocess -m mobilenet -i "$root"/tests/data/accuracy/photos \
  -o calibration_data
cat > mobilenet.yaml <<YAML
model_parameters:
  onnx_model: '$root/tests/data/models/onnx/mobilenet_v1_0.75_192.onnx'
  march: 'bayes-e'
  working_dir: 'model_output'
  output_model_file_prefix: 'mobilenet'
input_parameters:
  input_type_train: 'rgb'
  input_layout_train: 'NCHW'
  input_type_rt: 'rgb'
  norm_type: 'data_mean_and_scale'
  mean_value: '128'
  scale_value: '0.0078125'
calibration_parameters:
  cal_data_dir: './calibration_data'
  cal_data_type: 'uint8'
  calibration_type: 'default'
compiler_parameters:
  compile_mode: 'latency'
  optimize_level: 'O3'
YAML

echo "== hb_mapper makertbin -c mobilenet.yaml --model-type onnx"
"$root"/build/converter/hb_mapper makertbin -c mobilenet.yaml --model-type onnx
ls -l model_output

echo "== hb_perf model_output/mobilenet.bin (modelled BPU time, not host time)"
"$root"/build/runtime/tools/hb_perf model_output/mobilenet.bin
echo "== hb_model_info model_output/mobilenet.bin"
"$root"/build/runtime/tools/hb_model_info model_output/mobilenet.bin | head -n 40

echo "== hb_verifier: quantized ONNX (integer reference) vs .bin (simulator), 10 random inputs"
"$root"/build/converter/mapper/hb_verifier -q model_output/mobilenet_quantized_model.onnx \
  -b model_output/mobilenet.bin --random 10 1

echo "== hb_onnx_run: the float model's top-5 on a photo (host wall time per inference)"
"$root"/build/converter/hb_onnx_run "$root"/tests/data/models/onnx/mobilenet_v1_0.75_192.onnx \
  "$root"/tests/data/e2e/mobilenet_v1_0.75_192/input_0.npy --top 5 --repeat 20
