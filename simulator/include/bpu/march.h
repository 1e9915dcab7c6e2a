/* Machine configurations ("march"): the one table every part of the toolchain reads (compiler
 * placement and tiling, static estimate, simulator cycle model). The figures are this project's
 * model parameters, chosen to be plausible for each product class; they are not vendor data.
 *
 * Bandwidths are in bytes per 1000 cycles so that every timing computation stays integer. */
#ifndef BPU_MARCH_H
#define BPU_MARCH_H

#include <stdint.h>

typedef enum bpu_march_id {
    BPU_MARCH_BERNOULLI2 = 0,
    BPU_MARCH_BAYES = 1,
    BPU_MARCH_BAYES_E = 2,
    BPU_MARCH_COUNT
} bpu_march_id;

typedef struct bpu_march {
    const char *name;       /* as in hb_mapper's march: "bernoulli2", "bayes", "bayes-e" */
    uint32_t clock_mhz;     /* BPU core clock */
    uint32_t cores;         /* BPU cores (a program runs on one core) */
    uint32_t k_atom;        /* MAC array: output channels per cycle */
    uint32_t c_atom;        /* MAC array: input channels per cycle (MAC/cycle = k_atom * c_atom) */
    uint32_t dw_lanes;      /* depthwise path: channels per cycle */
    uint32_t dw_taps;       /* depthwise path: kernel taps per cycle */
    uint32_t vec_lanes;     /* vector unit (EWISE..CVTIMG, COPY, FILL): int8 lanes per cycle */
    uint32_t sram_bytes;    /* on-chip SRAM size */
    uint32_t sram_banks;    /* SRAM banks (sram_bytes / sram_banks bytes each) */
    uint32_t dma_bpkc;      /* one DMA engine (LOAD or STORE): bytes per 1000 cycles */
    uint32_t ddr_bpkc;      /* DDR cap shared by both engines: bytes per 1000 cycles */
    uint32_t burst_bytes;   /* DDR burst granularity: each row is rounded up to a burst multiple */
    uint32_t dma_setup;     /* cycles of setup per LOAD/STORE descriptor */
    uint32_t conv_pipeline; /* fixed cycles added to every CONV (array fill and drain) */
} bpu_march;

/* X(ID, name, clock_mhz, cores, k_atom, c_atom, dw_lanes, dw_taps, vec_lanes, sram_bytes,
 * sram_banks, dma_bpkc, ddr_bpkc, burst_bytes, dma_setup, conv_pipeline) bernoulli2: X3-class, 1024
 * MAC/cycle at 1.2 GHz = 2.46 TOPS per core, LPDDR4-3200 x32 (12.8 GB/s). bayes:      J5-class,
 * 16384 MAC/cycle at 1.5 GHz = 49 TOPS per core, LPDDR4X-4266 x64 (34 GB/s). bayes-e:    X5-class,
 * 4096 MAC/cycle at 1.25 GHz = 10.2 TOPS, LPDDR4X-4266 x32 (17 GB/s). */
#define BPU_MARCH_TABLE(X)                                                                         \
    X(BPU_MARCH_BERNOULLI2, "bernoulli2", 1200, 2, 32, 32, 32, 8, 32, 1u << 20, 16, 16000, 10667,  \
      64, 300, 64)                                                                                 \
    X(BPU_MARCH_BAYES, "bayes", 1500, 2, 128, 128, 128, 8, 128, 8u << 20, 32, 32000, 22756, 64,    \
      300, 64)                                                                                     \
    X(BPU_MARCH_BAYES_E, "bayes-e", 1250, 1, 64, 64, 64, 8, 64, 2u << 20, 16, 16000, 13650, 64,    \
      300, 64)

/* The configuration of a march (id < BPU_MARCH_COUNT), or NULL. */
const bpu_march *bpu_march_get(bpu_march_id id);

/* Look a march up by name; returns 0 and sets *id, or -1 for an unknown name. */
int bpu_march_find(const char *name, bpu_march_id *id);

#endif
