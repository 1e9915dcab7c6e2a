/* Parser and validator of the SCHEDULE blob (schedule.h, docs/bin-model.md section 3). Every
 * field is checked before use; the parsed form never points outside the copies it owns. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "schedule.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

__attribute__((format(printf, 3, 4))) static int sfail(char *err, size_t errsz, const char *fmt,
                                                       ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -1;
}

uint32_t hb_sched_dtype_size(uint32_t dtype)
{
    switch (dtype) {
    case HB_DNN_TENSOR_TYPE_S8:
    case HB_DNN_TENSOR_TYPE_U8:
        return 1;
    case HB_DNN_TENSOR_TYPE_S32:
    case HB_DNN_TENSOR_TYPE_F32:
        return 4;
    default:
        return 0;
    }
}

const hbbin_blob *hb_find_blob(const hbbin_model *m, uint32_t kind, uint32_t id)
{
    for (uint32_t i = 0; i < m->blob_count; i++)
        if (m->blobs[i].kind == kind && m->blobs[i].id == id)
            return &m->blobs[i];
    return NULL;
}

void hb_schedule_free(hb_schedule *s)
{
    free(s->tensors);
    free(s->steps);
    free(s->lists);
    free(s->scales);
    free(s->input_tensor);
    free(s->output_tensor);
    memset(s, 0, sizeof *s);
}

/* Validate the storage of tensor t (i) against the model's tensor records. */
static int check_tensor(const hbbin_model *m, const hb_schedule *s, uint32_t i, char *err,
                        size_t errsz)
{
    const hb_sched_tensor *t = &s->tensors[i];
    if (t->loc == HB_LOC_INPUT || t->loc == HB_LOC_OUTPUT) {
        int in = t->loc == HB_LOC_INPUT;
        uint32_t cnt = in ? m->input_count : m->output_count;
        if (t->index >= cnt)
            return sfail(err, errsz, "schedule tensor %u: %s index %u out of range", i,
                         in ? "input" : "output", t->index);
        if (t->seg || t->offset)
            return sfail(err, errsz, "schedule tensor %u: seg and offset must be 0", i);
        const hbbin_tensor *r = in ? &m->inputs[t->index] : &m->outputs[t->index];
        if (r->data_type != t->dtype)
            return sfail(err, errsz, "schedule tensor %u: type %u differs from %s '%s' (%u)", i,
                         t->dtype, in ? "input" : "output", r->name, r->data_type);
        if (r->valid_ndim != t->ndim)
            return sfail(err, errsz, "schedule tensor %u: rank %u differs from '%s' (%u)", i,
                         t->ndim, r->name, r->valid_ndim);
        uint32_t seen = 0;
        for (uint32_t d = 0; d < t->ndim; d++) {
            uint32_t p = (uint32_t)t->strides[d];
            if (p >= t->ndim || (seen & (1u << p)))
                return sfail(err, errsz, "schedule tensor %u: dimension map is not a permutation",
                             i);
            seen |= 1u << p;
            if (r->valid_dims[p] != t->dims[d])
                return sfail(err, errsz, "schedule tensor %u: dim %u = %d but '%s' has %d", i, d,
                             t->dims[d], r->name, r->valid_dims[p]);
        }
        /* the record's strides must keep every element inside aligned_byte_size */
        uint64_t last = 0;
        for (uint32_t d = 0; d < r->valid_ndim; d++) {
            if (r->valid_dims[d] > 1 && (uint32_t)r->stride[d] < t->elem)
                return sfail(err, errsz,
                             "'%s': stride %d of dimension %u is below the element size", r->name,
                             r->stride[d], d);
            last += (uint64_t)(r->valid_dims[d] - 1) * (uint64_t)r->stride[d];
        }
        if (last + t->elem > r->aligned_byte_size)
            return sfail(err, errsz,
                         "'%s': strides reach byte %llu beyond aligned_byte_size %u (or "
                         "strides are missing)",
                         r->name, (unsigned long long)(last + t->elem), r->aligned_byte_size);
        return 0;
    }
    uint64_t last = 0;
    for (uint32_t d = 0; d < t->ndim; d++) {
        if (t->strides[d] < 0)
            return sfail(err, errsz, "schedule tensor %u: negative stride", i);
        last += (uint64_t)(t->dims[d] - 1) * (uint64_t)t->strides[d];
    }
    s->tensors[i].extent = last + t->elem;
    if (t->loc == HB_LOC_SEGMENT) {
        if (t->index >= s->n_steps || s->steps[t->index].kind != HB_STEP_BPU)
            return sfail(err, errsz, "schedule tensor %u: step %u is not a BPU step", i, t->index);
        if (t->seg < 1 || t->seg >= HB_SCHED_SEGMENTS)
            return sfail(err, errsz, "schedule tensor %u: segment %u not in 1..7", i, t->seg);
        uint64_t end = (uint64_t)t->offset + s->tensors[i].extent;
        if (end > s->steps[t->index].seg_bytes[t->seg])
            return sfail(
                err, errsz, "schedule tensor %u: bytes %u..%llu outside segment %u (%u bytes)", i,
                t->offset, (unsigned long long)end, t->seg, s->steps[t->index].seg_bytes[t->seg]);
    } else if (t->index || t->seg || t->offset) {
        return sfail(err, errsz, "schedule tensor %u: location fields must be 0", i);
    }
    return 0;
}

