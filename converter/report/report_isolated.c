/* Isolated cosine of each BPU node (docs/accuracy-debug.md): the node alone is copied into a
 * one-node graph whose inputs are its activation inputs, hbc_calib_build_qdq_graph fake-quantises
 * it exactly as in *_calibrated_model.onnx (weights per channel, a QuantizeLinear/
 * DequantizeLinear pair on each activation input), the float executor runs it on the float
 * graph's own values of those inputs, and its first output is compared with the float graph's.
 * A Relu/Clip that the quantized graph folded into the node before it is part of that node's
 * small graph (the figure is the pair's) and gets none of its own.
 * Upstream quantisation error is thus excluded: the figure is what this node's quantisation
 * alone costs. One small graph per node, so the cost is about one extra float inference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/calib.h"
#include "hbc/metrics.h"
#include "hbg/exec.h"
#include "report_priv.h"

static void *dup_mem(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

/* Deep copy of attribute a onto node n. TENSOR and graph attributes are refused (a Constant node
 * is no BPU node). */
static hbg_status copy_attr(hbg_node *n, const hbg_attr *a)
{
    hbg_attr *c;
    if (a->type != HBG_ATTR_FLOAT && a->type != HBG_ATTR_INT && a->type != HBG_ATTR_STRING &&
        a->type != HBG_ATTR_FLOATS && a->type != HBG_ATTR_INTS && a->type != HBG_ATTR_STRINGS)
        return HBG_E_UNSUPPORTED;
    if (!(c = hbg_node_add_attr(n, a->name, a->type)))
        return HBG_E_NOMEM;
    c->f = a->f;
    c->i = a->i;
    c->n = a->n;
    if (a->s && !(c->s = strdup(a->s)))
        return HBG_E_NOMEM;
    if (a->floats && !(c->floats = dup_mem(a->floats, a->n * sizeof *a->floats)))
        return HBG_E_NOMEM;
    if (a->ints && !(c->ints = dup_mem(a->ints, a->n * sizeof *a->ints)))
        return HBG_E_NOMEM;
    if (a->strings) {
        if (!(c->strings = calloc(a->n + 1, sizeof *c->strings)))
            return HBG_E_NOMEM;
        for (size_t k = 0; k < a->n; k++)
            if (a->strings[k] && !(c->strings[k] = strdup(a->strings[k])))
                return HBG_E_NOMEM;
    }
    return HBG_OK;
}

/* Whether tensor t of fg is written by one of the nodes nodes[0..k-1]. */
static int made_inside(const hbg_graph *fg, const int *nodes, int k, int t)
{
    for (int j = 0; j < k; j++)
        for (int o = 0; o < fg->nodes[nodes[j]].n_out; o++)
            if (fg->nodes[nodes[j]].out[o] == t)
                return 1;
    return 0;
}

/* Input x of the small graph g: an activation (a float tensor with a calibration entry) becomes
 * a graph input, anything else a constant with the value it has now (initializers, folded
 * values). */
static hbg_status add_outer_input(hbg_graph *g, const hbg_tensor *x, const hbc_calib_table *tab)
{
    hbg_status st;
    if (hbg_graph_find_tensor(g, x->name) >= 0)
        return HBG_OK; /* the same tensor read twice */
    int t = hbg_graph_tensor(g, x->name);
    if (t < 0)
        return HBG_E_NOMEM;
    if (!x->is_const && x->dtype == HBG_DT_F32 && hbc_calib_table_find(tab, x->name)) {
        if ((st = hbg_tensor_set_shape(g->tensors[t], x->dtype, x->rank, x->dims)) != HBG_OK)
            return st;
        return hbg_graph_add_input(g, t);
    }
    if (!x->data || x->rank < 0)
        return HBG_E_INVALID;
    return hbg_graph_set_const(g, t, x->dtype, x->rank, x->dims, x->data,
                               (size_t)hbg_tensor_nbytes(x));
}

/* The graph of nodes nodes[0..k-1] of fg (in order; a node followed by the activation folded
 * into it), whose outputs are the last node's outputs. */
