/* bench_bpu_conv: throughput of the BPU CONV kernels (one thread) on the MobileNetV1-224 conv
 * shapes (from ../shared/tools/gen_bench_models.py's mbv1: first 3x3 s2 conv, 13 depthwise 3x3,
 * 13 pointwise 1x1; repeated shapes listed once), for every kernel variant this CPU runs, as GMAC/s
 * and as a percentage of this core's int8 peak measured in the same run with a tight vpdpbusd zmm
 * loop (64 MACs per instruction: 16 int32 lanes x 4 byte products). "conv" times the accumulation
 * kernel; "+rq" adds the int32 -> int8 requantiser, i.e. a whole CONV instruction's host work. Both
 * run band by band as the executor calls them (simulator/sim/exec.c: bands of whole output rows of
 * at most BAND_ELEMS int32 accumulators, requantised right after each band), so the accumulators
 * stay in cache as they do in the simulator. "x/ref" is the variant's conv speed over ref's. Then
 * the vector kernels (LUT, RESIZE, REQUANT, EWISE MUL, POOL AVG) of every variant on a 56x56x128
 * tile. After the shapes, per variant: the whole network's conv layers (each shape weighted by how
 * many layers have it) and its depthwise layers alone, as summed MACs over summed kernel time.
 *   bench_bpu_conv [seconds per measurement, default 0.05] [only shapes whose name contains this]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(HB_BPU_BENCH_X86)
#include <immintrin.h>
#endif

#include "bpu/kernels.h"

typedef struct shape {
    const char *name;
    int32_t h, c, k, kh, s, dwise;
    int32_t count; /* layers of MobileNetV1-224 with this shape (for the whole-network line) */
} shape;

static const shape shapes[] = {
    {"conv0 3x3s2 224x3->32", 224, 3, 32, 3, 2, 0, 1},
    {"dw 112x32 s1", 112, 32, 32, 3, 1, 1, 1},
    {"pw 112 32->64", 112, 32, 64, 1, 1, 0, 1},
    {"dw 112x64 s2", 112, 64, 64, 3, 2, 1, 1},
    {"pw 56 64->128", 56, 64, 128, 1, 1, 0, 1},
    {"dw 56x128 s1", 56, 128, 128, 3, 1, 1, 1},
    {"pw 56 128->128", 56, 128, 128, 1, 1, 0, 1},
    {"dw 56x128 s2", 56, 128, 128, 3, 2, 1, 1},
    {"pw 28 128->256", 28, 128, 256, 1, 1, 0, 1},
    {"dw 28x256 s1", 28, 256, 256, 3, 1, 1, 1},
    {"pw 28 256->256", 28, 256, 256, 1, 1, 0, 1},
    {"dw 28x256 s2", 28, 256, 256, 3, 2, 1, 1},
    {"pw 14 256->512", 14, 256, 512, 1, 1, 0, 1},
    {"dw 14x512 s1 (x5)", 14, 512, 512, 3, 1, 1, 5},
    {"pw 14 512->512 (x5)", 14, 512, 512, 1, 1, 0, 5},
    {"dw 14x512 s2", 14, 512, 512, 3, 2, 1, 1},
    {"pw 7 512->1024", 7, 512, 1024, 1, 1, 0, 1},
    {"dw 7x1024 s1", 7, 1024, 1024, 3, 1, 1, 1},
    {"pw 7 1024->1024", 7, 1024, 1024, 1, 1, 0, 1},
};

#define NSHAPES    (sizeof(shapes) / sizeof(shapes[0]))
#define BAND_ELEMS (64 * 1024) /* as simulator/sim/exec.c */

typedef struct result {
    const char *shape, *variant;
    int v, dwise, count;    /* bpu_isa, depthwise shape, MobileNetV1 layers of the shape */
    double conv, all, macs; /* MAC/s of the kernel, of kernel + requant; MACs of the shape */
    double ref;             /* MAC/s of the ref kernel on the same shape */
} result;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Peak int8 MAC/s of one core: 12 independent vpdpbusd zmm chains, timed in windows of 2e5
 * instructions (about 1 ms); the best window counts, as for the kernels (other processes on a
 * shared machine only ever slow a window down). */
static double measure_peak(double seconds)
{
#if defined(HB_BPU_BENCH_X86)
    if (!bpu_isa_available(BPU_ISA_AVX512VNNI))
        return 0.0;
    __m512i a[12];
    const __m512i x = _mm512_set1_epi32(0x01010101), y = _mm512_set1_epi32(0x02020202);
    for (int i = 0; i < 12; i++)
        a[i] = _mm512_set1_epi32(i);
    double best = 0.0, t_end = now() + seconds;
    while (now() < t_end) {
        double t0 = now();
        for (int n = 0; n < 16000; n++)
            for (int i = 0; i < 12; i++)
                a[i] = _mm512_dpbusd_epi32(a[i], x, y);
        double rate = 16000.0 * 12.0 * 64.0 / (now() - t0);
        best = rate > best ? rate : best;
    }
    int32_t sink = 0;
    for (int i = 0; i < 12; i++)
        sink += _mm512_reduce_add_epi32(a[i]);
    if (sink == 42)
        fprintf(stderr, "(sink)\n");
    return best;
#else
    (void)seconds;
    return 0.0;
#endif
}

