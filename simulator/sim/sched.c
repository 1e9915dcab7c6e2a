/* The three-queue scheduler with dependency tokens. Used with exec == NULL for the static estimate
 * and the load-time deadlock check, and with the functional executor for a real run: the timing
 * code is the same in both.
 *
 * Model: instructions are dispatched in program order to the LOAD, EXEC or STORE queue; each queue
 * runs its instructions in order, one at a time. An instruction starts when its queue is free and
 * every token it pops has been pushed; tokens are pushed when the pushing instruction retires.
 * Barriers (SETBASE, SYNC, END) wait for every earlier instruction, then run alone. The functional
 * executor sees instructions in order of start time (ties: program order), which respects every
 * token, so race-free programs give the same data as the hardware would. */
#include <stdio.h>
#include <stdlib.h>

#include "sim_internal.h"

bpu_status bpu_sched_ws_init(bpu_sched_ws *ws, const size_t pushes[BPU_CH_COUNT])
{
    bpu_status st = BPU_OK;
    for (uint32_t c = 0; c < BPU_CH_COUNT; c++) {
        ws->fifo[c] = NULL;
        ws->cap[c] = pushes[c];
    }
    for (uint32_t c = 0; c < BPU_CH_COUNT; c++) {
        if (pushes[c] == 0)
            continue;
        ws->fifo[c] = malloc(pushes[c] * sizeof(bpu_token));
        if (!ws->fifo[c]) {
            st = BPU_E_NOMEM;
            goto fail;
        }
    }
    return BPU_OK;
fail:
    bpu_sched_ws_free(ws);
    return st;
}

void bpu_sched_ws_free(bpu_sched_ws *ws)
{
    for (uint32_t c = 0; c < BPU_CH_COUNT; c++) {
        free(ws->fifo[c]);
        ws->fifo[c] = NULL;
        ws->cap[c] = 0;
    }
}

typedef struct fifo_state {
    size_t head, tail; /* pop index, push index into ws->fifo[c] (never wraps: cap = all pushes) */
} fifo_state;

/* Channel popped / pushed by an instruction of queue q for dep bit b (0: prev, 1: next);
 * BPU_CH_COUNT where the queue has no such neighbour (the validator rejects those bits). */
static const uint8_t pop_ch[BPU_Q_COUNT][2] = {
    [BPU_Q_LOAD] = {BPU_CH_COUNT, BPU_CH_EX_LD},
    [BPU_Q_EXEC] = {BPU_CH_LD_EX, BPU_CH_ST_EX},
    [BPU_Q_STORE] = {BPU_CH_EX_ST, BPU_CH_COUNT},
};
static const uint8_t push_ch[BPU_Q_COUNT][2] = {
    [BPU_Q_LOAD] = {BPU_CH_COUNT, BPU_CH_LD_EX},
    [BPU_Q_EXEC] = {BPU_CH_EX_LD, BPU_CH_EX_ST},
    [BPU_Q_STORE] = {BPU_CH_ST_EX, BPU_CH_COUNT},
};

static void fail(bpu_error *err, int64_t index, const char *opname, const char *what)
{
    if (err) {
        err->insn = index;
        snprintf(err->msg, sizeof(err->msg), "insn %lld (%s): field dep: %s", (long long)index,
                 opname, what);
    }
}

/* Next instruction of queue q at or after index i, before the barrier at end; end if none. */
static size_t next_of(const bpu_program *p, uint32_t q, size_t i, size_t end)
{
    while (i < end && bpu_op_queue(p->insns[i].opcode) != (bpu_queue)q)
        i++;
    return i;
}

