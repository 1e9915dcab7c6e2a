#!/usr/bin/env bash
# hb_verifier --per-layer end to end (tests/e2e/CMakeLists.txt, label e2e), on the Fashion-MNIST
# CNN (tests/data/models/fmnist; featuremap input, calibration_type skip, bayes-e O3):
#  1. makertbin with layer_out_dump: True must exit 0 and log the debugging build; hb_verifier
#     --per-layer --random 3 must pass and list every per-layer output (one table row each, all
#     equal), and the plain hb_verifier must compare them too;
#  2. the quantized model with one integer parameter changed (shift of output channel 0 of
#     NODE, by hb_qonnx_alter) must fail, and the first differing node named must be NODE, with
#     every row before it equal;
#  3. a .bin built without layer_out_dump is refused by --per-layer with the hint to rebuild;
#  4. hb_model_info shows the per-layer outputs of unsigned activations (the Relu outputs that
#     only Conv/Gemm nodes read, docs/quantized-ops.md section 2) with zero point -127, the
#     others with none.
#
#   per_layer.sh --mapper HB_MAPPER --verifier HB_VERIFIER --alter HB_QONNX_ALTER
#       --info HB_MODEL_INFO --model FMNIST.onnx --node NODE --out DIR
set -u
fail() {
  echo "per_layer.sh: $*" >&2
  exit 1
}
mapper='' verifier='' alter='' info='' model='' node='' out=''
while [ $# -gt 0 ]; do
  case "$1" in
    --mapper) mapper=$2; shift 2 ;;
    --verifier) verifier=$2; shift 2 ;;
    --alter) alter=$2; shift 2 ;;
    --info) info=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) fail "unknown argument $1" ;;
  esac
done
[ -n "$mapper" ] && [ -n "$verifier" ] && [ -n "$alter" ] && [ -n "$info" ] && [ -n "$model" ] &&
  [ -n "$node" ] &&
  [ -n "$out" ] || fail "missing arguments"
rm -rf "$out" && mkdir -p "$out" && cd "$out" || fail "cannot use $out"

# config PREFIX DUMP: PREFIX.yaml
config() {
  cat >"$1.yaml" <<Y || fail "cannot write $1.yaml"
model_parameters:
  onnx_model: '$model'
  march: 'bayes-e'
  working_dir: 'model_output'
  output_model_file_prefix: '$1'
  layer_out_dump: $2
input_parameters:
  input_type_train: 'featuremap'
  input_type_rt: 'featuremap'
  norm_type: 'no_preprocess'
calibration_parameters:
  calibration_type: 'skip'
compiler_parameters:
  compile_mode: 'latency'
  optimize_level: 'O3'
Y
  "$mapper" makertbin -c "$1.yaml" --model-type onnx >"$1.log" 2>&1 ||
    fail "makertbin $1: $(grep ERROR "$1.log")"
}

# ---- 1. layer_out_dump build, all layers equal ---------------------------------------------
config dump True
n=$(sed -n 's/.*layer_out_dump: True: a debugging build: \([0-9]*\) per-layer outputs.*/\1/p' dump.log)
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "makertbin did not log the per-layer outputs"
q=model_output/dump_quantized_model.onnx
b=model_output/dump.bin
"$verifier" -q $q -b $b --random 3 1 --per-layer >good.txt 2>&1 ||
  fail "hb_verifier --per-layer: $(cat good.txt)"
cat good.txt
rows=$(grep -Ec '^ +[0-9]+  ' good.txt)
equal=$(grep -Ec '^ +[0-9]+  .* equal$' good.txt)
[ "$rows" -eq "$n" ] && [ "$equal" -eq "$n" ] ||
  fail "$rows table rows, $equal equal, for $n per-layer outputs"
grep -q "every per-layer output is equal bit for bit ($n layers)" good.txt || fail "no summary"
grep -q "Strict check PASSED" good.txt || fail "no PASSED line"
"$verifier" -q $q -b $b --random 3 1 >plain.txt 2>&1 || fail "hb_verifier: $(cat plain.txt)"
[ "$(grep -c 'equal bit for bit on 3 inputs' plain.txt)" -gt "$n" ] ||
  fail "plain hb_verifier did not compare the model and the $n per-layer outputs"

# ---- 4. the per-layer outputs' descriptions: unsigned ones carry zero point -127 -----------
"$info" $b >info.txt 2>&1 || fail "hb_model_info: $(cat info.txt)"
zps=$(grep -c '^  zero points *: -127,$' info.txt)
others=$(grep '^  zero points' info.txt | grep -vc ': -127,$')
scaled=$(grep -c '^  scale data' info.txt)
[ "$zps" -gt 0 ] && [ "$others" -eq 0 ] && [ "$scaled" -gt "$zps" ] ||
  fail "$zps outputs with zero point -127, $others with another, $scaled with scales"

# ---- 2. one parameter of NODE changed: NODE is the first differing node --------------------
"$alter" $q altered.onnx "$node" shift 0 -1 || fail "hb_qonnx_alter failed"
"$verifier" -q altered.onnx -b $b --random 3 1 --per-layer >bad.txt 2>&1
st=$?
cat bad.txt
[ $st -eq 1 ] || fail "hb_verifier on the altered model exited $st, expected 1"
grep -q "^first differing node: $node (Conv)" bad.txt ||
  fail "the first differing node is not $node: $(grep 'first differing' bad.txt)"
grep -q "check FAILED" bad.txt || fail "no FAILED line"
row=$(grep -E "^ +[0-9]+  $node " bad.txt | awk '{ print $1 }')
[ -n "$row" ] || fail "$node is not in the table"
before=$(grep -E '^ +[0-9]+  ' bad.txt | awk -v r="$row" '$1 < r' | grep -vc ' equal$')
[ "$before" -eq 0 ] || fail "$before rows before $node differ"

# ---- 3. --per-layer needs a layer_out_dump .bin ------------------------------------------------
config plain False
"$verifier" -q model_output/plain_quantized_model.onnx -b model_output/plain.bin --random 1 1 \
  --per-layer >refused.txt 2>&1
st=$?
[ $st -eq 1 ] && grep -q "rebuild it with compiler_parameters.layer_out_dump: True" refused.txt ||
  fail "--per-layer on a .bin without per-layer outputs exited $st: $(cat refused.txt)"
cat refused.txt
echo "per_layer.sh: all checks passed"
