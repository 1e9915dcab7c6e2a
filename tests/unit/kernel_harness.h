/* One-node graphs for kernel unit tests: build, run on the float executor, read the outputs.
 * Included by tests/unit/test_kernels_*.c (cmocka must be included first). */
#ifndef HB_TESTS_KERNEL_HARNESS_H
#define HB_TESTS_KERNEL_HARNESS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hbg/exec.h"
#include "hbg/graph.h"
#include "hbg/kernel.h"

#define KH_NODE "node_under_test" /* every error message must name it */

/* One input of the node. name NULL: an omitted optional input. */
typedef struct kh_in {
    const char *name;
    hbg_dtype dt;
    int rank;
    int64_t dims[HBG_MAX_RANK];
    const void *data;
    int is_const; /* 1: initializer (known at prepare time); 0: graph input fed before running */
} kh_in;

typedef struct kh {
    hbg_graph *g;
    hbg_exec *e;
    int n_in;
    const kh_in *ins;
} kh;

/* A graph with opset `opset` holding one node op(ins) -> y0..y{n_out-1}; attributes are added
 * to the returned node before kh_run. */
static inline hbg_node *kh_build(kh *h, const char *op, int64_t opset, int n_in, const kh_in *ins,
                                 int n_out)
{
    const char *in_names[8] = {0};
    const char *out_names[4] = {"y0", "y1", "y2", "y3"};
    hbg_node *n = NULL;
    memset(h, 0, sizeof *h);
    h->g = hbg_graph_create();
    h->n_in = n_in;
    h->ins = ins;
    assert_non_null(h->g);
    assert_int_equal(hbg_graph_add_opset(h->g, "", opset), HBG_OK);
    for (int i = 0; i < n_in; i++) {
        in_names[i] = ins[i].name;
        if (!ins[i].name)
            continue;
        int t = hbg_graph_tensor(h->g, ins[i].name);
        assert_true(t >= 0);
        if (ins[i].is_const) {
            hbg_tensor tmp = {0};
            assert_int_equal(hbg_tensor_set_shape(&tmp, ins[i].dt, ins[i].rank, ins[i].dims),
                             HBG_OK);
            assert_int_equal(hbg_graph_set_const(h->g, t, ins[i].dt, ins[i].rank, ins[i].dims,
                                                 ins[i].data, (size_t)hbg_tensor_nbytes(&tmp)),
                             HBG_OK);
        } else {
            assert_int_equal(
                hbg_tensor_set_shape(h->g->tensors[t], ins[i].dt, ins[i].rank, ins[i].dims),
                HBG_OK);
            assert_int_equal(hbg_graph_add_input(h->g, t), HBG_OK);
        }
    }
    assert_int_equal(
        hbg_graph_add_node(h->g, op, "", KH_NODE, n_in, in_names, n_out, out_names, &n), HBG_OK);
    for (int o = 0; o < n_out; o++)
        assert_int_equal(hbg_graph_add_output(h->g, hbg_graph_find_tensor(h->g, out_names[o])),
                         HBG_OK);
    return n;
}

static inline void kh_attr_int(hbg_node *n, const char *name, int64_t v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_INT);
    assert_non_null(a);
    a->i = v;
}

static inline void kh_attr_float(hbg_node *n, const char *name, float v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_FLOAT);
    assert_non_null(a);
    a->f = v;
}

static inline void kh_attr_ints(hbg_node *n, const char *name, size_t cnt, const int64_t *v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_INTS);
    assert_non_null(a);
    a->n = cnt;
    a->ints = malloc(cnt ? cnt * sizeof *v : 1);
    assert_non_null(a->ints);
    if (cnt)
        memcpy(a->ints, v, cnt * sizeof *v);
}

static inline void kh_attr_floats(hbg_node *n, const char *name, size_t cnt, const float *v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_FLOATS);
    assert_non_null(a);
    a->n = cnt;
    a->floats = malloc(cnt ? cnt * sizeof *v : 1);
    assert_non_null(a->floats);
    if (cnt)
        memcpy(a->floats, v, cnt * sizeof *v);
}

