/* Refinement of a quantized graph's constants on the calibration samples (docs/quantized-ops.md
 * section 8): the int8 weights' rounding and the int32 biases of every integer Conv/Gemm. Only
 * values change, never an operator's semantics.
 *
 * A Conv/Gemm with float weights w, bias b, input scale s_in and per-channel weight scales s_w[k]
 * computes acc[k] = B[k] + sum_j Wq[k, j] x[j], x the int8 input taps (zero in the padding),
 * real value s_in * s_w[k] * acc. With u = w[k, .] / s_w[k] and d = u - Wq[k, .], its error
 * against the float layer on the same int8 inputs is s_in * s_w[k] * (d . x + b / (s_in s_w[k])
 * - B[k]).
 *
 * Weight rounding (hbc_quant_round_weights). Nearest rounding minimises each |d_j|, not the
 * layer's output error. Over the samples and output positions the mean square of d . x is
 * d^T M d, M = E[x x^T] the taps' second moment (per group; its mean part is what the bias
 * correction then removes, and keeping it in the objective measured better than the covariance
 * alone, docs/accuracy.md). Starting from nearest rounding, a weight moves to the other integer
 * next to u_j (so |d_j| < 1 always; within [-127, 127]) when that lowers d^T M d; sweeps repeat
 * until none moves (at most HBC_ROUND_SWEEPS). On the calibration data the result is never worse
 * than nearest rounding.
 *
 * Bias correction (hbc_quant_bias_correct). The output is linear in its taps, so its mean is
 * s_in * s_w[k] * (B[k] + sum_j Wq[k, j] m[j]) with m[j] the mean of tap j: only per-tap means
 * are gathered. The target is the float layer on the same int8 inputs,
 * b[k] + s_in * sum_j w[k, j] m[j]; B[k] moves by round_half_away((target - mean) /
 * (s_in * s_w[k])), kept within the executor's bound |B| + 128 * sum|Wq| <= 2^31 - 1. Each pass
 * re-runs the integer model with the biases of the previous pass, so a layer sees its inputs as
 * the corrected upstream makes them. (Targeting the float model's own output of each layer
 * instead, all layers at once, overcorrects: every layer also absorbs the upstream error its
 * predecessors remove in the same pass; docs/accuracy.md.)
 *
 * An unsigned input (report attribute input_zero_point zp, docs/quantized-ops.md section 2)
 * has real value s_in * (x - zp) and pads with zp: the formulas above then hold with the taps
 * x - zp (zero in the padding again) and the bias B[k] + zp * sum_j Wq[k, j], so both steps
 * work on those, and a re-rounded weight moves B[k] by -zp times its change. An unsigned output
 * (output_zero_point zp_out, output_scale s_out) adds zp_out * s_out to the float target.
 *
 * The scales used are the float32 report attributes input_scale and weight_scales of the node
 * (docs/quantized-ops.md section 2): they only steer which integers are chosen. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qexec_priv.h"

/* One integer Conv/Gemm and what its refinement needs. */
typedef struct refine_layer {
    const hbg_node *q;     /* the integer node in qg */
    int fnode;             /* the float Conv/Gemm/MatMul in fg */
    int conv;              /* 1: Conv (taps over a window), 0: Gemm */
    int64_t K, per;        /* output channels, weights per output channel */
    int64_t C, cg, KH, KW; /* input channels, per group, kernel (1x1 for Gemm) */
    int64_t kg;            /* output channels per group */
    hbc_qgeom g;           /* Conv geometry */
    double s_in, *s_w;     /* scales (s_w: K) */
    int zp;                /* input zero point: 0, or -127 for an unsigned input */
    double out_shift;      /* real value added to the bias by an unsigned output: zp_out * s_out */
    double *wf;            /* float weights [K, per] */
    double *bf;            /* float bias [K] (zeros without one) */
    double *m;             /* per-tap sums of the int8 input [C * KH * KW] */
    int64_t positions;     /* output positions counted into m (per channel) */
    double *gram;          /* per group, x x^T sums [groups * per * per]; NULL: not re-rounded */
} refine_layer;

