/* Reference kernels of the vector instructions (EWISE, POOL, RESIZE, LUT, REQUANT, COPY, FILL,
 * CVTIMG). Each call covers the whole tile of one instruction. Semantics: docs/bpu-isa.md. */
#include <string.h>

#include "kernels_ref.h"

#include "bpu/numerics.h"

static int8_t *at8(uint8_t *sram, uint32_t base, size_t row, size_t px, int32_t y, int32_t x)
{
    return (int8_t *)(sram + base + (size_t)y * row + (size_t)x * px);
}

void bpu_ref_ewise(const bpu_ewise_op *e, uint32_t flags, uint8_t *sram)
{
    uint32_t op = flags & BPU_EWISE_OP_MASK;
    for (int32_t y = 0; y < e->h; y++) {
        for (int32_t x = 0; x < e->w; x++) {
            const int8_t *a = at8(sram, e->src1, e->src1_row, e->src1_px, y, x);
            const int8_t *b = at8(sram, e->src2, e->src2_row, e->src2_px, y, x);
            int8_t *d = at8(sram, e->dst, e->dst_row, e->dst_px, y, x);
            for (int32_t c = 0; c < e->c; c++) {
                int8_t x1 = a[c];
                int8_t x2 = (flags & BPU_EWISE_SCALAR2) ? b[0] : b[c];
                int8_t v;
                switch (op) {
                case BPU_EW_ADD:
                case BPU_EW_SUB:
                    v = bpu_ewise_addsub(x1, x2, (int32_t)e->m1, (int32_t)e->m2, e->r,
                                         op == BPU_EW_SUB, e->lo, e->hi);
                    break;
                case BPU_EW_MUL:
                    v = bpu_ewise_mul(x1, x2, (int32_t)e->m1, e->r, e->lo, e->hi);
                    break;
                case BPU_EW_MAX:
                    v = bpu_clamp_s8(x1 > x2 ? x1 : x2, e->lo, e->hi);
                    break;
                default:
                    v = bpu_clamp_s8(x1 < x2 ? x1 : x2, e->lo, e->hi);
                    break;
                }
                d[c] = v;
            }
        }
    }
}

void bpu_ref_pool(const bpu_pool_op *p, uint32_t flags, uint8_t *sram, const int32_t *mult,
                  const int32_t *shift)
{
    int avg = (flags & BPU_POOL_AVG) != 0;
    for (int32_t oy = 0; oy < p->ho; oy++) {
        int32_t y0 = oy * p->sh - p->pad_top;
        int32_t ya = y0 < 0 ? 0 : y0, yb = y0 + p->kh > p->h ? p->h : y0 + p->kh;
        for (int32_t ox = 0; ox < p->wo; ox++) {
            int32_t x0 = ox * p->sw - p->pad_left;
            int32_t xa = x0 < 0 ? 0 : x0, xb = x0 + p->kw > p->w ? p->w : x0 + p->kw;
            int32_t n = (flags & BPU_POOL_COUNT_PAD) ? p->kh * p->kw : (yb - ya) * (xb - xa);
            int8_t *d = at8(sram, p->dst, p->dst_row, p->dst_px, oy, ox);
            for (int32_t c = 0; c < p->c; c++) {
                int32_t acc = avg ? 0 : -128;
                for (int32_t y = ya; y < yb; y++) {
                    for (int32_t x = xa; x < xb; x++) {
                        int32_t v = at8(sram, p->src, p->src_row, p->src_px, y, x)[c];
                        if (avg)
                            acc += v;
                        else if (v > acc)
                            acc = v;
                    }
                }
                d[c] = avg ? bpu_requant(acc, mult[n - 1], (uint32_t)shift[n - 1], p->lo, p->hi)
                           : bpu_clamp_s8(acc, p->lo, p->hi);
            }
        }
    }
}

/* Source coordinate of output index o in Q16, clamped to [0, (n-1) << 16]. */
static int64_t src_coord(int32_t off, uint32_t step, int32_t o, int32_t n)
{
    int64_t s = (int64_t)off + (int64_t)step * o;
    int64_t top = (int64_t)(n - 1) << 16;
    return s < 0 ? 0 : s > top ? top : s;
}

