/* The layer converters: one function per Caffe layer type, each checking the layer's parameters
 * and weights against Caffe's rules, computing its tops' shapes as Caffe does, and emitting the
 * equivalent ONNX (opset 13) nodes. docs/caffe-frontend.md lists the mapping.
 *
 * Every spatial parameter and dimension is bounded by INT32_MAX (dimensions by the driver,
 * parameters here), so the shape arithmetic below cannot overflow int64.
 */
#include "caffe_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------------------------- */

static const cf_shape *in_shape(const cf_ctx *C, size_t i)
{
    return &C->in[i]->shape;
}

static const char *in_name(const cf_ctx *C, size_t i)
{
    return C->g->tensors[C->in[i]->tensor]->name;
}

/* Caffe's CanonicalAxisIndex: axis in [-rank, rank) -> [0, rank). */
static hbg_status canon_axis(cf_ctx *C, const char *field, int64_t axis, int rank, int *out)
{
    if (axis < -rank || axis >= rank)
        return cf_fail(C, HBG_E_INVALID, "%s %lld is out of range for a bottom of rank %d", field,
                       (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return HBG_OK;
}

static hbg_status need_rank(cf_ctx *C, int rank, const char *what)
{
    if (in_shape(C, 0)->rank != rank)
        return cf_fail(C, HBG_E_UNSUPPORTED, "%s: the bottom must have rank %d, it has rank %d",
                       what, rank, in_shape(C, 0)->rank);
    return HBG_OK;
}

/* A spatial parameter given as uint32 in the file: lo <= v <= INT32_MAX. */
static hbg_status param_range(cf_ctx *C, const char *field, uint32_t v, int64_t lo, int64_t *out)
{
    if ((int64_t)v < lo || v > INT32_MAX)
        return cf_fail(C, HBG_E_INVALID, "%s = %lu is out of range (%lld..%d)", field,
                       (unsigned long)v, (long long)lo, INT32_MAX);
    *out = v;
    return HBG_OK;
}

/* Give an existing constant another shape with the same element count. */
static void reshape_const(cf_ctx *C, const char *name, int rank, const int64_t *dims)
{
    hbg_tensor_set_shape(C->g->tensors[hbg_graph_find_tensor(C->g, name)], HBG_DT_F32, rank, dims);
}

/* A float scalar constant (rank 0). */
static hbg_status scalar_const(cf_ctx *C, const char *role, float v, const char **name)
{
    static const int64_t no_dims[1] = {0};
    return cf_const_f32(C, role, 0, no_dims, &v, name);
}

/* A one-input, one-output node op from `in` to `out`. */
static hbg_status unary_node(cf_ctx *C, const char *op, const char *suffix, const char *in,
                             const char *out, hbg_node **node)
{
    return cf_node(C, op, suffix, 1, &in, 1, &out, node);
}

/* Reshape `in` to shape s (an int64 constant "<layer>/<role>"), writing `out`. */
static hbg_status reshape_node(cf_ctx *C, const char *suffix, const char *role, const char *in,
                               const cf_shape *s, const char *out)
{
    const int64_t len = s->rank;
    const char *ins[2] = {in, NULL};
    hbg_node *n;
    hbg_status st = cf_const_i64(C, role, 1, &len, s->d, &ins[1]);
    return st == HBG_OK ? cf_node(C, "Reshape", suffix, 2, ins, 1, &out, &n) : st;
}

/* ---- Input --------------------------------------------------------------------------------- */

static hbg_status cv_input(cf_ctx *C)
{
    const Caffe__InputParameter *P = C->L->input_param;
    const size_t n = P ? P->n_shape : 0;
    hbg_status st;
    if (n != 1 && n != C->L->n_top)
        return cf_fail(C, HBG_E_INVALID,
                       "input_param must give one shape, or one per top (%zu), not %zu",
                       C->L->n_top, n);
    for (size_t j = 0; j < C->L->n_top; j++) {
        const Caffe__BlobShape *s = P->shape[n == 1 ? 0 : j];
        if (s->n_dim < 1 || s->n_dim > HBG_MAX_RANK)
            return cf_fail(C, HBG_E_UNSUPPORTED, "input_param shape %zu has %zu dimensions (1..%d)",
                           j, s->n_dim, HBG_MAX_RANK);
        C->top_shapes[j].rank = (int)s->n_dim;
        memcpy(C->top_shapes[j].d, s->dim, s->n_dim * sizeof s->dim[0]);
        if ((st = cf_input(C, C->top_names[j])) != HBG_OK)
            return st;
    }
    return HBG_OK;
}

/* ---- Convolution, Deconvolution ------------------------------------------------------------ */

/* Kernel, stride, pad, dilation of a 2-D convolution, each [h, w]. */
typedef struct conv_geom {
    int64_t k[2], s[2], p[2], d[2];
} conv_geom;

/* One of the size parameters: field_h/field_w (has_h, has_w, h, w; both: they must come
 * together, else the missing one is dflt) or the repeated field (n values v), with default dflt
 * when neither is given (dflt < 0: required). */
static hbg_status conv_pair(cf_ctx *C, const char *field, int both, int has_h, int has_w,
                            uint32_t h, uint32_t w, size_t n, const uint32_t *v, int64_t dflt,
                            int64_t lo, int64_t out[2])
{
    char fh[40], fw[40];
    hbg_status st;
    snprintf(fh, sizeof fh, "%s_h", field);
    snprintf(fw, sizeof fw, "%s_w", field);
    if (has_h || has_w) {
        if (n)
            return cf_fail(C, HBG_E_INVALID, "give %s or %s/%s, not both", field, fh, fw);
        if (both && !(has_h && has_w))
            return cf_fail(C, HBG_E_INVALID, "%s and %s must be given together", fh, fw);
        if ((st = param_range(C, fh, has_h ? h : (uint32_t)dflt, lo, &out[0])) != HBG_OK)
            return st;
        return param_range(C, fw, has_w ? w : (uint32_t)dflt, lo, &out[1]);
    }
    if (n == 0 && dflt < 0)
        return cf_fail(C, HBG_E_INVALID, "%s is required", field);
    if (n == 0) {
        out[0] = out[1] = dflt;
        return HBG_OK;
    }
    if (n != 1 && n != 2)
        return cf_fail(C, HBG_E_UNSUPPORTED,
                       "%s has %zu values: only 2-D convolution (1 or 2 values) is supported",
                       field, n);
    if ((st = param_range(C, field, v[0], lo, &out[0])) != HBG_OK)
        return st;
    return param_range(C, field, v[n - 1], lo, &out[1]);
}

static hbg_status conv_common(cf_ctx *C, int deconv)
{
    const Caffe__ConvolutionParameter *P = C->L->convolution_param;
    const cf_shape *x = in_shape(C, 0);
    const char *ins[3] = {in_name(C, 0), NULL, NULL};
    const char *axes[2] = {"h", "w"};
    conv_geom g;
    int64_t m = 0, group = 1, wd[4], pads[4], o[2];
    int axis = 0;
    hbg_node *n;
    hbg_status st;

    if (!P)
        return cf_fail(C, HBG_E_INVALID, "convolution_param is missing (num_output is required)");
    if ((st = need_rank(C, 4, "only 2-D convolution is supported")) != HBG_OK ||
        (st = canon_axis(C, "axis", P->axis, 4, &axis)) != HBG_OK)
        return st;
    if (axis != 1)
        return cf_fail(C, HBG_E_UNSUPPORTED, "axis %d: only the channel axis 1 is supported", axis);
    if ((st = conv_pair(C, "kernel_size", 1, P->has_kernel_h, P->has_kernel_w, P->kernel_h,
                        P->kernel_w, P->n_kernel_size, P->kernel_size, -1, 1, g.k)) != HBG_OK ||
        (st = conv_pair(C, "stride", 1, P->has_stride_h, P->has_stride_w, P->stride_h, P->stride_w,
                        P->n_stride, P->stride, 1, 1, g.s)) != HBG_OK ||
        (st = conv_pair(C, "pad", 0, P->has_pad_h, P->has_pad_w, P->pad_h, P->pad_w, P->n_pad,
                        P->pad, 0, 0, g.p)) != HBG_OK ||
        (st = conv_pair(C, "dilation", 0, 0, 0, 0, 0, P->n_dilation, P->dilation, 1, 1, g.d)) !=
            HBG_OK)
        return st;
    if (!P->has_num_output)
        return cf_fail(C, HBG_E_INVALID, "convolution_param.num_output is required");
    if ((st = param_range(C, "num_output", P->num_output, 1, &m)) != HBG_OK ||
        (st = param_range(C, "group", P->group, 1, &group)) != HBG_OK)
        return st;
    const int64_t cin = x->d[1];
    if (cin % group || m % group)
        return cf_fail(C, HBG_E_INVALID,
                       "group %lld must divide the input channels (%lld) and num_output (%lld)",
                       (long long)group, (long long)cin, (long long)m);
    for (int a = 0; a < 2; a++) {
        const int64_t in = x->d[2 + a], ext = g.d[a] * (g.k[a] - 1) + 1;
        if (deconv) {
            o[a] = g.s[a] * (in - 1) + ext - 2 * g.p[a];
        } else {
            if (in + 2 * g.p[a] < ext)
                return cf_fail(C, HBG_E_SHAPE,
                               "the kernel spans %lld on axis %s, more than the padded input "
                               "(%lld)",
                               (long long)ext, axes[a], (long long)(in + 2 * g.p[a]));
            o[a] = (in + 2 * g.p[a] - ext) / g.s[a] + 1;
        }
    }
    wd[0] = deconv ? cin : m;
    wd[1] = deconv ? m / group : cin / group;
    wd[2] = g.k[0];
    wd[3] = g.k[1];
    const int bias = P->bias_term;
    if ((st = cf_blob_count(C, bias ? 2 : 1)) != HBG_OK ||
        (st = cf_weight(C, 0, "weights", "weight", 4, wd, &ins[1], NULL)) != HBG_OK ||
        (bias && (st = cf_weight(C, 1, "bias", "bias", 1, &m, &ins[2], NULL)) != HBG_OK))
        return st;
    if ((st = cf_node(C, deconv ? "ConvTranspose" : "Conv", NULL, bias ? 3 : 2, ins, 1,
                      C->top_names, &n)) != HBG_OK)
        return st;
    pads[0] = g.p[0];
    pads[1] = g.p[1];
    pads[2] = g.p[0];
    pads[3] = g.p[1];
    if ((st = cf_attr_ints(C, n, "kernel_shape", 2, g.k)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "strides", 2, g.s)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "pads", 4, pads)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "dilations", 2, g.d)) != HBG_OK ||
        (st = cf_attr_int(C, n, "group", group)) != HBG_OK)
        return st;
    C->top_shapes[0] = (cf_shape){4, {x->d[0], m, o[0], o[1]}};
    return HBG_OK;
}

