/* makertbin's compilation stage: the quantized graph to <working_dir>/<prefix>.bin.
 *
 * hbc_compile (converter/compiler, docs/compiler.md) with the config's march and optimize_level;
 * hbmp_add_model (converter/bin, docs/bin-model.md) packs the graph and its programs into one
 * model named <prefix>, with the conversion parameters hb_model_info prints (every config key as
 * the parameter dump of the log shows it, the march, the versions, the compiler options) and
 * the PREPROCESS record of every image input (docs/bin-model.md section 8);
 * hbbw_write writes the file through a temporary name. Per BPU subgraph the static performance
 * files <prefix>_subgraph_<k>.html and .json are the ones hb_perf writes for the same program
 * (runtime/tools/perf_report.h), and the compiler's static estimate goes to the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_bin/bin_writer.h"
#include "hb_bin/model_pack.h"
#include "hbc/compiler.h"
#include "hbc_mapper.h"
#include "mapper_stages.h"
#include "perf_report.h"

/* Longest parameter key or value we record (the log's dump cuts values at 4096 bytes too). */
#define PARAM_MAX 4096

/* Conversion parameters collected from hbc_cfg_log's dump (one "key: value" line each, under
 * "############# <group> info #############" headers) through a logger. */
typedef struct param_sink {
    hbbw *w;
    uint32_t model;
    char group[64];
    int failed; /* a parameter the builder refused (out of memory, duplicate key) */
} param_sink;

static void add_param(param_sink *ps, const char *key, const char *value)
{
    if (!ps->failed && hbbw_add_param(ps->w, ps->model, key, value) != HBBIN_OK)
        ps->failed = 1;
}

/* "key      : value (default) [input 'x']" -> "<group>.key[input 'x']" = "value (default)". */
static void param_line(void *user, hbc_log_level level, const char *file, int line,
                       const char *func, const char *msg)
{
    param_sink *ps = user;
    char key[PARAM_MAX], value[PARAM_MAX];
    const char *colon = strstr(msg, ": ");
    (void)level, (void)file, (void)line, (void)func;
    if (sscanf(msg, "############# %63s info", ps->group) == 1)
        return;
    if (!colon || !ps->group[0])
        return;
    size_t kn = (size_t)(colon - msg);
    while (kn > 0 && msg[kn - 1] == ' ')
        kn--;
    snprintf(value, sizeof value, "%s", colon + 2);
    /* a per-input key ends with " [<input label>]": move the label into the key */
    const char *label = "";
    char *br = strrchr(value, '[');
    size_t vn = strlen(value);
    if (br && br > value && br[-1] == ' ' && vn > 0 && value[vn - 1] == ']') {
        br[-1] = '\0';
        label = br;
    }
    if ((size_t)snprintf(key, sizeof key, "%s.%.*s%s", ps->group, (int)kn, msg, label) >=
        sizeof key)
        return;
    add_param(ps, key, value);
}

/* Every parameter hb_model_info shows, in the order of the reference's dump: the versions and
 * march, then the config keys, then what the compiler made of the model. */
static int add_params(const mapper_stage *st, hbbw *w, uint32_t model, const hbc_compiled *cm)
{
    char buf[256];
    param_sink ps = {.w = w, .model = model};
    add_param(&ps, "deps.hb_mapper version", HB_VERSION);
    add_param(&ps, "deps.compiler", "hbc_compiler " HB_VERSION " (BPU-v0, docs/compiler.md)");
    add_param(&ps, "deps.model_type", mapper_model_type_name(st->type));
    add_param(&ps, "BPU march", bpu_march_get(st->march)->name);
    hbc_logger lg = {.fn = param_line, .user = &ps, .level = HBC_LOG_DEBUG};
    hbc_cfg_log(st->cfg, &lg, HBC_LOG_DEBUG);
    snprintf(buf, sizeof buf, "--march %s --O%d%s", bpu_march_get(st->march)->name,
             cm->optimize_level, cm->mode == HBC_GOAL_BANDWIDTH ? " --compile-mode bandwidth" : "");
    add_param(&ps, "compiler.pass_through_params", buf);
    snprintf(buf, sizeof buf, "%d", cm->n_subgraphs);
    add_param(&ps, "compiler.BPU subgraphs", buf);
    int cpu = 0;
    for (int i = 0; i < cm->n_nodes; i++)
        cpu += cm->node_sub[i] < 0;
    snprintf(buf, sizeof buf, "%d of %d", cpu, cm->n_nodes);
    add_param(&ps, "compiler.CPU nodes", buf);
    return ps.failed ? -1 : 0;
}

/* hbbin layout code of a config layout (NONE for a featuremap without one). */
static const uint32_t k_bin_layout[] = {
    [HBC_LAYOUT_NONE] = HBBIN_LAYOUT_NONE,
    [HBC_LAYOUT_NHWC] = HBBIN_LAYOUT_NHWC,
    [HBC_LAYOUT_NCHW] = HBBIN_LAYOUT_NCHW,
};

