/* Calibration methods (converter/calib): KL against numpy golden cuts, percentile ranks, max,
 * shape-op unification, zero-range fallback, NaN errors, option checks, order invariance, the
 * QDQ graph, QuantizeLinear/DequantizeLinear rounding, load from a torch QAT export, and channel
 * equalisation (hand-derived factors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/calib.h"
#include "hbc/onnx_io.h"
#include "hbg/exec.h"

#define FMNIST_DIR HB_SOURCE_DIR "/tests/data/models/fmnist"

/* ---- helpers ------------------------------------------------------------------------------- */

/* Logger that keeps every warning (concatenated) and the last INFO line. */
typedef struct log_cap {
    char warning[4096];
    char info_last[512];
    int n_info, n_warning;
} log_cap;

static void cap_fn(void *user, hbc_log_level level, const char *file, int line, const char *func,
                   const char *msg)
{
    log_cap *c = user;
    (void)file;
    (void)line;
    (void)func;
    if (level == HBC_LOG_WARNING) {
        size_t len = strlen(c->warning);
        snprintf(c->warning + len, sizeof c->warning - len, "%s\n", msg);
        c->n_warning++;
    } else if (level == HBC_LOG_INFO) {
        snprintf(c->info_last, sizeof c->info_last, "%s", msg);
        c->n_info++;
    }
}

static void add_input(hbg_graph *g, const char *name, int64_t n)
{
    int64_t dims[2] = {1, n};
    int idx = hbg_graph_tensor(g, name);
    assert_true(idx >= 0);
    assert_int_equal(hbg_tensor_set_shape(g->tensors[idx], HBG_DT_F32, 2, dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, idx), HBG_OK);
}

static void add_node(hbg_graph *g, const char *op, const char *in0, const char *in1,
                     const char *out)
{
    const char *ins[2] = {in0, in1}, *outs[1] = {out};
    assert_int_equal(hbg_graph_add_node(g, op, "", out, in1 ? 2 : 1, ins, 1, outs, NULL), HBG_OK);
}

static void add_output(hbg_graph *g, const char *name)
{
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, name)), HBG_OK);
}

static double thr(const hbc_calib_table *t, const char *name)
{
    const hbc_calib_entry *e = hbc_calib_table_find(t, name);
    if (!e)
        fail_msg("no threshold for '%s'", name);
    return e->threshold;
}

/* x [1,4] -> Relu -> r (output) */
static hbg_graph *relu_graph(void)
{
    hbg_graph *g = hbg_graph_create();
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    add_input(g, "x", 4);
    add_node(g, "Relu", "x", NULL, "r");
    add_output(g, "r");
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    return g;
}

static hbg_status calib1(hbg_graph *g, int n, const float *const *const *s, hbc_calib_method m,
                         double pct, log_cap *cap, hbc_calib_table *t, char *err)
{
    hbc_calib_options o;
    hbc_logger lg = {cap_fn, cap, HBC_LOG_DEBUG};
    hbc_calib_options_init(&o);
    o.method = m;
    o.max_percentile = pct;
    return hbc_calibrate(g, n, s, &o, &lg, t, err, 512);
}

/* ---- KL ------------------------------------------------------------------------------------ */

static void test_kl_numpy_cases(void **state)
{
    (void)state;
    FILE *f = fopen(HB_SOURCE_DIR "/tests/data/calib/kl_cases.txt", "r");
    assert_non_null(f);
    char line[256], name[64];
    int cases = 0, want;
    static unsigned long long h[HBC_CALIB_BINS];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%63s %d", name, &want), 2);
        for (int k = 0; k < HBC_CALIB_BINS; k++)
            assert_int_equal(fscanf(f, "%llu", &h[k]), 1);
        assert_true(fgets(line, sizeof line, f) != NULL); /* rest of the counts line */
        int cut = -1;
        assert_int_equal(hbc_calib_kl_cut(h, &cut), HBG_OK);
        if (cut != want)
            fail_msg("case %s: cut %d, numpy %d", name, cut, want);
        cases++;
    }
    fclose(f);
    assert_int_equal(cases, 4);
}

static void test_kl_hand_cases(void **state)
{
    (void)state;
    static unsigned long long h[HBC_CALIB_BINS];
    int cut = -1;
    /* everything below bin 128: every cut from 128 reproduces P exactly (KL 0, one level per
     * bin and an empty tail), so the tie goes to the smallest cut */
    memset(h, 0, sizeof h);
    for (int k = 0; k < 128; k++)
        h[k] = (unsigned long long)(k % 7 + 1);
    assert_int_equal(hbc_calib_kl_cut(h, &cut), HBG_OK);
    assert_int_equal(cut, 128);
    /* a single populated bin 1000: cuts below 1001 pile it into their last bin, which then has
     * Q = 0 (its level is empty in H) and pays the floor; cut 1001 keeps it exact (KL 0) and
     * every larger cut does too (the tie goes to 1001) */
    memset(h, 0, sizeof h);
    h[1000] = 5;
    assert_int_equal(hbc_calib_kl_cut(h, &cut), HBG_OK);
    assert_int_equal(cut, 1001);
    /* empty histogram */
    memset(h, 0, sizeof h);
    assert_int_equal(hbc_calib_kl_cut(h, &cut), HBG_E_INVALID);
}

