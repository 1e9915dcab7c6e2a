#!/usr/bin/python3
"""Write the custom-op fixtures (tests/custom_op, docs/custom-ops.md).

Usage: /usr/bin/python3 tests/data/custom_op/make_model.py   # (re)write them next to this file

Made with python3-onnx 1.12.0 and numpy 1.24.2 (Debian 12); fixed seed, so every run gives the same
files.
  swish.onnx      data 1x3x16x16 -> Conv 3x3 pad 1 (8 ch) -> SampleSwish(beta=1.5) (default
                  domain, the op of samples/custom_op) -> Conv 1x1 (4 ch) -> out 1x4x16x16.
                  opset 11, IR 6. onnx.checker cannot know SampleSwish, so it is not run.
  input.npy       one float32 input 1x3x16x16, values in [-2, 2).
  expected.npy    out for input.npy, computed here in float64 with numpy (direct convolution,
                  x * sigmoid(beta * x)), stored as float32.
  cal_f32/*.bin   four raw float32 NCHW calibration samples (cal_data_type float32).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
BETA = 1.5


def conv2d(x, w, b, pad):
    """Direct NCHW convolution, stride 1, in float64."""
    n, c, h, wd = x.shape
    k = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - k + 1, wd + 2 * pad - k + 1
    y = np.zeros((n, w.shape[0], oh, ow))
    for o in range(w.shape[0]):
        for i in range(c):
            for dy in range(k):
                for dx in range(k):
                    y[:, o] += w[o, i, dy, dx] * xp[:, i, dy:dy + oh, dx:dx + ow]
        y[:, o] += b[o]
    return y


def reference(x, w1, b1, w2, b2):
    y = conv2d(x.astype(np.float64), w1.astype(np.float64), b1.astype(np.float64), 1)
    y = y / (1.0 + np.exp(-BETA * y))
    return conv2d(y, w2.astype(np.float64), b2.astype(np.float64), 0)


def main():
    rng = np.random.default_rng(20261126)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((4, 8, 1, 1)) * 0.4).astype(np.float32)
    b2 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["data", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1],
                         kernel_shape=[3, 3]),
        helper.make_node("SampleSwish", ["c1"], ["s1"], name="swish1", beta=BETA),
        helper.make_node("Conv", ["s1", "w2", "b2"], ["out"], name="conv2", kernel_shape=[1, 1]),
    ]
    graph = helper.make_graph(
        nodes, "swish",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 4, 16, 16])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"),
                                                    (b2, "b2"))])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)],
                          producer_name="make_model.py", producer_version="1")
    m.ir_version = 6
    with open(os.path.join(HERE, "swish.onnx"), "wb") as f:
        f.write(m.SerializeToString())

    x = rng.uniform(-2, 2, (1, 3, 16, 16)).astype(np.float32)
    np.save(os.path.join(HERE, "input.npy"), x)
    np.save(os.path.join(HERE, "expected.npy"), reference(x, w1, b1, w2, b2).astype(np.float32))
    os.makedirs(os.path.join(HERE, "cal_f32"), exist_ok=True)
    for i in range(4):
        c = rng.uniform(-2, 2, (1, 3, 16, 16)).astype(np.float32)
        c.tofile(os.path.join(HERE, "cal_f32", "sample%d.bin" % i))


if __name__ == "__main__":
    main()
