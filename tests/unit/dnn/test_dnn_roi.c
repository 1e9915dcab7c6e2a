/* hbDNNRoiInfer (runtime/dnn/src/roi_input.c, docs/runtime-api.md "hbDNNRoiInfer"): the quantized
 * cifar10_quick fixture is compiled and packed with an NV12 PREPROCESS record and input_source
 * resizer. Expectations come from the other, independently tested paths: a roi covering a frame
 * of exactly the model's size must give the bits of hbDNNInfer on that frame (test_dnn_image checks
 * hbDNNInfer against the integer reference executor), a cropped and scaled roi the bits of
 * hbDNNResize of the same roi (test_dnn_resize checks it by hand) followed by hbDNNInfer, batch 2
 * the bits of two single runs; then every refusal. A Y (gray) resizer input is checked on a CPU
 * model whose graph is one Identity, so its output is the resized roi - 128 itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn_internal.h"
#include "dnn_test_util.h"
#include "hb_bin/model_pack.h"
#include "hbg/serialize.h"
#include "hbc/onnx_io.h"

#define H     32 /* the model's input */
#define W     32
#define MAXO  4 /* outputs of the model at most */
#define BATCH 2

typedef struct fixture {
    hbg_graph *g;
    hbc_compiled *cm;
} fixture;

