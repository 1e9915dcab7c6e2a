/* The portable half of the packed SGEMM: operand packing and cache blocking. The ISA files
 * (sgemm_avx2.c, sgemm_avx512.c) provide the register-blocked block kernels. */
#include "conv_kernels.h"

#include <string.h>

const hbg_fast_kernels *hbg_fast_kernels_get(hbg_isa isa)
{
#if defined(HBG_X86)
    if (isa == HBG_ISA_AVX512)
        return &hbg_fast_avx512;
    if (isa == HBG_ISA_AVX2)
        return &hbg_fast_avx2;
#else
    (void)isa;
#endif
    return NULL;
}

static size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

void hbg_transpose_bias(const float *ct, size_t ldct, size_t n, size_t m, const float *bias,
                        const float *clamp, float *y, size_t ldy)
{
    /* strips of 16 rows of ct: each y row gets 16 contiguous floats (one cache line) from the 16
     * ct lines that stay in L1 while j runs along them */
    for (size_t i0 = 0; i0 < n; i0 += 16) {
        const size_t i1 = min_sz(i0 + 16, n);
        for (size_t j = 0; j < m; j++) {
            const float bj = bias ? bias[j] : 0.0f;
            const float *cj = ct + j;
            float *yj = y + j * ldy;
            if (clamp)
                for (size_t i = i0; i < i1; i++)
                    yj[i] = hbg_clamp1(cj[i * ldct] + bj, clamp);
            else
                for (size_t i = i0; i < i1; i++)
                    yj[i] = cj[i * ldct] + bj;
        }
    }
}

static size_t round_up(size_t v, size_t to)
{
    return (v + to - 1) / to * to;
}

void hbg_dw_padded_dims(const hbg_dw_args *p, size_t rows, size_t cols, size_t *ph, size_t *pw)
{
    /* last row read: (ho rounded up to rows - 1) * sh + (kh - 1) * dh */
    const size_t hb = round_up((size_t)p->ho, rows), wb = round_up((size_t)p->wo, cols);
    const size_t need_w = wb * (size_t)p->sw + (size_t)((p->kw - 1) * p->dw);
    *ph = (hb - 1) * (size_t)p->sh + (size_t)((p->kh - 1) * p->dh) + 1;
    *pw = round_up(need_w > (size_t)(p->pl + p->w) ? need_w : (size_t)(p->pl + p->w), 16);
}

size_t hbg_dw_padded_floats(const hbg_dw_args *p, size_t rows, size_t cols)
{
    size_t ph, pw;
    hbg_dw_padded_dims(p, rows, cols, &ph, &pw);
    return ph * pw;
}

void hbg_dw_pad_plane(const hbg_dw_args *p, const float *xp, float *pp, size_t ph, size_t pw)
{
    for (int64_t iy = 0; iy < p->h && (size_t)(p->pt + iy) < ph; iy++)
        memcpy(pp + (size_t)(p->pt + iy) * pw + p->pl, xp + iy * p->w, (size_t)p->w * sizeof *xp);
}

/* Pack rows [i0, i0 + rows) x columns [p0, p0 + kc) of a MATRIX A operand into mr-row panels of
 * stride kc * mr; rows past i0 + rows are 0. */
static void pack_a_block(const hbg_operand *s, size_t mr, size_t i0, size_t rows, size_t p0,
                         size_t kc, float *dst)
{
    const int rows_inner = s->rs == 1; /* X^T of a 1x1 conv: a panel's rows are adjacent */
    for (size_t p = 0; p * mr < rows; p++) {
        float *d = dst + p * kc * mr;
        const size_t live = min_sz(mr, rows - p * mr); /* rows past it are 0 */
        const float *src = s->p + (ptrdiff_t)(i0 + p * mr) * s->rs + (ptrdiff_t)p0 * s->cs;
        if (rows_inner && live == mr) { /* full panel: no per-element row test */
            for (size_t k = 0; k < kc; k++) {
                const float *sk = src + (ptrdiff_t)k * s->cs;
                for (size_t r = 0; r < mr; r++)
                    d[k * mr + r] = sk[r];
            }
            continue;
        }
        if (rows_inner) {
            for (size_t k = 0; k < kc; k++) {
                const float *sk = src + (ptrdiff_t)k * s->cs;
                for (size_t r = 0; r < mr; r++)
                    d[k * mr + r] = r < live ? sk[r] : 0.0f;
            }
            continue;
        }
        for (size_t r = 0; r < mr; r++) {
            const float *sr = src + (ptrdiff_t)r * s->rs;
            for (size_t k = 0; k < kc; k++)
                d[k * mr + r] = r < live ? sr[(ptrdiff_t)k * s->cs] : 0.0f;
        }
    }
}

