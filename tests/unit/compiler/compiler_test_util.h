/* Shared by the compiler tests: compile a quantized graph, run the integer reference executor on
 * given inputs, and check every BPU subgraph bit for bit under every kernel variant this CPU
 * runs. */
#ifndef COMPILER_TEST_UTIL_H
#define COMPILER_TEST_UTIL_H

#include <stddef.h>

#include "hbc/compiler.h"

typedef struct ct_stats {
    int subgraphs;           /* BPU subgraphs */
    int bpu_nodes;           /* nodes lowered */
    int cpu_refused;         /* nodes with a reason to stay on the CPU (hbc_compiled.node_why) */
    char first_refused[160]; /* "node: reason" of the first of them */
    int variants;            /* kernel variants run */
    long long elements;      /* output elements compared, summed over runs and variants */
    long long mismatches;    /* of them, different */
    char first_mismatch[320];
    bpu_counters last; /* counters of the last run (summed over subgraphs) */
    double wall_ms;    /* host wall time of all subgraphs: best variant, fastest run */
    size_t const_bytes, program_bytes, scratch_bytes; /* summed over subgraphs */
    int unscaled; /* boundary tensors without a scale (hbc_cm_tensor.n_scales == 0) */
} ct_stats;

/* inputs[r * n_inputs + i]: float data of graph input i for run r (its whole tensor). */
int ct_run(hbg_graph *g, bpu_march_id march, int olevel, int n_runs, const float *const *inputs,
           ct_stats *st, char *err, size_t errlen);

/* ct_run with the given compile mode (ct_run: latency). */
int ct_run_goal(hbg_graph *g, bpu_march_id march, int olevel, hbc_cm_goal mode, int n_runs,
                const float *const *inputs, ct_stats *st, char *err, size_t errlen);

/* Deterministic pseudo-random floats in [-a, a]. */
void ct_fill(float *x, size_t n, unsigned seed, float a);

#endif
