/* The BPU op-support table (docs/placement.md): for each graph op, the marches whose BPU runs it
 * and the check of its attributes and shapes. The limits are the intersection of the reference's
 * operator constraints per march (interface notes section 6) and what our BPU executes
 * (docs/bpu-isa.md: CONV normal/depthwise, EWISE, POOL, RESIZE, LUT, COPY). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hbc_mapper.h"

/* Our BPU's own limits (docs/bpu-isa.md section 11). */
#define ISA_MAX_CH      16384 /* CONV c, k */
#define ISA_MAX_RED     65536 /* NORMAL CONV kh*kw*c */
#define ISA_MAX_FIELD   255   /* kernel, stride, dilation, pads */
#define ISA_MAX_SPATIAL 65535

/* Per-march limits from the reference's tables (section 6.1 X3, 6.2 Ultra, 6.3 X5), already
 * clipped to the ISA's. */
typedef struct march_limits {
    int conv_k;        /* kernel H, W <= conv_k */
    int conv_ch_group; /* input channels per group <= */
    int conv_ch_plain; /* ... for a plain (group 1, dilation 1) conv */
    int conv_khwc;     /* kernel H*W*C <= */
    int conv_dil;      /* dilation <= */
    int dil_pow2;      /* 1: dilation must be a power of 2 */
    int dil_stride1;   /* 1: dilation > 1 needs stride 1 */
    int maxpool_k;     /* MaxPool kernel side <= */
    int pool_stride;   /* pooling stride <= */
    int avgpool_k;     /* AveragePool kernel side <= */
    int avgpool_area;  /* AveragePool kernel H*W <= (0: no limit) */
    int gap_area;      /* GlobalAveragePool H*W <= (0: no limit) */
    int ew_ch;         /* Add/Mul/Concat channels <= (0: no limit) */
    int lut_chw;       /* C*H*W of the LUT ops marked LUT_SMALL <= (0: no limit) */
    int fc_in;         /* Gemm/MatMul input features <= */
    int max_batch;     /* N <= */
} march_limits;

static const march_limits limits[BPU_MARCH_COUNT] = {
    [BPU_MARCH_BERNOULLI2] = {.conv_k = 7,
                              .conv_ch_group = 2048,
                              .conv_ch_plain = 4096,
                              .conv_khwc = 32768,
                              .conv_dil = ISA_MAX_FIELD,
                              .dil_pow2 = 1,
                              .maxpool_k = 64,
                              .pool_stride = 185,
                              .avgpool_k = 7,
                              .gap_area = 8192,
                              .ew_ch = 2048,
                              .lut_chw = 8192,
                              .fc_in = 16384,
                              .max_batch = 128},
    [BPU_MARCH_BAYES] = {.conv_k = 31,
                         .conv_ch_group = 8192,
                         .conv_ch_plain = 8192,
                         .conv_khwc = 65535,
                         .conv_dil = 16,
                         .dil_stride1 = 1,
                         .maxpool_k = ISA_MAX_FIELD,
                         .pool_stride = ISA_MAX_FIELD,
                         .avgpool_k = ISA_MAX_FIELD,
                         .fc_in = 8192,
                         .max_batch = 4096},
    [BPU_MARCH_BAYES_E] = {.conv_k = 31,
                           .conv_ch_group = 8192,
                           .conv_ch_plain = 8192,
                           .conv_khwc = 32767,
                           .conv_dil = 16,
                           .dil_stride1 = 1,
                           .maxpool_k = ISA_MAX_FIELD,
                           .pool_stride = ISA_MAX_FIELD,
                           .avgpool_k = ISA_MAX_FIELD,
                           .avgpool_area = 8192,
                           .fc_in = 8192,
                           .max_batch = 4096},
};

#define B2  (1u << BPU_MARCH_BERNOULLI2)
#define BY  (1u << BPU_MARCH_BAYES)
#define BE  (1u << BPU_MARCH_BAYES_E)
#define ALL (B2 | BY | BE)

typedef struct check_ctx {
    const hbg_graph *g;
    const hbg_node *n;
    bpu_march_id march;
    const march_limits *lim;
    char *why;
    size_t whylen;
} check_ctx;

