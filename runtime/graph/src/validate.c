/* Graph validation and topological ordering. */
#include "hbg/kernel.h"

#include <stdlib.h>
#include <string.h>

/* Kahn's algorithm, stable: among ready nodes the one earliest in file order goes first, so a
 * graph already in order is left untouched. O(nodes * edges) worst case is avoided by keeping a
 * ready flag scan per pass over a min-index cursor; graphs here have at most a few thousand nodes.
 */
static hbg_status topo_sort(hbg_graph *g)
{
    hbg_status st = HBG_E_NOMEM;
    int nn = g->n_nodes, nt = g->n_tensors;
    int *prod = malloc((size_t)(nt ? nt : 1) * sizeof *prod);
    int *pending = calloc((size_t)(nn ? nn : 1), sizeof *pending);
    int *order = malloc((size_t)(nn ? nn : 1) * sizeof *order);
    char *done = calloc((size_t)(nn ? nn : 1), 1);
    char *known = calloc((size_t)(nt ? nt : 1), 1);
    hbg_node *sorted = NULL;
    if (!prod || !pending || !order || !done || !known) {
        hbg_graph_fail(g, st, "out of memory");
        goto out;
    }
    for (int t = 0; t < nt; t++) {
        prod[t] = -1;
        known[t] = (char)(g->tensors[t]->is_const || g->tensors[t]->is_input);
    }
    st = HBG_E_INVALID;
    for (int i = 0; i < nn; i++) {
        const hbg_node *n = &g->nodes[i];
        for (int o = 0; o < n->n_out; o++) {
            int t = n->out[o];
            if (prod[t] >= 0 || g->tensors[t]->is_const || g->tensors[t]->is_input) {
                hbg_graph_fail(g, st, "node '%s' (%s): output '%s' is already %s",
                               hbg_node_label(g, n), n->op_type, g->tensors[t]->name,
                               prod[t] >= 0 ? "produced by another node"
                                            : "a graph input or initializer");
                goto out;
            }
            prod[t] = i;
        }
    }
    for (int i = 0; i < nn; i++) {
        const hbg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            int t = n->in[k];
            if (t < 0 || known[t])
                continue;
            if (prod[t] < 0) {
                hbg_graph_fail(g, st,
                               "node '%s' (%s): input '%s' is neither a graph input, an "
                               "initializer nor the output of a node",
                               hbg_node_label(g, n), n->op_type, g->tensors[t]->name);
                goto out;
            }
            pending[i]++;
        }
    }
    int n_done = 0;
    while (n_done < nn) {
        int progressed = 0;
        for (int i = 0; i < nn; i++) {
            if (done[i] || pending[i])
                continue;
            done[i] = 1;
            order[n_done++] = i;
            progressed = 1;
            const hbg_node *n = &g->nodes[i];
            for (int o = 0; o < n->n_out; o++) {
                int t = n->out[o];
                for (int j = 0; j < nn; j++) {
                    if (done[j])
                        continue;
                    for (int k = 0; k < g->nodes[j].n_in; k++)
                        if (g->nodes[j].in[k] == t)
                            pending[j]--;
                }
            }
            break; /* restart from the lowest index: keeps file order stable */
        }
        if (!progressed) {
            for (int i = 0; i < nn; i++)
                if (!done[i]) {
                    hbg_graph_fail(g, st, "node '%s' (%s): part of a cycle",
                                   hbg_node_label(g, &g->nodes[i]), g->nodes[i].op_type);
                    break;
                }
            goto out;
        }
    }
    st = HBG_E_NOMEM;
    sorted = malloc((size_t)(nn ? nn : 1) * sizeof *sorted);
    if (!sorted) {
        hbg_graph_fail(g, st, "out of memory");
        goto out;
    }
    for (int i = 0; i < nn; i++)
        sorted[i] = g->nodes[order[i]];
    if (nn) /* g->nodes may be NULL for an empty graph */
        memcpy(g->nodes, sorted, (size_t)nn * sizeof *sorted);
    for (int t = 0; t < nt; t++)
        g->tensors[t]->producer = -1;
    for (int i = 0; i < nn; i++)
        for (int o = 0; o < g->nodes[i].n_out; o++)
            g->tensors[g->nodes[i].out[o]]->producer = i;
    st = HBG_OK;
out:
    free(sorted);
    free(prod);
    free(pending);
    free(order);
    free(done);
    free(known);
    return st;
}

hbg_status hbg_graph_validate(hbg_graph *g, int require_known)
{
    hbg_status st = topo_sort(g);
    if (st != HBG_OK)
        return st;
    for (int i = 0; i < g->n_outputs; i++) {
        const hbg_tensor *t = g->tensors[g->outputs[i]];
        if (t->producer < 0 && !t->is_const && !t->is_input)
            return hbg_graph_fail(g, HBG_E_INVALID, "graph output '%s' is never produced", t->name);
    }
    if (!require_known)
        return HBG_OK;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        if (n->op == HBG_OP_UNKNOWN || !hbg_op_impl_get(n->op))
            return hbg_graph_fail(
                g, HBG_E_UNSUPPORTED, "node '%s': op type '%s'%s%s is not supported",
                hbg_node_label(g, n), n->op_type, n->domain[0] ? " of domain " : "", n->domain);
    }
    return HBG_OK;
}
