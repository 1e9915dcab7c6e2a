/* The BPU instruction-level simulator: program loading (decode once + validate), the functional
 * executor and the cycle model. Timing is a pure function of the instruction fields and the march;
 * the static estimate is the same scheduling code with execution switched off, so the two agree by
 * construction.
 *
 * Lifecycle: bpu_program_load (bytes -> validated program; also computes the static estimate),
 * bpu_sim_create (SRAM + scratch, kernel variant chosen once), bpu_sim_set_segment per task,
 * bpu_sim_run (no allocation after the first run of the largest program). Neither object is
 * thread-safe; one program may be run by several simulators concurrently (it is read-only). */
#ifndef BPU_SIM_H
#define BPU_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "bpu/isa.h"
#include "bpu/kernels.h"
#include "bpu/march.h"

typedef struct bpu_counters {
    uint32_t clock_mhz;               /* of the march the counts are for */
    uint64_t cycles;                  /* modelled BPU cycles, END retired */
    uint64_t queue_busy[BPU_Q_COUNT]; /* busy cycles of the LOAD, EXEC, STORE queues */
    uint64_t op_cycles[BPU_OP_COUNT]; /* cycles per instruction class */
    uint64_t op_count[BPU_OP_COUNT];  /* instructions per class */
    uint64_t macs;                    /* CONV multiply-accumulates */
    uint64_t ddr_load_bytes;          /* bytes read from DDR by LOAD */
    uint64_t ddr_store_bytes;         /* bytes written to DDR by STORE */
    uint64_t sram_peak;               /* highest SRAM address the program touches, + 1 */
    uint32_t end_code;                /* END's code field */
} bpu_counters;

/* One retired instruction, for the optional trace. Times in cycles from program start. */
typedef struct bpu_trace_event {
    int64_t index;
    uint32_t opcode;
    uint32_t queue; /* bpu_queue, BPU_Q_BARRIER for SETBASE/SYNC/END */
    uint64_t start, end;
    uint64_t macs;      /* CONV multiply-accumulates of this instruction (as counted in macs) */
    uint64_t ddr_bytes; /* LOAD: bytes read from DDR, STORE: bytes written; else 0 */
} bpu_trace_event;
typedef void (*bpu_trace_fn)(void *user, const bpu_trace_event *ev);

typedef struct bpu_program bpu_program;

/* Decode and validate len bytes (a multiple of 64) for a march: every field, SRAM range and
 * alignment; END exactly once, as the last instruction; dependency tokens legal, balanced at
 * every barrier and free of deadlock. Errors name the instruction index and the field. */
bpu_status bpu_program_load(const uint8_t *bytes, size_t len, bpu_march_id march, bpu_program **out,
                            bpu_error *err);
void bpu_program_free(bpu_program *p); /* NULL is a no-op */
size_t bpu_program_size(const bpu_program *p);
const bpu_insn *bpu_program_insn(const bpu_program *p, size_t index);
/* The static estimate (no data touched), computed at load. */
const bpu_counters *bpu_program_estimate(const bpu_program *p);

/* Replay the static estimate with a per-instruction trace: the cycle model of bpu_program_load
 * and bpu_sim_run, nothing executed, fn called once per instruction in issue order. *out (may be
 * NULL) gets the counters, equal to bpu_program_estimate's. BPU_E_NOMEM when the scheduler's
 * workspace cannot be allocated. */
bpu_status bpu_program_trace(const bpu_program *p, bpu_trace_fn fn, void *user, bpu_counters *out,
                             bpu_error *err);

typedef struct bpu_sim bpu_sim;

/* kernels NULL: bpu_kernels_select() (HB_ISA or the best variant of this CPU). */
bpu_status bpu_sim_create(bpu_march_id march, const bpu_kernels *kernels, bpu_sim **out,
                          bpu_error *err);
void bpu_sim_destroy(bpu_sim *s); /* NULL is a no-op */
const bpu_kernels *bpu_sim_kernels(const bpu_sim *s);

/* SRAM contents (sram_bytes of the march); tests and the runtime may preload it. */
uint8_t *bpu_sim_sram(bpu_sim *s);

/* Bind DDR segment seg (0..7) to a caller-owned buffer for the next runs (NULL/0 unbinds). */
bpu_status bpu_sim_set_segment(bpu_sim *s, uint32_t seg, uint8_t *base, size_t size,
                               bpu_error *err);

/* Optional per-instruction trace (fn NULL switches it off). */
void bpu_sim_set_trace(bpu_sim *s, bpu_trace_fn fn, void *user);

/* Host time of the functional executor, for benchmarks (tests/bench/bench_sim_network). Every field
 * is nanoseconds of CLOCK_MONOTONIC, added to by each run while the profile is attached. */
typedef struct bpu_host_profile {
    uint64_t op_ns[BPU_OP_COUNT]; /* whole execution of each instruction class */
    uint64_t conv_kernel_ns;      /* of op_ns[BPU_OP_CONV]: the CONV kernel calls (with any fused
                                     requantisation) */
    uint64_t conv_requant_ns;     /* of op_ns[BPU_OP_CONV]: separate requantiser passes */
    uint64_t insns;               /* instructions executed */
} bpu_host_profile;

/* Attach a profile (NULL detaches). Timing each instruction costs host time itself: measure the
 * total of unprofiled runs separately. */
void bpu_sim_set_profile(bpu_sim *s, bpu_host_profile *prof);

/* Execute a program (its march must be the simulator's). Faults (DDR access outside a segment,
 * illegal parameter records in SRAM) stop the run with BPU_E_FAULT naming the instruction. */
bpu_status bpu_sim_run(bpu_sim *s, const bpu_program *p, bpu_counters *out, bpu_error *err);

/* Execute a program for its data effects only: the instructions in the issue order the cycle
 * model gave them at load (bpu_program_load records it; it depends on the fields alone), without
 * the scheduler, counters or trace. Memories end exactly as after bpu_sim_run, faults are the
 * same; the modelled counters are those of bpu_program_estimate. The `board` backend of libdnn
 * runs programs this way. A host profile, when attached, still applies. */
bpu_status bpu_sim_exec(bpu_sim *s, const bpu_program *p, bpu_error *err);

/* Counters as one JSON object into buf (NUL-terminated when len > 0); returns the length the full
 * text needs, like snprintf. */
size_t bpu_counters_json(const bpu_counters *c, char *buf, size_t len);

#endif
