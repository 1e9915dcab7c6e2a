/* hbDNNResize's work (resize.h): bilinear resize of Y / NV12 images on the CPU in 16.16 fixed
 * point. Output sample (x, y) of a plane of src_w x src_h samples (the roi) resized to
 * dst_w x dst_h:
 *   step_x = dst_w > 1 ? ((src_w - 1) * 65536 + (dst_w - 1) / 2) / (dst_w - 1) : 0 (as y)
 *   px = x * step_x, x0 = px >> 16, fx = px & 0xFFFF, x1 = min(x0 + 1, src_w - 1) (as y)
 *   out = (((s00 (65536 - fx) + s01 fx) (65536 - fy) + (s10 (65536 - fx) + s11 fx) fy)
 *          + 2^31) >> 32
 * with s00 = src[y0][x0], s01 = src[y0][x1], s10 = src[y1][x0], s11 = src[y1][x1]: exact integer
 * arithmetic, rounded half up. NV12 resizes its Y plane so, and the U and V samples of its UV
 * plane as two planes of half the size (roi and output halved). */
#include "resize.h"

#include <string.h>

#include "dnn_internal.h"
#include "mem_registry.h"

int32_t hb_resize_image_arg(const hbDNNTensor *t, const char *fn, const char *what,
                            hb_resize_img *im)
{
    const hbDNNTensorProperties *p = &t->properties;
    const int32_t *d = p->validShape.dimensionSize;
    int32_t type = p->tensorType;
    memset(im, 0, sizeof *im);
    if (type != HB_DNN_IMG_TYPE_Y && type != HB_DNN_IMG_TYPE_NV12)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s: %s tensorType %d; Y (%d) and NV12 (%d) are supported", fn, what,
                           type, HB_DNN_IMG_TYPE_Y, HB_DNN_IMG_TYPE_NV12);
    im->nv12 = type == HB_DNN_IMG_TYPE_NV12;
    int nhwc = p->tensorLayout == HB_DNN_LAYOUT_NHWC;
    if ((!nhwc && p->tensorLayout != HB_DNN_LAYOUT_NCHW) || p->validShape.numDimensions != 4 ||
        d[0] != 1 || d[nhwc ? 3 : 1] != (im->nv12 ? 3 : 1))
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s: %s needs validShape 1 x %d x H x W (NCHW) or 1 x H x W x %d (NHWC)",
                           fn, what, im->nv12 ? 3 : 1, im->nv12 ? 3 : 1);
    if (memcmp(&p->alignedShape, &p->validShape, sizeof p->validShape) != 0)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s: %s needs alignedShape = validShape (dense planes)", fn, what);
    im->h = d[nhwc ? 1 : 2];
    im->w = d[nhwc ? 2 : 3];
    if (im->h < 1 || im->w < 1 || im->h > 65535 || im->w > 65535 ||
        (im->nv12 && (im->h % 2 || im->w % 2)))
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s: %s of %lld x %lld pixels: sizes 1 .. 65535%s", fn, what,
                           (long long)im->w, (long long)im->h, im->nv12 ? ", even for NV12" : "");
    im->bytes = (uint64_t)(im->h * im->w) * (im->nv12 ? 3 : 2) / 2;
    hb_mem_range mr;
    if (t->sysMem[0].memSize < im->bytes)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s: %s: memSize %u of sysMem[0] is smaller than the image's %llu "
                           "bytes",
                           fn, what, t->sysMem[0].memSize, (unsigned long long)im->bytes);
    if (hb_mem_resolve(t->sysMem[0].phyAddr, im->bytes, &mr) != 0 ||
        mr.cpu != (uint8_t *)t->sysMem[0].virAddr)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s: %s: sysMem[0] is not a buffer from hbSysAllocMem/"
                           "hbSysAllocCachedMem/hbSysRegisterMem",
                           fn, what);
    im->dev = mr.dev;
    im->phy = t->sysMem[0].phyAddr;
    return 0;
}

/* 16.16 step from a source extent to a destination extent (corners aligned). */
static uint64_t step_of(int64_t src, int64_t dst)
{
    return dst > 1 ? ((uint64_t)(src - 1) * 65536u + (uint64_t)(dst - 1) / 2) / (uint64_t)(dst - 1)
                   : 0;
}

/* Resize one plane: src sample (x, y) at src[y * sstride + x * pitch], roi sw x sh at the origin
 * of src; dst likewise with dw x dh. pitch is 1 for Y planes, 2 for the U or V of NV12. */
