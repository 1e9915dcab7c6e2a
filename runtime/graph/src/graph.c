/* The graph IR: construction, lookup, attributes and teardown. Validation is in validate.c. */
#include "hbg/graph.h"
#include "hbg/kernel.h"
#include "graph_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    "ok", "invalid", "unsupported", "out of memory", "i/o error", "format error", "shape error",
};

const char *hbg_status_str(hbg_status st)
{
    int i = -(int)st;
    if (i < 0 || i >= (int)(sizeof status_names / sizeof status_names[0]))
        return "unknown status";
    return status_names[i];
}

size_t hbg_dtype_size(hbg_dtype dt)
{
    switch (dt) {
    case HBG_DT_F32:
    case HBG_DT_I32:
        return 4;
    case HBG_DT_U8:
    case HBG_DT_I8:
    case HBG_DT_BOOL:
        return 1;
    case HBG_DT_I64:
    case HBG_DT_F64:
        return 8;
    case HBG_DT_UNDEF:
        break;
    }
    return 0;
}

const char *hbg_dtype_name(hbg_dtype dt)
{
    switch (dt) {
    case HBG_DT_F32:
        return "float";
    case HBG_DT_U8:
        return "uint8";
    case HBG_DT_I8:
        return "int8";
    case HBG_DT_I32:
        return "int32";
    case HBG_DT_I64:
        return "int64";
    case HBG_DT_BOOL:
        return "bool";
    case HBG_DT_F64:
        return "double";
    case HBG_DT_UNDEF:
        break;
    }
    return "unknown";
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "");
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s ? s : "", n);
        d[n] = '\0';
    }
    return d;
}

hbg_graph *hbg_graph_create(void)
{
    hbg_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->name = dup_str("");
    g->producer_name = dup_str("");
    g->producer_version = dup_str("");
    if (!g->name || !g->producer_name || !g->producer_version) {
        hbg_graph_free(g);
        return NULL;
    }
    g->ir_version = 8;
    return g;
}

hbg_tensor *hbg_tensor_create(const char *name)
{
    hbg_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = dup_str(name);
    if (!t->name) {
        free(t);
        return NULL;
    }
    t->rank = -1;
    t->producer = -1;
    return t;
}

void hbg_tensor_free(hbg_tensor *t)
{
    if (!t)
        return;
    for (int i = 0; i < HBG_MAX_RANK; i++)
        free(t->dim_names[i]);
    free(t->name);
    free(t->data);
    free(t);
}

void hbg_attr_clear(hbg_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->floats);
    free(a->ints);
    if (a->strings) {
        for (size_t i = 0; i < a->n; i++)
            free(a->strings[i]);
        free(a->strings);
    }
    hbg_tensor_free(a->t);
}

void hbg_node_clear(hbg_node *n)
{
    free(n->name);
    free(n->op_type);
    free(n->domain);
    free(n->in);
    free(n->out);
    for (int i = 0; i < n->n_attr; i++)
        hbg_attr_clear(&n->attrs[i]);
    free(n->attrs);
    free(n->params);
}

void hbg_graph_free(hbg_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_tensors; i++) {
        hbg_tensor *t = g->tensors[i];
        if (t && !t->is_const)
            t->data = NULL; /* executor buffers are not ours */
        hbg_tensor_free(t);
    }
    free(g->tensors);
    for (int i = 0; i < g->n_nodes; i++)
        hbg_node_clear(&g->nodes[i]);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    for (int i = 0; i < g->n_opsets; i++)
        free(g->opsets[i].domain);
    free(g->opsets);
    free(g->name);
    free(g->producer_name);
    free(g->producer_version);
    free(g);
}

hbg_status hbg_graph_fail(hbg_graph *g, hbg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, sizeof g->err, fmt, ap);
    va_end(ap);
    return st;
}

/* Grow *arr (element size sz) to hold at least need elements; capacity doubles. */
static int grow(void **arr, int *cap, int need, size_t sz)
{
    if (need <= *cap)
        return 0;
    int nc = *cap ? *cap : 16;
    while (nc < need) {
        if (nc > (1 << 28))
            return -1;
        nc *= 2;
    }
    void *p = realloc(*arr, (size_t)nc * sz);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

int hbg_graph_find_tensor(const hbg_graph *g, const char *name)
{
    /* Linear scan: graphs have at most a few thousand tensors and lookups happen at load time. */
    for (int i = g->n_tensors - 1; i >= 0; i--)
        if (strcmp(g->tensors[i]->name, name) == 0)
            return i;
    return -1;
}

int hbg_graph_tensor(hbg_graph *g, const char *name)
{
    int idx = hbg_graph_find_tensor(g, name);
    if (idx >= 0)
        return idx;
    if (grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors))
        return -1;
    hbg_tensor *t = hbg_tensor_create(name);
    if (!t)
        return -1;
    g->tensors[g->n_tensors] = t;
    return g->n_tensors++;
}

