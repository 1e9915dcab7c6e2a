/* Which nodes of a quantized graph the compiler lowers, and how (docs/compiler.md section 2).
 * Each check returns NULL when the node can be lowered, else the reason it stays on the CPU. */
#include <string.h>

#include "compiler_priv.h"
#include "hbc/quant.h"

#define CK_MAX_K 255u /* kernel, stride, dilation and pad fields are one byte */

static const ck_map *tmap(const ck_ctx *c, int t)
{
    return t >= 0 && c->map[c->storage[t]].h ? &c->map[c->storage[t]] : NULL;
}

static int same_map(const ck_map *a, const ck_map *b)
{
    return a && b && a->h == b->h && a->w == b->w && a->c == b->c && a->elem == b->elem &&
           a->layout == b->layout;
}

/* A 4-D map in NHWC layout (what windowed ops need). */
static const ck_map *nhwc(const ck_ctx *c, int t)
{
    const ck_map *m = tmap(c, t);
    return m && m->layout == HBC_CM_NHWC ? m : NULL;
}

/* Same bytes in the same logical order: equal maps, and either the same layout or a map where
 * both layouts give the same order (one pixel, or one channel). */
static int same_order(const ck_map *a, const ck_map *b)
{
    if (!a || !b || a->h != b->h || a->w != b->w || a->c != b->c || a->elem != b->elem)
        return 0;
    return a->layout == b->layout || (uint64_t)a->h * a->w == 1 || a->c == 1;
}

static int is_int8(const ck_ctx *c, int t)
{
    return t >= 0 && c->g->tensors[t]->dtype == HBG_DT_I8;
}

static int get2(const hbg_node *nd, const char *name, uint32_t dflt, uint32_t v[2])
{
    const int64_t *a;
    int n = hbg_attr_ints(nd, name, &a);
    v[0] = v[1] = dflt;
    if (n < 0)
        return 0;
    if (n != 2 || a[0] < 0 || a[1] < 0 || a[0] > 65535 || a[1] > 65535)
        return -1;
    v[0] = (uint32_t)a[0], v[1] = (uint32_t)a[1];
    return 0;
}

static int get4(const hbg_node *nd, const char *name, uint32_t v[4])
{
    const int64_t *a;
    int n = hbg_attr_ints(nd, name, &a);
    memset(v, 0, 4 * sizeof v[0]);
    if (n < 0)
        return 0;
    if (n != 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (a[i] < 0 || a[i] > 65535)
            return -1;
        v[i] = (uint32_t)a[i];
    }
    return 0;
}

static const char *support_conv(ck_ctx *c, const hbg_node *nd)
{
    const ck_map *x = nhwc(c, nd->in[0]), *y = nhwc(c, nd->out[0]);
    if (nd->n_in < 3 || nd->in[1] < 0 || nd->in[2] < 0 || !c->g->tensors[nd->in[2]]->is_const)
        return "needs constant weights and bias";
    const hbg_tensor *w = c->g->tensors[nd->in[1]];
    uint32_t s[2], d[2], p[4];
    if (!x || !y || c->g->tensors[nd->in[0]]->rank != 4 || w->rank != 4 || !w->is_const)
        return "needs a 4-D input of batch 1 and constant weights";
    if (get2(nd, "strides", 1, s) || get2(nd, "dilations", 1, d) || get4(nd, "pads", p))
        return "bad strides/dilations/pads";
    if (w->dims[2] > CK_MAX_K || w->dims[3] > CK_MAX_K || s[0] > CK_MAX_K || s[1] > CK_MAX_K ||
        d[0] > CK_MAX_K || d[1] > CK_MAX_K || p[0] > CK_MAX_K || p[1] > CK_MAX_K ||
        p[2] > CK_MAX_K || p[3] > CK_MAX_K)
        return "kernel, stride, dilation or pad above 255";
    if (x->c > BPU_MAX_CHANNEL || y->c > BPU_MAX_CHANNEL)
        return "more than 16384 channels";
    int64_t group = hbg_attr_int(nd, "group", 1);
    int dwise = group == (int64_t)x->c && y->c == x->c && group > 1;
    if (!dwise && (uint64_t)w->dims[2] * (uint64_t)w->dims[3] * x->c > BPU_MAX_TAPS)
        return "reduction kh*kw*C above 65536 (partial-sum chains are not generated yet)";
    return NULL;
}

