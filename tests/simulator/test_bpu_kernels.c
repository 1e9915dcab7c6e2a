/* Every CONV / DEPTHWISE / requant / fused CONV + requant / EWISE / POOL kernel variant this
 * machine can run,
 * against the test's own scalar model (unpacked weights, int64 sums, division-based rounding), on
 * random shapes: odd sizes, channel counts that are not multiples of any vector width, strides,
 * dilations, every combination of padding, output bands, extreme values (-128/127, wrapping
 * biases), and garbage bytes after every pixel (which must be multiplied by zero padding weights
 * only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "bpu/kernels.h"
#include "bpu_test_util.h"

typedef struct conv_case {
    bpu_conv_geom g;
    int dwise;
    int8_t *src;   /* with garbage slack */
    int8_t *w;     /* unpacked [k][ky][kx][c] (NORMAL) or [ky][kx][c] (DW) */
    int8_t *wpack; /* kernel layout */
    int32_t *bias;
    int32_t oy0, oy1;
} conv_case;

/* the model: plain definition of convolution, padded positions read g->pad_value */
static int32_t model_conv_at(const conv_case *t, int32_t oy, int32_t ox, int32_t kk)
{
    const bpu_conv_geom *g = &t->g;
    int64_t sum = t->bias[kk];
    for (int32_t ky = 0; ky < g->kh; ky++) {
        for (int32_t kx = 0; kx < g->kw; kx++) {
            int32_t iy = oy * g->sh + ky * g->dh - g->pad_top;
            int32_t ix = ox * g->sw + kx * g->dw - g->pad_left;
            if (iy < 0 || ix < 0 || iy >= g->h || ix >= g->w) {
                for (int32_t c = 0; c < (t->dwise ? 1 : g->c); c++)
                    sum += (int64_t)g->pad_value *
                           (t->dwise ? t->w[((size_t)ky * g->kw + kx) * g->c + kk]
                                     : t->w[(((size_t)kk * g->kh + ky) * g->kw + kx) * g->c + c]);
                continue;
            }
            if (t->dwise) {
                sum += (int64_t)t->src[(size_t)iy * g->src_row + (size_t)ix * g->src_px + kk] *
                       t->w[((size_t)ky * g->kw + kx) * g->c + kk];
                continue;
            }
            for (int32_t c = 0; c < g->c; c++)
                sum += (int64_t)t->src[(size_t)iy * g->src_row + (size_t)ix * g->src_px + c] *
                       t->w[(((size_t)kk * g->kh + ky) * g->kw + kx) * g->c + c];
        }
    }
    return model_wrap32(sum);
}

static void fill_case(rng *r, conv_case *t, int mode);

/* mode 0: random values, 1: all extremes (activations and weights -128 or 127), 2: bias near
 * INT32 limits so the sum wraps */
static void make_case(rng *r, conv_case *t, int dwise, int mode)
{
    bpu_conv_geom *g = &t->g;
    memset(t, 0, sizeof(*t));
    t->dwise = dwise;
    g->kh = rng_range(r, 1, 5);
    g->kw = rng_range(r, 1, 5);
    g->dh = rng_range(r, 1, 2);
    g->dw = rng_range(r, 1, 2);
    g->sh = rng_range(r, 1, 3);
    g->sw = rng_range(r, 1, 3);
    g->pad_top = rng_range(r, 0, 3);
    g->pad_left = rng_range(r, 0, 3);
    int32_t pad_bottom = rng_range(r, 0, 3), pad_right = rng_range(r, 0, 3);
    int32_t ext_h = (g->kh - 1) * g->dh + 1, ext_w = (g->kw - 1) * g->dw + 1;
    g->h = rng_range(r, 1, 14);
    g->w = rng_range(r, 1, 19);
    if (g->h + g->pad_top + pad_bottom < ext_h)
        g->h = ext_h;
    if (g->w + g->pad_left + pad_right < ext_w)
        g->w = ext_w;
    g->ho = (g->h + g->pad_top + pad_bottom - ext_h) / g->sh + 1;
    g->wo = (g->w + g->pad_left + pad_right - ext_w) / g->sw + 1;
    g->c = rng_range(r, 1, 3) == 1 ? rng_range(r, 1, 9) : rng_range(r, 1, 150);
    g->k = dwise ? g->c : (rng_range(r, 1, 3) == 1 ? rng_range(r, 1, 20) : rng_range(r, 1, 150));
    g->src_px = (size_t)g->c + (size_t)rng_range(r, 0, 5);
    g->src_row = g->src_px * g->w + (size_t)rng_range(r, 0, 9);
    fill_case(r, t, mode);
}

/* Source, weights, bias and output band for the geometry in t->g. */
static void fill_case(rng *r, conv_case *t, int mode)
{
    bpu_conv_geom *g = &t->g;
    int dwise = t->dwise;
    size_t src_bytes = g->src_row * g->h + 64;
    t->src = malloc(src_bytes);
    for (size_t i = 0; i < src_bytes; i++)
        t->src[i] =
            mode == 1 ? (rng_u32(r) & 1 ? 127 : -128) : rng_s8(r); /* slack, gaps: garbage */
    size_t wn = (size_t)g->kh * g->kw * g->c * (dwise ? 1 : g->k);
    t->w = malloc(wn);
    for (size_t i = 0; i < wn; i++)
        t->w[i] = mode == 1 ? (rng_u32(r) & 1 ? 127 : -128) : rng_s8(r);
    if (dwise) {
        t->wpack = malloc(wn);
        memcpy(t->wpack, t->w, wn);
    } else {
        t->wpack = malloc(packed_normal_bytes(g->k, g->kh, g->kw, g->c));
        pack_normal(t->w, g->k, g->kh, g->kw, g->c, t->wpack);
    }
    t->bias = malloc((size_t)g->k * sizeof(int32_t));
    for (int32_t i = 0; i < g->k; i++)
        t->bias[i] = mode == 2 ? (i & 1 ? INT32_MAX - rng_range(r, 0, 1000)
                                        : INT32_MIN + rng_range(r, 0, 1000))
                               : rng_range(r, -100000, 100000);
    t->oy0 = rng_range(r, 0, g->ho - 1);
    t->oy1 = rng_range(r, t->oy0 + 1, g->ho);
}

static void free_case(conv_case *t)
{
    free(t->src);
    free(t->w);
    free(t->wpack);
    free(t->bias);
}