typedef struct refine_ctx {
    hbg_graph *fg, *qg;
    refine_layer *l;
    int n;
} refine_ctx;

/* Weight rounding: at most this many sweeps over a channel's weights; layers with more weights
 * per output channel (per) are left at nearest rounding (their covariance, per^2 doubles per
 * group, would cost more than it is worth). */
#define HBC_ROUND_SWEEPS  8
#define HBC_ROUND_MAX_PER 1024
/* Output positions per im2col block (int16 scratch of per * 4096 taps x - zp in [-128, 254]);
 * each int32 sum of one block stays below 4096 * 254^2 < 2^29. */
#define HBC_ROUND_CHUNK 4096

#define RFAIL(c, st, ...) hbg_graph_fail((c)->qg, st, __VA_ARGS__)

static void layers_free(refine_ctx *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->l[i].s_w);
        free(c->l[i].wf);
        free(c->l[i].bf);
        free(c->l[i].m);
        free(c->l[i].gram);
    }
    free(c->l);
    c->l = NULL;
    c->n = 0;
}

/* The float node of integer node q: the Conv/Gemm/MatMul of fg with q's name whose weight
 * tensor, suffixed "_int8", names q's weights (docs/quantized-ops.md section 1). */
static int float_node(const refine_ctx *c, const hbg_node *q)
{
    const char *wq = c->qg->tensors[q->in[1]]->name;
    for (int i = 0; i < c->fg->n_nodes; i++) {
        const hbg_node *n = &c->fg->nodes[i];
        if ((n->op != HBG_OP_CONV && n->op != HBG_OP_GEMM && n->op != HBG_OP_MATMUL) ||
            n->n_in < 2 || n->in[1] < 0 || strcmp(n->name, q->name) != 0)
            continue;
        const char *w = c->fg->tensors[n->in[1]]->name;
        const size_t lw = strlen(w);
        if (strncmp(wq, w, lw) == 0 && strcmp(wq + lw, "_int8") == 0)
            return i;
    }
    return -1;
}

/* Fill layer l from integer node q (prepared by the executor: params hold the geometry). */
static hbg_status layer_init(refine_ctx *c, const hbg_node *q, refine_layer *l)
{
    const int fi = float_node(c, q);
    const hbg_tensor *x = c->qg->tensors[q->in[0]], *w = c->qg->tensors[q->in[1]];
    const float *ws = NULL;
    const hbg_attr *ain = hbg_node_attr(q, "input_scale");
    memset(l, 0, sizeof *l);
    l->q = q;
    l->fnode = fi;
    l->conv = strcmp(q->op_type, "Conv") == 0;
    if (fi < 0)
        return RFAIL(c, HBG_E_INVALID, "refinement: node '%s' has no float Conv/Gemm",
                     hbg_node_label(c->qg, q));
    l->K = w->dims[0];
    l->per = hbg_tensor_numel(w) / l->K;
    if (!ain || ain->type != HBG_ATTR_FLOAT || hbg_attr_floats(q, "weight_scales", &ws) != l->K)
        return RFAIL(c, HBG_E_INVALID, "refinement: node '%s' lacks input_scale/weight_scales",
                     hbg_node_label(c->qg, q));
    l->s_in = ain->f;
    l->zp = (int)hbg_attr_int(q, "input_zero_point", 0);
    l->out_shift = (double)hbg_attr_int(q, "output_zero_point", 0) *
                   (double)hbg_attr_float(q, "output_scale", 0.0f);
    if (l->conv) {
        l->g = *hbc_qop_geom(q);
        l->C = x->dims[1], l->cg = w->dims[1], l->KH = w->dims[2], l->KW = w->dims[3];
        l->kg = l->K / (l->C / l->cg);
    } else {
        l->C = l->cg = x->dims[1], l->KH = l->KW = 1, l->kg = l->K;
    }
    l->s_w = malloc((size_t)l->K * sizeof *l->s_w);
    l->wf = malloc((size_t)(l->K * l->per) * sizeof *l->wf);
    l->bf = calloc((size_t)l->K, sizeof *l->bf);
    l->m = calloc((size_t)(l->C * l->KH * l->KW), sizeof *l->m);
    if (!l->s_w || !l->wf || !l->bf || !l->m)
        return RFAIL(c, HBG_E_NOMEM, "out of memory");
    const hbg_node *f = &c->fg->nodes[fi];
    const hbg_tensor *wt = c->fg->tensors[f->in[1]];
    const hbg_tensor *bt = f->n_in > 2 && f->in[2] >= 0 ? c->fg->tensors[f->in[2]] : NULL;
    /* Weights as [K, per] the way the quantiser reads them: Gemm without transB and MatMul hold
     * [C, K]. */
    const int trans = !l->conv && !(f->op == HBG_OP_GEMM && hbg_attr_int(f, "transB", 0));
    if (hbg_tensor_numel(wt) != l->K * l->per || (bt && hbg_tensor_numel(bt) != l->K))
        return RFAIL(c, HBG_E_SHAPE, "refinement: node '%s': weights do not match",
                     hbg_node_label(c->qg, q));
    for (int64_t k = 0; k < l->K; k++) {
        l->s_w[k] = ws[k];
        l->bf[k] = bt ? hbg_tensor_get_double(bt, k) : 0.0;
        for (int64_t i = 0; i < l->per; i++)
            l->wf[k * l->per + i] =
                hbg_tensor_get_double(wt, trans ? i * l->K + k : k * l->per + i);
    }
    return HBG_OK;
}