/* Validate one step's operands; marks its outputs as written. */
static int check_step(const hbbin_model *m, hb_schedule *s, uint32_t k, char *err, size_t errsz)
{
    hb_sched_step *st = &s->steps[k];
    for (uint32_t j = 0; j < st->n_in; j++) {
        const hb_sched_tensor *t = &s->tensors[st->in[j]];
        if (t->loc != HB_LOC_INPUT && t->written_by < 0)
            return sfail(err, errsz, "step %u: input tensor %u is read before it is written", k,
                         st->in[j]);
    }
    for (uint32_t j = 0; j < st->n_out; j++) {
        hb_sched_tensor *t = &s->tensors[st->out[j]];
        if (t->loc == HB_LOC_INPUT || t->written_by >= 0)
            return sfail(err, errsz, "step %u: output tensor %u is a model input or written twice",
                         k, st->out[j]);
        t->written_by = (int)k;
    }
    const hb_sched_tensor *a = st->n_in ? &s->tensors[st->in[0]] : NULL;
    const hb_sched_tensor *b = st->n_out ? &s->tensors[st->out[0]] : NULL;
    switch (st->kind) {
    case HB_STEP_BPU:
        if (!hb_find_blob(m, HBBIN_SEC_BPU_PROGRAM, st->blob))
            return sfail(err, errsz, "step %u: BPU program blob %u missing", k, st->blob);
        for (uint32_t j = 0; j < st->n_in + st->n_out; j++) {
            const hb_sched_tensor *t = &s->tensors[st->in[j]]; /* in and out are contiguous */
            if (t->loc != HB_LOC_SEGMENT || t->index != k)
                return sfail(err, errsz, "step %u: operand tensor %u is not in its segments", k,
                             st->in[j]);
        }
        return 0;
    case HB_STEP_CPU:
        if (!hb_find_blob(m, HBBIN_SEC_CPU_SUBGRAPH, st->blob))
            return sfail(err, errsz, "step %u: CPU subgraph blob %u missing", k, st->blob);
        return 0;
    default:
        break;
    }
    if (st->n_in != 1 || st->n_out != 1)
        return sfail(err, errsz, "step %u: needs exactly one input and one output", k);
    uint64_t na = 1, nb = 1;
    for (uint32_t d = 0; d < a->ndim; d++)
        na *= (uint64_t)a->dims[d];
    for (uint32_t d = 0; d < b->ndim; d++)
        nb *= (uint64_t)b->dims[d];
    if (na != nb)
        return sfail(err, errsz, "step %u: input and output element counts differ", k);
    if (st->kind == HB_STEP_CONVERT && a->dtype != b->dtype)
        return sfail(err, errsz, "step %u: convert between different element types", k);
    if (st->kind == HB_STEP_QUANTIZE &&
        (a->dtype != HB_DNN_TENSOR_TYPE_F32 || b->dtype != HB_DNN_TENSOR_TYPE_S8 || !b->scale_n))
        return sfail(err, errsz, "step %u: quantize needs F32 -> S8 with output scales", k);
    if (st->kind == HB_STEP_DEQUANTIZE &&
        (b->dtype != HB_DNN_TENSOR_TYPE_F32 ||
         (a->dtype != HB_DNN_TENSOR_TYPE_S8 && a->dtype != HB_DNN_TENSOR_TYPE_S32) || !a->scale_n))
        return sfail(err, errsz, "step %u: dequantize needs S8/S32 with scales -> F32", k);
    return 0;
}

