/* Placement of every node on the BPU or the CPU, the user's requests, and the BPU subgraphs
 * (docs/placement.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc_mapper.h"

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void hbc_placement_free(hbc_placement *p)
{
    if (!p)
        return;
    free(p->bpu);
    free(p->subgraph);
    free(p->why);
    memset(p, 0, sizeof *p);
}

/* Nodes are named as in the table: their name, or their first output's when they have none. */
static int find_node(const hbg_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(hbg_node_label(g, &g->nodes[i]), name) == 0)
            return i;
    return -1;
}

/* Subgraphs: level[v] = the largest number of CPU nodes on a path from the graph inputs to v
 * (folded nodes do not count); the BPU nodes of one level form one subgraph. Levels never
 * decrease along a path and rise after every CPU node, so a path between two BPU nodes of level
 * L only passes BPU nodes of level L: each subgraph is convex. Ids follow the graph order of each
 * subgraph's first node. */
static hbg_status number_subgraphs(const hbg_graph *g, const unsigned char *folded,
                                   hbc_placement *p)
{
    int n = g->n_nodes;
    int *level = calloc((size_t)n + 1, sizeof *level);
    int *id = malloc(((size_t)n + 1) * sizeof *id);
    hbg_status st = HBG_E_NOMEM;
    if (!level || !id)
        goto out;
    for (int v = 0; v < n; v++) {
        const hbg_node *nd = &g->nodes[v];
        id[v] = -1;
        for (int j = 0; j < nd->n_in; j++) {
            int u = nd->in[j] >= 0 ? g->tensors[nd->in[j]]->producer : -1;
            if (u < 0 || folded[u])
                continue;
            int l = level[u] + !p->bpu[u];
            level[v] = l > level[v] ? l : level[v];
        }
    }
    p->n_subgraphs = 0;
    for (int v = 0; v < n; v++) {
        if (!p->bpu[v])
            continue;
        if (id[level[v]] < 0)
            id[level[v]] = p->n_subgraphs++;
        p->subgraph[v] = id[level[v]];
    }
    st = HBG_OK;
out:
    free(level);
    free(id);
    return st;
}

hbg_status hbc_place(const hbg_graph *g, bpu_march_id march, const hbc_place_request *req,
                     int n_req, hbc_placement *out, char *err, size_t errlen)
{
    hbg_status st = HBG_E_NOMEM;
    int n = g->n_nodes;
    unsigned char *folded = calloc((size_t)n + 1, 1), *asked = calloc((size_t)n + 1, 1);
    hbc_placement p = {0};

    memset(out, 0, sizeof *out);
    p.n_nodes = n;
    p.bpu = calloc((size_t)n + 1, 1);
    p.subgraph = malloc(((size_t)n + 1) * sizeof *p.subgraph);
    p.why = calloc((size_t)n + 1, sizeof *p.why);
    if (!folded || !asked || !p.bpu || !p.subgraph || !p.why) {
        fail(err, errlen, "placement: out of memory");
        goto out;
    }
    /* The last request for a node wins (node_info is passed last: it has priority). */
    for (int r = 0; r < n_req; r++) {
        if (req[r].on == HBC_ON_NONE)
            continue;
        int v = find_node(g, req[r].node);
        if (v < 0) {
            fail(err, errlen, "%s: there is no node named '%s' in the model", req[r].key,
                 req[r].node);
            st = HBG_E_INVALID;
            goto out;
        }
        asked[v] = (unsigned char)req[r].on;
    }
    for (int v = 0; v < n; v++) {
        const hbg_node *nd = &g->nodes[v];
        int live = 0;
        p.subgraph[v] = -1;
        /* A node whose inputs are all constants or folded values never runs. */
        for (int j = 0; j < nd->n_in; j++) {
            const hbg_tensor *t = nd->in[j] >= 0 ? g->tensors[nd->in[j]] : NULL;
            live |= t && !t->is_const && (t->producer < 0 || !folded[t->producer]);
        }
        if (!live && nd->op != HBG_OP_UNKNOWN) {
            folded[v] = 1;
            snprintf(p.why[v], sizeof p.why[v], "%s: constant, folded", nd->op_type);
            continue;
        }
        p.bpu[v] = (unsigned char)hbc_place_bpu_ok(g, nd, march, asked[v] == HBC_ON_BPU, p.why[v],
                                                   sizeof p.why[v]);
        if (asked[v] == HBC_ON_BPU && !p.bpu[v]) {
            const char *key = "run_on_bpu";
            for (int r = 0; r < n_req; r++)
                if (req[r].on != HBC_ON_NONE && find_node(g, req[r].node) == v)
                    key = req[r].key;
            fail(err, errlen, "%s: node '%s' cannot run on the BPU of %s: %s", key,
                 hbg_node_label(g, nd), bpu_march_get(march)->name, p.why[v]);
            st = HBG_E_UNSUPPORTED;
            goto out;
        }
        if (p.bpu[v])
            snprintf(p.why[v], sizeof p.why[v], "%s: supported on the BPU of %s%s", nd->op_type,
                     bpu_march_get(march)->name, asked[v] == HBC_ON_BPU ? " (requested)" : "");
        if (asked[v] == HBC_ON_CPU) {
            p.bpu[v] = 0;
            snprintf(p.why[v], sizeof p.why[v], "%s: requested on the CPU", nd->op_type);
        }
    }
    if ((st = number_subgraphs(g, folded, &p)) != HBG_OK) {
        fail(err, errlen, "placement: out of memory");
        goto out;
    }
    *out = p;
    memset(&p, 0, sizeof p);
out:
    hbc_placement_free(&p);
    free(folded);
    free(asked);
    return st;
}

