/* hbc_quant_qdq_plan(): where the integer graph rounds, as the calibrated graph follows it
 * (hbc/quant.h, hbc/calib.h). The quantiser keeps the float graph's tensor names for its int8
 * tensors, names its int32 accumulators "<name>_int32" and leaves CPU nodes as the same
 * default-domain ops, so names and producers tell the three apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/calib.h"
#include "hbc/quant.h"

/* 1 when a node of our domain reads qg tensor k (a graph input's Quantize). */
static int read_by_ours(const hbg_graph *qg, int k)
{
    for (int i = 0; i < qg->n_nodes; i++) {
        const hbg_node *n = &qg->nodes[i];
        if (strcmp(n->domain, HBC_QUANT_DOMAIN) != 0)
            continue;
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] == k)
                return 1;
    }
    return 0;
}

static int has_weights(hbg_op op)
{
    return op == HBG_OP_CONV || op == HBG_OP_CONVTRANSPOSE || op == HBG_OP_GEMM ||
           op == HBG_OP_MATMUL;
}

hbg_status hbc_quant_qdq_plan(const hbg_graph *fg, hbg_graph *qg, int *act,
                              unsigned char *float_node, double *scale)
{
    /* hbc_quantize leaves the int8 tensors' types to the executor's inference */
    hbc_qexec *e = NULL;
    hbg_status st = hbc_qexec_create(qg, &e);
    hbc_qexec_free(e);
    if (st != HBG_OK)
        return st;
    for (int t = 0; t < fg->n_tensors; t++) {
        const int k = hbg_graph_find_tensor(qg, fg->tensors[t]->name);
        act[t] = HBC_QDQ_NONE;
        if (scale)
            scale[t] = k >= 0 ? hbc_quant_scale(qg, k) : 0;
        if (k < 0)
            continue;
        if (fg->tensors[t]->is_input)
            act[t] = read_by_ours(qg, k) ? 0 : HBC_QDQ_NONE;
        else if (qg->tensors[k]->dtype == HBG_DT_I8)
            act[t] = hbc_quant_zero_point(qg, k);
    }
    for (int i = 0; i < fg->n_nodes; i++) {
        const hbg_node *n = &fg->nodes[i];
        const int k = n->n_out > 0 ? hbg_graph_find_tensor(qg, fg->tensors[n->out[0]]->name) : -1;
        const int p = k >= 0 ? qg->tensors[k]->producer : -1;
        float_node[i] = has_weights(n->op) && p >= 0 && qg->nodes[p].domain[0] == '\0' &&
                        qg->nodes[p].op == n->op;
    }
    return HBG_OK;
}

hbg_status hbc_quant_calibrated_graph(hbg_graph *fg, const hbc_calib_table *tab, hbg_graph *qg,
                                      hbg_graph **out, char *err, size_t errlen)
{
    int *act = calloc((size_t)fg->n_tensors + 1, sizeof *act);
    unsigned char *float_node = calloc((size_t)fg->n_nodes + 1, 1);
    double *scale = calloc((size_t)fg->n_tensors + 1, sizeof *scale);
    hbg_status st = HBG_E_NOMEM;
    *out = NULL;
    if (!act || !float_node || !scale) {
        snprintf(err, errlen, "the calibrated graph: out of memory");
        goto out;
    }
    if ((st = hbc_quant_qdq_plan(fg, qg, act, float_node, scale)) != HBG_OK) {
        snprintf(err, errlen, "the quantized graph: %s", qg->err);
        goto out;
    }
    const hbc_calib_qdq_plan plan = {act, float_node, scale};
    st = hbc_calib_build_qdq_graph(fg, tab, &plan, out, err, errlen);
out:
    free(act);
    free(float_node);
    free(scale);
    return st;
}
