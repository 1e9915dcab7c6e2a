#!/usr/bin/python3
"""Writes the float synthetic model that covers every operator of docs/quantized-ops.md, and
its inputs:  make_synthetic.py DIR  ->  DIR/float_model.onnx, DIR/input_0.npy, DIR/input_1.npy.

Convolution (normal + Relu, grouped + Clip(0, 6), depthwise stride 2), MaxPool, Add + Relu, Sub,
Mul, the LUT ops, Concat of inputs with different scales (Rescale), AveragePool with ceil_mode
and both count_include_pad values, Resize nearest, Transpose, Slice, GlobalAveragePool, Reshape,
Flatten, Gemm (transB 1 + Relu, transB 0 feeding a model output: int32 output), a Relu placed on
the CPU by make_fixtures.sh (Dequantize/Quantize around it), and Softmax (float, CPU).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20261126)


def w(name, *shape, scale=0.3):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def i64(name, vals):
    return numpy_helper.from_array(np.asarray(vals, dtype=np.int64), name)


def f32(name, vals):
    return numpy_helper.from_array(np.asarray(vals, dtype=np.float32), name)


N = helper.make_node
nodes = [
    N("Conv", ["x", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
    N("Relu", ["c1"], ["r1"], name="relu1"),
    N("Conv", ["r1", "W2", "B2"], ["c2"], name="conv2_grouped", pads=[1, 1, 1, 1], group=2),
    N("Clip", ["c2", "zero", "six"], ["r2"], name="relu6"),
    N("Conv", ["r2", "W3", "B3"], ["d3"], name="conv3_dw", pads=[1, 1, 1, 1], group=8,
      strides=[2, 2]),
    N("MaxPool", ["r1"], ["p1"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]),
    N("Add", ["d3", "p1"], ["a0"], name="add"),
    N("Relu", ["a0"], ["a1"], name="add_relu"),
    N("Sub", ["a1", "p1"], ["s1"], name="sub"),
    N("Mul", ["s1", "d3"], ["m1"], name="mul"),
    N("Sigmoid", ["m1"], ["sg"], name="sigmoid"),
    N("Tanh", ["a1"], ["th"], name="tanh"),
    N("HardSwish", ["s1"], ["hs"], name="hardswish"),
    N("HardSigmoid", ["d3"], ["hsg"], name="hardsigmoid", alpha=0.25, beta=0.4),
    N("Concat", ["sg", "th", "hs", "hsg"], ["cat"], name="concat", axis=1),
    N("AveragePool", ["cat"], ["ap"], name="avgpool_ceil", kernel_shape=[3, 3], strides=[2, 2],
      pads=[1, 1, 1, 1], ceil_mode=1),
    N("Resize", ["ap", "", "scales"], ["up"], name="resize", mode="nearest",
      coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
    N("Transpose", ["up"], ["tr"], name="transpose", perm=[0, 1, 3, 2]),
    N("Slice", ["tr", "starts", "ends", "axes"], ["sl"], name="slice"),
    N("GlobalAveragePool", ["sl"], ["gap"], name="gap"),
    N("Reshape", ["gap", "shape"], ["fl"], name="reshape"),
    N("Gemm", ["fl", "Wg1", "Bg1"], ["g1"], name="gemm1", transB=1),
    N("Relu", ["g1"], ["g1r"], name="gemm1_relu"),
    N("Gemm", ["g1r", "Wg2", "Bg2"], ["logits"], name="gemm2_int32"),
    N("Gemm", ["g1r", "Wg3", "Bg3"], ["g3"], name="gemm3"),
    N("Softmax", ["g3"], ["prob"], name="softmax", axis=1),
    N("LeakyRelu", ["p1"], ["lr"], name="leakyrelu", alpha=0.1),
    N("AveragePool", ["lr"], ["ap2"], name="avgpool_pad", kernel_shape=[2, 2], strides=[2, 2],
      pads=[1, 1, 1, 1], count_include_pad=1),
    N("Relu", ["ap2"], ["cr"], name="cpu_relu"),
    N("Exp", ["cr"], ["ex"], name="exp"),
    N("Flatten", ["ex"], ["feat"], name="flatten"),
]
inits = [
    w("W1", 8, 3, 3, 3), w("B1", 8), w("W2", 8, 4, 3, 3, scale=0.2), w("B2", 8),
    w("W3", 8, 1, 3, 3, scale=0.5), w("B3", 8), f32("zero", 0.0), f32("six", 6.0),
    f32("scales", [1, 1, 2, 2]), i64("starts", [1]), i64("ends", [7]), i64("axes", [2]),
    i64("shape", [1, 32]), w("Wg1", 16, 32), w("Bg1", 16), w("Wg2", 16, 10), w("Bg2", 10),
    w("Wg3", 16, 5), w("Bg3", 5),
]
graph = helper.make_graph(
    nodes, "quant_synthetic",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 12, 12])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10]),
     helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 5]),
     helper.make_tensor_value_info("feat", TensorProto.FLOAT, [1, 128])],
    inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)],
                          producer_name="tests/quant/make_synthetic.py")
model.ir_version = 7
onnx.checker.check_model(model)
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
onnx.save(model, os.path.join(d, "float_model.onnx"))
for r in range(2):
    np.save(os.path.join(d, "input_%d.npy" % r),
            rng.standard_normal((1, 3, 12, 12)).astype(np.float32))
