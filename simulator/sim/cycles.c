/* The cycle model: each instruction's cost is a pure function of its fields and the march
 * (docs/bpu-isa.md section "Cycle model"). No data is read here. */
#include "sim_internal.h"

static uint64_t cdiv(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

static uint64_t dma_cycles(const bpu_dma_op *d, int load, const bpu_march *m)
{
    uint64_t rows = (uint64_t)d->y_rows * d->z_planes;
    uint64_t bytes = rows * cdiv(d->x_bytes, m->burst_bytes) * m->burst_bytes;
    uint64_t bw = m->dma_bpkc < m->ddr_bpkc ? m->dma_bpkc : m->ddr_bpkc;
    uint64_t cycles = m->dma_setup + cdiv(bytes * 1000u, bw);
    if (load) {
        /* border fill is written into SRAM at burst_bytes per cycle */
        uint64_t width = (uint64_t)d->pad_left + d->x_bytes + d->pad_right;
        uint64_t all = (uint64_t)d->pad_top + d->y_rows + d->pad_bottom;
        uint64_t fill = d->z_planes * (all * width - (uint64_t)d->y_rows * d->x_bytes);
        cycles += cdiv(fill, m->burst_bytes);
    }
    return cycles;
}

static uint64_t conv_cycles(const bpu_insn *in, const bpu_march *m)
{
    const bpu_conv_op *c = &in->u.conv;
    uint64_t px = (uint64_t)c->ho * c->wo;
    uint64_t cycles = m->conv_pipeline;
    if (in->flags & BPU_CONV_DEPTHWISE)
        cycles += cdiv(c->c, m->dw_lanes) * px * cdiv((uint64_t)c->kh * c->kw, m->dw_taps);
    else
        cycles += cdiv(c->c, m->c_atom) * cdiv(c->k, m->k_atom) * px * c->kh * c->kw;
    /* int32 partials move through SRAM at burst_bytes per cycle */
    uint64_t acc_bytes = px * c->k * 4u;
    if (in->flags & BPU_CONV_ACC_IN)
        cycles += cdiv(acc_bytes, m->burst_bytes);
    if (in->flags & BPU_CONV_ACC_OUT)
        cycles += cdiv(acc_bytes, m->burst_bytes);
    return cycles;
}

uint64_t bpu_insn_cycles(const bpu_insn *in, const bpu_march *m)
{
    uint64_t v = m->vec_lanes;
    switch (in->opcode) {
    case BPU_OP_LOAD:
        return dma_cycles(&in->u.dma, 1, m);
    case BPU_OP_STORE:
        return dma_cycles(&in->u.dma, 0, m);
    case BPU_OP_CONV:
        return conv_cycles(in, m);
    case BPU_OP_EWISE: {
        const bpu_ewise_op *e = &in->u.ewise;
        return 2u * cdiv((uint64_t)e->h * e->w * e->c, v);
    }
    case BPU_OP_POOL: {
        const bpu_pool_op *p = &in->u.pool;
        return cdiv((uint64_t)p->ho * p->wo * p->c, v) * p->kh * p->kw;
    }
    case BPU_OP_RESIZE: {
        const bpu_resize_op *r = &in->u.resize;
        uint64_t per = (in->flags & BPU_RESIZE_BILINEAR) ? 4u : 1u;
        return per * cdiv((uint64_t)r->ho * r->wo * r->c, v);
    }
    case BPU_OP_LUT: {
        const bpu_lut_op *l = &in->u.lut;
        return cdiv((uint64_t)l->h * l->w * l->c, v);
    }
    case BPU_OP_REQUANT: {
        const bpu_requant_op *q = &in->u.requant;
        uint64_t per = (in->flags & BPU_RQ_SRC_S32) ? 4u : 1u; /* source bytes per element */
        return cdiv((uint64_t)q->h * q->w * q->c * per, v);
    }
    case BPU_OP_COPY:
    case BPU_OP_FILL: {
        const bpu_copy_op *c = &in->u.copy;
        return cdiv(c->x_bytes, v) * c->y_rows * c->z_planes;
    }
    case BPU_OP_CVTIMG: {
        const bpu_cvtimg_op *c = &in->u.cvtimg;
        return 3u * cdiv((uint64_t)c->h * c->w, v);
    }
    case BPU_OP_SETBASE:
        return 1;
    default: /* SYNC, END: only the drain */
        return 0;
    }
}

uint64_t bpu_insn_macs(const bpu_insn *in)
{
    if (in->opcode != BPU_OP_CONV)
        return 0;
    const bpu_conv_op *c = &in->u.conv;
    uint64_t macs = (uint64_t)c->ho * c->wo * c->c * c->kh * c->kw;
    return (in->flags & BPU_CONV_DEPTHWISE) ? macs : macs * c->k;
}
