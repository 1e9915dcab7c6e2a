/* Graph editing (hbg/edit.h): use counts, rerouting, node removal/move/insert, bypass keeping
 * output names, dead-node removal, dropping unused tensors with renumbering, attributes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hbg/edit.h"
#include "hbg/graph.h"

static void add(hbg_graph *g, const char *op, const char *name, const char *in0, const char *in1,
                const char *out)
{
    const char *ins[2] = {in0, in1};
    const char *outs[1] = {out};
    assert_int_equal(hbg_graph_add_node(g, op, "", name, in1 ? 2 : 1, ins, 1, outs, NULL), HBG_OK);
}

static int T(const hbg_graph *g, const char *name)
{
    return hbg_graph_find_tensor(g, name);
}

/* x -> a(Relu) -> ra; ra -> b(Identity) -> rb; rb, ra -> c(Add) -> out; out is the graph output */
static hbg_graph *chain(void)
{
    hbg_graph *g = hbg_graph_create();
    assert_non_null(g);
    int64_t d[2] = {2, 3};
    int x = hbg_graph_tensor(g, "x");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 2, d), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, x), HBG_OK);
    add(g, "Relu", "a", "x", NULL, "ra");
    add(g, "Identity", "b", "ra", NULL, "rb");
    add(g, "Add", "c", "rb", "ra", "out");
    assert_int_equal(hbg_graph_add_output(g, T(g, "out")), HBG_OK);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    return g;
}

static void test_use_count_and_replace(void **state)
{
    (void)state;
    hbg_graph *g = chain();
    assert_int_equal(hbg_edit_use_count(g, T(g, "ra")), 2);
    assert_int_equal(hbg_edit_use_count(g, T(g, "out")), 0);
    assert_int_equal(hbg_edit_next_consumer(g, T(g, "ra"), 0), 1);
    assert_int_equal(hbg_edit_next_consumer(g, T(g, "ra"), 2), 2);
    assert_int_equal(hbg_edit_next_consumer(g, T(g, "ra"), 3), -1);
    assert_int_equal(hbg_edit_replace_uses(g, T(g, "rb"), T(g, "ra")), 1);
    assert_int_equal(hbg_edit_use_count(g, T(g, "ra")), 3);
    /* b is now dead */
    int removed = -1;
    assert_int_equal(hbg_edit_remove_dead(g, &removed), HBG_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    hbg_graph_free(g);
}

static void test_bypass_keeps_names(void **state)
{
    (void)state;
    hbg_graph *g = chain();
    /* ra is read twice, so the Identity's readers are rerouted to ra */
    assert_int_equal(hbg_edit_bypass(g, 1, 0), HBG_OK);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(g->nodes[1].in[0], T(g, "ra"));
    assert_int_equal(g->nodes[1].in[1], T(g, "ra"));
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    hbg_graph_free(g);

    /* Identity whose input is single-use: the producer writes the Identity's output name */
    g = hbg_graph_create();
    int64_t d[1] = {4};
    int x = hbg_graph_tensor(g, "x");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 1, d), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, x), HBG_OK);
    add(g, "Relu", "a", "x", NULL, "ra");
    add(g, "Identity", "b", "ra", NULL, "final");
    assert_int_equal(hbg_graph_add_output(g, T(g, "final")), HBG_OK);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    assert_int_equal(hbg_edit_bypass(g, 1, 0), HBG_OK);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->nodes[0].out[0], T(g, "final"));
    assert_int_equal(g->tensors[T(g, "final")]->producer, 0);
    int dropped = -1;
    assert_int_equal(hbg_edit_drop_unused(g, &dropped), HBG_OK);
    assert_int_equal(dropped, 1);
    assert_int_equal(T(g, "ra"), -1);
    assert_int_equal(g->tensors[g->outputs[0]]->producer, 0);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);

    /* Identity from graph input to graph output: refused, graph unchanged */
    add(g, "Identity", "c", "x", NULL, "copy");
    assert_int_equal(hbg_graph_add_output(g, T(g, "copy")), HBG_OK);
    assert_int_equal(hbg_edit_bypass(g, 1, 0), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(g->err, "copy"));
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(hbg_edit_bypass(g, 5, 0), HBG_E_INVALID);
    assert_int_equal(hbg_edit_bypass(g, 1, 3), HBG_E_INVALID);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    hbg_graph_free(g);
}

