/* Conv, ConvTranspose, Gemm and MatMul (kernels/conv.c): hand-derived and numpy cases, every
 * SIMD variant this CPU runs against the reference on random shapes, shape inference errors and
 * the HB_ISA override.
 * The np_* arrays come from tests/unit/data/gen_conv_cases.py (numpy 1.24.2, Python 3.11.2). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "hbg/cpu.h"
#include "kernel_harness.h"

static const float np_conv_x[120] = {
    -1.375, 1.125,  -1.5,   0.25,   -0.875, -0.375, -1.75,  1.75,   -2,    -1.5,   1.625,  -0.25,
    -1.375, 0.375,  -0.125, 0.125,  0.125,  1.125,  0.875,  0.875,  0.5,   -0.625, 0.625,  -1.5,
    -0.75,  0.875,  -0.25,  1.875,  0.5,    1.75,   -1.875, 1.125,  0,     -1.875, 1,      -1.25,
    0.75,   0.375,  0.5,    -2,     -1.5,   0.75,   -0.25,  -0.625, 1,     -1.875, 0.75,   -1.5,
    -1.875, -1.125, -2,     -2,     0.75,   0,      0.5,    0.5,    0.875, -1.625, -1.125, -1.5,
    1.5,    1.625,  0.375,  0.625,  0.875,  -1.375, -0.125, -1.125, 0.25,  -2,     -0.875, 1.375,
    1.75,   -0.375, 0.875,  -1.125, -2,     0.625,  -1.25,  1.5,    -1.5,  1.75,   -1,     -0.875,
    1,      -1.125, -1.125, 0.125,  0.875,  -0.25,  -0.375, -0.75,  0.75,  1.5,    0.125,  -1.75,
    0.5,    1.125,  -0.875, -1,     0.75,   -0.875, 1.375,  0.625,  0,     0.625,  0.375,  -1.75,
    1.625,  -1,     1.125,  -1.625, -1.25,  0.375,  -1.5,   -0.375, -1.5,  1.875,  -0.75,  0.375};
static const float np_conv_w[48] = {
    -0.5,   -0.5,   1,      0.75,   -1,    1.125,  1.5,   1.625,  -0.25,  -0.625, 0.25,  1.875,
    0.75,   1.375,  -1.875, 1.875,  -0.25, 0.875,  1.75,  -1.375, -0.125, 0.625,  0,     1.375,
    1.625,  -0.375, -1,     1.5,    -1,    1,      0.125, 0.375,  -1.125, 0.375,  -1.25, 1.875,
    -0.875, -1.125, -2,     -1.625, 1,     -1.625, -0.25, -1,     1.25,   -1.25,  1.625, -0.125};
static const float np_conv_b[4] = {-1.125, 1.625, -0.125, -0.5};
static const float np_conv_y[56] = {
    -1.546875, 1.6875,    -2.53125,  -6.015625, -2.765625, 2.21875,   -4.25,     -2.4375,
    -1.84375,  -3.875,    -7.75,     -2.265625, -1.21875,  -4.6875,   -2.625,    6.484375,
    1,         -5.828125, 3.28125,   1.09375,   2.734375,  -6.359375, 3.046875,  -1.34375,
    -0.796875, 7.5625,    -4.359375, -0.265625, 2.796875,  3.015625,  -2.25,     -3.5625,
    1.390625,  -2.171875, -1.203125, 5.046875,  0.015625,  -2.84375,  -4.765625, -6.203125,
    -3.53125,  2.6875,    -2.328125, -0.515625, -5.125,    -3.5,      -1.734375, -1.203125,
    -1.75,     -3.59375,  -2.84375,  0.5625,    3.265625,  2.875,     5.515625,  1.515625};
static const float np_convt_x[18] = {-0.625, 1.625,  -1.5, -2,    0.375, 0,    -1,  0.75,  -0.25,
                                     0.625,  -0.375, 1.25, 0.625, 1.875, 1.75, 0.5, 1.375, 1.125};
static const float np_convt_w[24] = {1.25,   1.375,  -0.625, 0.125, -0.375, 0.5,   -2,    -1.375,
                                     -0.875, -0.625, 0.125,  1.375, 1.875,  0.875, 0.125, 0,
                                     -0.875, 1.5,    0.75,   0.625, -0.625, -1,    -1.25, 1.875};
static const float np_convt_b[4] = {1, 1, -1.5, 0.125};
static const float np_convt_y[264] = {
    0.921875,  1,         1.234375,  1.203125,  0.6875,    0.390625,  0.8125,    1.8125,
    1.5625,    1,         0.25,      -1.5,      1,         -1.75,     1.46875,   2.25,
    1.515625,  1,         0.765625,  1,         1,         1,         0.75,      1,
    1.75,      1.046875,  0,         0.859375,  1,         1.1875,    1,         1,
    1,         -0.25,     1,         -0.375,    1.9375,    1.625,     2.03125,   0.6875,
    0.53125,   0.65625,   1,         1.15625,   0.875,     1,         1.375,     1.09375,
    0.5,       0.71875,   0.96875,   1.375,     1.09375,   1,         0.875,     1,
    1,         1,         1,         1,         1,         1,         1,         1,
    1,         1,         1.390625,  1,         0.921875,  -0.015625, 0.140625,  1.203125,
    1.9375,    3.234375,  0.8125,    1,         -1.0625,   5,         1,         3.75,
    0.25,      2.75,      0.484375,  1,         0.671875,  1,         1,         1,
    2.25,      1,         0.75,      0.765625,  -1.75,     1.046875,  1,         1.515625,
    1,         1,         1,         3,         1,         2.375,     -0.5,      1.875,
    -0.03125,  1.5,       0.34375,   1.34375,   1,         1.21875,   1.625,     1,
    0.875,     0.53125,   -0.375,    1.09375,   1.15625,   2.03125,   0.96875,   1,
    0.65625,   1,         1,         1,         1,         1,         1,         1,
    1,         1,         1,         1,         -1.5,      -1.5,      -2.046875, -1.5,
    -0.5625,   -1.171875, -1.5,      -2.0625,   -2.59375,  -1.5,      0.375,     -0.328125,
    -1.5,      -0.953125, 2.015625,  -1.421875, 0.140625,  1.78125,   -1.265625, 0.03125,
    -1.5,      -1.28125,  -1.5,      -1.5,      -2.046875, -1.5,      -0.5625,   -3.140625,
    -1.5,      1.3125,    -3.03125,  -1.5,      1.125,     -0.5625,   -1.5,      -1.0625,
    1.078125,  -1.4375,   -0.296875, 0.609375,  -1.328125, -0.515625, -1.5,      -1.359375,
    -1.5,      -1.5,      -1.9375,   -1.5,      -0.75,     -2.703125, -1.5,      0.5625,
    -2.484375, -1.5,      0.1875,    -1.5,      -1.5,      -1.5,      -1.5,      -1.5,
    -1.5,      -1.5,      -1.5,      -1.5,      -1.5,      -1.5,      -0.5,      0.125,
    -0.65625,  0.5,       1.296875,  0.59375,   -1.125,    -0.578125, -1.4375,   0.125,
    2.46875,   0.59375,   0.125,     0.515625,  1.53125,   -0.265625, 1.296875,  1.4375,
    -1.046875, 1.21875,   0.125,     -0.96875,  -0.5,      0.125,     -0.65625,  -1.75,
    1.296875,  -2.21875,  -1.625,    3.640625,  -2.0625,   0.125,     3.40625,   0.5,
    0.125,     0.4375,    1.15625,   -0.1875,   0.984375,  0.96875,   -0.734375, 0.828125,
    0.125,     -0.578125, -0.375,    0.125,     -0.5,      -1.25,     1.0625,    -1.59375,
    -1,        2.703125,  -1.28125,  0.125,     2.234375,  0.125,     0.125,     0.125,
    0.125,     0.125,     0.125,     0.125,     0.125,     0.125,     0.125,     0.125};
static const float np_gemm_a[12] = {1.625, 0.875, -1.875, -0.625, -0.375, -2,
                                    1.875, 1.5,   0.25,   0.75,   1.625,  0.875};
static const float np_gemm_b[20] = {1.375,  1.5,    -2,     -1.625, 1.875,  0.375, -0.625,
                                    -0.125, -0.125, -1.875, 0.125,  -0.625, -2,    -0.875,
                                    0.25,   -2,     1.375,  -0.125, -0.75,  -1.125};
static const float np_gemm_c[5] = {0.625, -2, 1.375, 0.625, 0.5};
static const float np_gemm_y[15] = {-0.5859375, -3.2265625, 3.1171875, -0.6171875, 1.03125,
                                    -1.25,      -3.8203125, 2.6328125, -0.8984375, 0.1484375,
                                    -2.5,       -6.265625,  4.484375,  3.15625,    -0.75};
static const float np_matmul_a[24] = {0.75,  0,      0.625, -0.25,  -1.125, -0.5,  0.125, -1.75,
                                      0.75,  0.25,   -0.75, -0.625, 1,      -2,    0.625, 0.75,
                                      1.875, -1.875, 1.5,   1.875,  -0.5,   -0.25, 1.5,   -1.125};
static const float np_matmul_b[24] = {0.375,  -1.625, -1.5,   -0.25, -0.375, 0,     1,     -0.125,
                                      -1.875, 1.5,    1,      0.875, -1.5,   1.625, 0.875, 0.75,
                                      0.875,  0.375,  -0.125, -1.5,  1.875,  0.5,   -2,    -1.75};
static const float np_matmul_y[36] = {
    -0.203125, -1.1875,   -1.46875, 2.171875, -0.4375, -1.203125, -2.5625,  1.953125, -0.109375,
    -3.234375, -0.578125, -0.34375, 2.328125, 1.03125, 2.8125,    3.453125, 0.46875,  0.625,
    3.890625,  -1.21875,  4.828125, -2.8125,  -1.5,    1.015625,  -4.15625, 1.328125, -6,
    5.015625,  -2.546875, 0.625,    0.796875, 2.375,   0.9375,    0.984375, 4.65625,  2.90625};

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *self_path; /* argv[0], re-run with --isa-probe by test_hb_isa_env */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32);
}

