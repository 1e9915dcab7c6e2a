/* The contract between the executor and the float kernels.
 *
 * Each op has one hbg_op_impl: an infer function (prepare time: check attributes and input
 * shapes, set every output's dtype and shape, parse attributes into node->params, request
 * workspace in node->scratch) and a run function (run time: compute outputs from inputs; no
 * allocation, no validation beyond asserts). Kernel files export their entries through the group
 * arrays declared below; op_registry.c merges them into the table indexed by hbg_op.
 *
 * During infer, in[i]->data != NULL exactly when input i's value is known at prepare time
 * (initializers, Constant outputs, folded nodes); ops whose output shape depends on an
 * input's value (Reshape's shape, Slice's starts, ...) must fail with a message naming the node
 * when that value is not known at prepare time, through hbg_kneed_value() so the executor can
 * tell its caller which tensor it needed (hbg_exec_create_ex).
 */
#ifndef HBG_KERNEL_H
#define HBG_KERNEL_H

#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hbg_kctx {
    hbg_graph *g;
    hbg_node *node;
    hbg_tensor **in; /* node->n_in entries; NULL for an omitted optional input */
    hbg_tensor **out;
    int n_in, n_out;
    void *scratch;  /* node->scratch bytes, 64-byte aligned; NULL if none requested */
    int need_value; /* set by hbg_kneed_value: g->tensors index of a value infer needed, or -1 */
    /* Run time of an op flagged HBG_OPF_FUSE_CLAMP only: NULL, or {lo, hi} of a Relu/Clip that
     * the executor fused into this node. out[0] is then that node's output and every value v
     * written to it must be clamped exactly as Clip does, after the whole computation:
     * v < lo ? lo : v, then v > hi ? hi : v (NaN kept; lo may be -inf, hi +inf). */
    const float *clamp;
} hbg_kctx;

typedef hbg_status (*hbg_infer_fn)(hbg_kctx *k);
typedef hbg_status (*hbg_run_fn)(hbg_kctx *k);

enum {
    /* run() reads only the input shapes (Shape, Size): the node folds as soon as shapes are known
     */
    HBG_OPF_SHAPE_ONLY = 1u << 0,
    /* run() honours hbg_kctx.clamp (float32 output 0): a following Relu/Clip may be fused */
    HBG_OPF_FUSE_CLAMP = 1u << 1,
};

typedef struct hbg_op_impl {
    hbg_op op;
    hbg_infer_fn infer;
    hbg_run_fn run;
    unsigned flags;
} hbg_op_impl;

/* Group arrays, each terminated by an entry with op == HBG_OP_UNKNOWN. */
extern const hbg_op_impl hbg_ops_misc[];   /* kernels/misc.c: Constant, Identity, Cast, Shape... */
extern const hbg_op_impl hbg_ops_unary[];  /* kernels/unary.c */
extern const hbg_op_impl hbg_ops_binary[]; /* kernels/binary.c: broadcasting ops, Where */
extern const hbg_op_impl hbg_ops_conv[]; /* kernels/conv.c, gemm.c: Conv, ConvTranspose, Gemm... */
extern const hbg_op_impl hbg_ops_norm[]; /* kernels/norm.c: BatchNorm, InstanceNorm, LRN */
extern const hbg_op_impl hbg_ops_pool[]; /* kernels/pool.c */
extern const hbg_op_impl hbg_ops_movement[]; /* kernels/movement.c, resize.c: Concat ... Gather */
extern const hbg_op_impl hbg_ops_reduce[];   /* kernels/reduce.c: Softmax, Reduce*, Arg* */
extern const hbg_op_impl hbg_ops_quant[];    /* kernels/quant.c: QuantizeLinear, DequantizeLinear */

/* The implementation of op, or NULL when the registry has none. */
const hbg_op_impl *hbg_op_impl_get(hbg_op op);

/* Refuse because input i (what: "shape", "axes", ...) is not known at prepare time: records
 * "node 'label' (OpType): input i (what, 'name') must be known at prepare time (a constant)",
 * sets k->need_value to the input's tensor index and returns HBG_E_UNSUPPORTED. */
hbg_status hbg_kneed_value(hbg_kctx *k, int i, const char *what);

/* Record "node 'label' (OpType): <message>" in k->g->err and return st. */
hbg_status hbg_kfail(hbg_kctx *k, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif /* HBG_KERNEL_H */
