/* hb_mapper checker: load the model (ONNX, or Caffe prototxt + caffemodel), apply --input-shape,
 * validate the graph, infer every shape and fold constants on the float executor, then print the
 * node table (Node, Type, output shape) and a summary. Operators the float executor does not
 * have are listed by type and node, and the check fails.
 *
 * BPU/CPU placement (the reference's ON and Subgraph columns) is a later step of the converter;
 * the output says so instead of showing a column we do not compute. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpu/march.h"
#include "hbc/caffe_io.h"
#include "hbc/onnx_io.h"
#include "hbg/exec.h"
#include "mapper.h"

/* The reference tool's limit on model outputs (interface notes 1.9). */
#define MAX_OUTPUTS 32
/* Widest Node and Type columns; longer names are cut on the left with "...". */
#define NODE_COL_MAX 40
#define TYPE_COL_MAX 28

/* A growing string for multi-line log messages (the table). */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed; /* an allocation failed: the text is cut */
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || b->failed)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void sb_repeat(sbuf *b, char ch, int n)
{
    for (int i = 0; i < n; i++)
        sb_printf(b, "%c", ch);
}

/* "1x3x224x224" -> dims; 0 on success. */
static int parse_dims(const char *s, int64_t *dims, int *rank)
{
    *rank = 0;
    while (*s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 1 || v > INT32_MAX || *rank == HBG_MAX_RANK)
            return -1;
        dims[(*rank)++] = v;
        s = end;
        if (*s == 'x' && s[1])
            s++;
        else if (*s)
            return -1;
    }
    return *rank > 0 ? 0 : -1;
}

static int load_model(const mapper_args *a, mapper_model_type mt, const hbc_logger *lg,
                      hbg_graph **g)
{
    char err[1024];
    hbg_status st = mt == MODEL_ONNX
                        ? hbc_onnx_load_file(a->val[OPT_MODEL], g, err, sizeof err)
                        : hbc_caffe_load(a->val[OPT_PROTO], a->val[OPT_MODEL], g, err, sizeof err);
    if (st != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        return -1;
    }
    return 0;
}

static void log_tensor(const hbc_logger *lg, const char *what, const hbg_tensor *t)
{
    char shape[128];
    HBC_LOGI(lg, "%s %s: shape %s, %s", what, t->name, hbg_shape_str(t, shape, sizeof shape),
             hbg_dtype_name(t->dtype));
}

