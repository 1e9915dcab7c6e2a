/* Data-movement kernels (kernels/movement.c, resize.c): Reshape, Flatten, Squeeze, Unsqueeze,
 * Concat, Split, Slice, Transpose, Expand, Tile, Pad, DepthToSpace, SpaceToDepth, Gather, Resize,
 * Upsample.
 *
 * Expected values are derived by hand in the comments, or computed with numpy (the expression
 * is quoted; numpy 1.24.2 of Debian 12's /usr/bin/python3), or, for large transposes, by a
 * naive index loop in this file that shares nothing with the kernel's strided views.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_harness.h"

static void attr_str(hbg_node *n, const char *name, const char *v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_STRING);
    size_t len = strlen(v);
    assert_non_null(a);
    a->s = malloc(len + 1);
    assert_non_null(a->s);
    memcpy(a->s, v, len + 1);
}

static void fill_f32(float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)i;
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze --------------------------------------------------- */

/* [2, 3, 4] with shape [0, -1]: 0 copies dim 0 (2), -1 takes the rest (12). */
static void test_reshape_zero_and_minus_one(void **state)
{
    (void)state;
    float x[24];
    fill_f32(x, 24);
    const int64_t shape[2] = {0, -1};
    kh_in in[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, x, 0}, {"s", HBG_DT_I64, 1, {2}, shape, 1}};
    kh h;
    kh_build(&h, "Reshape", 13, 2, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 12});
    kh_check_f32(&h, 0, x, 24, 0.0f, 0.0f);
    kh_free(&h);
}

/* allowzero = 1 (opset 14): a 0 in shape is a real zero-length dimension: [0, 3] -> [3, 0]. */
static void test_reshape_allowzero(void **state)
{
    (void)state;
    float x[1] = {0};
    const int64_t shape[2] = {3, 0};
    kh_in in[2] = {{"x", HBG_DT_F32, 2, {0, 3}, x, 0}, {"s", HBG_DT_I64, 1, {2}, shape, 1}};
    kh h;
    hbg_node *n = kh_build(&h, "Reshape", 14, 2, in, 1);
    kh_attr_int(n, "allowzero", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){3, 0});
    kh_free(&h);
    /* without allowzero the 0 copies dim 1 of the input (3): [3, 3] needs 9 elements, not 0 */
    kh_build(&h, "Reshape", 14, 2, in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

static void test_reshape_errors(void **state)
{
    (void)state;
    float x[24];
    fill_f32(x, 24);
    const int64_t bad[2] = {7, 3}, bad_neg[2] = {5, -1}, two_neg[2] = {-1, -1};
    kh h;
    /* 24 elements cannot become 7 x 3 */
    kh_in a[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, x, 0}, {"s", HBG_DT_I64, 1, {2}, bad, 1}};
    kh_build(&h, "Reshape", 13, 2, a, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* nor 5 x (24 / 5) */
    kh_in b[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, x, 0}, {"s", HBG_DT_I64, 1, {2}, bad_neg, 1}};
    kh_build(&h, "Reshape", 13, 2, b, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    kh_in c[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, x, 0}, {"s", HBG_DT_I64, 1, {2}, two_neg, 1}};
    kh_build(&h, "Reshape", 13, 2, c, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
    /* the shape only known at run time (a graph input): refused at prepare time */
    kh_in d[2] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, x, 0}, {"s", HBG_DT_I64, 1, {2}, bad, 0}};
    kh_build(&h, "Reshape", 13, 2, d, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    assert_non_null(strstr(h.g->err, "shape"));
    kh_free(&h);
}

static void test_flatten(void **state)
{
    (void)state;
    float x[24];
    fill_f32(x, 24);
    kh_in in[1] = {{"x", HBG_DT_F32, 3, {2, 3, 4}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "Flatten", 13, 1, in, 1);
    kh_attr_int(n, "axis", 0);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){1, 24});
    kh_free(&h);
    n = kh_build(&h, "Flatten", 13, 1, in, 1);
    kh_attr_int(n, "axis", -1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){6, 4});
    kh_check_f32(&h, 0, x, 24, 0.0f, 0.0f);
    kh_free(&h);
}

