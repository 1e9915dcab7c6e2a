/* Loading models (hbDNNInitializeFromFiles / FromDDR, hbDNNRelease) and the model and tensor
 * queries of hb_dnn.h. Packed handles live in a registry so that a stale or foreign pointer is
 * recognised and refused instead of being dereferenced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_bpu.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn_internal.h"
#include "plugin.h"

static pthread_mutex_t g_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static hb_packed *g_packed; /* live packed handles */

void hb_registry_lock(void)
{
    pthread_mutex_lock(&g_reg_lock);
}

void hb_registry_unlock(void)
{
    pthread_mutex_unlock(&g_reg_lock);
}

hb_packed *hb_packed_lookup(const void *h)
{
    for (hb_packed *p = g_packed; p && h; p = p->next)
        if (p == h && p->magic == HB_PACKED_MAGIC)
            return p;
    return NULL;
}

hb_model *hb_model_lookup(const void *h)
{
    for (hb_packed *p = g_packed; p && h; p = p->next)
        for (uint32_t i = 0; i < p->n_models; i++)
            if ((const void *)&p->models[i] == h && p->models[i].magic == HB_MODEL_MAGIC)
                return &p->models[i];
    return NULL;
}

static int32_t bin_status_code(hbbin_status st)
{
    switch (st) {
    case HBBIN_E_IO:
        return HB_DNN_CAN_NOT_OPEN_FILE;
    case HBBIN_E_NOMEM:
        return HB_DNN_OUT_OF_MEMORY;
    case HBBIN_E_VERSION:
        return HB_DNN_INCOMPATIBLE_MODEL;
    default:
        return HB_DNN_INVALID_MODEL;
    }
}

/* HB_DNN_SIM_PLATFORM (horizon-interface 5.9): the simulated platform. Unset: each model runs on
 * the march it was built for. Set: a model of another march is refused. Values, case-insensitive:
 * BERNOULLI2 (also BERNOULLI), BAYES, BAYESE (also BAYES-E, BAYES_E). *march = -1 when unset;
 * an unknown value is an error. */
static int32_t sim_platform(int32_t *march)
{
    static const struct {
        const char *name;
        int32_t march;
    } names[] = {{"bernoulli2", HBBIN_MARCH_BERNOULLI2}, {"bernoulli", HBBIN_MARCH_BERNOULLI2},
                 {"bayes", HBBIN_MARCH_BAYES},           {"bayese", HBBIN_MARCH_BAYES_E},
                 {"bayes-e", HBBIN_MARCH_BAYES_E},       {"bayes_e", HBBIN_MARCH_BAYES_E}};
    const char *v = getenv("HB_DNN_SIM_PLATFORM");
    *march = -1;
    if (!v || !*v)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(v, names[i].name) == 0) {
            *march = names[i].march;
            return 0;
        }
    return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                       "HB_DNN_SIM_PLATFORM='%s' is not BERNOULLI2, BAYES or BAYESE", v);
}

static void fill_props(hbDNNTensorProperties *p, const hbbin_tensor *t)
{
    memset(p, 0, sizeof *p);
    p->validShape.numDimensions = (int32_t)t->valid_ndim;
    p->alignedShape.numDimensions = (int32_t)t->aligned_ndim;
    for (int d = 0; d < HB_DNN_TENSOR_MAX_DIMENSIONS; d++) {
        p->validShape.dimensionSize[d] = t->valid_dims[d];
        p->alignedShape.dimensionSize[d] = t->aligned_dims[d];
        p->stride[d] = t->stride[d];
    }
    p->tensorLayout = (int32_t)t->layout;
    p->tensorType = (int32_t)t->data_type;
    p->quantiType = (hbDNNQuantiType)t->quant_type;
    p->quantizeAxis = t->quant_axis;
    p->alignedByteSize = (int32_t)t->aligned_byte_size;
    if (t->quant_type == HBBIN_QUANT_SHIFT) {
        p->shift.shiftLen = (int32_t)t->quant_count;
        p->shift.shiftData = (uint8_t *)(uintptr_t)t->shifts; /* the API's type is not const */
    } else if (t->quant_type == HBBIN_QUANT_SCALE) {
        p->scale.scaleLen = (int32_t)t->quant_count;
        p->scale.scaleData = (float *)(uintptr_t)t->scales;
        p->scale.zeroPointLen = (int32_t)t->zero_point_count;
        p->scale.zeroPointData = (int8_t *)(uintptr_t)t->zero_points;
    }
}

