/* fuse_act: Relu/Clip after a Conv or Gemm marked as fused by position.
 *
 * ONNX Conv and Gemm have no activation attribute, and onnxruntime rejects unknown attributes,
 * so a fused activation stays a separate standard node in the saved model. The fusion is a
 * structural property that hbc_fused_act() recognises (see passes.h) and that survives any save
 * and load; this pass establishes its canonical form:
 *   - Clip(x, 0, +inf) (min 0, max absent or infinite) becomes Relu;
 *   - the activation is moved to the position right after its producer, so the pair reads as one
 *     unit in the node list and in the saved file.
 * Refused (not fused): a producer output read by another node or listed as a graph output (the
 * pre-activation value is needed), Clip bounds that are not constants.
 */
#include "passes_priv.h"

#include <math.h>

/* Scalar value of Clip bound input slot (absent: dflt); 0 when not a constant scalar. */
static int clip_bound(const hbg_graph *g, const hbg_node *u, int slot, float dflt, float *v)
{
    if (u->n_in <= slot || u->in[slot] < 0) {
        /* opset < 11 keeps the bounds as attributes */
        *v = hbg_attr_float(u, slot == 1 ? "min" : "max", dflt);
        return 1;
    }
    const float *d = hbc_const_f32(g, u->in[slot]);
    if (!d || hbg_tensor_numel(g->tensors[u->in[slot]]) != 1)
        return 0;
    *v = d[0];
    return 1;
}

int hbc_fused_act(const hbg_graph *g, int i)
{
    float lo, hi;
    if (i < 0 || i >= g->n_nodes)
        return -1;
    const hbg_node *n = &g->nodes[i];
    if ((n->op != HBG_OP_CONV && n->op != HBG_OP_GEMM) || n->n_out < 1)
        return -1;
    int y = n->out[0];
    if (g->tensors[y]->is_output || hbg_edit_use_count(g, y) != 1)
        return -1;
    int j = hbg_edit_next_consumer(g, y, 0);
    const hbg_node *u = &g->nodes[j];
    if (u->n_in < 1 || u->in[0] != y)
        return -1;
    if (u->op == HBG_OP_RELU)
        return j;
    if (u->op == HBG_OP_CLIP && clip_bound(g, u, 1, -INFINITY, &lo) &&
        clip_bound(g, u, 2, INFINITY, &hi))
        return j;
    return -1;
}

/* Clip(x, 0, +inf) -> Relu. Returns 1 when rewritten. */
static hbg_status clip_to_relu(hbg_graph *g, hbg_node *u, int *done)
{
    float lo, hi;
    hbg_status st;
    *done = 0;
    if (u->op != HBG_OP_CLIP || !clip_bound(g, u, 1, -INFINITY, &lo) ||
        !clip_bound(g, u, 2, INFINITY, &hi) || lo != 0.0f || !isinf(hi) || hi < 0)
        return HBG_OK;
    if ((st = hbg_edit_set_op(g, u, "Relu", 1)) != HBG_OK)
        return st;
    hbg_edit_remove_attr(u, "min");
    hbg_edit_remove_attr(u, "max");
    *done = 1;
    return HBG_OK;
}

hbg_status hbc_pass_fuse_act(hbg_graph *g, const hbc_logger *lg, int *changed)
{
    hbg_status st;
    int count = 0;
    *changed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        int a = hbc_fused_act(g, i), done = 0;
        if (a < 0)
            continue;
        if ((st = clip_to_relu(g, &g->nodes[a], &done)) != HBG_OK)
            return st;
        count += done;
        if (a != i + 1) {
            /* a comes after i (topological order) and reads only i's output and constants, so
             * every node between them is independent of a. */
            if ((st = hbg_edit_move_node(g, a, i + 1)) != HBG_OK)
                return st;
            count++;
        }
        if (done || a != i + 1)
            HBC_LOGD(lg, "fuse_act: '%s' (%s) fused into '%s' (%s)",
                     hbg_node_label(g, &g->nodes[i + 1]), g->nodes[i + 1].op_type,
                     hbg_node_label(g, &g->nodes[i]), g->nodes[i].op_type);
    }
    *changed = count;
    return HBG_OK;
}
