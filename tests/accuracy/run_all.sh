#!/bin/bash
# Regenerate the measured section of docs/accuracy.md (between its "run_all.sh begin/end"
# markers) with hb_accuracy_eval: every model of issue 4, every calibration method.
#
# usage: tests/accuracy/run_all.sh [BUILD_DIR]      (default BUILD_DIR: build; Release build of
#        the hb_accuracy_eval target)
# Data: HB_PHOTOS (default ../shared/data/photos beside the repository): its *.jpg and *.png sorted by name (C
# locale); every third one (the 3rd, 6th, ...) is held out for evaluation, the others calibrate.
# HB_FMNIST (default /usr/share/datasets/fashion-mnist, Debian package dataset-fashion-mnist).
# Takes about 15 minutes on one core.
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
EVAL=$BUILD/tests/accuracy/hb_accuracy_eval
PHOTOS=${HB_PHOTOS:-$ROOT/../shared/data/photos}
FMNIST=${HB_FMNIST:-/usr/share/datasets/fashion-mnist}
DOC=$ROOT/docs/accuracy.md
M=$ROOT/tests/data/models
[ -x "$EVAL" ] || { echo "run_all.sh: $EVAL not built" >&2; exit 2; }
grep -q '^<!-- run_all.sh begin -->$' "$DOC" && grep -q '^<!-- run_all.sh end -->$' "$DOC" ||
  { echo "run_all.sh: $DOC has no run_all.sh markers" >&2; exit 2; }

mapfile -t ALL < <(find "$PHOTOS" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) | sort)
CAL=() HELD=()
for i in "${!ALL[@]}"; do
  if (( (i + 1) % 3 == 0 )); then HELD+=("${ALL[$i]}"); else CAL+=("${ALL[$i]}"); fi
done
name_list() { local f out=(); for f in "$@"; do out+=("$(basename "$f")"); done; echo "${out[*]}"; }

OUT=$(mktemp "$DOC.XXXXXX")
trap 'rm -f "$OUT" "$OUT.sec"' EXIT
# section TITLE -- hb_accuracy_eval arguments...
section() {
  local title=$1
  shift 2
  { echo; echo "### $title"; echo; echo '```'
    echo "hb_accuracy_eval $(echo "$@" | sed "s#$PHOTOS/##g; s#$ROOT/##g")"; echo '```'; echo
  } >> "$OUT.sec"
  "$EVAL" "$@" 2>&1 | grep -v '^WARNING calibration_type skip' >> "$OUT.sec"
}
photos() { echo --calib "${CAL[@]}" --eval "${HELD[@]}"; }

