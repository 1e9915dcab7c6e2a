/* Tasks: hbDNNInfer queues work that worker threads run; hbDNNWaitTaskDone, hbDNNReleaseTask,
 * hbDNNSetTaskDoneCb and the task estimates. Tasks run in order of priority (higher first), then
 * customId (smaller first), then submission. Each worker owns one execution context per model, so
 * tasks never share buffers and concurrent runs give the bits of sequential runs. Task objects are
 * recycled through a free list: after the first inferences nothing is allocated per inference. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_bpu.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn_internal.h"
#include "resize.h"
#include "roi_input.h"

#define HB_TASK_MAGIC          0x5441534Bu /* "TASK" */
#define HB_TASK_MAX_JOBS       255         /* inferences appended with `more` (hb_dnn.h) */
#define HB_TASK_MAX_LIVE       1024        /* tasks not yet released */
#define HB_DNN_WORKERS_DEFAULT 4

typedef enum task_state {
    T_OPEN,    /* appended to with more = 1; not queued yet */
    T_QUEUED,  /* waiting for a worker */
    T_RUNNING, /* on a worker (including its completion callback) */
    T_DONE,    /* finished; status valid */
    T_FREE     /* in the free list */
} task_state;

typedef struct job {
    hb_model *m;
    size_t first;   /* index of its inputs in task->tens; outputs follow */
    long roi_first; /* index of its rois in task->rois (hbDNNRoiInfer), -1: none */
} job;

typedef struct hb_task {
    uint32_t magic;
    struct hb_task *next_q; /* queue or free list */
    task_state state;
    int released; /* released while running: the worker recycles it */
    int priority;
    int64_t custom_id;
    uint64_t seq;
    int n_jobs;
    job jobs[HB_TASK_MAX_JOBS];
    hbDNNTensor *tens; /* copies of the user tensors of every job */
    size_t n_tens, cap_tens;
    hbDNNRoi *rois; /* copies of the rois of hbDNNRoiInfer jobs */
    size_t n_rois, cap_rois;
    int32_t status;
    int64_t bpu_us;     /* modelled BPU time counted by the run */
    hb_bpu_stats stats; /* modelled counters of the run */
    uint32_t clock_mhz; /* of the jobs' marches; 0 when they differ */
    int64_t est_us;     /* static estimate of the jobs, summed at submission */
    hbDNNTaskDoneCb cb;
    void *cb_user;
    int cb_taken; /* the worker has read cb: a later hbDNNSetTaskDoneCb calls it directly */
    pthread_cond_t done_cv;
} hb_task;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work_cv;
    hb_task *queue; /* sorted: next to run first */
    hb_task *free_list;
    hb_task **all; /* every task object ever made (for validation and final cleanup) */
    int n_all, cap_all;
    int live;
    uint64_t seq;
    int refs;
    int stop;
    int n_workers;
    pthread_t workers[HB_DNN_MAX_WORKERS];
} g_t = {.lock = PTHREAD_MUTEX_INITIALIZER, .work_cv = PTHREAD_COND_INITIALIZER};

/* A live task (not free); under the lock. */
static hb_task *task_lookup(const void *h)
{
    for (int i = 0; i < g_t.n_all && h; i++)
        if (g_t.all[i] == h && g_t.all[i]->magic == HB_TASK_MAGIC && g_t.all[i]->state != T_FREE)
            return g_t.all[i];
    return NULL;
}

/* Return a task to the free list; drops its models' active counts unless it already ran. */
static void task_recycle(hb_task *t)
{
    if (t->state == T_OPEN || t->state == T_QUEUED)
        for (int j = 0; j < t->n_jobs; j++)
            t->jobs[j].m->active--;
    t->state = T_FREE;
    t->released = 0;
    t->cb = NULL;
    t->n_jobs = 0;
    t->n_tens = 0;
    t->n_rois = 0;
    t->next_q = g_t.free_list;
    g_t.free_list = t;
    g_t.live--;
}

static void queue_insert(hb_task *t)
{
    hb_task **pp = &g_t.queue;
    while (*pp && ((*pp)->priority > t->priority ||
                   ((*pp)->priority == t->priority && (*pp)->custom_id <= t->custom_id)))
        pp = &(*pp)->next_q;
    t->next_q = *pp;
    *pp = t;
}

