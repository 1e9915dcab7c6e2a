/* Reductions and normalisers: Softmax, LogSoftmax, Reduce{Mean,Max,Min,Sum,Prod,L1,L2,SumSquare,
 * LogSumExp}, ArgMax, ArgMin.
 *
 * Reduce*: infer turns the axes into a loop plan over the input in memory order: size-1 dims are
 * dropped and neighbouring dims that are both reduced or both kept merge into one group. Run
 * accumulates in double (a scratch array with one slot per output element), so float sums do not
 * depend on the length of the reduced run; integer inputs are exact up to 2^53. ReduceLogSumExp
 * makes a first pass for the maxima and sums exp(x - max). Empty reductions give the identity
 * of the operation (0, 1, -inf, +inf; Mean 0/0 = NaN).
 * Axes: attribute before opset 13 (ReduceSum) or 18 (the others), then an optional input that
 * must be known at prepare time; noop_with_empty_axes comes with the input form.
 * Softmax/LogSoftmax: before opset 13 the input is coerced to 2D at axis (default 1) and
 * normalised over the flattened trailing dims; from 13 over the single axis (default -1). Both
 * subtract the maximum first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "elem.h"
#include "hbg/kernel.h"

static void set_params(hbg_kctx *k, void *p)
{
    free(k->node->params);
    k->node->params = p;
}

static hbg_status check_input(hbg_kctx *k, int i)
{
    if (i >= k->n_in || !k->in[i])
        return hbg_kfail(k, HBG_E_INVALID, "input %d is missing", i);
    if (k->in[i]->rank < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input %d ('%s') has an unknown shape", i, k->in[i]->name);
    return HBG_OK;
}

/* Normalise axis a against rank r into [0, r); -1 when out of [-r, r). */
static int norm_axis(int64_t a, int r)
{
    if (a < -r || a >= r)
        return -1;
    return (int)(a < 0 ? a + r : a);
}

/* ---- Softmax / LogSoftmax ------------------------------------------------------------------ */

typedef struct softmax_params {
    int64_t outer, n, inner; /* the input viewed as [outer, n, inner], normalised over n */
} softmax_params;

static hbg_status softmax_infer(hbg_kctx *k)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if (x->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(x->dtype));
    int legacy = hbg_graph_opset(k->g, "") < 13;
    int64_t a = hbg_attr_int(k->node, "axis", legacy ? 1 : -1);
    int axis = norm_axis(a, x->rank);
    if (axis < 0)
        return hbg_kfail(k, HBG_E_INVALID, "axis %lld is out of range for rank %d", (long long)a,
                         x->rank);
    if ((st = hbg_tensor_set_shape(k->out[0], x->dtype, x->rank, x->dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    softmax_params *p = malloc(sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->outer = 1;
    p->n = 1;
    p->inner = 1;
    for (int d = 0; d < x->rank; d++) {
        if (d < axis)
            p->outer *= x->dims[d];
        else if (d == axis || legacy)
            p->n *= x->dims[d];
        else
            p->inner *= x->dims[d];
    }
    /* running max and sum per inner position when the axis is not the innermost */
    k->node->scratch = p->inner > 1 ? 2 * (size_t)p->inner * sizeof(float) : 0;
    set_params(k, p);
    return HBG_OK;
}

/* One row of n contiguous values. */
static void softmax_row(float *y, const float *x, int64_t n, int log_out)
{
    float mx = x[0];
    for (int64_t j = 1; j < n; j++)
        mx = x[j] > mx ? x[j] : mx;
    float s = 0.0f;
    if (log_out) {
        for (int64_t j = 0; j < n; j++)
            s += expf(x[j] - mx);
        const float ls = logf(s);
        for (int64_t j = 0; j < n; j++)
            y[j] = x[j] - mx - ls;
    } else {
        for (int64_t j = 0; j < n; j++) {
            y[j] = expf(x[j] - mx);
            s += y[j];
        }
        for (int64_t j = 0; j < n; j++)
            y[j] /= s;
    }
}

/* One [n, inner] block normalised over n: inner-contiguous loops with per-position max/sum. */
static void softmax_block(float *y, const float *x, int64_t n, int64_t inner, float *mx, float *s,
                          int log_out)
{
    memcpy(mx, x, (size_t)inner * sizeof *mx);
    for (int64_t j = 1; j < n; j++)
        for (int64_t i = 0; i < inner; i++)
            mx[i] = x[j * inner + i] > mx[i] ? x[j * inner + i] : mx[i];
    memset(s, 0, (size_t)inner * sizeof *s);
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = 0; i < inner; i++) {
            float e = expf(x[j * inner + i] - mx[i]);
            s[i] += e;
            if (!log_out)
                y[j * inner + i] = e;
        }
    if (log_out) {
        for (int64_t i = 0; i < inner; i++)
            s[i] = logf(s[i]);
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < inner; i++)
                y[j * inner + i] = x[j * inner + i] - mx[i] - s[i];
    } else {
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < inner; i++)
                y[j * inner + i] /= s[i];
    }
}

