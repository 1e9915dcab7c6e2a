/* hbDNNResize on the CPU (docs/runtime-api.md, "hbDNNResize"): bilinear resize of a region of a
 * Y or NV12 image into another image of the same type, in 16.16 fixed point with the step of the
 * reference's resizer, step = ((src - 1) * 65536 + (dst - 1) / 2) / (dst - 1) (corners aligned),
 * and round-half-up of the exact product. */
#ifndef HB_DNN_RESIZE_H
#define HB_DNN_RESIZE_H

#include "dnn/hb_dnn.h"

/* Check the tensors and roi (NULL: the whole input) and resize. Input and output: tensorType
 * HB_DNN_IMG_TYPE_Y or HB_DNN_IMG_TYPE_NV12 (both the same), batch 1, validShape 1 x C x H x W
 * (NCHW; C 1 for Y, 3 for NV12) or 1 x H x W x C (NHWC), alignedShape = validShape, dense planes
 * in sysMem[0] (NV12: the Y plane, then the interleaved UV plane), buffers from hbSysAlloc* or
 * hbSysRegisterMem (read from and written to the device view, like hbDNNInfer). NV12 needs even
 * sizes and a roi with even left/top and odd right/bottom. Returns 0 or an hbDNNStatus code
 * (message logged naming the argument). */
int32_t hb_resize_run(hbDNNTensor *output, const hbDNNTensor *input, const hbDNNRoi *roi);

#endif
