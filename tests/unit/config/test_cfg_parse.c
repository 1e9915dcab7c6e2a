/* hbc_cfg on valid configs: every value lands in its typed field (per-input lists, per-channel
 * numbers, 'None', mappings), paths are resolved against the YAML's folder, defaults and derived
 * values are filled in, empty values count as absent, warnings reach the logger, the parameter
 * dump shows every group, and hbc_cfg_check_files names the missing file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hbc/config.h"

/* ---- a logger that keeps every line -------------------------------------------------------- */

typedef struct captured {
    char text[16384];
    size_t len;
    int warnings;
} captured;

static void capture(void *user, hbc_log_level level, const char *file, int line, const char *func,
                    const char *msg)
{
    captured *c = user;
    (void)file;
    (void)line;
    (void)func;
    c->warnings += level == HBC_LOG_WARNING;
    int n = snprintf(c->text + c->len, sizeof c->text - c->len, "%s %s\n",
                     hbc_log_level_name(level), msg);
    if (n > 0)
        c->len = c->len + (size_t)n < sizeof c->text ? c->len + (size_t)n : sizeof c->text - 1;
}

static hbc_cfg *load(const char *text, const hbc_logger *lg)
{
    char err[1024] = "";
    hbc_cfg *cfg = NULL;
    hbg_status st =
        hbc_cfg_load_mem(text, strlen(text), "cfg.yaml", "/base", lg, &cfg, err, sizeof err);
    if (st != HBG_OK)
        fail_msg("load failed: %s: %s", hbg_status_str(st), err);
    return cfg;
}

static const char full_yaml[] =
    "# every group, two inputs\n"
    "model_parameters:\n"
    "  onnx_model: 'models/net.onnx'\n"
    "  march: \"bayes-e\"\n"
    "  output_model_file_prefix: net\n"
    "  working_dir: /abs/out\n"
    "  layer_out_dump: true\n"
    "  output_nodes: 'out1; out2'\n"
    "  remove_node_type: 'Quantize;Dequantize,Transpose'\n"
    "  remove_node_name: n1\n"
    "  debug_mode: dump_calibration_data\n"
    "  node_info: {conv1: {ON: CPU, InputType: int8}, conv2: {OutputType: int8}}\n"
    "  log_level: 2\n"
    "input_parameters:\n"
    "  input_name: 'img; feat'\n"
    "  input_type_train: 'bgr;featuremap'\n"
    "  input_layout_train: 'NHWC;NCHW'\n"
    "  input_type_rt: 'nv12;featuremap'\n"
    "  input_layout_rt: 'NHWC;NCHW'\n"
    "  input_space_and_range: 'bt601_video;regular'\n"
    "  input_shape: '1x224x224x3;1x16'\n"
    "  norm_type: 'data_mean_and_scale;no_preprocess'\n"
    "  mean_value: '103.94 116.78 123.68;None'\n"
    "  scale_value: '0.017;None'\n"
    "calibration_parameters:\n"
    "  cal_data_dir: 'cal/img_f32;cal/feat/'\n"
    "  preprocess_on: False\n"
    "  calibration_type: max\n"
    "  max_percentile: 0.99995\n"
    "  run_on_cpu: 'softmax'\n"
    "  optimization: 'set_model_output_int8;bias_correction;channel_equalization'\n"
    "compiler_parameters:\n"
    "  compile_mode: bandwidth\n"
    "  debug: yes\n"
    "  optimize_level: O2\n"
    "  input_source: {img: pyramid}\n"
    "  max_time_per_fc: 1000\n"
    "  jobs: 4\n"
    "custom_op:\n"
    "  custom_op_method: register\n"
    "  op_register_files: 'a.so; lib/b.so'\n"
    "  custom_op_dir: plugins\n";

