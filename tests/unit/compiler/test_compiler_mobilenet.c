/* MobileNetV1 0.75 192 (tests/data/models/onnx, licence there), the Fashion-MNIST CNN
 * (tests/data/models/fmnist, the project's own) and FastestDet: each quantised here with absmax
 * thresholds over two seeded pseudo-random inputs (as tests/quant/hb_quant_fixture does), compiled
 * whole to one BPU subgraph, and run on the simulator on those 2 inputs: every output element
 * must equal the integer reference executor's, under every kernel variant of this CPU. Prints the
 * modelled figures (simulator counters) and the host wall time of one simulated inference. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler_test_util.h"
#include "hbc/onnx_io.h"
#include "hbc/passes.h"
#include "hbc/quant.h"
#include "hbg/exec.h"

#define RUNS 2

/* Absolute maximum of every float activation over the inputs (the fixture tool's calibration). */
static void calibrate(hbg_graph *g, float **in, hbc_calib_table *tab)
{
    hbg_exec *e = NULL;
    double *amax = calloc((size_t)g->n_tensors, sizeof *amax);
    assert_non_null(amax);
    assert_int_equal(hbg_exec_create(g, &e), HBG_OK);
    hbg_tensor *x = g->tensors[g->inputs[0]];
    for (int r = 0; r < RUNS; r++) {
        memcpy(x->data, in[r], (size_t)hbg_tensor_nbytes(x));
        assert_int_equal(hbg_exec_run(e), HBG_OK);
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
        if (!g->tensors[t]->is_const && g->tensors[t]->dtype == HBG_DT_F32)
            assert_int_equal(hbc_calib_table_set(tab, g->tensors[t]->name,
                                                 amax[t] > 0 ? amax[t] : 1.0, HBC_CALIB_MAX),
                             HBG_OK);
    hbg_exec_free(e);
    free(amax);
}

/* Bytes of the integer weights and biases the BPU reads at least once. */
static long long weight_floor(const hbg_graph *g)
{
    long long n = 0;
    for (int t = 0; t < g->n_tensors; t++) {
        const hbg_tensor *v = g->tensors[t];
        if (v->is_const && (v->dtype == HBG_DT_I8 || v->dtype == HBG_DT_I32))
            n += hbg_tensor_nbytes(v);
    }
    return n;
}

/* subgraphs, refused: what the partition must give (refused: nodes left on the CPU with a
 * reason, e.g. FastestDet's channel shuffles). The counters of the last run go to *out. */
static void run_march(hbg_graph *qg, bpu_march_id march, int olevel, hbc_cm_goal mode, float **in,
                      int subgraphs, int refused, bpu_counters *out)
{
    char err[512];
    ct_stats st;
    const bpu_march *m = bpu_march_get(march);
    if (ct_run_goal(qg, march, olevel, mode, RUNS, (const float *const *)in, &st, err, sizeof err))
        fail_msg("mobilenet %s: %s", m->name, err);
    const bpu_counters *k = &st.last;
    long long ddr = (long long)(k->ddr_load_bytes + k->ddr_store_bytes);
    long long floor_b = weight_floor(qg) + hbg_tensor_numel(qg->tensors[qg->inputs[0]]) +
                        hbg_tensor_numel(qg->tensors[qg->outputs[0]]);
    print_message("%s %s O%d %s: %d subgraph(s), %d BPU nodes, %d refused %s; "
                  "%lld elements compared over %d variants, %lld mismatches %s\n",
                  qg->name ? qg->name : "model", m->name, olevel,
                  mode == HBC_GOAL_BANDWIDTH ? "bandwidth" : "latency", st.subgraphs, st.bpu_nodes,
                  st.cpu_refused, st.first_refused, st.elements, st.variants, st.mismatches,
                  st.first_mismatch);
    print_message("  modelled: %llu cycles = %.3f ms at %u MHz; %llu MACs, MAC utilisation "
                  "%.1f%% of %u MAC/cycle; DDR %lld bytes/frame (load %llu, store %llu) vs floor "
                  "%lld (weights+bias+input+output) = %.2fx; SRAM peak %llu; program %zu B, "
                  "constants %zu B, scratch %zu B\n",
                  (unsigned long long)k->cycles, (double)k->cycles / (m->clock_mhz * 1000.0),
                  m->clock_mhz, (unsigned long long)k->macs,
                  100.0 * (double)k->macs / ((double)k->cycles * m->k_atom * m->c_atom),
                  m->k_atom * m->c_atom, ddr, (unsigned long long)k->ddr_load_bytes,
                  (unsigned long long)k->ddr_store_bytes, floor_b, (double)ddr / (double)floor_b,
                  (unsigned long long)k->sram_peak, st.program_bytes, st.const_bytes,
                  st.scratch_bytes);
    print_message("  busy cycles: LOAD %llu, EXEC %llu (CONV %llu), STORE %llu\n",
                  (unsigned long long)k->queue_busy[BPU_Q_LOAD],
                  (unsigned long long)k->queue_busy[BPU_Q_EXEC],
                  (unsigned long long)k->op_cycles[BPU_OP_CONV],
                  (unsigned long long)k->queue_busy[BPU_Q_STORE]);
    print_message("  host wall time of one simulated inference (best kernel variant): %.1f ms\n",
                  st.wall_ms);
    assert_int_equal(st.subgraphs, subgraphs);
    assert_int_equal(st.cpu_refused, refused);
    assert_true(st.elements > 0);
    assert_int_equal(st.mismatches, 0);
    *out = *k;
}

static unsigned long long ddr_bytes(const bpu_counters *k)
{
    return (unsigned long long)(k->ddr_load_bytes + k->ddr_store_bytes);
}

/* Load, calibrate over RUNS seeded inputs in [lo, hi], quantise, and check on each march. With
 * modes, bayes-e O2 is compiled for latency and for bandwidth: the two programs must differ, and
 * each must win on its own metric (latency: fewer modelled cycles; bandwidth: fewer DDR bytes). */
static void check_model(const char *rel, int optimize, float lo, float hi, int subgraphs,
                        int refused, int modes)
{
    bpu_counters lat, bw, k;
    char path[512], err[512];
    hbg_graph *fg = NULL, *qg = NULL;
    hbc_calib_table tab = {0, 0, NULL};
    float *in[RUNS];
    if (rel[0] == '/')
        snprintf(path, sizeof path, "%s", rel);
    else
        snprintf(path, sizeof path, "%s/%s", HB_SOURCE_DIR, rel);
    if (hbc_onnx_load_file(path, &fg, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_int_equal(hbg_graph_validate(fg, 1), HBG_OK);
    if (optimize && hbc_optimize(fg, NULL, NULL) != HBG_OK)
        fail_msg("hbc_optimize: %s", fg->err);
    size_t n = (size_t)hbg_tensor_numel(fg->tensors[fg->inputs[0]]);
    for (int r = 0; r < RUNS; r++) {
        in[r] = malloc(n * sizeof(float));
        assert_non_null(in[r]);
        ct_fill(in[r], n, 11u + (unsigned)r, (hi - lo) / 2);
        for (size_t i = 0; i < n; i++)
            in[r][i] += (hi + lo) / 2;
    }
    calibrate(fg, in, &tab);
    if (hbc_quantize(fg, &tab, NULL, &qg, err, sizeof err) != HBG_OK)
        fail_msg("hbc_quantize: %s", err);
    run_march(qg, BPU_MARCH_BAYES_E, 3, HBC_GOAL_LATENCY, in, subgraphs, refused, &k);
    run_march(qg, BPU_MARCH_BAYES_E, 0, HBC_GOAL_LATENCY, in, subgraphs, refused, &k);
    run_march(qg, BPU_MARCH_BERNOULLI2, 3, HBC_GOAL_LATENCY, in, subgraphs, refused, &k);
    if (modes) {
        /* O2: no residency, so tiling and weight chunks trade cycles against DDR bytes (at O3
         * every MobileNet activation stays in SRAM and both modes pick the same program) */
        run_march(qg, BPU_MARCH_BAYES_E, 2, HBC_GOAL_LATENCY, in, subgraphs, refused, &lat);
        run_march(qg, BPU_MARCH_BAYES_E, 2, HBC_GOAL_BANDWIDTH, in, subgraphs, refused, &bw);
        print_message("  bayes-e O2 latency vs bandwidth: %llu vs %llu cycles, %llu vs %llu DDR "
                      "bytes\n",
                      (unsigned long long)lat.cycles, (unsigned long long)bw.cycles,
                      ddr_bytes(&lat), ddr_bytes(&bw));
        assert_true(lat.cycles < bw.cycles);
        assert_true(ddr_bytes(&bw) < ddr_bytes(&lat));
    }
    for (int r = 0; r < RUNS; r++)
        free(in[r]);
    hbc_calib_table_free(&tab);
    hbg_graph_free(qg);
    hbg_graph_free(fg);
}

static void test_mobilenet(void **state)
{
    (void)state;
    check_model("tests/data/models/onnx/mobilenet_v1_0.75_192.onnx", 0, -1.0f, 1.0f, 1, 0, 1);
}

static void test_fmnist(void **state)
{
    (void)state;
    check_model("tests/data/models/fmnist/fmnist_cnn.onnx", 0, 0.0f, 1.0f, 1, 0, 0);
}

/* FastestDet 352x352 (tests/data/models/onnx, licence there) as exported: its 13 ShuffleNetV2
 * channel shuffles (Reshape to 5-D, Transpose, Reshape, two Gathers of the 5-D tensor, which the
 * quantiser keeps as int8 data movement) are refused, 13 x 5 = 65, with the output's two
 * Transposes 67, so the partition makes many subgraphs; each must be bit-exact on the inputs
 * the reference gave it. */
static void test_fastestdet(void **state)
{
    (void)state;
    check_model("tests/data/models/onnx/fastestdet.onnx", 0, 0.0f, 1.0f, 15, 67, 0);
}

/* The same after hbc_optimize: the passes' channel_shuffle makes each of the 13 shuffles two
 * Slices with a channel step of 2, which the compiler moves with a 0/1 convolution
 * (compiler_lower.c lower_channel_step). Refused: 41 - 3 x 13 = 2, the output's two Transposes;
 * they and Pad_228 (left in float by the quantizer) cut the rest into 3 subgraphs. */
static void test_fastestdet_optimized(void **state)
{
    (void)state;
    check_model("tests/data/models/onnx/fastestdet.onnx", 1, 0.0f, 1.0f, 3, 2, 0);
}

/* tests/unit/passes/shufflenet_tv.onnx (torchvision's ShuffleNetV2 code, random weights): after
 * hbc_optimize its shuffles are channel Gathers and its chunks channel Slices; every node is
 * lowered, one subgraph, bit-exact. */
static void test_shufflenet_tv(void **state)
{
    (void)state;
    check_model("tests/unit/passes/shufflenet_tv.onnx", 1, 0.0f, 1.0f, 1, 0, 0);
}

/* A model given on the command line (an absolute path; inputs in [-1, 1]): the same checks and
 * figures for a model that is not committed, e.g. MobileNetV1-224 with random weights
 * (tests/bench/gen_models.py; docs/compiler.md section 9). One subgraph, nothing refused. */
static const char *extra_model;

static void test_extra(void **state)
{
    (void)state;
    check_model(extra_model, 0, -1.0f, 1.0f, 1, 0, 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobilenet), cmocka_unit_test(test_fmnist),
        cmocka_unit_test(test_fastestdet), cmocka_unit_test(test_fastestdet_optimized),
        cmocka_unit_test(test_shufflenet_tv)};
    const struct CMUnitTest extra[] = {cmocka_unit_test(test_extra)};
    if (argc > 2 || (argc == 2 && argv[1][0] != '/')) {
        fprintf(stderr, "usage: %s [/absolute/path/MODEL.onnx]\n", argv[0]);
        return 2;
    }
    if (argc == 2) {
        extra_model = argv[1];
        return cmocka_run_group_tests(extra, NULL, NULL);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
