/* The key table of the makertbin YAML: one row per key of the reference's tables (sections
 * 1.2-1.6 of the interface notes), indexed by hbc_cfg_key. docs/hb_mapper-config.md describes the
 * same keys for users; tests/unit/config/test_cfg_keys.c checks that it lists every one. */
#include <stddef.h>
#include <string.h>

#include "config_priv.h"

/* Group names as macros so that "group.key" paths are made at compile time (cfg_key_path). */
#define GROUP_NAME_MODEL       "model_parameters"
#define GROUP_NAME_INPUT       "input_parameters"
#define GROUP_NAME_CALIBRATION "calibration_parameters"
#define GROUP_NAME_COMPILER    "compiler_parameters"
#define GROUP_NAME_CUSTOM_OP   "custom_op"

static const char *const group_names[HBC_GRP_COUNT] = {
    [HBC_GRP_MODEL] = GROUP_NAME_MODEL,
    [HBC_GRP_INPUT] = GROUP_NAME_INPUT,
    [HBC_GRP_CALIBRATION] = GROUP_NAME_CALIBRATION,
    [HBC_GRP_COMPILER] = GROUP_NAME_COMPILER,
    [HBC_GRP_CUSTOM_OP] = GROUP_NAME_CUSTOM_OP,
};

const char *hbc_cfg_group_name(hbc_cfg_group g)
{
    return (unsigned)g < HBC_GRP_COUNT ? group_names[g] : "?";
}

const char *const cfg_key_names[HBC_KEY_COUNT] = {
#define KEY_NAME(id, grp, nm) [HBC_KEY_##id] = nm,
    HBC_CFG_KEYS(KEY_NAME)
#undef KEY_NAME
};

const hbc_cfg_group cfg_key_groups[HBC_KEY_COUNT] = {
#define KEY_GROUP(id, grp, nm) [HBC_KEY_##id] = HBC_GRP_##grp,
    HBC_CFG_KEYS(KEY_GROUP)
#undef KEY_GROUP
};

/* ---- value sets ---------------------------------------------------------------------------- */

static const char *const input_types[] = {
    [HBC_IT_RGB] = "rgb",   [HBC_IT_BGR] = "bgr",   [HBC_IT_YUV444] = "yuv444",
    [HBC_IT_NV12] = "nv12", [HBC_IT_GRAY] = "gray", [HBC_IT_FEATUREMAP] = "featuremap",
};
static const char *const layouts[] = {
    [HBC_LAYOUT_NONE] = NULL, [HBC_LAYOUT_NHWC] = "NHWC", [HBC_LAYOUT_NCHW] = "NCHW"};
static const char *const yuv_ranges[] = {
    [HBC_RANGE_REGULAR] = "regular", [HBC_RANGE_BT601_VIDEO] = "bt601_video"};
static const char *const norm_types[] = {
    [HBC_NORM_NO_PREPROCESS] = "no_preprocess",
    [HBC_NORM_DATA_MEAN] = "data_mean",
    [HBC_NORM_DATA_SCALE] = "data_scale",
    [HBC_NORM_DATA_MEAN_AND_SCALE] = "data_mean_and_scale",
};
static const char *const cal_data_types[] = {
    [HBC_CALDT_NONE] = NULL, [HBC_CALDT_FLOAT32] = "float32", [HBC_CALDT_UINT8] = "uint8"};
static const char *const cal_types[] = {
    [HBC_CAL_DEFAULT] = "default", [HBC_CAL_MIX] = "mix",   [HBC_CAL_KL] = "kl",
    [HBC_CAL_MAX] = "max",         [HBC_CAL_LOAD] = "load", [HBC_CAL_SKIP] = "skip",
};
static const char *const compile_modes[] = {
    [HBC_COMPILE_LATENCY] = "latency", [HBC_COMPILE_BANDWIDTH] = "bandwidth"};
static const char *const opt_levels[] = {
    [HBC_O0] = "O0", [HBC_O1] = "O1", [HBC_O2] = "O2", [HBC_O3] = "O3"};
