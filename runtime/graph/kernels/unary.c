/* Unary elementwise kernels: activations, math functions, Clip, PRelu, Not.
 *
 * The pointwise ops are one loop per (op, element type), generated from an expression and kept
 * in a table indexed by op and hbg_dtype; infer picks the entry and reads the op's attributes
 * (alpha, beta, gamma with ONNX's defaults) into node->params. Float math is float32 libm.
 * Clip takes its bounds from attributes before opset 11 and from optional inputs from opset 11
 * (read at run time: they need not be known at prepare). PRelu broadcasts its slope to the
 * input's shape (unidirectional broadcasting, opset 7+; the ONNX loader reshapes PRelu-6's
 * per-channel slope of opset 1..6 models to [C, 1, ..., 1]).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "broadcast.h"
#include "elem.h"
#include "hbg/kernel.h"

typedef struct un_params un_params;
typedef void (*un_fn)(void *y, const void *x, int64_t n, const un_params *p);

/* One element of any type Clip supports, suitably aligned */
typedef union clip_bound {
    float f32;
    double f64;
    int8_t i8;
    uint8_t u8;
    int32_t i32;
    int64_t i64;
} clip_bound;

struct un_params {
    un_fn fn;
    float alpha, beta, gamma;
    /* Clip before opset 11: the attribute bounds stored in the input's element type */
    int attr_bounds;
    clip_bound lo, hi;
    hbg_bcast plan; /* PRelu: x and slope against the output */
};

/* One loop per op and type. EXPR reads the element x and the parameters P. */
#define DEF_UN(name, T, EXPR)                                                                      \
    static void name(void *yv, const void *xv, int64_t n, const un_params *P)                      \
    {                                                                                              \
        T *y = yv;                                                                                 \
        const T *xs = xv;                                                                          \
        (void)P;                                                                                   \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T x = xs[i];                                                                     \
            y[i] = (T)(EXPR);                                                                      \
        }                                                                                          \
    }

static inline float softplus(float x)
{
    /* log(1 + e^x) without overflow for large x */
    return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
}

