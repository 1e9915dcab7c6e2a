/* AVX-512 VNNI variants: CONV NORMAL and DEPTHWISE with vpdpbusd (DEPTHWISE kernels taller than 8
 * rows or wider than 16 columns with vpmaddwd), requantiser with 64-bit multiplies. Bit-exact with
 * kernels/ref (integer arithmetic is exact; nothing saturates):
 *
 * vpdpbusd multiplies unsigned by signed bytes, so activations are biased: u = x + 128 (x ^ 0x80),
 * and sum(u * w) = sum(x * w) + 128 * sum(w). The per-channel correction 128 * sum(w) is taken over
 * every tap, so padded positions read as x = 0 (u = 128) and cancel exactly (DEPTHWISE honours
 * bpu_conv_geom.pad_value: padded positions are u = pad_value + 128; NORMAL needs pad_value 0).
 * Each int32 lane adds four products of at most 255 * 128, far from wrapping; wrap-around of the
 * total (bias plus partials) is modulo 2^32 exactly as in the reference. */
#include <immintrin.h>
#include <string.h>

#include "kernels_ref.h"
#include "kernels_x86.h"

#define PX_BLOCK 6 /* output pixels per micro-tile */
#define KV_BLOCK 4 /* 16-channel vectors per micro-tile (64 output channels) */

/* Requantiser constants of 16 channels: M of the even and odd lanes, r, and the rounding term
 * 2^(r-1), each in 64-bit lanes (masked-off channels: M = r = 0, never stored); for the short
 * form (every r >= 33), r - 32 and 2^(r-33) in 32-bit lanes. */
typedef struct rq_consts {
    __m512i mv, m_odd, r_even, r_odd, rnd_even, rnd_odd;
    __m512i r32, rnd32;
    int high; /* every channel has r >= 33: the short form applies */
} rq_consts;

static inline void rq_setup(rq_consts *q, const int32_t *mult, const int32_t *shift, __mmask16 m)
{
    const __m512i one = _mm512_set1_epi64(1), low32 = _mm512_set1_epi64(0xFFFFFFFF);
    __m512i rv = _mm512_maskz_loadu_epi32(m, shift);
    q->mv = _mm512_maskz_loadu_epi32(m, mult);
    q->m_odd = _mm512_srli_epi64(q->mv, 32);
    q->r_even = _mm512_and_si512(rv, low32);
    q->r_odd = _mm512_srli_epi64(rv, 32);
    q->rnd_even = _mm512_sllv_epi64(one, _mm512_sub_epi64(q->r_even, one));
    q->rnd_odd = _mm512_sllv_epi64(one, _mm512_sub_epi64(q->r_odd, one));
    /* counts outside [0, 31] give 0 in masked-off lanes, which are never stored */
    q->r32 = _mm512_sub_epi32(rv, _mm512_set1_epi32(32));
    q->rnd32 = _mm512_sllv_epi32(_mm512_set1_epi32(1), _mm512_sub_epi32(rv, _mm512_set1_epi32(33)));
    q->high = _mm512_mask_cmplt_epi32_mask(m, rv, _mm512_set1_epi32(33)) == 0;
}

/* 16 accumulators -> 16 int8: 32x32 -> 64-bit products on even and odd lanes separately,
 * rounding add, arithmetic shift (or the short form below); each half narrowed to int8 with signed
 * saturation (vpmovsqb), bytes re-interleaved, then clamped to [lo, hi] (vlo, vhi: bytes). The
 * saturation cannot change a result: clamping to [-128, 127] and then to [lo, hi], a sub-range, is
 * clamping to [lo, hi]. */
static inline __m128i rq16(__m512i a, const rq_consts *q, __m128i vlo, __m128i vhi)
{
    __m512i pe = _mm512_mul_epi32(a, q->mv);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(a, 32), q->m_odd);
    if (q->high) {
        /* Short form, r >= 33, s = r - 32: with P = acc * M = H * 2^32 + L (0 <= L < 2^32),
         * (P + 2^(r-1)) >> r = (H + 2^(s-1)) >> s exactly (L cannot carry into a multiple of
         * 2^s), and |H| <= 2^30, 2^(s-1) <= 2^29 keep the sum inside int32. H of the even lanes
         * moves down from their products' upper halves; the odd lanes' are in place. */
        __m512i h = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 32), po);
        h = _mm512_srav_epi32(_mm512_add_epi32(h, q->rnd32), q->r32);
        return _mm_min_epi8(_mm_max_epi8(_mm512_cvtsepi32_epi8(h), vlo), vhi);
    }
    pe = _mm512_srav_epi64(_mm512_add_epi64(pe, q->rnd_even), q->r_even);
    po = _mm512_srav_epi64(_mm512_add_epi64(po, q->rnd_odd), q->r_odd);
    __m128i v = _mm_unpacklo_epi8(_mm512_cvtsepi64_epi8(pe), _mm512_cvtsepi64_epi8(po));
    return _mm_min_epi8(_mm_max_epi8(v, vlo), vhi);
}

typedef struct tile_ctx {
    const bpu_conv_geom *g;
    const int8_t *src;
    const int8_t *wgt;
    int32_t c4, k16;
    int32_t kv0;         /* first 16-channel vector of the block */
    const int32_t *corr; /* bias - 128 * sum(w), per channel of the block */
    int32_t *acc;
    /* few input channels (c4 <= 2: the per-tap loop would dominate): source offset of every
     * 4-channel group (tap-major, as the weights) from a pixel's window origin; else NULL */
    const ptrdiff_t *goff;
    int32_t groups;
    const bpu_conv_out *o; /* fused requantiser (acc unused), or NULL */
    const rq_consts *rq;   /* its constants, per 16-channel vector of the block */
} tile_ctx;

#define GROUPS_MAX 512

/* Loops over a micro-tile's pixels and vectors unrolled before the accumulator array is split
 * into registers: one left rolled (e.g. the requantising store, large for the unroller's own
 * limits) keeps the whole array in memory, and every vpdpbusd result is then stored too. */
#if defined(__GNUC__) && !defined(__clang__)
#define PRAGMA_UNROLL _Pragma("GCC unroll 8")
#else
#define PRAGMA_UNROLL
#endif

static inline int32_t load4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A micro-tile's accumulators out: requantised to int8 (fused) or stored as int32. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
tile_store(const tile_ctx *t, __m512i acc[PX_BLOCK][KV_BLOCK], int32_t pix, int32_t NP, int32_t NK)
{
    const bpu_conv_geom *g = t->g;
    int32_t k = g->k;
    if (t->o) {
        const __m128i vlo = _mm_set1_epi8(t->o->lo), vhi = _mm_set1_epi8(t->o->hi);
        PRAGMA_UNROLL
        for (int32_t p = 0; p < NP; p++) {
            int32_t q = pix + p;
            int8_t *d = t->o->dst + (size_t)(q / g->wo) * t->o->dst_row +
                        (size_t)(q % g->wo) * t->o->dst_px + (size_t)t->kv0 * 16;
            PRAGMA_UNROLL
            for (int32_t j = 0; j < NK; j++) {
                int32_t left = k - (t->kv0 + j) * 16;
                __m128i v = rq16(acc[p][j], &t->rq[j], vlo, vhi);
                if (left >= 16)
                    _mm_storeu_si128((__m128i *)(void *)(d + 16 * j), v);
                else
                    _mm_mask_storeu_epi8(d + 16 * j, (__mmask16)((1u << left) - 1u), v);
            }
        }
        return;
    }
    PRAGMA_UNROLL
    for (int32_t p = 0; p < NP; p++) {
        int32_t *out = t->acc + (size_t)(pix + p) * k + (size_t)t->kv0 * 16;
        PRAGMA_UNROLL
        for (int32_t j = 0; j < NK; j++) {
            int32_t left = k - (t->kv0 + j) * 16;
            if (left >= 16) /* masked stores are slow on some cores: only for the tail */
                _mm512_storeu_si512(out + 16 * j, acc[p][j]);
            else
                _mm512_mask_storeu_epi32(out + 16 * j, (__mmask16)((1u << left) - 1u), acc[p][j]);
        }
    }
}

