/* bench_bpu_conv_pad: host cost of a CONV's pad value. A one-CONV program is run through
 * bpu_sim_exec (march bayes, 8 MiB SRAM) with pad = 0 (the kernels' own zero padding) and with
 * pad = -127 (kernels that honour a pad value, bpu_kernels.native_pad, get it directly; for the
 * others the executor copies each band of padded input rows into its scratch first, then runs the
 * same kernel without padding), for every kernel variant this CPU runs. The two programs
 * alternate and each keeps its best time, so clock drift and other load hit both alike; the ratio
 * pad -127 / pad 0 is the cost of the pad value (of the copy where there is one). MobileNet shapes
 * (v1: dw 112x32, v2: dw 112x96 and 56x144, stride 1 and 2) and one NORMAL 3x3. bench_bpu_conv_pad
 * [seconds per measurement, default 0.3] [only shapes whose name contains this]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpu/sim.h"
#include "bpu_test_util.h"

typedef struct shape {
    const char *name;
    uint16_t h, c, k;
    uint8_t kh, s;
    int dwise;
} shape;

static const shape shapes[] = {
    {"dw 112x96 s1", 112, 96, 96, 3, 1, 1},      {"dw 112x96 s2", 112, 96, 96, 3, 2, 1},
    {"dw 112x32 s1", 112, 32, 32, 3, 1, 1},      {"dw 56x144 s1", 56, 144, 144, 3, 1, 1},
    {"conv 56x64->64 3x3", 56, 64, 64, 3, 1, 0},
};

#define NSHAPES  (sizeof(shapes) / sizeof(shapes[0]))
#define A_SRC    0u
#define A_DST    (2u << 20)
#define A_WGT    (4u << 20)
#define A_PARAM  (5u << 20)
#define MAX_PROG 2

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)(*s >> 32);
}

/* [CONV, END] for the shape with the given pad value. */
static int load_program(const shape *sh, int8_t pad, bpu_program **out)
{
    bpu_insn cv = conv_insn((uint8_t)(sh->dwise ? BPU_CONV_DEPTHWISE : 0), sh->h, sh->h, sh->c,
                            sh->k, sh->kh, sh->s);
    cv.u.conv.src = A_SRC;
    cv.u.conv.dst = A_DST;
    cv.u.conv.wgt = A_WGT;
    cv.u.conv.param = A_PARAM;
    cv.u.conv.pad = pad;
    bpu_insn end = {.opcode = BPU_OP_END};
    prog p = {.n = 0};
    PROG_SET(&p, &cv, &end);
    bpu_error err = {0, ""};
    if (prog_load(&p, BPU_MARCH_BAYES, out, &err) != BPU_OK) {
        fprintf(stderr, "bench_bpu_conv_pad: %s: %s\n", sh->name, err.msg);
        return -1;
    }
    return 0;
}

/* Random activations and weights (c a multiple of 4 and k of 16 for NORMAL: no weight padding),
 * legal parameter records. */
static void fill_sram(uint8_t *sram, const shape *sh, uint64_t *seed)
{
    for (uint32_t i = 0; i < (uint32_t)sh->h * sh->h * sh->c + 64u; i++)
        sram[A_SRC + i] = (uint8_t)rnd(seed);
    uint32_t wbytes = (uint32_t)sh->kh * sh->kh * sh->c * (sh->dwise ? 1u : sh->k);
    for (uint32_t i = 0; i < wbytes; i++)
        sram[A_WGT + i] = (uint8_t)(rnd(seed) % 255u + 1u); /* -127..127 as bytes, never -128 */
    for (uint32_t k = 0; k < sh->k; k++) {
        uint8_t *rec = sram + A_PARAM + k * BPU_PARAM_BYTES;
        wr32(rec, rnd(seed) % 20000u - 10000u);
        wr32(rec + 4, 0x40000000u + rnd(seed) % 0x3FFFFFFFu);
        rec[8] = (uint8_t)(20u + rnd(seed) % 20u);
        rec[9] = rec[10] = rec[11] = 0;
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    if (secs <= 0.0)
        secs = 0.3;
    const char *only = argc > 2 ? argv[2] : NULL;
    int status = 0;
    printf("%-20s %-11s %10s %12s %8s\n", "shape", "variant", "pad 0 ms", "pad -127 ms", "ratio");
    for (size_t si = 0; si < NSHAPES && status == 0; si++) {
        const shape *sh = &shapes[si];
        if (only && !strstr(sh->name, only))
            continue;
        bpu_program *progs[MAX_PROG] = {NULL, NULL};
        if (load_program(sh, 0, &progs[0]) || load_program(sh, -127, &progs[1])) {
            bpu_program_free(progs[0]);
            return 1;
        }
        for (int v = 0; v < BPU_ISA_COUNT && status == 0; v++) {
            const bpu_kernels *k = NULL;
            bpu_sim *sim = NULL;
            bpu_error err = {0, ""};
            if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
                continue;
            if (bpu_sim_create(BPU_MARCH_BAYES, k, &sim, &err) != BPU_OK) {
                fprintf(stderr, "bench_bpu_conv_pad: %s\n", err.msg);
                status = 1;
                break;
            }
            uint64_t seed = 0x5EED + si;
            fill_sram(bpu_sim_sram(sim), sh, &seed);
            double best[MAX_PROG] = {1e30, 1e30};
            double t_end = now() + (v == BPU_ISA_REF ? secs / 4 : secs);
            int reps = 0;
            do { /* alternate the two programs; the first run of each also sizes the scratch */
                for (int p = 0; p < MAX_PROG && status == 0; p++) {
                    double t0 = now();
                    if (bpu_sim_exec(sim, progs[p], &err) != BPU_OK) {
                        fprintf(stderr, "bench_bpu_conv_pad: %s\n", err.msg);
                        status = 1;
                    }
                    double t = now() - t0;
                    if (reps > 0 && t < best[p])
                        best[p] = t;
                }
                reps++;
            } while (status == 0 && (now() < t_end || reps < 3));
            if (status == 0)
                printf("%-20s %-11s %10.3f %12.3f %8.3f\n", sh->name, k->name, best[0] * 1e3,
                       best[1] * 1e3, best[1] / best[0]);
            bpu_sim_destroy(sim);
        }
        bpu_program_free(progs[0]);
        bpu_program_free(progs[1]);
    }
    printf("(best of alternating bpu_sim_exec runs after one warm-up each; ratio = pad -127 / pad "
           "0)\n");
    return status;
}
