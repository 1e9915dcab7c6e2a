/* The operators of HBC_QUANT_DOMAIN in plain scalar C, one infer/run pair each, exactly as
 * docs/quantized-ops.md specifies them. Infer validates every attribute a file can carry (a
 * hostile file gets an error naming the node, never undefined behaviour at run time); run only
 * computes. Clarity over speed: this is the reference the simulator is compared with. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bpu/numerics.h"
#include "qexec_priv.h"

/* Parameters of every op, parsed once by infer into node->params. */
typedef struct qparams {
    hbc_qgeom g; /* Conv, AveragePool */
    int64_t group;
    int out_int32;
    int8_t lo, hi;
    int8_t pad_value; /* Conv: what padded taps read (0, or -127 for an unsigned input) */
    uint32_t shift;   /* one shift: Add/Sub/Mul/Rescale/GlobalAveragePool */
    int32_t m1, m2;   /* multipliers of Add/Sub (m1, m2), Mul/Rescale/GlobalAveragePool (m1) */
    double scale;     /* Quantize */
    int64_t n;        /* per-channel arrays' length */
    int32_t *mult;    /* per output channel (Conv, Gemm) or per count (AveragePool) */
    uint32_t *shifts;
    int64_t *counts; /* AveragePool: the window counts mult/shifts belong to */
    float *scales;   /* Dequantize */
    int8_t table[256];
} qparams;

/* One allocation (node->params is released with a single free()): the struct, then n entries
 * of each per-channel array. */
static qparams *params_new(hbg_kctx *k, int64_t n)
{
    if (n < 0 || n > (1 << 24))
        return NULL;
    const size_t per = sizeof(int64_t) + sizeof(int32_t) + sizeof(uint32_t) + sizeof(float);
    qparams *p = calloc(1, sizeof *p + (size_t)n * per);
    if (!p)
        return NULL;
    p->n = n;
    p->counts = (int64_t *)(void *)(p + 1);
    p->mult = (int32_t *)(void *)(p->counts + n);
    p->shifts = (uint32_t *)(void *)(p->mult + n);
    p->scales = (float *)(void *)(p->shifts + n);
    free(k->node->params);
    k->node->params = p;
    return p;
}

/* ---- attribute readers ----------------------------------------------------------------- */

static hbg_status need_int(hbg_kctx *k, const char *name, int64_t lo, int64_t hi, int64_t *v)
{
    *v = 0; /* defined on every path */
    const hbg_attr *a = hbg_node_attr(k->node, name);
    if (!a || a->type != HBG_ATTR_INT)
        return hbg_kfail(k, HBG_E_INVALID, "needs the int attribute '%s'", name);
    if (a->i < lo || a->i > hi)
        return hbg_kfail(k, HBG_E_INVALID, "attribute '%s' = %lld is outside [%lld, %lld]", name,
                         (long long)a->i, (long long)lo, (long long)hi);
    *v = a->i;
    return HBG_OK;
}

/* An optional int attribute: dflt when absent, else as need_int. */
static hbg_status opt_int(hbg_kctx *k, const char *name, int64_t lo, int64_t hi, int64_t dflt,
                          int64_t *v)
{
    if (!hbg_node_attr(k->node, name)) {
        *v = dflt;
        return HBG_OK;
    }
    return need_int(k, name, lo, hi, v);
}

/* lo/hi clamp pair in int8, lo <= hi. */
static hbg_status need_clamp(hbg_kctx *k, qparams *p)
{
    int64_t lo, hi;
    hbg_status st;
    if ((st = need_int(k, "lo", -128, 127, &lo)) != HBG_OK ||
        (st = need_int(k, "hi", -128, 127, &hi)) != HBG_OK)
        return st;
    if (lo > hi)
        return hbg_kfail(k, HBG_E_INVALID, "lo %lld > hi %lld", (long long)lo, (long long)hi);
    p->lo = (int8_t)lo;
    p->hi = (int8_t)hi;
    return HBG_OK;
}

/* A legal (M, r) pair from attributes mname/"shift". */
static hbg_status need_mult(hbg_kctx *k, const char *mname, int32_t *m, uint32_t *r)
{
    int64_t mv, rv;
    hbg_status st;
    if ((st = need_int(k, mname, BPU_M_MIN, BPU_M_LIMIT - 1, &mv)) != HBG_OK ||
        (st = need_int(k, "shift", BPU_SHIFT_MIN, BPU_SHIFT_MAX, &rv)) != HBG_OK)
        return st;
    *m = (int32_t)mv;
    *r = (uint32_t)rv;
    return HBG_OK;
}

