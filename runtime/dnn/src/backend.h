/* The backend vtable of libdnn (ARCHITECTURE 7): what runs the BPU steps of a schedule. A backend
 * loads the BPU programs of a model once, creates per-worker contexts (the DDR segment buffers and
 * the executor instance) and runs one BPU step on a context. The `sim` backend is the
 * instruction-level simulator; a hardware driver would implement the same table. */
#ifndef HB_DNN_BACKEND_H
#define HB_DNN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_reader.h"
#include "schedule.h"

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
    /* Run BPU step `step`; *cycles receives its modelled cycles. 0 or an hbDNNStatus code. */
    int32_t (*run)(void *ctx, uint32_t step, uint64_t *cycles, char *err, size_t errsz);
} hb_backend;

/* The simulator backend. */
extern const hb_backend hb_backend_sim;

#endif
