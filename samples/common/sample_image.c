/* Image helpers of the samples (sample_image.h). */
#include "sample_image.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

int sample_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    int rc = -1;
    *buf = NULL;
    if (!f)
        return fail(err, errsz, "%s: cannot open", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fail(err, errsz, "%s: cannot read its size", path);
        goto out;
    }
    if (!(*buf = malloc((size_t)n + 1))) {
        fail(err, errsz, "%s: out of memory", path);
        goto out;
    }
    if (fread(*buf, 1, (size_t)n, f) != (size_t)n) {
        fail(err, errsz, "%s: read error", path);
        free(*buf);
        *buf = NULL;
        goto out;
    }
    *len = (size_t)n;
    rc = 0;
out:
    fclose(f);
    return rc;
}

/* Next header integer of a PNM file at *p (skipping blanks and # comments); -1 if none. */
static long pnm_int(const uint8_t *b, size_t n, size_t *p)
{
    long v = -1;
    while (*p < n) {
        if (b[*p] == '#') {
            while (*p < n && b[*p] != '\n')
                (*p)++;
        } else if (b[*p] == ' ' || b[*p] == '\t' || b[*p] == '\r' || b[*p] == '\n') {
            (*p)++;
        } else {
            break;
        }
    }
    while (*p < n && b[*p] >= '0' && b[*p] <= '9' && v < 1000000)
        v = (v < 0 ? 0 : v * 10) + (b[(*p)++] - '0');
    return v;
}

int sample_read_pnm(const char *path, sample_image *img, char *err, size_t errsz)
{
    uint8_t *b = NULL;
    size_t n = 0, p = 2;
    int rc = -1;
    memset(img, 0, sizeof *img);
    if (sample_read_file(path, &b, &n, err, errsz) != 0)
        return -1;
    if (n < 2 || b[0] != 'P' || (b[1] != '6' && b[1] != '5')) {
        fail(err, errsz, "%s: not a binary PPM (P6) or PGM (P5) file", path);
        goto out;
    }
    int c = b[1] == '6' ? 3 : 1;
    long w = pnm_int(b, n, &p), h = pnm_int(b, n, &p), maxval = pnm_int(b, n, &p);
    if (w < 1 || h < 1 || w > 32768 || h > 32768 || maxval != 255 || p >= n) {
        fail(err, errsz, "%s: bad header (width %ld, height %ld, maxval %ld; maxval must be 255)",
             path, w, h, maxval);
        goto out;
    }
    p++; /* the single blank after maxval */
    size_t need = (size_t)w * (size_t)h * (size_t)c;
    if (n - p < need) {
        fail(err, errsz, "%s: truncated: %zu pixel bytes, %zu needed", path, n - p, need);
        goto out;
    }
    if (!(img->data = malloc(need))) {
        fail(err, errsz, "%s: out of memory", path);
        goto out;
    }
    memcpy(img->data, b + p, need);
    img->w = (int)w;
    img->h = (int)h;
    img->c = c;
    rc = 0;
out:
    free(b);
    return rc;
}

