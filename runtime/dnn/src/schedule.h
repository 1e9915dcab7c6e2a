/* The schedule of a model (blob kind SCHEDULE, id 0; byte format in docs/bin-model.md section 3):
 * numbered model tensors with their element type, logical shape, storage and quantisation, and
 * the ordered steps (BPU subgraph, CPU subgraph, quantize, dequantize, convert) over them. */
#ifndef HB_DNN_SCHEDULE_H
#define HB_DNN_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_reader.h"

#define HB_SCHED_MAGIC       "HBSC"
#define HB_SCHED_VERSION     1u
#define HB_SCHED_HEADER_SIZE 32u
#define HB_SCHED_TENSOR_SIZE 104u
#define HB_SCHED_STEP_SIZE   48u
#define HB_SCHED_MAX_ITEMS   65536u /* tensors, steps */
#define HB_SCHED_SEGMENTS    8u     /* BPU DDR segments; 0 is the constants blob */

/* Where a model tensor's bytes live. */
typedef enum hb_loc {
    HB_LOC_BUFFER = 0,  /* a buffer of the execution context */
    HB_LOC_SEGMENT = 1, /* DDR segment `seg` (1..7) of BPU step `index`, at `offset` */
    HB_LOC_INPUT = 2,   /* the user's buffer of model input `index` */
    HB_LOC_OUTPUT = 3,  /* the user's buffer of model output `index` */
    HB_LOC_COUNT
} hb_loc;

typedef enum hb_step_kind {
    HB_STEP_BPU = 1,        /* run BPU program `blob` (constants blob `blob` in segment 0) */
    HB_STEP_CPU = 2,        /* run CPU subgraph `blob` on the float executor */
    HB_STEP_QUANTIZE = 3,   /* F32 -> S8 with the output's scales */
    HB_STEP_DEQUANTIZE = 4, /* S8 / S32 -> F32 with the input's scales */
    HB_STEP_CONVERT = 5,    /* same element type and shape, other storage (layout change) */
    HB_STEP_KIND_END
} hb_step_kind;

typedef struct hb_sched_tensor {
    uint32_t dtype; /* hbDNNDataType: S8, U8, S32 or F32 */
    uint32_t elem;  /* bytes per element */
    uint32_t ndim;
    int32_t dims[8];    /* logical shape */
    hb_loc loc;         /* storage */
    uint32_t index;     /* SEGMENT: step; INPUT/OUTPUT: model input/output index */
    uint32_t seg;       /* SEGMENT: 1..7 */
    uint32_t offset;    /* SEGMENT: byte offset */
    int32_t strides[8]; /* BUFFER/SEGMENT: bytes per step of each dim; INPUT/OUTPUT: perm */
    uint64_t extent;    /* BUFFER/SEGMENT: bytes from the first byte to the end of the last elem */
    uint32_t scale_n;   /* 0, 1 or dims[scale_axis] */
    uint32_t scale_axis;
    const float *scales; /* into the blob (copied, aligned) */
    int written_by;      /* step index that writes it; -1 for INPUT */
} hb_sched_tensor;

typedef struct hb_sched_step {
    hb_step_kind kind;
    uint32_t blob; /* BPU / CPU: blob id */
    uint32_t n_in, n_out;
    const uint32_t *in;                    /* tensor ids */
    const uint32_t *out;                   /* tensor ids */
    uint32_t seg_bytes[HB_SCHED_SEGMENTS]; /* BPU: bytes of segments 1..7 ([0] = constants) */
} hb_sched_step;

typedef struct hb_schedule {
    uint32_t n_tensors, n_steps;
    hb_sched_tensor *tensors;
    hb_sched_step *steps;
    uint32_t *lists;                       /* owned copy of the list pool */
    float *scales;                         /* owned copy of the scale pool */
    int32_t *input_tensor, *output_tensor; /* model input/output index -> tensor id */
} hb_schedule;

/* Parse and validate the SCHEDULE blob of model `m` against the model's tensor records and its
 * other blobs (every referenced blob exists). Errors: one line into err naming the field. */
int hb_schedule_parse(const hbbin_model *m, hb_schedule *s, char *err, size_t errsz);
void hb_schedule_free(hb_schedule *s);

/* Bytes per element of a schedule dtype (S8/U8 1, S32/F32 4), 0 for other types. */
uint32_t hb_sched_dtype_size(uint32_t dtype);

/* Find blob (kind, id) of m; NULL if absent. */
const hbbin_blob *hb_find_blob(const hbbin_model *m, uint32_t kind, uint32_t id);

#endif
