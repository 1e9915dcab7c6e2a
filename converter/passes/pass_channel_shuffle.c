/* channel_shuffle: ShuffleNet channel shuffles as channel selections the BPU runs.
 *
 * 1. Shuffle and split (ShuffleNetV2 as FastestDet exports it: PyTorch's
 *    `x.reshape(n * c // 2, 2, h * w).permute(1, 0, 2).reshape(2, -1, c // 2, h, w)` then
 *    `x[0]`, `x[1]`):
 *      X [N, C, H, W] -> Reshape [N*C/2, 2, H*W] -> Transpose perm (1, 0, 2)
 *        -> Reshape [2, N, C/2, H, W] -> Gather(axis 0, scalar index j) for j in {0, 1}
 *    Element [n, i] of the Reshape's first axis is channel 2i + j of batch n after the
 *    Transpose, so Gather j is exactly Slice(X, starts [j], ends [C], axes [1], steps [2]): the
 *    even (j = 0) or odd (j = 1) channels. Each Gather becomes that Slice in place (node and
 *    output names kept); every reader of the last Reshape must be such a Gather.
 * 2. Shuffle alone (torchvision's `channel_shuffle`: `x.view(n, g, c // g, h, w)
 *    .transpose(1, 2).view(n, -1, h, w)`, ShuffleNetV1 and V2):
 *      X [N, C, H, W] -> Reshape [N, g, C/g, H, W] -> Transpose perm (0, 2, 1, 3, 4)
 *        -> Reshape [N, C, H, W]
 *    Output channel i*g + j is input channel j*(C/g) + i, so the last Reshape becomes, in place,
 *    Gather(X, indices, axis 1) with that constant permutation.
 * In both the intermediate tensors must be read only along the chain and be no graph outputs;
 * the chain left dead is removed. Both results are exact in float (pure selections), and the
 * BPU runs a channel-step Slice and a channel Gather of a 4-D map (docs/placement.md) instead of
 * three or four CPU nodes on 5-D tensors.
 * Refused: other shapes or permutations, a chain tensor read elsewhere, a non-constant or
 * non-scalar index, an index other than 0, 1, -2, -1, and for pattern 1 a default-domain
 * opset below 10 (Slice takes its starts/ends/axes/steps as inputs from opset 10).
 */
#include "passes_priv.h"

#include <stdio.h>
#include <stdlib.h>

/* 1 when tensor t has exactly the given known dims. */
static int dims_are(const hbg_tensor *t, int rank, const int64_t *d)
{
    if (t->rank != rank)
        return 0;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != d[i])
            return 0;
    return 1;
}

/* The single node reading intermediate tensor t, which must have op `op`; -1 otherwise. */
static int only_reader(const hbg_graph *g, int t, hbg_op op)
{
    if (!hbc_single_use(g, t))
        return -1;
    int r = hbg_edit_next_consumer(g, t, 0);
    return r >= 0 && g->nodes[r].op == op && g->nodes[r].in[0] == t ? r : -1;
}

/* Index j in {0, 1} of Gather node n on axis 0 of a rank-5 tensor, or -1. */
static int gather_half(const hbg_graph *g, const hbg_node *n)
{
    if (n->op != HBG_OP_GATHER || n->n_in != 2 || n->in[1] < 0)
        return -1;
    int64_t axis = hbg_attr_int(n, "axis", 0);
    const hbg_tensor *ix = g->tensors[n->in[1]];
    if ((axis != 0 && axis != -5) || !ix->is_const || ix->producer >= 0 || ix->rank != 0 ||
        (ix->dtype != HBG_DT_I64 && ix->dtype != HBG_DT_I32) || !ix->data)
        return -1;
    int64_t j = hbg_tensor_get_int(ix, 0);
    j = j < 0 ? j + 2 : j;
    return j == 0 || j == 1 ? (int)j : -1;
}

/* The chain X -> Reshape r1 -> Transpose -> Reshape r2 ending at node r2, with each link read
 * only by the next and a Transpose perm equal to want (n entries): r1 in *r1, X returned (a 4-D
 * float tensor of known shape); -1 otherwise. */
