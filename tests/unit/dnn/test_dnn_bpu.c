/* libdnn with a BPU step: a hand-assembled program (LOAD table, LOAD input, LUT, STORE) wrapped
 * as BPU subgraph 0 between a quantize and a per-channel dequantize step, run on the `sim`
 * backend. Expected values are computed here with scalar code from the written semantics
 * (docs/quantized-ops.md Quantize / Dequantize, docs/bpu-isa.md LUT); the modelled latency is
 * checked against the simulator's static estimate of the same program, and the cache protocol
 * (missing CLEAN / INVALIDATE gives stale data) is exercised. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "bpu/sim.h"
#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn_test_models.h"

static void test_bpu_model(void **state)
{
    (void)state;
    size_t n;
    uint64_t cycles;
    uint32_t mhz;
    uint8_t *img = make_lut_image(&n, &cycles, &mhz, 0);
    hbPackedDNNHandle_t p = NULL;
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), 0);
    free(img);
    hbDNNHandle_t m;
    assert_int_equal(hbDNNGetModelHandle(&m, p, "lut_model"), 0);
    int32_t lat = 0;
    assert_int_equal(hbDNNGetEstimateLatency(&lat, m), 0);
    assert_true(cycles > 0);
    assert_int_equal(lat, (int32_t)((cycles + mhz - 1) / mhz));

    hbDNNTensorProperties ip, op;
    hbDNNGetInputTensorProperties(&ip, m, 0);
    hbDNNGetOutputTensorProperties(&op, m, 0);
    hbDNNTensor in, out, *outp = &out;
    assert_int_equal(alloc_tensor(&in, &ip), 0);
    assert_int_equal(alloc_tensor(&out, &op), 0);
    float x[C * H * W];
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)(i * 37 % 61 - 30) * 0.25f; /* beyond +-6.35 saturates */
    memcpy(in.sysMem[0].virAddr, x, sizeof x);
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);

    /* 1: no CLEAN: the device still sees zeros; no INVALIDATE: the CPU still sees zeros */
    hbDNNTaskHandle_t task = NULL;
    assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    const float *y = out.sysMem[0].virAddr;
    for (int i = 0; i < C * H * W; i++)
        assert_true(y[i] == 0.0f);
    hbSysFlushMem(&out.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
    for (int i = 0; i < C * H * W; i++)
        assert_true(y[i] == expected(0.0f, i / (H * W)));

    /* 2: the protocol followed */
    hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    task = NULL;
    assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 1000 * 60), 0);
    int32_t est = 0;
    assert_int_equal(hbDNNGetTaskEstimateTime(&est, task), 0);
    assert_int_equal(est, lat);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    hbSysFlushMem(&out.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
    int saturated = 0;
    for (int i = 0; i < C * H * W; i++) {
        float want = expected(x[i], i / (H * W));
        if (y[i] != want)
            fail_msg("y[%d] = %.9g, want %.9g (x = %g)", i, (double)y[i], (double)want,
                     (double)x[i]);
        saturated += fabsf(x[i]) > 6.4f;
    }
    assert_true(saturated > 0);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

/* A program that faults at run time (its STORE leaves segment 2) fails its task cleanly with
 * HB_DNN_RUN_TASK_FAILED; the model stays usable. A corrupt image is refused at load. */
static void test_bpu_fault(void **state)
{
    (void)state;
    size_t n;
    uint64_t cycles;
    uint32_t mhz;
    uint8_t *img = make_lut_image(&n, &cycles, &mhz, 8);
    hbPackedDNNHandle_t p = NULL;
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), 0);
    hbDNNHandle_t m;
    assert_int_equal(hbDNNGetModelHandle(&m, p, "lut_model"), 0);
    hbDNNTensorProperties ip, op;
    hbDNNGetInputTensorProperties(&ip, m, 0);
    hbDNNGetOutputTensorProperties(&op, m, 0);
    hbDNNTensor in, out, *outp = &out;
    assert_int_equal(alloc_tensor(&in, &ip), 0);
    assert_int_equal(alloc_tensor(&out, &op), 0);
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    for (int rep = 0; rep < 2; rep++) {
        hbDNNTaskHandle_t task = NULL;
        assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), 0);
        assert_int_equal(hbDNNWaitTaskDone(task, 0), HB_DNN_RUN_TASK_FAILED);
        assert_int_equal(hbDNNReleaseTask(task), 0);
    }
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
    img[0] ^= 1; /* magic */
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), HB_DNN_INVALID_MODEL);
    free(img);
}

int main(void)
{
    setenv("HB_DNN_LOG_LEVEL", "5", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpu_model),
        cmocka_unit_test(test_bpu_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
