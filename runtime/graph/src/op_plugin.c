/* The run-time registry of custom CPU operators (hbg/plugin.h) and the HBG_OP_CUSTOM
 * implementation that forwards infer/run to a plugin's callbacks (dnn/hb_dnn_plugin.h). */
#include "hbg/plugin.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbg/kernel.h"

/* Library counts above this are certainly a corrupt struct (the header documents 1..64). */
#define MAX_OPS_PER_LIB 64

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const hbCustomOpV1 *reg_ops[HBG_PLUGIN_MAX_OPS];
static int reg_n;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Caller holds reg_lock. */
static const hbCustomOpV1 *find_locked(const char *op_type)
{
    for (int i = 0; i < reg_n; i++)
        if (strcmp(reg_ops[i]->opType, op_type) == 0)
            return reg_ops[i];
    return NULL;
}

const hbCustomOpV1 *hbg_plugin_find(const char *op_type)
{
    const hbCustomOpV1 *op;
    if (!op_type)
        return NULL;
    pthread_mutex_lock(&reg_lock);
    op = find_locked(op_type);
    pthread_mutex_unlock(&reg_lock);
    return op;
}

/* Checks of one entry that need no lock; returns 0 or fills err. */
static int check_op(const hbCustomOpV1 *op, uint32_t i, const char *origin, char *err,
                    size_t errlen)
{
    if (!op->opType || !op->opType[0]) {
        set_err(err, errlen, "custom op plugin %s: operator %u has no op type name", origin, i);
        return -1;
    }
    hbg_op builtin = hbg_op_from_name(op->opType);
    if (builtin != HBG_OP_UNKNOWN && builtin != HBG_OP_CUSTOM) {
        set_err(err, errlen,
                "custom op plugin %s: op type '%s' is a built-in operator and cannot be replaced",
                origin, op->opType);
        return -1;
    }
    if (!op->infer || !op->compute) {
        set_err(err, errlen, "custom op plugin %s: op type '%s' lacks its %s callback", origin,
                op->opType, op->infer ? "compute" : "infer");
        return -1;
    }
    if (op->minInputs < 0 || op->maxInputs < op->minInputs || op->maxInputs > HB_CUSTOM_OP_MAX_IO ||
        op->numOutputs < 1 || op->numOutputs > HB_CUSTOM_OP_MAX_IO) {
        set_err(err, errlen,
                "custom op plugin %s: op type '%s': inputs %d..%d, outputs %d; allowed 0..%d "
                "inputs and 1..%d outputs",
                origin, op->opType, op->minInputs, op->maxInputs, op->numOutputs,
                HB_CUSTOM_OP_MAX_IO, HB_CUSTOM_OP_MAX_IO);
        return -1;
    }
    return 0;
}

hbg_status hbg_plugin_register(const hbCustomOpLibraryV1 *lib, const char *origin, char *err,
                               size_t errlen)
{
    hbg_status st = HBG_OK;
    int added = 0;
    if (!origin)
        origin = "(in-process library)";
    if (!lib) {
        set_err(err, errlen, "custom op plugin %s: no library", origin);
        return HBG_E_INVALID;
    }
    if (lib->abiVersion != HB_CUSTOM_OP_ABI_VERSION) {
        set_err(err, errlen,
                "custom op plugin %s: ABI version %u, this toolchain takes version %u "
                "(rebuild the plugin against dnn/hb_dnn_plugin.h)",
                origin, lib->abiVersion, HB_CUSTOM_OP_ABI_VERSION);
        return HBG_E_INVALID;
    }
    if (lib->numOps < 1 || lib->numOps > MAX_OPS_PER_LIB || !lib->ops) {
        set_err(err, errlen, "custom op plugin %s: %u operators; allowed 1..%d", origin,
                lib->numOps, MAX_OPS_PER_LIB);
        return HBG_E_INVALID;
    }
    for (uint32_t i = 0; i < lib->numOps; i++) {
        if (check_op(&lib->ops[i], i, origin, err, errlen))
            return HBG_E_INVALID;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(lib->ops[i].opType, lib->ops[j].opType) == 0) {
                set_err(err, errlen, "custom op plugin %s: op type '%s' is listed twice", origin,
                        lib->ops[i].opType);
                return HBG_E_INVALID;
            }
    }
    pthread_mutex_lock(&reg_lock);
    /* all checks before any change, so that a refused library leaves the registry as it was */
    for (uint32_t i = 0; i < lib->numOps && st == HBG_OK; i++) {
        const hbCustomOpV1 *have = find_locked(lib->ops[i].opType);
        if (have && have != &lib->ops[i]) {
            set_err(err, errlen,
                    "custom op plugin %s: op type '%s' is already registered by another library",
                    origin, lib->ops[i].opType);
            st = HBG_E_INVALID;
        } else if (!have) {
            added++;
        }
    }
    if (st == HBG_OK && reg_n + added > HBG_PLUGIN_MAX_OPS) {
        set_err(err, errlen, "custom op plugin %s: more than %d custom operators in the process",
                origin, HBG_PLUGIN_MAX_OPS);
        st = HBG_E_NOMEM;
    }
    for (uint32_t i = 0; i < lib->numOps && st == HBG_OK; i++)
        if (!find_locked(lib->ops[i].opType))
            reg_ops[reg_n++] = &lib->ops[i];
    pthread_mutex_unlock(&reg_lock);
    return st;
}

