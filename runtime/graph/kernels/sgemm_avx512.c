/* AVX-512 (F, BW, VL, DQ) variants: the SGEMM block kernel (8 x 48 register tile) and the
 * depthwise convolution. Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma
 * and called only when CPUID reports those features (cpu.c). */
#include "conv_kernels.h"

#include <immintrin.h>
#include <string.h>

#define MR     8         /* rows of A per panel = register tile height */
#define NV     3         /* zmm vectors per tile row */
#define NR     (NV * 16) /* columns of B per panel = register tile width */
#define INLINE static inline __attribute__((always_inline))

/* Lanes [0, n) of a 16-lane mask, n in [0, 16]. */
INLINE __mmask16 lanes(size_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

/* v clamped to clamp = {lo, hi}: max_ps(lo, v) is v < lo ? lo : v and min_ps(hi, v) is
 * v > hi ? hi : v, NaN kept (the second operand is returned on NaN), as Relu/Clip compute. */
INLINE __m512 clamp_v(__m512 v, const float *clamp)
{
    v = _mm512_max_ps(_mm512_set1_ps(clamp[0]), v);
    return _mm512_min_ps(_mm512_set1_ps(clamp[1]), v);
}

/* Row r of a tile: c[0, cols) (+)= v0 | v1 | v2 (first nv vectors), + bias when not acc, then
 * clamped when clamp is not NULL. */
INLINE void store_row(float *cr, const int nv, __m512 v0, __m512 v1, __m512 v2, size_t cols,
                      float bias, int acc, const float *clamp)
{
    const __m512 add = _mm512_set1_ps(bias);
    const __m512 v[3] = {v0, v1, v2};
#pragma GCC unroll 3
    for (int i = 0; i < nv; i++) {
        const size_t c0 = (size_t)i * 16;
        if (c0 >= cols)
            continue;
        const __mmask16 mk = lanes(cols - c0);
        const __m512 prev = acc ? _mm512_maskz_loadu_ps(mk, cr + c0) : add;
        const __m512 r = _mm512_add_ps(v[i], prev);
        _mm512_mask_storeu_ps(cr + c0, mk, clamp ? clamp_v(r, clamp) : r);
    }
}

/* rows x (nv * 16) register tile over kc: rows <= MR rows of the A panel a (stride MR per k),
 * nv vectors of the B panel b (stride ldb per k); writes the first cols columns of c. The
 * accumulators are named variables (not an array) so that they stay in registers. */
INLINE void tile(const int rows, const int nv, size_t kc, const float *a, const float *b,
                 size_t ldb, float *c, size_t ldc, size_t cols, const float *bias, int acc,
                 const float *clamp)
{
#define T3(r) __m512 t##r##0 = _mm512_setzero_ps(), t##r##1 = t##r##0, t##r##2 = t##r##0
    T3(0);
    T3(1);
    T3(2);
    T3(3);
    T3(4);
    T3(5);
    T3(6);
    T3(7);
#undef T3
    for (size_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_loadu_ps(b);
        const __m512 b1 = nv > 1 ? _mm512_loadu_ps(b + 16) : b0;
        const __m512 b2 = nv > 2 ? _mm512_loadu_ps(b + 32) : b0;
#define FMA_ROW(r)                                                                                 \
    if (rows > r) {                                                                                \
        const __m512 ar = _mm512_set1_ps(a[r]);                                                    \
        t##r##0 = _mm512_fmadd_ps(ar, b0, t##r##0);                                                \
        if (nv > 1)                                                                                \
            t##r##1 = _mm512_fmadd_ps(ar, b1, t##r##1);                                            \
        if (nv > 2)                                                                                \
            t##r##2 = _mm512_fmadd_ps(ar, b2, t##r##2);                                            \
    }
        FMA_ROW(0)
        FMA_ROW(1)
        FMA_ROW(2)
        FMA_ROW(3)
        FMA_ROW(4)
        FMA_ROW(5)
        FMA_ROW(6)
        FMA_ROW(7)
#undef FMA_ROW
        a += MR;
        b += ldb;
    }
#define STORE_ROW(r)                                                                               \
    if (rows > r)                                                                                  \
        store_row(c + (size_t)(r)*ldc, nv, t##r##0, t##r##1, t##r##2, cols, bias ? bias[r] : 0.0f, \
                  acc, clamp);
    STORE_ROW(0)
    STORE_ROW(1)
    STORE_ROW(2)
    STORE_ROW(3)
    STORE_ROW(4)
    STORE_ROW(5)
    STORE_ROW(6)
    STORE_ROW(7)
#undef STORE_ROW
}

/* One function per tile shape, so that each is register-allocated on its own. */
typedef void (*tile_fn)(size_t kc, const float *a, const float *b, size_t ldb, float *c, size_t ldc,
                        size_t cols, const float *bias, int acc, const float *clamp);
#define DEF_TILE(R, V)                                                                             \
    static void tile_##R##x##V(size_t kc, const float *a, const float *b, size_t ldb, float *c,    \
                               size_t ldc, size_t cols, const float *bias, int acc,                \
                               const float *clamp)                                                 \
    {                                                                                              \
        tile(R, V, kc, a, b, ldb, c, ldc, cols, bias, acc, clamp);                                 \
    }                                                                                              \
    _Static_assert((R) <= MR && (V) <= NV, "tile larger than the panels")

