/* hb_accuracy_eval: quantisation accuracy of the converter's pipeline, measured with the libraries
 * directly (docs/accuracy.md). For every calibration method asked for:
 *   original model -> hbc_optimize (the optimized float model) -> hbc_calibrate on the calibration
 *   samples -> hbc_quantize (every node the quantiser supports on the BPU but the output side,
 *   the rest float on the CPU) -> with --bias-corr, hbc_quant_bias_correct on the calibration
 *   samples -> the integer reference executor (hbc_qexec) on the evaluation samples, compared with
 * the float executor on the optimized float model: cosine similarity of every output
 * (hbc_similarity_f32) and, for classifiers, top-1 agreement (and accuracy with labels).
 *
 * usage:
 *   hb_accuracy_eval MODEL [options] --kind KIND --calib IMG... --eval IMG...
 *   hb_accuracy_eval MODEL [options] --fmnist-idx DIR [--n-calib N]
 *   hb_accuracy_eval MODEL [options] --fmnist-npy CALIB.npy TEST.npy LABELS.npy
 * MODEL is a .onnx file, or a Caffe .prototxt followed by its .caffemodel.
 * KIND (the model's real preprocessing): mobilenet, yunet, fastestdet, cifar10 (table k_kinds).
 * Fashion-MNIST: DIR holds the gzip IDX files of the Debian package dataset-fashion-mnist (the
 * first N training images calibrate, default 100; the 10,000 test images are evaluated); the
 * .npy form takes uint8 arrays Nx28x28 (calibration, test) and N labels. Pixels / 255.
 * options:
 *   --method M     run method M (repeatable): default, mix, kl, max, pct (max with
 *                  max_percentile 0.99995), skip, load; without it: all but load
 *   --min-cos X    fail (exit 1) if any output cosine of any evaluation sample is below X
 *   --max-drop P   fail if quantized top-1 (with labels) is more than P points below float
 *   --min-agree F  fail if the quantized top-1 agrees with float's on less than fraction F
 *   --cpu-op T     place every node of op type T on the CPU (float), as hb_mapper's run_on_cpu
 *                  would for those nodes (repeatable)
 *   --cpu-node N   place the node named N on the CPU (repeatable)
 *   --signed-acts  every activation signed int8 (hbc_quant_opts.signed_only: no unsigned
 *                  activations, as before 2026-11-26)
 *   --bpu-tail     keep every supported node on the BPU (hbc_quant_opts.output_side_cpu 0);
 *                  by default the output side runs on the CPU (docs/quantized-ops.md section 7)
 *   --bias-corr    bias correction (hbc_quant_bias_correct, one pass over the calibration
 *                  samples) after hbc_quantize; off by default (docs/accuracy.md)
 *   --bias-passes N bias correction with N passes (1 .. 16)
 *   --round-weights re-round the int8 weights to least mean square output error on the
 *                  calibration samples (hbc_quant_round_weights), before any bias correction
 *   --equalize F   channel equalisation (hbc_calib_equalize, factors up to F >= 1) on the
 *                  calibration samples before every method; the float reference is the model
 *                  before it (docs/calibration.md)
 *   --fq-weights-only  the fake-quant column with int8-rounded weights but no activation pair
 *                  (float activations): what the weights' rounding alone costs
 *   --fq-acts-only the fake-quant column with the activation pairs but float weights: what
 *                  the activations' rounding alone costs
 *   --fq-exact A:B the fake-quant column with nodes A .. B-1 of the optimized graph (0-based,
 *                  its topological order) left exact: float weights, no pair on their outputs;
 *                  what the output would gain were those nodes computed in higher precision
 *   --nodes        print the per-tensor cosine on the first evaluation sample (diagnosis)
 *   -v             calibration progress (INFO) on stderr
 * Output: Markdown tables on stdout. Exit status 0, 1 (a failure or a threshold missed, the
 * message on stderr names it) or 2 (bad command line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "hbc/caffe_io.h"
#include "hbc/calib.h"
#include "hbc/metrics.h"
#include "hbc/onnx_io.h"
#include "hbc/passes.h"
#include "hbc/prep.h"
#include "hbc/quant.h"
#include "hbg/exec.h"
#include "hbg/npy.h"

#define MAX_METHODS 8
#define MAX_CPU     16  /* --cpu-op and --cpu-node arguments, each */
#define FM_PIX      784 /* 28 x 28 */

/* A model's input preprocessing: x = (p - mean[c]) * scale on the bytes of the prep kind
 * (docs/preprocess.md: resize (and crop), channel order, planar CHW). */
typedef struct kind {
    const char *name;
    const char *prep; /* hbc_prep_kind name */
    double mean[3];
    double scale;
    int classifier; /* 1: report whether the quantized top-1 class is float's */
} kind;

/* cifar10: the CIFAR-10 training set's per-channel RGB mean (0.4914, 0.4822, 0.4465) x 255,
 * standing in for Caffe's per-pixel mean.binaryproto, which is not distributed with the model. */
static const kind k_kinds[] = {
    {"mobilenet", "mobilenet", {128, 128, 128}, 1.0 / 128, 1},
    {"yunet", "yunet", {0, 0, 0}, 1.0, 0},
    {"fastestdet", "fastestdet", {0, 0, 0}, 1.0 / 255, 0},
    {"cifar10", "cifar10", {125.3, 123.0, 113.9}, 1.0, 1},
};

typedef struct method {
    const char *name;
    hbc_calib_method m;
    double pct;
} method;

