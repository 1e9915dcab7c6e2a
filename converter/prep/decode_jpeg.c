/* JPEG decoding with libjpeg-turbo. libjpeg reports fatal errors through error_exit, which must
 * not return: we longjmp back to the decoder with the formatted message. Its warnings (corrupt or
 * truncated entropy data, which it would otherwise paper over with grey) are treated as errors. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#include "decode.h"
#include "prep_err.h"

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first member: libjpeg hands us this pointer */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jpeg_ctx;

static void on_error(j_common_ptr cinfo)
{
    jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, ctx->msg);
    longjmp(ctx->jump, 1);
}

/* msg_level -1 is a warning (recoverable corruption); >= 0 are trace messages. */
static void on_message(j_common_ptr cinfo, int msg_level)
{
    if (msg_level < 0)
        on_error(cinfo);
}

hbg_status hbc_decode_jpeg(const void *buf, size_t len, const char *label, hbc_image *out,
                           char *err, size_t errlen)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx ctx;
    hbg_status st = HBG_OK;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&ctx, 0, sizeof ctx);
    memset(out, 0, sizeof *out);
    cinfo.err = jpeg_std_error(&ctx.pub);
    ctx.pub.error_exit = on_error;
    ctx.pub.emit_message = on_message;
    if (setjmp(ctx.jump)) {
        /* Only out (reached through its pointer) and ctx were changed since setjmp. */
        hbc_image_free(out);
        jpeg_destroy_decompress(&cinfo);
        return hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: JPEG does not decode: %s", label,
                             ctx.msg);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (const unsigned char *)buf, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    int c = 3;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        c = 1;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;
        break;
    default:
        st = hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED,
                           "%s: JPEG colour space %d (CMYK/YCCK) is not supported; convert the "
                           "image to RGB",
                           label, (int)cinfo.jpeg_color_space);
        goto out;
    }
    if (cinfo.image_width < 1 || cinfo.image_height < 1 || cinfo.image_width > HBC_IMAGE_MAX_SIDE ||
        cinfo.image_height > HBC_IMAGE_MAX_SIDE ||
        (uint64_t)cinfo.image_width * cinfo.image_height > HBC_IMAGE_MAX_PIXELS) {
        st = hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED, "%s: JPEG of %ux%u pixels is too large",
                           label, (unsigned)cinfo.image_width, (unsigned)cinfo.image_height);
        goto out;
    }
    /* The accurate integer IDCT and smooth (fancy) chroma upsampling: libjpeg's defaults. */
    cinfo.dct_method = JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    if ((int)cinfo.output_components != c) {
        st = hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: JPEG gives %d components, expected %d",
                           label, (int)cinfo.output_components, c);
        goto out;
    }
    st = hbc_image_alloc(out, (int)cinfo.output_width, (int)cinfo.output_height, c, err, errlen);
    if (st != HBG_OK)
        goto out;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out->data + (size_t)cinfo.output_scanline * (size_t)out->w * (size_t)c;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            st = hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: JPEG ends early", label);
            goto out;
        }
    }
    jpeg_finish_decompress(&cinfo);
out:
    jpeg_destroy_decompress(&cinfo);
    if (st != HBG_OK)
        hbc_image_free(out);
    return st;
}
