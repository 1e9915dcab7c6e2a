/* hbc_image allocation, the module's message helper, and the geometric transformers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/prep.h"
#include "prep_err.h"

hbg_status hbc_prep_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

hbg_status hbc_image_alloc(hbc_image *img, int w, int h, int c, char *err, size_t errlen)
{
    memset(img, 0, sizeof *img);
    if (w < 1 || h < 1 || w > HBC_IMAGE_MAX_SIDE || h > HBC_IMAGE_MAX_SIDE ||
        (int64_t)w * h > HBC_IMAGE_MAX_PIXELS || (c != 1 && c != 3))
        return hbc_prep_fail(err, errlen, HBG_E_INVALID,
                             "image %dx%dx%d: sides must be 1..%d, at most %d pixels, 1 or 3 "
                             "channels",
                             w, h, c, HBC_IMAGE_MAX_SIDE, HBC_IMAGE_MAX_PIXELS);
    img->data = calloc((size_t)w * (size_t)h * (size_t)c, 1);
    if (!img->data)
        return hbc_prep_fail(err, errlen, HBG_E_NOMEM, "image %dx%dx%d: out of memory", w, h, c);
    img->w = w;
    img->h = h;
    img->c = c;
    return HBG_OK;
}

void hbc_image_free(hbc_image *img)
{
    if (!img)
        return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

/* A valid source image: non-NULL, pixels present, sides and channels in range. */
static hbg_status check_src(const hbc_image *src, const char *what, char *err, size_t errlen)
{
    if (!src || !src->data || src->w < 1 || src->h < 1 || (src->c != 1 && src->c != 3))
        return hbc_prep_fail(err, errlen, HBG_E_INVALID, "%s: empty or malformed source image",
                             what);
    return HBG_OK;
}

/* Per destination index along one axis of size d from a source axis of size s: the left source
 * index and the 11-bit weight of the right neighbour (header comment of hbc_image_resize). */
static void resize_axis(int s, int d, int *i0, int *i1, int *f)
{
    for (int i = 0; i < d; i++) {
        int64_t num = (int64_t)(2 * i + 1) * s - d; /* 2D * source coordinate */
        int64_t den = 2 * (int64_t)d;
        int64_t lo = 0, fr = 0;
        if (num > 0) {
            lo = num / den;
            fr = ((num % den) * 2048 + d) / den; /* round half up: (r * 2048 + den / 2) / den */
            if (fr == 2048) {
                lo++;
                fr = 0;
            }
        }
        if (lo > s - 1) {
            lo = s - 1;
            fr = 0;
        }
        i0[i] = (int)lo;
        i1[i] = (int)(lo + 1 < s ? lo + 1 : s - 1);
        f[i] = (int)fr;
    }
}

hbg_status hbc_image_resize(const hbc_image *src, int dw, int dh, hbc_image *dst, char *err,
                            size_t errlen)
{
    int *x0 = NULL, *x1 = NULL, *fx = NULL, *y0 = NULL, *y1 = NULL, *fy = NULL;
    hbg_status st = check_src(src, "resize", err, errlen);
    if (st != HBG_OK) {
        memset(dst, 0, sizeof *dst);
        return st;
    }
    st = hbc_image_alloc(dst, dw, dh, src->c, err, errlen);
    if (st != HBG_OK)
        return st;
    x0 = malloc(sizeof(int) * (size_t)dw * 3);
    y0 = malloc(sizeof(int) * (size_t)dh * 3);
    if (!x0 || !y0) {
        st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "resize: out of memory");
        goto out;
    }
    x1 = x0 + dw;
    fx = x1 + dw;
    y1 = y0 + dh;
    fy = y1 + dh;
    resize_axis(src->w, dw, x0, x1, fx);
    resize_axis(src->h, dh, y0, y1, fy);
    const int c = src->c;
    for (int y = 0; y < dh; y++) {
        const uint8_t *r0 = src->data + (size_t)y0[y] * (size_t)src->w * (size_t)c;
        const uint8_t *r1 = src->data + (size_t)y1[y] * (size_t)src->w * (size_t)c;
        uint8_t *o = dst->data + (size_t)y * (size_t)dw * (size_t)c;
        const int64_t wy1 = fy[y], wy0 = 2048 - wy1;
        for (int x = 0; x < dw; x++) {
            const int64_t wx1 = fx[x], wx0 = 2048 - wx1;
            const size_t a = (size_t)x0[x] * (size_t)c, b = (size_t)x1[x] * (size_t)c;
            for (int k = 0; k < c; k++) {
                int64_t top = wx0 * r0[a + (size_t)k] + wx1 * r0[b + (size_t)k];
                int64_t bot = wx0 * r1[a + (size_t)k] + wx1 * r1[b + (size_t)k];
                o[(size_t)x * (size_t)c + (size_t)k] =
                    (uint8_t)((wy0 * top + wy1 * bot + ((int64_t)1 << 21)) >> 22);
            }
        }
    }
out:
    free(x0);
    free(y0);
    if (st != HBG_OK)
        hbc_image_free(dst);
    return st;
}

