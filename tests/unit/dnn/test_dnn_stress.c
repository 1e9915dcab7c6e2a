/* Threading stress: 8 threads x 200 tasks over two models in two packed handles (the CPU model
 * and the BPU model), each task on its own buffers and input, all in flight against the library's
 * worker pool at once. Every output must equal, bit for bit, the output of the same input run
 * sequentially first (one task at a time). Meant for ASan and TSan builds as well. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "dnn_test_models.h"

#define THREADS 8
#define TASKS   200
#define INPUTS  16 /* distinct inputs per model */

typedef struct model_io {
    hbDNNHandle_t m;
    hbDNNTensorProperties ip, op;
    uint32_t in_bytes, out_bytes;
    uint8_t in[INPUTS][1536];
    uint8_t want[INPUTS][1024];
} model_io;

static model_io g_mod[2];
static int g_fail[THREADS];

/* Run input k of model mi on fresh buffers; copy the output to `out`. 0 or a status. */
static int32_t run_one(int mi, int k, uint8_t *out)
{
    model_io *md = &g_mod[mi];
    hbDNNTensor in, o, *op = &o;
    int32_t rc;
    if ((rc = alloc_tensor(&in, &md->ip)) != 0)
        return rc;
    if ((rc = alloc_tensor(&o, &md->op)) != 0) {
        hbSysFreeMem(&in.sysMem[0]);
        return rc;
    }
    memcpy(in.sysMem[0].virAddr, md->in[k], md->in_bytes);
    hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    ctrl.priority = k * 13 % 256; /* mixed priorities reorder the queue */
    rc = hbDNNInfer(&task, &op, &in, md->m, &ctrl);
    if (!rc)
        rc = hbDNNWaitTaskDone(task, 0);
    if (task)
        hbDNNReleaseTask(task);
    hbSysFlushMem(&o.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
    memcpy(out, o.sysMem[0].virAddr, md->out_bytes);
    hbSysFreeMem(&in.sysMem[0]);
    hbSysFreeMem(&o.sysMem[0]);
    return rc;
}

static void *thread_main(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint8_t out[1024];
    for (int i = 0; i < TASKS; i++) {
        int mi = (t + i) % 2, k = (t * 7 + i) % INPUTS;
        if (run_one(mi, k, out) != 0 || memcmp(out, g_mod[mi].want[k], g_mod[mi].out_bytes) != 0)
            g_fail[t]++;
    }
    return NULL;
}

static void test_stress(void **state)
{
    (void)state;
    size_t n[2];
    uint64_t cycles;
    uint32_t mhz;
    uint8_t *img[2] = {make_cpu_image(1, &n[0], NULL), make_lut_image(&n[1], &cycles, &mhz, 0)};
    const char *names[2] = {"tiny_conv", "lut_model"};
    hbPackedDNNHandle_t p[2];
    for (int mi = 0; mi < 2; mi++) {
        const void *data[1] = {img[mi]};
        int32_t len[1] = {(int32_t)n[mi]};
        assert_int_equal(hbDNNInitializeFromDDR(&p[mi], data, len, 1), 0);
        free(img[mi]);
        model_io *md = &g_mod[mi];
        assert_int_equal(hbDNNGetModelHandle(&md->m, p[mi], names[mi]), 0);
        hbDNNGetInputTensorProperties(&md->ip, md->m, 0);
        hbDNNGetOutputTensorProperties(&md->op, md->m, 0);
        md->in_bytes = (uint32_t)md->ip.alignedByteSize;
        md->out_bytes = (uint32_t)md->op.alignedByteSize;
        assert_true(md->in_bytes <= sizeof md->in[0] && md->out_bytes <= sizeof md->want[0]);
        for (int k = 0; k < INPUTS; k++) {
            float *x = (float *)(void *)md->in[k];
            for (uint32_t e = 0; e < md->in_bytes / 4; e++)
                x[e] = (float)(((int)e * 31 + k * 17) % 97 - 48) / 8.0f;
            /* sequential reference run */
            assert_int_equal(run_one(mi, k, md->want[k]), 0);
        }
        /* outputs depend on the input (a run that did nothing could not pass) */
        assert_memory_not_equal(md->want[0], md->want[1], md->out_bytes);
    }
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(g_fail[t], 0);
    for (int mi = 0; mi < 2; mi++)
        assert_int_equal(hbDNNRelease(p[mi]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
