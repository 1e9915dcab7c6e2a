#!/usr/bin/env bash
# Image inputs through hb_mapper makertbin (tests/e2e/CMakeLists.txt, label e2e): the Caffe
# cifar10_quick (trained on BGR) converted with input_type_rt nv12 (bayes-e), rgb (bernoulli2,
# input_layout_rt left to its default NHWC) and bgr (bayes-e, input_layout_rt NCHW), and the
# Fashion-MNIST CNN with gray (bayes-e), and cifar10_quick with nv12 and input_source resizer
# (bayes-e); calibration from the photos of tests/data/prep/photos
# with preprocess_on. For each:
#  - makertbin exits 0 and says the .bin takes the image;
#  - hb_model_info shows the PREPROCESS record, the image type in `model input types` and the
#    config's default input source (pyramid for nv12 and gray, DDR for rgb and bgr), or the
#    resizer when the config gives it;
#  - hb_verifier --random: libdnn reports the uint8 image (its tensorType, layout, shape and byte
#    size, as hbDNNGetInputTensorProperties gives them) and the .bin fed random pixels equals the
#    quantized ONNX fed pixel - 128 (NV12 chroma replicated over 2x2) bit for bit on every run;
# and for nv12 also one real frame (tests/e2e/nv12/astronaut_32x32.nv12, made by
# make_nv12_frame.py), and a frame of the wrong size refused naming the file.
#
#   makertbin_image.sh HB_MAPPER HB_VERIFIER HB_MODEL_INFO SOURCE_DIR OUT_DIR
set -u

fail() {
  echo "makertbin_image.sh: $*" >&2
  exit 1
}

mapper=$1 verifier=$2 info=$3 src=$4 out=$5
rm -rf "$out" && mkdir -p "$out" && cd "$out" || fail "cannot create $out"
models=$src/tests/data/models/caffe/cifar10_quick

# convert NAME MARCH TYPE_RT [LAYOUT_RT]: makertbin of cifar10_quick (of the Fashion-MNIST CNN
# for gray) into NAME/model_output.
convert() {
  mkdir -p "$1" || fail "cannot create $1"
  local mtype=caffe
  {
    echo "model_parameters:"
    if [ "$3" = gray ]; then
      mtype=onnx
      echo "  onnx_model: '$src/tests/data/models/fmnist/fmnist_cnn.onnx'"
    else
      echo "  caffe_model: '$models/cifar10_quick_iter_5000.caffemodel'"
      echo "  prototxt: '$models/cifar10_quick.prototxt'"
    fi
    echo "  march: '$2'"
    echo "  working_dir: 'model_output'"
    echo "  output_model_file_prefix: '$1'"
    echo "input_parameters:"
    if [ "$3" = gray ]; then
      echo "  input_type_train: 'gray'"
    else
      echo "  input_type_train: 'bgr'"
    fi
    echo "  input_layout_train: 'NCHW'"
    echo "  input_type_rt: '$3'"
    [ -n "${4:-}" ] && echo "  input_layout_rt: '$4'"
    echo "  norm_type: 'no_preprocess'"
    echo "calibration_parameters:"
    echo "  cal_data_dir: '$src/tests/data/prep/photos'"
    echo "  preprocess_on: True"
    echo "  calibration_type: 'default'"
    echo "compiler_parameters:"
    echo "  compile_mode: 'latency'"
    echo "  optimize_level: 'O3'"
    [ -n "${SOURCE:-}" ] && echo "  input_source: {data: '$SOURCE'}"
  } >"$1/config.yaml"
  (cd "$1" && "$mapper" makertbin -c config.yaml --model-type $mtype >console.txt 2>&1) ||
    fail "$1: makertbin failed: $(tail -n 5 "$1/console.txt")"
  grep -Eq "INFO input [^ ]+: the .bin takes a $3 image" "$1/console.txt" ||
    fail "$1: makertbin does not say the .bin takes a $3 image"
}

# check NAME TYPE_RT IMG_TYPE PROPS RUNS OUTPUT SOURCE: hb_model_info and hb_verifier --random
# RUNS on NAME.
check() {
  local bin=$1/model_output/$1.bin q=$1/model_output/$1_quantized_model.onnx
  "$info" "$bin" >"$1/info.txt" 2>&1 || fail "$1: hb_model_info: $(cat "$1/info.txt")"
  for want in "^model input types : \[$3\]$" "^  input_type_rt +: $2$" \
    "^  runtime input +: $3 \(uint8 image" "^  input source +: HB_DNN_INPUT_FROM_$7$"; do
    grep -Eq -- "$want" "$1/info.txt" || fail "$1: hb_model_info lacks '$want': $(cat "$1/info.txt")"
  done
  "$verifier" -q "$q" -b "$bin" --random "$5" 20261126 >"$1/verify.txt" 2>&1 ||
    fail "$1: hb_verifier --random: $(cat "$1/verify.txt")"
  for want in ": $3, $4 bytes of uint8 pixels" \
    "output $6 (float): equal bit for bit on $5 inputs" "Strict check PASSED"; do
    grep -qF -- "$want" "$1/verify.txt" || fail "$1: hb_verifier lacks '$want': $(cat "$1/verify.txt")"
  done
  cat "$1/verify.txt"
}

convert nv12 bayes-e nv12
check nv12 nv12 HB_DNN_IMG_TYPE_NV12 "NCHW (1,3,32,32), 1536" 10 prob PYRAMID
frame=$src/tests/e2e/nv12/astronaut_32x32.nv12
"$verifier" -q nv12/model_output/nv12_quantized_model.onnx -b nv12/model_output/nv12.bin \
  -i "$frame" >nv12/frame.txt 2>&1 || fail "nv12: hb_verifier on $frame: $(cat nv12/frame.txt)"
grep -qF "output prob (float): equal bit for bit on 1 input" nv12/frame.txt ||
  fail "nv12: hb_verifier on $frame: $(cat nv12/frame.txt)"
echo "nv12: the photo's NV12 frame: equal bit for bit"
head -c 1000 "$frame" >short.nv12
"$verifier" -q nv12/model_output/nv12_quantized_model.onnx -b nv12/model_output/nv12.bin \
  -i short.nv12 >short.txt 2>&1
st=$?
[ $st -eq 1 ] && grep -q "ERROR short.nv12: not a .npy and not 1536 raw bytes" short.txt ||
  fail "hb_verifier on a short frame exited $st: $(cat short.txt)"

convert rgb bernoulli2 rgb
check rgb rgb HB_DNN_IMG_TYPE_RGB "NHWC (1,32,32,3), 3072" 3 prob DDR
convert bgr bayes-e bgr NCHW
check bgr bgr HB_DNN_IMG_TYPE_BGR "NCHW (1,3,32,32), 3072" 3 prob DDR
convert gray bayes-e gray
check gray gray HB_DNN_IMG_TYPE_Y "NCHW (1,1,28,28), 784" 3 logits PYRAMID
# input_source resizer (the models of hbDNNRoiInfer, SOURCE set for convert): recorded in the .bin
# and shown by hb_model_info; hbDNNInfer still takes a frame of the model's size.
SOURCE=resizer convert resizer bayes-e nv12
check resizer nv12 HB_DNN_IMG_TYPE_NV12 "NCHW (1,3,32,32), 1536" 3 prob RESIZER
grep -qF "compiler_parameters.input_source[input #1]: resizer" resizer/info.txt ||
  fail "resizer: hb_model_info lacks the input_source parameter: $(cat resizer/info.txt)"
echo "makertbin_image.sh: all checks passed"