/* hbbin input source code (tensor record) of a config input_source. */
static const uint32_t k_bin_source[] = {
    [HBC_SRC_NONE] = 0, [HBC_SRC_DDR] = 0, [HBC_SRC_PYRAMID] = 2, [HBC_SRC_RESIZER] = 1};

/* What the runtime needs to know of the inputs: the input source of every configured input
 * (the config's value or its default: pyramid for nv12 and gray, ddr otherwise;
 * hbDNNGetInputSource reports it), the PREPROCESS record of every image input (input_type_rt
 * rgb, bgr, yuv444, nv12, gray: the .bin input holds pixel - 128 as float, made by the runtime
 * from the user's uint8 image, docs/bin-model.md section 8) and the parameter input_layout_rt
 * libdnn reads (one item per .bin input, ';'-separated, empty for featuremaps and nv12; not
 * written when every item is empty). Config inputs are matched to the .bin's inputs (the graph's,
 * in order) by name; a single unnamed config input is the model's only input. Returns 0, or -1
 * after an ERROR. */
static int add_inputs(const mapper_stage *st, const hbg_graph *qg, hbbw *w, uint32_t model,
                      const hbc_logger *lg)
{
    const hbc_cfg *cfg = st->cfg;
    char layouts[1024] = "";
    size_t used = 0;
    int any_layout = 0;
    for (int k = 0; k < qg->n_inputs; k++) {
        const char *name = qg->tensors[qg->inputs[k]]->name;
        const hbc_cfg_input *in = NULL;
        for (int i = 0; i < cfg->n_inputs && !in; i++)
            if (cfg->inputs[i].name ? strcmp(cfg->inputs[i].name, name) == 0 : qg->n_inputs == 1)
                in = &cfg->inputs[i];
        int image = in && in->type_rt != HBC_IT_FEATUREMAP && in->type_train != HBC_IT_FEATUREMAP;
        const char *lay = image && in->type_rt != HBC_IT_NV12
                              ? hbc_cfg_enum_name(HBC_ENUM_LAYOUT, (int)in->layout_rt)
                              : "";
        int n = snprintf(layouts + used, sizeof layouts - used, "%s%s", k ? ";" : "", lay);
        if (n < 0 || (size_t)n >= sizeof layouts - used) {
            HBC_LOGE(lg, "recording input_layout_rt in the .bin: more than %zu characters",
                     sizeof layouts - 1);
            return -1;
        }
        used += (size_t)n;
        any_layout |= lay[0] != '\0';
        if (in &&
            hbbw_set_input_source(w, model, (uint32_t)k, k_bin_source[in->source]) != HBBIN_OK) {
            HBC_LOGE(lg, "recording the input source of input %s in the .bin failed", name);
            return -1;
        }
        if (!image)
            continue;
        int use_mean =
            in->norm_type == HBC_NORM_DATA_MEAN || in->norm_type == HBC_NORM_DATA_MEAN_AND_SCALE;
        int use_scale =
            in->norm_type == HBC_NORM_DATA_SCALE || in->norm_type == HBC_NORM_DATA_MEAN_AND_SCALE;
        uint32_t c = in->type_rt == HBC_IT_GRAY ? 1 : 3;
        hbbin_preprocess pp = {
            .input = (uint32_t)k,
            .type_rt = (hbbin_input_type)in->type_rt,
            .type_train = (hbbin_input_type)in->type_train,
            .layout_train = k_bin_layout[in->layout_train],
            .yuv_range = in->type_rt == HBC_IT_NV12 && in->space_and_range == HBC_RANGE_BT601_VIDEO,
            .channels = c,
        };
        /* the preprocess node's mean and scale (docs/preprocess-node.md), one per channel */
        for (uint32_t j = 0; j < c; j++) {
            if (use_mean && in->mean.n > 0)
                pp.mean[j] = (float)in->mean.v[in->mean.n == 1 ? 0 : j];
            pp.scale[j] =
                use_scale && in->scale.n > 0 ? (float)in->scale.v[in->scale.n == 1 ? 0 : j] : 1.0f;
        }
        if (hbbw_add_preprocess(w, model, &pp) != HBBIN_OK) {
            HBC_LOGE(lg, "recording the preprocess of input %s in the .bin: out of memory", name);
            return -1;
        }
        HBC_LOGI(lg, "input %s: the .bin takes a %s image (uint8; runtime layout %s)", name,
                 hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)in->type_rt), lay[0] ? lay : "NV12");
    }
    if (any_layout && hbbw_add_param(w, model, "input_layout_rt", layouts) != HBBIN_OK) {
        HBC_LOGE(lg, "recording input_layout_rt in the .bin: out of memory");
        return -1;
    }
    return 0;
}

