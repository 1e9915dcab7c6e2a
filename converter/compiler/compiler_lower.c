/* Lowering of one node into BPU-v0 instructions (docs/compiler.md section 4).
 *
 * Every node reads its inputs from DDR and writes its output to DDR. Its output is cut into
 * tiles of whole rows; a tile's input rows (with the halo a window needs) are LOADed into one
 * of two SRAM buffers, one compute instruction covers the whole tile, and the result is STOREd
 * from one of two output buffers. Dependency tokens order the three queues (double buffering):
 * the last LOAD of tile t hands it to EXEC, the last EXEC instruction hands it to STORE and
 * frees the input buffer for tile t + 2, the STORE frees the output buffer for tile t + 2. Every
 * pass ends with a SYNC, so passes and nodes never overlap (DDR hazards need no tokens). */
#include <stdlib.h>
#include <string.h>

#include "bpu/numerics.h"
#include "compiler_priv.h"
#include "hbc/quant.h"

#define CK_MAX_LOADS 32u /* LOADs of one tile (one per Concat input) */
#define CK_SLACK     64u /* bytes between SRAM buffers: SIMD kernels read a little past a map */

typedef struct ck_tile {
    bpu_insn ld[CK_MAX_LOADS];
    uint32_t nl;
    bpu_insn ex[2];
    uint32_t ne;
    bpu_insn st;
} ck_tile;

/* Emit tile i of n with its tokens (file comment). A tile without LOAD (nl = 0: its input is
 * resident) relies on the node's last constant LOAD carrying push_next; a tile without STORE
 * (no_store: its output stays resident) pushes nothing to STORE. Both only occur with n = 1. */
static hbg_status emit_tile(ck_ctx *c, ck_tile *t, uint32_t i, uint32_t n, int no_store)
{
    hbg_status st = HBG_OK;
    if (t->nl > 0) {
        t->ld[t->nl - 1].dep |= BPU_DEP_PUSH_NEXT;
        if (i >= 2)
            t->ld[0].dep |= BPU_DEP_POP_NEXT;
    }
    t->ex[0].dep |= BPU_DEP_POP_PREV;
    if (i >= 2)
        t->ex[0].dep |= BPU_DEP_POP_NEXT;
    if (!no_store)
        t->ex[t->ne - 1].dep |= BPU_DEP_PUSH_NEXT;
    if (i + 2 < n)
        t->ex[t->ne - 1].dep |= BPU_DEP_PUSH_PREV;
    t->st.dep |= BPU_DEP_POP_PREV;
    if (i + 2 < n)
        t->st.dep |= BPU_DEP_PUSH_PREV;
    for (uint32_t k = 0; k < t->nl && st == HBG_OK; k++)
        st = ck_push(c, &t->ld[k]);
    for (uint32_t k = 0; k < t->ne && st == HBG_OK; k++)
        st = ck_push(c, &t->ex[k]);
    if (st == HBG_OK && !no_store)
        st = ck_push(c, &t->st);
    return st;
}

int ck_resident_kind(ck_kind k)
{
    return k == CK_CONV || k == CK_GEMM || k == CK_EWISE || k == CK_LUT || k == CK_RESCALE;
}

/* The node cannot keep the residency it was asked for: the caller lowers it again without. */
static hbg_status res_refuse(ck_ctx *c)
{
    c->res_fail = 1;
    return HBG_E_UNSUPPORTED;
}

static hbg_status emit_sync(ck_ctx *c)
{
    bpu_insn s = {.opcode = BPU_OP_SYNC};
    return ck_push(c, &s);
}

/* A DMA of z planes of y rows of x bytes (strides in bytes; unused strides 0). */
static bpu_insn dma(uint8_t opcode, uint32_t seg, uint32_t ddr, uint32_t sram, uint32_t x,
                    uint32_t y, uint32_t ddr_sy, uint32_t sram_sy, uint32_t z, uint32_t ddr_sz,
                    uint32_t sram_sz)
{
    bpu_insn in = {.opcode = opcode};
    bpu_dma_op *d = &in.u.dma;
    d->seg = (uint8_t)seg;
    d->ddr_off = ddr;
    d->sram = sram;
    d->x_bytes = x;
    d->y_rows = (uint16_t)y;
    d->z_planes = (uint16_t)z;
    d->ddr_stride_y = y > 1 ? ddr_sy : 0;
    d->sram_stride_y = y > 1 ? sram_sy : 0;
    d->ddr_stride_z = z > 1 ? ddr_sz : 0;
    d->sram_stride_z = z > 1 ? sram_sz : 0;
    return in;
}

/* Contiguous DDR <-> SRAM copy of n bytes. */
static bpu_insn dma_flat(uint8_t opcode, uint32_t seg, uint32_t ddr, uint32_t sram, uint32_t n)
{
    return dma(opcode, seg, ddr, sram, n, 1, 0, 0, 1, 0, 0);
}

/* SRAM allocator of one pass in the node's window [top, limit): upwards from the bottom, or
 * downwards from the top when c->alloc_down. Constants are always taken first, so they sit at
 * the end of the window the node starts from (the range a hoisted LOAD writes). */
typedef struct ck_sram {
    uint32_t top, limit;
    ck_ctx *c;
} ck_sram;

static uint32_t sram_take(ck_sram *s, uint32_t bytes)
{
    ck_ctx *c = s->c;
    if (c->alloc_down) {
        uint32_t need = bytes + CK_SLACK;
        s->limit = s->limit > need ? (s->limit - need) / BPU_SRAM_ALIGN * BPU_SRAM_ALIGN : 0;
        if (s->limit < c->top_min)
            c->top_min = s->limit;
        return s->limit;
    }
    uint32_t a = ck_align(s->top, BPU_SRAM_ALIGN);
    s->top = a + bytes + CK_SLACK;
    if (s->top > c->bump_max)
        c->bump_max = s->top;
    return a;
}

/* The constants taken so far are the node's hoistable LOADs (n of them). */
static void note_pre(ck_ctx *c, int n)
{
    c->pre_n = n;
    c->pre_lo = c->alloc_down ? c->top_min : c->sram_lo;
    c->pre_hi = c->alloc_down ? c->sram_hi : c->bump_max;
}

