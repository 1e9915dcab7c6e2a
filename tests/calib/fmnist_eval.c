/* fmnist_eval: top-1 accuracy of each calibration method on a Fashion-MNIST model (bench tool).
 *
 * usage: fmnist_eval MODEL.onnx DATA_DIR N_CALIB [-o PREFIX] [method...]
 * DATA_DIR holds the IDX files of the Debian package dataset-fashion-mnist (gzip). The first
 * N_CALIB training images (pixel / 255, the model's input) calibrate; the 10,000 test images
 * are classified by the float model and by the fake-quantised model of every method
 * (hbc_calib_build_qdq_graph). Prints the thresholds per tensor and one accuracy line per method.
 * Methods: max, pct (max with max_percentile 0.99995), kl, mix, default, skip (all of these by
 * default), load (for a QAT model, named explicitly).
 * -o PREFIX also saves each calibrated model as PREFIX_<method>_calibrated_model.onnx.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hbc/calib.h"
#include "hbc/onnx_io.h"
#include "hbg/exec.h"

#define PIX 784

static void log_fn(void *user, hbc_log_level level, const char *file, int line, const char *func,
                   const char *msg)
{
    (void)user;
    (void)file;
    (void)line;
    (void)func;
    fprintf(stderr, "%s %s\n", hbc_log_level_name(level), msg);
}

/* Read a gzip IDX file: returns the payload (malloc) and its first dimension. */
static unsigned char *read_idx(const char *dir, const char *name, int *count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile f = gzopen(path, "rb");
    unsigned char hdr[16];
    unsigned char *buf = NULL;
    if (!f) {
        fprintf(stderr, "fmnist_eval: cannot open %s\n", path);
        return NULL;
    }
    if (gzread(f, hdr, 4) != 4 || hdr[0] || hdr[1] || hdr[2] != 8 || hdr[3] < 1 || hdr[3] > 3)
        goto bad;
    int nd = hdr[3];
    size_t total = 1;
    if (gzread(f, hdr + 4, (unsigned)(4 * nd)) != 4 * nd)
        goto bad;
    for (int d = 0; d < nd; d++) {
        const unsigned char *p = hdr + 4 + 4 * d;
        size_t v = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (d == 0)
            *count = (int)v;
        total *= v;
    }
    if (total > (size_t)1 << 28 || !(buf = malloc(total)) ||
        gzread(f, buf, (unsigned)total) != (int)total)
        goto bad;
    gzclose(f);
    return buf;
bad:
    fprintf(stderr, "fmnist_eval: %s is not a valid IDX file\n", path);
    free(buf);
    gzclose(f);
    return NULL;
}

static int argmax10(const float *v)
{
    int b = 0;
    for (int i = 1; i < 10; i++)
        if (v[i] > v[b])
            b = i;
    return b;
}

/* Accuracy of graph g over n images; pred (n) receives the classes. */
static int classify(hbg_graph *g, const unsigned char *img, int n, int *pred)
{
    hbg_exec *ex = NULL;
    if (hbg_exec_create(g, &ex) != HBG_OK) {
        fprintf(stderr, "fmnist_eval: %s\n", g->err);
        return -1;
    }
    float *in = g->tensors[g->inputs[0]]->data;
    for (int i = 0; i < n; i++) {
        for (int p = 0; p < PIX; p++)
            in[p] = img[(size_t)i * PIX + p] / 255.0f;
        if (hbg_exec_run(ex) != HBG_OK) {
            fprintf(stderr, "fmnist_eval: %s\n", g->err);
            hbg_exec_free(ex);
            return -1;
        }
        pred[i] = argmax10(g->tensors[g->outputs[0]]->data);
    }
    hbg_exec_free(ex);
    return 0;
}

static const struct {
    const char *name;
    hbc_calib_method m;
    double pct;
} k_methods[] = {
    {"max", HBC_CALIB_MAX, 1.0},         {"pct", HBC_CALIB_MAX, 0.99995},
    {"kl", HBC_CALIB_KL, 1.0},           {"mix", HBC_CALIB_MIX, 1.0},
    {"default", HBC_CALIB_DEFAULT, 1.0}, {"skip", HBC_CALIB_SKIP, 1.0},
    {"load", HBC_CALIB_LOAD, 1.0},
};

