/* hbDNNResize (runtime/dnn/src/resize.c, docs/runtime-api.md): bilinear resize of Y and NV12
 * images on the CPU. Expected values are derived by hand from the documented definition (16.16
 * step with corners aligned, round half up) in the comments of each case, and a larger case is
 * compared with a double-precision bilinear interpolation at the exact corner-aligned positions
 * (an independent formulation: within one level). Also: roi crops, NV12 chroma planes, the task
 * it returns, the cache protocol and the refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_sys.h"

/* An image tensor of `type` (Y or NV12), NCHW, w x h, in a new non-cached buffer. */
static hbDNNTensor image(int32_t type, int32_t w, int32_t h)
{
    hbDNNTensor t;
    memset(&t, 0, sizeof t);
    hbDNNTensorProperties *p = &t.properties;
    p->tensorType = type;
    p->tensorLayout = HB_DNN_LAYOUT_NCHW;
    p->validShape.numDimensions = 4;
    p->validShape.dimensionSize[0] = 1;
    p->validShape.dimensionSize[1] = type == HB_DNN_IMG_TYPE_NV12 ? 3 : 1;
    p->validShape.dimensionSize[2] = h;
    p->validShape.dimensionSize[3] = w;
    p->alignedShape = p->validShape;
    p->alignedByteSize = type == HB_DNN_IMG_TYPE_NV12 ? w * h * 3 / 2 : w * h;
    assert_int_equal(hbSysAllocMem(&t.sysMem[0], (uint32_t)p->alignedByteSize), 0);
    return t;
}

/* Resize and wait; returns hbDNNResize's status (the task is released). */
static int32_t resize(hbDNNTensor *out, const hbDNNTensor *in, const hbDNNRoi *roi)
{
    hbDNNTaskHandle_t task = NULL;
    hbDNNResizeCtrlParam ctrl;
    HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&ctrl);
    int32_t rc = hbDNNResize(&task, out, in, roi, &ctrl);
    if (rc == 0) {
        assert_non_null(task);
        assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
        assert_int_equal(hbDNNReleaseTask(task), 0);
    } else {
        assert_null(task);
    }
    return rc;
}

/* 2 x 2 -> 3 x 3: step = (1 * 65536 + 1) / 2 = 32768, positions 0, 0.5, 1 on both axes. With
 * src = [[0, 100], [200, 255]]: the corners are copied; the edge midpoints are (0 + 100) / 2 = 50,
 * (0 + 200) / 2 = 100, (100 + 255) / 2 = 177.5 -> 178, (200 + 255) / 2 = 227.5 -> 228 (half up);
 * the centre (0 + 100 + 200 + 255) / 4 = 138.75 -> 139. */
static const uint8_t k_src2[4] = {0, 100, 200, 255};
static const uint8_t k_up3[9] = {0, 50, 100, 100, 139, 178, 200, 228, 255};

static void test_y_hand(void **state)
{
    (void)state;
    hbDNNTensor in = image(HB_DNN_IMG_TYPE_Y, 2, 2), out = image(HB_DNN_IMG_TYPE_Y, 3, 3);
    memcpy(in.sysMem[0].virAddr, k_src2, 4);
    assert_int_equal(resize(&out, &in, NULL), 0);
    assert_memory_equal(out.sysMem[0].virAddr, k_up3, 9);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
}

/* Same size: step = (6 * 65536 + 3) / 6 = 65536 (and 4 * 65536 + 2) / 4 = 65536): a copy. A ramp
 * 10 x (x = 0 .. 25) to 51 samples: step = (25 * 65536 + 25) / 50 = 32768, so output i is at 0.5 i
 * and equals 5 i exactly. A roi (2, 2)-(5, 5) of src[y][x] = 16 y + x to 2 x 2: step = 3 * 65536,
 * the roi's corners 34, 37, 82, 85. */
static void test_y_identity_ramp_roi(void **state)
{
    (void)state;
    hbDNNTensor a = image(HB_DNN_IMG_TYPE_Y, 7, 5), b = image(HB_DNN_IMG_TYPE_Y, 7, 5);
    uint8_t *pa = a.sysMem[0].virAddr;
    for (int i = 0; i < 35; i++)
        pa[i] = (uint8_t)(i * 73 + 11);
    assert_int_equal(resize(&b, &a, NULL), 0);
    assert_memory_equal(b.sysMem[0].virAddr, pa, 35);
    hbSysFreeMem(&a.sysMem[0]);
    hbSysFreeMem(&b.sysMem[0]);

    hbDNNTensor r = image(HB_DNN_IMG_TYPE_Y, 26, 1), r2 = image(HB_DNN_IMG_TYPE_Y, 51, 1);
    for (int x = 0; x < 26; x++)
        ((uint8_t *)r.sysMem[0].virAddr)[x] = (uint8_t)(10 * x);
    assert_int_equal(resize(&r2, &r, NULL), 0);
    for (int i = 0; i < 51; i++)
        assert_int_equal(((uint8_t *)r2.sysMem[0].virAddr)[i], 5 * i);
    hbSysFreeMem(&r.sysMem[0]);
    hbSysFreeMem(&r2.sysMem[0]);

    hbDNNTensor g = image(HB_DNN_IMG_TYPE_Y, 8, 8), c = image(HB_DNN_IMG_TYPE_Y, 2, 2);
    for (int i = 0; i < 64; i++)
        ((uint8_t *)g.sysMem[0].virAddr)[i] = (uint8_t)(16 * (i / 8) + i % 8);
    hbDNNRoi roi = {2, 2, 5, 5};
    assert_int_equal(resize(&c, &g, &roi), 0);
    const uint8_t want[4] = {34, 37, 82, 85};
    assert_memory_equal(c.sysMem[0].virAddr, want, 4);
    hbSysFreeMem(&g.sysMem[0]);
    hbSysFreeMem(&c.sysMem[0]);
}

