/* AVX-512 VNNI variants: CONV NORMAL with vpdpbusd, DEPTHWISE with vpmaddwd, requantiser with
 * 64-bit multiplies. Bit-exact with kernels/ref (integer arithmetic is exact; nothing saturates):
 *
 * vpdpbusd multiplies unsigned by signed bytes, so activations are biased: u = x + 128 (x ^ 0x80),
 * and sum(u * w) = sum(x * w) + 128 * sum(w). The per-channel correction 128 * sum(w) is taken over
 * every tap, so padded positions read as x = 0 (u = 128) and cancel exactly. Each int32 lane adds
 * four products of at most 255 * 128, far from wrapping; wrap-around of the total (bias plus
 * partials) is modulo 2^32 exactly as in the reference. */
#include <immintrin.h>
#include <string.h>

#include "kernels_ref.h"
#include "kernels_x86.h"

#define PX_BLOCK 6 /* output pixels per micro-tile */
#define KV_BLOCK 4 /* 16-channel vectors per micro-tile (64 output channels) */

typedef struct tile_ctx {
    const bpu_conv_geom *g;
    const int8_t *src;
    const int8_t *wgt;
    int32_t c4, k16;
    int32_t kv0;         /* first 16-channel vector of the block */
    const int32_t *corr; /* bias - 128 * sum(w), per channel of the block */
    int32_t *acc;
} tile_ctx;

static inline int32_t load4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* One micro-tile: NP consecutive output pixels of the band (flat index pix = (oy - oy0) * wo + ox,
 * so a tile may span rows) x NK vectors of 16 channels. Called with constant NP, NK so the
 * accumulators live in registers. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
tile(const tile_ctx *t, int32_t oy0, int32_t pix, int32_t NP, int32_t NK)
{
    const bpu_conv_geom *g = t->g;
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    __m512i acc[PX_BLOCK][KV_BLOCK];
    int32_t iy0[PX_BLOCK], ix0[PX_BLOCK];
    for (int32_t p = 0; p < NP; p++) {
        iy0[p] = (oy0 + (pix + p) / g->wo) * g->sh - g->pad_top;
        ix0[p] = (pix + p) % g->wo * g->sw - g->pad_left;
    }
    for (int32_t j = 0; j < NK; j++) {
        __m512i c = _mm512_loadu_si512(t->corr + 16 * j);
        for (int32_t p = 0; p < NP; p++)
            acc[p][j] = c;
    }
    /* a tile within one output row whose every tap lies inside the map: pointers by stride */
    int inside = iy0[0] == iy0[NP - 1] && iy0[0] >= 0 && iy0[0] + (g->kh - 1) * g->dh < g->h &&
                 ix0[0] >= 0 && ix0[NP - 1] + (g->kw - 1) * g->dw < g->w;
    size_t step = (size_t)g->sw * g->src_px;
    for (int32_t ky = 0; ky < g->kh; ky++) {
        for (int32_t kx = 0; kx < g->kw; kx++) {
            const int8_t *px[PX_BLOCK];
            if (inside) {
                const int8_t *b = t->src + (size_t)(iy0[0] + ky * g->dh) * g->src_row +
                                  (size_t)(ix0[0] + kx * g->dw) * g->src_px;
                for (int32_t p = 0; p < NP; p++)
                    px[p] = b + (size_t)p * step;
            } else {
                for (int32_t p = 0; p < NP; p++) {
                    int32_t iy = iy0[p] + ky * g->dh, ix = ix0[p] + kx * g->dw;
                    px[p] = (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w)
                                ? t->src + (size_t)iy * g->src_row + (size_t)ix * g->src_px
                                : bpu_x86_zeros;
                }
            }
            const int8_t *wt =
                t->wgt + ((size_t)(ky * g->kw + kx) * t->c4 * t->k16 + (size_t)t->kv0 * 16) * 4;
            for (int32_t c = 0; c < t->c4; c++) {
                __m512i w[KV_BLOCK];
                for (int32_t j = 0; j < NK; j++)
                    w[j] = _mm512_loadu_si512(wt + (size_t)j * 64);
                for (int32_t p = 0; p < NP; p++) {
                    __m512i a = _mm512_xor_si512(_mm512_set1_epi32(load4(px[p] + 4 * c)), flip);
                    for (int32_t j = 0; j < NK; j++)
                        acc[p][j] = _mm512_dpbusd_epi32(acc[p][j], a, w[j]);
                }
                wt += (size_t)t->k16 * 4;
            }
        }
    }
    int32_t k = g->k;
    for (int32_t p = 0; p < NP; p++) {
        int32_t *out = t->acc + (size_t)(pix + p) * k + (size_t)t->kv0 * 16;
        for (int32_t j = 0; j < NK; j++) {
            int32_t left = k - (t->kv0 + j) * 16;
            __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
            _mm512_mask_storeu_epi32(out + 16 * j, m, acc[p][j]);
        }
    }
}