static hbg_status cv_conv(cf_ctx *C)
{
    return conv_common(C, 0);
}

static hbg_status cv_deconv(cf_ctx *C)
{
    return conv_common(C, 1);
}

/* ---- Pooling ------------------------------------------------------------------------------- */

/* Pooling's kernel/stride/pad: `field` alone, or field_h and field_w together. */
static hbg_status pool_pair(cf_ctx *C, const char *field, int has, uint32_t v, int has_h,
                            uint32_t h, int has_w, uint32_t w, int64_t lo, int64_t out[2])
{
    hbg_status st;
    char fh[40], fw[40];
    snprintf(fh, sizeof fh, "%s_h", field);
    snprintf(fw, sizeof fw, "%s_w", field);
    if (has_h || has_w) {
        if (has || !(has_h && has_w))
            return cf_fail(C, HBG_E_INVALID, "give %s, or %s and %s together", field, fh, fw);
        if ((st = param_range(C, fh, h, lo, &out[0])) != HBG_OK)
            return st;
        return param_range(C, fw, w, lo, &out[1]);
    }
    if ((st = param_range(C, field, v, lo, &out[0])) != HBG_OK)
        return st;
    out[1] = out[0];
    return HBG_OK;
}

static hbg_status cv_pooling(cf_ctx *C)
{
    static const Caffe__PoolingParameter dflt = CAFFE__POOLING_PARAMETER__INIT;
    const Caffe__PoolingParameter *P = C->L->pooling_param ? C->L->pooling_param : &dflt;
    const cf_shape *x = in_shape(C, 0);
    const char *axes[2] = {"h", "w"};
    const int is_max = P->pool == CAFFE__POOLING_PARAMETER__POOL_METHOD__MAX;
    int64_t k[2], s[2], p[2], o[2], pads[4];
    int ceil_needed = 0;
    hbg_node *n;
    hbg_status st;

    if ((st = need_rank(C, 4, "2-D pooling")) != HBG_OK)
        return st;
    if (P->pool == CAFFE__POOLING_PARAMETER__POOL_METHOD__STOCHASTIC)
        return cf_fail(C, HBG_E_UNSUPPORTED, "pool: STOCHASTIC is not supported");
    if ((st = pool_pair(C, "stride", P->has_stride, P->stride, P->has_stride_h, P->stride_h,
                        P->has_stride_w, P->stride_w, 1, s)) != HBG_OK ||
        (st = pool_pair(C, "pad", P->has_pad, P->pad, P->has_pad_h, P->pad_h, P->has_pad_w,
                        P->pad_w, 0, p)) != HBG_OK)
        return st;
    if (P->global_pooling) {
        if (P->has_kernel_size || P->has_kernel_h || P->has_kernel_w)
            return cf_fail(C, HBG_E_INVALID, "global_pooling takes no kernel size");
        if (p[0] || p[1] || s[0] != 1 || s[1] != 1)
            return cf_fail(C, HBG_E_INVALID, "global_pooling needs pad 0 and stride 1");
        if ((st = unary_node(C, is_max ? "GlobalMaxPool" : "GlobalAveragePool", NULL, in_name(C, 0),
                             C->top_names[0], &n)) != HBG_OK)
            return st;
        C->top_shapes[0] = (cf_shape){4, {x->d[0], x->d[1], 1, 1}};
        return HBG_OK;
    }
    if (!P->has_kernel_size && !P->has_kernel_h && !P->has_kernel_w)
        return cf_fail(C, HBG_E_INVALID, "kernel_size (or kernel_h and kernel_w) is required");
    if ((st = pool_pair(C, "kernel_size", P->has_kernel_size, P->kernel_size, P->has_kernel_h,
                        P->kernel_h, P->has_kernel_w, P->kernel_w, 1, k)) != HBG_OK)
        return st;
    for (int a = 0; a < 2; a++) {
        const int64_t in = x->d[2 + a], span = in + 2 * p[a] - k[a];
        if (p[a] >= k[a])
            return cf_fail(C, HBG_E_INVALID,
                           "pad %lld must be smaller than the kernel (%lld) on "
                           "axis %s",
                           (long long)p[a], (long long)k[a], axes[a]);
        if (span < 0)
            return cf_fail(C, HBG_E_SHAPE,
                           "the kernel (%lld) is larger than the padded input (%lld) on axis %s",
                           (long long)k[a], (long long)(in + 2 * p[a]), axes[a]);
        const int64_t lo = span / s[a] + 1;
        if (P->round_mode == CAFFE__POOLING_PARAMETER__ROUND_MODE__FLOOR) {
            o[a] = lo;
            continue;
        }
        o[a] = (span + s[a] - 1) / s[a] + 1;
        /* Caffe's clip rule: with padding, the last window must start inside the input or its
         * begin padding. Without padding it keeps a window that reads no data; we refuse it. */
        if (p[a] > 0 && (o[a] - 1) * s[a] >= in + p[a])
            o[a]--;
        if ((o[a] - 1) * s[a] >= in + p[a])
            return cf_fail(C, HBG_E_UNSUPPORTED,
                           "the last window on axis %s starts past the input (kernel %lld < "
                           "stride %lld with ceil rounding): Caffe reads no data there",
                           axes[a], (long long)k[a], (long long)s[a]);
        ceil_needed |= o[a] != lo;
    }
    if ((st = unary_node(C, is_max ? "MaxPool" : "AveragePool", NULL, in_name(C, 0),
                         C->top_names[0], &n)) != HBG_OK)
        return st;
    pads[0] = p[0];
    pads[1] = p[1];
    pads[2] = p[0];
    pads[3] = p[1];
    if ((st = cf_attr_ints(C, n, "kernel_shape", 2, k)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "strides", 2, s)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "pads", 4, pads)) != HBG_OK ||
        (ceil_needed && (st = cf_attr_int(C, n, "ceil_mode", 1)) != HBG_OK) ||
        /* Caffe divides by the window clipped to the padded input: ONNX's count_include_pad */
        (!is_max && (st = cf_attr_int(C, n, "count_include_pad", 1)) != HBG_OK))
        return st;
    C->top_shapes[0] = (cf_shape){4, {x->d[0], x->d[1], o[0], o[1]}};
    return HBG_OK;
}

