/* hb_perf: the static performance of the BPU parts of a .bin (interface notes 4.1,
 * docs/hb_perf.md).
 *
 *   hb_perf [-m NAME[;NAME...]] [-o DIR] [--simulate] MODEL.bin
 *
 * For every model (or the ones -m names) it writes DIR/<model>/ (DIR defaults to hb_perf_result):
 * <model>.html and <model>.json for the whole model, <model>_subgraph_<k>.html and .json per BPU
 * subgraph, and prints the summary. Per-layer rows come from the LAYER_MAP blobs (one per BPU
 * program; files without them get the per-instruction-class breakdown only). --simulate also runs
 * every BPU program on the simulator (segments zero-filled, constants bound) and checks that the
 * simulated counters equal the static estimate; a difference is an error (exit 1).
 *
 * Exit: 0 success, 1 a model or file that cannot be read or a check that fails, 2 usage. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpu/sim.h"
#include "hb_bin/bin_reader.h"
#include "hb_bin/layer_map.h"
#include "perf_report.h"

#define DEFAULT_DIR "hb_perf_result"

/* SCHEDULE blob (docs/bin-model.md section 3): header, tensor and step record sizes, the offsets
 * of a step's kind, blob id and seg_bytes[7] (segments 1..7). */
#define SCHED_HEADER   32u
#define SCHED_TENSOR   104u
#define SCHED_STEP     48u
#define SCHED_BPU      1u
#define STEP_KIND      0u
#define STEP_BLOB      4u
#define STEP_SEG_BYTES 20u

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const hbbin_blob *find_blob(const hbbin_model *m, uint32_t kind, uint32_t id)
{
    for (uint32_t i = 0; i < m->blob_count; i++)
        if (m->blobs[i].kind == kind && m->blobs[i].id == id)
            return &m->blobs[i];
    return NULL;
}

/* mkdir -p. */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        buf[i] = c;
    }
    return 0;
}

/* A model name as a file name: characters other than [A-Za-z0-9._-] become '_'. */
static void file_name(const char *name, char *out, size_t len)
{
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        out[i] = ok && !(i == 0 && c == '.') ? c : '_';
    }
    out[i] = '\0';
}

/* seg_bytes[1..7] of the BPU step that runs program `blob`, from the SCHEDULE blob. */
static int schedule_segments(const hbbin_model *m, uint32_t blob, uint32_t seg[BPU_SEGMENTS])
{
    const hbbin_blob *b = find_blob(m, HBBIN_SEC_SCHEDULE, 0);
    if (!b || b->size < SCHED_HEADER)
        return -1;
    uint64_t nt = rd32(b->data + 8), ns = rd32(b->data + 12);
    uint64_t first = SCHED_HEADER + nt * SCHED_TENSOR;
    if (first + ns * SCHED_STEP > b->size)
        return -1;
    for (uint64_t s = 0; s < ns; s++) {
        const uint8_t *r = b->data + first + s * SCHED_STEP;
        if (rd32(r + STEP_KIND) != SCHED_BPU || rd32(r + STEP_BLOB) != blob)
            continue;
        seg[0] = 0;
        for (int k = 1; k < BPU_SEGMENTS; k++)
            seg[k] = rd32(r + STEP_SEG_BYTES + 4u * (uint32_t)(k - 1));
        return 0;
    }
    return -1;
}