#define TILE_NK(np)                                                                                \
    switch (nk) {                                                                                  \
    case 4:                                                                                        \
        tile(t, oy0, pix, np, 4);                                                                  \
        break;                                                                                     \
    case 3:                                                                                        \
        tile(t, oy0, pix, np, 3);                                                                  \
        break;                                                                                     \
    case 2:                                                                                        \
        tile(t, oy0, pix, np, 2);                                                                  \
        break;                                                                                     \
    default:                                                                                       \
        tile(t, oy0, pix, np, 1);                                                                  \
        break;                                                                                     \
    }

/* All npix output pixels of the band for one block of nk channel vectors; tiles run across rows,
 * so only the band's last < PX_BLOCK pixels take the one-pixel tile. */
static void band_block(const tile_ctx *t, int32_t oy0, int32_t npix, int32_t nk)
{
    int32_t pix = 0;
    for (; pix + PX_BLOCK <= npix; pix += PX_BLOCK)
        TILE_NK(PX_BLOCK)
    for (; pix < npix; pix++)
        TILE_NK(1)
}

void bpu_avx512vnni_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                         const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t c4 = (g->c + 3) / 4;
    int32_t k16 = (g->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    int32_t taps = g->kh * g->kw;
    int32_t corr[KV_BLOCK * 16];
    tile_ctx t = {g, src, wgt, c4, k16, 0, corr, acc};
    for (int32_t kv0 = 0; kv0 < k16 / 16; kv0 += KV_BLOCK) {
        int32_t nk = k16 / 16 - kv0 < KV_BLOCK ? k16 / 16 - kv0 : KV_BLOCK;
        /* corr = bias - 128 * sum(w) (mod 2^32), the sums taken by vpdpbusd itself with u = 128
         * in every byte; padding weights are zero. */
        const __m512i u128 = _mm512_set1_epi32((int32_t)0x80808080u);
        for (int32_t j = 0; j < nk; j++) {
            __m512i sum = _mm512_setzero_si512();
            const int8_t *wt = wgt + (size_t)(kv0 + j) * 64;
            for (int32_t grp = 0; grp < taps * c4; grp++)
                sum =
                    _mm512_dpbusd_epi32(sum, u128, _mm512_loadu_si512(wt + (size_t)grp * k16 * 4));
            int32_t left = g->k - (kv0 + j) * 16;
            __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
            __m512i b = _mm512_maskz_loadu_epi32(m, bias + (size_t)(kv0 + j) * 16);
            _mm512_storeu_si512(corr + 16 * j, _mm512_sub_epi32(b, sum));
        }
        t.kv0 = kv0;
        band_block(&t, oy0, (oy1 - oy0) * g->wo, nk);
    }
}

/* DEPTHWISE: 32 channels per step as int16; taps taken in pairs and interleaved so vpmaddwd adds
 * x0*w0 + x1*w1 per channel exactly (|x*w| <= 2^14, no saturation). Unpacking interleaves within
 * 128-bit lanes: the "lo" sums hold channels {0-3, 8-11, 16-19, 24-27}, "hi" the others; one
 * permute restores channel order before the bias is added. */
#define DW_MAX_PAIRS 32

/* Interior pixels of one output row for 3x3 kernels: all nine taps valid, offsets fixed, weights
 * and bias held in registers; n pixels from base, stepping step bytes in the source and k int32 in
 * the output. */