static void test_full(void **state)
{
    (void)state;
    captured log = {.len = 0};
    hbc_logger lg = {capture, &log, HBC_LOG_DEBUG};
    hbc_cfg *cfg = load(full_yaml, &lg);

    assert_string_equal(cfg->onnx_model, "/base/models/net.onnx");
    assert_null(cfg->caffe_model);
    assert_int_equal(cfg->march, BPU_MARCH_BAYES_E);
    assert_string_equal(cfg->output_model_file_prefix, "net");
    assert_string_equal(cfg->working_dir, "/abs/out");
    assert_int_equal(cfg->layer_out_dump, 1);
    assert_int_equal(cfg->output_nodes.n, 2);
    assert_string_equal(cfg->output_nodes.v[0], "out1");
    assert_string_equal(cfg->output_nodes.v[1], "out2");
    assert_int_equal(cfg->remove_node_type.n, 3);
    assert_int_equal(cfg->remove_node_type.v[0], HBC_NT_QUANTIZE);
    assert_int_equal(cfg->remove_node_type.v[1], HBC_NT_DEQUANTIZE);
    assert_int_equal(cfg->remove_node_type.v[2], HBC_NT_TRANSPOSE);
    assert_int_equal(cfg->remove_node_name.n, 1);
    assert_int_equal(cfg->debug_mode, HBC_DEBUG_DUMP_CALIBRATION_DATA);
    assert_int_equal(cfg->node_info.n, 2);
    assert_string_equal(cfg->node_info.v[0].name, "conv1");
    assert_int_equal(cfg->node_info.v[0].on, HBC_ON_CPU);
    assert_string_equal(cfg->node_info.v[1].name, "conv2");
    assert_int_equal(cfg->node_info.v[1].on, HBC_ON_NONE);
    assert_int_equal(cfg->log_level, 2);

    assert_int_equal(cfg->n_inputs, 2);
    const hbc_cfg_input *img = &cfg->inputs[0], *feat = &cfg->inputs[1];
    assert_string_equal(img->name, "img");
    assert_string_equal(feat->name, "feat");
    assert_int_equal(img->type_train, HBC_IT_BGR);
    assert_int_equal(img->type_rt, HBC_IT_NV12);
    assert_int_equal(img->layout_train, HBC_LAYOUT_NHWC);
    assert_int_equal(img->layout_rt, HBC_LAYOUT_NONE); /* ignored for nv12, with a warning */
    assert_int_equal(img->space_and_range, HBC_RANGE_BT601_VIDEO);
    assert_int_equal(img->shape.rank, 4);
    assert_int_equal(img->shape.dims[1], 224);
    assert_int_equal(img->shape.dims[3], 3);
    assert_int_equal(img->norm_type, HBC_NORM_DATA_MEAN_AND_SCALE);
    assert_int_equal(img->mean.n, 3);
    assert_true(img->mean.v[0] == 103.94 && img->mean.v[2] == 123.68);
    assert_int_equal(img->scale.n, 1);
    assert_true(img->scale.v[0] == 0.017);
    assert_string_equal(img->cal_data_dir, "/base/cal/img_f32");
    assert_int_equal(img->cal_data_type, HBC_CALDT_FLOAT32); /* from the "_f32" suffix */
    assert_int_equal(img->source, HBC_SRC_PYRAMID);
    assert_int_equal(feat->type_train, HBC_IT_FEATUREMAP);
    assert_int_equal(feat->layout_rt, HBC_LAYOUT_NCHW);
    assert_int_equal(feat->shape.rank, 2);
    assert_int_equal(feat->shape.dims[1], 16);
    assert_int_equal(feat->mean.n, 0);
    assert_int_equal(feat->scale.n, 0);
    assert_string_equal(feat->cal_data_dir, "/base/cal/feat/");
    assert_int_equal(feat->cal_data_type, HBC_CALDT_UINT8);
    assert_int_equal(feat->source, HBC_SRC_DDR); /* default for featuremap */
    assert_int_equal(cfg->input_batch, 1);

    assert_int_equal(cfg->preprocess_on, 0);
    assert_int_equal(cfg->calibration_type, HBC_CAL_MAX);
    assert_true(cfg->max_percentile == 0.99995);
    assert_int_equal(cfg->per_channel, 0);
    assert_int_equal(cfg->run_on_cpu.n, 1);
    assert_int_equal(cfg->run_on_bpu.n, 0);
    assert_int_equal(cfg->optimization.n, 3);
    assert_int_equal(cfg->optimization.v[0], HBC_OPT_SET_MODEL_OUTPUT_INT8);
    assert_int_equal(cfg->optimization.v[1], HBC_OPT_BIAS_CORRECTION);
    assert_int_equal(cfg->optimization.v[2], HBC_OPT_CHANNEL_EQUALIZATION);

    assert_int_equal(cfg->compile_mode, HBC_COMPILE_BANDWIDTH);
    assert_int_equal(cfg->debug, 1);
    assert_int_equal(cfg->optimize_level, HBC_O2);
    assert_int_equal(cfg->core_num, 1);
    assert_int_equal(cfg->max_time_per_fc, 1000);
    assert_int_equal(cfg->jobs, 4);

    assert_int_equal(cfg->custom_op_method, HBC_CUSTOM_REGISTER);
    assert_string_equal(cfg->custom_op_dir, "/base/plugins");
    assert_int_equal(cfg->op_register_files.n, 2);
    assert_string_equal(cfg->op_register_files.v[0], "/base/plugins/a.so");
    assert_string_equal(cfg->op_register_files.v[1], "/base/plugins/lib/b.so");

    assert_true(cfg->given[HBC_KEY_MARCH] && cfg->given[HBC_KEY_JOBS]);
    assert_false(cfg->given[HBC_KEY_INPUT_BATCH] || cfg->given[HBC_KEY_CORE_NUM]);

    /* The two warnings: the deprecated log_level and the layout of an nv12 input. */
    assert_int_equal(log.warnings, 2);
    assert_non_null(strstr(log.text, "WARNING model_parameters.log_level is deprecated and "
                                     "ignored"));
    assert_non_null(strstr(log.text, "WARNING input_parameters.input_layout_rt of input 'img' is "
                                     "ignored: nv12 has no layout"));
    hbc_cfg_free(cfg);
}

