/* hbc_prep: images, the usual image transformers, and the calibration data set.
 *
 * Images are 8-bit, interleaved (HWC), row-major, tightly packed: pixel (x, y) channel k is at
 * data[(y * w + x) * c + k]. c is 3 (RGB, BGR or YUV444, by convention of the caller) or 1 (gray).
 * Every transformer writes a new image into *dst (which must not alias src) and leaves *dst
 * zeroed on failure; the caller frees it with hbc_image_free.
 *
 * Colour maths (docs/preprocess.md; ARCHITECTURE section 4): BT.601. RGB -> YUV uses the
 * reference's three-decimal coefficients, exactly in integer thousandths, rounded half up:
 *   full range:  Y = .299R + .587G + .114B          U = -.169R - .331G + .5B + 128
 *                V = .5R - .419G - .081B + 128
 *   video range: Y = .257R + .504G + .098B + 16     U = -.148R - .291G + .439B + 128
 *                V = .439R - .368G - .071B + 128
 *   inverse (the preprocess node's map, docs/preprocess-node.md), computed in double and rounded
 *   half up: full range R = Y + 1.402V', G = Y - (.114 * 1.772 / .587)U' - (.299 * 1.402 / .587)V'
 *   (= .344136, .714136), B = Y + 1.772U' with U' = U - 128, V' = V - 128; video range first
 *   takes Y to (Y - 16) * 255 / 219 and U', V' to (U - 128) * 255 / 224, (V - 128) * 255 / 224.
 *   Every result is clamped to [0, 255].
 * NV12: a W x H Y plane followed by H/2 rows of W/2 interleaved (U, V) pairs; W and H even. Our
 * RGB -> NV12 takes each 2x2 block's chroma as the rounded (half up) mean of the four pixels' exact
 * chroma values; NV12 -> YUV444 replicates each chroma sample over its 2x2 block.
 *
 * Errors: every fallible call returns an hbg_status and writes a message naming the file (or the
 * argument) into err: HBG_E_INVALID for bad arguments, HBG_E_IO for unreadable files,
 * HBG_E_FORMAT for bytes that do not decode, HBG_E_UNSUPPORTED for valid files we do not read
 * (CMYK JPEG, RLE BMP, ...), HBG_E_SHAPE for sizes that do not match, HBG_E_NOMEM.
 */
#ifndef HBC_PREP_H
#define HBC_PREP_H

#include <stddef.h>
#include <stdint.h>

#include "hbc/config.h"
#include "hbc/log.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest accepted image side and pixel count (decoders refuse larger headers before allocating).
 */
#define HBC_IMAGE_MAX_SIDE   32768
#define HBC_IMAGE_MAX_PIXELS (1 << 27)

typedef struct hbc_image {
    int w, h, c;   /* width, height (pixels, >= 1) and channels (1 or 3) */
    uint8_t *data; /* w * h * c bytes, owned */
} hbc_image;

/* Allocate a zero-filled w x h x c image (1 <= w, h <= HBC_IMAGE_MAX_SIDE, c in {1, 3}). */
hbg_status hbc_image_alloc(hbc_image *img, int w, int h, int c, char *err, size_t errlen);
/* Release the pixels and zero the struct; NULL or an empty image is a no-op. */
void hbc_image_free(hbc_image *img);

/* ---- decoding ------------------------------------------------------------------------------ */

/* Decode a JPEG (libjpeg-turbo), PNG (libpng) or BMP (our reader) held in memory, recognised by
 * its first bytes. label names the source in messages. Result: c = 3 (RGB) for colour images, c =
 * 1 for grayscale JPEG/PNG (BMP is always RGB). PNG: palette and low-bit gray are expanded, 16-bit
 * samples scaled to 8 bits with rounding, alpha dropped (not composited). JPEG: CMYK/YCCK are
 * refused, and libjpeg's "corrupt data" warnings are errors (a truncated file never passes).
 * BMP: BITMAPINFOHEADER and later (40..124-byte headers), 1/4/8-bit palette, 24-bit, 32-bit
 * (BI_RGB, or BI_BITFIELDS with 8-bit masks); RLE and 16-bit are refused. */
hbg_status hbc_image_decode(const void *buf, size_t len, const char *label, hbc_image *out,
                            char *err, size_t errlen);
/* Read the file at path and decode it; messages name path. */
hbg_status hbc_image_load(const char *path, hbc_image *out, char *err, size_t errlen);

/* ---- geometry ------------------------------------------------------------------------------ */

