/* hb_model_info: what a .bin holds (interface notes 4.2, docs/tools.md).
 *
 *   hb_model_info [-m NAME] [--disasm] MODEL.bin
 *
 * Prints the file's format and toolchain versions and march, then per model (or the one -m
 * names) its inputs and outputs (shapes, types, layouts, quantisation), preprocess records (with
 * the uint8 image type libdnn takes for an image input), the
 * conversion parameters hb_mapper recorded (config keys, march, versions), its blobs, and with
 * --disasm the BPU programs, one disassembled instruction a line (the simulator's disassembler).
 *
 * Exit: 0 success, 1 a file that does not open or a program that does not load, 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpu/sim.h"
#include "dnn/hb_dnn.h"
#include "hb_bin/bin_reader.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Scales printed per tensor before "..." (the count is always printed). */
#define SCALES_SHOWN 8

static const char *const type_names[HB_DNN_TENSOR_TYPE_MAX] = {
    [HB_DNN_IMG_TYPE_Y] = "HB_DNN_IMG_TYPE_Y",
    [HB_DNN_IMG_TYPE_NV12] = "HB_DNN_IMG_TYPE_NV12",
    [HB_DNN_IMG_TYPE_NV12_SEPARATE] = "HB_DNN_IMG_TYPE_NV12_SEPARATE",
    [HB_DNN_IMG_TYPE_YUV444] = "HB_DNN_IMG_TYPE_YUV444",
    [HB_DNN_IMG_TYPE_RGB] = "HB_DNN_IMG_TYPE_RGB",
    [HB_DNN_IMG_TYPE_BGR] = "HB_DNN_IMG_TYPE_BGR",
    [HB_DNN_TENSOR_TYPE_S4] = "HB_DNN_TENSOR_TYPE_S4",
    [HB_DNN_TENSOR_TYPE_U4] = "HB_DNN_TENSOR_TYPE_U4",
    [HB_DNN_TENSOR_TYPE_S8] = "HB_DNN_TENSOR_TYPE_S8",
    [HB_DNN_TENSOR_TYPE_U8] = "HB_DNN_TENSOR_TYPE_U8",
    [HB_DNN_TENSOR_TYPE_F16] = "HB_DNN_TENSOR_TYPE_F16",
    [HB_DNN_TENSOR_TYPE_S16] = "HB_DNN_TENSOR_TYPE_S16",
    [HB_DNN_TENSOR_TYPE_U16] = "HB_DNN_TENSOR_TYPE_U16",
    [HB_DNN_TENSOR_TYPE_F32] = "HB_DNN_TENSOR_TYPE_F32",
    [HB_DNN_TENSOR_TYPE_S32] = "HB_DNN_TENSOR_TYPE_S32",
    [HB_DNN_TENSOR_TYPE_U32] = "HB_DNN_TENSOR_TYPE_U32",
    [HB_DNN_TENSOR_TYPE_F64] = "HB_DNN_TENSOR_TYPE_F64",
    [HB_DNN_TENSOR_TYPE_S64] = "HB_DNN_TENSOR_TYPE_S64",
    [HB_DNN_TENSOR_TYPE_U64] = "HB_DNN_TENSOR_TYPE_U64",
};
static const char *const quant_names[HBBIN_QUANT_COUNT] = {
    [HBBIN_QUANT_NONE] = "NONE", [HBBIN_QUANT_SHIFT] = "SHIFT", [HBBIN_QUANT_SCALE] = "SCALE"};
static const char *const source_names[HBBIN_INPUT_SOURCE_COUNT] = {
    "HB_DNN_INPUT_FROM_DDR", "HB_DNN_INPUT_FROM_RESIZER", "HB_DNN_INPUT_FROM_PYRAMID"};
static const char *const it_names[HBBIN_IT_COUNT] = {
    [HBBIN_IT_RGB] = "rgb",   [HBBIN_IT_BGR] = "bgr",   [HBBIN_IT_YUV444] = "yuv444",
    [HBBIN_IT_NV12] = "nv12", [HBBIN_IT_GRAY] = "gray", [HBBIN_IT_FEATUREMAP] = "featuremap"};
/* hbDNNDataType libdnn reports for an input whose preprocess has this type_rt (docs/bin-model.md
 * section 8); -1: the tensor record's type (featuremap). */
static const int32_t it_user_type[HBBIN_IT_COUNT] = {
    [HBBIN_IT_RGB] = HB_DNN_IMG_TYPE_RGB,       [HBBIN_IT_BGR] = HB_DNN_IMG_TYPE_BGR,
    [HBBIN_IT_YUV444] = HB_DNN_IMG_TYPE_YUV444, [HBBIN_IT_NV12] = HB_DNN_IMG_TYPE_NV12,
    [HBBIN_IT_GRAY] = HB_DNN_IMG_TYPE_Y,        [HBBIN_IT_FEATUREMAP] = -1};