/* The flat group loop of a micro-tile whose windows all lie inside the map, few input channels
 * (goff): its own accumulators and store, so the compiler keeps them in registers through the
 * loop (shared with the per-tap path they were copied between registers every iteration). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
tile_flat(const tile_ctx *t, const int8_t *px0, size_t step, int32_t pix, int32_t NP, int32_t NK)
{
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    __m512i acc[PX_BLOCK][KV_BLOCK];
    for (int32_t j = 0; j < NK; j++) {
        __m512i c = _mm512_loadu_si512(t->corr + 16 * j);
        for (int32_t p = 0; p < NP; p++)
            acc[p][j] = c;
    }
    const int8_t *wt = t->wgt + (size_t)t->kv0 * 16 * 4;
    for (int32_t grp = 0; grp < t->groups; grp++) {
        const int8_t *x = px0 + t->goff[grp];
        __m512i w[KV_BLOCK];
        for (int32_t j = 0; j < NK; j++)
            w[j] = _mm512_loadu_si512(wt + (size_t)j * 64);
        for (int32_t p = 0; p < NP; p++) {
            __m512i a = _mm512_xor_si512(_mm512_set1_epi32(load4(x + (size_t)p * step)), flip);
            for (int32_t j = 0; j < NK; j++)
                acc[p][j] = _mm512_dpbusd_epi32(acc[p][j], a, w[j]);
        }
        wt += (size_t)t->k16 * 4;
    }
    tile_store(t, acc, pix, NP, NK);
}

/* One micro-tile: NP consecutive output pixels of the band (flat index pix = (oy - oy0) * wo + ox,
 * so a tile may span rows) x NK vectors of 16 channels. Called with constant NP, NK so the
 * accumulators live in registers. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
tile(const tile_ctx *t, int32_t oy, int32_t ox, int32_t pix, int32_t NP, int32_t NK)
{
    const bpu_conv_geom *g = t->g;
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    __m512i acc[PX_BLOCK][KV_BLOCK];
    int32_t iy0[PX_BLOCK], ix0[PX_BLOCK];
    /* (oy, ox): output position of the tile's first pixel (no divisions per tile) */
    for (int32_t p = 0; p < NP; p++) {
        iy0[p] = oy * g->sh - g->pad_top;
        ix0[p] = ox * g->sw - g->pad_left;
        if (++ox == g->wo) {
            ox = 0;
            oy++;
        }
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
    if (inside && t->goff) {
        /* one flat loop over the window's groups: no per-tap pointer set-up */
        tile_flat(t, t->src + (size_t)iy0[0] * g->src_row + (size_t)ix0[0] * g->src_px, step, pix,
                  NP, NK);
        return;
    }
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
    tile_store(t, acc, pix, NP, NK);
}

#define TILE_NK(np)                                                                                \
    switch (nk) {                                                                                  \
    case 4:                                                                                        \
        tile(t, oy, ox, pix, np, 4);                                                               \
        break;                                                                                     \
    case 3:                                                                                        \
        tile(t, oy, ox, pix, np, 3);                                                               \
        break;                                                                                     \
    case 2:                                                                                        \
        tile(t, oy, ox, pix, np, 2);                                                               \
        break;                                                                                     \
    default:                                                                                       \
        tile(t, oy, ox, pix, np, 1);                                                               \
        break;                                                                                     \
    }

/* All npix output pixels of the band for one block of nk channel vectors; tiles run across rows,
 * so only the band's last < PX_BLOCK pixels take the one-pixel tile. (oy, ox) follow pix. */
static void band_block(const tile_ctx *t, int32_t oy0, int32_t npix, int32_t nk)
{
    int32_t pix = 0, oy = oy0, ox = 0;
    for (; pix + PX_BLOCK <= npix; pix += PX_BLOCK) {
        TILE_NK(PX_BLOCK)
        for (ox += PX_BLOCK; ox >= t->g->wo; ox -= t->g->wo)
            oy++;
    }
    for (; pix < npix; pix++) {
        TILE_NK(1)
        if (++ox == t->g->wo) {
            ox = 0;
            oy++;
        }
    }
}

/* Few input channels (the first layer: 3) take the flat group loop of tile(): an im2col copy
 * would pack 3-channel taps tighter (7 groups of 4 bytes instead of 9 for 3x3x3) but measured
 * slower, the copy costing more than it saves. */
static void conv_impl(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                      const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc,
                      const bpu_conv_out *o)
{
    int32_t c4 = (g->c + 3) / 4;
    int32_t k16 = (g->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    int32_t taps = g->kh * g->kw;
    int32_t corr[KV_BLOCK * 16];
    ptrdiff_t goff[GROUPS_MAX];
    int32_t groups = taps * c4;
    int flat = c4 <= 2 && taps > 1 && groups <= GROUPS_MAX;
    for (int32_t grp = 0; flat && grp < groups; grp++) {
        int32_t tap = grp / c4;
        goff[grp] = (ptrdiff_t)(tap / g->kw) * g->dh * (ptrdiff_t)g->src_row +
                    (ptrdiff_t)(tap % g->kw) * g->dw * (ptrdiff_t)g->src_px + 4 * (grp % c4);
    }
    rq_consts rq[KV_BLOCK];
    tile_ctx t = {g, src, wgt, c4, k16, 0, corr, acc, flat ? goff : NULL, groups, o, rq};
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
            if (o)
                rq_setup(&rq[j], o->mult + (size_t)(kv0 + j) * 16,
                         o->shift + (size_t)(kv0 + j) * 16, m);
        }
        t.kv0 = kv0;
        band_block(&t, oy0, (oy1 - oy0) * g->wo, nk);
    }
}

void bpu_avx512vnni_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                         const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    conv_impl(g, src, wgt, bias, oy0, oy1, acc, NULL);
}

/* Fused: each micro-tile's accumulators are requantised in registers and stored as int8. */
void bpu_avx512vnni_conv_rq(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                            const int32_t *bias, int32_t oy0, int32_t oy1, const bpu_conv_out *o,
                            int32_t *scratch)
{
    (void)scratch;
    conv_impl(g, src, wgt, bias, oy0, oy1, NULL, o);
}

