/* The .bin writer and packer (converter/bin). The builder given the content of MODEL_A/MODEL_B of
 * make_bin_fixtures.py must produce exactly the bytes that independent script wrote from
 * docs/bin-format.md; then round trips, refusals, atomic writes, packing and the hb_pack CLI. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hb_bin/bin_writer.h"

#define FIXTURE HB_SOURCE_DIR "/tests/unit/bin/data/two_models.bin"

static const char *g_hb_pack; /* path of the hb_pack executable (argv[1]) */
static const uint16_t k_version[3] = {0, 1, 0};

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL)
        *size = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static hbbin_tensor tensor4(const char *name, const int32_t valid[4], const int32_t aligned[4],
                            const int32_t stride[4], uint32_t layout, uint32_t type, uint32_t bytes)
{
    hbbin_tensor t;
    memset(&t, 0, sizeof t);
    t.name = name;
    t.valid_ndim = t.aligned_ndim = 4;
    for (int i = 0; i < 4; i++) {
        t.valid_dims[i] = valid[i];
        t.aligned_dims[i] = aligned[i];
        t.stride[i] = stride[i];
    }
    t.layout = layout;
    t.data_type = type;
    t.aligned_byte_size = bytes;
    return t;
}

/* MODEL_A of make_bin_fixtures.py. */
/* late_source: add the input with source 0 and set its source (pyramid) afterwards with
 * hbbw_set_input_source; the bytes must be the same. */
static void add_model_a(hbbw *w, int late_source)
{
    static const float scales[4] = {0.5f, 0.25f, 0.125f, 1.5f};
    static const int8_t zps[4] = {0, 1, -2, 3};
    uint8_t bpu[100], cst[130], sched[16];
    uint32_t m = 99;
    hbbin_tensor t;
    hbbin_preprocess pp;
    assert_int_equal(hbbw_add_model(w, "mobilenet_sim", &m), HBBIN_OK);
    t = tensor4("data", (const int32_t[]){1, 3, 224, 224}, (const int32_t[]){1, 3, 224, 224},
                (const int32_t[]){0, 0, 0, 0}, HBBIN_LAYOUT_NCHW, 1, 75264);
    t.input_source = late_source ? 0 : 2;
    assert_int_equal(hbbw_add_tensor(w, m, 1, &t), HBBIN_OK);
    if (late_source) {
        assert_int_equal(hbbw_set_input_source(w, m, 1, 2), HBBIN_E_ARG); /* no input 1 */
        assert_int_equal(hbbw_set_input_source(w, m, 0, HBBIN_INPUT_SOURCE_COUNT), HBBIN_E_ARG);
        assert_int_equal(hbbw_set_input_source(w, m + 1, 0, 2), HBBIN_E_ARG);
        assert_int_equal(hbbw_set_input_source(w, m, 0, 2), HBBIN_OK);
    }
    t = tensor4("prob", (const int32_t[]){1, 1000, 1, 1}, (const int32_t[]){1, 1000, 1, 1},
                (const int32_t[]){4000, 4, 4, 4}, HBBIN_LAYOUT_NCHW, 13, 4000);
    assert_int_equal(hbbw_add_tensor(w, m, 0, &t), HBBIN_OK);
    t = tensor4("feat", (const int32_t[]){1, 7, 7, 4}, (const int32_t[]){1, 7, 7, 4},
                (const int32_t[]){784, 112, 16, 4}, HBBIN_LAYOUT_NHWC, 14, 784);
    t.quant_type = HBBIN_QUANT_SCALE;
    t.quant_axis = 3;
    t.quant_count = 4;
    t.scales = scales;
    t.zero_point_count = 4;
    t.zero_points = zps;
    assert_int_equal(hbbw_add_tensor(w, m, 0, &t), HBBIN_OK);
    memset(&pp, 0, sizeof pp);
    pp.input = 0;
    pp.type_rt = HBBIN_IT_NV12;
    pp.type_train = HBBIN_IT_RGB;
    pp.layout_train = HBBIN_LAYOUT_NCHW;
    pp.channels = 3;
    pp.mean[0] = 123.5f;
    pp.mean[1] = 116.25f;
    pp.mean[2] = 103.5f;
    pp.scale[0] = 0.015625f;
    pp.scale[1] = 0.0078125f;
    pp.scale[2] = 0.03125f;
    assert_int_equal(hbbw_add_preprocess(w, m, &pp), HBBIN_OK);
    assert_int_equal(hbbw_add_param(w, m, "march", "bayes-e"), HBBIN_OK);
    assert_int_equal(hbbw_add_param(w, m, "input_type_rt", "nv12"), HBBIN_OK);
    assert_int_equal(hbbw_add_param(w, m, "calibration_type", "default"), HBBIN_OK);
    assert_int_equal(hbbw_add_param(w, m, "empty_value", ""), HBBIN_OK);
    for (int i = 0; i < 100; i++)
        bpu[i] = (uint8_t)((i * 7) & 255);
    for (int i = 0; i < 130; i++)
        cst[i] = (uint8_t)((i * 13 + 1) & 255);
    for (int i = 0; i < 16; i++)
        sched[i] = (uint8_t)i;
    /* Added out of (kind, id) order on purpose: the writer sorts. */
    assert_int_equal(hbbw_add_blob(w, m, HBBIN_SEC_SCHEDULE, 0, sched, 16), HBBIN_OK);
    assert_int_equal(hbbw_add_blob(w, m, HBBIN_SEC_CPU_SUBGRAPH, 1, NULL, 0), HBBIN_OK);
    assert_int_equal(hbbw_add_blob(w, m, HBBIN_SEC_BPU_PROGRAM, 0, bpu, 100), HBBIN_OK);
    assert_int_equal(hbbw_add_blob(w, m, HBBIN_SEC_CONSTANTS, 0, cst, 130), HBBIN_OK);
}

