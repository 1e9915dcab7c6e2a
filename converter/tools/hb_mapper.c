/* hb_mapper: the model conversion command of the reference toolchain (interface notes section 3).
 *
 *   hb_mapper checker   --model-type onnx|caffe --march M [--proto P] --model F
 *                       [--input-shape NAME SHAPE]...
 *   hb_mapper makertbin -c|--config X.yaml --model-type onnx|caffe
 *   hb_mapper makertbin --fast-perf --model F --model-type onnx|caffe --march M [--proto P]
 *   hb_mapper infer     --config X.yaml --model-type T --model-file F --image-file NAME FILE ...
 *
 * Each command logs to the console (INFO) and to hb_mapper_<command>.log in the working directory
 * (DEBUG). makertbin (mapper_makertbin.c) validates the whole config, runs the float stage
 * (mapper_checker.c), calibrates, quantises and reports accuracy, then compiles the model to
 * <prefix>.bin (mapper_compile.c, docs/tools.md). infer (mapper_infer.c) runs any of the four
 * ONNX artifacts. Exit statuses: see mapper.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hbc/config.h"
#include "mapper.h"
#include "mapper_log.h"

#ifndef HB_VERSION
#error "HB_VERSION must be defined by the build"
#endif

typedef enum mapper_cmd { CMD_CHECKER, CMD_MAKERTBIN, CMD_INFER, CMD_COUNT } mapper_cmd;

#define IN(c) (1u << (c))

static const struct {
    const char *lng, *shrt; /* "--model-type", "-c" or NULL */
    int nargs;              /* 0, 1, or 2 (repeatable) */
    unsigned cmds;          /* IN(CMD_x) bits */
    const char *metavar, *help;
} options[OPT_COUNT] = {
    [OPT_HELP] = {"--help", "-h", 0, IN(CMD_CHECKER) | IN(CMD_MAKERTBIN) | IN(CMD_INFER), "",
                  "show this text and exit"},
    [OPT_CONFIG] = {"--config", "-c", 1, IN(CMD_MAKERTBIN) | IN(CMD_INFER), "FILE.yaml",
                    "the makertbin YAML configuration (docs/hb_mapper-config.md)"},
    [OPT_MODEL_TYPE] = {"--model-type", NULL, 1,
                        IN(CMD_CHECKER) | IN(CMD_MAKERTBIN) | IN(CMD_INFER), "onnx|caffe",
                        "the kind of model"},
    [OPT_PROTO] = {"--proto", NULL, 1, IN(CMD_CHECKER) | IN(CMD_MAKERTBIN), "FILE.prototxt",
                   "Caffe network description (with --model-type caffe)"},
    [OPT_MODEL] = {"--model", NULL, 1, IN(CMD_CHECKER) | IN(CMD_MAKERTBIN), "FILE",
                   "the .onnx file, or the .caffemodel weights"},
    [OPT_MARCH] = {"--march", NULL, 1, IN(CMD_CHECKER) | IN(CMD_MAKERTBIN),
                   "bernoulli2|bayes|bayes-e", "target BPU micro-architecture"},
    [OPT_INPUT_SHAPE] = {"--input-shape", NULL, 2, IN(CMD_CHECKER), "NAME SHAPE",
                         "set input NAME to SHAPE (e.g. 1x3x224x224); repeat per input"},
    [OPT_OUTPUT] = {"--output", NULL, 1, IN(CMD_CHECKER), "FILE", "deprecated, ignored"},
    [OPT_MODEL_FILE] = {"--model-file", NULL, 1, IN(CMD_INFER), "FILE.onnx",
                        "an ONNX artifact of makertbin"},
    [OPT_IMAGE_FILE] =
        {"--image-file", NULL, 2, IN(CMD_INFER), "NAME FILE",
         "input_type_train data for input NAME: an image, .npy or raw file; repeat per input"},
    [OPT_INPUT_LAYOUT] = {"--input-layout", NULL, 1, IN(CMD_INFER), "NCHW|NHWC",
                          "layout of the image files"},
    [OPT_OUTPUT_DIR] = {"--output-dir", NULL, 1, IN(CMD_INFER), "DIR",
                        "where <output>.npy and <output>.txt go"},
    [OPT_FAST_PERF] = {"--fast-perf", NULL, 0, IN(CMD_MAKERTBIN), "",
                       "a model for performance checks only, without a config or calibration "
                       "data (with --model, --model-type, --march, --proto for Caffe)"},
    [OPT_CUSTOM_OP] = {"--custom-op", NULL, 1, IN(CMD_CHECKER), "FILE.so[;FILE.so]",
                       "custom CPU operator plugins to load first (docs/custom-ops.md)"},
};

static const char *const model_type_names[MODEL_TYPE_COUNT] = {
    [MODEL_ONNX] = "onnx", [MODEL_CAFFE] = "caffe"};

int mapper_parse_model_type(const char *s, const hbc_logger *lg, mapper_model_type *t)
{
    for (int i = 0; s && i < MODEL_TYPE_COUNT; i++) {
        if (strcmp(s, model_type_names[i]) == 0) {
            *t = (mapper_model_type)i;
            return 0;
        }
    }
    if (s)
        HBC_LOGE(lg, "--model-type '%s' is not allowed; allowed: onnx, caffe", s);
    else
        HBC_LOGE(lg, "missing option --model-type onnx|caffe");
    return -1;
}

const char *mapper_model_type_name(mapper_model_type t)
{
    return (unsigned)t < MODEL_TYPE_COUNT ? model_type_names[t] : "?";
}