static const char *const input_sources[] = {
    [HBC_SRC_NONE] = NULL,
    [HBC_SRC_DDR] = "ddr",
    [HBC_SRC_PYRAMID] = "pyramid",
    [HBC_SRC_RESIZER] = "resizer",
};
static const char *const node_types[] = {
    [HBC_NT_QUANTIZE] = "Quantize",
    [HBC_NT_TRANSPOSE] = "Transpose",
    [HBC_NT_DEQUANTIZE] = "Dequantize",
    [HBC_NT_CAST] = "Cast",
    [HBC_NT_RESHAPE] = "Reshape",
    [HBC_NT_SOFTMAX] = "Softmax",
    [HBC_NT_DEQUANTIZE_FILTER] = "DequantizeFilter",
};
static const char *const optimizations[] = {
    [HBC_OPT_SET_MODEL_OUTPUT_INT8] = "set_model_output_int8",
    [HBC_OPT_SET_MODEL_OUTPUT_INT16] = "set_model_output_int16",
    [HBC_OPT_BIAS_CORRECTION] = "bias_correction",
    [HBC_OPT_CHANNEL_EQUALIZATION] = "channel_equalization",
};
static const char *const debug_modes[] = {
    [HBC_DEBUG_NONE] = NULL, [HBC_DEBUG_DUMP_CALIBRATION_DATA] = "dump_calibration_data"};
static const char *const node_ons[] = {
    [HBC_ON_NONE] = NULL, [HBC_ON_BPU] = "BPU", [HBC_ON_CPU] = "CPU"};
static const char *const custom_methods[] = {
    [HBC_CUSTOM_NONE] = NULL, [HBC_CUSTOM_REGISTER] = "register"};

#define SET(a)                                                                                     \
    {                                                                                              \
        a, (int)(sizeof a / sizeof a[0])                                                           \
    }
const cfg_values cfg_value_sets[HBC_ENUM_COUNT] = {
    [HBC_ENUM_INPUT_TYPE] = SET(input_types),
    [HBC_ENUM_LAYOUT] = SET(layouts),
    [HBC_ENUM_YUV_RANGE] = SET(yuv_ranges),
    [HBC_ENUM_NORM_TYPE] = SET(norm_types),
    [HBC_ENUM_CAL_DATA_TYPE] = SET(cal_data_types),
    [HBC_ENUM_CAL_TYPE] = SET(cal_types),
    [HBC_ENUM_COMPILE_MODE] = SET(compile_modes),
    [HBC_ENUM_OPT_LEVEL] = SET(opt_levels),
    [HBC_ENUM_INPUT_SOURCE] = SET(input_sources),
    [HBC_ENUM_NODE_TYPE] = SET(node_types),
    [HBC_ENUM_OPTIMIZATION] = SET(optimizations),
    [HBC_ENUM_DEBUG_MODE] = SET(debug_modes),
    [HBC_ENUM_NODE_ON] = SET(node_ons),
    [HBC_ENUM_CUSTOM_METHOD] = SET(custom_methods),
};
#undef SET
_Static_assert(HBC_ENUM_COUNT == 14, "update cfg_value_sets");
_Static_assert(sizeof input_types / sizeof input_types[0] == HBC_IT_COUNT, "input types");

const char *hbc_cfg_enum_name(hbc_cfg_enum e, int v)
{
    if ((unsigned)e >= HBC_ENUM_COUNT || v < 0 || v >= cfg_value_sets[e].count)
        return "?";
    return cfg_value_sets[e].names[v] ? cfg_value_sets[e].names[v] : "none";
}

/* ---- the key table ------------------------------------------------------------------------- */

#define CFG(f)       .off = offsetof(hbc_cfg, f)
#define PER(f)       .per_input = 1, .in_input = 1, .off = offsetof(hbc_cfg_input, f)
#define ENUM(set)    .type = CT_ENUM, .values = HBC_ENUM_##set
#define REFUSED(why) .type = CT_NONE, .status = HBC_KEY_REFUSED, .note = why
#define BIT(v)       (1u << (v))

#define NEWER_ONLY "a key of newer reference releases (hbdk4 era), not of the X3/Ultra/X5 toolchain"
#define NO_INT16   "int16 data: activations are int8 in this toolchain's numerics"

/* input_type_train: every input type except nv12 (a runtime-only format). */
#define TRAIN_TYPES                                                                                \
    (BIT(HBC_IT_RGB) | BIT(HBC_IT_BGR) | BIT(HBC_IT_YUV444) | BIT(HBC_IT_GRAY) |                   \
     BIT(HBC_IT_FEATUREMAP))