/* Record why the node stays on the CPU; returns 0 (CPU). */
static int no(check_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int no(check_ctx *c, const char *fmt, ...)
{
    va_list ap;
    if (!c->whylen)
        return 0;
    int k = snprintf(c->why, c->whylen, "%s: ", c->n->op_type);
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < c->whylen)
        vsnprintf(c->why + k, c->whylen - (size_t)k, fmt, ap);
    va_end(ap);
    return 0;
}

static const hbg_tensor *in_t(const check_ctx *c, int i)
{
    return i < c->n->n_in && c->n->in[i] >= 0 ? c->g->tensors[c->n->in[i]] : NULL;
}

static const hbg_tensor *out_t(const check_ctx *c, int i)
{
    return c->g->tensors[c->n->out[i]];
}

/* Every tensor the BPU moves (non-constant inputs, outputs) is float, rank 1..4, N within the
 * march's batch limit, every dimension within the ISA's spatial limit. */
static int check_tensors(check_ctx *c)
{
    for (int i = 0; i < c->n->n_in + c->n->n_out; i++) {
        int idx = i < c->n->n_in ? c->n->in[i] : c->n->out[i - c->n->n_in];
        if (idx < 0)
            continue;
        const hbg_tensor *t = c->g->tensors[idx];
        if (i < c->n->n_in && t->is_const)
            continue;
        if (t->dtype != HBG_DT_F32)
            return no(c, "tensor %s is %s, the BPU takes float feature maps", t->name,
                      hbg_dtype_name(t->dtype));
        if (t->rank < 1 || t->rank > 4)
            return no(c, "tensor %s has rank %d, the BPU takes 1..4", t->name, t->rank);
        if (t->rank == 4 && t->dims[0] > c->lim->max_batch)
            return no(c, "tensor %s has N = %lld > %d", t->name, (long long)t->dims[0],
                      c->lim->max_batch);
        for (int d = 1; d < t->rank; d++)
            if (t->dims[d] > ISA_MAX_SPATIAL)
                return no(c, "tensor %s: dimension %d is %lld > %d", t->name, d,
                          (long long)t->dims[d], ISA_MAX_SPATIAL);
    }
    return 1;
}

/* An INTS attribute of n values (default dflt for each when absent) into v; -1 when its count
 * is wrong. */
static int ints_attr(const hbg_node *n, const char *name, int count, int64_t dflt, int64_t *v)
{
    const int64_t *a;
    int k = hbg_attr_ints(n, name, &a);
    for (int i = 0; i < count; i++)
        v[i] = k < 0 ? dflt : i < k ? a[i] : dflt;
    return k < 0 || k == count ? 0 : -1;
}

static int is_pow2(int64_t v)
{
    return v > 0 && (v & (v - 1)) == 0;
}