static int run_case(const bpu_kernels *k, const conv_case *t)
{
    const bpu_conv_geom *g = &t->g;
    size_t n = (size_t)(t->oy1 - t->oy0) * g->wo * g->k;
    int32_t *acc = malloc(n * sizeof(int32_t));
    (t->dwise ? k->dwconv : k->conv)(g, t->src, t->wpack, t->bias, t->oy0, t->oy1, acc);
    int bad = 0;
    for (int32_t oy = t->oy0; oy < t->oy1 && !bad; oy++) {
        for (int32_t ox = 0; ox < g->wo && !bad; ox++) {
            for (int32_t kk = 0; kk < g->k; kk++) {
                int32_t want = model_conv_at(t, oy, ox, kk);
                int32_t got = acc[((size_t)(oy - t->oy0) * g->wo + ox) * g->k + kk];
                if (want != got) {
                    print_error("%s %s: h%d w%d c%d k%d kh%d kw%d s%d,%d d%d,%d pad %d,%d at "
                                "(%d,%d,%d): got %d want %d\n",
                                k->name, t->dwise ? "dw" : "conv", g->h, g->w, g->c, g->k, g->kh,
                                g->kw, g->sh, g->sw, g->dh, g->dw, g->pad_top, g->pad_left, oy, ox,
                                kk, got, want);
                    bad = 1;
                    break;
                }
            }
        }
    }
    free(acc);
    return bad;
}

static void conv_variants(int dwise)
{
    int ran = 0;
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        bpu_error err;
        if (!bpu_isa_available((bpu_isa)v))
            continue;
        assert_int_equal(bpu_kernels_get((bpu_isa)v, &k, &err), BPU_OK);
        rng r = {0x9E3779B97F4A7C15ull + (uint64_t)dwise};
        for (int i = 0; i < 300; i++) {
            conv_case t;
            make_case(&r, &t, dwise, i % 10 == 0 ? 1 : i % 10 == 1 ? 2 : 0);
            int bad = run_case(k, &t);
            free_case(&t);
            assert_int_equal(bad, 0);
        }
        ran++;
    }
    assert_true(ran >= 1);
}

static void test_conv_normal(void **state)
{
    (void)state;
    conv_variants(0);
}

static void test_conv_depthwise(void **state)
{
    (void)state;
    conv_variants(1);
}

/* Every padding combination on a fixed 3x3 shape, each side 0..2, both kernels. */
static void test_conv_every_padding(void **state)
{
    (void)state;
    rng r = {12345};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int pads = 0; pads < 81; pads++) {
            for (int dwise = 0; dwise < 2; dwise++) {
                conv_case t;
                make_case(&r, &t, dwise, 0);
                bpu_conv_geom *g = &t.g;
                int32_t pt = pads % 3, pb = pads / 3 % 3, pl = pads / 9 % 3, pr = pads / 27 % 3;
                g->kh = g->kw = 3;
                g->sh = g->sw = 1 + pads % 2;
                g->dh = g->dw = 1;
                g->h = 5;
                g->w = 7;
                g->pad_top = pt;
                g->pad_left = pl;
                g->ho = (g->h + pt + pb - 3) / g->sh + 1;
                g->wo = (g->w + pl + pr - 3) / g->sw + 1;
                g->src_row = g->src_px * g->w;
                t.oy0 = 0;
                t.oy1 = g->ho;
                /* the shape changed: redraw source and weights in the new size */
                free(t.src);
                t.src = malloc(g->src_row * g->h + 64);
                for (size_t i = 0; i < g->src_row * g->h + 64; i++)
                    t.src[i] = rng_s8(&r);
                free(t.w);
                free(t.wpack);
                size_t wn = (size_t)9 * g->c * (dwise ? 1 : g->k);
                t.w = malloc(wn);
                for (size_t i = 0; i < wn; i++)
                    t.w[i] = rng_s8(&r);
                t.wpack = malloc(dwise ? wn : packed_normal_bytes(g->k, 3, 3, g->c));
                if (dwise)
                    memcpy(t.wpack, t.w, wn);
                else
                    pack_normal(t.w, g->k, 3, 3, g->c, t.wpack);
                int bad = run_case(k, &t);
                free_case(&t);
                assert_int_equal(bad, 0);
            }
        }
    }
}

/* Rows wider than any column buffer or tile of the kernels (they work on chunks of columns), with
 * the MobileNet kernel shapes and tall ones (more than 8 rows leave the packed depthwise paths),
 * channel counts around the vector widths. */
static void test_conv_wide_rows(void **state)
{
    (void)state;
    rng r = {4242};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int i = 0; i < 48; i++) {
            /* both kinds for every (channels, stride) pair: j = i / 2 runs over 8 channel counts
             * at stride 1, 2, then 1 again; every third j a tall kernel, every sixth dilated */
            static const int32_t chans[] = {3, 16, 32, 33, 64, 65, 96, 100};
            int j = i / 2;
            conv_case t;
            memset(&t, 0, sizeof(t));
            t.dwise = i % 2;
            bpu_conv_geom *g = &t.g;
            g->kh = j % 3 == 2 ? rng_range(&r, 5, 10) : 3;
            g->kw = j % 3 == 2 ? rng_range(&r, 1, 7) : 3;
            g->sh = g->sw = 1 + j / 8 % 2;
            g->dh = g->dw = j % 6 == 5 ? 2 : 1;
            g->pad_top = rng_range(&r, 0, g->kh - 1);
            g->pad_left = rng_range(&r, 0, g->kw - 1);
            int32_t pb = rng_range(&r, 0, g->kh - 1), pr = rng_range(&r, 0, g->kw - 1);
            g->h = (g->kh - 1) * g->dh + rng_range(&r, 1, 5);
            g->w = rng_range(&r, 130, 200);
            g->ho = (g->h + g->pad_top + pb - (g->kh - 1) * g->dh - 1) / g->sh + 1;
            g->wo = (g->w + g->pad_left + pr - (g->kw - 1) * g->dw - 1) / g->sw + 1;
            g->c = chans[j % 8];
            g->k = t.dwise ? g->c : rng_range(&r, 1, 40);
            g->src_px = (size_t)g->c + (size_t)rng_range(&r, 0, 3);
            g->src_row = g->src_px * g->w;
            fill_case(&r, &t, i % 4 == 3 ? 1 : 0);
            int bad = run_case(k, &t);
            free_case(&t);
            assert_int_equal(bad, 0);
        }
    }
}

/* The MobileNet layer shapes the kernels have dedicated paths for, at small sizes: depthwise 3x3
 * with stride 1 and 2 over deep channel counts (multiples of 8 and 16, tails below 8, from 8 to
 * past 1024: the 8- and 16-channel passes of the AVX2 streaming kernel, which takes stride 2 from
 * 64 channels on, and its tail), odd output-row bands (the paired-row kernels' single last row),
 * dense and gapped pixels, and the 3-channel first convolution with pixels 3 bytes apart; every
 * padding side 0 or 1. */
