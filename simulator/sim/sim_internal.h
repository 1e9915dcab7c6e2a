/* Private to simulator/sim: the program object, the cycle model and the queue scheduler. */
#ifndef BPU_SIM_INTERNAL_H
#define BPU_SIM_INTERNAL_H

#include "bpu/sim.h"

/* Per-channel token FIFO: channel = producer queue and direction. */
typedef enum bpu_chan {
    BPU_CH_LD_EX = 0, /* LOAD push_next -> EXEC pop_prev */
    BPU_CH_EX_LD = 1, /* EXEC push_prev -> LOAD pop_next */
    BPU_CH_EX_ST = 2, /* EXEC push_next -> STORE pop_prev */
    BPU_CH_ST_EX = 3, /* STORE push_prev -> EXEC pop_next */
    BPU_CH_COUNT = 4
} bpu_chan;

typedef struct bpu_token {
    uint64_t time;  /* cycle the pushing instruction retired */
    int64_t pusher; /* instruction index, for error reports */
} bpu_token;

/* Scheduler workspace: one FIFO per channel, capacity = pushes in the whole program. */
typedef struct bpu_sched_ws {
    bpu_token *fifo[BPU_CH_COUNT];
    size_t cap[BPU_CH_COUNT];
} bpu_sched_ws;

struct bpu_program {
    bpu_march_id march;
    size_t n;
    bpu_insn *insns;
    size_t pushes[BPU_CH_COUNT];
    bpu_counters estimate;
    /* The issue order of the cycle model (instruction indices, n entries), recorded at load. It is
     * static, as every timing is a pure function of the fields, so bpu_sim_exec can replay it
     * without the scheduler and produce the data effects of bpu_sim_run exactly. */
    uint32_t *order;
    /* The largest CONV padded-copy scratch any instruction needs (bpu_conv_pad_scratch), bytes,
     * for NORMAL [0] and DEPTHWISE [1] CONVs; 0 when none pads with a nonzero value. A simulator
     * grows its scratch before a run to the largest of those its kernels do not pad natively. */
    size_t conv_pad_bytes[2];
};

/* Called for each instruction in a token-consistent issue order (NULL: estimate only). */
typedef bpu_status (*bpu_exec_fn)(void *user, const bpu_insn *in, int64_t index, bpu_error *err);

bpu_status bpu_sched_ws_init(bpu_sched_ws *ws, const size_t pushes[BPU_CH_COUNT]);
void bpu_sched_ws_free(bpu_sched_ws *ws);

bpu_status bpu_schedule(const bpu_program *p, const bpu_march *m, bpu_sched_ws *ws,
                        bpu_exec_fn exec, void *user, bpu_trace_fn trace, void *trace_user,
                        bpu_counters *ctr, bpu_error *err);

/* A CONV whose padded positions read a nonzero pad value (and that has some padding) runs in bands
 * of output rows, each from a dense padded copy of the input rows the band reads, on the same zero-
 * padding kernels. Returns the scratch bytes that copy needs (with the kernels' read slack), 0 when
 * the instruction needs none, and the band height in output rows (may be NULL). */
size_t bpu_conv_pad_scratch(const bpu_insn *in, uint32_t *band_rows);

/* Cycle cost and MAC count of one instruction: pure functions of its fields and the march. */
uint64_t bpu_insn_cycles(const bpu_insn *in, const bpu_march *m);
uint64_t bpu_insn_macs(const bpu_insn *in);

#endif