static void *worker_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    pthread_mutex_lock(&g_t.lock);
    for (;;) {
        while (!g_t.stop && !g_t.queue)
            pthread_cond_wait(&g_t.work_cv, &g_t.lock);
        if (g_t.stop)
            break;
        hb_task *t = g_t.queue;
        g_t.queue = t->next_q;
        t->state = T_RUNNING;
        pthread_mutex_unlock(&g_t.lock);

        int32_t rc = 0;
        int64_t total = 0;
        hb_bpu_stats sum = {0, 0, 0, 0, 0};
        uint32_t mhz = t->n_jobs ? t->jobs[0].m->clock_mhz : 0;
        for (int j = 0; j < t->n_jobs && !rc; j++) {
            const job *jb = &t->jobs[j];
            hb_bpu_stats js = {0, 0, 0, 0, 0};
            rc = hb_model_run(jb->m, id, &t->tens[jb->first],
                              &t->tens[jb->first + jb->m->bin->input_count],
                              jb->roi_first >= 0 ? &t->rois[jb->roi_first] : NULL, &js);
            uint32_t c = jb->m->clock_mhz;
            total += c ? (int64_t)((js.cycles + c - 1) / c) : 0;
            mhz = c == mhz ? mhz : 0;
            sum.cycles += js.cycles;
            sum.macs += js.macs;
            sum.ddr_load_bytes += js.ddr_load_bytes;
            sum.ddr_store_bytes += js.ddr_store_bytes;
            sum.steps += js.steps;
        }
        pthread_mutex_lock(&g_t.lock);
        t->status = rc;
        t->bpu_us = total;
        t->stats = sum;
        t->clock_mhz = mhz;
        t->cb_taken = 1;
        hbDNNTaskDoneCb cb = t->cb;
        void *cb_user = t->cb_user;
        pthread_mutex_unlock(&g_t.lock);
        if (cb)
            cb(t, rc, cb_user);

        pthread_mutex_lock(&g_t.lock);
        for (int j = 0; j < t->n_jobs; j++)
            t->jobs[j].m->active--;
        t->state = T_DONE;
        pthread_cond_broadcast(&t->done_cv);
        if (t->released)
            task_recycle(t);
    }
    pthread_mutex_unlock(&g_t.lock);
    return NULL;
}

static int worker_count(void)
{
    const char *v = getenv("HB_DNN_WORKERS");
    char *end = NULL;
    long n = v && *v ? strtol(v, &end, 10) : HB_DNN_WORKERS_DEFAULT;
    if (v && *v && (*end || n < 1 || n > HB_DNN_MAX_WORKERS)) {
        hb_dnn_log(HB_LOG_WARN, "HB_DNN_WORKERS='%s' is not in 1..%d; using %d", v,
                   HB_DNN_MAX_WORKERS, HB_DNN_WORKERS_DEFAULT);
        n = HB_DNN_WORKERS_DEFAULT;
    }
    return (int)n;
}

int32_t hb_tasks_acquire(void)
{
    int32_t rc = 0;
    pthread_mutex_lock(&g_t.lock);
    if (g_t.refs == 0) {
        g_t.stop = 0;
        g_t.n_workers = 0;
        int n = worker_count();
        for (int i = 0; i < n; i++) {
            if (pthread_create(&g_t.workers[i], NULL, worker_main, (void *)(intptr_t)i) != 0)
                break;
            g_t.n_workers++;
        }
        if (g_t.n_workers == 0)
            rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "cannot start worker threads");
    }
    if (!rc)
        g_t.refs++;
    pthread_mutex_unlock(&g_t.lock);
    return rc;
}

void hb_tasks_release(void)
{
    pthread_mutex_lock(&g_t.lock);
    if (--g_t.refs > 0) {
        pthread_mutex_unlock(&g_t.lock);
        return;
    }
    g_t.stop = 1;
    pthread_cond_broadcast(&g_t.work_cv);
    int n = g_t.n_workers;
    pthread_mutex_unlock(&g_t.lock);
    for (int i = 0; i < n; i++)
        pthread_join(g_t.workers[i], NULL);
    pthread_mutex_lock(&g_t.lock);
    /* no model is loaded any more: every remaining task object refers to released models */
    for (int i = 0; i < g_t.n_all; i++) {
        pthread_cond_destroy(&g_t.all[i]->done_cv);
        free(g_t.all[i]->tens);
        free(g_t.all[i]->rois);
        free(g_t.all[i]);
    }
    free(g_t.all);
    g_t.all = NULL;
    g_t.n_all = g_t.cap_all = 0;
    g_t.free_list = NULL;
    g_t.queue = NULL;
    g_t.live = 0;
    g_t.n_workers = 0;
    pthread_mutex_unlock(&g_t.lock);
}

