/* In-place graph rewriting for the converter's passes (hbg/edit.h). */
#include "hbg/edit.h"
#include "graph_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* Recompute every tensor's producer from the node list. */
static void fix_producers(hbg_graph *g)
{
    for (int t = 0; t < g->n_tensors; t++)
        g->tensors[t]->producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int o = 0; o < g->nodes[i].n_out; o++)
            g->tensors[g->nodes[i].out[o]]->producer = i;
}

int hbg_edit_use_count(const hbg_graph *g, int t)
{
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            c += g->nodes[i].in[k] == t;
    return c;
}

int hbg_edit_next_consumer(const hbg_graph *g, int t, int from)
{
    for (int i = from < 0 ? 0 : from; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == t)
                return i;
    return -1;
}

int hbg_edit_replace_uses(hbg_graph *g, int from, int to)
{
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == from) {
                g->nodes[i].in[k] = to;
                c++;
            }
    return c;
}

hbg_status hbg_edit_remove_node(hbg_graph *g, int i)
{
    if (i < 0 || i >= g->n_nodes)
        return hbg_graph_fail(g, HBG_E_INVALID, "remove node: index %d out of range", i);
    hbg_node_clear(&g->nodes[i]);
    memmove(&g->nodes[i], &g->nodes[i + 1], (size_t)(g->n_nodes - i - 1) * sizeof *g->nodes);
    g->n_nodes--;
    fix_producers(g);
    return HBG_OK;
}

hbg_status hbg_edit_remove_nodes(hbg_graph *g, const unsigned char *drop, int *n_removed)
{
    int w = 0, removed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (drop[i]) {
            hbg_node_clear(&g->nodes[i]);
            removed++;
        } else {
            g->nodes[w++] = g->nodes[i];
        }
    }
    g->n_nodes = w;
    fix_producers(g);
    if (n_removed)
        *n_removed = removed;
    return HBG_OK;
}

hbg_status hbg_edit_move_node(hbg_graph *g, int from, int to)
{
    if (from < 0 || from >= g->n_nodes || to < 0 || to >= g->n_nodes)
        return hbg_graph_fail(g, HBG_E_INVALID, "move node: index %d -> %d out of range", from, to);
    if (from == to)
        return HBG_OK;
    hbg_node tmp = g->nodes[from];
    if (from < to)
        memmove(&g->nodes[from], &g->nodes[from + 1], (size_t)(to - from) * sizeof *g->nodes);
    else
        memmove(&g->nodes[to + 1], &g->nodes[to], (size_t)(from - to) * sizeof *g->nodes);
    g->nodes[to] = tmp;
    fix_producers(g);
    return HBG_OK;
}

/* 1 when a node writes tensor t (scanned: producer fields may predate hbg_graph_add_node). */
static int written(const hbg_graph *g, int t)
{
    for (int i = 0; i < g->n_nodes; i++)
        for (int o = 0; o < g->nodes[i].n_out; o++)
            if (g->nodes[i].out[o] == t)
                return 1;
    return 0;
}

hbg_status hbg_edit_insert_node(hbg_graph *g, int pos, const char *op_type, const char *name,
                                int n_in, const char *const *in_names, int n_out,
                                const char *const *out_names, hbg_node **out_node)
{
    hbg_status st;
    if (pos < 0 || pos > g->n_nodes)
        return hbg_graph_fail(g, HBG_E_INVALID, "insert node '%s': position %d out of range",
                              name ? name : "", pos);
    for (int o = 0; o < n_out; o++) {
        int t = out_names[o] ? hbg_graph_find_tensor(g, out_names[o]) : -1;
        if (t >= 0 && (written(g, t) || g->tensors[t]->is_const || g->tensors[t]->is_input))
            return hbg_graph_fail(g, HBG_E_INVALID,
                                  "insert node '%s' (%s): output '%s' already has a value",
                                  name ? name : "", op_type, out_names[o]);
    }
    int before = g->n_nodes;
    st = hbg_graph_add_node(g, op_type, "", name, n_in, in_names, n_out, out_names, NULL);
    if (st != HBG_OK) {
        /* A half-built node was counted: drop it so the graph stays consistent. */
        if (g->n_nodes > before) {
            hbg_node_clear(&g->nodes[g->n_nodes - 1]);
            g->n_nodes--;
        }
        return st;
    }
    if ((st = hbg_edit_move_node(g, g->n_nodes - 1, pos)) != HBG_OK)
        return st;
    if (pos == g->n_nodes - 1)
        fix_producers(g);
    if (out_node)
        *out_node = &g->nodes[pos];
    return HBG_OK;
}

