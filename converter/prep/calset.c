/* The calibration data set: every file of every input's cal_data_dir, turned into the float
 * tensors the original float model with its HZ_PREPROCESS node takes (hbc/prep.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hbc/prep.h"
#include "hbg/npy.h"
#include "prep_err.h"

/* ---- folder listing ------------------------------------------------------------------------ */

typedef struct file_list {
    int n;
    char **path; /* "<dir>/<name>", sorted by name */
} file_list;

static void file_list_free(file_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->path[i]);
    free(l->path);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of dir whose names do not start with '.', sorted (strcmp on the whole path, which
 * shares the dir prefix, so it sorts by name). */
static hbg_status list_dir(const char *dir, const char *input, file_list *l, char *err,
                           size_t errlen)
{
    hbg_status st = HBG_OK;
    int cap = 0;
    struct dirent *e;
    DIR *d = opendir(dir);
    memset(l, 0, sizeof *l);
    if (!d) {
        st = hbc_prep_fail(err, errlen, HBG_E_IO, "cal_data_dir '%s' of input %s: %s", dir, input,
                           strerror(errno));
        goto out;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "listing %s: out of memory", dir);
            goto out;
        }
        snprintf(p, n, "%s/%s", dir, e->d_name);
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(p);
            continue;
        }
        if (l->n == cap) {
            int nc = cap ? 2 * cap : 64;
            char **np = realloc(l->path, sizeof *np * (size_t)nc);
            if (!np) {
                free(p);
                st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "listing %s: out of memory", dir);
                goto out;
            }
            l->path = np;
            cap = nc;
        }
        l->path[l->n++] = p;
    }
    if (l->n == 0) {
        st = hbc_prep_fail(err, errlen, HBG_E_INVALID,
                           "cal_data_dir '%s' of input %s holds no calibration files", dir, input);
        goto out;
    }
    qsort(l->path, (size_t)l->n, sizeof *l->path, cmp_str);
out:
    if (d)
        closedir(d);
    if (st != HBG_OK)
        file_list_free(l);
    return st;
}

/* ---- one input's geometry ------------------------------------------------------------------ */

typedef struct input_plan {
    const hbc_cfg_input *ci;
    const char *name;
    int rank;
    int64_t dims[HBG_MAX_RANK];
    int64_t numel;
    int image;   /* 1: an image input (type_rt != featuremap) */
    int w, h, c; /* image geometry from dims and layout_train */
    int nchw;    /* 1: layout_train NCHW, 0: NHWC */
} input_plan;

static int ends_with_npy(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && strcmp(path + n - 4, ".npy") == 0;
}