static const method k_methods[] = {
    {"default", HBC_CALIB_DEFAULT, 1.0}, {"mix", HBC_CALIB_MIX, 1.0},
    {"kl", HBC_CALIB_KL, 1.0},           {"max", HBC_CALIB_MAX, 1.0},
    {"pct", HBC_CALIB_MAX, 0.99995},     {"skip", HBC_CALIB_SKIP, 1.0},
    {"load", HBC_CALIB_LOAD, 1.0},
};
#define N_METHODS ((int)(sizeof k_methods / sizeof k_methods[0]))

typedef struct opts {
    const char *model, *caffemodel;
    const kind *kind;
    const char **calib, **eval; /* image files (argv pointers) */
    int n_calib_files, n_eval_files;
    const char *idx_dir, *npy[3];
    int n_calib; /* Fashion-MNIST training images that calibrate */
    int methods[MAX_METHODS], n_methods;
    const char *cpu_ops[MAX_CPU], *cpu_nodes[MAX_CPU];
    int n_cpu_ops, n_cpu_nodes;
    double min_cos, max_drop, min_agree;
    int nodes, verbose;
    int bpu_tail;    /* --bpu-tail: output_side_cpu 0 */
    int signed_acts; /* --signed-acts: hbc_quant_opts.signed_only */
    int bias_passes; /* hbc_quant_bias_correct passes; 0: none (without --bias-corr) */
    int round_w;     /* --round-weights: hbc_quant_round_weights */
    double equalize; /* --equalize F: hbc_calib_equalize with max_scale F; 0: off */
    int fq_part;     /* which roundings the fake-quant column keeps (fq_part) */
    int fq_exact[2]; /* --fq-exact A:B: nodes [A, B) left exact; A = B = 0: none */
} opts;

/* The roundings the fake-quant column keeps (--fq-weights-only, --fq-acts-only). */
enum fq_part { FQ_BOTH, FQ_WEIGHTS, FQ_ACTS };

/* The samples: n_cal calibration and n_eval evaluation inputs of numel floats each (the model's
 * single input), labels (n_eval) or NULL, and a name per evaluation sample or NULL. */
typedef struct dataset {
    int n_cal, n_eval;
    size_t numel;
    float *cal, *eval;
    unsigned char *labels;
    const char **names;
} dataset;

/* Results of one method over the evaluation samples. */
typedef struct result {
    double *cos; /* [n_eval * n_outputs] */
    int top1_ok, agree, fq_ok;
    double fq_cos; /* least output cosine of the fake-quantised model */
} result;

static void log_fn(void *user, hbc_log_level level, const char *file, int line, const char *func,
                   const char *msg)
{
    (void)user;
    (void)file;
    (void)line;
    (void)func;
    fprintf(stderr, "%s %s\n", hbc_log_level_name(level), msg);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: hb_accuracy_eval MODEL.onnx|PROTOTXT CAFFEMODEL [options]\n"
            "         (--kind KIND --calib IMG... --eval IMG... | --fmnist-idx DIR [--n-calib N]\n"
            "          | --fmnist-npy CALIB.npy TEST.npy LABELS.npy)\n"
            "options: --method M (default mix kl max pct skip load), --min-cos X, --max-drop P,\n"
            "         --min-agree F, --cpu-op TYPE, --cpu-node NAME, --bpu-tail, --signed-acts,\n"
            "         --round-weights, --equalize F, --fq-weights-only, --fq-acts-only, --fq-exact "
            "A:B,\n"
            "         --bias-corr, --bias-passes N, --nodes, -v\n");
    return 2;
}

/* A whole-string number, or NAN (then refused by the caller's range check). */
static double num(const char *s)
{
    char *end = NULL;
    double v = strtod(s, &end);
    return end != s && *end == '\0' ? v : NAN;
}

static int bad_number(const char *opt, const char *v)
{
    fprintf(stderr, "hb_accuracy_eval: %s: '%s' is not a number in range\n", opt, v);
    return -1;
}

