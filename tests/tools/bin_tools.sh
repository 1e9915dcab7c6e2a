#!/usr/bin/env bash
# hb_perf and hb_model_info on a committed makertbin .bin (runtime/tools/CMakeLists.txt, label
# unit): tests/fuzz/corpus/bin/ok-makertbin_cifar10_quick.bin (hb_mapper makertbin of
# tests/data/hb_mapper/makertbin_cifar10.yaml.in, bernoulli2, O3).
#  - hb_perf --simulate runs every BPU program on the simulator and must find the simulated
#    counters equal to the static estimate; its JSON latency must be cycles / (clock x 1000), its
#    HTML must hold the summary and the SVG bars;
#  - hb_model_info must show the march, the input and output records and the recorded config
#    keys, and --disasm one line per instruction of the programs (the count hb_perf reports);
#  - that .bin has no LAYER_MAP: "layer details" must be null and hb_perf must say so;
#  - ok-makertbin_cifar10_quick_layers.bin (the same conversion, with LAYER_MAP blobs): hb_perf
#    must give per-layer rows whose MACs, DDR bytes and busy cycles add up to the totals
#    (check_perf_layers.sh), one row per BPU node and the instructions --disasm prints, and the
#    HTML must hold the per-layer bars; hb_model_info must list the LAYER_MAP blob;
#  - bad input: a truncated copy, a file that is not a .bin, an unknown -m model, a bad option.
#
#   bin_tools.sh HB_PERF HB_MODEL_INFO CORPUS_DIR OUT_DIR
set -u

fail() {
  echo "bin_tools.sh: $*" >&2
  exit 1
}

perf=$1 info=$2 corpus=$3 out=$4
bin=$corpus/ok-makertbin_cifar10_quick.bin
lbin=$corpus/ok-makertbin_cifar10_quick_layers.bin
here=$(cd "$(dirname "$0")" && pwd)
trunc=$corpus/truncated-makertbin_cifar10_quick_4096.bin
rm -rf "$out" && mkdir -p "$out" && cd "$out" || fail "cannot create $out"

"$perf" --simulate -o perf "$bin" >perf.txt 2>&1 || fail "hb_perf: $(cat perf.txt)"
cat perf.txt
grep -q "^cifar10_quick_subgraph_0: simulated [0-9]* cycles = the static estimate$" perf.txt ||
  fail "hb_perf --simulate did not check subgraph 0"
pj=perf/cifar10_quick/cifar10_quick.json
for f in "$pj" perf/cifar10_quick/cifar10_quick.html perf/cifar10_quick/cifar10_quick_subgraph_0.json \
  perf/cifar10_quick/cifar10_quick_subgraph_0.html; do
  [ -s "$f" ] || fail "hb_perf did not write $f"
done
jnum() { sed -n "s/^ *\"$1\": \([0-9.]*\),\?$/\1/p" "$pj" | head -n 1; }
cycles=$(jnum cycles) mhz=$(jnum 'clock (MHz)') lat=$(jnum 'latency (ms)')
[ -n "$cycles" ] && [ "$cycles" -gt 0 ] || fail "$pj: no cycle count"
want=$(awk -v c="$cycles" -v f="$mhz" 'BEGIN { printf "%.6f", c / (f * 1000) }')
[ "$lat" = "$want" ] || fail "$pj: latency $lat ms, but $cycles cycles at $mhz MHz is $want"
grep -q '"march": "bernoulli2"' "$pj" || fail "$pj: march"
for want in "Model Performance Summary" "<svg" "Busy time per instruction class" "conv"; do
  grep -q -- "$want" perf/cifar10_quick/cifar10_quick.html || fail "HTML lacks '$want'"
done
ninsn=$(sed -n 's/.*"instructions": \([0-9]*\),.*/\1/p' "$pj")
grep -q '"layer details": null,' "$pj" || fail "$pj: layer details of a .bin without LAYER_MAP"
grep -q "1 of 1 BPU programs have no LAYER_MAP" perf.txt || fail "hb_perf did not say why"

