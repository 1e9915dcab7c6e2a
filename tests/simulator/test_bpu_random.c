/* Robustness: random instruction words through decode and validate (never a crash, every error
 * names an instruction), then random *valid* programs executed by two simulators, one with the
 * reference kernels and one with the best variant of this CPU, from identical SRAM and DDR: both
 * must end with the same status and bit-identical memories (faults included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "bpu/sim.h"
#include "bpu_test_util.h"

#define DDR_BYTES 8192

/* a field value biased towards what validates: small sizes, aligned addresses */
static uint32_t pick(rng *r)
{
    switch (rng_u32(r) % 6) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return (uint32_t)rng_range(r, 1, 16);
    case 3:
        return (uint32_t)rng_range(r, 1, 300);
    case 4:
        return 32u * (uint32_t)rng_range(r, 0, 32767); /* aligned SRAM address */
    default:
        return rng_u32(r);
    }
}

typedef struct setter {
    rng *r;
    uint8_t *bytes;
} setter;

/* overwrite every field of the encoded word with a biased random value */
static void randomise_field(void *user, const char *name, uint32_t offset, uint32_t width,
                            int64_t value)
{
    (void)name;
    (void)value;
    setter *s = user;
    uint32_t v = pick(s->r);
    for (uint32_t b = 0; b < width; b++)
        s->bytes[offset + b] = (uint8_t)(v >> (8 * b));
}

/* Make the derived shape fields consistent so that a useful share of CONV/POOL words validate. */
static void fix_shapes(bpu_insn *in)
{
    if (in->opcode == BPU_OP_CONV) {
        bpu_conv_op *c = &in->u.conv;
        uint32_t eh = (uint32_t)(c->kh ? c->kh - 1 : 0) * c->dh + 1;
        uint32_t ew = (uint32_t)(c->kw ? c->kw - 1 : 0) * c->dw + 1;
        if (c->sh && (uint32_t)c->h + c->pad_top + c->pad_bottom >= eh)
            c->ho = (uint16_t)((c->h + c->pad_top + c->pad_bottom - eh) / c->sh + 1);
        if (c->sw && (uint32_t)c->w + c->pad_left + c->pad_right >= ew)
            c->wo = (uint16_t)((c->w + c->pad_left + c->pad_right - ew) / c->sw + 1);
        c->src_px = c->c;
        c->src_row = (uint32_t)c->c * c->w;
        c->dst_px = (uint16_t)(c->k * ((in->flags & BPU_CONV_ACC_OUT) ? 4 : 1));
        c->dst_row = (uint32_t)c->dst_px * c->wo;
    } else if (in->opcode == BPU_OP_POOL) {
        bpu_pool_op *p = &in->u.pool;
        if (p->sh && p->h + p->pad_top + p->pad_bottom >= p->kh)
            p->ho = (uint16_t)((p->h + p->pad_top + p->pad_bottom - p->kh) / p->sh + 1);
        if (p->sw && p->w + p->pad_left + p->pad_right >= p->kw)
            p->wo = (uint16_t)((p->w + p->pad_left + p->pad_right - p->kw) / p->sw + 1);
    }
}

static void random_insn(rng *r, bpu_insn *out)
{
    uint8_t bytes[BPU_INSN_BYTES] = {0};
    bpu_insn in = {.opcode = (uint8_t)rng_range(r, 1, BPU_OP_COUNT - 1)};
    in.flags = (uint8_t)(rng_u32(r) % 3 == 0 ? rng_u32(r) : rng_u32(r) & 0x7);
    bpu_encode(&in, bytes, NULL);
    setter s = {r, bytes};
    bpu_insn_fields(&in, randomise_field, &s);
    bpu_decode(bytes, 0, out, NULL);
    fix_shapes(out);
    if (out->opcode == BPU_OP_CONV && rng_u32(r) % 2) {
        /* CONV pad: besides the biased random byte, the extremes and the offset activations' -127
         */
        static const int8_t pads[] = {0, -128, 127, -127};
        out->u.conv.pad = pads[rng_u32(r) % 4];
    }
}

