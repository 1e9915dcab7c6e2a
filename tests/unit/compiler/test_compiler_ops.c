/* Every op the compiler lowers, on small float graphs with odd shapes (channel counts off every
 * alignment, odd maps, padding, stride 2, dilation, groups, depthwise with and without channel
 * multiplier, ceil_mode, count_include_pad, K chunking), quantised by hbc_quantize with absmax
 * thresholds over two seeded inputs: every BPU output must equal the integer reference executor
 * (itself checked against numpy by test_quant_models) bit for bit, under every kernel variant of
 * this CPU, on bayes-e at O3 and on bernoulli2 at O0 (1 MiB SRAM). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler_test_util.h"
#include "hbc/quant.h"
#include "hbg/exec.h"

/* ---- a tiny float-graph builder -------------------------------------------------------- */

static unsigned seed_ = 1;

static hbg_graph *g_new(int rank, const int64_t *dims)
{
    hbg_graph *g = hbg_graph_create();
    assert_non_null(g);
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    int t = hbg_graph_tensor(g, "x");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[t], HBG_DT_F32, rank, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, t), HBG_OK);
    return g;
}

/* A float initializer with pseudo-random values in [-a, a]. */
static void g_weights(hbg_graph *g, const char *name, int rank, const int64_t *dims, float a)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *v = malloc((size_t)n * sizeof *v);
    assert_non_null(v);
    ct_fill(v, (size_t)n, seed_++, a);
    int t = hbg_graph_tensor(g, name);
    assert_int_equal(hbg_graph_set_const(g, t, HBG_DT_F32, rank, dims, v, (size_t)n * 4), HBG_OK);
    free(v);
}

static void g_i64(hbg_graph *g, const char *name, int n, const int64_t *v)
{
    int64_t d = n;
    int t = hbg_graph_tensor(g, name);
    assert_int_equal(hbg_graph_set_const(g, t, HBG_DT_I64, 1, &d, v, (size_t)n * 8), HBG_OK);
}

static void g_f32(hbg_graph *g, const char *name, int n, const float *v)
{
    int64_t d = n;
    int t = hbg_graph_tensor(g, name);
    assert_int_equal(hbg_graph_set_const(g, t, HBG_DT_F32, 1, &d, v, (size_t)n * 4), HBG_OK);
}

/* Node with inputs/outputs separated by commas ("x,W,B"); attrs "name=v1:v2" ints, or
 * "name=s:text" strings, separated by ';'. */
static void g_node(hbg_graph *g, const char *op, const char *ins, const char *outs,
                   const char *attrs)
{
    char ib[256], ob[128], ab[256];
    const char *in[16], *out[4];
    int ni = 0, no = 0;
    hbg_node *nd;
    snprintf(ib, sizeof ib, "%s", ins);
    snprintf(ob, sizeof ob, "%s", outs);
    for (char *s = strtok(ib, ","); s; s = strtok(NULL, ","))
        in[ni++] = strcmp(s, "-") ? s : "";
    for (char *s = strtok(ob, ","); s; s = strtok(NULL, ","))
        out[no++] = s;
    assert_int_equal(hbg_graph_add_node(g, op, "", out[0], ni, in, no, out, &nd), HBG_OK);
    if (!attrs)
        return;
    snprintf(ab, sizeof ab, "%s", attrs);
    char *save = NULL;
    for (char *s = strtok_r(ab, ";", &save); s; s = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(s, '=');
        assert_non_null(eq);
        *eq = '\0';
        if (!strncmp(eq + 1, "s:", 2)) {
            hbg_attr *a = hbg_node_add_attr(nd, s, HBG_ATTR_STRING);
            a->s = strdup(eq + 3);
            continue;
        }
        int64_t v[8];
        size_t n = 0;
        for (char *p = eq + 1; *p && n < 8;) {
            v[n++] = strtoll(p, &p, 10);
            if (*p == ':')
                p++;
        }
        int scalar = !strcmp(s, "group") || !strcmp(s, "axis") || !strcmp(s, "ceil_mode") ||
                     !strcmp(s, "count_include_pad") || !strcmp(s, "transB");
        hbg_attr *a = hbg_node_add_attr(nd, s, scalar ? HBG_ATTR_INT : HBG_ATTR_INTS);
        if (scalar) {
            a->i = v[0];
        } else {
            a->ints = malloc(n * sizeof *a->ints);
            memcpy(a->ints, v, n * sizeof *v);
            a->n = n;
        }
    }
}

static void g_out(hbg_graph *g, const char *name)
{
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_tensor(g, name)), HBG_OK);
}

