/* Similarity figures of the node and output tables (hbc/metrics.h). */
#include <math.h>

#include "hbc/metrics.h"

hbc_similarity hbc_similarity_f32(const float *a, const float *b, size_t n)
{
    double dot = 0.0, na = 0.0, nb = 0.0, l1 = 0.0, l2 = 0.0, cheb = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = a[i], y = b[i], d = fabs(x - y);
        dot += x * y;
        na += x * x;
        nb += y * y;
        l1 += d;
        l2 += d * d;
        if (d > cheb || d != d)
            cheb = d;
    }
    hbc_similarity s = {1.0, 0.0, 0.0, 0.0};
    if (n == 0)
        return s;
    if (!isfinite(dot) || !isfinite(na) || !isfinite(nb) || !isfinite(l2) || !isfinite(cheb)) {
        s.cosine = s.l1 = s.l2 = s.chebyshev = NAN;
        return s;
    }
    if (na == 0.0 && nb == 0.0)
        s.cosine = 1.0;
    else if (na == 0.0 || nb == 0.0)
        s.cosine = 0.0;
    else
        s.cosine = dot / (sqrt(na) * sqrt(nb));
    /* Rounding can push |cosine| a hair above 1 for identical vectors. */
    if (s.cosine > 1.0)
        s.cosine = 1.0;
    if (s.cosine < -1.0)
        s.cosine = -1.0;
    s.l1 = l1 / (double)n;
    s.l2 = sqrt(l2 / (double)n);
    s.chebyshev = cheb;
    return s;
}
