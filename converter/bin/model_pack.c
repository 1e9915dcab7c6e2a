/* hbmp_add_model (hb_bin/model_pack.h): a compiled quantized graph -> one model of a .bin builder,
 * laid out as docs/bin-model.md says.
 *
 * Units of execution are the BPU subgraphs and the other nodes; they are ordered topologically
 * (stable: by first node index), then consecutive CPU nodes are merged into one CPU subgraph. Every
 * tensor crossing units has a "home" schedule tensor where its producer leaves it: the user's
 * buffer (graph inputs; graph outputs made off the BPU), a BPU output segment, or a dense runtime
 * buffer. A BPU subgraph's inputs are copied from their homes into its input segment by CONVERT
 * steps; graph outputs made on the BPU are copied out the same way. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "hb_bin/layer_map.h"
#include "hb_bin/model_pack.h"
#include "hbg/serialize.h"

enum { LOC_BUFFER = 0, LOC_SEGMENT = 1, LOC_INPUT = 2, LOC_OUTPUT = 3 };
enum { ST_BPU = 1, ST_CPU = 2, ST_QUANTIZE = 3, ST_DEQUANTIZE = 4, ST_CONVERT = 5 };
#define TREC 104 /* schedule tensor record bytes */
#define SREC 48  /* schedule step record bytes */
#define QDOM "ai.hbtc.int8"

/* A growable byte array. */
typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

typedef struct mp {
    const hbg_graph *g;
    const hbc_compiled *cm;
    hbbw *w;
    uint32_t model;
    bytes tens, steps, list, scales;
    uint32_t nt, ns, nl, nsc;
    int *home; /* per graph tensor: schedule tensor id, or -1 */
    int *flat; /* per graph tensor: graph-shaped copy of a home of another shape, or -1 */
    int *unit; /* per node: unit index */
    char *err;
    size_t errlen;
} mp;

__attribute__((format(printf, 3, 4))) static hbg_status mfail(mp *m, hbg_status st, const char *fmt,
                                                              ...)
{
    if (m->err && m->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->err, m->errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

static int grow(bytes *b, size_t add)
{
    if (b->n + add <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + add)
        cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q)
        return -1;
    b->p = q;
    b->cap = cap;
    return 0;
}

static void w32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t r32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int32_t api_dtype(hbg_dtype dt)
{
    switch (dt) {
    case HBG_DT_F32:
        return HB_DNN_TENSOR_TYPE_F32;
    case HBG_DT_I8:
        return HB_DNN_TENSOR_TYPE_S8;
    case HBG_DT_U8:
        return HB_DNN_TENSOR_TYPE_U8;
    case HBG_DT_I32:
        return HB_DNN_TENSOR_TYPE_S32;
    default:
        return -1;
    }
}

/* Append a schedule tensor record for graph tensor t; str = byte strides or dimension map. */
static hbg_status add_tensor_shaped(mp *m, int t, int rank, const int64_t *dims, uint32_t loc,
                                    uint32_t index, uint32_t seg, uint32_t offset,
                                    const int32_t *str, int *id)
{
    const hbg_tensor *gt = m->g->tensors[t];
    int32_t dt = api_dtype(gt->dtype);
    if (dt < 0 || rank < 1 || rank > 8)
        return mfail(m, HBG_E_UNSUPPORTED,
                     "tensor '%s': type %s rank %d cannot cross a step boundary", gt->name,
                     hbg_dtype_name(gt->dtype), gt->rank);
    if (grow(&m->tens, TREC))
        return mfail(m, HBG_E_NOMEM, "out of memory");
    uint8_t *r = m->tens.p + m->tens.n;
    memset(r, 0, TREC);
    w32(r, (uint32_t)dt);
    w32(r + 4, (uint32_t)rank);
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 1 || dims[d] > (1 << 24))
            return mfail(m, HBG_E_UNSUPPORTED, "tensor '%s': dimension %d = %lld", gt->name, d,
                         (long long)dims[d]);
        w32(r + 8 + 4 * d, (uint32_t)dims[d]);
        w32(r + 56 + 4 * d, (uint32_t)str[d]);
    }
    w32(r + 40, loc);
    w32(r + 44, index);
    w32(r + 48, seg);
    w32(r + 52, offset);
    m->tens.n += TREC;
    *id = (int)m->nt++;
    return HBG_OK;
}

/* A schedule tensor of graph tensor t in its graph shape. */
static hbg_status add_tensor(mp *m, int t, uint32_t loc, uint32_t index, uint32_t seg,
                             uint32_t offset, const int32_t *str, int *id)
{
    const hbg_tensor *gt = m->g->tensors[t];
    return add_tensor_shaped(m, t, gt->rank, gt->dims, loc, index, seg, offset, str, id);
}

