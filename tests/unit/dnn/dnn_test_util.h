/* Helpers of the libdnn model tests: a schedule writer written from docs/bin-model.md (independent
 * of the runtime's parser), tensor records, the tiny Conv+Relu graph and .bin images made with the
 * converter's writer (hb_bin/bin_writer.h). */
#ifndef DNN_TEST_UTIL_H
#define DNN_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "hb_bin/bin_writer.h"
#include "hbg/graph.h"

/* ---- schedule writer (docs/bin-model.md section 3) ---------------------------------------- */

enum { T_BUFFER = 0, T_SEGMENT = 1, T_INPUT = 2, T_OUTPUT = 3 };
enum { S_BPU = 1, S_CPU = 2, S_QUANTIZE = 3, S_DEQUANTIZE = 4, S_CONVERT = 5 };

typedef struct sched_b {
    uint8_t tens[16][104];
    uint8_t steps[16][48];
    uint32_t list[64];
    float scales[64];
    uint32_t nt, ns, nl, nsc;
} sched_b;

static inline void sb_w32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A tensor; `str` = byte strides (BUFFER/SEGMENT) or the dimension map (INPUT/OUTPUT). */
static inline uint32_t sb_tensor(sched_b *b, uint32_t dtype, uint32_t ndim, const int32_t *dims,
                                 uint32_t loc, uint32_t index, uint32_t seg, uint32_t offset,
                                 const int32_t *str, uint32_t scale_n, uint32_t axis,
                                 const float *scales)
{
    uint8_t *r = b->tens[b->nt];
    memset(r, 0, 104);
    sb_w32(r, dtype);
    sb_w32(r + 4, ndim);
    for (uint32_t d = 0; d < ndim; d++) {
        sb_w32(r + 8 + 4 * d, (uint32_t)dims[d]);
        sb_w32(r + 56 + 4 * d, (uint32_t)str[d]);
    }
    sb_w32(r + 40, loc);
    sb_w32(r + 44, index);
    sb_w32(r + 48, seg);
    sb_w32(r + 52, offset);
    sb_w32(r + 88, scale_n);
    if (scale_n) {
        sb_w32(r + 92, axis);
        sb_w32(r + 96, b->nsc);
        memcpy(&b->scales[b->nsc], scales, scale_n * sizeof(float));
        b->nsc += scale_n;
    }
    return b->nt++;
}

static inline uint32_t sb_step(sched_b *b, uint32_t kind, uint32_t blob, uint32_t n_in,
                               const uint32_t *in, uint32_t n_out, const uint32_t *out,
                               const uint32_t *seg_bytes /* 8 entries or NULL */)
{
    uint8_t *r = b->steps[b->ns];
    memset(r, 0, 48);
    sb_w32(r, kind);
    sb_w32(r + 4, blob);
    sb_w32(r + 8, n_in);
    sb_w32(r + 12, n_out);
    sb_w32(r + 16, b->nl);
    for (uint32_t i = 0; i < n_in; i++)
        b->list[b->nl++] = in[i];
    for (uint32_t i = 0; i < n_out; i++)
        b->list[b->nl++] = out[i];
    for (uint32_t g = 1; seg_bytes && g < 8; g++)
        sb_w32(r + 16 + 4 * g, seg_bytes[g]);
    return b->ns++;
}

/* The blob bytes (malloc'd). */
static inline uint8_t *sb_bytes(const sched_b *b, size_t *size)
{
    size_t n = 32 + 104 * b->nt + 48 * b->ns + 4 * b->nl + 4 * b->nsc;
    uint8_t *p = calloc(1, n), *q = p;
    memcpy(q, "HBSC", 4);
    sb_w32(q + 4, 1);
    sb_w32(q + 8, b->nt);
    sb_w32(q + 12, b->ns);
    sb_w32(q + 16, b->nl);
    sb_w32(q + 20, b->nsc);
    q += 32;
    for (uint32_t i = 0; i < b->nt; i++, q += 104)
        memcpy(q, b->tens[i], 104);
    for (uint32_t i = 0; i < b->ns; i++, q += 48)
        memcpy(q, b->steps[i], 48);
    for (uint32_t i = 0; i < b->nl; i++, q += 4)
        sb_w32(q, b->list[i]);
    for (uint32_t i = 0; i < b->nsc; i++, q += 4) {
        uint32_t u;
        memcpy(&u, &b->scales[i], 4);
        sb_w32(q, u);
    }
    *size = n;
    return p;
}

