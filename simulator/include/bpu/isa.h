/* BPU instruction set: opcodes, decoded instructions, encode/decode, validation, disassembly.
 * docs/bpu-isa.md is the prose specification; this header and simulator/isa/isa_fields.c (the field
 * table: name, byte offset, width, legal range of every field) are its machine-readable form.
 *
 * Every instruction is BPU_INSN_BYTES bytes, little-endian, fields at fixed byte offsets; bytes not
 * covered by a field are reserved and must be zero. */
#ifndef BPU_ISA_H
#define BPU_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "bpu/march.h"

#define BPU_INSN_BYTES  64
#define BPU_SEGMENTS    8  /* DDR segment base registers */
#define BPU_SRAM_ALIGN  32 /* alignment of every compute operand's SRAM address */
#define BPU_MAX_CHANNEL 16384
#define BPU_MAX_TAPS    65536 /* kh * kw * C per output of CONV: keeps sum(x*w) inside int32 */
#define BPU_PARAM_BYTES 12    /* CONV per-channel record {bias i32, M i32, r u8, 3 zero bytes} */
#define BPU_RQ_BYTES    8     /* POOL/REQUANT record {M i32, r u8, 3 zero bytes} */
#define BPU_CVT_BYTES   24    /* CVTIMG per-output-channel record, see docs/bpu-isa.md */
#define BPU_WGT_KPACK   16    /* NORMAL weights: K rounded up to this */

typedef enum bpu_status {
    BPU_OK = 0,
    BPU_E_ARG = 1,         /* bad call argument */
    BPU_E_INVALID = 2,     /* malformed or illegal program (decode/validate) */
    BPU_E_FAULT = 3,       /* run-time fault (bad DDR address, bad parameter data) */
    BPU_E_NOMEM = 4,       /* allocation failed */
    BPU_E_UNSUPPORTED = 5, /* requested kernel variant not available on this CPU/build */
} bpu_status;

/* Error report filled by every fallible call (may be NULL). insn is the instruction index, or -1.
 */
typedef struct bpu_error {
    int64_t insn;
    char msg[256];
} bpu_error;

typedef enum bpu_opcode {
    BPU_OP_INVALID = 0, /* zeroed memory never decodes */
    BPU_OP_LOAD = 1,
    BPU_OP_STORE = 2,
    BPU_OP_CONV = 3,
    BPU_OP_EWISE = 4,
    BPU_OP_POOL = 5,
    BPU_OP_RESIZE = 6,
    BPU_OP_LUT = 7,
    BPU_OP_REQUANT = 8,
    BPU_OP_COPY = 9,
    BPU_OP_FILL = 10,
    BPU_OP_CVTIMG = 11,
    BPU_OP_SETBASE = 12,
    BPU_OP_SYNC = 13,
    BPU_OP_END = 14,
    BPU_OP_COUNT = 15
} bpu_opcode;

typedef enum bpu_queue {
    BPU_Q_LOAD = 0,
    BPU_Q_EXEC = 1,
    BPU_Q_STORE = 2,
    BPU_Q_COUNT = 3,
    BPU_Q_BARRIER = 3 /* SETBASE, SYNC, END: wait for all queues to drain */
} bpu_queue;

/* Header byte 1: dependency tokens along LOAD -> EXEC -> STORE. */
#define BPU_DEP_POP_PREV  0x01u
#define BPU_DEP_POP_NEXT  0x02u
#define BPU_DEP_PUSH_PREV 0x04u
#define BPU_DEP_PUSH_NEXT 0x08u

/* Header byte 2 (flags), per opcode. */
#define BPU_CONV_DEPTHWISE  0x01u
#define BPU_CONV_ACC_IN     0x02u /* start from int32 partials at `acc` instead of the bias */
#define BPU_CONV_ACC_OUT    0x04u /* write int32 accumulators instead of requantised int8 */
#define BPU_EWISE_OP_MASK   0x07u /* bpu_ewise_kind */
#define BPU_EWISE_SCALAR2   0x08u /* src2 is one int8 value */
#define BPU_POOL_AVG        0x01u
#define BPU_POOL_COUNT_PAD  0x02u
#define BPU_RESIZE_BILINEAR 0x01u
#define BPU_RQ_SRC_S32      0x01u
#define BPU_RQ_PER_CHANNEL  0x02u
#define BPU_CVT_YUV444      0x01u

typedef enum bpu_ewise_kind {
    BPU_EW_ADD = 0,
    BPU_EW_SUB = 1,
    BPU_EW_MUL = 2,
    BPU_EW_MAX = 3,
    BPU_EW_MIN = 4,
    BPU_EW_COUNT = 5
} bpu_ewise_kind;

/* LOAD (DDR -> SRAM) and STORE (SRAM -> DDR). */
typedef struct bpu_dma_op {
    uint8_t seg;
    int8_t fill; /* LOAD border fill value */
    uint8_t pad_top, pad_bottom;
    uint16_t pad_left, pad_right; /* bytes */
    uint32_t ddr_off, ddr_stride_y, ddr_stride_z;
    uint32_t sram, sram_stride_y, sram_stride_z;
    uint32_t x_bytes;
    uint16_t y_rows, z_planes;
} bpu_dma_op;

