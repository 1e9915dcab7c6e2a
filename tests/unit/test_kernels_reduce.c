/* Reductions and normalisers (kernels/reduce.c): Reduce* with axes as attribute or input,
 * keepdims, noop_with_empty_axes, negative and non-adjacent axes, empty reductions;
 * Softmax/LogSoftmax before and from opset 13; ArgMax/ArgMin with ties.
 *
 * Most inputs are x[i][j][k] = 12i + 4j + k over [2,3,4] so sums have closed forms (derived in
 * the comments). Softmax values: numpy 1.24.2 in double precision,
 *   e = np.exp([0, 1, 2]); e / e.sum()  ->  0.09003057 0.24472847 0.66524096 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_harness.h"

static float g_iota[24];

static int setup_iota(void **state)
{
    (void)state;
    for (int i = 0; i < 24; i++)
        g_iota[i] = (float)i;
    return 0;
}

/* ReduceSum over axes {0, 2} (not adjacent): sum_i sum_k (12i + 4j + k)
 *   = 4 * 12 * (0 + 1) + 2 * 4 * 4j + 2 * (0 + 1 + 2 + 3) = 60 + 32j -> [60, 92, 124].
 * Opset 11 takes axes as an attribute, opset 13 as an input. */
static void test_sum_axes_attr_and_input(void **state)
{
    (void)state;
    kh h;
    kh_in in[1] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, g_iota, 0}};
    hbg_node *n = kh_build(&h, "ReduceSum", 11, 1, in, 1);
    kh_attr_ints(n, "axes", 2, (const int64_t[]){0, -1});
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){1, 3, 1});
    kh_check_f32(&h, 0, (const float[]){60, 92, 124}, 3, 0.0f, 0.0f);
    kh_free(&h);
    int64_t axes[2] = {2, 0};
    kh_in in2[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, g_iota, 0},
                    {"axes", HBG_DT_I64, 1, {2}, axes, 1}};
    n = kh_build(&h, "ReduceSum", 13, 2, in2, 1);
    kh_attr_int(n, "keepdims", 0);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 1, (const int64_t[]){3});
    kh_check_f32(&h, 0, (const float[]){60, 92, 124}, 3, 0.0f, 0.0f);
    kh_free(&h);
}

/* No axes: reduce everything (sum 0..23 = 276), unless noop_with_empty_axes (opset 13+ input
 * form), which copies. */
static void test_empty_axes(void **state)
{
    (void)state;
    kh h;
    kh_in in[1] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, g_iota, 0}};
    kh_build(&h, "ReduceSum", 13, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){1, 1, 1});
    kh_check_f32(&h, 0, (const float[]){276}, 1, 0.0f, 0.0f);
    kh_free(&h);
    /* an empty axes input (here a constant) without noop_with_empty_axes: reduce everything */
    int64_t none[1] = {0};
    kh_in in2[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, g_iota, 0},
                    {"axes", HBG_DT_I64, 1, {0}, none, 1}};
    hbg_node *n = kh_build(&h, "ReduceSum", 13, 2, in2, 1);
    kh_attr_int(n, "keepdims", 0);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 0, NULL);
    kh_check_f32(&h, 0, (const float[]){276}, 1, 0.0f, 0.0f);
    kh_free(&h);
    /* with noop_with_empty_axes: a copy; a runtime axes input of shape [0] is known to be empty
     * at prepare time */
    in2[1].is_const = 0;
    n = kh_build(&h, "ReduceSum", 13, 2, in2, 1);
    kh_attr_int(n, "noop_with_empty_axes", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){2, 3, 4});
    kh_check_f32(&h, 0, g_iota, 24, 0.0f, 0.0f);
    kh_free(&h);
}

/* Over axis 1 (j) of 12i + 4j + k: mean = 12i + 4 + k; max = 12i + 8 + k; min = 12i + k. */
static void test_mean_max_min(void **state)
{
    (void)state;
    float mean[8], mx[8], mn[8];
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            mean[i * 4 + k] = (float)(12 * i + 4 + k);
            mx[i * 4 + k] = (float)(12 * i + 8 + k);
            mn[i * 4 + k] = (float)(12 * i + k);
        }
    static const char *const ops[3] = {"ReduceMean", "ReduceMax", "ReduceMin"};
    const float *want[3] = {mean, mx, mn};
    kh_in in[1] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, g_iota, 0}};
    for (int o = 0; o < 3; o++) {
        kh h;
        hbg_node *n = kh_build(&h, ops[o], 13, 1, in, 1);
        kh_attr_ints(n, "axes", 1, (const int64_t[]){-2});
        kh_attr_int(n, "keepdims", 0);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 4});
        kh_check_f32(&h, 0, want[o], 8, 0.0f, 0.0f);
        kh_free(&h);
    }
}

