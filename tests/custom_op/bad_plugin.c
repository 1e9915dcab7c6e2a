/* Broken custom-op plugins for the loader's error paths (test_custom_op.c), one per BAD_KIND:
 *   1  exports no hb_custom_op_plugin_v1 symbol;
 *   2  declares ABI version 99;
 *   3  names a built-in operator (Relu). */
#include <stddef.h>

#include "dnn/hb_dnn_plugin.h"

static int32_t bad_infer(const hbCustomOpContext *ctx, int32_t numInputs,
                         const hbCustomOpTensor *in, int32_t numOutputs, hbCustomOpTensor *out,
                         size_t *scratchBytes)
{
    (void)ctx;
    (void)numInputs;
    (void)numOutputs;
    out[0] = in[0];
    *scratchBytes = 0;
    return 0;
}

static int32_t bad_compute(const hbCustomOpContext *ctx, int32_t numInputs,
                           const hbCustomOpTensor *in, int32_t numOutputs, hbCustomOpTensor *out,
                           void *scratch)
{
    (void)ctx;
    (void)numInputs;
    (void)in;
    (void)numOutputs;
    (void)out;
    (void)scratch;
    return -1;
}

static const hbCustomOpV1 ops[] = {
    {BAD_KIND == 3 ? "Relu" : "BadOp", 1, 1, 1, bad_infer, bad_compute},
};

#if BAD_KIND == 1
#define SYMBOL hb_custom_op_plugin_v0
#else
#define SYMBOL hb_custom_op_plugin_v1
#endif
extern const hbCustomOpLibraryV1 SYMBOL;
__attribute__((visibility("default")))
const hbCustomOpLibraryV1 SYMBOL = {BAD_KIND == 2 ? 99u : HB_CUSTOM_OP_ABI_VERSION, 1, ops};
