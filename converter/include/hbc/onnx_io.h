/* hbc_onnx: ONNX files <-> hbg graphs, through protobuf-c code generated from Debian's onnx.proto.
 *
 * Load: initializers (also those listed as graph inputs, as old IR files do), Constant nodes kept
 * as nodes (the executor folds them), raw_data and typed fields, element types float, double,
 * int8, uint8, int32, int64, bool; IR version >= 3; opsets 7..17 of the default domain, and
 * opsets 1..6 for the nodes whose meaning is unchanged in opset 7 (onnx_legacy.c,
 * docs/conformance.md); our integer domain ai.hbtc.int8 (hbc/quant.h).
 * Refused with a message naming the node or tensor: external data, other domains, other
 * element types, subgraph attributes, sizes that do not match the declared shape.
 * Save: the inverse; a saved graph loads back unchanged and runs in onnxruntime. The file is
 * written to "<path>.tmp" and renamed over path only when complete.
 * Errors: the message (prefixed with the file name) goes to err (always NUL-terminated).
 */
#ifndef HBC_ONNX_IO_H
#define HBC_ONNX_IO_H

#include <stddef.h>
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

hbg_status hbc_onnx_load_file(const char *path, hbg_graph **out, char *err, size_t errlen);
/* label names the buffer in messages (e.g. a file name). */
hbg_status hbc_onnx_load_mem(const void *buf, size_t len, const char *label, hbg_graph **out,
                             char *err, size_t errlen);
hbg_status hbc_onnx_save_file(const hbg_graph *g, const char *path, char *err, size_t errlen);
/* Serialise to a malloc'ed buffer (*buf, *len), freed by the caller with free(). */
hbg_status hbc_onnx_save_mem(const hbg_graph *g, void **buf, size_t *len, char *err, size_t errlen);

/* A serialised TensorProto file (the input_N.pb/output_N.pb of ONNX test data) as a standalone
 * tensor (free with hbg_tensor_free). */
hbg_status hbc_onnx_load_tensor_file(const char *path, hbg_tensor **out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* HBC_ONNX_IO_H */
