/* .npy I/O: round trip, files written by numpy (bytes derived by hand from the format spec), and
 * malformed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbg/npy.h"

/* numpy.save of np.array([[1, 2, 3]], dtype='<i8') (version 1.0, header padded to 128 bytes). */
static size_t numpy_i64_file(unsigned char *buf)
{
    const char *hdr = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3), }";
    size_t n = strlen(hdr), hl = 128 - 10;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)hl;
    buf[9] = 0;
    memset(buf + 10, ' ', hl);
    memcpy(buf + 10, hdr, n);
    buf[10 + hl - 1] = '\n';
    for (int i = 0; i < 3; i++) {
        int64_t v = i + 1;
        memcpy(buf + 128 + 8 * i, &v, 8);
    }
    return 128 + 24;
}

static void test_parse_numpy_bytes(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t len = numpy_i64_file(buf);
    hbg_tensor *t = NULL;
    char err[256];
    assert_int_equal(hbg_npy_parse(buf, len, "mem", "x", &t, err, sizeof err), HBG_OK);
    assert_int_equal(t->dtype, HBG_DT_I64);
    assert_int_equal(t->rank, 2);
    assert_int_equal(t->dims[0], 1);
    assert_int_equal(t->dims[1], 3);
    assert_int_equal(((int64_t *)t->data)[2], 3);
    hbg_tensor_free(t);

    /* Truncated data: named file and both sizes in the message. */
    assert_int_equal(hbg_npy_parse(buf, len - 1, "cut.npy", "x", &t, err, sizeof err),
                     HBG_E_FORMAT);
    assert_null(t);
    assert_non_null(strstr(err, "cut.npy"));
    assert_non_null(strstr(err, "23 bytes"));
    /* Truncated header. */
    assert_int_equal(hbg_npy_parse(buf, 40, "h.npy", "x", &t, err, sizeof err), HBG_E_FORMAT);
    /* Bad magic. */
    buf[1] = 'X';
    assert_int_equal(hbg_npy_parse(buf, len, "m.npy", "x", &t, err, sizeof err), HBG_E_FORMAT);
    assert_non_null(strstr(err, "magic"));
}

static void test_refusals(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t len = numpy_i64_file(buf);
    hbg_tensor *t = NULL;
    char err[256];
    memcpy(buf + 10 + 10, "'>i8'", 5); /* big-endian */
    assert_int_equal(hbg_npy_parse(buf, len, "be.npy", "x", &t, err, sizeof err),
                     HBG_E_UNSUPPORTED);
    assert_non_null(strstr(err, ">i8"));
    len = numpy_i64_file(buf);
    char *fo = strstr((char *)buf + 10, "False");
    memcpy(fo, "True ", 5);
    assert_int_equal(hbg_npy_parse(buf, len, "f.npy", "x", &t, err, sizeof err), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(err, "fortran_order"));
    len = numpy_i64_file(buf);
    char *sh = strstr((char *)buf + 10, "(1, 3)");
    memcpy(sh, "(1,-3)", 6);
    assert_int_equal(hbg_npy_parse(buf, len, "neg.npy", "x", &t, err, sizeof err), HBG_E_FORMAT);
    /* Hostile dims whose product overflows. */
    len = numpy_i64_file(buf);
    const char *hdr = "{'descr': '<i8', 'fortran_order': False, 'shape': (99999999999, "
                      "99999999999), }";
    memset(buf + 10, ' ', 117);
    memcpy(buf + 10, hdr, strlen(hdr));
    assert_int_equal(hbg_npy_parse(buf, len, "huge.npy", "x", &t, err, sizeof err), HBG_E_FORMAT);
}

static void test_save_load_round_trip(void **state)
{
    (void)state;
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/test_npy_rt.npy", HB_BINARY_DIR);
    hbg_tensor *t = hbg_tensor_create("v");
    int64_t dims[3] = {2, 1, 3};
    hbg_tensor_set_shape(t, HBG_DT_F32, 3, dims);
    float vals[6] = {0.5f, -1.0f, 3.25f, 1e-7f, -0.0f, 100.0f};
    t->data = malloc(sizeof vals);
    memcpy(t->data, vals, sizeof vals);
    assert_int_equal(hbg_npy_save(path, t, err, sizeof err), HBG_OK);
    hbg_tensor *r = NULL;
    assert_int_equal(hbg_npy_load(path, "v", &r, err, sizeof err), HBG_OK);
    assert_int_equal(r->rank, 3);
    assert_int_equal(r->dims[2], 3);
    assert_memory_equal(r->data, vals, sizeof vals);
    /* The header length must make the data start 64-byte aligned (format rule). */
    FILE *f = fopen(path, "rb");
    unsigned char pre[10];
    assert_int_equal(fread(pre, 1, 10, f), 10);
    fclose(f);
    assert_int_equal((10 + (pre[8] | pre[9] << 8)) % 64, 0);
    hbg_tensor_free(r);
    hbg_tensor_free(t);
    assert_int_equal(hbg_npy_load("/nonexistent/x.npy", "v", &r, err, sizeof err), HBG_E_IO);
    assert_non_null(strstr(err, "/nonexistent/x.npy"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_numpy_bytes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_save_load_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
