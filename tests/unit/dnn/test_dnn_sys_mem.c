/* hb_sys.h memory functions and the cache model behind them (runtime/dnn/src/mem_registry.h). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_sys.h"
#include "mem_registry.h"

static int all_equal(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void test_bad_arguments(void **state)
{
    (void)state;
    hbSysMem m, bogus;
    char buf[8] = {0};
    assert_int_equal(hbSysAllocMem(NULL, 16), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysAllocMem(&m, 0), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysAllocCachedMem(&m, 0), HB_SYS_INVALID_ARGUMENT);
    memset(&bogus, 0, sizeof bogus);
    bogus.phyAddr = 0x1000;
    bogus.virAddr = buf;
    bogus.memSize = sizeof buf;
    assert_int_equal(hbSysFreeMem(&bogus), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysFreeMem(NULL), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysFlushMem(&bogus, HB_SYS_MEM_CACHE_CLEAN), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysWriteMem(&bogus, buf, 1), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysReadMem(buf, &bogus, 1), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysUnregisterMem(&bogus), HB_SYS_REGISTER_MEM_FAILED);
    assert_int_equal(hbSysRegisterMem(NULL), HB_SYS_INVALID_ARGUMENT);
}

static void test_plain_memory(void **state)
{
    (void)state;
    hbSysMem a, b, copy;
    char in[100], out[100];
    hb_mem_range r;
    assert_int_equal(hbSysAllocMem(&a, 100), HB_SYS_SUCCESS);
    assert_int_equal(hbSysAllocMem(&b, 5000), HB_SYS_SUCCESS);
    assert_int_equal(a.memSize, 100);
    assert_true(a.phyAddr >= HB_MEM_PHY_BASE);
    assert_int_equal(a.phyAddr % HB_MEM_PAGE, 0);
    assert_int_equal((uintptr_t)a.virAddr % 64, 0);
    assert_true(all_equal(a.virAddr, 100, 0));
    /* Page-aligned ranges with a guard page between neighbours. */
    assert_true(b.phyAddr >= a.phyAddr + HB_MEM_PAGE + 100);
    for (int i = 0; i < 100; i++)
        in[i] = (char)(i * 7);
    assert_int_equal(hbSysWriteMem(&a, in, 100), HB_SYS_SUCCESS);
    assert_int_equal(hbSysWriteMem(&a, in, 101), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysReadMem(out, &a, 100), HB_SYS_SUCCESS);
    assert_memory_equal(in, out, 100);
    /* One view: the device sees CPU writes at once; flushing is accepted and changes nothing. */
    assert_int_equal(hb_mem_resolve(a.phyAddr, 100, &r), HB_SYS_SUCCESS);
    assert_int_equal(r.cached, 0);
    assert_ptr_equal(r.dev, a.virAddr);
    assert_int_equal(hbSysFlushMem(&a, HB_SYS_MEM_CACHE_CLEAN), HB_SYS_SUCCESS);
    assert_int_equal(hb_mem_written_without_clean(a.phyAddr, 100), 0);
    /* Ranges must lie inside one buffer. */
    assert_int_equal(hb_mem_resolve(a.phyAddr + 99, 1, &r), HB_SYS_SUCCESS);
    assert_int_equal(hb_mem_resolve(a.phyAddr + 99, 2, &r), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hb_mem_resolve(a.phyAddr + 100, 1, &r), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hb_mem_resolve(a.phyAddr - 1, 1, &r), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hb_mem_resolve(a.phyAddr, 0, &r), HB_SYS_INVALID_ARGUMENT);
    /* Free zeroes the caller's struct; a stale copy is refused afterwards. */
    copy = a;
    assert_int_equal(hbSysFreeMem(&a), HB_SYS_SUCCESS);
    assert_null(a.virAddr);
    assert_int_equal(a.memSize, 0);
    assert_int_equal(hbSysFreeMem(&copy), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hb_mem_resolve(copy.phyAddr, 1, &r), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysFreeMem(&b), HB_SYS_SUCCESS);
}

