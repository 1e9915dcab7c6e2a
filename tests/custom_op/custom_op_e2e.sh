#!/usr/bin/env bash
# Custom CPU operator end to end (tests/custom_op/CMakeLists.txt, label e2e), on
# tests/data/custom_op/swish.onnx (Conv -> SampleSwish -> Conv) and the sample plugin:
#  1. hb_mapper checker without the plugin exits 1 naming SampleSwish; with --custom-op it exits 0
#     and its node table puts swish1 on the CPU between two BPU subgraphs; a missing .so and a
#     plugin of another ABI version exit 1 naming the file;
#  2. makertbin with custom_op.op_register_files (relative to custom_op_dir) exits 0 and writes the
#     four ONNX artifacts and swish.bin, with swish1 a float CPU node; a YAML naming a missing
#     plugin, or one of another ABI version, exits 1 naming the file and writes nothing;
#  3. hb_mapper infer runs the quantized model (integer reference, plugin loaded from the YAML);
#  4. libdnn (custom_op_bin_run) refuses to load swish.bin before the plugin is registered, with a
#     message naming SampleSwish; with hbDNNRegisterCustomOpPlugin it runs the .bin, whose output
#     equals hb_mapper infer's (the integer reference) and has cosine >= 0.999 to the numpy float
#     reference; the same through HB_DNN_PLUGIN_PATH (a folder), and a bad plugin there refused.
#
#   custom_op_e2e.sh --mapper HB_MAPPER --run-bin CUSTOM_OP_BIN_RUN --plugin LIB.so
#                    --bad-plugin LIB.so --data DIR --out DIR
set -u

fail() {
  echo "custom_op_e2e.sh: $*" >&2
  exit 1
}

mapper='' runbin='' plugin='' bad='' data='' out=''
while [ $# -gt 0 ]; do
  case "$1" in
    --mapper) mapper=$2; shift 2 ;;
    --run-bin) runbin=$2; shift 2 ;;
    --plugin) plugin=$2; shift 2 ;;
    --bad-plugin) bad=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) fail "bad argument $1" ;;
  esac
done
[ -n "$mapper" ] && [ -n "$runbin" ] && [ -n "$plugin" ] && [ -n "$bad" ] && [ -n "$data" ] &&
  [ -n "$out" ] || fail "missing arguments"

rm -rf "$out" && mkdir -p "$out" || fail "cannot create $out"
cd "$out" || fail "cannot enter $out"
model=$data/swish.onnx

# expect_fail WHAT PATTERN CMD...: CMD must exit 1 and print PATTERN (grep -E)
expect_fail() {
  local what=$1 pat=$2
  shift 2
  "$@" >log.txt 2>&1
  local rc=$?
  [ $rc -eq 1 ] || { cat log.txt; fail "$what: exit $rc, expected 1"; }
  grep -Eq "$pat" log.txt || { cat log.txt; fail "$what: no message matching '$pat'"; }
}

# 1. checker
expect_fail "checker without plugin" "not support these cpu operators: \{SampleSwish\}" \
  "$mapper" checker --model-type onnx --march bernoulli2 --model "$model"
expect_fail "checker, missing plugin" "custom op plugin '$out/nothere.so': cannot load" \
  "$mapper" checker --model-type onnx --march bernoulli2 --model "$model" \
  --custom-op "$out/nothere.so"
expect_fail "checker, wrong ABI" "custom op plugin '$bad': ABI version 99" \
  "$mapper" checker --model-type onnx --march bernoulli2 --model "$model" --custom-op "$bad"
"$mapper" checker --model-type onnx --march bernoulli2 --model "$model" --custom-op "$plugin" \
  >checker.txt 2>&1 || { cat checker.txt; fail "checker with the plugin failed"; }
grep -Eq '^conv1 +BPU +id\(0\) +Conv' checker.txt &&
  grep -Eq '^swish1 +CPU +-- +SampleSwish' checker.txt &&
  grep -Eq '^conv2 +BPU +id\(1\) +Conv' checker.txt ||
  { cat checker.txt; fail "checker: node table does not put swish1 on the CPU"; }

