/* Each pass on synthetic graphs built to exercise it and its refusals: the float executor's
 * outputs before and after the pass (fixed random inputs) agree within 1e-5 of max |ref|, the
 * rewritten graph survives an ONNX save -> load round trip with the same outputs, and the node
 * counts show the pass did (or refused) exactly the rewrite the graph was built for. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "passes_harness.h"

static void set_ints(hbg_graph *g, hbg_node *n, const char *name, const int64_t *v, size_t c)
{
    assert_int_equal(hbg_edit_set_attr_ints(g, n, name, v, c), HBG_OK);
}

/* Node index of the node writing tensor name, or -1. */
static int producer_of(const hbg_graph *g, const char *name)
{
    int t = hbg_graph_find_tensor(g, name);
    return t < 0 ? -1 : g->tensors[t]->producer;
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(hbc_pass_name(HBC_PASS_FOLD_CONSTANTS), "fold_constants");
    assert_string_equal(hbc_pass_name(HBC_PASS_FUSE_ACT), "fuse_act");
    assert_string_equal(hbc_pass_name(HBC_PASS_CHANNEL_SHUFFLE), "channel_shuffle");
    assert_string_equal(hbc_pass_name(HBC_PASS_COUNT), "?");
    hbg_graph *g = ph_graph();
    assert_int_equal(hbc_pass_run(g, HBC_PASS_COUNT, NULL, NULL), HBG_E_INVALID);
    assert_non_null(strstr(g->err, "unknown pass"));
    hbg_graph_free(g);
}

/* Shape arithmetic (Shape -> Gather -> Concat -> Reshape), a Constant node and a Mul of two
 * initializers fold; the Reshape and Adds that read x stay. */
static void test_fold_constants(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {2, 3, 4, 5}, one = 1, sixty = 60, idx0 = 0, m1 = -1;
    ph_input(g, "x", 4, xd);
    ph_const_i64(g, "i0", 1, &one, &idx0);
    ph_const_i64(g, "minus1", 1, &one, &m1);
    ph_const(g, "w", 1, &sixty, 11, -1, 1);
    float two = 2;
    ph_const_f(g, "two", 0, NULL, &two);
    NODE(g, "Shape", "shape", "s", "x");
    NODE(g, "Gather", "gather", "s0", "s", "i0");
    hbg_node *cat = NODE(g, "Concat", "cat", "shp", "s0", "minus1");
    assert_int_equal(hbg_edit_set_attr_int(g, cat, "axis", 0), HBG_OK);
    NODE(g, "Reshape", "reshape", "y", "x", "shp");
    hbg_node *k = ph_node(g, "Constant", "k", "kv", 0, NULL);
    hbg_attr *a = hbg_node_add_attr(k, "value_floats", HBG_ATTR_FLOATS);
    assert_non_null(a);
    a->floats = malloc(60 * sizeof(float));
    assert_non_null(a->floats);
    a->n = 60;
    for (int i = 0; i < 60; i++)
        a->floats[i] = 0.01f * (float)i;
    NODE(g, "Add", "add1", "z", "y", "kv");
    NODE(g, "Mul", "mul", "w2", "w", "two");
    NODE(g, "Add", "add2", "out", "z", "w2");
    ph_output(g, "out");
    assert_int_equal(g->n_nodes, 8);
    assert_int_equal(ph_check_pass(g, HBC_PASS_FOLD_CONSTANTS, "fold_constants"), 5);
    assert_int_equal(g->n_nodes, 3);
    int shp = hbg_graph_find_tensor(g, "shp");
    assert_true(shp >= 0 && g->tensors[shp]->is_const);
    assert_int_equal(hbg_tensor_get_int(g->tensors[shp], 0), 2);
    assert_int_equal(hbg_tensor_get_int(g->tensors[shp], 1), -1);
    /* unused initializers (i0, minus1, two, w) are dropped */
    assert_int_equal(hbg_graph_find_tensor(g, "two"), -1);
    assert_int_equal(hbg_graph_find_tensor(g, "i0"), -1);
    hbg_graph_free(g);
}