static int parse(int argc, char **argv, opts *o)
{
    int list = 0; /* 1: collecting --calib files, 2: --eval files */
    memset(o, 0, sizeof *o);
    o->n_calib = 100;
    o->min_cos = -2;
    o->max_drop = -1;
    o->min_agree = -1;
    if (!(o->calib = calloc((size_t)argc, sizeof *o->calib)) ||
        !(o->eval = calloc((size_t)argc, sizeof *o->eval)))
        return -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = argc - 1 - i; /* arguments after a */
        if (a[0] == '-' && a[1] == '-')
            list = 0;
        if (!strcmp(a, "--calib"))
            list = 1;
        else if (!strcmp(a, "--eval"))
            list = 2;
        else if (!strcmp(a, "--kind") && more >= 1) {
            i++;
            for (size_t k = 0; k < sizeof k_kinds / sizeof k_kinds[0]; k++)
                if (!strcmp(argv[i], k_kinds[k].name))
                    o->kind = &k_kinds[k];
            if (!o->kind) {
                fprintf(stderr, "hb_accuracy_eval: unknown --kind '%s'\n", argv[i]);
                return -1;
            }
        } else if (!strcmp(a, "--fmnist-idx") && more >= 1)
            o->idx_dir = argv[++i];
        else if (!strcmp(a, "--fmnist-npy") && more >= 3) {
            for (int k = 0; k < 3; k++)
                o->npy[k] = argv[++i];
        } else if (!strcmp(a, "--n-calib") && more >= 1) {
            double v = num(argv[++i]);
            o->n_calib = v >= 1 && v <= 60000 && v == floor(v) ? (int)v : 0;
        } else if (!strcmp(a, "--min-cos") && more >= 1) {
            if (!((o->min_cos = num(argv[++i])) >= -1 && o->min_cos <= 1))
                return bad_number(a, argv[i]);
        } else if (!strcmp(a, "--max-drop") && more >= 1) {
            if (!((o->max_drop = num(argv[++i])) >= 0 && o->max_drop <= 100))
                return bad_number(a, argv[i]);
        } else if (!strcmp(a, "--min-agree") && more >= 1) {
            if (!((o->min_agree = num(argv[++i])) >= 0 && o->min_agree <= 1))
                return bad_number(a, argv[i]);
        } else if (!strcmp(a, "--cpu-op") && more >= 1 && o->n_cpu_ops < MAX_CPU)
            o->cpu_ops[o->n_cpu_ops++] = argv[++i];
        else if (!strcmp(a, "--cpu-node") && more >= 1 && o->n_cpu_nodes < MAX_CPU)
            o->cpu_nodes[o->n_cpu_nodes++] = argv[++i];
        else if (!strcmp(a, "--nodes"))
            o->nodes = 1;
        else if (!strcmp(a, "--signed-acts"))
            o->signed_acts = 1;
        else if (!strcmp(a, "--bpu-tail"))
            o->bpu_tail = 1;
        else if (!strcmp(a, "--round-weights"))
            o->round_w = 1;
        else if (!strcmp(a, "--fq-weights-only"))
            o->fq_part = FQ_WEIGHTS;
        else if (!strcmp(a, "--fq-acts-only"))
            o->fq_part = FQ_ACTS;
        else if (!strcmp(a, "--fq-exact") && more >= 1) {
            const char *v = argv[++i];
            char *end = NULL;
            long lo = strtol(v, &end, 10), hi = -1;
            if (end != v && *end == ':')
                hi = strtol(end + 1, &end, 10);
            if (!(lo >= 0 && hi > lo && hi <= 1000000 && *end == '\0')) {
                fprintf(stderr,
                        "hb_accuracy_eval: --fq-exact: '%s' is not a node range A:B "
                        "with 0 <= A < B\n",
                        v);
                return -1;
            }
            o->fq_exact[0] = (int)lo;
            o->fq_exact[1] = (int)hi;
        } else if (!strcmp(a, "--equalize") && more >= 1) {
            if (!((o->equalize = num(argv[++i])) >= 1 && o->equalize <= 1e6))
                return bad_number(a, argv[i]);
        } else if (!strcmp(a, "--bias-corr"))
            o->bias_passes = o->bias_passes ? o->bias_passes : 1;
        else if (!strcmp(a, "--bias-passes") && more >= 1) {
            double v = num(argv[++i]);
            if (!(v >= 1 && v <= 16 && v == floor(v)))
                return bad_number(a, argv[i]);
            o->bias_passes = (int)v;
        } else if (!strcmp(a, "-v"))
            o->verbose = 1;
        else if (!strcmp(a, "--method") && more >= 1 && o->n_methods < MAX_METHODS) {
            int m = -1;
            i++;
            for (int k = 0; k < N_METHODS; k++)
                if (!strcmp(argv[i], k_methods[k].name))
                    m = k;
            if (m < 0) {
                fprintf(stderr, "hb_accuracy_eval: unknown --method '%s'\n", argv[i]);
                return -1;
            }
            o->methods[o->n_methods++] = m;
        } else if (list == 1)
            o->calib[o->n_calib_files++] = a;
        else if (list == 2)
            o->eval[o->n_eval_files++] = a;
        else if (a[0] != '-' && !o->model)
            o->model = a;
        else if (a[0] != '-' && !o->caffemodel)
            o->caffemodel = a;
        else {
            fprintf(stderr, "hb_accuracy_eval: unexpected argument '%s'\n", a);
            return -1;
        }
    }
    if (!o->n_methods)
        for (int k = 0; k < N_METHODS; k++)
            if (k_methods[k].m != HBC_CALIB_LOAD)
                o->methods[o->n_methods++] = k;
    int sources = (o->kind != NULL) + (o->idx_dir != NULL) + (o->npy[0] != NULL);
    if (!o->model || sources != 1 || o->n_calib < 1 ||
        (o->kind && (o->n_calib_files < 1 || o->n_eval_files < 1))) {
        fprintf(stderr, "hb_accuracy_eval: need a model and exactly one data source\n");
        return -1;
    }
    return 0;
}

/* ---- data ----------------------------------------------------------------------------------- */

/* Read a gzip IDX file of unsigned bytes: the payload (malloc) and its first dimension. */
static unsigned char *read_idx(const char *dir, const char *name, int *count)
{
    char path[1024];
    unsigned char hdr[16];
    unsigned char *buf = NULL;
    size_t total = 1;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "hb_accuracy_eval: cannot open %s\n", path);
        return NULL;
    }
    if (gzread(f, hdr, 4) != 4 || hdr[0] || hdr[1] || hdr[2] != 8 || hdr[3] < 1 || hdr[3] > 3 ||
        gzread(f, hdr + 4, 4u * hdr[3]) != 4 * hdr[3])
        goto bad;
    for (int d = 0; d < hdr[3]; d++) {
        const unsigned char *p = hdr + 4 + 4 * d;
        size_t v = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (d == 0)
            *count = (int)v;
        total *= v;
        if (total > (size_t)1 << 28)
            goto bad;
    }
    if (!(buf = malloc(total)) || gzread(f, buf, (unsigned)total) != (int)total)
        goto bad;
    gzclose(f);
    return buf;
bad:
    fprintf(stderr, "hb_accuracy_eval: %s is not a valid uint8 IDX file\n", path);
    free(buf);
    gzclose(f);
    return NULL;
}

