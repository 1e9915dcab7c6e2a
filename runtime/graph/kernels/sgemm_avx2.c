/* AVX2 + FMA variants: the SGEMM block kernel (6 x 16 register tile) and the depthwise
 * convolution. Compiled with -mavx2 -mfma and called only when CPUID reports both (cpu.c). */
#include "conv_kernels.h"

#include <immintrin.h>
#include <string.h>

#define MR     6        /* rows of A per panel = register tile height */
#define NV     2        /* ymm vectors per tile row */
#define NR     (NV * 8) /* columns of B per panel = register tile width */
#define INLINE static inline __attribute__((always_inline))

/* Mask selecting lanes [0, n) of 8, n in [0, 8] (sign bit set = lane active). */
INLINE __m256i lanes(size_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n > 8 ? 8 : n)), idx);
}

/* v clamped to clamp = {lo, hi}: max_ps(lo, v) is v < lo ? lo : v and min_ps(hi, v) is
 * v > hi ? hi : v, NaN kept (the second operand is returned on NaN), as Relu/Clip compute. */
INLINE __m256 clamp_v(__m256 v, const float *clamp)
{
    v = _mm256_max_ps(_mm256_set1_ps(clamp[0]), v);
    return _mm256_min_ps(_mm256_set1_ps(clamp[1]), v);
}

/* Row r of a tile: c[0, cols) (+)= v0 | v1 (first nv vectors), + bias when not acc, then clamped
 * when clamp is not NULL. */
INLINE void store_row(float *cr, const int nv, __m256 v0, __m256 v1, size_t cols, float bias,
                      int acc, const float *clamp)
{
    const __m256 add = _mm256_set1_ps(bias);
    const __m256 v[2] = {v0, v1};
#pragma GCC unroll 2
    for (int i = 0; i < nv; i++) {
        const size_t c0 = (size_t)i * 8;
        if (c0 >= cols)
            continue;
        if (cols - c0 >= 8) {
            const __m256 prev = acc ? _mm256_loadu_ps(cr + c0) : add;
            const __m256 r = _mm256_add_ps(v[i], prev);
            _mm256_storeu_ps(cr + c0, clamp ? clamp_v(r, clamp) : r);
        } else {
            const __m256i mk = lanes(cols - c0);
            const __m256 prev = acc ? _mm256_maskload_ps(cr + c0, mk) : add;
            const __m256 r = _mm256_add_ps(v[i], prev);
            _mm256_maskstore_ps(cr + c0, mk, clamp ? clamp_v(r, clamp) : r);
        }
    }
}

/* rows x (nv * 8) register tile over kc: rows <= MR rows of the A panel a (stride MR per k),
 * nv vectors of the B panel b (stride ldb per k); writes the first cols columns of c. The
 * accumulators are named variables (not an array) so that they stay in registers. */