/* Rows per tile: the largest th <= ho with fixed + 2 * (in_a * (th - 1) + in_b + out * th)
 * bytes (+ slack) inside SRAM, where in_a/in_b give the input bytes of a th-row tile. With
 * c->pipe_tiles (a schedule tried at optimize_level >= 1), a layer moving more than
 * CK_PIPE_BYTES is cut into up to 4 tiles even when it fits whole, so the DMA of one tile
 * overlaps the compute of another (the halo rows of a window op are then fetched twice); below
 * that the fixed cost of each DMA (dma_setup cycles) outweighs the overlap. Without it, the
 * fewest tiles SRAM allows, so every input row is fetched once where it fits. 0 when even one
 * row does not fit. */
#define CK_PIPE_BYTES 16384u
static uint32_t pick_rows(ck_ctx *c, uint32_t ho, uint64_t fixed, uint64_t in_a, uint64_t in_b,
                          uint64_t out)
{
    uint64_t budget = c->sram_hi - c->sram_lo, total = in_a * ho + in_b + out * ho;
    uint32_t th = ho;
    if (c->pipe_tiles && c->res_in < 0 && c->res_out < 0) { /* residency: one tile */
        uint64_t tiles = total / CK_PIPE_BYTES;
        tiles = tiles > 4 ? 4 : tiles < 1 ? 1 : tiles;
        th = (uint32_t)((ho + tiles - 1) / tiles);
        c->pipe_seen |= th < ho;
    }
    for (; th >= 1; th--) {
        uint64_t need = fixed + 2 * (in_a * (th - 1) + in_b + out * th) + 8 * (CK_SLACK + 32);
        if (need <= budget)
            return th;
    }
    return 0;
}

static uint32_t loc_seg(const ck_ctx *c, int t)
{
    return c->seg[c->storage[t]];
}

static uint32_t loc_off(const ck_ctx *c, int t)
{
    return c->off[c->storage[t]];
}