/* Clamp to [0, 1] keeping NaN (for HardSigmoid/HardSwish) */
static inline float unit_clamp(float v)
{
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

DEF_UN(relu_f32, float, x < 0.0f ? 0.0f : x)
DEF_UN(leakyrelu_f32, float, x < 0.0f ? P->alpha * x : x)
DEF_UN(sigmoid_f32, float, 1.0f / (1.0f + expf(-x)))
DEF_UN(hardsigmoid_f32, float, unit_clamp(P->alpha *x + P->beta))
DEF_UN(hardswish_f32, float, x *unit_clamp(P->alpha *x + P->beta))
DEF_UN(tanh_f32, float, tanhf(x))
DEF_UN(elu_f32, float, x < 0.0f ? P->alpha * expm1f(x) : x)
DEF_UN(selu_f32, float, x <= 0.0f ? P->gamma * (P->alpha * expm1f(x)) : P->gamma * x)
DEF_UN(celu_f32, float, x > 0.0f ? x : P->alpha * expm1f(x / P->alpha))
DEF_UN(softplus_f32, float, softplus(x))
DEF_UN(softsign_f32, float, x / (1.0f + fabsf(x)))
DEF_UN(thresholdedrelu_f32, float, x > P->alpha ? x : 0.0f)
DEF_UN(exp_f32, float, expf(x))
DEF_UN(log_f32, float, logf(x))
DEF_UN(sqrt_f32, float, sqrtf(x))
DEF_UN(reciprocal_f32, float, 1.0f / x)
DEF_UN(neg_f32, float, -x)
DEF_UN(abs_f32, float, fabsf(x))
DEF_UN(erf_f32, float, erff(x))
DEF_UN(floor_f32, float, floorf(x))
DEF_UN(ceil_f32, float, ceilf(x))
/* nearbyint rounds in the current mode, which is round-half-to-even unless someone changed it */
DEF_UN(round_f32, float, nearbyintf(x))
DEF_UN(sign_f32, float, x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x)
DEF_UN(sin_f32, float, sinf(x))
DEF_UN(cos_f32, float, cosf(x))

/* double and integer variants of the ops shape arithmetic and integer models use */
DEF_UN(relu_f64, double, x < 0.0 ? 0.0 : x)
DEF_UN(neg_f64, double, -x)
DEF_UN(abs_f64, double, fabs(x))
DEF_UN(sign_f64, double, x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : x)
#define DEF_UN_INT(T, UT, sfx)                                                                     \
    DEF_UN(relu_##sfx, T, x < 0 ? 0 : x)                                                           \
    DEF_UN(neg_##sfx, T, (UT)0 - (UT)x) /* wraps: -INT_MIN = INT_MIN */                            \
    DEF_UN(abs_##sfx, T, x < 0 ? (UT)0 - (UT)x : (UT)x)                                            \
    DEF_UN(sign_##sfx, T, x > 0 ? 1 : x < 0 ? -1 : 0)
DEF_UN_INT(int8_t, uint8_t, i8)
DEF_UN_INT(int32_t, uint32_t, i32)
DEF_UN_INT(int64_t, uint64_t, i64)
DEF_UN(abs_u8, uint8_t, x)
DEF_UN(sign_u8, uint8_t, x > 0)
DEF_UN(not_b, uint8_t, x ^ 1u)

#define ROW_F32(name)                                                                              \
    {                                                                                              \
        [HBG_DT_F32] = name##_f32                                                                  \
    }
#define ROW_SIGNED(name)                                                                           \
    {                                                                                              \
        [HBG_DT_F32] = name##_f32, [HBG_DT_F64] = name##_f64, [HBG_DT_I8] = name##_i8,             \
        [HBG_DT_I32] = name##_i32, [HBG_DT_I64] = name##_i64                                       \
    }

/* Indexed by op and element type; NULL: not supported. Clip and PRelu have their own paths. */
static const un_fn k_un[HBG_OP_COUNT][HBG_DT_SLOTS] = {
    [HBG_OP_RELU] = ROW_SIGNED(relu),
    [HBG_OP_LEAKYRELU] = ROW_F32(leakyrelu),
    [HBG_OP_SIGMOID] = ROW_F32(sigmoid),
    [HBG_OP_HARDSIGMOID] = ROW_F32(hardsigmoid),
    [HBG_OP_HARDSWISH] = ROW_F32(hardswish),
    [HBG_OP_TANH] = ROW_F32(tanh),
    [HBG_OP_ELU] = ROW_F32(elu),
    [HBG_OP_SELU] = ROW_F32(selu),
    [HBG_OP_CELU] = ROW_F32(celu),
    [HBG_OP_SOFTPLUS] = ROW_F32(softplus),
    [HBG_OP_SOFTSIGN] = ROW_F32(softsign),
    [HBG_OP_THRESHOLDEDRELU] = ROW_F32(thresholdedrelu),
    [HBG_OP_EXP] = ROW_F32(exp),
    [HBG_OP_LOG] = ROW_F32(log),
    [HBG_OP_SQRT] = ROW_F32(sqrt),
    [HBG_OP_RECIPROCAL] = ROW_F32(reciprocal),
    [HBG_OP_NEG] = ROW_SIGNED(neg),
    [HBG_OP_ABS] = {[HBG_DT_F32] = abs_f32,
                    [HBG_DT_F64] = abs_f64,
                    [HBG_DT_I8] = abs_i8,
                    [HBG_DT_U8] = abs_u8,
                    [HBG_DT_I32] = abs_i32,
                    [HBG_DT_I64] = abs_i64},
    [HBG_OP_ERF] = ROW_F32(erf),
    [HBG_OP_FLOOR] = ROW_F32(floor),
    [HBG_OP_CEIL] = ROW_F32(ceil),
    [HBG_OP_ROUND] = ROW_F32(round),
    [HBG_OP_SIGN] = {[HBG_DT_F32] = sign_f32,
                     [HBG_DT_F64] = sign_f64,
                     [HBG_DT_I8] = sign_i8,
                     [HBG_DT_U8] = sign_u8,
                     [HBG_DT_I32] = sign_i32,
                     [HBG_DT_I64] = sign_i64},
    [HBG_OP_SIN] = ROW_F32(sin),
    [HBG_OP_COS] = ROW_F32(cos),
    [HBG_OP_NOT] = {[HBG_DT_BOOL] = not_b},
};

/* ONNX attribute defaults (alpha, beta, gamma); HardSwish has fixed alpha = 1/6, beta = 1/2. */
typedef struct un_defaults {
    float alpha, beta, gamma;
    unsigned char has_attrs; /* 0: the op takes no attributes, the values are fixed */
} un_defaults;

static const un_defaults k_defaults[HBG_OP_COUNT] = {
    [HBG_OP_LEAKYRELU] = {0.01f, 0.0f, 0.0f, 1},
    [HBG_OP_HARDSIGMOID] = {0.2f, 0.5f, 0.0f, 1},
    [HBG_OP_HARDSWISH] = {1.0f / 6.0f, 0.5f, 0.0f, 0},
    [HBG_OP_ELU] = {1.0f, 0.0f, 0.0f, 1},
    [HBG_OP_SELU] = {1.67326319217681884765625f, 0.0f, 1.05070102214813232421875f, 1},
    [HBG_OP_CELU] = {1.0f, 0.0f, 0.0f, 1},
    [HBG_OP_THRESHOLDEDRELU] = {1.0f, 0.0f, 0.0f, 1},
};

static hbg_status check_input(hbg_kctx *k, int i)
{
    if (i >= k->n_in || !k->in[i])
        return hbg_kfail(k, HBG_E_INVALID, "input %d is missing", i);
    if (k->in[i]->rank < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input %d ('%s') has an unknown shape", i, k->in[i]->name);
    return HBG_OK;
}

/* Output 0 takes input 0's type and shape; params (zeroed) are allocated into *out. */
static hbg_status same_as_input(hbg_kctx *k, un_params **out)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if ((st = hbg_tensor_set_shape(k->out[0], x->dtype, x->rank, x->dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    if (!(*out = calloc(1, sizeof **out)))
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    return HBG_OK;
}

static void set_params(hbg_kctx *k, void *p)
{
    free(k->node->params);
    k->node->params = p;
}

static hbg_status unary_infer(hbg_kctx *k)
{
    hbg_op op = k->node->op;
    un_params *p = NULL;
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    hbg_dtype dt = k->in[0]->dtype;
    un_fn fn = (unsigned)dt < HBG_DT_SLOTS ? k_un[op][dt] : NULL;
    if (!fn)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(dt));
    if ((st = same_as_input(k, &p)) != HBG_OK)
        return st;
    const un_defaults *d = &k_defaults[op];
    p->fn = fn;
    p->alpha = d->has_attrs ? hbg_attr_float(k->node, "alpha", d->alpha) : d->alpha;
    p->beta = d->has_attrs ? hbg_attr_float(k->node, "beta", d->beta) : d->beta;
    p->gamma = d->has_attrs ? hbg_attr_float(k->node, "gamma", d->gamma) : d->gamma;
    set_params(k, p);
    return HBG_OK;
}

static hbg_status unary_run(hbg_kctx *k)
{
    const un_params *p = k->node->params;
    p->fn(k->out[0]->data, k->in[0]->data, hbg_tensor_numel(k->out[0]), p);
    return HBG_OK;
}

/* Clip: lo/hi point to one element of the input's type, or NULL for "no bound". */
#define DEF_CLIP(T, sfx)                                                                           \
    static void clip_##sfx(void *yv, const void *xv, int64_t n, const void *lop, const void *hip)  \
    {                                                                                              \
        T *y = yv;                                                                                 \
        const T *x = xv;                                                                           \
        for (int64_t i = 0; i < n; i++) {                                                          \
            T v = x[i];                                                                            \
            if (lop && v < *(const T *)lop)                                                        \
                v = *(const T *)lop;                                                               \
            if (hip && v > *(const T *)hip)                                                        \
                v = *(const T *)hip;                                                               \
            y[i] = v;                                                                              \
        }                                                                                          \
    }
DEF_CLIP(float, f32)
DEF_CLIP(double, f64)
DEF_CLIP(int8_t, i8)
DEF_CLIP(uint8_t, u8)
DEF_CLIP(int32_t, i32)
DEF_CLIP(int64_t, i64)

typedef void (*clip_fn)(void *y, const void *x, int64_t n, const void *lo, const void *hi);
static const clip_fn k_clip[HBG_DT_SLOTS] = {
    [HBG_DT_F32] = clip_f32, [HBG_DT_F64] = clip_f64, [HBG_DT_I8] = clip_i8,
    [HBG_DT_U8] = clip_u8,   [HBG_DT_I32] = clip_i32, [HBG_DT_I64] = clip_i64,
};

static hbg_status clip_infer(hbg_kctx *k)
{
    un_params *p = NULL;
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    hbg_dtype dt = k->in[0]->dtype;
    if ((unsigned)dt >= HBG_DT_SLOTS || !k_clip[dt])
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(dt));
    int64_t opset = hbg_graph_opset(k->g, "");
    if (opset >= 11) {
        for (int i = 1; i < k->n_in && i < 3; i++) {
            const hbg_tensor *b = k->in[i];
            if (!b)
                continue;
            if (b->dtype != dt || hbg_tensor_numel(b) != 1)
                return hbg_kfail(k, HBG_E_INVALID, "%s must be one %s element",
                                 i == 1 ? "min" : "max", hbg_dtype_name(dt));
        }
    } else if (k->n_in > 1) {
        return hbg_kfail(k, HBG_E_INVALID, "opset %lld Clip takes bounds as attributes",
                         (long long)opset);
    }
    if ((st = same_as_input(k, &p)) != HBG_OK)
        return st;
    if (opset < 11) {
        /* Attributes are float (opset 6..10 Clip is float-only); defaults mean "no bound". */
        p->attr_bounds = 1;
        hbg_elem_set_f64(&p->lo, dt, 0, (double)hbg_attr_float(k->node, "min", -INFINITY));
        hbg_elem_set_f64(&p->hi, dt, 0, (double)hbg_attr_float(k->node, "max", INFINITY));
    }
    set_params(k, p);
    return HBG_OK;
}

static hbg_status clip_run(hbg_kctx *k)
{
    const un_params *p = k->node->params;
    const void *lo = NULL, *hi = NULL;
    if (p->attr_bounds) {
        lo = &p->lo;
        hi = &p->hi;
    } else {
        lo = k->n_in > 1 && k->in[1] ? k->in[1]->data : NULL;
        hi = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    }
    k_clip[k->out[0]->dtype](k->out[0]->data, k->in[0]->data, hbg_tensor_numel(k->out[0]), lo, hi);
    return HBG_OK;
}

/* PRelu: y = x < 0 ? slope * x : x, slope broadcast to x's shape. */
static hbg_status prelu_infer(hbg_kctx *k)
{
    un_params *p = NULL;
    hbg_status st;
    if (k->n_in != 2)
        return hbg_kfail(k, HBG_E_INVALID, "expects 2 inputs, has %d", k->n_in);
    if ((st = check_input(k, 0)) != HBG_OK || (st = check_input(k, 1)) != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0], *s = k->in[1];
    if (x->dtype != HBG_DT_F32 || s->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element types %s, %s are not supported",
                         hbg_dtype_name(x->dtype), hbg_dtype_name(s->dtype));
    int rank;
    int64_t dims[HBG_MAX_RANK];
    if ((st = hbg_bcast_shape(k, 2, (const hbg_tensor *const *)k->in, &rank, dims)) != HBG_OK)
        return st;
    if (rank != x->rank || memcmp(dims, x->dims, (size_t)rank * sizeof dims[0]) != 0) {
        char a[96], b[96];
        return hbg_kfail(k, HBG_E_SHAPE, "slope shape %s does not broadcast to input shape %s",
                         hbg_shape_str(s, b, sizeof b), hbg_shape_str(x, a, sizeof a));
    }
    if ((st = same_as_input(k, &p)) != HBG_OK)
        return st;
    hbg_bcast_plan(&p->plan, rank, dims, 2, (const hbg_tensor *const *)k->in);
    set_params(k, p);
    return HBG_OK;
}

typedef struct prelu_ctx {
    float *y;
    const float *x, *s;
} prelu_ctx;

static void prelu_seg(void *vctx, int64_t out_off, const int64_t *off, const int *step, int64_t n)
{
    const prelu_ctx *c = vctx;
    float *y = c->y + out_off;
    const float *x = c->x + off[0], *s = c->s + off[1];
    /* x has the output's shape, so it is always contiguous here; the slope may be a scalar. */
    if (step[1]) {
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] < 0.0f ? s[i] * x[i] : x[i];
    } else {
        const float a = s[0];
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] < 0.0f ? a * x[i] : x[i];
    }
}

static hbg_status prelu_run(hbg_kctx *k)
{
    const un_params *p = k->node->params;
    prelu_ctx c = {k->out[0]->data, k->in[0]->data, k->in[1]->data};
    hbg_bcast_for_each(&p->plan, prelu_seg, &c);
    return HBG_OK;
}

const hbg_op_impl hbg_ops_unary[] = {
    {HBG_OP_RELU, unary_infer, unary_run, 0},
    {HBG_OP_LEAKYRELU, unary_infer, unary_run, 0},
    {HBG_OP_PRELU, prelu_infer, prelu_run, 0},
    {HBG_OP_CLIP, clip_infer, clip_run, 0},
    {HBG_OP_SIGMOID, unary_infer, unary_run, 0},
    {HBG_OP_HARDSIGMOID, unary_infer, unary_run, 0},
    {HBG_OP_HARDSWISH, unary_infer, unary_run, 0},
    {HBG_OP_TANH, unary_infer, unary_run, 0},
    {HBG_OP_ELU, unary_infer, unary_run, 0},
    {HBG_OP_SELU, unary_infer, unary_run, 0},
    {HBG_OP_CELU, unary_infer, unary_run, 0},
    {HBG_OP_SOFTPLUS, unary_infer, unary_run, 0},
    {HBG_OP_SOFTSIGN, unary_infer, unary_run, 0},
    {HBG_OP_THRESHOLDEDRELU, unary_infer, unary_run, 0},
    {HBG_OP_EXP, unary_infer, unary_run, 0},
    {HBG_OP_LOG, unary_infer, unary_run, 0},
    {HBG_OP_SQRT, unary_infer, unary_run, 0},
    {HBG_OP_RECIPROCAL, unary_infer, unary_run, 0},
    {HBG_OP_NEG, unary_infer, unary_run, 0},
    {HBG_OP_ABS, unary_infer, unary_run, 0},
    {HBG_OP_ERF, unary_infer, unary_run, 0},
    {HBG_OP_FLOOR, unary_infer, unary_run, 0},
    {HBG_OP_CEIL, unary_infer, unary_run, 0},
    {HBG_OP_ROUND, unary_infer, unary_run, 0},
    {HBG_OP_SIGN, unary_infer, unary_run, 0},
    {HBG_OP_SIN, unary_infer, unary_run, 0},
    {HBG_OP_COS, unary_infer, unary_run, 0},
    {HBG_OP_NOT, unary_infer, unary_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
