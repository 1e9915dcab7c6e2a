/* Numpy-style (multidirectional) broadcasting for the elementwise kernels: private to kernels/.
 *
 * At prepare time hbg_bcast_plan() turns the operand shapes into a compact loop plan: dims of size
 * 1 are dropped and neighbouring dims are merged wherever every operand stays linear across them,
 * so "same shape" becomes one flat loop, "x + scalar" one loop with a stride-0 operand, and
 * "NCHW + [C,1,1]" N*C loops of H*W with a scalar operand. At run time hbg_bcast_for_each() walks
 * the outer dims and hands each innermost segment to a callback; within a segment every operand's
 * stride is 0 (broadcast: the same element throughout) or 1 (contiguous).
 */
#ifndef HBG_KERNELS_BROADCAST_H
#define HBG_KERNELS_BROADCAST_H

#include <stdint.h>

#include "hbg/kernel.h"

#define HBG_BCAST_MAX_IN 3 /* Where has three operands; binary ops two */

typedef struct hbg_bcast {
    int n_in;
    int rank;                                       /* collapsed rank, 1..HBG_MAX_RANK */
    int64_t numel;                                  /* output elements (0 for an empty output) */
    int64_t dims[HBG_MAX_RANK];                     /* collapsed output dims, outermost first */
    int64_t stride[HBG_BCAST_MAX_IN][HBG_MAX_RANK]; /* element strides per operand; 0 = broadcast */
} hbg_bcast;

/* Broadcast the shapes of ts[0..n-1] (any n >= 1, all of known shape) into (*rank, dims). Fails
 * with HBG_E_SHAPE and a message naming the node and both shapes when two dims differ and neither
 * is 1. */
hbg_status hbg_bcast_shape(hbg_kctx *k, int n, const hbg_tensor *const *ts, int *rank,
                           int64_t *dims);

/* Plan the loops writing an output of shape (rank, dims) from ts[0..n-1], each of which must
 * broadcast to that shape (checked by hbg_bcast_shape or by the caller). */
void hbg_bcast_plan(hbg_bcast *p, int rank, const int64_t *dims, int n,
                    const hbg_tensor *const *ts);

/* One innermost segment: n output elements starting at element offset out_off; operand i starts
 * at element offset off[i] and advances by step[i] (0 or 1) per output element. */
typedef void (*hbg_bcast_seg_fn)(void *ctx, int64_t out_off, const int64_t *off, const int *step,
                                 int64_t n);

/* Call seg for every innermost segment of p, in output order. */
void hbg_bcast_for_each(const hbg_bcast *p, hbg_bcast_seg_fn seg, void *ctx);

#endif /* HBG_KERNELS_BROADCAST_H */
