/* The quantiser: optimized float graph + calibration table -> the integer graph of
 * *_quantized_model.onnx (docs/quantized-ops.md). Walks the float graph in topological order and
 * emits, per node, either the domain operator that computes it in integers (BPU), the same
 * default-domain op on int8 data (data movement, shared scale), or the float node itself (CPU),
 * inserting Quantize/Dequantize where int8 and float tensors meet. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbg/exec.h"
#include "qexec_priv.h"

/* How a float op is quantised. */
typedef enum qclass {
    QC_CPU, /* stays float */
    QC_CONV,
    QC_GEMM,   /* Gemm, MatMul with constant 2-D weights */
    QC_ADDSUB, /* Add, Sub */
    QC_MUL,
    QC_AVGPOOL,
    QC_GAP,
    QC_MOVE,   /* default-domain op on int8 data, output scale = input scale */
    QC_CONCAT, /* inputs rescaled to the largest input scale */
    QC_LUT,
    QC_COUNT
} qclass;

typedef struct qctx {
    hbg_graph *fg, *qg;
    const hbc_calib_table *tab;
    int output_int8;
    int output_side_cpu; /* hbc_quant_opts.output_side_cpu (and not output_int8) */
    double *scale;       /* per float tensor: scale of its int8 version */
    char **qname;        /* per float tensor: name of its int8 version in qg, or NULL */
    char **fname;        /* per float tensor: name of its float version in qg, or NULL */
    int *uses;           /* per float tensor: number of node inputs reading it */
    int *bpu_uses;       /* per float tensor: node inputs of BPU (not CPU) nodes reading it */
    unsigned char *skip; /* per float node: fused into its producer */
    int8_t *zp;          /* per float tensor: 0, or HBC_ZP_UNSIGNED for an unsigned activation */
    double *cat_scale;   /* per float tensor: the Concat's scale it is requantised to, or 0 */
} qctx;

/* Fail with a message in qg->err (copied to err by the caller). */
#define QFAIL(c, st, ...) hbg_graph_fail((c)->qg, st, __VA_ARGS__)

static const char *nlabel(const qctx *c, const hbg_node *n)
{
    return hbg_node_label(c->fg, n);
}

static const hbg_tensor *ftensor(const qctx *c, int t)
{
    return c->fg->tensors[t];
}

static int is_const(const qctx *c, int t)
{
    return t >= 0 && c->fg->tensors[t]->is_const;
}

static char *str_printf(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", a, b);
    return s;
}

/* ---- op classification ---------------------------------------------------------------- */

typedef struct lutmap {
    hbg_op op;
    hbc_lut_fn fn;
} lutmap;

static const lutmap luts[] = {
    {HBG_OP_RELU, HBC_LUT_RELU},
    {HBG_OP_CLIP, HBC_LUT_CLIP},
    {HBG_OP_SIGMOID, HBC_LUT_SIGMOID},
    {HBG_OP_TANH, HBC_LUT_TANH},
    {HBG_OP_HARDSIGMOID, HBC_LUT_HARDSIGMOID},
    {HBG_OP_HARDSWISH, HBC_LUT_HARDSWISH},
    {HBG_OP_LEAKYRELU, HBC_LUT_LEAKYRELU},
    {HBG_OP_PRELU, HBC_LUT_LEAKYRELU},
    {HBG_OP_ELU, HBC_LUT_ELU},
    {HBG_OP_EXP, HBC_LUT_EXP},
    {HBG_OP_SOFTPLUS, HBC_LUT_SOFTPLUS},
    {HBG_OP_SOFTSIGN, HBC_LUT_SOFTSIGN},
    {HBG_OP_NEG, HBC_LUT_NEG},
    {HBG_OP_ABS, HBC_LUT_ABS},
};

static int lut_of(hbg_op op, hbc_lut_fn *fn)
{
    for (size_t i = 0; i < sizeof luts / sizeof luts[0]; i++)
        if (luts[i].op == op) {
            *fn = luts[i].fn;
            return 1;
        }
    return 0;
}

static qclass class_of(hbg_op op)
{
    hbc_lut_fn fn;
    switch (op) {
    case HBG_OP_CONV:
        return QC_CONV;
    case HBG_OP_GEMM:
    case HBG_OP_MATMUL:
        return QC_GEMM;
    case HBG_OP_ADD:
    case HBG_OP_SUB:
        return QC_ADDSUB;
    case HBG_OP_MUL:
        return QC_MUL;
    case HBG_OP_AVERAGEPOOL:
        return QC_AVGPOOL;
    case HBG_OP_GLOBALAVERAGEPOOL:
        return QC_GAP;
    case HBG_OP_MAXPOOL:
    case HBG_OP_GLOBALMAXPOOL:
    case HBG_OP_RESHAPE:
    case HBG_OP_FLATTEN:
    case HBG_OP_TRANSPOSE:
    case HBG_OP_SLICE:
    case HBG_OP_GATHER:
    case HBG_OP_SQUEEZE:
    case HBG_OP_UNSQUEEZE:
    case HBG_OP_RESIZE:
    case HBG_OP_UPSAMPLE:
    case HBG_OP_IDENTITY:
        return QC_MOVE;
    case HBG_OP_CONCAT:
        return QC_CONCAT;
    default:
        return lut_of(op, &fn) ? QC_LUT : QC_CPU;
    }
}

/* Why node n cannot be quantised as class cl, or NULL when it can. */
static const char *unsupported(const qctx *c, const hbg_node *n, qclass cl)
{
    const hbg_tensor *x = n->n_in > 0 && n->in[0] >= 0 ? ftensor(c, n->in[0]) : NULL;
    if (cl == QC_CPU)
        return "the BPU has no integer form of this op";
    if (!x || is_const(c, n->in[0]) || x->dtype != HBG_DT_F32)
        return "its first input must be a float activation";
    if (n->n_out != 1)
        return "it must have exactly one output";
    switch (cl) {
    case QC_CONV: {
        if (x->rank != 4)
            return "only 2-D convolution (rank-4 input) is quantised";
        if (n->n_in < 2 || !is_const(c, n->in[1]) ||
            (n->n_in > 2 && n->in[2] >= 0 && !is_const(c, n->in[2])))
            return "weights and bias must be constants";
        return NULL;
    }
    case QC_GEMM: {
        if (x->rank != 2)
            return "the input must be rank 2";
        if (n->n_in < 2 || !is_const(c, n->in[1]) || ftensor(c, n->in[1])->rank != 2)
            return "the weights must be a constant matrix";
        if (n->op == HBG_OP_GEMM) {
            if (hbg_attr_int(n, "transA", 0) != 0 || hbg_attr_float(n, "alpha", 1.0f) != 1.0f ||
                hbg_attr_float(n, "beta", 1.0f) != 1.0f)
                return "Gemm with transA, alpha or beta other than 0, 1, 1";
            if (n->n_in > 2 && n->in[2] >= 0) {
                const hbg_tensor *b = ftensor(c, n->in[2]);
                if (!b->is_const || hbg_tensor_numel(b) != ftensor(c, n->out[0])->dims[1])
                    return "the bias must be a constant of one value per output";
            }
        }
        return NULL;
    }
    case QC_ADDSUB:
    case QC_MUL: {
        if (n->n_in != 2 || is_const(c, n->in[1]))
            return "both inputs must be activations";
        const hbg_tensor *y = ftensor(c, n->in[1]);
        if (y->rank != x->rank || memcmp(y->dims, x->dims, (size_t)x->rank * sizeof x->dims[0]))
            return "the inputs must have the same shape (no broadcasting)";
        return NULL;
    }
    case QC_AVGPOOL: {
        const int64_t *v = NULL;
        const char *ap = hbg_attr_string(n, "auto_pad", "NOTSET");
        if (x->rank != 4 || hbg_attr_ints(n, "kernel_shape", &v) != 2)
            return "only 2-D pooling is quantised";
        if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
            return "auto_pad SAME_* is not quantised";
        int nd = hbg_attr_ints(n, "dilations", &v);
        for (int i = 0; i < nd; i++)
            if (v[i] != 1)
                return "dilated pooling is not quantised";
        return NULL;
    }
    case QC_GAP:
        return x->rank == 4 ? NULL : "only rank-4 input is quantised";
    case QC_MOVE:
        if ((n->op == HBG_OP_RESIZE || n->op == HBG_OP_UPSAMPLE) &&
            strcmp(hbg_attr_string(n, "mode", "nearest"), "nearest") != 0)
            return "only nearest resizing is pure data movement";
        for (int i = 1; i < n->n_in; i++)
            if (n->in[i] >= 0 && !is_const(c, n->in[i]) && ftensor(c, n->in[i])->producer >= 0 &&
                c->fg->nodes[ftensor(c, n->in[i])->producer].op != HBG_OP_CONSTANT)
                return "its parameter inputs must be constants";
        return NULL;
    case QC_CONCAT:
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i] < 0 || is_const(c, n->in[i]))
                return "every input must be an activation";
        return NULL;
    case QC_LUT:
        if (n->op == HBG_OP_PRELU &&
            (n->n_in < 2 || !is_const(c, n->in[1]) || hbg_tensor_numel(ftensor(c, n->in[1])) != 1))
            return "PRelu needs one constant slope (per-channel slopes are not a LUT)";
        if (n->op == HBG_OP_CLIP)
            for (int i = 1; i < n->n_in; i++)
                if (n->in[i] >= 0 && !is_const(c, n->in[i]))
                    return "Clip bounds must be constants";
        return NULL;
    default:
        return "the BPU has no integer form of this op";
    }
}