static hbg_status softmax_run(hbg_kctx *k)
{
    const softmax_params *p = k->node->params;
    const float *x = k->in[0]->data;
    float *y = k->out[0]->data;
    int log_out = k->node->op == HBG_OP_LOGSOFTMAX;
    if (p->n == 0)
        return HBG_OK;
    int64_t blk = p->n * p->inner;
    for (int64_t o = 0; o < p->outer; o++) {
        if (p->inner == 1) {
            softmax_row(y + o * blk, x + o * blk, p->n, log_out);
        } else {
            float *mx = k->scratch;
            softmax_block(y + o * blk, x + o * blk, p->n, p->inner, mx, mx + p->inner, log_out);
        }
    }
    return HBG_OK;
}

/* ---- Reduce* -------------------------------------------------------------------------------- */

typedef enum red_kind {
    RK_SUM,   /* ReduceSum, ReduceMean */
    RK_SUMSQ, /* ReduceSumSquare, ReduceL2 */
    RK_L1,
    RK_PROD,
    RK_MAX,
    RK_MIN,
    RK_LSE, /* sum of exp(x - m) given the maxima m */
    RK_COUNT
} red_kind;

/* Fold n input elements into acc: all into acc[0] (reduced innermost group) or one each into
 * acc[0..n) (kept innermost group). m: per-output maxima (RK_LSE only), aligned with acc. */
typedef void (*red_fn)(double *acc, const void *x, int64_t n, int inner_reduced, const double *m);

#define C_SUM(a, v, mm)   a += v
#define C_SUMSQ(a, v, mm) a += v * v
#define C_L1(a, v, mm)    a += fabs(v)
#define C_PROD(a, v, mm)  a *= v
#define C_MAX(a, v, mm)   a = (v > a || v != v) ? v : a /* NaN propagates (numpy) */
#define C_MIN(a, v, mm)   a = (v < a || v != v) ? v : a
#define C_LSE(a, v, mm)   a += exp(v - mm)

#define DEF_RED(kind, COMBINE, T, sfx)                                                             \
    static void red_##kind##_##sfx(double *acc, const void *xv, int64_t n, int inner_reduced,      \
                                   const double *m)                                                \
    {                                                                                              \
        const T *x = xv;                                                                           \
        (void)m;                                                                                   \
        if (inner_reduced) {                                                                       \
            double a = acc[0];                                                                     \
            const double mm = m ? m[0] : 0.0;                                                      \
            (void)mm;                                                                              \
            for (int64_t i = 0; i < n; i++) {                                                      \
                const double v = (double)x[i];                                                     \
                COMBINE(a, v, mm);                                                                 \
            }                                                                                      \
            acc[0] = a;                                                                            \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                const double v = (double)x[i];                                                     \
                const double mm = m ? m[i] : 0.0;                                                  \
                (void)mm;                                                                          \
                COMBINE(acc[i], v, mm);                                                            \
            }                                                                                      \
        }                                                                                          \
    }