/* Add the per-tap sums of x - zp over the int8 input x of layer l (its current value in qg;
 * padded taps add 0). */
static void gather_taps(refine_layer *l, const hbg_graph *qg)
{
    const hbg_tensor *xt = qg->tensors[l->q->in[0]];
    const int8_t *x = xt->data;
    if (!l->conv) {
        const int64_t N = xt->dims[0];
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < l->C; c++)
                l->m[c] += x[n * l->C + c] - l->zp;
        l->positions += N;
        return;
    }
    const hbg_tensor *yt = qg->tensors[l->q->out[0]];
    const int64_t N = xt->dims[0], H = xt->dims[2], W = xt->dims[3];
    const int64_t OH = yt->dims[2], OW = yt->dims[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < l->C; c++) {
            const int8_t *plane = x + (n * l->C + c) * H * W;
            for (int64_t kh = 0; kh < l->KH; kh++)
                for (int64_t kw = 0; kw < l->KW; kw++) {
                    int64_t s = 0;
                    for (int64_t oh = 0; oh < OH; oh++) {
                        const int64_t ih = oh * l->g.s[0] - l->g.pb[0] + kh * l->g.d[0];
                        if (ih < 0 || ih >= H)
                            continue;
                        for (int64_t ow = 0; ow < OW; ow++) {
                            const int64_t iw = ow * l->g.s[1] - l->g.pb[1] + kw * l->g.d[1];
                            if (iw >= 0 && iw < W)
                                s += plane[ih * W + iw] - l->zp;
                        }
                    }
                    l->m[(c * l->KH + kh) * l->KW + kw] += (double)s;
                }
        }
    l->positions += N * OH * OW;
}

/* The taps x - zp of layer l's input at the output positions [p0, p0 + np) of image n, group g,
 * into a[j * np + (p - p0)] (j the tap within the group, zero where it falls in the padding). */
static void im2col(const refine_layer *l, const hbg_tensor *xt, int64_t n, int64_t g, int64_t p0,
                   int64_t np, int64_t OW, int16_t *a)
{
    const int8_t *x = xt->data;
    if (!l->conv) {
        for (int64_t j = 0; j < l->per; j++)
            a[j] = (int16_t)(x[n * l->C + j] - l->zp);
        return;
    }
    const int64_t H = xt->dims[2], W = xt->dims[3];
    for (int64_t c = 0; c < l->cg; c++) {
        const int8_t *plane = x + (n * l->C + g * l->cg + c) * H * W;
        for (int64_t kh = 0; kh < l->KH; kh++)
            for (int64_t kw = 0; kw < l->KW; kw++) {
                int16_t *row = a + ((c * l->KH + kh) * l->KW + kw) * np;
                for (int64_t p = 0; p < np; p++) {
                    const int64_t oh = (p0 + p) / OW, ow = (p0 + p) % OW;
                    const int64_t ih = oh * l->g.s[0] - l->g.pb[0] + kh * l->g.d[0];
                    const int64_t iw = ow * l->g.s[1] - l->g.pb[1] + kw * l->g.d[1];
                    row[p] = (int16_t)(ih >= 0 && ih < H && iw >= 0 && iw < W
                                           ? plane[ih * W + iw] - l->zp
                                           : 0);
                }
            }
    }
}

