/* Models of default-domain opset 1..6: which nodes the loader accepts.
 *
 * The kernels, passes and the mapper implement the operator versions in force from opset 7 on.
 * A node of an older model is accepted only where it means the same as in opset 7:
 * - its op's version in that opset is the one opset 7 uses (same schema), or
 * - an older version whose semantics coincide with opset 7's under a check made here:
 *   BatchNormalization-6 and Dropout-6 with is_test = 1 (inference); Gemm-6 (C broadcast only
 *   with broadcast = 1; the kernel checks that C is M x N otherwise, as opset 6 requires);
 *   Add/Sub/Mul/Div-6, Pow-1 and the comparisons/logic ops of version 1 (B broadcast to A only
 *   with broadcast = 1, aligned at `axis`: the same as numpy broadcasting when axis is absent or
 *   equals rank(A) - rank(B); otherwise a constant B read only there is given trailing 1s so that
 *   it is); PRelu-6 (a slope of C values per channel: a constant slope read only there is
 *   reshaped to [C, 1, ..., 1]).
 * Everything else is refused as unsupported, naming the op; docs/conformance.md lists the rules.
 * Versions were read from ONNX 1.12's operator schemas (onnx.defs.get_schema(op, opset)).
 */
#include "onnx_priv.h"

#include <string.h>

typedef enum legacy_rule {
    LR_SAME,      /* the version opset 7 uses: identical schema */
    LR_BROADCAST, /* legacy broadcast/axis attributes (Add-6, Pow-1, Equal-1, ...) */
    LR_GEMM,      /* Gemm-6: broadcast attribute, checked by the kernel */
    LR_PRELU,     /* PRelu-6: a slope of C values is per channel */
    LR_IS_TEST,   /* an older version with is_test; identical to opset 7's when is_test != 0 */
} legacy_rule;

typedef struct legacy_op {
    const char *name;
    int since; /* accepted from this opset on; older opsets have a version with other semantics */
    legacy_rule rule;
} legacy_op;

/* Every op of the hbg registry that exists in opset 6 (Sin, Cos appear at 7). since = the opset
 * that introduced the version accepted. AveragePool-1 is LR_SAME: its text already says the average
 * excludes the padding, which is AveragePool-7's default (count_include_pad = 0). */
static const legacy_op legacy_ops[] = {
    {"Abs", 6, LR_SAME},
    {"Add", 6, LR_BROADCAST},
    {"And", 1, LR_BROADCAST},
    {"ArgMax", 1, LR_SAME},
    {"ArgMin", 1, LR_SAME},
    {"AveragePool", 1, LR_SAME},
    {"BatchNormalization", 6, LR_IS_TEST},
    {"Cast", 6, LR_SAME},
    {"Ceil", 6, LR_SAME},
    {"Clip", 6, LR_SAME},
    {"Concat", 4, LR_SAME},
    {"Constant", 1, LR_SAME},
    {"Conv", 1, LR_SAME},
    {"ConvTranspose", 1, LR_SAME},
    {"DepthToSpace", 1, LR_SAME},
    {"Div", 6, LR_BROADCAST},
    {"Dropout", 6, LR_IS_TEST},
    {"Elu", 6, LR_SAME},
    {"Equal", 1, LR_BROADCAST},
    {"Exp", 6, LR_SAME},
    {"Flatten", 1, LR_SAME},
    {"Floor", 6, LR_SAME},
    {"Gather", 1, LR_SAME},
    {"Gemm", 6, LR_GEMM},
    {"GlobalAveragePool", 1, LR_SAME},
    {"GlobalMaxPool", 1, LR_SAME},
    {"Greater", 1, LR_BROADCAST},
    {"HardSigmoid", 6, LR_SAME},
    {"Identity", 1, LR_SAME},
    {"InstanceNormalization", 6, LR_SAME},
    {"LRN", 1, LR_SAME},
    {"LeakyRelu", 6, LR_SAME},
    {"Less", 1, LR_BROADCAST},
    {"Log", 6, LR_SAME},
    {"LogSoftmax", 1, LR_SAME},
    {"MatMul", 1, LR_SAME},
    {"Max", 6, LR_SAME},
    {"MaxPool", 1, LR_SAME},
    {"Mean", 6, LR_SAME},
    {"Min", 6, LR_SAME},
    {"Mul", 6, LR_BROADCAST},
    {"Neg", 6, LR_SAME},
    {"Not", 1, LR_SAME},
    {"Or", 1, LR_BROADCAST},
    {"PRelu", 6, LR_PRELU},
    {"Pad", 2, LR_SAME},
    {"Pow", 1, LR_BROADCAST},
    {"Reciprocal", 6, LR_SAME},
    {"ReduceL1", 1, LR_SAME},
    {"ReduceL2", 1, LR_SAME},
    {"ReduceLogSumExp", 1, LR_SAME},
    {"ReduceMax", 1, LR_SAME},
    {"ReduceMean", 1, LR_SAME},
    {"ReduceMin", 1, LR_SAME},
    {"ReduceProd", 1, LR_SAME},
    {"ReduceSum", 1, LR_SAME},
    {"ReduceSumSquare", 1, LR_SAME},
    {"Relu", 6, LR_SAME},
    {"Reshape", 5, LR_SAME},
    {"Selu", 6, LR_SAME},
    {"Shape", 1, LR_SAME},
    {"Sigmoid", 6, LR_SAME},
    {"Size", 1, LR_SAME},
    {"Slice", 1, LR_SAME},
    {"Softmax", 1, LR_SAME},
    {"Softplus", 1, LR_SAME},
    {"Softsign", 1, LR_SAME},
    {"SpaceToDepth", 1, LR_SAME},
    {"Split", 2, LR_SAME},
    {"Sqrt", 6, LR_SAME},
    {"Squeeze", 1, LR_SAME},
    {"Sub", 6, LR_BROADCAST},
    {"Sum", 6, LR_SAME},
    {"Tanh", 6, LR_SAME},
    {"Tile", 6, LR_SAME},
    {"Transpose", 1, LR_SAME},
    {"Unsqueeze", 1, LR_SAME},
    {"Upsample", 7, LR_SAME}, /* Upsample-1 (height_scale/width_scale attributes) differs */
    {"Xor", 1, LR_BROADCAST},
};

