# Expected values for tests/unit/test_kernels_conv.c (the "numpy" cases), computed in float64
# with formulations independent of the C kernels (pad-then-slice for Conv, scatter-then-crop for
# ConvTranspose, numpy matmul/broadcasting for Gemm and MatMul), printed as C initialisers.
# usage: /usr/bin/python3 tests/unit/data/gen_conv_cases.py > cases.txt  (numpy only)
import numpy as np

rng = np.random.default_rng(20240601)


def vals(shape):
    # multiples of 1/8 in [-2, 2): exact in float32, so inputs are printed exactly
    return rng.integers(-16, 16, size=shape).astype(np.float64) / 8.0


def conv2d(x, w, b, group, strides, dil, pads):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    sh, sw = strides
    dh, dw = dil
    pt, pl, pb, pr = pads
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    ho = (h + pt + pb - ((kh - 1) * dh + 1)) // sh + 1
    wo = (wd + pl + pr - ((kw - 1) * dw + 1)) // sw + 1
    mg = m // group
    y = np.zeros((n, m, ho, wo))
    for g in range(group):
        for ky in range(kh):
            for kx in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg,
                           ky * dh: ky * dh + sh * (ho - 1) + 1: sh,
                           kx * dw: kx * dw + sw * (wo - 1) + 1: sw]
                y[:, g * mg:(g + 1) * mg] += np.einsum('nchw,mc->nmhw', patch,
                                                       w[g * mg:(g + 1) * mg, :, ky, kx])
    return y + b[None, :, None, None]


def convtranspose2d(x, w, b, group, strides, dil, pads_begin, out_hw, opad):
    n, c, h, wd = x.shape
    _, mg, kh, kw = w.shape
    cg = c // group
    m = mg * group
    sh, sw = strides
    dh, dw = dil
    fh = sh * (h - 1) + (kh - 1) * dh + 1 + opad[0]
    fw = sw * (wd - 1) + (kw - 1) * dw + 1 + opad[1]
    full = np.zeros((n, m, fh, fw))
    for g in range(group):
        for ci in range(cg):
            for mo in range(mg):
                for ky in range(kh):
                    for kx in range(kw):
                        full[:, g * mg + mo,
                             ky * dh: ky * dh + sh * (h - 1) + 1: sh,
                             kx * dw: kx * dw + sw * (wd - 1) + 1: sw] += \
                            x[:, g * cg + ci] * w[g * cg + ci, mo, ky, kx]
    # crop [pb, pb + out) out of the full result (zero beyond it)
    y = np.zeros((n, m, out_hw[0], out_hw[1]))
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            fy, fx = oy + pads_begin[0], ox + pads_begin[1]
            if 0 <= fy < fh and 0 <= fx < fw:
                y[:, :, oy, ox] = full[:, :, fy, fx]
    return y + b[None, :, None, None]


def emit(name, a):
    flat = np.asarray(a, dtype=np.float32).ravel()
    body = ", ".join("%.9g" % v for v in flat)
    print("static const float %s[%d] = {%s};" % (name, flat.size, body))


# Conv: group 2, stride (2, 1), dilation (1, 2), asymmetric pads (1, 2, 0, 1), bias.
x = vals((1, 4, 5, 6))
w = vals((4, 2, 3, 2))
b = vals((4,))
emit("np_conv_x", x)
emit("np_conv_w", w)
emit("np_conv_b", b)
emit("np_conv_y", conv2d(x, w, b, 2, (2, 1), (1, 2), (1, 2, 0, 1)))   # shape 1x4x2x7

# ConvTranspose: group 2, W [2][2][2][3], stride (2, 3), dilation (1, 2), pads (1, 0, 0, 1),
# output_padding (1, 1): out = s*(in-1) + op + ext - pads = (2*2+1+2-1, 3*2+1+5-1) = (6, 11)
x = vals((1, 2, 3, 3))
w = vals((2, 2, 2, 3))
b = vals((4,))
emit("np_convt_x", x)
emit("np_convt_w", w)
emit("np_convt_b", b)
emit("np_convt_y", convtranspose2d(x, w, b, 2, (2, 3), (1, 2), (1, 0), (6, 11), (1, 1)))

# Gemm: transA, transB, alpha 0.5, beta 2, C [1, 5] broadcast over 3 rows.
a = vals((4, 3))   # A^T: A is 3x4
bm = vals((5, 4))  # B^T: B is 4x5
c = vals((1, 5))
emit("np_gemm_a", a)
emit("np_gemm_b", bm)
emit("np_gemm_c", c)
emit("np_gemm_y", 0.5 * (a.T @ bm.T) + 2.0 * c)

# MatMul: [2, 1, 3, 4] x [3, 4, 2] -> [2, 3, 3, 2]
a = vals((2, 1, 3, 4))
bm = vals((3, 4, 2))
emit("np_matmul_a", a)
emit("np_matmul_b", bm)
emit("np_matmul_y", np.matmul(a, bm))