/* ---- percentile, max ----------------------------------------------------------------------- */

static void test_percentile_rank(void **state)
{
    (void)state;
    assert_int_equal(hbc_calib_percentile_rank(1.0, 1000), 1000);
    assert_int_equal(hbc_calib_percentile_rank(0.99995, 20000), 19999); /* 19999.0000000002 */
    assert_int_equal(hbc_calib_percentile_rank(0.99995, 20001), 20000); /* ceil(19999.99995) */
    assert_int_equal(hbc_calib_percentile_rank(0.5, 3), 2);
    assert_int_equal(hbc_calib_percentile_rank(0.9, 10), 9);
    assert_int_equal(hbc_calib_percentile_rank(1e-9, 10), 1);
    assert_int_equal(hbc_calib_percentile_rank(0.3, 1), 1);
}

static void test_max_and_percentile(void **state)
{
    (void)state;
    hbg_graph *g = relu_graph();
    const float s0[4] = {-3.0f, 1.0f, 2.0f, 0.5f}, s1[4] = {4.0f, -7.0f, 0.25f, 6.0f};
    const float *r0[1] = {s0}, *r1[1] = {s1};
    const float *const *samples[2] = {r0, r1};
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    assert_int_equal(calib1(g, 2, samples, HBC_CALIB_MAX, 1.0, &cap, &t, err), HBG_OK);
    assert_int_equal(t.n, 2);
    assert_true(thr(&t, "x") == 7.0);
    assert_true(thr(&t, "r") == 6.0);
    assert_true(cap.n_info >= 2); /* progress lines */
    hbc_calib_table_free(&t);
    /* |x| sorted: 0.25 0.5 1 2 3 4 6 7; p = 0.75 of n = 8 -> rank 6 -> 4
     * relu: 0 0 0.25 0.5 1 2 4 6 -> rank 6 -> 2 */
    assert_int_equal(calib1(g, 2, samples, HBC_CALIB_MAX, 0.75, &cap, &t, err), HBG_OK);
    assert_true(thr(&t, "x") == 4.0);
    assert_true(thr(&t, "r") == 2.0);
    hbc_calib_table_free(&t);
    /* p = 0.6: rank ceil(4.8) = 5 -> 3 and 1 */
    assert_int_equal(calib1(g, 2, samples, HBC_CALIB_MAX, 0.6, &cap, &t, err), HBG_OK);
    assert_true(thr(&t, "x") == 3.0);
    assert_true(thr(&t, "r") == 1.0);
    hbc_calib_table_free(&t);
    hbg_graph_free(g);
}

/* ---- unification, zero range, errors ------------------------------------------------------- */

/* x1 -> Relu -> a; x2 -> Neg -> b; Concat(a, b) -> c; Reshape(c) -> d; d -> Sigmoid -> y */
static void test_unification(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    add_input(g, "x1", 4);
    add_input(g, "x2", 4);
    add_node(g, "Relu", "x1", NULL, "a");
    add_node(g, "Neg", "x2", NULL, "b");
    {
        const char *ins[2] = {"a", "b"}, *outs[1] = {"c"};
        hbg_node *n = NULL;
        assert_int_equal(hbg_graph_add_node(g, "Concat", "", "c", 2, ins, 1, outs, &n), HBG_OK);
        hbg_attr *ax = hbg_node_add_attr(n, "axis", HBG_ATTR_INT);
        assert_non_null(ax);
        ax->i = 1;
    }
    int64_t shape[2] = {2, 4}, one = 2;
    int si = hbg_graph_tensor(g, "shape");
    assert_int_equal(hbg_graph_set_const(g, si, HBG_DT_I64, 1, &one, shape, sizeof shape), HBG_OK);
    add_node(g, "Reshape", "c", "shape", "d");
    add_node(g, "Sigmoid", "d", NULL, "y");
    add_output(g, "y");
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    const float x1[4] = {1.0f, 2.0f, -5.0f, 0.0f}, x2[4] = {0.5f, -3.0f, 0.0f, 1.0f};
    const float *r0[2] = {x1, x2};
    const float *const *samples[1] = {r0};
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_MAX, 1.0, &cap, &t, err), HBG_OK);
    assert_int_equal(t.n, 7); /* x1 x2 a b c d y */
    assert_true(thr(&t, "x1") == 5.0);
    assert_true(thr(&t, "x2") == 3.0);
    /* a = relu(x1) has max 2, b = -x2 has max 3: Concat inputs keep their own thresholds (the
     * quantiser rescales them); the Reshape shares the Concat output's max 3 */
    assert_true(thr(&t, "a") == 2.0);
    assert_true(thr(&t, "b") == 3.0);
    assert_true(thr(&t, "c") == 3.0);
    assert_true(thr(&t, "d") == 3.0);
    assert_true(fabs(thr(&t, "y") - 1.0 / (1.0 + exp(-3.0))) < 1e-6);
    hbc_calib_table_free(&t);
    hbg_graph_free(g);
}

