/* hbc_calibrate(): runs the float executor over the calibration samples and turns per-tensor
 * statistics into thresholds (docs/calibration.md has the exact definitions).
 *
 * Passes over the samples, each one executor run per sample:
 *   1. absmax of every activation, NaN/Inf check, top-m values for percentiles, and (default)
 *      the float outputs that score the candidate tables;
 *   2. (kl, mix, default) the 2048-bin histogram of |x| over [0, absmax], exact zeros skipped;
 *   3. (mix) the squared quantisation error of each tensor under each candidate threshold.
 * Every per-sample quantity is either a max, an integer count, or a double kept per sample and
 * summed after sorting, so the result does not depend on the order of the samples.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calib_priv.h"
#include "hbg/exec.h"
#include "hbg/kernel.h"

/* Candidates of default and mix, in the order ties are broken. */
enum { CAND_MAX, CAND_PCT, CAND_KL, CAND_COUNT };
static const char *const k_cand_name[CAND_COUNT] = {"max", "max-percentile 0.99995", "kl"};
#define CAND_PERCENTILE 0.99995

/* Largest number of |x| values kept per tensor for an exact percentile (64 MiB of floats). */
#define TOPK_LIMIT (16LL << 20)

/* A threshold below this gives a scale under FLT_MIN: treated as a zero range. */
#define T_TINY 1e-30

/* Op types whose output is a rearrangement (or a subset, or a max) of their input's values and
 * that the quantiser runs on int8 data at the input's scale (docs/quantized-ops.md section 4):
 * they share one scale with their float activation input, so calibration unifies the
 * thresholds. Not Concat: the quantiser rescales each input to the Concat's scale on the BPU, and
 * a Concat on the CPU reads each input at its own scale, so every input keeps its own threshold
 * (a small branch is not quantised at its largest sibling's step). Not the movement ops the
 * quantiser leaves on the CPU (Gather, Split, Expand, Tile, DepthToSpace, SpaceToDepth): their
 * outputs are quantised again with their own thresholds. */
static const unsigned char k_shares_scale[HBG_OP_COUNT] = {
    [HBG_OP_IDENTITY] = 1,  [HBG_OP_DROPOUT] = 1, [HBG_OP_RESHAPE] = 1,       [HBG_OP_FLATTEN] = 1,
    [HBG_OP_TRANSPOSE] = 1, [HBG_OP_SQUEEZE] = 1, [HBG_OP_UNSQUEEZE] = 1,     [HBG_OP_SLICE] = 1,
    [HBG_OP_MAXPOOL] = 1,   [HBG_OP_RESIZE] = 1,  [HBG_OP_GLOBALMAXPOOL] = 1, [HBG_OP_UPSAMPLE] = 1,
};

typedef struct calib_act {
    int t;                    /* tensor index */
    int64_t numel;            /* per sample */
    double absmax;            /* over every sample */
    unsigned long long *hist; /* HBC_CALIB_BINS, or NULL */
    calib_topk top;           /* for the percentile */
    double cand[CAND_COUNT];  /* candidate thresholds (0 = zero range) */
    double *sq_err;           /* mix: [cand][sample] squared errors */
    double thr;               /* raw threshold of the chosen method, before unification */
    int method;               /* hbc_calib_method of thr */
} calib_act;

typedef struct calib_ctx {
    hbg_graph *g;
    hbg_exec *ex;
    const hbc_calib_options *opt;
    const hbc_logger *lg;
    char *err;
    size_t errlen;
    int n_samples;
    const float *const *const *samples;
    int n_act;
    calib_act *a;
    int *act_of; /* per tensor: index into a, or -1 */
    int *group;  /* per activation: union-find parent */
    double pct;  /* percentile of the topk heaps (1.0: none) */
    int want_hist, want_ref;
    float **ref; /* default: float outputs per sample (all float graph outputs) */
    int64_t ref_len;
} calib_ctx;

void hbc_calib_options_init(hbc_calib_options *o)
{
    *o = (hbc_calib_options){.method = HBC_CALIB_DEFAULT,
                             .max_percentile = 1.0,
                             .per_channel = 0,
                             .seed = 0x5eed,
                             .skip_samples = 1};
}

/* ---- activations and groups --------------------------------------------------------------- */

