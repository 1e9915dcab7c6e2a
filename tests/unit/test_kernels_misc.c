/* Constant, Identity, Dropout, Cast, Shape, Size, ConstantOfShape, Range (kernels/misc.c).
 * Expected values are derived by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_harness.h"

static void test_constant_forms(void **state)
{
    (void)state;
    kh h;
    float v[6] = {1, 2, 3, 4, 5, 6};
    hbg_node *n = kh_build(&h, "Constant", 13, 0, NULL, 1);
    kh_attr_tensor(n, "value", HBG_DT_F32, 2, (const int64_t[]){2, 3}, v);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 3});
    kh_check_f32(&h, 0, v, 6, 0.0f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "Constant", 13, 0, NULL, 1);
    kh_attr_ints(n, "value_ints", 3, (const int64_t[]){7, -1, 0});
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 1, (const int64_t[]){3});
    kh_check_int(&h, 0, (const int64_t[]){7, -1, 0}, 3);
    kh_free(&h);
    n = kh_build(&h, "Constant", 13, 0, NULL, 1);
    kh_attr_float(n, "value_float", 2.5f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 0, NULL);
    kh_check_f32(&h, 0, (const float[]){2.5f}, 1, 0.0f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "Constant", 13, 0, NULL, 1);
    kh_attr_floats(n, "value_floats", 2, (const float[]){-1.0f, 0.5f});
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-1.0f, 0.5f}, 2, 0.0f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "Constant", 13, 0, NULL, 1);
    kh_attr_int(n, "value_int", -42);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 0, NULL);
    kh_check_int(&h, 0, (const int64_t[]){-42}, 1);
    kh_free(&h);
    /* no value attribute at all */
    kh_build(&h, "Constant", 13, 0, NULL, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

static void test_identity(void **state)
{
    (void)state;
    int32_t x[4] = {1, -2, 3, -4};
    kh_in in[1] = {{"x", HBG_DT_I32, 2, {2, 2}, x, 0}};
    kh h;
    kh_build(&h, "Identity", 16, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I32, 2, (const int64_t[]){2, 2});
    kh_check_int(&h, 0, (const int64_t[]){1, -2, 3, -4}, 4);
    kh_free(&h);
}

/* Dropout in inference copies; the mask is all ones, bool from opset 10 and of the input's
 * type before. Training mode with a non-zero ratio is refused; with ratio 0 it is a copy. */
static void test_dropout(void **state)
{
    (void)state;
    float x[3] = {-1.0f, 0.0f, 2.0f};
    kh h;
    kh_in a[1] = {{"x", HBG_DT_F32, 1, {3}, x, 0}};
    hbg_node *n = kh_build(&h, "Dropout", 13, 1, a, 2);
    (void)n;
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, x, 3, 0.0f, 0.0f);
    kh_check_shape(&h, 1, HBG_DT_BOOL, 1, (const int64_t[]){3});
    kh_check_int(&h, 1, (const int64_t[]){1, 1, 1}, 3);
    kh_free(&h);
    n = kh_build(&h, "Dropout", 9, 1, a, 2);
    kh_attr_float(n, "ratio", 0.3f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 1, HBG_DT_F32, 1, (const int64_t[]){3});
    kh_check_f32(&h, 1, (const float[]){1, 1, 1}, 3, 0.0f, 0.0f);
    kh_free(&h);
    float half = 0.5f, zero = 0.0f;
    uint8_t on = 1;
    kh_in b[3] = {{"x", HBG_DT_F32, 1, {3}, x, 0},
                  {"r", HBG_DT_F32, 0, {0}, &half, 1},
                  {"t", HBG_DT_BOOL, 0, {0}, &on, 1}};
    kh_build(&h, "Dropout", 13, 3, b, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
    /* the same with training_mode a runtime input: refused when running */
    kh_in c[3] = {{"x", HBG_DT_F32, 1, {3}, x, 0},
                  {"r", HBG_DT_F32, 0, {0}, &half, 1},
                  {"t", HBG_DT_BOOL, 0, {0}, &on, 0}};
    kh_build(&h, "Dropout", 13, 3, c, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
    kh_in d[3] = {{"x", HBG_DT_F32, 1, {3}, x, 0},
                  {"r", HBG_DT_F32, 0, {0}, &zero, 0},
                  {"t", HBG_DT_BOOL, 0, {0}, &on, 0}};
    kh_build(&h, "Dropout", 13, 3, d, 2);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, x, 3, 0.0f, 0.0f);
    kh_check_int(&h, 1, (const int64_t[]){1, 1, 1}, 3);
    kh_free(&h);
}

/* float -> int32 truncates toward zero and saturates, NaN -> 0; float -> uint8 saturates at
 * 0 and 255; int64 -> int8 wraps (300 = 256 + 44, -129 = -256 + 127); anything -> bool is
 * x != 0 (NaN is true); int64 -> float rounds to nearest (2^24 + 1 -> 2^24). */
static void test_cast(void **state)
{
    (void)state;
    kh h;
    float f[6] = {2.7f, -2.7f, NAN, 3e9f, -3e9f, -0.0f};
    kh_in fi[1] = {{"x", HBG_DT_F32, 1, {6}, f, 0}};
    hbg_node *n = kh_build(&h, "Cast", 13, 1, fi, 1);
    kh_attr_int(n, "to", HBG_DT_I32);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I32, 1, (const int64_t[]){6});
    kh_check_int(&h, 0, (const int64_t[]){2, -2, 0, INT32_MAX, INT32_MIN, 0}, 6);
    kh_free(&h);
    n = kh_build(&h, "Cast", 13, 1, fi, 1);
    kh_attr_int(n, "to", HBG_DT_U8);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){2, 0, 0, 255, 0, 0}, 6);
    kh_free(&h);
    n = kh_build(&h, "Cast", 13, 1, fi, 1);
    kh_attr_int(n, "to", HBG_DT_BOOL);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){1, 1, 1, 1, 1, 0}, 6);
    kh_free(&h);
    int64_t l[4] = {300, -129, 16777217, 5};
    kh_in li[1] = {{"x", HBG_DT_I64, 1, {4}, l, 0}};
    n = kh_build(&h, "Cast", 13, 1, li, 1);
    kh_attr_int(n, "to", HBG_DT_I8);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){44, 127, 1, 5}, 4);
    kh_free(&h);
    n = kh_build(&h, "Cast", 13, 1, li, 1);
    kh_attr_int(n, "to", HBG_DT_F32);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){300.0f, -129.0f, 16777216.0f, 5.0f}, 4, 0.0f, 0.0f);
    kh_free(&h);
    /* to float16 (10) is not a type the core holds */
    n = kh_build(&h, "Cast", 13, 1, li, 1);
    kh_attr_int(n, "to", 10);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

