/* Unary elementwise kernels (kernels/unary.c): activations and math functions on a fixed
 * vector, Clip's opset-dependent bounds, PRelu's unidirectional broadcasting, integer variants.
 *
 * Expected values of the transcendental functions were computed in double precision with
 * numpy 1.24.2 / Python's math module (Debian 12, /usr/bin/python3) from the ONNX formulas, e.g.
 *   x = np.array([-2, -0.5, 0, 0.5, 3], np.float32).astype(np.float64)
 *   selu = np.where(x <= 0, g * (a * np.exp(x) - a), g * x)   # a, g: ONNX defaults
 * and are compared with a relative tolerance of 1e-6 (float32 libm). The others are by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_harness.h"

static const float k_x[5] = {-2.0f, -0.5f, 0.0f, 0.5f, 3.0f};

typedef struct un_case {
    const char *op;
    const char *attr; /* one float attribute, or NULL */
    float attr_val;
    float want[5];
} un_case;

static const un_case k_cases[] = {
    {"Relu", NULL, 0, {0, 0, 0, 0.5f, 3}},
    {"LeakyRelu", NULL, 0, {-0.02f, -0.005f, 0, 0.5f, 3}},
    {"LeakyRelu", "alpha", 0.5f, {-1.0f, -0.25f, 0, 0.5f, 3}},
    {"Sigmoid", NULL, 0, {0.11920292f, 0.37754067f, 0.5f, 0.62245933f, 0.95257413f}},
    /* 0.2x + 0.5 clamped to [0, 1] */
    {"HardSigmoid", NULL, 0, {0.1f, 0.4f, 0.5f, 0.6f, 1.0f}},
    {"HardSigmoid", "alpha", 0.5f, {0.0f, 0.25f, 0.5f, 0.75f, 1.0f}},
    /* x * clamp(x/6 + 1/2, 0, 1) */
    {"HardSwish", NULL, 0, {-0.33333333f, -0.20833333f, 0, 0.29166667f, 3}},
    {"Tanh", NULL, 0, {-0.96402758f, -0.46211716f, 0, 0.46211716f, 0.99505475f}},
    {"Elu", "alpha", 2.0f, {-1.72932943f, -0.78693868f, 0, 0.5f, 3}},
    {"Selu", NULL, 0, {-1.52016647f, -0.69175819f, 0, 0.52535051f, 3.15210295f}},
    {"Celu", "alpha", 2.0f, {-1.26424112f, -0.44239843f, 0, 0.5f, 3}},
    {"Softplus", NULL, 0, {0.12692801f, 0.47407698f, 0.69314718f, 0.97407698f, 3.04858735f}},
    {"Softsign", NULL, 0, {-0.66666667f, -0.33333333f, 0, 0.33333333f, 0.75f}},
    {"ThresholdedRelu", NULL, 0, {0, 0, 0, 0, 3}},
    {"ThresholdedRelu", "alpha", 0.25f, {0, 0, 0, 0.5f, 3}},
    {"Exp", NULL, 0, {0.13533528f, 0.60653066f, 1, 1.64872127f, 20.08553692f}},
    {"Neg", NULL, 0, {2, 0.5f, 0, -0.5f, -3}},
    {"Abs", NULL, 0, {2, 0.5f, 0, 0.5f, 3}},
    {"Erf", NULL, 0, {-0.99532227f, -0.52049988f, 0, 0.52049988f, 0.99997791f}},
    {"Floor", NULL, 0, {-2, -1, 0, 0, 3}},
    {"Ceil", NULL, 0, {-2, 0, 0, 1, 3}},
    {"Sign", NULL, 0, {-1, -1, 0, 1, 1}},
    {"Sin", NULL, 0, {-0.90929743f, -0.47942554f, 0, 0.47942554f, 0.14112001f}},
    {"Cos", NULL, 0, {-0.41614684f, 0.87758256f, 1, 0.87758256f, -0.9899925f}},
    {"Reciprocal", NULL, 0, {-0.5f, -2.0f, INFINITY, 2.0f, 0.33333333f}},
};