static const char minimal_yaml[] = "model_parameters:\n"
                                   "  caffe_model: net.caffemodel\n"
                                   "  prototxt: net.prototxt\n"
                                   "  march: bernoulli2\n"
                                   "  output_model_file_prefix: m\n"
                                   "  output_nodes: ''\n"
                                   "input_parameters:\n"
                                   "  input_name: \"\"\n"
                                   "  input_type_train: rgb\n"
                                   "  input_layout_train: NCHW\n"
                                   "  input_type_rt: rgb\n"
                                   "  input_layout_rt: ~\n"
                                   "  input_shape: ''\n"
                                   "  norm_type: no_preprocess\n"
                                   "calibration_parameters:\n"
                                   "  calibration_type: skip\n"
                                   "  run_on_cpu:\n"
                                   "compiler_parameters:\n"
                                   "  compile_mode: latency\n"
                                   "  optimize_level: O3\n";

static void test_defaults_and_empty_values(void **state)
{
    (void)state;
    hbc_cfg *cfg = load(minimal_yaml, NULL);
    assert_string_equal(cfg->caffe_model, "/base/net.caffemodel");
    assert_string_equal(cfg->prototxt, "/base/net.prototxt");
    assert_null(cfg->onnx_model);
    assert_string_equal(cfg->working_dir, "/base/model_output");
    assert_int_equal(cfg->layer_out_dump, 0);
    assert_int_equal(cfg->output_nodes.n, 0);
    assert_int_equal(cfg->debug_mode, HBC_DEBUG_NONE);
    assert_int_equal(cfg->n_inputs, 1);
    assert_null(cfg->inputs[0].name);
    assert_int_equal(cfg->inputs[0].layout_rt, HBC_LAYOUT_NHWC); /* default for rgb */
    assert_int_equal(cfg->inputs[0].shape.rank, 0);
    assert_int_equal(cfg->inputs[0].space_and_range, HBC_RANGE_REGULAR);
    assert_int_equal(cfg->inputs[0].source, HBC_SRC_DDR);
    assert_null(cfg->inputs[0].cal_data_dir);
    assert_int_equal(cfg->inputs[0].cal_data_type, HBC_CALDT_NONE);
    assert_int_equal(cfg->input_batch, 1);
    assert_true(cfg->max_percentile == 1.0);
    assert_int_equal(cfg->run_on_cpu.n, 0);
    assert_int_equal(cfg->core_num, 1);
    assert_int_equal(cfg->max_time_per_fc, 0);
    assert_int_equal(cfg->jobs, 0);
    assert_int_equal(cfg->custom_op_method, HBC_CUSTOM_NONE);
    assert_false(cfg->given[HBC_KEY_INPUT_NAME] || cfg->given[HBC_KEY_INPUT_SHAPE] ||
                 cfg->given[HBC_KEY_WORKING_DIR]);
    hbc_cfg_free(cfg);
}

