/* hbg_graph -> ONNX ModelProto (hbc_onnx_save_mem / hbc_onnx_save_file).
 *
 * The protobuf-c message tree is built from blocks of one pool and points into the graph for
 * every string and data buffer (nothing is copied); it is packed once, then the pool is freed. */
#include "hbc/onnx_io.h"
#include "onnx_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* protobuf-c's message structs take char *; it never writes through them. */
static char empty_str[] = "";

typedef struct saver {
    const hbg_graph *g;
    const char *label; /* prefixed to messages */
    char *err;
    size_t errlen;
    void **blk; /* every block handed out, freed together */
    size_t n_blk, cap_blk;
    unsigned char *consumed; /* per tensor: read by a node or a graph output */
    unsigned char *produced; /* per tensor: written by a node */
    hbg_status st;           /* status of the last sfail() */
} saver;

static hbg_status sfail(saver *S, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hbg_status sfail(saver *S, hbg_status st, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    S->st = st;
    return hbc_onnx_fail(S->err, S->errlen, st, "%s: %s", S->label, msg);
}

/* Zeroed block of n elements of size sz owned by the pool; NULL when out of memory. */
static void *palloc(saver *S, size_t n, size_t sz)
{
    void *p;
    if (S->n_blk == S->cap_blk) {
        size_t nc = S->cap_blk ? S->cap_blk * 2 : 256;
        void **b = realloc(S->blk, nc * sizeof *b);
        if (!b)
            return NULL;
        S->blk = b;
        S->cap_blk = nc;
    }
    if (!(p = calloc(n ? n : 1, sz)))
        return NULL;
    S->blk[S->n_blk++] = p;
    return p;
}

static void pool_free(saver *S)
{
    for (size_t i = 0; i < S->n_blk; i++)
        free(S->blk[i]);
    free(S->blk);
    free(S->consumed);
    free(S->produced);
}

/* Non-empty string or NULL (an absent optional field). */
static char *opt_str(char *s)
{
    return s && *s ? s : NULL;
}

/* TensorProto with raw_data pointing at t's data. */
static Onnx__TensorProto *make_tensor(saver *S, hbg_tensor *t, const char *what)
{
    Onnx__TensorProto *tp;
    int64_t nb = hbg_tensor_nbytes(t);
    if (nb < 0 || (!t->data && nb > 0)) {
        sfail(S, HBG_E_INVALID, "%s: no data or no known shape and type to save", what);
        return NULL;
    }
    if (!(tp = palloc(S, 1, sizeof *tp))) {
        sfail(S, HBG_E_NOMEM, "out of memory");
        return NULL;
    }
    onnx__tensor_proto__init(tp);
    tp->name = opt_str(t->name);
    tp->n_dims = (size_t)t->rank;
    tp->dims = t->rank ? t->dims : NULL;
    tp->has_data_type = 1;
    tp->data_type = (int32_t)t->dtype;
    tp->has_raw_data = 1;
    tp->raw_data.len = (size_t)nb;
    tp->raw_data.data = t->data;
    return tp;
}

/* ValueInfoProto for a graph input or output: element type and shape as far as known. A known
 * dim is written as dim_value, an unknown named one as dim_param. */
static Onnx__ValueInfoProto *make_value_info(saver *S, hbg_tensor *t)
{
    Onnx__ValueInfoProto *vi = palloc(S, 1, sizeof *vi);
    Onnx__TypeProto *ty = palloc(S, 1, sizeof *ty);
    Onnx__TypeProto__Tensor *tt = palloc(S, 1, sizeof *tt);
    if (!vi || !ty || !tt)
        goto nomem;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(ty);
    onnx__type_proto__tensor__init(tt);
    vi->name = t->name;
    vi->type = ty;
    ty->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    ty->tensor_type = tt;
    if (t->dtype != HBG_DT_UNDEF) {
        tt->has_elem_type = 1;
        tt->elem_type = (int32_t)t->dtype;
    }
    if (t->rank >= 0) {
        Onnx__TensorShapeProto *sh = palloc(S, 1, sizeof *sh);
        Onnx__TensorShapeProto__Dimension *dims = palloc(S, (size_t)t->rank, sizeof *dims);
        Onnx__TensorShapeProto__Dimension **dp = palloc(S, (size_t)t->rank, sizeof *dp);
        if (!sh || !dims || !dp)
            goto nomem;
        onnx__tensor_shape_proto__init(sh);
        sh->n_dim = (size_t)t->rank;
        sh->dim = dp;
        for (int i = 0; i < t->rank; i++) {
            onnx__tensor_shape_proto__dimension__init(&dims[i]);
            if (t->dims[i] >= 0) {
                dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                dims[i].dim_value = t->dims[i];
            } else if (t->dim_names[i]) {
                dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                dims[i].dim_param = t->dim_names[i];
            }
            dp[i] = &dims[i];
        }
        tt->shape = sh;
    }
    return vi;
nomem:
    sfail(S, HBG_E_NOMEM, "out of memory");
    return NULL;
}

static Onnx__AttributeProto *make_attr(saver *S, const hbg_node *n, hbg_attr *a)
{
    Onnx__AttributeProto *ap = palloc(S, 1, sizeof *ap);
    char what[400];
    const char *label = hbg_node_label(S->g, n);
    if (!ap)
        goto nomem;
    onnx__attribute_proto__init(ap);
    ap->name = a->name;
    ap->has_type = 1;
    ap->type = (Onnx__AttributeProto__AttributeType)a->type;
    switch (a->type) {
    case HBG_ATTR_FLOAT:
        ap->has_f = 1;
        ap->f = a->f;
        break;
    case HBG_ATTR_INT:
        ap->has_i = 1;
        ap->i = a->i;
        break;
    case HBG_ATTR_STRING:
        ap->has_s = 1;
        ap->s.data = (uint8_t *)(a->s ? a->s : empty_str);
        ap->s.len = strlen((char *)ap->s.data);
        break;
    case HBG_ATTR_TENSOR:
        snprintf(what, sizeof what, "node '%s' (%s): attribute '%s'", label, n->op_type, a->name);
        if (!a->t) {
            sfail(S, HBG_E_INVALID, "%s: tensor attribute without a tensor", what);
            return NULL;
        }
        if (!(ap->t = make_tensor(S, a->t, what)))
            return NULL;
        break;
    case HBG_ATTR_FLOATS:
        ap->n_floats = a->n;
        ap->floats = a->floats;
        break;
    case HBG_ATTR_INTS:
        ap->n_ints = a->n;
        ap->ints = a->ints;
        break;
    case HBG_ATTR_STRINGS:
        if (!(ap->strings = palloc(S, a->n, sizeof *ap->strings)))
            goto nomem;
        ap->n_strings = a->n;
        for (size_t i = 0; i < a->n; i++) {
            ap->strings[i].data = (uint8_t *)(a->strings[i] ? a->strings[i] : empty_str);
            ap->strings[i].len = strlen((char *)ap->strings[i].data);
        }
        break;
    default:
        sfail(S, HBG_E_INVALID, "node '%s' (%s): attribute '%s' has no valid type (%d)", label,
              n->op_type, a->name, (int)a->type);
        return NULL;
    }
    return ap;
nomem:
    sfail(S, HBG_E_NOMEM, "out of memory");
    return NULL;
}

/* Name to write for output o of a node: "" for an omitted optional output (a private name from
 * hbg_graph_add_node that nothing reads), else the tensor's name. */
static char *output_name(const saver *S, int t)
{
    const hbg_tensor *x = S->g->tensors[t];
    if (!S->consumed[t] && strstr(x->name, HBC_UNUSED_OUT_MARK))
        return empty_str;
    return x->name;
}

static Onnx__NodeProto *make_node(saver *S, hbg_node *n)
{
    Onnx__NodeProto *np = palloc(S, 1, sizeof *np);
    if (!np)
        goto nomem;
    onnx__node_proto__init(np);
    np->name = opt_str(n->name);
    np->op_type = n->op_type;
    np->domain = opt_str(n->domain);
    np->n_input = (size_t)n->n_in;
    np->n_output = (size_t)n->n_out;
    np->n_attribute = (size_t)n->n_attr;
    np->input = palloc(S, np->n_input, sizeof *np->input);
    np->output = palloc(S, np->n_output, sizeof *np->output);
    np->attribute = palloc(S, np->n_attribute, sizeof *np->attribute);
    if (!np->input || !np->output || !np->attribute)
        goto nomem;
    for (int i = 0; i < n->n_in; i++)
        np->input[i] = n->in[i] >= 0 ? S->g->tensors[n->in[i]]->name : empty_str;
    for (int i = 0; i < n->n_out; i++)
        np->output[i] = output_name(S, n->out[i]);
    for (int i = 0; i < n->n_attr; i++)
        if (!(np->attribute[i] = make_attr(S, n, &n->attrs[i])))
            return NULL;
    return np;
nomem:
    sfail(S, HBG_E_NOMEM, "out of memory");
    return NULL;
}

/* Mark which tensors nodes read or write, to tell initializers and omitted outputs apart. */
static hbg_status mark_uses(saver *S)
{
    const hbg_graph *g = S->g;
    S->consumed = calloc((size_t)g->n_tensors + 1, 1);
    S->produced = calloc((size_t)g->n_tensors + 1, 1);
    if (!S->consumed || !S->produced)
        return sfail(S, HBG_E_NOMEM, "out of memory");
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0)
                S->consumed[n->in[k]] = 1;
        for (int k = 0; k < n->n_out; k++)
            S->produced[n->out[k]] = 1;
    }
    for (int i = 0; i < g->n_outputs; i++)
        S->consumed[g->outputs[i]] = 1;
    return HBG_OK;
}

