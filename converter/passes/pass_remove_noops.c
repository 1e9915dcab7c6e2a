/* remove_noops: nodes that pass their input through unchanged, and chains of layout ops that
 * collapse into one.
 *
 * Removed (hbg_edit_bypass: the output name survives where it can): Identity; Dropout whose mask
 * output is unused (inference: the identity; a constant true training_mode is refused); Cast to
 * the input's own type; Reshape, Flatten, Squeeze, Unsqueeze and Expand whose output shape equals
 * the input's; Transpose with the identity permutation; Pad whose pads are all zero; Concat of a
 * single input.
 * Collapsed: Reshape of a reshape-like node (Reshape/Flatten/Squeeze/Unsqueeze) read only there,
 * when the outer shape is a constant without 0 entries (a 0 copies a dim of the input, which the
 * collapse would change); Transpose of a Transpose read only there (permutations composed; the
 * pair disappears when the composition is the identity).
 * Kept: a node whose removal would rename a graph output (hbg_edit_bypass refuses), and a no-op
 * reading the output of hb_mapper's preprocess node (its output name is the mapper's).
 */
#include "passes_priv.h"

#include <stdio.h>

/* 1 when every element of the integer initializer t is zero. */
static int const_all_zero(const hbg_graph *g, int t)
{
    const hbg_tensor *x = g->tensors[t];
    if (!x->is_const || x->producer >= 0 || !x->data)
        return 0;
    int64_t n = hbg_tensor_numel(x);
    for (int64_t i = 0; i < n; i++)
        if (hbg_tensor_get_double(x, i) != 0.0)
            return 0;
    return n >= 0;
}

static int pad_is_noop(const hbg_graph *g, const hbg_node *n)
{
    const int64_t *pads;
    int np = hbg_attr_ints(n, "pads", &pads);
    if (n->n_in >= 2 && n->in[1] >= 0)
        return np < 0 && const_all_zero(g, n->in[1]);
    for (int k = 0; k < np; k++)
        if (pads[k] != 0)
            return 0;
    return np >= 0;
}

/* Transpose's permutation into perm (identity reversal when the attribute is absent). */
static int get_perm(const hbg_graph *g, const hbg_node *n, int64_t *perm)
{
    const int64_t *p;
    int rank = g->tensors[n->in[0]]->rank;
    int np = hbg_attr_ints(n, "perm", &p);
    if (rank < 0 || rank > HBG_MAX_RANK || (np >= 0 && np != rank))
        return -1;
    for (int d = 0; d < rank; d++)
        perm[d] = np >= 0 ? p[d] : rank - 1 - d;
    return rank;
}

static int perm_is_identity(const int64_t *perm, int rank)
{
    for (int d = 0; d < rank; d++)
        if (perm[d] != d)
            return 0;
    return 1;
}

/* 1 when node n leaves its input 0 unchanged. */
static int is_noop(const hbg_graph *g, const hbg_node *n)
{
    const hbg_tensor *x, *y;
    int64_t perm[HBG_MAX_RANK];
    int rank;
    if (n->n_in < 1 || n->in[0] < 0 || n->n_out < 1)
        return 0;
    x = g->tensors[n->in[0]];
    y = g->tensors[n->out[0]];
    switch (n->op) {
    case HBG_OP_IDENTITY:
        return 1;
    case HBG_OP_DROPOUT:
        /* opset 12+: a constant training_mode input that is true makes it random. */
        if (n->n_in >= 3 && n->in[2] >= 0)
            return const_all_zero(g, n->in[2]);
        return 1;
    case HBG_OP_CAST:
        return x->dtype != HBG_DT_UNDEF && x->dtype == y->dtype;
    case HBG_OP_RESHAPE:
    case HBG_OP_FLATTEN:
    case HBG_OP_SQUEEZE:
    case HBG_OP_UNSQUEEZE:
    case HBG_OP_EXPAND:
        return x->dtype == y->dtype && hbc_same_shape(x, y);
    case HBG_OP_TRANSPOSE:
        rank = get_perm(g, n, perm);
        return rank >= 0 && perm_is_identity(perm, rank);
    case HBG_OP_PAD:
        return pad_is_noop(g, n);
    case HBG_OP_CONCAT:
        return n->n_in == 1;
    default:
        return 0;
    }
}

