/* AVX2 variants of the EWISE and POOL vector kernels (same signatures and results as vec_ref.c;
 * used by the avx2 and avx512vnni tables). Integer arithmetic only, exact:
 *   EWISE ADD/SUB: x1*M1 +- x2*M2 in 64-bit lanes (|.| < 2^39), rounding add, arithmetic shift by
 *     the instruction's r emulated with a logical shift ((v + 2^63) >>> r) - 2^(63-r), clamp in
 *     64 bits, narrow values already in [lo, hi]; MAX/MIN: byte max/min then the byte clamp.
 *   POOL MAX: byte max over the window; AVG: int32 sums over the window (at most 255 * 255 taps of
 *     |x| <= 128: far from wrapping), then the window count's requantiser on 8 lanes (rq8).
 *   EWISE MUL: x1*x2 exact in int32 lanes (|.| <= 2^14), then as ADD with one product; SCALAR2
 *     broadcasts src2's byte.
 * Channels past the last whole vector (8 for EWISE ADD/SUB/MUL, 32 otherwise) of each pixel take
 * the scalar formulas of bpu/numerics.h. */
#include <immintrin.h>
#include <string.h>

#include "kernels_ref.h"
#include "kernels_x86.h"
#include "requant_avx2.h"

#include "bpu/numerics.h"

static int8_t *at8(uint8_t *sram, uint32_t base, size_t row, size_t px, int32_t y, int32_t x)
{
    return (int8_t *)(sram + base + (size_t)y * row + (size_t)x * px);
}

static inline __m256i load32(const int8_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static inline void store32(int8_t *p, __m256i v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, v);
}

/* 4 int64 lanes: (v + 2^(r-1)) >> r (arithmetic), r in [1, 62], |v| < 2^62. sr: the count r;
 * bias: 2^63 (flips the sign bit so the logical shift sees v + 2^63 >= 0); fix: 2^(63-r). */
static inline __m256i round_shift4(__m256i v, __m256i rnd, __m128i sr, __m256i bias, __m256i fix)
{
    v = _mm256_add_epi64(_mm256_add_epi64(v, rnd), bias);
    return _mm256_sub_epi64(_mm256_srl_epi64(v, sr), fix);
}

