/* The functional executor, instruction by instruction, against scalar models written here from
 * docs/bpu-isa.md (no library kernel is called to make an expected value), plus run-time faults,
 * the cycle model (hand-derived counts), the static estimate == run rule, JSON and trace. Runs
 * with the kernel variant HB_ISA selects (ctest runs it twice: best variant and HB_ISA=ref). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "bpu/sim.h"
#include "bpu_test_util.h"

#define SRAM_BYTES (1u << 20) /* bernoulli2 */

typedef struct fixture {
    bpu_sim *sim;
    uint8_t *S;      /* SRAM */
    uint8_t *before; /* SRAM copy taken before the run */
    rng r;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    bpu_error err;
    if (!f || bpu_sim_create(BPU_MARCH_BERNOULLI2, NULL, &f->sim, &err) != BPU_OK)
        return -1;
    f->S = bpu_sim_sram(f->sim);
    const char *want = getenv("HB_ISA"); /* the variant the executor runs with is the one asked */
    if (want && *want && strcmp(bpu_sim_kernels(f->sim)->name, want) != 0) /* "": unset */
        return -1;
    f->before = malloc(SRAM_BYTES);
    f->r.s = 0xC0FFEE;
    for (uint32_t i = 0; i < SRAM_BYTES; i++)
        f->S[i] = (uint8_t)rng_u32(&f->r);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    bpu_sim_destroy(f->sim);
    free(f->before);
    free(f);
    return 0;
}

static bpu_insn end_insn(void)
{
    bpu_insn e = {.opcode = BPU_OP_END};
    e.u.end.code = 7;
    return e;
}

/* Load p (bernoulli2) and run it with bpu_sim_run (exec 0) or bpu_sim_exec (exec 1); returns the
 * load's status if it fails (printed; never BPU_E_FAULT, a run-time status), else the run's, and
 * keeps a pre-run SRAM copy in f->before. */
static bpu_status run_prog_how(fixture *f, const prog *p, int exec, bpu_counters *ctr,
                               bpu_error *err)
{
    bpu_program *pg = NULL;
    bpu_status st = prog_load(p, BPU_MARCH_BERNOULLI2, &pg, err);
    if (st != BPU_OK) {
        print_error("load: %s\n", err->msg);
        return st;
    }
    memcpy(f->before, f->S, SRAM_BYTES);
    bpu_counters c;
    st = exec ? bpu_sim_exec(f->sim, pg, err) : bpu_sim_run(f->sim, pg, ctr ? ctr : &c, err);
    bpu_program_free(pg);
    return st;
}

static bpu_status run_prog(fixture *f, const prog *p, bpu_counters *ctr, bpu_error *err)
{
    return run_prog_how(f, p, 0, ctr, err);
}

/* run_prog_how of [in, END] */
static bpu_status run1_how(fixture *f, const bpu_insn *in, int exec, bpu_counters *ctr,
                           bpu_error *err)
{
    prog p = {.n = 0};
    bpu_insn e = end_insn();
    PROG_SET(&p, in, &e);
    return run_prog_how(f, &p, exec, ctr, err);
}

static bpu_status run1(fixture *f, const bpu_insn *in, bpu_counters *ctr, bpu_error *err)
{
    return run1_how(f, in, 0, ctr, err);
}

/* Run body once per kernel variant this machine supports, each on its own simulator whose SRAM
 * starts as a copy of the fixture's (f->sim and f->S point at it meanwhile). */
static void for_each_variant(fixture *f, void (*body)(fixture *f, const char *variant))
{
    bpu_sim *home = f->sim;
    uint8_t *home_sram = f->S;
    int ran = 0;
    for (int v = 0; v < BPU_ISA_COUNT; v++) {
        const bpu_kernels *k = NULL;
        bpu_sim *sim = NULL;
        bpu_error err = {0, ""};
        if (!bpu_isa_available((bpu_isa)v))
            continue;
        assert_int_equal(bpu_kernels_get((bpu_isa)v, &k, &err), BPU_OK);
        assert_int_equal(bpu_sim_create(BPU_MARCH_BERNOULLI2, k, &sim, &err), BPU_OK);
        memcpy(bpu_sim_sram(sim), home_sram, SRAM_BYTES);
        f->sim = sim;
        f->S = bpu_sim_sram(sim);
        body(f, k->name);
        f->sim = home;
        f->S = home_sram;
        bpu_sim_destroy(sim);
        ran++;
    }
    assert_true(ran >= 1);
}

static void expect_ok(fixture *f, const bpu_insn *in)
{
    bpu_error err = {0, ""};
    bpu_status st = run1(f, in, NULL, &err);
    if (st != BPU_OK)
        print_error("%s\n", err.msg);
    assert_int_equal(st, BPU_OK);
}

static void fill_rand(fixture *f, uint32_t addr, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        f->S[addr + i] = (uint8_t)rng_u32(&f->r);
}

static int8_t B(const fixture *f, uint64_t addr) /* pre-run SRAM byte */
{
    return (int8_t)f->before[addr];
}

/* SRAM address of channel c of pixel (y, x) in a map at base with row and pixel strides in bytes */
static uint64_t hwc(uint64_t base, uint32_t row, uint32_t px, int32_t y, int32_t x, int32_t c)
{
    return base + (uint64_t)y * row + (uint64_t)x * px + (uint64_t)c;
}

static int8_t out8(const fixture *f, uint64_t addr) /* post-run SRAM byte */
{
    return (int8_t)f->S[addr];
}

static void put_rq(uint8_t *p, int64_t m, uint32_t r) /* {M i32, r u8, 0, 0, 0} */
{
    wr32(p, m);
    p[4] = (uint8_t)r;
    p[5] = p[6] = p[7] = 0;
}

/* ---- LOAD / STORE ------------------------------------------------------------------------- */