static void model_fini(hb_model *m)
{
    hb_model_free_contexts(m);
    if (m->backend)
        m->backend->unload(m->backend_model);
    hb_schedule_free(&m->sched);
    free(m->props);
    free(m->img);
    pthread_mutex_destroy(&m->ctx_lock);
    m->magic = 0;
}

static int32_t model_init(hb_model *m, hb_packed *owner, const hbbin_model *bm, uint32_t march,
                          const char *label)
{
    char err[384] = "";
    uint64_t cycles = 0;
    uint32_t mhz = 0;
    uint32_t n = bm->input_count + bm->output_count;
    m->owner = owner;
    m->bin = bm;
    m->march = march;
    pthread_mutex_init(&m->ctx_lock, NULL);
    if (!(m->props = calloc(n, sizeof *m->props)))
        return hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "%s: out of memory", label);
    if (!(m->img = calloc(bm->input_count, sizeof *m->img)))
        return hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "%s: out of memory", label);
    for (uint32_t i = 0; i < bm->input_count; i++) {
        fill_props(&m->props[i], &bm->inputs[i]);
        if (hb_img_describe(bm, i, &m->img[i], &m->props[i], err, sizeof err) != 0)
            return hb_dnn_fail(HB_DNN_INVALID_MODEL, "%s: model '%s': %s", label, bm->name, err);
    }
    for (uint32_t i = 0; i < bm->output_count; i++)
        fill_props(&m->props[bm->input_count + i], &bm->outputs[i]);
    if (hb_schedule_parse(bm, &m->sched, err, sizeof err) != 0)
        return hb_dnn_fail(HB_DNN_INVALID_MODEL, "%s: %s", label, err);
    const hb_backend *be = NULL;
    if (hb_backend_select(&be, err, sizeof err) != 0)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: %s", label, err);
    m->backend = be;
    int32_t rc =
        m->backend->load(bm, march, &m->sched, &m->backend_model, &cycles, &mhz, err, sizeof err);
    if (rc) {
        m->backend = NULL;
        return hb_dnn_fail(rc, "%s: %s", label, err);
    }
    m->estimate_us = mhz ? (int64_t)((cycles + mhz - 1) / mhz) : 0;
    m->clock_mhz = mhz;
    /* worker 0's context now: proves every CPU subgraph deserialises and prepares */
    if ((rc = hb_model_ensure_context(m, 0)) != 0)
        return rc;
    m->magic = HB_MODEL_MAGIC;
    return 0;
}

static void packed_free(hb_packed *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; p->models && i < p->n_models; i++)
        model_fini(&p->models[i]);
    free(p->models);
    free(p->names);
    for (uint32_t i = 0; p->files && i < p->n_files; i++) {
        hbbin_close(p->files[i]);
        if (p->images)
            free(p->images[i]);
    }
    free(p->files);
    free(p->images);
    p->magic = 0;
    free(p);
}

