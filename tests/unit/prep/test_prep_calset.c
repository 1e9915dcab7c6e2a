/* hbc_calset_load on raw, .npy and image folders: the samples equal the numpy goldens taken
 * through the documented path (train colour -> NV12 -> YUV444 or channel order, - 128, layout),
 * samples are sorted by file name, and every bad input (empty or missing folder, wrong sizes,
 * NaN/Inf, out-of-range pixels, undecodable images, mismatched counts) is refused naming the file.
 * Also the hb_eval_preprocess command line, whose output folder loads as a cal_data_dir. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "prep_test_util.h"

static char tmp[256];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "hbc_prep_calset_XXXXXX"); /* in the working directory */
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *rel, const void *data, size_t n)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", tmp, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    mkdir(p, 0777);
    *slash = '/';
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* A config with the given input_parameters / calibration_parameters lines, paths relative to
 * tmp. */
static hbc_cfg *config(const char *inputs, const char *calib)
{
    char text[4096], err[1024];
    hbc_cfg *cfg = NULL;
    snprintf(text, sizeof text,
             "model_parameters:\n  onnx_model: m.onnx\n  march: bayes-e\n"
             "  output_model_file_prefix: m\n"
             "input_parameters:\n%s"
             "calibration_parameters:\n  calibration_type: max\n%s"
             "compiler_parameters:\n  compile_mode: latency\n  optimize_level: O3\n",
             inputs, calib);
    hbg_status st =
        hbc_cfg_load_mem(text, strlen(text), "t.yaml", tmp, NULL, &cfg, err, sizeof err);
    if (st != HBG_OK)
        fail_msg("config: %s\n%s", err, text);
    return cfg;
}

static hbg_tensor *tensor(const char *name, int rank, const int64_t *dims)
{
    hbg_tensor *t = hbg_tensor_create(name);
    assert_non_null(t);
    assert_int_equal(hbg_tensor_set_shape(t, HBG_DT_F32, rank, dims), HBG_OK);
    return t;
}

/* Load expecting failure: status st and a message containing both words. */
static void expect_fail(const hbc_cfg *cfg, const hbg_tensor *const *ts, int n, hbg_status st,
                        const char *w1, const char *w2)
{
    hbc_calset cs;
    char err[1024] = "";
    hbg_status got = hbc_calset_load(cfg, ts, n, NULL, &cs, err, sizeof err);
    if (got != st || !strstr(err, w1) || (w2 && !strstr(err, w2)))
        fail_msg("status %s (want %s), message '%s' (want '%s' and '%s')", hbg_status_str(got),
                 hbg_status_str(st), err, w1, w2 ? w2 : "");
    assert_null(cs.data);
    assert_int_equal(cs.n_samples, 0);
}

/* Compare a calset sample with golden HWC bytes (w x h x c, channel order given by perm) taken
 * to value - 128 in layout nchw. */
static void expect_sample(const float *got, const uint8_t *hwc, int w, int h, int c,
                          const int *perm, int nchw)
{
    const size_t hw = (size_t)w * (size_t)h;
    for (size_t q = 0; q < hw; q++)
        for (int k = 0; k < c; k++) {
            float want = (float)hwc[q * (size_t)c + (size_t)perm[k]] - 128.0f;
            size_t i = nchw ? (size_t)k * hw + q : q * (size_t)c + (size_t)k;
            if (got[i] != want)
                fail_msg("element %zu (pixel %zu, channel %d) is %g, expected %g", i, q, k,
                         (double)got[i], (double)want);
        }
}

static const int same[3] = {0, 1, 2}, swapped[3] = {2, 1, 0};