/* A valid CONV of random small shape (padding wider than the kernel included), flags and pad value,
 * its operands in separate 128 KiB regions of SRAM (src, dst, weights, parameters, partials). */
static void random_conv(rng *r, bpu_insn *in)
{
    static const int8_t pads[] = {0, -128, 127, -127};
    static const uint8_t flag_sets[] = {0, BPU_CONV_ACC_OUT, BPU_CONV_ACC_IN,
                                        BPU_CONV_ACC_IN | BPU_CONV_ACC_OUT};
    memset(in, 0, sizeof(*in));
    in->opcode = BPU_OP_CONV;
    in->flags = (uint8_t)(flag_sets[rng_u32(r) % 4] | (rng_u32(r) % 2 ? BPU_CONV_DEPTHWISE : 0));
    bpu_conv_op *c = &in->u.conv;
    c->kh = (uint8_t)rng_range(r, 1, 4);
    c->kw = (uint8_t)rng_range(r, 1, 4);
    c->sh = (uint8_t)rng_range(r, 1, 3);
    c->sw = (uint8_t)rng_range(r, 1, 3);
    c->dh = (uint8_t)rng_range(r, 1, 2);
    c->dw = (uint8_t)rng_range(r, 1, 2);
    c->pad_top = (uint8_t)rng_range(r, 0, 4);
    c->pad_bottom = (uint8_t)rng_range(r, 0, 4);
    c->pad_left = (uint8_t)rng_range(r, 0, 4);
    c->pad_right = (uint8_t)rng_range(r, 0, 4);
    c->pad = rng_u32(r) % 3 ? pads[rng_u32(r) % 4] : rng_s8(r);
    uint32_t span_h = (c->kh - 1u) * c->dh + 1u, span_w = (c->kw - 1u) * c->dw + 1u;
    c->h = (uint16_t)rng_range(r, 1, 12);
    c->w = (uint16_t)rng_range(r, 1, 12);
    if ((uint32_t)c->h + c->pad_top + c->pad_bottom < span_h)
        c->h = (uint16_t)span_h;
    if ((uint32_t)c->w + c->pad_left + c->pad_right < span_w)
        c->w = (uint16_t)span_w;
    c->c = (uint16_t)rng_range(r, 1, 40);
    c->k = (in->flags & BPU_CONV_DEPTHWISE) ? c->c : (uint16_t)rng_range(r, 1, 40);
    fix_shapes(in);
    c->src_px = (uint16_t)(c->c + rng_range(r, 0, 3));
    c->src_row = (uint32_t)c->src_px * c->w + (uint32_t)rng_range(r, 0, 7);
    int acc_in = (in->flags & BPU_CONV_ACC_IN) != 0, acc_out = (in->flags & BPU_CONV_ACC_OUT) != 0;
    c->src = 32u * (uint32_t)rng_range(r, 0, 255);
    c->dst = (256u << 10) + 32u * (uint32_t)rng_range(r, 0, 255);
    c->wgt = (512u << 10) + 32u * (uint32_t)rng_range(r, 0, 255);
    c->param = acc_in && acc_out ? 0 : (640u << 10) + 32u * (uint32_t)rng_range(r, 0, 255);
    c->acc = acc_in ? (768u << 10) + 32u * (uint32_t)rng_range(r, 0, 255) : 0;
    c->lo = acc_out ? 0 : (int8_t)rng_range(r, -128, 0);
    c->hi = acc_out ? 0 : (int8_t)rng_range(r, 0, 127);
}

/* Make a CONV's SRAM operands legal: parameter records with multipliers in range and zero padding,
 * NORMAL weight padding zero (random SRAM would fault on both, before any arithmetic). */
