/* hbc_cfg: the makertbin YAML configuration (hb_mapper makertbin --config), parsed with libyaml
 * into a typed struct and validated as a whole.
 *
 * Groups: model_parameters, input_parameters, calibration_parameters, compiler_parameters (all
 * four required) and custom_op (optional). Every key of docs/hb_mapper-config.md is in the key
 * table (HBC_CFG_KEYS below, details through hbc_cfg_key_get): its group, type, allowed values,
 * default, whether it holds one value per model input, and whether we use or refuse it.
 * Conventions:
 * - Per-input keys hold one value per input in one string, separated by ';', in the order of
 *   input_name; every per-input key that is given must list as many values as there are inputs.
 *   Per-channel numbers (mean_value, scale_value) inside one value are separated by spaces or
 *   commas; 'None' means "no value for this input".
 * - A key whose value is empty (null, '' or "") counts as absent, as in the reference templates.
 * - Relative paths are resolved against the folder of the YAML file (for hbc_cfg_load_mem, against
 *   base_dir); custom_op.op_register_files against custom_op_dir when that is given.
 * - Booleans: True/False (also true/false, yes/no, on/off in any case).
 * Errors: the first problem found is returned as a status, with a message in err that starts
 * with "<file>:<line>:<column>: " when it concerns one place of the file, then names the key as
 * "<group>.<key>", the value and what is allowed. HBG_E_FORMAT: the YAML does not parse;
 * HBG_E_INVALID: a wrong key, type, value or combination; HBG_E_UNSUPPORTED: a valid setting this
 * toolchain refuses (a key of a newer reference release, int16 data, per-channel activations,
 * Python custom ops); HBG_E_IO: a file cannot be read; HBG_E_NOMEM.
 * Warnings (a value that has no effect, a deprecated key) go to the logger at WARNING.
 */
#ifndef HBC_CONFIG_H
#define HBC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "bpu/march.h"
#include "hbc/log.h"
#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hbc_cfg_group {
    HBC_GRP_MODEL,
    HBC_GRP_INPUT,
    HBC_GRP_CALIBRATION,
    HBC_GRP_COMPILER,
    HBC_GRP_CUSTOM_OP,
    HBC_GRP_COUNT
} hbc_cfg_group;

/* "model_parameters", ...; "?" for other values. */
const char *hbc_cfg_group_name(hbc_cfg_group g);

