/* The byte layout of every instruction (one table) and the generic little-endian encoder/decoder
 * driven by it. Field kinds are derived from the decoded struct's member types with _Generic, so
 * the table and the structs cannot disagree on a width. */
#include <stdio.h>
#include <string.h>

#include "isa_internal.h"

#define FKIND(expr)                                                                                \
    _Generic((expr), uint8_t                                                                       \
             : BPU_FK_U8, int8_t                                                                   \
             : BPU_FK_I8, uint16_t                                                                 \
             : BPU_FK_U16, uint32_t                                                                \
             : BPU_FK_U32, int32_t                                                                 \
             : BPU_FK_I32)
#define FX(op, mem, off, flags)                                                                    \
    {                                                                                              \
#mem, off, FKIND(((bpu_insn *)0)->u.op.mem), (uint16_t)offsetof(bpu_insn, u.op.mem), flags \
    }
#define F(op, mem, off) FX(op, mem, off, 0)
/* a field added after BPU-v0 whose 0 keeps the old meaning (CONV pad, header byte 3): listed
 * after the v0 fields so their order, and every disassembly that leaves it 0, stays as it was */
#define FZ(op, mem, off) FX(op, mem, off, BPU_FIELD_OMIT_ZERO)
#define NF(a)            ((uint8_t)(sizeof(a) / sizeof((a)[0])))

static const bpu_field f_dma[] = {
    F(dma, seg, 4),        F(dma, fill, 5),           F(dma, pad_top, 6),
    F(dma, pad_bottom, 7), F(dma, pad_left, 8),       F(dma, pad_right, 10),
    F(dma, ddr_off, 12),   F(dma, ddr_stride_y, 16),  F(dma, ddr_stride_z, 20),
    F(dma, sram, 24),      F(dma, sram_stride_y, 28), F(dma, sram_stride_z, 32),
    F(dma, x_bytes, 36),   F(dma, y_rows, 40),        F(dma, z_planes, 42),
};

static const bpu_field f_conv[] = {
    F(conv, src, 4),        F(conv, dst, 8),      F(conv, wgt, 12),        F(conv, param, 16),
    F(conv, acc, 20),       F(conv, h, 24),       F(conv, w, 26),          F(conv, c, 28),
    F(conv, k, 30),         F(conv, ho, 32),      F(conv, wo, 34),         F(conv, kh, 36),
    F(conv, kw, 37),        F(conv, sh, 38),      F(conv, sw, 39),         F(conv, dh, 40),
    F(conv, dw, 41),        F(conv, pad_top, 42), F(conv, pad_bottom, 43), F(conv, pad_left, 44),
    F(conv, pad_right, 45), F(conv, lo, 46),      F(conv, hi, 47),         F(conv, src_px, 48),
    F(conv, dst_px, 50),    F(conv, src_row, 52), F(conv, dst_row, 56),    FZ(conv, pad, 3),
};

static const bpu_field f_ewise[] = {
    F(ewise, src1, 4),      F(ewise, src2, 8),      F(ewise, dst, 12),     F(ewise, h, 16),
    F(ewise, w, 18),        F(ewise, c, 20),        F(ewise, lo, 22),      F(ewise, hi, 23),
    F(ewise, src1_px, 24),  F(ewise, src2_px, 26),  F(ewise, dst_px, 28),  F(ewise, r, 30),
    F(ewise, src1_row, 32), F(ewise, src2_row, 36), F(ewise, dst_row, 40), F(ewise, m1, 44),
    F(ewise, m2, 48),
};

static const bpu_field f_pool[] = {
    F(pool, src, 4),      F(pool, dst, 8),         F(pool, param, 12),    F(pool, h, 16),
    F(pool, w, 18),       F(pool, c, 20),          F(pool, ho, 22),       F(pool, wo, 24),
    F(pool, kh, 26),      F(pool, kw, 27),         F(pool, sh, 28),       F(pool, sw, 29),
    F(pool, pad_top, 30), F(pool, pad_bottom, 31), F(pool, pad_left, 32), F(pool, pad_right, 33),
    F(pool, lo, 34),      F(pool, hi, 35),         F(pool, src_px, 36),   F(pool, dst_px, 38),
    F(pool, src_row, 40), F(pool, dst_row, 44),
};

static const bpu_field f_resize[] = {
    F(resize, src, 4),     F(resize, dst, 8),      F(resize, h, 12),       F(resize, w, 14),
    F(resize, c, 16),      F(resize, ho, 18),      F(resize, wo, 20),      F(resize, src_px, 24),
    F(resize, dst_px, 26), F(resize, src_row, 28), F(resize, dst_row, 32), F(resize, step_y, 36),
    F(resize, step_x, 40), F(resize, off_y, 44),   F(resize, off_x, 48),
};

