#!/usr/bin/python3
"""Independent numpy reference for the Caffe frontend (converter/caffe): golden data generator.

It reads Caffe models itself -- the prototxt with google.protobuf's text parser and the caffemodel
with its binary parser, both over a schema built here from a table (not from the C frontend's
caffe_subset.proto) -- and computes every layer with numpy in float64, following Caffe's own
layer semantics (its pooling output size and window rules, BatchNorm's moving-average factor,
Eltwise coefficients, LRN windows, in-place layers overwriting their blob, outputs = the blobs
no later layer consumes, in name order).

Usage: /usr/bin/python3 tests/caffe/caffe_ref.py [--check]
  Writes tests/data/caffe/<case>/ for every case below: manifest.txt (model files, inputs,
  outputs in Caffe's order, and every other blob's last value to check), input_<blob>.npy,
  output_<blob>.npy, blob_<blob>.npy, and for the synthetic cases the model itself (net.prototxt, net.caffemodel, made from a seeded generator). --check recomputes
  everything and compares with the committed files instead of writing (exit 1 on a difference).
  VERSIONS in tests/data/caffe records the generator, numpy and protobuf versions and the seeds.
Needs Debian's python3-numpy and python3-protobuf (/usr/bin/python3); CI does not run it.
"""
import math
import os
import sys

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
import google.protobuf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "data", "caffe")
MODELS = os.path.join(ROOT, "tests", "data", "models", "caffe")

# ---------------------------------------------------------------------------------------------
# The schema: (message, [(label, type, name, number, packed)], {enum: [(name, value)]})
# label: o optional, r repeated. Types: scalar names or message / enum names.

SCALARS = {
    "double": descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
    "float": descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "uint64": descriptor_pb2.FieldDescriptorProto.TYPE_UINT64,
    "int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    "uint32": descriptor_pb2.FieldDescriptorProto.TYPE_UINT32,
    "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
}
ENGINE = {"Engine": [("DEFAULT", 0), ("CAFFE", 1), ("CUDNN", 2)]}