static int64_t attr_int(const Onnx__NodeProto *np, const char *name, int64_t dflt, int *present)
{
    *present = 0;
    for (size_t i = 0; i < np->n_attribute; i++)
        if (np->attribute[i]->name && strcmp(np->attribute[i]->name, name) == 0) {
            *present = 1;
            return np->attribute[i]->i;
        }
    return dflt;
}

/* Input k of np as a tensor of g whose shape is known when loading (a graph input with a shape,
 * an initializer), else NULL. */
static hbg_tensor *shaped_input(hbg_graph *g, const Onnx__NodeProto *np, size_t k)
{
    int t = k < np->n_input && np->input[k] && *np->input[k]
                ? hbg_graph_find_tensor(g, np->input[k])
                : -1;
    if (t < 0 || g->tensors[t]->rank < 0)
        return NULL;
    for (int d = 0; d < g->tensors[t]->rank; d++)
        if (g->tensors[t]->dims[d] < 0)
            return NULL;
    return g->tensors[t];
}

/* 1 when t is an initializer that no node of gp but np reads (so reshaping it changes nothing
 * else). */
static int private_const(const Onnx__GraphProto *gp, const Onnx__NodeProto *np, const hbg_tensor *t)
{
    if (!t->is_const)
        return 0;
    for (size_t i = 0; i < gp->n_output; i++)
        if (gp->output[i]->name && strcmp(gp->output[i]->name, t->name) == 0)
            return 0;
    for (size_t i = 0; i < gp->n_node; i++) {
        if (gp->node[i] == np)
            continue;
        for (size_t j = 0; j < gp->node[i]->n_input; j++)
            if (gp->node[i]->input[j] && strcmp(gp->node[i]->input[j], t->name) == 0)
                return 0;
    }
    return 1;
}

/* Reshape initializer t to rank r: its dims followed by 1s (same data). */
static void pad_trailing_ones(hbg_tensor *t, int r)
{
    for (int d = t->rank; d < r; d++)
        t->dims[d] = 1;
    t->rank = r;
}

/* Add-6 & co: broadcast = 1 with axis = rank(A) - rank(B), or without axis, is numpy's
 * broadcasting for every valid model; another axis is made so by padding a private constant B. */