static const char *shape_text(const input_plan *p, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < p->rank && off < size; i++) {
        int n = snprintf(buf + off, size - off, i ? "x%lld" : "%lld", (long long)p->dims[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    return buf;
}

static hbg_status plan_input(const hbc_cfg_input *ci, const hbg_tensor *t, input_plan *p, char *err,
                             size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->ci = ci;
    p->name = t->name;
    if (ci->shape.rank > 0) {
        p->rank = ci->shape.rank;
        memcpy(p->dims, ci->shape.dims, sizeof p->dims);
    } else {
        p->rank = t->rank;
        if (t->rank < 0 || t->rank > HBG_MAX_RANK)
            return hbc_prep_fail(err, errlen, HBG_E_SHAPE,
                                 "input %s: unknown shape; give input_parameters.input_shape",
                                 t->name);
        memcpy(p->dims, t->dims, sizeof p->dims);
    }
    p->numel = 1;
    for (int i = 0; i < p->rank; i++) {
        if (p->dims[i] < 1 || p->dims[i] > ((int64_t)1 << 31))
            return hbc_prep_fail(err, errlen, HBG_E_SHAPE,
                                 "input %s: dimension %d is %lld; give a fixed "
                                 "input_parameters.input_shape",
                                 t->name, i, (long long)p->dims[i]);
        p->numel *= p->dims[i];
        if (p->numel > ((int64_t)1 << 31))
            return hbc_prep_fail(err, errlen, HBG_E_SHAPE, "input %s: too many elements", t->name);
    }
    p->image = ci->type_rt != HBC_IT_FEATUREMAP;
    if (!p->image)
        return HBG_OK;
    if (p->rank != 4 || p->dims[0] != 1)
        return hbc_prep_fail(err, errlen, HBG_E_SHAPE,
                             "input %s: an image input (input_type_rt %s) needs a 1xCxHxW or "
                             "1xHxWxC shape",
                             t->name, hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)ci->type_rt));
    p->nchw = ci->layout_train != HBC_LAYOUT_NHWC;
    p->c = (int)p->dims[p->nchw ? 1 : 3];
    p->h = (int)p->dims[p->nchw ? 2 : 1];
    p->w = (int)p->dims[p->nchw ? 3 : 2];
    int want_c = ci->type_train == HBC_IT_GRAY ? 1 : 3;
    if (p->c != want_c)
        return hbc_prep_fail(err, errlen, HBG_E_SHAPE,
                             "input %s: input_type_train %s needs %d channel(s), the %s shape "
                             "has %d",
                             t->name, hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)ci->type_train),
                             want_c, p->nchw ? "NCHW" : "NHWC", p->c);
    if (p->w > HBC_IMAGE_MAX_SIDE || p->h > HBC_IMAGE_MAX_SIDE)
        return hbc_prep_fail(err, errlen, HBG_E_SHAPE, "input %s: image of %dx%d is too large",
                             t->name, p->w, p->h);
    if (ci->type_rt == HBC_IT_NV12 && (p->w % 2 || p->h % 2))
        return hbc_prep_fail(err, errlen, HBG_E_SHAPE,
                             "input %s: input_type_rt nv12 needs even height and width, got %dx%d",
                             t->name, p->h, p->w);
    return HBG_OK;
}

/* ---- reading one file into doubles --------------------------------------------------------- */

/* The numel values of a .npy or raw file, as doubles, checked finite. */
static hbg_status read_values(const input_plan *p, hbc_cal_data_type dt, const char *path,
                              double *v, char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    hbg_tensor *t = NULL;
    uint8_t *raw = NULL;
    FILE *f = NULL;
    char shp[96];
    if (ends_with_npy(path)) {
        st = hbg_npy_load(path, p->name, &t, err, errlen);
        if (st != HBG_OK)
            goto out;
        if (hbg_tensor_numel(t) != p->numel) {
            char got[96];
            st = hbc_prep_fail(err, errlen, HBG_E_SHAPE,
                               "%s: holds %lld elements (shape %s), input %s needs %lld (%s)", path,
                               (long long)hbg_tensor_numel(t), hbg_shape_str(t, got, sizeof got),
                               p->name, (long long)p->numel, shape_text(p, shp, sizeof shp));
            goto out;
        }
        for (int64_t i = 0; i < p->numel; i++)
            v[i] = hbg_tensor_get_double(t, i);
    } else {
        const size_t esz = dt == HBC_CALDT_FLOAT32 ? 4 : 1;
        const size_t want = (size_t)p->numel * esz;
        long sz;
        f = fopen(path, "rb");
        if (!f) {
            st = hbc_prep_fail(err, errlen, HBG_E_IO, "%s: cannot open: %s", path, strerror(errno));
            goto out;
        }
        if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
            st = hbc_prep_fail(err, errlen, HBG_E_IO, "%s: cannot read its size", path);
            goto out;
        }
        if ((size_t)sz != want) {
            st = hbc_prep_fail(err, errlen, HBG_E_SHAPE,
                               "%s: %ld bytes, expected %zu (input %s: %s %s, cal_data_type %s)",
                               path, sz, want, p->name, shape_text(p, shp, sizeof shp),
                               esz == 4 ? "float32" : "uint8", esz == 4 ? "float32" : "uint8");
            goto out;
        }
        raw = malloc(want ? want : 1);
        if (!raw) {
            st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", path);
            goto out;
        }
        if (fread(raw, 1, want, f) != want) {
            st = hbc_prep_fail(err, errlen, HBG_E_IO, "%s: short read", path);
            goto out;
        }
        for (int64_t i = 0; i < p->numel; i++) {
            if (esz == 4) {
                float x;
                memcpy(&x, raw + 4 * (size_t)i, 4); /* little-endian hosts only (x86, aarch64) */
                v[i] = x;
            } else {
                v[i] = raw[i];
            }
        }
    }
    for (int64_t i = 0; i < p->numel; i++)
        if (!isfinite(v[i])) {
            st = hbc_prep_fail(err, errlen, HBG_E_INVALID, "%s: element %lld is %s", path,
                               (long long)i, isnan(v[i]) ? "NaN" : "infinite");
            goto out;
        }
