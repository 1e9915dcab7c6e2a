/* libdnn helpers of the samples (sample_dnn.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "sample_dnn.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnn/hb_dnn_ext.h"
#include "dnn/hb_sys.h"
#include "sample_image.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

/* "call failed: <status> <description>" */
static int dnn_fail(char *err, size_t errsz, const char *call, int32_t rc)
{
    return fail(err, errsz, "%s failed: %d (%s)", call, rc, hbDNNGetErrorDesc(rc));
}

int sample_model_open(sample_model *m, const char *path, const char *name, char *err, size_t errsz)
{
    const char **names = NULL;
    int32_t count = 0, rc;
    memset(m, 0, sizeof *m);
    if ((rc = hbDNNInitializeFromFiles(&m->packed, &path, 1)) != 0)
        return dnn_fail(err, errsz, "hbDNNInitializeFromFiles", rc);
    if ((rc = hbDNNGetModelNameList(&names, &count, m->packed)) != 0)
        return dnn_fail(err, errsz, "hbDNNGetModelNameList", rc);
    m->name = name ? name : names[0];
    if ((rc = hbDNNGetModelHandle(&m->dnn, m->packed, m->name)) != 0)
        return dnn_fail(err, errsz, "hbDNNGetModelHandle", rc);
    for (int32_t i = 0; i < count; i++)
        if (strcmp(names[i], m->name) == 0)
            m->name = names[i];
    if ((rc = hbDNNGetInputCount(&m->n_in, m->dnn)) != 0 ||
        (rc = hbDNNGetOutputCount(&m->n_out, m->dnn)) != 0)
        return dnn_fail(err, errsz, "hbDNNGet{Input,Output}Count", rc);
    if (m->n_in > SAMPLE_MAX_IO || m->n_out > SAMPLE_MAX_IO)
        return fail(err, errsz, "model '%s' has %d inputs and %d outputs; the samples handle %d",
                    m->name, m->n_in, m->n_out, SAMPLE_MAX_IO);
    return 0;
}

void sample_model_close(sample_model *m)
{
    if (m->packed)
        hbDNNRelease(m->packed);
    memset(m, 0, sizeof *m);
}

int sample_io_alloc(const sample_model *m, sample_io *io, char *err, size_t errsz)
{
    int32_t rc;
    memset(io, 0, sizeof *io);
    for (int32_t i = 0; i < m->n_in; i++) {
        hbDNNTensor *t = &io->in[i];
        if ((rc = hbDNNGetInputTensorProperties(&t->properties, m->dnn, i)) != 0)
            return dnn_fail(err, errsz, "hbDNNGetInputTensorProperties", rc);
        size_t img = sample_input_bytes(&t->properties);
        uint32_t size = img ? (uint32_t)img : (uint32_t)t->properties.alignedByteSize;
        if (img)
            t->properties.alignedShape = t->properties.validShape;
        if ((rc = hbSysAllocCachedMem(&t->sysMem[0], size)) != 0)
            return dnn_fail(err, errsz, "hbSysAllocCachedMem", rc);
        io->n_in++;
    }
    for (int32_t o = 0; o < m->n_out; o++) {
        hbDNNTensor *t = &io->out[o];
        if ((rc = hbDNNGetOutputTensorProperties(&t->properties, m->dnn, o)) != 0)
            return dnn_fail(err, errsz, "hbDNNGetOutputTensorProperties", rc);
        if ((rc = hbSysAllocCachedMem(&t->sysMem[0], (uint32_t)t->properties.alignedByteSize)) != 0)
            return dnn_fail(err, errsz, "hbSysAllocCachedMem", rc);
        io->n_out++;
    }
    return 0;
}

void sample_io_free(sample_io *io)
{
    for (int32_t i = 0; i < io->n_in; i++)
        hbSysFreeMem(&io->in[i].sysMem[0]);
    for (int32_t o = 0; o < io->n_out; o++)
        hbSysFreeMem(&io->out[o].sysMem[0]);
    io->n_in = io->n_out = 0;
}