static const struct {
    const char *name, *summary;
    int (*run)(const mapper_args *a, const hbc_logger *lg);
} commands[CMD_COUNT] = {
    [CMD_CHECKER] = {"checker", "check whether the model meets the requirements", mapper_checker},
    [CMD_MAKERTBIN] = {"makertbin", "convert a float model into a quantized runtime model (.bin)",
                       mapper_makertbin},
    [CMD_INFER] = {"infer", "run a makertbin ONNX artifact and dump its outputs as float vectors",
                   mapper_infer},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: hb_mapper [OPTIONS] COMMAND [ARGS]...\n\n"
               "  hb_mapper: check and convert float ONNX/Caffe models for the BPU.\n\n"
               "Options:\n"
               "  --version  show the version and exit\n"
               "  --help     show this text and exit\n\n"
               "Commands:\n");
    for (int c = 0; c < CMD_COUNT; c++)
        fprintf(f, "  %-10s %s\n", commands[c].name, commands[c].summary);
    fprintf(f, "\nRun 'hb_mapper COMMAND --help' for the options of a command.\n"
               "Exit status: 0 success, 1 the model or config is wrong or not supported, 2 wrong "
               "command line.\n");
}

static void command_usage(FILE *f, mapper_cmd c)
{
    fprintf(f, "Usage: hb_mapper %s [OPTIONS]\n\n  %s\n\nOptions:\n", commands[c].name,
            commands[c].summary);
    for (int o = 0; o < OPT_COUNT; o++) {
        char flag[64];
        if (!(options[o].cmds & IN(c)))
            continue;
        snprintf(flag, sizeof flag, "%s%s%s %s", options[o].shrt ? options[o].shrt : "",
                 options[o].shrt ? ", " : "", options[o].lng, options[o].metavar);
        fprintf(f, "  %-40s %s\n", flag, options[o].help);
    }
    fprintf(f, "\nThe log goes to hb_mapper_%s.log in the working directory.\n", commands[c].name);
}

/* Parse argv[first..] for command c into a; returns 0, or MAPPER_USAGE after a message. */
static int parse_options(int argc, char **argv, int first, mapper_cmd c, mapper_args *a)
{
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        size_t len = eq && strncmp(arg, "--", 2) == 0 ? (size_t)(eq - arg) : strlen(arg);
        int o = 0;
        while (o < OPT_COUNT &&
               !((strlen(options[o].lng) == len && strncmp(arg, options[o].lng, len) == 0) ||
                 (options[o].shrt && strcmp(arg, options[o].shrt) == 0)))
            o++;
        if (o == OPT_COUNT || !(options[o].cmds & IN(c))) {
            fprintf(stderr, "hb_mapper %s: %s: %.*s (see hb_mapper %s --help)\n", commands[c].name,
                    arg[0] == '-' ? "no such option" : "unexpected argument", (int)len, arg,
                    commands[c].name);
            return MAPPER_USAGE;
        }
        if (options[o].nargs == 0) {
            a->val[o] = "";
            continue;
        }
        int inline_value = len < strlen(arg); /* --opt=value */
        if (options[o].nargs == 1) {
            if (!inline_value && i + 1 >= argc) {
                fprintf(stderr, "hb_mapper %s: option %s needs %s\n", commands[c].name,
                        options[o].lng, options[o].metavar);
                return MAPPER_USAGE;
            }
            if (a->val[o]) {
                fprintf(stderr, "hb_mapper %s: option %s is given twice\n", commands[c].name,
                        options[o].lng);
                return MAPPER_USAGE;
            }
            a->val[o] = inline_value ? eq + 1 : argv[++i];
            continue;
        }
        if (inline_value || i + 2 >= argc || a->n_pairs[o] == MAPPER_MAX_PAIRS) {
            fprintf(stderr, "hb_mapper %s: option %s takes %s as two words, at most %d times\n",
                    commands[c].name, options[o].lng, options[o].metavar, MAPPER_MAX_PAIRS);
            return MAPPER_USAGE;
        }
        a->pairs[o][a->n_pairs[o]][0] = argv[i + 1];
        a->pairs[o][a->n_pairs[o]++][1] = argv[i + 2];
        i += 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    mapper_args args = {0};
    mapper_log ml = {0};
    char log_path[64];
    int c = 0, rc;

    if (argc < 2) {
        usage(stderr);
        return MAPPER_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return MAPPER_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("hb_mapper, version %s\n", HB_VERSION);
        return MAPPER_OK;
    }
    while (c < CMD_COUNT && strcmp(argv[1], commands[c].name) != 0)
        c++;
    if (c == CMD_COUNT) {
        fprintf(stderr,
                "hb_mapper: no such command '%s'; the commands are checker, makertbin, "
                "infer (see hb_mapper --help)\n",
                argv[1]);
        return MAPPER_USAGE;
    }
    if ((rc = parse_options(argc, argv, 2, (mapper_cmd)c, &args)) != 0)
        return rc;
    if (args.val[OPT_HELP]) {
        command_usage(stdout, (mapper_cmd)c);
        return MAPPER_OK;
    }
    snprintf(log_path, sizeof log_path, "hb_mapper_%s.log", commands[c].name);
    if (mapper_log_open(&ml, log_path) != 0)
        HBC_LOGW(&ml.logger, "cannot write the log file %s: %s; logging to the console only",
                 log_path, strerror(errno));
    HBC_LOGI(&ml.logger, "Start hb_mapper....");
    HBC_LOGI(&ml.logger, "hb_mapper version %s", HB_VERSION);
    for (int i = 0; i < argc; i++)
        HBC_LOGD(&ml.logger, "argv[%d] = %s", i, argv[i]);
    rc = commands[c].run(&args, &ml.logger);
    HBC_LOGD(&ml.logger, "exit status %d", rc);
    mapper_log_close(&ml);
    return rc;
}