DEF_TILE(8, 1);
DEF_TILE(8, 2);
DEF_TILE(8, 3);
DEF_TILE(4, 1);
DEF_TILE(4, 2);
DEF_TILE(4, 3);
DEF_TILE(2, 1);
DEF_TILE(2, 2);
DEF_TILE(2, 3);
DEF_TILE(1, 1);
DEF_TILE(1, 2);
DEF_TILE(1, 3);

static const tile_fn tiles[MR + 1][NV + 1] = {
    [8] = {NULL, tile_8x1, tile_8x2, tile_8x3},
    [4] = {NULL, tile_4x1, tile_4x2, tile_4x3},
    [2] = {NULL, tile_2x1, tile_2x2, tile_2x3},
    [1] = {NULL, tile_1x1, tile_1x2, tile_1x3},
};

/* One A panel against one B panel: rows in [1, MR] split into 8, 4, 2, 1-row tiles. */
static void panel_pair(size_t rows, size_t cols, size_t kc, const float *a, const float *b,
                       size_t ldb, float *c, size_t ldc, const float *bias, int acc,
                       const float *clamp)
{
    const int nv = (int)((cols + 15) / 16);
    size_t r0 = 0;
    if (rows == MR) {
        tiles[8][nv](kc, a + r0, b, ldb, c + r0 * ldc, ldc, cols, bias ? bias + r0 : NULL, acc,
                     clamp);
        return;
    }
    if (rows - r0 >= 4) {
        tiles[4][nv](kc, a + r0, b, ldb, c + r0 * ldc, ldc, cols, bias ? bias + r0 : NULL, acc,
                     clamp);
        r0 += 4;
    }
    if (rows - r0 >= 2) {
        tiles[2][nv](kc, a + r0, b, ldb, c + r0 * ldc, ldc, cols, bias ? bias + r0 : NULL, acc,
                     clamp);
        r0 += 2;
    }
    if (rows - r0 >= 1)
        tiles[1][nv](kc, a + r0, b, ldb, c + r0 * ldc, ldc, cols, bias ? bias + r0 : NULL, acc,
                     clamp);
}

static void block_avx512(size_t m, size_t n, size_t kc, const float *a, size_t a_ps, const float *b,
                         size_t b_ps, size_t b_rs, float *c, size_t ldc, const float *bias, int acc,
                         const float *clamp)
{
    /* B panel outer: one kc x NR panel of B is reused by every A panel of the block. */
    for (size_t j = 0; j < n; j += NR) {
        const size_t cols = n - j < NR ? n - j : NR;
        const float *bp = b + (j / NR) * b_ps;
        for (size_t i = 0; i < m; i += MR)
            panel_pair(m - i < MR ? m - i : MR, cols, kc, a + (i / MR) * a_ps, bp, b_rs,
                       c + i * ldc + j, ldc, bias ? bias + i : NULL, acc, clamp);
    }
}

/* The depthwise kernel keeps 8 independent FMA chains (FMA latency 4 x up to 2 per cycle):
 * 4 output rows x 2 vectors for planes wider than 16, 8 rows x 1 vector otherwise. The padded
 * plane is sized for the larger of the two overhangs. */
