/* hb_test_mkbin: test-only maker of image-input .bin models and of the reference figures the
 * samples' end-to-end tests (tests/samples) compare against. It chains the converter's libraries
 * the way hb_mapper makertbin does (preprocess node, optimize, calibrate with max, quantize,
 * compile, pack), for tests to use until makertbin writes .bin files itself.
 *
 *   hb_test_mkbin bin -o OUT.bin -q OUT_quantized.onnx --type-rt T --type-train T [--mean V]
 *                 [--scale V] (--onnx M.onnx | --caffe P.prototxt W.caffemodel)
 *                 (--calib IMAGE... | --calib-npy IMAGES.npy)
 *   hb_test_mkbin ppm PHOTO W H K OUT.ppm     photo resized to W x H, then each pixel K x K
 *                                             (OUT.rgb: raw RGB; OUT.nv12: NV12, K = 1)
 *   hb_test_mkbin ref Q.onnx T PHOTO          top-5 of the quantized model on the photo at its
 *                                             input size (lines as the classification sample)
 *   hb_test_mkbin ref-npy Q.onnx IMAGES.npy LABELS.npy   top-1 / top-5 correct counts (gray)
 *   hb_test_mkbin idx IMAGES.npy LABELS.npy OUT_IMAGES.idx OUT_LABELS.idx
 *
 * T: rgb, bgr, yuv444, nv12, gray. Training layout NCHW. Images become the intermediate type with
 * the converter's own colour code (hbc/prep.h: BT.601 full range; nv12 through RGB -> NV12 ->
 * YUV444), minus 128. The reference runs the integer reference executor (hbc_qexec) on the
 * quantized graph. Exit status 0, 1 on failure (message on stderr), 2 for a bad command line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_bin/model_pack.h"
#include "hbc/caffe_io.h"
#include "hbc/calib.h"
#include "hbc/onnx_io.h"
#include "hbc/passes.h"
#include "hbc/prep.h"
#include "hbc/quant.h"
#include "hbc_mapper.h"
#include "hbg/npy.h"

#define MAX_CALIB 64

static const char *const k_types[HBC_IT_COUNT] = {"rgb",  "bgr",  "yuv444",
                                                  "nv12", "gray", "featuremap"};

static int type_of(const char *s)
{
    for (int i = 0; i < HBC_IT_FEATUREMAP; i++)
        if (!strcmp(s, k_types[i]))
            return i;
    return -1;
}

static void log_fn(void *user, hbc_log_level level, const char *file, int line, const char *func,
                   const char *msg)
{
    (void)user, (void)level, (void)file, (void)line, (void)func;
    fprintf(stderr, "hb_test_mkbin: %s\n", msg);
}

/* The photo at w x h in the intermediate colour of rt (before - 128), as NCHW floats - 128. */
static hbg_status photo_input(const char *path, int rt, int w, int h, float *x, char *err, size_t n)
{
    hbc_image im = {0}, sz = {0}, cv = {0};
    uint8_t *nv12 = NULL;
    hbg_status st;
    if ((st = hbc_image_load(path, &im, err, n)) != HBG_OK ||
        (st = hbc_image_resize(&im, w, h, &sz, err, n)) != HBG_OK)
        goto out;
    if (rt == HBC_IT_RGB || rt == HBC_IT_BGR) {
        if (sz.c != 3)
            st = HBG_E_INVALID, snprintf(err, n, "%s: not a colour image", path);
        else if ((st = hbc_image_alloc(&cv, w, h, 3, err, n)) == HBG_OK) {
            memcpy(cv.data, sz.data, (size_t)w * h * 3);
            if (rt == HBC_IT_BGR)
                hbc_image_swap_rb(&cv);
        }
    } else if (rt == HBC_IT_YUV444) {
        st = hbc_image_rgb_to_yuv444(&sz, HBC_YUV_FULL, &cv, err, n);
    } else if (rt == HBC_IT_NV12) {
        if (!(nv12 = malloc(hbc_nv12_size(w, h))))
            st = HBG_E_NOMEM, snprintf(err, n, "out of memory");
        else if ((st = hbc_image_rgb_to_nv12(&sz, HBC_YUV_FULL, nv12, err, n)) == HBG_OK)
            st = hbc_nv12_to_yuv444(nv12, w, h, &cv, err, n);
    } else {
        st = sz.c == 1 ? hbc_image_alloc(&cv, w, h, 1, err, n)
                       : hbc_image_rgb_to_gray(&sz, &cv, err, n);
        if (st == HBG_OK && sz.c == 1)
            memcpy(cv.data, sz.data, (size_t)w * h);
    }
    if (st != HBG_OK)
        goto out;
    for (int c = 0; c < cv.c; c++)
        for (size_t p = 0; p < (size_t)w * h; p++)
            x[(size_t)c * w * h + p] = (float)cv.data[p * (size_t)cv.c + (size_t)c] - 128.0f;
out:
    free(nv12);
    hbc_image_free(&im);
    hbc_image_free(&sz);
    hbc_image_free(&cv);
    return st;
}

