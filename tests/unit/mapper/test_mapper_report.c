/* The accuracy report of makertbin (converter/report, hbc_report.h): the exact text of the framed
 * tables and of the JSON file for a hand-built report, the sensitivity ranking order, and
 * hbc_report_build on a one-node graph whose figures are derived by hand below. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hbc/quant.h"
#include "hbc_report.h"

/* Three nodes: a BPU Conv with a long name, a BPU Relu, a CPU Softmax; one output. */
static void make_report(hbc_report *r)
{
    static char conv[] = "a_very_long_node_name_that_does_not_fit_in_the_column", relu[] = "relu1",
                soft[] = "prob", tconv[] = "Conv", trelu[] = "Relu", tsoft[] = "Softmax",
                out[] = "prob";
    static hbc_report_node nodes[3];
    static hbc_report_output outputs[1];
    nodes[0] = (hbc_report_node){conv, tconv, 1, 0, 0.99, 0.995, 12.5, "int8", "int8"};
    nodes[1] = (hbc_report_node){relu, trelu, 1, 0, 0.98, 0.9, 6.0, "int8", "int32"};
    nodes[2] = (hbc_report_node){soft, tsoft, 0, -1, 0.97, NAN, NAN, "float", "float"};
    outputs[0] = (hbc_report_output){out, {0.97, 0.001, 0.002, 0.5}};
    *r = (hbc_report){3, 1, nodes, outputs, 1};
}

static void test_node_table(void **state)
{
    (void)state;
    hbc_report r;
    make_report(&r);
    char *t = hbc_report_node_table(&r);
    assert_non_null(t);
    assert_string_equal(
        t, "==============================================================================="
           "================================\n"
           "Node                                      ON   Subgraph  Type     Cosine Similarity  "
           "Threshold  In/Out DataType\n"
           "-------------------------------------------------------------------------------"
           "--------------------------------\n"
           "..._name_that_does_not_fit_in_the_column  BPU  id(0)     Conv     0.990000           "
           "12.500000  int8/int8\n"
           "relu1                                     BPU  id(0)     Relu     0.980000           "
           "6.000000   int8/int32\n"
           "prob                                      CPU  --        Softmax  0.970000           "
           "--         float/float");
    free(t);
}

static void test_output_table(void **state)
{
    (void)state;
    hbc_report r;
    make_report(&r);
    char *t = hbc_report_output_table(&r);
    assert_non_null(t);
    assert_string_equal(t,
                        "=======================================================================\n"
                        "Output  Cosine Similarity  L1 Distance  L2 Distance  Chebyshev Distance\n"
                        "-----------------------------------------------------------------------\n"
                        "prob    0.970000           0.001000     0.002000     0.500000");
    free(t);
}

static void test_ranking(void **state)
{
    (void)state;
    hbc_report r;
    int n = 0;
    make_report(&r);
    int *idx = hbc_report_ranking(&r, &n);
    assert_int_equal(n, 2); /* the CPU node has no isolated figure */
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 0);
    free(idx);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_json(void **state)
{
    (void)state;
    hbc_report r;
    char path[64], err[256];
    make_report(&r);
    snprintf(path, sizeof path, "test_mapper_report_%ld.json", (long)getpid());
    hbc_report_meta meta = {"m \"x\".onnx", "bayes-e", "default", 4, "cal/a.bin"};
    assert_int_equal(hbc_report_write_json(&r, &meta, path, err, sizeof err), HBG_OK);
    char *text = slurp(path);
    remove(path);
    assert_string_equal(
        text,
        "{\n  \"schema\": \"hb_mapper-report/1\",\n  \"model\": \"m \\\"x\\\".onnx\",\n"
        "  \"march\": \"bayes-e\",\n  \"calibration_type\": \"default\",\n"
        "  \"calibration_samples\": 4,\n  \"sample\": \"cal/a.bin\",\n  \"nodes\": [\n"
        "    {\"name\": \"a_very_long_node_name_that_does_not_fit_in_the_column\", \"type\": "
        "\"Conv\", \"on\": \"BPU\", \"subgraph\": 0, \"cosine\": 0.99, \"isolated_cosine\": 0.995, "
        "\"threshold\": 12.5, \"dtype_in\": \"int8\", \"dtype_out\": \"int8\"},\n"
        "    {\"name\": \"relu1\", \"type\": \"Relu\", \"on\": \"BPU\", \"subgraph\": 0, "
        "\"cosine\": 0.98, \"isolated_cosine\": 0.9, \"threshold\": 6, \"dtype_in\": \"int8\", "
        "\"dtype_out\": \"int32\"},\n"
        "    {\"name\": \"prob\", \"type\": \"Softmax\", \"on\": \"CPU\", \"subgraph\": null, "
        "\"cosine\": 0.97, \"isolated_cosine\": null, \"threshold\": null, \"dtype_in\": "
        "\"float\", \"dtype_out\": \"float\"}\n  ],\n"
        "  \"outputs\": [\n    {\"name\": \"prob\", \"cosine\": 0.97, \"l1\": 0.001, \"l2\": "
        "0.002, \"chebyshev\": 0.5}\n  ],\n"
        "  \"sensitivity\": [\n"
        "    {\"rank\": 1, \"node\": \"relu1\", \"index\": 1, \"isolated_cosine\": 0.9, "
        "\"cosine\": 0.98},\n"
        "    {\"rank\": 2, \"node\": \"a_very_long_node_name_that_does_not_fit_in_the_column\", "
        "\"index\": 0, \"isolated_cosine\": 0.995, \"cosine\": 0.99}\n  ]\n}\n");
    free(text);
}

