/* Shared helpers of the BPU tests: a deterministic RNG, the tests' own scalar rounding model
 * (written with division, independently of bpu/numerics.h's shifts), weight packers, builders of
 * the instructions several tests use and a program builder. */
#ifndef BPU_TEST_UTIL_H
#define BPU_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpu/isa.h"
#include "bpu/sim.h"

typedef struct rng {
    uint64_t s;
} rng;

static inline uint32_t rng_u32(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 11);
}

/* uniform in [lo, hi] */
static inline int32_t rng_range(rng *r, int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rng_u32(r) % (uint32_t)(hi - lo + 1));
}

static inline int8_t rng_s8(rng *r)
{
    return (int8_t)rng_range(r, -128, 127);
}

/* floor(v / 2^r) by truncating division plus a correction: the model's arithmetic shift */
static inline int64_t model_floor_div_pow2(int64_t v, uint32_t r)
{
    int64_t d = (int64_t)1 << r;
    int64_t q = v / d;
    if (v % d != 0 && v < 0)
        q -= 1;
    return q;
}

static inline int8_t model_clamp(int64_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* (v + 2^(r-1)) / 2^r rounded toward -inf, clamped */
static inline int8_t model_requant64(int64_t v, int64_t m, uint32_t r, int32_t lo, int32_t hi)
{
    return model_clamp(model_floor_div_pow2(v * m + ((int64_t)1 << (r - 1)), r), lo, hi);
}

static inline int32_t model_wrap32(int64_t v)
{
    uint32_t u = (uint32_t)((uint64_t)v & 0xFFFFFFFFu);
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

/* Pack weights given as w[k][ky][kx][c] into the NORMAL layout (zero padding). */
static inline void pack_normal(const int8_t *w, int32_t k, int32_t kh, int32_t kw, int32_t c,
                               int8_t *out)
{
    int32_t c4 = (c + 3) / 4, k16 = (k + 15) / 16 * 16;
    memset(out, 0, (size_t)kh * kw * c4 * k16 * 4);
    for (int32_t kk = 0; kk < k; kk++)
        for (int32_t t = 0; t < kh * kw; t++)
            for (int32_t cc = 0; cc < c; cc++)
                out[(((size_t)t * c4 + cc / 4) * k16 + kk) * 4 + cc % 4] =
                    w[((size_t)kk * kh * kw + t) * c + cc];
}

static inline size_t packed_normal_bytes(int32_t k, int32_t kh, int32_t kw, int32_t c)
{
    return (size_t)kh * kw * ((c + 3) / 4) * ((k + 15) / 16 * 16) * 4;
}

/* Program builder: encode instructions one after another. */
typedef struct prog {
    uint8_t bytes[BPU_INSN_BYTES * 64];
    size_t n;
} prog;

/* A test that builds more than 64 instructions or an unencodable one is itself broken. */
static inline void prog_add(prog *p, const bpu_insn *in)
{
    bpu_error err;
    if (p->n >= 64 || bpu_encode(in, p->bytes + p->n * BPU_INSN_BYTES, &err) != BPU_OK)
        abort();
    p->n++;
}

static inline size_t prog_len(const prog *p)
{
    return p->n * BPU_INSN_BYTES;
}

/* Make p the program in[0..n) (whatever p held before is dropped). */
static inline void prog_set(prog *p, const bpu_insn *const *in, size_t n)
{
    p->n = 0;
    for (size_t i = 0; i < n; i++)
        prog_add(p, in[i]);
}

/* PROG_SET(&p, &a, &b, &end): prog_set with the count taken from the list of pointers. */
#define PROG_SET(p, ...)                                                                           \
    prog_set((p), (const bpu_insn *const[]){__VA_ARGS__},                                          \
             sizeof((const bpu_insn *const[]){__VA_ARGS__}) / sizeof(const bpu_insn *))

/* bpu_program_load of p's bytes for march (see bpu/sim.h: validates; *out is freed by the caller).
 */
static inline bpu_status prog_load(const prog *p, bpu_march_id march, bpu_program **out,
                                   bpu_error *err)
{
    return bpu_program_load(p->bytes, prog_len(p), march, out, err);
}

/* ---- instructions several tests build ------------------------------------------------------ */

/* A CONV with padding 1 on every side, dilation 1, kernel kh x kh and stride s on both axes, so
 * the output is ((h + 2 - kh) / s + 1) x ((w + 2 - kh) / s + 1) (h + 2 >= kh), with packed pixels
 * and rows (src_px = c; dst_px = k, or 4 k bytes of int32 partials with BPU_CONV_ACC_OUT) and its
 * operands at the tests' fixed SRAM places: src 0, dst 0x40000, weights 0x80000, parameter records
 * 0xC0000. The clamp is [-128, 127], or 0 and 0 (unused) with ACC_OUT; pad value 0. The word is
 * zeroed first (padding bytes included: tests compare decoded fields byte for byte). */
static inline bpu_insn conv_insn(uint8_t flags, uint16_t h, uint16_t w, uint16_t c, uint16_t k,
                                 uint8_t kh, uint8_t s)
{
    int acc_out = (flags & BPU_CONV_ACC_OUT) != 0;
    bpu_insn in;
    memset(&in, 0, sizeof(in));
    in.opcode = BPU_OP_CONV;
    in.flags = flags;
    bpu_conv_op *cv = &in.u.conv;
    cv->dst = 0x40000;
    cv->wgt = 0x80000;
    cv->param = 0xC0000;
    cv->h = h;
    cv->w = w;
    cv->c = c;
    cv->k = k;
    cv->ho = (uint16_t)((h + 2 - kh) / s + 1);
    cv->wo = (uint16_t)((w + 2 - kh) / s + 1);
    cv->kh = cv->kw = kh;
    cv->sh = cv->sw = s;
    cv->dh = cv->dw = 1;
    cv->pad_top = cv->pad_bottom = cv->pad_left = cv->pad_right = 1;
    cv->lo = (int8_t)(acc_out ? 0 : -128);
    cv->hi = (int8_t)(acc_out ? 0 : 127);
    cv->src_px = c;
    cv->dst_px = (uint16_t)(acc_out ? 4 * k : k);
    cv->src_row = (uint32_t)c * w;
    cv->dst_row = (uint32_t)cv->dst_px * cv->wo;
    return in;
}

/* A LOAD or STORE (opcode) of x_bytes between DDR segment seg at offset 0 and SRAM at sram: one
 * row of one plane, no padding, fill 0. */
static inline bpu_insn dma_insn(uint8_t opcode, uint8_t dep, uint8_t seg, uint32_t sram,
                                uint32_t x_bytes)
{
    bpu_insn in = {.opcode = opcode, .dep = dep};
    in.u.dma =
        (bpu_dma_op){.seg = seg, .sram = sram, .x_bytes = x_bytes, .y_rows = 1, .z_planes = 1};
    return in;
}

/* A FILL of x_bytes at SRAM dst with value: one row of one plane. */
static inline bpu_insn fill_insn(uint8_t dep, uint32_t dst, int8_t value, uint32_t x_bytes)
{
    bpu_insn in = {.opcode = BPU_OP_FILL, .dep = dep};
    in.u.copy =
        (bpu_copy_op){.dst = dst, .value = value, .x_bytes = x_bytes, .y_rows = 1, .z_planes = 1};
    return in;
}

static inline void wr32(uint8_t *p, int64_t v)
{
    uint32_t u = (uint32_t)((uint64_t)v & 0xFFFFFFFFu);
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

#endif