int hb_tasks_active(const hb_packed *p)
{
    int n = 0;
    pthread_mutex_lock(&g_t.lock);
    for (uint32_t i = 0; i < p->n_models; i++)
        n += p->models[i].active;
    pthread_mutex_unlock(&g_t.lock);
    return n;
}

/* A task object from the free list or a new one; under the lock. */
static hb_task *task_new(void)
{
    hb_task *t = g_t.free_list;
    if (t) {
        g_t.free_list = t->next_q;
    } else {
        if (g_t.n_all == g_t.cap_all) {
            int cap = g_t.cap_all ? 2 * g_t.cap_all : 16;
            hb_task **a = realloc(g_t.all, (size_t)cap * sizeof *a);
            if (!a)
                return NULL;
            g_t.all = a;
            g_t.cap_all = cap;
        }
        if (!(t = calloc(1, sizeof *t)))
            return NULL;
        pthread_cond_init(&t->done_cv, NULL);
        g_t.all[g_t.n_all++] = t;
    }
    t->magic = HB_TASK_MAGIC;
    t->state = T_OPEN;
    t->n_jobs = 0;
    t->n_tens = 0;
    t->n_rois = 0;
    t->status = 0;
    t->bpu_us = 0;
    memset(&t->stats, 0, sizeof t->stats);
    t->clock_mhz = 0;
    t->est_us = 0;
    t->cb = NULL;
    t->cb_taken = 0;
    t->released = 0;
    g_t.live++;
    return t;
}

/* Grow *arr (of *cap elements of `size` bytes) to hold `need`; 0 or -1 (out of memory). */
static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = n;
    return 0;
}

/* Queue `batch` inferences of m as one task (or append them to the open task *taskHandle).
 * Inference b takes input[b * inputCount ..], the outputs with their buffers advanced by b
 * results (hb_model_output_need) and, with rois, rois[b * nres ..]. The tensors were checked. */
static int32_t submit(const char *fn, hbDNNTaskHandle_t *taskHandle, hb_model *m,
                      const hbDNNTensor *input, const hbDNNTensor *output, const hbDNNRoi *rois,
                      uint32_t nres, uint32_t batch, const hbDNNInferCtrlParam *ctrl)
{
    int32_t rc = 0;
    const uint32_t nin = m->bin->input_count, nout = m->bin->output_count;
    const size_t nt = (size_t)nin + nout;
    pthread_mutex_lock(&g_t.lock);
    hb_task *t;
    if (*taskHandle) {
        t = task_lookup(*taskHandle);
        if (!t) {
            rc = hb_dnn_fail(HB_DNN_INVALID_TASK_HANDLE,
                             "%s: *taskHandle is not a live task (set it to NULL for a new task)",
                             fn);
            goto out;
        }
        if (t->state != T_OPEN) {
            rc = hb_dnn_fail(HB_DNN_API_USE_ERROR,
                             "%s: the task was already submitted (append only after more = 1)", fn);
            goto out;
        }
        if (t->n_jobs + (int)batch > HB_TASK_MAX_JOBS) {
            rc = hb_dnn_fail(HB_DNN_TASK_BATCH_SIZE_EXCEED_LIMIT,
                             "%s: more than %d inferences appended to one task", fn,
                             HB_TASK_MAX_JOBS);
            goto out;
        }
    } else {
        if (g_t.live >= HB_TASK_MAX_LIVE) {
            rc = hb_dnn_fail(HB_DNN_TASK_NUM_EXCEED_LIMIT, "%s: %d tasks not yet released (limit)",
                             fn, g_t.live);
            goto out;
        }
        if (!(t = task_new())) {
            rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "%s: out of memory", fn);
            goto out;
        }
        t->priority = ctrl->priority;
        t->custom_id = ctrl->customId;
        t->seq = g_t.seq++;
    }
    if (grow((void **)&t->tens, &t->cap_tens, t->n_tens + nt * batch, sizeof *t->tens) != 0 ||
        (rois && grow((void **)&t->rois, &t->cap_rois, t->n_rois + (size_t)nres * batch,
                      sizeof *t->rois) != 0)) {
        if (!*taskHandle)
            task_recycle(t);
        rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "%s: out of memory", fn);
        goto out;
    }
    for (uint32_t b = 0; b < batch; b++) {
        job *jb = &t->jobs[t->n_jobs++];
        jb->m = m;
        jb->first = t->n_tens;
        jb->roi_first = -1;
        memcpy(&t->tens[t->n_tens], &input[(size_t)b * nin], nin * sizeof *input);
        hbDNNTensor *o = &t->tens[t->n_tens + nin];
        memcpy(o, output, nout * sizeof *output);
        for (uint32_t k = 0; k < nout && b > 0; k++) {
            uint64_t off = b * hb_model_output_need(m, &output[k], k);
            o[k].sysMem[0].phyAddr += off;
            o[k].sysMem[0].virAddr = (uint8_t *)o[k].sysMem[0].virAddr + off;
            o[k].sysMem[0].memSize -= (uint32_t)off;
        }
        t->n_tens += nt;
        if (rois) {
            jb->roi_first = (long)t->n_rois;
            memcpy(&t->rois[t->n_rois], &rois[(size_t)b * nres], nres * sizeof *rois);
            t->n_rois += nres;
        }
        t->est_us += m->estimate_us;
        m->active++;
    }
    if (!ctrl->more) {
        t->state = T_QUEUED;
        queue_insert(t);
        pthread_cond_signal(&g_t.work_cv);
    }
    *taskHandle = t;
