/* Runs a .bin model with a custom CPU operator through libdnn (tests/custom_op/custom_op_e2e.sh).
 *
 *   custom_op_bin_run [--plugin P.so] --bin M.bin --input X.npy
 *                     [--expect-exact R.npy] [--expect-cos F.npy MIN_COS]
 *
 * Registers P.so with hbDNNRegisterCustomOpPlugin (when given), loads M.bin, feeds its single
 * float32 featuremap input from X.npy, runs once and reads output 0 as floats. --expect-exact:
 * every value must equal R.npy (the quantized ONNX on the integer reference executor, hb_mapper
 * infer) within 1e-6 relative (both are int32 * scale, computed in float here and in double there);
 * --expect-cos: the cosine to F.npy (the float model, numpy) must be >= MIN_COS. Exit 0 on
 * success, 1 on any failure (message on stderr, libdnn's own messages included). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_plugin.h"
#include "hbg/npy.h"
#include "sample_dnn.h"

typedef struct opts {
    const char *plugin, *bin, *input, *exact, *cosref;
    double min_cos;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--expect-cos") == 0 && i + 2 < argc) {
            o->cosref = argv[++i];
            o->min_cos = strtod(argv[++i], NULL);
        } else if (i + 1 < argc && strcmp(a, "--plugin") == 0) {
            o->plugin = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--bin") == 0) {
            o->bin = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--input") == 0) {
            o->input = argv[++i];
        } else if (i + 1 < argc && strcmp(a, "--expect-exact") == 0) {
            o->exact = argv[++i];
        } else {
            fprintf(stderr, "custom_op_bin_run: bad argument '%s'\n", a);
            return -1;
        }
    }
    if (!o->bin || !o->input) {
        fprintf(stderr, "custom_op_bin_run: --bin and --input are required\n");
        return -1;
    }
    return 0;
}

/* Compare got[0..n-1] with the float32 .npy at path. */
static int compare(const float *got, size_t n, const char *path, int exact, double min_cos)
{
    char err[512];
    hbg_tensor *ref = NULL;
    int rc = -1;
    if (hbg_npy_load(path, "reference", &ref, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "custom_op_bin_run: %s\n", err);
        goto out;
    }
    if (ref->dtype != HBG_DT_F32 || hbg_tensor_numel(ref) != (int64_t)n) {
        fprintf(stderr, "custom_op_bin_run: %s: %lld float32 values expected\n", path,
                (long long)n);
        goto out;
    }
    const float *r = ref->data;
    double dot = 0, ng = 0, nr = 0;
    for (size_t i = 0; i < n; i++) {
        if (exact && fabs((double)got[i] - r[i]) > 1e-6 * fmax(1.0, fabs(r[i]))) {
            fprintf(stderr, "custom_op_bin_run: value %zu: .bin %.9g, %s %.9g\n", i, got[i], path,
                    r[i]);
            goto out;
        }
        dot += (double)got[i] * r[i];
        ng += (double)got[i] * got[i];
        nr += (double)r[i] * r[i];
    }
    double cos = dot / (sqrt(ng) * sqrt(nr) + 1e-30);
    printf("%s: %zu values, cosine %.6f%s\n", path, n, cos, exact ? ", equal" : "");
    if (!exact && !(cos >= min_cos)) {
        fprintf(stderr, "custom_op_bin_run: cosine %.6f to %s is below %.6f\n", cos, path, min_cos);
        goto out;
    }
    rc = 0;
out:
    hbg_tensor_free(ref);
    return rc;
}

int main(int argc, char **argv)
{
    opts o;
    sample_model m = {0};
    sample_io io = {0};
    hbg_tensor *x = NULL;
    float *vals = NULL;
    size_t n = 0;
    char err[512];
    int rc = 1, opened = 0, alloc = 0;
    if (parse(argc, argv, &o) != 0)
        return 1;
    if (o.plugin && hbDNNRegisterCustomOpPlugin(o.plugin) != HB_DNN_SUCCESS) {
        fprintf(stderr, "custom_op_bin_run: hbDNNRegisterCustomOpPlugin(%s) failed\n", o.plugin);
        goto out;
    }
    if (sample_model_open(&m, o.bin, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "custom_op_bin_run: %s\n", err);
        goto out;
    }
    opened = 1;
    if (sample_io_alloc(&m, &io, err, sizeof err) != 0) {
        fprintf(stderr, "custom_op_bin_run: %s\n", err);
        goto out;
    }
    alloc = 1;
    if (hbg_npy_load(o.input, "input", &x, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "custom_op_bin_run: %s\n", err);
        goto out;
    }
    const hbDNNTensorProperties *p = &io.in[0].properties;
    if (io.n_in != 1 || p->tensorType != HB_DNN_TENSOR_TYPE_F32 || x->dtype != HBG_DT_F32 ||
        hbg_tensor_nbytes(x) != p->alignedByteSize) {
        fprintf(stderr,
                "custom_op_bin_run: the model must have one dense float32 input of %lld bytes "
                "(type %d, %d bytes)\n",
                (long long)hbg_tensor_nbytes(x), (int)p->tensorType, (int)p->alignedByteSize);
        goto out;
    }
    memcpy(io.in[0].sysMem[0].virAddr, x->data, (size_t)p->alignedByteSize);
    if (sample_infer(&m, &io, NULL, err, sizeof err) != 0 ||
        sample_output_floats(&io, 0, &vals, &n, err, sizeof err) != 0) {
        fprintf(stderr, "custom_op_bin_run: %s\n", err);
        goto out;
    }
    if (o.exact && compare(vals, n, o.exact, 1, 0) != 0)
        goto out;
    if (o.cosref && compare(vals, n, o.cosref, 0, o.min_cos) != 0)
        goto out;
    rc = 0;
out:
    free(vals);
    hbg_tensor_free(x);
    if (alloc)
        sample_io_free(&io);
    if (opened)
        sample_model_close(&m);
    return rc;
}
