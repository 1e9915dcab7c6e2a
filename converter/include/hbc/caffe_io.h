/* hbc_caffe: Caffe models (deploy .prototxt + .caffemodel) -> hbg graphs of ONNX operators.
 *
 * The structure comes from the prototxt (protobuf text format, current `layer` or legacy
 * `layers` form); the weights come from the caffemodel (binary protobuf, either form), matched
 * by layer name. Inputs come from `input:` with `input_dim` or `input_shape`, or from Input
 * layers; every input is float32 with the declared shape. Layers run in file order after the
 * TEST-phase include/exclude rules; in-place layers (top == bottom) are renamed into SSA form:
 * the last version of a blob keeps the blob's name (graph inputs always keep theirs), earlier
 * versions are called "<blob>@<layer>". Weights become initializers named "<layer>/<role>"
 * (e.g. "conv1/weight"). Graph outputs are the blobs that no later layer reads, in name order
 * (as Caffe orders a net's outputs). The graph imports opset 13 of the default domain; each
 * layer becomes the node(s) listed in docs/caffe-frontend.md, the main node named like the layer.
 *
 * caffemodel may be NULL: the graph then has its structure and shapes only, with the weights
 * that the prototxt itself holds, and zeros for all others.
 *
 * Errors: HBG_E_IO (a file cannot be read), HBG_E_FORMAT (syntax errors, reported as
 * "file:line:column: ..."; a caffemodel that does not parse), HBG_E_UNSUPPORTED (a layer type or
 * parameter value we do not convert: the message names the layer and its type), HBG_E_INVALID
 * (a missing bottom, wrong blob count, bad parameter), HBG_E_SHAPE (a weight blob whose shape
 * does not match the layer, inconsistent input shapes), HBG_E_NOMEM. The message, always
 * NUL-terminated when errlen > 0, starts with the file it is about and names the layer and field.
 * On failure *out is NULL; on success the caller releases *out with hbg_graph_free().
 */
#ifndef HBC_CAFFE_IO_H
#define HBC_CAFFE_IO_H

#include <stddef.h>

#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

hbg_status hbc_caffe_load(const char *prototxt, const char *caffemodel, hbg_graph **out, char *err,
                          size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* HBC_CAFFE_IO_H */