/* 13 x 9 -> 20 x 7 against bilinear interpolation in double precision at the exact positions
 * x (src - 1) / (dst - 1): the fixed-point step differs by < 2^-17 per output sample, so every
 * sample is within one level. */
static void test_y_against_double(void **state)
{
    (void)state;
    const int sw = 13, sh = 9, dw = 20, dh = 7;
    hbDNNTensor in = image(HB_DNN_IMG_TYPE_Y, sw, sh), out = image(HB_DNN_IMG_TYPE_Y, dw, dh);
    uint8_t *s = in.sysMem[0].virAddr, *d = out.sysMem[0].virAddr;
    uint32_t seed = 12345;
    for (int i = 0; i < sw * sh; i++) {
        seed = seed * 1103515245u + 12345u;
        s[i] = (uint8_t)(seed >> 24);
    }
    assert_int_equal(resize(&out, &in, NULL), 0);
    int exact = 0;
    for (int y = 0; y < dh; y++)
        for (int x = 0; x < dw; x++) {
            double px = (double)x * (sw - 1) / (dw - 1), py = (double)y * (sh - 1) / (dh - 1);
            int x0 = (int)px, y0 = (int)py;
            int x1 = x0 + 1 < sw ? x0 + 1 : x0, y1 = y0 + 1 < sh ? y0 + 1 : y0;
            double fx = px - x0, fy = py - y0;
            double v = (s[y0 * sw + x0] * (1 - fx) + s[y0 * sw + x1] * fx) * (1 - fy) +
                       (s[y1 * sw + x0] * (1 - fx) + s[y1 * sw + x1] * fx) * fy;
            double diff = fabs((double)d[y * dw + x] - v);
            assert_true(diff <= 1.0);
            exact += fabs((double)d[y * dw + x] - floor(v + 0.5)) == 0.0;
        }
    assert_true(exact >= dw * dh * 9 / 10); /* almost all equal the rounded exact value */
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
}

/* NV12 4 x 4 -> 6 x 6: the Y plane constant 77 stays 77; the chroma planes (2 x 2 -> 3 x 3) are
 * resized separately: U = k_src2 gives k_up3, V constant 10 stays 10. Then a roi (2, 2)-(3, 3) to
 * 2 x 2: the Y samples of the roi and the chroma pair (1, 1) of the input, copied. */
static void test_nv12(void **state)
{
    (void)state;
    hbDNNTensor in = image(HB_DNN_IMG_TYPE_NV12, 4, 4), out = image(HB_DNN_IMG_TYPE_NV12, 6, 6);
    uint8_t *s = in.sysMem[0].virAddr, *d = out.sysMem[0].virAddr;
    memset(s, 77, 16);
    for (int k = 0; k < 4; k++) {
        s[16 + 2 * k] = k_src2[k];
        s[16 + 2 * k + 1] = 10;
    }
    assert_int_equal(resize(&out, &in, NULL), 0);
    for (int i = 0; i < 36; i++)
        assert_int_equal(d[i], 77);
    for (int k = 0; k < 9; k++) {
        assert_int_equal(d[36 + 2 * k], k_up3[k]);
        assert_int_equal(d[36 + 2 * k + 1], 10);
    }
    hbSysFreeMem(&out.sysMem[0]);

    for (int i = 0; i < 16; i++)
        s[i] = (uint8_t)(i * 9);
    hbDNNTensor c = image(HB_DNN_IMG_TYPE_NV12, 2, 2);
    hbDNNRoi roi = {2, 2, 3, 3};
    assert_int_equal(resize(&c, &in, &roi), 0);
    const uint8_t want[6] = {10 * 9, 11 * 9, 14 * 9, 15 * 9, 255, 10}; /* U (1,1) = k_src2[3] */
    assert_memory_equal(c.sysMem[0].virAddr, want, 6);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&c.sysMem[0]);
}

/* Cached buffers: the resize reads the device view (CLEAN needed) and writes it (INVALIDATE
 * needed), like hbDNNInfer; a callback set on the finished task runs at once. */