/* Input geometry of graph g (input 0, NCHW): channels, height, width. */
static hbg_status input_chw(const hbg_graph *g, int *c, int *h, int *w, char *err, size_t n)
{
    const hbg_tensor *t = g->tensors[g->inputs[0]];
    if (g->n_inputs != 1 || t->rank != 4 || t->dims[0] != 1) {
        snprintf(err, n, "the model must have one 1xCxHxW input");
        return HBG_E_INVALID;
    }
    *c = (int)t->dims[1];
    *h = (int)t->dims[2];
    *w = (int)t->dims[3];
    return HBG_OK;
}

/* Write the file through a temporary name. */
static hbg_status write_file(const char *path, const void *data, size_t len, char *err, size_t n)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    ok = f && fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        snprintf(err, n, "cannot write %s", path);
        return HBG_E_IO;
    }
    return HBG_OK;
}

typedef struct bin_args {
    const char *out, *qout, *onnx, *proto, *weights, *calib_npy;
    const char *calib[MAX_CALIB];
    int n_calib, rt, train;
    double mean, scale;
} bin_args;

static int parse_bin(int argc, char **argv, bin_args *a)
{
    memset(a, 0, sizeof *a);
    a->rt = a->train = -1;
    a->scale = 1.0;
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(k, "-o") && more)
            a->out = argv[++i];
        else if (!strcmp(k, "-q") && more)
            a->qout = argv[++i];
        else if (!strcmp(k, "--type-rt") && more)
            a->rt = type_of(argv[++i]);
        else if (!strcmp(k, "--type-train") && more)
            a->train = type_of(argv[++i]);
        else if (!strcmp(k, "--mean") && more)
            a->mean = atof(argv[++i]);
        else if (!strcmp(k, "--scale") && more)
            a->scale = atof(argv[++i]);
        else if (!strcmp(k, "--onnx") && more)
            a->onnx = argv[++i];
        else if (!strcmp(k, "--caffe") && i + 2 < argc)
            a->proto = argv[++i], a->weights = argv[++i];
        else if (!strcmp(k, "--calib-npy") && more)
            a->calib_npy = argv[++i];
        else if (!strcmp(k, "--calib") && more && a->n_calib < MAX_CALIB)
            a->calib[a->n_calib++] = argv[++i];
        else
            return -1;
    }
    if (!a->out || !a->qout || a->rt < 0 || a->train < 0 || (!a->onnx == !a->proto) ||
        (!a->n_calib == !a->calib_npy))
        return -1;
    return 0;
}