static void test_load_store(void **state)
{
    fixture *f = *state;
    uint8_t ddr_in[4096], ddr_out[4096];
    for (int i = 0; i < 4096; i++)
        ddr_in[i] = (uint8_t)rng_u32(&f->r);
    memset(ddr_out, 0xEE, sizeof(ddr_out));
    assert_int_equal(bpu_sim_set_segment(f->sim, 1, ddr_in, sizeof(ddr_in), NULL), BPU_OK);
    assert_int_equal(bpu_sim_set_segment(f->sim, 2, ddr_out, sizeof(ddr_out), NULL), BPU_OK);
    bpu_insn ld = {.opcode = BPU_OP_LOAD};
    bpu_dma_op *d = &ld.u.dma;
    *d = (bpu_dma_op){.seg = 1,
                      .fill = -5,
                      .pad_top = 1,
                      .pad_bottom = 2,
                      .pad_left = 3,
                      .pad_right = 1,
                      .ddr_off = 10,
                      .ddr_stride_y = 40,
                      .ddr_stride_z = 300,
                      .sram = 1000,
                      .sram_stride_y = 30,
                      .sram_stride_z = 200,
                      .x_bytes = 17,
                      .y_rows = 3,
                      .z_planes = 2};
    bpu_counters ctr;
    bpu_error err;
    assert_int_equal(run1(f, &ld, &ctr, &err), BPU_OK);
    for (uint32_t z = 0; z < 2; z++) {
        for (uint32_t y = 0; y < 6; y++) {
            for (uint32_t x = 0; x < 21; x++) {
                int in_data = y >= 1 && y < 4 && x >= 3 && x < 20;
                uint8_t want = in_data ? ddr_in[10 + z * 300 + (y - 1) * 40 + (x - 3)] : 0xFB;
                assert_int_equal(f->S[1000 + z * 200 + y * 30 + x], want);
            }
            for (uint32_t x = 21; x < 30; x++) /* row gap untouched */
                assert_int_equal(f->S[1000 + z * 200 + y * 30 + x],
                                 f->before[1000 + z * 200 + y * 30 + x]);
        }
    }
    /* hand-derived cycles: 6 rows of 17 B -> 6 bursts of 64 B = 384 B at min(16000, 10667)
     * B/kcycle: ceil(384000 / 10667) = 36; fill = 2 * (6 * 21 - 3 * 17) = 150 B -> ceil(150/64) =
     * 3;
     * + 300 setup = 339; END drains: total 339 */
    assert_int_equal(ctr.queue_busy[BPU_Q_LOAD], 339);
    assert_int_equal(ctr.cycles, 339);
    assert_int_equal(ctr.ddr_load_bytes, 2 * 3 * 17);
    assert_int_equal(ctr.end_code, 7);

    bpu_insn st = {.opcode = BPU_OP_STORE};
    st.u.dma = (bpu_dma_op){.seg = 2,
                            .ddr_off = 5,
                            .ddr_stride_y = 25,
                            .ddr_stride_z = 160,
                            .sram = 1000,
                            .sram_stride_y = 30,
                            .sram_stride_z = 200,
                            .x_bytes = 21,
                            .y_rows = 6,
                            .z_planes = 2};
    assert_int_equal(run1(f, &st, &ctr, &err), BPU_OK);
    for (uint32_t z = 0; z < 2; z++)
        for (uint32_t y = 0; y < 6; y++)
            for (uint32_t x = 0; x < 21; x++)
                assert_int_equal(ddr_out[5 + z * 160 + y * 25 + x],
                                 f->S[1000 + z * 200 + y * 30 + x]);
    assert_int_equal(ddr_out[4], 0xEE);
    assert_int_equal(ctr.ddr_store_bytes, 2 * 6 * 21);

    /* faults: outside the segment, unbound segment */
    d->ddr_off = 4000;
    assert_int_equal(run1(f, &ld, NULL, &err), BPU_E_FAULT);
    assert_int_equal(err.insn, 0);
    assert_non_null(strstr(err.msg, "ddr_off"));
    d->ddr_off = 0;
    d->seg = 5;
    assert_int_equal(run1(f, &ld, NULL, &err), BPU_E_FAULT);
    assert_non_null(strstr(err.msg, "seg"));
    bpu_sim_set_segment(f->sim, 1, NULL, 0, NULL);
    bpu_sim_set_segment(f->sim, 2, NULL, 0, NULL);
}

/* ---- CONV ---------------------------------------------------------------------------------- */

typedef struct conv_t {
    bpu_insn in;
    int8_t *w; /* unpacked [k][ky][kx][c] or [ky][kx][c] */
} conv_t;

/* The pad value of a random CONV: 0 (zero padding) half of the time, else an extreme, the offset
 * activations' -127, or any byte. */
static int8_t pick_pad(rng *r)
{
    static const int8_t special[] = {0, 0, 0, -127, -128, 127};
    uint32_t i = rng_u32(r) % 7;
    return i < sizeof(special) ? special[i] : rng_s8(r);
}

/* A random CONV at fixed SRAM places: src 0, dst 0x40000, wgt 0x80000, param 0xC0000,
 * acc 0xD0000. max_pad: the largest pad on each side (above kh - 1 some outputs read only
 * padding rows or columns). */
static void make_conv_pads(fixture *f, conv_t *t, int dwise, uint8_t flags_extra, int32_t max_pad)
{
    rng *r = &f->r;
    memset(t, 0, sizeof(*t));
    bpu_conv_op *c = &t->in.u.conv;
    t->in.opcode = BPU_OP_CONV;
    t->in.flags = (uint8_t)((dwise ? BPU_CONV_DEPTHWISE : 0) | flags_extra);
    c->kh = (uint8_t)rng_range(r, 1, 3);
    c->kw = (uint8_t)rng_range(r, 1, 3);
    c->sh = (uint8_t)rng_range(r, 1, 2);
    c->sw = (uint8_t)rng_range(r, 1, 2);
    c->dh = (uint8_t)rng_range(r, 1, 2);
    c->dw = (uint8_t)rng_range(r, 1, 2);
    c->pad_top = (uint8_t)rng_range(r, 0, max_pad);
    c->pad_bottom = (uint8_t)rng_range(r, 0, max_pad);
    c->pad_left = (uint8_t)rng_range(r, 0, max_pad);
    c->pad_right = (uint8_t)rng_range(r, 0, max_pad);
    c->pad = pick_pad(r);
    c->h = (uint16_t)rng_range(r, 3, 9);
    c->w = (uint16_t)rng_range(r, 3, 11);
    c->c = (uint16_t)rng_range(r, 1, 70);
    c->k = dwise ? c->c : (uint16_t)rng_range(r, 1, 70);
    /* a dilated kernel must fit the padded map (kh, kw <= 3 <= h, w always do undilated) */
    if (c->h + c->pad_top + c->pad_bottom < (c->kh - 1) * c->dh + 1)
        c->dh = 1;
    if (c->w + c->pad_left + c->pad_right < (c->kw - 1) * c->dw + 1)
        c->dw = 1;
    c->ho = (uint16_t)((c->h + c->pad_top + c->pad_bottom - ((c->kh - 1) * c->dh + 1)) / c->sh + 1);
    c->wo = (uint16_t)((c->w + c->pad_left + c->pad_right - ((c->kw - 1) * c->dw + 1)) / c->sw + 1);
    c->src = 0;
    c->src_px = (uint16_t)(c->c + rng_range(r, 0, 3));
    c->src_row = (uint32_t)c->src_px * c->w + 5;
    int acc_out = (t->in.flags & BPU_CONV_ACC_OUT) != 0;
    c->dst = 0x40000;
    c->dst_px = (uint16_t)(acc_out ? 4 * c->k : c->k + rng_range(r, 0, 2));
    c->dst_row = (uint32_t)c->dst_px * c->wo;
    c->wgt = 0x80000;
    c->param = 0xC0000;
    c->lo = acc_out ? 0 : (int8_t)rng_range(r, -128, -1);
    c->hi = acc_out ? 0 : (int8_t)rng_range(r, 0, 127);
    fill_rand(f, c->src, c->src_row * c->h + 64);
    size_t wn = (size_t)c->kh * c->kw * c->c * (dwise ? 1 : c->k);
    t->w = malloc(wn);
    for (size_t i = 0; i < wn; i++)
        t->w[i] = rng_s8(r);
    if (dwise)
        memcpy(f->S + c->wgt, t->w, wn);
    else
        pack_normal(t->w, c->k, c->kh, c->kw, c->c, (int8_t *)(f->S + c->wgt));
    for (uint32_t k = 0; k < c->k; k++) {
        uint8_t *rec = f->S + c->param + k * BPU_PARAM_BYTES;
        wr32(rec, rng_range(r, -5000, 5000));
        put_rq(rec + 4, 0x40000000 + (rng_u32(r) & 0x3FFFFFFF), (uint32_t)rng_range(r, 8, 16));
    }
}

