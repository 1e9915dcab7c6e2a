/* The LAYER_MAP blob (docs/bin-model.md section 9): for BPU_PROGRAM k, the graph nodes ("layers")
 * it was compiled from and, per instruction, the layer it belongs to. hb_perf uses it for
 * per-layer figures; libdnn ignores it. Optional: a model without it is valid.
 *
 * Layout (little-endian): a 32-byte header ("HBLM", version 1, layer_count, insn_count,
 * strings_bytes, 12 reserved zero bytes), layer_count records of two u32 offsets into the string
 * pool (name, op type), insn_count u16 layer indices, zero padding to a multiple of 4, then the
 * string pool (NUL-terminated strings, last byte NUL). The size is exactly that. */
#ifndef HB_BIN_LAYER_MAP_H
#define HB_BIN_LAYER_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_reader.h"

#define HBBIN_LAYER_MAP_MAGIC      "HBLM" /* 4 bytes, no NUL on disk */
#define HBBIN_LAYER_MAP_VERSION    1u
#define HBBIN_LAYER_MAP_HEADER     32u    /* header bytes */
#define HBBIN_LAYER_MAP_RECORD     8u     /* bytes per layer record */
#define HBBIN_LAYER_MAP_MAX_LAYERS 65535u /* indices are u16 */
#define HBBIN_INSN_BYTES           64u    /* bytes per BPU instruction (docs/bpu-isa.md) */

/* A decoded, validated layer map. Strings point into the blob (valid while it is). */
typedef struct hbbin_layer_map {
    uint32_t layer_count;  /* 1 .. HBBIN_LAYER_MAP_MAX_LAYERS */
    uint32_t insn_count;   /* instructions of the BPU program, END included */
    const char **names;    /* per layer: the graph node's name, non-empty */
    const char **op_types; /* per layer: its op type, non-empty */
    uint16_t *insn_layer;  /* per instruction: layer index < layer_count */
} hbbin_layer_map;

/* Bytes of a layer map blob with these counts and string pool size (0 when they overflow). */
uint64_t hbbin_layer_map_size(uint32_t layer_count, uint32_t insn_count, uint32_t strings_bytes);

/* Decode and validate a LAYER_MAP blob of `size` bytes at data for a program of insn_count
 * instructions: magic, version, reserved bytes, exact size, counts, every string offset inside
 * the pool and every name non-empty, every index < layer_count. On failure *out is NULL and err
 * (errsz bytes) names the field. Release with hbbin_layer_map_free. */
hbbin_status hbbin_layer_map_parse(const uint8_t *data, uint64_t size, uint64_t insn_count,
                                   hbbin_layer_map **out, char *err, size_t errsz);
void hbbin_layer_map_free(hbbin_layer_map *lm); /* NULL is a no-op */

/* LAYER_MAP `id` of model m, or NULL when absent. */
const hbbin_blob *hbbin_layer_map_blob(const hbbin_model *m, uint32_t id);

#endif
