/* Time the convolutions and the classifier of MobileNetV1-224 (batch 1, one thread) layer by
 * layer on the float executor, for every kernel variant this CPU runs, and sum them by class.
 * The layer list is mbv1() of ../shared/tools/gen_bench_models.py: a 3x3/2 stem, 13 depthwise
 * 3x3 + pointwise 1x1 pairs, a 1024 -> 1000 Gemm.
 * usage: bench_conv_layers [iterations]   (default 5; the reference runs each layer once) */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hbg/cpu.h"
#include "hbg/exec.h"
#include "hbg/graph.h"

enum layer_class { L_STEM, L_DW, L_PW, L_FC, L_COUNT };
static const char *const class_names[L_COUNT] = {"stem 3x3/2", "depthwise 3x3", "pointwise 1x1",
                                                 "fc (Gemm)"};

typedef struct layer {
    enum layer_class cls;
    int cin, cout, k, stride, group, h; /* input h = w; fc: cin x cout */
} layer;

static int layers_mbv1(layer *l)
{
    static const int cfg[13][2] = {{64, 1},  {128, 2},  {128, 1}, {256, 2}, {256, 1},
                                   {512, 2}, {512, 1},  {512, 1}, {512, 1}, {512, 1},
                                   {512, 1}, {1024, 2}, {1024, 1}};
    int n = 0, c = 32, h = 112;
    l[n++] = (layer){L_STEM, 3, 32, 3, 2, 1, 224};
    for (int i = 0; i < 13; i++) {
        l[n++] = (layer){L_DW, c, c, 3, cfg[i][1], c, h};
        h /= cfg[i][1];
        l[n++] = (layer){L_PW, c, cfg[i][0], 1, 1, 1, h};
        c = cfg[i][0];
    }
    l[n++] = (layer){L_FC, 1024, 1000, 0, 0, 0, 0};
    return n;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static float *rnd_floats(size_t n, unsigned *seed)
{
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; p && i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        p[i] = (float)((*seed >> 8) & 0xFFFF) / 32768.0f - 1.0f;
    }
    return p;
}

/* One-node graph for layer l: Conv(x, W, B) with pads k/2, or Gemm(x, W, B). */
static hbg_graph *build(const layer *l, unsigned *seed)
{
    hbg_graph *g = hbg_graph_create();
    const char *in_names[3] = {"x", "w", "b"}, *out_names[1] = {"y"};
    hbg_node *n = NULL;
    int64_t xd[4] = {1, l->cin, l->h, l->h},
            wd[4] = {l->cout, l->cin / (l->group ? l->group : 1), l->k, l->k};
    int rank = 4;
    if (l->cls == L_FC) {
        xd[1] = l->cin;
        wd[0] = l->cin;
        wd[1] = l->cout;
        rank = 2;
    }
    size_t wn = (size_t)(wd[0] * wd[1] * (rank == 4 ? wd[2] * wd[3] : 1));
    float *w = rnd_floats(wn, seed), *b = rnd_floats((size_t)l->cout, seed);
    int64_t bd[1] = {l->cout};
    int x = hbg_graph_tensor(g, "x"), wt = hbg_graph_tensor(g, "w"), bt = hbg_graph_tensor(g, "b");
    hbg_graph_add_opset(g, "", 13);
    hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, rank, xd);
    hbg_graph_add_input(g, x);
    hbg_graph_set_const(g, wt, HBG_DT_F32, rank, wd, w, wn * sizeof *w);
    hbg_graph_set_const(g, bt, HBG_DT_F32, 1, bd, b, (size_t)l->cout * sizeof *b);
    hbg_graph_add_node(g, l->cls == L_FC ? "Gemm" : "Conv", "", "layer", 3, in_names, 1, out_names,
                       &n);
    if (l->cls != L_FC) {
        const int64_t st[2] = {l->stride, l->stride},
                      pads[4] = {l->k / 2, l->k / 2, l->k / 2, l->k / 2};
        hbg_attr *a = hbg_node_add_attr(n, "group", HBG_ATTR_INT);
        a->i = l->group;
        a = hbg_node_add_attr(n, "strides", HBG_ATTR_INTS);
        a->n = 2;
        a->ints = malloc(sizeof st);
        memcpy(a->ints, st, sizeof st);
        a = hbg_node_add_attr(n, "pads", HBG_ATTR_INTS);
        a->n = 4;
        a->ints = malloc(sizeof pads);
        memcpy(a->ints, pads, sizeof pads);
    }
    hbg_graph_add_output(g, hbg_graph_find_tensor(g, "y"));
    free(w);
    free(b);
    return g;
}

