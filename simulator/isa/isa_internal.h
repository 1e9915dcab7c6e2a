/* Private to simulator/isa: the field table that defines the byte layout of every opcode. */
#ifndef BPU_ISA_INTERNAL_H
#define BPU_ISA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bpu/isa.h"

typedef enum bpu_field_kind {
    BPU_FK_U8 = 0,
    BPU_FK_I8 = 1,
    BPU_FK_U16 = 2,
    BPU_FK_U32 = 3,
    BPU_FK_I32 = 4
} bpu_field_kind;

/* A field added to BPU-v0 whose 0 keeps the earlier meaning (CONV pad): the disassembler prints it
 * only when nonzero, so listings of programs that do not use it stay as they were. */
#define BPU_FIELD_OMIT_ZERO 0x01u

typedef struct bpu_field {
    const char *name;
    uint8_t offset;  /* byte offset in the 64-byte word */
    uint8_t kind;    /* bpu_field_kind */
    uint16_t member; /* offsetof(bpu_insn, member) */
    uint8_t flags;   /* BPU_FIELD_* */
} bpu_field;

typedef struct bpu_op_info {
    const char *name;
    uint8_t queue;     /* bpu_queue */
    uint8_t flag_mask; /* flag bits the opcode defines; others must be zero */
    uint8_t nfields;
    const bpu_field *fields;
} bpu_op_info;

/* Opcode facts, indexed by bpu_opcode; entry 0 (INVALID) has name NULL. */
extern const bpu_op_info bpu_op_table[BPU_OP_COUNT];

uint32_t bpu_field_width(uint32_t kind);

/* A field's value in the decoded instruction, widened to int64 (signed kinds sign-extended). */
int64_t bpu_field_get(const bpu_insn *in, const bpu_field *f);

/* bpu_validate_insn that also reports the end (highest address + 1) of the SRAM ranges the
 * instruction touches (0 if none). */
bpu_status bpu_validate_insn_sram(const bpu_insn *in, int64_t index, const bpu_march *m,
                                  uint64_t *sram_end, bpu_error *err);

#endif
