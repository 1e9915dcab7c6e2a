/* Fuzz target: the JPEG, PNG and BMP decoders must never crash, hang or leak on any bytes, and
 * whatever decodes must survive a resize (the first transformer every pipeline applies). */
#include <stddef.h>
#include <stdint.h>

#include "hbc/prep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hbc_image img = {0}, small = {0};
    char err[256];
    if (hbc_image_decode(data, size, "fuzz", &img, err, sizeof err) == HBG_OK &&
        hbc_image_resize(&img, 7, 5, &small, err, sizeof err) == HBG_OK)
        hbc_image_free(&small);
    hbc_image_free(&img);
    return 0;
}
