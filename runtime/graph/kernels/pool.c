/* Pooling: MaxPool (with the optional Indices output), AveragePool, GlobalAveragePool,
 * GlobalMaxPool over NC + 1..3 spatial axes.
 *
 * Windows: output index o on a spatial axis covers input positions o*stride - pad_begin +
 * t*dilation for t in [0, kernel). Positions outside [0, in) are padding: MaxPool ignores them,
 * AveragePool divides by the number of input positions (count_include_pad = 0) or by the number
 * of positions inside [-pad_begin, in + pad_end) (count_include_pad = 1; the extra positions a
 * ceil_mode window reaches past the end padding are never counted, as in PyTorch and
 * onnxruntime). ceil_mode rounds the output length up, but drops a last window that would start
 * past the input and its begin padding (PyTorch's rule), so no window is all padding.
 * auto_pad SAME_UPPER/SAME_LOWER pad to ceil(in / stride) outputs, the odd element at the end
 * (UPPER) or the beginning (LOWER).
 *
 * 1-D and 2-D pools run as 3-D ones with unit leading spatial axes. Prepare tabulates, per axis
 * and output index, the range of kernel taps that land inside the input, so the run loops have
 * no bounds checks and no divisions. Float 2-D pools without dilation or Indices (the models'
 * case) reduce each window's rows first, column-wise over whole input rows, then its columns.
 * Sums run in float in a fixed order.
 */
#include <float.h>
#include <string.h>

#include "movement.h"

enum { SP = 3 }; /* spatial axes after padding 1-D and 2-D pools to 3-D */

typedef struct pool_params {
    int64_t in[SP], out[SP], k[SP], s[SP], d[SP], pb[SP];
    int count_include_pad;
    int col_major;  /* Indices in column-major order (storage_order 1) */
    int rows_first; /* float 2-D pool without dilation or Indices: the separable path */
    /* Per axis and output index, into the same allocation: the kernel taps [lo, hi) that are
     * inside the input, and the taps inside the padded extent (count_include_pad). */
    int64_t *lo[SP], *hi[SP], *padded[SP];
} pool_params;

