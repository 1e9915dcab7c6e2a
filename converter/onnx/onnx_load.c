/* ONNX ModelProto -> hbg_graph (hbc_onnx_load_file / hbc_onnx_load_mem). */
#include "hbc/onnx_io.h"
#include "hbc/quant.h"
#include "onnx_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default-domain opset versions we accept (ONNX 1.0 .. 1.12). Below 7 only the nodes that
 * hbc_onnx_legacy_check() accepts. */
#define OPSET_MIN 1
#define OPSET_MAX 17

typedef struct loader {
    const char *label; /* file name or caller's label, prefixed to every message */
    hbg_graph *g;
    char *err;
    size_t errlen;
} loader;

static hbg_status lfail(loader *L, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record "<label>: <message>" in the caller's err buffer and return st. */
static hbg_status lfail(loader *L, hbg_status st, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hbc_onnx_fail(L->err, L->errlen, st, "%s: %s", L->label, msg);
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

/* Replace *dst (a graph-owned string) by a copy of src. */
static hbg_status set_str(loader *L, char **dst, const char *src)
{
    char *d = dup_str(src);
    if (!d)
        return lfail(L, HBG_E_NOMEM, "out of memory");
    free(*dst);
    *dst = d;
    return HBG_OK;
}

static int is_default_domain(const char *d)
{
    return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

static hbg_status load_opsets(loader *L, const Onnx__ModelProto *m)
{
    hbg_status st;
    int have_default = 0;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        const char *dom = is_default_domain(o->domain) ? "" : o->domain;
        if (!o->has_version)
            return lfail(L, HBG_E_INVALID, "opset import of domain '%s' has no version", dom);
        if (!*dom) {
            if (have_default)
                return lfail(L, HBG_E_INVALID, "the default domain is imported twice");
            if (o->version < OPSET_MIN || o->version > OPSET_MAX)
                return lfail(L, HBG_E_UNSUPPORTED,
                             "opset %lld of the default domain is not supported (%d..%d)",
                             (long long)o->version, OPSET_MIN, OPSET_MAX);
            have_default = 1;
        }
        /* Other domains are recorded (and saved back); nodes using them are refused. */
        if ((st = hbg_graph_add_opset(L->g, dom, o->version)) != HBG_OK)
            return lfail(L, st, "%s", L->g->err);
    }
    return HBG_OK;
}

static int is_initializer(const Onnx__GraphProto *gp, const char *name)
{
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]->name && strcmp(gp->initializer[i]->name, name) == 0)
            return 1;
    return 0;
}

static hbg_status load_initializers(loader *L, const Onnx__GraphProto *gp)
{
    hbg_status st = HBG_OK;
    char what[300], msg[512];
    if (gp->n_sparse_initializer)
        return lfail(L, HBG_E_UNSUPPORTED, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer && st == HBG_OK; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        hbc_tensor_view v;
        int idx;
        if (!tp->name || !*tp->name)
            return lfail(L, HBG_E_INVALID, "initializer #%zu has no name", i);
        if (hbg_graph_find_tensor(L->g, tp->name) >= 0)
            return lfail(L, HBG_E_INVALID, "initializer '%s' appears twice", tp->name);
        snprintf(what, sizeof what, "tensor '%s'", tp->name);
        if ((st = hbc_onnx_tensor_decode(tp, what, &v, msg, sizeof msg)) != HBG_OK)
            return lfail(L, st, "%s", msg);
        if ((idx = hbg_graph_tensor(L->g, tp->name)) < 0)
            st = lfail(L, HBG_E_NOMEM, "%s: out of memory", what);
        else if ((st = hbg_graph_set_const(L->g, idx, v.dt, v.rank, v.dims, v.data, v.nbytes)) !=
                 HBG_OK)
            lfail(L, st, "%s", L->g->err);
        free(v.owned);
    }
    return st;
}

/* Set t's dtype, shape and dim names from a ValueInfoProto's type. role is "graph input" or
 * "graph output" for messages. A missing type or shape leaves dtype UNDEF / rank -1. */
static const char *node_label(const Onnx__NodeProto *np, char *buf, size_t size, size_t index);

/* " (read by node 'n' (Op))" for the first node reading tensor name (output = 0; " (read by no
 * node)" if none) or " (written by ...)" for the node writing it (output = 1; "" if none), into
 * buf. Names the op a type refusal is about. */
