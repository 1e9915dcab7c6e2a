/* QuantizeLinear and DequantizeLinear (ONNX opsets 10 and 13 semantics).
 *
 * QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point), where x / y_scale is
 * one float32 division (as the ONNX reference does it), the rounding is ties-to-even, and saturate
 * clamps to the output type: uint8 (also when y_zero_point is omitted) or int8. NaN quantises to
 * the zero point. DequantizeLinear: y = (float)(x - x_zero_point) * x_scale for x of type uint8,
 * int8 or int32 (int32 requires a zero zero point, as ONNX says).
 *
 * Scale and zero point are per tensor (a scalar or a one-element tensor) or, from opset 13, per
 * axis: 1-D of length x.shape[axis] > 1 ('axis' defaults to 1, negative counts from the end). The
 * blocked form of opset 21 and float8 types are not supported (the loader accepts opsets <= 17).
 *
 * Note: the converter's own int8 contract (ARCHITECTURE 4) rounds half away from zero; these ops
 * follow ONNX (half to even) so that a *_calibrated_model.onnx means the same in any runtime.
 */
#include <math.h>
#include <stdint.h>

#include "hbg/kernel.h"

static hbg_status check_input(hbg_kctx *k, int i)
{
    if (i >= k->n_in || !k->in[i])
        return hbg_kfail(k, HBG_E_INVALID, "input %d is missing", i);
    if (k->in[i]->rank < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input %d ('%s') has an unknown shape", i, k->in[i]->name);
    return HBG_OK;
}

/* Layout of x as [outer, c, inner] around the quantisation axis; c == 1 per tensor. */
typedef struct q_layout {
    int64_t outer, c, inner;
} q_layout;

/* Check scale (input 1) and the optional zero point (input 2) against x (input 0) and fill the
 * layout. zp_types lists the allowed zero-point element types (n_types entries). */
static hbg_status q_check(hbg_kctx *k, const hbg_dtype *zp_types, int n_types, q_layout *L)
{
    hbg_status st;
    if ((st = check_input(k, 0)) != HBG_OK || (st = check_input(k, 1)) != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0], *s = k->in[1];
    const hbg_tensor *z = k->n_in > 2 ? k->in[2] : NULL;
    if (s->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "scale must be float, not %s",
                         hbg_dtype_name(s->dtype));
    int64_t ns = hbg_tensor_numel(s);
    if (s->rank > 1 || ns < 1)
        return hbg_kfail(k, HBG_E_INVALID, "scale must be a scalar or a 1-D tensor");
    if (z) {
        if (z->rank < 0)
            return hbg_kfail(k, HBG_E_SHAPE, "zero point '%s' has an unknown shape", z->name);
        int ok = 0;
        for (int i = 0; i < n_types; i++)
            ok |= z->dtype == zp_types[i];
        if (!ok)
            return hbg_kfail(k, HBG_E_UNSUPPORTED, "zero point type %s is not supported",
                             hbg_dtype_name(z->dtype));
        if (z->rank != s->rank || hbg_tensor_numel(z) != ns)
            return hbg_kfail(k, HBG_E_SHAPE, "zero point and scale shapes differ");
    }
    int64_t numel = hbg_tensor_numel(x);
    if (numel < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input shape too large");
    *L = (q_layout){.outer = 1, .c = 1, .inner = numel};
    if (ns > 1) { /* a one-element 1-D scale is per tensor, as onnxruntime reads it */
        if (hbg_graph_opset(k->g, "") < 13)
            return hbg_kfail(k, HBG_E_INVALID, "per-axis scale needs opset 13");
        int64_t axis = hbg_attr_int(k->node, "axis", 1);
        if (axis < 0)
            axis += x->rank;
        if (axis < 0 || axis >= x->rank)
            return hbg_kfail(k, HBG_E_INVALID, "axis %lld is out of range for rank %d",
                             (long long)hbg_attr_int(k->node, "axis", 1), x->rank);
        if (x->dims[axis] != ns)
            return hbg_kfail(k, HBG_E_SHAPE, "scale has %lld elements, axis %lld has %lld",
                             (long long)ns, (long long)axis, (long long)x->dims[axis]);
        L->outer = L->inner = 1;
        for (int d = 0; d < axis; d++)
            L->outer *= x->dims[d];
        for (int d = (int)axis + 1; d < x->rank; d++)
            L->inner *= x->dims[d];
        L->c = ns;
    }
    return HBG_OK;
}

/* Round to nearest, ties to even, without depending on the floating-point environment. */
static double round_half_even(double v)
{
    double f = floor(v), d = v - f;
    if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0.0))
        f += 1.0;
    return f;
}

