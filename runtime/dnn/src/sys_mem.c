/* hb_sys.h: BPU-visible memory with a modelled CPU data cache (see mem_registry.h).
 *
 * Cached buffers keep three copies: the CPU view (virAddr), the device view, and `synced`, the
 * CPU view as of the last synchronisation. A 64-byte line whose CPU view differs from `synced` is
 * a dirty cache line: CLEAN writes exactly those lines to the device (as a write-back cache would,
 * so a CLEAN never overwrites device results in lines the CPU did not touch); INVALIDATE drops
 * every line and reloads the CPU view from the device. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_sys.h"
#include "mem_registry.h"

#define MEM_LINE 64u /* modelled cache line and allocation alignment, bytes */

typedef enum mem_kind {
    MEM_PLAIN,     /* hbSysAllocMem: one view, owned */
    MEM_CACHED,    /* hbSysAllocCachedMem: CPU, device and synced copies, owned */
    MEM_REGISTERED /* hbSysRegisterMem: CPU view is the caller's, device and synced ours */
} mem_kind;

typedef struct mem_buf {
    uint64_t phy;     /* start of the simulated physical range */
    uint32_t size;    /* bytes */
    mem_kind kind;    /* who owns which view */
    uint8_t *cpu;     /* CPU view (== hbSysMem.virAddr at allocation) */
    uint8_t *dev;     /* device view (== cpu for MEM_PLAIN) */
    uint8_t *synced;  /* CPU view at the last flush (NULL for MEM_PLAIN) */
    int device_dirty; /* device wrote since the last INVALIDATE */
} mem_buf;

/* All live buffers, sorted by phy (addresses only grow, so appending keeps the order). */
static struct {
    pthread_mutex_t lock;
    mem_buf **bufs;
    size_t count, cap;
    uint64_t next_phy; /* next free simulated physical address */
    uint64_t total;    /* bytes of live buffers, for the HB_DNN_SIM_BPU_MEM_SIZE cap */
} g_mem = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, HB_MEM_PHY_BASE, 0};

static uint64_t round_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

/* Cap on live BPU memory from HB_DNN_SIM_BPU_MEM_SIZE (decimal MiB, 1 .. 1048576). Unset: none.
 * A malformed value is refused rather than silently ignored. */
static int32_t mem_cap(uint64_t *cap)
{
    const char *s = getenv("HB_DNN_SIM_BPU_MEM_SIZE");
    uint64_t mb = 0;
    if (!s || !*s) {
        *cap = UINT64_MAX;
        return HB_SYS_SUCCESS;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || mb > (1u << 20))
            return HB_SYS_INVALID_ARGUMENT;
        mb = mb * 10 + (uint64_t)(*s - '0');
    }
    if (mb == 0 || mb > (1u << 20))
        return HB_SYS_INVALID_ARGUMENT;
    *cap = mb << 20;
    return HB_SYS_SUCCESS;
}

