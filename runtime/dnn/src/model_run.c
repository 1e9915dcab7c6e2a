/* Running one inference of a model: per-worker execution contexts (buffers of internal tensors,
 * the backend's segments and executor, a deserialised graph and float executor per CPU step) and
 * the steps of the schedule. Everything a run needs is allocated when the context is created, so
 * a run allocates nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn_internal.h"
#include "hbg/exec.h"
#include "hbg/serialize.h"
#include "mem_registry.h"
#include "roi_input.h"

typedef struct hb_cpu_step {
    hbg_graph *g;
    hbg_exec *e;
} hb_cpu_step;

typedef struct hb_ctx {
    void *bctx;         /* backend context */
    uint8_t **buf;      /* per schedule tensor: buffer of BUFFER tensors, else NULL */
    hb_cpu_step *cpu;   /* per step */
    uint8_t **user;     /* per model input, then output: device view of the user's buffer */
    int32_t (*ustr)[8]; /* per model input, then output: byte strides of its valid dims */
    uint64_t *need;     /* per model input, then output: bytes of the user's tensor */
    float **imgf;       /* per model input: the converted image (image inputs), else NULL */
    uint8_t **rsz;      /* per model input: the resized roi (resizer inputs), else NULL */
} hb_ctx;

static void ctx_free(const hb_model *m, hb_ctx *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; c->buf && i < m->sched.n_tensors; i++)
        free(c->buf[i]);
    for (uint32_t k = 0; c->cpu && k < m->sched.n_steps; k++) {
        hbg_exec_free(c->cpu[k].e);
        hbg_graph_free(c->cpu[k].g);
    }
    if (c->bctx)
        m->backend->ctx_free(c->bctx);
    free(c->buf);
    free(c->cpu);
    free(c->user);
    free(c->ustr);
    free(c->need);
    for (uint32_t i = 0; c->imgf && i < m->bin->input_count; i++)
        free(c->imgf[i]);
    free(c->imgf);
    for (uint32_t i = 0; c->rsz && i < m->bin->input_count; i++)
        free(c->rsz[i]);
    free(c->rsz);
    free(c);
}

void hb_model_free_contexts(hb_model *m)
{
    for (int w = 0; w < HB_DNN_MAX_WORKERS; w++) {
        ctx_free(m, m->ctx[w]);
        m->ctx[w] = NULL;
    }
}

static hbg_dtype graph_dtype(uint32_t dt)
{
    switch (dt) {
    case HB_DNN_TENSOR_TYPE_S8:
        return HBG_DT_I8;
    case HB_DNN_TENSOR_TYPE_U8:
        return HBG_DT_U8;
    case HB_DNN_TENSOR_TYPE_S32:
        return HBG_DT_I32;
    default:
        return HBG_DT_F32;
    }
}

/* Check that graph tensor gt matches schedule tensor t (type and shape). */
static int same_shape(const hbg_tensor *gt, const hb_sched_tensor *t)
{
    if (gt->dtype != graph_dtype(t->dtype) || gt->rank != (int)t->ndim)
        return 0;
    for (uint32_t d = 0; d < t->ndim; d++)
        if (gt->dims[d] != t->dims[d])
            return 0;
    return 1;
}

