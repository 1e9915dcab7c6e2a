/* hbc_calib_equalize(): per-channel activation equalisation across a Conv -> depthwise Conv pair
 * (docs/calibration.md, "Channel equalisation").
 *
 * Activations are quantised per tensor (ARCHITECTURE section 4), so a channel whose values span a
 * tenth of the tensor's range uses a tenth of the int8 levels. When a tensor X is written by a
 * Conv P (optionally through a Relu) and read only by depthwise Convs, scaling channel c of X by
 * s_c > 0 is free: P's output channel c (weights and bias) is multiplied by s_c, Relu commutes
 * with a positive factor, and each reader divides its channel-c weights by s_c. Both weight
 * tensors are quantised per output channel, and a per-channel factor moves a channel's scale with
 * its values, so no weight rounds differently (to float precision); only X gains resolution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calib_priv.h"
#include "hbc/passes.h"
#include "hbg/exec.h"

/* One equalisable tensor: its producer conv, the tensor the readers read, channel count. */
typedef struct eq_cand {
    int prod; /* node index of the Conv writing the channels */
    int t;    /* tensor index of X (the Conv's output, or its fused Relu's) */
    int64_t c;
    float *amax; /* per-channel max |x| over the samples */
} eq_cand;

/* Number of node inputs that read tensor t. */
static int readers_of(const hbg_graph *g, int t)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            n += g->nodes[i].in[k] == t;
    return n;
}

/* Constant float tensor of the given rank at input k of node n, read by that input alone. */
static int private_const(const hbg_graph *g, const hbg_node *n, int k, int rank)
{
    if (k >= n->n_in || n->in[k] < 0)
        return 0;
    const hbg_tensor *w = g->tensors[n->in[k]];
    return w->is_const && w->data && w->dtype == HBG_DT_F32 && w->rank == rank &&
           readers_of(g, n->in[k]) == 1;
}

/* A depthwise Conv (one input channel per output channel, multiplier 1) over c channels reading t
 * as its data input only, with private constant weights. */
static int dw_reader(const hbg_graph *g, const hbg_node *n, int t, int64_t c)
{
    if (n->op != HBG_OP_CONV || n->in[0] != t || hbg_attr_int(n, "group", 1) != c)
        return 0;
    for (int k = 1; k < n->n_in; k++)
        if (n->in[k] == t)
            return 0;
    if (!private_const(g, n, 1, 4))
        return 0;
    const hbg_tensor *w = g->tensors[n->in[1]];
    return w->dims[0] == c && w->dims[1] == 1;
}

/* Is node i the producer of an equalisable tensor? Fills the candidate (amax not allocated). */
static int find_cand(const hbg_graph *g, int i, eq_cand *e)
{
    const hbg_node *p = &g->nodes[i];
    if (p->op != HBG_OP_CONV || p->n_out != 1 || !private_const(g, p, 1, 4) ||
        (p->n_in > 2 && p->in[2] >= 0 && !private_const(g, p, 2, 1)))
        return 0;
    int t = p->out[0];
    int a = hbc_fused_act(g, i);
    if (a >= 0) {
        if (g->nodes[a].op != HBG_OP_RELU) /* Clip bounds do not commute with a factor */
            return 0;
        t = g->nodes[a].out[0];
    }
    const hbg_tensor *x = g->tensors[t];
    if (x->is_output || x->rank != 4 || x->dtype != HBG_DT_F32 || x->dims[1] < 2)
        return 0;
    int n_read = 0;
    for (int r = 0; r < g->n_nodes; r++) {
        const hbg_node *n = &g->nodes[r];
        int reads = 0;
        for (int k = 0; k < n->n_in; k++)
            reads |= n->in[k] == t || (a >= 0 && n->in[k] == p->out[0] && r != a);
        if (!reads)
            continue;
        if (!dw_reader(g, n, t, x->dims[1]))
            return 0;
        n_read++;
    }
    if (n_read == 0)
        return 0;
    e->prod = i;
    e->t = t;
    e->c = x->dims[1];
    e->amax = NULL;
    return 1;
}

/* Multiply row c (the c-th slice of the first dimension) of constant tensor w by f. */
static void scale_row(hbg_tensor *w, int64_t c, double f)
{
    int64_t per = hbg_tensor_numel(w) / w->dims[0];
    float *v = (float *)w->data + c * per;
    for (int64_t i = 0; i < per; i++)
        v[i] = (float)((double)v[i] * f);
}

