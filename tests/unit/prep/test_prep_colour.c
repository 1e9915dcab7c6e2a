/* hbc_prep colour conversions: hand-derived BT.601 values (full and video range, rounding half
 * up, clamping), the NV12 2x2 rule (mean of exact chroma, not of rounded chroma), NV12 -> YUV444
 * replication, the affine form, and numpy goldens on resized photos
 * (tests/prep/make_prep_fixtures.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "prep_test_util.h"

static hbc_image make_rgb(int w, int h, const uint8_t *px)
{
    hbc_image img;
    char err[256];
    assert_int_equal(hbc_image_alloc(&img, w, h, 3, err, sizeof err), HBG_OK);
    memcpy(img.data, px, (size_t)w * (size_t)h * 3);
    return img;
}

/* Each row: R, G, B, then Y, U, V full range, then Y, U, V video range, derived by hand from the
 * three-decimal coefficients (e.g. (100, 150, 200) video: V = 43.9 - 55.2 - 14.2 + 128 = 102.5,
 * rounded half up to 103). */
static const uint8_t yuv_cases[][9] = {
    {0, 0, 0, 0, 128, 128, 16, 128, 128},
    {255, 255, 255, 255, 128, 128, 235, 128, 128},
    {255, 0, 0, 76, 85, 255, 82, 90, 240}, /* V = 255.5 -> 256, clamped */
    {0, 255, 0, 150, 44, 21, 145, 54, 34},
    {0, 0, 255, 29, 255, 107, 41, 240, 110}, /* U = 255.5 -> clamped */
    {100, 150, 200, 141, 161, 99, 137, 157, 103},
};

static void test_rgb_yuv444_hand(void **state)
{
    (void)state;
    char err[256];
    for (size_t i = 0; i < sizeof yuv_cases / sizeof yuv_cases[0]; i++) {
        hbc_image rgb = make_rgb(1, 1, yuv_cases[i]), yuv;
        assert_int_equal(hbc_image_rgb_to_yuv444(&rgb, HBC_YUV_FULL, &yuv, err, sizeof err),
                         HBG_OK);
        assert_memory_equal(yuv.data, yuv_cases[i] + 3, 3);
        hbc_image_free(&yuv);
        assert_int_equal(hbc_image_rgb_to_yuv444(&rgb, HBC_YUV_VIDEO, &yuv, err, sizeof err),
                         HBG_OK);
        assert_memory_equal(yuv.data, yuv_cases[i] + 6, 3);
        hbc_image_free(&yuv);
        hbc_image_free(&rgb);
    }
}

static void test_yuv444_rgb_hand(void **state)
{
    (void)state;
    char err[256];
    /* full (141, 161, 99): U' = 33, V' = -29; R = 141 - 1.402 * 29 = 100.342; G = 141 -
     * .344136 * 33 + .714136 * 29 = 150.353; B = 141 + 1.772 * 33 = 199.476 -> (100, 150, 199).
     * video (137, 157, 103): Y = 121 * 255 / 219 = 140.890, U' = 29 * 255 / 224 = 33.013,
     * V' = -25 * 255 / 224 = -28.460; R = 140.890 - 1.402 * 28.460 = 100.989; G = 140.890 -
     * .344136 * 33.013 + .714136 * 28.460 = 149.853; B = 140.890 + 1.772 * 33.013 = 199.389. */
    static const uint8_t full_in[3] = {141, 161, 99}, video_in[3] = {137, 157, 103};
    static const uint8_t want[3] = {100, 150, 199}, want_v[3] = {101, 150, 199};
    /* clamping: Y 255 with V 255 gives R = 255 + 178.05 -> 255, G = 255 - .714136 * 127 =
     * 164.305; Y 0 with V 0: R < 0 -> 0, G = .714136 * 128 = 91.41 */
    static const uint8_t clamp_in[6] = {255, 128, 255, 0, 128, 0};
    static const uint8_t clamp_want[6] = {255, 164, 255, 0, 91, 0};
    hbc_image yuv = make_rgb(1, 1, full_in), rgb;
    assert_int_equal(hbc_image_yuv444_to_rgb(&yuv, HBC_YUV_FULL, &rgb, err, sizeof err), HBG_OK);
    assert_memory_equal(rgb.data, want, 3);
    hbc_image_free(&rgb);
    hbc_image_free(&yuv);
    yuv = make_rgb(1, 1, video_in);
    assert_int_equal(hbc_image_yuv444_to_rgb(&yuv, HBC_YUV_VIDEO, &rgb, err, sizeof err), HBG_OK);
    assert_memory_equal(rgb.data, want_v, 3);
    hbc_image_free(&rgb);
    hbc_image_free(&yuv);
    yuv = make_rgb(2, 1, clamp_in);
    assert_int_equal(hbc_image_yuv444_to_rgb(&yuv, HBC_YUV_FULL, &rgb, err, sizeof err), HBG_OK);
    assert_memory_equal(rgb.data, clamp_want, 6);
    hbc_image_free(&rgb);
    hbc_image_free(&yuv);
}

