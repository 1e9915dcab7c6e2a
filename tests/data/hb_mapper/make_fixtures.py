#!/usr/bin/python3
"""Write the ONNX fixtures of the hb_mapper command-line test (tests/unit/config/test_hb_mapper_cli.c).

Usage: /usr/bin/python3 tests/data/hb_mapper/make_fixtures.py   # (re)write them next to this file

Made with python3-onnx 1.12.0 and numpy (Debian 12). Weights are fixed small values (no random
numbers), so the files are the same on every run.
  tiny.onnx         data 1x3x8x8 -> Conv 3x3 (4 ch) -> Relu -> MaxPool 2x2 -> GlobalAveragePool
                    -> Flatten -> Gemm (10) -> Softmax: 7 nodes, opset 11, IR 6.
  dynamic.onnx      the same with a symbolic batch dimension ('N'x3x8x8): checker needs
                    --input-shape data 1x3x8x8.
  unsupported.onnx  data 1x3x8x8 -> Relu -> Hardmax -> TopK(k=2) -> two outputs: Hardmax and TopK
                    are ONNX operators the float executor does not have.
  custom_domain.onnx  one node MyOp of domain com.example, which the ONNX loader refuses.
  pad.onnx          data 1x3x8x8 -> Conv 3x3 (4 ch) -> Pad (1 on H and W, constant 0) -> Conv 3x3
                    (2 ch) -> out 1x2x6x6: placement puts the Pad on the BPU, the quantizer has
                    no integer Pad, so makertbin moves it to the CPU.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model, full_check=True)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(model.SerializeToString())


def make_model(graph, extra_opsets=()):
    ops = [helper.make_opsetid("", 11)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=ops, producer_name="make_fixtures.py",
                          producer_version="1")
    m.ir_version = 6
    return m


def tiny(batch):
    w = (np.arange(4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3) % 7 - 3) / 8
    b = np.array([0.1, -0.2, 0.3, 0.0], dtype=np.float32)
    fw = (np.arange(10 * 4, dtype=np.float32).reshape(10, 4) % 5 - 2) / 4
    fb = np.linspace(-0.5, 0.5, 10, dtype=np.float32)
    inits = [numpy_helper.from_array(w, "conv1.weight"), numpy_helper.from_array(b, "conv1.bias"),
             numpy_helper.from_array(fw, "fc.weight"), numpy_helper.from_array(fb, "fc.bias")]
    nodes = [
        helper.make_node("Conv", ["data", "conv1.weight", "conv1.bias"], ["conv1_out"],
                         name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1_out"], ["relu1_out"], name="relu1"),
        helper.make_node("MaxPool", ["relu1_out"], ["pool1_out"], name="pool1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["pool1_out"], ["gap_out"], name="gap"),
        helper.make_node("Flatten", ["gap_out"], ["flat_out"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat_out", "fc.weight", "fc.bias"], ["fc_out"], name="fc",
                         transB=1),
        helper.make_node("Softmax", ["fc_out"], ["prob"], name="softmax", axis=1),
    ]
    g = helper.make_graph(nodes, "tiny",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT,
                                                         [batch, 3, 8, 8])],
                          [helper.make_tensor_value_info("prob", TensorProto.FLOAT,
                                                         [batch if batch != "N" else "N", 10])],
                          inits)
    return make_model(g)


def unsupported():
    k = numpy_helper.from_array(np.array([2], dtype=np.int64), "k")
    nodes = [
        helper.make_node("Relu", ["data"], ["relu_out"], name="relu"),
        helper.make_node("Flatten", ["relu_out"], ["flat_out"], name="flatten", axis=1),
        helper.make_node("Hardmax", ["flat_out"], ["hardmax_out"], name="hardmax", axis=1),
        helper.make_node("TopK", ["hardmax_out", "k"], ["values", "indices"], name="topk",
                         axis=1),
    ]
    g = helper.make_graph(nodes, "unsupported",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("values", TensorProto.FLOAT, [1, 2]),
                           helper.make_tensor_value_info("indices", TensorProto.INT64, [1, 2])],
                          [k])
    return make_model(g)


def padded():
    w1 = (np.arange(4 * 3 * 3 * 3, dtype=np.float32).reshape(4, 3, 3, 3) % 5 - 2) / 8
    w2 = (np.arange(2 * 4 * 3 * 3, dtype=np.float32).reshape(2, 4, 3, 3) % 3 - 1) / 4
    pads = np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64)
    inits = [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
             numpy_helper.from_array(pads, "pads")]
    nodes = [
        helper.make_node("Conv", ["data", "w1"], ["c1"], name="conv1", kernel_shape=[3, 3]),
        helper.make_node("Pad", ["c1", "pads"], ["p1"], name="pad1", mode="constant"),
        helper.make_node("Conv", ["p1", "w2"], ["out"], name="conv2", kernel_shape=[3, 3]),
    ]
    g = helper.make_graph(nodes, "pad",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 2, 6, 6])],
                          inits)
    return make_model(g)


def custom_domain():
    nodes = [helper.make_node("MyOp", ["data"], ["y"], name="my_op", domain="com.example")]
    g = helper.make_graph(nodes, "custom_domain",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])])
    return make_model(g, extra_opsets=[("com.example", 1)])


if __name__ == "__main__":
    save(tiny(1), "tiny.onnx")
    save(tiny("N"), "dynamic.onnx")
    save(unsupported(), "unsupported.onnx")
    save(custom_domain(), "custom_domain.onnx", check=False)  # the checker knows no com.example
    save(padded(), "pad.onnx")
