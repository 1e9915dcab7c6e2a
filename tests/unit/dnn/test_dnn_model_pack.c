/* The whole chain on the committed quantized fixtures of tests/data/quant: hbc_compile, the packer
 * (hb_bin/model_pack.h) to a .bin image, libdnn loading it and running it on the simulator. Every
 * output must equal, bit for bit, the integer reference executor (hbc_qexec) run on the quantized
 * graph, and agree with the independent numpy goldens of the fixtures (tests/quant/qref.py) within
 * 1e-5 relative (CPU float ops such as Softmax are not bit-exact across implementations). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "hb_bin/model_pack.h"
#include "hbc/onnx_io.h"
#include "hbc/quant.h"
#include "hbg/npy.h"

static void check_fixture(const char *name, int runs)
{
    char path[512], err[512];
    hbg_graph *g = NULL;
    hbc_compiled *cm = NULL;
    snprintf(path, sizeof path, "%s/tests/data/quant/%s/model.onnx", HB_SOURCE_DIR, name);
    if (hbc_onnx_load_file(path, &g, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    if (hbc_compile(g, NULL, &cm, err, sizeof err) != HBG_OK)
        fail_msg("%s: compile: %s", name, err);
    uint16_t tc[3] = {0, 1, 0};
    hbbw *w = hbbw_create(HBBIN_MARCH_BAYES_E, tc);
    uint32_t mi;
    if (hbmp_add_model(w, name, g, cm, &mi, err, sizeof err) != HBG_OK)
        fail_msg("%s: pack: %s", name, err);
    uint8_t *img = NULL;
    size_t n = 0;
    if (hbbw_serialize(w, &img, &n, err, sizeof err) != HBBIN_OK)
        fail_msg("%s: %s", name, err);
    hbbw_free(w);
    hbPackedDNNHandle_t p = NULL;
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), 0);
    free(img);
    hbDNNHandle_t m;
    assert_int_equal(hbDNNGetModelHandle(&m, p, name), 0);
    int32_t ni, no;
    hbDNNGetInputCount(&ni, m);
    hbDNNGetOutputCount(&no, m);
    assert_int_equal(ni, g->n_inputs);
    assert_int_equal(no, g->n_outputs);
    assert_int_equal(ni, 1);
    hbc_qexec *qe = NULL;
    if (hbc_qexec_create(g, &qe) != HBG_OK)
        fail_msg("%s: %s", name, g->err);
    int32_t lat = 0;
    assert_int_equal(hbDNNGetEstimateLatency(&lat, m), 0);
    assert_true(lat > 0);

    for (int r = 0; r < runs; r++) {
        hbg_tensor *x = NULL;
        snprintf(path, sizeof path, "%s/tests/data/quant/%s/input_%d.npy", HB_SOURCE_DIR, name, r);
        assert_int_equal(hbg_npy_load(path, "x", &x, err, sizeof err), HBG_OK);
        hbDNNTensorProperties ip;
        hbDNNTensor in, out[16], *outp = out;
        assert_true(no <= 16);
        hbDNNGetInputTensorProperties(&ip, m, 0);
        assert_int_equal(ip.alignedByteSize, (int32_t)hbg_tensor_nbytes(x));
        in.properties = ip;
        assert_int_equal(hbSysAllocCachedMem(&in.sysMem[0], (uint32_t)ip.alignedByteSize), 0);
        memcpy(in.sysMem[0].virAddr, x->data, (size_t)ip.alignedByteSize);
        hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
        for (int o = 0; o < no; o++) {
            hbDNNGetOutputTensorProperties(&out[o].properties, m, o);
            assert_int_equal(
                hbSysAllocCachedMem(&out[o].sysMem[0], (uint32_t)out[o].properties.alignedByteSize),
                0);
        }
        hbDNNTaskHandle_t task = NULL;
        hbDNNInferCtrlParam ctrl;
        HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
        assert_int_equal(hbDNNInfer(&task, &outp, &in, m, &ctrl), 0);
        assert_int_equal(hbDNNWaitTaskDone(task, 0), 0);
        hbDNNReleaseTask(task);
        /* the reference */
        memcpy(g->tensors[g->inputs[0]]->data, x->data, (size_t)ip.alignedByteSize);
        assert_int_equal(hbc_qexec_run(qe), HBG_OK);
        for (int o = 0; o < no; o++) {
            hbSysFlushMem(&out[o].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
            const hbg_tensor *ref = g->tensors[g->outputs[o]];
            size_t nb = (size_t)hbg_tensor_nbytes(ref);
            assert_int_equal(out[o].properties.alignedByteSize, (int32_t)nb);
            if (memcmp(out[o].sysMem[0].virAddr, ref->data, nb) != 0)
                fail_msg("%s run %d output %d '%s': differs from the integer reference", name, r, o,
                         ref->name);
            hbg_tensor *gold = NULL;
            snprintf(path, sizeof path, "%s/tests/data/quant/%s/golden_%d_out%d.npy", HB_SOURCE_DIR,
                     name, r, o);
            assert_int_equal(hbg_npy_load(path, "gold", &gold, err, sizeof err), HBG_OK);
            assert_int_equal(hbg_tensor_nbytes(gold), (int64_t)nb);
            if (ref->dtype == HBG_DT_F32) {
                const float *a = out[o].sysMem[0].virAddr, *b = gold->data;
                for (size_t e = 0; e < nb / 4; e++)
                    if (fabsf(a[e] - b[e]) > 1e-5f * (1.0f + fabsf(b[e])))
                        fail_msg("%s run %d output %d [%zu]: %.9g vs golden %.9g", name, r, o, e,
                                 (double)a[e], (double)b[e]);
            } else {
                assert_memory_equal(out[o].sysMem[0].virAddr, gold->data, nb);
            }
            hbg_tensor_free(gold);
            hbSysFreeMem(&out[o].sysMem[0]);
        }
        hbSysFreeMem(&in.sysMem[0]);
        hbg_tensor_free(x);
    }
    hbc_qexec_free(qe);
    assert_int_equal(hbDNNRelease(p), 0);
    hbc_compiled_free(cm);
    hbg_graph_free(g);
}

static void test_cifar10_quick(void **state)
{
    (void)state;
    check_fixture("cifar10_quick", 4);
}

static void test_synthetic(void **state)
{
    (void)state;
    check_fixture("synthetic", 2);
}

static void test_yunet(void **state)
{
    (void)state;
    check_fixture("yunet", 2);
}

static void test_shufflenet_tv(void **state)
{
    (void)state;
    check_fixture("shufflenet_tv", 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cifar10_quick),
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_yunet),
        cmocka_unit_test(test_shufflenet_tv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