static void dw3x3_run(const int8_t *base, ptrdiff_t step, const ptrdiff_t *offs, int32_t n,
                      __mmask32 lm, const __m512i *wlo, const __m512i *whi, __m512i b0, __m512i b1,
                      __mmask16 m0, __mmask16 m1, int32_t *out, size_t k)
{
    const __m512i idx0 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i idx1 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    const __m512i wl0 = wlo[0], wl1 = wlo[1], wl2 = wlo[2], wl3 = wlo[3], wl4 = wlo[4];
    const __m512i wh0 = whi[0], wh1 = whi[1], wh2 = whi[2], wh3 = whi[3], wh4 = whi[4];
    const ptrdiff_t o0 = offs[0], o1 = offs[1], o2 = offs[2], o3 = offs[3], o4 = offs[4],
                    o5 = offs[5], o6 = offs[6], o7 = offs[7], o8 = offs[8];
    const __m512i zero = _mm512_setzero_si512();
    for (int32_t i = 0; i < n; i++) {
#define DWX(o) _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, base + (o)))
        __m512i x0 = DWX(o0), x1 = DWX(o1), x2 = DWX(o2), x3 = DWX(o3), x4 = DWX(o4);
        __m512i x5 = DWX(o5), x6 = DWX(o6), x7 = DWX(o7), x8 = DWX(o8);
#undef DWX
        __m512i lo = _mm512_madd_epi16(_mm512_unpacklo_epi16(x0, x1), wl0);
        __m512i hi = _mm512_madd_epi16(_mm512_unpackhi_epi16(x0, x1), wh0);
        lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(x2, x3), wl1));
        hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(x2, x3), wh1));
        lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(x4, x5), wl2));
        hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(x4, x5), wh2));
        lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(x6, x7), wl3));
        hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(x6, x7), wh3));
        lo = _mm512_add_epi32(lo, _mm512_madd_epi16(_mm512_unpacklo_epi16(x8, zero), wl4));
        hi = _mm512_add_epi32(hi, _mm512_madd_epi16(_mm512_unpackhi_epi16(x8, zero), wh4));
        _mm512_mask_storeu_epi32(out, m0,
                                 _mm512_add_epi32(_mm512_permutex2var_epi64(lo, idx0, hi), b0));
        _mm512_mask_storeu_epi32(out + 16, m1,
                                 _mm512_add_epi32(_mm512_permutex2var_epi64(lo, idx1, hi), b1));
        base += step;
        out += k;
    }
}

/* Interior pixels of one output row for 3x3 kernels with horizontal stride and dilation 1. Rows
 * r0, r1 are paired per input column (and r2 with zero), so one unpacked column serves the three
 * output pixels that read it: one new column (3 loads, 4 unpacks) per output pixel instead of nine
 * taps. wgt points at channel cb of the [3][3][c] weights. */
static void dw3x3_s1_run(const int8_t *base, ptrdiff_t row, size_t px, int32_t n, __mmask32 lm,
                         const int8_t *wgt, int32_t c, __m512i b0, __m512i b1, __mmask16 m0,
                         __mmask16 m1, int32_t *out, size_t k)
{
    const __m512i idx0 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i idx1 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    const __m512i zero = _mm512_setzero_si512();
#define DWW(t) _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, wgt + (size_t)(t)*c))
    __m512i wl01[3], wh01[3], wl2[3], wh2[3];
    for (int32_t kx = 0; kx < 3; kx++) {
        __m512i w0 = DWW(kx), w1 = DWW(3 + kx), w2 = DWW(6 + kx);
        wl01[kx] = _mm512_unpacklo_epi16(w0, w1);
        wh01[kx] = _mm512_unpackhi_epi16(w0, w1);
        wl2[kx] = _mm512_unpacklo_epi16(w2, zero);
        wh2[kx] = _mm512_unpackhi_epi16(w2, zero);
    }
#undef DWW
    /* column state: (rows 0,1) lo/hi and (row 2, 0) lo/hi for the columns ox, ox+1 */
    __m512i cl01[3], ch01[3], cl2[3], ch2[3];
#define DWCOL(j, col)                                                                              \
    do {                                                                                           \
        const int8_t *q_ = base + (size_t)(col)*px;                                                \
        __m512i x0_ = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, q_));                       \
        __m512i x1_ = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, q_ + row));                 \
        __m512i x2_ = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, q_ + 2 * row));             \
        cl01[j] = _mm512_unpacklo_epi16(x0_, x1_);                                                 \
        ch01[j] = _mm512_unpackhi_epi16(x0_, x1_);                                                 \
        cl2[j] = _mm512_unpacklo_epi16(x2_, zero);                                                 \
        ch2[j] = _mm512_unpackhi_epi16(x2_, zero);                                                 \
    } while (0)
    DWCOL(0, 0);
    DWCOL(1, 1);
    for (int32_t i = 0; i < n; i++) {
        DWCOL(2, i + 2);
        __m512i lo = _mm512_madd_epi16(cl01[0], wl01[0]);
        __m512i hi = _mm512_madd_epi16(ch01[0], wh01[0]);
        lo = _mm512_add_epi32(lo, _mm512_madd_epi16(cl2[0], wl2[0]));
        hi = _mm512_add_epi32(hi, _mm512_madd_epi16(ch2[0], wh2[0]));
        for (int32_t j = 1; j < 3; j++) {
            lo = _mm512_add_epi32(lo, _mm512_madd_epi16(cl01[j], wl01[j]));
            hi = _mm512_add_epi32(hi, _mm512_madd_epi16(ch01[j], wh01[j]));
            lo = _mm512_add_epi32(lo, _mm512_madd_epi16(cl2[j], wl2[j]));
            hi = _mm512_add_epi32(hi, _mm512_madd_epi16(ch2[j], wh2[j]));
        }
        _mm512_mask_storeu_epi32(out, m0,
                                 _mm512_add_epi32(_mm512_permutex2var_epi64(lo, idx0, hi), b0));
        _mm512_mask_storeu_epi32(out + 16, m1,
                                 _mm512_add_epi32(_mm512_permutex2var_epi64(lo, idx1, hi), b1));
        out += k;
        cl01[0] = cl01[1];
        ch01[0] = ch01[1];
        cl2[0] = cl2[1];
        ch2[0] = ch2[1];
        cl01[1] = cl01[2];
        ch01[1] = ch01[2];
        cl2[1] = cl2[2];
        ch2[1] = ch2[2];
    }
