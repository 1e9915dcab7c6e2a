/* Image helpers shared by the samples (no external libraries, so they build for the board):
 * reading PPM/PGM and raw pixel files, bilinear resizing, and converting RGB pixels to the uint8
 * tensor an image input of libdnn takes (NV12, YUV444, RGB, BGR or Y, packed NHWC or NCHW).
 * Colour conversion: BT.601 full range as the toolchain defines it (docs/ARCHITECTURE.md section
 * 4): Y = 0.299 R + 0.587 G + 0.114 B, U = -0.169 R - 0.331 G + 0.5 B + 128,
 * V = 0.5 R - 0.419 G - 0.081 B + 128 in exact thousandths, rounded half up; NV12 chroma from the
 * RGB sum of each 2x2 block. Functions return 0, or -1 with a message in err. */
#ifndef SAMPLE_IMAGE_H
#define SAMPLE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/hb_dnn.h"

typedef struct sample_image {
    int w, h, c;   /* c = 3 (RGB) or 1 (gray) */
    uint8_t *data; /* h * w * c bytes, row-major, interleaved; free() it */
} sample_image;

/* Read a whole file into a malloc'ed buffer. */
int sample_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errsz);

/* Read a binary PPM (P6, RGB) or PGM (P5, gray) with maxval 255. */
int sample_read_pnm(const char *path, sample_image *img, char *err, size_t errsz);

/* Bilinear resize (half-pixel centres, edge clamped) of src to w x h into dst. */
int sample_resize(const sample_image *src, int w, int h, sample_image *dst, char *err,
                  size_t errsz);

/* Height, width and channels of an image input of libdnn from its properties, or -1 (err says why)
 * when the input is not an image type. */
int sample_input_geometry(const hbDNNTensorProperties *p, int *h, int *w, int *c, char *err,
                          size_t errsz);

/* Bytes of image data of one batch of input p (NV12: h*w*3/2). */
size_t sample_input_bytes(const hbDNNTensorProperties *p);

/* Convert img (already h x w, RGB or gray) to the uint8 tensor of input p into out
 * (sample_input_bytes(p) bytes). A gray image feeds Y directly and becomes R = G = B otherwise. */
int sample_image_to_input(const sample_image *img, const hbDNNTensorProperties *p, uint8_t *out,
                          char *err, size_t errsz);

/* Name of an hbDNNDataType ("HB_DNN_IMG_TYPE_NV12", ...). */
const char *sample_type_name(int32_t type);

#endif
