/* hb_mapper's float stage, shared by checker and makertbin: load the model (ONNX, or Caffe
 * prototxt + caffemodel), apply the input shapes, validate the graph and infer every shape on the
 * float executor; for makertbin, bind the config to the model's inputs and insert the preprocess
 * nodes (converter/mapper); write <prefix>_original_float_model.onnx, optimise the graph
 * (hbc_optimize), write <prefix>_optimized_float_model.onnx, place every node on the BPU or the
 * CPU for the march and print the node table (Node, ON, Subgraph, Type).
 * Operators the float executor does not have are listed by type and node, and the check fails. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/stat.h>

#include "bpu/march.h"
#include "hbc/caffe_io.h"
#include "hbc/onnx_io.h"
#include "hbc_mapper.h"
#include "hbg/exec.h"
#include "hbc/passes.h"
#include "mapper.h"
#include "mapper_plugins.h"

/* The reference tool's limit on model outputs (interface notes 1.9). */
#define MAX_OUTPUTS 32

/* A growing string for log messages that list names. */
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

static int load_model(const mapper_stage *st, const hbc_logger *lg, hbg_graph **g)
{
    char err[1024];
    hbg_status rc = st->type == MODEL_ONNX
                        ? hbc_onnx_load_file(st->model, g, err, sizeof err)
                        : hbc_caffe_load(st->proto, st->model, g, err, sizeof err);
    if (rc != HBG_OK) {
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

/* Give input t the shape dims (rank dims), text as the user wrote it, from option/key what; a
 * shape that differs from a fixed one in the model overrides it with a warning. */
static int set_shape(hbg_tensor *t, const int64_t *dims, int rank, const char *what,
                     const char *text, const hbc_logger *lg)
{
    char was[128];
    hbg_shape_str(t, was, sizeof was);
    if (t->rank >= 0 && t->rank != rank) {
        HBC_LOGE(lg, "%s %s: %s has %d dimensions, the model's input has %d (%s)", what, t->name,
                 text, rank, t->rank, was);
        return -1;
    }
    for (int d = 0; d < rank && t->rank >= 0; d++) {
        if (t->dims[d] >= 0 && t->dims[d] != dims[d]) {
            HBC_LOGW(lg, "%s %s: %s overrides the model's shape %s", what, t->name, text, was);
            break;
        }
    }
    if (hbg_tensor_set_shape(t, t->dtype, rank, dims) != HBG_OK) {
        HBC_LOGE(lg, "%s %s: cannot set the shape %s", what, t->name, text);
        return -1;
    }
    HBC_LOGI(lg, "Input %s: shape set to %s (was %s)", t->name, text, was);
    return 0;
}

/* --input-shape NAME SHAPE: NAME must be a graph input, given once; a shape that differs from a
 * fixed one in the model overrides it with a warning. */
static int apply_shapes(const mapper_args *a, hbg_graph *g, const hbc_logger *lg)
{
    for (int s = 0; s < a->n_pairs[OPT_INPUT_SHAPE]; s++) {
        const char *name = a->pairs[OPT_INPUT_SHAPE][s][0], *text = a->pairs[OPT_INPUT_SHAPE][s][1];
        int idx = hbg_graph_find_tensor(g, name), rank;
        int64_t dims[HBG_MAX_RANK];
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
        if (set_shape(t, dims, rank, "--input-shape", text, lg) != 0)
            return -1;
    }
    return 0;
}

/* The reference's model limits that do not depend on placement; the opset warning only when
 * warn_opset (the limits are checked again after the output keys). */
static int check_limits(const hbg_graph *g, mapper_model_type mt, int warn_opset,
                        const hbc_logger *lg)
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
    if (warn_opset && mt == MODEL_ONNX && opset != 10 && opset != 11)
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

/* Shapes of every tensor, inferred by preparing the float executor once. */
static int infer_shapes(hbg_graph *g, const char *model, const hbc_logger *lg)
{
    hbg_exec *e = NULL;
    if (hbg_exec_create(g, &e) != HBG_OK) {
        HBC_LOGE(lg, "%s: %s", model, g->err);
        return -1;
    }
    hbg_exec_free(e);
    return 0;
}

/* Keys whose effect belongs to this stage or to the compiler and that we do not implement: a
 * given value is refused by name (docs/hb_mapper-config.md). */
static const hbc_cfg_key refused_keys[] = {HBC_KEY_INPUT_BATCH};

/* The resizer input source needs the model's H * W below this (interface notes 1.5). */
#define RESIZER_MAX_HW 18432

/* compiler_parameters.input_source of config input `in`, bound to graph input t: the entry's name
 * (single unnamed input) must be the model's, and a resizer input must be smaller than the
 * resizer's limit once its shape is known. Returns 0, or -1 after an error. */
static int check_input_source(const hbc_cfg *cfg, const hbc_cfg_input *in, const hbg_tensor *t,
                              const hbc_logger *lg)
{
    if (in->source_input && strcmp(in->source_input, t->name) != 0) {
        HBC_LOGE(lg,
                 "%s: compiler_parameters.input_source: '%s' is not the model's input; it is "
                 "'%s'",
                 cfg->path, in->source_input, t->name);
        return -1;
    }
    if (in->source != HBC_SRC_RESIZER || t->rank != 4)
        return 0;
    int nchw = in->layout_train == HBC_LAYOUT_NCHW;
    int64_t h = nchw ? t->dims[2] : t->dims[1], w = nchw ? t->dims[3] : t->dims[2];
    if (h * w >= RESIZER_MAX_HW) {
        HBC_LOGE(lg,
                 "%s: compiler_parameters.input_source: the resizer source needs H * W < %d; "
                 "input '%s' has %lld x %lld",
                 cfg->path, RESIZER_MAX_HW, t->name, (long long)h, (long long)w);
        return -1;
    }
    return 0;
}

static int refuse_keys(const hbc_cfg *cfg, const hbc_logger *lg)
{
    int bad = 0;
    for (size_t i = 0; i < sizeof refused_keys / sizeof refused_keys[0]; i++) {
        hbc_cfg_key_info k = hbc_cfg_key_get(refused_keys[i]);
        if (!cfg->given[refused_keys[i]])
            continue;
        HBC_LOGE(lg, "%s: %s.%s is not supported yet; remove it", cfg->path,
                 hbc_cfg_group_name(k.group), k.name);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* Match the config's inputs to the model's (by input_name, or the only input) and apply
 * input_shape; returns 0, or -1 after an error. map[i] = graph input of config input i. */
static int bind_config(const hbc_cfg *cfg, hbg_graph *g, int *map, const hbc_logger *lg)
{
    if (cfg->n_inputs != g->n_inputs) {
        HBC_LOGE(lg, "%s: the config describes %d input%s, the model has %d", cfg->path,
                 cfg->n_inputs, cfg->n_inputs == 1 ? "" : "s", g->n_inputs);
        return -1;
    }
    for (int i = 0; i < cfg->n_inputs; i++) {
        const hbc_cfg_input *in = &cfg->inputs[i];
        int k = in->name ? -1 : 0;
        for (int j = 0; in->name && j < g->n_inputs; j++)
            if (strcmp(g->tensors[g->inputs[j]]->name, in->name) == 0)
                k = j;
        if (k < 0) {
            sbuf names = {0};
            for (int j = 0; j < g->n_inputs; j++)
                sb_printf(&names, "%s%s", j ? ", " : "", g->tensors[g->inputs[j]]->name);
            HBC_LOGE(lg,
                     "%s: input_parameters.input_name: Input name does not exist in model file: "
                     "'%s'; the inputs are: %s",
                     cfg->path, in->name, names.p ? names.p : "(none)");
            free(names.p);
            return -1;
        }
        map[i] = k;
        hbg_tensor *t = g->tensors[g->inputs[k]];
        if (in->shape.rank > 0) {
            char text[128] = "";
            for (int d = 0; d < in->shape.rank; d++)
                snprintf(text + strlen(text), sizeof text - strlen(text), "%s%lld", d ? "x" : "",
                         (long long)in->shape.dims[d]);
            if (set_shape(t, in->shape.dims, in->shape.rank, "input_parameters.input_shape", text,
                          lg) != 0)
                return -1;
        }
        if (check_input_source(cfg, in, t, lg) != 0)
            return -1;
    }
    return 0;
}

/* output_nodes, then remove_node_type / remove_node_name (converter/mapper/mapper_outputs.c). */
static int apply_output_keys(const hbc_cfg *cfg, hbg_graph *g, const hbc_logger *lg)
{
    char err[1024];
    hbg_status rc = HBG_OK;
    if (cfg->output_nodes.n)
        rc = hbc_set_output_nodes(g, &cfg->output_nodes, lg, err, sizeof err);
    if (rc == HBG_OK && (cfg->remove_node_type.n || cfg->remove_node_name.n))
        rc = hbc_remove_output_nodes(g, &cfg->remove_node_type, &cfg->remove_node_name, lg, err,
                                     sizeof err);
    if (rc != HBG_OK) {
        HBC_LOGE(lg, "%s: %s", cfg->path, err);
        return -1;
    }
    return 0;
}

/* The preprocess node of every image input (config inputs in order). */
static int insert_preprocess(const hbc_cfg *cfg, hbg_graph *g, const int *map, const hbc_logger *lg)
{
    for (int i = 0; i < cfg->n_inputs; i++) {
        const hbc_cfg_input *in = &cfg->inputs[i];
        const char *name = g->tensors[g->inputs[map[i]]]->name;
        char err[512];
        if (in->type_train == HBC_IT_FEATUREMAP) {
            HBC_LOGI(lg, "Input %s is a featuremap: no preprocess node", name);
            continue;
        }
        if (hbc_pre_insert(g, map[i], in, err, sizeof err) != HBG_OK) {
            HBC_LOGE(lg, "%s: %s", cfg->path, err);
            return -1;
        }
        HBC_LOGI(lg,
                 "Create a preprocessing operator HZ_PREPROCESS_FOR_%s: input type %s "
                 "(value - 128, float), color convert from '%s' to '%s', norm_type %s, "
                 "layout %s",
                 name, hbc_pre_intermediate_name(in->type_rt),
                 hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)in->type_rt),
                 hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)in->type_train),
                 hbc_cfg_enum_name(HBC_ENUM_NORM_TYPE, (int)in->norm_type),
                 hbc_cfg_enum_name(HBC_ENUM_LAYOUT, (int)in->layout_train));
    }
    return 0;
}