static const char *support_gemm(ck_ctx *c, const hbg_node *nd)
{
    const ck_map *x = tmap(c, nd->in[0]), *y = tmap(c, nd->out[0]);
    if (nd->n_in < 3 || nd->in[1] < 0 || nd->in[2] < 0 || !c->g->tensors[nd->in[1]]->is_const ||
        !c->g->tensors[nd->in[2]]->is_const)
        return "needs constant weights and bias";
    if (!x || !y)
        return "needs a 2-D input";
    if (y->c > BPU_MAX_CHANNEL || x->c > BPU_MAX_CHANNEL)
        return "more than 16384 channels";
    if (c->storage[nd->in[0]] == nd->in[0] && (x->h != 1 || x->layout != HBC_CM_ROWS))
        return "input map is not 1 x N x C";
    if ((uint64_t)x->h * x->w * x->c > BPU_MAX_TAPS && c->storage[nd->in[0]] != nd->in[0])
        return "reduction above 65536";
    return NULL;
}

static const char *support_pool(ck_ctx *c, const hbg_node *nd, int global)
{
    const ck_map *x = nhwc(c, nd->in[0]), *y = nhwc(c, nd->out[0]);
    uint32_t k[2], s[2], p[4], d[2];
    if (!x || !y || c->g->tensors[nd->in[0]]->rank != 4 || nd->n_out != 1)
        return "needs a 4-D input of batch 1 and one output";
    if (global)
        return x->h > CK_MAX_K || x->w > CK_MAX_K ? "map larger than 255 x 255" : NULL;
    if (strcmp(hbg_attr_string(nd, "auto_pad", "NOTSET"), "NOTSET") != 0)
        return "auto_pad is not lowered";
    if (hbg_attr_int(nd, "storage_order", 0) != 0)
        return "storage_order 1";
    if (get2(nd, "kernel_shape", 0, k) || get2(nd, "strides", 1, s) || get4(nd, "pads", p) ||
        get2(nd, "dilations", 1, d) || d[0] != 1 || d[1] != 1)
        return "bad kernel_shape/strides/pads or dilation";
    if (k[0] < 1 || k[1] < 1 || k[0] > CK_MAX_K || k[1] > CK_MAX_K || s[0] > CK_MAX_K ||
        s[1] > CK_MAX_K)
        return "kernel or stride above 255";
    if (p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1])
        return "pads not smaller than the kernel";
    return NULL;
}

/* Resize/Upsample nearest, asymmetric coordinates, floor, by integer factors with Q16 steps
 * that give exactly floor(j / factor). */
static const char *support_resize(ck_ctx *c, const hbg_node *nd)
{
    const hbg_tensor *xt = c->g->tensors[nd->in[0]], *yt = c->g->tensors[nd->out[0]];
    const ck_map *x = nhwc(c, nd->in[0]), *y = nhwc(c, nd->out[0]);
    if (!x || !y || xt->rank != 4 || yt->dims[1] != xt->dims[1])
        return "needs a 4-D map of batch 1";
    if (strcmp(hbg_attr_string(nd, "mode", "nearest"), "nearest") != 0)
        return "only nearest interpolation is lowered";
    int legacy = !strcmp(nd->op_type, "Upsample") || nd->n_in == 2;
    if (!legacy &&
        (strcmp(hbg_attr_string(nd, "coordinate_transformation_mode", ""), "asymmetric") != 0 ||
         strcmp(hbg_attr_string(nd, "nearest_mode", ""), "floor") != 0))
        return "only asymmetric coordinates with floor rounding are lowered";
    if (y->h % x->h || y->w % x->w)
        return "not an integer scale factor";
    uint32_t f[2] = {y->h / x->h, y->w / x->w}, n[2] = {y->h, y->w};
    int si = nd->n_in >= 3 ? 2 : 1; /* scales input: Resize-11+ (X, roi, scales), else 1 */
    if (nd->n_in > si && nd->in[si] >= 0 && hbg_tensor_numel(c->g->tensors[nd->in[si]]) > 0) {
        const hbg_tensor *sc = c->g->tensors[nd->in[si]];
        if (!sc->is_const || hbg_tensor_numel(sc) != 4 || hbg_tensor_get_double(sc, 2) != f[0] ||
            hbg_tensor_get_double(sc, 3) != f[1] || hbg_tensor_get_double(sc, 1) != 1.0)
            return "scales are not the exact integer factors";
    }
    for (int a = 0; a < 2; a++) {
        uint64_t step = (65536u + f[a] - 1) / f[a];
        for (uint64_t j = 0; j < n[a]; j++)
            if (((j * step) >> 16) != j / f[a])
                return "factor not exact in Q16 steps";
    }
    return NULL;
}