hbg_status hbc_image_resize_short(const hbc_image *src, int short_side, hbc_image *dst, char *err,
                                  size_t errlen)
{
    hbg_status st = check_src(src, "resize_short", err, errlen);
    if (st != HBG_OK || short_side < 1 || short_side > HBC_IMAGE_MAX_SIDE) {
        memset(dst, 0, sizeof *dst);
        return st != HBG_OK ? st
                            : hbc_prep_fail(err, errlen, HBG_E_INVALID,
                                            "resize_short: short side %d out of 1..%d", short_side,
                                            HBC_IMAGE_MAX_SIDE);
    }
    int64_t s = src->w < src->h ? src->w : src->h, l = src->w < src->h ? src->h : src->w;
    int64_t nl = (2 * l * short_side + s) / (2 * s); /* round half up of l * short_side / s */
    if (nl > HBC_IMAGE_MAX_SIDE) {
        memset(dst, 0, sizeof *dst);
        return hbc_prep_fail(err, errlen, HBG_E_INVALID,
                             "resize_short: long side would be %lld pixels", (long long)nl);
    }
    return src->w < src->h ? hbc_image_resize(src, short_side, (int)nl, dst, err, errlen)
                           : hbc_image_resize(src, (int)nl, short_side, dst, err, errlen);
}

hbg_status hbc_image_crop(const hbc_image *src, int x, int y, int w, int h, hbc_image *dst,
                          char *err, size_t errlen)
{
    hbg_status st = check_src(src, "crop", err, errlen);
    if (st == HBG_OK && (x < 0 || y < 0 || w < 1 || h < 1 || x > src->w - w || y > src->h - h))
        st = hbc_prep_fail(err, errlen, HBG_E_INVALID,
                           "crop: window %dx%d at (%d, %d) is not inside the %dx%d image", w, h, x,
                           y, src->w, src->h);
    if (st != HBG_OK) {
        memset(dst, 0, sizeof *dst);
        return st;
    }
    st = hbc_image_alloc(dst, w, h, src->c, err, errlen);
    if (st != HBG_OK)
        return st;
    const size_t row = (size_t)w * (size_t)src->c;
    for (int r = 0; r < h; r++)
        memcpy(dst->data + (size_t)r * row,
               src->data + ((size_t)(y + r) * (size_t)src->w + (size_t)x) * (size_t)src->c, row);
    return HBG_OK;
}

hbg_status hbc_image_center_crop(const hbc_image *src, int w, int h, hbc_image *dst, char *err,
                                 size_t errlen)
{
    hbg_status st = check_src(src, "center_crop", err, errlen);
    if (st != HBG_OK) {
        memset(dst, 0, sizeof *dst);
        return st;
    }
    return hbc_image_crop(src, (src->w - w) / 2, (src->h - h) / 2, w, h, dst, err, errlen);
}

hbg_status hbc_image_pad(const hbc_image *src, int top, int bottom, int left, int right,
                         uint8_t value, hbc_image *dst, char *err, size_t errlen)
{
    hbg_status st = check_src(src, "pad", err, errlen);
    if (st == HBG_OK &&
        (top < 0 || bottom < 0 || left < 0 || right < 0 || top > HBC_IMAGE_MAX_SIDE ||
         bottom > HBC_IMAGE_MAX_SIDE || left > HBC_IMAGE_MAX_SIDE || right > HBC_IMAGE_MAX_SIDE))
        st = hbc_prep_fail(err, errlen, HBG_E_INVALID, "pad: borders %d/%d/%d/%d must be 0..%d",
                           top, bottom, left, right, HBC_IMAGE_MAX_SIDE);
    if (st != HBG_OK) {
        memset(dst, 0, sizeof *dst);
        return st;
    }
    st = hbc_image_alloc(dst, src->w + left + right, src->h + top + bottom, src->c, err, errlen);
    if (st != HBG_OK)
        return st;
    memset(dst->data, value, (size_t)dst->w * (size_t)dst->h * (size_t)dst->c);
    const size_t row = (size_t)src->w * (size_t)src->c;
    for (int r = 0; r < src->h; r++)
        memcpy(dst->data + ((size_t)(r + top) * (size_t)dst->w + (size_t)left) * (size_t)src->c,
               src->data + (size_t)r * row, row);
    return HBG_OK;
}

void hbc_image_to_chw(const hbc_image *src, uint8_t *chw)
{
    const size_t hw = (size_t)src->w * (size_t)src->h;
    for (size_t p = 0; p < hw; p++)
        for (int k = 0; k < src->c; k++)
            chw[(size_t)k * hw + p] = src->data[p * (size_t)src->c + (size_t)k];
}

hbg_status hbc_image_from_chw(const uint8_t *chw, int w, int h, int c, hbc_image *dst, char *err,
                              size_t errlen)
{
    hbg_status st = hbc_image_alloc(dst, w, h, c, err, errlen);
    if (st != HBG_OK)
        return st;
    const size_t hw = (size_t)w * (size_t)h;
    for (size_t p = 0; p < hw; p++)
        for (int k = 0; k < c; k++)
            dst->data[p * (size_t)c + (size_t)k] = chw[(size_t)k * hw + p];
    return HBG_OK;
}

void hbc_image_swap_rb(hbc_image *img)
{
    if (!img || !img->data || img->c != 3)
        return;
    const size_t n = (size_t)img->w * (size_t)img->h;
    for (size_t p = 0; p < n; p++) {
        uint8_t t = img->data[3 * p];
        img->data[3 * p] = img->data[3 * p + 2];
        img->data[3 * p + 2] = t;
    }
}