/* A TENSOR attribute holding data of type dt and the given shape. */
static inline void kh_attr_tensor(hbg_node *n, const char *name, hbg_dtype dt, int rank,
                                  const int64_t *dims, const void *data)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_TENSOR);
    assert_non_null(a);
    a->t = hbg_tensor_create(name);
    assert_non_null(a->t);
    assert_int_equal(hbg_tensor_set_shape(a->t, dt, rank, dims), HBG_OK);
    size_t nb = (size_t)hbg_tensor_nbytes(a->t);
    a->t->data = malloc(nb ? nb : 1);
    assert_non_null(a->t->data);
    memcpy(a->t->data, data, nb);
    a->t->is_const = 1;
}

/* Prepare, feed the non-constant inputs, run. Returns the first failing status (message in
 * h->g->err). */
static inline hbg_status kh_run(kh *h)
{
    hbg_status st = hbg_exec_create(h->g, &h->e);
    if (st != HBG_OK)
        return st;
    for (int i = 0; i < h->n_in; i++) {
        const kh_in *in = &h->ins[i];
        if (!in->name || in->is_const)
            continue;
        hbg_tensor *t = h->g->tensors[hbg_graph_find_tensor(h->g, in->name)];
        int64_t nb = hbg_tensor_nbytes(t);
        if (nb > 0)
            memcpy(t->data, in->data, (size_t)nb);
    }
    return hbg_exec_run(h->e);
}

static inline const hbg_tensor *kh_out(const kh *h, int i)
{
    return h->g->tensors[h->g->outputs[i]];
}

static inline void kh_free(kh *h)
{
    hbg_exec_free(h->e);
    hbg_graph_free(h->g);
    memset(h, 0, sizeof *h);
}

/* Shape and dtype of output i. */
static inline void kh_check_shape(const kh *h, int i, hbg_dtype dt, int rank, const int64_t *dims)
{
    const hbg_tensor *t = kh_out(h, i);
    assert_int_equal(t->dtype, dt);
    assert_int_equal(t->rank, rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(t->dims[d], dims[d]);
}

/* Float output i against want within |got - want| <= atol + rtol * |want|; NaN and infinities
 * must match exactly. */
static inline void kh_check_f32(const kh *h, int i, const float *want, int64_t n, float rtol,
                                float atol)
{
    const hbg_tensor *t = kh_out(h, i);
    assert_int_equal(t->dtype, HBG_DT_F32);
    assert_int_equal(hbg_tensor_numel(t), n);
    const float *y = t->data;
    for (int64_t j = 0; j < n; j++) {
        if (isnan(want[j])) {
            assert_true(isnan(y[j]));
            continue;
        }
        if (y[j] == want[j]) /* also infinities */
            continue;
        if (!(fabsf(y[j] - want[j]) <= atol + rtol * fabsf(want[j])))
            fail_msg("element %lld: got %.9g, want %.9g", (long long)j, (double)y[j],
                     (double)want[j]);
    }
}

/* Integer-typed (or bool) output i, element by element. */
static inline void kh_check_int(const kh *h, int i, const int64_t *want, int64_t n)
{
    const hbg_tensor *t = kh_out(h, i);
    assert_int_equal(hbg_tensor_numel(t), n);
    for (int64_t j = 0; j < n; j++)
        if (hbg_tensor_get_int(t, j) != want[j])
            fail_msg("element %lld: got %lld, want %lld", (long long)j,
                     (long long)hbg_tensor_get_int(t, j), (long long)want[j]);
}

/* The failure carried status st and a message naming the node. */
static inline void kh_check_fail(const kh *h, hbg_status got, hbg_status want)
{
    assert_int_equal(got, want);
    assert_non_null(strstr(h->g->err, KH_NODE));
}

#endif /* HB_TESTS_KERNEL_HARNESS_H */
