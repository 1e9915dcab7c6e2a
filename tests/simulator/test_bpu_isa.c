/* ISA: encode/decode round trip for every opcode, hand-derived byte layout, decoder rejections,
 * validator and program-level rules (each error names the instruction index and field), the
 * disassembler, the numerics helpers (hand-derived values) and the march table. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "bpu/numerics.h"
#include "bpu/sim.h"
#include "bpu_test_util.h"

typedef struct field_list {
    int n;
    const char *name[40];
    uint32_t off[40], width[40];
    int64_t value[40];
} field_list;

static void collect(void *user, const char *name, uint32_t offset, uint32_t width, int64_t value)
{
    field_list *l = user;
    if (l->n < 40) {
        l->name[l->n] = name;
        l->off[l->n] = offset;
        l->width[l->n] = width;
        l->value[l->n] = value;
        l->n++;
    }
}

static void test_round_trip_every_opcode(void **state)
{
    (void)state;
    rng r = {42};
    for (uint32_t op = 1; op < BPU_OP_COUNT; op++) {
        for (int rep = 0; rep < 50; rep++) {
            bpu_insn a;
            uint8_t *raw = (uint8_t *)&a;
            for (size_t i = 0; i < sizeof(a); i++)
                raw[i] = (uint8_t)rng_u32(&r);
            a.opcode = (uint8_t)op;
            uint8_t bytes[BPU_INSN_BYTES], again[BPU_INSN_BYTES];
            bpu_insn b;
            bpu_error err;
            assert_int_equal(bpu_encode(&a, bytes, &err), BPU_OK);
            assert_int_equal(bytes[0], op);
            assert_int_equal(bytes[1], a.dep);
            assert_int_equal(bytes[2], a.flags);
            assert_int_equal(bpu_decode(bytes, rep, &b, &err), BPU_OK);
            field_list fa = {0}, fb = {0};
            assert_int_equal(bpu_insn_fields(&a, collect, &fa), bpu_insn_fields(&b, collect, &fb));
            assert_int_equal(fa.n, fb.n);
            uint8_t covered[BPU_INSN_BYTES] = {1, 1, 1, 0};
            for (int i = 0; i < fa.n; i++) {
                assert_string_equal(fa.name[i], fb.name[i]);
                assert_int_equal(fa.value[i], fb.value[i]);
                /* the field's bytes hold its value little-endian */
                uint64_t v = 0;
                for (uint32_t k = 0; k < fa.width[i]; k++) {
                    assert_int_equal(covered[fa.off[i] + k], 0); /* fields never overlap */
                    covered[fa.off[i] + k] = 1;
                    v |= (uint64_t)bytes[fa.off[i] + k] << (8 * k);
                }
                uint64_t mask = fa.width[i] == 4 ? 0xFFFFFFFFu : fa.width[i] == 2 ? 0xFFFFu : 0xFFu;
                assert_int_equal(v, (uint64_t)fa.value[i] & mask);
            }
            for (int i = 0; i < BPU_INSN_BYTES; i++) /* reserved bytes are zero */
                if (!covered[i])
                    assert_int_equal(bytes[i], 0);
            assert_int_equal(b.dep, a.dep);
            assert_int_equal(b.flags, a.flags);
            assert_int_equal(bpu_encode(&b, again, &err), BPU_OK);
            assert_memory_equal(bytes, again, BPU_INSN_BYTES);
        }
    }
}

