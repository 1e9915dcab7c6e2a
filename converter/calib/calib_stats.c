/* Statistics behind the threshold methods: the KL search, the percentile rank and the top-m heap
 * that makes the percentile exact without keeping every value (docs/calibration.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "calib_priv.h"

/* Probability that stands in for Q = 0 where P > 0 (possible only in the last kept bin, when it
 * holds clipped outliers but its level of the candidate distribution is empty). */
#define KL_Q_FLOOR 1e-9

hbg_status calib_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* KL(P || Q) of one cut i (bins 0..i-1); tail = count of bins >= i. */
static double kl_of_cut(const unsigned long long *hist, int i, unsigned long long tail)
{
    double p_sum = 0.0, q_sum = 0.0, kl = 0.0;
    double q[HBC_CALIB_BINS];
    /* candidate Q: bins merged into 128 levels, level j = bins [j*i/128, (j+1)*i/128), each
     * level's count spread evenly over the bins where P is non-zero */
    for (int j = 0; j < HBC_CALIB_KL_LEVELS; j++) {
        int lo = (int)((long long)j * i / HBC_CALIB_KL_LEVELS);
        int hi = (int)((long long)(j + 1) * i / HBC_CALIB_KL_LEVELS);
        double sum = 0.0;
        int nz = 0;
        for (int k = lo; k < hi; k++) {
            double pk = (double)hist[k] + (k == i - 1 ? (double)tail : 0.0);
            sum += (double)hist[k];
            nz += pk != 0.0;
        }
        for (int k = lo; k < hi; k++) {
            double pk = (double)hist[k] + (k == i - 1 ? (double)tail : 0.0);
            q[k] = pk != 0.0 ? sum / nz : 0.0;
            q_sum += q[k];
        }
    }
    for (int k = 0; k < i; k++)
        p_sum += (double)hist[k];
    p_sum += (double)tail;
    for (int k = 0; k < i; k++) {
        double pk = (double)hist[k] + (k == i - 1 ? (double)tail : 0.0);
        if (pk == 0.0)
            continue;
        double p = pk / p_sum;
        double qk = q_sum > 0.0 ? q[k] / q_sum : 0.0;
        kl += p * log(p / (qk > 0.0 ? qk : KL_Q_FLOOR));
    }
    return kl;
}

hbg_status hbc_calib_kl_cut(const unsigned long long *hist, int *cut)
{
    unsigned long long suffix = 0, total = 0;
    for (int k = 0; k < HBC_CALIB_BINS; k++)
        total += hist[k];
    if (!total)
        return HBG_E_INVALID;
    /* tail counts of every cut, from the top down */
    unsigned long long tails[HBC_CALIB_BINS + 1];
    tails[HBC_CALIB_BINS] = 0;
    for (int k = HBC_CALIB_BINS - 1; k >= 0; k--) {
        suffix += hist[k];
        tails[k] = suffix;
    }
    int best = HBC_CALIB_KL_LEVELS;
    double best_kl = INFINITY;
    for (int i = HBC_CALIB_KL_LEVELS; i < HBC_CALIB_BINS; i++) {
        double kl = kl_of_cut(hist, i, tails[i]);
        if (kl < best_kl) { /* strict: the smallest cut wins a tie */
            best_kl = kl;
            best = i;
        }
    }
    *cut = best;
    return HBG_OK;
}

long long hbc_calib_percentile_rank(double p, long long n)
{
    double pn = p * (double)n, r = nearbyint(pn);
    double k = fabs(pn - r) <= 1e-9 * (pn > 1.0 ? pn : 1.0) ? r : ceil(pn);
    if (k < 1.0)
        return 1;
    if (k > (double)n)
        return n;
    return (long long)k;
}

hbg_status calib_topk_init(calib_topk *h, long long m)
{
    h->n = 0;
    h->m = m;
    h->v = m > 0 ? malloc((size_t)m * sizeof *h->v) : NULL;
    return m > 0 && !h->v ? HBG_E_NOMEM : HBG_OK;
}

static void sift_down(float *v, long long n, long long i)
{
    for (;;) {
        long long l = 2 * i + 1, s = i;
        if (l < n && v[l] < v[s])
            s = l;
        if (l + 1 < n && v[l + 1] < v[s])
            s = l + 1;
        if (s == i)
            return;
        float t = v[i];
        v[i] = v[s];
        v[s] = t;
        i = s;
    }
}

void calib_topk_push(calib_topk *h, float x)
{
    if (h->n < h->m) {
        long long i = h->n++;
        h->v[i] = x;
        while (i > 0 && h->v[(i - 1) / 2] > h->v[i]) {
            float t = h->v[i];
            h->v[i] = h->v[(i - 1) / 2];
            h->v[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (h->m > 0 && x > h->v[0]) {
        h->v[0] = x;
        sift_down(h->v, h->n, 0);
    }
}

float calib_topk_min(const calib_topk *h)
{
    return h->n ? h->v[0] : 0.0f;
}

void calib_topk_free(calib_topk *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->m = 0;
}
