/* The .bin reader on files made by tests/unit/bin/make_bin_fixtures.py (an implementation of
 * docs/bin-format.md independent of this reader): every field of a valid two-model file, every
 * corpus file of tests/fuzz/corpus/bin with the status its name announces, every truncation and
 * every single-bit flip of the valid file. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "hb_bin/bin_reader.h"

/* The format stores hb_dnn.h's codes verbatim (docs/bin-format.md 6.3), so the runtime can hand
 * them to users unchanged. */
_Static_assert(HBBIN_LAYOUT_NHWC == HB_DNN_LAYOUT_NHWC && HBBIN_LAYOUT_NCHW == HB_DNN_LAYOUT_NCHW &&
                   HBBIN_LAYOUT_NONE == HB_DNN_LAYOUT_NONE,
               "layout codes");
_Static_assert(HBBIN_DATA_TYPE_COUNT == HB_DNN_TENSOR_TYPE_MAX, "data type codes");
_Static_assert((int)HBBIN_QUANT_NONE == (int)NONE && (int)HBBIN_QUANT_SHIFT == (int)SHIFT &&
                   (int)HBBIN_QUANT_SCALE == (int)SCALE,
               "quantisation codes");

#define FIXTURE HB_SOURCE_DIR "/tests/unit/bin/data/two_models.bin"
#define CORPUS  HB_SOURCE_DIR "/tests/fuzz/corpus/bin"

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        *size = fread(buf, 1, (size_t)n, f);
        if (*size != (size_t)n) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* The values make_bin_fixtures.py writes (MODEL_A, MODEL_B there). */
