/* Conv, ConvTranspose, Gemm and MatMul (ONNX opsets 7..17), float32.
 *
 * infer checks attributes and shapes, picks the kernel variant (hbg_cpu_isa: the reference loops
 * or a SIMD variant's packed SGEMM / depthwise kernel), packs constant weights into node->params
 * and requests the SGEMM workspace; run only computes. */
#include "hbg/kernel.h"
#include "conv_kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared helpers ------------------------------------------------------------------------ */

static size_t round_up(size_t v, size_t to)
{
    return (v + to - 1) / to * to;
}

/* One allocation holding a params struct of `size` bytes followed by `floats` floats starting at
 * a 64-byte boundary (*packed, NULL when floats is 0). Released by the executor with free(). */
static void *params_new(size_t size, size_t floats, float **packed)
{
    const size_t head = round_up(size, 64);
    unsigned char *p;
    if (floats > (SIZE_MAX - head - 64) / sizeof(float))
        return NULL;
    p = aligned_alloc(64, round_up(head + floats * sizeof(float), 64));
    if (!p)
        return NULL;
    memset(p, 0, head);
    *packed = floats ? (float *)(void *)(p + head) : NULL;
    return p;
}

/* The variant this node runs with; fails (naming HB_ISA's value) when HB_ISA was refused. */
static hbg_status pick_kernels(hbg_kctx *k, const hbg_fast_kernels **fk)
{
    hbg_isa isa;
    const char *msg;
    *fk = NULL;
    if (hbg_cpu_isa(&isa, &msg) != HBG_OK)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "%s", msg);
    *fk = hbg_fast_kernels_get(isa);
    return HBG_OK;
}

/* Input i must be present, float32, of known rank. */
static hbg_status need_float(hbg_kctx *k, int i, const char *what)
{
    const hbg_tensor *t = i < k->n_in ? k->in[i] : NULL;
    if (!t)
        return hbg_kfail(k, HBG_E_INVALID, "input %d (%s) is missing", i, what);
    if (t->dtype != HBG_DT_F32)
        return hbg_kfail(k, HBG_E_UNSUPPORTED,
                         "input %d (%s) '%s' has type %s; only float is supported", i, what,
                         t->name, hbg_dtype_name(t->dtype));
    if (t->rank < 0)
        return hbg_kfail(k, HBG_E_SHAPE, "input %d (%s) '%s' has an unknown shape", i, what,
                         t->name);
    return HBG_OK;
}

/* Spatial sizes, kernel sizes, strides, dilations and pads must stay below this, so that sums and
 * products of two of them (the output size arithmetic) cannot overflow int64. */
#define CONV_DIM_MAX ((int64_t)1 << 31)

/* INTS attribute `name` with exactly n values into v, or dflt everywhere when absent. */
static hbg_status ints_attr(hbg_kctx *k, const char *name, int n, int64_t dflt, int64_t *v)
{
    const int64_t *a;
    int cnt = hbg_attr_ints(k->node, name, &a);
    if (cnt < 0) {
        for (int i = 0; i < n; i++)
            v[i] = dflt;
        return HBG_OK;
    }
    if (cnt != n)
        return hbg_kfail(k, HBG_E_INVALID, "attribute %s has %d values, expected %d", name, cnt, n);
    memcpy(v, a, (size_t)n * sizeof *v);
    return HBG_OK;
}

enum auto_pad { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

static hbg_status auto_pad_attr(hbg_kctx *k, enum auto_pad *ap)
{
    const char *s = hbg_attr_string(k->node, "auto_pad", "NOTSET");
    if (strcmp(s, "NOTSET") == 0)
        *ap = PAD_NOTSET;
    else if (strcmp(s, "SAME_UPPER") == 0)
        *ap = PAD_SAME_UPPER;
    else if (strcmp(s, "SAME_LOWER") == 0)
        *ap = PAD_SAME_LOWER;
    else if (strcmp(s, "VALID") == 0)
        *ap = PAD_VALID;
    else
        return hbg_kfail(k, HBG_E_INVALID,
                         "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", s);
    return HBG_OK;
}

/* Attributes common to Conv and ConvTranspose, for nsp spatial axes, into the right-aligned
 * fields of g (kern from W's trailing dims, checked against kernel_shape), plus pads and group. */
static hbg_status conv_common_attrs(hbg_kctx *k, const hbg_tensor *w, hbg_conv_geom *g,
                                    int64_t *pads, enum auto_pad *ap)
{
    const int nsp = g->nsp, off = 3 - nsp;
    int64_t ks[3], st[3], dl[3];
    hbg_status s;
    g->group = hbg_attr_int(k->node, "group", 1);
    if (g->group < 1 || g->group >= CONV_DIM_MAX)
        return hbg_kfail(k, HBG_E_INVALID, "group %lld is not in [1, 2^31)", (long long)g->group);
    if ((s = ints_attr(k, "kernel_shape", nsp, -1, ks)) != HBG_OK ||
        (s = ints_attr(k, "strides", nsp, 1, st)) != HBG_OK ||
        (s = ints_attr(k, "dilations", nsp, 1, dl)) != HBG_OK ||
        (s = ints_attr(k, "pads", 2 * nsp, 0, pads)) != HBG_OK ||
        (s = auto_pad_attr(k, ap)) != HBG_OK)
        return s;
    for (int i = 0; i < 3; i++) {
        g->kern[i] = g->stride[i] = g->dil[i] = g->in[i] = 1;
        g->pad[i] = 0;
    }
    for (int i = 0; i < nsp; i++) {
        const int64_t kw = w->dims[2 + i];
        if (ks[i] != -1 && ks[i] != kw)
            return hbg_kfail(k, HBG_E_SHAPE, "kernel_shape[%d] = %lld but the weight has %lld", i,
                             (long long)ks[i], (long long)kw);
        if (kw < 1 || st[i] < 1 || dl[i] < 1 || kw >= CONV_DIM_MAX || st[i] >= CONV_DIM_MAX ||
            dl[i] >= CONV_DIM_MAX)
            return hbg_kfail(
                k, HBG_E_INVALID,
                "axis %d: kernel %lld, stride %lld, dilation %lld must all be in [1, 2^31)", i,
                (long long)kw, (long long)st[i], (long long)dl[i]);
        if (k->in[0]->dims[2 + i] >= CONV_DIM_MAX || pads[i] <= -CONV_DIM_MAX ||
            pads[i] >= CONV_DIM_MAX || pads[nsp + i] <= -CONV_DIM_MAX ||
            pads[nsp + i] >= CONV_DIM_MAX)
            return hbg_kfail(
                k, HBG_E_UNSUPPORTED, "axis %d: input size %lld or pads %lld, %lld reach 2^31", i,
                (long long)k->in[0]->dims[2 + i], (long long)pads[i], (long long)pads[nsp + i]);
        g->kern[off + i] = kw;
        g->stride[off + i] = st[i];
        g->dil[off + i] = dl[i];
        g->in[off + i] = k->in[0]->dims[2 + i];
    }
    return HBG_OK;
}

/* Spatial rank of a Conv/ConvTranspose node from X and W, both checked. */
static hbg_status conv_rank(hbg_kctx *k, int *nsp)
{
    hbg_status s;
    if ((s = need_float(k, 0, "X")) != HBG_OK || (s = need_float(k, 1, "W")) != HBG_OK)
        return s;
    if (k->in[0]->rank < 3 || k->in[0]->rank > 5)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "X has rank %d; 1 to 3 spatial axes are supported",
                         k->in[0]->rank);
    if (k->in[1]->rank != k->in[0]->rank)
        return hbg_kfail(k, HBG_E_SHAPE, "W has rank %d but X has rank %d", k->in[1]->rank,
                         k->in[0]->rank);
    if (k->n_in > 2 && k->in[2] && (s = need_float(k, 2, "B")) != HBG_OK)
        return s;
    *nsp = k->in[0]->rank - 2;
    return HBG_OK;
}

