/* hb_sys.h: BPU-visible memory of the DNN runtime API.
 *
 * Written by this project from the public description of the Horizon Robotics / D-Robotics
 * `dnn/hb_sys.h` (names, signatures, values); see docs/runtime-api.md. All functions return
 * int32_t: 0 (HB_SYS_SUCCESS) on success, a negative hbSysStatus or hbDNNStatus code otherwise.
 *
 * Memory model of this implementation: every buffer has a "device view" (what the BPU reads and
 * writes) and a "CPU view" (virAddr). For cached buffers the two are distinct copies, and only
 * hbSysFlushMem moves data between them, exactly as a data cache would: CLEAN pushes CPU writes to
 * the device, INVALIDATE makes device writes visible to the CPU. Non-cached buffers have a single
 * view and flushing them is a no-op. */
#ifndef DNN_HB_SYS_H
#define DNN_HB_SYS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* BPU core selection (hbDNNInferCtrlParam.bpuCoreId). Values are bit masks of cores. */
typedef enum {
    HB_BPU_CORE_ANY = 0, /* let the runtime choose a core */
    HB_BPU_CORE_0 = 1,   /* first BPU core */
    HB_BPU_CORE_1 = 2    /* second BPU core (marches with two cores) */
} hbBPUCore;

/* DSP core selection (hbDNNInferCtrlParam.dspCoreId); a placeholder on marches without a DSP. */
typedef enum {
    HB_DSP_CORE_ANY = 0, /* let the runtime choose */
    HB_DSP_CORE_0 = 1,   /* first DSP core */
    HB_DSP_CORE_1 = 2    /* second DSP core */
} hbDSPCore;

/* One BPU-visible buffer. Filled by hbSysAlloc*Mem; the caller owns the struct, the runtime owns
 * the memory it describes until hbSysFreeMem. The struct may be copied (e.g. into
 * hbDNNTensor.sysMem); the runtime finds the buffer again by its phyAddr. */
typedef struct {
    uint64_t phyAddr; /* address of the buffer in the BPU's (simulated) address space */
    void *virAddr;    /* CPU address of the buffer (the CPU view) */
    uint32_t memSize; /* size in bytes, as requested at allocation */
} hbSysMem;

/* hbSysFlushMem directions. */
typedef enum {
    HB_SYS_MEM_CACHE_INVALIDATE = 1, /* device -> CPU: call before the CPU reads BPU output */
    HB_SYS_MEM_CACHE_CLEAN = 2       /* CPU -> device: call after the CPU wrote BPU input */
} hbSysMemFlushFlag;

/* Status codes of the hbSys* functions (besides 0 = success). */
typedef enum {
    HB_SYS_SUCCESS = 0,                   /* no error */
    HB_SYS_INVALID_ARGUMENT = -6000129,   /* NULL pointer, zero/over-long size, unknown buffer */
    HB_SYS_OUT_OF_MEMORY = -6000130,      /* host allocation or HB_DNN_SIM_BPU_MEM_SIZE cap */
    HB_SYS_REGISTER_MEM_FAILED = -6000131 /* hbSysRegisterMem/UnregisterMem refused the buffer */
} hbSysStatus;

/* Allocate `size` bytes (1 .. UINT32_MAX) of non-cached BPU memory, zero-filled, 64-byte aligned.
 * Fills *mem. Free with hbSysFreeMem. */
int32_t hbSysAllocMem(hbSysMem *mem, uint32_t size);

/* Allocate `size` bytes of cached BPU memory, zero-filled (both views), 64-byte aligned. The CPU
 * must call hbSysFlushMem(CLEAN) after writing and hbSysFlushMem(INVALIDATE) before reading data
 * the BPU wrote. Free with hbSysFreeMem. */
int32_t hbSysAllocCachedMem(hbSysMem *mem, uint32_t size);

/* Synchronise the CPU and device views of the whole buffer described by *mem (flag is one
 * hbSysMemFlushFlag). No-op for non-cached buffers. */
int32_t hbSysFlushMem(hbSysMem *mem, int32_t flag);

/* Copy `size` bytes (<= dest->memSize) from the caller's `src` into the CPU view of *dest. Cached
 * buffers still need hbSysFlushMem(CLEAN) before the BPU sees the data. */
int32_t hbSysWriteMem(hbSysMem *dest, char *src, uint32_t size);

/* Copy `size` bytes (<= src->memSize) from the CPU view of *src into the caller's `dest`. Cached
 * buffers need hbSysFlushMem(INVALIDATE) first to see BPU writes. */
int32_t hbSysReadMem(char *dest, hbSysMem *src, uint32_t size);

/* Release a buffer from hbSysAlloc*Mem; *mem is zeroed. Registered buffers are refused
 * (use hbSysUnregisterMem). */
int32_t hbSysFreeMem(hbSysMem *mem);

/* Deprecated in the original API. Make caller-owned memory (virAddr, memSize set by the caller;
 * phyAddr ignored) usable by the BPU as a cached buffer; sets mem->phyAddr. The caller keeps
 * ownership of virAddr and must call hbSysUnregisterMem before freeing it. */
int32_t hbSysRegisterMem(hbSysMem *mem);

/* Deprecated in the original API. Undo hbSysRegisterMem; the caller's memory is left untouched. */
int32_t hbSysUnregisterMem(hbSysMem *mem);

#ifdef __cplusplus
}
#endif

#endif /* DNN_HB_SYS_H */
