/* The model queries of hb_dnn_ext.h that answer from the .bin and its schedule (runtime/dnn/src/
 * ext_model.c, docs/runtime-api.md): descriptions and tag (the .bin stores none: empty,
 * HB_DNN_DESC_TYPE_UNKNOWN), the operator type of each output (CONV when a BPU program computes
 * it, through a dequantize step in the LUT model; UNKNOWN for the CPU model), the argument
 * checks, and hbDNNConvertEndianness against hand-written byte sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_dnn_ext.h"
#include "dnn_test_models.h"

/* Load image img (freed here) and return its only model in *m; the packed handle is returned. */
static hbPackedDNNHandle_t load(uint8_t *img, size_t n, const char *name, hbDNNHandle_t *m)
{
    hbPackedDNNHandle_t p = NULL;
    const void *data[1] = {img};
    int32_t len[1] = {(int32_t)n};
    assert_int_equal(hbDNNInitializeFromDDR(&p, data, len, 1), 0);
    free(img);
    assert_int_equal(hbDNNGetModelHandle(m, p, name), 0);
    return p;
}

static void check_no_desc(hbDNNHandle_t m)
{
    const char *d = NULL;
    uint32_t size = 99;
    int32_t type = 99;
    assert_int_equal(hbDNNGetInputDesc(&d, &size, &type, m, 0), 0);
    assert_non_null(d);
    assert_string_equal(d, "");
    assert_int_equal(size, 0);
    assert_int_equal(type, HB_DNN_DESC_TYPE_UNKNOWN);
    d = NULL, size = 99, type = 99;
    assert_int_equal(hbDNNGetOutputDesc(&d, &size, &type, m, 0), 0);
    assert_string_equal(d, "");
    assert_int_equal(size, 0);
    assert_int_equal(type, HB_DNN_DESC_TYPE_UNKNOWN);
    d = NULL, size = 99, type = 99;
    assert_int_equal(hbDNNGetModelDesc(&d, &size, &type, m), 0);
    assert_string_equal(d, "");
    assert_int_equal(size, 0);
    assert_int_equal(type, HB_DNN_DESC_TYPE_UNKNOWN);
    const char *tag = NULL;
    assert_int_equal(hbDNNGetModelTag(&tag, m), 0);
    assert_string_equal(tag, "");
}

static void test_cpu_model(void **state)
{
    (void)state;
    size_t n;
    hbDNNHandle_t m;
    uint8_t *img = make_cpu_image(1, &n, NULL);
    hbPackedDNNHandle_t p = load(img, n, "tiny_conv", &m);
    check_no_desc(m);
    int32_t op = -1;
    assert_int_equal(hbDNNGetOutputOperatorType(&op, m, 0), 0);
    assert_int_equal(op, HB_DNN_OUTPUT_OPERATOR_TYPE_UNKNOWN);
    assert_int_equal(hbDNNRelease(p), 0);
}

static void test_bpu_model(void **state)
{
    (void)state;
    size_t n;
    uint64_t cycles;
    uint32_t mhz;
    hbDNNHandle_t m;
    uint8_t *img = make_lut_image(&n, &cycles, &mhz, 0);
    hbPackedDNNHandle_t p = load(img, n, "lut_model", &m);
    check_no_desc(m);
    int32_t op = -1;
    assert_int_equal(hbDNNGetOutputOperatorType(&op, m, 0), 0);
    assert_int_equal(op, HB_DNN_OUTPUT_OPERATOR_TYPE_CONV);
    assert_int_equal(hbDNNRelease(p), 0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    size_t n;
    hbDNNHandle_t m;
    uint8_t *img = make_cpu_image(1, &n, NULL);
    hbPackedDNNHandle_t p = load(img, n, "tiny_conv", &m);
    const char *d;
    uint32_t size;
    int32_t type, op;
    int stale = 0;
    assert_int_equal(hbDNNGetInputDesc(&d, &size, &type, m, 1), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetOutputDesc(&d, &size, &type, m, -1), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetOutputOperatorType(&op, m, 1), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetModelDesc(NULL, &size, &type, m), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetInputDesc(&d, NULL, &type, m, 0), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetOutputDesc(&d, &size, NULL, m, 0), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetModelTag(NULL, m), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetOutputOperatorType(NULL, m, 0), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNGetModelDesc(&d, &size, &type, &stale), HB_DNN_INVALID_DNN_HANDLE);
    assert_int_equal(hbDNNGetModelTag(&d, &stale), HB_DNN_INVALID_DNN_HANDLE);
    assert_int_equal(hbDNNGetOutputOperatorType(&op, NULL, 0), HB_DNN_INVALID_DNN_HANDLE);
    assert_int_equal(hbDNNRelease(p), 0);
    /* a released model's handle is stale */
    assert_int_equal(hbDNNGetModelTag(&d, m), HB_DNN_INVALID_DNN_HANDLE);
}

static void test_endianness(void **state)
{
    (void)state;
    const uint8_t in[9] = {0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x80, 0x3F, 0xAA};
    const uint8_t want[8] = {0x04, 0x03, 0x02, 0x01, 0x3F, 0x80, 0x00, 0x00};
    uint8_t out[9];
    memset(out, 0xEE, sizeof out);
    /* from offset 1 too: no alignment is needed */
    assert_int_equal(hbDNNConvertEndianness(out + 1, in, 8), 0);
    assert_memory_equal(out + 1, want, 8);
    assert_int_equal(out[0], 0xEE); /* nothing outside the 8 bytes is written */
    /* in place, twice: back to the start */
    uint8_t buf[8];
    memcpy(buf, in, 8);
    assert_int_equal(hbDNNConvertEndianness(buf, buf, 8), 0);
    assert_memory_equal(buf, want, 8);
    assert_int_equal(hbDNNConvertEndianness(buf, buf, 8), 0);
    assert_memory_equal(buf, in, 8);
    /* 1.0f little-endian (00 00 80 3F) reads as 1.0f from the swapped big-endian bytes */
    float one = 1.0f, back;
    uint8_t be[4];
    assert_int_equal(hbDNNConvertEndianness(be, &one, 4), 0);
    assert_int_equal(be[0], 0x3F);
    assert_int_equal(be[1], 0x80);
    assert_int_equal(hbDNNConvertEndianness(&back, be, 4), 0);
    assert_true(back == 1.0f);
    assert_int_equal(hbDNNConvertEndianness(out, in, 0), 0);
    assert_int_equal(hbDNNConvertEndianness(out, in, 9), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNConvertEndianness(NULL, in, 4), HB_DNN_INVALID_ARGUMENT);
    assert_int_equal(hbDNNConvertEndianness(out, NULL, 4), HB_DNN_INVALID_ARGUMENT);
}

int main(void)
{
    setenv("HB_DNN_LOG_LEVEL", "5", 1); /* the failing calls log; keep the test output short */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_model),
        cmocka_unit_test(test_bpu_model),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_endianness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
