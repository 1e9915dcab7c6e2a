/* hb_dnn.h: the DNN runtime API: load compiled models (.bin), describe their tensors, run them.
 *
 * Written by this project from the public description of the Horizon Robotics / D-Robotics
 * `dnn/hb_dnn.h` (names, signatures, struct member order, enum values); see docs/runtime-api.md.
 * Declaration order and member types fix the ABI: do not reorder. All functions return int32_t
 * (0 = success, else an hbDNNStatus / hbSysStatus code) unless noted.
 *
 * Typical flow: hbDNNInitializeFromFiles -> hbDNNGetModelNameList -> hbDNNGetModelHandle ->
 * hbDNNGet{Input,Output}{Count,TensorProperties} -> hbSysAllocCachedMem(alignedByteSize) -> write,
 * hbSysFlushMem(CLEAN) -> hbDNNInfer -> hbDNNWaitTaskDone -> hbSysFlushMem(INVALIDATE) on outputs
 * -> read -> hbDNNReleaseTask -> hbSysFreeMem -> hbDNNRelease. */
#ifndef DNN_HB_DNN_H
#define DNN_HB_DNN_H

#include <stdbool.h>
#include <stdint.h>

#include "hb_sys.h"
#include "hb_dnn_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the API this header reproduces (1.22.6 function set, plus hbDNNResize of the X3
 * line). hbDNNGetVersion reports the library's own version string. */
#define HB_DNN_VERSION_MAJOR 1U
#define HB_DNN_VERSION_MINOR 22U
#define HB_DNN_VERSION_PATCH 6U

/* Maximum rank of a tensor: size of hbDNNTensorShape.dimensionSize and of stride. */
#define HB_DNN_TENSOR_MAX_DIMENSIONS 8

/* Fill an hbDNNInferCtrlParam with defaults; `param` is a pointer. A plain brace block (not
 * do/while) as in the original, so `HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&p);` and the form without
 * a trailing semicolon both compile. */
#define HB_DNN_INITIALIZE_INFER_CTRL_PARAM(param)                                                  \
    {                                                                                              \
        (param)->bpuCoreId = HB_BPU_CORE_ANY;                                                      \
        (param)->dspCoreId = HB_DSP_CORE_ANY;                                                      \
        (param)->priority = HB_DNN_PRIORITY_LOWEST;                                                \
        (param)->more = false;                                                                     \
        (param)->customId = 0;                                                                     \
        (param)->reserved1 = 0;                                                                    \
        (param)->reserved2 = 0;                                                                    \
    }

/* Fill an hbDNNResizeCtrlParam with defaults; `param` is a pointer. */
#define HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(param)                                                 \
    {                                                                                              \
        (param)->bpuCoreId = HB_BPU_CORE_ANY;                                                      \
        (param)->resizeType = HB_DNN_RESIZE_TYPE_BILINEAR;                                         \
        (param)->priority = HB_DNN_PRIORITY_LOWEST;                                                \
        (param)->reserved1 = 0;                                                                    \
        (param)->reserved2 = 0;                                                                    \
        (param)->reserved3 = 0;                                                                    \
        (param)->reserved4 = 0;                                                                    \
    }

/* Opaque handles. All are owned by the library and released by the matching call. */
typedef void *hbPackedDNNHandle_t; /* one or more loaded .bin files; hbDNNRelease */
typedef void *hbDNNHandle_t;       /* one model inside a packed handle; lives as long as it */
typedef void *hbDNNTaskHandle_t;   /* one submitted inference; hbDNNReleaseTask */

/* Memory order of a tensor (hbDNNTensorProperties.tensorLayout). */
typedef enum {
    HB_DNN_LAYOUT_NHWC = 0,  /* channels last */
    HB_DNN_LAYOUT_NCHW = 2,  /* channels first */
    HB_DNN_LAYOUT_NONE = 255 /* not a 4-D image-like tensor */
} hbDNNTensorLayout;

/* Element / image type of a tensor (hbDNNTensorProperties.tensorType). Image types describe the
 * bytes of a whole frame; tensor types describe elements (S = signed, U = unsigned, F = float,
 * number = bits). */