static void log_model(const hbg_graph *g, mapper_model_type mt, const hbc_logger *lg)
{
    if (mt == MODEL_ONNX) {
        sbuf ops = {0};
        for (int i = 0; i < g->n_opsets; i++)
            sb_printf(&ops, "%s'%s v%lld'", i ? ", " : "",
                      g->opsets[i].domain[0] ? g->opsets[i].domain : "ai.onnx",
                      (long long)g->opsets[i].version);
        HBC_LOGI(lg, "ONNX IR version: %lld", (long long)g->ir_version);
        HBC_LOGI(lg, "Opset version: [%s]", ops.p ? ops.p : "");
        HBC_LOGI(lg, "Producer: %s %s", g->producer_name ? g->producer_name : "",
                 g->producer_version ? g->producer_version : "");
        free(ops.p);
    }
    for (int i = 0; i < g->n_inputs; i++)
        log_tensor(lg, "Graph input", g->tensors[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        log_tensor(lg, "Graph output", g->tensors[g->outputs[i]]);
    HBC_LOGI(lg, "%d nodes, %d tensors", g->n_nodes, g->n_tensors);
}

/* --input-shape NAME SHAPE: NAME must be a graph input, given once; a shape that differs from a
 * fixed one in the model overrides it with a warning. */
static int apply_shapes(const mapper_args *a, hbg_graph *g, const hbc_logger *lg)
{
    for (int s = 0; s < a->n_pairs[OPT_INPUT_SHAPE]; s++) {
        const char *name = a->pairs[OPT_INPUT_SHAPE][s][0], *text = a->pairs[OPT_INPUT_SHAPE][s][1];
        int idx = hbg_graph_find_tensor(g, name), rank;
        int64_t dims[HBG_MAX_RANK];
        char was[128];
        for (int p = 0; p < s; p++) {
            if (strcmp(a->pairs[OPT_INPUT_SHAPE][p][0], name) == 0) {
                HBC_LOGE(lg, "--input-shape: Input names duplicated: '%s'", name);
                return -1;
            }
        }
        if (idx < 0 || !g->tensors[idx]->is_input) {
            sbuf names = {0};
            for (int i = 0; i < g->n_inputs; i++)
                sb_printf(&names, "%s%s", i ? ", " : "", g->tensors[g->inputs[i]]->name);
            HBC_LOGE(lg,
                     "--input-shape: Input name does not exist in model file: '%s'; the inputs "
                     "are: %s",
                     name, names.p ? names.p : "(none)");
            free(names.p);
            return -1;
        }
        hbg_tensor *t = g->tensors[idx];
        if (parse_dims(text, dims, &rank) != 0) {
            HBC_LOGE(lg,
                     "--input-shape %s: '%s' is not a shape; write positive dimensions "
                     "separated by 'x', e.g. 1x3x224x224",
                     name, text);
            return -1;
        }
        hbg_shape_str(t, was, sizeof was);
        if (t->rank >= 0 && t->rank != rank) {
            HBC_LOGE(lg, "--input-shape %s: %s has %d dimensions, the model's input has %d (%s)",
                     name, text, rank, t->rank, was);
            return -1;
        }
        for (int d = 0; d < rank && t->rank >= 0; d++) {
            if (t->dims[d] >= 0 && t->dims[d] != dims[d]) {
                HBC_LOGW(lg, "--input-shape %s: %s overrides the model's shape %s", name, text,
                         was);
                break;
            }
        }
        hbg_tensor_set_shape(t, t->dtype, rank, dims);
        HBC_LOGI(lg, "Input %s: shape set to %s (was %s)", name, text, was);
    }
    return 0;
}

/* The reference's model limits that do not depend on placement. */
static int check_limits(const hbg_graph *g, mapper_model_type mt, const hbc_logger *lg)
{
    for (int i = 0; i < g->n_inputs; i++) {
        const hbg_tensor *t = g->tensors[g->inputs[i]];
        int known = t->rank >= 0;
        for (int d = 0; known && d < t->rank; d++)
            known = t->dims[d] >= 0;
        if (!known) {
            char shape[128];
            HBC_LOGE(lg,
                     "The shape of model input:%s is [%s] which has unknown dimensions. "
                     "Please specify input-shape parameter.",
                     t->name, hbg_shape_str(t, shape, sizeof shape));
            return -1;
        }
    }
    if (g->n_outputs > MAX_OUTPUTS) {
        HBC_LOGE(lg, "tool limits for max output num is %d; the model has %d outputs", MAX_OUTPUTS,
                 g->n_outputs);
        return -1;
    }
    int64_t opset = hbg_graph_opset(g, "");
    if (mt == MODEL_ONNX && opset != 10 && opset != 11)
        HBC_LOGW(lg,
                 "The opset version of the onnx model is %lld; the reference toolchain takes "
                 "only opset 10/11, this toolchain also others",
                 (long long)opset);
    return 0;
}

/* Nodes whose op type the graph core does not know: one ERROR naming the types as a set, then
 * each node. Returns how many there are. */
static int list_unsupported(const hbg_graph *g, const hbc_logger *lg)
{
    sbuf types = {0};
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *nd = &g->nodes[i];
        int seen = 0;
        if (nd->op != HBG_OP_UNKNOWN)
            continue;
        for (int j = 0; j < i && !seen; j++)
            seen =
                g->nodes[j].op == HBG_OP_UNKNOWN && strcmp(g->nodes[j].op_type, nd->op_type) == 0;
        if (!seen)
            sb_printf(&types, "%s%s", n ? ", " : "", nd->op_type);
        n++;
    }
    if (n) {
        HBC_LOGE(lg,
                 "not support these cpu operators: {%s} (the float executor has no kernel for "
                 "them)",
                 types.p ? types.p : "");
        for (int i = 0; i < g->n_nodes; i++)
            if (g->nodes[i].op == HBG_OP_UNKNOWN)
                HBC_LOGE(lg, "  node '%s': op type %s", hbg_node_label(g, &g->nodes[i]),
                         g->nodes[i].op_type);
    }
    free(types.p);
    return n;
}

/* Column text: s, or "..." and its last width-3 characters when it is longer than width. */
static const char *fit(const char *s, int width)
{
    size_t n = strlen(s);
    return n > (size_t)width ? s + n - (size_t)(width - 3) : s;
}

static void print_table(const hbg_graph *g, const hbc_logger *lg)
{
    sbuf b = {0};
    int wn = 4, wt = 4;
    for (int i = 0; i < g->n_nodes; i++) {
        int ln = (int)strlen(hbg_node_label(g, &g->nodes[i])),
            lt = (int)strlen(g->nodes[i].op_type);
        wn = ln > wn ? (ln < NODE_COL_MAX ? ln : NODE_COL_MAX) : wn;
        wt = lt > wt ? (lt < TYPE_COL_MAX ? lt : TYPE_COL_MAX) : wt;
    }
    int width = wn + 2 + wt + 2 + 24;
    sb_printf(&b, "The model node information (BPU/CPU placement is not computed yet):\n");
    sb_repeat(&b, '=', width);
    sb_printf(&b, "\n%-*s  %-*s  %s\n", wn, "Node", wt, "Type", "Output shape");
    sb_repeat(&b, '-', width);
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *nd = &g->nodes[i];
        const char *label = hbg_node_label(g, nd);
        const char *dots = strlen(label) > (size_t)wn ? "..." : "";
        const char *tdots = strlen(nd->op_type) > (size_t)wt ? "..." : "";
        sb_printf(&b, "\n%s%-*s  %s%-*s  ", dots, wn - (int)strlen(dots), fit(label, wn), tdots,
                  wt - (int)strlen(tdots), fit(nd->op_type, wt));
        for (int o = 0; o < nd->n_out; o++) {
            char shape[128];
            sb_printf(&b, "%s%s", o ? ", " : "",
                      hbg_shape_str(g->tensors[nd->out[o]], shape, sizeof shape));
        }
    }
    HBC_LOGI(lg, "%s%s", b.p ? b.p : "", b.failed ? "\n(table cut: out of memory)" : "");
    free(b.p);
}

