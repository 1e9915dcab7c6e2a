#!/usr/bin/python3
"""An onnxruntime-runnable int8 model (QOperator format) from our quantized model, for the
simulation speed benchmark (tests/bench/run_sim_bench.sh, docs/benchmarks.md).

Input: a *_quantized_model.onnx of our domain ai.hbtc.int8 (docs/quantized-ops.md), as written by
bench_sim_network --save-quantized. Every node is mapped one to one, with our integer weights,
int32 biases and scales (the float copies our integer nodes carry for reports):
  Quantize                      -> QuantizeLinear (zero point 0)
  Conv (out_int32 = 0)          -> QLinearConv (per-channel weight scales, int32 bias)
  GlobalAveragePool             -> com.microsoft QLinearGlobalAveragePool
  Flatten                       -> Flatten (on the quantized tensor)
  Gemm (out_int32 = 1) + Dequantize -> com.microsoft QGemm with float output (per-column scales)
Activation type (--act):
  s8: int8 activations, exactly our scales and zero points (0, or -127 for an unsigned
      activation: docs/quantized-ops.md section 2) (the S8S8 kernels);
  u8: uint8 activations (the U8S8 kernels, onnxruntime's default for x86): the input keeps our
      scale with zero point 128; a Conv output whose clamp starts at its real 0 (ReLU/ReLU6: lo =
      its output_zero_point, 0 or -127) has zero point 0 and our scale, uint8 = q - zero point,
      so its [lo, hi] range fits [0, 254].
Our requantiser's clamp [lo, hi] and rounding are not expressed, so the outputs are not
bit-identical to ours: the model exists to be timed, doing the same integer work per layer (the
same MACs and one requantisation per output).

usage: /usr/bin/python3 tests/bench/gen_ort_int8.py QUANTIZED.onnx OUT.onnx [--act s8|u8]
Tested with python3-onnx 1.12 and onnxruntime-node 1.30.0.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUR_DOMAIN = "ai.hbtc.int8"


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def die(msg):
    sys.stderr.write(f"gen_ort_int8.py: {msg}\n")
    sys.exit(1)


def convert(src, act):
    inits = {i.name: i for i in src.graph.initializer}
    out_inits, nodes = [], []
    zp_type = np.uint8 if act == "u8" else np.int8
    # quantized tensor name -> (scale, zero point) of its onnxruntime version
    qparams = {}

    def const(name, array):
        out_inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def scale_zp(tensor, scale, zp):
        s = const(f"{tensor}_ort_scale", np.float32(scale))
        z = const(f"{tensor}_ort_zp", np.array(zp, dtype=zp_type))
        qparams[tensor] = (s, z)
        return s, z

    for n in src.graph.node:
        a = attrs(n)
        if n.domain == OUR_DOMAIN and n.op_type == "Quantize":
            s, z = scale_zp(n.output[0], a["scale"], 128 if act == "u8" else 0)
            nodes.append(helper.make_node("QuantizeLinear", [n.input[0], s, z], [n.output[0]],
                                          name=n.name))
        elif n.domain == OUR_DOMAIN and n.op_type == "Conv":
            if a.get("out_int32", 0):
                die(f"node {n.name}: Conv with out_int32 = 1 is not mapped")
            zp_out = a.get("output_zero_point", 0)
            if act == "u8" and a["lo"] < zp_out:
                die(f"node {n.name}: clamp starts at {a['lo']}, below its zero point {zp_out}: "
                    "negative values are not representable in u8")
            xs, xz = qparams[n.input[0]]
            w = numpy_helper.to_array(inits[n.input[1]])
            b = numpy_helper.to_array(inits[n.input[2]])
            k = w.shape[0]
            wn = const(f"{n.name}_ort_w", w.astype(np.int8))
            ws = const(f"{n.name}_ort_wscale", np.array(a["weight_scales"], dtype=np.float32))
            wz = const(f"{n.name}_ort_wzp", np.zeros(k, dtype=np.int8))
            bn = const(f"{n.name}_ort_b", b.astype(np.int32))
            ys, yz = scale_zp(n.output[0], a["output_scale"], 0 if act == "u8" else zp_out)
            nodes.append(helper.make_node(
                "QLinearConv", [n.input[0], xs, xz, wn, ws, wz, ys, yz, bn], [n.output[0]],
                name=n.name, kernel_shape=a["kernel_shape"], strides=a["strides"],
                pads=a["pads"], dilations=a["dilations"], group=a["group"]))
        elif n.domain == OUR_DOMAIN and n.op_type == "GlobalAveragePool":
            xs, xz = qparams[n.input[0]]
            ys, yz = scale_zp(n.output[0], a["output_scale"], 0)
            nodes.append(helper.make_node("QLinearGlobalAveragePool", [n.input[0], xs, xz, ys, yz],
                                          [n.output[0]], name=n.name, domain="com.microsoft",
                                          channels_last=0))
        elif n.domain == "" and n.op_type == "Flatten":
            qparams[n.output[0]] = qparams[n.input[0]]
            nodes.append(n)
        elif n.domain == OUR_DOMAIN and n.op_type == "Gemm":
            if not a.get("out_int32", 0):
                die(f"node {n.name}: only Gemm with out_int32 = 1 (then Dequantize) is mapped")
            consumers = [m for m in src.graph.node if n.output[0] in m.input]
            if len(consumers) != 1 or consumers[0].op_type != "Dequantize":
                die(f"node {n.name}: its int32 output must feed exactly one Dequantize")
            xs, xz = qparams[n.input[0]]
            w = numpy_helper.to_array(inits[n.input[1]])  # [N, K]: transB = 1
            b = numpy_helper.to_array(inits[n.input[2]])
            wn = const(f"{n.name}_ort_w", w.astype(np.int8))
            ws = const(f"{n.name}_ort_wscale", np.array(a["weight_scales"], dtype=np.float32))
            wz = const(f"{n.name}_ort_wzp", np.zeros(w.shape[0], dtype=np.int8))
            bn = const(f"{n.name}_ort_b", b.astype(np.int32))
            nodes.append(helper.make_node("QGemm", [n.input[0], xs, xz, wn, ws, wz, bn],
                                          [consumers[0].output[0]], name=n.name,
                                          domain="com.microsoft", transB=1))
        elif n.domain == OUR_DOMAIN and n.op_type == "Dequantize":
            continue  # folded into QGemm above
        else:
            die(f"node {n.name}: {n.domain or 'ai.onnx'}.{n.op_type} is not mapped")
    graph = helper.make_graph(nodes, src.graph.name + "_ort_int8", list(src.graph.input),
                              list(src.graph.output), out_inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 7
    return model


def main():
    args = sys.argv[1:]
    act = "u8"
    if "--act" in args:
        i = args.index("--act")
        act = args[i + 1] if i + 1 < len(args) else ""
        del args[i:i + 2]
    if len(args) != 2 or act not in ("s8", "u8"):
        die("usage: gen_ort_int8.py QUANTIZED.onnx OUT.onnx [--act s8|u8]")
    model = convert(onnx.load(args[0]), act)
    tmp = args[1] + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, args[1])


if __name__ == "__main__":
    main()
