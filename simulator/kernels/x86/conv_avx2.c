/* AVX2 variants: CONV NORMAL and DEPTHWISE with vpmaddwd on int16 (never vpmaddubsw, which
 * saturates), requantiser with vpmuldq. Bit-exact with kernels/ref: every product fits int16 pairs
 * summed in int32 (|x*w| <= 2^14), and totals wrap modulo 2^32 like the reference.
 *
 * NORMAL: one 16-byte weight load holds 4 output channels x 4 input channels; sign-extended to
 * int16 and multiplied with the 4 activations broadcast as int16, vpmaddwd leaves two partial sums
 * per output channel, folded with one horizontal add at the end of the tile. */
#include <immintrin.h>
#include <string.h>

#include "kernels_ref.h"
#include "bpu/numerics.h"
#include "kernels_x86.h"
#include "requant_avx2.h"

const int8_t bpu_x86_zeros[BPU_MAX_CHANNEL + 64] = {0};

#define PX_BLOCK 3 /* output pixels per micro-tile */
#define KV_BLOCK 4 /* 4-channel vectors per micro-tile (16 output channels) */

static inline int32_t load4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

typedef struct tile_ctx {
    const bpu_conv_geom *g;
    const int8_t *src;
    const int8_t *wgt;
    int32_t c4, k16;
    int32_t kb; /* first output channel of the 16-channel block */
    const int32_t *bias;
    int32_t *acc;
    /* few input channels (c4 <= 2: the per-tap loop would dominate): source offset of every
     * 4-channel group (tap-major, as the weights) from a pixel's window origin; else NULL */
    const ptrdiff_t *goff;
    int32_t groups;
    /* this block's weights already widened to int16 (group g, vector j at (4g + j) * 16), so the
     * tiles do not widen them again for every pixel triple; NULL for very deep windows */
    const int16_t *w16;
} tile_ctx;

#define W16_GROUPS 256 /* groups widened ahead (32 KiB) */

/* Weight vector j (4 output x 4 input channels, as int16) of group grp of the block. */
static inline __m256i wvec(const tile_ctx *t, const int8_t *wt, int32_t grp, int32_t j,
                           int32_t WIDE)
{
    if (WIDE)
        return _mm256_loadu_si256(
            (const __m256i *)(const void *)(t->w16 + (size_t)(4 * grp + j) * 16));
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(wt + 16 * j)));
}

#define GROUPS_MAX 512

/* Loops over a micro-tile's pixels and vectors unrolled before the accumulator array is split
 * into registers: one left rolled keeps the whole array in memory, and every vpmaddwd sum is then
 * stored too. */
#if defined(__GNUC__) && !defined(__clang__)
#define PRAGMA_UNROLL _Pragma("GCC unroll 8")
#else
#define PRAGMA_UNROLL
#endif

/* The 4 bytes at p sign-extended to int16 and repeated over the 8 lanes of 2 int16: a broadcast
 * load (vbroadcastss, no shuffle unit) and one sign extension. */
static inline __m256i bcast4_s16(const int8_t *p)
{
    return _mm256_cvtepi8_epi16(_mm_castps_si128(_mm_broadcast_ss((const float *)(const void *)p)));
}

/* NP consecutive output pixels of the band (flat index pix = (oy - oy0) * wo + ox; a tile may
 * span rows) x 16 output channels. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
tile(const tile_ctx *t, int32_t oy, int32_t ox, int32_t pix, int32_t NP, int32_t WIDE)
{
    const bpu_conv_geom *g = t->g;
    __m256i acc[PX_BLOCK][KV_BLOCK];
    int32_t iy0[PX_BLOCK], ix0[PX_BLOCK];
    /* (oy, ox): the first pixel's output position (no divisions per tile) */
    PRAGMA_UNROLL
    for (int32_t p = 0; p < NP; p++) {
        iy0[p] = oy * g->sh - g->pad_top;
        ix0[p] = ox * g->sw - g->pad_left;
        if (++ox == g->wo) {
            ox = 0;
            oy++;
        }
        PRAGMA_UNROLL
        for (int32_t j = 0; j < KV_BLOCK; j++)
            acc[p][j] = _mm256_setzero_si256();
    }
    /* a tile within one output row whose every tap lies inside the map: pointers by stride */
    int inside = iy0[0] == iy0[NP - 1] && iy0[0] >= 0 && iy0[0] + (g->kh - 1) * g->dh < g->h &&
                 ix0[0] >= 0 && ix0[NP - 1] + (g->kw - 1) * g->dw < g->w;
    size_t step = (size_t)g->sw * g->src_px;
    if (inside && t->goff) {
        /* one flat loop over the window's groups: no per-tap pointer set-up */
        const int8_t *px[PX_BLOCK];
        PRAGMA_UNROLL
        for (int32_t p = 0; p < NP; p++)
            px[p] = t->src + (size_t)iy0[0] * g->src_row + (size_t)ix0[0] * g->src_px + p * step;
        const int8_t *wt = t->wgt + (size_t)t->kb * 4;
        for (int32_t grp = 0; grp < t->groups; grp++) {
            ptrdiff_t o = t->goff[grp];
            __m256i a[PX_BLOCK];
            PRAGMA_UNROLL
            for (int32_t p = 0; p < NP; p++)
                a[p] = bcast4_s16(px[p] + o);
            PRAGMA_UNROLL
            for (int32_t j = 0; j < KV_BLOCK; j++) {
                __m256i w = wvec(t, wt, grp, j, WIDE);
                PRAGMA_UNROLL
                for (int32_t p = 0; p < NP; p++)
                    acc[p][j] = _mm256_add_epi32(acc[p][j], _mm256_madd_epi16(a[p], w));
            }
            wt += (size_t)t->k16 * 4;
        }
        goto store;
    }
    for (int32_t ky = 0; ky < g->kh; ky++) {
        for (int32_t kx = 0; kx < g->kw; kx++) {
            const int8_t *px[PX_BLOCK];
            if (inside) {
                const int8_t *b = t->src + (size_t)(iy0[0] + ky * g->dh) * g->src_row +
                                  (size_t)(ix0[0] + kx * g->dw) * g->src_px;
                PRAGMA_UNROLL
                for (int32_t p = 0; p < NP; p++)
                    px[p] = b + (size_t)p * step;
            } else {
                PRAGMA_UNROLL
                for (int32_t p = 0; p < NP; p++) {
                    int32_t iy = iy0[p] + ky * g->dh, ix = ix0[p] + kx * g->dw;
                    px[p] = (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w)
                                ? t->src + (size_t)iy * g->src_row + (size_t)ix * g->src_px
                                : bpu_x86_zeros;
                }
            }
            const int8_t *wt =
                t->wgt + ((size_t)(ky * g->kw + kx) * t->c4 * t->k16 + (size_t)t->kb) * 4;
            for (int32_t c = 0; c < t->c4; c++) {
                __m256i a[PX_BLOCK];
                PRAGMA_UNROLL
                for (int32_t p = 0; p < NP; p++)
                    a[p] = bcast4_s16(px[p] + 4 * c);
                PRAGMA_UNROLL
                for (int32_t j = 0; j < KV_BLOCK; j++) {
                    __m256i w = wvec(t, wt, (ky * g->kw + kx) * t->c4 + c, j, WIDE);
                    PRAGMA_UNROLL
                    for (int32_t p = 0; p < NP; p++)
                        acc[p][j] = _mm256_add_epi32(acc[p][j], _mm256_madd_epi16(a[p], w));
                }
                wt += (size_t)t->k16 * 4;
            }
        }
    }