static void make_conv(fixture *f, conv_t *t, int dwise, uint8_t flags_extra)
{
    make_conv_pads(f, t, dwise, flags_extra, 2);
}

static int64_t model_conv_acc(const fixture *f, const conv_t *t, int32_t oy, int32_t ox, int32_t k)
{
    const bpu_conv_op *c = &t->in.u.conv;
    int dwise = (t->in.flags & BPU_CONV_DEPTHWISE) != 0;
    int64_t sum = 0;
    for (int32_t ky = 0; ky < c->kh; ky++) {
        for (int32_t kx = 0; kx < c->kw; kx++) {
            /* docs/bpu-isa.md section 6: iy = oy*sh - pad_top + ky*dh, outside the map x = pad */
            int32_t iy = oy * c->sh - c->pad_top + ky * c->dh;
            int32_t ix = ox * c->sw - c->pad_left + kx * c->dw;
            int outside = iy < 0 || ix < 0 || iy >= c->h || ix >= c->w;
            uint64_t px = outside ? 0 : hwc(c->src, c->src_row, c->src_px, iy, ix, 0);
            if (dwise) {
                int64_t x = outside ? c->pad : B(f, px + k);
                sum += x * t->w[((size_t)ky * c->kw + kx) * c->c + k];
            } else {
                for (int32_t ch = 0; ch < c->c; ch++)
                    sum += (int64_t)(outside ? c->pad : B(f, px + ch)) *
                           t->w[(((size_t)k * c->kh + ky) * c->kw + kx) * c->c + ch];
            }
        }
    }
    return sum;
}

static int32_t rd32s(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return model_wrap32(u);
}

static void check_conv_int8(const fixture *f, const conv_t *t)
{
    const bpu_conv_op *c = &t->in.u.conv;
    for (int32_t oy = 0; oy < c->ho; oy++)
        for (int32_t ox = 0; ox < c->wo; ox++)
            for (int32_t k = 0; k < c->k; k++) {
                const uint8_t *rec = f->before + c->param + k * BPU_PARAM_BYTES;
                int64_t acc = rd32s(rec) + model_conv_acc(f, t, oy, ox, k);
                int8_t want = model_requant64(acc, rd32s(rec + 4), rec[8], c->lo, c->hi);
                int8_t got = out8(f, hwc(c->dst, c->dst_row, c->dst_px, oy, ox, k));
                if (got != want)
                    print_error("conv (%d,%d,%d): got %d want %d\n", oy, ox, k, got, want);
                assert_int_equal(got, want);
            }
}

/* Any CONV (NORMAL or DEPTHWISE, with or without ACC_IN/ACC_OUT) against the model: the start
 * value (bias or int32 partial), the sum, wrapped to int32, then written or requantised. */
static void check_conv_any(const fixture *f, const conv_t *t, const char *variant)
{
    const bpu_conv_op *c = &t->in.u.conv;
    int acc_in = (t->in.flags & BPU_CONV_ACC_IN) != 0;
    int acc_out = (t->in.flags & BPU_CONV_ACC_OUT) != 0;
    for (int32_t oy = 0; oy < c->ho; oy++)
        for (int32_t ox = 0; ox < c->wo; ox++)
            for (int32_t k = 0; k < c->k; k++) {
                const uint8_t *rec = f->before + c->param + k * BPU_PARAM_BYTES;
                size_t at = ((size_t)oy * c->wo + ox) * c->k + k;
                int64_t base = acc_in ? rd32s(f->before + c->acc + at * 4) : rd32s(rec);
                int32_t acc = model_wrap32(base + model_conv_acc(f, t, oy, ox, k));
                const uint8_t *d =
                    f->S + hwc(c->dst, c->dst_row, c->dst_px, oy, ox, acc_out ? 4 * k : k);
                int64_t got = acc_out ? rd32s(d) : (int8_t)d[0];
                int64_t want =
                    acc_out ? acc : model_requant64(acc, rd32s(rec + 4), rec[8], c->lo, c->hi);
                if (got != want)
                    print_error("%s: conv flags 0x%x pad %d (%d,%d,%d): got %lld want %lld\n",
                                variant, t->in.flags, c->pad, oy, ox, k, (long long)got,
                                (long long)want);
                assert_int_equal(got, want);
            }
}

/* Run t's CONV (exec: bpu_sim_exec, else bpu_sim_run) and check it against the scalar model. */
static void run_check_conv(fixture *f, const conv_t *t, int exec, const char *variant)
{
    bpu_error err = {0, ""};
    bpu_status st = run1_how(f, &t->in, exec, NULL, &err);
    if (st != BPU_OK)
        print_error("%s: %s\n", variant, err.msg);
    assert_int_equal(st, BPU_OK);
    check_conv_any(f, t, variant);
}

static void test_conv(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 40; i++) {
        conv_t t;
        make_conv(f, &t, i % 2, 0);
        expect_ok(f, &t.in);
        check_conv_int8(f, &t);
        free(t.w);
    }
}

/* A channel-split accumulation chain: ACC_OUT (bias + first 32 input channels, int32 to SRAM),
 * then ACC_IN (rest of the channels, requantised) equals the single CONV. */
static void test_conv_acc_chain(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 10; i++) {
        conv_t t;
        make_conv(f, &t, 0, 0);
        bpu_conv_op *c = &t.in.u.conv;
        if (c->c <= 32) {
            free(t.w);
            continue;
        }
        /* expected: the whole conv */
        memcpy(f->before, f->S, SRAM_BYTES);
        int8_t *want = malloc((size_t)c->ho * c->wo * c->k);
        for (int32_t oy = 0; oy < c->ho; oy++)
            for (int32_t ox = 0; ox < c->wo; ox++)
                for (int32_t k = 0; k < c->k; k++) {
                    const uint8_t *rec = f->before + c->param + k * BPU_PARAM_BYTES;
                    int64_t acc = rd32s(rec) + model_conv_acc(f, &t, oy, ox, k);
                    want[((size_t)oy * c->wo + ox) * c->k + k] =
                        model_requant64(acc, rd32s(rec + 4), rec[8], c->lo, c->hi);
                }
        /* split weights: part A = channels [0, 32), part B = [32, c) */
        uint16_t cb = (uint16_t)(c->c - 32);
        int8_t *wa = malloc((size_t)c->k * c->kh * c->kw * 32);
        int8_t *wb = malloc((size_t)c->k * c->kh * c->kw * cb);
        for (size_t kt = 0; kt < (size_t)c->k * c->kh * c->kw; kt++) {
            memcpy(wa + kt * 32, t.w + kt * c->c, 32);
            memcpy(wb + kt * cb, t.w + kt * c->c + 32, cb);
        }
        prog p = {.n = 0};
        bpu_insn a = t.in, b = t.in, e = end_insn();
        a.flags = BPU_CONV_ACC_OUT;
        a.u.conv.c = 32;
        a.u.conv.lo = a.u.conv.hi = 0;
        a.u.conv.dst = 0xD0000;
        a.u.conv.dst_px = (uint16_t)(4 * c->k);
        a.u.conv.dst_row = 4u * c->k * c->wo;
        pack_normal(wa, c->k, c->kh, c->kw, 32, (int8_t *)(f->S + 0x80000));
        b.flags = BPU_CONV_ACC_IN;
        b.u.conv.c = cb;
        b.u.conv.src = 32;
        b.u.conv.acc = 0xD0000;
        b.u.conv.wgt = 0xA0000;
        pack_normal(wb, c->k, c->kh, c->kw, cb, (int8_t *)(f->S + 0xA0000));
        PROG_SET(&p, &a, &b, &e);
        bpu_error err;
        assert_int_equal(run_prog(f, &p, NULL, &err), BPU_OK); /* the load's status included */
        for (int32_t oy = 0; oy < c->ho; oy++)
            for (int32_t ox = 0; ox < c->wo; ox++)
                for (int32_t k = 0; k < c->k; k++)
                    assert_int_equal(out8(f, hwc(c->dst, c->dst_row, c->dst_px, oy, ox, k)),
                                     want[((size_t)oy * c->wo + ox) * c->k + k]);
        free(want);
        free(wa);
        free(wb);
        free(t.w);
    }
}