int mapper_make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        buf[i] = c;
    }
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
}

int mapper_artifact_path(char *path, size_t size, const mapper_stage *st, const char *what,
                         const char *ext, const hbc_logger *lg)
{
    if ((size_t)snprintf(path, size, "%s/%s_%s%s", st->working_dir, st->prefix, what, ext) >=
        size) {
        HBC_LOGE(lg, "the artifact path %s/%s_%s%s is too long", st->working_dir, st->prefix, what,
                 ext);
        return -1;
    }
    return 0;
}

int mapper_save_artifact(const hbg_graph *g, const mapper_stage *st, const char *what,
                         const hbc_logger *lg)
{
    char path[4096], err[1024];
    if (mapper_artifact_path(path, sizeof path, st, what, ".onnx", lg) != 0)
        return -1;
    HBC_LOGI(lg, "Saving model to: %s.", path);
    if (hbc_onnx_save_file(g, path, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        return -1;
    }
    return 0;
}

/* The optimized float model: hbc_optimize (converter/passes) in place, after the original model
 * was written. */
static int optimize(hbg_graph *g, const mapper_stage *st, const hbc_logger *lg)
{
    HBC_LOGI(lg, "Start to optimize the onnx model.");
    if (hbc_optimize(g, NULL, lg) != HBG_OK) {
        HBC_LOGE(lg, "There is an error in pass: %s", g->err);
        return -1;
    }
    if (infer_shapes(g, st->model, lg) != 0)
        return -1;
    HBC_LOGI(lg, "End to optimize the onnx model.");
    return mapper_save_artifact(g, st, "optimized_float_model", lg);
}

/* The placement requests of the config: run_on_cpu, run_on_bpu, then node_info (which wins),
 * then CPU requests for the nodes named in cpu[0..n_cpu-1] (nodes the quantizer cannot run on the
 * BPU; never ones the config asks for on the BPU). */
static hbc_place_request *requests_of(const hbc_cfg *cfg, const char *const *cpu, int n_cpu, int *n)
{
    int total = cfg ? cfg->run_on_cpu.n + cfg->run_on_bpu.n + cfg->node_info.n : 0, k = 0;
    hbc_place_request *r = calloc((size_t)(total + n_cpu) + 1, sizeof *r);
    if (!r || !cfg) {
        *n = 0;
        return r;
    }
    for (int i = 0; i < cfg->run_on_cpu.n; i++)
        r[k++] = (hbc_place_request){cfg->run_on_cpu.v[i], HBC_ON_CPU, "run_on_cpu"};
    for (int i = 0; i < cfg->run_on_bpu.n; i++)
        r[k++] = (hbc_place_request){cfg->run_on_bpu.v[i], HBC_ON_BPU, "run_on_bpu"};
    for (int i = 0; i < cfg->node_info.n; i++)
        r[k++] = (hbc_place_request){cfg->node_info.v[i].name, cfg->node_info.v[i].on, "node_info"};
    for (int i = 0; i < n_cpu; i++)
        r[k++] = (hbc_place_request){cpu[i], HBC_ON_CPU, "quantizer"};
    *n = k;
    return r;
}

/* Place g's nodes into *p (released by the caller), with extra CPU requests cpu[0..n_cpu-1];
 * print the node table at level. */
static int place(const hbg_graph *g, const mapper_stage *st, const char *const *cpu, int n_cpu,
                 hbc_log_level level, hbc_placement *pp, const hbc_logger *lg)
{
    int n_req = 0, rc = -1, n_bpu = 0;
    hbc_place_request *req = requests_of(st->cfg, cpu, n_cpu, &n_req);
    hbc_placement p = {0};
    char err[1024], *table = NULL;
    if (!req) {
        HBC_LOGE(lg, "placement: out of memory");
        goto out;
    }
    if (hbc_place(g, st->march, req, n_req, &p, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        goto out;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        n_bpu += p.bpu[i];
        HBC_LOGD(lg, "placement of '%s': %s", hbg_node_label(g, &g->nodes[i]), p.why[i]);
    }
    if (!(table = hbc_place_table(g, &p))) {
        HBC_LOGE(lg, "node table: out of memory");
        goto out;
    }
    /* Without a BPU node makertbin stops here: show the table it would have printed later. */
    HBC_LOG(lg, n_bpu ? level : HBC_LOG_INFO, "The converted model node information:\n%s", table);
    if (n_bpu == 0) {
        HBC_LOGE(lg, "There is no node can execute on BPU in this model, please make sure the "
                     "model has at least one conv node which is supported by BPU.");
        goto out;
    }
    HBC_LOGI(lg, "%d of %d nodes on the BPU of %s in %d subgraph%s; %d on the CPU", n_bpu,
             g->n_nodes, bpu_march_get(st->march)->name, p.n_subgraphs,
             p.n_subgraphs == 1 ? "" : "s", g->n_nodes - n_bpu);
    rc = 0;
    *pp = p;
    p = (hbc_placement){0};
out:
    free(table);
    hbc_placement_free(&p);
    free(req);
    return rc;
}

int mapper_replace(const mapper_stage *st, mapper_float *f, const char *const *cpu, int n_cpu,
                   const hbc_logger *lg)
{
    hbc_placement p = {0};
    if (place(f->g, st, cpu, n_cpu, HBC_LOG_DEBUG, &p, lg) != 0) {
        hbc_placement_free(&p);
        return -1;
    }
    free(f->bpu);
    free(f->subgraph);
    f->n_nodes = p.n_nodes;
    f->bpu = p.bpu;
    f->subgraph = p.subgraph;
    p.bpu = NULL;
    p.subgraph = NULL;
    hbc_placement_free(&p);
    return 0;
}

void mapper_float_free(mapper_float *f)
{
    hbg_graph_free(f->g);
    free(f->bpu);
    free(f->subgraph);
    *f = (mapper_float){0};
}

int mapper_float_stage(const mapper_stage *st, const hbc_logger *lg, mapper_float *out)
{
    int rc = MAPPER_FAILED, *map = NULL;
    hbg_graph *g = NULL;
    hbc_placement p = {0};

    HBC_LOGI(lg, "Start to check the model %s (march %s)", st->model,
             bpu_march_get(st->march)->name);
    if ((st->cfg && refuse_keys(st->cfg, lg) != 0) || mapper_load_plugins(st, lg) != 0)
        goto done;
    if (load_model(st, lg, &g) != 0)
        goto done;
    log_model(g, st->type, lg);
    if (st->cfg) {
        if (!(map = calloc((size_t)st->cfg->n_inputs + 1, sizeof *map))) {
            HBC_LOGE(lg, "out of memory");
            goto done;
        }
        if (bind_config(st->cfg, g, map, lg) != 0)
            goto done;
    } else if (st->args && apply_shapes(st->args, g, lg) != 0) {
        goto done;
    }
    if (check_limits(g, st->type, 1, lg) != 0)
        goto done;
    if (hbg_graph_validate(g, 0) != HBG_OK) {
        HBC_LOGE(lg, "%s: %s", st->model, g->err);
        goto done;
    }
    if (list_unsupported(g, lg) || infer_shapes(g, st->model, lg) != 0)
        goto done;
    if (st->cfg &&
        (apply_output_keys(st->cfg, g, lg) != 0 || check_limits(g, st->type, 0, lg) ||
         insert_preprocess(st->cfg, g, map, lg) != 0 || infer_shapes(g, st->model, lg) != 0))
        goto done;
    log_nodes(g, lg);
    HBC_LOGI(lg, "End to prepare the onnx model.");
    if (mapper_make_dirs(st->working_dir) != 0) {
        HBC_LOGE(lg, "cannot create the working directory %s: %s", st->working_dir,
                 strerror(errno));
        goto done;
    }
    if (mapper_save_artifact(g, st, "original_float_model", lg) != 0 || optimize(g, st, lg) != 0 ||
        place(g, st, NULL, 0, out ? HBC_LOG_DEBUG : HBC_LOG_INFO, &p, lg) != 0)
        goto done;
    rc = MAPPER_OK;
    if (out) {
        *out = (mapper_float){.g = g, .n_nodes = p.n_nodes, .bpu = p.bpu, .subgraph = p.subgraph};
        g = NULL;
        p.bpu = NULL;
        p.subgraph = NULL;
    }
done:
    free(map);
    hbc_placement_free(&p);
    hbg_graph_free(g);
    return rc;
}

int mapper_checker(const mapper_args *a, const hbc_logger *lg)
{
    mapper_stage st = {.args = a, .working_dir = MAPPER_CHECK_DIR};
    char prefix[256];

    if (mapper_parse_model_type(a->val[OPT_MODEL_TYPE], lg, &st.type) != 0)
        return MAPPER_USAGE;
    if (!a->val[OPT_MODEL]) {
        HBC_LOGE(lg, "missing option --model FILE (see hb_mapper checker --help)");
        return MAPPER_USAGE;
    }
    if (!a->val[OPT_MARCH] || bpu_march_find(a->val[OPT_MARCH], &st.march) != 0) {
        HBC_LOGE(lg,
                 "--march: User input march invalid: '%s'. It should be one of: bernoulli2, "
                 "bayes, bayes-e",
                 a->val[OPT_MARCH] ? a->val[OPT_MARCH] : "");
        return MAPPER_USAGE;
    }
    if ((st.type == MODEL_CAFFE) != (a->val[OPT_PROTO] != NULL)) {
        HBC_LOGE(lg, "--proto FILE.prototxt is %s with --model-type %s",
                 st.type == MODEL_CAFFE ? "required" : "not allowed",
                 st.type == MODEL_CAFFE ? "caffe" : "onnx");
        return MAPPER_USAGE;
    }
    if (a->val[OPT_OUTPUT])
        HBC_LOGW(lg, "--output is deprecated and ignored");
    st.model = a->val[OPT_MODEL];
    st.proto = a->val[OPT_PROTO];
    /* Artifacts are named after the model file: .hb_check/<name>_original_float_model.onnx. */
    const char *base = strrchr(st.model, '/');
    snprintf(prefix, sizeof prefix, "%s", base ? base + 1 : st.model);
    char *dot = strrchr(prefix, '.');
    if (dot && dot != prefix)
        *dot = '\0';
    st.prefix = prefix;
    int rc = mapper_float_stage(&st, lg, NULL);
    if (rc == MAPPER_OK)
        HBC_LOGI(lg, "Model check passed; the float models are in %s", st.working_dir);
    return rc;
}
