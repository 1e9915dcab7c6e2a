/* The BPU numerics contract (ARCHITECTURE.md section 4): the ONE definition of every rounding and
 * requantisation step. Every executor (simulator kernels, SIMD variants' tails, the converter's
 * integer reference) calls these helpers or is tested bit-exact against them.
 *
 * All arithmetic is integer. Right shifts of negative int64_t values are arithmetic (floor); C
 * leaves this implementation-defined, GCC and Clang define it as arithmetic on every target we
 * build, and tests/simulator/test_bpu_numerics pins it. */
#ifndef BPU_NUMERICS_H
#define BPU_NUMERICS_H

#include <stdint.h>

/* Legal multiplier range: M in [2^30, 2^31), shift r in [1, 62]. */
#define BPU_M_MIN     ((int64_t)1 << 30)
#define BPU_M_LIMIT   ((int64_t)1 << 31)
#define BPU_SHIFT_MIN 1
#define BPU_SHIFT_MAX 62

static inline int8_t bpu_clamp_s8(int64_t v, int8_t lo, int8_t hi)
{
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return (int8_t)v;
}

/* (v + 2^(r-1)) >> r, ties rounded up. Needs r in [1, 62] and |v| < 2^62 (every caller below
 * guarantees it from its operand ranges). */
static inline int64_t bpu_round_shift(int64_t v, uint32_t r)
{
    return (v + ((int64_t)1 << (r - 1u))) >> r;
}

/* Requantise an int32 accumulator: clamp((acc * M + 2^(r-1)) >> r, lo, hi).
 * |acc * M| < 2^31 * 2^31 = 2^62, so the int64 expression cannot overflow. */
static inline int8_t bpu_requant(int32_t acc, int32_t m, uint32_t r, int8_t lo, int8_t hi)
{
    return bpu_clamp_s8(bpu_round_shift((int64_t)acc * (int64_t)m, r), lo, hi);
}

/* Elementwise add (sub = 0) or subtract (sub = 1): clamp((x1*M1 +- x2*M2 + 2^(r-1)) >> r, lo, hi).
 * M1, M2 in [0, 2^31): |x*M| < 2^38. */
static inline int8_t bpu_ewise_addsub(int8_t x1, int8_t x2, int32_t m1, int32_t m2, uint32_t r,
                                      int32_t sub, int8_t lo, int8_t hi)
{
    int64_t a = (int64_t)x1 * m1;
    int64_t b = (int64_t)x2 * m2;
    return bpu_clamp_s8(bpu_round_shift(sub ? a - b : a + b, r), lo, hi);
}

/* Elementwise multiply: clamp((x1*x2*M + 2^(r-1)) >> r, lo, hi); |x1*x2*M| <= 2^14 * 2^31. */
static inline int8_t bpu_ewise_mul(int8_t x1, int8_t x2, int32_t m, uint32_t r, int8_t lo,
                                   int8_t hi)
{
    return bpu_clamp_s8(bpu_round_shift((int64_t)x1 * x2 * m, r), lo, hi);
}

/* LUT: 256 entries indexed by x + 128. */
static inline int8_t bpu_lut(const int8_t *table, int8_t x)
{
    return table[(int32_t)x + 128];
}

/* Bilinear blend with Q11 fractions fy, fx in [0, 2048]: one rounding, (sum + 2^21) >> 22. */
static inline int8_t bpu_bilinear(int8_t v00, int8_t v01, int8_t v10, int8_t v11, int32_t fy,
                                  int32_t fx)
{
    int64_t s = (int64_t)v00 * (2048 - fy) * (2048 - fx) + (int64_t)v01 * (2048 - fy) * fx +
                (int64_t)v10 * fy * (2048 - fx) + (int64_t)v11 * fy * fx;
    return (int8_t)bpu_round_shift(s, 22);
}

/* Is (M, r) a legal multiplier? */
static inline int bpu_multiplier_ok(int64_t m, int64_t r)
{
    return m >= BPU_M_MIN && m < BPU_M_LIMIT && r >= BPU_SHIFT_MIN && r <= BPU_SHIFT_MAX;
}

/* Converter side only (the simulator never calls it): the real multiplier x > 0 as M * 2^-r with
 * M in [2^30, 2^31), r in [1, 62], M = round_half_away_from_zero(x * 2^r). Scaling by 2 is exact in
 * double, so the only rounding is the final one. Returns 0 on success, -1 when x is not finite and
 * positive or needs r outside [1, 62] (x >= 2^30 or x < 2^-32); *m and *r are then untouched. */
static inline int bpu_multiplier_from_double(double x, int32_t *m, uint32_t *r)
{
    /* x*2^r must reach [2^30, 2^31) with r in [1, 62]: x in [2^-32, 2^30) (the rounding carry at
     * the upper end is checked below). NaN fails both comparisons. Doubling q from x < 2^30 ends in
     * [2^30, 2^31) after at least one step. */
    if (!(x >= 0x1p-32 && x < 0x1p30))
        return -1;
    double q = x;
    uint32_t shift = 0;
    while (q < 0x1p30) {
        q *= 2.0;
        shift++;
    }
    /* q in [2^30, 2^31); round half away from zero (q > 0). */
    int64_t mi = (int64_t)(q + 0.5);
    if (mi == BPU_M_LIMIT) {
        mi = BPU_M_MIN;
        if (shift == BPU_SHIFT_MIN)
            return -1;
        shift--;
    }
    if (shift < BPU_SHIFT_MIN || shift > BPU_SHIFT_MAX)
        return -1;
    *m = (int32_t)mi;
    *r = shift;
    return 0;
}

#endif