static const char *support_slice(ck_ctx *c, const hbg_node *nd)
{
    const hbg_tensor *xt = c->g->tensors[nd->in[0]];
    const ck_map *xm = tmap(c, nd->in[0]);
    if (!tmap(c, nd->out[0]) || nd->n_in < 3 || !xm ||
        !((xm->layout == HBC_CM_NHWC && xt->rank == 4) ||
          (xm->layout == HBC_CM_ROWS && xt->rank == 2)))
        return "needs a 2-D or 4-D input and starts/ends inputs";
    for (int i = 1; i < nd->n_in; i++)
        if (nd->in[i] >= 0 && !c->g->tensors[nd->in[i]]->is_const)
            return "slice parameters are not constant";
    const hbg_tensor *ta = nd->n_in > 3 && nd->in[3] >= 0 ? c->g->tensors[nd->in[3]] : NULL;
    const hbg_tensor *tp = nd->n_in > 4 && nd->in[4] >= 0 ? c->g->tensors[nd->in[4]] : NULL;
    for (int64_t i = 0; i < hbg_tensor_numel(c->g->tensors[nd->in[1]]); i++) {
        int64_t ax = ta ? hbg_tensor_get_int(ta, i) : i, st = tp ? hbg_tensor_get_int(tp, i) : 1;
        ax = ax < 0 ? ax + xt->rank : ax;
        if (st < 1)
            return "negative or zero steps are not lowered";
        if (st != 1 && ax == 1 &&
            (xt->rank != 4 || !tmap(c, nd->out[0]) || tmap(c, nd->out[0])->h != xm->h ||
             tmap(c, nd->out[0])->w != xm->w))
            return "channel step other than 1 with H or W sliced";
        if (xt->rank == 4 && ax == 0)
            return "slices the batch axis";
    }
    return NULL;
}

/* Flatten/Reshape of a 4-D map read only by Gemm nodes: the Gemm becomes an HxW convolution of
 * the map (its weights are reordered), so the flattened tensor is never materialised. */
static int spatial_ok(ck_ctx *c, int n)
{
    const hbg_node *nd = &c->g->nodes[n];
    const hbg_tensor *xt = c->g->tensors[nd->in[0]], *yt = c->g->tensors[nd->out[0]];
    const ck_map *x = nhwc(c, nd->in[0]);
    if (!x || xt->rank != 4 || yt->rank != 2 || yt->dims[0] != 1 || yt->is_output ||
        c->storage[nd->in[0]] != nd->in[0] || x->h > CK_MAX_K || x->w > CK_MAX_K ||
        (uint64_t)x->h * x->w * x->c > BPU_MAX_TAPS || c->consumers[nd->out[0]] < 1)
        return 0;
    for (int i = 0; i < c->g->n_nodes; i++) {
        const hbg_node *u = &c->g->nodes[i];
        for (int k = 0; k < u->n_in; k++) {
            if (u->in[k] != nd->out[0])
                continue;
            if (k != 0 || strcmp(u->domain, HBC_QUANT_DOMAIN) != 0 ||
                hbc_qop_from_name(u->op_type) != HBC_QOP_GEMM ||
                c->map[u->out[0]].c > BPU_MAX_CHANNEL)
                return 0;
        }
    }
    return 1;
}

static const char *sup_maxpool(ck_ctx *c, int n, ck_kind *kind)
{
    *kind = CK_MAXPOOL;
    return support_pool(c, &c->g->nodes[n], 0);
}

