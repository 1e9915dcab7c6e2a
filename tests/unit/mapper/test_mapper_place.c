/* BPU/CPU placement, the user's requests and the BPU subgraphs (converter/mapper/mapper_place.c,
 * mapper_optable.c, docs/placement.md), on small graphs built here. Expected placements come from
 * the limits written in docs/placement.md (the reference's per-march constraints). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hbc_mapper.h"
#include "hbg/exec.h"

static hbg_graph *new_graph(const char *input, int64_t c, int64_t h, int64_t w)
{
    hbg_graph *g = hbg_graph_create();
    int64_t dims[4] = {1, c, h, w};
    assert_non_null(g);
    int x = hbg_graph_tensor(g, input);
    assert_int_equal(hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 4, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, x), HBG_OK);
    assert_int_equal(hbg_graph_add_opset(g, "", 11), HBG_OK);
    return g;
}

static void add_const(hbg_graph *g, const char *name, int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    float *v = calloc((size_t)n, sizeof *v);
    assert_non_null(v);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)((i % 5) - 2) / 8;
    int t = hbg_graph_tensor(g, name);
    assert_int_equal(hbg_graph_set_const(g, t, HBG_DT_F32, rank, dims, v, (size_t)n * sizeof *v),
                     HBG_OK);
    free(v);
}

static void set_ints(hbg_node *n, const char *name, int count, int64_t a, int64_t b)
{
    hbg_attr *at = hbg_node_add_attr(n, name, HBG_ATTR_INTS);
    assert_non_null(at);
    at->ints = malloc(4 * sizeof *at->ints);
    assert_non_null(at->ints);
    for (int i = 0; i < count; i++)
        at->ints[i] = i % 2 ? b : a;
    at->n = (size_t)count;
}

/* Conv name: in (C channels) -> out, k x k kernel, "same" padding, group. */
static void conv(hbg_graph *g, const char *name, const char *in, const char *out, int64_t cin,
                 int64_t cout, int64_t k, int64_t group)
{
    char w[64];
    int64_t wd[4] = {cout, cin / group, k, k};
    hbg_node *n;
    snprintf(w, sizeof w, "%s.w", name);
    add_const(g, w, 4, wd);
    const char *ins[2] = {in, w}, *outs[1] = {out};
    assert_int_equal(hbg_graph_add_node(g, "Conv", "", name, 2, ins, 1, outs, &n), HBG_OK);
    set_ints(n, "kernel_shape", 2, k, k);
    set_ints(n, "pads", 4, k / 2, k / 2);
    if (group != 1) {
        hbg_attr *at = hbg_node_add_attr(n, "group", HBG_ATTR_INT);
        assert_non_null(at);
        at->i = group;
    }
}

static void node1(hbg_graph *g, const char *op, const char *name, const char *in, const char *out)
{
    const char *ins[1] = {in}, *outs[1] = {out};
    assert_int_equal(hbg_graph_add_node(g, op, "", name, 1, ins, 1, outs, NULL), HBG_OK);
}

static void node2(hbg_graph *g, const char *op, const char *name, const char *a, const char *b,
                  const char *out)
{
    const char *ins[2] = {a, b}, *outs[1] = {out};
    assert_int_equal(hbg_graph_add_node(g, op, "", name, 2, ins, 1, outs, NULL), HBG_OK);
}

static void finish(hbg_graph *g, const char *out)
{
    hbg_exec *e = NULL;
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, out)), HBG_OK);
    if (hbg_exec_create(g, &e) != HBG_OK)
        fail_msg("%s", g->err);
    hbg_exec_free(e);
}

static int node_index(const hbg_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0)
            return i;
    fail_msg("no node %s", name);
    return -1;
}

/* "BPU id(k)" / "CPU --" of node name. */
static void expect(const hbg_graph *g, const hbc_placement *p, const char *name, int bpu, int sub)
{
    int i = node_index(g, name);
    if (p->bpu[i] != bpu || p->subgraph[i] != sub)
        fail_msg("node %s: %s subgraph %d, expected %s %d (%s)", name, p->bpu[i] ? "BPU" : "CPU",
                 p->subgraph[i], bpu ? "BPU" : "CPU", sub, p->why[i]);
}