/* Calibrate (absmax over 2 inputs), quantise, compile and check; refused nodes expected. */
static void check_graph_refused(hbg_graph *fg, const char *what, int refused)
{
    char err[512];
    hbc_calib_table tab = {0, 0, NULL};
    hbg_exec *e = NULL;
    hbg_graph *qg = NULL;
    float *in[2];
    assert_int_equal(hbg_graph_validate(fg, 1), HBG_OK);
    if (hbg_exec_create(fg, &e) != HBG_OK)
        fail_msg("%s: %s", what, fg->err);
    hbg_tensor *x = fg->tensors[fg->inputs[0]];
    size_t n = (size_t)hbg_tensor_numel(x);
    double *amax = calloc((size_t)fg->n_tensors, sizeof *amax);
    assert_non_null(amax);
    for (int r = 0; r < 2; r++) {
        in[r] = malloc(n * sizeof(float));
        assert_non_null(in[r]);
        ct_fill(in[r], n, 100u + (unsigned)r, 2.0f);
        memcpy(x->data, in[r], n * sizeof(float));
        assert_int_equal(hbg_exec_run(e), HBG_OK);
        for (int t = 0; t < fg->n_tensors; t++) {
            const hbg_tensor *v = fg->tensors[t];
            if (v->is_const || v->dtype != HBG_DT_F32 || !v->data)
                continue;
            for (int64_t i = 0; i < hbg_tensor_numel(v); i++)
                if (fabs((double)((const float *)v->data)[i]) > amax[t])
                    amax[t] = fabs((double)((const float *)v->data)[i]);
        }
    }
    for (int t = 0; t < fg->n_tensors; t++)
        if (!fg->tensors[t]->is_const && fg->tensors[t]->dtype == HBG_DT_F32)
            assert_int_equal(hbc_calib_table_set(&tab, fg->tensors[t]->name,
                                                 amax[t] > 0 ? amax[t] : 1.0, HBC_CALIB_MAX),
                             HBG_OK);
    hbg_exec_free(e);
    if (hbc_quantize(fg, &tab, NULL, &qg, err, sizeof err) != HBG_OK)
        fail_msg("%s: hbc_quantize: %s", what, err);
    int work = 0; /* nodes of the quantized graph other than the float boundary */
    for (int i = 0; i < qg->n_nodes; i++) {
        hbc_qop op = hbc_qop_from_name(qg->nodes[i].op_type);
        int ours = !strcmp(qg->nodes[i].domain, HBC_QUANT_DOMAIN);
        work += !(ours && (op == HBC_QOP_QUANTIZE || op == HBC_QOP_DEQUANTIZE));
    }
    /* bernoulli2 O2 for bandwidth: the schedules with the fewest tiles and wide weight chunks */
    static const struct {
        bpu_march_id march;
        int olevel;
        hbc_cm_goal goal;
    } cfg[] = {{BPU_MARCH_BAYES_E, 3, HBC_GOAL_LATENCY},
               {BPU_MARCH_BERNOULLI2, 0, HBC_GOAL_LATENCY},
               {BPU_MARCH_BERNOULLI2, 2, HBC_GOAL_BANDWIDTH}};
    for (size_t k = 0; k < sizeof cfg / sizeof cfg[0]; k++) {
        ct_stats st;
        if (ct_run_goal(qg, cfg[k].march, cfg[k].olevel, cfg[k].goal, 2, (const float *const *)in,
                        &st, err, sizeof err))
            fail_msg("%s: %s", what, err);
        if (st.mismatches || st.cpu_refused != refused || st.bpu_nodes != work - refused ||
            st.elements == 0 || (refused && st.subgraphs != 2))
            fail_msg("%s (%s O%d): %d/%d nodes lowered, refused: %s; %lld of %lld elements "
                     "differ: %s",
                     what, bpu_march_get(cfg[k].march)->name, cfg[k].olevel, st.bpu_nodes, work,
                     st.first_refused, st.mismatches, st.elements, st.first_mismatch);
        assert_true(st.variants >= 1);
    }
    free(in[0]);
    free(in[1]);
    free(amax);
    hbc_calib_table_free(&tab);
    hbg_graph_free(qg);
    hbg_graph_free(fg);
}

static void check_graph(hbg_graph *fg, const char *what)
{
    check_graph_refused(fg, what, 0);
}

/* x [1,c,h,w] -> Conv(k outputs, kernel kh x kw, group) [-> Relu] -> y. */
static void conv_case(int c, int h, int w, int k, int kh, int kw, int group, const char *attrs,
                      int relu, const char *what)
{
    int64_t xd[4] = {1, c, h, w}, wd[4] = {k, c / group, kh, kw}, bd[1] = {k};
    hbg_graph *g = g_new(4, xd);
    g_weights(g, "W", 4, wd, 0.5f);
    g_weights(g, "B", 1, bd, 0.5f);
    char a[200];
    snprintf(a, sizeof a, "group=%d;kernel_shape=%d:%d%s%s", group, kh, kw, attrs ? ";" : "",
             attrs ? attrs : "");
    g_node(g, "Conv", "x,W,B", relu ? "c" : "y", a);
    if (relu)
        g_node(g, "Relu", "c", "y", NULL);
    g_out(g, "y");
    check_graph(g, what);
}