/* Per-channel (M, r) arrays "multiplier"/"shift" of n entries. */
static hbg_status need_mults(hbg_kctx *k, qparams *p, int64_t n)
{
    const int64_t *m = NULL, *r = NULL;
    if (hbg_attr_ints(k->node, "multiplier", &m) != n || hbg_attr_ints(k->node, "shift", &r) != n)
        return hbg_kfail(k, HBG_E_INVALID, "needs %lld values in 'multiplier' and 'shift'",
                         (long long)n);
    for (int64_t i = 0; i < n; i++) {
        if (!bpu_multiplier_ok(m[i], r[i]))
            return hbg_kfail(k, HBG_E_INVALID,
                             "multiplier[%lld] = %lld, shift[%lld] = %lld: need M in [2^30, "
                             "2^31) and shift in [1, 62]",
                             (long long)i, (long long)m[i], (long long)i, (long long)r[i]);
        p->mult[i] = (int32_t)m[i];
        p->shifts[i] = (uint32_t)r[i];
    }
    return HBG_OK;
}

static hbg_status need_type(hbg_kctx *k, int i, hbg_dtype dt, int rank)
{
    const hbg_tensor *t = k->n_in > i ? k->in[i] : NULL;
    if (!t)
        return hbg_kfail(k, HBG_E_INVALID, "input %d is missing", i);
    if (t->dtype != dt || (rank >= 0 && t->rank != rank))
        return hbg_kfail(k, HBG_E_INVALID, "input %d ('%s') must be %s of rank %d", i, t->name,
                         hbg_dtype_name(dt), rank);
    return HBG_OK;
}

static hbg_status set_out(hbg_kctx *k, hbg_dtype dt, int rank, const int64_t *dims)
{
    if (k->n_out != 1)
        return hbg_kfail(k, HBG_E_INVALID, "must have one output");
    hbg_status st = hbg_tensor_set_shape(k->out[0], dt, rank, dims);
    return st == HBG_OK ? st : hbg_kfail(k, st, "cannot set the output shape");
}

/* Spatial attributes (kernel_shape or the weight's, strides, dilations, pads) of a 2-D op. */
static hbg_status spatial(hbg_kctx *k, qparams *p, const int64_t *kern)
{
    const int64_t *v = NULL;
    int n;
    for (int a = 0; a < 2; a++) {
        p->g.k[a] = kern[a];
        p->g.s[a] = p->g.d[a] = 1;
        p->g.pb[a] = p->g.pe[a] = 0;
    }
    if ((n = hbg_attr_ints(k->node, "strides", &v)) >= 0) {
        if (n != 2)
            return hbg_kfail(k, HBG_E_INVALID, "strides needs 2 values");
        p->g.s[0] = v[0], p->g.s[1] = v[1];
    }
    if ((n = hbg_attr_ints(k->node, "dilations", &v)) >= 0) {
        if (n != 2)
            return hbg_kfail(k, HBG_E_INVALID, "dilations needs 2 values");
        p->g.d[0] = v[0], p->g.d[1] = v[1];
    }
    if ((n = hbg_attr_ints(k->node, "pads", &v)) >= 0) {
        if (n != 4)
            return hbg_kfail(k, HBG_E_INVALID, "pads needs 4 values");
        p->g.pb[0] = v[0], p->g.pb[1] = v[1], p->g.pe[0] = v[2], p->g.pe[1] = v[3];
    }
    for (int a = 0; a < 2; a++)
        if (p->g.k[a] < 1 || p->g.k[a] > 65536 || p->g.s[a] < 1 || p->g.s[a] > 65536 ||
            p->g.d[a] < 1 || p->g.d[a] > 65536 || p->g.pb[a] < 0 || p->g.pb[a] > 65536 ||
            p->g.pe[a] < 0 || p->g.pe[a] > 65536)
            return hbg_kfail(k, HBG_E_INVALID,
                             "kernel, strides, dilations in [1, 65536] and pads in [0, 65536]");
    return HBG_OK;
}

const hbc_qgeom *hbc_qop_geom(const hbg_node *n)
{
    return &((const qparams *)n->params)->g;
}