# ---- per-layer rows from LAYER_MAP -------------------------------------------------------------
"$perf" --simulate -o lperf "$lbin" >lperf.txt 2>&1 || fail "hb_perf: $(cat lperf.txt)"
cat lperf.txt
"$info" --disasm "$lbin" >ldisasm.txt 2>&1 || fail "hb_model_info --disasm: $(cat ldisasm.txt)"
lnd=$(grep -Ec '^  \[ *[0-9]+\] [a-z]+' ldisasm.txt)
# cifar10_quick: 10 BPU nodes (the makertbin log: "Compile submodel: cifar10_quick_subgraph_0
# (10 nodes)")
for j in lperf/cifar10_quick/cifar10_quick.json lperf/cifar10_quick/cifar10_quick_subgraph_0.json; do
  bash "$here/check_perf_layers.sh" "$j" 10 "$lnd" || fail "per-layer rows of $j"
done
for want in "Latency span per layer" "DDR traffic per layer" "<th>Layer</th><th>Op type</th>"; do
  grep -q -- "$want" lperf/cifar10_quick/cifar10_quick.html || fail "HTML lacks '$want'"
done
grep -Eq '"name": "[^"]+", "op type": "Conv", "subgraph": "cifar10_quick_subgraph_0"' \
  lperf/cifar10_quick/cifar10_quick.json || fail "no Conv layer row"
"$info" "$lbin" >linfo.txt 2>&1 || fail "hb_model_info: $(cat linfo.txt)"
grep -Eq '^  LAYER_MAP +0: [0-9]+ bytes$' linfo.txt || fail "hb_model_info lacks the LAYER_MAP blob"

"$info" "$bin" >info.txt 2>&1 || fail "hb_model_info: $(cat info.txt)"
for want in "^BPU march +: bernoulli2$" "^---------input info : data ---------$" \
  "^  valid shape +: \(1,3,32,32,\)$" "^---------output info : prob ---------$" \
  "^  tensor type +: HB_DNN_TENSOR_TYPE_F32$" "^  model_parameters.output_model_file_prefix *: cifar10_quick$" \
  "^  compiler_parameters.optimize_level +: O3$" "^  compiler.BPU subgraphs +: 1$" \
  "^  BPU_PROGRAM +0: [0-9]+ bytes$"; do
  grep -Eq -- "$want" info.txt || fail "hb_model_info lacks '$want': $(cat info.txt)"
done
"$info" --disasm "$bin" >disasm.txt 2>&1 || fail "hb_model_info --disasm: $(cat disasm.txt)"
nd=$(grep -Ec '^  \[ *[0-9]+\] [a-z]+' disasm.txt)
[ "$nd" -eq "$ninsn" ] || fail "--disasm printed $nd instructions, hb_perf counts $ninsn"
grep -Eq '^  \[ *[0-9]+\] end' disasm.txt || fail "--disasm: no END"

# bad TOOL STATUS WANT ARGS...: TOOL must exit with STATUS and print WANT.
bad() {
  local tool=$1 st=$2 want=$3
  shift 3
  "$tool" "$@" >bad.txt 2>&1
  local s=$?
  [ $s -eq "$st" ] || fail "$(basename "$tool") $*: exit $s, expected $st: $(cat bad.txt)"
  grep -qF -- "$want" bad.txt || fail "$(basename "$tool") $*: no '$want' in: $(cat bad.txt)"
}
bad "$perf" 1 "truncated" -o perf "$trunc"
bad "$info" 1 "truncated" "$trunc"
bad "$perf" 1 "is not a bin model" "$corpus/../../fuzz_bin.c"
bad "$perf" 1 "no model named 'x'" -m x -o perf "$bin"
bad "$info" 1 "no model named 'x'" -m x "$bin"
bad "$perf" 2 "unexpected argument '--bogus'" --bogus "$bin"
bad "$info" 2 "Usage: hb_model_info"
echo "bin_tools.sh: all checks passed"