/* X(ID, GROUP, "yaml_key"): every key we know, in the order of the reference's tables. */
#define HBC_CFG_KEYS(X)                                                                            \
    X(PROTOTXT, MODEL, "prototxt")                                                                 \
    X(CAFFE_MODEL, MODEL, "caffe_model")                                                           \
    X(ONNX_MODEL, MODEL, "onnx_model")                                                             \
    X(MARCH, MODEL, "march")                                                                       \
    X(OUTPUT_MODEL_FILE_PREFIX, MODEL, "output_model_file_prefix")                                 \
    X(WORKING_DIR, MODEL, "working_dir")                                                           \
    X(LAYER_OUT_DUMP, MODEL, "layer_out_dump")                                                     \
    X(OUTPUT_NODES, MODEL, "output_nodes")                                                         \
    X(REMOVE_NODE_TYPE, MODEL, "remove_node_type")                                                 \
    X(REMOVE_NODE_NAME, MODEL, "remove_node_name")                                                 \
    X(SET_NODE_DATA_TYPE, MODEL, "set_node_data_type")                                             \
    X(DEBUG_MODE, MODEL, "debug_mode")                                                             \
    X(NODE_INFO, MODEL, "node_info")                                                               \
    X(LOG_LEVEL, MODEL, "log_level")                                                               \
    X(ENABLE_VPU, MODEL, "enable_vpu")                                                             \
    X(INPUT_NAME, INPUT, "input_name")                                                             \
    X(INPUT_TYPE_TRAIN, INPUT, "input_type_train")                                                 \
    X(INPUT_LAYOUT_TRAIN, INPUT, "input_layout_train")                                             \
    X(INPUT_TYPE_RT, INPUT, "input_type_rt")                                                       \
    X(INPUT_LAYOUT_RT, INPUT, "input_layout_rt")                                                   \
    X(INPUT_SPACE_AND_RANGE, INPUT, "input_space_and_range")                                       \
    X(INPUT_SHAPE, INPUT, "input_shape")                                                           \
    X(INPUT_BATCH, INPUT, "input_batch")                                                           \
    X(NORM_TYPE, INPUT, "norm_type")                                                               \
    X(MEAN_VALUE, INPUT, "mean_value")                                                             \
    X(SCALE_VALUE, INPUT, "scale_value")                                                           \
    X(STD_VALUE, INPUT, "std_value")                                                               \
    X(SEPARATE_BATCH, INPUT, "separate_batch")                                                     \
    X(SEPARATE_NAME, INPUT, "separate_name")                                                       \
    X(CAL_DATA_DIR, CALIBRATION, "cal_data_dir")                                                   \
    X(CAL_DATA_TYPE, CALIBRATION, "cal_data_type")                                                 \
    X(PREPROCESS_ON, CALIBRATION, "preprocess_on")                                                 \
    X(CALIBRATION_TYPE, CALIBRATION, "calibration_type")                                           \
    X(MAX_PERCENTILE, CALIBRATION, "max_percentile")                                               \
    X(PER_CHANNEL, CALIBRATION, "per_channel")                                                     \
    X(RUN_ON_CPU, CALIBRATION, "run_on_cpu")                                                       \
    X(RUN_ON_BPU, CALIBRATION, "run_on_bpu")                                                       \
    X(OPTIMIZATION, CALIBRATION, "optimization")                                                   \
    X(COMPILE_MODE, COMPILER, "compile_mode")                                                      \
    X(DEBUG, COMPILER, "debug")                                                                    \
    X(CORE_NUM, COMPILER, "core_num")                                                              \
    X(OPTIMIZE_LEVEL, COMPILER, "optimize_level")                                                  \
    X(INPUT_SOURCE, COMPILER, "input_source")                                                      \
    X(MAX_TIME_PER_FC, COMPILER, "max_time_per_fc")                                                \
    X(JOBS, COMPILER, "jobs")                                                                      \
    X(ADVICE, COMPILER, "advice")                                                                  \
    X(BALANCE_FACTOR, COMPILER, "balance_factor")                                                  \
    X(HBDK3_COMPATIBLE_MODE, COMPILER, "hbdk3_compatible_mode")                                    \
    X(EXTRA_PARAMS, COMPILER, "extra_params")                                                      \
    X(ABILITY_ENTRY, COMPILER, "ability_entry")                                                    \
    X(CUSTOM_OP_METHOD, CUSTOM_OP, "custom_op_method")                                             \
    X(OP_REGISTER_FILES, CUSTOM_OP, "op_register_files")                                           \
    X(CUSTOM_OP_DIR, CUSTOM_OP, "custom_op_dir")

typedef enum hbc_cfg_key {
#define HBC_CFG_KEY_ENUM(id, grp, name) HBC_KEY_##id,
    HBC_CFG_KEYS(HBC_CFG_KEY_ENUM)
#undef HBC_CFG_KEY_ENUM
        HBC_KEY_COUNT
} hbc_cfg_key;

typedef enum hbc_cfg_key_status {
    HBC_KEY_USED,       /* validated now; consumed by the stage docs/hb_mapper-config.md names */
    HBC_KEY_DEPRECATED, /* accepted and validated, ignored with a warning */
    HBC_KEY_REFUSED,    /* a non-empty value is an HBG_E_UNSUPPORTED error */
} hbc_cfg_key_status;

/* What the key table says about a key (name and group from HBC_CFG_KEYS). */
typedef struct hbc_cfg_key_info {
    const char *name; /* NULL for a k out of range */
    hbc_cfg_group group;
    const char *dflt; /* default as YAML text, or NULL (none, derived or required) */
    int per_input;    /* 1: one ';'-separated value per model input */
    int required;     /* 1: must be given whenever its group is */
    hbc_cfg_key_status status;
    const char *note; /* why the key is refused or deprecated, or NULL */
} hbc_cfg_key_info;

hbc_cfg_key_info hbc_cfg_key_get(hbc_cfg_key k);

/* Value sets. Where 0 is *_NONE it means "not given" (and, after validation, "not applicable").
 * The names are the YAML spellings; hbc_cfg_enum_name() returns them. */
