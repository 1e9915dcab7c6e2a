/* model_runner: inspect and run a .bin model in the style of the board tool hrt_model_exec.
 *
 *   model_runner model_info --model_file F.bin [--model_name N]
 *   model_runner infer --model_file F.bin [--model_name N] [--input_file A[,B...]]
 *                      [--output_prefix P]
 *   model_runner perf  --model_file F.bin [--model_name N] [--frame_count N] [--thread_num T]
 *
 * model_info prints every input and output tensor's properties. infer feeds each input from its
 * file (a PPM/PGM for an image input, resized and converted to the input's type; otherwise the
 * raw bytes of the tensor, alignedByteSize of them) or zeros when no file is given, runs once and
 * writes output i as raw bytes to P<i>.bin (P default "output_") and prints its first values.
 * perf runs frame_count inferences (default 200) on thread_num threads (1 .. 8, default 1), each
 * thread with its own tensors, and prints frames per second and latency: host wall time, and the
 * modelled BPU time that libdnn reports (hbDNNGetTaskEstimateTime). Exit status 0, 1 on a failure
 * (message on stderr), 2 for a bad command line. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "sample_dnn.h"
#include "sample_image.h"

#define MAX_THREADS 8

typedef struct args {
    const char *cmd, *model, *name, *inputs, *prefix;
    long frames;
    int threads;
} args;

static const char *layout_name(int32_t l)
{
    return l == HB_DNN_LAYOUT_NHWC   ? "HB_DNN_LAYOUT_NHWC"
           : l == HB_DNN_LAYOUT_NCHW ? "HB_DNN_LAYOUT_NCHW"
                                     : "HB_DNN_LAYOUT_NONE";
}

static void print_shape(const char *what, const hbDNNTensorShape *s)
{
    printf("%s: (", what);
    for (int d = 0; d < s->numDimensions; d++)
        printf("%d,", s->dimensionSize[d]);
    printf(")\n");
}

static void print_props(const hbDNNTensorProperties *p)
{
    static const char *const qt[] = {"NONE", "SHIFT", "SCALE"};
    print_shape("valid shape", &p->validShape);
    print_shape("aligned shape", &p->alignedShape);
    printf("aligned byte size: %d\n", p->alignedByteSize);
    printf("tensor type: %s\n", sample_type_name(p->tensorType));
    printf("tensor layout: %s\n", layout_name(p->tensorLayout));
    printf("quanti type: %s\n",
           p->quantiType >= NONE && p->quantiType <= SCALE ? qt[p->quantiType] : "?");
    printf("stride: (");
    for (int d = 0; d < p->validShape.numDimensions; d++)
        printf("%d,", p->stride[d]);
    printf(")\n");
    if (p->quantiType == SCALE) {
        printf("scale data: ");
        for (int i = 0; i < p->scale.scaleLen; i++)
            printf("%g,", (double)p->scale.scaleData[i]);
        printf("\nquantizeAxis: %d\n", p->quantizeAxis);
    }
}

static int model_info(const sample_model *m)
{
    int32_t lat = 0;
    const char *nm;
    hbDNNTensorProperties p;
    printf("DNN runtime version: %s\nmodel name: %s\ninput count: %d\noutput count: %d\n",
           hbDNNGetVersion(), m->name, m->n_in, m->n_out);
    for (int32_t i = 0; i < m->n_in; i++) {
        int32_t src = 0;
        hbDNNGetInputName(&nm, m->dnn, i);
        hbDNNGetInputTensorProperties(&p, m->dnn, i);
        hbDNNGetInputSource(&src, m->dnn, i);
        printf("input[%d]:\nname: %s\ninput source: %s\n", i, nm,
               src == HB_DNN_INPUT_FROM_DDR       ? "HB_DNN_INPUT_FROM_DDR"
               : src == HB_DNN_INPUT_FROM_RESIZER ? "HB_DNN_INPUT_FROM_RESIZER"
                                                  : "HB_DNN_INPUT_FROM_PYRAMID");
        print_props(&p);
    }
    for (int32_t o = 0; o < m->n_out; o++) {
        hbDNNGetOutputName(&nm, m->dnn, o);
        hbDNNGetOutputTensorProperties(&p, m->dnn, o);
        printf("output[%d]:\nname: %s\n", o, nm);
        print_props(&p);
    }
    hbDNNGetEstimateLatency(&lat, m->dnn);
    printf("estimated latency: %d us (modelled BPU time, not host time)\n", lat);
    return 0;
}

/* Fill input i from `path` (NULL: zeros). */
static int fill_input(hbDNNTensor *t, int i, const char *path, char *err, size_t errsz)
{
    size_t img = sample_input_bytes(&t->properties), need = img ? img : t->sysMem[0].memSize;
    uint8_t *dst = t->sysMem[0].virAddr, *raw = NULL;
    size_t len = 0;
    int rc = -1;
    if (!path) {
        memset(dst, 0, need);
        return 0;
    }
    size_t pl = strlen(path);
    if (img && pl > 4 && (!strcmp(path + pl - 4, ".ppm") || !strcmp(path + pl - 4, ".pgm"))) {
        sample_image im = {0}, sized = {0};
        int h = 0, w = 0, c = 0;
        if (sample_input_geometry(&t->properties, &h, &w, &c, err, errsz) != 0 ||
            sample_read_pnm(path, &im, err, errsz) != 0)
            return -1;
        const sample_image *use = &im;
        if ((im.w == w && im.h == h) || (rc = sample_resize(&im, w, h, &sized, err, errsz)) == 0) {
            use = sized.data ? &sized : &im;
            rc = sample_image_to_input(use, &t->properties, dst, err, errsz);
        }
        free(im.data);
        free(sized.data);
        return rc;
    }
    if (sample_read_file(path, &raw, &len, err, errsz) != 0)
        return -1;
    if (len != need)
        snprintf(err, errsz, "input %d: %s has %zu bytes, the tensor needs %zu", i, path, len,
                 need);
    else
        memcpy(dst, raw, len), rc = 0;
    free(raw);
    return rc;
}

