/* Our BMP reader: Windows bitmaps with a BITMAPINFOHEADER or a later (larger) header; 1/4/8-bit
 * palette, 24-bit and 32-bit pixels, bottom-up or top-down rows. Every offset and size is checked
 * against the buffer before use. */
#include <string.h>

#include "decode.h"
#include "prep_err.h"

enum { BMP_FILE_HDR = 14, BMP_RGB = 0, BMP_BITFIELDS = 3 };

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

hbg_status hbc_decode_bmp(const void *buf, size_t len, const char *label, hbc_image *out, char *err,
                          size_t errlen)
{
    const uint8_t *b = buf;
    memset(out, 0, sizeof *out);
    if (len < BMP_FILE_HDR + 40)
        return hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: BMP truncated in its header", label);
    uint32_t data_off = rd32(b + 10), hdr = rd32(b + 14);
    if (hdr < 40 || hdr > 124 || BMP_FILE_HDR + (size_t)hdr > len)
        return hbc_prep_fail(err, errlen, hdr == 12 ? HBG_E_UNSUPPORTED : HBG_E_FORMAT,
                             "%s: BMP info header of %u bytes (supported: 40..124)", label,
                             (unsigned)hdr);
    const uint8_t *ih = b + BMP_FILE_HDR;
    int32_t w = (int32_t)rd32(ih + 4), hs = (int32_t)rd32(ih + 8);
    uint32_t planes = rd16(ih + 12), bpp = rd16(ih + 14), comp = rd32(ih + 16);
    uint32_t n_colors = rd32(ih + 32);
    int top_down = hs < 0;
    int64_t h = top_down ? -(int64_t)hs : hs;
    if (planes != 1 || w < 1 || h < 1 || w > HBC_IMAGE_MAX_SIDE || h > HBC_IMAGE_MAX_SIDE ||
        (int64_t)w * h > HBC_IMAGE_MAX_PIXELS)
        return hbc_prep_fail(err, errlen, HBG_E_FORMAT,
                             "%s: BMP of %dx%lld pixels, %u planes is not acceptable", label,
                             (int)w, (long long)h, (unsigned)planes);
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24 && bpp != 32)
        return hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED,
                             "%s: BMP with %u bits per pixel is not supported (1/4/8/24/32)", label,
                             (unsigned)bpp);
    int shift[3] = {16, 8, 0}; /* bit positions of R, G, B in a 32-bit pixel */
    if (comp == BMP_BITFIELDS && bpp == 32) {
        /* Masks follow a 40-byte header, or sit inside the V2+ header at the same offset. */
        if (BMP_FILE_HDR + 40 + 12 > len)
            return hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: BMP truncated in its masks",
                                 label);
        for (int k = 0; k < 3; k++) {
            uint32_t m = rd32(ih + 40 + 4 * k);
            int s = 0;
            while (s < 32 && m != (uint32_t)0xff << s)
                s += 8;
            if (s >= 32)
                return hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED,
                                     "%s: BMP bit-field mask 0x%08x is not a byte mask", label,
                                     (unsigned)m);
            shift[k] = s;
        }
    } else if (comp != BMP_RGB) {
        return hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED,
                             "%s: BMP compression %u (RLE/JPEG/PNG) is not supported", label,
                             (unsigned)comp);
    }
    const uint8_t *pal = NULL;
    uint32_t pal_n = 0;
    if (bpp <= 8) {
        pal_n = n_colors ? n_colors : (uint32_t)1 << bpp;
        if (pal_n > ((uint32_t)1 << bpp))
            return hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: BMP palette of %u colours", label,
                                 (unsigned)pal_n);
        size_t pal_off = BMP_FILE_HDR + (size_t)hdr; /* palettes only with BI_RGB */
        if (pal_off + 4 * (size_t)pal_n > len)
            return hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: BMP truncated in its palette",
                                 label);
        pal = b + pal_off;
    }
    const size_t stride = (((size_t)w * bpp + 31) / 32) * 4;
    if (data_off > len || (size_t)h * stride > len - data_off)
        return hbc_prep_fail(err, errlen, HBG_E_FORMAT,
                             "%s: BMP pixel data (%zu bytes at offset %u) runs past the end of "
                             "the %zu-byte file",
                             label, (size_t)h * stride, (unsigned)data_off, len);
    hbg_status st = hbc_image_alloc(out, (int)w, (int)h, 3, err, errlen);
    for (int64_t y = 0; st == HBG_OK && y < h; y++) {
        const uint8_t *row = b + data_off + (size_t)(top_down ? y : h - 1 - y) * stride;
        uint8_t *o = out->data + (size_t)y * (size_t)w * 3;
        for (int32_t x = 0; x < w; x++, o += 3) {
            if (bpp <= 8) {
                uint32_t bit = (uint32_t)x * bpp;
                uint32_t idx = (row[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
                if (idx >= pal_n) {
                    st = hbc_prep_fail(err, errlen, HBG_E_FORMAT,
                                       "%s: BMP pixel (%d, %lld) uses colour %u of a %u-colour "
                                       "palette",
                                       label, (int)x, (long long)y, (unsigned)idx, (unsigned)pal_n);
                    goto out;
                }
                o[0] = pal[4 * idx + 2];
                o[1] = pal[4 * idx + 1];
                o[2] = pal[4 * idx];
            } else if (bpp == 24) {
                o[0] = row[3 * (size_t)x + 2];
                o[1] = row[3 * (size_t)x + 1];
                o[2] = row[3 * (size_t)x];
            } else {
                uint32_t px = rd32(row + 4 * (size_t)x);
                for (int k = 0; k < 3; k++)
                    o[k] = (uint8_t)(px >> shift[k]);
            }
        }
    }
out:
    if (st != HBG_OK)
        hbc_image_free(out);
    return st;
}