/* 4 int64 lanes in [lo, hi] (AVX2 has no 64-bit min/max: compare and blend). */
static inline __m256i clamp4(__m256i v, __m256i lo, __m256i hi)
{
    v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
    return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

/* 8 int8 at p as int32 lanes. */
static inline __m256i load8_s32(const int8_t *p)
{
    int64_t q;
    memcpy(&q, p, 8);
    return _mm256_cvtepi8_epi32(_mm_cvtsi64_si128(q));
}

/* 8 channels of ADD, SUB (x1*M1 +- x2*M2) or MUL (x1*x2*M1, with |x1*x2| <= 2^14 exact in int32
 * lanes): int8 results in the low 8 bytes. x1, x2: int32 lanes. */
static inline __m128i ew8(__m256i x1, __m256i x2, uint32_t op, __m256i m1, __m256i m2, __m256i rnd,
                          __m128i sr, __m256i bias, __m256i fix, __m256i lo, __m256i hi)
{
    __m256i se, so;
    if (op == BPU_EW_MUL) {
        __m256i p = _mm256_mullo_epi32(x1, x2);
        se = _mm256_mul_epi32(p, m1);
        so = _mm256_mul_epi32(_mm256_srli_epi64(p, 32), m1);
    } else {
        /* even lanes (channels 0, 2, 4, 6) and odd lanes (1, 3, 5, 7) as 64-bit products */
        __m256i pe1 = _mm256_mul_epi32(x1, m1);
        __m256i po1 = _mm256_mul_epi32(_mm256_srli_epi64(x1, 32), m1);
        __m256i pe2 = _mm256_mul_epi32(x2, m2);
        __m256i po2 = _mm256_mul_epi32(_mm256_srli_epi64(x2, 32), m2);
        int sub = op == BPU_EW_SUB;
        se = sub ? _mm256_sub_epi64(pe1, pe2) : _mm256_add_epi64(pe1, pe2);
        so = sub ? _mm256_sub_epi64(po1, po2) : _mm256_add_epi64(po1, po2);
    }
    se = clamp4(round_shift4(se, rnd, sr, bias, fix), lo, hi);
    so = clamp4(round_shift4(so, rnd, sr, bias, fix), lo, hi);
    /* int32 lanes: even from se, odd from so's low halves */
    __m256i v = _mm256_blend_epi32(se, _mm256_slli_epi64(so, 32), 0xAA);
    /* 8 int32 in [-128, 127] -> 8 bytes (the packs cannot saturate: values are in range) */
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packs_epi16(w, w);
}

void bpu_avx2_ewise(const bpu_ewise_op *e, uint32_t flags, uint8_t *sram)
{
    uint32_t op = flags & BPU_EWISE_OP_MASK;
    int scalar = (flags & BPU_EWISE_SCALAR2) != 0;
    /* multipliers must be non-negative int32 for vpmuldq (the validator's range) */
    if (e->m1 > INT32_MAX || e->m2 > INT32_MAX) {
        bpu_ref_ewise(e, flags, sram);
        return;
    }
    int wide = op == BPU_EW_ADD || op == BPU_EW_SUB || op == BPU_EW_MUL; /* 64-bit products */
    int32_t vec = wide ? 8 : 32;
    int32_t cv = e->c / vec * vec; /* channels the vector loop covers */
    const __m256i m1 = _mm256_set1_epi64x((int64_t)e->m1), m2 = _mm256_set1_epi64x((int64_t)e->m2);
    uint32_t r = wide ? e->r : 1u; /* r is in [1, 62] for ADD/SUB/MUL, unused (maybe 0) otherwise */
    const __m256i rnd = _mm256_set1_epi64x((int64_t)1 << (r - 1));
    const __m128i sr = _mm_cvtsi32_si128((int)r);
    const __m256i bias = _mm256_set1_epi64x(INT64_MIN);
    const __m256i fix = _mm256_set1_epi64x((int64_t)((uint64_t)1 << (63 - r)));
    const __m256i lo64 = _mm256_set1_epi64x(e->lo), hi64 = _mm256_set1_epi64x(e->hi);
    const __m256i lo8 = _mm256_set1_epi8(e->lo), hi8 = _mm256_set1_epi8(e->hi);
    for (int32_t y = 0; y < e->h; y++) {
        for (int32_t x = 0; x < e->w; x++) {
            const int8_t *a = at8(sram, e->src1, e->src1_row, e->src1_px, y, x);
            const int8_t *b = at8(sram, e->src2, e->src2_row, e->src2_px, y, x);
            int8_t *d = at8(sram, e->dst, e->dst_row, e->dst_px, y, x);
            /* SCALAR2: src2's one byte for every channel */
            const __m256i s32 = _mm256_set1_epi32(b[0]), s8 = _mm256_set1_epi8(b[0]);
            for (int32_t c = 0; c < cv; c += vec) {
                if (wide) {
                    __m256i x2 = scalar ? s32 : load8_s32(b + c);
                    __m128i v =
                        ew8(load8_s32(a + c), x2, op, m1, m2, rnd, sr, bias, fix, lo64, hi64);
                    _mm_storel_epi64((__m128i *)(void *)(d + c), v);
                    continue;
                }
                __m256i v1 = load32(a + c), v2 = scalar ? s8 : load32(b + c);
                __m256i v = op == BPU_EW_MAX ? _mm256_max_epi8(v1, v2) : _mm256_min_epi8(v1, v2);
                store32(d + c, _mm256_min_epi8(_mm256_max_epi8(v, lo8), hi8));
            }
            for (int32_t c = cv; c < e->c; c++) {
                int8_t x1 = a[c], x2 = scalar ? b[0] : b[c];
                switch (op) {
                case BPU_EW_ADD:
                case BPU_EW_SUB:
                    d[c] = bpu_ewise_addsub(x1, x2, (int32_t)e->m1, (int32_t)e->m2, e->r,
                                            op == BPU_EW_SUB, e->lo, e->hi);
                    break;
                case BPU_EW_MUL:
                    d[c] = bpu_ewise_mul(x1, x2, (int32_t)e->m1, e->r, e->lo, e->hi);
                    break;
                case BPU_EW_MAX:
                    d[c] = bpu_clamp_s8(x1 > x2 ? x1 : x2, e->lo, e->hi);
                    break;
                default:
                    d[c] = bpu_clamp_s8(x1 < x2 ? x1 : x2, e->lo, e->hi);
                    break;
                }
            }
        }
    }
}

/* Window sums of 32 channels at c: int32 lanes, s[0..3] = channels c + 8i .. + 7. */
static inline void sum32(const bpu_pool_op *p, uint8_t *sram, int32_t ya, int32_t yb, int32_t xa,
                         int32_t xb, int32_t c, __m256i *s)
{
    s[0] = s[1] = s[2] = s[3] = _mm256_setzero_si256();
    for (int32_t y = ya; y < yb; y++) {
        for (int32_t x = xa; x < xb; x++) {
            __m256i v = load32(at8(sram, p->src, p->src_row, p->src_px, y, x) + c);
            __m128i l = _mm256_castsi256_si128(v), h = _mm256_extracti128_si256(v, 1);
            s[0] = _mm256_add_epi32(s[0], _mm256_cvtepi8_epi32(l));
            s[1] = _mm256_add_epi32(s[1], _mm256_cvtepi8_epi32(_mm_srli_si128(l, 8)));
            s[2] = _mm256_add_epi32(s[2], _mm256_cvtepi8_epi32(h));
            s[3] = _mm256_add_epi32(s[3], _mm256_cvtepi8_epi32(_mm_srli_si128(h, 8)));
        }
    }
}

void bpu_avx2_pool(const bpu_pool_op *p, uint32_t flags, uint8_t *sram, const int32_t *mult,
                   const int32_t *shift)
{
    int avg = (flags & BPU_POOL_AVG) != 0;
    int32_t cv = p->c / 32 * 32;
    rq8_consts rq;
    memset(&rq, 0, sizeof rq);
    int32_t rq_n = 0; /* window count rq is set up for (0: none yet) */
    const __m256i lo8 = _mm256_set1_epi8(p->lo), hi8 = _mm256_set1_epi8(p->hi);
    for (int32_t oy = 0; oy < p->ho; oy++) {
        int32_t y0 = oy * p->sh - p->pad_top;
        int32_t ya = y0 < 0 ? 0 : y0, yb = y0 + p->kh > p->h ? p->h : y0 + p->kh;
        for (int32_t ox = 0; ox < p->wo; ox++) {
            int32_t x0 = ox * p->sw - p->pad_left;
            int32_t xa = x0 < 0 ? 0 : x0, xb = x0 + p->kw > p->w ? p->w : x0 + p->kw;
            int32_t n = (flags & BPU_POOL_COUNT_PAD) ? p->kh * p->kw : (yb - ya) * (xb - xa);
            int8_t *d = at8(sram, p->dst, p->dst_row, p->dst_px, oy, ox);
            if (avg && cv > 0 && n != rq_n) {
                /* the window count's requantiser, for every channel */
                int32_t m8[8], r8[8];
                for (int32_t i = 0; i < 8; i++)
                    m8[i] = mult[n - 1], r8[i] = shift[n - 1];
                rq8_setup(&rq, m8, r8, p->lo, p->hi);
                rq_n = n;
            }
            for (int32_t c = 0; c < cv; c += 32) {
                if (avg) {
                    __m256i s[4];
                    sum32(p, sram, ya, yb, xa, xb, c, s);
                    for (int32_t i = 0; i < 4; i++)
                        _mm_storel_epi64((__m128i *)(void *)(d + c + 8 * i), rq8(s[i], &rq));
                    continue;
                }
                __m256i m = _mm256_set1_epi8(-128);
                for (int32_t y = ya; y < yb; y++)
                    for (int32_t x = xa; x < xb; x++)
                        m = _mm256_max_epi8(
                            m, load32(at8(sram, p->src, p->src_row, p->src_px, y, x) + c));
                store32(d + c, _mm256_min_epi8(_mm256_max_epi8(m, lo8), hi8));
            }
            for (int32_t c = cv; c < p->c; c++) {
                int32_t acc = avg ? 0 : -128;
                for (int32_t y = ya; y < yb; y++) {
                    for (int32_t x = xa; x < xb; x++) {
                        int32_t v = at8(sram, p->src, p->src_row, p->src_px, y, x)[c];
                        if (avg)
                            acc += v;
                        else if (v > acc)
                            acc = v;
                    }
                }
                d[c] = avg ? bpu_requant(acc, mult[n - 1], (uint32_t)shift[n - 1], p->lo, p->hi)
                           : bpu_clamp_s8(acc, p->lo, p->hi);
            }
        }
    }
}

/* LUT: the 256-entry table as 16 blocks of 16 bytes (each in both 128-bit lanes); per 32 bytes,
 * index i = x + 128 (x ^ 0x80), every block looked up by the low nibble (vpshufb) and the one of
 * the high nibble kept (compare, blend): 16 lookups of 32 bytes instead of 32 scalar ones. */
void bpu_avx2_lut(const bpu_lut_op *l, uint8_t *sram)
{
    const int8_t *table = (const int8_t *)(sram + l->table);
    __m256i blk[16];
    for (int32_t b = 0; b < 16; b++)
        blk[b] = _mm256_broadcastsi128_si256(
            _mm_loadu_si128((const __m128i *)(const void *)(table + 16 * b)));
    const __m256i flip = _mm256_set1_epi8((char)0x80), nib = _mm256_set1_epi8(0x0F);
    int32_t cv = l->c / 32 * 32;
    for (int32_t y = 0; y < l->h; y++) {
        for (int32_t x = 0; x < l->w; x++) {
            const int8_t *s = at8(sram, l->src, l->src_row, l->src_px, y, x);
            int8_t *d = at8(sram, l->dst, l->dst_row, l->dst_px, y, x);
            for (int32_t c = 0; c < cv; c += 32) {
                __m256i i = _mm256_xor_si256(load32(s + c), flip);
                __m256i lo = _mm256_and_si256(i, nib);
                __m256i hi = _mm256_and_si256(_mm256_srli_epi16(i, 4), nib);
                __m256i r = _mm256_shuffle_epi8(blk[0], lo);
                for (int32_t b = 1; b < 16; b++)
                    r = _mm256_blendv_epi8(r, _mm256_shuffle_epi8(blk[b], lo),
                                           _mm256_cmpeq_epi8(hi, _mm256_set1_epi8((char)b)));
                store32(d + c, r);
            }
            for (int32_t c = cv; c < l->c; c++)
                d[c] = bpu_lut(table, s[c]);
        }
    }
}

/* Source coordinate of output index o in Q16, clamped to [0, (n-1) << 16] (as vec_ref.c). */
static int64_t src_coord(int32_t off, uint32_t step, int32_t o, int32_t n)
{
    int64_t s = (int64_t)off + (int64_t)step * o;
    int64_t top = (int64_t)(n - 1) << 16;
    return s < 0 ? 0 : s > top ? top : s;
}

/* 8 channels (int16 pairs (a_i, b_i) of rows a, b at 8 bytes each) blended horizontally:
 * a * (2048 - fx) + b * fx, exact in int32 (|.| <= 2^18). */
static inline __m256i blend_h(__m128i a, __m128i b, __m256i wx)
{
    return _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(a, b)), wx);
}

