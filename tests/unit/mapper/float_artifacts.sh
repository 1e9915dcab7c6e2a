#!/usr/bin/env bash
# The float artifacts of hb_mapper on a real model: run hb_mapper (checker or makertbin) in an
# empty folder, then run its <prefix>_original_float_model.onnx and
# <prefix>_optimized_float_model.onnx on the float executor and compare every output with the
# reference (tests/e2e/run_model.sh: hb_onnx_run + hb_npy_compare). Used by
# converter/mapper/CMakeLists.txt (label e2e).
#
#   float_artifacts.sh --mapper HB_MAPPER --run-model RUN_MODEL_SH --run HB_ONNX_RUN
#       --compare HB_NPY_COMPARE --out DIR --input INPUT.npy [--rc N]
#       [--config-template T.yaml.in --models DIR] [--rtol R] [--atol-rel A]
#       (--refs DIR | --ref NAME=FILE ...) -- HB_MAPPER_ARGS...
#
# --config-template: copied to DIR/config.yaml with @MODELS@ replaced by --models (the YAML's
# relative working_dir then lands in DIR); pass "-c config.yaml" among HB_MAPPER_ARGS.
# --rc: the exit status hb_mapper must return (default 0). Exit 0 when everything matches, 1
# otherwise.
set -u

fail() { echo "float_artifacts.sh: $*" >&2; exit 1; }

mapper='' runmodel='' run='' compare='' out='' input='' rc=0 template='' models=''
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mapper) mapper=$2; shift 2 ;;
    --run-model) runmodel=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --compare) compare=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --rc) rc=$2; shift 2 ;;
    --config-template) template=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --rtol|--atol-rel|--refs|--ref) pass+=("$1" "$2"); shift 2 ;;
    --) shift; break ;;
    *) fail "unknown argument '$1'" ;;
  esac
done
[ -n "$mapper" ] && [ -n "$runmodel" ] && [ -n "$run" ] && [ -n "$compare" ] && [ -n "$out" ] &&
  [ -n "$input" ] || fail "missing one of --mapper --run-model --run --compare --out --input"
case "$out" in /*) ;; *) fail "--out must be an absolute path" ;; esac
rm -rf -- "$out"
mkdir -p -- "$out/work" || fail "cannot create $out"
cd -- "$out/work" || fail "cannot enter $out/work"
if [ -n "$template" ]; then
  sed "s|@MODELS@|$models|g" "$template" > config.yaml || fail "cannot write config.yaml"
fi

echo "+ $mapper $*"
"$mapper" "$@"
st=$?
[ $st -eq "$rc" ] || fail "hb_mapper exited with status $st, expected $rc"

status=0
for kind in original optimized; do
  model=$(find . -name "*_${kind}_float_model.onnx" | head -n 1)
  [ -n "$model" ] || fail "hb_mapper wrote no *_${kind}_float_model.onnx"
  echo "== $kind float model $model"
  bash "$runmodel" --run "$run" --compare "$compare" --model "$out/work/${model#./}" \
    --input "$input" --out "$out/$kind" "${pass[@]}" || status=1
done
exit $status