/* Bias (input 2), if any, must be [m]. */
static hbg_status check_bias(hbg_kctx *k, int64_t m)
{
    const hbg_tensor *b = k->n_in > 2 ? k->in[2] : NULL;
    if (b && (b->rank != 1 || b->dims[0] != m))
        return hbg_kfail(k, HBG_E_SHAPE, "bias has %d dims (first %lld), expected [%lld]", b->rank,
                         (long long)(b->rank > 0 ? b->dims[0] : 0), (long long)m);
    return HBG_OK;
}

static hbg_status set_conv_output(hbg_kctx *k, const hbg_conv_geom *g)
{
    int64_t dims[5];
    dims[0] = g->n;
    dims[1] = g->m;
    for (int i = 0; i < g->nsp; i++)
        dims[2 + i] = g->out[3 - g->nsp + i];
    return hbg_tensor_set_shape(k->out[0], HBG_DT_F32, 2 + g->nsp, dims);
}

/* ---- Conv ---------------------------------------------------------------------------------- */

enum conv_path { CONV_REF, CONV_GEMM, CONV_DW };

/* How the GEMM path multiplies, per image and group, W_g [mg][kg] by X_g seen as [kg][npix]. */
enum gemm_form {
    FORM_DIRECT,     /* 1x1, stride 1, no pad: Y_g = W_g X_g with X_g read in place */
    FORM_IM2COL,     /* Y_g = W_g im2col(X_g): im2col expanded into the workspace and read in
                        place when it fits in IM2COL_MAX_FLOATS, else packed block by block */
    FORM_TRANSPOSED, /* ragged npix: Y_g^T = X_g^T W_g^T into the workspace, then transposed
                        into Y with the bias (no vector lanes wasted on npix); X_g is read in
                        place for a 1x1 conv (as FORM_DIRECT), else expanded by im2col into the
                        workspace first */
};

typedef struct conv_params {
    hbg_conv_geom g;
    enum conv_path path;
    const hbg_fast_kernels *fk;
    enum gemm_form form;
    float *wpack;       /* GEMM: W_g (W_g^T for FORM_TRANSPOSED) packed per group when constant
                           at prepare, else NULL */
    size_t wpack_group; /* floats per group in wpack */
    size_t ct_floats;   /* FORM_TRANSPOSED: the Y_g^T buffer at the start of the workspace */
    size_t cols_floats; /* the expanded im2col(X_g) after the Y_g^T buffer, or 0 (1x1, or too
                           large); the SGEMM workspace follows */
} conv_params;

/* Geometry of a depthwise conv (one image; the pointers are left NULL). */
static void dw_args_of(const hbg_conv_geom *g, hbg_dw_args *a)
{
    memset(a, 0, sizeof *a);
    a->c = g->c;
    a->mult = g->m / g->c;
    a->h = g->in[1];
    a->w = g->in[2];
    a->ho = g->out[1];
    a->wo = g->out[2];
    a->kh = g->kern[1];
    a->kw = g->kern[2];
    a->sh = g->stride[1];
    a->sw = g->stride[2];
    a->dh = g->dil[1];
    a->dw = g->dil[2];
    a->pt = g->pad[1];
    a->pl = g->pad[2];
}

/* 1x1 convolution Y [m][npix]: vectors run along npix, so a ragged npix (7x7 = 49 pixels) wastes
 * lanes in every row; computing Y^T puts the vectors along m instead. Worth it when it saves more
 * than 5% of the lanes (the transposition back is cheap next to the product). */
static int transposed_pays(const hbg_fast_kernels *fk, size_t m, size_t npix)
{
    const size_t direct = round_up(npix, fk->vec) * m, transposed = round_up(m, fk->vec) * npix;
    return transposed * 20 < direct * 19;
}