/* An op that reads only its inputs' shapes produces constants, like a folded node. */
static int op_is_shape_only(hbg_op op)
{
    const hbg_op_impl *impl = hbg_op_impl_get(op);
    return impl && (impl->flags & HBG_OPF_SHAPE_ONLY);
}

/* Mark the tensors whose values depend on the graph inputs (the rest fold at prepare time) and
 * list the float ones as activations, in tensor order. */
static hbg_status find_activations(calib_ctx *c)
{
    hbg_graph *g = c->g;
    unsigned char *dyn = calloc((size_t)g->n_tensors + 1, 1);
    c->act_of = malloc(((size_t)g->n_tensors + 1) * sizeof *c->act_of);
    c->a = calloc((size_t)g->n_tensors + 1, sizeof *c->a);
    if (!dyn || !c->act_of || !c->a) {
        free(dyn);
        return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < g->n_inputs; i++)
        dyn[g->inputs[i]] = 1;
    /* nodes are in topological order after validation */
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        int d = 0;
        for (int j = 0; j < n->n_in; j++)
            d |= n->in[j] >= 0 && dyn[n->in[j]];
        if (d && !op_is_shape_only(n->op))
            for (int j = 0; j < n->n_out; j++)
                dyn[n->out[j]] = 1;
    }
    for (int t = 0; t < g->n_tensors; t++) {
        c->act_of[t] = -1;
        const hbg_tensor *x = g->tensors[t];
        if (!dyn[t] || x->dtype != HBG_DT_F32)
            continue;
        c->act_of[t] = c->n_act;
        c->a[c->n_act++] = (calib_act){.t = t, .numel = hbg_tensor_numel(x)};
    }
    free(dyn);
    return HBG_OK;
}

static int uf_find(int *p, int i)
{
    while (p[i] != i) {
        p[i] = p[p[i]];
        i = p[i];
    }
    return i;
}

static void uf_union(int *p, int a, int b)
{
    a = uf_find(p, a);
    b = uf_find(p, b);
    /* the smaller index is the root, so groups do not depend on the order of unions */
    if (a < b)
        p[b] = a;
    else if (b < a)
        p[a] = b;
}

/* Resize shares the scale only in nearest mode (linear/cubic create new values). */
static int node_shares_scale(const hbg_node *n)
{
    if ((int)n->op <= 0 || n->op >= HBG_OP_COUNT || !k_shares_scale[n->op])
        return 0;
    if (n->op == HBG_OP_RESIZE || n->op == HBG_OP_UPSAMPLE)
        return strcmp(hbg_attr_string(n, "mode", "nearest"), "nearest") == 0;
    return 1;
}

static hbg_status build_groups(calib_ctx *c)
{
    c->group = malloc(((size_t)c->n_act + 1) * sizeof *c->group);
    if (!c->group)
        return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
    for (int i = 0; i < c->n_act; i++)
        c->group[i] = i;
    for (int i = 0; i < c->g->n_nodes; i++) {
        const hbg_node *n = &c->g->nodes[i];
        if (!node_shares_scale(n))
            continue;
        int first = -1;
        for (int j = 0; j < n->n_in + n->n_out; j++) {
            int t = j < n->n_in ? n->in[j] : n->out[j - n->n_in];
            int a = t >= 0 ? c->act_of[t] : -1;
            if (a < 0)
                continue;
            if (first < 0)
                first = a;
            else
                uf_union(c->group, first, a);
        }
    }
    return HBG_OK;
}

/* ---- passes -------------------------------------------------------------------------------- */

typedef hbg_status (*visit_fn)(calib_ctx *c, calib_act *a, const float *x, int s);

static hbg_status run_sample(calib_ctx *c, const float *const *in)
{
    hbg_graph *g = c->g;
    for (int i = 0; i < g->n_inputs; i++) {
        hbg_tensor *t = g->tensors[g->inputs[i]];
        memcpy(t->data, in[i], (size_t)hbg_tensor_numel(t) * sizeof(float));
    }
    if (hbg_exec_run(c->ex) != HBG_OK)
        return calib_fail(c->err, c->errlen, HBG_E_INVALID, "float executor: %s", g->err);
    return HBG_OK;
}

static void log_progress(const calib_ctx *c, const char *what, int s, int n)
{
    int step = n >= 10 ? n / 10 : 1;
    if (s == 0 || (s + 1) % step == 0 || s + 1 == n)
        HBC_LOGI(c->lg, "calibration %s: %d/%d samples", what, s + 1, n);
}