static const char *node_of(const Onnx__GraphProto *gp, const char *name, int output, char *buf,
                           size_t n)
{
    char lb[32];
    buf[0] = '\0';
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        size_t cnt = output ? np->n_output : np->n_input;
        char **names = output ? np->output : np->input;
        for (size_t j = 0; j < cnt; j++)
            if (names[j] && strcmp(names[j], name) == 0) {
                snprintf(buf, n, " (%s by node '%s' (%s))", output ? "written" : "read",
                         node_label(np, lb, sizeof lb, i), np->op_type ? np->op_type : "");
                return buf;
            }
    }
    if (!output)
        snprintf(buf, n, " (read by no node)");
    return buf;
}

static hbg_status load_type(loader *L, const Onnx__GraphProto *gp, const Onnx__ValueInfoProto *vi,
                            const char *role, hbg_tensor *t)
{
    char user[300];
    const int is_out = strcmp(role, "graph output") == 0;
    const Onnx__TypeProto *tp = vi->type;
    const Onnx__TypeProto__Tensor *tt;
    const Onnx__TensorShapeProto *sh;
    int64_t numel = 1;

    if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
        return HBG_OK;
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return lfail(L, HBG_E_UNSUPPORTED,
                     "%s '%s'%s: only tensor types are supported (this is a sequence, map, "
                     "optional or sparse type)",
                     role, vi->name, node_of(gp, vi->name, is_out, user, sizeof user));
    tt = tp->tensor_type;
    if (tt->has_elem_type && tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED) {
        t->dtype = hbc_onnx_dtype(tt->elem_type);
        if (t->dtype == HBG_DT_UNDEF)
            return lfail(L, HBG_E_UNSUPPORTED, "%s '%s'%s: element type %s (%ld) is not supported",
                         role, vi->name, node_of(gp, vi->name, is_out, user, sizeof user),
                         hbc_onnx_type_name(tt->elem_type), (long)tt->elem_type);
    }
    if (!(sh = tt->shape))
        return HBG_OK;
    if (sh->n_dim > HBG_MAX_RANK)
        return lfail(L, HBG_E_UNSUPPORTED, "%s '%s': rank %zu exceeds %d", role, vi->name,
                     sh->n_dim, HBG_MAX_RANK);
    for (size_t i = 0; i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        t->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return lfail(L, HBG_E_INVALID, "%s '%s': dimension %zu is negative (%lld)", role,
                             vi->name, i, (long long)d->dim_value);
            /* A shape whose element count overflows can never be allocated or indexed. */
            if (d->dim_value != 0 && numel > INT64_MAX / 8 / d->dim_value)
                return lfail(L, HBG_E_INVALID, "%s '%s': shape is too large (dimension %zu = %lld)",
                             role, vi->name, i, (long long)d->dim_value);
            numel *= d->dim_value;
            t->dims[i] = d->dim_value;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   d->dim_param && *d->dim_param) {
            free(t->dim_names[i]);
            if (!(t->dim_names[i] = dup_str(d->dim_param)))
                return lfail(L, HBG_E_NOMEM, "out of memory");
        }
    }
    t->rank = (int)sh->n_dim;
    return HBG_OK;
}

static hbg_status load_inputs(loader *L, const Onnx__GraphProto *gp)
{
    hbg_status st;
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        int idx;
        if (!vi->name || !*vi->name)
            return lfail(L, HBG_E_INVALID, "graph input #%zu has no name", i);
        /* Old IR files list initializers as inputs too; they are initializers only. */
        if (is_initializer(gp, vi->name))
            continue;
        if (hbg_graph_find_tensor(L->g, vi->name) >= 0)
            return lfail(L, HBG_E_INVALID, "graph input '%s' is listed twice", vi->name);
        if ((idx = hbg_graph_tensor(L->g, vi->name)) < 0)
            return lfail(L, HBG_E_NOMEM, "out of memory");
        if ((st = load_type(L, gp, vi, "graph input", L->g->tensors[idx])) != HBG_OK)
            return st;
        if ((st = hbg_graph_add_input(L->g, idx)) != HBG_OK)
            return lfail(L, st, "%s", L->g->err);
    }
    return HBG_OK;
}

static hbg_status load_outputs(loader *L, const Onnx__GraphProto *gp)
{
    hbg_status st;
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        hbg_tensor *t;
        int idx;
        if (!vi->name || !*vi->name)
            return lfail(L, HBG_E_INVALID, "graph output #%zu has no name", i);
        if ((idx = hbg_graph_tensor(L->g, vi->name)) < 0)
            return lfail(L, HBG_E_NOMEM, "out of memory");
        t = L->g->tensors[idx];
        /* An output that is also an input or initializer already has its type. */
        if (!t->is_const && !t->is_input &&
            (st = load_type(L, gp, vi, "graph output", t)) != HBG_OK)
            return st;
        if ((st = hbg_graph_add_output(L->g, idx)) != HBG_OK)
            return lfail(L, st, "%s", L->g->err);
    }
    return HBG_OK;
}

