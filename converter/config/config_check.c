/* Rules across keys, checked once every key is converted, and the defaults that depend on other
 * keys (input_layout_rt, cal_data_type, input_source). Also the file checks of
 * hbc_cfg_check_files. The tables below are the reference's (interface notes 1.3-1.5, 1.8). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_priv.h"

#define RGB  (1u << HBC_IT_RGB)
#define BGR  (1u << HBC_IT_BGR)
#define YUV  (1u << HBC_IT_YUV444)
#define NV12 (1u << HBC_IT_NV12)
#define GRAY (1u << HBC_IT_GRAY)
#define FM   (1u << HBC_IT_FEATUREMAP)

/* input_type_rt values each input_type_train accepts (nv12 is never a training type). */
static const unsigned legal_rt[HBC_IT_COUNT] = {
    [HBC_IT_RGB] = RGB | BGR | YUV | NV12,
    [HBC_IT_BGR] = RGB | BGR | YUV | NV12,
    [HBC_IT_YUV444] = YUV | NV12,
    [HBC_IT_NV12] = 0,
    [HBC_IT_GRAY] = GRAY,
    [HBC_IT_FEATUREMAP] = FM,
};

/* input_layout_rt when not given, by input_type_rt. */
static const hbc_layout default_layout_rt[HBC_IT_COUNT] = {
    [HBC_IT_RGB] = HBC_LAYOUT_NHWC,    [HBC_IT_BGR] = HBC_LAYOUT_NHWC,
    [HBC_IT_YUV444] = HBC_LAYOUT_NHWC, [HBC_IT_NV12] = HBC_LAYOUT_NONE,
    [HBC_IT_GRAY] = HBC_LAYOUT_NCHW,   [HBC_IT_FEATUREMAP] = HBC_LAYOUT_NCHW,
};

/* input_source when not given, by input_type_rt. */
static const hbc_input_source default_source[HBC_IT_COUNT] = {
    [HBC_IT_RGB] = HBC_SRC_DDR,      [HBC_IT_BGR] = HBC_SRC_DDR,
    [HBC_IT_YUV444] = HBC_SRC_DDR,   [HBC_IT_NV12] = HBC_SRC_PYRAMID,
    [HBC_IT_GRAY] = HBC_SRC_PYRAMID, [HBC_IT_FEATUREMAP] = HBC_SRC_DDR,
};

/* input_type_rt values each input_source accepts. */
static const unsigned source_accepts[] = {
    [HBC_SRC_NONE] = 0,
    [HBC_SRC_DDR] = RGB | BGR | YUV | GRAY | FM,
    [HBC_SRC_PYRAMID] = NV12 | GRAY,
    [HBC_SRC_RESIZER] = NV12 | GRAY,
};

/* Channels of an image input after colour conversion to input_type_train (0: any). */
static const int train_channels[HBC_IT_COUNT] = {
    [HBC_IT_RGB] = 3,  [HBC_IT_BGR] = 3,  [HBC_IT_YUV444] = 3,
    [HBC_IT_NV12] = 3, [HBC_IT_GRAY] = 1, [HBC_IT_FEATUREMAP] = 0,
};

/* The resizer input source needs H * W below this (interface notes 1.5). */
#define RESIZER_MAX_HW 18432

static const char *it_name(hbc_input_type t)
{
    return hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)t);
}

/* "a, b" of the input types in mask. */
static void types_text(unsigned mask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int t = 0; t < HBC_IT_COUNT && len < size; t++) {
        if (!(mask & (1u << t)))
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", it_name(t));
        len = n < 0 ? size : len + (size_t)n;
    }
}

static hbg_status check_model(cfg_ctx *c)
{
    hbc_cfg *cfg = c->cfg;
    const yaml_node_t *grp = c->group_node[HBC_GRP_MODEL];
    if (cfg->onnx_model && (cfg->caffe_model || cfg->prototxt))
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_ONNX_MODEL),
                        "model_parameters: Both onnx and caffe models are not supported: give "
                        "either onnx_model, or caffe_model and prototxt");
    if (!cfg->onnx_model && !cfg->caffe_model && !cfg->prototxt)
        return cfg_fail(c, HBG_E_INVALID, grp,
                        "model_parameters: Missing model file input: give onnx_model (ONNX), or "
                        "caffe_model and prototxt (Caffe)");
    if (!cfg->onnx_model && (!cfg->caffe_model || !cfg->prototxt))
        return cfg_fail(c, HBG_E_INVALID, grp,
                        "model_parameters: a Caffe model needs both caffe_model and prototxt; "
                        "%s is missing",
                        cfg->caffe_model ? "prototxt" : "caffe_model");
    if (strchr(cfg->output_model_file_prefix, '/'))
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_OUTPUT_MODEL_FILE_PREFIX),
                        "%s: value '%s' must be a file name prefix without '/'; the folder is "
                        "working_dir",
                        cfg_key_path(HBC_KEY_OUTPUT_MODEL_FILE_PREFIX),
                        cfg->output_model_file_prefix);
    if (cfg->node_info.n && cfg->march == BPU_MARCH_BERNOULLI2)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_NODE_INFO),
                        "%s: is for march bayes and bayes-e only, march is bernoulli2; use "
                        "calibration_parameters.run_on_cpu / run_on_bpu",
                        cfg_key_path(HBC_KEY_NODE_INFO));
    return HBG_OK;
}

