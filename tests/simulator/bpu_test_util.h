/* Shared helpers of the BPU tests: a deterministic RNG, the tests' own scalar rounding model
 * (written with division, independently of bpu/numerics.h's shifts), weight packers and a
 * program builder. */
#ifndef BPU_TEST_UTIL_H
#define BPU_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpu/isa.h"

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

static inline void wr32(uint8_t *p, int64_t v)
{
    uint32_t u = (uint32_t)((uint64_t)v & 0xFFFFFFFFu);
    p[0] = (uint8_t)u;
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)(u >> 16);
    p[3] = (uint8_t)(u >> 24);
}

#endif