int64_t hbc_qgeom_out_len(const hbc_qgeom *g, int64_t in, int a, int ceil_mode)
{
    int64_t ext = (g->k[a] - 1) * g->d[a] + 1;
    int64_t span = in + g->pb[a] + g->pe[a] - ext;
    if (span < 0)
        return -1;
    int64_t o = (ceil_mode ? span + g->s[a] - 1 : span) / g->s[a] + 1;
    if (ceil_mode && (o - 1) * g->s[a] >= in + g->pb[a])
        o--;
    return o;
}

/* ---- Quantize / Dequantize ------------------------------------------------------------ */

static hbg_status quantize_infer(hbg_kctx *k)
{
    hbg_status st;
    const hbg_attr *a = hbg_node_attr(k->node, "scale");
    if ((st = need_type(k, 0, HBG_DT_F32, -1)) != HBG_OK)
        return st;
    if (!a || a->type != HBG_ATTR_FLOAT || !(a->f > 0.0f) || !isfinite(a->f))
        return hbg_kfail(k, HBG_E_INVALID, "needs a finite float attribute 'scale' > 0");
    qparams *p = params_new(k, 0);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->scale = (double)a->f;
    return set_out(k, HBG_DT_I8, k->in[0]->rank, k->in[0]->dims);
}

static hbg_status quantize_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const float *x = k->in[0]->data;
    int8_t *y = k->out[0]->data;
    int64_t n = hbg_tensor_numel(k->in[0]);
    for (int64_t i = 0; i < n; i++)
        y[i] = (int8_t)hbc_quant_round_sat((double)x[i] / p->scale, -128, 127);
    return HBG_OK;
}

static hbg_status dequantize_infer(hbg_kctx *k)
{
    const hbg_tensor *x = k->n_in > 0 ? k->in[0] : NULL;
    const float *s = NULL;
    if (!x || (x->dtype != HBG_DT_I8 && x->dtype != HBG_DT_I32))
        return hbg_kfail(k, HBG_E_INVALID, "input 0 must be int8 or int32");
    int n = hbg_attr_floats(k->node, "scales", &s);
    if (n != 1 && !(x->rank >= 2 && n == x->dims[1]))
        return hbg_kfail(k, HBG_E_INVALID,
                         "'scales' needs 1 value or one per channel (dimension 1)");
    qparams *p = params_new(k, n);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        if (!(s[i] > 0.0f) || !isfinite(s[i]))
            return hbg_kfail(k, HBG_E_INVALID, "scales[%d] must be finite and > 0", i);
        p->scales[i] = s[i];
    }
    return set_out(k, HBG_DT_F32, x->rank, x->dims);
}

static hbg_status dequantize_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const hbg_tensor *x = k->in[0];
    float *y = k->out[0]->data;
    const int64_t n = hbg_tensor_numel(x), c = p->n > 1 ? x->dims[1] : 1;
    if (n == 0)
        return HBG_OK;
    const int64_t inner = c > 1 ? n / (x->dims[0] * c) : n;
    for (int64_t i = 0; i < n; i++) {
        double v = x->dtype == HBG_DT_I8 ? (double)((const int8_t *)x->data)[i]
                                         : (double)((const int32_t *)x->data)[i];
        int64_t ch = c > 1 ? (i / inner) % c : 0;
        y[i] = (float)(v * (double)p->scales[ch]);
    }
    return HBG_OK;
}

/* ---- Conv / Gemm -------------------------------------------------------------------------- */

/* Every output channel's accumulator must fit int32: |b| + 128 * sum|w| <= 2^31 - 1, so that the
 * int32 accumulator of the contract never wraps and int64 arithmetic gives the same value. */
static hbg_status check_acc_bound(hbg_kctx *k, const int8_t *w, const int32_t *b, int64_t kout,
                                  int64_t per)
{
    for (int64_t o = 0; o < kout; o++) {
        int64_t s = b[o] < 0 ? -(int64_t)b[o] : b[o];
        for (int64_t i = 0; i < per; i++)
            s += 128 * (int64_t)abs(w[o * per + i]);
        if (s > INT32_MAX)
            return hbg_kfail(k, HBG_E_UNSUPPORTED,
                             "output channel %lld can overflow the int32 accumulator",
                             (long long)o);
    }
    return HBG_OK;
}