typedef enum {
    HB_DNN_IMG_TYPE_Y,             /* 0: one 8-bit luma plane */
    HB_DNN_IMG_TYPE_NV12,          /* 1: Y plane then interleaved UV (H/2 x W), one buffer */
    HB_DNN_IMG_TYPE_NV12_SEPARATE, /* 2: Y in sysMem[0], interleaved UV in sysMem[1] */
    HB_DNN_IMG_TYPE_YUV444,        /* 3: packed 8-bit Y,U,V per pixel */
    HB_DNN_IMG_TYPE_RGB,           /* 4: packed 8-bit R,G,B */
    HB_DNN_IMG_TYPE_BGR,           /* 5: packed 8-bit B,G,R */
    HB_DNN_TENSOR_TYPE_S4,         /* 6 */
    HB_DNN_TENSOR_TYPE_U4,         /* 7 */
    HB_DNN_TENSOR_TYPE_S8,         /* 8 */
    HB_DNN_TENSOR_TYPE_U8,         /* 9 */
    HB_DNN_TENSOR_TYPE_F16,        /* 10 */
    HB_DNN_TENSOR_TYPE_S16,        /* 11 */
    HB_DNN_TENSOR_TYPE_U16,        /* 12 */
    HB_DNN_TENSOR_TYPE_F32,        /* 13 */
    HB_DNN_TENSOR_TYPE_S32,        /* 14 */
    HB_DNN_TENSOR_TYPE_U32,        /* 15 */
    HB_DNN_TENSOR_TYPE_F64,        /* 16 */
    HB_DNN_TENSOR_TYPE_S64,        /* 17 */
    HB_DNN_TENSOR_TYPE_U64,        /* 18 */
    HB_DNN_TENSOR_TYPE_MAX         /* 19: number of types, not a type */
} hbDNNDataType;

/* A tensor shape: dimensionSize[0 .. numDimensions-1] are the extents (outermost first). */
typedef struct {
    int32_t dimensionSize[HB_DNN_TENSOR_MAX_DIMENSIONS]; /* extents; unused entries undefined */
    int32_t numDimensions;                               /* rank, 0 .. 8 */
} hbDNNTensorShape;

/* Power-of-two quantisation. Input: stored = round(value * 2^shift); output: value = stored /
 * 2^shift. shiftLen == 1: one shift for the tensor; else shiftLen = extent of quantizeAxis. */
typedef struct {
    int32_t shiftLen;   /* number of entries in shiftData */
    uint8_t *shiftData; /* shifts in bits; owned by the library (properties of a loaded model) */
} hbDNNQuantiShift;

/* Scale (and zero-point) quantisation. Dequantise: value = (stored - zp) * scale, or stored *
 * scale when zeroPointLen == 0. Quantise: clip(nearbyint(value / scale + zp)) with ties to even,
 * to [0, 255] for U8 and [-128, 127] for S8. Len 1: per tensor; else extent of quantizeAxis. */
typedef struct {
    int32_t scaleLen;      /* number of entries in scaleData */
    float *scaleData;      /* scales; owned by the library */
    int32_t zeroPointLen;  /* number of entries in zeroPointData (0: no zero point) */
    int8_t *zeroPointData; /* zero points; owned by the library */
} hbDNNQuantiScale;

/* Which quantisation description of hbDNNTensorProperties applies. The enumerators are unprefixed
 * in the original API; they are kept so for source compatibility. */
typedef enum {
    NONE,  /* 0: values are stored as-is (float, or integer without scale) */
    SHIFT, /* 1: hbDNNTensorProperties.shift applies */
    SCALE  /* 2: hbDNNTensorProperties.scale applies */
} hbDNNQuantiType;

/* Description of one model input or output. Returned as a copy by hbDNNGet*TensorProperties;
 * the pointers inside shift/scale stay owned by the library and valid until hbDNNRelease. A
 * caller may only change alignedShape (set it to validShape to hand in dense data that the
 * library pads) and tensorType (NV12 <-> NV12_SEPARATE) before passing the tensor to hbDNNInfer. */
typedef struct {
    hbDNNTensorShape validShape;   /* logical shape (NV12 image inputs: 1 x 3 x H x W, NCHW) */
    hbDNNTensorShape alignedShape; /* padded shape the BPU reads/writes */
    int32_t tensorLayout;          /* hbDNNTensorLayout */
    int32_t tensorType;            /* hbDNNDataType */
    hbDNNQuantiShift shift;        /* valid when quantiType == SHIFT */
    hbDNNQuantiScale scale;        /* valid when quantiType == SCALE */
    hbDNNQuantiType quantiType;    /* NONE, SHIFT or SCALE */
    int32_t quantizeAxis;          /* dimension of per-channel shift/scale */
    int32_t alignedByteSize;       /* bytes of the aligned tensor: minimum buffer size */
    int32_t stride[HB_DNN_TENSOR_MAX_DIMENSIONS]; /* bytes between steps of each dimension of
                                                     validShape; 0 for NV12 image inputs */
} hbDNNTensorProperties;

