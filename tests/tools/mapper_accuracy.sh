#!/usr/bin/env bash
# Quantisation accuracy through the shipped tool (docs/accuracy.md, "Through hb_mapper"): for
# mobilenet_v1_0.75_192, yunet_n_320_320 and fastestdet, hb_mapper makertbin (method default,
# bayes-e, O3) calibrates on the calibration photos of tests/accuracy/run_all.sh (the shared
# photos sorted by name in the C locale, every third one held out), preprocessed by
# hb_eval_preprocess as hb_accuracy_eval does; then hb_mapper infer runs the optimized float
# model and the quantized model on each held-out photo, and hb_npy_compare gives the cosine of
# every output. Prints the makertbin time and the least cosine per output. Not part of CI; run by
# hand:
#   tests/tools/mapper_accuracy.sh BUILD_DIR [WORK_DIR]
# HB_PHOTOS: the photo folder (default ../shared/data/photos beside the repository);
# HB_OPTIMIZATION: calibration_parameters.optimization tokens to add (e.g. channel_equalization,
# bias_correction); none by default. Needs a
# Release build with hb_mapper, hb_eval_preprocess and hb_npy_compare.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: mapper_accuracy.sh BUILD_DIR [WORK_DIR]}" && pwd)
work=${2:-$build/mapper_accuracy}
photos=${HB_PHOTOS:-$root/../shared/data/photos}
mapper=$build/converter/hb_mapper
prep=$build/converter/prep/hb_eval_preprocess
cmp=$build/tests/e2e/hb_npy_compare
M=$root/tests/data/models/onnx
rm -rf "$work" && mkdir -p "$work/cal" "$work/held" && cd "$work"

mapfile -t all < <(find "$photos" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) | sort)
for i in "${!all[@]}"; do
  if (((i + 1) % 3 == 0)); then ln -s "${all[$i]}" held/; else ln -s "${all[$i]}" cal/; fi
done

# yaml NAME MODEL INPUT_TYPE NORM_TYPE [extra input_parameters lines]
yaml() {
  cat > "$1.yaml" << Y
model_parameters:
  onnx_model: '$M/$2'
  march: 'bayes-e'
  working_dir: 'out_$1'
  output_model_file_prefix: '$1'
input_parameters:
  input_type_train: '$3'
  input_type_rt: '$3'
  input_layout_train: 'NCHW'
  norm_type: '$4'
${5:-}
calibration_parameters:
  cal_data_dir: './cal_$1'
  cal_data_type: 'uint8'
  calibration_type: 'default'
${HB_OPTIMIZATION:+  optimization: '$HB_OPTIMIZATION'}
compiler_parameters:
  compile_mode: 'latency'
  optimize_level: 'O3'
Y
}
# the preprocessing of hb_accuracy_eval's kinds: (p - mean) * scale on hb_eval_preprocess's bytes
yaml mobilenet mobilenet_v1_0.75_192.onnx rgb data_mean_and_scale "  mean_value: '128 128 128'
  scale_value: '0.0078125'"
yaml yunet yunet_n_320_320.onnx bgr no_preprocess
yaml fastestdet fastestdet.onnx rgb data_scale "  scale_value: '0.00392156862745098'"

fails=0
for m in mobilenet yunet fastestdet; do
  "$prep" -m $m -i cal -o cal_$m > /dev/null
  "$prep" -m $m -i held -o held_$m > /dev/null
  t0=$(date +%s.%N)
  if ! "$mapper" makertbin -c $m.yaml --model-type onnx > $m.log 2>&1; then
    echo "FAIL $m: makertbin (see $work/$m.log)"; fails=$((fails + 1)); continue
  fi
  t1=$(date +%s.%N)
  in=$(sed -n 's/^INFO input name: \([^,]*\),.*/\1/p' $m.log | head -1)
  printf '%s: makertbin %.1f s (%d calibration photos); %s\n' $m \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$(ls cal | wc -l)" \
    "$(grep -E 'INFO [0-9]+ of [0-9]+ nodes on the BPU' $m.log | tail -1 | sed 's/^INFO //')"
  for f in held_$m/*.bin; do
    s=$(basename "$f" .bin)
    for a in optimized_float_model quantized_model; do
      "$mapper" infer --config $m.yaml --model-type onnx --model-file out_$m/${m}_$a.onnx \
        --image-file "$in" "$f" --input-layout NCHW --output-dir inf/$m/$a/$s > /dev/null 2>&1 ||
        { echo "FAIL $m: infer $a on $s"; fails=$((fails + 1)); }
    done
    for q in inf/$m/quantized_model/$s/*.npy; do
      o=$(basename "$q" .npy)
      c=$("$cmp" "$q" "inf/$m/optimized_float_model/$s/$o.npy" 2>&1 |
        sed -n 's/.*cosine similarity \([-0-9.eE+nai]*\).*/\1/p' || true)
      echo "$o $c $s" >> $m.cos
    done
  done
  # least cosine per output, over the held-out photos
  sort -k1,1 -k2,2g $m.cos | awk -v m=$m '!seen[$1]++ {
    printf "  %s %-8s min cosine %.4f (%s)\n", m, $1, $2, $3 }'
done
[ "$fails" = 0 ]
