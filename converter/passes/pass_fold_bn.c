/* fold_bn: per-channel affine nodes after a Conv or Gemm folded into its weights and bias.
 *
 * Matched, on the output x of a Conv or Gemm node P:
 *   BatchNormalization(x, scale, B, mean, var) in inference form, all four constant:
 *     y = x * s + (B - mean * s) with s = scale / sqrt(var + epsilon)
 *   Mul(x, c) / Mul(c, x) / Div(x, c):  y = x * c  (or / c)
 *   Add(x, c) / Add(c, x) / Sub(x, c):  y = x + c  (or - c)
 * where c is a float32 initializer that varies at most along the channel axis (axis 1) of x
 * (numel 1, or K entries with every other dim 1): what the Caffe frontend writes for Scale layers
 * (Mul, then Add with bias_term) after BatchNormalization(scale 1, bias 0).
 * Result: W'[k] = W[k] * s[k], bias'[k] = bias[k] * s[k] + t[k]; P then writes y directly (the
 * node's output name survives) and the node is removed. The arithmetic is done in double.
 * Refused (node kept): x read by another node or a graph output; P's weight not an initializer or
 * read elsewhere (shared weights would change the other reader; copying them would duplicate
 * the model's largest tensors); P being hb_mapper's preprocess node (HZ_PREPROCESS_FOR_*, whose
 * weights stay as the mapper wrote them); Gemm bias C not per output column; ConvTranspose (its
 * weight is laid out [C_in, K/group, ...]); division by a zero constant; Sub(c, x); BN in training
 * mode.
 */
#include "passes_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* P (Conv or Gemm) geometry: K output channels, W data and the stride between channels. */
typedef struct target {
    int node;
    int64_t k;   /* output channels */
    float *w;    /* weight data, rewritten in place */
    int64_t per; /* weight elements per output channel */
    int col;     /* Gemm with transB = 0: channel k is column k of B [Cin, K] */
} target;

/* The Conv/Gemm producing x that may absorb an affine map of x, or -1. */
static int find_target(hbg_graph *g, int x, target *tg)
{
    int p = g->tensors[x]->producer;
    if (p < 0 || !hbc_single_use(g, x))
        return -1;
    const hbg_node *n = &g->nodes[p];
    if ((n->op != HBG_OP_CONV && n->op != HBG_OP_GEMM) || n->n_in < 2 || n->out[0] != x ||
        hbc_node_reserved(n) || !hbc_const_exclusive(g, n->in[1]))
        return -1;
    if (n->n_in >= 3 && n->in[2] >= 0 && !hbc_const_f32(g, n->in[2]))
        return -1;
    hbg_tensor *w = g->tensors[n->in[1]];
    tg->node = p;
    tg->w = w->data;
    tg->col = 0;
    if (n->op == HBG_OP_CONV) {
        if (w->rank < 1 || w->dims[0] <= 0)
            return -1;
        tg->k = w->dims[0];
        tg->per = hbg_tensor_numel(w) / tg->k;
    } else {
        if (w->rank != 2 || hbg_attr_int(n, "transA", 0))
            return -1;
        tg->col = !hbg_attr_int(n, "transB", 0);
        tg->k = tg->col ? w->dims[1] : w->dims[0];
        tg->per = tg->col ? w->dims[0] : w->dims[1];
    }
    if (tg->k <= 0)
        return -1;
    /* The bias must be per output channel. */
    if (n->n_in >= 3 && n->in[2] >= 0) {
        int64_t nb = hbg_tensor_numel(g->tensors[n->in[2]]);
        if (n->op == HBG_OP_GEMM ? !hbc_gemm_bias_per_column(g, n->in[2], tg->k) : nb != tg->k)
            return -1;
    }
    return p;
}

/* Channel vector of constant c for x (rank r, K = dims[1]) into v[K]; 0 when c is not per-channel
 * or would broadcast x to a larger shape. */
