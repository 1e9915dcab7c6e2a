/* hbc_cfg validation rules, one table row per rule: a config (a valid base config with some keys
 * set or removed, or a whole YAML text), the status expected and a substring the message must
 * contain. Each row is its own cmocka test, named after the rule. The base config itself is the
 * first row and must load, so every failing row fails for its own reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hbc/config.h"

typedef struct kv {
    const char *key, *value;
} kv;

/* The base: a valid single-input nv12 config for march bayes-e. */
static const struct {
    const char *group;
    kv keys[8];
} base[] = {
    {"model_parameters",
     {{"onnx_model", "model.onnx"}, {"march", "bayes-e"}, {"output_model_file_prefix", "m"}}},
    {"input_parameters",
     {{"input_type_train", "rgb"},
      {"input_layout_train", "NCHW"},
      {"input_type_rt", "nv12"},
      {"norm_type", "data_mean_and_scale"},
      {"mean_value", "'123.675 116.28 103.53'"},
      {"scale_value", "0.0171"},
      {"input_shape", "1x3x224x224"}}},
    {"calibration_parameters",
     {{"cal_data_dir", "calibration_data_rgb_f32"}, {"calibration_type", "default"}}},
    {"compiler_parameters", {{"compile_mode", "latency"}, {"optimize_level", "O3"}}},
};

#define MAX_SET 12

typedef struct rule_case {
    const char *name;
    /* Changes to the base: "group.key=value" sets (value is YAML text), "group.key" removes a
     * key, "group" removes a group. A group the base lacks is added at the end. */
    const char *set[MAX_SET];
    const char *raw; /* whole YAML text instead of the base */
    hbg_status st;
    const char *msg; /* substring of the message; NULL for success */
} rule_case;

#define TWO_INPUTS                                                                                 \
    "input_parameters.input_name=a;b", "input_parameters.input_type_train=rgb;rgb",                \
        "input_parameters.input_layout_train=NCHW;NCHW",                                           \
        "input_parameters.input_type_rt=nv12;nv12"
#define NO_NORM_TWO                                                                                \
    "input_parameters.norm_type=no_preprocess;no_preprocess", "input_parameters.mean_value",       \
        "input_parameters.scale_value", "input_parameters.input_shape"
#define FEATUREMAP                                                                                 \
    "input_parameters.input_type_train=featuremap", "input_parameters.input_type_rt=featuremap"