static void check_fixture(const hbbin_file *f)
{
    const hbbin_info *info = hbbin_file_info(f);
    assert_int_equal(info->version_major, 1);
    assert_int_equal(info->version_minor, 0);
    assert_int_equal(info->march, HBBIN_MARCH_BAYES_E);
    assert_string_equal(hbbin_march_name(info->march), "bayes-e");
    assert_int_equal(info->flags, 0);
    assert_int_equal(info->model_count, 2);
    assert_int_equal(info->toolchain[0], 0);
    assert_int_equal(info->toolchain[1], 1);
    assert_int_equal(info->toolchain[2], 0);

    const hbbin_model *a = hbbin_model_at(f, 0);
    assert_non_null(a);
    assert_ptr_equal(hbbin_find_model(f, "mobilenet_sim"), a);
    assert_null(hbbin_find_model(f, "nope"));
    assert_null(hbbin_model_at(f, 2));
    assert_int_equal(a->input_count, 1);
    assert_int_equal(a->output_count, 2);
    const hbbin_tensor *in = &a->inputs[0];
    assert_string_equal(in->name, "data");
    assert_int_equal(in->valid_ndim, 4);
    assert_int_equal(in->valid_dims[1], 3);
    assert_int_equal(in->valid_dims[3], 224);
    assert_int_equal(in->aligned_dims[2], 224);
    assert_int_equal(in->stride[0], 0);
    assert_int_equal(in->layout, HBBIN_LAYOUT_NCHW);
    assert_int_equal(in->data_type, 1); /* HB_DNN_IMG_TYPE_NV12 */
    assert_int_equal(in->aligned_byte_size, 75264);
    assert_int_equal(in->quant_type, HBBIN_QUANT_NONE);
    assert_null(in->scales);
    assert_int_equal(in->input_source, 2);
    const hbbin_tensor *prob = &a->outputs[0], *feat = &a->outputs[1];
    assert_string_equal(prob->name, "prob");
    assert_int_equal(prob->data_type, 13);
    assert_int_equal(prob->stride[0], 4000);
    assert_int_equal(prob->stride[1], 4);
    assert_string_equal(feat->name, "feat");
    assert_int_equal(feat->layout, HBBIN_LAYOUT_NHWC);
    assert_int_equal(feat->data_type, 14);
    assert_int_equal(feat->quant_type, HBBIN_QUANT_SCALE);
    assert_int_equal(feat->quant_axis, 3);
    assert_int_equal(feat->quant_count, 4);
    assert_true(feat->scales[0] == 0.5f && feat->scales[1] == 0.25f && feat->scales[2] == 0.125f &&
                feat->scales[3] == 1.5f);
    assert_int_equal(feat->zero_point_count, 4);
    assert_int_equal(feat->zero_points[2], -2);
    assert_int_equal(feat->zero_points[3], 3);
    assert_int_equal(feat->stride[2], 16);

    assert_int_equal(a->preprocess_count, 1);
    const hbbin_preprocess *pp = &a->preprocess[0];
    assert_int_equal(pp->input, 0);
    assert_int_equal(pp->type_rt, HBBIN_IT_NV12);
    assert_int_equal(pp->type_train, HBBIN_IT_RGB);
    assert_int_equal(pp->layout_train, HBBIN_LAYOUT_NCHW);
    assert_int_equal(pp->channels, 3);
    assert_true(pp->mean[0] == 123.5f && pp->mean[2] == 103.5f && pp->mean[3] == 0.0f);
    assert_true(pp->scale[0] == 0.015625f && pp->scale[1] == 0.0078125f);

    assert_int_equal(a->param_count, 4);
    assert_string_equal(a->params[0].key, "march");
    assert_string_equal(a->params[0].value, "bayes-e");
    assert_string_equal(a->params[3].key, "empty_value");
    assert_string_equal(a->params[3].value, "");

    assert_int_equal(a->blob_count, 4);
    assert_int_equal(a->blobs[0].kind, HBBIN_SEC_BPU_PROGRAM);
    assert_int_equal(a->blobs[0].size, 100);
    assert_int_equal(a->blobs[0].data[99], (99 * 7) & 255);
    assert_int_equal(a->blobs[1].kind, HBBIN_SEC_CONSTANTS);
    assert_int_equal(a->blobs[1].size, 130);
    assert_int_equal(a->blobs[1].data[129], (129 * 13 + 1) & 255);
    assert_int_equal(a->blobs[2].kind, HBBIN_SEC_CPU_SUBGRAPH);
    assert_int_equal(a->blobs[2].id, 1);
    assert_int_equal(a->blobs[2].size, 0);
    assert_int_equal(a->blobs[3].kind, HBBIN_SEC_SCHEDULE);
    assert_int_equal(a->blobs[3].data[15], 15);

    const hbbin_model *b = hbbin_model_at(f, 1);
    assert_string_equal(b->name, "tiny_shift");
    assert_int_equal(b->preprocess_count, 0);
    assert_int_equal(b->param_count, 0);
    assert_int_equal(b->inputs[0].quant_type, HBBIN_QUANT_SHIFT);
    assert_int_equal(b->inputs[0].quant_count, 1);
    assert_int_equal(b->inputs[0].shifts[0], 7);
    assert_int_equal(b->inputs[0].aligned_dims[3], 4);
    assert_int_equal(b->outputs[0].quant_count, 3);
    assert_int_equal(b->outputs[0].shifts[2], 31);
    assert_int_equal(b->blob_count, 1);
    assert_int_equal(b->blobs[0].id, 5);
    assert_int_equal(b->blobs[0].data[63], 63);
}

static void test_fixture_from_memory_and_file(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *img = slurp(FIXTURE, &size);
    uint8_t *shifted;
    hbbin_file *f = NULL;
    char err[256];
    assert_non_null(img);
    assert_int_equal(hbbin_open_memory(img, size, "two_models", &f, err, sizeof err), HBBIN_OK);
    check_fixture(f);
    hbbin_close(f);
    /* An image at an odd address still yields aligned float scales. */
    shifted = malloc(size + 1);
    assert_non_null(shifted);
    memcpy(shifted + 1, img, size);
    assert_int_equal(hbbin_open_memory(shifted + 1, size, "odd", &f, err, sizeof err), HBBIN_OK);
    check_fixture(f);
    hbbin_close(f);
    free(shifted);
    assert_int_equal(hbbin_open_file(FIXTURE, &f, err, sizeof err), HBBIN_OK);
    check_fixture(f);
    hbbin_close(f);
    free(img);
}