/* Squeeze/Unsqueeze take axes as an attribute before opset 13 and as an input from 13. */
static void test_squeeze_unsqueeze(void **state)
{
    (void)state;
    float x[6];
    fill_f32(x, 6);
    const int64_t axes[2] = {-1, 0};
    kh_in in1[1] = {{"x", HBG_DT_F32, 4, {1, 2, 3, 1}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "Squeeze", 11, 1, in1, 1);
    kh_attr_ints(n, "axes", 1, (const int64_t[]){3});
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){1, 2, 3});
    kh_free(&h);
    /* no axes: every unit axis goes */
    kh_build(&h, "Squeeze", 13, 1, in1, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 3});
    kh_check_f32(&h, 0, x, 6, 0.0f, 0.0f);
    kh_free(&h);
    kh_in in2[2] = {{"x", HBG_DT_F32, 4, {1, 2, 3, 1}, x, 0}, {"a", HBG_DT_I64, 1, {2}, axes, 1}};
    kh_build(&h, "Squeeze", 13, 2, in2, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 3});
    kh_free(&h);
    /* axis 1 has size 2 */
    const int64_t ax1[1] = {1};
    kh_in in3[2] = {{"x", HBG_DT_F32, 4, {1, 2, 3, 1}, x, 0}, {"a", HBG_DT_I64, 1, {1}, ax1, 1}};
    kh_build(&h, "Squeeze", 13, 2, in3, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* Unsqueeze [2, 3] at output axes -1 and 0 (of rank 4): [1, 2, 3, 1] */
    kh_in in4[2] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}, {"a", HBG_DT_I64, 1, {2}, axes, 1}};
    kh_build(&h, "Unsqueeze", 13, 2, in4, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 2, 3, 1});
    kh_check_f32(&h, 0, x, 6, 0.0f, 0.0f);
    kh_free(&h);
    kh_in in5[1] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}};
    n = kh_build(&h, "Unsqueeze", 11, 1, in5, 1);
    kh_attr_ints(n, "axes", 2, (const int64_t[]){1, 1});
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID); /* repeated axis */
    kh_free(&h);
}

/* ---- Concat, Split -------------------------------------------------------------------------- */

