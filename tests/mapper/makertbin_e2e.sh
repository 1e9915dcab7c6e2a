#!/usr/bin/env bash
# hb_mapper makertbin and infer end to end on one real model (converter/mapper/CMakeLists.txt,
# label e2e):
#  1. a few photos -> calibration folder (raw uint8 files of hb_eval_preprocess -m KIND, or the
#     images themselves with --preprocess-on); makertbin with calibration_type default must exit 0
#     after writing the four ONNX artifacts, the JSON report, <prefix>.bin and the static
#     performance files of every BPU subgraph, print both tables and the compiler's estimate, and
#     reach an output cosine >= --min-cos on the first calibration sample (read from the JSON and
#     checked against the console table);
#     with optimization channel_equalization in the template, at least one tensor must have
#     been equalised (console);
#  2. every artifact runs in hb_onnx_run (it loads), and hb_mapper infer on it gives bit-identical
#     outputs for the same input (a raw uint8 file of hb_eval_preprocess -m INFER_KIND, fed to
#     hb_onnx_run as a uint8 .npy with --input-offset 128, i.e. value - 128);
#  3. bad inputs: an empty calibration folder, a calibration file of the wrong size (raw data) or
#     a file that is no image (--preprocess-on), and a calibration_type typo each exit 1 with a
#     message naming the folder/file/key, and leave no *.onnx, report or .bin behind;
#  4. the .bin tools (with --verifier): hb_verifier on 10 seeded random inputs and on the photo of
#     step 2 (infer_in/input.npy: uint8 pixels, which the .bin of an image input takes; the
#     quantized ONNX gets pixel - 128) must find every output of the .bin (libdnn on the simulator)
#     equal bit for bit to the quantized ONNX on the integer reference executor; with
#     --negative-caltype T, the quantized model of a second calibration (type T, a different model)
#     must be reported as different (exit 1); hb_perf --simulate must find every program's
#     simulated counters equal to the static estimate, its JSON latency must be cycles / clock,
#     ceil(cycles / MHz) must equal the simulated time libdnn reports through hb_verifier, its
#     per-subgraph JSON must equal the one makertbin wrote, and its per-layer rows must add up to
#     the totals with one row per BPU node (tests/tools/check_perf_layers.sh); hb_model_info must show the march, the
#     input name and shape, the recorded config keys, and --disasm one line per instruction.
#
#   makertbin_e2e.sh --mapper HB_MAPPER --run HB_ONNX_RUN --prep HB_EVAL_PREPROCESS --out DIR
#       --template T.yaml.in --models DIR --model-type onnx|caffe --prefix P --photos DIR...
#       (--kind KIND | --preprocess-on) --infer-kind KIND --input NAME --shape N,C,H,W
#       --min-cos C [--verifier HB_VERIFIER --perf HB_PERF --model-info HB_MODEL_INFO
#       [--negative-caltype T]]
set -u

fail() {
  echo "makertbin_e2e.sh: $*" >&2
  exit 1
}

mapper='' run='' prep='' out='' template='' models='' mtype='' prefix='' kind='' preon=0
infer_kind='' input='' shape='' mincos=''
verifier='' perf='' minfo='' negcal=''
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
    --verifier) verifier=$2; shift 2 ;;
    --perf) perf=$2; shift 2 ;;
    --model-info) minfo=$2; shift 2 ;;
    --negative-caltype) negcal=$2; shift 2 ;;
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
t0=$(date +%s.%N)
(cd good && "$mapper" makertbin -c config.yaml --model-type "$mtype" >console.txt 2>&1)
st=$?
t1=$(date +%s.%N)
cat good/console.txt
[ $st -eq 0 ] || fail "makertbin exited with status $st, expected 0"
echo "makertbin wall time: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
for want in "Type +Cosine Similarity +Threshold +In/Out DataType" \
  "Output +Cosine Similarity +L1 Distance +L2 Distance +Chebyshev Distance" \
  "Start to calibrate the model" "Start to quantize the model" "Start to compile the model" \
  "INFO FPS=[0-9.]+, latency = [0-9.]+ us, DDR = [0-9]+ bytes +\(see model_output/${prefix}_subgraph_0.html\)" \
  "INFO Convert to runtime bin file successfully!"; do
  grep -Eq -- "$want" good/console.txt || fail "console output lacks '$want'"
done
if grep -q "optimization: 'bias_correction'" good/config.yaml; then
  grep -q "INFO Refining weights and biases on [0-9]* calibration samples" good/console.txt ||
    fail "optimization bias_correction: no refinement logged"
fi
wd=good/model_output
[ -s "$wd/$prefix.bin" ] || fail "$wd/$prefix.bin was not written"
dumped=''
if grep -q "optimization: 'channel_equalization'" good/config.yaml; then
  grep -Eq "INFO channel equalisation: [1-9][0-9]* of [0-9]+ Conv -> depthwise Conv tensors" \
    good/console.txt || fail "optimization channel_equalization: no tensor equalised"
