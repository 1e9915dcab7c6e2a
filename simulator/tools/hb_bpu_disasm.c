/* hb_bpu_disasm: print a raw BPU program (a file of 64-byte instructions) one instruction a line.
 *   hb_bpu_disasm [--march bernoulli2|bayes|bayes-e] [--check] [--json] program.bin
 * --check also validates the program for the march (fields, SRAM, tokens) and exits 1 on error;
 * --json prints the static estimate counters (implies --check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpu/isa.h"
#include "bpu/sim.h"

static int usage(void)
{
    fprintf(stderr, "usage: hb_bpu_disasm [--march bernoulli2|bayes|bayes-e] [--check] [--json] "
                    "program.bin\n");
    return 2;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");
    long size = -1;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto done;
    buf = malloc(size > 0 ? (size_t)size : 1u);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    *len = (size_t)size;
done:
    if (f)
        fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bpu_march_id march = BPU_MARCH_BERNOULLI2;
    int check = 0, json = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--march") == 0 && i + 1 < argc) {
            if (bpu_march_find(argv[++i], &march) != 0) {
                fprintf(stderr, "hb_bpu_disasm: unknown march %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--check") == 0) {
            check = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            check = json = 1;
        } else if (argv[i][0] == '-' || path) {
            return usage();
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage();
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes) {
        fprintf(stderr, "hb_bpu_disasm: cannot read %s\n", path);
        return 1;
    }
    if (len % BPU_INSN_BYTES != 0) {
        fprintf(stderr, "hb_bpu_disasm: %s: %zu bytes is not a multiple of %d\n", path, len,
                BPU_INSN_BYTES);
        rc = 1;
    }
    for (size_t i = 0; i < len / BPU_INSN_BYTES; i++) {
        bpu_insn in;
        bpu_error err;
        char text[1024];
        if (bpu_decode(bytes + i * BPU_INSN_BYTES, (int64_t)i, &in, &err) != BPU_OK) {
            printf("%5zu: <%s>\n", i, err.msg);
            rc = 1;
            continue;
        }
        bpu_disasm(&in, text, sizeof(text));
        printf("%5zu: %s\n", i, text);
    }
    if (check && rc == 0) {
        bpu_program *p = NULL;
        bpu_error err;
        if (bpu_program_load(bytes, len, march, &p, &err) != BPU_OK) {
            fprintf(stderr, "hb_bpu_disasm: %s: %s\n", path, err.msg);
            rc = 1;
        } else if (json) {
            char text[4096];
            bpu_counters_json(bpu_program_estimate(p), text, sizeof(text));
            printf("%s\n", text);
        }
        bpu_program_free(p);
    }
    free(bytes);
    return rc;
}
