/* Caffe prototxt + caffemodel -> hbg_graph (hbc_caffe_load): files, layer views, the blob table
 * in SSA form, weight lookup, graph inputs and outputs, and the helpers the converters of
 * caffe_layers.c build nodes with. */
#include "hbc/caffe_io.h"
#include "caffe_priv.h"
#include "prototxt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* protobuf-c refuses messages above 2 GiB. */
#define MAX_FILE_BYTES ((size_t)INT32_MAX)
/* Largest activation we accept (elements) and largest dimension. */
#define MAX_NUMEL ((int64_t)1 << 40)
#define MAX_DIM   ((int64_t)INT32_MAX)
/* Largest weight blob (elements): more than a 2 GiB protobuf can hold. */
#define MAX_WEIGHT_NUMEL ((int64_t)1 << 29)

static hbg_status msg_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static hbg_status msg_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return st;
}

/* Read a whole file into a malloc'ed buffer (NUL-terminated for convenience; *len excludes it). */
static hbg_status read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    hbg_status st = HBG_E_IO;
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, cap = 0;
    *buf = NULL;
    *len = 0;
    if (!f) {
        msg_fail(err, errlen, st, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    for (;;) {
        if (n + 1 >= cap) {
            const size_t nc = cap ? cap * 2 : (size_t)1 << 16;
            char *p;
            if (cap > MAX_FILE_BYTES) {
                st = msg_fail(err, errlen, HBG_E_FORMAT,
                              "%s: larger than 2 GiB, the protobuf limit", path);
                goto fail;
            }
            if (!(p = realloc(b, nc))) {
                st = msg_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory reading it", path);
                goto fail;
            }
            b = p;
            cap = nc;
        }
        const size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        msg_fail(err, errlen, st, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    if (n > MAX_FILE_BYTES) {
        st = msg_fail(err, errlen, HBG_E_FORMAT, "%s: larger than 2 GiB, the protobuf limit", path);
        goto fail;
    }
    fclose(f);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return HBG_OK;
fail:
    if (f)
        fclose(f);
    free(b);
    return st;
}

/* ---- helpers for the converters ---------------------------------------------------------- */

static hbg_status layer_vfail(cf_ctx *C, const char *file, hbg_status st, const char *fmt,
                              va_list ap)
{
    char msg[384];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return msg_fail(C->err, C->errlen, st, "%s: layer '%s' (%s): %s", file, C->lname,
                    C->L->type ? C->L->type : "no type", msg);
}

hbg_status cf_fail(cf_ctx *C, hbg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = layer_vfail(C, C->proto_file, st, fmt, ap);
    va_end(ap);
    return st;
}

static hbg_status weight_fail(cf_ctx *C, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A failure about the layer's weights, prefixed with the file they came from. */
static hbg_status weight_fail(cf_ctx *C, hbg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st = layer_vfail(C, C->w_file ? C->w_file : C->model_file, st, fmt, ap);
    va_end(ap);
    return st;
}

int64_t cf_numel(const cf_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= s->d[i];
    return n;
}

static char *shape_text(int rank, const int64_t *d, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    if (rank == 0)
        snprintf(buf, size, "scalar");
    for (int i = 0; i < rank && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, i ? "x%lld" : "%lld", (long long)d[i]);
    return buf;
}

static cf_blob *find_blob(cf_ctx *C, const char *name)
{
    for (size_t i = 0; i < C->n_blobs; i++)
        if (strcmp(C->blobs[i].name, name) == 0)
            return &C->blobs[i];
    return NULL;
}

static int name_taken(cf_ctx *C, const char *s)
{
    return hbg_graph_find_tensor(C->g, s) >= 0 || find_blob(C, s) != NULL;
}

/* A new graph tensor named a + sep + b, with "_<k>" appended while that is taken by a tensor or
 * reserved for a blob. Returns its index, -1 on no memory. */
static int new_tensor(cf_ctx *C, const char *a, const char *sep, const char *b)
{
    const size_t n = strlen(a) + strlen(sep) + strlen(b) + 24;
    char *s = malloc(n);
    int idx = -1;
    if (!s)
        return -1;
    snprintf(s, n, "%s%s%s", a, sep, b);
    for (unsigned k = 1; name_taken(C, s); k++)
        snprintf(s, n, "%s%s%s_%u", a, sep, b, k);
    idx = hbg_graph_tensor(C->g, s);
    free(s);
    return idx;
}

hbg_status cf_node(cf_ctx *C, const char *op_type, const char *suffix, int n_in,
                   const char *const *in, int n_out, const char *const *out, hbg_node **node)
{
    char name[300];
    hbg_status st;
    if (suffix)
        snprintf(name, sizeof name, "%s/%s", C->lname, suffix);
    else
        snprintf(name, sizeof name, "%s", C->lname);
    if ((st = hbg_graph_add_node(C->g, op_type, "", name, n_in, in, n_out, out, node)) != HBG_OK)
        return cf_fail(C, st, "%s", C->g->err);
    return HBG_OK;
}

hbg_status cf_attr_int(cf_ctx *C, hbg_node *n, const char *name, int64_t v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_INT);
    if (!a)
        return cf_fail(C, HBG_E_NOMEM, "out of memory");
    a->i = v;
    return HBG_OK;
}

hbg_status cf_attr_float(cf_ctx *C, hbg_node *n, const char *name, float v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_FLOAT);
    if (!a)
        return cf_fail(C, HBG_E_NOMEM, "out of memory");
    a->f = v;
    return HBG_OK;
}

hbg_status cf_attr_ints(cf_ctx *C, hbg_node *n, const char *name, int count, const int64_t *v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_INTS);
    int64_t *p = a ? malloc((size_t)(count > 0 ? count : 1) * sizeof *p) : NULL;
    if (!p)
        return cf_fail(C, HBG_E_NOMEM, "out of memory");
    memcpy(p, v, (size_t)count * sizeof *p);
    a->ints = p;
    a->n = (size_t)count;
    return HBG_OK;
}

hbg_status cf_temp(cf_ctx *C, const char *role, const cf_shape *shape, const char **name)
{
    const int idx = new_tensor(C, C->lname, "/", role);
    if (idx < 0)
        return cf_fail(C, HBG_E_NOMEM, "out of memory");
    hbg_tensor_set_shape(C->g->tensors[idx], HBG_DT_F32, shape->rank, shape->d);
    *name = C->g->tensors[idx]->name;
    return HBG_OK;
}

static hbg_status new_const(cf_ctx *C, const char *role, hbg_dtype dt, int rank,
                            const int64_t *dims, const void *data, size_t nbytes, int *idx)
{
    hbg_status st;
    if ((*idx = new_tensor(C, C->lname, "/", role)) < 0)
        return cf_fail(C, HBG_E_NOMEM, "out of memory");
    if ((st = hbg_graph_set_const(C->g, *idx, dt, rank, dims, data, nbytes)) != HBG_OK)
        return cf_fail(C, st, "%s", C->g->err);
    return HBG_OK;
}

hbg_status cf_const_f32(cf_ctx *C, const char *role, int rank, const int64_t *dims,
                        const float *data, const char **name)
{
    cf_shape s = {rank, {0}};
    int idx;
    memcpy(s.d, dims, (size_t)rank * sizeof *dims);
    hbg_status st = new_const(C, role, HBG_DT_F32, rank, dims, data,
                              (size_t)cf_numel(&s) * sizeof(float), &idx);
    if (st == HBG_OK)
        *name = C->g->tensors[idx]->name;
    return st;
}

hbg_status cf_const_i64(cf_ctx *C, const char *role, int rank, const int64_t *dims,
                        const int64_t *data, const char **name)
{
    cf_shape s = {rank, {0}};
    int idx;
    memcpy(s.d, dims, (size_t)rank * sizeof *dims);
    hbg_status st = new_const(C, role, HBG_DT_I64, rank, dims, data,
                              (size_t)cf_numel(&s) * sizeof(int64_t), &idx);
    if (st == HBG_OK)
        *name = C->g->tensors[idx]->name;
    return st;
}

hbg_status cf_blob_count(cf_ctx *C, size_t n)
{
    const cf_weights *w = C->w;
    if (!w)
        return C->model_file
                   ? weight_fail(C, HBG_E_INVALID, "no weights for this layer in the caffemodel")
                   : HBG_OK;
    if (w->n_blobs != n)
        return weight_fail(C, HBG_E_INVALID, "has %zu weight blobs, expected %zu", w->n_blobs, n);
    return HBG_OK;
}

/* Check blob k against the expected shape; *b is NULL for a structure-only load. Legacy blobs
 * (num, channels, height, width) match a shape of rank <= 4 padded with leading ones, as in
 * Caffe. */
static hbg_status check_blob(cf_ctx *C, size_t k, const char *what, int rank, const int64_t *dims,
                             const Caffe__BlobProto **b, int64_t *numel)
{
    const cf_weights *w = C->w;
    char want[160], got[160];
    int64_t n = 1;
    *b = NULL;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || (dims[i] > 0 && n > MAX_WEIGHT_NUMEL / dims[i]))
            return cf_fail(C, HBG_E_UNSUPPORTED, "%s of shape %s is too large", what,
                           shape_text(rank, dims, want, sizeof want));
        n *= dims[i];
    }
    *numel = n;
    if (!w)
        return HBG_OK;
    const Caffe__BlobProto *p = w->blobs[k];
    shape_text(rank, dims, want, sizeof want);
    if (p->shape) {
        const Caffe__BlobShape *s = p->shape;
        int same = s->n_dim == (size_t)rank;
        for (int i = 0; same && i < rank; i++)
            same = s->dim[i] == dims[i];
        if (!same)
            return weight_fail(C, HBG_E_SHAPE, "blob %zu (%s) has shape %s, expected %s", k, what,
                               s->n_dim > HBG_MAX_RANK
                                   ? "of rank > 8"
                                   : shape_text((int)s->n_dim, s->dim, got, sizeof got),
                               want);
    } else if (p->has_num || p->has_channels || p->has_height || p->has_width) {
        const int64_t legacy[4] = {p->num, p->channels, p->height, p->width};
        int same = rank <= 4;
        for (int i = 0; same && i < 4; i++)
            same = legacy[i] == (i < 4 - rank ? 1 : dims[i - (4 - rank)]);
        if (!same)
            return weight_fail(C, HBG_E_SHAPE,
                               "blob %zu (%s) has shape %s (num, channels, height, width), "
                               "expected %s",
                               k, what, shape_text(4, legacy, got, sizeof got), want);
    } else {
        return weight_fail(C, HBG_E_SHAPE, "blob %zu (%s) has no shape, expected %s", k, what,
                           want);
    }
    if (p->n_data != (size_t)n && p->n_double_data != (size_t)n)
        return weight_fail(C, HBG_E_SHAPE,
                           "blob %zu (%s) holds %zu values, its shape %s needs %lld", k, what,
                           p->n_data ? p->n_data : p->n_double_data, want, (long long)n);
    *b = p;
    return HBG_OK;
}

