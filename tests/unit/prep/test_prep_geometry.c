/* hbc_prep geometry: bilinear resize (hand-derived values, numpy goldens on photos), short-side
 * resize, crops, padding, HWC <-> CHW, RGB <-> BGR, the hb_eval_preprocess kinds (CRC-32 of the
 * numpy pipeline), and refusals of bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <zlib.h>

#include "prep_test_util.h"

static hbc_image make(int w, int h, int c, const uint8_t *px)
{
    hbc_image img;
    char err[256];
    assert_int_equal(hbc_image_alloc(&img, w, h, c, err, sizeof err), HBG_OK);
    memcpy(img.data, px, (size_t)w * (size_t)h * (size_t)c);
    return img;
}

static void test_resize_hand(void **state)
{
    (void)state;
    char err[256];
    /* 2 -> 4 pixels, half-pixel centres: s = (2i + 1) / 4 - 0.5 = -0.25, 0.25, 0.75, 1.25 ->
     * clamped 0, then 0.25 and 0.75 of the way from 0 to 100, then the last pixel. */
    static const uint8_t row[2] = {0, 100}, want[4] = {0, 25, 75, 100};
    hbc_image src = make(2, 1, 1, row), dst;
    assert_int_equal(hbc_image_resize(&src, 4, 1, &dst, err, sizeof err), HBG_OK);
    assert_int_equal(dst.w, 4);
    assert_int_equal(dst.h, 1);
    assert_memory_equal(dst.data, want, 4);
    hbc_image_free(&dst);
    hbc_image_free(&src);

    /* 4x4 -> 2x2 is the mean of each 2x2 block (s = 2i + 0.5); (1 + 2 + 5 + 6) / 4 = 3.5 rounds
     * up to 4. */
    static const uint8_t sq[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t sq_want[4] = {4, 6, 12, 14};
    src = make(4, 4, 1, sq);
    assert_int_equal(hbc_image_resize(&src, 2, 2, &dst, err, sizeof err), HBG_OK);
    assert_memory_equal(dst.data, sq_want, 4);
    hbc_image_free(&dst);

    /* 4 -> 3: s = (2i + 1) * 4 / 6 - 0.5 = 1/6, 1.5, 17/6; weight round(2048 / 6) = 341:
     * x0 = (1707 * 1 + 341 * 2) / 2048 = 1.1665 -> 1; x1 = 2.5 -> 3 (half up); x2: weight
     * round(2048 * 5 / 6) = 1707, (341 * 3 + 1707 * 4) / 2048 = 3.8335 -> 4. Rows likewise. */
    hbc_image_free(&src);
    static const uint8_t r4[4] = {1, 2, 3, 4}, r3[3] = {1, 3, 4};
    src = make(4, 1, 1, r4);
    assert_int_equal(hbc_image_resize(&src, 3, 1, &dst, err, sizeof err), HBG_OK);
    assert_memory_equal(dst.data, r3, 3);
    hbc_image_free(&dst);
    hbc_image_free(&src);

    /* Identity size is a copy; channels stay interleaved. */
    static const uint8_t rgb[6] = {1, 2, 3, 4, 5, 6};
    src = make(2, 1, 3, rgb);
    assert_int_equal(hbc_image_resize(&src, 2, 1, &dst, err, sizeof err), HBG_OK);
    assert_memory_equal(dst.data, rgb, 6);
    hbc_image_free(&dst);
    hbc_image_free(&src);
}

static void check_resize_golden(const char *photo, int w, int h)
{
    char rel[256], err[256];
    snprintf(rel, sizeof rel, "photos/%s.png", photo);
    hbc_image img = prep_load_image(rel), out;
    snprintf(rel, sizeof rel, "golden/%s_resize_%dx%d.npy", photo, w, h);
    hbg_tensor *g = prep_golden(rel);
    assert_int_equal(hbc_image_resize(&img, w, h, &out, err, sizeof err), HBG_OK);
    assert_int_equal(hbg_tensor_numel(g), (int64_t)w * h * out.c);
    long d = prep_first_diff(out.data, g->data, (size_t)hbg_tensor_numel(g));
    if (d >= 0)
        fail_msg("%s: byte %ld is %d, numpy says %d", rel, d, out.data[d], ((uint8_t *)g->data)[d]);
    hbc_image_free(&out);
    hbc_image_free(&img);
    hbg_tensor_free(g);
}

