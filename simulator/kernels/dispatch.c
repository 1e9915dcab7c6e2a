/* Kernel variant tables and their one-time selection (x86 CPUID or aarch64 getauxval(AT_HWCAP), or
 * HB_ISA=ref|avx2|avx512vnni|neon|neondot). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_ref.h"
#if defined(HB_BPU_X86)
#include "x86/kernels_x86.h"
#endif
#if defined(HB_BPU_ARM)
#include <sys/auxv.h>

#include "arm/kernels_arm.h"
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1) /* Linux uapi asm/hwcap.h */
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif

static const bpu_kernels variants[BPU_ISA_COUNT] = {
    [BPU_ISA_REF] = {"ref", bpu_ref_conv, bpu_ref_dwconv, bpu_ref_requant, NULL, NULL,
                     bpu_ref_ewise, bpu_ref_pool, bpu_ref_lut, bpu_ref_resize, bpu_ref_requant_insn,
                     BPU_KPAD_CONV | BPU_KPAD_DWCONV},
#if defined(HB_BPU_X86)
    [BPU_ISA_AVX2] = {"avx2", bpu_avx2_conv, bpu_avx2_dwconv, bpu_avx2_requant, NULL, NULL,
                      bpu_avx2_ewise, bpu_avx2_pool, bpu_avx2_lut, bpu_avx2_resize,
                      bpu_avx2_requant_insn, 0},
    [BPU_ISA_AVX512VNNI] = {"avx512vnni", bpu_avx512vnni_conv, bpu_avx512_dwconv,
                            bpu_avx512_requant, bpu_avx512vnni_conv_rq, bpu_avx512_dwconv_rq,
                            bpu_avx2_ewise, bpu_avx2_pool, bpu_avx2_lut, bpu_avx2_resize,
                            bpu_avx512_requant_insn, BPU_KPAD_DWCONV},
#else
    [BPU_ISA_AVX2] = {"avx2", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    [BPU_ISA_AVX512VNNI] = {"avx512vnni", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                            NULL, 0},
#endif
#if defined(HB_BPU_ARM)
    [BPU_ISA_NEON] = {"neon", bpu_neon_conv, bpu_neon_dwconv, bpu_neon_requant, NULL, NULL,
                      bpu_ref_ewise, bpu_ref_pool, bpu_ref_lut, bpu_ref_resize,
                      bpu_ref_requant_insn, BPU_KPAD_DWCONV},
    /* the requantiser has no dot products: the Armv8.0 one serves both */
    [BPU_ISA_NEONDOT] = {"neondot", bpu_neondot_conv, bpu_neondot_dwconv, bpu_neon_requant, NULL,
                         NULL, bpu_ref_ewise, bpu_ref_pool, bpu_ref_lut, bpu_ref_resize,
                         bpu_ref_requant_insn, BPU_KPAD_DWCONV},
#else
    [BPU_ISA_NEON] = {"neon", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    [BPU_ISA_NEONDOT] = {"neondot", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
#endif
};
_Static_assert(BPU_ISA_COUNT == 5, "update variants");

int bpu_isa_available(bpu_isa isa)
{
    switch (isa) {
    case BPU_ISA_REF:
        return 1;
#if defined(HB_BPU_X86)
    case BPU_ISA_AVX2:
        return __builtin_cpu_supports("avx2");
    case BPU_ISA_AVX512VNNI:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
#if defined(HB_BPU_ARM)
    case BPU_ISA_NEON:
        return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
    case BPU_ISA_NEONDOT:
        return (getauxval(AT_HWCAP) & (HWCAP_ASIMD | HWCAP_ASIMDDP)) ==
               (HWCAP_ASIMD | HWCAP_ASIMDDP);
#endif
    default:
        return 0;
    }
}

bpu_status bpu_kernels_get(bpu_isa isa, const bpu_kernels **out, bpu_error *err)
{
    if ((uint32_t)isa >= BPU_ISA_COUNT || !bpu_isa_available(isa)) {
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg),
                     "kernel variant %s is not available: this CPU or build lacks it",
                     (uint32_t)isa < BPU_ISA_COUNT ? variants[isa].name : "?");
        }
        return BPU_E_UNSUPPORTED;
    }
    *out = &variants[isa];
    return BPU_OK;
}

bpu_status bpu_kernels_select(const bpu_kernels **out, bpu_error *err)
{
    const char *want = getenv("HB_ISA");
    if (want && *want) {
        for (uint32_t i = 0; i < BPU_ISA_COUNT; i++)
            if (strcmp(want, variants[i].name) == 0)
                return bpu_kernels_get((bpu_isa)i, out, err);
        if (err) {
            err->insn = -1;
            snprintf(err->msg, sizeof(err->msg),
                     "HB_ISA=%.64s is not a BPU kernel variant (ref, avx2, avx512vnni, neon, "
                     "neondot)",
                     want);
        }
        return BPU_E_UNSUPPORTED;
    }
    for (int i = BPU_ISA_COUNT - 1; i >= 0; i--)
        if (bpu_isa_available((bpu_isa)i))
            return bpu_kernels_get((bpu_isa)i, out, err);
    return bpu_kernels_get(BPU_ISA_REF, out, err);
}