/* ---- InnerProduct -------------------------------------------------------------------------- */

static hbg_status cv_inner_product(cf_ctx *C)
{
    const Caffe__InnerProductParameter *P = C->L->inner_product_param;
    const cf_shape *x = in_shape(C, 0);
    const char *ins[3] = {in_name(C, 0), NULL, NULL}, *gemm_out = C->top_names[0];
    int64_t nout = 0, wd[2];
    int axis = 0;
    hbg_node *n;
    hbg_status st;

    if (!P || !P->has_num_output)
        return cf_fail(C, HBG_E_INVALID, "inner_product_param.num_output is required");
    if ((st = param_range(C, "num_output", P->num_output, 1, &nout)) != HBG_OK ||
        (st = canon_axis(C, "axis", P->axis, x->rank, &axis)) != HBG_OK)
        return st;
    cf_shape flat = {2, {1, 1}}, top = {axis + 1, {0}};
    for (int a = 0; a < x->rank; a++)
        flat.d[a < axis ? 0 : 1] *= x->d[a];
    memcpy(top.d, x->d, (size_t)axis * sizeof top.d[0]);
    top.d[axis] = nout;
    wd[0] = P->transpose ? flat.d[1] : nout;
    wd[1] = P->transpose ? nout : flat.d[1];
    const int bias = P->bias_term;
    if ((st = cf_blob_count(C, bias ? 2 : 1)) != HBG_OK ||
        (st = cf_weight(C, 0, "weights", "weight", 2, wd, &ins[1], NULL)) != HBG_OK ||
        (bias && (st = cf_weight(C, 1, "bias", "bias", 1, &nout, &ins[2], NULL)) != HBG_OK))
        return st;
    /* Bring the bottom to [M, K]: as is, with Flatten(axis = 1), or with a Reshape. */
    if (x->rank != 2 || axis != 1) {
        const char *a;
        if ((st = cf_temp(C, "flatten", &flat, &a)) != HBG_OK)
            return st;
        if (axis == 1) {
            if ((st = unary_node(C, "Flatten", "flatten", ins[0], a, &n)) != HBG_OK ||
                (st = cf_attr_int(C, n, "axis", 1)) != HBG_OK)
                return st;
        } else if ((st = reshape_node(C, "flatten", "flatten_shape", ins[0], &flat, a)) != HBG_OK) {
            return st;
        }
        ins[0] = a;
    }
    if (axis != 1) {
        const cf_shape mn = {2, {flat.d[0], nout}};
        if ((st = cf_temp(C, "gemm", &mn, &gemm_out)) != HBG_OK)
            return st;
    }
    if ((st = cf_node(C, "Gemm", NULL, bias ? 3 : 2, ins, 1, &gemm_out, &n)) != HBG_OK ||
        (st = cf_attr_int(C, n, "transB", P->transpose ? 0 : 1)) != HBG_OK)
        return st;
    if (axis != 1 &&
        (st = reshape_node(C, "reshape", "shape", gemm_out, &top, C->top_names[0])) != HBG_OK)
        return st;
    C->top_shapes[0] = top;
    return HBG_OK;
}