/* raw uint8 NCHW RGB files, rt nv12: sample = golden RGB -> NV12 -> YUV444 - 128; sorted. */
static void test_raw_nv12(void **state)
{
    (void)state;
    hbc_image crop = prep_load_image("photos/astro_crop.png");
    uint8_t *chw = malloc(64 * 48 * 3), *zeros = calloc(64 * 48 * 3, 1);
    assert_non_null(chw);
    assert_non_null(zeros);
    hbc_image_to_chw(&crop, chw);
    write_file("raw/b_photo.rgb", chw, 64 * 48 * 3);
    write_file("raw/a_zeros.rgb", zeros, 64 * 48 * 3);
    write_file("raw/.hidden", zeros, 1);
    hbc_cfg *cfg = config("  input_type_train: rgb\n  input_layout_train: NCHW\n"
                          "  input_type_rt: nv12\n  norm_type: no_preprocess\n",
                          "  cal_data_dir: raw\n  cal_data_type: uint8\n");
    const int64_t dims[4] = {1, 3, 48, 64};
    hbg_tensor *t = tensor("data", 4, dims);
    const hbg_tensor *ts[1] = {t};
    hbc_calset cs;
    char err[1024];
    assert_int_equal(hbc_calset_load(cfg, ts, 1, NULL, &cs, err, sizeof err), HBG_OK);
    assert_int_equal(cs.n_samples, 2);
    assert_int_equal(cs.n_inputs, 1);
    assert_string_equal(cs.names[0], "data");
    assert_int_equal(cs.numel[0], 3 * 48 * 64);
    assert_int_equal(cs.rank[0], 4);
    assert_int_equal(cs.dims[0][3], 64);
    assert_non_null(strstr(cs.files[0], "a_zeros.rgb"));
    assert_non_null(strstr(cs.files[1], "b_photo.rgb"));
    /* black: Y 0, U = V = 128 -> (-128, 0, 0) */
    assert_true(cs.data[0][0] == -128.0f && cs.data[0][64 * 48] == 0.0f &&
                cs.data[0][2 * 64 * 48] == 0.0f);
    hbg_tensor *g = prep_golden("golden/astro_crop_nv12_yuv444_full.npy");
    expect_sample(cs.data[1], g->data, 64, 48, 3, same, 1);
    hbg_tensor_free(g);
    hbc_calset_free(&cs);
    hbc_calset_free(&cs); /* idempotent */

    /* A wrong size names the file and the expected size. */
    write_file("raw/c_short.rgb", zeros, 100);
    expect_fail(cfg, ts, 1, HBG_E_SHAPE, "c_short.rgb", "expected 9216");
    hbc_cfg_free(cfg);
    hbg_tensor_free(t);
    free(chw);
    free(zeros);
    hbc_image_free(&crop);
}