static void place_ok(const hbg_graph *g, bpu_march_id m, const hbc_place_request *r, int n,
                     hbc_placement *p)
{
    char err[512];
    if (hbc_place(g, m, r, n, p, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
}

/* Conv 9x9: above bernoulli2's 7x7 limit, within bayes-e's 31x31. */
static void test_conv_kernel_limit(void **state)
{
    (void)state;
    hbg_graph *g = new_graph("x", 4, 16, 16);
    hbc_placement p;
    conv(g, "c9", "x", "y", 4, 4, 9, 1);
    finish(g, "y");
    place_ok(g, BPU_MARCH_BERNOULLI2, NULL, 0, &p);
    expect(g, &p, "c9", 0, -1);
    assert_non_null(strstr(p.why[0], "kernel 9x9, the BPU of bernoulli2 takes up to 7x7"));
    assert_int_equal(p.n_subgraphs, 0);
    hbc_placement_free(&p);
    place_ok(g, BPU_MARCH_BAYES_E, NULL, 0, &p);
    expect(g, &p, "c9", 1, 0);
    hbc_placement_free(&p);
    hbg_graph_free(g);
}

/* Depthwise (group = C = K) runs on the BPU; another grouped conv does not. */
static void test_conv_groups(void **state)
{
    (void)state;
    hbg_graph *g = new_graph("x", 4, 8, 8);
    hbc_placement p;
    conv(g, "dw", "x", "a", 4, 4, 3, 4);
    conv(g, "g2", "a", "b", 4, 4, 3, 2);
    finish(g, "b");
    place_ok(g, BPU_MARCH_BAYES, NULL, 0, &p);
    expect(g, &p, "dw", 1, 0);
    expect(g, &p, "g2", 0, -1);
    assert_non_null(strstr(p.why[node_index(g, "g2")], "group 2"));
    hbc_placement_free(&p);
    hbg_graph_free(g);
}

/* conv1 -> Softmax (CPU) -> conv2: two subgraphs; run_on_cpu moves conv1 off the BPU. */
static void test_subgraphs_and_requests(void **state)
{
    (void)state;
    hbg_graph *g = new_graph("x", 4, 8, 8);
    hbc_placement p;
    char err[512];
    conv(g, "conv1", "x", "a", 4, 4, 3, 1);
    node1(g, "Relu", "relu1", "a", "b");
    node1(g, "Softmax", "softmax", "b", "c");
    conv(g, "conv2", "c", "d", 4, 4, 1, 1);
    finish(g, "d");
    place_ok(g, BPU_MARCH_BERNOULLI2, NULL, 0, &p);
    expect(g, &p, "conv1", 1, 0);
    expect(g, &p, "relu1", 1, 0);
    expect(g, &p, "softmax", 0, -1);
    expect(g, &p, "conv2", 1, 1);
    assert_int_equal(p.n_subgraphs, 2);
    char *t = hbc_place_table(g, &p);
    assert_non_null(t);
    assert_string_equal(t, "===============================\n"
                           "Node     ON   Subgraph  Type\n"
                           "-------------------------------\n"
                           "conv1    BPU  id(0)     Conv\n"
                           "relu1    BPU  id(0)     Relu\n"
                           "softmax  CPU  --        Softmax\n"
                           "conv2    BPU  id(1)     Conv");
    free(t);
    hbc_placement_free(&p);

    hbc_place_request cpu[1] = {{"relu1", HBC_ON_CPU, "run_on_cpu"}};
    place_ok(g, BPU_MARCH_BERNOULLI2, cpu, 1, &p);
    expect(g, &p, "conv1", 1, 0);
    expect(g, &p, "relu1", 0, -1);
    expect(g, &p, "conv2", 1, 1);
    hbc_placement_free(&p);

    /* node_info comes last and wins over run_on_cpu. */
    hbc_place_request both[2] = {{"relu1", HBC_ON_CPU, "run_on_cpu"},
                                 {"relu1", HBC_ON_BPU, "node_info"}};
    place_ok(g, BPU_MARCH_BERNOULLI2, both, 2, &p);
    expect(g, &p, "relu1", 1, 0);
    hbc_placement_free(&p);

    hbc_place_request bpu[1] = {{"softmax", HBC_ON_BPU, "run_on_bpu"}};
    assert_int_equal(hbc_place(g, BPU_MARCH_BAYES_E, bpu, 1, &p, err, sizeof err),
                     HBG_E_UNSUPPORTED);
    assert_string_equal(err, "run_on_bpu: node 'softmax' cannot run on the BPU of bayes-e: "
                             "Softmax: no BPU implementation");
    assert_null(p.bpu);
    hbc_place_request none[1] = {{"conv9", HBC_ON_CPU, "run_on_cpu"}};
    assert_int_equal(hbc_place(g, BPU_MARCH_BAYES_E, none, 1, &p, err, sizeof err), HBG_E_INVALID);
    assert_string_equal(err, "run_on_cpu: there is no node named 'conv9' in the model");
    hbg_graph_free(g);
}

/* a = conv(x); b = Softmax(a) (CPU); c = Add(a, b): a and c are joined by an edge, but one
 * subgraph {a, c} would not be convex (a -> b -> c leaves it), so they are id(0) and id(1). */
static void test_convexity(void **state)
{
    (void)state;
    hbg_graph *g = new_graph("x", 4, 8, 8);
    hbc_placement p;
    conv(g, "a", "x", "ya", 4, 4, 3, 1);
    node1(g, "Softmax", "b", "ya", "yb");
    node2(g, "Add", "c", "ya", "yb", "yc");
    finish(g, "yc");
    place_ok(g, BPU_MARCH_BAYES_E, NULL, 0, &p);
    expect(g, &p, "a", 1, 0);
    expect(g, &p, "b", 0, -1);
    expect(g, &p, "c", 1, 1);
    hbc_placement_free(&p);
    hbg_graph_free(g);
}

/* conv -> two CPU Softmax branches -> Relu each -> Concat: both branches and the Concat are BPU
 * nodes of one level behind one CPU node, so they share id(1) (a convex region). */
static void test_parallel_branches(void **state)
{
    (void)state;
    hbg_graph *g = new_graph("x", 4, 8, 8);
    hbc_placement p;
    hbg_node *n;
    conv(g, "a", "x", "ya", 4, 4, 3, 1);
    node1(g, "Softmax", "s1", "ya", "b");
    node1(g, "Softmax", "s2", "ya", "c");
    node1(g, "Relu", "r1", "b", "d");
    node1(g, "Relu", "r2", "c", "e");
    const char *ins[2] = {"d", "e"}, *outs[1] = {"y"};
    assert_int_equal(hbg_graph_add_node(g, "Concat", "", "cat", 2, ins, 1, outs, &n), HBG_OK);
    hbg_attr *at = hbg_node_add_attr(n, "axis", HBG_ATTR_INT);
    assert_non_null(at);
    at->i = 1;
    finish(g, "y");
    place_ok(g, BPU_MARCH_BERNOULLI2, NULL, 0, &p);
    expect(g, &p, "a", 1, 0);
    expect(g, &p, "s1", 0, -1);
    expect(g, &p, "s2", 0, -1);
    expect(g, &p, "r1", 1, 1);
    expect(g, &p, "r2", 1, 1);
    expect(g, &p, "cat", 1, 1);
    assert_int_equal(p.n_subgraphs, 2);
    hbc_placement_free(&p);
    hbg_graph_free(g);
}

/* Add with a constant per-channel vector: every march; along W: not bernoulli2. Min: bayes-e
 * only on request. Sub: not bernoulli2. */
static void add_i64(hbg_graph *g, const char *name, int n, const int64_t *v)
{
    int64_t d = n;
    int t = hbg_graph_tensor(g, name);
    assert_int_equal(hbg_graph_set_const(g, t, HBG_DT_I64, 1, &d, v, (size_t)n * sizeof *v),
                     HBG_OK);
}

/* Slice steps: a channel step of a map whose H and W stay whole is BPU work (channel_shuffle's
 * output); a step on W, or a channel step together with an H slice, stays on the CPU. A Gather
 * of a constant channel list (a negative index included) is BPU work, one along H is not. */
static void test_slice_steps(void **state)
{
    (void)state;
    hbg_graph *g = new_graph("x", 8, 4, 6);
    hbc_placement p;
    const int64_t s0[2] = {1, 1}, e0[2] = {8, 4}, a_c[1] = {1}, a_w[1] = {3}, a_ch[2] = {1, 2},
                  two[2] = {2, 1}, e_w[1] = {6};
    add_i64(g, "s", 1, s0);
    add_i64(g, "e_c", 1, e0);
    add_i64(g, "e_w", 1, e_w);
    add_i64(g, "a_c", 1, a_c);
    add_i64(g, "a_w", 1, a_w);
    add_i64(g, "st", 1, two);
    add_i64(g, "s2", 2, s0);
    add_i64(g, "e2", 2, e0);
    add_i64(g, "a2", 2, a_ch);
    add_i64(g, "st2", 2, two);
    const char *outs[3] = {"odd", "wstep", "both"};
    const char *ins[3][5] = {{"x", "s", "e_c", "a_c", "st"},
                             {"x", "s", "e_w", "a_w", "st"},
                             {"x", "s2", "e2", "a2", "st2"}};
    for (int k = 0; k < 3; k++)
        assert_int_equal(hbg_graph_add_node(g, "Slice", "", outs[k], 5, ins[k], 1, &outs[k], NULL),
                         HBG_OK);
    const int64_t perm[8] = {1, 0, 3, 2, 5, 4, 7, -2};
    add_i64(g, "perm", 8, perm);
    const char *gin[2] = {"x", "perm"}, *gout[1] = {"shuffled"}, *g0out[1] = {"rows"};
    hbg_node *ga = NULL, *g0 = NULL;
    assert_int_equal(hbg_graph_add_node(g, "Gather", "", "shuffled", 2, gin, 1, gout, &ga), HBG_OK);
    assert_int_equal(
        hbg_graph_add_node(g, "Gather", "", "rows", 2, (const char *[]){"x", "s"}, 1, g0out, &g0),
        HBG_OK);
    hbg_attr *a1 = hbg_node_add_attr(ga, "axis", HBG_ATTR_INT),
             *a2 = hbg_node_add_attr(g0, "axis", HBG_ATTR_INT);
    assert_non_null(a1);
    assert_non_null(a2);
    a1->i = 1;
    a2->i = 2;
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "shuffled")), HBG_OK);
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "rows")), HBG_OK);
    node2(g, "Add", "add", "odd", "odd", "y");
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "wstep")), HBG_OK);
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "both")), HBG_OK);
    finish(g, "y");
    place_ok(g, BPU_MARCH_BAYES_E, NULL, 0, &p);
    expect(g, &p, "odd", 1, 0);
    expect(g, &p, "wstep", 0, -1);
    expect(g, &p, "both", 0, -1);
    assert_non_null(strstr(p.why[node_index(g, "wstep")], "steps other than 1"));
    assert_non_null(strstr(p.why[node_index(g, "both")], "steps other than 1"));
    expect(g, &p, "shuffled", 1, 0);
    expect(g, &p, "rows", 0, -1);
    assert_non_null(strstr(p.why[node_index(g, "rows")], "only along the channels"));
    hbc_placement_free(&p);
    hbg_graph_free(g);
}