static void test_zero_range(void **state)
{
    (void)state;
    hbg_graph *g = relu_graph();
    const float s0[4] = {-3.0f, -1.0f, -2.0f, -0.5f};
    const float *r0[1] = {s0};
    const float *const *samples[1] = {r0};
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    for (int m = HBC_CALIB_DEFAULT; m <= HBC_CALIB_MAX; m++) {
        memset(&cap, 0, sizeof cap);
        assert_int_equal(calib1(g, 1, samples, (hbc_calib_method)m, 1.0, &cap, &t, err), HBG_OK);
        assert_true(thr(&t, "r") == 1.0);
        assert_non_null(strstr(cap.warning, "'r' is zero on every calibration sample"));
        hbc_calib_table_free(&t);
    }
    /* percentile 0.5 of |x| over {0,0,0,0.5... }: relu output all zero -> 1.0; the input's
     * threshold is non-zero */
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_MAX, 0.5, &cap, &t, err), HBG_OK);
    assert_true(thr(&t, "x") == 1.0); /* sorted 0.5 1 2 3, rank 2 */
    hbc_calib_table_free(&t);
    hbg_graph_free(g);
}

/* An image input read by the preprocess node (HZ_PREPROCESS_FOR_<input>) holds uint8 - 128: its
 * threshold is 127 whatever its range (scale 1, so uint8 - 128 quantises to itself), under every
 * method; a featuremap input keeps its own threshold. */
static void test_image_input_threshold(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    add_input(g, "img", 4);
    add_input(g, "feat", 4);
    {
        const char *ins[1] = {"img"}, *outs[1] = {"p"};
        assert_int_equal(
            hbg_graph_add_node(g, "Relu", "", "HZ_PREPROCESS_FOR_img", 1, ins, 1, outs, NULL),
            HBG_OK);
    }
    add_node(g, "Add", "p", "feat", "y");
    add_output(g, "y");
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    const float img[4] = {-128.0f, 127.0f, 3.0f, 0.0f}, feat[4] = {0.5f, -2.0f, 0.0f, 1.0f};
    const float *r0[2] = {img, feat};
    const float *const *samples[1] = {r0};
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    for (int m = HBC_CALIB_DEFAULT; m <= HBC_CALIB_MAX; m++) {
        assert_int_equal(calib1(g, 1, samples, (hbc_calib_method)m, 1.0, &cap, &t, err), HBG_OK);
        assert_true(thr(&t, "img") == 127.0);
        assert_true(thr(&t, "feat") != 127.0);
        hbc_calib_table_free(&t);
    }
    hbg_graph_free(g);
}

static void test_nan_and_options(void **state)
{
    (void)state;
    hbg_graph *g = relu_graph();
    const float s0[4] = {1.0f, 2.0f, 3.0f, 4.0f}, s1[4] = {1.0f, NAN, 3.0f, 4.0f};
    const float *r0[1] = {s0}, *r1[1] = {s1};
    const float *const *samples[2] = {r0, r1};
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    assert_int_equal(calib1(g, 2, samples, HBC_CALIB_KL, 1.0, &cap, &t, err), HBG_E_INVALID);
    assert_non_null(strstr(err, "tensor 'x'"));
    assert_non_null(strstr(err, "NaN"));
    assert_non_null(strstr(err, "sample 1"));
    assert_int_equal(t.n, 0);
    /* max_percentile with kl; out of range; per_channel; no samples */
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_KL, 0.99, &cap, &t, err), HBG_E_INVALID);
    assert_non_null(strstr(err, "max_percentile"));
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_MAX, 1.5, &cap, &t, err), HBG_E_INVALID);
    assert_int_equal(calib1(g, 0, NULL, HBC_CALIB_MAX, 1.0, &cap, &t, err), HBG_E_INVALID);
    assert_non_null(strstr(err, "needs calibration samples"));
    hbc_calib_options o;
    hbc_calib_options_init(&o);
    o.method = HBC_CALIB_MAX;
    o.per_channel = 1;
    assert_int_equal(hbc_calibrate(g, 1, samples, &o, NULL, &t, err, sizeof err),
                     HBG_E_UNSUPPORTED);
    assert_non_null(strstr(err, "per_channel"));
    hbg_graph_free(g);
}

static void test_skip(void **state)
{
    (void)state;
    hbg_graph *g = relu_graph();
    hbc_calib_table t1 = {0}, t2 = {0};
    log_cap cap = {0};
    char err[512];
    assert_int_equal(calib1(g, 0, NULL, HBC_CALIB_SKIP, 1.0, &cap, &t1, err), HBG_OK);
    assert_non_null(strstr(cap.warning, "performance checks only"));
    assert_int_equal(calib1(g, 0, NULL, HBC_CALIB_SKIP, 1.0, &cap, &t2, err), HBG_OK);
    assert_int_equal(t1.n, 2);
    assert_true(thr(&t1, "x") == thr(&t2, "x")); /* fixed seed */
    assert_true(thr(&t1, "x") > 0.0 && thr(&t1, "x") <= 1.0);
    hbc_calib_table_free(&t1);
    hbc_calib_table_free(&t2);
    hbg_graph_free(g);
}

