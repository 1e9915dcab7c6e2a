/* Internals of libdnn shared by its files: loaded models (from the .bin container and the
 * schedule of docs/bin-model.md), per-worker execution contexts, tasks, logging. */
#ifndef HB_DNN_INTERNAL_H
#define HB_DNN_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "backend.h"
#include "dnn/hb_dnn.h"
#include "hb_bin/bin_reader.h"
#include "hbg/graph.h"
#include "image_input.h"
#include "schedule.h"

/* Log levels of HB_DNN_LOG_LEVEL (horizon-interface 5.9): a message is printed to stderr when its
 * level is >= the setting; 0 prints everything, default 3 (warnings and errors). */
#define HB_LOG_DEBUG 1
#define HB_LOG_WARN  3
#define HB_LOG_ERROR 4

/* Log one line (prefixed "[DNN] ") and keep it as this thread's last message. */
void hb_dnn_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log at HB_LOG_ERROR and return `code` (for `return hb_dnn_fail(...)`). */
int32_t hb_dnn_fail(int32_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message logged by the calling thread ("" if none). Private (tests use it). */
const char *hb_dnn_last_message(void);

/* Number of worker threads that run tasks (HB_DNN_WORKERS, 1 .. 32; default 4). */
#define HB_DNN_MAX_WORKERS 32

typedef struct hb_packed hb_packed;

/* One model of a packed handle. Immutable after loading, except ctx[] (each entry created once
 * by the worker it belongs to) and `active` (under the task lock). */
typedef struct hb_model {
    uint32_t magic;   /* HB_MODEL_MAGIC while alive */
    hb_packed *owner; /* the packed handle */
    const hbbin_model *bin;
    uint32_t march;               /* bpu_march_id */
    hbDNNTensorProperties *props; /* inputs, then outputs (pointers into bin) */
    hb_img *img;                  /* per input: how an image input is fed (type -1: a tensor) */
    hb_schedule sched;
    const hb_backend *backend;
    void *backend_model;           /* backend's loaded programs */
    int64_t estimate_us;           /* modelled BPU time of one inference */
    uint32_t clock_mhz;            /* BPU clock of the march (cycles -> us) */
    void *ctx[HB_DNN_MAX_WORKERS]; /* per-worker contexts (hb_ctx) */
    pthread_mutex_t ctx_lock;      /* guards creation of ctx[] entries */
    int active;                    /* tasks queued or running (task lock) */
} hb_model;

#define HB_MODEL_MAGIC  0x4D4F444Cu /* "MODL" */
#define HB_PACKED_MAGIC 0x5041434Bu /* "PACK" */

struct hb_packed {
    uint32_t magic;
    hb_packed *next; /* registry of live handles */
    uint32_t n_files;
    hbbin_file **files;
    uint8_t **images; /* copies of FromDDR images (freed at release); NULL entries for files */
    uint32_t n_models;
    hb_model *models;
    const char **names; /* hbDNNGetModelNameList */
};

/* Find a live model / packed handle; NULL when the pointer is not one (under the registry lock,
 * which the caller takes with hb_registry_lock). */
void hb_registry_lock(void);
void hb_registry_unlock(void);
hb_model *hb_model_lookup(const void *h);
/* The live model of handle h for API function fn (takes the registry lock itself): 0, or
 * HB_DNN_INVALID_DNN_HANDLE with a log line naming fn. */
int32_t hb_model_get(const void *h, const char *fn, hb_model **out);
/* As hb_model_get, and idx must be an input (in = 1) or output index of the model, else
 * HB_DNN_INVALID_ARGUMENT naming fn and the range. */
int32_t hb_model_get_tensor(const void *h, int in, int32_t idx, const char *fn, hb_model **out);
hb_packed *hb_packed_lookup(const void *h);

/* Run one inference of model m on worker `worker` with the user tensors. rois: NULL (hbDNNInfer),
 * or one roi per resizer input in input order (hbDNNRoiInfer: those inputs are whole frames,
 * roi_input.h). Returns 0 or an hbDNNStatus code (message logged); the modelled counters of its
 * BPU steps are added to *stats. */
int32_t hb_model_run(hb_model *m, int worker, const hbDNNTensor *inputs, const hbDNNTensor *outputs,
                     const hbDNNRoi *rois, hb_bpu_stats *stats);

/* Check user tensors against the model before a task is queued (sizes, types, buffers):
 * hbDNNInfer's inputs and outputs. */
int32_t hb_model_check_tensors(const hb_model *m, const hbDNNTensor *inputs,
                               const hbDNNTensor *outputs);
/* The inputs of one inference; rois as for hb_model_run. */
int32_t hb_model_check_inputs(const hb_model *m, const hbDNNTensor *inputs, const hbDNNRoi *rois);
/* The outputs, each buffer holding `batch` consecutive results of hb_model_output_need bytes. */
int32_t hb_model_check_outputs(const hb_model *m, const hbDNNTensor *outputs, uint32_t batch);
/* Bytes one result of output k takes in user tensor u (aligned or dense, by its alignedShape). */
uint64_t hb_model_output_need(const hb_model *m, const hbDNNTensor *u, uint32_t k);

/* Create the context of `worker` now if it does not exist (at load for worker 0, which also
 * validates the CPU subgraphs; lazily by each worker otherwise). */
int32_t hb_model_ensure_context(hb_model *m, int worker);
/* Free the per-worker contexts of m (no task may be running). */
void hb_model_free_contexts(hb_model *m);

/* The task system: start workers (refcounted by packed handles), stop them. */
int32_t hb_tasks_acquire(void);
void hb_tasks_release(void);
/* Number of tasks queued or running on the models of p (hbDNNRelease refuses while > 0). */
int hb_tasks_active(const hb_packed *p);

#endif