/* Largest im2col(X_g) expanded in the workspace (16 MiB of floats): one pass of long row copies
 * is cheaper than packing it block by block for every panel. Larger ones are packed on the fly
 * (and never take FORM_TRANSPOSED). */
#define IM2COL_MAX_FLOATS ((size_t)1 << 22)

static hbg_status conv_infer(hbg_kctx *k)
{
    hbg_conv_geom g;
    conv_params *p;
    const hbg_fast_kernels *fk;
    int64_t pads[6];
    enum auto_pad ap;
    enum conv_path path = CONV_REF;
    hbg_status s;
    int nsp;
    if ((s = conv_rank(k, &nsp)) != HBG_OK)
        return s;
    const hbg_tensor *x = k->in[0], *w = k->in[1];
    memset(&g, 0, sizeof g);
    g.nsp = nsp;
    if ((s = conv_common_attrs(k, w, &g, pads, &ap)) != HBG_OK)
        return s;
    g.n = x->dims[0];
    g.c = x->dims[1];
    g.m = w->dims[0];
    if (g.c % g.group != 0 || w->dims[1] * g.group != g.c || g.m % g.group != 0)
        return hbg_kfail(k, HBG_E_SHAPE,
                         "X has %lld channels, W is %lldx%lld.., group %lld: "
                         "need C = W[1] * group and W[0] divisible by group",
                         (long long)g.c, (long long)g.m, (long long)w->dims[1], (long long)g.group);
    if ((s = check_bias(k, g.m)) != HBG_OK)
        return s;
    for (int i = 0; i < nsp; i++) {
        const int a = 3 - nsp + i;
        const int64_t ext = (g.kern[a] - 1) * g.dil[a] + 1, in = g.in[a], st = g.stride[a];
        int64_t pb = pads[i], pe = pads[nsp + i];
        if (ap == PAD_VALID) {
            pb = pe = 0;
        } else if (ap != PAD_NOTSET) {
            const int64_t out = (in + st - 1) / st;
            const int64_t total = (out - 1) * st + ext - in > 0 ? (out - 1) * st + ext - in : 0;
            pb = ap == PAD_SAME_UPPER ? total / 2 : total - total / 2;
            pe = total - pb;
        }
        if (pb < 0 || pe < 0)
            return hbg_kfail(k, HBG_E_INVALID, "axis %d: negative pads %lld, %lld", i,
                             (long long)pb, (long long)pe);
        if (in + pb + pe < ext)
            return hbg_kfail(k, HBG_E_SHAPE,
                             "axis %d: input %lld + pads %lld is smaller than the "
                             "dilated kernel %lld",
                             i, (long long)in, (long long)(pb + pe), (long long)ext);
        g.pad[a] = pb;
        g.out[a] = (in + pb + pe - ext) / st + 1;
    }
    g.out[0] = nsp < 3 ? 1 : g.out[0];
    g.out[1] = nsp < 2 ? 1 : g.out[1];
    if ((s = set_conv_output(k, &g)) != HBG_OK)
        return hbg_kfail(k, s, "cannot set the output shape");
    if ((s = pick_kernels(k, &fk)) != HBG_OK)
        return s;

    const size_t cg = (size_t)(g.c / g.group), mg = (size_t)(g.m / g.group);
    const size_t kg = cg * (size_t)(g.kern[1] * g.kern[2]), npix = (size_t)(g.out[1] * g.out[2]);
    const int wconst = w->data != NULL;
    enum gemm_form form = FORM_IM2COL;
    size_t packed = 0, ct = 0, cols = 0;
    if (fk && nsp <= 2) {
        if (cg == 1 && g.group == g.c && (g.stride[2] == 1 || g.stride[2] == 2)) {
            hbg_dw_args da;
            dw_args_of(&g, &da);
            path = CONV_DW;
            k->node->scratch = hbg_dw_padded_floats(&da, fk->dw_rows, fk->dw_cols) * sizeof(float);
        } else {
            const hbg_operand_kind wk = wconst ? HBG_OPND_PACKED : HBG_OPND_MATRIX;
            path = CONV_GEMM;
            const int pays = transposed_pays(fk, mg, npix);
            const int pointwise = g.kern[1] == 1 && g.kern[2] == 1 && g.stride[1] == 1 &&
                                  g.stride[2] == 1 && g.pad[1] == 0 && g.pad[2] == 0 &&
                                  g.out[1] == g.in[1] && g.out[2] == g.in[2];
            if (pointwise)
                form = pays ? FORM_TRANSPOSED : FORM_DIRECT;
            else if (pays && kg * npix <= IM2COL_MAX_FLOATS)
                form = FORM_TRANSPOSED;
            if (form == FORM_TRANSPOSED) {
                packed = wconst ? hbg_sgemm_packed_b_floats(fk, kg, mg) : 0;
                ct = round_up(npix * mg, 16);
                cols = pointwise ? 0 : round_up(kg * npix, 16);
                k->node->scratch = (ct + cols) * sizeof(float) +
                                   hbg_sgemm_scratch_bytes(fk, npix, mg, kg, HBG_OPND_MATRIX, wk);
            } else {
                packed = wconst ? hbg_sgemm_packed_a_floats(fk, mg, kg) : 0;
                if (form == FORM_IM2COL && kg * npix <= IM2COL_MAX_FLOATS)
                    cols = round_up(kg * npix, 16);
                k->node->scratch =
                    cols * sizeof(float) + hbg_sgemm_scratch_bytes(fk, mg, npix, kg, wk,
                                                                   form == FORM_IM2COL && !cols
                                                                       ? HBG_OPND_IM2COL
                                                                       : HBG_OPND_MATRIX);
            }
        }
    }
    float *wpack;
    p = params_new(sizeof *p, packed * (size_t)g.group, &wpack);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "cannot allocate %zu packed weights",
                         packed * (size_t)g.group);
    p->g = g;
    p->path = path;
    p->fk = fk;
    p->form = form;
    p->wpack = wpack;
    p->wpack_group = packed;
    p->ct_floats = ct;
    p->cols_floats = cols;
    for (int64_t gi = 0; wpack && gi < g.group; gi++) {
        /* W_g as the A operand (element (m, k) at m*kg + k) or, transposed, as B */
        const hbg_operand src = {.kind = HBG_OPND_MATRIX,
                                 .p = (const float *)w->data + (size_t)gi * mg * kg,
                                 .rs = form == FORM_TRANSPOSED ? 1 : (ptrdiff_t)kg,
                                 .cs = form == FORM_TRANSPOSED ? (ptrdiff_t)kg : 1};
        if (form == FORM_TRANSPOSED)
            hbg_sgemm_pack_b(fk, kg, mg, &src, wpack + (size_t)gi * packed);
        else
            hbg_sgemm_pack_a(fk, mg, kg, &src, wpack + (size_t)gi * packed);
    }
    k->node->params = p;
    return HBG_OK;
}