static int32_t cpu_step_prepare(const hb_model *m, uint32_t k, hb_cpu_step *cs)
{
    const hb_sched_step *st = &m->sched.steps[k];
    const hbbin_blob *b = hb_find_blob(m->bin, HBBIN_SEC_CPU_SUBGRAPH, st->blob);
    char err[384];
    if (hbg_deserialize(b->data, (size_t)b->size, &cs->g, err, sizeof err) != HBG_OK)
        return hb_dnn_fail(HB_DNN_INVALID_MODEL, "model '%s': CPU subgraph %u: %s", m->bin->name,
                           st->blob, err);
    hbg_graph *g = cs->g;
    if ((uint32_t)g->n_inputs != st->n_in || (uint32_t)g->n_outputs != st->n_out)
        return hb_dnn_fail(HB_DNN_INVALID_MODEL,
                           "model '%s': CPU subgraph %u has %d inputs / %d outputs, the schedule "
                           "step %u lists %u / %u",
                           m->bin->name, st->blob, g->n_inputs, g->n_outputs, k, st->n_in,
                           st->n_out);
    for (uint32_t j = 0; j < st->n_in; j++)
        if (!same_shape(g->tensors[g->inputs[j]], &m->sched.tensors[st->in[j]]))
            return hb_dnn_fail(HB_DNN_INVALID_MODEL,
                               "model '%s': CPU subgraph %u input '%s': type or shape differs "
                               "from schedule tensor %u",
                               m->bin->name, st->blob, g->tensors[g->inputs[j]]->name, st->in[j]);
    if (hbg_exec_create(g, &cs->e) != HBG_OK)
        return hb_dnn_fail(HB_DNN_INVALID_MODEL, "model '%s': CPU subgraph %u: %s", m->bin->name,
                           st->blob, g->err);
    for (uint32_t j = 0; j < st->n_out; j++)
        if (!same_shape(g->tensors[g->outputs[j]], &m->sched.tensors[st->out[j]]))
            return hb_dnn_fail(HB_DNN_INVALID_MODEL,
                               "model '%s': CPU subgraph %u output '%s': type or shape differs "
                               "from schedule tensor %u",
                               m->bin->name, st->blob, g->tensors[g->outputs[j]]->name, st->out[j]);
    return 0;
}

static int32_t ctx_create(const hb_model *m, hb_ctx **out)
{
    const hb_schedule *s = &m->sched;
    uint32_t nio = m->bin->input_count + m->bin->output_count;
    hb_ctx *c = calloc(1, sizeof *c);
    int32_t rc = HB_DNN_OUT_OF_MEMORY;
    char err[384];
    if (!c || !(c->buf = calloc(s->n_tensors, sizeof *c->buf)) ||
        !(c->cpu = calloc(s->n_steps, sizeof *c->cpu)) ||
        !(c->user = calloc(nio, sizeof *c->user)) || !(c->ustr = calloc(nio, sizeof *c->ustr)) ||
        !(c->need = calloc(nio, sizeof *c->need)) ||
        !(c->imgf = calloc(m->bin->input_count, sizeof *c->imgf)) ||
        !(c->rsz = calloc(m->bin->input_count, sizeof *c->rsz))) {
        rc = hb_dnn_fail(rc, "model '%s': out of memory creating a context", m->bin->name);
        goto fail;
    }
    if ((rc = m->backend->ctx_create(m->backend_model, &c->bctx, err, sizeof err)) != 0) {
        hb_dnn_fail(rc, "model '%s': %s", m->bin->name, err);
        goto fail;
    }
    for (uint32_t i = 0; i < s->n_tensors; i++)
        if (s->tensors[i].loc == HB_LOC_BUFFER &&
            !(c->buf[i] = calloc(1, (size_t)s->tensors[i].extent))) {
            rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "model '%s': out of memory", m->bin->name);
            goto fail;
        }
    for (uint32_t i = 0; i < m->bin->input_count; i++) {
        const hb_img *im = &m->img[i];
        if (im->type >= 0 &&
            !(c->imgf[i] = malloc((size_t)im->n * im->c * im->h * im->w * sizeof(float)))) {
            rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "model '%s': out of memory", m->bin->name);
            goto fail;
        }
        /* hbDNNRoiInfer's resized roi: one model-size image per context, so runs allocate
         * nothing */
        if (im->type >= 0 && hb_roi_is_resizer(m->bin, i) && !(c->rsz[i] = malloc(im->bytes))) {
            rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "model '%s': out of memory", m->bin->name);
            goto fail;
        }
    }
    for (uint32_t k = 0; k < s->n_steps; k++)
        if (s->steps[k].kind == HB_STEP_CPU && (rc = cpu_step_prepare(m, k, &c->cpu[k])) != 0)
            goto fail;
    *out = c;
    return 0;