static int check_conv(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0), *w = in_t(c, 1), *b = in_t(c, 2);
    int64_t k[2], s[2], d[2], p[4];
    if (!x || x->rank != 4 || !w || w->rank != 4)
        return no(c, "only 2-D convolution (4-D input) runs on the BPU");
    if (!w->is_const || (b && !b->is_const))
        return no(c, "the weight and bias must be constant");
    int64_t group = hbg_attr_int(c->n, "group", 1), cin = x->dims[1], kout = w->dims[0];
    k[0] = w->dims[2];
    k[1] = w->dims[3];
    if (ints_attr(c->n, "strides", 2, 1, s) || ints_attr(c->n, "dilations", 2, 1, d) ||
        ints_attr(c->n, "pads", 4, 0, p))
        return no(c, "strides/dilations/pads do not have 2/2/4 values");
    int depthwise = group > 1 && group == cin && kout == cin;
    if (group != 1 && !depthwise)
        return no(c, "group %lld: only plain (group 1) and depthwise convolution run on the BPU",
                  (long long)group);
    for (int i = 0; i < 2; i++) {
        if (k[i] > c->lim->conv_k)
            return no(c, "kernel %lldx%lld, the BPU of %s takes up to %dx%d", (long long)k[0],
                      (long long)k[1], bpu_march_get(c->march)->name, c->lim->conv_k,
                      c->lim->conv_k);
        if (s[i] > ISA_MAX_FIELD)
            return no(c, "stride %lld > %d", (long long)s[i], ISA_MAX_FIELD);
        if (d[i] > c->lim->conv_dil || (c->lim->dil_pow2 && !is_pow2(d[i])))
            return no(c, "dilation %lld: %s takes %s up to %d", (long long)d[i],
                      bpu_march_get(c->march)->name, c->lim->dil_pow2 ? "powers of 2" : "values",
                      c->lim->conv_dil);
        if (d[i] > 1 && c->lim->dil_stride1 && s[i] != 1)
            return no(c, "dilation %lld needs stride 1 on %s", (long long)d[i],
                      bpu_march_get(c->march)->name);
    }
    for (int i = 0; i < 4; i++)
        if (p[i] > ISA_MAX_FIELD)
            return no(c, "pad %lld > %d", (long long)p[i], ISA_MAX_FIELD);
    int plain = group == 1 && d[0] == 1 && d[1] == 1;
    int64_t cpg = cin / group, ch_lim = plain ? c->lim->conv_ch_plain : c->lim->conv_ch_group;
    if (cpg > ch_lim || kout > ISA_MAX_CH)
        return no(c, "%lld input channels per group and %lld outputs; the limit is %lld and %d",
                  (long long)cpg, (long long)kout, (long long)ch_lim, ISA_MAX_CH);
    int64_t khwc = k[0] * k[1] * cpg;
    if (khwc > c->lim->conv_khwc || (!depthwise && khwc > ISA_MAX_RED))
        return no(c, "kernel H*W*C = %lld > %d", (long long)khwc, c->lim->conv_khwc);
    return 1;
}

/* Gemm / MatMul by a constant matrix: a 1x1 convolution (MatMul: over the last axis). */
static int check_fc(check_ctx *c)
{
    const hbg_tensor *a = in_t(c, 0), *b = in_t(c, 1), *bias = in_t(c, 2);
    if (!b || !b->is_const || b->rank != 2)
        return no(c, "only a product with a constant 2-D matrix runs on the BPU");
    if (c->n->op == HBG_OP_GEMM) {
        if (hbg_attr_int(c->n, "transA", 0) != 0)
            return no(c, "transA = 1");
        if (bias && !bias->is_const)
            return no(c, "the bias C must be constant");
    } else if (a->rank < 2) {
        return no(c, "a 1-D input");
    }
    int trans_b = c->n->op == HBG_OP_GEMM && hbg_attr_int(c->n, "transB", 0);
    int64_t fin = b->dims[trans_b ? 1 : 0], fout = b->dims[trans_b ? 0 : 1];
    if (fin > c->lim->fc_in || fout > ISA_MAX_CH || fin > ISA_MAX_RED)
        return no(c, "%lld input and %lld output features; the limit is %d and %d", (long long)fin,
                  (long long)fout, c->lim->fc_in, ISA_MAX_CH);
    return 1;
}

/* C of an NCHW-style tensor (dimension 1; a 1-D tensor is all channels). */
static int64_t channels(const hbg_tensor *t)
{
    return t->rank >= 2 ? t->dims[1] : t->rank == 1 ? t->dims[0] : 1;
}

/* Elements per sample (all dimensions but the first). */
static int64_t per_sample(const hbg_tensor *t)
{
    int64_t v = 1;
    for (int i = 1; i < t->rank; i++)
        v *= t->dims[i];
    return v;
}

/* Dims of t right-aligned to 4 (missing leading dims are 1). */
static void dims4(const hbg_tensor *t, int64_t *d)
{
    for (int i = 0; i < 4; i++)
        d[i] = i - (4 - t->rank) >= 0 ? t->dims[i - (4 - t->rank)] : 1;
}

/* How EWISE can read operand b against a: 2 same shape, 1 one vector along a single axis or a
 * scalar, 0 not at all. */
