/* The float executor: prepare (infer, fold, allocate) once, run many times. */
#include "hbg/exec.h"
#include "hbg/kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hbg_exec {
    hbg_graph *g;
    unsigned char *folded; /* per node: 1 when computed at prepare time */
    void **bufs;           /* per tensor: buffer owned by the executor, or NULL */
    hbg_tensor **ptrs;     /* per node, n_in + n_out tensor pointers (NULL for omitted inputs) */
    int *ptr_off;          /* per node: offset of its pointers in ptrs */
    void *scratch;
    size_t scratch_size;
    int profile;
    uint64_t *ns;
    int fuse;       /* hbg_exec_set_fusion */
    int *fused;     /* per node: the Relu/Clip node fusable into it, or -1 */
    float *clamp;   /* per node: {lo, hi} of that Relu/Clip */
    char *absorbed; /* per node: 1 when it is the Relu/Clip of a fusable pair */
};

/* All buffers are 64-byte aligned so SIMD kernels may use aligned loads on tensor starts. */
static void *alloc64(size_t n)
{
    size_t sz = (n + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, sz ? sz : 64);
    if (p)
        memset(p, 0, sz ? sz : 64);
    return p;
}

static hbg_status alloc_tensor(hbg_exec *e, int t)
{
    hbg_tensor *x = e->g->tensors[t];
    int64_t nb = hbg_tensor_nbytes(x);
    if (nb < 0 || (uint64_t)nb > (uint64_t)SIZE_MAX / 2)
        return hbg_graph_fail(e->g, HBG_E_NOMEM, "tensor '%s': size of shape is too large",
                              x->name);
    e->bufs[t] = alloc64((size_t)nb);
    if (!e->bufs[t]) {
        char sh[96];
        return hbg_graph_fail(e->g, HBG_E_NOMEM, "tensor '%s' (%s, %s): cannot allocate %lld bytes",
                              x->name, hbg_shape_str(x, sh, sizeof sh), hbg_dtype_name(x->dtype),
                              (long long)nb);
    }
    x->data = e->bufs[t];
    return HBG_OK;
}

static void kctx_of(hbg_exec *e, int i, hbg_kctx *k)
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
    k->clamp = NULL;
}

hbg_status hbg_kneed_value(hbg_kctx *k, int i, const char *what)
{
    k->need_value = k->node->in[i];
    return hbg_kfail(k, HBG_E_UNSUPPORTED,
                     "input %d (%s, '%s') must be known at prepare time (a constant)", i, what,
                     k->in[i]->name);
}

static hbg_status check_inputs(hbg_graph *g)
{
    for (int i = 0; i < g->n_inputs; i++) {
        const hbg_tensor *t = g->tensors[g->inputs[i]];
        if (hbg_dtype_size(t->dtype) == 0)
            return hbg_graph_fail(g, HBG_E_UNSUPPORTED, "graph input '%s': element type %s",
                                  t->name, hbg_dtype_name(t->dtype));
        if (t->rank < 0)
            return hbg_graph_fail(g, HBG_E_SHAPE, "graph input '%s': shape unknown; give it",
                                  t->name);
        for (int d = 0; d < t->rank; d++)
            if (t->dims[d] < 0)
                return hbg_graph_fail(g, HBG_E_SHAPE,
                                      "graph input '%s': dimension %d ('%s') is not fixed; give "
                                      "the input shape",
                                      t->name, d, t->dim_names[d] ? t->dim_names[d] : "?");
    }
    return HBG_OK;
}

