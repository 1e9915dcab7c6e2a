/* The functional executor: SRAM and DDR segment model, one host kernel call per compute
 * instruction, run-time faults reported with the instruction index. SRAM addresses were proven in
 * bounds at load (they are static); DDR segments and the parameter records stored in SRAM are only
 * known at run time and are checked here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels_ref.h"
#include "sim_internal.h"

#include "bpu/numerics.h"

/* SIMD kernels may read a few bytes past a tensor: SRAM keeps this much readable slack. */
#define SRAM_SLACK 64
/* Target size (int32 elements) of one CONV band of output rows in the accumulator scratch. */
#define BAND_ELEMS (64u * 1024u)
/* CONV with a nonzero pad value: target size (bytes) of the padded input copy of one band of output
 * rows (cache-sized, so the kernel reads the copy while it is still hot), and the readable slack
 * kept after it (kernels read up to 3 bytes past the last channel of a pixel, bpu/kernels.h). */
#define PAD_BAND_BYTES (256u * 1024u)
#define PAD_SLACK      64u

typedef struct segment {
    uint8_t *base;
    size_t size;
} segment;

struct bpu_sim {
    bpu_march_id march;
    const bpu_march *m;
    const bpu_kernels *k;
    uint8_t *sram; /* sram_bytes + SRAM_SLACK, 64-byte aligned */
    int32_t *acc;  /* CONV accumulator band: max(sram_bytes, 64 Ki) elements (>= one output row) */
    int32_t *bias; /* per-channel parameters of the current instruction */
    int32_t *mult;
    int32_t *shift;
    int8_t *pad_buf; /* padded CONV input copies (bpu_conv_pad_scratch), 64-byte aligned */
    size_t pad_cap;  /* bytes of pad_buf */
    segment seg[BPU_SEGMENTS];
    bpu_sched_ws ws;
    bpu_trace_fn trace;
    void *trace_user;
    bpu_host_profile *prof; /* NULL: no host timing */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static bpu_status
fault(bpu_error *err, int64_t index, const bpu_insn *in, const char *field, const char *fmt, ...)
{
    if (err) {
        char detail[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        err->insn = index;
        snprintf(err->msg, sizeof(err->msg), "insn %lld (%s): field %s: fault: %s",
                 (long long)index, bpu_op_name(in->opcode), field, detail);
    }
    return BPU_E_FAULT;
}

static int32_t rd32(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return bpu_u32_to_s32(v);
}

/* Read n {M i32, r u8, 0 0 0} records of record_bytes (M at +m_off) into mult/shift, checking
 * ranges. */
static bpu_status read_mult(const bpu_sim *s, const bpu_insn *in, int64_t index, uint32_t addr,
                            uint32_t n, uint32_t record_bytes, uint32_t m_off, int32_t *mult,
                            int32_t *shift, bpu_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *rec = s->sram + addr + (size_t)i * record_bytes;
        int32_t mv = rd32(rec + m_off);
        int32_t rv = rec[m_off + 4];
        if (!bpu_multiplier_ok(mv, rv) || rec[m_off + 5] || rec[m_off + 6] || rec[m_off + 7])
            return fault(err, index, in, "param",
                         "record %u at 0x%x: M=0x%x r=%d outside M in [2^30, 2^31), r in "
                         "[1, 62] (or nonzero padding)",
                         i, addr + i * record_bytes, (uint32_t)mv, rv);
        mult[i] = mv;
        shift[i] = rv;
    }
    return BPU_OK;
}

static bpu_status ddr_range(const bpu_sim *s, const bpu_insn *in, int64_t index, uint8_t **base,
                            bpu_error *err)
{
    const bpu_dma_op *d = &in->u.dma;
    const segment *g = &s->seg[d->seg];
    uint64_t end = d->ddr_off + (uint64_t)(d->z_planes - 1) * d->ddr_stride_z +
                   (uint64_t)(d->y_rows - 1) * d->ddr_stride_y + d->x_bytes;
    if (!g->base)
        return fault(err, index, in, "seg", "segment %u is not bound", d->seg);
    if (end > g->size)
        return fault(err, index, in, "ddr_off",
                     "DDR range [0x%x, 0x%llx) outside segment %u of %zu bytes", d->ddr_off,
                     (unsigned long long)end, d->seg, g->size);
    *base = g->base;
    return BPU_OK;
}

static bpu_status exec_dma(bpu_sim *s, const bpu_insn *in, int64_t index, bpu_error *err)
{
    const bpu_dma_op *d = &in->u.dma;
    uint8_t *ddr = NULL;
    bpu_status st = ddr_range(s, in, index, &ddr, err);
    if (st)
        return st;
    int load = in->opcode == BPU_OP_LOAD;
    size_t width = (size_t)d->pad_left + d->x_bytes + d->pad_right;
    uint32_t rows = (uint32_t)d->pad_top + d->y_rows + d->pad_bottom;
    for (uint32_t z = 0; z < d->z_planes; z++) {
        uint8_t *plane = s->sram + d->sram + (size_t)z * d->sram_stride_z;
        const uint8_t *dz = ddr + d->ddr_off + (size_t)z * d->ddr_stride_z;
        for (uint32_t y = 0; y < rows; y++) {
            uint8_t *row = plane + (size_t)y * d->sram_stride_y;
            if (y < d->pad_top || y >= d->pad_top + (uint32_t)d->y_rows) {
                memset(row, (uint8_t)d->fill, width);
                continue;
            }
            uint8_t *dr = (uint8_t *)dz + (size_t)(y - d->pad_top) * d->ddr_stride_y;
            if (load) {
                memset(row, (uint8_t)d->fill, d->pad_left);
                memcpy(row + d->pad_left, dr, d->x_bytes);
                memset(row + d->pad_left + d->x_bytes, (uint8_t)d->fill, d->pad_right);
            } else {
                memcpy(dr, row, d->x_bytes);
            }
        }
    }
    return BPU_OK;
}

/* NORMAL weights: every padding entry (output channel >= k, or input channel >= c in the last group
 * of 4) must be zero, so SIMD kernels may multiply them with whatever lies past a pixel. Only the
 * padding bytes are read. */
static bpu_status check_wgt_padding(const bpu_sim *s, const bpu_insn *in, int64_t index,
                                    bpu_error *err)
{
    const bpu_conv_op *c = &in->u.conv;
    size_t c4 = (c->c + 3u) / 4u;
    size_t k16 = ((size_t)c->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    size_t cfull = c->c % 4u; /* valid bytes in the last group (0: all four) */
    const uint8_t *w = s->sram + c->wgt;
    for (size_t t = 0; t < (size_t)c->kh * c->kw; t++) {
        for (size_t g = 0; g < c4; g++) {
            int last = g + 1 == c4 && cfull != 0;
            size_t k0 = last ? 0 : c->k; /* the last group checks every k, others only k >= c->k */
            for (size_t k = k0; k < k16; k++) {
                const uint8_t *e = w + ((t * c4 + g) * k16 + k) * 4u;
                for (size_t j = (k < c->k) ? cfull : 0; j < 4; j++) {
                    if (e[j] != 0)
                        return fault(err, index, in, "wgt",
                                     "padding byte at 0x%zx (tap %zu, k %zu, c %zu) is nonzero",
                                     (size_t)c->wgt + (size_t)(e + j - w), t, k, g * 4u + j);
                }
            }
        }
    }
    return BPU_OK;
}

/* Input columns a CONV reads, padding included: from -pad_left to (wo-1)*sw - pad_left + span - 1
 * (at most w + pad_left + pad_right; fewer when a stride leaves the last ones unread). */
static size_t conv_read_cols(const bpu_conv_op *c)
{
    return (size_t)(c->wo - 1u) * c->sw + (size_t)(c->kw - 1u) * c->dw + 1u;
}

/* Input rows read by a band of n output rows. */
static size_t conv_read_rows(const bpu_conv_op *c, uint32_t n)
{
    return (size_t)(n - 1u) * c->sh + (size_t)(c->kh - 1u) * c->dh + 1u;
}

size_t bpu_conv_pad_scratch(const bpu_insn *in, uint32_t *band_rows)
{
    const bpu_conv_op *c = &in->u.conv;
    if (band_rows)
        *band_rows = 0;
    if (in->opcode != BPU_OP_CONV || c->pad == 0 ||
        (c->pad_top | c->pad_bottom | c->pad_left | c->pad_right) == 0)
        return 0;
    size_t row_bytes = conv_read_cols(c) * c->c;
    /* as many output rows as keep the copy within PAD_BAND_BYTES, at least one */
    size_t fit = PAD_BAND_BYTES / row_bytes, span = conv_read_rows(c, 1);
    size_t band = fit >= span ? (fit - span) / c->sh + 1u : 1u;
    band = band < c->ho ? band : c->ho;
    if (band_rows)
        *band_rows = (uint32_t)band;
    return conv_read_rows(c, (uint32_t)band) * row_bytes + PAD_SLACK;
}

/* The padded input of output rows [oy0, oy1) as a dense NHWC copy in s->pad_buf: every position
 * the band reads, border bytes = pad, the rest copied from SRAM with the instruction's strides.
 * g becomes the copy's geometry (no padding; output rows [0, oy1 - oy0) of it). */
static void conv_pad_copy(bpu_sim *s, const bpu_conv_op *c, uint32_t oy0, uint32_t oy1,
                          bpu_conv_geom *g)
{
    const size_t cols = conv_read_cols(c), rows = conv_read_rows(c, oy1 - oy0), ch = c->c;
    const size_t row_bytes = cols * ch;
    /* columns [0, left) and [left + mid, cols) of the copy are padding, mid are input columns */
    const size_t left = c->pad_left < cols ? c->pad_left : cols;
    const size_t mid = cols - left < c->w ? cols - left : c->w;
    const int64_t iy0 = (int64_t)oy0 * c->sh - c->pad_top;
    const uint8_t pad = (uint8_t)c->pad;
    for (size_t r = 0; r < rows; r++) {
        uint8_t *d = (uint8_t *)s->pad_buf + r * row_bytes;
        int64_t iy = iy0 + (int64_t)r;
        if (iy < 0 || iy >= c->h) {
            memset(d, pad, row_bytes);
            continue;
        }
        const uint8_t *x = s->sram + c->src + (size_t)iy * c->src_row;
        memset(d, pad, left * ch);
        if (c->src_px == ch) {
            memcpy(d + left * ch, x, mid * ch);
        } else {
            for (size_t i = 0; i < mid; i++)
                memcpy(d + (left + i) * ch, x + i * c->src_px, ch);
        }
        memset(d + (left + mid) * ch, pad, (cols - left - mid) * ch);
    }
    g->h = (int32_t)rows;
    g->w = (int32_t)cols;
    g->pad_top = g->pad_left = 0;
    g->ho = (int32_t)(oy1 - oy0);
    g->src_px = ch;
    g->src_row = row_bytes;
}

static bpu_status exec_conv(bpu_sim *s, const bpu_insn *in, int64_t index, bpu_error *err)
{
    const bpu_conv_op *c = &in->u.conv;
    int dwise = (in->flags & BPU_CONV_DEPTHWISE) != 0;
    int acc_in = (in->flags & BPU_CONV_ACC_IN) != 0;
    int acc_out = (in->flags & BPU_CONV_ACC_OUT) != 0;
    bpu_status st = BPU_OK;
    if (!dwise && (st = check_wgt_padding(s, in, index, err)))
        return st;
    for (uint32_t kk = 0; kk < c->k; kk++)
        s->bias[kk] = acc_in ? 0 : rd32(s->sram + c->param + (size_t)kk * BPU_PARAM_BYTES);
    if (!acc_out &&
        (st = read_mult(s, in, index, c->param, c->k, BPU_PARAM_BYTES, 4, s->mult, s->shift, err)))
        return st;
    bpu_conv_geom g = {c->h,  c->w,  c->c,      c->k,       c->kh,      c->kw,
                       c->sh, c->sw, c->dh,     c->dw,      c->pad_top, c->pad_left,
                       c->ho, c->wo, c->src_px, c->src_row, 0};
    bpu_conv_rq_fn fused = acc_in || acc_out ? NULL : dwise ? s->k->dwconv_rq : s->k->conv_rq;
    const int8_t *wgt = (const int8_t *)(s->sram + c->wgt);
    bpu_conv_fn fn = dwise ? s->k->dwconv : s->k->conv;
    size_t row_elems = (size_t)c->wo * c->k;
    /* fused: one call for the whole tile, no int32 band leaves the kernel; else bands that keep
     * the accumulators in cache. A nonzero pad value also bands the padded input copy. */
    uint32_t band = fused ? c->ho : (uint32_t)(BAND_ELEMS / row_elems);
    band = band == 0 ? 1 : band;
    /* a nonzero pad value: passed to kernels that honour it, else a padded copy per band */
    uint32_t pad_band = 0;
    int padded = bpu_conv_pad_scratch(in, &pad_band) != 0;
    if (padded && (s->k->native_pad & (dwise ? BPU_KPAD_DWCONV : BPU_KPAD_CONV))) {
        g.pad_value = c->pad;
        padded = 0;
    }
    band = padded && pad_band < band ? pad_band : band;
    for (uint32_t oy0 = 0; oy0 < c->ho; oy0 += band) {
        uint32_t oy1 = oy0 + band < c->ho ? oy0 + band : c->ho;
        bpu_conv_geom bg = g;
        const int8_t *src = (const int8_t *)(s->sram + c->src);
        int32_t r0 = (int32_t)oy0, r1 = (int32_t)oy1; /* output rows of the kernel's geometry */
        if (padded) {
            conv_pad_copy(s, c, oy0, oy1, &bg);
            src = s->pad_buf;
            r0 = 0;
            r1 = (int32_t)(oy1 - oy0);
        }
        uint64_t t0 = s->prof ? now_ns() : 0;
        if (fused) {
            bpu_conv_out o = {s->mult,
                              s->shift,
                              c->lo,
                              c->hi,
                              (int8_t *)(s->sram + c->dst + (size_t)oy0 * c->dst_row),
                              c->dst_px,
                              c->dst_row};
            fused(&bg, src, wgt, s->bias, r0, r1, &o, s->acc);
            if (s->prof)
                s->prof->conv_kernel_ns += now_ns() - t0;
            continue;
        }
        fn(&bg, src, wgt, s->bias, r0, r1, s->acc);
        uint64_t t1 = s->prof ? now_ns() : 0;
        for (uint32_t oy = oy0; oy < oy1; oy++) {
            int32_t *a = s->acc + (size_t)(oy - oy0) * row_elems;
            if (acc_in) {
                const int32_t *part =
                    (const int32_t *)(const void *)(s->sram + c->acc) + (size_t)oy * row_elems;
                for (size_t i = 0; i < row_elems; i++)
                    a[i] = bpu_u32_to_s32((uint32_t)a[i] + (uint32_t)part[i]);
            }
            uint8_t *drow = s->sram + c->dst + (size_t)oy * c->dst_row;
            if (acc_out) {
                for (uint32_t ox = 0; ox < c->wo; ox++)
                    memcpy(drow + (size_t)ox * c->dst_px, a + (size_t)ox * c->k, (size_t)c->k * 4u);
            } else {
                s->k->requant(a, c->wo, c->k, s->mult, s->shift, c->lo, c->hi, (int8_t *)drow,
                              c->dst_px);
            }
        }
        if (s->prof) {
            s->prof->conv_kernel_ns += t1 - t0;
            s->prof->conv_requant_ns += now_ns() - t1;
        }
    }
    return BPU_OK;
}

static bpu_status exec_cvtimg(bpu_sim *s, const bpu_insn *in, int64_t index, bpu_error *err)
{
    const bpu_cvtimg_op *c = &in->u.cvtimg;
    bpu_cvt_params p;
    for (uint32_t o = 0; o < 3; o++) {
        const uint8_t *rec = s->sram + c->param + (size_t)o * BPU_CVT_BYTES;
        for (uint32_t j = 0; j < 3; j++) {
            p.coef[o][j] = rd32(rec + 4u * j);
            if (p.coef[o][j] < -(1 << 20) || p.coef[o][j] > (1 << 20))
                return fault(err, index, in, "param", "channel %u coef[%u] = %d outside +-2^20", o,
                             j, p.coef[o][j]);
        }
        p.bias[o] = rd32(rec + 12);
        if (p.bias[o] < -(1 << 30) || p.bias[o] > (1 << 30))
            return fault(err, index, in, "param", "channel %u bias %d outside +-2^30", o,
                         p.bias[o]);
    }
    bpu_status st = read_mult(s, in, index, c->param, 3, BPU_CVT_BYTES, 16, p.mult, p.shift, err);
    if (st)
        return st;
    bpu_ref_cvtimg(c, in->flags, s->sram, &p);
    return BPU_OK;
}

static bpu_status exec_setbase(bpu_sim *s, const bpu_insn *in, int64_t index, bpu_error *err)
{
    const bpu_setbase_op *b = &in->u.setbase;
    const segment *src = &s->seg[b->src_seg];
    if (!src->base)
        return fault(err, index, in, "src_seg", "segment %u is not bound", b->src_seg);
    if ((uint64_t)b->offset + b->size > src->size)
        return fault(err, index, in, "size", "window [0x%x, +%u) outside segment %u of %zu bytes",
                     b->offset, b->size, b->src_seg, src->size);
    s->seg[b->seg] = (segment){src->base + b->offset, b->size};
    return BPU_OK;
}

static bpu_status exec_insn(bpu_sim *s, const bpu_insn *in, int64_t index, bpu_error *err)
{
    switch (in->opcode) {
    case BPU_OP_LOAD:
    case BPU_OP_STORE:
        return exec_dma(s, in, index, err);
    case BPU_OP_CONV:
        return exec_conv(s, in, index, err);
    case BPU_OP_EWISE:
        s->k->ewise(&in->u.ewise, in->flags, s->sram);
        return BPU_OK;
    case BPU_OP_POOL: {
        const bpu_pool_op *p = &in->u.pool;
        if (in->flags & BPU_POOL_AVG) {
            bpu_status st = read_mult(s, in, index, p->param, (uint32_t)p->kh * p->kw, BPU_RQ_BYTES,
                                      0, s->mult, s->shift, err);
            if (st)
                return st;
        }
        s->k->pool(p, in->flags, s->sram, s->mult, s->shift);
        return BPU_OK;
    }
    case BPU_OP_RESIZE:
        s->k->resize(&in->u.resize, in->flags, s->sram);
        return BPU_OK;
    case BPU_OP_LUT:
        s->k->lut(&in->u.lut, s->sram);
        return BPU_OK;
    case BPU_OP_REQUANT: {
        const bpu_requant_op *q = &in->u.requant;
        uint32_t n = (in->flags & BPU_RQ_PER_CHANNEL) ? q->c : 1u;
        bpu_status st =
            read_mult(s, in, index, q->param, n, BPU_RQ_BYTES, 0, s->mult, s->shift, err);
        if (st)
            return st;
        s->k->requant_insn(q, in->flags, s->sram, s->mult, s->shift);
        return BPU_OK;
    }
    case BPU_OP_COPY:
        bpu_ref_copy(&in->u.copy, s->sram);
        return BPU_OK;
    case BPU_OP_FILL:
        bpu_ref_fill(&in->u.copy, s->sram);
        return BPU_OK;
    case BPU_OP_CVTIMG:
        return exec_cvtimg(s, in, index, err);
    case BPU_OP_SETBASE:
        return exec_setbase(s, in, index, err);
    default: /* SYNC, END: no data effect */
        return BPU_OK;
    }
}

static bpu_status exec_one(void *user, const bpu_insn *in, int64_t index, bpu_error *err)
{
    bpu_sim *s = user;
    if (!s->prof)
        return exec_insn(s, in, index, err);
    uint64_t t0 = now_ns();
    bpu_status st = exec_insn(s, in, index, err);
    s->prof->op_ns[in->opcode < BPU_OP_COUNT ? in->opcode : BPU_OP_INVALID] += now_ns() - t0;
    s->prof->insns++;
    return st;
}

bpu_status bpu_sim_create(bpu_march_id march, const bpu_kernels *kernels, bpu_sim **out,
                          bpu_error *err)
{
    bpu_status st = BPU_OK;
    bpu_sim *s = NULL;
    const bpu_march *m = bpu_march_get(march);
    if (!out || !m) {
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg), "bpu_sim_create: NULL out or unknown march");
        }
        st = BPU_E_ARG;
        goto fail;
    }
    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    s->march = march;
    s->m = m;
    if (kernels &&
        (!kernels->conv || !kernels->dwconv || !kernels->requant || !kernels->ewise ||
         !kernels->pool || !kernels->lut || !kernels->resize || !kernels->requant_insn)) {
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg),
                     "bpu_sim_create: kernel table %s lacks a required kernel (only conv_rq and "
                     "dwconv_rq may be NULL)",
                     kernels->name ? kernels->name : "?");
        }
        st = BPU_E_ARG;
        goto fail;
    }
    if (kernels)
        s->k = kernels;
    else if ((st = bpu_kernels_select(&s->k, err)))
        goto fail;
    /* the 64-byte-rounded size keeps aligned_alloc's size a multiple of the alignment */
    s->sram = aligned_alloc(64, m->sram_bytes + SRAM_SLACK);
    /* >= one output row, and the 64 Ki elements a fused kernel's scratch needs */
    s->acc = malloc((m->sram_bytes > 65536u ? (size_t)m->sram_bytes : 65536u) * sizeof(int32_t));
    s->bias = malloc(BPU_MAX_CHANNEL * sizeof(int32_t));
    s->mult = malloc((size_t)BPU_MAX_TAPS * sizeof(int32_t));
    s->shift = malloc((size_t)BPU_MAX_TAPS * sizeof(int32_t));
    if (!s->sram || !s->acc || !s->bias || !s->mult || !s->shift)
        goto nomem;
    memset(s->sram, 0, m->sram_bytes + SRAM_SLACK);
    *out = s;
    return BPU_OK;