static void test_conv_mobilenet_shapes(void **state)
{
    (void)state;
    rng r = {0x3B3B3Bull};
    static const int32_t chans[] = {8, 9, 24, 264, 300, 520, 1027, 1040};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int i = 0; i < 40; i++) {
            conv_case t;
            memset(&t, 0, sizeof(t));
            t.dwise = i % 5 != 4;
            bpu_conv_geom *g = &t.g;
            g->kh = g->kw = 3;
            g->sh = g->sw = 1 + i % 2;
            g->dh = g->dw = 1;
            g->pad_top = rng_range(&r, 0, 1);
            g->pad_left = rng_range(&r, 0, 1);
            int32_t pb = rng_range(&r, 0, 1), pr = rng_range(&r, 0, 1);
            g->c = t.dwise ? chans[i / 2 % 8] : 3;
            /* deep channels on small maps keep the model's work (and ASan's) small */
            g->h = g->c > 100 ? rng_range(&r, 3, 6) : rng_range(&r, 3, 12);
            g->w = g->c > 100 ? rng_range(&r, 3, 9) : rng_range(&r, 3, 40);
            g->ho = (g->h + g->pad_top + pb - 3) / g->sh + 1;
            g->wo = (g->w + g->pad_left + pr - 3) / g->sw + 1;
            g->k = t.dwise ? g->c : rng_range(&r, 1, 40);
            g->src_px = (size_t)g->c + (size_t)(i % 3 == 2 ? rng_range(&r, 1, 5) : 0);
            g->src_row = g->src_px * g->w + (size_t)rng_range(&r, 0, 3);
            fill_case(&r, &t, i % 4 == 3 ? 1 : i % 4 == 1 ? 2 : 0);
            int bad = run_case(k, &t);
            free_case(&t);
            assert_int_equal(bad, 0);
        }
    }
}

/* The depthwise kernels' streaming paths for 3-column kernels (VNNI: whole 64- and 32-channel
 * blocks, stride 1 with row pairs for kernels spanning up to 3 rows, stride 2 with two output rows
 * per pass for 3-row kernels; AVX2: row pairs with every row inside the map or not): channel counts
 * of whole blocks, a 32-channel block and tails, kernel heights 1 to 4 with dilation 1 or 2, every
 * padding side 0 to 2, rows from 1 to past 64 columns, pad values where the variant pads natively,
 * extreme values, and odd and even output-row ranges (fill_case). */
static void test_conv_dw_stream_paths(void **state)
{
    (void)state;
    rng r = {0x57AEull};
    static const int32_t chans[] = {32, 64, 96, 128, 160, 200};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int i = 0; i < 96; i++) {
            conv_case t;
            memset(&t, 0, sizeof(t));
            t.dwise = 1;
            bpu_conv_geom *g = &t.g;
            g->kw = 3;
            g->kh = 1 + i % 4;
            g->dh = i % 5 == 4 ? 2 : 1;
            g->dw = 1;
            g->sh = g->sw = 1 + i / 4 % 2;
            int32_t ext_h = (g->kh - 1) * g->dh + 1;
            g->pad_top = rng_range(&r, 0, 2);
            g->pad_left = rng_range(&r, 0, 2);
            int32_t pb = rng_range(&r, 0, 2), pr = rng_range(&r, 0, 2);
            g->h = rng_range(&r, 1, 7);
            g->w = i % 8 == 7 ? rng_range(&r, 60, 140) : rng_range(&r, 1, 20);
            if (g->h + g->pad_top + pb < ext_h)
                g->h = ext_h;
            if (g->w + g->pad_left + pr < 3)
                g->w = 3;
            g->ho = (g->h + g->pad_top + pb - ext_h) / g->sh + 1;
            g->wo = (g->w + g->pad_left + pr - 3) / g->sw + 1;
            g->c = g->k = chans[i % 6];
            g->src_px = (size_t)g->c + (size_t)(i % 3 == 2 ? rng_range(&r, 1, 5) : 0);
            g->src_row = g->src_px * g->w + (size_t)rng_range(&r, 0, 3);
            fill_case(&r, &t, i % 7 == 3 ? 1 : i % 7 == 5 ? 2 : 0);
            if (k->native_pad & BPU_KPAD_DWCONV)
                g->pad_value = i % 3 == 0 ? 0 : rng_range(&r, -128, 127);
            int bad = run_case(k, &t);
            free_case(&t);
            assert_int_equal(bad, 0);
        }
    }
}

/* The fused CONV + requantiser kernels (conv_rq, dwconv_rq) of every variant that has them,
 * against the model convolution requantised by the model requantiser, on the random shapes of
 * make_case plus wide MobileNet-like rows (the depthwise one works in chunks of rows): random and
 * extreme multipliers and shifts (M = 2^31 - 1, r = 1, 33 and 62; every r >= 33 in some cases, the
 * short form of the AVX-512 requantiser), wrapping biases, all-extreme
 * activations and weights, output pixels with gaps (which must stay untouched). */
