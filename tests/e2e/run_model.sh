#!/usr/bin/env bash
# One end-to-end check: run a model on the float executor with hb_onnx_run and compare every
# output with its reference (hb_npy_compare). Used by tests/e2e/CMakeLists.txt.
#
#   run_model.sh --run HB_ONNX_RUN --compare HB_NPY_COMPARE --model MODEL.onnx --input INPUT.npy
#                --out DIR [--rtol R] [--atol-rel A] (--refs DIR | --ref NAME=FILE ...)
#
# --refs DIR takes every DIR/ref_<name>.npy as the reference of output <name> (sanitised as
# hb_onnx_run names its files); --ref names one output's reference (.npy or ONNX TensorProto .pb).
# The outputs written must be exactly the referenced ones. DIR (--out) is emptied first.
# Exit 0 when everything matches, 1 otherwise.
set -u

fail() { echo "run_model.sh: $*" >&2; exit 1; }

run='' compare='' model='' input='' out='' refdir=''
tol=()
refs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --run) run=$2; shift 2 ;;
    --compare) compare=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --rtol|--atol-rel) tol+=("$1" "$2"); shift 2 ;;
    --refs) refdir=$2; shift 2 ;;
    --ref) refs+=("$2"); shift 2 ;;
    *) fail "unknown argument '$1'" ;;
  esac
done
[ -n "$run" ] && [ -n "$compare" ] && [ -n "$model" ] && [ -n "$input" ] && [ -n "$out" ] ||
  fail "missing one of --run --compare --model --input --out"

if [ -n "$refdir" ]; then
  for f in "$refdir"/ref_*.npy; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .npy)
    refs+=("${name#ref_}=$f")
  done
fi
[ ${#refs[@]} -gt 0 ] || fail "no references given (--refs DIR holds no ref_*.npy?)"

case "$out" in /*) ;; *) fail "--out must be an absolute path" ;; esac
rm -rf -- "$out"
mkdir -p -- "$out" || fail "cannot create $out"

echo "+ $run $model $input -o $out"
"$run" "$model" "$input" -o "$out"
st=$?
[ $st -eq 0 ] || fail "hb_onnx_run exited with status $st"

status=0
declare -A expected=()
for r in "${refs[@]}"; do
  name=${r%%=*}
  file=${r#*=}
  expected[$name]=1
  if [ ! -f "$out/$name.npy" ]; then
    echo "FAIL: output '$name' was not written (expected $out/$name.npy)"
    status=1
    continue
  fi
  echo "== output $name"
  "$compare" "$out/$name.npy" "$file" "${tol[@]}" || status=1
done
for f in "$out"/*.npy; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .npy)
  if [ -z "${expected[$name]:-}" ]; then
    echo "FAIL: output '$name' has no reference"
    status=1
  fi
done
[ $status -eq 0 ] && echo "all ${#refs[@]} output(s) match" || echo "MISMATCH"
exit $status