nomem:
    st = BPU_E_NOMEM;
    if (err) {
        err->insn = -1;
        snprintf(err->msg, sizeof(err->msg), "bpu_sim_create: out of memory");
    }
fail:
    bpu_sim_destroy(s);
    return st;
}

void bpu_sim_destroy(bpu_sim *s)
{
    if (!s)
        return;
    bpu_sched_ws_free(&s->ws);
    free(s->sram);
    free(s->acc);
    free(s->bias);
    free(s->mult);
    free(s->shift);
    free(s->pad_buf);
    free(s);
}

const bpu_kernels *bpu_sim_kernels(const bpu_sim *s)
{
    return s->k;
}

uint8_t *bpu_sim_sram(bpu_sim *s)
{
    return s->sram;
}

bpu_status bpu_sim_set_segment(bpu_sim *s, uint32_t seg, uint8_t *base, size_t size, bpu_error *err)
{
    if (seg >= BPU_SEGMENTS || (!base && size)) {
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg),
                     "bpu_sim_set_segment: segment %u (base %s, %zu bytes) invalid", seg,
                     base ? "set" : "NULL", size);
        }
        return BPU_E_ARG;
    }
    s->seg[seg] = (segment){base, size};
    return BPU_OK;
}

void bpu_sim_set_trace(bpu_sim *s, bpu_trace_fn fn, void *user)
{
    s->trace = fn;
    s->trace_user = user;
}

