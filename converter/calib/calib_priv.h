/* Private helpers shared by the files of converter/calib (not installed). */
#ifndef HBC_CALIB_PRIV_H
#define HBC_CALIB_PRIV_H

#include <stddef.h>

#include "hbc/calib.h"

/* The m largest values pushed so far, as a min-heap: after pushing all n values, the root is the
 * (n - m + 1)-th smallest, i.e. the percentile value of rank n - m + 1. */
typedef struct calib_topk {
    float *v;
    long long m, n; /* capacity, count held */
} calib_topk;

hbg_status calib_topk_init(calib_topk *h, long long m);
void calib_topk_push(calib_topk *h, float x);
/* The smallest value held (0 when empty). */
float calib_topk_min(const calib_topk *h);
void calib_topk_free(calib_topk *h);

/* printf into err (always NUL-terminated when errlen > 0); returns st. */
hbg_status calib_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Thresholds read from the QuantizeLinear/DequantizeLinear pairs of g (prepared by the
 * executor). is_act marks the activation tensors (indexed like g->tensors); thr (same indexing)
 * receives scale * 127 for each tensor a pair covers and is left untouched elsewhere. */
hbg_status calib_load_thresholds(const hbg_graph *g, const unsigned char *is_act, double *thr,
                                 const hbc_logger *lg, char *err, size_t errlen);

#endif /* HBC_CALIB_PRIV_H */