/* Shape folds at prepare time even though x is a runtime input; opset 15 start/end slice the
 * dims with negative values counted from the end and clamping. */
static void test_shape_and_size(void **state)
{
    (void)state;
    kh h;
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {2, 3, 4, 5}, NULL, 0}};
    float *buf = calloc(120, sizeof *buf);
    assert_non_null(buf);
    kh_in in_data[1] = {{"x", HBG_DT_F32, 4, {2, 3, 4, 5}, buf, 0}};
    kh_build(&h, "Shape", 13, 1, in, 1);
    assert_int_equal(hbg_exec_create(h.g, &h.e), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 1, (const int64_t[]){4});
    kh_check_int(&h, 0, (const int64_t[]){2, 3, 4, 5}, 4);
    kh_free(&h);
    static const struct {
        int64_t start, end; /* INT64_MIN: attribute absent */
        int n;
        int64_t want[4];
    } cases[] = {
        {1, -1, 2, {3, 4}}, {-10, 2, 2, {2, 3}}, {INT64_MIN, -3, 1, {2}},
        {3, 100, 1, {5}},   {3, 1, 0, {0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hbg_node *n = kh_build(&h, "Shape", 15, 1, in_data, 1);
        if (cases[c].start != INT64_MIN)
            kh_attr_int(n, "start", cases[c].start);
        kh_attr_int(n, "end", cases[c].end);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_I64, 1, (const int64_t[]){cases[c].n});
        kh_check_int(&h, 0, cases[c].want, cases[c].n);
        kh_free(&h);
    }
    kh_build(&h, "Size", 13, 1, in_data, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 0, NULL);
    kh_check_int(&h, 0, (const int64_t[]){120}, 1);
    kh_free(&h);
    free(buf);
}