static void blob_values(const Caffe__BlobProto *b, int64_t n, float *dst)
{
    if (!b)
        memset(dst, 0, (size_t)n * sizeof *dst);
    else if (b->n_data == (size_t)n)
        memcpy(dst, b->data, (size_t)n * sizeof *dst);
    else
        for (int64_t i = 0; i < n; i++)
            dst[i] = (float)b->double_data[i];
}

hbg_status cf_weight_read(cf_ctx *C, size_t k, const char *what, int rank, const int64_t *dims,
                          float *dst)
{
    const Caffe__BlobProto *b;
    int64_t n;
    hbg_status st = check_blob(C, k, what, rank, dims, &b, &n);
    if (st == HBG_OK)
        blob_values(b, n, dst);
    return st;
}

hbg_status cf_weight(cf_ctx *C, size_t k, const char *what, const char *role, int rank,
                     const int64_t *dims, const char **name, float **data)
{
    const Caffe__BlobProto *b;
    float *tmp = NULL;
    int64_t n;
    int idx;
    hbg_status st = check_blob(C, k, what, rank, dims, &b, &n);
    if (st != HBG_OK)
        return st;
    if (b && b->n_data == (size_t)n) {
        st = new_const(C, role, HBG_DT_F32, rank, dims, b->data, (size_t)n * sizeof(float), &idx);
    } else {
        if (!(tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp)))
            return cf_fail(C, HBG_E_NOMEM, "out of memory for %s", what);
        blob_values(b, n, tmp);
        st = new_const(C, role, HBG_DT_F32, rank, dims, tmp, (size_t)n * sizeof(float), &idx);
        free(tmp);
    }
    if (st == HBG_OK) {
        *name = C->g->tensors[idx]->name;
        if (data)
            *data = C->g->tensors[idx]->data;
    }
    return st;
}

