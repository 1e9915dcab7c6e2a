/* hb_onnx_run: run any supported ONNX model with .npy inputs and outputs: float models (the
 * original, optimized and calibrated artifacts of hb_mapper makertbin, and any other model) on
 * the float executor, quantized models (*_quantized_model.onnx, domain ai.hbtc.int8) on the
 * integer reference executor. The C counterpart of the reference toolchain's HB_ONNXRuntime
 * helper: like its input_offset, with --input-offset N a uint8 .npy given for a float input is
 * image data and is fed as value - N (128 for the *_128 input types of the preprocess node). */
#include "hbc/onnx_io.h"
#include "hbc/quant.h"
#include "hbg/exec.h"
#include "hbg/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ARGS 64

static void usage(FILE *f)
{
    fprintf(f, "usage: hb_onnx_run MODEL.onnx [options] [INPUT.npy ... | NAME=INPUT.npy ...]\n"
               "Runs MODEL on the float executor (quantized models, which import the domain\n"
               "ai.hbtc.int8: on the integer reference executor) and prints each output's name,\n"
               "shape, dtype and checksum (sum of elements, and FNV-1a 64 of the bytes).\n"
               "  INPUT.npy            inputs in the model's input order, or NAME=FILE by name\n"
               "  --input-offset N     feed a uint8 file given for a float input as value - N\n"
               "                       (image data; 128 for the *_128 inputs of hb_mapper's\n"
               "                       artifacts; 0..255). Without it the dtypes must match\n"
               "  --random SEED        fill inputs missing from the command line with uniform\n"
               "                       pseudo-random values in [-1, 1) (float inputs only)\n"
               "  --input-shape NAME SHAPE  fix an input's shape, e.g. 1x3x224x224 (for --random)\n"
               "  -o, --output-dir DIR write each output as DIR/<name>.npy\n"
               "  --repeat N           run N times; print median and minimum host wall time per\n"
               "                       inference (loading and preparation excluded)\n"
               "  --profile            with --repeat: print the 15 slowest nodes of the last run\n"
               "  --top K              print the K largest values of each float output with their\n"
               "                       flat indices (class scores)\n"
               "  -h, --help           this text\n");
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int parse_shape(const char *s, int64_t *dims, int *rank)
{
    *rank = 0;
    while (*s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || *rank == HBG_MAX_RANK)
            return -1;
        dims[(*rank)++] = v;
        s = end;
        if (*s == 'x' || *s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return *rank > 0 ? 0 : -1;
}

/* Deterministic xorshift64* values in [-1, 1): the same SEED gives the same inputs everywhere. */
static void fill_random(hbg_tensor *t, uint64_t *state)
{
    int64_t n = hbg_tensor_numel(t);
    float *d = t->data;
    for (int64_t i = 0; i < n; i++) {
        uint64_t x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        uint32_t r = (uint32_t)((x * 2685821657736338717ull) >> 40); /* 24 random bits */
        d[i] = (float)r / 8388608.0f - 1.0f;
    }
}

/* The k largest values, by repeated selection: k is small and outputs are at most a few
 * hundred thousand elements. Ties keep the lower index first. */
static void print_top(const hbg_tensor *t, int k)
{
    int64_t n = hbg_tensor_numel(t);
    const float *d = t->data;
    unsigned char *used = calloc((size_t)n + 1, 1);
    if (!used)
        return;
    for (int r = 0; r < k && r < n; r++) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++)
            if (!used[i] && (best < 0 || d[i] > d[best]))
                best = i;
        used[best] = 1;
        printf("  top%-3d index %-8lld value %.6f\n", r + 1, (long long)best, (double)d[best]);
    }
    free(used);
}

/* A uint8 image tensor -> float32 value - offset, in place (the reference's input_offset). */
static int to_float(hbg_tensor *t, int offset, char *err, size_t errlen)
{
    int64_t n = hbg_tensor_numel(t);
    float *f = malloc((size_t)(n > 0 ? n : 1) * sizeof *f);
    const uint8_t *u = t->data;
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int64_t i = 0; i < n; i++)
        f[i] = (float)((int)u[i] - offset);
    int64_t dims[HBG_MAX_RANK];
    memcpy(dims, t->dims, sizeof dims);
    free(t->data);
    t->data = f;
    hbg_tensor_set_shape(t, HBG_DT_F32, t->rank, dims);
    return 0;
}

static void sanitize(char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            *s = '_';
}

