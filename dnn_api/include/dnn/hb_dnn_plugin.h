/* Custom CPU operators: the C plugin ABI of this toolchain (docs/custom-ops.md).
 *
 * The reference toolchain registers custom CPU layers through a C++ class API; this toolchain
 * replaces it with a plain C contract. A plugin is a shared library (.so) that exports one data
 * symbol, HB_CUSTOM_OP_PLUGIN_SYMBOL, of type hbCustomOpLibraryV1: a list of operators, each with
 * its op type name (as written in the ONNX model, default domain), a shape/type inference
 * callback and a float kernel. The same .so serves the converter (hb_mapper loads the files of
 * custom_op.op_register_files for calibration) and the runtime (hbDNNRegisterCustomOpPlugin).
 * The plugin needs no symbol of libdnn or of the converter: everything it may call on the host
 * comes through hbCustomOpContext.
 *
 * Threading: infer and compute may be called from several threads at once for different nodes
 * and models; they must not keep mutable global state.
 */
#ifndef HB_DNN_PLUGIN_H
#define HB_DNN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version a plugin built against this header declares in hbCustomOpLibraryV1.abiVersion.
 * The host refuses a library declaring another version. */
#define HB_CUSTOM_OP_ABI_VERSION 1u

/* Name of the data symbol (type const hbCustomOpLibraryV1) a plugin .so exports. */
#define HB_CUSTOM_OP_PLUGIN_SYMBOL "hb_custom_op_plugin_v1"

/* Most dimensions of a tensor handed to a plugin. */
#define HB_CUSTOM_OP_MAX_RANK 8

/* Most inputs and most outputs of one custom operator node. */
#define HB_CUSTOM_OP_MAX_IO 16

/* Element types, numbered as ONNX TensorProto.DataType. */
typedef enum hbCustomOpDataType {
    HB_CUSTOM_OP_UNDEFINED = 0,
    HB_CUSTOM_OP_FLOAT32 = 1,
    HB_CUSTOM_OP_UINT8 = 2,
    HB_CUSTOM_OP_INT8 = 3,
    HB_CUSTOM_OP_INT32 = 6,
    HB_CUSTOM_OP_INT64 = 7,
    HB_CUSTOM_OP_BOOL = 9, /* one byte per element, 0 or 1 */
    HB_CUSTOM_OP_FLOAT64 = 11,
} hbCustomOpDataType;

/* One input or output tensor: dense, row-major (the last dimension varies fastest). */
typedef struct hbCustomOpTensor {
    int32_t dataType;                    /* hbCustomOpDataType */
    int32_t rank;                        /* 0 (scalar) .. HB_CUSTOM_OP_MAX_RANK */
    int64_t dims[HB_CUSTOM_OP_MAX_RANK]; /* each >= 0; entries past rank are 0 */
    void *data; /* compute: the elements; infer: NULL unless the value is a constant */
} hbCustomOpTensor;

typedef struct hbCustomOpContext hbCustomOpContext;

/* What the host gives a callback: the node and read access to its ONNX attributes. Every
 * accessor returns 0 and sets its outputs when the attribute exists with that type, and -1
 * (outputs untouched) when it is absent or of another type. Returned pointers stay valid for the
 * duration of the callback only. */
struct hbCustomOpContext {
    const char *nodeName; /* the node's name in the model (never NULL, may be "") */
    const char *opType;   /* the op type the callback was registered for */
    int32_t (*getAttrInt)(const hbCustomOpContext *ctx, const char *name, int64_t *value);
    int32_t (*getAttrFloat)(const hbCustomOpContext *ctx, const char *name, float *value);
    int32_t (*getAttrString)(const hbCustomOpContext *ctx, const char *name, const char **value);
    int32_t (*getAttrInts)(const hbCustomOpContext *ctx, const char *name, const int64_t **values,
                           int32_t *count);
    int32_t (*getAttrFloats)(const hbCustomOpContext *ctx, const char *name, const float **values,
                             int32_t *count);
    /* On failure a callback may write a NUL-terminated reason here (at most errorSize bytes);
     * the host reports it together with the node name and op type. */
    char *error;
    size_t errorSize;
    const void *host; /* host-private; plugins must not touch it */
};

/* Shape and type inference, called once per node when a model is prepared. in[0..numInputs-1]
 * have dataType, rank and dims set (an omitted optional input has rank -1 and dataType
 * UNDEFINED). The callback checks the inputs and attributes and sets dataType, rank and dims of
 * out[0..numOutputs-1]; it may set *scratchBytes to the size of a workspace compute needs (0
 * when none; the host passes 64-byte aligned memory). Returns 0, or non-zero to refuse the node
 * (with a reason in ctx->error). */
typedef int32_t (*hbCustomOpInferFn)(const hbCustomOpContext *ctx, int32_t numInputs,
                                     const hbCustomOpTensor *in, int32_t numOutputs,
                                     hbCustomOpTensor *out, size_t *scratchBytes);

/* The float kernel, called at every run: reads in[i].data, writes out[i].data (buffers of the
 * types and shapes infer set; inputs and outputs never overlap). It must not allocate per call
 * when it can use the scratch workspace instead. Returns 0, or non-zero on failure. */
typedef int32_t (*hbCustomOpComputeFn)(const hbCustomOpContext *ctx, int32_t numInputs,
                                       const hbCustomOpTensor *in, int32_t numOutputs,
                                       hbCustomOpTensor *out, void *scratch);

/* One operator. */
typedef struct hbCustomOpV1 {
    const char *opType; /* ONNX op_type (default domain); must not name a built-in operator */
    int32_t minInputs;  /* 0 .. HB_CUSTOM_OP_MAX_IO */
    int32_t maxInputs;  /* minInputs .. HB_CUSTOM_OP_MAX_IO */
    int32_t numOutputs; /* 1 .. HB_CUSTOM_OP_MAX_IO */
    hbCustomOpInferFn infer;
    hbCustomOpComputeFn compute;
} hbCustomOpV1;

/* What HB_CUSTOM_OP_PLUGIN_SYMBOL points at. The host keeps pointers into it for the life of the
 * process (a registered library is never unloaded). */
typedef struct hbCustomOpLibraryV1 {
    uint32_t abiVersion;     /* HB_CUSTOM_OP_ABI_VERSION */
    uint32_t numOps;         /* 1 .. 64 */
    const hbCustomOpV1 *ops; /* numOps entries */
} hbCustomOpLibraryV1;

/* Load the plugin .so at soPath (dlopen) and register every operator of its
 * HB_CUSTOM_OP_PLUGIN_SYMBOL. Must happen before hbDNNInitializeFromFiles/DDR loads a model
 * using those op types. Registering the same library again is a no-op; an op type that is a
 * built-in operator or already registered by another library is refused. Thread-safe.
 * Returns HB_DNN_SUCCESS, HB_DNN_INVALID_ARGUMENT (NULL path, missing symbol, wrong ABI version,
 * malformed or clashing operator) or HB_DNN_CAN_NOT_OPEN_FILE (dlopen failed); the reason is
 * logged through the library's log (HB_DNN_LOG_LEVEL). */
int32_t hbDNNRegisterCustomOpPlugin(const char *soPath);

/* Register the operators of a library linked into the program (no .so): same rules. */
int32_t hbDNNRegisterCustomOpLibrary(const hbCustomOpLibraryV1 *library);

#ifdef __cplusplus
}
#endif
#endif /* HB_DNN_PLUGIN_H */