hbg_status cf_input(cf_ctx *C, const char *name)
{
    const int idx = hbg_graph_find_tensor(C->g, name);
    hbg_status st = hbg_graph_add_input(C->g, idx);
    return st == HBG_OK ? HBG_OK : cf_fail(C, st, "%s", C->g->err);
}

/* ---- shapes ------------------------------------------------------------------------------ */

/* Check a shape given in the file (what names it) and copy it into s. */
static hbg_status take_shape(char *err, size_t errlen, const char *file, const char *what,
                             size_t rank, const int64_t *dims, cf_shape *s)
{
    int64_t n = 1;
    if (rank < 1 || rank > HBG_MAX_RANK)
        return msg_fail(err, errlen, HBG_E_UNSUPPORTED, "%s: %s has %zu dimensions (1..%d)", file,
                        what, rank, HBG_MAX_RANK);
    for (size_t i = 0; i < rank; i++) {
        if (dims[i] < 1 || dims[i] > MAX_DIM)
            return msg_fail(err, errlen, HBG_E_SHAPE, "%s: %s: dimension %zu is %lld (1..%lld)",
                            file, what, i, (long long)dims[i], (long long)MAX_DIM);
        if (n > MAX_NUMEL / dims[i])
            return msg_fail(err, errlen, HBG_E_SHAPE, "%s: %s: more than 2^40 elements", file,
                            what);
        n *= dims[i];
        s->d[i] = dims[i];
    }
    s->rank = (int)rank;
    return HBG_OK;
}

