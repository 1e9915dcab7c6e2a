/* Fuzz target: the .npy parser must never crash or leak on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "hbg/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hbg_tensor *t = NULL;
    char err[256];
    if (hbg_npy_parse(data, size, "fuzz", "x", &t, err, sizeof err) == HBG_OK)
        hbg_tensor_free(t);
    return 0;
}