fail:
    ctx_free(m, c);
    return rc;
}

int32_t hb_model_ensure_context(hb_model *m, int worker)
{
    int32_t rc = 0;
    pthread_mutex_lock(&m->ctx_lock);
    if (!m->ctx[worker]) {
        hb_ctx *c = NULL;
        if ((rc = ctx_create(m, &c)) == 0)
            m->ctx[worker] = c;
    }
    pthread_mutex_unlock(&m->ctx_lock);
    return rc;
}

/* ---- user tensors ------------------------------------------------------------------------- */

static int same_dims(const hbDNNTensorShape *a, const int32_t *dims, uint32_t ndim)
{
    if (a->numDimensions != (int32_t)ndim)
        return 0;
    for (uint32_t d = 0; d < ndim; d++)
        if (a->dimensionSize[d] != dims[d])
            return 0;
    return 1;
}

/* Byte strides of the valid dims of user tensor `u` for record r and the bytes it needs. */
static int32_t user_layout(const hbbin_tensor *r, const hbDNNTensor *u, const char *what,
                           uint32_t idx, int32_t strides[8], uint64_t *need)
{
    const hbDNNTensorProperties *p = &u->properties;
    uint32_t elem = hb_sched_dtype_size(r->data_type);
    if (p->tensorType != (int32_t)r->data_type)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s %u '%s': tensorType %d, the model has %u",
                           what, idx, r->name, p->tensorType, r->data_type);
    if (same_dims(&p->alignedShape, r->aligned_dims, r->aligned_ndim)) {
        memcpy(strides, r->stride, 8 * sizeof(int32_t));
        *need = r->aligned_byte_size;
    } else if (same_dims(&p->alignedShape, r->valid_dims, r->valid_ndim)) {
        /* dense data in validShape order; the library pads */
        uint64_t st = elem;
        for (int d = (int)r->valid_ndim - 1; d >= 0; d--) {
            strides[d] = (int32_t)st;
            st *= (uint64_t)r->valid_dims[d];
        }
        for (uint32_t d = r->valid_ndim; d < 8; d++)
            strides[d] = 0;
        *need = st;
    } else {
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s %u '%s': alignedShape is neither the model's aligned shape nor "
                           "its valid shape",
                           what, idx, r->name);
    }
    if (u->sysMem[0].memSize < *need)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s %u '%s': memSize %u of sysMem[0] is smaller than the tensor's "
                           "byte size %llu (alignedByteSize %u)",
                           what, idx, r->name, u->sysMem[0].memSize, (unsigned long long)*need,
                           r->aligned_byte_size);
    hb_mem_range mr;
    if (hb_mem_resolve(u->sysMem[0].phyAddr, *need, &mr) != 0 ||
        mr.cpu != (uint8_t *)u->sysMem[0].virAddr)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s %u '%s': sysMem[0] (phyAddr 0x%llx, %llu bytes) is not a buffer "
                           "from hbSysAllocMem/hbSysAllocCachedMem/hbSysRegisterMem",
                           what, idx, r->name, (unsigned long long)u->sysMem[0].phyAddr,
                           (unsigned long long)*need);
    return 0;
}

uint64_t hb_model_output_need(const hb_model *m, const hbDNNTensor *u, uint32_t k)
{
    const hbbin_tensor *r = &m->bin->outputs[k];
    if (same_dims(&u->properties.alignedShape, r->aligned_dims, r->aligned_ndim))
        return r->aligned_byte_size;
    uint64_t n = hb_sched_dtype_size(r->data_type);
    for (uint32_t d = 0; d < r->valid_ndim; d++)
        n *= (uint64_t)r->valid_dims[d];
    return n;
}