static void test_eltwise(void **state)
{
    (void)state;
    hbg_graph *g = new_graph("x", 4, 2, 2);
    hbc_placement p;
    int64_t ch[4] = {1, 4, 1, 1}, wv[4] = {1, 1, 1, 2};
    add_const(g, "ch", 4, ch);
    add_const(g, "wv", 4, wv);
    node2(g, "Add", "add_ch", "x", "ch", "a");
    node2(g, "Add", "add_w", "wv", "a", "b");
    node2(g, "Min", "min", "a", "b", "c");
    node2(g, "Sub", "sub", "c", "ch", "d");
    finish(g, "d");
    place_ok(g, BPU_MARCH_BERNOULLI2, NULL, 0, &p);
    expect(g, &p, "add_ch", 1, 0);
    expect(g, &p, "add_w", 0, -1);
    assert_non_null(strstr(p.why[node_index(g, "add_w")], "per channel (1xCx1x1) or a scalar"));
    expect(g, &p, "min", 0, -1);
    expect(g, &p, "sub", 0, -1);
    hbc_placement_free(&p);
    place_ok(g, BPU_MARCH_BAYES_E, NULL, 0, &p);
    expect(g, &p, "add_ch", 1, 0);
    expect(g, &p, "add_w", 1, 0);
    expect(g, &p, "min", 0, -1);
    assert_non_null(strstr(p.why[node_index(g, "min")], "only when run_on_bpu or node_info"));
    expect(g, &p, "sub", 1, 1);
    hbc_placement_free(&p);
    hbc_place_request r[1] = {{"min", HBC_ON_BPU, "run_on_bpu"}};
    place_ok(g, BPU_MARCH_BAYES_E, r, 1, &p);
    expect(g, &p, "min", 1, 0);
    expect(g, &p, "sub", 1, 0);
    assert_int_equal(p.n_subgraphs, 1);
    hbc_placement_free(&p);
    hbg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_kernel_limit),
        cmocka_unit_test(test_conv_groups),
        cmocka_unit_test(test_subgraphs_and_requests),
        cmocka_unit_test(test_convexity),
        cmocka_unit_test(test_parallel_branches),
        cmocka_unit_test(test_eltwise),
        cmocka_unit_test(test_slice_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
