/* fold_constants: replace nodes whose value is known before any input arrives by initializers.
 *
 * The float executor's prepare step already computes those values (every node whose inputs are
 * all initializers or folded values, and Shape/Size once the input shapes are fixed), so this
 * pass borrows them: it prepares an executor, copies the value of each foldable node's outputs,
 * then turns the outputs into initializers and removes the nodes. Chains of shape arithmetic
 * (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) thus become constant shape inputs.
 * Refused: nodes producing a graph output (an output stays a node's output), and nodes whose
 * folded value would be more than GROW_FACTOR times the bytes of their constant inputs and over
 * GROW_MIN bytes (ConstantOfShape, Expand, Tile of a small constant: folding them would bloat the
 * model file while saving no work worth having).
 */
#include "passes_priv.h"

#include "hbg/exec.h"
#include "hbg/kernel.h"

#include <stdlib.h>
#include <string.h>

#define GROW_FACTOR 4
#define GROW_MIN    (64 * 1024)

/* 1 when node n may be folded given which tensors are known; the executor's own rule. */
static int foldable(const hbg_node *n, const unsigned char *known)
{
    const hbg_op_impl *impl = hbg_op_impl_get(n->op);
    if (impl && (impl->flags & HBG_OPF_SHAPE_ONLY))
        return 1;
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !known[n->in[k]])
            return 0;
    return 1;
}

/* 1 when the folded outputs of n are worth storing (see GROW_FACTOR). */
static int small_enough(const hbg_graph *g, const hbg_node *n, const unsigned char *known)
{
    int64_t in_bytes = 0, out_bytes = 0;
    if (n->op == HBG_OP_CONSTANT) /* already a constant, only in node form */
        return 1;
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && known[n->in[k]])
            in_bytes += hbg_tensor_nbytes(g->tensors[n->in[k]]);
    for (int o = 0; o < n->n_out; o++)
        out_bytes += hbg_tensor_nbytes(g->tensors[n->out[o]]);
    return out_bytes <= GROW_MIN || out_bytes <= GROW_FACTOR * in_bytes;
}

hbg_status hbc_pass_fold_constants(hbg_graph *g, const hbc_logger *lg, int *changed)
{
    hbg_status st = HBG_E_NOMEM;
    hbg_exec *e = NULL;
    int nt = g->n_tensors, nn = g->n_nodes, n_fold = 0;
    unsigned char *known = calloc((size_t)nt + 1, 1);
    unsigned char *fold = calloc((size_t)nn + 1, 1);
    void **vals = calloc((size_t)nt + 1, sizeof *vals);
    *changed = 0;
    if (!known || !fold || !vals) {
        hbg_graph_fail(g, st, "out of memory");
        goto out;
    }
    if ((st = hbg_exec_create(g, &e)) != HBG_OK)
        goto out;
    for (int t = 0; t < nt; t++)
        known[t] = (unsigned char)g->tensors[t]->is_const;
    /* Nodes are in topological order after hbg_exec_create's validation. */
    for (int i = 0; i < nn; i++) {
        const hbg_node *n = &g->nodes[i];
        int ok = foldable(n, known), keep = !small_enough(g, n, known);
        if (!ok)
            continue;
        for (int o = 0; o < n->n_out; o++) {
            known[n->out[o]] = 1;
            keep |= g->tensors[n->out[o]]->is_output;
        }
        if (keep)
            continue;
        for (int o = 0; o < n->n_out; o++) {
            const hbg_tensor *x = g->tensors[n->out[o]];
            size_t nb = (size_t)hbg_tensor_nbytes(x);
            if (!(vals[n->out[o]] = malloc(nb ? nb : 1))) {
                st = hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
                goto out;
            }
            if (nb)
                memcpy(vals[n->out[o]], x->data, nb);
        }
        fold[i] = 1;
        n_fold++;
    }
    hbg_exec_free(e);
    e = NULL;
    for (int i = 0; i < nn; i++) {
        const hbg_node *n = &g->nodes[i];
        if (!fold[i])
            continue;
        HBC_LOGD(lg, "fold_constants: node '%s' (%s) -> initializer '%s'", hbg_node_label(g, n),
                 n->op_type, g->tensors[n->out[0]]->name);
        for (int o = 0; o < n->n_out; o++) {
            hbg_tensor *x = g->tensors[n->out[o]];
            if ((st = hbg_graph_set_const(g, n->out[o], x->dtype, x->rank, x->dims, vals[n->out[o]],
                                          (size_t)hbg_tensor_nbytes(x))) != HBG_OK)
                goto out;
        }
    }
    if ((st = hbg_edit_remove_nodes(g, fold, NULL)) != HBG_OK)
        goto out;
    *changed = n_fold;
out:
    hbg_exec_free(e);
    if (vals)
        for (int t = 0; t < nt; t++)
            free(vals[t]);
    free(vals);
    free(known);
    free(fold);
    return st;
}
