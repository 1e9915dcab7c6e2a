/* Whole-network simulation speed (docs/benchmarks.md, tests/bench/run_sim_bench.sh): a float ONNX
 * model (tests/bench/gen_models.py's MobileNetV1-224) is calibrated with absmax thresholds over
 * two seeded pseudo-random inputs in [-1, 1], quantised (hbc_quantize), compiled for bayes-e O3,
 * checked bit for bit against the integer reference executor under the kernel variant chosen
 * (HB_ISA or the best), then its BPU subgraphs are run on one simulator, one thread, and timed:
 *   - total: median and minimum over N runs of the host wall time of bpu_sim_run over every
 *     subgraph, and the same for the thread's CPU time (not inflated by other load);
 *   - split: N more runs with the simulator's host profile attached (bpu_sim_set_profile), per run:
 *     CONV kernels, separate CONV requantisation, the rest of CONV (parameter reads), DMA
 *     (LOAD/STORE), vector ops (EWISE/POOL/LUT/RESIZE/REQUANT/COPY/FILL/CVTIMG), and dispatch =
 *     the profiled run's time - the sum of those (scheduling, token FIFOs, the clock reads).
 * The board backend's replay (bpu_sim_exec: recorded issue order, no scheduler or counters) is
 * timed alternating with the first configuration ("board median ...").
 * When the variant has fused CONV + requantiser kernels, the same variant without them ("unfused":
 * int32 bands requantised separately) is timed too, alternating run by run with the fused one.
 *
 * usage: bench_sim_network MODEL.onnx [--runs N] [--save-quantized OUT.onnx]
 * Prints "sim median X ms min Y ms ..." and the split, one line each (the script parses them). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hbc/compiler.h"
#include "hbc/onnx_io.h"
#include "hbc/quant.h"
#include "hbg/exec.h"

#define CAL_RUNS 2

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Deterministic pseudo-random floats in [-1, 1] (as tests/unit/compiler's ct_fill). */
static void fill(float *x, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f;
    }
}

/* CPU time of this thread: unlike wall time, not inflated while other processes hold the core */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Absolute maximum of every float activation over the inputs. */
static int calibrate(hbg_graph *g, float **in, hbc_calib_table *tab)
{
    hbg_exec *e = NULL;
    int rc = -1;
    double *amax = calloc((size_t)g->n_tensors, sizeof *amax);
    if (!amax || hbg_exec_create(g, &e) != HBG_OK)
        goto out;
    hbg_tensor *x = g->tensors[g->inputs[0]];
    for (int r = 0; r < CAL_RUNS; r++) {
        memcpy(x->data, in[r], (size_t)hbg_tensor_nbytes(x));
        if (hbg_exec_run(e) != HBG_OK)
            goto out;
        for (int t = 0; t < g->n_tensors; t++) {
            const hbg_tensor *v = g->tensors[t];
            if (v->is_const || v->dtype != HBG_DT_F32 || !v->data)
                continue;
            const float *f = v->data;
            for (int64_t i = 0; i < hbg_tensor_numel(v); i++)
                if (fabs((double)f[i]) > amax[t])
                    amax[t] = fabs((double)f[i]);
        }
    }
    for (int t = 0; t < g->n_tensors; t++)
        if (!g->tensors[t]->is_const && g->tensors[t]->dtype == HBG_DT_F32 &&
            hbc_calib_table_set(tab, g->tensors[t]->name, amax[t] > 0 ? amax[t] : 1.0,
                                HBC_CALIB_MAX) != HBG_OK)
            goto out;
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "bench_sim_network: calibration failed: %s\n", g->err);
    hbg_exec_free(e);
    free(amax);
    return rc;
}

/* The reference tensor (NCHW or row-major) into its DDR map (compiler.h, hbc_cm_tensor). */
static void pack(const hbc_cm_tensor *d, const uint8_t *src, uint8_t *seg)
{
    for (uint32_t y = 0; y < d->h; y++)
        for (uint32_t x = 0; x < d->w; x++)
            for (uint32_t ch = 0; ch < d->c; ch++) {
                size_t li = d->layout == HBC_CM_NHWC ? ((size_t)ch * d->h + y) * d->w + x
                                                     : ((size_t)y * d->w + x) * d->c + ch;
                memcpy(seg + d->offset + (size_t)y * d->row + (size_t)x * d->px +
                           (size_t)ch * d->elem,
                       src + li * d->elem, d->elem);
            }
}

