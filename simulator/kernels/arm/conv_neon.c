/* Armv8.0 NEON variants: CONV NORMAL and DEPTHWISE with widening multiplies (SMULL int8 -> int16,
 * then SADALP / SADDW into int32), requantiser with SMULL int32 -> int64 and a rounding shift.
 * Bit-exact with kernels/ref: one int8 product fits int16 (|x*w| <= 2^14), each is widened to
 * int32 before any second product is added (two products can reach 2^15, one past int16), and
 * int32 totals wrap modulo 2^32 like the reference.
 *
 * NORMAL: one 16-byte weight load holds 4 output channels x 4 input channels (the packed layout of
 * bpu_conv_fn); multiplied with the pixel's 4 activations repeated 4 times, SADALP leaves two
 * partial sums per output channel, folded by one pairwise add at the end of the tile. */
#include <arm_neon.h>
#include <string.h>

#include "bpu/numerics.h"
#include "kernels_arm.h"
#include "kernels_ref.h"

const int8_t bpu_arm_zeros[BPU_MAX_CHANNEL + 64] = {0};

#define PX_BLOCK 3 /* output pixels per micro-tile */

static inline int32_t load4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

typedef struct tile_ctx {
    const bpu_conv_geom *g;
    const int8_t *src;
    const int8_t *wgt;
    int32_t c4, k16;
    int32_t kb;          /* first output channel of the 16-channel block */
    const int32_t *bias; /* 16 entries, zero past k */
    int32_t *acc;
    /* few input channels (c4 <= 2: the per-tap loop would dominate): source offset of every
     * 4-channel group (tap-major, as the weights) from a pixel's window origin; else NULL */
    const ptrdiff_t *goff;
    int32_t groups;
} tile_ctx;

#define GROUPS_MAX 512

/* Source pixel of every tile pixel for tap (ky, kx); padded positions point at zeros. */
static inline void tap_pointers(const tile_ctx *t, const int32_t *iy0, const int32_t *ix0,
                                int32_t np, int inside, int32_t ky, int32_t kx, const int8_t **px)
{
    const bpu_conv_geom *g = t->g;
    if (inside) {
        const int8_t *b = t->src + (size_t)(iy0[0] + ky * g->dh) * g->src_row +
                          (size_t)(ix0[0] + kx * g->dw) * g->src_px;
        for (int32_t p = 0; p < np; p++)
            px[p] = b + (size_t)p * g->sw * g->src_px;
        return;
    }
    for (int32_t p = 0; p < np; p++) {
        int32_t iy = iy0[p] + ky * g->dh, ix = ix0[p] + kx * g->dw;
        px[p] = (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w)
                    ? t->src + (size_t)iy * g->src_row + (size_t)ix * g->src_px
                    : bpu_arm_zeros;
    }
}

/* NP consecutive output pixels of the band (flat index pix = (oy - oy0) * wo + ox; a tile may span
 * rows) x 16 output channels. Called with constant NP so the accumulators live in registers. */
