/* hb_dnn_ext.h: extended queries and layout/quantisation helpers of the DNN runtime API.
 *
 * Written by this project from the public description of the Horizon Robotics / D-Robotics
 * `dnn/hb_dnn_ext.h` (names, signatures, values); see docs/runtime-api.md. All functions return
 * int32_t: 0 on success, an hbDNNStatus code otherwise. Buffers passed in and out belong to the
 * caller; strings returned through `const char **` belong to the library. */
#ifndef DNN_HB_DNN_EXT_H
#define DNN_HB_DNN_EXT_H

#include <stdbool.h>
#include <stdint.h>

#include "hb_dnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Layout beyond hbDNNTensorLayout (same field: hbDNNTensorProperties.tensorLayout). */
typedef enum {
    HB_DNN_LAYOUT_NHCW_NATIVE = 1 /* N, H, C, W order, no padding */
} hbDNNExtraTensorLayout;

/* Where a model input comes from (as compiled: input_source in the makertbin YAML). */
typedef enum {
    HB_DNN_INPUT_FROM_DDR = 0, /* a buffer in memory (hbDNNInfer) */
    HB_DNN_INPUT_FROM_RESIZER, /* 1: regions of an image (hbDNNRoiInfer) */
    HB_DNN_INPUT_FROM_PYRAMID  /* 2: an image pyramid layer (NV12) */
} hbDNNInputSource;

/* Kind of the BPU operator that produces a model output. */
typedef enum {
    HB_DNN_OUTPUT_OPERATOR_TYPE_UNKNOWN = 0,
    HB_DNN_OUTPUT_OPERATOR_TYPE_CONV,                               /* 1 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_DETECTION_POST_PROCESS,             /* 2 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_RCNN_POST_PROCESS,                  /* 3 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_DETECTION_POST_PROCESS_STABLE_SORT, /* 4 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_CHANNEL_ARGMAX,                     /* 5 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_AUX_DPP_STABLE_SORT,                /* 6 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_CHANNEL_ARGMAX_SPLIT,               /* 7 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_FILTER,                             /* 8 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_CONV3D,                             /* 9 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_MAGIC,                              /* 10 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_RLE,                                /* 11 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_MODEL_INPUT_SCATTER,                /* 12 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_MODEL_INPUT_GATHER,                 /* 13 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_MODEL_INPUT_GATHER_ELEMENTS,        /* 14 */
    HB_DNN_OUTPUT_OPERATOR_TYPE_MODEL_INPUT_TOP_K                   /* 15 */
} hbDNNOutputOperatorType;

/* Kind of a description blob (hbDNNGet*Desc). */
typedef enum {
    HB_DNN_DESC_TYPE_UNKNOWN = 0, /* no description */
    HB_DNN_DESC_TYPE_STRING,      /* 1: text, NUL-terminated, size includes the NUL */
    HB_DNN_DESC_TYPE_BINARY       /* 2: bytes */
} hbDNNDescType;

/* A coordinate or extent in the dimensions of a tensor (same layout as a shape). */
typedef hbDNNTensorShape hbDNNDimension;

/* hbDNNInputSource of input `inputIndex`. */
int32_t hbDNNGetInputSource(int32_t *inputSource, hbDNNHandle_t dnnHandle, int32_t inputIndex);

/* Description attached to input `inputIndex` at build time: *desc (library-owned, *size bytes,
 * *type an hbDNNDescType). This implementation's .bin stores no descriptions: *desc = "",
 * *size = 0, *type = HB_DNN_DESC_TYPE_UNKNOWN for every valid handle and index. */
int32_t hbDNNGetInputDesc(const char **desc, uint32_t *size, int32_t *type, hbDNNHandle_t dnnHandle,
                          int32_t inputIndex);

/* Description attached to output `outputIndex`; as hbDNNGetInputDesc. */
int32_t hbDNNGetOutputDesc(const char **desc, uint32_t *size, int32_t *type,
                           hbDNNHandle_t dnnHandle, int32_t outputIndex);

/* Description attached to the model; as hbDNNGetInputDesc. */
int32_t hbDNNGetModelDesc(const char **desc, uint32_t *size, int32_t *type,
                          hbDNNHandle_t dnnHandle);

/* hbDNNOutputOperatorType of output `outputIndex`: in this implementation CONV when a BPU program
 * computes it (possibly followed by dequantize / layout steps), UNKNOWN when a CPU subgraph does
 * (no special output operators exist). */
int32_t hbDNNGetOutputOperatorType(int32_t *operatorType, hbDNNHandle_t dnnHandle,
                                   int32_t outputIndex);

/* Estimated BPU latency of one inference (modelled BPU time, not host time). Unit: microseconds in
 * this implementation; the original's unit is not publicly documented. */
