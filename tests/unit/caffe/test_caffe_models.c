/* The Caffe frontend end to end: each case of tests/data/caffe (the real models of
 * tests/data/models/caffe and three synthetic nets covering every supported layer form) is loaded
 * with hbc_caffe_load, run by the float executor, and compared with the outputs and every other
 * blob's value computed by the independent numpy reference tests/caffe/caffe_ref.py:
 * |got - want| <= rtol * |want| + atol, rtol 1e-4, atol 1e-5 * max|want| per tensor; then the
 * same after a round trip through the ONNX saver and loader. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hbc/caffe_io.h"
#include "hbc/onnx_io.h"
#include "hbg/exec.h"
#include "hbg/npy.h"

#define CASES_DIR   HB_SOURCE_DIR "/tests/data/caffe/"
#define MAX_ENTRIES 64
#define RTOL        1e-4

typedef struct entry {
    char blob[160];
    char file[160];
} entry;

typedef struct manifest {
    char dir[512];
    char proto[700], model[700];
    int n_in, n_out, n_check;
    entry in[MAX_ENTRIES], out[MAX_ENTRIES], check[MAX_ENTRIES];
} manifest;

static void read_manifest(const char *name, manifest *m)
{
    char path[600], line[400], key[16], a[160], b[160];
    memset(m, 0, sizeof *m);
    snprintf(m->dir, sizeof m->dir, "%s%s/", CASES_DIR, name);
    snprintf(path, sizeof path, "%smanifest.txt", m->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        int n = sscanf(line, "%15s %159s %159s", key, a, b);
        entry *e = NULL;
        if (n == 2 && strcmp(key, "prototxt") == 0)
            snprintf(m->proto, sizeof m->proto, "%s%s", m->dir, a);
        else if (n == 2 && strcmp(key, "caffemodel") == 0)
            snprintf(m->model, sizeof m->model, "%s%s", m->dir, a);
        else if (n == 3 && strcmp(key, "input") == 0 && m->n_in < MAX_ENTRIES)
            e = &m->in[m->n_in++];
        else if (n == 3 && strcmp(key, "output") == 0 && m->n_out < MAX_ENTRIES)
            e = &m->out[m->n_out++];
        else if (n == 3 && strcmp(key, "check") == 0 && m->n_check < MAX_ENTRIES)
            e = &m->check[m->n_check++];
        else
            fail_msg("%s: bad line '%s'", path, line);
        if (e) {
            snprintf(e->blob, sizeof e->blob, "%s", a);
            snprintf(e->file, sizeof e->file, "%s", b);
        }
    }
    fclose(f);
    assert_true(m->proto[0] && m->model[0] && m->n_in > 0 && m->n_out > 0);
}

static hbg_tensor *load_npy(const manifest *m, const entry *e)
{
    char path[700], err[512];
    hbg_tensor *t = NULL;
    snprintf(path, sizeof path, "%s%s", m->dir, e->file);
    if (hbg_npy_load(path, e->blob, &t, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_int_equal(t->dtype, HBG_DT_F32);
    return t;
}

static int same_shape(const hbg_tensor *a, const hbg_tensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

/* Compare graph tensor got with the reference; returns 1 when within tolerance, printing the
 * worst element otherwise. */
static int compare(const char *what, const hbg_tensor *got, const hbg_tensor *want)
{
    char s1[96], s2[96];
    if (!same_shape(got, want)) {
        print_error("%s: shape %s, reference %s\n", what, hbg_shape_str(got, s1, sizeof s1),
                    hbg_shape_str(want, s2, sizeof s2));
        return 0;
    }
    const int64_t n = hbg_tensor_numel(want);
    const float *g = got->data, *w = want->data;
    double maxref = 0.0, worst = 0.0;
    int64_t at = -1;
    for (int64_t i = 0; i < n; i++)
        maxref = fmax(maxref, fabs((double)w[i]));
    const double atol = 1e-5 * maxref;
    for (int64_t i = 0; i < n; i++) {
        const double d = fabs((double)g[i] - (double)w[i]);
        const double excess = d - (RTOL * fabs((double)w[i]) + atol);
        if (!(excess <= worst)) { /* also catches NaN */
            worst = isnan(excess) ? INFINITY : excess;
            at = i;
        }
    }
    if (at >= 0) {
        print_error("%s: [%lld] got %.9g, reference %.9g (rtol %g, atol %g)\n", what, (long long)at,
                    (double)g[at], (double)w[at], RTOL, atol);
        return 0;
    }
    return 1;
}