const cfg_key cfg_keys[HBC_KEY_COUNT] = {
    /* model_parameters */
    [HBC_KEY_PROTOTXT] = {.type = CT_PATH, CFG(prototxt)},
    [HBC_KEY_CAFFE_MODEL] = {.type = CT_PATH, CFG(caffe_model)},
    [HBC_KEY_ONNX_MODEL] = {.type = CT_PATH, CFG(onnx_model)},
    [HBC_KEY_MARCH] = {.type = CT_MARCH, .required = 1, CFG(march)},
    [HBC_KEY_OUTPUT_MODEL_FILE_PREFIX] = {.type = CT_STRING,
                                          .required = 1,
                                          CFG(output_model_file_prefix)},
    [HBC_KEY_WORKING_DIR] = {.type = CT_PATH, .dflt = "model_output", CFG(working_dir)},
    [HBC_KEY_LAYER_OUT_DUMP] = {.type = CT_BOOL, .dflt = "False", CFG(layer_out_dump)},
    [HBC_KEY_OUTPUT_NODES] = {.type = CT_NAMES, CFG(output_nodes)},
    [HBC_KEY_REMOVE_NODE_TYPE] = {.type = CT_ENUMS,
                                  .values = HBC_ENUM_NODE_TYPE,
                                  CFG(remove_node_type)},
    [HBC_KEY_REMOVE_NODE_NAME] = {.type = CT_NAMES, CFG(remove_node_name)},
    [HBC_KEY_SET_NODE_DATA_TYPE] = {REFUSED(NO_INT16 " (its only value is int16)")},
    [HBC_KEY_DEBUG_MODE] = {ENUM(DEBUG_MODE), CFG(debug_mode)},
    [HBC_KEY_NODE_INFO] = {.type = CT_NODE_INFO, CFG(node_info)},
    [HBC_KEY_LOG_LEVEL] = {.type = CT_INT,
                           .ilo = INT64_MIN,
                           .ihi = INT64_MAX,
                           .status = HBC_KEY_DEPRECATED,
                           .note = "the console always logs at INFO and the log file at DEBUG",
                           CFG(log_level)},
    [HBC_KEY_ENABLE_VPU] = {REFUSED(NEWER_ONLY)},
    /* input_parameters */
    [HBC_KEY_INPUT_NAME] = {.type = CT_STRING, PER(name)},
    [HBC_KEY_INPUT_TYPE_TRAIN] = {ENUM(INPUT_TYPE), .mask = TRAIN_TYPES, .required = 1,
                                  PER(type_train)},
    [HBC_KEY_INPUT_LAYOUT_TRAIN] = {ENUM(LAYOUT), PER(layout_train)},
    [HBC_KEY_INPUT_TYPE_RT] = {ENUM(INPUT_TYPE), .required = 1, PER(type_rt)},
    [HBC_KEY_INPUT_LAYOUT_RT] = {ENUM(LAYOUT), PER(layout_rt), .derived = 1},
    [HBC_KEY_INPUT_SPACE_AND_RANGE] = {ENUM(YUV_RANGE), .dflt = "regular", PER(space_and_range)},
    [HBC_KEY_INPUT_SHAPE] = {.type = CT_SHAPE, PER(shape)},
    [HBC_KEY_INPUT_BATCH] = {.type = CT_INT, .ilo = 1, .ihi = 128, .dflt = "1", CFG(input_batch)},
    [HBC_KEY_NORM_TYPE] = {ENUM(NORM_TYPE), .required = 1, PER(norm_type)},
    [HBC_KEY_MEAN_VALUE] = {.type = CT_FLOATS, PER(mean)},
    [HBC_KEY_SCALE_VALUE] = {.type = CT_FLOATS, PER(scale)},
    [HBC_KEY_STD_VALUE] = {REFUSED(NEWER_ONLY "; write scale_value = 1/std instead")},
    [HBC_KEY_SEPARATE_BATCH] = {REFUSED(NEWER_ONLY)},
    [HBC_KEY_SEPARATE_NAME] = {REFUSED(NEWER_ONLY)},
    /* calibration_parameters */
    [HBC_KEY_CAL_DATA_DIR] = {.type = CT_PATH, PER(cal_data_dir)},
    [HBC_KEY_CAL_DATA_TYPE] = {ENUM(CAL_DATA_TYPE), PER(cal_data_type), .derived = 1},
    [HBC_KEY_PREPROCESS_ON] = {.type = CT_BOOL, .dflt = "False", CFG(preprocess_on)},
    [HBC_KEY_CALIBRATION_TYPE] = {ENUM(CAL_TYPE), .required = 1, CFG(calibration_type)},
    [HBC_KEY_MAX_PERCENTILE] =
        {.type = CT_FLOAT, .flo = 0.0, .fhi = 1.0, .dflt = "1.0", CFG(max_percentile)},
    [HBC_KEY_PER_CHANNEL] = {.type = CT_BOOL, .dflt = "False", CFG(per_channel)},
    [HBC_KEY_RUN_ON_CPU] = {.type = CT_NAMES, CFG(run_on_cpu)},
    [HBC_KEY_RUN_ON_BPU] = {.type = CT_NAMES, CFG(run_on_bpu)},
    [HBC_KEY_OPTIMIZATION] = {.type = CT_ENUMS, .values = HBC_ENUM_OPTIMIZATION, CFG(optimization)},
    /* compiler_parameters */
    [HBC_KEY_COMPILE_MODE] = {ENUM(COMPILE_MODE), .required = 1, CFG(compile_mode)},
    [HBC_KEY_DEBUG] = {.type = CT_BOOL, .dflt = "False", CFG(debug)},
    [HBC_KEY_CORE_NUM] = {.type = CT_INT, .ilo = 1, .ihi = 2, .dflt = "1", CFG(core_num)},
    [HBC_KEY_OPTIMIZE_LEVEL] = {ENUM(OPT_LEVEL), .required = 1, CFG(optimize_level)},
    [HBC_KEY_INPUT_SOURCE] = {.type = CT_INPUT_SOURCE,
                              .in_input = 1,
                              .derived = 1,
                              .off = offsetof(hbc_cfg_input, source)},
    [HBC_KEY_MAX_TIME_PER_FC] =
        {.type = CT_INT, .ilo = 0, .ihi = 4294967295, .dflt = "0", CFG(max_time_per_fc)},
    [HBC_KEY_JOBS] = {.type = CT_INT, .ilo = 1, .ihi = 1024, CFG(jobs)},
    [HBC_KEY_ADVICE] = {REFUSED(NEWER_ONLY)},
    [HBC_KEY_BALANCE_FACTOR] = {REFUSED(NEWER_ONLY " (compile_mode balance)")},
    [HBC_KEY_HBDK3_COMPATIBLE_MODE] = {REFUSED(NEWER_ONLY)},
    [HBC_KEY_EXTRA_PARAMS] = {REFUSED(NEWER_ONLY)},
    [HBC_KEY_ABILITY_ENTRY] = {REFUSED(NEWER_ONLY)},
    /* custom_op */
    [HBC_KEY_CUSTOM_OP_METHOD] = {ENUM(CUSTOM_METHOD), .required = 1, CFG(custom_op_method)},
    [HBC_KEY_OP_REGISTER_FILES] = {.type = CT_NAMES, .required = 1, CFG(op_register_files)},
    [HBC_KEY_CUSTOM_OP_DIR] = {.type = CT_PATH, CFG(custom_op_dir)},
};
_Static_assert(HBC_KEY_COUNT == 53, "update cfg_keys");