static int run_fused_case(rng *r, const bpu_kernels *k, const conv_case *t, int extreme,
                          int shortform)
{
    const bpu_conv_geom *g = &t->g;
    bpu_conv_rq_fn fn = t->dwise ? k->dwconv_rq : k->conv_rq;
    int32_t *mult = malloc((size_t)g->k * sizeof(int32_t));
    int32_t *shift = malloc((size_t)g->k * sizeof(int32_t));
    for (int32_t i = 0; i < g->k; i++) {
        mult[i] = extreme ? INT32_MAX : (int32_t)(0x40000000u + (rng_u32(r) & 0x3FFFFFFFu));
        /* extreme 1: r = 1 and 62 mixed; 2: r = 33 and 62 (every r >= 33: the short form of the
         * AVX-512 requantiser); else r in [10, 45], or [33, 40] in every third case */
        shift[i] = extreme == 1   ? (i % 2 ? 1 : 62)
                   : extreme == 2 ? (i % 2 ? 33 : 62)
                                  : rng_range(r, shortform ? 33 : 10, shortform ? 40 : 45);
    }
    bpu_conv_out o;
    o.mult = mult;
    o.shift = shift;
    o.lo = (int8_t)rng_range(r, -128, 0);
    o.hi = (int8_t)rng_range(r, 0, 127);
    o.dst_px = (size_t)g->k + (size_t)rng_range(r, 0, 5);
    o.dst_row = o.dst_px * (size_t)g->wo + (size_t)rng_range(r, 0, 7);
    size_t rows = (size_t)(t->oy1 - t->oy0), bytes = rows * o.dst_row;
    int8_t *dst = malloc(bytes);
    memset(dst, 0x5A, bytes);
    o.dst = dst;
    size_t scratch_n = (size_t)g->wo * g->k > 65536u ? (size_t)g->wo * g->k : 65536u;
    int32_t *scratch = malloc(scratch_n * sizeof(int32_t));
    fn(g, t->src, t->wpack, t->bias, t->oy0, t->oy1, &o, scratch);
    int bad = 0;
    for (int32_t oy = t->oy0; oy < t->oy1 && !bad; oy++) {
        const int8_t *row = dst + (size_t)(oy - t->oy0) * o.dst_row;
        for (int32_t ox = 0; ox < g->wo && !bad; ox++) {
            for (size_t kk = 0; kk < o.dst_px; kk++) {
                int32_t got = row[(size_t)ox * o.dst_px + kk];
                int32_t want = kk < (size_t)g->k
                                   ? model_requant64(model_conv_at(t, oy, ox, (int32_t)kk),
                                                     mult[kk], (uint32_t)shift[kk], o.lo, o.hi)
                                   : 0x5A; /* gap bytes untouched */
                if (got != want) {
                    print_error("%s %s_rq: h%d w%d c%d k%d kh%d kw%d s%d,%d d%d,%d at (%d,%d,%zu): "
                                "got %d want %d\n",
                                k->name, t->dwise ? "dw" : "conv", g->h, g->w, g->c, g->k, g->kh,
                                g->kw, g->sh, g->sw, g->dh, g->dw, oy, ox, kk, got, want);
                    bad = 1;
                    break;
                }
            }
        }
    }
    free(mult);
    free(shift);
    free(dst);
    free(scratch);
    return bad;
}

static void test_conv_fused(void **state)
{
    (void)state;
    rng r = {0xF05EDull};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int dwise = 0; dwise < 2; dwise++) {
            if (!(dwise ? k->dwconv_rq : k->conv_rq))
                continue;
            for (int i = 0; i < 240; i++) {
                conv_case t;
                int mode = i % 8 == 0 ? 1 : i % 8 == 1 ? 2 : 0;
                make_case(&r, &t, dwise, mode);
                if (i % 12 == 11) {
                    /* a MobileNet-like wide layer: 3x3 (or 1x1), many rows per chunk and several
                     * chunks */
                    free_case(&t);
                    memset(&t, 0, sizeof t);
                    t.dwise = dwise;
                    bpu_conv_geom *g = &t.g;
                    g->kh = g->kw = dwise || i % 24 == 11 ? 3 : 1;
                    g->sh = g->sw = rng_range(&r, 1, 2);
                    g->dh = g->dw = 1;
                    g->pad_top = g->pad_left = g->kh / 2;
                    g->h = rng_range(&r, 8, 30);
                    g->w = rng_range(&r, 20, 120);
                    g->ho = (g->h + 2 * g->pad_top - g->kh) / g->sh + 1;
                    g->wo = (g->w + 2 * g->pad_left - g->kw) / g->sw + 1;
                    g->c = rng_range(&r, 1, 2) == 1 ? 32 : rng_range(&r, 1, 100);
                    g->k = dwise ? g->c : rng_range(&r, 1, 80);
                    g->src_px = (size_t)g->c;
                    g->src_row = g->src_px * g->w;
                    fill_case(&r, &t, mode);
                    t.oy0 = 0;
                    t.oy1 = g->ho;
                }
                int bad = run_fused_case(&r, k, &t,
                                         i % 8 == 3   ? 1
                                         : i % 8 == 5 ? 2
                                                      : 0,
                                         i % 3 == 0);
                free_case(&t);
                assert_int_equal(bad, 0);
            }
        }
    }
}

/* A nonzero pad value, for the kernels whose variant claims to honour it (bpu_kernels.native_pad;
 * the executor pads a copy for the others): the random shapes of make_case and MobileNet-like
 * layers (3x3 stride 1 and 2 at 16 to 130 channels and rows wider than the column buffers, 4-row
 * kernels whose 4th row is padding at stride 2, kernels taller than 8 rows), pad values -128, 127,
 * -127 and random, unfused and fused. */
static void test_conv_pad_value(void **state)
{
    (void)state;
    rng r = {0xBADull};
    static const int32_t chans[] = {16, 32, 33, 64, 65, 100, 128, 130};
    static const int32_t pads[] = {-128, 127, -127};
    int ran = 0;
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int dwise = 0; dwise < 2; dwise++) {
            if (!(k->native_pad & (dwise ? BPU_KPAD_DWCONV : BPU_KPAD_CONV)))
                continue;
            ran++;
            for (int i = 0; i < 160; i++) {
                conv_case t;
                int mode = i % 10 == 0 ? 1 : 0;
                if (i % 2 == 0) {
                    make_case(&r, &t, dwise, mode);
                } else {
                    memset(&t, 0, sizeof t);
                    t.dwise = dwise;
                    bpu_conv_geom *g = &t.g;
                    int j = i / 2;
                    g->kh = j % 5 == 3 ? 4 : j % 5 == 4 ? rng_range(&r, 9, 11) : 3;
                    g->kw = j % 5 == 4 ? rng_range(&r, 1, 3) : 3;
                    g->sh = g->sw = 1 + j % 2;
                    g->dh = g->dw = 1;
                    g->pad_top = rng_range(&r, 0, g->kh - 1);
                    g->pad_left = rng_range(&r, 0, g->kw - 1);
                    int32_t pb = rng_range(&r, 0, g->kh - 1), pr = rng_range(&r, 0, g->kw - 1);
                    g->h = g->kh + rng_range(&r, 0, 4);
                    g->w = rng_range(&r, 3, 90);
                    g->ho = (g->h + g->pad_top + pb - g->kh) / g->sh + 1;
                    g->wo = (g->w + g->pad_left + pr - g->kw) / g->sw + 1;
                    g->c = chans[j % 8];
                    g->k = dwise ? g->c : rng_range(&r, 1, 40);
                    g->src_px = (size_t)g->c + (size_t)rng_range(&r, 0, 3);
                    g->src_row = g->src_px * g->w;
                    fill_case(&r, &t, mode);
                }
                t.g.pad_value = i % 4 < 3 ? pads[i % 4] : rng_range(&r, -128, 127);
                int bad = run_case(k, &t);
                bpu_conv_rq_fn fused = dwise ? k->dwconv_rq : k->conv_rq;
                if (!bad && fused)
                    bad = run_fused_case(&r, k, &t, 0, i % 3 == 0);
                free_case(&t);
                assert_int_equal(bad, 0);
            }
        }
    }
    assert_true(ran >= 2); /* at least the reference's two */
}