static const ck_map *map_of(const ck_ctx *c, int t)
{
    return &c->map[c->storage[t]];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- convolution (Conv, Gemm) ------------------------------------------------------------ */

typedef struct conv_desc {
    int x, y;                    /* input and output tensors */
    const int8_t *w;             /* the graph's weights */
    const int32_t *bias;         /* K */
    const int64_t *mult, *shift; /* K each (NULL with out32) */
    int8_t lo, hi;
    int8_t pad_value; /* what padded taps read: 0, or -127 for an unsigned input */
    int out32, dwise;
    int form;                      /* 0 Conv, 1 Gemm, 2 Gemm over a spatial Flatten */
    uint32_t group, h, w_, cin, k; /* input map h x w_ x cin, k output channels */
    uint32_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    uint32_t ho, wo;
} conv_desc;

/* The weight of output kk, tap (ky, kx), input channel ch (0 outside its group). */
static int8_t conv_w(const conv_desc *d, uint32_t kk, uint32_t ky, uint32_t kx, uint32_t ch)
{
    if (d->form == 1)
        return d->w[(size_t)kk * d->cin + ch];
    if (d->form == 2)
        return d->w[(size_t)kk * d->cin * d->kh * d->kw + ((size_t)ch * d->kh + ky) * d->kw + kx];
    uint32_t cg = d->cin / d->group, kg = d->k / d->group, g = kk / kg;
    if (ch / cg != g)
        return 0;
    return d->w[(((size_t)kk * cg + ch % cg) * d->kh + ky) * d->kw + kx];
}

/* Pack output channels [k0, k0 + kt) into the CONV weight layout and parameter records. */
static hbg_status conv_consts(ck_ctx *c, const conv_desc *d, uint32_t k0, uint32_t kt,
                              uint32_t *wgt_off, uint32_t *wgt_bytes, uint32_t *par_off)
{
    hbg_status st;
    size_t taps = (size_t)d->kh * d->kw, bytes;
    uint8_t *par = calloc(kt, BPU_PARAM_BYTES);
    int8_t *w = NULL;
    if (d->dwise) {
        bytes = taps * kt;
        w = calloc(bytes, 1);
        for (size_t t = 0; w && t < taps; t++)
            for (uint32_t ch = 0; ch < kt; ch++)
                w[t * kt + ch] =
                    conv_w(d, k0 + ch, (uint32_t)(t / d->kw), (uint32_t)(t % d->kw), k0 + ch);
    } else {
        size_t c4 = (d->cin + 3u) / 4u, k16 = ck_align(kt, BPU_WGT_KPACK);
        bytes = taps * c4 * k16 * 4u;
        w = calloc(bytes, 1);
        for (size_t t = 0; w && t < taps; t++)
            for (uint32_t kk = 0; kk < kt; kk++)
                for (uint32_t ch = 0; ch < d->cin; ch++)
                    w[((t * c4 + ch / 4u) * k16 + kk) * 4u + ch % 4u] =
                        conv_w(d, k0 + kk, (uint32_t)(t / d->kw), (uint32_t)(t % d->kw), ch);
    }
    if (!par || !w) {
        st = ck_fail(c, HBG_E_NOMEM, "out of memory (weights)");
        goto out;
    }
    for (uint32_t kk = 0; kk < kt; kk++) {
        uint8_t *r = par + (size_t)kk * BPU_PARAM_BYTES;
        put32(r, (uint32_t)d->bias[k0 + kk]);
        if (!d->out32) {
            put32(r + 4, (uint32_t)d->mult[k0 + kk]);
            r[8] = (uint8_t)d->shift[k0 + kk];
        }
    }
    if ((st = ck_const(c, w, bytes, wgt_off)) == HBG_OK)
        st = ck_const(c, par, (size_t)kt * BPU_PARAM_BYTES, par_off);
    *wgt_bytes = (uint32_t)bytes;
out:
    free(par);
    free(w);
    return st;
}

/* Output channels per pass: all of them when their weights fit in the weight budget, else the
 * largest multiple of 32 that does (keeps every chunk's SRAM address 32-byte aligned). Every
 * pass reads the whole input again: the budget is half of SRAM (the other half holds tiles that
 * pipeline DMA and compute), or with c->wide_chunks everything but the double buffers of
 * one-row tiles (fewest passes; a node in one pass may also keep its maps in SRAM). */
static uint32_t conv_chunk(ck_ctx *c, const conv_desc *d)
{
    uint64_t budget = (c->sram_hi - c->sram_lo) / 2, taps = (uint64_t)d->kh * d->kw;
    uint64_t per16 = d->dwise ? taps * 16 : taps * ((d->cin + 3u) / 4u) * 64u;
    uint64_t full =
        d->dwise ? taps * d->k : taps * ((d->cin + 3u) / 4u) * 4u * ck_align(d->k, BPU_WGT_KPACK);
    if (full + (uint64_t)d->k * BPU_PARAM_BYTES <= budget)
        return d->k;
    c->wide_seen = 1; /* chunked with half of SRAM: a wide budget may differ */
    if (c->wide_chunks) {
        const ck_map *xm = map_of(c, d->x);
        uint64_t one = 2 * ((uint64_t)((d->kh - 1) * d->dh + 1) * xm->row +
                            (uint64_t)d->wo * ck_align(d->k * map_of(c, d->y)->elem, 4)) +
                       8 * (CK_SLACK + 32);
        uint64_t win = c->sram_hi - c->sram_lo;
        budget = win > one + budget ? win - one : budget; /* never below half */
        if (full + (uint64_t)d->k * BPU_PARAM_BYTES <= budget)
            return d->k;
    }
    uint64_t kt = budget / (2 * per16 + 2 * 16 * BPU_PARAM_BYTES) * 32;
    return kt >= 32 ? (uint32_t)(kt < d->k ? kt : d->k) : 0;
}

static hbg_status conv_emit(ck_ctx *c, const hbg_node *nd, const conv_desc *d)
{
    hbg_status st = HBG_OK;
    const ck_map *xm = map_of(c, d->x), *ym = map_of(c, d->y);
    const uint32_t spanh = (d->kh - 1) * d->dh + 1, spanw = (d->kw - 1) * d->dw + 1;
    /* only the input columns some window reaches; the right padding that is really used */
    uint32_t need_w = (d->wo - 1) * d->sw + spanw - d->pl;
    uint32_t w_eff = need_w < d->w_ ? need_w : d->w_, pr = need_w - w_eff;
    uint32_t kt = conv_chunk(c, d);
    const int rin = c->res_in == d->x, rout = c->res_out == d->y;
    if ((rin || rout) && kt != d->k)
        return res_refuse(c);
    if (kt == 0)
        return ck_fail(c, HBG_E_UNSUPPORTED,
                       "node '%s': weights of 32 output channels do not "
                       "fit in half of the %u-byte SRAM",
                       hbg_node_label(c->g, nd), c->m->sram_bytes);
    for (uint32_t k0 = 0; k0 < d->k && st == HBG_OK; k0 += kt) {
        uint32_t kn = d->k - k0 < kt ? d->k - k0 : kt;
        uint32_t wgt_off = 0, wgt_bytes = 0, par_off = 0;
        if ((st = conv_consts(c, d, k0, kn, &wgt_off, &wgt_bytes, &par_off)) != HBG_OK)
            break;
        uint32_t opx = ck_align(kn * ym->elem, 4), orow = d->wo * opx;
        uint64_t fixed = wgt_bytes + (uint64_t)kn * BPU_PARAM_BYTES;
        uint32_t th = pick_rows(c, d->ho, fixed, rin ? 0 : (uint64_t)d->sh * xm->row,
                                rin ? 0 : (uint64_t)spanh * xm->row, rout ? 0 : orow);
        if ((rin || rout) && th != d->ho)
            return res_refuse(c);
        if (th == 0)
            return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': one output row does not fit in SRAM",
                           hbg_node_label(c->g, nd));
        ck_sram s = {c->sram_lo, c->sram_hi, c};
        uint32_t s_wgt = sram_take(&s, wgt_bytes), s_par = sram_take(&s, kn * BPU_PARAM_BYTES);
        note_pre(c, kn == d->k ? 2 : 0);
        uint32_t in_rows = (th - 1) * d->sh + spanh;
        uint32_t s_in[2], s_out[2];
        for (int b = 0; b < 2; b++)
            s_in[b] = rin ? c->res_in_addr : sram_take(&s, in_rows * xm->row);
        for (int b = 0; b < 2; b++)
            s_out[b] = rout ? c->res_out_addr : sram_take(&s, th * orow);
        bpu_insn l = dma_flat(BPU_OP_LOAD, HBC_SEG_CONST, wgt_off, s_wgt, wgt_bytes);
        if ((st = ck_push(c, &l)) != HBG_OK)
            break;
        l = dma_flat(BPU_OP_LOAD, HBC_SEG_CONST, par_off, s_par, kn * BPU_PARAM_BYTES);
        if (rin)
            l.dep = BPU_DEP_PUSH_NEXT; /* hands the resident input to EXEC (emit_tile) */
        if ((st = ck_push(c, &l)) != HBG_OK)
            break;
        uint32_t nt = (d->ho + th - 1) / th;
        for (uint32_t i = 0; i < nt && st == HBG_OK; i++) {
            uint32_t oy0 = i * th, oy1 = oy0 + th < d->ho ? oy0 + th : d->ho, b = i % 2;
            int64_t a = (int64_t)oy0 * d->sh - d->pt;
            int64_t e = (int64_t)(oy1 - 1) * d->sh - d->pt + spanh;
            int64_t r0 = a > 0 ? a : 0, r1 = e < d->h ? e : d->h;
            if (r1 <= r0)
                return ck_fail(c, HBG_E_UNSUPPORTED,
                               "node '%s': output rows %u..%u read only padding",
                               hbg_node_label(c->g, nd), oy0, oy1 - 1);
            ck_tile t = {.nl = rin ? 0 : 1, .ne = 1};
            t.ld[0] =
                dma_flat(BPU_OP_LOAD, loc_seg(c, d->x), loc_off(c, d->x) + (uint32_t)r0 * xm->row,
                         s_in[b], (uint32_t)(r1 - r0) * xm->row);
            bpu_insn *cv = &t.ex[0];
            cv->opcode = BPU_OP_CONV;
            cv->flags =
                (uint8_t)((d->dwise ? BPU_CONV_DEPTHWISE : 0) | (d->out32 ? BPU_CONV_ACC_OUT : 0));
            bpu_conv_op *o = &cv->u.conv;
            o->src = s_in[b] + (d->dwise ? k0 : 0);
            o->dst = s_out[b];
            o->wgt = s_wgt;
            o->param = s_par;
            o->h = (uint16_t)(r1 - r0);
            o->w = (uint16_t)w_eff;
            o->c = (uint16_t)(d->dwise ? kn : d->cin);
            o->k = (uint16_t)kn;
            o->ho = (uint16_t)(oy1 - oy0);
            o->wo = (uint16_t)d->wo;
            o->kh = (uint8_t)d->kh, o->kw = (uint8_t)d->kw;
            o->sh = (uint8_t)d->sh, o->sw = (uint8_t)d->sw;
            o->dh = (uint8_t)d->dh, o->dw = (uint8_t)d->dw;
            o->pad_top = (uint8_t)(r0 - a);
            o->pad_bottom = (uint8_t)(e - r1);
            o->pad_left = (uint8_t)d->pl;
            o->pad_right = (uint8_t)pr;
            o->pad = d->pad_value;
            o->lo = d->out32 ? 0 : d->lo;
            o->hi = d->out32 ? 0 : d->hi;
            o->src_px = (uint16_t)xm->px;
            o->src_row = xm->row;
            o->dst_px = (uint16_t)opx;
            o->dst_row = orow;
            uint32_t ddr = loc_off(c, d->y) + oy0 * ym->row;
            if (kn == d->k)
                t.st = dma_flat(BPU_OP_STORE, loc_seg(c, d->y), ddr, s_out[b], (oy1 - oy0) * orow);
            else
                t.st = dma(BPU_OP_STORE, loc_seg(c, d->y), ddr + k0 * ym->elem, s_out[b],
                           kn * ym->elem, d->wo, ym->px, opx, oy1 - oy0, ym->row, orow);
            st = emit_tile(c, &t, i, nt, rout);
        }
        if (st == HBG_OK)
            st = emit_sync(c);
    }
    return st;
}