/* Copy a bytes field into a NUL-terminated malloc'ed string; embedded NULs are refused since
 * hbg attributes hold C strings. Returns NULL with *st set on failure. */
static char *copy_bytes(loader *L, const ProtobufCBinaryData *b, const char *where, hbg_status *st)
{
    char *s;
    if (b->len && memchr(b->data, 0, b->len)) {
        *st = lfail(L, HBG_E_UNSUPPORTED, "%s: string with an embedded NUL byte", where);
        return NULL;
    }
    if (!(s = malloc(b->len + 1))) {
        *st = lfail(L, HBG_E_NOMEM, "%s: out of memory", where);
        return NULL;
    }
    if (b->len)
        memcpy(s, b->data, b->len);
    s[b->len] = '\0';
    return s;
}

/* Attribute type: the type field, or for files that omit it, the one field that is set. */
static int attr_type(const Onnx__AttributeProto *ap)
{
    if (ap->has_type)
        return (int)ap->type;
    if (ap->has_f)
        return HBG_ATTR_FLOAT;
    if (ap->has_i)
        return HBG_ATTR_INT;
    if (ap->has_s)
        return HBG_ATTR_STRING;
    if (ap->t)
        return HBG_ATTR_TENSOR;
    if (ap->g)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (ap->n_floats)
        return HBG_ATTR_FLOATS;
    if (ap->n_ints)
        return HBG_ATTR_INTS;
    if (ap->n_strings)
        return HBG_ATTR_STRINGS;
    return HBG_ATTR_UNDEF;
}

/* Copy one attribute onto node n. where = "node 'x' (Op): attribute 'a'" for messages. */
static hbg_status load_attr(loader *L, hbg_node *n, const Onnx__AttributeProto *ap,
                            const char *where)
{
    hbg_status st = HBG_E_NOMEM;
    int type = attr_type(ap);
    hbg_attr *a;
    char msg[512];

    if (ap->ref_attr_name && *ap->ref_attr_name)
        return lfail(L, HBG_E_UNSUPPORTED, "%s: references a function attribute", where);
    switch (type) {
    case HBG_ATTR_FLOAT:
    case HBG_ATTR_INT:
    case HBG_ATTR_STRING:
    case HBG_ATTR_TENSOR:
    case HBG_ATTR_FLOATS:
    case HBG_ATTR_INTS:
    case HBG_ATTR_STRINGS:
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
        return lfail(L, HBG_E_UNSUPPORTED,
                     "%s: graph attributes (subgraphs, control flow) are not supported", where);
    case HBG_ATTR_UNDEF:
        return lfail(L, HBG_E_INVALID, "%s: no type and no value", where);
    default:
        return lfail(L, HBG_E_UNSUPPORTED, "%s: attribute type %d is not supported", where, type);
    }
    if (!(a = hbg_node_add_attr(n, ap->name, (hbg_attr_type)type)))
        return lfail(L, st, "%s: out of memory", where);
    switch (type) {
    case HBG_ATTR_FLOAT:
        a->f = ap->f;
        break;
    case HBG_ATTR_INT:
        a->i = ap->i;
        break;
    case HBG_ATTR_STRING:
        if (!(a->s = copy_bytes(L, &ap->s, where, &st)))
            return st;
        break;
    case HBG_ATTR_TENSOR:
        if (!ap->t)
            return lfail(L, HBG_E_INVALID, "%s: tensor attribute without a tensor", where);
        if ((st = hbc_onnx_tensor_make(ap->t, where, &a->t, msg, sizeof msg)) != HBG_OK)
            return lfail(L, st, "%s", msg);
        break;
    case HBG_ATTR_FLOATS:
        a->n = ap->n_floats;
        if (a->n && !(a->floats = malloc(a->n * sizeof *a->floats)))
            return lfail(L, st, "%s: out of memory", where);
        if (a->n)
            memcpy(a->floats, ap->floats, a->n * sizeof *a->floats);
        break;
    case HBG_ATTR_INTS:
        a->n = ap->n_ints;
        if (a->n && !(a->ints = malloc(a->n * sizeof *a->ints)))
            return lfail(L, st, "%s: out of memory", where);
        if (a->n)
            memcpy(a->ints, ap->ints, a->n * sizeof *a->ints);
        break;
    default: /* HBG_ATTR_STRINGS */
        if (ap->n_strings && !(a->strings = calloc(ap->n_strings, sizeof *a->strings)))
            return lfail(L, st, "%s: out of memory", where);
        /* a->n counts filled entries so a failure midway frees exactly those. */
        for (size_t i = 0; i < ap->n_strings; i++, a->n++)
            if (!(a->strings[i] = copy_bytes(L, &ap->strings[i], where, &st)))
                return st;
        break;
    }
    return HBG_OK;
}

