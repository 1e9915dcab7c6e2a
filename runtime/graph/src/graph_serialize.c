/* hbg serialisation (hbg/serialize.h; format in docs/bin-model.md section 4). Writer: a growable
 * byte buffer. Reader: a bounded cursor that fails on the first short read, so no field can point
 * outside the input; counts are limited by the bytes left before anything is allocated. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbg/serialize.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "graph_serialize.c writes host byte order and assumes a little-endian host"
#endif

/* Limits of the reader beyond the bytes available (all far above real models). */
#define SER_MAX_COUNT (1u << 24) /* tensors, nodes, attributes, list entries */
#define SER_MAX_IO    (1u << 16) /* node inputs / outputs (as hbg_graph_add_node) */

/* ---- writer ------------------------------------------------------------------------------- */

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *v, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

static void put_u32(wbuf *b, uint32_t v)
{
    put(b, &v, 4);
}

static void put_i64(wbuf *b, int64_t v)
{
    put(b, &v, 8);
}

static void put_str(wbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

/* A tensor record: name, dtype, rank, dims, const flag and data. */
static hbg_status put_tensor(wbuf *b, hbg_graph *g, const hbg_tensor *t)
{
    put_str(b, t->name);
    put_u32(b, (uint32_t)t->dtype);
    put_u32(b, (uint32_t)(int32_t)t->rank);
    for (int d = 0; d < t->rank && d < HBG_MAX_RANK; d++)
        put_i64(b, t->dims[d]);
    int with_data = t->is_const && t->data;
    put_u32(b, (uint32_t)with_data);
    if (with_data) {
        int64_t nb = hbg_tensor_nbytes(t);
        if (nb < 0 || hbg_dtype_size(t->dtype) == 0)
            return hbg_graph_fail(g, HBG_E_INVALID, "serialize: constant '%s' has no known size",
                                  t->name);
        put_i64(b, nb);
        put(b, t->data, (size_t)nb);
    }
    return HBG_OK;
}

static hbg_status put_attr(wbuf *b, hbg_graph *g, const hbg_node *n, const hbg_attr *a)
{
    put_str(b, a->name);
    put_u32(b, (uint32_t)a->type);
    switch (a->type) {
    case HBG_ATTR_FLOAT:
        put(b, &a->f, 4);
        return HBG_OK;
    case HBG_ATTR_INT:
        put_i64(b, a->i);
        return HBG_OK;
    case HBG_ATTR_STRING:
        put_str(b, a->s);
        return HBG_OK;
    case HBG_ATTR_FLOATS:
        put_u32(b, (uint32_t)a->n);
        put(b, a->floats, a->n * sizeof(float));
        return HBG_OK;
    case HBG_ATTR_INTS:
        put_u32(b, (uint32_t)a->n);
        put(b, a->ints, a->n * sizeof(int64_t));
        return HBG_OK;
    case HBG_ATTR_STRINGS:
        put_u32(b, (uint32_t)a->n);
        for (size_t i = 0; i < a->n; i++)
            put_str(b, a->strings[i]);
        return HBG_OK;
    case HBG_ATTR_TENSOR:
        if (!a->t)
            break;
        return put_tensor(b, g, a->t);
    default:
        break;
    }
    return hbg_graph_fail(g, HBG_E_UNSUPPORTED, "serialize: node '%s': attribute '%s' of type %d",
                          hbg_node_label(g, n), a->name, (int)a->type);
}

hbg_status hbg_serialize(hbg_graph *g, uint8_t **out, size_t *size)
{
    wbuf b = {0};
    hbg_status st = HBG_OK;
    if (!g || !out || !size)
        return HBG_E_INVALID;
    *out = NULL;
    *size = 0;
    put(&b, HBG_SER_MAGIC, 4);
    put_u32(&b, HBG_SER_VERSION);
    put_str(&b, g->name);
    put_u32(&b, (uint32_t)g->n_tensors);
    for (int i = 0; i < g->n_tensors && st == HBG_OK; i++)
        st = put_tensor(&b, g, g->tensors[i]);
    put_u32(&b, (uint32_t)g->n_inputs);
    for (int i = 0; i < g->n_inputs; i++)
        put_u32(&b, (uint32_t)g->inputs[i]);
    put_u32(&b, (uint32_t)g->n_outputs);
    for (int i = 0; i < g->n_outputs; i++)
        put_u32(&b, (uint32_t)g->outputs[i]);
    put_u32(&b, (uint32_t)g->n_opsets);
    for (int i = 0; i < g->n_opsets; i++) {
        put_str(&b, g->opsets[i].domain);
        put_i64(&b, g->opsets[i].version);
    }
    put_u32(&b, (uint32_t)g->n_nodes);
    for (int i = 0; i < g->n_nodes && st == HBG_OK; i++) {
        const hbg_node *n = &g->nodes[i];
        if (n->op == HBG_OP_UNKNOWN) {
            st = hbg_graph_fail(g, HBG_E_UNSUPPORTED,
                                "serialize: node '%s': op type '%s' (domain '%s') is not in the "
                                "registry",
                                hbg_node_label(g, n), n->op_type, n->domain ? n->domain : "");
            break;
        }
        put_str(&b, n->name);
        /* a custom op is stored by its op type; the reader needs the same plugin registered */
        put_str(&b, n->op == HBG_OP_CUSTOM ? n->op_type : hbg_op_name(n->op));
        put_str(&b, n->domain);
        put_u32(&b, (uint32_t)n->n_in);
        for (int k = 0; k < n->n_in; k++)
            put_u32(&b, (uint32_t)n->in[k]); /* -1 (omitted) is 0xFFFFFFFF */
        put_u32(&b, (uint32_t)n->n_out);
        for (int k = 0; k < n->n_out; k++)
            put_u32(&b, (uint32_t)n->out[k]);
        put_u32(&b, (uint32_t)n->n_attr);
        for (int k = 0; k < n->n_attr && st == HBG_OK; k++)
            st = put_attr(&b, g, n, &n->attrs[k]);
    }
    if (st == HBG_OK && b.oom)
        st = hbg_graph_fail(g, HBG_E_NOMEM, "serialize: out of memory");
    if (st != HBG_OK) {
        free(b.p);
        return st;
    }
    *out = b.p;
    *size = b.n;
    return HBG_OK;
}

/* ---- reader ------------------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, pos;
    hbg_status st; /* first failure, HBG_OK while reading is fine */
    char *err;
    size_t errsz;
} rd;

