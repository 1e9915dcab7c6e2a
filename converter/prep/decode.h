/* Internal to hbc_prep: one decoder per format, called by hbc_image_decode after it has
 * recognised the magic bytes. Same contract as hbc_image_decode. */
#ifndef HBC_PREP_DECODE_H
#define HBC_PREP_DECODE_H

#include <stddef.h>

#include "hbc/prep.h"

hbg_status hbc_decode_jpeg(const void *buf, size_t len, const char *label, hbc_image *out,
                           char *err, size_t errlen);
hbg_status hbc_decode_png(const void *buf, size_t len, const char *label, hbc_image *out, char *err,
                          size_t errlen);
hbg_status hbc_decode_bmp(const void *buf, size_t len, const char *label, hbc_image *out, char *err,
                          size_t errlen);

#endif /* HBC_PREP_DECODE_H */
