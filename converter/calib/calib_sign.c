/* Which activations are stored unsigned (hbc/calib.h, docs/quantized-ops.md section 2): shared by
 * the quantiser and the fake-quantised graph so that both quantise the same tensors alike. */
#include "hbc/calib.h"
#include "hbc/passes.h"

/* Lower bound of a Clip (an opset >= 11 input, or the opset < 11 attribute); -1 when it is
 * absent or not a constant scalar. */
static double clip_min(const hbg_graph *g, const hbg_node *a)
{
    if (a->n_in > 1 && a->in[1] >= 0) {
        const hbg_tensor *m = g->tensors[a->in[1]];
        if (!m->is_const || !m->data || hbg_tensor_numel(m) != 1)
            return -1.0;
        return hbg_tensor_get_double(m, 0);
    }
    return hbg_node_attr(a, "min") ? hbg_attr_float(a, "min", -1.0f) : -1.0;
}

int hbc_calib_unsigned(const hbg_graph *g, int t)
{
    if (t < 0 || t >= g->n_tensors)
        return 0;
    const hbg_tensor *x = g->tensors[t];
    if (x->is_output || x->producer < 0 || x->dtype != HBG_DT_F32)
        return 0;
    /* produced by a Relu, or a Clip bounded below by >= 0, fused to its Conv/Gemm */
    const hbg_node *a = &g->nodes[x->producer];
    if (a->op != HBG_OP_RELU && !(a->op == HBG_OP_CLIP && clip_min(g, a) >= 0.0))
        return 0;
    if (a->n_in < 1 || a->in[0] < 0 || g->tensors[a->in[0]]->producer < 0 ||
        hbc_fused_act(g, g->tensors[a->in[0]]->producer) != x->producer)
        return 0;
    /* read, only as the data input, by Conv/Gemm nodes: they fold the offset into their bias */
    int readers = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        for (int j = 0; j < n->n_in; j++) {
            if (n->in[j] != t)
                continue;
            if (j != 0 || (n->op != HBG_OP_CONV && n->op != HBG_OP_GEMM))
                return 0;
            readers++;
        }
    }
    return readers > 0;
}
