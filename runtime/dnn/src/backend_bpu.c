/* The backends that run BPU programs on this CPU (backend.h): programs are decoded and validated
 * once per model; each context owns a simulator instance and the DDR segment buffers of every BPU
 * step, bound before each run. Segment 0 is a per-context copy of the constants blob, so a program
 * that stores into it cannot disturb another context.
 *   sim:   bpu_sim_run, the cycle model issuing every instruction; counters are the run's own, and
 *          HB_DNN_SIM_TRACE=FILE appends one line per instruction to FILE.
 *   board: bpu_sim_exec, the static issue order replayed without the scheduler (same data
 *          effects, bit for bit); counters are the program's static estimate, which the cycle
 *          model equals by construction. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "bpu/sim.h"
#include "dnn/hb_dnn.h"
#include "dnn_internal.h"

typedef struct be_loaded {
    const char *model; /* name, for the trace */
    int traced;        /* holds a reference on the trace file */
    const hb_schedule *sched;
    uint32_t march;
    bpu_program **progs;       /* per step; NULL for non-BPU steps */
    const hbbin_blob **consts; /* per step; NULL when the step has no constants blob */
} be_loaded;

typedef struct be_ctx {
    const be_loaded *l;
    bpu_sim *sim;
    uint8_t **seg; /* [step * 8 + seg]; NULL when unused */
    uint32_t step; /* step being run, for the trace */
} be_ctx;

/* The trace file of HB_DNN_SIM_TRACE: opened (append) when the first traced model loads, closed
 * when the last one unloads; a traced run holds the lock, so runs never interleave in it. */
static struct {
    pthread_mutex_t lock;
    FILE *f;
    int refs;
} g_trace = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

static int trace_acquire(char *err, size_t errsz)
{
    const char *path = getenv("HB_DNN_SIM_TRACE");
    int rc = 0;
    if (!path || !*path)
        return 0;
    pthread_mutex_lock(&g_trace.lock);
    if (!g_trace.refs && !(g_trace.f = fopen(path, "a"))) {
        snprintf(err, errsz, "HB_DNN_SIM_TRACE: cannot open '%s' for appending", path);
        rc = -1;
    } else {
        g_trace.refs++;
        rc = 1;
    }
    pthread_mutex_unlock(&g_trace.lock);
    return rc;
}

static void trace_release(void)
{
    pthread_mutex_lock(&g_trace.lock);
    if (--g_trace.refs == 0) {
        fclose(g_trace.f);
        g_trace.f = NULL;
    }
    pthread_mutex_unlock(&g_trace.lock);
}

static const char *const queue_names[] = {[BPU_Q_LOAD] = "load",
                                          [BPU_Q_EXEC] = "exec",
                                          [BPU_Q_STORE] = "store",
                                          [BPU_Q_BARRIER] = "barrier"};

/* One line per retired instruction (docs/runtime-api.md): model, step, index, opcode, queue,
 * start and end cycle from the start of the step's program. */
static void trace_line(void *user, const bpu_trace_event *ev)
{
    const be_ctx *c = user;
    fprintf(g_trace.f, "%s step %u insn %lld %s %s %llu %llu\n", c->l->model, c->step,
            (long long)ev->index, bpu_op_name(ev->opcode),
            ev->queue <= BPU_Q_BARRIER ? queue_names[ev->queue] : "?",
            (unsigned long long)ev->start, (unsigned long long)ev->end);
}

static void be_unload(void *p)
{
    be_loaded *l = p;
    if (!l)
        return;
    for (uint32_t k = 0; l->progs && k < l->sched->n_steps; k++)
        bpu_program_free(l->progs[k]);
    if (l->traced)
        trace_release();
    free(l->progs);
    free(l->consts);
    free(l);
}

