/* Internal interface of the convolution / matrix-product kernels (conv.c, conv_ref.c, sgemm.c and
 * the SIMD variants sgemm_avx2.c, sgemm_avx512.c). Float32 only, all tensors dense row-major.
 *
 * Reference kernels: plain loop nests, one float accumulator per output, summed in a fixed order
 * (the order is written above each function) and the bias added last.
 * Fast kernels: a packed SGEMM (operands packed into panels, a register-blocked micro-kernel per
 * ISA) and a direct depthwise kernel; results equal the reference within float rounding.
 */
#ifndef HBG_CONV_KERNELS_H
#define HBG_CONV_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "hbg/cpu.h"

/* Geometry of an N-D convolution with up to 3 spatial dims, right-aligned: index 2 is the last
 * (W) axis, 1 is H, 0 is D; unused leading axes have size 1, kernel 1, stride 1, dilation 1, pad 0.
 * For Conv, in = input spatial size and out = output; for ConvTranspose the same fields describe
 * the transposed op (in = its input X, out = its output Y). pad = padding at the axis' start
 * (may be negative for ConvTranspose with an explicit output_shape). */
typedef struct hbg_conv_geom {
    int nsp;       /* spatial rank as written in the model, 1..3 */
    int64_t n;     /* batch */
    int64_t c;     /* input channels */
    int64_t m;     /* output channels */
    int64_t group; /* c and m are multiples of group */
    int64_t in[3], out[3], kern[3], stride[3], dil[3], pad[3];
} hbg_conv_geom;

/* Conv reference. x [n][c][in], w [m][c/group][kern], b [m] or NULL, y [n][m][out].
 * Order: for each output, sum over input channel of the group, then kernel D, H, W; then + b. */
void hbg_conv_ref(const hbg_conv_geom *g, const float *x, const float *w, const float *b, float *y);

/* ConvTranspose reference. x [n][c][in], w [c][m/group][kern], b [m] or NULL, y [n][m][out];
 * y[o] gathers x[i] * w[k] over o = i * stride - pad + k * dil.
 * Order: for each output, sum over input channel of the group, then kernel D, H, W; then + b. */
void hbg_convtranspose_ref(const hbg_conv_geom *g, const float *x, const float *w, const float *b,
                           float *y);

/* y[i][j] = sum_k a(i, k) * b(k, j) for a M x K operand a(i, k) = a[i*a_rs + k*a_cs] and a K x N
 * operand b(k, j) = b[k*b_rs + j*b_cs]; y has row stride ldy. Order: k ascending from 0. */
void hbg_matmul_ref(size_t m, size_t n, size_t k, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs,
                    const float *b, ptrdiff_t b_rs, ptrdiff_t b_cs, float *y, size_t ldy);

/* ---- fast path ---------------------------------------------------------------------------- */

/* Packed layouts. An A operand (M x K) is packed in panels of mr rows; panel p holds element
 * (p*mr + r, k) at p*panel_stride + k*mr + r, rows >= M are 0. A B operand (K x N) is packed in
 * panels of nr columns; panel q holds (k, q*nr + j) at q*panel_stride + k*nr + j, columns >= N are
 * 0. Packed buffers are 64-byte aligned. */

/* C block += / = A block * B block over kc: a has (m + mr - 1) / mr panels, panel stride a_ps;
 * b has (n + nr - 1) / nr panels of nr columns, panel stride b_ps, b_rs floats from one k to the
 * next inside a panel (nr when packed; a matrix's row stride when B is read in place, which
 * needs every panel but the last complete or zero-padded to nr columns).
 * acc == 0: c = product + bias[row] (bias NULL: + 0); acc != 0: c += product (bias unused).
 * clamp: NULL, or {lo, hi}: each value v written is then clamped as a fused Relu/Clip would,
 * v < lo ? lo : v, then v > hi ? hi : v (NaN kept); given only with the last K block.
 * Only the m x n block of c is written. */
typedef void (*hbg_sgemm_block_fn)(size_t m, size_t n, size_t kc, const float *a, size_t a_ps,
                                   const float *b, size_t b_ps, size_t b_rs, float *c, size_t ldc,
                                   const float *bias, int acc, const float *clamp);

/* A depthwise 2-D convolution of one image: output channel o reads input channel o / mult.
 * x [c][h][w], wt [c*mult][kh][kw], bias [c*mult] or NULL, y [c*mult][ho][wo]. pad: workspace of
 * hbg_dw_padded_floats() floats, 64-byte aligned. clamp: NULL or {lo, hi} applied to every output
 * as the block kernels do (a fused Relu/Clip). */
typedef struct hbg_dw_args {
    const float *x, *wt, *bias, *clamp;
    float *y, *pad;
    int64_t c, mult, h, w, ho, wo, kh, kw, sh, sw, dh, dw, pt, pl;
} hbg_dw_args;
typedef void (*hbg_dwconv_fn)(const hbg_dw_args *a);

/* The SIMD depthwise kernels read each input channel from a zero-padded copy: ph rows of pw
 * floats, the input at row pt, column pl, enough zero rows and columns around it that blocks of
 * `rows` output rows by `cols` output columns (the last block overhanging) never need a bounds
 * check; stride-2 loads read 2 * cols floats. */
