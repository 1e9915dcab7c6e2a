/* The instruction and constant buffers of the program being built. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler_priv.h"

hbg_status ck_fail(ck_ctx *c, hbg_status st, const char *fmt, ...)
{
    if (c->err && c->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

hbg_status ck_push(ck_ctx *c, const bpu_insn *in)
{
    if (c->n_ins == c->cap_ins) {
        size_t cap = c->cap_ins ? c->cap_ins * 2 : 256;
        bpu_insn *p = realloc(c->ins, cap * sizeof *p);
        if (!p)
            return ck_fail(c, HBG_E_NOMEM, "out of memory (program)");
        c->ins = p;
        int *t = realloc(c->ins_node, cap * sizeof *t);
        if (!t)
            return ck_fail(c, HBG_E_NOMEM, "out of memory (program)");
        c->ins_node = t;
        c->cap_ins = cap; /* only once both arrays have it */
    }
    c->ins_node[c->n_ins] = c->cur_node;
    c->ins[c->n_ins++] = *in;
    return HBG_OK;
}

/* Blocks start at 64-byte offsets: one DDR burst, and every SRAM copy keeps the 32-byte
 * alignment compute operands need. */
hbg_status ck_const(ck_ctx *c, const void *data, size_t n, uint32_t *off)
{
    size_t start = (c->n_cb + 63u) / 64u * 64u;
    if (start + n > UINT32_MAX)
        return ck_fail(c, HBG_E_NOMEM, "constant blob over 4 GiB");
    if (start + n > c->cap_cb) {
        size_t cap = c->cap_cb ? c->cap_cb : 4096;
        while (cap < start + n)
            cap *= 2;
        uint8_t *p = realloc(c->cb, cap);
        if (!p)
            return ck_fail(c, HBG_E_NOMEM, "out of memory (constants)");
        c->cb = p;
        c->cap_cb = cap;
    }
    memset(c->cb + c->n_cb, 0, start - c->n_cb);
    memcpy(c->cb + start, data, n);
    c->n_cb = start + n;
    *off = (uint32_t)start;
    return HBG_OK;
}
