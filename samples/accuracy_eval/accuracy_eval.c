/* accuracy_eval: top-1 / top-5 accuracy of an image classifier (.bin) over a labelled dataset.
 *
 *   accuracy_eval MODEL.bin --idx IMAGES.idx LABELS.idx [--limit N] [--model-name NAME]
 *   accuracy_eval MODEL.bin --list LIST.txt [--limit N] [--model-name NAME]
 *
 * --idx: the (uncompressed) IDX files of MNIST / Fashion-MNIST: images u8 N x H x W (magic
 * 0x00000803), labels u8 N (0x00000801). --list: lines "IMAGE LABEL" (IMAGE a binary PPM/PGM,
 * relative to the list's folder; '#' starts a comment). Images are resized to the model input
 * and converted to its type as the classification sample does. PARALLEL_PROCESS_NUM (1 .. 64,
 * default 1) threads each run every T-th sample with their own tensors. The result is printed
 * between ===REPORT-START{MAJOR-METRIC}=== and ===REPORT-END{MAJOR-METRIC}=== as one JSON object.
 * Exit status 0, 1 on a failure (message on stderr), 2 for a bad command line. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "sample_dnn.h"
#include "sample_image.h"

#define MAX_THREADS 64

typedef struct dataset {
    int n, h, w;         /* samples; IDX image size */
    uint8_t *idx_pixels; /* IDX: n * h * w gray pixels */
    char **paths;        /* list: n image paths */
    int *labels;
} dataset;

typedef struct worker {
    const sample_model *m;
    const dataset *ds;
    int id, n_threads;
    long top1, top5, done;
    double bpu_us;
    char err[512];
    int failed;
} worker;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int load_idx(const char *ipath, const char *lpath, dataset *ds, char *err, size_t errsz)
{
    uint8_t *ib = NULL, *lb = NULL;
    size_t il = 0, ll = 0;
    int rc = -1;
    if (sample_read_file(ipath, &ib, &il, err, errsz) != 0 ||
        sample_read_file(lpath, &lb, &ll, err, errsz) != 0)
        goto out;
    if (il < 16 || be32(ib) != 0x803 || ll < 8 || be32(lb) != 0x801) {
        snprintf(err, errsz, "%s / %s: not IDX u8 images (magic 0x803) and labels (0x801)", ipath,
                 lpath);
        goto out;
    }
    uint32_t n = be32(ib + 4), h = be32(ib + 8), w = be32(ib + 12);
    if (n == 0 || h == 0 || w == 0 || h > 32768 || w > 32768 || be32(lb + 4) != n ||
        (il - 16) / ((size_t)h * w) < n || ll - 8 < n) {
        snprintf(err, errsz, "%s / %s: counts or sizes disagree with the file lengths", ipath,
                 lpath);
        goto out;
    }
    ds->n = (int)n;
    ds->h = (int)h;
    ds->w = (int)w;
    if (!(ds->idx_pixels = malloc((size_t)n * h * w)) || !(ds->labels = malloc(n * sizeof(int)))) {
        snprintf(err, errsz, "out of memory");
        goto out;
    }
    memcpy(ds->idx_pixels, ib + 16, (size_t)n * h * w);
    for (uint32_t i = 0; i < n; i++)
        ds->labels[i] = lb[8 + i];
    rc = 0;
out:
    free(ib);
    free(lb);
    return rc;
}

static int load_list(const char *path, dataset *ds, char *err, size_t errsz)
{
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = -1, cap = 0;
    if (sample_read_file(path, &b, &len, err, errsz) != 0)
        return -1;
    b[len] = 0;
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    int line = 0;
    for (char *s = (char *)b, *next; s && *s; s = next) {
        line++;
        next = strchr(s, '\n');
        if (next)
            *next++ = 0;
        char name[1024];
        int label;
        char *hash = strchr(s, '#');
        if (hash)
            *hash = 0;
        if (strspn(s, " \t\r") == strlen(s))
            continue;
        if (sscanf(s, "%1023s %d", name, &label) != 2 || label < 0) {
            snprintf(err, errsz, "%s:%d: expected 'IMAGE LABEL'", path, line);
            goto out;
        }
        if (ds->n == cap) {
            cap = cap ? 2 * cap : 64;
            char **np = realloc(ds->paths, (size_t)cap * sizeof *np);
            int *nl = np ? realloc(ds->labels, (size_t)cap * sizeof *nl) : NULL;
            if (np)
                ds->paths = np;
            if (nl)
                ds->labels = nl;
            if (!np || !nl) {
                snprintf(err, errsz, "out of memory");
                goto out;
            }
        }
        size_t pl = (size_t)dirlen + strlen(name) + 1;
        if (!(ds->paths[ds->n] = malloc(pl))) {
            snprintf(err, errsz, "out of memory");
            goto out;
        }
        snprintf(ds->paths[ds->n], pl, "%.*s%s", name[0] == '/' ? 0 : dirlen, path, name);
        ds->labels[ds->n++] = label;
    }
    if (ds->n == 0)
        snprintf(err, errsz, "%s: no samples", path);
    else
        rc = 0;
out:
    free(b);
    return rc;
}

static void dataset_free(dataset *ds)
{
    for (int i = 0; ds->paths && i < ds->n; i++)
        free(ds->paths[i]);
    free(ds->paths);
    free(ds->labels);
    free(ds->idx_pixels);
}

