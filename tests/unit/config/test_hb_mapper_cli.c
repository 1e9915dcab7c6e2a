/* The hb_mapper command line, run as a program on the fixtures of tests/data/hb_mapper: one table
 * row per case with the exit status, substrings of the console output (stdout and stderr), one
 * substring that must not appear, a substring of the log file the command writes in the working
 * directory, and a file it must write. makertbin cases that get past the config write their YAML
 * (case.yaml, model paths absolute) into the working directory first, so their artifacts land
 * there too (makertbin now ends with mo/<prefix>.bin). Usage: test_hb_mapper_cli PATH/TO/hb_mapper
 * (ctest runs it in its own folder, so the log files are fresh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define DATA  HB_SOURCE_DIR "/tests/data/hb_mapper/"
#define CAFFE HB_SOURCE_DIR "/tests/data/caffe/syn_conv/"

static const char *hb_mapper;

typedef struct cli_case {
    const char *name;
    const char *args[16];
    int rc;
    const char *out[5];  /* substrings of the console output */
    const char *not_out; /* must not be in the console output */
    const char *log;     /* log file expected in the working directory, or NULL */
    const char *log_has; /* substring of it */
    const char *needs;   /* a fixture of another part: the case is skipped without it */
    const char *yaml;    /* written to case.yaml in the working directory before the run */
    const char *writes;  /* a file the run must write (removed before the run) */
} cli_case;

/* A makertbin config for tiny.onnx (data 1x3x8x8 -> conv1 -> relu1 -> pool1 -> gap -> flatten ->
 * fc -> softmax), artifacts tiny_* in mo/; M, I, C: extra lines of model_parameters,
 * input_parameters, calibration_parameters. */
#define TINY_YAML(M, I, C)                                                                         \
    "model_parameters:\n  onnx_model: '" DATA "tiny.onnx'\n  march: 'bayes-e'\n"                   \
    "  working_dir: 'mo'\n  output_model_file_prefix: 'tiny'\n" M                                  \
    "input_parameters:\n  input_name: 'data'\n  input_type_train: 'rgb'\n"                         \
    "  input_layout_train: 'NCHW'\n  input_type_rt: 'nv12'\n"                                      \
    "  norm_type: 'data_mean_and_scale'\n  mean_value: '123.675 116.28 103.53'\n"                  \
    "  scale_value: '0.0171 0.0175 0.0174'\n" I                                                    \
    "calibration_parameters:\n  calibration_type: 'skip'\n" C                                      \
    "compiler_parameters:\n  compile_mode: 'latency'\n  optimize_level: 'O3'\n"
/* pad.onnx (conv1 -> pad1 -> conv2, featuremap input); C: extra calibration_parameters lines. */
#define PAD_YAML(C)                                                                                \
    "model_parameters:\n  onnx_model: '" DATA "pad.onnx'\n  march: 'bayes-e'\n"                    \
    "  working_dir: 'mo'\n  output_model_file_prefix: 'pad'\n"                                     \
    "input_parameters:\n  input_type_train: 'featuremap'\n  input_type_rt: 'featuremap'\n"         \
    "  norm_type: 'no_preprocess'\n"                                                               \
    "calibration_parameters:\n  calibration_type: 'skip'\n" C                                      \
    "compiler_parameters:\n  compile_mode: 'latency'\n  optimize_level: 'O3'\n"
#define MAKERTBIN "makertbin", "-c", "case.yaml", "--model-type", "onnx"
#define BIN_DONE  "INFO Convert to runtime bin file successfully!"

#define CHECKER       "checker", "--model-type", "onnx", "--march", "bayes-e", "--model"
#define CHECKER_LOG   "hb_mapper_checker.log"
#define MAKERTBIN_LOG "hb_mapper_makertbin.log"

