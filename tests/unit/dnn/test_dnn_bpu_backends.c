/* The two backends of libdnn (docs/runtime-api.md, section Backends) on the LUT model of
 * dnn_test_models.h (7 instructions: LOAD table, LOAD input, SYNC, LUT, SYNC, STORE, END):
 * HB_DNN_BACKEND selects `sim` or `board` and rejects anything else; both give the same bytes and
 * the same modelled counters (cycles = the static estimate, DDR bytes = the two LOADs and the
 * STORE of the program); the `sim` backend's HB_DNN_SIM_TRACE writes one line per instruction;
 * counters of a task that failed are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_bpu.h"
#include "dnn_internal.h"
#include "dnn_test_models.h"

typedef struct run_result {
    float y[C * H * W];
    hbDNNTaskBpuCounters ctr;
    char backend[8];
} run_result;

/* Load the LUT model (its STORE at store_off) from memory; returns hbDNNInitializeFromDDR's
 * status, *p the handle, *cycles the program's static estimate. */
static int32_t load_lut(uint32_t store_off, hbPackedDNNHandle_t *p, uint64_t *cycles)
{
    size_t n;
    uint32_t mhz;
    uint64_t cy;
    uint8_t *img = make_lut_image(&n, cycles ? cycles : &cy, &mhz, store_off);
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    *p = NULL;
    int32_t rc = hbDNNInitializeFromDDR(p, data, len, 1);
    free(img);
    return rc;
}

