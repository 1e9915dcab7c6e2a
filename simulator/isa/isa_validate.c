/* Per-instruction validation: field ranges, shape consistency, SRAM bounds, alignment, overlaps and
 * token bits. Every rule here is listed in docs/bpu-isa.md; the first violation is reported with
 * the instruction index, mnemonic and field name. Program-level rules (END last, token balance,
 * deadlock) live in simulator/sim/program.c. */
#include <stdarg.h>
#include <stdio.h>

#include "bpu/numerics.h"
#include "isa_internal.h"

typedef struct vctx {
    const bpu_insn *in;
    int64_t index;
    const bpu_march *m;
    bpu_error *err;
    uint64_t sram_end; /* highest SRAM range end checked so far */
} vctx;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bpu_status
bad(const vctx *v, const char *field, const char *fmt, ...)
{
    if (v->err) {
        char detail[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        v->err->insn = v->index;
        snprintf(v->err->msg, sizeof(v->err->msg), "insn %lld (%s): field %s: %s",
                 (long long)v->index, bpu_op_name(v->in->opcode), field, detail);
    }
    return BPU_E_INVALID;
}

/* A byte range [addr, addr + bytes) of SRAM. */
typedef struct range {
    uint64_t lo, hi;
} range;

static int overlaps(range a, range b)
{
    return a.lo < b.hi && b.lo < a.hi;
}

static bpu_status check_sram(vctx *v, const char *field, uint64_t addr, uint64_t bytes,
                             uint32_t align, range *out)
{
    if (align > 1 && addr % align != 0)
        return bad(v, field, "SRAM address 0x%llx not aligned to %u bytes",
                   (unsigned long long)addr, align);
    if (addr + bytes > v->m->sram_bytes)
        return bad(v, field, "SRAM range 0x%llx+%llu exceeds SRAM size %u",
                   (unsigned long long)addr, (unsigned long long)bytes, v->m->sram_bytes);
    v->sram_end = addr + bytes > v->sram_end ? addr + bytes : v->sram_end;
    if (out) {
        out->lo = addr;
        out->hi = addr + bytes;
    }
    return BPU_OK;
}

/* A feature map h x w x c of elem-byte elements, pixel stride px, row stride row. Strides of 0 are
 * allowed only for broadcast inputs (bcast != 0); otherwise pixels and rows must not overlap. */
static bpu_status check_fmap(vctx *v, const char *field, uint32_t addr, uint32_t h, uint32_t w,
                             uint32_t c, uint32_t elem, uint32_t px, uint32_t row, int bcast,
                             range *out)
{
    uint64_t pix = (uint64_t)c * elem;
    if (!(bcast && px == 0) && w > 1 && px < pix)
        return bad(v, field, "pixel stride %u < %llu bytes per pixel", px, (unsigned long long)pix);
    uint64_t row_min = (uint64_t)(w - 1) * px + pix;
    if (!(bcast && row == 0) && h > 1 && row < row_min)
        return bad(v, field, "row stride %u < %llu bytes per row", row,
                   (unsigned long long)row_min);
    if (elem == 4 && (px % 4 != 0 || row % 4 != 0))
        return bad(v, field, "int32 tensor strides (%u, %u) not multiples of 4", px, row);
    uint64_t extent = (uint64_t)(h - 1) * row + row_min;
    return check_sram(v, field, addr, extent, BPU_SRAM_ALIGN, out);
}

static bpu_status check_nonzero(vctx *v, const char *field, uint32_t value)
{
    return value == 0 ? bad(v, field, "must be >= 1") : BPU_OK;
}

/* Output size of a window op: (in + pads - ((k - 1) * d + 1)) / s + 1. */
static bpu_status check_out_dim(vctx *v, const char *field, uint32_t out, uint32_t in,
                                uint32_t pads, uint32_t k, uint32_t d, uint32_t s)
{
    uint32_t span = (k - 1) * d + 1;
    if (in + pads < span)
        return bad(v, field, "kernel extent %u exceeds padded input %u", span, in + pads);
    uint32_t want = (in + pads - span) / s + 1;
    if (out != want)
        return bad(v, field, "is %u, the shape fields give %u", out, want);
    return BPU_OK;
}

static bpu_status check_clamp(vctx *v, int8_t lo, int8_t hi)
{
    return lo > hi ? bad(v, "lo", "lo %d > hi %d", lo, hi) : BPU_OK;
}

static bpu_status check_disjoint(vctx *v, const char *field, range dst, range src,
                                 const char *src_name)
{
    if (overlaps(dst, src))
        return bad(v, field, "overlaps %s", src_name);
    return BPU_OK;
}

static bpu_status validate_dma(vctx *v)
{
    const bpu_dma_op *d = &v->in->u.dma;
    int load = v->in->opcode == BPU_OP_LOAD;
    bpu_status st = BPU_OK;
    if (d->seg >= BPU_SEGMENTS)
        return bad(v, "seg", "segment %u >= %u", d->seg, BPU_SEGMENTS);
    if ((st = check_nonzero(v, "x_bytes", d->x_bytes)) ||
        (st = check_nonzero(v, "y_rows", d->y_rows)) ||
        (st = check_nonzero(v, "z_planes", d->z_planes)))
        return st;
    if (!load) {
        const char *f = d->fill         ? "fill"
                        : d->pad_top    ? "pad_top"
                        : d->pad_bottom ? "pad_bottom"
                        : d->pad_left   ? "pad_left"
                        : d->pad_right  ? "pad_right"
                                        : NULL;
        if (f)
            return bad(v, f, "STORE has no border fill: must be 0");
    }
    uint64_t width = (uint64_t)d->pad_left + d->x_bytes + d->pad_right;
    uint64_t rows = (uint64_t)d->pad_top + d->y_rows + d->pad_bottom;
    if (rows > 1 && d->sram_stride_y < width)
        return bad(v, "sram_stride_y", "%u < row width %llu", d->sram_stride_y,
                   (unsigned long long)width);
    uint64_t plane = (rows - 1) * d->sram_stride_y + width;
    if (d->z_planes > 1 && d->sram_stride_z < plane)
        return bad(v, "sram_stride_z", "%u < plane extent %llu", d->sram_stride_z,
                   (unsigned long long)plane);
    if ((st = check_sram(v, "sram", d->sram, (uint64_t)(d->z_planes - 1) * d->sram_stride_z + plane,
                         1, NULL)))
        return st;
    uint64_t ddr_end = d->ddr_off + (uint64_t)(d->z_planes - 1) * d->ddr_stride_z +
                       (uint64_t)(d->y_rows - 1) * d->ddr_stride_y + d->x_bytes;
    if (ddr_end > UINT32_MAX)
        return bad(v, "ddr_off", "DDR range ends at %llu, beyond the 32-bit segment offset space",
                   (unsigned long long)ddr_end);
    return BPU_OK;
}

static uint64_t conv_wgt_bytes(const bpu_conv_op *c, int depthwise)
{
    uint64_t taps = (uint64_t)c->kh * c->kw;
    if (depthwise)
        return taps * c->c;
    uint64_t kp = ((uint64_t)c->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    return taps * ((c->c + 3u) / 4u) * kp * 4u;
}

static bpu_status validate_conv(vctx *v)
{
    const bpu_conv_op *c = &v->in->u.conv;
    uint32_t fl = v->in->flags;
    int dwise = (fl & BPU_CONV_DEPTHWISE) != 0;
    int acc_in = (fl & BPU_CONV_ACC_IN) != 0;
    int acc_out = (fl & BPU_CONV_ACC_OUT) != 0;
    bpu_status st = BPU_OK;
    static const char *const names[] = {"h",  "w",  "c",  "k",  "ho", "wo",
                                        "kh", "kw", "sh", "sw", "dh", "dw"};
    const uint32_t vals[] = {c->h,  c->w,  c->c,  c->k,  c->ho, c->wo,
                             c->kh, c->kw, c->sh, c->sw, c->dh, c->dw};
    for (uint32_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        if ((st = check_nonzero(v, names[i], vals[i])))
            return st;
    if (c->c > BPU_MAX_CHANNEL || c->k > BPU_MAX_CHANNEL)
        return bad(v, c->c > BPU_MAX_CHANNEL ? "c" : "k", "channel count above %u",
                   BPU_MAX_CHANNEL);
    if (dwise && c->k != c->c)
        return bad(v, "k", "depthwise needs k == c (%u != %u)", c->k, c->c);
    if (!dwise && (uint64_t)c->kh * c->kw * c->c > BPU_MAX_TAPS)
        return bad(v, "c", "kh*kw*c = %llu above %u", (unsigned long long)c->kh * c->kw * c->c,
                   BPU_MAX_TAPS);
    if ((st = check_out_dim(v, "ho", c->ho, c->h, c->pad_top + c->pad_bottom, c->kh, c->dh,
                            c->sh)) ||
        (st = check_out_dim(v, "wo", c->wo, c->w, c->pad_left + c->pad_right, c->kw, c->dw, c->sw)))
        return st;
    /* pad (header byte 3) is any i8: nothing to check */
    if (acc_out && (c->lo != 0 || c->hi != 0))
        return bad(v, c->lo ? "lo" : "hi", "unused with ACC_OUT: must be 0");
    if (!acc_out && (st = check_clamp(v, c->lo, c->hi)))
        return st;
    range src = {0, 0}, dst = {0, 0}, wgt = {0, 0}, param = {0, 0}, acc = {0, 0};
    if ((st = check_fmap(v, "src", c->src, c->h, c->w, c->c, 1, c->src_px, c->src_row, 0, &src)) ||
        (st = check_fmap(v, "dst", c->dst, c->ho, c->wo, c->k, acc_out ? 4 : 1, c->dst_px,
                         c->dst_row, 0, &dst)) ||
        (st = check_sram(v, "wgt", c->wgt, conv_wgt_bytes(c, dwise), BPU_SRAM_ALIGN, &wgt)))
        return st;
    if (acc_in && acc_out) {
        if (c->param != 0)
            return bad(v, "param", "unused with ACC_IN|ACC_OUT: must be 0");
    } else if ((st = check_sram(v, "param", c->param, (uint64_t)c->k * BPU_PARAM_BYTES,
                                BPU_SRAM_ALIGN, &param))) {
        return st;
    }
    if (acc_in) {
        if ((st = check_sram(v, "acc", c->acc, (uint64_t)c->ho * c->wo * c->k * 4u, BPU_SRAM_ALIGN,
                             &acc)))
            return st;
    } else if (c->acc != 0) {
        return bad(v, "acc", "unused without ACC_IN: must be 0");
    }
    if ((st = check_disjoint(v, "dst", dst, src, "src")) ||
        (st = check_disjoint(v, "dst", dst, wgt, "wgt")) ||
        (st = check_disjoint(v, "dst", dst, param, "param")))
        return st;
    /* ACC_IN|ACC_OUT may accumulate in place: dst == acc with the dense layout */
    int in_place = acc_out && c->dst == c->acc && c->dst_px == 4u * c->k &&
                   (c->ho == 1 || c->dst_row == 4u * c->k * c->wo);
    if (acc_in && !in_place && (st = check_disjoint(v, "dst", dst, acc, "acc")))
        return st;
    return BPU_OK;
}

static bpu_status validate_ewise(vctx *v)
{
    const bpu_ewise_op *e = &v->in->u.ewise;
    uint32_t op = v->in->flags & BPU_EWISE_OP_MASK;
    int scalar = (v->in->flags & BPU_EWISE_SCALAR2) != 0;
    bpu_status st = BPU_OK;
    if ((st = check_nonzero(v, "h", e->h)) || (st = check_nonzero(v, "w", e->w)) ||
        (st = check_nonzero(v, "c", e->c)) || (st = check_clamp(v, e->lo, e->hi)))
        return st;
    if (op >= BPU_EW_COUNT)
        return bad(v, "flags", "element-wise op %u unknown", op);
    if (op == BPU_EW_ADD || op == BPU_EW_SUB) {
        if (e->m1 >= BPU_M_LIMIT || e->m2 >= BPU_M_LIMIT)
            return bad(v, e->m1 >= BPU_M_LIMIT ? "m1" : "m2", "must be < 2^31");
        uint32_t mx = e->m1 > e->m2 ? e->m1 : e->m2;
        if (mx < BPU_M_MIN)
            return bad(v, "m1", "max(m1, m2) = %u below 2^30", mx);
    } else if (op == BPU_EW_MUL) {
        if (e->m1 < BPU_M_MIN || e->m1 >= BPU_M_LIMIT)
            return bad(v, "m1", "0x%x outside [2^30, 2^31)", e->m1);
        if (e->m2 != 0)
            return bad(v, "m2", "unused by MUL: must be 0");
    } else if (e->m1 != 0 || e->m2 != 0 || e->r != 0) {
        return bad(v, e->m1 ? "m1" : e->m2 ? "m2" : "r", "unused by MAX/MIN: must be 0");
    }
    if (op <= BPU_EW_MUL && (e->r < BPU_SHIFT_MIN || e->r > BPU_SHIFT_MAX))
        return bad(v, "r", "%u outside [1, 62]", e->r);
    range s1 = {0, 0}, s2 = {0, 0}, d = {0, 0};
    if ((st = check_fmap(v, "src1", e->src1, e->h, e->w, e->c, 1, e->src1_px, e->src1_row, 0,
                         &s1)) ||
        (st = check_fmap(v, "dst", e->dst, e->h, e->w, e->c, 1, e->dst_px, e->dst_row, 0, &d)))
        return st;
    if (scalar) {
        if (e->src2_px != 0 || e->src2_row != 0)
            return bad(v, e->src2_px ? "src2_px" : "src2_row", "must be 0 with SCALAR2");
        st = check_sram(v, "src2", e->src2, 1, BPU_SRAM_ALIGN, &s2);
    } else {
        st = check_fmap(v, "src2", e->src2, e->h, e->w, e->c, 1, e->src2_px, e->src2_row, 1, &s2);
    }
    if (st)
        return st;
    /* in place is allowed when the layouts are identical; partial overlap is not */
    int same1 = e->dst == e->src1 && e->dst_px == e->src1_px && e->dst_row == e->src1_row;
    int same2 =
        !scalar && e->dst == e->src2 && e->dst_px == e->src2_px && e->dst_row == e->src2_row;
    if ((!same1 && (st = check_disjoint(v, "dst", d, s1, "src1"))) ||
        (!same2 && (st = check_disjoint(v, "dst", d, s2, "src2"))))
        return st;
    return BPU_OK;
}

static bpu_status validate_pool(vctx *v)
{
    const bpu_pool_op *p = &v->in->u.pool;
    int avg = (v->in->flags & BPU_POOL_AVG) != 0;
    bpu_status st = BPU_OK;
    static const char *const names[] = {"h", "w", "c", "ho", "wo", "kh", "kw", "sh", "sw"};
    const uint32_t vals[] = {p->h, p->w, p->c, p->ho, p->wo, p->kh, p->kw, p->sh, p->sw};
    for (uint32_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
        if ((st = check_nonzero(v, names[i], vals[i])))
            return st;
    if (p->pad_top >= p->kh || p->pad_bottom >= p->kh)
        return bad(v, p->pad_top >= p->kh ? "pad_top" : "pad_bottom", "must be < kh (%u)", p->kh);
    if (p->pad_left >= p->kw || p->pad_right >= p->kw)
        return bad(v, p->pad_left >= p->kw ? "pad_left" : "pad_right", "must be < kw (%u)", p->kw);
    if ((st = check_out_dim(v, "ho", p->ho, p->h, p->pad_top + p->pad_bottom, p->kh, 1, p->sh)) ||
        (st = check_out_dim(v, "wo", p->wo, p->w, p->pad_left + p->pad_right, p->kw, 1, p->sw)) ||
        (st = check_clamp(v, p->lo, p->hi)))
        return st;
    if (!avg && (v->in->flags & BPU_POOL_COUNT_PAD))
        return bad(v, "flags", "COUNT_PAD needs AVG");
    if (!avg && p->param != 0)
        return bad(v, "param", "unused by MAX: must be 0");
    range s = {0, 0}, d = {0, 0};
    if ((st = check_fmap(v, "src", p->src, p->h, p->w, p->c, 1, p->src_px, p->src_row, 0, &s)) ||
        (st = check_fmap(v, "dst", p->dst, p->ho, p->wo, p->c, 1, p->dst_px, p->dst_row, 0, &d)))
        return st;
    if (avg) {
        range t = {0, 0};
        if ((st = check_sram(v, "param", p->param, (uint64_t)p->kh * p->kw * BPU_RQ_BYTES,
                             BPU_SRAM_ALIGN, &t)) ||
            (st = check_disjoint(v, "dst", d, t, "param")))
            return st;
    }
    return check_disjoint(v, "dst", d, s, "src");
}

static bpu_status validate_resize(vctx *v)
{
    const bpu_resize_op *r = &v->in->u.resize;
    bpu_status st = BPU_OK;
    static const char *const names[] = {"h", "w", "c", "ho", "wo"};
    const uint32_t vals[] = {r->h, r->w, r->c, r->ho, r->wo};
    for (uint32_t i = 0; i < 5; i++)
        if ((st = check_nonzero(v, names[i], vals[i])))
            return st;
    range s = {0, 0}, d = {0, 0};
    if ((st = check_fmap(v, "src", r->src, r->h, r->w, r->c, 1, r->src_px, r->src_row, 0, &s)) ||
        (st = check_fmap(v, "dst", r->dst, r->ho, r->wo, r->c, 1, r->dst_px, r->dst_row, 0, &d)))
        return st;
    return check_disjoint(v, "dst", d, s, "src");
}

static bpu_status validate_lut(vctx *v)
{
    const bpu_lut_op *l = &v->in->u.lut;
    bpu_status st = BPU_OK;
    if ((st = check_nonzero(v, "h", l->h)) || (st = check_nonzero(v, "w", l->w)) ||
        (st = check_nonzero(v, "c", l->c)))
        return st;
    range s = {0, 0}, d = {0, 0}, t = {0, 0};
    if ((st = check_fmap(v, "src", l->src, l->h, l->w, l->c, 1, l->src_px, l->src_row, 0, &s)) ||
        (st = check_fmap(v, "dst", l->dst, l->h, l->w, l->c, 1, l->dst_px, l->dst_row, 0, &d)) ||
        (st = check_sram(v, "table", l->table, 256, BPU_SRAM_ALIGN, &t)) ||
        (st = check_disjoint(v, "dst", d, t, "table")))
        return st;
    int same = l->dst == l->src && l->dst_px == l->src_px && l->dst_row == l->src_row;
    return same ? BPU_OK : check_disjoint(v, "dst", d, s, "src");
}

static bpu_status validate_requant(vctx *v)
{
    const bpu_requant_op *q = &v->in->u.requant;
    int s32 = (v->in->flags & BPU_RQ_SRC_S32) != 0;
    int perch = (v->in->flags & BPU_RQ_PER_CHANNEL) != 0;
    bpu_status st = BPU_OK;
    if ((st = check_nonzero(v, "h", q->h)) || (st = check_nonzero(v, "w", q->w)) ||
        (st = check_nonzero(v, "c", q->c)) || (st = check_clamp(v, q->lo, q->hi)))
        return st;
    range s = {0, 0}, d = {0, 0}, p = {0, 0};
    if ((st = check_fmap(v, "src", q->src, q->h, q->w, q->c, s32 ? 4 : 1, q->src_px, q->src_row, 0,
                         &s)) ||
        (st = check_fmap(v, "dst", q->dst, q->h, q->w, q->c, 1, q->dst_px, q->dst_row, 0, &d)) ||
        (st = check_sram(v, "param", q->param, (uint64_t)(perch ? q->c : 1u) * BPU_RQ_BYTES,
                         BPU_SRAM_ALIGN, &p)) ||
        (st = check_disjoint(v, "dst", d, p, "param")))
        return st;
    int same = !s32 && q->dst == q->src && q->dst_px == q->src_px && q->dst_row == q->src_row;
    return same ? BPU_OK : check_disjoint(v, "dst", d, s, "src");
}

/* COPY and FILL: z planes of y rows of x bytes. */
static bpu_status check_block(vctx *v, const char *field, uint32_t addr, const bpu_copy_op *c,
                              uint32_t sy, uint32_t sz, int dst, range *out)
{
    uint64_t plane = (uint64_t)(c->y_rows - 1) * sy + c->x_bytes;
    if (dst && c->y_rows > 1 && sy < c->x_bytes)
        return bad(v, field, "row stride %u < x_bytes %u", sy, c->x_bytes);
    if (dst && c->z_planes > 1 && sz < plane)
        return bad(v, field, "plane stride %u < plane extent %llu", sz, (unsigned long long)plane);
    return check_sram(v, field, addr, (uint64_t)(c->z_planes - 1) * sz + plane, 1, out);
}

static bpu_status validate_copy(vctx *v)
{
    const bpu_copy_op *c = &v->in->u.copy;
    bpu_status st = BPU_OK;
    if ((st = check_nonzero(v, "x_bytes", c->x_bytes)) ||
        (st = check_nonzero(v, "y_rows", c->y_rows)) ||
        (st = check_nonzero(v, "z_planes", c->z_planes)))
        return st;
    range d = {0, 0}, s = {0, 0};
    if ((st = check_block(v, "dst", c->dst, c, c->dst_stride_y, c->dst_stride_z, 1, &d)))
        return st;
    if (v->in->opcode == BPU_OP_FILL)
        return BPU_OK;
    if ((st = check_block(v, "src", c->src, c, c->src_stride_y, c->src_stride_z, 0, &s)))
        return st;
    return check_disjoint(v, "dst", d, s, "src");
}

static bpu_status validate_cvtimg(vctx *v)
{
    const bpu_cvtimg_op *c = &v->in->u.cvtimg;
    int yuv444 = (v->in->flags & BPU_CVT_YUV444) != 0;
    bpu_status st = BPU_OK;
    if ((st = check_nonzero(v, "h", c->h)) || (st = check_nonzero(v, "w", c->w)) ||
        (st = check_clamp(v, c->lo, c->hi)))
        return st;
    range y = {0, 0}, uv = {0, 0}, d = {0, 0}, p = {0, 0};
    if (yuv444) {
        if (c->src_uv != 0 || c->uv_row != 0)
            return bad(v, c->src_uv ? "src_uv" : "uv_row", "unused by YUV444: must be 0");
        st = check_fmap(v, "src_y", c->src_y, c->h, c->w, 3, 1, 3, c->y_row, 0, &y);
    } else {
        if (c->h % 2 != 0 || c->w % 2 != 0)
            return bad(v, c->h % 2 ? "h" : "w", "NV12 needs even dimensions (%u x %u)", c->h, c->w);
        if ((st = check_fmap(v, "src_y", c->src_y, c->h, c->w, 1, 1, 1, c->y_row, 0, &y)))
            return st;
        st = check_fmap(v, "src_uv", c->src_uv, c->h / 2u, c->w / 2u, 2, 1, 2, c->uv_row, 0, &uv);
    }
    if (st)
        return st;
    if ((st = check_fmap(v, "dst", c->dst, c->h, c->w, 3, 1, c->dst_px, c->dst_row, 0, &d)) ||
        (st = check_sram(v, "param", c->param, 3u * BPU_CVT_BYTES, BPU_SRAM_ALIGN, &p)) ||
        (st = check_disjoint(v, "dst", d, y, "src_y")) ||
        (st = check_disjoint(v, "dst", d, uv, "src_uv")) ||
        (st = check_disjoint(v, "dst", d, p, "param")))
        return st;
    return BPU_OK;
}

static bpu_status validate_setbase(vctx *v)
{
    const bpu_setbase_op *s = &v->in->u.setbase;
    if (s->seg >= BPU_SEGMENTS || s->src_seg >= BPU_SEGMENTS)
        return bad(v, s->seg >= BPU_SEGMENTS ? "seg" : "src_seg", "segment >= %u", BPU_SEGMENTS);
    if (s->size == 0)
        return bad(v, "size", "must be >= 1");
    return BPU_OK;
}

static bpu_status validate_none(vctx *v)
{
    (void)v;
    return BPU_OK;
}

typedef bpu_status (*validate_fn)(vctx *v);

static const validate_fn validators[BPU_OP_COUNT] = {
    [BPU_OP_INVALID] = NULL,
    [BPU_OP_LOAD] = validate_dma,
    [BPU_OP_STORE] = validate_dma,
    [BPU_OP_CONV] = validate_conv,
    [BPU_OP_EWISE] = validate_ewise,
    [BPU_OP_POOL] = validate_pool,
    [BPU_OP_RESIZE] = validate_resize,
    [BPU_OP_LUT] = validate_lut,
    [BPU_OP_REQUANT] = validate_requant,
    [BPU_OP_COPY] = validate_copy,
    [BPU_OP_FILL] = validate_copy,
    [BPU_OP_CVTIMG] = validate_cvtimg,
    [BPU_OP_SETBASE] = validate_setbase,
    [BPU_OP_SYNC] = validate_none,
    [BPU_OP_END] = validate_none,
};
_Static_assert(BPU_OP_COUNT == 15, "update validators");

bpu_status bpu_validate_insn(const bpu_insn *in, int64_t index, const bpu_march *m, bpu_error *err)
{
    uint64_t sram_end = 0;
    return bpu_validate_insn_sram(in, index, m, &sram_end, err);
}

bpu_status bpu_validate_insn_sram(const bpu_insn *in, int64_t index, const bpu_march *m,
                                  uint64_t *sram_end, bpu_error *err)
{
    vctx v = {in, index, m, err, 0};
    bpu_status st = BPU_OK;
    if (in->opcode == BPU_OP_INVALID || in->opcode >= BPU_OP_COUNT) {
        if (err) {
            err->insn = index;
            snprintf(err->msg, sizeof(err->msg), "insn %lld: field opcode: unknown opcode %u",
                     (long long)index, in->opcode);
        }
        return BPU_E_INVALID;
    }
    const bpu_op_info *op = &bpu_op_table[in->opcode];
    if (in->flags & ~op->flag_mask)
        return bad(&v, "flags", "bits 0x%02x undefined for this opcode",
                   (unsigned)(in->flags & ~op->flag_mask));
    uint32_t allowed = 0;
    switch (op->queue) {
    case BPU_Q_LOAD:
        allowed = BPU_DEP_POP_NEXT | BPU_DEP_PUSH_NEXT;
        break;
    case BPU_Q_EXEC:
        allowed = 0x0Fu;
        break;
    case BPU_Q_STORE:
        allowed = BPU_DEP_POP_PREV | BPU_DEP_PUSH_PREV;
        break;
    default:
        allowed = 0;
        break;
    }
    if (in->dep & ~allowed)
        return bad(&v, "dep", "token bits 0x%02x not allowed on the %s queue",
                   (unsigned)(in->dep & ~allowed),
                   op->queue == BPU_Q_LOAD    ? "LOAD"
                   : op->queue == BPU_Q_STORE ? "STORE"
                   : op->queue == BPU_Q_EXEC  ? "EXEC"
                                              : "barrier");
    st = validators[in->opcode](&v);
    *sram_end = v.sram_end;
    return st;
}
