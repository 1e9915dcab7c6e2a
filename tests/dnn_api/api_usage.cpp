// Build check that a C++ program written like the public C++ samples (bpu_wrapper-style:
// nullptr, static_cast, auto, references) compiles against our headers: extern "C" linkage,
// the unprefixed hbDNNQuantiType enumerators, the brace-block initialiser macros, bool arguments;
// and links against libdnn.so with no undefined symbol (tests/dnn_api/CMakeLists.txt).
#include <cstdint>
#include <cstring>
#include <vector>

#include "abi_checks.h"
#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn/hb_sys.h"

namespace
{

struct Model {
    hbPackedDNNHandle_t packed = nullptr;
    hbDNNHandle_t dnn = nullptr;
    std::vector<hbDNNTensor> inputs;
    std::vector<hbDNNTensor> outputs;
};

int32_t prepare_tensors(Model &m)
{
    int32_t count = 0;
    auto rc = hbDNNGetInputCount(&count, m.dnn);
    if (rc != HB_DNN_SUCCESS)
        return rc;
    m.inputs.resize(static_cast<size_t>(count));
    for (int32_t i = 0; i < count; i++) {
        auto &t = m.inputs[static_cast<size_t>(i)];
        std::memset(&t, 0, sizeof t);
        rc = hbDNNGetInputTensorProperties(&t.properties, m.dnn, i);
        if (rc != 0)
            return rc;
        rc = hbSysAllocCachedMem(&t.sysMem[0], static_cast<uint32_t>(t.properties.alignedByteSize));
        if (rc != 0)
            return rc;
    }
    rc = hbDNNGetOutputCount(&count, m.dnn);
    if (rc != 0)
        return rc;
    m.outputs.resize(static_cast<size_t>(count));
    for (int32_t i = 0; i < count; i++) {
        auto &t = m.outputs[static_cast<size_t>(i)];
        std::memset(&t, 0, sizeof t);
        rc = hbDNNGetOutputTensorProperties(&t.properties, m.dnn, i);
        if (rc == 0 && t.properties.quantiType == SCALE && t.properties.scale.scaleLen > 0) {
            const float *s = t.properties.scale.scaleData;
            (void)s;
        } else if (rc == 0 && t.properties.quantiType == SHIFT) {
            const uint8_t *s = t.properties.shift.shiftData;
            (void)s;
        }
        if (rc == 0)
            rc = hbSysAllocCachedMem(&t.sysMem[0],
                                     static_cast<uint32_t>(t.properties.alignedByteSize));
        if (rc != 0)
            return rc;
    }
    return 0;
}

} // namespace

int32_t api_usage_cpp(const char *file, const uint8_t *frame, size_t frame_size);

int32_t api_usage_cpp(const char *file, const uint8_t *frame, size_t frame_size)
{
    Model m;
    const char **names = nullptr;
    int32_t name_count = 0;
    hbDNNTaskHandle_t task = nullptr;
    auto rc = hbDNNInitializeFromFiles(&m.packed, &file, 1);
    if (rc == 0)
        rc = hbDNNGetModelNameList(&names, &name_count, m.packed);
    if (rc == 0)
        rc = hbDNNGetModelHandle(&m.dnn, m.packed, names[0]);
    if (rc == 0)
        rc = prepare_tensors(m);
    if (rc == 0 && !m.inputs.empty()) {
        auto &in = m.inputs[0];
        std::memcpy(in.sysMem[0].virAddr, frame, frame_size);
        rc = hbSysFlushMem(&in.sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    }
    if (rc == 0) {
        hbDNNInferCtrlParam ctrl;
        HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
        auto *out = m.outputs.data();
        rc = hbDNNInfer(&task, &out, m.inputs.data(), m.dnn, &ctrl);
    }
    if (rc == 0)
        rc = hbDNNWaitTaskDone(task, 0);
    for (auto &t : m.outputs)
        if (rc == 0)
            rc = hbSysFlushMem(&t.sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
    if (task != nullptr)
        hbDNNReleaseTask(task);
    for (auto &t : m.inputs)
        hbSysFreeMem(&t.sysMem[0]);
    for (auto &t : m.outputs)
        hbSysFreeMem(&t.sysMem[0]);
    hbDNNRelease(m.packed);
    if (rc != 0) {
        const char *why = hbDNNGetErrorDesc(rc);
        (void)why;
    }
    return rc;
}
