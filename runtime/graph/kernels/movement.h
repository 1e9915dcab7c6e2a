/* Helpers shared by the data-movement, resize, pooling and normalisation kernels (private to
 * kernels/).
 *
 * The core of every pure data-movement op is a strided view: the destination is written densely
 * in row-major order and each destination axis has a source stride (in elements; 0 repeats an
 * element, negative walks backwards). Transpose, Slice, Expand, Tile, DepthToSpace and
 * SpaceToDepth differ only in how they fill the view at prepare time; hbg_mv_copy() runs them all,
 * copying contiguous rows with memcpy and innermost 2-D transposes in cache-sized tiles.
 */
#ifndef HBG_KERNELS_MOVEMENT_H
#define HBG_KERNELS_MOVEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "hbg/kernel.h"

/* Expand BODY once per common element size so that memcpy(.., .., ES) is a single load/store. */
#define HBG_MV_BY_SIZE(es, BODY)                                                                   \
    switch (es) {                                                                                  \
    case 1: {                                                                                      \
        const size_t ES = 1;                                                                       \
        BODY;                                                                                      \
    } break;                                                                                       \
    case 4: {                                                                                      \
        const size_t ES = 4;                                                                       \
        BODY;                                                                                      \
    } break;                                                                                       \
    case 8: {                                                                                      \
        const size_t ES = 8;                                                                       \
        BODY;                                                                                      \
    } break;                                                                                       \
    default: {                                                                                     \
        const size_t ES = es;                                                                      \
        BODY;                                                                                      \
    } break;                                                                                       \
    }

/* Tile views an axis of rank r as two (repeat, length): up to twice the tensor rank. */
#define HBG_MV_MAX_DIMS (2 * HBG_MAX_RANK)

typedef struct hbg_mv_view {
    int nd;                        /* destination axes, 1..HBG_MV_MAX_DIMS */
    size_t es;                     /* element size in bytes */
    int64_t offset;                /* source element read for destination index (0, ..., 0) */
    int64_t dims[HBG_MV_MAX_DIMS]; /* destination extent per axis, >= 0 */
    int64_t str[HBG_MV_MAX_DIMS];  /* source stride per destination axis, in elements */
} hbg_mv_view;

/* One element of any type the core holds, aligned for typed stores (elem.h). */
typedef union hbg_mv_scalar {
    int64_t i64;
    double f64;
    unsigned char bytes[8];
} hbg_mv_scalar;

/* Drop unit axes and merge axes that walk the source contiguously, so hbg_mv_copy runs the
 * longest possible inner rows. The copy it describes is unchanged. */
void hbg_mv_view_simplify(hbg_mv_view *v);

/* dst[i] = src[offset + sum_a idx_a * str_a] for every destination index, dst dense. */
void hbg_mv_copy(const hbg_mv_view *v, const void *src, void *dst);

/* Bound on the product of the non-zero dimensions of every tensor these kernels accept, and on
 * shape-like values (pads, repeats, sizes): far beyond any real tensor, small enough that a
 * product of two such values or a sum of many never overflows int64. */
#define HBG_MV_LIMIT ((int64_t)1 << 48)

/* 1 when the non-zero dimensions multiply to at most HBG_MV_LIMIT. */
int hbg_mv_dims_fit(int rank, const int64_t *dims);

/* Replace node->params with a zeroed block of size bytes; NULL when out of memory. */
void *hbg_mv_params(hbg_kctx *k, size_t size);

/* Input i of the node, or NULL when it is omitted (absent or given as ""). */
const hbg_tensor *hbg_mv_opt_in(const hbg_kctx *k, int i);

/* Check that input i exists and has a known shape within HBG_MV_LIMIT; the error names the node
 * and the input. */
hbg_status hbg_mv_need_in(hbg_kctx *k, int i);

/* Read the values of input i, an integer tensor of rank 0 or 1 that must be known at prepare
 * time (it determines an output shape); what names it in messages ("starts"). At most max
 * values; the count is stored in *n. */
hbg_status hbg_mv_read_ints(hbg_kctx *k, int i, const char *what, int64_t *v, int max, int *n);

/* Map axis a in [-rank, rank) to [0, rank); -1 when out of range. */
int hbg_mv_axis(int64_t a, int rank);

/* The default-domain opset the node runs under; a graph that imports none is taken as opset 17,
 * the newest this core implements. */
int64_t hbg_mv_opset(const hbg_kctx *k);

/* Resize (opsets 10..17) and Upsample (7..9), defined in resize.c, listed in hbg_ops_movement. */
hbg_status hbg_resize_infer(hbg_kctx *k);
hbg_status hbg_upsample_infer(hbg_kctx *k);
hbg_status hbg_resize_run(hbg_kctx *k);

#endif /* HBG_KERNELS_MOVEMENT_H */
