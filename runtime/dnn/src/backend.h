/* The backend vtable of libdnn (ARCHITECTURE 7): what runs the BPU steps of a schedule. A backend
 * loads the BPU programs of a model once, creates per-worker contexts (the DDR segment buffers and
 * the executor instance) and runs one BPU step on a context. Two backends run the programs on this
 * CPU (backend_bpu.c): `sim`, the instruction-level simulator with its cycle model (and optional
 * trace), and `board`, the same executor replaying each program's static issue order without the
 * cycle model (the board build's default). A hardware driver would implement the same table. */
#ifndef HB_DNN_BACKEND_H
#define HB_DNN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_reader.h"
#include "schedule.h"

/* Modelled BPU counters of the steps run (simulator counters; docs/bpu-isa.md). */
typedef struct hb_bpu_stats {
    uint64_t cycles;          /* modelled BPU cycles */
    uint64_t macs;            /* CONV multiply-accumulates */
    uint64_t ddr_load_bytes;  /* bytes LOAD read from DDR */
    uint64_t ddr_store_bytes; /* bytes STORE wrote to DDR */
    uint32_t steps;           /* BPU steps run */
} hb_bpu_stats;

typedef struct hb_backend {
    const char *name;
    /* Load (decode + validate) the program of every BPU step of `s`; *estimate_cycles is the
     * modelled cycle count of one inference and *clock_mhz the march's clock. Returns 0 or an
     * hbDNNStatus code with a message in err. */
    int32_t (*load)(const hbbin_model *m, uint32_t march, const hb_schedule *s, void **out,
                    uint64_t *estimate_cycles, uint32_t *clock_mhz, char *err, size_t errsz);
    void (*unload)(void *loaded);
    /* A context: segment buffers of every BPU step (zero-filled, constants copied into segment
     * 0) and an executor. Used by one thread at a time. */
    int32_t (*ctx_create)(void *loaded, void **out, char *err, size_t errsz);
    void (*ctx_free)(void *ctx);
    /* Bytes of segment `seg` of BPU step `step` in a context (where SEGMENT tensors live). */
    uint8_t *(*segment)(void *ctx, uint32_t step, uint32_t seg);
    /* Run BPU step `step` and add its counters to *stats. 0 or an hbDNNStatus code. */
    int32_t (*run)(void *ctx, uint32_t step, hb_bpu_stats *stats, char *err, size_t errsz);
} hb_backend;

/* The simulator backend and the board backend. */
extern const hb_backend hb_backend_sim;
extern const hb_backend hb_backend_board;

/* The backend models load with: HB_DNN_BACKEND (`sim` or `board`, any case) when set, else the
 * build's default (HB_DNN_DEFAULT_BACKEND: `board` for aarch64 builds, `sim` otherwise). Returns 0
 * or HB_DNN_INVALID_ARGUMENT with a message in err for an unknown value. */
int32_t hb_backend_select(const hb_backend **out, char *err, size_t errsz);

#endif
