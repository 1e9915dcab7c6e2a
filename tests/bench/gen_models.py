#!/usr/bin/python3
"""Random-weight fp32 ONNX models for the float speed benchmark (tests/bench/run_float_bench.sh).

  mobilenet_v1_224.onnx  MobileNetV1, width 1.0: 3x3/2 stem, 13 depthwise 3x3 + pointwise 1x1
                         pairs, each followed by ReLU6 (Clip 0..6), global average pool, 1024->1000
  resnet18_224.onnx      ResNet-18: 7x7/2 stem + ReLU, 3x3/2 max pool, 4 stages of 2 basic blocks
                         (3x3 convs, 1x1/2 projection where the shape changes), ReLU after each
                         residual Add, global average pool, 512->1000

Batch-norm is taken as folded into the convolutions (each Conv has a bias), as in deployed models.
Input "input" float32 1x3x224x224, output "logits" float32 1x1000, opset 13. Weights are He-normal
from numpy default_rng(seed): accuracy is meaningless, the models exist to be timed.

usage: /usr/bin/python3 tests/bench/gen_models.py OUTDIR   (needs numpy and python3-onnx)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 224
CLASSES = 1000


class Builder:
    """Appends nodes to one graph; tracks each activation's channel count and spatial size."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.weights = [], []
        self.count = 0
        self.macs = 0

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def weight(self, prefix, array):
        name = self.fresh(prefix)
        self.weights.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def node(self, op, inputs, **attrs):
        out = self.fresh(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, cout, kernel, stride=1, groups=1):
        """x = (name, channels, size); a biased Conv with 'same'-style padding (kernel // 2)."""
        name, cin, size = x
        fan_in = cin // groups * kernel * kernel
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), (cout, cin // groups, kernel, kernel))
        b = self.rng.normal(0.0, 0.01, cout)
        pad = kernel // 2
        out_size = (size + 2 * pad - kernel) // stride + 1
        self.macs += cout * out_size * out_size * fan_in
        y = self.node("Conv", [name, self.weight("w", w), self.weight("b", b)],
                      kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4,
                      group=groups)
        return (y, cout, out_size)

    def relu(self, x):
        return (self.node("Relu", [x[0]]), x[1], x[2])

    def relu6(self, x):
        lo = self.weight("lo", np.array(0.0))
        hi = self.weight("hi", np.array(6.0))
        return (self.node("Clip", [x[0], lo, hi]), x[1], x[2])

    def add(self, a, b):
        return (self.node("Add", [a[0], b[0]]), a[1], a[2])

    def max_pool(self, x):
        size = (x[2] + 2 - 3) // 2 + 1
        y = self.node("MaxPool", [x[0]], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        return (y, x[1], size)

    def classifier(self, x):
        pooled = self.node("GlobalAveragePool", [x[0]])
        flat = self.node("Flatten", [pooled], axis=1)
        w = self.rng.normal(0.0, np.sqrt(1.0 / x[1]), (CLASSES, x[1]))
        b = np.zeros(CLASSES)
        self.macs += x[1] * CLASSES
        self.nodes.append(helper.make_node("Gemm", [flat, self.weight("fc_w", w),
                                                    self.weight("fc_b", b)], ["logits"],
                                           name="fc", transB=1))

    def model(self):
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, CLASSES])],
            self.weights)
        m = helper.make_model(graph, producer_name="hbtoolchain tests/bench/gen_models.py",
                              opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 7
        onnx.checker.check_model(m)
        return m


def mobilenet_v1():
    g = Builder("mobilenet_v1_224", seed=1)
    x = g.relu6(g.conv(("input", 3, SIZE), 32, 3, stride=2))
    for cout, stride in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                         (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]:
        x = g.relu6(g.conv(x, x[1], 3, stride=stride, groups=x[1]))
        x = g.relu6(g.conv(x, cout, 1))
    g.classifier(x)
    return g


def resnet18():
    g = Builder("resnet18_224", seed=2)
    x = g.max_pool(g.relu(g.conv(("input", 3, SIZE), 64, 7, stride=2)))
    for stage, width in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if (block == 0 and stage > 0) else 1
            shortcut = x if (stride == 1 and x[1] == width) else g.conv(x, width, 1, stride=stride)
            h = g.relu(g.conv(x, width, 3, stride=stride))
            h = g.conv(h, width, 3)
            x = g.relu(g.add(h, shortcut))
    g.classifier(x)
    return g


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_models.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for build in (mobilenet_v1, resnet18):
        g = build()
        path = os.path.join(out, g.name + ".onnx")
        onnx.save(g.model(), path)
        print(f"{path}: {len(g.nodes)} nodes, {g.macs / 1e6:.0f} M multiply-adds")


if __name__ == "__main__":
    main()