static int bcast_kind(const hbg_tensor *a, const hbg_tensor *b, int *axis)
{
    int64_t da[4], db[4];
    int same = 1, kept = 0;
    dims4(a, da);
    dims4(b, db);
    for (int i = 0; i < 4; i++) {
        if (db[i] != da[i] && db[i] != 1)
            return 0;
        same &= db[i] == da[i];
        if (db[i] != 1) {
            kept++;
            *axis = i;
        }
    }
    if (same)
        return 2;
    if (kept == 0)
        *axis = -1;
    return kept <= 1 ? 1 : 0;
}

static int check_eltwise(check_ctx *c)
{
    if (c->n->n_in != 2)
        return no(c, "%d inputs; the BPU adds two", c->n->n_in);
    const hbg_tensor *a = in_t(c, 0), *b = in_t(c, 1), *y = out_t(c, 0);
    if (a->is_const && b->is_const)
        return no(c, "both inputs are constant");
    int commutative = c->n->op != HBG_OP_SUB, axis_a = -1, axis_b = -1, axis;
    int kb = bcast_kind(y, b, &axis_b), ka = bcast_kind(y, a, &axis_a);
    /* The second operand of EWISE may be broadcast; the first must have the output's shape. */
    if (ka == 2 && kb)
        axis = kb == 1 ? axis_b : -1;
    else if (commutative && kb == 2 && ka)
        axis = axis_a;
    else
        return no(c,
                  "broadcast of %s against %s: the BPU broadcasts one vector or scalar "
                  "operand%s",
                  a->name, b->name, commutative ? "" : " (the second one)");
    /* axis: the broadcast vector's axis counted in y's own rank; -1 for none or a scalar. */
    axis = axis >= 0 ? axis - (4 - y->rank) : -1;
    if (c->march == BPU_MARCH_BERNOULLI2 && axis >= 0 && axis != 1)
        return no(c, "bernoulli2 broadcasts per channel (1xCx1x1) or a scalar only");
    if (c->lim->ew_ch && channels(y) > c->lim->ew_ch)
        return no(c, "C = %lld > %d", (long long)channels(y), c->lim->ew_ch);
    return 1;
}

/* LUT ops and the bernoulli2 size rule of its "small" ones. */
static int check_lut(check_ctx *c)
{
    const hbg_tensor *y = out_t(c, 0);
    if (c->n->op == HBG_OP_CLIP)
        for (int i = 1; i < c->n->n_in; i++)
            if (in_t(c, i) && !in_t(c, i)->is_const)
                return no(c, "min/max must be constant");
    if (c->n->op == HBG_OP_PRELU) {
        const hbg_tensor *s = in_t(c, 1);
        int axis = -1;
        if (y->rank != 4 || !s->is_const || bcast_kind(y, s, &axis) == 0 ||
            (axis >= 0 && axis != 1))
            return no(c, "a 4-D input with a constant per-channel or scalar slope only");
    }
    if (c->lim->lut_chw &&
        (c->n->op == HBG_OP_SIGMOID || c->n->op == HBG_OP_TANH || c->n->op == HBG_OP_SIN ||
         c->n->op == HBG_OP_COS || c->n->op == HBG_OP_SQRT || c->n->op == HBG_OP_SOFTPLUS) &&
        per_sample(y) > c->lim->lut_chw)
        return no(c, "C*H*W = %lld > %d on %s", (long long)per_sample(y), c->lim->lut_chw,
                  bpu_march_get(c->march)->name);
    return 1;
}

static int check_bn(check_ctx *c)
{
    if (out_t(c, 0)->rank != 4)
        return no(c, "not 4-D");
    for (int i = 1; i < c->n->n_in; i++)
        if (!in_t(c, i)->is_const)
            return no(c, "scale/bias/mean/var must be constant");
    return 1;
}

/* Pooling windows: pads smaller than the kernel; AVG divides by the whole window
 * (count_include_pad, POOL's COUNT_PAD) or by the valid cells. */
