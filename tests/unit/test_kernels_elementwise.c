/* Broadcasting elementwise kernels (kernels/binary.c): shapes, the fast paths of the broadcast
 * plan (same shape, scalar either side, per-channel, both operands broadcast in the innermost
 * dim), integer semantics, variadic ops, comparisons, logic, Where, and refused inputs.
 * Expected values are derived by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "broadcast.h"
#include "kernel_harness.h"

/* [2,3,1] + [1,4] -> [2,3,4]; a = 3i + j, b = 10k, so y[i,j,k] = 3i + j + 10k. */
static void test_add_two_sided_broadcast(void **state)
{
    (void)state;
    float a[6] = {0, 1, 2, 3, 4, 5}, b[4] = {0, 10, 20, 30}, want[24];
    kh_in in[2] = {{"a", HBG_DT_F32, 3, {2, 3, 1}, a, 0}, {"b", HBG_DT_F32, 2, {1, 4}, b, 0}};
    kh h;
    kh_build(&h, "Add", 13, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                want[(i * 3 + j) * 4 + k] = (float)(3 * i + j + 10 * k);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){2, 3, 4});
    kh_check_f32(&h, 0, want, 24, 0.0f, 0.0f);
    kh_free(&h);
}

/* NCHW [2,3,2,2] * [3,1,1]: every H*W plane scaled by its channel's factor (a constant). */
static void test_mul_per_channel(void **state)
{
    (void)state;
    float x[24], s[3] = {1.0f, -2.0f, 0.5f}, want[24];
    for (int i = 0; i < 24; i++) {
        x[i] = (float)i;
        want[i] = (float)i * s[(i / 4) % 3];
    }
    kh_in in[2] = {{"x", HBG_DT_F32, 4, {2, 3, 2, 2}, x, 0}, {"s", HBG_DT_F32, 3, {3, 1, 1}, s, 1}};
    kh h;
    kh_build(&h, "Mul", 14, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){2, 3, 2, 2});
    kh_check_f32(&h, 0, want, 24, 0.0f, 0.0f);
    kh_free(&h);
}

/* Scalar on the left: 10 - [1,2,3,4] = [9,8,7,6]; on the right: [1,2,3,4] / 2. */
static void test_scalar_either_side(void **state)
{
    (void)state;
    float ten = 10.0f, two = 2.0f, v[4] = {1, 2, 3, 4};
    kh h;
    kh_in l[2] = {{"s", HBG_DT_F32, 0, {0}, &ten, 0}, {"v", HBG_DT_F32, 1, {4}, v, 0}};
    kh_build(&h, "Sub", 14, 2, l, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){9, 8, 7, 6}, 4, 0.0f, 0.0f);
    kh_free(&h);
    kh_in r[2] = {{"v", HBG_DT_F32, 1, {4}, v, 0}, {"s", HBG_DT_F32, 0, {0}, &two, 0}};
    kh_build(&h, "Div", 14, 2, r, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){0.5f, 1.0f, 1.5f, 2.0f}, 4, 0.0f, 0.0f);
    kh_free(&h);
}

/* Both operands constant along the innermost dim: in Max([2,1], [1,1], [3]) the first step
 * writes the [2,3] output from two operands that are both broadcast along it; c = 0 leaves
 * row i = max(a[i], b) = [max(-1, 0.5), max(4, 0.5)]. */
static void test_both_broadcast_inner(void **state)
{
    (void)state;
    float a[2] = {-1.0f, 4.0f}, b = 0.5f;
    kh h;
    float c[3] = {0.0f, 0.0f, 0.0f};
    kh_in in3[3] = {{"a", HBG_DT_F32, 2, {2, 1}, a, 0},
                    {"b", HBG_DT_F32, 2, {1, 1}, &b, 0},
                    {"c", HBG_DT_F32, 1, {3}, c, 0}};
    kh_build(&h, "Max", 13, 3, in3, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 3});
    kh_check_f32(&h, 0, (const float[]){0.5f, 0.5f, 0.5f, 4.0f, 4.0f, 4.0f}, 6, 0.0f, 0.0f);
    kh_free(&h);
}