static int setup(void **state)
{
    char path[512], err[512];
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(path, sizeof path, "%s/tests/data/quant/cifar10_quick/model.onnx", HB_SOURCE_DIR);
    if (hbc_onnx_load_file(path, &f->g, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    if (hbc_compile(f->g, NULL, &f->cm, err, sizeof err) != HBG_OK)
        fail_msg("compile: %s", err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hbc_compiled_free(f->cm);
    hbg_graph_free(f->g);
    free(f);
    return 0;
}

/* Load the fixture as an NV12 model whose input has .bin input source code `source`. */
static hbPackedDNNHandle_t load(fixture *f, uint32_t source, hbDNNHandle_t *m)
{
    char err[512];
    uint16_t tc[3] = {0, 1, 0};
    hbbw *w = hbbw_create(HBBIN_MARCH_BAYES_E, tc);
    uint32_t mi;
    if (hbmp_add_model(w, "cifar", f->g, f->cm, &mi, err, sizeof err) != HBG_OK)
        fail_msg("pack: %s", err);
    hbbin_preprocess pp = {.input = 0,
                           .type_rt = HBBIN_IT_NV12,
                           .type_train = HBBIN_IT_NV12,
                           .layout_train = HBBIN_LAYOUT_NCHW,
                           .channels = 1,
                           .scale = {1.0f}};
    assert_int_equal(hbbw_add_preprocess(w, mi, &pp), HBBIN_OK);
    assert_int_equal(hbbw_set_input_source(w, mi, 0, source), HBBIN_OK);
    uint8_t *img = NULL;
    size_t n = 0;
    assert_int_equal(hbbw_serialize(w, &img, &n, err, sizeof err), HBBIN_OK);
    hbbw_free(w);
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    hbPackedDNNHandle_t p = NULL;
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), 0);
    free(img);
    assert_int_equal(hbDNNGetModelHandle(m, p, "cifar"), 0);
    return p;
}

/* An NV12 frame of w x h pixels (validShape 1 x 3 x h x w, NCHW) filled from `seed`. */
static hbDNNTensor frame(int h, int w, uint32_t seed)
{
    hbDNNTensor t;
    memset(&t, 0, sizeof t);
    t.properties.tensorType = HB_DNN_IMG_TYPE_NV12;
    t.properties.tensorLayout = HB_DNN_LAYOUT_NCHW;
    t.properties.validShape.numDimensions = 4;
    t.properties.validShape.dimensionSize[0] = 1;
    t.properties.validShape.dimensionSize[1] = 3;
    t.properties.validShape.dimensionSize[2] = h;
    t.properties.validShape.dimensionSize[3] = w;
    t.properties.alignedShape = t.properties.validShape;
    uint32_t n = (uint32_t)(h * w * 3 / 2);
    t.properties.alignedByteSize = (int32_t)n;
    assert_int_equal(hbSysAllocCachedMem(&t.sysMem[0], n), 0);
    uint8_t *p = t.sysMem[0].virAddr;
    for (uint32_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (uint8_t)(seed >> 24);
    }
    hbSysFlushMem(&t.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    return t;
}

/* Output tensors of m, each buffer holding `batch` results; returns the output count. */
static int outputs(hbDNNHandle_t m, hbDNNTensor *out, int batch)
{
    int32_t no = 0;
    assert_int_equal(hbDNNGetOutputCount(&no, m), 0);
    assert_true(no >= 1 && no <= MAXO);
    for (int o = 0; o < no; o++) {
        assert_int_equal(hbDNNGetOutputTensorProperties(&out[o].properties, m, o), 0);
        uint32_t n = (uint32_t)out[o].properties.alignedByteSize * (uint32_t)batch;
        assert_int_equal(hbSysAllocCachedMem(&out[o].sysMem[0], n), 0);
    }
    return no;
}

static void free_outputs(hbDNNTensor *out, int no)
{
    for (int o = 0; o < no; o++)
        hbSysFreeMem(&out[o].sysMem[0]);
}

/* Wait for the task, release it, invalidate the outputs. */
static void finish(hbDNNTaskHandle_t task, hbDNNTensor *out, int no)
{
    assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    for (int o = 0; o < no; o++)
        hbSysFlushMem(&out[o].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
}

static void infer(hbDNNHandle_t m, hbDNNTensor *in, hbDNNTensor *out, int no)
{
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNInfer(&task, &out, in, m, &ctrl), 0);
    finish(task, out, no);
}

static void roi_infer(hbDNNHandle_t m, hbDNNTensor *in, hbDNNRoi *rois, int n, hbDNNTensor *out,
                      int no)
{
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNRoiInfer(&task, &out, in, rois, n, m, &ctrl), 0);
    finish(task, out, no);
}

/* Result `b` of the outputs a equals result 0 of the outputs e, bit for bit. */
static void same(const hbDNNTensor *a, int b, const hbDNNTensor *e, int no)
{
    for (int o = 0; o < no; o++) {
        size_t n = (size_t)e[o].properties.alignedByteSize;
        assert_memory_equal((const uint8_t *)a[o].sysMem[0].virAddr + (size_t)b * n,
                            e[o].sysMem[0].virAddr, n);
    }
}

/* The roi of `fr` resized by hbDNNResize to the model's size, as a model input. */
static hbDNNTensor resized(hbDNNHandle_t m, hbDNNTensor *fr, const hbDNNRoi *roi)
{
    hbDNNTensor t;
    memset(&t, 0, sizeof t);
    assert_int_equal(hbDNNGetInputTensorProperties(&t.properties, m, 0), 0);
    assert_int_equal(hbSysAllocCachedMem(&t.sysMem[0], (uint32_t)t.properties.alignedByteSize), 0);
    hbDNNTaskHandle_t task = NULL;
    hbDNNResizeCtrlParam rc;
    HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&rc);
    assert_int_equal(hbDNNResize(&task, &t, fr, roi, &rc), 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    return t;
}

static void test_source_reported(void **state)
{
    hbDNNHandle_t m;
    hbPackedDNNHandle_t p = load(*state, 1, &m);
    int32_t src = -1;
    assert_int_equal(hbDNNGetInputSource(&src, m, 0), 0);
    assert_int_equal(src, HB_DNN_INPUT_FROM_RESIZER);
    assert_int_equal(hbDNNRelease(p), 0);
}

/* A roi covering a frame of exactly the model's size is the frame itself (step 65536). */
static void test_whole_frame(void **state)
{
    hbDNNHandle_t m;
    hbPackedDNNHandle_t p = load(*state, 1, &m);
    hbDNNTensor fr = frame(H, W, 11), a[MAXO], e[MAXO];
    int no = outputs(m, a, 1);
    outputs(m, e, 1);
    hbDNNRoi roi = {0, 0, W - 1, H - 1};
    roi_infer(m, &fr, &roi, 1, a, no);
    infer(m, &fr, e, no); /* hbDNNInfer takes a model-size frame of a resizer input */
    same(a, 0, e, no);
    free_outputs(a, no);
    free_outputs(e, no);
    hbSysFreeMem(&fr.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

/* Cropped and scaled rois (down and up) equal hbDNNResize + hbDNNInfer. */
static void test_crop_scale(void **state)
{
    hbDNNHandle_t m;
    hbPackedDNNHandle_t p = load(*state, 1, &m);
    hbDNNTensor fr = frame(48, 64, 23), a[MAXO], e[MAXO];
    int no = outputs(m, a, 1);
    outputs(m, e, 1);
    const hbDNNRoi rois[3] = {{4, 6, 51, 45}, {10, 8, 25, 27}, {0, 0, 63, 47}};
    for (int k = 0; k < 3; k++) {
        hbDNNRoi roi = rois[k];
        hbDNNTensor r = resized(m, &fr, &roi);
        infer(m, &r, e, no);
        roi_infer(m, &fr, &roi, 1, a, no);
        same(a, 0, e, no);
        hbSysFreeMem(&r.sysMem[0]);
    }
    free_outputs(a, no);
    free_outputs(e, no);
    hbSysFreeMem(&fr.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

/* Batch 2: inputs and rois of batch i at [i], results of batch i at offset i in each output. */
static void test_batch(void **state)
{
    hbDNNHandle_t m;
    hbPackedDNNHandle_t p = load(*state, 1, &m);
    hbDNNTensor fr[BATCH] = {frame(40, 40, 5), frame(64, 96, 6)}, a[MAXO], e[MAXO];
    hbDNNRoi rois[BATCH] = {{2, 4, 37, 35}, {30, 10, 79, 59}};
    int no = outputs(m, a, BATCH);
    outputs(m, e, 1);
    roi_infer(m, fr, rois, BATCH, a, no);
    for (int b = 0; b < BATCH; b++) {
        roi_infer(m, &fr[b], &rois[b], 1, e, no);
        same(a, b, e, no);
    }
    /* the same as concurrent tasks on the worker threads */
    hbDNNTaskHandle_t tasks[4] = {NULL, NULL, NULL, NULL};
    hbDNNTensor c[4][MAXO];
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    for (int k = 0; k < 4; k++) {
        hbDNNTensor *cp = c[k];
        outputs(m, c[k], 1);
        assert_int_equal(hbDNNRoiInfer(&tasks[k], &cp, &fr[k % 2], &rois[k % 2], 1, m, &ctrl), 0);
    }
    for (int k = 0; k < 4; k++) {
        finish(tasks[k], c[k], no);
        same(a, k % 2, c[k], no);
        free_outputs(c[k], no);
    }
    free_outputs(a, no);
    free_outputs(e, no);
    for (int b = 0; b < BATCH; b++)
        hbSysFreeMem(&fr[b].sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

/* A gray CPU model: data (F32 1x1xGHxGW, pixel - 128) -> Identity -> prob, data a resizer input. */
#define GH 8
#define GW 10
static hbPackedDNNHandle_t load_gray(hbDNNHandle_t *m)
{
    const int32_t dims[4] = {1, 1, GH, GW}, id[4] = {0, 1, 2, 3};
    const int64_t d64[4] = {1, 1, GH, GW};
    hbg_graph *g = hbg_graph_create();
    int x = hbg_graph_tensor(g, "data");
    hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 4, d64);
    hbg_graph_add_input(g, x);
    hbg_graph_add_opset(g, "", 13);
    const char *in[1] = {"data"}, *out[1] = {"prob"};
    hbg_graph_add_node(g, "Identity", "", "id0", 1, in, 1, out, NULL);
    hbg_graph_add_output(g, hbg_graph_find_tensor(g, "prob"));
    uint8_t *blob = NULL, *img = NULL;
    size_t blob_n = 0, n = 0, sn = 0;
    char err[256];
    assert_int_equal(hbg_serialize(g, &blob, &blob_n), HBG_OK);
    uint16_t tc[3] = {0, 1, 0};
    hbbw *w = hbbw_create(HBBIN_MARCH_BAYES_E, tc);
    uint32_t mi;
    assert_int_equal(hbbw_add_model(w, "gray", &mi), HBBIN_OK);
    hbbin_tensor ti = tensor_rec("data", HB_DNN_TENSOR_TYPE_F32, HBBIN_LAYOUT_NCHW, 4, dims, GW, 4);
    hbbin_tensor to = tensor_rec("prob", HB_DNN_TENSOR_TYPE_F32, HBBIN_LAYOUT_NCHW, 4, dims, GW, 4);
    assert_int_equal(hbbw_add_tensor(w, mi, 1, &ti), HBBIN_OK);
    assert_int_equal(hbbw_add_tensor(w, mi, 0, &to), HBBIN_OK);
    sched_b sb = {0};
    uint32_t t0 = sb_tensor(&sb, HB_DNN_TENSOR_TYPE_F32, 4, dims, T_INPUT, 0, 0, 0, id, 0, 0, NULL);
    uint32_t t1 =
        sb_tensor(&sb, HB_DNN_TENSOR_TYPE_F32, 4, dims, T_OUTPUT, 0, 0, 0, id, 0, 0, NULL);
    sb_step(&sb, S_CPU, 0, 1, &t0, 1, &t1, NULL);
    uint8_t *sbytes = sb_bytes(&sb, &sn);
    assert_int_equal(hbbw_add_blob(w, mi, HBBIN_SEC_CPU_SUBGRAPH, 0, blob, blob_n), HBBIN_OK);
    assert_int_equal(hbbw_add_blob(w, mi, HBBIN_SEC_SCHEDULE, 0, sbytes, sn), HBBIN_OK);
    hbbin_preprocess pp = {.input = 0,
                           .type_rt = HBBIN_IT_GRAY,
                           .type_train = HBBIN_IT_GRAY,
                           .layout_train = HBBIN_LAYOUT_NCHW,
                           .channels = 1,
                           .scale = {1.0f}};
    assert_int_equal(hbbw_add_preprocess(w, mi, &pp), HBBIN_OK);
    assert_int_equal(hbbw_set_input_source(w, mi, 0, 1), HBBIN_OK);
    if (hbbw_serialize(w, &img, &n, err, sizeof err) != HBBIN_OK)
        fail_msg("%s", err);
    hbbw_free(w);
    free(sbytes);
    free(blob);
    hbg_graph_free(g);
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    hbPackedDNNHandle_t p = NULL;
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), 0);
    free(img);
    assert_int_equal(hbDNNGetModelHandle(m, p, "gray"), 0);
    return p;
}

/* Y frames: any roi corners (no parity rule); the output is hbDNNResize's roi - 128. */
static void test_gray(void **state)
{
    (void)state;
    hbDNNHandle_t m;
    hbPackedDNNHandle_t p = load_gray(&m);
    hbDNNTensor fr = frame(20, 24, 9), out[1], rs;
    fr.properties.tensorType = HB_DNN_IMG_TYPE_Y;
    fr.properties.validShape.dimensionSize[1] = 1;
    fr.properties.alignedShape = fr.properties.validShape;
    fr.properties.alignedByteSize = 20 * 24;
    assert_int_equal(outputs(m, out, 1), 1);
    memset(&rs, 0, sizeof rs);
    rs.properties = fr.properties;
    rs.properties.validShape.dimensionSize[2] = GH;
    rs.properties.validShape.dimensionSize[3] = GW;
    rs.properties.alignedShape = rs.properties.validShape;
    assert_int_equal(hbSysAllocCachedMem(&rs.sysMem[0], GH * GW), 0);
    const hbDNNRoi rois[3] = {{3, 5, 14, 16}, {0, 0, 23, 19}, {7, 2, 9, 4}};
    for (int k = 0; k < 3; k++) {
        hbDNNRoi roi = rois[k];
        hbDNNTaskHandle_t task = NULL;
        hbDNNResizeCtrlParam rc;
        HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&rc);
        assert_int_equal(hbDNNResize(&task, &rs, &fr, &roi, &rc), 0);
        assert_int_equal(hbDNNReleaseTask(task), 0);
        hbSysFlushMem(&rs.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
        roi_infer(m, &fr, &roi, 1, out, 1);
        const uint8_t *e = rs.sysMem[0].virAddr;
        const float *o = out[0].sysMem[0].virAddr;
        for (int i = 0; i < GH * GW; i++)
            assert_true(o[i] == (float)e[i] - 128.0f);
    }
    /* a Y roi of one pixel column is below the resizer's 2 x 2 */
    hbDNNRoi thin = {5, 5, 5, 9};
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    hbDNNTensor *op = out;
    assert_int_equal(hbDNNRoiInfer(&task, &op, &fr, &thin, 1, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    assert_non_null(strstr(hb_dnn_last_message(), "at least 2 x 2"));
    free_outputs(out, 1);
    hbSysFreeMem(&rs.sysMem[0]);
    hbSysFreeMem(&fr.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

/* hbDNNRoiInfer of fr with rois[0..n) must fail with `code` and a log line containing `what`. */
static void refused(hbDNNHandle_t m, hbDNNTensor *fr, hbDNNRoi *rois, int32_t n, hbDNNTensor *out,
                    int32_t code, const char *what)
{
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNRoiInfer(&task, &out, fr, rois, n, m, &ctrl), code);
    assert_null(task);
    if (!strstr(hb_dnn_last_message(), what))
        fail_msg("log line '%s' does not contain '%s'", hb_dnn_last_message(), what);
}

static void test_refusals(void **state)
{
    hbDNNHandle_t m, mp;
    hbPackedDNNHandle_t p = load(*state, 1, &m), pp = load(*state, 2, &mp);
    hbDNNTensor fr[2] = {frame(48, 64, 1), frame(48, 64, 2)}, out[MAXO];
    int no = outputs(m, out, 1);
    hbDNNRoi ok[2] = {{0, 0, 31, 31}, {0, 0, 31, 31}};
    const int32_t INV = HB_DNN_INVALID_ARGUMENT;
    /* a model without resizer inputs (pyramid) */
    refused(mp, fr, ok, 1, out, HB_DNN_API_USE_ERROR, "has no resizer input");
    /* roiCount and pointers */
    refused(m, fr, ok, 0, out, INV, "roiCount 0 must be batch x 1");
    refused(m, fr, ok, 256, out, INV, "batch 1..255");
    refused(m, fr, NULL, 1, out, INV, "NULL argument");
    /* batch 2 with outputs for one result */
    refused(m, fr, ok, 2, out, INV, "batch 2 needs");
    /* rois */
    hbDNNRoi r = {0, 0, 64, 31};
    refused(m, fr, &r, 1, out, INV, "is not inside the 64 x 48 frame");
    r = (hbDNNRoi){2, 2, 1, 31};
    refused(m, fr, &r, 1, out, INV, "is not inside");
    r = (hbDNNRoi){1, 0, 31, 31};
    refused(m, fr, &r, 1, out, INV, "even left/top and odd right/bottom");
    r = (hbDNNRoi){0, 0, 30, 31};
    refused(m, fr, &r, 1, out, INV, "even left/top and odd right/bottom");
    hbDNNRoi two[2] = {{0, 0, 31, 31}, {0, 1, 31, 31}}; /* the second batch's roi */
    hbDNNTensor out2[MAXO];
    outputs(m, out2, 2);
    refused(m, fr, two, 2, out2, INV, "even left/top and odd right/bottom");
    free_outputs(out2, no);
    /* downscale of 4x or more: 128 -> 32 gives step (127 * 65536 + 15) / 31 = 268486 */
    hbDNNTensor big = frame(128, 128, 3);
    r = (hbDNNRoi){0, 0, 127, 127};
    refused(m, &big, &r, 1, out, INV, "the resizer's step is at most 262143");
    r = (hbDNNRoi){0, 0, 123, 123}; /* 124 -> 32: step (123 * 65536 + 15) / 31 = 260030 */
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    hbDNNTensor *op = out;
    assert_int_equal(hbDNNRoiInfer(&task, &op, &big, &r, 1, m, &ctrl), 0);
    finish(task, out, no);
    hbSysFreeMem(&big.sysMem[0]);
    /* frames above 4096 pixels wide */
    hbDNNTensor wide = frame(2, 4098, 4);
    r = (hbDNNRoi){0, 0, 31, 1};
    refused(m, &wide, &r, 1, out, INV, "frames up to 4096 x 4096");
    hbSysFreeMem(&wide.sysMem[0]);
    /* frame tensors */
    hbDNNTensor bad = fr[0];
    bad.properties.tensorType = HB_DNN_IMG_TYPE_Y;
    refused(m, &bad, ok, 1, out, INV, "tensorType 0, the model's resizer input takes 1");
    bad = fr[0];
    bad.properties.alignedShape.dimensionSize[3] = 80;
    refused(m, &bad, ok, 1, out, INV, "alignedShape = validShape");
    bad = fr[0];
    bad.properties.validShape.dimensionSize[3] = 65;
    bad.properties.alignedShape = bad.properties.validShape;
    refused(m, &bad, ok, 1, out, INV, "even for NV12");
    bad = fr[0];
    bad.sysMem[0].memSize = 100;
    refused(m, &bad, ok, 1, out, INV, "smaller than the image's 4608 bytes");
    /* hbDNNInfer on a resizer input takes a frame of the model's size only */
    task = NULL;
    assert_int_equal(hbDNNInfer(&task, &op, fr, m, &ctrl), INV);
    assert_null(task);
    free_outputs(out, no);
    for (int k = 0; k < 2; k++)
        hbSysFreeMem(&fr[k].sysMem[0]);
    assert_int_equal(hbDNNRelease(pp), 0);
    assert_int_equal(hbDNNRelease(p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_reported), cmocka_unit_test(test_whole_frame),
        cmocka_unit_test(test_crop_scale),      cmocka_unit_test(test_batch),
        cmocka_unit_test(test_refusals),        cmocka_unit_test(test_gray),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