static hbg_status build_graph(saver *S, Onnx__GraphProto *gp, int inits_as_inputs)
{
    const hbg_graph *g = S->g;
    size_t n_init = 0, k = 0;
    char what[300];

    gp->name = g->name;
    for (int t = 0; t < g->n_tensors; t++)
        n_init += g->tensors[t]->is_const && !S->produced[t];
    gp->initializer = palloc(S, n_init, sizeof *gp->initializer);
    gp->input = palloc(S, (size_t)g->n_inputs + (inits_as_inputs ? n_init : 0), sizeof *gp->input);
    gp->output = palloc(S, (size_t)g->n_outputs, sizeof *gp->output);
    gp->node = palloc(S, (size_t)g->n_nodes, sizeof *gp->node);
    if (!gp->initializer || !gp->input || !gp->output || !gp->node)
        return sfail(S, HBG_E_NOMEM, "out of memory");
    for (int t = 0; t < g->n_tensors; t++) {
        if (!g->tensors[t]->is_const || S->produced[t])
            continue;
        snprintf(what, sizeof what, "tensor '%s'", g->tensors[t]->name);
        if (!(gp->initializer[k++] = make_tensor(S, g->tensors[t], what)))
            return S->st;
    }
    gp->n_initializer = n_init;
    for (int i = 0; i < g->n_inputs; i++)
        if (!(gp->input[gp->n_input++] = make_value_info(S, g->tensors[g->inputs[i]])))
            return S->st;
    /* IR 3 requires every initializer to be listed as a graph input as well. */
    for (int t = 0; inits_as_inputs && t < g->n_tensors; t++)
        if (g->tensors[t]->is_const && !S->produced[t] && !g->tensors[t]->is_input &&
            !(gp->input[gp->n_input++] = make_value_info(S, g->tensors[t])))
            return S->st;
    for (int i = 0; i < g->n_outputs; i++)
        if (!(gp->output[gp->n_output++] = make_value_info(S, g->tensors[g->outputs[i]])))
            return S->st;
    for (int i = 0; i < g->n_nodes; i++)
        if (!(gp->node[gp->n_node++] = make_node(S, &g->nodes[i])))
            return S->st;
    return HBG_OK;
}

