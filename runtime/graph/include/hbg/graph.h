/* hbg: the protobuf-free graph core.
 *
 * A graph is a list of named tensors and a list of nodes that read and write them by index. It is
 * the in-memory form of an ONNX (or Caffe) model shared by the converter and the runtime: frontends
 * build it, passes rewrite it, the executor (exec.h) runs it with the float kernels of kernels/.
 *
 * Ownership: the graph owns every string, tensor, node, attribute and constant buffer reachable
 * from it; hbg_graph_free() releases them all. Functions taking `const char *` copy the string.
 * Errors: every fallible call returns an hbg_status; the message (naming the node, tensor or file)
 * is kept in g->err until the next failing call.
 */
#ifndef HBG_GRAPH_H
#define HBG_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Append only. */
typedef enum hbg_status {
    HBG_OK = 0,
    HBG_E_INVALID = -1,     /* malformed graph, attribute or argument */
    HBG_E_UNSUPPORTED = -2, /* valid, but an op/type/attribute value we do not implement */
    HBG_E_NOMEM = -3,       /* allocation failed or a size overflowed */
    HBG_E_IO = -4,          /* file could not be opened, read or written */
    HBG_E_FORMAT = -5,      /* file content does not parse */
    HBG_E_SHAPE = -6,       /* shapes are inconsistent */
} hbg_status;

/* Human-readable name of a status ("invalid", "unsupported", ...). Never NULL. */
const char *hbg_status_str(hbg_status st);

/* Element types; values equal ONNX TensorProto.DataType so the frontends map them 1:1. */
typedef enum hbg_dtype {
    HBG_DT_UNDEF = 0,
    HBG_DT_F32 = 1,
    HBG_DT_U8 = 2,
    HBG_DT_I8 = 3,
    HBG_DT_I32 = 6,
    HBG_DT_I64 = 7,
    HBG_DT_BOOL = 9, /* one byte per element, 0 or 1 */
    HBG_DT_F64 = 11,
} hbg_dtype;

/* Bytes per element of dt, or 0 for a type the graph core cannot hold. */
size_t hbg_dtype_size(hbg_dtype dt);
/* ONNX-style name ("float", "int64", ...) or "unknown". */
const char *hbg_dtype_name(hbg_dtype dt);

#define HBG_MAX_RANK 8

/* Operator ids, generated from ops.def. HBG_OP_UNKNOWN marks an op type the core has no entry for
 * (the node is kept so that a frontend or the checker can name it). */
typedef enum hbg_op {
    HBG_OP_UNKNOWN = 0,
#define X(e, s) HBG_OP_##e,
#include "hbg/ops.def"
#undef X
    HBG_OP_COUNT,
    /* A custom CPU operator registered at run time from a plugin (hbg/plugin.h): the op type is
     * in node->op_type. Outside every table indexed by hbg_op, which all stop at HBG_OP_COUNT. */
    HBG_OP_CUSTOM = HBG_OP_COUNT
} hbg_op;

/* ONNX op_type of op ("Conv"), "Custom" for HBG_OP_CUSTOM, or "Unknown". */
const char *hbg_op_name(hbg_op op);
/* Inverse lookup; HBG_OP_CUSTOM for an op type registered by a plugin (hbg/plugin.h),
 * HBG_OP_UNKNOWN when the name is in neither registry. */
hbg_op hbg_op_from_name(const char *op_type);

typedef struct hbg_tensor {
    char *name;      /* unique within the graph; "" is never stored (omitted optional inputs) */
    hbg_dtype dtype; /* HBG_DT_UNDEF until known */
    int rank;        /* -1 while unknown; 0 for a scalar */
    int64_t dims[HBG_MAX_RANK];    /* each >= 0 once known; -1 marks a symbolic/unknown dim */
    char *dim_names[HBG_MAX_RANK]; /* symbolic dim names (ONNX dim_param) or NULL; owned */
    void *data;    /* constant data (is_const) or the executor's buffer; NULL if none */
    int is_const;  /* 1: data is an initializer or a folded value owned by the graph */
    int is_input;  /* 1: listed in g->inputs */
    int is_output; /* 1: listed in g->outputs */
    int producer;  /* index of the producing node, -1 for inputs/initializers */
} hbg_tensor;

/* Attribute kinds; values equal ONNX AttributeProto.AttributeType. */
typedef enum hbg_attr_type {
    HBG_ATTR_UNDEF = 0,
    HBG_ATTR_FLOAT = 1,
    HBG_ATTR_INT = 2,
    HBG_ATTR_STRING = 3,
    HBG_ATTR_TENSOR = 4,
    HBG_ATTR_FLOATS = 6,
    HBG_ATTR_INTS = 7,
    HBG_ATTR_STRINGS = 8,
} hbg_attr_type;

typedef struct hbg_attr {
    char *name;
    hbg_attr_type type;
    float f;        /* FLOAT */
    int64_t i;      /* INT */
    char *s;        /* STRING, NUL-terminated copy */
    size_t n;       /* element count of floats/ints/strings */
    float *floats;  /* FLOATS */
    int64_t *ints;  /* INTS */
    char **strings; /* STRINGS */
    hbg_tensor *t;  /* TENSOR: a standalone tensor (not in g->tensors), owned by the attribute */
} hbg_attr;