static void test_constantofshape(void **state)
{
    (void)state;
    kh h;
    int64_t shape[2] = {2, 3}, empty[1] = {0};
    int32_t seven = 7;
    kh_in a[1] = {{"s", HBG_DT_I64, 1, {2}, shape, 1}};
    hbg_node *n = kh_build(&h, "ConstantOfShape", 9, 1, a, 1);
    kh_attr_tensor(n, "value", HBG_DT_I32, 1, (const int64_t[]){1}, &seven);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I32, 2, (const int64_t[]){2, 3});
    kh_check_int(&h, 0, (const int64_t[]){7, 7, 7, 7, 7, 7}, 6);
    kh_free(&h);
    /* default value float 0; shape [0] gives a scalar */
    kh_in b[1] = {{"s", HBG_DT_I64, 1, {0}, empty, 1}};
    kh_build(&h, "ConstantOfShape", 9, 1, b, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 0, NULL);
    kh_check_f32(&h, 0, (const float[]){0.0f}, 1, 0.0f, 0.0f);
    kh_free(&h);
    /* the shape must be known at prepare time */
    kh_in c[1] = {{"s", HBG_DT_I64, 1, {2}, shape, 0}};
    kh_build(&h, "ConstantOfShape", 9, 1, c, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

/* Range: ceil((limit - start) / delta) elements start + i * delta, at least 0. */
static void test_range(void **state)
{
    (void)state;
    kh h;
    int64_t s = 10, l = 4, d = -3;
    kh_in a[3] = {{"s", HBG_DT_I64, 0, {0}, &s, 1},
                  {"l", HBG_DT_I64, 0, {0}, &l, 1},
                  {"d", HBG_DT_I64, 0, {0}, &d, 1}};
    kh_build(&h, "Range", 11, 3, a, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 1, (const int64_t[]){2});
    kh_check_int(&h, 0, (const int64_t[]){10, 7}, 2);
    kh_free(&h);
    float fs = 1.0f, fl = 5.0f, fd = 1.5f;
    kh_in b[3] = {{"s", HBG_DT_F32, 0, {0}, &fs, 1},
                  {"l", HBG_DT_F32, 0, {0}, &fl, 1},
                  {"d", HBG_DT_F32, 0, {0}, &fd, 1}};
    kh_build(&h, "Range", 11, 3, b, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){1.0f, 2.5f, 4.0f}, 3, 0.0f, 0.0f);
    kh_free(&h);
    /* limit behind start: empty; int32 exact (0..9 step 3 -> 0 3 6 9) */
    int32_t is = 0, il = 10, id = 3;
    kh_in c[3] = {{"s", HBG_DT_I32, 0, {0}, &is, 1},
                  {"l", HBG_DT_I32, 0, {0}, &il, 1},
                  {"d", HBG_DT_I32, 0, {0}, &id, 1}};
    kh_build(&h, "Range", 11, 3, c, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){0, 3, 6, 9}, 4);
    kh_free(&h);
    kh_in e[3] = {{"s", HBG_DT_I32, 0, {0}, &il, 1},
                  {"l", HBG_DT_I32, 0, {0}, &is, 1},
                  {"d", HBG_DT_I32, 0, {0}, &id, 1}};
    kh_build(&h, "Range", 11, 3, e, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I32, 1, (const int64_t[]){0});
    kh_free(&h);
    /* delta 0 is invalid; unknown inputs cannot give a shape */
    int64_t zero = 0;
    kh_in f[3] = {{"s", HBG_DT_I64, 0, {0}, &s, 1},
                  {"l", HBG_DT_I64, 0, {0}, &l, 1},
                  {"d", HBG_DT_I64, 0, {0}, &zero, 1}};
    kh_build(&h, "Range", 11, 3, f, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
    kh_in g[3] = {{"s", HBG_DT_I64, 0, {0}, &s, 0},
                  {"l", HBG_DT_I64, 0, {0}, &l, 1},
                  {"d", HBG_DT_I64, 0, {0}, &d, 1}};
    kh_build(&h, "Range", 11, 3, g, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_forms), cmocka_unit_test(test_identity),
        cmocka_unit_test(test_dropout),        cmocka_unit_test(test_cast),
        cmocka_unit_test(test_shape_and_size), cmocka_unit_test(test_constantofshape),
        cmocka_unit_test(test_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
