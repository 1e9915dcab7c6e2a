/* hbc_report_build: the float graph and the quantized graph on one sample, compared node by node
 * (hbc_report.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/quant.h"
#include "hbg/exec.h"
#include "hbc_report.h"
#include "report_priv.h"

void hbc_report_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void hbc_report_free(hbc_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_nodes; i++) {
        free(r->nodes[i].name);
        free(r->nodes[i].type);
    }
    for (int i = 0; i < r->n_outputs; i++)
        free(r->outputs[i].name);
    free(r->nodes);
    free(r->outputs);
    memset(r, 0, sizeof *r);
}

int hbc_report_folded_act(const hbg_graph *fg, const hbg_graph *qg, int i)
{
    const hbg_node *n = &fg->nodes[i];
    int t = n->out[0], reader = -1, uses = 0;
    if (fg->tensors[t]->is_output || hbg_graph_find_tensor(qg, fg->tensors[t]->name) >= 0)
        return -1;
    for (int k = 0; k < fg->n_nodes; k++)
        for (int j = 0; j < fg->nodes[k].n_in; j++)
            if (fg->nodes[k].in[j] == t) {
                uses++;
                reader = k;
            }
    if (uses != 1 || (fg->nodes[reader].op != HBG_OP_RELU && fg->nodes[reader].op != HBG_OP_CLIP))
        return -1;
    return reader;
}

int hbc_report_is_folded(const hbg_graph *fg, const hbg_graph *qg, int i)
{
    const hbg_node *n = &fg->nodes[i];
    int t = n->n_in > 0 ? n->in[0] : -1;
    if (t < 0 || fg->tensors[t]->producer < 0)
        return 0;
    return hbc_report_folded_act(fg, qg, fg->tensors[t]->producer) == i;
}

/* Real value per unit of int8 tensor t of the quantized graph: the scale of the Quantize that
 * made it, else the calibration threshold / 127 of its float name (what hbc_quantize used; / 254
 * for an unsigned tensor, hbc_quant_zero_point), else, for a data-movement op of the default
 * domain, the scale of its input. NaN if unknown. */
static double q_scale(const hbg_graph *qg, const hbc_calib_table *tab, int t, int depth)
{
    const hbg_tensor *x = qg->tensors[t];
    const hbc_calib_entry *e = hbc_calib_table_find(tab, x->name);
    if (x->producer >= 0) {
        const hbg_node *p = &qg->nodes[x->producer];
        const hbg_attr *a = hbg_node_attr(p, "scale");
        if (strcmp(p->domain, HBC_QUANT_DOMAIN) == 0 && strcmp(p->op_type, "Quantize") == 0 && a &&
            a->type == HBG_ATTR_FLOAT)
            return a->f;
    }
    if (e)
        return e->threshold / (hbc_quant_zero_point(qg, t) ? 254.0 : 127.0);
    if (x->producer >= 0 && depth < 64) {
        const hbg_node *p = &qg->nodes[x->producer];
        if (p->domain[0] == '\0' && p->n_in > 0 && p->in[0] >= 0)
            return q_scale(qg, tab, p->in[0], depth + 1);
    }
    return NAN;
}

/* Compare float tensor ft (fg, after a run) with its counterpart of the same name in qg. */
static hbc_similarity compare(const hbg_tensor *ft, const hbg_graph *qg, const hbc_calib_table *tab,
                              float *buf)
{
    hbc_similarity none = {NAN, NAN, NAN, NAN};
    int qt = hbg_graph_find_tensor(qg, ft->name);
    if (qt < 0 || !ft->data || ft->dtype != HBG_DT_F32)
        return none;
    const hbg_tensor *x = qg->tensors[qt];
    int64_t n = hbg_tensor_numel(ft);
    if (!x->data || hbg_tensor_numel(x) != n)
        return none;
    if (x->dtype == HBG_DT_F32)
        return hbc_similarity_f32(ft->data, x->data, (size_t)n);
    if (x->dtype != HBG_DT_I8)
        return none;
    double s = q_scale(qg, tab, qt, 0);
    if (!(s > 0))
        return none;
    const int8_t *q = x->data;
    const int zp = hbc_quant_zero_point(qg, qt);
    for (int64_t i = 0; i < n; i++)
        buf[i] = (float)((double)(q[i] - zp) * s);
    return hbc_similarity_f32(ft->data, buf, (size_t)n);
}

