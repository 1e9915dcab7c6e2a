/* Private to converter/onnx: helpers shared by the loader, the saver and the tensor reader. */
#ifndef HBC_ONNX_PRIV_H
#define HBC_ONNX_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "hbg/graph.h"
#include "onnx.pb-c.h"

/* Tensor data is exchanged as little-endian bytes (raw_data) and copied with memcpy, and the
 * typed fields are borrowed as host arrays: both are only right on a little-endian host, which
 * every target of ARCHITECTURE.md section 8 is. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "converter/onnx assumes a little-endian host"
#endif

/* protobuf-c refuses messages above 2 GiB; we refuse such files and buffers before parsing. */
#define HBC_ONNX_MAX_BYTES ((size_t)INT32_MAX)

/* Marker in the private names hbg_graph_add_node gives omitted optional outputs; the saver writes
 * such tensors back as "" when nothing reads them. */
#define HBC_UNUSED_OUT_MARK "::unused_out"

/* printf into err (if err && errlen) and return st. */
hbg_status hbc_onnx_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Read a whole file into a malloc'ed buffer (*buf, *len; *buf is non-NULL on success even for an
 * empty file). Errors name the file. */
hbg_status hbc_onnx_read_file(const char *path, uint8_t **buf, size_t *len, char *err,
                              size_t errlen);

/* hbg dtype for an ONNX TensorProto.DataType, or HBG_DT_UNDEF for a type the graph core does not
 * hold. Name of any ONNX element type for messages ("float16", "string", ...). */
hbg_dtype hbc_onnx_dtype(int32_t onnx_type);
const char *hbc_onnx_type_name(int32_t onnx_type);

/* A decoded TensorProto: shape, type and nbytes of little-endian element data. data points into
 * the TensorProto (raw_data or a typed field of the same width) or into owned, a malloc'ed
 * buffer the caller frees (for int8/uint8/bool held in int32_data). */
typedef struct hbc_tensor_view {
    hbg_dtype dt;
    int rank;
    int64_t dims[HBG_MAX_RANK];
    const void *data;
    size_t nbytes;
    void *owned;
} hbc_tensor_view;

/* Check and decode tp. what names the tensor in messages ("tensor 'w'", "node 'c' (Constant):
 * attribute 'value'"); messages are "<what>: <problem>". Refuses external or segmented data,
 * element types the graph core cannot hold, rank > HBG_MAX_RANK, negative dims, sizes that
 * overflow or do not match the shape, values out of range of the element type. */
hbg_status hbc_onnx_tensor_decode(const Onnx__TensorProto *tp, const char *what, hbc_tensor_view *v,
                                  char *err, size_t errlen);

/* Decode tp into a standalone tensor (hbg_tensor_create; data owned, is_const set). */
hbg_status hbc_onnx_tensor_make(const Onnx__TensorProto *tp, const char *what, hbg_tensor **out,
                                char *err, size_t errlen);

/* For a model of default-domain opset 1..6, before node np of gp is added to g (which holds the
 * graph inputs and initializers): HBG_OK when np means the same as in opset 7, possibly after
 * reshaping an initializer only np reads (legacy broadcast axis, PRelu-6 slope); else
 * HBG_E_UNSUPPORTED (or HBG_E_INVALID for an op the opset lacks) with the reason, naming the op,
 * in why. See onnx_legacy.c. */
hbg_status hbc_onnx_legacy_check(hbg_graph *g, const Onnx__GraphProto *gp, int64_t opset,
                                 const Onnx__NodeProto *np, char *why, size_t n);

#endif /* HBC_ONNX_PRIV_H */