/* Rows [1, -2, 3] and [0.5, 2, -1] reduced over axis 1:
 * Prod -6, -1; L1 6, 3.5; SumSquare 14, 5.25; L2 sqrt(14) = 3.74165739, sqrt(5.25) = 2.29128785.
 * LogSumExp of [1000, 1000, 1000 + ln 2] = 1000 + ln 4 (must not overflow). */
static void test_prod_norms_lse(void **state)
{
    (void)state;
    float x[6] = {1.0f, -2.0f, 3.0f, 0.5f, 2.0f, -1.0f};
    static const struct {
        const char *op;
        float want[2];
    } cases[] = {
        {"ReduceProd", {-6.0f, -1.0f}},
        {"ReduceL1", {6.0f, 3.5f}},
        {"ReduceSumSquare", {14.0f, 5.25f}},
        {"ReduceL2", {3.74165739f, 2.29128785f}},
    };
    kh_in in[1] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        kh h;
        hbg_node *n = kh_build(&h, cases[c].op, 13, 1, in, 1);
        kh_attr_ints(n, "axes", 1, (const int64_t[]){1});
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 1});
        kh_check_f32(&h, 0, cases[c].want, 2, 1e-6f, 0.0f);
        kh_free(&h);
    }
    float big[3] = {1000.0f, 1000.0f, 1000.69314718f};
    kh_in bin[1] = {{"x", HBG_DT_F32, 1, {3}, big, 0}};
    kh h;
    kh_build(&h, "ReduceLogSumExp", 13, 1, bin, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){1001.38629436f}, 1, 1e-6f, 0.0f);
    kh_free(&h);
}

/* Reducing a zero-sized axis gives the identity: Sum 0, Max -inf; Mean 0/0 = NaN. */
static void test_empty_reduction(void **state)
{
    (void)state;
    kh_in in[1] = {{"x", HBG_DT_F32, 2, {0, 2}, NULL, 0}};
    /* ReduceSum takes axes as an attribute up to opset 12, the others up to 17 */
    static const struct {
        const char *op;
        int64_t opset;
        float want;
    } cases[] = {{"ReduceSum", 12, 0.0f}, {"ReduceMax", 13, -INFINITY}, {"ReduceMean", 13, NAN}};
    for (size_t c = 0; c < 3; c++) {
        kh h;
        hbg_node *n = kh_build(&h, cases[c].op, cases[c].opset, 1, in, 1);
        kh_attr_ints(n, "axes", 1, (const int64_t[]){0});
        kh_attr_int(n, "keepdims", 0);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_F32, 1, (const int64_t[]){2});
        kh_check_f32(&h, 0, (const float[]){cases[c].want, cases[c].want}, 2, 0.0f, 0.0f);
        kh_free(&h);
    }
}

/* int64 ReduceSum (shape arithmetic) and ReduceMax from opset 18, axes as input. */
static void test_int_and_opset18(void **state)
{
    (void)state;
    int64_t x[4] = {3, -7, 100, 4}, axes[1] = {1};
    kh_in in[2] = {{"x", HBG_DT_I64, 2, {2, 2}, x, 0}, {"axes", HBG_DT_I64, 1, {1}, axes, 1}};
    kh h;
    kh_build(&h, "ReduceSum", 13, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){2, 1});
    kh_check_int(&h, 0, (const int64_t[]){-4, 104}, 2);
    kh_free(&h);
    kh_build(&h, "ReduceMax", 18, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){3, 100}, 2);
    kh_free(&h);
}

static void test_reduce_errors(void **state)
{
    (void)state;
    kh h;
    int64_t axes[1] = {1};
    /* axes only known at run time */
    kh_in a[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, g_iota, 0},
                  {"axes", HBG_DT_I64, 1, {1}, axes, 0}};
    kh_build(&h, "ReduceSum", 13, 2, a, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
    /* axis out of range */
    kh_in b[1] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, g_iota, 0}};
    hbg_node *n = kh_build(&h, "ReduceMean", 13, 1, b, 1);
    kh_attr_ints(n, "axes", 1, (const int64_t[]){3});
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* Softmax opset 13 over axis 1 of [2,3,2] (not innermost): each (i, k) column over j is
 * softmax of values spaced by 2, e.g. [0, 2, 4] - so columns equal softmax([0, 2, 4]) =
 * [0.01587624, 0.11731043, 0.86681333]. Opset 11 default axis 1 flattens [3,2] into 6 values
 * 0..5 per i: softmax(0..5). LogSoftmax of [1000, 1001, 1002] = [0, 1, 2] - 2 - ln(sum e^-2..0)
 * = [-2.40760596, -1.40760596, -0.40760596]. */