static void test_gray_and_affine(void **state)
{
    (void)state;
    char err[256];
    static const uint8_t px[6] = {100, 150, 200, 255, 0, 0};
    hbc_image rgb = make_rgb(2, 1, px), g;
    assert_int_equal(hbc_image_rgb_to_gray(&rgb, &g, err, sizeof err), HBG_OK);
    assert_int_equal(g.c, 1);
    assert_int_equal(g.data[0], 141);
    assert_int_equal(g.data[1], 76);
    hbc_image_free(&g);
    hbc_image_free(&rgb);
    double m[9], off[3];
    const double g_u = 0.114 * 1.772 / 0.587, g_v = 0.299 * 1.402 / 0.587; /* .344136, .714136 */
    hbc_yuv_to_rgb_affine(HBC_YUV_FULL, m, off);
    assert_float_equal(m[0], 1.0, 1e-12);
    assert_float_equal(m[2], 1.402, 1e-12);
    assert_float_equal(m[4], -g_u, 1e-12);
    assert_float_equal(m[4], -0.344136, 1e-6);
    assert_float_equal(m[5], -0.714136, 1e-6);
    assert_float_equal(m[7], 1.772, 1e-12);
    assert_float_equal(off[0], -1.402 * 128, 1e-9);
    assert_float_equal(off[1], (g_u + g_v) * 128, 1e-9);
    hbc_yuv_to_rgb_affine(HBC_YUV_VIDEO, m, off);
    assert_float_equal(m[0], 255.0 / 219.0, 1e-12);
    assert_float_equal(m[8], 0.0, 1e-12);
    assert_float_equal(off[2], -16 * 255.0 / 219.0 - 1.772 * 255.0 / 224.0 * 128, 1e-9);
}

