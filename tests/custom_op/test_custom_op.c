/* Custom CPU operator plugins in the graph core (hbg/plugin.h, docs/custom-ops.md): registration
 * rules and errors, loading .so files (the sample and broken ones), the float executor running the
 * sample plugin against numpy (tests/data/custom_op/make_model.py), attributes, refusals, and CPU
 * subgraph serialisation by op type name. The registry is per process and only grows, so the
 * tests share it: names are distinct per test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hbc/onnx_io.h"
#include "hbg/exec.h"
#include "hbg/npy.h"
#include "hbg/plugin.h"
#include "hbg/serialize.h"

#define DATA HB_SOURCE_DIR "/tests/data/custom_op/"

/* ---- an in-process operator: y = x * scale + sum(offsets); mode must be "affine" ---------- */

static int32_t affine_infer(const hbCustomOpContext *ctx, int32_t numInputs,
                            const hbCustomOpTensor *in, int32_t numOutputs, hbCustomOpTensor *out,
                            size_t *scratchBytes)
{
    const char *mode = NULL;
    (void)numInputs;
    (void)numOutputs;
    if (ctx->getAttrString(ctx, "mode", &mode) != 0 || strcmp(mode, "affine") != 0) {
        snprintf(ctx->error, ctx->errorSize, "mode must be \"affine\"");
        return -1;
    }
    out[0] = in[0];
    out[0].data = NULL;
    *scratchBytes = 100; /* checked by the kernel: the host must hand it over */
    return 0;
}

static int32_t affine_compute(const hbCustomOpContext *ctx, int32_t numInputs,
                              const hbCustomOpTensor *in, int32_t numOutputs, hbCustomOpTensor *out,
                              void *scratch)
{
    float scale = 1.0f;
    const int64_t *offs = NULL;
    int32_t n_offs = 0;
    int64_t wrong = 0, n = 1;
    (void)numInputs;
    (void)numOutputs;
    if (!scratch || ((uintptr_t)scratch % 64) != 0)
        return -1;
    (void)ctx->getAttrFloat(ctx, "scale", &scale);
    /* scale is a FLOAT: the INT accessor must refuse it */
    if (ctx->getAttrInt(ctx, "scale", &wrong) == 0)
        return -1;
    float add = 0.0f;
    if (ctx->getAttrInts(ctx, "offsets", &offs, &n_offs) == 0)
        for (int32_t i = 0; i < n_offs; i++)
            add += (float)offs[i];
    for (int32_t d = 0; d < in[0].rank; d++)
        n *= in[0].dims[d];
    for (int64_t i = 0; i < n; i++)
        ((float *)out[0].data)[i] = ((const float *)in[0].data)[i] * scale + add;
    return 0;
}

static const hbCustomOpV1 affine_ops[] = {
    {"TestAffine", 1, 1, 1, affine_infer, affine_compute},
};
static const hbCustomOpLibraryV1 affine_lib = {HB_CUSTOM_OP_ABI_VERSION, 1, affine_ops};

static void expect_err(hbg_status got, hbg_status want, const char *err, const char *part)
{
    assert_int_equal(got, want);
    if (!strstr(err, part))
        fail_msg("message '%s' lacks '%s'", err, part);
}

static void test_register_errors(void **state)
{
    char err[512];
    (void)state;
    hbCustomOpV1 op = affine_ops[0];
    hbCustomOpLibraryV1 lib = {HB_CUSTOM_OP_ABI_VERSION, 1, &op};
    expect_err(hbg_plugin_register(NULL, "x.so", err, sizeof err), HBG_E_INVALID, err,
               "no library");
    lib.abiVersion = 2;
    expect_err(hbg_plugin_register(&lib, "x.so", err, sizeof err), HBG_E_INVALID, err,
               "ABI version 2");
    lib.abiVersion = HB_CUSTOM_OP_ABI_VERSION;
    lib.numOps = 0;
    expect_err(hbg_plugin_register(&lib, "x.so", err, sizeof err), HBG_E_INVALID, err,
               "0 operators");
    lib.numOps = 1;
    op.opType = "ErrOp";
    op.compute = NULL;
    expect_err(hbg_plugin_register(&lib, "x.so", err, sizeof err), HBG_E_INVALID, err,
               "lacks its compute");
    op.compute = affine_compute;
    op.numOutputs = 0;
    expect_err(hbg_plugin_register(&lib, "x.so", err, sizeof err), HBG_E_INVALID, err, "outputs 0");
    op.numOutputs = 1;
    op.opType = "Conv";
    expect_err(hbg_plugin_register(&lib, "x.so", err, sizeof err), HBG_E_INVALID, err,
               "'Conv' is a built-in operator");
    hbCustomOpV1 twice[2] = {affine_ops[0], affine_ops[0]};
    twice[0].opType = twice[1].opType = "TwiceOp";
    hbCustomOpLibraryV1 lib2 = {HB_CUSTOM_OP_ABI_VERSION, 2, twice};
    expect_err(hbg_plugin_register(&lib2, "x.so", err, sizeof err), HBG_E_INVALID, err,
               "listed twice");
    /* nothing of a refused library is registered */
    assert_null(hbg_plugin_find("ErrOp"));
    assert_null(hbg_plugin_find("TwiceOp"));
    assert_int_equal(hbg_op_from_name("TwiceOp"), HBG_OP_UNKNOWN);
}