typedef enum hbc_input_type {
    HBC_IT_RGB,
    HBC_IT_BGR,
    HBC_IT_YUV444,
    HBC_IT_NV12,
    HBC_IT_GRAY,
    HBC_IT_FEATUREMAP,
    HBC_IT_COUNT
} hbc_input_type;
typedef enum hbc_layout { HBC_LAYOUT_NONE, HBC_LAYOUT_NHWC, HBC_LAYOUT_NCHW } hbc_layout;
typedef enum hbc_yuv_range { HBC_RANGE_REGULAR, HBC_RANGE_BT601_VIDEO } hbc_yuv_range;
typedef enum hbc_norm_type {
    HBC_NORM_NO_PREPROCESS,
    HBC_NORM_DATA_MEAN,
    HBC_NORM_DATA_SCALE,
    HBC_NORM_DATA_MEAN_AND_SCALE
} hbc_norm_type;
typedef enum hbc_cal_data_type {
    HBC_CALDT_NONE,
    HBC_CALDT_FLOAT32,
    HBC_CALDT_UINT8
} hbc_cal_data_type;
typedef enum hbc_cal_type {
    HBC_CAL_DEFAULT,
    HBC_CAL_MIX,
    HBC_CAL_KL,
    HBC_CAL_MAX,
    HBC_CAL_LOAD,
    HBC_CAL_SKIP
} hbc_cal_type;
typedef enum hbc_compile_mode { HBC_COMPILE_LATENCY, HBC_COMPILE_BANDWIDTH } hbc_compile_mode;
typedef enum hbc_opt_level { HBC_O0, HBC_O1, HBC_O2, HBC_O3 } hbc_opt_level;
typedef enum hbc_input_source {
    HBC_SRC_NONE,
    HBC_SRC_DDR,
    HBC_SRC_PYRAMID,
    HBC_SRC_RESIZER
} hbc_input_source;
/* remove_node_type values. */
typedef enum hbc_node_type {
    HBC_NT_QUANTIZE,
    HBC_NT_TRANSPOSE,
    HBC_NT_DEQUANTIZE,
    HBC_NT_CAST,
    HBC_NT_RESHAPE,
    HBC_NT_SOFTMAX,
    HBC_NT_DEQUANTIZE_FILTER
} hbc_node_type;
/* calibration_parameters.optimization tokens. */
typedef enum hbc_optimization {
    HBC_OPT_SET_MODEL_OUTPUT_INT8,
    HBC_OPT_SET_MODEL_OUTPUT_INT16,
    HBC_OPT_BIAS_CORRECTION,     /* refine weights and biases on the calibration data */
    HBC_OPT_CHANNEL_EQUALIZATION /* ours: hbc_calib_equalize before calibration */
} hbc_optimization;
typedef enum hbc_debug_mode { HBC_DEBUG_NONE, HBC_DEBUG_DUMP_CALIBRATION_DATA } hbc_debug_mode;
typedef enum hbc_node_on { HBC_ON_NONE, HBC_ON_BPU, HBC_ON_CPU } hbc_node_on;
typedef enum hbc_custom_method { HBC_CUSTOM_NONE, HBC_CUSTOM_REGISTER } hbc_custom_method;

/* Value set ids for hbc_cfg_enum_name(). */
typedef enum hbc_cfg_enum {
    HBC_ENUM_INPUT_TYPE,
    HBC_ENUM_LAYOUT,
    HBC_ENUM_YUV_RANGE,
    HBC_ENUM_NORM_TYPE,
    HBC_ENUM_CAL_DATA_TYPE,
    HBC_ENUM_CAL_TYPE,
    HBC_ENUM_COMPILE_MODE,
    HBC_ENUM_OPT_LEVEL,
    HBC_ENUM_INPUT_SOURCE,
    HBC_ENUM_NODE_TYPE,
    HBC_ENUM_OPTIMIZATION,
    HBC_ENUM_DEBUG_MODE,
    HBC_ENUM_NODE_ON,
    HBC_ENUM_CUSTOM_METHOD,
    HBC_ENUM_COUNT
} hbc_cfg_enum;

/* YAML spelling of value v of set e ("nv12", "NCHW", ...); "none" for a *_NONE value, "?" for a
 * value out of range. */
const char *hbc_cfg_enum_name(hbc_cfg_enum e, int v);

typedef struct hbc_cfg_names {
    int n;
    char **v;
} hbc_cfg_names;
typedef struct hbc_cfg_enums {
    int n;
    int *v; /* in the order written */
} hbc_cfg_enums;
typedef struct hbc_cfg_floats {
    int n; /* 0: not given ('None') */
    double *v;
} hbc_cfg_floats;
typedef struct hbc_cfg_shape {
    int rank; /* 0: not given (taken from the model) */
    int64_t dims[HBG_MAX_RANK];
} hbc_cfg_shape;