/* Label of a node in messages, before it is in the graph: its name, else first output. */
static const char *node_label(const Onnx__NodeProto *np, char *buf, size_t size, size_t index)
{
    if (np->name && *np->name)
        return np->name;
    for (size_t i = 0; i < np->n_output; i++)
        if (np->output[i] && *np->output[i])
            return np->output[i];
    snprintf(buf, size, "#%zu", index);
    return buf;
}

static hbg_status load_node(loader *L, const Onnx__GraphProto *gp, const Onnx__NodeProto *np,
                            size_t index)
{
    hbg_status st;
    hbg_node *n = NULL;
    char buf[32], where[400];
    const char *label = node_label(np, buf, sizeof buf, index);
    const char *op = np->op_type ? np->op_type : "";

    if (!*op)
        return lfail(L, HBG_E_INVALID, "node '%s': no op_type", label);
    /* Besides ai.onnx, only our integer domain (hbc/quant.h, *_quantized_model.onnx). */
    const int qdomain = np->domain && strcmp(np->domain, HBC_QUANT_DOMAIN) == 0;
    if (!is_default_domain(np->domain) && !qdomain)
        return lfail(L, HBG_E_UNSUPPORTED, "node '%s' (%s): domain '%s' is not supported", label,
                     op, np->domain);
    /* Checked per node: a model made only of other domains' nodes need not import ai.onnx. */
    if (hbg_graph_opset(L->g, qdomain ? HBC_QUANT_DOMAIN : "") == 0)
        return lfail(L, HBG_E_INVALID,
                     "node '%s' (%s): the model imports no opset for the %s domain", label, op,
                     qdomain ? HBC_QUANT_DOMAIN : "default");
    /* hbg_graph_add_node takes int counts and refuses more than 65536 either way. */
    if (np->n_input > 65536 || np->n_output > 65536)
        return lfail(L, HBG_E_INVALID, "node '%s' (%s): too many inputs or outputs", label, op);
    for (size_t i = 0; i < np->n_attribute; i++) {
        const char *an = np->attribute[i]->name;
        if (!an || !*an)
            return lfail(L, HBG_E_INVALID, "node '%s' (%s): attribute #%zu has no name", label, op,
                         i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(np->attribute[j]->name, an) == 0)
                return lfail(L, HBG_E_INVALID, "node '%s' (%s): attribute '%s' appears twice",
                             label, op, an);
    }
    if (is_default_domain(np->domain) && hbg_graph_opset(L->g, "") < 7) {
        char why[400];
        if ((st = hbc_onnx_legacy_check(L->g, gp, hbg_graph_opset(L->g, ""), np, why,
                                        sizeof why)) != HBG_OK)
            return lfail(L, st, "node '%s' (%s): %s", label, op, why);
    }
    st = hbg_graph_add_node(L->g, op, qdomain ? HBC_QUANT_DOMAIN : "", np->name ? np->name : "",
                            (int)np->n_input, (const char *const *)np->input, (int)np->n_output,
                            (const char *const *)np->output, &n);
    if (st != HBG_OK)
        return lfail(L, st, "%s", L->g->err);
    for (size_t i = 0; i < np->n_attribute; i++) {
        snprintf(where, sizeof where, "node '%s' (%s): attribute '%s'", label, op,
                 np->attribute[i]->name);
        if ((st = load_attr(L, n, np->attribute[i], where)) != HBG_OK)
            return st;
    }
    return HBG_OK;
}

