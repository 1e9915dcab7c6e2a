/* Image inputs of libdnn (runtime/dnn/src/image_input.c, docs/bin-model.md section 8): the
 * quantized cifar10_quick fixture is compiled and packed with a PREPROCESS record of each image
 * type; uint8 images fed as NV12, NV12_SEPARATE, YUV444, RGB and BGR (NHWC and NCHW) must give, bit
 * for bit, the outputs of the integer reference executor on the equivalent float input (pixel -
 * 128, NV12 chroma replicated over each 2x2 block), which this test builds by its own loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "hb_bin/model_pack.h"
#include "hbc/onnx_io.h"
#include "hbc/quant.h"

#define H 32
#define W 32

typedef struct fixture {
    hbg_graph *g;
    hbc_compiled *cm;
    hbc_qexec *qe;
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
    assert_int_equal(hbc_qexec_create(f->g, &f->qe), HBG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hbc_qexec_free(f->qe);
    hbc_compiled_free(f->cm);
    hbg_graph_free(f->g);
    free(f);
    return 0;
}

/* Load the fixture packed with preprocess type_rt `rt` (and input_layout_rt `lay` if not NULL). */
static int32_t load(fixture *f, hbbin_input_type rt, const char *lay, hbPackedDNNHandle_t *p)
{
    char err[512];
    uint16_t tc[3] = {0, 1, 0};
    hbbw *w = hbbw_create(HBBIN_MARCH_BAYES_E, tc);
    uint32_t mi;
    if (hbmp_add_model(w, "cifar", f->g, f->cm, &mi, err, sizeof err) != HBG_OK)
        fail_msg("pack: %s", err);
    hbbin_preprocess pp = {.input = 0,
                           .type_rt = rt,
                           .type_train = rt,
                           .layout_train = HBBIN_LAYOUT_NCHW,
                           .channels = 1,
                           .scale = {1.0f}};
    assert_int_equal(hbbw_add_preprocess(w, mi, &pp), HBBIN_OK);
    if (lay)
        assert_int_equal(hbbw_add_param(w, mi, "input_layout_rt", lay), HBBIN_OK);
    uint8_t *img = NULL;
    size_t n = 0;
    assert_int_equal(hbbw_serialize(w, &img, &n, err, sizeof err), HBBIN_OK);
    hbbw_free(w);
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    int32_t rc = hbDNNInitializeFromDDR(p, data, len, 1);
    free(img);
    return rc;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 24;
}

/* Run model m on input tensor `in` and compare every output with the reference executor run on
 * the float input x (NCHW, pixel - 128). */
