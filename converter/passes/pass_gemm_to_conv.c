/* gemm_to_conv: fully connected layers on flattened NCHW data as convolutions.
 *
 * Matched: Gemm(A, B, C) with transA = 0, or MatMul(A, B), where B is a float32 rank-2
 * initializer read only there, C (optional) is per output column (numel 1 or K), and A is the
 * [N, C*H*W] output of a Flatten or Reshape of a rank-4 tensor X [N, C, H, W] (the classifier head
 * of Caffe InnerProduct layers and of ONNX exports). Such a layer is exactly a Conv over X with an
 * H x W kernel, no padding, weight W'[k, c, h, w] = alpha * B[k, (c*H + h)*W + w] (transB = 1;
 * B transposed otherwise) and bias beta * C: the BPU runs convolutions natively and the tensor
 * stays NCHW.
 * Result: Conv(X) -> [N, K, 1, 1], then Flatten(axis 1) writing the Gemm's output name. The
 * Flatten then sinks below a following elementwise activation read only there (Relu, Clip,
 * LeakyRelu, Sigmoid, Tanh, PRelu with K or 1 slopes), so that the activation stays next to the
 * Conv (fuse_act) and a next fully connected layer meets a Flatten again.
 * Refused: A of any other origin (a plain 2-D input gains nothing from the rewrite), B shared or
 * not constant, C per row, transA = 1, shapes not fully known.
 */
#include "passes_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Geometry of a match. */
typedef struct fc {
    int x; /* the rank-4 tensor under the Flatten/Reshape */
    int64_t n, c, h, w, k;
    int trans_b;
    double alpha, beta;
} fc;

static int match(const hbg_graph *g, const hbg_node *n, fc *m)
{
    if ((n->op != HBG_OP_GEMM && n->op != HBG_OP_MATMUL) || n->n_in < 2 || n->in[0] < 0 ||
        hbc_node_reserved(n) || !hbc_const_exclusive(g, n->in[1]))
        return 0;
    int is_gemm = n->op == HBG_OP_GEMM;
    if (is_gemm && hbg_attr_int(n, "transA", 0))
        return 0;
    const hbg_tensor *a = g->tensors[n->in[0]], *b = g->tensors[n->in[1]];
    int p = a->producer;
    if (p < 0 || (g->nodes[p].op != HBG_OP_FLATTEN && g->nodes[p].op != HBG_OP_RESHAPE) ||
        g->nodes[p].in[0] < 0 || a->rank != 2 || b->rank != 2)
        return 0;
    const hbg_tensor *x = g->tensors[g->nodes[p].in[0]];
    if (x->rank != 4 || x->dtype != HBG_DT_F32 || hbg_tensor_numel(x) < 0)
        return 0;
    m->x = g->nodes[p].in[0];
    m->n = x->dims[0];
    m->c = x->dims[1];
    m->h = x->dims[2];
    m->w = x->dims[3];
    if (a->dims[0] != m->n || a->dims[1] != m->c * m->h * m->w)
        return 0;
    m->trans_b = is_gemm && hbg_attr_int(n, "transB", 0);
    m->k = m->trans_b ? b->dims[0] : b->dims[1];
    if ((m->trans_b ? b->dims[1] : b->dims[0]) != a->dims[1] || m->k <= 0)
        return 0;
    m->alpha = is_gemm ? hbg_attr_float(n, "alpha", 1.0f) : 1.0;
    m->beta = is_gemm ? hbg_attr_float(n, "beta", 1.0f) : 1.0;
    if (is_gemm && n->n_in >= 3 && n->in[2] >= 0 && !hbc_gemm_bias_per_column(g, n->in[2], m->k))
        return 0;
    return 1;
}