static void legal_conv_data(rng *r, const bpu_insn *in, uint8_t *sram)
{
    const bpu_conv_op *c = &in->u.conv;
    int acc_in = (in->flags & BPU_CONV_ACC_IN) != 0, acc_out = (in->flags & BPU_CONV_ACC_OUT) != 0;
    if (!(acc_in && acc_out)) {
        for (uint32_t k = 0; k < c->k; k++) {
            uint8_t *rec = sram + c->param + k * BPU_PARAM_BYTES;
            wr32(rec + 4, 0x40000000 + (rng_u32(r) & 0x3FFFFFFF));
            rec[8] = (uint8_t)rng_range(r, 8, 40);
            rec[9] = rec[10] = rec[11] = 0;
        }
    }
    if (in->flags & BPU_CONV_DEPTHWISE)
        return;
    uint32_t c4 = (c->c + 3u) / 4u, k16 = (c->k + 15u) / 16u * 16u;
    for (uint32_t t = 0; t < (uint32_t)c->kh * c->kw; t++)
        for (uint32_t g = 0; g < c4; g++)
            for (uint32_t k = 0; k < k16; k++)
                for (uint32_t j = 0; j < 4; j++)
                    if (k >= c->k || g * 4 + j >= c->c)
                        sram[c->wgt + ((t * c4 + g) * k16 + k) * 4 + j] = 0;
}

static void test_random_words(void **state)
{
    (void)state;
    rng r = {0xDEC0DE};
    const bpu_march *m = bpu_march_get(BPU_MARCH_BERNOULLI2);
    int valid = 0;
    for (int i = 0; i < 200000; i++) {
        uint8_t bytes[BPU_INSN_BYTES];
        if (i % 2) { /* field-wise random words (they decode; some validate) */
            bpu_insn w;
            random_insn(&r, &w);
            w.dep = (uint8_t)(rng_u32(&r) % 4 == 0 ? rng_u32(&r) : 0);
            bpu_encode(&w, bytes, NULL);
        } else { /* byte-wise random words */
            for (int b = 0; b < BPU_INSN_BYTES; b++)
                bytes[b] = (uint8_t)(rng_u32(&r) % 4 == 0 ? rng_u32(&r) : 0);
            bytes[0] = (uint8_t)rng_range(&r, 0, 20);
        }
        bpu_insn in;
        bpu_error err = {0, ""};
        if (bpu_decode(bytes, i, &in, &err) != BPU_OK) {
            assert_int_equal(err.insn, i);
            continue;
        }
        char text[1024];
        assert_true(bpu_disasm(&in, text, sizeof(text)) > 0);
        bpu_status st = bpu_validate_insn(&in, i, m, &err);
        if (st == BPU_OK)
            valid++;
        else
            assert_non_null(strstr(err.msg, "field "));
    }
    assert_true(valid > 0);
}