#define DEF_RED_TYPES(kind, COMBINE)                                                               \
    DEF_RED(kind, COMBINE, float, f32)                                                             \
    DEF_RED(kind, COMBINE, double, f64)                                                            \
    DEF_RED(kind, COMBINE, int32_t, i32)                                                           \
    DEF_RED(kind, COMBINE, int64_t, i64)
DEF_RED_TYPES(sum, C_SUM)
DEF_RED_TYPES(sumsq, C_SUMSQ)
DEF_RED_TYPES(l1, C_L1)
DEF_RED_TYPES(prod, C_PROD)
DEF_RED_TYPES(max, C_MAX)
DEF_RED_TYPES(min, C_MIN)
DEF_RED_TYPES(lse, C_LSE)

#define RED_ROW(kind)                                                                              \
    {                                                                                              \
        [HBG_DT_F32] = red_##kind##_f32, [HBG_DT_F64] = red_##kind##_f64,                          \
        [HBG_DT_I32] = red_##kind##_i32, [HBG_DT_I64] = red_##kind##_i64,                          \
    }
static const red_fn k_red[RK_COUNT][HBG_DT_SLOTS] = {
    [RK_SUM] = RED_ROW(sum),   [RK_SUMSQ] = RED_ROW(sumsq), [RK_L1] = RED_ROW(l1),
    [RK_PROD] = RED_ROW(prod), [RK_MAX] = RED_ROW(max),     [RK_MIN] = RED_ROW(min),
    [RK_LSE] = RED_ROW(lse),
};

static const double k_red_init[RK_COUNT] = {
    [RK_SUM] = 0.0,       [RK_SUMSQ] = 0.0,    [RK_L1] = 0.0,  [RK_PROD] = 1.0,
    [RK_MAX] = -HUGE_VAL, [RK_MIN] = HUGE_VAL, [RK_LSE] = 0.0,
};

/* What each op does after accumulating */
typedef enum red_final { RF_NONE, RF_MEAN, RF_SQRT, RF_LOG } red_final;

typedef struct red_info {
    unsigned char kind;             /* red_kind */
    unsigned char final;            /* red_final */
    unsigned char axes_input_opset; /* first opset taking axes as input 1 */
} red_info;

static const red_info k_red_info[HBG_OP_COUNT] = {
    [HBG_OP_REDUCEMEAN] = {RK_SUM, RF_MEAN, 18},
    [HBG_OP_REDUCEMAX] = {RK_MAX, RF_NONE, 18},
    [HBG_OP_REDUCEMIN] = {RK_MIN, RF_NONE, 18},
    [HBG_OP_REDUCESUM] = {RK_SUM, RF_NONE, 13},
    [HBG_OP_REDUCEPROD] = {RK_PROD, RF_NONE, 18},
    [HBG_OP_REDUCEL1] = {RK_L1, RF_NONE, 18},
    [HBG_OP_REDUCEL2] = {RK_SUMSQ, RF_SQRT, 18},
    [HBG_OP_REDUCESUMSQUARE] = {RK_SUMSQ, RF_NONE, 18},
    [HBG_OP_REDUCELOGSUMEXP] = {RK_LSE, RF_LOG, 18},
};

typedef struct red_params {
    red_fn fn;
    red_fn max_fn; /* ReduceLogSumExp's first pass */
    int noop;      /* empty axes with noop_with_empty_axes: output = input */
    int n_groups;
    int64_t gsize[HBG_MAX_RANK];   /* group extents, outermost first */
    int64_t ostride[HBG_MAX_RANK]; /* output element stride per group; 0 for reduced groups */
    unsigned char greduced[HBG_MAX_RANK];
    int64_t in_numel, out_numel;
    int64_t count; /* input elements per output element (Mean's divisor) */
} red_params;