static int g_cb_calls;
static int32_t g_cb_status = -1;
static void on_done(hbDNNTaskHandle_t task, int32_t status, void *user)
{
    (void)task;
    (void)user;
    g_cb_calls++;
    g_cb_status = status;
}

static void test_cached_and_task(void **state)
{
    (void)state;
    hbDNNTensor in = image(HB_DNN_IMG_TYPE_Y, 2, 2), out = image(HB_DNN_IMG_TYPE_Y, 3, 3);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
    assert_int_equal(hbSysAllocCachedMem(&in.sysMem[0], 4), 0);
    assert_int_equal(hbSysAllocCachedMem(&out.sysMem[0], 9), 0);
    memcpy(in.sysMem[0].virAddr, k_src2, 4);
    assert_int_equal(hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN), 0);
    hbDNNTaskHandle_t task = NULL;
    hbDNNResizeCtrlParam ctrl;
    HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNResize(&task, &out, &in, NULL, &ctrl), 0);
    assert_int_equal(hbDNNSetTaskDoneCb(task, on_done, NULL), 0);
    assert_int_equal(g_cb_calls, 1);
    assert_int_equal(g_cb_status, 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 10), 0);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    assert_int_equal(hbDNNReleaseTask(task), HB_DNN_INVALID_TASK_HANDLE);
    uint8_t zero[9] = {0};
    assert_memory_equal(out.sysMem[0].virAddr, zero, 9); /* not invalidated yet */
    assert_int_equal(hbSysFlushMem(&out.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE), 0);
    assert_memory_equal(out.sysMem[0].virAddr, k_up3, 9);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
}

static void test_refusals(void **state)
{
    (void)state;
    hbDNNTensor y = image(HB_DNN_IMG_TYPE_Y, 4, 4), y2 = image(HB_DNN_IMG_TYPE_Y, 2, 2);
    hbDNNTensor nv = image(HB_DNN_IMG_TYPE_NV12, 4, 4), nv2 = image(HB_DNN_IMG_TYPE_NV12, 2, 2);
    hbDNNRoi outside = {0, 0, 4, 3}, flipped = {2, 0, 1, 3}, odd = {1, 0, 2, 1};
    assert_int_equal(resize(&y2, &y, &outside), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(resize(&y2, &y, &flipped), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(resize(&nv2, &nv, &odd), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(resize(&nv2, &y, NULL), HB_DNN_INVALID_ARGUMENT); /* types differ */
    assert_int_equal(resize(&y, &y, NULL), HB_DNN_INVALID_ARGUMENT);   /* same buffer */
    hbDNNTensor rgb = y2;
    rgb.properties.tensorType = HB_DNN_IMG_TYPE_RGB;
    assert_int_equal(resize(&rgb, &y, NULL), HB_DNN_INVALID_ARGUMENT);
    hbDNNTensor padded = y2;
    padded.properties.alignedShape.dimensionSize[3] = 16;
    assert_int_equal(resize(&padded, &y, NULL), HB_DNN_INVALID_ARGUMENT);
    hbDNNTensor batch2 = y2;
    batch2.properties.validShape.dimensionSize[0] = 2;
    batch2.properties.alignedShape = batch2.properties.validShape;
    assert_int_equal(resize(&batch2, &y, NULL), HB_DNN_INVALID_ARGUMENT);
    hbDNNTensor small = y;
    small.sysMem[0].memSize = 15;
    assert_int_equal(resize(&y2, &small, NULL), HB_DNN_INVALID_ARGUMENT);
    hbDNNTensor foreign = y2;
    uint8_t host[4];
    foreign.sysMem[0].virAddr = host;
    foreign.sysMem[0].phyAddr = 0x10;
    assert_int_equal(resize(&foreign, &y, NULL), HB_DNN_INVALID_ARGUMENT);

    hbDNNTaskHandle_t task = NULL;
    hbDNNResizeCtrlParam ctrl;
    HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNResize(NULL, &y2, &y, NULL, &ctrl), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNResize(&task, &y2, &y, NULL, NULL), HB_DNN_INVALID_ARGUMENT);
    ctrl.resizeType = (hbDNNResizeType)1;
    assert_int_equal(hbDNNResize(&task, &y2, &y, NULL, &ctrl), HB_DNN_INVALID_ARGUMENT);
    HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&ctrl);
    task = &ctrl; /* must be NULL */
    assert_int_equal(hbDNNResize(&task, &y2, &y, NULL, &ctrl), HB_DNN_INVALID_ARGUMENT);
    hbSysFreeMem(&y.sysMem[0]);
    hbSysFreeMem(&y2.sysMem[0]);
    hbSysFreeMem(&nv.sysMem[0]);
    hbSysFreeMem(&nv2.sysMem[0]);
}

int main(void)
{
    setenv("HB_DNN_LOG_LEVEL", "5", 1); /* the refusals log; keep the test output short */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_y_hand),           cmocka_unit_test(test_y_identity_ramp_roi),
        cmocka_unit_test(test_y_against_double), cmocka_unit_test(test_nv12),
        cmocka_unit_test(test_cached_and_task),  cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
