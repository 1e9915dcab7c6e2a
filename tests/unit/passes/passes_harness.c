/* Test harness of the passes (passes_harness.h). */
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

#include "hbc/onnx_io.h"
#include "hbg/exec.h"

/* xorshift32: a fixed, platform-independent sequence for a seed. */
static float next_uniform(uint32_t *s, float lo, float hi)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return lo + (hi - lo) * (float)((x >> 8) * (1.0 / 16777216.0));
}

hbg_graph *ph_graph(void)
{
    hbg_graph *g = hbg_graph_create();
    assert_non_null(g);
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    return g;
}

int ph_input(hbg_graph *g, const char *name, int rank, const int64_t *dims)
{
    int t = hbg_graph_tensor(g, name);
    assert_true(t >= 0);
    assert_int_equal(hbg_tensor_set_shape(g->tensors[t], HBG_DT_F32, rank, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, t), HBG_OK);
    return t;
}

int ph_const(hbg_graph *g, const char *name, int rank, const int64_t *dims, unsigned seed, float lo,
             float hi)
{
    int64_t n = 1;
    uint32_t s = seed * 2654435761u + 1u;
    for (int d = 0; d < rank; d++)
        n *= dims[d];
    float *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (int64_t i = 0; i < n; i++)
        v[i] = next_uniform(&s, lo, hi);
    int t = ph_const_f(g, name, rank, dims, v);
    free(v);
    return t;
}

int ph_const_f(hbg_graph *g, const char *name, int rank, const int64_t *dims, const float *v)
{
    int64_t n = 1;
    for (int d = 0; d < rank; d++)
        n *= dims[d];
    int t = hbg_graph_tensor(g, name);
    assert_true(t >= 0);
    assert_int_equal(
        hbg_graph_set_const(g, t, HBG_DT_F32, rank, dims, v, (size_t)n * sizeof(float)), HBG_OK);
    return t;
}

int ph_const_i64(hbg_graph *g, const char *name, int rank, const int64_t *dims, const int64_t *v)
{
    int64_t n = 1;
    for (int d = 0; d < rank; d++)
        n *= dims[d];
    int t = hbg_graph_tensor(g, name);
    assert_true(t >= 0);
    assert_int_equal(
        hbg_graph_set_const(g, t, HBG_DT_I64, rank, dims, v, (size_t)n * sizeof(int64_t)), HBG_OK);
    return t;
}

hbg_node *ph_node(hbg_graph *g, const char *op, const char *name, const char *out, int n_in,
                  const char *const *ins)
{
    const char *outs[1] = {out};
    hbg_node *n = NULL;
    assert_int_equal(hbg_graph_add_node(g, op, "", name, n_in, ins, 1, outs, &n), HBG_OK);
    return n;
}

void ph_output(hbg_graph *g, const char *name)
{
    int t = hbg_graph_find_tensor(g, name);
    assert_true(t >= 0);
    assert_int_equal(hbg_graph_add_output(g, t), HBG_OK);
}

void ph_run(hbg_graph *g, unsigned seed, ph_result *r)
{
    hbg_exec *e = NULL;
    uint32_t s = seed * 2654435761u + 7u;
    memset(r, 0, sizeof *r);
    if (hbg_exec_create(g, &e) != HBG_OK)
        fail_msg("exec_create: %s", g->err);
    for (int i = 0; i < g->n_inputs; i++) {
        hbg_tensor *t = g->tensors[g->inputs[i]];
        assert_int_equal(t->dtype, HBG_DT_F32);
        float *d = t->data;
        for (int64_t k = 0; k < hbg_tensor_numel(t); k++)
            d[k] = next_uniform(&s, -1.0f, 1.0f);
    }
    if (hbg_exec_run(e) != HBG_OK)
        fail_msg("exec_run: %s", g->err);
    assert_true(g->n_outputs <= PH_MAX_OUT);
    r->n = g->n_outputs;
    for (int i = 0; i < g->n_outputs; i++) {
        const hbg_tensor *t = g->tensors[g->outputs[i]];
        snprintf(r->name[i], sizeof r->name[i], "%s", t->name);
        r->numel[i] = hbg_tensor_numel(t);
        r->v[i] = malloc((size_t)(r->numel[i] ? r->numel[i] : 1) * sizeof(double));
        assert_non_null(r->v[i]);
        for (int64_t k = 0; k < r->numel[i]; k++)
            r->v[i][k] = hbg_tensor_get_double(t, k);
    }
    hbg_exec_free(e);
}