/* Uniform in [lo, hi]. */
static int rnd_int(int lo, int hi)
{
    return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

/* n values in [-1, 1], multiples of 1/1000. */
static float *rnd_buf(int64_t n)
{
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    assert_non_null(p);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)rnd_int(-1000, 1000) / 1000.0f;
    return p;
}

static void add_string_attr(hbg_node *n, const char *name, const char *v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_STRING);
    assert_non_null(a);
    a->s = strdup(v);
    assert_non_null(a->s);
}

/* Run the built graph; return a malloc'd copy of output 0 (numel in *numel). */
static float *run_and_copy(kh *h, int64_t *numel)
{
    hbg_status st = kh_run(h);
    if (st != HBG_OK)
        fail_msg("run failed (%s): %s", hbg_status_str(st), h->g->err);
    const hbg_tensor *y = kh_out(h, 0);
    *numel = hbg_tensor_numel(y);
    float *out = malloc((size_t)(*numel > 0 ? *numel : 1) * sizeof *out);
    assert_non_null(out);
    memcpy(out, y->data, (size_t)*numel * sizeof *out);
    return out;
}

/* |got - want| <= atol + 1e-4 |want| everywhere. */
static void check_close(const float *got, const float *want, int64_t n, double atol,
                        const char *what)
{
    for (int64_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - (double)want[i]) <= atol + 1e-4 * fabs((double)want[i])))
            fail_msg("%s: element %lld: got %.9g, want %.9g", what, (long long)i, (double)got[i],
                     (double)want[i]);
}

/* ---- Conv / ConvTranspose cases ------------------------------------------------------------ */

typedef struct conv_case {
    int transposed;
    int nsp, n, c, m, group;
    int in[3], k[3], stride[3], dil[3];
    int pads[6];   /* begin..., end... */
    int opad[3];   /* ConvTranspose output_padding */
    int oshape[3]; /* ConvTranspose output_shape when has_oshape */
    int has_oshape;
    const char *auto_pad; /* NULL: attribute absent */
    int bias, wconst, with_kshape;
} conv_case;

static int64_t prod(const int *v, int n)
{
    int64_t p = 1;
    for (int i = 0; i < n; i++)
        p *= v[i];
    return p;
}

static int64_t conv_w_numel(const conv_case *c)
{
    return (int64_t)c->m * (c->transposed ? c->c : c->c / c->group) /
           (c->transposed ? c->group : 1) * prod(c->k, c->nsp);
}

/* Build and run the case with variant isa; returns a copy of Y. */
static float *conv_run_isa(const conv_case *c, const float *x, const float *w, const float *b,
                           hbg_isa isa, int64_t *numel)
{
    kh h;
    kh_in in[3];
    int64_t ints[6];
    memset(in, 0, sizeof in);
    in[0] = (kh_in){"x", HBG_DT_F32, 2 + c->nsp, {c->n, c->c}, x, 0};
    in[1] = (kh_in){"w", HBG_DT_F32, 2 + c->nsp, {0}, w, c->wconst};
    in[1].dims[0] = c->transposed ? c->c : c->m;
    in[1].dims[1] = c->transposed ? c->m / c->group : c->c / c->group;
    in[2] = (kh_in){"b", HBG_DT_F32, 1, {c->m}, b, 1};
    for (int i = 0; i < c->nsp; i++) {
        in[0].dims[2 + i] = c->in[i];
        in[1].dims[2 + i] = c->k[i];
    }
    assert_int_equal(hbg_cpu_force(isa), HBG_OK);
    hbg_node *nd =
        kh_build(&h, c->transposed ? "ConvTranspose" : "Conv", 13, c->bias ? 3 : 2, in, 1);
    kh_attr_int(nd, "group", c->group);
#define INTS(name, src, cnt)                                                                       \
    do {                                                                                           \
        for (int i_ = 0; i_ < (cnt); i_++)                                                         \
            ints[i_] = (src)[i_];                                                                  \
        kh_attr_ints(nd, name, (size_t)(cnt), ints);                                               \
    } while (0)
    INTS("strides", c->stride, c->nsp);
    INTS("dilations", c->dil, c->nsp);
    if (c->with_kshape)
        INTS("kernel_shape", c->k, c->nsp);
    if (c->auto_pad)
        add_string_attr(nd, "auto_pad", c->auto_pad);
    if (!c->auto_pad || strcmp(c->auto_pad, "NOTSET") == 0)
        INTS("pads", c->pads, 2 * c->nsp);
    if (c->transposed) {
        INTS("output_padding", c->opad, c->nsp);
        if (c->has_oshape)
            INTS("output_shape", c->oshape, c->nsp);
    }
#undef INTS
    float *y = run_and_copy(&h, numel);
    kh_free(&h);
    return y;
}