static int channel_vector(const hbg_graph *g, int c, const hbg_tensor *x, double *v)
{
    const float *d = hbc_const_f32(g, c);
    const hbg_tensor *t = g->tensors[c];
    if (!d || x->rank < 2 || t->rank > x->rank)
        return 0;
    int64_t k = x->dims[1], n = hbg_tensor_numel(t);
    if (n != 1 && n != k)
        return 0;
    for (int j = 0; j < t->rank; j++) {
        int axis = j + x->rank - t->rank;
        if (t->dims[j] != 1 && !(axis == 1 && t->dims[j] == k))
            return 0;
    }
    for (int64_t i = 0; i < k; i++)
        v[i] = d[n == 1 ? 0 : i];
    return 1;
}

/* BatchNormalization constants into scale s and shift t; 0 when not foldable. */
static int bn_affine(const hbg_graph *g, const hbg_node *n, int64_t k, double *s, double *t)
{
    const float *p[4];
    if (n->n_in != 5 || hbg_attr_int(n, "training_mode", 0))
        return 0;
    for (int j = 0; j < 4; j++)
        if (!(p[j] = hbc_const_f32(g, n->in[1 + j])) ||
            hbg_tensor_numel(g->tensors[n->in[1 + j]]) != k)
            return 0;
    double eps = hbg_attr_float(n, "epsilon", 1e-5f);
    for (int64_t i = 0; i < k; i++) {
        double var = p[3][i] + eps;
        if (!(var > 0))
            return 0;
        s[i] = p[0][i] / sqrt(var);
        t[i] = p[1][i] - p[2][i] * s[i];
    }
    return 1;
}

/* The affine map y = x * s + t of node n reading x at slot *slot; 0 when n is not one. */
static int node_affine(const hbg_graph *g, const hbg_node *n, const hbg_tensor *x, int64_t k,
                       double *s, double *t, int *slot)
{
    int xi = -1;
    if (n->n_in < 1 || n->n_out < 1)
        return 0;
    for (int64_t i = 0; i < k; i++) {
        s[i] = 1;
        t[i] = 0;
    }
    if (n->op == HBG_OP_BATCHNORMALIZATION) {
        *slot = 0;
        return bn_affine(g, n, k, s, t);
    }
    if (n->n_in != 2 ||
        (n->op != HBG_OP_MUL && n->op != HBG_OP_DIV && n->op != HBG_OP_ADD && n->op != HBG_OP_SUB))
        return 0;
    /* The variable operand is the one that is not an initializer. */
    xi = hbc_const_f32(g, n->in[1]) ? 0 : hbc_const_f32(g, n->in[0]) ? 1 : -1;
    if (xi < 0 || (xi == 1 && (n->op == HBG_OP_DIV || n->op == HBG_OP_SUB)))
        return 0;
    if (!hbc_same_shape(x, g->tensors[n->out[0]]))
        return 0;
    double *v = n->op == HBG_OP_MUL || n->op == HBG_OP_DIV ? s : t;
    if (!channel_vector(g, n->in[1 - xi], x, v))
        return 0;
    for (int64_t i = 0; i < k; i++) {
        if (n->op == HBG_OP_DIV) {
            if (v[i] == 0)
                return 0;
            v[i] = 1.0 / v[i];
        } else if (n->op == HBG_OP_SUB) {
            v[i] = -v[i];
        }
    }
    *slot = xi;
    return 1;
}

/* 1 when an output of n other than output 0 is read (BatchNormalization's training outputs). */
static int extra_outputs_used(const hbg_graph *g, const hbg_node *n)
{
    for (int o = 1; o < n->n_out; o++)
        if (g->tensors[n->out[o]]->is_output || hbg_edit_use_count(g, n->out[o]) > 0)
            return 1;
    return 0;
}

/* Scale P's weight by s, write bias * s + t as a new bias initializer; for a Gemm, alpha and
 * beta are folded in as well and set to 1. */