static hbg_status small_graph(const hbg_graph *fg, const int *nodes, int k,
                              const hbc_calib_table *tab, hbg_graph **out)
{
    hbg_status st = HBG_E_NOMEM;
    hbg_graph *g = hbg_graph_create();
    const char **in = NULL, **outs = NULL;
    const hbg_node *last = &fg->nodes[nodes[k - 1]];
    hbg_node *nn;

    if (!g)
        goto out;
    g->ir_version = fg->ir_version;
    for (int i = 0; i < fg->n_opsets; i++)
        if ((st = hbg_graph_add_opset(g, fg->opsets[i].domain, fg->opsets[i].version)) != HBG_OK)
            goto out;
    for (int j = 0; j < k; j++) {
        const hbg_node *n = &fg->nodes[nodes[j]];
        free(in);
        free(outs);
        in = calloc((size_t)n->n_in + 1, sizeof *in);
        outs = calloc((size_t)n->n_out + 1, sizeof *outs);
        st = HBG_E_NOMEM;
        if (!in || !outs)
            goto out;
        for (int i = 0; i < n->n_in; i++) {
            in[i] = n->in[i] < 0 ? NULL : fg->tensors[n->in[i]]->name;
            if (n->in[i] >= 0 && !made_inside(fg, nodes, j, n->in[i]) &&
                (st = add_outer_input(g, fg->tensors[n->in[i]], tab)) != HBG_OK)
                goto out;
        }
        for (int o = 0; o < n->n_out; o++)
            outs[o] = fg->tensors[n->out[o]]->name;
        if ((st = hbg_graph_add_node(g, n->op_type, n->domain, n->name, n->n_in, in, n->n_out, outs,
                                     &nn)) != HBG_OK)
            goto out;
        for (int a = 0; a < n->n_attr; a++)
            if ((st = copy_attr(nn, &n->attrs[a])) != HBG_OK)
                goto out;
    }
    for (int o = 0; o < last->n_out; o++)
        if ((st = hbg_graph_add_output(
                 g, hbg_graph_find_tensor(g, fg->tensors[last->out[o]]->name))) != HBG_OK)
            goto out;
    st = HBG_OK;
out:
    free(in);
    free(outs);
    if (st != HBG_OK) {
        hbg_graph_free(g);
        g = NULL;
    }
    *out = g;
    return st;
}

/* Isolated cosine of node i (with the activation act folded into it, or act = -1), NaN when it
 * cannot be computed. */
static double isolated(const hbc_report_input *in, int i, int act)
{
    const hbg_graph *fg = in->fg;
    int nodes[2] = {i, act};
    const hbg_node *n = &fg->nodes[act >= 0 ? act : i];
    const hbg_tensor *ref = fg->tensors[n->out[0]];
    hbg_graph *g = NULL, *q = NULL;
    hbg_exec *e = NULL;
    double cos = NAN;
    char err[256];

    if (ref->dtype != HBG_DT_F32 || !ref->data || ref->is_const)
        return NAN;
    if (small_graph(fg, nodes, act >= 0 ? 2 : 1, in->table, &g) != HBG_OK)
        goto out;
    /* Prepared once so that shapes are known, as hbc_calib_build_qdq_graph requires. */
    if (hbg_exec_create(g, &e) != HBG_OK)
        goto out;
    hbg_exec_free(e);
    e = NULL;
    if (hbc_calib_build_qdq_graph(g, in->table, NULL, &q, err, sizeof err) != HBG_OK ||
        hbg_exec_create(q, &e) != HBG_OK)
        goto out;
    for (int k = 0; k < q->n_inputs; k++) {
        hbg_tensor *x = q->tensors[q->inputs[k]];
        const hbg_tensor *src = fg->tensors[hbg_graph_find_tensor(fg, x->name)];
        memcpy(x->data, src->data, (size_t)hbg_tensor_nbytes(x));
    }
    if (hbg_exec_run(e) != HBG_OK)
        goto out;
    const hbg_tensor *o = q->tensors[q->outputs[0]];
    if (o->dtype == HBG_DT_F32 && hbg_tensor_numel(o) == hbg_tensor_numel(ref))
        cos = hbc_similarity_f32(ref->data, o->data, (size_t)hbg_tensor_numel(ref)).cosine;
out:
    hbg_exec_free(e);
    hbg_graph_free(q);
    hbg_graph_free(g);
    return cos;
}

void hbc_report_isolated(const hbc_report_input *in, hbc_report *r)
{
    for (int i = 0; i < in->fg->n_nodes; i++) {
        int act = hbc_report_folded_act(in->fg, in->qg, i);
        if (r->nodes[i].on_bpu && !hbc_report_is_folded(in->fg, in->qg, i))
            r->nodes[i].isolated = isolated(in, i, act);
    }
}