static void clamp_attrs(const hbg_node *nd, int8_t *lo, int8_t *hi)
{
    *lo = (int8_t)hbg_attr_int(nd, "lo", -128);
    *hi = (int8_t)hbg_attr_int(nd, "hi", 127);
}

static hbg_status lower_conv(ck_ctx *c, int n)
{
    const hbg_node *nd = &c->g->nodes[n];
    const hbg_tensor *wt = c->g->tensors[nd->in[1]], *bt = c->g->tensors[nd->in[2]];
    conv_desc d = {.x = nd->in[0], .y = nd->out[0], .w = wt->data, .bias = bt->data};
    const ck_map *xm = map_of(c, d.x), *ym = map_of(c, d.y);
    const int64_t *v;
    d.out32 = hbg_attr_int(nd, "out_int32", 0) != 0;
    d.pad_value = (int8_t)hbg_attr_int(nd, "pad_value", 0);
    clamp_attrs(nd, &d.lo, &d.hi);
    if (!d.out32) {
        hbg_attr_ints(nd, "multiplier", &d.mult);
        hbg_attr_ints(nd, "shift", &d.shift);
    }
    d.h = xm->h, d.w_ = xm->w, d.cin = xm->c, d.k = ym->c, d.ho = ym->h, d.wo = ym->w;
    if (c->kind[n] == CK_CONV) {
        d.group = (uint32_t)hbg_attr_int(nd, "group", 1);
        d.kh = (uint32_t)wt->dims[2], d.kw = (uint32_t)wt->dims[3];
        d.sh = d.sw = d.dh = d.dw = 1;
        if (hbg_attr_ints(nd, "strides", &v) == 2)
            d.sh = (uint32_t)v[0], d.sw = (uint32_t)v[1];
        if (hbg_attr_ints(nd, "dilations", &v) == 2)
            d.dh = (uint32_t)v[0], d.dw = (uint32_t)v[1];
        if (hbg_attr_ints(nd, "pads", &v) == 4)
            d.pt = (uint32_t)v[0], d.pl = (uint32_t)v[1], d.pb = (uint32_t)v[2],
            d.pr = (uint32_t)v[3];
        d.dwise = d.group == d.cin && d.k == d.cin && d.group > 1;
    } else {
        d.group = 1;
        d.kh = d.kw = d.sh = d.sw = d.dh = d.dw = 1;
        d.form = 1;
        if (c->storage[d.x] != d.x) { /* a spatial Flatten: an HxW convolution of the map */
            d.form = 2;
            d.kh = xm->h, d.kw = xm->w;
        }
    }
    return conv_emit(c, nd, &d);
}

/* ---- pointwise (EWISE, LUT, REQUANT) ----------------------------------------------------- */