/* A large ConstantOfShape and a node producing a graph output are not folded. */
static void test_fold_constants_refusals(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[3] = {64, 64, 8}, three = 3, one = 1;
    ph_input(g, "x", 3, xd);
    ph_const_i64(g, "cs_shape", 1, &three, xd);
    hbg_node *cs = NODE(g, "ConstantOfShape", "cs", "big", "cs_shape");
    hbg_attr *a = hbg_node_add_attr(cs, "value", HBG_ATTR_TENSOR);
    assert_non_null(a);
    assert_non_null(a->t = hbg_tensor_create("value"));
    float half = 0.5f;
    assert_int_equal(hbg_tensor_set_shape(a->t, HBG_DT_F32, 1, &one), HBG_OK);
    assert_non_null(a->t->data = malloc(sizeof half));
    memcpy(a->t->data, &half, sizeof half);
    a->t->is_const = 1;
    NODE(g, "Add", "add", "y", "x", "big");
    ph_const(g, "c", 1, &three, 3, -1, 1);
    NODE(g, "Neg", "neg", "negc", "c");
    ph_output(g, "y");
    ph_output(g, "negc");
    assert_int_equal(ph_check_pass(g, HBC_PASS_FOLD_CONSTANTS, "fold refusals"), 0);
    assert_int_equal(g->n_nodes, 3);
    hbg_graph_free(g);
}

/* Identity, Dropout, Cast to float, a Reshape to the same shape and a Transpose pair that
 * cancels all go; the Relu's output keeps its name. */
static void test_remove_noops(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {1, 3, 4, 5}, four = 4;
    int64_t p1[4] = {0, 2, 3, 1}, p2[4] = {0, 3, 1, 2};
    ph_input(g, "x", 4, xd);
    ph_const_i64(g, "shape", 1, &four, xd);
    NODE(g, "Identity", "id", "a", "x");
    NODE(g, "Dropout", "drop", "b", "a");
    hbg_node *cast = NODE(g, "Cast", "cast", "c", "b");
    assert_int_equal(hbg_edit_set_attr_int(g, cast, "to", HBG_DT_F32), HBG_OK);
    NODE(g, "Reshape", "reshape", "d", "c", "shape");
    set_ints(g, NODE(g, "Transpose", "t1", "e", "d"), "perm", p1, 4);
    set_ints(g, NODE(g, "Transpose", "t2", "f", "e"), "perm", p2, 4);
    NODE(g, "Relu", "relu", "out", "f");
    ph_output(g, "out");
    assert_int_equal(ph_check_pass(g, HBC_PASS_REMOVE_NOOPS, "remove_noops") > 0, 1);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->nodes[0].op, HBG_OP_RELU);
    assert_string_equal(g->tensors[g->nodes[0].in[0]]->name, "x");
    assert_string_equal(g->tensors[g->nodes[0].out[0]]->name, "out");
    hbg_graph_free(g);
}

/* Identity from a graph input to a graph output stays (either name would change), and so does
 * one reading the preprocess node's output; two
 * transposes that do not cancel become one; an Identity writing a graph output from an
 * intermediate goes, the producer taking over the output name. */
static void test_remove_noops_names(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {1, 3, 4, 5}, p[4] = {0, 2, 3, 1};
    ph_input(g, "x", 4, xd);
    NODE(g, "Identity", "keep", "x_copy", "x");
    set_ints(g, NODE(g, "Transpose", "t1", "e", "x"), "perm", p, 4);
    set_ints(g, NODE(g, "Transpose", "t2", "f", "e"), "perm", p, 4);
    NODE(g, "Sigmoid", "sig", "s", "f");
    NODE(g, "Identity", "go", "out", "s");
    /* the output name of hb_mapper's preprocess node is kept: the Identity after it stays */
    int64_t wd[4] = {3, 3, 1, 1};
    ph_const(g, "pw", 4, wd, 1, -1, 1);
    NODE(g, "Conv", "HZ_PREPROCESS_FOR_x", "HZ_PREPROCESS_FOR_x_output", "x", "pw");
    NODE(g, "Identity", "after_pre", "pre_copy", "HZ_PREPROCESS_FOR_x_output");
    NODE(g, "Relu", "pre_relu", "out3", "pre_copy");
    ph_output(g, "x_copy");
    ph_output(g, "out");
    ph_output(g, "out3");
    ph_check_pass(g, HBC_PASS_REMOVE_NOOPS, "remove_noops names");
    assert_int_equal(g->n_nodes, 6);
    assert_int_equal(ph_count_op(g, HBG_OP_IDENTITY), 2);
    assert_true(hbg_graph_find_tensor(g, "HZ_PREPROCESS_FOR_x_output") >= 0);
    assert_int_equal(ph_count_op(g, HBG_OP_TRANSPOSE), 1);
    const int64_t *perm;
    int t = producer_of(g, "f");
    assert_true(t >= 0);
    assert_int_equal(hbg_attr_ints(&g->nodes[t], "perm", &perm), 4);
    assert_int_equal(perm[1], 3);
    assert_int_equal(perm[2], 1);
    assert_int_equal(perm[3], 2);
    assert_int_equal(g->nodes[producer_of(g, "out")].op, HBG_OP_SIGMOID);
    hbg_graph_free(g);
}