static double macs_of(const layer *l)
{
    if (l->cls == L_FC)
        return (double)l->cin * l->cout;
    const double ho = (double)(l->h / l->stride);
    return ho * ho * l->cout * (l->cin / l->group) * l->k * l->k;
}

/* Best time of iters runs of layer l in ms, or a negative value on error (printed). */
static double time_layer(const layer *l, int iters)
{
    unsigned seed = 12345;
    hbg_graph *g = build(l, &seed);
    hbg_exec *e = NULL;
    double best = -1.0;
    if (hbg_exec_create(g, &e) != HBG_OK) {
        fprintf(stderr, "prepare failed: %s\n", g->err);
        goto done;
    }
    hbg_tensor *x = g->tensors[g->inputs[0]];
    float *src = rnd_floats((size_t)hbg_tensor_numel(x), &seed);
    memcpy(x->data, src, (size_t)hbg_tensor_nbytes(x));
    free(src);
    if (hbg_exec_run(e) != HBG_OK) /* warm-up: caches, page faults */
        goto done;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        hbg_exec_run(e);
        double t = now_ms() - t0;
        if (best < 0 || t < best)
            best = t;
    }
done:
    hbg_exec_free(e);
    hbg_graph_free(g);
    return best;
}

int main(int argc, char **argv)
{
    layer ls[40];
    const int n = layers_mbv1(ls);
    const int iters = argc > 1 ? atoi(argv[1]) : 5;
    double t[HBG_ISA_COUNT][40], cls_ms[HBG_ISA_COUNT][L_COUNT] = {{0}}, cls_macs[L_COUNT] = {0};
    int have[HBG_ISA_COUNT] = {0};
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa) || hbg_cpu_force((hbg_isa)isa) != HBG_OK)
            continue;
        have[isa] = 1;
        for (int i = 0; i < n; i++) {
            t[isa][i] = time_layer(&ls[i], isa == HBG_ISA_REF ? 1 : iters);
            if (t[isa][i] < 0)
                return 1;
            cls_ms[isa][ls[i].cls] += t[isa][i];
        }
    }
    printf("MobileNetV1-224 layers, batch 1, one thread; best of %d runs (ref: 1 run), ms\n",
           iters);
    printf("%-3s %-14s %5s %5s %2s %2s %4s %8s", "#", "class", "cin", "cout", "k", "s", "h",
           "MMAC");
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++)
        if (have[isa])
            printf(" %9s", hbg_isa_name((hbg_isa)isa));
    printf("  GFLOP/s(best)\n");
    for (int i = 0; i < n; i++) {
        const layer *l = &ls[i];
        double best = 1e30;
        cls_macs[l->cls] += macs_of(l);
        printf("%-3d %-14s %5d %5d %2d %2d %4d %8.2f", i, class_names[l->cls], l->cin, l->cout,
               l->k, l->stride, l->h, macs_of(l) / 1e6);
        for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
            if (!have[isa])
                continue;
            printf(" %9.3f", t[isa][i]);
            if (t[isa][i] < best)
                best = t[isa][i];
        }
        printf("  %6.1f\n", 2.0 * macs_of(l) / (best * 1e6));
    }
    printf("\nper class (ms):\n");
    for (int c = 0; c < L_COUNT; c++) {
        printf("%-16s %8.1f MMAC", class_names[c], cls_macs[c] / 1e6);
        for (int isa = 0; isa < HBG_ISA_COUNT; isa++)
            if (have[isa])
                printf("  %s %8.3f", hbg_isa_name((hbg_isa)isa), cls_ms[isa][c]);
        printf("\n");
    }
    printf("%-16s %13s", "total", "");
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        double s = 0;
        for (int c = 0; c < L_COUNT; c++)
            s += cls_ms[isa][c];
        if (have[isa])
            printf("  %s %8.3f", hbg_isa_name((hbg_isa)isa), s);
    }
    printf("\n");
    return 0;
}
