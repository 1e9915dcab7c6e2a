/* hbc_compiled_check: every BPU subgraph on the simulator against the integer reference
 * executor's tensors, bit for bit (compiler.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler_priv.h"

/* Offset in the graph's NCHW (or [N, C]) buffer of map element (y, x, ch). */
static size_t logical_index(const hbc_cm_tensor *d, uint32_t y, uint32_t x, uint32_t ch)
{
    if (d->layout == HBC_CM_NHWC)
        return ((size_t)ch * d->h + y) * d->w + x;
    return ((size_t)y * d->w + x) * d->c + ch;
}

static void pack(const hbc_cm_tensor *d, const uint8_t *src, uint8_t *seg)
{
    for (uint32_t y = 0; y < d->h; y++)
        for (uint32_t x = 0; x < d->w; x++)
            for (uint32_t ch = 0; ch < d->c; ch++)
                memcpy(seg + d->offset + (size_t)y * d->row + (size_t)x * d->px +
                           (size_t)ch * d->elem,
                       src + logical_index(d, y, x, ch) * d->elem, d->elem);
}

/* Compare the map in seg with the reference; counts mismatches, describes the first. */
static void compare(const hbc_cm_tensor *d, const uint8_t *ref, const uint8_t *seg,
                    hbc_check_result *res)
{
    for (uint32_t y = 0; y < d->h; y++)
        for (uint32_t x = 0; x < d->w; x++)
            for (uint32_t ch = 0; ch < d->c; ch++) {
                size_t li = logical_index(d, y, x, ch);
                const uint8_t *a =
                    seg + d->offset + (size_t)y * d->row + (size_t)x * d->px + (size_t)ch * d->elem;
                const uint8_t *b = ref + li * d->elem;
                res->elements++;
                if (memcmp(a, b, d->elem) == 0)
                    continue;
                if (res->mismatches++ == 0) {
                    int32_t va = 0, vb = 0;
                    if (d->elem == 1) {
                        va = (int8_t)a[0], vb = (int8_t)b[0];
                    } else {
                        memcpy(&va, a, 4);
                        memcpy(&vb, b, 4);
                    }
                    snprintf(res->first_mismatch, sizeof res->first_mismatch,
                             "%s[%zu] (y %u, x %u, c %u): bpu %d, reference %d", d->name, li, y, x,
                             ch, (int)va, (int)vb);
                }
            }
}

static void add_counters(bpu_counters *t, const bpu_counters *c)
{
    t->clock_mhz = c->clock_mhz;
    t->cycles += c->cycles;
    for (int q = 0; q < BPU_Q_COUNT; q++)
        t->queue_busy[q] += c->queue_busy[q];
    for (int o = 0; o < BPU_OP_COUNT; o++)
        t->op_cycles[o] += c->op_cycles[o], t->op_count[o] += c->op_count[o];
    t->macs += c->macs;
    t->ddr_load_bytes += c->ddr_load_bytes;
    t->ddr_store_bytes += c->ddr_store_bytes;
    t->sram_peak = c->sram_peak > t->sram_peak ? c->sram_peak : t->sram_peak;
    t->end_code = c->end_code;
}

static hbg_status fail(char *err, size_t n, hbg_status st, const char *what, const char *msg)
{
    if (err && n)
        snprintf(err, n, "%s: %s", what, msg);
    return st;
}

hbg_status hbc_compiled_check(hbg_graph *g, const hbc_compiled *cm, const bpu_kernels *kernels,
                              hbc_check_result *res, char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    bpu_sim *sim = NULL;
    bpu_program *prog = NULL;
    bpu_error be;
    uint8_t *seg[BPU_SEGMENTS] = {NULL};
    char what[64];
    if (err && errlen)
        err[0] = '\0';
    if (!g || !cm || !res)
        return fail(err, errlen, HBG_E_INVALID, "hbc_compiled_check", "NULL argument");
    memset(res, 0, sizeof *res);
    if (bpu_sim_create(cm->march, kernels, &sim, &be) != BPU_OK)
        return fail(err, errlen, HBG_E_UNSUPPORTED, "simulator", be.msg);
    for (int s = 0; s < cm->n_subgraphs; s++) {
        const hbc_cm_subgraph *sg = &cm->sub[s];
        snprintf(what, sizeof what, "subgraph %d", s);
        for (int k = 0; k < BPU_SEGMENTS; k++) {
            free(seg[k]);
            seg[k] = NULL;
            if (!sg->seg_bytes[k])
                continue;
            seg[k] = calloc(sg->seg_bytes[k], 1);
            if (!seg[k]) {
                st = fail(err, errlen, HBG_E_NOMEM, what, "out of memory");
                goto out;
            }
            if (k == HBC_SEG_CONST)
                memcpy(seg[k], sg->consts, sg->const_bytes);
        }
        for (int i = 0; i < sg->n_inputs; i++) {
            int t = hbg_graph_find_tensor(g, sg->inputs[i].name);
            if (t < 0 || !g->tensors[t]->data) {
                st = fail(err, errlen, HBG_E_INVALID, sg->inputs[i].name,
                          "input has no reference data (run the integer executor first)");
                goto out;
            }
            pack(&sg->inputs[i], g->tensors[t]->data, seg[HBC_SEG_INPUT]);
        }
        for (uint32_t k = 0; k < BPU_SEGMENTS; k++)
            bpu_sim_set_segment(sim, k, seg[k], seg[k] ? sg->seg_bytes[k] : 0, NULL);
        bpu_counters ctr;
        if (bpu_program_load(sg->program, sg->program_bytes, cm->march, &prog, &be) != BPU_OK ||
            bpu_sim_run(sim, prog, &ctr, &be) != BPU_OK) {
            char msg[320];
            snprintf(msg, sizeof msg, "instruction %lld: %s", (long long)be.insn, be.msg);
            st = fail(err, errlen, HBG_E_INVALID, what, msg);
            goto out;
        }
        bpu_program_free(prog);
        prog = NULL;
        add_counters(&res->total, &ctr);
        for (int i = 0; i < sg->n_outputs; i++) {
            int t = hbg_graph_find_tensor(g, sg->outputs[i].name);
            if (t < 0 || !g->tensors[t]->data) {
                st = fail(err, errlen, HBG_E_INVALID, sg->outputs[i].name,
                          "output has no reference data");
                goto out;
            }
            compare(&sg->outputs[i], g->tensors[t]->data, seg[HBC_SEG_OUTPUT], res);
        }
        res->subgraphs++;
    }
out:
    bpu_program_free(prog);
    for (int k = 0; k < BPU_SEGMENTS; k++)
        free(seg[k]);
    bpu_sim_destroy(sim);
    return st;
}