hbg_status hbg_tensor_set_shape(hbg_tensor *t, hbg_dtype dt, int rank, const int64_t *dims)
{
    if (rank < 0 || rank > HBG_MAX_RANK)
        return HBG_E_UNSUPPORTED;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return HBG_E_SHAPE;
    t->dtype = dt;
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->dims[i] = dims[i];
    return HBG_OK;
}

int64_t hbg_tensor_numel(const hbg_tensor *t)
{
    if (t->rank < 0)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0)
            return -1;
        if (t->dims[i] != 0 && n > INT64_MAX / t->dims[i])
            return -1;
        n *= t->dims[i];
    }
    return n;
}

int64_t hbg_tensor_nbytes(const hbg_tensor *t)
{
    int64_t n = hbg_tensor_numel(t);
    int64_t sz = (int64_t)hbg_dtype_size(t->dtype);
    if (n < 0 || sz == 0 || n > INT64_MAX / sz)
        return -1;
    return n * sz;
}

char *hbg_shape_str(const hbg_tensor *t, char *buf, size_t size)
{
    size_t used = 0;
    if (!size)
        return buf;
    buf[0] = '\0';
    if (t->rank < 0) {
        snprintf(buf, size, "?");
        return buf;
    }
    if (t->rank == 0) {
        snprintf(buf, size, "scalar");
        return buf;
    }
    for (int i = 0; i < t->rank && used < size; i++) {
        int w;
        if (t->dims[i] < 0)
            w = snprintf(buf + used, size - used, "%s%s", i ? "x" : "",
                         t->dim_names[i] ? t->dim_names[i] : "?");
        else
            w = snprintf(buf + used, size - used, "%s%lld", i ? "x" : "", (long long)t->dims[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

hbg_status hbg_graph_set_const(hbg_graph *g, int idx, hbg_dtype dt, int rank, const int64_t *dims,
                               const void *data, size_t nbytes)
{
    hbg_tensor *t = g->tensors[idx];
    hbg_tensor tmp = {0};
    if (hbg_dtype_size(dt) == 0)
        return hbg_graph_fail(g, HBG_E_UNSUPPORTED, "tensor '%s': element type %d not supported",
                              t->name, (int)dt);
    if (hbg_tensor_set_shape(&tmp, dt, rank, dims) != HBG_OK)
        return hbg_graph_fail(g, HBG_E_SHAPE, "tensor '%s': invalid shape (rank %d)", t->name,
                              rank);
    int64_t want = hbg_tensor_nbytes(&tmp);
    if (want < 0 || (uint64_t)want != (uint64_t)nbytes)
        return hbg_graph_fail(g, HBG_E_SHAPE,
                              "tensor '%s': %zu bytes of data but its shape needs %lld", t->name,
                              nbytes, (long long)want);
    void *copy = malloc(nbytes ? nbytes : 1);
    if (!copy)
        return hbg_graph_fail(g, HBG_E_NOMEM, "tensor '%s': out of memory (%zu bytes)", t->name,
                              nbytes);
    if (nbytes)
        memcpy(copy, data, nbytes);
    if (t->is_const)
        free(t->data);
    t->data = copy;
    t->is_const = 1;
    hbg_tensor_set_shape(t, dt, rank, dims);
    return HBG_OK;
}

static hbg_status add_index(hbg_graph *g, int **arr, int *n, int idx)
{
    int *p = realloc(*arr, (size_t)(*n + 1) * sizeof **arr);
    if (!p)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    p[(*n)++] = idx;
    *arr = p;
    return HBG_OK;
}

hbg_status hbg_graph_add_input(hbg_graph *g, int idx)
{
    g->tensors[idx]->is_input = 1;
    return add_index(g, &g->inputs, &g->n_inputs, idx);
}

hbg_status hbg_graph_add_output(hbg_graph *g, int idx)
{
    g->tensors[idx]->is_output = 1;
    return add_index(g, &g->outputs, &g->n_outputs, idx);
}

hbg_status hbg_graph_add_opset(hbg_graph *g, const char *domain, int64_t version)
{
    hbg_opset *p = realloc(g->opsets, (size_t)(g->n_opsets + 1) * sizeof *p);
    if (!p)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    g->opsets = p;
    p[g->n_opsets].domain = dup_str(domain);
    p[g->n_opsets].version = version;
    if (!p[g->n_opsets].domain)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    g->n_opsets++;
    return HBG_OK;
}

int64_t hbg_graph_opset(const hbg_graph *g, const char *domain)
{
    int want_default = !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
    for (int i = 0; i < g->n_opsets; i++) {
        const char *d = g->opsets[i].domain;
        int is_default = !*d || strcmp(d, "ai.onnx") == 0;
        if (want_default ? is_default : strcmp(d, domain) == 0)
            return g->opsets[i].version;
    }
    return 0;
}

hbg_status hbg_graph_add_node(hbg_graph *g, const char *op_type, const char *domain,
                              const char *name, int n_in, const char *const *in_names, int n_out,
                              const char *const *out_names, hbg_node **out_node)
{
    hbg_node *n;
    if (n_in < 0 || n_out < 0 || n_in > 1 << 16 || n_out > 1 << 16)
        return hbg_graph_fail(g, HBG_E_INVALID, "node '%s' (%s): bad input/output count",
                              name ? name : "", op_type);
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    g->n_nodes++; /* counted now so that hbg_graph_free releases a half-built node */
    n->name = dup_str(name);
    n->op_type = dup_str(op_type);
    n->domain = dup_str(domain);
    n->in = calloc((size_t)n_in + 1, sizeof *n->in);
    n->out = calloc((size_t)n_out + 1, sizeof *n->out);
    if (!n->name || !n->op_type || !n->domain || !n->in || !n->out)
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    n->op = (!domain || !*domain || strcmp(domain, "ai.onnx") == 0) ? hbg_op_from_name(op_type)
                                                                    : HBG_OP_UNKNOWN;
    for (int i = 0; i < n_in; i++) {
        if (!in_names[i] || !in_names[i][0]) {
            n->in[i] = -1;
        } else if ((n->in[i] = hbg_graph_tensor(g, in_names[i])) < 0) {
            return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
        }
        n->n_in = i + 1;
    }
    for (int i = 0; i < n_out; i++) {
        if (!out_names[i] || !out_names[i][0]) {
            /* An omitted optional output: give it a private name so indices stay valid. */
            char buf[96];
            snprintf(buf, sizeof buf, "%s::unused_out%d#%d", name ? name : "", i, g->n_nodes - 1);
            n->out[i] = hbg_graph_tensor(g, buf);
        } else {
            n->out[i] = hbg_graph_tensor(g, out_names[i]);
        }
        if (n->out[i] < 0)
            return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
        n->n_out = i + 1;
    }
    if (out_node)
        *out_node = n;
    return HBG_OK;
}

hbg_attr *hbg_node_add_attr(hbg_node *n, const char *name, hbg_attr_type type)
{
    hbg_attr *p = realloc(n->attrs, (size_t)(n->n_attr + 1) * sizeof *p);
    if (!p)
        return NULL;
    n->attrs = p;
    hbg_attr *a = &p[n->n_attr];
    memset(a, 0, sizeof *a);
    a->name = dup_str(name);
    if (!a->name)
        return NULL;
    a->type = type;
    n->n_attr++;
    return a;
}

const char *hbg_node_label(const hbg_graph *g, const hbg_node *n)
{
    if (n->name && n->name[0])
        return n->name;
    if (n->n_out > 0 && n->out[0] >= 0)
        return g->tensors[n->out[0]]->name;
    return "(unnamed)";
}

const hbg_attr *hbg_node_attr(const hbg_node *n, const char *name)
{
    for (int i = 0; i < n->n_attr; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t hbg_attr_int(const hbg_node *n, const char *name, int64_t dflt)
{
    const hbg_attr *a = hbg_node_attr(n, name);
    return a && a->type == HBG_ATTR_INT ? a->i : dflt;
}

float hbg_attr_float(const hbg_node *n, const char *name, float dflt)
{
    const hbg_attr *a = hbg_node_attr(n, name);
    if (a && a->type == HBG_ATTR_FLOAT)
        return a->f;
    if (a && a->type == HBG_ATTR_INT)
        return (float)a->i;
    return dflt;
}

const char *hbg_attr_string(const hbg_node *n, const char *name, const char *dflt)
{
    const hbg_attr *a = hbg_node_attr(n, name);
    return a && a->type == HBG_ATTR_STRING ? a->s : dflt;
}

int hbg_attr_ints(const hbg_node *n, const char *name, const int64_t **v)
{
    const hbg_attr *a = hbg_node_attr(n, name);
    if (!a || a->type != HBG_ATTR_INTS)
        return -1;
    *v = a->ints;
    return (int)a->n;
}

int hbg_attr_floats(const hbg_node *n, const char *name, const float **v)
{
    const hbg_attr *a = hbg_node_attr(n, name);
    if (!a || a->type != HBG_ATTR_FLOATS)
        return -1;
    *v = a->floats;
    return (int)a->n;
}

int64_t hbg_tensor_get_int(const hbg_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case HBG_DT_I64:
        return ((const int64_t *)t->data)[i];
    case HBG_DT_I32:
        return ((const int32_t *)t->data)[i];
    case HBG_DT_I8:
        return ((const int8_t *)t->data)[i];
    case HBG_DT_U8:
    case HBG_DT_BOOL:
        return ((const uint8_t *)t->data)[i];
    case HBG_DT_F32:
        return (int64_t)((const float *)t->data)[i];
    case HBG_DT_F64:
        return (int64_t)((const double *)t->data)[i];
    case HBG_DT_UNDEF:
        break;
    }
    return 0;
}

double hbg_tensor_get_double(const hbg_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case HBG_DT_F32:
        return ((const float *)t->data)[i];
    case HBG_DT_F64:
        return ((const double *)t->data)[i];
    default:
        return (double)hbg_tensor_get_int(t, i);
    }
}

hbg_status hbg_kfail(hbg_kctx *k, hbg_status st, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hbg_graph_fail(k->g, st, "node '%s' (%s): %s", hbg_node_label(k->g, k->node),
                          k->node->op_type, msg);
}