/* ---- the net ----------------------------------------------------------------------------- */

static int rule_matches(const Caffe__NetStateRule *r)
{
    /* the inference state: phase TEST, level 0, no stages (so no not_stage can exclude it) */
    if (r->has_phase && r->phase != CAFFE__PHASE__TEST)
        return 0;
    if (r->has_min_level && r->min_level > 0)
        return 0;
    if (r->has_max_level && r->max_level < 0)
        return 0;
    return r->n_stage == 0;
}

static int layer_kept(const Caffe__LayerParameter *L)
{
    for (size_t i = 0; i < L->n_include; i++)
        if (rule_matches(L->include[i]))
            return 1;
    if (L->n_include)
        return 0;
    for (size_t i = 0; i < L->n_exclude; i++)
        if (rule_matches(L->exclude[i]))
            return 0;
    return 1;
}

/* The layers of a net as current-form messages: legacy V1 layers become views that borrow
 * their fields (never released through protobuf-c). */
typedef struct net_layers {
    const Caffe__LayerParameter **v;
    size_t n;
    Caffe__LayerParameter *v1;
} net_layers;

static void net_layers_free(net_layers *nl)
{
    free(nl->v);
    free(nl->v1);
}

static hbg_status net_layers_make(const Caffe__NetParameter *net, net_layers *nl, const char *file,
                                  char *err, size_t errlen)
{
    const size_t n = net->n_layer + net->n_layers;
    nl->n = n;
    nl->v = malloc((n ? n : 1) * sizeof *nl->v);
    nl->v1 = malloc((net->n_layers ? net->n_layers : 1) * sizeof *nl->v1);
    if (!nl->v || !nl->v1)
        return msg_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", file);
    for (size_t i = 0; i < net->n_layer; i++)
        nl->v[i] = net->layer[i];
    for (size_t i = 0; i < net->n_layers; i++) {
        const Caffe__V1LayerParameter *o = net->layers[i];
        Caffe__LayerParameter *l = &nl->v1[i];
        const char *type = cf_v1_type_name((int)o->type);
        if (!type) {
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
                &caffe__v1_layer_parameter__layer_type__descriptor, (int)o->type);
            type = ev ? ev->name : "(unknown V1 type)";
        }
        caffe__layer_parameter__init(l);
        l->name = o->name;
        l->type = (char *)(uintptr_t)type; /* borrowed, never freed through the view */
        l->n_bottom = o->n_bottom;
        l->bottom = o->bottom;
        l->n_top = o->n_top;
        l->top = o->top;
        l->n_blobs = o->n_blobs;
        l->blobs = o->blobs;
        l->n_include = o->n_include;
        l->include = o->include;
        l->n_exclude = o->n_exclude;
        l->exclude = o->exclude;
        l->concat_param = o->concat_param;
        l->convolution_param = o->convolution_param;
        l->dropout_param = o->dropout_param;
        l->eltwise_param = o->eltwise_param;
        l->inner_product_param = o->inner_product_param;
        l->lrn_param = o->lrn_param;
        l->pooling_param = o->pooling_param;
        l->power_param = o->power_param;
        l->relu_param = o->relu_param;
        l->sigmoid_param = o->sigmoid_param;
        l->slice_param = o->slice_param;
        l->softmax_param = o->softmax_param;
        l->tanh_param = o->tanh_param;
        nl->v[net->n_layer + i] = l;
    }
    return HBG_OK;
}