static void conv_run_gemm(const conv_params *p, const float *x, const float *w, const float *b,
                          const float *clamp, float *y, void *scratch)
{
    const hbg_conv_geom *g = &p->g;
    const size_t cg = (size_t)(g->c / g->group), mg = (size_t)(g->m / g->group);
    const size_t kg = cg * (size_t)(g->kern[1] * g->kern[2]);
    const size_t in_px = (size_t)(g->in[1] * g->in[2]), npix = (size_t)(g->out[1] * g->out[2]);
    const int tr = p->form == FORM_TRANSPOSED;
    float *ct = scratch;                   /* FORM_TRANSPOSED: Y_g^T [npix][mg] */
    float *cols = ct + p->ct_floats;       /* im2col(X_g) [kg][npix] when expanded */
    void *gemm_ws = cols + p->cols_floats; /* hbg_sgemm's workspace */
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t gi = 0; gi < g->group; gi++) {
            const float *xg = x + ((size_t)n * (size_t)g->c + (size_t)gi * cg) * in_px;
            const float *bg = b ? b + (size_t)gi * mg : NULL;
            float *yg = y + ((size_t)n * (size_t)g->m + (size_t)gi * mg) * npix;
            const hbg_im2col im = {.x = xg,
                                   .h = g->in[1],
                                   .w = g->in[2],
                                   .ho = g->out[1],
                                   .wo = g->out[2],
                                   .kh = g->kern[1],
                                   .kw = g->kern[2],
                                   .sh = g->stride[1],
                                   .sw = g->stride[2],
                                   .dh = g->dil[1],
                                   .dw = g->dil[2],
                                   .pt = g->pad[1],
                                   .pl = g->pad[2]};
            hbg_operand wo, xo;
            if (p->wpack)
                wo = (hbg_operand){.kind = HBG_OPND_PACKED,
                                   .p = p->wpack + (size_t)gi * p->wpack_group,
                                   .panel_stride = kg * (tr ? p->fk->nr : p->fk->mr)};
            else
                wo = (hbg_operand){.kind = HBG_OPND_MATRIX,
                                   .p = w + (size_t)gi * mg * kg,
                                   .rs = tr ? 1 : (ptrdiff_t)kg,
                                   .cs = tr ? (ptrdiff_t)kg : 1};
            if (p->cols_floats) {
                hbg_im2col_fill(&im, kg, npix, cols);
                xo = (hbg_operand){.kind = HBG_OPND_MATRIX,
                                   .p = cols,
                                   .rs = tr ? 1 : (ptrdiff_t)npix,
                                   .cs = tr ? (ptrdiff_t)npix : 1};
            } else if (p->form == FORM_IM2COL)
                xo = (hbg_operand){.kind = HBG_OPND_IM2COL, .im = &im};
            else
                xo = (hbg_operand){.kind = HBG_OPND_MATRIX,
                                   .p = xg,
                                   .rs = tr ? 1 : (ptrdiff_t)in_px,
                                   .cs = tr ? (ptrdiff_t)in_px : 1};
            if (!tr) {
                hbg_sgemm(p->fk, mg, npix, kg, &wo, &xo, yg, npix, bg, clamp, gemm_ws);
                continue;
            }
            hbg_sgemm(p->fk, npix, mg, kg, &xo, &wo, ct, mg, NULL, NULL, gemm_ws);
            p->fk->transpose(ct, mg, npix, mg, bg, clamp, yg, npix);
        }
    }
}

/* y[0, n) clamped in place (the reference path of a fused Relu/Clip). */
static void clamp_all(float *y, size_t n, const float *clamp)
{
    for (size_t i = 0; i < n; i++)
        y[i] = hbg_clamp1(y[i], clamp);
}

static hbg_status conv_run(hbg_kctx *k)
{
    const conv_params *p = k->node->params;
    const hbg_conv_geom *g = &p->g;
    const float *x = k->in[0]->data, *w = k->in[1]->data;
    const float *b = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    float *y = k->out[0]->data;
    if (p->path == CONV_GEMM) {
        conv_run_gemm(p, x, w, b, k->clamp, y, k->scratch);
    } else if (p->path == CONV_DW) {
        const size_t in_img = (size_t)(g->c * g->in[1] * g->in[2]);
        const size_t out_img = (size_t)(g->m * g->out[1] * g->out[2]);
        hbg_dw_args a;
        dw_args_of(g, &a);
        a.wt = w;
        a.bias = b;
        a.clamp = k->clamp;
        a.pad = k->scratch;
        for (int64_t n = 0; n < g->n; n++) {
            a.x = x + (size_t)n * in_img;
            a.y = y + (size_t)n * out_img;
            p->fk->dwconv(&a);
        }
    } else {
        hbg_conv_ref(g, x, w, b, y);
        if (k->clamp)
            clamp_all(y, (size_t)hbg_tensor_numel(k->out[0]), k->clamp);
    }
    return HBG_OK;
}