/* MODEL_B of make_bin_fixtures.py. */
static void add_model_b(hbbw *w)
{
    static const uint8_t in_shift[1] = {7}, out_shift[3] = {1, 2, 31};
    uint8_t bpu[64];
    uint32_t m = 99;
    hbbin_tensor t;
    assert_int_equal(hbbw_add_model(w, "tiny_shift", &m), HBBIN_OK);
    t = tensor4("x", (const int32_t[]){1, 2, 2, 3}, (const int32_t[]){1, 2, 2, 4},
                (const int32_t[]){16, 8, 4, 1}, HBBIN_LAYOUT_NHWC, 8, 16);
    t.quant_type = HBBIN_QUANT_SHIFT;
    t.quant_count = 1;
    t.shifts = in_shift;
    assert_int_equal(hbbw_add_tensor(w, m, 1, &t), HBBIN_OK);
    t = tensor4("y", (const int32_t[]){1, 1, 1, 3}, (const int32_t[]){1, 1, 1, 3},
                (const int32_t[]){3, 3, 3, 1}, HBBIN_LAYOUT_NHWC, 8, 3);
    t.quant_type = HBBIN_QUANT_SHIFT;
    t.quant_axis = 3;
    t.quant_count = 3;
    t.shifts = out_shift;
    assert_int_equal(hbbw_add_tensor(w, m, 0, &t), HBBIN_OK);
    for (int i = 0; i < 64; i++)
        bpu[i] = (uint8_t)i;
    assert_int_equal(hbbw_add_blob(w, m, HBBIN_SEC_BPU_PROGRAM, 5, bpu, 64), HBBIN_OK);
}

static void test_same_bytes_as_the_independent_script(void **state)
{
    (void)state;
    for (int late = 0; late < 2; late++) {
        size_t want_size = 0, size = 0;
        uint8_t *want = slurp(FIXTURE, &want_size), *img = NULL;
        char err[256];
        hbbw *w = hbbw_create(HBBIN_MARCH_BAYES_E, k_version);
        assert_non_null(want);
        assert_non_null(w);
        add_model_a(w, late);
        add_model_b(w);
        assert_int_equal(hbbw_serialize(w, &img, &size, err, sizeof err), HBBIN_OK);
        assert_int_equal(size, want_size);
        assert_memory_equal(img, want, size);
        free(img);
        free(want);
        hbbw_free(w);
    }
}