typedef struct hbc_cfg_node_info {
    char *name;
    hbc_node_on on; /* HBC_ON_NONE when only data types were given */
} hbc_cfg_node_info;
typedef struct hbc_cfg_node_infos {
    int n;
    hbc_cfg_node_info *v;
} hbc_cfg_node_infos;

/* One model input (input_parameters and the per-input keys of the other groups). */
typedef struct hbc_cfg_input {
    char *name; /* NULL when input_name is not given (single-input models) */
    hbc_input_type type_train, type_rt;
    hbc_layout layout_train; /* NONE for featuremap inputs without a layout */
    hbc_layout layout_rt;    /* given, or the default for type_rt; NONE for nv12 */
    hbc_yuv_range space_and_range;
    hbc_cfg_shape shape;
    hbc_norm_type norm_type;
    hbc_cfg_floats mean, scale;
    char *cal_data_dir;              /* resolved; NULL when not given */
    hbc_cal_data_type cal_data_type; /* given, or inferred from the folder name; NONE: no dir */
    hbc_input_source source;         /* given in input_source, or the default for type_rt */
    char *source_input; /* input_source's input name when input_name is not given (single-input
                           models: checked against the model's input by hb_mapper), else NULL */
} hbc_cfg_input;

typedef struct hbc_cfg {
    char *path;                         /* label of the YAML text (its file name) */
    char *base_dir;                     /* folder relative paths are resolved against */
    unsigned char given[HBC_KEY_COUNT]; /* 1: the key was written with a non-empty value */
    /* model_parameters */
    char *prototxt, *caffe_model, *onnx_model; /* resolved; NULL when not given */
    bpu_march_id march;
    char *output_model_file_prefix;
    char *working_dir; /* resolved */
    int layer_out_dump;
    hbc_cfg_names output_nodes;
    hbc_cfg_enums remove_node_type; /* hbc_node_type values */
    hbc_cfg_names remove_node_name;
    hbc_debug_mode debug_mode;
    hbc_cfg_node_infos node_info;
    int64_t log_level; /* deprecated, ignored */
    /* input_parameters */
    int n_inputs;
    hbc_cfg_input *inputs;
    int64_t input_batch;
    /* calibration_parameters */
    int preprocess_on;
    hbc_cal_type calibration_type;
    double max_percentile;
    int per_channel; /* always 0 in a valid config (True is refused) */
    hbc_cfg_names run_on_cpu, run_on_bpu;
    hbc_cfg_enums optimization; /* hbc_optimization values */
    /* compiler_parameters */
    hbc_compile_mode compile_mode;
    int debug;
    int64_t core_num;
    hbc_opt_level optimize_level;
    int64_t max_time_per_fc;
    int64_t jobs; /* 0: not given */
    /* custom_op */
    hbc_custom_method custom_op_method;
    char *custom_op_dir;             /* resolved; NULL when not given */
    hbc_cfg_names op_register_files; /* resolved paths of C plugin .so files */
} hbc_cfg;

/* Constructor: parse and validate the YAML file at path. On success *out is the config (release
 * with hbc_cfg_free); on failure *out is NULL and err holds the message. log may be NULL. */
hbg_status hbc_cfg_load_file(const char *path, const hbc_logger *log, hbc_cfg **out, char *err,
                             size_t errlen);

/* The same for YAML text in memory: label names it in messages, base_dir resolves relative paths
 * (NULL or "" = the working directory). */
hbg_status hbc_cfg_load_mem(const char *text, size_t len, const char *label, const char *base_dir,
                            const hbc_logger *log, hbc_cfg **out, char *err, size_t errlen);

/* Destructor; NULL is a no-op. */
void hbc_cfg_free(hbc_cfg *cfg);

/* Check that the files and folders the config names exist: the model files, every cal_data_dir
 * the calibration type needs, custom_op_dir and each op_register_files entry. HBG_E_IO with a
 * message naming the key and the path. */
hbg_status hbc_cfg_check_files(const hbc_cfg *cfg, char *err, size_t errlen);

/* Log every key of the config at level, one "key: value" line each, grouped like the reference's
 * parameter dump ("model_parameters info", one block per input, ...). */
void hbc_cfg_log(const hbc_cfg *cfg, const hbc_logger *log, hbc_log_level level);

#ifdef __cplusplus
}
#endif
#endif /* HBC_CONFIG_H */
