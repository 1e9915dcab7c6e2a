/* Internals of hbc_compiler shared by its files: the compile context, tensor maps, the
 * instruction and constant buffers, and the per-op lowering entry points. */
#ifndef HBC_COMPILER_PRIV_H
#define HBC_COMPILER_PRIV_H

#include <stdint.h>

#include "bpu/isa.h"
#include "hbc/compiler.h"

/* How a node is lowered (index of the lowering table in compiler_lower.c). */
typedef enum ck_kind {
    CK_CPU = -1,  /* stays on the CPU */
    CK_CONV = 0,  /* ai.hbtc.int8 Conv: CONV (normal, depthwise, groups as block diagonal) */
    CK_GEMM,      /* ai.hbtc.int8 Gemm: 1x1 CONV, or HxW CONV after a spatial Flatten */
    CK_EWISE,     /* Add, Sub, Mul: EWISE */
    CK_RESCALE,   /* REQUANT of an int8 map */
    CK_LUT,       /* LUT */
    CK_AVGPOOL,   /* POOL AVG */
    CK_GAP,       /* POOL AVG over the whole map */
    CK_MAXPOOL,   /* POOL MAX */
    CK_CONCAT,    /* channel concat: LOADs at channel offsets + COPY */
    CK_RESIZE,    /* RESIZE NEAREST */
    CK_TRANSPOSE, /* H <-> W swap: strided LOAD + COPY */
    CK_SLICE,     /* strided LOAD + COPY */
    CK_COPY,      /* reshape that keeps the map: LOAD + COPY + STORE */
    CK_GATHER,    /* constant channel list of a map: a 0/1 1x1 CONV */
    CK_SPATIAL,   /* Flatten read only by Gemm: no code, the Gemm reads the 4-D map */
    CK_KIND_COUNT
} ck_kind;

/* A tensor as the BPU stores it (compiler.h, hbc_cm_tensor): h = 0 when it has no map. */
typedef struct ck_map {
    uint32_t h, w, c, elem, px, row, size;
    hbc_cm_layout layout;
} ck_map;

/* The map of tensor t in the given layout (h = 0 when it has none). */
ck_map ck_map_for(const hbg_tensor *t, hbc_cm_layout layout);

typedef struct ck_ctx {
    hbg_graph *g;
    const bpu_march *m;
    int olevel;
    hbc_cm_goal mode; /* the figure compile_sub minimises over the schedules it tries */
    /* O3: move constant LOADs up to CK_DEEP_MAX nodes back where SRAM allows (lower_all;
     * compile_sub sets it for one extra lowering) */
    int deep_prefetch;
    /* the schedule being tried (compile_sub keeps the best by the mode's metric) */
    int pipe_tiles;  /* cut layers moving > 16 KiB into up to 4 row tiles (pick_rows) */
    int wide_chunks; /* conv weight budget: all SRAM but one-row tiles, not half (conv_chunk) */
    int pipe_seen;   /* set by a lowering where pipe_tiles cut a layer into more tiles */
    int wide_seen;   /* set by a lowering where half of SRAM chunked a conv's weights */
    ck_map *map;     /* per tensor */
    int *storage;    /* per tensor: the tensor whose buffer holds it (itself, or a view's source) */
    ck_kind *kind;   /* per node */
    int *consumers;  /* per tensor: number of reading nodes */
    uint32_t *seg;   /* per tensor: DDR segment while compiling one subgraph */
    uint32_t *off;   /* per tensor: DDR offset while compiling one subgraph */
    bpu_insn *ins;   /* the program being built */
    size_t n_ins, cap_ins;
    int *ins_node; /* per instruction of ins (cap_ins entries): the position in the subgraph's
                      node list of the node it was emitted for (hbc_cm_subgraph.insn_node) */
    int cur_node;  /* position in the node list of the node being lowered: ck_push tags with it */
    uint8_t *cb;   /* the constant blob being built */
    size_t n_cb, cap_cb;
    /* SRAM residency (optimize_level 3): a tensor written by one node and read only by the
     * next stays in SRAM (docs/compiler.md section 5). */
    int res_in;            /* tensor the current node reads from SRAM, or -1 */
    int res_out;           /* tensor the current node leaves in SRAM, or -1 */
    uint32_t res_in_addr;  /* SRAM address of res_in's map (dense NHWC, its px and row) */
    uint32_t res_out_addr; /* SRAM address for res_out */
    uint32_t sram_lo;      /* the node's own buffers go in [sram_lo, sram_hi) */
    uint32_t sram_hi;
    int res_fail;      /* set by a lowering that cannot honour res_in/res_out */
    int alloc_down;    /* the node's buffers are taken from sram_hi downwards (O3 alternates
                          per node, so a node's constants can be loaded during the previous
                          node at the other end of SRAM) */
    uint32_t bump_max; /* highest SRAM byte + 1 the node took from sram_lo upwards */
    uint32_t top_min;  /* lowest SRAM byte the node took from sram_hi downwards */
    int pre_n;         /* leading constant LOADs of the node that may be hoisted into the
                          previous node; 0: none */
    uint32_t pre_lo;   /* their SRAM range [pre_lo, pre_hi) */
    uint32_t pre_hi;
    char *err;
    size_t errlen;
} ck_ctx;

/* Can node n's kind read its input from / leave its output in SRAM? */
int ck_resident_kind(ck_kind k);

/* Record an error (printf format) into ctx->err and return st. */
hbg_status ck_fail(ck_ctx *c, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Round v up to a multiple of a (a power of two or any a >= 1). */
static inline uint32_t ck_align(uint32_t v, uint32_t a)
{
    return (v + a - 1) / a * a;
}

/* Why node n cannot be lowered, or NULL when it can; sets *kind. The maps must be computed. */
const char *ck_support(ck_ctx *c, int n, ck_kind *kind);

/* Emit the instructions of node n (kind c->kind[n]) into c->ins / c->cb. Tensor locations
 * (c->seg, c->off) of its inputs and outputs must be set. Ends with a SYNC barrier. */
hbg_status ck_lower(ck_ctx *c, int n);

/* Append one instruction (tagged with c->cur_node) / an aligned constant block (returns its
 * offset via *off). */
hbg_status ck_push(ck_ctx *c, const bpu_insn *in);
hbg_status ck_const(ck_ctx *c, const void *data, size_t n, uint32_t *off);

#endif /* HBC_COMPILER_PRIV_H */