/* Padding with a value (docs/bpu-isa.md section 6: outside the map x = pad) on every kernel
 * variant, NORMAL and DEPTHWISE, every ACC_IN/ACC_OUT combination, pads up to 4 (wider than the
 * kernel: whole rows and columns of padding), dilations, through bpu_sim_run and bpu_sim_exec. */
static void conv_pad_body(fixture *f, const char *variant)
{
    static const uint8_t flag_sets[] = {0, BPU_CONV_ACC_OUT, BPU_CONV_ACC_IN,
                                        BPU_CONV_ACC_IN | BPU_CONV_ACC_OUT};
    for (int i = 0; i < 32; i++) {
        conv_t t;
        uint8_t fl = flag_sets[i / 2 % 4];
        make_conv_pads(f, &t, i % 2, fl, 4);
        bpu_conv_op *c = &t.in.u.conv;
        if (i % 8 < 4) /* the values the converter and the extremes use, on both kernel kinds */
            c->pad = (int8_t)(i % 8 == 0 ? -127 : i % 8 == 1 ? -128 : i % 8 == 2 ? 127 : 0);
        if (fl & BPU_CONV_ACC_IN) {
            c->acc = 0xD0000;
            fill_rand(f, c->acc, (uint32_t)c->ho * c->wo * c->k * 4u);
        }
        if ((fl & BPU_CONV_ACC_IN) && (fl & BPU_CONV_ACC_OUT))
            c->param = 0;
        for (int exec = 0; exec < 2; exec++) {
            run_check_conv(f, &t, exec, variant);
        }
        free(t.w);
    }
}

static void test_conv_pad_value(void **state)
{
    for_each_variant(*state, conv_pad_body);
}

/* Tiles whose padded input exceeds the executor's 256 KiB copy band, so the copy is made band by
 * band (rows shared by two bands copied twice, the last band reaching into the bottom padding):
 * DEPTHWISE 32x48x160 3x3 pads 1 (rows of 50 * 160 = 8000 B: bands of 30 + 2 output rows),
 * NORMAL 40x48x128 -> 2, 3x3, pads top 2 / left 0 / bottom 0 / right 2 (6400 B: 38 + 2). */
static void conv_pad_bands_body(fixture *f, const char *variant)
{
    for (int dwise = 0; dwise < 2; dwise++) {
        for (int exec = 0; exec < 2; exec++) {
            conv_t t;
            make_conv(f, &t, dwise, 0);
            free(t.w);
            bpu_conv_op *c = &t.in.u.conv;
            c->h = (uint16_t)(dwise ? 32 : 40);
            c->w = 48;
            c->c = (uint16_t)(dwise ? 160 : 128);
            c->k = (uint16_t)(dwise ? 160 : 2);
            c->kh = c->kw = 3;
            c->sh = c->sw = c->dh = c->dw = 1;
            c->pad_top = (uint8_t)(dwise ? 1 : 2);
            c->pad_bottom = (uint8_t)(dwise ? 1 : 0);
            c->pad_left = (uint8_t)(dwise ? 1 : 0);
            c->pad_right = (uint8_t)(dwise ? 1 : 2);
            c->pad = (int8_t)(exec ? -128 : -127);
            c->ho = c->h;
            c->wo = c->w;
            c->src_px = c->c;
            c->src_row = (uint32_t)c->c * c->w;
            c->dst_px = c->k;
            c->dst_row = (uint32_t)c->k * c->wo;
            fill_rand(f, c->src, c->src_row * c->h + 64);
            size_t wn = (size_t)9 * c->c * (dwise ? 1 : c->k);
            t.w = malloc(wn);
            for (size_t i = 0; i < wn; i++)
                t.w[i] = rng_s8(&f->r);
            if (dwise)
                memcpy(f->S + c->wgt, t.w, wn);
            else
                pack_normal(t.w, c->k, 3, 3, c->c, (int8_t *)(f->S + c->wgt));
            for (uint32_t k = 0; k < c->k; k++) {
                uint8_t *rec = f->S + c->param + k * BPU_PARAM_BYTES;
                wr32(rec, rng_range(&f->r, -5000, 5000));
                put_rq(rec + 4, 0x40000000 + (rng_u32(&f->r) & 0x3FFFFFFF), 14);
            }
            run_check_conv(f, &t, exec, variant);
            free(t.w);
        }
    }
}

static void test_conv_pad_bands(void **state)
{
    for_each_variant(*state, conv_pad_bands_body);
}

/* A 1x1 input (c = 2: x = 5, -3), 3x3 kernel, padding 1 on every side: 8 of the 9 taps are
 * padding. NORMAL, k = 1, weights (c0, c1) = (1, 2) on every padded tap and (3, -1) at the centre,
 * bias 100, (M, r) = (2^30, 35), i.e. times 1/32:
 *   pad -127: 100 + 8 * (-127*1 + -127*2) + (5*3 + -3*-1) = 100 - 3048 + 18 = -2930;
 *             int8 round(-2930/32 = -91.5625) = floor(-91.0625) = -92
 *   pad 0:    100 + 18 = 118; int8 floor(3.6875 + 0.5) = 4
 * DEPTHWISE, k = c = 2, the same weights per channel, biases (100, -50):
 *   pad -127: ch0 100 - 8*127 + 15 = -901 -> floor(-28.15625 + 0.5) = -28;
 *             ch1 -50 - 8*254 + 3 = -2079 -> floor(-64.96875 + 0.5) = -65
 *   pad 0:    ch0 115 -> floor(3.59375 + 0.5) = 4; ch1 -47 -> floor(-1.46875 + 0.5) = -1 */