static void test_register_idempotent_and_clash(void **state)
{
    char err[512];
    (void)state;
    assert_int_equal(hbg_plugin_register(&affine_lib, NULL, err, sizeof err), HBG_OK);
    assert_int_equal(hbg_plugin_register(&affine_lib, NULL, err, sizeof err), HBG_OK);
    assert_ptr_equal(hbg_plugin_find("TestAffine"), &affine_ops[0]);
    assert_int_equal(hbg_op_from_name("TestAffine"), HBG_OP_CUSTOM);
    assert_string_equal(hbg_op_name(HBG_OP_CUSTOM), "Custom");
    /* the same name from another entry is a clash */
    hbCustomOpV1 other = affine_ops[0];
    hbCustomOpLibraryV1 lib = {HB_CUSTOM_OP_ABI_VERSION, 1, &other};
    expect_err(hbg_plugin_register(&lib, "other.so", err, sizeof err), HBG_E_INVALID, err,
               "'TestAffine' is already registered by another library");
    assert_ptr_equal(hbg_plugin_find("TestAffine"), &affine_ops[0]);
}

static void test_load_errors(void **state)
{
    char err[1024];
    (void)state;
    expect_err(hbg_plugin_load(DATA "no_such_plugin.so", err, sizeof err), HBG_E_IO, err,
               "no_such_plugin.so': cannot load");
    expect_err(hbg_plugin_load(BAD_NOSYM_SO, err, sizeof err), HBG_E_INVALID, err,
               "no symbol hb_custom_op_plugin_v1");
    expect_err(hbg_plugin_load(BAD_VERSION_SO, err, sizeof err), HBG_E_INVALID, err,
               "ABI version 99");
    expect_err(hbg_plugin_load(BAD_BUILTIN_SO, err, sizeof err), HBG_E_INVALID, err,
               "'Relu' is a built-in operator");
    assert_null(hbg_plugin_find("BadOp"));
    assert_int_equal(hbg_op_from_name("Relu"), HBG_OP_RELU);
}

/* Run the sample model with its input; *out receives a copy of output 0 (numel floats). */
static void run_swish(hbg_graph *g, float **out, int64_t *numel)
{
    char err[512];
    hbg_tensor *x = NULL;
    hbg_exec *e = NULL;
    assert_int_equal(hbg_npy_load(DATA "input.npy", "data", &x, err, sizeof err), HBG_OK);
    if (hbg_exec_create(g, &e) != HBG_OK)
        fail_msg("%s", g->err);
    memcpy(g->tensors[g->inputs[0]]->data, x->data, (size_t)hbg_tensor_nbytes(x));
    if (hbg_exec_run(e) != HBG_OK)
        fail_msg("%s", g->err);
    const hbg_tensor *y = g->tensors[g->outputs[0]];
    *numel = hbg_tensor_numel(y);
    *out = malloc((size_t)*numel * sizeof **out);
    assert_non_null(*out);
    memcpy(*out, y->data, (size_t)*numel * sizeof **out);
    hbg_exec_free(e);
    hbg_tensor_free(x);
}