/* Give schedule tensor id the scales (axis 1 when per channel); an existing different set is an
 * error. */
static hbg_status set_scales(mp *m, int id, const float *s, uint32_t n, uint32_t axis,
                             const char *name)
{
    uint8_t *r = m->tens.p + (size_t)id * TREC;
    if (r32(r + 88)) {
        const float *old = (const float *)(const void *)(m->scales.p + 4 * (size_t)r32(r + 96));
        if (r32(r + 88) != n || memcmp(old, s, n * sizeof(float)) != 0)
            return mfail(m, HBG_E_UNSUPPORTED, "tensor '%s': two different sets of scales", name);
        return HBG_OK;
    }
    if (grow(&m->scales, 4 * (size_t)n))
        return mfail(m, HBG_E_NOMEM, "out of memory");
    memcpy(m->scales.p + m->scales.n, s, 4 * (size_t)n);
    m->scales.n += 4 * (size_t)n;
    r = m->tens.p + (size_t)id * TREC; /* tens did not move, but keep the pointer fresh */
    w32(r + 88, n);
    w32(r + 92, n > 1 ? axis : 0);
    w32(r + 96, m->nsc);
    m->nsc += n;
    return HBG_OK;
}

static hbg_status add_step(mp *m, uint32_t kind, uint32_t blob, uint32_t n_in, const int *in,
                           uint32_t n_out, const int *out, const uint32_t *seg_bytes)
{
    if (grow(&m->steps, SREC) || grow(&m->list, 4 * ((size_t)n_in + n_out)))
        return mfail(m, HBG_E_NOMEM, "out of memory");
    uint8_t *r = m->steps.p + m->steps.n;
    memset(r, 0, SREC);
    w32(r, kind);
    w32(r + 4, blob);
    w32(r + 8, n_in);
    w32(r + 12, n_out);
    w32(r + 16, m->nl);
    for (uint32_t g = 1; seg_bytes && g < 8; g++)
        w32(r + 16 + 4 * g, seg_bytes[g]);
    for (uint32_t i = 0; i < n_in + n_out; i++) {
        w32(m->list.p + m->list.n, (uint32_t)(i < n_in ? in[i] : out[i - n_in]));
        m->list.n += 4;
    }
    m->nl += n_in + n_out;
    m->steps.n += SREC;
    m->ns++;
    return HBG_OK;
}

static void dense_strides(const hbg_tensor *t, int32_t str[8])
{
    int64_t s = (int64_t)hbg_dtype_size(t->dtype);
    memset(str, 0, 8 * sizeof(int32_t));
    for (int d = t->rank - 1; d >= 0; d--) {
        str[d] = (int32_t)s;
        s *= t->dims[d];
    }
}

/* 1 + the graph output index of tensor t, or 0 when t is not a graph output. */
static int is_graph_output(const hbg_graph *g, int t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return i + 1;
    return 0;
}

/* Tensor record of graph tensor t for the model's inputs / outputs (dense, aligned = valid). */
static hbg_status add_record(mp *m, int t, int is_input, const float *scales, int n_scales,
                             int axis, const int8_t *zero_point)
{
    const hbg_tensor *gt = m->g->tensors[t];
    hbbin_tensor r;
    int32_t str[8];
    memset(&r, 0, sizeof r);
    dense_strides(gt, str);
    r.name = gt->name;
    r.valid_ndim = r.aligned_ndim = (uint32_t)gt->rank;
    for (int d = 0; d < gt->rank; d++) {
        r.valid_dims[d] = r.aligned_dims[d] = (int32_t)gt->dims[d];
        r.stride[d] = str[d];
    }
    r.layout = gt->rank == 4 ? HBBIN_LAYOUT_NCHW : HBBIN_LAYOUT_NONE;
    r.data_type = (uint32_t)api_dtype(gt->dtype);
    r.aligned_byte_size = (uint32_t)hbg_tensor_nbytes(gt);
    if (n_scales > 0) {
        r.quant_type = HBBIN_QUANT_SCALE;
        r.quant_axis = n_scales > 1 ? axis : 0;
        r.quant_count = (uint32_t)n_scales;
        r.scales = scales;
        if (zero_point && *zero_point && n_scales == 1) {
            r.zero_point_count = 1;
            r.zero_points = zero_point;
        }
    }
    if (hbbw_add_tensor(m->w, m->model, is_input, &r) != HBBIN_OK)
        return mfail(m, HBG_E_INVALID, "tensor '%s': the .bin writer refused its record", gt->name);
    return HBG_OK;
}

/* The home of a tensor produced off the BPU: the user's output buffer for a graph output, else a
 * dense runtime buffer. */