static void conv_pad_hand_body(fixture *f, const char *variant)
{
    static const struct {
        int dwise, acc_out;
        int8_t pad;
        int32_t want[2];
    } cases[] = {
        {0, 1, -127, {-2930}}, {0, 0, -127, {-92}},         {0, 1, 0, {118}},
        {0, 0, 0, {4}},        {1, 1, -127, {-901, -2079}}, {1, 0, -127, {-28, -65}},
        {1, 1, 0, {115, -47}}, {1, 0, 0, {4, -1}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int dwise = cases[i].dwise, acc_out = cases[i].acc_out;
        uint16_t k = (uint16_t)(dwise ? 2 : 1);
        bpu_insn in = conv_insn(
            (uint8_t)((dwise ? BPU_CONV_DEPTHWISE : 0) | (acc_out ? BPU_CONV_ACC_OUT : 0)), 1, 1, 2,
            k, 3, 1);
        in.u.conv.pad = cases[i].pad;
        f->S[0] = 5;
        f->S[1] = (uint8_t)-3;
        int8_t w[2][9][2]; /* [k][tap][c] (NORMAL, k = 1) or [0][tap][ch] (DEPTHWISE) */
        for (int t = 0; t < 9; t++) {
            w[0][t][0] = (int8_t)(t == 4 ? 3 : 1);
            w[0][t][1] = (int8_t)(t == 4 ? -1 : 2);
        }
        if (dwise)
            memcpy(f->S + 0x80000, w[0], 18);
        else
            pack_normal(&w[0][0][0], 1, 3, 3, 2, (int8_t *)(f->S + 0x80000));
        static const int32_t bias[2] = {100, -50};
        for (uint32_t kk = 0; kk < k; kk++) {
            wr32(f->S + 0xC0000 + kk * BPU_PARAM_BYTES, bias[kk]);
            put_rq(f->S + 0xC0000 + kk * BPU_PARAM_BYTES + 4, 0x40000000, 35);
        }
        expect_ok(f, &in);
        for (uint32_t kk = 0; kk < k; kk++) {
            int32_t got = acc_out ? rd32s(f->S + 0x40000 + 4 * kk) : (int8_t)f->S[0x40000 + kk];
            if (got != cases[i].want[kk])
                print_error("%s: case %zu channel %u: got %d want %d\n", variant, i, kk, got,
                            cases[i].want[kk]);
            assert_int_equal(got, cases[i].want[kk]);
        }
    }
}

static void test_conv_pad_by_hand(void **state)
{
    for_each_variant(*state, conv_pad_hand_body);
}

static void test_conv_faults(void **state)
{
    fixture *f = *state;
    conv_t t;
    bpu_error err;
    make_conv(f, &t, 0, 0);
    bpu_conv_op *c = &t.in.u.conv;
    f->S[c->param + 7] = 0x10; /* record 0: M < 2^30 */
    assert_int_equal(run1(f, &t.in, NULL, &err), BPU_E_FAULT);
    assert_non_null(strstr(err.msg, "param"));
    assert_int_equal(err.insn, 0);
    free(t.w);
    make_conv(f, &t, 0, 0);
    c = &t.in.u.conv;
    if (c->c % 4 != 0) {
        /* a nonzero padding weight (input channel >= c in the last group) */
        size_t k16 = ((size_t)c->k + 15) / 16 * 16, c4 = ((size_t)c->c + 3) / 4;
        f->S[c->wgt + ((c4 - 1) * k16) * 4 + 3] = 1;
        assert_int_equal(run1(f, &t.in, NULL, &err), BPU_E_FAULT);
        assert_non_null(strstr(err.msg, "wgt"));
    }
    free(t.w);
}

/* ---- EWISE --------------------------------------------------------------------------------- */

static void test_ewise(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 60; i++) {
        uint32_t op = (uint32_t)(i % 5);
        int mode = i / 5 % 3; /* 0 full, 1 per-channel broadcast, 2 scalar */
        bpu_insn in = {.opcode = BPU_OP_EWISE,
                       .flags = (uint8_t)(op | (mode == 2 ? BPU_EWISE_SCALAR2 : 0))};
        bpu_ewise_op *e = &in.u.ewise;
        e->h = (uint16_t)rng_range(&f->r, 1, 6);
        e->w = (uint16_t)rng_range(&f->r, 1, 7);
        e->c = (uint16_t)rng_range(&f->r, 1, 40);
        e->src1 = 0x1000;
        e->src1_px = e->c;
        e->src1_row = (uint32_t)e->c * e->w + 3;
        e->src2 = 0x20000;
        e->src2_px = mode ? 0 : (uint16_t)(e->c + 1);
        e->src2_row = mode ? 0 : (uint32_t)(e->c + 1) * e->w;
        e->dst = 0x40000;
        e->dst_px = (uint16_t)(e->c + 2);
        e->dst_row = (uint32_t)(e->c + 2) * e->w;
        e->lo = (int8_t)rng_range(&f->r, -128, -50);
        e->hi = (int8_t)rng_range(&f->r, 50, 127);
        if (op <= BPU_EW_SUB) {
            e->m1 = 0x40000000u + (rng_u32(&f->r) & 0x3FFFFFFF);
            e->m2 = rng_u32(&f->r) & 0x7FFFFFFF;
            e->r = (uint8_t)rng_range(&f->r, 29, 32);
        } else if (op == BPU_EW_MUL) {
            e->m1 = 0x40000000u + (rng_u32(&f->r) & 0x3FFFFFFF);
            e->r = (uint8_t)rng_range(&f->r, 34, 40);
        }
        fill_rand(f, 0x1000, 0x8000);
        fill_rand(f, 0x20000, 0x8000);
        expect_ok(f, &in);
        for (int32_t y = 0; y < e->h; y++)
            for (int32_t x = 0; x < e->w; x++)
                for (int32_t c = 0; c < e->c; c++) {
                    int64_t a = B(f, hwc(e->src1, e->src1_row, e->src1_px, y, x, c));
                    int64_t b = mode == 2 ? B(f, e->src2)
                                          : B(f, hwc(e->src2, e->src2_row, e->src2_px, y, x, c));
                    int8_t want;
                    if (op == BPU_EW_ADD)
                        want = model_requant64(a * e->m1 + b * e->m2, 1, e->r, e->lo, e->hi);
                    else if (op == BPU_EW_SUB)
                        want = model_requant64(a * e->m1 - b * e->m2, 1, e->r, e->lo, e->hi);
                    else if (op == BPU_EW_MUL)
                        want = model_requant64(a * b, e->m1, e->r, e->lo, e->hi);
                    else if (op == BPU_EW_MAX)
                        want = model_clamp(a > b ? a : b, e->lo, e->hi);
                    else
                        want = model_clamp(a < b ? a : b, e->lo, e->hi);
                    assert_int_equal(out8(f, hwc(e->dst, e->dst_row, e->dst_px, y, x, c)), want);
                }
    }
}

/* ---- POOL ---------------------------------------------------------------------------------- */