static void test_nv12_hand(void **state)
{
    (void)state;
    char err[256];
    /* One 2x2 block: red, red / black, black. Exact chroma mean: U = -.169 * 127.5 + 128 =
     * 106.45 -> 106, V = .5 * 127.5 + 128 = 191.75 -> 192. (The mean of the rounded per-pixel
     * U values 85, 85, 128, 128 would be 106.5 -> 107: the rule matters.) */
    static const uint8_t px[12] = {255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t want[6] = {76, 76, 0, 0, 106, 192};
    uint8_t nv12[6];
    hbc_image rgb = make_rgb(2, 2, px), yuv;
    assert_int_equal(hbc_nv12_size(2, 2), 6);
    assert_int_equal(hbc_image_rgb_to_nv12(&rgb, HBC_YUV_FULL, nv12, err, sizeof err), HBG_OK);
    assert_memory_equal(nv12, want, 6);
    assert_int_equal(hbc_nv12_to_yuv444(nv12, 2, 2, &yuv, err, sizeof err), HBG_OK);
    static const uint8_t want444[12] = {76, 106, 192, 76, 106, 192, 0, 106, 192, 0, 106, 192};
    assert_memory_equal(yuv.data, want444, 12);
    hbc_image_free(&yuv);
    hbc_image_free(&rgb);

    /* YUV444 -> NV12: chroma (10, 11, 11, 11) -> 10.75 -> 11; V (10, 10, 11, 11) -> 10.5 -> 11
     * (half up); a second block U (10, 10, 10, 11) -> 10.25 -> 10, V all 200. */
    static const uint8_t y444[24] = {1, 10, 10, 2, 11, 10, 3, 10, 200, 4, 10, 200,
                                     5, 11, 11, 6, 11, 11, 7, 10, 200, 8, 11, 200};
    static const uint8_t want2[12] = {1, 2, 3, 4, 5, 6, 7, 8, 11, 11, 10, 200};
    uint8_t nv2[12];
    hbc_image y4 = make_rgb(4, 2, y444);
    assert_int_equal(hbc_image_yuv444_to_nv12(&y4, nv2, err, sizeof err), HBG_OK);
    assert_memory_equal(nv2, want2, 12);
    hbc_image_free(&y4);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char err[256] = "";
    static const uint8_t px[9] = {0};
    uint8_t nv12[16];
    hbc_image odd = make_rgb(3, 1, px), out, gray;
    assert_int_equal(hbc_image_rgb_to_nv12(&odd, HBC_YUV_FULL, nv12, err, sizeof err),
                     HBG_E_INVALID);
    assert_non_null(strstr(err, "even"));
    assert_int_equal(hbc_image_yuv444_to_nv12(&odd, nv12, err, sizeof err), HBG_E_INVALID);
    assert_int_equal(hbc_nv12_to_yuv444(nv12, 3, 2, &out, err, sizeof err), HBG_E_INVALID);
    assert_null(out.data);
    assert_int_equal(hbc_image_rgb_to_yuv444(&odd, (hbc_yuv_space)7, &out, err, sizeof err),
                     HBG_E_INVALID);
    assert_int_equal(hbc_image_alloc(&gray, 2, 2, 1, err, sizeof err), HBG_OK);
    assert_int_equal(hbc_image_rgb_to_yuv444(&gray, HBC_YUV_FULL, &out, err, sizeof err),
                     HBG_E_INVALID);
    assert_int_equal(hbc_image_rgb_to_gray(&gray, &out, err, sizeof err), HBG_E_INVALID);
    assert_null(out.data);
    hbc_image_free(&gray);
    hbc_image_free(&odd);
}

/* The numpy goldens: NV12 (full and video) and the YUV444 it expands to, of two resized
 * photos. The input is the resize golden, so this checks colour alone. */
static void check_golden(const char *base, int w, int h)
{
    static const char *const spaces[2] = {"full", "video"};
    char rel[256], err[256];
    snprintf(rel, sizeof rel, "golden/%s_resize_%dx%d.npy", base, w, h);
    hbg_tensor *src = prep_golden(rel);
    hbc_image rgb = make_rgb(w, h, src->data);
    uint8_t *nv12 = malloc(hbc_nv12_size(w, h));
    assert_non_null(nv12);
    for (int s = 0; s < 2; s++) {
        snprintf(rel, sizeof rel, "golden/%s_resize_%dx%d_nv12_%s.npy", base, w, h, spaces[s]);
        hbg_tensor *g = prep_golden(rel);
        assert_int_equal(hbg_tensor_numel(g), (int64_t)hbc_nv12_size(w, h));
        assert_int_equal(hbc_image_rgb_to_nv12(&rgb, (hbc_yuv_space)s, nv12, err, sizeof err),
                         HBG_OK);
        long d = prep_first_diff(nv12, g->data, hbc_nv12_size(w, h));
        if (d >= 0)
            fail_msg("%s: byte %ld is %d, numpy says %d", rel, d, nv12[d], ((uint8_t *)g->data)[d]);
        hbg_tensor_free(g);
        hbc_image yuv;
        snprintf(rel, sizeof rel, "golden/%s_resize_%dx%d_yuv444_%s.npy", base, w, h, spaces[s]);
        g = prep_golden(rel);
        assert_int_equal(hbc_nv12_to_yuv444(nv12, w, h, &yuv, err, sizeof err), HBG_OK);
        assert_int_equal(hbg_tensor_numel(g), (int64_t)w * h * 3);
        d = prep_first_diff(yuv.data, g->data, (size_t)w * (size_t)h * 3);
        if (d >= 0)
            fail_msg("%s: byte %ld differs", rel, d);
        hbc_image_free(&yuv);
        hbg_tensor_free(g);
    }
    free(nv12);
    hbc_image_free(&rgb);
    hbg_tensor_free(src);
}

static void test_goldens(void **state)
{
    (void)state;
    check_golden("astro_96", 52, 38);
    check_golden("astro_crop", 90, 66);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rgb_yuv444_hand), cmocka_unit_test(test_yuv444_rgb_hand),
        cmocka_unit_test(test_gray_and_affine), cmocka_unit_test(test_nv12_hand),
        cmocka_unit_test(test_bad_arguments),   cmocka_unit_test(test_goldens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
