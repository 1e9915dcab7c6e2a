/* The committed quantized models of tests/data/quant/<model>/ run by the integer executor must
 * reproduce the goldens of tests/quant/qref.py (an independent numpy implementation of
 * docs/quantized-ops.md): every integer tensor read by a Dequantize bit for bit, and every float
 * output within 1e-5 of the output's largest magnitude (float CPU ops, e.g. Softmax, are not
 * bit-exact across implementations). The files are loaded through the ONNX loader, so this also
 * covers reading our domain. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hbc/onnx_io.h"
#include "hbc/quant.h"
#include "hbg/npy.h"

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

static hbg_tensor *load_npy(const char *path)
{
    hbg_tensor *t = NULL;
    char err[512];
    if (hbg_npy_load(path, "golden", &t, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    return t;
}

static void check_same_shape(const hbg_tensor *got, const hbg_tensor *want, const char *what)
{
    if (got->rank != want->rank || got->dtype != want->dtype ||
        memcmp(got->dims, want->dims, (size_t)got->rank * sizeof got->dims[0]))
        fail_msg("%s: shape or type differs from the golden", what);
}

/* Run dir/model.onnx on every dir/input_<r>.npy and compare with the goldens. */
static void run_model(const char *name, int min_inputs, int min_dq)
{
    char dir[512], path[700], err[1024];
    hbg_graph *g = NULL;
    hbc_qexec *e = NULL;
    int r;
    snprintf(dir, sizeof dir, "%s/tests/data/quant/%s", HB_SOURCE_DIR, name);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    if (hbc_onnx_load_file(path, &g, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    if (hbc_qexec_create(g, &e) != HBG_OK)
        fail_msg("%s: %s", path, g->err);
    for (r = 0;; r++) {
        snprintf(path, sizeof path, "%s/input_%d.npy", dir, r);
        if (!file_exists(path))
            break;
        hbg_tensor *x = load_npy(path);
        hbg_tensor *in = g->tensors[g->inputs[0]];
        check_same_shape(in, x, path);
        memcpy(in->data, x->data, (size_t)hbg_tensor_nbytes(x));
        hbg_tensor_free(x);
        assert_int_equal(hbc_qexec_run(e), HBG_OK);
        int dq = 0;
        for (int i = 0; i < g->n_nodes; i++) {
            const hbg_node *n = &g->nodes[i];
            if (strcmp(n->domain, HBC_QUANT_DOMAIN) || strcmp(n->op_type, "Dequantize"))
                continue;
            snprintf(path, sizeof path, "%s/golden_%d_dq%d.npy", dir, r, dq++);
            hbg_tensor *want = load_npy(path);
            const hbg_tensor *got = g->tensors[n->in[0]];
            check_same_shape(got, want, path);
            if (memcmp(got->data, want->data, (size_t)hbg_tensor_nbytes(want)) != 0) {
                int64_t k = 0;
                const size_t es = hbg_dtype_size(want->dtype);
                while (memcmp((const char *)got->data + k * (int64_t)es,
                              (const char *)want->data + k * (int64_t)es, es) == 0)
                    k++;
                fail_msg("%s: tensor '%s' differs first at element %lld (%g vs golden %g)", path,
                         got->name, (long long)k, hbg_tensor_get_double(got, k),
                         hbg_tensor_get_double(want, k));
            }
            hbg_tensor_free(want);
        }
        assert_true(dq >= min_dq);
        for (int o = 0; o < g->n_outputs; o++) {
            snprintf(path, sizeof path, "%s/golden_%d_out%d.npy", dir, r, o);
            hbg_tensor *want = load_npy(path);
            const hbg_tensor *got = g->tensors[g->outputs[o]];
            check_same_shape(got, want, path);
            const float *a = got->data, *b = want->data;
            double amax = 0.0;
            for (int64_t i = 0; i < hbg_tensor_numel(want); i++)
                amax = fmax(amax, fabs((double)b[i]));
            for (int64_t i = 0; i < hbg_tensor_numel(want); i++)
                if (fabs((double)a[i] - (double)b[i]) > 1e-5 * amax)
                    fail_msg("%s: element %lld is %.9g, golden %.9g", path, (long long)i,
                             (double)a[i], (double)b[i]);
            hbg_tensor_free(want);
        }
    }
    assert_true(r >= min_inputs);
    hbc_qexec_free(e);
    hbg_graph_free(g);
}

static void test_cifar10_quick(void **state)
{
    (void)state;
    run_model("cifar10_quick", 2, 1);
}

static void test_synthetic(void **state)
{
    (void)state;
    run_model("synthetic", 2, 3);
}

static void test_yunet(void **state)
{
    (void)state;
    run_model("yunet", 1, 1);
}

/* tests/unit/passes/shufflenet_tv.onnx after the graph passes: channel Gathers, Slices with a
 * channel step, Concats whose inputs are requantised once (docs/quantized-ops.md sections 3, 4). */
static void test_shufflenet_tv(void **state)
{
    (void)state;
    run_model("shufflenet_tv", 2, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cifar10_quick),
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_yunet),
        cmocka_unit_test(test_shufflenet_tv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
