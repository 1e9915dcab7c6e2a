/* CPU variant selection for the float kernels.
 *
 * The float kernels come in variants: the plain C reference ("ref", the only one on non-x86 hosts)
 * and x86 SIMD variants ("avx2" = AVX2 + FMA, "avx512" = AVX-512 F/BW/VL/DQ). The best variant the
 * CPU supports is chosen once per process from CPUID; the environment variable HB_ISA overrides it.
 * HB_ISA also accepts the simulator's names (ARCHITECTURE 5): "avx512vnni" selects the avx512 float
 * kernels (and needs AVX512-VNNI), "neon" and "neondot" select the reference float kernels (and
 * need an aarch64 CPU with those features). An unknown value, or a variant the CPU lacks, makes
 * every prepare of an op with variants fail with the message of hbg_cpu_isa().
 */
#ifndef HBG_CPU_H
#define HBG_CPU_H

#include "hbg/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hbg_isa {
    HBG_ISA_REF = 0,
    HBG_ISA_AVX2 = 1,
    HBG_ISA_AVX512 = 2,
    HBG_ISA_COUNT
} hbg_isa;

/* Name of a variant ("ref", "avx2", "avx512"), or "unknown". */
const char *hbg_isa_name(hbg_isa isa);

/* 1 when this CPU (and this build) can run variant isa; "ref" always can. */
int hbg_cpu_supports(hbg_isa isa);

/* The variant in use. On HBG_OK *isa is set; on HBG_E_UNSUPPORTED (HB_ISA unknown or naming a
 * variant the CPU lacks) *isa is HBG_ISA_REF and *msg (if msg is not NULL) points to a static
 * message naming the value. Thread-safe; the environment is read once. */
hbg_status hbg_cpu_isa(hbg_isa *isa, const char **msg);

/* Name of the variant in use, or "invalid" when HB_ISA was refused. For tools' banners. */
const char *hbg_cpu_variant_name(void);

/* Select isa for every later prepare (tests, tools with an --isa option). Refuses
 * (HBG_E_UNSUPPORTED) a variant the CPU lacks and keeps the current choice. Not thread-safe against
 * a concurrent prepare; nodes already prepared keep the variant they were prepared with. */
hbg_status hbg_cpu_force(hbg_isa isa);

#ifdef __cplusplus
}
#endif
#endif /* HBG_CPU_H */