: > "$OUT.sec"
{
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`tests/accuracy/run_all.sh\` (git $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), Release build)."
  echo "Calibration photos (${#CAL[@]}): $(name_list "${CAL[@]}")."
  echo "Held-out photos (${#HELD[@]}): $(name_list "${HELD[@]}")."
} >> "$OUT.sec"
section "Fashion-MNIST CNN (fmnist_cnn.onnx), 100 training images, 10,000 test images" -- \
  "$M/fmnist/fmnist_cnn.onnx" --fmnist-idx "$FMNIST" --n-calib 100
section "Fashion-MNIST QAT model (fmnist_qat.onnx): load, and the other methods" -- \
  "$M/fmnist/fmnist_qat.onnx" --fmnist-idx "$FMNIST" --n-calib 100 --method load \
  --method default --method mix --method kl --method max --method pct --method skip
section "mobilenet_v1_0.75_192" -- "$M/onnx/mobilenet_v1_0.75_192.onnx" --kind mobilenet $(photos)
section "mobilenet_v1_0.75_192, default, per tensor on mate_Storm.jpg (the worst photo)" -- \
  "$M/onnx/mobilenet_v1_0.75_192.onnx" --kind mobilenet --method default --nodes \
  --calib "${CAL[@]}" --eval "$PHOTOS/mate_Storm.jpg"
section "cifar10_quick (Caffe), photos resized to 32x32" -- \
  "$M/caffe/cifar10_quick/cifar10_quick.prototxt" \
  "$M/caffe/cifar10_quick/cifar10_quick_iter_5000.caffemodel" --kind cifar10 $(photos)
section "yunet_n_320_320" -- "$M/onnx/yunet_n_320_320.onnx" --kind yunet $(photos)
section "yunet_n_320_320, default, every supported node on the BPU (--bpu-tail)" -- \
  "$M/onnx/yunet_n_320_320.onnx" --kind yunet --method default --bpu-tail $(photos)
section "fastestdet" -- "$M/onnx/fastestdet.onnx" --kind fastestdet $(photos)
section "fastestdet, default, every supported node on the BPU (--bpu-tail)" -- \
  "$M/onnx/fastestdet.onnx" --kind fastestdet --method default --bpu-tail $(photos)
section "mobilenet_v1_0.75_192, default, every supported node on the BPU (--bpu-tail)" -- \
  "$M/onnx/mobilenet_v1_0.75_192.onnx" --kind mobilenet --method default --bpu-tail $(photos)
# Every activation signed (--signed-acts): the quantiser before unsigned activations
# (docs/quantized-ops.md section 2), for the comparison in docs/accuracy.md.
for m in mobilenet_v1_0.75_192:mobilenet yunet_n_320_320:yunet fastestdet:fastestdet; do
  section "${m%%:*}, default, every activation signed (--signed-acts)" -- \
    "$M/onnx/${m%%:*}.onnx" --kind "${m##*:}" --method default --signed-acts $(photos)
done
section "Fashion-MNIST CNN, default, every activation signed (--signed-acts)" -- \
  "$M/fmnist/fmnist_cnn.onnx" --fmnist-idx "$FMNIST" --n-calib 100 --method default --signed-acts
# The refinement of the quantized weights and biases on the calibration photos
# (docs/quantized-ops.md section 8), every method, and each of its two steps alone.
REF=(--round-weights --bias-corr)
section "mobilenet_v1_0.75_192, refined (--round-weights --bias-corr)" -- \
  "$M/onnx/mobilenet_v1_0.75_192.onnx" --kind mobilenet "${REF[@]}" $(photos)
section "yunet_n_320_320, refined (--round-weights --bias-corr)" -- \
  "$M/onnx/yunet_n_320_320.onnx" --kind yunet "${REF[@]}" $(photos)
section "fastestdet, refined (--round-weights --bias-corr)" -- \
  "$M/onnx/fastestdet.onnx" --kind fastestdet "${REF[@]}" $(photos)
section "cifar10_quick, refined (--round-weights --bias-corr)" -- \
  "$M/caffe/cifar10_quick/cifar10_quick.prototxt" \
  "$M/caffe/cifar10_quick/cifar10_quick_iter_5000.caffemodel" --kind cifar10 "${REF[@]}" $(photos)
section "Fashion-MNIST CNN, refined (--round-weights --bias-corr)" -- \
  "$M/fmnist/fmnist_cnn.onnx" --fmnist-idx "$FMNIST" --n-calib 100 "${REF[@]}"
for step in --bias-corr --round-weights; do
  section "mobilenet_v1_0.75_192, default, $step only" -- \
    "$M/onnx/mobilenet_v1_0.75_192.onnx" --kind mobilenet --method default $step $(photos)
  section "yunet_n_320_320, default, $step only" -- \
    "$M/onnx/yunet_n_320_320.onnx" --kind yunet --method default $step $(photos)
  section "fastestdet, default, $step only" -- \
    "$M/onnx/fastestdet.onnx" --kind fastestdet --method default $step $(photos)
done

# Replace the lines between the markers, then rename over the document.
awk -v sec="$OUT.sec" '
  /^<!-- run_all.sh begin -->$/ { print; while ((getline l < sec) > 0) print l; skip = 1; next }
  /^<!-- run_all.sh end -->$/ { skip = 0 }
  !skip { print }' "$DOC" > "$OUT"
mv "$OUT" "$DOC"
echo "run_all.sh: wrote $DOC"