/* New weight [K, C, H, W] and bias [K] initializers for node n; indices in *wi, *bi (-1: none). */
static hbg_status make_weights(hbg_graph *g, const hbg_node *n, const fc *m, int *wi, int *bi)
{
    hbg_status st = HBG_E_NOMEM;
    int64_t cin = m->c * m->h * m->w, wd[4] = {m->k, m->c, m->h, m->w};
    const float *b = hbc_const_f32(g, n->in[1]);
    const float *c = n->op == HBG_OP_GEMM && n->n_in >= 3 ? hbc_const_f32(g, n->in[2]) : NULL;
    float *w = malloc((size_t)(m->k * cin) * sizeof *w);
    float *bias = malloc((size_t)m->k * sizeof *bias);
    char base[300];
    *bi = -1;
    if (!w || !bias) {
        hbg_graph_fail(g, st, "out of memory");
        goto out;
    }
    for (int64_t k = 0; k < m->k; k++)
        for (int64_t j = 0; j < cin; j++)
            w[k * cin + j] = (float)(m->alpha * (m->trans_b ? b[k * cin + j] : b[j * m->k + k]));
    snprintf(base, sizeof base, "%s_conv", g->tensors[n->in[1]]->name);
    if ((st = hbg_edit_new_const(g, base, HBG_DT_F32, 4, wd, w, (size_t)(m->k * cin) * sizeof *w,
                                 wi)) != HBG_OK)
        goto out;
    if (c) {
        int64_t nc = hbg_tensor_numel(g->tensors[n->in[2]]);
        for (int64_t k = 0; k < m->k; k++)
            bias[k] = (float)(m->beta * c[nc == 1 ? 0 : k]);
        snprintf(base, sizeof base, "%s_conv", g->tensors[n->in[2]]->name);
        st = hbg_edit_new_const(g, base, HBG_DT_F32, 1, &m->k, bias, (size_t)m->k * sizeof *bias,
                                bi);
    }
out:
    free(w);
    free(bias);
    return st;
}

/* Elementwise activations the Flatten may move below; PRelu needs its slope reshaped. */
static int sinkable(const hbg_graph *g, const hbg_node *u, int64_t k)
{
    switch (u->op) {
    case HBG_OP_RELU:
    case HBG_OP_LEAKYRELU:
    case HBG_OP_SIGMOID:
    case HBG_OP_TANH:
        return 1;
    case HBG_OP_CLIP:
        /* min/max inputs are scalars: unaffected by the data's rank */
        return 1;
    case HBG_OP_PRELU: {
        if (u->n_in != 2 || !hbc_const_f32(g, u->in[1]))
            return 0;
        int64_t ns = hbg_tensor_numel(g->tensors[u->in[1]]);
        return ns == 1 || ns == k;
    }
    default:
        return 0;
    }
}

/* Move the Flatten (node index *fi, reading the 4-D tensor t4, writing y) below the activations
 * that follow it. */
static hbg_status sink_flatten(hbg_graph *g, int fi, int t4, const fc *m)
{
    hbg_status st;
    int64_t d4[4] = {m->n, m->k, 1, 1};
    char name[300];
    for (;;) {
        int y = g->nodes[fi].out[0];
        if (!hbc_single_use(g, y))
            return HBG_OK;
        int ui = hbg_edit_next_consumer(g, y, 0);
        hbg_node *u = &g->nodes[ui];
        if (u->in[0] != y || u->n_out != 1 || !sinkable(g, u, m->k))
            return HBG_OK;
        if (u->op == HBG_OP_PRELU) {
            int si;
            const hbg_tensor *sl = g->tensors[u->in[1]];
            int64_t ns = hbg_tensor_numel(sl), sd[3] = {ns, 1, 1};
            snprintf(name, sizeof name, "%s_nchw", sl->name);
            if ((st = hbg_edit_new_const(g, name, HBG_DT_F32, ns == 1 ? 1 : 3, sd, sl->data,
                                         (size_t)ns * sizeof(float), &si)) != HBG_OK)
                return st;
            g->nodes[ui].in[1] = si;
        }
        int z = g->nodes[ui].out[0];
        snprintf(name, sizeof name, "%s_nchw", g->tensors[z]->name);
        char uniq[320];
        if ((st = hbg_edit_unique_name(g, name, uniq, sizeof uniq)) != HBG_OK)
            return hbg_graph_fail(g, st, "tensor name '%.64s...' too long", name);
        int z4 = hbg_graph_tensor(g, uniq);
        if (z4 < 0)
            return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
        hbg_tensor_set_shape(g->tensors[z4], HBG_DT_F32, 4, d4);
        g->nodes[ui].in[0] = t4;
        g->nodes[ui].out[0] = z4;
        g->nodes[fi].in[0] = z4;
        g->nodes[fi].out[0] = z;
        if ((st = hbg_edit_move_node(g, fi, ui)) != HBG_OK)
            return st;
        fi = ui; /* the Flatten now sits where the activation was, the activation just before */
        t4 = z4;
    }
}