typedef struct bpu_conv_op {
    uint32_t src, dst, wgt, param, acc;
    uint16_t h, w, c, k, ho, wo;
    uint8_t kh, kw, sh, sw, dh, dw;
    uint8_t pad_top, pad_bottom, pad_left, pad_right;
    int8_t lo, hi;
    uint16_t src_px, dst_px;
    uint32_t src_row, dst_row;
    int8_t pad; /* byte 3: the value padded positions read (0: zero padding, as before the field) */
} bpu_conv_op;

typedef struct bpu_ewise_op {
    uint32_t src1, src2, dst;
    uint16_t h, w, c;
    int8_t lo, hi;
    uint16_t src1_px, src2_px, dst_px;
    uint8_t r;
    uint32_t src1_row, src2_row, dst_row;
    uint32_t m1, m2;
} bpu_ewise_op;

typedef struct bpu_pool_op {
    uint32_t src, dst, param;
    uint16_t h, w, c, ho, wo;
    uint8_t kh, kw, sh, sw;
    uint8_t pad_top, pad_bottom, pad_left, pad_right;
    int8_t lo, hi;
    uint16_t src_px, dst_px;
    uint32_t src_row, dst_row;
} bpu_pool_op;

typedef struct bpu_resize_op {
    uint32_t src, dst;
    uint16_t h, w, c, ho, wo;
    uint16_t src_px, dst_px;
    uint32_t src_row, dst_row;
    uint32_t step_y, step_x; /* Q16 source step per output pixel */
    int32_t off_y, off_x;    /* Q16 source coordinate of output pixel 0 */
} bpu_resize_op;

typedef struct bpu_lut_op {
    uint32_t src, dst, table;
    uint16_t h, w, c;
    uint16_t src_px, dst_px;
    uint32_t src_row, dst_row;
} bpu_lut_op;

typedef struct bpu_requant_op {
    uint32_t src, dst, param;
    uint16_t h, w, c;
    uint16_t src_px, dst_px;
    int8_t lo, hi;
    uint32_t src_row, dst_row;
} bpu_requant_op;

/* COPY (SRAM -> SRAM) and FILL. */
typedef struct bpu_copy_op {
    uint32_t src, dst;
    int8_t value; /* FILL only */
    uint32_t x_bytes;
    uint16_t y_rows, z_planes;
    uint32_t src_stride_y, src_stride_z, dst_stride_y, dst_stride_z;
} bpu_copy_op;

typedef struct bpu_cvtimg_op {
    uint32_t src_y, src_uv, dst, param;
    uint16_t h, w;
    uint32_t y_row, uv_row;
    uint16_t dst_px;
    uint32_t dst_row;
    int8_t lo, hi;
} bpu_cvtimg_op;

typedef struct bpu_setbase_op {
    uint8_t seg, src_seg;
    uint32_t offset, size;
} bpu_setbase_op;

typedef struct bpu_end_op {
    uint32_t code;
} bpu_end_op;

typedef struct bpu_insn {
    uint8_t opcode; /* bpu_opcode */
    uint8_t dep;    /* BPU_DEP_* */
    uint8_t flags;  /* per opcode */
    union {
        bpu_dma_op dma; /* LOAD, STORE */
        bpu_conv_op conv;
        bpu_ewise_op ewise;
        bpu_pool_op pool;
        bpu_resize_op resize;
        bpu_lut_op lut;
        bpu_requant_op requant;
        bpu_copy_op copy; /* COPY, FILL */
        bpu_cvtimg_op cvtimg;
        bpu_setbase_op setbase;
        bpu_end_op end;
    } u;
} bpu_insn;

/* Mnemonic of an opcode ("conv"), or NULL when out of range. */
const char *bpu_op_name(uint32_t opcode);

/* Queue an opcode is issued to (BPU_Q_BARRIER for SETBASE, SYNC, END). opcode must be valid. */
bpu_queue bpu_op_queue(uint32_t opcode);

/* Encode one decoded instruction into 64 bytes. Fails (BPU_E_ARG) only for an invalid opcode;
 * every field is written as is, so illegal values are encodable (the validator rejects them). */
bpu_status bpu_encode(const bpu_insn *in, uint8_t out[BPU_INSN_BYTES], bpu_error *err);

/* Decode 64 bytes; fails (BPU_E_INVALID) on an unknown opcode or a nonzero reserved byte. index is
 * only used in the error report. */
bpu_status bpu_decode(const uint8_t in[BPU_INSN_BYTES], int64_t index, bpu_insn *out,
                      bpu_error *err);

/* Check one instruction's fields against the march: ranges, consistency, SRAM bounds, alignment,
 * token bits legal for its queue. The first error names the instruction index and the field. */
bpu_status bpu_validate_insn(const bpu_insn *in, int64_t index, const bpu_march *m, bpu_error *err);

/* Disassemble one instruction into buf ("conv dep=push_next src=0x0 ..."; CONV pad only when
 * nonzero); always NUL-terminates when len > 0. Returns the length the full text needs (like
 * snprintf). */
size_t bpu_disasm(const bpu_insn *in, char *buf, size_t len);

/* Visit every encoded field of an instruction (the docs table check and tests; the disassembler
 * walks the same field table): name, byte offset, width in bytes, value. Returns the number of
 * fields. */
typedef void (*bpu_field_visit_fn)(void *user, const char *name, uint32_t offset, uint32_t width,
                                   int64_t value);
size_t bpu_insn_fields(const bpu_insn *in, bpu_field_visit_fn fn, void *user);

#endif
