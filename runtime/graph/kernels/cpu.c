/* CPU feature detection and the HB_ISA override for the float kernel variants (hbg/cpu.h). */
#include "hbg/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#include <asm/hwcap.h>
#endif

/* Features a name in HB_ISA may require. */
enum {
    F_AVX2 = 1u << 0,   /* AVX2 + FMA (+ OS YMM state) */
    F_AVX512 = 1u << 1, /* AVX-512 F, BW, VL, DQ (+ OS ZMM state) */
    F_VNNI = 1u << 2,   /* AVX512-VNNI */
    F_NEON = 1u << 3,   /* aarch64 Advanced SIMD */
    F_DOT = 1u << 4,    /* aarch64 dot product */
};

static const struct {
    const char *name;
    hbg_isa isa;
    unsigned need;
} isa_names[] = {
    {"ref", HBG_ISA_REF, 0},
    {"avx2", HBG_ISA_AVX2, F_AVX2},
    {"avx512", HBG_ISA_AVX512, F_AVX512},
    {"avx512vnni", HBG_ISA_AVX512, F_AVX512 | F_VNNI},
    {"neon", HBG_ISA_REF, F_NEON},
    {"neondot", HBG_ISA_REF, F_NEON | F_DOT},
};

static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static unsigned cpu_features;
static hbg_isa cpu_selected = HBG_ISA_REF;
static hbg_status cpu_status = HBG_OK;
static char cpu_msg[160];

static unsigned detect_features(void)
{
    unsigned f = 0;
#if defined(HBG_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        f |= F_AVX2;
    if ((f & F_AVX2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        f |= F_AVX512;
    if ((f & F_AVX512) && __builtin_cpu_supports("avx512vnni"))
        f |= F_VNNI;
#elif defined(__aarch64__)
    f |= F_NEON;
#if defined(__linux__) && defined(HWCAP_ASIMDDP)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP)
        f |= F_DOT;
#endif
#endif
    return f;
}

static unsigned isa_need(hbg_isa isa)
{
    return isa == HBG_ISA_AVX512 ? F_AVX512 : isa == HBG_ISA_AVX2 ? F_AVX2 : 0;
}

static void cpu_init(void)
{
    const char *env = getenv("HB_ISA");
    cpu_features = detect_features();
    cpu_selected = (cpu_features & F_AVX512) ? HBG_ISA_AVX512
                   : (cpu_features & F_AVX2) ? HBG_ISA_AVX2
                                             : HBG_ISA_REF;
    if (!env || !env[0])
        return;
    for (size_t i = 0; i < sizeof isa_names / sizeof isa_names[0]; i++) {
        if (strcmp(env, isa_names[i].name) != 0)
            continue;
        if ((cpu_features & isa_names[i].need) == isa_names[i].need) {
            cpu_selected = isa_names[i].isa;
            return;
        }
        snprintf(cpu_msg, sizeof cpu_msg,
                 "HB_ISA=%s: this CPU lacks the features that variant needs", env);
        cpu_selected = HBG_ISA_REF;
        cpu_status = HBG_E_UNSUPPORTED;
        return;
    }
    snprintf(cpu_msg, sizeof cpu_msg,
             "HB_ISA=%.40s: unknown variant (use ref, avx2, avx512, avx512vnni, neon or neondot)",
             env);
    cpu_selected = HBG_ISA_REF;
    cpu_status = HBG_E_UNSUPPORTED;
}

const char *hbg_isa_name(hbg_isa isa)
{
    switch (isa) {
    case HBG_ISA_REF:
        return "ref";
    case HBG_ISA_AVX2:
        return "avx2";
    case HBG_ISA_AVX512:
        return "avx512";
    default:
        return "unknown";
    }
}

int hbg_cpu_supports(hbg_isa isa)
{
    pthread_once(&cpu_once, cpu_init);
    if ((int)isa < 0 || isa >= HBG_ISA_COUNT)
        return 0;
    return (cpu_features & isa_need(isa)) == isa_need(isa);
}

hbg_status hbg_cpu_isa(hbg_isa *isa, const char **msg)
{
    pthread_once(&cpu_once, cpu_init);
    *isa = cpu_selected;
    if (msg)
        *msg = cpu_status == HBG_OK ? "" : cpu_msg;
    return cpu_status;
}

const char *hbg_cpu_variant_name(void)
{
    pthread_once(&cpu_once, cpu_init);
    return cpu_status == HBG_OK ? hbg_isa_name(cpu_selected) : "invalid";
}

hbg_status hbg_cpu_force(hbg_isa isa)
{
    if (!hbg_cpu_supports(isa))
        return HBG_E_UNSUPPORTED;
    cpu_selected = isa;
    cpu_status = HBG_OK;
    cpu_msg[0] = '\0';
    return HBG_OK;
}
