/* .bin writer: the builder (copies of everything added) and the layout of docs/bin-format.md.
 * Section order per model: MODEL, STRINGS, TENSORS, QPARAMS, PREPROCESS, PARAMS, then blobs
 * sorted by (kind, id); models in the order they were added. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "bin_writer_internal.h"
#include "hb_bin/bin_writer.h"

typedef struct wtensor {
    hbbin_tensor t; /* pointers below are this copy's own */
    char *name;
    float *scales;
    int8_t *zps;
    uint8_t *shifts;
} wtensor;

typedef struct wblob {
    uint32_t kind, id;
    uint8_t *data;
    uint64_t size;
} wblob;

typedef struct wparam {
    char *key, *value;
} wparam;

typedef struct wmodel {
    char *name;
    wtensor *tensors[2]; /* [0] outputs, [1] inputs (indexed by is_input) */
    uint32_t n_tensors[2], cap_tensors[2];
    hbbin_preprocess *pre;
    uint32_t n_pre, cap_pre;
    wparam *params;
    uint32_t n_params, cap_params;
    wblob *blobs;
    uint32_t n_blobs, cap_blobs;
} wmodel;

struct hbbw {
    uint32_t march;
    uint16_t toolchain[3];
    uint32_t flags;
    wmodel *models;
    uint32_t n_models, cap_models;
};

/* Grow *p (elements of `elem` bytes, capacity *cap) to hold at least need elements. */
static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    uint32_t ncap;
    void *np;
    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 8;
    if (ncap < need)
        ncap = need;
    np = realloc(*p, (size_t)ncap * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void *dup_mem(const void *src, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, src, n);
    return d;
}

hbbw *hbbw_create(uint32_t march, const uint16_t toolchain[3])
{
    hbbw *w;
    if (march >= HBBIN_MARCH_COUNT || !toolchain)
        return NULL;
    w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->march = march;
    memcpy(w->toolchain, toolchain, sizeof w->toolchain);
    return w;
}

void hbbw_set_flags(hbbw *w, uint32_t flags)
{
    w->flags = flags;
}

void hbbw_free(hbbw *w)
{
    if (!w)
        return;
    for (uint32_t m = 0; m < w->n_models; m++) {
        wmodel *md = &w->models[m];
        for (int io = 0; io < 2; io++) {
            for (uint32_t i = 0; i < md->n_tensors[io]; i++) {
                free(md->tensors[io][i].name);
                free(md->tensors[io][i].scales);
                free(md->tensors[io][i].zps);
                free(md->tensors[io][i].shifts);
            }
            free(md->tensors[io]);
        }
        for (uint32_t i = 0; i < md->n_params; i++) {
            free(md->params[i].key);
            free(md->params[i].value);
        }
        for (uint32_t i = 0; i < md->n_blobs; i++)
            free(md->blobs[i].data);
        free(md->name);
        free(md->pre);
        free(md->params);
        free(md->blobs);
    }
    free(w->models);
    free(w);
}

hbbin_status hbbw_add_model(hbbw *w, const char *name, uint32_t *model)
{
    wmodel *md;
    if (!w || !name || !name[0] || w->n_models >= HBBIN_MAX_MODELS)
        return HBBIN_E_ARG;
    for (uint32_t m = 0; m < w->n_models; m++)
        if (strcmp(w->models[m].name, name) == 0)
            return HBBIN_E_ARG;
    if (grow((void **)&w->models, &w->cap_models, w->n_models + 1, sizeof *w->models))
        return HBBIN_E_NOMEM;
    md = &w->models[w->n_models];
    memset(md, 0, sizeof *md);
    md->name = dup_str(name);
    if (!md->name)
        return HBBIN_E_NOMEM;
    if (model)
        *model = w->n_models;
    w->n_models++;
    return HBBIN_OK;
}