/* Build *out from a parsed model. On failure *out is NULL and the message is in L->err. */
static hbg_status build(loader *L, const Onnx__ModelProto *m, hbg_graph **out)
{
    hbg_status st = HBG_E_NOMEM;
    const Onnx__GraphProto *gp = m->graph;

    *out = NULL;
    if (!(L->g = hbg_graph_create())) {
        lfail(L, st, "out of memory");
        goto fail;
    }
    st = HBG_E_INVALID;
    if (!m->has_ir_version) {
        lfail(L, st, "no ir_version: not an ONNX model");
        goto fail;
    }
    if (m->ir_version < 3) {
        st = lfail(L, HBG_E_UNSUPPORTED, "IR version %lld is not supported (need >= 3)",
                   (long long)m->ir_version);
        goto fail;
    }
    if (!gp) {
        lfail(L, st, "model has no graph");
        goto fail;
    }
    L->g->ir_version = m->ir_version;
    if ((st = set_str(L, &L->g->name, gp->name)) != HBG_OK ||
        (st = set_str(L, &L->g->producer_name, m->producer_name)) != HBG_OK ||
        (st = set_str(L, &L->g->producer_version, m->producer_version)) != HBG_OK ||
        (st = load_opsets(L, m)) != HBG_OK || (st = load_initializers(L, gp)) != HBG_OK ||
        (st = load_inputs(L, gp)) != HBG_OK)
        goto fail;
    for (size_t i = 0; i < gp->n_node; i++)
        if ((st = load_node(L, gp, gp->node[i], i)) != HBG_OK)
            goto fail;
    if ((st = load_outputs(L, gp)) != HBG_OK)
        goto fail;
    if ((st = hbg_graph_validate(L->g, 0)) != HBG_OK) {
        lfail(L, st, "%s", L->g->err);
        goto fail;
    }
    *out = L->g;
    return HBG_OK;
fail:
    hbg_graph_free(L->g);
    L->g = NULL;
    return st;
}

/* Nesting limit for messages (protobuf's own C++ default). protobuf-c unpacks sub-messages by
 * recursion without a limit, so a small hostile file of nested graph attributes would overflow
 * the stack; wire_check() measures the nesting first. */
#define MAX_DEPTH 100

/* Read a varint at *p (before end); 0 on success, -1 if truncated or over 10 bytes. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Walk the wire format of a message of type d: 0 if it is well formed with sub-messages nested
 * at most MAX_DEPTH deep, -1 if malformed, -2 if nested deeper. Recursion is bounded by depth. */
static int wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len, int depth)
{
    const uint8_t *end = p + len;
    if (depth > MAX_DEPTH)
        return -2;
    while (p < end) {
        uint64_t key, n;
        if (read_varint(&p, end, &key) != 0)
            return -1;
        switch (key & 7) {
        case 0: /* varint */
            if (read_varint(&p, end, &n) != 0)
                return -1;
            break;
        case 1: /* 64-bit */
        case 5: /* 32-bit */
            n = (key & 7) == 1 ? 8 : 4;
            if ((uint64_t)(end - p) < n)
                return -1;
            p += n;
            break;
        case 2: { /* length-delimited: bytes, string, packed array or sub-message */
            const ProtobufCFieldDescriptor *f;
            if (read_varint(&p, end, &n) != 0 || (uint64_t)(end - p) < n)
                return -1;
            f = key >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3))
                    : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                int rc = wire_check(f->descriptor, p, (size_t)n, depth + 1);
                if (rc)
                    return rc;
            }
            p += n;
            break;
        }
        default: /* groups (3, 4) are not used by onnx.proto; 6, 7 do not exist */
            return -1;
        }
    }
    return 0;
}

static hbg_status load_buf(const uint8_t *buf, size_t len, const char *label, hbg_graph **out,
                           char *err, size_t errlen)
{
    loader L = {label ? label : "<memory>", NULL, err, errlen};
    Onnx__ModelProto *m;
    hbg_status st;

    *out = NULL;
    if (len > HBC_ONNX_MAX_BYTES)
        return lfail(&L, HBG_E_FORMAT, "larger than 2 GiB, the protobuf limit");
    if (wire_check(&onnx__model_proto__descriptor, buf, len, 0) == -2)
        return lfail(&L, HBG_E_FORMAT, "messages nested deeper than %d levels", MAX_DEPTH);
    if (!(m = onnx__model_proto__unpack(NULL, len, buf)))
        return lfail(&L, HBG_E_FORMAT,
                     "not an ONNX model (protobuf parse failed: truncated or "
                     "corrupted)");
    st = build(&L, m, out);
    onnx__model_proto__free_unpacked(m, NULL);
    return st;
}

hbg_status hbc_onnx_load_mem(const void *buf, size_t len, const char *label, hbg_graph **out,
                             char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    return load_buf(buf, len, label, out, err, errlen);
}

hbg_status hbc_onnx_load_file(const char *path, hbg_graph **out, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    hbg_status st;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if ((st = hbc_onnx_read_file(path, &buf, &len, err, errlen)) == HBG_OK)
        st = load_buf(buf, len, path, out, err, errlen);
    free(buf);
    return st;
}