/* Requantisation attributes shared by Conv and Gemm, for kout output channels. */
static hbg_status acc_out_attrs(hbg_kctx *k, qparams *p, int64_t kout)
{
    int64_t o32;
    hbg_status st;
    if ((st = need_int(k, "out_int32", 0, 1, &o32)) != HBG_OK)
        return st;
    p->out_int32 = (int)o32;
    if (o32)
        return HBG_OK;
    if ((st = need_clamp(k, p)) != HBG_OK)
        return st;
    return need_mults(k, p, kout);
}

static hbg_status conv_infer(hbg_kctx *k)
{
    hbg_status st;
    if ((st = need_type(k, 0, HBG_DT_I8, 4)) != HBG_OK ||
        (st = need_type(k, 1, HBG_DT_I8, 4)) != HBG_OK ||
        (st = need_type(k, 2, HBG_DT_I32, 1)) != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0], *w = k->in[1], *b = k->in[2];
    if (!w->data || !b->data)
        return hbg_kfail(k, HBG_E_INVALID, "weights and bias must be constants");
    const int64_t kout = w->dims[0];
    qparams *p = params_new(k, kout);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    int64_t pad_value;
    if ((st = need_int(k, "group", 1, 1 << 20, &p->group)) != HBG_OK ||
        (st = spatial(k, p, w->dims + 2)) != HBG_OK || (st = acc_out_attrs(k, p, kout)) != HBG_OK ||
        (st = opt_int(k, "pad_value", -128, 127, 0, &pad_value)) != HBG_OK)
        return st;
    p->pad_value = (int8_t)pad_value;
    if (kout < 1 || kout % p->group || x->dims[1] != w->dims[1] * p->group || b->dims[0] != kout)
        return hbg_kfail(k, HBG_E_SHAPE,
                         "input channels %lld, weight %lldx%lld, group %lld and bias %lld do not "
                         "match",
                         (long long)x->dims[1], (long long)w->dims[0], (long long)w->dims[1],
                         (long long)p->group, (long long)b->dims[0]);
    if ((st = check_acc_bound(k, w->data, b->data, kout, w->dims[1] * w->dims[2] * w->dims[3])) !=
        HBG_OK)
        return st;
    int64_t dims[4] = {x->dims[0], kout, hbc_qgeom_out_len(&p->g, x->dims[2], 0, 0),
                       hbc_qgeom_out_len(&p->g, x->dims[3], 1, 0)};
    if (dims[2] < 1 || dims[3] < 1)
        return hbg_kfail(k, HBG_E_SHAPE, "the kernel exceeds the padded input");
    if (dims[2] > (1 << 28) / dims[3])
        return hbg_kfail(k, HBG_E_SHAPE, "output plane of %lld x %lld is too large",
                         (long long)dims[2], (long long)dims[3]);
    k->node->scratch = (size_t)(dims[2] * dims[3]) * sizeof(int32_t);
    return set_out(k, p->out_int32 ? HBG_DT_I32 : HBG_DT_I8, 4, dims);
}

/* Output positions o in [*lo, *hi] of one axis whose tap o * s + off falls inside [0, in);
 * *lo > *hi when none does. */
static void tap_range(int64_t out, int64_t in, int64_t s, int64_t off, int64_t *lo, int64_t *hi)
{
    *lo = off >= 0 ? 0 : (-off + s - 1) / s;
    *hi = in - 1 - off < 0 ? -1 : (in - 1 - off) / s;
    if (*hi > out - 1)
        *hi = out - 1;
}

/* Add wv * v to the positions of an OH x OW plane outside rows [oh0, oh1] x columns [ow0, ow1]
 * (the positions where a tap falls in the padding). */
static void add_outside(int32_t *acc, int64_t OH, int64_t OW, int64_t oh0, int64_t oh1, int64_t ow0,
                        int64_t ow1, int32_t wv)
{
    for (int64_t oh = 0; oh < OH; oh++) {
        int32_t *a = acc + oh * OW;
        if (oh < oh0 || oh > oh1 || ow0 > ow1) {
            for (int64_t ow = 0; ow < OW; ow++)
                a[ow] += wv;
            continue;
        }
        for (int64_t ow = 0; ow < ow0; ow++)
            a[ow] += wv;
        for (int64_t ow = ow1 + 1; ow < OW; ow++)
            a[ow] += wv;
    }
}

/* The formula of docs/quantized-ops.md, summed tap by tap over a whole output plane: every
 * partial sum is bounded by |B| + 128 * sum|W| <= 2^31 - 1 (checked when prepared; padded taps
 * read pad_value, also in [-128, 127]), so int32 accumulation is exact and the order of the
 * terms does not matter. */