static hbg_status lower_pointwise(ck_ctx *c, int n)
{
    const hbg_node *nd = &c->g->nodes[n];
    const hbc_qop op = hbc_qop_from_name(nd->op_type);
    const int nin = c->kind[n] == CK_EWISE ? 2 : 1;
    const int y = nd->out[0];
    const ck_map *ym = map_of(c, y);
    hbg_status st = HBG_OK;
    uint8_t rec[256];
    uint32_t rec_bytes = 0, rec_off = 0, s_rec = 0;
    int8_t lo, hi;
    clamp_attrs(nd, &lo, &hi);
    memset(rec, 0, sizeof rec);
    if (c->kind[n] == CK_LUT) {
        const int64_t *tab;
        if (hbg_attr_ints(nd, "table", &tab) != 256)
            return ck_fail(c, HBG_E_INVALID, "node '%s': needs 256 table entries",
                           hbg_node_label(c->g, nd));
        for (int i = 0; i < 256; i++)
            rec[i] = (uint8_t)(int8_t)tab[i];
        rec_bytes = 256;
    } else if (c->kind[n] == CK_RESCALE) {
        put32(rec, (uint32_t)hbg_attr_int(nd, "multiplier", 0));
        rec[4] = (uint8_t)hbg_attr_int(nd, "shift", 0);
        rec_bytes = BPU_RQ_BYTES;
    }
    if (rec_bytes && (st = ck_const(c, rec, rec_bytes, &rec_off)) != HBG_OK)
        return st;
    /* which input is resident (-1: none); its token to EXEC comes from the other input's LOAD
     * or the constant LOAD */
    int rin = -1;
    for (int k = 0; k < nin; k++)
        if (c->res_in == nd->in[k])
            rin = k;
    const int rout = c->res_out == y;
    if (rin >= 0 && nin == 1 && !rec_bytes)
        return res_refuse(c);
    uint64_t loaded = (uint64_t)(nin - (rin >= 0)) * ym->row;
    uint32_t th = pick_rows(c, ym->h, rec_bytes, loaded, loaded, rout ? 0 : ym->row);
    if ((rin >= 0 || rout) && th != ym->h)
        return res_refuse(c);
    if (th == 0)
        return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': one row does not fit in SRAM",
                       hbg_node_label(c->g, nd));
    ck_sram s = {c->sram_lo, c->sram_hi, c};
    uint32_t s_in[2][2], s_out[2];
    if (rec_bytes) {
        s_rec = sram_take(&s, rec_bytes);
        note_pre(c, 1);
        bpu_insn l = dma_flat(BPU_OP_LOAD, HBC_SEG_CONST, rec_off, s_rec, rec_bytes);
        if (rin >= 0 && nin == 1)
            l.dep = BPU_DEP_PUSH_NEXT; /* hands the resident input to EXEC (emit_tile) */
        if ((st = ck_push(c, &l)) != HBG_OK)
            return st;
    }
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < nin; i++)
            s_in[i][b] = i == rin ? c->res_in_addr : sram_take(&s, th * ym->row);
        s_out[b] = rout ? c->res_out_addr : sram_take(&s, th * ym->row);
    }
    uint32_t nt = (ym->h + th - 1) / th;
    for (uint32_t i = 0; i < nt && st == HBG_OK; i++) {
        uint32_t r0 = i * th, r1 = r0 + th < ym->h ? r0 + th : ym->h, b = i % 2;
        uint32_t rows = r1 - r0;
        ck_tile t = {.nl = 0, .ne = 1};
        for (int k = 0; k < nin; k++)
            if (k != rin)
                t.ld[t.nl++] =
                    dma_flat(BPU_OP_LOAD, loc_seg(c, nd->in[k]),
                             loc_off(c, nd->in[k]) + r0 * ym->row, s_in[k][b], rows * ym->row);
        bpu_insn *e = &t.ex[0];
        if (c->kind[n] == CK_EWISE) {
            bpu_ewise_op *o = &e->u.ewise;
            e->opcode = BPU_OP_EWISE;
            o->src1 = s_in[0][b], o->src2 = s_in[1][b], o->dst = s_out[b];
            o->h = (uint16_t)rows, o->w = (uint16_t)ym->w, o->c = (uint16_t)ym->c;
            o->lo = lo, o->hi = hi;
            o->src1_px = o->src2_px = o->dst_px = (uint16_t)ym->px;
            o->src1_row = o->src2_row = o->dst_row = ym->row;
            if (op == HBC_QOP_MUL) {
                e->flags = BPU_EW_MUL;
                o->m1 = (uint32_t)hbg_attr_int(nd, "multiplier", 0);
            } else {
                e->flags = op == HBC_QOP_SUB ? BPU_EW_SUB : BPU_EW_ADD;
                o->m1 = (uint32_t)hbg_attr_int(nd, "multiplier1", 0);
                o->m2 = (uint32_t)hbg_attr_int(nd, "multiplier2", 0);
            }
            o->r = (uint8_t)hbg_attr_int(nd, "shift", 0);
        } else if (c->kind[n] == CK_LUT) {
            bpu_lut_op *o = &e->u.lut;
            e->opcode = BPU_OP_LUT;
            o->src = s_in[0][b], o->dst = s_out[b], o->table = s_rec;
            o->h = (uint16_t)rows, o->w = (uint16_t)ym->w, o->c = (uint16_t)ym->c;
            o->src_px = o->dst_px = (uint16_t)ym->px;
            o->src_row = o->dst_row = ym->row;
        } else {
            bpu_requant_op *o = &e->u.requant;
            e->opcode = BPU_OP_REQUANT;
            o->src = s_in[0][b], o->dst = s_out[b], o->param = s_rec;
            o->h = (uint16_t)rows, o->w = (uint16_t)ym->w, o->c = (uint16_t)ym->c;
            o->src_px = o->dst_px = (uint16_t)ym->px;
            o->src_row = o->dst_row = ym->row;
            o->lo = lo, o->hi = hi;
        }
        t.st = dma_flat(BPU_OP_STORE, loc_seg(c, y), loc_off(c, y) + r0 * ym->row, s_out[b],
                        rows * ym->row);
        st = emit_tile(c, &t, i, nt, rout);
    }
    return st == HBG_OK ? emit_sync(c) : st;
}

/* ---- pooling ----------------------------------------------------------------------------- */

