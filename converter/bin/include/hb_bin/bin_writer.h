/* Writer of the .bin container (docs/bin-format.md): a builder that collects models, tensors,
 * preprocess parameters, conversion parameters and blobs, then lays them out and writes the file
 * atomically. Everything added is copied; the caller keeps ownership of what it passes in. Before
 * anything is written, the image is run through the reader (hb_bin/bin_reader.h), so the writer
 * never produces a file the runtime would refuse. */
#ifndef HB_BIN_WRITER_H
#define HB_BIN_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_format.h"
#include "hb_bin/bin_reader.h"

typedef struct hbbw hbbw;

/* A builder for a file of march `march` (hbbin_march) written by toolchain version
 * toolchain[0].toolchain[1].toolchain[2]. NULL if out of memory or march is unknown. */
hbbw *hbbw_create(uint32_t march, const uint16_t toolchain[3]);

/* Free a builder; NULL is a no-op. */
void hbbw_free(hbbw *w);

/* Add a model named `name` (non-empty, unique); *model receives its index (0, 1, ...). At most
 * HBBIN_MAX_MODELS models. */
hbbin_status hbbw_add_model(hbbw *w, const char *name, uint32_t *model);

/* Append a tensor to the inputs (is_input = 1) or outputs of `model`, in model order. `t`'s name
 * and quantisation arrays (scales, zero_points, shifts, as its counts say) are copied. */
hbbin_status hbbw_add_tensor(hbbw *w, uint32_t model, int is_input, const hbbin_tensor *t);

/* Set the input_source (HBBIN input source code: 0 DDR, 1 resizer, 2 pyramid) of input `input`
 * of `model`, an input already added. */
hbbin_status hbbw_set_input_source(hbbw *w, uint32_t model, uint32_t input, uint32_t source);

/* Set the preprocess parameters of input p->input of `model` (once per input). */
hbbin_status hbbw_add_preprocess(hbbw *w, uint32_t model, const hbbin_preprocess *p);

/* Add a conversion parameter (key non-empty and unique within the model; value may be ""). */
hbbin_status hbbw_add_param(hbbw *w, uint32_t model, const char *key, const char *value);

/* Add a blob of `kind` (HBBIN_SEC_BPU_PROGRAM .. HBBIN_SEC_SCHEDULE) and `id` ((kind, id) unique
 * within the model) holding `size` bytes copied from `data` (NULL allowed when size is 0). */
hbbin_status hbbw_add_blob(hbbw *w, uint32_t model, uint32_t kind, uint32_t id, const void *data,
                           uint64_t size);

/* Lay the file out into a malloc'd image (*out, *size; the caller frees *out) and validate it
 * with the reader. Errors go to err[errsz] as one line. */
hbbin_status hbbw_serialize(const hbbw *w, uint8_t **out, size_t *size, char *err, size_t errsz);

/* Serialize and write to `path` through a temporary file in the same directory, renamed over
 * `path` only when complete. */
hbbin_status hbbw_write(const hbbw *w, const char *path, char *err, size_t errsz);

/* hb_pack: copy the models of `count` (>= 2) .bin files into one packed file at `output`. The
 * inputs must share the march, must not be packed themselves, and model names must stay unique.
 * The output records `toolchain` as its writer version. */
hbbin_status hbbw_pack(const char *const *inputs, uint32_t count, const char *output,
                       const uint16_t toolchain[3], char *err, size_t errsz);

#endif
