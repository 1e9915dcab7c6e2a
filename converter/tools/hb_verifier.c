/* hb_verifier: the quantized ONNX model and the .bin made from it must compute the same outputs
 * (interface notes 4.5, docs/tools.md).
 *
 *   hb_verifier -q QUANTIZED.onnx -b MODEL.bin [-m NAME] (-i FILE... | --random N SEED)
 *
 * The quantized model runs on the integer reference executor (hbc/quant.h, hbc_qexec); the .bin
 * runs through libdnn on the BPU simulator. Both get the same inputs: the -i files (.npy, or raw
 * files of exactly the input's byte size), one per model input per run, in input order; or N
 * seeded random inputs (float inputs uniform in [-128, 128), integer inputs over their type's
 * range). An image input of the .bin (a model converted with input_type_rt nv12, yuv444, rgb,
 * bgr or gray, docs/bin-model.md section 8) takes the uint8 image libdnn reports (files: that
 * image; random: uniform uint8 pixels); the quantized model gets the same pixels as its float
 * intermediate type, pixel - 128, NV12 chroma replicated over its 2x2 block
 * (docs/preprocess-node.md). Every output is compared bit for bit; any difference is exit 1. The
 * simulated BPU time of the first run (libdnn's hbDNNGetTaskEstimateTime once the task is done)
 * is printed too.
 *
 * A .bin built with layer_out_dump has the output of every BPU node after the model's outputs;
 * they are compared too, and --per-layer (which needs such a .bin) prints them as a table in
 * topological order and names the first node whose output differs (verifier_layers.c).
 *
 * --dump-ref DIR writes the reference's outputs of the first run as DIR/output_<k>.npy, for
 * programs that check a .bin through the API on their own (tests/install/api_client.c).
 *
 * Exit: 0 all equal, 1 a difference or an error (named), 2 usage. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_bpu.h"
#include "dnn/hb_dnn_ext.h"
#include "hbc/onnx_io.h"
#include "hbc/quant.h"
#include "hbg/npy.h"
#include "verifier_layers.h"

enum { EXIT_OK = 0, EXIT_DIFF = 1, EXIT_USAGE = 2 };

#define MAX_FILES 4096

typedef struct opts {
    const char *onnx, *bin, *model;
    const char *files[MAX_FILES];
    int n_files;
    long n_random;
    uint64_t seed;
    int per_layer;        /* --per-layer */
    const char *dump_ref; /* --dump-ref DIR */
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

/* An image input of the .bin: the uint8 pixels libdnn takes (hbDNNGetInputTensorProperties) and
 * how they map onto the quantized model's float input. type < 0: not an image input. */
typedef struct img_in {
    int32_t type;       /* HB_DNN_IMG_TYPE_Y .. BGR, or -1 */
    int user_nhwc;      /* packed pixels in NHWC (else NCHW; NV12 is planar) */
    int graph_nhwc;     /* the quantized model's input is [N, H, W, C] (else [N, C, H, W]) */
    int64_t n, c, h, w; /* batch, channels (3, or 1 for Y), height, width */
    int64_t bytes;      /* bytes of the image (all planes, all batches) */
} img_in;

/* Names of the image types libdnn reports for image inputs. */
static const char *const k_img_names[HB_DNN_IMG_TYPE_BGR + 1] = {
    [HB_DNN_IMG_TYPE_Y] = "HB_DNN_IMG_TYPE_Y",
    [HB_DNN_IMG_TYPE_NV12] = "HB_DNN_IMG_TYPE_NV12",
    [HB_DNN_IMG_TYPE_NV12_SEPARATE] = "HB_DNN_IMG_TYPE_NV12_SEPARATE",
    [HB_DNN_IMG_TYPE_YUV444] = "HB_DNN_IMG_TYPE_YUV444",
    [HB_DNN_IMG_TYPE_RGB] = "HB_DNN_IMG_TYPE_RGB",
    [HB_DNN_IMG_TYPE_BGR] = "HB_DNN_IMG_TYPE_BGR",
};

