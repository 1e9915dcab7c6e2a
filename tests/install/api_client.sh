#!/usr/bin/env bash
# install_api_client (tests/install/CMakeLists.txt, label e2e): cmake --install into a private
# prefix, build tests/install/api_client.c against it alone (installed headers + libdnn.a), then
# for each converted model: hb_verifier (.bin on libdnn == quantized ONNX on the integer reference)
# writes the reference outputs (--dump-ref), and api_client must read the same bytes out of the
# .bin through the installed API. Models: the NV12 cifar10_quick of e2e_makertbin_image (an NV12
# frame), its gray Fashion-MNIST CNN (a 28x28 Y frame: the first 784 bytes of the NV12 frame) and
# cifar10_quick converted here with a feature-map input (input_data.npy, float32).
# A reference of the other model must make api_client fail (the check can fail).
#
#   api_client.sh HB_MAPPER HB_VERIFIER HB_EVAL_PREPROCESS BUILD_DIR SOURCE_DIR OUT_DIR CC IMAGE_DIR
# (IMAGE_DIR: the output folder of e2e_makertbin_image)
set -u

fail() {
  echo "api_client.sh: $*" >&2
  exit 1
}

mapper=$1 verifier=$2 prep=$3 build=$4 src=$5 out=$6 cc=$7 img=$8
rm -rf "$out" && mkdir -p "$out" && cd "$out" || fail "cannot create $out"

cmake --install "$build" --prefix prefix >install.txt 2>&1 || fail "install: $(tail -n 5 install.txt)"
"$cc" -std=c11 -Wall -Wextra -Werror "$src/tests/install/api_client.c" -Iprefix/include \
  prefix/lib/libdnn.a -lpthread -lm -o api_client 2>build.txt || fail "build: $(cat build.txt)"

# a feature-map model: cifar10_quick fed float32 NCHW data as is
"$prep" -m cifar10 -i "$src/tests/data/prep/photos" -o cal >prep.txt 2>&1 ||
  fail "hb_eval_preprocess: $(cat prep.txt)"
models=$src/tests/data/models/caffe/cifar10_quick
mkdir -p fm
cat >fm/config.yaml <<YAML
model_parameters:
  caffe_model: '$models/cifar10_quick_iter_5000.caffemodel'
  prototxt: '$models/cifar10_quick.prototxt'
  march: 'bayes-e'
  working_dir: 'model_output'
  output_model_file_prefix: 'fm'
input_parameters:
  input_type_train: 'featuremap'
  input_layout_train: 'NCHW'
  input_type_rt: 'featuremap'
  norm_type: 'no_preprocess'
calibration_parameters:
  cal_data_dir: '$out/cal'
  cal_data_type: 'uint8'
  calibration_type: 'default'
compiler_parameters:
  compile_mode: 'latency'
  optimize_level: 'O3'
YAML
(cd fm && "$mapper" makertbin -c config.yaml --model-type caffe >console.txt 2>&1) ||
  fail "feature-map makertbin: $(tail -n 5 fm/console.txt)"

# case NAME BIN QONNX INPUT: reference dump, then the installed API program on the same input
case_() {
  mkdir -p "ref_$1"
  "$verifier" -q "$3" -b "$2" -i "$4" --dump-ref "ref_$1" >"verify_$1.txt" 2>&1 ||
    fail "$1: hb_verifier: $(cat "verify_$1.txt")"
  ./api_client "$2" "ref_$1" "$4" >"client_$1.txt" 2>&1 ||
    fail "$1: api_client: $(cat "client_$1.txt")"
  grep -q "DIFFERENT" "client_$1.txt" && fail "$1: $(cat "client_$1.txt")"
  cat "client_$1.txt"
}
frame=$src/tests/e2e/nv12/astronaut_32x32.nv12
case_ nv12 "$img/nv12/model_output/nv12.bin" "$img/nv12/model_output/nv12_quantized_model.onnx" "$frame"
grep -q "input 0: type 1, 1536 bytes" client_nv12.txt || fail "nv12: not fed as an NV12 frame"
head -c 784 "$frame" >y28.raw
case_ gray "$img/gray/model_output/gray.bin" "$img/gray/model_output/gray_quantized_model.onnx" y28.raw
grep -q "input 0: type 0, 784 bytes" client_gray.txt || fail "gray: not fed as a Y frame"
case_ featuremap fm/model_output/fm.bin fm/model_output/fm_quantized_model.onnx \
  "$src/tests/data/caffe/cifar10_quick/input_data.npy"
grep -q "input 0: type 13, 12288 bytes" client_featuremap.txt ||
  fail "featuremap: not fed as a float32 feature map"

# the check can fail: the feature-map model's output against the NV12 model's reference
./api_client fm/model_output/fm.bin ref_nv12 "$src/tests/data/caffe/cifar10_quick/input_data.npy" \
  >client_neg.txt 2>&1 && fail "api_client accepted another model's reference: $(cat client_neg.txt)"
grep -q "DIFFERENT" client_neg.txt || fail "negative case: $(cat client_neg.txt)"
echo "api_client.sh: the installed API gives the reference's outputs on NV12 and feature-map models"