static void test_cached_clean_and_invalidate(void **state)
{
    (void)state;
    hbSysMem m;
    hb_mem_range r;
    uint8_t *cpu;
    assert_int_equal(hbSysAllocCachedMem(&m, 256), HB_SYS_SUCCESS);
    assert_int_equal(hb_mem_resolve(m.phyAddr, 256, &r), HB_SYS_SUCCESS);
    assert_int_equal(r.cached, 1);
    assert_ptr_not_equal(r.dev, r.cpu);
    cpu = m.virAddr;
    /* CPU writes input; without CLEAN the device still sees zeros and the write is detected. */
    memset(cpu, 0x11, 64);
    assert_int_equal(hb_mem_written_without_clean(m.phyAddr, 256), 1);
    assert_int_equal(hb_mem_written_without_clean(m.phyAddr + 64, 192), 0);
    assert_true(all_equal(r.dev, 256, 0));
    assert_int_equal(hbSysFlushMem(&m, HB_SYS_MEM_CACHE_CLEAN), HB_SYS_SUCCESS);
    assert_int_equal(hb_mem_written_without_clean(m.phyAddr, 256), 0);
    assert_true(all_equal(r.dev, 64, 0x11));
    /* The device writes line 2; the CPU writes line 0 again and cleans: line 2 keeps the device's
     * data because the CPU never touched it (write-back of dirty lines only). */
    memset(r.dev + 128, 0x22, 64);
    assert_int_equal(hb_mem_device_wrote(m.phyAddr + 128, 64), HB_SYS_SUCCESS);
    assert_int_equal(hb_mem_needs_invalidate(m.phyAddr), 1);
    memset(cpu, 0x33, 64);
    assert_int_equal(hbSysFlushMem(&m, HB_SYS_MEM_CACHE_CLEAN), HB_SYS_SUCCESS);
    assert_true(all_equal(r.dev, 64, 0x33));
    assert_true(all_equal(r.dev + 128, 64, 0x22));
    /* Before INVALIDATE the CPU view is stale; after it the CPU sees the device's data. */
    assert_true(all_equal(cpu + 128, 64, 0));
    assert_int_equal(hbSysFlushMem(&m, HB_SYS_MEM_CACHE_INVALIDATE), HB_SYS_SUCCESS);
    assert_true(all_equal(cpu + 128, 64, 0x22));
    assert_true(all_equal(cpu, 64, 0x33));
    assert_int_equal(hb_mem_needs_invalidate(m.phyAddr), 0);
    assert_int_equal(hb_mem_written_without_clean(m.phyAddr, 256), 0);
    /* INVALIDATE discards CPU writes that were never cleaned, as a cache would. */
    memset(cpu + 192, 0x44, 64);
    assert_int_equal(hbSysFlushMem(&m, HB_SYS_MEM_CACHE_INVALIDATE), HB_SYS_SUCCESS);
    assert_true(all_equal(cpu + 192, 64, 0));
    assert_int_equal(hbSysFlushMem(&m, 0), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysFlushMem(&m, 3), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysFreeMem(&m), HB_SYS_SUCCESS);
}