/* DEPTHWISE, packed path (kernel rows <= 8, columns <= 16): 4 kernel rows per 32-bit lane, so
 * vpdpbusd adds 4 taps of one channel per lane. For one output row and 64 channels, every input
 * column needed is interleaved once into a column buffer (lane ch of 16-channel vector j holds the
 * 4 rows' bytes of channel 16j + ch, biased to unsigned); an output pixel then takes
 * ceil(kh/4) * kw vpdpbusd per 16 channels, and a column serves every output pixel whose window
 * covers it. The bias u = x + 128 is corrected per channel by -128 * sum(w) over all taps, so
 * padded rows and columns (x = pad_value, u = pad_value + 128: the constant padc) add
 * pad_value * w and the unused 4th row (w = 0) nothing. The MobileNet shapes (3 columns, one row
 * group, whole blocks of 64 or, at stride 1, 32 channels) take no column buffer: dwp_stream_s1 and
 * dwp_stream_s2 use each column from registers as it is interleaved. */
#define DWP_GROUPS 2  /* kernel rows / 4 */
#define DWP_KW     16 /* kernel columns */
#define DWP_COLS   64 /* input columns interleaved at once: 64 x 256 bytes per row group */

/* 4 rows x 64 channels -> 4 vectors, vector j lane i = bytes (r0, r1, r2, r3) of channel 16j + i.
 * The in-lane unpacks give lane L of result j the channels 16L + 4j .. + 3 of their inputs, so
 * each input is first permuted by a 4x4 transpose of its 32-bit words. */
static inline void interleave4(__m512i r0, __m512i r1, __m512i r2, __m512i r3, __m512i *v)
{
    const __m512i tr = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    r0 = _mm512_permutexvar_epi32(tr, r0);
    r1 = _mm512_permutexvar_epi32(tr, r1);
    r2 = _mm512_permutexvar_epi32(tr, r2);
    r3 = _mm512_permutexvar_epi32(tr, r3);
    __m512i a = _mm512_unpacklo_epi8(r0, r1), b = _mm512_unpackhi_epi8(r0, r1);
    __m512i c = _mm512_unpacklo_epi8(r2, r3), d = _mm512_unpackhi_epi8(r2, r3);
    v[0] = _mm512_unpacklo_epi16(a, c);
    v[1] = _mm512_unpackhi_epi16(a, c);
    v[2] = _mm512_unpacklo_epi16(b, d);
    v[3] = _mm512_unpackhi_epi16(b, d);
}

/* interleave4 for 32 channels at half width: 4 rows x 32 channels -> v[0] (channels 0-15),
 * v[1] (16-31). In-lane unpacks give ymm result j, lane L, the channels of input dword (L, j), so
 * each input first moves dword 2j + L there. */
static inline void interleave4_32(__m256i r0, __m256i r1, __m256i r2, __m256i r3, __m512i *v)
{
    const __m256i tr = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    r0 = _mm256_permutevar8x32_epi32(r0, tr);
    r1 = _mm256_permutevar8x32_epi32(r1, tr);
    r2 = _mm256_permutevar8x32_epi32(r2, tr);
    r3 = _mm256_permutevar8x32_epi32(r3, tr);
    __m256i a = _mm256_unpacklo_epi8(r0, r1), b = _mm256_unpackhi_epi8(r0, r1);
    __m256i c = _mm256_unpacklo_epi8(r2, r3), d = _mm256_unpackhi_epi8(r2, r3);
    v[0] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_unpacklo_epi16(a, c)),
                              _mm256_unpackhi_epi16(a, c), 1);
    v[1] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_unpacklo_epi16(b, d)),
                              _mm256_unpackhi_epi16(b, d), 1);
}

/* 32 bytes, or the channels in lm only (masked only for tails). */
static inline __m256i load32b(const int8_t *p, __mmask32 lm)
{
    if (lm == (__mmask32)0xFFFFFFFFu)
        return _mm256_loadu_si256((const __m256i *)(const void *)p);
    return _mm256_maskz_loadu_epi8(lm, p);
}

typedef struct dwp_ctx {
    const bpu_conv_geom *g;
    int32_t groups, nv; /* row groups; 16-channel vectors in this block */
    /* pair mode (stride 1, kernel span <= 3 rows): a group holds 4 consecutive input rows, which
     * serve two output rows, the first with weights w (rows at slots ky*dh), the second with wb
     * (slots ky*dh + 1): one column interleave per two output pixels */
    int pair;
    __mmask16 m[4];    /* output lanes of each vector */
    __m512i padc;      /* a padded position biased: every byte pad_value ^ 0x80 */
    int8_t padrow[64]; /* a padded row's pixel: every byte pad_value (read with stride 0) */
    __m512i corr[4];   /* bias - 128 * sum(w) */
    __m512i w[DWP_GROUPS][DWP_KW][4];
    __m512i wb[DWP_KW][4];
    __m512i cols[DWP_GROUPS][DWP_COLS][4];
} dwp_ctx;

/* 64 bytes, or the channels in lm only (AVX-512 masked loads are much slower on some cores, so
 * only channel tails take them; masked-off bytes are never read). */
static inline __m512i load64(const int8_t *p, __mmask64 lm)
{
    if (lm == ~(__mmask64)0)
        return _mm512_loadu_si512(p);
    if (lm == (__mmask64)0xFFFFFFFFu) /* 32 channels: a 256-bit load, upper half zero */
        return _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)p));
    return _mm512_maskz_loadu_epi8(lm, p);
}

/* The MobileNet case (4 kernel rows or fewer, 3 columns, NV whole 16-channel vectors): n output
 * pixels from column x, stepping SW columns, taps DW columns apart; the 3 * NV weight vectors stay
 * in registers. DWP_NP pixels at a time per vector: their windows' columns are loaded once (4 for
 * SW = 1 against 6 taps; 4 and 8 pixels measured no faster on Zen 4, and worse on short rows).
 * SW and DW are constants in the specialisations below. */
#define DWP_NP 2
static inline __attribute__((always_inline)) void
dwp_3col(const __m512i *restrict x, int32_t n, int32_t SW, int32_t DW, const __m512i *restrict wv,
         const __m512i *restrict corr, int32_t *restrict out, size_t k, int32_t NV)
{
    __m512i w[3][4];
    for (int32_t kx = 0; kx < 3; kx++)
        for (int32_t j = 0; j < NV; j++)
            w[kx][j] = wv[4 * kx + j];
    int32_t span = (DWP_NP - 1) * SW + 2 * DW + 1; /* columns of DWP_NP windows */
    int32_t i = 0;
    /* the blocked loop only while the window columns fit c[] (always, for the constant cases) */
    for (; span <= 21 && i + DWP_NP <= n; i += DWP_NP) {
        const __m512i *xi = x + (size_t)i * SW * 4;
        for (int32_t j = 0; j < NV; j++) {
            __m512i c[21], a[DWP_NP];
            for (int32_t t = 0; t < span; t++)
                c[t] = xi[4 * t + j];
            for (int32_t p = 0; p < DWP_NP; p++) {
                a[p] = _mm512_dpbusd_epi32(corr[j], c[p * SW], w[0][j]);
                a[p] = _mm512_dpbusd_epi32(a[p], c[p * SW + DW], w[1][j]);
                a[p] = _mm512_dpbusd_epi32(a[p], c[p * SW + 2 * DW], w[2][j]);
            }
            for (int32_t p = 0; p < DWP_NP; p++)
                _mm512_storeu_si512(out + (size_t)(i + p) * k + 16 * j, a[p]);
        }
    }
    for (; i < n; i++) {
        const __m512i *xi = x + (size_t)i * SW * 4;
        for (int32_t j = 0; j < NV; j++) {
            __m512i a = _mm512_dpbusd_epi32(corr[j], xi[j], w[0][j]);
            a = _mm512_dpbusd_epi32(a, xi[4 * DW + j], w[1][j]);
            a = _mm512_dpbusd_epi32(a, xi[8 * DW + j], w[2][j]);
            _mm512_storeu_si512(out + (size_t)i * k + 16 * j, a);
        }
    }
}