/* Load a uint8 .npy with first dimension *count and per elements per item (0: any). */
static unsigned char *read_npy_u8(const char *path, size_t per, int *count)
{
    char err[512];
    hbg_tensor *t = NULL;
    unsigned char *buf = NULL;
    if (hbg_npy_load(path, "x", &t, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s\n", err);
        return NULL;
    }
    int64_t n = hbg_tensor_numel(t);
    if (t->dtype != HBG_DT_U8 || t->rank < 1 || t->dims[0] < 1 ||
        (per && (size_t)n != (size_t)t->dims[0] * per)) {
        fprintf(stderr, "hb_accuracy_eval: %s: expected uint8 with %zu elements per item\n", path,
                per);
    } else if ((buf = malloc((size_t)n))) {
        memcpy(buf, t->data, (size_t)n);
        *count = (int)t->dims[0];
    }
    hbg_tensor_free(t);
    return buf;
}

static int fmnist_load(const opts *o, dataset *d)
{
    unsigned char *tr = NULL, *te = NULL;
    int n_tr = 0, n_te = 0, n_lab = 0, rc = -1;
    if (o->idx_dir) {
        tr = read_idx(o->idx_dir, "train-images-idx3-ubyte.gz", &n_tr);
        te = read_idx(o->idx_dir, "t10k-images-idx3-ubyte.gz", &n_te);
        d->labels = read_idx(o->idx_dir, "t10k-labels-idx1-ubyte.gz", &n_lab);
    } else {
        tr = read_npy_u8(o->npy[0], FM_PIX, &n_tr);
        te = read_npy_u8(o->npy[1], FM_PIX, &n_te);
        d->labels = read_npy_u8(o->npy[2], 1, &n_lab);
    }
    if (!tr || !te || !d->labels)
        goto out;
    if (n_lab != n_te || o->n_calib > n_tr) {
        fprintf(stderr, "hb_accuracy_eval: %d labels for %d test images, %d training images\n",
                n_lab, n_te, n_tr);
        goto out;
    }
    d->n_cal = o->n_calib;
    d->n_eval = n_te;
    d->numel = FM_PIX;
    if (!(d->cal = malloc((size_t)d->n_cal * FM_PIX * sizeof(float))) ||
        !(d->eval = malloc((size_t)n_te * FM_PIX * sizeof(float))))
        goto out;
    for (size_t i = 0; i < (size_t)d->n_cal * FM_PIX; i++)
        d->cal[i] = tr[i] / 255.0f;
    for (size_t i = 0; i < (size_t)n_te * FM_PIX; i++)
        d->eval[i] = te[i] / 255.0f;
    rc = 0;
out:
    free(tr);
    free(te);
    return rc;
}

/* Decode and preprocess n image files into n samples of d->numel floats at dst. */
static int photos_load(const kind *k, const char **files, int n, size_t numel, float *dst)
{
    const hbc_prep_kind *pk = hbc_prep_kind_find(k->prep);
    char err[512];
    int rc = -1;
    uint8_t *chw = NULL;
    if (!pk || hbc_prep_kind_size(pk) != numel) {
        fprintf(stderr, "hb_accuracy_eval: kind %s gives %zu values, the model takes %zu\n",
                k->name, pk ? hbc_prep_kind_size(pk) : 0, numel);
        return -1;
    }
    if (!(chw = malloc(numel)))
        return -1;
    const size_t plane = numel / 3;
    for (int i = 0; i < n; i++) {
        hbc_image img = {0};
        if (hbc_image_load(files[i], &img, err, sizeof err) != HBG_OK ||
            hbc_prep_kind_apply(pk, &img, chw, err, sizeof err) != HBG_OK) {
            fprintf(stderr, "hb_accuracy_eval: %s\n", err);
            hbc_image_free(&img);
            goto out;
        }
        hbc_image_free(&img);
        for (size_t j = 0; j < numel; j++)
            dst[(size_t)i * numel + j] = (float)((chw[j] - k->mean[j / plane]) * k->scale);
    }
    rc = 0;
out:
    free(chw);
    return rc;
}

/* ---- running -------------------------------------------------------------------------------- */

static size_t out_numel(const hbg_graph *g)
{
    size_t n = 0;
    for (int o = 0; o < g->n_outputs; o++)
        n += (size_t)hbg_tensor_numel(g->tensors[g->outputs[o]]);
    return n;
}

static int argmax(const float *v, size_t n)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[b])
            b = i;
    return (int)b;
}

/* Run the float graph g on every evaluation sample; outputs concatenated into ref
 * (n_eval * out_numel floats). */
static int run_float(hbg_graph *g, const dataset *d, float *ref)
{
    hbg_exec *ex = NULL;
    if (hbg_exec_create(g, &ex) != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s\n", g->err);
        return -1;
    }
    const size_t on = out_numel(g);
    for (int s = 0; s < d->n_eval; s++) {
        memcpy(g->tensors[g->inputs[0]]->data, d->eval + (size_t)s * d->numel,
               d->numel * sizeof(float));
        if (hbg_exec_run(ex) != HBG_OK) {
            fprintf(stderr, "hb_accuracy_eval: %s\n", g->err);
            hbg_exec_free(ex);
            return -1;
        }
        float *dst = ref + (size_t)s * on;
        for (int o = 0; o < g->n_outputs; o++) {
            const hbg_tensor *t = g->tensors[g->outputs[o]];
            memcpy(dst, t->data, (size_t)hbg_tensor_numel(t) * sizeof(float));
            dst += hbg_tensor_numel(t);
        }
    }
    hbg_exec_free(ex);
    return 0;
}

/* Per-tensor cosine of qg against fg on evaluation sample 0 (both executors have just run it):
 * int8 tensors are dequantised with their table scale, T / 127 (signed) or T / 254 with zero
 * point -127 (unsigned, hbc_quant_zero_point). */