static int32_t be_load(const hbbin_model *m, uint32_t march, const hb_schedule *s, int trace,
                       void **out, uint64_t *estimate_cycles, uint32_t *clock_mhz, char *err,
                       size_t errsz)
{
    int32_t rc = HB_DNN_OUT_OF_MEMORY;
    be_loaded *l = calloc(1, sizeof *l);
    const bpu_march *bm = bpu_march_get((bpu_march_id)march);
    *estimate_cycles = 0;
    *clock_mhz = bm ? bm->clock_mhz : 0;
    if (!l || !(l->progs = calloc(s->n_steps, sizeof *l->progs)) ||
        !(l->consts = calloc(s->n_steps, sizeof *l->consts))) {
        snprintf(err, errsz, "model '%s': out of memory", m->name);
        goto out;
    }
    l->model = m->name;
    l->sched = s;
    l->march = march;
    if (trace) {
        int t = trace_acquire(err, errsz);
        if (t < 0) {
            rc = HB_DNN_CAN_NOT_OPEN_FILE;
            goto out;
        }
        l->traced = t;
    }
    for (uint32_t k = 0; k < s->n_steps; k++) {
        const hb_sched_step *st = &s->steps[k];
        if (st->kind != HB_STEP_BPU)
            continue;
        const hbbin_blob *pb = hb_find_blob(m, HBBIN_SEC_BPU_PROGRAM, st->blob);
        bpu_error be = {-1, ""};
        bpu_status bs =
            bpu_program_load(pb->data, (size_t)pb->size, (bpu_march_id)march, &l->progs[k], &be);
        if (bs != BPU_OK) {
            snprintf(err, errsz, "model '%s': BPU program %u: %s", m->name, st->blob, be.msg);
            rc = bs == BPU_E_NOMEM ? HB_DNN_OUT_OF_MEMORY : HB_DNN_INVALID_MODEL;
            goto out;
        }
        l->consts[k] = hb_find_blob(m, HBBIN_SEC_CONSTANTS, st->blob);
        *estimate_cycles += bpu_program_estimate(l->progs[k])->cycles;
    }
    *out = l;
    l = NULL;
    rc = 0;
out:
    be_unload(l);
    return rc;
}

static int32_t sim_load(const hbbin_model *m, uint32_t march, const hb_schedule *s, void **out,
                        uint64_t *estimate_cycles, uint32_t *clock_mhz, char *err, size_t errsz)
{
    return be_load(m, march, s, 1, out, estimate_cycles, clock_mhz, err, errsz);
}

static int32_t board_load(const hbbin_model *m, uint32_t march, const hb_schedule *s, void **out,
                          uint64_t *estimate_cycles, uint32_t *clock_mhz, char *err, size_t errsz)
{
    const char *path = getenv("HB_DNN_SIM_TRACE");
    if (path && *path)
        hb_dnn_log(HB_LOG_WARN,
                   "model '%s': HB_DNN_SIM_TRACE is ignored by the board backend "
                   "(it has no cycle model); use HB_DNN_BACKEND=sim to trace",
                   m->name);
    return be_load(m, march, s, 0, out, estimate_cycles, clock_mhz, err, errsz);
}

static void be_ctx_free(void *p)
{
    be_ctx *c = p;
    if (!c)
        return;
    for (uint32_t i = 0; c->seg && i < c->l->sched->n_steps * HB_SCHED_SEGMENTS; i++)
        free(c->seg[i]);
    free(c->seg);
    bpu_sim_destroy(c->sim);
    free(c);
}

static int32_t be_ctx_create(void *loaded, void **out, char *err, size_t errsz)
{
    const be_loaded *l = loaded;
    const hb_schedule *s = l->sched;
    be_ctx *c = calloc(1, sizeof *c);
    int32_t rc = HB_DNN_OUT_OF_MEMORY;
    bpu_error be = {-1, ""};
    if (!c || !(c->seg = calloc((size_t)s->n_steps * HB_SCHED_SEGMENTS, sizeof *c->seg)))
        goto nomem;
    c->l = l;
    if (bpu_sim_create((bpu_march_id)l->march, NULL, &c->sim, &be) != BPU_OK) {
        snprintf(err, errsz, "simulator: %s", be.msg);
        rc = HB_DNN_RUN_TASK_FAILED;
        goto fail;
    }
    for (uint32_t k = 0; k < s->n_steps; k++) {
        if (s->steps[k].kind != HB_STEP_BPU)
            continue;
        for (uint32_t g = 0; g < HB_SCHED_SEGMENTS; g++) {
            size_t n =
                g ? s->steps[k].seg_bytes[g] : (l->consts[k] ? (size_t)l->consts[k]->size : 0);
            if (!n)
                continue;
            uint8_t *b = calloc(1, n);
            if (!b)
                goto nomem;
            c->seg[k * HB_SCHED_SEGMENTS + g] = b;
            if (!g)
                memcpy(b, l->consts[k]->data, n);
        }
    }
    *out = c;
    return 0;
nomem:
    snprintf(err, errsz, "out of memory creating an execution context");
fail:
    be_ctx_free(c);
    return rc;
}

