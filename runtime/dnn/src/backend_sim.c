/* The `sim` backend: BPU steps run on the instruction-level simulator (simulator/include/bpu).
 * Programs are decoded and validated once per model; each context owns a simulator instance and
 * the DDR segment buffers of every BPU step, bound before each run. Segment 0 is a per-context copy
 * of the constants blob, so a program that stores into it cannot disturb another context. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bpu/sim.h"
#include "dnn/hb_dnn.h"

typedef struct sim_loaded {
    const hb_schedule *sched;
    uint32_t march;
    bpu_program **progs;       /* per step; NULL for non-BPU steps */
    const hbbin_blob **consts; /* per step; NULL when the step has no constants blob */
} sim_loaded;

typedef struct sim_ctx {
    const sim_loaded *l;
    bpu_sim *sim;
    uint8_t **seg; /* [step * 8 + seg]; NULL when unused */
} sim_ctx;

static void sim_unload(void *p)
{
    sim_loaded *l = p;
    if (!l)
        return;
    for (uint32_t k = 0; l->progs && k < l->sched->n_steps; k++)
        bpu_program_free(l->progs[k]);
    free(l->progs);
    free(l->consts);
    free(l);
}

static int32_t sim_load(const hbbin_model *m, uint32_t march, const hb_schedule *s, void **out,
                        uint64_t *estimate_cycles, uint32_t *clock_mhz, char *err, size_t errsz)
{
    int32_t rc = HB_DNN_OUT_OF_MEMORY;
    sim_loaded *l = calloc(1, sizeof *l);
    const bpu_march *bm = bpu_march_get((bpu_march_id)march);
    *estimate_cycles = 0;
    *clock_mhz = bm ? bm->clock_mhz : 0;
    if (!l || !(l->progs = calloc(s->n_steps, sizeof *l->progs)) ||
        !(l->consts = calloc(s->n_steps, sizeof *l->consts))) {
        snprintf(err, errsz, "model '%s': out of memory", m->name);
        goto out;
    }
    l->sched = s;
    l->march = march;
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
    sim_unload(l);
    return rc;
}

static void sim_ctx_free(void *p)
{
    sim_ctx *c = p;
    if (!c)
        return;
    for (uint32_t i = 0; c->seg && i < c->l->sched->n_steps * HB_SCHED_SEGMENTS; i++)
        free(c->seg[i]);
    free(c->seg);
    bpu_sim_destroy(c->sim);
    free(c);
}

static int32_t sim_ctx_create(void *loaded, void **out, char *err, size_t errsz)
{
    const sim_loaded *l = loaded;
    const hb_schedule *s = l->sched;
    sim_ctx *c = calloc(1, sizeof *c);
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
    sim_ctx_free(c);
    return rc;
}

static uint8_t *sim_segment(void *ctx, uint32_t step, uint32_t seg)
{
    sim_ctx *c = ctx;
    return c->seg[step * HB_SCHED_SEGMENTS + seg];
}

static int32_t sim_run(void *ctx, uint32_t step, uint64_t *cycles, char *err, size_t errsz)
{
    sim_ctx *c = ctx;
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
    bpu_counters ctr;
    if (bpu_sim_run(c->sim, c->l->progs[step], &ctr, &be) != BPU_OK) {
        snprintf(err, errsz, "BPU step %u (program %u): instruction %lld: %s", step, st->blob,
                 (long long)be.insn, be.msg);
        return HB_DNN_RUN_TASK_FAILED;
    }
    *cycles = ctr.cycles;
    return 0;
}

const hb_backend hb_backend_sim = {
    .name = "sim",
    .load = sim_load,
    .unload = sim_unload,
    .ctx_create = sim_ctx_create,
    .ctx_free = sim_ctx_free,
    .segment = sim_segment,
    .run = sim_run,
};