static const bpu_field f_lut[] = {
    F(lut, src, 4),      F(lut, dst, 8),      F(lut, table, 12),  F(lut, h, 16),
    F(lut, w, 18),       F(lut, c, 20),       F(lut, src_px, 22), F(lut, dst_px, 24),
    F(lut, src_row, 28), F(lut, dst_row, 32),
};

static const bpu_field f_requant[] = {
    F(requant, src, 4), F(requant, dst, 8), F(requant, param, 12),   F(requant, h, 16),
    F(requant, w, 18),  F(requant, c, 20),  F(requant, src_px, 22),  F(requant, dst_px, 24),
    F(requant, lo, 26), F(requant, hi, 27), F(requant, src_row, 28), F(requant, dst_row, 32),
};

static const bpu_field f_copy[] = {
    F(copy, src, 4),           F(copy, dst, 8),           F(copy, x_bytes, 12),
    F(copy, y_rows, 16),       F(copy, z_planes, 18),     F(copy, src_stride_y, 20),
    F(copy, src_stride_z, 24), F(copy, dst_stride_y, 28), F(copy, dst_stride_z, 32),
};

static const bpu_field f_fill[] = {
    F(copy, dst, 4),           F(copy, value, 8),     F(copy, x_bytes, 12),
    F(copy, y_rows, 16),       F(copy, z_planes, 18), F(copy, dst_stride_y, 20),
    F(copy, dst_stride_z, 24),
};

static const bpu_field f_cvtimg[] = {
    F(cvtimg, src_y, 4),   F(cvtimg, src_uv, 8),   F(cvtimg, dst, 12),   F(cvtimg, param, 16),
    F(cvtimg, h, 20),      F(cvtimg, w, 22),       F(cvtimg, y_row, 24), F(cvtimg, uv_row, 28),
    F(cvtimg, dst_px, 32), F(cvtimg, dst_row, 36), F(cvtimg, lo, 40),    F(cvtimg, hi, 41),
};

static const bpu_field f_setbase[] = {
    F(setbase, seg, 4),
    F(setbase, src_seg, 5),
    F(setbase, offset, 8),
    F(setbase, size, 12),
};

static const bpu_field f_end[] = {F(end, code, 4)};

const bpu_op_info bpu_op_table[BPU_OP_COUNT] = {
    [BPU_OP_INVALID] = {NULL, BPU_Q_BARRIER, 0, 0, NULL},
    [BPU_OP_LOAD] = {"load", BPU_Q_LOAD, 0, NF(f_dma), f_dma},
    [BPU_OP_STORE] = {"store", BPU_Q_STORE, 0, NF(f_dma), f_dma},
    [BPU_OP_CONV] = {"conv", BPU_Q_EXEC, BPU_CONV_DEPTHWISE | BPU_CONV_ACC_IN | BPU_CONV_ACC_OUT,
                     NF(f_conv), f_conv},
    [BPU_OP_EWISE] = {"ewise", BPU_Q_EXEC, BPU_EWISE_OP_MASK | BPU_EWISE_SCALAR2, NF(f_ewise),
                      f_ewise},
    [BPU_OP_POOL] = {"pool", BPU_Q_EXEC, BPU_POOL_AVG | BPU_POOL_COUNT_PAD, NF(f_pool), f_pool},
    [BPU_OP_RESIZE] = {"resize", BPU_Q_EXEC, BPU_RESIZE_BILINEAR, NF(f_resize), f_resize},
    [BPU_OP_LUT] = {"lut", BPU_Q_EXEC, 0, NF(f_lut), f_lut},
    [BPU_OP_REQUANT] = {"requant", BPU_Q_EXEC, BPU_RQ_SRC_S32 | BPU_RQ_PER_CHANNEL, NF(f_requant),
                        f_requant},
    [BPU_OP_COPY] = {"copy", BPU_Q_EXEC, 0, NF(f_copy), f_copy},
    [BPU_OP_FILL] = {"fill", BPU_Q_EXEC, 0, NF(f_fill), f_fill},
    [BPU_OP_CVTIMG] = {"cvtimg", BPU_Q_EXEC, BPU_CVT_YUV444, NF(f_cvtimg), f_cvtimg},
    [BPU_OP_SETBASE] = {"setbase", BPU_Q_BARRIER, 0, NF(f_setbase), f_setbase},
    [BPU_OP_SYNC] = {"sync", BPU_Q_BARRIER, 0, 0, NULL},
    [BPU_OP_END] = {"end", BPU_Q_BARRIER, 0, NF(f_end), f_end},
};
_Static_assert(BPU_OP_COUNT == 15, "update bpu_op_table");

uint32_t bpu_field_width(uint32_t kind)
{
    static const uint8_t widths[] = {
        [BPU_FK_U8] = 1, [BPU_FK_I8] = 1, [BPU_FK_U16] = 2, [BPU_FK_U32] = 4, [BPU_FK_I32] = 4};
    return widths[kind];
}

const char *bpu_op_name(uint32_t opcode)
{
    return opcode < BPU_OP_COUNT ? bpu_op_table[opcode].name : NULL;
}