void mapper_remove_bin(const mapper_stage *st, const hbc_logger *lg)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s.bin", st->working_dir, st->prefix) <
            sizeof path &&
        remove(path) == 0)
        HBC_LOGD(lg, "removed %s", path);
    for (int k = 0;; k++) {
        int gone = 0;
        for (int html = 0; html < 2; html++) {
            snprintf(path, sizeof path, "%s/%s_subgraph_%d.%s", st->working_dir, st->prefix, k,
                     html ? "html" : "json");
            gone += remove(path) == 0;
        }
        if (!gone)
            break;
    }
}

/* Per BPU subgraph: its estimate and layer rows, its perf files, its log line; then the
 * model's line. The rows come from the LAYER_MAP blob the .bin gets, so hb_perf on the .bin
 * writes the same files. */
static int perf_files(const mapper_stage *st, const hbg_graph *g, const hbc_compiled *cm,
                      const hbc_logger *lg)
{
    char path[4096], err[512], line[256];
    int rc = -1;
    hbperf_sub *subs = calloc(cm->n_subgraphs ? (size_t)cm->n_subgraphs : 1, sizeof *subs);
    if (!subs) {
        HBC_LOGE(lg, "compile: out of memory");
        return -1;
    }
    for (int k = 0; k < cm->n_subgraphs; k++) {
        hbperf_sub *s = &subs[k];
        snprintf(s->name, sizeof s->name, "%s_subgraph_%d", st->prefix, k);
        s->const_bytes = cm->sub[k].const_bytes;
        HBC_LOGI(lg, "Compile submodel: %s (%d nodes)", s->name, cm->sub[k].n_nodes);
        uint8_t *lm = NULL;
        size_t lm_n = 0;
        int bad = hbmp_layer_map(g, &cm->sub[k], &lm, &lm_n, err, sizeof err) != HBG_OK ||
                  hbperf_sub_layers(s, cm->sub[k].program, cm->sub[k].program_bytes, st->march, lm,
                                    lm_n, err, sizeof err) != 0;
        free(lm);
        if (bad) {
            HBC_LOGE(lg, "%s", err);
            goto out;
        }
        hbperf_model one = {.name = s->name, .march = st->march, .n_sub = 1, .sub = s};
        for (int html = 0; html < 2; html++) {
            if ((size_t)snprintf(path, sizeof path, "%s/%s.%s", st->working_dir, s->name,
                                 html ? "html" : "json") >= sizeof path) {
                HBC_LOGE(lg, "the path %s/%s.json is too long", st->working_dir, s->name);
                goto out;
            }
            if ((html ? hbperf_write_html(&one, path, err, sizeof err)
                      : hbperf_write_json(&one, path, err, sizeof err)) != 0) {
                HBC_LOGE(lg, "%s", err);
                goto out;
            }
        }
        hbperf_summary_line(&one, line, sizeof line);
        HBC_LOGI(lg, "%s   (see %s/%s.html)", line, st->working_dir, s->name);
    }
    hbperf_model all = {
        .name = st->prefix, .march = st->march, .n_sub = cm->n_subgraphs, .sub = subs};
    bpu_counters t;
    hbperf_model_total(&all, &t);
    hbperf_summary_line(&all, line, sizeof line);
    HBC_LOGI(lg,
             "BPU static estimate of the model (%d subgraph%s, CPU work not counted): %s, "
             "MAC utilisation %.1f%%",
             cm->n_subgraphs, cm->n_subgraphs == 1 ? "" : "s", line,
             100.0 * hbperf_mac_utilisation(&t, st->march));
    rc = 0;
out:
    for (int k = 0; k < cm->n_subgraphs; k++)
        hbperf_sub_free(&subs[k]);
    free(subs);
    return rc;
}

/* layer_out_dump: the output of every BPU node of the first compile becomes a model output
 * (after the real ones, in topological order) and the graph is compiled again, so each is stored
 * to DDR and the runtime returns it (hb_verifier --per-layer compares them). The placement must
 * not change: a node that leaves the BPU once its output is stored is refused by name. */
