/* hbc_prep decoders: every fixture of tests/data/prep/decode decodes to the pixels Pillow gives
 * (or, for the hand-written interlaced PNG and 4-bit / bit-field BMPs, the source pixels), and
 * every broken or refused file fails with the right status and a message naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "prep_test_util.h"

/* fixture, expected channels */
static const struct {
    const char *file;
    int c;
} good[] = {
    {"rgb.png", 3},    {"gray.png", 1},         {"palette.png", 3}, {"rgba.png", 3},
    {"gray16.png", 1}, {"interlaced.png", 3},   {"rgb.jpg", 3},     {"rgb_420.jpg", 3},
    {"gray.jpg", 1},   {"rgb24.bmp", 3},        {"pal8.bmp", 3},    {"mono1.bmp", 3},
    {"pal4.bmp", 3},   {"bf32_topdown.bmp", 3},
};

static void test_good_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char rel[256], name[128];
        snprintf(rel, sizeof rel, "decode/%s", good[i].file);
        snprintf(name, sizeof name, "%s", good[i].file);
        *strchr(name, '.') = '_';
        hbc_image img = prep_load_image(rel);
        snprintf(rel, sizeof rel, "decode/%s.npy", name);
        hbg_tensor *g = prep_golden(rel);
        assert_int_equal(g->rank, 3);
        if (img.w != g->dims[1] || img.h != g->dims[0] || img.c != good[i].c || img.c != g->dims[2])
            fail_msg("%s: %dx%dx%d, expected %lldx%lldx%lld", good[i].file, img.w, img.h, img.c,
                     (long long)g->dims[1], (long long)g->dims[0], (long long)g->dims[2]);
        long d = prep_first_diff(img.data, g->data, (size_t)hbg_tensor_numel(g));
        if (d >= 0)
            fail_msg("%s: byte %ld is %d, expected %d", good[i].file, d, img.data[d],
                     ((uint8_t *)g->data)[d]);
        hbg_tensor_free(g);
        hbc_image_free(&img);
    }
}

/* fixture, status, a word the message must contain besides the file name */
static const struct {
    const char *file;
    hbg_status st;
    const char *word;
} bad[] = {
    {"bad_truncated.png", HBG_E_FORMAT, "PNG"},
    {"bad_crc.png", HBG_E_FORMAT, "PNG"},
    {"bad_truncated.jpg", HBG_E_FORMAT, "JPEG"},
    {"bad_header.jpg", HBG_E_FORMAT, "JPEG"},
    {"bad_cmyk.jpg", HBG_E_UNSUPPORTED, "CMYK"},
    {"bad_rle8.bmp", HBG_E_UNSUPPORTED, "compression"},
    {"bad_16bit.bmp", HBG_E_UNSUPPORTED, "16 bits"},
    {"bad_short.bmp", HBG_E_FORMAT, "past the end"},
    {"bad_palette_index.bmp", HBG_E_FORMAT, "palette"},
    {"bad_huge.bmp", HBG_E_FORMAT, "100000"},
    {"bad_not_image.txt", HBG_E_FORMAT, "not a JPEG, PNG or BMP"},
    {"missing.png", HBG_E_IO, "cannot open"},
};

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char rel[256], p[1024], err[512] = "";
        hbc_image img;
        snprintf(rel, sizeof rel, "decode/%s", bad[i].file);
        hbg_status st = hbc_image_load(prep_fixture(p, sizeof p, rel), &img, err, sizeof err);
        if (st != bad[i].st || !strstr(err, p) || !strstr(err, bad[i].word))
            fail_msg("%s: status %s, message '%s'", bad[i].file, hbg_status_str(st), err);
        assert_null(img.data);
    }
}

/* Every prefix of a good file of each format fails cleanly (or, for formats that can legally end
 * early, decodes): no crash, no leak under ASan. */
static void test_prefixes(void **state)
{
    (void)state;
    static const char *const files[] = {"rgb.png", "interlaced.png", "rgb.jpg", "rgb24.bmp"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char rel[256], p[1024], err[512];
        snprintf(rel, sizeof rel, "decode/%s", files[f]);
        FILE *fp = fopen(prep_fixture(p, sizeof p, rel), "rb");
        assert_non_null(fp);
        uint8_t buf[8192];
        size_t n = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        assert_true(n > 0 && n < sizeof buf);
        for (size_t len = 0; len < n; len++) {
            hbc_image img;
            hbg_status st = hbc_image_decode(buf, len, "prefix", &img, err, sizeof err);
            assert_int_not_equal(st, HBG_OK);
            assert_non_null(strstr(err, "prefix"));
            assert_null(img.data);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_files),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