/* Broadcasting against a zero-sized dim gives an empty output (numpy: [0,3] + [1,3] -> [0,3]). */
static void test_empty_broadcast(void **state)
{
    (void)state;
    float b[3] = {1, 2, 3};
    kh_in in[2] = {{"a", HBG_DT_F32, 2, {0, 3}, NULL, 0}, {"b", HBG_DT_F32, 2, {1, 3}, b, 0}};
    kh h;
    kh_build(&h, "Add", 14, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){0, 3});
    kh_free(&h);
}

static void test_incompatible_shapes(void **state)
{
    (void)state;
    float a[6] = {0}, b[4] = {0};
    kh_in in[2] = {{"a", HBG_DT_F32, 2, {2, 3}, a, 0}, {"b", HBG_DT_F32, 1, {4}, b, 0}};
    kh h;
    kh_build(&h, "Add", 14, 2, in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    assert_non_null(strstr(h.g->err, "2x3"));
    assert_non_null(strstr(h.g->err, "4"));
    kh_free(&h);
}

static void test_type_mismatch(void **state)
{
    (void)state;
    float a[2] = {0};
    int64_t b[2] = {0};
    kh_in in[2] = {{"a", HBG_DT_F32, 1, {2}, a, 0}, {"b", HBG_DT_I64, 1, {2}, b, 0}};
    kh h;
    kh_build(&h, "Add", 14, 2, in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* int64 Div truncates toward zero: -7/2 = -3, 7/-2 = -3, -7/-2 = 3; x/0 = 0 and
 * INT64_MIN/-1 = INT64_MIN (defined by us; C leaves both undefined). */
static void test_int_div(void **state)
{
    (void)state;
    int64_t a[5] = {-7, 7, -7, 5, INT64_MIN}, b[5] = {2, -2, -2, 0, -1};
    kh_in in[2] = {{"a", HBG_DT_I64, 1, {5}, a, 0}, {"b", HBG_DT_I64, 1, {5}, b, 0}};
    kh h;
    kh_build(&h, "Div", 14, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 1, (const int64_t[]){5});
    kh_check_int(&h, 0, (const int64_t[]){-3, -3, 3, 0, INT64_MIN}, 5);
    kh_free(&h);
}

/* int32 Add/Mul wrap: INT32_MAX + 1 = INT32_MIN; 65536 * 65536 = 2^32 = 0 mod 2^32. */
static void test_int_wrap(void **state)
{
    (void)state;
    int32_t a[2] = {INT32_MAX, 65536}, b[2] = {1, 65536};
    kh_in in[2] = {{"a", HBG_DT_I32, 1, {2}, a, 0}, {"b", HBG_DT_I32, 1, {2}, b, 0}};
    kh h;
    kh_build(&h, "Add", 14, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){INT32_MIN, 131072}, 2);
    kh_free(&h);
    kh_build(&h, "Mul", 14, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){INT32_MAX, 0}, 2);
    kh_free(&h);
}

/* Mod fmod=0 takes the divisor's sign (Python): -7%2=1, 7%-2=-1, -7%-2=-1, 7%3=1, x%0=0.
 * fmod=1 the dividend's (C): -7%2=-1, 7%-2=1, -7%-2=-1, 7%3=1. */
static void test_mod(void **state)
{
    (void)state;
    int32_t a[5] = {-7, 7, -7, 7, 7}, b[5] = {2, -2, -2, 3, 0};
    kh_in in[2] = {{"a", HBG_DT_I32, 1, {5}, a, 0}, {"b", HBG_DT_I32, 1, {5}, b, 0}};
    kh h;
    kh_build(&h, "Mod", 13, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){1, -1, -1, 1, 0}, 5);
    kh_free(&h);
    hbg_node *n = kh_build(&h, "Mod", 13, 2, in, 1);
    kh_attr_int(n, "fmod", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){-1, 1, -1, 1, 0}, 5);
    kh_free(&h);
    /* float: fmod=1 is C fmod (-7.5 fmod 2 = -1.5); fmod=0 is refused as ONNX requires */
    float fa[2] = {-7.5f, 7.5f}, fb[2] = {2.0f, -2.0f};
    kh_in fin[2] = {{"a", HBG_DT_F32, 1, {2}, fa, 0}, {"b", HBG_DT_F32, 1, {2}, fb, 0}};
    n = kh_build(&h, "Mod", 13, 2, fin, 1);
    kh_attr_int(n, "fmod", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-1.5f, 1.5f}, 2, 0.0f, 0.0f);
    kh_free(&h);
    kh_build(&h, "Mod", 13, 2, fin, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* Pow: float ^ float; int32 ^ float computed in double then truncated (2^0.5 = 1.41 -> 1,
 * 3^2.5 = 15.59 -> 15); float ^ int64 (2^-2 = 0.25); int64 ^ int64 exactly (3^39 needs
 * more than double's 53 bits: 4052555153018976267). */
static void test_pow_types(void **state)
{
    (void)state;
    kh h;
    int32_t ib[3] = {2, 3, -2};
    float fe[3] = {0.5f, 2.5f, 2.0f};
    kh_in a[2] = {{"x", HBG_DT_I32, 1, {3}, ib, 0}, {"y", HBG_DT_F32, 1, {3}, fe, 0}};
    kh_build(&h, "Pow", 15, 2, a, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I32, 1, (const int64_t[]){3});
    kh_check_int(&h, 0, (const int64_t[]){1, 15, 4}, 3);
    kh_free(&h);

    float fb[2] = {2.0f, -3.0f};
    int64_t ie[2] = {-2, 3};
    kh_in b[2] = {{"x", HBG_DT_F32, 1, {2}, fb, 0}, {"y", HBG_DT_I64, 1, {2}, ie, 0}};
    kh_build(&h, "Pow", 15, 2, b, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){0.25f, -27.0f}, 2, 0.0f, 0.0f);
    kh_free(&h);

    int64_t base[2] = {3, -2}, ex[2] = {39, 5};
    kh_in c[2] = {{"x", HBG_DT_I64, 1, {2}, base, 0}, {"y", HBG_DT_I64, 1, {2}, ex, 0}};
    kh_build(&h, "Pow", 15, 2, c, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){4052555153018976267LL, -32}, 2);
    kh_free(&h);

    float fx[3] = {2.0f, 4.0f, 9.0f}, fy = 0.5f;
    kh_in d[2] = {{"x", HBG_DT_F32, 1, {3}, fx, 0}, {"y", HBG_DT_F32, 0, {0}, &fy, 1}};
    kh_build(&h, "Pow", 15, 2, d, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){1.41421356f, 2.0f, 3.0f}, 3, 1e-6f, 0.0f);
    kh_free(&h);
}