/* d[i] = s[i * stride] for i < n; strides 1 and 2 (3x3/2 stems) get loops the compiler vectorises.
 */
static void copy_strided(float *d, const float *s, int64_t n, int64_t stride)
{
    if (stride == 1)
        memcpy(d, s, (size_t)n * sizeof *d);
    else if (stride == 2)
        for (int64_t i = 0; i < n; i++)
            d[i] = s[2 * i];
    else
        for (int64_t i = 0; i < n; i++)
            d[i] = s[i * stride];
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One im2col row segment: columns [j, j + cnt) of row (ci, ky, kx) into d (contiguous). */
static void im2col_run(const hbg_im2col *im, const float *plane, int64_t ky, int64_t kx, size_t j,
                       size_t cnt, float *d)
{
    int64_t oy = (int64_t)j / im->wo, ox = (int64_t)j % im->wo;
    const int64_t off = kx * im->dw - im->pl;
    /* Output columns ox in [lo, hi) read inside the row: 0 <= ox*sw + off < w. */
    const int64_t lo = off >= 0 ? 0 : (-off + im->sw - 1) / im->sw;
    const int64_t hi = im->w - off <= 0 ? 0 : (im->w - off - 1) / im->sw + 1;
    while (cnt > 0) {
        const int64_t run = (int64_t)min_sz(cnt, (size_t)(im->wo - ox));
        const int64_t iy = oy * im->sh - im->pt + ky * im->dh;
        if (iy < 0 || iy >= im->h) {
            memset(d, 0, (size_t)run * sizeof *d);
        } else {
            /* zeros for [ox, a), the row for [a, b), zeros for [b, ox + run) */
            const int64_t a = clamp64(lo, ox, ox + run), b = clamp64(hi, a, ox + run);
            memset(d, 0, (size_t)(a - ox) * sizeof *d);
            copy_strided(d + (a - ox), plane + iy * im->w + a * im->sw + off, b - a, im->sw);
            memset(d + (b - ox), 0, (size_t)(ox + run - b) * sizeof *d);
        }
        d += run;
        cnt -= (size_t)run;
        ox = 0;
        oy++;
    }
}

void hbg_im2col_fill(const hbg_im2col *im, size_t k, size_t npix, float *dst)
{
    const int64_t ksz = im->kh * im->kw;
    for (size_t r = 0; r < k; r++) {
        const int64_t kk = (int64_t)r;
        im2col_run(im, im->x + (kk / ksz) * im->h * im->w, (kk % ksz) / im->kw, kk % im->kw, 0,
                   npix, dst + r * npix);
    }
}

/* Pack rows [p0, p0 + kc) x columns [j0, j0 + cols) of a MATRIX or IM2COL B operand into nr-column
 * panels of stride kc * nr; columns past j0 + cols are 0. */
static void pack_b_block(const hbg_operand *s, size_t nr, size_t p0, size_t kc, size_t j0,
                         size_t cols, float *dst)
{
    for (size_t q = 0; q * nr < cols; q++) {
        float *d = dst + q * kc * nr;
        const size_t jq = j0 + q * nr, cnt = min_sz(nr, cols - q * nr);
        for (size_t k = 0; k < kc; k++, d += nr) {
            if (s->kind == HBG_OPND_IM2COL) {
                const hbg_im2col *im = s->im;
                const int64_t kk = (int64_t)(p0 + k), ksz = im->kh * im->kw;
                im2col_run(im, im->x + (kk / ksz) * im->h * im->w, (kk % ksz) / im->kw, kk % im->kw,
                           jq, cnt, d);
            } else if (s->cs == 1) {
                memcpy(d, s->p + (ptrdiff_t)(p0 + k) * s->rs + (ptrdiff_t)jq, cnt * sizeof *d);
            } else {
                const float *src = s->p + (ptrdiff_t)(p0 + k) * s->rs + (ptrdiff_t)jq * s->cs;
                for (size_t j = 0; j < cnt; j++)
                    d[j] = src[(ptrdiff_t)j * s->cs];
            }
            for (size_t j = cnt; j < nr; j++)
                d[j] = 0.0f;
        }
    }
}

size_t hbg_sgemm_packed_a_floats(const hbg_fast_kernels *fk, size_t m, size_t k)
{
    return round_up(m, fk->mr) * k;
}

size_t hbg_sgemm_packed_b_floats(const hbg_fast_kernels *fk, size_t k, size_t n)
{
    return round_up(n, fk->nr) * k;
}

void hbg_sgemm_pack_a(const hbg_fast_kernels *fk, size_t m, size_t k, const hbg_operand *src,
                      float *dst)
{
    pack_a_block(src, fk->mr, 0, m, 0, k, dst);
}

void hbg_sgemm_pack_b(const hbg_fast_kernels *fk, size_t k, size_t n, const hbg_operand *src,
                      float *dst)
{
    pack_b_block(src, fk->nr, 0, k, 0, n, dst);
}

/* Floats of the B block and A block buffers; each starts 64-byte aligned. */
static size_t b_block_floats(const hbg_fast_kernels *fk, size_t n, size_t k)
{
    return round_up(min_sz(fk->kc, k) * min_sz(fk->nc, round_up(n, fk->nr)), 16);
}

static size_t a_block_floats(const hbg_fast_kernels *fk, size_t m, size_t k)
{
    return round_up(min_sz(fk->kc, k) * min_sz(fk->mc, round_up(m, fk->mr)), 16);
}

size_t hbg_sgemm_scratch_bytes(const hbg_fast_kernels *fk, size_t m, size_t n, size_t k,
                               hbg_operand_kind a_kind, hbg_operand_kind b_kind)
{
    size_t floats = 0;
    if (b_kind != HBG_OPND_PACKED)
        floats += b_block_floats(fk, n, k);
    if (a_kind != HBG_OPND_PACKED)
        floats += a_block_floats(fk, m, k);
    return floats * sizeof(float);
}

void hbg_sgemm(const hbg_fast_kernels *fk, size_t m, size_t n, size_t k, const hbg_operand *a,
               const hbg_operand *b, float *c, size_t ldc, const float *bias, const float *clamp,
               void *scratch)
{
    float *bbuf = scratch;
    float *abuf = bbuf + (b->kind == HBG_OPND_PACKED ? 0 : b_block_floats(fk, n, k));
    if (k == 0) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                c[i * ldc + j] =
                    clamp ? hbg_clamp1(bias ? bias[i] : 0.0f, clamp) : (bias ? bias[i] : 0.0f);
        return;
    }
    /* A row-major B (1x1 convolutions, MatMul) is read in place, panel by panel; only a ragged
     * last panel is packed (zero-padded). */
    const int in_place = b->kind == HBG_OPND_MATRIX && b->cs == 1;
    /* N blocks bound the packed B block; a prepacked B needs none (and A is then packed once) */
    const size_t nc_max = b->kind == HBG_OPND_PACKED ? n : fk->nc;
    for (size_t jc = 0; jc < n; jc += nc_max) {
        const size_t nc = min_sz(nc_max, n - jc);
        const size_t full = in_place ? nc / fk->nr * fk->nr : 0; /* columns read in place */
        for (size_t pc = 0; pc < k; pc += fk->kc) {
            const size_t kc = min_sz(fk->kc, k - pc);
            const float *cl = pc + kc == k ? clamp : NULL; /* after the whole sum only */
            const float *bp = bbuf;
            size_t b_ps = kc * fk->nr;
            if (b->kind == HBG_OPND_PACKED) {
                bp = b->p + (jc / fk->nr) * b->panel_stride + pc * fk->nr;
                b_ps = b->panel_stride;
            } else if (full < nc) {
                pack_b_block(b, fk->nr, pc, kc, jc + full, nc - full, bbuf);
            }
            for (size_t ic = 0; ic < m; ic += fk->mc) {
                const size_t mc = min_sz(fk->mc, m - ic);
                const float *ap = abuf;
                size_t a_ps = kc * fk->mr;
                float *cb = c + ic * ldc + jc;
                const float *bi = bias ? bias + ic : NULL;
                if (a->kind == HBG_OPND_PACKED) {
                    ap = a->p + (ic / fk->mr) * a->panel_stride + pc * fk->mr;
                    a_ps = a->panel_stride;
                } else {
                    pack_a_block(a, fk->mr, ic, mc, pc, kc, abuf);
                }
                if (full > 0)
                    fk->block(mc, full, kc, ap, a_ps, b->p + (ptrdiff_t)pc * b->rs + (ptrdiff_t)jc,
                              fk->nr, (size_t)b->rs, cb, ldc, bi, pc > 0, cl);
                if (full < nc)
                    fk->block(mc, nc - full, kc, ap, a_ps, bp, b_ps, fk->nr, cb + full, ldc, bi,
                              pc > 0, cl);
            }
        }
    }
}