static void test_io_errors(void **state)
{
    (void)state;
    hbbin_file *f = (hbbin_file *)&f;
    char err[256];
    assert_int_equal(hbbin_open_file(HB_SOURCE_DIR "/no/such.bin", &f, err, sizeof err),
                     HBBIN_E_IO);
    assert_null(f);
    assert_non_null(strstr(err, "no/such.bin"));
    assert_int_equal(hbbin_open_file(CORPUS, &f, err, sizeof err), HBBIN_E_IO);
    assert_int_equal(hbbin_open_memory(NULL, 4, "x", &f, err, sizeof err), HBBIN_E_ARG);
    assert_int_equal(hbbin_open_memory("x", 1, "x", NULL, err, sizeof err), HBBIN_E_ARG);
    hbbin_close(NULL);
}

/* Corpus files are named <expected status>-<what>.bin. */
static void test_corpus_statuses(void **state)
{
    (void)state;
    static const struct {
        const char *prefix;
        hbbin_status st;
    } expect[] = {{"ok-", HBBIN_OK},
                  {"truncated-", HBBIN_E_TRUNCATED},
                  {"corrupt-", HBBIN_E_CORRUPT},
                  {"version-", HBBIN_E_VERSION},
                  {"foreign-", HBBIN_E_FOREIGN}};
    DIR *d = opendir(CORPUS);
    struct dirent *de;
    int files = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char path[1024], err[512];
        size_t size = 0, k;
        uint8_t *img;
        hbbin_file *f = NULL;
        hbbin_status st;
        if (de->d_name[0] == '.')
            continue;
        for (k = 0; k < sizeof expect / sizeof expect[0]; k++)
            if (strncmp(de->d_name, expect[k].prefix, strlen(expect[k].prefix)) == 0)
                break;
        assert_true(k < sizeof expect / sizeof expect[0]);
        snprintf(path, sizeof path, "%s/%s", CORPUS, de->d_name);
        img = slurp(path, &size);
        assert_non_null(img);
        st = hbbin_open_memory(img, size, de->d_name, &f, err, sizeof err);
        if (st != expect[k].st)
            fail_msg("%s: status %s, expected %s (%s)", de->d_name, hbbin_status_name(st),
                     hbbin_status_name(expect[k].st), err);
        if (st == HBBIN_OK) {
            assert_non_null(f);
        } else {
            assert_null(f);
            /* The message names the file and says more than the name. */
            assert_int_equal(strncmp(err, de->d_name, strlen(de->d_name)), 0);
            assert_true(strlen(err) > strlen(de->d_name) + 10);
        }
        if (strncmp(de->d_name, "foreign-horizon", 15) == 0 ||
            strncmp(de->d_name, "foreign-protobuf", 16) == 0)
            assert_non_null(strstr(err, "Horizon"));
        hbbin_close(f);
        free(img);
        files++;
    }
    closedir(d);
    assert_true(files >= 40);
}

static void test_every_truncation(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *img = slurp(FIXTURE, &size);
    assert_non_null(img);
    for (size_t n = 0; n < size; n++) {
        /* A fresh allocation of exactly n bytes so ASan sees any read past the end. */
        uint8_t *cut = malloc(n ? n : 1);
        hbbin_file *f = NULL;
        char err[256];
        assert_non_null(cut);
        memcpy(cut, img, n);
        hbbin_status st = hbbin_open_memory(cut, n, "cut", &f, err, sizeof err);
        if (st != HBBIN_E_TRUNCATED)
            fail_msg("prefix of %zu bytes: %s (%s)", n, hbbin_status_name(st), err);
        assert_null(f);
        free(cut);
    }
    free(img);
}

static void test_every_bit_flip(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *img = slurp(FIXTURE, &size);
    assert_non_null(img);
    for (size_t bit = 0; bit < size * 8; bit++) {
        hbbin_file *f = NULL;
        char err[256];
        img[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        hbbin_status st = hbbin_open_memory(img, size, "flip", &f, err, sizeof err);
        img[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (st == HBBIN_OK)
            fail_msg("flipping bit %zu of byte %zu was not detected", bit % 8, bit / 8);
        assert_null(f);
    }
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_from_memory_and_file),
        cmocka_unit_test(test_io_errors),
        cmocka_unit_test(test_corpus_statuses),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_bit_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