void bpu_sim_set_profile(bpu_sim *s, bpu_host_profile *prof)
{
    s->prof = prof;
}

/* Grow the padded-copy scratch to what the program needs with this simulator's kernels (CONV
 * kinds they pad natively need none), only when it needs more than any program run before (so
 * repeated runs never allocate). */
static bpu_status grow_pad_scratch(bpu_sim *s, const bpu_program *p, const char *who,
                                   bpu_error *err)
{
    size_t need = s->k->native_pad & BPU_KPAD_CONV ? 0 : p->conv_pad_bytes[0];
    if (!(s->k->native_pad & BPU_KPAD_DWCONV) && p->conv_pad_bytes[1] > need)
        need = p->conv_pad_bytes[1];
    if (need <= s->pad_cap)
        return BPU_OK;
    size_t bytes = (need + 63u) / 64u * 64u; /* a multiple of aligned_alloc's 64 */
    free(s->pad_buf);
    s->pad_cap = 0;
    s->pad_buf = aligned_alloc(64, bytes);
    if (!s->pad_buf) {
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg),
                     "%s: out of memory for the %zu-byte padded CONV input scratch", who, bytes);
        }
        return BPU_E_NOMEM;
    }
    /* the read slack past the last pixel is multiplied by zero weights: keep it defined */
    memset(s->pad_buf, 0, bytes);
    s->pad_cap = bytes;
    return BPU_OK;
}