static void test_sample_plugin_float(void **state)
{
    char err[1024];
    hbg_graph *g = NULL, *g2 = NULL;
    hbg_tensor *ref = NULL;
    float *y = NULL, *y2 = NULL;
    int64_t n = 0, n2 = 0;
    uint8_t *blob = NULL;
    size_t blob_size = 0;
    (void)state;
    /* before registration the loader keeps the node as an unknown op */
    assert_int_equal(hbc_onnx_load_file(DATA "swish.onnx", &g, err, sizeof err), HBG_OK);
    assert_int_equal(g->nodes[1].op, HBG_OP_UNKNOWN);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_E_UNSUPPORTED);
    hbg_graph_free(g);
    g = NULL;

    if (hbg_plugin_load(SAMPLE_SO, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_int_equal(hbg_plugin_load(SAMPLE_SO, err, sizeof err), HBG_OK); /* idempotent */
    assert_int_equal(hbc_onnx_load_file(DATA "swish.onnx", &g, err, sizeof err), HBG_OK);
    assert_int_equal(g->nodes[1].op, HBG_OP_CUSTOM);
    assert_string_equal(g->nodes[1].op_type, "SampleSwish");
    run_swish(g, &y, &n);
    assert_int_equal(hbg_npy_load(DATA "expected.npy", "out", &ref, err, sizeof err), HBG_OK);
    assert_int_equal(hbg_tensor_numel(ref), n);
    double max_err = 0;
    for (int64_t i = 0; i < n; i++)
        max_err = fmax(max_err, fabs((double)y[i] - ((const float *)ref->data)[i]));
    /* float32 kernels vs the float64 numpy reference, values of magnitude ~1 */
    if (max_err > 1e-4)
        fail_msg("max |float executor - numpy| = %g", max_err);

    /* the CPU subgraph form stores the op type name and reads it back while registered */
    assert_int_equal(hbg_serialize(g, &blob, &blob_size), HBG_OK);
    if (hbg_deserialize(blob, blob_size, &g2, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_int_equal(g2->nodes[1].op, HBG_OP_CUSTOM);
    assert_string_equal(g2->nodes[1].op_type, "SampleSwish");
    run_swish(g2, &y2, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(y, y2, (size_t)n * sizeof *y);
    free(blob);
    free(y);
    free(y2);
    hbg_tensor_free(ref);
    hbg_graph_free(g);
    hbg_graph_free(g2);
}

/* data 2x3 -> TestAffine(mode, scale 2, offsets {1, 2}) -> y; checks attributes and scratch. */
static hbg_graph *affine_graph(const char *mode)
{
    hbg_graph *g = hbg_graph_create();
    hbg_node *n = NULL;
    const char *in[1] = {"data"}, *out[1] = {"y"};
    int64_t dims[2] = {2, 3};
    assert_non_null(g);
    int x = hbg_graph_tensor(g, "data");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 2, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, x), HBG_OK);
    assert_int_equal(hbg_graph_add_node(g, "TestAffine", "", "aff", 1, in, 1, out, &n), HBG_OK);
    assert_int_equal(n->op, HBG_OP_CUSTOM);
    hbg_attr *a = hbg_node_add_attr(n, "mode", HBG_ATTR_STRING);
    a->s = strdup(mode);
    a = hbg_node_add_attr(n, "scale", HBG_ATTR_FLOAT);
    a->f = 2.0f;
    a = hbg_node_add_attr(n, "offsets", HBG_ATTR_INTS);
    a->ints = malloc(2 * sizeof *a->ints);
    a->ints[0] = 1;
    a->ints[1] = 2;
    a->n = 2;
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "y")), HBG_OK);
    return g;
}

static void test_attributes_and_refusal(void **state)
{
    char err[512];
    hbg_exec *e = NULL;
    (void)state;
    assert_int_equal(hbg_plugin_register(&affine_lib, NULL, err, sizeof err), HBG_OK);
    hbg_graph *g = affine_graph("affine");
    if (hbg_exec_create(g, &e) != HBG_OK)
        fail_msg("%s", g->err);
    float *x = g->tensors[g->inputs[0]]->data;
    for (int i = 0; i < 6; i++)
        x[i] = (float)i - 2.5f;
    assert_int_equal(hbg_exec_run(e), HBG_OK);
    const float *y = g->tensors[g->outputs[0]]->data;
    for (int i = 0; i < 6; i++) /* hand derivation: 2x + 3 */
        assert_true(y[i] == 2.0f * ((float)i - 2.5f) + 3.0f);
    hbg_exec_free(e);
    hbg_graph_free(g);

    g = affine_graph("other");
    e = NULL;
    expect_err(hbg_exec_create(g, &e), HBG_E_INVALID, g->err,
               "node 'aff' (TestAffine): custom op plugin refused the node: mode must be");
    assert_null(e);
    hbg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_errors),
        cmocka_unit_test(test_register_idempotent_and_clash),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_sample_plugin_float),
        cmocka_unit_test(test_attributes_and_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