/* Describe input `name` of the .bin with properties p against the quantized model's input gt.
 * Returns 0 (im->type -1 when p is not an image type), or -1 after a message. */
static int image_of(const hbDNNTensorProperties *p, const hbg_tensor *gt, const char *bin,
                    img_in *im)
{
    const int32_t *vd = p->validShape.dimensionSize;
    memset(im, 0, sizeof *im);
    im->type = -1;
    if (p->tensorType > HB_DNN_IMG_TYPE_BGR)
        return 0;
    int nv12 = p->tensorType == HB_DNN_IMG_TYPE_NV12;
    im->type = p->tensorType;
    im->user_nhwc = !nv12 && p->tensorLayout == HB_DNN_LAYOUT_NHWC;
    im->n = vd[0];
    im->c = im->user_nhwc ? vd[3] : vd[1];
    im->h = im->user_nhwc ? vd[1] : vd[2];
    im->w = im->user_nhwc ? vd[2] : vd[3];
    im->bytes = nv12 ? im->n * im->h * im->w * 3 / 2 : im->n * im->c * im->h * im->w;
    const int64_t nchw[4] = {im->n, im->c, im->h, im->w}, nhwc[4] = {im->n, im->h, im->w, im->c};
    int is_nchw = gt->rank == 4 && !memcmp(gt->dims, nchw, sizeof nchw);
    int is_nhwc = gt->rank == 4 && !memcmp(gt->dims, nhwc, sizeof nhwc);
    if (p->validShape.numDimensions != 4 || p->alignedByteSize != im->bytes ||
        gt->dtype != HBG_DT_F32 || is_nchw == is_nhwc) {
        fprintf(stderr,
                "ERROR %s input '%s': an image input (tensorType %d, %" PRId64 " x %" PRId64
                " pixels, %" PRId64 " channels, %d bytes) needs the quantized model's input to "
                "be float32 [N, C, H, W] or [N, H, W, C] of that image, told apart by the "
                "shape\n",
                bin, gt->name, im->type, im->h, im->w, im->c, p->alignedByteSize);
        return -1;
    }
    im->graph_nhwc = is_nhwc;
    printf("input %s: %s, %s (%d,%d,%d,%d), %d bytes of uint8 pixels; the reference gets pixel - "
           "128 as float32 %s\n",
           gt->name, k_img_names[im->type], p->tensorLayout == HB_DNN_LAYOUT_NHWC ? "NHWC" : "NCHW",
           vd[0], vd[1], vd[2], vd[3], p->alignedByteSize, is_nhwc ? "NHWC" : "NCHW");
    return 0;
}

/* The quantized model's input from the pixels of image input im: pixel - 128 as float, NV12
 * chroma (U, V interleaved after each batch's Y plane) replicated over its 2x2 block. */
static void image_to_graph(const img_in *im, const uint8_t *px, float *dst)
{
    const int64_t c = im->c, h = im->h, w = im->w;
    for (int64_t b = 0; b < im->n; b++)
        for (int64_t k = 0; k < c; k++)
            for (int64_t y = 0; y < h; y++)
                for (int64_t x = 0; x < w; x++) {
                    int v;
                    if (im->type == HB_DNN_IMG_TYPE_NV12) {
                        const uint8_t *yp = px + b * h * w * 3 / 2, *uv = yp + h * w;
                        v = k == 0 ? yp[y * w + x] : uv[(y / 2) * w + (x / 2) * 2 + (k - 1)];
                    } else if (im->user_nhwc) {
                        v = px[((b * h + y) * w + x) * c + k];
                    } else {
                        v = px[((b * c + k) * h + y) * w + x];
                    }
                    int64_t o = im->graph_nhwc ? ((b * h + y) * w + x) * c + k
                                               : ((b * c + k) * h + y) * w + x;
                    dst[o] = (float)(v - 128);
                }
}