static hbg_status apply(hbg_graph *g, const target *tg, const double *s, const double *t)
{
    hbg_node *p = &g->nodes[tg->node];
    hbg_status st;
    double alpha = 1, beta = 1;
    float *bias = malloc((size_t)tg->k * sizeof *bias);
    int bi;
    char base[300];
    if (!bias)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    if (p->op == HBG_OP_GEMM) {
        alpha = hbg_attr_float(p, "alpha", 1.0f);
        beta = hbg_attr_float(p, "beta", 1.0f);
    }
    const float *b = p->n_in >= 3 ? hbc_const_f32(g, p->in[2]) : NULL;
    int64_t nb = b ? hbg_tensor_numel(g->tensors[p->in[2]]) : 0;
    for (int64_t k = 0; k < tg->k; k++) {
        double bk = b ? beta * b[nb == 1 ? 0 : k] : 0.0;
        bias[k] = (float)(bk * s[k] + t[k]);
        double f = alpha * s[k];
        for (int64_t j = 0; j < tg->per; j++) {
            float *w = tg->col ? &tg->w[j * tg->k + k] : &tg->w[k * tg->per + j];
            *w = (float)(*w * f);
        }
    }
    snprintf(base, sizeof base, "%s_bias", g->tensors[p->in[1]]->name);
    st =
        hbg_edit_new_const(g, base, HBG_DT_F32, 1, &tg->k, bias, (size_t)tg->k * sizeof *bias, &bi);
    free(bias);
    if (st != HBG_OK)
        return st;
    p = &g->nodes[tg->node];
    if (p->n_in < 3) {
        /* find_target checked n_in >= 2; an omitted bias becomes the new one. */
        int *in = realloc(p->in, 3 * sizeof *in);
        if (!in)
            return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
        p->in = in;
        p->n_in = 3;
    }
    p->in[2] = bi;
    if (p->op == HBG_OP_GEMM) {
        if ((st = hbg_edit_set_attr_float(g, p, "alpha", 1.0f)) != HBG_OK ||
            (st = hbg_edit_set_attr_float(g, p, "beta", 1.0f)) != HBG_OK)
            return st;
    }
    return HBG_OK;
}

hbg_status hbc_pass_fold_bn(hbg_graph *g, const hbc_logger *lg, int *changed)
{
    hbg_status st = HBG_OK;
    double *s = NULL, *t = NULL;
    int count = 0;
    *changed = 0;
    for (int i = 0; i < g->n_nodes;) {
        hbg_node *n = &g->nodes[i];
        target tg;
        int slot = 0;
        char label[200];
        i++;
        if (n->n_in < 1 || n->in[0] < 0)
            continue;
        /* The variable input is in[0], or in[1] for Mul/Add with the constant first. */
        int x = hbc_const_f32(g, n->in[0]) && n->n_in > 1 ? n->in[1] : n->in[0];
        if (x < 0 || find_target(g, x, &tg) < 0)
            continue;
        const hbg_tensor *tx = g->tensors[x];
        if (tx->rank < 2 || tx->dims[1] != tg.k)
            continue;
        free(s);
        free(t);
        s = malloc((size_t)tg.k * sizeof *s);
        t = malloc((size_t)tg.k * sizeof *t);
        if (!s || !t) {
            st = hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
            goto out;
        }
        if (!node_affine(g, n, tx, tg.k, s, t, &slot) || n->in[slot] != x ||
            extra_outputs_used(g, n))
            continue;
        snprintf(label, sizeof label, "%s (%s) into '%s' (%s)", hbg_node_label(g, n), n->op_type,
                 hbg_node_label(g, &g->nodes[tg.node]), g->nodes[tg.node].op_type);
        if ((st = apply(g, &tg, s, t)) != HBG_OK)
            goto out;
        if ((st = hbg_edit_bypass(g, i - 1, slot)) != HBG_OK)
            goto out;
        HBC_LOGD(lg, "fold_bn: folded %s", label);
        count++;
        i = 0; /* indices moved; rescan (graphs are small) */
    }
out:
    free(s);
    free(t);
    *changed = count;
    return st;
}