static hbg_status run_pass(calib_ctx *c, const char *what, visit_fn fn,
                           hbg_status (*after)(calib_ctx *, int))
{
    for (int s = 0; s < c->n_samples; s++) {
        hbg_status st = run_sample(c, c->samples[s]);
        for (int i = 0; st == HBG_OK && i < c->n_act; i++)
            st = fn(c, &c->a[i], c->g->tensors[c->a[i].t]->data, s);
        if (st == HBG_OK && after)
            st = after(c, s);
        if (st != HBG_OK)
            return st;
        log_progress(c, what, s, c->n_samples);
    }
    return HBG_OK;
}

static const char *producer_label(const calib_ctx *c, int t)
{
    int p = c->g->tensors[t]->producer;
    return p >= 0 ? hbg_node_label(c->g, &c->g->nodes[p]) : "graph input";
}

static hbg_status visit_stats(calib_ctx *c, calib_act *a, const float *x, int s)
{
    float m = 0.0f;
    for (int64_t i = 0; i < a->numel; i++) {
        float v = fabsf(x[i]);
        if (!isfinite(v))
            return calib_fail(c->err, c->errlen, HBG_E_INVALID,
                              "tensor '%s' (from %s) holds %s at element %lld on calibration "
                              "sample %d",
                              c->g->tensors[a->t]->name, producer_label(c, a->t),
                              isnan(v) ? "NaN" : "Inf", (long long)i, s);
        m = v > m ? v : m;
        if (a->top.m)
            calib_topk_push(&a->top, v);
    }
    a->absmax = m > a->absmax ? m : a->absmax;
    return HBG_OK;
}

static hbg_status visit_hist(calib_ctx *c, calib_act *a, const float *x, int s)
{
    (void)c;
    (void)s;
    if (!(a->absmax > 0.0))
        return HBG_OK;
    const double k = HBC_CALIB_BINS / a->absmax;
    for (int64_t i = 0; i < a->numel; i++) {
        double v = fabs((double)x[i]);
        if (v == 0.0) /* the ReLU spike says nothing about the range */
            continue;
        int64_t b = (int64_t)(v * k);
        a->hist[b < HBC_CALIB_BINS ? b : HBC_CALIB_BINS - 1]++;
    }
    return HBG_OK;
}

/* Quantise-dequantise with the int8 contract: round half away from zero, clamp [-128, 127];
 * zp is the zero point (0, or HBC_ZP_UNSIGNED for an unsigned tensor). */
static double qdq(double x, double scale, int zp)
{
    double q = round(x / scale) + zp;
    q = q < -128.0 ? -128.0 : q > 127.0 ? 127.0 : q;
    return (q - zp) * scale;
}

static hbg_status visit_err(calib_ctx *c, calib_act *a, const float *x, int s)
{
    /* as the quantiser will store the tensor (docs/quantized-ops.md section 2) */
    const int zp = hbc_calib_unsigned(c->g, a->t) ? HBC_ZP_UNSIGNED : 0;
    for (int k = 0; k < CAND_COUNT; k++) {
        double sc = a->cand[k] / (zp ? 254.0 : 127.0), e = 0.0;
        for (int64_t i = 0; sc > 0.0 && i < a->numel; i++) {
            double d = (double)x[i] - qdq((double)x[i], sc, zp);
            e += d * d;
        }
        a->sq_err[(size_t)k * (size_t)c->n_samples + (size_t)s] = e;
    }
    return HBG_OK;
}

/* Default: keep the float outputs of sample s. */
static hbg_status keep_ref(calib_ctx *c, int s)
{
    int64_t off = 0;
    for (int i = 0; i < c->g->n_outputs; i++) {
        const hbg_tensor *t = c->g->tensors[c->g->outputs[i]];
        if (t->dtype != HBG_DT_F32)
            continue;
        memcpy(c->ref[s] + off, t->data, (size_t)hbg_tensor_numel(t) * sizeof(float));
        off += hbg_tensor_numel(t);
    }
    return HBG_OK;
}

/* ---- thresholds ---------------------------------------------------------------------------- */

