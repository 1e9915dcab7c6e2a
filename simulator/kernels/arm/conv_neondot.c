/* NEON dot-product variants (Armv8.2 SDOT, compiled with +dotprod): CONV NORMAL and DEPTHWISE.
 * SDOT adds four signed int8 x int8 products into each int32 lane exactly (each lane gains at most
 * 4 * 2^14), so results are bit-exact with kernels/ref; totals wrap modulo 2^32 like it.
 *
 * NORMAL: the packed weight layout already holds 4 input channels per output channel in each
 * 32-bit lane, so one 16-byte weight load and the pixel's 4 activations repeated 4 times give 4
 * output channels per SDOT.
 *
 * DEPTHWISE: 4 kernel rows are packed per 32-bit lane. For one output row and 16 channels, every
 * input column needed is interleaved once (ST4 of the 4 rows' 16 bytes: byte 4*ch + r = row r,
 * channel ch) into a column buffer; an output pixel then takes ceil(kh/4) * kw SDOTs per 4
 * channels, and a column is shared by every output pixel whose window covers it. Padded rows and
 * columns are interleaved from zeros. */
#include <arm_neon.h>
#include <string.h>

#include "kernels_arm.h"
#include "kernels_ref.h"

#define PX_BLOCK 4 /* output pixels per NORMAL micro-tile */

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

/* NP consecutive output pixels of the band (flat index pix = (oy - oy0) * wo + ox; a tile may span
 * rows) x 16 output channels. Called with constant NP so the accumulators live in registers. */