/* Bilinear resize to dw x dh with half-pixel centres (OpenCV INTER_LINEAR / ONNX Resize
 * half_pixel, no antialiasing), in exact integer arithmetic. For each axis, with source size S and
 * destination size D, destination index i maps to the source coordinate s = (2i + 1) S / (2D) -
 * 0.5, clamped below at 0: i0 = floor(s), fraction f = round_half_up(frac(s) * 2048) (f = 2048
 * moves to i0 + 1, f = 0), i1 = min(i0 + 1, S - 1). The result is
 *   ((2048 - fy) * ((2048 - fx) p00 + fx p01) + fy * ((2048 - fx) p10 + fx p11) + 2^21) >> 22. */
hbg_status hbc_image_resize(const hbc_image *src, int dw, int dh, hbc_image *dst, char *err,
                            size_t errlen);
/* Bilinear resize (as above) so that the shorter side becomes short_side and the longer one keeps
 * the aspect ratio: long' = round_half_up(long * short_side / short). */
hbg_status hbc_image_resize_short(const hbc_image *src, int short_side, hbc_image *dst, char *err,
                                  size_t errlen);
/* Copy the w x h window whose top-left corner is (x, y); it must lie inside src. */
hbg_status hbc_image_crop(const hbc_image *src, int x, int y, int w, int h, hbc_image *dst,
                          char *err, size_t errlen);
/* Centre crop: x = (src.w - w) / 2, y = (src.h - h) / 2 (rounded down). */
hbg_status hbc_image_center_crop(const hbc_image *src, int w, int h, hbc_image *dst, char *err,
                                 size_t errlen);
/* Add top/bottom/left/right borders (each >= 0) filled with value in every channel. */
hbg_status hbc_image_pad(const hbc_image *src, int top, int bottom, int left, int right,
                         uint8_t value, hbc_image *dst, char *err, size_t errlen);

/* ---- layout and channel order -------------------------------------------------------------- */

/* HWC image -> planar CHW bytes (chw holds w * h * c bytes). */
void hbc_image_to_chw(const hbc_image *src, uint8_t *chw);
/* Planar CHW bytes of a w x h x c image -> a new HWC image. */
hbg_status hbc_image_from_chw(const uint8_t *chw, int w, int h, int c, hbc_image *dst, char *err,
                              size_t errlen);
/* Swap channels 0 and 2 in place (RGB <-> BGR); no-op for c = 1. */
void hbc_image_swap_rb(hbc_image *img);

/* ---- colour -------------------------------------------------------------------------------- */

typedef enum hbc_yuv_space {
    HBC_YUV_FULL,  /* BT.601 full range, Y/U/V in [0, 255] (input_space_and_range: regular) */
    HBC_YUV_VIDEO, /* BT.601 video range, Y in [16, 235] (bt601_video) */
} hbc_yuv_space;

/* RGB (c = 3) -> YUV444 (c = 3), and back, per pixel. */
hbg_status hbc_image_rgb_to_yuv444(const hbc_image *rgb, hbc_yuv_space sp, hbc_image *dst,
                                   char *err, size_t errlen);
hbg_status hbc_image_yuv444_to_rgb(const hbc_image *yuv, hbc_yuv_space sp, hbc_image *dst,
                                   char *err, size_t errlen);
/* RGB (c = 3) -> gray (c = 1): the full-range Y. */
hbg_status hbc_image_rgb_to_gray(const hbc_image *rgb, hbc_image *dst, char *err, size_t errlen);

/* Bytes of a w x h NV12 frame: w * h * 3 / 2 (w, h even). */
size_t hbc_nv12_size(int w, int h);
/* RGB (c = 3, even w and h) -> NV12 into nv12 (hbc_nv12_size bytes). */
hbg_status hbc_image_rgb_to_nv12(const hbc_image *rgb, hbc_yuv_space sp, uint8_t *nv12, char *err,
                                 size_t errlen);
/* YUV444 (c = 3, even w and h) -> NV12: chroma = rounded (half up) mean of each 2x2 block. */
hbg_status hbc_image_yuv444_to_nv12(const hbc_image *yuv, uint8_t *nv12, char *err, size_t errlen);
/* NV12 of a w x h frame -> YUV444 (c = 3), each chroma sample replicated over its 2x2 block. */
hbg_status hbc_nv12_to_yuv444(const uint8_t *nv12, int w, int h, hbc_image *dst, char *err,
                              size_t errlen);

/* The YUV -> RGB map above as a float affine transform for a preprocess node: for YUV bytes
 * (Y, U, V), RGB = m * (Y, U, V) + off (before rounding and clamping). m is row-major 3x3. */
void hbc_yuv_to_rgb_affine(hbc_yuv_space sp, double m[9], double off[3]);