static void test_random_programs_variants_agree(void **state)
{
    (void)state;
    const bpu_kernels *kref = NULL, *kbest = NULL;
    bpu_error err;
    assert_int_equal(bpu_kernels_get(BPU_ISA_REF, &kref, &err), BPU_OK);
    for (int v = BPU_ISA_COUNT - 1; v >= 0 && !kbest; v--)
        if (bpu_isa_available((bpu_isa)v))
            assert_int_equal(bpu_kernels_get((bpu_isa)v, &kbest, &err), BPU_OK);
    /* a: reference kernels; b: the best variant; c: the best variant replaying the static issue
     * order without the scheduler (bpu_sim_exec, the board backend's way) */
    bpu_sim *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(bpu_sim_create(BPU_MARCH_BERNOULLI2, kref, &a, &err), BPU_OK);
    assert_int_equal(bpu_sim_create(BPU_MARCH_BERNOULLI2, kbest, &b, &err), BPU_OK);
    assert_int_equal(bpu_sim_create(BPU_MARCH_BERNOULLI2, kbest, &c, &err), BPU_OK);
    static uint8_t ddr_a[BPU_SEGMENTS][DDR_BYTES], ddr_b[BPU_SEGMENTS][DDR_BYTES],
        ddr_c[BPU_SEGMENTS][DDR_BYTES];
    const uint32_t sram = bpu_march_get(BPU_MARCH_BERNOULLI2)->sram_bytes;
    rng r = {0xFACADE};
    int ran = 0, faulted = 0, padded = 0;
    for (int it = 0; it < 3000 && ran < 150; it++) {
        prog p = {.n = 0};
        int n = rng_range(&r, 1, 6);
        /* half the programs get one valid CONV at a random place: random words rarely make one */
        int conv_at = rng_u32(&r) % 2 ? rng_range(&r, 0, n - 1) : -1;
        for (int tries = 0; tries < 4000 && (int)p.n < n; tries++) {
            bpu_insn in;
            if ((int)p.n == conv_at)
                random_conv(&r, &in);
            else
                random_insn(&r, &in);
            in.dep = 0;
            if (in.opcode == BPU_OP_END)
                continue;
            if (bpu_validate_insn(&in, 0, bpu_march_get(BPU_MARCH_BERNOULLI2), NULL) == BPU_OK)
                prog_add(&p, &in);
        }
        bpu_insn e = {.opcode = BPU_OP_END};
        prog_add(&p, &e);
        bpu_program *pg = NULL;
        if (prog_load(&p, BPU_MARCH_BERNOULLI2, &pg, &err) != BPU_OK)
            continue;
        for (size_t i = 0; i < bpu_program_size(pg); i++) { /* CONVs that pad with a value */
            const bpu_conv_op *cv = &bpu_program_insn(pg, i)->u.conv;
            padded += bpu_program_insn(pg, i)->opcode == BPU_OP_CONV && cv->pad != 0 &&
                      (cv->pad_top | cv->pad_bottom | cv->pad_left | cv->pad_right) != 0;
        }
        /* identical memories; segments 0..5 bound, 6..7 left unbound */
        uint8_t *sa = bpu_sim_sram(a), *sb = bpu_sim_sram(b), *sc = bpu_sim_sram(c);
        for (uint32_t i = 0; i < sram; i++)
            sa[i] = (uint8_t)rng_u32(&r);
        for (size_t i = 0; i < bpu_program_size(pg); i++) /* most CONVs get legal data */
            if (bpu_program_insn(pg, i)->opcode == BPU_OP_CONV && rng_u32(&r) % 4 != 0)
                legal_conv_data(&r, bpu_program_insn(pg, i), sa);
        memcpy(sb, sa, sram);
        memcpy(sc, sa, sram);
        for (uint32_t sg = 0; sg < BPU_SEGMENTS; sg++) {
            for (uint32_t i = 0; i < DDR_BYTES; i++)
                ddr_a[sg][i] = (uint8_t)rng_u32(&r);
            memcpy(ddr_b[sg], ddr_a[sg], DDR_BYTES);
            memcpy(ddr_c[sg], ddr_a[sg], DDR_BYTES);
            bpu_sim_set_segment(a, sg, sg < 6 ? ddr_a[sg] : NULL, sg < 6 ? DDR_BYTES : 0, NULL);
            bpu_sim_set_segment(b, sg, sg < 6 ? ddr_b[sg] : NULL, sg < 6 ? DDR_BYTES : 0, NULL);
            bpu_sim_set_segment(c, sg, sg < 6 ? ddr_c[sg] : NULL, sg < 6 ? DDR_BYTES : 0, NULL);
        }
        bpu_counters ca, cb;
        bpu_error ea = {0, ""}, eb = {0, ""};
        bpu_status st_a = bpu_sim_run(a, pg, &ca, &ea);
        bpu_status st_b = bpu_sim_run(b, pg, &cb, &eb);
        bpu_error ec = {0, ""};
        bpu_status st_c = bpu_sim_exec(c, pg, &ec);
        assert_int_equal(st_a, st_b);
        assert_int_equal(st_a, st_c);
        if (st_a != BPU_OK) {
            assert_int_equal(st_a, BPU_E_FAULT);
            assert_int_equal(ea.insn, eb.insn);
            assert_int_equal(ea.insn, ec.insn);
            assert_true(ea.insn >= 0 && (size_t)ea.insn < p.n);
            faulted++;
        } else {
            assert_int_equal(ca.cycles, bpu_program_estimate(pg)->cycles);
        }
        assert_memory_equal(sa, sb, sram);
        assert_memory_equal(sa, sc, sram);
        for (uint32_t sg = 0; sg < BPU_SEGMENTS; sg++) {
            assert_memory_equal(ddr_a[sg], ddr_b[sg], DDR_BYTES);
            assert_memory_equal(ddr_a[sg], ddr_c[sg], DDR_BYTES);
        }
        bpu_program_free(pg);
        ran++;
    }
    print_message("random programs run: %d (%d faulted, %d CONVs padding with a nonzero value), "
                  "kernels ref vs %s, run vs exec\n",
                  ran, faulted, padded, kbest->name);
    assert_true(ran >= 50);
    assert_true(padded > 0);
    bpu_sim_destroy(a);
    bpu_sim_destroy(b);
    bpu_sim_destroy(c);
}

