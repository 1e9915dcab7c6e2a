/* Reader of the .bin container (docs/bin-format.md). Opening validates the whole container
 * (header, section table, CRCs, every record, string and enum) before anything is returned; after
 * a successful open all accessors are infallible and every pointer stays valid until
 * hbbin_close. Blob contents are returned as-is (their consumers validate them). */
#ifndef HB_BIN_READER_H
#define HB_BIN_READER_H

#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_format.h"

typedef enum hbbin_status {
    HBBIN_OK = 0,
    HBBIN_E_ARG,       /* NULL pointer or bad argument */
    HBBIN_E_IO,        /* cannot open, stat, read or map the file */
    HBBIN_E_NOMEM,     /* allocation failed */
    HBBIN_E_TRUNCATED, /* the data ends before the header / file_size says */
    HBBIN_E_CORRUPT,   /* a CRC, offset, size, count, string or enum value is wrong */
    HBBIN_E_VERSION,   /* format major version this reader does not know */
    HBBIN_E_FOREIGN,   /* not a .bin of this toolchain (e.g. a Horizon protobuf .bin) */
    HBBIN_STATUS_COUNT
} hbbin_status;

/* "ok", "truncated", ...; "?" for values out of range. */
const char *hbbin_status_name(hbbin_status s);

/* One model of a file, decoded and validated. */
typedef struct hbbin_model {
    const char *name;
    uint32_t input_count;  /* >= 1 */
    uint32_t output_count; /* >= 1 */
    const hbbin_tensor *inputs;
    const hbbin_tensor *outputs;
    uint32_t preprocess_count; /* 0 .. input_count, sorted by input index */
    const hbbin_preprocess *preprocess;
    uint32_t param_count;
    const hbbin_param *params;
    uint32_t blob_count; /* in file order */
    const hbbin_blob *blobs;
} hbbin_model;

/* Header facts of an open file. */
typedef struct hbbin_info {
    uint16_t version_major, version_minor; /* format version of the file */
    uint16_t toolchain[3];                 /* major, minor, patch of the writer */
    uint32_t march;                        /* hbbin_march */
    uint32_t flags;                        /* HBBIN_FLAG_* */
    uint32_t model_count;
} hbbin_info;

typedef struct hbbin_file hbbin_file;

/* Open a file image of `size` bytes at `data`, which the caller keeps unchanged and alive until
 * hbbin_close. `label` (e.g. the file name) prefixes error messages. On failure *out is NULL and
 * `err` (errsz bytes, may be NULL/0) holds a one-line message naming the offending field. */
hbbin_status hbbin_open_memory(const void *data, size_t size, const char *label, hbbin_file **out,
                               char *err, size_t errsz);

/* Map the file at `path` read-only and open it as hbbin_open_memory does. */
hbbin_status hbbin_open_file(const char *path, hbbin_file **out, char *err, size_t errsz);

/* Release a file and everything it handed out; NULL is a no-op. */
void hbbin_close(hbbin_file *f);

const hbbin_info *hbbin_file_info(const hbbin_file *f);

/* Model i (< model_count), or NULL. */
const hbbin_model *hbbin_model_at(const hbbin_file *f, uint32_t i);

/* The model called `name`, or NULL. */
const hbbin_model *hbbin_find_model(const hbbin_file *f, const char *name);

#endif