static void test_pool(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 40; i++) {
        int avg = i % 2, count_pad = avg && (i / 2) % 2;
        bpu_insn in = {
            .opcode = BPU_OP_POOL,
            .flags = (uint8_t)((avg ? BPU_POOL_AVG : 0) | (count_pad ? BPU_POOL_COUNT_PAD : 0))};
        bpu_pool_op *p = &in.u.pool;
        p->kh = (uint8_t)rng_range(&f->r, 1, 3);
        p->kw = (uint8_t)rng_range(&f->r, 1, 3);
        p->sh = (uint8_t)rng_range(&f->r, 1, 2);
        p->sw = (uint8_t)rng_range(&f->r, 1, 2);
        p->pad_top = (uint8_t)rng_range(&f->r, 0, p->kh - 1);
        p->pad_bottom = (uint8_t)rng_range(&f->r, 0, p->kh - 1);
        p->pad_left = (uint8_t)rng_range(&f->r, 0, p->kw - 1);
        p->pad_right = (uint8_t)rng_range(&f->r, 0, p->kw - 1);
        p->h = (uint16_t)rng_range(&f->r, 3, 8);
        p->w = (uint16_t)rng_range(&f->r, 3, 8);
        p->c = (uint16_t)rng_range(&f->r, 1, 20);
        p->ho = (uint16_t)((p->h + p->pad_top + p->pad_bottom - p->kh) / p->sh + 1);
        p->wo = (uint16_t)((p->w + p->pad_left + p->pad_right - p->kw) / p->sw + 1);
        p->src = 0x1000;
        p->src_px = p->c;
        p->src_row = (uint32_t)p->c * p->w;
        p->dst = 0x40000;
        p->dst_px = p->c;
        p->dst_row = (uint32_t)p->c * p->wo;
        p->lo = -128;
        p->hi = (int8_t)rng_range(&f->r, 0, 127);
        fill_rand(f, 0x1000, 0x1000);
        if (avg) {
            p->param = 0x60000;
            for (uint32_t n = 1; n <= (uint32_t)p->kh * p->kw; n++) /* any legal (M, r) per n */
                put_rq(f->S + p->param + (n - 1) * BPU_RQ_BYTES,
                       0x40000000 + (rng_u32(&f->r) & 0x3FFFFFFF), 30 + n % 4);
        }
        expect_ok(f, &in);
        for (int32_t oy = 0; oy < p->ho; oy++)
            for (int32_t ox = 0; ox < p->wo; ox++)
                for (int32_t c = 0; c < p->c; c++) {
                    int64_t acc = avg ? 0 : -1000;
                    int32_t n = 0;
                    for (int32_t ky = 0; ky < p->kh; ky++)
                        for (int32_t kx = 0; kx < p->kw; kx++) {
                            int32_t iy = oy * p->sh + ky - p->pad_top,
                                    ix = ox * p->sw + kx - p->pad_left;
                            if (iy < 0 || ix < 0 || iy >= p->h || ix >= p->w)
                                continue;
                            int64_t v = B(f, hwc(p->src, p->src_row, p->src_px, iy, ix, c));
                            acc = avg ? acc + v : (v > acc ? v : acc);
                            n++;
                        }
                    if (count_pad)
                        n = p->kh * p->kw;
                    int8_t want;
                    if (avg) {
                        const uint8_t *rec = f->before + p->param + (n - 1) * BPU_RQ_BYTES;
                        want = model_requant64(acc, rd32s(rec), rec[4], p->lo, p->hi);
                    } else {
                        want = model_clamp(acc, p->lo, p->hi);
                    }
                    assert_int_equal(out8(f, hwc(p->dst, p->dst_row, p->dst_px, oy, ox, c)), want);
                }
    }
}

/* ---- RESIZE, LUT, REQUANT, COPY, FILL ------------------------------------------------------- */

static void test_resize(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 20; i++) {
        int bil = i % 2;
        bpu_insn in = {.opcode = BPU_OP_RESIZE, .flags = (uint8_t)(bil ? BPU_RESIZE_BILINEAR : 0)};
        bpu_resize_op *r = &in.u.resize;
        r->h = (uint16_t)rng_range(&f->r, 1, 6);
        r->w = (uint16_t)rng_range(&f->r, 1, 6);
        r->c = (uint16_t)rng_range(&f->r, 1, 9);
        r->ho = (uint16_t)rng_range(&f->r, 1, 13);
        r->wo = (uint16_t)rng_range(&f->r, 1, 13);
        r->src = 0x1000;
        r->src_px = r->c;
        r->src_row = (uint32_t)r->c * r->w;
        r->dst = 0x40000;
        r->dst_px = r->c;
        r->dst_row = (uint32_t)r->c * r->wo;
        r->step_y = (uint32_t)(((uint64_t)r->h << 16) / r->ho);
        r->step_x = (uint32_t)(((uint64_t)r->w << 16) / r->wo);
        r->off_y = (int32_t)(r->step_y / 2) - 32768; /* half-pixel centres */
        r->off_x = (int32_t)(r->step_x / 2) - 32768;
        fill_rand(f, 0x1000, 0x400);
        expect_ok(f, &in);
        for (int32_t oy = 0; oy < r->ho; oy++)
            for (int32_t ox = 0; ox < r->wo; ox++)
                for (int32_t c = 0; c < r->c; c++) {
                    int64_t sy = (int64_t)r->off_y + (int64_t)r->step_y * oy;
                    int64_t sx = (int64_t)r->off_x + (int64_t)r->step_x * ox;
                    sy = sy < 0                             ? 0
                         : sy > ((int64_t)(r->h - 1) << 16) ? (int64_t)(r->h - 1) << 16
                                                            : sy;
                    sx = sx < 0                             ? 0
                         : sx > ((int64_t)(r->w - 1) << 16) ? (int64_t)(r->w - 1) << 16
                                                            : sx;
                    int32_t y0 = (int32_t)(sy / 65536), x0 = (int32_t)(sx / 65536);
                    int32_t y1 = y0 + 1 < r->h ? y0 + 1 : y0, x1 = x0 + 1 < r->w ? x0 + 1 : x0;
                    int64_t fy = sy % 65536 / 32, fx = sx % 65536 / 32;
#define PX(yy, xx) ((int64_t)B(f, hwc(r->src, r->src_row, r->src_px, (yy), (xx), c)))
                    int8_t want;
                    if (!bil)
                        want = (int8_t)PX(y0, x0);
                    else
                        want = (int8_t)model_floor_div_pow2(
                            PX(y0, x0) * (2048 - fy) * (2048 - fx) + PX(y0, x1) * (2048 - fy) * fx +
                                PX(y1, x0) * fy * (2048 - fx) + PX(y1, x1) * fy * fx + (1 << 21),
                            22);
#undef PX
                    assert_int_equal(out8(f, hwc(r->dst, r->dst_row, r->dst_px, oy, ox, c)), want);
                }
    }
}