out:
    if (f)
        fclose(f);
    free(raw);
    hbg_tensor_free(t);
    return st;
}

/* ---- image inputs -------------------------------------------------------------------------- */

/* A decoded image (RGB or gray) -> the input's training colour, resized to its H x W. */
static hbg_status image_to_train(const input_plan *p, hbc_image *img, hbc_image *train, char *err,
                                 size_t errlen)
{
    hbg_status st = HBG_OK;
    hbc_image tmp = {0}, sized = {0};
    const hbc_input_type tt = p->ci->type_train;
    memset(train, 0, sizeof *train);
    if (img->c == 1 && tt != HBC_IT_GRAY) { /* gray photo for a colour model: replicate */
        st = hbc_image_alloc(&tmp, img->w, img->h, 3, err, errlen);
        if (st != HBG_OK)
            goto out;
        for (size_t i = 0; i < (size_t)img->w * (size_t)img->h; i++)
            memset(tmp.data + 3 * i, img->data[i], 3);
    } else if (img->c == 3 && tt == HBC_IT_GRAY) {
        st = hbc_image_rgb_to_gray(img, &tmp, err, errlen);
        if (st != HBG_OK)
            goto out;
    } else {
        tmp = *img;
        memset(img, 0, sizeof *img);
    }
    if (tmp.w != p->w || tmp.h != p->h) {
        st = hbc_image_resize(&tmp, p->w, p->h, &sized, err, errlen);
        if (st != HBG_OK)
            goto out;
    } else {
        sized = tmp;
        memset(&tmp, 0, sizeof tmp);
    }
    if (tt == HBC_IT_BGR) {
        hbc_image_swap_rb(&sized);
    } else if (tt == HBC_IT_YUV444) {
        st = hbc_image_rgb_to_yuv444(&sized, HBC_YUV_FULL, train, err, errlen);
        goto out;
    }
    *train = sized;
    memset(&sized, 0, sizeof sized);
out:
    hbc_image_free(&tmp);
    hbc_image_free(&sized);
    return st;
}

/* Values of a file (training colour, layout_train) -> HWC bytes. */
static hbg_status values_to_train(const input_plan *p, const char *path, const double *v,
                                  hbc_image *train, char *err, size_t errlen)
{
    memset(train, 0, sizeof *train);
    for (int64_t i = 0; i < p->numel; i++)
        if (!(v[i] >= 0.0 && v[i] <= 255.0))
            return hbc_prep_fail(err, errlen, HBG_E_INVALID,
                                 "%s: element %lld is %g, outside [0, 255]: image calibration "
                                 "data is raw pixels in input_type_train colour (the model's "
                                 "preprocess node applies mean/scale)",
                                 path, (long long)i, v[i]);
    hbg_status st = hbc_image_alloc(train, p->w, p->h, p->c, err, errlen);
    if (st != HBG_OK)
        return st;
    const size_t hw = (size_t)p->w * (size_t)p->h;
    for (size_t q = 0; q < hw; q++)
        for (int k = 0; k < p->c; k++) {
            double x = v[p->nchw ? (size_t)k * hw + q : q * (size_t)p->c + (size_t)k];
            train->data[q * (size_t)p->c + (size_t)k] = (uint8_t)lround(x);
        }
    return HBG_OK;
}

