/* The registry of BPU-visible buffers behind hb_sys.h (private to libdnn).
 *
 * Every buffer has a simulated physical address range [phy, phy + size) in a 64-bit BPU address
 * space, a CPU view (hbSysMem.virAddr) and a device view (what a backend reads and writes). For
 * cached buffers the views are separate copies synchronised only by hbSysFlushMem, so a missing
 * CLEAN or INVALIDATE shows up as stale data, as it would on hardware, and can be diagnosed. */
#ifndef HB_DNN_MEM_REGISTRY_H
#define HB_DNN_MEM_REGISTRY_H

#include <stdint.h>

/* First simulated physical address; buffers are placed upwards from here, page aligned, with an
 * unmapped guard page between neighbours so an overrun never lands in another buffer. */
#define HB_MEM_PHY_BASE 0x80000000ull
#define HB_MEM_PAGE     4096ull

/* A resolved range of one buffer. Pointers stay valid until the buffer is freed. */
typedef struct hb_mem_range {
    uint8_t *cpu; /* CPU view of the first byte of the range */
    uint8_t *dev; /* device view of the first byte (== cpu for non-cached buffers) */
    int cached;   /* 1: separate views (hbSysAllocCachedMem / hbSysRegisterMem) */
} hb_mem_range;

/* Resolve [phy, phy + len) (len >= 1) to one live buffer. Returns 0, or HB_SYS_INVALID_ARGUMENT
 * if the range is not entirely inside one buffer. */
int32_t hb_mem_resolve(uint64_t phy, uint64_t len, hb_mem_range *out);

/* 1 if the CPU view of [phy, phy + len) differs from the device view, i.e. the CPU wrote input
 * data without hbSysFlushMem(CLEAN); 0 if they agree or the buffer is not cached; negative
 * HB_SYS_INVALID_ARGUMENT for an unknown range. */
int32_t hb_mem_written_without_clean(uint64_t phy, uint64_t len);

/* Record that the device wrote [phy, phy + len); hb_mem_needs_invalidate then reports 1 until the
 * CPU calls hbSysFlushMem(INVALIDATE) on the buffer. */
int32_t hb_mem_device_wrote(uint64_t phy, uint64_t len);

/* 1 if the device wrote the buffer holding phy since the last INVALIDATE (cached buffers), 0 if
 * not, negative HB_SYS_INVALID_ARGUMENT for an unknown address. */
int32_t hb_mem_needs_invalidate(uint64_t phy);

#endif
