/* Image decoding entry points: recognise the format by its magic bytes, read files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "prep_err.h"

/* Refuse files larger than this before reading them (bytes). */
#define HBC_IMAGE_MAX_FILE ((long)1 << 30)

hbg_status hbc_image_decode(const void *buf, size_t len, const char *label, hbc_image *out,
                            char *err, size_t errlen)
{
    const uint8_t *b = buf;
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(out, 0, sizeof *out);
    if (!label)
        label = "image";
    if (!b || len < 4)
        return hbc_prep_fail(err, errlen, HBG_E_FORMAT, "%s: too short to be an image (%zu bytes)",
                             label, len);
    if (b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return hbc_decode_jpeg(buf, len, label, out, err, errlen);
    if (len >= 8 && memcmp(b, png_magic, 8) == 0)
        return hbc_decode_png(buf, len, label, out, err, errlen);
    if (b[0] == 'B' && b[1] == 'M')
        return hbc_decode_bmp(buf, len, label, out, err, errlen);
    return hbc_prep_fail(err, errlen, HBG_E_FORMAT,
                         "%s: not a JPEG, PNG or BMP image (unknown leading bytes)", label);
}

hbg_status hbc_image_load(const char *path, hbc_image *out, char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    uint8_t *buf = NULL;
    long sz = 0;
    FILE *f = fopen(path, "rb");
    memset(out, 0, sizeof *out);
    if (!f) {
        st = hbc_prep_fail(err, errlen, HBG_E_IO, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = hbc_prep_fail(err, errlen, HBG_E_IO, "%s: cannot read its size", path);
        goto out;
    }
    if (sz > HBC_IMAGE_MAX_FILE) {
        st = hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED, "%s: %ld bytes, larger than %ld", path,
                           sz, HBC_IMAGE_MAX_FILE);
        goto out;
    }
    buf = malloc((size_t)sz + 1);
    if (!buf) {
        st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", path);
        goto out;
    }
    if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        st = hbc_prep_fail(err, errlen, HBG_E_IO, "%s: short read", path);
        goto out;
    }
    st = hbc_image_decode(buf, (size_t)sz, path, out, err, errlen);
out:
    if (f)
        fclose(f);
    free(buf);
    return st;
}