static void test_conv(void **state)
{
    (void)state;
    conv_case(5, 13, 11, 7, 3, 3, 1, "pads=1:1:1:1", 1, "conv 3x3 p1, 5 -> 7, relu (int8 out)");
    conv_case(3, 17, 9, 33, 3, 3, 1, "strides=2:2;pads=0:1:1:2", 0,
              "conv 3x3 s2 asymmetric pads, 3 -> 33 (int32 output)");
    conv_case(6, 10, 12, 20, 3, 2, 1, "dilations=2:3;pads=2:1:2:1", 1, "conv dilation 2x3");
    conv_case(70, 5, 7, 100, 1, 1, 1, NULL, 1, "conv 1x1 70 -> 100");
    conv_case(6, 9, 9, 9, 3, 3, 3, "pads=1:1:1:1", 1, "grouped conv, group 3");
    conv_case(37, 15, 13, 37, 3, 3, 37, "strides=2:2;pads=1:1:1:1", 1, "depthwise 3x3 s2, 37 ch");
    conv_case(40, 11, 8, 40, 5, 5, 40, "pads=2:2:2:2", 1, "depthwise 5x5, 40 ch");
    conv_case(12, 7, 7, 24, 3, 3, 12, "pads=1:1:1:1", 1, "depthwise with multiplier 2");
    conv_case(256, 6, 5, 256, 3, 3, 1, "pads=1:1:1:1", 1,
              "conv 3x3 256 -> 256 (weights chunked over K on bernoulli2)");
}

static void test_gemm(void **state)
{
    (void)state;
    /* Flatten of a 3 x 5 x 7 map read by Gemm (an HxW convolution), then Gemm on [1, N] */
    int64_t xd[4] = {1, 3, 5, 7}, w1[2] = {19, 105}, b1[1] = {19}, w2[2] = {10, 19}, b2[1] = {10};
    hbg_graph *g = g_new(4, xd);
    g_weights(g, "W1", 2, w1, 0.3f);
    g_weights(g, "B1", 1, b1, 0.3f);
    g_weights(g, "W2", 2, w2, 0.3f);
    g_weights(g, "B2", 1, b2, 0.3f);
    g_node(g, "Flatten", "x", "f", NULL);
    g_node(g, "Gemm", "f,W1,B1", "g1", "transB=1");
    g_node(g, "Relu", "g1", "r1", NULL);
    g_node(g, "Gemm", "r1,W2,B2", "y", "transB=1");
    g_out(g, "y");
    check_graph(g, "flatten + gemm + gemm");
}

static void test_elementwise(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 11, 7, 5}, wd[4] = {11, 11, 1, 1}, bd[1] = {11};
    hbg_graph *g = g_new(4, xd);
    g_weights(g, "W", 4, wd, 0.5f);
    g_weights(g, "B", 1, bd, 0.5f);
    g_node(g, "Conv", "x,W,B", "c", "kernel_shape=1:1");
    g_node(g, "Add", "x,c", "a", NULL);
    g_node(g, "Relu", "a", "ar", NULL);
    g_node(g, "Sub", "ar,c", "s", NULL);
    g_node(g, "Mul", "s,x", "m", NULL);
    g_node(g, "Sigmoid", "m", "sg", NULL);
    g_node(g, "Tanh", "s", "th", NULL);
    g_node(g, "Concat", "sg,th,ar", "y", "axis=1");
    g_out(g, "y");
    check_graph(g, "add, sub, mul, sigmoid, tanh, concat with rescales");
}

static void test_pool(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 13, 11, 9};
    hbg_graph *g = g_new(4, xd);
    g_node(g, "MaxPool", "x", "m1", "kernel_shape=3:3;strides=2:2;pads=1:1:1:1;ceil_mode=1");
    g_node(g, "AveragePool", "x", "a1",
           "kernel_shape=3:2;strides=2:2;pads=1:1:2:1;ceil_mode=1;count_include_pad=1");
    g_node(g, "AveragePool", "x", "a2",
           "kernel_shape=3:3;strides=2:1;pads=1:0:1:2;ceil_mode=1;count_include_pad=0");
    g_node(g, "GlobalAveragePool", "a2", "y3", NULL);
    g_out(g, "m1");
    g_out(g, "a1");
    g_out(g, "y3");
    check_graph(g, "maxpool ceil, avgpool count_include_pad 0/1 ceil, global average pool");
}