/* preprocess_on images: decode, resize bilinearly, train colour, rt path. */
static void test_images(void **state)
{
    (void)state;
    char inputs[512], calib[512], err[1024];
    snprintf(calib, sizeof calib,
             "  cal_data_dir: %s/tests/data/prep/photos\n"
             "  preprocess_on: True\n",
             HB_SOURCE_DIR);
    /* rt nv12, NCHW: astro_96 resized to 52x38, NV12, YUV444. */
    hbc_cfg *cfg = config("  input_type_train: rgb\n  input_layout_train: NCHW\n"
                          "  input_type_rt: nv12\n  norm_type: no_preprocess\n",
                          calib);
    const int64_t nchw[4] = {1, 3, 38, 52};
    hbg_tensor *t = tensor("data", 4, nchw);
    const hbg_tensor *ts[1] = {t};
    hbc_calset cs;
    assert_int_equal(hbc_calset_load(cfg, ts, 1, NULL, &cs, err, sizeof err), HBG_OK);
    assert_int_equal(cs.n_samples, 3); /* astro_96, astro_crop, astro_gray */
    hbg_tensor *g = prep_golden("golden/astro_96_resize_52x38_yuv444_full.npy");
    expect_sample(cs.data[0], g->data, 52, 38, 3, same, 1);
    hbg_tensor_free(g);
    hbc_calset_free(&cs);
    hbc_cfg_free(cfg);
    hbg_tensor_free(t);

    /* rt bgr from train rgb, NHWC, video range ignored: the resize golden in BGR order. */
    cfg = config("  input_type_train: rgb\n  input_layout_train: NHWC\n"
                 "  input_type_rt: bgr\n  norm_type: no_preprocess\n",
                 calib);
    const int64_t nhwc[4] = {1, 38, 52, 3};
    t = tensor("data", 4, nhwc);
    ts[0] = t;
    assert_int_equal(hbc_calset_load(cfg, ts, 1, NULL, &cs, err, sizeof err), HBG_OK);
    g = prep_golden("golden/astro_96_resize_52x38.npy");
    expect_sample(cs.data[0], g->data, 52, 38, 3, swapped, 0);
    hbg_tensor_free(g);
    hbc_calset_free(&cs);
    hbc_cfg_free(cfg);
    hbg_tensor_free(t);

    /* gray, with the shape given in input_shape (the tensor's is unknown). */
    snprintf(inputs, sizeof inputs,
             "  input_type_train: gray\n  input_layout_train: NCHW\n  input_type_rt: gray\n"
             "  norm_type: no_preprocess\n  input_shape: 1x1x18x22\n");
    cfg = config(inputs, calib);
    t = hbg_tensor_create("data");
    ts[0] = t;
    assert_int_equal(hbc_calset_load(cfg, ts, 1, NULL, &cs, err, sizeof err), HBG_OK);
    g = prep_golden("golden/astro_gray_resize_22x18.npy");
    expect_sample(cs.data[2], g->data, 22, 18, 1, same, 1);
    hbg_tensor_free(g);
    hbc_calset_free(&cs);
    hbc_cfg_free(cfg);

    /* An undecodable image names the file. */
    char p[1024];
    FILE *f = fopen(prep_fixture(p, sizeof p, "decode/bad_truncated.png"), "rb");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_file("imgs/x_broken.png", buf, n);
    cfg = config(inputs, "  cal_data_dir: imgs\n  preprocess_on: True\n");
    expect_fail(cfg, ts, 1, HBG_E_FORMAT, "x_broken.png", "PNG");
    hbc_cfg_free(cfg);
    hbg_tensor_free(t);
}