static void test_resize_goldens(void **state)
{
    (void)state;
    check_resize_golden("astro_96", 52, 38);   /* down, unequal ratios */
    check_resize_golden("astro_crop", 90, 66); /* up */
    check_resize_golden("astro_gray", 22, 18); /* one channel */
}

static void test_resize_short_crop_pad(void **state)
{
    (void)state;
    char err[256];
    hbc_image src, dst, c;
    assert_int_equal(hbc_image_alloc(&src, 300, 200, 3, err, sizeof err), HBG_OK);
    assert_int_equal(hbc_image_resize_short(&src, 100, &dst, err, sizeof err), HBG_OK);
    assert_int_equal(dst.w, 150);
    assert_int_equal(dst.h, 100);
    hbc_image_free(&dst);
    hbc_image_free(&src);
    /* 5 x 7 portrait, short side 3: long = round(7 * 3 / 5 = 4.2) = 4. 5 x 9: 5.4 -> 5; 2 x 5 to
     * 3: 7.5 -> 8 (half up). */
    assert_int_equal(hbc_image_alloc(&src, 5, 7, 1, err, sizeof err), HBG_OK);
    assert_int_equal(hbc_image_resize_short(&src, 3, &dst, err, sizeof err), HBG_OK);
    assert_int_equal(dst.w, 3);
    assert_int_equal(dst.h, 4);
    hbc_image_free(&dst);
    hbc_image_free(&src);
    assert_int_equal(hbc_image_alloc(&src, 2, 5, 1, err, sizeof err), HBG_OK);
    assert_int_equal(hbc_image_resize_short(&src, 3, &dst, err, sizeof err), HBG_OK);
    assert_int_equal(dst.h, 8);
    hbc_image_free(&dst);
    assert_int_equal(hbc_image_resize_short(&src, 0, &dst, err, sizeof err), HBG_E_INVALID);
    hbc_image_free(&src);

    /* 5x5 ramp, centre crop 2x2 starts at ((5 - 2) / 2, (5 - 2) / 2) = (1, 1). */
    uint8_t ramp[25];
    for (int i = 0; i < 25; i++)
        ramp[i] = (uint8_t)i;
    src = make(5, 5, 1, ramp);
    assert_int_equal(hbc_image_center_crop(&src, 2, 2, &c, err, sizeof err), HBG_OK);
    static const uint8_t cc[4] = {6, 7, 11, 12};
    assert_memory_equal(c.data, cc, 4);
    hbc_image_free(&c);
    assert_int_equal(hbc_image_crop(&src, 3, 4, 2, 1, &c, err, sizeof err), HBG_OK);
    assert_int_equal(c.data[0], 23);
    assert_int_equal(c.data[1], 24);
    hbc_image_free(&c);
    assert_int_equal(hbc_image_crop(&src, 4, 4, 2, 1, &c, err, sizeof err), HBG_E_INVALID);
    assert_non_null(strstr(err, "not inside"));
    assert_null(c.data);
    assert_int_equal(hbc_image_center_crop(&src, 6, 1, &c, err, sizeof err), HBG_E_INVALID);
    hbc_image_free(&src);

    /* Pad a 2x1 RGB image by 1 on top, 2 on the right with 9. */
    static const uint8_t px[6] = {1, 2, 3, 4, 5, 6};
    src = make(2, 1, 3, px);
    assert_int_equal(hbc_image_pad(&src, 1, 0, 0, 2, 9, &c, err, sizeof err), HBG_OK);
    assert_int_equal(c.w, 4);
    assert_int_equal(c.h, 2);
    static const uint8_t padded[24] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                       1, 2, 3, 4, 5, 6, 9, 9, 9, 9, 9, 9};
    assert_memory_equal(c.data, padded, 24);
    hbc_image_free(&c);
    assert_int_equal(hbc_image_pad(&src, -1, 0, 0, 0, 0, &c, err, sizeof err), HBG_E_INVALID);
    hbc_image_free(&src);
}