typedef void (*dwp_3col_fn)(const __m512i *x, int32_t n, int32_t sw, int32_t dw, const __m512i *wv,
                            const __m512i *corr, int32_t *out, size_t k);

#define DWP_3COL(name, nv, sw_, dw_)                                                               \
    __attribute__((noinline)) static void name(const __m512i *x, int32_t n, int32_t sw,            \
                                               int32_t dw, const __m512i *wv, const __m512i *corr, \
                                               int32_t *out, size_t k)                             \
    {                                                                                              \
        (void)sw;                                                                                  \
        (void)dw;                                                                                  \
        dwp_3col(x, n, sw_, dw_, wv, corr, out, k, nv);                                            \
    }
DWP_3COL(dwp_3col_4_s1, 4, 1, 1)
DWP_3COL(dwp_3col_2_s1, 2, 1, 1)
DWP_3COL(dwp_3col_2_s2, 2, 2, 1)
DWP_3COL(dwp_3col_4_any, 4, sw, dw)
DWP_3COL(dwp_3col_2_any, 2, sw, dw)

/* The specialisation for nv whole vectors (4 or 2) and strides sw, dw. */
static dwp_3col_fn dwp_3col_pick(int32_t nv, int32_t sw, int32_t dw)
{
    /* 4 vectors with stride 2 stream instead (dwp_stream_s2) */
    if (nv == 4)
        return sw == 1 && dw == 1 ? dwp_3col_4_s1 : dwp_3col_4_any;
    if (dw == 1 && (sw == 1 || sw == 2))
        return sw == 1 ? dwp_3col_2_s1 : dwp_3col_2_s2;
    return dwp_3col_2_any;
}

/* n output pixels from column buffer index col0, stepping sw columns, into out (stride k int32),
 * with weights w[group][kx]. */
static void dwp_pixels(const dwp_ctx *d, __m512i (*w)[DWP_KW][4], int32_t col0, int32_t n,
                       int32_t *out, size_t k)
{
    const bpu_conv_geom *g = d->g;
    int32_t sw = g->sw, dw = g->dw;
    if (d->groups == 1 && g->kw == 3 && d->m[3] == (__mmask16)0xFFFF) {
        dwp_3col_pick(4, sw, dw)(d->cols[0][col0], n, sw, dw, w[0][0], d->corr, out, k);
        return;
    }
    if (d->groups == 1 && g->kw == 3 && d->nv == 2 && d->m[1] == (__mmask16)0xFFFF) {
        dwp_3col_pick(2, sw, dw)(d->cols[0][col0], n, sw, dw, w[0][0], d->corr, out, k);
        return;
    }
    for (int32_t p = 0; p < n; p++) {
        __m512i a[4] = {d->corr[0], d->corr[1], d->corr[2], d->corr[3]};
        for (int32_t q = 0; q < d->groups; q++)
            for (int32_t kx = 0; kx < g->kw; kx++)
                for (int32_t j = 0; j < d->nv; j++)
                    a[j] = _mm512_dpbusd_epi32(a[j], d->cols[q][col0 + p * sw + kx * dw][j],
                                               w[q][kx][j]);
        for (int32_t j = 0; j < d->nv; j++)
            _mm512_mask_storeu_epi32(out + (size_t)p * k + 16 * j, d->m[j], a[j]);
    }
}

/* The streaming paths' weights, straight into the caller's registers (no stores through d): the
 * interleaved kernel columns w[kx] (slot s holds kernel row ky at s = ky*dh in pair mode, else at
 * s = ky) and the corrections corr = bias - 128 * sum(w) (mod 2^32), for the block's nc channels
 * (lm), kernels of 3 columns and one row group. */
static inline __attribute__((always_inline)) void dwp_w3(const dwp_ctx *d, const int8_t *wgt,
                                                         const int32_t *bias, int32_t cb,
                                                         __mmask64 lm, __m512i (*w)[4],
                                                         __m512i *corr)
{
    const bpu_conv_geom *g = d->g;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int32_t kx = 0; kx < 3; kx++) {
        __m512i r[4];
        for (int32_t sl = 0; sl < 4; sl++) {
            int32_t ky = !d->pair || g->dh == 1 ? sl : sl % g->dh == 0 ? sl / g->dh : -1;
            r[sl] = ky >= 0 && ky < g->kh ? load64(wgt + (size_t)(ky * 3 + kx) * g->c + cb, lm)
                                          : _mm512_setzero_si512();
        }
        interleave4(r[0], r[1], r[2], r[3], w[kx]);
    }
    for (int32_t j = 0; j < 4; j++) {
        __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), flip, w[0][j]);
        sum = _mm512_dpbusd_epi32(sum, flip, w[1][j]);
        sum = _mm512_dpbusd_epi32(sum, flip, w[2][j]);
        corr[j] = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(d->m[j], bias + cb + 16 * j), sum);
    }
}

/* Stride 2 across, 3 columns, one row group, 64 channels: each output pixel reads columns
 * 2ox .. 2ox+2, so the columns are interleaved as they stream by and used from registers (the
 * third one is the next pixel's first), with no column buffer. One output row: the 4 source rows
 * r[i] at the block's channel (pixel stride px[i]: a padded row reads d->padrow with stride 0;
 * ROW3 = 0: the 4th slot, unused by kernels of 3 rows, is the constant padc), output pixels
 * 0 .. wo - 1 into out (stride k int32), weights wv. (Sharing each interleaved 4-row group between
 * two output rows through a column buffer halves the shuffles, but its stores cost more: measured
 * 30% slower.) */
static inline __attribute__((always_inline)) void
dwp_s2_row(const dwp_ctx *d, const int8_t *const *r, const size_t *px, int32_t *out, size_t k,
           __m512i (*wv)[4], const __m512i *corr, int ROW3)
{
    const bpu_conv_geom *g = d->g;
    const __m512i flip = _mm512_set1_epi8((char)0x80), padc = d->padc;
    const int8_t *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3];
    const size_t p0 = px[0], p1 = px[1], p2 = px[2], p3 = px[3];
    const uint32_t w = (uint32_t)g->w;
    const int32_t ix_first = -g->pad_left, n = g->wo;
