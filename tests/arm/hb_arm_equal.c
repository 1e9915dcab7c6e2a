/* hb_arm_equal: cross-target equality of libdnn inference (docs/board.md). The host (x86) build
 * records what the simulator gives for a .bin model; the aarch64 build, run under qemu-user,
 * must give the same:
 *
 *   hb_arm_equal record MODEL.bin REF_PREFIX INPUT...   run once, write output k's bytes to
 *                                                       REF_PREFIX.out<k>
 *   hb_arm_equal check MODEL.bin REF_PREFIX INPUT...    run once, compare with REF_PREFIX.out<k>
 *
 * INPUT: a file holding exactly the bytes of input i (an image input: its image bytes, e.g.
 * 1536 for a 32x32 NV12 frame; else alignedByteSize), or random:SEED (xorshift64 bytes, the same
 * on every machine). Where an output comes from is read from the model's schedule
 * (runtime/dnn/src/schedule.h): produced by a BPU step through dequantize / convert steps only
 * ("bpu"), it must equal the x86 output bit for bit (integer results; dequantisation is one
 * multiply in double per element, rounded to float: the same on every IEEE machine); produced
 * by a CPU subgraph ("cpu", float operators, ARCHITECTURE 4) it must agree within
 * |a - b| <= 1e-4 * |ref| + 1e-4 * max|ref| of that output (the second term keeps values near
 * zero from failing on a relative bound alone); other types of a CPU output: bit for bit. Every
 * output is printed with its FNV-1a 64 hash (offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3, over the alignedByteSize bytes, which are zeroed before the run so padding is
 * deterministic). HB_BPU_EXPECT_ISA (set by scripts/test_arm.sh): the simulator kernel variant this
 * CPU must choose; HB_DNN_EXPECT_BACKEND: the libdnn backend (`board` on aarch64, `sim` when the
 * x86 build records). Exit status 0, 1 on a difference or failure (message on stderr), 2 for a bad
 * command line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpu/kernels.h"
#include "dnn/hb_dnn_bpu.h"
#include "dnn_internal.h"
#include "sample_dnn.h"

#define RTOL 1e-4 /* relative tolerance of F32 outputs (ARCHITECTURE 4) */

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Whole file into a malloc'ed buffer; NULL (message on stderr) on failure. */
static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        !(buf = malloc(len ? (size_t)len : 1)) || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "hb_arm_equal: cannot read %s\n", path);
        free(buf);
        buf = NULL;
    } else {
        *n = (size_t)len;
    }
    if (f)
        fclose(f);
    return buf;
}