static hbg_status save_buf(const hbg_graph *g, const char *label, void **buf, size_t *len,
                           char *err, size_t errlen)
{
    saver S = {g, label, err, errlen, NULL, 0, 0, NULL, NULL, HBG_OK};
    Onnx__ModelProto m;
    Onnx__GraphProto gp;
    hbg_status st;
    size_t size;
    uint8_t *out = NULL;

    *buf = NULL;
    *len = 0;
    if (err && errlen)
        err[0] = '\0';
    onnx__model_proto__init(&m);
    onnx__graph_proto__init(&gp);
    if ((st = mark_uses(&S)) != HBG_OK)
        goto fail;
    m.has_ir_version = 1;
    m.ir_version = g->ir_version;
    m.producer_name = opt_str(g->producer_name);
    m.producer_version = opt_str(g->producer_version);
    m.graph = &gp;
    st = HBG_E_NOMEM;
    if (!(m.opset_import = palloc(&S, (size_t)g->n_opsets, sizeof *m.opset_import))) {
        sfail(&S, st, "out of memory");
        goto fail;
    }
    for (int i = 0; i < g->n_opsets; i++) {
        Onnx__OperatorSetIdProto *o = palloc(&S, 1, sizeof *o);
        if (!o) {
            sfail(&S, st, "out of memory");
            goto fail;
        }
        onnx__operator_set_id_proto__init(o);
        o->domain = g->opsets[i].domain ? g->opsets[i].domain : empty_str;
        o->has_version = 1;
        o->version = g->opsets[i].version;
        m.opset_import[m.n_opset_import++] = o;
    }
    if ((st = build_graph(&S, &gp, g->ir_version < 4)) != HBG_OK)
        goto fail;
    size = onnx__model_proto__get_packed_size(&m);
    if (size > HBC_ONNX_MAX_BYTES) {
        st = sfail(&S, HBG_E_UNSUPPORTED, "model is %zu bytes, above the 2 GiB protobuf limit",
                   size);
        goto fail;
    }
    if (!(out = malloc(size ? size : 1))) {
        st = sfail(&S, HBG_E_NOMEM, "out of memory (%zu bytes)", size);
        goto fail;
    }
    if (onnx__model_proto__pack(&m, out) != size) {
        st = sfail(&S, HBG_E_INVALID, "protobuf packing wrote an unexpected size");
        goto fail;
    }
    *buf = out;
    *len = size;
    pool_free(&S);
    return HBG_OK;
fail:
    free(out);
    pool_free(&S);
    return st;
}