SCHEMA = [
    ("BlobShape", [("r", "int64", "dim", 1, True)], {}),
    ("BlobProto", [("o", "BlobShape", "shape", 7, False), ("r", "float", "data", 5, True),
                   ("r", "float", "diff", 6, True), ("r", "double", "double_data", 8, True),
                   ("r", "double", "double_diff", 9, True), ("o", "int32", "num", 1, False),
                   ("o", "int32", "channels", 2, False), ("o", "int32", "height", 3, False),
                   ("o", "int32", "width", 4, False)], {}),
    ("NetState", [("o", "Phase", "phase", 1, False), ("o", "int32", "level", 2, False),
                  ("r", "string", "stage", 3, False)], {}),
    ("NetStateRule", [("o", "Phase", "phase", 1, False), ("o", "int32", "min_level", 2, False),
                      ("o", "int32", "max_level", 3, False), ("r", "string", "stage", 4, False),
                      ("r", "string", "not_stage", 5, False)], {}),
    ("ParamSpec", [("o", "string", "name", 1, False), ("o", "DimCheckMode", "share_mode", 2, False),
                   ("o", "float", "lr_mult", 3, False), ("o", "float", "decay_mult", 4, False)],
     {"DimCheckMode": [("STRICT", 0), ("PERMISSIVE", 1)]}),
    ("FillerParameter", [("o", "string", "type", 1, False), ("o", "float", "value", 2, False),
                         ("o", "float", "min", 3, False), ("o", "float", "max", 4, False),
                         ("o", "float", "mean", 5, False), ("o", "float", "std", 6, False),
                         ("o", "int32", "sparse", 7, False),
                         ("o", "VarianceNorm", "variance_norm", 8, False)],
     {"VarianceNorm": [("FAN_IN", 0), ("FAN_OUT", 1), ("AVERAGE", 2)]}),
    ("NetParameter", [("o", "string", "name", 1, False), ("r", "string", "input", 3, False),
                      ("r", "BlobShape", "input_shape", 8, False),
                      ("r", "int32", "input_dim", 4, False),
                      ("o", "bool", "force_backward", 5, False),
                      ("o", "NetState", "state", 6, False), ("o", "bool", "debug_info", 7, False),
                      ("r", "LayerParameter", "layer", 100, False),
                      ("r", "V1LayerParameter", "layers", 2, False)], {}),
    ("LayerParameter", [("o", "string", "name", 1, False), ("o", "string", "type", 2, False),
                        ("r", "string", "bottom", 3, False), ("r", "string", "top", 4, False),
                        ("o", "Phase", "phase", 10, False), ("r", "float", "loss_weight", 5, False),
                        ("r", "ParamSpec", "param", 6, False), ("r", "BlobProto", "blobs", 7, False),
                        ("r", "bool", "propagate_down", 11, False),
                        ("r", "NetStateRule", "include", 8, False),
                        ("r", "NetStateRule", "exclude", 9, False),
                        ("o", "BatchNormParameter", "batch_norm_param", 139, False),
                        ("o", "ConcatParameter", "concat_param", 104, False),
                        ("o", "ConvolutionParameter", "convolution_param", 106, False),
                        ("o", "DropoutParameter", "dropout_param", 108, False),
                        ("o", "EltwiseParameter", "eltwise_param", 110, False),
                        ("o", "FlattenParameter", "flatten_param", 135, False),
                        ("o", "InnerProductParameter", "inner_product_param", 117, False),
                        ("o", "InputParameter", "input_param", 143, False),
                        ("o", "LRNParameter", "lrn_param", 118, False),
                        ("o", "PermuteParameter", "permute_param", 202, False),
                        ("o", "PoolingParameter", "pooling_param", 121, False),
                        ("o", "PowerParameter", "power_param", 122, False),
                        ("o", "PReLUParameter", "prelu_param", 131, False),
                        ("o", "ReLUParameter", "relu_param", 123, False),
                        ("o", "ReshapeParameter", "reshape_param", 133, False),
                        ("o", "ScaleParameter", "scale_param", 142, False),
                        ("o", "SigmoidParameter", "sigmoid_param", 124, False),
                        ("o", "SliceParameter", "slice_param", 126, False),
                        ("o", "SoftmaxParameter", "softmax_param", 125, False),
                        ("o", "TanHParameter", "tanh_param", 127, False)], {}),
    ("V1LayerParameter", [("r", "string", "bottom", 2, False), ("r", "string", "top", 3, False),
                          ("o", "string", "name", 4, False),
                          ("r", "NetStateRule", "include", 32, False),
                          ("r", "NetStateRule", "exclude", 33, False),
                          ("o", "LayerType", "type", 5, False), ("r", "BlobProto", "blobs", 6, False),
                          ("r", "float", "blobs_lr", 7, False),
                          ("r", "float", "weight_decay", 8, False),
                          ("o", "ConcatParameter", "concat_param", 9, False),
                          ("o", "ConvolutionParameter", "convolution_param", 10, False),
                          ("o", "DropoutParameter", "dropout_param", 12, False),
                          ("o", "EltwiseParameter", "eltwise_param", 24, False),
                          ("o", "InnerProductParameter", "inner_product_param", 17, False),
                          ("o", "LRNParameter", "lrn_param", 18, False),
                          ("o", "PoolingParameter", "pooling_param", 19, False),
                          ("o", "PowerParameter", "power_param", 21, False),
                          ("o", "ReLUParameter", "relu_param", 30, False),
                          ("o", "SigmoidParameter", "sigmoid_param", 38, False),
                          ("o", "SliceParameter", "slice_param", 31, False),
                          ("o", "SoftmaxParameter", "softmax_param", 39, False),
                          ("o", "TanHParameter", "tanh_param", 37, False)],
     {"LayerType": [("NONE", 0), ("ACCURACY", 1), ("CONCAT", 3), ("CONVOLUTION", 4), ("DATA", 5),
                    ("DROPOUT", 6), ("FLATTEN", 8), ("INNER_PRODUCT", 14), ("LRN", 15),
                    ("POOLING", 17), ("RELU", 18), ("SIGMOID", 19), ("SOFTMAX", 20),
                    ("SOFTMAX_LOSS", 21), ("TANH", 23), ("ELTWISE", 25), ("POWER", 26),
                    ("SLICE", 33), ("DECONVOLUTION", 39)]}),
    ("BatchNormParameter", [("o", "bool", "use_global_stats", 1, False),
                            ("o", "float", "moving_average_fraction", 2, False),
                            ("o", "float", "eps", 3, False)], {}),
    ("ConcatParameter", [("o", "int32", "axis", 2, False), ("o", "uint32", "concat_dim", 1, False)],
     {}),
    ("ConvolutionParameter", [("o", "uint32", "num_output", 1, False),
                              ("o", "bool", "bias_term", 2, False), ("r", "uint32", "pad", 3, False),
                              ("r", "uint32", "kernel_size", 4, False),
                              ("r", "uint32", "stride", 6, False),
                              ("r", "uint32", "dilation", 18, False),
                              ("o", "uint32", "pad_h", 9, False), ("o", "uint32", "pad_w", 10, False),
                              ("o", "uint32", "kernel_h", 11, False),
                              ("o", "uint32", "kernel_w", 12, False),
                              ("o", "uint32", "stride_h", 13, False),
                              ("o", "uint32", "stride_w", 14, False),
                              ("o", "uint32", "group", 5, False),
                              ("o", "FillerParameter", "weight_filler", 7, False),
                              ("o", "FillerParameter", "bias_filler", 8, False),
                              ("o", "Engine", "engine", 15, False), ("o", "int32", "axis", 16, False),
                              ("o", "bool", "force_nd_im2col", 17, False)], ENGINE),
    ("DropoutParameter", [("o", "float", "dropout_ratio", 1, False)], {}),
    ("EltwiseParameter", [("o", "EltwiseOp", "operation", 1, False),
                          ("r", "float", "coeff", 2, False),
                          ("o", "bool", "stable_prod_grad", 3, False)],
     {"EltwiseOp": [("PROD", 0), ("SUM", 1), ("MAX", 2)]}),
    ("FlattenParameter", [("o", "int32", "axis", 1, False), ("o", "int32", "end_axis", 2, False)],
     {}),
    ("InnerProductParameter", [("o", "uint32", "num_output", 1, False),
                               ("o", "bool", "bias_term", 2, False),
                               ("o", "FillerParameter", "weight_filler", 3, False),
                               ("o", "FillerParameter", "bias_filler", 4, False),
                               ("o", "int32", "axis", 5, False), ("o", "bool", "transpose", 6, False)],
     {}),
    ("InputParameter", [("r", "BlobShape", "shape", 1, False)], {}),
    ("LRNParameter", [("o", "uint32", "local_size", 1, False), ("o", "float", "alpha", 2, False),
                      ("o", "float", "beta", 3, False), ("o", "NormRegion", "norm_region", 4, False),
                      ("o", "float", "k", 5, False), ("o", "Engine", "engine", 6, False)],
     dict(ENGINE, NormRegion=[("ACROSS_CHANNELS", 0), ("WITHIN_CHANNEL", 1)])),
    ("PermuteParameter", [("r", "uint32", "order", 1, False)], {}),
    ("PoolingParameter", [("o", "PoolMethod", "pool", 1, False), ("o", "uint32", "pad", 4, False),
                          ("o", "uint32", "pad_h", 9, False), ("o", "uint32", "pad_w", 10, False),
                          ("o", "uint32", "kernel_size", 2, False),
                          ("o", "uint32", "kernel_h", 5, False), ("o", "uint32", "kernel_w", 6, False),
                          ("o", "uint32", "stride", 3, False), ("o", "uint32", "stride_h", 7, False),
                          ("o", "uint32", "stride_w", 8, False), ("o", "Engine", "engine", 11, False),
                          ("o", "bool", "global_pooling", 12, False),
                          ("o", "RoundMode", "round_mode", 13, False)],
     dict(ENGINE, PoolMethod=[("MAX", 0), ("AVE", 1), ("STOCHASTIC", 2)],
          RoundMode=[("CEIL", 0), ("FLOOR", 1)])),
    ("PowerParameter", [("o", "float", "power", 1, False), ("o", "float", "scale", 2, False),
                        ("o", "float", "shift", 3, False)], {}),
    ("PReLUParameter", [("o", "FillerParameter", "filler", 1, False),
                        ("o", "bool", "channel_shared", 2, False)], {}),
    ("ReLUParameter", [("o", "float", "negative_slope", 1, False), ("o", "Engine", "engine", 2, False)],
     ENGINE),
    ("ReshapeParameter", [("o", "BlobShape", "shape", 1, False), ("o", "int32", "axis", 2, False),
                          ("o", "int32", "num_axes", 3, False)], {}),
    ("ScaleParameter", [("o", "int32", "axis", 1, False), ("o", "int32", "num_axes", 2, False),
                        ("o", "FillerParameter", "filler", 3, False),
                        ("o", "bool", "bias_term", 4, False),
                        ("o", "FillerParameter", "bias_filler", 5, False)], {}),
    ("SigmoidParameter", [("o", "Engine", "engine", 1, False)], ENGINE),
    ("SliceParameter", [("o", "int32", "axis", 3, False), ("r", "uint32", "slice_point", 2, False),
                        ("o", "uint32", "slice_dim", 1, False)], {}),
    ("SoftmaxParameter", [("o", "Engine", "engine", 1, False), ("o", "int32", "axis", 2, False)],
     ENGINE),
    ("TanHParameter", [("o", "Engine", "engine", 1, False)], ENGINE),
]
TOP_ENUMS = {"Phase": [("TRAIN", 0), ("TEST", 1)]}


