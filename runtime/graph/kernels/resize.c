/* Resize (opsets 10..17) and Upsample (7..9).
 *
 * Semantics follow the ONNX specification and its reference implementation: per axis, output
 * coordinate j maps to a source coordinate x (coordinate_transformation_mode), and the output is
 * the separable interpolation of the input at x. The mapping is computed in double precision,
 * as the reference does. Where the reference and the specification's text differ, we follow the
 * reference, whose outputs are ONNX's conformance data: align_corners, pytorch_half_pixel and
 * tf_crop_and_resize use the real-valued output length scale * in, not floor(scale * in)
 * (with scales 0.6 on 4 elements, align_corners divides by 2.4 - 1, not 2 - 1); and
 * pytorch_half_pixel maps a length-1 output to -0.5, not 0 (the same value except for cubic).
 *   nearest: x rounded by nearest_mode (an integral x is itself), clamped to [0, in - 1];
 *   linear:  taps floor(x), floor(x) + 1 with weights 1 - f, f (f = x - floor(x));
 *   cubic:   taps floor(x) - 1 .. floor(x) + 2 with Keys' kernel of parameter cubic_coeff_a;
 *            exclude_outside zeroes taps outside [0, in) and renormalises the rest.
 * Taps outside the input read the nearest edge element. tf_crop_and_resize writes
 * extrapolation_value where x falls outside [0, in - 1].
 * Upsample and Resize-10 have no coordinate mode: asymmetric (x = j / scale), nearest rounds
 * down.
 *
 * Prepare builds, per resized axis, a table of source indices and weights. Nearest runs as one
 * gather over all axes (any element type); linear and cubic (float) run one pass per resized
 * axis, innermost axis first like the reference, through ping-pong buffers in the workspace.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "elem.h"
#include "movement.h"

enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum { CT_HALF_PIXEL, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TF_NN, CT_TF_CROP };
enum { NM_PREFER_FLOOR, NM_PREFER_CEIL, NM_FLOOR, NM_CEIL };

typedef struct rs_axis {
    int64_t in, out;
    int taps;   /* taps per output index; 0 for an axis copied unchanged */
    size_t tab; /* first entry of this axis in the index and weight tables */
} rs_axis;

typedef struct rs_params {
    int rank, mode;
    float extrapolation;
    rs_axis ax[HBG_MAX_RANK];
    /* Source index and weight of every tap, in the same allocation after this struct. An index
     * of -1 marks an output index that takes the extrapolation value. */
    int64_t *idx;
    float *w;
} rs_params;

/* What infer gathers before the tables are built. */
typedef struct rs_spec {
    int mode, ctm, nearest, exclude;
    double a; /* cubic coefficient */
    float extrapolation;
    int64_t out[HBG_MAX_RANK];  /* output length per axis */
    double scale[HBG_MAX_RANK]; /* scale used by the coordinate transform */
    double roi[2 * HBG_MAX_RANK];
    int roi_f32; /* roi given as float: its end - start is a float difference */
} rs_spec;

static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* Source coordinate of output index j on an axis of input length in; *outside is set when the
 * coordinate lies outside the crop (tf_crop_and_resize only). */
static double source_coord(const rs_spec *sp, int a, int64_t in, int64_t j, int *outside)
{
    const double s = sp->scale[a], ow = s * (double)in, x = (double)j;
    double xo;
    *outside = 0;
    switch (sp->ctm) {
    case CT_HALF_PIXEL:
        return (x + 0.5) / s - 0.5;
    case CT_PYTORCH:
        return ow == 1.0 ? -0.5 : (x + 0.5) / s - 0.5;
    case CT_ALIGN:
        return ow == 1.0 ? 0.0 : x * (double)(in - 1) / (ow - 1.0);
    case CT_ASYM:
        return x / s;
    case CT_TF_NN:
        return (x + 0.5) / s;
    default: { /* CT_TF_CROP: roi = [starts..., ends...], normalised */
        const double st = sp->roi[a], en = sp->roi[a + HBG_MAX_RANK];
        const double d = sp->roi_f32 ? (double)((float)en - (float)st) : en - st;
        xo = ow == 1.0 ? d * (double)(in - 1) / 2.0 : x * d * (double)(in - 1) / (ow - 1.0);
        xo += st * (double)(in - 1);
        *outside = xo < 0.0 || xo > (double)(in - 1);
        return xo;
    }
    }
}