/* ---- tensors of the quantized graph ---------------------------------------------------- */

static hbg_status threshold(qctx *c, int t, double *s)
{
    if (c->cat_scale && c->cat_scale[t] > 0.0) {
        *s = c->cat_scale[t];
        return HBG_OK;
    }
    *s = 0.0;
    const hbc_calib_entry *e = hbc_calib_table_find(c->tab, ftensor(c, t)->name);
    if (!e || !(e->threshold > 0.0) || !isfinite(e->threshold))
        return QFAIL(c, HBG_E_INVALID, "tensor '%s': no calibration threshold",
                     ftensor(c, t)->name);
    *s = e->threshold / 127.0;
    return HBG_OK;
}

static hbg_attr *attr_f(hbg_node *n, const char *name, double v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_FLOAT);
    if (a)
        a->f = (float)v;
    return a;
}

static hbg_attr *attr_i(hbg_node *n, const char *name, int64_t v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_INT);
    if (a)
        a->i = v;
    return a;
}

static hbg_attr *attr_ints(hbg_node *n, const char *name, const int64_t *v, size_t cnt)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_INTS);
    if (!a)
        return NULL;
    if (!(a->ints = malloc((cnt ? cnt : 1) * sizeof *a->ints)))
        return NULL;
    memcpy(a->ints, v, cnt * sizeof *v);
    a->n = cnt;
    return a;
}

static hbg_attr *attr_floats(hbg_node *n, const char *name, const double *v, size_t cnt)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_FLOATS);
    if (!a)
        return NULL;
    if (!(a->floats = malloc((cnt ? cnt : 1) * sizeof *a->floats)))
        return NULL;
    for (size_t i = 0; i < cnt; i++)
        a->floats[i] = (float)v[i];
    a->n = cnt;
    return a;
}

/* Add a node to qg; names are copied. */
static hbg_status add_node(qctx *c, const char *domain, const char *op, const char *name, int n_in,
                           const char *const *in, const char *out, hbg_node **node)
{
    const char *outs[1] = {out};
    hbg_status st = hbg_graph_add_node(c->qg, op, domain, name, n_in, in, 1, outs, node);
    return st;
}

/* Copy a constant of the float graph into qg under its name (once). */
static hbg_status copy_const(qctx *c, int t)
{
    const hbg_tensor *x = ftensor(c, t);
    if (hbg_graph_find_tensor(c->qg, x->name) >= 0)
        return HBG_OK;
    int q = hbg_graph_tensor(c->qg, x->name);
    if (q < 0)
        return QFAIL(c, HBG_E_NOMEM, "out of memory");
    return hbg_graph_set_const(c->qg, q, x->dtype, x->rank, x->dims, x->data,
                               (size_t)hbg_tensor_nbytes(x));
}

/* Name of the int8 version of float tensor t, inserting a Quantize when only the float one
 * exists. */
static hbg_status need_q(qctx *c, int t, const char **name)
{
    hbg_status st;
    hbg_node *n;
    double s;
    if (!c->qname[t]) {
        const char *in[1] = {c->fname[t]};
        if (!c->fname[t])
            return QFAIL(c, HBG_E_INVALID, "tensor '%s' has no value", ftensor(c, t)->name);
        if ((st = threshold(c, t, &s)) != HBG_OK)
            return st;
        if (!(c->qname[t] = str_printf(ftensor(c, t)->name, "_quantized")))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        if ((st = add_node(c, HBC_QUANT_DOMAIN, "Quantize", c->qname[t], 1, in, c->qname[t], &n)) !=
            HBG_OK)
            return st;
        if (!attr_f(n, "scale", s))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        c->scale[t] = s;
    }
    *name = c->qname[t];
    return HBG_OK;
}

/* Name of the float version of tensor t, inserting a Dequantize when only the int8 one exists. */
static hbg_status need_f(qctx *c, int t, const char **name)
{
    hbg_status st;
    hbg_node *n;
    if (is_const(c, t)) {
        *name = ftensor(c, t)->name;
        return copy_const(c, t);
    }
    if (!c->fname[t]) {
        const char *in[1] = {c->qname[t]};
        const hbg_tensor *x = ftensor(c, t);
        if (!c->qname[t])
            return QFAIL(c, HBG_E_INVALID, "tensor '%s' has no value", x->name);
        c->fname[t] = x->is_output ? strdup(x->name) : str_printf(x->name, "_dequantized");
        if (!c->fname[t])
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        if ((st = add_node(c, HBC_QUANT_DOMAIN, "Dequantize", c->fname[t], 1, in, c->fname[t],
                           &n)) != HBG_OK)
            return st;
        if (!attr_floats(n, "scales", &c->scale[t], 1))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
    }
    *name = c->fname[t];
    return HBG_OK;
}

/* Name the int8 result of float tensor t gets in qg (graph outputs keep their name for the
 * float value the final Dequantize writes). */
static hbg_status set_q(qctx *c, int t, double scale, const char **name)
{
    const hbg_tensor *x = ftensor(c, t);
    c->qname[t] = x->is_output ? str_printf(x->name, "_int8") : strdup(x->name);
    if (!c->qname[t])
        return QFAIL(c, HBG_E_NOMEM, "out of memory");
    c->scale[t] = scale;
    *name = c->qname[t];
    return HBG_OK;
}

/* Add a constant to qg under name + suffix, or name + suffix + "_<k>" (k = 1, 2, ...) when that
 * name is taken: a float weight read by several nodes gets one integer copy per node (each has
 * its own rounding once refined, docs/quantized-ops.md section 8). */