static void print_nodes(const hbg_graph *fg, const hbg_graph *qg, const hbc_calib_table *tab)
{
    printf("\nPer-tensor cosine on sample 0 (float tensor vs its quantized counterpart):\n\n");
    printf("| tensor | producer | qtype | threshold | max abs | at max abs | zero | cosine |\n"
           "|---|---|---|---|---|---|---|---|\n");
    for (int t = 0; t < fg->n_tensors; t++) {
        const hbg_tensor *f = fg->tensors[t];
        if (f->is_const || f->dtype != HBG_DT_F32 || !f->data || f->is_input)
            continue;
        int qi = hbg_graph_find_tensor(qg, f->name);
        if (qi < 0)
            continue;
        const hbg_tensor *q = qg->tensors[qi];
        const int64_t n = hbg_tensor_numel(f);
        if (!q->data || hbg_tensor_numel(q) != n)
            continue;
        float *deq = malloc((size_t)n * sizeof *deq);
        if (!deq)
            return;
        const hbc_calib_entry *e = hbc_calib_table_find(tab, f->name);
        const int zp = hbc_quant_zero_point(qg, qi);
        if (q->dtype == HBG_DT_I8 && e) {
            const float s = (float)(e->threshold / (zp ? 254.0 : 127.0));
            for (int64_t i = 0; i < n; i++)
                deq[i] = (float)(((const int8_t *)q->data)[i] - zp) * s;
        } else if (q->dtype == HBG_DT_F32) {
            memcpy(deq, q->data, (size_t)n * sizeof *deq);
        } else {
            free(deq);
            continue;
        }
        hbc_similarity sim = hbc_similarity_f32(f->data, deq, (size_t)n);
        /* the float value distribution: saturated (at the largest |x|) and zero fractions */
        const float *fv = f->data;
        double amax = 0;
        int64_t at_max = 0, zero = 0;
        for (int64_t i = 0; i < n; i++)
            amax = fabs(fv[i]) > amax ? fabs(fv[i]) : amax;
        for (int64_t i = 0; i < n; i++) {
            at_max += fabs(fv[i]) == amax;
            zero += fv[i] == 0.0f;
        }
        printf("| %s | %s | %s | %.6g | %.6g | %.2f%% | %.1f%% | %.6f |\n", f->name,
               f->producer >= 0 ? fg->nodes[f->producer].op_type : "-",
               q->dtype == HBG_DT_I8 ? (zp ? "int8 zp -127" : "int8") : "float",
               e ? e->threshold : 0.0, amax, 100.0 * at_max / n, 100.0 * zero / n, sim.cosine);
        free(deq);
    }
}

/* Nodes of the quantized graph that stay float on the CPU: default-domain nodes that read or
 * write a non-constant float tensor (integer ops are in HBC_QUANT_DOMAIN, data movement runs on
 * int8). */
static void print_cpu_nodes(const hbg_graph *qg)
{
    int n = 0;
    printf("\nNodes left float on the CPU by hbc_quantize:");
    for (int i = 0; i < qg->n_nodes; i++) {
        const hbg_node *nd = &qg->nodes[i];
        int fl = 0;
        for (int k = 0; k < nd->n_in + nd->n_out; k++) {
            int t = k < nd->n_in ? nd->in[k] : nd->out[k - nd->n_in];
            fl |= t >= 0 && !qg->tensors[t]->is_const && qg->tensors[t]->dtype == HBG_DT_F32;
        }
        if (nd->domain[0] || !fl || nd->op == HBG_OP_CONSTANT)
            continue;
        printf("%s %s (%s)", n++ ? "," : "", hbg_node_label(qg, nd), nd->op_type);
    }
    printf("%s\n", n ? "." : " none.");
}

/* The fake-quantised model (hbc_calib_build_qdq_graph following the integer graph qg, run by the
 * float executor) on every evaluation sample: top-1 hits (with labels) and the least output
 * cosine against ref. o->fq_part drops the activation pairs (FQ_WEIGHTS: what the weights'
 * rounding alone costs) or rounds no weight (FQ_ACTS); o->fq_exact leaves a range of nodes
 * exact (float weights, no pair on their outputs). */
static int fake_quant(hbg_graph *g, const hbc_calib_table *tab, hbg_graph *qg, const opts *o,
                      const dataset *d, const float *ref, result *r)
{
    char err[1024];
    hbg_graph *q = NULL;
    hbg_exec *ex = NULL;
    int rc = -1;
    int *act = calloc((size_t)g->n_tensors + 1, sizeof *act);
    unsigned char *float_node = calloc((size_t)g->n_nodes + 1, 1);
    double *scale = calloc((size_t)g->n_tensors + 1, sizeof *scale);
    if (!act || !float_node || !scale ||
        hbc_quant_qdq_plan(g, qg, act, float_node, scale) != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: fake-quant plan: %s\n",
                act && float_node && scale ? qg->err : "out of memory");
        goto out;
    }
    for (int n = o->fq_exact[0]; n < o->fq_exact[1]; n++) {
        float_node[n] = 1;
        for (int k = 0; k < g->nodes[n].n_out; k++)
            act[g->nodes[n].out[k]] = HBC_QDQ_NONE;
    }
    for (int t = 0; o->fq_part == FQ_WEIGHTS && t < g->n_tensors; t++)
        act[t] = HBC_QDQ_NONE;
    for (int n = 0; o->fq_part == FQ_ACTS && n < g->n_nodes; n++)
        float_node[n] = 1;
    const hbc_calib_qdq_plan plan = {act, float_node, scale};
    if (hbc_calib_build_qdq_graph(g, tab, &plan, &q, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s\n", err);
        goto out;
    }
    if (hbg_exec_create(q, &ex) != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s\n", q->err);
        goto out;
    }
    const size_t on = out_numel(q);
    r->fq_ok = 0;
    r->fq_cos = 2;
    for (int s = 0; s < d->n_eval; s++) {
        memcpy(q->tensors[q->inputs[0]]->data, d->eval + (size_t)s * d->numel,
               d->numel * sizeof(float));
        if (hbg_exec_run(ex) != HBG_OK) {
            fprintf(stderr, "hb_accuracy_eval: %s\n", q->err);
            goto out;
        }
        const float *fref = ref + (size_t)s * on;
        for (int k = 0; k < q->n_outputs; k++) {
            const hbg_tensor *t = q->tensors[q->outputs[k]];
            const size_t n = (size_t)hbg_tensor_numel(t);
            const double c = hbc_similarity_f32(fref, t->data, n).cosine;
            if (!(c >= r->fq_cos))
                r->fq_cos = c;
            if (k == 0 && d->labels)
                r->fq_ok += argmax(t->data, n) == d->labels[s];
            fref += n;
        }
    }
    rc = 0;
out:
    hbg_exec_free(ex);
    hbg_graph_free(q);
    free(act);
    free(float_node);
    free(scale);
    return rc;
}