static hbg_status pool_infer(hbg_kctx *k)
{
    const int is_max = k->node->op == HBG_OP_MAXPOOL;
    const int64_t *ks = NULL, *st = NULL, *dl = NULL, *pd = NULL;
    int64_t in[SP], out[SP], kk[SP], ss[SP], dd[SP], pb[SP], pe[SP], dims[HBG_MAX_RANK];
    hbg_status rc = hbg_mv_need_in(k, 0);
    if (rc != HBG_OK)
        return rc;
    const hbg_tensor *x = k->in[0];
    const int nsp = x->rank - 2;
    if (nsp < 1 || nsp > SP)
        return hbg_kfail(k, HBG_E_UNSUPPORTED,
                         "input must be N x C x 1..3 spatial axes, not rank %d", x->rank);
    if (x->dtype != HBG_DT_F32 &&
        !(is_max && (x->dtype == HBG_DT_F64 || x->dtype == HBG_DT_U8 || x->dtype == HBG_DT_I8)))
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(x->dtype));
    if (k->n_out > 1 && !is_max)
        return hbg_kfail(k, HBG_E_INVALID, "has %d outputs, AveragePool has one", k->n_out);
    if (hbg_attr_ints(k->node, "kernel_shape", &ks) != nsp)
        return hbg_kfail(k, HBG_E_INVALID, "kernel_shape must have %d values", nsp);
    int ns = hbg_attr_ints(k->node, "strides", &st), nd = hbg_attr_ints(k->node, "dilations", &dl);
    int np = hbg_attr_ints(k->node, "pads", &pd);
    if ((ns >= 0 && ns != nsp) || (nd >= 0 && nd != nsp) || (np >= 0 && np != 2 * nsp))
        return hbg_kfail(k, HBG_E_INVALID, "strides, dilations, pads must have %d, %d, %d values",
                         nsp, nsp, 2 * nsp);
    const char *ap = hbg_attr_string(k->node, "auto_pad", "NOTSET");
    const int ceil_mode = hbg_attr_int(k->node, "ceil_mode", 0) != 0;
    const int64_t so = is_max ? hbg_attr_int(k->node, "storage_order", 0) : 0;
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && strcmp(ap, "SAME_UPPER") &&
        strcmp(ap, "SAME_LOWER"))
        return hbg_kfail(k, HBG_E_INVALID, "auto_pad '%s' is not valid", ap);
    if (so != 0 && so != 1)
        return hbg_kfail(k, HBG_E_INVALID, "storage_order %lld must be 0 or 1", (long long)so);
    for (int a = 0; a < SP; a++) {
        /* spatial axis i of the node is padded axis a = i + SP - nsp */
        const int i = a - (SP - nsp);
        in[a] = i >= 0 ? x->dims[2 + i] : 1;
        kk[a] = i >= 0 ? ks[i] : 1;
        ss[a] = i >= 0 && ns >= 0 ? st[i] : 1;
        dd[a] = i >= 0 && nd >= 0 ? dl[i] : 1;
        pb[a] = i >= 0 && np >= 0 ? pd[i] : 0;
        pe[a] = i >= 0 && np >= 0 ? pd[i + nsp] : 0;
        if (kk[a] < 1 || ss[a] < 1 || dd[a] < 1 || pb[a] < 0 || pe[a] < 0 || kk[a] > INT32_MAX ||
            ss[a] > INT32_MAX || dd[a] > INT32_MAX || pb[a] > INT32_MAX || pe[a] > INT32_MAX)
            return hbg_kfail(k, HBG_E_INVALID,
                             "axis %d: kernel %lld, stride %lld, dilation %lld must be >= 1 and "
                             "pads %lld, %lld >= 0",
                             i, (long long)kk[a], (long long)ss[a], (long long)dd[a],
                             (long long)pb[a], (long long)pe[a]);
        const int64_t ext = (kk[a] - 1) * dd[a] + 1; /* input positions one window spans */
        if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            out[a] = (in[a] + ss[a] - 1) / ss[a];
            int64_t tot = (out[a] - 1) * ss[a] + ext - in[a];
            tot = tot < 0 ? 0 : tot;
            pb[a] = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
            pe[a] = tot - pb[a];
        } else {
            if (!strcmp(ap, "VALID"))
                pb[a] = pe[a] = 0;
            const int64_t span = in[a] + pb[a] + pe[a] - ext;
            if (span < 0)
                return hbg_kfail(k, HBG_E_SHAPE,
                                 "axis %d: window of %lld exceeds the padded input of %lld", i,
                                 (long long)ext, (long long)(in[a] + pb[a] + pe[a]));
            out[a] = (ceil_mode ? span + ss[a] - 1 : span) / ss[a] + 1;
            if (ceil_mode && (out[a] - 1) * ss[a] >= in[a] + pb[a])
                out[a]--;
        }
    }
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 0; i < nsp; i++)
        dims[2 + i] = out[i + SP - nsp];
    if ((rc = hbg_tensor_set_shape(k->out[0], x->dtype, x->rank, dims)) != HBG_OK ||
        (k->n_out > 1 && (rc = hbg_tensor_set_shape(k->out[1], HBG_DT_I64, x->rank, dims))))
        return hbg_kfail(k, rc, "cannot set the output shape");
    const size_t tabs = (size_t)(out[0] + out[1] + out[2]);
    pool_params *p = hbg_mv_params(k, sizeof *p + 3 * tabs * sizeof(int64_t));
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    int64_t *t = (int64_t *)(void *)(p + 1);
    p->count_include_pad = !is_max && hbg_attr_int(k->node, "count_include_pad", 0) != 0;
    p->col_major = so == 1;
    /* 1-D and 2-D only: the fast path walks planes of in[1] x in[2] */
    p->rows_first = x->dtype == HBG_DT_F32 && k->n_out == 1 && nsp <= 2 && dd[1] == 1 && dd[2] == 1;
    if (p->rows_first)
        k->node->scratch = (size_t)in[2] * sizeof(float);
    for (int a = 0; a < SP; a++) {
        p->in[a] = in[a], p->out[a] = out[a], p->k[a] = kk[a];
        p->s[a] = ss[a], p->d[a] = dd[a], p->pb[a] = pb[a];
        p->lo[a] = t, p->hi[a] = t + out[a], p->padded[a] = t + 2 * out[a];
        t += 3 * out[a];
        for (int64_t o = 0; o < out[a]; o++) {
            const int64_t s0 = o * ss[a] - pb[a], d = dd[a];
            /* first tap at or after position 0; taps before position in (and in + pe) */
            int64_t lo = s0 < 0 ? (-s0 + d - 1) / d : 0;
            int64_t hi = in[a] - s0 <= 0 ? 0 : (in[a] - s0 + d - 1) / d;
            int64_t hp = in[a] + pe[a] - s0 <= 0 ? 0 : (in[a] + pe[a] - s0 + d - 1) / d;
            hi = hi > kk[a] ? kk[a] : hi;
            hp = hp > kk[a] ? kk[a] : hp;
            p->lo[a][o] = lo;
            p->hi[a][o] = hi < lo ? lo : hi;
            p->padded[a][o] = hp;
        }
    }
    return HBG_OK;
}