static void test_pointwise_table(void **state)
{
    (void)state;
    kh_in in[1] = {{"x", HBG_DT_F32, 2, {1, 5}, k_x, 0}};
    for (size_t c = 0; c < sizeof k_cases / sizeof k_cases[0]; c++) {
        kh h;
        hbg_node *n = kh_build(&h, k_cases[c].op, 14, 1, in, 1);
        if (k_cases[c].attr)
            kh_attr_float(n, k_cases[c].attr, k_cases[c].attr_val);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){1, 5});
        kh_check_f32(&h, 0, k_cases[c].want, 5, 1e-6f, 1e-7f);
        kh_free(&h);
    }
}

/* Log and Sqrt on their domains, with NaN outside: log(0) = -inf, sqrt(-1) = NaN. */
static void test_log_sqrt(void **state)
{
    (void)state;
    float x[4] = {0.5f, 1.0f, 3.0f, 0.0f}, s[3] = {4.0f, 2.0f, -1.0f};
    kh_in in[1] = {{"x", HBG_DT_F32, 1, {4}, x, 0}};
    kh h;
    kh_build(&h, "Log", 13, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-0.69314718f, 0.0f, 1.09861229f, -INFINITY}, 4, 1e-6f,
                 0.0f);
    kh_free(&h);
    kh_in sin_[1] = {{"x", HBG_DT_F32, 1, {3}, s, 0}};
    kh_build(&h, "Sqrt", 13, 1, sin_, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){2.0f, 1.41421356f, NAN}, 3, 1e-6f, 0.0f);
    kh_free(&h);
}

/* Round is half to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> -0, -1.5 -> -2; 2.4 -> 2. */
static void test_round_half_even(void **state)
{
    (void)state;
    float x[6] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f};
    kh_in in[1] = {{"x", HBG_DT_F32, 1, {6}, x, 0}};
    kh h;
    kh_build(&h, "Round", 11, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){0, 2, 2, -0.0f, -2, 2}, 6, 0.0f, 0.0f);
    kh_free(&h);
}