store:;
    int32_t k = g->k;
    int32_t left = k - t->kb;
    __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(t->bias));
    __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(t->bias + 8));
    PRAGMA_UNROLL
    for (int32_t p = 0; p < NP; p++) {
        /* lanes of acc[j] are (k 4j+0: c01, c23), (k 4j+1: ...): pairwise sums, then reorder */
        __m256i s0 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[p][0], acc[p][1]), 0xD8);
        __m256i s1 = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[p][2], acc[p][3]), 0xD8);
        s0 = _mm256_add_epi32(s0, b0);
        s1 = _mm256_add_epi32(s1, b1);
        int32_t *out = t->acc + (size_t)(pix + p) * k + t->kb;
        if (left >= 16) {
            _mm256_storeu_si256((__m256i *)(void *)out, s0);
            _mm256_storeu_si256((__m256i *)(void *)(out + 8), s1);
        } else {
            int32_t tmp[16];
            _mm256_storeu_si256((__m256i *)(void *)tmp, s0);
            _mm256_storeu_si256((__m256i *)(void *)(tmp + 8), s1);
            memcpy(out, tmp, (size_t)left * sizeof(int32_t));
        }
    }
}

/* Few input channels (c4 <= 2 with several taps, e.g. the 3-channel first layer; or 1x1 with at
 * most 32): each output pixel's window is packed once, as int16, into a row of a small buffer
 * (IM_PX pixels at a time), one kernel row (kw * c <= 32 bytes, 16-byte loads) per rs = kw * c
 * rounded up to even values, so values pair up across taps: a 3x3x3 window takes 15 int16 pairs
 * instead of 9 groups of 4 bytes (18 pairs). Values past a kernel row's kw * c (the next bytes of
 * the map) meet zero weights. Each pair is broadcast by a plain 32-bit load and multiplied with 8
 * output channels' weight pairs, so the sums need no horizontal add and the activations are
 * sign-extended once per pixel, not once per 16 output channels; padded positions are packed as
 * 0, so there are no border tiles. */
#define IM_LEN_MAX 64   /* int16 per packed pixel, at most */
#define IM_PX      64   /* pixels packed at a time */
#define IM_NP      4    /* output pixels per tile (x 16 channels: 8 accumulators) */
#define IM_W_MAX   8192 /* weight pairs x 16-channel blocks (32 KiB of int16) */
#define IM_SEG_MAX 32   /* bytes of a kernel row (kw * c), at most */

/* n output pixels from flat index (oy, ox) of the band into rows of x (len16 int16 apart): kernel
 * row ky's kw * c values at ky * rs, each as int16, 0 for padded positions. A window inside the
 * map, dense (pixels c bytes apart) and with 16 readable bytes after its last row's start (lim:
 * bytes readable from src) takes one 16-byte load per kernel row; the others are gathered byte by
 * byte. Not inlined: inside the caller its loop counters lived on the stack. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void
im_pack(const bpu_conv_geom *g, const int8_t *src, size_t lim, int32_t oy, int32_t ox, int32_t n,
        int32_t rs, int32_t len16, int16_t *x)
{
    int dense = g->dw == 1 && g->src_px == (size_t)g->c;
    int32_t ext_h = (g->kh - 1) * g->dh;
    int32_t seg16 = (g->kw * g->c + 15) / 16 * 16; /* bytes loaded per kernel row */
    size_t drow = (size_t)g->dh * g->src_row;
    for (int32_t i = 0; i < n; i++) {
        int32_t iy0 = oy * g->sh - g->pad_top, ix0 = ox * g->sw - g->pad_left;
        int16_t *xr = x + (size_t)i * len16;
        size_t off = (size_t)iy0 * g->src_row + (size_t)ix0 * g->src_px;
        if (dense && iy0 >= 0 && iy0 + ext_h < g->h && ix0 >= 0 && ix0 + g->kw <= g->w &&
            off + (size_t)ext_h * g->src_row + (size_t)seg16 <= lim) {
            for (int32_t ky = 0; ky < g->kh && seg16 == 16; ky++) {
                /* later rows overwrite this one's values past rs */
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + off));
                _mm256_storeu_si256((__m256i *)(void *)(xr + (size_t)ky * rs),
                                    _mm256_cvtepi8_epi16(v));
                off += drow;
            }
            for (int32_t ky = 0; ky < g->kh && seg16 > 16; ky++) {
                for (int32_t j = 0; j < seg16; j += 16) {
                    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + off + j));
                    _mm256_storeu_si256((__m256i *)(void *)(xr + (size_t)ky * rs + j),
                                        _mm256_cvtepi8_epi16(v));
                }
                off += drow;
            }
        } else {
            for (int32_t ky = 0; ky < g->kh; ky++) {
                int32_t iy = iy0 + ky * g->dh;
                int8_t b[IM_SEG_MAX] = {0};
                for (int32_t kx = 0; kx < g->kw && iy >= 0 && iy < g->h; kx++) {
                    int32_t ix = ix0 + kx * g->dw;
                    for (int32_t ch = 0; ch < g->c && ix >= 0 && ix < g->w; ch++)
                        b[kx * g->c + ch] =
                            src[(size_t)iy * g->src_row + (size_t)ix * g->src_px + (size_t)ch];
                }
                for (int32_t j = 0; j < seg16; j += 16)
                    _mm256_storeu_si256((__m256i *)(void *)(xr + (size_t)ky * rs + j),
                                        _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                            (const __m128i *)(const void *)(b + j))));
            }
        }
        if (++ox == g->wo) {
            ox = 0;
            oy++;
        }
    }
}

/* NP packed pixels (rows of x, len16 apart) x 16 output channels: w holds, per pair q, the two
 * values' weights of channels 0-7 then 8-15 as int16 pairs; bias in b0, b1; left = channels of
 * the block that exist. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
im_tile(const int16_t *x, int32_t len16, const int16_t *w, int32_t pairs, __m256i b0, __m256i b1,
        int32_t *out, int32_t k, int32_t left, int32_t NP)
{
    __m256i acc[IM_NP][2];
    PRAGMA_UNROLL
    for (int32_t p = 0; p < NP; p++) {
        acc[p][0] = b0;
        acc[p][1] = b1;
    }
    for (int32_t q = 0; q < pairs; q++) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)(w + (size_t)q * 32));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(w + (size_t)q * 32 + 16));
        PRAGMA_UNROLL
        for (int32_t p = 0; p < NP; p++) {
            int32_t v;
            memcpy(&v, x + (size_t)p * len16 + 2 * q, 4);
            __m256i a = _mm256_set1_epi32(v);
            acc[p][0] = _mm256_add_epi32(acc[p][0], _mm256_madd_epi16(a, w0));
            acc[p][1] = _mm256_add_epi32(acc[p][1], _mm256_madd_epi16(a, w1));
        }
    }
    PRAGMA_UNROLL
    for (int32_t p = 0; p < NP; p++) {
        int32_t *o = out + (size_t)p * k;
        if (left >= 16) {
            _mm256_storeu_si256((__m256i *)(void *)o, acc[p][0]);
            _mm256_storeu_si256((__m256i *)(void *)(o + 8), acc[p][1]);
        } else {
            int32_t tmp[16];
            _mm256_storeu_si256((__m256i *)(void *)tmp, acc[p][0]);
            _mm256_storeu_si256((__m256i *)(void *)(tmp + 8), acc[p][1]);
            memcpy(o, tmp, (size_t)left * sizeof(int32_t));
        }
    }
}

/* The packed path of bpu_avx2_conv (see above); the caller checked kw * c <= IM_SEG_MAX,
 * kh * rs <= IM_LEN_MAX - IM_SEG_MAX (so a row of x, len16, fits IM_LEN_MAX) and
 * k16 / 16 * pairs * 16 <= IM_W_MAX. */
