/* hb_pack A.bin B.bin ... -o comb.bin: pack several .bin files into one (docs/bin-format.md 7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hb_bin/bin_writer.h"

static void usage(FILE *to)
{
    fprintf(to, "usage: hb_pack A.bin B.bin [...] -o comb.bin\n"
                "Pack two or more .bin model files into one packed .bin file.\n");
}

int main(int argc, char **argv)
{
    static const uint16_t version[3] = {HB_TOOLCHAIN_MAJOR, HB_TOOLCHAIN_MINOR, HB_TOOLCHAIN_PATCH};
    const char *output = NULL;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    uint32_t n = 0;
    char err[1024];
    int rc = 1;
    if (!inputs) {
        fprintf(stderr, "ERROR out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "ERROR unknown option %s\n", argv[i]);
            usage(stderr);
            goto out;
        } else {
            inputs[n++] = argv[i];
        }
    }
    if (!output || n < 2) {
        usage(stderr);
        goto out;
    }
    if (hbbw_pack(inputs, n, output, version, err, sizeof err) != HBBIN_OK) {
        fprintf(stderr, "ERROR %s\n", err);
        goto out;
    }
    printf("packed %u files into %s\n", n, output);
    rc = 0;
out:
    free(inputs);
    return rc;
}