/* ---- activations --------------------------------------------------------------------------- */

static hbg_status same_shape_unary(cf_ctx *C, const char *op, hbg_node **n)
{
    C->top_shapes[0] = *in_shape(C, 0);
    return unary_node(C, op, NULL, in_name(C, 0), C->top_names[0], n);
}

static hbg_status cv_relu(cf_ctx *C)
{
    const Caffe__ReLUParameter *P = C->L->relu_param;
    hbg_node *n;
    hbg_status st;
    if (!P || P->negative_slope == 0.0f)
        return same_shape_unary(C, "Relu", &n);
    if ((st = same_shape_unary(C, "LeakyRelu", &n)) != HBG_OK)
        return st;
    return cf_attr_float(C, n, "alpha", P->negative_slope);
}

static hbg_status cv_sigmoid(cf_ctx *C)
{
    hbg_node *n;
    return same_shape_unary(C, "Sigmoid", &n);
}

static hbg_status cv_tanh(cf_ctx *C)
{
    hbg_node *n;
    return same_shape_unary(C, "Tanh", &n);
}

static hbg_status cv_dropout(cf_ctx *C)
{
    hbg_node *n;
    /* inference: Caffe's Dropout passes its input through */
    return same_shape_unary(C, "Identity", &n);
}

static hbg_status cv_prelu(cf_ctx *C)
{
    const Caffe__PReLUParameter *P = C->L->prelu_param;
    const cf_shape *x = in_shape(C, 0);
    const char *ins[2] = {in_name(C, 0), NULL};
    hbg_node *n;
    hbg_status st;
    if (x->rank < 2)
        return cf_fail(C, HBG_E_INVALID, "the bottom must have rank >= 2, it has rank %d", x->rank);
    /* slope [C] (or [1] when shared), stored as [C, 1, ...] to broadcast over N x C x ... */
    cf_shape slope = {x->rank - 1, {0}};
    const int shared = P && P->channel_shared;
    const int64_t c = shared ? 1 : x->d[1];
    for (int a = 0; a < slope.rank; a++)
        slope.d[a] = a == 0 ? c : 1;
    if ((st = cf_blob_count(C, 1)) != HBG_OK ||
        (st = cf_weight(C, 0, "slopes", "slope", 1, &c, &ins[1], NULL)) != HBG_OK)
        return st;
    reshape_const(C, ins[1], slope.rank, slope.d);
    C->top_shapes[0] = *x;
    return cf_node(C, "PRelu", NULL, 2, ins, 1, C->top_names, &n);
}

/* ---- BatchNorm, Scale ---------------------------------------------------------------------- */

static hbg_status cv_batchnorm(cf_ctx *C)
{
    const Caffe__BatchNormParameter *P = C->L->batch_norm_param;
    const cf_shape *x = in_shape(C, 0);
    const char *ins[5] = {in_name(C, 0), NULL, NULL, NULL, NULL};
    float *mean, *var, *ones = NULL, factor;
    hbg_node *n;
    hbg_status st;

    if (P && P->has_use_global_stats && !P->use_global_stats)
        return cf_fail(C, HBG_E_UNSUPPORTED,
                       "use_global_stats: false normalises with batch statistics; inference "
                       "needs the stored ones");
    if (x->rank < 2)
        return cf_fail(C, HBG_E_INVALID, "the bottom must have rank >= 2, it has rank %d", x->rank);
    const int64_t c = x->d[1], one = 1;
    if ((st = cf_blob_count(C, 3)) != HBG_OK ||
        (st = cf_weight(C, 0, "mean", "mean", 1, &c, &ins[3], &mean)) != HBG_OK ||
        (st = cf_weight(C, 1, "variance", "var", 1, &c, &ins[4], &var)) != HBG_OK ||
        (st = cf_weight_read(C, 2, "moving average factor", 1, &one, &factor)) != HBG_OK)
        return st;
    /* Caffe stores sums scaled by the moving-average factor (blob 2); 0 means no statistics */
    const float scale = factor == 0.0f ? 0.0f : 1.0f / factor;
    for (int64_t i = 0; i < c; i++) {
        mean[i] *= scale;
        var[i] *= scale;
    }
    if (!(ones = malloc((size_t)c * sizeof *ones)))
        return cf_fail(C, HBG_E_NOMEM, "out of memory");
    for (int64_t i = 0; i < c; i++)
        ones[i] = 1.0f;
    st = cf_const_f32(C, "scale", 1, &c, ones, &ins[1]);
    for (int64_t i = 0; i < c && st == HBG_OK; i++)
        ones[i] = 0.0f;
    if (st == HBG_OK)
        st = cf_const_f32(C, "bias", 1, &c, ones, &ins[2]);
    free(ones);
    if (st != HBG_OK ||
        (st = cf_node(C, "BatchNormalization", NULL, 5, ins, 1, C->top_names, &n)) != HBG_OK)
        return st;
    C->top_shapes[0] = *x;
    return cf_attr_float(C, n, "epsilon", P ? P->eps : 1e-5f);
}

