/* PNG decoding with libpng's progressive-free classic API. Fatal errors longjmp back here with the
 * message libpng formatted; warnings (for example an unknown ancillary chunk) are ignored, as
 * libpng recovers from them by design. */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "decode.h"
#include "prep_err.h"

typedef struct png_src {
    const uint8_t *buf;
    size_t len, pos;
    char msg[256];
    png_bytep *rows; /* row pointers into the image, freed on every path */
} png_src;

static void on_read(png_structp png, png_bytep dst, size_t n)
{
    png_src *s = png_get_io_ptr(png);
    if (n > s->len - s->pos)
        png_error(png, "file ends early");
    memcpy(dst, s->buf + s->pos, n);
    s->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_src *s = png_get_error_ptr(png);
    snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "libpng error");
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

hbg_status hbc_decode_png(const void *buf, size_t len, const char *label, hbc_image *out, char *err,
                          size_t errlen)
{
    png_src src;
    png_structp png = NULL;
    png_infop info = NULL;
    hbg_status st = HBG_OK;
    memset(&src, 0, sizeof src);
    memset(out, 0, sizeof *out);
    src.buf = buf;
    src.len = len;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, on_error, on_warning);
    if (png)
        info = png_create_info_struct(png);
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        return hbc_prep_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", label);
    }
    if (setjmp(png_jmpbuf(png))) {
        free(src.rows);
        hbc_image_free(out);
        png_destroy_read_struct(&png, &info, NULL);
        return hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: PNG does not decode: %s", label,
                             src.msg);
    }
    png_set_read_fn(png, &src, on_read);
    png_set_user_limits(png, HBC_IMAGE_MAX_SIDE, HBC_IMAGE_MAX_SIDE);
    png_set_chunk_malloc_max(png, (png_alloc_size_t)64 << 20);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int ct = png_get_color_type(png, info);
    if ((uint64_t)w * h > HBC_IMAGE_MAX_PIXELS) {
        st = hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED, "%s: PNG of %ux%u pixels is too large",
                           label, (unsigned)w, (unsigned)h);
        goto out;
    }
    /* To 8-bit gray or RGB: expand palette / low-bit gray / tRNS, scale 16-bit with rounding,
     * drop alpha. */
    png_set_expand(png);
    png_set_scale_16(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int c = png_get_channels(png, info);
    int c_want = (ct & PNG_COLOR_MASK_COLOR) ? 3 : 1;
    if (c != c_want || png_get_bit_depth(png, info) != 8) {
        st = hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: PNG converts to %d channels of %d bits",
                           label, c, (int)png_get_bit_depth(png, info));
        goto out;
    }
    st = hbc_image_alloc(out, (int)w, (int)h, c, err, errlen);
    if (st != HBG_OK)
        goto out;
    src.rows = malloc(sizeof(png_bytep) * h);
    if (!src.rows) {
        st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", label);
        goto out;
    }
    for (png_uint_32 r = 0; r < h; r++)
        src.rows[r] = out->data + (size_t)r * w * (size_t)c;
    png_read_image(png, src.rows);
    png_read_end(png, NULL);
out:
    free(src.rows);
    png_destroy_read_struct(&png, &info, NULL);
    if (st != HBG_OK)
        hbc_image_free(out);
    return st;
}