INLINE void tile(const int rows, const int nv, size_t kc, const float *a, const float *b,
                 size_t ldb, float *c, size_t ldc, size_t cols, const float *bias, int acc,
                 const float *clamp)
{
#define T2(r) __m256 t##r##0 = _mm256_setzero_ps(), t##r##1 = t##r##0
    T2(0);
    T2(1);
    T2(2);
    T2(3);
    T2(4);
    T2(5);
#undef T2
    for (size_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_loadu_ps(b);
        const __m256 b1 = nv > 1 ? _mm256_loadu_ps(b + 8) : b0;
#define FMA_ROW(r)                                                                                 \
    if (rows > r) {                                                                                \
        const __m256 ar = _mm256_broadcast_ss(a + r);                                              \
        t##r##0 = _mm256_fmadd_ps(ar, b0, t##r##0);                                                \
        if (nv > 1)                                                                                \
            t##r##1 = _mm256_fmadd_ps(ar, b1, t##r##1);                                            \
    }
        FMA_ROW(0)
        FMA_ROW(1)
        FMA_ROW(2)
        FMA_ROW(3)
        FMA_ROW(4)
        FMA_ROW(5)
#undef FMA_ROW
        a += MR;
        b += ldb;
    }
#define STORE_ROW(r)                                                                               \
    if (rows > r)                                                                                  \
        store_row(c + (size_t)(r)*ldc, nv, t##r##0, t##r##1, cols, bias ? bias[r] : 0.0f, acc,     \
                  clamp);
    STORE_ROW(0)
    STORE_ROW(1)
    STORE_ROW(2)
    STORE_ROW(3)
    STORE_ROW(4)
    STORE_ROW(5)
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

DEF_TILE(6, 1);
DEF_TILE(6, 2);
DEF_TILE(4, 1);
DEF_TILE(4, 2);
DEF_TILE(2, 1);
DEF_TILE(2, 2);
DEF_TILE(1, 1);
DEF_TILE(1, 2);

static const tile_fn tiles[MR + 1][NV + 1] = {
    [6] = {NULL, tile_6x1, tile_6x2},
    [4] = {NULL, tile_4x1, tile_4x2},
    [2] = {NULL, tile_2x1, tile_2x2},
    [1] = {NULL, tile_1x1, tile_1x2},
};

/* One A panel against one B panel: rows in [1, MR] split into 6, 4, 2, 1-row tiles. */
static void panel_pair(size_t rows, size_t cols, size_t kc, const float *a, const float *b,
                       size_t ldb, float *c, size_t ldc, const float *bias, int acc,
                       const float *clamp)
{
    const int nv = (int)((cols + 7) / 8);
    size_t r0 = 0;
    if (rows == MR) {
        tiles[6][nv](kc, a + r0, b, ldb, c + r0 * ldc, ldc, cols, bias ? bias + r0 : NULL, acc,
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

static void block_avx2(size_t m, size_t n, size_t kc, const float *a, size_t a_ps, const float *b,
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

#define DW_ROWS 4  /* output rows per block */
#define DW_COLS 16 /* output columns per block: two ymm; 4 x 2 independent FMA chains */

/* 8 inputs for 8 consecutive outputs at horizontal stride s from src (stride 2: the even
 * elements of the 16 at src). */
INLINE __m256 dw_load(const float *src, const int s)
{
    if (s == 1)
        return _mm256_loadu_ps(src);
    /* v0[0] v0[2] v1[0] v1[2] | v0[4] v0[6] v1[4] v1[6], then order the 64-bit pairs */
    const __m256 sh =
        _mm256_shuffle_ps(_mm256_loadu_ps(src), _mm256_loadu_ps(src + 8), _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(sh), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* y[0, min(n, 8)) = v, clamped when clamp is not NULL. */
INLINE void dw_store(float *y, int64_t n, __m256 v, const float *clamp)
{
    if (clamp)
        v = clamp_v(v, clamp);
    if (n >= 8)
        _mm256_storeu_ps(y, v);
    else if (n > 0)
        _mm256_maskstore_ps(y, lanes((size_t)n), v);
}

/* One output channel from its zero-padded input plane pp (pw floats per row); s: horizontal
 * stride (1 or 2). */
INLINE void dw_plane(const hbg_dw_args *p, const float *pp, size_t pw, const float *wt, float b0,
                     float *yp, const int s)
{
    const int64_t kh = p->kh, kw = p->kw;
    const size_t rs = (size_t)p->sh * pw;
    for (int64_t oy = 0; oy < p->ho; oy += DW_ROWS) {
        const float *r0 = pp + (size_t)oy * rs;
        for (int64_t ox = 0; ox < p->wo; ox += DW_COLS) {
            __m256 a0 = _mm256_set1_ps(b0), a1 = a0, a2 = a0, a3 = a0;
            __m256 a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int64_t ky = 0; ky < kh; ky++) {
                for (int64_t kx = 0; kx < kw; kx++) {
                    const __m256 wv = _mm256_broadcast_ss(wt + ky * kw + kx);
                    const float *src =
                        r0 + (size_t)(ky * p->dh) * pw + (size_t)(ox * s + kx * p->dw);
                    const float *src8 = src + 8 * s;
                    a0 = _mm256_fmadd_ps(wv, dw_load(src, s), a0);
                    a1 = _mm256_fmadd_ps(wv, dw_load(src8, s), a1);
                    a2 = _mm256_fmadd_ps(wv, dw_load(src + rs, s), a2);
                    a3 = _mm256_fmadd_ps(wv, dw_load(src8 + rs, s), a3);
                    a4 = _mm256_fmadd_ps(wv, dw_load(src + 2 * rs, s), a4);
                    a5 = _mm256_fmadd_ps(wv, dw_load(src8 + 2 * rs, s), a5);
                    a6 = _mm256_fmadd_ps(wv, dw_load(src + 3 * rs, s), a6);
                    a7 = _mm256_fmadd_ps(wv, dw_load(src8 + 3 * rs, s), a7);
                }
            }
            const int64_t n = p->wo - ox, rows = p->ho - oy;
            float *y0 = yp + oy * p->wo + ox;
            dw_store(y0, n, a0, p->clamp);
            dw_store(y0 + 8, n - 8, a1, p->clamp);
            if (rows > 1) {
                dw_store(y0 + p->wo, n, a2, p->clamp);
                dw_store(y0 + p->wo + 8, n - 8, a3, p->clamp);
            }
            if (rows > 2) {
                dw_store(y0 + 2 * p->wo, n, a4, p->clamp);
                dw_store(y0 + 2 * p->wo + 8, n - 8, a5, p->clamp);
            }
            if (rows > 3) {
                dw_store(y0 + 3 * p->wo, n, a6, p->clamp);
                dw_store(y0 + 3 * p->wo + 8, n - 8, a7, p->clamp);
            }
        }
    }
}

typedef void (*dw_plane_fn)(const hbg_dw_args *p, const float *pp, size_t pw, const float *wt,
                            float b0, float *yp);
#define DEF_DW(name, s)                                                                            \
    static void name(const hbg_dw_args *p, const float *pp, size_t pw, const float *wt, float b0,  \
                     float *yp)                                                                    \
    {                                                                                              \
        dw_plane(p, pp, pw, wt, b0, yp, s);                                                        \
    }                                                                                              \
    _Static_assert((s) == 1 || (s) == 2, "horizontal stride 1 or 2")
DEF_DW(dw_s1, 1);
DEF_DW(dw_s2, 2);

static void dwconv_avx2(const hbg_dw_args *p)
{
    size_t ph, pw;
    const dw_plane_fn plane = p->sw == 1 ? dw_s1 : dw_s2;
    hbg_dw_padded_dims(p, DW_ROWS, DW_COLS, &ph, &pw);
    memset(p->pad, 0, ph * pw * sizeof *p->pad);
    for (int64_t c = 0; c < p->c; c++) {
        hbg_dw_pad_plane(p, p->x + c * p->h * p->w, p->pad, ph, pw);
        for (int64_t o = c * p->mult; o < (c + 1) * p->mult; o++)
            plane(p, p->pad, pw, p->wt + o * p->kh * p->kw, p->bias ? p->bias[o] : 0.0f,
                  p->y + o * p->ho * p->wo);
    }
}

const hbg_fast_kernels hbg_fast_avx2 = {
    .isa = HBG_ISA_AVX2,
    .vec = 8,
    .mr = MR,
    .nr = NR,
    .kc = 256,
    .mc = 192,
    .nc = 384,
    .block = block_avx2,
    .transpose = hbg_transpose_bias,
    .dwconv = dwconv_avx2,
    .dw_rows = DW_ROWS,
    .dw_cols = DW_COLS,
};
