/* Private to converter/caffe: the conversion context shared by the driver (caffe_load.c) and the
 * per-layer converters (caffe_layers.c). */
#ifndef HBC_CAFFE_PRIV_H
#define HBC_CAFFE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "caffe_subset.pb-c.h"
#include "hbg/graph.h"

/* Weight data is copied from the little-endian protobuf arrays protobuf-c decoded; the graph
 * constants are host floats, so nothing here depends on byte order. */

typedef struct cf_shape {
    int rank;
    int64_t d[HBG_MAX_RANK];
} cf_shape;

/* A Caffe blob (a named activation), in SSA form: tensor is its current version. */
typedef struct cf_blob {
    const char *name; /* borrowed from the prototxt message */
    int is_input;     /* a graph input (header or Input layer): its first version keeps the name */
    int last_writer;  /* index of the last layer that writes it (-1: none) */
    int tensor;       /* current version (index in g->tensors), -1 before the first write */
    int consumed;     /* the current version is read by some layer */
    cf_shape shape;   /* of the current version */
} cf_blob;

/* The weight blobs of one caffemodel (or prototxt) layer, found by name. */
typedef struct cf_weights {
    const char *name;
    size_t n_blobs;
    Caffe__BlobProto **blobs;
} cf_weights;

typedef struct cf_ctx {
    hbg_graph *g;
    const char *proto_file; /* for messages */
    const char *model_file; /* NULL: structure only */
    char *err;
    size_t errlen;
    cf_blob *blobs;
    size_t n_blobs;
    cf_weights *weights; /* the caffemodel's layers with blobs */
    size_t n_weights;
    /* The layer being converted. */
    const Caffe__LayerParameter *L;
    const char *lname; /* L->name, or "#<index>" when it has none */
    char lname_buf[32];
    const cf_weights *w;    /* its weights (NULL: none found) ... */
    const char *w_file;     /* ... and the file they come from */
    cf_weights own;         /* the prototxt layer's own blobs */
    cf_blob **in;           /* its bottoms (L->n_bottom) */
    const char **top_names; /* tensor names its tops must be written to (L->n_top) */
    cf_shape *top_shapes;   /* the converter sets the shape of every top */
} cf_ctx;

typedef hbg_status (*cf_convert_fn)(cf_ctx *C);

/* One supported layer type: its Caffe name, whether it declares inputs, its legacy V1 enum value
 * (-1: none), bottom and top counts (max -1: any number), the converter. */
typedef struct cf_layer_type {
    const char *name;
    int is_input; /* its tops are graph inputs */
    int v1;
    int min_bottom, max_bottom, min_top, max_top;
    cf_convert_fn convert;
} cf_layer_type;

/* caffe_layers.c: the layer type table. NULL when the type is not supported. */
const cf_layer_type *cf_layer_type_find(const char *name);
/* Name of the type a legacy V1 enum value converts as, or NULL. */
const char *cf_v1_type_name(int v1);

/* caffe_load.c: helpers for the converters. Every failure records a message naming the file,
 * the layer and its type, and returns the status. */
hbg_status cf_fail(cf_ctx *C, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Append node op_type; named like the layer, or "<layer>/<suffix>" when suffix is not NULL. The
 * returned node pointer is valid until the next node is added. */
hbg_status cf_node(cf_ctx *C, const char *op_type, const char *suffix, int n_in,
                   const char *const *in, int n_out, const char *const *out, hbg_node **node);
hbg_status cf_attr_int(cf_ctx *C, hbg_node *n, const char *name, int64_t v);
hbg_status cf_attr_float(cf_ctx *C, hbg_node *n, const char *name, float v);
hbg_status cf_attr_ints(cf_ctx *C, hbg_node *n, const char *name, int count, const int64_t *v);
/* A new intermediate tensor "<layer>/<role>" (made unique) of float type and the given shape;
 * *name is borrowed from the graph. */
hbg_status cf_temp(cf_ctx *C, const char *role, const cf_shape *shape, const char **name);
/* New constants "<layer>/<role>" holding a copy of data. */
hbg_status cf_const_f32(cf_ctx *C, const char *role, int rank, const int64_t *dims,
                        const float *data, const char **name);
hbg_status cf_const_i64(cf_ctx *C, const char *role, int rank, const int64_t *dims,
                        const int64_t *data, const char **name);
/* Check that the layer has exactly n weight blobs (nothing to check for a structure-only load
 * of a layer without weights). */
hbg_status cf_blob_count(cf_ctx *C, size_t n);
/* Weight blob k (called `what` in messages) as a new constant "<layer>/<role>" of shape
 * (rank, dims), after checking the blob's shape and size; zeros for a structure-only load.
 * *name and *data (if data is not NULL) are borrowed from the graph; the data may be edited. */
hbg_status cf_weight(cf_ctx *C, size_t k, const char *what, const char *role, int rank,
                     const int64_t *dims, const char **name, float **data);
/* The same check, with the values copied into dst (numel floats) instead of a constant. */
hbg_status cf_weight_read(cf_ctx *C, size_t k, const char *what, int rank, const int64_t *dims,
                          float *dst);
/* Make the (already created) tensor called name a graph input. */
hbg_status cf_input(cf_ctx *C, const char *name);

/* Elements of a shape (shapes here are checked to fit in int64). */
int64_t cf_numel(const cf_shape *s);

#endif /* HBC_CAFFE_PRIV_H */