static hbg_status add_const(qctx *c, const char *base, const char *suffix, hbg_dtype dt, int rank,
                            const int64_t *dims, const void *data, size_t nbytes, char **name)
{
    char sfx[64];
    for (int k = 0; k < 1000000; k++) {
        if (k > 0)
            snprintf(sfx, sizeof sfx, "%s_%d", suffix, k);
        if (!(*name = str_printf(base, k > 0 ? sfx : suffix)))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        int t = hbg_graph_find_tensor(c->qg, *name);
        if (t < 0) {
            if ((t = hbg_graph_tensor(c->qg, *name)) < 0)
                return QFAIL(c, HBG_E_NOMEM, "out of memory");
            return hbg_graph_set_const(c->qg, t, dt, rank, dims, data, nbytes);
        }
        free(*name);
        *name = NULL;
    }
    return QFAIL(c, HBG_E_INVALID, "no free name for a constant of '%s'", base);
}

/* ---- fused activations ----------------------------------------------------------------- */

/* Node index of the single Relu/Clip consuming tensor t (that is not a graph output), or -1. */
static int fusable_act(const qctx *c, int t, const unsigned char *cpu)
{
    if (ftensor(c, t)->is_output || c->uses[t] != 1)
        return -1;
    for (int i = 0; i < c->fg->n_nodes; i++) {
        const hbg_node *n = &c->fg->nodes[i];
        if (n->n_in < 1 || n->in[0] != t || cpu[i])
            continue;
        if (n->op == HBG_OP_RELU)
            return i;
        if (n->op == HBG_OP_CLIP && !unsupported(c, n, QC_LUT))
            return i;
        return -1;
    }
    return -1;
}

/* Clip bounds (opset >= 11 inputs or opset < 11 attributes); absent = unbounded. */
static void clip_bounds(const qctx *c, const hbg_node *n, double *lo, double *hi)
{
    *lo = -HUGE_VAL, *hi = HUGE_VAL;
    if (hbg_node_attr(n, "min"))
        *lo = hbg_attr_float(n, "min", 0.0f);
    if (hbg_node_attr(n, "max"))
        *hi = hbg_attr_float(n, "max", 0.0f);
    if (n->n_in > 1 && n->in[1] >= 0)
        *lo = hbg_tensor_get_double(ftensor(c, n->in[1]), 0);
    if (n->n_in > 2 && n->in[2] >= 0)
        *hi = hbg_tensor_get_double(ftensor(c, n->in[2]), 0);
}

/* lo/hi of the output clamp: the full int8 range, narrowed by a fused Relu/Clip; real value v is
 * the integer v / s_out + zp. */
static void act_clamp(const qctx *c, int act, double s_out, int zp, int64_t *lo, int64_t *hi)
{
    *lo = -128, *hi = 127;
    if (act < 0)
        return;
    const hbg_node *a = &c->fg->nodes[act];
    if (a->op == HBG_OP_RELU) {
        *lo = zp;
        return;
    }
    double l, h;
    clip_bounds(c, a, &l, &h);
    *lo = hbc_quant_round_sat(l / s_out + zp, -128, 127);
    *hi = hbc_quant_round_sat(h / s_out + zp, -128, 127);
}

/* ---- emitters ----------------------------------------------------------------------------- */

/* A channel whose weights are tiny next to its bias (a dead channel: fastestdet's first conv has
 * |w| <= 5e-15 with bias -3e-4) would need a bias beyond int32 at s_w = absmax / 127. The weight
 * scale is then raised so that |B| <= 2^31 - 1 - 128 * sum|W| holds with the weights W at the
 * first scale (requantising with a larger scale only shrinks sum|W|), and the weights are
 * quantised again with it: they contribute next to nothing to that channel, whose output is its
 * bias (docs/quantized-ops.md). Channels that already fit, or whose weights alone overflow (then
 * refused by the executor's check), are left as they are. */
static void fit_bias(double b, double s_in, const float *w, int64_t per, int zp_in, double *s_w,
                     int8_t *q)
{
    int64_t sum = 0;
    for (int64_t i = 0; i < per; i++)
        sum += q[i] < 0 ? -q[i] : q[i];
    /* an unsigned input adds -zp_in * sum(W) to the bias (emit_acc) */
    const double budget = (double)INT32_MAX - 1.0 - (128.0 + fabs((double)zp_in)) * (double)sum;
    if (budget < 1.0 || fabs(b) / (s_in * *s_w) <= budget)
        return;
    *s_w = fabs(b) / (s_in * budget);
    for (int64_t i = 0; i < per; i++)
        q[i] = (int8_t)hbc_quant_round_sat((double)w[i] / *s_w, -127, 127);
}

