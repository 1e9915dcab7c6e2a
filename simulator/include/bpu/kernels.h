/* Host kernels of the BPU compute instructions. The CONV kernel and the int32 -> int8 requantiser
 * have a plain-C reference, x86 SIMD variants (AVX2, AVX-512 VNNI) and aarch64 NEON variants
 * (Armv8.0, dot product) with the same signature (ARCHITECTURE 5); AVX-512 VNNI also fuses the
 * requantiser into CONV, and the x86 variants have AVX2 EWISE, POOL, LUT, RESIZE and REQUANT
 * (instruction) kernels. One variant table
 * is chosen once when a simulator is created. Every variant is bit-exact with the reference for
 * every input (tests/simulator/test_bpu_kernels). */
#ifndef BPU_KERNELS_H
#define BPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "bpu/isa.h"

/* Geometry of one CONV tile. src is NHWC int8 with byte strides src_px (pixel) and src_row (row);
 * padded positions read as pad_value. */
typedef struct bpu_conv_geom {
    int32_t h, w, c, k;
    int32_t kh, kw, sh, sw, dh, dw;
    int32_t pad_top, pad_left;
    int32_t ho, wo;
    size_t src_px, src_row;
    /* value of padded positions, in [-128, 127]; nonzero only for a kernel whose variant lists it
     * in bpu_kernels.native_pad (the executor pads a copy for the others) */
    int32_t pad_value;
} bpu_conv_geom;

/* Accumulate output rows [oy0, oy1):
 *   acc[((oy - oy0) * wo + ox) * k + kk] = bias[kk] + sum over (ky, kx, c) of x * w   (mod 2^32)
 * NORMAL weights: byte (((ky*kw + kx) * ceil(c/4) + c/4) * K16 + kk) * 4 + c%4, K16 = k rounded up
 * to 16, padding entries zero. DEPTHWISE (k == c) weights: byte (ky*kw + kx) * c + ch.
 * The source may be read up to 3 bytes past the last channel of a pixel (multiplied by zero
 * weights): callers keep that much readable memory after src. */
typedef void (*bpu_conv_fn)(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                            const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);

/* dst[p * dst_px + kk] = bpu_requant(acc[p * k + kk], mult[kk], shift[kk], lo, hi), p < n. */
typedef void (*bpu_requant_fn)(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                               const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst,
                               size_t dst_px);

/* The requantised int8 output of a fused CONV: output pixel (oy, ox), channel kk is written at
 * dst + (oy - oy0) * dst_row + ox * dst_px + kk; bytes between pixels are left untouched. */
typedef struct bpu_conv_out {
    const int32_t *mult;  /* k entries, each in [2^30, 2^31) */
    const int32_t *shift; /* k entries, each in [1, 62] */
    int8_t lo, hi;        /* clamp, lo <= hi */
    int8_t *dst;          /* output pixel (oy0, 0); must not overlap src, wgt or bias */
    size_t dst_px, dst_row;
} bpu_conv_out;

/* CONV with the requantiser fused into its output: for rows [oy0, oy1), the byte of (oy, ox, kk)
 * is bpu_requant(a, mult[kk], shift[kk], lo, hi) where a is what bpu_conv_fn would leave in acc.
 * scratch: max(64 Ki, wo * k) int32 in which the kernel may stage cache-sized chunks of
 * accumulators (its contents afterwards are unspecified). */
typedef void (*bpu_conv_rq_fn)(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                               const int32_t *bias, int32_t oy0, int32_t oy1, const bpu_conv_out *o,
                               int32_t *scratch);

/* EWISE and POOL over a whole instruction tile: decoded fields, the SRAM base (every address
 * proven in bounds by the validator) and, for POOL AVG, one requantiser per window count n
 * (mult[n - 1], shift[n - 1]), range-checked by the executor. Semantics: docs/bpu-isa.md. */
typedef void (*bpu_ewise_fn)(const bpu_ewise_op *e, uint32_t flags, uint8_t *sram);
typedef void (*bpu_pool_fn)(const bpu_pool_op *p, uint32_t flags, uint8_t *sram,
                            const int32_t *mult, const int32_t *shift);
/* LUT, RESIZE and the REQUANT instruction over a whole tile, same conventions (REQUANT: mult and
 * shift hold c entries with BPU_RQ_PER_CHANNEL, else 1, range-checked by the executor). */
typedef void (*bpu_lut_fn)(const bpu_lut_op *l, uint8_t *sram);
typedef void (*bpu_resize_fn)(const bpu_resize_op *r, uint32_t flags, uint8_t *sram);
typedef void (*bpu_requant_insn_fn)(const bpu_requant_op *q, uint32_t flags, uint8_t *sram,
                                    const int32_t *mult, const int32_t *shift);

/* bpu_kernels.native_pad: the kernels that honour a nonzero bpu_conv_geom.pad_value (conv and
 * conv_rq; dwconv and dwconv_rq). */
#define BPU_KPAD_CONV   1u
#define BPU_KPAD_DWCONV 2u

typedef struct bpu_kernels {
    const char *name; /* "ref", "avx2", "avx512vnni", "neon", "neondot" (the HB_ISA spelling) */
    bpu_conv_fn conv;
    bpu_conv_fn dwconv;
    bpu_requant_fn requant;
    /* fused CONV + requantiser (NULL: the executor calls conv/dwconv, then requant, per band) */
    bpu_conv_rq_fn conv_rq;
    bpu_conv_rq_fn dwconv_rq;
    bpu_ewise_fn ewise; /* x86 variants: AVX2; aarch64: the reference */
    bpu_pool_fn pool;
    bpu_lut_fn lut;                   /* x86 variants: AVX2; aarch64: the reference */
    bpu_resize_fn resize;             /* x86 variants: AVX2 bilinear; aarch64: the reference */
    bpu_requant_insn_fn requant_insn; /* x86: the variant's requantiser; aarch64: the reference */
    uint32_t native_pad;              /* BPU_KPAD_* bits; 0: pad_value must be 0 */
} bpu_kernels;

typedef enum bpu_isa {
    BPU_ISA_REF = 0,
    BPU_ISA_AVX2 = 1,
    BPU_ISA_AVX512VNNI = 2,
    BPU_ISA_NEON = 3,    /* aarch64 Advanced SIMD, Armv8.0 */
    BPU_ISA_NEONDOT = 4, /* aarch64 with the dot-product extension (HWCAP_ASIMDDP) */
    BPU_ISA_COUNT = 5
} bpu_isa;

/* Can this build on this CPU run the variant? (x86: CPUID; aarch64: getauxval(AT_HWCAP)) */
int bpu_isa_available(bpu_isa isa);

/* The kernel table of one variant; BPU_E_UNSUPPORTED (with a message) if the CPU or build lacks it.
 */
bpu_status bpu_kernels_get(bpu_isa isa, const bpu_kernels **out, bpu_error *err);

/* The variant named by the environment variable HB_ISA (ref|avx2|avx512vnni|neon|neondot), else
 * the best one the CPU supports (the highest-numbered available variant). An unknown name or a
 * variant the CPU lacks is an error, never a silent fallback. */
bpu_status bpu_kernels_select(const bpu_kernels **out, bpu_error *err);

#endif