bpu_status bpu_schedule(const bpu_program *p, const bpu_march *m, bpu_sched_ws *ws,
                        bpu_exec_fn exec, void *user, bpu_trace_fn trace, void *trace_user,
                        bpu_counters *ctr, bpu_error *err)
{
    static const uint32_t pops[2] = {BPU_DEP_POP_PREV, BPU_DEP_POP_NEXT};
    static const uint32_t pushes[2] = {BPU_DEP_PUSH_PREV, BPU_DEP_PUSH_NEXT};
    bpu_status st = BPU_OK;
    fifo_state fs[BPU_CH_COUNT] = {{0, 0}};
    uint64_t qclock[BPU_Q_COUNT] = {0, 0, 0};
    size_t seg = 0;
    while (seg < p->n) {
        size_t bar = seg;
        while (bar < p->n && bpu_op_queue(p->insns[bar].opcode) != BPU_Q_BARRIER)
            bar++;
        size_t head[BPU_Q_COUNT];
        for (uint32_t q = 0; q < BPU_Q_COUNT; q++)
            head[q] = next_of(p, q, seg, bar);
        for (;;) {
            int best = -1;
            uint64_t best_start = 0;
            size_t first_blocked = bar;
            for (uint32_t q = 0; q < BPU_Q_COUNT; q++) {
                if (head[q] >= bar)
                    continue;
                const bpu_insn *in = &p->insns[head[q]];
                uint64_t start = qclock[q];
                int ready = 1;
                for (uint32_t b = 0; b < 2; b++) {
                    uint32_t ch = pop_ch[q][b];
                    if (!(in->dep & pops[b]) || ch >= BPU_CH_COUNT)
                        continue;
                    if (fs[ch].head == fs[ch].tail) {
                        ready = 0;
                        break;
                    }
                    uint64_t t = ws->fifo[ch][fs[ch].head].time;
                    start = t > start ? t : start;
                }
                if (!ready) {
                    first_blocked = head[q] < first_blocked ? head[q] : first_blocked;
                    continue;
                }
                if (best < 0 || start < best_start ||
                    (start == best_start && head[q] < head[best])) {
                    best = (int)q;
                    best_start = start;
                }
            }
            if (best < 0) {
                if (first_blocked < bar) {
                    fail(err, (int64_t)first_blocked, bpu_op_name(p->insns[first_blocked].opcode),
                         "waits for a token that is never pushed (deadlock)");
                    st = BPU_E_INVALID;
                    goto done;
                }
                break;
            }
            uint32_t q = (uint32_t)best;
            size_t idx = head[q];
            const bpu_insn *in = &p->insns[idx];
            if (exec && (st = exec(user, in, (int64_t)idx, err)))
                goto done;
            uint64_t cyc = bpu_insn_cycles(in, m);
            uint64_t end = best_start + cyc;
            for (uint32_t b = 0; b < 2; b++)
                if ((in->dep & pops[b]) && pop_ch[q][b] < BPU_CH_COUNT)
                    fs[pop_ch[q][b]].head++;
            for (uint32_t b = 0; b < 2; b++) {
                uint32_t ch = push_ch[q][b];
                if ((in->dep & pushes[b]) && ch < BPU_CH_COUNT)
                    ws->fifo[ch][fs[ch].tail++] = (bpu_token){end, (int64_t)idx};
            }
            qclock[q] = end;
            ctr->queue_busy[q] += cyc;
            ctr->op_cycles[in->opcode] += cyc;
            ctr->op_count[in->opcode]++;
            const uint64_t macs = bpu_insn_macs(in);
            const uint64_t dma =
                in->opcode == BPU_OP_LOAD || in->opcode == BPU_OP_STORE
                    ? (uint64_t)in->u.dma.x_bytes * in->u.dma.y_rows * in->u.dma.z_planes
                    : 0;
            ctr->macs += macs;
            if (in->opcode == BPU_OP_LOAD)
                ctr->ddr_load_bytes += dma;
            else if (in->opcode == BPU_OP_STORE)
                ctr->ddr_store_bytes += dma;
            if (trace)
                trace(trace_user,
                      &(bpu_trace_event){(int64_t)idx, in->opcode, q, best_start, end, macs, dma});
            head[q] = next_of(p, q, idx + 1, bar);
        }
        if (bar >= p->n)
            break;
        /* the barrier: every token pushed before it must have been consumed */
        for (uint32_t c = 0; c < BPU_CH_COUNT; c++) {
            if (fs[c].head != fs[c].tail) {
                int64_t who = ws->fifo[c][fs[c].head].pusher;
                fail(err, who, bpu_op_name(p->insns[who].opcode),
                     "pushes a token that no instruction pops before the next barrier");
                st = BPU_E_INVALID;
                goto done;
            }
        }
        const bpu_insn *in = &p->insns[bar];
        uint64_t start = qclock[0];
        for (uint32_t q = 1; q < BPU_Q_COUNT; q++)
            start = qclock[q] > start ? qclock[q] : start;
        if (exec && (st = exec(user, in, (int64_t)bar, err)))
            goto done;
        uint64_t cyc = bpu_insn_cycles(in, m);
        for (uint32_t q = 0; q < BPU_Q_COUNT; q++)
            qclock[q] = start + cyc;
        ctr->op_cycles[in->opcode] += cyc;
        ctr->op_count[in->opcode]++;
        if (trace)
            trace(trace_user, &(bpu_trace_event){(int64_t)bar, in->opcode, BPU_Q_BARRIER, start,
                                                 start + cyc, 0, 0});
        if (in->opcode == BPU_OP_END) {
            ctr->end_code = in->u.end.code;
            ctr->cycles = start + cyc;
            break;
        }
        seg = bar + 1;
    }
done:
    return st;
}
