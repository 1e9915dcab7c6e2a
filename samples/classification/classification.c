/* classification: one image through an image-input classifier, top-5 classes with probabilities.
 *
 *   classification MODEL.bin IMAGE [--model-name NAME] [--top K]
 *       [--raw W H rgb|gray|nv12]  (IMAGE holds raw pixels instead of a PPM/PGM file)
 *
 * The image (binary PPM/PGM, or raw RGB / gray / NV12 bytes) is resized (bilinear) to the model's
 * input size and converted to the input's type (NV12, YUV444, RGB, BGR or Y; raw NV12 is fed as
 * it is), written to BPU memory, run with hbDNNInfer, and output 0 is ranked. Scores that are not
 * probabilities already get a softmax (said on stdout). Exit status 0, 1 on any failure (the
 * message on stderr), 2 for a bad command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "sample_dnn.h"
#include "sample_image.h"

typedef struct args {
    const char *model, *image, *name, *raw_fmt;
    int top, raw_w, raw_h;
} args;

static int parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->top = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model-name") && i + 1 < argc) {
            a->name = argv[++i];
        } else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
            a->top = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--raw") && i + 3 < argc) {
            a->raw_w = atoi(argv[++i]);
            a->raw_h = atoi(argv[++i]);
            a->raw_fmt = argv[++i];
        } else if (argv[i][0] == '-') {
            return -1;
        } else if (!a->model) {
            a->model = argv[i];
        } else if (!a->image) {
            a->image = argv[i];
        } else {
            return -1;
        }
    }
    if (!a->model || !a->image || a->top < 1)
        return -1;
    if (a->raw_fmt &&
        (a->raw_w < 1 || a->raw_h < 1 ||
         (strcmp(a->raw_fmt, "rgb") && strcmp(a->raw_fmt, "gray") && strcmp(a->raw_fmt, "nv12"))))
        return -1;
    return 0;
}

/* Fill input 0 of io from the image file. */
static int load_input(const args *a, sample_io *io, char *err, size_t errsz)
{
    hbDNNTensorProperties *p = &io->in[0].properties;
    uint8_t *dst = io->in[0].sysMem[0].virAddr, *raw = NULL;
    sample_image img = {0}, sized = {0};
    size_t len = 0;
    int h = 0, w = 0, c = 0, rc = -1;
    if (sample_input_geometry(p, &h, &w, &c, err, errsz) != 0)
        return -1;
    if (a->raw_fmt && !strcmp(a->raw_fmt, "nv12")) {
        /* NV12 frames go in unchanged: they must have the model's size */
        if (p->tensorType != HB_DNN_IMG_TYPE_NV12 || a->raw_w != w || a->raw_h != h) {
            snprintf(err, errsz, "raw NV12 %dx%d: the model's input is %s %dx%d", a->raw_w,
                     a->raw_h, sample_type_name(p->tensorType), w, h);
            return -1;
        }
        if (sample_read_file(a->image, &raw, &len, err, errsz) != 0)
            return -1;
        if (len != sample_input_bytes(p))
            snprintf(err, errsz, "%s: %zu bytes, NV12 %dx%d needs %zu", a->image, len, w, h,
                     sample_input_bytes(p));
        else
            memcpy(dst, raw, len), rc = 0;
        goto out;
    }
    if (a->raw_fmt) {
        img.c = strcmp(a->raw_fmt, "rgb") ? 1 : 3;
        img.w = a->raw_w;
        img.h = a->raw_h;
        if (sample_read_file(a->image, &img.data, &len, err, errsz) != 0)
            goto out;
        if (len != (size_t)img.w * (size_t)img.h * (size_t)img.c) {
            snprintf(err, errsz, "%s: %zu bytes, raw %s %dx%d needs %zu", a->image, len, a->raw_fmt,
                     img.w, img.h, (size_t)img.w * (size_t)img.h * (size_t)img.c);
            goto out;
        }
    } else if (sample_read_pnm(a->image, &img, err, errsz) != 0) {
        goto out;
    }
    const sample_image *use = &img;
    if (img.w != w || img.h != h) {
        if (sample_resize(&img, w, h, &sized, err, errsz) != 0)
            goto out;
        use = &sized;
    }
    rc = sample_image_to_input(use, p, dst, err, errsz);
out:
    free(raw);
    free(img.data);
    free(sized.data);
    return rc;
}

int main(int argc, char **argv)
{
    args a;
    sample_model m = {0};
    sample_io io = {0};
    float *v = NULL;
    size_t n = 0, *idx = NULL;
    char err[512] = "";
    int32_t bpu_us = 0;
    int rc = 1;
    if (parse(argc, argv, &a) != 0) {
        fprintf(stderr,
                "usage: %s MODEL.bin IMAGE [--model-name NAME] [--top K] "
                "[--raw W H rgb|gray|nv12]\n",
                argv[0]);
        return 2;
    }
    if (sample_model_open(&m, a.model, a.name, err, sizeof err) != 0 ||
        sample_io_alloc(&m, &io, err, sizeof err) != 0)
        goto out;
    if (m.n_in != 1) {
        snprintf(err, sizeof err, "model '%s' has %d inputs; this sample feeds one image", m.name,
                 m.n_in);
        goto out;
    }
    if (load_input(&a, &io, err, sizeof err) != 0)
        goto out;
    double t0 = sample_now();
    if (sample_infer(&m, &io, &bpu_us, err, sizeof err) != 0)
        goto out;
    double wall_ms = (sample_now() - t0) * 1e3;
    if (sample_output_floats(&io, 0, &v, &n, err, sizeof err) != 0)
        goto out;
    size_t k = (size_t)a.top < n ? (size_t)a.top : n;
    if (!(idx = malloc(k * sizeof *idx))) {
        snprintf(err, sizeof err, "out of memory");
        goto out;
    }
    int soft = sample_probabilities(v, n);
    sample_topk(v, n, k, idx);
    printf("model '%s', input %s, %zu classes%s\n", m.name,
           sample_type_name(io.in[0].properties.tensorType), n,
           soft ? " (softmax applied to the scores)" : "");
    for (size_t j = 0; j < k; j++)
        printf("TOP %zu result id: %zu, prob: %.6f\n", j, idx[j], (double)v[idx[j]]);
    printf("time: host wall %.3f ms (hbDNNInfer to hbDNNWaitTaskDone, simulator on this CPU); "
           "modelled BPU %d us\n",
           wall_ms, bpu_us);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "classification: %s\n", err);
    free(v);
    free(idx);
    sample_io_free(&io);
    sample_model_close(&m);
    return rc;
}
