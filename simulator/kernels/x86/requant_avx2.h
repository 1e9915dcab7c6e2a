/* Private: the AVX2 requantiser on 8 int32 lanes, shared by the CONV requantiser, the REQUANT
 * instruction (conv_avx2.c) and POOL AVG (vec_avx2.c). Include only from files compiled with AVX2.
 * Exact: 64-bit products (|acc * M| < 2^62), rounding add, arithmetic shift, clamp. */
#ifndef BPU_REQUANT_AVX2_H
#define BPU_REQUANT_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/* Arithmetic right shift of 64-bit lanes by per-lane counts (AVX2 has only the logical form):
 * for negative v, ~(~v >> r) == floor(v / 2^r). */
static inline __m256i sra64(__m256i v, __m256i r)
{
    __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
    return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), r), sign);
}

static inline __m256i clamp64(__m256i v, __m256i lo, __m256i hi)
{
    v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
    return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

/* Requantiser constants of 8 channels: M of the even and odd lanes, r and 2^(r-1) in 64-bit
 * lanes, and the clamp bounds. */
typedef struct rq8_consts {
    __m256i mv, m_odd, r_even, r_odd, rnd_even, rnd_odd, lo, hi;
} rq8_consts;

static inline void rq8_setup(rq8_consts *q, const int32_t *mult, const int32_t *shift, int8_t lo,
                             int8_t hi)
{
    const __m256i one = _mm256_set1_epi64x(1), low32 = _mm256_set1_epi64x(0xFFFFFFFF);
    __m256i rv = _mm256_loadu_si256((const __m256i *)(const void *)shift);
    q->mv = _mm256_loadu_si256((const __m256i *)(const void *)mult);
    q->m_odd = _mm256_srli_epi64(q->mv, 32);
    q->r_even = _mm256_and_si256(rv, low32);
    q->r_odd = _mm256_srli_epi64(rv, 32);
    q->rnd_even = _mm256_sllv_epi64(one, _mm256_sub_epi64(q->r_even, one));
    q->rnd_odd = _mm256_sllv_epi64(one, _mm256_sub_epi64(q->r_odd, one));
    q->lo = _mm256_set1_epi64x(lo);
    q->hi = _mm256_set1_epi64x(hi);
}

/* 8 int32 -> 8 int8 in the low 8 bytes: 64-bit products per even / odd lane, rounding add,
 * arithmetic shift, clamp, then narrowing values already in [lo, hi]. */
static inline __m128i rq8(__m256i a, const rq8_consts *q)
{
    __m256i pe = _mm256_mul_epi32(a, q->mv);
    __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), q->m_odd);
    pe = clamp64(sra64(_mm256_add_epi64(pe, q->rnd_even), q->r_even), q->lo, q->hi);
    po = clamp64(sra64(_mm256_add_epi64(po, q->rnd_odd), q->r_odd), q->lo, q->hi);
    __m256i v = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
    /* values are in [-128, 127]: the saturating packs do not change them */
    __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packs_epi16(w16, w16);
}

#endif
