/* hbc_report: the accuracy report of hb_mapper makertbin (docs/report-json.md,
 * docs/accuracy-debug.md): per node of the optimized float graph its accumulated cosine (the
 * quantized graph run end to end by the integer reference executor, dequantised, against the
 * float graph) and its isolated cosine (only that node fake-quantised, float inputs), per model
 * output the cosine / L1 / L2 / Chebyshev figures, the reference's framed tables, a sensitivity
 * ranking and a JSON file with the same numbers.
 *
 * Errors: HBG_E_* status and a message in err (always NUL-terminated when errlen > 0). Nothing
 * here prints.
 */
#ifndef HBC_REPORT_H
#define HBC_REPORT_H

#include <stddef.h>

#include "hbc/calib.h"
#include "hbc/metrics.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One row of the node table: one node of the optimized float graph. Figures that cannot be
 * computed (no sample, a tensor the quantized graph does not have, such as the pre-activation
 * output of a Conv whose Relu was folded into it) are NaN and print as "--". */
typedef struct hbc_report_node {
    char *name;       /* node label, owned */
    char *type;       /* op type, owned */
    int on_bpu;       /* 1: BPU (quantised), 0: CPU (float) */
    int subgraph;     /* BPU subgraph id, -1 on the CPU */
    double cosine;    /* accumulated: first output, float graph vs quantized graph end to end */
    double isolated;  /* only this node fake-quantised, the float graph's values as inputs */
    double threshold; /* calibration threshold of the first output; NaN when none (CPU) */
    char dtype_in[8], dtype_out[8]; /* "int8", "int32" or "float" */
} hbc_report_node;

/* One row of the output table. */
typedef struct hbc_report_output {
    char *name;         /* model output, owned */
    hbc_similarity sim; /* all NaN without a sample */
} hbc_report_output;

typedef struct hbc_report {
    int n_nodes, n_outputs;
    hbc_report_node *nodes;
    hbc_report_output *outputs;
    int have_sample; /* 0: no calibration sample, every figure NaN */
} hbc_report;

/* What hbc_report_build compares. */
typedef struct hbc_report_input {
    hbg_graph *fg;                /* the optimized float graph (prepared once, shapes known) */
    const unsigned char *bpu;     /* per node of fg: 1 on the BPU (placement) */
    const int *subgraph;          /* per node of fg: BPU subgraph id or -1 */
    hbg_graph *qg;                /* the quantized graph of fg (hbc_quantize) */
    const hbc_calib_table *table; /* the calibration table qg was made with */
    /* One sample: sample[i] holds the numel floats of graph input i of fg (the quantized graph
     * has the same inputs). NULL: no figures (every cosine NaN). */
    const float *const *sample;
} hbc_report_input;

/* Run fg on the float executor and qg on the integer reference executor on the sample and fill
 * *out (zeroed on entry; release with hbc_report_free). A node whose isolated cosine cannot be
 * computed (an op the float executor cannot run alone) gets NaN, not an error. */
hbg_status hbc_report_build(const hbc_report_input *in, hbc_report *out, char *err, size_t errlen);
void hbc_report_free(hbc_report *r); /* NULL is a no-op */

/* The framed node table (interface notes 3.3): '=' line, header "Node  ON  Subgraph  Type
 * Cosine Similarity  Threshold  In/Out DataType", '-' line, one row per node; names longer than
 * 40 characters cut on the left with "...". malloc'ed, no trailing newline; NULL on no memory. */
char *hbc_report_node_table(const hbc_report *r);
/* The framed output table: "Output  Cosine Similarity  L1 Distance  L2 Distance  Chebyshev
 * Distance". */
char *hbc_report_output_table(const hbc_report *r);

/* Indices of the BPU nodes with a finite isolated cosine, worst (lowest) first, ties in graph
 * order; *n receives the count. malloc'ed (free it); NULL with *n = 0 when there are none or on no
 * memory. */
int *hbc_report_ranking(const hbc_report *r, int *n);
/* The ranking as text: the k worst rows "rank  node  type  isolated  accumulated". malloc'ed. */
char *hbc_report_ranking_table(const hbc_report *r, int k);

/* Facts about the run written into the JSON file next to the figures. */
typedef struct hbc_report_meta {
    const char *model;       /* the float model file */
    const char *march;       /* "bayes-e", ... */
    const char *method;      /* calibration_type as configured */
    int n_samples;           /* calibration samples used */
    const char *sample_file; /* the file of the sample compared, or NULL */
} hbc_report_meta;

/* Write the report as JSON (schema in docs/report-json.md) to path via path.tmp + rename. */
hbg_status hbc_report_write_json(const hbc_report *r, const hbc_report_meta *meta, const char *path,
                                 char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* HBC_REPORT_H */