void ph_result_free(ph_result *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->v[i]);
    memset(r, 0, sizeof *r);
}

double ph_compare(const ph_result *ref, const ph_result *got, double tol, const char *what)
{
    double worst = 0;
    if (ref->n != got->n)
        fail_msg("%s: %d outputs, expected %d", what, got->n, ref->n);
    for (int i = 0; i < ref->n; i++) {
        double amax = 0, dmax = 0;
        if (strcmp(ref->name[i], got->name[i]) != 0)
            fail_msg("%s: output %d is '%s', expected '%s'", what, i, got->name[i], ref->name[i]);
        if (ref->numel[i] != got->numel[i])
            fail_msg("%s: output '%s' has %lld elements, expected %lld", what, ref->name[i],
                     (long long)got->numel[i], (long long)ref->numel[i]);
        for (int64_t k = 0; k < ref->numel[i]; k++) {
            double a = ref->v[i][k], b = got->v[i][k];
            if (isnan(a) != isnan(b))
                fail_msg("%s: output '%s'[%lld]: %g vs %g", what, ref->name[i], (long long)k, a, b);
            if (fabs(a) > amax)
                amax = fabs(a);
            if (fabs(a - b) > dmax)
                dmax = fabs(a - b);
        }
        double ratio = amax > 0 ? dmax / amax : dmax;
        if (ratio > tol)
            fail_msg("%s: output '%s': max |diff| %g is %g of max |ref| %g (tolerance %g)", what,
                     ref->name[i], dmax, ratio, amax, tol);
        if (ratio > worst)
            worst = ratio;
    }
    return worst;
}

void ph_check_roundtrip(const hbg_graph *g, const ph_result *ref, const char *what)
{
    void *buf = NULL;
    size_t len = 0;
    char err[512], msg[200];
    hbg_graph *back = NULL;
    ph_result got;
    if (hbc_onnx_save_mem(g, &buf, &len, err, sizeof err) != HBG_OK)
        fail_msg("%s: save: %s", what, err);
    if (hbc_onnx_load_mem(buf, len, what, &back, err, sizeof err) != HBG_OK)
        fail_msg("%s: load back: %s", what, err);
    free(buf);
    assert_int_equal(back->n_nodes, g->n_nodes);
    ph_run(back, 1, &got);
    snprintf(msg, sizeof msg, "%s (ONNX round trip)", what);
    ph_compare(ref, &got, 1e-5, msg);
    ph_result_free(&got);
    hbg_graph_free(back);
}

int ph_check_pass(hbg_graph *g, hbc_pass p, const char *what)
{
    ph_result ref, got;
    int changed = -1;
    char msg[200];
    ph_run(g, 1, &ref);
    if (hbc_pass_run(g, p, NULL, &changed) != HBG_OK)
        fail_msg("%s: pass %s: %s", what, hbc_pass_name(p), g->err);
    ph_run(g, 1, &got);
    snprintf(msg, sizeof msg, "%s after %s", what, hbc_pass_name(p));
    ph_compare(&ref, &got, 1e-5, msg);
    ph_check_roundtrip(g, &ref, msg);
    ph_result_free(&ref);
    ph_result_free(&got);
    return changed;
}

int ph_check_optimize(hbg_graph *g, const char *what)
{
    ph_result ref, got;
    char msg[200];
    int before = g->n_nodes;
    ph_run(g, 1, &ref);
    if (hbc_optimize(g, NULL, NULL) != HBG_OK)
        fail_msg("%s: hbc_optimize: %s", what, g->err);
    ph_run(g, 1, &got);
    snprintf(msg, sizeof msg, "%s after hbc_optimize", what);
    ph_compare(&ref, &got, 1e-5, msg);
    ph_check_roundtrip(g, &ref, msg);
    ph_result_free(&ref);
    ph_result_free(&got);
    return before - g->n_nodes;
}

int ph_count_fused(const hbg_graph *g)
{
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++)
        c += hbc_fused_act(g, i) >= 0;
    return c;
}

int ph_count_op(const hbg_graph *g, hbg_op op)
{
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++)
        c += g->nodes[i].op == op;
    return c;
}