hbg_status hbg_plugin_load(const char *path, char *err, size_t errlen)
{
    hbg_status st;
    void *h;
    const hbCustomOpLibraryV1 *lib;
    if (!path || !path[0]) {
        set_err(err, errlen, "custom op plugin: no file name");
        return HBG_E_INVALID;
    }
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        set_err(err, errlen, "custom op plugin '%s': cannot load: %s", path,
                why ? why : "unknown reason");
        return HBG_E_IO;
    }
    lib = (const hbCustomOpLibraryV1 *)dlsym(h, HB_CUSTOM_OP_PLUGIN_SYMBOL);
    if (!lib) {
        set_err(err, errlen, "custom op plugin '%s': no symbol %s (see docs/custom-ops.md)", path,
                HB_CUSTOM_OP_PLUGIN_SYMBOL);
        st = HBG_E_INVALID;
        goto out;
    }
    char origin[512];
    snprintf(origin, sizeof origin, "'%s'", path);
    st = hbg_plugin_register(lib, origin, err, errlen);
out:
    /* Registered operators point into the library: it stays loaded for the process. Loading the
     * same file twice returns the same handle (dlopen counts references), so nothing leaks. */
    if (st != HBG_OK)
        dlclose(h);
    return st;
}

/* ---- HBG_OP_CUSTOM ---------------------------------------------------------------------- */

typedef struct plugin_params {
    const hbCustomOpV1 *op;
} plugin_params;

static const hbg_attr *attr_of(const hbCustomOpContext *c, const char *name, hbg_attr_type t)
{
    const hbg_attr *a = name ? hbg_node_attr((const hbg_node *)c->host, name) : NULL;
    return a && a->type == t ? a : NULL;
}

static int32_t get_int(const hbCustomOpContext *c, const char *name, int64_t *v)
{
    const hbg_attr *a = attr_of(c, name, HBG_ATTR_INT);
    if (!a || !v)
        return -1;
    *v = a->i;
    return 0;
}

static int32_t get_float(const hbCustomOpContext *c, const char *name, float *v)
{
    const hbg_attr *a = attr_of(c, name, HBG_ATTR_FLOAT);
    if (!a || !v)
        return -1;
    *v = a->f;
    return 0;
}

static int32_t get_string(const hbCustomOpContext *c, const char *name, const char **v)
{
    const hbg_attr *a = attr_of(c, name, HBG_ATTR_STRING);
    if (!a || !v)
        return -1;
    *v = a->s;
    return 0;
}

static int32_t get_ints(const hbCustomOpContext *c, const char *name, const int64_t **v, int32_t *n)
{
    const hbg_attr *a = attr_of(c, name, HBG_ATTR_INTS);
    if (!a || !v || !n || a->n > INT32_MAX)
        return -1;
    *v = a->ints;
    *n = (int32_t)a->n;
    return 0;
}

static int32_t get_floats(const hbCustomOpContext *c, const char *name, const float **v, int32_t *n)
{
    const hbg_attr *a = attr_of(c, name, HBG_ATTR_FLOATS);
    if (!a || !v || !n || a->n > INT32_MAX)
        return -1;
    *v = a->floats;
    *n = (int32_t)a->n;
    return 0;
}

static void ctx_of(hbg_kctx *k, const hbCustomOpV1 *op, char *msg, size_t msglen,
                   hbCustomOpContext *c)
{
    memset(c, 0, sizeof *c);
    c->nodeName = k->node->name ? k->node->name : "";
    c->opType = op->opType;
    c->getAttrInt = get_int;
    c->getAttrFloat = get_float;
    c->getAttrString = get_string;
    c->getAttrInts = get_ints;
    c->getAttrFloats = get_floats;
    msg[0] = '\0';
    c->error = msg;
    c->errorSize = msglen;
    c->host = k->node;
}

