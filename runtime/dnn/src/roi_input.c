/* Resizer inputs (roi_input.h): frame and roi checks, crop and resize to the model's size. */
#include "roi_input.h"

#include <stdio.h>
#include <string.h>

#include "dnn/hb_dnn_ext.h"
#include "dnn_internal.h"

/* the .bin code of the resizer (bin_format.h) is the API enum value */
int hb_roi_is_resizer(const hbbin_model *bm, uint32_t idx)
{
    return bm->inputs[idx].input_source == (uint32_t)HB_DNN_INPUT_FROM_RESIZER;
}

int32_t hb_roi_bind(const hb_img *img, const hbDNNTensor *u, const hbDNNRoi *roi, uint32_t idx,
                    const char *name, hb_resize_img *fr)
{
    char what[160];
    int32_t rc;
    snprintf(what, sizeof what, "input %u '%s'", idx, name);
    if (img->type != HB_DNN_IMG_TYPE_NV12 && img->type != HB_DNN_IMG_TYPE_Y)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s is a resizer input of image type %d; the resizer "
                           "takes NV12 (%d) and Y (%d) inputs",
                           what, img->type, HB_DNN_IMG_TYPE_NV12, HB_DNN_IMG_TYPE_Y);
    if (img->n != 1 || img->h < 2 || img->w < 2)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s: the model's input is %d x %d x %d (N x H x W); a "
                           "resizer input needs N = 1 and H, W >= 2",
                           what, img->n, img->h, img->w);
    if (u->properties.tensorType != img->type)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s: tensorType %d, the model's resizer input takes %d",
                           what, u->properties.tensorType, img->type);
    if ((rc = hb_resize_image_arg(u, "hbDNNRoiInfer", what, fr)) != 0)
        return rc;
    if (fr->w > HB_ROI_MAX_SIDE || fr->h > HB_ROI_MAX_SIDE)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s: frame of %lld x %lld pixels; the resizer takes "
                           "frames up to %d x %d",
                           what, (long long)fr->w, (long long)fr->h, HB_ROI_MAX_SIDE,
                           HB_ROI_MAX_SIDE);
    const hbDNNRoi r = *roi;
    if (r.left < 0 || r.top < 0 || r.right < r.left || r.bottom < r.top || r.right >= fr->w ||
        r.bottom >= fr->h)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s: roi (left %d, top %d, right %d, bottom %d) is not "
                           "inside the %lld x %lld frame",
                           what, r.left, r.top, r.right, r.bottom, (long long)fr->w,
                           (long long)fr->h);
    if (fr->nv12 && (r.left % 2 || r.top % 2 || r.right % 2 == 0 || r.bottom % 2 == 0))
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s: an NV12 roi needs even left/top and odd "
                           "right/bottom, not (%d, %d, %d, %d)",
                           what, r.left, r.top, r.right, r.bottom);
    const int64_t rw = (int64_t)r.right - r.left + 1, rh = (int64_t)r.bottom - r.top + 1;
    if (rw < 2 || rh < 2)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s: roi of %lld x %lld pixels; the resizer needs at "
                           "least 2 x 2",
                           what, (long long)rw, (long long)rh);
    const uint64_t sx = hb_resize_step(rw, img->w), sy = hb_resize_step(rh, img->h);
    if (sx > HB_ROI_MAX_STEP || sy > HB_ROI_MAX_STEP)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: %s: roi of %lld x %lld pixels to the model's %d x %d "
                           "gives step (%llu, %llu); the resizer's step is at most %u (a "
                           "downscale of less than 4x)",
                           what, (long long)rw, (long long)rh, img->w, img->h,
                           (unsigned long long)sx, (unsigned long long)sy, HB_ROI_MAX_STEP);
    return 0;
}

void hb_roi_resize(const hb_img *img, const hb_resize_img *fr, const hbDNNRoi *roi, uint8_t *dst,
                   hb_img_src *src)
{
    const uint64_t plane = (uint64_t)img->h * (uint64_t)img->w;
    hb_resize_planes(fr->dev, fr->w, fr->h, fr->nv12, roi, dst, img->w, img->h);
    memset(src, 0, sizeof *src);
    src->p[0] = dst;
    if (fr->nv12) {
        src->p[1] = dst + plane;
        src->step[0] = src->step[1] = plane * 3 / 2;
    } else {
        src->step[0] = plane;
    }
}