/* ---- ConvTranspose ------------------------------------------------------------------------- */

typedef struct convt_params {
    hbg_conv_geom g;
    const hbg_fast_kernels *fk; /* NULL: reference */
    float *wpack;               /* transposed weights packed per group when constant, else NULL */
    size_t wpack_group;         /* floats per group in wpack */
    size_t cols_floats;         /* fast path: the column buffer at the start of the workspace */
} convt_params;

static hbg_status convt_infer(hbg_kctx *k)
{
    hbg_conv_geom g;
    convt_params *p;
    const hbg_fast_kernels *fk;
    int64_t pads[6], opad[3], oshape[5];
    enum auto_pad ap;
    hbg_status s;
    int nsp;
    if ((s = conv_rank(k, &nsp)) != HBG_OK)
        return s;
    const hbg_tensor *x = k->in[0], *w = k->in[1];
    memset(&g, 0, sizeof g);
    g.nsp = nsp;
    if ((s = conv_common_attrs(k, w, &g, pads, &ap)) != HBG_OK ||
        (s = ints_attr(k, "output_padding", nsp, 0, opad)) != HBG_OK)
        return s;
    g.n = x->dims[0];
    g.c = x->dims[1];
    g.m = w->dims[1] * g.group;
    if (g.c % g.group != 0 || w->dims[0] != g.c)
        return hbg_kfail(k, HBG_E_SHAPE,
                         "X has %lld channels, W is %lldx%lld.., group %lld: "
                         "need W[0] = C, divisible by group",
                         (long long)g.c, (long long)w->dims[0], (long long)w->dims[1],
                         (long long)g.group);
    if ((s = check_bias(k, g.m)) != HBG_OK)
        return s;
    /* output_shape may list the spatial axes only or, in older models, N and C too */
    const int64_t *os;
    const int n_os = hbg_attr_ints(k->node, "output_shape", &os);
    if (n_os >= 0 && n_os != nsp && n_os != nsp + 2)
        return hbg_kfail(k, HBG_E_INVALID, "output_shape has %d values for %d spatial axes", n_os,
                         nsp);
    for (int i = 0; i < nsp; i++) {
        oshape[i] = n_os >= 0 ? os[n_os - nsp + i] : -1;
        if (n_os >= 0 && oshape[i] < 1)
            return hbg_kfail(k, HBG_E_INVALID, "output_shape[%d] = %lld is not positive", i,
                             (long long)oshape[i]);
    }
    for (int i = 0; i < nsp; i++) {
        const int a = 3 - nsp + i;
        const int64_t ext = (g.kern[a] - 1) * g.dil[a] + 1, in = g.in[a], st = g.stride[a];
        const int64_t full = st * (in - 1) + opad[i] + ext; /* output size before padding */
        int64_t out = oshape[i], pb = pads[i], pe = pads[nsp + i];
        if (opad[i] < 0 || opad[i] >= CONV_DIM_MAX || out >= CONV_DIM_MAX)
            return hbg_kfail(k, HBG_E_INVALID,
                             "axis %d: output_padding %lld or output_shape %lld outside [0, 2^31)",
                             i, (long long)opad[i], (long long)out);
        if (out < 0 && (ap == PAD_SAME_UPPER || ap == PAD_SAME_LOWER))
            out = in * st;
        if (out >= 0) {
            /* total < 0 when output_shape exceeds the full size; halves round down (ONNX) */
            const int64_t total = full - out;
            const int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
            pb = ap == PAD_SAME_UPPER ? half : total - half;
        } else {
            if (ap == PAD_VALID)
                pb = pe = 0;
            if (pb < 0 || pe < 0)
                return hbg_kfail(k, HBG_E_INVALID, "axis %d: negative pads %lld, %lld", i,
                                 (long long)pb, (long long)pe);
            out = full - pb - pe;
        }
        if (out < 1)
            return hbg_kfail(k, HBG_E_SHAPE, "axis %d: output size %lld is not positive", i,
                             (long long)out);
        g.pad[a] = pb;
        g.out[a] = out;
    }
    g.out[0] = nsp < 3 ? 1 : g.out[0];
    g.out[1] = nsp < 2 ? 1 : g.out[1];
    if ((s = set_conv_output(k, &g)) != HBG_OK)
        return hbg_kfail(k, s, "cannot set the output shape");
    if ((s = pick_kernels(k, &fk)) != HBG_OK)
        return s;

    /* Fast path (2-D and 1-D): per group, cols [mg*kh*kw][h*w] = W_g^T x X_g, then col2im. */
    const size_t cg = (size_t)(g.c / g.group), mg = (size_t)(g.m / g.group);
    const size_t rows = mg * (size_t)(g.kern[1] * g.kern[2]), in_px = (size_t)(g.in[1] * g.in[2]);
    size_t packed = 0, cols = 0;
    if (nsp > 2)
        fk = NULL;
    if (fk && in_px > 0 && rows > (SIZE_MAX / sizeof(float) - 64) / in_px)
        return hbg_kfail(k, HBG_E_NOMEM, "column buffer of %zu x %zu floats is too large", rows,
                         in_px);
    if (fk) {
        packed = w->data ? hbg_sgemm_packed_a_floats(fk, rows, cg) : 0;
        cols = round_up(rows * in_px, 16);
        k->node->scratch =
            cols * sizeof(float) +
            hbg_sgemm_scratch_bytes(fk, rows, in_px, cg,
                                    w->data ? HBG_OPND_PACKED : HBG_OPND_MATRIX, HBG_OPND_MATRIX);
    }
    float *wpack;
    p = params_new(sizeof *p, packed * (size_t)g.group, &wpack);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "cannot allocate %zu packed weights",
                         packed * (size_t)g.group);
    p->g = g;
    p->fk = fk;
    p->wpack = wpack;
    p->wpack_group = packed;
    p->cols_floats = cols;
    if (wpack) {
        for (int64_t gi = 0; gi < g.group; gi++) {
            /* A(r, ci) = W[gi*cg + ci][r] with r = (mo, ky, kx): W_g transposed */
            const hbg_operand src = {.kind = HBG_OPND_MATRIX,
                                     .p = (const float *)w->data + (size_t)gi * cg * rows,
                                     .rs = 1,
                                     .cs = (ptrdiff_t)rows};
            hbg_sgemm_pack_a(fk, rows, cg, &src, wpack + (size_t)gi * packed);
        }
    }
    k->node->params = p;
    return HBG_OK;
}

