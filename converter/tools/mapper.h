/* hb_mapper internals shared by its files: parsed options, exit statuses, the commands. */
#ifndef HB_MAPPER_H
#define HB_MAPPER_H

#include "bpu/march.h"
#include "hbc/config.h"
#include "hbc/log.h"
#include "hbg/graph.h"

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
    OPT_FAST_PERF,
    OPT_CUSTOM_OP,
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
    MAPPER_FAILED = 1, /* the model or config is wrong, or uses what we do not support */
    MAPPER_USAGE = 2,  /* wrong command line */
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

/* What the float stage hands to makertbin's later stages. */
typedef struct mapper_float {
    hbg_graph *g;       /* the optimized float graph (shapes inferred); owned */
    int n_nodes;        /* nodes placed (= g->n_nodes) */
    unsigned char *bpu; /* per node: 1 on the BPU; owned */
    int *subgraph;      /* per node: BPU subgraph id, -1 on the CPU; owned */
} mapper_float;

/* The float stage: load, shapes, preprocess nodes (cfg), <prefix>_original_float_model.onnx,
 * optimisation, <prefix>_optimized_float_model.onnx, placement and the node table (printed at
 * INFO when out is NULL, as checker does; at DEBUG otherwise, since makertbin prints it later
 * with the accuracy columns). Returns an exit status; on MAPPER_OK and out != NULL, *out holds
 * the optimized graph and its placement (release with mapper_float_free). */
int mapper_float_stage(const mapper_stage *st, const hbc_logger *lg, mapper_float *out);
void mapper_float_free(mapper_float *f);
/* Place f->g again with the config's requests plus CPU requests for the nodes named in
 * cpu[0..n_cpu-1] (ones the quantizer cannot run on the BPU, or the output side it leaves float:
 * docs/quantized-ops.md section 7), replacing f's arrays; logs the
 * summary at INFO and the table at DEBUG. Returns 0, or -1 after an ERROR. */
int mapper_replace(const mapper_stage *st, mapper_float *f, const char *const *cpu, int n_cpu,
                   const hbc_logger *lg);

/* <working_dir>/<prefix>_<what><ext> into path; -1 (after an ERROR) when it does not fit. */
int mapper_artifact_path(char *path, size_t size, const mapper_stage *st, const char *what,
                         const char *ext, const hbc_logger *lg);
/* Write g as <working_dir>/<prefix>_<what>.onnx (temporary name + rename), logging "Saving model
 * to: ...". Returns 0 or -1 after an ERROR. */
int mapper_save_artifact(const hbg_graph *g, const mapper_stage *st, const char *what,
                         const hbc_logger *lg);

/* mkdir -p: 0, or -1 with errno set. */
int mapper_make_dirs(const char *path);

/* Load the config of -c/--config, check its files, check it against --model-type (*mt) and log
 * it; *cfg is NULL unless MAPPER_OK is returned. */
int mapper_load_config(const mapper_args *a, const hbc_logger *lg, mapper_model_type *mt,
                       hbc_cfg **cfg);

/* hb_mapper makertbin and infer (mapper_makertbin.c, mapper_infer.c): exit statuses. */
int mapper_makertbin(const mapper_args *a, const hbc_logger *lg);
int mapper_infer(const mapper_args *a, const hbc_logger *lg);
/* The --model-type spelling of t. */
const char *mapper_model_type_name(mapper_model_type t);

/* hb_mapper checker: returns an exit status. */
int mapper_checker(const mapper_args *a, const hbc_logger *lg);

#endif /* HB_MAPPER_H */