static int reshape_chain(const hbg_graph *g, int r2, const int64_t *want, int n, int *r1)
{
    const hbg_node *n2 = &g->nodes[r2];
    if (n2->op != HBG_OP_RESHAPE || n2->in[0] < 0)
        return -1;
    const int tt = g->tensors[n2->in[0]]->producer;
    if (tt < 0 || g->nodes[tt].op != HBG_OP_TRANSPOSE || g->nodes[tt].in[0] < 0 ||
        only_reader(g, g->nodes[tt].out[0], HBG_OP_RESHAPE) != r2)
        return -1;
    *r1 = g->tensors[g->nodes[tt].in[0]]->producer;
    if (*r1 < 0 || g->nodes[*r1].op != HBG_OP_RESHAPE || g->nodes[*r1].in[0] < 0 ||
        only_reader(g, g->nodes[*r1].out[0], HBG_OP_TRANSPOSE) != tt)
        return -1;
    const int64_t *perm;
    if (hbg_attr_ints(&g->nodes[tt], "perm", &perm) != n)
        return -1;
    for (int i = 0; i < n; i++)
        if (perm[i] != want[i])
            return -1;
    const int x = g->nodes[*r1].in[0];
    const hbg_tensor *xt = g->tensors[x];
    return xt->rank == 4 && xt->dtype == HBG_DT_F32 && hbg_tensor_numel(xt) > 0 ? x : -1;
}

/* The input X of a shuffle and split (pattern 1) whose last Reshape is node r2, or -1. */
static int match(const hbg_graph *g, int r2)
{
    static const int64_t want[3] = {1, 0, 2};
    const hbg_node *n2 = &g->nodes[r2];
    int r1;
    const int x = reshape_chain(g, r2, want, 3, &r1);
    if (x < 0 || g->tensors[x]->dims[1] % 2 != 0)
        return -1;
    const hbg_tensor *xt = g->tensors[x];
    const int64_t n = xt->dims[0], c = xt->dims[1], h = xt->dims[2], w = xt->dims[3];
    const int64_t d1[3] = {n * c / 2, 2, h * w}, d2[5] = {2, n, c / 2, h, w};
    if (!dims_are(g->tensors[g->nodes[r1].out[0]], 3, d1) ||
        !dims_are(g->tensors[n2->out[0]], 5, d2))
        return -1;
    const hbg_tensor *y = g->tensors[n2->out[0]];
    if (y->is_output || hbg_edit_use_count(g, n2->out[0]) < 1)
        return -1;
    for (int k = 0; k < g->n_nodes; k++) {
        const hbg_node *u = &g->nodes[k];
        for (int i = 0; i < u->n_in; i++)
            if (u->in[i] == n2->out[0] && (i != 0 || gather_half(g, u) < 0))
                return -1;
    }
    return x;
}

/* Turn Gather node k (half j) into Slice(x, [j], [C], [1], [2]) in place. */
static hbg_status to_slice(hbg_graph *g, int k, int x, int j)
{
    hbg_node *n = &g->nodes[k];
    const int64_t one = 1, v[4] = {j, g->tensors[x]->dims[1], 1, 2};
    static const char *const what[4] = {"starts", "ends", "axes", "steps"};
    int ci[4];
    char base[300];
    hbg_status st;
    for (int i = 0; i < 4; i++) {
        snprintf(base, sizeof base, "%s_%s", g->tensors[n->out[0]]->name, what[i]);
        if ((st = hbg_edit_new_const(g, base, HBG_DT_I64, 1, &one, &v[i], sizeof v[i], &ci[i])) !=
            HBG_OK)
            return st;
    }
    n = &g->nodes[k]; /* new initializers never move nodes, but keep the pointer fresh */
    int *in = realloc(n->in, 5 * sizeof *in);
    if (!in)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    n->in = in;
    if ((st = hbg_edit_set_op(g, n, "Slice", n->n_in)) != HBG_OK)
        return st;
    n->in[0] = x;
    for (int i = 0; i < 4; i++)
        n->in[1 + i] = ci[i];
    n->n_in = 5;
    hbg_edit_remove_attr(n, "axis");
    return HBG_OK;
}