/* Integer variants: Neg wraps (-(-128) = -128 in int8), Abs and Sign of int64, Relu of int32. */
static void test_int_variants(void **state)
{
    (void)state;
    kh h;
    int8_t b[3] = {-128, -5, 7};
    kh_in bi[1] = {{"x", HBG_DT_I8, 1, {3}, b, 0}};
    kh_build(&h, "Neg", 13, 1, bi, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){-128, 5, -7}, 3);
    kh_free(&h);
    int64_t l[3] = {-9, 0, 4};
    kh_in li[1] = {{"x", HBG_DT_I64, 1, {3}, l, 0}};
    kh_build(&h, "Abs", 13, 1, li, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){9, 0, 4}, 3);
    kh_free(&h);
    kh_build(&h, "Sign", 13, 1, li, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){-1, 0, 1}, 3);
    kh_free(&h);
    int32_t w[3] = {-3, 0, 3};
    kh_in wi[1] = {{"x", HBG_DT_I32, 1, {3}, w, 0}};
    kh_build(&h, "Relu", 14, 1, wi, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){0, 0, 3}, 3);
    kh_free(&h);
    /* float-only ops refuse integers */
    kh_build(&h, "Sigmoid", 13, 1, wi, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

static void test_not(void **state)
{
    (void)state;
    uint8_t x[3] = {0, 1, 1};
    kh_in in[1] = {{"x", HBG_DT_BOOL, 1, {3}, x, 0}};
    kh h;
    kh_build(&h, "Not", 7, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_BOOL, 1, (const int64_t[]){3});
    kh_check_int(&h, 0, (const int64_t[]){1, 0, 0}, 3);
    kh_free(&h);
}

/* Clip before opset 11 reads min/max attributes (absent: unbounded); from 11 optional inputs,
 * which may be runtime inputs. */
static void test_clip_opsets(void **state)
{
    (void)state;
    float x[5] = {-3.0f, -1.0f, 0.0f, 1.0f, 3.0f}, lo = -1.5f, hi = 2.0f;
    kh h;
    kh_in a[1] = {{"x", HBG_DT_F32, 1, {5}, x, 0}};
    hbg_node *n = kh_build(&h, "Clip", 10, 1, a, 1);
    kh_attr_float(n, "min", -0.5f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-0.5f, -0.5f, 0.0f, 1.0f, 3.0f}, 5, 0.0f, 0.0f);
    kh_free(&h);
    /* opset 13: min and max as graph inputs, unknown at prepare time */
    kh_in b[3] = {{"x", HBG_DT_F32, 1, {5}, x, 0},
                  {"lo", HBG_DT_F32, 0, {0}, &lo, 0},
                  {"hi", HBG_DT_F32, 0, {0}, &hi, 0}};
    kh_build(&h, "Clip", 13, 3, b, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-1.5f, -1.0f, 0.0f, 1.0f, 2.0f}, 5, 0.0f, 0.0f);
    kh_free(&h);
    /* opset 13, max only (min omitted) */
    kh_in c[3] = {{"x", HBG_DT_F32, 1, {5}, x, 0},
                  {NULL, HBG_DT_UNDEF, 0, {0}, NULL, 0},
                  {"hi", HBG_DT_F32, 0, {0}, &hi, 1}};
    kh_build(&h, "Clip", 13, 3, c, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-3.0f, -1.0f, 0.0f, 1.0f, 2.0f}, 5, 0.0f, 0.0f);
    kh_free(&h);
    /* int8 with int8 bounds; a bound of another type is refused */
    int8_t ix[3] = {-100, 5, 100}, ilo = -10, ihi = 10;
    kh_in d[3] = {{"x", HBG_DT_I8, 1, {3}, ix, 0},
                  {"lo", HBG_DT_I8, 0, {0}, &ilo, 1},
                  {"hi", HBG_DT_I8, 0, {0}, &ihi, 1}};
    kh_build(&h, "Clip", 13, 3, d, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){-10, 5, 10}, 3);
    kh_free(&h);
    kh_in e[2] = {{"x", HBG_DT_I8, 1, {3}, ix, 0}, {"lo", HBG_DT_F32, 0, {0}, &lo, 1}};
    kh_build(&h, "Clip", 13, 2, e, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* PRelu: slope [3,1,1] over NCHW [1,3,1,2], a scalar slope, and a slope that would grow the
 * output (unidirectional broadcasting refuses it). */
static void test_prelu(void **state)
{
    (void)state;
    float x[6] = {-1.0f, 2.0f, -3.0f, 4.0f, -5.0f, 6.0f}, s[3] = {0.5f, 0.0f, 2.0f};
    kh h;
    kh_in a[2] = {{"x", HBG_DT_F32, 4, {1, 3, 1, 2}, x, 0}, {"s", HBG_DT_F32, 3, {3, 1, 1}, s, 1}};
    kh_build(&h, "PRelu", 16, 2, a, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 3, 1, 2});
    kh_check_f32(&h, 0, (const float[]){-0.5f, 2.0f, 0.0f, 4.0f, -10.0f, 6.0f}, 6, 0.0f, 0.0f);
    kh_free(&h);
    float one = 0.25f;
    kh_in b[2] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}, {"s", HBG_DT_F32, 1, {1}, &one, 1}};
    kh_build(&h, "PRelu", 16, 2, b, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-0.25f, 2.0f, -0.75f, 4.0f, -1.25f, 6.0f}, 6, 0.0f, 0.0f);
    kh_free(&h);
    float big[12] = {0};
    kh_in c[2] = {{"x", HBG_DT_F32, 1, {3}, x, 0}, {"s", HBG_DT_F32, 2, {4, 3}, big, 1}};
    kh_build(&h, "PRelu", 16, 2, c, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointwise_table),
        cmocka_unit_test(test_log_sqrt),
        cmocka_unit_test(test_round_half_even),
        cmocka_unit_test(test_int_variants),
        cmocka_unit_test(test_not),
        cmocka_unit_test(test_clip_opsets),
        cmocka_unit_test(test_prelu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
