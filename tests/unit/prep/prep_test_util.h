/* Helpers shared by the hbc_prep tests: fixture paths, .npy goldens as bytes, and images. */
#ifndef PREP_TEST_UTIL_H
#define PREP_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc/prep.h"
#include "hbg/npy.h"

/* HB_SOURCE_DIR "/tests/data/prep/<rel>" into buf. */
static inline const char *prep_fixture(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/tests/data/prep/%s", HB_SOURCE_DIR, rel);
    return buf;
}

/* A uint8 .npy golden under tests/data/prep; fails the test if it does not load. */
static inline hbg_tensor *prep_golden(const char *rel)
{
    char p[1024], err[512];
    hbg_tensor *t = NULL;
    if (hbg_npy_load(prep_fixture(p, sizeof p, rel), "golden", &t, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "cannot load golden %s: %s\n", p, err);
        abort();
    }
    if (t->dtype != HBG_DT_U8) {
        fprintf(stderr, "golden %s is not uint8\n", p);
        abort();
    }
    return t;
}

/* Decode a fixture image; aborts on failure (the decoder tests check failures themselves). */
static inline hbc_image prep_load_image(const char *rel)
{
    char p[1024], err[512];
    hbc_image img;
    if (hbc_image_load(prep_fixture(p, sizeof p, rel), &img, err, sizeof err) != HBG_OK) {
        fprintf(stderr, "cannot decode %s: %s\n", p, err);
        abort();
    }
    return img;
}

/* Index of the first differing byte, or -1 when the n bytes are equal. */
static inline long prep_first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (long)i;
    return -1;
}

#endif /* PREP_TEST_UTIL_H */