/* The input X of a shuffle alone (pattern 2) whose last Reshape is node r2, and its group
 * count in *groups; -1 otherwise. */
static int match_perm(const hbg_graph *g, int r2, int64_t *groups)
{
    static const int64_t want[5] = {0, 2, 1, 3, 4};
    const hbg_node *n2 = &g->nodes[r2];
    int r1;
    const int x = reshape_chain(g, r2, want, 5, &r1);
    if (x < 0)
        return -1;
    const hbg_tensor *xt = g->tensors[x], *t1 = g->tensors[g->nodes[r1].out[0]];
    if (t1->rank != 5)
        return -1;
    const int64_t n = xt->dims[0], c = xt->dims[1], h = xt->dims[2], w = xt->dims[3];
    const int64_t gr = t1->dims[1];
    if (gr < 2 || gr >= c || c % gr != 0)
        return -1;
    const int64_t d1[5] = {n, gr, c / gr, h, w};
    if (!dims_are(t1, 5, d1) || !dims_are(g->tensors[n2->out[0]], 4, xt->dims))
        return -1;
    *groups = gr;
    return x;
}

/* Turn Reshape node r2 into Gather(x, permutation, axis 1) in place. */
static hbg_status to_gather(hbg_graph *g, int r2, int x, int64_t groups)
{
    const int64_t c = g->tensors[x]->dims[1], per = c / groups;
    int64_t *idx = malloc((size_t)c * sizeof *idx);
    char base[300];
    int ci;
    hbg_status st;
    if (!idx)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    for (int64_t i = 0; i < per; i++)
        for (int64_t j = 0; j < groups; j++)
            idx[i * groups + j] = j * per + i;
    snprintf(base, sizeof base, "%s_indices", g->tensors[g->nodes[r2].out[0]]->name);
    st = hbg_edit_new_const(g, base, HBG_DT_I64, 1, &c, idx, (size_t)c * sizeof *idx, &ci);
    free(idx);
    if (st != HBG_OK)
        return st;
    hbg_node *n = &g->nodes[r2];
    if ((st = hbg_edit_set_op(g, n, "Gather", 2)) != HBG_OK ||
        (st = hbg_edit_set_attr_int(g, n, "axis", 1)) != HBG_OK)
        return st;
    n->in[0] = x;
    n->in[1] = ci;
    hbg_edit_remove_attr(n, "allowzero");
    return HBG_OK;
}

hbg_status hbc_pass_channel_shuffle(hbg_graph *g, const hbc_logger *lg, int *changed)
{
    int n_changed = 0;
    /* Slice takes starts/ends/axes/steps as inputs from opset 10; Gather has no such limit */
    const int slices_ok = hbg_graph_opset(g, "") >= 10;
    *changed = 0;
    for (int r2 = 0; r2 < g->n_nodes; r2++) {
        int64_t groups = 0;
        const int xp = match_perm(g, r2, &groups);
        if (xp >= 0) {
            hbg_status st = to_gather(g, r2, xp, groups);
            if (st != HBG_OK)
                return st;
            HBC_LOGD(lg,
                     "channel_shuffle: the shuffle of '%s' in %lld groups ending at '%s' is a "
                     "channel Gather",
                     g->tensors[xp]->name, (long long)groups, hbg_node_label(g, &g->nodes[r2]));
            n_changed++;
            continue;
        }
        const int x = slices_ok ? match(g, r2) : -1;
        if (x < 0)
            continue;
        const int y = g->nodes[r2].out[0];
        for (int k = r2 + 1; k < g->n_nodes; k++) {
            const hbg_node *u = &g->nodes[k];
            if (u->n_in < 1 || u->in[0] != y)
                continue;
            hbg_status st = to_slice(g, k, x, gather_half(g, u));
            if (st != HBG_OK)
                return st;
        }
        HBC_LOGD(lg, "channel_shuffle: the shuffle of '%s' ending at '%s' is two strided slices",
                 g->tensors[x]->name, hbg_node_label(g, &g->nodes[r2]));
        n_changed++;
    }
    *changed = n_changed;
    return HBG_OK;
}
