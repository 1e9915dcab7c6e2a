/* The model-output keys of makertbin: output_nodes, remove_node_type, remove_node_name, and the
 * per-layer outputs of layer_out_dump (docs/hb_mapper-config.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc_mapper.h"
#include "hbg/edit.h"

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

static int find_node(const hbg_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(hbg_node_label(g, &g->nodes[i]), name) == 0)
            return i;
    return -1;
}

hbg_status hbc_set_output_nodes(hbg_graph *g, const hbc_cfg_names *names, const hbc_logger *lg,
                                char *err, size_t errlen)
{
    hbg_status st;
    int removed = 0;
    for (int k = 0; k < names->n; k++) {
        if (find_node(g, names->v[k]) < 0) {
            fail(err, errlen, "output_nodes: there is no node named '%s' in the model",
                 names->v[k]);
            return HBG_E_INVALID;
        }
    }
    for (int i = 0; i < g->n_outputs; i++)
        g->tensors[g->outputs[i]]->is_output = 0;
    g->n_outputs = 0;
    for (int k = 0; k < names->n; k++) {
        const hbg_node *n = &g->nodes[find_node(g, names->v[k])];
        for (int o = 0; o < n->n_out; o++) {
            if (g->tensors[n->out[o]]->is_output)
                continue;
            if ((st = hbg_graph_add_output(g, n->out[o])) != HBG_OK)
                goto out;
            HBC_LOGI(lg, "output_nodes: model output %s (node %s)", g->tensors[n->out[o]]->name,
                     names->v[k]);
        }
    }
    if ((st = hbg_edit_remove_dead(g, &removed)) != HBG_OK ||
        (st = hbg_edit_drop_unused(g, NULL)) != HBG_OK)
        goto out;
    HBC_LOGI(lg, "output_nodes: %d output%s; %d node%s no output needs removed", g->n_outputs,
             g->n_outputs == 1 ? "" : "s", removed, removed == 1 ? "" : "s");
    return HBG_OK;
out:
    fail(err, errlen, "output_nodes: %s", g->err);
    return st;
}

hbg_status hbc_add_layer_outputs(hbg_graph *g, const unsigned char *on_bpu, int n_nodes, int *added)
{
    hbg_status st = HBG_OK;
    *added = 0;
    if (n_nodes != g->n_nodes)
        return hbg_graph_fail(g, HBG_E_INVALID, "layer_out_dump: placement of %d nodes for %d",
                              n_nodes, g->n_nodes);
    for (int i = 0; i < g->n_nodes && st == HBG_OK; i++) {
        if (!on_bpu[i])
            continue;
        for (int o = 0; o < g->nodes[i].n_out && st == HBG_OK; o++) {
            int t = g->nodes[i].out[o];
            if (t < 0 || g->tensors[t]->is_output)
                continue;
            if ((st = hbg_graph_add_output(g, t)) == HBG_OK)
                (*added)++;
        }
    }
    return st;
}

/* The one non-constant input tensor of node i, or -1 (none, or several). */
static int data_input(const hbg_graph *g, int i)
{
    const hbg_node *n = &g->nodes[i];
    int x = -1;
    for (int j = 0; j < n->n_in; j++) {
        if (n->in[j] < 0 || g->tensors[n->in[j]]->is_const)
            continue;
        if (x >= 0)
            return -1;
        x = n->in[j];
    }
    return x;
}

/* Node i is next to a model output and can go: one output, a graph output nobody reads; one
 * data input that is no graph input or output. */
static int removable(const hbg_graph *g, int i)
{
    const hbg_node *n = &g->nodes[i];
    int x = data_input(g, i);
    if (n->n_out != 1 || !g->tensors[n->out[0]]->is_output || hbg_edit_use_count(g, n->out[0]))
        return 0;
    return x >= 0 && !g->tensors[x]->is_input && !g->tensors[x]->is_output;
}

/* Reads node i a graph input? */
static int reads_input(const hbg_graph *g, int i)
{
    for (int j = 0; j < g->nodes[i].n_in; j++)
        if (g->nodes[i].in[j] >= 0 && g->tensors[g->nodes[i].in[j]]->is_input)
            return 1;
    return 0;
}

static hbg_status remove_at(hbg_graph *g, int i, const char *key, const hbc_logger *lg)
{
    int y = g->nodes[i].out[0], x = data_input(g, i);
    HBC_LOGI(lg, "%s: remove node %s (%s); model output %s becomes %s", key,
             hbg_node_label(g, &g->nodes[i]), g->nodes[i].op_type, g->tensors[y]->name,
             g->tensors[x]->name);
    for (int k = 0; k < g->n_outputs; k++)
        if (g->outputs[k] == y)
            g->outputs[k] = x;
    g->tensors[y]->is_output = 0;
    g->tensors[x]->is_output = 1;
    return hbg_edit_remove_node(g, i);
}

hbg_status hbc_remove_output_nodes(hbg_graph *g, const hbc_cfg_enums *types,
                                   const hbc_cfg_names *names, const hbc_logger *lg, char *err,
                                   size_t errlen)
{
    hbg_status st = HBG_OK;
    const char *key = "remove_node_type";
    for (int t = 0; t < types->n; t++) {
        const char *type = hbc_cfg_enum_name(HBC_ENUM_NODE_TYPE, types->v[t]);
        int count = 0;
        for (int i = 0; i < g->n_nodes;) {
            if (strcmp(g->nodes[i].op_type, type) != 0 || !removable(g, i)) {
                i++;
                continue;
            }
            if ((st = remove_at(g, i, key, lg)) != HBG_OK)
                goto out;
            count++;
            i = 0; /* the node before may now be next to the output */
        }
        if (!count)
            HBC_LOGI(lg, "remove_node_type: no %s node next to a model output", type);
        for (int i = 0; i < g->n_nodes; i++)
            if (strcmp(g->nodes[i].op_type, type) == 0 && reads_input(g, i))
                HBC_LOGW(lg,
                         "remove_node_type: node %s (%s) is next to a model input; removing "
                         "input-side nodes is not supported, it stays",
                         hbg_node_label(g, &g->nodes[i]), type);
    }
    key = "remove_node_name";
    for (int k = 0; k < names->n; k++) {
        int i = find_node(g, names->v[k]);
        if (i < 0) {
            fail(err, errlen, "remove_node_name: there is no node named '%s' in the model",
                 names->v[k]);
            return HBG_E_INVALID;
        }
        if (!removable(g, i)) {
            int in = reads_input(g, i);
            fail(err, errlen,
                 in ? "remove_node_name: node '%s' is next to a model input; removing "
                      "input-side nodes is not supported"
                    : "remove_node_name: node '%s' is not next to a model output (its only "
                      "output must be a model output nobody else reads, with one non-constant "
                      "input)",
                 names->v[k]);
            return in ? HBG_E_UNSUPPORTED : HBG_E_INVALID;
        }
        if ((st = remove_at(g, i, key, lg)) != HBG_OK)
            goto out;
    }
    return HBG_OK;
out:
    fail(err, errlen, "%s: %s", key, g->err);
    return st;
}
