/* The layout and padding helpers of hb_dnn_ext.h on small tensors whose element values encode
 * their coordinates, so every expected value is derived by hand from the index arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_dnn_ext.h"

static hbDNNTensorShape shape4(int32_t a, int32_t b, int32_t c, int32_t d)
{
    hbDNNTensorShape s;
    memset(&s, 0, sizeof s);
    s.numDimensions = 4;
    s.dimensionSize[0] = a;
    s.dimensionSize[1] = b;
    s.dimensionSize[2] = c;
    s.dimensionSize[3] = d;
    return s;
}

/* value of NHWC element (n, h, w, c): 1000n + 100h + 10w + c (fits int16) */
static int16_t val(int n, int h, int w, int c)
{
    return (int16_t)(1000 * n + 100 * h + 10 * w + c);
}

enum { N = 2, H = 3, W = 4, C = 5 };

static void test_layout_names(void **state)
{
    (void)state;
    const char *s = NULL;
    assert_int_equal(hbDNNGetLayoutName(&s, HB_DNN_LAYOUT_NHWC), 0);
    assert_string_equal(s, "NHWC");
    assert_int_equal(hbDNNGetLayoutName(&s, HB_DNN_LAYOUT_NCHW), 0);
    assert_string_equal(s, "NCHW");
    assert_int_equal(hbDNNGetLayoutName(&s, HB_DNN_LAYOUT_NHCW_NATIVE), 0);
    assert_string_equal(s, "NHCW_NATIVE");
    assert_int_equal(hbDNNGetLayoutName(&s, HB_DNN_LAYOUT_NONE), 0);
    assert_string_equal(s, "NONE");
    assert_int_equal(hbDNNGetLayoutName(&s, 7), HB_DNN_INVALID_ARGUMENT);
}

static void test_convert_layout(void **state)
{
    (void)state;
    int16_t nhwc[N * H * W * C], nchw[N * C * H * W], nhcw[N * H * C * W], back[N * H * W * C];
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++)
                for (int c = 0; c < C; c++)
                    nhwc[((n * H + h) * W + w) * C + c] = val(n, h, w, c);
    assert_int_equal(hbDNNConvertLayout(nchw, HB_DNN_LAYOUT_NCHW, nhwc, HB_DNN_LAYOUT_NHWC,
                                        HB_DNN_TENSOR_TYPE_S16, shape4(N, H, W, C), false),
                     0);
    assert_int_equal(hbDNNConvertLayout(nhcw, HB_DNN_LAYOUT_NHCW_NATIVE, nchw, HB_DNN_LAYOUT_NCHW,
                                        HB_DNN_TENSOR_TYPE_S16, shape4(N, C, H, W), false),
                     0);
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++)
                for (int c = 0; c < C; c++) {
                    assert_int_equal(nchw[((n * C + c) * H + h) * W + w], val(n, h, w, c));
                    assert_int_equal(nhcw[((n * H + h) * C + c) * W + w], val(n, h, w, c));
                }
    assert_int_equal(hbDNNConvertLayout(back, HB_DNN_LAYOUT_NHWC, nhcw, HB_DNN_LAYOUT_NHCW_NATIVE,
                                        HB_DNN_TENSOR_TYPE_S16, shape4(N, H, C, W), false),
                     0);
    assert_memory_equal(back, nhwc, sizeof nhwc);
    /* swapEndian reverses the two bytes of each element */
    int16_t sw[N * H * W * C];
    assert_int_equal(hbDNNConvertLayout(sw, HB_DNN_LAYOUT_NHWC, nhwc, HB_DNN_LAYOUT_NHWC,
                                        HB_DNN_TENSOR_TYPE_S16, shape4(N, H, W, C), true),
                     0);
    for (int i = 0; i < N * H * W * C; i++)
        assert_int_equal((uint16_t)sw[i],
                         (uint16_t)(((uint16_t)nhwc[i] >> 8) | ((uint16_t)nhwc[i] << 8)));
    /* a box of the NCHW tensor: n = 1, c = 1..3, h = 1..2, w = 2..3 -> NHWC [1, 2, 2, 3] */
    hbDNNDimension coord = shape4(1, 1, 1, 2), size = shape4(1, 3, 2, 2);
    int16_t box[12];
    assert_int_equal(hbDNNConvertLayoutRoi(box, HB_DNN_LAYOUT_NHWC, nchw, HB_DNN_LAYOUT_NCHW,
                                           HB_DNN_TENSOR_TYPE_S16, shape4(N, C, H, W), false, coord,
                                           size),
                     0);
    for (int h = 0; h < 2; h++)
        for (int w = 0; w < 2; w++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(box[(h * 2 + w) * 3 + c], val(1, 1 + h, 2 + w, 1 + c));
    size = shape4(1, 5, 2, 2); /* c 1..5 leaves the tensor */
    assert_int_equal(hbDNNConvertLayoutRoi(box, HB_DNN_LAYOUT_NHWC, nchw, HB_DNN_LAYOUT_NCHW,
                                           HB_DNN_TENSOR_TYPE_S16, shape4(N, C, H, W), false, coord,
                                           size),
                     HB_DNN_INVALID_ARGUMENT);
    /* plane, vector and element */
    int16_t plane[H * W], vec[C], one;
    assert_int_equal(hbDNNConvertLayoutToNative1HW1(plane, nchw, HB_DNN_LAYOUT_NCHW,
                                                    HB_DNN_TENSOR_TYPE_S16, shape4(N, C, H, W),
                                                    false, 1, 4),
                     0);
    for (int h = 0; h < H; h++)
        for (int w = 0; w < W; w++)
            assert_int_equal(plane[h * W + w], val(1, h, w, 4));
    assert_int_equal(hbDNNConvertLayoutToNative111C(vec, nchw, HB_DNN_LAYOUT_NCHW,
                                                    HB_DNN_TENSOR_TYPE_S16, shape4(N, C, H, W),
                                                    false, 0, 2, 3),
                     0);
    for (int c = 0; c < C; c++)
        assert_int_equal(vec[c], val(0, 2, 3, c));
    assert_int_equal(hbDNNConvertLayoutToNative1111(&one, nchw, HB_DNN_LAYOUT_NCHW,
                                                    HB_DNN_TENSOR_TYPE_S16, shape4(N, C, H, W),
                                                    false, shape4(1, 3, 2, 1)),
                     0);
    assert_int_equal(one, val(1, 2, 1, 3));
    assert_int_equal(hbDNNConvertLayoutToNative1111(&one, nchw, HB_DNN_LAYOUT_NCHW,
                                                    HB_DNN_TENSOR_TYPE_S16, shape4(N, C, H, W),
                                                    false, shape4(2, 0, 0, 0)),
                     HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNConvertLayout(back, HB_DNN_LAYOUT_NONE, nhwc, HB_DNN_LAYOUT_NHWC,
                                        HB_DNN_TENSOR_TYPE_S16, shape4(N, H, W, C), false),
                     HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNConvertLayout(back, HB_DNN_LAYOUT_NHWC, nhwc, HB_DNN_LAYOUT_NHWC,
                                        HB_DNN_IMG_TYPE_NV12, shape4(N, H, W, C), false),
                     HB_DNN_INVALID_ARGUMENT);
}