int32_t hb_model_check_inputs(const hb_model *m, const hbDNNTensor *inputs, const hbDNNRoi *rois)
{
    int32_t st[8];
    uint64_t need;
    int32_t rc = 0;
    hb_img_src src;
    hb_resize_img fr;
    uint32_t nres = 0;
    for (uint32_t i = 0; i < m->bin->input_count && !rc; i++) {
        const char *name = m->bin->inputs[i].name;
        if (rois && hb_roi_is_resizer(m->bin, i))
            rc = hb_roi_bind(&m->img[i], &inputs[i], &rois[nres++], i, name, &fr);
        else if (m->img[i].type >= 0)
            rc = hb_img_bind(&m->img[i], &inputs[i], i, name, &src);
        else
            rc = user_layout(&m->bin->inputs[i], &inputs[i], "input", i, st, &need);
    }
    return rc;
}

int32_t hb_model_check_outputs(const hb_model *m, const hbDNNTensor *outputs, uint32_t batch)
{
    int32_t st[8];
    uint64_t need;
    int32_t rc = 0;
    for (uint32_t i = 0; i < m->bin->output_count && !rc; i++) {
        const hbDNNTensor *u = &outputs[i];
        if ((rc = user_layout(&m->bin->outputs[i], u, "output", i, st, &need)) != 0 || batch < 2)
            continue;
        hb_mem_range mr;
        uint64_t all = need * batch;
        if (u->sysMem[0].memSize < all || hb_mem_resolve(u->sysMem[0].phyAddr, all, &mr) != 0)
            rc = hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                             "output %u '%s': batch %u needs %llu bytes (%u x %llu) in sysMem[0], "
                             "which holds %u",
                             i, m->bin->outputs[i].name, batch, (unsigned long long)all, batch,
                             (unsigned long long)need, u->sysMem[0].memSize);
    }
    return rc;
}

int32_t hb_model_check_tensors(const hb_model *m, const hbDNNTensor *inputs,
                               const hbDNNTensor *outputs)
{
    int32_t rc = hb_model_check_inputs(m, inputs, NULL);
    return rc ? rc : hb_model_check_outputs(m, outputs, 1);
}

/* ---- data steps --------------------------------------------------------------------------- */

typedef struct view {
    uint8_t *base;
    int32_t str[8];
} view;

static void tensor_view(const hb_model *m, hb_ctx *c, uint32_t id, view *v)
{
    const hb_sched_tensor *t = &m->sched.tensors[id];
    uint32_t nin = m->bin->input_count;
    switch (t->loc) {
    case HB_LOC_BUFFER:
        v->base = c->buf[id];
        memcpy(v->str, t->strides, sizeof v->str);
        return;
    case HB_LOC_SEGMENT:
        v->base = m->backend->segment(c->bctx, t->index, t->seg) + t->offset;
        memcpy(v->str, t->strides, sizeof v->str);
        return;
    default: {
        uint32_t u = t->loc == HB_LOC_INPUT ? t->index : nin + t->index;
        v->base = c->user[u];
        for (uint32_t d = 0; d < 8; d++)
            v->str[d] = d < t->ndim ? c->ustr[u][t->strides[d]] : 0; /* strides[] = perm here */
        return;
    }
    }
}

/* Quantize (docs/quantized-ops.md): sat(rha(double(x) / double(scale)), -128, 127), NaN -> 0. */
static int8_t quantize1(float x, float scale)
{
    double q = (double)x / (double)scale;
    if (isnan(q))
        return 0;
    q = round(q);
    return (int8_t)(q < -128.0 ? -128 : q > 127.0 ? 127 : q);
}

/* Step to the next element of a row-major walk over dims, keeping the byte offset. */
static void next_index(uint32_t nd, const int32_t *dims, const int32_t *str, int32_t *idx,
                       int64_t *off)
{
    for (int d = (int)nd - 1; d >= 0; d--) {
        *off += str[d];
        if (++idx[d] < dims[d])
            return;
        *off -= (int64_t)str[d] * dims[d];
        idx[d] = 0;
    }
}