static void run_and_compare(fixture *f, hbDNNHandle_t m, hbDNNTensor *in, const float *x)
{
    hbDNNTensor out[4], *outp = out;
    int32_t no = 0;
    hbDNNGetOutputCount(&no, m);
    assert_true(no >= 1 && no <= 4);
    for (int o = 0; o < no; o++) {
        hbDNNGetOutputTensorProperties(&out[o].properties, m, o);
        assert_int_equal(
            hbSysAllocCachedMem(&out[o].sysMem[0], (uint32_t)out[o].properties.alignedByteSize), 0);
    }
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNInfer(&task, &outp, in, m, &ctrl), 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
    hbDNNReleaseTask(task);
    hbg_tensor *gi = f->g->tensors[f->g->inputs[0]];
    memcpy(gi->data, x, 3 * H * W * sizeof(float));
    assert_int_equal(hbc_qexec_run(f->qe), HBG_OK);
    for (int o = 0; o < no; o++) {
        hbSysFlushMem(&out[o].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
        const hbg_tensor *ref = f->g->tensors[f->g->outputs[o]];
        assert_memory_equal(out[o].sysMem[0].virAddr, ref->data, (size_t)hbg_tensor_nbytes(ref));
        hbSysFreeMem(&out[o].sysMem[0]);
    }
}

static void test_nv12(void **state)
{
    fixture *f = *state;
    hbPackedDNNHandle_t p = NULL;
    hbDNNHandle_t m;
    assert_int_equal(load(f, HBBIN_IT_NV12, NULL, &p), 0);
    assert_int_equal(hbDNNGetModelHandle(&m, p, "cifar"), 0);
    hbDNNTensorProperties ip;
    assert_int_equal(hbDNNGetInputTensorProperties(&ip, m, 0), 0);
    /* horizon-interface 5.8: NV12 models report 1x3xHxW NCHW, stride 0, H*W*3/2 bytes */
    assert_int_equal(ip.tensorType, HB_DNN_IMG_TYPE_NV12);
    assert_int_equal(ip.tensorLayout, HB_DNN_LAYOUT_NCHW);
    assert_int_equal(ip.validShape.numDimensions, 4);
    int32_t want[4] = {1, 3, H, W};
    assert_memory_equal(ip.validShape.dimensionSize, want, sizeof want);
    assert_int_equal(ip.alignedByteSize, H * W * 3 / 2);
    for (int d = 0; d < 8; d++)
        assert_int_equal(ip.stride[d], 0);
    uint8_t yp[H * W], uv[H * W / 2];
    uint32_t s = 7;
    for (int i = 0; i < H * W; i++)
        yp[i] = (uint8_t)lcg(&s);
    for (int i = 0; i < H * W / 2; i++)
        uv[i] = (uint8_t)lcg(&s);
    yp[0] = 0;
    yp[1] = 255; /* the extremes map to -128 and 127 */
    static float x[3 * H * W];
    for (int y = 0; y < H; y++)
        for (int c = 0; c < W; c++) {
            int blk = (y >> 1) * (W >> 1) + (c >> 1); /* the 2x2 block's chroma pair */
            x[0 * H * W + y * W + c] = (float)yp[y * W + c] - 128.0f;
            x[1 * H * W + y * W + c] = (float)uv[2 * blk] - 128.0f;
            x[2 * H * W + y * W + c] = (float)uv[2 * blk + 1] - 128.0f;
        }
    /* one buffer: Y then UV */
    hbDNNTensor in;
    in.properties = ip;
    assert_int_equal(hbSysAllocCachedMem(&in.sysMem[0], (uint32_t)ip.alignedByteSize), 0);
    memcpy(in.sysMem[0].virAddr, yp, sizeof yp);
    memcpy((uint8_t *)in.sysMem[0].virAddr + sizeof yp, uv, sizeof uv);
    hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    run_and_compare(f, m, &in, x);
    /* NV12_SEPARATE: Y and UV in two buffers */
    hbDNNTensor sep;
    sep.properties = ip;
    sep.properties.tensorType = HB_DNN_IMG_TYPE_NV12_SEPARATE;
    assert_int_equal(hbSysAllocMem(&sep.sysMem[0], sizeof yp), 0);
    assert_int_equal(hbSysAllocMem(&sep.sysMem[1], sizeof uv), 0);
    memcpy(sep.sysMem[0].virAddr, yp, sizeof yp);
    memcpy(sep.sysMem[1].virAddr, uv, sizeof uv);
    run_and_compare(f, m, &sep, x);
    /* refused: another type, a too small buffer */
    hbDNNTensor bad = in, *outp = &bad;
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    bad.properties.tensorType = HB_DNN_IMG_TYPE_RGB;
    assert_int_equal(hbDNNInfer(&task, &outp, &bad, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    bad = in;
    bad.sysMem[0].memSize = H * W;
    assert_int_equal(hbDNNInfer(&task, &outp, &bad, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    bad = in;
    bad.properties.alignedShape.dimensionSize[3] = W + 16; /* NV12 images are never padded */
    assert_int_equal(hbDNNInfer(&task, &outp, &bad, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&sep.sysMem[0]);
    hbSysFreeMem(&sep.sysMem[1]);
    assert_int_equal(hbDNNRelease(p), 0);
}

/* Packed types: RGB / BGR / YUV444 keep the stored channel order (the intermediate type). */
static void check_packed(fixture *f, hbbin_input_type rt, int32_t type, const char *lay, int nhwc)
{
    hbPackedDNNHandle_t p = NULL;
    hbDNNHandle_t m;
    assert_int_equal(load(f, rt, lay, &p), 0);
    assert_int_equal(hbDNNGetModelHandle(&m, p, "cifar"), 0);
    hbDNNTensorProperties ip;
    assert_int_equal(hbDNNGetInputTensorProperties(&ip, m, 0), 0);
    assert_int_equal(ip.tensorType, type);
    assert_int_equal(ip.tensorLayout, nhwc ? HB_DNN_LAYOUT_NHWC : HB_DNN_LAYOUT_NCHW);
    int32_t want_nhwc[4] = {1, H, W, 3}, want_nchw[4] = {1, 3, H, W};
    assert_memory_equal(ip.validShape.dimensionSize, nhwc ? want_nhwc : want_nchw,
                        sizeof want_nhwc);
    assert_int_equal(ip.alignedByteSize, H * W * 3);
    int32_t st_nhwc[4] = {3 * H * W, 3 * W, 3, 1}, st_nchw[4] = {3 * H * W, H * W, W, 1};
    assert_memory_equal(ip.stride, nhwc ? st_nhwc : st_nchw, sizeof st_nhwc);
    static uint8_t px[3 * H * W];
    static float x[3 * H * W];
    uint32_t s = (uint32_t)rt + 11u;
    for (int i = 0; i < 3 * H * W; i++)
        px[i] = (uint8_t)lcg(&s);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < H; y++)
            for (int i = 0; i < W; i++)
                x[(c * H + y) * W + i] =
                    (float)px[nhwc ? (y * W + i) * 3 + c : (c * H + y) * W + i] - 128.0f;
    hbDNNTensor in;
    in.properties = ip;
    assert_int_equal(hbSysAllocMem(&in.sysMem[0], (uint32_t)ip.alignedByteSize), 0);
    memcpy(in.sysMem[0].virAddr, px, sizeof px);
    run_and_compare(f, m, &in, x);
    hbSysFreeMem(&in.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

static void test_packed(void **state)
{
    fixture *f = *state;
    check_packed(f, HBBIN_IT_RGB, HB_DNN_IMG_TYPE_RGB, NULL, 1);
    check_packed(f, HBBIN_IT_BGR, HB_DNN_IMG_TYPE_BGR, "NCHW", 0);
    check_packed(f, HBBIN_IT_YUV444, HB_DNN_IMG_TYPE_YUV444, "NHWC", 1);
}

static void test_refused_models(void **state)
{
    fixture *f = *state;
    hbPackedDNNHandle_t p = NULL;
    /* a gray image cannot feed a 3-channel input; an unknown layout word is refused */
    assert_int_equal(load(f, HBBIN_IT_GRAY, NULL, &p), HB_DNN_INVALID_MODEL);
    assert_int_equal(load(f, HBBIN_IT_RGB, "NCWH", &p), HB_DNN_INVALID_MODEL);
    /* featuremap: the F32 tensor as recorded */
    assert_int_equal(load(f, HBBIN_IT_FEATUREMAP, NULL, &p), 0);
    hbDNNHandle_t m;
    hbDNNTensorProperties ip;
    assert_int_equal(hbDNNGetModelHandle(&m, p, "cifar"), 0);
    assert_int_equal(hbDNNGetInputTensorProperties(&ip, m, 0), 0);
    assert_int_equal(ip.tensorType, HB_DNN_TENSOR_TYPE_F32);
    assert_int_equal(hbDNNRelease(p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nv12),
        cmocka_unit_test(test_packed),
        cmocka_unit_test(test_refused_models),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