#define DWP_LD(rr, o) _mm512_xor_si512(_mm512_loadu_si512((rr) + (o)), flip)
#define DWP_COL(ix, v)                                                                             \
    do {                                                                                           \
        if ((uint32_t)(ix) >= w) {                                                                 \
            v[0] = v[1] = v[2] = v[3] = padc;                                                      \
            break;                                                                                 \
        }                                                                                          \
        interleave4(DWP_LD(r0, (size_t)(ix)*p0), DWP_LD(r1, (size_t)(ix)*p1),                      \
                    DWP_LD(r2, (size_t)(ix)*p2), ROW3 ? DWP_LD(r3, (size_t)(ix)*p3) : padc, v);    \
    } while (0)
    __m512i v0[4], v1[4], v2[4], acc[4];
    DWP_COL(ix_first, v0);
    for (int32_t i = 0; i < n; i++) {
        int32_t ix = ix_first + 2 * i;
        DWP_COL(ix + 1, v1);
        /* the corrections loaded per pixel, leaving registers free */
        for (int32_t j = 0; j < 4; j++) {
            acc[j] = _mm512_dpbusd_epi32(corr[j], v0[j], wv[0][j]);
            acc[j] = _mm512_dpbusd_epi32(acc[j], v1[j], wv[1][j]);
        }
        DWP_COL(ix + 2, v2);
        for (int32_t j = 0; j < 4; j++) {
            acc[j] = _mm512_dpbusd_epi32(acc[j], v2[j], wv[2][j]);
            _mm512_storeu_si512(out + (size_t)i * k + 16 * j, acc[j]);
            v0[j] = v2[j];
        }
    }
#undef DWP_COL
#undef DWP_LD
}

/* dwp_s2_row for two output rows at once (stride 2 down, kernels of 3 rows, dilation 1): row oy
 * reads input rows r0, r1, r2 and row oy + 1 rows r2, r3, r4, so the permutes and byte unpacks of
 * rows r2, r3 serve both 4-row groups (19 shuffles per column for the two rows against 22), both
 * with the weights wv. Each column is used as it is interleaved (an even column ends one pixel and
 * starts the next), leaving only the accumulators live between columns. */
static inline __attribute__((always_inline)) void
dwp_s2_pair(const dwp_ctx *d, const int8_t *const *r, const size_t *px, int32_t *outa, size_t k,
            __m512i (*wv)[4], const __m512i *corr, int IN)
{
    const bpu_conv_geom *g = d->g;
    const __m512i flip = _mm512_set1_epi8((char)0x80), padc = d->padc;
    const __m512i tr = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    const int8_t *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3], *r4 = r[4];
    const size_t p0 = px[0], p1 = px[1], p2 = px[2], p3 = px[3], p4 = px[4], row = g->src_row;
    const uint32_t w = (uint32_t)g->w;
    const int32_t ix_first = -g->pad_left, n = g->wo;
    int32_t *outb = outa + (size_t)g->wo * k;
#define DWP_LD(rr, o)                                                                              \
    _mm512_permutexvar_epi32(tr, _mm512_xor_si512(_mm512_loadu_si512((rr) + (o)), flip))
#define DWP_COL2(ix, va, vb)                                                                       \
    do {                                                                                           \
        if ((uint32_t)(ix) >= w) {                                                                 \
            va[0] = va[1] = va[2] = va[3] = vb[0] = vb[1] = vb[2] = vb[3] = padc;                  \
            break;                                                                                 \
        }                                                                                          \
        /* IN: every row inside the map, one pointer and the row stride (five of each took more    \
         * general registers than there are) */                                                    \
        const int8_t *q_ = r0 + (size_t)(ix)*p0;                                                   \
        __m512i x0 = DWP_LD(q_, 0), x1 = DWP_LD(IN ? q_ : r1, IN ? row : (size_t)(ix)*p1);         \
        __m512i x2 = DWP_LD(IN ? q_ : r2, IN ? 2 * row : (size_t)(ix)*p2);                         \
        __m512i x3 = DWP_LD(IN ? q_ : r3, IN ? 3 * row : (size_t)(ix)*p3);                         \
        __m512i x4 = DWP_LD(IN ? q_ : r4, IN ? 4 * row : (size_t)(ix)*p4);                         \
        __m512i a = _mm512_unpacklo_epi8(x0, x1), b = _mm512_unpackhi_epi8(x0, x1);                \
        __m512i c = _mm512_unpacklo_epi8(x2, x3), e = _mm512_unpackhi_epi8(x2, x3);                \
        __m512i f = _mm512_unpacklo_epi8(x4, padc), h = _mm512_unpackhi_epi8(x4, padc);            \
        va[0] = _mm512_unpacklo_epi16(a, c);                                                       \
        va[1] = _mm512_unpackhi_epi16(a, c);                                                       \
        va[2] = _mm512_unpacklo_epi16(b, e);                                                       \
        va[3] = _mm512_unpackhi_epi16(b, e);                                                       \
        vb[0] = _mm512_unpacklo_epi16(c, f);                                                       \
        vb[1] = _mm512_unpackhi_epi16(c, f);                                                       \
        vb[2] = _mm512_unpacklo_epi16(e, h);                                                       \
        vb[3] = _mm512_unpackhi_epi16(e, h);                                                       \
    } while (0)
    __m512i ga[4], gb[4], acca[4], accb[4];
    DWP_COL2(ix_first, ga, gb);
    for (int32_t j = 0; j < 4; j++) {
        acca[j] = _mm512_dpbusd_epi32(corr[j], ga[j], wv[0][j]);
        accb[j] = _mm512_dpbusd_epi32(corr[j], gb[j], wv[0][j]);
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t ix = ix_first + 2 * i;
        DWP_COL2(ix + 1, ga, gb);
        for (int32_t j = 0; j < 4; j++) {
            acca[j] = _mm512_dpbusd_epi32(acca[j], ga[j], wv[1][j]);
            accb[j] = _mm512_dpbusd_epi32(accb[j], gb[j], wv[1][j]);
        }
        DWP_COL2(ix + 2, ga, gb);
        for (int32_t j = 0; j < 4; j++) {
            _mm512_storeu_si512(outa + (size_t)i * k + 16 * j,
                                _mm512_dpbusd_epi32(acca[j], ga[j], wv[2][j]));
            _mm512_storeu_si512(outb + (size_t)i * k + 16 * j,
                                _mm512_dpbusd_epi32(accb[j], gb[j], wv[2][j]));
            /* the next pixel's first column (past the last pixel: unused) */
            acca[j] = _mm512_dpbusd_epi32(corr[j], ga[j], wv[0][j]);
            accb[j] = _mm512_dpbusd_epi32(corr[j], gb[j], wv[0][j]);
        }
    }
#undef DWP_COL2
#undef DWP_LD
}

/* Output rows [oy0, oy1) of the 64-channel block at channel cb by dwp_s2_pair and dwp_s2_row, the
 * weights (dwp_w3) in local variables (read through d, every vpdpbusd loaded its weights again:
 * the stores might alias them). */