/* Calibration samples (intermediate type - 128, NCHW) of the graph's input: *x holds ns of them. */
static hbg_status calib_samples(const bin_args *a, int c, int h, int w, float **x, int *ns,
                                char *err, size_t n)
{
    size_t per = (size_t)c * h * w;
    hbg_status st = HBG_OK;
    hbg_tensor *t = NULL;
    if (a->calib_npy) {
        if ((st = hbg_npy_load(a->calib_npy, "calib", &t, err, n)) != HBG_OK)
            return st;
        if (t->dtype != HBG_DT_U8 || hbg_tensor_numel(t) % (int64_t)per != 0) {
            snprintf(err, n, "%s: needs uint8 images of %zu pixels each", a->calib_npy, per);
            st = HBG_E_INVALID;
            goto out;
        }
        *ns = (int)(hbg_tensor_numel(t) / (int64_t)per);
        if (!(*x = malloc((size_t)*ns * per * sizeof **x))) {
            st = HBG_E_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < (size_t)*ns * per; i++)
            (*x)[i] = (float)((const uint8_t *)t->data)[i] - 128.0f;
        goto out;
    }
    *ns = a->n_calib;
    if (!(*x = malloc((size_t)*ns * per * sizeof **x)))
        return HBG_E_NOMEM;
    for (int i = 0; i < a->n_calib && st == HBG_OK; i++)
        st = photo_input(a->calib[i], a->rt, w, h, *x + (size_t)i * per, err, n);
out:
    hbg_tensor_free(t);
    return st;
}

static int cmd_bin(int argc, char **argv)
{
    bin_args a;
    char err[1024] = "";
    hbg_graph *g = NULL, *qg = NULL, *lg = NULL;
    hbc_calib_table tab = {0, 0, NULL};
    hbc_compiled *cm = NULL;
    hbbw *w = NULL;
    float *x = NULL;
    const float **rows = NULL;
    const float *const **samples = NULL;
    uint8_t *img = NULL;
    size_t len = 0;
    int ns = 0, c, h, wd, rc = 1;
    hbc_logger lgr = {log_fn, NULL, HBC_LOG_ERROR};
    hbg_status st;
    if (parse_bin(argc, argv, &a) != 0) {
        fprintf(stderr, "hb_test_mkbin bin: bad arguments (see the file's header)\n");
        return 2;
    }
    st = a.onnx ? hbc_onnx_load_file(a.onnx, &g, err, sizeof err)
                : hbc_caffe_load(a.proto, a.weights, &g, err, sizeof err);
    if (st != HBG_OK || (st = input_chw(g, &c, &h, &wd, err, sizeof err)) != HBG_OK)
        goto out;
    double mean = a.mean, scale = a.scale;
    hbc_cfg_input in = {.type_train = (hbc_input_type)a.train,
                        .type_rt = (hbc_input_type)a.rt,
                        .layout_train = HBC_LAYOUT_NCHW,
                        .layout_rt = a.rt == HBC_IT_NV12 ? HBC_LAYOUT_NONE : HBC_LAYOUT_NHWC,
                        .norm_type = HBC_NORM_DATA_MEAN_AND_SCALE,
                        .mean = {1, &mean},
                        .scale = {1, &scale}};
    if ((st = hbc_pre_insert(g, 0, &in, err, sizeof err)) != HBG_OK ||
        (st = hbc_optimize(g, NULL, &lgr)) != HBG_OK ||
        (st = calib_samples(&a, c, h, wd, &x, &ns, err, sizeof err)) != HBG_OK)
        goto out;
    rows = malloc((size_t)ns * sizeof *rows);
    samples = malloc((size_t)ns * sizeof *samples);
    if (!rows || !samples) {
        st = HBG_E_NOMEM;
        goto out;
    }
    for (int i = 0; i < ns; i++) {
        rows[i] = x + (size_t)i * c * h * wd;
        samples[i] = &rows[i];
    }
    hbc_calib_options co;
    hbc_calib_options_init(&co);
    co.method = HBC_CALIB_MAX;
    uint16_t tc[3] = {0, 1, 0};
    uint32_t mi;
    hbbin_preprocess pp = {.input = 0,
                           .type_rt = (hbbin_input_type)a.rt,
                           .type_train = (hbbin_input_type)a.train,
                           .layout_train = HBBIN_LAYOUT_NCHW,
                           .channels = 1,
                           .mean = {(float)mean},
                           .scale = {(float)scale}};
    if ((st = hbc_calibrate(g, ns, samples, &co, &lgr, &tab, err, sizeof err)) != HBG_OK ||
        (st = hbc_quantize(g, &tab, NULL, &qg, err, sizeof err)) != HBG_OK ||
        (st = hbc_onnx_save_file(qg, a.qout, err, sizeof err)) != HBG_OK ||
        (st = hbc_onnx_load_file(a.qout, &lg, err, sizeof err)) != HBG_OK ||
        (st = hbc_compile(lg, NULL, &cm, err, sizeof err)) != HBG_OK)
        goto out;
    if (!(w = hbbw_create(HBBIN_MARCH_BAYES_E, tc))) {
        st = HBG_E_NOMEM;
        goto out;
    }
    const char *slash = strrchr(a.out, '/'), *base = slash ? slash + 1 : a.out;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."), base);
    if ((st = hbmp_add_model(w, name, lg, cm, &mi, err, sizeof err)) != HBG_OK)
        goto out;
    if (hbbw_add_preprocess(w, mi, &pp) != HBBIN_OK ||
        hbbw_serialize(w, &img, &len, err, sizeof err) != HBBIN_OK) {
        st = HBG_E_INVALID;
        goto out;
    }
    st = write_file(a.out, img, len, err, sizeof err);
    if (st == HBG_OK)
        rc = 0;
out:
    if (rc && !err[0] && g && g->err[0])
        snprintf(err, sizeof err, "%s", g->err);
    if (rc)
        fprintf(stderr, "hb_test_mkbin bin: %s\n", err[0] ? err : "failed");
    free(img);
    hbbw_free(w);
    hbc_compiled_free(cm);
    hbc_calib_table_free(&tab);
    hbg_graph_free(g);
    hbg_graph_free(qg);
    hbg_graph_free(lg);
    free(x);
    free(rows);
    free(samples);
    return rc;
}