hbbin_status hbbw_add_tensor(hbbw *w, uint32_t model, int is_input, const hbbin_tensor *t)
{
    wmodel *md;
    wtensor *wt;
    int io = is_input ? 1 : 0;
    if (!w || model >= w->n_models || !t || !t->name || !t->name[0] ||
        t->quant_count > HBBIN_MAX_DIM || t->zero_point_count > t->quant_count ||
        (t->quant_type == HBBIN_QUANT_SCALE && t->quant_count && !t->scales) ||
        (t->quant_type == HBBIN_QUANT_SHIFT && t->quant_count && !t->shifts) ||
        (t->zero_point_count && !t->zero_points))
        return HBBIN_E_ARG;
    md = &w->models[model];
    if (md->n_tensors[io] >= HBBIN_MAX_TENSORS)
        return HBBIN_E_ARG;
    if (grow((void **)&md->tensors[io], &md->cap_tensors[io], md->n_tensors[io] + 1,
             sizeof(wtensor)))
        return HBBIN_E_NOMEM;
    wt = &md->tensors[io][md->n_tensors[io]];
    memset(wt, 0, sizeof *wt);
    wt->t = *t;
    wt->name = dup_str(t->name);
    if (t->quant_type == HBBIN_QUANT_SCALE)
        wt->scales = dup_mem(t->scales, (size_t)t->quant_count * sizeof(float));
    if (t->quant_type == HBBIN_QUANT_SCALE && t->zero_point_count)
        wt->zps = dup_mem(t->zero_points, t->zero_point_count);
    if (t->quant_type == HBBIN_QUANT_SHIFT)
        wt->shifts = dup_mem(t->shifts, t->quant_count);
    if (!wt->name || (t->quant_type == HBBIN_QUANT_SCALE && !wt->scales) ||
        (t->quant_type == HBBIN_QUANT_SCALE && t->zero_point_count && !wt->zps) ||
        (t->quant_type == HBBIN_QUANT_SHIFT && !wt->shifts)) {
        free(wt->name);
        free(wt->scales);
        free(wt->zps);
        free(wt->shifts);
        return HBBIN_E_NOMEM;
    }
    wt->t.name = wt->name;
    wt->t.scales = wt->scales;
    wt->t.zero_points = wt->zps;
    wt->t.shifts = wt->shifts;
    md->n_tensors[io]++;
    return HBBIN_OK;
}

hbbin_status hbbw_set_input_source(hbbw *w, uint32_t model, uint32_t input, uint32_t source)
{
    if (!w || model >= w->n_models || input >= w->models[model].n_tensors[1] ||
        source >= HBBIN_INPUT_SOURCE_COUNT)
        return HBBIN_E_ARG;
    w->models[model].tensors[1][input].t.input_source = source;
    return HBBIN_OK;
}

hbbin_status hbbw_add_preprocess(hbbw *w, uint32_t model, const hbbin_preprocess *p)
{
    wmodel *md;
    if (!w || model >= w->n_models || !p)
        return HBBIN_E_ARG;
    md = &w->models[model];
    for (uint32_t i = 0; i < md->n_pre; i++)
        if (md->pre[i].input == p->input)
            return HBBIN_E_ARG;
    if (md->n_pre >= HBBIN_MAX_TENSORS)
        return HBBIN_E_ARG;
    if (grow((void **)&md->pre, &md->cap_pre, md->n_pre + 1, sizeof *md->pre))
        return HBBIN_E_NOMEM;
    md->pre[md->n_pre++] = *p;
    return HBBIN_OK;
}