static hbg_status lower_pool(ck_ctx *c, int n)
{
    const hbg_node *nd = &c->g->nodes[n];
    const int x = nd->in[0], y = nd->out[0];
    const ck_map *xm = map_of(c, x), *ym = map_of(c, y);
    const int avg = c->kind[n] != CK_MAXPOOL;
    hbg_status st = HBG_OK;
    uint32_t kh, kw, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
    const int64_t *v;
    int8_t lo = -128, hi = 127;
    if (c->kind[n] == CK_GAP) {
        kh = xm->h, kw = xm->w;
    } else {
        hbg_attr_ints(nd, "kernel_shape", &v);
        kh = (uint32_t)v[0], kw = (uint32_t)v[1];
        if (hbg_attr_ints(nd, "strides", &v) == 2)
            sh = (uint32_t)v[0], sw = (uint32_t)v[1];
        if (hbg_attr_ints(nd, "pads", &v) == 4)
            pt = (uint32_t)v[0], pl = (uint32_t)v[1], pb = (uint32_t)v[2], pr = (uint32_t)v[3];
    }
    if (avg)
        clamp_attrs(nd, &lo, &hi);
    /* count_include_pad: the ONNX pads are LOADed as zeros (explicit), so the POOL's own count
     * of valid elements equals the ONNX divisor; only a ceil_mode overhang stays virtual */
    int explicit_pad = c->kind[n] == CK_AVGPOOL && hbg_attr_int(nd, "count_include_pad", 0);
    uint32_t et = explicit_pad ? pt : 0, eb = explicit_pad ? pb : 0;
    uint32_t el = explicit_pad ? pl : 0, er = explicit_pad ? pr : 0;
    uint32_t hp = xm->h + et + eb, wp = xm->w + el + er, vt = pt - et, vl = pl - el;
    int64_t need_w = (int64_t)(ym->w - 1) * sw + kw - vl;
    uint32_t w_eff = need_w < wp ? (uint32_t)need_w : wp;
    uint32_t vr = (uint32_t)(need_w - w_eff);
    if (vt >= kh || vl >= kw || vr >= kw || (uint64_t)(el + er) * xm->px > 65535)
        return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': padding not expressible by POOL",
                       hbg_node_label(c->g, nd));
    uint32_t rec_off = 0, s_rec = 0, rec_bytes = avg ? kh * kw * BPU_RQ_BYTES : 0;
    if (avg) {
        uint8_t *rec = calloc(kh * kw, BPU_RQ_BYTES);
        const int64_t *cnt = NULL, *mult, *shift;
        int nc = 0;
        if (!rec)
            return ck_fail(c, HBG_E_NOMEM, "out of memory");
        if (c->kind[n] == CK_AVGPOOL) {
            nc = hbg_attr_ints(nd, "counts", &cnt);
            hbg_attr_ints(nd, "multiplier", &mult);
            hbg_attr_ints(nd, "shift", &shift);
        }
        for (uint32_t i = 0; i < kh * kw; i++) {
            uint8_t *r = rec + (size_t)i * BPU_RQ_BYTES;
            int64_t m = BPU_M_MIN, sft = BPU_SHIFT_MAX; /* a legal record for unused counts */
            if (c->kind[n] == CK_GAP && i + 1 == kh * kw) {
                m = hbg_attr_int(nd, "multiplier", 0);
                sft = hbg_attr_int(nd, "shift", 0);
            }
            for (int j = 0; j < nc; j++)
                if (cnt[j] == (int64_t)i + 1)
                    m = mult[j], sft = shift[j];
            put32(r, (uint32_t)m);
            r[4] = (uint8_t)sft;
        }
        st = ck_const(c, rec, rec_bytes, &rec_off);
        free(rec);
        if (st != HBG_OK)
            return st;
    }
    uint32_t prow = wp * xm->px, orow = ym->row;
    uint32_t th = pick_rows(c, ym->h, rec_bytes, (uint64_t)sh * prow, (uint64_t)kh * prow, orow);
    if (th == 0)
        return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': one output row does not fit in SRAM",
                       hbg_node_label(c->g, nd));
    ck_sram s = {c->sram_lo, c->sram_hi, c};
    if (avg) {
        s_rec = sram_take(&s, rec_bytes);
        bpu_insn l = dma_flat(BPU_OP_LOAD, HBC_SEG_CONST, rec_off, s_rec, rec_bytes);
        if ((st = ck_push(c, &l)) != HBG_OK)
            return st;
    }
    uint32_t s_in[2], s_out[2];
    for (int b = 0; b < 2; b++)
        s_in[b] = sram_take(&s, ((th - 1) * sh + kh) * prow);
    for (int b = 0; b < 2; b++)
        s_out[b] = sram_take(&s, th * orow);
    uint32_t nt = (ym->h + th - 1) / th;
    for (uint32_t i = 0; i < nt && st == HBG_OK; i++) {
        uint32_t oy0 = i * th, oy1 = oy0 + th < ym->h ? oy0 + th : ym->h, b = i % 2;
        int64_t a = (int64_t)oy0 * sh - vt, e = (int64_t)(oy1 - 1) * sh - vt + kh;
        int64_t r0 = a > 0 ? a : 0, r1 = e < hp ? e : hp; /* padded-map rows */
        /* real rows inside [r0, r1), the rest are explicit padding */
        int64_t q0 = r0 > et ? r0 - et : 0, q1 = r1 - et < xm->h ? r1 - et : xm->h;
        if (r1 <= r0 || q1 <= q0)
            return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': a tile reads only padding",
                           hbg_node_label(c->g, nd));
        ck_tile t = {.nl = 1, .ne = 1};
        bpu_insn *l = &t.ld[0];
        *l = dma(BPU_OP_LOAD, loc_seg(c, x), loc_off(c, x) + (uint32_t)q0 * xm->row, s_in[b],
                 xm->row, (uint32_t)(q1 - q0), xm->row, prow, 1, 0, 0);
        l->u.dma.pad_top = (uint8_t)(q0 + et - r0);
        l->u.dma.pad_bottom = (uint8_t)(r1 - (q1 + et));
        l->u.dma.pad_left = (uint16_t)(el * xm->px);
        l->u.dma.pad_right = (uint16_t)(er * xm->px);
        if (l->u.dma.pad_top + l->u.dma.pad_bottom + (q1 - q0) > 1 || el + er > 0)
            l->u.dma.sram_stride_y = prow, l->u.dma.ddr_stride_y = xm->row;
        bpu_insn *e_ = &t.ex[0];
        e_->opcode = BPU_OP_POOL;
        e_->flags = avg ? BPU_POOL_AVG : 0;
        bpu_pool_op *o = &e_->u.pool;
        o->src = s_in[b], o->dst = s_out[b], o->param = avg ? s_rec : 0;
        o->h = (uint16_t)(r1 - r0), o->w = (uint16_t)w_eff, o->c = (uint16_t)xm->c;
        o->ho = (uint16_t)(oy1 - oy0), o->wo = (uint16_t)ym->w;
        o->kh = (uint8_t)kh, o->kw = (uint8_t)kw, o->sh = (uint8_t)sh, o->sw = (uint8_t)sw;
        o->pad_top = (uint8_t)(r0 - a), o->pad_bottom = (uint8_t)(e - r1);
        o->pad_left = (uint8_t)vl, o->pad_right = (uint8_t)vr;
        o->lo = lo, o->hi = hi;
        o->src_px = (uint16_t)xm->px, o->dst_px = (uint16_t)ym->px;
        o->src_row = prow, o->dst_row = orow;
        t.st = dma_flat(BPU_OP_STORE, loc_seg(c, y), loc_off(c, y) + oy0 * orow, s_out[b],
                        (oy1 - oy0) * orow);
        st = emit_tile(c, &t, i, nt, 0);
    }
    return st == HBG_OK ? emit_sync(c) : st;
}

/* ---- RESIZE nearest ---------------------------------------------------------------------- */

static hbg_status lower_resize(ck_ctx *c, int n)
{
    const hbg_node *nd = &c->g->nodes[n];
    const int x = nd->in[0], y = nd->out[0];
    const ck_map *xm = map_of(c, x), *ym = map_of(c, y);
    const uint32_t fy = ym->h / xm->h, fx = ym->w / xm->w; /* integer factors (ck_support) */
    const uint32_t stepy = (65536u + fy - 1) / fy, stepx = (65536u + fx - 1) / fx;
    hbg_status st = HBG_OK;
    uint32_t th = pick_rows(c, ym->h, 0, xm->row, xm->row, ym->row);
    if (th == 0)
        return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': one output row does not fit in SRAM",
                       hbg_node_label(c->g, nd));
    ck_sram s = {c->sram_lo, c->sram_hi, c};
    uint32_t s_in[2], s_out[2];
    for (int b = 0; b < 2; b++)
        s_in[b] = sram_take(&s, th * xm->row);
    for (int b = 0; b < 2; b++)
        s_out[b] = sram_take(&s, th * ym->row);
    uint32_t nt = (ym->h + th - 1) / th;
    for (uint32_t i = 0; i < nt && st == HBG_OK; i++) {
        uint32_t oy0 = i * th, oy1 = oy0 + th < ym->h ? oy0 + th : ym->h, b = i % 2;
        uint32_t r0 = oy0 / fy, r1 = (oy1 - 1) / fy + 1;
        ck_tile t = {.nl = 1, .ne = 1};
        t.ld[0] = dma_flat(BPU_OP_LOAD, loc_seg(c, x), loc_off(c, x) + r0 * xm->row, s_in[b],
                           (r1 - r0) * xm->row);
        t.ex[0].opcode = BPU_OP_RESIZE;
        bpu_resize_op *o = &t.ex[0].u.resize;
        o->src = s_in[b], o->dst = s_out[b];
        o->h = (uint16_t)(r1 - r0), o->w = (uint16_t)xm->w, o->c = (uint16_t)xm->c;
        o->ho = (uint16_t)(oy1 - oy0), o->wo = (uint16_t)ym->w;
        o->src_px = (uint16_t)xm->px, o->dst_px = (uint16_t)ym->px;
        o->src_row = xm->row, o->dst_row = ym->row;
        o->step_y = stepy, o->step_x = stepx;
        o->off_y = (int32_t)((int64_t)oy0 * stepy - ((int64_t)r0 << 16));
        o->off_x = 0;
        t.st = dma_flat(BPU_OP_STORE, loc_seg(c, y), loc_off(c, y) + oy0 * ym->row, s_out[b],
                        (oy1 - oy0) * ym->row);
        st = emit_tile(c, &t, i, nt, 0);
    }
    return st == HBG_OK ? emit_sync(c) : st;
}