def build_classes():
    fdp = descriptor_pb2.FileDescriptorProto(name="caffe_ref_schema.proto", package="caffe_ref",
                                             syntax="proto2")
    for ename, values in TOP_ENUMS.items():
        e = fdp.enum_type.add(name=ename)
        for n, v in values:
            e.value.add(name=n, number=v)
    messages = {m[0] for m in SCHEMA}
    for mname, fields, enums in SCHEMA:
        m = fdp.message_type.add(name=mname)
        for ename, values in enums.items():
            e = m.enum_type.add(name=ename)
            for n, v in values:
                e.value.add(name=n, number=v)
        for label, ftype, fname, number, packed in fields:
            f = m.field.add(name=fname, number=number)
            f.label = (descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED if label == "r"
                       else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
            if ftype in SCALARS:
                f.type = SCALARS[ftype]
            elif ftype in messages:
                f.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
                f.type_name = ".caffe_ref." + ftype
            elif ftype in enums:
                f.type = descriptor_pb2.FieldDescriptorProto.TYPE_ENUM
                f.type_name = ".caffe_ref.%s.%s" % (mname, ftype)
            else:
                f.type = descriptor_pb2.FieldDescriptorProto.TYPE_ENUM
                f.type_name = ".caffe_ref." + ftype
            if packed:
                f.options.packed = True
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    factory = message_factory.MessageFactory(pool)
    return {m[0]: factory.GetPrototype(pool.FindMessageTypeByName("caffe_ref." + m[0]))
            for m in SCHEMA}


PB = build_classes()


def opt(msg, field, default):
    """A proto2 optional field with Caffe's default, written out here rather than in the schema."""
    return getattr(msg, field) if msg.HasField(field) else default


# ---------------------------------------------------------------------------------------------
# Reading a model

V1_TYPES = {"CONCAT": "Concat", "CONVOLUTION": "Convolution", "DECONVOLUTION": "Deconvolution",
            "DROPOUT": "Dropout", "ELTWISE": "Eltwise", "FLATTEN": "Flatten",
            "INNER_PRODUCT": "InnerProduct", "LRN": "LRN", "POOLING": "Pooling", "POWER": "Power",
            "RELU": "ReLU", "SIGMOID": "Sigmoid", "SOFTMAX": "Softmax", "SLICE": "Slice",
            "TANH": "TanH"}


def layer_type(layer):
    if layer.DESCRIPTOR.name == "LayerParameter":
        return layer.type
    name = layer.DESCRIPTOR.fields_by_name["type"].enum_type.values_by_number[layer.type].name
    return V1_TYPES.get(name, name)


def blob_array(b):
    if b.HasField("shape"):
        shape = tuple(b.shape.dim)
    else:
        shape = (b.num, b.channels, b.height, b.width)
    data = np.array(b.data if len(b.data) else b.double_data, dtype=np.float64)
    return data.reshape(shape)


def kept(layer):
    """Caffe's NetStateRule filter for the state phase TEST, level 0, no stage."""
    def meets(r):
        if r.HasField("phase") and r.phase != 1:
            return False
        if r.HasField("min_level") and 0 < r.min_level:
            return False
        if r.HasField("max_level") and 0 > r.max_level:
            return False
        return len(r.stage) == 0
    if len(layer.include):
        return any(meets(r) for r in layer.include)
    return not any(meets(r) for r in layer.exclude)


def load(prototxt, caffemodel):
    net = PB["NetParameter"]()
    with open(prototxt) as f:
        text_format.Parse(f.read(), net)
    weights = {}
    if caffemodel:
        model = PB["NetParameter"]()
        with open(caffemodel, "rb") as f:
            model.ParseFromString(f.read())
        for l in list(model.layer) + list(model.layers):
            if len(l.blobs):
                weights[l.name] = [blob_array(b) for b in l.blobs]
    layers = [l for l in list(net.layer) + list(net.layers) if kept(l)]
    return net, layers, weights


# ---------------------------------------------------------------------------------------------
# Layers, in Caffe's semantics (float64)

def canon(axis, rank):
    assert -rank <= axis < rank, (axis, rank)
    return axis + rank if axis < 0 else axis


def pair(p, field, default, square_field=None):
    """Caffe's kernel/stride/pad for convolution: field_h/_w, or the repeated field."""
    fh, fw = field + "_h", field + "_w"
    if p.HasField(fh) or p.HasField(fw):
        return getattr(p, fh), getattr(p, fw)
    vals = list(getattr(p, square_field or field))
    if not vals:
        return default, default
    return vals[0], vals[-1]


def conv2d(x, w, b, s, p, d, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - (d[0] * (kh - 1) + 1)) // s[0] + 1
    ow = (wd + 2 * p[1] - (d[1] * (kw - 1) + 1)) // s[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xg = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0],
                           j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch,
                                                       w[g * mg:(g + 1) * mg, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def deconv2d(x, w, b, s, p, d, group):
    n, c, h, wd = x.shape
    _, mg, kh, kw = w.shape
    cg = c // group
    fh, fw = s[0] * (h - 1) + d[0] * (kh - 1) + 1, s[1] * (wd - 1) + d[1] * (kw - 1) + 1
    y = np.zeros((n, mg * group, fh, fw))
    for g in range(group):
        xg = x[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                y[:, g * mg:(g + 1) * mg, i * d[0]:i * d[0] + s[0] * (h - 1) + 1:s[0],
                  j * d[1]:j * d[1] + s[1] * (wd - 1) + 1:s[1]] += np.einsum(
                      "nchw,cm->nmhw", xg, w[g * cg:(g + 1) * cg, :, i, j])
    y = y[:, :, p[0]:fh - p[0], p[1]:fw - p[1]]
    if b is not None:
        y = y + b[None, :, None, None]
    return y


def pool2d(x, method, k, s, p, ceil=True):
    """Caffe's PoolingLayer (MAX = 0, AVE = 1), its output size and window rules."""
    n, c, h, w = x.shape
    out = []
    for a, size in enumerate((h, w)):
        num = size + 2 * p[a] - k[a]
        o = (-(-num // s[a]) if ceil else num // s[a]) + 1
        if p[a] and (o - 1) * s[a] >= size + p[a]:
            o -= 1
        out.append(o)
    y = np.zeros((n, c, out[0], out[1]))
    for i in range(out[0]):
        for j in range(out[1]):
            hs, ws = i * s[0] - p[0], j * s[1] - p[1]
            if method == 0:
                he, we = min(hs + k[0], h), min(ws + k[1], w)
                hs, ws = max(hs, 0), max(ws, 0)
                y[:, :, i, j] = x[:, :, hs:he, ws:we].max(axis=(2, 3))
            else:
                he, we = min(hs + k[0], h + p[0]), min(ws + k[1], w + p[1])
                count = (he - hs) * (we - ws)
                hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
                y[:, :, i, j] = x[:, :, hs:he, ws:we].sum(axis=(2, 3)) / count
    return y


def run_layer(layer, ltype, xs, w):
    """Tops of one layer from its bottoms xs and weight blobs w."""
    if ltype == "Convolution" or ltype == "Deconvolution":
        p = layer.convolution_param
        k = pair(p, "kernel", None, "kernel_size")
        s = pair(p, "stride", 1)
        pd = pair(p, "pad", 0)
        dil = list(p.dilation) or [1]
        d = (dil[0], dil[-1])
        group = opt(p, "group", 1)
        bias = w[1].reshape(-1) if opt(p, "bias_term", True) else None
        x = xs[0]
        if ltype == "Convolution":
            wt = w[0].reshape(p.num_output, x.shape[1] // group, k[0], k[1])
            return [conv2d(x, wt, bias, s, pd, d, group)]
        wt = w[0].reshape(x.shape[1], p.num_output // group, k[0], k[1])
        return [deconv2d(x, wt, bias, s, pd, d, group)]
    if ltype == "Pooling":
        p = layer.pooling_param
        x = xs[0]
        method = opt(p, "pool", 0)
        if opt(p, "global_pooling", False):
            return [pool2d(x, method, x.shape[2:], (1, 1), (0, 0))]
        k = (p.kernel_h, p.kernel_w) if p.HasField("kernel_h") else (p.kernel_size,) * 2
        s = (p.stride_h, p.stride_w) if p.HasField("stride_h") else (opt(p, "stride", 1),) * 2
        pd = (p.pad_h, p.pad_w) if p.HasField("pad_h") else (opt(p, "pad", 0),) * 2
        return [pool2d(x, method, k, s, pd, opt(p, "round_mode", 0) == 0)]
    if ltype == "InnerProduct":
        p = layer.inner_product_param
        x = xs[0]
        axis = canon(opt(p, "axis", 1), x.ndim)
        a = x.reshape(int(np.prod(x.shape[:axis], dtype=np.int64)), -1)
        wt = w[0].reshape(-1, a.shape[1]) if not opt(p, "transpose", False) else \
            w[0].reshape(a.shape[1], -1).T
        y = a @ wt.T
        if opt(p, "bias_term", True):
            y = y + w[1].reshape(-1)
        return [y.reshape(x.shape[:axis] + (p.num_output,))]
    if ltype == "ReLU":
        slope = opt(layer.relu_param, "negative_slope", 0.0)
        return [np.maximum(xs[0], 0) + slope * np.minimum(xs[0], 0)]
    if ltype == "PReLU":
        x = xs[0]
        a = w[0].reshape(-1)
        a = a.reshape((1, -1) + (1,) * (x.ndim - 2)) if a.size > 1 else a[0]
        return [np.maximum(x, 0) + a * np.minimum(x, 0)]
    if ltype == "Sigmoid":
        return [1.0 / (1.0 + np.exp(-xs[0]))]
    if ltype == "TanH":
        return [np.tanh(xs[0])]
    if ltype == "Dropout":
        return [xs[0]]
    if ltype == "BatchNorm":
        x = xs[0]
        f = w[2].reshape(-1)[0]
        sf = 0.0 if f == 0 else 1.0 / f
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, var = w[0].reshape(shape) * sf, w[1].reshape(shape) * sf
        eps = opt(layer.batch_norm_param, "eps", 1e-5)
        return [(x - mean) / np.sqrt(var + np.float64(np.float32(eps)))]
    if ltype == "Scale":
        p = layer.scale_param
        x = xs[0]
        axis = canon(opt(p, "axis", 1), x.ndim)
        na = opt(p, "num_axes", 1)
        na = x.ndim - axis if na == -1 else na
        shape = x.shape[axis:axis + na] + (1,) * (x.ndim - axis - na)
        y = x * w[0].reshape(shape)
        if opt(p, "bias_term", False):
            y = y + w[1].reshape(shape)
        return [y]
    if ltype == "Eltwise":
        p = layer.eltwise_param
        op = opt(p, "operation", 1)
        if op == 0:
            y = xs[0] * xs[1]
            for x in xs[2:]:
                y = y * x
            return [y]
        if op == 2:
            return [np.maximum.reduce(xs)]
        coeff = list(p.coeff) or [1.0] * len(xs)
        y = np.zeros_like(xs[0])
        for c, x in zip(coeff, xs):
            y = y + np.float64(np.float32(c)) * x
        return [y]
    if ltype == "Concat":
        p = layer.concat_param
        axis = p.concat_dim if p.HasField("concat_dim") else canon(opt(p, "axis", 1), xs[0].ndim)
        return [np.concatenate(xs, axis=axis)]
    if ltype == "Slice":
        p = layer.slice_param
        x = xs[0]
        axis = p.slice_dim if p.HasField("slice_dim") else canon(opt(p, "axis", 1), x.ndim)
        points = list(p.slice_point)
        if not points:
            step = x.shape[axis] // len(layer.top)
            points = [step * i for i in range(1, len(layer.top))]
        return np.split(x, points, axis=axis)
    if ltype == "Flatten":
        p = layer.flatten_param
        x = xs[0]
        a, e = canon(opt(p, "axis", 1), x.ndim), canon(opt(p, "end_axis", -1), x.ndim)
        return [x.reshape(x.shape[:a] + (-1,) + x.shape[e + 1:])]
    if ltype == "Reshape":
        p = layer.reshape_param
        x = xs[0]
        axis = opt(p, "axis", 0)
        start = axis if axis >= 0 else x.ndim + axis + 1
        na = opt(p, "num_axes", -1)
        end = x.ndim if na == -1 else start + na
        new = [x.shape[start + i] if d == 0 else d for i, d in enumerate(p.shape.dim)]
        return [x.reshape(x.shape[:start] + tuple(new) + x.shape[end:])]
    if ltype == "Permute":
        x = xs[0]
        order = list(layer.permute_param.order)
        order += [a for a in range(x.ndim) if a not in order]
        return [np.transpose(x, order)]
    if ltype == "Softmax":
        x = xs[0]
        axis = canon(opt(layer.softmax_param, "axis", 1), x.ndim)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return [e / e.sum(axis=axis, keepdims=True)]
    if ltype == "LRN":
        p = layer.lrn_param
        x = xs[0]
        size = opt(p, "local_size", 5)
        alpha = np.float64(np.float32(opt(p, "alpha", 1.0)))
        beta = np.float64(np.float32(opt(p, "beta", 0.75)))
        k = np.float64(np.float32(opt(p, "k", 1.0)))
        pre = (size - 1) // 2
        if opt(p, "norm_region", 0) == 0:
            sq = np.pad(x * x, ((0, 0), (pre, size - 1 - pre), (0, 0), (0, 0)))
            c = x.shape[1]
            scale = k + alpha / size * sum(sq[:, i:i + c] for i in range(size))
            return [x * scale ** -beta]
        pooled = pool2d(x * x, 1, (size, size), (1, 1), (pre, pre))
        return [x * (1.0 + alpha * pooled) ** -beta]
    if ltype == "Power":
        p = layer.power_param
        f = [np.float64(np.float32(opt(p, n, d))) for n, d in
             (("power", 1.0), ("scale", 1.0), ("shift", 0.0))]
        return [(f[2] + f[1] * xs[0]) ** f[0]]
    raise ValueError("layer %s: type %s has no reference" % (layer.name, ltype))


def forward(net, layers, weights, inputs):
    """Run the net; returns ({output blob: array} with Caffe's output set, {blob: array} with the
    last value of every blob)."""
    blobs = dict(inputs)
    available = set(inputs)
    for layer in layers:
        ltype = layer_type(layer)
        if ltype == "Input":
            continue
        xs = [blobs[b] for b in layer.bottom]
        w = weights.get(layer.name) or [blob_array(b) for b in layer.blobs]
        tops = run_layer(layer, ltype, xs, w)
        for b in layer.bottom:
            available.discard(b)
        for t, v in zip(layer.top, tops):
            blobs[t] = v
            available.add(t)
    return {b: blobs[b] for b in sorted(available)}, blobs


def input_shapes(net, layers):
    shapes = {}
    for i, name in enumerate(net.input):
        if len(net.input_shape):
            shapes[name] = tuple(net.input_shape[i].dim)
        else:
            shapes[name] = tuple(net.input_dim[4 * i:4 * i + 4])
    for layer in layers:
        if layer_type(layer) == "Input":
            sh = layer.input_param.shape
            for j, t in enumerate(layer.top):
                shapes[t] = tuple(sh[0 if len(sh) == 1 else j].dim)
    return shapes


# ---------------------------------------------------------------------------------------------
# Synthetic models: every layer type and parameter form the real models do not exercise.

SYN_CONV = """# synthetic: convolution family, BatchNorm + Scale in place, pooling rules, LRN
name: "syn_conv"
layer { name: "data" type: "Input" top: "data"
        input_param { shape { dim: 1 dim: 4 dim: 13 dim: 12 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        param { lr_mult: 1 } param { lr_mult: 2 }
        convolution_param { num_output: 6 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1
                            pad_h: 2 pad_w: 1 dilation: 2 group: 2
                            weight_filler { type: "xavier" } } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1"
        batch_norm_param { use_global_stats: true eps: 0.001 } }
layer { name: "sc1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" relu_param { negative_slope: 0.1 } }
layer { name: "pool_ave" type: "Pooling" bottom: "conv1" top: "pool_ave"
        pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "pool_max" type: "Pooling" bottom: "pool_ave" top: "pool_max"
        pooling_param { pool: MAX kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 pad_h: 1 pad_w: 1 } }
layer { name: "pool_floor" type: "Pooling" bottom: "conv1" top: "pool_floor"
        pooling_param { pool: AVE kernel_size: 2 stride: 2 round_mode: FLOOR } }
layer { name: "deconv" type: "Deconvolution" bottom: "pool_ave" top: "deconv"
        convolution_param { num_output: 4 kernel_size: 4 stride: 2 pad: 1 group: 2 } }
layer { name: "deconv_nb" type: "Deconvolution" bottom: "pool_max" top: "deconv_nb"
        convolution_param { num_output: 3 kernel_size: 3 kernel_size: 2 stride: 1 bias_term: false } }
layer { name: "conv_1x1" type: "Convolution" bottom: "pool_floor" top: "conv_1x1"
        convolution_param { num_output: 5 kernel_size: 1 bias_term: false } }
layer { name: "lrn_across" type: "LRN" bottom: "deconv" top: "lrn_across"
        lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 k: 2 } }
layer { name: "lrn_within" type: "LRN" bottom: "deconv" top: "lrn_within"
        lrn_param { local_size: 3 alpha: 0.3 beta: 0.6 norm_region: WITHIN_CHANNEL } }
layer { name: "prelu_shared" type: "PReLU" bottom: "deconv_nb" top: "deconv_nb"
        prelu_param { channel_shared: true } }
layer { name: "gap" type: "Pooling" bottom: "conv_1x1" top: "gap"
        pooling_param { pool: AVE global_pooling: true } }
layer { name: "gmp" type: "Pooling" bottom: "conv_1x1" top: "gmp"
        pooling_param { pool: MAX global_pooling: true } }
"""

SYN_SHAPE = """# synthetic: eltwise, concat/slice, shape layers, inner products, header input_shape
name: "syn_shape"
input: "a"
input_shape { dim: 2 dim: 6 dim: 5 dim: 4 }
input: "b"
input_shape { dim: 2 dim: 6 dim: 5 dim: 4 }
layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum"
        eltwise_param { operation: SUM coeff: 0.5 coeff: -2 } }
layer { name: "sum3" type: "Eltwise" bottom: "a" bottom: "b" bottom: "sum" top: "sum3" }
layer { name: "prod" type: "Eltwise" bottom: "a" bottom: "b" bottom: "sum" top: "prod"
        eltwise_param { operation: PROD } }
layer { name: "max" type: "Eltwise" bottom: "a" bottom: "prod" top: "max"
        eltwise_param { operation: MAX } }
layer { name: "cat" type: "Concat" bottom: "sum3" bottom: "max" bottom: "a" top: "cat" }
layer { name: "cat_w" type: "Concat" bottom: "a" bottom: "b" top: "cat_w"
        concat_param { axis: -1 } }
layer { name: "slice" type: "Slice" bottom: "cat" top: "s0" top: "s1" top: "s2"
        slice_param { axis: 1 slice_point: 2 slice_point: 9 } }
layer { name: "slice_eq" type: "Slice" bottom: "cat_w" top: "e0" top: "e1"
        slice_param { slice_dim: 3 } }
layer { name: "sig" type: "Sigmoid" bottom: "s1" top: "sig" }
layer { name: "pow" type: "Power" bottom: "sig" top: "pow"
        power_param { power: 0.5 scale: 2 shift: 0.1 } }
layer { name: "pow_sq" type: "Power" bottom: "s0" top: "s0" power_param { power: 2 } }
layer { name: "pow_lin" type: "Power" bottom: "s2" top: "pow_lin" power_param { scale: -3 shift: 1 } }
layer { name: "tanh" type: "TanH" bottom: "e0" top: "e0" }
layer { name: "relu" type: "ReLU" bottom: "e1" top: "relu" }
layer { name: "flat2" type: "Flatten" bottom: "pow" top: "flat2" flatten_param { axis: 2 } }
layer { name: "flat_mid" type: "Flatten" bottom: "relu" top: "flat_mid"
        flatten_param { axis: 1 end_axis: 2 } }
layer { name: "reshape" type: "Reshape" bottom: "e0" top: "reshape"
        reshape_param { shape { dim: 0 dim: -1 dim: 4 } } }
layer { name: "reshape_part" type: "Reshape" bottom: "pow_lin" top: "reshape_part"
        reshape_param { shape { dim: 5 dim: 1 } axis: 2 num_axes: 1 } }
layer { name: "perm" type: "Permute" bottom: "reshape" top: "perm"
        permute_param { order: 0 order: 2 } }
layer { name: "softmax" type: "Softmax" bottom: "perm" top: "softmax" softmax_param { axis: 2 } }
layer { name: "ip_t" type: "InnerProduct" bottom: "flat2" top: "ip_t"
        inner_product_param { num_output: 3 axis: 2 transpose: true } }
layer { name: "drop" type: "Dropout" bottom: "ip_t" top: "ip_t" dropout_param { dropout_ratio: 0.3 } }
layer { name: "ip" type: "InnerProduct" bottom: "flat_mid" top: "ip"
        inner_product_param { num_output: 7 bias_term: false } }
layer { name: "ip_4d" type: "InnerProduct" bottom: "reshape_part" top: "ip_4d"
        inner_product_param { num_output: 2 } }
layer { name: "prelu" type: "PReLU" bottom: "ip" top: "ip" }
layer { name: "scale_1d" type: "Scale" bottom: "s0" top: "scale_1d"
        scale_param { axis: 1 num_axes: 2 } }
"""

SYN_V1 = """# synthetic: legacy V1 layers with an input/input_dim header, phase rules, text syntax forms
name: 'syn_v1'
input: "data"  # four input_dim follow
input_dim: 1 input_dim: 3 input_dim: 10 input_dim: 10
layers {
  name: "conv\\x31"   # hex escape: the layer is called conv1
  type: CONVOLUTION
  bottom: "data"
  top: "conv1"
  blobs_lr: 1
  blobs_lr: 2
  convolution_param < num_output: 4 kernel_size: 3 pad: 1 stride: 2 >
}
layers { name: "train_only" type: DROPOUT bottom: "conv1" top: "conv1"
         include { phase: TRAIN } }
layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1"; exclude: { phase: TRAIN } }
layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1",
         pooling_param: { pool: MAX kernel_size: 2 stride: 2 } }
layers { name: "ip1" type: INNER_PRODUCT bottom: "pool1" top: "ip1"
         inner_product_param { num_output: 5 } }
layers { name: "test_only" type: SOFTMAX bottom: "ip1" top: "prob" include: [{ phase: TEST }] }
layers { name: "level_gated" type: SIGMOID bottom: "ip1" top: "never" include { min_level: 1 } }
"""


def weight_shapes(net, layers, shapes):
    """The weight blob shapes each synthetic layer needs, found by running shapes through."""
    inputs = {k: np.zeros(v) for k, v in shapes.items()}
    blobs = dict(inputs)
    need = {}
    for layer in layers:
        t = layer_type(layer)
        if t == "Input":
            continue
        xs = [blobs[b] for b in layer.bottom]
        x = xs[0]
        if t in ("Convolution", "Deconvolution"):
            p = layer.convolution_param
            k = pair(p, "kernel", None, "kernel_size")
            g = opt(p, "group", 1)
            w = (p.num_output, x.shape[1] // g) if t == "Convolution" else \
                (x.shape[1], p.num_output // g)
            need[layer.name] = [w + k] + ([(p.num_output,)] if opt(p, "bias_term", True) else [])
        elif t == "InnerProduct":
            p = layer.inner_product_param
            axis = canon(opt(p, "axis", 1), x.ndim)
            kdim = int(np.prod(x.shape[axis:]))
            w = (kdim, p.num_output) if opt(p, "transpose", False) else (p.num_output, kdim)
            need[layer.name] = [w] + ([(p.num_output,)] if opt(p, "bias_term", True) else [])
        elif t == "BatchNorm":
            need[layer.name] = [(x.shape[1],), (x.shape[1],), (1,)]
        elif t == "Scale":
            p = layer.scale_param
            axis = canon(opt(p, "axis", 1), x.ndim)
            na = opt(p, "num_axes", 1)
            s = x.shape[axis:axis + (x.ndim - axis if na == -1 else na)]
            need[layer.name] = [s] + ([s] if opt(p, "bias_term", False) else [])
        elif t == "PReLU":
            shared = opt(layer.prelu_param, "channel_shared", False)
            need[layer.name] = [(1,) if shared else (x.shape[1],)]
        w = [np.ones(s) for s in need.get(layer.name, [])]
        for tn, v in zip(layer.top, run_layer(layer, t, xs, w)):
            blobs[tn] = v
    return need


def make_weights(rng, need, layers, legacy):
    """Random weights as a caffemodel; BatchNorm gets a plausible mean/var/factor. legacy: V1
    `layers` with num/channels/height/width shapes, one blob in double_data."""
    model = PB["NetParameter"]()
    by_name = {l.name: l for l in layers}
    weights = {}
    for name, shapes in need.items():
        arrays = [rng.standard_normal(s) * 0.5 for s in shapes]
        if layer_type(by_name[name]) == "BatchNorm":
            arrays = [rng.standard_normal(shapes[0]), rng.uniform(0.5, 2.0, shapes[1]),
                      np.array([0.5])]
            arrays[1] = arrays[1] * 0.5  # stored variance sums are divided by the factor
        arrays = [a.astype(np.float32).astype(np.float64) for a in arrays]
        weights[name] = arrays
        layer = model.layers.add() if legacy else model.layer.add()
        layer.name = name
        layer.type = by_name[name].type
        for i, a in enumerate(arrays):
            b = layer.blobs.add()
            if legacy:
                dims = (1,) * (4 - a.ndim) + a.shape
                b.num, b.channels, b.height, b.width = dims
            else:
                b.shape.dim.extend(a.shape)
            if legacy and i == 0:
                b.double_data.extend(a.reshape(-1).tolist())
            else:
                b.data.extend(a.reshape(-1).tolist())
    return model, weights


# ---------------------------------------------------------------------------------------------
# Cases

CASES = [
    # name, prototxt, caffemodel, synthetic text (or None), legacy caffemodel, seed, input range
    ("cifar10_quick", "cifar10_quick/cifar10_quick.prototxt",
     "cifar10_quick/cifar10_quick_iter_5000.caffemodel", None, False, 10, 64.0),
    ("mtcnn_det1", "mtcnn/det1.prototxt", "mtcnn/det1.caffemodel", None, False, 11, 1.0),
    ("mtcnn_det2", "mtcnn/det2.prototxt", "mtcnn/det2.caffemodel", None, False, 12, 1.0),
    ("mtcnn_det3", "mtcnn/det3.prototxt", "mtcnn/det3.caffemodel", None, False, 13, 1.0),
    ("syn_conv", None, None, SYN_CONV, False, 20, 1.0),
    ("syn_shape", None, None, SYN_SHAPE, False, 21, 1.0),
    ("syn_v1", None, None, SYN_V1, True, 22, 1.0),
]


def npy_bytes(a):
    import io
    f = io.BytesIO()
    np.save(f, a)
    return f.getvalue()


def build_case(case):
    """Every file of one case as {relative name: bytes}."""
    name, proto, model, text, legacy, seed, amp = case
    rng = np.random.default_rng(seed)
    files = {}
    if text is not None:
        proto_path = os.path.join(OUT, name, "net.prototxt")
        files["net.prototxt"] = text.encode()
        net = PB["NetParameter"]()
        text_format.Parse(text, net)
        layers = [l for l in list(net.layer) + list(net.layers) if kept(l)]
        need = weight_shapes(net, layers, input_shapes(net, layers))
        mdl, _ = make_weights(rng, need, layers, legacy)
        files["net.caffemodel"] = mdl.SerializeToString()
        rel_proto, rel_model = "net.prototxt", "net.caffemodel"
        # the reference reads the model files back as any model
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            pp, mp = os.path.join(tmp, "p"), os.path.join(tmp, "m")
            open(pp, "wb").write(files["net.prototxt"])
            open(mp, "wb").write(files["net.caffemodel"])
            net, layers, weights = load(pp, mp)
        del proto_path
    else:
        pp, mp = os.path.join(MODELS, proto), os.path.join(MODELS, model)
        net, layers, weights = load(pp, mp)
        rel_proto = os.path.relpath(pp, os.path.join(OUT, name))
        rel_model = os.path.relpath(mp, os.path.join(OUT, name))
    shapes = input_shapes(net, layers)
    inputs = {b: (rng.uniform(-1.0, 1.0, s) * amp).astype(np.float32) for b, s in shapes.items()}
    outs, blobs = forward(net, layers, weights,
                          {b: v.astype(np.float64) for b, v in inputs.items()})
    lines = ["# generated by tests/caffe/caffe_ref.py; paths relative to this file",
             "prototxt " + rel_proto, "caffemodel " + rel_model]
    for b in shapes:
        files["input_%s.npy" % b] = npy_bytes(inputs[b])
        lines.append("input %s input_%s.npy" % (b, b))
    for b, v in outs.items():
        files["output_%s.npy" % b] = npy_bytes(v.astype(np.float32))
        lines.append("output %s output_%s.npy" % (b, b))
    for b, v in sorted(blobs.items()):
        if b not in shapes and b not in outs:
            files["blob_%s.npy" % b] = npy_bytes(v.astype(np.float32))
            lines.append("check %s blob_%s.npy" % (b, b))
    files["manifest.txt"] = ("\n".join(lines) + "\n").encode()
    return files


def main():
    check = "--check" in sys.argv[1:]
    bad = 0
    versions = ["generator tests/caffe/caffe_ref.py; numpy %s; protobuf (python) %s; "
                "inputs uniform(-1, 1) * range from numpy.random.default_rng(seed)"
                % (np.__version__, google.protobuf.__version__)]
    for case in CASES:
        files = build_case(case)
        versions.append("%s: seed %d, input range %g" % (case[0], case[5], case[6]))
        d = os.path.join(OUT, case[0])
        os.makedirs(d, exist_ok=True)
        for rel, data in sorted(files.items()):
            path = os.path.join(d, rel)
            if check:
                old = open(path, "rb").read() if os.path.exists(path) else None
                if rel.endswith(".npy") and old is not None:
                    import io
                    same = np.array_equal(np.load(io.BytesIO(old)), np.load(io.BytesIO(data)))
                else:
                    same = old == data
                if not same:
                    print("differs: %s" % path)
                    bad += 1
            else:
                with open(path, "wb") as f:
                    f.write(data)
    text = "\n".join(versions) + "\n"
    vpath = os.path.join(OUT, "VERSIONS")
    if not check:
        with open(vpath, "w") as f:
            f.write(text)
    print("%d cases, %d differences" % (len(CASES), bad) if check else "%d cases written" % len(CASES))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
