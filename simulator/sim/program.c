/* Program loading: decode once, validate every instruction, then the program-level rules (END
 * last and only there, token balance and deadlock freedom via the scheduler in estimate mode). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_internal.h"
#include "sim_internal.h"

static void set_error(bpu_error *err, int64_t index, const char *msg)
{
    if (err) {
        err->insn = index;
        snprintf(err->msg, sizeof(err->msg), "%s", msg);
    }
}

/* Trace callback of the estimate pass: the issue order, one index per retired instruction. */
typedef struct order_rec {
    uint32_t *order;
    size_t n;
} order_rec;

static void record_order(void *user, const bpu_trace_event *ev)
{
    order_rec *r = user;
    r->order[r->n++] = (uint32_t)ev->index;
}

/* Count the pushes per channel so the scheduler's FIFOs can be sized once. */
static void count_pushes(bpu_program *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const bpu_insn *in = &p->insns[i];
        bpu_queue q = bpu_op_queue(in->opcode);
        if (q == BPU_Q_LOAD && (in->dep & BPU_DEP_PUSH_NEXT))
            p->pushes[BPU_CH_LD_EX]++;
        if (q == BPU_Q_EXEC && (in->dep & BPU_DEP_PUSH_PREV))
            p->pushes[BPU_CH_EX_LD]++;
        if (q == BPU_Q_EXEC && (in->dep & BPU_DEP_PUSH_NEXT))
            p->pushes[BPU_CH_EX_ST]++;
        if (q == BPU_Q_STORE && (in->dep & BPU_DEP_PUSH_PREV))
            p->pushes[BPU_CH_ST_EX]++;
    }
}

bpu_status bpu_program_load(const uint8_t *bytes, size_t len, bpu_march_id march, bpu_program **out,
                            bpu_error *err)
{
    bpu_status st = BPU_OK;
    bpu_program *p = NULL;
    bpu_sched_ws ws = {{NULL}, {0}};
    char msg[160];
    const bpu_march *m = bpu_march_get(march);
    if (!out || !bytes || !m) {
        set_error(err, -1, "bpu_program_load: NULL argument or unknown march");
        st = BPU_E_ARG;
        goto fail;
    }
    *out = NULL;
    if (len == 0 || len % BPU_INSN_BYTES != 0 || len / BPU_INSN_BYTES > UINT32_MAX) {
        snprintf(
            msg, sizeof(msg),
            "program size %zu is not a positive multiple of %d bytes (at most 2^32 instructions)",
            len, BPU_INSN_BYTES);
        set_error(err, -1, msg);
        st = BPU_E_INVALID;
        goto fail;
    }
    p = calloc(1, sizeof(*p));
    if (!p || !(p->insns = malloc(len / BPU_INSN_BYTES * sizeof(bpu_insn))) ||
        !(p->order = malloc(len / BPU_INSN_BYTES * sizeof(uint32_t)))) {
        set_error(err, -1, "out of memory");
        st = BPU_E_NOMEM;
        goto fail;
    }
    p->march = march;
    p->n = len / BPU_INSN_BYTES;
    uint64_t sram_peak = 0;
    for (size_t i = 0; i < p->n; i++) {
        uint64_t end = 0;
        if ((st = bpu_decode(bytes + i * BPU_INSN_BYTES, (int64_t)i, &p->insns[i], err)) ||
            (st = bpu_validate_insn_sram(&p->insns[i], (int64_t)i, m, &end, err)))
            goto fail;
        sram_peak = end > sram_peak ? end : sram_peak;
        size_t pad_bytes = bpu_conv_pad_scratch(&p->insns[i], NULL);
        size_t *need = &p->conv_pad_bytes[(p->insns[i].flags & BPU_CONV_DEPTHWISE) != 0];
        *need = pad_bytes > *need ? pad_bytes : *need;
        int is_end = p->insns[i].opcode == BPU_OP_END;
        if (is_end != (i + 1 == p->n)) {
            snprintf(msg, sizeof(msg), "insn %zu (%s): field opcode: %s", i,
                     bpu_op_name(p->insns[i].opcode),
                     is_end ? "END before the last instruction"
                            : "the last instruction must be END");
            set_error(err, (int64_t)i, msg);
            st = BPU_E_INVALID;
            goto fail;
        }
    }
    count_pushes(p);
    if ((st = bpu_sched_ws_init(&ws, p->pushes))) {
        set_error(err, -1, "out of memory");
        goto fail;
    }
    p->estimate.clock_mhz = m->clock_mhz;
    p->estimate.sram_peak = sram_peak;
    order_rec rec = {p->order, 0};
    if ((st = bpu_schedule(p, m, &ws, NULL, NULL, record_order, &rec, &p->estimate, err)))
        goto fail;
    if (rec.n != p->n) { /* every instruction retires once when the schedule succeeds */
        set_error(err, -1, "internal error: the schedule did not retire every instruction");
        st = BPU_E_INVALID;
        goto fail;
    }
    bpu_sched_ws_free(&ws);
    *out = p;
    return BPU_OK;
fail:
    bpu_sched_ws_free(&ws);
    bpu_program_free(p);
    return st;
}

void bpu_program_free(bpu_program *p)
{
    if (!p)
        return;
    free(p->insns);
    free(p->order);
    free(p);
}

size_t bpu_program_size(const bpu_program *p)
{
    return p->n;
}

const bpu_insn *bpu_program_insn(const bpu_program *p, size_t index)
{
    return index < p->n ? &p->insns[index] : NULL;
}

const bpu_counters *bpu_program_estimate(const bpu_program *p)
{
    return &p->estimate;
}

bpu_status bpu_program_trace(const bpu_program *p, bpu_trace_fn fn, void *user, bpu_counters *out,
                             bpu_error *err)
{
    bpu_sched_ws ws = {{NULL}, {0}};
    bpu_counters c;
    bpu_status st;
    if (!p) {
        set_error(err, -1, "bpu_program_trace: NULL program");
        return BPU_E_ARG;
    }
    if ((st = bpu_sched_ws_init(&ws, p->pushes))) {
        set_error(err, -1, "out of memory");
        return st;
    }
    memset(&c, 0, sizeof c);
    c.clock_mhz = p->estimate.clock_mhz;
    c.sram_peak = p->estimate.sram_peak;
    st = bpu_schedule(p, bpu_march_get(p->march), &ws, NULL, NULL, fn, user, &c, err);
    bpu_sched_ws_free(&ws);
    if (st == BPU_OK && out)
        *out = c;
    return st;
}