/* Per-channel values (mean_value, scale_value) of input i against its norm_type and type. */
static hbg_status check_norm_values(cfg_ctx *c, int i, hbc_cfg_key k, const hbc_cfg_floats *f,
                                    int used)
{
    const hbc_cfg_input *in = &c->cfg->inputs[i];
    const yaml_node_t *at = cfg_where(c, k);
    char label[96];
    const char *norm = hbc_cfg_enum_name(HBC_ENUM_NORM_TYPE, (int)in->norm_type);
    int channels = train_channels[in->type_train];

    cfg_input_label(c->cfg, i, label, sizeof label);
    if (in->type_train == HBC_IT_FEATUREMAP && f->n)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: %s is featuremap; featuremap inputs take no %s (no preprocessing is "
                        "inserted for them); write 'None'",
                        cfg_key_path(k), label, cfg_key_names[k]);
    if (used && !f->n)
        return cfg_fail(c, HBG_E_INVALID, at, "%s: missing for %s: norm_type %s needs it",
                        cfg_key_path(k), label, norm);
    if (!used && f->n) {
        HBC_LOGW(c->log, "%s of %s is ignored: norm_type is %s", cfg_key_path(k), label, norm);
        return HBG_OK;
    }
    if (f->n && f->n != 1 && f->n != channels)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: %s has %d values; allowed: 1 or %d (one per channel of %s)",
                        cfg_key_path(k), label, f->n, channels, it_name(in->type_train));
    return HBG_OK;
}

/* Rules on input_shape: 4-D for images, C by train type, even H/W for nv12, N = 1 with
 * input_batch, the resizer's size limit. */
static hbg_status check_shape(cfg_ctx *c, int i)
{
    const hbc_cfg *cfg = c->cfg;
    const hbc_cfg_input *in = &cfg->inputs[i];
    const hbc_cfg_shape *s = &in->shape;
    const yaml_node_t *at = cfg_where(c, HBC_KEY_INPUT_SHAPE);
    const char *path = cfg_key_path(HBC_KEY_INPUT_SHAPE);
    char label[96];

    cfg_input_label(cfg, i, label, sizeof label);
    if (!s->rank || in->type_train == HBC_IT_FEATUREMAP)
        return HBG_OK;
    if (s->rank != 4)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: %s has %d dimensions; image inputs are 4-D (non-4-D inputs must use "
                        "featuremap for input_type_train and input_type_rt)",
                        path, label, s->rank);
    int nchw = in->layout_train == HBC_LAYOUT_NCHW;
    int64_t ch = nchw ? s->dims[1] : s->dims[3], h = nchw ? s->dims[2] : s->dims[1],
            w = nchw ? s->dims[3] : s->dims[2];
    if (ch != train_channels[in->type_train])
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: %s: input_type_train %s needs C = %d, the shape has C = %lld "
                        "(input_layout_train %s)",
                        path, label, it_name(in->type_train), train_channels[in->type_train],
                        (long long)ch, nchw ? "NCHW" : "NHWC");
    if (in->type_rt == HBC_IT_NV12 && (h % 2 || w % 2))
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: Invalid nv12 input shape: %s has H x W = %lld x %lld; nv12 type does "
                        "not support odd size",
                        path, label, (long long)h, (long long)w);
    if (cfg->input_batch > 1 && s->dims[0] != 1)
        return cfg_fail(c, HBG_E_INVALID, at,
                        "%s: %s has N = %lld; with input_batch %lld the shape's N must be 1", path,
                        label, (long long)s->dims[0], (long long)cfg->input_batch);
    if (in->source == HBC_SRC_RESIZER && h * w >= RESIZER_MAX_HW)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_SOURCE),
                        "%s: the resizer source needs H * W < %d; %s has %lld x %lld",
                        cfg_key_path(HBC_KEY_INPUT_SOURCE), RESIZER_MAX_HW, label, (long long)h,
                        (long long)w);
    return HBG_OK;
}