static hbg_status cv_scale(cf_ctx *C)
{
    static const Caffe__ScaleParameter dflt = CAFFE__SCALE_PARAMETER__INIT;
    const Caffe__ScaleParameter *P = C->L->scale_param ? C->L->scale_param : &dflt;
    const cf_shape *x = in_shape(C, 0);
    const char *ins[2] = {in_name(C, 0), NULL}, *bias = NULL, *mul_out = C->top_names[0];
    int axis = 0;
    hbg_node *n;
    hbg_status st;

    if ((st = canon_axis(C, "axis", P->axis, x->rank, &axis)) != HBG_OK)
        return st;
    if (P->num_axes < -1 || (P->num_axes >= 0 && axis + P->num_axes > x->rank))
        return cf_fail(C, HBG_E_INVALID,
                       "num_axes %d does not fit a bottom of rank %d from axis "
                       "%d",
                       (int)P->num_axes, x->rank, axis);
    const int na = P->num_axes < 0 ? x->rank - axis : (int)P->num_axes;
    /* the parameter's shape, and the same padded with ones to broadcast from `axis` */
    cf_shape ps = {na, {0}}, bs = {x->rank - axis, {0}};
    for (int a = 0; a < bs.rank; a++)
        bs.d[a] = a < na ? x->d[axis + a] : 1;
    memcpy(ps.d, bs.d, (size_t)na * sizeof ps.d[0]);
    if ((st = cf_blob_count(C, P->bias_term ? 2 : 1)) != HBG_OK ||
        (st = cf_weight(C, 0, "scale", "scale", ps.rank, ps.d, &ins[1], NULL)) != HBG_OK ||
        (P->bias_term &&
         (st = cf_weight(C, 1, "bias", "bias", ps.rank, ps.d, &bias, NULL)) != HBG_OK))
        return st;
    reshape_const(C, ins[1], bs.rank, bs.d);
    if (bias) {
        reshape_const(C, bias, bs.rank, bs.d);
        if ((st = cf_temp(C, "mul", x, &mul_out)) != HBG_OK)
            return st;
    }
    if ((st = cf_node(C, "Mul", bias ? "mul" : NULL, 2, ins, 1, &mul_out, &n)) != HBG_OK)
        return st;
    if (bias) {
        const char *add_in[2] = {mul_out, bias};
        if ((st = cf_node(C, "Add", NULL, 2, add_in, 1, C->top_names, &n)) != HBG_OK)
            return st;
    }
    C->top_shapes[0] = *x;
    return HBG_OK;
}

/* ---- Eltwise, Concat, Slice ---------------------------------------------------------------- */

static int same_shape(const cf_shape *a, const cf_shape *b)
{
    return a->rank == b->rank && memcmp(a->d, b->d, (size_t)a->rank * sizeof a->d[0]) == 0;
}

static hbg_status cv_eltwise(cf_ctx *C)
{
    static const Caffe__EltwiseParameter dflt = CAFFE__ELTWISE_PARAMETER__INIT;
    const Caffe__EltwiseParameter *P = C->L->eltwise_param ? C->L->eltwise_param : &dflt;
    const size_t nb = C->L->n_bottom;
    const char *terms[64];
    char role[32];
    hbg_node *n;
    hbg_status st;

    for (size_t i = 1; i < nb; i++)
        if (!same_shape(in_shape(C, i), in_shape(C, 0)))
            return cf_fail(C, HBG_E_SHAPE, "bottom %zu ('%s') has another shape than bottom 0", i,
                           C->L->bottom[i]);
    if (P->n_coeff && P->operation != CAFFE__ELTWISE_PARAMETER__ELTWISE_OP__SUM)
        return cf_fail(C, HBG_E_INVALID, "coeff is only allowed with operation SUM");
    if (P->n_coeff && P->n_coeff != nb)
        return cf_fail(C, HBG_E_INVALID, "has %zu coeff for %zu bottoms", P->n_coeff, nb);
    C->top_shapes[0] = *in_shape(C, 0);
    for (size_t i = 0; i < nb; i++) {
        terms[i] = in_name(C, i);
        if (P->n_coeff && P->coeff[i] != 1.0f) {
            /* the term coeff[i] * x[i]: constant "<layer>/coeff<i>", node "<layer>/term<i>" */
            const char *ins[2] = {terms[i], NULL};
            snprintf(role, sizeof role, "coeff%zu", i);
            if ((st = scalar_const(C, role, P->coeff[i], &ins[1])) != HBG_OK)
                return st;
            snprintf(role, sizeof role, "term%zu", i);
            if ((st = cf_temp(C, role, in_shape(C, i), &terms[i])) != HBG_OK ||
                (st = cf_node(C, "Mul", role, 2, ins, 1, &terms[i], &n)) != HBG_OK)
                return st;
        }
    }
    switch (P->operation) {
    case CAFFE__ELTWISE_PARAMETER__ELTWISE_OP__PROD: {
        /* a chain of binary Mul, in Caffe's order: ((x0 * x1) * x2) ... */
        const char *acc = terms[0];
        for (size_t i = 1; i < nb; i++) {
            const char *ins[2] = {acc, terms[i]}, *out = C->top_names[0];
            snprintf(role, sizeof role, "prod%zu", i);
            if (i + 1 < nb && (st = cf_temp(C, role, in_shape(C, 0), &out)) != HBG_OK)
                return st;
            if ((st = cf_node(C, "Mul", i + 1 < nb ? role : NULL, 2, ins, 1, &out, &n)) != HBG_OK)
                return st;
            acc = out;
        }
        return HBG_OK;
    }
    case CAFFE__ELTWISE_PARAMETER__ELTWISE_OP__MAX:
        return cf_node(C, "Max", NULL, (int)nb, terms, 1, C->top_names, &n);
    default: /* SUM */
        return cf_node(C, nb == 2 ? "Add" : "Sum", NULL, (int)nb, terms, 1, C->top_names, &n);
    }
}

static hbg_status cv_concat(cf_ctx *C)
{
    static const Caffe__ConcatParameter dflt = CAFFE__CONCAT_PARAMETER__INIT;
    const Caffe__ConcatParameter *P = C->L->concat_param ? C->L->concat_param : &dflt;
    const cf_shape *x = in_shape(C, 0);
    const char *ins[64];
    int axis = 0;
    hbg_node *n;
    hbg_status st;

    if (P->has_concat_dim && P->has_axis)
        return cf_fail(C, HBG_E_INVALID, "give axis or concat_dim, not both");
    if ((st = canon_axis(C, P->has_concat_dim ? "concat_dim" : "axis",
                         P->has_concat_dim ? (int64_t)P->concat_dim : P->axis, x->rank, &axis)) !=
        HBG_OK)
        return st;
    cf_shape top = *x;
    top.d[axis] = 0;
    for (size_t i = 0; i < C->L->n_bottom; i++) {
        const cf_shape *b = in_shape(C, i);
        int ok = b->rank == x->rank;
        for (int a = 0; ok && a < x->rank; a++)
            ok = a == axis || b->d[a] == x->d[a];
        if (!ok)
            return cf_fail(C, HBG_E_SHAPE,
                           "bottom %zu ('%s') differs from bottom 0 on an axis other than %d", i,
                           C->L->bottom[i], axis);
        top.d[axis] += b->d[axis];
        ins[i] = in_name(C, i);
    }
    if ((st = cf_node(C, "Concat", NULL, (int)C->L->n_bottom, ins, 1, C->top_names, &n)) != HBG_OK)
        return st;
    C->top_shapes[0] = top;
    return cf_attr_int(C, n, "axis", axis);
}

