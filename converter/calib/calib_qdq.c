/* The calibrated (fake-quantised) graph: a copy of the float graph with int8-rounded weights and
 * QuantizeLinear/DequantizeLinear pairs on the calibrated activations (hbc/calib.h).
 *
 * Used twice: to score candidate tables (default, by running it with the float executor) and as
 * the *_calibrated_model.onnx artifact. The pairs follow ONNX (round half to even); the int8
 * contract rounds half away from zero. The two differ only for values exactly halfway between
 * two levels, which is why the scores use this graph and the quantiser uses the contract.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib_priv.h"
#include "hbc/passes.h"

/* ---- copy --------------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static hbg_tensor *copy_tensor(const hbg_tensor *t)
{
    hbg_tensor *c = hbg_tensor_create(t->name);
    int64_t nb = hbg_tensor_nbytes(t);
    if (!c)
        return NULL;
    if (t->rank >= 0 && hbg_tensor_set_shape(c, t->dtype, t->rank, t->dims) != HBG_OK)
        goto fail;
    c->dtype = t->dtype;
    for (int d = 0; d < t->rank; d++)
        if (t->dim_names[d] && !(c->dim_names[d] = strdup(t->dim_names[d])))
            goto fail;
    if (t->data && nb >= 0) {
        if (!(c->data = malloc(nb ? (size_t)nb : 1)))
            goto fail;
        if (nb)
            memcpy(c->data, t->data, (size_t)nb);
        c->is_const = 1;
    }
    return c;
fail:
    hbg_tensor_free(c);
    return NULL;
}

static hbg_status copy_attr(hbg_node *dst, const hbg_attr *a)
{
    hbg_attr *b = hbg_node_add_attr(dst, a->name, a->type);
    if (!b)
        return HBG_E_NOMEM;
    b->f = a->f;
    b->i = a->i;
    b->n = a->n;
    if (a->s && !(b->s = strdup(a->s)))
        return HBG_E_NOMEM;
    if (a->floats) {
        if (!(b->floats = malloc(a->n * sizeof *b->floats + 1)))
            return HBG_E_NOMEM;
        memcpy(b->floats, a->floats, a->n * sizeof *b->floats);
    }
    if (a->ints) {
        if (!(b->ints = malloc(a->n * sizeof *b->ints + 1)))
            return HBG_E_NOMEM;
        memcpy(b->ints, a->ints, a->n * sizeof *b->ints);
    }
    if (a->strings) {
        if (!(b->strings = calloc(a->n + 1, sizeof *b->strings)))
            return HBG_E_NOMEM;
        for (size_t i = 0; i < a->n; i++)
            if (a->strings[i] && !(b->strings[i] = strdup(a->strings[i])))
                return HBG_E_NOMEM;
    }
    if (a->t && !(b->t = copy_tensor(a->t)))
        return HBG_E_NOMEM;
    return HBG_OK;
}

/* Tensors (shapes, constants), then nodes whose inputs are renamed through in_name. */
static hbg_status copy_graph(const hbg_graph *g, const char *const *in_name, hbg_graph *q)
{
    hbg_status st = HBG_OK;
    /* hbg_graph_create() gave q empty strings: replace them with copies of g's */
    char **qs[3] = {&q->name, &q->producer_name, &q->producer_version};
    const char *gs[3] = {g->name, g->producer_name, g->producer_version};
    for (int i = 0; i < 3; i++) {
        char *c = dup_or_null(gs[i]);
        if (gs[i] && !c)
            return HBG_E_NOMEM;
        if (c) {
            free(*qs[i]);
            *qs[i] = c;
        }
    }
    q->ir_version = g->ir_version;
    for (int i = 0; i < g->n_opsets && st == HBG_OK; i++)
        st = hbg_graph_add_opset(q, g->opsets[i].domain, g->opsets[i].version);
    for (int t = 0; t < g->n_tensors && st == HBG_OK; t++) {
        const hbg_tensor *x = g->tensors[t];
        int idx = hbg_graph_tensor(q, x->name);
        if (idx < 0)
            return HBG_E_NOMEM;
        if (x->is_const)
            st = hbg_graph_set_const(q, idx, x->dtype, x->rank, x->dims, x->data,
                                     (size_t)hbg_tensor_nbytes(x));
        else { /* shapes as known so far, symbolic (-1) dims included */
            hbg_tensor *y = q->tensors[idx];
            y->dtype = x->dtype;
            y->rank = x->rank;
            memcpy(y->dims, x->dims, sizeof y->dims);
        }
        for (int d = 0; st == HBG_OK && d < x->rank; d++)
            if (x->dim_names[d] && !q->tensors[idx]->dim_names[d] &&
                !(q->tensors[idx]->dim_names[d] = strdup(x->dim_names[d])))
                st = HBG_E_NOMEM;
    }
    for (int i = 0; i < g->n_inputs && st == HBG_OK; i++)
        st = hbg_graph_add_input(q, g->inputs[i]);
    for (int i = 0; i < g->n_nodes && st == HBG_OK; i++) {
        const hbg_node *n = &g->nodes[i];
        const char *ins[64], *outs[64];
        hbg_node *m;
        if (n->n_in > 64 || n->n_out > 64)
            return HBG_E_UNSUPPORTED;
        for (int j = 0; j < n->n_in; j++)
            ins[j] = n->in[j] < 0 ? "" : in_name[n->in[j]];
        for (int j = 0; j < n->n_out; j++)
            outs[j] = g->tensors[n->out[j]]->name;
        st =
            hbg_graph_add_node(q, n->op_type, n->domain, n->name, n->n_in, ins, n->n_out, outs, &m);
        for (int j = 0; j < n->n_attr && st == HBG_OK; j++)
            st = copy_attr(m, &n->attrs[j]);
    }
    for (int i = 0; i < g->n_outputs && st == HBG_OK; i++)
        st = hbg_graph_add_output(q, g->outputs[i]);
    return st;
}

