/* The int8 weight scale of one output channel (hbc/calib.h, docs/quantized-ops.md section 2),
 * shared by the fake-quantised graph and the quantiser so that both round the same weights. */
#include <math.h>

#include "hbc/calib.h"

/* A value counts as lying on the grid when it is within this many steps of a multiple of the
 * step. A float32 weight written as k * step with |k| <= 127 is within 127 * 2^-24 ~ 8e-6 steps
 * of k * step; random weights pass with probability 2e-4 per value, so a false grid needs every
 * value of the channel to pass. */
#define GRID_TOL 1e-4

/* 1 when every |w[i]| / step is within GRID_TOL of an integer. */
static int on_grid(const float *w, size_t n, double step)
{
    for (size_t i = 0; i < n; i++) {
        const double t = fabs((double)w[i]) / step;
        if (fabs(t - nearbyint(t)) > GRID_TOL)
            return 0;
    }
    return 1;
}

double hbc_calib_weight_scale(const float *w, size_t n)
{
    double amax = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double a = fabs((double)w[i]);
        if (a > amax)
            amax = a;
    }
    if (!(amax > 0.0) || !isfinite(amax))
        return 1.0;
    /* The coarsest grid amax / k (k = 1 .. 127) that holds every value: weights exported from
     * an already quantised model (QAT, TFLite) lie on one. Its finest multiple with at most 127
     * steps then represents the channel exactly; amax / 127 itself is the k = 127 case and the
     * rounding fallback. Non-grid channels fail on their first few values of each k. */
    for (int k = 1; k < 127; k++)
        if (on_grid(w, n, amax / k))
            return amax / (double)(k * (127 / k));
    return amax / 127.0;
}
