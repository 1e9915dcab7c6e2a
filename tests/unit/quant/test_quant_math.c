/* The quantiser's arithmetic against hand-derived integers: rounding, requantisation edge cases
 * (ties, negative values, saturation, both ends of the shift range), multiplier derivation, bias
 * and weight quantisation, LUT construction. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bpu/numerics.h"
#include "hbc/quant.h"

static void test_round_sat(void **state)
{
    (void)state;
    assert_int_equal(hbc_quant_round_sat(2.5, -128, 127), 3);
    assert_int_equal(hbc_quant_round_sat(-2.5, -128, 127), -3);
    assert_int_equal(hbc_quant_round_sat(2.4999, -128, 127), 2);
    assert_int_equal(hbc_quant_round_sat(-0.5, -128, 127), -1);
    /* the largest double below 1/2: floor(x + 0.5) would give 1 */
    assert_int_equal(hbc_quant_round_sat(0.49999999999999994, -128, 127), 0);
    assert_int_equal(hbc_quant_round_sat(NAN, -128, 127), 0);
    assert_int_equal(hbc_quant_round_sat(1e300, -128, 127), 127);
    assert_int_equal(hbc_quant_round_sat(-INFINITY, -128, 127), -128);
    assert_int_equal(hbc_quant_round_sat(126.5, -128, 127), 127);
    assert_int_equal(hbc_quant_round_sat(-128.4, -128, 127), -128);
}

/* y = clamp((acc * M + 2^(r-1)) >> r, lo, hi), ties towards +infinity. */
static void test_requant_edges(void **state)
{
    (void)state;
    const int32_t half = 1 << 30;                               /* with r = 31: multiplier 0.5 */
    assert_int_equal(bpu_requant(3, half, 31, -128, 127), 2);   /* 1.5 -> 2 */
    assert_int_equal(bpu_requant(-3, half, 31, -128, 127), -1); /* -1.5 -> -1 */
    assert_int_equal(bpu_requant(-5, half, 31, -128, 127), -2); /* -2.5 -> -2 */
    assert_int_equal(bpu_requant(-7, half, 31, -128, 127), -3); /* -3.5 -> -3 */
    assert_int_equal(bpu_requant(-6, half, 31, -128, 127), -3);
    assert_int_equal(bpu_requant(1000, half, 31, -128, 127), 127);
    assert_int_equal(bpu_requant(-1000, half, 31, -128, 127), -128);
    assert_int_equal(bpu_requant(-10, half, 30, 0, 127), 0);      /* fused ReLU */
    assert_int_equal(bpu_requant(50, half, 30, 0, 42), 42);       /* fused Clip */
    assert_int_equal(bpu_requant(255, half, 31, -128, 127), 127); /* 127.5 -> 128 -> 127 */
    /* r = 1: (v + 1) >> 1 */
    assert_int_equal(bpu_round_shift(5, 1), 3);
    assert_int_equal(bpu_round_shift(-5, 1), -2);
    assert_int_equal(bpu_requant(-1, half, 1, -128, 127), -128);
    /* r = 62 with the extreme operands: (2^31-1)^2 / 2^62 = 0.99999999907 -> 1 and
     * -2^31 * (2^31-1) / 2^62 = -0.99999999953 -> -1... */
    assert_int_equal(bpu_requant(INT32_MAX, INT32_MAX, 62, -128, 127), 1);
    assert_int_equal(bpu_requant(INT32_MIN, INT32_MAX, 62, -128, 127), -1);
    /* ...and with M = 2^30 the tiny-multiplier encoding gives 0 for every int32 (INT32_MIN is
     * the tie -0.5, which goes up to 0) */
    assert_int_equal(bpu_requant(INT32_MAX, half, 62, -128, 127), 0);
    assert_int_equal(bpu_requant(INT32_MIN, half, 62, -128, 127), 0);
}