static void test_movement(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 7, 6, 5};
    float sc[4] = {1.0f, 1.0f, 3.0f, 2.0f};
    int64_t st[3] = {1, 1, 0}, en[3] = {6, 100, 5}, ax[3] = {1, 2, 3}, sp[3] = {1, 2, 2};
    hbg_graph *g = g_new(4, xd);
    g_f32(g, "scales", 4, sc);
    g_i64(g, "starts", 3, st);
    g_i64(g, "ends", 3, en);
    g_i64(g, "axes", 3, ax);
    g_i64(g, "steps", 3, sp);
    g_node(g, "Resize", "x,-,scales", "r",
           "mode=s:nearest;coordinate_transformation_mode=s:asymmetric;nearest_mode=s:floor");
    g_node(g, "Transpose", "r", "t", "perm=0:1:3:2");
    g_node(g, "Slice", "t,starts,ends,axes,steps", "y1", NULL);
    g_node(g, "Transpose", "x", "y2", "perm=0:2:3:1");
    g_node(g, "Sigmoid", "y2", "y3", NULL);
    g_node(g, "Flatten", "r", "y4", NULL);
    g_out(g, "y1");
    g_out(g, "y3");
    g_out(g, "y4");
    check_graph(g, "resize x3/x2, transposes, slice with steps, flatten to an output");
}

/* Slices with a channel step (ShuffleNetV2's split after the passes' channel_shuffle): 70
 * channels (not a multiple of 4) to 35 with step 2 from 0 and from 1, and to 23 with step 3 from
 * 1; and a Gather of 40 of the channels along axis 1 (the passes' permutations); all lowered as
 * 0/1 convolutions, none refused, bit-exact. */
static void test_channel_step(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 70, 5, 6};
    int64_t s0 = 0, s1 = 1, e = 70, ax = 1, two = 2, three = 3;
    hbg_graph *g = g_new(4, xd);
    g_i64(g, "s0", 1, &s0);
    g_i64(g, "s1", 1, &s1);
    g_i64(g, "e", 1, &e);
    g_i64(g, "ax", 1, &ax);
    g_i64(g, "two", 1, &two);
    g_i64(g, "three", 1, &three);
    g_node(g, "Slice", "x,s0,e,ax,two", "even", NULL);
    g_node(g, "Slice", "x,s1,e,ax,two", "odd", NULL);
    g_node(g, "Slice", "x,s1,e,ax,three", "third", NULL);
    /* a channel Gather: 40 channels, some repeated, one negative (-1: channel 69) */
    int64_t idx[40];
    for (int i = 0; i < 40; i++)
        idx[i] = (i * 37) % 70;
    idx[39] = -1;
    g_i64(g, "idx", 40, idx);
    g_node(g, "Gather", "x,idx", "picked", "axis=1");
    g_out(g, "even");
    g_out(g, "odd");
    g_out(g, "third");
    g_out(g, "picked");
    check_graph(g, "channel steps 2 and 3, a channel Gather");
}

/* A transpose the BPU cannot do stays on the CPU with its reason, and splits the graph into
 * two subgraphs that are both checked; bad arguments are refused with a message. */
static void test_refusals(void **state)
{
    (void)state;
    char err[512];
    hbc_compiled *cm = NULL;
    assert_int_equal(hbc_compile(NULL, NULL, &cm, err, sizeof err), HBG_E_INVALID);
    assert_true(strlen(err) > 0);
    assert_null(cm);
    hbc_compile_opts bad = {(bpu_march_id)99, 3, HBC_GOAL_LATENCY};
    hbg_graph *e = hbg_graph_create();
    assert_int_equal(hbc_compile(e, &bad, &cm, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "march"));
    hbc_compile_opts bad_mode = {BPU_MARCH_BAYES_E, 3, (hbc_cm_goal)7};
    assert_int_equal(hbc_compile(e, &bad_mode, &cm, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "compile mode 7"));
    hbg_graph_free(e);

    /* the transpose swaps C and H: the conv sees 6 channels */
    int64_t xd[4] = {1, 5, 6, 7}, wd[4] = {5, 6, 1, 1}, bd[1] = {5};
    hbg_graph *g = g_new(4, xd);
    g_weights(g, "W", 4, wd, 0.5f);
    g_weights(g, "B", 1, bd, 0.5f);
    g_node(g, "Sigmoid", "x", "s", NULL);
    g_node(g, "Transpose", "s", "t", "perm=0:2:1:3");
    g_node(g, "Conv", "t,W,B", "y", "kernel_shape=1:1");
    g_out(g, "y");
    check_graph_refused(g, "transpose C <-> H", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv),        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_elementwise), cmocka_unit_test(test_pool),
        cmocka_unit_test(test_movement),    cmocka_unit_test(test_channel_step),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