int main(int argc, char **argv)
{
    const char *model = NULL, *outdir = NULL;
    const char *in_args[MAX_ARGS];
    const char *shape_name[MAX_ARGS], *shape_val[MAX_ARGS];
    int n_in_args = 0, n_shapes = 0, repeat = 0, profile = 0, have_seed = 0, top = 0;
    int offset = -1, quantized = 0; /* offset -1: no --input-offset */
    uint64_t seed = 0;
    char err[600];
    hbg_graph *g = NULL;
    hbg_exec *e = NULL;
    hbc_qexec *qe = NULL;
    hbg_tensor **loaded = NULL;
    double *times = NULL;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--random") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
            have_seed = 1;
        } else if (!strcmp(a, "--repeat") && i + 1 < argc) {
            repeat = atoi(argv[++i]);
            if (repeat < 1) {
                fprintf(stderr, "hb_onnx_run: --repeat needs a positive count\n");
                return 2;
            }
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output-dir")) && i + 1 < argc) {
            outdir = argv[++i];
        } else if (!strcmp(a, "--input-shape") && i + 2 < argc && n_shapes < MAX_ARGS) {
            shape_name[n_shapes] = argv[++i];
            shape_val[n_shapes++] = argv[++i];
        } else if (!strcmp(a, "--top") && i + 1 < argc) {
            top = atoi(argv[++i]);
            if (top < 1 || top > 1000) {
                fprintf(stderr, "hb_onnx_run: --top needs a count in 1..1000\n");
                return 2;
            }
        } else if (!strcmp(a, "--input-offset") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v > 255) {
                fprintf(stderr, "hb_onnx_run: --input-offset needs a value in 0..255\n");
                return 2;
            }
            offset = (int)v;
        } else if (!strcmp(a, "--profile")) {
            profile = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "hb_onnx_run: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!model) {
            model = a;
        } else if (n_in_args < MAX_ARGS) {
            in_args[n_in_args++] = a;
        } else {
            fprintf(stderr, "hb_onnx_run: too many inputs (at most %d)\n", MAX_ARGS);
            return 2;
        }
    }
    if (!model) {
        usage(stderr);
        return 2;
    }
    if (hbc_onnx_load_file(model, &g, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "hb_onnx_run: %s\n", err);
        goto done;
    }
    loaded = calloc((size_t)g->n_inputs + 1, sizeof *loaded);
    if (!loaded)
        goto done;
    for (int s = 0; s < n_shapes; s++) {
        int idx = hbg_graph_find_tensor(g, shape_name[s]);
        int64_t dims[HBG_MAX_RANK];
        int rank;
        if (idx < 0 || !g->tensors[idx]->is_input) {
            fprintf(stderr, "hb_onnx_run: --input-shape: '%s' is not an input of %s\n",
                    shape_name[s], model);
            goto done;
        }
        if (parse_shape(shape_val[s], dims, &rank) != 0) {
            fprintf(stderr, "hb_onnx_run: --input-shape %s: bad shape '%s' (e.g. 1x3x224x224)\n",
                    shape_name[s], shape_val[s]);
            goto done;
        }
        hbg_tensor_set_shape(g->tensors[idx], g->tensors[idx]->dtype, rank, dims);
    }
    /* Bind .npy files to inputs: positional ones in order, NAME=FILE by name. */
    for (int a = 0, pos = 0; a < n_in_args; a++) {
        const char *eq = strchr(in_args[a], '=');
        int which = -1;
        const char *path = in_args[a];
        if (eq) {
            char name[512];
            snprintf(name, sizeof name, "%.*s", (int)(eq - in_args[a]), in_args[a]);
            for (int k = 0; k < g->n_inputs; k++)
                if (!strcmp(g->tensors[g->inputs[k]]->name, name))
                    which = k;
            if (which < 0) {
                fprintf(stderr, "hb_onnx_run: '%s' is not an input of %s\n", name, model);
                goto done;
            }
            path = eq + 1;
        } else {
            which = pos++;
            if (which >= g->n_inputs) {
                fprintf(stderr, "hb_onnx_run: %s has %d input(s); '%s' is one too many\n", model,
                        g->n_inputs, path);
                goto done;
            }
        }
        hbg_tensor *gt = g->tensors[g->inputs[which]];
        if (hbg_npy_load(path, gt->name, &loaded[which], err, sizeof err) != HBG_OK) {
            fprintf(stderr, "hb_onnx_run: input '%s': %s\n", gt->name, err);
            goto done;
        }
        hbg_tensor *lt = loaded[which];
        if (offset >= 0 && gt->dtype == HBG_DT_F32 && lt->dtype == HBG_DT_U8 &&
            to_float(lt, offset, err, sizeof err) != 0) {
            fprintf(stderr, "hb_onnx_run: input '%s': %s\n", gt->name, err);
            goto done;
        }
        if (gt->dtype != HBG_DT_UNDEF && lt->dtype != gt->dtype) {
            fprintf(stderr, "hb_onnx_run: input '%s': %s holds %s but the model expects %s%s\n",
                    gt->name, path, hbg_dtype_name(lt->dtype), hbg_dtype_name(gt->dtype),
                    lt->dtype == HBG_DT_U8 && gt->dtype == HBG_DT_F32
                        ? " (image data: give --input-offset, e.g. 128)"
                        : "");
            goto done;
        }
        if (gt->rank >= 0) {
            int ok = gt->rank == lt->rank;
            for (int d = 0; ok && d < gt->rank; d++)
                ok = gt->dims[d] < 0 || gt->dims[d] == lt->dims[d];
            if (!ok) {
                char s1[96], s2[96];
                fprintf(stderr,
                        "hb_onnx_run: input '%s': %s has shape %s but the model expects %s\n",
                        gt->name, path, hbg_shape_str(lt, s1, sizeof s1),
                        hbg_shape_str(gt, s2, sizeof s2));
                goto done;
            }
        }
        hbg_tensor_set_shape(gt, lt->dtype, lt->rank, lt->dims);
    }
    for (int k = 0; k < g->n_inputs; k++) {
        const hbg_tensor *gt = g->tensors[g->inputs[k]];
        if (!loaded[k] && !have_seed) {
            fprintf(stderr, "hb_onnx_run: no data for input '%s' (give a .npy file or --random)\n",
                    gt->name);
            goto done;
        }
        if (!loaded[k] && gt->dtype != HBG_DT_F32) {
            fprintf(stderr,
                    "hb_onnx_run: --random fills float inputs only; give '%s' (%s) a file\n",
                    gt->name, hbg_dtype_name(gt->dtype));
            goto done;
        }
    }
    quantized = hbg_graph_opset(g, HBC_QUANT_DOMAIN) > 0;
    if (quantized && profile) {
        fprintf(stderr, "hb_onnx_run: --profile: the integer executor has no per-node timing\n");
        goto done;
    }
    if ((quantized ? hbc_qexec_create(g, &qe) : hbg_exec_create(g, &e)) != HBG_OK) {
        fprintf(stderr, "hb_onnx_run: %s: %s\n", model, g->err);
        goto done;
    }
    uint64_t state = seed * 2654435761u + 88172645463325252ull;
    for (int k = 0; k < g->n_inputs; k++) {
        hbg_tensor *gt = g->tensors[g->inputs[k]];
        if (loaded[k])
            memcpy(gt->data, loaded[k]->data, (size_t)hbg_tensor_nbytes(gt));
        else
            fill_random(gt, &state);
    }
    int runs = repeat ? repeat : 1;
    times = calloc((size_t)runs, sizeof *times);
    if (!times)
        goto done;
    if (e) {
        hbg_exec_set_profile(e, profile);
        hbg_exec_set_fusion(e, 1); /* only the graph outputs are read */
    }
    for (int r = 0; r < runs; r++) {
        double t0 = now_s();
        if ((quantized ? hbc_qexec_run(qe) : hbg_exec_run(e)) != HBG_OK) {
            fprintf(stderr, "hb_onnx_run: %s: %s\n", model, g->err);
            goto done;
        }
        times[r] = now_s() - t0;
    }
    for (int k = 0; k < g->n_outputs; k++) {
        hbg_tensor *t = g->tensors[g->outputs[k]];
        char sh[128];
        int64_t n = hbg_tensor_numel(t);
        double sum = 0;
        for (int64_t i = 0; i < n; i++)
            sum += hbg_tensor_get_double(t, i);
        printf("output %s: shape %s dtype %s sum %.6g fnv1a %016llx\n", t->name,
               hbg_shape_str(t, sh, sizeof sh), hbg_dtype_name(t->dtype), sum,
               (unsigned long long)fnv1a(t->data, (size_t)hbg_tensor_nbytes(t)));
        if (top && t->dtype == HBG_DT_F32)
            print_top(t, top);
        if (outdir) {
            char path[4096], name[512];
            snprintf(name, sizeof name, "%s", t->name);
            sanitize(name);
            snprintf(path, sizeof path, "%s/%s.npy", outdir, name);
            if (hbg_npy_save(path, t, err, sizeof err) != HBG_OK) {
                fprintf(stderr, "hb_onnx_run: %s\n", err);
                goto done;
            }
        }
    }
    if (repeat) {
        double mn = times[0];
        for (int r = 1; r < runs; r++)
            mn = times[r] < mn ? times[r] : mn;
        qsort(times, (size_t)runs, sizeof *times, cmp_double);
        printf("host wall time per inference over %d runs: median %.3f ms, min %.3f ms\n", runs,
               times[runs / 2] * 1e3, mn * 1e3);
        const uint64_t *node_ns = e ? hbg_exec_node_ns(e) : NULL;
        uint64_t *ns = node_ns ? malloc((size_t)g->n_nodes * sizeof *ns + 1) : NULL;
        if (ns) {
            memcpy(ns, node_ns, (size_t)g->n_nodes * sizeof *ns);
            printf("slowest nodes of the last run (host wall time):\n");
            for (int shown = 0; shown < 15 && shown < g->n_nodes; shown++) {
                int best = -1;
                for (int i = 0; i < g->n_nodes; i++)
                    if (ns[i] && (best < 0 || ns[i] > ns[best]))
                        best = i;
                if (best < 0)
                    break;
                printf("  %8.3f ms  %-16s %s\n", (double)ns[best] * 1e-6, g->nodes[best].op_type,
                       hbg_node_label(g, &g->nodes[best]));
                ns[best] = 0;
            }
        }
        free(ns);
    }
    rc = 0;
done:
    if (loaded)
        for (int k = 0; g && k < g->n_inputs; k++)
            hbg_tensor_free(loaded[k]);
    free(loaded);
    free(times);
    hbg_exec_free(e);
    hbc_qexec_free(qe);
    hbg_graph_free(g);
    return rc;
}