static int check_pool(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0), *y = out_t(c, 0);
    int64_t k[2], s[2], d[2], p[4];
    int avg = c->n->op == HBG_OP_AVERAGEPOOL, overhang = 0;
    if (x->rank != 4 || c->n->n_out != 1)
        return no(c, "only 4-D pooling with one output runs on the BPU");
    if (ints_attr(c->n, "kernel_shape", 2, 1, k) || ints_attr(c->n, "strides", 2, 1, s) ||
        ints_attr(c->n, "dilations", 2, 1, d) || ints_attr(c->n, "pads", 4, 0, p))
        return no(c, "kernel_shape/strides/dilations/pads do not have 2/2/2/4 values");
    int kmax = avg ? c->lim->avgpool_k : c->lim->maxpool_k;
    for (int i = 0; i < 2; i++) {
        if (k[i] > kmax)
            return no(c, "kernel %lldx%lld > %dx%d", (long long)k[0], (long long)k[1], kmax, kmax);
        if (s[i] > c->lim->pool_stride)
            return no(c, "stride %lld > %d", (long long)s[i], c->lim->pool_stride);
        if (d[i] != 1)
            return no(c, "dilation %lld", (long long)d[i]);
        if (p[i] >= k[i] || p[i + 2] >= k[i])
            return no(c, "pads must be smaller than the kernel");
        /* ceil_mode's extra output row/column: a larger bottom/right pad (still smaller than
         * the kernel), whose cells never count (MAX, or AVG counting valid cells). */
        int64_t extra = (y->dims[2 + i] - 1) * s[i] + k[i] - (x->dims[2 + i] + p[i] + p[i + 2]);
        if (extra > 0) {
            overhang = 1;
            if (p[i + 2] + extra >= k[i])
                return no(c, "ceil_mode: the last window would need a pad >= the kernel");
        }
    }
    int count_pad = avg && hbg_attr_int(c->n, "count_include_pad", 0) != 0;
    int padded = p[0] || p[1] || p[2] || p[3];
    if (overhang && count_pad && padded)
        return no(c, "count_include_pad with both pads and ceil_mode: the BPU counts the whole "
                     "window or only valid cells");
    if (avg && c->lim->avgpool_area && k[0] * k[1] > c->lim->avgpool_area)
        return no(c, "kernel area %lld > %d", (long long)(k[0] * k[1]), c->lim->avgpool_area);
    return 1;
}

static int check_global_pool(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0);
    if (x->rank != 4)
        return no(c, "not 4-D");
    if (x->dims[2] > ISA_MAX_FIELD || x->dims[3] > ISA_MAX_FIELD)
        return no(c, "H x W = %lld x %lld; the pooling window is at most %d x %d",
                  (long long)x->dims[2], (long long)x->dims[3], ISA_MAX_FIELD, ISA_MAX_FIELD);
    if (c->n->op != HBG_OP_GLOBALMAXPOOL && c->lim->gap_area &&
        x->dims[2] * x->dims[3] > c->lim->gap_area)
        return no(c, "H*W = %lld > %d", (long long)(x->dims[2] * x->dims[3]), c->lim->gap_area);
    return 1;
}

/* ReduceMean over H and W with keepdims: a global average pool. */
static int check_reduce_mean(check_ctx *c)
{
    int64_t ax[2];
    const hbg_tensor *x = in_t(c, 0);
    if (c->n->n_in > 1 || x->rank != 4 || hbg_attr_int(c->n, "keepdims", 1) != 1 ||
        ints_attr(c->n, "axes", 2, 0, ax) || hbg_node_attr(c->n, "axes") == NULL)
        return no(c, "only axes [2, 3] of a 4-D input with keepdims = 1 run on the BPU");
    for (int i = 0; i < 2; i++)
        ax[i] = ax[i] < 0 ? ax[i] + 4 : ax[i];
    if (!((ax[0] == 2 && ax[1] == 3) || (ax[0] == 3 && ax[1] == 2)))
        return no(c, "only axes [2, 3] of a 4-D input with keepdims = 1 run on the BPU");
    return check_global_pool(c);
}

/* Normalised axis attribute of a node reading x. */
static int64_t axis_of(const hbg_node *n, const hbg_tensor *x, int64_t dflt)
{
    int64_t a = hbg_attr_int(n, "axis", dflt);
    return a < 0 ? a + x->rank : a;
}

static int check_concat(check_ctx *c)
{
    const hbg_tensor *y = out_t(c, 0);
    if (axis_of(c->n, y, 1) == 0 && y->rank > 1)
        return no(c, "along N");
    if (c->lim->ew_ch && channels(y) > c->lim->ew_ch)
        return no(c, "C = %lld > %d", (long long)channels(y), c->lim->ew_ch);
    return 1;
}