int sample_resize(const sample_image *src, int w, int h, sample_image *dst, char *err, size_t errsz)
{
    memset(dst, 0, sizeof *dst);
    if (w < 1 || h < 1 || !(dst->data = malloc((size_t)w * (size_t)h * (size_t)src->c)))
        return fail(err, errsz, "resize to %dx%d: out of memory", w, h);
    dst->w = w;
    dst->h = h;
    dst->c = src->c;
    for (int y = 0; y < h; y++) {
        double fy = (y + 0.5) * src->h / h - 0.5;
        fy = fy < 0 ? 0 : fy;
        int y0 = (int)fy, y1 = y0 + 1 < src->h ? y0 + 1 : src->h - 1;
        double ay = fy - y0;
        for (int x = 0; x < w; x++) {
            double fx = (x + 0.5) * src->w / w - 0.5;
            fx = fx < 0 ? 0 : fx;
            int x0 = (int)fx, x1 = x0 + 1 < src->w ? x0 + 1 : src->w - 1;
            double ax = fx - x0;
            for (int k = 0; k < src->c; k++) {
                const uint8_t *s = src->data;
                size_t c = (size_t)src->c, sw = (size_t)src->w;
                double v =
                    (1 - ay) * ((1 - ax) * s[((size_t)y0 * sw + (size_t)x0) * c + (size_t)k] +
                                ax * s[((size_t)y0 * sw + (size_t)x1) * c + (size_t)k]) +
                    ay * ((1 - ax) * s[((size_t)y1 * sw + (size_t)x0) * c + (size_t)k] +
                          ax * s[((size_t)y1 * sw + (size_t)x1) * c + (size_t)k]);
                int q = (int)(v + 0.5);
                dst->data[((size_t)y * (size_t)w + (size_t)x) * c + (size_t)k] =
                    (uint8_t)(q > 255 ? 255 : q);
            }
        }
    }
    return 0;
}

static int is_image_type(int32_t t)
{
    return t == HB_DNN_IMG_TYPE_Y || t == HB_DNN_IMG_TYPE_NV12 ||
           t == HB_DNN_IMG_TYPE_NV12_SEPARATE || t == HB_DNN_IMG_TYPE_YUV444 ||
           t == HB_DNN_IMG_TYPE_RGB || t == HB_DNN_IMG_TYPE_BGR;
}

int sample_input_geometry(const hbDNNTensorProperties *p, int *h, int *w, int *c, char *err,
                          size_t errsz)
{
    const int32_t *d = p->validShape.dimensionSize;
    if (!is_image_type(p->tensorType) || p->validShape.numDimensions != 4)
        return fail(err, errsz, "input is %s (%d-D), not an image input",
                    sample_type_name(p->tensorType), p->validShape.numDimensions);
    int nhwc = p->tensorLayout == HB_DNN_LAYOUT_NHWC;
    *h = nhwc ? d[1] : d[2];
    *w = nhwc ? d[2] : d[3];
    *c = nhwc ? d[3] : d[1];
    return 0;
}

size_t sample_input_bytes(const hbDNNTensorProperties *p)
{
    int h = 0, w = 0, c = 0;
    char err[8];
    if (sample_input_geometry(p, &h, &w, &c, err, sizeof err) != 0)
        return 0;
    if (p->tensorType == HB_DNN_IMG_TYPE_NV12 || p->tensorType == HB_DNN_IMG_TYPE_NV12_SEPARATE)
        return (size_t)h * (size_t)w * 3 / 2;
    return (size_t)h * (size_t)w * (size_t)c;
}