static void im_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                    const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t c4 = (g->c + 3) / 4;
    int32_t k16 = (g->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    int32_t seg = g->kw * g->c, rs = (seg + 1) / 2 * 2, pairs = g->kh * rs / 2;
    int32_t len16 = ((g->kh - 1) * rs + (seg + 15) / 16 * 16 + 15) / 16 * 16;
    /* readable bytes from src: the last pixel's channels and 3 more (bpu_conv_fn) */
    size_t lim =
        (size_t)(g->h - 1) * g->src_row + (size_t)(g->w - 1) * g->src_px + (size_t)g->c + 3;
    int16_t w[IM_W_MAX * 2];
    int16_t x[IM_PX * IM_LEN_MAX];
    /* block kb / 16, pair q, channel kk: weights of values 2q and 2q + 1 (value v: kernel row
     * v / rs, byte r = v % rs of it, tap r / c, channel r % c; zero for r >= kw * c) */
    for (int32_t kb = 0; kb < k16; kb += 16)
        for (int32_t q = 0; q < pairs; q++)
            for (int32_t kk = 0; kk < 16; kk++)
                for (int32_t e = 0; e < 2; e++) {
                    int32_t v = 2 * q + e, r = v % rs, tap = v / rs * g->kw + r / g->c,
                            ch = r % g->c;
                    int8_t wv = 0;
                    if (r < seg && kb + kk < g->k)
                        wv = wgt[(((size_t)tap * c4 + ch / 4) * k16 + kb + kk) * 4 + ch % 4];
                    w[(((size_t)kb / 16 * pairs + q) * 16 + kk) * 2 + e] = wv;
                }
    int32_t npix = (oy1 - oy0) * g->wo;
    int32_t oy = oy0, ox = 0;
    for (int32_t pix0 = 0; pix0 < npix; pix0 += IM_PX) {
        int32_t n = npix - pix0 < IM_PX ? npix - pix0 : IM_PX;
        im_pack(g, src, lim, oy, ox, n, rs, len16, x);
        for (ox += n; ox >= g->wo; ox -= g->wo)
            oy++;
        for (int32_t kb = 0; kb < k16; kb += 16) {
            int32_t bt[16] = {0};
            int32_t left = g->k - kb;
            memcpy(bt, bias + kb, (size_t)(left < 16 ? left : 16) * sizeof(int32_t));
            __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)bt);
            __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(bt + 8));
            const int16_t *wb = w + (size_t)kb / 16 * pairs * 32;
            int32_t *out = acc + (size_t)pix0 * g->k + kb;
            int32_t i = 0;
            for (; i + IM_NP <= n; i += IM_NP)
                im_tile(x + (size_t)i * len16, len16, wb, pairs, b0, b1, out + (size_t)i * g->k,
                        g->k, left, IM_NP);
            for (; i < n; i++)
                im_tile(x + (size_t)i * len16, len16, wb, pairs, b0, b1, out + (size_t)i * g->k,
                        g->k, left, 1);
        }
    }
}

void bpu_avx2_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                   const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t c4 = (g->c + 3) / 4;
    int32_t k16 = (g->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    int32_t bias16[16];
    ptrdiff_t goff[GROUPS_MAX];
    int32_t taps = g->kh * g->kw, groups = taps * c4;
    int flat = c4 <= 2 && taps > 1 && groups <= GROUPS_MAX;
    int32_t rs = (g->kw * g->c + 1) / 2 * 2; /* im_conv: values per kernel row */
    if (((c4 <= 2 && taps > 1) || (taps == 1 && g->c <= IM_SEG_MAX)) &&
        g->kw * g->c <= IM_SEG_MAX && g->kh * rs <= IM_LEN_MAX - IM_SEG_MAX &&
        k16 / 16 * (g->kh * rs / 2) * 16 <= IM_W_MAX) {
        im_conv(g, src, wgt, bias, oy0, oy1, acc);
        return;
    }
    for (int32_t grp = 0; flat && grp < groups; grp++) {
        int32_t tap = grp / c4;
        goff[grp] = (ptrdiff_t)(tap / g->kw) * g->dh * (ptrdiff_t)g->src_row +
                    (ptrdiff_t)(tap % g->kw) * g->dw * (ptrdiff_t)g->src_px + 4 * (grp % c4);
    }
    int16_t w16[W16_GROUPS * 64];
    tile_ctx t = {g,
                  src,
                  wgt,
                  c4,
                  k16,
                  0,
                  bias16,
                  acc,
                  flat ? goff : NULL,
                  groups,
                  groups <= W16_GROUPS ? w16 : NULL};
    for (int32_t kb = 0; kb < k16; kb += 16) {
        for (int32_t grp = 0; t.w16 && grp < groups; grp++)
            for (int32_t j = 0; j < 4; j++)
                _mm256_storeu_si256(
                    (__m256i *)(void *)(w16 + (size_t)(4 * grp + j) * 16),
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(
                        (const __m128i *)(const void *)(wgt + ((size_t)grp * k16 + kb) * 4 +
                                                        16 * j))));
        for (int32_t i = 0; i < 16; i++)
            bias16[i] = kb + i < g->k ? bias[kb + i] : 0;
        t.kb = kb;
        int32_t npix = (oy1 - oy0) * g->wo, pix = 0, oy = oy0, ox = 0;
        /* the few-channel flat loop keeps 3 pixels x 16 channels in registers; the per-tap loop
         * takes 2 pixels: with 3, its 12 accumulators, 3 activations and the weights exceed the
         * 16 ymm registers and an accumulator spills (measured 20-25% slower on 1x1 layers) */
        int32_t np = t.goff ? PX_BLOCK : 2;
        for (; pix + np <= npix; pix += np) {
            if (np == PX_BLOCK && t.w16)
                tile(&t, oy, ox, pix, PX_BLOCK, 1);
            else if (np == PX_BLOCK)
                tile(&t, oy, ox, pix, PX_BLOCK, 0);
            else if (t.w16)
                tile(&t, oy, ox, pix, 2, 1);
            else
                tile(&t, oy, ox, pix, 2, 0);
            for (ox += np; ox >= g->wo; ox -= g->wo)
                oy++;
        }
        for (; pix < npix; pix++) {
            tile(&t, oy, ox, pix, 1, t.w16 != NULL);
            if (++ox == g->wo) {
                ox = 0;
                oy++;
            }
        }
    }
}