static int is_reshape_like(hbg_op op)
{
    return op == HBG_OP_RESHAPE || op == HBG_OP_FLATTEN || op == HBG_OP_SQUEEZE ||
           op == HBG_OP_UNSQUEEZE;
}

/* Reshape(R(x)) -> Reshape(x); the inner node becomes dead. Returns 1 when rewritten. */
static int collapse_reshape(hbg_graph *g, hbg_node *n)
{
    if (n->op != HBG_OP_RESHAPE || n->n_in < 2 || n->in[1] < 0 || hbg_attr_int(n, "allowzero", 0))
        return 0;
    int x = n->in[0], p = g->tensors[x]->producer;
    const hbg_tensor *s = g->tensors[n->in[1]];
    if (p < 0 || !hbc_single_use(g, x) || !is_reshape_like(g->nodes[p].op) ||
        g->nodes[p].in[0] < 0 || !s->is_const || s->producer >= 0 || !s->data)
        return 0;
    for (int64_t i = 0; i < hbg_tensor_numel(s); i++)
        if (hbg_tensor_get_int(s, i) == 0)
            return 0;
    n->in[0] = g->nodes[p].in[0];
    return 1;
}

/* Transpose(Transpose(x)) -> Transpose(x) with the composed permutation. */
static hbg_status collapse_transpose(hbg_graph *g, hbg_node *n, int *done)
{
    int64_t p1[HBG_MAX_RANK], p2[HBG_MAX_RANK], q[HBG_MAX_RANK];
    *done = 0;
    if (n->op != HBG_OP_TRANSPOSE || n->in[0] < 0)
        return HBG_OK;
    int x = n->in[0], p = g->tensors[x]->producer;
    if (p < 0 || g->nodes[p].op != HBG_OP_TRANSPOSE || !hbc_single_use(g, x) ||
        g->nodes[p].in[0] < 0)
        return HBG_OK;
    int r1 = get_perm(g, &g->nodes[p], p1), r2 = get_perm(g, n, p2);
    if (r1 < 0 || r1 != r2)
        return HBG_OK;
    /* y[i] = t[p2[i]] and t[j] = x[p1[j]] (as axes), so y's axis i is x's axis p1[p2[i]]. */
    for (int d = 0; d < r2; d++)
        q[d] = p1[p2[d]];
    n->in[0] = g->nodes[p].in[0];
    *done = 1;
    return hbg_edit_set_attr_ints(g, n, "perm", q, (size_t)r2);
}

hbg_status hbc_pass_remove_noops(hbg_graph *g, const hbc_logger *lg, int *changed)
{
    hbg_status st;
    int count = 0;
    *changed = 0;
    for (int i = 0; i < g->n_nodes;) {
        hbg_node *n = &g->nodes[i];
        int done = 0;
        if ((st = collapse_transpose(g, n, &done)) != HBG_OK)
            return st;
        if (done || collapse_reshape(g, n)) {
            HBC_LOGD(lg, "remove_noops: node '%s' (%s) now reads '%s' directly",
                     hbg_node_label(g, n), n->op_type, g->tensors[n->in[0]]->name);
            count++;
        }
        int px = n->in[0] >= 0 ? g->tensors[n->in[0]]->producer : -1;
        if (!is_noop(g, n) || (px >= 0 && hbc_node_reserved(&g->nodes[px]))) {
            i++;
            continue;
        }
        char label[160];
        snprintf(label, sizeof label, "%s (%s)", hbg_node_label(g, n), n->op_type);
        st = hbg_edit_bypass(g, i, 0);
        if (st == HBG_E_UNSUPPORTED) {
            HBC_LOGD(lg, "remove_noops: keeping %s: %s", label, g->err);
            i++;
            continue;
        }
        if (st != HBG_OK)
            return st;
        HBC_LOGD(lg, "remove_noops: removed %s", label);
        count++;
    }
    *changed = count;
    return HBG_OK;
}