static void test_layout_and_order(void **state)
{
    (void)state;
    char err[256];
    static const uint8_t hwc[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; /* 2x2 RGB */
    static const uint8_t chw[12] = {1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12};
    static const uint8_t bgr[12] = {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10};
    uint8_t planar[12];
    hbc_image img = make(2, 2, 3, hwc), back;
    hbc_image_to_chw(&img, planar);
    assert_memory_equal(planar, chw, 12);
    assert_int_equal(hbc_image_from_chw(planar, 2, 2, 3, &back, err, sizeof err), HBG_OK);
    assert_memory_equal(back.data, hwc, 12);
    hbc_image_swap_rb(&back);
    assert_memory_equal(back.data, bgr, 12);
    hbc_image_swap_rb(&back);
    assert_memory_equal(back.data, hwc, 12);
    hbc_image_free(&back);
    hbc_image_free(&img);
}

static void test_alloc_limits(void **state)
{
    (void)state;
    char err[256];
    hbc_image img;
    assert_int_equal(hbc_image_alloc(&img, 0, 1, 3, err, sizeof err), HBG_E_INVALID);
    assert_int_equal(hbc_image_alloc(&img, 1, 1, 2, err, sizeof err), HBG_E_INVALID);
    assert_int_equal(
        hbc_image_alloc(&img, HBC_IMAGE_MAX_SIDE, HBC_IMAGE_MAX_SIDE, 1, err, sizeof err),
        HBG_E_INVALID);
    assert_null(img.data);
    hbc_image empty = {0}, out;
    assert_int_equal(hbc_image_resize(&empty, 2, 2, &out, err, sizeof err), HBG_E_INVALID);
    assert_null(out.data);
    hbc_image_free(&empty);
    hbc_image_free(NULL);
}

/* Every kind on every photo against the CRC-32 of the numpy pipeline, and cifar10 byte by byte. */
static void test_kinds(void **state)
{
    (void)state;
    char p[1024], err[256], photo[64], kind[64];
    unsigned want;
    int n = 0;
    FILE *f = fopen(prep_fixture(p, sizeof p, "golden/kinds_crc32.txt"), "r");
    assert_non_null(f);
    assert_null(hbc_prep_kind_find("nope"));
    assert_null(hbc_prep_kind_at(-1));
    assert_null(hbc_prep_kind_at(hbc_prep_kind_count()));
    while (fscanf(f, "%63s %63s %x", photo, kind, &want) == 3) {
        char rel[256];
        snprintf(rel, sizeof rel, "photos/%s.png", photo);
        hbc_image img = prep_load_image(rel);
        const hbc_prep_kind *k = hbc_prep_kind_find(kind);
        assert_non_null(k);
        uint8_t *buf = malloc(hbc_prep_kind_size(k));
        assert_non_null(buf);
        assert_int_equal(hbc_prep_kind_apply(k, &img, buf, err, sizeof err), HBG_OK);
        unsigned got = (unsigned)crc32(0L, buf, (uInt)hbc_prep_kind_size(k));
        if (got != want)
            fail_msg("%s %s: crc32 %08x, numpy %08x", photo, kind, got, want);
        if (strcmp(kind, "cifar10") == 0) {
            snprintf(rel, sizeof rel, "golden/%s_cifar10.npy", photo);
            hbg_tensor *g = prep_golden(rel);
            assert_memory_equal(buf, g->data, hbc_prep_kind_size(k));
            hbg_tensor_free(g);
        }
        free(buf);
        hbc_image_free(&img);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 3 * hbc_prep_kind_count());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resize_hand),           cmocka_unit_test(test_resize_goldens),
        cmocka_unit_test(test_resize_short_crop_pad), cmocka_unit_test(test_layout_and_order),
        cmocka_unit_test(test_alloc_limits),          cmocka_unit_test(test_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