/* Run program blob `id` of m on the simulator and compare its counters with s->est. */
static int simulate(const hbbin_model *m, const hbbin_blob *prog, bpu_march_id march,
                    const hbperf_sub *s)
{
    bpu_program *p = NULL;
    bpu_sim *sim = NULL;
    bpu_error e = {0};
    bpu_counters c;
    uint8_t *buf[BPU_SEGMENTS] = {0};
    uint32_t seg[BPU_SEGMENTS] = {0};
    int rc = -1;
    const hbbin_blob *cb = find_blob(m, HBBIN_SEC_CONSTANTS, prog->id);
    if (schedule_segments(m, prog->id, seg) != 0) {
        fprintf(stderr, "ERROR %s: no BPU step of the schedule runs program %u\n", s->name,
                prog->id);
        return -1;
    }
    if (bpu_program_load(prog->data, (size_t)prog->size, march, &p, &e) != BPU_OK ||
        bpu_sim_create(march, NULL, &sim, &e) != BPU_OK)
        goto bpu_fail;
    if (cb && cb->size) {
        if (!(buf[0] = malloc((size_t)cb->size)))
            goto nomem;
        memcpy(buf[0], cb->data, (size_t)cb->size);
        if (bpu_sim_set_segment(sim, 0, buf[0], (size_t)cb->size, &e) != BPU_OK)
            goto bpu_fail;
    }
    for (int k = 1; k < BPU_SEGMENTS; k++) {
        if (!seg[k])
            continue;
        if (!(buf[k] = calloc(seg[k], 1)))
            goto nomem;
        if (bpu_sim_set_segment(sim, (uint32_t)k, buf[k], seg[k], &e) != BPU_OK)
            goto bpu_fail;
    }
    if (bpu_sim_run(sim, p, &c, &e) != BPU_OK)
        goto bpu_fail;
    if (c.cycles != s->est.cycles || c.macs != s->est.macs ||
        c.ddr_load_bytes != s->est.ddr_load_bytes || c.ddr_store_bytes != s->est.ddr_store_bytes) {
        fprintf(stderr,
                "ERROR %s: simulated %llu cycles, %llu MACs, %llu/%llu bytes loaded/stored; "
                "the estimate says %llu, %llu, %llu/%llu\n",
                s->name, (unsigned long long)c.cycles, (unsigned long long)c.macs,
                (unsigned long long)c.ddr_load_bytes, (unsigned long long)c.ddr_store_bytes,
                (unsigned long long)s->est.cycles, (unsigned long long)s->est.macs,
                (unsigned long long)s->est.ddr_load_bytes,
                (unsigned long long)s->est.ddr_store_bytes);
        goto out;
    }
    printf("%s: simulated %llu cycles = the static estimate\n", s->name,
           (unsigned long long)c.cycles);
    rc = 0;
    goto out;
nomem:
    fprintf(stderr, "ERROR %s: out of memory\n", s->name);
    goto out;
bpu_fail:
    fprintf(stderr, "ERROR %s: simulator: instruction %lld: %s\n", s->name, (long long)e.insn,
            e.msg);
out:
    for (int k = 0; k < BPU_SEGMENTS; k++)
        free(buf[k]);
    bpu_sim_destroy(sim);
    bpu_program_free(p);
    return rc;
}

static int by_id(const void *a, const void *b)
{
    uint32_t x = (*(const hbbin_blob *const *)a)->id, y = (*(const hbbin_blob *const *)b)->id;
    return (x > y) - (x < y);
}

/* The n BPU_PROGRAM blobs of m sorted by id (malloc'd), or NULL when n is 0 or out of memory. */
static const hbbin_blob **programs(const hbbin_model *m, int n)
{
    const hbbin_blob **v = n ? malloc((size_t)n * sizeof *v) : NULL;
    int k = 0;
    if (!v)
        return NULL;
    for (uint32_t i = 0; i < m->blob_count; i++)
        if (m->blobs[i].kind == HBBIN_SEC_BPU_PROGRAM)
            v[k++] = &m->blobs[i];
    qsort(v, (size_t)n, sizeof *v, by_id);
    return v;
}

/* Write the files of one perf unit (the model or one subgraph) as DIR/BASE.{html,json}. */
static int write_unit(const hbperf_model *pm, const char *dir, const char *base)
{
    char path[4096], err[512];
    for (int html = 0; html < 2; html++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s.%s", dir, base, html ? "html" : "json") >=
            sizeof path) {
            fprintf(stderr, "ERROR %s/%s: path too long\n", dir, base);
            return -1;
        }
        if ((html ? hbperf_write_html(pm, path, err, sizeof err)
                  : hbperf_write_json(pm, path, err, sizeof err)) != 0) {
            fprintf(stderr, "ERROR %s\n", err);
            return -1;
        }
    }
    return 0;
}

