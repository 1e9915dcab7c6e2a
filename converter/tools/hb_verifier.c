/* hb_verifier: the quantized ONNX model and the .bin made from it must compute the same outputs
 * (interface notes 4.5, docs/tools.md).
 *
 *   hb_verifier -q QUANTIZED.onnx -b MODEL.bin [-m NAME] (-i FILE... | --random N SEED)
 *
 * The quantized model runs on the integer reference executor (hbc/quant.h, hbc_qexec); the .bin
 * runs through libdnn on the BPU simulator. Both get the same inputs: the -i files (.npy, or raw
 * files of exactly the input's byte size), one per model input per run, in input order; or N
 * seeded random inputs (float inputs uniform in [-128, 128), integer inputs over their type's
 * range). Every output is compared bit for bit; any difference is exit 1. The simulated BPU time
 * of the first run (libdnn's hbDNNGetTaskEstimateTime once the task is done) is printed too.
 *
 * --per-layer is refused: the .bin carries no per-layer outputs (layer_out_dump is not
 * implemented), so the first differing node cannot be named from it.
 *
 * Exit: 0 all equal, 1 a difference or an error (named), 2 usage. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "hbc/onnx_io.h"
#include "hbc/quant.h"
#include "hbg/npy.h"

enum { EXIT_OK = 0, EXIT_DIFF = 1, EXIT_USAGE = 2 };

#define MAX_FILES 4096

typedef struct opts {
    const char *onnx, *bin, *model;
    const char *files[MAX_FILES];
    int n_files;
    long n_random;
    uint64_t seed;
} opts;

/* Per output: runs compared, runs that differed, elements that differed, the first difference. */
typedef struct out_stat {
    int64_t runs_diff, elems_diff, elems;
    char first[256];
} out_stat;

/* splitmix64: the seeded generator of --random (any fixed generator would do; this one is
 * tiny and passes BigCrush). */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void fill_random(hbg_tensor *t, uint64_t *s)
{
    int64_t n = hbg_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = next_u64(s);
        switch (t->dtype) {
        case HBG_DT_F32:
            /* 24 random bits: uniform in [-128, 128) with a 2^-16 step */
            ((float *)t->data)[i] = (float)((double)(r >> 40) / 65536.0 - 128.0);
            break;
        case HBG_DT_I8:
            ((int8_t *)t->data)[i] = (int8_t)(r >> 56);
            break;
        case HBG_DT_U8:
            ((uint8_t *)t->data)[i] = (uint8_t)(r >> 56);
            break;
        case HBG_DT_I32:
            ((int32_t *)t->data)[i] = (int32_t)(int16_t)(r >> 48);
            break;
        default:
            break;
        }
    }
}

/* Read file into input tensor t: a .npy of the same element type and count, or raw bytes of
 * exactly t's size. Returns 0, or -1 after a message naming the file. */
static int load_input(const char *path, hbg_tensor *t)
{
    char err[512];
    size_t nb = (size_t)hbg_tensor_nbytes(t), n = strlen(path);
    if (n > 4 && !strcmp(path + n - 4, ".npy")) {
        hbg_tensor *x = NULL;
        if (hbg_npy_load(path, "input", &x, err, sizeof err) != HBG_OK) {
            fprintf(stderr, "ERROR %s\n", err);
            return -1;
        }
        int ok = x->dtype == t->dtype && hbg_tensor_numel(x) == hbg_tensor_numel(t);
        if (ok)
            memcpy(t->data, x->data, nb);
        else
            fprintf(stderr,
                    "ERROR %s: %s with %" PRId64 " elements, but input '%s' is %s with %" PRId64
                    "\n",
                    path, hbg_dtype_name(x->dtype), hbg_tensor_numel(x), t->name,
                    hbg_dtype_name(t->dtype), hbg_tensor_numel(t));
        hbg_tensor_free(x);
        return ok ? 0 : -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ERROR %s: cannot open\n", path);
        return -1;
    }
    size_t got = fread(t->data, 1, nb, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != nb || extra) {
        fprintf(stderr, "ERROR %s: not a .npy and not %zu raw bytes (input '%s', %s)\n", path, nb,
                t->name, hbg_dtype_name(t->dtype));
        return -1;
    }
    return 0;
}