/* Load the LUT model with HB_DNN_BACKEND=backend, run one inference, keep outputs + counters. */
static void run_with(const char *backend, run_result *r, uint64_t *est_cycles)
{
    assert_int_equal(setenv("HB_DNN_BACKEND", backend, 1), 0);
    hbPackedDNNHandle_t p;
    assert_int_equal(load_lut(0, &p, est_cycles), 0);
    hbDNNHandle_t m;
    assert_int_equal(hbDNNGetModelHandle(&m, p, "lut_model"), 0);
    const char *name = NULL;
    assert_int_equal(hbDNNGetBackendName(&name, m), 0);
    snprintf(r->backend, sizeof r->backend, "%s", name);
    hbDNNTensorProperties ip, op;
    hbDNNGetInputTensorProperties(&ip, m, 0);
    hbDNNGetOutputTensorProperties(&op, m, 0);
    hbDNNTensor in, out, *outp = &out;
    assert_int_equal(alloc_tensor(&in, &ip), 0);
    assert_int_equal(alloc_tensor(&out, &op), 0);
    float *x = in.sysMem[0].virAddr;
    for (int i = 0; i < C * H * W; i++)
        x[i] = (float)(i * 29 % 53 - 26) * 0.25f;
    hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    hbDNNTaskHandle_t task = NULL;
    assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
    assert_int_equal(hbDNNGetTaskBpuCounters(&r->ctr, task), 0);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    hbSysFlushMem(&out.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
    memcpy(r->y, out.sysMem[0].virAddr, sizeof r->y);
    for (int i = 0; i < C * H * W; i++) /* the written semantics, as test_dnn_bpu checks them */
        assert_true(r->y[i] == expected(x[i], i / (H * W)));
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
    assert_int_equal(unsetenv("HB_DNN_BACKEND"), 0);
}

static void test_backends_agree(void **state)
{
    (void)state;
    static run_result a, b;
    uint64_t est_a = 0, est_b = 0;
    run_with("sim", &a, &est_a);
    run_with("BOARD", &b, &est_b); /* any case */
    assert_string_equal(a.backend, "sim");
    assert_string_equal(b.backend, "board");
    assert_memory_equal(a.y, b.y, sizeof a.y);
    for (int k = 0; k < 2; k++) {
        const hbDNNTaskBpuCounters *c = k ? &b.ctr : &a.ctr;
        assert_int_equal(c->cycles, k ? est_b : est_a);
        assert_int_equal(c->bpuSteps, 1);
        assert_int_equal(c->macs, 0);
        assert_int_equal(c->ddrLoadBytes, 256 + MAP); /* the table and the input map */
        assert_int_equal(c->ddrStoreBytes, MAP);
        assert_int_equal(c->clockMhz, 1250); /* bayes-e */
    }
}

static void test_unknown_backend(void **state)
{
    (void)state;
    hbPackedDNNHandle_t p;
    assert_int_equal(setenv("HB_DNN_BACKEND", "fpga", 1), 0);
    assert_int_equal(load_lut(0, &p, NULL), HB_DNN_INVALID_ARGUMENT);
    assert_null(p);
    assert_int_equal(unsetenv("HB_DNN_BACKEND"), 0);
}

static void test_sim_trace(void **state)
{
    (void)state;
    char path[] = "hb_dnn_trace_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(setenv("HB_DNN_SIM_TRACE", path, 1), 0);
    static run_result r;
    uint64_t est = 0;
    run_with("sim", &r, &est);
    assert_int_equal(unsetenv("HB_DNN_SIM_TRACE"), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256], op[16], q[16];
    unsigned step, insn;
    unsigned long long start, end, last_end = 0;
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        assert_int_equal(sscanf(line, "lut_model step %u insn %u %15s %15s %llu %llu", &step, &insn,
                                op, q, &start, &end),
                         6);
        assert_int_equal(step, 1); /* schedule step 1: after the quantize step */
        assert_true(start <= end);
        last_end = end;
        lines++;
    }
    fclose(f);
    remove(path);
    assert_int_equal(lines, 7);     /* every instruction once */
    assert_string_equal(op, "end"); /* the last line is the END barrier */
    assert_string_equal(q, "barrier");
    assert_int_equal(last_end, est); /* END retires at the modelled cycle count */

    /* a trace file that cannot be opened fails the load, naming the variable */
    assert_int_equal(setenv("HB_DNN_SIM_TRACE", "no/such/dir/trace.txt", 1), 0);
    hbPackedDNNHandle_t p;
    assert_int_equal(setenv("HB_DNN_BACKEND", "sim", 1), 0);
    assert_int_equal(load_lut(0, &p, NULL), HB_DNN_CAN_NOT_OPEN_FILE);
    assert_non_null(strstr(hb_dnn_last_message(), "HB_DNN_SIM_TRACE"));
    /* the board backend has no trace: it loads (with a warning) */
    assert_int_equal(setenv("HB_DNN_BACKEND", "board", 1), 0);
    assert_int_equal(load_lut(0, &p, NULL), 0);
    assert_int_equal(hbDNNRelease(p), 0);
    assert_int_equal(unsetenv("HB_DNN_SIM_TRACE"), 0);
    assert_int_equal(unsetenv("HB_DNN_BACKEND"), 0);
}

/* A task whose BPU step faults (its STORE, at offset 8, leaves segment 2) has no counters. */
static void test_counters_of_failed_task(void **state)
{
    (void)state;
    hbPackedDNNHandle_t p;
    assert_int_equal(load_lut(8, &p, NULL), 0);
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
    hbDNNTaskHandle_t task = NULL;
    assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), 0);
    assert_int_equal(hbDNNWaitTaskDone(task, 0), HB_DNN_RUN_TASK_FAILED);
    hbDNNTaskBpuCounters c;
    assert_int_equal(hbDNNGetTaskBpuCounters(&c, task), HB_DNN_API_USE_ERROR);
    assert_int_equal(hbDNNGetTaskBpuCounters(NULL, task), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNReleaseTask(task), 0);
    assert_int_equal(hbDNNGetTaskBpuCounters(&c, task), HB_DNN_INVALID_TASK_HANDLE);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&out.sysMem[0]);
    assert_int_equal(hbDNNRelease(p), 0);
}

int main(void)
{
    setenv("HB_DNN_LOG_LEVEL", "5", 1); /* the refusals above log errors on purpose */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backends_agree),
        cmocka_unit_test(test_unknown_backend),
        cmocka_unit_test(test_sim_trace),
        cmocka_unit_test(test_counters_of_failed_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
