/* Private to converter/passes: the pass entry points and the helpers they share. */
#ifndef HBC_PASSES_PRIV_H
#define HBC_PASSES_PRIV_H

#include "hbc/log.h"
#include "hbc/passes.h"
#include "hbg/edit.h"
#include "hbg/graph.h"

/* One pass: rewrite g in place, count the rewrites it made in *changed (0: graph untouched).
 * Shapes and dtypes of every tensor are inferred (hbc_pass_infer) before a pass runs. */
typedef hbg_status (*hbc_pass_fn)(hbg_graph *g, const hbc_logger *lg, int *changed);

hbg_status hbc_pass_fold_constants(hbg_graph *g, const hbc_logger *lg, int *changed);
hbg_status hbc_pass_remove_noops(hbg_graph *g, const hbc_logger *lg, int *changed);
hbg_status hbc_pass_fold_bn(hbg_graph *g, const hbc_logger *lg, int *changed);
hbg_status hbc_pass_gemm_to_conv(hbg_graph *g, const hbc_logger *lg, int *changed);
hbg_status hbc_pass_fuse_act(hbg_graph *g, const hbc_logger *lg, int *changed);
hbg_status hbc_pass_channel_shuffle(hbg_graph *g, const hbc_logger *lg, int *changed);

/* Validate g (known ops required) and infer every tensor's dtype and shape with the float
 * executor's prepare step. Graph inputs need fixed shapes. */
hbg_status hbc_pass_infer(hbg_graph *g);

/* Float data of tensor t when it is an float32 initializer, else NULL. */
const float *hbc_const_f32(const hbg_graph *g, int t);

/* 1 when tensor t is a float32 initializer read by exactly one node input slot and not a graph
 * input/output: a pass may rewrite its data in place. */
int hbc_const_exclusive(const hbg_graph *g, int t);

/* 1 when tensor t is an intermediate (not graph input/output/initializer) produced by a node and
 * read by exactly one node input slot. */
int hbc_single_use(const hbg_graph *g, int t);

/* 1 when Gemm bias input t (float32 initializer) is per output column for K columns: numel 1, or
 * K values shaped [K] or [1, K] (a [K, 1] bias would vary along the rows). */
int hbc_gemm_bias_per_column(const hbg_graph *g, int t, int64_t k);

/* 1 when node n belongs to hb_mapper's preprocess stage (named "HZ_PREPROCESS_FOR_<input>...",
 * docs/preprocess-node.md): its weights encode the config's colour conversion and mean/scale and
 * must stay as the mapper wrote them, so no pass folds anything into it. */
int hbc_node_reserved(const hbg_node *n);

/* 1 when both tensors have known, equal shapes (rank and every dim). */
int hbc_same_shape(const hbg_tensor *a, const hbg_tensor *b);

#endif /* HBC_PASSES_PRIV_H */