static void test_padding(void **state)
{
    (void)state;
    /* dense 2 x 3 int16 -> rows of 8 bytes (4 elements), planes of 24 bytes */
    int16_t dense[6] = {1, 2, 3, 4, 5, 6}, padded[12], out[6];
    uint32_t dim[2] = {2, 3};
    int32_t st[2] = {8, 2};
    memset(padded, 0x55, sizeof padded);
    assert_int_equal(hbDNNAddPaddingWithStride(padded, dense, 2, dim, st, 2), 0);
    int16_t want[8] = {1, 2, 3, 0, 4, 5, 6, 0};
    assert_memory_equal(padded, want, sizeof want);
    assert_int_equal(hbDNNRemovePaddingWithStride(out, padded, 2, dim, st, 2), 0);
    assert_memory_equal(out, dense, sizeof dense);
    int32_t bad[2] = {4, 2}; /* a row of 3 elements needs 6 bytes */
    assert_int_equal(hbDNNAddPaddingWithStride(padded, dense, 2, dim, bad, 2),
                     HB_DNN_INVALID_ARGUMENT);

    /* shapes: 1x1x2x3 inside 1x1x3x4 */
    int8_t d8[6] = {1, 2, 3, 4, 5, 6}, p8[12], o8[6];
    memset(p8, 0x55, sizeof p8);
    assert_int_equal(
        hbDNNAddPadding(p8, shape4(1, 1, 3, 4), d8, shape4(1, 1, 2, 3), HB_DNN_TENSOR_TYPE_S8), 0);
    int8_t w8[12] = {1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0, 0};
    assert_memory_equal(p8, w8, sizeof w8);
    assert_int_equal(
        hbDNNRemovePadding(o8, shape4(1, 1, 2, 3), p8, shape4(1, 1, 3, 4), HB_DNN_TENSOR_TYPE_S8),
        0);
    assert_memory_equal(o8, d8, sizeof d8);
    assert_int_equal(
        hbDNNAddPadding(p8, shape4(1, 1, 1, 4), d8, shape4(1, 1, 2, 3), HB_DNN_TENSOR_TYPE_S8),
        HB_DNN_INVALID_ARGUMENT);
}

static void test_unquantize(void **state)
{
    (void)state;
    int8_t q[6] = {-128, 0, 127, 10, -10, 1}; /* NHWC 1x1x2x3 */
    float scales[3] = {0.5f, 0.25f, 2.0f}, out[6];
    assert_int_equal(
        hbDNNUnquantizeByScale(out, HB_DNN_TENSOR_TYPE_S8, shape4(1, 1, 2, 3), scales, q), 0);
    float want[6] = {-64.0f, 0.0f, 254.0f, 5.0f, -2.5f, 2.0f};
    assert_memory_equal(out, want, sizeof want);
    int32_t q32[3] = {-100000, 3, 7};
    assert_int_equal(
        hbDNNUnquantizeByScale(out, HB_DNN_TENSOR_TYPE_S32, shape4(1, 1, 1, 3), scales, q32), 0);
    assert_true(out[0] == -50000.0f && out[1] == 0.75f && out[2] == 14.0f);
    assert_int_equal(
        hbDNNUnquantizeByScale(out, HB_DNN_TENSOR_TYPE_F32, shape4(1, 1, 1, 3), scales, q32),
        HB_DNN_INVALID_ARGUMENT);
}

int main(void)
{
    setenv("HB_DNN_LOG_LEVEL", "5", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_names),
        cmocka_unit_test(test_convert_layout),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_unquantize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