static int perf_model(const hbbin_model *m, bpu_march_id march, const char *out_dir, int sim)
{
    char dir[4096], fname[256];
    int n = 0, rc = -1, layers = 0;
    const hbbin_blob **progs = NULL;
    for (uint32_t i = 0; i < m->blob_count; i++)
        n += m->blobs[i].kind == HBBIN_SEC_BPU_PROGRAM;
    hbperf_sub *subs = calloc(n ? (size_t)n : 1, sizeof *subs);
    if (!subs) {
        fprintf(stderr, "ERROR model %s: out of memory\n", m->name);
        return -1;
    }
    file_name(m->name, fname, sizeof fname);
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s", out_dir, fname) >= sizeof dir ||
        make_dirs(dir) != 0) {
        fprintf(stderr, "ERROR cannot create %s/%s: %s\n", out_dir, fname, strerror(errno));
        goto out;
    }
    /* Subgraphs in blob id order (id k is BPU subgraph k, docs/bin-model.md). */
    progs = programs(m, n);
    if (n && !progs) {
        fprintf(stderr, "ERROR model %s: out of memory\n", m->name);
        goto out;
    }
    for (int k = 0; k < n; k++) {
        const hbbin_blob *b = progs[k];
        uint32_t id = b->id;
        hbperf_sub *s = &subs[k];
        const hbbin_blob *cb = find_blob(m, HBBIN_SEC_CONSTANTS, id);
        char err[512];
        snprintf(s->name, sizeof s->name, "%s_subgraph_%u", fname, id);
        const hbbin_blob *lb = hbbin_layer_map_blob(m, id);
        s->const_bytes = cb ? cb->size : 0;
        if (hbperf_sub_estimate(b->data, (size_t)b->size, march, s, err, sizeof err) != 0 ||
            (lb && hbperf_sub_layers(s, b->data, (size_t)b->size, march, lb->data, (size_t)lb->size,
                                     err, sizeof err) != 0)) {
            fprintf(stderr, "ERROR model %s: %s\n", m->name, err);
            goto out;
        }
        layers += s->n_layers > 0;
        hbperf_model one = {.name = s->name, .march = march, .n_sub = 1, .sub = s};
        if (write_unit(&one, dir, s->name) != 0 || (sim && simulate(m, b, march, s) != 0))
            goto out;
    }
    hbperf_model pm = {.name = m->name, .march = march, .n_sub = n, .sub = subs};
    if (write_unit(&pm, dir, fname) != 0)
        goto out;
    bpu_counters t;
    hbperf_model_total(&pm, &t);
    if (!n)
        printf("WARNING model %s has no BPU subgraph: everything runs on the CPU, which hb_perf "
               "does not model\n",
               m->name);
    printf("Model Performance Summary\n");
    printf("  Model Name                                   : %s\n", m->name);
    printf("  BPU march                                    : %s\n", bpu_march_get(march)->name);
    printf("  BPU subgraphs                                : %d\n", n);
    printf("  Model Latency (ms)                           : %.6f\n", hbperf_ms(t.cycles, march));
    printf("  Cycles per frame                             : %llu\n", (unsigned long long)t.cycles);
    printf("  FPS (BPU only)                               : %.2f\n",
           t.cycles ? 1000.0 / hbperf_ms(t.cycles, march) : 0.0);
    printf("  Total DDR (loaded+stored) per frame (MB)     : %.6f\n",
           (double)(t.ddr_load_bytes + t.ddr_store_bytes) / 1e6);
    printf("  Loaded Bytes per Frame                       : %llu\n",
           (unsigned long long)t.ddr_load_bytes);
    printf("  Stored Bytes per Frame                       : %llu\n",
           (unsigned long long)t.ddr_store_bytes);
    printf("  BPU OPs per frame (2 x MACs)                 : %llu\n",
           (unsigned long long)(2 * t.macs));
    printf("  MAC utilisation                              : %.2f%%\n",
           100.0 * hbperf_mac_utilisation(&t, march));
    if (layers == n)
        printf("Per-layer figures (%s/%s.json \"layer details\", %s/%s.html)\n", dir, fname, dir,
               fname);
    else
        printf("bpu model don't have per-layer perf info: %d of %d BPU programs have no "
               "LAYER_MAP (which node each instruction belongs to); %s/%s.html breaks the time "
               "down per instruction class.\n",
               n - layers, n, dir, fname);
    rc = 0;
out:
    free((void *)progs);
    for (int k = 0; k < n; k++)
        hbperf_sub_free(&subs[k]);
    free(subs);
    return rc;
}

/* 1 if `name` is one of the ';'-separated names of list. */
static int selected(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p += len + (e != NULL);
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: hb_perf [-m NAME[;NAME...]] [-o DIR] [--simulate] MODEL.bin\n"
               "  -m NAMES     models of a packed .bin to report (default: all)\n"
               "  -o DIR       output folder (default: " DEFAULT_DIR ")\n"
               "  --simulate   also run every BPU program on the simulator and check that it\n"
               "               counts what the static estimate says\n");
}

int main(int argc, char **argv)
{
    const char *bin = NULL, *names = NULL, *out_dir = DEFAULT_DIR;
    int sim = 0, rc = EXIT_FAIL;
    char err[512];
    hbbin_file *f = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "-m") && i + 1 < argc) {
            names = argv[++i];
        } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (!strcmp(argv[i], "--simulate")) {
            sim = 1;
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
    size_t n = strlen(bin);
    if (n < 4 || strcmp(bin + n - 4, ".bin") != 0) {
        fprintf(stderr, "ERROR model %s is not a bin model\n", bin);
        return EXIT_FAIL;
    }
    if (hbbin_open_file(bin, &f, err, sizeof err) != HBBIN_OK) {
        fprintf(stderr, "ERROR %s\n", err);
        return EXIT_FAIL;
    }
    const hbbin_info *info = hbbin_file_info(f);
    bpu_march_id march = (bpu_march_id)info->march;
    if (!bpu_march_get(march)) {
        fprintf(stderr, "ERROR %s: march %u has no BPU model\n", bin, info->march);
        goto out;
    }
    int done = 0;
    for (uint32_t i = 0; i < info->model_count; i++) {
        const hbbin_model *m = hbbin_model_at(f, i);
        if (names && !selected(names, m->name))
            continue;
        if (perf_model(m, march, out_dir, sim) != 0)
            goto out;
        done++;
    }
    if (names && done == 0) {
        fprintf(stderr, "ERROR %s: no model named '%s'\n", bin, names);
        goto out;
    }
    rc = EXIT_OK;
out:
    hbbin_close(f);
    return rc;
}