hbbin_status hbbw_add_param(hbbw *w, uint32_t model, const char *key, const char *value)
{
    wmodel *md;
    wparam *wp;
    if (!w || model >= w->n_models || !key || !key[0] || !value)
        return HBBIN_E_ARG;
    md = &w->models[model];
    for (uint32_t i = 0; i < md->n_params; i++)
        if (strcmp(md->params[i].key, key) == 0)
            return HBBIN_E_ARG;
    if (grow((void **)&md->params, &md->cap_params, md->n_params + 1, sizeof *md->params))
        return HBBIN_E_NOMEM;
    wp = &md->params[md->n_params];
    wp->key = dup_str(key);
    wp->value = dup_str(value);
    if (!wp->key || !wp->value) {
        free(wp->key);
        free(wp->value);
        return HBBIN_E_NOMEM;
    }
    md->n_params++;
    return HBBIN_OK;
}

hbbin_status hbbw_add_blob(hbbw *w, uint32_t model, uint32_t kind, uint32_t id, const void *data,
                           uint64_t size)
{
    wmodel *md;
    wblob *b;
    if (!w || model >= w->n_models || !hbbin_kind_is_blob(kind) || (size && !data) ||
        size > SIZE_MAX / 2)
        return HBBIN_E_ARG;
    md = &w->models[model];
    for (uint32_t i = 0; i < md->n_blobs; i++)
        if (md->blobs[i].kind == kind && md->blobs[i].id == id)
            return HBBIN_E_ARG;
    if (md->n_blobs >= HBBIN_MAX_SECTIONS)
        return HBBIN_E_ARG;
    if (grow((void **)&md->blobs, &md->cap_blobs, md->n_blobs + 1, sizeof *md->blobs))
        return HBBIN_E_NOMEM;
    b = &md->blobs[md->n_blobs];
    b->kind = kind;
    b->id = id;
    b->size = size;
    b->data = dup_mem(data, (size_t)size);
    if (!b->data)
        return HBBIN_E_NOMEM;
    md->n_blobs++;
    return HBBIN_OK;
}

/* ---- layout ---- */

/* A growable byte buffer; `oom` latches an allocation failure. */
typedef struct bbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} bbuf;

static size_t bb_reserve(bbuf *b, size_t n)
{
    size_t at = b->n;
    if (b->oom || n == 0)
        return at;
    if (b->n + n > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        while (ncap < b->n + n)
            ncap *= 2;
        uint8_t *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return 0;
        }
        b->p = np;
        b->cap = ncap;
    }
    memset(b->p + b->n, 0, n);
    b->n += n;
    return at;
}

static void bb_bytes(bbuf *b, const void *src, size_t n)
{
    size_t at = bb_reserve(b, n);
    if (!b->oom && n)
        memcpy(b->p + at, src, n);
}

static uint32_t bb_str(bbuf *b, const char *s)
{
    size_t at = b->n;
    bb_bytes(b, s, strlen(s) + 1);
    return (uint32_t)at;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static void wrf32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    wr32(p, u);
}

static uint64_t round64(uint64_t v)
{
    return (v + HBBIN_ALIGN - 1) / HBBIN_ALIGN * HBBIN_ALIGN;
}

/* The generated (non-blob) sections of one model. */
typedef struct mbufs {
    bbuf rec[6]; /* indexed by kind - 1: MODEL .. PARAMS */
} mbufs;