/* Conv + BatchNormalization + Relu, and the Caffe form Conv + BN(1, 0) + Mul + Add. */
static void test_fold_bn_conv(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 3, 3}, four = 4, cd[3] = {4, 1, 1};
    int64_t pads[4] = {1, 1, 1, 1};
    float ones[4] = {1, 1, 1, 1}, zeros[4] = {0, 0, 0, 0};
    ph_input(g, "x", 4, xd);
    ph_const(g, "w1", 4, wd, 1, -1, 1);
    ph_const(g, "b1", 1, &four, 2, -1, 1);
    ph_const(g, "gamma", 1, &four, 3, 0.5f, 2);
    ph_const(g, "beta", 1, &four, 4, -1, 1);
    ph_const(g, "mean", 1, &four, 5, -1, 1);
    ph_const(g, "var", 1, &four, 6, 0.1f, 3);
    set_ints(g, NODE(g, "Conv", "conv1", "c1", "x", "w1", "b1"), "pads", pads, 4);
    NODE(g, "BatchNormalization", "bn1", "n1", "c1", "gamma", "beta", "mean", "var");
    NODE(g, "Relu", "relu1", "r1", "n1");
    /* Caffe: conv without bias, BatchNorm with scale 1 bias 0, Scale as Mul and Add [C, 1, 1] */
    ph_const(g, "w2", 4, wd, 7, -1, 1);
    ph_const_f(g, "bn_one", 1, &four, ones);
    ph_const_f(g, "bn_zero", 1, &four, zeros);
    ph_const(g, "mean2", 1, &four, 8, -1, 1);
    ph_const(g, "var2", 1, &four, 9, 0.1f, 3);
    ph_const(g, "sc_w", 3, cd, 10, 0.5f, 2);
    ph_const(g, "sc_b", 3, cd, 11, -1, 1);
    NODE(g, "Conv", "conv2", "c2", "x", "w2");
    NODE(g, "BatchNormalization", "bn2", "c2@bn2", "c2", "bn_one", "bn_zero", "mean2", "var2");
    NODE(g, "Mul", "sc2", "c2@sc2", "c2@bn2", "sc_w");
    NODE(g, "Add", "sc2/bias", "conv2_out", "sc_b", "c2@sc2");
    ph_output(g, "r1");
    ph_output(g, "conv2_out");
    assert_int_equal(ph_check_pass(g, HBC_PASS_FOLD_BN, "fold_bn conv"), 4);
    assert_int_equal(g->n_nodes, 3);
    assert_int_equal(ph_count_op(g, HBG_OP_BATCHNORMALIZATION), 0);
    assert_int_equal(g->nodes[producer_of(g, "conv2_out")].op, HBG_OP_CONV);
    assert_int_equal(g->nodes[producer_of(g, "n1")].op, HBG_OP_CONV);
    hbg_graph_free(g);
}

/* Gemm (alpha, beta, transB = 1) + BatchNormalization; Gemm (transB = 0, no bias) + Mul by a
 * per-column vector + Sub of a scalar; Div by a per-column vector. */