/* featuremap inputs: float32 raw and .npy values pass unchanged; NaN/Inf are refused. */
static void test_featuremap(void **state)
{
    (void)state;
    static const float v[4] = {-1.5f, 0.25f, 1e6f, 3.0f};
    /* A .npy of 4 float64 values: version 1.0, header padded to 128 bytes in all. */
    static const char hdr[] = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4), }";
    uint8_t npy[128 + 32];
    memset(npy, ' ', 128);
    memcpy(npy, "\x93NUMPY\x01\x00\x76\x00", 10); /* header length 118 */
    memcpy(npy + 10, hdr, sizeof hdr - 1);
    npy[127] = '\n';
    const double d[4] = {7.0, -8.0, 0.5, 1e-3};
    memcpy(npy + 128, d, sizeof d);
    write_file("feat_f32/s0.bin", v, sizeof v);
    write_file("feat_f32/s1.npy", npy, sizeof npy);
    hbc_cfg *cfg = config("  input_type_train: featuremap\n  input_type_rt: featuremap\n"
                          "  input_layout_train: NCHW\n  norm_type: no_preprocess\n",
                          "  cal_data_dir: feat_f32\n");
    const int64_t dims[2] = {1, 4};
    hbg_tensor *t = tensor("feat", 2, dims);
    const hbg_tensor *ts[1] = {t};
    hbc_calset cs;
    char err[1024];
    assert_int_equal(cfg->inputs[0].cal_data_type, HBC_CALDT_FLOAT32); /* from the _f32 suffix */
    if (hbc_calset_load(cfg, ts, 1, NULL, &cs, err, sizeof err) != HBG_OK)
        fail_msg("%s", err);
    assert_int_equal(cs.n_samples, 2);
    assert_memory_equal(cs.data[0], v, sizeof v);
    for (int i = 0; i < 4; i++)
        assert_true(cs.data[1][i] == (float)d[i]);
    hbc_calset_free(&cs);

    float bad[4] = {1, 2, 3, 4};
    bad[2] = NAN;
    write_file("feat_f32/s2.bin", bad, sizeof bad);
    expect_fail(cfg, ts, 1, HBG_E_INVALID, "s2.bin", "NaN");
    bad[2] = INFINITY;
    write_file("feat_f32/s2.bin", bad, sizeof bad);
    expect_fail(cfg, ts, 1, HBG_E_INVALID, "s2.bin", "infinite");
    write_file("feat_f32/s2.bin", bad, 12);
    expect_fail(cfg, ts, 1, HBG_E_SHAPE, "s2.bin", "expected 16");
    remove(strcat(strcpy((char[512]){0}, tmp), "/feat_f32/s2.bin"));
    /* A .npy with the wrong element count. */
    write_file("feat_f32/s3.npy", npy, sizeof npy);
    hbc_cfg_free(cfg);
    const int64_t dims5[2] = {1, 5};
    hbg_tensor_free(t);
    t = tensor("feat", 2, dims5);
    ts[0] = t;
    cfg = config("  input_type_train: featuremap\n  input_type_rt: featuremap\n"
                 "  norm_type: no_preprocess\n",
                 "  cal_data_dir: feat_f32\n  cal_data_type: float32\n");
    expect_fail(cfg, ts, 1, HBG_E_SHAPE, "s0.bin", "expected 20");
    hbc_cfg_free(cfg);
    /* preprocess_on with a featuremap input (the config checker refuses it too; a struct built
     * by hand reaches the loader). */
    cfg = config("  input_type_train: featuremap\n  input_type_rt: featuremap\n"
                 "  norm_type: no_preprocess\n",
                 "  cal_data_dir: feat_f32\n");
    cfg->preprocess_on = 1;
    expect_fail(cfg, ts, 1, HBG_E_INVALID, "featuremap", NULL);
    hbc_cfg_free(cfg);
    hbg_tensor_free(t);
}

/* Image data must be raw pixels: float32 files with values outside [0, 255] are refused. */
static void test_image_float_range(void **state)
{
    (void)state;
    float px[2 * 2 * 3];
    for (int i = 0; i < 12; i++)
        px[i] = (float)(i * 20);
    write_file("img_f32/a.bin", px, sizeof px);
    hbc_cfg *cfg = config("  input_type_train: rgb\n  input_layout_train: NHWC\n"
                          "  input_type_rt: rgb\n  norm_type: no_preprocess\n",
                          "  cal_data_dir: img_f32\n");
    const int64_t dims[4] = {1, 2, 2, 3};
    hbg_tensor *t = tensor("x", 4, dims);
    const hbg_tensor *ts[1] = {t};
    hbc_calset cs;
    char err[1024];
    assert_int_equal(hbc_calset_load(cfg, ts, 1, NULL, &cs, err, sizeof err), HBG_OK);
    for (int i = 0; i < 12; i++)
        assert_true(cs.data[0][i] == px[i] - 128.0f);
    hbc_calset_free(&cs);
    px[5] = -0.9f * 123.675f; /* what a normalised file would hold */
    write_file("img_f32/a.bin", px, sizeof px);
    expect_fail(cfg, ts, 1, HBG_E_INVALID, "a.bin", "outside [0, 255]");
    hbc_cfg_free(cfg);
    hbg_tensor_free(t);
}

/* Folders: missing, empty, and two inputs with different file counts; an input not in the
 * config; an unknown shape. */