/* Run g on the case's inputs; compare its outputs and checked blobs with the reference. Returns
 * the number of tensors that differ. */
static int run_and_compare(const char *name, const char *how, const manifest *m, hbg_graph *g)
{
    hbg_exec *e = NULL;
    int bad = 0;
    if (hbg_exec_create(g, &e) != HBG_OK)
        fail_msg("%s%s: %s", name, how, g->err);
    for (int i = 0; i < m->n_in; i++) {
        hbg_tensor *x = load_npy(m, &m->in[i]);
        hbg_tensor *t = g->tensors[g->inputs[i]];
        assert_true(same_shape(x, t));
        memcpy(t->data, x->data, (size_t)hbg_tensor_nbytes(x));
        hbg_tensor_free(x);
    }
    if (hbg_exec_run(e) != HBG_OK)
        fail_msg("%s%s: %s", name, how, g->err);
    for (int i = 0; i < m->n_out + m->n_check; i++) {
        const entry *en = i < m->n_out ? &m->out[i] : &m->check[i - m->n_out];
        const int idx = hbg_graph_find_tensor(g, en->blob);
        char what[300];
        hbg_tensor *want = load_npy(m, en);
        snprintf(what, sizeof what, "%s%s: %s '%s'", name, how, i < m->n_out ? "output" : "blob",
                 en->blob);
        if (idx < 0)
            fail_msg("%s: missing", what);
        bad += !compare(what, g->tensors[idx], want);
        hbg_tensor_free(want);
    }
    hbg_exec_free(e);
    return bad;
}

static void run_case(void **state)
{
    const char *name = *state;
    manifest m;
    hbg_graph *g = NULL;
    char err[1024];
    int bad = 0;

    read_manifest(name, &m);
    if (hbc_caffe_load(m.proto, m.model, &g, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    /* inputs and outputs as Caffe names and orders them */
    assert_int_equal(g->n_inputs, m.n_in);
    for (int i = 0; i < m.n_in; i++)
        assert_string_equal(g->tensors[g->inputs[i]]->name, m.in[i].blob);
    assert_int_equal(g->n_outputs, m.n_out);
    for (int i = 0; i < m.n_out; i++)
        assert_string_equal(g->tensors[g->outputs[i]]->name, m.out[i].blob);
    /* every other blob's last version is observed too */
    for (int i = 0; i < m.n_check; i++) {
        const int idx = hbg_graph_find_tensor(g, m.check[i].blob);
        if (idx < 0)
            fail_msg("%s: no tensor for blob '%s'", name, m.check[i].blob);
        assert_int_equal(hbg_graph_add_output(g, idx), HBG_OK);
    }
    /* the shapes the frontend inferred, Caffe's way, before the executor infers its own */
    for (int i = 0; i < m.n_out + m.n_check; i++) {
        const entry *en = i < m.n_out ? &m.out[i] : &m.check[i - m.n_out];
        hbg_tensor *want = load_npy(&m, en);
        const hbg_tensor *t = g->tensors[hbg_graph_find_tensor(g, en->blob)];
        char s1[96], s2[96];
        if (!same_shape(t, want)) {
            print_error("%s: blob '%s': frontend shape %s, reference %s\n", name, en->blob,
                        hbg_shape_str(t, s1, sizeof s1), hbg_shape_str(want, s2, sizeof s2));
            bad++;
        }
        hbg_tensor_free(want);
    }
    bad += run_and_compare(name, "", &m, g);
    /* the same graph through the ONNX saver and loader runs the same */
    void *buf = NULL;
    size_t len = 0;
    if (hbc_onnx_save_mem(g, &buf, &len, err, sizeof err) != HBG_OK)
        fail_msg("%s: %s", name, err);
    hbg_graph_free(g);
    if (hbc_onnx_load_mem(buf, len, name, &g, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    free(buf);
    bad += run_and_compare(name, " (saved as ONNX)", &m, g);
    hbg_graph_free(g);
    assert_int_equal(bad, 0);
}

int main(void)
{
    static const char *const names[] = {"cifar10_quick", "mtcnn_det1", "mtcnn_det2", "mtcnn_det3",
                                        "syn_conv",      "syn_shape",  "syn_v1"};
    struct CMUnitTest tests[sizeof names / sizeof names[0]];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        tests[i] = (struct CMUnitTest){names[i], run_case, NULL, NULL, (void *)(uintptr_t)names[i]};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