/* Task priority (hbDNNInferCtrlParam.priority), 0 .. 255; larger runs first. */
typedef enum {
    HB_DNN_PRIORITY_LOWEST = 0, /* default */
    HB_DNN_PRIORITY_HIGHEST = 255,
    HB_DNN_PRIORITY_PREEMP = 255 /* preemptive on boards that support it; same value */
} hbDNNTaskPriority;

/* A tensor handed to hbDNNInfer: the buffers (owned by the caller, from hbSysAlloc*Mem) and the
 * properties describing them. Only NV12_SEPARATE uses two buffers; the rest use sysMem[0]. */
typedef struct {
    hbSysMem sysMem[4];               /* data buffers */
    hbDNNTensorProperties properties; /* normally a copy of hbDNNGet*TensorProperties */
} hbDNNTensor;

/* A region of interest in pixels, inclusive on all four sides. */
typedef struct {
    int32_t left;   /* first column */
    int32_t top;    /* first row */
    int32_t right;  /* last column */
    int32_t bottom; /* last row */
} hbDNNRoi;

/* Per-task options; initialise with HB_DNN_INITIALIZE_INFER_CTRL_PARAM. */
typedef struct {
    int32_t bpuCoreId; /* hbBPUCore */
    int32_t dspCoreId; /* hbDSPCore (placeholder on marches without DSP) */
    int32_t priority;  /* hbDNNTaskPriority, 0 .. 255 */
    int32_t more;      /* 1: more small-model tasks will be appended to this task handle (<= 255);
                          0 on the last one */
    int64_t customId;  /* tie-break among equal priorities: smaller runs earlier */
    int32_t reserved1; /* must be 0 */
    int32_t reserved2; /* must be 0 */
} hbDNNInferCtrlParam;

/* Completion callback (hbDNNSetTaskDoneCb): status is the task's final status code. Called on a
 * library thread; must not call hbDNNReleaseTask on `task`. */
typedef void (*hbDNNTaskDoneCb)(hbDNNTaskHandle_t task, int32_t status, void *userdata);

/* Resize method of hbDNNResize. */
typedef enum {
    HB_DNN_RESIZE_TYPE_BILINEAR = 0 /* the only method */
} hbDNNResizeType;

/* Options of hbDNNResize; initialise with HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM. */
typedef struct {
    int32_t bpuCoreId;          /* hbBPUCore */
    int32_t priority;           /* hbDNNTaskPriority */
    hbDNNResizeType resizeType; /* HB_DNN_RESIZE_TYPE_BILINEAR */
    int32_t reserved1;          /* must be 0 */
    int32_t reserved2;          /* must be 0 */
    int32_t reserved3;          /* must be 0 */
    int32_t reserved4;          /* must be 0 */
} hbDNNResizeCtrlParam;

/* The library's version string, e.g. "1.22.6_(hbtoolchain 0.1.0)". Static; never NULL. */
const char *hbDNNGetVersion(void);

/* Load `fileCount` (>= 1) .bin files into one packed handle (*packedDNNHandle, release with
 * hbDNNRelease). Model names must be unique across the files. */
int32_t hbDNNInitializeFromFiles(hbPackedDNNHandle_t *packedDNNHandle, const char **modelFileNames,
                                 int32_t modelFileCount);

/* As hbDNNInitializeFromFiles, from `modelDataCount` memory images modelData[i] of
 * modelDataLengths[i] bytes. The library copies what it keeps; the caller may free the images
 * after the call returns. */
int32_t hbDNNInitializeFromDDR(hbPackedDNNHandle_t *packedDNNHandle, const void **modelData,
                               int32_t *modelDataLengths, int32_t modelDataCount);

/* Unload everything of a packed handle; its model handles become invalid. */
int32_t hbDNNRelease(hbPackedDNNHandle_t packedDNNHandle);

/* Names of all models in the packed handle: *modelNameList is an array of *modelNameCount
 * strings, both owned by the library and valid until hbDNNRelease. */