/* Copy the 4-D uint8 .npy x into the packed pixels dst of image input im: x is [N, H, W, C] or
 * [N, C, H, W] (its shape says which; transposed when it is not the .bin's layout). Returns 0,
 * or -1 when x has neither shape. */
static int image_from_npy(const img_in *im, const hbg_tensor *x, uint8_t *dst)
{
    const int64_t nhwc[4] = {im->n, im->h, im->w, im->c}, nchw[4] = {im->n, im->c, im->h, im->w};
    int x_nhwc = !memcmp(x->dims, nhwc, sizeof nhwc);
    if (x->rank != 4 || (!x_nhwc && memcmp(x->dims, nchw, sizeof nchw)))
        return -1;
    const uint8_t *src = x->data;
    const int64_t c = im->c, h = im->h, w = im->w;
    for (int64_t b = 0; b < im->n; b++)
        for (int64_t k = 0; k < c; k++)
            for (int64_t y = 0; y < h; y++)
                for (int64_t xx = 0; xx < w; xx++) {
                    int64_t hwc = ((b * h + y) * w + xx) * c + k,
                            chw = ((b * c + k) * h + y) * w + xx;
                    dst[im->user_nhwc ? hwc : chw] = src[x_nhwc ? hwc : chw];
                }
    return 0;
}

/* Read file into dst: input `name` takes `numel` elements of type dt. A .npy of that element
 * type and count (an image input of packed pixels, im != NULL: a 4-D .npy must be the image as
 * [N, H, W, C] or [N, C, H, W]), or raw bytes of exactly that size (an image in the .bin's
 * layout). Returns 0, or -1 after a message naming the file. */