static int64_t clampi(int64_t i, int64_t n)
{
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* Keys' cubic convolution kernel at distance t >= 0. */
static double keys(double t, double a)
{
    if (t <= 1.0)
        return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    if (t < 2.0)
        return ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a;
    return 0.0;
}

/* Fill the taps of output index j of axis a: idx[0..taps), w[0..taps). */
static void axis_taps(const rs_spec *sp, int a, int64_t in, int64_t j, int taps, int64_t *idx,
                      float *w)
{
    int outside;
    const double x = source_coord(sp, a, in, j, &outside);
    const double x0 = floor(x), f = x - x0;
    const int64_t i0 = (int64_t)x0;
    if (outside) {
        for (int t = 0; t < taps; t++) {
            idx[t] = -1;
            w[t] = 0.0f;
        }
        return;
    }
    if (sp->mode == RS_NEAREST) {
        int up;
        switch (sp->nearest) {
        case NM_PREFER_FLOOR:
            up = f > 0.5;
            break;
        case NM_PREFER_CEIL:
            up = f >= 0.5;
            break;
        case NM_FLOOR:
            up = 0;
            break;
        default:
            up = f > 0.0;
            break;
        }
        idx[0] = clampi(i0 + up, in);
        w[0] = 1.0f;
    } else if (sp->mode == RS_LINEAR) {
        idx[0] = clampi(i0, in);
        idx[1] = clampi(i0 + 1, in);
        w[0] = (float)(1.0 - f);
        w[1] = (float)f;
    } else {
        double c[4], sum = 0.0;
        for (int t = 0; t < 4; t++) {
            const int64_t i = i0 - 1 + t;
            c[t] = keys(fabs(f - (double)(t - 1)), sp->a);
            if (sp->exclude && (i < 0 || i >= in))
                c[t] = 0.0;
            sum += c[t];
            idx[t] = clampi(i, in);
        }
        for (int t = 0; t < 4; t++)
            w[t] = (float)(sp->exclude ? c[t] / sum : c[t]);
    }
}

/* Build the tables; axes that map every output index onto itself with weight 1 are marked
 * unchanged (taps 0) and cost nothing at run time. */
static hbg_status build(hbg_kctx *k, const rs_spec *sp)
{
    const hbg_tensor *x = k->in[0];
    const int taps = sp->mode == RS_NEAREST ? 1 : sp->mode == RS_LINEAR ? 2 : 4;
    size_t n_tab = 0;
    for (int a = 0; a < x->rank; a++)
        n_tab += (size_t)sp->out[a] * (size_t)taps;
    rs_params *p = hbg_mv_params(k, sizeof *p + n_tab * (sizeof(int64_t) + sizeof(float)));
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory for the resize tables");
    p->rank = x->rank;
    p->mode = sp->mode;
    p->extrapolation = sp->extrapolation;
    p->idx = (int64_t *)(void *)(p + 1);
    p->w = (float *)(void *)(p->idx + n_tab);
    int64_t *idx = p->idx;
    float *w = p->w;
    size_t at = 0, max_mid = 0;
    int64_t cur[HBG_MAX_RANK];
    int passes = 0;
    for (int a = 0; a < x->rank; a++) {
        rs_axis *ax = &p->ax[a];
        int same = sp->out[a] == x->dims[a];
        ax->in = x->dims[a];
        ax->out = sp->out[a];
        ax->tab = at;
        for (int64_t j = 0; j < ax->out; j++) {
            const size_t e0 = at + (size_t)j * (size_t)taps;
            axis_taps(sp, a, ax->in, j, taps, idx + e0, w + e0);
            for (size_t e = e0; e < e0 + (size_t)taps; e++)
                if (idx[e] < 0 || (w[e] != 0.0f && (idx[e] != j || w[e] != 1.0f)))
                    same = 0;
        }
        at += (size_t)ax->out * (size_t)taps;
        ax->taps = same ? 0 : taps;
        passes += !same;
    }
    /* Workspace for the separable passes (linear, cubic): they run from the last resized axis
     * to the first, each but the last writing an intermediate of the shape reached so far. */
    memcpy(cur, x->dims, sizeof cur);
    for (int a = x->rank - 1, done = 0; a >= 0 && done + 1 < passes; a--) {
        if (!p->ax[a].taps)
            continue;
        cur[a] = p->ax[a].out;
        done++;
        size_t n = 1;
        for (int b = 0; b < x->rank; b++)
            n *= (size_t)cur[b];
        max_mid = n > max_mid ? n : max_mid;
    }
    if (sp->mode != RS_NEAREST && passes > 1)
        k->node->scratch = (passes > 2 ? 2 : 1) * ((max_mid * sizeof(float) + 63) & ~(size_t)63);
    return HBG_OK;
}

/* Read a float list input known at prepare time. */
static hbg_status read_floats(hbg_kctx *k, int i, const char *what, double *v, int max, int *n)
{
    hbg_status st = hbg_mv_need_in(k, i);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *t = k->in[i];
    if (!t->data)
        return hbg_kneed_value(k, i, what);
    if (t->dtype != HBG_DT_F32 && t->dtype != HBG_DT_F64)
        return hbg_kfail(k, HBG_E_INVALID, "input %d (%s) must be float, not %s", i, what,
                         hbg_dtype_name(t->dtype));
    int64_t cnt = hbg_tensor_numel(t);
    if (t->rank > 1 || cnt > max)
        return hbg_kfail(k, HBG_E_INVALID, "input %d (%s) must be a list of at most %d values", i,
                         what, max);
    for (int64_t j = 0; j < cnt; j++)
        v[j] = hbg_tensor_get_double(t, j);
    *n = (int)cnt;
    return HBG_OK;
}

/* Output lengths from scales (floor(scale * in), computed in double like the reference) or
 * from sizes (the transform's scale is then sizes / in). */
static hbg_status set_lengths(hbg_kctx *k, rs_spec *sp, const double *scales, int ns,
                              const int64_t *sizes, int nz)
{
    const hbg_tensor *x = k->in[0];
    const int use_sizes = nz > 0;
    if ((use_sizes ? nz : ns) != x->rank)
        return hbg_kfail(k, HBG_E_INVALID, "%s has %d values for rank %d",
                         use_sizes ? "sizes" : "scales", use_sizes ? nz : ns, x->rank);
    for (int a = 0; a < x->rank; a++) {
        if (use_sizes) {
            if (sizes[a] < 0 || sizes[a] > HBG_MV_LIMIT)
                return hbg_kfail(k, HBG_E_INVALID, "sizes[%d] = %lld is out of range", a,
                                 (long long)sizes[a]);
            if (x->dims[a] == 0 && sizes[a] != 0)
                return hbg_kfail(k, HBG_E_SHAPE, "cannot resize the empty axis %d", a);
            sp->out[a] = sizes[a];
            sp->scale[a] = x->dims[a] ? (double)sizes[a] / (double)x->dims[a] : 1.0;
        } else {
            const double len = floor(scales[a] * (double)x->dims[a]);
            if (!(scales[a] > 0.0) || !(len <= (double)HBG_MV_LIMIT))
                return hbg_kfail(k, HBG_E_INVALID, "scales[%d] = %g must be > 0 and finite", a,
                                 scales[a]);
            sp->out[a] = (int64_t)len;
            sp->scale[a] = scales[a];
        }
    }
    return HBG_OK;
}

static hbg_status finish(hbg_kctx *k, rs_spec *sp)
{
    const hbg_tensor *x = k->in[0];
    if (sp->mode != RS_NEAREST && x->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "%s interpolation of %s tensors is not supported",
                         sp->mode == RS_LINEAR ? "linear" : "cubic", hbg_dtype_name(x->dtype));
    if (!hbg_mv_dims_fit(x->rank, sp->out))
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "the output would be too large");
    hbg_status st = hbg_tensor_set_shape(k->out[0], x->dtype, x->rank, sp->out);
    if (st != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return build(k, sp);
}

hbg_status hbg_resize_infer(hbg_kctx *k)
{
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel",   "align_corners",
                                       "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    rs_spec sp;
    double scales[HBG_MAX_RANK];
    int64_t sizes[HBG_MAX_RANK];
    int ns = 0, nz = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const int64_t opset = hbg_mv_opset(k);
    const char *m = hbg_attr_string(k->node, "mode", "nearest");
    memset(&sp, 0, sizeof sp);
    if ((sp.mode = lookup(m, modes, 3)) < 0 || (opset < 11 && sp.mode == RS_CUBIC))
        return hbg_kfail(k, HBG_E_INVALID, "mode '%s' is not valid", m);
    if (opset < 11) {
        /* Resize-10: X, scales; asymmetric coordinates, nearest rounds down */
        sp.ctm = CT_ASYM;
        sp.nearest = NM_FLOOR;
        if (!hbg_mv_opt_in(k, 1))
            return hbg_kfail(k, HBG_E_INVALID, "input scales is required");
        if ((st = read_floats(k, 1, "scales", scales, HBG_MAX_RANK, &ns)) != HBG_OK)
            return st;
    } else {
        const char *c = hbg_attr_string(k->node, "coordinate_transformation_mode", "half_pixel");
        const char *n = hbg_attr_string(k->node, "nearest_mode", "round_prefer_floor");
        /* tf_half_pixel_for_nn left the specification at opset 13; it is still accepted there,
         * as onnxruntime does, since its meaning is unambiguous */
        if ((sp.ctm = lookup(c, ctms, 6)) < 0)
            return hbg_kfail(k, HBG_E_INVALID, "coordinate_transformation_mode '%s' is not valid",
                             c);
        if ((sp.nearest = lookup(n, nms, 4)) < 0)
            return hbg_kfail(k, HBG_E_INVALID, "nearest_mode '%s' is not valid", n);
        sp.a = hbg_attr_float(k->node, "cubic_coeff_a", -0.75f);
        sp.exclude = hbg_attr_int(k->node, "exclude_outside", 0) != 0;
        sp.extrapolation = hbg_attr_float(k->node, "extrapolation_value", 0.0f);
        /* an empty scales tensor (opset 11, 12) means "use sizes" */
        if (hbg_mv_opt_in(k, 2) &&
            (st = read_floats(k, 2, "scales", scales, HBG_MAX_RANK, &ns)) != HBG_OK)
            return st;
        if (hbg_mv_opt_in(k, 3) &&
            (st = hbg_mv_read_ints(k, 3, "sizes", sizes, HBG_MAX_RANK, &nz)) != HBG_OK)
            return st;
        if ((ns > 0) == (nz > 0))
            return hbg_kfail(k, HBG_E_INVALID, "exactly one of scales and sizes must be given");
        if (sp.ctm == CT_TF_CROP) {
            double roi[2 * HBG_MAX_RANK];
            int nr = 0;
            const int r = k->in[0]->rank;
            if (!hbg_mv_opt_in(k, 1))
                return hbg_kfail(k, HBG_E_INVALID, "tf_crop_and_resize needs the roi input");
            if ((st = read_floats(k, 1, "roi", roi, 2 * HBG_MAX_RANK, &nr)) != HBG_OK)
                return st;
            if (nr != 2 * r)
                return hbg_kfail(k, HBG_E_INVALID, "roi has %d values for rank %d", nr, r);
            for (int a = 0; a < r; a++) {
                sp.roi[a] = roi[a];
                sp.roi[a + HBG_MAX_RANK] = roi[a + r];
            }
            sp.roi_f32 = k->in[1]->dtype == HBG_DT_F32;
        }
    }
    if ((st = set_lengths(k, &sp, scales, ns, sizes, nz)) != HBG_OK)
        return st;
    return finish(k, &sp);
}

hbg_status hbg_upsample_infer(hbg_kctx *k)
{
    rs_spec sp;
    double scales[HBG_MAX_RANK];
    int ns = 0;
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const char *m = hbg_attr_string(k->node, "mode", "nearest");
    memset(&sp, 0, sizeof sp);
    sp.ctm = CT_ASYM;
    sp.nearest = NM_FLOOR;
    if (strcmp(m, "nearest") == 0)
        sp.mode = RS_NEAREST;
    else if (strcmp(m, "linear") == 0 || strcmp(m, "bilinear") == 0)
        sp.mode = RS_LINEAR;
    else
        return hbg_kfail(k, HBG_E_INVALID, "mode '%s' is not valid", m);
    if (hbg_mv_opset(k) >= 9) {
        if (!hbg_mv_opt_in(k, 1))
            return hbg_kfail(k, HBG_E_INVALID, "input scales is required");
        if ((st = read_floats(k, 1, "scales", scales, HBG_MAX_RANK, &ns)) != HBG_OK)
            return st;
    } else {
        const float *f;
        ns = hbg_attr_floats(k->node, "scales", &f);
        if (ns < 0 || ns > HBG_MAX_RANK)
            return hbg_kfail(k, HBG_E_INVALID, "attribute scales is required (one per axis)");
        for (int a = 0; a < ns; a++)
            scales[a] = f[a];
    }
    if ((st = set_lengths(k, &sp, scales, ns, NULL, 0)) != HBG_OK)
        return st;
    return finish(k, &sp);
}

/* Nearest: out[j_0, ..., j_{r-1}] = x[idx_0[j_0], ..., idx_{r-1}[j_{r-1}]], one gather. */
static void run_nearest(const rs_params *p, const hbg_tensor *x, hbg_tensor *y)
{
    const size_t es = hbg_dtype_size(x->dtype);
    const int r = p->rank, last = r - 1;
    const int64_t *idx = p->idx;
    const unsigned char *s = x->data;
    unsigned char *d = y->data;
    hbg_mv_scalar ext;
    int64_t xstr[HBG_MAX_RANK], j[HBG_MAX_RANK] = {0}, rows = 1;
    if (r == 0) {
        memcpy(d, s, es);
        return;
    }
    hbg_elem_set_f64(&ext, x->dtype, 0, (double)p->extrapolation);
    for (int a = r - 1; a >= 0; a--)
        xstr[a] = a == r - 1 ? 1 : xstr[a + 1] * x->dims[a + 1];
    for (int a = 0; a < last; a++)
        rows *= p->ax[a].out;
    const rs_axis *lx = &p->ax[last];
    const int64_t W = lx->out;
    if (W == 0 || rows == 0)
        return;
    for (int64_t row = 0; row < rows; row++, d += (size_t)W * es) {
        int64_t off = 0;
        int outside = 0;
        for (int a = 0; a < last; a++) {
            const int64_t i = p->ax[a].taps ? idx[p->ax[a].tab + (size_t)j[a]] : j[a];
            outside |= i < 0;
            off += i * xstr[a];
        }
        for (int a = last - 1; a >= 0; a--) {
            if (++j[a] < p->ax[a].out)
                break;
            j[a] = 0;
        }
        const unsigned char *sr = s + (size_t)off * es;
        if (outside) {
            HBG_MV_BY_SIZE(es, for (int64_t i = 0; i < W; i++)
                                   memcpy(d + (size_t)i * ES, ext.bytes, ES))
        } else if (!lx->taps) {
            memcpy(d, sr, (size_t)W * es);
        } else {
            const int64_t *ix = idx + lx->tab;
            HBG_MV_BY_SIZE(es, for (int64_t i = 0; i < W; i++)
                                   memcpy(d + (size_t)i * ES,
                                          ix[i] < 0 ? ext.bytes : sr + (size_t)ix[i] * ES, ES))
        }
    }
}

/* One separable pass along an axis: y[o, j, i] = sum_t w[j, t] * x[o, idx[j, t], i]. */
static void run_pass(const rs_params *p, const rs_axis *ax, int64_t outer, int64_t inner,
                     const float *x, float *y)
{
    const int64_t *idx = p->idx + ax->tab;
    const float *w = p->w + ax->tab;
    const int T = ax->taps;
    for (int64_t o = 0; o < outer; o++) {
        const float *xo = x + (size_t)(o * ax->in * inner);
        for (int64_t j = 0; j < ax->out; j++) {
            float *d = y + (size_t)((o * ax->out + j) * inner);
            const int64_t *ij = idx + j * T;
            const float *wj = w + j * T;
            if (ij[0] < 0) {
                for (int64_t i = 0; i < inner; i++)
                    d[i] = p->extrapolation;
                continue;
            }
            const float *s0 = xo + (size_t)(ij[0] * inner);
            const float w0 = wj[0];
            for (int64_t i = 0; i < inner; i++)
                d[i] = w0 * s0[i];
            for (int t = 1; t < T; t++) {
                const float *st = xo + (size_t)(ij[t] * inner);
                const float wt = wj[t];
                for (int64_t i = 0; i < inner; i++)
                    d[i] += wt * st[i];
            }
        }
    }
}

hbg_status hbg_resize_run(hbg_kctx *k)
{
    const rs_params *p = k->node->params;
    const hbg_tensor *x = k->in[0];
    hbg_tensor *y = k->out[0];
    const int64_t ny = hbg_tensor_numel(y);
    if (ny == 0)
        return HBG_OK;
    if (p->mode == RS_NEAREST) {
        run_nearest(p, x, y);
        return HBG_OK;
    }
    int64_t cur[HBG_MAX_RANK];
    int passes = 0, done = 0;
    memcpy(cur, x->dims, sizeof cur);
    for (int a = 0; a < p->rank; a++)
        passes += p->ax[a].taps != 0;
    if (passes == 0) {
        memcpy(y->data, x->data, (size_t)ny * sizeof(float));
        return HBG_OK;
    }
    /* ping-pong between two workspace halves; the last pass writes the output */
    const size_t half = k->node->scratch / 2;
    float *buf[2] = {k->scratch,
                     passes > 2 ? (float *)(void *)((unsigned char *)k->scratch + half) : NULL};
    const float *src = x->data;
    for (int a = p->rank - 1; a >= 0; a--) {
        const rs_axis *ax = &p->ax[a];
        if (!ax->taps)
            continue;
        int64_t outer = 1, inner = 1;
        for (int b = 0; b < a; b++)
            outer *= cur[b];
        for (int b = a + 1; b < p->rank; b++)
            inner *= cur[b];
        float *dst = ++done == passes ? y->data : buf[(done - 1) & 1];
        run_pass(p, ax, outer, inner, src, dst);
        src = dst;
        cur[a] = ax->out;
    }
    return HBG_OK;
}