/* The AVX2 kernels' own ceiling (no int8 dot product there): 12 independent vpmaddwd ymm chains
 * (16 int16 MACs each, the adds folded in by the dependency), best 1 ms window. */
static double measure_avx2_peak(double seconds)
{
#if defined(HB_BPU_BENCH_X86)
    if (!bpu_isa_available(BPU_ISA_AVX2))
        return 0.0;
    __m256i a[12];
    const __m256i y = _mm256_set1_epi16(3);
    for (int i = 0; i < 12; i++)
        a[i] = _mm256_set1_epi16((short)i);
    double best = 0.0, t_end = now() + seconds;
    while (now() < t_end) {
        double t0 = now();
        for (int n = 0; n < 16000; n++)
            for (int i = 0; i < 12; i++)
                a[i] = _mm256_madd_epi16(a[i], y);
        double rate = 16000.0 * 12.0 * 16.0 / (now() - t0);
        best = rate > best ? rate : best;
    }
    int32_t sink = 0;
    for (int i = 0; i < 12; i++)
        sink += _mm256_extract_epi32(a[i], 0);
    if (sink == 42)
        fprintf(stderr, "(sink)\n");
    return best;
#else
    (void)seconds;
    return 0.0;
#endif
}

static int32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (int32_t)(*s >> 33);
}

/* The vector kernels of every variant on one 56x56x128 tile (a MobileNet activation) in a
 * private SRAM image: LUT, RESIZE bilinear (to 2x in each direction, as an FPN upsample),
 * REQUANT (int32 per-channel and int8 per-tensor sources), EWISE MUL and POOL AVG 3x3 stride 2, as
 * output bytes per ns and speed-up over ref. */
#define VB_H    56
#define VB_C    128
#define VB_SRAM (VB_H * VB_H * VB_C * 4 * 2 + 4 * VB_H * VB_H * VB_C + 4096)

static void bench_vector(double secs)
{
    uint8_t *sram = aligned_alloc(64, VB_SRAM);
    static int32_t mult[VB_C], shift[VB_C];
    uint64_t seed = 0x9876;
    for (size_t i = 0; i < VB_SRAM; i++)
        sram[i] = (uint8_t)rnd(&seed);
    for (int i = 0; i < VB_C; i++) {
        mult[i] = 0x40000000 + rnd(&seed) % 0x3FFFFFFF;
        shift[i] = 20 + rnd(&seed) % 20;
    }
    const uint32_t row = VB_H * VB_C, big = VB_H * VB_H * VB_C;
    const uint32_t a = 4096, b = a + 4 * big; /* a: sources (int32 fits), b: outputs */
    bpu_lut_op lut = {a, b, 0, VB_H, VB_H, VB_C, VB_C, VB_C, row, row};
    bpu_resize_op rs = {a,    b,   VB_H,    VB_H,     VB_C,     2 * VB_H,   2 * VB_H,  VB_C,
                        VB_C, row, 2 * row, 1u << 15, 1u << 15, -(1 << 14), -(1 << 14)};
    bpu_requant_op rq32 = {a, b, 0, VB_H, VB_H, VB_C, 4 * VB_C, VB_C, -128, 127, 4 * row, row};
    bpu_requant_op rq8 = {a, b, 0, VB_H, VB_H, VB_C, VB_C, VB_C, -128, 127, row, row};
    bpu_ewise_op mul = {a,    a + big, b,  VB_H, VB_H, VB_C, -128,        127, VB_C,
                        VB_C, VB_C,    30, row,  row,  row,  0x50000000u, 0};
    /* 3x3 stride 2 average, padding 1 on every side (windows of 4, 6 and 9) */
    bpu_pool_op pool = {a, b, 0, VB_H, VB_H, VB_C, VB_H / 2, VB_H / 2, 3,    3,   2,
                        2, 1, 1, 1,    1,    -128, 127,      VB_C,     VB_C, row, row / 2};
    int32_t pm[9], ps[9];
    for (int i = 0; i < 9; i++)
        pm[i] = 0x40000000 + i * 0x1000000, ps[i] = 30 + i % 3;
    static const char *names[] = {
        "lut",       "resize bilinear", "requant s32 per-ch", "requant s8 per-tensor",
        "ewise mul", "pool avg 3x3 s2"};
    double bytes[] = {big, 4.0 * big, big, big, big, big / 4.0};
    printf("%-24s %-11s %9s %8s\n", "vector kernel", "variant", "B/ns", "x/ref");
    for (int kind = 0; kind < 6; kind++) {
        double ref = 0.0;
        for (int v = 0; v < BPU_ISA_COUNT; v++) {
            const bpu_kernels *k = NULL;
            if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
                continue;
            double best = 1e30, t_end = now() + secs;
            int reps = 0;
            do {
                double t0 = now();
                if (kind == 0)
                    k->lut(&lut, sram);
                else if (kind == 1)
                    k->resize(&rs, BPU_RESIZE_BILINEAR, sram);
                else if (kind == 2)
                    k->requant_insn(&rq32, BPU_RQ_SRC_S32 | BPU_RQ_PER_CHANNEL, sram, mult, shift);
                else if (kind == 3)
                    k->requant_insn(&rq8, 0, sram, mult, shift);
                else if (kind == 4)
                    k->ewise(&mul, BPU_EW_MUL, sram);
                else
                    k->pool(&pool, BPU_POOL_AVG, sram, pm, ps);
                double t = now() - t0;
                best = t < best ? t : best;
                reps++;
            } while (now() < t_end || reps < 2);
            double speed = bytes[kind] / best * 1e-9;
            ref = v == BPU_ISA_REF ? speed : ref;
            printf("%-24s %-11s %9.2f %8.1f\n", names[kind], k->name, speed,
                   ref > 0 ? speed / ref : 0.0);
        }
    }
    free(sram);
}

