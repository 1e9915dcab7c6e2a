#!/bin/sh
# Regenerates the quantized-model fixtures of tests/data/quant (CI never runs this).
#   tests/quant/make_fixtures.sh BUILD_DIR      (BUILD_DIR holds converter/quant/hb_quant_fixture)
# For each model: inputs (make_inputs.py / make_synthetic.py), thresholds = absmax over those
# inputs and quantisation in C (hb_quant_fixture, which also prints the cosine similarity of
# each dequantised output with the float output), then goldens from the committed quantized
# file by the independent numpy implementation (qref.py).
set -eu
B=$1
R=$(cd "$(dirname "$0")/../.." && pwd)
D=$R/tests/data/quant
PY=/usr/bin/python3
TOOL=$B/converter/quant/hb_quant_fixture
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

$PY "$R/tests/quant/make_inputs.py" "$R/../shared/data/photos" "$T"
$PY "$R/tests/quant/make_synthetic.py" "$T/synthetic"

one() { # name float-model... [-- tool options]
    name=$1
    shift
    rm -rf "${D:?}/$name"
    mkdir -p "$D/$name"
    cp "$T/$name"/input_*.npy "$D/$name/"
    "$TOOL" -o "$D/$name/model.onnx" "$@" -- "$D/$name"/input_*.npy
    $PY "$R/tests/quant/qref.py" "$D/$name"
}
M=$R/tests/data/models/caffe/cifar10_quick
one cifar10_quick "$M/cifar10_quick.prototxt" "$M/cifar10_quick_iter_5000.caffemodel"
one synthetic --cpu cpu_relu "$T/synthetic/float_model.onnx"
one yunet "$T/yunet/float_model.onnx"
# shufflenet_tv (tests/unit/passes/make_shufflenet.py) after the graph passes: channel Gathers,
# channel-step Slices, Concats whose inputs are requantised once; two seeded uniform [0, 1) inputs
mkdir -p "$T/shufflenet_tv"
$PY -c "import numpy as np; r = np.random.default_rng(0)
for i in range(2): np.save('$T/shufflenet_tv/input_%d.npy' % i, r.random((1, 3, 64, 64), dtype=np.float32))"
one shufflenet_tv --optimize "$R/tests/unit/passes/shufflenet_tv.onnx"
