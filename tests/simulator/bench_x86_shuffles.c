/* bench_x86_shuffles: how AVX-512 shuffles compete with vpdpbusd on this core (the depthwise
 * interleave's cost, docs/bpu-isa.md section 8). Each row times 8 independent chains of one zmm
 * instruction alone, then alternating with vpdpbusd, and prints both in units of one vpdpbusd
 * alone (this core's vpdpbusd runs at 1 per cycle on Zen 4, so the units are about cycles):
 * "alone" per instruction, "with vpdpbusd" per pair. A pair at 1.0 means the shuffle is hidden
 * behind the dot product; at 2.0 they take turns on the same pipe. Best of several windows.
 *   bench_x86_shuffles [seconds per measurement, default 0.1]
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bpu/kernels.h"

#define REPS 4096 /* iterations of 8 chains x 1 instruction per timed window */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The chains pass through an empty asm each iteration so the compiler keeps every instruction. */
#define CHAINS(OPA, OPB)                                                                           \
    {                                                                                              \
        __m512i x0 = _mm512_set1_epi32(1), x1 = _mm512_set1_epi32(2), x2 = _mm512_set1_epi32(3),   \
                x3 = _mm512_set1_epi32(4), x4 = _mm512_set1_epi32(5), x5 = _mm512_set1_epi32(6),   \
                x6 = _mm512_set1_epi32(7), x7 = _mm512_set1_epi32(8);                              \
        const __m512i y = _mm512_set1_epi32(0x03050709), idx = _mm512_set1_epi8(5);                \
        (void)y;                                                                                   \
        (void)idx;                                                                                 \
        for (int i = 0; i < REPS; i++) {                                                           \
            x0 = OPA(x0);                                                                          \
            x1 = OPB(x1);                                                                          \
            x2 = OPA(x2);                                                                          \
            x3 = OPB(x3);                                                                          \
            x4 = OPA(x4);                                                                          \
            x5 = OPB(x5);                                                                          \
            x6 = OPA(x6);                                                                          \
            x7 = OPB(x7);                                                                          \
            __asm__ volatile(""                                                                    \
                             : "+v"(x0), "+v"(x1), "+v"(x2), "+v"(x3), "+v"(x4), "+v"(x5),         \
                               "+v"(x6), "+v"(x7));                                                \
        }                                                                                          \
        __m512i s = _mm512_xor_si512(_mm512_xor_si512(x0, x1), _mm512_xor_si512(x2, x3));          \
        s = _mm512_xor_si512(                                                                      \
            s, _mm512_xor_si512(_mm512_xor_si512(x4, x5), _mm512_xor_si512(x6, x7)));              \
        return _mm_cvtsi128_si32(_mm512_castsi512_si128(s));                                       \
    }

#define DP(a)  _mm512_dpbusd_epi32(a, y, idx)
#define PD(a)  _mm512_permutexvar_epi32(idx, a)
#define PB(a)  _mm512_permutexvar_epi8(idx, a)
#define T2B(a) _mm512_permutex2var_epi8(a, idx, y)
#define T2W(a) _mm512_permutex2var_epi16(a, idx, y)
#define SH(a)  _mm512_shuffle_i32x4(a, y, 0x4E)
#define UB(a)  _mm512_unpacklo_epi8(a, y)
#define UW(a)  _mm512_unpacklo_epi16(a, y)
#define XOR(a) _mm512_xor_si512(a, idx)
#define ADD(a) _mm512_add_epi32(a, y)

#define TGT   __attribute__((target("avx512f,avx512bw,avx512vnni"), noinline))
#define TGT_B __attribute__((target("avx512f,avx512bw,avx512vnni,avx512vbmi"), noinline))
#define PAIR(name, tgt, OP)                                                                        \
    tgt static int32_t name##_alone(void) CHAINS(OP, OP) tgt static int32_t name##_dp(void)        \
        CHAINS(OP, DP)

PAIR(dp, TGT, DP)
PAIR(vpermd, TGT, PD)
PAIR(vshufi32x4, TGT, SH)
PAIR(vpermt2w, TGT, T2W)
PAIR(vpunpcklbw, TGT, UB)
PAIR(vpunpcklwd, TGT, UW)
PAIR(vpaddd, TGT, ADD)
PAIR(vpxord, TGT, XOR)
PAIR(vpermb, TGT_B, PB)
PAIR(vpermt2b, TGT_B, T2B)

typedef struct row {
    const char *name;
    int vbmi; /* needs AVX512-VBMI */
    int32_t (*alone)(void), (*with_dp)(void);
} row;

static const row rows[] = {
    {"vpdpbusd", 0, dp_alone, dp_dp},
    {"vpermd", 0, vpermd_alone, vpermd_dp},
    {"vshufi32x4", 0, vshufi32x4_alone, vshufi32x4_dp},
    {"vpermt2w", 0, vpermt2w_alone, vpermt2w_dp},
    {"vpermb", 1, vpermb_alone, vpermb_dp},
    {"vpermt2b", 1, vpermt2b_alone, vpermt2b_dp},
    {"vpunpcklbw", 0, vpunpcklbw_alone, vpunpcklbw_dp},
    {"vpunpcklwd", 0, vpunpcklwd_alone, vpunpcklwd_dp},
    {"vpaddd", 0, vpaddd_alone, vpaddd_dp},
    {"vpxord", 0, vpxord_alone, vpxord_dp},
};

/* Best seconds per window of fn over about `seconds`. */
static double best_time(int32_t (*fn)(void), double seconds, uint32_t *sink)
{
    double best = 1e30, t_end = now() + seconds;
    do {
        double t0 = now();
        *sink += (uint32_t)fn(); /* keeps the results live */
        double t = now() - t0;
        best = t < best ? t : best;
    } while (now() < t_end);
    return best;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.1;
    if (!(secs > 0.0) || secs > 60.0) {
        fprintf(stderr, "bench_x86_shuffles: seconds must be in (0, 60], got %s\n", argv[1]);
        return 2;
    }
    if (!bpu_isa_available(BPU_ISA_AVX512VNNI)) {
        printf("bench_x86_shuffles: this CPU has no AVX-512 VNNI; nothing to measure\n");
        return 0;
    }
    int vbmi = __builtin_cpu_supports("avx512vbmi");
    uint32_t sink = 0;
    /* one vpdpbusd alone: 8 instructions (4 pairs) per iteration */
    double unit = best_time(dp_alone, secs, &sink) / (8.0 * REPS);
    printf("unit: one vpdpbusd zmm alone = %.3f ns\n", unit * 1e9);
    printf("%-12s %8s %14s\n", "instruction", "alone", "with vpdpbusd");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].vbmi && !vbmi) {
            printf("%-12s (no AVX512-VBMI)\n", rows[i].name);
            continue;
        }
        double alone = best_time(rows[i].alone, secs, &sink) / (8.0 * REPS) / unit;
        double pair = best_time(rows[i].with_dp, secs, &sink) / (4.0 * REPS) / unit;
        printf("%-12s %8.2f %14.2f\n", rows[i].name, alone, pair);
    }
    if (sink == 42)
        fprintf(stderr, "(sink)\n");
    return 0;
}