static void test_lut_requant_copy_fill(void **state)
{
    fixture *f = *state;
    /* LUT */
    bpu_insn in = {.opcode = BPU_OP_LUT};
    in.u.lut = (bpu_lut_op){.src = 0x1000,
                            .dst = 0x40000,
                            .table = 0x60000,
                            .h = 3,
                            .w = 5,
                            .c = 7,
                            .src_px = 8,
                            .dst_px = 7,
                            .src_row = 50,
                            .dst_row = 35};
    fill_rand(f, 0x1000, 0x400);
    expect_ok(f, &in);
    for (int32_t y = 0; y < 3; y++)
        for (int32_t x = 0; x < 5; x++)
            for (int32_t c = 0; c < 7; c++) {
                int8_t v = B(f, 0x1000 + y * 50 + x * 8 + c);
                assert_int_equal((int8_t)f->S[0x40000 + y * 35 + x * 7 + c],
                                 B(f, 0x60000 + v + 128));
            }
    /* REQUANT int32 per-channel and int8 per-tensor */
    for (int s32 = 0; s32 < 2; s32++) {
        bpu_insn q = {.opcode = BPU_OP_REQUANT,
                      .flags = (uint8_t)(s32 ? BPU_RQ_SRC_S32 | BPU_RQ_PER_CHANNEL : 0)};
        bpu_requant_op *rq = &q.u.requant;
        *rq = (bpu_requant_op){.src = 0x1000,
                               .dst = 0x40000,
                               .param = 0x60000,
                               .h = 2,
                               .w = 3,
                               .c = 9,
                               .src_px = (uint16_t)(s32 ? 40 : 9),
                               .dst_px = 9,
                               .lo = -100,
                               .hi = 90,
                               .src_row = s32 ? 120u : 27u,
                               .dst_row = 27};
        for (uint32_t c = 0; c < 9; c++)
            put_rq(f->S + 0x60000 + c * BPU_RQ_BYTES, 0x40000000 + (rng_u32(&f->r) & 0x3FFFFFFF),
                   s32 ? 20u + c : 30u);
        expect_ok(f, &q);
        for (int32_t y = 0; y < 2; y++)
            for (int32_t x = 0; x < 3; x++)
                for (int32_t c = 0; c < 9; c++) {
                    uint64_t a = hwc(0x1000, rq->src_row, rq->src_px, y, x, 0);
                    int64_t v = s32 ? rd32s(f->before + a + 4 * c) : B(f, a + c);
                    const uint8_t *rec = f->before + 0x60000 + (s32 ? c : 0) * BPU_RQ_BYTES;
                    assert_int_equal((int8_t)f->S[0x40000 + y * 27 + x * 9 + c],
                                     model_requant64(v, rd32s(rec), rec[4], -100, 90));
                }
    }
    /* COPY and FILL */
    bpu_insn cp = {.opcode = BPU_OP_COPY};
    cp.u.copy = (bpu_copy_op){.src = 0x1003,
                              .dst = 0x40001,
                              .x_bytes = 13,
                              .y_rows = 4,
                              .z_planes = 2,
                              .src_stride_y = 20,
                              .src_stride_z = 100,
                              .dst_stride_y = 15,
                              .dst_stride_z = 70};
    expect_ok(f, &cp);
    for (int z = 0; z < 2; z++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 13; x++)
                assert_int_equal(f->S[0x40001 + z * 70 + y * 15 + x],
                                 f->before[0x1003 + z * 100 + y * 20 + x]);
    assert_int_equal(f->S[0x40001 + 13], f->before[0x40001 + 13]);
    bpu_insn fl = {.opcode = BPU_OP_FILL};
    fl.u.copy = (bpu_copy_op){
        .dst = 0x40001, .value = -3, .x_bytes = 5, .y_rows = 2, .z_planes = 1, .dst_stride_y = 9};
    expect_ok(f, &fl);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 9; x++)
            assert_int_equal(f->S[0x40001 + y * 9 + x],
                             x < 5 ? 0xFD : f->before[0x40001 + y * 9 + x]);
}

/* ---- CVTIMG -------------------------------------------------------------------------------- */

static void test_cvtimg(void **state)
{
    fixture *f = *state;
    /* BT.601 full range YUV -> RGB in Q12 folded with (v - 128) normalisation: the parameters are
     * arbitrary legal values here; the model applies the documented formula. */
    static const int32_t coef[3][3] = {{4096, 0, 5743}, {4096, -1410, -2925}, {4096, 7258, 0}};
    for (int yuv444 = 0; yuv444 < 2; yuv444++) {
        bpu_insn in = {.opcode = BPU_OP_CVTIMG, .flags = (uint8_t)(yuv444 ? BPU_CVT_YUV444 : 0)};
        bpu_cvtimg_op *c = &in.u.cvtimg;
        c->h = 6;
        c->w = 8;
        c->src_y = 0x1000;
        c->y_row = yuv444 ? 30 : 10;
        c->src_uv = yuv444 ? 0 : 0x2000;
        c->uv_row = yuv444 ? 0 : 12;
        c->dst = 0x40000;
        c->dst_px = 3;
        c->dst_row = 24;
        c->param = 0x60000;
        c->lo = -128;
        c->hi = 127;
        for (int o = 0; o < 3; o++) {
            uint8_t *rec = f->S + 0x60000 + o * BPU_CVT_BYTES;
            for (int j = 0; j < 3; j++)
                wr32(rec + 4 * j, coef[o][j]);
            wr32(rec + 12, -128 * 4096);
            put_rq(rec + 16, 0x40000000, 13 + o);
        }
        fill_rand(f, 0x1000, 0x2000);
        expect_ok(f, &in);
        for (int32_t y = 0; y < 6; y++)
            for (int32_t x = 0; x < 8; x++) {
                int64_t d[3];
                if (yuv444) {
                    const uint8_t *s = f->before + 0x1000 + y * 30 + x * 3;
                    d[0] = s[0];
                    d[1] = s[1] - 128;
                    d[2] = s[2] - 128;
                } else {
                    d[0] = f->before[0x1000 + y * 10 + x];
                    d[1] = f->before[0x2000 + (y / 2) * 12 + (x / 2) * 2] - 128;
                    d[2] = f->before[0x2000 + (y / 2) * 12 + (x / 2) * 2 + 1] - 128;
                }
                for (int o = 0; o < 3; o++) {
                    int64_t acc =
                        coef[o][0] * d[0] + coef[o][1] * d[1] + coef[o][2] * d[2] - 128 * 4096;
                    assert_int_equal(
                        (int8_t)f->S[0x40000 + y * 24 + x * 3 + o],
                        model_requant64(acc, 0x40000000, (uint32_t)(13 + o), -128, 127));
                }
            }
    }
}

/* ---- SETBASE ------------------------------------------------------------------------------- */

static void test_setbase(void **state)
{
    fixture *f = *state;
    uint8_t ddr[256];
    for (int i = 0; i < 256; i++)
        ddr[i] = (uint8_t)i;
    bpu_sim_set_segment(f->sim, 4, ddr, sizeof(ddr), NULL);
    prog p = {.n = 0};
    bpu_insn sb = {.opcode = BPU_OP_SETBASE}, ld = dma_insn(BPU_OP_LOAD, 0, 6, 0x3000, 40);
    bpu_insn e = end_insn();
    sb.u.setbase = (bpu_setbase_op){.seg = 6, .src_seg = 4, .offset = 100, .size = 50};
    ld.u.dma.ddr_off = 10;
    PROG_SET(&p, &sb, &ld, &e);
    bpu_error err;
    assert_int_equal(run_prog(f, &p, NULL, &err), BPU_OK);
    for (int i = 0; i < 40; i++)
        assert_int_equal(f->S[0x3000 + i], 110 + i);
    /* a load beyond the 50-byte window faults at instruction 1 (the program loads: a fault is a
     * run-time status) */
    ld.u.dma.ddr_off = 11;
    PROG_SET(&p, &sb, &ld, &e);
    assert_int_equal(run_prog(f, &p, NULL, &err), BPU_E_FAULT);
    assert_int_equal(err.insn, 1);
    bpu_sim_set_segment(f->sim, 4, NULL, 0, NULL);
    bpu_sim_set_segment(f->sim, 6, NULL, 0, NULL);
}