/* ---- weights ------------------------------------------------------------------------------ */

/* Axis of the output channels of node n's weight (input 1), or -1 when n has no such weight. */
static int weight_axis(const hbg_node *n, const hbg_tensor *w)
{
    switch (n->op) {
    case HBG_OP_CONV:
        return 0;
    case HBG_OP_CONVTRANSPOSE:
        return w->rank >= 2 ? 1 : -1;
    case HBG_OP_GEMM:
        return hbg_attr_int(n, "transB", 0) ? 0 : 1;
    case HBG_OP_MATMUL:
        return w->rank >= 2 ? w->rank - 1 : -1;
    default:
        return -1;
    }
}

/* Fake-quantise w in place: per slice along axis, scale = hbc_calib_weight_scale, q = round half
 * away from zero of w / scale clamped to [-127, 127], w = q * scale (an all-zero channel stays
 * zero). buf holds one slice (outer * inner floats). */
static void fake_quant_weight(hbg_tensor *w, int axis, float *buf)
{
    float *v = w->data;
    int64_t outer = 1, c = w->dims[axis], inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= w->dims[d];
    for (int d = axis + 1; d < w->rank; d++)
        inner *= w->dims[d];
    for (int64_t k = 0; k < c; k++) {
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < inner; j++)
                buf[o * inner + j] = v[(o * c + k) * inner + j];
        const double s = hbc_calib_weight_scale(buf, (size_t)(outer * inner));
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < inner; j++) {
                float *p = &v[(o * c + k) * inner + j];
                double q = round((double)*p / s);
                q = q < -127.0 ? -127.0 : q > 127.0 ? 127.0 : q;
                *p = (float)(q * s);
            }
    }
}