/* Every variant this CPU runs against the reference on case c (random inputs). */
static void conv_check_variants(const conv_case *c, const char *label)
{
    const int64_t xn = (int64_t)c->n * c->c * prod(c->in, c->nsp);
    float *x = rnd_buf(xn), *w = rnd_buf(conv_w_numel(c)), *b = rnd_buf(c->m);
    int64_t n_ref, n_got;
    float *ref = conv_run_isa(c, x, w, b, HBG_ISA_REF, &n_ref);
    /* terms per output <= channels per group * kernel taps, each |x w| <= 1 */
    const int64_t terms =
        (int64_t)(c->transposed ? c->c / c->group : c->c / c->group) * prod(c->k, c->nsp);
    for (int isa = HBG_ISA_REF + 1; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        float *got = conv_run_isa(c, x, w, b, (hbg_isa)isa, &n_got);
        char what[160];
        snprintf(what, sizeof what, "%s %s (C%d M%d g%d k%dx%d s%dx%d d%dx%d in%dx%d %s w%s)",
                 label, hbg_isa_name((hbg_isa)isa), c->c, c->m, c->group, c->k[0],
                 c->nsp > 1 ? c->k[1] : 0, c->stride[0], c->nsp > 1 ? c->stride[1] : 0, c->dil[0],
                 c->nsp > 1 ? c->dil[1] : 0, c->in[0], c->nsp > 1 ? c->in[1] : 0,
                 c->auto_pad ? c->auto_pad : "pads", c->wconst ? "const" : "input");
        assert_int_equal(n_got, n_ref);
        check_close(got, ref, n_ref, 2e-6 * (double)(terms + 1), what);
        free(got);
    }
    free(ref);
    free(x);
    free(w);
    free(b);
}

/* Expected values for the hand cases hold for every variant. */
static void conv_check_all_isas(const conv_case *c, const float *x, const float *w, const float *b,
                                const float *want, int64_t n_want)
{
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        for (int wconst = 0; wconst < 2; wconst++) {
            conv_case cc = *c;
            int64_t n;
            cc.wconst = wconst;
            float *y = conv_run_isa(&cc, x, w, b, (hbg_isa)isa, &n);
            assert_int_equal(n, n_want);
            check_close(y, want, n, 1e-5, hbg_isa_name((hbg_isa)isa));
            free(y);
        }
    }
}

/* ---- hand-derived and numpy cases ---------------------------------------------------------- */

/* x = 0..24 as 5x5, W = 3x3 of ones: each output is the sum of its 3x3 window, e.g. the centre
 * 6+7+8+11+12+13+16+17+18 = 108 and the padded corner 0+1+5+6 = 12. */
static void test_conv_box_sum(void **state)
{
    (void)state;
    float x[25], w[9];
    for (int i = 0; i < 25; i++)
        x[i] = (float)i;
    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    static const float padded[25] = {12,  21, 27, 33,  24,  33,  54,  63, 72,  51,  63,  99, 108,
                                     117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84};
    static const float valid[9] = {54, 63, 72, 99, 108, 117, 144, 153, 162};
    conv_case c = {.nsp = 2,
                   .n = 1,
                   .c = 1,
                   .m = 1,
                   .group = 1,
                   .in = {5, 5},
                   .k = {3, 3},
                   .stride = {1, 1},
                   .dil = {1, 1},
                   .pads = {1, 1, 1, 1}};
    conv_check_all_isas(&c, x, w, NULL, padded, 25);
    c.pads[0] = c.pads[1] = c.pads[2] = c.pads[3] = 0;
    c.with_kshape = 1;
    conv_check_all_isas(&c, x, w, NULL, valid, 9);
    /* SAME_UPPER, stride 2: out 3x3, total pad (3-1)*2 + 3 - 5 = 2 -> 1 each side: windows
     * centred on even coordinates of the padded sum above */
    static const float same2[9] = {12, 27, 24, 63, 108, 81, 72, 117, 84};
    c.stride[0] = c.stride[1] = 2;
    c.auto_pad = "SAME_UPPER";
    conv_check_all_isas(&c, x, w, NULL, same2, 9);
}

/* Depthwise 2 channels, 1x1 kernel with bias: y = w[c] * x + b[c]; channel 0 scale 2 bias 1,
 * channel 1 scale -1 bias 0.5, on x = 0..5 per channel (1x6 rows, 1-D conv). */
static void test_conv_depthwise_1d(void **state)
{
    (void)state;
    const float x[12] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}, w[2] = {2, -1}, b[2] = {1, 0.5f};
    static const float want[12] = {1, 3, 5, 7, 9, 11, 0.5f, -0.5f, -1.5f, -2.5f, -3.5f, -4.5f};
    conv_case c = {.nsp = 1,
                   .n = 1,
                   .c = 2,
                   .m = 2,
                   .group = 2,
                   .in = {6},
                   .k = {1},
                   .stride = {1},
                   .dil = {1},
                   .bias = 1};
    conv_check_all_isas(&c, x, w, b, want, 12);
}

/* ONNX's ConvTranspose example: x = 0..8 (3x3), W ones [1][2][3][3], stride 1: each output is the
 * sum of the inputs whose 3x3 footprint covers it, e.g. y[0][1] = x00 + x01 = 1, y[2][2] = 36
 * (all nine); both output channels equal. */
static void test_convtranspose_footprint(void **state)
{
    (void)state;
    float x[9], w[18], want[50];
    static const float plane[25] = {0,  1,  3, 3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
                                    27, 15, 9, 20, 33, 24, 13, 6,  13, 21, 15, 8};
    for (int i = 0; i < 9; i++)
        x[i] = (float)i;
    for (int i = 0; i < 18; i++)
        w[i] = 1.0f;
    for (int i = 0; i < 50; i++)
        want[i] = plane[i % 25];
    conv_case c = {.transposed = 1,
                   .nsp = 2,
                   .n = 1,
                   .c = 1,
                   .m = 2,
                   .group = 1,
                   .in = {3, 3},
                   .k = {3, 3},
                   .stride = {1, 1},
                   .dil = {1, 1}};
    conv_check_all_isas(&c, x, w, NULL, want, 50);
    /* output_shape 3x3 with SAME_UPPER: total padding 5 - 3 = 2 -> 1 at each side: the centre */
    static const float centre[18] = {8, 15, 12, 21, 36, 27, 20, 33, 24,
                                     8, 15, 12, 21, 36, 27, 20, 33, 24};
    c.has_oshape = 1;
    c.oshape[0] = c.oshape[1] = 3;
    c.auto_pad = "SAME_UPPER";
    conv_check_all_isas(&c, x, w, NULL, centre, 18);
}

static void test_conv_numpy(void **state)
{
    (void)state;
    conv_case c = {.nsp = 2,
                   .n = 1,
                   .c = 4,
                   .m = 4,
                   .group = 2,
                   .in = {5, 6},
                   .k = {3, 2},
                   .stride = {2, 1},
                   .dil = {1, 2},
                   .pads = {1, 2, 0, 1},
                   .bias = 1};
    conv_check_all_isas(&c, np_conv_x, np_conv_w, np_conv_b, np_conv_y, 1 * 4 * 2 * 7);
}

static void test_convtranspose_numpy(void **state)
{
    (void)state;
    conv_case c = {.transposed = 1,
                   .nsp = 2,
                   .n = 1,
                   .c = 2,
                   .m = 4,
                   .group = 2,
                   .in = {3, 3},
                   .k = {2, 3},
                   .stride = {2, 3},
                   .dil = {1, 2},
                   .pads = {1, 0, 0, 1},
                   .opad = {1, 1},
                   .bias = 1};
    conv_check_all_isas(&c, np_convt_x, np_convt_w, np_convt_b, np_convt_y, 1 * 4 * 6 * 11);
}

/* ---- Gemm / MatMul ------------------------------------------------------------------------- */

typedef struct gemm_case {
    int m, n, k, ta, tb;
    int c_kind; /* 0 none, 1 scalar [], 2 [n], 3 [m, 1], 4 [m, n], 5 [1, n] */
    float alpha, beta;
    int bconst;
} gemm_case;