static hbg_status quantize_infer(hbg_kctx *k)
{
    static const hbg_dtype zp_types[] = {HBG_DT_U8, HBG_DT_I8};
    q_layout L;
    hbg_status st = q_check(k, zp_types, 2, &L);
    if (st != HBG_OK)
        return st;
    if (k->in[0]->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "input must be float, not %s",
                         hbg_dtype_name(k->in[0]->dtype));
    hbg_dtype dt = k->n_in > 2 && k->in[2] ? k->in[2]->dtype : HBG_DT_U8;
    if ((st = hbg_tensor_set_shape(k->out[0], dt, k->in[0]->rank, k->in[0]->dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status quantize_run(hbg_kctx *k)
{
    q_layout L;
    static const hbg_dtype zp_types[] = {HBG_DT_U8, HBG_DT_I8};
    hbg_status st = q_check(k, zp_types, 2, &L);
    if (st != HBG_OK)
        return st;
    const float *x = k->in[0]->data, *s = k->in[1]->data;
    const hbg_tensor *z = k->n_in > 2 ? k->in[2] : NULL;
    hbg_tensor *y = k->out[0];
    const int is_i8 = y->dtype == HBG_DT_I8;
    const double lo = is_i8 ? -128.0 : 0.0, hi = is_i8 ? 127.0 : 255.0;
    for (int64_t o = 0, i = 0; o < L.outer; o++)
        for (int64_t c = 0; c < L.c; c++) {
            const float sc = s[c];
            const double zp = z ? hbg_tensor_get_double(z, c) : 0.0;
            for (int64_t j = 0; j < L.inner; j++, i++) {
                const float q = x[i] / sc; /* float32 division, as ONNX */
                double v = q != q ? zp : round_half_even((double)q) + zp;
                v = v < lo ? lo : v > hi ? hi : v;
                if (is_i8)
                    ((int8_t *)y->data)[i] = (int8_t)v;
                else
                    ((uint8_t *)y->data)[i] = (uint8_t)v;
            }
        }
    return HBG_OK;
}

static hbg_status dequantize_infer(hbg_kctx *k)
{
    static const hbg_dtype zp_types[] = {HBG_DT_U8, HBG_DT_I8, HBG_DT_I32};
    q_layout L;
    hbg_status st = q_check(k, zp_types, 3, &L);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0], *z = k->n_in > 2 ? k->in[2] : NULL;
    if (x->dtype != HBG_DT_U8 && x->dtype != HBG_DT_I8 && x->dtype != HBG_DT_I32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "input type %s is not supported",
                         hbg_dtype_name(x->dtype));
    if (z && z->dtype != x->dtype)
        return hbg_kfail(k, HBG_E_INVALID, "zero point type %s differs from input type %s",
                         hbg_dtype_name(z->dtype), hbg_dtype_name(x->dtype));
    if ((st = hbg_tensor_set_shape(k->out[0], HBG_DT_F32, x->rank, x->dims)) != HBG_OK)
        return hbg_kfail(k, st, "cannot set the output shape");
    return HBG_OK;
}

static hbg_status dequantize_run(hbg_kctx *k)
{
    q_layout L;
    static const hbg_dtype zp_types[] = {HBG_DT_U8, HBG_DT_I8, HBG_DT_I32};
    hbg_status st = q_check(k, zp_types, 3, &L);
    if (st != HBG_OK)
        return st;
    const hbg_tensor *x = k->in[0], *z = k->n_in > 2 ? k->in[2] : NULL;
    const float *s = k->in[1]->data;
    float *y = k->out[0]->data;
    for (int64_t c = 0; z && x->dtype == HBG_DT_I32 && c < L.c; c++)
        if (hbg_tensor_get_int(z, c) != 0)
            return hbg_kfail(k, HBG_E_INVALID, "an int32 input needs a zero zero point");
    for (int64_t o = 0, i = 0; o < L.outer; o++)
        for (int64_t c = 0; c < L.c; c++) {
            const int64_t zp = z ? hbg_tensor_get_int(z, c) : 0;
            for (int64_t j = 0; j < L.inner; j++, i++)
                y[i] = (float)(hbg_tensor_get_int(x, i) - zp) * s[c];
        }
    return HBG_OK;
}

const hbg_op_impl hbg_ops_quant[] = {
    {HBG_OP_QUANTIZELINEAR, quantize_infer, quantize_run, 0},
    {HBG_OP_DEQUANTIZELINEAR, dequantize_infer, dequantize_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