hbc_cfg_key_info hbc_cfg_key_get(hbc_cfg_key k)
{
    hbc_cfg_key_info info = {0};
    if ((unsigned)k >= HBC_KEY_COUNT)
        return info;
    const cfg_key *t = &cfg_keys[k];
    info.name = cfg_key_names[k];
    info.group = cfg_key_groups[k];
    info.dflt = t->dflt;
    info.per_input = t->per_input;
    info.required = t->required;
    info.status = t->status;
    info.note = t->note;
    return info;
}

hbc_cfg_key cfg_key_find(hbc_cfg_group g, const char *name)
{
    for (int k = 0; k < HBC_KEY_COUNT; k++)
        if (cfg_key_groups[k] == g && strcmp(cfg_key_names[k], name) == 0)
            return (hbc_cfg_key)k;
    return HBC_KEY_COUNT;
}

const char *cfg_key_path(hbc_cfg_key k)
{
    static const char *const paths[HBC_KEY_COUNT] = {
#define KEY_PATH(id, grp, nm) [HBC_KEY_##id] = GROUP_NAME_##grp "." nm,
        HBC_CFG_KEYS(KEY_PATH)
#undef KEY_PATH
    };
    return (unsigned)k < HBC_KEY_COUNT ? paths[k] : "?";
}