static float *gemm_run_isa(const gemm_case *g, const float *a, const float *b, const float *c,
                           hbg_isa isa, int64_t *numel)
{
    kh h;
    kh_in in[3] = {{"a", HBG_DT_F32, 2, {g->ta ? g->k : g->m, g->ta ? g->m : g->k}, a, 0},
                   {"b", HBG_DT_F32, 2, {g->tb ? g->n : g->k, g->tb ? g->k : g->n}, b, g->bconst},
                   {"c", HBG_DT_F32, 0, {0}, c, 1}};
    switch (g->c_kind) {
    case 2:
        in[2].rank = 1;
        in[2].dims[0] = g->n;
        break;
    case 3:
    case 4:
    case 5:
        in[2].rank = 2;
        in[2].dims[0] = g->c_kind == 5 ? 1 : g->m;
        in[2].dims[1] = g->c_kind == 3 ? 1 : g->n;
        break;
    default:
        break;
    }
    assert_int_equal(hbg_cpu_force(isa), HBG_OK);
    hbg_node *nd = kh_build(&h, "Gemm", 13, g->c_kind ? 3 : 2, in, 1);
    kh_attr_int(nd, "transA", g->ta);
    kh_attr_int(nd, "transB", g->tb);
    kh_attr_float(nd, "alpha", g->alpha);
    kh_attr_float(nd, "beta", g->beta);
    float *y = run_and_copy(&h, numel);
    kh_free(&h);
    return y;
}

static void gemm_check_variants(const gemm_case *g)
{
    float *a = rnd_buf((int64_t)g->m * g->k), *b = rnd_buf((int64_t)g->k * g->n);
    float *c = rnd_buf((int64_t)g->m * g->n);
    int64_t n_ref, n_got;
    float *ref = gemm_run_isa(g, a, b, c, HBG_ISA_REF, &n_ref);
    assert_int_equal(n_ref, (int64_t)g->m * g->n);
    for (int isa = HBG_ISA_REF + 1; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        float *got = gemm_run_isa(g, a, b, c, (hbg_isa)isa, &n_got);
        char what[128];
        snprintf(what, sizeof what, "Gemm %s m%d n%d k%d tA%d tB%d C%d B%s",
                 hbg_isa_name((hbg_isa)isa), g->m, g->n, g->k, g->ta, g->tb, g->c_kind,
                 g->bconst ? "const" : "input");
        check_close(got, ref, n_ref, 2e-6 * (g->k + 2), what);
        free(got);
    }
    free(ref);
    free(a);
    free(b);
    free(c);
}

/* A = [[1,2],[3,4],[5,6]] (3x2), B = [[1,0,-1],[2,1,0]] (2x3): AB rows [5,2,-1], [11,4,-3],
 * [17,6,-5]; with alpha 2, beta -1 and C = [1,2,3] broadcast: 2AB - C. A given transposed. */
static void test_gemm_hand(void **state)
{
    (void)state;
    const float at[6] = {1, 3, 5, 2, 4, 6}, b[6] = {1, 0, -1, 2, 1, 0}, c[3] = {1, 2, 3};
    static const float want[9] = {9, 2, -5, 21, 6, -9, 33, 10, -13};
    gemm_case g = {.m = 3, .n = 3, .k = 2, .ta = 1, .c_kind = 2, .alpha = 2, .beta = -1};
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        for (g.bconst = 0; g.bconst < 2; g.bconst++) {
            int64_t n;
            float *y = gemm_run_isa(&g, at, b, c, (hbg_isa)isa, &n);
            assert_int_equal(n, 9);
            check_close(y, want, 9, 0.0, hbg_isa_name((hbg_isa)isa));
            free(y);
        }
    }
}

static void test_gemm_numpy(void **state)
{
    (void)state;
    gemm_case g = {
        .m = 3, .n = 5, .k = 4, .ta = 1, .tb = 1, .c_kind = 5, .alpha = 0.5f, .beta = 2.0f};
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        for (g.bconst = 0; g.bconst < 2; g.bconst++) {
            int64_t n;
            float *y = gemm_run_isa(&g, np_gemm_a, np_gemm_b, np_gemm_c, (hbg_isa)isa, &n);
            assert_int_equal(n, 15);
            check_close(y, np_gemm_y, 15, 1e-6, hbg_isa_name((hbg_isa)isa));
            free(y);
        }
    }
}

typedef struct matmul_case {
    int ra, rb;
    int64_t ad[4], bd[4];
    int bconst;
} matmul_case;

static float *matmul_run_isa(const matmul_case *mc, const float *a, const float *b, hbg_isa isa,
                             int64_t *numel, kh_in *shape_out)
{
    kh h;
    kh_in in[2] = {{"a", HBG_DT_F32, mc->ra, {0}, a, 0},
                   {"b", HBG_DT_F32, mc->rb, {0}, b, mc->bconst}};
    memcpy(in[0].dims, mc->ad, sizeof mc->ad);
    memcpy(in[1].dims, mc->bd, sizeof mc->bd);
    assert_int_equal(hbg_cpu_force(isa), HBG_OK);
    kh_build(&h, "MatMul", 13, 2, in, 1);
    float *y = run_and_copy(&h, numel);
    if (shape_out) {
        const hbg_tensor *t = kh_out(&h, 0);
        shape_out->rank = t->rank;
        memcpy(shape_out->dims, t->dims, sizeof t->dims);
    }
    kh_free(&h);
    return y;
}

static int64_t numel_of(int r, const int64_t *d)
{
    int64_t p = 1;
    for (int i = 0; i < r; i++)
        p *= d[i];
    return p;
}

static void matmul_check_variants(const matmul_case *mc)
{
    float *a = rnd_buf(numel_of(mc->ra, mc->ad)), *b = rnd_buf(numel_of(mc->rb, mc->bd));
    const int64_t k = mc->ad[mc->ra - 1];
    int64_t n_ref, n_got;
    float *ref = matmul_run_isa(mc, a, b, HBG_ISA_REF, &n_ref, NULL);
    for (int isa = HBG_ISA_REF + 1; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        float *got = matmul_run_isa(mc, a, b, (hbg_isa)isa, &n_got, NULL);
        char what[96];
        snprintf(what, sizeof what, "MatMul %s ranks %d,%d k%lld", hbg_isa_name((hbg_isa)isa),
                 mc->ra, mc->rb, (long long)k);
        assert_int_equal(n_got, n_ref);
        check_close(got, ref, n_ref, 2e-6 * (double)(k + 1), what);
        free(got);
    }
    free(ref);
    free(a);
    free(b);
}

/* numpy semantics by hand: [3] x [3] = scalar 1*4 + 2*5 + 3*6 = 32; [3] x [3, 2] = [2] with
 * B = [[1,0],[0,1],[1,1]]: [1+3, 2+3] = [4, 5]; [2, 3] x [3] with A = [[1,0,0],[0,0,2]]:
 * [1, 6]. */
static void test_matmul_vectors(void **state)
{
    (void)state;
    const float v1[3] = {1, 2, 3}, v2[3] = {4, 5, 6}, m32[6] = {1, 0, 0, 1, 1, 1};
    const float m23[6] = {1, 0, 0, 0, 0, 2};
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        int64_t n;
        kh_in shape;
        matmul_case dot = {.ra = 1, .rb = 1, .ad = {3}, .bd = {3}};
        float *y = matmul_run_isa(&dot, v1, v2, (hbg_isa)isa, &n, &shape);
        assert_int_equal(shape.rank, 0);
        check_close(y, (const float[]){32}, 1, 0.0, "dot");
        free(y);
        matmul_case vm = {.ra = 1, .rb = 2, .ad = {3}, .bd = {3, 2}, .bconst = 1};
        y = matmul_run_isa(&vm, v1, m32, (hbg_isa)isa, &n, &shape);
        assert_int_equal(shape.rank, 1);
        assert_int_equal(shape.dims[0], 2);
        check_close(y, (const float[]){4, 5}, 2, 0.0, "vector x matrix");
        free(y);
        matmul_case mv = {.ra = 2, .rb = 1, .ad = {2, 3}, .bd = {3}};
        y = matmul_run_isa(&mv, m23, v2, (hbg_isa)isa, &n, &shape);
        assert_int_equal(shape.rank, 1);
        assert_int_equal(shape.dims[0], 2);
        check_close(y, (const float[]){4, 12}, 2, 0.0, "matrix x vector");
        free(y);
    }
}

