/* Private: the plain-C reference kernels. CONV/requant have the public bpu_kernels signatures; the
 * vector instructions take their decoded fields and the SRAM base (every address was proven in
 * bounds by the validator) plus host copies of their SRAM parameter records, already range-checked
 * by the executor. */
#ifndef BPU_KERNELS_REF_H
#define BPU_KERNELS_REF_H

#include <stdint.h>

#include "bpu/isa.h"
#include "bpu/kernels.h"

/* Two's complement uint32 -> int32 without implementation-defined conversion. */
int32_t bpu_u32_to_s32(uint32_t u);

void bpu_ref_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt, const int32_t *bias,
                  int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_ref_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                    const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc);
void bpu_ref_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                     const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px);

/* CVTIMG parameters of the three output channels. */
typedef struct bpu_cvt_params {
    int32_t coef[3][3]; /* applied to (Y, U - 128, V - 128) */
    int32_t bias[3];
    int32_t mult[3];
    int32_t shift[3];
} bpu_cvt_params;

void bpu_ref_ewise(const bpu_ewise_op *e, uint32_t flags, uint8_t *sram);
/* mult/shift: one entry per window count n = 1 .. kh*kw (index n - 1); unused by MAX. */
void bpu_ref_pool(const bpu_pool_op *p, uint32_t flags, uint8_t *sram, const int32_t *mult,
                  const int32_t *shift);
void bpu_ref_resize(const bpu_resize_op *r, uint32_t flags, uint8_t *sram);
void bpu_ref_lut(const bpu_lut_op *l, uint8_t *sram);
/* mult/shift: c entries (PER_CHANNEL) or 1 */
void bpu_ref_requant_insn(const bpu_requant_op *q, uint32_t flags, uint8_t *sram,
                          const int32_t *mult, const int32_t *shift);
void bpu_ref_copy(const bpu_copy_op *c, uint8_t *sram);
void bpu_ref_fill(const bpu_copy_op *c, uint8_t *sram);
void bpu_ref_cvtimg(const bpu_cvtimg_op *c, uint32_t flags, uint8_t *sram, const bpu_cvt_params *p);

#endif