/* Max over each window of one N,C plane; with IDX, also the flat index of the maximum (first
 * one on ties) over the whole tensor, base being the plane's first element. */
#define DEF_MAXPOOL(T, NAME, LOWEST)                                                               \
    static inline void NAME(const pool_params *p, const T *x, T *y, int64_t *ind, int64_t base,    \
                            const int IDX)                                                         \
    {                                                                                              \
        const int64_t H = p->in[1], W = p->in[2];                                                  \
        for (int64_t od = 0; od < p->out[0]; od++) {                                               \
            const int64_t zd0 = od * p->s[0] - p->pb[0];                                           \
            for (int64_t oh = 0; oh < p->out[1]; oh++) {                                           \
                const int64_t zh0 = oh * p->s[1] - p->pb[1];                                       \
                for (int64_t ow = 0; ow < p->out[2]; ow++) {                                       \
                    const int64_t zw0 = ow * p->s[2] - p->pb[2];                                   \
                    const int64_t wl = p->lo[2][ow], wh = p->hi[2][ow];                            \
                    T m = LOWEST;                                                                  \
                    int64_t at = -1;                                                               \
                    for (int64_t kd = p->lo[0][od]; kd < p->hi[0][od]; kd++) {                     \
                        for (int64_t kh = p->lo[1][oh]; kh < p->hi[1][oh]; kh++) {                 \
                            const int64_t row =                                                    \
                                ((zd0 + kd * p->d[0]) * H + zh0 + kh * p->d[1]) * W;               \
                            const T *xr = x + row + zw0;                                           \
                            for (int64_t kw = wl; kw < wh; kw++) {                                 \
                                const T v = xr[kw * p->d[2]];                                      \
                                if (IDX) {                                                         \
                                    if (at < 0 || v > m) {                                         \
                                        m = v;                                                     \
                                        at = row + zw0 + kw * p->d[2];                             \
                                    }                                                              \
                                } else {                                                           \
                                    m = v > m ? v : m;                                             \
                                }                                                                  \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
                    *y++ = m;                                                                      \
                    if (IDX)                                                                       \
                        *ind++ = base + flat_index(p, at);                                         \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* Offset at (row-major within the plane) as the ONNX Indices value: row-major, or column-major
 * over the spatial axes for storage_order 1. A window without input positions gives 0. */
static int64_t flat_index(const pool_params *p, int64_t at)
{
    if (at < 0)
        return 0;
    if (!p->col_major)
        return at;
    const int64_t w = at % p->in[2], h = at / p->in[2] % p->in[1], d = at / p->in[2] / p->in[1];
    return d + h * p->in[0] + w * p->in[0] * p->in[1];
}

DEF_MAXPOOL(float, maxpool_f32, -FLT_MAX)
DEF_MAXPOOL(double, maxpool_f64, -DBL_MAX)
DEF_MAXPOOL(uint8_t, maxpool_u8, 0)
DEF_MAXPOOL(int8_t, maxpool_i8, INT8_MIN)

/* Float 2-D pooling without dilation, one plane: for each output row, first reduce the window's
 * input rows column by column into a scratch row (contiguous, vectorisable), then reduce each
 * window's columns of that row. Windows fully inside the row take an unclipped loop. Called with
 * a constant is_max so that each variant compiles without branches in its loops. */
static inline void pool2d_rows_first(const pool_params *p, const float *x, float *y, float *row,
                                     const int is_max)
{
    const int64_t W = p->in[2], OW = p->out[2], kw = p->k[2], sw = p->s[2], pw = p->pb[2];
    /* output columns whose window lies inside [0, W): ow * sw - pw >= 0 and ... + kw <= W */
    const int64_t in0 = pw > 0 ? (pw + sw - 1) / sw : 0;
    int64_t in1 = W - kw + pw < 0 ? 0 : (W - kw + pw) / sw + 1;
    in1 = in1 > OW ? OW : in1 < in0 ? in0 : in1;
    for (int64_t oh = 0; oh < p->out[1]; oh++, y += OW) {
        const int64_t r0 = oh * p->s[1] - p->pb[1];
        const int64_t hl = p->lo[1][oh], hh = p->hi[1][oh];
        const int64_t nh = p->count_include_pad ? p->padded[1][oh] : hh - hl;
        if (hh > hl) {
            memcpy(row, x + (r0 + hl) * W, (size_t)W * sizeof(float));
        } else {
            for (int64_t w = 0; w < W; w++)
                row[w] = is_max ? -FLT_MAX : 0.0f;
        }
        for (int64_t kh = hl + 1; kh < hh; kh++) {
            const float *xr = x + (r0 + kh) * W;
            for (int64_t w = 0; w < W; w++)
                row[w] = is_max ? (xr[w] > row[w] ? xr[w] : row[w]) : row[w] + xr[w];
        }
        /* the unclipped interior; the common 2- and 3-wide windows unrolled */
        const float inv = 1.0f / (float)(nh * kw);
        if (kw == 3) {
            for (int64_t ow = in0; ow < in1; ow++) {
                const float *r = row + (ow * sw - pw);
                const float m01 = r[1] > r[0] ? r[1] : r[0];
                y[ow] = is_max ? (r[2] > m01 ? r[2] : m01) : (r[0] + r[1] + r[2]) * inv;
            }
        } else if (kw == 2) {
            for (int64_t ow = in0; ow < in1; ow++) {
                const float *r = row + (ow * sw - pw);
                y[ow] = is_max ? (r[1] > r[0] ? r[1] : r[0]) : (r[0] + r[1]) * inv;
            }
        } else {
            for (int64_t ow = in0; ow < in1; ow++) {
                const float *r = row + (ow * sw - pw);
                float a = r[0];
                for (int64_t t = 1; t < kw; t++)
                    a = is_max ? (r[t] > a ? r[t] : a) : a + r[t];
                y[ow] = is_max ? a : a * inv;
            }
        }
        /* the clipped windows at both ends */
        for (int64_t ow = 0; ow < OW; ow++) {
            if (ow == in0 && in1 > in0)
                ow = in1;
            if (ow >= OW)
                break;
            const int64_t ws = ow * sw - pw, wl = p->lo[2][ow], wh = p->hi[2][ow];
            float a = is_max ? -FLT_MAX : 0.0f;
            for (int64_t t = wl; t < wh; t++)
                a = is_max ? (row[ws + t] > a ? row[ws + t] : a) : a + row[ws + t];
            const int64_t n = nh * (p->count_include_pad ? p->padded[2][ow] : wh - wl);
            y[ow] = is_max ? a : n > 0 ? a / (float)n : 0.0f;
        }
    }
}

static hbg_status rows_first_run(hbg_kctx *k)
{
    const pool_params *p = k->node->params;
    const hbg_tensor *x = k->in[0];
    const int64_t planes = x->dims[0] * x->dims[1];
    const int64_t pin = p->in[1] * p->in[2], pout = p->out[1] * p->out[2];
    const float *xs = x->data;
    float *y = k->out[0]->data;
    for (int64_t c = 0; c < planes; c++) {
        if (k->node->op == HBG_OP_MAXPOOL)
            pool2d_rows_first(p, xs + c * pin, y + c * pout, k->scratch, 1);
        else
            pool2d_rows_first(p, xs + c * pin, y + c * pout, k->scratch, 0);
    }
    return HBG_OK;
}

static hbg_status maxpool_run(hbg_kctx *k)
{
    const pool_params *p = k->node->params;
    if (p->rows_first)
        return rows_first_run(k);
    const hbg_tensor *x = k->in[0];
    int64_t *ind = k->n_out > 1 ? k->out[1]->data : NULL;
    const int64_t planes = x->dims[0] * x->dims[1];
    const int64_t pin = p->in[0] * p->in[1] * p->in[2], pout = p->out[0] * p->out[1] * p->out[2];
    for (int64_t c = 0; c < planes; c++) {
        int64_t *ic = ind ? ind + c * pout : NULL;
        switch (x->dtype) {
        case HBG_DT_F32:
            if (ind)
                maxpool_f32(p, (const float *)x->data + c * pin,
                            (float *)k->out[0]->data + c * pout, ic, c * pin, 1);
            else
                maxpool_f32(p, (const float *)x->data + c * pin,
                            (float *)k->out[0]->data + c * pout, NULL, 0, 0);
            break;
        case HBG_DT_F64:
            maxpool_f64(p, (const double *)x->data + c * pin, (double *)k->out[0]->data + c * pout,
                        ic, c * pin, ind != NULL);
            break;
        case HBG_DT_U8:
            maxpool_u8(p, (const uint8_t *)x->data + c * pin, (uint8_t *)k->out[0]->data + c * pout,
                       ic, c * pin, ind != NULL);
            break;
        default: /* HBG_DT_I8, checked at prepare time */
            maxpool_i8(p, (const int8_t *)x->data + c * pin, (int8_t *)k->out[0]->data + c * pout,
                       ic, c * pin, ind != NULL);
            break;
        }
    }
    return HBG_OK;
}

static hbg_status avgpool_run(hbg_kctx *k)
{
    const pool_params *p = k->node->params;
    if (p->rows_first)
        return rows_first_run(k);
    const hbg_tensor *x = k->in[0];
    const int64_t planes = x->dims[0] * x->dims[1];
    const int64_t H = p->in[1], W = p->in[2];
    const int64_t pin = p->in[0] * H * W;
    float *y = k->out[0]->data;
    for (int64_t c = 0; c < planes; c++) {
        const float *xc = (const float *)x->data + c * pin;
        for (int64_t od = 0; od < p->out[0]; od++) {
            const int64_t zd0 = od * p->s[0] - p->pb[0];
            const int64_t dl = p->lo[0][od], dh = p->hi[0][od];
            for (int64_t oh = 0; oh < p->out[1]; oh++) {
                const int64_t zh0 = oh * p->s[1] - p->pb[1];
                const int64_t hl = p->lo[1][oh], hh = p->hi[1][oh];
                for (int64_t ow = 0; ow < p->out[2]; ow++) {
                    const int64_t zw0 = ow * p->s[2] - p->pb[2];
                    const int64_t wl = p->lo[2][ow], wh = p->hi[2][ow];
                    float sum = 0.0f;
                    for (int64_t kd = dl; kd < dh; kd++) {
                        for (int64_t kh = hl; kh < hh; kh++) {
                            const float *xr =
                                xc + ((zd0 + kd * p->d[0]) * H + zh0 + kh * p->d[1]) * W + zw0;
                            for (int64_t kw = wl; kw < wh; kw++)
                                sum += xr[kw * p->d[2]];
                        }
                    }
                    const int64_t n = p->count_include_pad
                                          ? p->padded[0][od] * p->padded[1][oh] * p->padded[2][ow]
                                          : (dh - dl) * (hh - hl) * (wh - wl);
                    *y++ = n > 0 ? sum / (float)n : 0.0f;
                }
            }
        }
    }
    return HBG_OK;
}

/* ---- GlobalAveragePool, GlobalMaxPool ------------------------------------------------------ */

static hbg_status global_infer(hbg_kctx *k)
{
    int64_t dims[HBG_MAX_RANK];
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if (x->rank < 2)
        return hbg_kfail(k, HBG_E_SHAPE, "input must be N x C x ..., not rank %d", x->rank);
    if (x->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(x->dtype));
    for (int a = 0; a < x->rank; a++)
        dims[a] = a < 2 ? x->dims[a] : 1;
    int64_t plane = 1;
    for (int a = 2; a < x->rank; a++)
        plane *= x->dims[a];
    if (plane == 0 && x->dims[0] * x->dims[1] > 0)
        return hbg_kfail(k, HBG_E_SHAPE, "cannot pool an empty plane");
    if ((st = hbg_tensor_set_shape(k->out[0], x->dtype, x->rank, dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status global_run(hbg_kctx *k)
{
    const hbg_tensor *x = k->in[0];
    const int64_t planes = x->dims[0] * x->dims[1], n = hbg_tensor_numel(x) / (planes ? planes : 1);
    const float *xs = x->data;
    float *y = k->out[0]->data;
    const int is_max = k->node->op == HBG_OP_GLOBALMAXPOOL;
    for (int64_t c = 0; c < planes; c++, xs += n) {
        /* eight independent lanes, combined pairwise: a fixed order the compiler can vectorise */
        float acc[8];
        int64_t i = 0;
        for (int l = 0; l < 8; l++)
            acc[l] = is_max ? xs[0] : 0.0f;
        if (is_max) {
            for (; i + 8 <= n; i += 8)
                for (int l = 0; l < 8; l++)
                    acc[l] = xs[i + l] > acc[l] ? xs[i + l] : acc[l];
            for (; i < n; i++)
                acc[0] = xs[i] > acc[0] ? xs[i] : acc[0];
            for (int w = 4; w > 0; w /= 2)
                for (int l = 0; l < w; l++)
                    acc[l] = acc[l + w] > acc[l] ? acc[l + w] : acc[l];
            y[c] = acc[0];
        } else {
            for (; i + 8 <= n; i += 8)
                for (int l = 0; l < 8; l++)
                    acc[l] += xs[i + l];
            for (; i < n; i++)
                acc[0] += xs[i];
            for (int w = 4; w > 0; w /= 2)
                for (int l = 0; l < w; l++)
                    acc[l] += acc[l + w];
            y[c] = acc[0] / (float)n;
        }
    }
    return HBG_OK;
}

const hbg_op_impl hbg_ops_pool[] = {
    {HBG_OP_MAXPOOL, pool_infer, maxpool_run, 0},
    {HBG_OP_AVERAGEPOOL, pool_infer, avgpool_run, 0},
    {HBG_OP_GLOBALAVERAGEPOOL, global_infer, global_run, 0},
    {HBG_OP_GLOBALMAXPOOL, global_infer, global_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