static void test_matmul_numpy(void **state)
{
    (void)state;
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        if (!hbg_cpu_supports((hbg_isa)isa))
            continue;
        for (int bconst = 0; bconst < 2; bconst++) {
            int64_t n;
            kh_in shape;
            matmul_case mc = {
                .ra = 4, .rb = 3, .ad = {2, 1, 3, 4}, .bd = {3, 4, 2}, .bconst = bconst};
            float *y = matmul_run_isa(&mc, np_matmul_a, np_matmul_b, (hbg_isa)isa, &n, &shape);
            assert_int_equal(shape.rank, 4);
            assert_int_equal(shape.dims[0], 2);
            assert_int_equal(shape.dims[1], 3);
            assert_int_equal(shape.dims[2], 3);
            assert_int_equal(shape.dims[3], 2);
            check_close(y, np_matmul_y, 36, 1e-6, hbg_isa_name((hbg_isa)isa));
            free(y);
        }
    }
}

/* ---- variants against the reference -------------------------------------------------------- */

/* Shapes aimed at the fast paths' edges: 1x1 as a transposed product, 1x1 direct GEMM, K, M and
 * N beyond one cache block,
 * a stem-like 3x3/2 conv, depthwise stride 1/2 with borders, tails, multiplier and dilation. */
static void test_conv_fast_path_shapes(void **state)
{
    (void)state;
    static const conv_case cases[] = {
        /* 1x1 with ragged pixel counts (7x7, 14x14): the transposed product */
        {.nsp = 2,
         .n = 1,
         .c = 37,
         .m = 64,
         .group = 1,
         .in = {7, 7},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 2,
         .c = 40,
         .m = 96,
         .group = 2,
         .in = {7, 7},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 1,
         .wconst = 0},
        {.nsp = 2,
         .n = 1,
         .c = 300,
         .m = 64,
         .group = 1,
         .in = {14, 14},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 0,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 37,
         .m = 19,
         .group = 1,
         .in = {9, 11},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 2,
         .c = 37,
         .m = 19,
         .group = 1,
         .in = {9, 11},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 0,
         .wconst = 0},
        {.nsp = 2,
         .n = 1,
         .c = 300,
         .m = 13,
         .group = 1,
         .in = {5, 7},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 5,
         .m = 270,
         .group = 1,
         .in = {6, 6},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 6,
         .m = 10,
         .group = 2,
         .in = {20, 23},
         .k = {1, 1},
         .stride = {1, 1},
         .dil = {1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 3,
         .m = 32,
         .group = 1,
         .in = {17, 19},
         .k = {3, 3},
         .stride = {2, 2},
         .dil = {1, 1},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 40,
         .m = 24,
         .group = 1,
         .in = {12, 13},
         .k = {3, 3},
         .stride = {1, 1},
         .dil = {1, 1},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 5,
         .m = 5,
         .group = 5,
         .in = {37, 41},
         .k = {3, 3},
         .stride = {1, 1},
         .dil = {1, 1},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 2,
         .c = 4,
         .m = 4,
         .group = 4,
         .in = {33, 35},
         .k = {3, 3},
         .stride = {2, 2},
         .dil = {1, 1},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 4,
         .m = 4,
         .group = 4,
         .in = {32, 34},
         .k = {3, 3},
         .stride = {2, 2},
         .dil = {1, 1},
         .pads = {0, 0, 1, 1},
         .bias = 0,
         .wconst = 0},
        {.nsp = 2,
         .n = 1,
         .c = 3,
         .m = 6,
         .group = 3,
         .in = {7, 7},
         .k = {3, 3},
         .stride = {1, 1},
         .dil = {1, 1},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 3,
         .m = 3,
         .group = 3,
         .in = {19, 29},
         .k = {3, 5},
         .stride = {1, 1},
         .dil = {2, 2},
         .pads = {2, 0, 1, 3},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 2,
         .m = 2,
         .group = 2,
         .in = {4, 3},
         .k = {5, 5},
         .stride = {2, 2},
         .dil = {1, 1},
         .pads = {2, 2, 2, 2},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 8,
         .m = 8,
         .group = 8,
         .in = {14, 14},
         .k = {3, 3},
         .stride = {3, 3},
         .dil = {1, 1},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char label[32];
        snprintf(label, sizeof label, "fast-path case %zu", i);
        conv_check_variants(&cases[i], label);
    }
    /* k x k and strided convs with a ragged output (7x7): the transposed product over an im2col
     * expanded in the workspace; output channels not multiples of the vector width */
    static const conv_case im2col_t[] = {
        {.nsp = 2,
         .n = 1,
         .c = 32,
         .m = 40,
         .group = 1,
         .in = {7, 7},
         .k = {3, 3},
         .stride = {1, 1},
         .dil = {1, 1},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 2,
         .c = 24,
         .m = 64,
         .group = 1,
         .in = {14, 13},
         .k = {3, 3},
         .stride = {2, 2},
         .dil = {1, 1},
         .pads = {1, 0, 1, 1},
         .bias = 0,
         .wconst = 0},
        {.nsp = 2,
         .n = 1,
         .c = 30,
         .m = 48,
         .group = 1,
         .in = {13, 13},
         .k = {1, 1},
         .stride = {2, 2},
         .dil = {1, 1},
         .bias = 1,
         .wconst = 1},
        {.nsp = 2,
         .n = 1,
         .c = 10,
         .m = 80,
         .group = 2,
         .in = {9, 9},
         .k = {3, 3},
         .stride = {1, 1},
         .dil = {2, 2},
         .pads = {1, 1, 1, 1},
         .bias = 1,
         .wconst = 1},
    };
    for (size_t i = 0; i < sizeof im2col_t / sizeof im2col_t[0]; i++) {
        char label[40];
        snprintf(label, sizeof label, "transposed im2col case %zu", i);
        conv_check_variants(&im2col_t[i], label);
    }
}

/* ---- Relu / Clip fused into Conv and Gemm (hbg_exec_set_fusion) ---------------------------- */

enum act_kind { ACT_RELU, ACT_CLIP11, ACT_CLIP11_MAX_ONLY, ACT_CLIP6 };

typedef struct fuse_case {
    int gemm; /* 0: Conv x [1][c][h][w] with k x k kernel; 1: Gemm x [1][c] */
    int c, m, h, w, k, group, stride, pad;
    enum act_kind act;
    int extra_reader; /* the Conv/Gemm output is also a graph output: no fusion */
} fuse_case;

typedef struct fuse_out {
    float *y, *t; /* copies of the activation's output and of the Conv/Gemm output buffer */
    int64_t ny, nt;
} fuse_out;

/* Conv/Gemm -> t -> Relu/Clip -> y with x a graph input, run on variant isa with fusion on or
 * off. Before the run t's buffer is filled with NaN bytes so that an unwritten t shows. */
static void fuse_run(const fuse_case *fc, const float *x, const float *w, const float *b,
                     hbg_isa isa, int fuse, fuse_out *o)
{
    static const float lo6 = 0.0f, hi6 = 6.0f;
    const int64_t xd[4] = {1, fc->c, fc->h, fc->w};
    const int64_t wd[4] = {fc->m, fc->gemm ? 0 : fc->c / fc->group, fc->k, fc->k};
    const int64_t bd[1] = {fc->m}, sd[1] = {0};
    hbg_graph *g = hbg_graph_create();
    hbg_exec *e = NULL;
    hbg_node *n = NULL;
    assert_non_null(g);
    assert_int_equal(hbg_cpu_force(isa), HBG_OK);
    assert_int_equal(hbg_graph_add_opset(g, "", fc->act == ACT_CLIP6 ? 6 : 13), HBG_OK);
    const int xt = hbg_graph_tensor(g, "x"), wt = hbg_graph_tensor(g, "w"),
              bt = hbg_graph_tensor(g, "b");
    assert_int_equal(hbg_tensor_set_shape(g->tensors[xt], HBG_DT_F32, fc->gemm ? 2 : 4,
                                          fc->gemm ? (const int64_t[]){1, fc->c} : xd),
                     HBG_OK);
    assert_int_equal(hbg_graph_add_input(g, xt), HBG_OK);
    const int64_t wn = fc->gemm ? (int64_t)fc->c * fc->m : wd[0] * wd[1] * wd[2] * wd[3];
    assert_int_equal(hbg_graph_set_const(g, wt, HBG_DT_F32, fc->gemm ? 2 : 4,
                                         fc->gemm ? (const int64_t[]){fc->c, fc->m} : wd, w,
                                         (size_t)wn * sizeof(float)),
                     HBG_OK);
    assert_int_equal(hbg_graph_set_const(g, bt, HBG_DT_F32, 1, bd, b, (size_t)fc->m * 4), HBG_OK);
    const char *ins[3] = {"x", "w", "b"}, *tn[1] = {"t"}, *yn[1] = {"y"};
    assert_int_equal(
        hbg_graph_add_node(g, fc->gemm ? "Gemm" : "Conv", "", "producer", 3, ins, 1, tn, &n),
        HBG_OK);
    if (!fc->gemm) {
        const int64_t st[2] = {fc->stride, fc->stride},
                      pd[4] = {fc->pad, fc->pad, fc->pad, fc->pad};
        kh_attr_int(n, "group", fc->group);
        kh_attr_ints(n, "strides", 2, st);
        kh_attr_ints(n, "pads", 4, pd);
    }
    if (fc->act == ACT_RELU) {
        assert_int_equal(hbg_graph_add_node(g, "Relu", "", "act", 1, tn, 1, yn, &n), HBG_OK);
    } else if (fc->act == ACT_CLIP6) {
        assert_int_equal(hbg_graph_add_node(g, "Clip", "", "act", 1, tn, 1, yn, &n), HBG_OK);
        kh_attr_float(n, "min", -0.25f);
        kh_attr_float(n, "max", 0.5f);
    } else {
        const char *cin[3] = {"t", fc->act == ACT_CLIP11 ? "lo" : NULL, "hi"};
        if (fc->act == ACT_CLIP11)
            assert_int_equal(hbg_graph_set_const(g, hbg_graph_tensor(g, "lo"), HBG_DT_F32, 0, sd,
                                                 &lo6, sizeof lo6),
                             HBG_OK);
        assert_int_equal(hbg_graph_set_const(g, hbg_graph_tensor(g, "hi"), HBG_DT_F32, 0, sd,
                                             fc->act == ACT_CLIP11 ? &hi6 : &lo6, sizeof hi6),
                         HBG_OK);
        assert_int_equal(hbg_graph_add_node(g, "Clip", "", "act", 3, cin, 1, yn, &n), HBG_OK);
    }
    assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "y")), HBG_OK);
    if (fc->extra_reader)
        assert_int_equal(hbg_graph_add_output(g, hbg_graph_find_tensor(g, "t")), HBG_OK);
    if (hbg_exec_create(g, &e) != HBG_OK)
        fail_msg("prepare failed: %s", g->err);
    hbg_exec_set_fusion(e, fuse);
    hbg_tensor *tx = g->tensors[xt], *tt = g->tensors[hbg_graph_find_tensor(g, "t")],
               *ty = g->tensors[hbg_graph_find_tensor(g, "y")];
    memcpy(tx->data, x, (size_t)hbg_tensor_nbytes(tx));
    memset(tt->data, 0xFF, (size_t)hbg_tensor_nbytes(tt));
    if (hbg_exec_run(e) != HBG_OK)
        fail_msg("run failed: %s", g->err);
    o->ny = hbg_tensor_numel(ty);
    o->nt = hbg_tensor_numel(tt);
    o->y = malloc((size_t)o->ny * sizeof *o->y);
    o->t = malloc((size_t)o->nt * sizeof *o->t);
    assert_non_null(o->y);
    assert_non_null(o->t);
    memcpy(o->y, ty->data, (size_t)o->ny * sizeof *o->y);
    memcpy(o->t, tt->data, (size_t)o->nt * sizeof *o->t);
    hbg_exec_free(e);
    hbg_graph_free(g);
}

