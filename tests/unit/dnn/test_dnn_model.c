/* libdnn on a model made of one CPU subgraph (the tiny Conv+Relu graph of dnn_test_util.h) in a
 * .bin built with the converter's writer: loading from memory and from a file, two models per
 * file, every query, properties (padded NCHW input, NHWC output through a dimension map), inference
 * with padded and dense inputs, appended tasks (more = 1), callbacks, estimates, and the error
 * paths (bad handles, buffer sizes, corrupt and inconsistent files). Expected outputs: the graph
 * core's float executor on the same graph, transposed to NHWC here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn_internal.h"
#include "dnn_test_models.h"

static hbPackedDNNHandle_t load_image(const uint8_t *img, size_t size, int32_t expect)
{
    hbPackedDNNHandle_t p = NULL;
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)size};
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), expect);
    return p;
}

/* Run one inference; `dense` hands the input in validShape form. */
static void infer_check(hbDNNHandle_t m, int dense, int seed)
{
    hbDNNTensorProperties ip, op;
    hbDNNTensor in, out, *outp = &out;
    float x[192], want[256];
    make_input(x, seed);
    reference(x, want);
    assert_int_equal(hbDNNGetInputTensorProperties(&ip, m, 0), 0);
    assert_int_equal(hbDNNGetOutputTensorProperties(&op, m, 0), 0);
    if (dense) {
        ip.alignedShape = ip.validShape;
        ip.alignedByteSize = 192 * 4;
    }
    assert_int_equal(alloc_tensor(&in, &ip), 0);
    assert_int_equal(alloc_tensor(&out, &op), 0);
    uint8_t *b = in.sysMem[0].virAddr;
    memset(b, 0x7F, in.sysMem[0].memSize); /* padding must be ignored */
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 8; y++)
            for (int xx = 0; xx < 8; xx++) {
                size_t off =
                    dense ? (size_t)((c * 8 + y) * 8 + xx) * 4
                          : (size_t)(c * ip.stride[1] + y * ip.stride[2] + xx * ip.stride[3]);
                memcpy(b + off, &x[(c * 8 + y) * 8 + xx], 4);
            }
    assert_int_equal(hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN), 0);
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), 0);
    assert_non_null(task);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    assert_int_equal(hbSysFlushMem(&out.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE), 0);
    assert_memory_equal(out.sysMem[0].virAddr, want, sizeof want);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
}

static void test_queries_and_infer(void **state)
{
    (void)state;
    size_t n;
    uint8_t *img = make_cpu_image(2, &n, NULL);
    hbPackedDNNHandle_t p = load_image(img, n, 0);
    free(img); /* the library keeps its own copy */
    const char **names = NULL;
    int32_t cnt = 0;
    assert_int_equal(hbDNNGetModelNameList(&names, &cnt, p), 0);
    assert_int_equal(cnt, 2);
    assert_string_equal(names[0], "tiny_conv");
    assert_string_equal(names[1], "tiny_conv_1");
    hbDNNHandle_t m = NULL;
    assert_int_equal(hbDNNGetModelHandle(&m, p, "nope"), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetModelHandle(&m, p, "tiny_conv_1"), 0);
    int32_t ni = 0, no = 0;
    assert_int_equal(hbDNNGetInputCount(&ni, m), 0);
    assert_int_equal(hbDNNGetOutputCount(&no, m), 0);
    assert_int_equal(ni, 1);
    assert_int_equal(no, 1);
    const char *nm = NULL;
    assert_int_equal(hbDNNGetInputName(&nm, m, 0), 0);
    assert_string_equal(nm, "data");
    assert_int_equal(hbDNNGetOutputName(&nm, m, 0), 0);
    assert_string_equal(nm, "prob");
    assert_int_equal(hbDNNGetInputName(&nm, m, 1), HB_DNN_INVALID_ARGUMENT);
    hbDNNTensorProperties ip, op;
    assert_int_equal(hbDNNGetInputTensorProperties(&ip, m, 0), 0);
    assert_int_equal(ip.validShape.numDimensions, 4);
    assert_int_equal(ip.validShape.dimensionSize[3], 8);
    assert_int_equal(ip.alignedShape.dimensionSize[3], 16);
    assert_int_equal(ip.alignedByteSize, 3 * 8 * 16 * 4);
    assert_int_equal(ip.stride[0], 3 * 8 * 16 * 4);
    assert_int_equal(ip.stride[2], 16 * 4);
    assert_int_equal(ip.stride[3], 4);
    assert_int_equal(ip.tensorLayout, HB_DNN_LAYOUT_NCHW);
    assert_int_equal(ip.tensorType, HB_DNN_TENSOR_TYPE_F32);
    assert_int_equal(ip.quantiType, NONE);
    assert_int_equal(hbDNNGetOutputTensorProperties(&op, m, 0), 0);
    assert_int_equal(op.tensorLayout, HB_DNN_LAYOUT_NHWC);
    assert_int_equal(op.validShape.dimensionSize[3], 4);
    assert_int_equal(op.alignedByteSize, 256 * 4);
    int32_t src = -1, lat = -1;
    assert_int_equal(hbDNNGetInputSource(&src, m, 0), 0);
    assert_int_equal(src, HB_DNN_INPUT_FROM_DDR);
    assert_int_equal(hbDNNGetEstimateLatency(&lat, m), 0);
    assert_int_equal(lat, 0); /* no BPU step */
    for (int rep = 0; rep < 3; rep++) {
        infer_check(m, 0, rep);
        infer_check(m, 1, rep + 10);
    }
    assert_int_equal(hbDNNRelease(p), 0);
    assert_int_equal(hbDNNRelease(p), HB_DNN_INVALID_PACKED_DNN_HANDLE);
}