/* Comparisons give bool; broadcasting [2,1] against [3]; NaN compares false. */
static void test_comparisons(void **state)
{
    (void)state;
    float a[2] = {1.0f, NAN}, b[3] = {0.0f, 1.0f, 2.0f};
    kh_in in[2] = {{"a", HBG_DT_F32, 2, {2, 1}, a, 0}, {"b", HBG_DT_F32, 1, {3}, b, 0}};
    static const struct {
        const char *op;
        int64_t want[6];
    } cases[] = {
        {"Less", {0, 0, 1, 0, 0, 0}},           {"Greater", {1, 0, 0, 0, 0, 0}},
        {"Equal", {0, 1, 0, 0, 0, 0}},          {"LessOrEqual", {0, 1, 1, 0, 0, 0}},
        {"GreaterOrEqual", {1, 1, 0, 0, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        kh h;
        kh_build(&h, cases[c].op, 16, 2, in, 1);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_BOOL, 2, (const int64_t[]){2, 3});
        kh_check_int(&h, 0, cases[c].want, 6);
        kh_free(&h);
    }
    /* int64 Equal, as shape arithmetic uses it */
    int64_t ia[3] = {1, 5, -3}, ib[3] = {1, 4, -3};
    kh_in iin[2] = {{"a", HBG_DT_I64, 1, {3}, ia, 1}, {"b", HBG_DT_I64, 1, {3}, ib, 0}};
    kh h;
    kh_build(&h, "Equal", 13, 2, iin, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){1, 0, 1}, 3);
    kh_free(&h);
}