/* DEPTHWISE, generic path (strides above 1, taller kernels): 16 channels per step, taps in
 * interleaved pairs for vpmaddwd; unpacking works within
 * 128-bit lanes, so "lo" holds channels {0-3, 8-11} and "hi" {4-7, 12-15} until the final
 * permute. A channel tail is staged through a zeroed 16-byte buffer. */
#define DW_MAX_PAIRS 32

static inline __m256i load16_s16(const int8_t *p, int32_t nc)
{
    if (nc >= 16)
        return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
    int8_t tmp[16] = {0};
    memcpy(tmp, p, (size_t)nc);
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)tmp));
}

/* DEPTHWISE, packed path (kernel rows <= 4, or stride 1 with a span of <= 3 rows; columns <= 16):
 * pairs of kernel rows interleaved as int16 per 32-bit lane, so vpmaddwd adds 2 taps of one
 * channel per lane exactly (|x*w| <= 2^14, two fit int32). For one output row and 16 channels,
 * every input column needed is interleaved and sign-extended once into a column buffer (each
 * 8-channel half in channel order); a column serves every
 * output pixel whose window covers it. With stride 1 and a span of <= 3 rows, 4 consecutive input
 * rows serve two output rows (weights at row slots ky*dh and ky*dh + 1). Padding reads x = 0. */
#define DWA_PAIRS 2  /* row pairs */
#define DWA_KW    16 /* kernel columns */
#define DWA_COLS  64 /* input columns interleaved at once */

typedef struct dwa_ctx {
    const bpu_conv_geom *g;
    int32_t pairs, pair_rows;           /* row pairs; pair_rows: two output rows per buffer */
    __m256i bias[2];                    /* channels 0-7, 8-15 of the block */
    __m256i w[2][DWA_PAIRS][DWA_KW][2]; /* [output row A/B][pair][kx][half] */
    __m256i cols[DWA_PAIRS][DWA_COLS][2];
} dwa_ctx;

/* 16 int8 channels from p, of which nc < 16 are real: the rest read as zero. */
static inline __m128i load16_s8(const int8_t *p, int32_t nc)
{
    if (nc >= 16)
        return _mm_loadu_si128((const __m128i *)(const void *)p);
    int8_t tmp[16] = {0};
    memcpy(tmp, p, (size_t)nc);
    return _mm_loadu_si128((const __m128i *)(const void *)tmp);
}

/* Rows ra, rb (int8 x 16 channels) -> 2 vectors: half h lane i = (ra, rb) of channel 8h + i as
 * int16: the bytes are interleaved first, then each byte sign-extended in place. */
static inline void interleave2(__m128i ra, __m128i rb, __m256i *v)
{
    v[0] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(ra, rb));
    v[1] = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(ra, rb));
}

/* 3-column kernels: n output pixels from column x (stepping SW columns, taps DW apart) for one
 * 8-channel half, NP pixels at a time so their windows' columns are loaded once. */
static inline __attribute__((always_inline)) void dwa_3col(const __m256i *x, int32_t n, int32_t SW,
                                                           int32_t DW, int32_t pairs,
                                                           const __m256i *wv, __m256i bias,
                                                           int32_t *out, size_t k, int32_t NP)
{
    /* x, wv index: [pair][col or kx][2] flattened; this half's entries are every second one */
    int32_t span = (NP - 1) * SW + 2 * DW + 1;
    int32_t i = 0;
    /* the blocked loop only for NP > 1 and while the window columns fit c[] */
    for (; NP > 1 && span <= 13 && i + NP <= n; i += NP) {
        __m256i a[4];
        for (int32_t p = 0; p < NP; p++)
            a[p] = bias;
        for (int32_t q = 0; q < pairs; q++) {
            const __m256i *xq = x + ((size_t)q * DWA_COLS + (size_t)i * SW) * 2;
            const __m256i *wq = wv + (size_t)q * DWA_KW * 2;
            __m256i w0 = wq[0], w1 = wq[2], w2 = wq[4], c[13];
            for (int32_t t = 0; t < span; t++)
                c[t] = xq[2 * t];
            for (int32_t p = 0; p < NP; p++) {
                a[p] = _mm256_add_epi32(a[p], _mm256_madd_epi16(c[p * SW], w0));
                a[p] = _mm256_add_epi32(a[p], _mm256_madd_epi16(c[p * SW + DW], w1));
                a[p] = _mm256_add_epi32(a[p], _mm256_madd_epi16(c[p * SW + 2 * DW], w2));
            }
        }
        for (int32_t p = 0; p < NP; p++)
            _mm256_storeu_si256((__m256i *)(void *)(out + (size_t)(i + p) * k), a[p]);
    }
    for (; i < n; i++) {
        __m256i a = bias;
        for (int32_t q = 0; q < pairs; q++)
            for (int32_t kx = 0; kx < 3; kx++)
                a = _mm256_add_epi32(
                    a, _mm256_madd_epi16(x[((size_t)q * DWA_COLS + (size_t)i * SW + kx * DW) * 2],
                                         wv[((size_t)q * DWA_KW + kx) * 2]));
        _mm256_storeu_si256((__m256i *)(void *)(out + (size_t)i * k), a);
    }
}

typedef void (*dwa_3col_fn)(const __m256i *x, int32_t n, int32_t sw, int32_t dw, int32_t pairs,
                            const __m256i *wv, __m256i bias, int32_t *out, size_t k);

#define DWA_3COL(name, sw_, dw_, np)                                                               \
    __attribute__((noinline)) static void name(const __m256i *x, int32_t n, int32_t sw,            \
                                               int32_t dw, int32_t pairs, const __m256i *wv,       \
                                               __m256i bias, int32_t *out, size_t k)               \
    {                                                                                              \
        (void)sw;                                                                                  \
        (void)dw;                                                                                  \
        dwa_3col(x, n, sw_, dw_, pairs, wv, bias, out, k, np);                                     \
    }
DWA_3COL(dwa_3col_s1, 1, 1, 4)
DWA_3COL(dwa_3col_s2, 2, 1, 3)
DWA_3COL(dwa_3col_any, sw, dw, 1)

/* n output pixels of one row from column buffer index 0 into out (stride k), weights set ab;
 * nc < 16 channels go through a staging buffer. */
static void dwa_pixels(const dwa_ctx *d, int32_t ab, int32_t nc, int32_t n, int32_t *out, size_t k)
{
    const bpu_conv_geom *g = d->g;
    if (g->kw == 3 && nc == 16) {
        dwa_3col_fn fn = g->dw != 1   ? dwa_3col_any
                         : g->sw == 1 ? dwa_3col_s1
                         : g->sw == 2 ? dwa_3col_s2
                                      : dwa_3col_any;
        for (int32_t h = 0; h < 2; h++)
            fn(&d->cols[0][0][h], n, g->sw, g->dw, d->pairs, &d->w[ab][0][0][h], d->bias[h],
               out + 8 * h, k);
        return;
    }
    for (int32_t p = 0; p < n; p++) {
        __m256i a[2] = {d->bias[0], d->bias[1]};
        for (int32_t q = 0; q < d->pairs; q++)
            for (int32_t kx = 0; kx < g->kw; kx++)
                for (int32_t h = 0; h < 2; h++)
                    a[h] = _mm256_add_epi32(a[h],
                                            _mm256_madd_epi16(d->cols[q][p * g->sw + kx * g->dw][h],
                                                              d->w[ab][q][kx][h]));
        int32_t tmp[16];
        int32_t *dst = nc == 16 ? out + (size_t)p * k : tmp;
        _mm256_storeu_si256((__m256i *)(void *)dst, a[0]);
        _mm256_storeu_si256((__m256i *)(void *)(dst + 8), a[1]);
        if (nc < 16)
            memcpy(out + (size_t)p * k, tmp, (size_t)nc * sizeof(int32_t));
    }
}