/* ---- QuantizeLinear / DequantizeLinear ------------------------------------------------------ */

static void test_qdq_ops_rounding(void **state)
{
    (void)state;
    hbg_graph *g = hbg_graph_create();
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    add_input(g, "x", 8);
    float sc = 1.0f;
    int8_t zp = 0;
    assert_int_equal(
        hbg_graph_set_const(g, hbg_graph_tensor(g, "s"), HBG_DT_F32, 0, NULL, &sc, sizeof sc),
        HBG_OK);
    assert_int_equal(
        hbg_graph_set_const(g, hbg_graph_tensor(g, "z"), HBG_DT_I8, 0, NULL, &zp, sizeof zp),
        HBG_OK);
    const char *qi[3] = {"x", "s", "z"}, *qo[1] = {"q"}, *di[3] = {"q", "s", "z"}, *dout[1] = {"y"};
    assert_int_equal(hbg_graph_add_node(g, "QuantizeLinear", "", "q", 3, qi, 1, qo, NULL), HBG_OK);
    assert_int_equal(hbg_graph_add_node(g, "DequantizeLinear", "", "y", 3, di, 1, dout, NULL),
                     HBG_OK);
    add_output(g, "q");
    add_output(g, "y");
    hbg_exec *ex = NULL;
    assert_int_equal(hbg_exec_create(g, &ex), HBG_OK);
    /* ONNX: round half to even, saturate to int8 */
    const float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 300.0f, -300.0f, 2.6f};
    const int8_t want[8] = {0, 2, 2, 0, -2, 127, -128, 3};
    memcpy(g->tensors[hbg_graph_find_tensor(g, "x")]->data, x, sizeof x);
    assert_int_equal(hbg_exec_run(ex), HBG_OK);
    const int8_t *q = g->tensors[hbg_graph_find_tensor(g, "q")]->data;
    const float *y = g->tensors[hbg_graph_find_tensor(g, "y")]->data;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(q[i], want[i]);
        assert_true(y[i] == (float)want[i]);
    }
    hbg_exec_free(ex);
    hbg_graph_free(g);
}

/* ---- Fashion-MNIST model: order invariance, QDQ graph ------------------------------------- */

#define N_FM   6
#define FM_PIX 784

static float fm_data[N_FM][FM_PIX];

/* Deterministic pseudo-images: smooth blobs in [0, 1] (the model's input range). */
static void make_fm_samples(void)
{
    uint32_t s = 12345;
    for (int n = 0; n < N_FM; n++) {
        double cx = 8 + n * 2.0, cy = 20 - n * 1.5, r = 5.0 + n;
        for (int i = 0; i < FM_PIX; i++) {
            s = s * 1664525u + 1013904223u;
            double d2 = (i / 28 - cy) * (i / 28 - cy) + (i % 28 - cx) * (i % 28 - cx);
            double v = exp(-d2 / (2 * r * r)) + (double)(s >> 8) / 16777216.0 * 0.2;
            fm_data[n][i] = (float)(v > 1.0 ? 1.0 : v);
        }
    }
}

