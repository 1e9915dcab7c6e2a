/* The march table, expanded from BPU_MARCH_TABLE in march.h. */
#include <string.h>

#include "bpu/march.h"

#define BPU_MARCH_ENTRY(id, nm, clk, cores, ka, ca, dwl, dwt, vl, sram, banks, dma, ddr, burst,    \
                        setup, pipe)                                                               \
    [id] = {nm, clk, cores, ka, ca, dwl, dwt, vl, sram, banks, dma, ddr, burst, setup, pipe},

static const bpu_march marches[BPU_MARCH_COUNT] = {BPU_MARCH_TABLE(BPU_MARCH_ENTRY)};
_Static_assert(BPU_MARCH_COUNT == 3, "update BPU_MARCH_TABLE");

const bpu_march *bpu_march_get(bpu_march_id id)
{
    return (uint32_t)id < BPU_MARCH_COUNT ? &marches[id] : NULL;
}

int bpu_march_find(const char *name, bpu_march_id *id)
{
    for (uint32_t i = 0; i < BPU_MARCH_COUNT; i++) {
        if (name && strcmp(name, marches[i].name) == 0) {
            *id = (bpu_march_id)i;
            return 0;
        }
    }
    return -1;
}