static hbg_status check_input(cfg_ctx *c, int i)
{
    hbc_cfg *cfg = c->cfg;
    hbc_cfg_input *in = &cfg->inputs[i];
    char label[96], allowed[96];
    hbg_status st;

    cfg_input_label(cfg, i, label, sizeof label);
    for (int j = 0; j < i && in->name; j++)
        if (strcmp(cfg->inputs[j].name, in->name) == 0)
            return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_NAME),
                            "%s: Input names duplicated: '%s'", cfg_key_path(HBC_KEY_INPUT_NAME),
                            in->name);
    if (!(legal_rt[in->type_train] & (1u << in->type_rt))) {
        types_text(legal_rt[in->type_train], allowed, sizeof allowed);
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_TYPE_RT),
                        "%s: Input %d has input_type_train '%s' is not supported transform to "
                        "input_type_rt '%s'; allowed with input_type_train %s: %s",
                        cfg_key_path(HBC_KEY_INPUT_TYPE_RT), i + 1, it_name(in->type_train),
                        it_name(in->type_rt), it_name(in->type_train), allowed);
    }
    if (in->type_train != HBC_IT_FEATUREMAP && in->layout_train == HBC_LAYOUT_NONE)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_LAYOUT_TRAIN),
                        "%s: missing for %s (input_type_train %s); allowed: NHWC, NCHW",
                        cfg_key_path(HBC_KEY_INPUT_LAYOUT_TRAIN), label, it_name(in->type_train));
    if (in->space_and_range == HBC_RANGE_BT601_VIDEO && in->type_rt != HBC_IT_NV12)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_SPACE_AND_RANGE),
                        "%s: Input_type_rt and input_space_and_range combination invalid: "
                        "bt601_video needs input_type_rt nv12, %s has %s",
                        cfg_key_path(HBC_KEY_INPUT_SPACE_AND_RANGE), label, it_name(in->type_rt));
    if (cfg->march == BPU_MARCH_BERNOULLI2 && in->type_rt == HBC_IT_YUV444 &&
        in->layout_train == HBC_LAYOUT_NCHW)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_LAYOUT_TRAIN),
                        "%s: %s: input_type_rt yuv444 with input_layout_train NCHW is not "
                        "supported on bernoulli2 for now",
                        cfg_key_path(HBC_KEY_INPUT_LAYOUT_TRAIN), label);
    if (in->type_rt == HBC_IT_NV12 && in->layout_rt != HBC_LAYOUT_NONE) {
        HBC_LOGW(c->log, "%s of %s is ignored: nv12 has no layout",
                 cfg_key_path(HBC_KEY_INPUT_LAYOUT_RT), label);
        in->layout_rt = HBC_LAYOUT_NONE;
    } else if (in->layout_rt == HBC_LAYOUT_NONE) {
        in->layout_rt = default_layout_rt[in->type_rt];
    }
    if (in->type_train == HBC_IT_FEATUREMAP && in->norm_type != HBC_NORM_NO_PREPROCESS)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_NORM_TYPE),
                        "%s: %s is featuremap; featuremap inputs take norm_type no_preprocess "
                        "(no mean/scale)",
                        cfg_key_path(HBC_KEY_NORM_TYPE), label);
    int use_mean =
            in->norm_type == HBC_NORM_DATA_MEAN || in->norm_type == HBC_NORM_DATA_MEAN_AND_SCALE,
        use_scale =
            in->norm_type == HBC_NORM_DATA_SCALE || in->norm_type == HBC_NORM_DATA_MEAN_AND_SCALE;
    if ((st = check_norm_values(c, i, HBC_KEY_MEAN_VALUE, &in->mean, use_mean)) != HBG_OK ||
        (st = check_norm_values(c, i, HBC_KEY_SCALE_VALUE, &in->scale, use_scale)) != HBG_OK)
        return st;
    if (in->source == HBC_SRC_NONE) {
        in->source = default_source[in->type_rt];
    } else if (!(source_accepts[in->source] & (1u << in->type_rt))) {
        types_text(source_accepts[in->source], allowed, sizeof allowed);
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_SOURCE),
                        "%s: %s: source '%s' does not take input_type_rt %s; it takes: %s",
                        cfg_key_path(HBC_KEY_INPUT_SOURCE), label,
                        hbc_cfg_enum_name(HBC_ENUM_INPUT_SOURCE, (int)in->source),
                        it_name(in->type_rt), allowed);
    }
    return check_shape(c, i);
}

