#!/usr/bin/env bash
# hb_mapper makertbin and infer end to end on one real model (converter/mapper/CMakeLists.txt,
# label e2e):
#  1. a few photos -> calibration folder (raw uint8 files of hb_eval_preprocess -m KIND, or the
#     images themselves with --preprocess-on); makertbin with calibration_type default must stop
#     with status 3 (compiling to .bin is not implemented) after writing the four ONNX artifacts
#     and the JSON report, print both tables, and reach an output cosine >= --min-cos on the first
#     calibration sample (read from the JSON and checked against the console table);
#  2. every artifact runs in hb_onnx_run (it loads), and hb_mapper infer on it gives bit-identical
#     outputs for the same input (a raw uint8 file of hb_eval_preprocess -m INFER_KIND, fed to
#     hb_onnx_run as a uint8 .npy with --input-offset 128, i.e. value - 128);
#  3. bad inputs: an empty calibration folder, a calibration file of the wrong size (raw data) or
#     a file that is no image (--preprocess-on), and a calibration_type typo each exit 1 with a
#     message naming the folder/file/key, and leave no *.onnx or report behind.
#
#   makertbin_e2e.sh --mapper HB_MAPPER --run HB_ONNX_RUN --prep HB_EVAL_PREPROCESS --out DIR
#       --template T.yaml.in --models DIR --model-type onnx|caffe --prefix P --photos DIR...
#       (--kind KIND | --preprocess-on) --infer-kind KIND --input NAME --shape N,C,H,W
#       --min-cos C
set -u

fail() {
  echo "makertbin_e2e.sh: $*" >&2
  exit 1
}

mapper='' run='' prep='' out='' template='' models='' mtype='' prefix='' kind='' preon=0
infer_kind='' input='' shape='' mincos=''
photos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mapper) mapper=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --prep) prep=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --template) template=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --model-type) mtype=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --kind) kind=$2; shift 2 ;;
    --preprocess-on) preon=1; shift ;;
    --infer-kind) infer_kind=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --shape) shape=$2; shift 2 ;;
    --min-cos) mincos=$2; shift 2 ;;
    --photos) photos+=("$2"); shift 2 ;;
    *) fail "unknown argument $1" ;;
  esac
