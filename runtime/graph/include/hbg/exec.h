/* The float executor: runs an hbg_graph with the reference/SIMD float kernels.
 *
 * Lifecycle: hbg_exec_create() prepares (shape inference in topological order, constant folding of
 * every node whose inputs are all known, one buffer per remaining tensor, one shared workspace);
 * then the caller fills the input buffers and calls hbg_exec_run() any number of times (no
 * allocation); hbg_exec_free() releases the buffers and resets the graph's data pointers.
 *
 * While an executor exists it owns the data pointers of the graph's non-constant tensors:
 * g->tensors[g->inputs[i]]->data is where input i is written, g->tensors[g->outputs[i]]->data
 * where output i is read. The graph must outlive the executor and must not be edited meanwhile.
 * Graph inputs need a known dtype and a fully known shape before hbg_exec_create().
 */
#ifndef HBG_EXEC_H
#define HBG_EXEC_H

#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hbg_exec hbg_exec;

/* Prepare g for running. The graph is validated (hbg_graph_validate with require_known) first.
 * Errors are in g->err and name the node or tensor. */
hbg_status hbg_exec_create(hbg_graph *g, hbg_exec **out);

/* hbg_exec_create that also says why an HBG_E_UNSUPPORTED failure happened: when an op needed the
 * value of a tensor that is only known at run time (Reshape's shape fed by a graph input, ...),
 * *need_value is that tensor's index in g->tensors, else -1. A caller that knows the value (a
 * test harness) may make the graph inputs it depends on constants and prepare again. */
hbg_status hbg_exec_create_ex(hbg_graph *g, hbg_exec **out, int *need_value);

/* Run every non-folded node once. Errors (only from kernels that check data, e.g. Gather indices
 * out of range) are in g->err. */
hbg_status hbg_exec_run(hbg_exec *e);

/* Fusion (off by default): with on != 0, later runs execute a Conv or Gemm whose only reader is a
 * Relu or Clip with bounds known at prepare time as one node, writing the clamped values straight
 * into the Relu/Clip's output (results are identical). The Conv/Gemm's own output tensor is then
 * not written: callers that read intermediate tensors (calibration, per-layer reports) must leave
 * fusion off. */
void hbg_exec_set_fusion(hbg_exec *e, int on);

/* Release buffers; restores the graph's non-constant tensors to data == NULL. NULL is a no-op. */
void hbg_exec_free(hbg_exec *e);

/* Per-node timing of the last run in nanoseconds (host wall time), indexed like g->nodes; NULL
 * unless profiling was switched on with hbg_exec_set_profile(e, 1). Borrowed. */
void hbg_exec_set_profile(hbg_exec *e, int on);
const uint64_t *hbg_exec_node_ns(const hbg_exec *e);

#ifdef __cplusplus
}
#endif
#endif /* HBG_EXEC_H */