__attribute__((format(printf, 3, 4))) static void rfail(rd *r, hbg_status st, const char *fmt, ...)
{
    if (r->st != HBG_OK)
        return;
    r->st = st;
    if (r->err && r->errsz) {
        int k = snprintf(r->err, r->errsz, "cpu subgraph at byte %zu: ", r->pos);
        if (k >= 0 && (size_t)k < r->errsz) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->err + k, r->errsz - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
}

static int get(rd *r, void *v, size_t n, const char *what)
{
    if (r->st != HBG_OK)
        return -1;
    if (n > r->n - r->pos) {
        rfail(r, HBG_E_FORMAT, "truncated in %s (%zu bytes needed, %zu left)", what, n,
              r->n - r->pos);
        return -1;
    }
    if (n)
        memcpy(v, r->p + r->pos, n);
    r->pos += n;
    return 0;
}

static uint32_t get_u32(rd *r, const char *what)
{
    uint32_t v = 0;
    get(r, &v, 4, what);
    return v;
}

static int64_t get_i64(rd *r, const char *what)
{
    int64_t v = 0;
    get(r, &v, 8, what);
    return v;
}

/* A count of items of at least min_bytes each: bounded by the bytes left and SER_MAX_COUNT. */
static uint32_t get_count(rd *r, size_t min_bytes, uint32_t limit, const char *what)
{
    uint32_t v = get_u32(r, what);
    if (r->st != HBG_OK)
        return 0;
    if (v > limit || (size_t)v * min_bytes > r->n - r->pos) {
        rfail(r, HBG_E_FORMAT, "%s count %u is larger than the data allows", what, v);
        return 0;
    }
    return v;
}

/* A length-prefixed string without NUL bytes, returned as a malloc'd NUL-terminated copy. */
static char *get_str(rd *r, const char *what)
{
    uint32_t n = get_count(r, 1, UINT32_MAX, what);
    if (r->st != HBG_OK)
        return NULL;
    if (memchr(r->p + r->pos, 0, n)) {
        rfail(r, HBG_E_FORMAT, "%s contains a NUL byte", what);
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        rfail(r, HBG_E_NOMEM, "out of memory reading %s", what);
        return NULL;
    }
    memcpy(s, r->p + r->pos, n);
    s[n] = 0;
    r->pos += n;
    return s;
}

/* Read a tensor record into t (name already set by the caller or set here when name_out). */
static void get_tensor_body(rd *r, hbg_tensor *t, const char *name)
{
    uint32_t dt = get_u32(r, "tensor dtype");
    int32_t rank = (int32_t)get_u32(r, "tensor rank");
    if (r->st != HBG_OK)
        return;
    if (dt != HBG_DT_UNDEF && hbg_dtype_size((hbg_dtype)dt) == 0) {
        rfail(r, HBG_E_FORMAT, "tensor '%s': unknown dtype %u", name, dt);
        return;
    }
    if (rank < -1 || rank > HBG_MAX_RANK) {
        rfail(r, HBG_E_FORMAT, "tensor '%s': rank %d out of range -1..%d", name, rank,
              HBG_MAX_RANK);
        return;
    }
    t->dtype = (hbg_dtype)dt;
    t->rank = rank;
    for (int d = 0; d < rank; d++) {
        int64_t v = get_i64(r, "tensor dim");
        if (r->st == HBG_OK && (v < -1 || v > INT32_MAX)) {
            rfail(r, HBG_E_FORMAT, "tensor '%s': dim %d = %lld out of range", name, d,
                  (long long)v);
            return;
        }
        t->dims[d] = v;
    }
    uint32_t has_data = get_u32(r, "tensor data flag");
    if (r->st != HBG_OK)
        return;
    if (has_data > 1) {
        rfail(r, HBG_E_FORMAT, "tensor '%s': data flag %u is not 0 or 1", name, has_data);
        return;
    }
    if (!has_data)
        return;
    int64_t nb = get_i64(r, "tensor data size");
    if (r->st != HBG_OK)
        return;
    int64_t want = hbg_tensor_nbytes(t);
    if (dt == HBG_DT_UNDEF || want < 0 || nb != want) {
        rfail(r, HBG_E_FORMAT, "tensor '%s': %lld data bytes for a %s tensor needing %lld", name,
              (long long)nb, hbg_dtype_name(t->dtype), (long long)want);
        return;
    }
    if ((uint64_t)nb > r->n - r->pos) {
        rfail(r, HBG_E_FORMAT, "tensor '%s': data truncated (%lld bytes, %zu left)", name,
              (long long)nb, r->n - r->pos);
        return;
    }
    t->data = malloc(nb ? (size_t)nb : 1);
    if (!t->data) {
        rfail(r, HBG_E_NOMEM, "tensor '%s': out of memory (%lld bytes)", name, (long long)nb);
        return;
    }
    get(r, t->data, (size_t)nb, "tensor data");
    t->is_const = 1;
}

static void get_attr(rd *r, hbg_node *n, const char *label)
{
    char *name = get_str(r, "attribute name");
    uint32_t type = get_u32(r, "attribute type");
    hbg_attr *a = NULL;
    if (r->st != HBG_OK)
        goto out;
    if (!name[0]) {
        rfail(r, HBG_E_FORMAT, "node '%s': empty attribute name", label);
        goto out;
    }
    if (hbg_node_attr(n, name)) {
        rfail(r, HBG_E_FORMAT, "node '%s': attribute '%s' appears twice", label, name);
        goto out;
    }
    if (type != HBG_ATTR_FLOAT && type != HBG_ATTR_INT && type != HBG_ATTR_STRING &&
        type != HBG_ATTR_TENSOR && type != HBG_ATTR_FLOATS && type != HBG_ATTR_INTS &&
        type != HBG_ATTR_STRINGS) {
        rfail(r, HBG_E_FORMAT, "node '%s': attribute '%s' has unknown type %u", label, name, type);
        goto out;
    }
    a = hbg_node_add_attr(n, name, (hbg_attr_type)type);
    if (!a) {
        rfail(r, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    switch (type) {
    case HBG_ATTR_FLOAT:
        get(r, &a->f, 4, "float attribute");
        break;
    case HBG_ATTR_INT:
        a->i = get_i64(r, "int attribute");
        break;
    case HBG_ATTR_STRING:
        a->s = get_str(r, "string attribute");
        break;
    case HBG_ATTR_FLOATS:
        a->n = get_count(r, 4, SER_MAX_COUNT, "floats attribute");
        if (r->st == HBG_OK && !(a->floats = malloc(a->n ? a->n * 4 : 1)))
            rfail(r, HBG_E_NOMEM, "out of memory");
        get(r, a->floats, a->n * 4, "floats attribute");
        break;
    case HBG_ATTR_INTS:
        a->n = get_count(r, 8, SER_MAX_COUNT, "ints attribute");
        if (r->st == HBG_OK && !(a->ints = malloc(a->n ? a->n * 8 : 1)))
            rfail(r, HBG_E_NOMEM, "out of memory");
        get(r, a->ints, a->n * 8, "ints attribute");
        break;
    case HBG_ATTR_STRINGS: {
        size_t cnt = get_count(r, 4, SER_MAX_COUNT, "strings attribute");
        if (r->st == HBG_OK && !(a->strings = calloc(cnt ? cnt : 1, sizeof(char *))))
            rfail(r, HBG_E_NOMEM, "out of memory");
        for (size_t i = 0; i < cnt && r->st == HBG_OK; i++) {
            a->strings[i] = get_str(r, "strings attribute entry");
            a->n = i + 1;
        }
        break;
    }
    default: /* HBG_ATTR_TENSOR */ {
        char *tname = get_str(r, "tensor attribute name");
        if (r->st == HBG_OK && !(a->t = hbg_tensor_create(tname)))
            rfail(r, HBG_E_NOMEM, "out of memory");
        if (r->st == HBG_OK)
            get_tensor_body(r, a->t, tname);
        if (r->st == HBG_OK && !a->t->is_const)
            rfail(r, HBG_E_FORMAT, "node '%s': tensor attribute '%s' has no data", label, name);
        free(tname);
        break;
    }
    }
out:
    free(name);
}

static void get_node(rd *r, hbg_graph *g, const char **names, const char **scratch)
{
    char *name = get_str(r, "node name");
    char *op = get_str(r, "node op type");
    char *domain = get_str(r, "node domain");
    hbg_node *n = NULL;
    uint32_t n_in = 0, n_out = 0, n_attr = 0;
    if (r->st != HBG_OK)
        goto out;
    if (hbg_op_from_name(op) == HBG_OP_UNKNOWN || (domain[0] && strcmp(domain, "ai.onnx") != 0)) {
        rfail(r, HBG_E_UNSUPPORTED,
              "node '%s': op type '%s' (domain '%s') is neither a built-in operator nor a "
              "registered custom op plugin (docs/custom-ops.md)",
              name, op, domain);
        goto out;
    }
    n_in = get_count(r, 4, SER_MAX_IO, "node inputs");
    for (uint32_t k = 0; k < n_in && r->st == HBG_OK; k++) {
        uint32_t t = get_u32(r, "node input");
        if (r->st == HBG_OK && t != UINT32_MAX && t >= (uint32_t)g->n_tensors)
            rfail(r, HBG_E_FORMAT, "node '%s': input %u refers to tensor %u of %d", name, k, t,
                  g->n_tensors);
        scratch[k] = (r->st != HBG_OK || t == UINT32_MAX) ? NULL : names[t];
    }
    if (r->st != HBG_OK)
        goto out;
    n_out = get_count(r, 4, SER_MAX_IO, "node outputs");
    const char **outs = scratch + n_in;
    for (uint32_t k = 0; k < n_out && r->st == HBG_OK; k++) {
        uint32_t t = get_u32(r, "node output");
        if (r->st == HBG_OK && t >= (uint32_t)g->n_tensors)
            rfail(r, HBG_E_FORMAT, "node '%s': output %u refers to tensor %u of %d", name, k, t,
                  g->n_tensors);
        outs[k] = r->st == HBG_OK ? names[t] : NULL;
    }
    if (r->st != HBG_OK)
        goto out;
    if (hbg_graph_add_node(g, op, domain, name, (int)n_in, scratch, (int)n_out, outs, &n) !=
        HBG_OK) {
        rfail(r, HBG_E_NOMEM, "node '%s': %s", name, g->err);
        goto out;
    }
    n_attr = get_count(r, 8, SER_MAX_COUNT, "node attributes");
    for (uint32_t k = 0; k < n_attr && r->st == HBG_OK; k++)
        get_attr(r, n, name);
out:
    free(name);
    free(op);
    free(domain);
}

hbg_status hbg_deserialize(const uint8_t *data, size_t size, hbg_graph **out, char *err,
                           size_t errsz)
{
    rd r = {.p = data, .n = size, .st = HBG_OK, .err = err, .errsz = errsz};
    hbg_graph *g = NULL;
    const char **names = NULL, **scratch = NULL;
    char magic[4];
    if (err && errsz)
        err[0] = 0;
    if (!out || (!data && size)) {
        rfail(&r, HBG_E_INVALID, "NULL argument");
        return r.st;
    }
    *out = NULL;
    if (get(&r, magic, 4, "magic") == 0 && memcmp(magic, HBG_SER_MAGIC, 4) != 0)
        rfail(&r, HBG_E_FORMAT, "bad magic (not a serialised graph)");
    uint32_t version = get_u32(&r, "version");
    if (r.st == HBG_OK && version != HBG_SER_VERSION)
        rfail(&r, HBG_E_UNSUPPORTED, "format version %u (this reader knows %u)", version,
              HBG_SER_VERSION);
    if (r.st != HBG_OK)
        goto out;
    if (!(g = hbg_graph_create())) {
        rfail(&r, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    free(g->name);
    g->name = get_str(&r, "graph name");
    /* a tensor record is at least name length + dtype + rank + data flag = 16 bytes */
    uint32_t nt = get_count(&r, 16, SER_MAX_COUNT, "tensors");
    if (r.st == HBG_OK && !(names = calloc((size_t)nt + 1, sizeof *names)))
        rfail(&r, HBG_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < nt && r.st == HBG_OK; i++) {
        char *name = get_str(&r, "tensor name");
        if (r.st != HBG_OK)
            break;
        if (!name[0] || hbg_graph_find_tensor(g, name) >= 0) {
            rfail(&r, HBG_E_FORMAT, "tensor %u: name '%s' is empty or used twice", i, name);
        } else {
            int idx = hbg_graph_tensor(g, name);
            if (idx < 0)
                rfail(&r, HBG_E_NOMEM, "out of memory");
            else {
                get_tensor_body(&r, g->tensors[idx], name);
                names[i] = g->tensors[idx]->name;
            }
        }
        free(name);
    }
    for (int io = 0; io < 2 && r.st == HBG_OK; io++) {
        uint32_t cnt = get_count(&r, 4, nt, io ? "graph outputs" : "graph inputs");
        for (uint32_t i = 0; i < cnt && r.st == HBG_OK; i++) {
            uint32_t t = get_u32(&r, "graph input/output");
            if (r.st != HBG_OK)
                break;
            if (t >= nt || g->tensors[t]->is_input || g->tensors[t]->is_output) {
                rfail(&r, HBG_E_FORMAT, "graph %s %u: tensor %u is out of range or listed twice",
                      io ? "output" : "input", i, t);
                break;
            }
            if ((io ? hbg_graph_add_output(g, (int)t) : hbg_graph_add_input(g, (int)t)) != HBG_OK)
                rfail(&r, HBG_E_NOMEM, "out of memory");
        }
    }
    uint32_t no = get_count(&r, 12, SER_MAX_COUNT, "opsets");
    for (uint32_t i = 0; i < no && r.st == HBG_OK; i++) {
        char *dom = get_str(&r, "opset domain");
        int64_t v = get_i64(&r, "opset version");
        if (r.st == HBG_OK && hbg_graph_add_opset(g, dom, v) != HBG_OK)
            rfail(&r, HBG_E_NOMEM, "out of memory");
        free(dom);
    }
    /* a node record is at least 3 string lengths + 3 counts = 24 bytes */
    uint32_t nn = get_count(&r, 24, SER_MAX_COUNT, "nodes");
    if (r.st == HBG_OK && !(scratch = calloc(2 * (size_t)SER_MAX_IO + 2, sizeof *scratch)))
        rfail(&r, HBG_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < nn && r.st == HBG_OK; i++)
        get_node(&r, g, names, scratch);
    if (r.st == HBG_OK && r.pos != r.n)
        rfail(&r, HBG_E_FORMAT, "%zu trailing bytes", r.n - r.pos);
    if (r.st == HBG_OK && g->n_tensors != (int)nt)
        rfail(&r, HBG_E_FORMAT, "nodes name tensors that are not in the tensor table");
    if (r.st == HBG_OK) {
        hbg_status vs = hbg_graph_validate(g, 1);
        if (vs != HBG_OK)
            rfail(&r, vs, "%s", g->err);
    }
out:
    free(names);
    free(scratch);
    if (r.st != HBG_OK) {
        hbg_graph_free(g);
        return r.st;
    }
    *out = g;
    return HBG_OK;
}