int hb_schedule_parse(const hbbin_model *m, hb_schedule *s, char *err, size_t errsz)
{
    memset(s, 0, sizeof *s);
    const hbbin_blob *blob = hb_find_blob(m, HBBIN_SEC_SCHEDULE, 0);
    if (!blob)
        return sfail(err, errsz, "model '%s': no SCHEDULE blob 0", m->name);
    const uint8_t *p = blob->data;
    uint64_t size = blob->size;
    if (size < HB_SCHED_HEADER_SIZE || memcmp(p, HB_SCHED_MAGIC, 4) != 0)
        return sfail(err, errsz, "model '%s': schedule: bad magic or truncated header", m->name);
    if (rd32(p + 4) != HB_SCHED_VERSION)
        return sfail(err, errsz, "model '%s': schedule version %u (this runtime reads %u)", m->name,
                     rd32(p + 4), HB_SCHED_VERSION);
    uint32_t nt = rd32(p + 8), ns = rd32(p + 12), nl = rd32(p + 16), nsc = rd32(p + 20);
    if (rd32(p + 24) || rd32(p + 28))
        return sfail(err, errsz, "model '%s': schedule: reserved header fields not 0", m->name);
    if (nt < 1 || nt > HB_SCHED_MAX_ITEMS || ns < 1 || ns > HB_SCHED_MAX_ITEMS ||
        nl > 16 * HB_SCHED_MAX_ITEMS || nsc > (1u << 24))
        return sfail(err, errsz, "model '%s': schedule: counts out of range", m->name);
    uint64_t want = HB_SCHED_HEADER_SIZE + (uint64_t)nt * HB_SCHED_TENSOR_SIZE +
                    (uint64_t)ns * HB_SCHED_STEP_SIZE + 4ull * nl + 4ull * nsc;
    if (want != size)
        return sfail(err, errsz, "model '%s': schedule: %llu bytes, its counts need %llu", m->name,
                     (unsigned long long)size, (unsigned long long)want);
    s->n_tensors = nt;
    s->n_steps = ns;
    s->tensors = calloc(nt, sizeof *s->tensors);
    s->steps = calloc(ns, sizeof *s->steps);
    s->lists = calloc(nl + 1, sizeof *s->lists);
    s->scales = calloc(nsc + 1, sizeof *s->scales);
    s->input_tensor = malloc(m->input_count * sizeof(int32_t));
    s->output_tensor = malloc(m->output_count * sizeof(int32_t));
    if (!s->tensors || !s->steps || !s->lists || !s->scales || !s->input_tensor ||
        !s->output_tensor) {
        hb_schedule_free(s);
        return sfail(err, errsz, "out of memory");
    }
    const uint8_t *pt = p + HB_SCHED_HEADER_SIZE;
    const uint8_t *ps = pt + (size_t)nt * HB_SCHED_TENSOR_SIZE;
    const uint8_t *pl = ps + (size_t)ns * HB_SCHED_STEP_SIZE;
    const uint8_t *pc = pl + 4 * (size_t)nl;
    for (uint32_t i = 0; i < nl; i++)
        s->lists[i] = rd32(pl + 4 * i);
    for (uint32_t i = 0; i < nsc; i++) {
        uint32_t u = rd32(pc + 4 * i);
        memcpy(&s->scales[i], &u, 4);
        if (!isfinite(s->scales[i]) || s->scales[i] <= 0.0f)
            goto bad_scale;
    }
    /* steps first: tensors located in segments refer to them */
    for (uint32_t k = 0; k < ns; k++) {
        const uint8_t *r = ps + (size_t)k * HB_SCHED_STEP_SIZE;
        hb_sched_step *st = &s->steps[k];
        uint32_t kind = rd32(r), first = rd32(r + 16);
        st->blob = rd32(r + 4);
        st->n_in = rd32(r + 8);
        st->n_out = rd32(r + 12);
        if (kind < HB_STEP_BPU || kind >= HB_STEP_KIND_END) {
            sfail(err, errsz, "schedule step %u: unknown kind %u", k, kind);
            goto fail;
        }
        st->kind = (hb_step_kind)kind;
        if ((uint64_t)first + st->n_in + st->n_out > nl) {
            sfail(err, errsz, "schedule step %u: operand list outside the list pool", k);
            goto fail;
        }
        st->in = s->lists + first;
        st->out = st->in + st->n_in;
        for (uint32_t j = 0; j < st->n_in + st->n_out; j++)
            if (st->in[j] >= nt) {
                sfail(err, errsz, "schedule step %u: tensor id %u out of range", k, st->in[j]);
                goto fail;
            }
        for (uint32_t g = 1; g < HB_SCHED_SEGMENTS; g++)
            st->seg_bytes[g] = rd32(r + 16 + 4 * g);
        if (st->kind != HB_STEP_BPU) {
            for (uint32_t g = 1; g < HB_SCHED_SEGMENTS; g++)
                if (st->seg_bytes[g]) {
                    sfail(err, errsz, "schedule step %u: segment sizes on a non-BPU step", k);
                    goto fail;
                }
            if (st->kind != HB_STEP_CPU && st->blob) {
                sfail(err, errsz, "schedule step %u: blob id on a data step must be 0", k);
                goto fail;
            }
        }
    }
    for (uint32_t i = 0; i < m->input_count; i++)
        s->input_tensor[i] = -1;
    for (uint32_t i = 0; i < m->output_count; i++)
        s->output_tensor[i] = -1;
    for (uint32_t i = 0; i < nt; i++) {
        const uint8_t *r = pt + (size_t)i * HB_SCHED_TENSOR_SIZE;
        hb_sched_tensor *t = &s->tensors[i];
        t->dtype = rd32(r);
        t->elem = hb_sched_dtype_size(t->dtype);
        t->ndim = rd32(r + 4);
        t->written_by = -1;
        if (!t->elem || t->ndim < 1 || t->ndim > 8) {
            sfail(err, errsz, "schedule tensor %u: type %u or rank %u not supported", i, t->dtype,
                  t->ndim);
            goto fail;
        }
        for (uint32_t d = 0; d < 8; d++) {
            t->dims[d] = (int32_t)rd32(r + 8 + 4 * d);
            t->strides[d] = (int32_t)rd32(r + 56 + 4 * d);
            int ok = d < t->ndim ? t->dims[d] >= 1 && t->dims[d] <= (1 << 24)
                                 : t->dims[d] == 0 && t->strides[d] == 0;
            if (!ok) {
                sfail(err, errsz, "schedule tensor %u: dim %u = %d invalid", i, d, t->dims[d]);
                goto fail;
            }
        }
        uint32_t loc = rd32(r + 40);
        if (loc >= HB_LOC_COUNT) {
            sfail(err, errsz, "schedule tensor %u: unknown location %u", i, loc);
            goto fail;
        }
        t->loc = (hb_loc)loc;
        t->index = rd32(r + 44);
        t->seg = rd32(r + 48);
        t->offset = rd32(r + 52);
        t->scale_n = rd32(r + 88);
        t->scale_axis = rd32(r + 92);
        uint32_t sfirst = rd32(r + 96);
        if (rd32(r + 100)) {
            sfail(err, errsz, "schedule tensor %u: reserved field not 0", i);
            goto fail;
        }
        if (t->scale_n) {
            if (t->scale_axis >= t->ndim ||
                (t->scale_n != 1 && t->scale_n != (uint32_t)t->dims[t->scale_axis]) ||
                (uint64_t)sfirst + t->scale_n > nsc) {
                sfail(err, errsz, "schedule tensor %u: scales (axis %u, %u entries) invalid", i,
                      t->scale_axis, t->scale_n);
                goto fail;
            }
            t->scales = s->scales + sfirst;
        } else if (t->scale_axis || sfirst) {
            sfail(err, errsz, "schedule tensor %u: scale fields must be 0 without scales", i);
            goto fail;
        }
        if (check_tensor(m, s, i, err, errsz))
            goto fail;
        if (t->loc == HB_LOC_INPUT || t->loc == HB_LOC_OUTPUT) {
            int32_t *slot =
                t->loc == HB_LOC_INPUT ? &s->input_tensor[t->index] : &s->output_tensor[t->index];
            if (*slot >= 0) {
                sfail(err, errsz, "schedule tensor %u: model %s %u bound twice", i,
                      t->loc == HB_LOC_INPUT ? "input" : "output", t->index);
                goto fail;
            }
            *slot = (int32_t)i;
        }
    }
    for (uint32_t i = 0; i < m->input_count; i++)
        if (s->input_tensor[i] < 0) {
            sfail(err, errsz, "schedule: model input %u has no tensor", i);
            goto fail;
        }
    for (uint32_t i = 0; i < m->output_count; i++)
        if (s->output_tensor[i] < 0) {
            sfail(err, errsz, "schedule: model output %u has no tensor", i);
            goto fail;
        }
    for (uint32_t k = 0; k < ns; k++)
        if (check_step(m, s, k, err, errsz))
            goto fail;
    for (uint32_t i = 0; i < m->output_count; i++)
        if (s->tensors[s->output_tensor[i]].written_by < 0) {
            sfail(err, errsz, "schedule: model output %u is never written", i);
            goto fail;
        }
    return 0;
bad_scale:
    sfail(err, errsz, "model '%s': schedule: a scale is not finite and > 0", m->name);
fail:
    hb_schedule_free(s);
    return -1;
}