/* Number of outputs of node i that a node reads or the graph lists. */
static int outputs_used(const hbg_graph *g, int i)
{
    int c = 0;
    for (int o = 0; o < g->nodes[i].n_out; o++) {
        int t = g->nodes[i].out[o];
        c += g->tensors[t]->is_output || hbg_edit_use_count(g, t) > 0;
    }
    return c;
}

hbg_status hbg_edit_bypass(hbg_graph *g, int i, int slot)
{
    if (i < 0 || i >= g->n_nodes)
        return hbg_graph_fail(g, HBG_E_INVALID, "bypass: node index %d out of range", i);
    hbg_node *n = &g->nodes[i];
    if (slot < 0 || slot >= n->n_in || n->in[slot] < 0 || n->n_out < 1)
        return hbg_graph_fail(g, HBG_E_INVALID, "node '%s' (%s): bypass of input %d",
                              hbg_node_label(g, n), n->op_type, slot);
    int x = n->in[slot], y = n->out[0];
    hbg_tensor *tx = g->tensors[x], *ty = g->tensors[y];
    for (int o = 1; o < n->n_out; o++)
        if (g->tensors[n->out[o]]->is_output || hbg_edit_use_count(g, n->out[o]) > 0)
            return hbg_graph_fail(g, HBG_E_UNSUPPORTED,
                                  "node '%s' (%s): output '%s' is used; not removable",
                                  hbg_node_label(g, n), n->op_type, g->tensors[n->out[o]]->name);
    /* x is read only by node i and is an intermediate: its producer takes over y's name. */
    int px = tx->producer;
    if (px >= 0 && px != i && !tx->is_output && !tx->is_input && !tx->is_const &&
        hbg_edit_use_count(g, x) == 1) {
        hbg_node *p = &g->nodes[px];
        for (int o = 0; o < p->n_out; o++)
            if (p->out[o] == x)
                p->out[o] = y;
        /* y keeps its shape from inference: the node was a no-op. */
        ty->producer = px;
        tx->producer = -1;
        return hbg_edit_remove_node(g, i);
    }
    if (ty->is_output)
        return hbg_graph_fail(g, HBG_E_UNSUPPORTED,
                              "node '%s' (%s): removing it would rename graph output '%s'",
                              hbg_node_label(g, n), n->op_type, ty->name);
    hbg_edit_replace_uses(g, y, x);
    return hbg_edit_remove_node(g, i);
}

hbg_status hbg_edit_remove_dead(hbg_graph *g, int *n_removed)
{
    int total = 0;
    hbg_status st = HBG_OK;
    unsigned char *drop = NULL;
    for (;;) {
        int any = 0;
        free(drop);
        drop = calloc((size_t)g->n_nodes + 1, 1);
        if (!drop) {
            st = hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
            goto out;
        }
        for (int i = 0; i < g->n_nodes; i++)
            if (outputs_used(g, i) == 0)
                any = drop[i] = 1;
        if (!any)
            break;
        int k = 0;
        if ((st = hbg_edit_remove_nodes(g, drop, &k)) != HBG_OK)
            goto out;
        total += k;
    }
out:
    free(drop);
    if (n_removed)
        *n_removed = total;
    return st;
}

hbg_status hbg_edit_drop_unused(hbg_graph *g, int *n_dropped)
{
    hbg_status st = HBG_OK;
    int nt = g->n_tensors, w = 0;
    unsigned char *used = calloc((size_t)nt + 1, 1);
    int *remap = malloc(((size_t)nt + 1) * sizeof *remap);
    if (!used || !remap) {
        st = hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0)
                used[n->in[k]] = 1;
        for (int k = 0; k < n->n_out; k++)
            used[n->out[k]] = 1;
    }
    for (int i = 0; i < g->n_inputs; i++)
        used[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++)
        used[g->outputs[i]] = 1;
    for (int t = 0; t < nt; t++) {
        hbg_tensor *x = g->tensors[t];
        if (used[t]) {
            remap[t] = w;
            g->tensors[w++] = x;
            continue;
        }
        remap[t] = -1;
        if (!x->is_const)
            x->data = NULL; /* an executor's buffer, not ours */
        hbg_tensor_free(x);
    }
    g->n_tensors = w;
    for (int i = 0; i < g->n_nodes; i++) {
        hbg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0)
                n->in[k] = remap[n->in[k]];
        for (int k = 0; k < n->n_out; k++)
            n->out[k] = remap[n->out[k]];
    }
    for (int i = 0; i < g->n_inputs; i++)
        g->inputs[i] = remap[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++)
        g->outputs[i] = remap[g->outputs[i]];
    fix_producers(g);
    if (n_dropped)
        *n_dropped = nt - w;