/* Infer node i; fold it when every input is known (or it only reads shapes). */
static hbg_status prepare_node(hbg_exec *e, int i, int *need_value)
{
    hbg_graph *g = e->g;
    hbg_node *n = &g->nodes[i];
    const hbg_op_impl *impl = hbg_op_impl_get(n->op);
    hbg_kctx k;
    hbg_status st;

    free(n->params);
    n->params = NULL;
    n->scratch = 0;
    kctx_of(e, i, &k);
    k.scratch = NULL;
    for (int o = 0; o < n->n_out; o++) {
        hbg_tensor *t = k.out[o];
        t->rank = -1;
        t->dtype = HBG_DT_UNDEF;
    }
    st = impl->infer(&k);
    if (st != HBG_OK) {
        *need_value = k.need_value;
        if (!strstr(g->err, "node '"))
            hbg_kfail(&k, st, "%s", g->err[0] ? g->err : hbg_status_str(st));
        return st;
    }
    for (int o = 0; o < n->n_out; o++) {
        const hbg_tensor *t = k.out[o];
        if (t->rank < 0 || hbg_tensor_nbytes(t) < 0)
            return hbg_kfail(&k, HBG_E_SHAPE, "output '%s' got no valid shape/type", t->name);
    }
    int foldable = (impl->flags & HBG_OPF_SHAPE_ONLY) != 0;
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
    st = impl->run(&k);
    free(tmp);
    if (st != HBG_OK)
        return st;
    e->folded[i] = 1;
    return HBG_OK;
}

/* Bounds of Relu/Clip node j into c[0..1] when known at prepare time (called before the run-time
 * buffers are allocated, so data != NULL means a constant or folded value); 0 when not. */
static int clamp_bounds(const hbg_graph *g, const hbg_node *nj, float *c)
{
    c[0] = -INFINITY;
    c[1] = INFINITY;
    if (nj->op == HBG_OP_RELU) {
        c[0] = 0.0f;
        return 1;
    }
    if (nj->op != HBG_OP_CLIP)
        return 0;
    if (hbg_graph_opset(g, "") < 11) {
        c[0] = hbg_attr_float(nj, "min", -INFINITY);
        c[1] = hbg_attr_float(nj, "max", INFINITY);
        return 1;
    }
    for (int i = 1; i < nj->n_in && i < 3; i++) {
        const hbg_tensor *b = nj->in[i] >= 0 ? g->tensors[nj->in[i]] : NULL;
        if (!b)
            continue;
        if (!b->data || b->dtype != HBG_DT_F32 || hbg_tensor_numel(b) != 1)
            return 0;
        c[i - 1] = *(const float *)b->data;
    }
    return 1;
}

/* Find the Conv/Gemm -> Relu/Clip pairs that may run as one node: the producer's float output is
 * read by the Relu/Clip only and is not a graph output, and the bounds are known. */
static hbg_status find_fusions(hbg_exec *e)
{
    hbg_graph *g = e->g;
    /* per tensor: number of reads (node inputs and graph outputs) and the last reading node */
    int *readers = calloc((size_t)g->n_tensors + 1, sizeof *readers);
    int *reader = calloc((size_t)g->n_tensors + 1, sizeof *reader);
    if (!readers || !reader) {
        free(readers);
        free(reader);
        return hbg_graph_fail(g, HBG_E_NOMEM, "out of memory");
    }
    for (int o = 0; o < g->n_outputs; o++)
        readers[g->outputs[o]]++;
    for (int j = 0; j < g->n_nodes; j++)
        for (int q = 0; q < g->nodes[j].n_in; q++)
            if (g->nodes[j].in[q] >= 0) {
                readers[g->nodes[j].in[q]]++;
                reader[g->nodes[j].in[q]] = j;
            }
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *n = &g->nodes[i];
        e->fused[i] = -1;
        if (e->folded[i] || n->n_out != 1 ||
            !(hbg_op_impl_get(n->op)->flags & HBG_OPF_FUSE_CLAMP) ||
            g->tensors[n->out[0]]->dtype != HBG_DT_F32 || readers[n->out[0]] != 1)
            continue;
        const int t = n->out[0], j = reader[t];
        const hbg_node *nj = &g->nodes[j];
        /* readers[t] == 1 with j == 0 and no input of node 0 being t: the reader is an output */
        if (nj->n_in < 1 || nj->in[0] != t || e->folded[j] || nj->n_out != 1 ||
            g->tensors[nj->out[0]]->dtype != HBG_DT_F32 || !clamp_bounds(g, nj, e->clamp + 2 * i))
            continue;
        e->fused[i] = j;
        e->absorbed[j] = 1;
    }
    free(readers);
    free(reader);
    return HBG_OK;
}

