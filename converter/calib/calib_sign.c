/* Which activations are stored unsigned (hbc/calib.h, docs/quantized-ops.md section 2): shared by
 * the quantiser and the fake-quantised graph so that both quantise the same tensors alike. */
#include "hbc/calib.h"
#include "hbc/passes.h"

/* Chains of pass-through ops are followed at most this deep (a guard, not a real limit). */
#define SIGN_DEPTH 64

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

int hbc_calib_passes_sign(hbg_op op)
{
    switch (op) {
    case HBG_OP_MAXPOOL:
    case HBG_OP_GLOBALMAXPOOL:
    case HBG_OP_RESHAPE:
    case HBG_OP_FLATTEN:
    case HBG_OP_TRANSPOSE:
    case HBG_OP_SLICE:
    case HBG_OP_SQUEEZE:
    case HBG_OP_UNSQUEEZE:
    case HBG_OP_IDENTITY:
        return 1;
    default:
        return 0;
    }
}

/* 1 when t is no graph output, has a reader, and every reader reads it only as its data input
 * (input 0) and is a Conv/Gemm, or a pass-through op whose output satisfies the same. */
static int readers_ok(const hbg_graph *g, int t, int depth)
{
    if (depth > SIGN_DEPTH || g->tensors[t]->is_output)
        return 0;
    int readers = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        for (int j = 0; j < n->n_in; j++) {
            if (n->in[j] != t)
                continue;
            if (j != 0)
                return 0;
            if (n->op != HBG_OP_CONV && n->op != HBG_OP_GEMM &&
                !(hbc_calib_passes_sign(n->op) && n->n_out == 1 && n->out[0] >= 0 &&
                  readers_ok(g, n->out[0], depth + 1)))
                return 0;
            readers++;
        }
    }
    return readers > 0;
}

int hbc_calib_unsigned_source(const hbg_graph *g, int t)
{
    for (int depth = 0; t >= 0 && t < g->n_tensors && depth <= SIGN_DEPTH; depth++) {
        const hbg_tensor *x = g->tensors[t];
        if (x->producer < 0 || x->dtype != HBG_DT_F32)
            return -1;
        const hbg_node *a = &g->nodes[x->producer];
        if (hbc_calib_passes_sign(a->op) && a->n_in > 0) {
            t = a->in[0];
            continue;
        }
        /* a Relu, or a Clip bounded below by >= 0, fused to its Conv/Gemm */
        if (a->op != HBG_OP_RELU && !(a->op == HBG_OP_CLIP && clip_min(g, a) >= 0.0))
            return -1;
        if (a->n_in < 1 || a->in[0] < 0 || g->tensors[a->in[0]]->producer < 0 ||
            hbc_fused_act(g, g->tensors[a->in[0]]->producer) != x->producer)
            return -1;
        return t;
    }
    return -1;
}

int hbc_calib_unsigned(const hbg_graph *g, int t)
{
    const int s = hbc_calib_unsigned_source(g, t);
    return s >= 0 && readers_ok(g, s, 0);
}
