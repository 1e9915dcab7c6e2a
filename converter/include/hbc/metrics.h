/* hbc_metrics: the similarity figures of the node and output tables (cosine similarity, L1, L2 and
 * Chebyshev distance) between a float reference a and a compared tensor b of n elements.
 *
 * Definitions (docs/accuracy.md): cosine = sum(a*b) / (||a|| * ||b||), 1.0 when both are all zero
 * and 0.0 when exactly one is; L1 = mean |a - b|; L2 = sqrt(mean (a - b)^2); Chebyshev =
 * max |a - b|. Sums in double, in index order, so a figure is reproducible across targets. A NaN
 * or infinity in either input makes every figure NaN (the caller reports it).
 */
#ifndef HBC_METRICS_H
#define HBC_METRICS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hbc_similarity {
    double cosine;    /* in [-1, 1] */
    double l1;        /* mean absolute difference, >= 0 */
    double l2;        /* root mean square difference, >= 0 */
    double chebyshev; /* largest absolute difference, >= 0 */
} hbc_similarity;

/* Compare n elements (n == 0 gives cosine 1 and zero distances). */
hbc_similarity hbc_similarity_f32(const float *a, const float *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* HBC_METRICS_H */