/* The calibration samples of d as hbc_calibrate takes them: (*samples)[s][0] = the s-th image,
 * through *rows (both freed by the caller). 0, or -1 on no memory. */
static int cal_samples(const dataset *d, const float ***rows, const float *const ***samples)
{
    *rows = malloc(((size_t)d->n_cal + 1) * sizeof **rows);
    *samples = malloc(((size_t)d->n_cal + 1) * sizeof **samples);
    if (!*rows || !*samples)
        return -1;
    for (int s = 0; s < d->n_cal; s++) {
        (*rows)[s] = d->cal + (size_t)s * d->numel;
        (*samples)[s] = &(*rows)[s];
    }
    return 0;
}

/* Calibrate g with method m, quantize, run the integer executor on every evaluation sample and
 * compare with ref. */
static int run_method(hbg_graph *g, const method *m, const dataset *d, const float *ref,
                      const opts *o, int first, result *r)
{
    char err[1024];
    hbc_logger lg = {log_fn, NULL, o->verbose ? HBC_LOG_INFO : HBC_LOG_WARNING};
    hbc_calib_options co;
    hbc_calib_table tab = {0};
    hbc_quant_opts qo = {NULL, 0, 0, !o->bpu_tail, o->signed_acts};
    unsigned char *place = NULL;
    hbg_graph *qg = NULL;
    hbc_qexec *qe = NULL;
    hbg_exec *fe = NULL;
    const float **rows = NULL;
    const float *const **samples = NULL;
    int rc = -1;
    hbc_calib_options_init(&co);
    co.method = m->m;
    co.max_percentile = m->pct;
    if (cal_samples(d, &rows, &samples) != 0)
        goto out;
    if (o->n_cpu_ops || o->n_cpu_nodes) {
        if (!(place = calloc((size_t)g->n_nodes, 1)))
            goto out;
        for (int i = 0; i < g->n_nodes; i++) {
            for (int k = 0; k < o->n_cpu_ops; k++)
                if (!strcmp(g->nodes[i].op_type, o->cpu_ops[k]))
                    place[i] = HBC_PLACE_CPU;
            for (int k = 0; k < o->n_cpu_nodes; k++)
                if (!strcmp(g->nodes[i].name, o->cpu_nodes[k]))
                    place[i] = HBC_PLACE_CPU;
        }
        for (int k = 0; k < o->n_cpu_nodes; k++) {
            int found = 0;
            for (int i = 0; i < g->n_nodes; i++)
                found |= !strcmp(g->nodes[i].name, o->cpu_nodes[k]);
            if (!found) {
                fprintf(stderr, "hb_accuracy_eval: --cpu-node %s: no such node\n", o->cpu_nodes[k]);
                goto out;
            }
        }
        qo.place = place;
        qo.n_place = g->n_nodes;
    }
    if (hbc_calibrate(g, d->n_cal, samples, &co, &lg, &tab, err, sizeof err) != HBG_OK ||
        hbc_quantize(g, &tab, &qo, &qg, err, sizeof err) != HBG_OK ||
        (o->round_w &&
         hbc_quant_round_weights(g, qg, d->n_cal, samples, err, sizeof err) != HBG_OK) ||
        hbc_quant_bias_correct(g, qg, o->bias_passes, d->n_cal, samples, err, sizeof err) !=
            HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s: %s\n", m->name, err);
        goto out;
    }
    if (fake_quant(g, &tab, qg, o, d, ref, r) != 0)
        goto out;
    if (first) {
        print_cpu_nodes(qg);
        if (o->round_w || o->bias_passes)
            printf("\nRefined on the %d calibration samples after hbc_quantize:%s%s.\n", d->n_cal,
                   o->round_w ? " weight rounding (hbc_quant_round_weights)" : "",
                   !o->bias_passes ? ""
                   : o->round_w    ? ", then bias correction (hbc_quant_bias_correct)"
                                   : " bias correction (hbc_quant_bias_correct)");
    }
    if (hbc_qexec_create(qg, &qe) != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s: %s\n", m->name, qg->err);
        goto out;
    }
    const size_t on = out_numel(g);
    for (int s = 0; s < d->n_eval; s++) {
        memcpy(qg->tensors[qg->inputs[0]]->data, d->eval + (size_t)s * d->numel,
               d->numel * sizeof(float));
        if (hbc_qexec_run(qe) != HBG_OK) {
            fprintf(stderr, "hb_accuracy_eval: %s: %s\n", m->name, qg->err);
            goto out;
        }
        const float *fref = ref + (size_t)s * on;
        for (int k = 0; k < qg->n_outputs; k++) {
            const hbg_tensor *t = qg->tensors[qg->outputs[k]];
            const size_t n = (size_t)hbg_tensor_numel(t);
            r->cos[(size_t)s * qg->n_outputs + k] = hbc_similarity_f32(fref, t->data, n).cosine;
            if (k == 0) {
                const int qa = argmax(t->data, n);
                r->agree += qa == argmax(fref, n);
                r->top1_ok += d->labels && qa == d->labels[s];
            }
            fref += n;
        }
        if (s == 0 && o->nodes) {
            if (hbg_exec_create(g, &fe) != HBG_OK) {
                fprintf(stderr, "hb_accuracy_eval: %s\n", g->err);
                goto out;
            }
            memcpy(g->tensors[g->inputs[0]]->data, d->eval, d->numel * sizeof(float));
            if (hbg_exec_run(fe) != HBG_OK) {
                fprintf(stderr, "hb_accuracy_eval: %s\n", g->err);
                goto out;
            }
            printf("\nMethod %s:", m->name);
            print_nodes(g, qg, &tab);
            hbg_exec_free(fe);
            fe = NULL;
        }
    }
    rc = 0;
out:
    hbg_exec_free(fe);
    hbc_qexec_free(qe);
    hbg_graph_free(qg);
    hbc_calib_table_free(&tab);
    free(place);
    free(rows);
    free(samples);
    return rc;
}

