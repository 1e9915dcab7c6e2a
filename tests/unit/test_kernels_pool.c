/* Pooling kernels (kernels/pool.c): MaxPool (with Indices), AveragePool, GlobalAveragePool,
 * GlobalMaxPool. Expected values are derived by hand in the comments; the large 2-D cases are
 * checked against a direct window loop in this file that clips each window by comparisons
 * (the kernel uses precomputed tap ranges).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_harness.h"

static void attr_str(hbg_node *n, const char *name, const char *v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_STRING);
    size_t len = strlen(v);
    assert_non_null(a);
    a->s = malloc(len + 1);
    assert_non_null(a->s);
    memcpy(a->s, v, len + 1);
}

/* x = 1..16 as 1x1x4x4 (row r, column c holds 4r + c + 1), kernel 3, stride 2, pads 1 on every
 * side, ceil_mode: (4 + 2 - 3) / 2 = 1.5 rounds up to 2, so 3 outputs per axis whose windows
 * start at -1, 1, 3 and cover input rows {0, 1}, {1, 2, 3}, {3}. */
static const float x16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static hbg_node *pool_node(kh *h, const char *op, kh_in *in, int ceil_mode)
{
    hbg_node *n = kh_build(h, op, 17, 1, in, 1);
    kh_attr_ints(n, "kernel_shape", 2, (const int64_t[]){3, 3});
    kh_attr_ints(n, "strides", 2, (const int64_t[]){2, 2});
    kh_attr_ints(n, "pads", 4, (const int64_t[]){1, 1, 1, 1});
    kh_attr_int(n, "ceil_mode", ceil_mode);
    return n;
}

static void test_maxpool_ceil_pads(void **state)
{
    (void)state;
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, 1, 4, 4}, x16, 0}};
    kh h;
    pool_node(&h, "MaxPool", in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 1, 3, 3});
    /* maxima sit at the bottom-right of each window: rows 1,3,3 x columns 1,3,3 */
    kh_check_f32(&h, 0, (const float[]){6, 8, 8, 14, 16, 16, 14, 16, 16}, 9, 0.0f, 0.0f);
    kh_free(&h);
    /* floor mode: (4 + 2 - 3) / 2 + 1 = 2 outputs */
    pool_node(&h, "MaxPool", in, 0);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 1, 2, 2});
    kh_check_f32(&h, 0, (const float[]){6, 8, 14, 16}, 4, 0.0f, 0.0f);
    kh_free(&h);
}

/* Same windows. count_include_pad = 0 divides by the input elements in the window:
 * [0][0] = (1+2+5+6)/4 = 3.5, [0][1] = (2+3+4+6+7+8)/6 = 5, [0][2] = (4+8)/2 = 6,
 * [1][0] = (5+6+9+10+13+14)/6 = 9.5, [1][1] = 99/9 = 11, [1][2] = (8+12+16)/3 = 12,
 * [2][0] = (13+14)/2 = 13.5, [2][1] = (14+15+16)/3 = 15, [2][2] = 16.
 * count_include_pad = 1 counts positions inside [-1, 5): 3, 3 and 2 per axis (the window at 3
 * reaches 5, past the end padding), so the divisors are 9 9 6 / 9 9 6 / 6 6 4. */
static void test_avgpool_ceil_count_include_pad(void **state)
{
    (void)state;
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, 1, 4, 4}, x16, 0}};
    kh h;
    pool_node(&h, "AveragePool", in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){3.5f, 5, 6, 9.5f, 11, 12, 13.5f, 15, 16}, 9, 1e-6f, 0.0f);
    kh_free(&h);
    hbg_node *n = pool_node(&h, "AveragePool", in, 1);
    kh_attr_int(n, "count_include_pad", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0,
                 (const float[]){14.0f / 9, 30.0f / 9, 12.0f / 6, 57.0f / 9, 99.0f / 9, 36.0f / 6,
                                 27.0f / 6, 45.0f / 6, 16.0f / 4},
                 9, 1e-6f, 0.0f);
    kh_free(&h);
}

/* ceil_mode drops a window that would start in the end padding: x = [1, 2, 3], kernel 2,
 * stride 2, pads 1, 1: ceil((3 + 2 - 2) / 2) + 1 = 3, but the third window starts at 3, past the
 * input and the begin padding (3 >= 3 + 1 - 1), so there are 2 outputs: windows {-1, 0} -> 1 and
 * {1, 2} -> 3. */
static void test_maxpool_ceil_last_window(void **state)
{
    (void)state;
    const float x[3] = {1, 2, 3};
    kh_in in[1] = {{"x", HBG_DT_F32, 3, {1, 1, 3}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "MaxPool", 17, 1, in, 1);
    kh_attr_ints(n, "kernel_shape", 1, (const int64_t[]){2});
    kh_attr_ints(n, "strides", 1, (const int64_t[]){2});
    kh_attr_ints(n, "pads", 2, (const int64_t[]){1, 1});
    kh_attr_int(n, "ceil_mode", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){1, 1, 2});
    kh_check_f32(&h, 0, (const float[]){1, 3}, 2, 0.0f, 0.0f);
    kh_free(&h);
}