/* Sample i as an image of the input's size, into the input tensor. */
static int feed(const dataset *ds, int i, hbDNNTensor *in, char *err, size_t errsz)
{
    sample_image img = {0}, sized = {0};
    int h = 0, w = 0, c = 0, rc = -1;
    if (sample_input_geometry(&in->properties, &h, &w, &c, err, errsz) != 0)
        return -1;
    if (ds->idx_pixels) {
        img.w = ds->w;
        img.h = ds->h;
        img.c = 1;
        if (!(img.data = malloc((size_t)ds->w * (size_t)ds->h))) {
            snprintf(err, errsz, "out of memory");
            return -1;
        }
        memcpy(img.data, ds->idx_pixels + (size_t)i * (size_t)ds->w * (size_t)ds->h,
               (size_t)ds->w * (size_t)ds->h);
    } else if (sample_read_pnm(ds->paths[i], &img, err, errsz) != 0) {
        return -1;
    }
    const sample_image *use = &img;
    if (img.w != w || img.h != h) {
        if (sample_resize(&img, w, h, &sized, err, errsz) != 0)
            goto out;
        use = &sized;
    }
    rc = sample_image_to_input(use, &in->properties, in->sysMem[0].virAddr, err, errsz);
out:
    free(img.data);
    free(sized.data);
    return rc;
}

static void *run_worker(void *arg)
{
    worker *wk = arg;
    sample_io io;
    float *v = NULL;
    size_t n = 0, top[5];
    if (sample_io_alloc(wk->m, &io, wk->err, sizeof wk->err) != 0) {
        wk->failed = 1;
        sample_io_free(&io);
        return NULL;
    }
    for (int i = wk->id; i < wk->ds->n && !wk->failed; i += wk->n_threads) {
        int32_t us = 0;
        if (feed(wk->ds, i, &io.in[0], wk->err, sizeof wk->err) != 0 ||
            sample_infer(wk->m, &io, &us, wk->err, sizeof wk->err) != 0 ||
            sample_output_floats(&io, 0, &v, &n, wk->err, sizeof wk->err) != 0) {
            wk->failed = 1;
            break;
        }
        size_t k = n < 5 ? n : 5;
        sample_topk(v, n, k, top);
        free(v);
        v = NULL;
        wk->top1 += top[0] == (size_t)wk->ds->labels[i];
        for (size_t j = 0; j < k; j++)
            wk->top5 += top[j] == (size_t)wk->ds->labels[i];
        wk->bpu_us += us;
        wk->done++;
    }
    sample_io_free(&io);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *idx_img = NULL, *idx_lab = NULL, *list = NULL, *name = NULL;
    long limit = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--idx") && i + 2 < argc) {
            idx_img = argv[++i];
            idx_lab = argv[++i];
        } else if (!strcmp(argv[i], "--list") && i + 1 < argc) {
            list = argv[++i];
        } else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
            limit = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--model-name") && i + 1 < argc) {
            name = argv[++i];
        } else if (argv[i][0] != '-' && !model) {
            model = argv[i];
        } else {
            model = NULL;
            break;
        }
    }
    const char *env = getenv("PARALLEL_PROCESS_NUM");
    int threads = env && *env ? atoi(env) : 1;
    if (!model || (!idx_img == !list) || limit < 0 || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr,
                "usage: %s MODEL.bin (--idx IMAGES.idx LABELS.idx | --list LIST.txt) [--limit N] "
                "[--model-name NAME]\n  PARALLEL_PROCESS_NUM=T (1..%d) threads\n",
                argv[0], MAX_THREADS);
        return 2;
    }
    dataset ds = {0};
    sample_model m = {0};
    worker wk[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    char err[512] = "";
    int rc = 1, started = 0;
    if ((idx_img ? load_idx(idx_img, idx_lab, &ds, err, sizeof err)
                 : load_list(list, &ds, err, sizeof err)) != 0 ||
        sample_model_open(&m, model, name, err, sizeof err) != 0)
        goto out;
    if (limit > 0 && limit < ds.n)
        ds.n = (int)limit;
    double t0 = sample_now();
    for (int t = 0; t < threads; t++) {
        memset(&wk[t], 0, sizeof wk[t]);
        wk[t].m = &m;
        wk[t].ds = &ds;
        wk[t].id = t;
        wk[t].n_threads = threads;
        if (pthread_create(&th[t], NULL, run_worker, &wk[t]) != 0) {
            snprintf(err, sizeof err, "pthread_create failed");
            break;
        }
        started++;
    }
    long top1 = 0, top5 = 0, done = 0;
    double bpu_us = 0;
    for (int t = 0; t < started; t++) {
        pthread_join(th[t], NULL);
        if (wk[t].failed && !err[0])
            snprintf(err, sizeof err, "thread %d: %.480s", t, wk[t].err);
        top1 += wk[t].top1;
        top5 += wk[t].top5;
        done += wk[t].done;
        bpu_us += wk[t].bpu_us;
    }
    double wall = sample_now() - t0;
    if (err[0])
        goto out;
    printf("===REPORT-START{MAJOR-METRIC}===\n");
    printf("{\"model\": \"%s\", \"samples\": %ld, \"top1\": %.6f, \"top5\": %.6f, "
           "\"top1_correct\": %ld, \"top5_correct\": %ld, \"threads\": %d, "
           "\"host_wall_seconds\": %.3f, \"modelled_bpu_us_per_frame\": %.1f}\n",
           m.name, done, (double)top1 / (double)done, (double)top5 / (double)done, top1, top5,
           threads, wall, bpu_us / (double)done);
    printf("===REPORT-END{MAJOR-METRIC}===\n");
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "accuracy_eval: %s\n", err);
    sample_model_close(&m);
    dataset_free(&ds);
    return rc;
}