/* Add the sums of x x^T over the output positions of layer l's current input to l->gram (per
 * group, upper triangle). a: scratch of per * HBC_ROUND_CHUNK taps. */
static void gather_gram(refine_layer *l, const hbg_graph *qg, int16_t *a)
{
    const hbg_tensor *xt = qg->tensors[l->q->in[0]];
    const hbg_tensor *yt = qg->tensors[l->q->out[0]];
    const int64_t N = xt->dims[0], per = l->per, groups = l->C / l->cg;
    const int64_t OW = l->conv ? yt->dims[3] : 1, P = l->conv ? yt->dims[2] * OW : 1;
    for (int64_t n = 0; n < N; n++)
        for (int64_t g = 0; g < groups; g++)
            for (int64_t p0 = 0; p0 < P; p0 += HBC_ROUND_CHUNK) {
                const int64_t np = P - p0 < HBC_ROUND_CHUNK ? P - p0 : HBC_ROUND_CHUNK;
                double *G = l->gram + g * per * per;
                im2col(l, xt, n, g, p0, np, OW, a);
                l->positions += g == 0 ? np : 0;
                for (int64_t i = 0; i < per; i++) {
                    const int16_t *ai = a + i * np;
                    for (int64_t j = i; j < per; j++) {
                        const int16_t *aj = a + j * np;
                        int32_t s = 0;
                        for (int64_t p = 0; p < np; p++)
                            s += ai[p] * aj[p];
                        G[i * per + j] += s;
                    }
                }
            }
}

/* Re-round the int8 weights of layer l to the least mean square output error (the second moment
 * of its input taps, l->gram over l->positions). A channel whose bias bound would no longer hold
 * keeps its weights. */