/* Index of the buffer containing [phy, phy + len), or -1. Caller holds the lock. */
static long mem_find(uint64_t phy, uint64_t len)
{
    size_t lo = 0, hi = g_mem.count;
    if (len == 0)
        return -1;
    while (lo < hi) { /* first buffer with start > phy */
        size_t mid = lo + (hi - lo) / 2;
        if (g_mem.bufs[mid]->phy <= phy)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return -1;
    const mem_buf *b = g_mem.bufs[lo - 1];
    if (phy - b->phy > b->size || len > b->size - (phy - b->phy))
        return -1;
    return (long)(lo - 1);
}

/* The buffer and byte offset an hbSysMem from the caller describes: its phy range lies inside one
 * buffer and its virAddr points at the same offset of the CPU view. Caller holds the lock. */
static mem_buf *mem_of(const hbSysMem *mem, uint32_t *off)
{
    long i;
    if (!mem || !mem->virAddr || mem->memSize == 0)
        return NULL;
    i = mem_find(mem->phyAddr, mem->memSize);
    if (i < 0)
        return NULL;
    mem_buf *b = g_mem.bufs[i];
    *off = (uint32_t)(mem->phyAddr - b->phy);
    if ((uint8_t *)mem->virAddr != b->cpu + *off)
        return NULL;
    return b;
}

static void mem_buf_free(mem_buf *b)
{
    if (!b)
        return;
    if (b->kind != MEM_REGISTERED)
        free(b->cpu);
    if (b->kind != MEM_PLAIN) {
        free(b->dev);
        free(b->synced);
    }
    free(b);
}

static uint8_t *mem_zalloc(uint32_t size)
{
    size_t n = (size_t)round_up(size, MEM_LINE);
    uint8_t *p = aligned_alloc(MEM_LINE, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* 1 if the CPU view of b overlaps that of a live buffer. Caller holds the lock. */
static int mem_cpu_overlaps(const mem_buf *b)
{
    uintptr_t a = (uintptr_t)b->cpu;
    for (size_t i = 0; i < g_mem.count; i++) {
        uintptr_t oa = (uintptr_t)g_mem.bufs[i]->cpu;
        if (a < oa + g_mem.bufs[i]->size && oa < a + b->size)
            return 1;
    }
    return 0;
}

/* Give b a physical range and add it to the registry; *mem describes it on success. Registered
 * memory (caller-owned CPU view) must not overlap a known buffer: checked under the same lock as
 * the insertion so two threads cannot register the same bytes. */
static int32_t mem_insert(mem_buf *b, hbSysMem *mem)
{
    int32_t rc = HB_SYS_SUCCESS;
    uint64_t cap, span = round_up(b->size, HB_MEM_PAGE) + HB_MEM_PAGE;
    rc = mem_cap(&cap);
    if (rc != HB_SYS_SUCCESS)
        return rc;
    pthread_mutex_lock(&g_mem.lock);
    if (b->kind == MEM_REGISTERED && mem_cpu_overlaps(b)) {
        rc = HB_SYS_REGISTER_MEM_FAILED;
        goto out;
    }
    if (b->size > cap || g_mem.total > cap - b->size || g_mem.next_phy > UINT64_MAX - span) {
        rc = HB_SYS_OUT_OF_MEMORY;
        goto out;
    }
    if (g_mem.count == g_mem.cap) {
        size_t ncap = g_mem.cap ? g_mem.cap * 2 : 64;
        mem_buf **nb = realloc(g_mem.bufs, ncap * sizeof *nb);
        if (!nb) {
            rc = HB_SYS_OUT_OF_MEMORY;
            goto out;
        }
        g_mem.bufs = nb;
        g_mem.cap = ncap;
    }
    b->phy = g_mem.next_phy;
    g_mem.next_phy += span;
    g_mem.bufs[g_mem.count++] = b;
    g_mem.total += b->size;
    mem->phyAddr = b->phy;
    mem->virAddr = b->cpu;
    mem->memSize = b->size;
out:
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}

static int32_t mem_alloc(hbSysMem *mem, uint32_t size, mem_kind kind)
{
    int32_t rc = HB_SYS_SUCCESS;
    mem_buf *b = NULL;
    if (!mem || size == 0)
        return HB_SYS_INVALID_ARGUMENT;
    b = calloc(1, sizeof *b);
    if (!b) {
        rc = HB_SYS_OUT_OF_MEMORY;
        goto out;
    }
    b->kind = kind;
    b->size = size;
    b->cpu = mem_zalloc(size);
    if (kind == MEM_CACHED) {
        b->dev = mem_zalloc(size);
        b->synced = mem_zalloc(size);
    } else {
        b->dev = b->cpu;
    }
    if (!b->cpu || !b->dev || (kind == MEM_CACHED && !b->synced)) {
        rc = HB_SYS_OUT_OF_MEMORY;
        goto out;
    }
    rc = mem_insert(b, mem);
out:
    if (rc != HB_SYS_SUCCESS)
        mem_buf_free(b);
    return rc;
}

int32_t hbSysAllocMem(hbSysMem *mem, uint32_t size)
{
    return mem_alloc(mem, size, MEM_PLAIN);
}

int32_t hbSysAllocCachedMem(hbSysMem *mem, uint32_t size)
{
    return mem_alloc(mem, size, MEM_CACHED);
}

/* CLEAN: write the CPU-dirty lines of [off, off + len) to the device. */
static void mem_clean(mem_buf *b, uint32_t off, uint32_t len)
{
    uint32_t end = off + len;
    for (uint32_t p = off; p < end;) {
        uint32_t n = MEM_LINE - p % MEM_LINE;
        if (n > end - p)
            n = end - p;
        if (memcmp(b->cpu + p, b->synced + p, n) != 0) {
            memcpy(b->dev + p, b->cpu + p, n);
            memcpy(b->synced + p, b->cpu + p, n);
        }
        p += n;
    }
}

int32_t hbSysFlushMem(hbSysMem *mem, int32_t flag)
{
    int32_t rc = HB_SYS_SUCCESS;
    uint32_t off = 0;
    mem_buf *b;
    if (flag != HB_SYS_MEM_CACHE_CLEAN && flag != HB_SYS_MEM_CACHE_INVALIDATE)
        return HB_SYS_INVALID_ARGUMENT;
    pthread_mutex_lock(&g_mem.lock);
    b = mem_of(mem, &off);
    if (!b) {
        rc = HB_SYS_INVALID_ARGUMENT;
        goto out;
    }
    if (b->kind == MEM_PLAIN)
        goto out;
    if (flag == HB_SYS_MEM_CACHE_CLEAN) {
        mem_clean(b, off, mem->memSize);
    } else {
        memcpy(b->cpu + off, b->dev + off, mem->memSize);
        memcpy(b->synced + off, b->dev + off, mem->memSize);
        if (off == 0 && mem->memSize == b->size)
            b->device_dirty = 0;
    }
out:
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}

int32_t hbSysWriteMem(hbSysMem *dest, char *src, uint32_t size)
{
    int32_t rc = HB_SYS_SUCCESS;
    uint32_t off = 0;
    pthread_mutex_lock(&g_mem.lock);
    if (!src || size == 0 || !mem_of(dest, &off) || size > dest->memSize)
        rc = HB_SYS_INVALID_ARGUMENT;
    else
        memcpy(dest->virAddr, src, size);
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}

int32_t hbSysReadMem(char *dest, hbSysMem *src, uint32_t size)
{
    int32_t rc = HB_SYS_SUCCESS;
    uint32_t off = 0;
    pthread_mutex_lock(&g_mem.lock);
    if (!dest || size == 0 || !mem_of(src, &off) || size > src->memSize)
        rc = HB_SYS_INVALID_ARGUMENT;
    else
        memcpy(dest, src->virAddr, size);
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}

/* Remove the buffer that *mem describes exactly (whole range). Returns it, or NULL. */
static mem_buf *mem_remove(const hbSysMem *mem)
{
    uint32_t off = 0;
    mem_buf *b = mem_of(mem, &off);
    if (!b || off != 0 || mem->memSize != b->size)
        return NULL;
    for (size_t i = 0; i < g_mem.count; i++) {
        if (g_mem.bufs[i] == b) {
            memmove(&g_mem.bufs[i], &g_mem.bufs[i + 1], (g_mem.count - i - 1) * sizeof b);
            g_mem.count--;
            g_mem.total -= b->size;
            break;
        }
    }
    return b;
}

int32_t hbSysFreeMem(hbSysMem *mem)
{
    int32_t rc = HB_SYS_SUCCESS;
    uint32_t off = 0;
    mem_buf *b = NULL;
    pthread_mutex_lock(&g_mem.lock);
    b = mem_of(mem, &off);
    if (!b || b->kind == MEM_REGISTERED) {
        b = NULL;
        rc = HB_SYS_INVALID_ARGUMENT;
        goto out;
    }
    b = mem_remove(mem);
    if (!b)
        rc = HB_SYS_INVALID_ARGUMENT;
out:
    pthread_mutex_unlock(&g_mem.lock);
    if (b) {
        mem_buf_free(b);
        memset(mem, 0, sizeof *mem);
    }
    return rc;
}

int32_t hbSysRegisterMem(hbSysMem *mem)
{
    int32_t rc = HB_SYS_SUCCESS;
    mem_buf *b = NULL;
    if (!mem || !mem->virAddr || mem->memSize == 0)
        return HB_SYS_INVALID_ARGUMENT;
    b = calloc(1, sizeof *b);
    if (!b) {
        rc = HB_SYS_OUT_OF_MEMORY;
        goto out;
    }
    b->kind = MEM_REGISTERED;
    b->size = mem->memSize;
    b->cpu = mem->virAddr;
    b->dev = mem_zalloc(b->size);
    b->synced = mem_zalloc(b->size);
    if (!b->dev || !b->synced) {
        rc = HB_SYS_OUT_OF_MEMORY;
        goto out;
    }
    /* The caller's memory already holds data: both copies start equal to it (nothing dirty). */
    memcpy(b->dev, b->cpu, b->size);
    memcpy(b->synced, b->cpu, b->size);
    rc = mem_insert(b, mem);
out:
    if (rc != HB_SYS_SUCCESS)
        mem_buf_free(b);
    return rc;
}

int32_t hbSysUnregisterMem(hbSysMem *mem)
{
    int32_t rc = HB_SYS_SUCCESS;
    uint32_t off = 0;
    mem_buf *b = NULL;
    if (!mem)
        return HB_SYS_INVALID_ARGUMENT;
    pthread_mutex_lock(&g_mem.lock);
    b = mem_of(mem, &off);
    if (!b || b->kind != MEM_REGISTERED) {
        b = NULL;
        rc = HB_SYS_REGISTER_MEM_FAILED;
        goto out;
    }
    b = mem_remove(mem);
    if (!b)
        rc = HB_SYS_REGISTER_MEM_FAILED;
out:
    pthread_mutex_unlock(&g_mem.lock);
    if (b) {
        mem_buf_free(b);
        mem->phyAddr = 0;
    }
    return rc;
}

int32_t hb_mem_resolve(uint64_t phy, uint64_t len, hb_mem_range *out)
{
    int32_t rc = HB_SYS_SUCCESS;
    long i;
    if (!out)
        return HB_SYS_INVALID_ARGUMENT;
    pthread_mutex_lock(&g_mem.lock);
    i = mem_find(phy, len);
    if (i < 0) {
        rc = HB_SYS_INVALID_ARGUMENT;
        goto out;
    }
    const mem_buf *b = g_mem.bufs[i];
    out->cpu = b->cpu + (phy - b->phy);
    out->dev = b->dev + (phy - b->phy);
    out->cached = b->kind != MEM_PLAIN;
out:
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}

int32_t hb_mem_written_without_clean(uint64_t phy, uint64_t len)
{
    int32_t rc = 0;
    long i;
    pthread_mutex_lock(&g_mem.lock);
    i = mem_find(phy, len);
    if (i < 0) {
        rc = HB_SYS_INVALID_ARGUMENT;
        goto out;
    }
    const mem_buf *b = g_mem.bufs[i];
    if (b->kind != MEM_PLAIN)
        rc = memcmp(b->cpu + (phy - b->phy), b->synced + (phy - b->phy), (size_t)len) != 0;
out:
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}

int32_t hb_mem_device_wrote(uint64_t phy, uint64_t len)
{
    int32_t rc = HB_SYS_SUCCESS;
    long i;
    pthread_mutex_lock(&g_mem.lock);
    i = mem_find(phy, len);
    if (i < 0)
        rc = HB_SYS_INVALID_ARGUMENT;
    else if (g_mem.bufs[i]->kind != MEM_PLAIN)
        g_mem.bufs[i]->device_dirty = 1;
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}

int32_t hb_mem_needs_invalidate(uint64_t phy)
{
    int32_t rc;
    long i;
    pthread_mutex_lock(&g_mem.lock);
    i = mem_find(phy, 1);
    rc = i < 0 ? HB_SYS_INVALID_ARGUMENT : g_mem.bufs[i]->device_dirty;
    pthread_mutex_unlock(&g_mem.lock);
    return rc;
}