# 2. makertbin
write_yaml() { # $1 file, $2 op_register_files
  cat >"$1" <<YAML
model_parameters:
  onnx_model: '$model'
  march: 'bernoulli2'
  working_dir: 'model_output'
  output_model_file_prefix: 'swish'
input_parameters:
  input_type_train: 'featuremap'
  input_type_rt: 'featuremap'
  input_layout_train: 'NCHW'
  norm_type: 'no_preprocess'
calibration_parameters:
  cal_data_dir: '$data/cal_f32'
  cal_data_type: 'float32'
  calibration_type: 'max'
compiler_parameters:
  compile_mode: 'latency'
  optimize_level: 'O3'
custom_op:
  custom_op_method: 'register'
  op_register_files: '$2'
  custom_op_dir: '$(dirname "$plugin")'
YAML
}
write_yaml missing.yaml nothere.so
expect_fail "makertbin, missing plugin" "op_register_files: cannot access '.*/nothere.so'" \
  "$mapper" makertbin -c missing.yaml --model-type onnx
write_yaml badabi.yaml "$bad"
expect_fail "makertbin, wrong ABI" "custom op plugin '$bad': ABI version 99" \
  "$mapper" makertbin -c badabi.yaml --model-type onnx
[ ! -e model_output ] || fail "makertbin left artifacts after a failure"
write_yaml swish.yaml "$(basename "$plugin")"
"$mapper" makertbin -c swish.yaml --model-type onnx >makertbin.txt 2>&1 ||
  { cat makertbin.txt; fail "makertbin failed"; }
for f in original_float_model.onnx optimized_float_model.onnx calibrated_model.onnx \
  quantized_model.onnx; do
  [ -s "model_output/swish_$f" ] || fail "makertbin wrote no swish_$f"
done
[ -s model_output/swish.bin ] || fail "makertbin wrote no swish.bin"
grep -Eq '^swish1 +CPU +-- +SampleSwish .*float/float' makertbin.txt ||
  { cat makertbin.txt; fail "makertbin: swish1 is not a float CPU node"; }

# 3. the integer reference of the quantized model
"$mapper" infer --config swish.yaml --model-type onnx \
  --model-file model_output/swish_quantized_model.onnx --image-file data "$data/input.npy" \
  --output-dir infer >infer.txt 2>&1 || { cat infer.txt; fail "hb_mapper infer failed"; }

# 4. libdnn
expect_fail "libdnn without plugin" "op type 'SampleSwish'.*registered custom op" \
  "$runbin" --bin model_output/swish.bin --input "$data/input.npy"
expect_fail "libdnn, wrong ABI" "ABI version 99" \
  "$runbin" --plugin "$bad" --bin model_output/swish.bin --input "$data/input.npy"
"$runbin" --plugin "$plugin" --bin model_output/swish.bin --input "$data/input.npy" \
  --expect-exact infer/out.npy --expect-cos "$data/expected.npy" 0.999 >run.txt 2>&1 ||
  { cat run.txt; fail "libdnn run of swish.bin failed"; }
cat run.txt
# the same plugin found through HB_DNN_PLUGIN_PATH (a folder entry), and a bad one refused
HB_DNN_PLUGIN_PATH="$(dirname "$plugin")" "$runbin" --bin model_output/swish.bin \
  --input "$data/input.npy" --expect-exact infer/out.npy >env.txt 2>&1 ||
  { cat env.txt; fail "libdnn with HB_DNN_PLUGIN_PATH failed"; }
expect_fail "HB_DNN_PLUGIN_PATH, wrong ABI" "'$bad': ABI version 99" \
  env HB_DNN_PLUGIN_PATH="$bad" "$runbin" --bin model_output/swish.bin --input "$data/input.npy"
echo "custom_op_e2e.sh: passed"