/* A dense tensor record of `dtype` with valid = aligned shape, or with the last valid dim padded
 * to `aligned_last` elements. */
static inline hbbin_tensor tensor_rec(const char *name, uint32_t dtype, uint32_t layout,
                                      uint32_t ndim, const int32_t *dims, int32_t aligned_last,
                                      uint32_t elem)
{
    hbbin_tensor t;
    memset(&t, 0, sizeof t);
    t.name = name;
    t.valid_ndim = t.aligned_ndim = ndim;
    for (uint32_t d = 0; d < ndim; d++)
        t.valid_dims[d] = t.aligned_dims[d] = dims[d];
    t.aligned_dims[ndim - 1] = aligned_last;
    int64_t st = elem;
    for (int d = (int)ndim - 1; d >= 0; d--) {
        t.stride[d] = (int32_t)st;
        st *= t.aligned_dims[d];
    }
    t.layout = layout;
    t.data_type = dtype;
    t.aligned_byte_size = (uint32_t)st;
    return t;
}

/* ---- the tiny Conv(3->4, 3x3, pad 1) + Relu graph on 1x3x8x8 -------------------------------- */

static inline void set_ints(hbg_node *n, const char *name, int cnt, const int64_t *v)
{
    hbg_attr *a = hbg_node_add_attr(n, name, HBG_ATTR_INTS);
    a->n = (size_t)cnt;
    a->ints = malloc((size_t)cnt * sizeof(int64_t));
    memcpy(a->ints, v, (size_t)cnt * sizeof(int64_t));
}

static inline hbg_graph *tiny_conv_graph(void)
{
    hbg_graph *g = hbg_graph_create();
    float w[4 * 3 * 3 * 3], bias[4];
    for (int i = 0; i < 108; i++)
        w[i] = (float)((i * 37) % 19 - 9) / 16.0f;
    for (int i = 0; i < 4; i++)
        bias[i] = 0.25f * (float)(i - 2);
    int64_t din[4] = {1, 3, 8, 8}, dw[4] = {4, 3, 3, 3}, db[1] = {4};
    int x = hbg_graph_tensor(g, "data");
    hbg_tensor_set_shape(g->tensors[x], HBG_DT_F32, 4, din);
    hbg_graph_add_input(g, x);
    hbg_graph_set_const(g, hbg_graph_tensor(g, "w"), HBG_DT_F32, 4, dw, w, sizeof w);
    hbg_graph_set_const(g, hbg_graph_tensor(g, "b"), HBG_DT_F32, 1, db, bias, sizeof bias);
    hbg_graph_add_opset(g, "", 13);
    const char *cin[3] = {"data", "w", "b"}, *cout[1] = {"c0"}, *rin[1] = {"c0"},
               *rout[1] = {"prob"};
    hbg_node *n = NULL;
    hbg_graph_add_node(g, "Conv", "", "conv0", 3, cin, 1, cout, &n);
    int64_t ks[2] = {3, 3}, pads[4] = {1, 1, 1, 1};
    set_ints(n, "kernel_shape", 2, ks);
    set_ints(n, "pads", 4, pads);
    hbg_graph_add_node(g, "Relu", "", "relu0", 1, rin, 1, rout, NULL);
    hbg_graph_add_output(g, hbg_graph_find_tensor(g, "prob"));
    return g;
}

/* Fill a user tensor's buffer: allocate alignedByteSize (cached) and copy props in. */
static inline int32_t alloc_tensor(hbDNNTensor *t, const hbDNNTensorProperties *p)
{
    memset(t, 0, sizeof *t);
    t->properties = *p;
    return hbSysAllocCachedMem(&t->sysMem[0], (uint32_t)p->alignedByteSize);
}

#endif