static int cmd_ppm(int argc, char **argv)
{
    char err[512] = "";
    hbc_image im = {0}, sz = {0};
    uint8_t *out = NULL;
    int rc = 1;
    if (argc != 7)
        return 2;
    int w = atoi(argv[3]), h = atoi(argv[4]), k = atoi(argv[5]);
    if (w < 1 || h < 1 || k < 1 || k > 16)
        return 2;
    if (hbc_image_load(argv[2], &im, err, sizeof err) != HBG_OK ||
        hbc_image_resize(&im, w, h, &sz, err, sizeof err) != HBG_OK)
        goto out;
    if (sz.c != 3) {
        snprintf(err, sizeof err, "%s: not a colour image", argv[2]);
        goto out;
    }
    /* OUT.rgb: raw RGB bytes; OUT.nv12: NV12 by the converter's conversion; else a P6 PPM */
    size_t ol = strlen(argv[6]);
    int raw = ol > 4 && !strcmp(argv[6] + ol - 4, ".rgb");
    int nv12 = ol > 5 && !strcmp(argv[6] + ol - 5, ".nv12");
    if (nv12) {
        size_t len = hbc_nv12_size(w, h);
        if (k != 1 || !(out = malloc(len)))
            goto out;
        if (hbc_image_rgb_to_nv12(&sz, HBC_YUV_FULL, out, err, sizeof err) == HBG_OK)
            rc = write_file(argv[6], out, len, err, sizeof err) == HBG_OK ? 0 : 1;
        goto out;
    }
    char hdr[64];
    int hl = raw ? 0 : snprintf(hdr, sizeof hdr, "P6\n%d %d\n255\n", w * k, h * k);
    size_t len = (size_t)hl + (size_t)w * k * h * k * 3;
    if (!(out = malloc(len)))
        goto out;
    memcpy(out, hdr, (size_t)hl);
    uint8_t *p = out + hl;
    for (int y = 0; y < h * k; y++)
        for (int x = 0; x < w * k; x++, p += 3)
            memcpy(p, sz.data + ((size_t)(y / k) * w + (size_t)(x / k)) * 3, 3);
    rc = write_file(argv[6], out, len, err, sizeof err) == HBG_OK ? 0 : 1;
out:
    if (rc)
        fprintf(stderr, "hb_test_mkbin ppm: %s\n", err[0] ? err : "out of memory");
    free(out);
    hbc_image_free(&im);
    hbc_image_free(&sz);
    return rc;
}