static int write_all(const char *path, const void *p, size_t n)
{
    char tmp[1200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        fprintf(stderr, "hb_arm_equal: path too long: %s\n", path);
        return 1;
    }
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        fprintf(stderr, "hb_arm_equal: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

/* Fill input buffer p (n bytes) from spec: a file of exactly n bytes, or random:SEED. */
static int fill_input(const char *spec, uint8_t *p, size_t n)
{
    if (!strncmp(spec, "random:", 7)) {
        char *end = NULL;
        uint64_t s = strtoull(spec + 7, &end, 10);
        if (end == spec + 7 || *end) {
            fprintf(stderr, "hb_arm_equal: %s: random:SEED takes a decimal seed\n", spec);
            return 1;
        }
        s = s * 0x9e3779b97f4a7c15ull + 1; /* spread small seeds */
        if (s == 0)
            s = 1; /* xorshift stays 0 from 0 */
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            p[i] = (uint8_t)(s >> 56);
        }
        return 0;
    }
    size_t len = 0;
    uint8_t *buf = read_all(spec, &len);
    if (!buf)
        return 1;
    int rc = 0;
    if (len != n) {
        fprintf(stderr, "hb_arm_equal: %s has %zu bytes, the input takes %zu\n", spec, len, n);
        rc = 1;
    } else {
        memcpy(p, buf, n);
    }
    free(buf);
    return rc;
}

/* The simulator kernel variant this CPU gets must be HB_BPU_EXPECT_ISA when that is set. */
static int check_isa(void)
{
    const bpu_kernels *k = NULL;
    bpu_error e;
    memset(&e, 0, sizeof e);
    if (bpu_kernels_select(&k, &e) != BPU_OK) {
        fprintf(stderr, "hb_arm_equal: no kernel variant: %s\n", e.msg);
        return 1;
    }
    const char *want = getenv("HB_BPU_EXPECT_ISA");
    printf("kernel variant: %s", k->name);
    if (want && *want) {
        printf(" (expected %s)", want);
        if (strcmp(want, k->name) != 0) {
            printf("\n");
            fprintf(stderr, "hb_arm_equal: kernel variant %s, expected %s\n", k->name, want);
            return 1;
        }
    }
    printf("\n");
    return 0;
}

/* Compare F32 output o (n bytes) with ref; prints the largest relative error. */
static int compare_f32(int o, const uint8_t *got, const uint8_t *ref, size_t n)
{
    size_t cnt = n / sizeof(float);
    double peak = 0, worst = 0;
    for (size_t i = 0; i < cnt; i++) {
        float r;
        memcpy(&r, ref + i * sizeof r, sizeof r);
        if (fabs(r) > peak)
            peak = fabs(r);
    }
    int bad = 0;
    for (size_t i = 0; i < cnt; i++) {
        float a, r;
        memcpy(&a, got + i * sizeof a, sizeof a);
        memcpy(&r, ref + i * sizeof r, sizeof r);
        double d = fabs((double)a - r), bound = RTOL * fabs(r) + RTOL * peak;
        if (!(d <= bound)) {
            if (!bad)
                fprintf(stderr, "hb_arm_equal: output %d element %zu: %.9g, x86 %.9g\n", o, i, a,
                        r);
            bad = 1;
        }
        if (peak > 0 && d / peak > worst)
            worst = d / peak;
    }
    printf("  output %d: largest |difference| / max|x86| %.3g (bound %.0e)\n", o, worst, RTOL);
    return bad;
}

/* 1 when model output o is produced by a CPU subgraph (float executor), 0 when by a BPU step
 * through dequantize / convert / quantize steps only; -1 when the schedule says neither. */
static int cpu_placed(hbDNNHandle_t h, int o)
{
    int placed = -1;
    hb_registry_lock();
    const hb_model *m = hb_model_lookup(h);
    if (m) {
        const hb_schedule *s = &m->sched;
        int32_t t = s->output_tensor[o];
        /* each hop goes to an earlier step, so this ends within n_steps hops */
        for (uint32_t hop = 0; hop <= s->n_steps && placed < 0; hop++) {
            int w = s->tensors[t].written_by;
            if (w < 0 || (uint32_t)w >= s->n_steps)
                break;
            const hb_sched_step *st = &s->steps[w];
            if (st->kind == HB_STEP_CPU)
                placed = 1;
            else if (st->kind == HB_STEP_BPU)
                placed = 0;
            else if (st->n_in == 1)
                t = (int32_t)st->in[0];
            else
                break;
        }
    }
    hb_registry_unlock();
    return placed;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "record") != 0 && strcmp(argv[1], "check") != 0)) {
        fprintf(stderr, "usage: %s record|check MODEL.bin REF_PREFIX INPUT...\n", argv[0]);
        return 2;
    }
    int record = !strcmp(argv[1], "record");
    const char *model = argv[2], *prefix = argv[3];
    sample_model m;
    sample_io io;
    char err[512] = "";
    int rc = 1;
    memset(&io, 0, sizeof io);
    if (check_isa() != 0)
        return 1;
    if (sample_model_open(&m, model, NULL, err, sizeof err) != 0 ||
        sample_io_alloc(&m, &io, err, sizeof err) != 0) {
        fprintf(stderr, "hb_arm_equal: %s: %s\n", model, err);
        goto out;
    }
    const char *backend = "?", *want_backend = getenv("HB_DNN_EXPECT_BACKEND");
    hbDNNGetBackendName(&backend, m.dnn);
    printf("backend: %s\n", backend);
    if (want_backend && *want_backend && strcmp(want_backend, backend) != 0) {
        fprintf(stderr, "hb_arm_equal: backend %s, expected %s\n", backend, want_backend);
        goto out;
    }
    if (argc - 4 != m.n_in) {
        fprintf(stderr, "hb_arm_equal: %s has %d inputs, %d given\n", model, m.n_in, argc - 4);
        goto out;
    }
    for (int i = 0; i < m.n_in; i++)
        if (fill_input(argv[4 + i], io.in[i].sysMem[0].virAddr, io.in[i].sysMem[0].memSize) != 0)
            goto out;
    for (int o = 0; o < m.n_out; o++)
        memset(io.out[o].sysMem[0].virAddr, 0, io.out[o].sysMem[0].memSize);
    if (sample_infer(&m, &io, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "hb_arm_equal: %s: %s\n", model, err);
        goto out;
    }
    const char *slash = strrchr(model, '/');
    printf("%s (model %s): %d outputs\n", slash ? slash + 1 : model, m.name, m.n_out);
    int differ = 0;
    for (int o = 0; o < m.n_out; o++) {
        const uint8_t *got = io.out[o].sysMem[0].virAddr;
        size_t n = io.out[o].sysMem[0].memSize;
        int32_t type = io.out[o].properties.tensorType;
        int cpu = cpu_placed(m.dnn, o);
        if (cpu < 0) {
            fprintf(stderr, "hb_arm_equal: output %d: no BPU or CPU step produces it\n", o);
            goto out;
        }
        char path[1100];
        if ((size_t)snprintf(path, sizeof path, "%s.out%d", prefix, o) >= sizeof path) {
            fprintf(stderr, "hb_arm_equal: path too long: %s\n", prefix);
            goto out;
        }
        printf("  output %d (%s, type %d): %zu bytes, fnv1a64 %016llx", o, cpu ? "cpu" : "bpu",
               (int)type, n, (unsigned long long)fnv1a64(got, n));
        if (record) {
            printf("\n");
            if (write_all(path, got, n) != 0)
                goto out;
            continue;
        }
        size_t rn = 0;
        uint8_t *ref = read_all(path, &rn);
        if (!ref) {
            printf("\n");
            goto out;
        }
        uint64_t hr = fnv1a64(ref, rn);
        printf(", x86 %016llx: %s\n", (unsigned long long)hr,
               rn == n && !memcmp(ref, got, n) ? "bit-exact" : "differs");
        if (rn != n) {
            fprintf(stderr, "hb_arm_equal: output %d: %zu bytes, x86 %zu\n", o, n, rn);
            differ = 1;
        } else if (cpu && type == HB_DNN_TENSOR_TYPE_F32) {
            differ |= compare_f32(o, got, ref, n);
        } else if (memcmp(ref, got, n) != 0) {
            fprintf(stderr, "hb_arm_equal: output %d (%s) differs from x86 bit for bit\n", o,
                    cpu ? "cpu, not F32" : "bpu");
            differ = 1;
        }
        free(ref);
    }
    rc = differ;
out:
    sample_io_free(&io);
    sample_model_close(&m);
    return rc;
}
