/* Private: x86 SIMD variants of the CONV and requantiser kernels (same signatures as the reference
 * in kernels_ref.h). Compiled only for x86_64, each file with its own ISA flags; called only after
 * bpu_isa_available() said yes. */
#ifndef BPU_KERNELS_X86_H
#define BPU_KERNELS_X86_H

#include "bpu/kernels.h"

void bpu_avx2_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                   const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_avx2_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                     const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_avx2_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                      const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px);

void bpu_avx512vnni_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                         const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_avx512_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                       const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_avx512_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                        const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px);

/* CONV / DEPTHWISE with the requantiser fused (bpu_conv_rq_fn). */
void bpu_avx512vnni_conv_rq(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                            const int32_t *bias, int32_t oy0, int32_t oy1, const bpu_conv_out *o,
                            int32_t *scratch);
void bpu_avx512_dwconv_rq(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                          const int32_t *bias, int32_t oy0, int32_t oy1, const bpu_conv_out *o,
                          int32_t *scratch);

/* EWISE and POOL (vec_avx2.c; the avx2 and avx512vnni tables share them). */
void bpu_avx2_ewise(const bpu_ewise_op *e, uint32_t flags, uint8_t *sram);
void bpu_avx2_pool(const bpu_pool_op *p, uint32_t flags, uint8_t *sram, const int32_t *mult,
                   const int32_t *shift);

/* LUT, RESIZE, REQUANT instruction (vec_avx2.c); the AVX-512 table's REQUANT instruction
 * runs its requantiser (conv_avx512vnni.c). */
void bpu_avx2_lut(const bpu_lut_op *l, uint8_t *sram);
void bpu_avx2_resize(const bpu_resize_op *r, uint32_t flags, uint8_t *sram);
void bpu_avx2_requant_insn(const bpu_requant_op *q, uint32_t flags, uint8_t *sram,
                           const int32_t *mult, const int32_t *shift);
void bpu_avx512_requant_insn(const bpu_requant_op *q, uint32_t flags, uint8_t *sram,
                             const int32_t *mult, const int32_t *shift);

/* Zero bytes standing in for padded input positions (BPU_MAX_CHANNEL + 64 long). */
extern const int8_t bpu_x86_zeros[];

#endif