static void test_fold_bn_gemm(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[2] = {3, 6}, bd[2] = {5, 6}, bt[2] = {6, 5}, five = 5, cd[2] = {1, 5};
    ph_input(g, "x", 2, xd);
    ph_const(g, "B", 2, bd, 1, -1, 1);
    ph_const(g, "C", 1, &five, 2, -1, 1);
    ph_const(g, "gamma", 1, &five, 3, 0.5f, 2);
    ph_const(g, "beta", 1, &five, 4, -1, 1);
    ph_const(g, "mean", 1, &five, 5, -1, 1);
    ph_const(g, "var", 1, &five, 6, 0.1f, 3);
    hbg_node *gm = NODE(g, "Gemm", "fc1", "y1", "x", "B", "C");
    assert_int_equal(hbg_edit_set_attr_int(g, gm, "transB", 1), HBG_OK);
    assert_int_equal(hbg_edit_set_attr_float(g, gm, "alpha", 0.5f), HBG_OK);
    assert_int_equal(hbg_edit_set_attr_float(g, gm, "beta", 2.0f), HBG_OK);
    NODE(g, "BatchNormalization", "bn", "out1", "y1", "gamma", "beta", "mean", "var");
    ph_const(g, "B2", 2, bt, 7, -1, 1);
    ph_const(g, "m", 2, cd, 8, 0.5f, 2);
    ph_const(g, "d", 1, &five, 9, 0.5f, 2);
    float s = 0.25f;
    ph_const_f(g, "s", 0, NULL, &s);
    NODE(g, "Gemm", "fc2", "y2", "x", "B2");
    NODE(g, "Mul", "mul", "y3", "y2", "m");
    NODE(g, "Sub", "sub", "y4", "y3", "s");
    NODE(g, "Div", "div", "out2", "y4", "d");
    ph_output(g, "out1");
    ph_output(g, "out2");
    assert_int_equal(ph_check_pass(g, HBC_PASS_FOLD_BN, "fold_bn gemm"), 4);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(ph_count_op(g, HBG_OP_GEMM), 2);
    hbg_graph_free(g);
}

/* Refused: a weight shared by two Convs, a weight that is a graph input, a Conv output read
 * twice, a Mul varying along H, a Div by zero, Sub(c, x), the preprocess node, a Gemm bias that
 * is per row. */
static void test_fold_bn_refusals(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 2, 1, 1}, two = 2, hd[4] = {1, 1, 4, 1};
    float zero_one[2] = {0, 1};
    ph_input(g, "x", 4, xd);
    ph_input(g, "wx", 4, wd);
    ph_const(g, "w", 4, wd, 1, -1, 1);
    ph_const(g, "gamma", 1, &two, 3, 0.5f, 2);
    ph_const(g, "beta", 1, &two, 4, -1, 1);
    ph_const(g, "mean", 1, &two, 5, -1, 1);
    ph_const(g, "var", 1, &two, 6, 0.1f, 3);
    ph_const(g, "h", 4, hd, 7, 0.5f, 2);
    int64_t pd[3] = {2, 1, 1};
    ph_const(g, "pc", 3, pd, 12, 0.5f, 2);
    ph_const_f(g, "z", 3, pd, zero_one);
    /* shared weight */
    NODE(g, "Conv", "ca", "ya", "x", "w");
    NODE(g, "Conv", "cb", "yb", "x", "w");
    NODE(g, "BatchNormalization", "bna", "oa", "ya", "gamma", "beta", "mean", "var");
    NODE(g, "BatchNormalization", "bnb", "ob", "yb", "gamma", "beta", "mean", "var");
    /* weight not constant */
    NODE(g, "Conv", "cc", "yc", "x", "wx");
    NODE(g, "Mul", "mc", "oc", "yc", "pc");
    /* output read twice (Mul and graph output) */
    ph_const(g, "w2", 4, wd, 8, -1, 1);
    NODE(g, "Conv", "cd", "yd", "x", "w2");
    NODE(g, "Add", "ad", "od", "yd", "pc");
    /* per-row (H) constant, division by zero, constant minus x */
    ph_const(g, "w3", 4, wd, 9, -1, 1);
    NODE(g, "Conv", "ce", "ye", "x", "w3");
    NODE(g, "Mul", "me", "oe", "ye", "h");
    ph_const(g, "w4", 4, wd, 10, -1, 1);
    NODE(g, "Conv", "cf", "yf", "x", "w4");
    NODE(g, "Div", "df", "of", "yf", "z");
    ph_const(g, "w5", 4, wd, 11, -1, 1);
    NODE(g, "Conv", "cg", "yg", "x", "w5");
    NODE(g, "Sub", "sg", "og", "pc", "yg");
    /* hb_mapper's preprocess node keeps its weights */
    ph_const(g, "w6", 4, wd, 13, -1, 1);
    NODE(g, "Conv", "HZ_PREPROCESS_FOR_x", "yh", "x", "w6");
    NODE(g, "BatchNormalization", "bnh", "oh", "yh", "gamma", "beta", "mean", "var");
    /* a Gemm bias [K, 1] varies along the rows (M = K = 2 here): neither folds nor converts */
    int64_t g2[2] = {2, 2}, gc[2] = {2, 1};
    ph_input(g, "x2", 2, g2);
    ph_const(g, "bg", 2, g2, 14, -1, 1);
    ph_const(g, "cg", 2, gc, 15, -1, 1);
    ph_const(g, "sg2", 1, &two, 16, 0.5f, 2);
    NODE(g, "Gemm", "gemm_rows", "yr", "x2", "bg", "cg");
    NODE(g, "Mul", "mr", "or", "yr", "sg2");
    const char *outs[] = {"oa", "ob", "oc", "yd", "od", "oe", "of", "og", "oh", "or"};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        ph_output(g, outs[i]);
    int before = g->n_nodes;
    /* Nothing may change (the Div by zero makes inf outputs, so compare structure only). */
    int changed = -1;
    if (hbc_pass_run(g, HBC_PASS_FOLD_BN, NULL, &changed) != HBG_OK)
        fail_msg("fold_bn refusals: %s", g->err);
    assert_int_equal(changed, 0);
    assert_int_equal(g->n_nodes, before);
    hbg_graph_free(g);
}

