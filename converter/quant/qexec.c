/* The integer reference executor of *_quantized_model.onnx.
 *
 * Design: the same prepare-once/run-many scheme as the graph core's float executor (hbg exec.c),
 * with one difference: each node's infer/run pair comes from our domain's table (qops.c) when
 * its domain is HBC_QUANT_DOMAIN, and from the graph core's registry otherwise (float CPU ops,
 * and data-movement ops running on int8 tensors). The graph core cannot be asked to dispatch on
 * a foreign domain, hence this second, small driver. Nodes whose inputs are all known at prepare
 * time (Constant, shape arithmetic) are folded then, as the float executor does. */
#include <stdlib.h>
#include <string.h>

#include "qexec_priv.h"

typedef struct qimpl {
    hbg_infer_fn infer;
    hbg_run_fn run;
    unsigned flags;
} qimpl;

struct hbc_qexec {
    hbg_graph *g;
    qimpl *impl;           /* per node */
    unsigned char *folded; /* per node: 1 when computed at prepare time */
    void **bufs;           /* per tensor: buffer owned by the executor, or NULL */
    hbg_tensor **ptrs;     /* per node, n_in + n_out tensor pointers */
    int *ptr_off;
    void *scratch;
    size_t scratch_size;
};

static void *alloc64(size_t n)
{
    size_t sz = (n + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, sz ? sz : 64);
    if (p)
        memset(p, 0, sz ? sz : 64);
    return p;
}

static hbg_status alloc_tensor(hbc_qexec *e, int t)
{
    hbg_tensor *x = e->g->tensors[t];
    int64_t nb = hbg_tensor_nbytes(x);
    if (nb < 0 || (uint64_t)nb > (uint64_t)SIZE_MAX / 2)
        return hbg_graph_fail(e->g, HBG_E_NOMEM, "tensor '%s': size of shape is too large",
                              x->name);
    if (!(e->bufs[t] = alloc64((size_t)nb)))
        return hbg_graph_fail(e->g, HBG_E_NOMEM, "tensor '%s': cannot allocate %lld bytes", x->name,
                              (long long)nb);
    x->data = e->bufs[t];
    return HBG_OK;
}

static void kctx_of(hbc_qexec *e, int i, hbg_kctx *k)
{
    hbg_node *n = &e->g->nodes[i];
    k->g = e->g;
    k->node = n;
    k->in = e->ptrs + e->ptr_off[i];
    k->out = k->in + n->n_in;
    k->n_in = n->n_in;
    k->n_out = n->n_out;
    k->scratch = e->scratch;
    k->need_value = -1;
    k->clamp = NULL; /* this executor fuses no Relu/Clip into float Conv/Gemm */
}

/* The implementation of node n: ours for HBC_QUANT_DOMAIN, the graph core's for the default
 * domain; anything else is refused naming the node. */
static hbg_status resolve(hbg_graph *g, const hbg_node *n, qimpl *q)
{
    if (strcmp(n->domain, HBC_QUANT_DOMAIN) == 0) {
        hbc_qop op = hbc_qop_from_name(n->op_type);
        if (op == HBC_QOP_COUNT)
            return hbg_graph_fail(g, HBG_E_UNSUPPORTED, "node '%s': %s is not an operator of %s",
                                  hbg_node_label(g, n), n->op_type, HBC_QUANT_DOMAIN);
        q->infer = hbc_qop_infer(op);
        q->run = hbc_qop_run(op);
        q->flags = 0;
        return HBG_OK;
    }
    const hbg_op_impl *impl = n->op != HBG_OP_UNKNOWN ? hbg_op_impl_get(n->op) : NULL;
    if (!impl)
        return hbg_graph_fail(g, HBG_E_UNSUPPORTED, "node '%s': op %s%s%s is not supported",
                              hbg_node_label(g, n), n->op_type, n->domain[0] ? " of domain " : "",
                              n->domain);
    q->infer = impl->infer;
    q->run = impl->run;
    q->flags = impl->flags;
    return HBG_OK;
}

static hbg_status prepare_node(hbc_qexec *e, int i)
{
    hbg_graph *g = e->g;
    hbg_node *n = &g->nodes[i];
    const qimpl *q = &e->impl[i];
    hbg_kctx k;
    hbg_status st;

    free(n->params);
    n->params = NULL;
    n->scratch = 0;
    kctx_of(e, i, &k);
    k.scratch = NULL;
    for (int o = 0; o < n->n_out; o++) {
        k.out[o]->rank = -1;
        k.out[o]->dtype = HBG_DT_UNDEF;
    }
    if ((st = q->infer(&k)) != HBG_OK) {
        if (!strstr(g->err, "node '"))
            hbg_kfail(&k, st, "%s", g->err[0] ? g->err : hbg_status_str(st));
        return st;
    }
    for (int o = 0; o < n->n_out; o++)
        if (k.out[o]->rank < 0 || hbg_tensor_nbytes(k.out[o]) < 0)
            return hbg_kfail(&k, HBG_E_SHAPE, "output '%s' got no valid shape/type",
                             k.out[o]->name);
    int foldable = (q->flags & HBG_OPF_SHAPE_ONLY) != 0;
    if (!foldable) {
        foldable = 1;
        for (int j = 0; j < n->n_in; j++)
            if (k.in[j] && !k.in[j]->data)
                foldable = 0;
    }
    if (!foldable)
        return HBG_OK;
    for (int o = 0; o < n->n_out; o++)
        if ((st = alloc_tensor(e, n->out[o])) != HBG_OK)
            return st;
    void *tmp = n->scratch ? alloc64(n->scratch) : NULL;
    if (n->scratch && !tmp)
        return hbg_kfail(&k, HBG_E_NOMEM, "cannot allocate %zu bytes of workspace", n->scratch);
    k.scratch = tmp;
    st = q->run(&k);
    free(tmp);
    if (st == HBG_OK)
        e->folded[i] = 1;
    return st;
}