static hbg_status cv_slice(cf_ctx *C)
{
    static const Caffe__SliceParameter dflt = CAFFE__SLICE_PARAMETER__INIT;
    const Caffe__SliceParameter *P = C->L->slice_param ? C->L->slice_param : &dflt;
    const cf_shape *x = in_shape(C, 0);
    const size_t nt = C->L->n_top;
    const char *ins[2] = {in_name(C, 0), NULL};
    int64_t sizes[64];
    int axis = 0;
    hbg_node *n;
    hbg_status st;

    if (P->has_slice_dim && P->has_axis)
        return cf_fail(C, HBG_E_INVALID, "give axis or slice_dim, not both");
    if ((st = canon_axis(C, P->has_slice_dim ? "slice_dim" : "axis",
                         P->has_slice_dim ? (int64_t)P->slice_dim : P->axis, x->rank, &axis)) !=
        HBG_OK)
        return st;
    const int64_t len = x->d[axis];
    if (P->n_slice_point) {
        int64_t prev = 0;
        if (P->n_slice_point != nt - 1)
            return cf_fail(C, HBG_E_INVALID, "has %zu slice_point for %zu tops (needs %zu)",
                           P->n_slice_point, nt, nt - 1);
        for (size_t i = 0; i < nt; i++) {
            const int64_t at = i + 1 < nt ? (int64_t)P->slice_point[i] : len;
            if (at <= prev || at > len)
                return cf_fail(C, HBG_E_INVALID,
                               "slice_point %lld must increase and stay inside (0, %lld) on axis "
                               "%d",
                               (long long)at, (long long)len, axis);
            sizes[i] = at - prev;
            prev = at;
        }
    } else {
        if (len % (int64_t)nt)
            return cf_fail(C, HBG_E_SHAPE, "axis %d (%lld) does not split into %zu equal parts",
                           axis, (long long)len, nt);
        for (size_t i = 0; i < nt; i++)
            sizes[i] = len / (int64_t)nt;
    }
    const int64_t count = (int64_t)nt;
    if ((st = cf_const_i64(C, "split", 1, &count, sizes, &ins[1])) != HBG_OK ||
        (st = cf_node(C, "Split", NULL, 2, ins, (int)nt, C->top_names, &n)) != HBG_OK ||
        (st = cf_attr_int(C, n, "axis", axis)) != HBG_OK)
        return st;
    for (size_t i = 0; i < nt; i++) {
        C->top_shapes[i] = *x;
        C->top_shapes[i].d[axis] = sizes[i];
    }
    return HBG_OK;
}

/* ---- shape layers -------------------------------------------------------------------------- */

static hbg_status cv_flatten(cf_ctx *C)
{
    static const Caffe__FlattenParameter dflt = CAFFE__FLATTEN_PARAMETER__INIT;
    const Caffe__FlattenParameter *P = C->L->flatten_param ? C->L->flatten_param : &dflt;
    const cf_shape *x = in_shape(C, 0);
    int start = 0, end = 0;
    hbg_node *n;
    hbg_status st;

    if ((st = canon_axis(C, "axis", P->axis, x->rank, &start)) != HBG_OK ||
        (st = canon_axis(C, "end_axis", P->end_axis, x->rank, &end)) != HBG_OK)
        return st;
    if (end < start)
        return cf_fail(C, HBG_E_INVALID, "end_axis %d is before axis %d", end, start);
    cf_shape top = {x->rank - (end - start), {0}};
    for (int a = 0, o = 0; a < x->rank; a++) {
        if (a <= start || a > end)
            top.d[o++] = x->d[a];
        else
            top.d[o - 1] *= x->d[a];
    }
    C->top_shapes[0] = top;
    if (start == 1 && end == x->rank - 1) {
        if ((st = unary_node(C, "Flatten", NULL, in_name(C, 0), C->top_names[0], &n)) != HBG_OK)
            return st;
        return cf_attr_int(C, n, "axis", 1);
    }
    return reshape_node(C, NULL, "shape", in_name(C, 0), &top, C->top_names[0]);
}

static hbg_status cv_reshape(cf_ctx *C)
{
    const Caffe__ReshapeParameter *P = C->L->reshape_param;
    const cf_shape *x = in_shape(C, 0);
    int64_t known = 1;
    int infer = -1;

    if (!P || !P->shape)
        return cf_fail(C, HBG_E_INVALID, "reshape_param.shape is required");
    const Caffe__BlobShape *s = P->shape;
    const int start = P->axis >= 0 ? (int)P->axis : x->rank + (int)P->axis + 1;
    if (start < 0 || start > x->rank)
        return cf_fail(C, HBG_E_INVALID, "axis %d is out of range for a bottom of rank %d",
                       (int)P->axis, x->rank);
    if (P->num_axes < -1 || (P->num_axes >= 0 && start + P->num_axes > x->rank))
        return cf_fail(C, HBG_E_INVALID,
                       "num_axes %d does not fit a bottom of rank %d from axis "
                       "%d",
                       (int)P->num_axes, x->rank, start);
    const int end = P->num_axes < 0 ? x->rank : start + (int)P->num_axes;
    const int rank = x->rank - (end - start) + (int)s->n_dim;
    if (s->n_dim > HBG_MAX_RANK || rank > HBG_MAX_RANK)
        return cf_fail(C, HBG_E_UNSUPPORTED, "the top would have rank %d (at most %d)", rank,
                       HBG_MAX_RANK);
    cf_shape top = {rank, {0}};
    memcpy(top.d, x->d, (size_t)start * sizeof top.d[0]);
    for (size_t i = 0; i < s->n_dim; i++) {
        int64_t v = s->dim[i];
        const int o = start + (int)i;
        if (v == 0) {
            if (start + (int)i >= x->rank)
                return cf_fail(C, HBG_E_INVALID,
                               "shape dim %zu is 0 (copy) but the bottom has "
                               "no axis %d",
                               i, o);
            v = x->d[o];
        } else if (v == -1) {
            if (infer >= 0)
                return cf_fail(C, HBG_E_INVALID, "shape has more than one -1");
            infer = o;
            continue;
        } else if (v < 1 || v > INT32_MAX) {
            return cf_fail(C, HBG_E_INVALID, "shape dim %zu is %lld", i, (long long)v);
        }
        top.d[o] = v;
    }
    memcpy(top.d + start + s->n_dim, x->d + end, (size_t)(x->rank - end) * sizeof top.d[0]);
    const int64_t total = cf_numel(x);
    for (int a = 0; a < rank; a++) {
        if (a == infer)
            continue;
        if (top.d[a] > total / known)
            return cf_fail(C, HBG_E_SHAPE,
                           "the new shape holds more than the bottom's %lld "
                           "elements",
                           (long long)total);
        known *= top.d[a];
    }
    if (infer >= 0) {
        if (total % known)
            return cf_fail(C, HBG_E_SHAPE,
                           "cannot infer the -1 dimension: %lld elements are not "
                           "a multiple of %lld",
                           (long long)total, (long long)known);
        top.d[infer] = total / known;
    }
    if (cf_numel(&top) != total)
        return cf_fail(C, HBG_E_SHAPE, "the new shape holds %lld elements, the bottom %lld",
                       (long long)cf_numel(&top), (long long)total);
    C->top_shapes[0] = top;
    return reshape_node(C, NULL, "shape", in_name(C, 0), &top, C->top_names[0]);
}