/* Fused results are bit-identical to the separate nodes (the clamp comes after the whole sum, as
 * Clip's compare-and-select, NaN kept) on every variant and kernel path, and the fused Conv's
 * own output is really skipped, except when another reader needs it. */
static void test_fused_clamp(void **state)
{
    (void)state;
    static const fuse_case cases[] = {
        {.c = 16,
         .m = 16,
         .h = 19,
         .w = 21,
         .k = 3,
         .group = 16,
         .stride = 1,
         .pad = 1,
         .act = ACT_CLIP11}, /* depthwise, stride 1 */
        {.c = 8,
         .m = 8,
         .h = 20,
         .w = 37,
         .k = 3,
         .group = 8,
         .stride = 2,
         .pad = 1,
         .act = ACT_RELU}, /* depthwise, stride 2 */
        {.c = 20,
         .m = 33,
         .h = 11,
         .w = 13,
         .k = 1,
         .group = 1,
         .stride = 1,
         .pad = 0,
         .act = ACT_CLIP11_MAX_ONLY}, /* 1x1 direct */
        {.c = 300,
         .m = 24,
         .h = 11,
         .w = 9,
         .k = 1,
         .group = 1,
         .stride = 1,
         .pad = 0,
         .act = ACT_RELU}, /* 1x1 direct, K split in blocks */
        {.c = 40,
         .m = 72,
         .h = 7,
         .w = 7,
         .k = 1,
         .group = 1,
         .stride = 1,
         .pad = 0,
         .act = ACT_CLIP6}, /* 1x1 transposed */
        {.c = 12,
         .m = 21,
         .h = 17,
         .w = 15,
         .k = 3,
         .group = 1,
         .stride = 1,
         .pad = 1,
         .act = ACT_CLIP11}, /* im2col */
        {.c = 32,
         .m = 40,
         .h = 7,
         .w = 7,
         .k = 3,
         .group = 1,
         .stride = 1,
         .pad = 1,
         .act = ACT_RELU}, /* im2col transposed */
        {.c = 12,
         .m = 21,
         .h = 9,
         .w = 8,
         .k = 3,
         .group = 1,
         .stride = 1,
         .pad = 1,
         .act = ACT_RELU,
         .extra_reader = 1},
        {.gemm = 1, .c = 300, .m = 70, .act = ACT_CLIP11},
        {.gemm = 1, .c = 5, .m = 17, .act = ACT_RELU, .extra_reader = 1},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const fuse_case *fc = &cases[ci];
        const int64_t xn = (int64_t)fc->c * (fc->gemm ? 1 : fc->h * fc->w);
        const int64_t wn = fc->gemm ? (int64_t)fc->c * fc->m
                                    : (int64_t)fc->m * (fc->c / fc->group) * fc->k * fc->k;
        float *x = rnd_buf(xn), *w = rnd_buf(wn), *b = rnd_buf(fc->m);
        /* scaled so that the clamps at 0.5 and 6 bite; a NaN operand makes some outputs NaN */
        for (int64_t i = 0; i < xn; i++)
            x[i] *= 4.0f;
        if (fc->gemm)
            w[wn / 2] = NAN; /* one output column */
        else
            x[xn / 2] = NAN; /* the outputs that read one pixel */
        for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
            if (!hbg_cpu_supports((hbg_isa)isa))
                continue;
            fuse_out sep, fused;
            fuse_run(fc, x, w, b, (hbg_isa)isa, 0, &sep);
            fuse_run(fc, x, w, b, (hbg_isa)isa, 1, &fused);
            assert_int_equal(sep.ny, fused.ny);
            if (memcmp(sep.y, fused.y, (size_t)sep.ny * sizeof *sep.y) != 0)
                fail_msg("case %zu %s: fused output differs from Conv/Gemm + Relu/Clip", ci,
                         hbg_isa_name((hbg_isa)isa));
            int nan_y = 0, clamped = 0;
            for (int64_t i = 0; i < sep.ny; i++) {
                nan_y += isnan(sep.y[i]) != 0;
                clamped += sep.y[i] != sep.t[i] && !isnan(sep.y[i]);
            }
            assert_true(nan_y > 0);   /* NaN went through the clamp */
            assert_true(clamped > 0); /* and the clamp changed values */
            /* t untouched (all NaN bytes) when fused; written when another reader needs it */
            int64_t unwritten = 0;
            for (int64_t i = 0; i < fused.nt; i++) {
                uint32_t u;
                memcpy(&u, &fused.t[i], sizeof u);
                unwritten += u == 0xFFFFFFFFu;
            }
            if (fc->extra_reader)
                assert_memory_equal(fused.t, sep.t, (size_t)sep.nt * sizeof *sep.t);
            else
                assert_int_equal(unwritten, fused.nt);
            free(sep.y);
            free(sep.t);
            free(fused.y);
            free(fused.t);
        }
        free(x);
        free(w);
        free(b);
    }
}