/* The issue order differs from program order and decides the result: FILL a (EXEC, long), FILL b
 * (EXEC, waits for FILL a) and LOAD b (LOAD queue, free at cycle 0) carry no tokens, so the cycle
 * model issues LOAD b before FILL b and FILL b's value is what remains. bpu_sim_exec must replay
 * that order (program order would leave LOAD b's bytes). */
static void test_exec_replays_issue_order(void **state)
{
    (void)state;
    bpu_error err = {0, ""};
    bpu_sim *a = NULL, *c = NULL;
    assert_int_equal(bpu_sim_create(BPU_MARCH_BERNOULLI2, NULL, &a, &err), BPU_OK);
    assert_int_equal(bpu_sim_create(BPU_MARCH_BERNOULLI2, NULL, &c, &err), BPU_OK);
    static uint8_t ddr_a[256], ddr_c[256];
    memset(ddr_a, 0x5A, sizeof ddr_a);
    memset(ddr_c, 0x5A, sizeof ddr_c);
    assert_int_equal(bpu_sim_set_segment(a, 1, ddr_a, sizeof ddr_a, &err), BPU_OK);
    assert_int_equal(bpu_sim_set_segment(c, 1, ddr_c, sizeof ddr_c, &err), BPU_OK);
    prog p = {.n = 0};
    bpu_insn fa = fill_insn(0, 0x1000, 1, 3200), fb = fill_insn(0, 0x8000, 2, 64);
    bpu_insn lb = dma_insn(BPU_OP_LOAD, 0, 1, 0x8000, 64), e = {.opcode = BPU_OP_END};
    PROG_SET(&p, &fa, &fb, &lb, &e);
    bpu_program *pg = NULL;
    assert_int_equal(prog_load(&p, BPU_MARCH_BERNOULLI2, &pg, &err), BPU_OK);
    bpu_counters ctr;
    assert_int_equal(bpu_sim_run(a, pg, &ctr, &err), BPU_OK);
    assert_int_equal(bpu_sim_exec(c, pg, &err), BPU_OK);
    for (int i = 0; i < 64; i++)
        assert_int_equal(bpu_sim_sram(a)[0x8000 + i], 2); /* FILL b issued after LOAD b */
    assert_memory_equal(bpu_sim_sram(a), bpu_sim_sram(c),
                        bpu_march_get(BPU_MARCH_BERNOULLI2)->sram_bytes);
    bpu_program_free(pg);
    bpu_sim_destroy(a);
    bpu_sim_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_words),
        cmocka_unit_test(test_random_programs_variants_agree),
        cmocka_unit_test(test_exec_replays_issue_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
