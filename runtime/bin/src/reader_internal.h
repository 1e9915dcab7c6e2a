/* Private to the .bin reader: little-endian field access, error reporting and the open file. */
#ifndef HB_BIN_READER_INTERNAL_H
#define HB_BIN_READER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hb_bin/bin_reader.h"

/* Where errors go: "label: message" into err[errsz]. */
typedef struct hbbin_rd {
    const char *label;
    char *err;
    size_t errsz;
} hbbin_rd;

hbbin_status hbbin_fail(hbbin_rd *r, hbbin_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A validated section table entry. */
typedef struct hbbin_sec {
    uint32_t kind, model;
    uint64_t off, size;
    uint32_t crc, id;
} hbbin_sec;

/* The sections of one model, as indices into the section table (-1: absent). Blobs are listed
 * in table order. */
typedef struct hbbin_model_secs {
    long model, strings, tensors, qparams, preprocess, params;
    uint32_t blob_count;
    long *blobs;
} hbbin_model_secs;

/* Everything one decoded model owns. */
typedef struct hbbin_model_store {
    hbbin_tensor *tensors; /* inputs then outputs */
    uint8_t *qcopy;        /* aligned copy of QPARAMS (scales, zero points, shifts) */
    hbbin_preprocess *preprocess;
    hbbin_param *params;
    hbbin_blob *blobs;
} hbbin_model_store;

struct hbbin_file {
    const uint8_t *data; /* file image */
    size_t size;
    void *map; /* mmap of hbbin_open_file, or NULL */
    size_t map_size;
    hbbin_info info;
    hbbin_model *models;
    hbbin_model_store *stores;
};

/* Validate every LAYER_MAP blob of a decoded model against its BPU_PROGRAM (layer_map.c). */
hbbin_status hbbin_check_layer_maps(hbbin_rd *r, const hbbin_model *m);

static inline uint16_t hbbin_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t hbbin_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t hbbin_rd64(const uint8_t *p)
{
    return (uint64_t)hbbin_rd32(p) | ((uint64_t)hbbin_rd32(p + 4) << 32);
}

static inline float hbbin_rdf32(const uint8_t *p)
{
    uint32_t u = hbbin_rd32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* 1 if n bytes at p are all zero. */
static inline int hbbin_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Decode and validate model `mi` of f from its sections; fills f->models[mi], f->stores[mi]. */
hbbin_status hbbin_decode_model(hbbin_rd *r, hbbin_file *f, const hbbin_sec *secs,
                                const hbbin_model_secs *ms, uint32_t mi);

/* 1 if two of the n strings are equal, *dup then pointing at one of them (sorts a copy; n may be
 * 0); 0 if all differ; -1 if out of memory. */
int hbbin_has_duplicate(const char *const *names, size_t n, const char **dup);

#endif