/* Apply a data step elementwise (a -> b). Both tensors hold the same number of elements; element
 * k of a (row-major over a's logical shape) goes to element k of b, so a step may also reshape. */
static void data_step(hb_step_kind kind, const hb_sched_tensor *ta, const view *a,
                      const hb_sched_tensor *tb, const view *b)
{
    int32_t ia[8] = {0}, ib[8] = {0};
    int64_t oa = 0, ob = 0, n = 1;
    const hb_sched_tensor *qt = kind == HB_STEP_QUANTIZE ? tb : ta;
    const int32_t *qi = kind == HB_STEP_QUANTIZE ? ib : ia;
    for (uint32_t d = 0; d < ta->ndim; d++)
        n *= ta->dims[d];
    for (int64_t e = 0; e < n; e++) {
        const uint8_t *pa = a->base + oa;
        uint8_t *pb = b->base + ob;
        if (kind == HB_STEP_CONVERT) {
            memcpy(pb, pa, ta->elem);
        } else {
            float sc = qt->scales[qt->scale_n > 1 ? qi[qt->scale_axis] : 0];
            if (kind == HB_STEP_QUANTIZE) {
                float f;
                memcpy(&f, pa, 4);
                *(int8_t *)pb = quantize1(f, sc);
            } else {
                double q;
                if (ta->dtype == HB_DNN_TENSOR_TYPE_S8) {
                    q = (double)*(const int8_t *)pa;
                } else {
                    int32_t i32;
                    memcpy(&i32, pa, 4);
                    q = (double)i32;
                }
                float f = (float)(q * (double)sc);
                memcpy(pb, &f, 4);
            }
        }
        next_index(ta->ndim, ta->dims, a->str, ia, &oa);
        next_index(tb->ndim, tb->dims, b->str, ib, &ob);
    }
}

/* Copy schedule tensor `id` into / out of the dense buffer of graph tensor gt. */
static void cpu_exchange(const hb_model *m, hb_ctx *c, uint32_t id, hbg_tensor *gt, int into_graph)
{
    const hb_sched_tensor *t = &m->sched.tensors[id];
    view v, dense = {.base = gt->data};
    tensor_view(m, c, id, &v);
    int64_t st = t->elem;
    for (int d = (int)t->ndim - 1; d >= 0; d--) {
        dense.str[d] = (int32_t)st;
        st *= t->dims[d];
    }
    if (into_graph)
        data_step(HB_STEP_CONVERT, t, &v, t, &dense);
    else
        data_step(HB_STEP_CONVERT, t, &dense, t, &v);
}

/* Image input i: check and convert the user's planes into c->imgf[i], which then stands for the
 * user's buffer as a dense F32 tensor in the record's valid shape. roi != NULL: u is the whole
 * frame of a resizer input; its roi is first resized to the model's size into c->rsz[i]. */
static int32_t bind_image(const hb_model *m, hb_ctx *c, uint32_t i, const hbDNNTensor *u,
                          const hbDNNRoi *roi)
{
    const hbbin_tensor *r = &m->bin->inputs[i];
    hb_img_src src;
    hb_resize_img fr;
    int32_t rc = roi ? hb_roi_bind(&m->img[i], u, roi, i, r->name, &fr)
                     : hb_img_bind(&m->img[i], u, i, r->name, &src);
    if (rc)
        return rc;
    if (roi) /* the flush check looks at the whole frame */
        src = (hb_img_src){.phy = {fr.phy, 0}, .len = {fr.bytes, 0}};
    for (int k = 0; k < 2; k++)
        if (src.len[k] && hb_mem_written_without_clean(src.phy[k], src.len[k]) == 1)
            hb_dnn_log(HB_LOG_WARN,
                       "input %u '%s': the CPU wrote sysMem[%d] without "
                       "hbSysFlushMem(HB_SYS_MEM_CACHE_CLEAN); the BPU reads the old contents",
                       i, r->name, k);
    if (roi)
        hb_roi_resize(&m->img[i], &fr, roi, c->rsz[i], &src);
    hb_img_convert(&m->img[i], &src, c->imgf[i]);
    c->user[i] = (uint8_t *)c->imgf[i];
    int32_t st = (int32_t)sizeof(float);
    for (int d = (int)r->valid_ndim - 1; d >= 0; d--) {
        c->ustr[i][d] = st;
        st *= r->valid_dims[d];
    }
    return 0;
}