typedef struct hbg_node {
    char *name;    /* may be "" in ONNX files; messages then use the first output's name */
    char *op_type; /* as written in the file */
    char *domain;  /* "" for the default ONNX domain */
    hbg_op op;     /* resolved from op_type by hbg_graph_add_node */
    int n_in, n_out;
    int *in;  /* tensor indices; -1 for an omitted optional input */
    int *out; /* tensor indices */
    int n_attr;
    hbg_attr *attrs;
    /* Filled by the executor's prepare step (exec.c), owned by the node. */
    void
        *params; /* op-private parameters parsed by the op's infer function, released with free() */
    size_t scratch; /* bytes of workspace the op needs at run time */
} hbg_node;

typedef struct hbg_opset {
    char *domain;
    int64_t version;
} hbg_opset;

typedef struct hbg_graph {
    char *name;
    int n_tensors, cap_tensors;
    hbg_tensor **tensors;
    int n_nodes, cap_nodes;
    hbg_node *nodes;
    int n_inputs, n_outputs;
    int *inputs;  /* tensor indices of the graph inputs (initializers excluded) */
    int *outputs; /* tensor indices of the graph outputs */
    /* Model metadata kept for saving. */
    int64_t ir_version;
    int n_opsets;
    hbg_opset *opsets;
    char *producer_name, *producer_version;
    char err[512]; /* last error message */
} hbg_graph;

/* Constructor / destructor. hbg_graph_free(NULL) is a no-op. */
hbg_graph *hbg_graph_create(void);
void hbg_graph_free(hbg_graph *g);

/* Record an error message in g->err (printf format) and return st. */
hbg_status hbg_graph_fail(hbg_graph *g, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Index of the tensor called name, or -1. */
int hbg_graph_find_tensor(const hbg_graph *g, const char *name);
/* Index of the tensor called name, created (rank -1, dtype UNDEF) if absent; -1 on no memory. */
int hbg_graph_tensor(hbg_graph *g, const char *name);
/* Give tensor idx constant data: copies nbytes from data (nbytes must equal numel * dtype size). */
hbg_status hbg_graph_set_const(hbg_graph *g, int idx, hbg_dtype dt, int rank, const int64_t *dims,
                               const void *data, size_t nbytes);
hbg_status hbg_graph_add_input(hbg_graph *g, int idx);
hbg_status hbg_graph_add_output(hbg_graph *g, int idx);
hbg_status hbg_graph_add_opset(hbg_graph *g, const char *domain, int64_t version);
/* Opset version imported for domain ("" = ai.onnx), or 0 when not imported. */
int64_t hbg_graph_opset(const hbg_graph *g, const char *domain);

/* Append a node. in_names entries that are NULL or "" are omitted optional inputs (index -1).
 * Output tensors are created if needed; a tensor written by two nodes is an error. The new node is
 * returned through out_node (pointer valid until the next add_node). */
hbg_status hbg_graph_add_node(hbg_graph *g, const char *op_type, const char *domain,
                              const char *name, int n_in, const char *const *in_names, int n_out,
                              const char *const *out_names, hbg_node **out_node);
/* Append an attribute to a node and return it zeroed (name copied, type set) for the caller to
 * fill with memory from malloc (the graph frees it). */
hbg_attr *hbg_node_add_attr(hbg_node *n, const char *name, hbg_attr_type type);

/* Name used in messages: node name, else first output's name, else "#index". */
const char *hbg_node_label(const hbg_graph *g, const hbg_node *n);

/* Attribute lookup; NULL when absent. */
const hbg_attr *hbg_node_attr(const hbg_node *n, const char *name);
/* Typed lookups with a default for an absent attribute. */
int64_t hbg_attr_int(const hbg_node *n, const char *name, int64_t dflt);
float hbg_attr_float(const hbg_node *n, const char *name, float dflt);
const char *hbg_attr_string(const hbg_node *n, const char *name, const char *dflt);
/* INTS lookup: returns the count (or -1 when absent) and sets *v to the borrowed array. */
int hbg_attr_ints(const hbg_node *n, const char *name, const int64_t **v);
int hbg_attr_floats(const hbg_node *n, const char *name, const float **v);

/* Check the graph and order its nodes topologically (stable: file order among ready nodes).
 * Errors name the node: dangling input (neither graph input, initializer nor node output),
 * cycle, tensor produced twice, graph output never produced, op type unknown to the registry
 * (HBG_E_UNSUPPORTED, only when require_known is set). Fills each tensor's producer. */
hbg_status hbg_graph_validate(hbg_graph *g, int require_known);

/* A standalone tensor (not in a graph), zeroed, rank -1, name copied; NULL on no memory.
 * hbg_tensor_free() releases the name, dim names, data and the struct; NULL is a no-op. */
hbg_tensor *hbg_tensor_create(const char *name);
void hbg_tensor_free(hbg_tensor *t);

/* Elements in a tensor of known shape (1 for a scalar); -1 if the shape is unknown, or if the
 * product overflows int64. */
int64_t hbg_tensor_numel(const hbg_tensor *t);
/* numel * dtype size, or -1. */
int64_t hbg_tensor_nbytes(const hbg_tensor *t);
/* Set a tensor's dtype and shape (dims copied). Fails for rank > HBG_MAX_RANK or negative dims. */
hbg_status hbg_tensor_set_shape(hbg_tensor *t, hbg_dtype dt, int rank, const int64_t *dims);

/* Read element i of an integer-typed (I64/I32/I8/U8/BOOL) tensor with data as int64. */
int64_t hbg_tensor_get_int(const hbg_tensor *t, int64_t i);
/* Read element i of any numeric tensor with data as double. */
double hbg_tensor_get_double(const hbg_tensor *t, int64_t i);

/* "1x3x224x224" style text of the shape into buf (always NUL-terminated); returns buf. */
char *hbg_shape_str(const hbg_tensor *t, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* HBG_GRAPH_H */
