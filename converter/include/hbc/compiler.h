/* hbc_compiler: compiles the BPU parts of a quantized graph (docs/quantized-ops.md) into BPU-v0
 * instruction streams (docs/bpu-isa.md), and checks them bit for bit against the integer
 * reference executor. docs/compiler.md describes partitioning, layouts, tiling and DDR planning.
 *
 * The result is a plain in-memory description (hbc_compiled) that the .bin writer serialises:
 * per BPU subgraph its encoded program, its constant blob, the sizes of the DDR segments it uses
 * and where each boundary tensor lives in them. Everything not in a subgraph stays on the CPU
 * (the quantized graph executor runs it).
 *
 * Errors: HBG_E_* status; the message names the node or tensor and goes to err (always
 * NUL-terminated when errlen > 0). The library never prints.
 */
#ifndef HBC_COMPILER_H
#define HBC_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#include "bpu/kernels.h"
#include "bpu/march.h"
#include "bpu/sim.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* DDR segments a compiled subgraph uses (the convention of docs/bpu-isa.md section 4). */
#define HBC_SEG_CONST   0 /* the subgraph's constant blob (weights, parameter records, tables) */
#define HBC_SEG_INPUT   1 /* every boundary input, each at its offset */
#define HBC_SEG_OUTPUT  2 /* every boundary output, each at its offset */
#define HBC_SEG_SCRATCH 3 /* intermediate tensors, reused by liveness */

/* How the graph's logical shape maps to a tensor's h x w x c map. */
typedef enum hbc_cm_layout {
    HBC_CM_NHWC =
        0,           /* rank 4 [1, C, H, W] -> (H, W, C): logical (ch, y, x) is map (y, x, ch);
                        also rank 2 [1, C*H*W], a Flatten of such a map (logical ch*H*W + y*W + x) */
    HBC_CM_ROWS = 1, /* any other shape [d0, .., dn]: h = 1, w = d0*..*d(n-1), c = dn, so the
                        logical row-major order is the map order (e.g. [N, C] -> (1, N, C)) */
} hbc_cm_layout;

/* One tensor at a subgraph boundary. In DDR it is an NHWC map of h x w x c elements of elem
 * bytes: element (y, x, ch) is at offset + y*row + x*px + ch*elem, with px = c*elem rounded up
 * to 4 bytes (the channel padding; its bytes are undefined) and row = w*px. */
typedef struct hbc_cm_tensor {
    char *name;                 /* the tensor of the quantized graph */
    hbg_dtype dtype;            /* HBG_DT_I8, or HBG_DT_I32 (a Conv/Gemm with out_int32) */
    int rank;                   /* logical (graph) shape */
    int64_t dims[HBG_MAX_RANK]; /* logical (graph) shape */
    hbc_cm_layout layout;       /* logical shape -> map */
    uint32_t h, w, c, elem;     /* the map: rows, columns, channels, bytes per element */
    uint32_t px, row;           /* pixel and row strides in bytes */
    uint32_t seg, offset, size; /* where: segment, byte offset, bytes (h * row) */
    int n_scales;               /* 1 (per tensor, int8) or c (per channel, int32); 0 unknown */
    float *scales;              /* real = (q - zero_point) * scale; owned */
    int8_t zero_point;          /* 0, or -127 for an unsigned activation (docs/quantized-ops.md) */
} hbc_cm_tensor;

/* One BPU subgraph: a convex set of nodes of the quantized graph compiled to one program. */
typedef struct hbc_cm_subgraph {
    uint8_t *program; /* encoded instructions, BPU_INSN_BYTES each, END last; owned */
    size_t program_bytes;
    uint8_t *consts; /* constant blob bound to HBC_SEG_CONST; owned */
    size_t const_bytes;
    uint32_t seg_bytes[BPU_SEGMENTS]; /* bytes each segment must provide (0: unused) */
    int n_nodes;
    int *nodes; /* indices into the graph's nodes, in execution order; owned */
    /* Per instruction (program_bytes / BPU_INSN_BYTES entries): the position in nodes[] of the
     * node it was emitted for. Constant LOADs hoisted into the previous node (weight prefetch)
     * keep their own node; the trailing END belongs to the last node. Owned. */
    int *insn_node;
    int n_inputs, n_outputs;
    hbc_cm_tensor *inputs;  /* in HBC_SEG_INPUT; owned */
    hbc_cm_tensor *outputs; /* in HBC_SEG_OUTPUT; owned */
} hbc_cm_subgraph;