static const cli_case cases[] = {
    {.name = "help",
     .args = {"--help"},
     .out = {"Usage: hb_mapper [OPTIONS] COMMAND [ARGS]...", "checker", "makertbin", "infer",
             "--version"}},
    {.name = "version", .args = {"--version"}, .out = {"hb_mapper, version " HB_VERSION "\n"}},
    {.name = "checker help",
     .args = {"checker", "--help"},
     .out = {"Usage: hb_mapper checker [OPTIONS]", "--model-type onnx|caffe",
             "--input-shape NAME SHAPE", "--march bernoulli2|bayes|bayes-e",
             "hb_mapper_checker.log"}},
    {.name = "makertbin help",
     .args = {"makertbin", "-h"},
     .out = {"-c, --config FILE.yaml", "--fast-perf", "--march bernoulli2|bayes|bayes-e"},
     .not_out = "--input-shape"},
    {.name = "makertbin --fast-perf",
     .args = {"makertbin", "--fast-perf", "--model", DATA "tiny.onnx", "--model-type", "onnx",
              "--march", "bernoulli2"},
     .out = {"INFO --fast-perf: a model for performance checks only",
             "WARNING calibration_type skip: thresholds come from max over",
             "INFO Saving model to: model_output/tiny_quantized_model.onnx.", BIN_DONE},
     .writes = "model_output/tiny.bin"},
    {.name = "makertbin --fast-perf without --march",
     .args = {"makertbin", "--fast-perf", "--model", DATA "tiny.onnx", "--model-type", "onnx"},
     .rc = 2,
     .out = {"ERROR --fast-perf needs --model FILE, --march bernoulli2|bayes|bayes-e"}},
    {.name = "makertbin --march with a config",
     .args = {"makertbin", "-c", DATA "good.yaml", "--model-type", "onnx", "--march", "bayes"},
     .rc = 2,
     .out = {"ERROR makertbin: --model, --march and --proto go with --fast-perf only"}},
    {.name = "no command", .args = {NULL}, .rc = 2, .out = {"Usage: hb_mapper"}},
    {.name = "unknown command",
     .args = {"convert"},
     .rc = 2,
     .out = {"hb_mapper: no such command 'convert'"}},
    {.name = "option of another command",
     .args = {"checker", "--config", "x.yaml"},
     .rc = 2,
     .out = {"hb_mapper checker: no such option: --config"}},
    {.name = "option without its value",
     .args = {"checker", "--model"},
     .rc = 2,
     .out = {"hb_mapper checker: option --model needs FILE"}},
    {.name = "checker",
     .args = {CHECKER, DATA "tiny.onnx"},
     .out = {"INFO The converted model node information:\n=====",
             "\nNode        ON   Subgraph  Type\n", "\nconv1       BPU  id(0)     Conv\n",
             "\nsoftmax     CPU  --        Softmax",
             "INFO 6 of 7 nodes on the BPU of bayes-e in 1 subgraph; 1 on the CPU"},
     .not_out = "DEBUG",
     .log = CHECKER_LOG,
     .log_has = "DEBUG node 0 'conv1' (Conv): data 1x3x8x8 float, conv1.weight 4x3x3x3 float "
                "const",
     .writes = ".hb_check/tiny_optimized_float_model.onnx"},
    {.name = "checker log file",
     .args = {CHECKER, DATA "tiny.onnx"},
     .out = {"INFO Opset version: ['ai.onnx v11']",
             "INFO Saving model to: .hb_check/tiny_original_float_model.onnx."},
     .log = CHECKER_LOG,
     .log_has = "DEBUG placement of 'softmax': Softmax: no BPU implementation",
     .writes = ".hb_check/tiny_original_float_model.onnx"},
    {.name = "checker on bernoulli2",
     .args = {"checker", "--model-type", "onnx", "--march", "bernoulli2", "--model",
              DATA "tiny.onnx"},
     .out = {"\nfc_flatten  CPU  --        Flatten\n",
             "INFO 5 of 7 nodes on the BPU of bernoulli2 in 1 subgraph; 2 on the CPU"},
     .log = CHECKER_LOG,
     .log_has = "placement of 'fc_flatten': Flatten: not supported on the BPU of bernoulli2"},
    {.name = "checker sets the batch",
     .args = {CHECKER, DATA "tiny.onnx", "--input-shape", "data", "2x3x8x8"},
     .out = {"WARNING --input-shape data: 2x3x8x8 overrides the model's shape 1x3x8x8",
             "INFO Input data: shape set to 2x3x8x8 (was 1x3x8x8)", "Model check passed"},
     .log = CHECKER_LOG,
     .log_has = "conv1.bias 4 float const -> conv1_out 2x4x8x8 float"},
    {.name = "checker needs the input shape",
     .args = {CHECKER, DATA "dynamic.onnx"},
     .rc = 1,
     .out = {"ERROR The shape of model input:data is [Nx3x8x8] which has unknown dimensions. "
             "Please specify input-shape parameter."}},
    {.name = "checker with the input shape",
     .args = {CHECKER, DATA "dynamic.onnx", "--input-shape", "data", "1x3x8x8"},
     .out = {"INFO Input data: shape set to 1x3x8x8 (was Nx3x8x8)", "Model check passed"},
     .not_out = "WARNING"},
    {.name = "checker with an unknown input",
     .args = {CHECKER, DATA "tiny.onnx", "--input-shape", "img", "1x3x8x8"},
     .rc = 1,
     .out = {"ERROR --input-shape: Input name does not exist in model file: 'img'; the inputs "
             "are: data"}},
    {.name = "checker with a bad shape",
     .args = {CHECKER, DATA "tiny.onnx", "--input-shape", "data", "1,3,8,8"},
     .rc = 1,
     .out = {"ERROR --input-shape data: '1,3,8,8' is not a shape"}},
    {.name = "checker on a missing file",
     .args = {CHECKER, DATA "missing.onnx"},
     .rc = 1,
     .out = {"ERROR " DATA "missing.onnx"},
     .not_out = "Model check passed",
     .log = CHECKER_LOG,
     .log_has = "missing.onnx"},
    {.name = "checker on unsupported operators",
     .args = {CHECKER, DATA "unsupported.onnx"},
     .rc = 1,
     .out = {"ERROR not support these cpu operators: {Hardmax, TopK}",
             "ERROR   node 'hardmax': op type Hardmax", "ERROR   node 'topk': op type TopK"},
     .not_out = "Model check passed",
     .log = CHECKER_LOG,
     .log_has = "not support these cpu operators: {Hardmax, TopK}"},
    {.name = "checker on a custom domain",
     .args = {CHECKER, DATA "custom_domain.onnx"},
     .rc = 1,
     .out = {"node 'my_op' (MyOp): domain 'com.example' is not supported"},
     .not_out = "Model check passed"},
    {.name = "checker with a wrong march",
     .args = {"checker", "--model-type", "onnx", "--march", "x9", "--model", DATA "tiny.onnx"},
     .rc = 2,
     .out = {"ERROR --march: User input march invalid: 'x9'"}},
    {.name = "checker with a wrong model type",
     .args = {"checker", "--model-type", "tflite", "--march", "bayes", "--model", DATA "tiny.onnx"},
     .rc = 2,
     .out = {"ERROR --model-type 'tflite' is not allowed; allowed: onnx, caffe"}},
    {.name = "checker caffe without prototxt",
     .args = {"checker", "--model-type", "caffe", "--march", "bayes", "--model", "x.caffemodel"},
     .rc = 2,
     .out = {"ERROR --proto FILE.prototxt is required with --model-type caffe"}},
    {.name = "checker caffe",
     .args = {"checker", "--model-type", "caffe", "--march", "bernoulli2", "--proto",
              CAFFE "net.prototxt", "--model", CAFFE "net.caffemodel"},
     .out = {"Model check passed", "The converted model node information:"},
     .not_out = "ERROR",
     .needs = CAFFE "net.caffemodel"},
    {.name = "makertbin with a bad config",
     .args = {"makertbin", "-c", DATA "bad.yaml", "--model-type", "onnx"},
     .rc = 1,
     .out = {"ERROR " DATA "bad.yaml:18:19: calibration_parameters.max_percentile: value '1.5' "
             "is out of range; allowed: 0..1",
             "ERROR yaml file parse failed. Please double check your input"},
     .not_out = "Start to compile the model",
     .log = MAKERTBIN_LOG,
     .log_has = "max_percentile: value '1.5' is out of range"},
    {.name = "makertbin with a missing model",
     .args = {"makertbin", "--config", DATA "missing_model.yaml", "--model-type", "onnx"},
     .rc = 1,
     .out = {"ERROR " DATA "missing_model.yaml: model_parameters.onnx_model: cannot access '" DATA
             "absent.onnx'"}},
    {.name = "makertbin writes the .bin",
     .yaml = TINY_YAML("", "", ""),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"INFO The config is valid: march bayes-e, onnx model " DATA "tiny.onnx, 1 input, "
             "calibration_type skip, artifacts tiny_* in ",
             "INFO Create a preprocessing operator HZ_PREPROCESS_FOR_data: input type yuv444_128 "
             "(value - 128, float), color convert from 'nv12' to 'rgb', norm_type "
             "data_mean_and_scale, layout NCHW",
             "\nHZ_PREPROCESS_FOR_data  BPU  id(0)     Conv ",
             "INFO Saving model to: mo/tiny_optimized_float_model.onnx.", BIN_DONE},
     .not_out = "#############",
     .log = MAKERTBIN_LOG,
     .log_has = "DEBUG ############# input_parameters info #############",
     .writes = "mo/tiny.bin"},
    {.name = "makertbin writes the quantized model and the report",
     .yaml = TINY_YAML("", "", ""),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"INFO Saving model to: mo/tiny_calibrated_model.onnx.",
             "INFO Saving model to: mo/tiny_quantized_model.onnx.",
             "\nNode                    ON   Subgraph  Type               Cosine Similarity  "
             "Threshold  In/Out DataType\n",
             "\nOutput  Cosine Similarity  L1 Distance  L2 Distance  Chebyshev Distance\n"
             "-----------------------------------------------------------------------\n"
             "prob    --                 --           --           --\n",
             BIN_DONE},
     .log = MAKERTBIN_LOG,
     .log_has = "DEBUG threshold of conv1_out: ",
     .writes = "mo/tiny_quant_report.json"},
    {.name = "makertbin skips channel_equalization without calibration data",
     .yaml = TINY_YAML("", "", "  optimization: 'channel_equalization'\n"),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"WARNING case.yaml: optimization channel_equalization needs calibration data; not "
             "done with calibration_type skip",
             BIN_DONE},
     .writes = "mo/tiny.bin"},
    {.name = "makertbin moves a node the quantizer cannot run to the CPU",
     .yaml = PAD_YAML(""),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"INFO 3 of 3 nodes on the BPU of bayes-e in 1 subgraph; 0 on the CPU",
             "WARNING node 'pad1' (Pad): the quantizer leaves it in float (no integer form "
             "here); it runs on the CPU",
             "INFO 2 of 3 nodes on the BPU of bayes-e in 2 subgraphs; 1 on the CPU",
             "\npad1   CPU  --        Pad ", BIN_DONE},
     .writes = "mo/pad_quantized_model.onnx"},
    {.name = "makertbin run_on_bpu of a node the quantizer cannot run",
     .yaml = PAD_YAML("  run_on_bpu: 'pad1'\n"),
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"ERROR quantisation failed: node 'pad1' (Pad) cannot run on the BPU"},
     .not_out = "Saving the accuracy report"},
    {.name = "makertbin run_on_cpu",
     .yaml = TINY_YAML("", "", "  run_on_cpu: 'relu1'\n"),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"\nconv1                   BPU  id(0)     Conv ",
             "\nrelu1                   CPU  --        Relu ",
             "\npool1                   BPU  id(1)     MaxPool ", "in 2 subgraphs; 2 on the CPU",
             BIN_DONE},
     .writes = "mo/tiny_subgraph_1.json"},
    {.name = "makertbin node_info wins over run_on_cpu",
     .yaml = TINY_YAML("  node_info: {relu1: {ON: 'BPU'}}\n", "", "  run_on_cpu: 'relu1'\n"),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"\nrelu1                   BPU  id(0)     Relu ", "in 1 subgraph; 1 on the CPU"}},
    {.name = "makertbin run_on_bpu of a CPU op",
     .yaml = TINY_YAML("", "", "  run_on_bpu: 'softmax'\n"),
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"ERROR run_on_bpu: node 'softmax' cannot run on the BPU of bayes-e: Softmax: no BPU "
             "implementation"},
     .not_out = "Start to compile the model"},
    {.name = "makertbin run_on_cpu of no node",
     .yaml = TINY_YAML("", "", "  run_on_cpu: 'conv9'\n"),
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"ERROR run_on_cpu: there is no node named 'conv9' in the model"}},
    {.name = "makertbin remove_node_type",
     .yaml = TINY_YAML("  remove_node_type: 'Softmax; Reshape'\n", "", ""),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"INFO remove_node_type: remove node softmax (Softmax); model output prob becomes "
             "fc_out",
             "INFO remove_node_type: no Reshape node next to a model output",
             "in 1 subgraph; 0 on the CPU", BIN_DONE},
     .not_out = "  Softmax"},
    {.name = "makertbin remove_node_name",
     .yaml = TINY_YAML("  remove_node_name: 'softmax'\n", "", ""),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"INFO remove_node_name: remove node softmax (Softmax); model output prob becomes "
             "fc_out"},
     .not_out = "  Softmax"},
    {.name = "makertbin remove_node_name inside",
     .yaml = TINY_YAML("  remove_node_name: 'pool1'\n", "", ""),
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"ERROR case.yaml: remove_node_name: node 'pool1' is not next to a model output"}},
    {.name = "makertbin output_nodes",
     .yaml = TINY_YAML("  output_nodes: 'pool1'\n", "", ""),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"INFO output_nodes: model output pool1_out (node pool1)",
             "INFO output_nodes: 1 output; 4 nodes no output needs removed",
             "in 1 subgraph; 0 on the CPU",
             /* the new output is the output side (docs/quantized-ops.md section 7) */
             "INFO node 'pool1' (MaxPool): output side, only CPU nodes or model outputs read it; "
             "it runs on the CPU in float",
             "\npool1                   CPU  --        MaxPool"},
     .not_out = "gap"},
    {.name = "makertbin run_on_bpu keeps an output-side node on the BPU",
     .yaml = TINY_YAML("  output_nodes: 'pool1'\n", "", "  run_on_bpu: 'pool1'\n"),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"\npool1                   BPU  id(0)     MaxPool", BIN_DONE},
     .not_out = "output side"},
    {.name = "makertbin set_model_output_int8 keeps the output side on the BPU",
     .yaml =
         TINY_YAML("  output_nodes: 'pool1'\n", "", "  optimization: 'set_model_output_int8'\n"),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"\npool1                   BPU  id(0)     MaxPool", BIN_DONE},
     .not_out = "output side"},
    {.name = "makertbin input_shape",
     .yaml = TINY_YAML("", "  input_shape: '1x3x16x16'\n", ""),
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"WARNING input_parameters.input_shape data: 1x3x16x16 overrides the model's shape "
             "1x3x8x8",
             BIN_DONE},
     .log = MAKERTBIN_LOG,
     .log_has = "conv1.bias 4 float const -> conv1_out 1x4x16x16 float"},
    {.name = "makertbin input_name of no input",
     .yaml = "model_parameters:\n  onnx_model: '" DATA "tiny.onnx'\n  march: 'bayes'\n"
             "  output_model_file_prefix: 'tiny'\n  working_dir: 'mo'\n"
             "input_parameters:\n  input_name: 'img'\n  input_type_train: 'featuremap'\n"
             "  input_type_rt: 'featuremap'\n  norm_type: 'no_preprocess'\n"
             "calibration_parameters:\n  calibration_type: 'skip'\n"
             "compiler_parameters:\n  compile_mode: 'latency'\n  optimize_level: 'O3'\n",
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"input_parameters.input_name: Input name does not exist in model file: 'img'; the "
             "inputs are: data"}},
    {.name = "makertbin featuremap input",
     .yaml = "model_parameters:\n  onnx_model: '" DATA "tiny.onnx'\n  march: 'bayes'\n"
             "  output_model_file_prefix: 'tiny'\n  working_dir: 'mo'\n"
             "input_parameters:\n  input_type_train: 'featuremap'\n"
             "  input_type_rt: 'featuremap'\n  norm_type: 'no_preprocess'\n"
             "calibration_parameters:\n  calibration_type: 'skip'\n"
             "compiler_parameters:\n  compile_mode: 'latency'\n  optimize_level: 'O3'\n",
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {"INFO Input data is a featuremap: no preprocess node", BIN_DONE},
     .not_out = "HZ_PREPROCESS"},
    {.name = "makertbin input_source",
     .yaml = TINY_YAML("", "", "") "  input_source: {data: 'resizer'}\n",
     .args = {MAKERTBIN},
     .rc = 0,
     .out = {BIN_DONE},
     .log = MAKERTBIN_LOG,
     .log_has = "DEBUG input_source              : resizer [input 'data']"},
    {.name = "makertbin input_source of another input",
     .yaml = "model_parameters:\n  onnx_model: '" DATA "tiny.onnx'\n  march: 'bayes'\n"
             "  output_model_file_prefix: 'tiny'\n  working_dir: 'mo'\n"
             "input_parameters:\n  input_type_train: 'featuremap'\n"
             "  input_type_rt: 'featuremap'\n  norm_type: 'no_preprocess'\n"
             "calibration_parameters:\n  calibration_type: 'skip'\n"
             "compiler_parameters:\n  compile_mode: 'latency'\n  optimize_level: 'O3'\n"
             "  input_source: {img: ddr}\n",
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"ERROR case.yaml: compiler_parameters.input_source: 'img' is not the model's "
             "input; it is 'data'"}},
    {.name = "makertbin set_node_data_type",
     .yaml = TINY_YAML("  set_node_data_type: 'conv1:int16'\n", "", ""),
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"model_parameters.set_node_data_type", "not supported"}},
    {.name = "makertbin with no BPU node",
     .yaml = TINY_YAML("", "",
                       "  run_on_cpu: 'HZ_PREPROCESS_FOR_data;conv1;relu1;pool1;gap;fc;"
                       "fc_flatten'\n"),
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"\nconv1                   CPU  --        Conv\n",
             "ERROR There is no node can execute on BPU in this model"},
     .not_out = "Start to compile the model"},
    {.name = "makertbin input_batch",
     .yaml = TINY_YAML("", "  input_batch: 2\n", ""),
     .args = {MAKERTBIN},
     .rc = 1,
     .out = {"ERROR case.yaml: input_parameters.input_batch is not supported yet; remove it"},
     .not_out = "Saving model"},
    {.name = "makertbin with the other model type",
     .args = {"makertbin", "-c", DATA "good.yaml", "--model-type", "caffe"},
     .rc = 1,
     .out = {"ERROR --model-type caffe, but " DATA "good.yaml gives model_parameters.onnx_model"}},
    {.name = "makertbin without a config",
     .args = {"makertbin", "--model-type", "onnx"},
     .rc = 2,
     .out = {"ERROR missing option -c/--config FILE.yaml"}},
    {.name = "infer without a model",
     .args = {"infer", "--config", DATA "good.yaml", "--model-type", "onnx"},
     .rc = 2,
     .out = {"ERROR infer needs --model-file FILE.onnx, --image-file NAME FILE (per input) and "
             "--output-dir DIR"}},
    {.name = "infer with an input the model does not have",
     .args = {"infer", "--config", DATA "good.yaml", "--model-type", "onnx", "--model-file",
              DATA "tiny.onnx", "--image-file", "img", DATA "tiny.onnx", "--output-dir", "io"},
     .rc = 1,
     .out = {"ERROR --image-file img: the model has no input named 'img'"}},
    {.name = "infer with a wrong layout",
     .args = {"infer", "--config", DATA "good.yaml", "--model-type", "onnx", "--model-file",
              DATA "tiny.onnx", "--image-file", "data", DATA "tiny.onnx", "--input-layout", "NWHC",
              "--output-dir", "io"},
     .rc = 2,
     .out = {"ERROR --input-layout 'NWHC' is not allowed; allowed: NCHW, NHWC"}},
};