/* Probabilities as the samples compute them (sample_probabilities), in double. */
static void probabilities(float *v, int64_t n)
{
    double sum = 0.0, mx = -INFINITY;
    int probs = 1;
    for (int64_t i = 0; i < n; i++) {
        probs &= v[i] >= 0.0f && v[i] <= 1.0f;
        sum += v[i];
        mx = v[i] > mx ? v[i] : mx;
    }
    if (probs && fabs(sum - 1.0) <= 1e-3)
        return;
    sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += exp((double)v[i] - mx);
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)(exp((double)v[i] - mx) / sum);
}

/* Indices of the k largest (ties: smaller index first). */
static void topk(const float *v, int64_t n, int k, int64_t *idx)
{
    for (int j = 0; j < k; j++) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++) {
            int taken = 0;
            for (int t = 0; t < j; t++)
                taken |= idx[t] == i;
            if (!taken && (best < 0 || v[i] > v[best]))
                best = i;
        }
        idx[j] = best;
    }
}

static int cmd_ref(int argc, char **argv)
{
    char err[512] = "";
    hbg_graph *g = NULL;
    hbc_qexec *qe = NULL;
    int c, h, w, rc = 1, rt = argc == 5 ? type_of(argv[3]) : -1;
    if (rt < 0)
        return 2;
    if (hbc_onnx_load_file(argv[2], &g, err, sizeof err) != HBG_OK ||
        input_chw(g, &c, &h, &w, err, sizeof err) != HBG_OK)
        goto out;
    if (hbc_qexec_create(g, &qe) != HBG_OK) {
        snprintf(err, sizeof err, "%s", g->err);
        goto out;
    }
    if (photo_input(argv[4], rt, w, h, g->tensors[g->inputs[0]]->data, err, sizeof err) != HBG_OK)
        goto out;
    if (hbc_qexec_run(qe) != HBG_OK) {
        snprintf(err, sizeof err, "%s", g->err);
        goto out;
    }
    hbg_tensor *o = g->tensors[g->outputs[0]];
    int64_t n = hbg_tensor_numel(o), idx[5] = {-1, -1, -1, -1, -1};
    int k = n < 5 ? (int)n : 5;
    probabilities(o->data, n);
    topk(o->data, n, k, idx);
    for (int j = 0; j < k; j++)
        printf("TOP %d result id: %lld, prob: %.6f\n", j, (long long)idx[j],
               (double)((float *)o->data)[idx[j]]);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "hb_test_mkbin ref: %s\n", err);
    hbc_qexec_free(qe);
    hbg_graph_free(g);
    return rc;
}