static void test_from_file(void **state)
{
    (void)state;
    size_t n;
    uint8_t *img = make_cpu_image(1, &n, NULL);
    char path[] = "hb_dnn_test_XXXXXX"; /* in the working directory (the build tree) */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, img, n), (ssize_t)n);
    close(fd);
    free(img);
    hbPackedDNNHandle_t p = NULL;
    const char *files[1] = {path};
    assert_int_equal(hbDNNInitializeFromFiles(&p, files, 1), 0);
    hbDNNHandle_t m = NULL;
    assert_int_equal(hbDNNGetModelHandle(&m, p, "tiny_conv"), 0);
    infer_check(m, 0, 3);
    /* the same model twice: names collide */
    hbPackedDNNHandle_t p2 = NULL;
    const char *twice[2] = {path, path};
    assert_int_equal(hbDNNInitializeFromFiles(&p2, twice, 2), HB_DNN_INVALID_MODEL);
    assert_null(p2);
    assert_non_null(strstr(hb_dnn_last_message(), "already loaded"));
    assert_int_equal(hbDNNRelease(p), 0);
    unlink(path);
    const char *missing[1] = {"/nonexistent/model.bin"};
    assert_int_equal(hbDNNInitializeFromFiles(&p2, missing, 1), HB_DNN_CAN_NOT_OPEN_FILE);
}

static int g_cb_calls;
static int32_t g_cb_status = 1;

static void done_cb(hbDNNTaskHandle_t task, int32_t status, void *user)
{
    (void)task;
    g_cb_calls += *(int *)user;
    g_cb_status = status;
}

/* more = 1: two inferences in one task, a callback, the estimate and release refusal. */
static void test_more_and_callback(void **state)
{
    (void)state;
    size_t n;
    uint8_t *img = make_cpu_image(1, &n, NULL);
    hbPackedDNNHandle_t p = load_image(img, n, 0);
    free(img);
    hbDNNHandle_t m = NULL;
    assert_int_equal(hbDNNGetModelHandle(&m, p, "tiny_conv"), 0);
    hbDNNTensorProperties ip, op;
    hbDNNGetInputTensorProperties(&ip, m, 0);
    hbDNNGetOutputTensorProperties(&op, m, 0);
    hbDNNTensor in[2], out[2];
    float x[2][192], want[2][256];
    for (int k = 0; k < 2; k++) {
        make_input(x[k], 100 + k);
        reference(x[k], want[k]);
        ip.alignedShape = ip.validShape;
        assert_int_equal(alloc_tensor(&in[k], &ip), 0);
        assert_int_equal(alloc_tensor(&out[k], &op), 0);
        memcpy(in[k].sysMem[0].virAddr, x[k], sizeof x[k]);
        hbSysFlushMem(&in[k].sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    }
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    ctrl.more = 1;
    hbDNNTensor *o0 = &out[0], *o1 = &out[1];
    assert_int_equal(hbDNNInfer(&task, &o0, &in[0], m, &ctrl), 0);
    /* not submitted yet: waiting is a usage error; releasing the model is refused */
    assert_int_equal(hbDNNWaitTaskDone(task, 0), HB_DNN_API_USE_ERROR);
    assert_int_equal(hbDNNRelease(p), HB_DNN_MODEL_IS_RUNNING);
    int one = 1;
    g_cb_calls = 0;
    assert_int_equal(hbDNNSetTaskDoneCb(task, done_cb, &one), 0);
    int32_t est = -1;
    assert_int_equal(hbDNNGetTaskEstimateTime(&est, task), 0);
    assert_int_equal(est, 0);
    ctrl.more = 0;
    assert_int_equal(hbDNNInfer(&task, &o1, &in[1], m, &ctrl), 0);
    assert_int_equal(hbDNNInfer(&task, &o1, &in[1], m, &ctrl), HB_DNN_API_USE_ERROR);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
    assert_int_equal(g_cb_calls, 1);
    assert_int_equal(g_cb_status, 0);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), HB_DNN_INVALID_TASK_HANDLE);
    for (int k = 0; k < 2; k++) {
        hbSysFlushMem(&out[k].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
        assert_memory_equal(out[k].sysMem[0].virAddr, want[k], sizeof want[k]);
        hbSysFreeMem(&in[k].sysMem[0]);
        hbSysFreeMem(&out[k].sysMem[0]);
    }
    assert_int_equal(hbDNNRelease(p), 0);
}