/* EWISE and POOL of every variant against the test's model, in a private SRAM image: random
 * tiles with pixel and row gaps, channel counts around the vector widths (8, 32), every operation
 * (ADD, SUB, MUL, MAX, MIN, scalar src2, in place on src1), multipliers 0 .. 2^31 - 1 and shifts
 * 1 .. 62 including the extremes, all-extreme activations (-128/127); POOL MAX and AVG (with and
 * without counting padding) over windows with every padding, and a global 7x7 average. */
#define VEC_SRAM (96u * 1024u)

typedef struct vec_tile {
    uint32_t px, row, base; /* bytes */
} vec_tile;

static vec_tile vec_place(rng *r, uint32_t *next, int32_t h, int32_t w, int32_t c)
{
    vec_tile t;
    t.px = (uint32_t)c + (uint32_t)rng_range(r, 0, 3);
    t.row = t.px * (uint32_t)w + (uint32_t)rng_range(r, 0, 5);
    t.base = *next;
    *next += t.row * (uint32_t)h + 64u;
    return t;
}

static void vec_fill(rng *r, uint8_t *sram, int extreme)
{
    for (uint32_t i = 0; i < VEC_SRAM; i++)
        sram[i] = (uint8_t)(extreme ? (rng_u32(r) & 1 ? 127 : 0x80) : rng_u32(r));
}

static int8_t model_ewise(uint32_t op, int64_t x1, int64_t x2, const bpu_ewise_op *e)
{
    uint32_t r = e->r;
    switch (op) {
    case BPU_EW_ADD:
        return model_clamp(
            model_floor_div_pow2(x1 * e->m1 + x2 * e->m2 + ((int64_t)1 << (r - 1)), r), e->lo,
            e->hi);
    case BPU_EW_SUB:
        return model_clamp(
            model_floor_div_pow2(x1 * e->m1 - x2 * e->m2 + ((int64_t)1 << (r - 1)), r), e->lo,
            e->hi);
    case BPU_EW_MUL:
        return model_clamp(model_floor_div_pow2(x1 * x2 * e->m1 + ((int64_t)1 << (r - 1)), r),
                           e->lo, e->hi);
    case BPU_EW_MAX:
        return model_clamp(x1 > x2 ? x1 : x2, e->lo, e->hi);
    default:
        return model_clamp(x1 < x2 ? x1 : x2, e->lo, e->hi);
    }
}

static void test_ewise_variants(void **state)
{
    (void)state;
    uint8_t *sram = malloc(VEC_SRAM), *before = malloc(VEC_SRAM);
    rng r = {0xE3153ull};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int it = 0; it < 400; it++) {
            bpu_ewise_op e;
            memset(&e, 0, sizeof e);
            uint32_t op = (uint32_t)(it % BPU_EW_COUNT);
            uint32_t flags = op | (it % 7 == 6 ? BPU_EWISE_SCALAR2 : 0u);
            int32_t h = rng_range(&r, 1, 4), w = rng_range(&r, 1, 9);
            int32_t c = it % 3 ? rng_range(&r, 1, 100) : 8 * rng_range(&r, 1, 8);
            uint32_t next = 0;
            vec_tile a = vec_place(&r, &next, h, w, c);
            vec_tile b = (flags & BPU_EWISE_SCALAR2) ? vec_place(&r, &next, h, w, 1)
                                                     : vec_place(&r, &next, h, w, c);
            int inplace = it % 5 == 4;
            vec_tile d = inplace ? a : vec_place(&r, &next, h, w, c);
            assert_true(next <= VEC_SRAM);
            e.src1 = a.base, e.src1_px = (uint16_t)a.px, e.src1_row = a.row;
            e.src2 = b.base, e.src2_px = (uint16_t)b.px, e.src2_row = b.row;
            e.dst = d.base, e.dst_px = (uint16_t)d.px, e.dst_row = d.row;
            e.h = (uint16_t)h, e.w = (uint16_t)w, e.c = (uint16_t)c;
            int extreme = it % 4 == 1;
            e.m1 = extreme ? 0x7FFFFFFFu : rng_u32(&r) >> 1;
            e.m2 = extreme ? (it % 8 == 1 ? 0u : 0x7FFFFFFFu) : rng_u32(&r) >> 1;
            e.r = (uint8_t)(extreme ? (it % 8 == 1 ? 1 : 62) : rng_range(&r, 20, 40));
            if (op == BPU_EW_MAX || op == BPU_EW_MIN)
                e.m1 = e.m2 = e.r = 0; /* as the validator requires */
            e.lo = (int8_t)rng_range(&r, -128, 0);
            e.hi = (int8_t)rng_range(&r, 0, 127);
            vec_fill(&r, sram, it % 6 == 2);
            memcpy(before, sram, VEC_SRAM);
            k->ewise(&e, flags, sram);
            for (int32_t y = 0; y < h; y++)
                for (int32_t x = 0; x < w; x++)
                    for (int32_t ch = 0; ch < c; ch++) {
                        const int8_t *pa = (const int8_t *)before + a.base + y * a.row + x * a.px;
                        const int8_t *pb = (const int8_t *)before + b.base + y * b.row + x * b.px;
                        int8_t want = model_ewise(op, pa[ch],
                                                  (flags & BPU_EWISE_SCALAR2) ? pb[0] : pb[ch], &e);
                        size_t at = d.base + (size_t)y * d.row + (size_t)x * d.px + (size_t)ch;
                        if ((int8_t)sram[at] != want)
                            print_error("%s ewise op %u flags %u h%d w%d c%d m1 %u m2 %u r %u at "
                                        "(%d,%d,%d): got %d want %d\n",
                                        k->name, op, flags, h, w, c, e.m1, e.m2, e.r, y, x, ch,
                                        (int8_t)sram[at], want);
                        assert_int_equal((int8_t)sram[at], want);
                        sram[at] = before[at]; /* so that only dst bytes may differ below */
                    }
            assert_memory_equal(sram, before, VEC_SRAM);
        }
    }
    free(sram);
    free(before);
}