static hbg_status round_layer(refine_ctx *c, refine_layer *l)
{
    const int64_t per = l->per, groups = l->C / l->cg;
    int8_t *wq = c->qg->tensors[l->q->in[1]]->data;
    int32_t *B = c->qg->tensors[l->q->in[2]]->data;
    const double inv = 1.0 / (double)l->positions;
    double *S = malloc((size_t)(per * per) * sizeof *S);
    double *d = malloc((size_t)per * sizeof *d), *r = malloc((size_t)per * sizeof *r);
    int8_t *keep = malloc((size_t)per);
    hbg_status st = HBG_OK;
    if (!S || !d || !r || !keep) {
        st = RFAIL(c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int64_t g = 0; g < groups; g++) {
        const double *G = l->gram + g * per * per;
        for (int64_t i = 0; i < per; i++)
            for (int64_t j = i; j < per; j++)
                S[i * per + j] = S[j * per + i] = G[i * per + j] * inv;
        for (int64_t k = g * l->kg; k < (g + 1) * l->kg; k++) {
            int8_t *q = wq + k * per;
            const double *wf = l->wf + k * per;
            int64_t wabs = 0;
            memcpy(keep, q, (size_t)per);
            for (int64_t j = 0; j < per; j++)
                d[j] = wf[j] / l->s_w[k] - q[j];
            for (int64_t i = 0; i < per; i++) {
                double acc = 0.0;
                for (int64_t j = 0; j < per; j++)
                    acc += S[i * per + j] * d[j];
                r[i] = acc;
            }
            for (int sweep = 0, moved = 1; sweep < HBC_ROUND_SWEEPS && moved; sweep++) {
                moved = 0;
                for (int64_t j = 0; j < per; j++) {
                    /* the other integer neighbour of u_j = q_j + d_j */
                    const int e = d[j] > 0.0 ? 1 : d[j] < 0.0 ? -1 : 0;
                    if (e == 0 || q[j] + e > 127 || q[j] + e < -127)
                        continue;
                    /* d_j -> d_j - e: the objective changes by -2 e r_j + S_jj */
                    if (-2.0 * e * r[j] + S[j * per + j] >= -1e-12 * S[j * per + j])
                        continue;
                    q[j] = (int8_t)(q[j] + e);
                    d[j] -= e;
                    for (int64_t i = 0; i < per; i++)
                        r[i] -= e * S[i * per + j];
                    moved = 1;
                }
            }
            int64_t moved_sum = 0; /* sum of the weights' changes: B moves by -zp times it */
            for (int64_t j = 0; j < per; j++) {
                wabs += q[j] < 0 ? -q[j] : q[j];
                moved_sum += q[j] - keep[j];
            }
            const int64_t nb = (int64_t)B[k] - (int64_t)l->zp * moved_sum;
            if ((nb < 0 ? -nb : nb) + 128 * wabs > INT32_MAX)
                memcpy(q, keep, (size_t)per);
            else
                B[k] = (int32_t)nb;
        }
    }
out:
    free(S);
    free(d);
    free(r);
    free(keep);
    return st;
}

/* Move the biases of layer l by the mean error measured (the sums are then cleared). */
static void correct(refine_layer *l, const hbg_graph *qg)
{
    hbg_tensor *bt = qg->tensors[l->q->in[2]];
    const int8_t *wq = qg->tensors[l->q->in[1]]->data;
    int32_t *B = bt->data;
    const double inv = l->positions > 0 ? 1.0 / (double)l->positions : 0.0;
    for (int64_t k = 0; k < l->K; k++) {
        const int64_t c0 = (k / l->kg) * l->cg;
        const double *m = l->m + c0 * l->KH * l->KW;
        const int8_t *wk = wq + k * l->per;
        const double *wfk = l->wf + k * l->per;
        double qdot = 0.0, fdot = 0.0;
        int64_t wabs = 0, wsum = 0;
        for (int64_t j = 0; j < l->per; j++) {
            qdot += wk[j] * m[j];
            fdot += wfk[j] * m[j];
            wabs += wk[j] < 0 ? -wk[j] : wk[j];
            wsum += wk[j];
        }
        const double step = l->s_in * l->s_w[k];
        /* m holds the taps x - zp: the bias they see is B + zp * sum(Wq) */
        const double cur = step * ((double)B[k] + (double)l->zp * (double)wsum + qdot * inv);
        const double target = l->bf[k] + l->out_shift + l->s_in * fdot * inv;
        const int64_t lim = (int64_t)INT32_MAX - 128 * wabs;
        if (!(step > 0.0) || lim < 0)
            continue;
        const int64_t nb = hbc_quant_round_sat((double)B[k] + (target - cur) / step, -lim, lim);
        B[k] = (int32_t)nb;
    }
    memset(l->m, 0, (size_t)(l->C * l->KH * l->KW) * sizeof *l->m);
    l->positions = 0;
}

/* Write sample s into the float inputs of graph g (named like fg's inputs). */
static hbg_status set_inputs(refine_ctx *c, hbg_graph *g, const float *const *sample)
{
    for (int i = 0; i < c->fg->n_inputs; i++) {
        const hbg_tensor *ft = c->fg->tensors[c->fg->inputs[i]];
        const int t = hbg_graph_find_tensor(g, ft->name);
        if (t < 0 || !g->tensors[t]->data || g->tensors[t]->dtype != HBG_DT_F32 ||
            hbg_tensor_numel(g->tensors[t]) != hbg_tensor_numel(ft))
            return RFAIL(c, HBG_E_INVALID, "refinement: graph input '%s' does not match", ft->name);
        memcpy(g->tensors[t]->data, sample[i], (size_t)hbg_tensor_numel(ft) * sizeof(float));
    }
    return HBG_OK;
}

/* Prepare the executor and the layers of qg. */
static hbg_status refine_init(refine_ctx *c, hbc_qexec **qe)
{
    hbg_status st;
    if ((st = hbc_qexec_create(c->qg, qe)) != HBG_OK)
        return st;
    if (!(c->l = calloc((size_t)c->qg->n_nodes + 1, sizeof *c->l)))
        return RFAIL(c, HBG_E_NOMEM, "out of memory");
    for (int i = 0; i < c->qg->n_nodes; i++) {
        const hbg_node *q = &c->qg->nodes[i];
        if (strcmp(q->domain, HBC_QUANT_DOMAIN) != 0 ||
            (strcmp(q->op_type, "Conv") != 0 && strcmp(q->op_type, "Gemm") != 0))
            continue;
        c->n++;
        if ((st = layer_init(c, q, &c->l[c->n - 1])) != HBG_OK)
            return st;
    }
    return HBG_OK;
}

static void refine_done(refine_ctx *c, hbc_qexec *qe, hbg_status st, char *err, size_t errlen)
{
    hbc_qexec_free(qe);
    layers_free(c);
    if (st != HBG_OK && err && errlen) {
        strncpy(err, c->qg->err[0] ? c->qg->err : hbg_status_str(st), errlen - 1);
        err[errlen - 1] = '\0';
    }
}

hbg_status hbc_quant_round_weights(hbg_graph *fg, hbg_graph *qg, int n_samples,
                                   const float *const *const *samples, char *err, size_t errlen)
{
    refine_ctx c = {fg, qg, NULL, 0};
    hbc_qexec *qe = NULL;
    hbg_status st = HBG_OK;
    int16_t *a = NULL;
    int64_t max_per = 0;
    if (err && errlen)
        err[0] = '\0';
    qg->err[0] = '\0';
    if (n_samples <= 0)
        return HBG_OK;
    if ((st = refine_init(&c, &qe)) != HBG_OK)
        goto out;
    for (int i = 0; i < c.n; i++) {
        refine_layer *l = &c.l[i];
        if (l->per > HBC_ROUND_MAX_PER)
            continue;
        max_per = l->per > max_per ? l->per : max_per;
        if (!(l->gram = calloc((size_t)(l->C / l->cg * l->per * l->per), sizeof *l->gram))) {
            st = RFAIL(&c, HBG_E_NOMEM, "out of memory");
            goto out;
        }
    }
    if (max_per && !(a = malloc((size_t)max_per * HBC_ROUND_CHUNK * sizeof *a))) {
        st = RFAIL(&c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int s = 0; s < n_samples; s++) {
        if ((st = set_inputs(&c, qg, samples[s])) != HBG_OK || (st = hbc_qexec_run(qe)) != HBG_OK)
            goto out;
        for (int i = 0; i < c.n; i++)
            if (c.l[i].gram)
                gather_gram(&c.l[i], qg, a);
    }
    for (int i = 0; i < c.n; i++)
        if (c.l[i].gram && c.l[i].positions > 0 && (st = round_layer(&c, &c.l[i])) != HBG_OK)
            goto out;
out:
    free(a);
    refine_done(&c, qe, st, err, errlen);
    return st;
}

hbg_status hbc_quant_bias_correct(hbg_graph *fg, hbg_graph *qg, int passes, int n_samples,
                                  const float *const *const *samples, char *err, size_t errlen)
{
    refine_ctx c = {fg, qg, NULL, 0};
    hbc_qexec *qe = NULL;
    hbg_status st = HBG_OK;
    if (err && errlen)
        err[0] = '\0';
    qg->err[0] = '\0';
    if (n_samples <= 0 || passes <= 0)
        return HBG_OK;
    if ((st = refine_init(&c, &qe)) != HBG_OK)
        goto out;
    for (int p = 0; p < passes; p++) {
        for (int s = 0; s < n_samples; s++) {
            if ((st = set_inputs(&c, qg, samples[s])) != HBG_OK ||
                (st = hbc_qexec_run(qe)) != HBG_OK)
                goto out;
            for (int i = 0; i < c.n; i++)
                gather_taps(&c.l[i], qg);
        }
        for (int i = 0; i < c.n; i++)
            correct(&c.l[i], qg);
    }
out:
    refine_done(&c, qe, st, err, errlen);
    return st;
}