out:
    free(used);
    free(remap);
    return st;
}

hbg_status hbg_edit_unique_name(const hbg_graph *g, const char *base, char *buf, size_t size)
{
    int w = snprintf(buf, size, "%s", base);
    if (w < 0 || (size_t)w >= size)
        return HBG_E_INVALID;
    for (int k = 1; hbg_graph_find_tensor(g, buf) >= 0; k++) {
        w = snprintf(buf, size, "%s_%d", base, k);
        if (w < 0 || (size_t)w >= size)
            return HBG_E_INVALID;
    }
    return HBG_OK;
}

hbg_status hbg_edit_new_const(hbg_graph *g, const char *base, hbg_dtype dt, int rank,
                              const int64_t *dims, const void *data, size_t nbytes, int *idx)
{
    char name[512];
    hbg_status st = hbg_edit_unique_name(g, base, name, sizeof name);
    if (st != HBG_OK)
        return hbg_graph_fail(g, st, "tensor name '%.64s...' too long", base);
    int t = hbg_graph_tensor(g, name);
    if (t < 0)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    if ((st = hbg_graph_set_const(g, t, dt, rank, dims, data, nbytes)) != HBG_OK)
        return st;
    *idx = t;
    return HBG_OK;
}

int hbg_edit_remove_attr(hbg_node *n, const char *name)
{
    for (int i = 0; i < n->n_attr; i++) {
        if (strcmp(n->attrs[i].name, name) != 0)
            continue;
        hbg_attr_clear(&n->attrs[i]);
        memmove(&n->attrs[i], &n->attrs[i + 1], (size_t)(n->n_attr - i - 1) * sizeof *n->attrs);
        n->n_attr--;
        return 1;
    }
    return 0;
}

/* Replace or add attribute name of node n with a fresh one of the given type. */
static hbg_attr *fresh_attr(hbg_graph *g, hbg_node *n, const char *name, hbg_attr_type type)
{
    hbg_edit_remove_attr(n, name);
    hbg_attr *a = hbg_node_add_attr(n, name, type);
    if (!a)
        hbg_graph_fail(g, HBG_E_NOMEM, "node '%s': out of memory", hbg_node_label(g, n));
    return a;
}

hbg_status hbg_edit_set_attr_int(hbg_graph *g, hbg_node *n, const char *name, int64_t v)
{
    hbg_attr *a = fresh_attr(g, n, name, HBG_ATTR_INT);
    if (!a)
        return HBG_E_NOMEM;
    a->i = v;
    return HBG_OK;
}

hbg_status hbg_edit_set_attr_float(hbg_graph *g, hbg_node *n, const char *name, float v)
{
    hbg_attr *a = fresh_attr(g, n, name, HBG_ATTR_FLOAT);
    if (!a)
        return HBG_E_NOMEM;
    a->f = v;
    return HBG_OK;
}

hbg_status hbg_edit_set_attr_ints(hbg_graph *g, hbg_node *n, const char *name, const int64_t *v,
                                  size_t count)
{
    int64_t *copy = malloc((count ? count : 1) * sizeof *copy);
    if (!copy)
        return hbg_graph_fail(g, HBG_E_NOMEM, "node '%s': out of memory", hbg_node_label(g, n));
    if (count)
        memcpy(copy, v, count * sizeof *copy);
    hbg_attr *a = fresh_attr(g, n, name, HBG_ATTR_INTS);
    if (!a) {
        free(copy);
        return HBG_E_NOMEM;
    }
    a->ints = copy;
    a->n = count;
    return HBG_OK;
}

hbg_status hbg_edit_set_op(hbg_graph *g, hbg_node *n, const char *op_type, int n_in)
{
    if (n_in < 0 || n_in > n->n_in)
        return hbg_graph_fail(g, HBG_E_INVALID, "node '%s' (%s): cannot keep %d inputs of %d",
                              hbg_node_label(g, n), n->op_type, n_in, n->n_in);
    char *t = dup_str(op_type), *d = dup_str("");
    if (!t || !d) {
        free(t);
        free(d);
        return hbg_graph_fail(g, HBG_E_NOMEM, "node '%s': out of memory", hbg_node_label(g, n));
    }
    free(n->op_type);
    free(n->domain);
    n->op_type = t;
    n->domain = d;
    n->op = hbg_op_from_name(op_type);
    n->n_in = n_in;
    free(n->params); /* parsed for the old op */
    n->params = NULL;
    return HBG_OK;
}