static inline __attribute__((always_inline)) void tile(const tile_ctx *t, int32_t oy0, int32_t pix,
                                                       int32_t NP)
{
    const bpu_conv_geom *g = t->g;
    int32x4_t lo[PX_BLOCK][4], hi[PX_BLOCK][4];
    int32_t iy0[PX_BLOCK], ix0[PX_BLOCK];
    for (int32_t p = 0; p < NP; p++) {
        iy0[p] = (oy0 + (pix + p) / g->wo) * g->sh - g->pad_top;
        ix0[p] = (pix + p) % g->wo * g->sw - g->pad_left;
        for (int32_t j = 0; j < 4; j++)
            lo[p][j] = hi[p][j] = vdupq_n_s32(0);
    }
    /* a tile within one output row whose every tap lies inside the map: pointers by stride */
    int inside = iy0[0] == iy0[NP - 1] && iy0[0] >= 0 && iy0[0] + (g->kh - 1) * g->dh < g->h &&
                 ix0[0] >= 0 && ix0[NP - 1] + (g->kw - 1) * g->dw < g->w;
    if (inside && t->goff) {
        /* one flat loop over the window's groups: no per-tap pointer set-up */
        const int8_t *px[PX_BLOCK];
        tap_pointers(t, iy0, ix0, NP, inside, 0, 0, px);
        const int8_t *wt = t->wgt + (size_t)t->kb * 4;
        for (int32_t grp = 0; grp < t->groups; grp++) {
            ptrdiff_t o = t->goff[grp];
            int8x16_t a[PX_BLOCK];
            for (int32_t p = 0; p < NP; p++)
                a[p] = vreinterpretq_s8_s32(vdupq_n_s32(load4(px[p] + o)));
            for (int32_t j = 0; j < 4; j++) {
                int8x16_t w = vld1q_s8(wt + 16 * j);
                for (int32_t p = 0; p < NP; p++) {
                    lo[p][j] = vpadalq_s16(lo[p][j], vmull_s8(vget_low_s8(w), vget_low_s8(a[p])));
                    hi[p][j] = vpadalq_s16(hi[p][j], vmull_high_s8(w, a[p]));
                }
            }
            wt += (size_t)t->k16 * 4;
        }
        goto store;
    }
    for (int32_t ky = 0; ky < g->kh; ky++) {
        for (int32_t kx = 0; kx < g->kw; kx++) {
            const int8_t *px[PX_BLOCK];
            tap_pointers(t, iy0, ix0, NP, inside, ky, kx, px);
            const int8_t *wt =
                t->wgt + ((size_t)(ky * g->kw + kx) * t->c4 * t->k16 + (size_t)t->kb) * 4;
            for (int32_t c = 0; c < t->c4; c++) {
                int8x16_t a[PX_BLOCK];
                for (int32_t p = 0; p < NP; p++)
                    a[p] = vreinterpretq_s8_s32(vdupq_n_s32(load4(px[p] + 4 * c)));
                for (int32_t j = 0; j < 4; j++) {
                    int8x16_t w = vld1q_s8(wt + 16 * j);
                    for (int32_t p = 0; p < NP; p++) {
                        lo[p][j] =
                            vpadalq_s16(lo[p][j], vmull_s8(vget_low_s8(w), vget_low_s8(a[p])));
                        hi[p][j] = vpadalq_s16(hi[p][j], vmull_high_s8(w, a[p]));
                    }
                }
                wt += (size_t)t->k16 * 4;
            }
        }
    }
store:;
    int32_t left = g->k - t->kb;
    for (int32_t p = 0; p < NP; p++) {
        int32_t *out = t->acc + (size_t)(pix + p) * g->k + t->kb;
        int32_t tmp[16];
        int32_t *dst = left >= 16 ? out : tmp;
        /* lo[j] lanes: (4j: c01, c23), (4j+1: c01, c23); hi[j] the same for 4j+2, 4j+3 */
        for (int32_t j = 0; j < 4; j++)
            vst1q_s32(dst + 4 * j,
                      vaddq_s32(vpaddq_s32(lo[p][j], hi[p][j]), vld1q_s32(t->bias + 4 * j)));
        if (left < 16)
            memcpy(out, tmp, (size_t)left * sizeof(int32_t));
    }
}

void bpu_neon_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                   const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t c4 = (g->c + 3) / 4;
    int32_t k16 = (g->k + BPU_WGT_KPACK - 1) / BPU_WGT_KPACK * BPU_WGT_KPACK;
    int32_t bias16[16];
    ptrdiff_t goff[GROUPS_MAX];
    int32_t taps = g->kh * g->kw, groups = taps * c4;
    int flat = c4 <= 2 && taps > 1 && groups <= GROUPS_MAX;
    for (int32_t grp = 0; flat && grp < groups; grp++) {
        int32_t tap = grp / c4;
        goff[grp] = (ptrdiff_t)(tap / g->kw) * g->dh * (ptrdiff_t)g->src_row +
                    (ptrdiff_t)(tap % g->kw) * g->dw * (ptrdiff_t)g->src_px + 4 * (grp % c4);
    }
    tile_ctx t = {g, src, wgt, c4, k16, 0, bias16, acc, flat ? goff : NULL, groups};
    for (int32_t kb = 0; kb < k16; kb += 16) {
        for (int32_t i = 0; i < 16; i++)
            bias16[i] = kb + i < g->k ? bias[kb + i] : 0;
        t.kb = kb;
        int32_t npix = (oy1 - oy0) * g->wo, pix = 0;
        for (; pix + PX_BLOCK <= npix; pix += PX_BLOCK)
            tile(&t, oy0, pix, PX_BLOCK);
        for (; pix < npix; pix++)
            tile(&t, oy0, pix, 1);
    }
}

/* 16 bytes from p, of which nc < 16 are real: the rest read as zero. */
static inline int8x16_t load16(const int8_t *p, int32_t nc)
{
    if (nc >= 16)
        return vld1q_s8(p);
    int8_t tmp[16] = {0};
    memcpy(tmp, p, (size_t)nc);
    return vld1q_s8(tmp);
}

/* DEPTHWISE: 16 channels per step; each tap's 16 products (SMULL, int16) are widened into four
 * int32x4 sums (SADDW). Weights are re-read per pixel from L1: the tap count is unbounded. */