static const char *sup_concat(ck_ctx *c, int n, ck_kind *kind)
{
    const hbg_node *nd = &c->g->nodes[n];
    const hbg_tensor *yt = c->g->tensors[nd->out[0]];
    int64_t ax = hbg_attr_int(nd, "axis", 0);
    ax = ax < 0 ? ax + yt->rank : ax;
    const ck_map *ym = tmap(c, nd->out[0]);
    if (!ym || ax != (ym->layout == HBC_CM_NHWC ? 1 : yt->rank - 1) || nd->n_in > 32 ||
        (ym->layout == HBC_CM_NHWC && yt->rank != 4))
        return "only channel concat of up to 32 inputs is lowered";
    for (int i = 0; i < nd->n_in; i++) {
        const ck_map *m = tmap(c, nd->in[i]);
        if (!m || m->h != ym->h || m->w != ym->w || m->layout != ym->layout ||
            !is_int8(c, nd->in[i]))
            return "concat input without a matching map";
    }
    *kind = CK_CONCAT;
    return NULL;
}

static const char *sup_resize(ck_ctx *c, int n, ck_kind *kind)
{
    *kind = CK_RESIZE;
    return support_resize(c, &c->g->nodes[n]);
}

static const char *sup_transpose(ck_ctx *c, int n, ck_kind *kind)
{
    const hbg_node *nd = &c->g->nodes[n];
    const int64_t *p;
    const ck_map *x = nhwc(c, nd->in[0]);
    int np = hbg_attr_ints(nd, "perm", &p);
    if (np == 4 && x && p[0] == 0 && p[1] == 2 && p[2] == 3 && p[3] == 1) {
        /* NCHW -> NHWC: the output in row-major layout is the input's bytes */
        ck_map ym = ck_map_for(c->g->tensors[nd->out[0]], HBC_CM_ROWS);
        if (ym.h && ym.px == x->px) {
            c->map[nd->out[0]] = ym;
            *kind = CK_COPY;
            return NULL;
        }
    }
    if (np != 4 || !x || p[0] != 0 || p[1] != 1 || p[2] != 3 || p[3] != 2)
        return "only H <-> W and NCHW -> NHWC transposes are lowered";
    *kind = CK_TRANSPOSE;
    return NULL;
}

static const char *sup_slice(ck_ctx *c, int n, ck_kind *kind)
{
    *kind = CK_SLICE;
    return support_slice(c, &c->g->nodes[n]);
}

/* Gather of a constant list of channels of an NHWC map (placement's check_gather). */
static const char *sup_gather(ck_ctx *c, int n, ck_kind *kind)
{
    const hbg_node *nd = &c->g->nodes[n];
    const ck_map *xm = tmap(c, nd->in[0]), *ym = tmap(c, nd->out[0]);
    const int64_t axis = hbg_attr_int(nd, "axis", 0);
    const hbg_tensor *ix = nd->n_in > 1 && nd->in[1] >= 0 ? c->g->tensors[nd->in[1]] : NULL;
    *kind = CK_GATHER;
    if (!xm || !ym || xm->layout != HBC_CM_NHWC || c->g->tensors[nd->in[0]]->rank != 4 ||
        (axis != 1 && axis != -3))
        return "only along the channels of a 4-D map";
    if (!ix || !ix->is_const || ix->rank != 1 || hbg_tensor_numel(ix) != ym->c)
        return "indices are not a constant 1-D list";
    for (int64_t i = 0; i < hbg_tensor_numel(ix); i++) {
        const int64_t v = hbg_tensor_get_int(ix, i);
        if (v < -(int64_t)xm->c || v >= (int64_t)xm->c)
            return "index out of range";
    }
    return NULL;
}

/* Reshape-like ops: a copy when the bytes keep their order, a view for Gemm readers. */
static const char *sup_reshape(ck_ctx *c, int n, ck_kind *kind)
{
    const hbg_node *nd = &c->g->nodes[n];
    const int flatten = nd->op == HBG_OP_FLATTEN || nd->op == HBG_OP_RESHAPE;
    const ck_map *x = tmap(c, nd->in[0]);
    const hbg_tensor *yt = c->g->tensors[nd->out[0]];
    if (x && same_order(x, tmap(c, nd->out[0]))) {
        *kind = CK_COPY;
        return NULL;
    }
    if (x && x->layout == HBC_CM_ROWS && tmap(c, nd->out[0])) {
        ck_map ym = ck_map_for(yt, HBC_CM_ROWS);
        if (ym.h && ym.w == x->w && ym.c == x->c) {
            c->map[nd->out[0]] = ym;
            *kind = CK_COPY;
            return NULL;
        }
    }
    if (flatten && spatial_ok(c, n)) {
        *kind = CK_SPATIAL;
        c->storage[nd->out[0]] = nd->in[0];
        return NULL;
    }
    if (flatten && x && x->layout == HBC_CM_NHWC && yt->rank == 2 && yt->dims[0] == 1 &&
        yt->dims[1] == (int64_t)x->h * x->w * x->c) {
        /* [1, C*H*W] keeps the NHWC map: its layout says how to read it (compiler.h) */
        c->map[nd->out[0]] = *x;
        *kind = CK_COPY;
        return NULL;
    }
    return "changes the element order of the NHWC map";
}