static int layer_dump(hbg_graph *qg, const hbc_compile_opts *opts, hbc_compiled **cm,
                      const hbc_logger *lg)
{
    char err[1024];
    int added = 0, real = qg->n_outputs, rc = -1;
    unsigned char *on_bpu = calloc((size_t)qg->n_nodes + 1, 1);
    if (!on_bpu) {
        HBC_LOGE(lg, "layer_out_dump: out of memory");
        return -1;
    }
    for (int i = 0; i < qg->n_nodes; i++)
        on_bpu[i] = (*cm)->node_sub[i] >= 0;
    if (hbc_add_layer_outputs(qg, on_bpu, qg->n_nodes, &added) != HBG_OK) {
        HBC_LOGE(lg, "layer_out_dump: %s", qg->err);
        goto out;
    }
    hbc_compiled_free(*cm);
    *cm = NULL;
    if (hbc_compile(qg, opts, cm, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "compile with layer_out_dump: %s", err);
        goto out;
    }
    for (int i = 0; i < qg->n_nodes; i++)
        if (on_bpu[i] && (*cm)->node_sub[i] < 0) {
            HBC_LOGE(lg,
                     "layer_out_dump: node %s leaves the BPU once every layer output is stored "
                     "(%s); build without layer_out_dump",
                     hbg_node_label(qg, &qg->nodes[i]),
                     (*cm)->node_why[i] ? (*cm)->node_why[i] : "placement");
            goto out;
        }
    HBC_LOGW(lg,
             "layer_out_dump: True: a debugging build: %d per-layer outputs (every BPU node's "
             "output, stored to DDR: slower, more DDR traffic) follow the %d model output%s",
             added, real, real == 1 ? "" : "s");
    rc = 0;
out:
    free(on_bpu);
    return rc;
}

int mapper_compile(const mapper_stage *st, hbg_graph *qg, const hbc_logger *lg)
{
    const hbc_cfg *cfg = st->cfg;
    hbc_compiled *cm = NULL;
    hbbw *w = NULL;
    char err[1024], path[4096];
    uint16_t tc[3] = {0, 0, 0};
    uint32_t model;
    int rc = MAPPER_FAILED;
    const char *march = bpu_march_get(st->march)->name;

    HBC_LOGI(lg, "Start to compile the model with march %s.", march);
    hbc_compile_opts opts = {.march = st->march,
                             .optimize_level = (int)cfg->optimize_level,
                             .mode = cfg->compile_mode == HBC_COMPILE_BANDWIDTH ? HBC_GOAL_BANDWIDTH
                                                                                : HBC_GOAL_LATENCY};
    HBC_LOGI(lg, "compiler parameters: --march %s --O%d, compile_mode %s (%s)", march,
             opts.optimize_level, hbc_cfg_enum_name(HBC_ENUM_COMPILE_MODE, (int)cfg->compile_mode),
             opts.optimize_level == 0          ? "O0 has one schedule"
             : opts.mode == HBC_GOAL_BANDWIDTH ? "the schedule with the fewest DDR bytes"
                                               : "the schedule with the fewest modelled cycles");
    if (hbc_compile(qg, &opts, &cm, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "compile: %s", err);
        goto out;
    }
    if (cfg->layer_out_dump && layer_dump(qg, &opts, &cm, lg) != 0)
        goto out;
    for (int i = 0; i < cm->n_nodes; i++)
        if (cm->node_why && cm->node_why[i])
            HBC_LOGI(lg, "node %s stays on the CPU: %s", qg->nodes[i].name, cm->node_why[i]);
    if (perf_files(st, qg, cm, lg) != 0)
        goto out;

    HBC_LOGI(lg, "start convert to *.bin file....");
    HBC_LOGI(lg, "ONNX model output num : %d", qg->n_outputs);
    if (sscanf(HB_VERSION, "%hu.%hu.%hu", &tc[0], &tc[1], &tc[2]) != 3)
        HBC_LOGW(lg, "toolchain version %s is not MAJOR.MINOR.PATCH; the .bin records 0.0.0",
                 HB_VERSION);
    if (!(w = hbbw_create((uint32_t)st->march, tc))) {
        HBC_LOGE(lg, "compile: out of memory");
        goto out;
    }
    if (hbmp_add_model(w, st->prefix, qg, cm, &model, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "packing the compiled model into the .bin: %s", err);
        goto out;
    }
    if (add_params(st, w, model, cm) != 0) {
        HBC_LOGE(lg, "recording the conversion parameters in the .bin: out of memory");
        goto out;
    }
    if (add_inputs(st, qg, w, model, lg) != 0)
        goto out;
    if ((size_t)snprintf(path, sizeof path, "%s/%s.bin", st->working_dir, st->prefix) >=
        sizeof path) {
        HBC_LOGE(lg, "the path %s/%s.bin is too long", st->working_dir, st->prefix);
        goto out;
    }
    if (hbbw_write(w, path, err, sizeof err) != HBBIN_OK) {
        HBC_LOGE(lg, "%s", err);
        goto out;
    }
    HBC_LOGI(lg, "Saving the runtime model to: %s.", path);
    HBC_LOGI(lg, "Convert to runtime bin file successfully!");
    HBC_LOGI(lg, "End Model Convert");
    rc = MAPPER_OK;
out:
    if (rc != MAPPER_OK)
        mapper_remove_bin(st, lg);
    hbbw_free(w);
    hbc_compiled_free(cm);
    return rc;
}
