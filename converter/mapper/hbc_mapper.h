/* hbc_mapper: the graph stages of hb_mapper between loading a float model and calibrating it.
 *
 * - Preprocess node (docs/preprocess-node.md): for every image input of a makertbin config, the
 *   graph input becomes the *_128 intermediate type (value - 128, float32, same shape and layout)
 *   and a node HZ_PREPROCESS_FOR_<input> made of standard ONNX ops converts it to the training
 *   colour and applies mean/scale, so the float artifacts run in any ONNX runtime.
 * - Placement (docs/placement.md): which nodes run on the BPU of a march (one op-support table,
 *   indexed by op, with the limits of each march), overrides from run_on_cpu / run_on_bpu /
 *   node_info, and the BPU subgraphs (convex regions of BPU nodes, numbered id(0), id(1), ...).
 *
 * Errors: HBG_E_* status and a message in err (always NUL-terminated when errlen > 0) naming the
 * input, node or key. Nothing here prints; DEBUG detail goes to the logger.
 */
#ifndef HBC_MAPPER_H
#define HBC_MAPPER_H

#include <stddef.h>

#include "bpu/march.h"
#include "hbc/config.h"
#include "hbc/log.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- preprocess node ---------------------------------------------------------------------- */

/* The affine map of a preprocess node: out[c] = sum_j w[c][j] * x[j] + b[c] for the c-th channel
 * of the training input, x = intermediate value - 128 (channel order of the intermediate type).
 * channels is 3, or 1 for gray. */
typedef struct hbc_pre_affine {
    int channels;
    double w[3][3];
    double b[3];
} hbc_pre_affine;

/* The map for one input of the config (docs/preprocess-node.md). HBG_E_INVALID for a featuremap
 * input, a type pair the reference does not allow, or mean/scale counts other than 1 or
 * channels. */
hbg_status hbc_pre_affine_of(const hbc_cfg_input *in, hbc_pre_affine *out, char *err,
                             size_t errlen);

/* Name of the intermediate type of input_type_rt rt: "yuv444_128", "rgb_128", "bgr_128",
 * "gray_128", or "featuremap". */
const char *hbc_pre_intermediate_name(hbc_input_type rt);

/* Insert the preprocess node for graph input number input (index into g->inputs) as described by
 * in (an image input). The input's shape must be known and 4-D with C = in's channel count on the
 * axis input_layout_train gives (H and W even for nv12). The graph input keeps its name; its
 * consumers read "HZ_PREPROCESS_FOR_<name>_output" instead. NCHW: one Conv 1x1 node named
 * HZ_PREPROCESS_FOR_<name>; NHWC: MatMul HZ_PREPROCESS_FOR_<name> then Add
 * HZ_PREPROCESS_FOR_<name>_bias. */
hbg_status hbc_pre_insert(hbg_graph *g, int input, const hbc_cfg_input *in, char *err,
                          size_t errlen);

/* ---- model outputs (output_nodes, remove_node_type, remove_node_name) ---------------------- */

/* output_nodes: the outputs of the named nodes (named as in the node table), in order, become
 * the graph's outputs, replacing the model's; nodes and tensors nothing reads any more are
 * removed. HBG_E_INVALID for a name that is no node. */
hbg_status hbc_set_output_nodes(hbg_graph *g, const hbc_cfg_names *names, const hbc_logger *lg,
                                char *err, size_t errlen);

/* remove_node_type / remove_node_name: remove nodes next to a model output (the node's only
 * output is a graph output nobody reads, and it has one non-constant input, which then becomes
 * that graph output). Types are taken in order, each removed repeatedly while a node of it is
 * next to an output; then the names in order. A type with no such node is logged; a named node
 * that is not next to an output is an error (HBG_E_INVALID), one next to a model input is
 * refused (HBG_E_UNSUPPORTED: removing input-side nodes is not supported). Shapes must have
 * been inferred. */
hbg_status hbc_remove_output_nodes(hbg_graph *g, const hbc_cfg_enums *types,
                                   const hbc_cfg_names *names, const hbc_logger *lg, char *err,
                                   size_t errlen);

/* layer_out_dump: append the outputs of every node with on_bpu[node] != 0 (n_nodes entries, the
 * compiler's placement) that are not graph outputs yet to the graph outputs, in node
 * (topological) order after the existing ones. *added: how many. Errors in g->err. */
hbg_status hbc_add_layer_outputs(hbg_graph *g, const unsigned char *on_bpu, int n_nodes,
                                 int *added);

/* ---- placement ---------------------------------------------------------------------------- */

/* A user's placement request for one node (run_on_cpu, run_on_bpu, node_info ON). */
typedef struct hbc_place_request {
    const char *node; /* node name as in the model */
    hbc_node_on on;   /* HBC_ON_BPU or HBC_ON_CPU */
    const char *key;  /* the config key that asked, for messages ("run_on_cpu", ...) */
} hbc_place_request;

#define HBC_PLACE_WHY 128 /* bytes of a reason text */

typedef struct hbc_placement {
    int n_nodes;        /* = g->n_nodes at placement time; arrays are indexed like g->nodes */
    unsigned char *bpu; /* 1: the node runs on the BPU */
    int *subgraph;      /* BPU subgraph id (0, 1, ...), -1 for CPU nodes */
    char (*why)[HBC_PLACE_WHY]; /* why the node is where it is ("Conv: kernel 9x9 > 7x7", ...) */
    int n_subgraphs;
} hbc_placement;

/* Whether the BPU of march can run node n of g with its current shapes (the shapes must have
 * been inferred). Returns 1 (BPU), or 0 with the reason in why (CPU). requested: 1 when the user
 * asked for the BPU by name, which also admits the ops a march runs on the BPU only on request
 * (docs/placement.md). */
int hbc_place_bpu_ok(const hbg_graph *g, const hbg_node *n, bpu_march_id march, int requested,
                     char *why, size_t whylen);

/* Place every node of g (shapes inferred) for march, apply the requests (a later request for the
 * same node wins; node_info should come last), and number the BPU subgraphs. HBG_E_INVALID when
 * a request names no node of g, HBG_E_UNSUPPORTED when run_on_bpu / node_info asks for the BPU
 * for a node it cannot run. On success *out holds the arrays (release with
 * hbc_placement_free). */
hbg_status hbc_place(const hbg_graph *g, bpu_march_id march, const hbc_place_request *req,
                     int n_req, hbc_placement *out, char *err, size_t errlen);

/* Release the arrays of p (p itself is the caller's); NULL or a zeroed p is a no-op. */
void hbc_placement_free(hbc_placement *p);

/* The node table of the reference's checker (interface notes 3.3): a line of '=', the header
 * "Node ON Subgraph Type", a line of '-', then one row per node in graph order, left-aligned
 * columns padded with two spaces, node names longer than 40 characters cut on the left with
 * "...". Returns a malloc'ed text without a trailing newline (free it), or NULL on no memory. */
char *hbc_place_table(const hbg_graph *g, const hbc_placement *p);

#ifdef __cplusplus
}
#endif
#endif /* HBC_MAPPER_H */