static const rule_case cases[] = {
    {"valid base", {NULL}, NULL, HBG_OK, NULL},
    /* keys and groups */
    {"unknown key",
     {"model_parameters.foo=1"},
     NULL,
     HBG_E_INVALID,
     "cfg.yaml:5:3: unknown key 'foo' in group 'model_parameters'; its keys are: prototxt"},
    {"unknown group", {"extra.x=1"}, NULL, HBG_E_INVALID, "unknown group 'extra'"},
    {"missing group",
     {"compiler_parameters"},
     NULL,
     HBG_E_INVALID,
     "missing group 'compiler_parameters'"},
    {"missing required key",
     {"model_parameters.march"},
     NULL,
     HBG_E_INVALID,
     "model_parameters.march: missing; the key is required (allowed: bernoulli2, bayes, bayes-e)"},
    {"empty group misses its required keys",
     {NULL},
     "model_parameters:\n  onnx_model: m.onnx\n  march: bayes\n  output_model_file_prefix: m\n"
     "input_parameters:\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
     "  input_type_rt: rgb\n  norm_type: no_preprocess\n"
     "calibration_parameters:\n  calibration_type: skip\ncompiler_parameters:\n",
     HBG_E_INVALID,
     "cfg.yaml:12:1: compiler_parameters.compile_mode: missing"},
    {"group is not a mapping",
     {NULL},
     "model_parameters: 3\n",
     HBG_E_INVALID,
     "cfg.yaml:1:19: group 'model_parameters' must be a mapping of keys, got a value"},
    {"duplicate key",
     {NULL},
     "model_parameters:\n  march: bayes\n  march: bayes-e\n",
     HBG_E_INVALID,
     "cfg.yaml:3:3: model_parameters.march is given twice (first at line 2)"},
    {"refused key",
     {"input_parameters.std_value=58.0"},
     NULL,
     HBG_E_UNSUPPORTED,
     "input_parameters.std_value is not supported: a key of newer reference releases"},
    {"refused key left empty", {"input_parameters.std_value=''"}, NULL, HBG_OK, NULL},
    {"refused compiler key",
     {"compiler_parameters.balance_factor=50"},
     NULL,
     HBG_E_UNSUPPORTED,
     "compiler_parameters.balance_factor is not supported"},
    {"int16 node data type",
     {"model_parameters.set_node_data_type=conv1:int16"},
     NULL,
     HBG_E_UNSUPPORTED,
     "model_parameters.set_node_data_type is not supported: int16 data"},
    /* types */
    {"not a boolean",
     {"model_parameters.layer_out_dump=maybe"},
     NULL,
     HBG_E_INVALID,
     "model_parameters.layer_out_dump: value 'maybe' is not a boolean; allowed: True, False"},
    {"not an integer",
     {"input_parameters.input_batch=two"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_batch: value 'two' is not an integer; allowed: 1..128"},
    {"list instead of a string",
     {"model_parameters.output_nodes=[a, b]"},
     NULL,
     HBG_E_INVALID,
     "model_parameters.output_nodes: wrong type: expected a string of names separated by ';', got "
     "a YAML list"},
    {"mapping instead of a word",
     {"compiler_parameters.optimize_level={a: 1}"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.optimize_level: wrong type: expected one word, got a "
     "YAML mapping"},
    {"value not in the list",
     {"compiler_parameters.compile_mode=fast"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.compile_mode: value 'fast' is not allowed; allowed: latency, bandwidth"},
    /* model files */
    {"both onnx and caffe",
     {"model_parameters.caffe_model=m.caffemodel", "model_parameters.prototxt=m.prototxt"},
     NULL,
     HBG_E_INVALID,
     "Both onnx and caffe models are not supported"},
    {"no model",
     {"model_parameters.onnx_model"},
     NULL,
     HBG_E_INVALID,
     "model_parameters: Missing model file input"},
    {"caffe model without prototxt",
     {"model_parameters.onnx_model", "model_parameters.caffe_model=m.caffemodel"},
     NULL,
     HBG_E_INVALID,
     "a Caffe model needs both caffe_model and prototxt; prototxt is missing"},
    {"caffe model",
     {"model_parameters.onnx_model", "model_parameters.caffe_model=m.caffemodel",
      "model_parameters.prototxt=m.prototxt"},
     NULL,
     HBG_OK,
     NULL},
    {"prefix with a folder",
     {"model_parameters.output_model_file_prefix=out/m"},
     NULL,
     HBG_E_INVALID,
     "must be a file name prefix without '/'"},
    {"march not in the list",
     {"model_parameters.march=x5"},
     NULL,
     HBG_E_INVALID,
     "model_parameters.march: User input march invalid: 'x5'. It should be one of: bernoulli2, "
     "bayes, bayes-e"},
    /* per-input counts */
    {"count mismatch",
     {"input_parameters.input_name=a;b"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_type_train: Wrong input_type_train num received: 'rgb' has 1 value, "
     "expected 2"},
    {"count mismatch of mean_value",
     {TWO_INPUTS, "input_parameters.norm_type=data_scale;data_scale",
      "input_parameters.input_shape"},
     NULL,
     HBG_E_INVALID,
     "Wrong mean_value num received"},
    {"count mismatch in calibration_parameters",
     {TWO_INPUTS, NO_NORM_TWO},
     NULL,
     HBG_E_INVALID,
     "calibration_parameters.cal_data_dir: Wrong cal_data_dir num received: "
     "'calibration_data_rgb_f32' has 1 value, expected 2"},
    {"two inputs",
     {TWO_INPUTS, NO_NORM_TWO, "calibration_parameters.cal_data_dir=ca;cb"},
     NULL,
     HBG_OK,
     NULL},
    {"several inputs without input_name",
     {"input_parameters.input_type_train=rgb;bgr"},
     NULL,
     HBG_E_INVALID,
     "Model has more than one input!"},
    {"empty item",
     {"input_parameters.input_name=a;;b"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_name: value 2 of 'a;;b' is empty"},
    {"duplicated input names",
     {"input_parameters.input_name=a;a", "input_parameters.input_type_train=rgb;rgb",
      "input_parameters.input_layout_train=NCHW;NCHW", "input_parameters.input_type_rt=nv12;nv12",
      NO_NORM_TWO, "calibration_parameters.cal_data_dir=ca;cb"},
     NULL,
     HBG_E_INVALID,
     "Input names duplicated: 'a'"},
    /* input types */
    {"illegal train/rt pair",
     {"input_parameters.input_type_train=gray", "input_parameters.input_type_rt=rgb"},
     NULL,
     HBG_E_INVALID,
     "Input 1 has input_type_train 'gray' is not supported transform to input_type_rt 'rgb'; "
     "allowed with input_type_train gray: gray"},
    {"illegal yuv444 from rgb rt",
     {"input_parameters.input_type_train=yuv444", "input_parameters.input_type_rt=rgb"},
     NULL,
     HBG_E_INVALID,
     "allowed with input_type_train yuv444: yuv444, nv12"},
    {"legal bgr from rgb rt",
     {"input_parameters.input_type_train=bgr", "input_parameters.input_type_rt=rgb"},
     NULL,
     HBG_OK,
     NULL},
    {"nv12 is not a training type",
     {"input_parameters.input_type_train=nv12"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_type_train: value 'nv12' is not allowed; allowed: rgb, bgr, yuv444, "
     "gray, featuremap"},
    {"missing input_layout_train",
     {"input_parameters.input_layout_train"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_layout_train: missing for input #1 (input_type_train rgb)"},
    {"bt601_video without nv12",
     {"input_parameters.input_space_and_range=bt601_video", "input_parameters.input_type_rt=rgb"},
     NULL,
     HBG_E_INVALID,
     "Input_type_rt and input_space_and_range combination invalid"},
    {"yuv444 with NCHW on bernoulli2",
     {"model_parameters.march=bernoulli2", "input_parameters.input_type_rt=yuv444"},
     NULL,
     HBG_E_INVALID,
     "input_type_rt yuv444 with input_layout_train NCHW is not supported on bernoulli2 for now"},
    /* shapes */
    {"odd width with nv12",
     {"input_parameters.input_shape=1x3x224x223"},
     NULL,
     HBG_E_INVALID,
     "Invalid nv12 input shape: input #1 has H x W = 224 x 223; nv12 type does not support odd "
     "size"},
    {"odd sizes with rgb",
     {"input_parameters.input_shape=1x3x223x223", "input_parameters.input_type_rt=rgb"},
     NULL,
     HBG_OK,
     NULL},
    {"shape with commas",
     {"input_parameters.input_shape='1,3,224,224'"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_shape: value '1,3,224,224': commas are not allowed in a shape"},
    {"shape with a zero",
     {"input_parameters.input_shape=1x0x224x224"},
     NULL,
     HBG_E_INVALID,
     "dimension 1 ('0') is not a positive integer"},
    {"3-D image input",
     {"input_parameters.input_shape=1x3x224"},
     NULL,
     HBG_E_INVALID,
     "input #1 has 3 dimensions; image inputs are 4-D"},
    {"gray with C = 3",
     {"input_parameters.input_type_train=gray", "input_parameters.input_type_rt=gray",
      "input_parameters.mean_value=128", "input_parameters.scale_value=0.0078"},
     NULL,
     HBG_E_INVALID,
     "input_type_train gray needs C = 1, the shape has C = 3 "
     "(input_layout_train NCHW)"},
    {"gray with C = 1",
     {"input_parameters.input_type_train=gray", "input_parameters.input_type_rt=gray",
      "input_parameters.mean_value=128", "input_parameters.scale_value=0.0078",
      "input_parameters.input_shape=1x1x224x224"},
     NULL,
     HBG_OK,
     NULL},
    {"rgb with C = 1 (NHWC)",
     {"input_parameters.input_layout_train=NHWC", "input_parameters.input_shape=1x224x224x1"},
     NULL,
     HBG_E_INVALID,
     "input_type_train rgb needs C = 3, the shape has C = 1"},
    /* input_batch */
    {"input_batch above 128",
     {"input_parameters.input_batch=129"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_batch: value '129' is out of range; allowed: 1..128"},
    {"input_batch 0",
     {"input_parameters.input_batch=0"},
     NULL,
     HBG_E_INVALID,
     "value '0' is out of range; allowed: 1..128"},
    {"input_batch with two inputs",
     {TWO_INPUTS, NO_NORM_TWO, "calibration_parameters.cal_data_dir=ca;cb",
      "input_parameters.input_batch=2"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.input_batch: 2 is for single-input models only; this config has 2 inputs"},
    {"input_batch with N = 2",
     {"input_parameters.input_batch=4", "input_parameters.input_shape=2x3x224x224"},
     NULL,
     HBG_E_INVALID,
     "input #1 has N = 2; with input_batch 4 the shape's N must be 1"},
    {"input_batch 128", {"input_parameters.input_batch=128"}, NULL, HBG_OK, NULL},
    /* mean and scale */
    {"featuremap with a norm_type",
     {FEATUREMAP},
     NULL,
     HBG_E_INVALID,
     "input_parameters.norm_type: input #1 is featuremap; featuremap inputs take norm_type "
     "no_preprocess"},
    {"featuremap with mean_value",
     {FEATUREMAP, "input_parameters.norm_type=no_preprocess"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.mean_value: input #1 is featuremap; featuremap inputs take no mean_value"},
    {"featuremap",
     {FEATUREMAP, "input_parameters.norm_type=no_preprocess", "input_parameters.mean_value",
      "input_parameters.scale_value", "input_parameters.input_layout_train",
      "input_parameters.input_shape=1x10"},
     NULL,
     HBG_OK,
     NULL},
    {"data_mean without mean_value",
     {"input_parameters.norm_type=data_mean", "input_parameters.mean_value"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.mean_value: missing for input #1: norm_type data_mean needs it"},
    {"two mean values for rgb",
     {"input_parameters.mean_value='1 2'"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.mean_value: input #1 has 2 values; allowed: 1 or 3 (one per channel of "
     "rgb)"},
    {"mean value not a number",
     {"input_parameters.mean_value='1 x 3'"},
     NULL,
     HBG_E_INVALID,
     "input_parameters.mean_value: value '1 x 3': 'x' is not a number"},
    {"comma-separated mean values", {"input_parameters.mean_value='1, 2, 3'"}, NULL, HBG_OK, NULL},
    /* calibration */
    {"max_percentile above 1",
     {"calibration_parameters.max_percentile=1.5"},
     NULL,
     HBG_E_INVALID,
     "calibration_parameters.max_percentile: value '1.5' is out of range; allowed: 0..1"},
    {"max_percentile below 0",
     {"calibration_parameters.max_percentile=-0.1"},
     NULL,
     HBG_E_INVALID,
     "value '-0.1' is out of range; allowed: 0..1"},
    {"max_percentile not a number",
     {"calibration_parameters.max_percentile=high"},
     NULL,
     HBG_E_INVALID,
     "value 'high' is not a number"},
    {"per_channel True",
     {"calibration_parameters.per_channel=True"},
     NULL,
     HBG_E_UNSUPPORTED,
     "calibration_parameters.per_channel: True is not supported: activations are quantised per "
     "tensor"},
    {"per_channel False", {"calibration_parameters.per_channel=False"}, NULL, HBG_OK, NULL},
    {"missing cal_data_dir",
     {"calibration_parameters.cal_data_dir"},
     NULL,
     HBG_E_INVALID,
     "calibration_parameters.cal_data_dir: missing for input #1; calibration_type default needs "
     "one folder per input"},
    {"skip needs no cal_data_dir",
     {"calibration_parameters.cal_data_dir", "calibration_parameters.calibration_type=skip"},
     NULL,
     HBG_OK,
     NULL},
    {"same node on cpu and bpu",
     {"calibration_parameters.run_on_cpu=conv1;conv2", "calibration_parameters.run_on_bpu=conv2"},
     NULL,
     HBG_E_INVALID,
     "calibration_parameters.run_on_bpu: node 'conv2' is also in run_on_cpu"},
    {"int16 outputs",
     {"calibration_parameters.optimization=set_model_output_int16"},
     NULL,
     HBG_E_UNSUPPORTED,
     "set_model_output_int16 is not supported"},
    {"unknown optimization",
     {"calibration_parameters.optimization=run_fast"},
     NULL,
     HBG_E_INVALID,
     "value 'run_fast' is not allowed; allowed: set_model_output_int8, "
     "set_model_output_int16, bias_correction"},
    /* node_info */
    {"node_info int16",
     {"model_parameters.node_info={conv1: {ON: BPU, OutputType: int16}}"},
     NULL,
     HBG_E_UNSUPPORTED,
     "model_parameters.node_info: node 'conv1' OutputType int16 is not "
     "supported"},
    {"node_info string form int16",
     {"model_parameters.node_info='conv1:int16'"},
     NULL,
     HBG_E_UNSUPPORTED,
     "node 'conv1' OutputType int16 is not supported"},
    {"node_info ON",
     {"model_parameters.node_info={conv1: {ON: CPU}, conv2: {ON: BPU}}"},
     NULL,
     HBG_OK,
     NULL},
    {"node_info bad ON",
     {"model_parameters.node_info={conv1: {ON: GPU}}"},
     NULL,
     HBG_E_INVALID,
     "node 'conv1' ON 'GPU' is not allowed; allowed: BPU, CPU"},
    {"node_info on bernoulli2",
     {"model_parameters.march=bernoulli2", "model_parameters.node_info={conv1: {ON: CPU}}"},
     NULL,
     HBG_E_INVALID,
     "model_parameters.node_info: is for march bayes and bayes-e only"},
    /* compiler */
    {"core_num on bayes-e",
     {"compiler_parameters.core_num=2"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.core_num: is for march bernoulli2 only; remove it for march bayes-e"},
    {"core_num on bayes",
     {"model_parameters.march=bayes", "compiler_parameters.core_num=1"},
     NULL,
     HBG_E_INVALID,
     "core_num: is for march bernoulli2 only; remove it for march bayes"},
    {"core_num on bernoulli2",
     {"model_parameters.march=bernoulli2", "compiler_parameters.core_num=2"},
     NULL,
     HBG_OK,
     NULL},
    {"core_num 3",
     {"model_parameters.march=bernoulli2", "compiler_parameters.core_num=3"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.core_num: value '3' is out of range; allowed: 1..2"},
    {"max_time_per_fc 500",
     {"compiler_parameters.max_time_per_fc=500"},
     NULL,
     HBG_E_INVALID,
     "Parameter max_time_per_fc value check failed: 500. Please set it 0 or 1000-4294967295"},
    {"max_time_per_fc above 2^32-1",
     {"compiler_parameters.max_time_per_fc=4294967296"},
     NULL,
     HBG_E_INVALID,
     "value '4294967296' is out of range; allowed: 0..4294967295"},
    {"max_time_per_fc 1000", {"compiler_parameters.max_time_per_fc=1000"}, NULL, HBG_OK, NULL},
    {"pyramid source for rgb",
     {"input_parameters.input_type_rt=rgb", "compiler_parameters.input_source={data: pyramid}"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.input_source: input #1: source 'pyramid' does not take input_type_rt "
     "rgb; it takes: nv12, gray"},
    {"input_source of an unknown input",
     {"input_parameters.input_name=data", "compiler_parameters.input_source={img: ddr}"},
     NULL,
     HBG_E_INVALID,
     "'img' is not one of the inputs of input_parameters.input_name"},
    {"resizer with a large input",
     {"compiler_parameters.input_source={data: resizer}"},
     NULL,
     HBG_E_INVALID,
     "the resizer source needs H * W < 18432; input #1 has 224 x 224"},
    {"resizer with a small input",
     {"compiler_parameters.input_source={data: resizer}", "input_parameters.input_shape=1x3x96x96"},
     NULL,
     HBG_OK,
     NULL},
    {"resizer source for rgb",
     {"input_parameters.input_type_rt=rgb", "compiler_parameters.input_source={data: resizer}",
      "input_parameters.input_shape=1x3x96x96"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.input_source: input #1: source 'resizer' does not take input_type_rt "
     "rgb; it takes: nv12, gray"},
    {"input_source of an unknown value",
     {"compiler_parameters.input_source={data: dram}"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.input_source: input 'data': value 'dram' is not allowed; allowed: ddr, "
     "pyramid, resizer"},
    {"input_source not a mapping",
     {"compiler_parameters.input_source=resizer"},
     NULL,
     HBG_E_INVALID,
     "compiler_parameters.input_source: expected a mapping {input_name: source}"},
    /* custom_op */
    {"python custom op",
     {"custom_op.custom_op_method=register", "custom_op.op_register_files=sample_custom.py",
      "custom_op.custom_op_dir=./custom_op"},
     NULL,
     HBG_E_UNSUPPORTED,
     "custom_op.op_register_files: 'sample_custom.py' is a Python file; this toolchain takes "
     "custom CPU operators as C plugins (.so files)"},
    {"C plugin custom op",
     {"custom_op.custom_op_method=register", "custom_op.op_register_files=a.so;b.so"},
     NULL,
     HBG_OK,
     NULL},
    {"custom op without files",
     {"custom_op.custom_op_method=register"},
     NULL,
     HBG_E_INVALID,
     "custom_op.op_register_files: missing; the key is required"},
    {"custom op method",
     {"custom_op.custom_op_method=plugin", "custom_op.op_register_files=a.so"},
     NULL,
     HBG_E_INVALID,
     "custom_op.custom_op_method: value 'plugin' is not allowed; allowed: "
     "register"},
    /* YAML */
    {"bad indentation",
     {NULL},
     "model_parameters:\n  onnx_model: a.onnx\n march: bayes-e\n",
     HBG_E_FORMAT,
     "cfg.yaml:3:2: YAML syntax error: "},
    {"unclosed flow mapping",
     {NULL},
     "model_parameters: {onnx_model: a.onnx\n",
     HBG_E_FORMAT,
     "cfg.yaml:2:1: YAML syntax error: did not find expected ',' or '}' (while parsing a flow "
     "mapping at line 1, column 19)"},
    {"tab indentation",
     {NULL},
     "model_parameters:\n\tmarch: bayes\n",
     HBG_E_FORMAT,
     "cfg.yaml:2:1: YAML syntax error: found character that cannot start any token"},
    {"empty file", {NULL}, "", HBG_E_INVALID, "cfg.yaml: the configuration is empty"},
    {"top-level list",
     {NULL},
     "- a\n- b\n",
     HBG_E_INVALID,
     "cfg.yaml:1:1: expected a mapping of groups at the top level, got a list"},
};

/* Append printf output to *out. */
static void add(char **out, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(char **out, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    *out = realloc(*out, *len + (size_t)n + 1);
    assert_non_null(*out);
    va_start(ap, fmt);
    vsnprintf(*out + *len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

/* The change of set[] about group.key: NULL when none, else the text after '=' ("" for a
 * removal, which is reported through *removed). */
static const char *change_of(const char *const *set, const char *group, const char *key,
                             int *removed)
{
    size_t gl = strlen(group), kl = strlen(key);
    *removed = 0;
    for (int i = 0; i < MAX_SET && set[i]; i++) {
        const char *s = set[i];
        if (strncmp(s, group, gl) != 0)
            continue;
        if (!key[0] && s[gl] == '\0') {
            *removed = 1;
            return "";
        }
        if (!key[0] || s[gl] != '.' || strncmp(s + gl + 1, key, kl) != 0)
            continue;
        if (s[gl + 1 + kl] == '\0') {
            *removed = 1;
            return "";
        }
        if (s[gl + 1 + kl] == '=')
            return s + gl + 2 + kl;
    }
    return NULL;
}

static int in_base(const char *group, const char *key)
{
    for (size_t g = 0; g < sizeof base / sizeof base[0]; g++)
        for (int k = 0; k < 8 && base[g].keys[k].key; k++)
            if (!strcmp(base[g].group, group) && (!key || !strcmp(base[g].keys[k].key, key)))
                return 1;
    return 0;
}

/* Keys of set[] that are new to the base, for group (NULL: groups the base lacks). */
static void add_new_keys(char **out, size_t *len, const char *const *set, const char *group)
{
    char last[64] = "";
    for (int i = 0; i < MAX_SET && set[i]; i++) {
        const char *dot = strchr(set[i], '.'), *eq = strchr(set[i], '=');
        char g[64], k[64];
        if (!dot || !eq)
            continue;
        snprintf(g, sizeof g, "%.*s", (int)(dot - set[i]), set[i]);
        snprintf(k, sizeof k, "%.*s", (int)(eq - dot - 1), dot + 1);
        if (group ? strcmp(g, group) != 0 || in_base(g, k) : in_base(g, NULL))
            continue;
        if (!group && strcmp(last, g) != 0) {
            add(out, len, "%s:\n", g);
            snprintf(last, sizeof last, "%s", g);
        }
        add(out, len, "  %s: %s\n", k, eq + 1);
    }
}

static char *build_yaml(const char *const *set)
{
    char *out = NULL;
    size_t len = 0;
    int removed;
    add(&out, &len, "%s", "");
    for (size_t g = 0; g < sizeof base / sizeof base[0]; g++) {
        change_of(set, base[g].group, "", &removed);
        if (removed)
            continue;
        add(&out, &len, "%s:\n", base[g].group);
        for (int k = 0; k < 8 && base[g].keys[k].key; k++) {
            const char *v = change_of(set, base[g].group, base[g].keys[k].key, &removed);
            if (!removed)
                add(&out, &len, "  %s: %s\n", base[g].keys[k].key, v ? v : base[g].keys[k].value);
        }
        add_new_keys(&out, &len, set, base[g].group);
    }
    add_new_keys(&out, &len, set, NULL);
    return out;
}

static void run_case(void **state)
{
    const rule_case *rc = *state;
    char *text = rc->raw ? strdup(rc->raw) : build_yaml(rc->set);
    char err[1024] = "";
    hbc_cfg *cfg = NULL;
    assert_non_null(text);
    hbg_status st =
        hbc_cfg_load_mem(text, strlen(text), "cfg.yaml", "/cfgdir", NULL, &cfg, err, sizeof err);
    if (st != rc->st || (rc->msg && !strstr(err, rc->msg)) || (st == HBG_OK) != (cfg != NULL))
        fail_msg("%s: got status %s, message \"%s\"; expected %s%s%s\nconfig:\n%s", rc->name,
                 hbg_status_str(st), err, hbg_status_str(rc->st), rc->msg ? " with " : "",
                 rc->msg ? rc->msg : "", text);
    hbc_cfg_free(cfg);
    free(text);
}

int main(void)
{
    enum { N = sizeof cases / sizeof cases[0] };
    struct CMUnitTest tests[N];
    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
    return _cmocka_run_group_tests("test_cfg_rules", tests, N, NULL, NULL);
}