static int cmd_ref_npy(int argc, char **argv)
{
    char err[512] = "";
    hbg_graph *g = NULL;
    hbc_qexec *qe = NULL;
    hbg_tensor *im = NULL, *lab = NULL;
    int c, h, w, rc = 1;
    long top1 = 0, top5 = 0;
    if (argc != 5)
        return 2;
    if (hbc_onnx_load_file(argv[2], &g, err, sizeof err) != HBG_OK ||
        input_chw(g, &c, &h, &w, err, sizeof err) != HBG_OK ||
        hbg_npy_load(argv[3], "images", &im, err, sizeof err) != HBG_OK ||
        hbg_npy_load(argv[4], "labels", &lab, err, sizeof err) != HBG_OK)
        goto out;
    int64_t per = (int64_t)c * h * w, ns = hbg_tensor_numel(lab);
    if (c != 1 || im->dtype != HBG_DT_U8 || lab->dtype != HBG_DT_U8 ||
        hbg_tensor_numel(im) != ns * per) {
        snprintf(err, sizeof err, "needs a 1-channel model, uint8 images and labels");
        goto out;
    }
    if (hbc_qexec_create(g, &qe) != HBG_OK) {
        snprintf(err, sizeof err, "%s", g->err);
        goto out;
    }
    float *x = g->tensors[g->inputs[0]]->data;
    for (int64_t s = 0; s < ns; s++) {
        for (int64_t p = 0; p < per; p++)
            x[p] = (float)((const uint8_t *)im->data)[s * per + p] - 128.0f;
        if (hbc_qexec_run(qe) != HBG_OK) {
            snprintf(err, sizeof err, "%s", g->err);
            goto out;
        }
        hbg_tensor *o = g->tensors[g->outputs[0]];
        int64_t n = hbg_tensor_numel(o), idx[5] = {-1, -1, -1, -1, -1};
        int k = n < 5 ? (int)n : 5;
        topk(o->data, n, k, idx);
        int label = ((const uint8_t *)lab->data)[s];
        top1 += idx[0] == label;
        for (int j = 0; j < k; j++)
            top5 += idx[j] == label;
    }
    printf("\"samples\": %lld, \"top1\": %.6f, \"top5\": %.6f, \"top1_correct\": %ld, "
           "\"top5_correct\": %ld\n",
           (long long)ns, (double)top1 / (double)ns, (double)top5 / (double)ns, top1, top5);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "hb_test_mkbin ref-npy: %s\n", err);
    hbc_qexec_free(qe);
    hbg_graph_free(g);
    hbg_tensor_free(im);
    hbg_tensor_free(lab);
    return rc;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static int cmd_idx(int argc, char **argv)
{
    char err[512] = "";
    hbg_tensor *im = NULL, *lab = NULL;
    uint8_t *a = NULL, *b = NULL;
    int rc = 1;
    if (argc != 6)
        return 2;
    if (hbg_npy_load(argv[2], "images", &im, err, sizeof err) != HBG_OK ||
        hbg_npy_load(argv[3], "labels", &lab, err, sizeof err) != HBG_OK)
        goto out;
    if (im->dtype != HBG_DT_U8 || im->rank != 3 || lab->dtype != HBG_DT_U8 ||
        hbg_tensor_numel(lab) != im->dims[0]) {
        snprintf(err, sizeof err, "needs uint8 images N x H x W and N uint8 labels");
        goto out;
    }
    size_t npx = (size_t)hbg_tensor_numel(im), n = (size_t)im->dims[0];
    if (!(a = malloc(16 + npx)) || !(b = malloc(8 + n)))
        goto out;
    put_be32(a, 0x803);
    put_be32(a + 4, (uint32_t)n);
    put_be32(a + 8, (uint32_t)im->dims[1]);
    put_be32(a + 12, (uint32_t)im->dims[2]);
    memcpy(a + 16, im->data, npx);
    put_be32(b, 0x801);
    put_be32(b + 4, (uint32_t)n);
    memcpy(b + 8, lab->data, n);
    if (write_file(argv[4], a, 16 + npx, err, sizeof err) == HBG_OK &&
        write_file(argv[5], b, 8 + n, err, sizeof err) == HBG_OK)
        rc = 0;
out:
    if (rc)
        fprintf(stderr, "hb_test_mkbin idx: %s\n", err[0] ? err : "out of memory");
    free(a);
    free(b);
    hbg_tensor_free(im);
    hbg_tensor_free(lab);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"bin", cmd_bin},
                {"ppm", cmd_ppm},
                {"ref", cmd_ref},
                {"ref-npy", cmd_ref_npy},
                {"idx", cmd_idx}};
    for (size_t i = 0; argc > 1 && i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name)) {
            int rc = cmds[i].fn(argc, argv);
            if (rc == 2)
                fprintf(stderr, "%s %s: bad arguments (see tests/samples/hb_test_mkbin.c)\n",
                        argv[0], argv[1]);
            return rc;
        }
    fprintf(stderr, "usage: %s bin|ppm|ref|ref-npy|idx ... (see tests/samples/hb_test_mkbin.c)\n",
            argv[0]);
    return 2;
}
