/* NumPy .npy files <-> standalone hbg tensors.
 *
 * Reads format versions 1.0, 2.0 and 3.0 with little-endian (or byte-order-free) dtypes float32,
 * float64, int8, uint8, int32, int64 and bool, C order only; the data size must equal the shape's.
 * Anything else (Fortran order, big-endian, object arrays, truncated files, hostile header sizes)
 * is refused with a message naming the file. Writes version 1.0, to "<path>.tmp" renamed over path
 * when complete.
 */
#ifndef HBG_NPY_H
#define HBG_NPY_H

#include <stddef.h>
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Load path into a new tensor named name (free with hbg_tensor_free). err gets the message. */
hbg_status hbg_npy_load(const char *path, const char *name, hbg_tensor **out, char *err,
                        size_t errlen);
/* Parse an in-memory .npy image (label names it in messages). */
hbg_status hbg_npy_parse(const void *buf, size_t len, const char *label, const char *name,
                         hbg_tensor **out, char *err, size_t errlen);
/* Save a tensor with data and known shape. */
hbg_status hbg_npy_save(const char *path, const hbg_tensor *t, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* HBG_NPY_H */
