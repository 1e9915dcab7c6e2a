#!/usr/bin/env bash
# Host side of the aarch64 tests (docs/board.md): with the x86 (host) build of the same commit,
# make the .bin models, their inputs and the x86 simulator's outputs in OUT_DIR, which the cross
# build's tests read (cmake -DHB_ARM_FIXTURES=OUT_DIR; scripts/test_arm.sh does both).
#   tests/arm/make_arm_fixtures.sh HOST_BUILD_DIR OUT_DIR [--mobilenet]
# HOST_BUILD_DIR must have the targets hb_test_mkbin and hb_arm_equal built.
#   OUT_DIR/samples/        what tests/samples/make_models.cmake makes (the samples' tests)
#   OUT_DIR/equal/*.bin     models of the equality test, with their inputs (*.nv12, *.gray)
#   OUT_DIR/equal/ref/      the x86 outputs (hb_arm_equal record: <case>.out<k>)
#   OUT_DIR/x86_hashes.txt  the x86 outputs' FNV-1a 64 hashes, as hb_arm_equal prints them
#   OUT_DIR/cases.txt       one equality case a line: NAME MODEL INPUT...
# Written into OUT_DIR.tmp and renamed when complete.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 HOST_BUILD_DIR OUT_DIR [--mobilenet]" >&2; exit 2; }
src=$(cd "$(dirname "$0")/../.." && pwd)
host=$(cd "$1" && pwd)
out=$2
mobilenet=0
[ "${3:-}" = --mobilenet ] && mobilenet=1
mkbin=$(find "$host" -name hb_test_mkbin -type f -perm -u+x | head -n 1)
equal=$(find "$host" -name hb_arm_equal -type f -perm -u+x | head -n 1)
if [ -z "$mkbin" ] || [ -z "$equal" ]; then
  echo "$0: $host lacks hb_test_mkbin or hb_arm_equal (build those targets)" >&2
  exit 1
fi
tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/samples" "$tmp/equal/ref"
cmake -DMKBIN="$mkbin" -DSRC="$src" -DWORK="$tmp/samples" -P "$src/tests/samples/make_models.cmake"

e="$tmp/equal"
s="$tmp/samples"
cp "$s/cifar_nv12.bin" "$s/fmnist.bin" "$s/photo32.nv12" "$e/"
# the first Fashion-MNIST test image: 784 gray bytes after the IDX header (16 bytes)
dd if="$s/fmnist_test.idx" of="$e/fmnist0.gray" bs=16 skip=1 count=49 status=none
{
  echo "cifar10_quick_nv12_photo cifar_nv12.bin photo32.nv12"
  echo "cifar10_quick_nv12_random cifar_nv12.bin random:1"
  echo "fmnist_cnn_image0 fmnist.bin fmnist0.gray"
  echo "fmnist_cnn_random fmnist.bin random:2"
} > "$tmp/cases.txt"
# A ShuffleNetV2 in torchvision's form (tests/unit/passes/shufflenet_tv.onnx, random weights):
# its shuffles become channel Gathers and channel-step Slices, lowered as 0/1 convolutions
stv_calib=()
while read -r p; do
  stv_calib+=(--calib "$p")
done < <(find "$src/tests/data/accuracy/photos" -maxdepth 1 \( -name '*.jpg' -o -name '*.png' \) \
         | LC_ALL=C sort | head -n 4)
"$mkbin" bin -o "$e/shufflenet_tv.bin" -q "$e/shufflenet_tv_quantized.onnx" --type-rt rgb \
  --type-train rgb --scale 0.00392156862745098 \
  --onnx "$src/tests/unit/passes/shufflenet_tv.onnx" "${stv_calib[@]}"
rm -f "$e/shufflenet_tv_quantized.onnx"
echo "shufflenet_tv_random shufflenet_tv.bin random:3" >> "$tmp/cases.txt"
if [ "$mobilenet" = 1 ]; then
  # ImageNet MobileNet v1 0.75 at 192x192, (p - 128) / 128 on RGB, NV12 at run time; calibrated
  # on the accuracy photos
  calib=()
  while read -r p; do
    calib+=(--calib "$p")
  done < <(find "$src/tests/data/accuracy/photos" -maxdepth 1 \( -name '*.jpg' -o -name '*.png' \) \
             | LC_ALL=C sort | head -n 8)
  [ ${#calib[@]} -gt 0 ] || { echo "$0: no photos in tests/data/accuracy/photos" >&2; exit 1; }
  "$mkbin" bin -o "$e/mobilenet_nv12.bin" -q "$e/mobilenet_nv12_quantized.onnx" --type-rt nv12 \
    --type-train rgb --mean 128 --scale 0.0078125 \
    --onnx "$src/tests/data/models/onnx/mobilenet_v1_0.75_192.onnx" "${calib[@]}"
  rm -f "$e/mobilenet_nv12_quantized.onnx"
  photo=$(cat "$s/photo.txt")
  "$mkbin" ppm "$photo" 192 192 1 "$e/photo192.nv12"
  echo "mobilenet_v1_0.75_192_nv12_photo mobilenet_nv12.bin photo192.nv12" >> "$tmp/cases.txt"
fi
: > "$tmp/x86_hashes.txt"
while read -r name model inputs; do
  ins=()
  for i in $inputs; do
    case $i in random:*) ins+=("$i") ;; *) ins+=("$e/$i") ;; esac
  done
  echo "== $name" >> "$tmp/x86_hashes.txt"
  # recorded on the simulator backend: the aarch64 runs (board backend) are checked against it
  (cd "$e" && HB_BPU_EXPECT_ISA='' HB_DNN_BACKEND=sim HB_DNN_EXPECT_BACKEND=sim \
    "$equal" record "$e/$model" "$e/ref/$name" "${ins[@]}") >> "$tmp/x86_hashes.txt"
done < "$tmp/cases.txt"
rm -rf "$out"
mv "$tmp" "$out"
cat "$out/x86_hashes.txt"
