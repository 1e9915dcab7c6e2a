/* The committed quantized fixtures of tests/data/quant (cifar10_quick, synthetic, yunet,
 * shufflenet_tv) on their committed inputs: every BPU subgraph on the simulator must equal the
 * integer reference executor bit for bit, under every kernel variant of this CPU, at O0 and O3, on
 * bayes-e and bernoulli2. The executor itself is checked against the numpy goldens by
 * test_quant_models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler_test_util.h"
#include "hbc/onnx_io.h"
#include "hbg/npy.h"

#define MAX_RUNS 4

/* Check one fixture; expect_refused: nodes that must stay on the CPU with a reason. */
static void check_fixture(const char *name, int runs, int expect_refused)
{
    char path[512], err[512];
    hbg_graph *g = NULL;
    hbg_tensor *in[MAX_RUNS] = {NULL};
    const float *data[MAX_RUNS];
    snprintf(path, sizeof path, "%s/tests/data/quant/%s/model.onnx", HB_SOURCE_DIR, name);
    assert_int_equal(hbc_onnx_load_file(path, &g, err, sizeof err), HBG_OK);
    for (int r = 0; r < runs; r++) {
        snprintf(path, sizeof path, "%s/tests/data/quant/%s/input_%d.npy", HB_SOURCE_DIR, name, r);
        assert_int_equal(hbg_npy_load(path, "x", &in[r], err, sizeof err), HBG_OK);
        data[r] = in[r]->data;
    }
    static const struct {
        bpu_march_id march;
        int olevel;
    } cfg[] = {{BPU_MARCH_BAYES_E, 3}, {BPU_MARCH_BAYES_E, 0}, {BPU_MARCH_BERNOULLI2, 3}};
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        ct_stats st;
        int rc = ct_run(g, cfg[k].march, cfg[k].olevel, runs, data, &st, err, sizeof err);
        if (rc)
            fail_msg("%s: %s", name, err);
        print_message("%s %s O%d: %d subgraphs, %d BPU nodes, %d refused (%s), %d variants, "
                      "%lld elements, %lld mismatches %s; %llu cycles\n",
                      name, bpu_march_get(cfg[k].march)->name, cfg[k].olevel, st.subgraphs,
                      st.bpu_nodes, st.cpu_refused, st.first_refused, st.variants, st.elements,
                      st.mismatches, st.first_mismatch, (unsigned long long)st.last.cycles);
        assert_true(st.subgraphs >= 1);
        assert_true(st.variants >= 1);
        assert_true(st.elements > 0);
        assert_int_equal(st.mismatches, 0);
        assert_int_equal(st.cpu_refused, expect_refused);
        assert_int_equal(st.unscaled, 0);
    }
    for (int r = 0; r < runs; r++)
        hbg_tensor_free(in[r]);
    hbg_graph_free(g);
}

static void test_cifar10_quick(void **state)
{
    (void)state;
    check_fixture("cifar10_quick", 4, 0);
}

/* Everything but the float Relu placed on the CPU (the Flatten feeding a Dequantize keeps its
 * NHWC map with the layout saying so). */
static void test_synthetic(void **state)
{
    (void)state;
    check_fixture("synthetic", 2, 0);
}

/* Everything, including the 12 Transpose(0,2,3,1) + Reshape output heads (row-major maps). */
static void test_yunet(void **state)
{
    (void)state;
    check_fixture("yunet", 2, 0);
}

/* Everything: the channel Gathers and channel-step Slices as 0/1 convolutions, the Concats. */
static void test_shufflenet_tv(void **state)
{
    (void)state;
    check_fixture("shufflenet_tv", 2, 0);
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