/* int64 [2,1] ++ [2,2] ++ [2,0] on axis -1: rows [a0 b0 b1], [a1 b2 b3]. */
static void test_concat(void **state)
{
    (void)state;
    const int64_t a[2] = {1, 2}, b[4] = {10, 11, 12, 13}, c[1] = {0};
    kh_in in[3] = {{"a", HBG_DT_I64, 2, {2, 1}, a, 0},
                   {"b", HBG_DT_I64, 2, {2, 2}, b, 1},
                   {"c", HBG_DT_I64, 2, {2, 0}, c, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "Concat", 13, 3, in, 1);
    kh_attr_int(n, "axis", -1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){2, 3});
    kh_check_int(&h, 0, (const int64_t[]){1, 10, 11, 2, 12, 13}, 6);
    kh_free(&h);
    /* mismatched non-axis dimension */
    kh_in bad[2] = {{"a", HBG_DT_I64, 2, {2, 1}, a, 0}, {"b", HBG_DT_I64, 2, {1, 4}, b, 0}};
    n = kh_build(&h, "Concat", 13, 2, bad, 1);
    kh_attr_int(n, "axis", 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

/* [2, 5] split on axis 1 into [2, 3]: opset 11 attribute, opset 13 input; equal parts without. */
static void test_split(void **state)
{
    (void)state;
    float x[10];
    fill_f32(x, 10);
    const int64_t parts[2] = {2, 3};
    kh_in in1[1] = {{"x", HBG_DT_F32, 2, {2, 5}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "Split", 11, 1, in1, 2);
    kh_attr_int(n, "axis", 1);
    kh_attr_ints(n, "split", 2, parts);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){0, 1, 5, 6}, 4, 0.0f, 0.0f);
    kh_check_f32(&h, 1, (const float[]){2, 3, 4, 7, 8, 9}, 6, 0.0f, 0.0f);
    kh_free(&h);
    kh_in in2[2] = {{"x", HBG_DT_F32, 2, {2, 5}, x, 0}, {"s", HBG_DT_I64, 1, {2}, parts, 1}};
    n = kh_build(&h, "Split", 13, 2, in2, 2);
    kh_attr_int(n, "axis", -1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 1, HBG_DT_F32, 2, (const int64_t[]){2, 3});
    kh_check_f32(&h, 1, (const float[]){2, 3, 4, 7, 8, 9}, 6, 0.0f, 0.0f);
    kh_free(&h);
    /* axis 0 into two equal parts */
    kh_build(&h, "Split", 13, 1, in1, 2);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 1, (const float[]){5, 6, 7, 8, 9}, 5, 0.0f, 0.0f);
    kh_free(&h);
    /* 5 does not split into 2 equal parts */
    n = kh_build(&h, "Split", 13, 1, in1, 2);
    kh_attr_int(n, "axis", 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

/* ---- Slice ---------------------------------------------------------------------------------- */

/* x = np.arange(20).reshape(4, 5). */
static void test_slice_negative_steps(void **state)
{
    (void)state;
    float x[20];
    fill_f32(x, 20);
    kh h;
    /* x[::-2, 3:0:-1] == [[18, 17, 16], [8, 7, 6]]: start -1 is the last row, end INT64_MIN
     * clamps to "through row 0" */
    const int64_t st[2] = {-1, 3}, en[2] = {INT64_MIN, 0}, ax[2] = {0, 1}, sp[2] = {-2, -1};
    kh_in in[5] = {{"x", HBG_DT_F32, 2, {4, 5}, x, 0},
                   {"st", HBG_DT_I64, 1, {2}, st, 1},
                   {"en", HBG_DT_I64, 1, {2}, en, 1},
                   {"ax", HBG_DT_I64, 1, {2}, ax, 1},
                   {"sp", HBG_DT_I64, 1, {2}, sp, 1}};
    kh_build(&h, "Slice", 13, 5, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 3});
    kh_check_f32(&h, 0, (const float[]){18, 17, 16, 8, 7, 6}, 6, 0.0f, 0.0f);
    kh_free(&h);
    /* x[-100:100, -2:-100:-3] == [[3, 0], [8, 5], [13, 10], [18, 15]] (out-of-range starts
     * and ends clamp; axes given in reverse order) */
    const int64_t st2[2] = {-2, -100}, en2[2] = {-100, 100}, ax2[2] = {1, 0}, sp2[2] = {-3, 1};
    kh_in in2[5] = {{"x", HBG_DT_F32, 2, {4, 5}, x, 0},
                    {"st", HBG_DT_I64, 1, {2}, st2, 1},
                    {"en", HBG_DT_I64, 1, {2}, en2, 1},
                    {"ax", HBG_DT_I64, 1, {2}, ax2, 1},
                    {"sp", HBG_DT_I64, 1, {2}, sp2, 1}};
    kh_build(&h, "Slice", 13, 5, in2, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){4, 2});
    kh_check_f32(&h, 0, (const float[]){3, 0, 8, 5, 13, 10, 18, 15}, 8, 0.0f, 0.0f);
    kh_free(&h);
    /* a zero step is invalid */
    const int64_t zero[2] = {0, 0};
    kh_in in3[5] = {{"x", HBG_DT_F32, 2, {4, 5}, x, 0},
                    {"st", HBG_DT_I64, 1, {2}, st, 1},
                    {"en", HBG_DT_I64, 1, {2}, en, 1},
                    {"ax", HBG_DT_I64, 1, {2}, ax, 1},
                    {"sp", HBG_DT_I64, 1, {2}, zero, 1}};
    kh_build(&h, "Slice", 13, 5, in3, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* Opset 9: starts/ends/axes attributes. x[1:1000, 2:] -> rows 1..3, cols 2..4; uint8. */
static void test_slice_opset9_and_empty(void **state)
{
    (void)state;
    uint8_t x[20];
    for (int i = 0; i < 20; i++)
        x[i] = (uint8_t)i;
    kh_in in[1] = {{"x", HBG_DT_U8, 2, {4, 5}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "Slice", 9, 1, in, 1);
    kh_attr_ints(n, "starts", 2, (const int64_t[]){1, 2});
    kh_attr_ints(n, "ends", 2, (const int64_t[]){1000, 5});
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_U8, 2, (const int64_t[]){3, 3});
    kh_check_int(&h, 0, (const int64_t[]){7, 8, 9, 12, 13, 14, 17, 18, 19}, 9);
    kh_free(&h);
    /* start beyond end: an empty slice, not an error */
    n = kh_build(&h, "Slice", 9, 1, in, 1);
    kh_attr_ints(n, "starts", 1, (const int64_t[]){3});
    kh_attr_ints(n, "ends", 1, (const int64_t[]){1});
    kh_attr_ints(n, "axes", 1, (const int64_t[]){1});
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_U8, 2, (const int64_t[]){4, 0});
    kh_free(&h);
}

/* ---- Transpose ------------------------------------------------------------------------------ */

/* Reference transpose by explicit index arithmetic over any element size. */
static void naive_transpose(const void *x, void *y, int rank, const int64_t *dims,
                            const int64_t *perm, size_t es)
{
    int64_t n = 1, str[8], idx[8] = {0}, od[8];
    for (int a = rank - 1; a >= 0; a--) {
        str[a] = n;
        n *= dims[a];
    }
    for (int a = 0; a < rank; a++)
        od[a] = dims[perm[a]];
    for (int64_t o = 0; o < n; o++) {
        int64_t src = 0;
        for (int a = 0; a < rank; a++)
            src += idx[a] * str[perm[a]];
        memcpy((char *)y + o * (int64_t)es, (const char *)x + src * (int64_t)es, es);
        for (int a = rank - 1; a >= 0; a--) {
            if (++idx[a] < od[a])
                break;
            idx[a] = 0;
        }
    }
}

static void check_transpose(hbg_dtype dt, size_t es, int rank, const int64_t *dims,
                            const int64_t *perm)
{
    int64_t n = 1, od[8];
    for (int a = 0; a < rank; a++) {
        n *= dims[a];
        od[a] = dims[perm[a]];
    }
    unsigned char *x = malloc((size_t)n * es), *want = malloc((size_t)n * es);
    assert_non_null(x);
    assert_non_null(want);
    for (int64_t i = 0; i < n * (int64_t)es; i++)
        x[i] = (unsigned char)(i * 7 + i / 251); /* no period that a wrong index could hide in */
    naive_transpose(x, want, rank, dims, perm, es);
    kh_in in[1] = {{"x", dt, rank, {0}, x, 0}};
    memcpy(in[0].dims, dims, (size_t)rank * sizeof *dims);
    kh h;
    hbg_node *nd = kh_build(&h, "Transpose", 13, 1, in, 1);
    kh_attr_ints(nd, "perm", (size_t)rank, perm);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, dt, rank, od);
    assert_memory_equal(kh_out(&h, 0)->data, want, (size_t)n * es);
    kh_free(&h);
    free(x);
    free(want);
}