/* Common tail of both initialisers: files[] are open; build the models. */
static int32_t packed_build(hb_packed *p, const char *const *labels)
{
    uint32_t total = 0;
    int32_t platform, rc = sim_platform(&platform);
    if (rc || (rc = hb_dnn_env_plugins()) != 0) /* custom ops must be known before CPU subgraphs */
        return rc;
    for (uint32_t f = 0; f < p->n_files; f++) {
        const hbbin_info *info = hbbin_file_info(p->files[f]);
        if (platform >= 0 && info->march != (uint32_t)platform)
            return hb_dnn_fail(HB_DNN_INCOMPATIBLE_MODEL,
                               "%s: built for march %s, but HB_DNN_SIM_PLATFORM selects %s",
                               labels[f], hbbin_march_name(info->march),
                               hbbin_march_name((uint32_t)platform));
        total += info->model_count;
    }
    if (total > HBBIN_MAX_MODELS)
        return hb_dnn_fail(HB_DNN_MODEL_NUMBER_EXCEED_LIMIT, "%u models loaded at once (limit %u)",
                           total, HBBIN_MAX_MODELS);
    p->models = calloc(total, sizeof *p->models);
    p->names = calloc(total + 1, sizeof *p->names);
    if (!p->models || !p->names)
        return hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "out of memory");
    for (uint32_t f = 0; f < p->n_files; f++) {
        const hbbin_info *info = hbbin_file_info(p->files[f]);
        for (uint32_t i = 0; i < info->model_count; i++) {
            const hbbin_model *bm = hbbin_model_at(p->files[f], i);
            for (uint32_t j = 0; j < p->n_models; j++)
                if (strcmp(p->names[j], bm->name) == 0)
                    return hb_dnn_fail(HB_DNN_INVALID_MODEL,
                                       "%s: model name '%s' is already loaded from another file",
                                       labels[f], bm->name);
            rc = model_init(&p->models[p->n_models], p, bm, info->march, labels[f]);
            p->n_models++; /* counted even on failure so that packed_free cleans it */
            if (rc)
                return rc;
            p->names[p->n_models - 1] = bm->name;
        }
    }
    return 0;
}

static int32_t packed_publish(hbPackedDNNHandle_t *out, hb_packed *p)
{
    int32_t rc = hb_tasks_acquire();
    if (rc)
        return rc;
    p->magic = HB_PACKED_MAGIC;
    hb_registry_lock();
    p->next = g_packed;
    g_packed = p;
    hb_registry_unlock();
    *out = p;
    return 0;
}

int32_t hbDNNInitializeFromFiles(hbPackedDNNHandle_t *packedDNNHandle, const char **modelFileNames,
                                 int32_t modelFileCount)
{
    hb_packed *p = NULL;
    int32_t rc;
    char err[384];
    if (!packedDNNHandle || !modelFileNames || modelFileCount < 1)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNInitializeFromFiles: NULL argument or file count < 1");
    *packedDNNHandle = NULL;
    for (int32_t i = 0; i < modelFileCount; i++)
        if (!modelFileNames[i])
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNInitializeFromFiles: file %d NULL",
                               i);
    if (!(p = calloc(1, sizeof *p)) ||
        !(p->files = calloc((size_t)modelFileCount, sizeof *p->files))) {
        rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < modelFileCount; i++) {
        hbbin_status st = hbbin_open_file(modelFileNames[i], &p->files[i], err, sizeof err);
        if (st != HBBIN_OK) {
            rc = hb_dnn_fail(bin_status_code(st), "%s", err);
            goto out;
        }
        p->n_files++;
    }
    if ((rc = packed_build(p, modelFileNames)) != 0 || (rc = packed_publish(packedDNNHandle, p)))
        goto out;
    p = NULL;
out:
    packed_free(p);
    return rc;
}

int32_t hbDNNInitializeFromDDR(hbPackedDNNHandle_t *packedDNNHandle, const void **modelData,
                               int32_t *modelDataLengths, int32_t modelDataCount)
{
    hb_packed *p = NULL;
    const char **labels = NULL;
    char(*lab)[32] = NULL;
    int32_t rc;
    char err[384];
    if (!packedDNNHandle || !modelData || !modelDataLengths || modelDataCount < 1)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNInitializeFromDDR: NULL argument or count < 1");
    *packedDNNHandle = NULL;
    for (int32_t i = 0; i < modelDataCount; i++)
        if (!modelData[i] || modelDataLengths[i] <= 0)
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                               "hbDNNInitializeFromDDR: image %d is NULL or empty", i);
    if (!(p = calloc(1, sizeof *p)) ||
        !(p->files = calloc((size_t)modelDataCount, sizeof *p->files)) ||
        !(p->images = calloc((size_t)modelDataCount, sizeof *p->images)) ||
        !(labels = calloc((size_t)modelDataCount, sizeof *labels)) ||
        !(lab = calloc((size_t)modelDataCount, sizeof *lab))) {
        rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < modelDataCount; i++) {
        snprintf(lab[i], sizeof lab[i], "model image %d", i);
        labels[i] = lab[i];
        /* the caller may free its image after the call: keep a 64-byte aligned copy */
        size_t n = (size_t)modelDataLengths[i];
        if (!(p->images[i] = aligned_alloc(64, (n + 63) / 64 * 64))) {
            rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "out of memory");
            goto out;
        }
        memcpy(p->images[i], modelData[i], n);
        p->n_files++;
        hbbin_status st = hbbin_open_memory(p->images[i], n, lab[i], &p->files[i], err, sizeof err);
        if (st != HBBIN_OK) {
            rc = hb_dnn_fail(bin_status_code(st), "%s", err);
            goto out;
        }
    }
    if ((rc = packed_build(p, labels)) != 0 || (rc = packed_publish(packedDNNHandle, p)))
        goto out;
    p = NULL;