static const char *const blob_names[HBBIN_SEC_LAYER_MAP - HBBIN_SEC_BPU_PROGRAM + 1] = {
    "BPU_PROGRAM", "CONSTANTS", "CPU_SUBGRAPH", "SCHEDULE", "LAYER_MAP"};

static const char *layout_name(uint32_t l)
{
    return l == HBBIN_LAYOUT_NHWC   ? "HB_DNN_LAYOUT_NHWC"
           : l == HBBIN_LAYOUT_NCHW ? "HB_DNN_LAYOUT_NCHW"
                                    : "HB_DNN_LAYOUT_NONE";
}

static void dims(const char *label, uint32_t n, const int32_t *d)
{
    printf("  %-18s: (", label);
    for (uint32_t i = 0; i < n; i++)
        printf("%d,", d[i]);
    printf(")\n");
}

static void tensor(const hbbin_tensor *t, int is_input)
{
    printf("  name              : %s\n", t->name);
    if (is_input)
        printf("  input source      : %s\n",
               t->input_source < HBBIN_INPUT_SOURCE_COUNT ? source_names[t->input_source] : "?");
    dims("valid shape", t->valid_ndim, t->valid_dims);
    dims("aligned shape", t->aligned_ndim, t->aligned_dims);
    dims("stride", t->valid_ndim, t->stride);
    printf("  aligned byte size : %u\n", t->aligned_byte_size);
    printf("  tensor type       : %s\n",
           t->data_type < HB_DNN_TENSOR_TYPE_MAX ? type_names[t->data_type] : "?");
    printf("  tensor layout     : %s\n", layout_name(t->layout));
    printf("  quanti type       : %s\n",
           (unsigned)t->quant_type < HBBIN_QUANT_COUNT ? quant_names[t->quant_type] : "?");
    if (t->quant_type == HBBIN_QUANT_NONE)
        return;
    printf("  quantizeAxis      : %d\n", t->quant_axis);
    printf("  %s data (%u)%s: ", t->quant_type == HBBIN_QUANT_SCALE ? "scale" : "shift",
           t->quant_count, t->quant_count < 10 ? "    " : "   ");
    for (uint32_t i = 0; i < t->quant_count && i < SCALES_SHOWN; i++) {
        if (t->quant_type == HBBIN_QUANT_SCALE)
            printf("%.9g,", (double)t->scales[i]);
        else
            printf("%u,", t->shifts[i]);
    }
    printf("%s\n", t->quant_count > SCALES_SHOWN ? "..." : "");
    if (t->zero_point_count) {
        printf("  zero points       : ");
        for (uint32_t i = 0; i < t->zero_point_count && i < SCALES_SHOWN; i++)
            printf("%d,", t->zero_points[i]);
        printf("%s\n", t->zero_point_count > SCALES_SHOWN ? "..." : "");
    }
}

/* Disassemble BPU_PROGRAM blob b: one line per instruction, "  [index] text". */
static int disasm(const hbbin_blob *b, bpu_march_id march, const char *model)
{
    bpu_program *p = NULL;
    bpu_error e = {0};
    char line[1024];
    if (bpu_program_load(b->data, (size_t)b->size, march, &p, &e) != BPU_OK) {
        fprintf(stderr, "ERROR model %s: BPU program %u does not load: instruction %lld: %s\n",
                model, b->id, (long long)e.insn, e.msg);
        return -1;
    }
    size_t n = bpu_program_size(p);
    printf("---------BPU program %u: %zu instructions, %llu cycles estimated---------\n", b->id, n,
           (unsigned long long)bpu_program_estimate(p)->cycles);
    for (size_t i = 0; i < n; i++) {
        bpu_disasm(bpu_program_insn(p, i), line, sizeof line);
        printf("  [%5zu] %s\n", i, line);
    }
    bpu_program_free(p);
    return 0;
}

/* The type libdnn reports for input i of m: the image type of its preprocess, or the record's. */
static uint32_t input_type(const hbbin_model *m, uint32_t i)
{
    for (uint32_t k = 0; k < m->preprocess_count; k++)
        if (m->preprocess[k].input == i && it_user_type[m->preprocess[k].type_rt] >= 0)
            return (uint32_t)it_user_type[m->preprocess[k].type_rt];
    return m->inputs[i].data_type;
}