static uint8_t *be_segment(void *ctx, uint32_t step, uint32_t seg)
{
    be_ctx *c = ctx;
    return c->seg[step * HB_SCHED_SEGMENTS + seg];
}

/* Bind the segments of step `step` to the simulator of context c. */
static int32_t bind_segments(be_ctx *c, uint32_t step, char *err, size_t errsz)
{
    const hb_sched_step *st = &c->l->sched->steps[step];
    bpu_error be = {-1, ""};
    for (uint32_t g = 0; g < HB_SCHED_SEGMENTS; g++) {
        size_t n =
            g ? st->seg_bytes[g] : (c->l->consts[step] ? (size_t)c->l->consts[step]->size : 0);
        uint8_t *b = c->seg[step * HB_SCHED_SEGMENTS + g];
        if (bpu_sim_set_segment(c->sim, g, b, b ? n : 0, &be) != BPU_OK) {
            snprintf(err, errsz, "BPU step %u: segment %u: %s", step, g, be.msg);
            return HB_DNN_RUN_TASK_FAILED;
        }
    }
    return 0;
}

static void add_stats(hb_bpu_stats *s, const bpu_counters *c)
{
    s->cycles += c->cycles;
    s->macs += c->macs;
    s->ddr_load_bytes += c->ddr_load_bytes;
    s->ddr_store_bytes += c->ddr_store_bytes;
    s->steps++;
}

static int32_t run_failed(const be_ctx *c, uint32_t step, const bpu_error *be, char *err,
                          size_t errsz)
{
    snprintf(err, errsz, "BPU step %u (program %u): instruction %lld: %s", step,
             c->l->sched->steps[step].blob, (long long)be->insn, be->msg);
    return HB_DNN_RUN_TASK_FAILED;
}

static int32_t sim_run(void *ctx, uint32_t step, hb_bpu_stats *stats, char *err, size_t errsz)
{
    be_ctx *c = ctx;
    bpu_error be = {-1, ""};
    bpu_counters ctr;
    int32_t rc = bind_segments(c, step, err, errsz);
    if (rc)
        return rc;
    if (c->l->traced) {
        pthread_mutex_lock(&g_trace.lock);
        c->step = step;
        bpu_sim_set_trace(c->sim, trace_line, c);
    }
    bpu_status bs = bpu_sim_run(c->sim, c->l->progs[step], &ctr, &be);
    if (c->l->traced) {
        bpu_sim_set_trace(c->sim, NULL, NULL);
        fflush(g_trace.f);
        pthread_mutex_unlock(&g_trace.lock);
    }
    if (bs != BPU_OK)
        return run_failed(c, step, &be, err, errsz);
    add_stats(stats, &ctr);
    return 0;
}

static int32_t board_run(void *ctx, uint32_t step, hb_bpu_stats *stats, char *err, size_t errsz)
{
    be_ctx *c = ctx;
    bpu_error be = {-1, ""};
    int32_t rc = bind_segments(c, step, err, errsz);
    if (rc)
        return rc;
    if (bpu_sim_exec(c->sim, c->l->progs[step], &be) != BPU_OK)
        return run_failed(c, step, &be, err, errsz);
    add_stats(stats, bpu_program_estimate(c->l->progs[step]));
    return 0;
}

const hb_backend hb_backend_sim = {
    .name = "sim",
    .load = sim_load,
    .unload = be_unload,
    .ctx_create = be_ctx_create,
    .ctx_free = be_ctx_free,
    .segment = be_segment,
    .run = sim_run,
};

const hb_backend hb_backend_board = {
    .name = "board",
    .load = board_load,
    .unload = be_unload,
    .ctx_create = be_ctx_create,
    .ctx_free = be_ctx_free,
    .segment = be_segment,
    .run = board_run,
};

#ifndef HB_DNN_DEFAULT_BACKEND
#define HB_DNN_DEFAULT_BACKEND "sim"
#endif

int32_t hb_backend_select(const hb_backend **out, char *err, size_t errsz)
{
    static const hb_backend *const all[] = {&hb_backend_sim, &hb_backend_board};
    const char *v = getenv("HB_DNN_BACKEND");
    if (!v || !*v)
        v = HB_DNN_DEFAULT_BACKEND;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(v, all[i]->name) == 0) {
            *out = all[i];
            return 0;
        }
    snprintf(err, errsz, "HB_DNN_BACKEND='%s' is not 'sim' or 'board'", v);
    return HB_DNN_INVALID_ARGUMENT;
}
