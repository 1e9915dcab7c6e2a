/* Test harness of the passes: build small graphs, run the float executor on fixed random inputs,
 * compare outputs before and after a rewrite. Failures go through cmocka's fail_msg. */
#ifndef PASSES_HARNESS_H
#define PASSES_HARNESS_H

#include <stdint.h>

#include "hbc/passes.h"
#include "hbg/edit.h"
#include "hbg/graph.h"

#define PH_MAX_OUT 16

/* Every graph output, by name, as doubles. */
typedef struct ph_result {
    int n;
    char name[PH_MAX_OUT][128];
    int64_t numel[PH_MAX_OUT];
    double *v[PH_MAX_OUT];
} ph_result;

/* A new graph importing opset 13 of the default domain. */
hbg_graph *ph_graph(void);
/* Float32 graph input of the given shape; returns its index. */
int ph_input(hbg_graph *g, const char *name, int rank, const int64_t *dims);
/* Float32 initializer with values uniform in [lo, hi) from a fixed generator seeded with seed. */
int ph_const(hbg_graph *g, const char *name, int rank, const int64_t *dims, unsigned seed, float lo,
             float hi);
/* Initializer with the given values. */
int ph_const_f(hbg_graph *g, const char *name, int rank, const int64_t *dims, const float *v);
int ph_const_i64(hbg_graph *g, const char *name, int rank, const int64_t *dims, const int64_t *v);
/* Append a node (op in the default domain) with n_in inputs (NULL: omitted) and one output. */
hbg_node *ph_node(hbg_graph *g, const char *op, const char *name, const char *out, int n_in,
                  const char *const *ins);
/* NODE(g, op, name, out, in0, in1, ...) */
#define NODE(g, op, name, out, ...)                                                                \
    ph_node(g, op, name, out,                                                                      \
            (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)),              \
            (const char *const[]){__VA_ARGS__})
/* Mark tensor name as a graph output. */
void ph_output(hbg_graph *g, const char *name);

/* Run g with inputs uniform in [-1, 1) drawn from a generator seeded with seed (each input in
 * order), outputs into r (ph_result_free releases it). */
void ph_run(hbg_graph *g, unsigned seed, ph_result *r);
void ph_result_free(ph_result *r);
/* Outputs must match by name and size with max |a - b| <= tol * max(|a|); returns that ratio. */
double ph_compare(const ph_result *ref, const ph_result *got, double tol, const char *what);

/* Run pass p on g and check that outputs are unchanged (1e-5 relative to max |ref|) and that the
 * ONNX save -> load round trip of the result gives the same outputs. Returns the pass's count of
 * rewrites. The graph is left rewritten. */
int ph_check_pass(hbg_graph *g, hbc_pass p, const char *what);
/* Same for hbc_optimize (every pass). Returns nodes removed. */
int ph_check_optimize(hbg_graph *g, const char *what);
/* ONNX save -> load round trip; compares outputs with ref. */
void ph_check_roundtrip(const hbg_graph *g, const ph_result *ref, const char *what);

/* Number of node pairs hbc_fused_act() recognises. */
int ph_count_fused(const hbg_graph *g);
/* Number of nodes of op type op. */
int ph_count_op(const hbg_graph *g, hbg_op op);

#endif /* PASSES_HARNESS_H */
