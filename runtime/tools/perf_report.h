/* hbperf: the static performance report of compiled BPU programs (docs/hb_perf.md), shared by
 * hb_perf (runtime/tools/hb_perf.c, from a .bin) and hb_mapper makertbin (converter/tools/
 * mapper_compile.c, right after compiling), so both write the same JSON and HTML for the same
 * program.
 *
 * Figures come from the simulator's static estimate (bpu_program_estimate), which is the cycle
 * model with execution switched off, so they equal what the simulator counts when it runs the
 * program. The compiler does not record which graph node each instruction range belongs to, so
 * the breakdown is per instruction class (conv, load, ...), not per layer.
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

/* One BPU subgraph: its name and the static estimate of its program. */
typedef struct hbperf_sub {
    char name[320];       /* "<model>_subgraph_<k>" */
    uint64_t insns;       /* instructions in the program, END included */
    bpu_counters est;     /* the static estimate */
    uint64_t const_bytes; /* size of its constant blob (weights, records, tables) */
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

/* Sum of the subgraphs' counters (cycles, queue and class cycles, MACs, DDR bytes; sram_peak is
 * the maximum). */
void hbperf_model_total(const hbperf_model *m, bpu_counters *total);

/* Latency in ms of a cycle count at the march's clock. */
double hbperf_ms(uint64_t cycles, bpu_march_id march);

/* MACs / (cycles x MAC per cycle of the march), 0 .. 1; 0 when cycles is 0. */
double hbperf_mac_utilisation(const bpu_counters *c, bpu_march_id march);

/* Write m's JSON (docs/hb_perf.md: summary, subgraphs, instruction classes) / HTML page (the
 * summary, inline SVG bars of latency per subgraph and per instruction class and of DDR bytes
 * per subgraph, the subgraph table) to path through a temporary file renamed when complete.
 * Returns 0, or -1 with a message naming path. */
int hbperf_write_json(const hbperf_model *m, const char *path, char *err, size_t errlen);
int hbperf_write_html(const hbperf_model *m, const char *path, char *err, size_t errlen);

/* The one-line summary of the compile log: "FPS=%.2f, latency = %.1f us, DDR = %llu bytes"
 * into buf (NUL-terminated when len > 0). */
void hbperf_summary_line(const hbperf_model *m, char *buf, size_t len);

#endif /* HB_PERF_REPORT_H */