static hbg_graph *load_model(const char *path)
{
    hbg_graph *g = NULL;
    char err[512];
    if (hbc_onnx_load_file(path, &g, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    return g;
}

static void test_order_invariance(void **state)
{
    (void)state;
    hbg_graph *g = load_model(FMNIST_DIR "/fmnist_cnn.onnx");
    make_fm_samples();
    const float *rows[N_FM][1], *const *fwd[N_FM], *const *rev[N_FM];
    for (int n = 0; n < N_FM; n++)
        rows[n][0] = fm_data[n];
    /* a permutation that is not a rotation: 3 0 5 1 4 2 */
    static const int perm[N_FM] = {3, 0, 5, 1, 4, 2};
    for (int n = 0; n < N_FM; n++) {
        fwd[n] = rows[n];
        rev[n] = rows[perm[n]];
    }
    static const hbc_calib_method methods[] = {HBC_CALIB_DEFAULT, HBC_CALIB_MIX, HBC_CALIB_KL,
                                               HBC_CALIB_MAX};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        hbc_calib_table a = {0}, b = {0};
        log_cap cap = {0};
        char err[512];
        double pct = methods[m] == HBC_CALIB_MAX ? 0.999 : 1.0;
        assert_int_equal(calib1(g, N_FM, fwd, methods[m], pct, &cap, &a, err), HBG_OK);
        assert_int_equal(calib1(g, N_FM, rev, methods[m], pct, &cap, &b, err), HBG_OK);
        assert_int_equal(a.n, b.n);
        assert_true(a.n >= 10);
        for (int i = 0; i < a.n; i++) {
            const hbc_calib_entry *e = hbc_calib_table_find(&b, a.e[i].tensor);
            assert_non_null(e);
            if (e->threshold != a.e[i].threshold)
                fail_msg("%s: '%s' %.17g vs %.17g", hbc_calib_method_name(methods[m]),
                         a.e[i].tensor, a.e[i].threshold, e->threshold);
        }
        if (methods[m] == HBC_CALIB_DEFAULT)
            assert_non_null(strstr(cap.info_last, "Select "));
        hbc_calib_table_free(&a);
        hbc_calib_table_free(&b);
    }
    hbg_graph_free(g);
}

static void test_qdq_graph(void **state)
{
    (void)state;
    hbg_graph *g = load_model(FMNIST_DIR "/fmnist_cnn.onnx");
    make_fm_samples();
    const float *rows[N_FM][1], *const *fwd[N_FM];
    for (int n = 0; n < N_FM; n++) {
        rows[n][0] = fm_data[n];
        fwd[n] = rows[n];
    }
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    assert_int_equal(calib1(g, N_FM, fwd, HBC_CALIB_MAX, 1.0, &cap, &t, err), HBG_OK);
    hbg_graph *q = NULL;
    assert_int_equal(hbc_calib_build_qdq_graph(g, &t, NULL, &q, err, sizeof err), HBG_OK);
    int nq = 0, ndq = 0;
    for (int i = 0; i < q->n_nodes; i++) {
        nq += q->nodes[i].op == HBG_OP_QUANTIZELINEAR;
        ndq += q->nodes[i].op == HBG_OP_DEQUANTIZELINEAR;
    }
    /* every activation but the graph output and the 3 pre-activation outputs of the fused
     * Conv/Gemm + Relu pairs (c1, c2, f1), which the BPU never quantises */
    assert_int_equal(nq, t.n - 1 - 3);
    assert_true(hbg_graph_find_tensor(q, "/Relu_output_0_quantized") >= 0);
    assert_true(hbg_graph_find_tensor(q, "/c1/Conv_output_0_quantized") < 0);
    assert_int_equal(ndq, nq);
    assert_int_equal(hbg_graph_opset(q, ""), hbg_graph_opset(g, ""));
    /* weights: every value of a Conv weight (axis 0) and of a Gemm weight with transB = 1
     * (torch's Linear; axis 0 too) is an integer multiple of its output channel's scale */
    int checked = 0;
    for (int i = 0; i < q->n_nodes; i++) {
        const hbg_node *n = &q->nodes[i];
        if (n->op != HBG_OP_CONV && n->op != HBG_OP_GEMM)
            continue;
        if (n->op == HBG_OP_GEMM)
            assert_int_equal(hbg_attr_int(n, "transB", 0), 1);
        const hbg_tensor *w = q->tensors[n->in[1]];
        int64_t per = hbg_tensor_numel(w) / w->dims[0];
        for (int64_t k = 0; k < w->dims[0]; k++) {
            const float *v = (const float *)w->data + k * per;
            double amax = 0.0;
            for (int64_t j = 0; j < per; j++)
                amax = fmax(amax, fabs(v[j]));
            for (int64_t j = 0; j < per; j++) {
                double r = v[j] / (amax / 127.0);
                assert_true(fabs(r - round(r)) < 1e-3);
            }
        }
        checked++;
    }
    assert_int_equal(checked, 4); /* 2 Conv, 2 Gemm */
    /* the fake-quantised model stays close to float */
    hbg_exec *ef = NULL, *eq = NULL;
    assert_int_equal(hbg_exec_create(g, &ef), HBG_OK);
    assert_int_equal(hbg_exec_create(q, &eq), HBG_OK);
    memcpy(g->tensors[g->inputs[0]]->data, fm_data[0], sizeof fm_data[0]);
    memcpy(q->tensors[q->inputs[0]]->data, fm_data[0], sizeof fm_data[0]);
    assert_int_equal(hbg_exec_run(ef), HBG_OK);
    assert_int_equal(hbg_exec_run(eq), HBG_OK);
    const float *a = g->tensors[g->outputs[0]]->data, *b = q->tensors[q->outputs[0]]->data;
    double ab = 0, aa = 0, bb = 0;
    int diff = 0;
    for (int i = 0; i < 10; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
        diff |= a[i] != b[i];
    }
    assert_true(diff); /* quantisation did something */
    assert_true(ab / sqrt(aa * bb) > 0.99);
    hbg_exec_free(ef);
    hbg_exec_free(eq);
    /* the saved file loads back */
    void *buf = NULL;
    size_t len = 0;
    assert_int_equal(hbc_onnx_save_mem(q, &buf, &len, err, sizeof err), HBG_OK);
    hbg_graph *back = NULL;
    assert_int_equal(hbc_onnx_load_mem(buf, len, "calibrated", &back, err, sizeof err), HBG_OK);
    free(buf);
    hbg_graph_free(back);
    hbg_graph_free(q);
    hbc_calib_table_free(&t);
    hbg_graph_free(g);
}

/* ---- load ----------------------------------------------------------------------------------- */

/* Read the scales train.py wrote (float32 bit patterns), in model order. */
static int read_qat_scales(float *s, int max)
{
    FILE *f = fopen(FMNIST_DIR "/fmnist_qat_scales.txt", "r");
    assert_non_null(f);
    unsigned bits;
    int n = 0;
    char rest[64];
    while (n < max && fscanf(f, "%x %63s", &bits, rest) == 2) {
        memcpy(&s[n], &bits, sizeof bits);
        n++;
    }
    fclose(f);
    return n;
}

static void test_load_qat(void **state)
{
    (void)state;
    hbg_graph *g = load_model(FMNIST_DIR "/fmnist_qat.onnx");
    make_fm_samples();
    const float *rows[N_FM][1], *const *fwd[N_FM];
    for (int n = 0; n < N_FM; n++) {
        rows[n][0] = fm_data[n];
        fwd[n] = rows[n];
    }
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    /* the conv outputs before ReLU have no pair: without samples, a clear error */
    assert_int_equal(calib1(g, 0, NULL, HBC_CALIB_LOAD, 1.0, &cap, &t, err), HBG_E_INVALID);
    assert_non_null(strstr(err, "'/Conv_output_0'"));
    /* with samples they get max; the QAT thresholds are reproduced exactly */
    assert_int_equal(calib1(g, N_FM, fwd, HBC_CALIB_LOAD, 1.0, &cap, &t, err), HBG_OK);
    assert_non_null(strstr(cap.warning, "no QuantizeLinear/DequantizeLinear pair"));
    float s[8];
    assert_int_equal(read_qat_scales(s, 8), 4);
    /* input, relu1, relu2 (and its flatten), gemm output (= logits via its DQ) */
    static const char *const names[4][3] = {
        {"image", "/DequantizeLinear_output_0", NULL},
        {"/Relu_output_0", "/DequantizeLinear_2_output_0", NULL},
        {"/Relu_1_output_0", "/DequantizeLinear_4_output_0", "/Flatten_output_0"},
        {"/Gemm_output_0", "logits", NULL},
    };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3 && names[i][j]; j++) {
            const hbc_calib_entry *e = hbc_calib_table_find(&t, names[i][j]);
            assert_non_null(e);
            assert_int_equal(e->method, HBC_CALIB_LOAD);
            if (e->threshold != (double)s[i] * 127.0 || (float)(e->threshold / 127.0) != s[i])
                fail_msg("'%s': %.17g, QAT scale %.9g", names[i][j], e->threshold, s[i]);
        }
    assert_int_equal(hbc_calib_table_find(&t, "/Conv_output_0")->method, HBC_CALIB_MAX);
    hbc_calib_table_free(&t);
    /* a non-zero zero point is refused naming the node */
    hbg_node *qn = NULL;
    for (int i = 0; i < g->n_nodes && !qn; i++)
        if (g->nodes[i].op == HBG_OP_QUANTIZELINEAR &&
            strcmp(g->tensors[g->nodes[i].in[0]]->name, "/Relu_output_0") == 0)
            qn = &g->nodes[i];
    assert_non_null(qn);
    hbg_tensor *zt = g->tensors[qn->in[2]];
    hbg_node *zc = &g->nodes[zt->producer];
    hbg_attr *za = (hbg_attr *)hbg_node_attr(zc, "value");
    assert_non_null(za);
    ((int8_t *)za->t->data)[0] = 3;
    assert_int_equal(calib1(g, N_FM, fwd, HBC_CALIB_LOAD, 1.0, &cap, &t, err), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(err, hbg_node_label(g, qn)));
    assert_non_null(strstr(err, "zero point 3"));
    hbg_graph_free(g);
}