/* Training colour -> the bytes the board hands the model (before the - 128), in HWC. */
static hbg_status train_to_rt(const input_plan *p, hbc_image *train, hbc_image *rt,
                              const char *path, char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    hbc_image rgb = {0};
    uint8_t *nv12 = NULL;
    const hbc_input_type tt = p->ci->type_train, rtt = p->ci->type_rt;
    const int colour_train = tt == HBC_IT_RGB || tt == HBC_IT_BGR;
    memset(rt, 0, sizeof *rt);
    if (rtt == tt || (colour_train && (rtt == HBC_IT_RGB || rtt == HBC_IT_BGR))) {
        *rt = *train;
        memset(train, 0, sizeof *train);
        if (rtt != tt)
            hbc_image_swap_rb(rt);
        goto out;
    }
    if (rtt != HBC_IT_NV12 && rtt != HBC_IT_YUV444) {
        st = hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED,
                           "%s: input %s: input_type_train %s with input_type_rt %s is not a "
                           "legal pair",
                           path, p->name, hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)tt),
                           hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)rtt));
        goto out;
    }
    if (colour_train) {
        rgb = *train;
        memset(train, 0, sizeof *train);
        if (tt == HBC_IT_BGR)
            hbc_image_swap_rb(&rgb);
    }
    if (rtt == HBC_IT_YUV444) { /* colour_train here: yuv444 -> yuv444 returned above */
        st = hbc_image_rgb_to_yuv444(&rgb, HBC_YUV_FULL, rt, err, errlen);
        goto out;
    }
    /* nv12: through the NV12 frame the board sees, then back to YUV444. */
    nv12 = malloc(hbc_nv12_size(p->w, p->h));
    if (!nv12) {
        st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", path);
        goto out;
    }
    const hbc_yuv_space sp =
        p->ci->space_and_range == HBC_RANGE_BT601_VIDEO ? HBC_YUV_VIDEO : HBC_YUV_FULL;
    if (colour_train) {
        st = hbc_image_rgb_to_nv12(&rgb, sp, nv12, err, errlen);
    } else if (tt == HBC_IT_YUV444) {
        st = hbc_image_yuv444_to_nv12(train, nv12, err, errlen);
    } else {
        st = hbc_prep_fail(err, errlen, HBG_E_UNSUPPORTED,
                           "%s: input %s: input_type_train %s with input_type_rt nv12 is not a "
                           "legal pair",
                           path, p->name, hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)tt));
    }
    if (st == HBG_OK)
        st = hbc_nv12_to_yuv444(nv12, p->w, p->h, rt, err, errlen);
out:
    free(nv12);
    hbc_image_free(&rgb);
    if (st != HBG_OK)
        hbc_image_free(rt);
    return st;
}

static hbg_status load_image_sample(const input_plan *p, int preprocess_on, const char *path,
                                    double *v, float *dst, char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    hbc_image dec = {0}, train = {0}, rt = {0};
    if (preprocess_on) {
        st = hbc_image_load(path, &dec, err, errlen);
        if (st == HBG_OK)
            st = image_to_train(p, &dec, &train, err, errlen);
    } else {
        st = read_values(p, p->ci->cal_data_type, path, v, err, errlen);
        if (st == HBG_OK)
            st = values_to_train(p, path, v, &train, err, errlen);
    }
    if (st == HBG_OK)
        st = train_to_rt(p, &train, &rt, path, err, errlen);
    if (st != HBG_OK)
        goto out;
    const size_t hw = (size_t)p->w * (size_t)p->h;
    for (size_t q = 0; q < hw; q++)
        for (int k = 0; k < p->c; k++)
            dst[p->nchw ? (size_t)k * hw + q : q * (size_t)p->c + (size_t)k] =
                (float)rt.data[q * (size_t)p->c + (size_t)k] - 128.0f;
out:
    hbc_image_free(&dec);
    hbc_image_free(&train);
    hbc_image_free(&rt);
    return st;
}