/* RESIZE: NEAREST copies pixels (the reference's memcpy); BILINEAR per 16 channels: horizontal
 * blends by vpmaddwd on (left, right) int16 pairs with (2048 - fx, fx), then the vertical one in
 * int32, h0 * (2048 - fy) + h1 * fy: the same sum as bpu_bilinear's (the weights add up to 2^22, so
 * |sum| <= 2^29 fits int32), rounded by (sum + 2^21) >> 22 into [-128, 127]. */
void bpu_avx2_resize(const bpu_resize_op *r, uint32_t flags, uint8_t *sram)
{
    if (!(flags & BPU_RESIZE_BILINEAR)) {
        bpu_ref_resize(r, flags, sram);
        return;
    }
    int32_t cv = r->c / 16 * 16;
    const __m256i rnd = _mm256_set1_epi32(1 << 21);
    for (int32_t oy = 0; oy < r->ho; oy++) {
        int64_t sy = src_coord(r->off_y, r->step_y, oy, r->h);
        int32_t y0 = (int32_t)(sy >> 16), y1 = y0 + 1 < r->h ? y0 + 1 : y0;
        int32_t fy = (int32_t)((sy & 0xFFFF) >> 5);
        const __m256i wy0 = _mm256_set1_epi32(2048 - fy), wy1 = _mm256_set1_epi32(fy);
        for (int32_t ox = 0; ox < r->wo; ox++) {
            int64_t sx = src_coord(r->off_x, r->step_x, ox, r->w);
            int32_t x0 = (int32_t)(sx >> 16), x1 = x0 + 1 < r->w ? x0 + 1 : x0;
            int32_t fx = (int32_t)((sx & 0xFFFF) >> 5);
            const __m256i wx =
                _mm256_set1_epi32((int32_t)((uint32_t)fx << 16 | (uint32_t)(2048 - fx)));
            int8_t *d = at8(sram, r->dst, r->dst_row, r->dst_px, oy, ox);
            const int8_t *p00 = at8(sram, r->src, r->src_row, r->src_px, y0, x0);
            const int8_t *p01 = at8(sram, r->src, r->src_row, r->src_px, y0, x1);
            const int8_t *p10 = at8(sram, r->src, r->src_row, r->src_px, y1, x0);
            const int8_t *p11 = at8(sram, r->src, r->src_row, r->src_px, y1, x1);
            for (int32_t c = 0; c < cv; c += 16) {
                __m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)(p00 + c));
                __m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)(p01 + c));
                __m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(p10 + c));
                __m128i b1 = _mm_loadu_si128((const __m128i *)(const void *)(p11 + c));
                __m256i s[2];
                for (int32_t h = 0; h < 2; h++) {
                    __m256i h0 = blend_h(a0, b0, wx), h1 = blend_h(a1, b1, wx);
                    __m256i v =
                        _mm256_add_epi32(_mm256_mullo_epi32(h0, wy0), _mm256_mullo_epi32(h1, wy1));
                    s[h] = _mm256_srai_epi32(_mm256_add_epi32(v, rnd), 22);
                    a0 = _mm_srli_si128(a0, 8), b0 = _mm_srli_si128(b0, 8);
                    a1 = _mm_srli_si128(a1, 8), b1 = _mm_srli_si128(b1, 8);
                }
                /* 16 int32 in [-128, 127] -> bytes (the saturating packs cannot change them) */
                __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(s[0], s[1]), 0xD8);
                __m128i v8 =
                    _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
                _mm_storeu_si128((__m128i *)(void *)(d + c), v8);
            }
            for (int32_t c = cv; c < r->c; c++)
                d[c] = bpu_bilinear(p00[c], p01[c], p10[c], p11[c], fy, fx);
        }
    }
}