bpu_queue bpu_op_queue(uint32_t opcode)
{
    return (bpu_queue)bpu_op_table[opcode].queue;
}

static void set_error(bpu_error *err, int64_t index, const char *msg)
{
    if (err) {
        err->insn = index;
        snprintf(err->msg, sizeof(err->msg), "insn %lld: %s", (long long)index, msg);
    }
}

int64_t bpu_field_get(const bpu_insn *in, const bpu_field *f)
{
    const unsigned char *p = (const unsigned char *)in + f->member;
    switch (f->kind) {
    case BPU_FK_U8: {
        uint8_t v;
        memcpy(&v, p, 1);
        return v;
    }
    case BPU_FK_I8: {
        int8_t v;
        memcpy(&v, p, 1);
        return v;
    }
    case BPU_FK_U16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case BPU_FK_U32: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    }
}

static void set_member(bpu_insn *out, const bpu_field *f, uint32_t raw)
{
    unsigned char *p = (unsigned char *)out + f->member;
    switch (f->kind) {
    case BPU_FK_U8: {
        uint8_t v = (uint8_t)raw;
        memcpy(p, &v, 1);
        break;
    }
    case BPU_FK_I8: {
        /* two's complement reinterpretation without implementation-defined conversion */
        int8_t v = (int8_t)(raw < 128u ? (int32_t)raw : (int32_t)raw - 256);
        memcpy(p, &v, 1);
        break;
    }
    case BPU_FK_U16: {
        uint16_t v = (uint16_t)raw;
        memcpy(p, &v, 2);
        break;
    }
    case BPU_FK_U32:
        memcpy(p, &raw, 4);
        break;
    default: {
        int32_t v = raw < 0x80000000u ? (int32_t)raw : -(int32_t)(~raw) - 1;
        memcpy(p, &v, 4);
        break;
    }
    }
}

bpu_status bpu_encode(const bpu_insn *in, uint8_t out[BPU_INSN_BYTES], bpu_error *err)
{
    if (!in || !out || in->opcode == BPU_OP_INVALID || in->opcode >= BPU_OP_COUNT) {
        set_error(err, -1, "encode: invalid opcode or NULL argument");
        return BPU_E_ARG;
    }
    const bpu_op_info *op = &bpu_op_table[in->opcode];
    memset(out, 0, BPU_INSN_BYTES);
    out[0] = in->opcode;
    out[1] = in->dep;
    out[2] = in->flags;
    for (uint32_t i = 0; i < op->nfields; i++) {
        const bpu_field *f = &op->fields[i];
        uint32_t v = (uint32_t)bpu_field_get(in, f); /* modulo 2^32: two's complement bytes */
        for (uint32_t b = 0; b < bpu_field_width(f->kind); b++)
            out[f->offset + b] = (uint8_t)(v >> (8u * b));
    }
    return BPU_OK;
}

bpu_status bpu_decode(const uint8_t in[BPU_INSN_BYTES], int64_t index, bpu_insn *out,
                      bpu_error *err)
{
    char msg[128];
    if (in[0] == BPU_OP_INVALID || in[0] >= BPU_OP_COUNT) {
        snprintf(msg, sizeof(msg), "field opcode: unknown opcode %u", in[0]);
        set_error(err, index, msg);
        return BPU_E_INVALID;
    }
    const bpu_op_info *op = &bpu_op_table[in[0]];
    uint8_t used[BPU_INSN_BYTES] = {1, 1, 1, 0};
    memset(out, 0, sizeof(*out));
    out->opcode = in[0];
    out->dep = in[1];
    out->flags = in[2];
    for (uint32_t i = 0; i < op->nfields; i++) {
        const bpu_field *f = &op->fields[i];
        uint32_t raw = 0;
        for (uint32_t b = 0; b < bpu_field_width(f->kind); b++) {
            raw |= (uint32_t)in[f->offset + b] << (8u * b);
            used[f->offset + b] = 1;
        }
        set_member(out, f, raw);
    }
    for (uint32_t b = 0; b < BPU_INSN_BYTES; b++) {
        if (!used[b] && in[b] != 0) {
            snprintf(msg, sizeof(msg), "%s: reserved byte %u is 0x%02x, must be 0", op->name, b,
                     in[b]);
            set_error(err, index, msg);
            return BPU_E_INVALID;
        }
    }
    return BPU_OK;
}

size_t bpu_insn_fields(const bpu_insn *in, bpu_field_visit_fn fn, void *user)
{
    if (in->opcode == BPU_OP_INVALID || in->opcode >= BPU_OP_COUNT)
        return 0;
    const bpu_op_info *op = &bpu_op_table[in->opcode];
    for (uint32_t i = 0; i < op->nfields; i++) {
        const bpu_field *f = &op->fields[i];
        fn(user, f->name, f->offset, bpu_field_width(f->kind), bpu_field_get(in, f));
    }
    return op->nfields;
}