static hbg_status load_sample(const input_plan *p, int preprocess_on, const char *path, double *v,
                              float *dst, char *err, size_t errlen)
{
    if (p->image)
        return load_image_sample(p, preprocess_on, path, v, dst, err, errlen);
    if (preprocess_on)
        return hbc_prep_fail(err, errlen, HBG_E_INVALID,
                             "input %s: preprocess_on: True reads images, but the input is a "
                             "featuremap; give .npy or raw files",
                             p->name);
    hbg_status st = read_values(p, p->ci->cal_data_type, path, v, err, errlen);
    if (st != HBG_OK)
        return st;
    for (int64_t i = 0; i < p->numel; i++) {
        dst[i] = (float)v[i];
        if (!isfinite(dst[i]))
            return hbc_prep_fail(err, errlen, HBG_E_INVALID,
                                 "%s: element %lld (%g) overflows float32", path, (long long)i,
                                 v[i]);
    }
    return HBG_OK;
}

/* ---- the set ------------------------------------------------------------------------------- */

static const hbc_cfg_input *find_cfg_input(const hbc_cfg *cfg, const hbg_tensor *t)
{
    if (cfg->n_inputs == 1 && !cfg->inputs[0].name)
        return &cfg->inputs[0];
    for (int i = 0; i < cfg->n_inputs; i++)
        if (cfg->inputs[i].name && strcmp(cfg->inputs[i].name, t->name) == 0)
            return &cfg->inputs[i];
    return NULL;
}