/* Hot cases (channel shuffle, NCHW <-> NHWC, pixel shuffle layout) at sizes that are not
 * multiples of the copy tiles, for every element size. */
static void test_transpose(void **state)
{
    (void)state;
    const int64_t shuffle_d[5] = {2, 3, 5, 7, 9}, shuffle_p[5] = {0, 2, 1, 3, 4};
    const int64_t nhwc_d[4] = {2, 37, 19, 21}, nhwc_p[4] = {0, 2, 3, 1};
    const int64_t nchw_p[4] = {0, 3, 1, 2};
    const int64_t ps_d[6] = {1, 3, 2, 2, 5, 6}, ps_p[6] = {0, 3, 4, 1, 5, 2};
    const int64_t m_d[2] = {33, 17}, m_p[2] = {1, 0};
    const struct {
        hbg_dtype dt;
        size_t es;
    } types[4] = {{HBG_DT_U8, 1}, {HBG_DT_F32, 4}, {HBG_DT_I64, 8}, {HBG_DT_I32, 4}};
    for (int t = 0; t < 4; t++) {
        check_transpose(types[t].dt, types[t].es, 5, shuffle_d, shuffle_p);
        check_transpose(types[t].dt, types[t].es, 4, nhwc_d, nhwc_p);
        check_transpose(types[t].dt, types[t].es, 4, nhwc_d, nchw_p);
        check_transpose(types[t].dt, types[t].es, 6, ps_d, ps_p);
        check_transpose(types[t].dt, types[t].es, 2, m_d, m_p);
    }
    /* no perm: reversed axes */
    float x[6];
    fill_f32(x, 6);
    kh_in in[1] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}};
    kh h;
    kh_build(&h, "Transpose", 13, 1, in, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){0, 3, 1, 4, 2, 5}, 6, 0.0f, 0.0f);
    kh_free(&h);
    hbg_node *n = kh_build(&h, "Transpose", 13, 1, in, 1);
    kh_attr_ints(n, "perm", 2, (const int64_t[]){1, 1});
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* ---- Expand, Tile --------------------------------------------------------------------------- */

