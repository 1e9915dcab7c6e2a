/* hbg edit: rewriting a graph in place (the graph.h API only adds).
 *
 * Used by the converter's passes. Node indices shift when nodes are removed or moved; tensor
 * indices shift only in hbg_edit_drop_unused(). Functions that change the node list keep each
 * tensor's `producer` field up to date, so a pass may keep editing without revalidating.
 * Graph input and output names never change: a rewrite that would rename one is refused.
 * Errors: an hbg_status; the message (naming the node or tensor) is in g->err.
 */
#ifndef HBG_EDIT_H
#define HBG_EDIT_H

#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of node input slots reading tensor t (a node reading t twice counts twice). Graph
 * outputs are not counted; test g->tensors[t]->is_output for them. */
int hbg_edit_use_count(const hbg_graph *g, int t);

/* Index of the first node at or after node index `from` reading tensor t, or -1. */
int hbg_edit_next_consumer(const hbg_graph *g, int t, int from);

/* Make every node input reading tensor `from` read tensor `to` instead. Graph outputs are left
 * alone. Returns the number of input slots changed. */
int hbg_edit_replace_uses(hbg_graph *g, int from, int to);

/* Remove node i (its strings, attributes and params are freed; its output tensors stay, without a
 * producer). Nodes after i move down by one. */
hbg_status hbg_edit_remove_node(hbg_graph *g, int i);

/* Remove every node i with drop[i] != 0 (drop has g->n_nodes entries), keeping the order of the
 * others. Returns the number removed through *n_removed (may be NULL). */
hbg_status hbg_edit_remove_nodes(hbg_graph *g, const unsigned char *drop, int *n_removed);

/* Move node `from` to index `to` (0 <= to < n_nodes); the nodes between shift by one. The caller
 * keeps the order topological. */
hbg_status hbg_edit_move_node(hbg_graph *g, int from, int to);

/* hbg_graph_add_node() followed by a move to index pos (0..n_nodes). *out_node (may be NULL)
 * points at the new node, valid until the next node edit. */
hbg_status hbg_edit_insert_node(hbg_graph *g, int pos, const char *op_type, const char *name,
                                int n_in, const char *const *in_names, int n_out,
                                const char *const *out_names, hbg_node **out_node);

/* Remove node i whose output 0 equals its input `slot` (an Identity, a no-op Reshape...), so that
 * readers of the output read the input. The output's name survives when the input is the
 * single-use intermediate output of another node (that node then writes the output tensor
 * directly); otherwise the readers are rerouted to the input. Refused with HBG_E_UNSUPPORTED
 * (graph untouched) when node i has more than one output that is read, or when its output is a
 * graph output whose name could only survive by renaming a graph input, an initializer or a
 * tensor read elsewhere. */
hbg_status hbg_edit_bypass(hbg_graph *g, int i, int slot);

/* Remove nodes none of whose outputs is read by a node or listed as a graph output, repeatedly
 * (a chain feeding only dead nodes goes too). *n_removed may be NULL. */
hbg_status hbg_edit_remove_dead(hbg_graph *g, int *n_removed);

/* Drop tensors that no node reads or writes and that are neither graph inputs nor outputs
 * (unused initializers included), renumbering the others. *n_dropped may be NULL. */
hbg_status hbg_edit_drop_unused(hbg_graph *g, int *n_dropped);

/* Write into buf (size bytes) a tensor name not yet in the graph: base, else base_1, base_2...
 * Fails with HBG_E_INVALID when even the base does not fit. */
hbg_status hbg_edit_unique_name(const hbg_graph *g, const char *base, char *buf, size_t size);

/* A new initializer named after base (made unique), with a copy of data; its index in *idx. */
hbg_status hbg_edit_new_const(hbg_graph *g, const char *base, hbg_dtype dt, int rank,
                              const int64_t *dims, const void *data, size_t nbytes, int *idx);

/* Remove attribute `name` from node n if present. Returns 1 if removed, 0 if absent. */
int hbg_edit_remove_attr(hbg_node *n, const char *name);

/* Set (replace or add) attributes of node n. */
hbg_status hbg_edit_set_attr_int(hbg_graph *g, hbg_node *n, const char *name, int64_t v);
hbg_status hbg_edit_set_attr_float(hbg_graph *g, hbg_node *n, const char *name, float v);
hbg_status hbg_edit_set_attr_ints(hbg_graph *g, hbg_node *n, const char *name, const int64_t *v,
                                  size_t count);

/* Change node n's op type (string and id) in the default domain; inputs beyond n_in are dropped
 * (n_in <= current count). Attributes are kept; the caller removes those the new op lacks. */
hbg_status hbg_edit_set_op(hbg_graph *g, hbg_node *n, const char *op_type, int n_in);

#ifdef __cplusplus
}
#endif
#endif /* HBG_EDIT_H */