static int check_split(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0);
    if (axis_of(c->n, x, 0) == 0)
        return no(c, "along N");
    for (int o = 1; o < c->n->n_out; o++)
        if (hbg_tensor_numel(out_t(c, o)) != hbg_tensor_numel(out_t(c, 0)))
            return no(c, "uneven parts");
    return 1;
}

static int check_slice(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0), *y = out_t(c, 0);
    for (int i = 1; i < c->n->n_in; i++)
        if (in_t(c, i) && !in_t(c, i)->is_const)
            return no(c, "starts/ends/axes/steps must be constant");
    /* A step other than 1 only along the channels of a 4-D map whose H and W are not sliced
     * (ShuffleNetV2's channel split, passes channel_shuffle): the compiler moves those channels
     * with a 0/1 convolution (docs/placement.md). */
    const hbg_tensor *steps = in_t(c, 4), *axes = in_t(c, 3);
    for (int64_t i = 0; steps && i < hbg_tensor_numel(steps); i++) {
        int64_t st = hbg_tensor_get_int(steps, i), ax = axes ? hbg_tensor_get_int(axes, i) : i;
        ax = ax < 0 ? ax + x->rank : ax;
        if (st != 1 && !(st > 1 && ax == 1 && x->rank == 4 && y->rank == 4 &&
                         x->dims[2] == y->dims[2] && x->dims[3] == y->dims[3]))
            return no(c, "steps other than 1 (but a channel step of a map whose H and W are "
                         "not sliced)");
    }
    if (x->rank > 1 && x->dims[0] != y->dims[0])
        return no(c, "along N");
    return 1;
}

/* Gather along the channels of a 4-D map by a constant 1-D list of channels (a channel
 * permutation or selection, e.g. the passes' channel_shuffle): the compiler moves them with a
 * 0/1 convolution (docs/placement.md). */
static int check_gather(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0), *ix = in_t(c, 1);
    int64_t axis = hbg_attr_int(c->n, "axis", 0);
    if (!x || x->rank != 4 || (axis != 1 && axis != -3))
        return no(c, "only along the channels of a 4-D map");
    if (!ix || !ix->is_const || ix->rank != 1 || hbg_tensor_numel(ix) < 1)
        return no(c, "indices must be a constant 1-D list");
    for (int64_t i = 0; i < hbg_tensor_numel(ix); i++) {
        int64_t v = hbg_tensor_get_int(ix, i);
        if (v < -x->dims[1] || v >= x->dims[1])
            return no(c, "index %lld out of range", (long long)v);
    }
    return 1;
}

static int check_resize(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0), *y = out_t(c, 0);
    const char *mode = hbg_attr_string(c->n, "mode", "nearest");
    const char *ct = hbg_attr_string(c->n, "coordinate_transformation_mode", "asymmetric");
    static const char *const modes[] = {"half_pixel", "pytorch_half_pixel", "asymmetric",
                                        "align_corners"};
    int ok = 0;
    if (x->rank != 4 || x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1])
        return no(c, "only H and W of a 4-D input may change");
    for (int i = 1; i < c->n->n_in; i++)
        if (in_t(c, i) && !in_t(c, i)->is_const)
            return no(c, "roi/scales/sizes must be constant");
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        ok |= strcmp(ct, modes[i]) == 0;
    if (!ok)
        return no(c, "coordinate_transformation_mode %s", ct);
    if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0)
        return 1;
    if (strcmp(mode, "nearest") != 0)
        return no(c, "mode %s; the BPU resizes nearest or linear", mode);
    int64_t f[2];
    for (int i = 0; i < 2; i++) {
        int64_t a = x->dims[2 + i], b = y->dims[2 + i];
        f[i] = b >= a ? (b % a ? 0 : b / a) : (a % b ? 0 : -(a / b));
        if (!is_pow2(f[i] < 0 ? -f[i] : f[i]))
            return no(c, "nearest needs power-of-2 factors; %lld -> %lld", (long long)a,
                      (long long)b);
    }
    if (c->march == BPU_MARCH_BERNOULLI2 && f[0] > f[1])
        return no(c, "nearest on bernoulli2 needs the H factor <= the W factor");
    return 1;
}