static hbg_status add_blob(cf_ctx *C, const char *name, cf_blob **out)
{
    if ((C->n_blobs & (C->n_blobs - 1)) == 0) {
        cf_blob *p = realloc(C->blobs, (C->n_blobs ? 2 * C->n_blobs : 1) * sizeof *p);
        if (!p)
            return msg_fail(C->err, C->errlen, HBG_E_NOMEM, "%s: out of memory", C->proto_file);
        C->blobs = p;
    }
    cf_blob *b = &C->blobs[C->n_blobs++];
    memset(b, 0, sizeof *b);
    b->name = name;
    b->last_writer = -1;
    b->tensor = -1;
    *out = b;
    return HBG_OK;
}

/* Make a graph input for blob b (already registered) with shape s. */
static hbg_status make_input(cf_ctx *C, cf_blob *b, const cf_shape *s)
{
    hbg_status st;
    const int idx = hbg_graph_tensor(C->g, b->name);
    if (idx < 0)
        return msg_fail(C->err, C->errlen, HBG_E_NOMEM, "%s: out of memory", C->proto_file);
    hbg_tensor_set_shape(C->g->tensors[idx], HBG_DT_F32, s->rank, s->d);
    if ((st = hbg_graph_add_input(C->g, idx)) != HBG_OK)
        return msg_fail(C->err, C->errlen, st, "%s: %s", C->proto_file, C->g->err);
    b->tensor = idx;
    b->shape = *s;
    return HBG_OK;
}

/* Inputs declared in the net header: `input` with `input_shape` or four `input_dim` each. */
static hbg_status header_inputs(cf_ctx *C, const Caffe__NetParameter *net)
{
    const size_t n = net->n_input;
    hbg_status st;
    if (net->n_input_shape && net->n_input_dim)
        return msg_fail(C->err, C->errlen, HBG_E_INVALID,
                        "%s: the header gives both input_shape and input_dim", C->proto_file);
    if ((net->n_input_shape && net->n_input_shape != n) ||
        (net->n_input_dim && net->n_input_dim != 4 * n) ||
        (n && !net->n_input_shape && !net->n_input_dim))
        return msg_fail(C->err, C->errlen, HBG_E_INVALID,
                        "%s: %zu inputs need one input_shape or four input_dim each (found %zu "
                        "input_shape, %zu input_dim)",
                        C->proto_file, n, net->n_input_shape, net->n_input_dim);
    for (size_t i = 0; i < n; i++) {
        char what[300];
        cf_shape s;
        cf_blob *b = NULL;
        snprintf(what, sizeof what, "input '%s'", net->input[i]);
        if (find_blob(C, net->input[i]))
            return msg_fail(C->err, C->errlen, HBG_E_INVALID, "%s: %s is declared twice",
                            C->proto_file, what);
        if (net->n_input_shape) {
            const Caffe__BlobShape *bs = net->input_shape[i];
            st = take_shape(C->err, C->errlen, C->proto_file, what, bs->n_dim, bs->dim, &s);
        } else {
            int64_t d[4];
            for (int j = 0; j < 4; j++)
                d[j] = net->input_dim[4 * i + (size_t)j];
            st = take_shape(C->err, C->errlen, C->proto_file, what, 4, d, &s);
        }
        if (st != HBG_OK || (st = add_blob(C, net->input[i], &b)) != HBG_OK)
            return st;
        b->is_input = 1;
        if ((st = make_input(C, b, &s)) != HBG_OK)
            return st;
    }
    return HBG_OK;
}