out:
    pthread_mutex_unlock(&g_t.lock);
    return rc;
}

/* A live model handle and a valid priority; 0 or an hbDNNStatus code. */
static int32_t submit_args(const char *fn, hbDNNHandle_t dnnHandle, const hbDNNInferCtrlParam *ctrl,
                           hb_model **m)
{
    if (ctrl->priority < HB_DNN_PRIORITY_LOWEST || ctrl->priority > HB_DNN_PRIORITY_HIGHEST)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: priority %d not in 0..255", fn,
                           ctrl->priority);
    return hb_model_get(dnnHandle, fn, m);
}

int32_t hbDNNInfer(hbDNNTaskHandle_t *taskHandle, hbDNNTensor **output, const hbDNNTensor *input,
                   hbDNNHandle_t dnnHandle, hbDNNInferCtrlParam *inferCtrlParam)
{
    hb_model *m;
    int32_t rc;
    if (!taskHandle || !output || !*output || !input || !inferCtrlParam)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNInfer: NULL argument");
    if ((rc = submit_args("hbDNNInfer", dnnHandle, inferCtrlParam, &m)) != 0 ||
        (rc = hb_model_check_tensors(m, input, *output)) != 0)
        return rc;
    return submit("hbDNNInfer", taskHandle, m, input, *output, NULL, 0, 1, inferCtrlParam);
}