static int check_d2s(check_ctx *c)
{
    if (hbg_attr_int(c->n, "blocksize", 0) != 2)
        return no(c, "blocksize %lld; the BPU takes 2",
                  (long long)hbg_attr_int(c->n, "blocksize", 0));
    if (c->n->op == HBG_OP_DEPTHTOSPACE && c->march == BPU_MARCH_BAYES_E &&
        out_t(c, 0)->dims[1] % 4)
        return no(c, "output C %lld is not a multiple of 4 on bayes-e",
                  (long long)out_t(c, 0)->dims[1]);
    return 1;
}

static int check_pad(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0), *pads = in_t(c, 1);
    int64_t p[8];
    if (strcmp(hbg_attr_string(c->n, "mode", "constant"), "constant") != 0)
        return no(c, "mode %s; the BPU pads with a constant", hbg_attr_string(c->n, "mode", ""));
    if (x->rank != 4)
        return no(c, "not 4-D");
    if (pads) {
        if (!pads->is_const || hbg_tensor_numel(pads) != 8 || (in_t(c, 2) && !in_t(c, 2)->is_const))
            return no(c, "pads and value must be constant");
        for (int i = 0; i < 8; i++)
            p[i] = hbg_tensor_get_int(pads, i);
    } else if (ints_attr(c->n, "pads", 8, 0, p)) {
        return no(c, "pads do not have 8 values");
    }
    for (int i = 0; i < 8; i++) {
        if ((i % 4 < 2 && p[i] != 0) || p[i] < 0 || p[i] > ISA_MAX_FIELD)
            return no(c, "only non-negative pads of H and W up to %d", ISA_MAX_FIELD);
    }
    return 1;
}

/* Reshape-like ops are pure relabels of the BPU's NHWC maps only when every dimension but N and
 * C is 1 on both sides (e.g. the Flatten after a global pool). */
static int check_relabel(check_ctx *c)
{
    const hbg_tensor *x = in_t(c, 0), *y = out_t(c, 0);
    const hbg_tensor *ts[2] = {x, y};
    for (int i = 0; i < 2; i++)
        for (int d = 2; d < ts[i]->rank; d++)
            if (ts[i]->dims[d] != 1)
                return no(c,
                          "a reshape that moves data in the BPU's NHWC layout (%s has a "
                          "dimension %d of size %lld)",
                          ts[i]->name, d, (long long)ts[i]->dims[d]);
    if (x->rank < 1 || y->rank < 1 || x->dims[0] != y->dims[0])
        return no(c, "N changes");
    return 1;
}

typedef int (*check_fn)(check_ctx *c);