int sample_infer(const sample_model *m, sample_io *io, int32_t *bpu_us, char *err, size_t errsz)
{
    hbDNNTaskHandle_t task = NULL;
    hbDNNInferCtrlParam ctrl;
    hbDNNTensor *out = io->out;
    int32_t rc;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    for (int32_t i = 0; i < io->n_in; i++)
        hbSysFlushMem(&io->in[i].sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
    if ((rc = hbDNNInfer(&task, &out, io->in, m->dnn, &ctrl)) != 0)
        return dnn_fail(err, errsz, "hbDNNInfer", rc);
    rc = hbDNNWaitTaskDone(task, 0);
    if (rc == 0 && bpu_us)
        rc = hbDNNGetTaskEstimateTime(bpu_us, task);
    hbDNNReleaseTask(task);
    if (rc != 0)
        return dnn_fail(err, errsz, "hbDNNWaitTaskDone", rc);
    for (int32_t o = 0; o < io->n_out; o++)
        hbSysFlushMem(&io->out[o].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
    return 0;
}

int sample_output_floats(const sample_io *io, int o, float **vals, size_t *n, char *err,
                         size_t errsz)
{
    const hbDNNTensorProperties *p = &io->out[o].properties;
    const uint8_t *base = io->out[o].sysMem[0].virAddr;
    int nd = p->validShape.numDimensions;
    size_t count = 1, esz = 0;
    int32_t idx[HB_DNN_TENSOR_MAX_DIMENSIONS] = {0};
    switch (p->tensorType) {
    case HB_DNN_TENSOR_TYPE_S8:
    case HB_DNN_TENSOR_TYPE_U8:
        esz = 1;
        break;
    case HB_DNN_TENSOR_TYPE_S32:
    case HB_DNN_TENSOR_TYPE_F32:
        esz = 4;
        break;
    default:
        return fail(err, errsz, "output %d: type %s is not read by the samples", o,
                    sample_type_name(p->tensorType));
    }
    for (int d = 0; d < nd; d++)
        count *= (size_t)p->validShape.dimensionSize[d];
    if (!(*vals = malloc(count * sizeof **vals)))
        return fail(err, errsz, "out of memory");
    /* byte strides of the valid dims: the output's stride, or dense when it gives none */
    int64_t st[HB_DNN_TENSOR_MAX_DIMENSIONS];
    int64_t dense = (int64_t)esz;
    for (int d = nd - 1; d >= 0; d--) {
        st[d] = p->stride[d] > 0 ? p->stride[d] : dense;
        dense *= p->validShape.dimensionSize[d];
    }
    for (size_t e = 0; e < count; e++) {
        int64_t off = 0;
        for (int d = 0; d < nd; d++)
            off += idx[d] * st[d];
        const uint8_t *q = base + off;
        double v;
        int32_t i32;
        float f;
        switch (p->tensorType) {
        case HB_DNN_TENSOR_TYPE_S8:
            v = *(const int8_t *)q;
            break;
        case HB_DNN_TENSOR_TYPE_U8:
            v = *q;
            break;
        case HB_DNN_TENSOR_TYPE_S32:
            memcpy(&i32, q, 4);
            v = i32;
            break;
        default:
            memcpy(&f, q, 4);
            v = f;
            break;
        }
        if (p->quantiType == SCALE && p->scale.scaleLen > 0) {
            int32_t ax = p->scale.scaleLen > 1 ? idx[p->quantizeAxis] : 0;
            v *= p->scale.scaleData[ax];
        }
        (*vals)[e] = (float)v;
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < p->validShape.dimensionSize[d])
                break;
            idx[d] = 0;
        }
    }
    *n = count;
    return 0;
}

int sample_probabilities(float *v, size_t n)
{
    double sum = 0.0, mx = -INFINITY;
    int probs = 1;
    for (size_t i = 0; i < n; i++) {
        probs &= v[i] >= 0.0f && v[i] <= 1.0f;
        sum += v[i];
        mx = v[i] > mx ? v[i] : mx;
    }
    if (probs && fabs(sum - 1.0) <= 1e-3)
        return 0;
    sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += exp((double)v[i] - mx);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(exp((double)v[i] - mx) / sum);
    return 1;
}

void sample_topk(const float *v, size_t n, size_t k, size_t *idx)
{
    for (size_t j = 0; j < k; j++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            int taken = 0;
            for (size_t t = 0; t < j; t++)
                taken |= idx[t] == i;
            if (!taken && (best == n || v[i] > v[best]))
                best = i;
        }
        idx[j] = best;
    }
}

double sample_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
