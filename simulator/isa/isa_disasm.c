/* Disassembler: one line per instruction, "mnemonic [dep tokens] [flags] field=value ...", the
 * fields in the order of the field table (those flagged BPU_FIELD_OMIT_ZERO only when nonzero). */
#include <stdio.h>
#include <string.h>

#include "isa_internal.h"

typedef struct text_buf {
    char *buf;
    size_t len;
    size_t need; /* characters the full text needs */
} text_buf;

static void put(text_buf *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len > 0 && t->need < t->len - 1) {
        size_t room = t->len - 1 - t->need;
        size_t k = n < room ? n : room;
        memcpy(t->buf + t->need, s, k);
        t->buf[t->need + k] = '\0';
    }
    t->need += n;
}

static void put_field(text_buf *t, const char *name, uint32_t width, int64_t value)
{
    char tmp[64];
    /* addresses, strides and multipliers read best in hex; small fields in decimal */
    if (width == 4 && value >= 0)
        snprintf(tmp, sizeof(tmp), " %s=0x%llx", name, (unsigned long long)value);
    else
        snprintf(tmp, sizeof(tmp), " %s=%lld", name, (long long)value);
    put(t, tmp);
}

size_t bpu_disasm(const bpu_insn *in, char *buf, size_t len)
{
    static const char *const dep_names[4] = {"pop_prev", "pop_next", "push_prev", "push_next"};
    text_buf t = {buf, len, 0};
    if (len > 0)
        buf[0] = '\0';
    const char *name = bpu_op_name(in->opcode);
    char tmp[32];
    if (!name) {
        snprintf(tmp, sizeof(tmp), "invalid(%u)", in->opcode);
        put(&t, tmp);
        return t.need;
    }
    put(&t, name);
    if (in->dep) {
        put(&t, " dep=");
        int first = 1;
        for (uint32_t b = 0; b < 4; b++) {
            if (in->dep & (1u << b)) {
                put(&t, first ? "" : "|");
                put(&t, dep_names[b]);
                first = 0;
            }
        }
        if (in->dep & 0xF0u) {
            snprintf(tmp, sizeof(tmp), "%s0x%02x", first ? "" : "|", in->dep & 0xF0u);
            put(&t, tmp);
        }
    }
    if (in->flags) {
        snprintf(tmp, sizeof(tmp), " flags=0x%02x", in->flags);
        put(&t, tmp);
    }
    const bpu_op_info *op = &bpu_op_table[in->opcode];
    for (uint32_t i = 0; i < op->nfields; i++) {
        const bpu_field *f = &op->fields[i];
        int64_t v = bpu_field_get(in, f);
        if (v != 0 || !(f->flags & BPU_FIELD_OMIT_ZERO))
            put_field(&t, f->name, bpu_field_width(f->kind), v);
    }
    return t.need;
}
