#!/usr/bin/env bash
# Convert every model of tests/data/models with hb_mapper makertbin (method default, bayes-e, O3)
# and check each .bin against its quantized ONNX with hb_verifier on 10 seeded random inputs
# (issue 6's "done when"). Image models calibrate on tests/data/accuracy/photos through
# hb_eval_preprocess; featuremap models (super_resolution, mtcnn det1-3, Fashion-MNIST, and
# tests/unit/passes/shufflenet_tv.onnx as stv) on 4
# random float32 files (a bit-exactness check, not an accuracy one). Not part of CI (CI runs the
# same chain on cifar10_quick and mobilenet: tests/mapper/makertbin_e2e.sh); run by hand:
#   tests/tools/verify_all_models.sh BUILD_DIR [WORK_DIR]
# Needs a Release build with hb_mapper, hb_eval_preprocess and hb_verifier, and /usr/bin/python3
# with numpy for the random calibration files. Exit 0 when every model passes.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: verify_all_models.sh BUILD_DIR [WORK_DIR]}" && pwd)
work=${2:-$build/verify_all_models}
mapper=$build/converter/hb_mapper
prep=$build/converter/prep/hb_eval_preprocess
verifier=$build/converter/mapper/hb_verifier
M=$root/tests/data/models
rm -rf "$work" && mkdir -p "$work" && cd "$work"

for k in yunet fastestdet; do
  "$prep" -m $k -i "$root/tests/data/accuracy/photos" -o cal_$k > /dev/null
done
/usr/bin/python3 - << 'PY'
import os
import numpy as np
rng = np.random.default_rng(0)
for k, s in {'sr': (1, 224, 224), 'det1': (3, 12, 12), 'det2': (3, 24, 24),
             'det3': (3, 48, 48), 'fmnist': (1, 28, 28), 'stv': (3, 64, 64)}.items():
    os.makedirs('cal_' + k, exist_ok=True)
    for i in range(4):
        rng.random(s, dtype=np.float32).tofile(f'cal_{k}/s{i}.bin')
PY

yaml() { # name, model lines, input_parameters lines, cal_data_type
  cat > "$1.yaml" << Y
model_parameters:
$2
  march: 'bayes-e'
  working_dir: 'out_$1'
  output_model_file_prefix: '$1'
input_parameters:
  input_layout_train: 'NCHW'
$3
calibration_parameters:
  cal_data_dir: './cal_$1'
  cal_data_type: '$4'
  calibration_type: 'default'
compiler_parameters:
  compile_mode: 'latency'
  optimize_level: 'O3'
Y
}
fm="  input_type_train: 'featuremap'
  input_type_rt: 'featuremap'
  norm_type: 'no_preprocess'"
yaml yunet "  onnx_model: '$M/onnx/yunet_n_320_320.onnx'" "  input_type_train: 'bgr'
  input_type_rt: 'bgr'
  norm_type: 'no_preprocess'" uint8
yaml fastestdet "  onnx_model: '$M/onnx/fastestdet.onnx'" "  input_type_train: 'rgb'
  input_type_rt: 'rgb'
  norm_type: 'data_scale'
  scale_value: '0.00392156862745098'" uint8
yaml sr "  onnx_model: '$M/onnx/super_resolution/super_resolution.onnx'" "$fm
  input_shape: '1x1x224x224'" float32
yaml fmnist "  onnx_model: '$M/fmnist/fmnist_cnn.onnx'" "$fm" float32
yaml stv "  onnx_model: '$root/tests/unit/passes/shufflenet_tv.onnx'" "$fm" float32
for d in det1 det2 det3; do
  yaml $d "  prototxt: '$M/caffe/mtcnn/$d.prototxt'
  caffe_model: '$M/caffe/mtcnn/$d.caffemodel'" "$fm" float32
done

fails=0
for m in yunet fastestdet sr fmnist det1 det2 det3 stv; do
  t=onnx
  case $m in det*) t=caffe ;; esac
  t0=$(date +%s.%N)
  if ! "$mapper" makertbin -c $m.yaml --model-type $t > $m.log 2>&1; then
    echo "FAIL $m: makertbin (see $work/$m.log)"; fails=$((fails + 1)); continue
  fi
  t1=$(date +%s.%N)
  if "$verifier" -q out_$m/${m}_quantized_model.onnx -b out_$m/$m.bin --random 10 1 > $m.verify 2>&1
  then
    printf 'PASS %-10s makertbin %5.1f s; %s\n' $m "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
      "$(grep -c 'equal bit for bit on 10 inputs' $m.verify) output(s) equal bit for bit on 10 inputs"
  else
    echo "FAIL $m: hb_verifier"; cat $m.verify; fails=$((fails + 1))
  fi
done
[ "$fails" = 0 ]
