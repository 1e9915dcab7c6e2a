/* Normalisation: BatchNormalization (inference), InstanceNormalization, LRN. Float only.
 *
 * BatchNormalization: y = (x - mean) * (scale / sqrt(var + epsilon)) + B per channel (opset 7,8
 * with spatial = 0: per element of one sample). Subtracting the mean first, rather than folding
 * it into one multiply-add, keeps outputs near zero accurate. Opset 14+ training_mode = 1 uses
 * the batch's statistics and writes the running mean and variance outputs; the training outputs
 * of older versions are refused (HBG_E_UNSUPPORTED).
 * InstanceNormalization: per sample and channel, mean and (biased) variance over the spatial
 * axes, accumulated in double in index order.
 * LRN: y = x / (bias + alpha / size * sum of x^2 over channels
 * [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)])^beta.
 */
#include <math.h>

#include "movement.h"

/* Output 0 gets input 0's type and shape; input 0 must be float of rank >= 2 (N x C x ...). */
static hbg_status same_shape_f32(hbg_kctx *k)
{
    hbg_status st = hbg_mv_need_in(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if (x->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(x->dtype));
    if (x->rank < 2)
        return hbg_kfail(k, HBG_E_SHAPE, "input must be N x C x ..., not rank %d", x->rank);
    if ((st = hbg_tensor_set_shape(k->out[0], x->dtype, x->rank, x->dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

/* Inputs from..to-1 are float tensors of n elements. */
static hbg_status check_params(hbg_kctx *k, int from, int to, int64_t n)
{
    static const char *const names[] = {"X", "scale", "B", "mean", "var"};
    for (int i = from; i < to; i++) {
        hbg_status st = hbg_mv_need_in(k, i);
        if (st != HBG_OK)
            return st;
        if (k->in[i]->dtype != HBG_DT_F32 || hbg_tensor_numel(k->in[i]) != n)
            return hbg_kfail(k, HBG_E_SHAPE, "input %d (%s, '%s') must hold %lld floats", i,
                             names[i], k->in[i]->name, (long long)n);
    }
    return HBG_OK;
}

typedef struct bn_params {
    float eps;
    float momentum;  /* training: running = running * momentum + batch * (1 - momentum) */
    int per_element; /* opset < 9 with spatial = 0: parameters shaped like one sample */
    int training;    /* opset >= 14 with training_mode = 1: batch statistics */
} bn_params;

static hbg_status bn_infer(hbg_kctx *k)
{
    const int64_t opset = hbg_mv_opset(k);
    hbg_status st = same_shape_f32(k);
    if (st != HBG_OK)
        return st;
    const int training = opset >= 14 && hbg_attr_int(k->node, "training_mode", 0) != 0;
    /* Before opset 14 the extra outputs are the saved statistics of another training scheme. */
    if (k->n_out > 1 && !training)
        return hbg_kfail(k, HBG_E_UNSUPPORTED,
                         "%d outputs without training_mode = 1 (opset %lld): the training "
                         "statistics outputs of BatchNormalization before opset 14 are not "
                         "supported",
                         k->n_out, (long long)opset);
    if (k->n_out > 3)
        return hbg_kfail(k, HBG_E_INVALID, "at most 3 outputs, has %d", k->n_out);
    const hbg_tensor *x = k->in[0];
    const int per_element = opset < 9 && hbg_attr_int(k->node, "spatial", 1) == 0;
    int64_t n = x->dims[1];
    for (int a = 2; per_element && a < x->rank; a++)
        n *= x->dims[a];
    if ((st = check_params(k, 1, 5, n)) != HBG_OK)
        return st;
    for (int o = 1; o < k->n_out; o++) /* running_mean, running_var: [C] */
        if ((st = hbg_tensor_set_shape(k->out[o], HBG_DT_F32, 1, &x->dims[1])) != HBG_OK)
            return hbg_kfail(k, st, "cannot set the shape of output %d", o);
    bn_params *p = hbg_mv_params(k, sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->eps = hbg_attr_float(k->node, "epsilon", 1e-5f);
    p->momentum = hbg_attr_float(k->node, "momentum", 0.9f);
    p->per_element = per_element;
    p->training = training;
    return HBG_OK;
}

/* Training mode: per channel, the batch mean and biased variance over N and the spatial axes
 * (double, index order) normalise x; the running statistics outputs blend them in. */
static void bn_train(const bn_params *p, hbg_kctx *k, int64_t N, int64_t C, int64_t inner)
{
    const float *x = k->in[0]->data, *scale = k->in[1]->data, *b = k->in[2]->data,
                *mean = k->in[3]->data, *var = k->in[4]->data;
    float *y = k->out[0]->data;
    float *rmean = k->n_out > 1 && k->out[1] ? k->out[1]->data : NULL;
    float *rvar = k->n_out > 2 && k->out[2] ? k->out[2]->data : NULL;
    const double cnt = (double)(N * inner);
    for (int64_t c = 0; c < C; c++) {
        double sum = 0.0, sq = 0.0;
        for (int64_t n = 0; n < N; n++)
            for (int64_t i = 0; i < inner; i++)
                sum += (double)x[(n * C + c) * inner + i];
        const double m = cnt > 0 ? sum / cnt : 0.0;
        for (int64_t n = 0; n < N; n++)
            for (int64_t i = 0; i < inner; i++) {
                const double d = (double)x[(n * C + c) * inner + i] - m;
                sq += d * d;
            }
        const double v = cnt > 0 ? sq / cnt : 0.0;
        const double a = (double)scale[c] / sqrt(v + (double)p->eps);
        for (int64_t n = 0; n < N; n++)
            for (int64_t i = 0; i < inner; i++) {
                const int64_t e = (n * C + c) * inner + i;
                y[e] = (float)(((double)x[e] - m) * a + (double)b[c]);
            }
        if (rmean)
            rmean[c] = (float)((double)mean[c] * p->momentum + m * (1.0 - p->momentum));
        if (rvar)
            rvar[c] = (float)((double)var[c] * p->momentum + v * (1.0 - p->momentum));
    }
}

static hbg_status bn_run(hbg_kctx *k)
{
    const bn_params *p = k->node->params;
    const hbg_tensor *x = k->in[0];
    const float *scale = k->in[1]->data, *b = k->in[2]->data, *mean = k->in[3]->data,
                *var = k->in[4]->data;
    int64_t inner = 1;
    for (int a = 2; a < x->rank; a++)
        inner *= x->dims[a];
    const int64_t N = x->dims[0], C = x->dims[1];
    if (p->training) {
        bn_train(p, k, N, C, inner);
        return HBG_OK;
    }
    const float *xs = x->data;
    float *y = k->out[0]->data;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t c = 0; c < C; c++, xs += inner, y += inner) {
            if (p->per_element) {
                for (int64_t i = 0; i < inner; i++) {
                    const int64_t e = c * inner + i;
                    y[i] = (xs[i] - mean[e]) * (scale[e] / sqrtf(var[e] + p->eps)) + b[e];
                }
            } else {
                const float a = scale[c] / sqrtf(var[c] + p->eps), m = mean[c], bc = b[c];
                for (int64_t i = 0; i < inner; i++)
                    y[i] = (xs[i] - m) * a + bc;
            }
        }
    }
    return HBG_OK;
}

static hbg_status in_infer(hbg_kctx *k)
{
    hbg_status st = same_shape_f32(k);
    if (st != HBG_OK || (st = check_params(k, 1, 3, k->in[0]->dims[1])) != HBG_OK)
        return st;
    float *eps = hbg_mv_params(k, sizeof *eps);
    if (!eps)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    *eps = hbg_attr_float(k->node, "epsilon", 1e-5f);
    return HBG_OK;
}

static hbg_status in_run(hbg_kctx *k)
{
    const float eps = *(const float *)k->node->params;
    const hbg_tensor *x = k->in[0];
    const float *scale = k->in[1]->data, *b = k->in[2]->data;
    int64_t inner = 1;
    for (int a = 2; a < x->rank; a++)
        inner *= x->dims[a];
    const int64_t N = x->dims[0], C = x->dims[1];
    const float *xs = x->data;
    float *y = k->out[0]->data;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t c = 0; c < C; c++, xs += inner, y += inner) {
            double sum = 0.0, sq = 0.0;
            for (int64_t i = 0; i < inner; i++)
                sum += (double)xs[i];
            const double mean = inner ? sum / (double)inner : 0.0;
            for (int64_t i = 0; i < inner; i++) {
                const double d = (double)xs[i] - mean;
                sq += d * d;
            }
            const double var = inner ? sq / (double)inner : 0.0;
            const float a = (float)((double)scale[c] / sqrt(var + (double)eps));
            const float m = (float)mean, bc = b[c];
            for (int64_t i = 0; i < inner; i++)
                y[i] = (xs[i] - m) * a + bc;
        }
    }
    return HBG_OK;
}

typedef struct lrn_params {
    float alpha_over_size, beta, bias;
    int64_t before, after; /* channels summed before and after the current one */
} lrn_params;

static hbg_status lrn_infer(hbg_kctx *k)
{
    hbg_status st = same_shape_f32(k);
    if (st != HBG_OK)
        return st;
    const int64_t size = hbg_attr_int(k->node, "size", 0);
    if (size < 1)
        return hbg_kfail(k, HBG_E_INVALID, "attribute size must be >= 1, not %lld",
                         (long long)size);
    lrn_params *p = hbg_mv_params(k, sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->alpha_over_size = hbg_attr_float(k->node, "alpha", 1e-4f) / (float)size;
    p->beta = hbg_attr_float(k->node, "beta", 0.75f);
    p->bias = hbg_attr_float(k->node, "bias", 1.0f);
    p->before = (size - 1) / 2;
    p->after = size - 1 - p->before;
    int64_t inner = 1;
    for (int a = 2; a < k->in[0]->rank; a++)
        inner *= k->in[0]->dims[a];
    k->node->scratch = (size_t)inner * sizeof(float);
    return HBG_OK;
}

static hbg_status lrn_run(hbg_kctx *k)
{
    const lrn_params *p = k->node->params;
    const hbg_tensor *x = k->in[0];
    int64_t inner = 1;
    for (int a = 2; a < x->rank; a++)
        inner *= x->dims[a];
    const int64_t N = x->dims[0], C = x->dims[1];
    float *sq = k->scratch;
    for (int64_t n = 0; n < N; n++) {
        const float *xn = (const float *)x->data + n * C * inner;
        float *yn = (float *)k->out[0]->data + n * C * inner;
        for (int64_t c = 0; c < C; c++) {
            const int64_t c0 = c - p->before < 0 ? 0 : c - p->before;
            const int64_t c1 = c + p->after >= C ? C - 1 : c + p->after;
            /* channel-major sums over a scratch row keep the reads contiguous */
            for (int64_t i = 0; i < inner; i++)
                sq[i] = 0.0f;
            for (int64_t j = c0; j <= c1; j++) {
                const float *xj = xn + j * inner;
                for (int64_t i = 0; i < inner; i++)
                    sq[i] += xj[i] * xj[i];
            }
            const float *xc = xn + c * inner;
            float *yc = yn + c * inner;
            for (int64_t i = 0; i < inner; i++)
                yc[i] = xc[i] / powf(p->bias + p->alpha_over_size * sq[i], p->beta);
        }
    }
    return HBG_OK;
}

const hbg_op_impl hbg_ops_norm[] = {
    {HBG_OP_BATCHNORMALIZATION, bn_infer, bn_run, 0},
    {HBG_OP_INSTANCENORMALIZATION, in_infer, in_run, 0},
    {HBG_OP_LRN, lrn_infer, lrn_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