/* x -> QuantizeLinear(scale, zp) -> DequantizeLinear -> Relu -> y, zp of type zt */
static hbg_graph *qdq_graph(hbg_dtype zt, int64_t n_scale)
{
    hbg_graph *g = hbg_graph_create();
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    add_input(g, "x", 4);
    float sc[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    uint8_t zp[4] = {0};
    int64_t n = n_scale;
    assert_int_equal(hbg_graph_set_const(g, hbg_graph_tensor(g, "s"), HBG_DT_F32,
                                         n_scale > 1 ? 1 : 0, &n, sc,
                                         (size_t)n_scale * sizeof(float)),
                     HBG_OK);
    assert_int_equal(hbg_graph_set_const(g, hbg_graph_tensor(g, "z"), zt, n_scale > 1 ? 1 : 0, &n,
                                         zp, (size_t)n_scale),
                     HBG_OK);
    const char *qi[3] = {"x", "s", "z"}, *qo[1] = {"q"}, *di[3] = {"q", "s", "z"}, *dout[1] = {"d"};
    assert_int_equal(hbg_graph_add_node(g, "QuantizeLinear", "", "qnode", 3, qi, 1, qo, NULL),
                     HBG_OK);
    assert_int_equal(hbg_graph_add_node(g, "DequantizeLinear", "", "dnode", 3, di, 1, dout, NULL),
                     HBG_OK);
    add_node(g, "Relu", "d", NULL, "y");
    add_output(g, "y");
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    return g;
}

static void test_load_refusals(void **state)
{
    (void)state;
    hbc_calib_table t = {0};
    log_cap cap = {0};
    char err[512];
    const float s0[4] = {1.0f, -2.0f, 3.0f, 0.25f};
    const float *r0[1] = {s0};
    const float *const *samples[1] = {r0};
    /* symmetric int8: accepted, T = 0.5 * 127 on x and d, y (Relu) from max */
    hbg_graph *g = qdq_graph(HBG_DT_I8, 1);
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_LOAD, 1.0, &cap, &t, err), HBG_OK);
    assert_true(thr(&t, "x") == 63.5 && thr(&t, "d") == 63.5);
    assert_true(thr(&t, "y") == 3.0);
    hbc_calib_table_free(&t);
    hbg_graph_free(g);
    /* uint8 (asymmetric) */
    g = qdq_graph(HBG_DT_U8, 1);
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_LOAD, 1.0, &cap, &t, err), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(err, "'qnode'"));
    assert_non_null(strstr(err, "uint8"));
    hbg_graph_free(g);
    /* per-axis scale on an activation (axis 1 of a [1, 4] tensor) */
    g = qdq_graph(HBG_DT_I8, 4);
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_LOAD, 1.0, &cap, &t, err), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(err, "'qnode'"));
    assert_non_null(strstr(err, "per-axis"));
    hbg_graph_free(g);
    /* a float model has nothing to load */
    g = relu_graph();
    assert_int_equal(calib1(g, 1, samples, HBC_CALIB_LOAD, 1.0, &cap, &t, err), HBG_E_INVALID);
    assert_non_null(strstr(err, "no QuantizeLinear"));
    hbg_graph_free(g);
}