static hbg_status cv_permute(cf_ctx *C)
{
    const Caffe__PermuteParameter *P = C->L->permute_param;
    const cf_shape *x = in_shape(C, 0);
    int64_t perm[HBG_MAX_RANK];
    int used[HBG_MAX_RANK] = {0}, k = 0;
    hbg_node *n;
    hbg_status st;

    for (size_t i = 0; P && i < P->n_order; i++) {
        const uint32_t a = P->order[i];
        if (a >= (uint32_t)x->rank || used[a])
            return cf_fail(C, HBG_E_INVALID, "order %lu is out of range or repeated (rank %d)",
                           (unsigned long)a, x->rank);
        used[a] = 1;
        perm[k++] = a;
    }
    /* axes not listed follow in their order, as in Caffe's Permute */
    for (int a = 0; a < x->rank; a++)
        if (!used[a])
            perm[k++] = a;
    cf_shape top = {x->rank, {0}};
    for (int a = 0; a < x->rank; a++)
        top.d[a] = x->d[perm[a]];
    if ((st = unary_node(C, "Transpose", NULL, in_name(C, 0), C->top_names[0], &n)) != HBG_OK)
        return st;
    C->top_shapes[0] = top;
    return cf_attr_ints(C, n, "perm", x->rank, perm);
}

static hbg_status cv_softmax(cf_ctx *C)
{
    const Caffe__SoftmaxParameter *P = C->L->softmax_param;
    int axis = 0;
    hbg_node *n;
    hbg_status st;
    if ((st = canon_axis(C, "axis", P ? P->axis : 1, in_shape(C, 0)->rank, &axis)) != HBG_OK ||
        (st = same_shape_unary(C, "Softmax", &n)) != HBG_OK)
        return st;
    return cf_attr_int(C, n, "axis", axis);
}

/* ---- LRN, Power ---------------------------------------------------------------------------- */

/* y = x * (1 + alpha * avgpool(x^2))^-beta over local_size x local_size windows. */
static hbg_status lrn_within(cf_ctx *C, const Caffe__LRNParameter *P, int64_t size)
{
    const cf_shape *x = in_shape(C, 0);
    const char *sq, *pool, *scaled, *shifted, *powed, *c_alpha, *c_one, *c_beta;
    const int64_t pad = (size - 1) / 2, ks[2] = {size, size}, st1[2] = {1, 1},
                  pads[4] = {pad, pad, pad, pad};
    hbg_node *n;
    hbg_status st;
    const char *sq_in[2] = {in_name(C, 0), in_name(C, 0)};
    if ((st = cf_temp(C, "square", x, &sq)) != HBG_OK ||
        (st = cf_temp(C, "pool", x, &pool)) != HBG_OK ||
        (st = cf_temp(C, "scale", x, &scaled)) != HBG_OK ||
        (st = cf_temp(C, "shift", x, &shifted)) != HBG_OK ||
        (st = cf_temp(C, "power", x, &powed)) != HBG_OK ||
        (st = scalar_const(C, "alpha", P->alpha, &c_alpha)) != HBG_OK ||
        (st = scalar_const(C, "one", 1.0f, &c_one)) != HBG_OK ||
        (st = scalar_const(C, "neg_beta", -P->beta, &c_beta)) != HBG_OK ||
        (st = cf_node(C, "Mul", "square", 2, sq_in, 1, &sq, &n)) != HBG_OK ||
        (st = unary_node(C, "AveragePool", "pool", sq, pool, &n)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "kernel_shape", 2, ks)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "strides", 2, st1)) != HBG_OK ||
        (st = cf_attr_ints(C, n, "pads", 4, pads)) != HBG_OK ||
        (st = cf_attr_int(C, n, "count_include_pad", 1)) != HBG_OK)
        return st;
    const char *a[2] = {pool, c_alpha}, *b[2] = {scaled, c_one}, *c[2] = {shifted, c_beta},
               *d[2] = {in_name(C, 0), powed};
    if ((st = cf_node(C, "Mul", "scale", 2, a, 1, &scaled, &n)) != HBG_OK ||
        (st = cf_node(C, "Add", "shift", 2, b, 1, &shifted, &n)) != HBG_OK ||
        (st = cf_node(C, "Pow", "power", 2, c, 1, &powed, &n)) != HBG_OK ||
        (st = cf_node(C, "Mul", NULL, 2, d, 1, C->top_names, &n)) != HBG_OK)
        return st;
    C->top_shapes[0] = *x;
    return HBG_OK;
}