#define DW_ROWS 8  /* output rows a block may cover */
#define DW_COLS 32 /* output columns a block may cover */

/* 16 inputs for 16 consecutive outputs at horizontal stride s from src (stride 2: the even
 * elements of the 32 at src). */
INLINE __m512 dw_load(const float *src, const int s)
{
    if (s == 1)
        return _mm512_loadu_ps(src);
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(src), even, _mm512_loadu_ps(src + 16));
}

/* One output channel from its zero-padded input plane pp (pw floats per row), in blocks of
 * 8 / nv rows by nv vectors; s: horizontal stride (1 or 2). */
INLINE void dw_plane(const hbg_dw_args *p, const float *pp, size_t pw, const float *wt, float b0,
                     float *yp, const int s, const int nv)
{
    const int rows = 8 / nv;
    const size_t rs = (size_t)p->sh * pw;
    for (int64_t oy = 0; oy < p->ho; oy += rows) {
        const float *r0 = pp + (size_t)oy * rs;
        for (int64_t ox = 0; ox < p->wo; ox += 16 * nv) {
            __m512 a0 = _mm512_set1_ps(b0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0,
                   a7 = a0;
            for (int64_t ky = 0; ky < p->kh; ky++) {
                for (int64_t kx = 0; kx < p->kw; kx++) {
                    const __m512 wv = _mm512_set1_ps(wt[ky * p->kw + kx]);
                    const float *src =
                        r0 + (size_t)(ky * p->dh) * pw + (size_t)(ox * s + kx * p->dw);
/* accumulator i: output row i / nv, vector i % nv of the block */
#define DW_FMA(i)                                                                                  \
    a##i = _mm512_fmadd_ps(                                                                        \
        wv, dw_load(src + (size_t)((i) / nv) * rs + (size_t)((i) % nv * 16 * s), s), a##i)
                    DW_FMA(0);
                    DW_FMA(1);
                    DW_FMA(2);
                    DW_FMA(3);
                    DW_FMA(4);
                    DW_FMA(5);
                    DW_FMA(6);
                    DW_FMA(7);
#undef DW_FMA
                }
            }
#define DW_STORE(i)                                                                                \
    do {                                                                                           \
        const int64_t row_ = oy + (i) / nv, col_ = ox + (i) % nv * 16;                             \
        if (row_ < p->ho && col_ < p->wo)                                                          \
            _mm512_mask_storeu_ps(yp + row_ * p->wo + col_, lanes((size_t)(p->wo - col_)),         \
                                  p->clamp ? clamp_v(a##i, p->clamp) : a##i);                      \
    } while (0)
            DW_STORE(0);
            DW_STORE(1);
            DW_STORE(2);
            DW_STORE(3);
            DW_STORE(4);
            DW_STORE(5);
            DW_STORE(6);
            DW_STORE(7);
#undef DW_STORE
        }
    }
}

typedef void (*dw_plane_fn)(const hbg_dw_args *p, const float *pp, size_t pw, const float *wt,
                            float b0, float *yp);
#define DEF_DW(name, s, nv)                                                                        \
    static void name(const hbg_dw_args *p, const float *pp, size_t pw, const float *wt, float b0,  \
                     float *yp)                                                                    \
    {                                                                                              \
        dw_plane(p, pp, pw, wt, b0, yp, s, nv);                                                    \
    }                                                                                              \
    _Static_assert(((s) == 1 || (s) == 2) && 8 % (nv) == 0, "stride 1 or 2, 8 chains")
DEF_DW(dw_s1_wide, 1, 2);
DEF_DW(dw_s2_wide, 2, 2);
DEF_DW(dw_s1_narrow, 1, 1);
DEF_DW(dw_s2_narrow, 2, 1);

static void dwconv_avx512(const hbg_dw_args *p)
{
    size_t ph, pw;
    const int wide = p->wo > 16;
    const dw_plane_fn plane =
        p->sw == 1 ? (wide ? dw_s1_wide : dw_s1_narrow) : (wide ? dw_s2_wide : dw_s2_narrow);
    hbg_dw_padded_dims(p, DW_ROWS, DW_COLS, &ph, &pw);
    memset(p->pad, 0, ph * pw * sizeof *p->pad);
    for (int64_t c = 0; c < p->c; c++) {
        hbg_dw_pad_plane(p, p->x + c * p->h * p->w, p->pad, ph, pw);
        for (int64_t o = c * p->mult; o < (c + 1) * p->mult; o++)
            plane(p, p->pad, pw, p->wt + o * p->kh * p->kw, p->bias ? p->bias[o] : 0.0f,
                  p->y + o * p->ho * p->wo);
    }
}

/* 16 x 16 transpose in registers: after it r[k] holds column k of the 16 rows given. */
INLINE void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int k = 0; k < 16; k += 2) { /* interleave row pairs: 32-bit */
        t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 16; k += 4) { /* 64-bit pairs */
        r[k] = _mm512_castpd_ps(
            _mm512_unpacklo_pd(_mm512_castps_pd(t[k]), _mm512_castps_pd(t[k + 2])));
        r[k + 1] = _mm512_castpd_ps(
            _mm512_unpackhi_pd(_mm512_castps_pd(t[k]), _mm512_castps_pd(t[k + 2])));
        r[k + 2] = _mm512_castpd_ps(
            _mm512_unpacklo_pd(_mm512_castps_pd(t[k + 1]), _mm512_castps_pd(t[k + 3])));
        r[k + 3] = _mm512_castpd_ps(
            _mm512_unpackhi_pd(_mm512_castps_pd(t[k + 1]), _mm512_castps_pd(t[k + 3])));
    }
    for (int k = 0; k < 4; k++) { /* 128-bit lanes: rows k, 4+k, 8+k, 12+k */
        t[k] = _mm512_shuffle_f32x4(r[k], r[k + 4], 0x88);
        t[k + 4] = _mm512_shuffle_f32x4(r[k], r[k + 4], 0xDD);
        t[k + 8] = _mm512_shuffle_f32x4(r[k + 8], r[k + 12], 0x88);
        t[k + 12] = _mm512_shuffle_f32x4(r[k + 8], r[k + 12], 0xDD);
    }
    for (int k = 0; k < 4; k++) {
        r[k] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);
        r[k + 8] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xDD);
        r[k + 4] = _mm512_shuffle_f32x4(t[k + 4], t[k + 12], 0x88);
        r[k + 12] = _mm512_shuffle_f32x4(t[k + 4], t[k + 12], 0xDD);
    }
}