/* Fill reduced[] (per input dim) from the axes attribute or input. */
static hbg_status red_axes(hbg_kctx *k, int r, unsigned char *reduced, int *noop)
{
    const red_info *ri = &k_red_info[k->node->op];
    int from_input = hbg_graph_opset(k->g, "") >= ri->axes_input_opset;
    int64_t n_axes = 0;
    const int64_t *attr = NULL;
    const hbg_tensor *t = NULL;
    *noop = 0;
    if (from_input) {
        t = k->n_in > 1 ? k->in[1] : NULL;
        if (t) {
            if (t->dtype != HBG_DT_I64 || t->rank != 1)
                return hbg_kfail(k, HBG_E_INVALID, "axes must be a 1-D int64 tensor");
            /* an axes tensor of shape [0] is empty whatever its data */
            if (!t->data && t->dims[0] != 0)
                return hbg_kneed_value(k, 1, "axes");
            n_axes = t->dims[0];
        }
    } else {
        int na = hbg_attr_ints(k->node, "axes", &attr);
        n_axes = na < 0 ? 0 : na;
    }
    if (n_axes == 0) {
        *noop = from_input && hbg_attr_int(k->node, "noop_with_empty_axes", 0) != 0;
        memset(reduced, !*noop, (size_t)r);
        return HBG_OK;
    }
    memset(reduced, 0, (size_t)r);
    for (int64_t i = 0; i < n_axes; i++) {
        int64_t a = t ? hbg_tensor_get_int(t, i) : attr[i];
        int ax = norm_axis(a, r);
        if (ax < 0)
            return hbg_kfail(k, HBG_E_INVALID, "axis %lld is out of range for rank %d",
                             (long long)a, r);
        reduced[ax] = 1;
    }
    return HBG_OK;
}