/* Register every top of the kept layers, with the index of its last writer. */
static hbg_status register_tops(cf_ctx *C, const net_layers *nl, const unsigned char *kept)
{
    hbg_status st;
    for (size_t i = 0; i < nl->n; i++) {
        const Caffe__LayerParameter *L = nl->v[i];
        const cf_layer_type *lt = L->type ? cf_layer_type_find(L->type) : NULL;
        const int is_input = lt && lt->is_input;
        if (!kept[i])
            continue;
        for (size_t j = 0; j < L->n_top; j++) {
            cf_blob *b = find_blob(C, L->top[j]);
            if (b && is_input)
                return msg_fail(C->err, C->errlen, HBG_E_INVALID,
                                "%s: layer '%s' (Input): top '%s' is already a blob of the net",
                                C->proto_file, L->name ? L->name : "", L->top[j]);
            if (!b && (st = add_blob(C, L->top[j], &b)) != HBG_OK)
                return st;
            b->is_input |= is_input;
            b->last_writer = (int)i;
        }
    }
    return HBG_OK;
}

static const cf_weights *find_weights(const cf_ctx *C, const char *name)
{
    for (size_t i = 0; i < C->n_weights; i++)
        if (strcmp(C->weights[i].name, name) == 0)
            return &C->weights[i];
    return NULL;
}

/* The layers of the caffemodel (both forms) that carry blobs, by name. */
static hbg_status index_weights(cf_ctx *C, const Caffe__NetParameter *m)
{
    const size_t n = m->n_layer + m->n_layers;
    C->weights = malloc((n ? n : 1) * sizeof *C->weights);
    if (!C->weights)
        return msg_fail(C->err, C->errlen, HBG_E_NOMEM, "%s: out of memory", C->model_file);
    for (size_t i = 0; i < m->n_layer; i++)
        if (m->layer[i]->name && m->layer[i]->n_blobs)
            C->weights[C->n_weights++] =
                (cf_weights){m->layer[i]->name, m->layer[i]->n_blobs, m->layer[i]->blobs};
    for (size_t i = 0; i < m->n_layers; i++)
        if (m->layers[i]->name && m->layers[i]->n_blobs)
            C->weights[C->n_weights++] =
                (cf_weights){m->layers[i]->name, m->layers[i]->n_blobs, m->layers[i]->blobs};
    return HBG_OK;
}