typedef const char *(*ck_support_fn)(ck_ctx *c, int n, ck_kind *kind);

/* Default-domain ops on int8 tensors the compiler knows (others: not lowered yet). */
static const ck_support_fn default_ops[HBG_OP_COUNT] = {
    [HBG_OP_MAXPOOL] = sup_maxpool,     [HBG_OP_CONCAT] = sup_concat,
    [HBG_OP_RESIZE] = sup_resize,       [HBG_OP_UPSAMPLE] = sup_resize,
    [HBG_OP_TRANSPOSE] = sup_transpose, [HBG_OP_SLICE] = sup_slice,
    [HBG_OP_FLATTEN] = sup_reshape,     [HBG_OP_RESHAPE] = sup_reshape,
    [HBG_OP_SQUEEZE] = sup_reshape,     [HBG_OP_UNSQUEEZE] = sup_reshape,
    [HBG_OP_IDENTITY] = sup_reshape,    [HBG_OP_GATHER] = sup_gather,
};

static const char *support_default(ck_ctx *c, int n, ck_kind *kind)
{
    const hbg_node *nd = &c->g->nodes[n];
    if (!is_int8(c, nd->in[0]) || !is_int8(c, nd->out[0]))
        return NULL; /* a float op: the CPU's by placement */
    if (nd->op <= HBG_OP_UNKNOWN || nd->op >= HBG_OP_COUNT || !default_ops[nd->op])
        return "data-movement op not lowered yet";
    return default_ops[nd->op](c, n, kind);
}

const char *ck_support(ck_ctx *c, int n, ck_kind *kind)
{
    const hbg_node *nd = &c->g->nodes[n];
    *kind = CK_CPU;
    if (nd->n_in < 1 || nd->n_out < 1 || nd->in[0] < 0)
        return NULL;
    if (strcmp(nd->domain, HBC_QUANT_DOMAIN) != 0) {
        const char *why = support_default(c, n, kind);
        if (why)
            *kind = CK_CPU;
        return why;
    }
    const char *why = NULL;
    switch (hbc_qop_from_name(nd->op_type)) {
    case HBC_QOP_CONV:
        *kind = CK_CONV;
        why = support_conv(c, nd);
        break;
    case HBC_QOP_GEMM:
        *kind = CK_GEMM;
        why = support_gemm(c, nd);
        break;
    case HBC_QOP_ADD:
    case HBC_QOP_SUB:
    case HBC_QOP_MUL:
        *kind = CK_EWISE;
        if (!same_map(tmap(c, nd->in[0]), tmap(c, nd->in[1])) || !tmap(c, nd->out[0]))
            why = "inputs without one common map";
        else
            c->map[nd->out[0]] = *tmap(c, nd->in[0]); /* elementwise: the input's layout */
        break;
    case HBC_QOP_RESCALE:
    case HBC_QOP_LUT:
        *kind = hbc_qop_from_name(nd->op_type) == HBC_QOP_LUT ? CK_LUT : CK_RESCALE;
        if (!tmap(c, nd->in[0]) || !tmap(c, nd->out[0]))
            why = "tensor without a map";
        else
            c->map[nd->out[0]] = *tmap(c, nd->in[0]);
        break;
    case HBC_QOP_AVGPOOL:
        *kind = CK_AVGPOOL;
        why = support_pool(c, nd, 0);
        break;
    case HBC_QOP_GLOBALAVGPOOL:
        *kind = CK_GAP;
        why = support_pool(c, nd, 1);
        break;
    default: /* Quantize, Dequantize: the float boundary, the CPU's */
        break;
    }
    if (why)
        *kind = CK_CPU;
    return why;
}