/* What the schedule minimises (hb_mapper's compiler_parameters.compile_mode). From
 * optimize_level 1 on, each subgraph is compiled with four schedules ({row tiles cut for DMA /
 * compute overlap, or as few tiles as SRAM allows} x {conv weight chunks in half of SRAM, or in
 * all of it but one-row tiles}) and the one with the best static estimate is kept. */
typedef enum hbc_cm_goal {
    HBC_GOAL_LATENCY = 0, /* fewest modelled cycles, ties: fewest DDR bytes */
    HBC_GOAL_BANDWIDTH,   /* fewest DDR bytes, ties: fewest modelled cycles */
} hbc_cm_goal;

typedef struct hbc_compiled {
    bpu_march_id march;
    int optimize_level; /* as given in the options */
    hbc_cm_goal mode;   /* as given in the options */
    int n_nodes;        /* of the graph compiled */
    int *node_sub;      /* per graph node: its subgraph index, or -1 (CPU); owned */
    char **node_why;    /* per CPU node of our domain or data movement: why it stays on the CPU
                           (NULL for BPU nodes and for Quantize/Dequantize/float ops); owned */
    int n_subgraphs;
    hbc_cm_subgraph *sub; /* owned */
} hbc_compiled;

typedef struct hbc_compile_opts {
    bpu_march_id march;
    /* 0: as few row tiles per layer as SRAM allows, every tensor through DDR, one schedule.
     * 1, 2: the best of four schedules for the goal (hbc_cm_goal). 3: as 1, plus SRAM residency
     * (a tensor read only by the next node stays in SRAM) and weight prefetch during the
     * previous node (docs/compiler.md). */
    int optimize_level;
    hbc_cm_goal mode; /* 0 (latency) when left out */
} hbc_compile_opts;

/* Compile the quantized graph g (as loaded from *_quantized_model.onnx or made by hbc_quantize;
 * it is validated and its shapes inferred here by preparing the integer executor on it once, so
 * call this before creating an executor of your own on g). Nodes this compiler cannot lower stay
 * on the CPU (out->node_why says why); a lowerable node that does not fit the march (e.g. one
 * output row of a layer larger than SRAM) fails the compile with a message naming it.
 * opts NULL: bayes-e, O3. Release the result with hbc_compiled_free. */
hbg_status hbc_compile(hbg_graph *g, const hbc_compile_opts *opts, hbc_compiled **out, char *err,
                       size_t errlen);
void hbc_compiled_free(hbc_compiled *cm); /* NULL is a no-op */

/* ---- Verification (the core of hb_verifier) ---------------------------------------------- */

typedef struct hbc_check_result {
    int subgraphs;            /* subgraphs run */
    int64_t elements;         /* output elements compared */
    int64_t mismatches;       /* elements that differ (0: bit-exact) */
    char first_mismatch[256]; /* "tensor[index]: bpu 3, reference 4", or "" */
    bpu_counters total;       /* simulator counters summed over the subgraphs */
} hbc_check_result;

/* Run every BPU subgraph of cm on the simulator (kernels NULL: bpu_kernels_select) and compare
 * each of its outputs bit for bit with the tensor the integer reference executor left in g: call
 * it right after hbc_qexec_run on the graph cm was compiled from, while that executor exists.
 * Subgraph inputs are taken from the same run, so every BPU output is compared on exactly the
 * inputs the reference saw; since CPU ops are deterministic functions of their inputs, equal
 * BPU outputs make the composed (CPU + BPU) run equal to the reference run (docs/compiler.md).
 * Returns HBG_OK when everything ran (res->mismatches says whether it matched). */
hbg_status hbc_compiled_check(hbg_graph *g, const hbc_compiled *cm, const bpu_kernels *kernels,
                              hbc_check_result *res, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* HBC_COMPILER_H */
