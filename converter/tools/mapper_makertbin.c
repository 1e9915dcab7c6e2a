/* hb_mapper makertbin (interface notes 3.2): parse and check the config, the float stage
 * (mapper_checker.c: original and optimized float models, placement), the calibration data,
 * calibration with the configured method (<prefix>_calibrated_model.onnx), quantisation with the
 * placement's CPU/BPU split (<prefix>_quantized_model.onnx), the accuracy report (node and
 * output tables, sensitivity ranking, <prefix>_quant_report.json; docs/report-json.md), then
 * compilation to <prefix>.bin (mapper_compile.c). Every artifact is written to a temporary name and
 * renamed; a run that fails before compilation removes the artifacts of its prefix, so none is left
 * that looks like the result of this configuration. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/calib.h"
#include "hbc/prep.h"
#include "hbc/quant.h"
#include "hbc_report.h"
#include "mapper.h"
#include "mapper_stages.h"

/* The artifacts of one prefix, in the order they are written. */
static const struct {
    const char *what, *ext;
} artifacts[] = {
    {"original_float_model", ".onnx"}, {"optimized_float_model", ".onnx"},
    {"calibrated_model", ".onnx"},     {"quantized_model", ".onnx"},
    {MAPPER_REPORT_NAME, ".json"},
};

static void remove_artifacts(const mapper_stage *st, const hbc_logger *lg)
{
    for (size_t i = 0; i < sizeof artifacts / sizeof artifacts[0]; i++) {
        char path[4096];
        if (mapper_artifact_path(path, sizeof path, st, artifacts[i].what, artifacts[i].ext, lg) ==
                0 &&
            remove(path) == 0)
            HBC_LOGD(lg, "removed %s", path);
    }
    mapper_remove_bin(st, lg);
}

