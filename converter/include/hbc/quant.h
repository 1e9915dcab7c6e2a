/* hbc_quant: quantisation of an optimized float graph into the integer graph of
 * *_quantized_model.onnx, and the integer reference executor of that graph.
 *
 * The integer operators live in our own ONNX domain HBC_QUANT_DOMAIN; their exact semantics are
 * written in docs/quantized-ops.md (the specification both this code and the independent numpy
 * implementation tests/quant/qref.py follow). Data-movement ops (Reshape, Concat, MaxPool, ...)
 * stay default-domain ONNX ops on int8 tensors; CPU-placed ops stay float.
 *
 * Errors: HBG_E_* status; the message names the node or tensor and goes to err (always
 * NUL-terminated when errlen > 0).
 */
#ifndef HBC_QUANT_H
#define HBC_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "hbc/calib.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ONNX domain of our integer operators, and its opset version. */
#define HBC_QUANT_DOMAIN  "ai.hbtc.int8"
#define HBC_QUANT_VERSION 1

/* The operators of HBC_QUANT_DOMAIN (docs/quantized-ops.md, one section each). */
typedef enum hbc_qop {
    HBC_QOP_QUANTIZE,      /* float -> int8 */
    HBC_QOP_DEQUANTIZE,    /* int8 / int32 -> float, per tensor or per channel */
    HBC_QOP_CONV,          /* int8 conv (normal, grouped, depthwise), int32 acc, requant */
    HBC_QOP_GEMM,          /* int8 [N,C] x [K,C]^T + bias, requant */
    HBC_QOP_ADD,           /* elementwise x1*M1 + x2*M2 */
    HBC_QOP_SUB,           /* elementwise x1*M1 - x2*M2 */
    HBC_QOP_MUL,           /* elementwise x1*x2*M */
    HBC_QOP_AVGPOOL,       /* int32 window sum, requant per distinct window count */
    HBC_QOP_GLOBALAVGPOOL, /* int32 plane sum, one requant */
    HBC_QOP_RESCALE,       /* requant of an int8 tensor to another scale */
    HBC_QOP_LUT,           /* 256-entry int8 -> int8 table */
    HBC_QOP_COUNT
} hbc_qop;

/* op_type of a domain operator ("Conv", ...), or "?". */
const char *hbc_qop_name(hbc_qop op);
/* Inverse lookup; HBC_QOP_COUNT when name is not one of ours. */
hbc_qop hbc_qop_from_name(const char *op_type);

/* ---- Arithmetic helpers (the converter's side of the numerics contract) ---------------- */

/* round_half_away_from_zero(x) saturated to [lo, hi]; NaN gives 0. */
int64_t hbc_quant_round_sat(double x, int64_t lo, int64_t hi);

/* Real multiplier x > 0 -> (M, r) (bpu_multiplier_from_double). A multiplier below 2^-32 maps
 * to M = 2^30, r = 62, which rounds every |acc| < 2^31 to 0 exactly as the real product would;
 * returns -1 for x not finite, x <= 0 or x >= 2^30. */
int hbc_quant_multiplier(double x, int32_t *m, uint32_t *r);

/* Two real multipliers x1, x2 >= 0 (not both 0) sharing one shift r: the larger one gets
 * M in [2^30, 2^31) as above, the other M = round_half_away(x * 2^r) in [0, 2^31). -1 when the
 * larger one is out of range. */
int hbc_quant_multiplier2(double x1, double x2, int32_t *m1, int32_t *m2, uint32_t *r);

/* Quantise one output channel of n float weights: scale = hbc_calib_weight_scale (absmax / 127,
 * or the exact grid of already quantised weights; 1 when all are 0, so the channel quantises to
 * zeros), q = round_half_away(w / scale) in [-127, 127]. */
double hbc_quant_weights(const float *w, size_t n, int8_t *q);

/* Bias: round_half_away(b / (s_in * s_w)) saturated to int32. */
int32_t hbc_quant_bias(double b, double s_in, double s_w);