static int infer(const sample_model *m, const args *a, char *err, size_t errsz)
{
    sample_io io;
    int rc = -1;
    int32_t bpu_us = 0;
    char files[4096] = "";
    const char *next = NULL;
    if (sample_io_alloc(m, &io, err, errsz) != 0)
        goto out;
    if (a->inputs) {
        snprintf(files, sizeof files, "%s", a->inputs);
        next = files;
    }
    for (int32_t i = 0; i < m->n_in; i++) {
        char *f = NULL;
        if (next && *next) {
            f = (char *)next;
            char *comma = strchr(f, ',');
            next = comma ? comma + 1 : "";
            if (comma)
                *comma = 0;
        }
        if (fill_input(&io.in[i], i, f, err, errsz) != 0)
            goto out;
    }
    double t0 = sample_now();
    if (sample_infer(m, &io, &bpu_us, err, errsz) != 0)
        goto out;
    double wall_ms = (sample_now() - t0) * 1e3;
    for (int32_t o = 0; o < m->n_out; o++) {
        char path[1024];
        float *v = NULL;
        size_t n = 0;
        char tmp[1100];
        snprintf(path, sizeof path, "%s%d.bin", a->prefix, o);
        snprintf(tmp, sizeof tmp, "%s.tmp", path); /* renamed once complete */
        FILE *f = fopen(tmp, "wb");
        size_t nb = (size_t)io.out[o].properties.alignedByteSize;
        int ok = f && fwrite(io.out[o].sysMem[0].virAddr, 1, nb, f) == nb;
        ok = f && fclose(f) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
            snprintf(err, errsz, "cannot write %.400s", path);
            remove(tmp);
            goto out;
        }
        if (sample_output_floats(&io, o, &v, &n, err, errsz) != 0)
            goto out;
        printf("output %d: %zu values written to %s; first:", o, n, path);
        for (size_t e = 0; e < n && e < 16; e++)
            printf(" %g", (double)v[e]);
        printf("\n");
        free(v);
    }
    printf("infer: host wall time %.3f ms; modelled BPU time %d us\n", wall_ms, bpu_us);
    rc = 0;
out:
    sample_io_free(&io);
    return rc;
}

typedef struct perf_worker {
    const sample_model *m;
    long frames;
    double wall_sum, wall_max, bpu_sum;
    char err[512];
    int failed;
} perf_worker;

static void *perf_run(void *arg)
{
    perf_worker *w = arg;
    sample_io io;
    if (sample_io_alloc(w->m, &io, w->err, sizeof w->err) != 0) {
        w->failed = 1;
        sample_io_free(&io);
        return NULL;
    }
    for (int32_t i = 0; i < io.n_in; i++)
        memset(io.in[i].sysMem[0].virAddr, 0, io.in[i].sysMem[0].memSize);
    for (long f = 0; f < w->frames; f++) {
        int32_t us = 0;
        double t0 = sample_now();
        if (sample_infer(w->m, &io, &us, w->err, sizeof w->err) != 0) {
            w->failed = 1;
            break;
        }
        double dt = sample_now() - t0;
        w->wall_sum += dt;
        w->wall_max = dt > w->wall_max ? dt : w->wall_max;
        w->bpu_sum += us;
    }
    sample_io_free(&io);
    return NULL;
}

