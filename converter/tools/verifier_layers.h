/* hb_verifier's per-layer outputs (docs/tools.md, --per-layer): a .bin built with
 * compiler_parameters.layer_out_dump: True has, after the model's outputs, the output of every
 * BPU node of the quantized graph, in topological order, named after its tensor. The reference
 * executor keeps every intermediate tensor, so each can be compared bit for bit; the first
 * node (in topological order) whose output differs is where the .bin and the quantized model
 * part ways. Part of the hb_verifier CLI: messages go to stdout (table) and stderr (errors). */
#ifndef VERIFIER_LAYERS_H
#define VERIFIER_LAYERS_H

#include <stdint.h>

#include "dnn/hb_dnn.h"
#include "hbg/graph.h"

typedef struct vl_layers vl_layers;

/* Match the outputs of .bin model m beyond g's own (g->n_outputs of them) with tensors of g:
 * each must be named after a tensor some node of g produces, and is appended to g's outputs so
 * the caller compares it like a model output. per_layer: --per-layer was given; a .bin without
 * such outputs is then refused (rebuild with layer_out_dump). *out: the per-layer state, or NULL
 * when the .bin has none (and !per_layer). Returns 0, or -1 after a message on stderr naming
 * the file and tensor (bin, onnx: file names for the messages). */
int vl_attach(hbg_graph *g, hbDNNHandle_t m, const char *bin, const char *onnx, int per_layer,
              vl_layers **out);

/* The comparison result of g's output k (runs that differed, elements that differed, elements
 * compared, the first difference as text). Returns 1 when the per-layer table reports it (a
 * per-layer output under --per-layer), 0 when the caller prints it as an ordinary output. */
int vl_note(vl_layers *l, int k, int64_t runs_diff, int64_t elems_diff, int64_t elems,
            const char *first);

/* Under --per-layer: print the per-layer table (every layer, topological order) and the first
 * node whose output differs, or that every layer output is equal. */
void vl_print(const vl_layers *l, int runs);

void vl_free(vl_layers *l); /* NULL is a no-op */

#endif /* VERIFIER_LAYERS_H */