done
[ -n "$mapper" ] && [ -n "$out" ] && [ -n "$mincos" ] && [ ${#photos[@]} -gt 0 ] ||
  fail "missing arguments"

rm -rf "$out" && mkdir -p "$out/photos" || fail "cannot create $out"
cp "${photos[@]}" "$out/photos/" || fail "cannot copy the photos"
cd "$out" || fail "cannot enter $out"
if [ $preon -eq 1 ]; then
  cal=photos
else
  "$prep" -m "$kind" -i photos -o cal >/dev/null || fail "hb_eval_preprocess -m $kind failed"
  cal=cal
fi

# config CASE CAL CALTYPE: CASE/config.yaml from the template.
config() {
  mkdir -p "$1" && sed -e "s#@MODELS@#$models#" -e "s#@CAL@#$2#" -e "s#@CALTYPE@#$3#" \
    "$template" >"$1/config.yaml" || fail "cannot write $1/config.yaml"
}

# ---- 1. the good run -------------------------------------------------------------------------
config good "$PWD/$cal" default
(cd good && "$mapper" makertbin -c config.yaml --model-type "$mtype" >console.txt 2>&1)
st=$?
cat good/console.txt
[ $st -eq 3 ] || fail "makertbin exited with status $st, expected 3 (stops before compiling)"
for want in "Type +Cosine Similarity +Threshold +In/Out DataType" \
  "Output +Cosine Similarity +L1 Distance +L2 Distance +Chebyshev Distance" \
  "ERROR makertbin: compiling to .bin is not implemented yet" "Start to calibrate the model" \
  "Start to quantize the model"; do
  grep -Eq -- "$want" good/console.txt || fail "console output lacks '$want'"
done
wd=good/model_output
arts="original_float_model calibrated_model optimized_float_model quantized_model"
for a in $arts; do
  [ -s "$wd/${prefix}_$a.onnx" ] || fail "$wd/${prefix}_$a.onnx was not written"
done
json=$wd/${prefix}_quant_report.json
[ -s "$json" ] || fail "$json was not written"
grep -q '"schema": "hb_mapper-report/1"' "$json" || fail "$json: no schema line"
grep -q '"isolated_cosine": [0-9]' "$json" || fail "$json: no isolated cosine"
# Each output line of the JSON: {"name": "X", "cosine": C, ...}; C must be >= min-cos and equal the
# console table's figure to its 6 decimals.
nout=0
while read -r name cos; do
  nout=$((nout + 1))
  awk -v c="$cos" -v m="$mincos" 'BEGIN { exit !(c + 0 >= m + 0) }' ||
    fail "output $name: cosine $cos < $mincos"
  shown=$(printf '%.6f' "$cos")
  grep -Eq "^$name +$shown " good/console.txt ||
    fail "output $name: the console table does not show cosine $shown"
  echo "output $name: cosine $cos (>= $mincos)"
done < <(sed -n 's/^ *{"name": "\([^"]*\)", "cosine": \([-0-9.e+]*\), "l1".*/\1 \2/p' "$json")
[ $nout -gt 0 ] || fail "$json: no output with a cosine"

# ---- 2. every artifact loads and runs; infer == hb_onnx_run ---------------------------------
mkdir -p infer_in
"$prep" -m "$infer_kind" -i photos -o infer_in >/dev/null || fail "hb_eval_preprocess failed"
raw=$(ls infer_in/*.bin | head -n 1)
# raw uint8 bytes -> .npy (format 1.0: magic, header length, dict padded to 64 bytes, newline).
hdr="{'descr': '|u1', 'fortran_order': False, 'shape': ($shape), }"
pad=$(((64 - (10 + ${#hdr} + 1) % 64) % 64))
hl=$((${#hdr} + pad + 1))
{
  printf '\x93NUMPY\x01\x00'
  printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))"
  printf '%s%*s\n' "$hdr" $pad ''
  cat "$raw"
} >infer_in/input.npy
for a in $arts; do
  model=$wd/${prefix}_$a.onnx
  mkdir -p run_$a infer_$a
  "$run" "$model" "$input=infer_in/input.npy" --input-offset 128 -o run_$a >run_$a.txt 2>&1 ||
    fail "hb_onnx_run $model: $(cat run_$a.txt)"
  "$mapper" infer --config good/config.yaml --model-type "$mtype" --model-file "$model" \
    --image-file "$input" "$raw" --input-layout NCHW --output-dir infer_$a >infer_$a.txt 2>&1 ||
    fail "hb_mapper infer $model: $(cat infer_$a.txt)"
  n=0
  for f in run_$a/*.npy; do
    n=$((n + 1))
    cmp -s "$f" "infer_$a/$(basename "$f")" || fail "$a: infer and hb_onnx_run differ on $f"
    [ -s "infer_$a/$(basename "$f" .npy).txt" ] || fail "$a: no text dump of $f"
  done
  [ $n -gt 0 ] || fail "$a: hb_onnx_run wrote no output"
  echo "$a: infer == hb_onnx_run on $n output(s)"
done

# ---- 3. bad inputs ---------------------------------------------------------------------------
# bad CASE WANT: makertbin in CASE must exit 1, print WANT, and leave no artifact.
bad() {
  (cd "$1" && "$mapper" makertbin -c config.yaml --model-type "$mtype" >console.txt 2>&1)
  local s=$?
  [ $s -eq 1 ] || fail "$1: makertbin exited with $s, expected 1: $(tail -n 3 "$1/console.txt")"
  grep -qF -- "$2" "$1/console.txt" || fail "$1: no '$2' in: $(grep ERROR "$1/console.txt")"
  if ls "$1"/model_output/*.onnx "$1"/model_output/*.json >/dev/null 2>&1; then
    fail "$1: artifacts left behind: $(ls "$1/model_output")"
  fi
  echo "$1: $(grep -m1 ERROR "$1/console.txt")"
}
mkdir -p empty_cal
config bad_empty "$PWD/empty_cal" default
bad bad_empty "empty_cal"
if [ $preon -eq 1 ]; then
  mkdir -p not_image && cp photos/* not_image/ && echo "not an image" >not_image/zz.png
  config bad_file "$PWD/not_image" default
  bad bad_file "zz.png"
else
  mkdir -p short_cal && head -c 1000 "$(ls cal/* | head -n 1)" >short_cal/short.bin
  config bad_file "$PWD/short_cal" default
  bad bad_file "short.bin"
fi
config bad_type "$PWD/$cal" defualt
bad bad_type "calibration_type: value 'defualt' is not allowed"
echo "makertbin_e2e.sh: all checks passed"