static int perf(const sample_model *m, const args *a, char *err, size_t errsz)
{
    perf_worker w[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    int started = 0;
    int32_t lat = 0;
    double t0 = sample_now();
    for (int t = 0; t < a->threads; t++) {
        memset(&w[t], 0, sizeof w[t]);
        w[t].m = m;
        /* frames split over the threads; the first ones take the remainder */
        w[t].frames = a->frames / a->threads + (t < a->frames % a->threads);
        if (pthread_create(&th[t], NULL, perf_run, &w[t]) != 0)
            break;
        started++;
    }
    double wall_sum = 0, wall_max = 0, bpu_sum = 0;
    int failed = started < a->threads;
    for (int t = 0; t < started; t++) {
        pthread_join(th[t], NULL);
        if (w[t].failed && !failed)
            snprintf(err, errsz, "thread %d: %.480s", t, w[t].err);
        failed |= w[t].failed;
        wall_sum += w[t].wall_sum;
        wall_max = w[t].wall_max > wall_max ? w[t].wall_max : wall_max;
        bpu_sum += w[t].bpu_sum;
    }
    double total = sample_now() - t0;
    if (failed) {
        if (!err[0])
            snprintf(err, errsz, "could not start %d threads", a->threads);
        return -1;
    }
    hbDNNGetEstimateLatency(&lat, m->dnn);
    printf("Running condition:\n  Thread number: %d\n  Frame count: %ld\n"
           "  Program run time: %.3f ms (host wall time)\n",
           a->threads, a->frames, total * 1e3);
    printf("Perf result (host wall time: the simulator runs the BPU program on this CPU):\n"
           "  Frame totally latency: %.3f ms\n  Average latency: %.3f ms\n"
           "  Max latency: %.3f ms\n  Frame rate: %.2f FPS\n",
           wall_sum * 1e3, wall_sum * 1e3 / (double)a->frames, wall_max * 1e3,
           (double)a->frames / total);
    double bpu_avg = bpu_sum / (double)a->frames;
    printf("Modelled BPU time (hbDNNGetTaskEstimateTime; CPU steps not counted):\n"
           "  Average latency: %.3f ms\n  Frame rate of one BPU core: %.2f FPS\n"
           "  Static estimate (hbDNNGetEstimateLatency): %.3f ms\n",
           bpu_avg / 1e3, bpu_avg > 0 ? 1e6 / bpu_avg : 0.0, lat / 1e3);
    return 0;
}

static int parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->prefix = "output_";
    a->frames = -1;
    a->threads = 1;
    if (argc < 2)
        return -1;
    a->cmd = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--model_file"))
            a->model = v;
        else if (!strcmp(k, "--model_name"))
            a->name = v;
        else if (!strcmp(k, "--input_file"))
            a->inputs = v;
        else if (!strcmp(k, "--output_prefix"))
            a->prefix = v;
        else if (!strcmp(k, "--frame_count"))
            a->frames = atol(v);
        else if (!strcmp(k, "--thread_num"))
            a->threads = atoi(v);
        else
            return -1;
    }
    if ((argc - 2) % 2 || !a->model || a->threads < 1 || a->threads > MAX_THREADS)
        return -1;
    if (a->frames < 0)
        a->frames = strcmp(a->cmd, "perf") ? 1 : 200;
    if (a->frames < 1)
        return -1;
    return strcmp(a->cmd, "model_info") && strcmp(a->cmd, "infer") && strcmp(a->cmd, "perf") ? -1
                                                                                             : 0;
}

int main(int argc, char **argv)
{
    args a;
    sample_model m = {0};
    char err[512] = "";
    int rc = 1;
    if (parse(argc, argv, &a) != 0) {
        fprintf(stderr,
                "usage: %s model_info|infer|perf --model_file F.bin [--model_name N]\n"
                "  infer: [--input_file A[,B...]] [--output_prefix P]\n"
                "  perf:  [--frame_count N (200)] [--thread_num T (1..%d)]\n",
                argv[0], MAX_THREADS);
        return 2;
    }
    if (sample_model_open(&m, a.model, a.name, err, sizeof err) != 0)
        goto out;
    if (!strcmp(a.cmd, "model_info"))
        rc = model_info(&m);
    else if (!strcmp(a.cmd, "infer"))
        rc = infer(&m, &a, err, sizeof err) ? 1 : 0;
    else
        rc = perf(&m, &a, err, sizeof err) ? 1 : 0;
out:
    if (rc)
        fprintf(stderr, "model_runner: %s\n", err);
    sample_model_close(&m);
    return rc;
}