/* Byte layout written down by hand from docs/bpu-isa.md (CONV and LOAD). */
static void test_layout_by_hand(void **state)
{
    (void)state;
    bpu_insn c = {.opcode = BPU_OP_CONV, .dep = 0x05, .flags = BPU_CONV_DEPTHWISE};
    c.u.conv = (bpu_conv_op){.src = 0x11223344,
                             .dst = 0x55667788,
                             .h = 0x0102,
                             .k = 0xA0B0,
                             .kh = 3,
                             .lo = -2,
                             .hi = 100,
                             .src_px = 0x0708,
                             .dst_row = 0xCAFEBABE};
    uint8_t b[BPU_INSN_BYTES];
    assert_int_equal(bpu_encode(&c, b, NULL), BPU_OK);
    const uint8_t head[] = {3, 0x05, 0x01, 0, 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55};
    assert_memory_equal(b, head, sizeof(head));
    assert_int_equal(b[24], 0x02);
    assert_int_equal(b[25], 0x01);
    assert_int_equal(b[30], 0xB0);
    assert_int_equal(b[31], 0xA0);
    assert_int_equal(b[36], 3);
    assert_int_equal(b[46], 0xFE);
    assert_int_equal(b[47], 100);
    assert_int_equal(b[48], 0x08);
    assert_int_equal(b[49], 0x07);
    const uint8_t row[] = {0xBE, 0xBA, 0xFE, 0xCA};
    assert_memory_equal(b + 56, row, 4);
    bpu_insn l = {.opcode = BPU_OP_LOAD};
    l.u.dma = (bpu_dma_op){
        .seg = 2, .fill = -1, .pad_left = 0x1234, .ddr_off = 0xDEADBEEF, .y_rows = 0x4321};
    assert_int_equal(bpu_encode(&l, b, NULL), BPU_OK);
    assert_int_equal(b[4], 2);
    assert_int_equal(b[5], 0xFF);
    assert_int_equal(b[8], 0x34);
    assert_int_equal(b[9], 0x12);
    const uint8_t off[] = {0xEF, 0xBE, 0xAD, 0xDE};
    assert_memory_equal(b + 12, off, 4);
    assert_int_equal(b[40], 0x21);
    assert_int_equal(b[41], 0x43);
}

static void test_decode_rejects(void **state)
{
    (void)state;
    uint8_t b[BPU_INSN_BYTES] = {0};
    bpu_insn in;
    bpu_error err;
    assert_int_equal(bpu_decode(b, 5, &in, &err), BPU_E_INVALID);
    assert_int_equal(err.insn, 5);
    assert_non_null(strstr(err.msg, "opcode"));
    b[0] = 99;
    assert_int_equal(bpu_decode(b, 6, &in, &err), BPU_E_INVALID);
    b[0] = BPU_OP_CONV;
    b[63] = 1;
    assert_int_equal(bpu_decode(b, 7, &in, &err), BPU_E_INVALID);
    assert_non_null(strstr(err.msg, "insn 7"));
    assert_non_null(strstr(err.msg, "reserved byte 63"));
    b[63] = 0;
    b[3] = 0x81; /* CONV byte 3 is its pad value */
    assert_int_equal(bpu_decode(b, 8, &in, &err), BPU_OK);
    assert_int_equal(in.u.conv.pad, -127);
    b[0] = BPU_OP_POOL; /* every other opcode keeps byte 3 reserved */
    assert_int_equal(bpu_decode(b, 8, &in, &err), BPU_E_INVALID);
    assert_non_null(strstr(err.msg, "reserved byte 3"));
    b[3] = 0;
    assert_int_equal(bpu_decode(b, 8, &in, &err), BPU_OK);
    bpu_insn bad = {.opcode = 0};
    assert_int_equal(bpu_encode(&bad, b, &err), BPU_E_ARG);
}

/* NORMAL 3x3 over 8x8x40 -> 8x8x70, padding 1: legal on bernoulli2 */
static bpu_insn good_conv(void)
{
    return conv_insn(0, 8, 8, 40, 70, 3, 1);
}

/* CONV pad (byte 3, i8): round trip of the extremes and the offset activations' -127, legal for
 * the validator whatever the value, and a program using it loads. */