hbg_status hbg_exec_create(hbg_graph *g, hbg_exec **out)
{
    int need_value;
    return hbg_exec_create_ex(g, out, &need_value);
}

hbg_status hbg_exec_create_ex(hbg_graph *g, hbg_exec **out, int *need_value)
{
    hbg_status st = HBG_E_NOMEM;
    hbg_exec *e = calloc(1, sizeof *e);
    size_t n_ptrs = 0;
    *out = NULL;
    *need_value = -1;
    g->err[0] = '\0';
    if (!e)
        return hbg_graph_fail(g, st, "out of memory");
    e->g = g;
    if ((st = hbg_graph_validate(g, 1)) != HBG_OK || (st = check_inputs(g)) != HBG_OK)
        goto fail;
    st = HBG_E_NOMEM;
    for (int i = 0; i < g->n_nodes; i++)
        n_ptrs += (size_t)g->nodes[i].n_in + (size_t)g->nodes[i].n_out;
    e->folded = calloc((size_t)g->n_nodes + 1, 1);
    e->bufs = calloc((size_t)g->n_tensors + 1, sizeof *e->bufs);
    e->ptrs = calloc(n_ptrs + 1, sizeof *e->ptrs);
    e->ptr_off = calloc((size_t)g->n_nodes + 1, sizeof *e->ptr_off);
    e->ns = calloc((size_t)g->n_nodes + 1, sizeof *e->ns);
    e->fused = calloc((size_t)g->n_nodes + 1, sizeof *e->fused);
    e->clamp = calloc(2 * (size_t)g->n_nodes + 2, sizeof *e->clamp);
    e->absorbed = calloc((size_t)g->n_nodes + 1, 1);
    if (!e->folded || !e->bufs || !e->ptrs || !e->ptr_off || !e->ns || !e->fused || !e->clamp ||
        !e->absorbed) {
        hbg_graph_fail(g, st, "out of memory");
        goto fail;
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
    /* Values unknown at prepare time must read as unknown (data == NULL) during inference. */
    for (int t = 0; t < g->n_tensors; t++)
        if (!g->tensors[t]->is_const)
            g->tensors[t]->data = NULL;
    for (int i = 0; i < g->n_nodes; i++)
        if ((st = prepare_node(e, i, need_value)) != HBG_OK)
            goto fail;
    if ((st = find_fusions(e)) != HBG_OK)
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
    hbg_exec_free(e);
    return st;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

hbg_status hbg_exec_run(hbg_exec *e)
{
    hbg_graph *g = e->g;
    for (int i = 0; i < g->n_nodes; i++) {
        if (e->folded[i] || (e->fuse && e->absorbed[i])) {
            e->ns[i] = 0;
            continue;
        }
        hbg_kctx k;
        kctx_of(e, i, &k);
        if (e->fuse && e->fused[i] >= 0) {
            /* write the Relu/Clip's output directly, clamped */
            const int j = e->fused[i];
            k.out = e->ptrs + e->ptr_off[j] + g->nodes[j].n_in;
            k.clamp = e->clamp + 2 * i;
        }
        uint64_t t0 = e->profile ? now_ns() : 0;
        hbg_status st = hbg_op_impl_get(g->nodes[i].op)->run(&k);
        if (st != HBG_OK)
            return st;
        if (e->profile)
            e->ns[i] = now_ns() - t0;
    }
    return HBG_OK;
}

void hbg_exec_set_fusion(hbg_exec *e, int on)
{
    e->fuse = on;
}

void hbg_exec_set_profile(hbg_exec *e, int on)
{
    e->profile = on;
}

const uint64_t *hbg_exec_node_ns(const hbg_exec *e)
{
    return e->profile ? e->ns : NULL;
}

void hbg_exec_free(hbg_exec *e)
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
    free(e->bufs);
    free(e->folded);
    free(e->ptrs);
    free(e->ptr_off);
    free(e->ns);
    free(e->fused);
    free(e->clamp);
    free(e->absorbed);
    free(e->scratch);
    free(e);
}