static void test_folders(void **state)
{
    (void)state;
    char p[512];
    hbc_cfg *cfg = config("  input_type_train: rgb\n  input_layout_train: NCHW\n"
                          "  input_type_rt: rgb\n  norm_type: no_preprocess\n",
                          "  cal_data_dir: nowhere\n");
    const int64_t dims[4] = {1, 3, 2, 2};
    hbg_tensor *t = tensor("x", 4, dims);
    const hbg_tensor *ts[2] = {t, NULL};
    expect_fail(cfg, ts, 1, HBG_E_IO, "nowhere", NULL);
    hbc_cfg_free(cfg);
    snprintf(p, sizeof p, "%s/empty", tmp);
    mkdir(p, 0777);
    cfg = config("  input_type_train: rgb\n  input_layout_train: NCHW\n"
                 "  input_type_rt: rgb\n  norm_type: no_preprocess\n",
                 "  cal_data_dir: empty\n");
    expect_fail(cfg, ts, 1, HBG_E_INVALID, "empty", "no calibration files");
    hbc_cfg_free(cfg);

    uint8_t px[12] = {0};
    write_file("two_a/1.bin", px, 12);
    write_file("two_a/2.bin", px, 12);
    write_file("two_b/1.bin", px, 12);
    cfg = config("  input_name: 'x; y'\n  input_type_train: 'rgb; rgb'\n"
                 "  input_layout_train: 'NCHW; NCHW'\n  input_type_rt: 'rgb; rgb'\n"
                 "  norm_type: 'no_preprocess; no_preprocess'\n",
                 "  cal_data_dir: 'two_a; two_b'\n");
    hbg_tensor *y = tensor("y", 4, dims), *z = tensor("z", 4, dims);
    ts[1] = y;
    expect_fail(cfg, ts, 2, HBG_E_INVALID, "two_b", "holds 1 files");
    ts[1] = z;
    expect_fail(cfg, ts, 2, HBG_E_INVALID, "model input z", NULL);
    hbc_cfg_free(cfg);
    cfg = config("  input_type_train: rgb\n  input_layout_train: NCHW\n"
                 "  input_type_rt: rgb\n  norm_type: no_preprocess\n",
                 "  cal_data_dir: two_a\n");
    const int64_t dyn[4] = {1, 3, 0, 2};
    hbg_tensor *u = tensor("x", 4, dyn);
    ts[0] = u;
    expect_fail(cfg, ts, 1, HBG_E_SHAPE, "input_shape", NULL);
    hbc_cfg_free(cfg);
    hbg_tensor_free(u);
    hbg_tensor_free(z);
    hbg_tensor_free(y);
    hbg_tensor_free(t);
}

/* Two inputs (image + featuremap) load in the order of the tensors given. */
static void test_two_inputs(void **state)
{
    (void)state;
    uint8_t px[12];
    for (int i = 0; i < 12; i++)
        px[i] = (uint8_t)(10 * i);
    float f[2] = {1.5f, -2.5f};
    write_file("multi_img/s.bin", px, 12);
    write_file("multi_feat/s.bin", f, sizeof f);
    hbc_cfg *cfg = config("  input_name: 'img; feat'\n  input_type_train: 'bgr; featuremap'\n"
                          "  input_layout_train: 'NCHW; NCHW'\n"
                          "  input_type_rt: 'rgb; featuremap'\n"
                          "  norm_type: 'no_preprocess; no_preprocess'\n",
                          "  cal_data_dir: 'multi_img; multi_feat'\n"
                          "  cal_data_type: 'uint8; float32'\n");
    const int64_t di[4] = {1, 3, 2, 2}, df[2] = {1, 2};
    hbg_tensor *ti = tensor("img", 4, di), *tf = tensor("feat", 2, df);
    const hbg_tensor *ts[2] = {tf, ti};
    hbc_calset cs;
    char err[1024];
    assert_int_equal(hbc_calset_load(cfg, ts, 2, NULL, &cs, err, sizeof err), HBG_OK);
    assert_string_equal(cs.names[0], "feat");
    assert_string_equal(cs.names[1], "img");
    assert_memory_equal(cs.data[0], f, sizeof f);
    /* BGR planes -> RGB: plane 0 of the sample is the file's plane 2. */
    for (int q = 0; q < 4; q++) {
        assert_true(cs.data[1][q] == (float)px[8 + q] - 128.0f);
        assert_true(cs.data[1][4 + q] == (float)px[4 + q] - 128.0f);
        assert_true(cs.data[1][8 + q] == (float)px[q] - 128.0f);
    }
    hbc_calset_free(&cs);
    hbc_cfg_free(cfg);
    hbg_tensor_free(ti);
    hbg_tensor_free(tf);
}