static double kl_threshold(const calib_act *a)
{
    int cut;
    if (!(a->absmax > 0.0) || hbc_calib_kl_cut(a->hist, &cut) != HBG_OK)
        return 0.0;
    return (cut + 0.5) * a->absmax / HBC_CALIB_BINS;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Sum of n doubles independent of their order (sorted first). */
static double sorted_sum(double *v, int n)
{
    double s = 0.0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* Threshold of an image input (see finish_table). */
#define IMAGE_INPUT_T 127.0

/* 1 when tensor t is a graph input read by a node of hb_mapper's preprocess stage
 * ("HZ_PREPROCESS_FOR_<input>", docs/preprocess-node.md). */
static int is_image_input(const hbg_graph *g, int t)
{
    static const char prefix[] = "HZ_PREPROCESS_FOR_";
    int is_input = 0;
    for (int i = 0; i < g->n_inputs; i++)
        is_input |= g->inputs[i] == t;
    for (int k = 0; is_input && k < g->n_nodes; k++) {
        const hbg_node *nd = &g->nodes[k];
        for (int j = 0; j < nd->n_in; j++)
            if (nd->in[j] == t && nd->name && strncmp(nd->name, prefix, sizeof prefix - 1) == 0)
                return 1;
    }
    return 0;
}

/* Unify thresholds over groups (largest member; an image input's group 127), apply the zero-range
 * fallback and fill out. */
static hbg_status finish_table(calib_ctx *c, hbc_calib_table *out)
{
    int n = c->n_act;
    double *gthr = calloc((size_t)n + 1, sizeof *gthr), *gabs = calloc((size_t)n + 1, sizeof *gabs);
    hbg_status st = HBG_OK;
    if (!gthr || !gabs) {
        st = calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        int r = uf_find(c->group, i);
        gthr[r] = c->a[i].thr > gthr[r] ? c->a[i].thr : gthr[r];
        gabs[r] = c->a[i].absmax > gabs[r] ? c->a[i].absmax : gabs[r];
    }
    /* An image input read by hb_mapper's preprocess node holds uint8 pixels minus 128, integers
     * in [-128, 127]: threshold 127 (scale exactly 1) makes its Quantize the identity, so the
     * runtime's uint8 - 128 is the int8 input bit for bit (ARCHITECTURE 4, docs/calibration.md). */
    for (int i = 0; i < n; i++)
        if (is_image_input(c->g, c->a[i].t))
            gthr[uf_find(c->group, i)] = IMAGE_INPUT_T;
    for (int i = 0; i < n; i++) {
        int r = uf_find(c->group, i);
        if (r != i || gthr[r] >= T_TINY)
            continue;
        const char *name = c->g->tensors[c->a[i].t]->name;
        if (gabs[r] >= T_TINY) {
            HBC_LOGW(c->lg, "tensor '%s': the %s threshold is zero; using its max %g", name,
                     hbc_calib_method_name(c->a[i].method), gabs[r]);
            gthr[r] = gabs[r];
        } else {
            HBC_LOGW(c->lg,
                     "tensor '%s' is zero on every calibration sample; threshold set to 1.0 "
                     "(scale 1/127), which keeps zero exact",
                     name);
            gthr[r] = 1.0;
        }
    }
    for (int i = 0; i < n && st == HBG_OK; i++) {
        int r = uf_find(c->group, i);
        if (gthr[r] != c->a[i].thr && c->a[i].thr >= T_TINY)
            HBC_LOGD(c->lg, "tensor '%s': threshold %g unified to %g (shared scale)",
                     c->g->tensors[c->a[i].t]->name, c->a[i].thr, gthr[r]);
        if (hbc_calib_table_set(out, c->g->tensors[c->a[i].t]->name, gthr[r], c->a[i].method) !=
            HBG_OK)
            st = calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
    }
out:
    free(gthr);
    free(gabs);
    return st;
}

/* Build the table of one candidate for every activation (set thr/method from cand k). */
static void choose_candidate(calib_ctx *c, int k)
{
    for (int i = 0; i < c->n_act; i++) {
        c->a[i].thr = c->a[i].cand[k];
        c->a[i].method = k == CAND_KL ? HBC_CALIB_KL : HBC_CALIB_MAX;
    }
}

static double cosine(const float *a, const float *b, int64_t n)
{
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int64_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    if (aa == 0.0 && bb == 0.0)
        return 1.0;
    if (aa == 0.0 || bb == 0.0)
        return 0.0;
    return ab / (sqrt(aa) * sqrt(bb));
}

/* Mean over samples of the output cosine of the fake-quantised graph with table t. */
static hbg_status score_table(calib_ctx *c, const hbc_calib_table *t, double *score)
{
    hbg_graph *q = NULL;
    hbg_exec *ex = NULL;
    float *y = malloc(((size_t)c->ref_len + 1) * sizeof *y);
    double *cs = malloc(((size_t)c->n_samples + 1) * sizeof *cs);
    hbg_status st = HBG_OK;
    if (!y || !cs) {
        st = calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    if ((st = hbc_calib_build_qdq_graph(c->g, t, NULL, &q, c->err, c->errlen)) != HBG_OK)
        goto out;
    if (hbg_exec_create(q, &ex) != HBG_OK) {
        st = calib_fail(c->err, c->errlen, HBG_E_INVALID, "fake-quantised graph: %s", q->err);
        goto out;
    }
    for (int s = 0; s < c->n_samples; s++) {
        for (int i = 0; i < q->n_inputs; i++) {
            hbg_tensor *x = q->tensors[q->inputs[i]];
            memcpy(x->data, c->samples[s][i], (size_t)hbg_tensor_numel(x) * sizeof(float));
        }
        if (hbg_exec_run(ex) != HBG_OK) {
            st = calib_fail(c->err, c->errlen, HBG_E_INVALID, "fake-quantised graph: %s", q->err);
            goto out;
        }
        int64_t off = 0;
        for (int i = 0; i < q->n_outputs; i++) {
            const hbg_tensor *o = q->tensors[q->outputs[i]];
            if (o->dtype != HBG_DT_F32)
                continue;
            memcpy(y + off, o->data, (size_t)hbg_tensor_numel(o) * sizeof(float));
            off += hbg_tensor_numel(o);
        }
        cs[s] = cosine(c->ref[s], y, c->ref_len);
    }
    *score = sorted_sum(cs, c->n_samples) / c->n_samples;
out:
    hbg_exec_free(ex);
    hbg_graph_free(q);
    free(y);
    free(cs);
    return st;
}

static hbg_status method_default(calib_ctx *c, hbc_calib_table *out)
{
    hbc_calib_table cand[CAND_COUNT] = {{0}};
    double score[CAND_COUNT] = {0};
    hbg_status st = HBG_OK;
    int best = 0;
    for (int k = 0; k < CAND_COUNT && st == HBG_OK; k++) {
        choose_candidate(c, k);
        if ((st = finish_table(c, &cand[k])) == HBG_OK &&
            (st = score_table(c, &cand[k], &score[k])) == HBG_OK)
            HBC_LOGI(c->lg, "calibration default: %s gives output cosine %.6f", k_cand_name[k],
                     score[k]);
        if (st == HBG_OK && score[k] > score[best]) /* strict: earlier candidates win ties */
            best = k;
    }
    if (st == HBG_OK) {
        HBC_LOGI(c->lg, "Select %s method.", k_cand_name[best]);
        *out = cand[best];
        cand[best] = (hbc_calib_table){0};
    }
    for (int k = 0; k < CAND_COUNT; k++)
        hbc_calib_table_free(&cand[k]);
    return st;
}

static hbg_status method_mix(calib_ctx *c, hbc_calib_table *out)
{
    int count[CAND_COUNT] = {0};
    for (int i = 0; i < c->n_act; i++) {
        calib_act *a = &c->a[i];
        double best_e = INFINITY;
        int best = 0;
        for (int k = 0; k < CAND_COUNT; k++) {
            double e = sorted_sum(a->sq_err + (size_t)k * (size_t)c->n_samples, c->n_samples);
            if (a->cand[k] >= T_TINY && e < best_e) {
                best_e = e;
                best = k;
            }
        }
        a->thr = a->cand[best];
        a->method = best == CAND_KL ? HBC_CALIB_KL : HBC_CALIB_MAX;
        count[best]++;
        HBC_LOGD(c->lg, "calibration mix: tensor '%s' uses %s (T = %g)", c->g->tensors[a->t]->name,
                 k_cand_name[best], a->thr);
    }
    HBC_LOGI(c->lg, "calibration mix: %d tensors use max, %d max-percentile %g, %d kl",
             count[CAND_MAX], count[CAND_PCT], CAND_PERCENTILE, count[CAND_KL]);
    return finish_table(c, out);
}

/* ---- entry point --------------------------------------------------------------------------- */

static hbg_status check_options(const hbc_calib_options *o, int n_samples,
                                const float *const *const *samples, char *err, size_t errlen)
{
    if (!o || (int)o->method < 0 || o->method >= HBC_CALIB_METHOD_COUNT)
        return calib_fail(err, errlen, HBG_E_INVALID, "calibration_type: unknown method");
    if (o->per_channel)
        return calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                          "per_channel: True (per-channel featuremap calibration) is not "
                          "supported: activations are quantised per tensor");
    if (!(o->max_percentile > 0.0 && o->max_percentile <= 1.0))
        return calib_fail(err, errlen, HBG_E_INVALID, "max_percentile %g is outside (0, 1]",
                          o->max_percentile);
    if (o->max_percentile != 1.0 && o->method != HBC_CALIB_MAX)
        return calib_fail(err, errlen, HBG_E_INVALID,
                          "max_percentile applies to calibration_type max only, not %s",
                          hbc_calib_method_name(o->method));
    if (o->method == HBC_CALIB_SKIP && o->skip_samples < 1)
        return calib_fail(err, errlen, HBG_E_INVALID, "skip needs at least one random sample");
    if (n_samples < 0 || (n_samples > 0 && !samples))
        return calib_fail(err, errlen, HBG_E_INVALID, "no calibration samples given");
    if (n_samples == 0 && o->method != HBC_CALIB_SKIP && o->method != HBC_CALIB_LOAD)
        return calib_fail(err, errlen, HBG_E_INVALID,
                          "calibration_type %s needs calibration samples; none given",
                          hbc_calib_method_name(o->method));
    return HBG_OK;
}

/* Uniform floats in [-1, 1) from splitmix64: skip's stand-in for data. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static hbg_status make_random_samples(calib_ctx *c, float ***flat, float ****rows)
{
    const hbg_graph *g = c->g;
    int n = c->opt->skip_samples;
    uint64_t seed = c->opt->seed;
    *flat = calloc((size_t)n * (size_t)g->n_inputs + 1, sizeof **flat);
    *rows = calloc((size_t)n + 1, sizeof **rows);
    if (!*flat || !*rows)
        return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
    for (int s = 0; s < n; s++) {
        (*rows)[s] = *flat + (size_t)s * (size_t)g->n_inputs;
        for (int i = 0; i < g->n_inputs; i++) {
            int64_t m = hbg_tensor_numel(g->tensors[g->inputs[i]]);
            float *v = malloc(((size_t)m + 1) * sizeof *v);
            if (!v)
                return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
            (*rows)[s][i] = v;
            for (int64_t j = 0; j < m; j++)
                v[j] = (float)((double)(splitmix64(&seed) >> 11) * 0x1p-52 - 1.0);
        }
    }
    c->n_samples = n;
    c->samples = (const float *const *const *)*rows;
    return HBG_OK;
}

static hbg_status alloc_stats(calib_ctx *c)
{
    long long n_total;
    for (int i = 0; i < c->n_act; i++) {
        calib_act *a = &c->a[i];
        if (c->pct < 1.0) {
            n_total = (long long)a->numel * c->n_samples;
            long long m = n_total - hbc_calib_percentile_rank(c->pct, n_total) + 1;
            if (m > TOPK_LIMIT)
                return calib_fail(c->err, c->errlen, HBG_E_UNSUPPORTED,
                                  "tensor '%s': percentile %g over %lld values needs %lld "
                                  "values kept (limit %lld); use fewer samples or a higher "
                                  "percentile",
                                  c->g->tensors[a->t]->name, c->pct, n_total, m, TOPK_LIMIT);
            if (calib_topk_init(&a->top, m) != HBG_OK)
                return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
        }
        if (c->want_hist && !(a->hist = calloc(HBC_CALIB_BINS, sizeof *a->hist)))
            return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
    }
    if (c->want_ref) {
        c->ref_len = 0;
        for (int i = 0; i < c->g->n_outputs; i++)
            if (c->g->tensors[c->g->outputs[i]]->dtype == HBG_DT_F32)
                c->ref_len += hbg_tensor_numel(c->g->tensors[c->g->outputs[i]]);
        c->ref = calloc((size_t)c->n_samples + 1, sizeof *c->ref);
        if (!c->ref)
            return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
        for (int s = 0; s < c->n_samples; s++)
            if (!(c->ref[s] = malloc(((size_t)c->ref_len + 1) * sizeof(float))))
                return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
    }
    return HBG_OK;
}

/* Load: pairs give thresholds; tensors no pair (or group) covers come from max over the
 * samples, which must then exist. */
static hbg_status method_load(calib_ctx *c)
{
    hbg_graph *g = c->g;
    double *thr = calloc((size_t)g->n_tensors + 1, sizeof *thr), *gthr = NULL;
    unsigned char *is_act = calloc((size_t)g->n_tensors + 1, 1);
    hbg_status st = HBG_OK;
    int uncovered = 0, first = -1;
    if (!thr || !is_act || !(gthr = calloc((size_t)c->n_act + 1, sizeof *gthr))) {
        st = calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < c->n_act; i++)
        is_act[c->a[i].t] = 1;
    if ((st = calib_load_thresholds(g, is_act, thr, c->lg, c->err, c->errlen)) != HBG_OK)
        goto out;
    for (int i = 0; i < c->n_act; i++) {
        int r = uf_find(c->group, i);
        double t = thr[c->a[i].t];
        if (t > 0.0 && gthr[r] > 0.0 && fabs(t - gthr[r]) > 1e-6 * gthr[r])
            HBC_LOGW(c->lg,
                     "tensor '%s': QAT threshold %.9g differs from %.9g of a tensor sharing its "
                     "scale; the larger is kept",
                     g->tensors[c->a[i].t]->name, t, gthr[r]);
        gthr[r] = t > gthr[r] ? t : gthr[r];
    }
    for (int i = 0; i < c->n_act; i++) {
        int r = uf_find(c->group, i);
        c->a[i].thr = gthr[r];
        c->a[i].method = gthr[r] > 0.0 ? HBC_CALIB_LOAD : HBC_CALIB_MAX;
        if (gthr[r] > 0.0)
            continue;
        uncovered++;
        first = first < 0 ? i : first;
    }
    if (uncovered && c->n_samples == 0) {
        st = calib_fail(c->err, c->errlen, HBG_E_INVALID,
                        "calibration_type load: tensor '%s' (from %s) has no "
                        "QuantizeLinear/DequantizeLinear pair and no calibration samples were "
                        "given to calibrate it",
                        g->tensors[c->a[first].t]->name, producer_label(c, c->a[first].t));
        goto out;
    }
    if (uncovered) {
        HBC_LOGW(c->lg,
                 "calibration_type load: %d activation tensors (first '%s') have no "
                 "QuantizeLinear/DequantizeLinear pair; their thresholds come from max over "
                 "the %d samples",
                 uncovered, g->tensors[c->a[first].t]->name, c->n_samples);
        if ((st = run_pass(c, "(max for uncovered tensors)", visit_stats, NULL)) != HBG_OK)
            goto out;
        for (int i = 0; i < c->n_act; i++)
            if (c->a[i].method == HBC_CALIB_MAX)
                c->a[i].thr = c->a[i].absmax;
    }
out:
    free(thr);
    free(gthr);
    free(is_act);
    return st;
}

static hbg_status calibrate(calib_ctx *c, hbc_calib_table *out)
{
    const hbc_calib_options *o = c->opt;
    hbg_status st;
    hbc_calib_method m = o->method == HBC_CALIB_SKIP ? HBC_CALIB_MAX : o->method;
    if (m == HBC_CALIB_LOAD) {
        if ((st = method_load(c)) != HBG_OK)
            return st;
        return finish_table(c, out);
    }
    int multi = m == HBC_CALIB_DEFAULT || m == HBC_CALIB_MIX;
    c->pct = multi ? CAND_PERCENTILE : m == HBC_CALIB_MAX ? o->max_percentile : 1.0;
    c->want_hist = multi || m == HBC_CALIB_KL;
    c->want_ref = m == HBC_CALIB_DEFAULT;
    if ((st = alloc_stats(c)) != HBG_OK)
        return st;
    HBC_LOGI(c->lg, "calibration %s: %d activation tensors, %d samples",
             hbc_calib_method_name(o->method), c->n_act, c->n_samples);
    if ((st = run_pass(c, "pass 1 (range)", visit_stats, c->want_ref ? keep_ref : NULL)) != HBG_OK)
        return st;
    if (c->want_hist && (st = run_pass(c, "pass 2 (histogram)", visit_hist, NULL)) != HBG_OK)
        return st;
    for (int i = 0; i < c->n_act; i++) {
        calib_act *a = &c->a[i];
        a->cand[CAND_MAX] = a->absmax;
        a->cand[CAND_PCT] = a->top.m ? calib_topk_min(&a->top) : a->absmax;
        a->cand[CAND_KL] = c->want_hist ? kl_threshold(a) : 0.0;
    }
    if (m == HBC_CALIB_MAX || m == HBC_CALIB_KL) {
        choose_candidate(c, m == HBC_CALIB_KL ? CAND_KL : c->pct < 1.0 ? CAND_PCT : CAND_MAX);
        return finish_table(c, out);
    }
    if (m == HBC_CALIB_DEFAULT)
        return method_default(c, out);
    for (int i = 0; i < c->n_act; i++)
        if (!(c->a[i].sq_err =
                  calloc((size_t)CAND_COUNT * (size_t)c->n_samples + 1, sizeof(double))))
            return calib_fail(c->err, c->errlen, HBG_E_NOMEM, "out of memory");
    if ((st = run_pass(c, "pass 3 (per-tensor error)", visit_err, NULL)) != HBG_OK)
        return st;
    return method_mix(c, out);
}

hbg_status hbc_calibrate(hbg_graph *g, int n_samples, const float *const *const *samples,
                         const hbc_calib_options *opt, const hbc_logger *lg, hbc_calib_table *out,
                         char *err, size_t errlen)
{
    calib_ctx c = {.g = g,
                   .opt = opt,
                   .lg = lg,
                   .err = err,
                   .errlen = errlen,
                   .n_samples = n_samples,
                   .samples = samples,
                   .pct = 1.0};
    float **rnd_flat = NULL, ***rnd_rows = NULL;
    hbg_status st;
    if (err && errlen)
        err[0] = '\0';
    if (!g || !out)
        return calib_fail(err, errlen, HBG_E_INVALID, "no graph or no table");
    if ((st = check_options(opt, n_samples, samples, err, errlen)) != HBG_OK)
        return st;
    if (hbg_exec_create(g, &c.ex) != HBG_OK) {
        st = calib_fail(err, errlen, HBG_E_INVALID, "float executor: %s", g->err);
        goto out;
    }
    for (int i = 0; i < g->n_inputs; i++)
        if (g->tensors[g->inputs[i]]->dtype != HBG_DT_F32) {
            st = calib_fail(err, errlen, HBG_E_UNSUPPORTED,
                            "graph input '%s' is %s; calibration feeds float inputs only",
                            g->tensors[g->inputs[i]]->name,
                            hbg_dtype_name(g->tensors[g->inputs[i]]->dtype));
            goto out;
        }
    if ((st = find_activations(&c)) != HBG_OK || (st = build_groups(&c)) != HBG_OK)
        goto out;
    if (opt->method == HBC_CALIB_SKIP) {
        HBC_LOGW(lg,
                 "calibration_type skip: thresholds come from max over %d random sample(s) "
                 "(uniform [-1, 1), seed %llu); the model is for performance checks only, its "
                 "accuracy is meaningless",
                 opt->skip_samples, opt->seed);
        if ((st = make_random_samples(&c, &rnd_flat, &rnd_rows)) != HBG_OK)
            goto out;
    }
    st = calibrate(&c, out);
out:
    if (st != HBG_OK)
        hbc_calib_table_free(out);
    hbg_exec_free(c.ex);
    for (int i = 0; c.a && i < c.n_act; i++) {
        free(c.a[i].hist);
        free(c.a[i].sq_err);
        calib_topk_free(&c.a[i].top);
    }
    for (int s = 0; c.ref && s < c.n_samples; s++)
        free(c.ref[s]);
    for (int s = 0; rnd_flat && s < opt->skip_samples * g->n_inputs; s++)
        free(rnd_flat[s]);
    free(rnd_flat);
    free(rnd_rows);
    free(c.ref);
    free(c.a);
    free(c.act_of);
    free(c.group);
    return st;
}