static hbg_status rewrite(hbg_graph *g, int i, const fc *m)
{
    hbg_status st;
    int wi, bi;
    int64_t axis1 = 1, d4[4] = {m->n, m->k, 1, 1}, ks[2] = {m->h, m->w};
    char name[300], yname[300], cname[320], fname[320];
    hbg_node *n = &g->nodes[i], *conv = NULL, *flat = NULL;
    if ((st = make_weights(g, n, m, &wi, &bi)) != HBG_OK)
        return st;
    n = &g->nodes[i];
    snprintf(name, sizeof name, "%s", n->name);
    snprintf(yname, sizeof yname, "%s", g->tensors[n->out[0]]->name);
    snprintf(fname, sizeof fname, "%s_flatten", hbg_node_label(g, n));
    snprintf(cname, sizeof cname, "%s_nchw", yname);
    char uniq[340];
    if ((st = hbg_edit_unique_name(g, cname, uniq, sizeof uniq)) != HBG_OK)
        return hbg_graph_fail(g, st, "tensor name '%.64s...' too long", cname);
    const char *cin[3] = {g->tensors[m->x]->name, g->tensors[wi]->name,
                          bi >= 0 ? g->tensors[bi]->name : NULL};
    const char *cout[1] = {uniq}, *fin[1] = {uniq}, *fout[1] = {yname};
    if ((st = hbg_edit_remove_node(g, i)) != HBG_OK)
        return st;
    /* Strings of cin point into tensors, which stay; the node's own strings were copied. */
    if ((st = hbg_edit_insert_node(g, i, "Conv", name, bi >= 0 ? 3 : 2, cin, 1, cout, &conv)) !=
            HBG_OK ||
        (st = hbg_edit_set_attr_ints(g, conv, "kernel_shape", ks, 2)) != HBG_OK)
        return st;
    int t4 = conv->out[0];
    hbg_tensor_set_shape(g->tensors[t4], HBG_DT_F32, 4, d4);
    if ((st = hbg_edit_insert_node(g, i + 1, "Flatten", fname, 1, fin, 1, fout, &flat)) != HBG_OK ||
        (st = hbg_edit_set_attr_int(g, flat, "axis", axis1)) != HBG_OK)
        return st;
    return sink_flatten(g, i + 1, t4, m);
}

hbg_status hbc_pass_gemm_to_conv(hbg_graph *g, const hbc_logger *lg, int *changed)
{
    hbg_status st;
    int count = 0;
    *changed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        fc m;
        if (!match(g, &g->nodes[i], &m))
            continue;
        HBC_LOGD(lg, "gemm_to_conv: node '%s' (%s) -> Conv %lldx%lld on '%s' + Flatten",
                 hbg_node_label(g, &g->nodes[i]), g->nodes[i].op_type, (long long)m.h,
                 (long long)m.w, g->tensors[m.x]->name);
        if ((st = rewrite(g, i, &m)) != HBG_OK)
            return st;
        count++;
    }
    *changed = count;
    return HBG_OK;
}