/* round_half_up(num / den) clamped to a byte (den > 0). */
static uint8_t to_byte(long num, long den)
{
    long t = 2 * num + den, q = t / (2 * den);
    if (t % (2 * den) != 0 && t < 0)
        q--; /* floor */
    return (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
}

/* BT.601 full range in thousandths: rows Y, U, V over R, G, B, and the offsets. */
static const long k_yuv[3][3] = {{299, 587, 114}, {-169, -331, 500}, {500, -419, -81}};
static const long k_off[3] = {0, 128, 128};

int sample_image_to_input(const sample_image *img, const hbDNNTensorProperties *p, uint8_t *out,
                          char *err, size_t errsz)
{
    int h = 0, w = 0, c = 0;
    if (sample_input_geometry(p, &h, &w, &c, err, errsz) != 0)
        return -1;
    if (img->w != w || img->h != h)
        return fail(err, errsz, "image is %dx%d, the input needs %dx%d", img->w, img->h, w, h);
    int32_t t = p->tensorType;
    size_t hw = (size_t)h * (size_t)w;
    int nhwc = p->tensorLayout == HB_DNN_LAYOUT_NHWC;
    for (size_t i = 0; i < hw; i++) {
        const uint8_t *s = img->data + i * (size_t)img->c;
        long rgb[3] = {s[0], s[img->c > 1 ? 1 : 0], s[img->c > 1 ? 2 : 0]};
        uint8_t v[3];
        if (t == HB_DNN_IMG_TYPE_RGB || t == HB_DNN_IMG_TYPE_BGR) {
            for (int k = 0; k < 3; k++)
                v[k] = (uint8_t)rgb[t == HB_DNN_IMG_TYPE_BGR ? 2 - k : k];
        } else if (img->c == 1) {
            v[0] = s[0]; /* gray: Y as given, neutral chroma */
            v[1] = v[2] = 128;
        } else {
            for (int k = 0; k < 3; k++)
                v[k] = to_byte(k_yuv[k][0] * rgb[0] + k_yuv[k][1] * rgb[1] + k_yuv[k][2] * rgb[2] +
                                   1000 * k_off[k],
                               1000);
        }
        if (t == HB_DNN_IMG_TYPE_NV12 || t == HB_DNN_IMG_TYPE_NV12_SEPARATE || c == 1)
            out[i] = v[0]; /* Y plane */
        else
            for (int k = 0; k < 3; k++)
                out[nhwc ? i * 3 + (size_t)k : (size_t)k * hw + i] = v[k];
    }
    if (t != HB_DNN_IMG_TYPE_NV12 && t != HB_DNN_IMG_TYPE_NV12_SEPARATE)
        return 0;
    if (h % 2 || w % 2)
        return fail(err, errsz, "NV12 needs even width and height, not %dx%d", w, h);
    uint8_t *uv = out + hw;
    for (int by = 0; by < h / 2; by++)
        for (int bx = 0; bx < w / 2; bx++) {
            long sum[3] = {0, 0, 0}; /* R, G, B over the 2x2 block */
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    const uint8_t *s =
                        img->data + ((size_t)(2 * by + dy) * (size_t)w + (size_t)(2 * bx + dx)) *
                                        (size_t)img->c;
                    for (int k = 0; k < 3; k++)
                        sum[k] += s[img->c > 1 ? k : 0];
                }
            for (int k = 1; k < 3; k++)
                uv[(size_t)by * (size_t)w + 2 * (size_t)bx + (size_t)(k - 1)] =
                    img->c == 1 ? 128
                                : to_byte(k_yuv[k][0] * sum[0] + k_yuv[k][1] * sum[1] +
                                              k_yuv[k][2] * sum[2] + 4000 * k_off[k],
                                          4000);
        }
    return 0;
}

const char *sample_type_name(int32_t type)
{
    static const char *const names[] = {
        "HB_DNN_IMG_TYPE_Y",      "HB_DNN_IMG_TYPE_NV12",   "HB_DNN_IMG_TYPE_NV12_SEPARATE",
        "HB_DNN_IMG_TYPE_YUV444", "HB_DNN_IMG_TYPE_RGB",    "HB_DNN_IMG_TYPE_BGR",
        "HB_DNN_TENSOR_TYPE_S4",  "HB_DNN_TENSOR_TYPE_U4",  "HB_DNN_TENSOR_TYPE_S8",
        "HB_DNN_TENSOR_TYPE_U8",  "HB_DNN_TENSOR_TYPE_F16", "HB_DNN_TENSOR_TYPE_S16",
        "HB_DNN_TENSOR_TYPE_U16", "HB_DNN_TENSOR_TYPE_F32", "HB_DNN_TENSOR_TYPE_S32",
        "HB_DNN_TENSOR_TYPE_U32", "HB_DNN_TENSOR_TYPE_F64", "HB_DNN_TENSOR_TYPE_S64",
        "HB_DNN_TENSOR_TYPE_U64",
    };
    return type >= 0 && type < (int32_t)(sizeof names / sizeof names[0]) ? names[type] : "?";
}
