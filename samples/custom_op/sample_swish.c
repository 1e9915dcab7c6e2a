/* A custom CPU operator plugin (docs/custom-ops.md): "SampleSwish", y = x * sigmoid(beta * x)
 * with a float attribute beta (default 1.0), float32 input and output of any shape.
 *
 * Build it as a shared library that links nothing but libm; the converter loads it through
 * custom_op.op_register_files, a program through hbDNNRegisterCustomOpPlugin("libsample_swish.so").
 */
#include <math.h>
#include <stdio.h>

#include "dnn/hb_dnn_plugin.h"

/* The attribute, read the same way at prepare and at run time. */
static float beta_of(const hbCustomOpContext *ctx)
{
    float beta = 1.0f;
    (void)ctx->getAttrFloat(ctx, "beta", &beta); /* absent: keep the default */
    return beta;
}

static int32_t swish_infer(const hbCustomOpContext *ctx, int32_t numInputs,
                           const hbCustomOpTensor *in, int32_t numOutputs, hbCustomOpTensor *out,
                           size_t *scratchBytes)
{
    (void)numInputs;
    (void)numOutputs;
    if (in[0].dataType != HB_CUSTOM_OP_FLOAT32) {
        snprintf(ctx->error, ctx->errorSize, "input must be float32, got type %d",
                 (int)in[0].dataType);
        return -1;
    }
    if (!isfinite(beta_of(ctx))) {
        snprintf(ctx->error, ctx->errorSize, "attribute beta must be finite");
        return -1;
    }
    out[0] = in[0]; /* same type and shape */
    out[0].data = NULL;
    *scratchBytes = 0;
    return 0;
}

static int32_t swish_compute(const hbCustomOpContext *ctx, int32_t numInputs,
                             const hbCustomOpTensor *in, int32_t numOutputs, hbCustomOpTensor *out,
                             void *scratch)
{
    const float *x = in[0].data;
    float *y = out[0].data;
    const float beta = beta_of(ctx);
    int64_t n = 1;
    (void)numInputs;
    (void)numOutputs;
    (void)scratch;
    for (int32_t d = 0; d < in[0].rank; d++)
        n *= in[0].dims[d];
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] / (1.0f + expf(-beta * x[i]));
    return 0;
}

static const hbCustomOpV1 ops[] = {
    {.opType = "SampleSwish",
     .minInputs = 1,
     .maxInputs = 1,
     .numOutputs = 1,
     .infer = swish_infer,
     .compute = swish_compute},
};

/* The one symbol the host looks up (HB_CUSTOM_OP_PLUGIN_SYMBOL). */
extern const hbCustomOpLibraryV1 hb_custom_op_plugin_v1;
__attribute__((visibility("default"))) const hbCustomOpLibraryV1 hb_custom_op_plugin_v1 = {
    .abiVersion = HB_CUSTOM_OP_ABI_VERSION,
    .numOps = sizeof ops / sizeof ops[0],
    .ops = ops,
};
