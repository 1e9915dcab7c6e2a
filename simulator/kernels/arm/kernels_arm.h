/* Private: aarch64 NEON variants of the CONV and requantiser kernels (same signatures as the
 * reference in kernels_ref.h). "neon" needs only Armv8.0 Advanced SIMD (SMULL/SADALP widening);
 * "neondot" also needs the dot-product extension (SDOT, HWCAP_ASIMDDP) and is compiled with
 * +dotprod in its own file, called only after bpu_isa_available() said yes. */
#ifndef BPU_KERNELS_ARM_H
#define BPU_KERNELS_ARM_H

#include "bpu/kernels.h"

void bpu_neon_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                   const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_neon_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                     const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_neon_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                      const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px);

void bpu_neondot_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                      const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_neondot_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                        const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);

/* Zero bytes standing in for padded input positions (BPU_MAX_CHANNEL + 64 long). */
extern const int8_t bpu_arm_zeros[];

#endif