static hbg_status make_home(mp *m, int t)
{
    int32_t str[8], id;
    hbg_status st;
    int oi = is_graph_output(m->g, t);
    if (oi) {
        int32_t map[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        if ((st = add_tensor(m, t, LOC_OUTPUT, (uint32_t)(oi - 1), 0, 0, map, &id)) != HBG_OK)
            return st;
    } else {
        dense_strides(m->g->tensors[t], str);
        if ((st = add_tensor(m, t, LOC_BUFFER, 0, 0, 0, str, &id)) != HBG_OK)
            return st;
    }
    m->home[t] = id;
    return HBG_OK;
}

/* Byte strides of a compiled boundary tensor's map over its logical dims. */
static void map_strides(const hbc_cm_tensor *ct, int32_t str[8])
{
    memset(str, 0, 8 * sizeof(int32_t));
    if (ct->layout == HBC_CM_NHWC) { /* [1, C, H, W] */
        str[0] = (int32_t)(ct->h * ct->row);
        str[1] = (int32_t)ct->elem;
        str[2] = (int32_t)ct->row;
        str[3] = (int32_t)ct->px;
        return;
    }
    /* rows: [d0, .., dn] -> x = row-major index over d0 .. d(n-1), channel = dn */
    int n = ct->rank - 1;
    str[n] = (int32_t)ct->elem;
    int64_t s = ct->px;
    for (int d = n - 1; d >= 0; d--) {
        str[d] = (int32_t)s;
        s *= ct->dims[d];
    }
}

/* The SEGMENT tensor of boundary tensor ct of BPU step `step`. An NHWC map is described in its
 * 4-D shape [1, c, h, w] whatever the graph's rank (a Flatten on the BPU keeps the map), so data
 * steps reading it walk the elements in the graph's row-major order. */
static hbg_status add_segment_tensor(mp *m, int t, const hbc_cm_tensor *ct, uint32_t step, int *id)
{
    int32_t str[8];
    map_strides(ct, str);
    if (ct->layout == HBC_CM_NHWC) {
        int64_t d4[4] = {1, ct->c, ct->h, ct->w};
        return add_tensor_shaped(m, t, 4, d4, LOC_SEGMENT, step, ct->seg, ct->offset, str, id);
    }
    return add_tensor(m, t, LOC_SEGMENT, step, ct->seg, ct->offset, str, id);
}

/* A schedule tensor holding graph tensor t in its graph shape: its home, or (when the home is a
 * map of another shape) a dense buffer filled from the home by a CONVERT step. */
static hbg_status graph_shaped(mp *m, int t, int *id)
{
    const hbg_tensor *gt = m->g->tensors[t];
    const uint8_t *r = m->tens.p + (size_t)m->home[t] * TREC;
    int same = r32(r + 4) == (uint32_t)gt->rank;
    for (int d = 0; same && d < gt->rank; d++)
        same = r32(r + 8 + 4 * d) == (uint32_t)gt->dims[d];
    if (same) {
        *id = m->home[t];
        return HBG_OK;
    }
    if (m->flat[t] < 0) {
        int32_t str[8];
        hbg_status st;
        dense_strides(gt, str);
        if ((st = add_tensor(m, t, LOC_BUFFER, 0, 0, 0, str, &m->flat[t])) != HBG_OK ||
            (st = add_step(m, ST_CONVERT, 0, 1, &m->home[t], 1, &m->flat[t], NULL)) != HBG_OK)
            return st;
    }
    *id = m->flat[t];
    return HBG_OK;
}

/* ---- CPU subgraphs ------------------------------------------------------------------------ */

static char *dup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s ? s : "", n);
    return p;
}

static hbg_tensor *copy_tensor(const hbg_tensor *t)
{
    hbg_tensor *c = hbg_tensor_create(t->name);
    if (!c)
        return NULL;
    hbg_tensor_set_shape(c, t->dtype, t->rank, t->dims);
    if (t->data) {
        int64_t n = hbg_tensor_nbytes(t);
        if (n < 0 || !(c->data = malloc(n ? (size_t)n : 1))) {
            hbg_tensor_free(c);
            return NULL;
        }
        memcpy(c->data, t->data, (size_t)n);
        c->is_const = 1;
    }
    return c;
}