/* x [1, 4] -> Relu -> y (graph output), thresholds T(x) = T(y) = 1 (scale 1/127), sample
 * x = (1, -0.5, 0.25, 0.5). By hand: x * 127 = (127, -63.5, 31.75, 63.5) rounds (half away from
 * zero, docs/quantized-ops.md) to (127, -64, 32, 64); the Relu table keeps q >= 0 and zeroes the
 * rest: (127, 0, 32, 64); dequantised y' = (1, 0, 32/127, 64/127) against the float
 * y = (1, 0, 0.25, 0.5). The isolated figure (QuantizeLinear rounds half to even: the same
 * integers here) is the same. */
static void test_build(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create(), *q = NULL;
    hbc_calib_table tab = {0};
    hbc_report r;
    hbg_node *n;
    char err[256];
    const int64_t dims[2] = {1, 4};
    const char *in[1] = {"x"}, *out[1] = {"y"};
    const float x[4] = {1.0f, -0.5f, 0.25f, 0.5f};
    const float *sample[1] = {x};
    const unsigned char bpu[1] = {1};
    const int sub[1] = {0};

    assert_non_null(g);
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    int xt = hbg_graph_tensor(g, "x");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[xt], HBG_DT_F32, 2, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, xt), HBG_OK);
    assert_int_equal(hbg_graph_add_node(g, "Relu", "", "relu", 1, in, 1, out, &n), HBG_OK);
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "y")), HBG_OK);
    assert_int_equal(hbc_calib_table_set(&tab, "x", 1.0, HBC_CALIB_MAX), HBG_OK);
    assert_int_equal(hbc_calib_table_set(&tab, "y", 1.0, HBC_CALIB_MAX), HBG_OK);
    assert_int_equal(hbc_quantize(g, &tab, NULL, &q, err, sizeof err), HBG_OK);

    hbc_report_input ri = {g, bpu, sub, q, &tab, sample};
    assert_int_equal(hbc_report_build(&ri, &r, err, sizeof err), HBG_OK);
    const double a[4] = {1, 0, 0.25, 0.5}, b[4] = {1, 0, 32.0 / 127, 64.0 / 127};
    double dot = 0, na = 0, nb = 0, l1 = 0, l2 = 0, cheb = 0;
    for (int i = 0; i < 4; i++) {
        double d = fabs(a[i] - b[i]);
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
        l1 += d / 4;
        l2 += d * d / 4;
        cheb = d > cheb ? d : cheb;
    }
    double cos = dot / sqrt(na * nb);
    assert_int_equal(r.n_nodes, 1);
    assert_true(fabs(r.nodes[0].cosine - cos) < 1e-6);
    assert_true(fabs(r.nodes[0].isolated - cos) < 1e-6);
    assert_true(fabs(r.nodes[0].threshold - 1.0) < 1e-12);
    assert_string_equal(r.nodes[0].dtype_in, "int8");
    assert_int_equal(r.n_outputs, 1);
    assert_true(fabs(r.outputs[0].sim.cosine - cos) < 1e-6);
    assert_true(fabs(r.outputs[0].sim.l1 - l1) < 1e-6);
    assert_true(fabs(r.outputs[0].sim.l2 - sqrt(l2)) < 1e-6);
    assert_true(fabs(r.outputs[0].sim.chebyshev - cheb) < 1e-6);
    hbc_report_free(&r);

    /* Without a sample: the rows, and no figure. */
    ri.sample = NULL;
    assert_int_equal(hbc_report_build(&ri, &r, err, sizeof err), HBG_OK);
    assert_false(r.have_sample);
    assert_true(isnan(r.nodes[0].cosine) && isnan(r.outputs[0].sim.cosine));
    hbc_report_free(&r);

    hbc_calib_table_free(&tab);
    hbg_graph_free(q);
    hbg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_table), cmocka_unit_test(test_output_table),
        cmocka_unit_test(test_ranking),    cmocka_unit_test(test_json),
        cmocka_unit_test(test_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