void hbg_dw_padded_dims(const hbg_dw_args *p, size_t rows, size_t cols, size_t *ph, size_t *pw);
size_t hbg_dw_padded_floats(const hbg_dw_args *p, size_t rows, size_t cols);
/* Copy channel plane xp into the padded plane pp (whose border is already 0). */
void hbg_dw_pad_plane(const hbg_dw_args *p, const float *xp, float *pp, size_t ph, size_t pw);

/* y (m x n, row stride ldy) = ct (n x m, row stride ldct) transposed, + bias[j] (bias NULL: + 0),
 * then clamped to clamp = {lo, hi} like hbg_sgemm_block_fn when clamp is not NULL (the transposed
 * 1x1 product back into NCHW). */
typedef void (*hbg_transpose_fn)(const float *ct, size_t ldct, size_t n, size_t m,
                                 const float *bias, const float *clamp, float *y, size_t ldy);
/* The portable hbg_transpose_fn (exact: one add and the clamp per element, as every variant). */
void hbg_transpose_bias(const float *ct, size_t ldct, size_t n, size_t m, const float *bias,
                        const float *clamp, float *y, size_t ldy);

typedef struct hbg_fast_kernels {
    hbg_isa isa;
    size_t vec;        /* floats per vector register */
    size_t mr, nr;     /* panel heights of packed A and widths of packed B */
    size_t kc, mc, nc; /* cache blocking: K per block, rows of A per block, columns of B per block
                          (mc a multiple of mr, nc a multiple of nr) */
    hbg_sgemm_block_fn block;
    hbg_dwconv_fn dwconv;    /* handles sw (horizontal stride) 1 and 2, any other parameter */
    size_t dw_rows, dw_cols; /* output block of dwconv: rows x columns */
    hbg_transpose_fn transpose;
} hbg_fast_kernels;

#if defined(HBG_X86)
extern const hbg_fast_kernels hbg_fast_avx2;
extern const hbg_fast_kernels hbg_fast_avx512;
#endif

/* Kernels of variant isa, or NULL for the reference (and on hosts without SIMD variants). */
const hbg_fast_kernels *hbg_fast_kernels_get(hbg_isa isa);

/* 2-D convolution geometry of one image and group seen as the K x N operand "im2col(x)":
 * row (ci, ky, kx), column (oy, ox), value x[ci][oy*sh - pt + ky*dh][ox*sw - pl + kx*dw] or 0. */
typedef struct hbg_im2col {
    const float *x; /* first channel of the group */
    int64_t h, w, ho, wo, kh, kw, sh, sw, dh, dw, pt, pl;
} hbg_im2col;

/* The whole im2col(x) operand of im, k = C_g * kh * kw rows of npix = ho * wo columns, into dst
 * (row-major, row stride npix). */
void hbg_im2col_fill(const hbg_im2col *im, size_t k, size_t npix, float *dst);

typedef enum hbg_operand_kind {
    HBG_OPND_PACKED, /* already packed (hbg_sgemm_pack_a / _b over the full K) */
    HBG_OPND_MATRIX, /* element (i, j) at p[i*rs + j*cs] */
    HBG_OPND_IM2COL, /* B only: the im2col view of a convolution input */
} hbg_operand_kind;

typedef struct hbg_operand {
    hbg_operand_kind kind;
    const float *p;
    ptrdiff_t rs, cs;     /* MATRIX */
    size_t panel_stride;  /* PACKED: floats from one panel to the next */
    const hbg_im2col *im; /* IM2COL */
} hbg_operand;

/* Floats needed to pack a whole M x K A operand / K x N B operand (hbg_sgemm_pack_*). */
size_t hbg_sgemm_packed_a_floats(const hbg_fast_kernels *fk, size_t m, size_t k);
size_t hbg_sgemm_packed_b_floats(const hbg_fast_kernels *fk, size_t k, size_t n);
/* Pack a whole MATRIX operand; dst is 64-byte aligned. The result is a PACKED operand with
 * panel_stride k*mr (A) or k*nr (B). */
void hbg_sgemm_pack_a(const hbg_fast_kernels *fk, size_t m, size_t k, const hbg_operand *src,
                      float *dst);
void hbg_sgemm_pack_b(const hbg_fast_kernels *fk, size_t k, size_t n, const hbg_operand *src,
                      float *dst);

/* Workspace bytes hbg_sgemm needs for the given operand kinds (0 when both are packed). */
size_t hbg_sgemm_scratch_bytes(const hbg_fast_kernels *fk, size_t m, size_t n, size_t k,
                               hbg_operand_kind a_kind, hbg_operand_kind b_kind);

/* C (M x N, row stride ldc) = A * B + bias[row] (bias may be NULL), then clamped to clamp = {lo,
 * hi} like hbg_sgemm_block_fn when clamp is not NULL. scratch: 64-byte aligned,
 * hbg_sgemm_scratch_bytes() bytes. K == 0 gives C = bias (or 0), clamped. */
void hbg_sgemm(const hbg_fast_kernels *fk, size_t m, size_t n, size_t k, const hbg_operand *a,
               const hbg_operand *b, float *c, size_t ldc, const float *bias, const float *clamp,
               void *scratch);

/* v clamped to clamp = {lo, hi} as a Relu/Clip node computes it (NaN kept). */
static inline float hbg_clamp1(float v, const float *clamp)
{
    v = v < clamp[0] ? clamp[0] : v;
    return v > clamp[1] ? clamp[1] : v;
}

#endif /* HBG_CONV_KERNELS_H */
