/* The hb_mapper command line, run as a program on the fixtures of tests/data/hb_mapper: one table
 * row per case with the exit status, substrings of the console output (stdout and stderr), one
 * substring that must not appear, and a substring of the log file the command writes in the
 * working directory. Usage: test_hb_mapper_cli PATH/TO/hb_mapper (ctest runs it in its own
 * folder, so the log files are fresh). */
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
} cli_case;

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
     .out = {"-c, --config FILE.yaml"},
     .not_out = "--march"},
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
     .out = {"INFO The model node information (BPU/CPU placement is not computed yet):\n=====",
             "\nconv1    Conv               1x4x8x8\n", "\nsoftmax  Softmax            1x10\n",
             "INFO Model check passed: 7 nodes of 7 op types (Relu x1, Conv x1, Gemm x1, MaxPool "
             "x1, GlobalAveragePool x1, Flatten x1, Softmax x1); input data 1x3x8x8, output prob "
             "1x10.",
             "INFO BPU/CPU placement is not computed yet"},
     .not_out = "DEBUG",
     .log = CHECKER_LOG,
     .log_has = "DEBUG node 0 'conv1' (Conv): data 1x3x8x8 float, conv1.weight 4x3x3x3 float "
                "const"},
    {.name = "checker log file",
     .args = {CHECKER, DATA "tiny.onnx"},
     .out = {"INFO Opset version: ['ai.onnx v11']"},
     .log = CHECKER_LOG,
     .log_has = " line No: "},
    {.name = "checker sets the batch",
     .args = {CHECKER, DATA "tiny.onnx", "--input-shape", "data", "2x3x8x8"},
     .out = {"WARNING --input-shape data: 2x3x8x8 overrides the model's shape 1x3x8x8",
             "\nconv1    Conv               2x4x8x8\n", "output prob 2x10"}},
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
     .out = {"Model check passed", "BPU/CPU placement is not computed yet"},
     .not_out = "ERROR",
     .needs = CAFFE "net.caffemodel"},
    {.name = "makertbin with a bad config",
     .args = {"makertbin", "-c", DATA "bad.yaml", "--model-type", "onnx"},
     .rc = 1,
     .out = {"ERROR " DATA "bad.yaml:18:19: calibration_parameters.max_percentile: value '1.5' "
             "is out of range; allowed: 0..1",
             "ERROR yaml file parse failed. Please double check your input"},
     .not_out = "not implemented",
     .log = MAKERTBIN_LOG,
     .log_has = "max_percentile: value '1.5' is out of range"},
    {.name = "makertbin with a missing model",
     .args = {"makertbin", "--config", DATA "missing_model.yaml", "--model-type", "onnx"},
     .rc = 1,
     .out = {"ERROR " DATA "missing_model.yaml: model_parameters.onnx_model: cannot access '" DATA
             "absent.onnx'"}},
    {.name = "makertbin refuses to go on",
     .args = {"makertbin", "--config=" DATA "good.yaml", "--model-type", "onnx"},
     .rc = 3,
     .out = {"INFO The config is valid: march bayes-e, onnx model " DATA "tiny.onnx, 1 input, "
             "calibration_type skip, artifacts tiny_* in " DATA "model_output",
             "ERROR makertbin: calibration/quantisation/compilation are not implemented yet "
             "(issues 4-6)"},
     .not_out = "#############",
     .log = MAKERTBIN_LOG,
     .log_has = "DEBUG ############# input_parameters info #############"},
    {.name = "makertbin with the other model type",
     .args = {"makertbin", "-c", DATA "good.yaml", "--model-type", "caffe"},
     .rc = 1,
     .out = {"ERROR --model-type caffe, but " DATA "good.yaml gives model_parameters.onnx_model"}},
    {.name = "makertbin without a config",
     .args = {"makertbin", "--model-type", "onnx"},
     .rc = 2,
     .out = {"ERROR missing option -c/--config FILE.yaml"}},
    {.name = "infer",
     .args = {"infer", "--config", DATA "good.yaml", "--model-type", "onnx"},
     .rc = 3,
     .out = {"ERROR infer: running the ONNX artifacts of makertbin is not implemented yet"}},
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