/* And/Or/Xor on bool with broadcasting; And on float is refused. */
static void test_logic(void **state)
{
    (void)state;
    uint8_t a[4] = {0, 0, 1, 1}, b[2] = {0, 1};
    kh_in in[2] = {{"a", HBG_DT_BOOL, 2, {2, 2}, a, 0}, {"b", HBG_DT_BOOL, 1, {2}, b, 0}};
    static const struct {
        const char *op;
        int64_t want[4];
    } cases[] = {{"And", {0, 0, 0, 1}}, {"Or", {0, 1, 1, 1}}, {"Xor", {0, 1, 1, 0}}};
    for (size_t c = 0; c < 3; c++) {
        kh h;
        kh_build(&h, cases[c].op, 7, 2, in, 1);
        assert_int_equal(kh_run(&h), HBG_OK);
        kh_check_shape(&h, 0, HBG_DT_BOOL, 2, (const int64_t[]){2, 2});
        kh_check_int(&h, 0, cases[c].want, 4);
        kh_free(&h);
    }
    float f[2] = {0};
    kh_in fin[2] = {{"a", HBG_DT_F32, 1, {2}, f, 0}, {"b", HBG_DT_F32, 1, {2}, f, 0}};
    kh h;
    kh_build(&h, "And", 7, 2, fin, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

/* Variadic: Sum([2,1], [3], scalar) = a[i] + b[j] + 100; Mean of the same = Sum / 3;
 * a single input is copied; Max propagates NaN as numpy's maximum does. */
static void test_variadic(void **state)
{
    (void)state;
    float a[2] = {1.0f, 2.0f}, b[3] = {10.0f, 20.0f, 30.0f}, c = 100.0f;
    kh_in in[3] = {{"a", HBG_DT_F32, 2, {2, 1}, a, 0},
                   {"b", HBG_DT_F32, 1, {3}, b, 0},
                   {"c", HBG_DT_F32, 0, {0}, &c, 0}};
    float sum[6], mean[6];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            sum[i * 3 + j] = a[i] + b[j] + c;
            mean[i * 3 + j] = sum[i * 3 + j] / 3.0f;
        }
    kh h;
    kh_build(&h, "Sum", 13, 3, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 3});
    kh_check_f32(&h, 0, sum, 6, 0.0f, 0.0f);
    kh_free(&h);
    kh_build(&h, "Mean", 13, 3, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, mean, 6, 1e-7f, 0.0f);
    kh_free(&h);
    kh_build(&h, "Min", 13, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, a, 2, 0.0f, 0.0f);
    kh_free(&h);
    float n[2] = {NAN, 1.0f}, m[2] = {0.0f, NAN};
    kh_in nin[2] = {{"a", HBG_DT_F32, 1, {2}, n, 0}, {"b", HBG_DT_F32, 1, {2}, m, 0}};
    kh_build(&h, "Max", 13, 2, nin, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){NAN, NAN}, 2, 0.0f, 0.0f);
    kh_free(&h);
    /* Mean is defined for floating-point types only */
    int64_t ia[2] = {1, 2};
    kh_in iin[2] = {{"a", HBG_DT_I64, 1, {2}, ia, 0}, {"b", HBG_DT_I64, 1, {2}, ia, 0}};
    kh_build(&h, "Mean", 13, 2, iin, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

/* Where: cond [2,1], x [3], y scalar -> [2,3]: row 0 takes x, row 1 takes y. */
static void test_where(void **state)
{
    (void)state;
    uint8_t c[2] = {1, 0};
    int64_t x[3] = {1, 2, 3}, y = -1;
    kh_in in[3] = {{"c", HBG_DT_BOOL, 2, {2, 1}, c, 0},
                   {"x", HBG_DT_I64, 1, {3}, x, 0},
                   {"y", HBG_DT_I64, 0, {0}, &y, 0}};
    kh h;
    kh_build(&h, "Where", 16, 3, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){2, 3});
    kh_check_int(&h, 0, (const int64_t[]){1, 2, 3, -1, -1, -1}, 6);
    kh_free(&h);
    /* per-element condition on float */
    uint8_t c2[4] = {1, 0, 0, 1};
    float fx[4] = {1, 2, 3, 4}, fy[4] = {-1, -2, -3, -4};
    kh_in fin[3] = {{"c", HBG_DT_BOOL, 1, {4}, c2, 0},
                    {"x", HBG_DT_F32, 1, {4}, fx, 0},
                    {"y", HBG_DT_F32, 1, {4}, fy, 0}};
    kh_build(&h, "Where", 16, 3, fin, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){1, -2, -3, 4}, 4, 0.0f, 0.0f);
    kh_free(&h);
    /* condition must be bool */
    kh_in bad[3] = {{"c", HBG_DT_F32, 1, {4}, fx, 0},
                    {"x", HBG_DT_F32, 1, {4}, fx, 0},
                    {"y", HBG_DT_F32, 1, {4}, fy, 0}};
    kh_build(&h, "Where", 16, 3, bad, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* Constant operands fold at prepare time: the output has data before hbg_exec_run. */
static void test_constant_folding(void **state)
{
    (void)state;
    int64_t a[2] = {2, 3}, b = 4;
    kh_in in[2] = {{"a", HBG_DT_I64, 1, {2}, a, 1}, {"b", HBG_DT_I64, 0, {0}, &b, 1}};
    kh h;
    kh_build(&h, "Mul", 14, 2, in, 1);
    assert_int_equal(hbg_exec_create(h.g, &h.e), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){8, 12}, 2);
    kh_free(&h);
}