/* Convert layer i: bottoms, top versions, weights, the converter, the tops' new shapes. */
static hbg_status convert_layer(cf_ctx *C, size_t i, const Caffe__LayerParameter *L)
{
    cf_blob *in[64];
    const char *top_names[64];
    cf_shape top_shapes[64];
    hbg_status st;

    C->L = L;
    snprintf(C->lname_buf, sizeof C->lname_buf, "#%zu", i);
    C->lname = L->name && *L->name ? L->name : C->lname_buf;
    if (!L->type || !*L->type)
        return cf_fail(C, HBG_E_INVALID, "the layer has no type");
    const cf_layer_type *lt = cf_layer_type_find(L->type);
    if (!lt)
        return cf_fail(C, HBG_E_UNSUPPORTED, "layer type '%s' is not supported", L->type);
    if (L->n_include && L->n_exclude)
        return cf_fail(C, HBG_E_INVALID, "has both include and exclude rules");
    if (L->n_bottom < (size_t)lt->min_bottom ||
        (lt->max_bottom >= 0 && L->n_bottom > (size_t)lt->max_bottom) || L->n_bottom > 64)
        return cf_fail(C, HBG_E_INVALID, "has %zu bottoms; %s takes %d..%d", L->n_bottom, lt->name,
                       lt->min_bottom, lt->max_bottom >= 0 ? lt->max_bottom : 64);
    if (L->n_top < (size_t)lt->min_top || (lt->max_top >= 0 && L->n_top > (size_t)lt->max_top) ||
        L->n_top > 64)
        return cf_fail(C, HBG_E_INVALID, "has %zu tops; %s takes %d..%d", L->n_top, lt->name,
                       lt->min_top, lt->max_top >= 0 ? lt->max_top : 64);
    for (size_t j = 0; j < L->n_bottom; j++) {
        in[j] = find_blob(C, L->bottom[j]);
        if (!in[j] || in[j]->tensor < 0)
            return cf_fail(C, HBG_E_INVALID,
                           "bottom '%s' is neither an input nor the top of an earlier layer",
                           L->bottom[j]);
    }
    for (size_t j = 0; j < L->n_top; j++) {
        cf_blob *b = find_blob(C, L->top[j]);
        int idx;
        for (size_t k = 0; k < j; k++)
            if (strcmp(L->top[k], L->top[j]) == 0)
                return cf_fail(C, HBG_E_INVALID, "top '%s' is listed twice", L->top[j]);
        /* The first version of an input and the last version of any other blob keep its name. */
        if (b->is_input ? b->tensor < 0 : b->last_writer == (int)i)
            idx = hbg_graph_tensor(C->g, b->name);
        else
            idx = new_tensor(C, b->name, "@", C->lname);
        if (idx < 0)
            return cf_fail(C, HBG_E_NOMEM, "out of memory");
        top_names[j] = C->g->tensors[idx]->name;
        top_shapes[j].rank = -1;
    }
    C->own = (cf_weights){C->lname, L->n_blobs, L->blobs};
    C->w = C->model_file && L->name ? find_weights(C, L->name) : NULL;
    C->w_file = C->model_file;
    if (!C->w && L->n_blobs) {
        C->w = &C->own;
        C->w_file = C->proto_file;
    }
    C->in = in;
    C->top_names = top_names;
    C->top_shapes = top_shapes;
    if ((st = lt->convert(C)) != HBG_OK)
        return st;
    for (size_t j = 0; j < L->n_bottom; j++)
        in[j]->consumed = 1;
    for (size_t j = 0; j < L->n_top; j++) {
        char what[300];
        cf_blob *b = find_blob(C, L->top[j]);
        const int idx = hbg_graph_find_tensor(C->g, top_names[j]);
        snprintf(what, sizeof what, "layer '%s' (%s): top '%s'", C->lname, L->type, L->top[j]);
        if ((st = take_shape(C->err, C->errlen, C->proto_file, what, (size_t)top_shapes[j].rank,
                             top_shapes[j].d, &b->shape)) != HBG_OK)
            return st;
        hbg_tensor_set_shape(C->g->tensors[idx], HBG_DT_F32, b->shape.rank, b->shape.d);
        b->tensor = idx;
        b->consumed = 0;
    }
    return HBG_OK;
}

static int blob_name_cmp(const void *a, const void *b)
{
    const cf_blob *x = *(const cf_blob *const *)a, *y = *(const cf_blob *const *)b;
    return strcmp(x->name, y->name);
}

/* Graph outputs: the blobs whose last version no layer reads (inputs excluded), by name. */
static hbg_status add_outputs(cf_ctx *C)
{
    cf_blob **outs = malloc((C->n_blobs ? C->n_blobs : 1) * sizeof *outs);
    size_t n = 0;
    hbg_status st = HBG_OK;
    if (!outs)
        return msg_fail(C->err, C->errlen, HBG_E_NOMEM, "%s: out of memory", C->proto_file);
    for (size_t i = 0; i < C->n_blobs; i++) {
        cf_blob *b = &C->blobs[i];
        if (b->tensor >= 0 && !b->consumed && !C->g->tensors[b->tensor]->is_input)
            outs[n++] = b;
    }
    qsort(outs, n, sizeof *outs, blob_name_cmp);
    if (n == 0)
        st =
            msg_fail(C->err, C->errlen, HBG_E_INVALID, "%s: the net has no outputs", C->proto_file);
    for (size_t i = 0; i < n && st == HBG_OK; i++)
        if ((st = hbg_graph_add_output(C->g, outs[i]->tensor)) != HBG_OK)
            msg_fail(C->err, C->errlen, st, "%s: %s", C->proto_file, C->g->err);
    free(outs);
    return st;
}

