/* Internal interface between the quantiser, the integer executor (qexec.c) and the domain's
 * kernels (qops.c). */
#ifndef HBC_QEXEC_PRIV_H
#define HBC_QEXEC_PRIV_H

#include "hbc/quant.h"
#include "hbg/kernel.h"

/* infer/run of one of our operators (op < HBC_QOP_COUNT). Same contract as hbg_op_impl. */
hbg_infer_fn hbc_qop_infer(hbc_qop op);
hbg_run_fn hbc_qop_run(hbc_qop op);

/* 2-D window geometry of Conv and AveragePool: kernel, stride, dilation, pads at the begin and
 * end of each axis (H, W), and AveragePool's count_include_pad. */
typedef struct hbc_qgeom {
    int64_t k[2], s[2], d[2], pb[2], pe[2];
    int count_include_pad;
} hbc_qgeom;

/* The geometry a prepared Conv or AveragePool node of our domain parsed (node->params). */
const hbc_qgeom *hbc_qop_geom(const hbg_node *n);

/* Output length of axis a for input length in (floor, or AveragePool's ceil_mode rule: a last
 * window starting at or past in + pad_begin is dropped); -1 when the window exceeds the input. */
int64_t hbc_qgeom_out_len(const hbc_qgeom *g, int64_t in, int a, int ceil_mode);
/* AveragePool's divisor of output (oh, ow) for an H x W input (docs/quantized-ops.md). */
int64_t hbc_qgeom_count(const hbc_qgeom *g, int64_t H, int64_t W, int64_t oh, int64_t ow);

#endif