static void test_softmax(void **state)
{
    (void)state;
    kh h;
    kh_in in[1] = {{"x", HBG_DT_F32, 3, {2, 3, 2}, g_iota, 0}};
    hbg_node *n = kh_build(&h, "Softmax", 13, 1, in, 1);
    kh_attr_int(n, "axis", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    const float c[3] = {0.01587624f, 0.11731043f, 0.86681333f};
    float want[12];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++)
                want[(i * 3 + j) * 2 + k] = c[j];
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){2, 3, 2});
    kh_check_f32(&h, 0, want, 12, 1e-6f, 0.0f);
    kh_free(&h);

    /* softmax(0..5) = e^j / sum: numpy gives */
    const float s6[6] = {0.00426978f, 0.01160646f, 0.03154963f,
                         0.08576079f, 0.23312201f, 0.63369132f};
    kh_build(&h, "Softmax", 11, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    for (int i = 0; i < 12; i++)
        want[i] = s6[i % 6];
    kh_check_f32(&h, 0, want, 12, 1e-6f, 0.0f);
    kh_free(&h);

    float big[3] = {1000.0f, 1001.0f, 1002.0f};
    kh_in bin[1] = {{"x", HBG_DT_F32, 2, {1, 3}, big, 0}};
    kh_build(&h, "LogSoftmax", 13, 1, bin, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-2.40760596f, -1.40760596f, -0.40760596f}, 3, 1e-6f, 0.0f);
    kh_free(&h);
    /* LogSoftmax over a non-innermost axis: [2,3,2] axis 1 = log of the first case */
    n = kh_build(&h, "LogSoftmax", 13, 1, in, 1);
    kh_attr_int(n, "axis", -2);
    assert_int_equal(kh_run(&h), HBG_OK);
    for (int i = 0; i < 12; i++)
        want[i] = logf(c[(i / 2) % 3]);
    kh_check_f32(&h, 0, want, 12, 1e-6f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "Softmax", 13, 1, in, 1);
    kh_attr_int(n, "axis", 3);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* [[1, 3, 3], [2, 2, 1]] over axis 1: ArgMax first [1, 0], last [2, 1]; ArgMin first [0, 2];
 * over axis 0 with keepdims: ArgMax [[1, 0, 0]]. */
static void test_argmax_argmin(void **state)
{
    (void)state;
    float x[6] = {1, 3, 3, 2, 2, 1};
    kh_in in[1] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "ArgMax", 13, 1, in, 1);
    kh_attr_int(n, "axis", 1);
    kh_attr_int(n, "keepdims", 0);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 1, (const int64_t[]){2});
    kh_check_int(&h, 0, (const int64_t[]){1, 0}, 2);
    kh_free(&h);
    n = kh_build(&h, "ArgMax", 13, 1, in, 1);
    kh_attr_int(n, "axis", -1);
    kh_attr_int(n, "keepdims", 0);
    kh_attr_int(n, "select_last_index", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){2, 1}, 2);
    kh_free(&h);
    n = kh_build(&h, "ArgMin", 13, 1, in, 1);
    kh_attr_int(n, "axis", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){2, 1});
    kh_check_int(&h, 0, (const int64_t[]){0, 2}, 2);
    kh_free(&h);
    kh_build(&h, "ArgMax", 13, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){1, 3});
    kh_check_int(&h, 0, (const int64_t[]){1, 0, 0}, 3);
    kh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_axes_attr_and_input),
        cmocka_unit_test(test_empty_axes),
        cmocka_unit_test(test_mean_max_min),
        cmocka_unit_test(test_prod_norms_lse),
        cmocka_unit_test(test_empty_reduction),
        cmocka_unit_test(test_int_and_opset18),
        cmocka_unit_test(test_reduce_errors),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_argmax_argmin),
    };
    return cmocka_run_group_tests(tests, setup_iota, NULL);
}
