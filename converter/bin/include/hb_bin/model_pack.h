/* Packaging of a compiled model into a .bin builder (docs/bin-model.md): the quantized graph g and
 * what hbc_compile made of it (hbc/compiler.h) become one model with tensor records for the graph
 * inputs and outputs, a BPU_PROGRAM and CONSTANTS blob per BPU subgraph, a CPU_SUBGRAPH blob per
 * run of consecutive CPU nodes (serialised with hbg/serialize.h), and the SCHEDULE linking them
 * with quantize, dequantize and layout-conversion steps. The runtime (libdnn) executes the result.
 */
#ifndef HB_BIN_MODEL_PACK_H
#define HB_BIN_MODEL_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "hb_bin/bin_writer.h"
#include "hbc/compiler.h"
#include "hbg/graph.h"

/* Add model `name` to builder w (its index in *model). g is the quantized graph cm was compiled
 * from, validated and with every tensor shape known (as hbc_compile leaves it); it is not
 * modified. Quantize / Dequantize nodes of the ai.hbtc.int8 domain become schedule steps, BPU
 * subgraphs become BPU steps, the remaining nodes must be ops of the graph core's registry (they
 * run on the float executor): an integer operator left on the CPU is refused with
 * HBG_E_UNSUPPORTED naming the node. Graph inputs and outputs become F32 / S8 / U8 / S32 tensors,
 * NCHW when 4-D, dense (aligned = valid shape); an integer output computed on the BPU carries its
 * scales (quantiType SCALE). Errors: one line into err naming the node or tensor. */
hbg_status hbmp_add_model(hbbw *w, const char *name, const hbg_graph *g, const hbc_compiled *cm,
                          uint32_t *model, char *err, size_t errlen);

/* The LAYER_MAP blob (hb_bin/layer_map.h) of compiled subgraph s of g: one layer per node of s
 * (its name, or its first output's name when empty; its op type) and s->insn_node per
 * instruction. hbmp_add_model writes it as LAYER_MAP k next to BPU_PROGRAM k when s has
 * insn_node. *out is malloc'd (the caller frees it), *size its bytes. HBG_E_UNSUPPORTED when s
 * has no insn_node or more than 65535 nodes. */
hbg_status hbmp_layer_map(const hbg_graph *g, const hbc_cm_subgraph *s, uint8_t **out, size_t *size,
                          char *err, size_t errlen);

#endif
