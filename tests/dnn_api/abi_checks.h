/* Compile-time checks of the DNN API's ABI: enum values, struct sizes and member offsets.
 * Included by the C and the C++ usage programs, so both languages see the same layout.
 *
 * Expected values come from the reference (the project's reference notes, horizon-interface.md
 * section 5): enum values are listed there; sizes and offsets follow by hand from the documented
 * member order and types under the LP64 ABIs we target (x86-64 System V and AArch64 AAPCS64 agree
 * here): int32_t/float/enum = 4 bytes aligned 4, int64_t/uint64_t/pointers = 8 bytes aligned 8, a
 * struct is aligned to its most aligned member and padded to a multiple of that. */
#ifndef TESTS_DNN_API_ABI_CHECKS_H
#define TESTS_DNN_API_ABI_CHECKS_H

#include <stddef.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn/hb_dnn_status.h"
#include "dnn/hb_sys.h"

#ifdef __cplusplus
#define ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* ---- macros (5.1) ---- */
ABI_ASSERT(HB_DNN_TENSOR_MAX_DIMENSIONS == 8, "max dimensions");
ABI_ASSERT(HB_DNN_VERSION_MAJOR == 1U, "version major");

/* ---- enums (5.2, 5.4, 5.5, 5.6) ---- */
ABI_ASSERT(HB_DNN_LAYOUT_NHWC == 0 && HB_DNN_LAYOUT_NCHW == 2 && HB_DNN_LAYOUT_NONE == 255,
           "hbDNNTensorLayout");
ABI_ASSERT(HB_DNN_LAYOUT_NHCW_NATIVE == 1, "hbDNNExtraTensorLayout");
ABI_ASSERT(HB_DNN_IMG_TYPE_Y == 0 && HB_DNN_IMG_TYPE_NV12 == 1 &&
               HB_DNN_IMG_TYPE_NV12_SEPARATE == 2 && HB_DNN_IMG_TYPE_YUV444 == 3 &&
               HB_DNN_IMG_TYPE_RGB == 4 && HB_DNN_IMG_TYPE_BGR == 5,
           "hbDNNDataType image types");
ABI_ASSERT(HB_DNN_TENSOR_TYPE_S4 == 6 && HB_DNN_TENSOR_TYPE_U4 == 7 && HB_DNN_TENSOR_TYPE_S8 == 8 &&
               HB_DNN_TENSOR_TYPE_U8 == 9 && HB_DNN_TENSOR_TYPE_F16 == 10 &&
               HB_DNN_TENSOR_TYPE_S16 == 11 && HB_DNN_TENSOR_TYPE_U16 == 12 &&
               HB_DNN_TENSOR_TYPE_F32 == 13 && HB_DNN_TENSOR_TYPE_S32 == 14 &&
               HB_DNN_TENSOR_TYPE_U32 == 15 && HB_DNN_TENSOR_TYPE_F64 == 16 &&
               HB_DNN_TENSOR_TYPE_S64 == 17 && HB_DNN_TENSOR_TYPE_U64 == 18 &&
               HB_DNN_TENSOR_TYPE_MAX == 19,
           "hbDNNDataType tensor types");
ABI_ASSERT(NONE == 0 && SHIFT == 1 && SCALE == 2, "hbDNNQuantiType");
ABI_ASSERT(HB_DNN_PRIORITY_LOWEST == 0 && HB_DNN_PRIORITY_HIGHEST == 255 &&
               HB_DNN_PRIORITY_PREEMP == 255,
           "hbDNNTaskPriority");
ABI_ASSERT(HB_DNN_RESIZE_TYPE_BILINEAR == 0, "hbDNNResizeType");
ABI_ASSERT(HB_BPU_CORE_ANY == 0 && HB_BPU_CORE_0 == 1 && HB_BPU_CORE_1 == 2, "hbBPUCore");
ABI_ASSERT(HB_DSP_CORE_ANY == 0 && HB_DSP_CORE_0 == 1 && HB_DSP_CORE_1 == 2, "hbDSPCore");
ABI_ASSERT(HB_SYS_MEM_CACHE_INVALIDATE == 1 && HB_SYS_MEM_CACHE_CLEAN == 2, "hbSysMemFlushFlag");
ABI_ASSERT(HB_SYS_SUCCESS == 0 && HB_SYS_INVALID_ARGUMENT == -6000129 &&
               HB_SYS_OUT_OF_MEMORY == -6000130 && HB_SYS_REGISTER_MEM_FAILED == -6000131,
           "hbSysStatus");
ABI_ASSERT(HB_DNN_SUCCESS == 0 && HB_DNN_INVALID_ARGUMENT == -6000001 &&
               HB_DNN_INVALID_MODEL == -6000002 && HB_DNN_MODEL_NUMBER_EXCEED_LIMIT == -6000003 &&
               HB_DNN_INVALID_PACKED_DNN_HANDLE == -6000004 &&
               HB_DNN_INVALID_DNN_HANDLE == -6000005 && HB_DNN_CAN_NOT_OPEN_FILE == -6000006 &&
               HB_DNN_OUT_OF_MEMORY == -6000007 && HB_DNN_TIMEOUT == -6000008 &&
               HB_DNN_TASK_NUM_EXCEED_LIMIT == -6000009 &&
               HB_DNN_TASK_BATCH_SIZE_EXCEED_LIMIT == -6000010 &&
               HB_DNN_INVALID_TASK_HANDLE == -6000011 && HB_DNN_RUN_TASK_FAILED == -6000012 &&
               HB_DNN_MODEL_IS_RUNNING == -6000013 && HB_DNN_INCOMPATIBLE_MODEL == -6000014 &&
               HB_DNN_API_USE_ERROR == -6000015 && HB_DNN_MULTI_PROGRESS_USE_ERROR == -6000016,
           "hbDNNStatus");
