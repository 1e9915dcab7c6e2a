/* .bin reader, model level: MODEL, STRINGS, TENSORS, QPARAMS, PREPROCESS, PARAMS and blobs of one
 * model, each record and value checked against docs/bin-format.md section 6. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"

/* Scales are handed out in place as float arrays, so the host must be little-endian like the file
 * (both targets, x86-64 and AArch64 Linux, are). */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .bin reader supports little-endian hosts only"
#endif

/* What decoding one model needs besides the file. */
typedef struct model_ctx {
    hbbin_rd *r;
    const char *name;       /* model name once known, for messages */
    const uint8_t *strings; /* STRINGS section */
    uint64_t strings_size;
    const uint8_t *q; /* aligned copy of QPARAMS, or NULL */
    uint64_t q_size;
} model_ctx;

/* The string at strref `ref`, or NULL if ref is outside the section (STRINGS ends with NUL, so
 * every in-range reference is terminated). */
static const char *str_at(const model_ctx *c, uint32_t ref)
{
    return ref < c->strings_size ? (const char *)c->strings + ref : NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int hbbin_has_duplicate(const char *const *names, size_t n, const char **dup_name)
{
    const char **copy;
    int dup = 0;
    if (n < 2)
        return 0;
    copy = malloc(n * sizeof *copy);
    if (!copy)
        return -1;
    memcpy(copy, names, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, cmp_str);
    for (size_t i = 1; i < n && !dup; i++) {
        dup = strcmp(copy[i - 1], copy[i]) == 0;
        if (dup)
            *dup_name = copy[i];
    }
    free(copy);
    return dup;
}

/* Dimensions: ndim in 1..8, used extents in 1..2^24, unused entries 0. */
static int dims_ok(uint32_t ndim, const int32_t *d)
{
    if (ndim < 1 || ndim > HBBIN_MAX_NDIM)
        return 0;
    for (uint32_t i = 0; i < HBBIN_MAX_NDIM; i++)
        if (i < ndim ? (d[i] < 1 || d[i] > HBBIN_MAX_DIM) : d[i] != 0)
            return 0;
    return 1;
}

/* Bounds of an array of n elements of `elem` bytes at QPARAMS offset `off`. */
static int q_range_ok(const model_ctx *c, uint32_t off, uint32_t n, uint32_t elem)
{
    return c->q && off <= c->q_size && (uint64_t)n * elem <= c->q_size - off;
}

/* Decode one TENSORS record `p` into t; array pointers point into the QPARAMS copy c->q. */
static hbbin_status decode_tensor(model_ctx *c, const uint8_t *p, int is_input, uint32_t idx,
                                  hbbin_tensor *t)
{
    const char *role = is_input ? "input" : "output";
    uint32_t off_scale, off_zp, off_shift;
    t->name = str_at(c, hbbin_rd32(p));
    if (!t->name || !t->name[0])
        return hbbin_fail(c->r, HBBIN_E_CORRUPT, "model '%s' %s %u: bad name reference", c->name,
                          role, idx);
    t->valid_ndim = hbbin_rd32(p + 4);
    t->aligned_ndim = hbbin_rd32(p + 40);
    for (int i = 0; i < HBBIN_MAX_NDIM; i++) {
        t->valid_dims[i] = (int32_t)hbbin_rd32(p + 8 + 4 * i);
        t->aligned_dims[i] = (int32_t)hbbin_rd32(p + 44 + 4 * i);
        t->stride[i] = (int32_t)hbbin_rd32(p + 76 + 4 * i);
    }
    t->layout = hbbin_rd32(p + 108);
    t->data_type = hbbin_rd32(p + 112);
    t->quant_type = (hbbin_quant)hbbin_rd32(p + 116);
    t->quant_axis = (int32_t)hbbin_rd32(p + 120);
    t->aligned_byte_size = hbbin_rd32(p + 124);
    t->quant_count = hbbin_rd32(p + 128);
    off_scale = hbbin_rd32(p + 132);
    t->zero_point_count = hbbin_rd32(p + 136);
    off_zp = hbbin_rd32(p + 140);
    off_shift = hbbin_rd32(p + 144);
    t->input_source = hbbin_rd32(p + 148);
    t->scales = NULL;
    t->zero_points = NULL;
    t->shifts = NULL;

#define TFAIL(...)                                                                                 \
    do {                                                                                           \
        char what_[160];                                                                           \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                                \
        return hbbin_fail(c->r, HBBIN_E_CORRUPT, "model '%s' %s %u ('%s'): %s", c->name, role,     \
                          idx, t->name, what_);                                                    \
    } while (0)

    if (!dims_ok(t->valid_ndim, t->valid_dims))
        TFAIL("bad valid shape (rank %u)", t->valid_ndim);
    if (!dims_ok(t->aligned_ndim, t->aligned_dims))
        TFAIL("bad aligned shape (rank %u)", t->aligned_ndim);
    for (uint32_t i = 0; i < HBBIN_MAX_NDIM; i++)
        if (t->stride[i] < 0 || (i >= t->valid_ndim && t->stride[i] != 0))
            TFAIL("bad stride[%u] %d", i, t->stride[i]);
    if (t->layout != HBBIN_LAYOUT_NHWC && t->layout != HBBIN_LAYOUT_NCHW &&
        t->layout != HBBIN_LAYOUT_NONE)
        TFAIL("unknown layout %u", t->layout);
    if (t->data_type >= HBBIN_DATA_TYPE_COUNT)
        TFAIL("unknown data type %u", t->data_type);
    if (t->aligned_byte_size < 1 || t->aligned_byte_size > INT32_MAX)
        TFAIL("aligned_byte_size %u out of range", t->aligned_byte_size);
    if (is_input ? t->input_source >= HBBIN_INPUT_SOURCE_COUNT : t->input_source != 0)
        TFAIL("bad input_source %u", t->input_source);
    if (!hbbin_zero(p + 152, 8))
        TFAIL("reserved bytes are not zero");
    if ((uint32_t)t->quant_type >= HBBIN_QUANT_COUNT)
        TFAIL("unknown quant_type %u", (unsigned)t->quant_type);
    if (t->quant_type == HBBIN_QUANT_NONE) {
        if (t->quant_axis != 0 || t->quant_count || off_scale || t->zero_point_count || off_zp ||
            off_shift)
            TFAIL("quantisation fields set without a quant_type");
        return HBBIN_OK;
    }
    if (t->quant_axis < 0 || (uint32_t)t->quant_axis >= t->valid_ndim)
        TFAIL("quant_axis %d out of range for %u dimensions", t->quant_axis, t->valid_ndim);
    if (t->quant_count != 1 && t->quant_count != (uint32_t)t->valid_dims[t->quant_axis])
        TFAIL("quant_count %u is neither 1 nor the extent %d of axis %d", t->quant_count,
              t->valid_dims[t->quant_axis], t->quant_axis);
    if (t->quant_type == HBBIN_QUANT_SHIFT) {
        if (off_scale || t->zero_point_count || off_zp)
            TFAIL("scale fields set on a SHIFT tensor");
        if (!q_range_ok(c, off_shift, t->quant_count, 1))
            TFAIL("shift array at %u outside QPARAMS", off_shift);
        t->shifts = c->q + off_shift;
        for (uint32_t i = 0; i < t->quant_count; i++)
            if (t->shifts[i] > HBBIN_MAX_SHIFT)
                TFAIL("shift[%u] = %u exceeds %u", i, t->shifts[i], HBBIN_MAX_SHIFT);
        return HBBIN_OK;
    }
    if (off_shift)
        TFAIL("shift_offset set on a SCALE tensor");
    if (off_scale % 4 != 0 || !q_range_ok(c, off_scale, t->quant_count, 4))
        TFAIL("scale array at %u unaligned or outside QPARAMS", off_scale);
    for (uint32_t i = 0; i < t->quant_count; i++) {
        float v = hbbin_rdf32(c->q + off_scale + 4 * (uint64_t)i);
        if (!isfinite(v) || !(v > 0.0f))
            TFAIL("scale[%u] = %g is not finite and positive", i, (double)v);
    }
    t->scales = (const float *)(const void *)(c->q + off_scale);
    if (t->zero_point_count != 0 && t->zero_point_count != t->quant_count)
        TFAIL("zero_point_count %u is neither 0 nor quant_count %u", t->zero_point_count,
              t->quant_count);
    if (t->zero_point_count == 0 && off_zp)
        TFAIL("zero_point_offset set without zero points");
    if (t->zero_point_count) {
        if (!q_range_ok(c, off_zp, t->zero_point_count, 1))
            TFAIL("zero-point array at %u outside QPARAMS", off_zp);
        t->zero_points = (const int8_t *)(c->q + off_zp);
    }
    return HBBIN_OK;
#undef TFAIL
}

static hbbin_status decode_preprocess(model_ctx *c, const uint8_t *p, uint32_t n,
                                      uint32_t input_count, hbbin_preprocess *out)
{
    for (uint32_t k = 0; k < n; k++, p += HBBIN_PREPROC_SIZE) {
        hbbin_preprocess *pp = &out[k];
        pp->input = hbbin_rd32(p);
        pp->type_rt = (hbbin_input_type)hbbin_rd32(p + 4);
        pp->type_train = (hbbin_input_type)hbbin_rd32(p + 8);
        pp->layout_train = hbbin_rd32(p + 12);
        pp->yuv_range = hbbin_rd32(p + 16);
        pp->channels = hbbin_rd32(p + 20);
        for (int i = 0; i < 4; i++) {
            pp->mean[i] = hbbin_rdf32(p + 24 + 4 * i);
            pp->scale[i] = hbbin_rdf32(p + 40 + 4 * i);
        }
        const char *bad = NULL;
        if (pp->input >= input_count || (k > 0 && pp->input <= out[k - 1].input))
            bad = "input index out of range or not increasing";
        else if ((uint32_t)pp->type_rt >= HBBIN_IT_COUNT ||
                 (uint32_t)pp->type_train >= HBBIN_IT_COUNT)
            bad = "unknown input type";
        else if (pp->layout_train != HBBIN_LAYOUT_NHWC && pp->layout_train != HBBIN_LAYOUT_NCHW &&
                 pp->layout_train != HBBIN_LAYOUT_NONE)
            bad = "unknown layout";
        else if (pp->yuv_range > 1 || (pp->yuv_range == 1 && pp->type_rt != HBBIN_IT_NV12))
            bad = "bad yuv_range";
        else if (pp->channels < 1 || pp->channels > 4)
            bad = "channels out of range 1..4";
        else if (!hbbin_zero(p + 56, 8))
            bad = "reserved bytes are not zero";
        for (uint32_t i = 0; !bad && i < 4; i++) {
            if (!isfinite(pp->mean[i]) || !isfinite(pp->scale[i]))
                bad = "mean or scale not finite";
            else if (i < pp->channels && pp->scale[i] == 0.0f)
                bad = "zero scale";
            else if (i >= pp->channels && (pp->mean[i] != 0.0f || pp->scale[i] != 0.0f))
                bad = "unused mean/scale entries not zero";
        }
        if (bad)
            return hbbin_fail(c->r, HBBIN_E_CORRUPT, "model '%s' preprocess record %u: %s", c->name,
                              k, bad);
    }
    return HBBIN_OK;
}

static hbbin_status decode_params(model_ctx *c, const uint8_t *p, uint32_t n, hbbin_param *out)
{
    const char **keys = NULL, *which = NULL;
    hbbin_status st = HBBIN_OK;
    int dup;
    for (uint32_t k = 0; k < n; k++) {
        out[k].key = str_at(c, hbbin_rd32(p + (uint64_t)HBBIN_PARAM_SIZE * k));
        out[k].value = str_at(c, hbbin_rd32(p + (uint64_t)HBBIN_PARAM_SIZE * k + 4));
        if (!out[k].key || !out[k].key[0] || !out[k].value)
            return hbbin_fail(c->r, HBBIN_E_CORRUPT, "model '%s' parameter %u: bad string", c->name,
                              k);
    }
    keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return hbbin_fail(c->r, HBBIN_E_NOMEM, "out of memory");
    for (uint32_t k = 0; k < n; k++)
        keys[k] = out[k].key;
    dup = hbbin_has_duplicate(keys, n, &which);
    if (dup < 0)
        st = hbbin_fail(c->r, HBBIN_E_NOMEM, "out of memory");
    else if (dup)
        st = hbbin_fail(c->r, HBBIN_E_CORRUPT, "model '%s': parameter key '%s' appears twice",
                        c->name, which);
    free(keys);
    return st;
}

hbbin_status hbbin_decode_model(hbbin_rd *r, hbbin_file *f, const hbbin_sec *secs,
                                const hbbin_model_secs *ms, uint32_t mi)
{
    hbbin_model *m = &f->models[mi];
    hbbin_model_store *s = &f->stores[mi];
    const hbbin_sec *sm = &secs[ms->model], *ss = &secs[ms->strings], *st_ = &secs[ms->tensors];
    const uint8_t *p = f->data + sm->off;
    model_ctx c = {r, "?", f->data + ss->off, ss->size, NULL, 0};
    const char **names = NULL, *which = NULL;
    hbbin_status st = HBBIN_OK;
    uint32_t nt;
    int dup;

    if (c.strings[c.strings_size - 1] != '\0')
        return hbbin_fail(r, HBBIN_E_CORRUPT, "model %u: STRINGS does not end with NUL", mi);
    if (sm->size != HBBIN_MODEL_SIZE || !hbbin_zero(p + 12, 20))
        return hbbin_fail(r, HBBIN_E_CORRUPT, "model %u: bad MODEL record", mi);
    m->name = str_at(&c, hbbin_rd32(p));
    if (!m->name || !m->name[0])
        return hbbin_fail(r, HBBIN_E_CORRUPT, "model %u: bad name reference", mi);
    c.name = m->name;
    m->input_count = hbbin_rd32(p + 4);
    m->output_count = hbbin_rd32(p + 8);
    if (m->input_count < 1 || m->input_count > HBBIN_MAX_TENSORS || m->output_count < 1 ||
        m->output_count > HBBIN_MAX_TENSORS)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "model '%s': %u inputs, %u outputs (1..%u each)",
                          m->name, m->input_count, m->output_count, HBBIN_MAX_TENSORS);
    nt = m->input_count + m->output_count;
    if (st_->size != (uint64_t)nt * HBBIN_TENSOR_SIZE)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "model '%s': TENSORS holds %llu bytes, expected %u",
                          m->name, (unsigned long long)st_->size, nt * HBBIN_TENSOR_SIZE);
    if (ms->qparams >= 0) {
        c.q = f->data + secs[ms->qparams].off;
        c.q_size = secs[ms->qparams].size;
    }
    s->tensors = calloc(nt, sizeof *s->tensors);
    names = calloc(nt, sizeof *names);
    /* QPARAMS is copied once into malloc'd (hence aligned) memory so scales can be handed out as
     * float arrays whatever the alignment of the caller's image. */
    s->qcopy = malloc(c.q_size ? (size_t)c.q_size : 1);
    if (!s->tensors || !names || !s->qcopy) {
        st = hbbin_fail(r, HBBIN_E_NOMEM, "out of memory");
        goto out;
    }
    if (c.q) {
        memcpy(s->qcopy, c.q, (size_t)c.q_size);
        c.q = s->qcopy;
    }
    for (uint32_t i = 0; st == HBBIN_OK && i < nt; i++) {
        int in = i < m->input_count;
        st = decode_tensor(&c, f->data + st_->off + (uint64_t)HBBIN_TENSOR_SIZE * i, in,
                           in ? i : i - m->input_count, &s->tensors[i]);
        names[i] = s->tensors[i].name;
    }
    if (st != HBBIN_OK)
        goto out;
    dup = hbbin_has_duplicate(names, nt, &which);
    if (dup) {
        st = dup < 0 ? hbbin_fail(r, HBBIN_E_NOMEM, "out of memory")
                     : hbbin_fail(r, HBBIN_E_CORRUPT, "model '%s': two tensors are named '%s'",
                                  m->name, which);
        goto out;
    }
    m->inputs = s->tensors;
    m->outputs = s->tensors + m->input_count;

    if (ms->preprocess >= 0) {
        const hbbin_sec *sp = &secs[ms->preprocess];
        if (sp->size % HBBIN_PREPROC_SIZE || sp->size / HBBIN_PREPROC_SIZE > m->input_count) {
            st = hbbin_fail(r, HBBIN_E_CORRUPT, "model '%s': PREPROCESS size %llu", m->name,
                            (unsigned long long)sp->size);
            goto out;
        }
        m->preprocess_count = (uint32_t)(sp->size / HBBIN_PREPROC_SIZE);
        s->preprocess = calloc(m->preprocess_count, sizeof *s->preprocess);
        if (!s->preprocess) {
            st = hbbin_fail(r, HBBIN_E_NOMEM, "out of memory");
            goto out;
        }
        st = decode_preprocess(&c, f->data + sp->off, m->preprocess_count, m->input_count,
                               s->preprocess);
        if (st != HBBIN_OK)
            goto out;
        m->preprocess = s->preprocess;
    }
    if (ms->params >= 0) {
        const hbbin_sec *sp = &secs[ms->params];
        if (sp->size % HBBIN_PARAM_SIZE) {
            st = hbbin_fail(r, HBBIN_E_CORRUPT, "model '%s': PARAMS size %llu", m->name,
                            (unsigned long long)sp->size);
            goto out;
        }
        m->param_count = (uint32_t)(sp->size / HBBIN_PARAM_SIZE);
        s->params = calloc(m->param_count, sizeof *s->params);
        if (!s->params) {
            st = hbbin_fail(r, HBBIN_E_NOMEM, "out of memory");
            goto out;
        }
        st = decode_params(&c, f->data + sp->off, m->param_count, s->params);
        if (st != HBBIN_OK)
            goto out;
        m->params = s->params;
    }
    if (ms->blob_count) {
        s->blobs = calloc(ms->blob_count, sizeof *s->blobs);
        if (!s->blobs) {
            st = hbbin_fail(r, HBBIN_E_NOMEM, "out of memory");
            goto out;
        }
        for (uint32_t i = 0; i < ms->blob_count; i++) {
            const hbbin_sec *b = &secs[ms->blobs[i]];
            s->blobs[i].kind = (hbbin_kind)b->kind;
            s->blobs[i].id = b->id;
            s->blobs[i].data = f->data + b->off;
            s->blobs[i].size = b->size;
        }
        m->blob_count = ms->blob_count;
        m->blobs = s->blobs;
        st = hbbin_check_layer_maps(r, m);
    }
out:
    free(names);
    return st;
}