hbg_status hbc_onnx_save_mem(const hbg_graph *g, void **buf, size_t *len, char *err, size_t errlen)
{
    return save_buf(g, "<memory>", buf, len, err, errlen);
}

hbg_status hbc_onnx_save_file(const hbg_graph *g, const char *path, char *err, size_t errlen)
{
    void *buf = NULL;
    size_t len = 0, plen = strlen(path);
    char *tmp = malloc(plen + 5);
    FILE *f = NULL;
    int created = 0, rc;
    hbg_status st = HBG_E_NOMEM;

    if (!tmp) {
        hbc_onnx_fail(err, errlen, st, "%s: out of memory", path);
        goto fail;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    if ((st = save_buf(g, path, &buf, &len, err, errlen)) != HBG_OK)
        goto fail;
    st = HBG_E_IO;
    if (!(f = fopen(tmp, "wb"))) {
        hbc_onnx_fail(err, errlen, st, "%s: cannot create: %s", tmp, strerror(errno));
        goto fail;
    }
    created = 1;
    rc = fwrite(buf, 1, len, f) != len;
    rc |= fclose(f) != 0; /* fclose flushes: a full disk shows up here */
    f = NULL;
    if (rc) {
        hbc_onnx_fail(err, errlen, st, "%s: write error: %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        hbc_onnx_fail(err, errlen, st, "%s: cannot rename %s over it: %s", path, tmp,
                      strerror(errno));
        goto fail;
    }
    free(tmp);
    free(buf);
    return HBG_OK;
fail:
    if (created)
        remove(tmp);
    free(tmp);
    free(buf);
    return st;
}