/* Conv and Gemm: per-channel weights, int32 bias, per-channel (M, r), optional int32 output. */
static hbg_status emit_acc(qctx *c, int ni, const unsigned char *cpu)
{
    const hbg_node *n = &c->fg->nodes[ni];
    const int conv = n->op == HBG_OP_CONV;
    const hbg_tensor *wt = ftensor(c, n->in[1]);
    const hbg_tensor *bt = n->n_in > 2 && n->in[2] >= 0 ? ftensor(c, n->in[2]) : NULL;
    hbg_status st;
    const char *xin;
    char *wname = NULL, *bname = NULL;
    int8_t *wq = NULL;
    int32_t *bq = NULL;
    float *wf = NULL;
    int64_t *mult = NULL, *shift = NULL;
    double *ws = NULL, *dq = NULL;
    hbg_node *q;
    const int act = fusable_act(c, n->out[0], cpu);
    const int out_t = act >= 0 ? c->fg->nodes[act].out[0] : n->out[0];
    /* int32 output when no node reads the result (a model output), or with output_side_cpu
     * when no BPU node does (only CPU readers) */
    const int int32_out =
        !c->output_int8 && act < 0 &&
        (c->output_side_cpu ? c->bpu_uses[out_t] == 0
                            : ftensor(c, out_t)->is_output && c->uses[out_t] == 0);
    double s_in, s_out = 0.0;
    int64_t K, per, lo, hi, wdims[4];
    int wrank;

    if ((st = need_q(c, n->in[0], &xin)) != HBG_OK)
        return st;
    s_in = c->scale[n->in[0]];
    if (!int32_out && (st = threshold(c, out_t, &s_out)) != HBG_OK)
        return st;
    /* Unsigned activations (docs/quantized-ops.md section 2): an unsigned output has scale
     * T / 254 and its zero point goes into the bias (real b + zp_out * s_out); an unsigned input's
     * zero point is folded as -zp_in * sum(W) and padded taps read it (pad_value). */
    const int zp_in = c->zp[n->in[0]], zp_out = int32_out ? 0 : c->zp[out_t];
    if (zp_out)
        s_out /= 2.0;
    /* Weights as [K, per]: Conv [K, C/g, kh, kw]; Gemm transB=1 [K, C]; Gemm/MatMul [C, K]. */
    const int trans = !conv && !(n->op == HBG_OP_GEMM && hbg_attr_int(n, "transB", 0));
    K = trans ? wt->dims[1] : wt->dims[0];
    per = hbg_tensor_numel(wt) / K;
    st = HBG_E_NOMEM;
    wq = malloc((size_t)(K * per));
    wf = malloc((size_t)per * sizeof *wf);
    bq = calloc((size_t)K, sizeof *bq);
    mult = calloc((size_t)K, sizeof *mult);
    shift = calloc((size_t)K, sizeof *shift);
    ws = calloc((size_t)K, sizeof *ws);
    dq = calloc((size_t)K, sizeof *dq);
    if (!wq || !wf || !bq || !mult || !shift || !ws || !dq) {
        QFAIL(c, st, "out of memory");
        goto out;
    }
    if (bt && hbg_tensor_numel(bt) != K) {
        st = QFAIL(c, HBG_E_SHAPE, "node '%s': bias has %lld values for %lld outputs", nlabel(c, n),
                   (long long)hbg_tensor_numel(bt), (long long)K);
        goto out;
    }
    for (int64_t k = 0; k < K; k++) {
        for (int64_t i = 0; i < per; i++)
            wf[i] = (float)hbg_tensor_get_double(wt, trans ? i * K + k : k * per + i);
        ws[k] = hbc_quant_weights(wf, (size_t)per, wq + k * per);
        const double b = (bt ? hbg_tensor_get_double(bt, k) : 0.0) + zp_out * s_out;
        if (b != 0.0)
            fit_bias(b, s_in, wf, per, zp_in, &ws[k], wq + k * per);
        bq[k] = b != 0.0 ? hbc_quant_bias(b, s_in, ws[k]) : 0;
        if (zp_in) {
            int64_t sum = 0;
            for (int64_t i = 0; i < per; i++)
                sum += wq[k * per + i];
            const int64_t folded = (int64_t)bq[k] - (int64_t)zp_in * sum;
            if (folded < INT32_MIN || folded > INT32_MAX) {
                st = QFAIL(c, HBG_E_UNSUPPORTED,
                           "node '%s': output channel %lld: the bias with the unsigned input's "
                           "offset does not fit int32",
                           nlabel(c, n), (long long)k);
                goto out;
            }
            bq[k] = (int32_t)folded;
        }
        dq[k] = s_in * ws[k];
        if (!int32_out) {
            int32_t m;
            uint32_t r;
            if (hbc_quant_multiplier(s_in * ws[k] / s_out, &m, &r) != 0) {
                st = QFAIL(c, HBG_E_UNSUPPORTED,
                           "node '%s': output channel %lld needs the multiplier %g, outside "
                           "[2^-32, 2^30)",
                           nlabel(c, n), (long long)k, s_in * ws[k] / s_out);
                goto out;
            }
            mult[k] = m, shift[k] = r;
        }
    }
    wrank = conv ? 4 : 2;
    memcpy(wdims, wt->dims, sizeof wdims);
    if (!conv)
        wdims[0] = K, wdims[1] = per;
    if ((st = add_const(c, wt->name, "_int8", HBG_DT_I8, wrank, wdims, wq, (size_t)(K * per),
                        &wname)) != HBG_OK ||
        (st = add_const(c, nlabel(c, n), "_bias_int32", HBG_DT_I32, 1, &K, bq,
                        (size_t)K * sizeof *bq, &bname)) != HBG_OK)
        goto out;
    {
        const char *in[3] = {xin, wname, bname};
        const char *oname;
        char *o32 = NULL;
        if (int32_out) {
            if (!(o32 = str_printf(ftensor(c, out_t)->name, "_int32"))) {
                st = QFAIL(c, HBG_E_NOMEM, "out of memory");
                goto out;
            }
            oname = o32;
        } else if ((st = set_q(c, out_t, s_out, &oname)) != HBG_OK) {
            goto out;
        }
        st = add_node(c, HBC_QUANT_DOMAIN, conv ? "Conv" : "Gemm", n->name, 3, in, oname, &q);
        if (st == HBG_OK && int32_out) {
            /* The int32 accumulator goes straight to a per-channel Dequantize. */
            hbg_node *d;
            const char *din[1] = {o32};
            const hbg_tensor *y = ftensor(c, out_t);
            c->fname[out_t] = y->is_output ? strdup(y->name) : str_printf(y->name, "_dequantized");
            if (c->fname[out_t] == NULL)
                st = QFAIL(c, HBG_E_NOMEM, "out of memory");
            else if ((st = add_node(c, HBC_QUANT_DOMAIN, "Dequantize", c->fname[out_t], 1, din,
                                    c->fname[out_t], &d)) == HBG_OK &&
                     !attr_floats(d, "scales", dq, (size_t)K))
                st = QFAIL(c, HBG_E_NOMEM, "out of memory");
            /* the Dequantize moved the node array: find the Conv again */
            q = &c->qg->nodes[c->qg->n_nodes - 2];
        }
        free(o32);
        if (st != HBG_OK)
            goto out;
    }
    int ok = 1;
    if (conv) {
        static const int64_t one[2] = {1, 1}, zero[4] = {0, 0, 0, 0};
        const int64_t *v = NULL;
        int64_t pads[4];
        const char *ap = hbg_attr_string(n, "auto_pad", "NOTSET");
        const int64_t *strides = hbg_attr_ints(n, "strides", &v) == 2 ? v : one;
        const int64_t *dil = hbg_attr_ints(n, "dilations", &v) == 2 ? v : one;
        memcpy(pads, hbg_attr_ints(n, "pads", &v) == 4 ? v : zero, sizeof pads);
        if (!strcmp(ap, "VALID")) {
            memset(pads, 0, sizeof pads);
        } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            /* explicit pads: ceil(in / stride) outputs, the odd pad at the end (UPPER) */
            const hbg_tensor *x = ftensor(c, n->in[0]);
            for (int a = 0; a < 2; a++) {
                int64_t o = (x->dims[2 + a] + strides[a] - 1) / strides[a];
                int64_t tot =
                    (o - 1) * strides[a] + (wt->dims[2 + a] - 1) * dil[a] + 1 - x->dims[2 + a];
                tot = tot < 0 ? 0 : tot;
                pads[a] = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
                pads[a + 2] = tot - pads[a];
            }
        }
        ok = attr_ints(q, "kernel_shape", wt->dims + 2, 2) && attr_ints(q, "strides", strides, 2) &&
             attr_ints(q, "pads", pads, 4) && attr_ints(q, "dilations", dil, 2) &&
             attr_i(q, "group", hbg_attr_int(n, "group", 1)) &&
             (!zp_in || attr_i(q, "pad_value", zp_in));
    }
    ok = ok && attr_i(q, "out_int32", int32_out);
    if (!int32_out) {
        act_clamp(c, act, s_out, zp_out, &lo, &hi);
        ok = ok && attr_ints(q, "multiplier", mult, (size_t)K) &&
             attr_ints(q, "shift", shift, (size_t)K) && attr_i(q, "lo", lo) &&
             attr_i(q, "hi", hi) && attr_f(q, "output_scale", s_out) &&
             (!zp_out || attr_i(q, "output_zero_point", zp_out));
    }
    ok = ok && attr_f(q, "input_scale", s_in) && attr_floats(q, "weight_scales", ws, (size_t)K) &&
         (!zp_in || attr_i(q, "input_zero_point", zp_in));
    if (!ok) {
        st = QFAIL(c, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    if (act >= 0)
        c->skip[act] = 1;
    st = HBG_OK;
out:
    free(wname);
    free(bname);
    free(wq);
    free(wf);
    free(bq);
    free(mult);
    free(shift);
    free(ws);
    free(dq);
    return st;
}

/* Add, Sub, Mul (with a fused Relu/Clip). */
static hbg_status emit_ewise(qctx *c, int ni, const unsigned char *cpu)
{
    const hbg_node *n = &c->fg->nodes[ni];
    const int act = fusable_act(c, n->out[0], cpu);
    const int out_t = act >= 0 ? c->fg->nodes[act].out[0] : n->out[0];
    const char *in[2], *oname;
    double s_out;
    int64_t lo, hi;
    hbg_node *q;
    hbg_status st;
    if ((st = need_q(c, n->in[0], &in[0])) != HBG_OK ||
        (st = need_q(c, n->in[1], &in[1])) != HBG_OK ||
        (st = threshold(c, out_t, &s_out)) != HBG_OK)
        return st;
    const double s1 = c->scale[n->in[0]], s2 = c->scale[n->in[1]];
    int32_t m1, m2;
    uint32_t r;
    int bad = n->op == HBG_OP_MUL ? hbc_quant_multiplier(s1 * s2 / s_out, &m1, &r)
                                  : hbc_quant_multiplier2(s1 / s_out, s2 / s_out, &m1, &m2, &r);
    if (bad)
        return QFAIL(c, HBG_E_UNSUPPORTED,
                     "node '%s': input/output scales give a multiplier "
                     "outside [2^-32, 2^30)",
                     nlabel(c, n));
    if ((st = set_q(c, out_t, s_out, &oname)) != HBG_OK ||
        (st = add_node(c, HBC_QUANT_DOMAIN, n->op_type, n->name, 2, in, oname, &q)) != HBG_OK)
        return st;
    act_clamp(c, act, s_out, 0, &lo, &hi);
    const int ok = n->op == HBG_OP_MUL ? attr_i(q, "multiplier", m1) && attr_i(q, "shift", r)
                                       : attr_i(q, "multiplier1", m1) &&
                                             attr_i(q, "multiplier2", m2) && attr_i(q, "shift", r);
    double sc[2] = {s1, s2};
    if (!ok || !attr_i(q, "lo", lo) || !attr_i(q, "hi", hi) ||
        !attr_floats(q, "input_scales", sc, 2) || !attr_f(q, "output_scale", s_out))
        return QFAIL(c, HBG_E_NOMEM, "out of memory");
    if (act >= 0)
        c->skip[act] = 1;
    return HBG_OK;
}

/* AveragePool (every distinct window count gets its multiplier) and GlobalAveragePool. */
static hbg_status emit_pool(qctx *c, int ni)
{
    const hbg_node *n = &c->fg->nodes[ni];
    const hbg_tensor *x = ftensor(c, n->in[0]);
    const int global = n->op == HBG_OP_GLOBALAVERAGEPOOL;
    const char *in[1], *oname;
    hbg_status st;
    hbg_node *q;
    double s_out;
    int64_t counts[64], mult[64], shift[64];
    int nc = 0;
    hbc_qgeom g;
    int ceil_mode = 0;
    memset(&g, 0, sizeof g);
    if ((st = need_q(c, n->in[0], &in[0])) != HBG_OK)
        return st;
    const double s_in = c->scale[n->in[0]];
    /* The output scale is calibrated; without an entry the input's scale is kept. */
    s_out = hbc_calib_table_find(c->tab, ftensor(c, n->out[0])->name) ? 0.0 : s_in;
    if (s_out == 0.0 && (st = threshold(c, n->out[0], &s_out)) != HBG_OK)
        return st;
    if (global) {
        counts[nc++] = x->dims[2] * x->dims[3];
    } else {
        const int64_t *v = NULL;
        hbg_attr_ints(n, "kernel_shape", &v);
        g.k[0] = v[0], g.k[1] = v[1];
        g.s[0] = g.s[1] = g.d[0] = g.d[1] = 1;
        if (hbg_attr_ints(n, "strides", &v) == 2)
            g.s[0] = v[0], g.s[1] = v[1];
        if (hbg_attr_ints(n, "pads", &v) == 4 &&
            strcmp(hbg_attr_string(n, "auto_pad", "NOTSET"), "VALID"))
            g.pb[0] = v[0], g.pb[1] = v[1], g.pe[0] = v[2], g.pe[1] = v[3];
        g.count_include_pad = hbg_attr_int(n, "count_include_pad", 0) != 0;
        ceil_mode = hbg_attr_int(n, "ceil_mode", 0) != 0;
        const int64_t OH = hbc_qgeom_out_len(&g, x->dims[2], 0, ceil_mode);
        const int64_t OW = hbc_qgeom_out_len(&g, x->dims[3], 1, ceil_mode);
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t cnt = hbc_qgeom_count(&g, x->dims[2], x->dims[3], oh, ow);
                int i = 0;
                while (i < nc && counts[i] != cnt)
                    i++;
                if (i < nc)
                    continue;
                if (nc == 64 || cnt < 1)
                    return QFAIL(c, HBG_E_UNSUPPORTED,
                                 "node '%s': window counts (%lld) are not quantised", nlabel(c, n),
                                 (long long)cnt);
                counts[nc++] = cnt;
            }
    }
    if (counts[0] > ((int64_t)1 << 23))
        return QFAIL(c, HBG_E_UNSUPPORTED, "node '%s': pooling plane too large", nlabel(c, n));
    for (int i = 0; i < nc; i++) {
        int32_t m;
        uint32_t r;
        if (hbc_quant_multiplier(s_in / (s_out * (double)counts[i]), &m, &r) != 0)
            return QFAIL(c, HBG_E_UNSUPPORTED, "node '%s': multiplier out of range", nlabel(c, n));
        mult[i] = m, shift[i] = r;
    }
    if ((st = set_q(c, n->out[0], s_out, &oname)) != HBG_OK ||
        (st = add_node(c, HBC_QUANT_DOMAIN, global ? "GlobalAveragePool" : "AveragePool", n->name,
                       1, in, oname, &q)) != HBG_OK)
        return st;
    int ok = attr_i(q, "lo", -128) && attr_i(q, "hi", 127) && attr_f(q, "input_scale", s_in) &&
             attr_f(q, "output_scale", s_out);
    if (global) {
        ok = ok && attr_i(q, "multiplier", mult[0]) && attr_i(q, "shift", shift[0]);
    } else {
        const int64_t pads[4] = {g.pb[0], g.pb[1], g.pe[0], g.pe[1]};
        ok = ok && attr_ints(q, "kernel_shape", g.k, 2) && attr_ints(q, "strides", g.s, 2) &&
             attr_ints(q, "pads", pads, 4) && attr_i(q, "ceil_mode", ceil_mode) &&
             attr_i(q, "count_include_pad", g.count_include_pad) &&
             attr_ints(q, "counts", counts, (size_t)nc) &&
             attr_ints(q, "multiplier", mult, (size_t)nc) &&
             attr_ints(q, "shift", shift, (size_t)nc);
    }
    return ok ? HBG_OK : QFAIL(c, HBG_E_NOMEM, "out of memory");
}