int main(int argc, char **argv)
{
    int rc = 1, n_tr = 0, n_te = 0, n_lab = 0, n_cal;
    hbg_graph *g = NULL;
    char err[1024];
    unsigned char *tr = NULL, *te = NULL, *lab = NULL;
    int *pred = NULL;
    float *cal = NULL;
    const float **rows = NULL;
    const float *const **samples = NULL;
    const char *prefix = NULL;
    int first_method = 4;
    if (argc > 5 && strcmp(argv[4], "-o") == 0) {
        prefix = argv[5];
        first_method = 6;
    }
    if (argc < 4 || (n_cal = atoi(argv[3])) < 1) {
        fprintf(stderr, "usage: fmnist_eval MODEL.onnx DATA_DIR N_CALIB [-o PREFIX] [method...]\n");
        return 2;
    }
    if (hbc_onnx_load_file(argv[1], &g, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "fmnist_eval: %s\n", err);
        return 1;
    }
    if (!(tr = read_idx(argv[2], "train-images-idx3-ubyte.gz", &n_tr)) ||
        !(te = read_idx(argv[2], "t10k-images-idx3-ubyte.gz", &n_te)) ||
        !(lab = read_idx(argv[2], "t10k-labels-idx1-ubyte.gz", &n_lab)))
        goto out;
    if (n_cal > n_tr || n_lab != n_te) {
        fprintf(stderr, "fmnist_eval: bad sizes\n");
        goto out;
    }
    pred = malloc((size_t)n_te * sizeof *pred);
    cal = malloc((size_t)n_cal * PIX * sizeof *cal);
    rows = malloc((size_t)n_cal * sizeof *rows);
    samples = malloc((size_t)n_cal * sizeof *samples);
    if (!pred || !cal || !rows || !samples)
        goto out;
    for (int i = 0; i < n_cal; i++) {
        for (int p = 0; p < PIX; p++)
            cal[(size_t)i * PIX + p] = tr[(size_t)i * PIX + p] / 255.0f;
        rows[i] = cal + (size_t)i * PIX;
        samples[i] = &rows[i];
    }
    if (classify(g, te, n_te, pred) != 0)
        goto out;
    int ok = 0;
    for (int i = 0; i < n_te; i++)
        ok += pred[i] == lab[i];
    double acc_f = 100.0 * ok / n_te;
    printf("float: top-1 %.2f%% (%d images)\n", acc_f, n_te);
    hbc_logger lg = {log_fn, NULL, HBC_LOG_INFO};
    for (size_t k = 0; k < sizeof k_methods / sizeof k_methods[0]; k++) {
        int chosen = argc == first_method && k_methods[k].m != HBC_CALIB_LOAD;
        for (int a = first_method; a < argc; a++)
            chosen |= strcmp(argv[a], k_methods[k].name) == 0;
        if (!chosen)
            continue;
        hbc_calib_options o;
        hbc_calib_options_init(&o);
        o.method = k_methods[k].m;
        o.max_percentile = k_methods[k].pct;
        hbc_calib_table t = {0};
        hbg_graph *q = NULL;
        if (hbc_calibrate(g, n_cal, samples, &o, &lg, &t, err, sizeof err) != HBG_OK ||
            hbc_calib_build_qdq_graph(g, &t, NULL, &q, err, sizeof err) != HBG_OK) {
            fprintf(stderr, "fmnist_eval: %s: %s\n", k_methods[k].name, err);
            hbc_calib_table_free(&t);
            goto out;
        }
        printf("%s thresholds:", k_methods[k].name);
        for (int i = 0; i < t.n; i++)
            printf(" %s=%.5g", t.e[i].tensor, t.e[i].threshold);
        printf("\n");
        if (prefix) {
            char path[1024];
            snprintf(path, sizeof path, "%s_%s_calibrated_model.onnx", prefix, k_methods[k].name);
            if (hbc_onnx_save_file(q, path, err, sizeof err) != HBG_OK) {
                fprintf(stderr, "fmnist_eval: %s\n", err);
                hbg_graph_free(q);
                hbc_calib_table_free(&t);
                goto out;
            }
        }
        int r = classify(q, te, n_te, pred);
        hbg_graph_free(q);
        hbc_calib_table_free(&t);
        if (r != 0)
            goto out;
        ok = 0;
        for (int i = 0; i < n_te; i++)
            ok += pred[i] == lab[i];
        printf("%s: top-1 %.2f%% (float %.2f%%, delta %+.2f points)\n", k_methods[k].name,
               100.0 * ok / n_te, acc_f, 100.0 * ok / n_te - acc_f);
    }
    rc = 0;
out:
    free(tr);
    free(te);
    free(lab);
    free(pred);
    free(cal);
    free(rows);
    free(samples);
    hbg_graph_free(g);
    return rc;
}