/* ---- data movement: Concat, Transpose, Slice, Copy ------------------------------------------
 * Each tile of output rows is LOADed (strided) straight into output layout in an input buffer,
 * COPYed to the output buffer (tokens only link LOAD -> EXEC -> STORE) and STOREd. */

/* Slice parameters per map axis (0 rows, 1 columns, 2 channels). */
typedef struct slice_geom {
    int64_t start[3], step[3];
} slice_geom;

static hbg_status slice_geometry(ck_ctx *c, const hbg_node *nd, slice_geom *sg)
{
    const hbg_tensor *x = c->g->tensors[nd->in[0]];
    int64_t st[4] = {0, 0, 0, 0}, sp[4] = {1, 1, 1, 1};
    const hbg_tensor *ts = nd->n_in > 1 ? c->g->tensors[nd->in[1]] : NULL;
    const hbg_tensor *ta = nd->n_in > 3 && nd->in[3] >= 0 ? c->g->tensors[nd->in[3]] : NULL;
    const hbg_tensor *tp = nd->n_in > 4 && nd->in[4] >= 0 ? c->g->tensors[nd->in[4]] : NULL;
    int64_t cnt = ts ? hbg_tensor_numel(ts) : 0;
    for (int64_t i = 0; i < cnt; i++) {
        int64_t ax = ta ? hbg_tensor_get_int(ta, i) : i;
        if (ax < 0)
            ax += x->rank;
        int64_t s = hbg_tensor_get_int(ts, i), stp = tp ? hbg_tensor_get_int(tp, i) : 1;
        if (ax < 0 || ax >= x->rank || stp < 1)
            return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': slice axis/step not supported",
                           hbg_node_label(c->g, nd));
        if (s < 0)
            s += x->dims[ax];
        s = s < 0 ? 0 : s > x->dims[ax] ? x->dims[ax] : s;
        st[ax] = s, sp[ax] = stp;
    }
    if (x->rank == 4) {
        sg->start[0] = st[2], sg->start[1] = st[3], sg->start[2] = st[1];
        sg->step[0] = sp[2], sg->step[1] = sp[3], sg->step[2] = sp[1];
    } else {
        sg->start[0] = 0, sg->start[1] = st[0], sg->start[2] = st[1];
        sg->step[0] = 1, sg->step[1] = sp[0], sg->step[2] = sp[1];
    }
    return HBG_OK;
}

/* A channel selection of a map (H and W whole): output channel k is input channel ch[k], moved
 * by a 1x1 CONV whose weight is 1 there and 0 elsewhere, bias 0 and requantisation (M, r) =
 * (2^30, 30): RQ(x) = (x * 2^30 + 2^29) >> 30 = x for every int8 x, so the output bytes are the
 * input's bit for bit (an offset activation's zero point passes through as well). A
 * byte-strided COPY would cost a cycle per byte (docs/bpu-isa.md section 9); the CONV costs
 * ceil(C / c_atom) * ceil(K / k_atom) cycles per pixel. Used for a Slice with a channel step
 * and for a channel Gather (the passes' channel_shuffle). */
static hbg_status lower_channel_select(ck_ctx *c, const hbg_node *nd, const int64_t *ch)
{
    const ck_map *xm = map_of(c, nd->in[0]), *ym = map_of(c, nd->out[0]);
    conv_desc d = {.x = nd->in[0],
                   .y = nd->out[0],
                   .lo = -128,
                   .hi = 127,
                   .form = 1,
                   .group = 1,
                   .h = xm->h,
                   .w_ = xm->w,
                   .cin = xm->c,
                   .k = ym->c,
                   .ho = ym->h,
                   .wo = ym->w,
                   .kh = 1,
                   .kw = 1,
                   .sh = 1,
                   .sw = 1,
                   .dh = 1,
                   .dw = 1};
    int8_t *w = calloc((size_t)d.k * d.cin, 1);
    int32_t *bias = calloc(d.k, sizeof *bias);
    int64_t *mult = malloc(d.k * sizeof *mult), *shift = malloc(d.k * sizeof *shift);
    hbg_status st = HBG_OK;
    if (!w || !bias || !mult || !shift) {
        st = ck_fail(c, HBG_E_NOMEM, "out of memory (node '%s')", hbg_node_label(c->g, nd));
        goto out;
    }
    for (uint32_t k = 0; k < d.k; k++) {
        if (ch[k] < 0 || ch[k] >= d.cin) {
            st = ck_fail(c, HBG_E_INVALID, "node '%s': output channel %u reads input channel %lld",
                         hbg_node_label(c->g, nd), k, (long long)ch[k]);
            goto out;
        }
        w[(size_t)k * d.cin + (size_t)ch[k]] = 1;
        mult[k] = INT64_C(1) << 30;
        shift[k] = 30;
    }
    d.w = w, d.bias = bias, d.mult = mult, d.shift = shift;
    st = conv_emit(c, nd, &d);
out:
    free(w);
    free(bias);
    free(mult);
    free(shift);
    return st;
}

/* The channel list of a Slice with a channel step, or of a channel Gather (negative indices
 * count from the end), then lower_channel_select. */
