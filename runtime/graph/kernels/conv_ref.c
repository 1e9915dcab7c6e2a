/* Reference Conv, ConvTranspose and matrix product: the ground truth for the fast variants. */
#include "conv_kernels.h"

void hbg_conv_ref(const hbg_conv_geom *g, const float *x, const float *w, const float *b, float *y)
{
    const int64_t cg = g->c / g->group, mg = g->m / g->group;
    const int64_t in_sz = g->in[0] * g->in[1] * g->in[2];
    const int64_t out_sz = g->out[0] * g->out[1] * g->out[2];
    const int64_t k_sz = g->kern[0] * g->kern[1] * g->kern[2];
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t m = 0; m < g->m; m++) {
            const float *xg = x + (n * g->c + (m / mg) * cg) * in_sz;
            const float *wm = w + m * cg * k_sz;
            float *ym = y + (n * g->m + m) * out_sz;
            for (int64_t od = 0; od < g->out[0]; od++) {
                for (int64_t oh = 0; oh < g->out[1]; oh++) {
                    for (int64_t ow = 0; ow < g->out[2]; ow++) {
                        float acc = 0.0f;
                        for (int64_t ci = 0; ci < cg; ci++) {
                            const float *xc = xg + ci * in_sz, *wc = wm + ci * k_sz;
                            for (int64_t kd = 0; kd < g->kern[0]; kd++) {
                                int64_t id = od * g->stride[0] - g->pad[0] + kd * g->dil[0];
                                if (id < 0 || id >= g->in[0])
                                    continue;
                                for (int64_t kh = 0; kh < g->kern[1]; kh++) {
                                    int64_t ih = oh * g->stride[1] - g->pad[1] + kh * g->dil[1];
                                    if (ih < 0 || ih >= g->in[1])
                                        continue;
                                    const float *xr = xc + (id * g->in[1] + ih) * g->in[2];
                                    const float *wr = wc + (kd * g->kern[1] + kh) * g->kern[2];
                                    for (int64_t kw = 0; kw < g->kern[2]; kw++) {
                                        int64_t iw = ow * g->stride[2] - g->pad[2] + kw * g->dil[2];
                                        if (iw >= 0 && iw < g->in[2])
                                            acc += xr[iw] * wr[kw];
                                    }
                                }
                            }
                        }
                        ym[(od * g->out[1] + oh) * g->out[2] + ow] = b ? acc + b[m] : acc;
                    }
                }
            }
        }
    }
}

/* Input index along one axis feeding output o through kernel tap k, or -1 when none does. */
static int64_t convt_src(int64_t o, int64_t k, int64_t stride, int64_t dil, int64_t pad, int64_t in)
{
    int64_t t = o + pad - k * dil;
    if (t < 0 || t % stride != 0 || t / stride >= in)
        return -1;
    return t / stride;
}

void hbg_convtranspose_ref(const hbg_conv_geom *g, const float *x, const float *w, const float *b,
                           float *y)
{
    const int64_t cg = g->c / g->group, mg = g->m / g->group;
    const int64_t in_sz = g->in[0] * g->in[1] * g->in[2];
    const int64_t out_sz = g->out[0] * g->out[1] * g->out[2];
    const int64_t k_sz = g->kern[0] * g->kern[1] * g->kern[2];
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t m = 0; m < g->m; m++) {
            const int64_t gi = m / mg;
            const float *xg = x + (n * g->c + gi * cg) * in_sz;
            /* w is [c][m / group][kern]: channel ci of group gi, output m % mg. */
            const float *wm = w + (gi * cg * mg + m % mg) * k_sz;
            float *ym = y + (n * g->m + m) * out_sz;
            for (int64_t od = 0; od < g->out[0]; od++) {
                for (int64_t oh = 0; oh < g->out[1]; oh++) {
                    for (int64_t ow = 0; ow < g->out[2]; ow++) {
                        float acc = 0.0f;
                        for (int64_t ci = 0; ci < cg; ci++) {
                            const float *xc = xg + ci * in_sz, *wc = wm + ci * mg * k_sz;
                            for (int64_t kd = 0; kd < g->kern[0]; kd++) {
                                int64_t id =
                                    convt_src(od, kd, g->stride[0], g->dil[0], g->pad[0], g->in[0]);
                                if (id < 0)
                                    continue;
                                for (int64_t kh = 0; kh < g->kern[1]; kh++) {
                                    int64_t ih = convt_src(oh, kh, g->stride[1], g->dil[1],
                                                           g->pad[1], g->in[1]);
                                    if (ih < 0)
                                        continue;
                                    const float *xr = xc + (id * g->in[1] + ih) * g->in[2];
                                    const float *wr = wc + (kd * g->kern[1] + kh) * g->kern[2];
                                    for (int64_t kw = 0; kw < g->kern[2]; kw++) {
                                        int64_t iw = convt_src(ow, kw, g->stride[2], g->dil[2],
                                                               g->pad[2], g->in[2]);
                                        if (iw >= 0)
                                            acc += xr[iw] * wr[kw];
                                    }
                                }
                            }
                        }
                        ym[(od * g->out[1] + oh) * g->out[2] + ow] = b ? acc + b[m] : acc;
                    }
                }
            }
        }
    }
}

void hbg_matmul_ref(size_t m, size_t n, size_t k, const float *a, ptrdiff_t a_rs, ptrdiff_t a_cs,
                    const float *b, ptrdiff_t b_rs, ptrdiff_t b_cs, float *y, size_t ldy)
{
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (size_t p = 0; p < k; p++)
                acc += a[(ptrdiff_t)i * a_rs + (ptrdiff_t)p * a_cs] *
                       b[(ptrdiff_t)p * b_rs + (ptrdiff_t)j * b_cs];
            y[i * ldy + j] = acc;
        }
    }
}