/* Conv -> Flatten -> Gemm(transB 1, alpha, beta) -> Relu -> Gemm(transB 0, C [1, K]): both
 * Gemms become Convs (3x3 then 1x1) and the Relu ends up right after its Conv. MatMul after a
 * Reshape converts too; a Gemm on a plain 2-D input does not. */
static void test_gemm_to_conv(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {2, 4, 3, 3}, wd[4] = {8, 4, 1, 1}, bd[2] = {10, 72}, ten = 10,
            b2d[2] = {10, 6}, c2d[2] = {1, 6};
    ph_input(g, "x", 4, xd);
    ph_const(g, "w", 4, wd, 1, -1, 1);
    ph_const(g, "B", 2, bd, 2, -0.2f, 0.2f);
    ph_const(g, "C", 1, &ten, 3, -1, 1);
    ph_const(g, "B2", 2, b2d, 4, -1, 1);
    ph_const(g, "C2", 2, c2d, 5, -1, 1);
    NODE(g, "Conv", "conv", "t", "x", "w");
    hbg_node *fl = NODE(g, "Flatten", "flat", "f", "t");
    assert_int_equal(hbg_edit_set_attr_int(g, fl, "axis", 1), HBG_OK);
    hbg_node *g1 = NODE(g, "Gemm", "fc1", "g1", "f", "B", "C");
    assert_int_equal(hbg_edit_set_attr_int(g, g1, "transB", 1), HBG_OK);
    assert_int_equal(hbg_edit_set_attr_float(g, g1, "alpha", 0.7f), HBG_OK);
    assert_int_equal(hbg_edit_set_attr_float(g, g1, "beta", 1.3f), HBG_OK);
    NODE(g, "Relu", "relu", "r", "g1");
    NODE(g, "Gemm", "fc2", "out", "r", "B2", "C2");
    ph_output(g, "out");
    /* MatMul on a Reshape of a 4-D input */
    int64_t yd[4] = {1, 2, 2, 2}, rs[2] = {1, 8}, two = 2, md[2] = {8, 3};
    ph_input(g, "y", 4, yd);
    ph_const_i64(g, "rs", 1, &two, rs);
    ph_const(g, "M", 2, md, 6, -1, 1);
    NODE(g, "Reshape", "reshape", "yr", "y", "rs");
    NODE(g, "MatMul", "mm", "out_mm", "yr", "M");
    ph_output(g, "out_mm");
    /* refused: plain 2-D input */
    int64_t zd[2] = {2, 8};
    ph_input(g, "z", 2, zd);
    ph_const(g, "M2", 2, md, 7, -1, 1);
    NODE(g, "MatMul", "mm2", "out_plain", "z", "M2");
    ph_output(g, "out_plain");
    /* 3 rewrites, then 3 dead nodes: the two Flattens and the Reshape */
    assert_int_equal(ph_check_pass(g, HBC_PASS_GEMM_TO_CONV, "gemm_to_conv"), 6);
    assert_int_equal(ph_count_op(g, HBG_OP_GEMM), 0);
    assert_int_equal(ph_count_op(g, HBG_OP_MATMUL), 1);
    assert_int_equal(ph_count_op(g, HBG_OP_CONV), 4);
    assert_int_equal(ph_count_op(g, HBG_OP_FLATTEN), 2); /* the first one and the middle one
                                                            went dead */
    /* the Relu reads the 3x3 Conv's output directly */
    int relu = -1;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == HBG_OP_RELU)
            relu = i;
    assert_true(relu > 0);
    assert_int_equal(g->nodes[relu - 1].op, HBG_OP_CONV);
    assert_int_equal(hbc_fused_act(g, relu - 1), relu);
    assert_int_equal(g->nodes[producer_of(g, "out")].op, HBG_OP_FLATTEN);
    assert_int_equal(g->nodes[producer_of(g, "out_mm")].op, HBG_OP_FLATTEN);
    hbg_graph_free(g);
}