/* cal_data_type when not given: "_f32" at the end of the folder name means float32. */
static hbc_cal_data_type infer_cal_data_type(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return n >= 4 && strncmp(dir + n - 4, "_f32", 4) == 0 ? HBC_CALDT_FLOAT32 : HBC_CALDT_UINT8;
}

static int needs_cal_data(const hbc_cfg *cfg)
{
    return cfg->calibration_type != HBC_CAL_LOAD && cfg->calibration_type != HBC_CAL_SKIP;
}

static hbg_status check_calibration(cfg_ctx *c)
{
    hbc_cfg *cfg = c->cfg;
    char label[96];
    for (int i = 0; i < cfg->n_inputs; i++) {
        hbc_cfg_input *in = &cfg->inputs[i];
        cfg_input_label(cfg, i, label, sizeof label);
        if (!in->cal_data_dir && needs_cal_data(cfg))
            return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_CAL_DATA_DIR),
                            "%s: missing for %s; calibration_type %s needs one folder per input "
                            "(only load and skip need none)",
                            cfg_key_path(HBC_KEY_CAL_DATA_DIR), label,
                            hbc_cfg_enum_name(HBC_ENUM_CAL_TYPE, (int)cfg->calibration_type));
        if (in->cal_data_dir && in->cal_data_type == HBC_CALDT_NONE) {
            in->cal_data_type = infer_cal_data_type(in->cal_data_dir);
            HBC_LOGD(c->log, "%s of %s inferred from the folder name '%s': %s",
                     cfg_key_path(HBC_KEY_CAL_DATA_TYPE), label, in->cal_data_dir,
                     hbc_cfg_enum_name(HBC_ENUM_CAL_DATA_TYPE, (int)in->cal_data_type));
        }
        if (cfg->preprocess_on && in->type_train == HBC_IT_FEATUREMAP)
            return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_PREPROCESS_ON),
                            "%s: True reads image files, but %s is featuremap",
                            cfg_key_path(HBC_KEY_PREPROCESS_ON), label);
    }
    if (cfg->given[HBC_KEY_MAX_PERCENTILE] && cfg->calibration_type != HBC_CAL_MAX)
        HBC_LOGW(c->log, "%s is ignored: it is used with calibration_type max only",
                 cfg_key_path(HBC_KEY_MAX_PERCENTILE));
    if (cfg->per_channel)
        return cfg_fail(c, HBG_E_UNSUPPORTED, cfg_where(c, HBC_KEY_PER_CHANNEL),
                        "%s: True is not supported: activations are quantised per tensor in this "
                        "toolchain's numerics (weights are per output channel already)",
                        cfg_key_path(HBC_KEY_PER_CHANNEL));
    for (int i = 0; i < cfg->run_on_cpu.n; i++)
        for (int j = 0; j < cfg->run_on_bpu.n; j++)
            if (strcmp(cfg->run_on_cpu.v[i], cfg->run_on_bpu.v[j]) == 0)
                return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_RUN_ON_BPU),
                                "%s: node '%s' is also in run_on_cpu",
                                cfg_key_path(HBC_KEY_RUN_ON_BPU), cfg->run_on_cpu.v[i]);
    for (int i = 0; i < cfg->optimization.n; i++)
        if (cfg->optimization.v[i] == HBC_OPT_SET_MODEL_OUTPUT_INT16)
            return cfg_fail(c, HBG_E_UNSUPPORTED, cfg_where(c, HBC_KEY_OPTIMIZATION),
                            "%s: set_model_output_int16 is not supported: int16 data, activations "
                            "are int8 in this toolchain's numerics",
                            cfg_key_path(HBC_KEY_OPTIMIZATION));
    return HBG_OK;
}

static hbg_status check_compiler(cfg_ctx *c)
{
    const hbc_cfg *cfg = c->cfg;
    if (cfg->given[HBC_KEY_CORE_NUM] && cfg->march != BPU_MARCH_BERNOULLI2)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_CORE_NUM),
                        "%s: is for march bernoulli2 only; remove it for march %s",
                        cfg_key_path(HBC_KEY_CORE_NUM), bpu_march_get(cfg->march)->name);
    if (cfg->max_time_per_fc > 0 && cfg->max_time_per_fc < 1000)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_MAX_TIME_PER_FC),
                        "%s: Parameter max_time_per_fc value check failed: %lld. Please set it 0 "
                        "or 1000-4294967295",
                        cfg_key_path(HBC_KEY_MAX_TIME_PER_FC), (long long)cfg->max_time_per_fc);
    return HBG_OK;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* op_register_files: C plugin .so files, resolved against custom_op_dir (else the YAML folder). */
