/* hbperf: the static performance report of compiled BPU programs (docs/hb_perf.md), shared by
 * hb_perf (runtime/tools/hb_perf.c, from a .bin) and hb_mapper makertbin (converter/tools/
 * mapper_compile.c, right after compiling), so both write the same JSON and HTML for the same
 * program.
 *
 * Figures come from the simulator's static estimate (bpu_program_estimate), which is the cycle
 * model with execution switched off, so they equal what the simulator counts when it runs the
 * program. Per-layer figures come from the .bin's LAYER_MAP (hb_bin/layer_map.h: the graph node
 * of each instruction) and the same schedule replayed with a trace (bpu_program_trace); without
 * it the breakdown is per instruction class (conv, load, ...) only.
 *
 * Units: cycles of the march's BPU clock; latency in ms = cycles / (clock_mhz * 1000);
 * MB = 10^6 bytes; BPU OPs = 2 x MACs (a multiply and an add each).
 * The library never prints; errors go to err (NUL-terminated when errlen > 0). */
#ifndef HB_PERF_REPORT_H
#define HB_PERF_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "bpu/march.h"
#include "bpu/sim.h"

/* One layer (graph node) of a BPU subgraph: the instructions the compiler emitted for it, in the
 * static schedule. Busy cycles and byte counts add up over the layers to the subgraph's. */
typedef struct hbperf_layer {
    const char *name;           /* graph node name (points into the sub's layer_text) */
    const char *op_type;        /* its op type */
    uint64_t insns;             /* instructions attributed to it (0: no code, e.g. a Flatten) */
    uint64_t busy[BPU_Q_COUNT]; /* busy cycles on the LOAD, EXEC, STORE queues */
    int has_span;               /* 1 when it has LOAD/EXEC/STORE instructions (start, end valid) */
    uint64_t start, end;        /* cycles from program start: its span, from the first issue of its
                                   EXEC/STORE instructions (of its LOADs when it has none) to the
                                   last retirement of its LOAD/EXEC/STORE instructions (barriers,
                                   which wait for every queue, are left out; spans of neighbours
                                   overlap where queues run in parallel) */
    int has_load, has_compute;  /* it has LOAD / EXEC or STORE instructions */
    uint64_t load_start;        /* first issue of its LOADs: weights may be prefetched several
                                   layers before its span starts (docs/compiler.md) */
    uint64_t barrier_cycles;    /* cycles of its SYNC / END barriers (not in any queue) */
    uint64_t macs;              /* CONV multiply-accumulates */
    uint64_t ddr_load_bytes, ddr_store_bytes;
} hbperf_layer;

/* One BPU subgraph: its name and the static estimate of its program. */
typedef struct hbperf_sub {
    char name[320];       /* "<model>_subgraph_<k>" */
    uint64_t insns;       /* instructions in the program, END included */
    bpu_counters est;     /* the static estimate */
    uint64_t const_bytes; /* size of its constant blob (weights, records, tables) */
    int n_layers;         /* 0: no layer map, per-layer figures unavailable */
    hbperf_layer *layers; /* n_layers rows in the compiler's node order; owned */
    char *layer_text;     /* the names the rows point into; owned */
} hbperf_sub;

/* A model: the sum over its BPU subgraphs (run one after the other; CPU work not counted, as
 * the reference's hb_perf does not count it either). */
typedef struct hbperf_model {
    const char *name;
    bpu_march_id march;
    int n_sub;
    const hbperf_sub *sub;
} hbperf_model;

/* Load program bytes for march and fill s->insns and s->est (s->name and s->const_bytes are
 * the caller's). Returns 0, or -1 with the simulator's message (instruction index and field). */
int hbperf_sub_estimate(const uint8_t *program, size_t len, bpu_march_id march, hbperf_sub *s,
                        char *err, size_t errlen);

/* Per-layer rows of s (s->layers, replacing any) from the LAYER_MAP blob (map, map_len bytes) of
 * the program, by replaying its static schedule with a trace: every instruction's busy cycles,
 * MACs and DDR bytes go to its layer. Also sets s->insns and s->est. Returns 0, or -1 with a
 * message naming s (a map that does not validate against the program, or out of memory). */
int hbperf_sub_layers(hbperf_sub *s, const uint8_t *program, size_t len, bpu_march_id march,
                      const uint8_t *map, size_t map_len, char *err, size_t errlen);

/* Release what s owns (the layer rows); s itself is the caller's. */
void hbperf_sub_free(hbperf_sub *s);

/* Sum of the subgraphs' counters (cycles, queue and class cycles, MACs, DDR bytes; sram_peak is
 * the maximum). */
void hbperf_model_total(const hbperf_model *m, bpu_counters *total);

/* Latency in ms of a cycle count at the march's clock. */
double hbperf_ms(uint64_t cycles, bpu_march_id march);

/* MACs / (cycles x MAC per cycle of the march), 0 .. 1; 0 when cycles is 0. */
double hbperf_mac_utilisation(const bpu_counters *c, bpu_march_id march);

/* Write m's JSON (docs/hb_perf.md: summary, layer details, subgraphs, instruction classes) /
 * HTML page (the summary, inline SVG bars of latency per subgraph and per instruction class and
 * of DDR bytes per subgraph, the subgraph table, and when every subgraph has layer rows the
 * layer table with bars of each layer's span and DDR bytes) to path through a temporary file
 * renamed when complete. Returns 0, or -1 with a message naming path. */
int hbperf_write_json(const hbperf_model *m, const char *path, char *err, size_t errlen);
int hbperf_write_html(const hbperf_model *m, const char *path, char *err, size_t errlen);

/* The one-line summary of the compile log: "FPS=%.2f, latency = %.1f us, DDR = %llu bytes"
 * into buf (NUL-terminated when len > 0). */
void hbperf_summary_line(const hbperf_model *m, char *buf, size_t len);

#endif /* HB_PERF_REPORT_H */