/* Unary functions a LUT can hold; parameters p[0], p[1] as noted. */
typedef enum hbc_lut_fn {
    HBC_LUT_RELU,
    HBC_LUT_CLIP, /* p[0] = min, p[1] = max */
    HBC_LUT_SIGMOID,
    HBC_LUT_TANH,
    HBC_LUT_HARDSIGMOID, /* p[0] = alpha, p[1] = beta */
    HBC_LUT_HARDSWISH,
    HBC_LUT_LEAKYRELU, /* p[0] = alpha; also PRelu with one slope */
    HBC_LUT_ELU,       /* p[0] = alpha */
    HBC_LUT_EXP,
    HBC_LUT_SOFTPLUS,
    HBC_LUT_SOFTSIGN,
    HBC_LUT_NEG,
    HBC_LUT_ABS,
    HBC_LUT_FN_COUNT
} hbc_lut_fn;

/* Name of the function ("Sigmoid", ...) or "?". */
const char *hbc_lut_fn_name(hbc_lut_fn f);

/* table[i] = clamp(round_half_away(f((i - 128) * s_in, p) / s_out), -128, 127), in double.
 * Returns -1 for an unknown f or scales that are not finite and positive. */
int hbc_quant_lut(hbc_lut_fn f, const double p[2], double s_in, double s_out, int8_t table[256]);

/* ---- Quantisation ------------------------------------------------------------------------ */

/* Placement of one node of the float graph. */
typedef enum hbc_qplace {
    HBC_PLACE_AUTO = 0, /* the BPU when its op can be quantised, else the CPU (float) */
    HBC_PLACE_CPU = 1,  /* stays float on the CPU */
    HBC_PLACE_BPU = 2,  /* must be quantised: refused, naming the node, when it cannot be */
} hbc_qplace;

typedef struct hbc_quant_opts {
    /* Per node of the float graph (hbc_qplace values, indexed like g->nodes after
     * hbg_graph_validate, which hbc_quantize runs first), or NULL: every node HBC_PLACE_AUTO.
     * Constant nodes always stay as they are. */
    const unsigned char *place;
    int n_place; /* entries in place; must equal g->n_nodes when place is set */
    /* set_model_output_int8: a conv/gemm feeding a model output produces int8 (per-tensor scale)
     * instead of int32 with per-channel dequantisation scales. */
    int output_int8;
    /* 1: the output side runs on the CPU (docs/quantized-ops.md section 7): data movement,
     * Concat and LUTs other than Relu/Clip whose results only CPU nodes or model outputs read
     * stay float, and a Conv/Gemm no BPU node reads outputs int32 (per-channel dequantisation).
     * More accurate tails (issue 4); 0 keeps every supported node on the BPU. Ignored with
     * output_int8. */
    int output_side_cpu;
    /* 1: every activation signed (zero point 0, scale T / 127), as before unsigned activations
     * (docs/quantized-ops.md section 2); 0 (default): an hbc_calib_unsigned tensor whose producer
     * and readers all run on the BPU is stored unsigned (zero point -127, scale T / 254). */
    int signed_only;
} hbc_quant_opts;

/* Zero point of int8 tensor t of a quantized graph: the report attribute output_zero_point of the
 * integer operator that produces it (HBC_ZP_UNSIGNED for an unsigned activation), followed back
 * through default-domain max and data-movement ops (hbc_calib_passes_sign), else 0. Real value =
 * s * (q - zero point), s = T / 254 for an unsigned tensor and T / 127 otherwise. */
int hbc_quant_zero_point(const hbg_graph *qg, int t);

/* Scale of int8 tensor t of a quantized graph (real value = scale * (q - zero point)): the report
 * attribute output_scale of the integer operator that produces it (a Quantize: its scale),
 * followed back through default-domain max and data-movement ops and Concat (whose inputs are
 * rescaled to its scale); 0 when there is none (t is not int8). */
double hbc_quant_scale(const hbg_graph *qg, int t);

/* The plan hbc_calib_build_qdq_graph follows (hbc/calib.h) for the integer graph qg that
 * hbc_quantize made from fg: act (fg->n_tensors entries) gets the zero point of each fg tensor
 * that qg holds in int8 under the same name (a graph input: when a Quantize of our domain reads
 * it), HBC_QDQ_NONE for the others; float_node (fg->n_nodes entries) 1 for each Conv,
 * ConvTranspose, Gemm or MatMul whose output qg writes by the same default-domain op, i.e. on the
 * CPU in float; scale (fg->n_tensors entries, may be NULL) hbc_quant_scale of each int8 tensor,
 * 0 for the others. The types of qg's tensors come from preparing it with the integer executor
 * (hbc_qexec_create, then freed); errors (in qg->err) are that executor's. */