static void test_expand_tile(void **state)
{
    (void)state;
    const float x[3] = {1, 2, 3};
    const int64_t shape[3] = {2, 1, 2};
    kh h;
    /* [3, 1] broadcast with [2, 1, 2] -> [2, 3, 2]: each value twice per row, two copies */
    kh_in e[2] = {{"x", HBG_DT_F32, 2, {3, 1}, x, 0}, {"s", HBG_DT_I64, 1, {3}, shape, 1}};
    kh_build(&h, "Expand", 13, 2, e, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){2, 3, 2});
    kh_check_f32(&h, 0, (const float[]){1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}, 12, 0.0f, 0.0f);
    kh_free(&h);
    const int64_t bad[1] = {2};
    kh_in e2[2] = {{"x", HBG_DT_F32, 1, {3}, x, 0}, {"s", HBG_DT_I64, 1, {1}, bad, 1}};
    kh_build(&h, "Expand", 13, 2, e2, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* Tile [1, 3] by [2, 2]: [[1 2 3 1 2 3], [1 2 3 1 2 3]] */
    const int64_t rep[2] = {2, 2};
    kh_in t[2] = {{"x", HBG_DT_F32, 2, {1, 3}, x, 0}, {"r", HBG_DT_I64, 1, {2}, rep, 1}};
    kh_build(&h, "Tile", 13, 2, t, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){2, 6});
    kh_check_f32(&h, 0, (const float[]){1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, 12, 0.0f, 0.0f);
    kh_free(&h);
    /* hostile repeats: INT64_MAX * 3 must not overflow, it is refused */
    const int64_t huge[2] = {1, INT64_MAX};
    kh_in t2[2] = {{"x", HBG_DT_F32, 2, {1, 3}, x, 0}, {"r", HBG_DT_I64, 1, {2}, huge, 1}};
    kh_build(&h, "Tile", 13, 2, t2, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
}

/* ---- Pad ------------------------------------------------------------------------------------ */

/* a = np.arange(6).reshape(2, 3) */
static void test_pad_modes(void **state)
{
    (void)state;
    const int64_t a[6] = {0, 1, 2, 3, 4, 5};
    kh h;
    /* np.pad(a, ((1, 1), (2, 2)), mode='reflect') */
    const int64_t p1[4] = {1, 2, 1, 2};
    kh_in r[2] = {{"a", HBG_DT_I64, 2, {2, 3}, a, 0}, {"p", HBG_DT_I64, 1, {4}, p1, 1}};
    hbg_node *n = kh_build(&h, "Pad", 13, 2, r, 1);
    attr_str(n, "mode", "reflect");
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){4, 7});
    kh_check_int(&h, 0, (const int64_t[]){5, 4, 3, 4, 5, 4, 3, 2, 1, 0, 1, 2, 1, 0,
                                          5, 4, 3, 4, 5, 4, 3, 2, 1, 0, 1, 2, 1, 0},
                 28);
    kh_free(&h);
    /* np.pad(a, ((1, 1), (2, 3)), mode='edge') */
    const int64_t p2[4] = {1, 2, 1, 3};
    kh_in e[2] = {{"a", HBG_DT_I64, 2, {2, 3}, a, 0}, {"p", HBG_DT_I64, 1, {4}, p2, 1}};
    n = kh_build(&h, "Pad", 13, 2, e, 1);
    attr_str(n, "mode", "edge");
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){0, 0, 0, 1, 2, 2, 2, 2, 0, 0, 0, 1, 2, 2, 2, 2,
                                          3, 3, 3, 4, 5, 5, 5, 5, 3, 3, 3, 4, 5, 5, 5, 5},
                 32);
    kh_free(&h);
    /* a negative pad crops: np.pad(a[:, 1:], ((0, 1), (0, 2)), constant_values=9), with the
     * value from input 2 (opset 11+) */
    const int64_t p3[4] = {0, -1, 1, 2}, nine[1] = {9};
    kh_in c[3] = {{"a", HBG_DT_I64, 2, {2, 3}, a, 0},
                  {"p", HBG_DT_I64, 1, {4}, p3, 1},
                  {"v", HBG_DT_I64, 0, {0}, nine, 0}};
    kh_build(&h, "Pad", 11, 3, c, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){3, 4});
    kh_check_int(&h, 0, (const int64_t[]){1, 2, 9, 9, 4, 5, 9, 9, 9, 9, 9, 9}, 12);
    kh_free(&h);
}

/* Reflect wider than the axis folds back and forth: np.pad(np.arange(3), (5, 4), 'reflect').
 * Opset 2 form: pads and value are attributes. */
static void test_pad_reflect_wide_and_opset2(void **state)
{
    (void)state;
    const float x[3] = {0, 1, 2};
    kh_in in[1] = {{"x", HBG_DT_F32, 1, {3}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "Pad", 2, 1, in, 1);
    kh_attr_ints(n, "pads", 2, (const int64_t[]){5, 4});
    attr_str(n, "mode", "reflect");
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2}, 12, 0.0f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "Pad", 2, 1, in, 1);
    kh_attr_ints(n, "pads", 2, (const int64_t[]){1, 2});
    kh_attr_float(n, "value", -0.5f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){-0.5f, 0, 1, 2, -0.5f, -0.5f}, 6, 0.0f, 0.0f);
    kh_free(&h);
    /* hostile pads that would overflow the output length */
    n = kh_build(&h, "Pad", 2, 1, in, 1);
    kh_attr_ints(n, "pads", 2, (const int64_t[]){INT64_MAX, INT64_MAX});
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
    /* pads removing more than the axis holds */
    n = kh_build(&h, "Pad", 2, 1, in, 1);
    kh_attr_ints(n, "pads", 2, (const int64_t[]){-2, -2});
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

/* ---- DepthToSpace, SpaceToDepth ----------------------------------------------------------- */

/* x = 0..7 as [1, 8, 1, 1], blocksize 2, so C/4 = 2 output channels of 2x2.
 * DCR: out[c, i, j] = x[(i*2 + j)*2 + c] -> c0 [[0, 2], [4, 6]], c1 [[1, 3], [5, 7]].
 * CRD: out[c, i, j] = x[c*4 + i*2 + j]   -> c0 [[0, 1], [2, 3]], c1 [[4, 5], [6, 7]].
 * SpaceToDepth is the inverse of DCR. */