/* ShuffleNetV2's shuffle and split (batch 2, 6 channels): both Gathers become strided channel
 * Slices of x, keeping their output names (one is a graph output); the Reshape/Transpose/Reshape
 * chain goes. Refused: the same chain on z whose Transpose output is also read elsewhere, and on
 * u whose last Reshape is also read by a Gather on axis 1. */
static void test_channel_shuffle(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {2, 6, 3, 4}, three = 3, five = 5, s1[3] = {6, 2, 12}, s2[5] = {2, -1, 3, 3, 4},
            perm[3] = {1, 0, 2}, i0 = 0, im1 = -1;
    ph_input(g, "x", 4, xd);
    ph_input(g, "z", 4, xd);
    ph_input(g, "u", 4, xd);
    ph_const_i64(g, "s1", 1, &three, s1);
    ph_const_i64(g, "s2", 1, &five, s2);
    ph_const_i64(g, "i0", 0, NULL, &i0);
    ph_const_i64(g, "im1", 0, NULL, &im1);
    static const char *const pre[3] = {"x", "z", "u"};
    for (int k = 0; k < 3; k++) {
        char a[16], b[16], c[16], e[16], o[16];
        snprintf(a, sizeof a, "%s_a", pre[k]);
        snprintf(b, sizeof b, "%s_b", pre[k]);
        snprintf(c, sizeof c, "%s_c", pre[k]);
        snprintf(e, sizeof e, "%s_even", pre[k]);
        snprintf(o, sizeof o, "%s_odd", pre[k]);
        NODE(g, "Reshape", a, a, pre[k], "s1");
        set_ints(g, NODE(g, "Transpose", b, b, a), "perm", perm, 3);
        NODE(g, "Reshape", c, c, b, "s2");
        NODE(g, "Gather", e, e, c, "i0");
        NODE(g, "Gather", o, o, c, "im1");
        NODE(g, "Relu", pre[k],
             pre[k][0] == 'x'   ? "out_x"
             : pre[k][0] == 'z' ? "out_z"
                                : "out_u",
             e);
        ph_output(g, o);
    }
    ph_output(g, "out_x");
    ph_output(g, "out_z");
    ph_output(g, "out_u");
    NODE(g, "Relu", "z_side", "z_side", "z_b");
    ph_output(g, "z_side");
    hbg_node *ax1 = NODE(g, "Gather", "u_axis1", "u_axis1", "u_c", "i0");
    assert_int_equal(hbg_edit_set_attr_int(g, ax1, "axis", 1), HBG_OK);
    ph_output(g, "u_axis1");
    /* one rewrite, then the three nodes of x's chain are dead */
    assert_int_equal(ph_check_pass(g, HBC_PASS_CHANNEL_SHUFFLE, "channel_shuffle"), 4);
    assert_int_equal(ph_count_op(g, HBG_OP_SLICE), 2);
    assert_int_equal(ph_count_op(g, HBG_OP_GATHER), 5);
    for (int k = 0; k < 2; k++) {
        const hbg_node *n = &g->nodes[producer_of(g, k ? "x_odd" : "x_even")];
        assert_int_equal(n->op, HBG_OP_SLICE);
        assert_int_equal(n->n_in, 5);
        assert_string_equal(g->tensors[n->in[0]]->name, "x");
        assert_int_equal(hbg_tensor_get_int(g->tensors[n->in[1]], 0), k);
        assert_int_equal(hbg_tensor_get_int(g->tensors[n->in[4]], 0), 2);
    }
    assert_true(producer_of(g, "x_a") < 0);
    hbg_graph_free(g);
}

