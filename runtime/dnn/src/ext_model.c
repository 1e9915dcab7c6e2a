/* Model queries and the byte-order helper of hb_dnn_ext.h (docs/runtime-api.md, "Descriptions,
 * tag, output operator types, endianness"): descriptions and the tag, which the .bin does not
 * store (every query answers "nothing attached"); the operator type of each output, from the
 * schedule step that computes it; hbDNNConvertEndianness on 4-byte elements. */
#include <stdint.h>
#include <string.h>

#include "dnn/hb_dnn_ext.h"
#include "dnn_internal.h"

/* What a description or tag query returns when the .bin has none: an empty, library-owned
 * string. */
static const char k_none[] = "";

/* The .bin (docs/bin-format.md) has no description records: every description is empty. */
static int32_t get_desc(const char **desc, uint32_t *size, int32_t *type, hbDNNHandle_t h,
                        int tensor, int in, int32_t idx, const char *fn)
{
    hb_model *m;
    if (!desc || !size || !type)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: NULL argument", fn);
    int32_t rc = tensor ? hb_model_get_tensor(h, in, idx, fn, &m) : hb_model_get(h, fn, &m);
    if (rc)
        return rc;
    *desc = k_none;
    *size = 0;
    *type = HB_DNN_DESC_TYPE_UNKNOWN;
    return 0;
}

int32_t hbDNNGetInputDesc(const char **desc, uint32_t *size, int32_t *type, hbDNNHandle_t dnnHandle,
                          int32_t inputIndex)
{
    return get_desc(desc, size, type, dnnHandle, 1, 1, inputIndex, "hbDNNGetInputDesc");
}

int32_t hbDNNGetOutputDesc(const char **desc, uint32_t *size, int32_t *type,
                           hbDNNHandle_t dnnHandle, int32_t outputIndex)
{
    return get_desc(desc, size, type, dnnHandle, 1, 0, outputIndex, "hbDNNGetOutputDesc");
}

int32_t hbDNNGetModelDesc(const char **desc, uint32_t *size, int32_t *type, hbDNNHandle_t dnnHandle)
{
    return get_desc(desc, size, type, dnnHandle, 0, 0, 0, "hbDNNGetModelDesc");
}

int32_t hbDNNGetModelTag(const char **tag, hbDNNHandle_t dnnHandle)
{
    hb_model *m;
    if (!tag)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetModelTag: NULL argument");
    int32_t rc = hb_model_get(dnnHandle, "hbDNNGetModelTag", &m);
    if (rc == 0)
        *tag = k_none;
    return rc;
}

int32_t hbDNNGetOutputOperatorType(int32_t *operatorType, hbDNNHandle_t dnnHandle,
                                   int32_t outputIndex)
{
    hb_model *m;
    if (!operatorType)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetOutputOperatorType: NULL argument");
    int32_t rc = hb_model_get_tensor(dnnHandle, 0, outputIndex, "hbDNNGetOutputOperatorType", &m);
    if (rc)
        return rc;
    /* Follow the data steps (quantize, dequantize, convert: one input each) back to the step
     * that computes the output. The schedule's validation guarantees every step reads tensors
     * written earlier, so the walk ends within n_steps hops. */
    const hb_schedule *s = &m->sched;
    int step = s->tensors[s->output_tensor[outputIndex]].written_by;
    while (step >= 0 && s->steps[step].kind != HB_STEP_BPU && s->steps[step].kind != HB_STEP_CPU)
        step = s->tensors[s->steps[step].in[0]].written_by;
    /* A BPU program's output is a plain tensor; none of the special output operators of the
     * reference (detection post-processing, argmax, filter, ...) exists in this toolchain. */
    *operatorType = step >= 0 && s->steps[step].kind == HB_STEP_BPU
                        ? HB_DNN_OUTPUT_OPERATOR_TYPE_CONV
                        : HB_DNN_OUTPUT_OPERATOR_TYPE_UNKNOWN;
    return 0;
}

int32_t hbDNNConvertEndianness(void *output, const void *input, uint32_t size)
{
    if (!output || !input)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNConvertEndianness: NULL argument");
    if (size % 4)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNConvertEndianness: size %u is not a multiple of 4 (the function "
                           "reverses the bytes of each 4-byte element)",
                           size);
    /* byte-wise, so output may equal input and neither needs 4-byte alignment */
    const uint8_t *in = input;
    uint8_t *out = output;
    for (uint32_t i = 0; i < size; i += 4) {
        uint8_t b0 = in[i], b1 = in[i + 1], b2 = in[i + 2], b3 = in[i + 3];
        out[i] = b3;
        out[i + 1] = b2;
        out[i + 2] = b1;
        out[i + 3] = b0;
    }
    return 0;
}