static hbg_status fake_quant_weights(hbg_graph *q, const unsigned char *float_node)
{
    unsigned char *done = calloc((size_t)q->n_tensors + 1, 1);
    float *buf = NULL;
    size_t cap = 0;
    hbg_status st = done ? HBG_OK : HBG_E_NOMEM;
    for (int i = 0; st == HBG_OK && i < q->n_nodes; i++) {
        const hbg_node *n = &q->nodes[i];
        if (n->n_in < 2 || n->in[1] < 0 || (float_node && float_node[i]))
            continue;
        hbg_tensor *w = q->tensors[n->in[1]];
        int axis = weight_axis(n, w);
        if (axis < 0 || done[n->in[1]] || !w->is_const || w->dtype != HBG_DT_F32 || axis >= w->rank)
            continue;
        const size_t slice =
            (size_t)(hbg_tensor_numel(w) / (w->dims[axis] > 0 ? w->dims[axis] : 1));
        if (slice > cap) {
            float *nb = realloc(buf, slice * sizeof *buf);
            if (!nb) {
                st = HBG_E_NOMEM;
                break;
            }
            buf = nb, cap = slice;
        }
        fake_quant_weight(w, axis, buf);
        done[n->in[1]] = 1;
    }
    free(buf);
    free(done);
    return st;
}

/* ---- QDQ pairs ---------------------------------------------------------------------------- */

/* A tensor name not yet in q: base + suffix, then base + suffix + "_1", "_2", ... */
static char *fresh_name(const hbg_graph *q, const char *base, const char *suffix)
{
    size_t len = strlen(base) + strlen(suffix) + 24;
    char *s = malloc(len);
    for (int k = 0; s; k++) {
        if (k == 0)
            snprintf(s, len, "%s%s", base, suffix);
        else
            snprintf(s, len, "%s%s_%d", base, suffix, k);
        if (hbg_graph_find_tensor(q, s) < 0)
            break;
    }
    return s;
}

/* Add X -> QuantizeLinear -> DequantizeLinear -> dq_name: int8 with zero point 0 and scale T/127,
 * or for an unsigned activation zero point HBC_ZP_UNSIGNED and scale T/254; s > 0 replaces
 * that scale (the integer model's, hbc_calib_qdq_plan). */
static hbg_status add_pair(hbg_graph *q, const char *x, const char *dq_name, double thr,
                           int is_unsigned, double s)
{
    char *sn = fresh_name(q, x, "_scale"), *zn = NULL, *qn = NULL, *nq = NULL, *nd = NULL;
    hbg_status st = HBG_E_NOMEM;
    float scale = (float)(s > 0 ? s : thr / (is_unsigned ? 254.0 : 127.0));
    const int8_t zp = is_unsigned ? HBC_ZP_UNSIGNED : 0;
    int idx;
    if (!sn || (idx = hbg_graph_tensor(q, sn)) < 0 ||
        (st = hbg_graph_set_const(q, idx, HBG_DT_F32, 0, NULL, &scale, sizeof scale)) != HBG_OK)
        goto out;
    st = HBG_E_NOMEM;
    if (!(zn = fresh_name(q, x, "_zero_point")) || (idx = hbg_graph_tensor(q, zn)) < 0 ||
        (st = hbg_graph_set_const(q, idx, HBG_DT_I8, 0, NULL, &zp, sizeof zp)) != HBG_OK)
        goto out;
    st = HBG_E_NOMEM;
    if (!(qn = fresh_name(q, x, "_quantized")) || !(nq = fresh_name(q, x, "_QuantizeLinear")) ||
        !(nd = fresh_name(q, x, "_DequantizeLinear")))
        goto out;
    {
        const char *qin[3] = {x, sn, zn}, *qout[1] = {qn};
        const char *din[3] = {qn, sn, zn}, *dout[1] = {dq_name};
        if ((st = hbg_graph_add_node(q, "QuantizeLinear", "", nq, 3, qin, 1, qout, NULL)) != HBG_OK)
            goto out;
        st = hbg_graph_add_node(q, "DequantizeLinear", "", nd, 3, din, 1, dout, NULL);
    }
out:
    free(sn);
    free(zn);
    free(qn);
    free(nq);
    free(nd);
    return st;
}