static void test_conv_random(void **state)
{
    (void)state;
    static const char *const modes[] = {NULL, "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    for (int t = 0; t < 160; t++) {
        conv_case c;
        memset(&c, 0, sizeof c);
        c.nsp = t % 10 == 9 ? 3 : t % 5 == 4 ? 1 : 2;
        c.n = rnd_int(1, 2);
        const int kind = rnd_int(0, 3);
        if (kind == 0) { /* depthwise, multiplier 1 or 2 */
            c.c = c.group = rnd_int(1, 9);
            c.m = c.c * rnd_int(1, 2);
        } else {
            c.group = kind == 1 ? 1 : rnd_int(2, 3);
            c.c = c.group * rnd_int(1, 7);
            c.m = c.group * rnd_int(1, 9);
        }
        c.auto_pad = modes[rnd_int(0, 4)];
        for (int i = 0; i < c.nsp; i++) {
            c.k[i] = rnd_int(1, c.nsp == 3 ? 2 : 4);
            c.stride[i] = rnd_int(1, 3);
            c.dil[i] = rnd_int(0, 3) == 0 ? 2 : 1;
            c.in[i] = rnd_int(1, c.nsp == 3 ? 6 : 19);
            c.pads[i] = rnd_int(0, 2);
            c.pads[c.nsp + i] = rnd_int(0, 2);
            const int ext = (c.k[i] - 1) * c.dil[i] + 1;
            const int padded = c.auto_pad && strcmp(c.auto_pad, "VALID") == 0 ? c.in[i]
                               : c.auto_pad && strcmp(c.auto_pad, "NOTSET") != 0
                                   ? ext
                                   : c.in[i] + c.pads[i] + c.pads[c.nsp + i];
            if (padded < ext)
                c.in[i] += ext - padded;
        }
        c.bias = rnd_int(0, 1);
        c.wconst = rnd_int(0, 1);
        c.with_kshape = rnd_int(0, 1);
        char label[32];
        snprintf(label, sizeof label, "random case %d", t);
        conv_check_variants(&c, label);
    }
}

static void test_convtranspose_random(void **state)
{
    (void)state;
    for (int t = 0; t < 80; t++) {
        conv_case c;
        memset(&c, 0, sizeof c);
        c.transposed = 1;
        c.nsp = t % 10 == 9 ? 3 : t % 5 == 4 ? 1 : 2;
        c.n = rnd_int(1, 2);
        c.group = rnd_int(0, 2) == 0 ? rnd_int(2, 3) : 1;
        c.c = c.group * rnd_int(1, 6);
        c.m = c.group * rnd_int(1, 6);
        const int mode = rnd_int(0, 3); /* pads, output_shape, SAME_UPPER, SAME_LOWER */
        c.auto_pad = mode == 2 ? "SAME_UPPER" : mode == 3 ? "SAME_LOWER" : NULL;
        c.has_oshape = mode == 1;
        for (int i = 0; i < c.nsp; i++) {
            c.k[i] = rnd_int(1, c.nsp == 3 ? 2 : 4);
            c.stride[i] = rnd_int(1, 3);
            c.dil[i] = rnd_int(0, 3) == 0 ? 2 : 1;
            c.in[i] = rnd_int(1, c.nsp == 3 ? 4 : 9);
            c.opad[i] = rnd_int(0, c.stride[i] - 1);
            const int full = c.stride[i] * (c.in[i] - 1) + c.opad[i] + (c.k[i] - 1) * c.dil[i] + 1;
            c.pads[i] = rnd_int(0, (full - 1) / 2);
            c.pads[c.nsp + i] = rnd_int(0, (full - 1) / 2);
            c.oshape[i] = rnd_int(1, full + 2);
        }
        c.bias = rnd_int(0, 1);
        c.wconst = rnd_int(0, 1);
        char label[40];
        snprintf(label, sizeof label, "ConvTranspose case %d", t);
        conv_check_variants(&c, label);
    }
}

static void test_gemm_random(void **state)
{
    (void)state;
    static const gemm_case big[] = {
        {.m = 37, .n = 401, .k = 300, .c_kind = 2, .alpha = 1, .beta = 1, .bconst = 1},
        {.m = 270, .n = 20, .k = 5, .tb = 1, .c_kind = 4, .alpha = 1, .beta = 1},
        {.m = 1, .n = 1000, .k = 1024, .c_kind = 2, .alpha = 1, .beta = 1, .bconst = 1},
        {.m = 3, .n = 4, .k = 0, .c_kind = 4, .alpha = 1, .beta = 1},
    };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        gemm_check_variants(&big[i]);
    for (int t = 0; t < 80; t++) {
        gemm_case g = {.m = rnd_int(1, 40),
                       .n = rnd_int(1, 70),
                       .k = rnd_int(1, 60),
                       .ta = rnd_int(0, 1),
                       .tb = rnd_int(0, 1),
                       .c_kind = rnd_int(0, 5),
                       .alpha = (float)rnd_int(-4, 4) / 2.0f,
                       .beta = (float)rnd_int(-4, 4) / 2.0f,
                       .bconst = rnd_int(0, 1)};
        gemm_check_variants(&g);
    }
}