static int load_input(const char *path, const char *name, hbg_dtype dt, int64_t numel,
                      const img_in *im, void *dst)
{
    char err[512];
    size_t nb = (size_t)numel * hbg_dtype_size(dt), n = strlen(path);
    if (n > 4 && !strcmp(path + n - 4, ".npy")) {
        hbg_tensor *x = NULL;
        if (hbg_npy_load(path, "input", &x, err, sizeof err) != HBG_OK) {
            fprintf(stderr, "ERROR %s\n", err);
            return -1;
        }
        int ok = x->dtype == dt && hbg_tensor_numel(x) == numel, image4 = im && x->rank == 4;
        if (ok && image4)
            ok = image_from_npy(im, x, dst) == 0;
        else if (ok)
            memcpy(dst, x->data, nb);
        if (!ok && image4)
            fprintf(stderr,
                    "ERROR %s: %s of shape (%" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64
                    "), but image input '%s' is uint8 (%" PRId64 ", %" PRId64 ", %" PRId64
                    ", %" PRId64 ") as NHWC or NCHW\n",
                    path, hbg_dtype_name(x->dtype), x->dims[0], x->dims[1], x->dims[2], x->dims[3],
                    name, im->n, im->h, im->w, im->c);
        else if (!ok)
            fprintf(stderr,
                    "ERROR %s: %s with %" PRId64 " elements, but input '%s' is %s with %" PRId64
                    "\n",
                    path, hbg_dtype_name(x->dtype), hbg_tensor_numel(x), name, hbg_dtype_name(dt),
                    numel);
        hbg_tensor_free(x);
        return ok ? 0 : -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ERROR %s: cannot open\n", path);
        return -1;
    }
    size_t got = fread(dst, 1, nb, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != nb || extra) {
        fprintf(stderr, "ERROR %s: not a .npy and not %zu raw bytes (input '%s', %s)\n", path, nb,
                name, hbg_dtype_name(dt));
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
               "  -i FILE          input data (.npy or raw), one per model input per run;\n"
               "                   an image input takes the .bin's uint8 image\n"
               "  --random N SEED  N runs on seeded random inputs\n"
               "  --per-layer      every BPU layer's output (a .bin built with layer_out_dump),\n"
               "                   and the first node whose output differs\n"
               "  --dump-ref DIR   write the reference's outputs of the first run as\n"
               "                   DIR/output_<k>.npy (k = output index)\n");
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
            o->per_layer = 1;
        } else if (!strcmp(a, "--dump-ref") && i + 1 < argc) {
            o->dump_ref = argv[++i];
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
    img_in *img = NULL;
    out_stat *stat = NULL;
    vl_layers *layers = NULL;
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
    if (vl_attach(g, m, o.bin, o.onnx, o.per_layer, &layers) != 0) /* layer_out_dump outputs */
        goto out;
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
    img = calloc((size_t)ni, sizeof *img);
    if (!in || !out || !stat || !img) {
        fprintf(stderr, "ERROR out of memory\n");
        goto out;
    }
    /* Tensors of the .bin must be the graph's, dense (what the packer writes); an image input
     * the image of the graph's input. */
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
        img_in *im = is_in ? &img[i] : NULL;
        if (im && name && !strcmp(name, gt->name) && image_of(&t->properties, gt, o.bin, im) != 0)
            goto out;
        if (!name || strcmp(name, gt->name) != 0 ||
            (!(im && im->type >= 0) &&
             t->properties.alignedByteSize != (int32_t)hbg_tensor_nbytes(gt))) {
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
            uint8_t *px = in[i].sysMem[0].virAddr;
            if (img[i].type >= 0) {
                if (o.n_files &&
                    load_input(o.files[r * ni + i], gt->name, HBG_DT_U8, img[i].bytes,
                               img[i].type != HB_DNN_IMG_TYPE_NV12 ? &img[i] : NULL, px) != 0)
                    goto out;
                for (int64_t b = 0; !o.n_files && b < img[i].bytes; b++)
                    px[b] = (uint8_t)(next_u64(&seed) >> 56);
                image_to_graph(&img[i], px, gt->data);
            } else {
                if (o.n_files) {
                    if (load_input(o.files[r * ni + i], gt->name, gt->dtype, hbg_tensor_numel(gt),
                                   NULL, gt->data) != 0)
                        goto out;
                } else {
                    fill_random(gt, &seed);
                }
                memcpy(px, gt->data, (size_t)hbg_tensor_nbytes(gt));
            }
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
        if (r == 0) {
            const char *backend = "?";
            hbDNNGetBackendName(&backend, m);
            printf("simulated BPU time per frame: %d us (run 0, modelled; backend %s)\n", us,
                   backend);
        }
        /* the reference: the executor reads the inputs written into the graph above */
        if (hbc_qexec_run(qe) != HBG_OK) {
            fprintf(stderr, "ERROR %s: run %d: %s\n", o.onnx, r, g->err);
            goto out;
        }
        for (int k = 0; k < no; k++) {
            hbSysFlushMem(&out[k].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
            compare(g->tensors[g->outputs[k]], out[k].sysMem[0].virAddr, r, &stat[k]);
        }
        for (int k = 0; o.dump_ref && r == 0 && k < no; k++) {
            char path[4096], derr[256];
            snprintf(path, sizeof path, "%s/output_%d.npy", o.dump_ref, k);
            if (hbg_npy_save(path, g->tensors[g->outputs[k]], derr, sizeof derr) != HBG_OK) {
                fprintf(stderr, "ERROR --dump-ref: %s\n", derr);
                goto out;
            }
        }
    }
    int differ = 0;
    for (int k = 0; k < no; k++) {
        const hbg_tensor *gt = g->tensors[g->outputs[k]];
        differ |= stat[k].runs_diff != 0;
        if (vl_note(layers, k, stat[k].runs_diff, stat[k].elems_diff, stat[k].elems, stat[k].first))
            continue; /* in the per-layer table */
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
    vl_print(layers, runs);
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
    free(img);
    free(stat);
    vl_free(layers);
    if (packed)
        hbDNNRelease(packed);
    hbc_qexec_free(qe);
    hbg_graph_free(g);
    return rc;
}