static const struct {
    unsigned marches;   /* marches whose BPU runs the op by default */
    unsigned requested; /* marches that run it only on request (run_on_bpu / node_info) */
    check_fn check;     /* NULL: no further condition */
} optable[HBG_OP_COUNT] = {
    [HBG_OP_CONV] = {ALL, 0, check_conv},
    [HBG_OP_GEMM] = {ALL, 0, check_fc},
    [HBG_OP_MATMUL] = {ALL, 0, check_fc},
    [HBG_OP_ADD] = {ALL, 0, check_eltwise},
    [HBG_OP_SUM] = {ALL, 0, check_eltwise},
    [HBG_OP_MUL] = {ALL, 0, check_eltwise},
    [HBG_OP_SUB] = {BY | BE, 0, check_eltwise},
    [HBG_OP_MAX] = {BE, 0, check_eltwise},
    [HBG_OP_MIN] = {0, BE, check_eltwise},
    [HBG_OP_RELU] = {ALL, 0, check_lut},
    [HBG_OP_CLIP] = {ALL, 0, check_lut},
    [HBG_OP_LEAKYRELU] = {ALL, 0, check_lut},
    [HBG_OP_PRELU] = {B2 | BE, 0, check_lut},
    [HBG_OP_SIGMOID] = {ALL, 0, check_lut},
    [HBG_OP_TANH] = {ALL, 0, check_lut},
    [HBG_OP_EXP] = {ALL, 0, check_lut},
    [HBG_OP_RECIPROCAL] = {ALL, 0, check_lut},
    [HBG_OP_SIN] = {ALL, 0, check_lut},
    [HBG_OP_COS] = {ALL, 0, check_lut},
    [HBG_OP_SOFTPLUS] = {ALL, 0, check_lut},
    [HBG_OP_SQRT] = {B2 | BE, 0, check_lut},
    [HBG_OP_ABS] = {BY | BE, 0, check_lut},
    [HBG_OP_CEIL] = {BY | BE, 0, check_lut},
    [HBG_OP_FLOOR] = {BY | BE, 0, check_lut},
    [HBG_OP_ELU] = {BY | BE, 0, check_lut},
    [HBG_OP_HARDSIGMOID] = {BY | BE, 0, check_lut},
    [HBG_OP_LOG] = {BY | BE, 0, check_lut},
    [HBG_OP_ERF] = {BE, 0, check_lut},
    [HBG_OP_ROUND] = {BE, 0, check_lut},
    [HBG_OP_SELU] = {BE, 0, check_lut},
    [HBG_OP_SIGN] = {BE, 0, check_lut},
    [HBG_OP_SOFTSIGN] = {BE, 0, check_lut},
    [HBG_OP_BATCHNORMALIZATION] = {ALL, 0, check_bn},
    [HBG_OP_MAXPOOL] = {ALL, 0, check_pool},
    [HBG_OP_AVERAGEPOOL] = {ALL, 0, check_pool},
    [HBG_OP_GLOBALAVERAGEPOOL] = {ALL, 0, check_global_pool},
    [HBG_OP_GLOBALMAXPOOL] = {ALL, 0, check_global_pool},
    [HBG_OP_REDUCEMEAN] = {ALL, 0, check_reduce_mean},
    [HBG_OP_CONCAT] = {ALL, 0, check_concat},
    [HBG_OP_SPLIT] = {ALL, 0, check_split},
    [HBG_OP_SLICE] = {ALL, 0, check_slice},
    [HBG_OP_GATHER] = {ALL, 0, check_gather},
    [HBG_OP_RESIZE] = {ALL, 0, check_resize},
    [HBG_OP_UPSAMPLE] = {ALL, 0, check_resize},
    [HBG_OP_DEPTHTOSPACE] = {ALL, 0, check_d2s},
    [HBG_OP_SPACETODEPTH] = {ALL, 0, check_d2s},
    [HBG_OP_PAD] = {ALL, 0, check_pad},
    [HBG_OP_RESHAPE] = {BY | BE, 0, check_relabel},
    [HBG_OP_FLATTEN] = {BY | BE, 0, check_relabel},
    [HBG_OP_SQUEEZE] = {BY | BE, 0, check_relabel},
    [HBG_OP_UNSQUEEZE] = {BY | BE, 0, check_relabel},
};

int hbc_place_bpu_ok(const hbg_graph *g, const hbg_node *n, bpu_march_id march, int requested,
                     char *why, size_t whylen)
{
    check_ctx c = {g, n, march, NULL, why, whylen};
    if (whylen)
        why[0] = '\0';
    if ((unsigned)march >= BPU_MARCH_COUNT)
        return no(&c, "unknown march");
    c.lim = &limits[march];
    if ((unsigned)n->op >= HBG_OP_COUNT || !(optable[n->op].marches | optable[n->op].requested))
        return no(&c, "no BPU implementation");
    unsigned bit = 1u << march;
    if (!(optable[n->op].marches & bit) && !(requested && (optable[n->op].requested & bit)))
        return no(&c,
                  (optable[n->op].requested & bit)
                      ? "runs on the BPU of %s only when run_on_bpu or node_info names it"
                      : "not supported on the BPU of %s",
                  bpu_march_get(march)->name);
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] >= 0 && g->tensors[n->in[i]]->rank < 0)
            return no(&c, "input shapes unknown");
    if (!check_tensors(&c))
        return 0;
    return optable[n->op].check ? optable[n->op].check(&c) : 1;
}