/* Every subgraph once, in order; segment buffers of subgraph s are seg[s][k]. replay: run with
 * bpu_sim_exec (the board backend's way: the recorded issue order, no cycle model). */
static int run_all(bpu_sim *sim, const hbc_compiled *cm, bpu_program **prog, uint8_t *(*seg)[8],
                   int replay)
{
    for (int s = 0; s < cm->n_subgraphs; s++) {
        bpu_error be;
        bpu_counters ctr;
        for (uint32_t k = 0; k < BPU_SEGMENTS; k++)
            bpu_sim_set_segment(sim, k, seg[s][k], seg[s][k] ? cm->sub[s].seg_bytes[k] : 0, NULL);
        if ((replay ? bpu_sim_exec(sim, prog[s], &be) : bpu_sim_run(sim, prog[s], &ctr, &be)) !=
            BPU_OK) {
            fprintf(stderr, "bench_sim_network: subgraph %d: %s\n", s, be.msg);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *save = NULL;
    int runs = 50, rc = 1;
    char err[512];
    hbg_graph *fg = NULL, *qg = NULL;
    hbc_calib_table tab = {0, 0, NULL};
    hbc_compiled *cm = NULL;
    hbc_qexec *q = NULL;
    bpu_sim *sim = NULL, *sim2 = NULL;
    bpu_program **prog = NULL;
    uint8_t *(*seg)[8] = NULL;
    double *t = NULL, *tc = NULL;
    float *in[CAL_RUNS] = {NULL};
    _Static_assert(BPU_SEGMENTS == 8, "seg rows");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--save-quantized") == 0 && i + 1 < argc)
            save = argv[++i];
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else {
            fprintf(stderr, "usage: %s MODEL.onnx [--runs N] [--save-quantized OUT.onnx]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!model || runs < 1) {
        fprintf(stderr, "usage: %s MODEL.onnx [--runs N>0] [--save-quantized OUT.onnx]\n", argv[0]);
        return 2;
    }
    if (hbc_onnx_load_file(model, &fg, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: %s\n", err);
        goto out;
    }
    if (hbg_graph_validate(fg, 1) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: %s: %s\n", model, fg->err);
        goto out;
    }
    size_t n = (size_t)hbg_tensor_numel(fg->tensors[fg->inputs[0]]);
    for (int r = 0; r < CAL_RUNS; r++) {
        if (!(in[r] = malloc(n * sizeof(float))))
            goto nomem;
        fill(in[r], n, 11u + (unsigned)r);
    }
    if (calibrate(fg, in, &tab))
        goto out;
    if (hbc_quantize(fg, &tab, NULL, &qg, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: hbc_quantize: %s\n", err);
        goto out;
    }
    if (save && hbc_onnx_save_file(qg, save, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: %s\n", err);
        goto out;
    }
    hbc_compile_opts o = {BPU_MARCH_BAYES_E, 3, HBC_GOAL_LATENCY};
    if (hbc_compile(qg, &o, &cm, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: hbc_compile: %s\n", err);
        goto out;
    }
    if (hbc_qexec_create(qg, &q) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: qexec: %s\n", qg->err);
        goto out;
    }
    hbg_tensor *x = qg->tensors[qg->inputs[0]];
    memcpy(x->data, in[0], (size_t)hbg_tensor_nbytes(x));
    if (hbc_qexec_run(q) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: qexec run: %s\n", qg->err);
        goto out;
    }
    /* the timed programs must be right: bit-exact with the reference under the chosen variant */
    hbc_check_result res;
    if (hbc_compiled_check(qg, cm, NULL, &res, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "bench_sim_network: check: %s\n", err);
        goto out;
    }
    if (res.mismatches) {
        fprintf(stderr, "bench_sim_network: %lld of %lld outputs differ from the reference: %s\n",
                (long long)res.mismatches, (long long)res.elements, res.first_mismatch);
        goto out;
    }
    bpu_error be;
    if (bpu_sim_create(cm->march, NULL, &sim, &be) != BPU_OK) {
        fprintf(stderr, "bench_sim_network: %s\n", be.msg);
        goto out;
    }
    prog = calloc((size_t)cm->n_subgraphs, sizeof *prog);
    seg = calloc((size_t)cm->n_subgraphs, sizeof *seg);
    t = malloc(3 * (size_t)runs * sizeof *t);
    tc = malloc(2 * (size_t)runs * sizeof *tc);
    if (!prog || !seg || !t || !tc)
        goto nomem;
    size_t n_insns = 0;
    for (int s = 0; s < cm->n_subgraphs; s++) {
        const hbc_cm_subgraph *sg = &cm->sub[s];
        for (int k = 0; k < BPU_SEGMENTS; k++) {
            if (!sg->seg_bytes[k])
                continue;
            if (!(seg[s][k] = calloc(sg->seg_bytes[k], 1)))
                goto nomem;
            if (k == HBC_SEG_CONST)
                memcpy(seg[s][k], sg->consts, sg->const_bytes);
        }
        for (int i = 0; i < sg->n_inputs; i++) {
            int ti = hbg_graph_find_tensor(qg, sg->inputs[i].name);
            if (ti < 0 || !qg->tensors[ti]->data) {
                fprintf(stderr, "bench_sim_network: no data for input %s\n", sg->inputs[i].name);
                goto out;
            }
            pack(&sg->inputs[i], qg->tensors[ti]->data, seg[s][HBC_SEG_INPUT]);
        }
        if (bpu_program_load(sg->program, sg->program_bytes, cm->march, &prog[s], &be) != BPU_OK) {
            fprintf(stderr, "bench_sim_network: subgraph %d: %s\n", s, be.msg);
            goto out;
        }
        n_insns += bpu_program_size(prog[s]);
    }
    /* the chosen variant as is, and the same with its fused CONV + requantiser kernels removed
     * (the executor then requantises each int32 band separately): the "before" of the fusion,
     * measured in the same run */
    bpu_kernels unfused = *bpu_sim_kernels(sim);
    unfused.conv_rq = NULL;
    unfused.dwconv_rq = NULL;
    if (bpu_sim_create(cm->march, &unfused, &sim2, &be) != BPU_OK) {
        fprintf(stderr, "bench_sim_network: %s\n", be.msg);
        goto out;
    }
    int has_fused = bpu_sim_kernels(sim)->conv_rq || bpu_sim_kernels(sim)->dwconv_rq;
    printf("model %s: %d BPU subgraph(s), %zu instructions, kernels %s, %lld outputs bit-exact\n",
           model, cm->n_subgraphs, n_insns, bpu_sim_kernels(sim)->name, (long long)res.elements);
    printf("modelled BPU time %.3f ms (%llu cycles at %u MHz), %llu MACs\n",
           (double)res.total.cycles / (res.total.clock_mhz * 1000.0),
           (unsigned long long)res.total.cycles, res.total.clock_mhz,
           (unsigned long long)res.total.macs);
    int nv = 1 + has_fused;
    bpu_sim *sv[2] = {sim, sim2};
    bpu_host_profile prof[2];
    memset(prof, 0, sizeof prof);
    double profiled[2] = {0, 0};
    for (int v = 0; v < nv; v++)
        if (run_all(sv[v], cm, prog, seg, 0)) /* warm-up */
            goto out;
    double *tb = t + 2 * (size_t)runs; /* the board backend's replay, same kernels as sv[0] */
    /* the configurations alternate run by run, so both see the same machine load */
    for (int r = 0; r < runs; r++)
        for (int v = 0; v < nv; v++) {
            double t0 = now_ms(), c0 = cpu_ms();
            if (run_all(sv[v], cm, prog, seg, 0))
                goto out;
            t[v * runs + r] = now_ms() - t0;
            tc[v * runs + r] = cpu_ms() - c0;
            if (v == 0) {
                t0 = now_ms();
                if (run_all(sim, cm, prog, seg, 1))
                    goto out;
                tb[r] = now_ms() - t0;
            }
        }
    for (int r = 0; r < runs; r++)
        for (int v = 0; v < nv; v++) {
            bpu_sim_set_profile(sv[v], &prof[v]);
            double t0 = now_ms();
            if (run_all(sv[v], cm, prog, seg, 0))
                goto out;
            profiled[v] += (now_ms() - t0) / runs;
            bpu_sim_set_profile(sv[v], NULL);
        }
    for (int v = 0; v < nv; v++) {
        double *tv = t + (size_t)v * runs;
        double *tcv = tc + (size_t)v * runs;
        qsort(tv, (size_t)runs, sizeof *t, cmp_double);
        qsort(tcv, (size_t)runs, sizeof *t, cmp_double);
        double per = 1e-6 / runs; /* ns summed over runs -> ms per run */
        const bpu_host_profile *pf = &prof[v];
        double conv = (double)pf->conv_kernel_ns * per, rq = (double)pf->conv_requant_ns * per;
        double conv_other = (double)pf->op_ns[BPU_OP_CONV] * per - conv - rq;
        double dma = (double)(pf->op_ns[BPU_OP_LOAD] + pf->op_ns[BPU_OP_STORE]) * per;
        double vec = 0;
        static const int vec_ops[] = {BPU_OP_EWISE,   BPU_OP_POOL, BPU_OP_RESIZE, BPU_OP_LUT,
                                      BPU_OP_REQUANT, BPU_OP_COPY, BPU_OP_FILL,   BPU_OP_CVTIMG};
        for (size_t i = 0; i < sizeof vec_ops / sizeof vec_ops[0]; i++)
            vec += (double)pf->op_ns[vec_ops[i]] * per;
        const char *what = v == 0 ? "" : "unfused ";
        printf("%ssim median %.3f ms min %.3f ms over %d runs; thread CPU time median %.3f ms min "
               "%.3f ms\n",
               what, tv[runs / 2], tv[0], runs, tcv[runs / 2], tcv[0]);
        double disp = profiled[v] - conv - rq - conv_other - dma - vec, pc = 100.0 / profiled[v];
        printf("%ssplit (profiled runs, %.3f ms each; shares of that): conv kernels %.3f ms "
               "(%.1f%%), conv requant %.3f ms (%.1f%%), conv other %.3f ms (%.1f%%), DMA %.3f ms "
               "(%.1f%%), vector %.3f ms (%.1f%%: ewise %.3f, pool %.3f, lut %.3f, copy %.3f), "
               "dispatch %.3f ms (%.1f%%, the rest)\n",
               what, profiled[v], conv, conv * pc, rq, rq * pc, conv_other, conv_other * pc, dma,
               dma * pc, vec, vec * pc, (double)pf->op_ns[BPU_OP_EWISE] * per,
               (double)pf->op_ns[BPU_OP_POOL] * per, (double)pf->op_ns[BPU_OP_LUT] * per,
               (double)pf->op_ns[BPU_OP_COPY] * per, disp, disp * pc);
    }
    qsort(tb, (size_t)runs, sizeof *tb, cmp_double);
    printf("board median %.3f ms min %.3f ms over %d runs (bpu_sim_exec, alternating with sim; "
           "sim / board medians %.3f)\n",
           tb[runs / 2], tb[0], runs, t[runs / 2] / tb[runs / 2]);
    rc = 0;
    goto out;
nomem:
    fprintf(stderr, "bench_sim_network: out of memory\n");
out:
    if (seg)
        for (int s = 0; s < cm->n_subgraphs; s++)
            for (int k = 0; k < BPU_SEGMENTS; k++)
                free(seg[s][k]);
    if (prog)
        for (int s = 0; s < cm->n_subgraphs; s++)
            bpu_program_free(prog[s]);
    free(seg);
    free(prog);
    free(t);
    free(tc);
    bpu_sim_destroy(sim);
    bpu_sim_destroy(sim2);
    hbc_qexec_free(q);
    hbc_compiled_free(cm);
    hbc_calib_table_free(&tab);
    hbg_graph_free(qg);
    hbg_graph_free(fg);
    for (int r = 0; r < CAL_RUNS; r++)
        free(in[r]);
    return rc;
}