/* The element of tensor data p at index i as text. */
static void elem_text(hbg_dtype dt, const void *p, int64_t i, char *buf, size_t len)
{
    switch (dt) {
    case HBG_DT_F32:
        snprintf(buf, len, "%.9g", (double)((const float *)p)[i]);
        break;
    case HBG_DT_I8:
        snprintf(buf, len, "%d", ((const int8_t *)p)[i]);
        break;
    case HBG_DT_U8:
        snprintf(buf, len, "%u", ((const uint8_t *)p)[i]);
        break;
    case HBG_DT_I32:
        snprintf(buf, len, "%d", ((const int32_t *)p)[i]);
        break;
    default:
        snprintf(buf, len, "?");
    }
}

static void compare(const hbg_tensor *ref, const void *bin, int run, out_stat *st)
{
    size_t es = hbg_dtype_size(ref->dtype);
    int64_t n = hbg_tensor_numel(ref), diff = 0;
    st->elems += n;
    if (!memcmp(ref->data, bin, (size_t)n * es))
        return;
    for (int64_t i = 0; i < n; i++) {
        if (!memcmp((const char *)ref->data + i * (int64_t)es, (const char *)bin + i * (int64_t)es,
                    es))
            continue;
        if (!diff && !st->first[0]) {
            char a[64], b[64];
            elem_text(ref->dtype, bin, i, a, sizeof a);
            elem_text(ref->dtype, ref->data, i, b, sizeof b);
            snprintf(st->first, sizeof st->first, "run %d [%" PRId64 "]: bin %s, reference %s", run,
                     i, a, b);
        }
        diff++;
    }
    st->elems_diff += diff;
    st->runs_diff++;
}

static int usage(FILE *f, int rc)
{
    fprintf(f, "Usage: hb_verifier -q QUANTIZED.onnx -b MODEL.bin [-m NAME]\n"
               "                   (-i FILE [-i FILE ...] | --random N SEED)\n"
               "  -q FILE          the *_quantized_model.onnx of hb_mapper makertbin\n"
               "  -b FILE          the .bin made from it\n"
               "  -m NAME          model of a packed .bin (default: the first)\n"
               "  -i FILE          input data (.npy or raw), one per model input per run\n"
               "  --random N SEED  N runs on seeded random inputs\n"
               "  --per-layer      refused: the .bin has no per-layer outputs\n");
    return rc;
}