/* y (one group's mg planes) = bias + scatter of cols [(mo, ky, kx)][iy][ix]. */
static void col2im(const hbg_conv_geom *g, size_t mg, const float *cols, const float *b, float *y)
{
    const int64_t kh = g->kern[1], kw = g->kern[2], h = g->in[1], w = g->in[2];
    const int64_t ho = g->out[1], wo = g->out[2];
    for (size_t mo = 0; mo < mg; mo++) {
        float *ym = y + mo * (size_t)(ho * wo);
        const float b0 = b ? b[mo] : 0.0f;
        for (int64_t i = 0; i < ho * wo; i++)
            ym[i] = b0;
        for (int64_t ky = 0; ky < kh; ky++) {
            for (int64_t kx = 0; kx < kw; kx++) {
                const float *cp =
                    cols +
                    ((mo * (size_t)kh + (size_t)ky) * (size_t)kw + (size_t)kx) * (size_t)(h * w);
                for (int64_t iy = 0; iy < h; iy++) {
                    const int64_t oy = iy * g->stride[1] - g->pad[1] + ky * g->dil[1];
                    if (oy < 0 || oy >= ho)
                        continue;
                    float *yr = ym + oy * wo;
                    const float *cr = cp + iy * w;
                    for (int64_t ix = 0; ix < w; ix++) {
                        const int64_t ox = ix * g->stride[2] - g->pad[2] + kx * g->dil[2];
                        if (ox >= 0 && ox < wo)
                            yr[ox] += cr[ix];
                    }
                }
            }
        }
    }
}

static hbg_status convt_run(hbg_kctx *k)
{
    const convt_params *p = k->node->params;
    const hbg_conv_geom *g = &p->g;
    const float *x = k->in[0]->data, *w = k->in[1]->data;
    const float *b = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    float *y = k->out[0]->data;
    if (!p->fk) {
        hbg_convtranspose_ref(g, x, w, b, y);
        return HBG_OK;
    }
    const size_t cg = (size_t)(g->c / g->group), mg = (size_t)(g->m / g->group);
    const size_t rows = mg * (size_t)(g->kern[1] * g->kern[2]),
                 in_px = (size_t)(g->in[1] * g->in[2]);
    const size_t out_px = (size_t)(g->out[1] * g->out[2]);
    float *cols = k->scratch;
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t gi = 0; gi < g->group; gi++) {
            hbg_operand a;
            const hbg_operand xo = {.kind = HBG_OPND_MATRIX,
                                    .p = x + ((size_t)n * (size_t)g->c + (size_t)gi * cg) * in_px,
                                    .rs = (ptrdiff_t)in_px,
                                    .cs = 1};
            if (p->wpack)
                a = (hbg_operand){.kind = HBG_OPND_PACKED,
                                  .p = p->wpack + (size_t)gi * p->wpack_group,
                                  .panel_stride = cg * p->fk->mr};
            else
                a = (hbg_operand){.kind = HBG_OPND_MATRIX,
                                  .p = w + (size_t)gi * cg * rows,
                                  .rs = 1,
                                  .cs = (ptrdiff_t)rows};
            hbg_sgemm(p->fk, rows, in_px, cg, &a, &xo, cols, in_px, NULL, NULL,
                      cols + p->cols_floats);
            col2im(g, mg, cols, b ? b + (size_t)gi * mg : NULL,
                   y + ((size_t)n * (size_t)g->m + (size_t)gi * mg) * out_px);
        }
    }
    return HBG_OK;
}

/* ---- Gemm ---------------------------------------------------------------------------------- */

typedef struct gemm_params {
    size_t m, n, k;
    int trans_a, trans_b;
    float alpha, beta;
    ptrdiff_t c_rs, c_cs; /* C broadcast to [m][n]: element (i, j) at C[i*c_rs + j*c_cs] */
    const hbg_fast_kernels *fk;
    float *bpack; /* B packed when constant at prepare (fast path), else NULL */
} gemm_params;