/* Run hb_mapper with args; returns its exit status and the console output in *out. */
static int run(const char *const *args, char **out)
{
    size_t cap = 4096, len = 0;
    char *cmd = malloc(cap);
    assert_non_null(cmd);
    len = (size_t)snprintf(cmd, cap, "'%s'", hb_mapper);
    for (int i = 0; args[i]; i++) {
        assert_null(strchr(args[i], '\''));
        len += (size_t)snprintf(cmd + len, cap - len, " '%s'", args[i]);
        assert_true(len < cap);
    }
    snprintf(cmd + len, cap - len, " 2>&1");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0, size = 1 << 16;
    char *buf = malloc(size);
    assert_non_null(buf);
    for (size_t got; (got = fread(buf + n, 1, size - 1 - n, p)) > 0;) {
        n += got;
        if (n == size - 1) {
            size *= 2;
            buf = realloc(buf, size);
            assert_non_null(buf);
        }
    }
    buf[n] = '\0';
    int status = pclose(p);
    free(cmd);
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t size = 1 << 16, n = 0;
    char *buf = malloc(size);
    assert_non_null(buf);
    for (size_t got; (got = fread(buf + n, 1, size - 1 - n, f)) > 0;) {
        n += got;
        if (n == size - 1) {
            size *= 2;
            buf = realloc(buf, size);
            assert_non_null(buf);
        }
    }
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void run_case(void **state)
{
    const cli_case *c = *state;
    char *out = NULL;
    if (c->needs && access(c->needs, R_OK) != 0) {
        skip();
        return;
    }
    if (c->log)
        remove(c->log);
    if (c->writes)
        remove(c->writes);
    if (c->yaml) {
        FILE *f = fopen("case.yaml", "w");
        assert_non_null(f);
        assert_true(fputs(c->yaml, f) >= 0);
        assert_int_equal(fclose(f), 0);
    }
    int rc = run(c->args, &out);
    if (rc != c->rc)
        fail_msg("%s: exit status %d, expected %d; output:\n%s", c->name, rc, c->rc, out);
    for (int i = 0; i < 5 && c->out[i]; i++)
        if (!strstr(out, c->out[i]))
            fail_msg("%s: the output lacks \"%s\"; output:\n%s", c->name, c->out[i], out);
    if (c->not_out && strstr(out, c->not_out))
        fail_msg("%s: the output has \"%s\"; output:\n%s", c->name, c->not_out, out);
    if (c->log) {
        char *log = slurp(c->log);
        if (!log)
            fail_msg("%s: no log file %s", c->name, c->log);
        if (!strstr(log, c->log_has))
            fail_msg("%s: %s lacks \"%s\"; log:\n%s", c->name, c->log, c->log_has, log);
        free(log);
    }
    if (c->writes && access(c->writes, R_OK) != 0)
        fail_msg("%s: %s was not written", c->name, c->writes);
    free(out);
}

int main(int argc, char **argv)
{
    enum { N = sizeof cases / sizeof cases[0] };
    struct CMUnitTest tests[N];
    if (argc != 2) {
        fprintf(stderr, "usage: test_hb_mapper_cli PATH/TO/hb_mapper\n");
        return 2;
    }
    hb_mapper = argv[1];
    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
    return _cmocka_run_group_tests("test_hb_mapper_cli", tests, N, NULL, NULL);
}