static hbg_status check_broadcast(hbg_graph *g, const Onnx__GraphProto *gp,
                                  const Onnx__NodeProto *np, const legacy_op *e, char *why,
                                  size_t n)
{
    int present, has_axis;
    int64_t bc = attr_int(np, "broadcast", 0, &present);
    int64_t axis = attr_int(np, "axis", 0, &has_axis);
    if (!bc || !has_axis)
        return HBG_OK;
    hbg_tensor *a = shaped_input(g, np, 0), *b = shaped_input(g, np, 1);
    if (a && b && axis == a->rank - b->rank)
        return HBG_OK;
    if (a && b && axis >= 0 && axis < a->rank - b->rank && private_const(gp, np, b)) {
        pad_trailing_ones(b, a->rank - (int)axis);
        return HBG_OK;
    }
    return hbc_onnx_fail(why, n, HBG_E_UNSUPPORTED,
                         "%s-%d with broadcast = 1 and axis = %lld: aligning B at that axis "
                         "differs from opset 7's broadcasting and B is not a constant of known "
                         "shape read only here; not supported",
                         e->name, e->since, (long long)axis);
}

/* PRelu-6: one slope value, a slope shaped like the input, or an input of rank <= 2, mean the
 * same as in opset 7; a C-value slope over N x C x ... is per channel, which a private constant
 * slope reshaped to [C, 1, ..., 1] expresses. */
static hbg_status check_prelu(hbg_graph *g, const Onnx__GraphProto *gp, const Onnx__NodeProto *np,
                              char *why, size_t n)
{
    hbg_tensor *x = shaped_input(g, np, 0), *s = shaped_input(g, np, 1);
    if (s && hbg_tensor_numel(s) == 1)
        return HBG_OK;
    if (x && s && s->rank == 1 && x->rank <= 2)
        return HBG_OK;
    if (x && s && s->rank == x->rank &&
        memcmp(s->dims, x->dims, (size_t)s->rank * sizeof s->dims[0]) == 0)
        return HBG_OK;
    if (x && s && s->rank == 1 && x->rank > 2 && s->dims[0] == x->dims[1] &&
        private_const(gp, np, s)) {
        pad_trailing_ones(s, x->rank - 1);
        return HBG_OK;
    }
    return hbc_onnx_fail(why, n, HBG_E_UNSUPPORTED,
                         "PRelu-6 with a slope of several values: per channel in opset 6, "
                         "broadcast from the last dimension in opset 7; supported only for a "
                         "constant slope of C values, read only here, with the input's shape "
                         "known when loading");
}

hbg_status hbc_onnx_legacy_check(hbg_graph *g, const Onnx__GraphProto *gp, int64_t opset,
                                 const Onnx__NodeProto *np, char *why, size_t n)
{
    const char *op = np->op_type;
    const legacy_op *e = NULL;
    int present;
    for (size_t i = 0; i < sizeof legacy_ops / sizeof legacy_ops[0] && !e; i++)
        if (strcmp(legacy_ops[i].name, op) == 0)
            e = &legacy_ops[i];
    if (!e) {
        /* An op the registry knows but the table lacks (Resize, Where, ...) is not in this opset:
         * the file is invalid. One it does not know is refused later as unsupported. */
        if (hbg_op_from_name(op) == HBG_OP_UNKNOWN)
            return HBG_OK;
        return hbc_onnx_fail(why, n, HBG_E_INVALID, "%s does not exist in opset %lld", op,
                             (long long)opset);
    }
    if (opset < e->since)
        return hbc_onnx_fail(why, n, HBG_E_UNSUPPORTED,
                             "opset %lld's %s is older than %s-%d (opset 7's) and differs from "
                             "it; not supported",
                             (long long)opset, op, op, e->since);
    switch (e->rule) {
    case LR_BROADCAST:
        return check_broadcast(g, gp, np, e, why, n);
    case LR_PRELU:
        return check_prelu(g, gp, np, why, n);
    case LR_IS_TEST:
        if (!attr_int(np, "is_test", 0, &present)) /* the schema's default 0: training */
            return hbc_onnx_fail(why, n, HBG_E_UNSUPPORTED,
                                 "%s-%d with is_test = 0 (training mode) is not supported", op,
                                 e->since);
        return HBG_OK;
    default: /* LR_SAME, LR_GEMM */
        return HBG_OK;
    }
}
