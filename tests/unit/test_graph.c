/* Graph IR: construction, validation messages, topological order, attribute lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hbg/graph.h"
#include "hbg/kernel.h"

static hbg_node *add(hbg_graph *g, const char *op, const char *name, const char *in0,
                     const char *in1, const char *out)
{
    const char *ins[2] = {in0, in1};
    const char *outs[1] = {out};
    hbg_node *n = NULL;
    assert_int_equal(hbg_graph_add_node(g, op, "", name, in1 ? 2 : 1, ins, 1, outs, &n), HBG_OK);
    return n;
}

static void make_input(hbg_graph *g, const char *name)
{
    int64_t dims[2] = {2, 3};
    int idx = hbg_graph_tensor(g, name);
    assert_true(idx >= 0);
    assert_int_equal(hbg_tensor_set_shape(g->tensors[idx], HBG_DT_F32, 2, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, idx), HBG_OK);
}

static void test_topological_order(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    /* File order: c consumes b, b consumes a: reversed on purpose. */
    add(g, "Relu", "c", "b_out", NULL, "c_out");
    add(g, "Relu", "b", "a_out", NULL, "b_out");
    add(g, "Relu", "a", "x", NULL, "a_out");
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "c_out")), HBG_OK);
    assert_int_equal(hbg_graph_validate(g, 0), HBG_OK);
    assert_string_equal(g->nodes[0].name, "a");
    assert_string_equal(g->nodes[1].name, "b");
    assert_string_equal(g->nodes[2].name, "c");
    assert_int_equal(g->tensors[hbg_graph_find_tensor(g, "c_out")]->producer, 2);
    assert_int_equal(g->nodes[0].op, HBG_OP_RELU);
    hbg_graph_free(g);
}

static void test_stable_order(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    add(g, "Relu", "n1", "x", NULL, "y1");
    add(g, "Sigmoid", "n2", "x", NULL, "y2");
    add(g, "Add", "n3", "y1", "y2", "y3");
    assert_int_equal(hbg_graph_validate(g, 0), HBG_OK);
    assert_string_equal(g->nodes[0].name, "n1");
    assert_string_equal(g->nodes[1].name, "n2");
    assert_string_equal(g->nodes[2].name, "n3");
    hbg_graph_free(g);
}

static void test_dangling_input(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    add(g, "Add", "adder", "x", "nowhere", "y");
    assert_int_equal(hbg_graph_validate(g, 0), HBG_E_INVALID);
    assert_non_null(strstr(g->err, "adder"));
    assert_non_null(strstr(g->err, "nowhere"));
    hbg_graph_free(g);
}

static void test_cycle(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    add(g, "Add", "p", "x", "q_out", "p_out");
    add(g, "Relu", "q", "p_out", NULL, "q_out");
    assert_int_equal(hbg_graph_validate(g, 0), HBG_E_INVALID);
    assert_non_null(strstr(g->err, "cycle"));
    assert_non_null(strstr(g->err, "'p'"));
    hbg_graph_free(g);
}

static void test_double_producer(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    add(g, "Relu", "first", "x", NULL, "y");
    add(g, "Relu", "second", "x", NULL, "y");
    assert_int_equal(hbg_graph_validate(g, 0), HBG_E_INVALID);
    assert_non_null(strstr(g->err, "second"));
    assert_non_null(strstr(g->err, "already produced"));
    hbg_graph_free(g);
}

static void test_unknown_op(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    hbg_node *n = add(g, "FancyOp", "weird", "x", NULL, "y");
    assert_int_equal(n->op, HBG_OP_UNKNOWN);
    assert_int_equal(hbg_graph_validate(g, 0), HBG_OK);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(g->err, "weird"));
    assert_non_null(strstr(g->err, "FancyOp"));
    hbg_graph_free(g);
}

static void test_output_never_produced(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    add(g, "Relu", "r", "x", NULL, "y");
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_tensor(g, "ghost")), HBG_OK);
    assert_int_equal(hbg_graph_validate(g, 0), HBG_E_INVALID);
    assert_non_null(strstr(g->err, "ghost"));
    hbg_graph_free(g);
}

static void test_attributes_and_const(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    make_input(g, "x");
    hbg_node *n = add(g, "Conv", "c", "x", NULL, "y");
    hbg_attr *a = hbg_node_add_attr(n, "group", HBG_ATTR_INT);
    a->i = 4;
    a = hbg_node_add_attr(n, "pads", HBG_ATTR_INTS);
    a->ints = malloc(4 * sizeof *a->ints);
    a->n = 4;
    for (int i = 0; i < 4; i++)
        a->ints[i] = i + 1;
    const int64_t *v = NULL;
    assert_int_equal(hbg_attr_int(n, "group", 1), 4);
    assert_int_equal(hbg_attr_int(n, "missing", 7), 7);
    assert_int_equal(hbg_attr_ints(n, "pads", &v), 4);
    assert_int_equal(v[3], 4);
    assert_int_equal(hbg_attr_ints(n, "strides", &v), -1);

    int64_t dims[1] = {3};
    float w[3] = {1, 2, 3};
    int idx = hbg_graph_tensor(g, "w");
    assert_int_equal(hbg_graph_set_const(g, idx, HBG_DT_F32, 1, dims, w, sizeof w), HBG_OK);
    /* A size that does not match the shape is refused, naming the tensor. */
    assert_int_equal(hbg_graph_set_const(g, idx, HBG_DT_F32, 1, dims, w, 8), HBG_E_SHAPE);
    assert_non_null(strstr(g->err, "'w'"));
    hbg_graph_free(g);
}

static void test_numel_overflow(void **state)
{
    (void)state;
    hbg_tensor *t = hbg_tensor_create("big");
    int64_t dims[3] = {INT64_C(1) << 40, INT64_C(1) << 40, 2};
    assert_int_equal(hbg_tensor_set_shape(t, HBG_DT_F32, 3, dims), HBG_OK);
    assert_int_equal(hbg_tensor_numel(t), -1);
    int64_t neg[1] = {-3};
    assert_int_equal(hbg_tensor_set_shape(t, HBG_DT_F32, 1, neg), HBG_E_SHAPE);
    char buf[64];
    int64_t ok[3] = {1, 3, 224};
    hbg_tensor_set_shape(t, HBG_DT_F32, 3, ok);
    assert_string_equal(hbg_shape_str(t, buf, sizeof buf), "1x3x224");
    hbg_tensor_free(t);
}

static void test_op_names(void **state)
{
    (void)state;
    for (int i = 1; i < HBG_OP_COUNT; i++)
        assert_int_equal(hbg_op_from_name(hbg_op_name((hbg_op)i)), i);
    assert_int_equal(hbg_op_from_name("NotAnOp"), HBG_OP_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topological_order),     cmocka_unit_test(test_stable_order),
        cmocka_unit_test(test_dangling_input),        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_double_producer),       cmocka_unit_test(test_unknown_op),
        cmocka_unit_test(test_output_never_produced), cmocka_unit_test(test_attributes_and_const),
        cmocka_unit_test(test_numel_overflow),        cmocka_unit_test(test_op_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