/* ---- cycle model, estimate == run, JSON, trace ---------------------------------------------- */

typedef struct trace_log {
    int n;
    bpu_trace_event ev[16];
} trace_log;

static void on_trace(void *user, const bpu_trace_event *ev)
{
    trace_log *t = user;
    if (t->n < 16)
        t->ev[t->n++] = *ev;
}

static void test_cycle_model(void **state)
{
    fixture *f = *state;
    uint8_t ddr[8192] = {0};
    bpu_sim_set_segment(f->sim, 1, ddr, sizeof(ddr), NULL);
    bpu_sim_set_segment(f->sim, 2, ddr, sizeof(ddr), NULL);
    /* two tiles, double-buffered: LOAD a (push), LOAD b (push), FILL a (pop, push),
     * FILL b (pop, push), STORE a (pop), STORE b (pop), END */
    bpu_insn la = dma_insn(BPU_OP_LOAD, BPU_DEP_PUSH_NEXT, 1, 0x1000, 640);
    bpu_insn lb = dma_insn(BPU_OP_LOAD, BPU_DEP_PUSH_NEXT, 1, 0x2000, 640);
    bpu_insn fa = fill_insn(BPU_DEP_POP_PREV | BPU_DEP_PUSH_NEXT, 0x1000, 1, 3200);
    bpu_insn fb = fill_insn(BPU_DEP_POP_PREV | BPU_DEP_PUSH_NEXT, 0x2000, 1, 3200);
    bpu_insn sa = dma_insn(BPU_OP_STORE, BPU_DEP_POP_PREV, 2, 0x1000, 640);
    bpu_insn sbb = dma_insn(BPU_OP_STORE, BPU_DEP_POP_PREV, 2, 0x2000, 640);
    sbb.u.dma.ddr_off = 1000;
    bpu_insn e = end_insn();
    prog p = {.n = 0};
    PROG_SET(&p, &la, &lb, &fa, &fb, &sa, &sbb, &e);
    bpu_program *pg = NULL;
    bpu_error err;
    bpu_counters ctr;
    trace_log tl = {0};
    assert_int_equal(prog_load(&p, BPU_MARCH_BERNOULLI2, &pg, &err), BPU_OK);
    bpu_sim_set_trace(f->sim, on_trace, &tl);
    assert_int_equal(bpu_sim_run(f->sim, pg, &ctr, &err), BPU_OK);
    bpu_sim_set_trace(f->sim, NULL, NULL);
    /* hand derivation, bernoulli2: DMA of 640 B = 10 bursts = 640 B at 10667 B/kcycle:
     * ceil(640000 / 10667) = 60, + 300 setup = 360 cycles. FILL of 3200 B at 32 lanes = 100.
     * LOAD a [0, 360), LOAD b [360, 720); FILL a [360, 460), FILL b [720, 820);
     * STORE a [460, 820), STORE b [820, 1180); END at 1180. */
    assert_int_equal(ctr.cycles, 1180);
    assert_int_equal(ctr.queue_busy[BPU_Q_LOAD], 720);
    assert_int_equal(ctr.queue_busy[BPU_Q_EXEC], 200);
    assert_int_equal(ctr.queue_busy[BPU_Q_STORE], 720);
    assert_int_equal(ctr.op_count[BPU_OP_LOAD], 2);
    assert_int_equal(ctr.op_cycles[BPU_OP_FILL], 200);
    assert_int_equal(tl.n, 7);
    assert_int_equal(tl.ev[2].index, 2); /* FILL a starts at 360, before LOAD b's successor */
    assert_int_equal(tl.ev[2].start, 360);
    int seen_sa = 0;
    for (int i = 0; i < tl.n; i++)
        if (tl.ev[i].index == 4) {
            seen_sa = 1;
            assert_int_equal(tl.ev[i].start, 460);
            assert_int_equal(tl.ev[i].end, 820);
        }
    assert_true(seen_sa);
    /* the static estimate is the same model */
    const bpu_counters *est = bpu_program_estimate(pg);
    assert_int_equal(est->cycles, ctr.cycles);
    assert_memory_equal(est->queue_busy, ctr.queue_busy, sizeof(ctr.queue_busy));
    assert_memory_equal(est->op_cycles, ctr.op_cycles, sizeof(ctr.op_cycles));
    assert_int_equal(est->ddr_load_bytes, 1280);
    assert_int_equal(est->ddr_store_bytes, 1280);
    assert_int_equal(est->sram_peak, 0x2000 + 3200);
    char json[2048];
    size_t need = bpu_counters_json(&ctr, json, sizeof(json));
    assert_true(need < sizeof(json));
    assert_non_null(strstr(json, "\"cycles\":1180"));
    assert_non_null(strstr(json, "\"fill\":{\"count\":2,\"cycles\":200}"));
    assert_non_null(strstr(json, "\"ddr_load_bytes\":1280"));
    char small[16];
    assert_int_equal(bpu_counters_json(&ctr, small, sizeof(small)), need);
    assert_int_equal(strlen(small), 15);
    bpu_program_free(pg);
    bpu_sim_set_segment(f->sim, 1, NULL, 0, NULL);
    bpu_sim_set_segment(f->sim, 2, NULL, 0, NULL);
}

/* CONV cycles by hand: NORMAL 3x3, C=40, K=70, 8x8 out on bernoulli2 (32x32 array):
 * ceil(40/32)=2 * ceil(70/32)=3 * 64 px * 9 taps = 3456 + 64 pipeline = 3520. */
static void test_conv_cycles(void **state)
{
    (void)state;
    bpu_insn in = conv_insn(0, 8, 8, 40, 70, 3, 1), e = end_insn();
    prog p = {.n = 0};
    PROG_SET(&p, &in, &e);
    bpu_program *pg = NULL;
    bpu_error err;
    assert_int_equal(prog_load(&p, BPU_MARCH_BERNOULLI2, &pg, &err), BPU_OK);
    assert_int_equal(bpu_program_estimate(pg)->cycles, 3520);
    assert_int_equal(bpu_program_estimate(pg)->macs, 64ull * 70 * 40 * 9);
    bpu_program_free(pg);
    /* depthwise 3x3 C=70 on bayes-e (64 lanes x 8 taps): ceil(70/64)=2 * 64 * ceil(9/8)=2 + 64 */
    in = conv_insn(BPU_CONV_DEPTHWISE, 8, 8, 70, 70, 3, 1);
    PROG_SET(&p, &in, &e);
    assert_int_equal(prog_load(&p, BPU_MARCH_BAYES_E, &pg, &err), BPU_OK);
    assert_int_equal(bpu_program_estimate(pg)->cycles, 2 * 64 * 2 + 64);
    bpu_program_free(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_store),
        cmocka_unit_test(test_conv),
        cmocka_unit_test(test_conv_acc_chain),
        cmocka_unit_test(test_conv_pad_value),
        cmocka_unit_test(test_conv_pad_by_hand),
        cmocka_unit_test(test_conv_pad_bands),
        cmocka_unit_test(test_conv_faults),
        cmocka_unit_test(test_ewise),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_lut_requant_copy_fill),
        cmocka_unit_test(test_cvtimg),
        cmocka_unit_test(test_setbase),
        cmocka_unit_test(test_cycle_model),
        cmocka_unit_test(test_conv_cycles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