/* The loop plan itself: same shapes collapse to one flat loop, a scalar to a stride-0 operand,
 * [2,3,4,5] * [3,1,1] to 2*3 segments of 20 with the channel operand constant per segment. */
static void test_broadcast_plan(void **state)
{
    (void)state;
    hbg_tensor x = {0}, c = {0}, s = {0};
    hbg_bcast p;
    assert_int_equal(hbg_tensor_set_shape(&x, HBG_DT_F32, 4, (const int64_t[]){2, 3, 4, 5}),
                     HBG_OK);
    assert_int_equal(hbg_tensor_set_shape(&c, HBG_DT_F32, 3, (const int64_t[]){3, 1, 1}), HBG_OK);
    assert_int_equal(hbg_tensor_set_shape(&s, HBG_DT_F32, 0, NULL), HBG_OK);
    const hbg_tensor *same[2] = {&x, &x}, *chan[2] = {&x, &c}, *scal[2] = {&s, &x};

    hbg_bcast_plan(&p, 4, x.dims, 2, same);
    assert_int_equal(p.rank, 1);
    assert_int_equal(p.dims[0], 120);
    assert_int_equal(p.stride[0][0], 1);
    assert_int_equal(p.stride[1][0], 1);

    hbg_bcast_plan(&p, 4, x.dims, 2, scal);
    assert_int_equal(p.rank, 1);
    assert_int_equal(p.dims[0], 120);
    assert_int_equal(p.stride[0][0], 0);
    assert_int_equal(p.stride[1][0], 1);

    hbg_bcast_plan(&p, 4, x.dims, 2, chan);
    assert_int_equal(p.rank, 3);
    assert_int_equal(p.dims[0], 2);
    assert_int_equal(p.dims[1], 3);
    assert_int_equal(p.dims[2], 20);
    assert_int_equal(p.stride[0][0], 60);
    assert_int_equal(p.stride[0][1], 20);
    assert_int_equal(p.stride[0][2], 1);
    assert_int_equal(p.stride[1][0], 0);
    assert_int_equal(p.stride[1][1], 1);
    assert_int_equal(p.stride[1][2], 0);
}

/* Opset 6 (Add-6): B [3] aligned at axis 1 of A [2,3,2] is seen as [3,1], so
 * y[i,j,k] = a[i,j,k] + b[j]; with a = 0..11 and b = {100, 200, 300}: y = idx + 100 * (j + 1). */
