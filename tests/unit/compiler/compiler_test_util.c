#include "compiler_test_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hbc/quant.h"

void ct_fill(float *x, size_t n, unsigned seed, float a)
{
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = a * ((float)(s >> 8) / (float)(1u << 23) - 1.0f);
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int ct_run(hbg_graph *g, bpu_march_id march, int olevel, int n_runs, const float *const *inputs,
           ct_stats *st, char *err, size_t errlen)
{
    return ct_run_goal(g, march, olevel, HBC_GOAL_LATENCY, n_runs, inputs, st, err, errlen);
}

int ct_run_goal(hbg_graph *g, bpu_march_id march, int olevel, hbc_cm_goal mode, int n_runs,
                const float *const *inputs, ct_stats *st, char *err, size_t errlen)
{
    hbc_compile_opts o = {march, olevel, mode};
    hbc_compiled *cm = NULL;
    hbc_qexec *q = NULL;
    int rc = -1;
    memset(st, 0, sizeof *st);
    if (hbc_compile(g, &o, &cm, err, errlen) != HBG_OK)
        goto out;
    st->subgraphs = cm->n_subgraphs;
    for (int n = 0; n < cm->n_nodes; n++) {
        st->bpu_nodes += cm->node_sub[n] >= 0;
        if (cm->node_why[n] && st->cpu_refused++ == 0)
            snprintf(st->first_refused, sizeof st->first_refused, "%s: %s",
                     hbg_node_label(g, &g->nodes[n]), cm->node_why[n]);
    }
    for (int s = 0; s < cm->n_subgraphs; s++) {
        st->const_bytes += cm->sub[s].const_bytes;
        st->program_bytes += cm->sub[s].program_bytes;
        st->scratch_bytes += cm->sub[s].seg_bytes[HBC_SEG_SCRATCH];
        for (int i = 0; i < cm->sub[s].n_inputs; i++)
            st->unscaled += cm->sub[s].inputs[i].n_scales == 0;
        for (int i = 0; i < cm->sub[s].n_outputs; i++)
            st->unscaled += cm->sub[s].outputs[i].n_scales == 0;
    }
    if (hbc_qexec_create(g, &q) != HBG_OK) {
        snprintf(err, errlen, "qexec: %s", g->err);
        goto out;
    }
    for (int r = 0; r < n_runs; r++) {
        for (int i = 0; i < g->n_inputs; i++) {
            hbg_tensor *t = g->tensors[g->inputs[i]];
            memcpy(t->data, inputs[r * g->n_inputs + i], (size_t)hbg_tensor_nbytes(t));
        }
        if (hbc_qexec_run(q) != HBG_OK) {
            snprintf(err, errlen, "qexec run: %s", g->err);
            goto out;
        }
        st->variants = 0;
        for (int isa = BPU_ISA_COUNT - 1; isa >= 0; isa--) {
            const bpu_kernels *k;
            hbc_check_result res;
            if (!bpu_isa_available((bpu_isa)isa) || bpu_kernels_get((bpu_isa)isa, &k, NULL))
                continue;
            double t0 = now_ms();
            if (hbc_compiled_check(g, cm, k, &res, err, errlen) != HBG_OK)
                goto out;
            double ms = now_ms() - t0;
            if (st->variants++ == 0 && (r == 0 || ms < st->wall_ms))
                st->wall_ms = ms; /* best variant, fastest run */
            st->elements += res.elements;
            if (res.mismatches && st->mismatches == 0)
                snprintf(st->first_mismatch, sizeof st->first_mismatch, "[%s] %s", k->name,
                         res.first_mismatch);
            st->mismatches += res.mismatches;
            st->last = res.total;
        }
    }
    rc = 0;
out:
    hbc_qexec_free(q);
    hbc_compiled_free(cm);
    return rc;
}
