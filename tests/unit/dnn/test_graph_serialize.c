/* The CPU subgraph serialisation (hbg/serialize.h, docs/bin-model.md section 4): round trips over
 * the real models of tests/data/models/onnx (loaded with the converter's ONNX loader) compared
 * field by field with the loaded graph and by running both on the float executor, and a hostile
 * deserialiser check (every truncation, every single-byte corruption, specific refusals).
 * `test_graph_serialize --write-corpus DIR` writes the fuzz seeds of tests/fuzz/corpus/graph. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dnn_test_util.h"
#include "hbc/onnx_io.h"
#include "hbg/exec.h"
#include "hbg/serialize.h"

static void same_tensor(const hbg_tensor *a, const hbg_tensor *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->rank, b->rank);
    for (int d = 0; d < a->rank; d++)
        assert_int_equal(a->dims[d], b->dims[d]);
    assert_int_equal(a->is_const && a->data, b->is_const && b->data);
    if (a->is_const && a->data)
        assert_memory_equal(a->data, b->data, (size_t)hbg_tensor_nbytes(a));
}

static void same_attr(const hbg_attr *a, const hbg_attr *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->type, b->type);
    switch (a->type) {
    case HBG_ATTR_FLOAT:
        assert_memory_equal(&a->f, &b->f, 4);
        break;
    case HBG_ATTR_INT:
        assert_int_equal(a->i, b->i);
        break;
    case HBG_ATTR_STRING:
        assert_string_equal(a->s ? a->s : "", b->s);
        break;
    case HBG_ATTR_FLOATS:
        assert_int_equal(a->n, b->n);
        if (a->n)
            assert_memory_equal(a->floats, b->floats, a->n * 4);
        break;
    case HBG_ATTR_INTS:
        assert_int_equal(a->n, b->n);
        if (a->n)
            assert_memory_equal(a->ints, b->ints, a->n * 8);
        break;
    case HBG_ATTR_STRINGS:
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++)
            assert_string_equal(a->strings[i], b->strings[i]);
        break;
    case HBG_ATTR_TENSOR:
        same_tensor(a->t, b->t);
        break;
    default:
        fail_msg("attribute type %d", (int)a->type);
    }
}

/* b (deserialised) holds everything the format keeps of a (validated before serialising). */
static void same_graph(const hbg_graph *a, const hbg_graph *b)
{
    assert_string_equal(a->name ? a->name : "", b->name);
    assert_int_equal(a->n_tensors, b->n_tensors);
    for (int i = 0; i < a->n_tensors; i++)
        same_tensor(a->tensors[i], b->tensors[i]);
    assert_int_equal(a->n_inputs, b->n_inputs);
    assert_memory_equal(a->inputs, b->inputs, (size_t)a->n_inputs * sizeof(int));
    assert_int_equal(a->n_outputs, b->n_outputs);
    assert_memory_equal(a->outputs, b->outputs, (size_t)a->n_outputs * sizeof(int));
    assert_int_equal(a->n_opsets, b->n_opsets);
    assert_int_equal(a->n_nodes, b->n_nodes);
    for (int i = 0; i < a->n_nodes; i++) {
        const hbg_node *x = &a->nodes[i], *y = &b->nodes[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->op, y->op);
        assert_int_equal(x->n_in, y->n_in);
        assert_int_equal(x->n_out, y->n_out);
        assert_memory_equal(x->in, y->in, (size_t)x->n_in * sizeof(int));
        assert_memory_equal(x->out, y->out, (size_t)x->n_out * sizeof(int));
        assert_int_equal(x->n_attr, y->n_attr);
        for (int k = 0; k < x->n_attr; k++)
            same_attr(&x->attrs[k], &y->attrs[k]);
    }
}

/* Run a and b on the same deterministic inputs; every output must be bit-identical. */
static void same_outputs(hbg_graph *a, hbg_graph *b)
{
    hbg_exec *ea = NULL, *eb = NULL;
    if (hbg_exec_create(a, &ea) != HBG_OK)
        fail_msg("%s", a->err);
    assert_int_equal(hbg_exec_create(b, &eb), HBG_OK);
    for (int i = 0; i < a->n_inputs; i++) {
        hbg_tensor *ta = a->tensors[a->inputs[i]], *tb = b->tensors[b->inputs[i]];
        int64_t n = hbg_tensor_numel(ta);
        assert_int_equal(ta->dtype, HBG_DT_F32);
        float *pa = ta->data, *pb = tb->data;
        for (int64_t e = 0; e < n; e++)
            pa[e] = pb[e] = (float)((e * 2654435761u) % 1000) / 500.0f - 1.0f;
    }
    assert_int_equal(hbg_exec_run(ea), HBG_OK);
    assert_int_equal(hbg_exec_run(eb), HBG_OK);
    for (int i = 0; i < a->n_outputs; i++) {
        hbg_tensor *ta = a->tensors[a->outputs[i]], *tb = b->tensors[b->outputs[i]];
        assert_memory_equal(ta->data, tb->data, (size_t)hbg_tensor_nbytes(ta));
    }
    hbg_exec_free(ea);
    hbg_exec_free(eb);
}