/* DEBUG (log file): every node with its inputs and outputs, their shapes and types. */
static void log_nodes(const hbg_graph *g, const hbc_logger *lg)
{
    if (!HBC_LOG_ON(lg, HBC_LOG_DEBUG))
        return;
    for (int i = 0; i < g->n_nodes; i++) {
        const hbg_node *nd = &g->nodes[i];
        sbuf b = {0};
        char shape[128];
        for (int j = 0; j < nd->n_in + nd->n_out; j++) {
            int t = j < nd->n_in ? nd->in[j] : nd->out[j - nd->n_in];
            const char *sep = j == nd->n_in ? " -> " : j ? ", " : "";
            if (t < 0) {
                sb_printf(&b, "%s(none)", sep);
                continue;
            }
            const hbg_tensor *x = g->tensors[t];
            sb_printf(&b, "%s%s %s %s%s", sep, x->name, hbg_shape_str(x, shape, sizeof shape),
                      hbg_dtype_name(x->dtype), x->is_const ? " const" : "");
        }
        HBC_LOGD(lg, "node %d '%s' (%s): %s", i, hbg_node_label(g, nd), nd->op_type,
                 b.p ? b.p : "");
        free(b.p);
    }
}

static void print_summary(const hbg_graph *g, const hbc_logger *lg)
{
    int count[HBG_OP_COUNT] = {0}, kinds = 0;
    sbuf ops = {0}, io = {0};
    char shape[128];
    for (int i = 0; i < g->n_nodes; i++)
        kinds += count[g->nodes[i].op]++ == 0;
    for (int op = 1; op < HBG_OP_COUNT; op++)
        if (count[op])
            sb_printf(&ops, "%s%s x%d", ops.len ? ", " : "", hbg_op_name((hbg_op)op), count[op]);
    for (int i = 0; i < g->n_inputs; i++) {
        const hbg_tensor *t = g->tensors[g->inputs[i]];
        sb_printf(&io, "%sinput %s %s", io.len ? ", " : "", t->name,
                  hbg_shape_str(t, shape, sizeof shape));
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const hbg_tensor *t = g->tensors[g->outputs[i]];
        sb_printf(&io, ", output %s %s", t->name, hbg_shape_str(t, shape, sizeof shape));
    }
    HBC_LOGI(lg,
             "Model check passed: %d nodes of %d op types (%s); %s. Every shape was inferred "
             "and constants folded on the float executor.",
             g->n_nodes, kinds, ops.p ? ops.p : "", io.p ? io.p : "");
    HBC_LOGI(lg, "BPU/CPU placement is not computed yet (a later step of the converter): the "
                 "table has no ON/Subgraph columns, and whether each node runs on the BPU is not "
                 "checked.");
    free(ops.p);
    free(io.p);
}

