/* hb_verifier --per-layer: the per-layer outputs of a layer_out_dump .bin (verifier_layers.h). */
#include "verifier_layers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One per-layer output: graph output index, its producer, the comparison result. */
typedef struct vl_entry {
    int k;    /* index into g->outputs */
    int node; /* producer node (topological order = node order) */
    int64_t runs_diff, elems_diff, elems;
    char first[256];
} vl_entry;

struct vl_layers {
    const hbg_graph *g;
    int per_layer;
    int first_k; /* g->outputs[first_k..] are the per-layer outputs */
    int n;
    vl_entry *e;
};

static int by_node(const void *a, const void *b)
{
    const vl_entry *x = a, *y = b;
    return x->node != y->node ? (x->node > y->node) - (x->node < y->node)
                              : (x->k > y->k) - (x->k < y->k);
}

int vl_attach(hbg_graph *g, hbDNNHandle_t m, const char *bin, const char *onnx, int per_layer,
              vl_layers **out)
{
    int32_t no = 0;
    vl_layers *l = NULL;
    *out = NULL;
    hbDNNGetOutputCount(&no, m);
    if (no <= g->n_outputs) {
        if (!per_layer)
            return 0;
        fprintf(stderr,
                "ERROR --per-layer: %s has no per-layer outputs (%d output%s, %s has %d): "
                "rebuild it with compiler_parameters.layer_out_dump: True\n",
                bin, no, no == 1 ? "" : "s", onnx, g->n_outputs);
        return -1;
    }
    l = calloc(1, sizeof *l);
    if (!l || !(l->e = calloc((size_t)(no - g->n_outputs), sizeof *l->e))) {
        fprintf(stderr, "ERROR out of memory\n");
        goto fail;
    }
    l->g = g;
    l->per_layer = per_layer;
    l->first_k = g->n_outputs;
    for (int i = g->n_outputs; i < no; i++) {
        const char *name = NULL;
        hbDNNGetOutputName(&name, m, i);
        int t = name ? hbg_graph_find_tensor(g, name) : -1;
        if (t < 0 || g->tensors[t]->producer < 0 || g->tensors[t]->is_output) {
            fprintf(stderr,
                    "ERROR %s output %d '%s' is no intermediate tensor of %s: not the model this "
                    ".bin was made from\n",
                    bin, i, name ? name : "?", onnx);
            goto fail;
        }
        if (hbg_graph_add_output(g, t) != HBG_OK) {
            fprintf(stderr, "ERROR %s\n", g->err);
            goto fail;
        }
        l->e[l->n].k = g->n_outputs - 1;
        l->e[l->n].node = g->tensors[t]->producer;
        l->n++;
    }
    qsort(l->e, (size_t)l->n, sizeof *l->e, by_node);
    if (per_layer)
        printf("%s: %d per-layer outputs after the %d model output%s (layer_out_dump)\n", bin, l->n,
               l->first_k, l->first_k == 1 ? "" : "s");
    *out = l;
    return 0;
fail:
    vl_free(l);
    return -1;
}

int vl_note(vl_layers *l, int k, int64_t runs_diff, int64_t elems_diff, int64_t elems,
            const char *first)
{
    if (!l || k < l->first_k)
        return 0;
    for (int i = 0; i < l->n; i++) {
        vl_entry *e = &l->e[i];
        if (e->k != k)
            continue;
        e->runs_diff = runs_diff;
        e->elems_diff = elems_diff;
        e->elems = elems;
        snprintf(e->first, sizeof e->first, "%s", first ? first : "");
    }
    return l->per_layer;
}

void vl_print(const vl_layers *l, int runs)
{
    const vl_entry *bad = NULL;
    if (!l || !l->per_layer)
        return;
    printf("per-layer comparison (BPU node outputs in topological order, %d input%s):\n", runs,
           runs == 1 ? "" : "s");
    printf("  %4s  %-32s %-18s %-32s %10s  %s\n", "#", "node", "op", "output", "compared",
           "result");
    for (int i = 0; i < l->n; i++) {
        const vl_entry *e = &l->e[i];
        const hbg_node *nd = &l->g->nodes[e->node];
        const hbg_tensor *t = l->g->tensors[l->g->outputs[e->k]];
        char res[64];
        if (e->runs_diff)
            snprintf(res, sizeof res, "DIFFERS (%" PRId64 " elements)", e->elems_diff);
        else
            snprintf(res, sizeof res, "equal");
        printf("  %4d  %-32s %-18s %-32s %10" PRId64 "  %s\n", i, hbg_node_label(l->g, nd),
               nd->op_type, t->name, e->elems, res);
        if (e->runs_diff && !bad)
            bad = e;
    }
    if (!bad) {
        printf("every per-layer output is equal bit for bit (%d layers)\n", l->n);
        return;
    }
    const hbg_node *nd = &l->g->nodes[bad->node];
    printf("first differing node: %s (%s), output %s: differs on %" PRId64 " of %d inputs, "
           "%" PRId64 " of %" PRId64 " elements; first: %s\n",
           hbg_node_label(l->g, nd), nd->op_type, l->g->tensors[l->g->outputs[bad->k]]->name,
           bad->runs_diff, runs, bad->elems_diff, bad->elems, bad->first);
}

void vl_free(vl_layers *l)
{
    if (!l)
        return;
    free(l->e);
    free(l);
}
