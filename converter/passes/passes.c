/* hbc_passes: the pass table, running one pass, running them all, shared helpers. */
#include "passes_priv.h"

#include "hbg/exec.h"

#include <string.h>

typedef struct pass_entry {
    const char *name;
    hbc_pass_fn fn;
} pass_entry;

static const pass_entry pass_table[HBC_PASS_COUNT] = {
    [HBC_PASS_FOLD_CONSTANTS] = {"fold_constants", hbc_pass_fold_constants},
    [HBC_PASS_REMOVE_NOOPS] = {"remove_noops", hbc_pass_remove_noops},
    [HBC_PASS_FOLD_BN] = {"fold_bn", hbc_pass_fold_bn},
    [HBC_PASS_GEMM_TO_CONV] = {"gemm_to_conv", hbc_pass_gemm_to_conv},
    [HBC_PASS_FUSE_ACT] = {"fuse_act", hbc_pass_fuse_act},
    [HBC_PASS_CHANNEL_SHUFFLE] = {"channel_shuffle", hbc_pass_channel_shuffle},
};

/* hbc_optimize repeats the pass list while something changes; each round only shrinks or
 * canonicalises the graph, so a handful of rounds reach the fixed point on real models. */
#define MAX_ROUNDS 8

const char *hbc_pass_name(hbc_pass p)
{
    if ((unsigned)p >= HBC_PASS_COUNT)
        return "?";
    return pass_table[p].name;
}

hbg_status hbc_pass_infer(hbg_graph *g)
{
    hbg_exec *e = NULL;
    hbg_status st = hbg_exec_create(g, &e);
    hbg_exec_free(e);
    return st;
}

hbg_status hbc_pass_run(hbg_graph *g, hbc_pass p, const hbc_logger *lg, int *n_changed)
{
    int changed = 0, dead = 0, dropped = 0, before = g->n_nodes;
    hbg_status st;
    if (n_changed)
        *n_changed = 0;
    if ((unsigned)p >= HBC_PASS_COUNT)
        return hbg_graph_fail(g, HBG_E_INVALID, "unknown pass id %d", (int)p);
    if ((st = hbc_pass_infer(g)) != HBG_OK)
        return st;
    if ((st = pass_table[p].fn(g, lg, &changed)) != HBG_OK)
        return st;
    if ((st = hbg_edit_remove_dead(g, &dead)) != HBG_OK ||
        (st = hbg_edit_drop_unused(g, &dropped)) != HBG_OK)
        return st;
    if ((st = hbg_graph_validate(g, 1)) != HBG_OK) {
        /* A pass must leave a valid graph: this is a bug in the pass, say which. */
        char msg[sizeof g->err];
        memcpy(msg, g->err, sizeof msg);
        return hbg_graph_fail(g, st, "after pass %s: %s", pass_table[p].name, msg);
    }
    HBC_LOGD(lg,
             "pass %s: %d rewrite(s), %d dead node(s) removed, %d tensor(s) dropped, "
             "nodes %d -> %d",
             pass_table[p].name, changed, dead, dropped, before, g->n_nodes);
    if (n_changed)
        *n_changed = changed + dead;
    return HBG_OK;
}

hbg_status hbc_optimize(hbg_graph *g, const hbc_optimize_opts *opts, const hbc_logger *lg)
{
    unsigned disabled = opts ? opts->disabled : 0;
    int before = g->n_nodes, round = 0, any = 1;
    hbg_status st = HBG_OK;
    for (; any && round < MAX_ROUNDS; round++) {
        any = 0;
        for (int p = 0; p < HBC_PASS_COUNT; p++) {
            int changed = 0;
            if (disabled & (1u << p))
                continue;
            if ((st = hbc_pass_run(g, (hbc_pass)p, lg, &changed)) != HBG_OK)
                return st;
            any |= changed != 0;
        }
    }
    if (any)
        HBC_LOGW(lg, "graph optimisation still changing after %d rounds; stopped", MAX_ROUNDS);
    HBC_LOGI(lg, "graph optimisation: %d nodes -> %d nodes (%d round(s))", before, g->n_nodes,
             round);
    return st;
}

const float *hbc_const_f32(const hbg_graph *g, int t)
{
    if (t < 0)
        return NULL;
    const hbg_tensor *x = g->tensors[t];
    if (!x->is_const || x->producer >= 0 || x->dtype != HBG_DT_F32 || !x->data)
        return NULL;
    return x->data;
}

int hbc_const_exclusive(const hbg_graph *g, int t)
{
    if (!hbc_const_f32(g, t))
        return 0;
    const hbg_tensor *x = g->tensors[t];
    return !x->is_input && !x->is_output && hbg_edit_use_count(g, t) == 1;
}

int hbc_single_use(const hbg_graph *g, int t)
{
    if (t < 0)
        return 0;
    const hbg_tensor *x = g->tensors[t];
    return x->producer >= 0 && !x->is_input && !x->is_output && !x->is_const &&
           hbg_edit_use_count(g, t) == 1;
}

int hbc_gemm_bias_per_column(const hbg_graph *g, int t, int64_t k)
{
    if (!hbc_const_f32(g, t))
        return 0;
    const hbg_tensor *c = g->tensors[t];
    int64_t n = hbg_tensor_numel(c);
    if (n == 1)
        return 1;
    return n == k && (c->rank == 1 || (c->rank == 2 && c->dims[0] == 1));
}

int hbc_node_reserved(const hbg_node *n)
{
    static const char prefix[] = "HZ_PREPROCESS_FOR_";
    return n->name && strncmp(n->name, prefix, sizeof prefix - 1) == 0;
}

int hbc_same_shape(const hbg_tensor *a, const hbg_tensor *b)
{
    if (a->rank < 0 || a->rank != b->rank)
        return 0;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] < 0 || a->dims[d] != b->dims[d])
            return 0;
    return 1;
}
