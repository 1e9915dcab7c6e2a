#!/usr/bin/python3
"""Independent numpy implementation of docs/quantized-ops.md (the integer operators of
*_quantized_model.onnx), used to make the golden outputs the C integer executor is tested
against (tests/unit/quant/test_quant_models.c).

Written from the document, not from the C code: every integer step is numpy int64 arithmetic.

    qref.py DIR

DIR holds model.onnx (a quantized model) and input_<r>.npy files; for each input it writes
golden_<r>_dq<i>.npy (the integer tensor read by the i-th Dequantize node, in file order) and
golden_<r>_out<j>.npy (graph output j), and versions.txt with the tool versions.
"""
import glob
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

DOMAIN = "ai.hbtc.int8"
I64 = np.int64


def rha(x):
    """Round half away from zero, in double."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    f = np.floor(a)
    r = f + ((a - f) >= 0.5)
    return np.where(np.isnan(x), 0.0, np.sign(x) * r)


def rq(acc, m, r, lo, hi):
    """sat((acc * M + 2^(r-1)) >> r, lo, hi) in int64 (>> floors)."""
    acc = np.asarray(acc, dtype=I64)
    m = np.asarray(m, dtype=I64)
    r = np.asarray(r, dtype=I64)
    return np.clip((acc * m + (I64(1) << (r - 1))) >> r, lo, hi)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


# ---- ai.hbtc.int8 ---------------------------------------------------------------------------


def op_quantize(x, a):
    v = rha(x.astype(np.float64) / np.float64(np.float32(a["scale"])))
    return np.clip(v, -128, 127).astype(np.int8)


def op_dequantize(x, a):
    s = np.asarray(a["scales"], dtype=np.float32).astype(np.float64)
    if s.size > 1:
        s = s.reshape((1, -1) + (1,) * (x.ndim - 2))
    return (x.astype(np.float64) * s).astype(np.float32)


def conv_acc(x, w, b, a):
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    g = a["group"]
    oh = (h + pt + pb - ((kh - 1) * dh + 1)) // sh + 1
    ow = (wd + pl + pr - ((kw - 1) * dw + 1)) // sw + 1
    # padded taps read pad_value (0 unless the input is unsigned, docs/quantized-ops.md)
    xp = np.full((n, c, h + pt + pb, wd + pl + pr), a.get("pad_value", 0), dtype=I64)
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    w = w.astype(I64)
    acc = np.zeros((n, k, oh, ow), dtype=I64) + b.astype(I64).reshape(1, k, 1, 1)
    kg = k // g
    for gi in range(g):
        xs = xp[:, gi * cg:(gi + 1) * cg]
        wg = w[gi * kg:(gi + 1) * kg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
                acc[:, gi * kg:(gi + 1) * kg] += np.einsum("nchw,kc->nkhw", patch, wg[:, :, i, j])
    return acc


def acc_out(acc, a):
    if a["out_int32"]:
        assert np.all(np.abs(acc) < 2**31)
        return acc.astype(np.int32)
    shape = (1, -1) + (1,) * (acc.ndim - 2)
    m = np.asarray(a["multiplier"], dtype=I64).reshape(shape)
    r = np.asarray(a["shift"], dtype=I64).reshape(shape)
    return rq(acc, m, r, a["lo"], a["hi"]).astype(np.int8)


def op_conv(x, w, b, a):
    return acc_out(conv_acc(x, w, b, a), a)


def op_gemm(x, w, b, a):
    acc = x.astype(I64) @ w.astype(I64).T + b.astype(I64)[None, :]
    return acc_out(acc, a)


def op_add(x1, x2, a, sign=1):
    v = x1.astype(I64) * a["multiplier1"] + sign * x2.astype(I64) * a["multiplier2"]
    r = I64(a["shift"])
    return np.clip((v + (I64(1) << (r - 1))) >> r, a["lo"], a["hi"]).astype(np.int8)


def op_sub(x1, x2, a):
    return op_add(x1, x2, a, -1)


def op_mul(x1, x2, a):
    v = x1.astype(I64) * x2.astype(I64)
    return rq(v, a["multiplier"], a["shift"], a["lo"], a["hi"]).astype(np.int8)


def op_rescale(x, a):
    return rq(x, a["multiplier"], a["shift"], a["lo"], a["hi"]).astype(np.int8)


def pool_axis(inn, k, s, pb, pe, ceil_mode):
    span = inn + pb + pe - k
    out = (span + s - 1) // s + 1 if ceil_mode else span // s + 1
    if ceil_mode and (out - 1) * s >= inn + pb:
        out -= 1
    return out


def op_avgpool(x, a):
    n, c, h, w = x.shape
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    cm, cip = a["ceil_mode"], a["count_include_pad"]
    oh = pool_axis(h, kh, sh, pt, pb, cm)
    ow = pool_axis(w, kw, sw, pl, pr, cm)
    counts = list(a["counts"])
    y = np.zeros((n, c, oh, ow), dtype=np.int8)
    xi = x.astype(I64)

    def taps(o, s, p, pe, k, inn):
        s0 = o * s - p
        lo, hi = max(0, -s0), min(k, inn - s0)
        hi = max(hi, lo)
        cnt = min(k, inn + pe - s0) if cip else hi - lo
        return s0 + lo, s0 + hi, cnt

    for i in range(oh):
        h0, h1, ch = taps(i, sh, pt, pb, kh, h)
        for j in range(ow):
            w0, w1, cw = taps(j, sw, pl, pr, kw, w)
            idx = counts.index(ch * cw)
            ssum = xi[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            y[:, :, i, j] = rq(ssum, a["multiplier"][idx], a["shift"][idx], a["lo"], a["hi"])
    return y


def op_gap(x, a):
    s = x.astype(I64).sum(axis=(2, 3), keepdims=True)
    return rq(s, a["multiplier"], a["shift"], a["lo"], a["hi"]).astype(np.int8)


def op_lut(x, a):
    t = np.asarray(a["table"], dtype=I64)
    assert t.size == 256 and t.min() >= -128 and t.max() <= 127
    return t[x.astype(I64) + 128].astype(np.int8)


QOPS = {
    "Quantize": op_quantize, "Dequantize": op_dequantize, "Conv": op_conv, "Gemm": op_gemm,
    "Add": op_add, "Sub": op_sub, "Mul": op_mul, "Rescale": op_rescale,
    "AveragePool": op_avgpool, "GlobalAveragePool": op_gap, "Lut": op_lut,
}

# ---- default domain (ONNX semantics) -----------------------------------------------------


def d_maxpool(x, a, opset):
    n, c, h, w = x.shape
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    cm = a.get("ceil_mode", 0)
    assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
    oh = pool_axis(h, (kh - 1) * dh + 1, sh, pt, pb, cm)
    ow = pool_axis(w, (kw - 1) * dw + 1, sw, pl, pr, cm)
    y = np.full((n, c, oh, ow), -128, dtype=np.int64)
    low = np.iinfo(np.int64).min
    for i in range(oh):
        for j in range(ow):
            m = np.full((n, c), low, dtype=np.int64)
            for u in range(kh):
                r = i * sh - pt + u * dh
                if r < 0 or r >= h:
                    continue
                for v in range(kw):
                    q = j * sw - pl + v * dw
                    if 0 <= q < w:
                        m = np.maximum(m, x[:, :, r, q].astype(np.int64))
            y[:, :, i, j] = m
    return y.astype(x.dtype)


def d_reshape(x, shape, a, opset):
    shape = [int(v) for v in shape]
    shape = [x.shape[i] if v == 0 and not a.get("allowzero", 0) else v for i, v in enumerate(shape)]
    return x.reshape(shape)


def d_flatten(x, a, opset):
    ax = a.get("axis", 1)
    ax = ax + x.ndim if ax < 0 else ax
    return x.reshape(int(np.prod(x.shape[:ax])), -1)


def d_transpose(x, a, opset):
    return np.transpose(x, a.get("perm", list(range(x.ndim))[::-1]))


def d_concat(*xs, a, opset):
    return np.concatenate(xs, axis=a["axis"])


def d_slice(x, starts, ends, axes=None, steps=None, a=None, opset=None):
    axes = list(range(len(starts))) if axes is None else [int(v) for v in axes]
    steps = [1] * len(starts) if steps is None else [int(v) for v in steps]
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        dim = x.shape[ax]
        s, e = int(s), int(e)
        s = max(-dim - 1, min(dim, s))
        e = max(-dim - 1, min(dim, e))
        sl[ax] = slice(s, e if e >= -dim else None, st)
    return x[tuple(sl)]


def d_resize(x, *ins, a, opset):
    mode = a.get("mode", b"nearest")
    assert mode in (b"nearest", "nearest")
    if opset < 10 or len(ins) == 1:  # Upsample(x, scales)
        scales, sizes, ctm, nm = ins[-1], None, b"asymmetric", b"floor"
    else:
        scales = ins[1] if len(ins) > 1 and ins[1] is not None and ins[1].size else None
        sizes = ins[2] if len(ins) > 2 and ins[2] is not None and ins[2].size else None
        ctm = a.get("coordinate_transformation_mode", b"half_pixel")
        nm = a.get("nearest_mode", b"round_prefer_floor")
    if sizes is not None:
        out = [int(v) for v in sizes]
        scales = [o / i for o, i in zip(out, x.shape)]
    else:
        scales = [float(v) for v in scales]
        out = [int(np.floor(i * s)) for i, s in zip(x.shape, scales)]
    y = x
    for ax in range(x.ndim):
        if out[ax] == x.shape[ax] and scales[ax] == 1.0:
            continue
        o = np.arange(out[ax], dtype=np.float64)
        s = np.float64(np.float32(scales[ax])) if sizes is None else out[ax] / x.shape[ax]
        if ctm in (b"asymmetric", "asymmetric"):
            c = o / s
        elif ctm in (b"align_corners", "align_corners"):
            c = o * (x.shape[ax] - 1) / (out[ax] - 1) if out[ax] > 1 else o * 0
        elif ctm in (b"pytorch_half_pixel", "pytorch_half_pixel"):
            c = (o + 0.5) / s - 0.5 if out[ax] > 1 else o * 0
        else:
            c = (o + 0.5) / s - 0.5
        if nm in (b"floor", "floor"):
            i = np.floor(c)
        elif nm in (b"ceil", "ceil"):
            i = np.ceil(c)
        elif nm in (b"round_prefer_ceil", "round_prefer_ceil"):
            i = np.floor(c + 0.5)
        else:
            i = np.ceil(c - 0.5)
        i = np.clip(i, 0, x.shape[ax] - 1).astype(np.int64)
        y = np.take(y, i, axis=ax)
    return y


def d_squeeze(x, axes=None, a=None, opset=None):
    axes = a.get("axes") if axes is None else axes
    return np.squeeze(x, axis=tuple(int(v) for v in axes)) if axes is not None else np.squeeze(x)


def d_unsqueeze(x, axes=None, a=None, opset=None):
    axes = a.get("axes") if axes is None else axes
    for ax in sorted(int(v) if v >= 0 else int(v) + x.ndim + len(axes) for v in axes):
        x = np.expand_dims(x, ax)
    return x


def d_softmax(x, a, opset):
    ax = a.get("axis", -1 if opset >= 13 else 1)
    if opset < 13:
        sh = x.shape
        ax = ax + x.ndim if ax < 0 else ax
        x2 = x.reshape(int(np.prod(sh[:ax])), -1).astype(np.float64)
        e = np.exp(x2 - x2.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32).reshape(sh)
    x2 = x.astype(np.float64)
    e = np.exp(x2 - x2.max(axis=ax, keepdims=True))
    return (e / e.sum(axis=ax, keepdims=True)).astype(np.float32)


DOPS = {
    "MaxPool": lambda x, a, opset: d_maxpool(x, a, opset),
    "GlobalMaxPool": lambda x, a, opset: x.max(axis=(2, 3), keepdims=True),
    "Reshape": lambda x, s, a, opset: d_reshape(x, s, a, opset),
    "Flatten": d_flatten,
    "Transpose": d_transpose,
    "Identity": lambda x, a, opset: x,
    "Gather": lambda x, i, a, opset: np.take(x, i.astype(I64), axis=a.get("axis", 0)),
    "Relu": lambda x, a, opset: np.maximum(x, 0).astype(x.dtype),
    "Softmax": d_softmax,
}
DOPS_VAR = {"Concat": d_concat, "Slice": d_slice, "Resize": d_resize, "Upsample": d_resize,
            "Squeeze": d_squeeze, "Unsqueeze": d_unsqueeze}


def run(model, x_in):
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    opset = {o.domain or "": o.version for o in model.opset_import}[""]
    for name, v in x_in.items():
        env[name] = v
    dq = []
    for node in model.graph.node:
        a = attrs(node)
        ins = [env[n] if n else None for n in node.input]
        if node.domain == DOMAIN:
            fn = QOPS[node.op_type]
            y = fn(*ins, a)
            if node.op_type == "Dequantize":
                dq.append(ins[0])
        elif node.domain in ("", "ai.onnx"):
            if node.op_type == "Constant":
                y = numpy_helper.to_array(a["value"])
            elif node.op_type in DOPS:
                y = DOPS[node.op_type](*ins, a=a, opset=opset)
            elif node.op_type in DOPS_VAR:
                y = DOPS_VAR[node.op_type](*ins, a=a, opset=opset)
            else:
                raise SystemExit("qref: node %s: op %s is not implemented" % (node.name, node.op_type))
        else:
            raise SystemExit("qref: node %s: unknown domain %s" % (node.name, node.domain))
        env[node.output[0]] = y
    outs = [env[o.name] for o in model.graph.output]
    return dq, outs


def main():
    d = sys.argv[1]
    model = onnx.load(os.path.join(d, "model.onnx"))
    inp = model.graph.input[0].name
    for f in sorted(glob.glob(os.path.join(d, "input_*.npy"))):
        r = os.path.basename(f)[len("input_"):-len(".npy")]
        dq, outs = run(model, {inp: np.load(f)})
        for i, t in enumerate(dq):
            np.save(os.path.join(d, "golden_%s_dq%d.npy" % (r, i)), np.ascontiguousarray(t))
        for i, t in enumerate(outs):
            np.save(os.path.join(d, "golden_%s_out%d.npy" % (r, i)), np.ascontiguousarray(t))
    with open(os.path.join(d, "versions.txt"), "w") as fp:
        fp.write("goldens by tests/quant/qref.py: python %s, numpy %s, onnx %s\n"
                 % (sys.version.split()[0], np.__version__, onnx.__version__))


if __name__ == "__main__":
    main()