__attribute__((noinline)) static void dwp_stream_s2(const dwp_ctx *d, const int8_t *src,
                                                    const int8_t *wgt, const int32_t *bias,
                                                    int32_t cb, int32_t oy0, int32_t oy1,
                                                    int32_t *acc)
{
    const bpu_conv_geom *g = d->g;
    __m512i wv[3][4], corr[4];
    dwp_w3(d, wgt, bias, cb, ~(__mmask64)0, wv, corr);
    /* rows pair up for dwp_s2_pair when oy + 1 reads input rows 2 below oy's */
    int pairs = g->sh == 2 && g->kh == 3 && g->dh == 1;
    for (int32_t oy = oy0; oy < oy1; oy += pairs && oy + 1 < oy1 ? 2 : 1) {
        const int8_t *r[5];
        size_t px[5];
        for (int32_t i = 0; i < 5; i++) {
            int32_t iy = oy * g->sh - g->pad_top + i * g->dh;
            int in = (i < g->kh || pairs) && iy >= 0 && iy < g->h;
            r[i] = in ? src + (size_t)iy * g->src_row + cb : d->padrow;
            px[i] = in ? g->src_px : 0;
        }
        int32_t *out = acc + (size_t)(oy - oy0) * g->wo * g->k + cb;
        if (pairs && oy + 1 < oy1 && px[0] && px[4])
            dwp_s2_pair(d, r, px, out, (size_t)g->k, wv, corr, 1);
        else if (pairs && oy + 1 < oy1)
            dwp_s2_pair(d, r, px, out, (size_t)g->k, wv, corr, 0);
        else if (g->kh > 3)
            dwp_s2_row(d, r, px, out, (size_t)g->k, wv, corr, 1);
        else
            dwp_s2_row(d, r, px, out, (size_t)g->k, wv, corr, 0);
    }
}

/* One column of the 4 source rows at a, b, c, e (64 bytes each, or 32 with NV = 2), biased and
 * interleaved into NV vectors (interleave4, or interleave4_32 at half width). */
static inline __attribute__((always_inline)) void
dwp_col4(const int8_t *a, const int8_t *b, const int8_t *c, const int8_t *e, __m512i *v, int NV)
{
    if (NV == 4) {
        const __m512i flip = _mm512_set1_epi8((char)0x80);
        interleave4(_mm512_xor_si512(_mm512_loadu_si512(a), flip),
                    _mm512_xor_si512(_mm512_loadu_si512(b), flip),
                    _mm512_xor_si512(_mm512_loadu_si512(c), flip),
                    _mm512_xor_si512(_mm512_loadu_si512(e), flip), v);
        return;
    }
    const __m256i flip = _mm256_set1_epi8((char)0x80);
#define DWP_LD(p) _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(p)), flip)
    interleave4_32(DWP_LD(a), DWP_LD(b), DWP_LD(c), DWP_LD(e), v);
#undef DWP_LD
}

/* Stride 1, pair mode, 3 columns, one row group, NV = 4 (64 channels) or 2 (32 channels, the
 * interleave at half width): the two output rows' pixels are computed as the columns are
 * interleaved (each kept in registers for the next two pixels), with no column buffer, so the
 * shuffles overlap the vpdpbusd (the column buffer's separate interleave pass took 40% of the
 * time). One row pair: the 4 source rows r[i] (pixel stride px[i]: a padded row reads d->padrow
 * with stride 0), output pixels 0 .. wo - 1 into outa (row A) and, with NB, the next output row
 * (stride k int32); weights of row A wa, row B wb (NV vectors of each). The 64-channel form spills
 * some weights to the stack (every vpdpbusd then loads one) but measured faster than two
 * 32-channel passes, which keep everything in registers but take more shuffles per channel. */
static inline __attribute__((always_inline)) void
dwp_s1_pair(const dwp_ctx *d, const int8_t *const *r, const size_t *px, int32_t *outa, size_t k,
            __m512i (*wa)[4], __m512i (*wb)[4], const __m512i *corr, int NB, int NV)
{
    const bpu_conv_geom *g = d->g;
    const __m512i padc = d->padc;
    const int8_t *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3];
    const size_t p0 = px[0], p1 = px[1], p2 = px[2], p3 = px[3];
    const uint32_t w = (uint32_t)g->w;
    const int32_t ix_first = -g->pad_left, n = g->wo;
    int32_t *outb = outa + (size_t)g->wo * k;
#define DWP_COL(ix, v)                                                                             \
    do {                                                                                           \
        if ((uint32_t)(ix) >= w) {                                                                 \
            for (int32_t j_ = 0; j_ < NV; j_++)                                                    \
                v[j_] = padc;                                                                      \
            break;                                                                                 \
        }                                                                                          \
        dwp_col4(r0 + (size_t)(ix)*p0, r1 + (size_t)(ix)*p1, r2 + (size_t)(ix)*p2,                 \
                 r3 + (size_t)(ix)*p3, v, NV);                                                     \
    } while (0)
    __m512i c0[4], c1[4], c2[4];
    DWP_COL(ix_first, c0);
    DWP_COL(ix_first + 1, c1);
    for (int32_t i = 0; i < n; i++) {
        DWP_COL(ix_first + i + 2, c2);
        for (int32_t j = 0; j < NV; j++) {
            __m512i a = _mm512_dpbusd_epi32(corr[j], c0[j], wa[0][j]);
            a = _mm512_dpbusd_epi32(a, c1[j], wa[1][j]);
            a = _mm512_dpbusd_epi32(a, c2[j], wa[2][j]);
            _mm512_storeu_si512(outa + (size_t)i * k + 16 * j, a);
            if (NB) {
                __m512i b = _mm512_dpbusd_epi32(corr[j], c0[j], wb[0][j]);
                b = _mm512_dpbusd_epi32(b, c1[j], wb[1][j]);
                b = _mm512_dpbusd_epi32(b, c2[j], wb[2][j]);
                _mm512_storeu_si512(outb + (size_t)i * k + 16 * j, b);
            }
            c0[j] = c1[j];
            c1[j] = c2[j];
        }
    }
#undef DWP_COL
}

/* The 4 source rows of the row pair at output row oy, channel cb (padded rows: d->padrow, pixel
 * stride 0). */
static inline void dwp_pair_rows(const dwp_ctx *d, const int8_t *src, int32_t cb, int32_t oy,
                                 const int8_t **r, size_t *px)
{
    const bpu_conv_geom *g = d->g;
    for (int32_t i = 0; i < 4; i++) {
        int32_t iy = oy - g->pad_top + i;
        int in = iy >= 0 && iy < g->h;
        r[i] = in ? src + (size_t)iy * g->src_row + cb : d->padrow;
        px[i] = in ? g->src_px : 0;
    }
}

/* Output rows [oy0, oy1) of the block at channel cb by dwp_s1_pair with NV whole vectors, the
 * weights w4 and corrections c4 (dwp_w3; row B's one slot up) in local variables. */
static inline __attribute__((always_inline)) void
dwp_stream_s1_nv(const dwp_ctx *d, const int8_t *src, int32_t cb, int32_t oy0, int32_t oy1,
                 int32_t *acc, __m512i (*w4)[4], const __m512i *c4, int NV)
{
    const bpu_conv_geom *g = d->g;
    const int8_t *r[4];
    size_t px[4];
    __m512i wa[3][4], wb[3][4], corr[4];
    for (int32_t j = 0; j < NV; j++) {
        corr[j] = c4[j];
        for (int32_t kx = 0; kx < 3; kx++) {
            wa[kx][j] = w4[kx][j];
            wb[kx][j] = _mm512_slli_epi32(wa[kx][j], 8); /* one slot up: row B */
        }
    }
    for (int32_t oy = oy0; oy < oy1; oy += 2) {
        dwp_pair_rows(d, src, cb, oy, r, px);
        int32_t *out = acc + (size_t)(oy - oy0) * g->wo * g->k + cb;
        if (oy + 1 < oy1)
            dwp_s1_pair(d, r, px, out, (size_t)g->k, wa, wb, corr, 1, NV);
        else
            dwp_s1_pair(d, r, px, out, (size_t)g->k, wa, wb, corr, 0, NV);
    }
}