static int parse(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, 0);
            exit(EXIT_OK);
        } else if (!strcmp(a, "--per-layer")) {
            fprintf(stderr, "ERROR --per-layer is not supported: the .bin carries no per-layer "
                            "outputs (layer_out_dump is not implemented by the compiler), so the "
                            "first differing node cannot be named\n");
            return -1;
        } else if (!strcmp(a, "-q") && i + 1 < argc) {
            o->onnx = argv[++i];
        } else if (!strcmp(a, "-b") && i + 1 < argc) {
            o->bin = argv[++i];
        } else if (!strcmp(a, "-m") && i + 1 < argc) {
            o->model = argv[++i];
        } else if (!strcmp(a, "-i") && i + 1 < argc) {
            if (o->n_files == MAX_FILES) {
                fprintf(stderr, "ERROR more than %d input files\n", MAX_FILES);
                return -1;
            }
            o->files[o->n_files++] = argv[++i];
        } else if (!strcmp(a, "--random") && i + 2 < argc) {
            char *e1, *e2;
            o->n_random = strtol(argv[i + 1], &e1, 10);
            o->seed = strtoull(argv[i + 2], &e2, 10);
            if (*e1 || *e2 || o->n_random < 1 || o->n_random > 1000000) {
                fprintf(stderr,
                        "ERROR --random N SEED: N in 1..1000000, SEED an integer; got %s %s\n",
                        argv[i + 1], argv[i + 2]);
                return -1;
            }
            i += 2;
        } else {
            fprintf(stderr, "ERROR unexpected argument '%s'\n", a);
            return -1;
        }
    }
    if (!o->onnx || !o->bin || (o->n_files == 0) == (o->n_random == 0)) {
        fprintf(stderr, "ERROR give -q, -b and either -i files or --random N SEED\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {0};
    char err[1024];
    hbg_graph *g = NULL;
    hbc_qexec *qe = NULL;
    hbPackedDNNHandle_t packed = NULL;
    hbDNNHandle_t m = NULL;
    hbDNNTensor *in = NULL, *out = NULL;
    out_stat *stat = NULL;
    int rc = EXIT_DIFF, ni = 0, no = 0, runs;
    if (parse(argc, argv, &o) != 0)
        return usage(stderr, EXIT_USAGE);

    if (hbc_onnx_load_file(o.onnx, &g, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "ERROR %s\n", err);
        goto out;
    }
    if (hbc_qexec_create(g, &qe) != HBG_OK) {
        fprintf(stderr, "ERROR %s: %s\n", o.onnx, g->err);
        goto out;
    }
    const char *files[1] = {o.bin};
    if (hbDNNInitializeFromFiles(&packed, files, 1) != 0) {
        fprintf(stderr, "ERROR %s: libdnn does not load it\n", o.bin);
        goto out;
    }
    if (!o.model) {
        const char **names;
        int32_t count;
        if (hbDNNGetModelNameList(&names, &count, packed) != 0 || count < 1)
            goto out;
        o.model = names[0];
    }
    if (hbDNNGetModelHandle(&m, packed, o.model) != 0) {
        fprintf(stderr, "ERROR %s: no model named '%s'\n", o.bin, o.model);
        goto out;
    }
    hbDNNGetInputCount(&ni, m);
    hbDNNGetOutputCount(&no, m);
    if (ni != g->n_inputs || no != g->n_outputs) {
        fprintf(stderr, "ERROR %s has %d inputs and %d outputs, %s has %d and %d\n", o.bin, ni, no,
                o.onnx, g->n_inputs, g->n_outputs);
        goto out;
    }
    if (o.n_files && o.n_files % ni) {
        fprintf(stderr, "ERROR %d input files for a model of %d inputs: give %d per run\n",
                o.n_files, ni, ni);
        goto out;
    }
    in = calloc((size_t)ni, sizeof *in);
    out = calloc((size_t)no, sizeof *out);
    stat = calloc((size_t)no, sizeof *stat);
    if (!in || !out || !stat) {
        fprintf(stderr, "ERROR out of memory\n");
        goto out;
    }
    /* Tensors of the .bin must be the graph's, dense (what the packer writes). */
    for (int k = 0; k < ni + no; k++) {
        int is_in = k < ni, i = is_in ? k : k - ni;
        hbDNNTensor *t = is_in ? &in[i] : &out[i];
        const hbg_tensor *gt = g->tensors[is_in ? g->inputs[i] : g->outputs[i]];
        const char *name = NULL;
        if (is_in) {
            hbDNNGetInputTensorProperties(&t->properties, m, i);
            hbDNNGetInputName(&name, m, i);
        } else {
            hbDNNGetOutputTensorProperties(&t->properties, m, i);
            hbDNNGetOutputName(&name, m, i);
        }
        if (!name || strcmp(name, gt->name) != 0 ||
            t->properties.alignedByteSize != (int32_t)hbg_tensor_nbytes(gt)) {
            fprintf(stderr,
                    "ERROR %s %s %d is '%s' of %d bytes; %s has '%s' of %lld bytes: not the "
                    "model this .bin was made from, or a padded layout hb_verifier does not "
                    "compare\n",
                    o.bin, is_in ? "input" : "output", i, name ? name : "?",
                    t->properties.alignedByteSize, o.onnx, gt->name,
                    (long long)hbg_tensor_nbytes(gt));
            goto out;
        }
        if (hbSysAllocCachedMem(&t->sysMem[0], (uint32_t)t->properties.alignedByteSize) != 0) {
            fprintf(stderr, "ERROR out of memory\n");
            goto out;
        }
    }
    runs = o.n_files ? o.n_files / ni : (int)o.n_random;
    uint64_t seed = o.seed;
    for (int r = 0; r < runs; r++) {
        for (int i = 0; i < ni; i++) {
            hbg_tensor *gt = g->tensors[g->inputs[i]];
            if (o.n_files) {
                if (load_input(o.files[r * ni + i], gt) != 0)
                    goto out;
            } else {
                fill_random(gt, &seed);
            }
            memcpy(in[i].sysMem[0].virAddr, gt->data, (size_t)hbg_tensor_nbytes(gt));
            hbSysFlushMem(&in[i].sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
        }
        hbDNNTaskHandle_t task = NULL;
        hbDNNInferCtrlParam ctrl;
        HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
        int32_t us = 0;
        int st = hbDNNInfer(&task, &out, in, m, &ctrl);
        if (st == 0)
            st = hbDNNWaitTaskDone(task, 0);
        if (st == 0 && r == 0)
            st = hbDNNGetTaskEstimateTime(&us, task);
        if (task)
            hbDNNReleaseTask(task);
        if (st != 0) {
            fprintf(stderr, "ERROR %s: run %d failed: %s\n", o.bin, r, hbDNNGetErrorDesc(st));
            goto out;
        }
        if (r == 0)
            printf("simulated BPU time per frame: %d us (run 0)\n", us);
        /* the reference: the executor reads the inputs written into the graph above */
        if (hbc_qexec_run(qe) != HBG_OK) {
            fprintf(stderr, "ERROR %s: run %d: %s\n", o.onnx, r, g->err);
            goto out;
        }
        for (int k = 0; k < no; k++) {
            hbSysFlushMem(&out[k].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
            compare(g->tensors[g->outputs[k]], out[k].sysMem[0].virAddr, r, &stat[k]);
        }
    }
    int differ = 0;
    for (int k = 0; k < no; k++) {
        const hbg_tensor *gt = g->tensors[g->outputs[k]];
        if (!stat[k].runs_diff) {
            printf("output %s (%s): equal bit for bit on %d input%s (%" PRId64 " elements)\n",
                   gt->name, hbg_dtype_name(gt->dtype), runs, runs == 1 ? "" : "s", stat[k].elems);
            continue;
        }
        differ = 1;
        printf("output %s (%s): DIFFERS on %" PRId64 " of %d inputs, %" PRId64 " of %" PRId64
               " elements; first: %s\n",
               gt->name, hbg_dtype_name(gt->dtype), stat[k].runs_diff, runs, stat[k].elems_diff,
               stat[k].elems, stat[k].first);
    }
    printf("%s\n", differ ? "Quantized onnx and bin result check FAILED"
                          : "Quantized onnx and bin result Strict check PASSED");
    rc = differ ? EXIT_DIFF : EXIT_OK;
out:
    for (int i = 0; in && i < ni; i++)
        if (in[i].sysMem[0].virAddr)
            hbSysFreeMem(&in[i].sysMem[0]);
    for (int i = 0; out && i < no; i++)
        if (out[i].sysMem[0].virAddr)
            hbSysFreeMem(&out[i].sysMem[0]);
    free(in);
    free(out);
    free(stat);
    if (packed)
        hbDNNRelease(packed);
    hbc_qexec_free(qe);
    hbg_graph_free(g);
    return rc;
}