static hbg_status reduce_infer(hbg_kctx *k)
{
    const red_info *ri = &k_red_info[k->node->op];
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    red_fn fn = (unsigned)x->dtype < HBG_DT_SLOTS ? k_red[ri->kind][x->dtype] : NULL;
    if (!fn)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(x->dtype));
    unsigned char reduced[HBG_MAX_RANK];
    int noop;
    if ((st = red_axes(k, x->rank, reduced, &noop)) != HBG_OK)
        return st;
    int keep = hbg_attr_int(k->node, "keepdims", 1) != 0;
    int64_t od[HBG_MAX_RANK];
    int orank = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!reduced[d])
            od[orank++] = x->dims[d];
        else if (keep)
            od[orank++] = 1;
    }
    if ((st = hbg_tensor_set_shape(k->out[0], x->dtype, orank, od)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    red_params *p = calloc(1, sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->fn = fn;
    p->max_fn = k_red[RK_MAX][x->dtype];
    p->noop = noop;
    p->in_numel = hbg_tensor_numel(x);
    p->out_numel = hbg_tensor_numel(k->out[0]);
    p->count = 1;
    /* Groups outermost first: size-1 dims vanish, neighbours with the same flag merge. */
    for (int d = 0; d < x->rank; d++) {
        if (reduced[d])
            p->count *= x->dims[d];
        if (x->dims[d] == 1)
            continue;
        int g = p->n_groups;
        if (g > 0 && p->greduced[g - 1] == reduced[d]) {
            p->gsize[g - 1] *= x->dims[d];
            continue;
        }
        p->gsize[g] = x->dims[d];
        p->greduced[g] = reduced[d];
        p->n_groups++;
    }
    if (p->n_groups == 0) { /* a single element */
        p->gsize[0] = 1;
        p->n_groups = 1;
    }
    int64_t s = 1;
    for (int g = p->n_groups - 1; g >= 0; g--) {
        p->ostride[g] = p->greduced[g] ? 0 : s;
        s *= p->greduced[g] ? 1 : p->gsize[g];
    }
    if (!noop)
        k->node->scratch = (size_t)p->out_numel * sizeof(double) * (ri->kind == RK_LSE ? 2 : 1);
    set_params(k, p);
    return HBG_OK;
}

/* One pass of fn over the whole input in memory order. */
static void red_pass(const red_params *p, red_fn fn, double *acc, const void *x, size_t es,
                     const double *m)
{
    int inner = p->n_groups - 1;
    int64_t n = p->gsize[inner], o = 0;
    int64_t idx[HBG_MAX_RANK] = {0};
    for (int64_t off = 0; off < p->in_numel; off += n) {
        fn(acc + o, (const char *)x + (size_t)off * es, n, p->greduced[inner], m ? m + o : NULL);
        for (int d = inner - 1; d >= 0; d--) {
            o += p->ostride[d];
            if (++idx[d] < p->gsize[d])
                break;
            o -= p->ostride[d] * p->gsize[d];
            idx[d] = 0;
        }
    }
}

static hbg_status reduce_run(hbg_kctx *k)
{
    const red_params *p = k->node->params;
    const red_info *ri = &k_red_info[k->node->op];
    const hbg_tensor *x = k->in[0];
    hbg_tensor *out = k->out[0];
    size_t es = hbg_dtype_size(x->dtype);
    if (p->noop) {
        if (p->in_numel)
            memcpy(out->data, x->data, (size_t)p->in_numel * es);
        return HBG_OK;
    }
    double *acc = k->scratch, *m = NULL;
    if (ri->kind == RK_LSE) {
        m = acc + p->out_numel;
        for (int64_t i = 0; i < p->out_numel; i++)
            m[i] = -HUGE_VAL;
        red_pass(p, p->max_fn, m, x->data, es, NULL);
    }
    for (int64_t i = 0; i < p->out_numel; i++)
        acc[i] = k_red_init[ri->kind];
    red_pass(p, p->fn, acc, x->data, es, m);
    for (int64_t i = 0; i < p->out_numel; i++) {
        double v = acc[i];
        switch ((red_final)ri->final) {
        case RF_MEAN:
            v /= (double)p->count;
            break;
        case RF_SQRT:
            v = sqrt(v);
            break;
        case RF_LOG:
            /* infinite maxima (or an empty reduction) would give inf - inf */
            v = isinf(m[i]) ? m[i] : m[i] + log(v);
            break;
        case RF_NONE:
            break;
        }
        hbg_elem_set_f64(out->data, out->dtype, i, v);
    }
    return HBG_OK;
}

/* ---- ArgMax / ArgMin ------------------------------------------------------------------------ */

typedef void (*arg_fn)(int64_t *y, const void *x, int64_t outer, int64_t n, int64_t inner);

typedef struct arg_params {
    arg_fn fn;
    int64_t outer, n, inner;
} arg_params;

/* BETTER(v, b) decides whether v replaces the current best b. NaN wins, as in numpy: the first
 * NaN for the first-index variants, the last NaN with select_last_index. */
#define DEF_ARG(name, T, BETTER)                                                                   \
    static void name(int64_t *y, const void *xv, int64_t outer, int64_t n, int64_t inner)          \
    {                                                                                              \
        const T *x = xv;                                                                           \
        for (int64_t o = 0; o < outer; o++)                                                        \
            for (int64_t i = 0; i < inner; i++) {                                                  \
                const T *r = x + o * n * inner + i;                                                \
                T b = r[0];                                                                        \
                int64_t bi = 0;                                                                    \
                for (int64_t j = 1; j < n; j++) {                                                  \
                    const T v = r[j * inner];                                                      \
                    if (BETTER(v, b)) {                                                            \
                        b = v;                                                                     \
                        bi = j;                                                                    \
                    }                                                                              \
                }                                                                                  \
                y[o * inner + i] = bi;                                                             \
            }                                                                                      \
    }
#define MAXF_F(v, b) ((v) > (b) || ((v) != (v) && (b) == (b)))
#define MAXL_F(v, b) ((v) >= (b) || (v) != (v))
#define MINF_F(v, b) ((v) < (b) || ((v) != (v) && (b) == (b)))
#define MINL_F(v, b) ((v) <= (b) || (v) != (v))
#define MAXF_I(v, b) ((v) > (b))
#define MAXL_I(v, b) ((v) >= (b))
#define MINF_I(v, b) ((v) < (b))
#define MINL_I(v, b) ((v) <= (b))
#define DEF_ARG_TYPE(T, sfx, K)                                                                    \
    DEF_ARG(argmax_first_##sfx, T, MAXF_##K)                                                       \
    DEF_ARG(argmax_last_##sfx, T, MAXL_##K)                                                        \
    DEF_ARG(argmin_first_##sfx, T, MINF_##K)                                                       \
    DEF_ARG(argmin_last_##sfx, T, MINL_##K)
DEF_ARG_TYPE(float, f32, F)
DEF_ARG_TYPE(double, f64, F)
DEF_ARG_TYPE(int8_t, i8, I)
DEF_ARG_TYPE(uint8_t, u8, I)
DEF_ARG_TYPE(int32_t, i32, I)
DEF_ARG_TYPE(int64_t, i64, I)

/* [argmin?][select_last_index][dtype] */
#define ARG_ROW(w)                                                                                 \
    {                                                                                              \
        [HBG_DT_F32] = w##_f32, [HBG_DT_F64] = w##_f64, [HBG_DT_I8] = w##_i8,                      \
        [HBG_DT_U8] = w##_u8, [HBG_DT_I32] = w##_i32, [HBG_DT_I64] = w##_i64,                      \
    }
static const arg_fn k_arg[2][2][HBG_DT_SLOTS] = {
    {ARG_ROW(argmax_first), ARG_ROW(argmax_last)},
    {ARG_ROW(argmin_first), ARG_ROW(argmin_last)},
};

static hbg_status arg_infer(hbg_kctx *k)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    int is_min = k->node->op == HBG_OP_ARGMIN;
    int last = hbg_attr_int(k->node, "select_last_index", 0) != 0;
    arg_fn fn = (unsigned)x->dtype < HBG_DT_SLOTS ? k_arg[is_min][last][x->dtype] : NULL;
    if (!fn)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(x->dtype));
    int64_t a = hbg_attr_int(k->node, "axis", 0);
    int axis = norm_axis(a, x->rank);
    if (axis < 0)
        return hbg_kfail(k, HBG_E_INVALID, "axis %lld is out of range for rank %d", (long long)a,
                         x->rank);
    if (x->dims[axis] == 0)
        return hbg_kfail(k, HBG_E_SHAPE, "cannot take the %s over an empty axis %d",
                         is_min ? "minimum" : "maximum", axis);
    int keep = hbg_attr_int(k->node, "keepdims", 1) != 0;
    int64_t od[HBG_MAX_RANK];
    int orank = 0;
    for (int d = 0; d < x->rank; d++) {
        if (d != axis)
            od[orank++] = x->dims[d];
        else if (keep)
            od[orank++] = 1;
    }
    if ((st = hbg_tensor_set_shape(k->out[0], HBG_DT_I64, orank, od)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    arg_params *p = malloc(sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->fn = fn;
    p->outer = 1;
    p->n = x->dims[axis];
    p->inner = 1;
    for (int d = 0; d < x->rank; d++) {
        if (d < axis)
            p->outer *= x->dims[d];
        else if (d > axis)
            p->inner *= x->dims[d];
    }
    set_params(k, p);
    return HBG_OK;
}

static hbg_status arg_run(hbg_kctx *k)
{
    const arg_params *p = k->node->params;
    p->fn(k->out[0]->data, k->in[0]->data, p->outer, p->n, p->inner);
    return HBG_OK;
}

const hbg_op_impl hbg_ops_reduce[] = {
    {HBG_OP_SOFTMAX, softmax_infer, softmax_run, 0},
    {HBG_OP_LOGSOFTMAX, softmax_infer, softmax_run, 0},
    {HBG_OP_REDUCEMEAN, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCEMAX, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCEMIN, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCESUM, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCEPROD, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCEL1, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCEL2, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCESUMSQUARE, reduce_infer, reduce_run, 0},
    {HBG_OP_REDUCELOGSUMEXP, reduce_infer, reduce_run, 0},
    {HBG_OP_ARGMAX, arg_infer, arg_run, 0},
    {HBG_OP_ARGMIN, arg_infer, arg_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