static void test_depth_space(void **state)
{
    (void)state;
    float x[8];
    fill_f32(x, 8);
    const float dcr[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    kh_in in[1] = {{"x", HBG_DT_F32, 4, {1, 8, 1, 1}, x, 0}};
    kh h;
    hbg_node *n = kh_build(&h, "DepthToSpace", 13, 1, in, 1);
    kh_attr_int(n, "blocksize", 2);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 2, 2, 2});
    kh_check_f32(&h, 0, dcr, 8, 0.0f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "DepthToSpace", 13, 1, in, 1);
    kh_attr_int(n, "blocksize", 2);
    attr_str(n, "mode", "CRD");
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, x, 8, 0.0f, 0.0f);
    kh_free(&h);
    kh_in s[1] = {{"x", HBG_DT_F32, 4, {1, 2, 2, 2}, dcr, 0}};
    n = kh_build(&h, "SpaceToDepth", 13, 1, s, 1);
    kh_attr_int(n, "blocksize", 2);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 8, 1, 1});
    kh_check_f32(&h, 0, x, 8, 0.0f, 0.0f);
    kh_free(&h);
    n = kh_build(&h, "DepthToSpace", 13, 1, s, 1);
    kh_attr_int(n, "blocksize", 2); /* 2 channels are not divisible by 4 */
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

/* ---- Gather --------------------------------------------------------------------------------- */

static void test_gather(void **state)
{
    (void)state;
    float x[6];
    fill_f32(x, 6); /* [[0 1 2], [3 4 5]] */
    const int64_t idx[4] = {-1, 0, 2, 2};
    const int32_t bad[2] = {1, 3};
    kh h;
    /* axis 1 with indices [[-1, 0], [2, 2]]: out[r, i, j] = x[r, idx[i, j]] */
    kh_in in[2] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}, {"i", HBG_DT_I64, 2, {2, 2}, idx, 0}};
    hbg_node *n = kh_build(&h, "Gather", 13, 2, in, 1);
    kh_attr_int(n, "axis", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 3, (const int64_t[]){2, 2, 2});
    kh_check_f32(&h, 0, (const float[]){2, 0, 2, 2, 5, 3, 5, 5}, 8, 0.0f, 0.0f);
    kh_free(&h);
    /* index 3 on an axis of 3, known only at run time: an error from run naming the node */
    kh_in b[2] = {{"x", HBG_DT_F32, 2, {2, 3}, x, 0}, {"i", HBG_DT_I32, 1, {2}, bad, 0}};
    n = kh_build(&h, "Gather", 13, 2, b, 1);
    kh_attr_int(n, "axis", -1);
    hbg_exec *e = NULL;
    assert_int_equal(hbg_exec_create(h.g, &e), HBG_OK);
    h.e = e;
    memcpy(h.g->tensors[hbg_graph_find_tensor(h.g, "x")]->data, x, sizeof x);
    memcpy(h.g->tensors[hbg_graph_find_tensor(h.g, "i")]->data, bad, sizeof bad);
    kh_check_fail(&h, hbg_exec_run(e), HBG_E_INVALID);
    assert_non_null(strstr(h.g->err, "index 3"));
    kh_free(&h);
}

/* ---- Resize, Upsample ----------------------------------------------------------------------- */

/* One Resize over x [1, n] (rank 2) to `sizes`, with mode and coordinate mode. */
static void resize_1d(const float *x, int64_t n, int64_t out, const char *mode, const char *ctm,
                      const char *nearest, const float *want)
{
    const int64_t sizes[2] = {1, out};
    kh_in in[4] = {{"x", HBG_DT_F32, 2, {1, n}, x, 0},
                   {NULL, HBG_DT_F32, 0, {0}, NULL, 0},
                   {NULL, HBG_DT_F32, 0, {0}, NULL, 0},
                   {"sizes", HBG_DT_I64, 1, {2}, sizes, 1}};
    kh h;
    hbg_node *nd = kh_build(&h, "Resize", 13, 4, in, 1);
    attr_str(nd, "mode", mode);
    attr_str(nd, "coordinate_transformation_mode", ctm);
    if (nearest)
        attr_str(nd, "nearest_mode", nearest);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 2, (const int64_t[]){1, out});
    kh_check_f32(&h, 0, want, out, 1e-6f, 1e-6f);
    kh_free(&h);
}

/* x = [0, 10, 20, 30] to 3 (scale 0.75) with half_pixel: source coordinates
 * (j + 0.5) / 0.75 - 0.5 = 0.1667, 1.5, 2.8333. The tie at 1.5 separates the nearest modes:
 * round_prefer_floor -> 0, 1, 3; round_prefer_ceil -> 0, 2, 3; floor -> 0, 1, 2; ceil -> 1, 2, 3.
 */
