#!/usr/bin/env bash
# Whole-network simulation speed: the BPU simulator running random-weight MobileNetV1-224
# (tests/bench/gen_models.py), quantised and compiled for bayes-e O3 (bench_sim_network), against
# onnxruntime-node on the same network in fp32 and in int8 (a QOperator model made from our
# quantized model by tests/bench/gen_ort_int8.py, uint8 activations: onnxruntime's U8S8 kernels).
# One thread each; the three are timed alternately, ROUNDS times, each time N runs (onnxruntime
# after W warm-up runs, bench_sim_network after one); the table gives the median over rounds of
# each round's median host wall time per inference, and the ratios. bench_sim_network also prints
# the host-time split of the simulation per instruction class (last round's).
#
#   tests/bench/run_sim_bench.sh [BUILD_DIR]
#
# BUILD_DIR (default: build-bench at the repository root) must hold, or will get, a Release build;
# bench_sim_network is (re)built there. Models go to BUILD_DIR/bench_models. onnxruntime-node@1.30.0
# is installed into tests/bench/node_modules when missing (npm, with --ignore-scripts).
# Environment: HB_BENCH_RUNS (N, default 50), HB_BENCH_WARMUP (W, default 5),
#              HB_BENCH_ROUNDS (default 3), HB_ISA (simulator kernel variant, default the best).
# Needs: cmake and a C compiler, /usr/bin/python3 with numpy and onnx (python3-onnx), node + npm.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
runs=${HB_BENCH_RUNS:-50}
warmup=${HB_BENCH_WARMUP:-5}
rounds=${HB_BENCH_ROUNDS:-3}
python=/usr/bin/python3
[ -x "$python" ] || python=python3

die() { echo "run_sim_bench.sh: $*" >&2; exit 1; }
command -v node > /dev/null || die "node is not installed"

# ---- build -----------------------------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; die "cmake configure failed"; }
fi
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
san=$(sed -n 's/^HB_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ "$btype" = Release ] || die "$build is a '$btype' build; benchmark a Release build"
case "$san" in ON|TRUE|1) die "$build has HB_SANITIZE=ON; benchmark a build without sanitizers" ;; esac
cmake --build "$build" --target bench_sim_network -j2 > "$build/bench_sim_build.log" 2>&1 ||
  { tail -n 30 "$build/bench_sim_build.log"; die "building bench_sim_network failed"; }
sim=$build/tests/bench/bench_sim_network
[ -x "$sim" ] || die "$sim was not built"

# ---- models ----------------------------------------------------------------------------------
mdir=$build/bench_models
fp32=$mdir/mobilenet_v1_224.onnx
if [ ! -f "$fp32" ] || [ "$here/gen_models.py" -nt "$fp32" ]; then
  "$python" "$here/gen_models.py" "$mdir" || die "gen_models.py failed"
fi
[ -f "$fp32" ] || die "no model $fp32"
quant=$mdir/mobilenet_v1_224_quantized_model.onnx
int8=$mdir/mobilenet_v1_224_ort_int8.onnx
"$sim" "$fp32" --runs 1 --save-quantized "$quant" > /dev/null || die "bench_sim_network failed"
"$python" "$here/gen_ort_int8.py" "$quant" "$int8" || die "gen_ort_int8.py failed"

# ---- onnxruntime-node ------------------------------------------------------------------------
if [ ! -f "$here/node_modules/onnxruntime-node/package.json" ]; then
  echo "installing onnxruntime-node@1.30.0 into $here/node_modules"
  npm install --prefix "$here" --no-save --no-audit --no-fund --ignore-scripts \
    onnxruntime-node@1.30.0 > /dev/null || die "npm install onnxruntime-node failed"
fi
ort_version=$(node -p "require('$here/node_modules/onnxruntime-node/package.json').version")

# ---- timing ----------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "CPU: ${cpu:-unknown} ($(nproc) logical CPUs); node $(node --version), onnxruntime-node $ort_version"
echo "one thread each; $rounds alternating rounds of $runs runs"
# host wall time: "median X ms min Y ms" right after "sim" (bench_sim_network's line goes on with
# the thread CPU time, which onnxruntime's does not have), or at the end of ort_time.js's line
median_of() { sed -n -e 's/^sim median \([0-9.]*\) ms min .*/\1/p' \
  -e 's/^ort .* median \([0-9.]*\) ms min [0-9.]* ms$/\1/p'; }
min_of() { sed -n -e 's/^sim median [0-9.]* ms min \([0-9.]*\) ms.*/\1/p' \
  -e 's/^ort .* median [0-9.]* ms min \([0-9.]*\) ms$/\1/p'; }
sims="" i8s="" f32s="" msims="" mi8s="" mf32s="" out=""
for r in $(seq 1 "$rounds"); do
  out=$("$sim" "$fp32" --runs "$runs") || die "bench_sim_network failed"
  l_sim=$(grep '^sim median' <<< "$out")
  l_i8=$(node "$here/ort_time.js" "$int8" "$runs" "$warmup") || die "ort_time.js failed"
  l_f32=$(node "$here/ort_time.js" "$fp32" "$runs" "$warmup") || die "ort_time.js failed"
  t_sim=$(median_of <<< "$l_sim") t_i8=$(median_of <<< "$l_i8") t_f32=$(median_of <<< "$l_f32")
  [ -n "$t_sim" ] && [ -n "$t_i8" ] && [ -n "$t_f32" ] || die "could not read the times"
  printf "round %d  simulator %8.3f ms  onnxruntime int8 %8.3f ms  fp32 %8.3f ms  (medians)\n" \
    "$r" "$t_sim" "$t_i8" "$t_f32"
  sims="$sims $t_sim" i8s="$i8s $t_i8" f32s="$f32s $t_f32"
  msims="$msims $(min_of <<< "$l_sim")" mi8s="$mi8s $(min_of <<< "$l_i8")"
  mf32s="$mf32s $(min_of <<< "$l_f32")"
done
echo
echo "last round's bench_sim_network:"
echo "$out"

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
minimum() { tr ' ' '\n' | sed '/^$/d' | sort -g | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
a=$(median <<< "$sims") b=$(median <<< "$i8s") c=$(median <<< "$f32s")
ma=$(minimum <<< "$msims") mb=$(minimum <<< "$mi8s") mc=$(minimum <<< "$mf32s")
echo
echo "MobileNetV1-224, ms per inference: median of the round medians, and the fastest single run"
echo "(the minimum is the least disturbed by other load on the machine)"
printf "%-36s %10s %10s\n" "" median min
printf "%-36s %10.3f %10.3f\n" "simulator (bayes-e O3)" "$a" "$ma" \
  "onnxruntime int8 (QOperator, U8S8)" "$b" "$mb" "onnxruntime fp32" "$c" "$mc"
printf "%-36s %10s %10s   %s\n" "simulator / onnxruntime int8" "$(ratio "$a" "$b")" \
  "$(ratio "$ma" "$mb")" "(requirement <= 2)"
printf "%-36s %10s %10s   %s\n" "simulator / onnxruntime fp32" "$(ratio "$a" "$c")" \
  "$(ratio "$ma" "$mc")" "(requirement < 1)"
printf "%-36s %10s %10s   %s\n" "onnxruntime fp32 / int8" "$(ratio "$c" "$b")" \
  "$(ratio "$mc" "$mb")" "(> 1: onnxruntime ran int8 kernels)"