static hbg_status conv_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const hbg_tensor *xt = k->in[0], *wt = k->in[1], *yt = k->out[0];
    const int8_t *x = xt->data, *w = wt->data;
    const int32_t *b = k->in[2]->data;
    int32_t *acc = k->scratch; /* one output plane */
    const int64_t N = xt->dims[0], C = xt->dims[1], H = xt->dims[2], W = xt->dims[3];
    const int64_t K = yt->dims[1], OH = yt->dims[2], OW = yt->dims[3];
    const int64_t cg = wt->dims[1], kg = K / p->group, KH = p->g.k[0], KW = p->g.k[1];
    const int64_t sh = p->g.s[0], sw = p->g.s[1];
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < K; o++) {
            const int64_t c0 = (o / kg) * cg;
            for (int64_t i = 0; i < OH * OW; i++)
                acc[i] = b[o];
            for (int64_t c = 0; c < cg; c++) {
                const int8_t *plane = x + (n * C + c0 + c) * H * W;
                for (int64_t kh = 0; kh < KH; kh++) {
                    const int64_t offh = kh * p->g.d[0] - p->g.pb[0];
                    int64_t oh0, oh1;
                    tap_range(OH, H, sh, offh, &oh0, &oh1);
                    for (int64_t kw = 0; kw < KW; kw++) {
                        const int32_t wv = w[((o * cg + c) * KH + kh) * KW + kw];
                        const int64_t offw = kw * p->g.d[1] - p->g.pb[1];
                        int64_t ow0, ow1;
                        if (wv == 0)
                            continue;
                        tap_range(OW, W, sw, offw, &ow0, &ow1);
                        if (p->pad_value != 0)
                            add_outside(acc, OH, OW, oh0, oh1, ow0, ow1, wv * p->pad_value);
                        for (int64_t oh = oh0; oh <= oh1; oh++) {
                            const int8_t *row = plane + (oh * sh + offh) * W;
                            int32_t *a = acc + oh * OW;
                            if (sw == 1)
                                for (int64_t ow = ow0; ow <= ow1; ow++)
                                    a[ow] += wv * row[ow + offw];
                            else
                                for (int64_t ow = ow0; ow <= ow1; ow++)
                                    a[ow] += wv * row[ow * sw + offw];
                        }
                    }
                }
            }
            const int64_t y0 = (n * K + o) * OH * OW;
            if (p->out_int32)
                memcpy((int32_t *)yt->data + y0, acc, (size_t)(OH * OW) * sizeof *acc);
            else
                for (int64_t i = 0; i < OH * OW; i++)
                    ((int8_t *)yt->data)[y0 + i] =
                        bpu_requant(acc[i], p->mult[o], p->shifts[o], p->lo, p->hi);
        }
    return HBG_OK;
}

static hbg_status gemm_infer(hbg_kctx *k)
{
    hbg_status st;
    if ((st = need_type(k, 0, HBG_DT_I8, 2)) != HBG_OK ||
        (st = need_type(k, 1, HBG_DT_I8, 2)) != HBG_OK ||
        (st = need_type(k, 2, HBG_DT_I32, 1)) != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0], *w = k->in[1], *b = k->in[2];
    if (!w->data || !b->data)
        return hbg_kfail(k, HBG_E_INVALID, "weights and bias must be constants");
    const int64_t kout = w->dims[0];
    qparams *p = params_new(k, kout);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    if ((st = acc_out_attrs(k, p, kout)) != HBG_OK)
        return st;
    if (kout < 1 || x->dims[1] != w->dims[1] || b->dims[0] != kout)
        return hbg_kfail(k, HBG_E_SHAPE, "input %lld, weight %lldx%lld and bias %lld do not match",
                         (long long)x->dims[1], (long long)w->dims[0], (long long)w->dims[1],
                         (long long)b->dims[0]);
    if ((st = check_acc_bound(k, w->data, b->data, kout, w->dims[1])) != HBG_OK)
        return st;
    int64_t dims[2] = {x->dims[0], kout};
    return set_out(k, p->out_int32 ? HBG_DT_I32 : HBG_DT_I8, 2, dims);
}