static void test_resize_nearest_modes(void **state)
{
    (void)state;
    const float x[4] = {0, 10, 20, 30};
    resize_1d(x, 4, 3, "nearest", "half_pixel", NULL, (const float[]){0, 10, 30});
    resize_1d(x, 4, 3, "nearest", "half_pixel", "round_prefer_ceil", (const float[]){0, 20, 30});
    resize_1d(x, 4, 3, "nearest", "half_pixel", "floor", (const float[]){0, 10, 20});
    resize_1d(x, 4, 3, "nearest", "half_pixel", "ceil", (const float[]){10, 20, 30});
}

/* Coordinate modes with linear interpolation on x = [0, 10, 20, 30] or [0, 10, 20]. */
static void test_resize_linear_coordinate_modes(void **state)
{
    (void)state;
    const float x4[4] = {0, 10, 20, 30}, x3[3] = {0, 10, 20}, x2[2] = {0, 10};
    /* align_corners 3 -> 5: j * 2 / 4 = 0, 0.5, 1, 1.5, 2 */
    resize_1d(x3, 3, 5, "linear", "align_corners", NULL, (const float[]){0, 5, 10, 15, 20});
    /* asymmetric 2 -> 4: j / 2 = 0, 0.5, 1, 1.5 (the last tap clamps to the edge) */
    resize_1d(x2, 2, 4, "linear", "asymmetric", NULL, (const float[]){0, 5, 10, 10});
    /* half_pixel 2 -> 4: -0.25 (edge), 0.25, 0.75, 1.25 (edge) */
    resize_1d(x2, 2, 4, "linear", "half_pixel", NULL, (const float[]){0, 2.5f, 7.5f, 10});
    /* to one element: half_pixel (0.5) / 0.25 - 0.5 = 1.5 -> 15; pytorch_half_pixel -> -0.5,
     * which reads the first element */
    resize_1d(x4, 4, 1, "linear", "half_pixel", NULL, (const float[]){15});
    resize_1d(x4, 4, 1, "linear", "pytorch_half_pixel", NULL, (const float[]){0});
}

/* The ONNX example: [[1, 2], [3, 4]] upscaled by 2 with half_pixel bilinear. Rows mix as
 * r0, 0.75 r0 + 0.25 r1, 0.25 r0 + 0.75 r1, r1; each row as [a, 0.75a + 0.25b, ...]. */
static void test_resize_bilinear_scales(void **state)
{
    (void)state;
    const float x[4] = {1, 2, 3, 4}, scales[4] = {1, 1, 2, 2};
    const float want[16] = {1,    1.25f, 1.75f, 2,    1.5f, 1.75f, 2.25f, 2.5f,
                            2.5f, 2.75f, 3.25f, 3.5f, 3,    3.25f, 3.75f, 4};
    kh_in in[3] = {{"x", HBG_DT_F32, 4, {1, 1, 2, 2}, x, 0},
                   {"roi", HBG_DT_F32, 1, {0}, NULL, 1},
                   {"scales", HBG_DT_F32, 1, {4}, scales, 1}};
    kh h;
    hbg_node *n = kh_build(&h, "Resize", 11, 3, in, 1);
    attr_str(n, "mode", "linear");
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_F32, 4, (const int64_t[]){1, 1, 4, 4});
    kh_check_f32(&h, 0, want, 16, 1e-6f, 0.0f);
    kh_free(&h);
    /* scales only known at run time */
    kh_in d[3] = {{"x", HBG_DT_F32, 4, {1, 1, 2, 2}, x, 0},
                  {"roi", HBG_DT_F32, 1, {0}, NULL, 1},
                  {"scales", HBG_DT_F32, 1, {4}, scales, 0}};
    n = kh_build(&h, "Resize", 11, 3, d, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

/* tf_crop_and_resize on x = [0, 10, 20, 30] with roi [0.5, 1.25] on the last axis, 3 outputs:
 * x = 0.5 * 3 + j * 0.75 * 3 / 2 = 1.5, 2.625, 3.75; the last is outside [0, 3] and takes
 * extrapolation_value. Axis 0 (length 1, roi [0, 1]) maps to 0. */
static void test_resize_tf_crop(void **state)
{
    (void)state;
    const float x[4] = {0, 10, 20, 30}, roi[4] = {0, 0.5f, 1, 1.25f};
    const int64_t sizes[2] = {1, 3};
    kh_in in[4] = {{"x", HBG_DT_F32, 2, {1, 4}, x, 0},
                   {"roi", HBG_DT_F32, 1, {4}, roi, 1},
                   {NULL, HBG_DT_F32, 0, {0}, NULL, 0},
                   {"sizes", HBG_DT_I64, 1, {2}, sizes, 1}};
    kh h;
    hbg_node *n = kh_build(&h, "Resize", 13, 4, in, 1);
    attr_str(n, "mode", "linear");
    attr_str(n, "coordinate_transformation_mode", "tf_crop_and_resize");
    kh_attr_float(n, "extrapolation_value", 99.0f);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){15, 26.25f, 99}, 3, 1e-6f, 0.0f);
    kh_free(&h);
}

