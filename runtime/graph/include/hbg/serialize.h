/* hbg serialisation: a protobuf-free byte form of an hbg_graph, used for the CPU subgraphs stored
 * in .bin files (blob kind CPU_SUBGRAPH, docs/bin-model.md section 4 is the byte-exact format).
 *
 * What is kept: graph name, every tensor (name, dtype, shape, constant data), graph inputs and
 * outputs, opsets, and every node (name, op type = the registry's op name, domain, inputs,
 * outputs, attributes of all kinds). What is not: symbolic dim names, producer metadata, the
 * executor's state. The deserialiser treats its input as hostile: every count, length, index,
 * enum and shape is checked against the remaining bytes and the graph core's limits, and the result
 * is validated (hbg_graph_validate with known ops required) before it is returned.
 */
#ifndef HBG_SERIALIZE_H
#define HBG_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HBG_SER_MAGIC   "HBGS" /* first 4 bytes */
#define HBG_SER_VERSION 1u     /* format version this code writes and reads */

/* Serialise g into a malloc'd buffer (*out, *size; the caller frees *out). Fails with
 * HBG_E_UNSUPPORTED (message in g->err) for a node whose op type the registry does not know, and
 * HBG_E_INVALID for a tensor without a known dtype that carries data. */
hbg_status hbg_serialize(hbg_graph *g, uint8_t **out, size_t *size);

/* Rebuild a graph from `size` bytes at `data`. On success *out is a validated graph (free with
 * hbg_graph_free). On failure *out is NULL and err (errsz bytes, may be NULL/0) holds one line
 * naming the byte offset and the field; the status is HBG_E_FORMAT for malformed bytes,
 * HBG_E_UNSUPPORTED for an unknown op type or version, HBG_E_NOMEM when allocation fails, or the
 * status of hbg_graph_validate. */
hbg_status hbg_deserialize(const uint8_t *data, size_t size, hbg_graph **out, char *err,
                           size_t errsz);

#ifdef __cplusplus
}
#endif
#endif /* HBG_SERIALIZE_H */