static int copy_attr(hbg_node *n, const hbg_attr *a)
{
    hbg_attr *c = hbg_node_add_attr(n, a->name, a->type);
    if (!c)
        return -1;
    c->f = a->f;
    c->i = a->i;
    c->n = a->n;
    switch (a->type) {
    case HBG_ATTR_STRING:
        return (c->s = dup(a->s)) ? 0 : -1;
    case HBG_ATTR_FLOATS:
        if (!(c->floats = malloc(a->n * sizeof(float) + 1)))
            return -1;
        memcpy(c->floats, a->floats, a->n * sizeof(float));
        return 0;
    case HBG_ATTR_INTS:
        if (!(c->ints = malloc(a->n * sizeof(int64_t) + 1)))
            return -1;
        memcpy(c->ints, a->ints, a->n * sizeof(int64_t));
        return 0;
    case HBG_ATTR_STRINGS:
        if (!(c->strings = calloc(a->n + 1, sizeof(char *))))
            return -1;
        for (size_t i = 0; i < a->n; i++)
            if (!(c->strings[i] = dup(a->strings[i])))
                return -1;
        return 0;
    case HBG_ATTR_TENSOR:
        return (c->t = copy_tensor(a->t)) ? 0 : -1;
    default:
        return 0;
    }
}