/* Output rows [oy0, oy1) for channels [cb, cb + nc), nc <= 16. */
static void dwa_block(dwa_ctx *d, const int8_t *src, const int8_t *wgt, const int32_t *bias,
                      int32_t cb, int32_t nc, int32_t oy0, int32_t oy1, int32_t *acc)
{
    const bpu_conv_geom *g = d->g;
    const __m128i zero = _mm_setzero_si128();
    int32_t ext_w = (g->kw - 1) * g->dw, nrows = 2 * d->pairs;
    int32_t bt[16] = {0};
    memcpy(bt, bias + cb, (size_t)nc * sizeof(int32_t));
    d->bias[0] = _mm256_loadu_si256((const __m256i *)(const void *)bt);
    d->bias[1] = _mm256_loadu_si256((const __m256i *)(const void *)(bt + 8));
    for (int32_t kx = 0; kx < g->kw; kx++) {
        __m128i ra[2 * DWA_PAIRS], rb[2 * DWA_PAIRS];
        for (int32_t i = 0; i < nrows; i++)
            ra[i] = rb[i] = zero;
        for (int32_t ky = 0; ky < g->kh; ky++) {
            __m128i v = load16_s8(wgt + (size_t)(ky * g->kw + kx) * g->c + cb, nc);
            if (!d->pair_rows) {
                ra[ky] = v;
                continue;
            }
            ra[ky * g->dh] = v;
            rb[ky * g->dh + 1] = v;
        }
        for (int32_t q = 0; q < d->pairs; q++) {
            interleave2(ra[2 * q], ra[2 * q + 1], d->w[0][q][kx]);
            interleave2(rb[2 * q], rb[2 * q + 1], d->w[1][q][kx]);
        }
    }
    int32_t chunk = (DWA_COLS - ext_w - 1) / g->sw + 1;
    for (int32_t oy = oy0; oy < oy1; oy += d->pair_rows && oy + 1 < oy1 ? 2 : 1) {
        const int8_t *rows[2 * DWA_PAIRS];
        for (int32_t i = 0; i < nrows; i++) {
            int32_t iy = oy * g->sh - g->pad_top + (d->pair_rows ? i : i * g->dh);
            int used = d->pair_rows || i < g->kh;
            rows[i] = used && iy >= 0 && iy < g->h ? src + (size_t)iy * g->src_row + cb : NULL;
        }
        for (int32_t ox0 = 0; ox0 < g->wo; ox0 += chunk) {
            int32_t nox = g->wo - ox0 < chunk ? g->wo - ox0 : chunk;
            int32_t ix_first = ox0 * g->sw - g->pad_left;
            int32_t ncols = (nox - 1) * g->sw + ext_w + 1;
            for (int32_t col = 0; col < ncols; col++) {
                int32_t ix = ix_first + col;
                if (ix < 0 || ix >= g->w) {
                    for (int32_t q = 0; q < d->pairs; q++)
                        d->cols[q][col][0] = d->cols[q][col][1] = _mm256_setzero_si256();
                    continue;
                }
                size_t off = (size_t)ix * g->src_px;
                __m128i r[2 * DWA_PAIRS];
                for (int32_t i = 0; i < nrows; i++)
                    r[i] = rows[i] ? load16_s8(rows[i] + off, nc) : zero;
                for (int32_t q = 0; q < d->pairs; q++)
                    interleave2(r[2 * q], r[2 * q + 1], d->cols[q][col]);
            }
            int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox0) * g->k + cb;
            dwa_pixels(d, 0, nc, nox, out, (size_t)g->k);
            if (d->pair_rows && oy + 1 < oy1)
                dwa_pixels(d, 1, nc, nox, out + (size_t)g->wo * g->k, (size_t)g->k);
        }
    }
}

/* Interior pixels of one output row for 3x3 kernels with 16 channels (no tail): all nine taps
 * valid, offsets fixed; n pixels from base, stepping step bytes in the source and k int32 in the
 * output. */
static void dw3x3_run(const int8_t *base, ptrdiff_t step, const ptrdiff_t *offs, int32_t n,
                      const __m256i *wlo, const __m256i *whi, __m256i b0, __m256i b1, int32_t *out,
                      size_t k)
{
    const ptrdiff_t o0 = offs[0], o1 = offs[1], o2 = offs[2], o3 = offs[3], o4 = offs[4],
                    o5 = offs[5], o6 = offs[6], o7 = offs[7], o8 = offs[8];
    const __m256i zero = _mm256_setzero_si256();
    for (int32_t i = 0; i < n; i++) {
#define DWX(o) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(base + (o))))
        __m256i x0 = DWX(o0), x1 = DWX(o1), x2 = DWX(o2), x3 = DWX(o3), x4 = DWX(o4);
        __m256i x5 = DWX(o5), x6 = DWX(o6), x7 = DWX(o7), x8 = DWX(o8);
#undef DWX
        __m256i lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), wlo[0]);
        __m256i hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), whi[0]);
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x2, x3), wlo[1]));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x2, x3), whi[1]));
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x4, x5), wlo[2]));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x4, x5), whi[2]));
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x6, x7), wlo[3]));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x6, x7), whi[3]));
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x8, zero), wlo[4]));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x8, zero), whi[4]));
        _mm256_storeu_si256((__m256i *)(void *)out,
                            _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), b0));
        _mm256_storeu_si256((__m256i *)(void *)(out + 8),
                            _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x31), b1));
        base += step;
        out += k;
    }
}

/* DEPTHWISE 3x3, dilation 1, stride 1 or 2 in both directions, 16 (or 8) whole channels per
 * pass: the column windows stream through registers (no column buffer). Two output rows A (oy)
 * and B (oy + 1) are computed together from the input rows they share, paired as int16 per 32-bit
 * lane so vpmaddwd adds two taps of one channel exactly (|x*w| <= 2^14):
 *   stride 1, rows r0..r3: A = (r0,r1).(w0,w1) + (r2,r3).(w2,0); B = (r0,r1).(0,w0) +
 *     (r2,r3).(w1,w2);
 *   stride 2, rows r0..r4: A = (r0,r1).(w0,w1) + (r2,r3).(w2,0); B = (r2,r3).(w0,w1) +
 *     (r4,s).(w2,0), where (r4,s) is r4 sign-extended to 32 bits: its high half s (0 or -1) meets
 *     the zero weight.
 * (wN: kernel row N at the column's kx.) Each input column is sign-extended and paired once per
 * row pair: per 2 output pixels x 8 channels, 12 vpmaddwd and 12 vpaddd against 2 (stride 1) or
 * 5 (stride 2) pairing operations. 16 channels per pass make every output store fill a whole
 * 64-byte line (8-channel passes over wide channel counts left half lines whose other half came
 * a pass later, after a 4 KiB-strided row had evicted them). Rows outside the map read a zero row
 * (pixel stride 0), columns outside it zero vectors. */