int32_t hbDNNGetModelNameList(const char ***modelNameList, int32_t *modelNameCount,
                              hbPackedDNNHandle_t packedDNNHandle);

/* The model named `modelName` (*dnnHandle, owned by the packed handle). */
int32_t hbDNNGetModelHandle(hbDNNHandle_t *dnnHandle, hbPackedDNNHandle_t packedDNNHandle,
                            const char *modelName);

/* Number of model inputs. */
int32_t hbDNNGetInputCount(int32_t *inputCount, hbDNNHandle_t dnnHandle);

/* Name of input `inputIndex` (0 .. count-1); the string is owned by the library. */
int32_t hbDNNGetInputName(const char **name, hbDNNHandle_t dnnHandle, int32_t inputIndex);

/* Copy of the properties of input `inputIndex`. */
int32_t hbDNNGetInputTensorProperties(hbDNNTensorProperties *properties, hbDNNHandle_t dnnHandle,
                                      int32_t inputIndex);

/* Number of model outputs. */
int32_t hbDNNGetOutputCount(int32_t *outputCount, hbDNNHandle_t dnnHandle);

/* Name of output `outputIndex` (0 .. count-1); the string is owned by the library. */
int32_t hbDNNGetOutputName(const char **name, hbDNNHandle_t dnnHandle, int32_t outputIndex);

/* Copy of the properties of output `outputIndex`. */
int32_t hbDNNGetOutputTensorProperties(hbDNNTensorProperties *properties, hbDNNHandle_t dnnHandle,
                                       int32_t outputIndex);

/* Submit one inference asynchronously. *taskHandle must be NULL (a new task) unless the previous
 * call on it set inferCtrlParam->more = 1. *output points to an array of outputCount tensors and
 * `input` to an array of inputCount tensors, all with caller-owned buffers that must stay valid
 * until the task is done. Batch models may take inputs split per batch, ordered
 * input0[b0], input0[b1], ..., inputN[b0], ... */
int32_t hbDNNInfer(hbDNNTaskHandle_t *taskHandle, hbDNNTensor **output, const hbDNNTensor *input,
                   hbDNNHandle_t dnnHandle, hbDNNInferCtrlParam *inferCtrlParam);

/* Inference of a model compiled with `input_source: resizer`: `rois` (roiCount = batch x resizer
 * input count, batch 1..255) select regions of the inputs; inputs of batch i are
 * input[i*inputCount .. (i+1)*inputCount - 1], its rois rois[i*resizerCount ..
 * (i+1)*resizerCount - 1]. A resizer input's tensor is a whole Y or NV12 frame of any size; each
 * roi is resized to the model's input size. Each output buffer holds the batch's results one
 * after the other (docs/runtime-api.md gives the rules and limits). */
int32_t hbDNNRoiInfer(hbDNNTaskHandle_t *taskHandle, hbDNNTensor **output, const hbDNNTensor *input,
                      hbDNNRoi *rois, int32_t roiCount, hbDNNHandle_t dnnHandle,
                      hbDNNInferCtrlParam *inferCtrlParam);

/* Deprecated (X3 line): bilinear resize of the `roi` of image `input` into `output` (same image
 * type). `roi` may be NULL for the whole image. Returns a task like hbDNNInfer; this
 * implementation resizes Y and NV12 images on the CPU during the call, so the task is already
 * done (docs/runtime-api.md gives the exact arithmetic). */
int32_t hbDNNResize(hbDNNTaskHandle_t *taskHandle, hbDNNTensor *output, const hbDNNTensor *input,
                    const hbDNNRoi *roi, hbDNNResizeCtrlParam *resizeCtrlParam);

/* Call `cb(task, status, userdata)` when the task completes (set before waiting). */
int32_t hbDNNSetTaskDoneCb(hbDNNTaskHandle_t taskHandle, hbDNNTaskDoneCb cb, void *userdata);

/* Wait for a task: timeout in milliseconds, <= 0 waits forever. HB_DNN_TIMEOUT if not done. */
int32_t hbDNNWaitTaskDone(hbDNNTaskHandle_t taskHandle, int32_t timeout);

/* Release a task: cancels it if not started, stops it if running, and returns immediately. */
int32_t hbDNNReleaseTask(hbDNNTaskHandle_t taskHandle);

#ifdef __cplusplus
}
#endif

#endif /* DNN_HB_DNN_H */