void bpu_ref_resize(const bpu_resize_op *r, uint32_t flags, uint8_t *sram)
{
    int bilinear = (flags & BPU_RESIZE_BILINEAR) != 0;
    for (int32_t oy = 0; oy < r->ho; oy++) {
        int64_t sy = src_coord(r->off_y, r->step_y, oy, r->h);
        int32_t y0 = (int32_t)(sy >> 16), y1 = y0 + 1 < r->h ? y0 + 1 : y0;
        int32_t fy = (int32_t)((sy & 0xFFFF) >> 5);
        for (int32_t ox = 0; ox < r->wo; ox++) {
            int64_t sx = src_coord(r->off_x, r->step_x, ox, r->w);
            int32_t x0 = (int32_t)(sx >> 16), x1 = x0 + 1 < r->w ? x0 + 1 : x0;
            int32_t fx = (int32_t)((sx & 0xFFFF) >> 5);
            int8_t *d = at8(sram, r->dst, r->dst_row, r->dst_px, oy, ox);
            const int8_t *p00 = at8(sram, r->src, r->src_row, r->src_px, y0, x0);
            if (!bilinear) {
                memcpy(d, p00, r->c);
                continue;
            }
            const int8_t *p01 = at8(sram, r->src, r->src_row, r->src_px, y0, x1);
            const int8_t *p10 = at8(sram, r->src, r->src_row, r->src_px, y1, x0);
            const int8_t *p11 = at8(sram, r->src, r->src_row, r->src_px, y1, x1);
            for (int32_t c = 0; c < r->c; c++)
                d[c] = bpu_bilinear(p00[c], p01[c], p10[c], p11[c], fy, fx);
        }
    }
}

void bpu_ref_lut(const bpu_lut_op *l, uint8_t *sram)
{
    const int8_t *table = (const int8_t *)(sram + l->table);
    for (int32_t y = 0; y < l->h; y++) {
        for (int32_t x = 0; x < l->w; x++) {
            const int8_t *s = at8(sram, l->src, l->src_row, l->src_px, y, x);
            int8_t *d = at8(sram, l->dst, l->dst_row, l->dst_px, y, x);
            for (int32_t c = 0; c < l->c; c++)
                d[c] = bpu_lut(table, s[c]);
        }
    }
}

void bpu_ref_requant_insn(const bpu_requant_op *q, uint32_t flags, uint8_t *sram,
                          const int32_t *mult, const int32_t *shift)
{
    int s32 = (flags & BPU_RQ_SRC_S32) != 0;
    int perch = (flags & BPU_RQ_PER_CHANNEL) != 0;
    for (int32_t y = 0; y < q->h; y++) {
        for (int32_t x = 0; x < q->w; x++) {
            const uint8_t *s = sram + q->src + (size_t)y * q->src_row + (size_t)x * q->src_px;
            int8_t *d = at8(sram, q->dst, q->dst_row, q->dst_px, y, x);
            for (int32_t c = 0; c < q->c; c++) {
                int32_t v = s32 ? ((const int32_t *)(const void *)s)[c] : ((const int8_t *)s)[c];
                int32_t i = perch ? c : 0;
                d[c] = bpu_requant(v, mult[i], (uint32_t)shift[i], q->lo, q->hi);
            }
        }
    }
}

void bpu_ref_copy(const bpu_copy_op *c, uint8_t *sram)
{
    for (uint32_t z = 0; z < c->z_planes; z++)
        for (uint32_t y = 0; y < c->y_rows; y++)
            memcpy(sram + c->dst + (size_t)z * c->dst_stride_z + (size_t)y * c->dst_stride_y,
                   sram + c->src + (size_t)z * c->src_stride_z + (size_t)y * c->src_stride_y,
                   c->x_bytes);
}

void bpu_ref_fill(const bpu_copy_op *c, uint8_t *sram)
{
    for (uint32_t z = 0; z < c->z_planes; z++)
        for (uint32_t y = 0; y < c->y_rows; y++)
            memset(sram + c->dst + (size_t)z * c->dst_stride_z + (size_t)y * c->dst_stride_y,
                   (uint8_t)c->value, c->x_bytes);
}

void bpu_ref_cvtimg(const bpu_cvtimg_op *c, uint32_t flags, uint8_t *sram, const bpu_cvt_params *p)
{
    int yuv444 = (flags & BPU_CVT_YUV444) != 0;
    for (int32_t y = 0; y < c->h; y++) {
        for (int32_t x = 0; x < c->w; x++) {
            int32_t d[3];
            if (yuv444) {
                const uint8_t *s = sram + c->src_y + (size_t)y * c->y_row + (size_t)x * 3;
                d[0] = s[0];
                d[1] = s[1] - 128;
                d[2] = s[2] - 128;
            } else {
                const uint8_t *uv =
                    sram + c->src_uv + (size_t)(y / 2) * c->uv_row + (size_t)(x / 2) * 2;
                d[0] = sram[c->src_y + (size_t)y * c->y_row + (size_t)x];
                d[1] = uv[0] - 128;
                d[2] = uv[1] - 128;
            }
            int8_t *out = at8(sram, c->dst, c->dst_row, c->dst_px, y, x);
            for (int32_t o = 0; o < 3; o++) {
                /* |coef| <= 2^20 and |bias| <= 2^30 (checked by the executor): |acc| < 2^31 */
                int64_t acc = (int64_t)p->coef[o][0] * d[0] + (int64_t)p->coef[o][1] * d[1] +
                              (int64_t)p->coef[o][2] * d[2] + p->bias[o];
                out[o] = bpu_clamp_s8(bpu_round_shift(acc * p->mult[o], (uint32_t)p->shift[o]),
                                      c->lo, c->hi);
            }
        }
    }
}