static void test_conv_pad_round_trip(void **state)
{
    (void)state;
    static const int8_t pads[] = {-127, -128, 127, 0, 1};
    for (size_t i = 0; i < sizeof(pads); i++) {
        for (int dwise = 0; dwise < 2; dwise++) {
            bpu_insn a = dwise ? conv_insn(BPU_CONV_DEPTHWISE, 8, 8, 70, 70, 3, 1) : good_conv(), b;
            a.u.conv.pad = pads[i];
            uint8_t bytes[BPU_INSN_BYTES], again[BPU_INSN_BYTES];
            bpu_error err = {0, ""};
            assert_int_equal(bpu_encode(&a, bytes, &err), BPU_OK);
            assert_int_equal(bytes[3], (uint8_t)pads[i]); /* two's complement byte */
            assert_int_equal(bpu_decode(bytes, 0, &b, &err), BPU_OK);
            assert_int_equal(b.u.conv.pad, pads[i]);
            assert_memory_equal(&a.u.conv, &b.u.conv, sizeof(a.u.conv));
            assert_int_equal(bpu_encode(&b, again, &err), BPU_OK);
            assert_memory_equal(bytes, again, BPU_INSN_BYTES);
            assert_int_equal(bpu_validate_insn(&b, 0, bpu_march_get(BPU_MARCH_BERNOULLI2), &err),
                             BPU_OK);
            prog p = {.n = 0};
            bpu_insn e = {.opcode = BPU_OP_END};
            PROG_SET(&p, &b, &e);
            bpu_program *pg = NULL;
            assert_int_equal(prog_load(&p, BPU_MARCH_BERNOULLI2, &pg, &err), BPU_OK);
            assert_int_equal(bpu_program_insn(pg, 0)->u.conv.pad, pads[i]);
            bpu_program_free(pg);
        }
    }
}

/* validate and expect an error naming the field */
static void expect_bad(const bpu_insn *in, const char *field, bpu_march_id march)
{
    bpu_error err = {0, ""};
    bpu_status st = bpu_validate_insn(in, 12, bpu_march_get(march), &err);
    if (st != BPU_E_INVALID || !strstr(err.msg, field))
        print_error("expected an error on field %s, got status %d: %s\n", field, st, err.msg);
    assert_int_equal(st, BPU_E_INVALID);
    assert_int_equal(err.insn, 12);
    assert_non_null(strstr(err.msg, "insn 12"));
    char want[64];
    snprintf(want, sizeof(want), "field %s", field);
    assert_non_null(strstr(err.msg, want));
}