/* Bad handles, bad tensors, unsupported functions. */
static void test_errors(void **state)
{
    (void)state;
    size_t n;
    uint8_t *img = make_cpu_image(1, &n, NULL);
    hbPackedDNNHandle_t p = load_image(img, n, 0);
    free(img);
    int dummy;
    hbDNNHandle_t m = NULL, bad = &dummy;
    int32_t cnt;
    const char **names;
    assert_int_equal(hbDNNGetModelNameList(&names, &cnt, bad), HB_DNN_INVALID_PACKED_DNN_HANDLE);
    assert_int_equal(hbDNNGetModelHandle(&m, bad, "tiny_conv"), HB_DNN_INVALID_PACKED_DNN_HANDLE);
    assert_int_equal(hbDNNGetInputCount(&cnt, bad), HB_DNN_INVALID_DNN_HANDLE);
    assert_int_equal(hbDNNGetInputCount(&cnt, NULL), HB_DNN_INVALID_DNN_HANDLE);
    assert_int_equal(hbDNNGetInputCount(NULL, bad), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNReleaseTask(bad), HB_DNN_INVALID_TASK_HANDLE);
    assert_int_equal(hbDNNWaitTaskDone(NULL, 0), HB_DNN_INVALID_TASK_HANDLE);
    assert_int_equal(hbDNNRelease(bad), HB_DNN_INVALID_PACKED_DNN_HANDLE);
    assert_int_equal(hbDNNGetModelHandle(&m, p, "tiny_conv"), 0);

    hbDNNTensorProperties ip, op;
    hbDNNGetInputTensorProperties(&ip, m, 0);
    hbDNNGetOutputTensorProperties(&op, m, 0);
    hbDNNTensor in, out, *outp = &out;
    assert_int_equal(alloc_tensor(&in, &ip), 0);
    assert_int_equal(alloc_tensor(&out, &op), 0);
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    /* a buffer smaller than alignedByteSize */
    hbDNNTensor small = in;
    small.sysMem[0].memSize = 100;
    assert_int_equal(hbDNNInfer(&task, &outp, &small, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    assert_null(task);
    assert_non_null(strstr(hb_dnn_last_message(), "memSize 100"));
    assert_non_null(strstr(hb_dnn_last_message(), "alignedByteSize 1536"));
    /* a buffer that is not from hbSysAlloc* */
    uint8_t host[1536];
    hbDNNTensor foreign = in;
    foreign.sysMem[0].virAddr = host;
    foreign.sysMem[0].phyAddr = 0x1000;
    assert_int_equal(hbDNNInfer(&task, &outp, &foreign, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    /* a shape that is neither aligned nor valid */
    hbDNNTensor odd = in;
    odd.properties.alignedShape.dimensionSize[3] = 9;
    assert_int_equal(hbDNNInfer(&task, &outp, &odd, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    hbDNNTensor wrongtype = in;
    wrongtype.properties.tensorType = HB_DNN_TENSOR_TYPE_S8;
    assert_int_equal(hbDNNInfer(&task, &outp, &wrongtype, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    ctrl.priority = 300;
    assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), HB_DNN_INVALID_ARGUMENT);
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    assert_int_equal(hbDNNInfer(&task, &outp, &in, bad, &ctrl), HB_DNN_INVALID_DNN_HANDLE);
    task = bad;
    assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), HB_DNN_INVALID_TASK_HANDLE);
    /* hbDNNRoiInfer on a model without resizer inputs (test_dnn_roi.c has the rest) */
    task = NULL;
    hbDNNRoi roi = {0, 0, 7, 7};
    assert_int_equal(hbDNNRoiInfer(&task, &outp, &in, &roi, 1, m, &ctrl), HB_DNN_API_USE_ERROR);
    assert_non_null(strstr(hb_dnn_last_message(), "has no resizer input"));
    hbDNNResizeCtrlParam rc;
    HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&rc);
    /* hbDNNResize takes Y / NV12 images only (test_dnn_resize.c) */
    assert_int_equal(hbDNNResize(&task, &out, &in, NULL, &rc), HB_DNN_INVALID_ARGUMENT);
    assert_non_null(strstr(hb_dnn_last_message(), "Y (0) and NV12 (1) are supported"));
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

static void bad_step_blob(sched_b *b)
{
    b->steps[0][4] = 7; /* CPU subgraph 7 does not exist */
}

static void bad_perm(sched_b *b)
{
    b->tens[1][56 + 4] = 0; /* output dimension map no longer a permutation */
}

static void bad_written(sched_b *b)
{
    b->steps[0][12] = 0; /* the step writes nothing: the output is never written */
}

/* Corrupt and inconsistent files are refused with INVALID_MODEL and a message. */
static void test_corrupt(void **state)
{
    (void)state;
    size_t n;
    uint8_t *img = make_cpu_image(1, &n, NULL);
    img[n / 2] ^= 0x40; /* CRC mismatch */
    load_image(img, n, HB_DNN_INVALID_MODEL);
    img[n / 2] ^= 0x40;
    load_image(img, n - 64, HB_DNN_INVALID_MODEL); /* truncated */
    free(img);
    void (*muts[3])(sched_b *) = {bad_step_blob, bad_perm, bad_written};
    const char *want[3] = {"blob 7 missing", "permutation", "never written"};
    for (int i = 0; i < 3; i++) {
        img = make_cpu_image(1, &n, muts[i]);
        load_image(img, n, HB_DNN_INVALID_MODEL);
        if (!strstr(hb_dnn_last_message(), want[i]))
            fail_msg("message '%s' lacks '%s'", hb_dnn_last_message(), want[i]);
        free(img);
    }
    /* HB_DNN_SIM_PLATFORM: another march is refused, an unknown value too, the right one loads */
    img = make_cpu_image(1, &n, NULL); /* bayes-e */
    setenv("HB_DNN_SIM_PLATFORM", "BERNOULLI2", 1);
    load_image(img, n, HB_DNN_INCOMPATIBLE_MODEL);
    assert_non_null(strstr(hb_dnn_last_message(), "bernoulli2"));
    setenv("HB_DNN_SIM_PLATFORM", "X5", 1);
    load_image(img, n, HB_DNN_INVALID_ARGUMENT);
    setenv("HB_DNN_SIM_PLATFORM", "BAYESE", 1);
    assert_int_equal(hbDNNRelease(load_image(img, n, 0)), 0);
    unsetenv("HB_DNN_SIM_PLATFORM");
    free(img);
    /* every single-byte corruption of the schedule is refused (a model that still loaded would
     * have to run correctly) */
    size_t sched_bytes = 32 + 2 * 104 + 48 + 2 * 4;
    int loaded = 0;
    for (long k = 0; k < (long)sched_bytes; k++) {
        static const uint8_t masks[3] = {0x01, 0x80, 0xFF};
        for (int f = 0; f < 3; f++) {
            g_flip_at = k;
            g_flip_mask = masks[f];
            img = make_cpu_image(1, &n, NULL);
            hbPackedDNNHandle_t p = NULL;
            const void *data[1] = {img};
            int32_t len[1] = {(int32_t)n};
            if (hbDNNInitializeFromDDR(&p, data, len, 1) == 0) {
                hbDNNHandle_t m;
                assert_int_equal(hbDNNGetModelHandle(&m, p, "tiny_conv"), 0);
                infer_check(m, 1, 7);
                assert_int_equal(hbDNNRelease(p), 0);
                loaded++;
            }
            free(img);
        }
    }
    g_flip_at = -1;
    assert_int_equal(loaded, 0); /* the schedule has no field whose corruption is harmless */
}

int main(void)
{
    setenv("HB_DNN_LOG_LEVEL", "5", 1); /* the error paths are expected: keep stderr quiet */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queries_and_infer), cmocka_unit_test(test_from_file),
        cmocka_unit_test(test_more_and_callback), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