void hbc_calset_free(hbc_calset *cs)
{
    if (!cs)
        return;
    if (cs->data)
        for (int i = 0; i < cs->n_samples * cs->n_inputs; i++)
            free(cs->data[i]);
    if (cs->files)
        for (int i = 0; i < cs->n_samples * cs->n_inputs; i++)
            free(cs->files[i]);
    if (cs->names)
        for (int i = 0; i < cs->n_inputs; i++)
            free(cs->names[i]);
    free(cs->data);
    free(cs->files);
    free(cs->names);
    free(cs->rank);
    free(cs->dims);
    free(cs->numel);
    memset(cs, 0, sizeof *cs);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

hbg_status hbc_calset_load(const hbc_cfg *cfg, const hbg_tensor *const *tensors, int n_tensors,
                           const hbc_logger *log, hbc_calset *out, char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    input_plan *plans = NULL;
    file_list *lists = NULL;
    double *v = NULL;
    int64_t max_numel = 1;
    memset(out, 0, sizeof *out);
    if (!cfg || !tensors || n_tensors < 1)
        return hbc_prep_fail(err, errlen, HBG_E_INVALID, "calibration data: no model inputs");
    plans = calloc((size_t)n_tensors, sizeof *plans);
    lists = calloc((size_t)n_tensors, sizeof *lists);
    out->names = calloc((size_t)n_tensors, sizeof *out->names);
    out->rank = calloc((size_t)n_tensors, sizeof *out->rank);
    out->dims = calloc((size_t)n_tensors, sizeof *out->dims);
    out->numel = calloc((size_t)n_tensors, sizeof *out->numel);
    if (!plans || !lists || !out->names || !out->rank || !out->dims || !out->numel) {
        st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "calibration data: out of memory");
        goto out;
    }
    out->n_inputs = n_tensors;
    for (int k = 0; k < n_tensors; k++) {
        const hbg_tensor *t = tensors[k];
        const hbc_cfg_input *ci = find_cfg_input(cfg, t);
        if (!ci) {
            st = hbc_prep_fail(err, errlen, HBG_E_INVALID,
                               "model input %s is not listed in input_parameters.input_name",
                               t->name);
            goto out;
        }
        if (!ci->cal_data_dir) {
            st = hbc_prep_fail(err, errlen, HBG_E_INVALID,
                               "input %s: calibration_parameters.cal_data_dir is not given",
                               t->name);
            goto out;
        }
        st = plan_input(ci, t, &plans[k], err, errlen);
        if (st == HBG_OK)
            st = list_dir(ci->cal_data_dir, t->name, &lists[k], err, errlen);
        if (st != HBG_OK)
            goto out;
        if (k > 0 && lists[k].n != lists[0].n) {
            st = hbc_prep_fail(err, errlen, HBG_E_INVALID,
                               "cal_data_dir '%s' (input %s) holds %d files but '%s' (input %s) "
                               "holds %d: every input needs one file per sample",
                               ci->cal_data_dir, t->name, lists[k].n, plans[0].ci->cal_data_dir,
                               plans[0].name, lists[0].n);
            goto out;
        }
        out->names[k] = dup_str(t->name);
        if (!out->names[k]) {
            st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "calibration data: out of memory");
            goto out;
        }
        out->rank[k] = plans[k].rank;
        memcpy(out->dims[k], plans[k].dims, sizeof out->dims[k]);
        out->numel[k] = plans[k].numel;
        if (plans[k].numel > max_numel)
            max_numel = plans[k].numel;
        char shp[96];
        HBC_LOGI(log, "calibration input %s: %d samples from %s (%s, shape %s, %s)", t->name,
                 lists[k].n, ci->cal_data_dir,
                 cfg->preprocess_on
                     ? "images"
                     : hbc_cfg_enum_name(HBC_ENUM_CAL_DATA_TYPE, (int)ci->cal_data_type),
                 shape_text(&plans[k], shp, sizeof shp),
                 hbc_prep_intermediate_name(ci->type_rt, ci->space_and_range));
    }
    out->n_samples = lists[0].n;
    const size_t total = (size_t)out->n_samples * (size_t)n_tensors;
    out->data = calloc(total, sizeof *out->data);
    out->files = calloc(total, sizeof *out->files);
    v = malloc(sizeof *v * (size_t)max_numel);
    if (!out->data || !out->files || !v) {
        st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "calibration data: out of memory");
        goto out;
    }
    for (int s = 0; s < out->n_samples; s++)
        for (int k = 0; k < n_tensors; k++) {
            const size_t idx = (size_t)s * (size_t)n_tensors + (size_t)k;
            out->files[idx] = lists[k].path[s];
            lists[k].path[s] = NULL;
            out->data[idx] = malloc(sizeof(float) * (size_t)plans[k].numel);
            if (!out->data[idx]) {
                st = hbc_prep_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", out->files[idx]);
                goto out;
            }
            HBC_LOGD(log, "calibration sample %d of input %s: %s", s, plans[k].name,
                     out->files[idx]);
            st = load_sample(&plans[k], cfg->preprocess_on, out->files[idx], v, out->data[idx], err,
                             errlen);
            if (st != HBG_OK)
                goto out;
        }
out:
    if (lists)
        for (int k = 0; k < n_tensors; k++)
            file_list_free(&lists[k]);
    free(lists);
    free(plans);
    free(v);
    if (st != HBG_OK)
        hbc_calset_free(out);
    return st;
}

const char *hbc_prep_intermediate_name(hbc_input_type rt, hbc_yuv_range range)
{
    static const char *const names[HBC_IT_COUNT] = {
        [HBC_IT_RGB] = "RGB_128",       [HBC_IT_BGR] = "BGR_128",
        [HBC_IT_YUV444] = "YUV444_128", [HBC_IT_NV12] = "YUV444_128",
        [HBC_IT_GRAY] = "GRAY_128",     [HBC_IT_FEATUREMAP] = "featuremap",
    };
    if ((int)rt < 0 || rt >= HBC_IT_COUNT)
        return "?";
    if (rt == HBC_IT_NV12 && range == HBC_RANGE_BT601_VIDEO)
        return "YUV_BT601_Video_Range";
    return names[rt];
}