/* auto_pad on x = [1, 2, 3, 4, 5], kernel 2, stride 1: 5 outputs, one pad element, at the end
 * (SAME_UPPER: windows [1 2] [2 3] [3 4] [4 5] [5]) or at the beginning (SAME_LOWER: [1] [1 2]
 * ...). Padding is not counted. VALID: 4 outputs, no padding. */
static void test_avgpool_auto_pad(void **state)
{
    (void)state;
    const float x[5] = {1, 2, 3, 4, 5};
    const char *modes[3] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
    const float want[3][5] = {
        {1.5f, 2.5f, 3.5f, 4.5f, 5}, {1, 1.5f, 2.5f, 3.5f, 4.5f}, {1.5f, 2.5f, 3.5f, 4.5f, 0}};
    for (int m = 0; m < 3; m++) {
        kh_in in[1] = {{"x", HBG_DT_F32, 3, {1, 1, 5}, x, 0}};
        kh h;
        hbg_node *n = kh_build(&h, "AveragePool", 11, 1, in, 1);
        kh_attr_ints(n, "kernel_shape", 1, (const int64_t[]){2});
        attr_str(n, "auto_pad", modes[m]);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){1, 1, m == 2 ? 4 : 5});
        kh_check_f32(&h, 0, want[m], m == 2 ? 4 : 5, 1e-6f, 0.0f);
        kh_free(&h);
    }
}

/* Indices: x is 1x2x2x3, channel 0 [[1, 6, 7], [4, 2, 3]], channel 1 = channel 0 + 10 with
 * a 20 at (1, 0). Kernel 2x2, stride 1: windows over columns {0, 1} and {1, 2}.
 * Channel 0: maxima 6 at (0, 1), 7 at (0, 2): row-major 1, 2; column-major (h + w * 2) 2, 4.
 * Channel 1: maxima 20 at (1, 0), 17 at (0, 2): row-major 6 + 3 = 9, 6 + 2 = 8; column-major
 * 6 + 1 = 7, 6 + 4 = 10. */
static void test_maxpool_indices(void **state)
{
    (void)state;
    const float x[12] = {1, 6, 7, 4, 2, 3, 11, 16, 17, 20, 12, 13};
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, 2, 2, 3}, x, 0}};
    const int64_t want[2][4] = {{1, 2, 9, 8}, {2, 4, 7, 10}};
    for (int so = 0; so < 2; so++) {
        kh h;
        hbg_node *n = kh_build(&h, "MaxPool", 12, 1, in, 2);
        kh_attr_ints(n, "kernel_shape", 2, (const int64_t[]){2, 2});
        kh_attr_int(n, "storage_order", so);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_f32(&h, 0, (const float[]){6, 7, 20, 17}, 4, 0.0f, 0.0f);
        kh_check_shape(&h, 1, HBG_DT_I64, 4, (const int64_t[]){1, 2, 1, 2});
        kh_check_int(&h, 1, want[so], 4);
        kh_free(&h);
    }
}

static void test_maxpool_u8_dilation(void **state)
{
    (void)state;
    /* kernel 2 with dilation 2 over [5, 1, 9, 2, 3]: pairs (0,2) (1,3) (2,4) -> 9, 2, 9 */
    const uint8_t x[5] = {5, 1, 9, 2, 3};
    kh_in in[1] = {{"x", HBG_DT_U8, 3, {1, 1, 5}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "MaxPool", 12, 1, in, 1);
    kh_attr_ints(n, "kernel_shape", 1, (const int64_t[]){2});
    kh_attr_ints(n, "dilations", 1, (const int64_t[]){2});
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_U8, 3, (const int64_t[]){1, 1, 3});
    kh_check_int(&h, 0, (const int64_t[]){9, 2, 9}, 3);
    kh_free(&h);
}

/* 3-D with a kernel of depth 1: x = 0..7 as 1x1x2x2x2, kernel [1, 2, 2] pools each 2x2 depth
 * slice: max 3 and 7, mean 1.5 and 5.5. */
static void test_pool_3d_depth1(void **state)
{
    (void)state;
    const float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    kh_in in[1] = {{"x", HBG_DT_F32, 5, {1, 1, 2, 2, 2}, x, 0}};
    for (int is_max = 0; is_max < 2; is_max++) {
        kh h;
        hbg_node *n = kh_build(&h, is_max ? "MaxPool" : "AveragePool", 13, 1, in, 1);
        kh_attr_ints(n, "kernel_shape", 3, (const int64_t[]){1, 2, 2});
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_F32, 5, (const int64_t[]){1, 1, 2, 1, 1});
        kh_check_f32(&h, 0, is_max ? (const float[]){3, 7} : (const float[]){1.5f, 5.5f}, 2, 0.0f,
                     0.0f);
        kh_free(&h);
    }
}