/* torchvision's channel_shuffle (batch 2, 12 channels, 3 groups): Reshape [2, 3, 4, 3, 4],
 * Transpose (0, 2, 1, 3, 4), Reshape [2, 12, 3, 4] becomes Gather(x, axis 1) with output channel
 * i*3 + j = input channel j*4 + i; refused: a 2-group chain whose Transpose is (0, 2, 1, 4, 3)
 * (it also swaps H and W). */
static void test_channel_shuffle_perm(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {2, 12, 3, 4}, five = 5, four = 4, s1[5] = {2, 3, 4, 3, 4},
            s2[4] = {2, 12, 3, 4}, p1[5] = {0, 2, 1, 3, 4}, p2[5] = {0, 2, 1, 4, 3},
            s3[5] = {2, 2, 6, 3, 4}, s4[4] = {2, 12, 4, 3};
    ph_input(g, "x", 4, xd);
    ph_const_i64(g, "s1", 1, &five, s1);
    ph_const_i64(g, "s2", 1, &four, s2);
    ph_const_i64(g, "s3", 1, &five, s3);
    ph_const_i64(g, "s4", 1, &four, s4);
    NODE(g, "Reshape", "r1", "a", "x", "s1");
    set_ints(g, NODE(g, "Transpose", "t", "b", "a"), "perm", p1, 5);
    NODE(g, "Reshape", "r2", "shuffled", "b", "s2");
    NODE(g, "Relu", "relu", "out", "shuffled");
    ph_output(g, "out");
    NODE(g, "Reshape", "q1", "qa", "x", "s3");
    set_ints(g, NODE(g, "Transpose", "qt", "qb", "qa"), "perm", p2, 5);
    NODE(g, "Reshape", "q2", "out2", "qb", "s4");
    ph_output(g, "out2");
    assert_int_equal(ph_check_pass(g, HBC_PASS_CHANNEL_SHUFFLE, "channel_shuffle perm"), 3);
    const hbg_node *n = &g->nodes[producer_of(g, "shuffled")];
    assert_int_equal(n->op, HBG_OP_GATHER);
    assert_string_equal(n->name, "r2");
    assert_string_equal(g->tensors[n->in[0]]->name, "x");
    assert_int_equal(hbg_attr_int(n, "axis", 0), 1);
    const int64_t want[12] = {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11};
    for (int i = 0; i < 12; i++)
        assert_int_equal(hbg_tensor_get_int(g->tensors[n->in[1]], i), want[i]);
    assert_int_equal(ph_count_op(g, HBG_OP_TRANSPOSE), 1);
    hbg_graph_free(g);
}

/* A Relu and a Clip(0, +inf) not next to their Convs are moved there, the Clip becomes Relu;
 * refused: a Conv output that is also a graph output, a Clip with a bound from a graph input. */