static hbg_status check_custom_op(cfg_ctx *c)
{
    hbc_cfg *cfg = c->cfg;
    const yaml_node_t *at = cfg_where(c, HBC_KEY_OP_REGISTER_FILES);
    for (int i = 0; i < cfg->op_register_files.n; i++) {
        char **f = &cfg->op_register_files.v[i];
        if (ends_with(*f, ".py"))
            return cfg_fail(c, HBG_E_UNSUPPORTED, at,
                            "%s: '%s' is a Python file; this toolchain takes custom CPU operators "
                            "as C plugins (.so files), see docs/hb_mapper-config.md",
                            cfg_key_path(HBC_KEY_OP_REGISTER_FILES), *f);
        if (!ends_with(*f, ".so"))
            return cfg_fail(c, HBG_E_INVALID, at, "%s: '%s' is not a C plugin; allowed: .so files",
                            cfg_key_path(HBC_KEY_OP_REGISTER_FILES), *f);
        char *resolved = cfg_resolve(cfg->custom_op_dir ? cfg->custom_op_dir : cfg->base_dir, *f);
        if (!resolved)
            return cfg_fail(c, HBG_E_NOMEM, at, "out of memory");
        free(*f);
        *f = resolved;
    }
    return HBG_OK;
}

hbg_status cfg_validate(cfg_ctx *c)
{
    hbc_cfg *cfg = c->cfg;
    hbg_status st;
    if ((st = check_model(c)) != HBG_OK)
        return st;
    if (cfg->input_batch > 1 && cfg->n_inputs > 1)
        return cfg_fail(c, HBG_E_INVALID, cfg_where(c, HBC_KEY_INPUT_BATCH),
                        "%s: %lld is for single-input models only; this config has %d inputs",
                        cfg_key_path(HBC_KEY_INPUT_BATCH), (long long)cfg->input_batch,
                        cfg->n_inputs);
    for (int i = 0; i < cfg->n_inputs; i++)
        if ((st = check_input(c, i)) != HBG_OK)
            return st;
    if ((st = check_calibration(c)) != HBG_OK || (st = check_compiler(c)) != HBG_OK)
        return st;
    return check_custom_op(c);
}

/* ---- files --------------------------------------------------------------------------------- */

/* path must exist and be a folder (dir) or not; the message names the config, key and input. */
static hbg_status need(const hbc_cfg *cfg, const char *path, int dir, hbc_cfg_key k,
                       const char *label, char *err, size_t errlen)
{
    struct stat sb;
    const char *of = label ? " of " : "", *who = label ? label : "";
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: %s%s%s: cannot access '%s': %s", cfg->path, cfg_key_path(k), of,
                 who, path, strerror(errno));
        return HBG_E_IO;
    }
    if (dir != !!S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s: %s%s%s: '%s' is %s", cfg->path, cfg_key_path(k), of, who, path,
                 dir ? "not a folder" : "a folder, not a file");
        return HBG_E_IO;
    }
    return HBG_OK;
}

hbg_status hbc_cfg_check_files(const hbc_cfg *cfg, char *err, size_t errlen)
{
    hbg_status st = HBG_OK;
    char label[96];
    const struct {
        const char *path;
        hbc_cfg_key key;
    } files[] = {{cfg->onnx_model, HBC_KEY_ONNX_MODEL},
                 {cfg->prototxt, HBC_KEY_PROTOTXT},
                 {cfg->caffe_model, HBC_KEY_CAFFE_MODEL}};
    for (size_t i = 0; i < sizeof files / sizeof files[0] && st == HBG_OK; i++)
        if (files[i].path)
            st = need(cfg, files[i].path, 0, files[i].key, NULL, err, errlen);
    for (int i = 0; i < cfg->n_inputs && st == HBG_OK; i++)
        if (cfg->inputs[i].cal_data_dir && needs_cal_data(cfg))
            st = need(cfg, cfg->inputs[i].cal_data_dir, 1, HBC_KEY_CAL_DATA_DIR,
                      cfg_input_label(cfg, i, label, sizeof label), err, errlen);
    if (st == HBG_OK && cfg->custom_op_dir)
        st = need(cfg, cfg->custom_op_dir, 1, HBC_KEY_CUSTOM_OP_DIR, NULL, err, errlen);
    for (int i = 0; i < cfg->op_register_files.n && st == HBG_OK; i++)
        st =
            need(cfg, cfg->op_register_files.v[i], 0, HBC_KEY_OP_REGISTER_FILES, NULL, err, errlen);
    return st;
}
