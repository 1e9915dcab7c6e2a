/* hb_eval_preprocess -m <model kind> -i <image dir> -o <output dir> [-v <val.txt>]
 *
 * Turns a folder of JPEG/PNG/BMP images into raw uint8 files (numpy.tofile layout, 1x3xHxW NCHW,
 * no header), one "<image stem>.bin" per image, through the pipeline of the named model kind
 * (docs/preprocess.md). The output folder is ready as a cal_data_dir with cal_data_type uint8.
 * With -v, only the images named in the first column of val.txt are processed, in its order.
 * Exit status: 0 success, 1 an image or file failed, 2 bad command line. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hbc/prep.h"

#ifndef HB_VERSION
#define HB_VERSION "0.0.0"
#endif

typedef struct names {
    int n, cap;
    char **v;
} names;

static void names_free(names *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int names_add(names *l, const char *s)
{
    if (l->n == l->cap) {
        int nc = l->cap ? 2 * l->cap : 64;
        char **nv = realloc(l->v, sizeof *nv * (size_t)nc);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    size_t len = strlen(s) + 1;
    if (!(l->v[l->n] = malloc(len)))
        return -1;
    memcpy(l->v[l->n++], s, len);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 when name ends in .jpg, .jpeg, .png or .bmp (any case). */
static int is_image_name(const char *name)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp"};
    size_t n = strlen(name);
    for (size_t e = 0; e < sizeof ext / sizeof ext[0]; e++) {
        size_t m = strlen(ext[e]);
        if (n > m) {
            size_t i = 0;
            while (i < m && tolower((unsigned char)name[n - m + i]) == ext[e][i])
                i++;
            if (i == m)
                return 1;
        }
    }
    return 0;
}

static int list_images(const char *dir, names *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) {
        fprintf(stderr, "hb_eval_preprocess: image dir %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && is_image_name(e->d_name) && names_add(out, e->d_name) != 0) {
            closedir(d);
            fprintf(stderr, "hb_eval_preprocess: out of memory\n");
            return -1;
        }
    closedir(d);
    qsort(out->v, (size_t)out->n, sizeof *out->v, cmp_str);
    return 0;
}

/* First whitespace-separated token of every non-empty line of path (ImageNet-style
 * "<file> <label>"). */
static int read_val_list(const char *path, names *out)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "hb_eval_preprocess: val list %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char tok[4096];
        if (sscanf(line, "%4095s", tok) == 1 && names_add(out, tok) != 0) {
            fprintf(stderr, "hb_eval_preprocess: out of memory\n");
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

/* Write n bytes to path through "<path>.tmp" and a rename. */
static int write_atomic(const char *path, const uint8_t *buf, size_t n)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "hb_eval_preprocess: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    int ok = fwrite(buf, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "hb_eval_preprocess: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: hb_eval_preprocess -m <model_name> -i <image_dir> -o <output_dir> "
               "[-v <val.txt>]\n"
               "  -m, --model_name   model kind:");
    for (int i = 0; i < hbc_prep_kind_count(); i++)
        fprintf(f, " %s", hbc_prep_kind_at(i)->name);
    fprintf(f, "\n  -i, --image_dir    folder of JPEG/PNG/BMP images\n"
               "  -o, --output_dir   folder for the <image stem>.bin files (created if missing)\n"
               "  -v, --val_txt      only the images named in the first column of this file\n"
               "  --version          print the version\n"
               "  -h, --help         this help\n");
}

int main(int argc, char **argv)
{
    const char *kind_name = NULL, *in_dir = NULL, *out_dir = NULL, *val = NULL;
    names imgs = {0};
    uint8_t *buf = NULL;
    int rc = 0, done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--version")) {
            printf("hb_eval_preprocess version %s\n", HB_VERSION);
            return 0;
        }
        if (!strcmp(a, "-m") || !strcmp(a, "--model_name"))
            dst = &kind_name;
        else if (!strcmp(a, "-i") || !strcmp(a, "--image_dir"))
            dst = &in_dir;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output_dir"))
            dst = &out_dir;
        else if (!strcmp(a, "-v") || !strcmp(a, "--val_txt"))
            dst = &val;
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "hb_eval_preprocess: %s '%s'\n",
                    dst ? "missing value after" : "unknown option", a);
            usage(stderr);
            return 2;
        }
        *dst = argv[++i];
    }
    if (!kind_name || !in_dir || !out_dir) {
        fprintf(stderr, "hb_eval_preprocess: -m, -i and -o are required\n");
        usage(stderr);
        return 2;
    }
    const hbc_prep_kind *k = hbc_prep_kind_find(kind_name);
    if (!k) {
        fprintf(stderr, "hb_eval_preprocess: unknown model_name '%s'\n", kind_name);
        usage(stderr);
        return 2;
    }
    if ((val ? read_val_list(val, &imgs) : list_images(in_dir, &imgs)) != 0) {
        rc = 1;
        goto out;
    }
    if (imgs.n == 0) {
        fprintf(stderr, "hb_eval_preprocess: no JPEG/PNG/BMP images in %s\n", val ? val : in_dir);
        rc = 1;
        goto out;
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "hb_eval_preprocess: cannot create %s: %s\n", out_dir, strerror(errno));
        rc = 1;
        goto out;
    }
    buf = malloc(hbc_prep_kind_size(k));
    if (!buf) {
        fprintf(stderr, "hb_eval_preprocess: out of memory\n");
        rc = 1;
        goto out;
    }
    for (int i = 0; i < imgs.n && rc == 0; i++) {
        char src[4096], dst[4096], err[512];
        hbc_image img = {0};
        snprintf(src, sizeof src, "%s/%s", in_dir, imgs.v[i]);
        /* <output_dir>/<file name without folders and extension>.bin */
        const char *base = strrchr(imgs.v[i], '/') ? strrchr(imgs.v[i], '/') + 1 : imgs.v[i];
        const char *dot = strrchr(base, '.');
        int stem = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
        snprintf(dst, sizeof dst, "%s/%.*s.bin", out_dir, stem, base);
        if (hbc_image_load(src, &img, err, sizeof err) != HBG_OK ||
            hbc_prep_kind_apply(k, &img, buf, err, sizeof err) != HBG_OK) {
            fprintf(stderr, "hb_eval_preprocess: %s\n", err);
            rc = 1;
        } else if (write_atomic(dst, buf, hbc_prep_kind_size(k)) != 0) {
            rc = 1;
        } else {
            done++;
        }
        hbc_image_free(&img);
    }
    if (rc == 0)
        printf("hb_eval_preprocess: %d images -> %s (%s: 3x%dx%d %s uint8 NCHW)\n", done, out_dir,
               k->name, k->h, k->w, k->bgr ? "BGR" : "RGB");
out:
    free(buf);
    names_free(&imgs);
    return rc;
}