static void plane(const uint8_t *src, int64_t sstride, int64_t sw, int64_t sh, uint8_t *dst,
                  int64_t dstride, int64_t dw, int64_t dh, int64_t pitch)
{
    const uint64_t sx = step_of(sw, dw), sy = step_of(sh, dh);
    for (int64_t y = 0; y < dh; y++) {
        uint64_t py = (uint64_t)y * sy, fy = py & 0xFFFFu;
        int64_t y0 = (int64_t)(py >> 16);
        y0 = y0 > sh - 1 ? sh - 1 : y0;
        int64_t y1 = y0 + 1 > sh - 1 ? sh - 1 : y0 + 1;
        const uint8_t *r0 = src + y0 * sstride, *r1 = src + y1 * sstride;
        for (int64_t x = 0; x < dw; x++) {
            uint64_t px = (uint64_t)x * sx, fx = px & 0xFFFFu;
            int64_t x0 = (int64_t)(px >> 16);
            x0 = x0 > sw - 1 ? sw - 1 : x0;
            int64_t x1 = x0 + 1 > sw - 1 ? sw - 1 : x0 + 1;
            uint64_t top = r0[x0 * pitch] * (65536u - fx) + r0[x1 * pitch] * fx;
            uint64_t bot = r1[x0 * pitch] * (65536u - fx) + r1[x1 * pitch] * fx;
            uint64_t v = top * (65536u - fy) + bot * fy;
            dst[y * dstride + x * pitch] = (uint8_t)((v + (1ull << 31)) >> 32);
        }
    }
}

int32_t hb_resize_run(hbDNNTensor *output, const hbDNNTensor *input, const hbDNNRoi *roi)
{
    hb_resize_img in, out;
    int32_t rc;
    if ((rc = hb_resize_image_arg(input, "hbDNNResize", "input", &in)) != 0 ||
        (rc = hb_resize_image_arg(output, "hbDNNResize", "output", &out)) != 0)
        return rc;
    if (in.phy < out.phy + out.bytes && out.phy < in.phy + in.bytes)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNResize: the input and output buffers overlap");
    if (in.nv12 != out.nv12)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNResize: input and output must have the same image type");
    hbDNNRoi r = roi ? *roi : (hbDNNRoi){0, 0, (int32_t)in.w - 1, (int32_t)in.h - 1};
    if (r.left < 0 || r.top < 0 || r.right < r.left || r.bottom < r.top || r.right >= in.w ||
        r.bottom >= in.h)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNResize: roi (left %d, top %d, right %d, bottom %d) is not inside "
                           "the %lld x %lld input",
                           r.left, r.top, r.right, r.bottom, (long long)in.w, (long long)in.h);
    if (in.nv12 && (r.left % 2 || r.top % 2 || r.right % 2 == 0 || r.bottom % 2 == 0))
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNResize: an NV12 roi needs even left/top and odd right/bottom, "
                           "not (%d, %d, %d, %d)",
                           r.left, r.top, r.right, r.bottom);
    if (hb_mem_written_without_clean(in.phy, in.bytes) == 1)
        hb_dnn_log(HB_LOG_WARN, "hbDNNResize: the CPU wrote the input without "
                                "hbSysFlushMem(HB_SYS_MEM_CACHE_CLEAN); the resize reads the old "
                                "contents");
    hb_resize_planes(in.dev, in.w, in.h, in.nv12, &r, out.dev, out.w, out.h);
    hb_mem_device_wrote(out.phy, out.bytes);
    return 0;
}

void hb_resize_planes(const uint8_t *src, int64_t w, int64_t h, int nv12, const hbDNNRoi *r,
                      uint8_t *dst, int64_t dw, int64_t dh)
{
    const int64_t rw = r->right - r->left + 1, rh = r->bottom - r->top + 1;
    plane(src + r->top * w + r->left, w, rw, rh, dst, dw, dw, dh, 1);
    if (nv12) {
        const uint8_t *uv = src + h * w + (r->top / 2) * w + r->left;
        uint8_t *ouv = dst + dh * dw;
        for (int k = 0; k < 2; k++) /* U, then V */
            plane(uv + k, w, rw / 2, rh / 2, ouv + k, dw, dw / 2, dh / 2, 2);
    }
}

uint64_t hb_resize_step(int64_t src, int64_t dst)
{
    return step_of(src, dst);
}