static hbg_status emit_lut(qctx *c, int ni)
{
    const hbg_node *n = &c->fg->nodes[ni];
    const char *in[1], *oname;
    hbg_status st;
    hbg_node *q;
    hbc_lut_fn fn = HBC_LUT_FN_COUNT;
    double s_out, p[2] = {0.0, 0.0};
    int8_t table[256];
    int64_t t64[256];
    lut_of(n->op, &fn);
    if ((st = need_q(c, n->in[0], &in[0])) != HBG_OK ||
        (st = threshold(c, n->out[0], &s_out)) != HBG_OK)
        return st;
    switch (n->op) {
    case HBG_OP_CLIP:
        clip_bounds(c, n, &p[0], &p[1]);
        break;
    case HBG_OP_HARDSIGMOID:
        p[0] = hbg_attr_float(n, "alpha", 0.2f), p[1] = hbg_attr_float(n, "beta", 0.5f);
        break;
    case HBG_OP_LEAKYRELU:
        p[0] = hbg_attr_float(n, "alpha", 0.01f);
        break;
    case HBG_OP_ELU:
        p[0] = hbg_attr_float(n, "alpha", 1.0f);
        break;
    case HBG_OP_PRELU:
        p[0] = hbg_tensor_get_double(ftensor(c, n->in[1]), 0);
        break;
    default:
        break;
    }
    const double s_in = c->scale[n->in[0]];
    if (hbc_quant_lut(fn, p, s_in, s_out, table) != 0)
        return QFAIL(c, HBG_E_INVALID, "node '%s': cannot build the LUT", nlabel(c, n));
    for (int i = 0; i < 256; i++)
        t64[i] = table[i];
    if ((st = set_q(c, n->out[0], s_out, &oname)) != HBG_OK ||
        (st = add_node(c, HBC_QUANT_DOMAIN, "Lut", n->name, 1, in, oname, &q)) != HBG_OK)
        return st;
    hbg_attr *f = hbg_node_add_attr(q, "function", HBG_ATTR_STRING);
    if (!f || !(f->s = strdup(n->op_type)) || !attr_ints(q, "table", t64, 256) ||
        !attr_f(q, "input_scale", s_in) || !attr_f(q, "output_scale", s_out))
        return QFAIL(c, HBG_E_NOMEM, "out of memory");
    return HBG_OK;
}