static hbg_status gemm_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const int8_t *x = k->in[0]->data, *w = k->in[1]->data;
    const int32_t *b = k->in[2]->data;
    const int64_t N = k->in[0]->dims[0], C = k->in[0]->dims[1], K = k->in[1]->dims[0];
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < K; o++) {
            int64_t acc = b[o];
            for (int64_t c = 0; c < C; c++)
                acc += (int64_t)x[n * C + c] * w[o * C + c];
            if (p->out_int32)
                ((int32_t *)k->out[0]->data)[n * K + o] = (int32_t)acc;
            else
                ((int8_t *)k->out[0]->data)[n * K + o] =
                    bpu_requant((int32_t)acc, p->mult[o], p->shifts[o], p->lo, p->hi);
        }
    return HBG_OK;
}

/* ---- Elementwise ------------------------------------------------------------------------ */

static hbg_status ewise_infer(hbg_kctx *k)
{
    hbg_status st;
    int64_t v;
    const int binary = hbc_qop_from_name(k->node->op_type) != HBC_QOP_RESCALE;
    const int mul = hbc_qop_from_name(k->node->op_type) == HBC_QOP_MUL;
    if ((st = need_type(k, 0, HBG_DT_I8, -1)) != HBG_OK ||
        (binary && (st = need_type(k, 1, HBG_DT_I8, -1)) != HBG_OK))
        return st;
    if (binary) {
        const hbg_tensor *a = k->in[0], *b = k->in[1];
        if (a->rank != b->rank || memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]))
            return hbg_kfail(k, HBG_E_SHAPE, "inputs '%s' and '%s' must have the same shape",
                             a->name, b->name);
    }
    qparams *p = params_new(k, 0);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    if ((st = need_clamp(k, p)) != HBG_OK)
        return st;
    if (binary && !mul) {
        /* Add/Sub: max(M1, M2) in [2^30, 2^31), the other in [0, 2^31). */
        int64_t m1, m2;
        if ((st = need_int(k, "multiplier1", 0, BPU_M_LIMIT - 1, &m1)) != HBG_OK ||
            (st = need_int(k, "multiplier2", 0, BPU_M_LIMIT - 1, &m2)) != HBG_OK ||
            (st = need_int(k, "shift", BPU_SHIFT_MIN, BPU_SHIFT_MAX, &v)) != HBG_OK)
            return st;
        if ((m1 > m2 ? m1 : m2) < BPU_M_MIN)
            return hbg_kfail(k, HBG_E_INVALID, "max(multiplier1, multiplier2) must be >= 2^30");
        p->m1 = (int32_t)m1, p->m2 = (int32_t)m2, p->shift = (uint32_t)v;
    } else if ((st = need_mult(k, "multiplier", &p->m1, &p->shift)) != HBG_OK) {
        return st;
    }
    return set_out(k, HBG_DT_I8, k->in[0]->rank, k->in[0]->dims);
}

static hbg_status ewise_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const hbc_qop op = hbc_qop_from_name(k->node->op_type);
    const int8_t *a = k->in[0]->data, *b = op == HBC_QOP_RESCALE ? NULL : k->in[1]->data;
    int8_t *y = k->out[0]->data;
    const int64_t n = hbg_tensor_numel(k->out[0]);
    for (int64_t i = 0; i < n; i++) {
        switch (op) {
        case HBC_QOP_ADD:
        case HBC_QOP_SUB:
            y[i] = bpu_ewise_addsub(a[i], b[i], p->m1, p->m2, p->shift, op == HBC_QOP_SUB, p->lo,
                                    p->hi);
            break;
        case HBC_QOP_MUL:
            y[i] = bpu_ewise_mul(a[i], b[i], p->m1, p->shift, p->lo, p->hi);
            break;
        default:
            y[i] = bpu_requant(a[i], p->m1, p->shift, p->lo, p->hi);
            break;
        }
    }
    return HBG_OK;
}

/* ---- Pooling ------------------------------------------------------------------------------ */

/* Taps of output position o on one axis: [lo, hi) inside the input, and the count the
 * divisor uses (hi - lo, or the taps inside the padded extent with count_include_pad). */
static int64_t pool_taps(const hbc_qgeom *g, int a, int64_t in, int64_t o, int64_t *lo, int64_t *hi)
{
    const int64_t s0 = o * g->s[a] - g->pb[a], kk = g->k[a];
    int64_t l = s0 < 0 ? -s0 : 0, h = in - s0, hp = in + g->pe[a] - s0;
    h = h > kk ? kk : h < l ? l : h;
    hp = hp > kk ? kk : hp < 0 ? 0 : hp;
    *lo = l, *hi = h;
    return g->count_include_pad ? hp : h - l;
}