static void test_legacy_broadcast_axis(void **state)
{
    (void)state;
    float a[12], b[3] = {100, 200, 300}, want[12];
    for (int i = 0; i < 12; i++) {
        a[i] = (float)i;
        want[i] = (float)i + 100.0f * (float)((i / 2) % 3 + 1);
    }
    kh_in in[2] = {{"a", HBG_DT_F32, 3, {2, 3, 2}, a, 0}, {"b", HBG_DT_F32, 1, {3}, b, 1}};
    kh h;
    hbg_node *n = kh_build(&h, "Add", 6, 2, in, 1);
    kh_attr_int(n, "broadcast", 1);
    kh_attr_int(n, "axis", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){2, 3, 2});
    kh_check_f32(&h, 0, want, 12, 0.0f, 0.0f);
    kh_free(&h);
}

/* Opset 6 without broadcast = 1 shapes must be equal; an axis that puts B past A's end fails;
 * B may not broadcast A (A [1,3] + B [2,3] would give [2,3]). */
static void test_legacy_broadcast_refused(void **state)
{
    (void)state;
    float a[6] = {0}, b[6] = {0};
    kh h;
    kh_in in[2] = {{"a", HBG_DT_F32, 2, {2, 3}, a, 0}, {"b", HBG_DT_F32, 1, {3}, b, 0}};
    kh_build(&h, "Mul", 6, 2, in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    assert_non_null(strstr(h.g->err, "broadcast = 0"));
    kh_free(&h);

    hbg_node *n = kh_build(&h, "Mul", 6, 2, in, 1);
    kh_attr_int(n, "broadcast", 1);
    kh_attr_int(n, "axis", 2);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);

    kh_in grow[2] = {{"a", HBG_DT_F32, 2, {1, 3}, a, 0}, {"b", HBG_DT_F32, 2, {2, 3}, b, 0}};
    n = kh_build(&h, "Pow", 1, 2, grow, 1);
    kh_attr_int(n, "broadcast", 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);

    /* the same shapes are fine from opset 7 on (numpy broadcasting) */
    kh_build(&h, "Pow", 7, 2, grow, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_free(&h);
}

/* A value needed at prepare time (Reshape's shape) fed by a graph input: hbg_exec_create_ex names
 * that tensor, and preparing succeeds once it is a constant. */
static void test_need_value(void **state)
{
    (void)state;
    float x[6] = {0, 1, 2, 3, 4, 5};
    int64_t shape[2] = {3, 2};
    kh_in in[2] = {{"x", HBG_DT_F32, 1, {6}, x, 0}, {"shape", HBG_DT_I64, 1, {2}, shape, 0}};
    kh h;
    int need = 0;
    kh_build(&h, "Reshape", 14, 2, in, 1);
    kh_check_fail(&h, hbg_exec_create_ex(h.g, &h.e, &need), HBG_E_UNSUPPORTED);
    assert_null(h.e);
    assert_int_equal(need, hbg_graph_find_tensor(h.g, "shape"));
    assert_non_null(strstr(h.g->err, "input 1 (shape, 'shape') must be known at prepare time"));
    kh_free(&h);

    kh_in known[2] = {{"x", HBG_DT_F32, 1, {6}, x, 0}, {"shape", HBG_DT_I64, 1, {2}, shape, 1}};
    kh_build(&h, "Reshape", 14, 2, known, 1);
    assert_int_equal(hbg_exec_create_ex(h.g, &h.e, &need), HBG_OK);
    assert_int_equal(need, -1);
    kh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast_plan),
        cmocka_unit_test(test_add_two_sided_broadcast),
        cmocka_unit_test(test_mul_per_channel),
        cmocka_unit_test(test_scalar_either_side),
        cmocka_unit_test(test_both_broadcast_inner),
        cmocka_unit_test(test_empty_broadcast),
        cmocka_unit_test(test_incompatible_shapes),
        cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_int_div),
        cmocka_unit_test(test_int_wrap),
        cmocka_unit_test(test_mod),
        cmocka_unit_test(test_pow_types),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_variadic),
        cmocka_unit_test(test_where),
        cmocka_unit_test(test_constant_folding),
        cmocka_unit_test(test_legacy_broadcast_axis),
        cmocka_unit_test(test_legacy_broadcast_refused),
        cmocka_unit_test(test_need_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