static void test_pool_variants(void **state)
{
    (void)state;
    uint8_t *sram = malloc(VEC_SRAM), *before = malloc(VEC_SRAM);
    int32_t mult[64], shift[64]; /* kh * kw <= 49 here */
    rng r = {0x9001ull};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int it = 0; it < 300; it++) {
            bpu_pool_op p;
            memset(&p, 0, sizeof p);
            uint32_t flags = it % 2 ? BPU_POOL_AVG : 0u;
            if (it % 4 == 3)
                flags |= BPU_POOL_COUNT_PAD;
            int global = it % 10 == 9;
            p.kh = (uint8_t)(global ? 7 : rng_range(&r, 1, 4));
            p.kw = (uint8_t)(global ? 7 : rng_range(&r, 1, 4));
            p.sh = (uint8_t)rng_range(&r, 1, 3);
            p.sw = (uint8_t)rng_range(&r, 1, 3);
            p.pad_top = (uint8_t)(global ? 0 : rng_range(&r, 0, p.kh - 1));
            p.pad_left = (uint8_t)(global ? 0 : rng_range(&r, 0, p.kw - 1));
            p.pad_bottom = (uint8_t)(global ? 0 : rng_range(&r, 0, p.kh - 1));
            p.pad_right = (uint8_t)(global ? 0 : rng_range(&r, 0, p.kw - 1));
            p.h = (uint16_t)(global ? 7 : rng_range(&r, p.kh, p.kh + 6));
            p.w = (uint16_t)(global ? 7 : rng_range(&r, p.kw, p.kw + 8));
            p.c = (uint16_t)(global   ? 64
                             : it % 3 ? rng_range(&r, 1, 100)
                                      : 32 * rng_range(&r, 1, 3));
            p.ho = (uint16_t)((p.h + p.pad_top + p.pad_bottom - p.kh) / p.sh + 1);
            p.wo = (uint16_t)((p.w + p.pad_left + p.pad_right - p.kw) / p.sw + 1);
            p.lo = (int8_t)rng_range(&r, -128, 0);
            p.hi = (int8_t)rng_range(&r, 0, 127);
            uint32_t next = 0;
            vec_tile s = vec_place(&r, &next, p.h, p.w, p.c);
            vec_tile d = vec_place(&r, &next, p.ho, p.wo, p.c);
            assert_true(next <= VEC_SRAM);
            p.src = s.base, p.src_px = (uint16_t)s.px, p.src_row = s.row;
            p.dst = d.base, p.dst_px = (uint16_t)d.px, p.dst_row = d.row;
            int extreme = it % 6 == 1;
            for (int32_t i = 0; i < p.kh * p.kw; i++) {
                mult[i] =
                    extreme ? INT32_MAX : (int32_t)(0x40000000u + (rng_u32(&r) & 0x3FFFFFFFu));
                shift[i] = extreme ? (i % 2 ? 1 : 62) : rng_range(&r, 25, 36);
            }
            vec_fill(&r, sram, it % 5 == 2);
            memcpy(before, sram, VEC_SRAM);
            k->pool(&p, flags, sram, mult, shift);
            for (int32_t oy = 0; oy < p.ho; oy++)
                for (int32_t ox = 0; ox < p.wo; ox++)
                    for (int32_t ch = 0; ch < p.c; ch++) {
                        int64_t acc = (flags & BPU_POOL_AVG) ? 0 : -128;
                        int32_t n = 0;
                        for (int32_t ky = 0; ky < p.kh; ky++)
                            for (int32_t kx = 0; kx < p.kw; kx++) {
                                int32_t iy = oy * p.sh + ky - p.pad_top;
                                int32_t ix = ox * p.sw + kx - p.pad_left;
                                if (iy < 0 || ix < 0 || iy >= p.h || ix >= p.w)
                                    continue;
                                int8_t x8 = (int8_t)before[s.base + (size_t)iy * s.row +
                                                           (size_t)ix * s.px + (size_t)ch];
                                n++;
                                if (flags & BPU_POOL_AVG)
                                    acc += x8;
                                else if (x8 > acc)
                                    acc = x8;
                            }
                        if (flags & BPU_POOL_COUNT_PAD)
                            n = p.kh * p.kw;
                        int8_t want = (flags & BPU_POOL_AVG)
                                          ? model_requant64(acc, mult[n - 1],
                                                            (uint32_t)shift[n - 1], p.lo, p.hi)
                                          : model_clamp(acc, p.lo, p.hi);
                        size_t at = d.base + (size_t)oy * d.row + (size_t)ox * d.px + (size_t)ch;
                        if ((int8_t)sram[at] != want)
                            print_error("%s pool flags %u k%dx%d s%d,%d c%d at (%d,%d,%d): got %d "
                                        "want %d\n",
                                        k->name, flags, p.kh, p.kw, p.sh, p.sw, p.c, oy, ox, ch,
                                        (int8_t)sram[at], want);
                        assert_int_equal((int8_t)sram[at], want);
                        sram[at] = before[at];
                    }
            assert_memory_equal(sram, before, VEC_SRAM);
        }
    }
    free(sram);
    free(before);
}

static void test_requant_variants(void **state)
{
    (void)state;
    rng r = {777};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int it = 0; it < 200; it++) {
            int32_t n = rng_range(&r, 1, 9), kc = rng_range(&r, 1, 70);
            size_t px = (size_t)kc + (size_t)rng_range(&r, 0, 3);
            int32_t *acc = malloc((size_t)n * kc * sizeof(int32_t));
            int32_t *m = malloc((size_t)kc * sizeof(int32_t));
            int32_t *s = malloc((size_t)kc * sizeof(int32_t));
            int8_t *dst = malloc((size_t)n * px);
            for (int32_t i = 0; i < n * kc; i++)
                acc[i] = it % 4 == 0 ? (i & 1 ? INT32_MIN : INT32_MAX) : (int32_t)rng_u32(&r);
            for (int32_t i = 0; i < kc; i++) {
                m[i] =
                    it % 4 == 1 ? INT32_MAX : (int32_t)(0x40000000u + (rng_u32(&r) & 0x3FFFFFFFu));
                /* every r >= 33 in every third case (the short form of the AVX-512
                 * requantiser), 33 and 62 among the extremes */
                s[i] = it % 4 == 1   ? (it % 8 == 1 ? (i % 2 ? 1 : 62) : (i % 2 ? 33 : 62))
                       : it % 3 == 0 ? rng_range(&r, 33, it % 2 ? 40 : 62)
                                     : rng_range(&r, 1, 62);
            }
            int8_t lo = (int8_t)rng_range(&r, -128, 0), hi = (int8_t)rng_range(&r, 0, 127);
            memset(dst, 0x5A, (size_t)n * px);
            k->requant(acc, n, kc, m, s, lo, hi, dst, px);
            for (int32_t p = 0; p < n; p++) {
                for (int32_t i = 0; i < kc; i++) {
                    int8_t want = model_requant64(acc[p * kc + i], m[i], (uint32_t)s[i], lo, hi);
                    if (dst[(size_t)p * px + i] != want)
                        print_error("%s requant p%d k%d acc %d M %d r %d: got %d want %d\n",
                                    k->name, p, i, acc[p * kc + i], m[i], s[i],
                                    dst[(size_t)p * px + i], want);
                    assert_int_equal(dst[(size_t)p * px + i], want);
                }
                for (size_t i = (size_t)kc; i < px; i++) /* gap bytes untouched */
                    assert_int_equal(dst[(size_t)p * px + i], 0x5A);
            }
            free(acc);
            free(m);
            free(s);
            free(dst);
        }
    }
}