static void test_validator(void **state)
{
    (void)state;
    const bpu_march *m = bpu_march_get(BPU_MARCH_BERNOULLI2);
    bpu_insn in = good_conv();
    assert_int_equal(bpu_validate_insn(&in, 0, m, NULL), BPU_OK);
    in.u.conv.ho = 9;
    expect_bad(&in, "ho", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.u.conv.src = 16; /* misaligned */
    expect_bad(&in, "src", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.u.conv.dst = 0xFFF00; /* 35840 bytes from 1 MiB - 256: overflows SRAM */
    expect_bad(&in, "dst", BPU_MARCH_BERNOULLI2);
    /* ... but fits the 8 MiB SRAM of bayes */
    assert_int_equal(bpu_validate_insn(&in, 0, bpu_march_get(BPU_MARCH_BAYES), NULL), BPU_OK);
    in = good_conv();
    in.u.conv.dst = 0x200; /* overlaps src */
    expect_bad(&in, "dst", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.flags = BPU_CONV_DEPTHWISE;
    expect_bad(&in, "k", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.flags = 0x80;
    expect_bad(&in, "flags", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.dep = 0x10;
    expect_bad(&in, "dep", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.u.conv.lo = 5;
    in.u.conv.hi = 4;
    expect_bad(&in, "lo", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.flags = BPU_CONV_ACC_OUT;
    expect_bad(&in, "lo", BPU_MARCH_BERNOULLI2); /* unused clamp must be 0 */
    in = good_conv();
    in.u.conv.src_px = 39;
    expect_bad(&in, "src", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.u.conv.acc = 0x20000; /* without ACC_IN */
    expect_bad(&in, "acc", BPU_MARCH_BERNOULLI2);
    in = good_conv();
    in.u.conv.sw = 0;
    expect_bad(&in, "sw", BPU_MARCH_BERNOULLI2);

    bpu_insn ld = dma_insn(BPU_OP_LOAD, BPU_DEP_POP_PREV, 1, 0, 64);
    expect_bad(&ld, "dep", BPU_MARCH_BERNOULLI2); /* LOAD has no previous queue */
    ld.dep = 0;
    ld.u.dma.seg = 9;
    expect_bad(&ld, "seg", BPU_MARCH_BERNOULLI2);
    ld.u.dma.seg = 1;
    ld.u.dma.sram = (1u << 20) - 32;
    expect_bad(&ld, "sram", BPU_MARCH_BERNOULLI2);
    ld.u.dma.sram = 0;
    ld.u.dma.y_rows = 2;
    ld.u.dma.sram_stride_y = 10;
    expect_bad(&ld, "sram_stride_y", BPU_MARCH_BERNOULLI2);
    bpu_insn st = ld;
    st.opcode = BPU_OP_STORE;
    st.u.dma.y_rows = 1;
    st.u.dma.fill = 3;
    expect_bad(&st, "fill", BPU_MARCH_BERNOULLI2);
    st.u.dma.fill = 0;
    st.dep = BPU_DEP_PUSH_NEXT;
    expect_bad(&st, "dep", BPU_MARCH_BERNOULLI2);

    bpu_insn ew = {.opcode = BPU_OP_EWISE, .flags = BPU_EW_ADD};
    ew.u.ewise = (bpu_ewise_op){.src1 = 0,
                                .src2 = 0x1000,
                                .dst = 0x2000,
                                .h = 2,
                                .w = 2,
                                .c = 8,
                                .lo = -128,
                                .hi = 127,
                                .src1_px = 8,
                                .src2_px = 8,
                                .dst_px = 8,
                                .r = 31,
                                .src1_row = 16,
                                .src2_row = 16,
                                .dst_row = 16,
                                .m1 = 0x20000000,
                                .m2 = 0x10000000};
    expect_bad(&ew, "m1", BPU_MARCH_BERNOULLI2); /* max(M1, M2) < 2^30 */
    ew.u.ewise.m1 = 0x40000000;
    assert_int_equal(bpu_validate_insn(&ew, 0, m, NULL), BPU_OK);
    ew.u.ewise.r = 0;
    expect_bad(&ew, "r", BPU_MARCH_BERNOULLI2);
    ew.u.ewise.r = 31;
    ew.flags = BPU_EW_MAX;
    expect_bad(&ew, "m1", BPU_MARCH_BERNOULLI2);
    ew.flags = 6;
    expect_bad(&ew, "flags", BPU_MARCH_BERNOULLI2);

    bpu_insn pl = {.opcode = BPU_OP_POOL};
    pl.u.pool = (bpu_pool_op){.src = 0,
                              .dst = 0x1000,
                              .h = 4,
                              .w = 4,
                              .c = 8,
                              .ho = 2,
                              .wo = 2,
                              .kh = 2,
                              .kw = 2,
                              .sh = 2,
                              .sw = 2,
                              .pad_left = 2,
                              .lo = -128,
                              .hi = 127,
                              .src_px = 8,
                              .dst_px = 8,
                              .src_row = 32,
                              .dst_row = 16};
    expect_bad(&pl, "pad_left", BPU_MARCH_BERNOULLI2);
    pl.u.pool.pad_left = 0;
    assert_int_equal(bpu_validate_insn(&pl, 0, m, NULL), BPU_OK);
    pl.flags = BPU_POOL_AVG; /* needs its table */
    pl.u.pool.param = 0x10;
    expect_bad(&pl, "param", BPU_MARCH_BERNOULLI2);

    bpu_insn cv = {.opcode = BPU_OP_CVTIMG};
    cv.u.cvtimg = (bpu_cvtimg_op){.src_y = 0,
                                  .src_uv = 0x1000,
                                  .dst = 0x2000,
                                  .param = 0x3000,
                                  .h = 3,
                                  .w = 4,
                                  .y_row = 4,
                                  .uv_row = 4,
                                  .dst_px = 3,
                                  .dst_row = 12,
                                  .lo = -128,
                                  .hi = 127};
    expect_bad(&cv, "h", BPU_MARCH_BERNOULLI2); /* NV12 needs even sizes */
    bpu_insn sb = {.opcode = BPU_OP_SETBASE, .dep = BPU_DEP_PUSH_NEXT};
    sb.u.setbase = (bpu_setbase_op){.seg = 1, .src_seg = 0, .size = 1};
    expect_bad(&sb, "dep", BPU_MARCH_BERNOULLI2);
}

static bpu_status load_prog(const prog *p, bpu_error *err)
{
    bpu_program *pg = NULL;
    bpu_status st = prog_load(p, BPU_MARCH_BERNOULLI2, &pg, err);
    bpu_program_free(pg);
    return st;
}

static void test_program_rules(void **state)
{
    (void)state;
    bpu_insn ld = dma_insn(BPU_OP_LOAD, 0, 1, 0, 64), fill = fill_insn(0, 0x100, 0, 64);
    bpu_insn e = {.opcode = BPU_OP_END}, sync = {.opcode = BPU_OP_SYNC};
    bpu_error err;
    prog p = {.n = 0};
    /* END missing */
    PROG_SET(&p, &ld);
    assert_int_equal(load_prog(&p, &err), BPU_E_INVALID);
    assert_int_equal(err.insn, 0);
    assert_non_null(strstr(err.msg, "END"));
    /* END in the middle */
    PROG_SET(&p, &e, &ld, &e);
    assert_int_equal(load_prog(&p, &err), BPU_E_INVALID);
    assert_int_equal(err.insn, 0);
    /* deadlock: EXEC pops a token no LOAD pushes */
    fill.dep = BPU_DEP_POP_PREV;
    PROG_SET(&p, &ld, &fill, &e);
    assert_int_equal(load_prog(&p, &err), BPU_E_INVALID);
    assert_int_equal(err.insn, 1);
    assert_non_null(strstr(err.msg, "field dep"));
    assert_non_null(strstr(err.msg, "deadlock"));
    /* a token pushed but never popped before the barrier: names the pusher */
    ld.dep = BPU_DEP_PUSH_NEXT;
    fill.dep = 0;
    PROG_SET(&p, &ld, &fill, &sync, &e);
    assert_int_equal(load_prog(&p, &err), BPU_E_INVALID);
    assert_int_equal(err.insn, 0);
    assert_non_null(strstr(err.msg, "field dep"));
    /* balanced: fine, and tokens do not cross SYNC */
    fill.dep = BPU_DEP_POP_PREV;
    PROG_SET(&p, &ld, &fill, &sync, &e);
    assert_int_equal(load_prog(&p, &err), BPU_OK);
    PROG_SET(&p, &ld, &sync, &fill, &e);
    assert_int_equal(load_prog(&p, &err), BPU_E_INVALID);
    /* a field error inside a program names its index */
    ld.dep = 0;
    bpu_insn empty = ld;
    empty.u.dma.x_bytes = 0;
    PROG_SET(&p, &ld, &empty, &e);
    assert_int_equal(load_prog(&p, &err), BPU_E_INVALID);
    assert_int_equal(err.insn, 1);
    assert_non_null(strstr(err.msg, "x_bytes"));
    /* size not a multiple of 64 */
    bpu_program *pg = NULL;
    assert_int_equal(bpu_program_load(p.bytes, 100, BPU_MARCH_BERNOULLI2, &pg, &err),
                     BPU_E_INVALID);
    assert_null(pg);
}

static void test_disasm(void **state)
{
    (void)state;
    bpu_insn ld = {.opcode = BPU_OP_LOAD, .dep = BPU_DEP_PUSH_NEXT | BPU_DEP_POP_NEXT};
    ld.u.dma = (bpu_dma_op){
        .seg = 1, .fill = -3, .sram = 0x400, .x_bytes = 64, .y_rows = 2, .z_planes = 1};
    char buf[512];
    size_t n = bpu_disasm(&ld, buf, sizeof(buf));
    assert_int_equal(n, strlen(buf));
    assert_non_null(strstr(buf, "load dep=pop_next|push_next "));
    assert_non_null(strstr(buf, " seg=1 fill=-3 "));
    assert_non_null(strstr(buf, " sram=0x400 "));
    assert_non_null(strstr(buf, " y_rows=2 "));
    char small[10];
    assert_int_equal(bpu_disasm(&ld, small, sizeof(small)), n);
    assert_string_equal(small, "load dep=");
    bpu_insn e = {.opcode = BPU_OP_END};
    bpu_disasm(&e, buf, sizeof(buf));
    assert_string_equal(buf, "end code=0x0");
    bpu_insn c = {.opcode = BPU_OP_CONV, .flags = 3};
    bpu_disasm(&c, buf, sizeof(buf));
    assert_non_null(strstr(buf, "conv flags=0x03 src=0x0 dst=0x0"));
    assert_null(strstr(buf, "pad=")); /* pad 0 (zero padding) is not printed */
    c.u.conv.pad = -127;
    n = bpu_disasm(&c, buf, sizeof(buf));
    assert_int_equal(n, strlen(buf));
    assert_non_null(strstr(buf, "conv flags=0x03 src=0x0 dst=0x0"));
    assert_non_null(strstr(buf, " dst_row=0x0 pad=-127"));
    c.u.conv.pad = 127;
    bpu_disasm(&c, buf, sizeof(buf));
    assert_non_null(strstr(buf, " pad=127"));
}

static void test_numerics(void **state)
{
    (void)state;
    int64_t neg = -5;
    assert_int_equal(neg >> 1, -3); /* arithmetic shift pinned */
    /* 100 * 2^30 / 2^31 = 50 exactly; 3 * 0.5 = 1.5 -> 2; -3 * 0.5 = -1.5 -> -1 (ties up) */
    assert_int_equal(bpu_requant(100, 1 << 30, 31, -128, 127), 50);
    assert_int_equal(bpu_requant(3, 1 << 30, 31, -128, 127), 2);
    assert_int_equal(bpu_requant(-3, 1 << 30, 31, -128, 127), -1);
    assert_int_equal(bpu_requant(-5, 1 << 30, 31, -128, 127), -2); /* -2.5 -> -2 */
    assert_int_equal(bpu_requant(1000, 1 << 30, 31, -128, 127), 127);
    assert_int_equal(bpu_requant(1000, 1 << 30, 31, 0, 6), 6);
    assert_int_equal(bpu_requant(INT32_MIN, INT32_MAX, 1, -128, 127), -128);
    assert_int_equal(bpu_requant(INT32_MAX, INT32_MAX, 62, -128, 127), 1); /* ~ 2^62/2^62 */
    /* add: (10 * 2^30 + 20 * 2^29 + 2^30) >> 31 = 21 * 2^30 >> 31 = floor(10.5) = 10 */
    assert_int_equal(bpu_ewise_addsub(10, 20, 1 << 30, 1 << 29, 31, 0, -128, 127), 10);
    /* sub: (10 * 2^30 - 20 * 2^29) / 2^31 = 0 */
    assert_int_equal(bpu_ewise_addsub(10, 20, 1 << 30, 1 << 29, 31, 1, -128, 127), 0);
    /* mul: 7 * -9 * 2^30 / 2^33 = -63/8 = -7.875 -> -8 */
    assert_int_equal(bpu_ewise_mul(7, -9, 1 << 30, 33, -128, 127), -8);
    int8_t table[256];
    for (int i = 0; i < 256; i++)
        table[i] = (int8_t)(i - 128 == 5 ? 77 : 0);
    assert_int_equal(bpu_lut(table, 5), 77);
    assert_int_equal(bpu_bilinear(10, 20, 30, 40, 1024, 1024), 25);
    assert_int_equal(bpu_bilinear(0, 1, 0, 1, 0, 1024), 1);   /* 0.5 -> 1 (ties up) */
    assert_int_equal(bpu_bilinear(0, -1, 0, -1, 0, 1024), 0); /* -0.5 -> 0 */

    int32_t m;
    uint32_t r;
    assert_int_equal(bpu_multiplier_from_double(0.5, &m, &r), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(r, 31);
    assert_int_equal(bpu_multiplier_from_double(0.75, &m, &r), 0);
    assert_int_equal(m, 3 << 29);
    assert_int_equal(r, 31);
    assert_int_equal(bpu_multiplier_from_double(1.0 / 3.0, &m, &r), 0);
    assert_int_equal(m, 1431655765); /* 2^32 / 3 = 1431655765.33 */
    assert_int_equal(r, 32);
    assert_int_equal(bpu_multiplier_from_double(0x1p-32, &m, &r), 0);
    assert_int_equal(r, 62);
    assert_int_equal(bpu_multiplier_from_double(0x1p30, &m, &r), -1);
    assert_int_equal(bpu_multiplier_from_double(0x1p-33, &m, &r), -1);
    assert_int_equal(bpu_multiplier_from_double(0.0, &m, &r), -1);
    assert_int_equal(bpu_multiplier_from_double(-1.0, &m, &r), -1);
    assert_int_equal(bpu_multiplier_from_double(NAN, &m, &r), -1);
    /* 2^30 - tiny rounds up to 2^31 at r = 1 -> would need r = 0 */
    assert_int_equal(bpu_multiplier_from_double(0x1p30 - 0x1p-24, &m, &r), -1);
    assert_true(bpu_multiplier_ok(1 << 30, 1));
    assert_false(bpu_multiplier_ok((1 << 30) - 1, 1));
    assert_false(bpu_multiplier_ok(1 << 30, 63));
}

static void test_march_table(void **state)
{
    (void)state;
    static const char *const names[] = {"bernoulli2", "bayes", "bayes-e"};
    for (uint32_t i = 0; i < BPU_MARCH_COUNT; i++) {
        const bpu_march *m = bpu_march_get((bpu_march_id)i);
        assert_non_null(m);
        assert_string_equal(m->name, names[i]);
        bpu_march_id id;
        assert_int_equal(bpu_march_find(names[i], &id), 0);
        assert_int_equal(id, i);
        assert_true(m->sram_bytes % m->sram_banks == 0);
        assert_true(m->k_atom * m->c_atom >= 1024);
    }
    bpu_march_id id;
    assert_int_equal(bpu_march_find("x3", &id), -1);
    assert_null(bpu_march_get(BPU_MARCH_COUNT));
    assert_int_equal(bpu_march_get(BPU_MARCH_BERNOULLI2)->sram_bytes, 1u << 20);
}

typedef struct doc_check {
    const char *doc;
    int missing;
} doc_check;

static void check_doc_field(void *user, const char *name, uint32_t offset, uint32_t width,
                            int64_t value)
{
    (void)value;
    doc_check *d = user;
    char want[96];
    if (width == 1)
        snprintf(want, sizeof(want), "| %u `%s` ", offset, name);
    else
        snprintf(want, sizeof(want), "| %u-%u `%s` ", offset, offset + width - 1, name);
    if (!strstr(d->doc, want)) {
        print_error("docs/bpu-isa.md lacks the layout cell \"%s\"\n", want);
        d->missing++;
    }
}

/* Every field of every opcode appears in docs/bpu-isa.md's layout tables at its byte offset. */
static void test_doc_matches_field_table(void **state)
{
    (void)state;
    FILE *f = fopen(HB_SOURCE_DIR "/docs/bpu-isa.md", "rb");
    assert_non_null(f);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[n] = '\0';
    doc_check d = {doc, 0};
    for (uint32_t op = 1; op < BPU_OP_COUNT; op++) {
        bpu_insn in = {.opcode = (uint8_t)op};
        bpu_insn_fields(&in, check_doc_field, &d);
    }
    assert_int_equal(d.missing, 0);
}

/* Writes a small valid program for the hb_bpu_disasm CLI test (ctest fixture). */
static void test_write_sample_program(void **state)
{
    (void)state;
    prog p = {.n = 0};
    bpu_insn ld = dma_insn(BPU_OP_LOAD, BPU_DEP_PUSH_NEXT, 1, 0, 640);
    bpu_insn fill = fill_insn(BPU_DEP_POP_PREV | BPU_DEP_PUSH_NEXT, 0, 1, 640);
    bpu_insn st = dma_insn(BPU_OP_STORE, BPU_DEP_POP_PREV, 2, 0, 640);
    bpu_insn e = {.opcode = BPU_OP_END};
    PROG_SET(&p, &ld, &fill, &st, &e);
    FILE *f = fopen(HB_BPU_SAMPLE_PROGRAM, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p.bytes, 1, prog_len(&p), f), prog_len(&p));
    assert_int_equal(fclose(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_opcode),
        cmocka_unit_test(test_layout_by_hand),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_conv_pad_round_trip),
        cmocka_unit_test(test_validator),
        cmocka_unit_test(test_program_rules),
        cmocka_unit_test(test_disasm),
        cmocka_unit_test(test_numerics),
        cmocka_unit_test(test_march_table),
        cmocka_unit_test(test_doc_matches_field_table),
        cmocka_unit_test(test_write_sample_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