/* YAML 1.1 spellings of booleans, in any case. */
static void test_booleans(void **state)
{
    (void)state;
    static const struct {
        const char *word;
        int value;
    } words[] = {{"True", 1}, {"false", 0}, {"YES", 1}, {"no", 0}, {"On", 1}, {"off", 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char text[sizeof minimal_yaml + 64];
        snprintf(text, sizeof text, "%s", minimal_yaml);
        char *at = strstr(text, "  output_nodes: ''\n");
        assert_non_null(at);
        snprintf(at, sizeof text - (size_t)(at - text), "  layer_out_dump: %s\n%s", words[i].word,
                 strstr(minimal_yaml, "input_parameters:"));
        hbc_cfg *cfg = load(text, NULL);
        assert_int_equal(cfg->layer_out_dump, words[i].value);
        hbc_cfg_free(cfg);
    }
}

static void test_warnings(void **state)
{
    (void)state;
    captured log = {.len = 0};
    hbc_logger lg = {capture, &log, HBC_LOG_DEBUG};
    char text[sizeof minimal_yaml + 128];
    snprintf(text, sizeof text, "%s", minimal_yaml);
    char *at = strstr(text, "  run_on_cpu:\n");
    assert_non_null(at);
    snprintf(at, sizeof text - (size_t)(at - text), "  max_percentile: 0.9\n%s",
             strstr(minimal_yaml, "compiler_parameters:"));
    hbc_cfg *cfg = load(text, &lg);
    assert_int_equal(log.warnings, 1);
    assert_non_null(strstr(log.text, "WARNING calibration_parameters.max_percentile is ignored: it "
                                     "is used with calibration_type max only"));
    hbc_cfg_free(cfg);

    /* A logger at WARNING drops DEBUG lines without formatting them. */
    captured quiet = {.len = 0};
    hbc_logger lq = {capture, &quiet, HBC_LOG_WARNING};
    cfg = load(full_yaml, &lq);
    hbc_cfg_log(cfg, &lq, HBC_LOG_DEBUG);
    assert_null(strstr(quiet.text, "DEBUG "));
    assert_null(strstr(quiet.text, "#############"));
    assert_int_equal(quiet.warnings, 2);
    hbc_cfg_free(cfg);
}

static void test_dump(void **state)
{
    (void)state;
    captured log = {.len = 0};
    hbc_logger lg = {capture, &log, HBC_LOG_DEBUG};
    hbc_cfg *cfg = load(full_yaml, NULL);
    hbc_cfg_log(cfg, &lg, HBC_LOG_INFO);
    static const char *const expect[] = {
        "INFO config file: cfg.yaml\n",
        "INFO ############# model_parameters info #############\n",
        "INFO march                     : bayes-e\n",
        "INFO onnx_model                : /base/models/net.onnx\n",
        "INFO layer_out_dump            : True\n",
        "INFO remove_node_type          : Quantize;Dequantize;Transpose\n",
        "INFO node_info                 : conv1: {ON: CPU}; conv2: {ON: none}\n",
        "INFO log_level                 : 2\n",
        "INFO ############# input_parameters info #############\n",
        "INFO input_type_rt             : nv12 [input 'img']\n",
        "INFO input_shape               : 1x16 [input 'feat']\n",
        "INFO mean_value                : 103.94 116.78 123.68 [input 'img']\n",
        "INFO mean_value                : None [input 'feat']\n",
        "INFO input_batch               : 1 (default)\n",
        "INFO ############# calibration_parameters info #############\n",
        "INFO cal_data_type             : float32 (derived) [input 'img']\n",
        "INFO max_percentile            : 0.99995\n",
        "INFO ############# compiler_parameters info #############\n",
        "INFO input_source              : pyramid [input 'img']\n",
        "INFO input_source              : ddr [input 'feat']\n",
        "INFO ############# custom_op info #############\n",
        "INFO prototxt                  : None (not given)\n",
        "INFO op_register_files         : /base/plugins/a.so;/base/plugins/lib/b.so\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (!strstr(log.text, expect[i]))
            fail_msg("dump lacks \"%s\"; dump:\n%s", expect[i], log.text);
    assert_null(strstr(log.text, "std_value")); /* refused keys are not dumped */
    hbc_cfg_free(cfg);

    /* Without custom_op and log_level, neither appears. */
    captured small = {.len = 0};
    hbc_logger ls = {capture, &small, HBC_LOG_DEBUG};
    cfg = load(minimal_yaml, NULL);
    hbc_cfg_log(cfg, &ls, HBC_LOG_DEBUG);
    assert_null(strstr(small.text, "custom_op"));
    assert_null(strstr(small.text, "log_level"));
    assert_non_null(strstr(small.text, "DEBUG working_dir               : /base/model_output "
                                       "(default)\n"));
    hbc_cfg_free(cfg);
}

#define TMP HB_BINARY_DIR "/tests/cfg_tmp"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void test_file_and_paths(void **state)
{
    (void)state;
    char err[1024] = "";
    hbc_cfg *cfg = NULL;
    mkdir(HB_BINARY_DIR "/tests", 0777);
    mkdir(TMP, 0777);
    remove(TMP "/model.onnx");
    rmdir(TMP "/cal");
    write_file(TMP "/cfg.yaml", "model_parameters:\n"
                                "  onnx_model: model.onnx\n"
                                "  march: bayes\n"
                                "  output_model_file_prefix: m\n"
                                "input_parameters:\n"
                                "  input_type_train: gray\n"
                                "  input_layout_train: NCHW\n"
                                "  input_type_rt: gray\n"
                                "  norm_type: data_scale\n"
                                "  scale_value: 0.0039\n"
                                "calibration_parameters:\n"
                                "  cal_data_dir: cal\n"
                                "  calibration_type: kl\n"
                                "compiler_parameters:\n"
                                "  compile_mode: latency\n"
                                "  optimize_level: O3\n");
    assert_int_equal(hbc_cfg_load_file(TMP "/cfg.yaml", NULL, &cfg, err, sizeof err), HBG_OK);
    assert_string_equal(cfg->path, TMP "/cfg.yaml");
    assert_string_equal(cfg->base_dir, TMP);
    assert_string_equal(cfg->onnx_model, TMP "/model.onnx");
    assert_string_equal(cfg->inputs[0].cal_data_dir, TMP "/cal");
    assert_int_equal(cfg->inputs[0].source, HBC_SRC_PYRAMID); /* default for gray */

    assert_int_equal(hbc_cfg_check_files(cfg, err, sizeof err), HBG_E_IO);
    assert_non_null(strstr(err, TMP "/cfg.yaml: model_parameters.onnx_model: cannot access '" TMP
                                    "/model.onnx': No such file or directory"));
    write_file(TMP "/model.onnx", "x");
    assert_int_equal(hbc_cfg_check_files(cfg, err, sizeof err), HBG_E_IO);
    assert_non_null(strstr(
        err, "calibration_parameters.cal_data_dir of input #1: cannot access '" TMP "/cal'"));
    write_file(TMP "/cal", "not a folder");
    assert_int_equal(hbc_cfg_check_files(cfg, err, sizeof err), HBG_E_IO);
    assert_non_null(strstr(err, "'" TMP "/cal' is not a folder"));
    remove(TMP "/cal");
    assert_int_equal(mkdir(TMP "/cal", 0777), 0);
    assert_int_equal(hbc_cfg_check_files(cfg, err, sizeof err), HBG_OK);
    hbc_cfg_free(cfg);

    cfg = (hbc_cfg *)1;
    assert_int_equal(hbc_cfg_load_file(TMP "/absent.yaml", NULL, &cfg, err, sizeof err), HBG_E_IO);
    assert_null(cfg);
    assert_non_null(strstr(err, TMP "/absent.yaml: cannot open the config file: No such file"));
    hbc_cfg_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),     cmocka_unit_test(test_defaults_and_empty_values),
        cmocka_unit_test(test_booleans), cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_dump),     cmocka_unit_test(test_file_and_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
