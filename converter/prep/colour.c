/* BT.601 colour conversions: RGB -> YUV444 / gray / NV12 in exact integer thousandths, NV12 ->
 * YUV444, and YUV444 -> RGB through the float affine map; coefficients and rounding as in
 * hbc/prep.h. */
#include <math.h>
#include <string.h>

#include "hbc/prep.h"
#include "prep_err.h"

/* Forward matrix rows in thousandths (Y, U, V from R, G, B) and the offsets added to each. */
static const int fwd[2][3][3] = {
    [HBC_YUV_FULL] = {{299, 587, 114}, {-169, -331, 500}, {500, -419, -81}},
    [HBC_YUV_VIDEO] = {{257, 504, 98}, {-148, -291, 439}, {439, -368, -71}},
};
static const int fwd_off[2][3] = {[HBC_YUV_FULL] = {0, 128, 128}, [HBC_YUV_VIDEO] = {16, 128, 128}};
/* floor(num / den) for den > 0 and any sign of num. */
static int64_t floor_div(int64_t num, int64_t den)
{
    int64_t q = num / den;
    return (num % den != 0 && num < 0) ? q - 1 : q;
}

/* round_half_up(num / den) clamped to a byte. */
static uint8_t to_byte(int64_t num, int64_t den)
{
    int64_t v = floor_div(2 * num + den, 2 * den);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static hbg_status check3(const hbc_image *img, int need_even, const char *what, char *err,
                         size_t errlen)
{
    if (!img || !img->data || img->c != 3 || img->w < 1 || img->h < 1)
        return hbc_prep_fail(err, errlen, HBG_E_INVALID, "%s: needs a 3-channel image", what);
    if (need_even && (img->w % 2 || img->h % 2))
        return hbc_prep_fail(err, errlen, HBG_E_INVALID,
                             "%s: NV12 needs even width and height, got %dx%d", what, img->w,
                             img->h);
    return HBG_OK;
}

static int space_ok(hbc_yuv_space sp)
{
    return sp == HBC_YUV_FULL || sp == HBC_YUV_VIDEO;
}

hbg_status hbc_image_rgb_to_yuv444(const hbc_image *rgb, hbc_yuv_space sp, hbc_image *dst,
                                   char *err, size_t errlen)
{
    memset(dst, 0, sizeof *dst);
    hbg_status st = check3(rgb, 0, "rgb_to_yuv444", err, errlen);
    if (st == HBG_OK && !space_ok(sp))
        st = hbc_prep_fail(err, errlen, HBG_E_INVALID, "rgb_to_yuv444: unknown space %d", sp);
    if (st == HBG_OK)
        st = hbc_image_alloc(dst, rgb->w, rgb->h, 3, err, errlen);
    if (st != HBG_OK)
        return st;
    const size_t n = (size_t)rgb->w * (size_t)rgb->h;
    for (size_t p = 0; p < n; p++) {
        const uint8_t *s = rgb->data + 3 * p;
        for (int k = 0; k < 3; k++) {
            int64_t acc = (int64_t)fwd[sp][k][0] * s[0] + (int64_t)fwd[sp][k][1] * s[1] +
                          (int64_t)fwd[sp][k][2] * s[2] + 1000 * (int64_t)fwd_off[sp][k];
            dst->data[3 * p + (size_t)k] = to_byte(acc, 1000);
        }
    }
    return HBG_OK;
}

hbg_status hbc_image_yuv444_to_rgb(const hbc_image *yuv, hbc_yuv_space sp, hbc_image *dst,
                                   char *err, size_t errlen)
{
    double m[9], off[3];
    memset(dst, 0, sizeof *dst);
    hbg_status st = check3(yuv, 0, "yuv444_to_rgb", err, errlen);
    if (st == HBG_OK && !space_ok(sp))
        st = hbc_prep_fail(err, errlen, HBG_E_INVALID, "yuv444_to_rgb: unknown space %d", sp);
    if (st == HBG_OK)
        st = hbc_image_alloc(dst, yuv->w, yuv->h, 3, err, errlen);
    if (st != HBG_OK)
        return st;
    hbc_yuv_to_rgb_affine(sp, m, off);
    const size_t n = (size_t)yuv->w * (size_t)yuv->h;
    for (size_t p = 0; p < n; p++) {
        const uint8_t *s = yuv->data + 3 * p;
        for (int k = 0; k < 3; k++) {
            double v = m[3 * k] * s[0] + m[3 * k + 1] * s[1] + m[3 * k + 2] * s[2] + off[k];
            v = floor(v + 0.5);
            dst->data[3 * p + (size_t)k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    return HBG_OK;
}

hbg_status hbc_image_rgb_to_gray(const hbc_image *rgb, hbc_image *dst, char *err, size_t errlen)
{
    memset(dst, 0, sizeof *dst);
    hbg_status st = check3(rgb, 0, "rgb_to_gray", err, errlen);
    if (st == HBG_OK)
        st = hbc_image_alloc(dst, rgb->w, rgb->h, 1, err, errlen);
    if (st != HBG_OK)
        return st;
    const size_t n = (size_t)rgb->w * (size_t)rgb->h;
    for (size_t p = 0; p < n; p++) {
        const uint8_t *s = rgb->data + 3 * p;
        dst->data[p] = to_byte((int64_t)299 * s[0] + 587 * s[1] + 114 * s[2], 1000);
    }
    return HBG_OK;
}

size_t hbc_nv12_size(int w, int h)
{
    return (size_t)w * (size_t)h * 3 / 2;
}

hbg_status hbc_image_rgb_to_nv12(const hbc_image *rgb, hbc_yuv_space sp, uint8_t *nv12, char *err,
                                 size_t errlen)
{
    hbg_status st = check3(rgb, 1, "rgb_to_nv12", err, errlen);
    if (st == HBG_OK && !space_ok(sp))
        st = hbc_prep_fail(err, errlen, HBG_E_INVALID, "rgb_to_nv12: unknown space %d", sp);
    if (st != HBG_OK)
        return st;
    const int w = rgb->w, h = rgb->h;
    for (size_t p = 0; p < (size_t)w * (size_t)h; p++) {
        const uint8_t *s = rgb->data + 3 * p;
        nv12[p] = to_byte((int64_t)fwd[sp][0][0] * s[0] + (int64_t)fwd[sp][0][1] * s[1] +
                              (int64_t)fwd[sp][0][2] * s[2] + 1000 * (int64_t)fwd_off[sp][0],
                          1000);
    }
    uint8_t *uv = nv12 + (size_t)w * (size_t)h;
    for (int by = 0; by < h / 2; by++)
        for (int bx = 0; bx < w / 2; bx++) {
            int64_t sum[3] = {0, 0, 0}; /* R, G, B summed over the 2x2 block */
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    const uint8_t *s =
                        rgb->data + 3 * ((size_t)(2 * by + dy) * (size_t)w + (size_t)(2 * bx + dx));
                    for (int k = 0; k < 3; k++)
                        sum[k] += s[k];
                }
            uint8_t *o = uv + (size_t)by * (size_t)w + 2 * (size_t)bx;
            for (int k = 1; k < 3; k++)
                o[k - 1] = to_byte(fwd[sp][k][0] * sum[0] + fwd[sp][k][1] * sum[1] +
                                       fwd[sp][k][2] * sum[2] + 4000 * (int64_t)fwd_off[sp][k],
                                   4000);
        }
    return HBG_OK;
}

hbg_status hbc_image_yuv444_to_nv12(const hbc_image *yuv, uint8_t *nv12, char *err, size_t errlen)
{
    hbg_status st = check3(yuv, 1, "yuv444_to_nv12", err, errlen);
    if (st != HBG_OK)
        return st;
    const int w = yuv->w, h = yuv->h;
    for (size_t p = 0; p < (size_t)w * (size_t)h; p++)
        nv12[p] = yuv->data[3 * p];
    uint8_t *uv = nv12 + (size_t)w * (size_t)h;
    for (int by = 0; by < h / 2; by++)
        for (int bx = 0; bx < w / 2; bx++)
            for (int k = 1; k < 3; k++) {
                int64_t sum = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        sum += yuv->data[3 * ((size_t)(2 * by + dy) * (size_t)w +
                                              (size_t)(2 * bx + dx)) +
                                         (size_t)k];
                uv[(size_t)by * (size_t)w + 2 * (size_t)bx + (size_t)(k - 1)] = to_byte(sum, 4);
            }
    return HBG_OK;
}

hbg_status hbc_nv12_to_yuv444(const uint8_t *nv12, int w, int h, hbc_image *dst, char *err,
                              size_t errlen)
{
    memset(dst, 0, sizeof *dst);
    if (!nv12 || w % 2 || h % 2)
        return hbc_prep_fail(err, errlen, HBG_E_INVALID,
                             "nv12_to_yuv444: NV12 needs even width and height, got %dx%d", w, h);
    hbg_status st = hbc_image_alloc(dst, w, h, 3, err, errlen);
    if (st != HBG_OK)
        return st;
    const uint8_t *uv = nv12 + (size_t)w * (size_t)h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *o = dst->data + 3 * ((size_t)y * (size_t)w + (size_t)x);
            const uint8_t *c = uv + (size_t)(y / 2) * (size_t)w + 2 * (size_t)(x / 2);
            o[0] = nv12[(size_t)y * (size_t)w + (size_t)x];
            o[1] = c[0];
            o[2] = c[1];
        }
    return HBG_OK;
}

void hbc_yuv_to_rgb_affine(hbc_yuv_space sp, double m[9], double off[3])
{
    /* The exact inverse of Y = .299R + .587G + .114B, U' = (B - Y) / 1.772, V' = (R - Y) / 1.402
     * (the same map as the preprocess node, docs/preprocess-node.md); video range first expands
     * Y by 255/219 around 16 and U', V' by 255/224. */
    const double kr = 0.299, kg = 0.587, kb = 0.114;
    const double full[9] = {1, 0, 1.402, 1, -kb * 1.772 / kg, -kr * 1.402 / kg, 1, 1.772, 0};
    const int video = sp == HBC_YUV_VIDEO;
    const double sy = video ? 255.0 / 219.0 : 1.0, sc = video ? 255.0 / 224.0 : 1.0;
    const double y0 = video ? 16.0 : 0.0;
    for (int r = 0; r < 3; r++) {
        m[3 * r] = full[3 * r] * sy;
        m[3 * r + 1] = full[3 * r + 1] * sc;
        m[3 * r + 2] = full[3 * r + 2] * sc;
        off[r] = -m[3 * r] * y0 - (m[3 * r + 1] + m[3 * r + 2]) * 128.0;
    }
}