#undef DWCOL
}

void bpu_avx512_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                       const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t taps = g->kh * g->kw;
    int32_t pairs = (taps + 1) / 2;
    const __m512i idx0 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i idx1 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    __m512i wlo[DW_MAX_PAIRS], whi[DW_MAX_PAIRS];
    ptrdiff_t offs[2 * DW_MAX_PAIRS];
    const int8_t *xp[2 * DW_MAX_PAIRS];
    if (pairs > DW_MAX_PAIRS) {
        bpu_ref_dwconv(g, src, wgt, bias, oy0, oy1, acc);
        return;
    }
    for (int32_t ky = 0; ky < g->kh; ky++)
        for (int32_t kx = 0; kx < g->kw; kx++)
            offs[ky * g->kw + kx] = (ptrdiff_t)ky * g->dh * (ptrdiff_t)g->src_row +
                                    (ptrdiff_t)kx * g->dw * (ptrdiff_t)g->src_px;
    xp[taps] = bpu_x86_zeros; /* odd tap count: a zero partner with zero weights */
    int32_t ext_h = (g->kh - 1) * g->dh, ext_w = (g->kw - 1) * g->dw;
    for (int32_t cb = 0; cb < g->c; cb += 32) {
        int32_t nc = g->c - cb < 32 ? g->c - cb : 32;
        __mmask32 lm = nc == 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << nc) - 1u);
        for (int32_t pr = 0; pr < pairs; pr++) {
            int32_t t0 = 2 * pr, t1 = 2 * pr + 1;
            __m512i w0 =
                _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, wgt + (size_t)t0 * g->c + cb));
            __m512i w1 = t1 < taps ? _mm512_cvtepi8_epi16(
                                         _mm256_maskz_loadu_epi8(lm, wgt + (size_t)t1 * g->c + cb))
                                   : _mm512_setzero_si512();
            wlo[pr] = _mm512_unpacklo_epi16(w0, w1);
            whi[pr] = _mm512_unpackhi_epi16(w0, w1);
        }
        __mmask16 m0 = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1u);
        __mmask16 m1 = nc <= 16   ? 0
                       : nc == 32 ? (__mmask16)0xFFFF
                                  : (__mmask16)((1u << (nc - 16)) - 1u);
        __m512i b0 = _mm512_maskz_loadu_epi32(m0, bias + cb);
        __m512i b1 = _mm512_maskz_loadu_epi32(m1, bias + cb + 16);
        for (int32_t oy = oy0; oy < oy1; oy++) {
            int32_t iy0 = oy * g->sh - g->pad_top;
            int rows_in = iy0 >= 0 && iy0 + ext_h < g->h;
            /* interior columns [oxa, oxb): every tap inside the map */
            int32_t oxa = (g->pad_left + g->sw - 1) / g->sw;
            int32_t last = g->w - 1 - ext_w + g->pad_left;
            int32_t oxb = last < 0 ? 0 : last / g->sw + 1;
            oxb = oxb > g->wo ? g->wo : oxb;
            for (int32_t ox = 0; ox < g->wo; ox++) {
                int32_t ix0 = ox * g->sw - g->pad_left;
                if (g->kh == 3 && g->kw == 3 && g->sw == 1 && g->dw == 1 && rows_in && ox == oxa &&
                    oxa < oxb) {
                    dw3x3_s1_run(src + (size_t)iy0 * g->src_row + (size_t)ix0 * g->src_px + cb,
                                 (ptrdiff_t)g->dh * (ptrdiff_t)g->src_row, g->src_px, oxb - oxa, lm,
                                 wgt + cb, g->c, b0, b1, m0, m1,
                                 acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k + cb, (size_t)g->k);
                    ox = oxb - 1;
                    continue;
                }
                if (taps == 9 && rows_in && ox == oxa && oxa < oxb) {
                    dw3x3_run(src + (size_t)iy0 * g->src_row + (size_t)ix0 * g->src_px + cb,
                              (ptrdiff_t)g->sw * (ptrdiff_t)g->src_px, offs, oxb - oxa, lm, wlo,
                              whi, b0, b1, m0, m1,
                              acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k + cb, (size_t)g->k);
                    ox = oxb - 1;
                    continue;
                }
                if (rows_in && ix0 >= 0 && ix0 + ext_w < g->w) {
                    const int8_t *base =
                        src + (size_t)iy0 * g->src_row + (size_t)ix0 * g->src_px + cb;
                    for (int32_t tap = 0; tap < taps; tap++)
                        xp[tap] = base + offs[tap];
                } else {
                    for (int32_t ky = 0; ky < g->kh; ky++) {
                        for (int32_t kx = 0; kx < g->kw; kx++) {
                            int32_t iy = iy0 + ky * g->dh, ix = ix0 + kx * g->dw;
                            xp[ky * g->kw + kx] =
                                (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w)
                                    ? src + (size_t)iy * g->src_row + (size_t)ix * g->src_px + cb
                                    : bpu_x86_zeros;
                        }
                    }
                }
                __m512i slo = _mm512_setzero_si512(), shi = _mm512_setzero_si512();
                for (int32_t pr = 0; pr < pairs; pr++) {
                    __m512i x0 = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, xp[2 * pr]));
                    __m512i x1 = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lm, xp[2 * pr + 1]));
                    slo = _mm512_add_epi32(
                        slo, _mm512_madd_epi16(_mm512_unpacklo_epi16(x0, x1), wlo[pr]));
                    shi = _mm512_add_epi32(
                        shi, _mm512_madd_epi16(_mm512_unpackhi_epi16(x0, x1), whi[pr]));
                }
                int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k + cb;
                __m512i o0 = _mm512_add_epi32(_mm512_permutex2var_epi64(slo, idx0, shi), b0);
                __m512i o1 = _mm512_add_epi32(_mm512_permutex2var_epi64(slo, idx1, shi), b1);
                _mm512_mask_storeu_epi32(out, m0, o0);
                _mm512_mask_storeu_epi32(out + 16, m1, o1);
            }
        }
    }
}