int64_t hbc_qgeom_count(const hbc_qgeom *g, int64_t H, int64_t W, int64_t oh, int64_t ow)
{
    int64_t l, h;
    return pool_taps(g, 0, H, oh, &l, &h) * pool_taps(g, 1, W, ow, &l, &h);
}

static hbg_status avgpool_infer(hbg_kctx *k)
{
    hbg_status st;
    const int64_t *ks = NULL, *cnt = NULL;
    int64_t v;
    if ((st = need_type(k, 0, HBG_DT_I8, 4)) != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if (hbg_attr_ints(k->node, "kernel_shape", &ks) != 2)
        return hbg_kfail(k, HBG_E_INVALID, "kernel_shape needs 2 values");
    int n = hbg_attr_ints(k->node, "counts", &cnt);
    if (n < 1)
        return hbg_kfail(k, HBG_E_INVALID, "needs the ints attribute 'counts'");
    qparams *p = params_new(k, n);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    if ((st = spatial(k, p, ks)) != HBG_OK || (st = need_mults(k, p, n)) != HBG_OK ||
        (st = need_clamp(k, p)) != HBG_OK || (st = need_int(k, "ceil_mode", 0, 1, &v)) != HBG_OK)
        return st;
    const int ceil_mode = (int)v;
    if ((st = need_int(k, "count_include_pad", 0, 1, &v)) != HBG_OK)
        return st;
    p->g.count_include_pad = (int)v;
    if (p->g.d[0] != 1 || p->g.d[1] != 1)
        return hbg_kfail(k, HBG_E_INVALID, "dilations must be 1");
    for (int i = 0; i < n; i++)
        p->counts[i] = cnt[i];
    int64_t dims[4] = {x->dims[0], x->dims[1], hbc_qgeom_out_len(&p->g, x->dims[2], 0, ceil_mode),
                       hbc_qgeom_out_len(&p->g, x->dims[3], 1, ceil_mode)};
    if (dims[2] < 1 || dims[3] < 1)
        return hbg_kfail(k, HBG_E_SHAPE, "the window exceeds the padded input");
    /* Every window count that occurs must have its multiplier. */
    for (int64_t oh = 0; oh < dims[2]; oh++)
        for (int64_t ow = 0; ow < dims[3]; ow++) {
            int64_t c = hbc_qgeom_count(&p->g, x->dims[2], x->dims[3], oh, ow), i = 0;
            while (i < n && p->counts[i] != c)
                i++;
            if (i == n)
                return hbg_kfail(k, HBG_E_INVALID,
                                 "window (%lld, %lld) counts %lld, which 'counts' lacks",
                                 (long long)oh, (long long)ow, (long long)c);
        }
    return set_out(k, HBG_DT_I8, 4, dims);
}

static hbg_status avgpool_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const hbg_tensor *xt = k->in[0], *yt = k->out[0];
    const int8_t *x = xt->data;
    int8_t *y = yt->data;
    const int64_t H = xt->dims[2], W = xt->dims[3], OH = yt->dims[2], OW = yt->dims[3];
    const int64_t planes = xt->dims[0] * xt->dims[1];
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t hl, hh, wl, wh, i = 0;
                const int64_t cnt =
                    pool_taps(&p->g, 0, H, oh, &hl, &hh) * pool_taps(&p->g, 1, W, ow, &wl, &wh);
                const int64_t r0 = oh * p->g.s[0] - p->g.pb[0], c0 = ow * p->g.s[1] - p->g.pb[1];
                int32_t sum = 0;
                for (int64_t a = hl; a < hh; a++)
                    for (int64_t b = wl; b < wh; b++)
                        sum += x[(pl * H + r0 + a) * W + c0 + b];
                while (p->counts[i] != cnt)
                    i++;
                y[(pl * OH + oh) * OW + ow] =
                    bpu_requant(sum, p->mult[i], p->shifts[i], p->lo, p->hi);
            }
    return HBG_OK;
}