/* The rows without figures: names, placement, thresholds, data types. */
static hbg_status fill_rows(const hbc_report_input *in, hbc_report *r, char *err, size_t errlen)
{
    const hbg_graph *fg = in->fg, *qg = in->qg;
    r->n_nodes = fg->n_nodes;
    r->n_outputs = fg->n_outputs;
    r->nodes = calloc((size_t)fg->n_nodes + 1, sizeof *r->nodes);
    r->outputs = calloc((size_t)fg->n_outputs + 1, sizeof *r->outputs);
    if (!r->nodes || !r->outputs)
        goto nomem;
    for (int i = 0; i < fg->n_nodes; i++) {
        const hbg_node *n = &fg->nodes[i];
        hbc_report_node *row = &r->nodes[i];
        const hbg_tensor *o = fg->tensors[n->out[0]];
        const hbc_calib_entry *e = hbc_calib_table_find(in->table, o->name);
        char i32[600];
        row->name = strdup(hbg_node_label(fg, n));
        row->type = strdup(n->op_type);
        if (!row->name || !row->type)
            goto nomem;
        row->on_bpu = in->bpu[i] != 0;
        row->subgraph = row->on_bpu ? in->subgraph[i] : -1;
        row->cosine = row->isolated = NAN;
        row->threshold = row->on_bpu && e ? e->threshold : NAN;
        snprintf(i32, sizeof i32, "%s_int32", o->name);
        snprintf(row->dtype_in, sizeof row->dtype_in, "%s", row->on_bpu ? "int8" : "float");
        snprintf(row->dtype_out, sizeof row->dtype_out, "%s",
                 !row->on_bpu                          ? "float"
                 : hbg_graph_find_tensor(qg, i32) >= 0 ? "int32"
                                                       : "int8");
    }
    for (int i = 0; i < fg->n_outputs; i++) {
        r->outputs[i].name = strdup(fg->tensors[fg->outputs[i]]->name);
        if (!r->outputs[i].name)
            goto nomem;
        r->outputs[i].sim = (hbc_similarity){NAN, NAN, NAN, NAN};
    }
    return HBG_OK;
nomem:
    hbc_report_fail(err, errlen, "report: out of memory");
    return HBG_E_NOMEM;
}

/* Copy the sample into the graph inputs of g (by position in fg, by name in g). */
static hbg_status feed(const hbg_graph *fg, hbg_graph *g, const float *const *sample, char *err,
                       size_t errlen)
{
    for (int i = 0; i < fg->n_inputs; i++) {
        const hbg_tensor *ft = fg->tensors[fg->inputs[i]];
        int t = hbg_graph_find_tensor(g, ft->name);
        if (t < 0 || !g->tensors[t]->is_input || g->tensors[t]->dtype != HBG_DT_F32 ||
            hbg_tensor_numel(g->tensors[t]) != hbg_tensor_numel(ft)) {
            hbc_report_fail(err, errlen,
                            "report: the quantized model has no float input '%s' of the float "
                            "model's size",
                            ft->name);
            return HBG_E_INVALID;
        }
        memcpy(g->tensors[t]->data, sample[i], (size_t)hbg_tensor_numel(ft) * sizeof(float));
    }
    return HBG_OK;
}

hbg_status hbc_report_build(const hbc_report_input *in, hbc_report *out, char *err, size_t errlen)
{
    hbg_status st;
    hbg_exec *fe = NULL;
    hbc_qexec *qe = NULL;
    float *buf = NULL;
    hbg_graph *fg = in->fg, *qg = in->qg;
    int64_t most = 1;

    memset(out, 0, sizeof *out);
    if ((st = fill_rows(in, out, err, errlen)) != HBG_OK || !in->sample)
        goto out;
    out->have_sample = 1;
    if ((st = hbg_exec_create(fg, &fe)) != HBG_OK) {
        hbc_report_fail(err, errlen, "report: float model: %s", fg->err);
        goto out;
    }
    if ((st = hbc_qexec_create(qg, &qe)) != HBG_OK) {
        hbc_report_fail(err, errlen, "report: quantized model: %s", qg->err);
        goto out;
    }
    if ((st = feed(fg, fg, in->sample, err, errlen)) != HBG_OK ||
        (st = feed(fg, qg, in->sample, err, errlen)) != HBG_OK)
        goto out;
    if ((st = hbg_exec_run(fe)) != HBG_OK) {
        hbc_report_fail(err, errlen, "report: float model: %s", fg->err);
        goto out;
    }
    if ((st = hbc_qexec_run(qe)) != HBG_OK) {
        hbc_report_fail(err, errlen, "report: quantized model: %s", qg->err);
        goto out;
    }
    for (int t = 0; t < fg->n_tensors; t++) {
        int64_t n = fg->tensors[t]->rank >= 0 ? hbg_tensor_numel(fg->tensors[t]) : 0;
        most = n > most ? n : most;
    }
    st = HBG_E_NOMEM;
    if (!(buf = malloc((size_t)most * sizeof *buf))) {
        hbc_report_fail(err, errlen, "report: out of memory");
        goto out;
    }
    for (int i = 0; i < fg->n_nodes; i++) {
        /* A node with a folded activation is compared where the pair's result is. */
        int act = hbc_report_folded_act(fg, qg, i);
        const hbg_node *n = &fg->nodes[act >= 0 ? act : i];
        out->nodes[i].cosine = compare(fg->tensors[n->out[0]], qg, in->table, buf).cosine;
    }
    for (int i = 0; i < fg->n_outputs; i++)
        out->outputs[i].sim = compare(fg->tensors[fg->outputs[i]], qg, in->table, buf);
    /* Isolated figures read the float run's values: compute them while fe holds them. */
    hbc_report_isolated(in, out);
    st = HBG_OK;
out:
    free(buf);
    hbc_qexec_free(qe);
    hbg_exec_free(fe);
    if (st != HBG_OK)
        hbc_report_free(out);
    return st;
}