bpu_status bpu_sim_run(bpu_sim *s, const bpu_program *p, bpu_counters *out, bpu_error *err)
{
    bpu_status st = BPU_OK;
    if (!s || !p || !out || p->march != s->march) {
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg),
                     "bpu_sim_run: NULL argument or program built for march %s",
                     p ? bpu_march_get(p->march)->name : "?");
        }
        return BPU_E_ARG;
    }
    /* grow the token FIFOs only when a program needs more than any earlier one */
    for (uint32_t c = 0; c < BPU_CH_COUNT; c++) {
        if (p->pushes[c] > s->ws.cap[c]) {
            bpu_sched_ws_free(&s->ws);
            if ((st = bpu_sched_ws_init(&s->ws, p->pushes))) {
                if (err) {
                    err->insn = -1;
                    snprintf(err->msg, sizeof(err->msg), "bpu_sim_run: out of memory");
                }
                return st;
            }
            break;
        }
    }
    if ((st = grow_pad_scratch(s, p, "bpu_sim_run", err)))
        return st;
    memset(out, 0, sizeof(*out));
    out->clock_mhz = s->m->clock_mhz;
    out->sram_peak = p->estimate.sram_peak;
    return bpu_schedule(p, s->m, &s->ws, exec_one, s, s->trace, s->trace_user, out, err);
}

bpu_status bpu_sim_exec(bpu_sim *s, const bpu_program *p, bpu_error *err)
{
    if (!s || !p || p->march != s->march) {
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg),
                     "bpu_sim_exec: NULL argument or program built for march %s",
                     p ? bpu_march_get(p->march)->name : "?");
        }
        return BPU_E_ARG;
    }
    bpu_status gs = grow_pad_scratch(s, p, "bpu_sim_exec", err);
    if (gs)
        return gs;
    for (size_t i = 0; i < p->n; i++) {
        const uint32_t idx = p->order[i];
        bpu_status st = exec_one(s, &p->insns[idx], (int64_t)idx, err);
        if (st)
            return st;
    }
    return BPU_OK;
}