static void tensor_record(bbuf *tens, bbuf *str, bbuf *q, const hbbin_tensor *t)
{
    size_t at = bb_reserve(tens, HBBIN_TENSOR_SIZE);
    uint32_t name = bb_str(str, t->name), off_s = 0, off_z = 0, off_sh = 0;
    if (t->quant_type == HBBIN_QUANT_SCALE && t->scales) {
        bb_reserve(q, (4 - q->n % 4) % 4);
        off_s = (uint32_t)bb_reserve(q, (size_t)t->quant_count * 4);
        for (uint32_t i = 0; !q->oom && i < t->quant_count; i++)
            wrf32(q->p + off_s + 4 * (size_t)i, t->scales[i]);
        if (t->zero_point_count) {
            off_z = (uint32_t)q->n;
            bb_bytes(q, t->zero_points, t->zero_point_count);
        }
    } else if (t->quant_type == HBBIN_QUANT_SHIFT && t->shifts) {
        off_sh = (uint32_t)q->n;
        bb_bytes(q, t->shifts, t->quant_count);
    }
    if (tens->oom)
        return;
    uint8_t *p = tens->p + at;
    wr32(p, name);
    wr32(p + 4, t->valid_ndim);
    wr32(p + 40, t->aligned_ndim);
    for (int i = 0; i < HBBIN_MAX_NDIM; i++) {
        wr32(p + 8 + 4 * i, (uint32_t)t->valid_dims[i]);
        wr32(p + 44 + 4 * i, (uint32_t)t->aligned_dims[i]);
        wr32(p + 76 + 4 * i, (uint32_t)t->stride[i]);
    }
    wr32(p + 108, t->layout);
    wr32(p + 112, t->data_type);
    wr32(p + 116, (uint32_t)t->quant_type);
    wr32(p + 120, (uint32_t)t->quant_axis);
    wr32(p + 124, t->aligned_byte_size);
    wr32(p + 128, t->quant_count);
    wr32(p + 132, off_s);
    wr32(p + 136, t->zero_point_count);
    wr32(p + 140, off_z);
    wr32(p + 144, off_sh);
    wr32(p + 148, t->input_source);
}

static int cmp_pre(const void *a, const void *b)
{
    uint32_t x = ((const hbbin_preprocess *)a)->input, y = ((const hbbin_preprocess *)b)->input;
    return (x > y) - (x < y);
}