/* LUT, RESIZE and the REQUANT instruction of every variant against the test's models in a
 * private SRAM image: random tiles with pixel and row gaps (which must stay untouched), channel
 * counts around the vector widths (8, 16, 32), in place (LUT), all-extreme values. */
static void test_lut_variants(void **state)
{
    (void)state;
    uint8_t *sram = malloc(VEC_SRAM), *before = malloc(VEC_SRAM);
    rng r = {0x10707ull};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int it = 0; it < 200; it++) {
            int32_t h = rng_range(&r, 1, 4), w = rng_range(&r, 1, 9);
            int32_t c = it % 3 ? rng_range(&r, 1, 100) : 32 * rng_range(&r, 1, 3) + it % 2;
            uint32_t next = 256; /* the table at 0 */
            vec_tile a = vec_place(&r, &next, h, w, c);
            vec_tile d = it % 5 == 4 ? a : vec_place(&r, &next, h, w, c);
            assert_true(next <= VEC_SRAM);
            bpu_lut_op l = {.src = a.base,
                            .dst = d.base,
                            .table = 0,
                            .h = (uint16_t)h,
                            .w = (uint16_t)w,
                            .c = (uint16_t)c,
                            .src_px = (uint16_t)a.px,
                            .dst_px = (uint16_t)d.px,
                            .src_row = a.row,
                            .dst_row = d.row};
            vec_fill(&r, sram, it % 6 == 2);
            for (int i = 0; i < 256; i++) /* every entry distinct from its neighbours */
                sram[i] = (uint8_t)rng_u32(&r);
            memcpy(before, sram, VEC_SRAM);
            k->lut(&l, sram);
            for (int32_t y = 0; y < h; y++)
                for (int32_t x = 0; x < w; x++)
                    for (int32_t ch = 0; ch < c; ch++) {
                        int8_t in = (int8_t)before[a.base + y * a.row + x * a.px + ch];
                        int8_t want = (int8_t)before[in + 128];
                        size_t at = d.base + (size_t)y * d.row + (size_t)x * d.px + (size_t)ch;
                        if ((int8_t)sram[at] != want)
                            print_error("%s lut h%d w%d c%d at (%d,%d,%d): got %d want %d\n",
                                        k->name, h, w, c, y, x, ch, (int8_t)sram[at], want);
                        assert_int_equal((int8_t)sram[at], want);
                        sram[at] = before[at];
                    }
            assert_memory_equal(sram, before, VEC_SRAM);
        }
    }
    free(sram);
    free(before);
}

/* the model's source coordinate: off + step * o in Q16, clamped to [0, n - 1] */
static int64_t model_resize_coord(int32_t off, uint32_t step, int32_t o, int32_t n)
{
    int64_t s = (int64_t)off + (int64_t)step * o;
    return s < 0 ? 0 : s > ((int64_t)(n - 1) << 16) ? (int64_t)(n - 1) << 16 : s;
}

static void test_resize_variants(void **state)
{
    (void)state;
    uint8_t *sram = malloc(VEC_SRAM), *before = malloc(VEC_SRAM);
    rng r = {0x2E512Eull};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int it = 0; it < 200; it++) {
            uint32_t flags = it % 4 ? BPU_RESIZE_BILINEAR : 0u;
            int32_t h = rng_range(&r, 1, 6), w = rng_range(&r, 1, 7);
            int32_t ho = rng_range(&r, 1, 9), wo = rng_range(&r, 1, 9);
            int32_t c = it % 3 ? rng_range(&r, 1, 70) : 16 * rng_range(&r, 1, 3) + it % 2;
            uint32_t next = 0;
            vec_tile a = vec_place(&r, &next, h, w, c);
            vec_tile d = vec_place(&r, &next, ho, wo, c);
            assert_true(next <= VEC_SRAM);
            bpu_resize_op rs = {.src = a.base,
                                .dst = d.base,
                                .h = (uint16_t)h,
                                .w = (uint16_t)w,
                                .c = (uint16_t)c,
                                .ho = (uint16_t)ho,
                                .wo = (uint16_t)wo,
                                .src_px = (uint16_t)a.px,
                                .dst_px = (uint16_t)d.px,
                                .src_row = a.row,
                                .dst_row = d.row,
                                /* steps up to 3 pixels, offsets -2 .. +2 pixels: clamping both
                                 * sides, fractions 0 .. 2047 */
                                .step_y = rng_u32(&r) % (3u << 16),
                                .step_x = rng_u32(&r) % (3u << 16),
                                .off_y = rng_range(&r, -(2 << 16), 2 << 16),
                                .off_x = rng_range(&r, -(2 << 16), 2 << 16)};
            vec_fill(&r, sram, it % 6 == 2);
            memcpy(before, sram, VEC_SRAM);
            k->resize(&rs, flags, sram);
            for (int32_t y = 0; y < ho; y++) {
                int64_t sy = model_resize_coord(rs.off_y, rs.step_y, y, h);
                int32_t y0 = (int32_t)(sy / 65536), y1 = y0 + 1 < h ? y0 + 1 : y0;
                int64_t fy = sy % 65536 / 32;
                for (int32_t x = 0; x < wo; x++) {
                    int64_t sx = model_resize_coord(rs.off_x, rs.step_x, x, w);
                    int32_t x0 = (int32_t)(sx / 65536), x1 = x0 + 1 < w ? x0 + 1 : x0;
                    int64_t fx = sx % 65536 / 32;
                    for (int32_t ch = 0; ch < c; ch++) {
#define PX(yy, xx) ((int64_t)(int8_t)before[a.base + (yy)*a.row + (xx)*a.px + ch])
                        int64_t sum = PX(y0, x0) * (2048 - fy) * (2048 - fx) +
                                      PX(y0, x1) * (2048 - fy) * fx +
                                      PX(y1, x0) * fy * (2048 - fx) + PX(y1, x1) * fy * fx;
                        int8_t want = flags ? (int8_t)model_floor_div_pow2(sum + (1 << 21), 22)
                                            : (int8_t)PX(y0, x0);
#undef PX
                        size_t at = d.base + (size_t)y * d.row + (size_t)x * d.px + (size_t)ch;
                        if ((int8_t)sram[at] != want)
                            print_error("%s resize flags %u h%d w%d c%d ho%d wo%d at (%d,%d,%d): "
                                        "got %d want %d\n",
                                        k->name, flags, h, w, c, ho, wo, y, x, ch, (int8_t)sram[at],
                                        want);
                        assert_int_equal((int8_t)sram[at], want);
                        sram[at] = before[at];
                    }
                }
            }
            assert_memory_equal(sram, before, VEC_SRAM);
        }
    }
    free(sram);
    free(before);
}

