/* The .bin container, format 1.0: on-disk constants and the decoded (host) view of a model.
 * docs/bin-format.md is the byte-exact specification; the numbers here must match it. */
#ifndef HB_BIN_FORMAT_H
#define HB_BIN_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define HBBIN_MAGIC         "HBTC-BIN" /* 8 bytes, no NUL on disk */
#define HBBIN_VERSION_MAJOR 1
#define HBBIN_VERSION_MINOR 0
#define HBBIN_ALIGN         64u  /* every section starts at a multiple of this */
#define HBBIN_HEADER_SIZE   64u  /* file header */
#define HBBIN_ENTRY_SIZE    32u  /* one section table entry */
#define HBBIN_MODEL_SIZE    32u  /* MODEL section */
#define HBBIN_TENSOR_SIZE   160u /* one TENSORS record */
#define HBBIN_PREPROC_SIZE  64u  /* one PREPROCESS record */
#define HBBIN_PARAM_SIZE    8u   /* one PARAMS record */
#define HBBIN_MAX_SECTIONS  65536u
#define HBBIN_MAX_MODELS    256u
#define HBBIN_MAX_TENSORS   1024u     /* inputs, and separately outputs, per model */
#define HBBIN_MAX_DIM       (1 << 24) /* largest extent of one dimension */
#define HBBIN_MAX_NDIM      8
#define HBBIN_NO_STRING     0xFFFFFFFFu
#define HBBIN_FLAG_PACKED   1u

/* Header field `march`; same order as simulator/include/bpu/march.h's bpu_march_id. */
typedef enum hbbin_march {
    HBBIN_MARCH_BERNOULLI2 = 0,
    HBBIN_MARCH_BAYES = 1,
    HBBIN_MARCH_BAYES_E = 2,
    HBBIN_MARCH_COUNT
} hbbin_march;

/* Section table field `kind`. */
typedef enum hbbin_kind {
    HBBIN_SEC_MODEL = 1,
    HBBIN_SEC_STRINGS = 2,
    HBBIN_SEC_TENSORS = 3,
    HBBIN_SEC_QPARAMS = 4,
    HBBIN_SEC_PREPROCESS = 5,
    HBBIN_SEC_PARAMS = 6,
    HBBIN_SEC_BPU_PROGRAM = 16, /* first blob kind */
    HBBIN_SEC_CONSTANTS = 17,
    HBBIN_SEC_CPU_SUBGRAPH = 18,
    HBBIN_SEC_SCHEDULE = 19,
    HBBIN_SEC_LAYER_MAP = 20 /* last blob kind: per-instruction layers (hb_bin/layer_map.h) */
} hbbin_kind;

/* TENSORS field `quant_type` (the values of hbDNNQuantiType). */
typedef enum hbbin_quant {
    HBBIN_QUANT_NONE = 0,
    HBBIN_QUANT_SHIFT = 1,
    HBBIN_QUANT_SCALE = 2,
    HBBIN_QUANT_COUNT
} hbbin_quant;

/* PREPROCESS fields type_rt / type_train. */
typedef enum hbbin_input_type {
    HBBIN_IT_RGB = 0,
    HBBIN_IT_BGR = 1,
    HBBIN_IT_YUV444 = 2,
    HBBIN_IT_NV12 = 3,
    HBBIN_IT_GRAY = 4,
    HBBIN_IT_FEATUREMAP = 5,
    HBBIN_IT_COUNT
} hbbin_input_type;

/* Values of the TENSORS / PREPROCESS layout fields (those of hbDNNTensorLayout). */
#define HBBIN_LAYOUT_NHWC        0u
#define HBBIN_LAYOUT_NCHW        2u
#define HBBIN_LAYOUT_NONE        255u
#define HBBIN_DATA_TYPE_COUNT    19u /* data_type 0 .. 18 (hbDNNDataType without MAX) */
#define HBBIN_INPUT_SOURCE_COUNT 3u  /* DDR, resizer, pyramid */
#define HBBIN_MAX_SHIFT          31u

/* One tensor, decoded. Used both to describe tensors to the writer and as the reader's output.
 * Arrays are owned by whoever filled the struct (the reader: until hbbin_close). */
typedef struct hbbin_tensor {
    const char *name;
    uint32_t valid_ndim;
    int32_t valid_dims[HBBIN_MAX_NDIM];
    uint32_t aligned_ndim;
    int32_t aligned_dims[HBBIN_MAX_NDIM];
    int32_t stride[HBBIN_MAX_NDIM]; /* bytes per step of each valid dimension */
    uint32_t layout;                /* HBBIN_LAYOUT_* */
    uint32_t data_type;             /* hbDNNDataType, < HBBIN_DATA_TYPE_COUNT */
    hbbin_quant quant_type;
    int32_t quant_axis;         /* NONE: 0 */
    uint32_t aligned_byte_size; /* 1 .. INT32_MAX */
    uint32_t quant_count;       /* NONE: 0; else 1 or valid_dims[quant_axis] */
    const float *scales;        /* SCALE: quant_count entries; else NULL */
    uint32_t zero_point_count;  /* SCALE: 0 or quant_count */
    const int8_t *zero_points;  /* zero_point_count entries or NULL */
    const uint8_t *shifts;      /* SHIFT: quant_count entries (each <= 31); else NULL */
    uint32_t input_source;      /* inputs: 0 DDR, 1 resizer, 2 pyramid; outputs 0 */
} hbbin_tensor;

/* Preprocess parameters of one input, decoded. */
typedef struct hbbin_preprocess {
    uint32_t input;              /* input index */
    hbbin_input_type type_rt;    /* what the user feeds at run time */
    hbbin_input_type type_train; /* what the model was trained on */
    uint32_t layout_train;       /* HBBIN_LAYOUT_* */
    uint32_t yuv_range;          /* 0 full range, 1 BT.601 video range (nv12 only) */
    uint32_t channels;           /* 1 .. 4 entries used in mean/scale */
    float mean[4];
    float scale[4];
} hbbin_preprocess;

/* A typed blob; data points into the file image (reader) or the caller's buffer (writer). */
typedef struct hbbin_blob {
    hbbin_kind kind; /* HBBIN_SEC_BPU_PROGRAM .. HBBIN_SEC_LAYER_MAP */
    uint32_t id;     /* unique per (model, kind) */
    const uint8_t *data;
    uint64_t size;
} hbbin_blob;

/* One conversion parameter for hb_model_info. */
typedef struct hbbin_param {
    const char *key;
    const char *value;
} hbbin_param;

/* 1 if kind is one of the blob kinds. */
static inline int hbbin_kind_is_blob(uint32_t kind)
{
    return kind >= HBBIN_SEC_BPU_PROGRAM && kind <= HBBIN_SEC_LAYER_MAP;
}

/* "bernoulli2", "bayes", "bayes-e", or NULL for an id out of range. */
const char *hbbin_march_name(uint32_t march);

/* CRC32 (IEEE 802.3, reflected 0xEDB88320, init and final XOR 0xFFFFFFFF) of n bytes. Pass the
 * previous result as `crc` to continue a running CRC; start with 0. */
uint32_t hbbin_crc32(uint32_t crc, const void *data, size_t n);

#endif