hbg_status hbc_calib_equalize(hbg_graph *g, int n_samples, const float *const *const *samples,
                              double max_scale, const hbc_logger *lg, int *n_equalized, char *err,
                              size_t errlen)
{
    eq_cand *cand = NULL;
    hbg_exec *ex = NULL;
    int n_cand = 0, done = 0;
    hbg_status st = HBG_OK;
    if (err && errlen)
        err[0] = '\0';
    if (n_equalized)
        *n_equalized = 0;
    if (!g || n_samples < 1 || !samples || !(max_scale >= 1.0))
        return calib_fail(err, errlen, HBG_E_INVALID,
                          "channel equalisation needs a graph, >= 1 sample and a factor >= 1");
    /* shapes first: the executor infers them */
    if (hbg_exec_create(g, &ex) != HBG_OK)
        return calib_fail(err, errlen, HBG_E_INVALID, "float executor: %s", g->err);
    if (!(cand = calloc((size_t)g->n_nodes + 1, sizeof *cand))) {
        st = calib_fail(err, errlen, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (find_cand(g, i, &cand[n_cand])) {
            if (!(cand[n_cand].amax = calloc((size_t)cand[n_cand].c, sizeof(float)))) {
                st = calib_fail(err, errlen, HBG_E_NOMEM, "out of memory");
                goto out;
            }
            n_cand++;
        }
    if (n_cand == 0)
        goto out;
    for (int s = 0; s < n_samples; s++) {
        for (int i = 0; i < g->n_inputs; i++) {
            hbg_tensor *t = g->tensors[g->inputs[i]];
            memcpy(t->data, samples[s][i], (size_t)hbg_tensor_numel(t) * sizeof(float));
        }
        if (hbg_exec_run(ex) != HBG_OK) {
            st = calib_fail(err, errlen, HBG_E_INVALID, "float executor: %s", g->err);
            goto out;
        }
        for (int k = 0; k < n_cand; k++) {
            const hbg_tensor *x = g->tensors[cand[k].t];
            const int64_t c = cand[k].c, hw = x->dims[2] * x->dims[3];
            const float *v = x->data;
            for (int64_t b = 0; b < x->dims[0]; b++)
                for (int64_t ch = 0; ch < c; ch++, v += hw)
                    for (int64_t j = 0; j < hw; j++) {
                        float a = fabsf(v[j]);
                        if (!(a <= 3.0e38f)) {
                            st = calib_fail(err, errlen, HBG_E_INVALID,
                                            "tensor '%s' holds NaN or Inf on calibration sample %d",
                                            x->name, s);
                            goto out;
                        }
                        if (a > cand[k].amax[ch])
                            cand[k].amax[ch] = a;
                    }
        }
        if (s == 0 || s + 1 == n_samples)
            HBC_LOGI(lg, "channel equalisation: %d/%d samples", s + 1, n_samples);
    }
    /* the executor owns the activations' buffers, not the constants: free it before editing */
    hbg_exec_free(ex);
    ex = NULL;
    for (int k = 0; k < n_cand; k++) {
        const eq_cand *e = &cand[k];
        const hbg_node *p = &g->nodes[e->prod];
        float top = 0.0f;
        int scaled = 0;
        for (int64_t ch = 0; ch < e->c; ch++)
            top = e->amax[ch] > top ? e->amax[ch] : top;
        for (int64_t ch = 0; ch < e->c; ch++) {
            /* a channel never seen non-zero keeps its values: nothing says where they lie */
            if (!(e->amax[ch] > 0.0f))
                continue;
            double f = (double)top / (double)e->amax[ch];
            f = f > max_scale ? max_scale : f;
            if (f <= 1.0)
                continue;
            scale_row(g->tensors[p->in[1]], ch, f);
            if (p->n_in > 2 && p->in[2] >= 0)
                scale_row(g->tensors[p->in[2]], ch, f);
            for (int r = 0; r < g->n_nodes; r++)
                if (g->nodes[r].op == HBG_OP_CONV && g->nodes[r].in[0] == e->t)
                    scale_row(g->tensors[g->nodes[r].in[1]], ch, 1.0 / f);
            scaled++;
        }
        HBC_LOGD(lg, "channel equalisation: %s (%lld channels, %d scaled up to %gx)",
                 g->tensors[e->t]->name, (long long)e->c, scaled, max_scale);
        done += scaled > 0;
    }
    HBC_LOGI(lg, "channel equalisation: %d of %d Conv -> depthwise Conv tensors equalised", done,
             n_cand);
    if (n_equalized)
        *n_equalized = done;
out:
    hbg_exec_free(ex);
    for (int k = 0; cand && k < n_cand; k++)
        free(cand[k].amax);
    free(cand);
    return st;
}