fi
if grep -q "debug_mode: 'dump_calibration_data'" good/config.yaml; then
  # one .npy per sample; the first one is what hb_mapper infer makes of the first calibration file
  nsamp=$(sed -n 's/.*There are \([0-9]*\) samples in the data set.*/\1/p' good/console.txt)
  ndump=$(ls "$wd/calibration_data/$input"/*.npy 2>/dev/null | wc -l)
  [ -n "$nsamp" ] && [ "$ndump" -eq "$nsamp" ] ||
    fail "debug_mode dump_calibration_data: $ndump files for ${nsamp:-?} samples"
  dumped=$wd/calibration_data/$input/0.npy
fi
nsub=$(grep -c "INFO Compile submodel: ${prefix}_subgraph_" good/console.txt)
[ "$nsub" -gt 0 ] || fail "no BPU subgraph was compiled"
for ((k = 0; k < nsub; k++)); do
  for ext in html json; do
    [ -s "$wd/${prefix}_subgraph_$k.$ext" ] || fail "$wd/${prefix}_subgraph_$k.$ext was not written"
  done
done
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
if [ -n "$dumped" ]; then
  first=$(ls "$cal" | LC_ALL=C sort | grep -v '^\.' | head -n 1)
  model=$wd/${prefix}_original_float_model.onnx
  mkdir -p run_dump infer_dump
  "$run" "$model" "$input=$dumped" -o run_dump >run_dump.txt 2>&1 ||
    fail "hb_onnx_run on $dumped: $(cat run_dump.txt)"
  "$mapper" infer --config good/config.yaml --model-type "$mtype" --model-file "$model" \
    --image-file "$input" "$cal/$first" --output-dir infer_dump >infer_dump.txt 2>&1 ||
    fail "hb_mapper infer on $cal/$first: $(cat infer_dump.txt)"
  for f in run_dump/*.npy; do
    cmp -s "$f" "infer_dump/$(basename "$f")" ||
      fail "the dumped calibration sample 0 and $first give different outputs ($f)"
  done
  echo "debug_mode dump_calibration_data: $dumped == $first as calibration and infer see it"
fi

# ---- 3. bad inputs ---------------------------------------------------------------------------
# bad CASE WANT: makertbin in CASE must exit 1, print WANT, and leave no artifact.
bad() {
  (cd "$1" && "$mapper" makertbin -c config.yaml --model-type "$mtype" >console.txt 2>&1)
  local s=$?
  [ $s -eq 1 ] || fail "$1: makertbin exited with $s, expected 1: $(tail -n 3 "$1/console.txt")"
  grep -qF -- "$2" "$1/console.txt" || fail "$1: no '$2' in: $(grep ERROR "$1/console.txt")"
  if ls "$1"/model_output/*.onnx "$1"/model_output/*.json "$1"/model_output/*.bin \
    >/dev/null 2>&1; then
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

# ---- 4. the .bin tools -----------------------------------------------------------------------
if [ -n "$verifier" ]; then
  bin=$wd/$prefix.bin
  qonnx=$wd/${prefix}_quantized_model.onnx
  # verify NAME ARGS...: hb_verifier must pass and show every output equal; prints its output.
  verify() {
    local name=$1
    shift
    "$verifier" -q "$qonnx" -b "$bin" "$@" >"verify_$name.txt" 2>&1 ||
      fail "hb_verifier $*: $(cat "verify_$name.txt")"
    grep -q "Strict check PASSED" "verify_$name.txt" || fail "hb_verifier $*: no PASSED line"
    grep -q "DIFFERS" "verify_$name.txt" && fail "hb_verifier $*: $(cat "verify_$name.txt")"
    cat "verify_$name.txt"
  }
  verify random --random 10 20261126
  grep -Eq "equal bit for bit on 10 inputs" verify_random.txt || fail "hb_verifier: not 10 runs"
  verify real -i infer_in/input.npy
  # the board backend (the executor replaying each program's static issue order, no cycle model)
  # computes the same bits and reports the same modelled time
  HB_DNN_BACKEND=board verify board --random 10 20261126
  grep -q "backend board)" verify_board.txt || fail "hb_verifier did not run the board backend"
  grep -q "backend sim)" verify_random.txt || fail "hb_verifier did not run the sim backend"
  [ "$(grep "simulated BPU time" verify_board.txt | sed 's/;.*//')" = \
    "$(grep "simulated BPU time" verify_random.txt | sed 's/;.*//')" ] ||
    fail "board and sim backends report different modelled times"
  if [ -n "$negcal" ]; then
    config neg "$PWD/$cal" "$negcal"
    (cd neg && "$mapper" makertbin -c config.yaml --model-type "$mtype" >console.txt 2>&1) ||
      fail "makertbin with calibration_type $negcal failed: $(tail -n 3 neg/console.txt)"
    nq=neg/model_output/${prefix}_quantized_model.onnx
    cmp -s "$nq" "$qonnx" && fail "calibration_type $negcal gives the same quantized model"
    "$verifier" -q "$nq" -b "$bin" --random 10 1 >verify_neg.txt 2>&1
    st=$?
    [ $st -eq 1 ] && grep -q "DIFFERS" verify_neg.txt ||
      fail "hb_verifier of another model exited $st: $(cat verify_neg.txt)"
    echo "hb_verifier against the $negcal model: $(grep -m1 DIFFERS verify_neg.txt)"
  fi

  # refusals: --per-layer (no per-layer outputs: built without layer_out_dump), a raw file of
  # the wrong size
  "$verifier" -q "$qonnx" -b "$bin" --random 1 1 --per-layer >verify_bad.txt 2>&1
  st=$?
  [ $st -eq 1 ] && grep -q "rebuild it with compiler_parameters.layer_out_dump: True" verify_bad.txt ||
    fail "hb_verifier --per-layer exited $st: $(cat verify_bad.txt)"
  head -c 100 infer_in/input.npy >short.raw
  "$verifier" -q "$qonnx" -b "$bin" -i short.raw >verify_bad.txt 2>&1
  st=$?
  [ $st -eq 1 ] && grep -q "ERROR short.raw: not a .npy and not [0-9]* raw bytes" verify_bad.txt ||
    fail "hb_verifier on a short raw file exited $st: $(cat verify_bad.txt)"

  "$perf" --simulate -o perf "$bin" >perf.txt 2>&1 || fail "hb_perf: $(cat perf.txt)"
  cat perf.txt
  [ "$(grep -c "simulated [0-9]* cycles = the static estimate" perf.txt)" -eq "$nsub" ] ||
    fail "hb_perf --simulate did not check $nsub subgraphs"
  pj=perf/$prefix/$prefix.json
  [ -s "$pj" ] && [ -s "perf/$prefix/$prefix.html" ] || fail "hb_perf wrote no $pj or HTML"
  # first occurrence of a summary key's number
  jnum() { sed -n "s/^ *\"$1\": \([0-9.]*\),\?$/\1/p" "$pj" | head -n 1; }
  cycles=$(jnum cycles)
  mhz=$(jnum 'clock (MHz)')
  lat=$(jnum 'latency (ms)')
  [ -n "$cycles" ] && [ -n "$mhz" ] && [ -n "$lat" ] || fail "$pj: no cycles, clock or latency"
  want=$(awk -v c="$cycles" -v f="$mhz" 'BEGIN { printf "%.6f", c / (f * 1000) }')
  [ "$lat" = "$want" ] || fail "$pj: latency $lat ms, but $cycles cycles at $mhz MHz is $want"
  us=$(sed -n 's/^simulated BPU time per frame: \([0-9]*\) us.*/\1/p' verify_random.txt)
  ceil=$(((cycles + mhz - 1) / mhz))
  [ "$us" = "$ceil" ] ||
    fail "libdnn simulated $us us, hb_perf estimates $cycles cycles = $ceil us at $mhz MHz"
  echo "hb_perf: $lat ms = $cycles cycles at $mhz MHz; libdnn simulated $us us"
  ninsn=0
  for ((k = 0; k < nsub; k++)); do
    cmp -s "perf/$prefix/${prefix}_subgraph_$k.json" "$wd/${prefix}_subgraph_$k.json" ||
      fail "hb_perf and makertbin differ on ${prefix}_subgraph_$k.json"
    n=$(sed -n 's/.*"instructions": \([0-9]*\), "constant bytes".*/\1/p' \
      "$wd/${prefix}_subgraph_$k.json")
    ninsn=$((ninsn + n))
  done
  # per-layer rows (LAYER_MAP): they add up to the totals, one per BPU node of the compile log
  nnodes=$(sed -n "s/^INFO Compile submodel: ${prefix}_subgraph_[0-9]* (\([0-9]*\) nodes)\$/\1/p" \
    good/console.txt | awk '{ s += $1 } END { print s + 0 }')
  bash "$(dirname "${BASH_SOURCE[0]}")/../tools/check_perf_layers.sh" "$pj" "$nnodes" "$ninsn" ||
    fail "hb_perf per-layer rows"

  "$minfo" "$bin" >info.txt 2>&1 || fail "hb_model_info: $(cat info.txt)"
  march=$(sed -n "s/^ *march: '\(.*\)'/\1/p" good/config.yaml)
  for want in "^BPU march +: $march\$" "^---------input info : $input ---------\$" \
    "^  valid shape +: \($shape,\)\$" "^  model_parameters.output_model_file_prefix *: $prefix\$" \
    "^  compiler_parameters.optimize_level +: O3\$" "^  calibration_parameters.calibration_type +: default\$" \
    "^  compiler.BPU subgraphs +: $nsub\$" "^toolchain version : [0-9]+\.[0-9]+\.[0-9]+\$"; do
    grep -Eq -- "$want" info.txt || fail "hb_model_info output lacks '$want': $(cat info.txt)"
  done
  "$minfo" --disasm "$bin" >disasm.txt 2>&1 || fail "hb_model_info --disasm: $(cat disasm.txt)"
  nd=$(grep -Ec '^  \[ *[0-9]+\] [a-z]+' disasm.txt)
  [ "$nd" -eq "$ninsn" ] || fail "hb_model_info --disasm: $nd lines for $ninsn instructions"
  echo "hb_model_info: checked; --disasm $nd instructions"
fi
echo "makertbin_e2e.sh: all checks passed"
