/* hbc_calib: calibration of a float graph's activations, the contract between calibration
 * (converter/calib), quantisation (converter/quant) and hb_mapper.
 *
 * A calibration table gives, for every float activation tensor of the optimized float graph that
 * will be quantised, its threshold T > 0: the int8 scale is T / 127 (ARCHITECTURE section 4).
 */
#ifndef HBC_CALIB_H
#define HBC_CALIB_H

#include <stddef.h>

#include "hbc/log.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hbc_calib_entry {
    char *tensor;     /* tensor name in the graph, owned */
    double threshold; /* T > 0 and finite */
    int method;       /* hbc_calib_method that produced it (for reports) */
} hbc_calib_entry;

typedef enum hbc_calib_method {
    HBC_CALIB_DEFAULT,
    HBC_CALIB_MIX,
    HBC_CALIB_KL,
    HBC_CALIB_MAX,
    HBC_CALIB_LOAD,
    HBC_CALIB_SKIP,
    HBC_CALIB_METHOD_COUNT
} hbc_calib_method;

typedef struct hbc_calib_table {
    int n, cap;
    hbc_calib_entry *e;
} hbc_calib_table;

/* "default", "mix", "kl", "max", "load", "skip". */
const char *hbc_calib_method_name(hbc_calib_method m);

/* Table helpers. set replaces an existing entry for the same tensor. find returns NULL if absent.
 * free releases the entries (not the struct itself, which the caller owns; NULL is a no-op). */
hbg_status hbc_calib_table_set(hbc_calib_table *t, const char *tensor, double threshold,
                               int method);
const hbc_calib_entry *hbc_calib_table_find(const hbc_calib_table *t, const char *tensor);
void hbc_calib_table_free(hbc_calib_table *t);

/* ---- Calibration (converter/calib/calib_run.c; algorithms in docs/calibration.md) ---------- */

/* Options of hbc_calibrate(). Start from hbc_calib_options_init(). */
typedef struct hbc_calib_options {
    hbc_calib_method method;
    /* max only: the threshold is the p-quantile of |x| over every element of every sample
     * (k-th smallest with k = ceil(p * n)); in (0, 1], 1.0 = plain max. Other methods refuse a
     * value other than 1.0. */
    double max_percentile;
    int per_channel;         /* featuremap per-channel calibration: refused when non-zero */
    unsigned long long seed; /* skip: seed of the random samples */
    int skip_samples;        /* skip: number of random samples (>= 1) */
} hbc_calib_options;

/* method DEFAULT, max_percentile 1.0, per_channel 0, seed 0x5eed, skip_samples 1. */
void hbc_calib_options_init(hbc_calib_options *o);

/* Calibrate the activations of g (the optimized float graph; validated, every graph input a
 * float tensor of fixed shape). samples[s][i] holds the numel of graph input i floats of sample
 * s, for s < n_samples (row-major, exactly the input's shape). The float executor runs each
 * sample; out (empty on entry, caller-owned) receives one entry for every float activation: each
 * graph input and each non-constant float tensor produced by a node. Shape-only ops share one
 * threshold (the largest of their group). Progress goes to lg at INFO, choices at INFO,
 * fallbacks at WARNING. LOAD reads QuantizeLinear/DequantizeLinear pairs of g itself; SKIP
 * ignores samples (n_samples may be 0 for both, see docs). Results do not depend on the order of
 * the samples. Errors (NaN/Inf in a tensor, bad options, executor failures) go to err naming the
 * tensor or node; out is then left empty. g keeps its nodes and tensors (the executor
 * fills in inferred shapes). */
hbg_status hbc_calibrate(hbg_graph *g, int n_samples, const float *const *const *samples,
                         const hbc_calib_options *opt, const hbc_logger *lg, hbc_calib_table *out,
                         char *err, size_t errlen);

/* Channel equalisation (converter/calib/calib_equalize.c, docs/calibration.md): for every tensor
 * X written by a Conv (directly or through its fused Relu), not a graph output, and read only as
 * the data input of depthwise Convs (group = channels, one weight row per channel), with private
 * constant weights and bias: runs the float executor over the samples, takes each channel's max
 * |x| m_c and the tensor's M = max m_c, and multiplies channel c by f_c = min(M / m_c, max_scale)
 * (1 for channels never non-zero): the producer's weight row and bias of channel c by f_c, each
 * reader's weight row c by 1 / f_c. The float outputs are unchanged (to float rounding) and every
 * weight keeps its per-channel int8 rounding; X's channels then fill the int8 range alike. Edits
 * g's constants in place; call it before hbc_calibrate. *n_equalized (may be NULL) receives the
 * number of tensors with at least one channel scaled. max_scale >= 1; errors (NaN/Inf, executor
 * failures) go to err naming the tensor. */
hbg_status hbc_calib_equalize(hbg_graph *g, int n_samples, const float *const *const *samples,
                              double max_scale, const hbc_logger *lg, int *n_equalized, char *err,
                              size_t errlen);