int32_t hb_model_run(hb_model *m, int worker, const hbDNNTensor *inputs, const hbDNNTensor *outputs,
                     const hbDNNRoi *rois, hb_bpu_stats *stats)
{
    int32_t rc = hb_model_ensure_context(m, worker);
    char err[384];
    if (rc)
        return rc;
    hb_ctx *c = m->ctx[worker];
    uint32_t nin = m->bin->input_count, nout = m->bin->output_count, nres = 0;
    for (uint32_t i = 0; i < nin + nout; i++) {
        const hbDNNTensor *u = i < nin ? &inputs[i] : &outputs[i - nin];
        const hbbin_tensor *r = i < nin ? &m->bin->inputs[i] : &m->bin->outputs[i - nin];
        hb_mem_range mr;
        uint64_t need;
        if (i < nin && m->img[i].type >= 0) {
            const hbDNNRoi *roi = rois && hb_roi_is_resizer(m->bin, i) ? &rois[nres++] : NULL;
            if ((rc = bind_image(m, c, i, u, roi)) != 0)
                return rc;
            continue;
        }
        if ((rc = user_layout(r, u, i < nin ? "input" : "output", i < nin ? i : i - nin, c->ustr[i],
                              &c->need[i])) != 0)
            return rc;
        need = c->need[i];
        hb_mem_resolve(u->sysMem[0].phyAddr, need, &mr); /* checked by user_layout */
        c->user[i] = mr.dev;
        if (i < nin && hb_mem_written_without_clean(u->sysMem[0].phyAddr, need) == 1)
            hb_dnn_log(HB_LOG_WARN,
                       "input %u '%s': the CPU wrote the buffer without "
                       "hbSysFlushMem(HB_SYS_MEM_CACHE_CLEAN); the BPU reads the old contents",
                       i, r->name);
    }
    for (uint32_t k = 0; k < m->sched.n_steps; k++) {
        const hb_sched_step *st = &m->sched.steps[k];
        if (st->kind == HB_STEP_BPU) {
            if ((rc = m->backend->run(c->bctx, k, stats, err, sizeof err)) != 0)
                return hb_dnn_fail(rc, "model '%s': %s", m->bin->name, err);
        } else if (st->kind == HB_STEP_CPU) {
            hbg_graph *g = c->cpu[k].g;
            for (uint32_t j = 0; j < st->n_in; j++)
                cpu_exchange(m, c, st->in[j], g->tensors[g->inputs[j]], 1);
            if (hbg_exec_run(c->cpu[k].e) != HBG_OK)
                return hb_dnn_fail(HB_DNN_RUN_TASK_FAILED, "model '%s': CPU subgraph %u: %s",
                                   m->bin->name, st->blob, g->err);
            for (uint32_t j = 0; j < st->n_out; j++)
                cpu_exchange(m, c, st->out[j], g->tensors[g->outputs[j]], 0);
        } else {
            view a, b;
            tensor_view(m, c, st->in[0], &a);
            tensor_view(m, c, st->out[0], &b);
            data_step(st->kind, &m->sched.tensors[st->in[0]], &a, &m->sched.tensors[st->out[0]],
                      &b);
        }
    }
    for (uint32_t i = 0; i < nout; i++)
        hb_mem_device_wrote(outputs[i].sysMem[0].phyAddr, c->need[nin + i]);
    return 0;
}