/* Per variant, the conv kernel over MobileNetV1-224's 27 conv layers (each shape as many times as
 * the network has it): all MACs over the summed kernel time, and the same for the depthwise
 * layers alone. */
static void print_network(const result *res, int n, double peak)
{
    printf("%-24s %-11s %9s %8s %9s %8s\n", "MobileNetV1-224 convs", "variant", "all", "%peak",
           "depthwise", "%peak");
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        double macs[2] = {0, 0}, secs[2] = {0, 0}; /* [0]: every layer, [1]: depthwise */
        int seen = 0;
        for (int i = 0; i < n; i++) {
            if (res[i].v != v || !(res[i].conv > 0))
                continue;
            seen = 1;
            for (int d = 0; d < 2; d++)
                if (d == 0 || res[i].dwise) {
                    macs[d] += res[i].count * res[i].macs;
                    secs[d] += res[i].count * res[i].macs / res[i].conv;
                }
        }
        if (!seen || !(secs[1] > 0))
            continue;
        const char *name = "";
        for (int i = 0; i < n; i++)
            name = res[i].v == v ? res[i].variant : name;
        printf("%-24s %-11s %9.2f %7.1f%% %9.2f %7.1f%%\n", "", name, macs[0] / secs[0] * 1e-9,
               peak > 0 ? 100.0 * macs[0] / secs[0] / peak : 0.0, macs[1] / secs[1] * 1e-9,
               peak > 0 ? 100.0 * macs[1] / secs[1] / peak : 0.0);
    }
    printf("(GMAC/s over the network's layers: MACs summed over the summed kernel times)\n");
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.05;
    if (secs <= 0.0)
        secs = 0.05;
    /* the clock drifts: the peak is the best of three measurements spread over the run */
    double peak = measure_peak(0.1);
    static result results[NSHAPES * BPU_ISA_COUNT];
    int nres = 0;
    uint64_t seed = 0x1234567;
    const char *only = argc > 2 ? argv[2] : NULL;
    for (size_t si = 0; si < NSHAPES; si++) {
        const shape *sh = &shapes[si];
        if (only && !strstr(sh->name, only))
            continue;
        int32_t pad = sh->kh / 2;
        int32_t ho = (sh->h + 2 * pad - sh->kh) / sh->s + 1;
        bpu_conv_geom g = {
            sh->h, sh->h, sh->c, sh->k, sh->kh, sh->kh, sh->s,         sh->s,
            1,     1,     pad,   pad,   ho,     ho,     (size_t)sh->c, (size_t)sh->c * sh->h,
            0};
        size_t src_bytes = (size_t)sh->h * sh->h * sh->c + 64;
        size_t wbytes =
            sh->dwise ? (size_t)9 * sh->c
                      : (size_t)sh->kh * sh->kh * ((sh->c + 3) / 4) * ((sh->k + 15) / 16 * 16) * 4;
        size_t nout = (size_t)ho * ho * sh->k;
        int32_t band = BAND_ELEMS / (ho * sh->k) > 0 ? BAND_ELEMS / (ho * sh->k) : 1;
        /* 64-byte aligned like the simulator's SRAM (operands are at least 32-byte aligned) */
        int8_t *src = aligned_alloc(64, (src_bytes + 63) / 64 * 64);
        int8_t *wgt = calloc(wbytes, 1), *dst = malloc(nout);
        int32_t *bias = malloc((size_t)sh->k * 4), *m = malloc((size_t)sh->k * 4);
        int32_t *r = malloc((size_t)sh->k * 4),
                *acc = aligned_alloc(64, ((size_t)band * ho * sh->k * 4 + 63) / 64 * 64);
        for (size_t i = 0; i < src_bytes; i++)
            src[i] = (int8_t)(rnd(&seed) % 256 - 128);
        size_t k16 = (size_t)(sh->k + 15) / 16 * 16, c4 = (size_t)(sh->c + 3) / 4;
        for (size_t i = 0; i < wbytes; i++) {
            /* NORMAL layout: entries past k or past c (last group of 4) are zero padding */
            size_t kk = i / 4 % k16, cc = i / 4 / k16 % c4 * 4 + i % 4;
            if (sh->dwise || (kk < (size_t)sh->k && cc < (size_t)sh->c))
                wgt[i] = (int8_t)(rnd(&seed) % 255 - 127);
        }
        for (int32_t i = 0; i < sh->k; i++) {
            bias[i] = rnd(&seed) % 10000;
            m[i] = 0x40000000 + rnd(&seed) % 0x3FFFFFFF;
            r[i] = 20 + rnd(&seed) % 20;
        }
        double ref_speed = 0.0;
        double macs = (double)ho * ho * sh->k * sh->kh * sh->kh * (sh->dwise ? 1 : sh->c);
        for (int v = 0; v < BPU_ISA_COUNT; v++) {
            const bpu_kernels *k = NULL;
            if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
                continue;
            bpu_conv_fn fn = sh->dwise ? k->dwconv : k->conv;
            double best_conv = 1e30, best_all = 1e30;
            double t_end = now() + (v == BPU_ISA_REF ? secs / 4 : secs);
            int reps = 0;
            do {
                double t_conv = 0.0, t_all = 0.0;
                for (int32_t oy0 = 0; oy0 < ho; oy0 += band) {
                    int32_t oy1 = oy0 + band < ho ? oy0 + band : ho;
                    double t0 = now();
                    fn(&g, src, wgt, bias, oy0, oy1, acc);
                    double t1 = now();
                    k->requant(acc, (oy1 - oy0) * ho, sh->k, m, r, -128, 127,
                               dst + (size_t)oy0 * ho * sh->k, (size_t)sh->k);
                    double t2 = now();
                    t_conv += t1 - t0;
                    t_all += t2 - t0;
                }
                best_conv = t_conv < best_conv ? t_conv : best_conv;
                best_all = t_all < best_all ? t_all : best_all;
                reps++;
            } while (now() < t_end || reps < 2);
            if (si == NSHAPES / 2 && v == 0) {
                double p2 = measure_peak(0.1);
                peak = p2 > peak ? p2 : peak;
            }
            ref_speed = v == BPU_ISA_REF ? macs / best_conv : ref_speed;
            results[nres++] =
                (result){sh->name,         k->name,         v,    sh->dwise, sh->count,
                         macs / best_conv, macs / best_all, macs, ref_speed};
        }
        free(src);
        free(wgt);
        free(dst);
        free(bias);
        free(m);
        free(r);
        free(acc);
    }
    double p3 = measure_peak(0.1);
    peak = p3 > peak ? p3 : peak;
    printf("int8 peak (vpdpbusd zmm, 1 core, best 1 ms window of 3 x 0.1 s): %.1f GMAC/s\n",
           peak * 1e-9);
    double peak2 = measure_avx2_peak(0.1);
    if (peak > 0 && peak2 > 0)
        printf("AVX2 ceiling (vpmaddwd ymm, 16 MACs each): %.1f GMAC/s = %.1f%% of the int8 peak\n",
               peak2 * 1e-9, 100.0 * peak2 / peak);
    printf("%-24s %-11s %9s %9s %8s %8s %8s\n", "shape", "variant", "conv", "+rq", "%peak", "x/ref",
           "MMAC");
    for (int i = 0; i < nres; i++)
        printf("%-24s %-11s %9.2f %9.2f %7.1f%% %8.1f %8.2f\n", results[i].shape,
               results[i].variant, results[i].conv * 1e-9, results[i].all * 1e-9,
               peak > 0 ? 100.0 * results[i].conv / peak : 0.0,
               results[i].ref > 0 ? results[i].conv / results[i].ref : 0.0, results[i].macs * 1e-6);
    printf("(GMAC/s, best of repeated runs; %%peak: conv kernel against the peak)\n");
    if (!only)
        print_network(results, nres, peak);
    bench_vector(secs);
    return 0;
}