hbg_status hbc_quant_qdq_plan(const hbg_graph *fg, hbg_graph *qg, int *act,
                              unsigned char *float_node, double *scale);

/* The calibrated graph of fg and tab that follows qg (hbc_quant_qdq_plan, then
 * hbc_calib_build_qdq_graph with that plan) into *out (release with hbg_graph_free). Errors name
 * the tensor or node in err. */
hbg_status hbc_quant_calibrated_graph(hbg_graph *fg, const hbc_calib_table *tab, hbg_graph *qg,
                                      hbg_graph **out, char *err, size_t errlen);

/* Quantise the float graph fg (validated and shape-inferred here: its tensors' shapes are set,
 * nothing else changes) with the calibration table tab into a new integer graph *out (release with
 * hbg_graph_free). Graph inputs and outputs keep their names and stay float. opts may be NULL. */
hbg_status hbc_quantize(hbg_graph *fg, const hbc_calib_table *tab, const hbc_quant_opts *opts,
                        hbg_graph **out, char *err, size_t errlen);

/* ---- Refinement on calibration data (converter/quant/quant_refine.c, docs/quantized-ops.md
 * section 8) ---------------------------------------------------------------------------------- */

/* Weight rounding: re-round, in place, the int8 weights of every Conv/Gemm of our domain in qg
 * (made by hbc_quantize from fg, which must still hold its float weights) so that each output
 * channel's error variance over the n_samples calibration samples (as hbc_calibrate takes
 * them) is least: each weight stays one of the two integers next to w / s_w (nearest at first;
 * a weight moves to the other one when that lowers the variance). Scales, biases and semantics
 * do not change. Layers with more than 1024 weights per output channel keep nearest rounding.
 * One run of the integer executor per sample. Follow it with hbc_quant_bias_correct (the mean
 * error is left to it). n_samples 0 does nothing. */
hbg_status hbc_quant_round_weights(hbg_graph *fg, hbg_graph *qg, int n_samples,
                                   const float *const *const *samples, char *err, size_t errlen);

/* Bias correction: change, in place, the int32 bias of every Conv/Gemm of our domain in qg (made
 * by hbc_quantize from fg, which must still hold its float weights) so that each output
 * channel's mean over the n_samples calibration samples (samples[s][i]: fg's graph input i, as
 * hbc_calibrate takes them) and output positions equals, within one bias step, the float layer's
 * (float weights and bias) on the same int8 inputs: the mean error of the weights' rounding goes
 * into the bias. Each of the passes (>= 1; 1 is enough in practice) runs the integer executor on
 * every sample and starts from the previous pass's biases. Only bias values change, each within
 * the executor's accumulator bound; the operators' semantics do not. n_samples 0 or passes 0 do
 * nothing. Errors name the node or tensor (qg is then unusable). */
hbg_status hbc_quant_bias_correct(hbg_graph *fg, hbg_graph *qg, int passes, int n_samples,
                                  const float *const *const *samples, char *err, size_t errlen);

/* ---- The integer reference executor ------------------------------------------------------ */

typedef struct hbc_qexec hbc_qexec;

/* Prepare a quantized graph (nodes of HBC_QUANT_DOMAIN and default-domain ops) for running, like
 * hbg_exec_create: while the executor exists it owns the data pointers of the graph's
 * non-constant tensors (inputs are written to, outputs read from, tensor->data). Every tensor
 * keeps its value after a run, so intermediate int8 tensors can be inspected. Errors in g->err. */
hbg_status hbc_qexec_create(hbg_graph *g, hbc_qexec **out);
/* Run every node once. */
hbg_status hbc_qexec_run(hbc_qexec *e);
/* Release the buffers; NULL is a no-op. */
void hbc_qexec_free(hbc_qexec *e);

#ifdef __cplusplus
}
#endif
#endif /* HBC_QUANT_H */