hbg_status hbc_calib_build_qdq_graph(hbg_graph *g, const hbc_calib_table *t,
                                     const hbc_calib_qdq_plan *plan, hbg_graph **out, char *err,
                                     size_t errlen)
{
    hbg_graph *q = NULL;
    char **dq = NULL;
    const char **in_name = NULL;
    unsigned char *fused = NULL;
    hbg_status st = HBG_OK;
    *out = NULL;
    if (hbg_graph_opset(g, "") < 10)
        return calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                          "the calibrated model needs opset >= 10 (QuantizeLinear); the model "
                          "imports opset %lld",
                          (long long)hbg_graph_opset(g, ""));
    dq = calloc((size_t)g->n_tensors + 1, sizeof *dq);
    in_name = calloc((size_t)g->n_tensors + 1, sizeof *in_name);
    fused = calloc((size_t)g->n_tensors + 1, 1);
    if (!dq || !in_name || !fused || !(q = hbg_graph_create())) {
        st = calib_fail(err, errlen, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    /* the pre-activation output of a fused Conv/Gemm + Relu/Clip is never quantised */
    for (int i = 0; i < g->n_nodes; i++)
        if (hbc_fused_act(g, i) >= 0)
            fused[g->nodes[i].out[0]] = 1;
    /* consumers of a calibrated activation read "<name>_calibrated" */
    for (int i = 0; i < g->n_tensors; i++) {
        const hbg_tensor *x = g->tensors[i];
        in_name[i] = x->name;
        const hbc_calib_entry *e = hbc_calib_table_find(t, x->name);
        if (!e || x->is_output || fused[i] || (plan && plan->act[i] == HBC_QDQ_NONE))
            continue;
        if (x->dtype != HBG_DT_F32) {
            st = calib_fail(err, errlen, HBG_E_INVALID,
                            "calibration table: tensor '%s' is %s, not a float activation", x->name,
                            hbg_dtype_name(x->dtype));
            goto out;
        }
        if (!(dq[i] = fresh_name(g, x->name, "_calibrated"))) {
            st = calib_fail(err, errlen, HBG_E_NOMEM, "out of memory");
            goto out;
        }
        in_name[i] = dq[i];
    }
    if ((st = copy_graph(g, in_name, q)) != HBG_OK) {
        calib_fail(err, errlen, st, "copying the graph: %s", q->err[0] ? q->err : "out of memory");
        goto out;
    }
    /* q's nodes are g's, in g's order, until the validation below */
    if ((st = fake_quant_weights(q, plan ? plan->float_node : NULL)) != HBG_OK) {
        calib_fail(err, errlen, st, "fake-quantising the weights: out of memory");
        goto out;
    }
    for (int i = 0; i < g->n_tensors; i++) {
        if (!dq[i])
            continue;
        if ((st = add_pair(q, g->tensors[i]->name, dq[i],
                           hbc_calib_table_find(t, g->tensors[i]->name)->threshold,
                           plan ? plan->act[i] == HBC_ZP_UNSIGNED : hbc_calib_unsigned(g, i),
                           plan && plan->scale ? plan->scale[i] : 0)) != HBG_OK) {
            calib_fail(err, errlen, st, "adding the pair of '%s': %s", g->tensors[i]->name,
                       q->err[0] ? q->err : "out of memory");
            goto out;
        }
    }
    if ((st = hbg_graph_validate(q, 1)) != HBG_OK) {
        calib_fail(err, errlen, st, "calibrated graph: %s", q->err);
        goto out;
    }
    *out = q;
    q = NULL;
out:
    for (int i = 0; dq && i < g->n_tensors; i++)
        free(dq[i]);
    free(dq);
    free(in_name);
    free(fused);
    hbg_graph_free(q);
    return st;
}