int mapper_checker(const mapper_args *a, const hbc_logger *lg)
{
    int rc = MAPPER_USAGE;
    hbg_graph *g = NULL;
    hbg_exec *e = NULL;
    mapper_model_type mt;
    bpu_march_id march;

    if (mapper_parse_model_type(a->val[OPT_MODEL_TYPE], lg, &mt) != 0)
        goto done;
    if (!a->val[OPT_MODEL]) {
        HBC_LOGE(lg, "missing option --model FILE (see hb_mapper checker --help)");
        goto done;
    }
    if (!a->val[OPT_MARCH] || bpu_march_find(a->val[OPT_MARCH], &march) != 0) {
        HBC_LOGE(lg,
                 "--march: User input march invalid: '%s'. It should be one of: bernoulli2, "
                 "bayes, bayes-e",
                 a->val[OPT_MARCH] ? a->val[OPT_MARCH] : "");
        goto done;
    }
    if ((mt == MODEL_CAFFE) != (a->val[OPT_PROTO] != NULL)) {
        HBC_LOGE(lg, "--proto FILE.prototxt is %s with --model-type %s",
                 mt == MODEL_CAFFE ? "required" : "not allowed",
                 mt == MODEL_CAFFE ? "caffe" : "onnx");
        goto done;
    }
    if (a->val[OPT_OUTPUT])
        HBC_LOGW(lg, "--output is deprecated and ignored");
    rc = MAPPER_FAILED;
    HBC_LOGI(lg, "Start to check the model %s (march %s)", a->val[OPT_MODEL],
             bpu_march_get(march)->name);
    if (load_model(a, mt, lg, &g) != 0)
        goto done;
    log_model(g, mt, lg);
    if (apply_shapes(a, g, lg) != 0 || check_limits(g, mt, lg) != 0)
        goto done;
    if (hbg_graph_validate(g, 0) != HBG_OK) {
        HBC_LOGE(lg, "%s: %s", a->val[OPT_MODEL], g->err);
        goto done;
    }
    if (list_unsupported(g, lg))
        goto done;
    if (hbg_exec_create(g, &e) != HBG_OK) {
        HBC_LOGE(lg, "%s: %s", a->val[OPT_MODEL], g->err);
        goto done;
    }
    log_nodes(g, lg);
    print_table(g, lg);
    print_summary(g, lg);
    rc = MAPPER_OK;
done:
    hbg_exec_free(e);
    hbg_graph_free(g);
    return rc;
}