/* Cubic, asymmetric, 4 -> 8 on [0, 10, 20, 30], A = -0.75. Keys' weights at distances
 * 1.5 and 0.5 are A * 0.125 = -0.09375 and 1.25 * 0.125 - 2.25 * 0.25 + 1 = 0.59375.
 * x = 0.5: taps -1, 0, 1, 2 (the first clamps to 0): 0.59375 * 10 - 0.09375 * 20 = 4.0625;
 * x = 1.5: 0.59375 * 30 - 0.09375 * 30 = 15; x = 3.5: taps 2, 3, 4, 5 -> 20, 30, 30, 30:
 * -1.875 + 35.625 - 2.8125 = 30.9375; x = 2.5: taps 1..4 -> 10, 20, 30, 30 -> 25.9375. With
 * exclude_outside the taps 4, 5 drop and the others renormalise to -0.1875, 1.1875: -3.75 + 35.625
 * = 31.875. */
static void test_resize_cubic(void **state)
{
    (void)state;
    const float x[4] = {0, 10, 20, 30}, scales[2] = {1, 2};
    kh_in in[3] = {{"x", HBG_DT_F32, 2, {1, 4}, x, 0},
                   {NULL, HBG_DT_F32, 0, {0}, NULL, 0},
                   {"scales", HBG_DT_F32, 1, {2}, scales, 1}};
    kh h;
    hbg_node *n = kh_build(&h, "Resize", 13, 3, in, 1);
    attr_str(n, "mode", "cubic");
    attr_str(n, "coordinate_transformation_mode", "asymmetric");
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_f32(&h, 0, (const float[]){0, 4.0625f, 10, 15, 20, 25.9375f, 30, 30.9375f}, 8, 1e-6f,
                 1e-6f);
    kh_free(&h);
    n = kh_build(&h, "Resize", 13, 3, in, 1);
    attr_str(n, "mode", "cubic");
    attr_str(n, "coordinate_transformation_mode", "asymmetric");
    kh_attr_int(n, "exclude_outside", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    const float *y = kh_out(&h, 0)->data;
    assert_float_equal(y[7], 31.875f, 1e-5f);
    kh_free(&h);
}

/* Nearest on integers (any element type) and Upsample: opset 7 attribute, opset 9 input;
 * both asymmetric and rounding down: [[1, 2]] by (1, 3) -> [[1, 1, 1, 2, 2, 2]]. */
static void test_upsample_and_int_nearest(void **state)
{
    (void)state;
    const int64_t x[2] = {1, 2};
    const float scales[2] = {1, 3};
    kh h;
    kh_in in7[1] = {{"x", HBG_DT_I64, 2, {1, 2}, x, 0}};
    hbg_node *n = kh_build(&h, "Upsample", 7, 1, in7, 1);
    kh_attr_floats(n, "scales", 2, scales);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_shape(&h, 0, HBG_DT_I64, 2, (const int64_t[]){1, 6});
    kh_check_int(&h, 0, (const int64_t[]){1, 1, 1, 2, 2, 2}, 6);
    kh_free(&h);
    kh_in in9[2] = {{"x", HBG_DT_I64, 2, {1, 2}, x, 0}, {"s", HBG_DT_F32, 1, {2}, scales, 1}};
    kh_build(&h, "Upsample", 9, 2, in9, 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_check_int(&h, 0, (const int64_t[]){1, 1, 1, 2, 2, 2}, 6);
    kh_free(&h);
    /* linear on integers is refused */
    n = kh_build(&h, "Upsample", 9, 2, in9, 1);
    attr_str(n, "mode", "linear");
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape_zero_and_minus_one),
        cmocka_unit_test(test_reshape_allowzero),
        cmocka_unit_test(test_reshape_errors),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_squeeze_unsqueeze),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_slice_negative_steps),
        cmocka_unit_test(test_slice_opset9_and_empty),
        cmocka_unit_test(test_transpose),
        cmocka_unit_test(test_expand_tile),
        cmocka_unit_test(test_pad_modes),
        cmocka_unit_test(test_pad_reflect_wide_and_opset2),
        cmocka_unit_test(test_depth_space),
        cmocka_unit_test(test_gather),
        cmocka_unit_test(test_resize_nearest_modes),
        cmocka_unit_test(test_resize_linear_coordinate_modes),
        cmocka_unit_test(test_resize_bilinear_scales),
        cmocka_unit_test(test_resize_tf_crop),
        cmocka_unit_test(test_resize_cubic),
        cmocka_unit_test(test_upsample_and_int_nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
