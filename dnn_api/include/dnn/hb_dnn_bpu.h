/* Extensions of this toolchain to the DNN API (not in the reference API; docs/runtime-api.md):
 * which backend runs a model's BPU steps, and the modelled BPU counters of a finished task.
 * Every figure here is modelled BPU work (the simulator's cycle model), never host time. */
#ifndef HB_DNN_BPU_H
#define HB_DNN_BPU_H

#include <stdint.h>

#include "dnn/hb_dnn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Modelled BPU counters of a task: sums over every BPU step of every inference the task ran. */
typedef struct hbDNNTaskBpuCounters {
    uint64_t cycles;        /* modelled BPU cycles */
    uint64_t macs;          /* multiply-accumulates of the CONV instructions */
    uint64_t ddrLoadBytes;  /* bytes the BPU read from DDR (LOAD) */
    uint64_t ddrStoreBytes; /* bytes the BPU wrote to DDR (STORE) */
    uint32_t bpuSteps;      /* BPU programs run */
    uint32_t clockMhz;      /* BPU clock of the cycles; 0 when the task mixed marches */
} hbDNNTaskBpuCounters;

/* Counters of a task that finished successfully (hbDNNWaitTaskDone returned 0). A task not yet
 * done, or failed, gives HB_DNN_API_USE_ERROR; a stale handle HB_DNN_INVALID_TASK_HANDLE. */
int32_t hbDNNGetTaskBpuCounters(hbDNNTaskBpuCounters *counters, hbDNNTaskHandle_t taskHandle);

/* Name of the backend running the BPU steps of a model: "sim" (the instruction-level simulator
 * with its cycle model; HB_DNN_SIM_TRACE traces it) or "board" (the same executor without the
 * cycle model, the default of aarch64 builds). Chosen at load by HB_DNN_BACKEND. *name is
 * library-owned. */
int32_t hbDNNGetBackendName(const char **name, hbDNNHandle_t dnnHandle);

#ifdef __cplusplus
}
#endif

#endif