/* ---- reporting ------------------------------------------------------------------------------ */

static double min_cos(const result *r, int n_eval, int n_out, int sample)
{
    double m = 2;
    for (int s = sample < 0 ? 0 : sample; s < (sample < 0 ? n_eval : sample + 1); s++)
        for (int k = 0; k < n_out; k++)
            if (!(r->cos[(size_t)s * n_out + k] >= m))
                m = r->cos[(size_t)s * n_out + k];
    return m;
}

static void report_labels(const opts *o, const dataset *d, const result *res, double acc_f)
{
    printf("\nFloat (optimized model) top-1: %.2f%% on %d images; %d calibration images.\n\n",
           acc_f, d->n_eval, d->n_cal);
    printf("| method | quantized top-1 | vs float (points) | fake-quant top-1 | "
           "quantized = float prediction |\n|---|---|---|---|---|\n");
    for (int i = 0; i < o->n_methods; i++) {
        const result *r = &res[i];
        double acc = 100.0 * r->top1_ok / d->n_eval;
        printf("| %s | %.2f%% | %+.2f | %.2f%% | %.2f%% |\n", k_methods[o->methods[i]].name, acc,
               acc - acc_f, 100.0 * r->fq_ok / d->n_eval, 100.0 * r->agree / d->n_eval);
    }
}

static void report_photos(const opts *o, const dataset *d, const hbg_graph *g, const result *res)
{
    const int cls = o->kind->classifier;
    static const char *const part[] = {
        [FQ_BOTH] = "pairs where the integer model has int8 tensors",
        [FQ_WEIGHTS] = "int8 weights only, activations float",
        [FQ_ACTS] = "activation pairs only, weights float",
    };
    printf("\nCosine (float optimized model vs dequantised integer model), the least over the "
           "%d output(s), per held-out photo; fake-quant: the QDQ model of the same table (%s",
           g->n_outputs, part[o->fq_part]);
    if (o->fq_exact[1])
        printf("; nodes %d .. %d, %s .. %s, exact", o->fq_exact[0], o->fq_exact[1] - 1,
               hbg_node_label(g, &g->nodes[o->fq_exact[0]]),
               hbg_node_label(g, &g->nodes[o->fq_exact[1] - 1]));
    printf("):\n\n| method |");
    for (int s = 0; s < d->n_eval; s++)
        printf(" %s |", d->names[s]);
    printf(" min | fake-quant min |%s\n|---|", cls ? " top-1 = float |" : "");
    for (int s = 0; s <= d->n_eval + 1 + cls; s++)
        printf("---|");
    printf("\n");
    for (int i = 0; i < o->n_methods; i++) {
        printf("| %s |", k_methods[o->methods[i]].name);
        for (int s = 0; s < d->n_eval; s++)
            printf(" %.4f |", min_cos(&res[i], d->n_eval, g->n_outputs, s));
        printf(" **%.4f** | %.4f |", min_cos(&res[i], d->n_eval, g->n_outputs, -1), res[i].fq_cos);
        if (cls)
            printf(" %d/%d |", res[i].agree, d->n_eval);
        printf("\n");
    }
    if (g->n_outputs == 1)
        return;
    for (int i = 0; i < o->n_methods; i++) {
        if (k_methods[o->methods[i]].m != HBC_CALIB_DEFAULT)
            continue;
        printf("\nMethod default, every output:\n\n| output |");
        for (int s = 0; s < d->n_eval; s++)
            printf(" %s |", d->names[s]);
        printf("\n|---|");
        for (int s = 0; s < d->n_eval; s++)
            printf("---|");
        printf("\n");
        for (int k = 0; k < g->n_outputs; k++) {
            printf("| %s |", g->tensors[g->outputs[k]]->name);
            for (int s = 0; s < d->n_eval; s++)
                printf(" %.4f |", res[i].cos[(size_t)s * g->n_outputs + k]);
            printf("\n");
        }
    }
}