/* The plugin's view of tensor t (NULL: an omitted optional input). */
static void view_of(const hbg_tensor *t, hbCustomOpTensor *v)
{
    memset(v, 0, sizeof *v);
    if (!t) {
        v->rank = -1;
        return;
    }
    v->dataType = (int32_t)t->dtype;
    v->rank = t->rank;
    for (int d = 0; d < t->rank && d < HB_CUSTOM_OP_MAX_RANK; d++)
        v->dims[d] = t->dims[d];
    v->data = t->data;
}

static hbg_status custom_infer(hbg_kctx *k)
{
    hbCustomOpTensor in[HB_CUSTOM_OP_MAX_IO], out[HB_CUSTOM_OP_MAX_IO];
    hbCustomOpContext c;
    char msg[256];
    size_t scratch = 0;
    const hbCustomOpV1 *op = hbg_plugin_find(k->node->op_type);
    if (!op)
        return hbg_kfail(k, HBG_E_UNSUPPORTED, "no custom op plugin is registered for op type %s",
                         k->node->op_type);
    if (k->n_in < op->minInputs || k->n_in > op->maxInputs || k->n_out != op->numOutputs)
        return hbg_kfail(k, HBG_E_INVALID,
                         "%d inputs and %d outputs; the plugin takes %d..%d inputs and %d outputs",
                         k->n_in, k->n_out, op->minInputs, op->maxInputs, op->numOutputs);
    for (int i = 0; i < k->n_in; i++) {
        view_of(k->in[i], &in[i]);
        if (k->in[i] && k->in[i]->rank > HB_CUSTOM_OP_MAX_RANK)
            return hbg_kfail(k, HBG_E_UNSUPPORTED, "input %d has rank %d; plugins take <= %d", i,
                             k->in[i]->rank, HB_CUSTOM_OP_MAX_RANK);
    }
    for (int o = 0; o < k->n_out; o++) {
        memset(&out[o], 0, sizeof out[o]);
        out[o].rank = -1;
    }
    ctx_of(k, op, msg, sizeof msg, &c);
    if (op->infer(&c, k->n_in, in, k->n_out, out, &scratch) != 0)
        return hbg_kfail(k, HBG_E_INVALID, "custom op plugin refused the node: %s",
                         msg[0] ? msg : "(no reason given)");
    for (int o = 0; o < k->n_out; o++) {
        hbg_dtype dt = (hbg_dtype)out[o].dataType;
        if (hbg_dtype_size(dt) == 0 || out[o].rank < 0 || out[o].rank > HB_CUSTOM_OP_MAX_RANK ||
            hbg_tensor_set_shape(k->out[o], dt, out[o].rank, out[o].dims) != HBG_OK ||
            hbg_tensor_nbytes(k->out[o]) < 0)
            return hbg_kfail(
                k, HBG_E_INVALID,
                "custom op plugin gave output %d an invalid type %d or shape (rank %d)", o,
                out[o].dataType, out[o].rank);
    }
    plugin_params *p = malloc(sizeof *p);
    if (!p)
        return hbg_kfail(k, HBG_E_NOMEM, "out of memory");
    p->op = op;
    k->node->params = p;
    k->node->scratch = scratch;
    return HBG_OK;
}

static hbg_status custom_run(hbg_kctx *k)
{
    hbCustomOpTensor in[HB_CUSTOM_OP_MAX_IO], out[HB_CUSTOM_OP_MAX_IO];
    hbCustomOpContext c;
    char msg[256];
    const plugin_params *p = k->node->params;
    for (int i = 0; i < k->n_in; i++)
        view_of(k->in[i], &in[i]);
    for (int o = 0; o < k->n_out; o++)
        view_of(k->out[o], &out[o]);
    ctx_of(k, p->op, msg, sizeof msg, &c);
    if (p->op->compute(&c, k->n_in, in, k->n_out, out, k->scratch) != 0)
        return hbg_kfail(k, HBG_E_INVALID, "custom op plugin failed: %s",
                         msg[0] ? msg : "(no reason given)");
    return HBG_OK;
}

static const hbg_op_impl custom_impl = {HBG_OP_CUSTOM, custom_infer, custom_run, 0};

const hbg_op_impl *hbg_plugin_impl(void)
{
    return &custom_impl;
}
