/* hb_mapper internals shared by its files: parsed options, exit statuses, the commands. */
#ifndef HB_MAPPER_H
#define HB_MAPPER_H

#include "bpu/march.h"
#include "hbc/config.h"
#include "hbc/log.h"

/* Options of every command; which command takes which is in hb_mapper.c's option table. */
typedef enum mapper_opt {
    OPT_HELP,
    OPT_CONFIG,
    OPT_MODEL_TYPE,
    OPT_PROTO,
    OPT_MODEL,
    OPT_MARCH,
    OPT_INPUT_SHAPE,
    OPT_OUTPUT,
    OPT_MODEL_FILE,
    OPT_IMAGE_FILE,
    OPT_INPUT_LAYOUT,
    OPT_OUTPUT_DIR,
    OPT_COUNT
} mapper_opt;

#define MAPPER_MAX_PAIRS 64

typedef struct mapper_args {
    const char *val[OPT_COUNT]; /* value of a one-argument option, or NULL */
    int n_pairs[OPT_COUNT];     /* two-argument options (--input-shape NAME SHAPE), repeatable */
    const char *pairs[OPT_COUNT][MAPPER_MAX_PAIRS][2];
} mapper_args;

/* Exit statuses. */
enum {
    MAPPER_OK = 0,
    MAPPER_FAILED = 1,          /* the model or config is wrong, or uses what we do not support */
    MAPPER_USAGE = 2,           /* wrong command line */
    MAPPER_NOT_IMPLEMENTED = 3, /* a stage that does not exist yet */
};

typedef enum mapper_model_type { MODEL_ONNX, MODEL_CAFFE, MODEL_TYPE_COUNT } mapper_model_type;

/* --model-type value: returns 0 and sets *t, or logs an error naming the allowed values and
 * returns -1 (also for a missing option). */
int mapper_parse_model_type(const char *s, const hbc_logger *lg, mapper_model_type *t);

/* Where checker writes its float models (in the working directory of the command). */
#define MAPPER_CHECK_DIR ".hb_check"

/* What the float stage works on (mapper_checker.c). */
typedef struct mapper_stage {
    mapper_model_type type;
    const char *model, *proto; /* the .onnx or .caffemodel, the .prototxt (Caffe) */
    bpu_march_id march;
    const hbc_cfg *cfg;      /* makertbin's config (inputs, preprocess, placement), or NULL */
    const mapper_args *args; /* checker's options (--input-shape), or NULL */
    const char *working_dir; /* created if missing */
    const char *prefix;      /* artifacts are <working_dir>/<prefix>_*.onnx */
} mapper_stage;

/* The float stage: load, shapes, preprocess nodes (cfg), <prefix>_original_float_model.onnx,
 * optimisation, <prefix>_optimized_float_model.onnx, placement and the node table. Returns an
 * exit status. */
int mapper_float_stage(const mapper_stage *st, const hbc_logger *lg);

/* hb_mapper checker: returns an exit status. */
int mapper_checker(const mapper_args *a, const hbc_logger *lg);

#endif /* HB_MAPPER_H */