/* Nodes nodes[0..cnt-1] (in order) -> CPU subgraph `blob` and its step. */
static hbg_status cpu_group(mp *m, const int *nodes, int cnt, uint32_t blob)
{
    const hbg_graph *g = m->g;
    hbg_graph *sg = hbg_graph_create();
    int *in_ids = NULL, *out_ids = NULL, n_in = 0, n_out = 0;
    uint8_t *ser = NULL;
    size_t ser_n = 0;
    hbg_status st = HBG_OK;
    char name[64];
    if (!sg || !(in_ids = malloc(sizeof(int) * (size_t)(g->n_tensors + 1))) ||
        !(out_ids = malloc(sizeof(int) * (size_t)(g->n_tensors + 1)))) {
        st = mfail(m, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    snprintf(name, sizeof name, "cpu_subgraph_%u", blob);
    free(sg->name);
    sg->name = dup(name);
    for (int i = 0; i < g->n_opsets; i++)
        hbg_graph_add_opset(sg, g->opsets[i].domain, g->opsets[i].version);
    int gid = m->unit[nodes[0]];
    for (int k = 0; k < cnt && st == HBG_OK; k++) {
        const hbg_node *n = &g->nodes[nodes[k]];
        const char *ins[64], *outs[64];
        if (n->n_in > 64 || n->n_out > 64) {
            st = mfail(m, HBG_E_UNSUPPORTED, "node '%s': too many inputs/outputs",
                       hbg_node_label(g, n));
            break;
        }
        for (int j = 0; j < n->n_in && st == HBG_OK; j++) {
            int t = n->in[j];
            ins[j] = t >= 0 ? g->tensors[t]->name : NULL;
            if (t < 0 || hbg_graph_find_tensor(sg, ins[j]) >= 0)
                continue;
            const hbg_tensor *gt = g->tensors[t];
            int idx = hbg_graph_tensor(sg, gt->name);
            if (idx < 0) {
                st = mfail(m, HBG_E_NOMEM, "out of memory");
            } else if (gt->is_const && gt->data) {
                if (hbg_graph_set_const(sg, idx, gt->dtype, gt->rank, gt->dims, gt->data,
                                        (size_t)hbg_tensor_nbytes(gt)) != HBG_OK)
                    st = mfail(m, HBG_E_NOMEM, "%s", sg->err);
            } else {
                if (m->home[t] < 0) {
                    st = mfail(m, HBG_E_INVALID, "node '%s': input '%s' has no producer",
                               hbg_node_label(g, n), gt->name);
                    break;
                }
                hbg_tensor_set_shape(sg->tensors[idx], gt->dtype, gt->rank, gt->dims);
                hbg_graph_add_input(sg, idx);
                st = graph_shaped(m, t, &in_ids[n_in++]);
            }
        }
        for (int j = 0; j < n->n_out; j++)
            outs[j] = g->tensors[n->out[j]]->name;
        hbg_node *c = NULL;
        if (st == HBG_OK && hbg_graph_add_node(sg, n->op_type, n->domain, n->name, n->n_in, ins,
                                               n->n_out, outs, &c) != HBG_OK)
            st = mfail(m, HBG_E_NOMEM, "%s", sg->err);
        for (int a = 0; st == HBG_OK && a < n->n_attr; a++)
            if (copy_attr(c, &n->attrs[a]))
                st = mfail(m, HBG_E_NOMEM, "out of memory");
    }
    /* outputs: produced here and read by another unit, or graph outputs */
    for (int k = 0; k < cnt && st == HBG_OK; k++) {
        const hbg_node *n = &g->nodes[nodes[k]];
        for (int j = 0; j < n->n_out && st == HBG_OK; j++) {
            int t = n->out[j], used = is_graph_output(g, t);
            for (int q = 0; q < g->n_nodes && !used; q++)
                if (m->unit[q] != gid)
                    for (int s = 0; s < g->nodes[q].n_in; s++)
                        used |= g->nodes[q].in[s] == t;
            if (!used)
                continue;
            hbg_graph_add_output(sg, hbg_graph_find_tensor(sg, g->tensors[t]->name));
            if ((st = make_home(m, t)) == HBG_OK)
                out_ids[n_out++] = m->home[t];
        }
    }
    if (st != HBG_OK)
        goto out;
    if (hbg_serialize(sg, &ser, &ser_n) != HBG_OK) {
        st = mfail(m, HBG_E_UNSUPPORTED, "CPU subgraph %u: %s", blob, sg->err);
        goto out;
    }
    if (hbbw_add_blob(m->w, m->model, HBBIN_SEC_CPU_SUBGRAPH, blob, ser, ser_n) != HBBIN_OK) {
        st = mfail(m, HBG_E_NOMEM, "CPU subgraph %u: the writer refused the blob", blob);
        goto out;
    }
    st = add_step(m, ST_CPU, blob, (uint32_t)n_in, in_ids, (uint32_t)n_out, out_ids, NULL);
out:
    free(ser);
    free(in_ids);
    free(out_ids);
    hbg_graph_free(sg);
    return st;
}

/* ---- BPU subgraphs, quantize and dequantize -------------------------------------------------- */

/* A node's name for the layer map: its own, or its first output's when the file left it empty. */
static const char *layer_name(const hbg_graph *g, const hbg_node *nd)
{
    if (nd->name && nd->name[0])
        return nd->name;
    if (nd->n_out > 0 && nd->out[0] >= 0 && g->tensors[nd->out[0]]->name[0])
        return g->tensors[nd->out[0]]->name;
    return nd->op_type;
}

hbg_status hbmp_layer_map(const hbg_graph *g, const hbc_cm_subgraph *s, uint8_t **out, size_t *size,
                          char *err, size_t errlen)
{
    mp m = {.err = err, .errlen = errlen};
    const size_t ni = s->program_bytes / HBBIN_INSN_BYTES;
    uint8_t *b = NULL;
    size_t ns = 0;
    *out = NULL;
    *size = 0;
    if (!s->insn_node || s->n_nodes < 1 || (uint32_t)s->n_nodes > HBBIN_LAYER_MAP_MAX_LAYERS ||
        ni == 0 || ni > UINT32_MAX)
        return mfail(&m, HBG_E_UNSUPPORTED,
                     "layer map: %d nodes (1..%u) and %zu instructions with per-instruction "
                     "nodes needed",
                     s->n_nodes, HBBIN_LAYER_MAP_MAX_LAYERS, ni);
    for (int l = 0; l < s->n_nodes; l++) {
        const hbg_node *nd = &g->nodes[s->nodes[l]];
        ns += strlen(layer_name(g, nd)) + strlen(nd->op_type) + 2;
        if (!nd->op_type[0] || ns > UINT32_MAX)
            return mfail(&m, HBG_E_UNSUPPORTED,
                         "layer map: node '%s': empty op type or names "
                         "over 4 GiB",
                         layer_name(g, nd));
    }
    const uint64_t total = hbbin_layer_map_size((uint32_t)s->n_nodes, (uint32_t)ni, (uint32_t)ns);
    if (total > SIZE_MAX || !(b = calloc(1, (size_t)total)))
        return mfail(&m, HBG_E_NOMEM, "layer map: out of memory");
    memcpy(b, HBBIN_LAYER_MAP_MAGIC, 4);
    w32(b + 4, HBBIN_LAYER_MAP_VERSION);
    w32(b + 8, (uint32_t)s->n_nodes);
    w32(b + 12, (uint32_t)ni);
    w32(b + 16, (uint32_t)ns);
    uint8_t *rec = b + HBBIN_LAYER_MAP_HEADER, *idx = rec + HBBIN_LAYER_MAP_RECORD * s->n_nodes;
    char *pool = (char *)idx + (ni * 2u + 3u) / 4u * 4u;
    size_t at = 0;
    for (int l = 0; l < s->n_nodes; l++) {
        const hbg_node *nd = &g->nodes[s->nodes[l]];
        const char *txt[2] = {layer_name(g, nd), nd->op_type};
        for (int k = 0; k < 2; k++) {
            size_t n = strlen(txt[k]) + 1;
            w32(rec + HBBIN_LAYER_MAP_RECORD * (size_t)l + 4u * (size_t)k, (uint32_t)at);
            memcpy(pool + at, txt[k], n);
            at += n;
        }
    }
    for (size_t i = 0; i < ni; i++) {
        int v = s->insn_node[i];
        if (v < 0 || v >= s->n_nodes) {
            free(b);
            return mfail(&m, HBG_E_INVALID, "layer map: instruction %zu: node %d of %d", i, v,
                         s->n_nodes);
        }
        idx[2 * i] = (uint8_t)v;
        idx[2 * i + 1] = (uint8_t)(v >> 8);
    }
    *out = b;
    *size = (size_t)total;
    return HBG_OK;
}

static hbg_status bpu_unit(mp *m, int k)
{
    const hbc_cm_subgraph *s = &m->cm->sub[k];
    int ids[256], n = 0, outs[256], no = 0;
    hbg_status st;
    uint32_t step = m->ns; /* index of the BPU step once the converts are added */
    if (s->n_inputs > 256 || s->n_outputs > 256)
        return mfail(m, HBG_E_UNSUPPORTED, "BPU subgraph %d: too many boundary tensors", k);
    step += (uint32_t)s->n_inputs; /* one CONVERT per input precedes the BPU step */
    for (int i = 0; i < s->n_inputs; i++) {
        const hbc_cm_tensor *ct = &s->inputs[i];
        int t = hbg_graph_find_tensor(m->g, ct->name), id;
        if (t < 0 || m->home[t] < 0)
            return mfail(m, HBG_E_INVALID, "BPU subgraph %d: input '%s' has no producer", k,
                         ct->name);
        if ((st = add_segment_tensor(m, t, ct, step, &id)) != HBG_OK ||
            (st = add_step(m, ST_CONVERT, 0, 1, &m->home[t], 1, &id, NULL)) != HBG_OK)
            return st;
        ids[n++] = id;
    }
    for (int i = 0; i < s->n_outputs; i++) {
        const hbc_cm_tensor *ct = &s->outputs[i];
        int t = hbg_graph_find_tensor(m->g, ct->name), id;
        if (t < 0)
            return mfail(m, HBG_E_INVALID, "BPU subgraph %d: unknown output '%s'", k, ct->name);
        if ((st = add_segment_tensor(m, t, ct, step, &id)) != HBG_OK)
            return st;
        /* scales stay off the record here: a Dequantize sets the semantic ones */
        m->home[t] = id;
        outs[no++] = id;
    }
    if (hbbw_add_blob(m->w, m->model, HBBIN_SEC_BPU_PROGRAM, (uint32_t)k, s->program,
                      s->program_bytes) != HBBIN_OK ||
        (s->const_bytes && hbbw_add_blob(m->w, m->model, HBBIN_SEC_CONSTANTS, (uint32_t)k,
                                         s->consts, s->const_bytes) != HBBIN_OK))
        return mfail(m, HBG_E_NOMEM, "BPU subgraph %d: the writer refused its blobs", k);
    if (s->insn_node) { /* optional: per-layer figures of hb_perf */
        uint8_t *lm = NULL;
        size_t lm_n = 0;
        if ((st = hbmp_layer_map(m->g, s, &lm, &lm_n, m->err, m->errlen)) != HBG_OK)
            return st;
        hbbin_status bs = hbbw_add_blob(m->w, m->model, HBBIN_SEC_LAYER_MAP, (uint32_t)k, lm, lm_n);
        free(lm);
        if (bs != HBBIN_OK)
            return mfail(m, HBG_E_NOMEM, "BPU subgraph %d: the writer refused its layer map", k);
    }
    return add_step(m, ST_BPU, (uint32_t)k, (uint32_t)n, ids, (uint32_t)no, outs, s->seg_bytes);
}

static hbg_status qdq_unit(mp *m, const hbg_node *n, int quantize)
{
    const hbg_graph *g = m->g;
    int x = n->n_in > 0 ? n->in[0] : -1, y = n->n_out > 0 ? n->out[0] : -1;
    hbg_status st;
    if (x < 0 || y < 0 || m->home[x] < 0)
        return mfail(m, HBG_E_INVALID, "node '%s': input has no producer", hbg_node_label(g, n));
    int src = m->home[x];
    if ((st = make_home(m, y)) != HBG_OK)
        return st;
    if (quantize) {
        const hbg_attr *a = hbg_node_attr(n, "scale");
        if (!a || a->type != HBG_ATTR_FLOAT)
            return mfail(m, HBG_E_INVALID, "node '%s': no float 'scale'", hbg_node_label(g, n));
        if ((st = set_scales(m, m->home[y], &a->f, 1, 0, g->tensors[y]->name)) != HBG_OK)
            return st;
    } else {
        const float *s = NULL;
        int cnt = hbg_attr_floats(n, "scales", &s);
        if (cnt < 1)
            return mfail(m, HBG_E_INVALID, "node '%s': no 'scales'", hbg_node_label(g, n));
        /* per-channel scales index dimension 1 of the graph's shape */
        if (cnt > 1 && (st = graph_shaped(m, x, &src)) != HBG_OK)
            return st;
        if ((st = set_scales(m, src, s, (uint32_t)cnt, 1, g->tensors[x]->name)) != HBG_OK)
            return st;
    }
    return add_step(m, quantize ? ST_QUANTIZE : ST_DEQUANTIZE, 0, 1, &src, 1, &m->home[y], NULL);
}

/* ---- ordering ------------------------------------------------------------------------------ */

/* Units: BPU subgraph k is unit k; other node i is unit n_subgraphs + i. Kahn's algorithm, always
 * taking the ready unit with the smallest first node. order[] receives the unit sequence. */
static hbg_status order_units(mp *m, int n_units, int *order)
{
    const hbg_graph *g = m->g;
    int *first = malloc(sizeof(int) * (size_t)n_units),
        *done = calloc((size_t)n_units, sizeof(int));
    int *producer_unit = malloc(sizeof(int) * (size_t)(g->n_tensors + 1));
    hbg_status st = HBG_OK;
    if (!first || !done || !producer_unit) {
        st = mfail(m, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int u = 0; u < n_units; u++)
        first[u] = -1;
    for (int t = 0; t < g->n_tensors; t++)
        producer_unit[t] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        int u = m->unit[i];
        if (first[u] < 0)
            first[u] = i;
        for (int j = 0; j < g->nodes[i].n_out; j++)
            producer_unit[g->nodes[i].out[j]] = u;
    }
    for (int pos = 0; pos < n_units; pos++) {
        int best = -1;
        for (int u = 0; u < n_units; u++) {
            if (done[u] || first[u] < 0 || (best >= 0 && first[u] >= first[best]))
                continue;
            int ready = 1;
            for (int i = 0; i < g->n_nodes && ready; i++) {
                if (m->unit[i] != u)
                    continue;
                for (int j = 0; j < g->nodes[i].n_in && ready; j++) {
                    int t = g->nodes[i].in[j], p = t >= 0 ? producer_unit[t] : -1;
                    ready = p < 0 || p == u || done[p];
                }
            }
            if (ready)
                best = u;
        }
        if (best < 0) {
            order[pos] = -1; /* units without nodes (empty subgraphs) end the order */
            continue;
        }
        done[best] = 1;
        order[pos] = best;
    }
out:
    free(first);
    free(done);
    free(producer_unit);
    return st;
}

hbg_status hbmp_add_model(hbbw *w, const char *name, const hbg_graph *g, const hbc_compiled *cm,
                          uint32_t *model, char *err, size_t errlen)
{
    mp m = {.g = g, .cm = cm, .w = w, .err = err, .errlen = errlen};
    hbg_status st = HBG_OK;
    int n_units = cm ? cm->n_subgraphs + (g ? g->n_nodes : 0) : 0, *order = NULL, *grp = NULL;
    uint8_t *blob = NULL;
    if (err && errlen)
        err[0] = 0;
    if (!w || !name || !g || !cm || !model || cm->n_nodes != g->n_nodes)
        return mfail(&m, HBG_E_INVALID,
                     "model '%s': bad arguments or a compile result of "
                     "another graph",
                     name ? name : "");
    if (hbbw_add_model(w, name, &m.model) != HBBIN_OK)
        return mfail(&m, HBG_E_INVALID, "model '%s': the writer refused the model name", name);
    *model = m.model;
    m.home = malloc(sizeof(int) * (size_t)(g->n_tensors + 1));
    m.unit = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    m.flat = malloc(sizeof(int) * (size_t)(g->n_tensors + 1));
    order = malloc(sizeof(int) * (size_t)(n_units + 1));
    grp = malloc(sizeof(int) * (size_t)(g->n_nodes + 1));
    if (!m.home || !m.unit || !m.flat || !order || !grp) {
        st = mfail(&m, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    for (int t = 0; t < g->n_tensors; t++)
        m.home[t] = m.flat[t] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        m.unit[i] = cm->node_sub[i] >= 0 ? cm->node_sub[i] : cm->n_subgraphs + i;
    /* graph inputs: the user's buffers */
    for (int i = 0; i < g->n_inputs && st == HBG_OK; i++) {
        int32_t map[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        if ((st = add_record(&m, g->inputs[i], 1, NULL, 0, 0, NULL)) == HBG_OK)
            st = add_tensor(&m, g->inputs[i], LOC_INPUT, (uint32_t)i, 0, 0, map,
                            &m.home[g->inputs[i]]);
    }
    /* graph outputs, in graph order; an integer output (made on the BPU) keeps the compiler's
     * scales */
    for (int i = 0; i < g->n_outputs && st == HBG_OK; i++) {
        int t = g->outputs[i];
        const hbc_cm_tensor *ct = NULL;
        for (int k = 0; k < cm->n_subgraphs && !ct; k++)
            for (int j = 0; j < cm->sub[k].n_outputs && !ct; j++)
                if (strcmp(cm->sub[k].outputs[j].name, g->tensors[t]->name) == 0)
                    ct = &cm->sub[k].outputs[j];
        if (ct && ct->n_scales > 1 && ct->layout == HBC_CM_NHWC && ct->rank != 4)
            st = mfail(&m, HBG_E_UNSUPPORTED,
                       "output '%s': per-channel scales of a reshaped map cannot be described",
                       ct->name);
        else if (ct && ct->n_scales > 0)
            st = add_record(&m, t, 0, ct->scales, ct->n_scales,
                            ct->layout == HBC_CM_NHWC ? 1 : ct->rank - 1, &ct->zero_point);
        else
            st = add_record(&m, t, 0, NULL, 0, 0, NULL);
    }
    if (st == HBG_OK)
        st = order_units(&m, n_units, order);
    uint32_t n_cpu = 0;
    for (int pos = 0; pos < n_units && st == HBG_OK; pos++) {
        int u = order[pos];
        if (u < 0)
            continue;
        if (u < cm->n_subgraphs) {
            st = bpu_unit(&m, u);
            continue;
        }
        const hbg_node *n = &g->nodes[u - cm->n_subgraphs];
        int is_q = strcmp(n->domain, QDOM) == 0;
        if (is_q && strcmp(n->op_type, "Quantize") == 0) {
            st = qdq_unit(&m, n, 1);
        } else if (is_q && strcmp(n->op_type, "Dequantize") == 0) {
            st = qdq_unit(&m, n, 0);
        } else if (n->op == HBG_OP_UNKNOWN) {
            st = mfail(&m, HBG_E_UNSUPPORTED,
                       "node '%s' (%s, domain '%s') stays on the CPU, but the runtime's float "
                       "executor has no such operator",
                       hbg_node_label(g, n), n->op_type, n->domain);
        } else {
            /* merge the following CPU units that are plain float nodes */
            int cnt = 0;
            while (pos < n_units && order[pos] >= cm->n_subgraphs) {
                const hbg_node *c = &g->nodes[order[pos] - cm->n_subgraphs];
                if (c->op == HBG_OP_UNKNOWN || strcmp(c->domain, QDOM) == 0)
                    break;
                grp[cnt++] = order[pos] - cm->n_subgraphs;
                pos++;
            }
            pos--;
            for (int k = 1; k < cnt; k++) /* one unit id for the group: outputs read outside */
                m.unit[grp[k]] = m.unit[grp[0]];
            st = cpu_group(&m, grp, cnt, n_cpu++);
        }
    }
    /* graph outputs made on the BPU (or graph inputs passed through): copy to the user */
    for (int i = 0; i < g->n_outputs && st == HBG_OK; i++) {
        int t = g->outputs[i], id;
        if (m.home[t] < 0) {
            st = mfail(&m, HBG_E_INVALID, "graph output '%s' is never produced",
                       g->tensors[t]->name);
            break;
        }
        if (r32(m.tens.p + (size_t)m.home[t] * TREC + 40) == LOC_OUTPUT)
            continue;
        int32_t map[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        if ((st = add_tensor(&m, t, LOC_OUTPUT, (uint32_t)i, 0, 0, map, &id)) != HBG_OK)
            break;
        st = add_step(&m, ST_CONVERT, 0, 1, &m.home[t], 1, &id, NULL);
    }
    if (st != HBG_OK)
        goto out;
    /* the schedule blob: header, tensors, steps, list, scales */
    size_t total = 32 + m.tens.n + m.steps.n + m.list.n + m.scales.n;
    if (!(blob = calloc(1, total))) {
        st = mfail(&m, HBG_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(blob, "HBSC", 4);
    w32(blob + 4, 1);
    w32(blob + 8, m.nt);
    w32(blob + 12, m.ns);
    w32(blob + 16, m.nl);
    w32(blob + 20, m.nsc);
    size_t o = 32;
    memcpy(blob + o, m.tens.p, m.tens.n);
    o += m.tens.n;
    memcpy(blob + o, m.steps.p, m.steps.n);
    o += m.steps.n;
    if (m.list.n)
        memcpy(blob + o, m.list.p, m.list.n);
    o += m.list.n;
    if (m.scales.n)
        memcpy(blob + o, m.scales.p, m.scales.n);
    if (hbbw_add_blob(w, m.model, HBBIN_SEC_SCHEDULE, 0, blob, total) != HBBIN_OK)
        st = mfail(&m, HBG_E_NOMEM, "model '%s': the writer refused the schedule", name);
out:
    free(blob);
    free(m.home);
    free(m.unit);
    free(m.flat);
    free(order);
    free(grp);
    free(m.tens.p);
    free(m.steps.p);
    free(m.list.p);
    free(m.scales.p);
    return st;
}