static hbg_status gemm_infer(hbg_kctx *k)
{
    gemm_params *p;
    const hbg_fast_kernels *fk;
    hbg_status s;
    if ((s = need_float(k, 0, "A")) != HBG_OK || (s = need_float(k, 1, "B")) != HBG_OK)
        return s;
    const hbg_tensor *a = k->in[0], *b = k->in[1], *c = k->n_in > 2 ? k->in[2] : NULL;
    if (c && (s = need_float(k, 2, "C")) != HBG_OK)
        return s;
    if (a->rank != 2 || b->rank != 2)
        return hbg_kfail(k, HBG_E_SHAPE, "A and B must be 2-D (ranks %d, %d)", a->rank, b->rank);
    const int ta = hbg_attr_int(k->node, "transA", 0) != 0;
    const int tb = hbg_attr_int(k->node, "transB", 0) != 0;
    const int64_t m = a->dims[ta], ka = a->dims[1 - ta], kb = b->dims[tb], n = b->dims[1 - tb];
    if (ka != kb)
        return hbg_kfail(k, HBG_E_SHAPE, "inner dimensions differ: A gives K = %lld, B K = %lld",
                         (long long)ka, (long long)kb);
    ptrdiff_t c_rs = 0, c_cs = 0;
    if (c) {
        /* unidirectional broadcast of C to [m, n] */
        const int64_t cm = c->rank >= 2 ? c->dims[c->rank - 2] : 1;
        const int64_t cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        if (c->rank > 2 || (cm != 1 && cm != m) || (cn != 1 && cn != n))
            return hbg_kfail(k, HBG_E_SHAPE, "C (rank %d) does not broadcast to [%lld, %lld]",
                             c->rank, (long long)m, (long long)n);
        /* Gemm-6 (opset < 7) broadcasts C only when its attribute broadcast is set. */
        const int64_t opset = hbg_graph_opset(k->g, "");
        if (opset >= 1 && opset < 7 && hbg_attr_int(k->node, "broadcast", 0) == 0 &&
            (c->rank != 2 || cm != m || cn != n))
            return hbg_kfail(k, HBG_E_SHAPE,
                             "C must be [%lld, %lld] without broadcast = 1 (Gemm-6, opset %lld)",
                             (long long)m, (long long)n, (long long)opset);
        c_cs = cn == 1 ? 0 : 1;
        c_rs = cm == 1 ? 0 : (ptrdiff_t)cn;
    }
    const int64_t dims[2] = {m, n};
    if ((s = hbg_tensor_set_shape(k->out[0], HBG_DT_F32, 2, dims)) != HBG_OK)
        return hbg_kfail(k, s, "cannot set the output shape");
    if ((s = pick_kernels(k, &fk)) != HBG_OK)
        return s;
    const size_t packed = fk && b->data ? hbg_sgemm_packed_b_floats(fk, (size_t)ka, (size_t)n) : 0;
    float *bpack;
    p = params_new(sizeof *p, packed, &bpack);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "cannot allocate %zu packed weights", packed);
    p->m = (size_t)m;
    p->n = (size_t)n;
    p->k = (size_t)ka;
    p->trans_a = ta;
    p->trans_b = tb;
    p->alpha = hbg_attr_float(k->node, "alpha", 1.0f);
    p->beta = hbg_attr_float(k->node, "beta", 1.0f);
    p->c_rs = c_rs;
    p->c_cs = c_cs;
    p->fk = fk;
    p->bpack = bpack;
    if (fk) {
        if (bpack) {
            const hbg_operand src = {.kind = HBG_OPND_MATRIX,
                                     .p = b->data,
                                     .rs = tb ? 1 : (ptrdiff_t)n,
                                     .cs = tb ? (ptrdiff_t)ka : 1};
            hbg_sgemm_pack_b(fk, p->k, p->n, &src, bpack);
        }
        k->node->scratch = hbg_sgemm_scratch_bytes(fk, p->m, p->n, p->k, HBG_OPND_MATRIX,
                                                   bpack ? HBG_OPND_PACKED : HBG_OPND_MATRIX);
    }
    k->node->params = p;
    return HBG_OK;
}

static hbg_status gemm_run(hbg_kctx *k)
{
    const gemm_params *p = k->node->params;
    const float *a = k->in[0]->data, *b = k->in[1]->data;
    const float *c = k->n_in > 2 && k->in[2] ? k->in[2]->data : NULL;
    float *y = k->out[0]->data;
    const ptrdiff_t a_rs = p->trans_a ? 1 : (ptrdiff_t)p->k,
                    a_cs = p->trans_a ? (ptrdiff_t)p->m : 1;
    const ptrdiff_t b_rs = p->trans_b ? 1 : (ptrdiff_t)p->n,
                    b_cs = p->trans_b ? (ptrdiff_t)p->k : 1;
    if (p->fk) {
        const hbg_operand ao = {.kind = HBG_OPND_MATRIX, .p = a, .rs = a_rs, .cs = a_cs};
        hbg_operand bo = {.kind = HBG_OPND_MATRIX, .p = b, .rs = b_rs, .cs = b_cs};
        if (p->bpack)
            bo = (hbg_operand){
                .kind = HBG_OPND_PACKED, .p = p->bpack, .panel_stride = p->k * p->fk->nr};
        hbg_sgemm(p->fk, p->m, p->n, p->k, &ao, &bo, y, p->n, NULL, NULL, k->scratch);
    } else {
        hbg_matmul_ref(p->m, p->n, p->k, a, a_rs, a_cs, b, b_rs, b_cs, y, p->n);
    }
    /* y = alpha * (A B) + beta * C */
    for (size_t i = 0; i < p->m; i++) {
        float *yr = y + i * p->n;
        for (size_t j = 0; j < p->n; j++) {
            float v = p->alpha * yr[j];
            if (c)
                v += p->beta * c[(ptrdiff_t)i * p->c_rs + (ptrdiff_t)j * p->c_cs];
            yr[j] = k->clamp ? hbg_clamp1(v, k->clamp) : v;
        }
    }
    return HBG_OK;
}

/* ---- MatMul -------------------------------------------------------------------------------- */

typedef struct matmul_params {
    size_t m, n, k;
    int nb;                      /* batch axes of the output */
    int64_t bdims[HBG_MAX_RANK]; /* output batch dims */
    int64_t a_bs[HBG_MAX_RANK];  /* A's element stride per output batch axis (0: broadcast) */
    int64_t b_bs[HBG_MAX_RANK];  /* B's */
    const hbg_fast_kernels *fk;
    float *bpack; /* B packed when constant at prepare and without batch axes, else NULL */
} matmul_params;

/* Batch strides of an operand of rank r whose last two (matrix) dims span mat elements, against
 * the nb output batch axes; 0 on broadcast axes. */
static void batch_strides(const hbg_tensor *t, int r2, int64_t mat, int nb, int64_t *bs)
{
    int64_t stride = mat;
    const int tb = t->rank - r2; /* this operand's batch axes */
    for (int i = nb - 1; i >= 0; i--) {
        const int ti = i - (nb - tb);
        if (ti >= 0 && t->dims[ti] != 1) {
            bs[i] = stride;
            stride *= t->dims[ti];
        } else {
            bs[i] = 0;
        }
    }
}