/* Deep copy of an attribute list. */
static hbg_status copy_attrs(qctx *c, hbg_node *dst, const hbg_node *src)
{
    for (int i = 0; i < src->n_attr; i++) {
        const hbg_attr *a = &src->attrs[i];
        hbg_attr *b = hbg_node_add_attr(dst, a->name, a->type);
        if (!b)
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        b->f = a->f, b->i = a->i, b->n = a->n;
        if (a->s && !(b->s = strdup(a->s)))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        if (a->floats && !(b->floats = malloc(a->n * sizeof *a->floats + 1)))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        if (a->floats)
            memcpy(b->floats, a->floats, a->n * sizeof *a->floats);
        if (a->ints && !(b->ints = malloc(a->n * sizeof *a->ints + 1)))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        if (a->ints)
            memcpy(b->ints, a->ints, a->n * sizeof *a->ints);
        if (a->strings) {
            if (!(b->strings = calloc(a->n + 1, sizeof *b->strings)))
                return QFAIL(c, HBG_E_NOMEM, "out of memory");
            for (size_t j = 0; j < a->n; j++)
                if (!(b->strings[j] = strdup(a->strings[j])))
                    return QFAIL(c, HBG_E_NOMEM, "out of memory");
        }
        if (a->t) {
            const hbg_tensor *t = a->t;
            if (!(b->t = hbg_tensor_create(t->name)) ||
                hbg_tensor_set_shape(b->t, t->dtype, t->rank, t->dims) != HBG_OK)
                return QFAIL(c, HBG_E_NOMEM, "out of memory");
            int64_t nb = hbg_tensor_nbytes(t);
            if (t->data && nb >= 0) {
                if (!(b->t->data = malloc((size_t)nb + 1)))
                    return QFAIL(c, HBG_E_NOMEM, "out of memory");
                memcpy(b->t->data, t->data, (size_t)nb);
                b->t->is_const = 1;
            }
        }
    }
    return HBG_OK;
}

/* The same default-domain node on int8 data (movement) or float data (CPU). */
static hbg_status emit_copy(qctx *c, int ni, int on_int8)
{
    const hbg_node *n = &c->fg->nodes[ni];
    hbg_status st = HBG_E_NOMEM;
    const char **in = calloc((size_t)n->n_in + 1, sizeof *in);
    const char **outs = calloc((size_t)n->n_out + 1, sizeof *outs);
    hbg_node *q;
    if (!in || !outs) {
        QFAIL(c, st, "out of memory");
        goto out;
    }
    for (int i = 0; i < n->n_in; i++) {
        if (n->in[i] < 0)
            continue;
        st = on_int8 && i == 0 ? need_q(c, n->in[i], &in[i]) : need_f(c, n->in[i], &in[i]);
        if (st != HBG_OK)
            goto out;
    }
    for (int o = 0; o < n->n_out; o++) {
        if (on_int8) {
            st = set_q(c, n->out[o], c->scale[n->in[0]], &outs[o]);
            /* max and data movement keep an unsigned input's zero point (choose_signs) */
            if (hbc_calib_passes_sign(n->op))
                c->zp[n->out[o]] = c->zp[n->in[0]];
        } else {
            st = (c->fname[n->out[o]] = strdup(ftensor(c, n->out[o])->name)) ? HBG_OK : HBG_E_NOMEM;
            outs[o] = c->fname[n->out[o]];
        }
        if (st != HBG_OK) {
            QFAIL(c, st, "out of memory");
            goto out;
        }
    }
    if ((st = hbg_graph_add_node(c->qg, n->op_type, n->domain, n->name, n->n_in, in, n->n_out, outs,
                                 &q)) != HBG_OK)
        goto out;
    st = copy_attrs(c, q, n);
out:
    free(in);
    free(outs);
    return st;
}

/* Concat: inputs whose scale differs from the largest input scale go through a Rescale. */
static hbg_status emit_concat(qctx *c, int ni)
{
    const hbg_node *n = &c->fg->nodes[ni];
    hbg_status st = HBG_E_NOMEM;
    const char **in = calloc((size_t)n->n_in + 1, sizeof *in);
    char **tmp = calloc((size_t)n->n_in + 1, sizeof *tmp);
    const char *oname;
    double s_out = 0.0;
    hbg_node *q;
    if (!in || !tmp) {
        QFAIL(c, st, "out of memory");
        goto out;
    }
    for (int i = 0; i < n->n_in; i++) {
        if ((st = need_q(c, n->in[i], &in[i])) != HBG_OK)
            goto out;
        if (c->scale[n->in[i]] > s_out)
            s_out = c->scale[n->in[i]];
    }
    for (int i = 0; i < n->n_in; i++) {
        const double s = c->scale[n->in[i]];
        int32_t m;
        uint32_t r;
        char suffix[32];
        if (s == s_out)
            continue;
        if (hbc_quant_multiplier(s / s_out, &m, &r) != 0) {
            st = QFAIL(c, HBG_E_UNSUPPORTED, "node '%s': rescale of input %d out of range",
                       nlabel(c, n), i);
            goto out;
        }
        snprintf(suffix, sizeof suffix, "_rescaled%d", i);
        if (!(tmp[i] = str_printf(nlabel(c, n), suffix))) {
            st = QFAIL(c, HBG_E_NOMEM, "out of memory");
            goto out;
        }
        if ((st = add_node(c, HBC_QUANT_DOMAIN, "Rescale", tmp[i], 1, &in[i], tmp[i], &q)) !=
            HBG_OK)
            goto out;
        if (!attr_i(q, "multiplier", m) || !attr_i(q, "shift", r) || !attr_i(q, "lo", -128) ||
            !attr_i(q, "hi", 127) || !attr_f(q, "input_scale", s) ||
            !attr_f(q, "output_scale", s_out)) {
            st = QFAIL(c, HBG_E_NOMEM, "out of memory");
            goto out;
        }
        in[i] = tmp[i];
    }
    if ((st = set_q(c, n->out[0], s_out, &oname)) != HBG_OK ||
        (st = add_node(c, "", "Concat", n->name, n->n_in, in, oname, &q)) != HBG_OK)
        goto out;
    st = copy_attrs(c, q, n);
out:
    for (int i = 0; tmp && i < n->n_in; i++)
        free(tmp[i]);
    free(tmp);
    free(in);
    return st;
}

/* ---- driver ------------------------------------------------------------------------------ */

/* The output side (docs/quantized-ops.md section 7). Walking backwards, a node placed AUTO whose
 * class is data movement, Concat or a LUT other than Relu/Clip, and whose every output is read by
 * CPU nodes only (or by nothing: a model output), also runs on the CPU in float: on the BPU its
 * int8 result would only be dequantised again, at a shared scale (Concat) or with a LUT's
 * rounding (a Sigmoid score below T / 254 becomes 0), where the float op keeps each input's own
 * precision. Relu/Clip stay: they fold into their producer for free and only clamp. Then bpu_uses
 * counts, per tensor, the reads by BPU nodes; a Conv/Gemm whose result no BPU node reads outputs
 * int32 with per-channel dequantisation. Only with hbc_quant_opts.output_side_cpu (not with
 * output_int8, set_model_output_int8, which keeps the int8 tails). */