/* Output rows [oy0, oy1) of the block at channel cb (d->nv: 4 or 2 whole vectors, lm its
 * channels) by dwp_stream_s1_nv. */
__attribute__((noinline)) static void dwp_stream_s1(const dwp_ctx *d, const int8_t *src,
                                                    const int8_t *wgt, const int32_t *bias,
                                                    int32_t cb, __mmask64 lm, int32_t oy0,
                                                    int32_t oy1, int32_t *acc)
{
    __m512i w4[3][4], c4[4];
    dwp_w3(d, wgt, bias, cb, lm, w4, c4);
    if (d->nv == 4)
        dwp_stream_s1_nv(d, src, cb, oy0, oy1, acc, w4, c4, 4);
    else
        dwp_stream_s1_nv(d, src, cb, oy0, oy1, acc, w4, c4, 2);
}

/* Output rows [oy0, oy1) for channels [cb, cb + nc), nc <= 64. */
static void dwp_block(dwp_ctx *d, const int8_t *src, const int8_t *wgt, const int32_t *bias,
                      int32_t cb, int32_t nc, int32_t oy0, int32_t oy1, int32_t *acc)
{
    const bpu_conv_geom *g = d->g;
    const __m512i flip = _mm512_set1_epi8((char)0x80), padc = d->padc;
    __mmask64 lm = nc == 64 ? ~(__mmask64)0 : (((__mmask64)1 << nc) - 1u);
    int32_t ext_w = (g->kw - 1) * g->dw;
    d->nv = (nc + 15) / 16;
    for (int32_t j = 0; j < 4; j++) {
        int32_t left = nc - 16 * j;
        d->m[j] = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1u) : 0;
    }
    /* the streaming paths (no column buffer) take their weights themselves */
    if (d->groups == 1 && !d->pair && g->kw == 3 && g->sw == 2 && g->dw == 1 && nc == 64) {
        dwp_stream_s2(d, src, wgt, bias, cb, oy0, oy1, acc);
        return;
    }
    if (d->groups == 1 && d->pair && g->kw == 3 && g->sw == 1 && g->dw == 1 &&
        (nc == 64 || nc == 32)) {
        dwp_stream_s1(d, src, wgt, bias, cb, lm, oy0, oy1, acc);
        return;
    }
    for (int32_t q = 0; q < d->groups; q++) {
        for (int32_t kx = 0; kx < g->kw; kx++) {
            /* slot s holds kernel row 4q + s, or in pair mode the row at s = ky*dh (first output
             * row; slot 3 stays zero as (kh - 1) * dh <= 2) and s = ky*dh + 1 (second: the same
             * bytes one slot up, a shift of each 32-bit lane); zero where none */
            __m512i r[4];
            for (int32_t sl = 0; sl < 4; sl++) {
                int32_t ky = !d->pair          ? 4 * q + sl
                             : g->dh == 1      ? sl /* no division in the common case */
                             : sl % g->dh == 0 ? sl / g->dh
                                               : -1;
                r[sl] = ky >= 0 && ky < g->kh
                            ? load64(wgt + (size_t)(ky * g->kw + kx) * g->c + cb, lm)
                            : _mm512_setzero_si512();
            }
            interleave4(r[0], r[1], r[2], r[3], d->w[q][kx]);
            if (d->pair)
                for (int32_t j = 0; j < 4; j++)
                    d->wb[kx][j] = _mm512_slli_epi32(d->w[q][kx][j], 8);
        }
    }
    /* corr = bias - 128 * sum(w) (mod 2^32), the sums taken by vpdpbusd with u = 128 */
    for (int32_t j = 0; j < 4; j++) {
        __m512i sum = _mm512_setzero_si512();
        for (int32_t q = 0; q < d->groups; q++)
            for (int32_t kx = 0; kx < g->kw; kx++)
                sum = _mm512_dpbusd_epi32(sum, flip, d->w[q][kx][j]);
        d->corr[j] = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(d->m[j], bias + cb + 16 * j), sum);
    }
    int32_t chunk = (DWP_COLS - ext_w - 1) / g->sw + 1;
    for (int32_t ox0 = 0; ox0 < g->wo; ox0 += chunk) {
        int32_t nox = g->wo - ox0 < chunk ? g->wo - ox0 : chunk;
        int32_t ix_first = ox0 * g->sw - g->pad_left;
        int32_t ncols = (nox - 1) * g->sw + ext_w + 1;
        /* the chunk's columns inside the map, [ca, ce); the others are padding, x = pad_value
         * in every row: written once per chunk */
        int32_t ca = ix_first < 0 ? -ix_first : 0;
        int32_t ce = g->w - ix_first < ncols ? g->w - ix_first : ncols;
        ce = ce < ca ? ca : ce;
        for (int32_t q = 0; q < d->groups; q++)
            for (int32_t col = 0; col < ncols; col++)
                if (col < ca || col >= ce)
                    for (int32_t j = 0; j < 4; j++)
                        d->cols[q][col][j] = padc;
        for (int32_t oy = oy0; oy < oy1; oy += d->pair && oy + 1 < oy1 ? 2 : 1) {
            const int8_t *rows[4 * DWP_GROUPS];
            for (int32_t i = 0; i < 4 * d->groups; i++) {
                int32_t iy = oy * g->sh - g->pad_top + (d->pair ? i : i * g->dh);
                int used = d->pair || i < g->kh;
                rows[i] = used && iy >= 0 && iy < g->h ? src + (size_t)iy * g->src_row + cb : NULL;
            }
            for (int32_t q = 0; q < d->groups; q++) {
                const int8_t *r0 = rows[4 * q], *r1 = rows[4 * q + 1], *r2 = rows[4 * q + 2],
                             *r3 = rows[4 * q + 3];
                if (nc <= 32) {
                    /* at most 32 channels: the interleave at half width */
                    const __m256i flip32 = _mm512_castsi512_si256(flip);
                    const __m256i padc32 = _mm512_castsi512_si256(padc);
                    __mmask32 lm32 = (__mmask32)lm;
                    for (int32_t col = ca; col < ce; col++) {
                        size_t off = (size_t)(ix_first + col) * g->src_px;
                        interleave4_32(
                            r0 ? _mm256_xor_si256(load32b(r0 + off, lm32), flip32) : padc32,
                            r1 ? _mm256_xor_si256(load32b(r1 + off, lm32), flip32) : padc32,
                            r2 ? _mm256_xor_si256(load32b(r2 + off, lm32), flip32) : padc32,
                            r3 ? _mm256_xor_si256(load32b(r3 + off, lm32), flip32) : padc32,
                            d->cols[q][col]);
                    }
                    continue;
                }
                for (int32_t col = ca; col < ce; col++) {
                    size_t off = (size_t)(ix_first + col) * g->src_px;
                    interleave4(r0 ? _mm512_xor_si512(load64(r0 + off, lm), flip) : padc,
                                r1 ? _mm512_xor_si512(load64(r1 + off, lm), flip) : padc,
                                r2 ? _mm512_xor_si512(load64(r2 + off, lm), flip) : padc,
                                r3 ? _mm512_xor_si512(load64(r3 + off, lm), flip) : padc,
                                d->cols[q][col]);
                }
            }
            int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox0) * g->k + cb;
            dwp_pixels(d, d->w, 0, nox, out, (size_t)g->k);
            if (d->pair && oy + 1 < oy1)
                dwp_pixels(d, &d->wb, 0, nox, out + (size_t)g->wo * g->k, (size_t)g->k);
        }
    }
}