static int model_info(const hbbin_model *m, bpu_march_id march, int dis)
{
    printf("******** %s info *********\n", m->name);
    printf("############# conversion parameters #############\n");
    if (!m->param_count)
        printf("  (none recorded)\n");
    for (uint32_t i = 0; i < m->param_count; i++)
        printf("  %-40s: %s\n", m->params[i].key, m->params[i].value);
    for (uint32_t i = 0; i < m->input_count; i++) {
        printf("---------input info : %s ---------\n", m->inputs[i].name);
        tensor(&m->inputs[i], 1);
    }
    for (uint32_t i = 0; i < m->output_count; i++) {
        printf("---------output info : %s ---------\n", m->outputs[i].name);
        tensor(&m->outputs[i], 0);
    }
    for (uint32_t i = 0; i < m->preprocess_count; i++) {
        const hbbin_preprocess *p = &m->preprocess[i];
        printf("---------preprocess of input %u ---------\n", p->input);
        printf("  input_type_rt     : %s\n", it_names[p->type_rt]);
        printf("  input_space&range : %s\n", p->yuv_range ? "bt601_video" : "regular");
        printf("  input_type_train  : %s\n", it_names[p->type_train]);
        printf("  input_layout_train: %s\n", layout_name(p->layout_train));
        printf("  mean_value        : ");
        for (uint32_t c = 0; c < p->channels; c++)
            printf("%.9g,", (double)p->mean[c]);
        printf("\n  scale_value       : ");
        for (uint32_t c = 0; c < p->channels; c++)
            printf("%.9g,", (double)p->scale[c]);
        printf("\n");
        if (it_user_type[p->type_rt] >= 0)
            printf("  runtime input     : %s (uint8 image; libdnn makes the F32 input above "
                   "from it: pixel - 128)\n",
                   type_names[it_user_type[p->type_rt]]);
    }
    printf("---------blobs ---------\n");
    for (uint32_t i = 0; i < m->blob_count; i++)
        printf("  %-12s %3u: %llu bytes\n", blob_names[m->blobs[i].kind - HBBIN_SEC_BPU_PROGRAM],
               m->blobs[i].id, (unsigned long long)m->blobs[i].size);
    printf("model input types : [");
    for (uint32_t i = 0; i < m->input_count; i++)
        printf("%s%s", i ? ", " : "", type_names[input_type(m, i)]);
    printf("]\nmodel output types : [");
    for (uint32_t i = 0; i < m->output_count; i++)
        printf("%s%s", i ? ", " : "", type_names[m->outputs[i].data_type]);
    printf("]\n");
    if (!dis)
        return 0;
    for (uint32_t i = 0; i < m->blob_count; i++)
        if (m->blobs[i].kind == HBBIN_SEC_BPU_PROGRAM && disasm(&m->blobs[i], march, m->name) != 0)
            return -1;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: hb_model_info [-m NAME] [--disasm] MODEL.bin\n"
               "  -m NAME    only the model NAME of a packed .bin\n"
               "  --disasm   also disassemble the BPU programs\n");
}

int main(int argc, char **argv)
{
    const char *bin = NULL, *name = NULL;
    int dis = 0, rc = EXIT_FAIL, shown = 0;
    char err[512];
    hbbin_file *f = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("hb_model_info version %s\n", HB_VERSION);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "-m") && i + 1 < argc) {
            name = argv[++i];
        } else if (!strcmp(argv[i], "--disasm")) {
            dis = 1;
        } else if (argv[i][0] == '-' || bin) {
            fprintf(stderr, "ERROR unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        } else {
            bin = argv[i];
        }
    }
    if (!bin) {
        usage(stderr);
        return EXIT_USAGE;
    }
    printf("Start hb_model_info....\nhb_model_info version %s\n", HB_VERSION);
    if (hbbin_open_file(bin, &f, err, sizeof err) != HBBIN_OK) {
        fprintf(stderr, "ERROR %s\n", err);
        return EXIT_FAIL;
    }
    const hbbin_info *info = hbbin_file_info(f);
    const char *march = hbbin_march_name(info->march);
    printf("file              : %s\n", bin);
    printf("format version    : %u.%u\n", info->version_major, info->version_minor);
    printf("toolchain version : %u.%u.%u\n", info->toolchain[0], info->toolchain[1],
           info->toolchain[2]);
    printf("BPU march         : %s\n", march ? march : "?");
    printf("packed            : %s\n", info->flags & HBBIN_FLAG_PACKED ? "yes" : "no");
    printf("models            : %u\n", info->model_count);
    for (uint32_t i = 0; i < info->model_count; i++) {
        const hbbin_model *m = hbbin_model_at(f, i);
        if (name && strcmp(name, m->name) != 0)
            continue;
        shown++;
        if (model_info(m, (bpu_march_id)info->march, dis) != 0)
            goto out;
    }
    if (name && !shown) {
        fprintf(stderr, "ERROR %s: no model named '%s'\n", bin, name);
        goto out;
    }
    rc = EXIT_OK;
out:
    hbbin_close(f);
    return rc;
}
