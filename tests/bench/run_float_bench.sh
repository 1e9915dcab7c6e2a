#!/usr/bin/env bash
# Float speed benchmark: our float executor (hb_onnx_run) against onnxruntime-node, fp32, one
# thread each, on random-weight MobileNetV1-224 and ResNet-18 (tests/bench/gen_models.py).
#
#   tests/bench/run_float_bench.sh [BUILD_DIR]
#
# BUILD_DIR (default: build-bench at the repository root) must hold, or will get, a Release build;
# hb_onnx_run is (re)built there. The models are generated into BUILD_DIR/bench_models, and
# onnxruntime-node@1.30.0 is installed into tests/bench/node_modules when missing (npm, with
# --ignore-scripts). The two executors are timed alternately, ROUNDS times, each time N runs after
# W warm-up runs (onnxruntime; hb_onnx_run times all its N runs); the table gives the median over
# rounds of each round's median host wall time per inference.
# Environment: HB_BENCH_RUNS (N, default 50), HB_BENCH_WARMUP (W, default 5),
#              HB_BENCH_ROUNDS (default 3), HB_BENCH_MODELS (default "mobilenet_v1_224 resnet18_224").
# Needs: cmake and a C compiler, /usr/bin/python3 with numpy and onnx (python3-onnx), node + npm.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-bench}
case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
runs=${HB_BENCH_RUNS:-50}
warmup=${HB_BENCH_WARMUP:-5}
rounds=${HB_BENCH_ROUNDS:-3}
models=${HB_BENCH_MODELS:-"mobilenet_v1_224 resnet18_224"}
python=/usr/bin/python3
[ -x "$python" ] || python=python3

die() { echo "run_float_bench.sh: $*" >&2; exit 1; }
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
cmake --build "$build" --target hb_onnx_run -j2 > "$build/bench_build.log" 2>&1 ||
  { tail -n 30 "$build/bench_build.log"; die "building hb_onnx_run failed"; }
hb=$build/converter/hb_onnx_run
[ -x "$hb" ] || die "$hb was not built"

# ---- models ----------------------------------------------------------------------------------
mdir=$build/bench_models
need=0
for m in $models; do
  [ -f "$mdir/$m.onnx" ] && [ "$mdir/$m.onnx" -nt "$here/gen_models.py" ] || need=1
done
if [ $need = 1 ]; then
  "$python" "$here/gen_models.py" "$mdir" || die "gen_models.py failed"
fi
for m in $models; do [ -f "$mdir/$m.onnx" ] || die "no model $mdir/$m.onnx"; done

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
echo "one thread each; $rounds alternating rounds of $runs runs (onnxruntime after $warmup warm-ups)"
declare -A ours ort
for r in $(seq 1 "$rounds"); do
  for m in $models; do
    line=$(node "$here/ort_time.js" "$mdir/$m.onnx" "$runs" "$warmup") || die "ort_time.js failed on $m"
    t_ort=$(sed -n 's/.* median \([0-9.]*\) ms.*/\1/p' <<< "$line")
    line=$("$hb" "$mdir/$m.onnx" --random 1 --repeat "$runs" | grep '^host wall time') ||
      die "hb_onnx_run failed on $m"
    t_ours=$(sed -n 's/.* median \([0-9.]*\) ms.*/\1/p' <<< "$line")
    [ -n "$t_ort" ] && [ -n "$t_ours" ] || die "could not read the times for $m"
    printf "round %d  %-18s ours %9.3f ms  onnxruntime %9.3f ms\n" "$r" "$m" "$t_ours" "$t_ort"
    ours[$m]="${ours[$m]:-} $t_ours"
    ort[$m]="${ort[$m]:-} $t_ort"
  done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo
printf "%-18s %16s %22s %16s\n" model "ours median ms" "onnxruntime median ms" "ratio ours/ort"
for m in $models; do
  a=$(median <<< "${ours[$m]}")
  b=$(median <<< "${ort[$m]}")
  printf "%-18s %16.3f %22.3f %16.2f\n" "$m" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')"
done
