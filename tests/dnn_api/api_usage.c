/* Build check that a C11 program written the way the public samples use the DNN API
 * (single-image inference, section 0 item 10 of the reference notes) compiles against our headers
 * with the project's warnings, that every declaration of the four headers is usable, and that it
 * links against libdnn.so with no undefined symbol (tests/dnn_api/CMakeLists.txt). */
#include <stdint.h>
#include <string.h>

#include "abi_checks.h"
#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn/hb_sys.h"

int32_t api_usage_infer(const char *model_file, const uint8_t *nv12, uint32_t nv12_size);
int32_t api_usage_ext(hbDNNHandle_t dnn, hbDNNTaskHandle_t task);
int32_t api_usage_misc(hbDNNTaskHandle_t task, const void *image, int32_t image_len);

static void on_done(hbDNNTaskHandle_t task, int32_t status, void *userdata)
{
    (void)task;
    *(int32_t *)userdata = status;
}

/* The sample flow: load, select the first model, allocate and fill the input, run, read output. */
int32_t api_usage_infer(const char *model_file, const uint8_t *nv12, uint32_t nv12_size)
{
    hbPackedDNNHandle_t packed = NULL;
    hbDNNHandle_t dnn = NULL;
    hbDNNTaskHandle_t task = NULL;
    const char **names = NULL;
    int32_t name_count = 0, in_count = 0, out_count = 0, rc;
    hbDNNTensor input;
    hbDNNTensor outputs[32];
    hbDNNTensor *output = outputs;
    hbDNNInferCtrlParam ctrl;
    const char *in_name = NULL, *out_name = NULL;

    memset(&input, 0, sizeof input);
    memset(outputs, 0, sizeof outputs);
    rc = hbDNNInitializeFromFiles(&packed, &model_file, 1);
    if (rc != HB_DNN_SUCCESS)
        return rc;
    rc = hbDNNGetModelNameList(&names, &name_count, packed);
    if (rc == 0)
        rc = hbDNNGetModelHandle(&dnn, packed, names[0]);
    if (rc == 0)
        rc = hbDNNGetInputCount(&in_count, dnn);
    if (rc == 0)
        rc = hbDNNGetInputName(&in_name, dnn, 0);
    if (rc == 0)
        rc = hbDNNGetInputTensorProperties(&input.properties, dnn, 0);
    if (rc != 0)
        goto out;
    if (input.properties.tensorType != HB_DNN_IMG_TYPE_NV12 ||
        input.properties.tensorLayout != HB_DNN_LAYOUT_NCHW ||
        input.properties.validShape.numDimensions != 4 || nv12_size > (uint32_t)INT32_MAX) {
        rc = HB_DNN_INVALID_ARGUMENT;
        goto out;
    }
    input.properties.alignedShape = input.properties.validShape; /* dense data, library pads */
    rc = hbSysAllocCachedMem(&input.sysMem[0], (uint32_t)input.properties.alignedByteSize);
    if (rc != 0)
        goto out;
    memcpy(input.sysMem[0].virAddr, nv12, nv12_size);
    rc = hbSysFlushMem(&input.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    if (rc == 0)
        rc = hbDNNGetOutputCount(&out_count, dnn);
    for (int32_t i = 0; rc == 0 && i < out_count && i < 32; i++) {
        rc = hbDNNGetOutputName(&out_name, dnn, i);
        if (rc == 0)
            rc = hbDNNGetOutputTensorProperties(&outputs[i].properties, dnn, i);
        if (rc == 0)
            rc = hbSysAllocCachedMem(&outputs[i].sysMem[0],
                                     (uint32_t)outputs[i].properties.alignedByteSize);
    }
    if (rc != 0)
        goto out;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    rc = hbDNNInfer(&task, &output, &input, dnn, &ctrl);
    if (rc == 0)
        rc = hbDNNWaitTaskDone(task, 0);
    for (int32_t i = 0; rc == 0 && i < out_count && i < 32; i++) {
        rc = hbSysFlushMem(&outputs[i].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
        if (rc == 0 && outputs[i].properties.tensorType == HB_DNN_TENSOR_TYPE_F32 &&
            outputs[i].properties.quantiType == NONE) {
            const float *scores = (const float *)outputs[i].sysMem[0].virAddr;
            (void)scores[0];
        }
    }
out:
    if (task)
        hbDNNReleaseTask(task);
    for (int32_t i = 0; i < 32; i++)
        if (outputs[i].sysMem[0].virAddr)
            hbSysFreeMem(&outputs[i].sysMem[0]);
    if (input.sysMem[0].virAddr)
        hbSysFreeMem(&input.sysMem[0]);
    hbDNNRelease(packed);
    (void)in_count;
    (void)in_name;
    return rc;
}

/* hb_dnn_ext.h: queries and helpers, with the argument types the header declares. */
int32_t api_usage_ext(hbDNNHandle_t dnn, hbDNNTaskHandle_t task)
{
    int32_t source = 0, type = 0, op = 0, latency = 0, t = 0, start = 0, rc = 0;
    const char *desc = NULL, *tag = NULL, *layout_name = NULL;
    uint32_t size = 0;
    hbDNNInferCtrlParam ctrl;
    hbDNNTensorShape shape;
    hbDNNDimension coord, extent;
    float deq[4];
    int8_t q[4] = {1, 2, 3, 4};
    int8_t dst[64], src[64];
    const float scales[1] = {0.5f};
    uint32_t dims[4] = {1, 2, 2, 1};
    int32_t strides[4] = {64, 32, 16, 1};
    hbDNNExtraTensorLayout native = HB_DNN_LAYOUT_NHCW_NATIVE;
    hbDNNInputSource from = HB_DNN_INPUT_FROM_PYRAMID;
    hbDNNOutputOperatorType kind = HB_DNN_OUTPUT_OPERATOR_TYPE_CONV;
    hbDNNDescType dtype = HB_DNN_DESC_TYPE_STRING;

    memset(&shape, 0, sizeof shape);
    memset(src, 0, sizeof src);
    shape.numDimensions = 4;
    shape.dimensionSize[0] = 1;
    shape.dimensionSize[1] = 2;
    shape.dimensionSize[2] = 2;
    shape.dimensionSize[3] = 1;
    coord = shape;
    extent = shape;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    rc |= hbDNNGetInputSource(&source, dnn, 0);
    rc |= hbDNNGetInputDesc(&desc, &size, &type, dnn, 0);
    rc |= hbDNNGetOutputDesc(&desc, &size, &type, dnn, 0);
    rc |= hbDNNGetModelDesc(&desc, &size, &type, dnn);
    rc |= hbDNNGetOutputOperatorType(&op, dnn, 0);
    rc |= hbDNNGetEstimateLatency(&latency, dnn);
    rc |= hbDNNGetTaskEstimateTime(&t, task);
    rc |= hbDNNGetTaskEstimateStartTime(&start, &ctrl);
    rc |= hbDNNGetModelTag(&tag, dnn);
    rc |= hbDNNUnquantizeByScale(deq, HB_DNN_TENSOR_TYPE_S8, shape, scales, q);
    rc |= hbDNNGetLayoutName(&layout_name, HB_DNN_LAYOUT_NHWC);
    rc |= hbDNNConvertLayout(dst, HB_DNN_LAYOUT_NCHW, src, HB_DNN_LAYOUT_NHWC,
                             HB_DNN_TENSOR_TYPE_S8, shape, false);
    rc |= hbDNNConvertLayoutRoi(dst, HB_DNN_LAYOUT_NCHW, src, HB_DNN_LAYOUT_NHWC,
                                HB_DNN_TENSOR_TYPE_S8, shape, false, coord, extent);
    rc |= hbDNNConvertLayoutToNative1HW1(dst, src, HB_DNN_LAYOUT_NHWC, HB_DNN_TENSOR_TYPE_S8, shape,
                                         false, 0, 0);
    rc |= hbDNNConvertLayoutToNative111C(dst, src, HB_DNN_LAYOUT_NHWC, HB_DNN_TENSOR_TYPE_S8, shape,
                                         false, 0, 0, 0);
    rc |= hbDNNConvertLayoutToNative1111(dst, src, HB_DNN_LAYOUT_NHWC, HB_DNN_TENSOR_TYPE_S8, shape,
                                         false, coord);
    rc |= hbDNNAddPaddingWithStride(dst, src, 4, dims, strides, 1);
    rc |= hbDNNRemovePaddingWithStride(dst, src, 4, dims, strides, 1);
    rc |= hbDNNAddPadding(dst, shape, src, shape, HB_DNN_TENSOR_TYPE_S8);
    rc |= hbDNNRemovePadding(dst, shape, src, shape, HB_DNN_TENSOR_TYPE_S8);
    rc |= hbDNNConvertEndianness(dst, src, sizeof src);
    (void)native;
    (void)from;
    (void)kind;
    (void)dtype;
    return rc;
}

/* The rest: memory from DDR images, ROI inference, resize, callbacks, registration, errors. */
int32_t api_usage_misc(hbDNNTaskHandle_t task, const void *image, int32_t image_len)
{
    hbPackedDNNHandle_t packed = NULL;
    hbDNNHandle_t dnn = NULL;
    hbDNNTaskHandle_t roi_task = NULL, resize_task = NULL;
    hbDNNTensor in, out;
    hbDNNTensor *outp = &out;
    hbDNNRoi roi = {0, 0, 127, 127};
    hbDNNInferCtrlParam ctrl;
    hbDNNResizeCtrlParam rctrl;
    hbDNNTaskDoneCb cb = on_done;
    hbSysMem mem, user;
    char bytes[16] = {0};
    char buf[64];
    int32_t status = 0, rc = 0;
    hbDNNTensorLayout layout = HB_DNN_LAYOUT_NONE;
    hbDNNDataType type = HB_DNN_TENSOR_TYPE_MAX;
    hbDNNQuantiType qt = SCALE;
    hbDNNQuantiShift shift = {1, NULL};
    hbDNNQuantiScale scale = {1, NULL, 0, NULL};
    hbDNNTaskPriority prio = HB_DNN_PRIORITY_HIGHEST;
    hbBPUCore core = HB_BPU_CORE_1;
    hbDSPCore dsp = HB_DSP_CORE_0;
    hbSysMemFlushFlag flag = HB_SYS_MEM_CACHE_CLEAN;
    hbSysStatus sys = HB_SYS_OUT_OF_MEMORY;
    hbDNNStatus st = HB_DNN_TIMEOUT;
    hbDNNResizeType resize_type = HB_DNN_RESIZE_TYPE_BILINEAR;
    unsigned api_version[3] = {HB_DNN_VERSION_MAJOR, HB_DNN_VERSION_MINOR, HB_DNN_VERSION_PATCH};
    const char *version = hbDNNGetVersion();
    const char *err = hbDNNGetErrorDesc(HB_DNN_INVALID_MODEL);

    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    in.properties.shift = shift;
    in.properties.scale = scale;
    in.properties.quantiType = qt;
    in.properties.tensorLayout = layout;
    in.properties.tensorType = type;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    ctrl.priority = prio;
    ctrl.bpuCoreId = core;
    ctrl.dspCoreId = dsp;
    HB_DNN_INITIALIZE_RESIZE_CTRL_PARAM(&rctrl);
    rctrl.resizeType = resize_type;
    rc |= hbDNNInitializeFromDDR(&packed, &image, &image_len, 1);
    rc |= hbDNNRoiInfer(&roi_task, &outp, &in, &roi, 1, dnn, &ctrl);
    rc |= hbDNNResize(&resize_task, &out, &in, &roi, &rctrl);
    rc |= hbDNNSetTaskDoneCb(task, cb, &status);
    rc |= hbSysAllocMem(&mem, sizeof bytes);
    rc |= hbSysWriteMem(&mem, bytes, sizeof bytes);
    rc |= hbSysReadMem(bytes, &mem, sizeof bytes);
    rc |= hbSysFlushMem(&mem, flag);
    rc |= hbSysFreeMem(&mem);
    user.phyAddr = 0;
    user.virAddr = buf;
    user.memSize = sizeof buf;
    rc |= hbSysRegisterMem(&user);
    rc |= hbSysUnregisterMem(&user);
    (void)sys;
    (void)st;
    (void)api_version;
    (void)version;
    (void)err;
    return rc;
}
