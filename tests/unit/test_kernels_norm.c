/* Normalisation kernels (kernels/norm.c): BatchNormalization, InstanceNormalization, LRN.
 * Expected values are derived by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_harness.h"

/* x = 1x2x1x2 [[1, 2], [3, 4]], scale [1, 2], B [0, 1], mean [1.5, 3.5], var [0.25, 1],
 * epsilon 0: channel 0 (x - 1.5) / 0.5 = -1, 1; channel 1 (x - 3.5) * 2 + 1 = 0, 2. */
static void test_batchnorm(void **state)
{
    (void)state;
    const float x[4] = {1, 2, 3, 4}, sc[2] = {1, 2}, b[2] = {0, 1}, m[2] = {1.5f, 3.5f},
                v[2] = {0.25f, 1};
    kh_in in[5] = {{"x", HBG_DT_F32, 4, {1, 2, 1, 2}, x, 0},
                   {"s", HBG_DT_F32, 1, {2}, sc, 1},
                   {"b", HBG_DT_F32, 1, {2}, b, 1},
                   {"m", HBG_DT_F32, 1, {2}, m, 1},
                   {"v", HBG_DT_F32, 1, {2}, v, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "BatchNormalization", 15, 5, in, 1);
    kh_attr_float(n, "epsilon", 0.0f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 2, 1, 2});
    kh_check_f32(&h, 0, (const float[]){-1, 1, 0, 2}, 4, 1e-6f, 1e-6f);
    kh_free(&h);
    /* the default epsilon 1e-5 is applied: channel 0 divides by sqrt(0.25001) */
    kh_build(&h, "BatchNormalization", 15, 5, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    assert_float_equal(((const float *)kh_out(&h, 0)->data)[0], -0.5f / sqrtf(0.25001f), 1e-7f);
    kh_free(&h);
    /* training_mode = 1 (opset 14+): batch statistics, both channels mean 1.5 / 3.5 and
     * variance 0.25: channel 0 (x - 1.5) / 0.5 = -1, 1; channel 1 (x - 3.5) / 0.5 * 2 + 1 = -1, 3.
     * momentum 0.5: running mean = 0.5 * m + 0.5 * batch mean = [1.5, 3.5]; running var =
     * 0.5 * v + 0.5 * 0.25 = [0.25, 0.625]. */
    n = kh_build(&h, "BatchNormalization", 15, 5, in, 3);
    kh_attr_int(n, "training_mode", 1);
    kh_attr_float(n, "epsilon", 0.0f);
    kh_attr_float(n, "momentum", 0.5f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-1, 1, -1, 3}, 4, 1e-6f, 1e-6f);
    kh_check_shape(&h, 1, HBG_DT_F32, 1, (const int64_t[]){2});
    kh_check_f32(&h, 1, (const float[]){1.5f, 3.5f}, 2, 1e-6f, 0.0f);
    kh_check_f32(&h, 2, (const float[]){0.25f, 0.625f}, 2, 1e-6f, 0.0f);
    kh_free(&h);
    /* the training outputs without training_mode (before opset 14: saved statistics) are
     * refused */
    kh_build(&h, "BatchNormalization", 9, 5, in, 3);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
    /* a parameter of the wrong length */
    kh_in bad[5] = {{"x", HBG_DT_F32, 4, {1, 2, 1, 2}, x, 0},
                    {"s", HBG_DT_F32, 1, {1}, sc, 1},
                    {"b", HBG_DT_F32, 1, {2}, b, 1},
                    {"m", HBG_DT_F32, 1, {2}, m, 1},
                    {"v", HBG_DT_F32, 1, {2}, v, 1}};
    kh_build(&h, "BatchNormalization", 15, 5, bad, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

/* Opset 7 with spatial = 0: parameters per element of a sample (shape C x W = 2 x 2).
 * x = 2x2x2 (N = 2), mean = the first sample, var 1, scale 1, B [10, 20, 30, 40], epsilon 0:
 * sample 0 gives B; sample 1 = sample 0 + 1 gives B + 1. */
static void test_batchnorm_spatial0(void **state)
{
    (void)state;
    const float x[8] = {1, 2, 3, 4, 2, 3, 4, 5}, one[4] = {1, 1, 1, 1}, b[4] = {10, 20, 30, 40};
    kh_in in[5] = {{"x", HBG_DT_F32, 3, {2, 2, 2}, x, 0},
                   {"s", HBG_DT_F32, 2, {2, 2}, one, 1},
                   {"b", HBG_DT_F32, 2, {2, 2}, b, 1},
                   {"m", HBG_DT_F32, 2, {2, 2}, x, 1},
                   {"v", HBG_DT_F32, 2, {2, 2}, one, 1}};
    kh h;
    hbg_node *n = kh_build(&h, "BatchNormalization", 7, 5, in, 1);
    kh_attr_int(n, "spatial", 0);
    kh_attr_float(n, "epsilon", 0.0f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){10, 20, 30, 40, 11, 21, 31, 41}, 8, 1e-6f, 0.0f);
    kh_free(&h);
}

/* x = 1x2x4: channel 0 [1, 2, 3, 4] has mean 2.5 and variance (2.25 + 0.25) * 2 / 4 = 1.25, so
 * y = (x - 2.5) / sqrt(1.25) = -1.3416408, -0.4472136, 0.4472136, 1.3416408; channel 1 is
 * constant (variance 0): y = B, the default epsilon 1e-5 guarding the division.
 * scale [1, 3], B [0, 7]. */
static void test_instancenorm(void **state)
{
    (void)state;
    const float x[8] = {1, 2, 3, 4, 5, 5, 5, 5}, sc[2] = {1, 3}, b[2] = {0, 7};
    kh_in in[3] = {{"x", HBG_DT_F32, 3, {1, 2, 4}, x, 0},
                   {"s", HBG_DT_F32, 1, {2}, sc, 1},
                   {"b", HBG_DT_F32, 1, {2}, b, 1}};
    kh h;
    kh_build(&h, "InstanceNormalization", 7, 3, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    /* epsilon 1e-5 shifts channel 0 by a relative 4e-6 */
    kh_check_f32(&h, 0,
                 (const float[]){-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f, 7, 7, 7, 7}, 8,
                 1e-5f, 0.0f);
    kh_free(&h);
}

/* x = 1x3x1x1 [1, 2, 3], alpha = size (alpha / size = 1), beta 1, bias 1.
 * size 3 sums channels c-1..c+1: squares 5, 14, 13 -> 1/6, 2/15, 3/14.
 * size 2 sums c..c+1 (floor((2-1)/2) = 0 before, 1 after): 5, 13, 9 -> 1/6, 2/14, 3/10. */
static void test_lrn(void **state)
{
    (void)state;
    const float x[3] = {1, 2, 3};
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, 3, 1, 1}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "LRN", 13, 1, in, 1);
    kh_attr_int(n, "size", 3);
    kh_attr_float(n, "alpha", 3.0f);
    kh_attr_float(n, "beta", 1.0f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){1.0f / 6, 2.0f / 15, 3.0f / 14}, 3, 1e-6f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "LRN", 13, 1, in, 1);
    kh_attr_int(n, "size", 2);
    kh_attr_float(n, "alpha", 2.0f);
    kh_attr_float(n, "beta", 1.0f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){1.0f / 6, 2.0f / 14, 3.0f / 10}, 3, 1e-6f, 0.0f);
    kh_free(&h);
    kh_build(&h, "LRN", 13, 1, in, 1); /* size is required */
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batchnorm),
        cmocka_unit_test(test_batchnorm_spatial0),
        cmocka_unit_test(test_instancenorm),
        cmocka_unit_test(test_lrn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