static int run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", HB_EVAL_PREPROCESS, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* hb_eval_preprocess -m cifar10 writes the numpy pipeline's bytes, and its folder loads. */
static void test_cli(void **state)
{
    (void)state;
    char args[1024], p[1024];
    snprintf(args, sizeof args, "-m cifar10 -i '%s/tests/data/prep/photos' -o '%s/cifar'",
             HB_SOURCE_DIR, tmp);
    assert_int_equal(run(args), 0);
    static const char *const photos[3] = {"astro_96", "astro_crop", "astro_gray"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/cifar/%s.bin", tmp, photos[i]);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        uint8_t buf[3 * 32 * 32 + 1];
        assert_int_equal(fread(buf, 1, sizeof buf, f), 3 * 32 * 32);
        fclose(f);
        char rel[256];
        snprintf(rel, sizeof rel, "golden/%s_cifar10.npy", photos[i]);
        hbg_tensor *g = prep_golden(rel);
        assert_memory_equal(buf, g->data, 3 * 32 * 32);
        hbg_tensor_free(g);
    }
    hbc_cfg *cfg = config("  input_type_train: rgb\n  input_layout_train: NCHW\n"
                          "  input_type_rt: rgb\n  norm_type: no_preprocess\n",
                          "  cal_data_dir: cifar\n");
    const int64_t dims[4] = {1, 3, 32, 32};
    hbg_tensor *t = tensor("x", 4, dims);
    const hbg_tensor *ts[1] = {t};
    hbc_calset cs;
    char err[1024];
    assert_int_equal(hbc_calset_load(cfg, ts, 1, NULL, &cs, err, sizeof err), HBG_OK);
    assert_int_equal(cs.n_samples, 3);
    hbg_tensor *g = prep_golden("golden/astro_crop_cifar10.npy");
    for (int i = 0; i < 3 * 32 * 32; i++)
        assert_true(cs.data[1][i] == (float)((uint8_t *)g->data)[i] - 128.0f);
    hbg_tensor_free(g);
    hbc_calset_free(&cs);
    hbc_cfg_free(cfg);
    hbg_tensor_free(t);

    /* -v: only the listed images. */
    write_file("val.txt", "astro_gray.png 3\n\n", 18);
    snprintf(args, sizeof args,
             "-m yunet -i '%s/tests/data/prep/photos' -o '%s/yunet' -v '%s/val.txt'", HB_SOURCE_DIR,
             tmp, tmp);
    assert_int_equal(run(args), 0);
    snprintf(p, sizeof p, "%s/yunet/astro_gray.bin", tmp);
    assert_int_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/yunet/astro_96.bin", tmp);
    assert_int_not_equal(access(p, F_OK), 0);
    /* Errors: bad kind / missing option (2), missing folder or broken image (1). */
    assert_int_equal(run("-m nope -i x -o y"), 2);
    assert_int_equal(run("-m cifar10 -i x"), 2);
    assert_int_equal(run("--bogus"), 2);
    snprintf(args, sizeof args, "-m cifar10 -i '%s/nowhere' -o '%s/o'", tmp, tmp);
    assert_int_equal(run(args), 1);
    snprintf(args, sizeof args, "-m cifar10 -i '%s/imgs' -o '%s/o'", tmp, tmp);
    assert_int_equal(run(args), 1);
    assert_int_equal(run("--version"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_nv12),   cmocka_unit_test(test_images),
        cmocka_unit_test(test_featuremap), cmocka_unit_test(test_image_float_range),
        cmocka_unit_test(test_folders),    cmocka_unit_test(test_two_inputs),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