typedef struct dws_col {
    __m256i p01[2], p23[2], q4[2]; /* [half]: channels 0-7, 8-15 of the pass */
} dws_col;

/* Rows a and b of 8 channels (8 bytes, low half of va/vb) or of the upper 8 of 16 (hi) as int16
 * pairs (a_i, b_i) per 32-bit lane, in channel order. */
static inline __m256i dws_pair(__m128i va, __m128i vb, int hi)
{
    return _mm256_cvtepi8_epi16(hi ? _mm_unpackhi_epi8(va, vb) : _mm_unpacklo_epi8(va, vb));
}

/* H * 8 bytes at p (never more: the source ends 3 bytes after a pixel's last channel). */
static inline __m128i dws_ld(const int8_t *p, int32_t H)
{
    return H == 2 ? _mm_loadu_si128((const __m128i *)(const void *)p)
                  : _mm_loadl_epi64((const __m128i *)(const void *)p);
}

typedef struct dws_rows {
    const int8_t *r[5]; /* row base at the pass's first channel, or bpu_x86_zeros */
    size_t px[5];       /* pixel stride: src_px, or 0 for a zero row */
    ptrdiff_t row;      /* row stride (src_row) */
    int32_t w;          /* input columns */
} dws_rows;

/* Column ix of the rows: r[i] + off[i] is its pixel in row i (off[i] = ix * px[i]). */
static inline __attribute__((always_inline)) dws_col
dws_load(const int8_t *const *r, const ptrdiff_t *off, int32_t ix, int32_t w, int32_t SW, int32_t H)
{
    dws_col c;
    if ((uint32_t)ix >= (uint32_t)w) {
        for (int32_t h = 0; h < H; h++)
            c.p01[h] = c.p23[h] = c.q4[h] = _mm256_setzero_si256();
        return c;
    }
    __m128i v0 = dws_ld(r[0] + off[0], H), v1 = dws_ld(r[1] + off[1], H);
    __m128i v2 = dws_ld(r[2] + off[2], H), v3 = dws_ld(r[3] + off[3], H);
    __m128i v4 = SW == 2 ? dws_ld(r[4] + off[4], H) : _mm_setzero_si128();
    for (int32_t h = 0; h < H; h++) {
        c.p01[h] = dws_pair(v0, v1, h);
        c.p23[h] = dws_pair(v2, v3, h);
        c.q4[h] =
            SW == 2 ? _mm256_cvtepi8_epi32(h ? _mm_srli_si128(v4, 8) : v4) : _mm256_setzero_si256();
    }
    return c;
}

/* dws_load with every row inside the map: rows r0 + i * row, column ix at offset off (one pointer,
 * offset and stride in general registers instead of five of each: those spilled to the stack and
 * were reloaded every column). */
static inline __attribute__((always_inline)) dws_col dws_load_in(const int8_t *r0, ptrdiff_t off,
                                                                 ptrdiff_t row, int32_t ix,
                                                                 int32_t w, int32_t SW, int32_t H)
{
    if ((uint32_t)ix >= (uint32_t)w) {
        dws_col c;
        for (int32_t h = 0; h < H; h++)
            c.p01[h] = c.p23[h] = c.q4[h] = _mm256_setzero_si256();
        return c;
    }
    const int8_t *p = r0 + off;
    const int8_t *r[5] = {p, p + row, p + 2 * row, p + 3 * row, SW == 2 ? p + 4 * row : p};
    const ptrdiff_t z[5] = {0, 0, 0, 0, 0};
    return dws_load(r, z, ix, w, SW, H);
}

/* Weight pairs of one pass: a[kx][pair][half] for row A, b[...] for row B; bias per half. */
typedef struct dws_w {
    __m256i a[3][2][2], b[3][2][2], bias[2];
} dws_w;

/* One output row pair (NB: with row B) of n pixels from input column ix0, stepping SW. */
static inline __attribute__((always_inline)) void dws_row(const dws_rows *R, const dws_w *W,
                                                          int32_t npass, int32_t ix0, int32_t n,
                                                          int32_t *restrict outa,
                                                          int32_t *restrict outb, size_t k,
                                                          int32_t SW, int NB, int32_t H, int IN)
{
#define DWS_MA(c, kx, h)                                                                           \
    _mm256_add_epi32(_mm256_madd_epi16((c).p01[h], W->a[kx][0][h]),                                \
                     _mm256_madd_epi16((c).p23[h], W->a[kx][1][h]))
#define DWS_MB(c, kx, h)                                                                           \
    _mm256_add_epi32(_mm256_madd_epi16(SW == 1 ? (c).p01[h] : (c).p23[h], W->b[kx][0][h]),         \
                     _mm256_madd_epi16(SW == 1 ? (c).p23[h] : (c).q4[h], W->b[kx][1][h]))
#define DWS_NEXT()                                                                                 \
    do {                                                                                           \
        for (int32_t i_ = 0; i_ < (IN ? 1 : 5); i_++)                                              \
            off[i_] += step[i_];                                                                   \
    } while (0)
#define DWS_LOAD(ix)                                                                               \
    (IN ? dws_load_in(r[0], off[0], row, ix, width, SW, H) : dws_load(r, off, ix, width, SW, H))
    const int8_t *r[5];
    ptrdiff_t off[5], step[5];
    const int32_t width = R->w;
    const ptrdiff_t row = R->row;
    for (int32_t i = 0; i < 5; i++) {
        r[i] = R->r[i];
        step[i] = (ptrdiff_t)R->px[i];
    }
    for (int32_t ps = 0; ps < npass; ps++, W++, outa += 8 * H, outb += 8 * H) {
        for (int32_t i = 0; i < 5; i++)
            off[i] = (ptrdiff_t)ix0 * step[i];
        dws_col c0 = DWS_LOAD(ix0), c1 = c0, c2;
        DWS_NEXT();
        if (SW == 1) {
            c1 = DWS_LOAD(ix0 + 1);
            DWS_NEXT();
        }
        /* off: the column after the last one loaded, advanced one column per load */
        for (int32_t i = 0; i < n; i++) {
            int32_t ix = ix0 + i * SW;
            if (SW == 2) {
                c1 = DWS_LOAD(ix + 1);
                DWS_NEXT();
            }
            c2 = DWS_LOAD(ix + 2);
            DWS_NEXT();
            for (int32_t h = 0; h < H; h++) {
                __m256i a = _mm256_add_epi32(_mm256_add_epi32(W->bias[h], DWS_MA(c0, 0, h)),
                                             _mm256_add_epi32(DWS_MA(c1, 1, h), DWS_MA(c2, 2, h)));
                _mm256_storeu_si256((__m256i *)(void *)(outa + (size_t)i * k + 8 * h), a);
                if (NB) {
                    __m256i b =
                        _mm256_add_epi32(_mm256_add_epi32(W->bias[h], DWS_MB(c0, 0, h)),
                                         _mm256_add_epi32(DWS_MB(c1, 1, h), DWS_MB(c2, 2, h)));
                    _mm256_storeu_si256((__m256i *)(void *)(outb + (size_t)i * k + 8 * h), b);
                }
            }
            if (SW == 1) {
                c0 = c1;
                c1 = c2;
            } else {
                c0 = c2;
            }
        }
        /* the next pass's channels (zero rows stay inside bpu_x86_zeros: c <= BPU_MAX_CHANNEL) */
        for (int32_t i = 0; i < 5; i++)
            r[i] += 8 * H;
    }
#undef DWS_LOAD
#undef DWS_NEXT
#undef DWS_MA
#undef DWS_MB
}