static void test_builder_refusals(void **state)
{
    (void)state;
    hbbw *w = hbbw_create(HBBIN_MARCH_BERNOULLI2, k_version);
    uint8_t *img = NULL;
    size_t size = 0;
    uint32_t m = 0;
    char err[256];
    hbbin_tensor t = tensor4("x", (const int32_t[]){1, 2, 2, 3}, (const int32_t[]){1, 2, 2, 3},
                             (const int32_t[]){12, 6, 3, 1}, HBBIN_LAYOUT_NHWC, 8, 12);
    assert_null(hbbw_create(HBBIN_MARCH_COUNT, k_version));
    assert_non_null(w);
    assert_int_equal(hbbw_serialize(w, &img, &size, err, sizeof err), HBBIN_E_ARG);
    assert_int_equal(hbbw_add_model(w, "", &m), HBBIN_E_ARG);
    assert_int_equal(hbbw_add_model(w, "m", &m), HBBIN_OK);
    assert_int_equal(hbbw_add_model(w, "m", &m), HBBIN_E_ARG);
    assert_int_equal(hbbw_add_tensor(w, 1, 1, &t), HBBIN_E_ARG);
    assert_int_equal(hbbw_add_blob(w, 0, HBBIN_SEC_TENSORS, 0, "a", 1), HBBIN_E_ARG);
    assert_int_equal(hbbw_add_blob(w, 0, HBBIN_SEC_BPU_PROGRAM, 3, "a", 1), HBBIN_OK);
    assert_int_equal(hbbw_add_blob(w, 0, HBBIN_SEC_BPU_PROGRAM, 3, "b", 1), HBBIN_E_ARG);
    assert_int_equal(hbbw_add_param(w, 0, "k", "v"), HBBIN_OK);
    assert_int_equal(hbbw_add_param(w, 0, "k", "w"), HBBIN_E_ARG);
    t.quant_type = HBBIN_QUANT_SCALE;
    t.quant_count = HBBIN_MAX_DIM + 1u;
    assert_int_equal(hbbw_add_tensor(w, 0, 1, &t), HBBIN_E_ARG);
    /* A model without outputs is refused by the validating reader, with its reason. */
    t.quant_type = HBBIN_QUANT_NONE;
    t.quant_count = 0;
    assert_int_equal(hbbw_add_tensor(w, 0, 1, &t), HBBIN_OK);
    assert_int_equal(hbbw_serialize(w, &img, &size, err, sizeof err), HBBIN_E_CORRUPT);
    assert_null(img);
    assert_non_null(strstr(err, "bin writer"));
    assert_non_null(strstr(err, "0 outputs"));
    /* So is a tensor with an unknown layout. */
    t.name = "y";
    t.layout = 7;
    assert_int_equal(hbbw_add_tensor(w, 0, 0, &t), HBBIN_OK);
    assert_int_equal(hbbw_serialize(w, &img, &size, err, sizeof err), HBBIN_E_CORRUPT);
    assert_non_null(strstr(err, "unknown layout 7"));
    hbbw_free(w);
}

/* No file in the scratch directory whose name starts with `prefix` and has a temp suffix. */
static int leftover_temps(const char *prefix)
{
    DIR *d = opendir(HB_SCRATCH);
    struct dirent *de;
    int n = 0;
    size_t pl = strlen(prefix);
    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, pl) == 0 && de->d_name[pl] == '.')
            n++;
    closedir(d);
    return n;
}