static void test_matmul_random(void **state)
{
    (void)state;
    for (int t = 0; t < 60; t++) {
        matmul_case mc;
        memset(&mc, 0, sizeof mc);
        const int m = rnd_int(1, 20), n = rnd_int(1, 40), k = rnd_int(1, 40);
        mc.ra = rnd_int(1, 4);
        mc.rb = rnd_int(1, 4);
        mc.bconst = rnd_int(0, 1);
        /* batch axes: A's and B's, right-aligned, each 1 or the common size */
        const int nb = (mc.ra > mc.rb ? mc.ra : mc.rb) - 2;
        int64_t common[2] = {rnd_int(1, 3), rnd_int(1, 3)};
        for (int i = 0; i < mc.ra - 2; i++)
            mc.ad[i] = rnd_int(0, 2) ? common[nb - (mc.ra - 2) + i] : 1;
        for (int i = 0; i < mc.rb - 2; i++)
            mc.bd[i] = rnd_int(0, 2) ? common[nb - (mc.rb - 2) + i] : 1;
        if (mc.ra >= 2)
            mc.ad[mc.ra - 2] = m;
        mc.ad[mc.ra - 1] = k;
        mc.bd[mc.rb - (mc.rb >= 2 ? 2 : 1)] = k;
        if (mc.rb >= 2)
            mc.bd[mc.rb - 1] = n;
        matmul_check_variants(&mc);
    }
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_shape_errors(void **state)
{
    (void)state;
    float buf[64] = {0};
    kh h;
    /* Conv: X has 3 channels, W expects 2 per group with group 1 */
    kh_in conv_in[2] = {{"x", HBG_DT_F32, 4, {1, 3, 4, 4}, buf, 0},
                        {"w", HBG_DT_F32, 4, {2, 2, 1, 1}, buf, 1}};
    kh_build(&h, "Conv", 13, 2, conv_in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* Conv: kernel_shape disagrees with W */
    conv_in[1].dims[1] = 3;
    hbg_node *nd = kh_build(&h, "Conv", 13, 2, conv_in, 1);
    kh_attr_ints(nd, "kernel_shape", 2, (const int64_t[]){3, 3});
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* Conv: unknown auto_pad */
    nd = kh_build(&h, "Conv", 13, 2, conv_in, 1);
    add_string_attr(nd, "auto_pad", "SAME");
    kh_check_fail(&h, kh_run(&h), HBG_E_INVALID);
    kh_free(&h);
    /* Conv: kernel larger than the padded input */
    kh_in big_k[2] = {{"x", HBG_DT_F32, 4, {1, 1, 2, 2}, buf, 0},
                      {"w", HBG_DT_F32, 4, {1, 1, 3, 3}, buf, 1}};
    kh_build(&h, "Conv", 13, 2, big_k, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* Conv on int32 data */
    kh_in ints_in[2] = {{"x", HBG_DT_I32, 4, {1, 1, 2, 2}, buf, 0},
                        {"w", HBG_DT_I32, 4, {1, 1, 1, 1}, buf, 1}};
    kh_build(&h, "Conv", 13, 2, ints_in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_UNSUPPORTED);
    kh_free(&h);
    /* Gemm: K 3 vs 4 */
    kh_in gemm_in[2] = {{"a", HBG_DT_F32, 2, {2, 3}, buf, 0}, {"b", HBG_DT_F32, 2, {4, 2}, buf, 1}};
    kh_build(&h, "Gemm", 13, 2, gemm_in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* Gemm: C [3] does not broadcast to [2, 2] */
    kh_in gemm_c[3] = {{"a", HBG_DT_F32, 2, {2, 4}, buf, 0},
                       {"b", HBG_DT_F32, 2, {4, 2}, buf, 1},
                       {"c", HBG_DT_F32, 1, {3}, buf, 1}};
    kh_build(&h, "Gemm", 13, 3, gemm_c, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
    /* Gemm-6 (opset 6): C [2] broadcasts to [2, 2] only with broadcast = 1 */
    kh_in gemm6[3] = {{"a", HBG_DT_F32, 2, {2, 4}, buf, 0},
                      {"b", HBG_DT_F32, 2, {4, 2}, buf, 1},
                      {"c", HBG_DT_F32, 1, {2}, buf, 1}};
    kh_build(&h, "Gemm", 6, 3, gemm6, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    assert_non_null(strstr(h.g->err, "broadcast = 1"));
    kh_free(&h);
    hbg_node *g6 = kh_build(&h, "Gemm", 6, 3, gemm6, 1);
    kh_attr_int(g6, "broadcast", 1);
    assert_int_equal(kh_run(&h), HBG_OK);
    kh_free(&h);
    /* MatMul: batch 2 vs 3 */
    kh_in mm_in[2] = {{"a", HBG_DT_F32, 3, {2, 2, 2}, buf, 0},
                      {"b", HBG_DT_F32, 3, {3, 2, 2}, buf, 0}};
    kh_build(&h, "MatMul", 13, 2, mm_in, 1);
    kh_check_fail(&h, kh_run(&h), HBG_E_SHAPE);
    kh_free(&h);
}

/* ---- HB_ISA -------------------------------------------------------------------------------- */

/* Child mode: prepare a small Conv under the inherited HB_ISA and print the outcome. */
static int isa_probe(void)
{
    hbg_graph *g = hbg_graph_create();
    hbg_exec *e = NULL;
    const int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 1, 1};
    const float w = 1.0f;
    const char *in_names[2] = {"x", "w"}, *out_names[1] = {"y"};
    int x = hbg_graph_tensor(g, "x"), wt = hbg_graph_tensor(g, "w");
    hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 4, xd);
    hbg_graph_add_input(g, x);
    hbg_graph_set_const(g, wt, HBG_DT_F32, 4, wd, &w, sizeof w);
    hbg_graph_add_node(g, "Conv", "", "probe_conv", 2, in_names, 1, out_names, NULL);
    hbg_graph_add_output(g, hbg_graph_find_tensor(g, "y"));
    hbg_status st = hbg_exec_create(g, &e);
    printf("status=%d variant=%s err=%s\n", (int)st, hbg_cpu_variant_name(), g->err);
    hbg_exec_free(e);
    hbg_graph_free(g);
    return 0;
}

/* Output line of the probe run with HB_ISA=value. */
static void probe(const char *value, char *line, size_t size)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "HB_ISA='%s' '%s' --isa-probe", value, self_path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    line[0] = '\0';
    assert_non_null(fgets(line, (int)size, f));
    assert_int_equal(pclose(f), 0);
}

static void test_hb_isa_env(void **state)
{
    (void)state;
    char line[600];
    probe("ref", line, sizeof line);
    assert_non_null(strstr(line, "status=0 variant=ref"));
    probe("bogus", line, sizeof line);
    assert_non_null(strstr(line, "status=-2 variant=invalid"));
    assert_non_null(strstr(line, "probe_conv"));
    assert_non_null(strstr(line, "HB_ISA=bogus: unknown variant"));
#if defined(__x86_64__)
    probe("neon", line, sizeof line); /* an aarch64 variant on x86 */
#else
    probe("avx2", line, sizeof line);
#endif
    assert_non_null(strstr(line, "status=-2"));
    assert_non_null(strstr(line, "lacks the features"));
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++) {
        char want[64];
        probe(hbg_isa_name((hbg_isa)isa), line, sizeof line);
        snprintf(want, sizeof want, "status=%d variant=%s", hbg_cpu_supports((hbg_isa)isa) ? 0 : -2,
                 hbg_cpu_supports((hbg_isa)isa) ? hbg_isa_name((hbg_isa)isa) : "invalid");
        assert_non_null(strstr(line, want));
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--isa-probe") == 0)
        return isa_probe();
    self_path = argv[0];
    for (int isa = 0; isa < HBG_ISA_COUNT; isa++)
        print_message("variant %s: %s\n", hbg_isa_name((hbg_isa)isa),
                      hbg_cpu_supports((hbg_isa)isa) ? "tested" : "not supported by this CPU");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_box_sum),
        cmocka_unit_test(test_conv_depthwise_1d),
        cmocka_unit_test(test_convtranspose_footprint),
        cmocka_unit_test(test_conv_numpy),
        cmocka_unit_test(test_convtranspose_numpy),
        cmocka_unit_test(test_gemm_hand),
        cmocka_unit_test(test_gemm_numpy),
        cmocka_unit_test(test_matmul_vectors),
        cmocka_unit_test(test_matmul_numpy),
        cmocka_unit_test(test_conv_fast_path_shapes),
        cmocka_unit_test(test_conv_random),
        cmocka_unit_test(test_fused_clamp),
        cmocka_unit_test(test_convtranspose_random),
        cmocka_unit_test(test_gemm_random),
        cmocka_unit_test(test_matmul_random),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_hb_isa_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