static void test_multiplier(void **state)
{
    (void)state;
    int32_t m, m2;
    uint32_t r;
    assert_int_equal(hbc_quant_multiplier(0.5, &m, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(r, 31);
    assert_int_equal(hbc_quant_multiplier(1.0, &m, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(r, 30);
    assert_int_equal(hbc_quant_multiplier(0.75, &m, &r), 0);
    assert_int_equal(m, 1610612736);
    assert_int_equal(r, 31);
    /* 0.3 * 2^32 = 1288490188.8 -> 1288490189 */
    assert_int_equal(hbc_quant_multiplier(0.3, &m, &r), 0);
    assert_int_equal(m, 1288490189);
    assert_int_equal(r, 32);
    /* 1 - 2^-33: x * 2^31 = 2^31 - 0.25 rounds to 2^31, carried into M = 2^30, r = 30 */
    assert_int_equal(hbc_quant_multiplier(1.0 - 0x1p-33, &m, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(r, 30);
    /* the low end: exactly 2^-32, and below it the zero-giving encoding */
    assert_int_equal(hbc_quant_multiplier(0x1p-32, &m, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(r, 62);
    assert_int_equal(hbc_quant_multiplier(0x1p-40, &m, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(r, 62);
    /* the high end: 2^30 - 2^-20 fits with r = 1; 2^30 does not */
    assert_int_equal(hbc_quant_multiplier(0x1p29, &m, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(r, 1);
    assert_int_equal(hbc_quant_multiplier(0x1p30, &m, &r), -1);
    assert_int_equal(hbc_quant_multiplier(0.0, &m, &r), -1);
    assert_int_equal(hbc_quant_multiplier(-0.5, &m, &r), -1);
    assert_int_equal(hbc_quant_multiplier(NAN, &m, &r), -1);
    /* two multipliers sharing a shift: 0.3 -> (1288490189, 32); 0.1 * 2^32 = 429496729.6 */
    assert_int_equal(hbc_quant_multiplier2(0.1, 0.3, &m, &m2, &r), 0);
    assert_int_equal(m, 429496730);
    assert_int_equal(m2, 1288490189);
    assert_int_equal(r, 32);
    assert_int_equal(hbc_quant_multiplier2(0.5, 0.25, &m, &m2, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(m2, 1 << 29);
    assert_int_equal(r, 31);
    assert_int_equal(hbc_quant_multiplier2(0.5, 0.0, &m, &m2, &r), 0);
    assert_int_equal(m2, 0);
    assert_int_equal(hbc_quant_multiplier2(0.0, 0.0, &m, &m2, &r), -1);
}

static void test_bias_and_weights(void **state)
{
    (void)state;
    assert_int_equal(hbc_quant_bias(0.5, 0.5, 0.5), 2);
    assert_int_equal(hbc_quant_bias(0.625, 0.5, 0.5), 3);   /* 2.5 -> 3 */
    assert_int_equal(hbc_quant_bias(-0.625, 0.5, 0.5), -3); /* -2.5 -> -3 */
    assert_int_equal(hbc_quant_bias(1e30, 0.5, 0.5), INT32_MAX);
    assert_int_equal(hbc_quant_bias(-1e30, 0.5, 0.5), INT32_MIN);

    const float w[4] = {0.5f, -1.0f, 0.25f, 0.0039f};
    int8_t q[4];
    double s = hbc_quant_weights(w, 4, q);
    assert_true(s == 1.0 / 127.0);
    assert_int_equal(q[0], 64); /* 63.5 -> 64 */
    assert_int_equal(q[1], -127);
    assert_int_equal(q[2], 32); /* 31.75 */
    assert_int_equal(q[3], 0);  /* 0.495 */
    const float z[2] = {0.0f, -0.0f};
    assert_true(hbc_quant_weights(z, 2, q) == 1.0);
    assert_int_equal(q[0], 0);
    assert_int_equal(q[1], 0);

    /* Weights on a grid: 0.02 * {-3, 7, 10, 0} lie on amax / 10 (10 steps of 0.02), whose finest
     * multiple within 127 steps is amax / 120: exact q = 12 * {-3, 7, 10, 0}. */
    const float g[4] = {-0.06f, 0.14f, 0.2f, 0.0f};
    s = hbc_quant_weights(g, 4, q);
    assert_true(s == (double)0.2f / 120.0);
    assert_int_equal(q[0], -36);
    assert_int_equal(q[1], 84);
    assert_int_equal(q[2], 120);
    assert_int_equal(q[3], 0);
    /* A grid of 100 steps (the 2-decimal values of a uint8 export): amax / 100, every q exact. */
    const float h[3] = {1.00f, -0.37f, 0.01f};
    s = hbc_quant_weights(h, 3, q);
    assert_true(s == (double)1.00f / 100.0);
    assert_int_equal(q[0], 100);
    assert_int_equal(q[1], -37);
    assert_int_equal(q[2], 1);
    /* Off every grid of at most 126 steps (0.3 / 0.999 * k is never within 1e-4 of an integer):
     * absmax / 127 and rounding, as before. */
    const float r[2] = {0.3f, 0.999f};
    s = hbc_quant_weights(r, 2, q);
    assert_true(s == (double)0.999f / 127.0);
    assert_int_equal(q[0], 38); /* 38.138 */
    assert_int_equal(q[1], 127);
    /* 128 steps: the grid does not fit in [-127, 127], so amax / 127 and rounding. */
    const float t[2] = {128.0f, 1.0f};
    s = hbc_quant_weights(t, 2, q);
    assert_true(s == 128.0 / 127.0);
    assert_int_equal(q[0], 127);
    assert_int_equal(q[1], 1); /* 0.992 */
}

static void test_lut(void **state)
{
    (void)state;
    int8_t t[256];
    const double clip[2] = {-0.5, 0.5}, alpha[2] = {0.1, 0.0};
    assert_int_equal(hbc_quant_lut(HBC_LUT_RELU, NULL, 1.0, 1.0, t), 0);
    assert_int_equal(t[0], 0);
    assert_int_equal(t[128], 0);
    assert_int_equal(t[129], 1);
    assert_int_equal(t[255], 127);
    /* sigmoid, s_in 0.05, s_out 1/127: x = 0 -> 63.5 -> 64; x = 1 -> 92.84 -> 93;
     * x = -1 -> 34.16 -> 34 */
    assert_int_equal(hbc_quant_lut(HBC_LUT_SIGMOID, NULL, 0.05, 1.0 / 127.0, t), 0);
    assert_int_equal(t[128], 64);
    assert_int_equal(t[148], 93);
    assert_int_equal(t[108], 34);
    /* tanh(1) * 127 = 96.72 */
    assert_int_equal(hbc_quant_lut(HBC_LUT_TANH, NULL, 0.02, 1.0 / 127.0, t), 0);
    assert_int_equal(t[178], 97);
    assert_int_equal(t[78], -97);
    /* hardswish, s_in 0.1, s_out 0.05: 3 -> 60; -3 -> 0; -1 -> -1/3 -> -6.67 -> -7 */
    assert_int_equal(hbc_quant_lut(HBC_LUT_HARDSWISH, NULL, 0.1, 0.05, t), 0);
    assert_int_equal(t[158], 60);
    assert_int_equal(t[98], 0);
    assert_int_equal(t[118], -7);
    assert_int_equal(hbc_quant_lut(HBC_LUT_CLIP, clip, 0.01, 0.01, t), 0);
    assert_int_equal(t[0], -50);
    assert_int_equal(t[200], 50);
    assert_int_equal(t[150], 22);
    /* leaky relu 0.1: -128 -> -12.8 -> -13; -5 -> -0.5 -> -1 (away from zero) */
    assert_int_equal(hbc_quant_lut(HBC_LUT_LEAKYRELU, alpha, 1.0, 1.0, t), 0);
    assert_int_equal(t[0], -13);
    assert_int_equal(t[123], -1);
    assert_int_equal(t[133], 5);
    /* exp, s 0.1: e^0 / 0.1 = 10; saturates high; e^-12.8 / 0.1 -> 0 */
    assert_int_equal(hbc_quant_lut(HBC_LUT_EXP, NULL, 0.1, 0.1, t), 0);
    assert_int_equal(t[128], 10);
    assert_int_equal(t[255], 127);
    assert_int_equal(t[0], 0);
    assert_int_equal(hbc_quant_lut(HBC_LUT_FN_COUNT, NULL, 0.1, 0.1, t), -1);
    assert_int_equal(hbc_quant_lut(HBC_LUT_EXP, NULL, 0.0, 0.1, t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_sat),  cmocka_unit_test(test_requant_edges),
        cmocka_unit_test(test_multiplier), cmocka_unit_test(test_bias_and_weights),
        cmocka_unit_test(test_lut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