static void test_write_and_pack(void **state)
{
    (void)state;
    const char *a = HB_SCRATCH "/a.bin", *b = HB_SCRATCH "/b.bin", *ab = HB_SCRATCH "/ab.bin";
    const char *x3 = HB_SCRATCH "/x3.bin";
    char err[512];
    hbbin_file *f = NULL;
    hbbw *wa = hbbw_create(HBBIN_MARCH_BAYES_E, k_version);
    hbbw *wb = hbbw_create(HBBIN_MARCH_BAYES_E, k_version);
    hbbw *wx = hbbw_create(HBBIN_MARCH_BERNOULLI2, k_version);
    struct stat sb;
    assert_true(wa && wb && wx);
    add_model_a(wa, 0);
    add_model_b(wb);
    add_model_b(wx);
    remove(ab);
    assert_int_equal(hbbw_write(wa, a, err, sizeof err), HBBIN_OK);
    assert_int_equal(hbbw_write(wb, b, err, sizeof err), HBBIN_OK);
    assert_int_equal(hbbw_write(wx, x3, err, sizeof err), HBBIN_OK);
    assert_int_equal(stat(a, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_int_equal(leftover_temps("a.bin"), 0);
    assert_int_equal(hbbw_write(wa, HB_SCRATCH "/no/such/dir/a.bin", err, sizeof err), HBBIN_E_IO);
    assert_non_null(strstr(err, "no/such/dir/a.bin"));

    const char *pair[2] = {a, b};
    assert_int_equal(hbbw_pack(pair, 2, ab, k_version, err, sizeof err), HBBIN_OK);
    assert_int_equal(hbbin_open_file(ab, &f, err, sizeof err), HBBIN_OK);
    assert_int_equal(hbbin_file_info(f)->flags, HBBIN_FLAG_PACKED);
    assert_int_equal(hbbin_file_info(f)->model_count, 2);
    assert_string_equal(hbbin_model_at(f, 0)->name, "mobilenet_sim");
    assert_string_equal(hbbin_model_at(f, 1)->name, "tiny_shift");
    assert_int_equal(hbbin_model_at(f, 0)->outputs[1].zero_points[2], -2);
    assert_int_equal(hbbin_model_at(f, 0)->blobs[1].data[129], (129 * 13 + 1) & 255);
    assert_int_equal(hbbin_model_at(f, 1)->outputs[0].shifts[2], 31);
    hbbin_close(f);
    /* The packed file differs from the unpacked fixture only in the flags and header CRC. */
    {
        size_t s1 = 0, s2 = 0;
        uint8_t *p1 = slurp(ab, &s1), *p2 = slurp(FIXTURE, &s2);
        assert_true(p1 && p2);
        assert_int_equal(s1, s2);
        assert_memory_equal(p1 + 64, p2 + 64, s1 - 64);
        assert_int_equal(p1[28], 1);
        assert_int_equal(p2[28], 0);
        free(p1);
        free(p2);
    }

    const char *again[2] = {ab, a};
    assert_int_equal(hbbw_pack(again, 2, HB_SCRATCH "/x.bin", k_version, err, sizeof err),
                     HBBIN_E_ARG);
    assert_non_null(strstr(err, "is a packed model, it can not be packed again"));
    const char *dup[2] = {a, a};
    assert_int_equal(hbbw_pack(dup, 2, HB_SCRATCH "/x.bin", k_version, err, sizeof err),
                     HBBIN_E_ARG);
    assert_non_null(strstr(err, "mobilenet_sim"));
    const char *mixed[2] = {a, x3};
    assert_int_equal(hbbw_pack(mixed, 2, HB_SCRATCH "/x.bin", k_version, err, sizeof err),
                     HBBIN_E_ARG);
    assert_non_null(strstr(err, "bernoulli2"));
    const char *foreign[2] = {a,
                              HB_SOURCE_DIR "/tests/fuzz/corpus/bin/foreign-horizon_protobuf.bin"};
    assert_int_equal(hbbw_pack(foreign, 2, HB_SCRATCH "/x.bin", k_version, err, sizeof err),
                     HBBIN_E_FOREIGN);
    assert_int_equal(access(HB_SCRATCH "/x.bin", F_OK), -1);
    hbbw_free(wa);
    hbbw_free(wb);
    hbbw_free(wx);
}

static void test_hb_pack_cli(void **state)
{
    (void)state;
    char cmd[2048];
    const char *out = HB_SCRATCH "/cli_ab.bin";
    hbbin_file *f = NULL;
    char err[256];
    remove(out);
    /* test_write_and_pack wrote a.bin and b.bin. */
    snprintf(cmd, sizeof cmd, "'%s' '%s/a.bin' '%s/b.bin' -o '%s' > /dev/null", g_hb_pack,
             HB_SCRATCH, HB_SCRATCH, out);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(hbbin_open_file(out, &f, err, sizeof err), HBBIN_OK);
    assert_int_equal(hbbin_file_info(f)->model_count, 2);
    hbbin_close(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s/a.bin' -o '%s/cli_x.bin' 2> /dev/null", g_hb_pack, out,
             HB_SCRATCH, HB_SCRATCH);
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' '%s/a.bin' 2> /dev/null", g_hb_pack, HB_SCRATCH);
    assert_int_not_equal(system(cmd), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_the_independent_script),
        cmocka_unit_test(test_builder_refusals),
        cmocka_unit_test(test_write_and_pack),
        cmocka_unit_test(test_hb_pack_cli),
    };
    if (argc < 2) {
        fprintf(stderr, "usage: test_bin_writer <path of hb_pack>\n");
        return 1;
    }
    g_hb_pack = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
