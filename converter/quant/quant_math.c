/* The converter's arithmetic: rounding, multipliers, weight/bias quantisation and LUTs, all in
 * double precision as ARCHITECTURE section 4 and docs/quantized-ops.md prescribe. */
#include <math.h>
#include <string.h>

#include "bpu/numerics.h"
#include "hbc/calib.h"
#include "hbc/quant.h"

int64_t hbc_quant_round_sat(double x, int64_t lo, int64_t hi)
{
    if (isnan(x))
        return 0;
    /* round() is round-half-away-from-zero; compare in double before converting so that huge
     * values cannot overflow the conversion. */
    double r = round(x);
    if (r <= (double)lo)
        return lo;
    if (r >= (double)hi)
        return hi;
    return (int64_t)r;
}

int hbc_quant_multiplier(double x, int32_t *m, uint32_t *r)
{
    if (!(x > 0.0) || !isfinite(x) || x >= 0x1p30)
        return -1;
    if (x < 0x1p-32) {
        /* |acc| * x < 2^31 * 2^-32 = 1/2: the real result rounds to 0, and so does
         * (acc * 2^30 + 2^61) >> 62 for |acc| < 2^31. */
        *m = (int32_t)BPU_M_MIN;
        *r = BPU_SHIFT_MAX;
        return 0;
    }
    return bpu_multiplier_from_double(x, m, r);
}

int hbc_quant_multiplier2(double x1, double x2, int32_t *m1, int32_t *m2, uint32_t *r)
{
    int32_t mb;
    uint32_t rb;
    if (!(x1 >= 0.0) || !(x2 >= 0.0) || !isfinite(x1) || !isfinite(x2))
        return -1;
    const double big = x1 >= x2 ? x1 : x2, small = x1 >= x2 ? x2 : x1;
    if (hbc_quant_multiplier(big, &mb, &rb) != 0)
        return -1;
    /* small <= big, so small * 2^r <= M_big (+1/2) < 2^31. ldexp is exact. */
    int64_t ms = hbc_quant_round_sat(ldexp(small, (int)rb), 0, BPU_M_LIMIT - 1);
    *m1 = x1 >= x2 ? mb : (int32_t)ms;
    *m2 = x1 >= x2 ? (int32_t)ms : mb;
    *r = rb;
    return 0;
}

double hbc_quant_weights(const float *w, size_t n, int8_t *q)
{
    const double s = hbc_calib_weight_scale(w, n);
    for (size_t i = 0; i < n; i++)
        q[i] = (int8_t)hbc_quant_round_sat((double)w[i] / s, -127, 127);
    return s;
}

int32_t hbc_quant_bias(double b, double s_in, double s_w)
{
    return (int32_t)hbc_quant_round_sat(b / (s_in * s_w), INT32_MIN, INT32_MAX);
}

typedef double (*lut_fn)(double x, const double *p);

static double f_relu(double x, const double *p)
{
    (void)p;
    return x > 0.0 ? x : 0.0;
}
static double f_clip(double x, const double *p)
{
    return x < p[0] ? p[0] : x > p[1] ? p[1] : x;
}
static double f_sigmoid(double x, const double *p)
{
    (void)p;
    return 1.0 / (1.0 + exp(-x));
}
static double f_tanh(double x, const double *p)
{
    (void)p;
    return tanh(x);
}
static double f_hardsigmoid(double x, const double *p)
{
    double y = p[0] * x + p[1];
    return y < 0.0 ? 0.0 : y > 1.0 ? 1.0 : y;
}
static double f_hardswish(double x, const double *p)
{
    (void)p;
    double y = x / 6.0 + 0.5;
    return x * (y < 0.0 ? 0.0 : y > 1.0 ? 1.0 : y);
}
static double f_leakyrelu(double x, const double *p)
{
    return x >= 0.0 ? x : p[0] * x;
}
static double f_elu(double x, const double *p)
{
    return x >= 0.0 ? x : p[0] * (exp(x) - 1.0);
}
static double f_exp(double x, const double *p)
{
    (void)p;
    return exp(x);
}
static double f_softplus(double x, const double *p)
{
    (void)p;
    return log1p(exp(x));
}
static double f_softsign(double x, const double *p)
{
    (void)p;
    return x / (1.0 + fabs(x));
}
static double f_neg(double x, const double *p)
{
    (void)p;
    return -x;
}
static double f_abs(double x, const double *p)
{
    (void)p;
    return fabs(x);
}

static const struct {
    const char *name;
    lut_fn fn;
} lut_fns[HBC_LUT_FN_COUNT] = {
    [HBC_LUT_RELU] = {"Relu", f_relu},
    [HBC_LUT_CLIP] = {"Clip", f_clip},
    [HBC_LUT_SIGMOID] = {"Sigmoid", f_sigmoid},
    [HBC_LUT_TANH] = {"Tanh", f_tanh},
    [HBC_LUT_HARDSIGMOID] = {"HardSigmoid", f_hardsigmoid},
    [HBC_LUT_HARDSWISH] = {"HardSwish", f_hardswish},
    [HBC_LUT_LEAKYRELU] = {"LeakyRelu", f_leakyrelu},
    [HBC_LUT_ELU] = {"Elu", f_elu},
    [HBC_LUT_EXP] = {"Exp", f_exp},
    [HBC_LUT_SOFTPLUS] = {"Softplus", f_softplus},
    [HBC_LUT_SOFTSIGN] = {"Softsign", f_softsign},
    [HBC_LUT_NEG] = {"Neg", f_neg},
    [HBC_LUT_ABS] = {"Abs", f_abs},
};

const char *hbc_lut_fn_name(hbc_lut_fn f)
{
    return (int)f >= 0 && f < HBC_LUT_FN_COUNT ? lut_fns[f].name : "?";
}

int hbc_quant_lut(hbc_lut_fn f, const double p[2], double s_in, double s_out, int8_t table[256])
{
    static const double none[2] = {0.0, 0.0};
    if ((int)f < 0 || f >= HBC_LUT_FN_COUNT || !(s_in > 0.0) || !(s_out > 0.0) || !isfinite(s_in) ||
        !isfinite(s_out))
        return -1;
    for (int i = 0; i < 256; i++) {
        double y = lut_fns[f].fn((double)(i - 128) * s_in, p ? p : none);
        table[i] = (int8_t)hbc_quant_round_sat(y / s_out, -128, 127);
    }
    return 0;
}
