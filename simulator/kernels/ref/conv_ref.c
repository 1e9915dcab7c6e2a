/* Reference CONV and requantiser kernels: plain loop nests, the definition every SIMD variant is
 * tested against; padded positions read g->pad_value. Accumulation is modulo 2^32 (done in
 * uint32_t, no signed overflow); within the validator's limit kh*kw*c <= 65536 the sum of products
 * never wraps, only bias/partials can. */
#include "kernels_ref.h"

#include "bpu/numerics.h"

int32_t bpu_u32_to_s32(uint32_t u)
{
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

void bpu_ref_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt, const int32_t *bias,
                  int32_t oy0, int32_t oy1, int32_t *acc)
{
    const int32_t c4 = (g->c + 3) / 4;
    const int32_t k16 = (g->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    for (int32_t oy = oy0; oy < oy1; oy++) {
        for (int32_t ox = 0; ox < g->wo; ox++) {
            int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k;
            for (int32_t kk = 0; kk < g->k; kk++) {
                uint32_t sum = (uint32_t)bias[kk];
                for (int32_t ky = 0; ky < g->kh; ky++) {
                    int32_t iy = oy * g->sh - g->pad_top + ky * g->dh;
                    for (int32_t kx = 0; kx < g->kw; kx++) {
                        int32_t ix = ox * g->sw - g->pad_left + kx * g->dw;
                        int in = iy >= 0 && iy < g->h && ix >= 0 && ix < g->w;
                        if (!in && g->pad_value == 0)
                            continue;
                        const int8_t *x =
                            in ? src + (size_t)iy * g->src_row + (size_t)ix * g->src_px : NULL;
                        const int8_t *wt = wgt + ((size_t)(ky * g->kw + kx) * c4 * k16) * 4;
                        for (int32_t c = 0; c < g->c; c++) {
                            int32_t w = wt[((size_t)(c / 4) * k16 + kk) * 4 + (c % 4)];
                            sum += (uint32_t)((x ? x[c] : g->pad_value) * w);
                        }
                    }
                }
                out[kk] = bpu_u32_to_s32(sum);
            }
        }
    }
}

void bpu_ref_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                    const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    for (int32_t oy = oy0; oy < oy1; oy++) {
        for (int32_t ox = 0; ox < g->wo; ox++) {
            int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k;
            for (int32_t ch = 0; ch < g->c; ch++) {
                uint32_t sum = (uint32_t)bias[ch];
                for (int32_t ky = 0; ky < g->kh; ky++) {
                    int32_t iy = oy * g->sh - g->pad_top + ky * g->dh;
                    for (int32_t kx = 0; kx < g->kw; kx++) {
                        int32_t ix = ox * g->sw - g->pad_left + kx * g->dw;
                        int32_t x = iy >= 0 && iy < g->h && ix >= 0 && ix < g->w
                                        ? src[(size_t)iy * g->src_row + (size_t)ix * g->src_px + ch]
                                        : g->pad_value;
                        int32_t w = wgt[(size_t)(ky * g->kw + kx) * g->c + ch];
                        sum += (uint32_t)(x * w);
                    }
                }
                out[ch] = bpu_u32_to_s32(sum);
            }
        }
    }
}

void bpu_ref_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                     const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px)
{
    for (int32_t p = 0; p < n; p++)
        for (int32_t kk = 0; kk < k; kk++)
            dst[(size_t)p * dst_px + kk] =
                bpu_requant(acc[(size_t)p * k + kk], mult[kk], (uint32_t)shift[kk], lo, hi);
}