/* ---- channel equalisation ------------------------------------------------------------------ */

static void add_const(hbg_graph *g, const char *name, int rank, const int64_t *dims, const float *v,
                      size_t n)
{
    int idx = hbg_graph_tensor(g, name);
    assert_true(idx >= 0);
    assert_int_equal(hbg_graph_set_const(g, idx, HBG_DT_F32, rank, dims, v, n * sizeof(float)),
                     HBG_OK);
}

static void add_conv(hbg_graph *g, const char *in, const char *w, const char *b, const char *out,
                     int64_t group)
{
    const char *ins[3] = {in, w, b}, *outs[1] = {out};
    hbg_node *n = NULL;
    assert_int_equal(hbg_graph_add_node(g, "Conv", "", out, 3, ins, 1, outs, &n), HBG_OK);
    hbg_attr *a = hbg_node_add_attr(n, "group", HBG_ATTR_INT);
    assert_non_null(a);
    a->i = group;
}

/* x [1,2,2,2] -> Conv 1x1 (2 -> 4, weights wp, bias bp) -> act ("Relu" or "Clip") -> r -> depthwise
 * 1x1 Conv (4 channels, weights 1, 2, 3, 4, bias 0.5) -> y (output); r is a graph output too when
 * r_out. Input channel 0 is the sample, channel 1 is 7 everywhere (its weights are 0). */
static hbg_graph *eq_graph(const char *act, int r_out)
{
    static const float wp[8] = {4, 0, 1, 0, 0.25f, 0, 0, 0};
    static const float bp[4] = {0, 0.5f, 0, -1};
    static const float wd[4] = {1, 2, 3, 4}, bd[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    static const float lo = 0.0f, hi = 100.0f;
    const int64_t dwp[4] = {4, 2, 1, 1}, dwd[4] = {4, 1, 1, 1}, d4[1] = {4},
                  x_dims[4] = {1, 2, 2, 2};
    hbg_graph *g = hbg_graph_create();
    assert_int_equal(hbg_graph_add_opset(g, "", 13), HBG_OK);
    int x = hbg_graph_tensor(g, "x");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 4, x_dims), HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, x), HBG_OK);
    add_const(g, "wp", 4, dwp, wp, 8);
    add_const(g, "bp", 1, d4, bp, 4);
    add_const(g, "wd", 4, dwd, wd, 4);
    add_const(g, "bd", 1, d4, bd, 4);
    add_conv(g, "x", "wp", "bp", "c", 1);
    if (!strcmp(act, "Clip")) {
        const int64_t d0[1] = {0};
        add_const(g, "lo", 0, d0, &lo, 1);
        add_const(g, "hi", 0, d0, &hi, 1);
        const char *ins[3] = {"c", "lo", "hi"}, *outs[1] = {"r"};
        assert_int_equal(hbg_graph_add_node(g, "Clip", "", "r", 3, ins, 1, outs, NULL), HBG_OK);
    } else
        add_node(g, act, "c", NULL, "r");
    add_conv(g, "r", "wd", "bd", "y", 4);
    add_output(g, "y");
    if (r_out)
        add_output(g, "r");
    assert_int_equal(hbg_graph_validate(g, 1), HBG_OK);
    return g;
}