static inline __attribute__((always_inline)) void tile(const tile_ctx *t, int32_t oy0, int32_t pix,
                                                       int32_t NP)
{
    const bpu_conv_geom *g = t->g;
    int32x4_t acc[PX_BLOCK][4];
    int32_t iy0[PX_BLOCK], ix0[PX_BLOCK];
    for (int32_t p = 0; p < NP; p++) {
        iy0[p] = (oy0 + (pix + p) / g->wo) * g->sh - g->pad_top;
        ix0[p] = (pix + p) % g->wo * g->sw - g->pad_left;
        for (int32_t j = 0; j < 4; j++)
            acc[p][j] = vld1q_s32(t->bias + 4 * j);
    }
    /* a tile within one output row whose every tap lies inside the map: pointers by stride */
    int inside = iy0[0] == iy0[NP - 1] && iy0[0] >= 0 && iy0[0] + (g->kh - 1) * g->dh < g->h &&
                 ix0[0] >= 0 && ix0[NP - 1] + (g->kw - 1) * g->dw < g->w;
    if (inside && t->goff) {
        /* one flat loop over the window's groups: no per-tap pointer set-up */
        const int8_t *px[PX_BLOCK];
        for (int32_t p = 0; p < NP; p++)
            px[p] = t->src + (size_t)iy0[0] * g->src_row + (size_t)(ix0[0] + p * g->sw) * g->src_px;
        const int8_t *wt = t->wgt + (size_t)t->kb * 4;
        for (int32_t grp = 0; grp < t->groups; grp++) {
            ptrdiff_t o = t->goff[grp];
            int8x16_t a[PX_BLOCK];
            for (int32_t p = 0; p < NP; p++)
                a[p] = vreinterpretq_s8_s32(vdupq_n_s32(load4(px[p] + o)));
            for (int32_t j = 0; j < 4; j++) {
                int8x16_t w = vld1q_s8(wt + 16 * j);
                for (int32_t p = 0; p < NP; p++)
                    acc[p][j] = vdotq_s32(acc[p][j], w, a[p]);
            }
            wt += (size_t)t->k16 * 4;
        }
        goto store;
    }
    for (int32_t ky = 0; ky < g->kh; ky++) {
        for (int32_t kx = 0; kx < g->kw; kx++) {
            const int8_t *px[PX_BLOCK];
            for (int32_t p = 0; p < NP; p++) {
                int32_t iy = iy0[p] + ky * g->dh, ix = ix0[p] + kx * g->dw;
                px[p] = inside || (iy >= 0 && iy < g->h && ix >= 0 && ix < g->w)
                            ? t->src + (size_t)iy * g->src_row + (size_t)ix * g->src_px
                            : bpu_arm_zeros;
            }
            const int8_t *wt =
                t->wgt + ((size_t)(ky * g->kw + kx) * t->c4 * t->k16 + (size_t)t->kb) * 4;
            for (int32_t c = 0; c < t->c4; c++) {
                int8x16_t a[PX_BLOCK];
                for (int32_t p = 0; p < NP; p++)
                    a[p] = vreinterpretq_s8_s32(vdupq_n_s32(load4(px[p] + 4 * c)));
                for (int32_t j = 0; j < 4; j++) {
                    int8x16_t w = vld1q_s8(wt + 16 * j);
                    for (int32_t p = 0; p < NP; p++)
                        acc[p][j] = vdotq_s32(acc[p][j], w, a[p]);
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
        for (int32_t j = 0; j < 4; j++)
            vst1q_s32(dst + 4 * j, acc[p][j]);
        if (left < 16)
            memcpy(out, tmp, (size_t)left * sizeof(int32_t));
    }
}

void bpu_neondot_conv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
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

#define DW_MAX_GROUPS 2   /* kernel rows / 4: kh <= 8 takes the packed path */
#define DW_MAX_KW     16  /* kernel columns on the packed path */
#define DW_MAX_COLS   128 /* input columns interleaved at once (16 KiB buffer) */

/* 16 bytes from p, of which nc < 16 are real: the rest read as zero (the source may not be
 * readable past a pixel's channels). */
static inline int8x16_t load16(const int8_t *p, int32_t nc)
{
    if (nc >= 16)
        return vld1q_s8(p);
    int8_t tmp[16] = {0};
    memcpy(tmp, p, (size_t)nc);
    return vld1q_s8(tmp);
}

void bpu_neondot_dwconv(const bpu_conv_geom *g, const int8_t *src, const int8_t *wgt,
                        const int32_t *bias, int32_t oy0, int32_t oy1, int32_t *acc)
{
    int32_t groups = (g->kh + 3) / 4, ext_w = (g->kw - 1) * g->dw;
    if (groups > DW_MAX_GROUPS || g->kw > DW_MAX_KW || ext_w + 1 > DW_MAX_COLS) {
        bpu_neon_dwconv(g, src, wgt, bias, oy0, oy1, acc);
        return;
    }
    /* wv[q][kx]: 64 bytes, lane ch of 32-bit word = weights of rows 4q..4q+3 (zero past kh) */
    int8_t wv[DW_MAX_GROUPS][DW_MAX_KW][64];
    /* cols[q][col]: the interleaved 4 rows of input column ix = ix_first + col */
    int8_t cols[DW_MAX_GROUPS][DW_MAX_COLS][64];
    /* output pixels per chunk so that their windows span at most DW_MAX_COLS columns */
    int32_t chunk = (DW_MAX_COLS - ext_w - 1) / g->sw + 1;
    for (int32_t cb = 0; cb < g->c; cb += 16) {
        int32_t nc = g->c - cb < 16 ? g->c - cb : 16;
        int32_t bt[16] = {0};
        memcpy(bt, bias + cb, (size_t)nc * sizeof(int32_t));
        for (int32_t q = 0; q < groups; q++) {
            for (int32_t kx = 0; kx < g->kw; kx++) {
                int8x16x4_t r;
                r.val[0] = r.val[1] = r.val[2] = r.val[3] = vdupq_n_s8(0);
                for (int32_t i = 0; i < 4 && 4 * q + i < g->kh; i++)
                    r.val[i] = load16(wgt + (size_t)((4 * q + i) * g->kw + kx) * g->c + cb, nc);
                vst4q_s8(wv[q][kx], r);
            }
        }
        for (int32_t oy = oy0; oy < oy1; oy++) {
            const int8_t *rows[4 * DW_MAX_GROUPS];
            for (int32_t i = 0; i < 4 * groups; i++) {
                int32_t iy = oy * g->sh - g->pad_top + i * g->dh;
                rows[i] =
                    i < g->kh && iy >= 0 && iy < g->h ? src + (size_t)iy * g->src_row + cb : NULL;
            }
            for (int32_t ox0 = 0; ox0 < g->wo; ox0 += chunk) {
                int32_t nox = g->wo - ox0 < chunk ? g->wo - ox0 : chunk;
                int32_t ix_first = ox0 * g->sw - g->pad_left;
                int32_t ncols = (nox - 1) * g->sw + ext_w + 1;
                for (int32_t q = 0; q < groups; q++) {
                    for (int32_t col = 0; col < ncols; col++) {
                        int32_t ix = ix_first + col;
                        int8x16x4_t r;
                        /* padded rows and columns read pad_value (rows past kh meet zero
                         * weights) */
                        for (int32_t i = 0; i < 4; i++) {
                            const int8_t *row = rows[4 * q + i];
                            r.val[i] = row && ix >= 0 && ix < g->w
                                           ? load16(row + (size_t)ix * g->src_px, nc)
                                           : vdupq_n_s8((int8_t)g->pad_value);
                        }
                        vst4q_s8(cols[q][col], r);
                    }
                }
                for (int32_t i = 0; i < nox; i++) {
                    int32x4_t s0 = vld1q_s32(bt), s1 = vld1q_s32(bt + 4);
                    int32x4_t s2 = vld1q_s32(bt + 8), s3 = vld1q_s32(bt + 12);
                    for (int32_t q = 0; q < groups; q++) {
                        for (int32_t kx = 0; kx < g->kw; kx++) {
                            const int8_t *x = cols[q][i * g->sw + kx * g->dw];
                            const int8_t *w = wv[q][kx];
                            s0 = vdotq_s32(s0, vld1q_s8(x), vld1q_s8(w));
                            s1 = vdotq_s32(s1, vld1q_s8(x + 16), vld1q_s8(w + 16));
                            s2 = vdotq_s32(s2, vld1q_s8(x + 32), vld1q_s8(w + 32));
                            s3 = vdotq_s32(s3, vld1q_s8(x + 48), vld1q_s8(w + 48));
                        }
                    }
                    int32_t *out = acc + ((size_t)(oy - oy0) * g->wo + ox0 + i) * g->k + cb;
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
}