static hbg_status build(cf_ctx *C, const Caffe__NetParameter *net, const Caffe__NetParameter *model)
{
    net_layers nl = {NULL, 0, NULL};
    unsigned char *kept = NULL;
    hbg_status st;

    if (net->n_layer && net->n_layers) {
        st = msg_fail(C->err, C->errlen, HBG_E_INVALID,
                      "%s: the net mixes 'layer' and the legacy 'layers'", C->proto_file);
        goto out;
    }
    if (net->name && *net->name) {
        char *name = malloc(strlen(net->name) + 1);
        if (!name) {
            st = msg_fail(C->err, C->errlen, HBG_E_NOMEM, "%s: out of memory", C->proto_file);
            goto out;
        }
        strcpy(name, net->name);
        free(C->g->name);
        C->g->name = name;
    }
    if ((st = hbg_graph_add_opset(C->g, "", 13)) != HBG_OK) {
        msg_fail(C->err, C->errlen, st, "%s: %s", C->proto_file, C->g->err);
        goto out;
    }
    if ((st = net_layers_make(net, &nl, C->proto_file, C->err, C->errlen)) != HBG_OK)
        goto out;
    if (!(kept = malloc(nl.n ? nl.n : 1))) {
        st = msg_fail(C->err, C->errlen, HBG_E_NOMEM, "%s: out of memory", C->proto_file);
        goto out;
    }
    for (size_t i = 0; i < nl.n; i++)
        kept[i] = (unsigned char)layer_kept(nl.v[i]);
    if ((model && (st = index_weights(C, model)) != HBG_OK) ||
        (st = header_inputs(C, net)) != HBG_OK || (st = register_tops(C, &nl, kept)) != HBG_OK)
        goto out;
    for (size_t i = 0; i < nl.n; i++)
        if (kept[i] && (st = convert_layer(C, i, nl.v[i])) != HBG_OK)
            goto out;
    if ((st = add_outputs(C)) != HBG_OK)
        goto out;
    if ((st = hbg_graph_validate(C->g, 1)) != HBG_OK)
        msg_fail(C->err, C->errlen, st, "%s: %s", C->proto_file, C->g->err);
out:
    free(kept);
    net_layers_free(&nl);
    return st;
}

hbg_status hbc_caffe_load(const char *prototxt, const char *caffemodel, hbg_graph **out, char *err,
                          size_t errlen)
{
    static const ProtobufCMessageDescriptor *const lenient[] = {
        &caffe__net_parameter__descriptor, &caffe__layer_parameter__descriptor,
        &caffe__v1_layer_parameter__descriptor, NULL};
    cf_ctx C;
    char *text = NULL, *bin = NULL;
    size_t text_len, bin_len;
    ProtobufCMessage *net = NULL;
    Caffe__NetParameter *model = NULL;
    hbg_status st;

    memset(&C, 0, sizeof C);
    C.proto_file = prototxt;
    C.model_file = caffemodel;
    C.err = err;
    C.errlen = errlen;
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if ((st = read_file(prototxt, &text, &text_len, err, errlen)) != HBG_OK ||
        (st = hbc_prototxt_parse(text, text_len, prototxt, &caffe__net_parameter__descriptor,
                                 lenient, &net, err, errlen)) != HBG_OK)
        goto out;
    if (caffemodel) {
        if ((st = read_file(caffemodel, &bin, &bin_len, err, errlen)) != HBG_OK)
            goto out;
        model = caffe__net_parameter__unpack(NULL, bin_len, (const uint8_t *)bin);
        if (!model) {
            st = msg_fail(err, errlen, HBG_E_FORMAT,
                          "%s: not a Caffe model: the protobuf does not parse (truncated or "
                          "corrupt file?)",
                          caffemodel);
            goto out;
        }
    }
    if (!(C.g = hbg_graph_create())) {
        st = msg_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", prototxt);
        goto out;
    }
    if ((st = build(&C, (const Caffe__NetParameter *)net, model)) != HBG_OK)
        goto out;
    *out = C.g;
    C.g = NULL;
out:
    hbg_graph_free(C.g);
    free(C.blobs);
    free(C.weights);
    if (model)
        caffe__net_parameter__free_unpacked(model, NULL);
    if (net)
        protobuf_c_message_free_unpacked(net, NULL);
    free(bin);
    free(text);
    return st;
}