static void test_fuse_act(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[4] = {1, 3, 6, 6}, wd[4] = {4, 3, 3, 3}, one = 1;
    float zero = 0, six = 6;
    ph_input(g, "x", 4, xd);
    ph_input(g, "lo", 0, &one);
    ph_const(g, "w1", 4, wd, 1, -1, 1);
    ph_const(g, "w2", 4, wd, 2, -1, 1);
    ph_const(g, "w3", 4, wd, 3, -1, 1);
    ph_const(g, "w4", 4, wd, 4, -1, 1);
    ph_const_f(g, "zero", 0, NULL, &zero);
    ph_const_f(g, "six", 0, NULL, &six);
    NODE(g, "Conv", "c1", "y1", "x", "w1");
    NODE(g, "Conv", "c2", "y2", "x", "w2");
    NODE(g, "Relu", "r1", "a1", "y1");
    NODE(g, "Clip", "r2", "a2", "y2", "zero");
    NODE(g, "Conv", "c3", "y3", "x", "w3");
    NODE(g, "Clip", "r3", "a3", "y3", "zero", "six");
    NODE(g, "Conv", "c4", "y4", "x", "w4");
    NODE(g, "Relu", "r4", "a4", "y4");
    NODE(g, "Clip", "r5", "a5", "y1", "lo");
    NODE(g, "Sum", "sum", "out", "a1", "a2", "a3", "a4");
    ph_output(g, "out");
    ph_output(g, "y4");
    ph_output(g, "a5");
    /* y1 is read twice (r1, r5): not fused either */
    assert_int_equal(ph_count_fused(g), 2);
    assert_int_equal(ph_check_pass(g, HBC_PASS_FUSE_ACT, "fuse_act"), 2);
    assert_int_equal(ph_count_fused(g), 2);
    int c2 = producer_of(g, "y2"), c3 = producer_of(g, "y3");
    assert_int_equal(hbc_fused_act(g, c2), c2 + 1);
    assert_int_equal(g->nodes[c2 + 1].op, HBG_OP_RELU); /* was Clip(0, inf) */
    assert_int_equal(hbc_fused_act(g, c3), c3 + 1);
    assert_int_equal(g->nodes[c3 + 1].op, HBG_OP_CLIP); /* ReLU6 stays a Clip */
    assert_int_equal(hbc_fused_act(g, producer_of(g, "y1")), -1);
    assert_int_equal(hbc_fused_act(g, producer_of(g, "y4")), -1);
    hbg_graph_free(g);
}

/* hbc_optimize: disabled passes are skipped; a symbolic input dimension and an unknown op are
 * errors naming the tensor or node, not crashes. */
static void test_optimize_opts_and_errors(void **state)
{
    (void)state;
    hbg_graph *g = ph_graph();
    int64_t xd[2] = {2, 3};
    ph_input(g, "x", 2, xd);
    NODE(g, "Identity", "id", "a", "x");
    NODE(g, "Relu", "relu", "out", "a");
    ph_output(g, "out");
    hbc_optimize_opts opts = {1u << HBC_PASS_REMOVE_NOOPS};
    assert_int_equal(hbc_optimize(g, &opts, NULL), HBG_OK);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(ph_check_optimize(g, "optimize"), 1);
    assert_int_equal(g->n_nodes, 1);
    /* symbolic batch */
    int x = hbg_graph_find_tensor(g, "x");
    g->tensors[x]->dims[0] = -1;
    assert_int_equal(hbc_optimize(g, NULL, NULL), HBG_E_SHAPE);
    assert_non_null(strstr(g->err, "'x'"));
    g->tensors[x]->dims[0] = 2;
    /* an op the executor does not know */
    assert_int_equal(hbg_graph_add_node(g, "HzMystery", "", "mystery", 1,
                                        (const char *const[]){"out"}, 1, (const char *const[]){"m"},
                                        NULL),
                     HBG_OK);
    ph_output(g, "m");
    assert_int_equal(hbc_optimize(g, NULL, NULL), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(g->err, "HzMystery"));
    hbg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_fold_constants),
        cmocka_unit_test(test_fold_constants_refusals),
        cmocka_unit_test(test_remove_noops),
        cmocka_unit_test(test_remove_noops_names),
        cmocka_unit_test(test_fold_bn_conv),
        cmocka_unit_test(test_fold_bn_gemm),
        cmocka_unit_test(test_fold_bn_refusals),
        cmocka_unit_test(test_gemm_to_conv),
        cmocka_unit_test(test_fuse_act),
        cmocka_unit_test(test_channel_shuffle),
        cmocka_unit_test(test_channel_shuffle_perm),
        cmocka_unit_test(test_optimize_opts_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