/* The int8 scale of one output channel of n float weights: absmax / 127, except when every value
 * lies on a grid absmax / k (k < 127, within 1e-4 of a step): then absmax / (k * floor(127 / k)),
 * which represents each weight exactly (weights of models exported after quantisation-aware
 * training or from a quantised format). 1.0 when every weight is 0. The quantiser and the
 * fake-quantised graph both round with it: q = round half away from zero of w / scale, clamped to
 * [-127, 127]. */
double hbc_calib_weight_scale(const float *w, size_t n);

/* Zero point of the unsigned activations: real = s * (q - HBC_ZP_UNSIGNED), s = T / 254, so
 * q in [-127, 127] covers [0, T] with 255 levels (docs/quantized-ops.md section 2). */
#define HBC_ZP_UNSIGNED (-127)

/* 1 for the ops that pass an unsigned activation through unchanged (max and data movement:
 * MaxPool, GlobalMaxPool, Reshape, Flatten, Transpose, Slice, Squeeze, Unsqueeze, Identity). */
int hbc_calib_passes_sign(hbg_op op);

/* The tensor an unsigned activation t would take its sign from, following pass-through
 * producers back: the output of a Relu, or of a Clip whose lower bound is a constant >= 0, fused
 * to its Conv/Gemm (hbc_fused_act); -1 when there is none. */
int hbc_calib_unsigned_source(const hbg_graph *g, int t);

/* 1 when activation t of the float graph g is stored unsigned: it has a source (above) that is no
 * graph output and whose every reader reads it only as the data input (input 0) and is a Conv or
 * Gemm, which fold the offset into their int32 bias and pad with the zero point, or a
 * pass-through op whose output meets the same rule (so are the pass-through outputs). Placement
 * is not considered: the quantiser keeps a chain signed when a node of it runs on the CPU. */
int hbc_calib_unsigned(const hbg_graph *g, int t);

/* What the calibrated graph follows of the integer model (hbc_quant_qdq_plan makes one from the
 * quantized graph). act[t] (indexed like g->tensors): HBC_QDQ_NONE when tensor t is no int8
 * tensor of the integer model (it stays float on the CPU, or is an int32 accumulator), else its
 * zero point (0 or HBC_ZP_UNSIGNED). float_node[i] (indexed like g->nodes): 1 when node i runs
 * float on the CPU, so its weights stay float. */
#define HBC_QDQ_NONE (-1000) /* no zero point: not an int8 tensor */
typedef struct hbc_calib_qdq_plan {
    const int *act;
    const unsigned char *float_node;
    /* NULL, or indexed like g->tensors: the integer model's scale of each int8 tensor (> 0),
     * used for its pair instead of the table's T / 127 (T / 254): a Concat on the BPU takes its
     * largest input scale, not its own threshold; 0: from the table. */
    const double *scale;
} hbc_calib_qdq_plan;

/* Build the calibrated (fake-quantised) copy of g in *out (free with hbg_graph_free):
 *  - every constant float weight of Conv, ConvTranspose, Gemm and MatMul (input 1) is replaced
 *    by its int8 fake-quantised value: per output channel, scale = hbc_calib_weight_scale, q =
 *    round half away from zero of w / scale clamped to [-127, 127], w' = q * scale;
 *  - every activation of t that is not a graph output, nor the pre-activation output of a fused
 *    Conv/Gemm + Relu/Clip pair (hbc_fused_act), gets a QuantizeLinear -> DequantizeLinear pair
 *    (int8, zero point 0, scale = T / 127 as float; for hbc_calib_unsigned tensors zero point
 *    HBC_ZP_UNSIGNED and scale T / 254) and its consumers read the result.
 * Graph outputs stay float (they leave the BPU as int32 or float). With a plan (not NULL), only
 * the tensors the integer model holds in int8 get pairs, with its zero points, and the weights of
 * nodes it runs on the CPU stay float, so the graph rounds where the integer model does. The
 * opset is kept; it must be >= 10 (QuantizeLinear). g must have been prepared once (shapes
 * known), e.g. by hbc_calibrate. */
hbg_status hbc_calib_build_qdq_graph(hbg_graph *g, const hbc_calib_table *t,
                                     const hbc_calib_qdq_plan *plan, hbg_graph **out, char *err,
                                     size_t errlen);

/* ---- Building blocks, exposed for tests and reports (converter/calib/calib_stats.c) -------- */

#define HBC_CALIB_BINS      2048 /* KL histogram bins over [0, absmax] */
#define HBC_CALIB_KL_LEVELS 128  /* int8 levels of the positive half */

/* KL (entropy) search over a histogram of |x| (HBC_CALIB_BINS bins of width absmax / 2048):
 * returns in *cut the bin count i in [128, 2047] of least KL(P || Q), first on ties; the
 * threshold is (i + 0.5) * absmax / 2048. HBG_E_INVALID when the histogram is empty. */
hbg_status hbc_calib_kl_cut(const unsigned long long *hist, int *cut);

/* The percentile rank of docs/calibration.md: k = ceil(p * n) with p * n first rounded to 1e-9
 * relative (so 0.99995 * 20000 is 19999), clamped to [1, n]. */
long long hbc_calib_percentile_rank(double p, long long n);

#ifdef __cplusplus
}
#endif
#endif /* HBC_CALIB_H */