static void place_output_side(qctx *c, const hbc_quant_opts *opts, unsigned char *cpu)
{
    const hbg_graph *fg = c->fg;
    for (int i = fg->n_nodes - 1; i >= 0; i--) {
        const hbg_node *n = &fg->nodes[i];
        const qclass cl = class_of(n->op);
        const int pl = opts && opts->place ? opts->place[i] : HBC_PLACE_AUTO;
        if (!cpu[i] && c->output_side_cpu && pl == HBC_PLACE_AUTO &&
            (cl == QC_MOVE || cl == QC_CONCAT ||
             (cl == QC_LUT && n->op != HBG_OP_RELU && n->op != HBG_OP_CLIP))) {
            int bpu_read = 0;
            for (int o = 0; o < n->n_out; o++)
                bpu_read |= n->out[o] >= 0 && c->bpu_uses[n->out[o]] > 0;
            cpu[i] = !bpu_read;
        }
        for (int j = 0; !cpu[i] && j < n->n_in; j++)
            if (n->in[j] >= 0)
                c->bpu_uses[n->in[j]]++;
    }
}

/* The scale tensor t has on the BPU before any Concat override: its table threshold / 127 (0
 * without one); ns holds the scale of every tensor written before it, in node order. */
static double table_scale(const qctx *c, int t)
{
    const hbc_calib_entry *e = hbc_calib_table_find(c->tab, ftensor(c, t)->name);
    return e && e->threshold > 0.0 && isfinite(e->threshold) ? e->threshold / 127.0 : 0.0;
}

/* A signed tensor that only a BPU Concat reads, written by a BPU node that requantises (Conv,
 * Gemm, Add, Mul, pooling, LUT, or a fused Relu/Clip), is requantised straight to the scale the
 * Concat will take, its largest input's (emit_concat), instead of to its own threshold and then
 * again by a Rescale: one rounding instead of two, and no Rescale on the BPU. The Concat's
 * inputs are otherwise unchanged, so emit_concat still rescales any input whose scale differs.
 * The scales the tensors will have are followed in node order (one pass): data movement keeps
 * its input's, a Concat takes its largest input's, everything else its table threshold's. */
static hbg_status concat_scales(qctx *c, const unsigned char *cpu)
{
    const hbg_graph *fg = c->fg;
    double *ns = malloc(((size_t)fg->n_tensors + 1) * sizeof *ns);
    if (!ns)
        return QFAIL(c, HBG_E_NOMEM, "out of memory");
    for (int t = 0; t < fg->n_tensors; t++)
        ns[t] = table_scale(c, t);
    for (int k = 0; k < fg->n_nodes; k++) {
        const hbg_node *n = &fg->nodes[k];
        const qclass cl = cpu[k] ? QC_CPU : class_of(n->op);
        if (n->n_out < 1 || n->out[0] < 0 || (cl != QC_MOVE && cl != QC_CONCAT))
            continue;
        double s_max = 0.0;
        for (int j = 0; j < (cl == QC_MOVE ? 1 : n->n_in) && j < n->n_in; j++)
            if (n->in[j] >= 0 && ns[n->in[j]] > s_max)
                s_max = ns[n->in[j]];
        ns[n->out[0]] = s_max;
        if (cl != QC_CONCAT || s_max <= 0.0)
            continue;
        for (int j = 0; j < n->n_in; j++) {
            const int t = n->in[j];
            const int p = t >= 0 ? fg->tensors[t]->producer : -1;
            if (p < 0 || cpu[p] || c->uses[t] != 1 || c->zp[t] || ftensor(c, t)->is_output)
                continue;
            switch (class_of(fg->nodes[p].op)) {
            case QC_CONV:
            case QC_GEMM:
            case QC_ADDSUB:
            case QC_MUL:
            case QC_AVGPOOL:
            case QC_GAP:
            case QC_LUT:
                c->cat_scale[t] = s_max;
                break;
            default:
                break;
            }
        }
    }
    free(ns);
    return HBG_OK;
}

/* 1 when every node reading t, and through pass-through ops every node reading their outputs,
 * runs on the BPU. */
static int bpu_readers(const qctx *c, int t, const unsigned char *cpu, int depth)
{
    if (depth > 64)
        return 0;
    for (int i = 0; i < c->fg->n_nodes; i++) {
        const hbg_node *n = &c->fg->nodes[i];
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] == t && (cpu[i] || (hbc_calib_passes_sign(n->op) &&
                                             !bpu_readers(c, n->out[0], cpu, depth + 1))))
                return 0;
    }
    return 1;
}

/* Unsigned activations (hbc_calib_unsigned) whose producer pair and readers all run on the BPU
 * get the zero point HBC_ZP_UNSIGNED (the pass-through outputs after them inherit it in
 * emit_copy); the others stay signed. */
static void choose_signs(qctx *c, const unsigned char *cpu)
{
    const hbg_graph *fg = c->fg;
    for (int t = 0; t < fg->n_tensors; t++) {
        if (!hbc_calib_unsigned(fg, t) || hbc_calib_unsigned_source(fg, t) != t)
            continue;
        const int a = fg->tensors[t]->producer;
        const int y = fg->nodes[a].in[0], p = fg->tensors[y]->producer;
        const int ok =
            !cpu[a] && !cpu[p] && fusable_act(c, y, cpu) == a && bpu_readers(c, t, cpu, 0);
        c->zp[t] = ok ? HBC_ZP_UNSIGNED : 0;
    }
}

static hbg_status setup(qctx *c)
{
    hbg_graph *fg = c->fg, *qg = c->qg;
    hbg_status st;
    const size_t nt = (size_t)fg->n_tensors + 1;
    c->scale = calloc(nt, sizeof *c->scale);
    c->qname = calloc(nt, sizeof *c->qname);
    c->fname = calloc(nt, sizeof *c->fname);
    c->uses = calloc(nt, sizeof *c->uses);
    c->bpu_uses = calloc(nt, sizeof *c->bpu_uses);
    c->skip = calloc((size_t)fg->n_nodes + 1, 1);
    c->zp = calloc(nt, sizeof *c->zp);
    c->cat_scale = calloc(nt, sizeof *c->cat_scale);
    if (!c->scale || !c->qname || !c->fname || !c->uses || !c->bpu_uses || !c->skip || !c->zp ||
        !c->cat_scale)
        return QFAIL(c, HBG_E_NOMEM, "out of memory");
    for (int i = 0; i < fg->n_nodes; i++)
        for (int j = 0; j < fg->nodes[i].n_in; j++)
            if (fg->nodes[i].in[j] >= 0)
                c->uses[fg->nodes[i].in[j]]++;
    free(qg->name);
    if (!(qg->name = strdup(fg->name ? fg->name : "")))
        return QFAIL(c, HBG_E_NOMEM, "out of memory");
    qg->ir_version = fg->ir_version > 7 ? fg->ir_version : 7;
    for (int i = 0; i < fg->n_opsets; i++)
        if ((st = hbg_graph_add_opset(qg, fg->opsets[i].domain, fg->opsets[i].version)) != HBG_OK)
            return st;
    if (hbg_graph_opset(qg, HBC_QUANT_DOMAIN) == 0 &&
        (st = hbg_graph_add_opset(qg, HBC_QUANT_DOMAIN, HBC_QUANT_VERSION)) != HBG_OK)
        return st;
    for (int i = 0; i < fg->n_inputs; i++) {
        const hbg_tensor *x = ftensor(c, fg->inputs[i]);
        int t = hbg_graph_tensor(qg, x->name);
        if (t < 0 || !(c->fname[fg->inputs[i]] = strdup(x->name)))
            return QFAIL(c, HBG_E_NOMEM, "out of memory");
        if ((st = hbg_tensor_set_shape(qg->tensors[t], x->dtype, x->rank, x->dims)) != HBG_OK ||
            (st = hbg_graph_add_input(qg, t)) != HBG_OK)
            return st;
    }
    return HBG_OK;
}