/* Direct 2-D pooling: every window position clipped by comparison. */
static float naive_pool(const float *x, int64_t H, int64_t W, int64_t oh, int64_t ow, int k, int s,
                        int p, int is_max)
{
    float m = -3e38f, sum = 0.0f;
    int n = 0;
    for (int i = 0; i < k; i++) {
        for (int j = 0; j < k; j++) {
            int64_t r = oh * s - p + i, c = ow * s - p + j;
            if (r < 0 || r >= H || c < 0 || c >= W)
                continue;
            float v = x[r * W + c];
            m = v > m ? v : m;
            sum += v;
            n++;
        }
    }
    return is_max ? m : sum / (float)n;
}

/* The benchmark shapes: 3x3 stride 2 pad 1 max pool and a 3x3 stride 1 average pool on odd
 * planes, several channels. */
static void test_pool_2d_against_direct(void **state)
{
    (void)state;
    enum { C = 3, H = 23, W = 29 };
    static float x[C * H * W];
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)((i * 37) % 101) - 50.0f;
    for (int is_max = 0; is_max < 2; is_max++) {
        const int s = is_max ? 2 : 1;
        const int64_t OH = (H + 2 - 3) / s + 1, OW = (W + 2 - 3) / s + 1;
        kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, C, H, W}, x, 0}};
        kh h;
        hbg_node *n = kh_build(&h, is_max ? "MaxPool" : "AveragePool", 13, 1, in, 1);
        kh_attr_ints(n, "kernel_shape", 2, (const int64_t[]){3, 3});
        kh_attr_ints(n, "strides", 2, (const int64_t[]){s, s});
        kh_attr_ints(n, "pads", 4, (const int64_t[]){1, 1, 1, 1});
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, C, OH, OW});
        const float *y = kh_out(&h, 0)->data;
        for (int c = 0; c < C; c++)
            for (int64_t i = 0; i < OH; i++)
                for (int64_t j = 0; j < OW; j++) {
                    float want = naive_pool(x + c * H * W, H, W, i, j, 3, s, 1, is_max);
                    float got = y[(c * OH + i) * OW + j];
                    if (fabsf(got - want) > 1e-5f * (1.0f + fabsf(want)))
                        fail_msg("c %d (%lld, %lld): got %g, want %g", c, (long long)i,
                                 (long long)j, (double)got, (double)want);
                }
        kh_free(&h);
    }
}

/* 7x7 global pools on x[c][i] = c * 100 + i: mean (48 * 49 / 2) / 49 + 100c = 24 + 100c,
 * max 48 + 100c. */
static void test_global_pools(void **state)
{
    (void)state;
    static float x[2 * 49];
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 49; i++)
            x[c * 49 + i] = (float)(c * 100 + i);
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, 2, 7, 7}, x, 0}};
    kh h;
    kh_build(&h, "GlobalAveragePool", 13, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 2, 1, 1});
    kh_check_f32(&h, 0, (const float[]){24, 124}, 2, 1e-6f, 0.0f);
    kh_free(&h);
    kh_build(&h, "GlobalMaxPool", 13, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){48, 148}, 2, 0.0f, 0.0f);
    kh_free(&h);
}

static void test_pool_errors(void **state)
{
    (void)state;
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, 1, 4, 4}, x16, 0}};
    kh h;
    /* no kernel_shape */
    kh_build(&h, "MaxPool", 13, 1, in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
    /* a 5x5 window on a 4x4 plane without padding */
    hbg_node *n = kh_build(&h, "AveragePool", 13, 1, in, 1);
    kh_attr_ints(n, "kernel_shape", 2, (const int64_t[]){5, 5});
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* average pooling of integers is not an ONNX type */
    const uint8_t u[16] = {0};
    kh_in iu[1] = {{"x", HBG_DT_U8, 4, {1, 1, 4, 4}, u, 0}};
    n = kh_build(&h, "AveragePool", 13, 1, iu, 1);
    kh_attr_ints(n, "kernel_shape", 2, (const int64_t[]){2, 2});
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxpool_ceil_pads),
        cmocka_unit_test(test_avgpool_ceil_count_include_pad),
        cmocka_unit_test(test_maxpool_ceil_last_window),
        cmocka_unit_test(test_avgpool_auto_pad),
        cmocka_unit_test(test_maxpool_indices),
        cmocka_unit_test(test_maxpool_u8_dilation),
        cmocka_unit_test(test_pool_3d_depth1),
        cmocka_unit_test(test_pool_2d_against_direct),
        cmocka_unit_test(test_global_pools),
        cmocka_unit_test(test_pool_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