/* Widest Node and Type columns; longer names are cut on the left with "...". */
#define NODE_COL_MAX 40
#define TYPE_COL_MAX 28

typedef struct tbuf {
    char *p;
    size_t len, cap;
    int failed;
} tbuf;

static void tb_printf(tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(tbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || b->failed)
        return;
    if (b->len + (size_t)k + 1 > b->cap) {
        size_t cap = (b->len + (size_t)k + 1) * 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
}

/* s fitted into width: itself, or "..." and its last width-3 characters. */
static void tb_cell(tbuf *b, const char *s, int width, int last)
{
    size_t n = strlen(s);
    if (n > (size_t)width)
        tb_printf(b, "...%s", s + n - (size_t)(width - 3));
    else if (last)
        tb_printf(b, "%s", s);
    else
        tb_printf(b, "%-*s", width, s);
    if (!last)
        tb_printf(b, "  ");
}

char *hbc_place_table(const hbg_graph *g, const hbc_placement *p)
{
    tbuf b = {0};
    int wn = 4, wt = 4, ws = 8;
    char sub[32];
    for (int i = 0; i < g->n_nodes && i < p->n_nodes; i++) {
        int ln = (int)strlen(hbg_node_label(g, &g->nodes[i]));
        int lt = (int)strlen(g->nodes[i].op_type);
        wn = ln > wn ? (ln < NODE_COL_MAX ? ln : NODE_COL_MAX) : wn;
        wt = lt > wt ? (lt < TYPE_COL_MAX ? lt : TYPE_COL_MAX) : wt;
        int ls = snprintf(sub, sizeof sub, "id(%d)", p->subgraph[i]);
        ws = ls > ws ? ls : ws;
    }
    int width = wn + 2 + 3 + 2 + ws + 2 + wt;
    for (int i = 0; i < width; i++)
        tb_printf(&b, "=");
    tb_printf(&b, "\n");
    tb_cell(&b, "Node", wn, 0);
    tb_cell(&b, "ON", 3, 0);
    tb_cell(&b, "Subgraph", ws, 0);
    tb_cell(&b, "Type", wt, 1);
    tb_printf(&b, "\n");
    for (int i = 0; i < width; i++)
        tb_printf(&b, "-");
    for (int i = 0; i < g->n_nodes && i < p->n_nodes; i++) {
        tb_printf(&b, "\n");
        if (p->subgraph[i] >= 0)
            snprintf(sub, sizeof sub, "id(%d)", p->subgraph[i]);
        else
            snprintf(sub, sizeof sub, "--");
        tb_cell(&b, hbg_node_label(g, &g->nodes[i]), wn, 0);
        tb_cell(&b, p->bpu[i] ? "BPU" : "CPU", 3, 0);
        tb_cell(&b, sub, ws, 0);
        tb_cell(&b, g->nodes[i].op_type, wt, 1);
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