int32_t hbDNNWaitTaskDone(hbDNNTaskHandle_t taskHandle, int32_t timeout)
{
    int32_t rc = 0;
    struct timespec dl;
    if (timeout > 0) {
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += timeout / 1000;
        dl.tv_nsec += (long)(timeout % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&g_t.lock);
    hb_task *t = task_lookup(taskHandle);
    if (!t) {
        rc = hb_dnn_fail(HB_DNN_INVALID_TASK_HANDLE, "hbDNNWaitTaskDone: not a live task");
        goto out;
    }
    if (t->state == T_OPEN) {
        rc = hb_dnn_fail(HB_DNN_API_USE_ERROR, "hbDNNWaitTaskDone: the task was never submitted "
                                               "(its last hbDNNInfer had more = 1)");
        goto out;
    }
    while (t->state != T_DONE) {
        if (timeout > 0) {
            if (pthread_cond_timedwait(&t->done_cv, &g_t.lock, &dl) == ETIMEDOUT &&
                t->state != T_DONE) {
                rc =
                    hb_dnn_fail(HB_DNN_TIMEOUT, "hbDNNWaitTaskDone: not done after %d ms", timeout);
                goto out;
            }
        } else {
            pthread_cond_wait(&t->done_cv, &g_t.lock);
        }
    }
    rc = t->status;
out:
    pthread_mutex_unlock(&g_t.lock);
    return rc;
}

int32_t hbDNNReleaseTask(hbDNNTaskHandle_t taskHandle)
{
    int32_t rc = 0;
    pthread_mutex_lock(&g_t.lock);
    hb_task *t = task_lookup(taskHandle);
    if (!t) {
        rc = hb_dnn_fail(HB_DNN_INVALID_TASK_HANDLE, "hbDNNReleaseTask: not a live task");
    } else if (t->state == T_RUNNING) {
        t->released = 1; /* the worker recycles it when it finishes */
    } else {
        if (t->state == T_QUEUED)
            for (hb_task **pp = &g_t.queue; *pp; pp = &(*pp)->next_q)
                if (*pp == t) {
                    *pp = t->next_q;
                    break;
                }
        task_recycle(t);
    }
    pthread_mutex_unlock(&g_t.lock);
    return rc;
}

int32_t hbDNNSetTaskDoneCb(hbDNNTaskHandle_t taskHandle, hbDNNTaskDoneCb cb, void *userdata)
{
    int32_t rc = 0, call_now = 0, status = 0;
    pthread_mutex_lock(&g_t.lock);
    hb_task *t = task_lookup(taskHandle);
    if (!t) {
        rc = hb_dnn_fail(HB_DNN_INVALID_TASK_HANDLE, "hbDNNSetTaskDoneCb: not a live task");
    } else if (t->cb_taken) {
        /* the task already finished running: call it now, on this thread */
        call_now = 1;
        status = t->status;
    } else {
        t->cb = cb;
        t->cb_user = userdata;
    }
    pthread_mutex_unlock(&g_t.lock);
    if (call_now && cb)
        cb(taskHandle, status, userdata);
    return rc;
}

int32_t hbDNNGetTaskEstimateTime(int32_t *estimateTime, hbDNNTaskHandle_t taskHandle)
{
    int32_t rc = 0;
    if (!estimateTime)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetTaskEstimateTime: NULL argument");
    pthread_mutex_lock(&g_t.lock);
    hb_task *t = task_lookup(taskHandle);
    if (!t) {
        rc = hb_dnn_fail(HB_DNN_INVALID_TASK_HANDLE, "hbDNNGetTaskEstimateTime: not a live task");
    } else {
        /* modelled BPU time: counted by the simulator once done, the static estimate before */
        int64_t us = t->state == T_DONE && t->status == 0 ? t->bpu_us : t->est_us;
        *estimateTime = us > INT32_MAX ? INT32_MAX : (int32_t)us;
    }
    pthread_mutex_unlock(&g_t.lock);
    return rc;
}

int32_t hbDNNGetTaskEstimateStartTime(int32_t *estimateStartTime,
                                      hbDNNInferCtrlParam *inferCtrlParam)
{
    if (!estimateStartTime || !inferCtrlParam)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetTaskEstimateStartTime: NULL");
    /* modelled: BPU time of the queued tasks that would run first, spread over the workers */
    int64_t us = 0;
    pthread_mutex_lock(&g_t.lock);
    for (hb_task *t = g_t.queue; t; t = t->next_q)
        if (t->priority > inferCtrlParam->priority ||
            (t->priority == inferCtrlParam->priority && t->custom_id <= inferCtrlParam->customId))
            us += t->est_us;
    int w = g_t.n_workers > 0 ? g_t.n_workers : 1;
    pthread_mutex_unlock(&g_t.lock);
    us /= w;
    *estimateStartTime = us > INT32_MAX ? INT32_MAX : (int32_t)us;
    return 0;
}

int32_t hbDNNRoiInfer(hbDNNTaskHandle_t *taskHandle, hbDNNTensor **output, const hbDNNTensor *input,
                      hbDNNRoi *rois, int32_t roiCount, hbDNNHandle_t dnnHandle,
                      hbDNNInferCtrlParam *inferCtrlParam)
{
    hb_model *m;
    int32_t rc;
    if (!taskHandle || !output || !*output || !input || !rois || !inferCtrlParam)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNRoiInfer: NULL argument");
    if ((rc = submit_args("hbDNNRoiInfer", dnnHandle, inferCtrlParam, &m)) != 0)
        return rc;
    const uint32_t nin = m->bin->input_count;
    uint32_t nres = 0;
    for (uint32_t i = 0; i < nin; i++)
        nres += (uint32_t)hb_roi_is_resizer(m->bin, i);
    if (nres == 0)
        return hb_dnn_fail(HB_DNN_API_USE_ERROR,
                           "hbDNNRoiInfer: model '%s' has no resizer input (input_source "
                           "resizer); use hbDNNInfer",
                           m->bin->name);
    if (roiCount <= 0 || roiCount % (int32_t)nres != 0 ||
        roiCount / (int32_t)nres > HB_TASK_MAX_JOBS)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNRoiInfer: roiCount %d must be batch x %u (the model's resizer "
                           "inputs) with batch 1..%d",
                           roiCount, nres, HB_TASK_MAX_JOBS);
    const uint32_t batch = (uint32_t)roiCount / nres;
    for (uint32_t b = 0; b < batch && !rc; b++) /* the log line names the input */
        rc = hb_model_check_inputs(m, &input[(size_t)b * nin], &rois[(size_t)b * nres]);
    if (rc)
        return rc;
    if ((rc = hb_model_check_outputs(m, *output, batch)) != 0)
        return rc;
    return submit("hbDNNRoiInfer", taskHandle, m, input, *output, rois, nres, batch,
                  inferCtrlParam);
}

int32_t hbDNNResize(hbDNNTaskHandle_t *taskHandle, hbDNNTensor *output, const hbDNNTensor *input,
                    const hbDNNRoi *roi, hbDNNResizeCtrlParam *resizeCtrlParam)
{
    int32_t rc;
    if (!taskHandle || !output || !input || !resizeCtrlParam)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNResize: NULL argument");
    if (*taskHandle)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNResize: *taskHandle must be NULL");
    if (resizeCtrlParam->resizeType != HB_DNN_RESIZE_TYPE_BILINEAR ||
        resizeCtrlParam->priority < HB_DNN_PRIORITY_LOWEST ||
        resizeCtrlParam->priority > HB_DNN_PRIORITY_HIGHEST)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNResize: resizeType %d (only BILINEAR, 0) or priority %d (0..255)",
                           (int)resizeCtrlParam->resizeType, resizeCtrlParam->priority);
    /* The resize runs here, on the calling thread (resize.h); the task handed back is already
     * done, so hbDNNWaitTaskDone returns at once and a done callback set later runs on the
     * caller's thread, as for any finished task. */
    if ((rc = hb_resize_run(output, input, roi)) != 0)
        return rc;
    pthread_mutex_lock(&g_t.lock);
    hb_task *t = NULL;
    if (g_t.live >= HB_TASK_MAX_LIVE)
        rc = hb_dnn_fail(HB_DNN_TASK_NUM_EXCEED_LIMIT,
                         "hbDNNResize: %d tasks not yet released (limit)", g_t.live);
    else if (!(t = task_new()))
        rc = hb_dnn_fail(HB_DNN_OUT_OF_MEMORY, "hbDNNResize: out of memory");
    if (t) {
        t->priority = resizeCtrlParam->priority;
        t->seq = g_t.seq++;
        t->state = T_DONE;
        t->cb_taken = 1;
        *taskHandle = t;
    }
    pthread_mutex_unlock(&g_t.lock);
    return rc;
}

int32_t hbDNNGetTaskBpuCounters(hbDNNTaskBpuCounters *counters, hbDNNTaskHandle_t taskHandle)
{
    int32_t rc = 0;
    if (!counters)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetTaskBpuCounters: NULL argument");
    pthread_mutex_lock(&g_t.lock);
    hb_task *t = task_lookup(taskHandle);
    if (!t) {
        rc = hb_dnn_fail(HB_DNN_INVALID_TASK_HANDLE, "hbDNNGetTaskBpuCounters: not a live task");
    } else if (t->state != T_DONE || t->status != 0) {
        rc = hb_dnn_fail(HB_DNN_API_USE_ERROR,
                         "hbDNNGetTaskBpuCounters: the task has %s; counters exist once it has "
                         "finished successfully",
                         t->state != T_DONE ? "not finished" : "failed");
    } else {
        counters->cycles = t->stats.cycles;
        counters->macs = t->stats.macs;
        counters->ddrLoadBytes = t->stats.ddr_load_bytes;
        counters->ddrStoreBytes = t->stats.ddr_store_bytes;
        counters->bpuSteps = t->stats.steps;
        counters->clockMhz = t->clock_mhz;
    }
    pthread_mutex_unlock(&g_t.lock);
    return rc;
}