/* ---- calibration data set ------------------------------------------------------------------ */

/* The samples for every model input, in exactly the layout and value domain that the original
 * float model *with* its HZ_PREPROCESS node takes:
 * - image inputs (input_type_rt != featuremap): the intermediate type (YUV444_128, RGB_128,
 *   BGR_128, GRAY_128) = uint8 value - 128 as float, in the model input's shape and layout
 *   (input_layout_train). The training-colour data goes through what the board does: rt nv12 ->
 *   RGB -> NV12 -> YUV444 (the input's input_space_and_range), rt yuv444 -> YUV444 full range,
 *   rt rgb / bgr -> that order, rt gray -> gray;
 * - featuremap inputs: the float values as given.
 * Input k of sample s is data[s * n_inputs + k] with numel[k] floats. */
typedef struct hbc_calset {
    int n_samples, n_inputs;
    char **names;                  /* [n_inputs] model input names, owned */
    int *rank;                     /* [n_inputs] */
    int64_t (*dims)[HBG_MAX_RANK]; /* [n_inputs] shape of one sample (input_shape or the model's) */
    int64_t *numel;                /* [n_inputs] floats per sample */
    float **data;                  /* [n_samples * n_inputs], owned */
    char **files; /* [n_samples * n_inputs] the file each sample came from, owned */
} hbc_calset;

/* Load the calibration data of cfg (calibration_parameters + input_parameters) for the model
 * inputs tensors[0..n_tensors-1] (the original float model's graph inputs, names and shapes
 * known; the calset keeps their order). Each tensor is matched to its config input by name
 * (input_name), or to the only config input of a single-input model. Each input's cal_data_dir
 * holds, sorted by file name (strcmp), one file per sample (names starting with '.' and
 * sub-folders are skipped):
 * - preprocess_on: True: JPEG/PNG/BMP images (image inputs only), decoded, converted to
 *   input_type_train (gray: the full-range Y; yuv444: full-range YUV) and resized bilinearly to
 *   the input's H x W;
 * - otherwise "*.npy" files (any numeric dtype, as many elements as the input), or raw files
 *   (numpy.tofile: cal_data_type float32 or uint8, exactly numel elements, input_type_train
 *   colour, input_layout_train layout). Image inputs need values in [0, 255] (rounded half away
 *   from zero to bytes): a file with mean/scale already applied is refused.
 * All inputs must have the same number of files. NaN/Inf, wrong sizes, empty or missing folders
 * and undecodable images are errors naming the file. Progress goes to log (INFO per input,
 * DEBUG per file). On failure *out is left zeroed. */
hbg_status hbc_calset_load(const hbc_cfg *cfg, const hbg_tensor *const *tensors, int n_tensors,
                           const hbc_logger *log, hbc_calset *out, char *err, size_t errlen);
/* Release everything and zero the struct; NULL is a no-op. */
void hbc_calset_free(hbc_calset *cs);

/* The intermediate type name of an input type_rt (with range): "YUV444_128",
 * "YUV_BT601_Video_Range" (nv12 + bt601_video), "RGB_128", "BGR_128", "GRAY_128", or "featuremap".
 */
const char *hbc_prep_intermediate_name(hbc_input_type rt, hbc_yuv_range range);

/* ---- model kinds of hb_eval_preprocess (docs/preprocess.md) -------------------------------- */

/* One model kind's pipeline: decoded image (gray is replicated to RGB) -> resize -> crop -> colour
 * order -> planar NCHW uint8 bytes, 3 x h x w. */
typedef struct hbc_prep_kind {
    const char *name;  /* the -m argument */
    int resize_short;  /* > 0: short-side resize to this, then centre crop w x h; 0: resize to w x h
                        */
    int w, h;          /* output width and height */
    int bgr;           /* 1: BGR channel order, 0: RGB */
    const char *model; /* the model the pipeline is for (docs) */
} hbc_prep_kind;

/* The kinds, in table order: i in [0, hbc_prep_kind_count()); NULL out of range. */
int hbc_prep_kind_count(void);
const hbc_prep_kind *hbc_prep_kind_at(int i);
/* The kind named name, or NULL. */
const hbc_prep_kind *hbc_prep_kind_find(const char *name);
/* Bytes of one output file of kind k: 3 * w * h. */
size_t hbc_prep_kind_size(const hbc_prep_kind *k);
/* Run k's pipeline on img, writing hbc_prep_kind_size(k) bytes to out. */
hbg_status hbc_prep_kind_apply(const hbc_prep_kind *k, const hbc_image *img, uint8_t *out,
                               char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* HBC_PREP_H */