ABI_ASSERT(HB_DNN_INPUT_FROM_DDR == 0 && HB_DNN_INPUT_FROM_RESIZER == 1 &&
               HB_DNN_INPUT_FROM_PYRAMID == 2,
           "hbDNNInputSource");
ABI_ASSERT(HB_DNN_OUTPUT_OPERATOR_TYPE_UNKNOWN == 0 && HB_DNN_OUTPUT_OPERATOR_TYPE_CONV == 1 &&
               HB_DNN_OUTPUT_OPERATOR_TYPE_CHANNEL_ARGMAX == 5 &&
               HB_DNN_OUTPUT_OPERATOR_TYPE_FILTER == 8 && HB_DNN_OUTPUT_OPERATOR_TYPE_RLE == 11 &&
               HB_DNN_OUTPUT_OPERATOR_TYPE_MODEL_INPUT_TOP_K == 15,
           "hbDNNOutputOperatorType");
ABI_ASSERT(HB_DNN_DESC_TYPE_UNKNOWN == 0 && HB_DNN_DESC_TYPE_STRING == 1 &&
               HB_DNN_DESC_TYPE_BINARY == 2,
           "hbDNNDescType");

/* ---- structs without pointers: same on every ABI with 4-byte int32_t ---- */
/* hbDNNTensorShape: int32_t[8] at 0 (32 bytes), numDimensions at 32; size 36, align 4. */
ABI_ASSERT(sizeof(hbDNNTensorShape) == 36, "hbDNNTensorShape size");
ABI_ASSERT(offsetof(hbDNNTensorShape, numDimensions) == 32, "numDimensions offset");
ABI_ASSERT(sizeof(hbDNNDimension) == sizeof(hbDNNTensorShape), "hbDNNDimension");
/* hbDNNRoi: four int32_t; size 16. */
ABI_ASSERT(sizeof(hbDNNRoi) == 16 && offsetof(hbDNNRoi, bottom) == 12, "hbDNNRoi");
/* hbDNNResizeCtrlParam: seven 4-byte members (the enum is int-sized); size 28. */
ABI_ASSERT(sizeof(hbDNNResizeCtrlParam) == 28 && offsetof(hbDNNResizeCtrlParam, resizeType) == 8 &&
               offsetof(hbDNNResizeCtrlParam, reserved4) == 24,
           "hbDNNResizeCtrlParam");
/* hbDNNInferCtrlParam: bpuCoreId 0, dspCoreId 4, priority 8, more 12, customId (int64, aligned
 * 8) 16, reserved1 24, reserved2 28; size 32, align 8 (int64_t is 8-aligned on both ABIs). */
ABI_ASSERT(offsetof(hbDNNInferCtrlParam, more) == 12 &&
               offsetof(hbDNNInferCtrlParam, customId) == 16 &&
               offsetof(hbDNNInferCtrlParam, reserved2) == 28 && sizeof(hbDNNInferCtrlParam) == 32,
           "hbDNNInferCtrlParam");

#if defined(__LP64__) || defined(_LP64)
/* ---- structs with pointers (LP64: pointers 8 bytes, aligned 8) ---- */
/* hbSysMem: phyAddr u64 at 0, virAddr at 8, memSize u32 at 16, 4 bytes tail padding; size 24. */
ABI_ASSERT(offsetof(hbSysMem, virAddr) == 8 && offsetof(hbSysMem, memSize) == 16 &&
               sizeof(hbSysMem) == 24,
           "hbSysMem");
/* hbDNNQuantiShift: shiftLen at 0, 4 padding, shiftData at 8; size 16. */
ABI_ASSERT(offsetof(hbDNNQuantiShift, shiftData) == 8 && sizeof(hbDNNQuantiShift) == 16,
           "hbDNNQuantiShift");
/* hbDNNQuantiScale: scaleLen 0, scaleData 8, zeroPointLen 16, zeroPointData 24; size 32. */
ABI_ASSERT(offsetof(hbDNNQuantiScale, scaleData) == 8 &&
               offsetof(hbDNNQuantiScale, zeroPointLen) == 16 &&
               offsetof(hbDNNQuantiScale, zeroPointData) == 24 && sizeof(hbDNNQuantiScale) == 32,
           "hbDNNQuantiScale");
/* hbDNNTensorProperties: validShape 0 (36), alignedShape 36 (36) -> 72, tensorLayout 72,
 * tensorType 76, shift 80 (8-aligned already, 16) -> 96, scale 96 (32) -> 128, quantiType 128,
 * quantizeAxis 132, alignedByteSize 136, stride[8] 140 (32) -> 172, padded to align 8: 176. */
ABI_ASSERT(offsetof(hbDNNTensorProperties, alignedShape) == 36 &&
               offsetof(hbDNNTensorProperties, tensorLayout) == 72 &&
               offsetof(hbDNNTensorProperties, tensorType) == 76 &&
               offsetof(hbDNNTensorProperties, shift) == 80 &&
               offsetof(hbDNNTensorProperties, scale) == 96 &&
               offsetof(hbDNNTensorProperties, quantiType) == 128 &&
               offsetof(hbDNNTensorProperties, quantizeAxis) == 132 &&
               offsetof(hbDNNTensorProperties, alignedByteSize) == 136 &&
               offsetof(hbDNNTensorProperties, stride) == 140 &&
               sizeof(hbDNNTensorProperties) == 176,
           "hbDNNTensorProperties");
/* hbDNNTensor: sysMem[4] 0 (4 x 24 = 96), properties 96 (176); size 272. */
ABI_ASSERT(offsetof(hbDNNTensor, properties) == 96 && sizeof(hbDNNTensor) == 272, "hbDNNTensor");
#endif

#endif