/* DEPTHWISE, generic path (larger kernels): 32 channels per step as int16; taps taken in pairs and
 * interleaved so vpmaddwd adds x0*w0 + x1*w1 per channel exactly (|x*w| <= 2^14, no saturation).
 * Unpacking interleaves within 128-bit lanes: the "lo" sums hold channels {0-3, 8-11, 16-19,
 * 24-27}, "hi" the others; one permute restores channel order before the bias is added. */
#define DW_MAX_PAIRS 32

void bpu_avx512_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                       const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t groups = (g->kh + 3) / 4;
    if (groups <= DWP_GROUPS && g->kw <= DWP_KW && (g->kw - 1) * g->dw + 1 <= DWP_COLS) {
        dwp_ctx d;
        d.g = g;
        d.groups = groups;
        d.pair = g->sh == 1 && (g->kh - 1) * g->dh <= 2;
        d.padc = _mm512_set1_epi8((char)(g->pad_value ^ 0x80));
        memset(d.padrow, (int)(int8_t)g->pad_value, sizeof(d.padrow));
        for (int32_t cb = 0; cb < g->c; cb += 64)
            dwp_block(&d, src, wgt, bias, cb, g->c - cb < 64 ? g->c - cb : 64, oy0, oy1, acc);
        return;
    }
    int32_t taps = g->kh * g->kw;
    int32_t pairs = (taps + 1) / 2;
    const __m512i idx0 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i idx1 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    __m512i wlo[DW_MAX_PAIRS], whi[DW_MAX_PAIRS];
    ptrdiff_t offs[2 * DW_MAX_PAIRS];
    const int8_t *xp[2 * DW_MAX_PAIRS];
    int8_t padb[32]; /* a padded position's 32 channels */
    memset(padb, (int)(int8_t)g->pad_value, sizeof(padb));
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
            for (int32_t ox = 0; ox < g->wo; ox++) {
                int32_t ix0 = ox * g->sw - g->pad_left;
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
                                    : padb;
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

/* Requantiser, 16 channels per step (rq16). */
void bpu_avx512_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                        const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px)
{
    const __m128i vlo = _mm_set1_epi8(lo), vhi = _mm_set1_epi8(hi);
    for (int32_t kk = 0; kk < k; kk += 16) {
        int32_t left = k - kk;
        __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        rq_consts q;
        rq_setup(&q, mult + kk, shift + kk, m);
        for (int32_t p = 0; p < n; p++) {
            /* masked loads and stores are slow on some cores: only for the channel tail */
            __m512i a = left >= 16 ? _mm512_loadu_si512(acc + (size_t)p * k + kk)
                                   : _mm512_maskz_loadu_epi32(m, acc + (size_t)p * k + kk);
            __m128i v = rq16(a, &q, vlo, vhi);
            if (left >= 16)
                _mm_storeu_si128((__m128i *)(void *)(dst + (size_t)p * dst_px + kk), v);
            else
                _mm_mask_storeu_epi8(dst + (size_t)p * dst_px + kk, m, v);
        }
    }
}

/* DEPTHWISE fused: rows in chunks whose int32 accumulators (<= 32 KiB, at least two rows for the
 * paired path while they fit the scratch) stay in the L1 cache, each requantised right after. An
 * even number of rows per chunk: the paired paths would take a chunk's odd last row alone, its
 * interleaved row group serving one output row instead of two. */
void bpu_avx512_dwconv_rq(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                          const int32_t *bias, int32_t oy0, int32_t oy1, const bpu_conv_out *o,
                          int32_t *scratch)
{
    size_t row = (size_t)g->wo * g->k;
    int32_t rows = (int32_t)(8192u / row);
    if (rows < 2)
        rows = 2 * row <= 65536u ? 2 : 1;
    else
        rows &= ~1;
    for (int32_t y = oy0; y < oy1; y += rows) {
        int32_t y1 = y + rows < oy1 ? y + rows : oy1;
        bpu_avx512_dwconv(g, src, wgt, bias, y, y1, scratch);
        for (int32_t r = y; r < y1; r++)
            bpu_avx512_requant(scratch + (size_t)(r - y) * row, g->wo, g->k, o->mult, o->shift,
                               o->lo, o->hi, o->dst + (size_t)(r - oy0) * o->dst_row, o->dst_px);
    }
}

/* REQUANT instruction: 16 channels per step over every pixel (rq16; int32 or int8 sources,
 * per-channel or one multiplier), the channel tail under a mask. */
void bpu_avx512_requant_insn(const bpu_requant_op *q, uint32_t flags, uint8_t *sram,
                             const int32_t *mult, const int32_t *shift)
{
    int s32 = (flags & BPU_RQ_SRC_S32) != 0;
    int perch = (flags & BPU_RQ_PER_CHANNEL) != 0;
    int32_t m1[16], r1[16]; /* the one multiplier, repeated */
    for (int32_t i = 0; i < 16; i++)
        m1[i] = mult[0], r1[i] = shift[0];
    const __m128i vlo = _mm_set1_epi8(q->lo), vhi = _mm_set1_epi8(q->hi);
    for (int32_t c = 0; c < q->c; c += 16) {
        int32_t left = q->c - c;
        __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        rq_consts k;
        rq_setup(&k, perch ? mult + c : m1, perch ? shift + c : r1, m);
        for (int32_t y = 0; y < q->h; y++) {
            const uint8_t *s = sram + q->src + (size_t)y * q->src_row;
            int8_t *d = (int8_t *)(sram + q->dst + (size_t)y * q->dst_row) + c;
            for (int32_t x = 0; x < q->w; x++, s += q->src_px, d += q->dst_px) {
                __m512i a;
                if (s32)
                    a = left >= 16 ? _mm512_loadu_si512(s + 4 * (size_t)c)
                                   : _mm512_maskz_loadu_epi32(m, s + 4 * (size_t)c);
                else
                    a = _mm512_cvtepi8_epi32(
                        left >= 16 ? _mm_loadu_si128((const __m128i *)(const void *)(s + c))
                                   : _mm_maskz_loadu_epi8(m, s + c));
                __m128i v = rq16(a, &k, vlo, vhi);
                if (left >= 16)
                    _mm_storeu_si128((__m128i *)(void *)d, v);
                else
                    _mm_mask_storeu_epi8(d, m, v);
            }
        }
    }
}