hbg_status hbc_qexec_create(hbg_graph *g, hbc_qexec **out)
{
    hbg_status st = HBG_E_NOMEM;
    hbc_qexec *e = calloc(1, sizeof *e);
    size_t n_ptrs = 0;
    *out = NULL;
    g->err[0] = '\0';
    if (!e)
        return hbg_graph_fail(g, st, "out of memory");
    e->g = g;
    if ((st = hbg_graph_validate(g, 0)) != HBG_OK)
        goto fail;
    st = HBG_E_NOMEM;
    for (int i = 0; i < g->n_nodes; i++)
        n_ptrs += (size_t)g->nodes[i].n_in + (size_t)g->nodes[i].n_out;
    e->impl = calloc((size_t)g->n_nodes + 1, sizeof *e->impl);
    e->folded = calloc((size_t)g->n_nodes + 1, 1);
    e->bufs = calloc((size_t)g->n_tensors + 1, sizeof *e->bufs);
    e->ptrs = calloc(n_ptrs + 1, sizeof *e->ptrs);
    e->ptr_off = calloc((size_t)g->n_nodes + 1, sizeof *e->ptr_off);
    if (!e->impl || !e->folded || !e->bufs || !e->ptrs || !e->ptr_off) {
        hbg_graph_fail(g, st, "out of memory");
        goto fail;
    }
    for (int i = 0; i < g->n_nodes; i++)
        if ((st = resolve(g, &g->nodes[i], &e->impl[i])) != HBG_OK)
            goto fail;
    for (int i = 0; i < g->n_inputs; i++) {
        const hbg_tensor *t = g->tensors[g->inputs[i]];
        if (hbg_dtype_size(t->dtype) == 0 || t->rank < 0 || hbg_tensor_numel(t) < 0) {
            st = hbg_graph_fail(g, HBG_E_SHAPE, "graph input '%s': type or shape unknown", t->name);
            goto fail;
        }
    }
    n_ptrs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        e->ptr_off[i] = (int)n_ptrs;
        for (int j = 0; j < n->n_in; j++)
            e->ptrs[n_ptrs++] = n->in[j] >= 0 ? g->tensors[n->in[j]] : NULL;
        for (int j = 0; j < n->n_out; j++)
            e->ptrs[n_ptrs++] = g->tensors[n->out[j]];
    }
    for (int t = 0; t < g->n_tensors; t++)
        if (!g->tensors[t]->is_const)
            g->tensors[t]->data = NULL;
    for (int i = 0; i < g->n_nodes; i++)
        if ((st = prepare_node(e, i)) != HBG_OK)
            goto fail;
    for (int i = 0; i < g->n_inputs; i++)
        if (!e->bufs[g->inputs[i]] && (st = alloc_tensor(e, g->inputs[i])) != HBG_OK)
            goto fail;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        if (e->folded[i])
            continue;
        for (int o = 0; o < n->n_out; o++)
            if ((st = alloc_tensor(e, n->out[o])) != HBG_OK)
                goto fail;
        if (n->scratch > e->scratch_size)
            e->scratch_size = n->scratch;
    }
    if (e->scratch_size && !(e->scratch = alloc64(e->scratch_size))) {
        st = hbg_graph_fail(g, HBG_E_NOMEM, "cannot allocate %zu bytes of workspace",
                            e->scratch_size);
        goto fail;
    }
    *out = e;
    return HBG_OK;
fail:
    hbc_qexec_free(e);
    return st;
}

hbg_status hbc_qexec_run(hbc_qexec *e)
{
    for (int i = 0; i < e->g->n_nodes; i++) {
        if (e->folded[i])
            continue;
        hbg_kctx k;
        kctx_of(e, i, &k);
        hbg_status st = e->impl[i].run(&k);
        if (st != HBG_OK)
            return st;
    }
    return HBG_OK;
}

void hbc_qexec_free(hbc_qexec *e)
{
    if (!e)
        return;
    if (e->bufs) {
        for (int t = 0; t < e->g->n_tensors; t++) {
            if (e->bufs[t] && e->g->tensors[t]->data == e->bufs[t])
                e->g->tensors[t]->data = NULL;
            free(e->bufs[t]);
        }
    }
    free(e->impl);
    free(e->bufs);
    free(e->folded);
    free(e->ptrs);
    free(e->ptr_off);
    free(e->scratch);
    free(e);
}