static void test_requant_insn_variants(void **state)
{
    (void)state;
    uint8_t *sram = malloc(VEC_SRAM), *before = malloc(VEC_SRAM);
    int32_t mult[128], shift[128];
    rng r = {0x7E9A47ull};
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        if (!bpu_isa_available((bpu_isa)v) || bpu_kernels_get((bpu_isa)v, &k, NULL) != BPU_OK)
            continue;
        for (int it = 0; it < 240; it++) {
            int s32 = it % 2, perch = it / 2 % 2;
            uint32_t flags = (s32 ? BPU_RQ_SRC_S32 : 0u) | (perch ? BPU_RQ_PER_CHANNEL : 0u);
            int32_t h = rng_range(&r, 1, 4), w = rng_range(&r, 1, 7);
            int32_t c = it % 3 ? rng_range(&r, 1, 100) : 16 * rng_range(&r, 1, 4) + it % 3;
            uint32_t next = 0;
            /* int32 sources: 4-byte aligned pixels and rows */
            vec_tile a = vec_place(&r, &next, h, w, s32 ? 4 * c : c);
            if (s32) {
                a.px = (a.px + 3) / 4 * 4;
                a.row = a.px * (uint32_t)w + 4u * (uint32_t)rng_range(&r, 0, 2);
                next = a.base + a.row * (uint32_t)h + 64u;
            }
            vec_tile d = vec_place(&r, &next, h, w, c);
            assert_true(next <= VEC_SRAM);
            bpu_requant_op q = {.src = a.base,
                                .dst = d.base,
                                .param = 0,
                                .h = (uint16_t)h,
                                .w = (uint16_t)w,
                                .c = (uint16_t)c,
                                .src_px = (uint16_t)a.px,
                                .dst_px = (uint16_t)d.px,
                                .lo = (int8_t)rng_range(&r, -128, 0),
                                .hi = (int8_t)rng_range(&r, 0, 127),
                                .src_row = a.row,
                                .dst_row = d.row};
            int extreme = it % 5 == 3;
            for (int32_t i = 0; i < c; i++) {
                mult[i] =
                    extreme ? INT32_MAX : (int32_t)(0x40000000u + (rng_u32(&r) & 0x3FFFFFFFu));
                shift[i] = extreme ? (i % 2 ? 1 : 62) : rng_range(&r, s32 ? 20 : 1, s32 ? 45 : 40);
            }
            vec_fill(&r, sram, it % 6 == 2);
            memcpy(before, sram, VEC_SRAM);
            k->requant_insn(&q, flags, sram, mult, shift);
            for (int32_t y = 0; y < h; y++)
                for (int32_t x = 0; x < w; x++)
                    for (int32_t ch = 0; ch < c; ch++) {
                        const uint8_t *ps = before + a.base + y * a.row + x * a.px;
                        int32_t in;
                        if (s32)
                            memcpy(&in, ps + 4 * ch, 4);
                        else
                            in = (int8_t)ps[ch];
                        int32_t i = perch ? ch : 0;
                        int8_t want = model_requant64(in, mult[i], (uint32_t)shift[i], q.lo, q.hi);
                        size_t at = d.base + (size_t)y * d.row + (size_t)x * d.px + (size_t)ch;
                        if ((int8_t)sram[at] != want)
                            print_error("%s requant flags %u h%d w%d c%d at (%d,%d,%d): got %d "
                                        "want %d\n",
                                        k->name, flags, h, w, c, y, x, ch, (int8_t)sram[at], want);
                        assert_int_equal((int8_t)sram[at], want);
                        sram[at] = before[at];
                    }
            assert_memory_equal(sram, before, VEC_SRAM);
        }
    }
    free(sram);
    free(before);
}

static void test_variant_selection(void **state)
{
    (void)state;
    const bpu_kernels *k = NULL;
    bpu_error err;
    setenv("HB_ISA", "ref", 1);
    assert_int_equal(bpu_kernels_select(&k, &err), BPU_OK);
    assert_string_equal(k->name, "ref");
    setenv("HB_ISA", "sse9", 1);
    assert_int_equal(bpu_kernels_select(&k, &err), BPU_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "sse9"));
    static const char *const names[] = {"ref", "avx2", "avx512vnni", "neon", "neondot"};
    _Static_assert(sizeof(names) / sizeof(names[0]) == BPU_ISA_COUNT, "one name per variant");
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        setenv("HB_ISA", names[v], 1);
        bpu_status st = bpu_kernels_select(&k, &err);
        if (bpu_isa_available((bpu_isa)v)) {
            assert_int_equal(st, BPU_OK);
            assert_string_equal(k->name, names[v]);
        } else {
            assert_int_equal(st, BPU_E_UNSUPPORTED);
            assert_non_null(strstr(err.msg, names[v]));
        }
    }
    unsetenv("HB_ISA");
    /* without HB_ISA: the best variant the CPU runs; HB_BPU_EXPECT_ISA (set by scripts/test_arm.sh
     * per emulated CPU model) names the one this machine must get */
    assert_int_equal(bpu_kernels_select(&k, &err), BPU_OK);
    for (int v = BPU_ISA_COUNT - 1; v >= 0; v--) {
        if (bpu_isa_available((bpu_isa)v)) {
            assert_string_equal(k->name, names[v]);
            break;
        }
    }
    const char *expect = getenv("HB_BPU_EXPECT_ISA");
    if (expect && *expect) {
        print_message("kernel variant chosen: %s (expected %s)\n", k->name, expect);
        assert_string_equal(k->name, expect);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_normal),
        cmocka_unit_test(test_conv_depthwise),
        cmocka_unit_test(test_conv_every_padding),
        cmocka_unit_test(test_conv_wide_rows),
        cmocka_unit_test(test_conv_mobilenet_shapes),
        cmocka_unit_test(test_conv_dw_stream_paths),
        cmocka_unit_test(test_conv_fused),
        cmocka_unit_test(test_conv_pad_value),
        cmocka_unit_test(test_requant_variants),
        cmocka_unit_test(test_ewise_variants),
        cmocka_unit_test(test_lut_variants),
        cmocka_unit_test(test_resize_variants),
        cmocka_unit_test(test_requant_insn_variants),
        cmocka_unit_test(test_pool_variants),
        cmocka_unit_test(test_variant_selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