static hbg_status lower_channel_list(ck_ctx *c, const hbg_node *nd, const slice_geom *sg)
{
    const uint32_t k = map_of(c, nd->out[0])->c, cin = map_of(c, nd->in[0])->c;
    int64_t *ch = malloc(((size_t)k + 1) * sizeof *ch);
    if (!ch)
        return ck_fail(c, HBG_E_NOMEM, "out of memory (node '%s')", hbg_node_label(c->g, nd));
    for (uint32_t i = 0; i < k; i++) {
        if (sg) {
            ch[i] = sg->start[2] + (int64_t)i * sg->step[2];
        } else {
            const int64_t v = hbg_tensor_get_int(c->g->tensors[nd->in[1]], i);
            ch[i] = v < 0 ? v + cin : v;
        }
    }
    hbg_status st = lower_channel_select(c, nd, ch);
    free(ch);
    return st;
}

static hbg_status lower_gather(ck_ctx *c, int n)
{
    return lower_channel_list(c, &c->g->nodes[n], NULL);
}

static hbg_status lower_move(ck_ctx *c, int n)
{
    const hbg_node *nd = &c->g->nodes[n];
    const int y = nd->out[0];
    const ck_map *ym = map_of(c, y);
    slice_geom sg = {{0, 0, 0}, {1, 1, 1}};
    hbg_status st = HBG_OK;
    if (c->kind[n] == CK_SLICE && (st = slice_geometry(c, nd, &sg)) != HBG_OK)
        return st;
    if (c->kind[n] == CK_SLICE && sg.step[2] != 1)
        return lower_channel_list(c, nd, &sg);
    uint32_t th = pick_rows(c, ym->h, 0, ym->row, ym->row, ym->row);
    th = th > 65535 ? 65535 : th; /* z_planes of the strided LOADs */
    if (th == 0)
        return ck_fail(c, HBG_E_UNSUPPORTED, "node '%s': one output row does not fit in SRAM",
                       hbg_node_label(c->g, nd));
    ck_sram s = {c->sram_lo, c->sram_hi, c};
    uint32_t s_in[2], s_out[2];
    for (int b = 0; b < 2; b++)
        s_in[b] = sram_take(&s, th * ym->row);
    for (int b = 0; b < 2; b++)
        s_out[b] = sram_take(&s, th * ym->row);
    uint32_t nt = (ym->h + th - 1) / th;
    for (uint32_t i = 0; i < nt && st == HBG_OK; i++) {
        uint32_t oy0 = i * th, oy1 = oy0 + th < ym->h ? oy0 + th : ym->h, b = i % 2;
        uint32_t rows = oy1 - oy0;
        ck_tile t = {.nl = 0, .ne = 1};
        if (c->kind[n] == CK_CONCAT) {
            uint32_t coff = 0;
            for (int k = 0; k < nd->n_in; k++) {
                const ck_map *im = map_of(c, nd->in[k]);
                t.ld[t.nl++] =
                    dma(BPU_OP_LOAD, loc_seg(c, nd->in[k]), loc_off(c, nd->in[k]) + oy0 * im->row,
                        s_in[b] + coff, im->c, ym->w, im->px, ym->px, rows, im->row, ym->row);
                coff += im->c;
            }
        } else if (c->kind[n] == CK_TRANSPOSE) {
            const int x = nd->in[0];
            const ck_map *xm = map_of(c, x);
            t.ld[t.nl++] = dma(BPU_OP_LOAD, loc_seg(c, x), loc_off(c, x) + oy0 * xm->px, s_in[b],
                               xm->c * xm->elem, ym->w, xm->row, ym->px, rows, xm->px, ym->row);
        } else if (c->kind[n] == CK_SLICE) {
            const int x = nd->in[0];
            const ck_map *xm = map_of(c, x);
            uint32_t ddr = loc_off(c, x) +
                           (uint32_t)(sg.start[0] + (int64_t)oy0 * sg.step[0]) * xm->row +
                           (uint32_t)sg.start[1] * xm->px + (uint32_t)sg.start[2] * xm->elem;
            t.ld[t.nl++] = dma(BPU_OP_LOAD, loc_seg(c, x), ddr, s_in[b], ym->c * ym->elem, ym->w,
                               (uint32_t)sg.step[1] * xm->px, ym->px, rows,
                               (uint32_t)sg.step[0] * xm->row, ym->row);
        } else {
            const int x = nd->in[0];
            t.ld[t.nl++] = dma_flat(BPU_OP_LOAD, loc_seg(c, x), loc_off(c, x) + oy0 * ym->row,
                                    s_in[b], rows * ym->row);
        }
        t.ex[0].opcode = BPU_OP_COPY;
        bpu_copy_op *o = &t.ex[0].u.copy;
        o->src = s_in[b], o->dst = s_out[b];
        o->x_bytes = rows * ym->row, o->y_rows = 1, o->z_planes = 1;
        t.st = dma_flat(BPU_OP_STORE, loc_seg(c, y), loc_off(c, y) + oy0 * ym->row, s_out[b],
                        rows * ym->row);
        st = emit_tile(c, &t, i, nt, 0);
    }
    return st == HBG_OK ? emit_sync(c) : st;
}

/* ---- the table --------------------------------------------------------------------------- */

typedef hbg_status (*ck_lower_fn)(ck_ctx *c, int n);

static hbg_status lower_none(ck_ctx *c, int n)
{
    (void)c;
    (void)n;
    return HBG_OK;
}

static const ck_lower_fn lowerers[CK_KIND_COUNT] = {
    [CK_CONV] = lower_conv,         [CK_GEMM] = lower_conv,      [CK_EWISE] = lower_pointwise,
    [CK_RESCALE] = lower_pointwise, [CK_LUT] = lower_pointwise,  [CK_AVGPOOL] = lower_pool,
    [CK_GAP] = lower_pool,          [CK_MAXPOOL] = lower_pool,   [CK_CONCAT] = lower_move,
    [CK_RESIZE] = lower_resize,     [CK_TRANSPOSE] = lower_move, [CK_SLICE] = lower_move,
    [CK_COPY] = lower_move,         [CK_SPATIAL] = lower_none,   [CK_GATHER] = lower_gather,
};

hbg_status ck_lower(ck_ctx *c, int n)
{
    if (c->kind[n] < 0 || c->kind[n] >= CK_KIND_COUNT)
        return ck_fail(c, HBG_E_INVALID, "node '%s' is not a BPU node",
                       hbg_node_label(c->g, &c->g->nodes[n]));
    return lowerers[c->kind[n]](c, n);
}