int32_t hbDNNGetEstimateLatency(int32_t *estimateLatency, hbDNNHandle_t dnnHandle);

/* Estimated BPU time of a submitted task (modelled BPU time, microseconds as above). */
int32_t hbDNNGetTaskEstimateTime(int32_t *estimateTime, hbDNNTaskHandle_t taskHandle);

/* Estimated start delay, in microseconds, of a task that would be submitted with `ctrlParam`. */
int32_t hbDNNGetTaskEstimateStartTime(int32_t *estimateStartTime,
                                      hbDNNInferCtrlParam *inferCtrlParam);

/* Tag string given to the model at build time (library-owned); "" in this implementation, whose
 * .bin stores no tag. */
int32_t hbDNNGetModelTag(const char **tag, hbDNNHandle_t dnnHandle);

/* Dequantise `input` (elements of hbDNNDataType `dataType`, NHWC, dense `shape`) with per-channel
 * `scales` (one per C) into `output` (float, same element count). */
int32_t hbDNNUnquantizeByScale(float *output, int32_t dataType, hbDNNTensorShape shape,
                               const float *scales, const void *input);

/* Name of a layout code (hbDNNTensorLayout or hbDNNExtraTensorLayout); library-owned. */
int32_t hbDNNGetLayoutName(const char **layoutName, int32_t layout);

/* Convert a dense tensor of `shape` (given in `inputLayout` order) from `inputLayout` to
 * `outputLayout`, element type `dataType`; swapEndian reverses the bytes of each element. */
int32_t hbDNNConvertLayout(void *output, int32_t outputLayout, const void *input,
                           int32_t inputLayout, int32_t dataType, hbDNNTensorShape shape,
                           bool swapEndian);

/* As hbDNNConvertLayout for the sub-box of `shape` starting at `coord` with extent `size`. */
int32_t hbDNNConvertLayoutRoi(void *output, int32_t outputLayout, const void *input,
                              int32_t inputLayout, int32_t dataType, hbDNNTensorShape shape,
                              bool swapEndian, hbDNNDimension coord, hbDNNDimension size);

/* Extract the H x W plane of batch n, channel c into native (1, H, W, 1) order. */
int32_t hbDNNConvertLayoutToNative1HW1(void *output, const void *input, int32_t inputLayout,
                                       int32_t dataType, hbDNNTensorShape shape, bool swapEndian,
                                       uint32_t n, uint32_t c);

/* Extract the C vector at (n, h, w) into native (1, 1, 1, C) order. */
int32_t hbDNNConvertLayoutToNative111C(void *output, const void *input, int32_t inputLayout,
                                       int32_t dataType, hbDNNTensorShape shape, bool swapEndian,
                                       uint32_t n, uint32_t h, uint32_t w);

/* Extract the single element at `coord`. */
int32_t hbDNNConvertLayoutToNative1111(void *output, const void *input, int32_t inputLayout,
                                       int32_t dataType, hbDNNTensorShape shape, bool swapEndian,
                                       hbDNNDimension coord);

/* Copy a dense array of `dimNum` dimensions `dim[]` (elements of `elementSize` bytes) into a
 * padded one whose byte step per dimension is `strideBytes[]`. */
int32_t hbDNNAddPaddingWithStride(void *output, const void *input, uint32_t dimNum,
                                  const uint32_t *dim, const int32_t *strideBytes,
                                  uint32_t elementSize);

/* Inverse of hbDNNAddPaddingWithStride: padded `input` with `strideBytes[]` -> dense `output`. */
int32_t hbDNNRemovePaddingWithStride(void *output, const void *input, uint32_t dimNum,
                                     const uint32_t *dim, const int32_t *strideBytes,
                                     uint32_t elementSize);

/* Copy dense `input` of `inputShape` into `output` of the larger `outputShape`, zero padding. */
int32_t hbDNNAddPadding(void *output, hbDNNTensorShape outputShape, const void *input,
                        hbDNNTensorShape inputShape, int32_t dataType);

/* Copy the `outputShape` corner of padded `input` of `inputShape` into dense `output`. */
int32_t hbDNNRemovePadding(void *output, hbDNNTensorShape outputShape, const void *input,
                           hbDNNTensorShape inputShape, int32_t dataType);

/* Convert `size` bytes of `input` between the BPU's and the CPU's byte order into `output`. The
 * element width is not publicly documented; this implementation reverses the bytes of each 4-byte
 * element (size must be a multiple of 4; output may equal input; no alignment needed). */
int32_t hbDNNConvertEndianness(void *output, const void *input, uint32_t size);

#ifdef __cplusplus
}
#endif

#endif /* DNN_HB_DNN_EXT_H */
