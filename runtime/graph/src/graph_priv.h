/* Internals of the graph core shared by its source files (not installed, not public). */
#ifndef HBG_GRAPH_PRIV_H
#define HBG_GRAPH_PRIV_H

#include "hbg/graph.h"

/* Release what an attribute owns (name, strings, arrays, tensor); the struct itself stays. */
void hbg_attr_clear(hbg_attr *a);

/* Release everything a node owns (strings, index arrays, attributes, params); the node struct
 * itself stays (it lives in g->nodes). */
void hbg_node_clear(hbg_node *n);

#endif /* HBG_GRAPH_PRIV_H */