/* hbg_transpose_fn: 16 x 16 blocks in registers; the ragged edges by hbg_transpose_bias (the
 * same add and clamp, so the result does not depend on the path). */
static void transpose_avx512(const float *ct, size_t ldct, size_t n, size_t m, const float *bias,
                             const float *clamp, float *y, size_t ldy)
{
    const size_t n16 = n / 16 * 16, m16 = m / 16 * 16;
    for (size_t i0 = 0; i0 < n16; i0 += 16) {
        for (size_t j0 = 0; j0 < m16; j0 += 16) {
            __m512 r[16];
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++)
                r[k] = _mm512_loadu_ps(ct + (i0 + (size_t)k) * ldct + j0);
            transpose16(r);
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++) {
                __m512 v = _mm512_add_ps(r[k], _mm512_set1_ps(bias ? bias[j0 + (size_t)k] : 0.0f));
                if (clamp)
                    v = clamp_v(v, clamp);
                _mm512_storeu_ps(y + (j0 + (size_t)k) * ldy + i0, v);
            }
        }
        if (m16 < m) /* the last m % 16 rows of y over these 16 columns */
            hbg_transpose_bias(ct + i0 * ldct + m16, ldct, 16, m - m16, bias ? bias + m16 : NULL,
                               clamp, y + m16 * ldy + i0, ldy);
    }
    if (n16 < n)
        hbg_transpose_bias(ct + n16 * ldct, ldct, n - n16, m, bias, clamp, y + n16, ldy);
}

const hbg_fast_kernels hbg_fast_avx512 = {
    .isa = HBG_ISA_AVX512,
    .vec = 16,
    .mr = MR,
    .nr = NR,
    .kc = 256,
    .mc = 256,
    .nc = 384,
    .block = block_avx512,
    .transpose = transpose_avx512,
    .dwconv = dwconv_avx512,
    .dw_rows = DW_ROWS,
    .dw_cols = DW_COLS,
};