static hbg_status gap_infer(hbg_kctx *k)
{
    hbg_status st;
    if ((st = need_type(k, 0, HBG_DT_I8, 4)) != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    qparams *p = params_new(k, 0);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    if ((st = need_mult(k, "multiplier", &p->m1, &p->shift)) != HBG_OK ||
        (st = need_clamp(k, p)) != HBG_OK)
        return st;
    /* The int32 sum of 128 * H * W must not wrap. */
    if (x->dims[2] * x->dims[3] > (int64_t)1 << 23)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "plane of %lld elements is too large",
                         (long long)(x->dims[2] * x->dims[3]));
    int64_t dims[4] = {x->dims[0], x->dims[1], 1, 1};
    return set_out(k, HBG_DT_I8, 4, dims);
}

static hbg_status gap_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const int8_t *x = k->in[0]->data;
    int8_t *y = k->out[0]->data;
    const int64_t planes = k->in[0]->dims[0] * k->in[0]->dims[1];
    const int64_t hw = k->in[0]->dims[2] * k->in[0]->dims[3];
    for (int64_t pl = 0; pl < planes; pl++) {
        int32_t sum = 0;
        for (int64_t i = 0; i < hw; i++)
            sum += x[pl * hw + i];
        y[pl] = bpu_requant(sum, p->m1, p->shift, p->lo, p->hi);
    }
    return HBG_OK;
}

/* ---- Lut ------------------------------------------------------------------------------------ */

static hbg_status lut_infer(hbg_kctx *k)
{
    hbg_status st;
    const int64_t *t = NULL;
    if ((st = need_type(k, 0, HBG_DT_I8, -1)) != HBG_OK)
        return st;
    if (hbg_attr_ints(k->node, "table", &t) != 256)
        return hbg_kfail(k, HBG_E_INVALID, "'table' needs 256 values");
    qparams *p = params_new(k, 0);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    for (int i = 0; i < 256; i++) {
        if (t[i] < -128 || t[i] > 127)
            return hbg_kfail(k, HBG_E_INVALID, "table[%d] = %lld is not int8", i, (long long)t[i]);
        p->table[i] = (int8_t)t[i];
    }
    return set_out(k, HBG_DT_I8, k->in[0]->rank, k->in[0]->dims);
}

static hbg_status lut_run(hbg_kctx *k)
{
    const qparams *p = k->node->params;
    const int8_t *x = k->in[0]->data;
    int8_t *y = k->out[0]->data;
    const int64_t n = hbg_tensor_numel(k->in[0]);
    for (int64_t i = 0; i < n; i++)
        y[i] = bpu_lut(p->table, x[i]);
    return HBG_OK;
}

/* ---- the table ---------------------------------------------------------------------------- */

static const struct {
    const char *name;
    hbg_infer_fn infer;
    hbg_run_fn run;
} qops[HBC_QOP_COUNT] = {
    [HBC_QOP_QUANTIZE] = {"Quantize", quantize_infer, quantize_run},
    [HBC_QOP_DEQUANTIZE] = {"Dequantize", dequantize_infer, dequantize_run},
    [HBC_QOP_CONV] = {"Conv", conv_infer, conv_run},
    [HBC_QOP_GEMM] = {"Gemm", gemm_infer, gemm_run},
    [HBC_QOP_ADD] = {"Add", ewise_infer, ewise_run},
    [HBC_QOP_SUB] = {"Sub", ewise_infer, ewise_run},
    [HBC_QOP_MUL] = {"Mul", ewise_infer, ewise_run},
    [HBC_QOP_AVGPOOL] = {"AveragePool", avgpool_infer, avgpool_run},
    [HBC_QOP_GLOBALAVGPOOL] = {"GlobalAveragePool", gap_infer, gap_run},
    [HBC_QOP_RESCALE] = {"Rescale", ewise_infer, ewise_run},
    [HBC_QOP_LUT] = {"Lut", lut_infer, lut_run},
};

const char *hbc_qop_name(hbc_qop op)
{
    return (int)op >= 0 && op < HBC_QOP_COUNT ? qops[op].name : "?";
}

hbc_qop hbc_qop_from_name(const char *op_type)
{
    for (int i = 0; i < HBC_QOP_COUNT; i++)
        if (op_type && strcmp(qops[i].name, op_type) == 0)
            return (hbc_qop)i;
    return HBC_QOP_COUNT;
}

hbg_infer_fn hbc_qop_infer(hbc_qop op)
{
    return qops[op].infer;
}

hbg_run_fn hbc_qop_run(hbc_qop op)
{
    return qops[op].run;
}