static hbg_status quantize(qctx *c, const unsigned char *cpu)
{
    hbg_status st;
    hbg_graph *fg = c->fg;
    for (int i = 0; i < fg->n_nodes; i++) {
        const hbg_node *n = &fg->nodes[i];
        if (c->skip[i])
            continue;
        qclass cl = cpu[i] ? QC_CPU : class_of(n->op);
        switch (cl) {
        case QC_CONV:
        case QC_GEMM:
            st = emit_acc(c, i, cpu);
            break;
        case QC_ADDSUB:
        case QC_MUL:
            st = emit_ewise(c, i, cpu);
            break;
        case QC_AVGPOOL:
        case QC_GAP:
            st = emit_pool(c, i);
            break;
        case QC_LUT:
            st = emit_lut(c, i);
            break;
        case QC_CONCAT:
            st = emit_concat(c, i);
            break;
        case QC_MOVE:
            st = emit_copy(c, i, 1);
            break;
        default:
            st = emit_copy(c, i, 0);
            break;
        }
        if (st != HBG_OK) {
            if (!strstr(c->qg->err, "node '")) {
                char msg[sizeof c->qg->err];
                snprintf(msg, sizeof msg, "%s", c->qg->err);
                QFAIL(c, st, "node '%s' (%s): %s", nlabel(c, n), n->op_type, msg);
            }
            return st;
        }
    }
    for (int i = 0; i < fg->n_outputs; i++) {
        const char *name;
        int t;
        if ((st = need_f(c, fg->outputs[i], &name)) != HBG_OK)
            return st;
        if ((t = hbg_graph_find_tensor(c->qg, name)) < 0)
            return QFAIL(c, HBG_E_INVALID, "output '%s' was not produced", name);
        if ((st = hbg_graph_add_output(c->qg, t)) != HBG_OK)
            return st;
    }
    return hbg_graph_validate(c->qg, 0);
}

int hbc_quant_zero_point(const hbg_graph *qg, int t)
{
    for (int depth = 0; depth <= 64 && t >= 0 && t < qg->n_tensors; depth++) {
        if (qg->tensors[t]->producer < 0 || qg->tensors[t]->dtype != HBG_DT_I8)
            return 0;
        const hbg_node *p = &qg->nodes[qg->tensors[t]->producer];
        if (strcmp(p->domain, HBC_QUANT_DOMAIN) == 0)
            return p->n_out > 0 && p->out[0] == t ? (int)hbg_attr_int(p, "output_zero_point", 0)
                                                  : 0;
        /* a default-domain op on int8 data (max, data movement) keeps its input's */
        if (p->n_in < 1 || !hbc_calib_passes_sign(p->op))
            return 0;
        t = p->in[0];
    }
    return 0;
}

double hbc_quant_scale(const hbg_graph *qg, int t)
{
    for (int depth = 0; depth <= 64 && t >= 0 && t < qg->n_tensors; depth++) {
        if (qg->tensors[t]->producer < 0 || qg->tensors[t]->dtype != HBG_DT_I8)
            return 0;
        const hbg_node *p = &qg->nodes[qg->tensors[t]->producer];
        if (strcmp(p->domain, HBC_QUANT_DOMAIN) == 0)
            return p->n_out > 0 && p->out[0] == t
                       ? hbg_attr_float(
                             p, strcmp(p->op_type, "Quantize") == 0 ? "scale" : "output_scale",
                             0.0f)
                       : 0;
        /* max, data movement and Concat keep their (first) input's scale */
        if (p->n_in < 1 || (class_of(p->op) != QC_MOVE && p->op != HBG_OP_CONCAT))
            return 0;
        t = p->in[0];
    }
    return 0;
}

hbg_status hbc_quantize(hbg_graph *fg, const hbc_calib_table *tab, const hbc_quant_opts *opts,
                        hbg_graph **out, char *err, size_t errlen)
{
    hbg_status st;
    hbg_exec *ex = NULL;
    unsigned char *cpu = NULL;
    qctx c;
    memset(&c, 0, sizeof c);
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    /* Shapes of every tensor: prepare (and drop) a float executor. */
    if ((st = hbg_exec_create(fg, &ex)) != HBG_OK) {
        snprintf(err, errlen, "%s", fg->err);
        return st;
    }
    hbg_exec_free(ex);
    if (!(c.qg = hbg_graph_create()) || !(cpu = calloc((size_t)fg->n_nodes + 1, 1))) {
        st = HBG_E_NOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    c.fg = fg;
    c.tab = tab;
    c.output_int8 = opts && opts->output_int8;
    c.output_side_cpu = opts && opts->output_side_cpu && !c.output_int8;
    if (opts && opts->place && opts->n_place != fg->n_nodes) {
        st = QFAIL(&c, HBG_E_INVALID, "placement has %d entries for %d nodes", opts->n_place,
                   fg->n_nodes);
        goto fail;
    }
    if ((st = setup(&c)) != HBG_OK)
        goto fail;
    for (int i = 0; i < fg->n_nodes; i++) {
        const hbg_node *n = &fg->nodes[i];
        const char *why = unsupported(&c, n, class_of(n->op));
        const int pl = opts && opts->place ? opts->place[i] : HBC_PLACE_AUTO;
        if (pl == HBC_PLACE_BPU && why && n->op != HBG_OP_CONSTANT) {
            st = QFAIL(&c, HBG_E_UNSUPPORTED, "node '%s' (%s) cannot run on the BPU: %s",
                       nlabel(&c, n), n->op_type, why);
            goto fail;
        }
        if (pl != HBC_PLACE_AUTO && pl != HBC_PLACE_CPU && pl != HBC_PLACE_BPU) {
            st = QFAIL(&c, HBG_E_INVALID, "node '%s': placement %d is not an hbc_qplace",
                       nlabel(&c, n), pl);
            goto fail;
        }
        cpu[i] = pl == HBC_PLACE_CPU || why != NULL || n->op == HBG_OP_CONSTANT;
    }
    place_output_side(&c, opts, cpu);
    if (!(opts && opts->signed_only))
        choose_signs(&c, cpu);
    if ((st = concat_scales(&c, cpu)) != HBG_OK || (st = quantize(&c, cpu)) != HBG_OK)
        goto fail;
    /* Prepare (and drop) the integer executor: checks every emitted node against its written
     * semantics and gives every tensor its type and shape for the saved file. */
    {
        hbc_qexec *qe = NULL;
        if ((st = hbc_qexec_create(c.qg, &qe)) != HBG_OK)
            goto fail;
        hbc_qexec_free(qe);
    }
    *out = c.qg;
    c.qg = NULL;
    goto out;
fail:
    snprintf(err, errlen, "%s", c.qg ? c.qg->err : "out of memory");
out:
    for (int t = 0; c.qname && t < fg->n_tensors; t++)
        free(c.qname[t]);
    for (int t = 0; c.fname && t < fg->n_tensors; t++)
        free(c.fname[t]);
    free(c.qname);
    free(c.fname);
    free(c.scale);
    free(c.uses);
    free(c.bpu_uses);
    free(c.skip);
    free(c.zp);
    free(c.cat_scale);
    free(cpu);
    hbg_graph_free(c.qg);
    return st;
}