static hbg_status matmul_infer(hbg_kctx *k)
{
    matmul_params *p;
    const hbg_fast_kernels *fk;
    hbg_status s;
    int64_t od[HBG_MAX_RANK];
    if ((s = need_float(k, 0, "A")) != HBG_OK || (s = need_float(k, 1, "B")) != HBG_OK)
        return s;
    const hbg_tensor *a = k->in[0], *b = k->in[1];
    if (a->rank < 1 || b->rank < 1)
        return hbg_kfail(k, HBG_E_SHAPE, "operands must have rank >= 1 (ranks %d, %d)", a->rank,
                         b->rank);
    /* 1-D A is [1, K] with the 1 removed from the output; 1-D B is [K, 1] likewise */
    const int ar2 = a->rank >= 2 ? 2 : 1, br2 = b->rank >= 2 ? 2 : 1;
    const int64_t m = ar2 == 2 ? a->dims[a->rank - 2] : 1, ka = a->dims[a->rank - 1];
    const int64_t kb = b->dims[b->rank - br2], n = br2 == 2 ? b->dims[b->rank - 1] : 1;
    if (ka != kb)
        return hbg_kfail(k, HBG_E_SHAPE, "inner dimensions differ: A gives K = %lld, B K = %lld",
                         (long long)ka, (long long)kb);
    const int na = a->rank - ar2, nbb = b->rank - br2, nb = na > nbb ? na : nbb;
    if (nb + 2 > HBG_MAX_RANK)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "too many batch axes (%d)", nb);
    for (int i = 0; i < nb; i++) {
        const int ia = i - (nb - na), ib = i - (nb - nbb);
        const int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return hbg_kfail(k, HBG_E_SHAPE, "batch axis %d: %lld and %lld do not broadcast", i,
                             (long long)da, (long long)db);
        od[i] = da == 1 ? db : da;
    }
    int r = nb;
    if (ar2 == 2)
        od[r++] = m;
    if (br2 == 2)
        od[r++] = n;
    if ((s = hbg_tensor_set_shape(k->out[0], HBG_DT_F32, r, od)) != HBG_OK)
        return hbg_kfail(k, s, "cannot set the output shape");
    if ((s = pick_kernels(k, &fk)) != HBG_OK)
        return s;
    const size_t packed =
        fk && b->data && nbb == 0 ? hbg_sgemm_packed_b_floats(fk, (size_t)ka, (size_t)n) : 0;
    float *bpack;
    p = params_new(sizeof *p, packed, &bpack);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "cannot allocate %zu packed weights", packed);
    p->m = (size_t)m;
    p->n = (size_t)n;
    p->k = (size_t)ka;
    p->nb = nb;
    memcpy(p->bdims, od, (size_t)nb * sizeof *od);
    batch_strides(a, ar2, m * ka, nb, p->a_bs);
    batch_strides(b, br2, ka * n, nb, p->b_bs);
    p->fk = fk;
    p->bpack = bpack;
    if (fk) {
        if (bpack) {
            const hbg_operand src = {
                .kind = HBG_OPND_MATRIX, .p = b->data, .rs = (ptrdiff_t)n, .cs = 1};
            hbg_sgemm_pack_b(fk, p->k, p->n, &src, bpack);
        }
        k->node->scratch = hbg_sgemm_scratch_bytes(fk, p->m, p->n, p->k, HBG_OPND_MATRIX,
                                                   bpack ? HBG_OPND_PACKED : HBG_OPND_MATRIX);
    }
    k->node->params = p;
    return HBG_OK;
}

static hbg_status matmul_run(hbg_kctx *k)
{
    const matmul_params *p = k->node->params;
    const float *a = k->in[0]->data, *b = k->in[1]->data;
    float *y = k->out[0]->data;
    int64_t idx[HBG_MAX_RANK] = {0};
    int64_t batches = 1;
    for (int i = 0; i < p->nb; i++)
        batches *= p->bdims[i];
    for (int64_t t = 0; t < batches; t++) {
        int64_t ao = 0, bo = 0;
        for (int i = 0; i < p->nb; i++) {
            ao += idx[i] * p->a_bs[i];
            bo += idx[i] * p->b_bs[i];
        }
        float *yt = y + (size_t)t * p->m * p->n;
        if (p->fk) {
            const hbg_operand aop = {
                .kind = HBG_OPND_MATRIX, .p = a + ao, .rs = (ptrdiff_t)p->k, .cs = 1};
            hbg_operand bop = {
                .kind = HBG_OPND_MATRIX, .p = b + bo, .rs = (ptrdiff_t)p->n, .cs = 1};
            if (p->bpack)
                bop = (hbg_operand){
                    .kind = HBG_OPND_PACKED, .p = p->bpack, .panel_stride = p->k * p->fk->nr};
            hbg_sgemm(p->fk, p->m, p->n, p->k, &aop, &bop, yt, p->n, NULL, NULL, k->scratch);
        } else {
            hbg_matmul_ref(p->m, p->n, p->k, a + ao, (ptrdiff_t)p->k, 1, b + bo, (ptrdiff_t)p->n, 1,
                           yt, p->n);
        }
        /* next batch index, last axis fastest */
        for (int i = p->nb - 1; i >= 0; i--) {
            if (++idx[i] < p->bdims[i])
                break;
            idx[i] = 0;
        }
    }
    return HBG_OK;
}

const hbg_op_impl hbg_ops_conv[] = {
    {HBG_OP_CONV, conv_infer, conv_run, HBG_OPF_FUSE_CLAMP},
    {HBG_OP_CONVTRANSPOSE, convt_infer, convt_run, 0},
    {HBG_OP_GEMM, gemm_infer, gemm_run, HBG_OPF_FUSE_CLAMP},
    {HBG_OP_MATMUL, matmul_infer, matmul_run, 0},
    {HBG_OP_UNKNOWN, NULL, NULL, 0},
};
