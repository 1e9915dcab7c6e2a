/* hbDNNResize on the CPU (docs/runtime-api.md, "hbDNNResize"): bilinear resize of a region of a
 * Y or NV12 image into another image of the same type, in 16.16 fixed point with the step of the
 * reference's resizer, step = ((src - 1) * 65536 + (dst - 1) / 2) / (dst - 1) (corners aligned),
 * and round-half-up of the exact product. */
#ifndef HB_DNN_RESIZE_H
#define HB_DNN_RESIZE_H

#include <stdint.h>

#include "dnn/hb_dnn.h"

/* An image argument (Y or NV12, batch 1, dense planes): geometry and device view. */
typedef struct hb_resize_img {
    int nv12;       /* 1: NV12 (Y plane then interleaved UV plane), 0: Y */
    int64_t h, w;   /* pixels, 1 .. 65535, even for NV12 */
    uint64_t bytes; /* Y plane (+ UV plane) */
    uint8_t *dev;   /* device view of sysMem[0] */
    uint64_t phy;   /* sysMem[0].phyAddr */
} hb_resize_img;

/* Check image tensor t as hbDNNResize takes it (the rules of hb_resize_run) and resolve its
 * buffer. `fn` and `what` name the call and the argument in the log line. Returns 0 or
 * HB_DNN_INVALID_ARGUMENT (message logged). */
int32_t hb_resize_image_arg(const hbDNNTensor *t, const char *fn, const char *what,
                            hb_resize_img *im);

/* The resize itself on raw planes: roi r (inclusive, inside the w x h source, checked by the
 * caller; NV12: even left/top, odd right/bottom) of src to the dw x dh image dst (NV12: dw, dh
 * even). Same arithmetic as hb_resize_run. */
void hb_resize_planes(const uint8_t *src, int64_t w, int64_t h, int nv12, const hbDNNRoi *r,
                      uint8_t *dst, int64_t dw, int64_t dh);

/* The 16.16 step from src samples to dst samples (0 when dst is 1). */
uint64_t hb_resize_step(int64_t src, int64_t dst);

/* Check the tensors and roi (NULL: the whole input) and resize. Input and output: tensorType
 * HB_DNN_IMG_TYPE_Y or HB_DNN_IMG_TYPE_NV12 (both the same), batch 1, validShape 1 x C x H x W
 * (NCHW; C 1 for Y, 3 for NV12) or 1 x H x W x C (NHWC), alignedShape = validShape, dense planes
 * in sysMem[0] (NV12: the Y plane, then the interleaved UV plane), buffers from hbSysAlloc* or
 * hbSysRegisterMem (read from and written to the device view, like hbDNNInfer). NV12 needs even
 * sizes and a roi with even left/top and odd right/bottom. Returns 0 or an hbDNNStatus code
 * (message logged naming the argument). */
int32_t hb_resize_run(hbDNNTensor *output, const hbDNNTensor *input, const hbDNNRoi *roi);

#endif