static int cmp_blob(const void *a, const void *b)
{
    const wblob *x = *(const wblob *const *)a, *y = *(const wblob *const *)b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Generate the records of model md into mb (blobs excluded). Returns 0, or -1 on OOM. */
static int model_records(const wmodel *md, mbufs *mb)
{
    bbuf *rec = &mb->rec[HBBIN_SEC_MODEL - 1], *str = &mb->rec[HBBIN_SEC_STRINGS - 1];
    bbuf *tens = &mb->rec[HBBIN_SEC_TENSORS - 1], *q = &mb->rec[HBBIN_SEC_QPARAMS - 1];
    bbuf *pre = &mb->rec[HBBIN_SEC_PREPROCESS - 1], *par = &mb->rec[HBBIN_SEC_PARAMS - 1];
    hbbin_preprocess *sorted = NULL;
    size_t at = bb_reserve(rec, HBBIN_MODEL_SIZE);
    uint32_t name = bb_str(str, md->name);
    if (!rec->oom) {
        wr32(rec->p + at, name);
        wr32(rec->p + at + 4, md->n_tensors[1]);
        wr32(rec->p + at + 8, md->n_tensors[0]);
    }
    for (int io = 1; io >= 0; io--)
        for (uint32_t i = 0; i < md->n_tensors[io]; i++)
            tensor_record(tens, str, q, &md->tensors[io][i].t);
    if (md->n_pre) {
        sorted = dup_mem(md->pre, (size_t)md->n_pre * sizeof *sorted);
        if (!sorted)
            return -1;
        qsort(sorted, md->n_pre, sizeof *sorted, cmp_pre);
    }
    for (uint32_t i = 0; i < md->n_pre; i++) {
        const hbbin_preprocess *pp = &sorted[i];
        at = bb_reserve(pre, HBBIN_PREPROC_SIZE);
        if (pre->oom)
            break;
        uint8_t *p = pre->p + at;
        wr32(p, pp->input);
        wr32(p + 4, (uint32_t)pp->type_rt);
        wr32(p + 8, (uint32_t)pp->type_train);
        wr32(p + 12, pp->layout_train);
        wr32(p + 16, pp->yuv_range);
        wr32(p + 20, pp->channels);
        for (int c = 0; c < 4; c++) {
            wrf32(p + 24 + 4 * c, pp->mean[c]);
            wrf32(p + 40 + 4 * c, pp->scale[c]);
        }
    }
    free(sorted);
    for (uint32_t i = 0; i < md->n_params; i++) {
        uint32_t k = bb_str(str, md->params[i].key), v = bb_str(str, md->params[i].value);
        at = bb_reserve(par, HBBIN_PARAM_SIZE);
        if (!par->oom) {
            wr32(par->p + at, k);
            wr32(par->p + at + 4, v);
        }
    }
    for (int k = 0; k < 6; k++)
        if (mb->rec[k].oom)
            return -1;
    return 0;
}

/* One section to place: generated bytes or a blob. */
typedef struct wsec {
    uint32_t kind, model, id;
    const uint8_t *data;
    uint64_t size;
} wsec;

static hbbin_status werr(char *err, size_t errsz, hbbin_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static hbbin_status werr(char *err, size_t errsz, hbbin_status st, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return st;
}

hbbin_status hbbw_serialize(const hbbw *w, uint8_t **out, size_t *size, char *err, size_t errsz)
{
    hbbin_status st = HBBIN_OK;
    mbufs *mb = NULL;
    wsec *secs = NULL;
    const wblob **order = NULL;
    uint8_t *img = NULL;
    uint64_t n = 0, off, total;
    size_t max_blobs = 0;
    hbbin_file *check = NULL;

    if (!w || !out || !size)
        return werr(err, errsz, HBBIN_E_ARG, "bin writer: NULL argument");
    *out = NULL;
    *size = 0;
    if (w->n_models == 0)
        return werr(err, errsz, HBBIN_E_ARG, "bin writer: no model added");
    mb = calloc(w->n_models, sizeof *mb);
    if (!mb) {
        st = werr(err, errsz, HBBIN_E_NOMEM, "bin writer: out of memory");
        goto out;
    }
    for (uint32_t m = 0; m < w->n_models; m++) {
        if (model_records(&w->models[m], &mb[m])) {
            st = werr(err, errsz, HBBIN_E_NOMEM, "bin writer: out of memory");
            goto out;
        }
        for (int k = 0; k < 6; k++)
            n += mb[m].rec[k].n > 0;
        n += w->models[m].n_blobs;
        if (w->models[m].n_blobs > max_blobs)
            max_blobs = w->models[m].n_blobs;
    }
    if (n > HBBIN_MAX_SECTIONS) {
        st = werr(err, errsz, HBBIN_E_ARG, "bin writer: %llu sections, at most %u",
                  (unsigned long long)n, HBBIN_MAX_SECTIONS);
        goto out;
    }
    secs = calloc((size_t)n, sizeof *secs);
    order = calloc(max_blobs ? max_blobs : 1, sizeof *order);
    if (!secs || !order) {
        st = werr(err, errsz, HBBIN_E_NOMEM, "bin writer: out of memory");
        goto out;
    }
    n = 0;
    for (uint32_t m = 0; m < w->n_models; m++) {
        const wmodel *md = &w->models[m];
        for (uint32_t k = 0; k < 6; k++)
            if (mb[m].rec[k].n > 0)
                secs[n++] = (wsec){k + 1, m, 0, mb[m].rec[k].p, mb[m].rec[k].n};
        for (uint32_t i = 0; i < md->n_blobs; i++)
            order[i] = &md->blobs[i];
        qsort(order, md->n_blobs, sizeof *order, cmp_blob);
        for (uint32_t i = 0; i < md->n_blobs; i++)
            secs[n++] = (wsec){order[i]->kind, m, order[i]->id, order[i]->data, order[i]->size};
    }
    off = round64(HBBIN_HEADER_SIZE + (uint64_t)HBBIN_ENTRY_SIZE * n);
    for (uint64_t i = 0; i < n; i++)
        off = round64(off + secs[i].size);
    total = off;
    if (total > SIZE_MAX / 2) {
        st = werr(err, errsz, HBBIN_E_ARG, "bin writer: file of %llu bytes is too large",
                  (unsigned long long)total);
        goto out;
    }
    img = calloc(1, (size_t)total);
    if (!img) {
        st = werr(err, errsz, HBBIN_E_NOMEM, "bin writer: out of memory");
        goto out;
    }
    off = round64(HBBIN_HEADER_SIZE + (uint64_t)HBBIN_ENTRY_SIZE * n);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t *e = img + HBBIN_HEADER_SIZE + HBBIN_ENTRY_SIZE * i;
        if (secs[i].size)
            memcpy(img + off, secs[i].data, (size_t)secs[i].size);
        wr32(e, secs[i].kind);
        wr32(e + 4, secs[i].model);
        wr64(e + 8, off);
        wr64(e + 16, secs[i].size);
        wr32(e + 24, hbbin_crc32(0, img + off, (size_t)secs[i].size));
        wr32(e + 28, secs[i].id);
        off = round64(off + secs[i].size);
    }
    memcpy(img, HBBIN_MAGIC, 8);
    wr16(img + 8, HBBIN_VERSION_MAJOR);
    wr16(img + 10, HBBIN_VERSION_MINOR);
    wr32(img + 12, HBBIN_HEADER_SIZE);
    wr64(img + 16, total);
    wr32(img + 24, w->march);
    wr32(img + 28, w->flags);
    wr32(img + 32, (uint32_t)n);
    wr32(img + 36, w->n_models);
    for (int i = 0; i < 3; i++)
        wr16(img + 40 + 2 * i, w->toolchain[i]);
    wr32(img + 48, hbbin_crc32(0, img + HBBIN_HEADER_SIZE, (size_t)(HBBIN_ENTRY_SIZE * n)));
    wr32(img + 60, hbbin_crc32(0, img, 60));
    /* The one validator: a description the reader would refuse is refused here, with its reason. */
    st = hbbin_open_memory(img, (size_t)total, "bin writer", &check, err, errsz);
    hbbin_close(check);
    if (st != HBBIN_OK)
        goto out;
    *out = img;
    *size = (size_t)total;
    img = NULL;
out:
    for (uint32_t m = 0; mb && m < w->n_models; m++)
        for (int k = 0; k < 6; k++)
            free(mb[m].rec[k].p);
    free(mb);
    free(secs);
    free(order);
    free(img);
    return st;
}

hbbin_status hbbw_write(const hbbw *w, const char *path, char *err, size_t errsz)
{
    uint8_t *img = NULL;
    size_t size = 0, done = 0;
    char *tmp = NULL;
    int fd = -1;
    hbbin_status st;
    if (!path)
        return werr(err, errsz, HBBIN_E_ARG, "bin writer: NULL path");
    st = hbbw_serialize(w, &img, &size, err, errsz);
    if (st != HBBIN_OK)
        return st;
    tmp = malloc(strlen(path) + 8);
    if (!tmp) {
        st = werr(err, errsz, HBBIN_E_NOMEM, "%s: out of memory", path);
        goto out;
    }
    sprintf(tmp, "%s.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        st = werr(err, errsz, HBBIN_E_IO, "%s: cannot create a temporary file: %s", path,
                  strerror(errno));
        goto out;
    }
    /* mkstemp creates 0600; a model file is meant to be shared like any build output. */
    if (fchmod(fd, 0644) != 0) {
        st = werr(err, errsz, HBBIN_E_IO, "%s: chmod failed: %s", path, strerror(errno));
        goto out;
    }
    while (done < size) {
        ssize_t k = write(fd, img + done, size - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            st = werr(err, errsz, HBBIN_E_IO, "%s: write failed: %s", path,
                      k < 0 ? strerror(errno) : "no progress");
            goto out;
        }
        done += (size_t)k;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = werr(err, errsz, HBBIN_E_IO, "%s: close failed: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        st = werr(err, errsz, HBBIN_E_IO, "%s: rename failed: %s", path, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
out:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(img);
    return st;
}
