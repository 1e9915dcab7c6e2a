/* Constant, Identity, Dropout (inference), Cast, Shape, Size, ConstantOfShape, Range.
 *
 * Shape and Size read only the input's shape (HBG_OPF_SHAPE_ONLY), so they fold at prepare time
 * and shape arithmetic downstream of them folds too. ConstantOfShape and Range need their inputs
 * at prepare time because the output shape depends on them. Cast converts float to integer by
 * truncation toward zero with saturation and NaN -> 0 (elem.h), integer to narrower integer by
 * wrapping (as C and numpy), and anything to bool as x != 0.
 */
#include <math.h>
#include <string.h>

#include "elem.h"
#include "hbg/kernel.h"

static hbg_status check_input(hbg_kctx *k, int i)
{
    if (i >= k->n_in || !k->in[i])
        return hbg_kfail(k, HBG_E_INVALID, "input %d is missing", i);
    if (k->in[i]->rank < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input %d ('%s') has an unknown shape", i, k->in[i]->name);
    return HBG_OK;
}

/* Copy a tensor's data of nbytes (nothing for an empty tensor, whose data may be NULL). */
static void copy_bytes(void *dst, const void *src, int64_t nbytes)
{
    if (nbytes > 0)
        memcpy(dst, src, (size_t)nbytes);
}

/* ---- Constant ------------------------------------------------------------------------------ */

/* The attribute forms of Constant that carry a value we can hold (value_string(s) and
 * sparse_value are refused). */
static const struct {
    const char *name;
    hbg_attr_type type;
} k_const_attrs[] = {
    {"value", HBG_ATTR_TENSOR},  {"value_float", HBG_ATTR_FLOAT}, {"value_floats", HBG_ATTR_FLOATS},
    {"value_int", HBG_ATTR_INT}, {"value_ints", HBG_ATTR_INTS},
};

static const hbg_attr *const_attr(const hbg_node *n)
{
    for (size_t i = 0; i < sizeof k_const_attrs / sizeof k_const_attrs[0]; i++) {
        const hbg_attr *a = hbg_node_attr(n, k_const_attrs[i].name);
        if (a && a->type == k_const_attrs[i].type)
            return a;
    }
    return NULL;
}

static hbg_status constant_infer(hbg_kctx *k)
{
    const hbg_attr *a = const_attr(k->node);
    hbg_status st;
    int64_t n1[1];
    if (!a)
        return hbg_kfail(k, HBG_E_UNSUPPORTED,
                         "needs a value, value_float(s) or value_int(s) attribute");
    switch (a->type) {
    case HBG_ATTR_TENSOR:
        if (hbg_tensor_nbytes(a->t) < 0 || (hbg_tensor_nbytes(a->t) > 0 && !a->t->data))
            return hbg_kfail(k, HBG_E_INVALID, "value attribute has no valid data");
        st = hbg_tensor_set_shape(k->out[0], a->t->dtype, a->t->rank, a->t->dims);
        break;
    case HBG_ATTR_FLOAT:
        st = hbg_tensor_set_shape(k->out[0], HBG_DT_F32, 0, NULL);
        break;
    case HBG_ATTR_INT:
        st = hbg_tensor_set_shape(k->out[0], HBG_DT_I64, 0, NULL);
        break;
    default: /* FLOATS, INTS */
        n1[0] = (int64_t)a->n;
        st = hbg_tensor_set_shape(k->out[0], a->type == HBG_ATTR_FLOATS ? HBG_DT_F32 : HBG_DT_I64,
                                  1, n1);
        break;
    }
    if (st != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status constant_run(hbg_kctx *k)
{
    const hbg_attr *a = const_attr(k->node);
    hbg_tensor *y = k->out[0];
    switch (a->type) {
    case HBG_ATTR_TENSOR:
        copy_bytes(y->data, a->t->data, hbg_tensor_nbytes(y));
        break;
    case HBG_ATTR_FLOAT:
        *(float *)y->data = a->f;
        break;
    case HBG_ATTR_INT:
        *(int64_t *)y->data = a->i;
        break;
    case HBG_ATTR_FLOATS:
        copy_bytes(y->data, a->floats, hbg_tensor_nbytes(y));
        break;
    default: /* INTS */
        copy_bytes(y->data, a->ints, hbg_tensor_nbytes(y));
        break;
    }
    return HBG_OK;
}

/* ---- Identity, Dropout ---------------------------------------------------------------------- */

static hbg_status identity_infer(hbg_kctx *k)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    if ((st = hbg_tensor_set_shape(k->out[0], x->dtype, x->rank, x->dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status identity_run(hbg_kctx *k)
{
    copy_bytes(k->out[0]->data, k->in[0]->data, hbg_tensor_nbytes(k->out[0]));
    return HBG_OK;
}

/* Dropout in inference: output = input, mask all ones. Opset 12+ may ask for training mode
 * through input 2; with a non-zero ratio that needs random numbers, which we refuse. */
static hbg_status dropout_check_training(hbg_kctx *k)
{
    const hbg_tensor *t = k->n_in > 2 ? k->in[2] : NULL, *r = k->n_in > 1 ? k->in[1] : NULL;
    if (!t || !t->data || !hbg_tensor_get_int(t, 0))
        return HBG_OK;
    /* ONNX's default ratio is 0.5 */
    double ratio = r && r->data ? hbg_tensor_get_double(r, 0) : 0.5;
    if (ratio != 0.0)
        return hbg_kfail(k, HBG_E_UNSUPPORTED,
                         "training mode with ratio %g (random dropout) is not supported", ratio);
    return HBG_OK;
}

static hbg_status dropout_infer(hbg_kctx *k)
{
    hbg_status st = identity_infer(k);
    if (st != HBG_OK)
        return st;
    if (k->n_in > 2 && k->in[2] && k->in[2]->dtype != HBG_DT_BOOL)
        return hbg_kfail(k, HBG_E_INVALID, "training_mode must be bool");
    if ((st = dropout_check_training(k)) != HBG_OK)
        return st;
    if (k->n_out > 1) {
        /* opset 7..9: the mask has the input's type; from 10 it is bool */
        const hbg_tensor *x = k->in[0];
        hbg_dtype mdt = hbg_graph_opset(k->g, "") < 10 ? x->dtype : HBG_DT_BOOL;
        if ((st = hbg_tensor_set_shape(k->out[1], mdt, x->rank, x->dims)) != HBG_OK)
            return hbg_kfail(k, st, "cannot set the mask shape");
    }
    return HBG_OK;
}

static hbg_status dropout_run(hbg_kctx *k)
{
    /* training_mode may be a runtime input: checked here, on data, before writing anything */
    hbg_status st = dropout_check_training(k);
    if (st != HBG_OK)
        return st;
    identity_run(k);
    if (k->n_out > 1) {
        hbg_tensor *m = k->out[1];
        int64_t n = hbg_tensor_numel(m);
        for (int64_t i = 0; i < n; i++)
            hbg_elem_set_f64(m->data, m->dtype, i, 1.0);
    }
    return HBG_OK;
}

/* ---- Cast ------------------------------------------------------------------------------------ */

typedef void (*cast_fn)(void *y, const void *x, int64_t n);

#define DEF_CAST(name, TF, TT, EXPR)                                                               \
    static void name(void *yv, const void *xv, int64_t n)                                          \
    {                                                                                              \
        TT *y = yv;                                                                                \
        const TF *x = xv;                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const TF v = x[i];                                                                     \
            y[i] = (TT)(EXPR);                                                                     \
        }                                                                                          \
    }
/* From a floating-point type: integers saturate (elem.h) */
#define DEF_CAST_FROM_FLOAT(TF, f)                                                                 \
    DEF_CAST(cast_##f##_f32, TF, float, v)                                                         \
    DEF_CAST(cast_##f##_f64, TF, double, (double)v)                                                \
    DEF_CAST(cast_##f##_i8, TF, int8_t, hbg_f64_to_i8((double)v))                                  \
    DEF_CAST(cast_##f##_u8, TF, uint8_t, hbg_f64_to_u8((double)v))                                 \
    DEF_CAST(cast_##f##_i32, TF, int32_t, hbg_f64_to_i32((double)v))                               \
    DEF_CAST(cast_##f##_i64, TF, int64_t, hbg_f64_to_i64((double)v))                               \
    DEF_CAST(cast_##f##_b, TF, uint8_t, v != 0)
/* From an integer type (bool included): C conversions, narrowing wraps */
#define DEF_CAST_FROM_INT(TF, f)                                                                   \
    DEF_CAST(cast_##f##_f32, TF, float, v)                                                         \
    DEF_CAST(cast_##f##_f64, TF, double, v)                                                        \
    DEF_CAST(cast_##f##_i8, TF, int8_t, v)                                                         \
    DEF_CAST(cast_##f##_u8, TF, uint8_t, v)                                                        \
    DEF_CAST(cast_##f##_i32, TF, int32_t, v)                                                       \
    DEF_CAST(cast_##f##_i64, TF, int64_t, v)                                                       \
    DEF_CAST(cast_##f##_b, TF, uint8_t, v != 0)
DEF_CAST_FROM_FLOAT(float, f32)
DEF_CAST_FROM_FLOAT(double, f64)
DEF_CAST_FROM_INT(int8_t, i8)
DEF_CAST_FROM_INT(uint8_t, u8)
DEF_CAST_FROM_INT(int32_t, i32)
DEF_CAST_FROM_INT(int64_t, i64)
DEF_CAST_FROM_INT(uint8_t, b)

#define CAST_ROW(f)                                                                                \
    {                                                                                              \
        [HBG_DT_F32] = cast_##f##_f32, [HBG_DT_F64] = cast_##f##_f64, [HBG_DT_I8] = cast_##f##_i8, \
        [HBG_DT_U8] = cast_##f##_u8, [HBG_DT_I32] = cast_##f##_i32, [HBG_DT_I64] = cast_##f##_i64, \
        [HBG_DT_BOOL] = cast_##f##_b,                                                              \
    }
/* [from][to] */
static const cast_fn k_cast[HBG_DT_SLOTS][HBG_DT_SLOTS] = {
    [HBG_DT_F32] = CAST_ROW(f32), [HBG_DT_F64] = CAST_ROW(f64), [HBG_DT_I8] = CAST_ROW(i8),
    [HBG_DT_U8] = CAST_ROW(u8),   [HBG_DT_I32] = CAST_ROW(i32), [HBG_DT_I64] = CAST_ROW(i64),
    [HBG_DT_BOOL] = CAST_ROW(b),
};

static cast_fn cast_lookup(int64_t from, int64_t to)
{
    if (from < 0 || from >= HBG_DT_SLOTS || to < 0 || to >= HBG_DT_SLOTS)
        return NULL;
    return k_cast[from][to];
}

static hbg_status cast_infer(hbg_kctx *k)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0];
    const hbg_attr *to = hbg_node_attr(k->node, "to");
    if (!to || to->type != HBG_ATTR_INT)
        return hbg_kfail(k, HBG_E_INVALID, "needs an integer attribute 'to'");
    if (!cast_lookup(x->dtype, to->i))
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "cast from %s to type %lld is not supported",
                         hbg_dtype_name(x->dtype), (long long)to->i);
    if ((st = hbg_tensor_set_shape(k->out[0], (hbg_dtype)to->i, x->rank, x->dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status cast_run(hbg_kctx *k)
{
    cast_lookup(k->in[0]->dtype, k->out[0]->dtype)(k->out[0]->data, k->in[0]->data,
                                                   hbg_tensor_numel(k->out[0]));
    return HBG_OK;
}

/* ---- Shape, Size ----------------------------------------------------------------------------- */

/* Shape's [start, end) over the input dims: attributes from opset 15, clamped as ONNX says. */
static void shape_range(hbg_kctx *k, int *start, int *end)
{
    int r = k->in[0]->rank;
    int64_t s = 0, e = r;
    if (hbg_graph_opset(k->g, "") >= 15) {
        s = hbg_attr_int(k->node, "start", 0);
        e = hbg_attr_int(k->node, "end", r);
    }
    s = s < 0 ? s + r : s;
    e = e < 0 ? e + r : e;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    *start = (int)s;
    *end = e > s ? (int)e : (int)s;
}

static hbg_status shape_infer(hbg_kctx *k)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    int s, e;
    shape_range(k, &s, &e);
    int64_t n = e - s;
    if ((st = hbg_tensor_set_shape(k->out[0], HBG_DT_I64, 1, &n)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status shape_run(hbg_kctx *k)
{
    int s, e;
    shape_range(k, &s, &e);
    int64_t *y = k->out[0]->data;
    for (int d = s; d < e; d++)
        y[d - s] = k->in[0]->dims[d];
    return HBG_OK;
}

static hbg_status size_infer(hbg_kctx *k)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    if (hbg_tensor_numel(k->in[0]) < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input element count is unknown");
    if ((st = hbg_tensor_set_shape(k->out[0], HBG_DT_I64, 0, NULL)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status size_run(hbg_kctx *k)
{
    *(int64_t *)k->out[0]->data = hbg_tensor_numel(k->in[0]);
    return HBG_OK;
}

/* ---- ConstantOfShape ------------------------------------------------------------------------- */

static hbg_status constantofshape_infer(hbg_kctx *k)
{
    hbg_status st = check_input(k, 0);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *s = k->in[0];
    if (s->dtype != HBG_DT_I64 || s->rank != 1)
        return hbg_kfail(k, HBG_E_INVALID, "the shape input must be a 1-D int64 tensor");
    if (!s->data)
        return hbg_kneed_value(k, 0, "shape");
    if (s->dims[0] > HBG_MAX_RANK)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "output rank %lld exceeds %d", (long long)s->dims[0],
                         HBG_MAX_RANK);
    const hbg_attr *v = hbg_node_attr(k->node, "value");
    hbg_dtype dt = HBG_DT_F32; /* ONNX default: float 0 */
    if (v) {
        if (v->type != HBG_ATTR_TENSOR || hbg_tensor_numel(v->t) != 1 || !v->t->data)
            return hbg_kfail(k, HBG_E_INVALID, "value must be a one-element tensor");
        dt = v->t->dtype;
    }
    int64_t dims[HBG_MAX_RANK];
    int rank = (int)s->dims[0];
    for (int d = 0; d < rank; d++) {
        dims[d] = hbg_tensor_get_int(s, d);
        if (dims[d] < 0)
            return hbg_kfail(k, HBG_E_SHAPE, "dimension %d is negative (%lld)", d,
                             (long long)dims[d]);
    }
    if ((st = hbg_tensor_set_shape(k->out[0], dt, rank, dims)) != HBG_OK ||
        hbg_tensor_nbytes(k->out[0]) < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status constantofshape_run(hbg_kctx *k)
{
    const hbg_attr *v = hbg_node_attr(k->node, "value");
    hbg_tensor *y = k->out[0];
    size_t es = hbg_dtype_size(y->dtype);
    int64_t n = hbg_tensor_numel(y);
    if (!v) {
        memset(y->data, 0, (size_t)n * es);
        return HBG_OK;
    }
    for (int64_t i = 0; i < n; i++)
        memcpy((char *)y->data + (size_t)i * es, v->t->data, es);
    return HBG_OK;
}

/* ---- Range ----------------------------------------------------------------------------------- */

static hbg_status range_infer(hbg_kctx *k)
{
    hbg_status st;
    static const char *const names[3] = {"start", "limit", "delta"};
    if (k->n_in != 3)
        return hbg_kfail(k, HBG_E_INVALID, "expects 3 inputs, has %d", k->n_in);
    for (int i = 0; i < 3; i++) {
        if ((st = check_input(k, i)) != HBG_OK)
            return st;
        if (hbg_tensor_numel(k->in[i]) != 1 || k->in[i]->dtype != k->in[0]->dtype)
            return hbg_kfail(k, HBG_E_INVALID, "%s must be a scalar of the same type as start",
                             names[i]);
        if (!k->in[i]->data)
            return hbg_kneed_value(k, i, names[i]);
    }
    hbg_dtype dt = k->in[0]->dtype;
    int64_t n;
    if (dt == HBG_DT_F32 || dt == HBG_DT_F64) {
        double s = hbg_tensor_get_double(k->in[0], 0), l = hbg_tensor_get_double(k->in[1], 0);
        double d = hbg_tensor_get_double(k->in[2], 0);
        double c = ceil((l - s) / d);
        if (d == 0.0 || !(c < 9.0e18)) /* also catches NaN */
            return hbg_kfail(k, HBG_E_INVALID, "start %g, limit %g, delta %g give no valid length",
                             s, l, d);
        n = c > 0.0 ? (int64_t)c : 0;
    } else if (dt == HBG_DT_I32 || dt == HBG_DT_I64) {
        int64_t s = hbg_tensor_get_int(k->in[0], 0), l = hbg_tensor_get_int(k->in[1], 0);
        int64_t d = hbg_tensor_get_int(k->in[2], 0);
        if (d == 0)
            return hbg_kfail(k, HBG_E_INVALID, "delta is 0");
        /* ceil((l - s) / d) in exact integer arithmetic; spans beyond ~2^62 are refused so
         * that l - s cannot overflow */
        if (fabs((double)l - (double)s) > 4.0e18)
            return hbg_kfail(k, HBG_E_INVALID, "range from %lld to %lld is too long", (long long)s,
                             (long long)l);
        int64_t span = l - s;
        n = span / d + ((span % d != 0) && ((span > 0) == (d > 0)));
        n = n > 0 ? n : 0;
    } else {
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "element type %s is not supported",
                         hbg_dtype_name(dt));
    }
    if ((st = hbg_tensor_set_shape(k->out[0], dt, 1, &n)) != HBG_OK ||
        hbg_tensor_nbytes(k->out[0]) < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "cannot set the output shape (%lld elements)",
                         (long long)n);
    return HBG_OK;
}

static hbg_status range_run(hbg_kctx *k)
{
    hbg_tensor *y = k->out[0];
    int64_t n = hbg_tensor_numel(y);
    if (y->dtype == HBG_DT_F32 || y->dtype == HBG_DT_F64) {
        double s = hbg_tensor_get_double(k->in[0], 0), d = hbg_tensor_get_double(k->in[2], 0);
        for (int64_t i = 0; i < n; i++)
            hbg_elem_set_f64(y->data, y->dtype, i, s + (double)i * d);
    } else {
        int64_t s = hbg_tensor_get_int(k->in[0], 0), d = hbg_tensor_get_int(k->in[2], 0);
        for (int64_t i = 0; i < n; i++) {
            /* within [start, limit) by construction, so no overflow */
            int64_t v = s + i * d;
            if (y->dtype == HBG_DT_I32)
                ((int32_t *)y->data)[i] = (int32_t)v;
            else
                ((int64_t *)y->data)[i] = v;
        }
    }
    return HBG_OK;
}

const hbg_op_impl hbg_ops_misc[] = {
    {HBG_OP_CONSTANT, constant_infer, constant_run, 0},
    {HBG_OP_IDENTITY, identity_infer, identity_run, 0},
    {HBG_OP_DROPOUT, dropout_infer, dropout_run, 0},
    {HBG_OP_CAST, cast_infer, cast_run, 0},
    {HBG_OP_SHAPE, shape_infer, shape_run, HBG_OPF_SHAPE_ONLY},
    {HBG_OP_SIZE, size_infer, size_run, HBG_OPF_SHAPE_ONLY},
    {HBG_OP_CONSTANTOFSHAPE, constantofshape_infer, constantofshape_run, 0},
    {HBG_OP_RANGE, range_infer, range_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