static hbg_status cv_lrn(cf_ctx *C)
{
    static const Caffe__LRNParameter dflt = CAFFE__LRNPARAMETER__INIT;
    const Caffe__LRNParameter *P = C->L->lrn_param ? C->L->lrn_param : &dflt;
    int64_t size = 0;
    hbg_node *n;
    hbg_status st;
    if ((st = need_rank(C, 4, "LRN")) != HBG_OK ||
        (st = param_range(C, "local_size", P->local_size, 1, &size)) != HBG_OK)
        return st;
    if (size % 2 == 0)
        return cf_fail(C, HBG_E_INVALID, "local_size %lld must be odd", (long long)size);
    if (P->norm_region == CAFFE__LRNPARAMETER__NORM_REGION__WITHIN_CHANNEL)
        return lrn_within(C, P, size);
    if ((st = same_shape_unary(C, "LRN", &n)) != HBG_OK ||
        (st = cf_attr_int(C, n, "size", size)) != HBG_OK ||
        (st = cf_attr_float(C, n, "alpha", P->alpha)) != HBG_OK ||
        (st = cf_attr_float(C, n, "beta", P->beta)) != HBG_OK)
        return st;
    return cf_attr_float(C, n, "bias", P->k);
}

/* y = (shift + scale * x)^power, with the steps that are not identities. */
static hbg_status cv_power(cf_ctx *C)
{
    static const Caffe__PowerParameter dflt = CAFFE__POWER_PARAMETER__INIT;
    const Caffe__PowerParameter *P = C->L->power_param ? C->L->power_param : &dflt;
    static const char *const ops[3] = {"Mul", "Add", "Pow"}, *const roles[3] = {"scale", "shift",
                                                                                "power"};
    const float vals[3] = {P->scale, P->shift, P->power};
    const int used[3] = {P->scale != 1.0f, P->shift != 0.0f, P->power != 1.0f};
    const char *cur = in_name(C, 0);
    int last = -1;
    hbg_node *n;
    hbg_status st;
    C->top_shapes[0] = *in_shape(C, 0);
    for (int i = 0; i < 3; i++)
        last = used[i] ? i : last;
    if (last < 0)
        return unary_node(C, "Identity", NULL, cur, C->top_names[0], &n);
    for (int i = 0; i <= last; i++) {
        const char *ins[2] = {cur, NULL}, *out = C->top_names[0];
        if (!used[i])
            continue;
        if ((st = scalar_const(C, roles[i], vals[i], &ins[1])) != HBG_OK ||
            (i < last && (st = cf_temp(C, roles[i], in_shape(C, 0), &out)) != HBG_OK) ||
            (st = cf_node(C, ops[i], i < last ? roles[i] : NULL, 2, ins, 1, &out, &n)) != HBG_OK)
            return st;
        cur = out;
    }
    return HBG_OK;
}

/* ---- the table ----------------------------------------------------------------------------- */

typedef enum cf_kind {
    CF_BATCHNORM,
    CF_CONCAT,
    CF_CONVOLUTION,
    CF_DECONVOLUTION,
    CF_DROPOUT,
    CF_ELTWISE,
    CF_FLATTEN,
    CF_INNER_PRODUCT,
    CF_INPUT,
    CF_LRN,
    CF_PERMUTE,
    CF_POOLING,
    CF_POWER,
    CF_PRELU,
    CF_RELU,
    CF_RESHAPE,
    CF_SCALE,
    CF_SIGMOID,
    CF_SLICE,
    CF_SOFTMAX,
    CF_TANH,
    CF_KIND_COUNT
} cf_kind;

#define V1(t) CAFFE__V1_LAYER_PARAMETER__LAYER_TYPE__##t

/* name, declares inputs, legacy enum, bottoms min..max, tops min..max (-1: any), converter */
static const cf_layer_type layer_types[CF_KIND_COUNT] = {
    [CF_BATCHNORM] = {"BatchNorm", 0, -1, 1, 1, 1, 1, cv_batchnorm},
    [CF_CONCAT] = {"Concat", 0, V1(CONCAT), 1, -1, 1, 1, cv_concat},
    [CF_CONVOLUTION] = {"Convolution", 0, V1(CONVOLUTION), 1, 1, 1, 1, cv_conv},
    [CF_DECONVOLUTION] = {"Deconvolution", 0, V1(DECONVOLUTION), 1, 1, 1, 1, cv_deconv},
    [CF_DROPOUT] = {"Dropout", 0, V1(DROPOUT), 1, 1, 1, 1, cv_dropout},
    [CF_ELTWISE] = {"Eltwise", 0, V1(ELTWISE), 2, -1, 1, 1, cv_eltwise},
    [CF_FLATTEN] = {"Flatten", 0, V1(FLATTEN), 1, 1, 1, 1, cv_flatten},
    [CF_INNER_PRODUCT] = {"InnerProduct", 0, V1(INNER_PRODUCT), 1, 1, 1, 1, cv_inner_product},
    [CF_INPUT] = {"Input", 1, -1, 0, 0, 1, -1, cv_input},
    [CF_LRN] = {"LRN", 0, V1(LRN), 1, 1, 1, 1, cv_lrn},
    [CF_PERMUTE] = {"Permute", 0, -1, 1, 1, 1, 1, cv_permute},
    [CF_POOLING] = {"Pooling", 0, V1(POOLING), 1, 1, 1, 1, cv_pooling},
    [CF_POWER] = {"Power", 0, V1(POWER), 1, 1, 1, 1, cv_power},
    [CF_PRELU] = {"PReLU", 0, -1, 1, 1, 1, 1, cv_prelu},
    [CF_RELU] = {"ReLU", 0, V1(RELU), 1, 1, 1, 1, cv_relu},
    [CF_RESHAPE] = {"Reshape", 0, -1, 1, 1, 1, 1, cv_reshape},
    [CF_SCALE] = {"Scale", 0, -1, 1, 1, 1, 1, cv_scale},
    [CF_SIGMOID] = {"Sigmoid", 0, V1(SIGMOID), 1, 1, 1, 1, cv_sigmoid},
    [CF_SLICE] = {"Slice", 0, V1(SLICE), 1, 1, 1, -1, cv_slice},
    [CF_SOFTMAX] = {"Softmax", 0, V1(SOFTMAX), 1, 1, 1, 1, cv_softmax},
    [CF_TANH] = {"TanH", 0, V1(TANH), 1, 1, 1, 1, cv_tanh},
};
_Static_assert(CF_KIND_COUNT == 21, "update layer_types");

const cf_layer_type *cf_layer_type_find(const char *name)
{
    for (int k = 0; k < CF_KIND_COUNT; k++)
        if (strcmp(layer_types[k].name, name) == 0)
            return &layer_types[k];
    return NULL;
}

const char *cf_v1_type_name(int v1)
{
    for (int k = 0; k < CF_KIND_COUNT; k++)
        if (layer_types[k].v1 == v1)
            return layer_types[k].name;
    return NULL;
}