/* Serialise g (validated first), deserialise, compare, re-serialise to the same bytes. */
static void round_trip(hbg_graph *g, int run)
{
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    char err[256];
    hbg_graph *h = NULL;
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    assert_int_equal(hbg_serialize(g, &b1, &n1), HBG_OK);
    if (hbg_deserialize(b1, n1, &h, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    same_graph(g, h);
    assert_int_equal(hbg_serialize(h, &b2, &n2), HBG_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    if (run)
        same_outputs(g, h);
    free(b1);
    free(b2);
    hbg_graph_free(h);
}

static void test_models(void **state)
{
    (void)state;
    /* run = 0 for the largest model: the byte and field comparisons cover it */
    static const struct {
        const char *file;
        int run;
    } models[] = {
        {"fastestdet.onnx", 1}, {"yunet_n_320_320.onnx", 1}, {"mobilenet_v1_0.75_192.onnx", 0}};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char path[512], err[256];
        hbg_graph *g = NULL;
        snprintf(path, sizeof path, "%s/tests/data/models/onnx/%s", HB_SOURCE_DIR, models[i].file);
        if (hbc_onnx_load_file(path, &g, err, sizeof err) != HBG_OK)
            fail_msg("%s", err);
        round_trip(g, models[i].run);
        hbg_graph_free(g);
    }
    hbg_graph *t = tiny_conv_graph();
    round_trip(t, 1);
    hbg_graph_free(t);
}

/* A graph with every attribute kind (not run: the attributes are not meaningful to ops). */
static hbg_graph *all_attrs_graph(void)
{
    hbg_graph *g = tiny_conv_graph();
    hbg_node *n = &g->nodes[1];
    hbg_attr *a = hbg_node_add_attr(n, "f", HBG_ATTR_FLOAT);
    a->f = -1.5f;
    a = hbg_node_add_attr(n, "i", HBG_ATTR_INT);
    a->i = -(1LL << 40);
    a = hbg_node_add_attr(n, "s", HBG_ATTR_STRING);
    a->s = strdup("text");
    a = hbg_node_add_attr(n, "fs", HBG_ATTR_FLOATS);
    a->n = 2;
    a->floats = malloc(8);
    a->floats[0] = 1.0f;
    a->floats[1] = 2.0f;
    a = hbg_node_add_attr(n, "ss", HBG_ATTR_STRINGS);
    a->n = 2;
    a->strings = malloc(2 * sizeof(char *));
    a->strings[0] = strdup("a");
    a->strings[1] = strdup("");
    a = hbg_node_add_attr(n, "t", HBG_ATTR_TENSOR);
    a->t = hbg_tensor_create("tv");
    int64_t d[1] = {3};
    hbg_tensor_set_shape(a->t, HBG_DT_I64, 1, d);
    a->t->data = calloc(3, 8);
    a->t->is_const = 1;
    return g;
}

static void test_all_attribute_kinds(void **state)
{
    (void)state;
    hbg_graph *g = all_attrs_graph();
    round_trip(g, 0);
    hbg_graph_free(g);
}

/* Every truncation fails; every single-byte corruption fails cleanly or yields a valid graph. */
static void test_hostile(void **state)
{
    (void)state;
    hbg_graph *g = all_attrs_graph(), *h = NULL;
    uint8_t *b = NULL;
    size_t n = 0;
    char err[256];
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    assert_int_equal(hbg_serialize(g, &b, &n), HBG_OK);
    for (size_t k = 0; k < n; k++) {
        assert_int_not_equal(hbg_deserialize(b, k, &h, err, sizeof err), HBG_OK);
        assert_null(h);
        assert_true(err[0] != 0);
    }
    uint8_t *c = malloc(n + 1);
    for (size_t k = 0; k < n; k++) {
        static const uint8_t flips[3] = {0x01, 0x80, 0xFF};
        for (int f = 0; f < 3; f++) {
            memcpy(c, b, n);
            c[k] ^= flips[f];
            if (hbg_deserialize(c, n, &h, err, sizeof err) == HBG_OK)
                hbg_graph_free(h);
            h = NULL;
        }
    }
    /* specific refusals */
    memcpy(c, b, n);
    c[n] = 0;
    assert_int_equal(hbg_deserialize(c, n + 1, &h, err, sizeof err), HBG_E_FORMAT);
    assert_non_null(strstr(err, "trailing"));
    c[0] = 'X';
    assert_int_equal(hbg_deserialize(c, n, &h, err, sizeof err), HBG_E_FORMAT);
    assert_non_null(strstr(err, "magic"));
    memcpy(c, b, n);
    c[4] = 9;
    assert_int_equal(hbg_deserialize(c, n, &h, err, sizeof err), HBG_E_UNSUPPORTED);
    free(c);
    free(b);
    /* an op type outside the registry is refused by both sides */
    hbg_node *nd = &g->nodes[1];
    free(nd->op_type);
    nd->op_type = strdup("NoSuchOp");
    nd->op = HBG_OP_UNKNOWN;
    assert_int_equal(hbg_serialize(g, &b, &n), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(g->err, "NoSuchOp"));
    hbg_graph_free(g);
}

/* Write the fuzz seeds: the tiny graph, the all-attributes graph, and a truncated one. */
static int write_corpus(const char *dir)
{
    hbg_graph *gs[2] = {tiny_conv_graph(), all_attrs_graph()};
    const char *names[3] = {"tiny_conv.hbgs", "all_attrs.hbgs", "truncated.hbgs"};
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        uint8_t *b = NULL;
        size_t n = 0;
        char path[512];
        if (hbg_graph_validate(gs[i], 1) != HBG_OK || hbg_serialize(gs[i], &b, &n) != HBG_OK)
            return 1;
        for (int k = i; k < (i ? 3 : 1); k++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[k]);
            FILE *f = fopen(path, "wb");
            size_t len = k == 2 ? n / 2 : n;
            if (!f || fwrite(b, 1, len, f) != len)
                rc = 1;
            if (f)
                fclose(f);
        }
        free(b);
        hbg_graph_free(gs[i]);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_all_attribute_kinds),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