out:
    packed_free(p);
    free(labels);
    free(lab);
    return rc;
}

int32_t hbDNNRelease(hbPackedDNNHandle_t packedDNNHandle)
{
    hb_registry_lock();
    hb_packed *p = hb_packed_lookup(packedDNNHandle);
    if (!p) {
        hb_registry_unlock();
        return hb_dnn_fail(HB_DNN_INVALID_PACKED_DNN_HANDLE, "hbDNNRelease: not a live handle");
    }
    if (hb_tasks_active(p)) {
        hb_registry_unlock();
        return hb_dnn_fail(HB_DNN_MODEL_IS_RUNNING,
                           "hbDNNRelease: tasks of its models are still queued or running");
    }
    for (hb_packed **pp = &g_packed; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    hb_registry_unlock();
    packed_free(p);
    hb_tasks_release();
    return 0;
}

int32_t hbDNNGetModelNameList(const char ***modelNameList, int32_t *modelNameCount,
                              hbPackedDNNHandle_t packedDNNHandle)
{
    if (!modelNameList || !modelNameCount)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetModelNameList: NULL argument");
    hb_registry_lock();
    hb_packed *p = hb_packed_lookup(packedDNNHandle);
    if (p) {
        *modelNameList = p->names;
        *modelNameCount = (int32_t)p->n_models;
    }
    hb_registry_unlock();
    return p ? 0
             : hb_dnn_fail(HB_DNN_INVALID_PACKED_DNN_HANDLE,
                           "hbDNNGetModelNameList: not a live packed handle");
}

int32_t hbDNNGetModelHandle(hbDNNHandle_t *dnnHandle, hbPackedDNNHandle_t packedDNNHandle,
                            const char *modelName)
{
    if (!dnnHandle || !modelName)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetModelHandle: NULL argument");
    hb_registry_lock();
    hb_packed *p = hb_packed_lookup(packedDNNHandle);
    hb_model *m = NULL;
    for (uint32_t i = 0; p && i < p->n_models && !m; i++)
        if (strcmp(p->names[i], modelName) == 0)
            m = &p->models[i];
    hb_registry_unlock();
    if (!p)
        return hb_dnn_fail(HB_DNN_INVALID_PACKED_DNN_HANDLE,
                           "hbDNNGetModelHandle: not a live packed handle");
    if (!m)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetModelHandle: no model named '%s'",
                           modelName);
    *dnnHandle = m;
    return 0;
}

/* Resolve a model handle for a query; 0 or an error code. */
int32_t hb_model_get(const void *h, const char *fn, hb_model **out)
{
    hb_registry_lock();
    *out = hb_model_lookup(h);
    hb_registry_unlock();
    return *out ? 0 : hb_dnn_fail(HB_DNN_INVALID_DNN_HANDLE, "%s: not a live model handle", fn);
}

static int32_t get_count(int32_t *n, hbDNNHandle_t h, int in, const char *fn)
{
    hb_model *m;
    if (!n)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: NULL argument", fn);
    int32_t rc = hb_model_get(h, fn, &m);
    if (!rc)
        *n = (int32_t)(in ? m->bin->input_count : m->bin->output_count);
    return rc;
}

