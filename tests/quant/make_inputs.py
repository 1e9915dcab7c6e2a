#!/usr/bin/python3
"""Inputs of the quantized-model fixtures, from the photos of ../shared/data/photos.

    make_inputs.py PHOTOS_DIR OUT_DIR
      OUT_DIR/cifar10_quick/input_<r>.npy   1x3x32x32, BGR, pixel - 128 (float32)
      OUT_DIR/yunet/input_<r>.npy           1x3x64x64, BGR, 0..255 (float32)
      OUT_DIR/yunet/float_model.onnx        YuNet with its input set to 1x3x64x64 (every
                                            Reshape uses -1 and Resize uses scales, so the
                                            network is size-independent)
"""
import os
import sys

import numpy as np
import onnx
from PIL import Image

photos, out = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))


def bgr(name, size):
    im = Image.open(os.path.join(photos, name)).convert("RGB").resize((size, size), Image.BILINEAR)
    return np.ascontiguousarray(np.asarray(im, dtype=np.float32)[:, :, ::-1].transpose(2, 0, 1)[None])


os.makedirs(os.path.join(out, "cifar10_quick"), exist_ok=True)
for r, n in enumerate(["dog.jpg", "kite.jpg", "horses.jpg", "flower.jpg"]):
    np.save(os.path.join(out, "cifar10_quick", "input_%d.npy" % r), bgr(n, 32) - 128.0)

os.makedirs(os.path.join(out, "yunet"), exist_ok=True)
for r, n in enumerate(["grace_hopper.jpg", "china.jpg"]):
    np.save(os.path.join(out, "yunet", "input_%d.npy" % r), bgr(n, 64))
m = onnx.load(os.path.join(here, "..", "data", "models", "onnx", "yunet_n_320_320.onnx"))
for d, v in zip(m.graph.input[0].type.tensor_type.shape.dim, [1, 3, 64, 64]):
    d.dim_value = v
del m.graph.value_info[:]
for o in m.graph.output:
    o.type.tensor_type.ClearField("shape")
onnx.save(m, os.path.join(out, "yunet", "float_model.onnx"))