static void test_remove_move_insert(void **state)
{
    (void)state;
    hbg_graph *g = chain();
    hbg_node *n = NULL;
    const char *in[1] = {"x"}, *out[1] = {"s"}, *dup[1] = {"ra"};
    /* a new first node; its name and op are set; producers follow */
    assert_int_equal(hbg_edit_insert_node(g, 0, "Sigmoid", "sig", 1, in, 1, out, &n), HBG_OK);
    assert_string_equal(n->name, "sig");
    assert_int_equal(n->op, HBG_OP_SIGMOID);
    assert_int_equal(g->n_nodes, 4);
    assert_int_equal(g->tensors[T(g, "s")]->producer, 0);
    assert_int_equal(g->tensors[T(g, "out")]->producer, 3);
    /* writing a tensor that already has a producer is refused */
    assert_int_equal(hbg_edit_insert_node(g, 0, "Relu", "bad", 1, in, 1, dup, NULL), HBG_E_INVALID);
    assert_int_equal(hbg_edit_insert_node(g, 9, "Relu", "bad", 1, in, 1, out, NULL), HBG_E_INVALID);
    assert_int_equal(g->n_nodes, 4);
    /* move it to the end and back */
    assert_int_equal(hbg_edit_move_node(g, 0, 3), HBG_OK);
    assert_string_equal(g->nodes[3].name, "sig");
    assert_string_equal(g->nodes[0].name, "a");
    assert_int_equal(g->tensors[T(g, "s")]->producer, 3);
    assert_int_equal(hbg_edit_move_node(g, 3, 1), HBG_OK);
    assert_string_equal(g->nodes[1].name, "sig");
    assert_string_equal(g->nodes[2].name, "b");
    assert_int_equal(hbg_edit_move_node(g, 0, 4), HBG_E_INVALID);
    /* remove by index and by mask */
    assert_int_equal(hbg_edit_remove_node(g, 1), HBG_OK);
    assert_int_equal(g->n_nodes, 3);
    assert_int_equal(g->tensors[T(g, "s")]->producer, -1);
    assert_int_equal(g->tensors[T(g, "out")]->producer, 2);
    unsigned char drop[3] = {0, 1, 0};
    int k = -1;
    assert_int_equal(hbg_edit_remove_nodes(g, drop, &k), HBG_OK);
    assert_int_equal(k, 1);
    assert_string_equal(g->nodes[1].name, "c");
    assert_int_equal(hbg_edit_remove_node(g, 2), HBG_E_INVALID);
    /* c reads rb, which nothing writes now */
    assert_int_equal(hbg_graph_validate(g, 1), HBG_E_INVALID);
    assert_int_equal(hbg_edit_replace_uses(g, T(g, "rb"), T(g, "ra")), 1);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    hbg_graph_free(g);
}

static void test_drop_unused_renumbers(void **state)
{
    (void)state;
    hbg_graph *g = chain();
    int64_t d[1] = {3};
    float v[3] = {1, 2, 3};
    int c = -1;
    assert_int_equal(hbg_edit_new_const(g, "x", HBG_DT_F32, 1, d, v, sizeof v, &c), HBG_OK);
    assert_string_equal(g->tensors[c]->name, "x_1"); /* "x" is taken */
    assert_int_equal(hbg_edit_new_const(g, "x", HBG_DT_F32, 1, d, v, sizeof v, &c), HBG_OK);
    assert_string_equal(g->tensors[c]->name, "x_2");
    assert_int_equal(hbg_edit_new_const(g, "x", HBG_DT_F32, 1, d, v, 4, &c), HBG_E_SHAPE);
    /* a dead node goes with remove_dead, its tensors with drop_unused */
    add(g, "Neg", "dead", "x_1", NULL, "unused");
    int before = g->n_tensors, removed = 0, dropped = 0;
    assert_int_equal(hbg_edit_remove_dead(g, &removed), HBG_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(hbg_edit_drop_unused(g, &dropped), HBG_OK);
    /* x_1, x_2, unused and the failed third constant's tensor */
    assert_int_equal(dropped, 4);
    assert_int_equal(g->n_tensors, before - 4);
    assert_int_equal(T(g, "x_1"), -1);
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            assert_true(g->nodes[i].in[k] >= 0 && g->nodes[i].in[k] < g->n_tensors);
    assert_string_equal(g->tensors[g->outputs[0]]->name, "out");
    assert_string_equal(g->tensors[g->inputs[0]]->name, "x");
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    char buf[4];
    assert_int_equal(hbg_edit_unique_name(g, "a_long_name", buf, sizeof buf), HBG_E_INVALID);
    hbg_graph_free(g);
}

static void test_attrs_and_set_op(void **state)
{
    (void)state;
    hbg_graph *g = chain();
    hbg_node *n = &g->nodes[2];
    int64_t perm[2] = {1, 0};
    assert_int_equal(hbg_edit_set_attr_int(g, n, "axis", 3), HBG_OK);
    assert_int_equal(hbg_edit_set_attr_int(g, n, "axis", 5), HBG_OK);
    assert_int_equal(n->n_attr, 1);
    assert_int_equal(hbg_attr_int(n, "axis", 0), 5);
    assert_int_equal(hbg_edit_set_attr_float(g, n, "alpha", 0.5f), HBG_OK);
    assert_true(hbg_attr_float(n, "alpha", 0) == 0.5f);
    assert_int_equal(hbg_edit_set_attr_ints(g, n, "perm", perm, 2), HBG_OK);
    const int64_t *p;
    assert_int_equal(hbg_attr_ints(n, "perm", &p), 2);
    assert_int_equal(p[0], 1);
    assert_int_equal(hbg_edit_remove_attr(n, "axis"), 1);
    assert_int_equal(hbg_edit_remove_attr(n, "axis"), 0);
    assert_int_equal(n->n_attr, 2);
    assert_int_equal(hbg_edit_set_op(g, n, "Relu", 1), HBG_OK);
    assert_int_equal(n->op, HBG_OP_RELU);
    assert_string_equal(n->op_type, "Relu");
    assert_int_equal(n->n_in, 1);
    assert_int_equal(hbg_edit_set_op(g, n, "Relu", 2), HBG_E_INVALID);
    hbg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_use_count_and_replace), cmocka_unit_test(test_bypass_keeps_names),
        cmocka_unit_test(test_remove_move_insert),    cmocka_unit_test(test_drop_unused_renumbers),
        cmocka_unit_test(test_attrs_and_set_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