int mapper_load_config(const mapper_args *a, const hbc_logger *lg, mapper_model_type *mt,
                       hbc_cfg **cfg)
{
    char err[1024];
    *cfg = NULL;
    if (!a->val[OPT_CONFIG]) {
        HBC_LOGE(lg, "missing option -c/--config FILE.yaml");
        return MAPPER_USAGE;
    }
    if (mapper_parse_model_type(a->val[OPT_MODEL_TYPE], lg, mt) != 0)
        return MAPPER_USAGE;
    HBC_LOGI(lg, "Start to parse the config file %s", a->val[OPT_CONFIG]);
    if (hbc_cfg_load_file(a->val[OPT_CONFIG], lg, cfg, err, sizeof err) != HBG_OK ||
        hbc_cfg_check_files(*cfg, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        HBC_LOGE(lg, "yaml file parse failed. Please double check your input");
        hbc_cfg_free(*cfg);
        *cfg = NULL;
        return MAPPER_FAILED;
    }
    if ((*mt == MODEL_ONNX) != ((*cfg)->onnx_model != NULL)) {
        HBC_LOGE(lg, "--model-type %s, but %s gives %s; make them agree",
                 mapper_model_type_name(*mt), (*cfg)->path,
                 (*cfg)->onnx_model ? "model_parameters.onnx_model"
                                    : "model_parameters.caffe_model and prototxt");
        hbc_cfg_free(*cfg);
        *cfg = NULL;
        return MAPPER_FAILED;
    }
    hbc_cfg_log(*cfg, lg, HBC_LOG_DEBUG);
    HBC_LOGI(lg,
             "The config is valid: march %s, %s model %s, %d input%s, calibration_type %s, "
             "artifacts %s_* in %s",
             bpu_march_get((*cfg)->march)->name, mapper_model_type_name(*mt),
             (*cfg)->onnx_model ? (*cfg)->onnx_model : (*cfg)->caffe_model, (*cfg)->n_inputs,
             (*cfg)->n_inputs == 1 ? "" : "s",
             hbc_cfg_enum_name(HBC_ENUM_CAL_TYPE, (int)(*cfg)->calibration_type),
             (*cfg)->output_model_file_prefix, (*cfg)->working_dir);
    return MAPPER_OK;
}

/* Append text to buf (size bytes) at *n; a single-quoted YAML scalar doubles its quotes. */
static void put(char *buf, size_t size, size_t *n, const char *text, int quoted)
{
    for (; *text; text++) {
        if (quoted && *text == '\'' && *n + 1 < size)
            buf[(*n)++] = '\'';
        if (*n + 1 < size)
            buf[(*n)++] = *text;
    }
    buf[*n] = '\0';
}

/* --fast-perf: the config of a performance-only build, made from the command line (interface
 * notes 3.2): the model as featuremap inputs without a preprocess node, calibration_type skip
 * (thresholds from random data, no calibration files), O3, artifacts <model name>_* in
 * model_output. Unlike the reference, no head or tail CPU operator is removed. */
static int fast_perf_config(const mapper_args *a, const hbc_logger *lg, mapper_model_type *mt,
                            hbc_cfg **cfg)
{
    char yaml[16384], err[1024], prefix[256];
    size_t n = 0;
    bpu_march_id march;
    *cfg = NULL;
    if (a->val[OPT_CONFIG]) {
        HBC_LOGE(lg, "--fast-perf takes no -c/--config: give --model, --model-type and --march");
        return MAPPER_USAGE;
    }
    if (mapper_parse_model_type(a->val[OPT_MODEL_TYPE], lg, mt) != 0)
        return MAPPER_USAGE;
    if (!a->val[OPT_MODEL] || !a->val[OPT_MARCH] || bpu_march_find(a->val[OPT_MARCH], &march) ||
        (*mt == MODEL_CAFFE) != (a->val[OPT_PROTO] != NULL)) {
        HBC_LOGE(lg, "--fast-perf needs --model FILE, --march bernoulli2|bayes|bayes-e and, for "
                     "--model-type caffe only, --proto FILE.prototxt");
        return MAPPER_USAGE;
    }
    /* the prefix: the model's file name without folder and extension */
    const char *base = strrchr(a->val[OPT_MODEL], '/');
    base = base ? base + 1 : a->val[OPT_MODEL];
    snprintf(prefix, sizeof prefix, "%s", base);
    char *dot = strrchr(prefix, '.');
    if (dot && dot != prefix)
        *dot = '\0';
    put(yaml, sizeof yaml, &n, "model_parameters:\n  ", 0);
    if (*mt == MODEL_CAFFE) {
        put(yaml, sizeof yaml, &n, "prototxt: '", 0);
        put(yaml, sizeof yaml, &n, a->val[OPT_PROTO], 1);
        put(yaml, sizeof yaml, &n, "'\n  caffe_model: '", 0);
    } else {
        put(yaml, sizeof yaml, &n, "onnx_model: '", 0);
    }
    put(yaml, sizeof yaml, &n, a->val[OPT_MODEL], 1);
    put(yaml, sizeof yaml, &n, "'\n  march: '", 0);
    put(yaml, sizeof yaml, &n, a->val[OPT_MARCH], 1);
    put(yaml, sizeof yaml, &n, "'\n  working_dir: 'model_output'\n  output_model_file_prefix: '",
        0);
    put(yaml, sizeof yaml, &n, prefix, 1);
    put(yaml, sizeof yaml, &n,
        "'\ninput_parameters:\n  input_type_train: 'featuremap'\n"
        "  input_type_rt: 'featuremap'\n  norm_type: 'no_preprocess'\n"
        "calibration_parameters:\n  calibration_type: 'skip'\n"
        "compiler_parameters:\n  compile_mode: 'latency'\n  optimize_level: 'O3'\n",
        0);
    if (n + 1 >= sizeof yaml) {
        HBC_LOGE(lg, "--fast-perf: the model path is too long");
        return MAPPER_USAGE;
    }
    HBC_LOGI(lg, "--fast-perf: a model for performance checks only (featuremap inputs, "
                 "calibration_type skip, O3); its accuracy is meaningless");
    if (hbc_cfg_load_mem(yaml, n, "--fast-perf", NULL, lg, cfg, err, sizeof err) != HBG_OK ||
        hbc_cfg_check_files(*cfg, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        hbc_cfg_free(*cfg);
        *cfg = NULL;
        return MAPPER_FAILED;
    }
    hbc_cfg_log(*cfg, lg, HBC_LOG_DEBUG);
    return MAPPER_OK;
}

/* The accuracy report on the first calibration sample: tables, ranking, JSON. */
static int report(const mapper_stage *st, const mapper_float *fl, hbg_graph *qg,
                  const hbc_calib_table *tab, const hbc_calset *cs, const hbc_logger *lg)
{
    const hbc_cfg *cfg = st->cfg;
    hbc_report r = {0};
    char err[1024], path[4096], *text = NULL;
    int rc = MAPPER_FAILED, n_rank = 0, *rank = NULL;
    const float **sample = NULL;

    if (cs->n_samples > 0) {
        if (!(sample = calloc((size_t)cs->n_inputs, sizeof *sample))) {
            HBC_LOGE(lg, "report: out of memory");
            goto out;
        }
        for (int i = 0; i < cs->n_inputs; i++)
            sample[i] = cs->data[i];
        HBC_LOGI(lg,
                 "Compare the float and the quantized model on the first calibration "
                 "sample %s.",
                 cs->files[0]);
    } else {
        HBC_LOGI(lg, "No calibration data: the accuracy figures of the tables are not computed");
    }
    hbc_report_input in = {.fg = fl->g,
                           .bpu = fl->bpu,
                           .subgraph = fl->subgraph,
                           .qg = qg,
                           .table = tab,
                           .sample = sample};
    if (hbc_report_build(&in, &r, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        goto out;
    }
    HBC_LOGD(lg, "report computed: %d nodes, %d outputs", r.n_nodes, r.n_outputs);
    if (!(text = hbc_report_node_table(&r)))
        goto nomem;
    HBC_LOGI(lg, "The converted model node information:\n%s", text);
    free(text);
    if (!(text = hbc_report_output_table(&r)))
        goto nomem;
    HBC_LOGI(lg, "The quantify model output:\n%s", text);
    free(text);
    if (!(text = hbc_report_ranking_table(&r, MAPPER_RANK_SHOWN)))
        goto nomem;
    rank = hbc_report_ranking(&r, &n_rank);
    if (n_rank > 0)
        HBC_LOGI(lg, "The most sensitive node: %s (isolated cosine %.6f); see %s_%s.json%s",
                 r.nodes[rank[0]].name, r.nodes[rank[0]].isolated, st->prefix, MAPPER_REPORT_NAME,
                 cfg->debug || cfg->layer_out_dump
                     ? ""
                     : " or set compiler_parameters.debug: True for the ranking");
    HBC_LOG(lg, cfg->debug || cfg->layer_out_dump ? HBC_LOG_INFO : HBC_LOG_DEBUG,
            "The nodes most sensitive to quantisation (docs/accuracy-debug.md):\n%s", text);
    hbc_report_meta meta = {.model = st->model,
                            .march = bpu_march_get(st->march)->name,
                            .method =
                                hbc_cfg_enum_name(HBC_ENUM_CAL_TYPE, (int)cfg->calibration_type),
                            .n_samples = cs->n_samples,
                            .sample_file = cs->n_samples > 0 ? cs->files[0] : NULL};
    if (mapper_artifact_path(path, sizeof path, st, MAPPER_REPORT_NAME, ".json", lg) != 0)
        goto out;
    if (hbc_report_write_json(&r, &meta, path, err, sizeof err) != HBG_OK) {
        HBC_LOGE(lg, "%s", err);
        goto out;
    }
    HBC_LOGI(lg, "Saving the accuracy report to: %s.", path);
    rc = MAPPER_OK;
    goto out;
nomem:
    HBC_LOGE(lg, "report: out of memory");
out:
    free(rank);
    free(text);
    free(sample);
    hbc_report_free(&r);
    return rc;
}

int mapper_makertbin(const mapper_args *a, const hbc_logger *lg)
{
    mapper_model_type mt;
    hbc_cfg *cfg = NULL;
    mapper_float fl = {0};
    hbc_calset cs = {0};
    hbc_calib_table tab = {0};
    hbg_graph *qg = NULL;
    int rc;
    if (!a->val[OPT_FAST_PERF] && (a->val[OPT_MODEL] || a->val[OPT_MARCH] || a->val[OPT_PROTO])) {
        HBC_LOGE(lg, "makertbin: --model, --march and --proto go with --fast-perf only; the "
                     "config file names the model and the march");
        return MAPPER_USAGE;
    }
    rc = a->val[OPT_FAST_PERF] ? fast_perf_config(a, lg, &mt, &cfg)
                               : mapper_load_config(a, lg, &mt, &cfg);
    if (rc != MAPPER_OK)
        goto done;
    mapper_stage st = {.type = mt,
                       .model = cfg->onnx_model ? cfg->onnx_model : cfg->caffe_model,
                       .proto = cfg->prototxt,
                       .march = cfg->march,
                       .cfg = cfg,
                       .working_dir = cfg->working_dir,
                       .prefix = cfg->output_model_file_prefix};
    remove_artifacts(&st, lg);
    if ((rc = mapper_float_stage(&st, lg, &fl)) != MAPPER_OK)
        goto fail;
    rc = MAPPER_FAILED;
    if (mapper_calibrate(&st, fl.g, &cs, &tab, lg) != 0 ||
        mapper_quantize(&st, &fl, &tab, &cs, &qg, lg) != 0 ||
        mapper_save_calibrated(&st, fl.g, &tab, qg, lg) != 0 ||
        report(&st, &fl, qg, &tab, &cs, lg) != 0)
        goto fail;
    rc = mapper_compile(&st, qg, lg);
    goto done;
fail:
    remove_artifacts(&st, lg);
done:
    hbg_graph_free(qg);
    hbc_calib_table_free(&tab);
    hbc_calset_free(&cs);
    mapper_float_free(&fl);
    hbc_cfg_free(cfg);
    return rc;
}