static void test_sub_range_views(void **state)
{
    (void)state;
    hbSysMem m, sub;
    hb_mem_range r;
    assert_int_equal(hbSysAllocCachedMem(&m, 4096), HB_SYS_SUCCESS);
    assert_int_equal(hb_mem_resolve(m.phyAddr, 4096, &r), HB_SYS_SUCCESS);
    /* An hbSysMem pointing into a buffer (e.g. the UV plane of NV12) flushes just that part. */
    sub.phyAddr = m.phyAddr + 1024;
    sub.virAddr = (uint8_t *)m.virAddr + 1024;
    sub.memSize = 512;
    memset(m.virAddr, 0x55, 4096);
    assert_int_equal(hbSysFlushMem(&sub, HB_SYS_MEM_CACHE_CLEAN), HB_SYS_SUCCESS);
    assert_true(all_equal(r.dev, 1024, 0));
    assert_true(all_equal(r.dev + 1024, 512, 0x55));
    assert_true(all_equal(r.dev + 1536, 4096 - 1536, 0));
    /* Inconsistent views are refused: virAddr at another offset than phyAddr, or a range that
     * runs past the buffer, or a partial free. */
    sub.virAddr = (uint8_t *)m.virAddr + 1000;
    assert_int_equal(hbSysFlushMem(&sub, HB_SYS_MEM_CACHE_CLEAN), HB_SYS_INVALID_ARGUMENT);
    sub.virAddr = (uint8_t *)m.virAddr + 1024;
    sub.memSize = 4096;
    assert_int_equal(hbSysFlushMem(&sub, HB_SYS_MEM_CACHE_CLEAN), HB_SYS_INVALID_ARGUMENT);
    sub.memSize = 512;
    assert_int_equal(hbSysFreeMem(&sub), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(hbSysFreeMem(&m), HB_SYS_SUCCESS);
}

static void test_memory_cap(void **state)
{
    (void)state;
    hbSysMem a, b;
    assert_int_equal(setenv("HB_DNN_SIM_BPU_MEM_SIZE", "1", 1), 0);
    assert_int_equal(hbSysAllocMem(&a, (1u << 20) + 1), HB_SYS_OUT_OF_MEMORY);
    assert_int_equal(hbSysAllocMem(&a, 600u << 10), HB_SYS_SUCCESS);
    assert_int_equal(hbSysAllocCachedMem(&b, 600u << 10), HB_SYS_OUT_OF_MEMORY);
    assert_int_equal(hbSysAllocCachedMem(&b, 424u << 10), HB_SYS_SUCCESS); /* exactly 1 MiB */
    assert_int_equal(hbSysFreeMem(&b), HB_SYS_SUCCESS);
    assert_int_equal(hbSysFreeMem(&a), HB_SYS_SUCCESS);
    assert_int_equal(setenv("HB_DNN_SIM_BPU_MEM_SIZE", "12x", 1), 0);
    assert_int_equal(hbSysAllocMem(&a, 16), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(setenv("HB_DNN_SIM_BPU_MEM_SIZE", "0", 1), 0);
    assert_int_equal(hbSysAllocMem(&a, 16), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(setenv("HB_DNN_SIM_BPU_MEM_SIZE", "99999999999999999999", 1), 0);
    assert_int_equal(hbSysAllocMem(&a, 16), HB_SYS_INVALID_ARGUMENT);
    assert_int_equal(unsetenv("HB_DNN_SIM_BPU_MEM_SIZE"), 0);
    assert_int_equal(hbSysAllocMem(&a, 16), HB_SYS_SUCCESS);
    assert_int_equal(hbSysFreeMem(&a), HB_SYS_SUCCESS);
}

static void test_register(void **state)
{
    (void)state;
    uint8_t user[128];
    hbSysMem m, overlap, copy;
    hb_mem_range r;
    memset(user, 0x66, sizeof user);
    m.phyAddr = 0;
    m.virAddr = user;
    m.memSize = sizeof user;
    assert_int_equal(hbSysRegisterMem(&m), HB_SYS_SUCCESS);
    assert_true(m.phyAddr >= HB_MEM_PHY_BASE);
    assert_ptr_equal(m.virAddr, user);
    /* Existing contents count as already clean: the device starts with them. */
    assert_int_equal(hb_mem_written_without_clean(m.phyAddr, sizeof user), 0);
    assert_int_equal(hb_mem_resolve(m.phyAddr, sizeof user, &r), HB_SYS_SUCCESS);
    assert_int_equal(r.cached, 1);
    assert_true(all_equal(r.dev, sizeof user, 0x66));
    overlap.phyAddr = 0;
    overlap.virAddr = user + 64;
    overlap.memSize = 8;
    assert_int_equal(hbSysRegisterMem(&overlap), HB_SYS_REGISTER_MEM_FAILED);
    assert_int_equal(hbSysFreeMem(&m), HB_SYS_INVALID_ARGUMENT);
    user[0] = 1;
    assert_int_equal(hb_mem_written_without_clean(m.phyAddr, sizeof user), 1);
    copy = m;
    assert_int_equal(hbSysUnregisterMem(&m), HB_SYS_SUCCESS);
    assert_int_equal(hbSysUnregisterMem(&copy), HB_SYS_REGISTER_MEM_FAILED);
    assert_int_equal(user[0], 1);
    assert_true(all_equal(user + 1, sizeof user - 1, 0x66));
}

#define THREADS 4
#define ROUNDS  200

static void *alloc_worker(void *arg)
{
    uint64_t *phys = arg;
    hbSysMem m[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        if (hbSysAllocCachedMem(&m[i], (uint32_t)(64 + i)) != HB_SYS_SUCCESS)
            return arg;
        phys[i] = m[i].phyAddr;
        ((uint8_t *)m[i].virAddr)[0] = (uint8_t)i;
        if (hbSysFlushMem(&m[i], HB_SYS_MEM_CACHE_CLEAN) != HB_SYS_SUCCESS)
            return arg;
    }
    for (int i = 0; i < ROUNDS; i++)
        if (hbSysFreeMem(&m[i]) != HB_SYS_SUCCESS)
            return arg;
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_concurrent_allocations(void **state)
{
    (void)state;
    static uint64_t phys[THREADS * ROUNDS];
    pthread_t t[THREADS];
    void *ret;
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, alloc_worker, phys + i * ROUNDS), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], &ret), 0);
        assert_null(ret);
    }
    /* Every buffer got its own physical range. */
    qsort(phys, THREADS * ROUNDS, sizeof(uint64_t), cmp_u64);
    for (int i = 1; i < THREADS * ROUNDS; i++)
        assert_true(phys[i] >= phys[i - 1] + HB_MEM_PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_plain_memory),
        cmocka_unit_test(test_cached_clean_and_invalidate),
        cmocka_unit_test(test_sub_range_views),
        cmocka_unit_test(test_memory_cap),
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_concurrent_allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