/* Requantiser, 16 channels per step: 32x32 -> 64-bit products on even and odd lanes separately,
 * rounding add, arithmetic shift, clamp in 64 bits, narrow (values already in [lo, hi]). */
void bpu_avx512_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                        const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px)
{
    const __m512i one = _mm512_set1_epi64(1);
    const __m512i vlo = _mm512_set1_epi64(lo), vhi = _mm512_set1_epi64(hi);
    const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
    for (int32_t kk = 0; kk < k; kk += 16) {
        int32_t left = k - kk;
        __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        __m512i mv = _mm512_maskz_loadu_epi32(m, mult + kk);
        __m512i rv = _mm512_maskz_loadu_epi32(m, shift + kk);
        __m512i m_odd = _mm512_srli_epi64(mv, 32);
        __m512i r_even = _mm512_and_si512(rv, low32), r_odd = _mm512_srli_epi64(rv, 32);
        __m512i rnd_even = _mm512_sllv_epi64(one, _mm512_sub_epi64(r_even, one));
        __m512i rnd_odd = _mm512_sllv_epi64(one, _mm512_sub_epi64(r_odd, one));
        for (int32_t p = 0; p < n; p++) {
            __m512i a = _mm512_maskz_loadu_epi32(m, acc + (size_t)p * k + kk);
            __m512i pe = _mm512_mul_epi32(a, mv);
            __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(a, 32), m_odd);
            pe = _mm512_srav_epi64(_mm512_add_epi64(pe, rnd_even), r_even);
            po = _mm512_srav_epi64(_mm512_add_epi64(po, rnd_odd), r_odd);
            pe = _mm512_min_epi64(_mm512_max_epi64(pe, vlo), vhi);
            po = _mm512_min_epi64(_mm512_max_epi64(po, vlo), vhi);
            __m512i v = _mm512_mask_blend_epi32((__mmask16)0xAAAA, pe, _mm512_slli_epi64(po, 32));
            _mm_mask_storeu_epi8(dst + (size_t)p * dst_px + kk, m, _mm512_cvtepi32_epi8(v));
        }
    }
}
