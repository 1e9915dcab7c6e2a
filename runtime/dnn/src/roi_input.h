/* Resizer inputs of libdnn (docs/runtime-api.md, "hbDNNRoiInfer"): a model input compiled with
 * input_source resizer is fed by hbDNNRoiInfer with a whole Y or NV12 frame of the user's size and
 * a roi of it; the roi is cropped and bilinearly resized on the CPU (resize.h, the arithmetic of
 * hbDNNResize) to the model's input size, which then goes through the image input path
 * (image_input.h) as an image of exactly that size would. */
#ifndef HB_DNN_ROI_INPUT_H
#define HB_DNN_ROI_INPUT_H

#include <stdint.h>

#include "dnn/hb_dnn.h"
#include "hb_bin/bin_reader.h"
#include "image_input.h"
#include "resize.h"

/* Limits enforced (the reference's Ultra resizer, horizon-interface 5.3): frame width and height
 * 1 .. HB_ROI_MAX_SIDE, roi width and height >= 2, model input width and height >= 2, 16.16
 * step of each axis (hb_resize_step of the Y plane) <= HB_ROI_MAX_STEP (downscale below 4x). */
#define HB_ROI_MAX_SIDE 4096
#define HB_ROI_MAX_STEP 262143u

/* 1 when input `idx` of bm is compiled with input_source resizer. */
int hb_roi_is_resizer(const hbbin_model *bm, uint32_t idx);

/* Check the user's frame u of resizer input `idx` (named `name`, fed as image img) and its roi,
 * and resolve the frame's buffer into *fr. The frame: tensorType the model's (NV12 or Y),
 * validShape = alignedShape = 1 x C x H x W (NCHW) or 1 x H x W x C (NHWC), C 3 for NV12 and 1
 * for Y, dense planes in sysMem[0]; the roi inside it (NV12: even left/top, odd right/bottom);
 * the limits above. Returns 0 or HB_DNN_INVALID_ARGUMENT (message logged naming the input). */
int32_t hb_roi_bind(const hb_img *img, const hbDNNTensor *u, const hbDNNRoi *roi, uint32_t idx,
                    const char *name, hb_resize_img *fr);

/* Crop roi of the bound frame and resize it to the model's img->w x img->h into dst (img->bytes
 * bytes: Y plane, then the UV plane for NV12), and describe dst as the image source *src (its
 * flush-check ranges left empty). */
void hb_roi_resize(const hb_img *img, const hb_resize_img *fr, const hbDNNRoi *roi, uint8_t *dst,
                   hb_img_src *src);

#endif