typedef void (*dws_row_fn)(const dws_rows *R, const dws_w *W, int32_t npass, int32_t ix0, int32_t n,
                           int32_t *outa, int32_t *outb, size_t k);

#define DWS_ROW(name, sw, nb, h, in)                                                               \
    __attribute__((noinline)) static void name(const dws_rows *R, const dws_w *W, int32_t npass,   \
                                               int32_t ix0, int32_t n, int32_t *outa,              \
                                               int32_t *outb, size_t k)                            \
    {                                                                                              \
        dws_row(R, W, npass, ix0, n, outa, outb, k, sw, nb, h, in);                                \
    }
DWS_ROW(dws_s1_one_8, 1, 0, 1, 0)
DWS_ROW(dws_s1_pair_8, 1, 1, 1, 0)
DWS_ROW(dws_s2_one_8, 2, 0, 1, 0)
DWS_ROW(dws_s2_pair_8, 2, 1, 1, 0)
DWS_ROW(dws_s1_one_16, 1, 0, 2, 0)
DWS_ROW(dws_s1_pair_16, 1, 1, 2, 0)
DWS_ROW(dws_s2_one_16, 2, 0, 2, 0)
DWS_ROW(dws_s2_pair_16, 2, 1, 2, 0)
DWS_ROW(dws_s1_one_8_in, 1, 0, 1, 1)
DWS_ROW(dws_s1_pair_8_in, 1, 1, 1, 1)
DWS_ROW(dws_s2_one_8_in, 2, 0, 1, 1)
DWS_ROW(dws_s2_pair_8_in, 2, 1, 1, 1)
DWS_ROW(dws_s1_one_16_in, 1, 0, 2, 1)
DWS_ROW(dws_s1_pair_16_in, 1, 1, 2, 1)
DWS_ROW(dws_s2_one_16_in, 2, 0, 2, 1)
DWS_ROW(dws_s2_pair_16_in, 2, 1, 2, 1)

/* [every row inside the map][stride - 1][pair][16 channels] */
static const dws_row_fn dws_rows_fn[2][2][2][2] = {
    {{{dws_s1_one_8, dws_s1_one_16}, {dws_s1_pair_8, dws_s1_pair_16}},
     {{dws_s2_one_8, dws_s2_one_16}, {dws_s2_pair_8, dws_s2_pair_16}}},
    {{{dws_s1_one_8_in, dws_s1_one_16_in}, {dws_s1_pair_8_in, dws_s1_pair_16_in}},
     {{dws_s2_one_8_in, dws_s2_one_16_in}, {dws_s2_pair_8_in, dws_s2_pair_16_in}}},
};

/* Does dws_channels take this geometry? Stride 2 from 64 channels (the narrowest measured): with
 * 16-channel passes and one row pointer for row pairs inside the map it measured faster than the
 * per-pixel tap-pair kernel dw3x3_run (Zen 4, GMAC/s: 33.4 against 32.9 at 112x64, 32.3 against
 * 28.3 at 56x128). */
static int dws_fits(const bpu_conv_geom *g)
{
    return g->kh == 3 && g->kw == 3 && g->dh == 1 && g->dw == 1 && g->sh == g->sw &&
           (g->sh == 1 || (g->sh == 2 && g->c >= 64)) && g->c >= 8;
}

#define DWS_WBLOCK 16 /* passes whose weights are prepared at once (26 KiB) */

/* Weight pairs and bias of the nc (8 or 16) channels at cb (stride s). */
static void dws_weights(const bpu_conv_geom *g, const int8_t *wgt, const int32_t *bias, int32_t cb,
                        int32_t nc, dws_w *W)
{
    const int32_t s = g->sh, H = nc / 8;
    const __m128i z = _mm_setzero_si128();
    __m128i w[3][3];
    for (int32_t ky = 0; ky < 3; ky++)
        for (int32_t kx = 0; kx < 3; kx++)
            w[ky][kx] = dws_ld(wgt + (size_t)(ky * 3 + kx) * g->c + cb, H);
    for (int32_t h = 0; h < H; h++) {
        for (int32_t kx = 0; kx < 3; kx++) {
            W->a[kx][0][h] = dws_pair(w[0][kx], w[1][kx], h);
            W->a[kx][1][h] = dws_pair(w[2][kx], z, h);
            W->b[kx][0][h] = s == 1 ? dws_pair(z, w[0][kx], h) : W->a[kx][0][h];
            W->b[kx][1][h] = s == 1 ? dws_pair(w[1][kx], w[2][kx], h) : W->a[kx][1][h];
        }
        W->bias[h] = _mm256_loadu_si256((const __m256i *)(const void *)(bias + cb + 8 * h));
    }
}

/* Channels [0, c / 8 * 8) of output rows [oy0, oy1) (dws_fits(g)). Row pairs outside, channel
 * passes inside, so the rows' cache lines serve every pass while they are in L1. */
static void dws_channels(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                         const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    const int32_t s = g->sh;
    const int32_t nrows = s == 1 ? 4 : 5;
    const int32_t c8 = g->c / 8 * 8;
    /* channels per pass: 8 keep every column and weight pair in registers (16 spill a few), but
     * from 512 channels on (output pixels >= 2 KiB apart) half-line stores thrash L1 sets, and
     * 16-channel passes measured faster (bench_bpu_conv: 14x512, 7x1024); with stride 2 (two
     * columns loaded per pixel) 16 channels per pass measured faster at every width (Zen 4:
     * 5% at 28x256, 10% at 56x128) */
    const int32_t pw = g->c >= 512 || s == 2 ? 16 : 8;
    dws_w W[DWS_WBLOCK];
    for (int32_t cbb = 0; cbb < c8; cbb += pw * DWS_WBLOCK) {
        int32_t cbe = cbb + pw * DWS_WBLOCK < c8 ? cbb + pw * DWS_WBLOCK : c8;
        for (int32_t cb = cbb; cb < cbe; cb += pw)
            dws_weights(g, wgt, bias, cb, cbe - cb >= pw ? pw : 8, &W[(cb - cbb) / pw]);
        for (int32_t oy = oy0; oy < oy1; oy += 2) {
            int pair = oy + 1 < oy1;
            const int8_t *base[5];
            dws_rows R;
            R.w = g->w;
            R.row = (ptrdiff_t)g->src_row;
            int all_in = 1;
            for (int32_t i = 0; i < 5; i++) {
                int32_t iy = oy * s - g->pad_top + i;
                int in = i < nrows && iy >= 0 && iy < g->h;
                base[i] = in ? src + (size_t)iy * g->src_row : NULL;
                R.px[i] = in ? g->src_px : 0;
                all_in &= in || i >= nrows;
            }
            int32_t *out = acc + (size_t)(oy - oy0) * g->wo * g->k;
            /* the block's whole passes in one call, then an 8-channel tail pass */
            int32_t whole = (cbe - cbb) / pw;
            for (int32_t part = 0; part < 2; part++) {
                int32_t cb = part ? cbb + whole * pw : cbb, np = part ? cb < cbe : whole;
                if (np == 0)
                    continue;
                for (int32_t i = 0; i < 5; i++)
                    R.r[i] = (base[i] ? base[i] : bpu_x86_zeros) + cb;
                int32_t *outa = out + cb, *outb = outa + (size_t)g->wo * g->k;
                dws_rows_fn[all_in][s - 1][pair][!part && pw == 16](
                    &R, &W[(cb - cbb) / pw], np, -g->pad_left, g->wo, outa, outb, (size_t)g->k);
            }
        }
    }
}

