/* hbc_passes: graph optimisation passes that turn the original float model into the optimized
 * float model (*_optimized_float_model.onnx). Every pass leaves the graph's outputs unchanged
 * (float executor before vs after, tolerance 1e-5) and keeps graph input/output names.
 *
 * Errors: HBG_E_* status; the message (naming the node) is in g->err.
 */
#ifndef HBC_PASSES_H
#define HBC_PASSES_H

#include "hbc/log.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pass ids, in the order hbc_optimize runs them. */
typedef enum hbc_pass {
    HBC_PASS_FOLD_CONSTANTS,  /* nodes whose inputs are all constant, shape arithmetic chains */
    HBC_PASS_REMOVE_NOOPS,    /* Identity, Dropout, no-op Reshape/Cast/Transpose */
    HBC_PASS_FOLD_BN,         /* BatchNormalization / Mul+Add by constants into Conv/Gemm */
    HBC_PASS_GEMM_TO_CONV,    /* Gemm/MatMul with constant weights on NCHW data -> 1x1 Conv */
    HBC_PASS_FUSE_ACT,        /* Relu/Clip into the producing Conv/Gemm */
    HBC_PASS_CHANNEL_SHUFFLE, /* ShuffleNet shuffles -> channel-step Slices or a channel Gather */
    HBC_PASS_COUNT
} hbc_pass;

/* Name of a pass ("fold_constants", ...), or "?" */
const char *hbc_pass_name(hbc_pass p);

typedef struct hbc_optimize_opts {
    unsigned disabled; /* bit (1u << hbc_pass) set: skip that pass */
} hbc_optimize_opts;

/* Run one pass in place. The graph is validated and its shapes inferred first (graph inputs need
 * fixed shapes, every op must be known to the float executor); afterwards dead nodes and unused
 * tensors are dropped and the graph is validated again. Logs at DEBUG what changed. *n_changed
 * (may be NULL) receives the number of rewrites (0: the graph's nodes are as before). */
hbg_status hbc_pass_run(hbg_graph *g, hbc_pass p, const hbc_logger *lg, int *n_changed);

/* Run every enabled pass in order until nothing changes (at most a few rounds). opts may be NULL
 * (all passes). Logs at INFO one summary line (nodes before -> after). On error (message in
 * g->err) the graph may be partly rewritten: discard it. */
hbg_status hbc_optimize(hbg_graph *g, const hbc_optimize_opts *opts, const hbc_logger *lg);

/* The activation fused into node i (a Conv or Gemm), or -1. A fused activation stays a separate
 * standard ONNX node (so the optimized model runs anywhere); the pair is fused when: node i's
 * output 0 is read by exactly one node input and is not a graph output, and that reader is a
 * Relu, or a Clip whose bounds are constants (initializers or attributes). After
 * HBC_PASS_FUSE_ACT the activation is also the node right after i. Later stages (placement,
 * quantisation) treat the pair as one operation with the activation folded into the output
 * clamp. See docs/passes.md. */
int hbc_fused_act(const hbg_graph *g, int i);

#ifdef __cplusplus
}
#endif
#endif /* HBC_PASSES_H */