int32_t hbDNNGetInputCount(int32_t *inputCount, hbDNNHandle_t dnnHandle)
{
    return get_count(inputCount, dnnHandle, 1, "hbDNNGetInputCount");
}

int32_t hbDNNGetOutputCount(int32_t *outputCount, hbDNNHandle_t dnnHandle)
{
    return get_count(outputCount, dnnHandle, 0, "hbDNNGetOutputCount");
}

/* The tensor record / properties of input (in) or output `idx`. */
int32_t hb_model_get_tensor(const void *h, int in, int32_t idx, const char *fn, hb_model **m)
{
    int32_t rc = hb_model_get(h, fn, m);
    if (rc)
        return rc;
    uint32_t cnt = in ? (*m)->bin->input_count : (*m)->bin->output_count;
    if (idx < 0 || (uint32_t)idx >= cnt)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: index %d out of range 0..%u", fn, idx,
                           cnt - 1);
    return 0;
}

int32_t hbDNNGetInputName(const char **name, hbDNNHandle_t dnnHandle, int32_t inputIndex)
{
    hb_model *m;
    if (!name)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetInputName: NULL argument");
    int32_t rc = hb_model_get_tensor(dnnHandle, 1, inputIndex, "hbDNNGetInputName", &m);
    if (!rc)
        *name = m->bin->inputs[inputIndex].name;
    return rc;
}

int32_t hbDNNGetOutputName(const char **name, hbDNNHandle_t dnnHandle, int32_t outputIndex)
{
    hb_model *m;
    if (!name)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetOutputName: NULL argument");
    int32_t rc = hb_model_get_tensor(dnnHandle, 0, outputIndex, "hbDNNGetOutputName", &m);
    if (!rc)
        *name = m->bin->outputs[outputIndex].name;
    return rc;
}

int32_t hbDNNGetInputTensorProperties(hbDNNTensorProperties *properties, hbDNNHandle_t dnnHandle,
                                      int32_t inputIndex)
{
    hb_model *m;
    if (!properties)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetInputTensorProperties: NULL");
    int32_t rc = hb_model_get_tensor(dnnHandle, 1, inputIndex, "hbDNNGetInputTensorProperties", &m);
    if (!rc)
        *properties = m->props[inputIndex];
    return rc;
}

int32_t hbDNNGetOutputTensorProperties(hbDNNTensorProperties *properties, hbDNNHandle_t dnnHandle,
                                       int32_t outputIndex)
{
    hb_model *m;
    if (!properties)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetOutputTensorProperties: NULL");
    int32_t rc =
        hb_model_get_tensor(dnnHandle, 0, outputIndex, "hbDNNGetOutputTensorProperties", &m);
    if (!rc)
        *properties = m->props[m->bin->input_count + (uint32_t)outputIndex];
    return rc;
}

int32_t hbDNNGetInputSource(int32_t *inputSource, hbDNNHandle_t dnnHandle, int32_t inputIndex)
{
    hb_model *m;
    if (!inputSource)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetInputSource: NULL argument");
    int32_t rc = hb_model_get_tensor(dnnHandle, 1, inputIndex, "hbDNNGetInputSource", &m);
    if (!rc)
        *inputSource = (int32_t)m->bin->inputs[inputIndex].input_source;
    return rc;
}

int32_t hbDNNGetEstimateLatency(int32_t *estimateLatency, hbDNNHandle_t dnnHandle)
{
    hb_model *m;
    if (!estimateLatency)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetEstimateLatency: NULL argument");
    int32_t rc = hb_model_get(dnnHandle, "hbDNNGetEstimateLatency", &m);
    if (!rc)
        *estimateLatency = m->estimate_us > INT32_MAX ? INT32_MAX : (int32_t)m->estimate_us;
    return rc;
}

int32_t hbDNNGetBackendName(const char **name, hbDNNHandle_t dnnHandle)
{
    hb_model *m = NULL;
    if (!name)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetBackendName: NULL argument");
    int32_t rc = hb_model_get(dnnHandle, "hbDNNGetBackendName", &m);
    if (rc == 0)
        *name = m->backend->name;
    return rc;
}