void bpu_avx2_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                     const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t cb0 = 0; /* first channel the paths below still owe */
    if (dws_fits(g)) {
        dws_channels(g, src, wgt, bias, oy0, oy1, acc);
        cb0 = g->c / 8 * 8;
        if (cb0 == g->c)
            return;
    }
    int32_t pair_rows = g->sh == 1 && (g->kh - 1) * g->dh <= 2;
    if (pair_rows && g->kw <= DWA_KW && (g->kw - 1) * g->dw + 1 <= DWA_COLS) {
        dwa_ctx d;
        d.g = g;
        d.pair_rows = pair_rows;
        d.pairs = pair_rows ? 2 : (g->kh + 1) / 2;
        for (int32_t cb = cb0; cb < g->c; cb += 16)
            dwa_block(&d, src, wgt, bias, cb, g->c - cb < 16 ? g->c - cb : 16, oy0, oy1, acc);
        return;
    }
    int32_t taps = g->kh * g->kw;
    int32_t pairs = (taps + 1) / 2;
    __m256i wlo[DW_MAX_PAIRS], whi[DW_MAX_PAIRS];
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
    for (int32_t cb = cb0; cb < g->c; cb += 16) {
        int32_t nc = g->c - cb < 16 ? g->c - cb : 16;
        for (int32_t pr = 0; pr < pairs; pr++) {
            int32_t t0 = 2 * pr, t1 = 2 * pr + 1;
            __m256i w0 = load16_s16(wgt + (size_t)t0 * g->c + cb, nc);
            __m256i w1 =
                t1 < taps ? load16_s16(wgt + (size_t)t1 * g->c + cb, nc) : _mm256_setzero_si256();
            wlo[pr] = _mm256_unpacklo_epi16(w0, w1);
            whi[pr] = _mm256_unpackhi_epi16(w0, w1);
        }
        int32_t bt[16] = {0};
        memcpy(bt, bias + cb, (size_t)nc * sizeof(int32_t));
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)bt);
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(bt + 8));
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
                if (taps == 9 && nc == 16 && rows_in && ox == oxa && oxa < oxb) {
                    dw3x3_run(src + (size_t)iy0 * g->src_row + (size_t)ix0 * g->src_px + cb,
                              (ptrdiff_t)g->sw * (ptrdiff_t)g->src_px, offs, oxb - oxa, wlo, whi,
                              b0, b1, acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k + cb,
                              (size_t)g->k);
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
                __m256i slo = _mm256_setzero_si256(), shi = _mm256_setzero_si256();
                for (int32_t pr = 0; pr < pairs; pr++) {
                    __m256i x0 = load16_s16(xp[2 * pr], nc), x1 = load16_s16(xp[2 * pr + 1], nc);
                    slo = _mm256_add_epi32(
                        slo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), wlo[pr]));
                    shi = _mm256_add_epi32(
                        shi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), whi[pr]));
                }
                __m256i o0 = _mm256_add_epi32(_mm256_permute2x128_si256(slo, shi, 0x20), b0);
                __m256i o1 = _mm256_add_epi32(_mm256_permute2x128_si256(slo, shi, 0x31), b1);
                int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k + cb;
                if (nc == 16) {
                    _mm256_storeu_si256((__m256i *)(void *)out, o0);
                    _mm256_storeu_si256((__m256i *)(void *)(out + 8), o1);
                } else {
                    int32_t tmp[16];
                    _mm256_storeu_si256((__m256i *)(void *)tmp, o0);
                    _mm256_storeu_si256((__m256i *)(void *)(tmp + 8), o1);
                    memcpy(out, tmp, (size_t)nc * sizeof(int32_t));
                }
            }
        }
    }
}

void bpu_avx2_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                      const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px)
{
    int32_t kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        rq8_consts q;
        rq8_setup(&q, mult + kk, shift + kk, lo, hi);
        for (int32_t p = 0; p < n; p++) {
            __m256i a =
                _mm256_loadu_si256((const __m256i *)(const void *)(acc + (size_t)p * k + kk));
            _mm_storel_epi64((__m128i *)(void *)(dst + (size_t)p * dst_px + kk), rq8(a, &q));
        }
    }
    for (; kk < k; kk++)
        for (int32_t p = 0; p < n; p++)
            dst[(size_t)p * dst_px + kk] =
                bpu_requant(acc[(size_t)p * k + kk], mult[kk], (uint32_t)shift[kk], lo, hi);
}

/* REQUANT instruction: 8 channels per step over every pixel (int32 or int8 sources, per-channel
 * or one multiplier), channels past the last 8 by the scalar requantiser. */
void bpu_avx2_requant_insn(const bpu_requant_op *q, uint32_t flags, uint8_t *sram,
                           const int32_t *mult, const int32_t *shift)
{
    int s32 = (flags & BPU_RQ_SRC_S32) != 0;
    int perch = (flags & BPU_RQ_PER_CHANNEL) != 0;
    int32_t m1[8], r1[8]; /* the one multiplier, repeated */
    for (int32_t i = 0; i < 8; i++)
        m1[i] = mult[0], r1[i] = shift[0];
    int32_t cv = q->c / 8 * 8;
    for (int32_t c = 0; c < cv; c += 8) {
        rq8_consts k;
        rq8_setup(&k, perch ? mult + c : m1, perch ? shift + c : r1, q->lo, q->hi);
        for (int32_t y = 0; y < q->h; y++) {
            const uint8_t *s = sram + q->src + (size_t)y * q->src_row;
            uint8_t *d = sram + q->dst + (size_t)y * q->dst_row + c;
            for (int32_t x = 0; x < q->w; x++, s += q->src_px, d += q->dst_px) {
                __m256i a = s32 ? _mm256_loadu_si256((const __m256i *)(const void *)(s + 4 * c))
                                : _mm256_cvtepi8_epi32(
                                      _mm_loadl_epi64((const __m128i *)(const void *)(s + c)));
                _mm_storel_epi64((__m128i *)(void *)d, rq8(a, &k));
            }
        }
    }
    for (int32_t y = 0; y < q->h; y++) {
        for (int32_t x = 0; x < q->w; x++) {
            const uint8_t *s = sram + q->src + (size_t)y * q->src_row + (size_t)x * q->src_px;
            int8_t *d = (int8_t *)(sram + q->dst + (size_t)y * q->dst_row + (size_t)x * q->dst_px);
            for (int32_t c = cv; c < q->c; c++) {
                int32_t v;
                if (s32)
                    memcpy(&v, s + 4 * (size_t)c, 4);
                else
                    v = (int8_t)s[c];
                int32_t i = perch ? c : 0;
                d[c] = bpu_requant(v, mult[i], (uint32_t)shift[i], q->lo, q->hi);
            }
        }
    }
}