/* y of eq_graph for each sample (4 * 4 floats per sample). */
static void eq_run(hbg_graph *g, int n, const float *const *const *s, float *y)
{
    hbg_exec *ex = NULL;
    assert_int_equal(hbg_exec_create(g, &ex), HBG_OK);
    for (int k = 0; k < n; k++) {
        memcpy(g->tensors[g->inputs[0]]->data, s[k][0], 8 * sizeof(float));
        assert_int_equal(hbg_exec_run(ex), HBG_OK);
        memcpy(y + 16 * k, g->tensors[g->outputs[0]]->data, 16 * sizeof(float));
    }
    hbg_exec_free(ex);
}

static const float *eq_const(const hbg_graph *g, const char *name)
{
    return g->tensors[hbg_graph_find_tensor(g, name)]->data;
}

static void test_equalize(void **state)
{
    (void)state;
    /* channel 0 of x over the two samples reaches 1 (and -1); channel 1 is 7 (weights 0) */
    const float s0[8] = {1, 0.5f, 0, -1, 7, 7, 7, 7}, s1[8] = {0.25f, 0, 0, 0, 7, 7, 7, 7};
    const float *r0[1] = {s0}, *r1[1] = {s1};
    const float *const *samples[2] = {r0, r1};
    float before[32], after[32];
    char err[512];
    log_cap cap = {0};
    hbc_logger lg = {cap_fn, &cap, HBC_LOG_DEBUG};
    int n = -1;
    hbg_graph *g = eq_graph("Relu", 0);
    eq_run(g, 2, samples, before);
    assert_int_equal(hbc_calib_equalize(g, 2, samples, 4.0, &lg, &n, err, sizeof err), HBG_OK);
    assert_int_equal(n, 1);
    /* Relu output maxima per channel: 4 (4 * 1), 1.5 (1 + 0.5), 0.25 (0.25 * 1), 0 (dead: -1
     * bias). M = 4: factors 1, 4 / 1.5, 16 capped at 4, 1 (never non-zero). */
    const float *wp = eq_const(g, "wp"), *bp = eq_const(g, "bp"), *wd = eq_const(g, "wd");
    const double f1 = 4.0 / 1.5;
    assert_true(wp[0] == 4.0f && wp[1] == 0.0f && bp[0] == 0.0f && wd[0] == 1.0f);
    assert_float_equal(wp[2], f1, 1e-6);
    assert_float_equal(bp[1], 0.5 * f1, 1e-6);
    assert_float_equal(wd[1], 2.0 / f1, 1e-6);
    assert_float_equal(wp[4], 1.0, 1e-7);
    assert_float_equal(wd[2], 0.75, 1e-7);
    assert_true(wp[6] == 0.0f && bp[3] == -1.0f && wd[3] == 4.0f);
    /* the model computes the same function */
    eq_run(g, 2, samples, after);
    for (int i = 0; i < 32; i++)
        assert_float_equal(after[i], before[i], 1e-5 * (1.0 + fabs(before[i])));
    assert_non_null(strstr(cap.info_last, "1 of 1"));
    hbg_graph_free(g);

    /* not equalised: Clip (its bounds do not commute with a factor), r read as a graph output,
     * a factor below 1 (refused) */
    g = eq_graph("Clip", 0);
    assert_int_equal(hbc_calib_equalize(g, 2, samples, 4.0, &lg, &n, err, sizeof err), HBG_OK);
    assert_int_equal(n, 0);
    assert_true(eq_const(g, "wp")[2] == 1.0f);
    hbg_graph_free(g);
    g = eq_graph("Relu", 1);
    assert_int_equal(hbc_calib_equalize(g, 2, samples, 4.0, &lg, &n, err, sizeof err), HBG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(hbc_calib_equalize(g, 2, samples, 0.5, &lg, &n, err, sizeof err),
                     HBG_E_INVALID);
    assert_non_null(strstr(err, "factor"));
    hbg_graph_free(g);

    /* NaN in the equalised tensor names it */
    const float bad[8] = {NAN, 0, 0, 0, 7, 7, 7, 7};
    const float *rb[1] = {bad};
    const float *const *sb[1] = {rb};
    g = eq_graph("Relu", 0);
    assert_int_equal(hbc_calib_equalize(g, 1, sb, 4.0, &lg, &n, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "'r'"));
    hbg_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kl_numpy_cases),   cmocka_unit_test(test_kl_hand_cases),
        cmocka_unit_test(test_percentile_rank),  cmocka_unit_test(test_max_and_percentile),
        cmocka_unit_test(test_unification),      cmocka_unit_test(test_zero_range),
        cmocka_unit_test(test_nan_and_options),  cmocka_unit_test(test_skip),
        cmocka_unit_test(test_qdq_ops_rounding), cmocka_unit_test(test_order_invariance),
        cmocka_unit_test(test_qdq_graph),        cmocka_unit_test(test_load_qat),
        cmocka_unit_test(test_load_refusals),    cmocka_unit_test(test_image_input_threshold),
        cmocka_unit_test(test_equalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