void bpu_neon_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                     const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t ext_h = (g->kh - 1) * g->dh, ext_w = (g->kw - 1) * g->dw;
    for (int32_t cb = 0; cb < g->c; cb += 16) {
        int32_t nc = g->c - cb < 16 ? g->c - cb : 16;
        int32_t bt[16] = {0};
        memcpy(bt, bias + cb, (size_t)nc * sizeof(int32_t));
        for (int32_t oy = oy0; oy < oy1; oy++) {
            int32_t iy0 = oy * g->sh - g->pad_top;
            int rows_in = iy0 >= 0 && iy0 + ext_h < g->h;
            for (int32_t ox = 0; ox < g->wo; ox++) {
                int32_t ix0 = ox * g->sw - g->pad_left;
                int inside = rows_in && ix0 >= 0 && ix0 + ext_w < g->w;
                int32x4_t s0 = vld1q_s32(bt), s1 = vld1q_s32(bt + 4);
                int32x4_t s2 = vld1q_s32(bt + 8), s3 = vld1q_s32(bt + 12);
                for (int32_t ky = 0; ky < g->kh; ky++) {
                    int32_t iy = iy0 + ky * g->dh;
                    int row_out = !inside && (iy < 0 || iy >= g->h);
                    if (row_out && g->pad_value == 0)
                        continue;
                    for (int32_t kx = 0; kx < g->kw; kx++) {
                        int32_t ix = ix0 + kx * g->dw;
                        int out = row_out || (!inside && (ix < 0 || ix >= g->w));
                        if (out && g->pad_value == 0)
                            continue;
                        /* a padded tap reads pad_value (native pad, bpu_kernels.native_pad) */
                        int8x16_t x = out ? vdupq_n_s8((int8_t)g->pad_value)
                                          : load16(src + (size_t)iy * g->src_row +
                                                       (size_t)ix * g->src_px + cb,
                                                   nc);
                        int8x16_t w = load16(wgt + (size_t)(ky * g->kw + kx) * g->c + cb, nc);
                        int16x8_t pl = vmull_s8(vget_low_s8(x), vget_low_s8(w));
                        int16x8_t ph = vmull_high_s8(x, w);
                        s0 = vaddw_s16(s0, vget_low_s16(pl));
                        s1 = vaddw_high_s16(s1, pl);
                        s2 = vaddw_s16(s2, vget_low_s16(ph));
                        s3 = vaddw_high_s16(s3, ph);
                    }
                }
                int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox) * g->k + cb;
                int32_t tmp[16];
                int32_t *dst = nc == 16 ? out : tmp;
                vst1q_s32(dst, s0);
                vst1q_s32(dst + 4, s1);
                vst1q_s32(dst + 8, s2);
                vst1q_s32(dst + 12, s3);
                if (nc < 16)
                    memcpy(out, tmp, (size_t)nc * sizeof(int32_t));
            }
        }
    }
}

/* Requantiser, 8 channels per step: SMULL int32 x int32 -> int64, SRSHL by -r adds 2^(r-1) before
 * the arithmetic shift (|product| < 2^62, no overflow), SQXTN saturates to int32 (values beyond it
 * clamp to lo/hi either way), then clamp and narrow. */
void bpu_neon_requant(const int32_t *acc, int32_t n, int32_t k, const int32_t *mult,
                      const int32_t *shift, int8_t lo, int8_t hi, int8_t *dst, size_t dst_px)
{
    const int32x4_t vlo = vdupq_n_s32(lo), vhi = vdupq_n_s32(hi);
    int32_t kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        int32x4_t m0 = vld1q_s32(mult + kk), m1 = vld1q_s32(mult + kk + 4);
        int32x4_t r0 = vnegq_s32(vld1q_s32(shift + kk)), r1 = vnegq_s32(vld1q_s32(shift + kk + 4));
        int64x2_t n0 = vmovl_s32(vget_low_s32(r0)), n1 = vmovl_high_s32(r0);
        int64x2_t n2 = vmovl_s32(vget_low_s32(r1)), n3 = vmovl_high_s32(r1);
        for (int32_t p = 0; p < n; p++) {
            const int32_t *a = acc + (size_t)p * k + kk;
            int32x4_t a0 = vld1q_s32(a), a1 = vld1q_s32(a + 4);
            int64x2_t p0 = vrshlq_s64(vmull_s32(vget_low_s32(a0), vget_low_s32(m0)), n0);
            int64x2_t p1 = vrshlq_s64(vmull_high_s32(a0, m0), n1);
            int64x2_t p2 = vrshlq_s64(vmull_s32(vget_low_s32(a1), vget_low_s32(m1)), n2);
            int64x2_t p3 = vrshlq_s64(vmull_high_s32(a1, m1), n3);
            int32x4_t q0 = vqmovn_high_s64(vqmovn_s64(p0), p1);
            int32x4_t q1 = vqmovn_high_s64(vqmovn_s64(p2), p3);
            q0 = vminq_s32(vmaxq_s32(q0, vlo), vhi);
            q1 = vminq_s32(vmaxq_s32(q1, vlo), vhi);
            int16x8_t h = vmovn_high_s32(vmovn_s32(q0), q1);
            vst1_s8(dst + (size_t)p * dst_px + kk, vmovn_s16(h));
        }
    }
    for (; kk < k; kk++)
        for (int32_t p = 0; p < n; p++)
            dst[(size_t)p * dst_px + kk] =
                bpu_requant(acc[(size_t)p * k + kk], mult[kk], (uint32_t)shift[kk], lo, hi);
}