/* Threshold checks; returns the number of failures (each printed to stderr). */
static int check(const opts *o, const dataset *d, int n_out, const result *res, double acc_f)
{
    int bad = 0;
    for (int i = 0; i < o->n_methods; i++) {
        const char *mn = k_methods[o->methods[i]].name;
        double mc = min_cos(&res[i], d->n_eval, n_out, -1);
        double acc = 100.0 * res[i].top1_ok / d->n_eval;
        double agree = (double)res[i].agree / d->n_eval;
        if (o->min_cos > -2 && !(mc >= o->min_cos)) {
            fprintf(stderr, "FAIL %s: least output cosine %.6f < %.6f\n", mn, mc, o->min_cos);
            bad++;
        }
        if (o->max_drop >= 0 && d->labels && !(acc >= acc_f - o->max_drop)) {
            fprintf(stderr, "FAIL %s: quantized top-1 %.2f%% is %.2f points below float %.2f%%\n",
                    mn, acc, acc_f - acc, acc_f);
            bad++;
        }
        if (o->min_agree >= 0 && !(agree >= o->min_agree)) {
            fprintf(stderr, "FAIL %s: top-1 agreement with float %.4f < %.4f\n", mn, agree,
                    o->min_agree);
            bad++;
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    opts o;
    dataset d;
    char err[1024];
    hbg_graph *g = NULL;
    float *ref = NULL;
    result res[MAX_METHODS];
    int rc = 1;
    memset(&d, 0, sizeof d);
    memset(res, 0, sizeof res);
    if (parse(argc, argv, &o) != 0) {
        free(o.calib);
        free(o.eval);
        return usage();
    }
    hbc_logger lg = {log_fn, NULL, o.verbose ? HBC_LOG_INFO : HBC_LOG_WARNING};
    hbg_status st = o.caffemodel ? hbc_caffe_load(o.model, o.caffemodel, &g, err, sizeof err)
                                 : hbc_onnx_load_file(o.model, &g, err, sizeof err);
    if (st != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s\n", err);
        goto out;
    }
    if (hbc_optimize(g, NULL, &lg) != HBG_OK) {
        fprintf(stderr, "hb_accuracy_eval: %s: %s\n", o.model, g->err);
        goto out;
    }
    if (g->n_inputs != 1 || g->tensors[g->inputs[0]]->dtype != HBG_DT_F32) {
        fprintf(stderr, "hb_accuracy_eval: %s: need one float input\n", o.model);
        goto out;
    }
    {
        /* shapes of every tensor (output sizes) */
        hbg_exec *ex = NULL;
        if (hbg_exec_create(g, &ex) != HBG_OK) {
            fprintf(stderr, "hb_accuracy_eval: %s\n", g->err);
            goto out;
        }
        hbg_exec_free(ex);
    }
    const size_t numel = (size_t)hbg_tensor_numel(g->tensors[g->inputs[0]]);
    if (o.kind) {
        d.n_cal = o.n_calib_files;
        d.n_eval = o.n_eval_files;
        d.numel = numel;
        if (!(d.names = malloc((size_t)d.n_eval * sizeof *d.names)))
            goto out;
        for (int s = 0; s < d.n_eval; s++)
            d.names[s] = base_name(o.eval[s]);
        if (!(d.cal = malloc((size_t)d.n_cal * numel * sizeof(float))) ||
            !(d.eval = malloc((size_t)d.n_eval * numel * sizeof(float))) ||
            photos_load(o.kind, o.calib, d.n_cal, numel, d.cal) != 0 ||
            photos_load(o.kind, o.eval, d.n_eval, numel, d.eval) != 0)
            goto out;
    } else {
        if (numel != FM_PIX) {
            fprintf(stderr, "hb_accuracy_eval: %s: input is not 28x28\n", o.model);
            goto out;
        }
        if (fmnist_load(&o, &d) != 0)
            goto out;
    }
    const size_t on = out_numel(g);
    if (!(ref = malloc((size_t)d.n_eval * on * sizeof *ref)) || run_float(g, &d, ref) != 0)
        goto out;
    int float_ok = 0;
    if (d.labels)
        for (int s = 0; s < d.n_eval; s++)
            float_ok += argmax(ref + (size_t)s * on,
                               (size_t)hbg_tensor_numel(g->tensors[g->outputs[0]])) == d.labels[s];
    const double acc_f = d.labels ? 100.0 * float_ok / d.n_eval : 0;
    printf("Model %s: %d nodes after hbc_optimize, %d output(s).\n", base_name(o.model), g->n_nodes,
           g->n_outputs);
    if (o.fq_exact[1] > g->n_nodes) {
        fprintf(stderr, "hb_accuracy_eval: --fq-exact %d:%d: the optimized graph has %d nodes\n",
                o.fq_exact[0], o.fq_exact[1], g->n_nodes);
        goto out;
    }
    if (o.equalize > 0) {
        /* once for every method: the reference above is the unedited float model */
        const float **rows = NULL;
        const float *const **smp = NULL;
        int n_eq = 0;
        st = cal_samples(&d, &rows, &smp) == 0
                 ? hbc_calib_equalize(g, d.n_cal, smp, o.equalize, &lg, &n_eq, err, sizeof err)
                 : HBG_E_NOMEM;
        free(rows);
        free(smp);
        if (st != HBG_OK) {
            fprintf(stderr, "hb_accuracy_eval: channel equalisation: %s\n", err);
            goto out;
        }
        printf("\nChannel equalisation (hbc_calib_equalize, factors up to %g): %d tensor(s).\n",
               o.equalize, n_eq);
    }
    for (int i = 0; i < o.n_methods; i++) {
        if (!(res[i].cos = malloc((size_t)d.n_eval * g->n_outputs * sizeof(double))) ||
            run_method(g, &k_methods[o.methods[i]], &d, ref, &o, i == 0, &res[i]) != 0)
            goto out;
    }
    if (d.labels)
        report_labels(&o, &d, res, acc_f);
    else
        report_photos(&o, &d, g, res);
    rc = check(&o, &d, g->n_outputs, res, acc_f) ? 1 : 0;
out:
    for (int i = 0; i < MAX_METHODS; i++)
        free(res[i].cos);
    free(ref);
    free(d.cal);
    free(d.eval);
    free(d.labels);
    free(d.names);
    free(o.calib);
    free(o.eval);
    hbg_graph_free(g);
    return rc;
}
