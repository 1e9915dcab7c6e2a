/* The preprocess node HZ_PREPROCESS_FOR_<input> (docs/preprocess-node.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbc_mapper.h"

/* BT.601 luma weights (ITU-R BT.601): Y = KR*R + KG*G + KB*B. */
#define KR 0.299
#define KB 0.114
#define KG (1.0 - KR - KB)

/* The colour of the intermediate type of each input_type_rt, and of each input_type_train. */
typedef enum colour { COL_RGB, COL_BGR, COL_YUV, COL_GRAY, COL_NONE } colour;

static const colour rt_colour[HBC_IT_COUNT] = {
    [HBC_IT_RGB] = COL_RGB,  [HBC_IT_BGR] = COL_BGR,   [HBC_IT_YUV444] = COL_YUV,
    [HBC_IT_NV12] = COL_YUV, [HBC_IT_GRAY] = COL_GRAY, [HBC_IT_FEATUREMAP] = COL_NONE,
};
static const char *const rt_intermediate[HBC_IT_COUNT] = {
    [HBC_IT_RGB] = "rgb_128",     [HBC_IT_BGR] = "bgr_128",   [HBC_IT_YUV444] = "yuv444_128",
    [HBC_IT_NV12] = "yuv444_128", [HBC_IT_GRAY] = "gray_128", [HBC_IT_FEATUREMAP] = "featuremap",
};

const char *hbc_pre_intermediate_name(hbc_input_type rt)
{
    return (unsigned)rt < HBC_IT_COUNT ? rt_intermediate[rt] : "?";
}

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Full-range YUV (U, V centred: x = (Y - 128, U - 128, V - 128)) to RGB: rows R, G, B of
 * rgb = m * x + 128. The inverse of Y = KR R + KG G + KB B, U = (B - Y) / (2 (1 - KB)),
 * V = (R - Y) / (2 (1 - KR)). */
static void yuv_to_rgb(double m[3][3])
{
    const double cr = 2 * (1 - KR), cb = 2 * (1 - KB);
    double r[3][3] = {{1, 0, cr}, {1, -KB * cb / KG, -KR * cr / KG}, {1, cb, 0}};
    memcpy(m, r, sizeof r);
}

hbg_status hbc_pre_affine_of(const hbc_cfg_input *in, hbc_pre_affine *out, char *err, size_t errlen)
{
    const char *name = in->name ? in->name : "(the input)";
    colour from = (unsigned)in->type_rt < HBC_IT_COUNT ? rt_colour[in->type_rt] : COL_NONE;
    colour to = (unsigned)in->type_train < HBC_IT_COUNT ? rt_colour[in->type_train] : COL_NONE;
    double t[3][3] = {{0}}, c[3] = {0}; /* training colour = t * x + c */
    int n = to == COL_GRAY ? 1 : 3;

    memset(out, 0, sizeof *out);
    if (from == COL_NONE || to == COL_NONE) {
        fail(err, errlen, "input %s: featuremap inputs get no preprocess node", name);
        return HBG_E_INVALID;
    }
    if ((to == COL_GRAY) != (from == COL_GRAY) || (to == COL_YUV && from != COL_YUV)) {
        fail(err, errlen,
             "input %s: input_type_train '%s' is not supported transform to input_type_rt '%s'",
             name, hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)in->type_train),
             hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)in->type_rt));
        return HBG_E_INVALID;
    }
    if (from == COL_YUV) {
        /* Video range: Y in [16, 235], U/V in [16, 240] around 128; expand to full range first:
         * Y_full = (Y - 16) * 255/219 = (x0 + 112) * 255/219, U_full - 128 = x1 * 255/224. */
        int video = in->space_and_range == HBC_RANGE_BT601_VIDEO;
        double sy = video ? 255.0 / 219.0 : 1, sc = video ? 255.0 / 224.0 : 1;
        double oy = video ? 112.0 * 255.0 / 219.0 - 128.0 : 0; /* Y_full - 128 = sy*x0 + oy */
        double yuv[3][3] = {{sy, 0, 0}, {0, sc, 0}, {0, 0, sc}}, off[3] = {oy, 0, 0};
        if (to == COL_YUV) {
            memcpy(t, yuv, sizeof t);
            c[0] = oy + 128;
            c[1] = c[2] = 128;
        } else {
            double m[3][3];
            yuv_to_rgb(m);
            for (int r = 0; r < 3; r++) {
                int row = to == COL_BGR ? 2 - r : r;
                for (int j = 0; j < 3; j++)
                    t[row][j] = m[r][j] * yuv[j][j];
                c[row] = 128 + m[r][0] * off[0];
            }
        }
    } else {
        /* RGB/BGR/gray: a channel permutation (BGR <-> RGB reverses the order) plus 128. */
        for (int r = 0; r < n; r++) {
            t[r][from == to ? r : 2 - r] = 1;
            c[r] = 128;
        }
    }
    int use_mean =
        in->norm_type == HBC_NORM_DATA_MEAN || in->norm_type == HBC_NORM_DATA_MEAN_AND_SCALE;
    int use_scale =
        in->norm_type == HBC_NORM_DATA_SCALE || in->norm_type == HBC_NORM_DATA_MEAN_AND_SCALE;
    if ((use_mean && in->mean.n != 1 && in->mean.n != n) ||
        (use_scale && in->scale.n != 1 && in->scale.n != n)) {
        int bad_mean = use_mean && in->mean.n != 1 && in->mean.n != n;
        fail(err, errlen, "input %s: %s has %d values; input_type_train %s needs %s", name,
             bad_mean ? "mean_value" : "scale_value", bad_mean ? in->mean.n : in->scale.n,
             hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)in->type_train),
             n == 1 ? "1" : "1 or 3 (one per channel)");
        return HBG_E_INVALID;
    }
    out->channels = n;
    for (int r = 0; r < n; r++) {
        double mean = use_mean ? in->mean.v[in->mean.n == 1 ? 0 : r] : 0;
        double scale = use_scale ? in->scale.v[in->scale.n == 1 ? 0 : r] : 1;
        for (int j = 0; j < n; j++)
            out->w[r][j] = t[r][j] * scale;
        out->b[r] = (c[r] - mean) * scale;
    }
    return HBG_OK;
}

/* Add a float constant tensor called <base><suffix>; returns its name in buf, or NULL. */
static const char *add_const(hbg_graph *g, const char *base, const char *suffix, int rank,
                             const int64_t *dims, const float *v, size_t n, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", base, suffix);
    if (hbg_graph_find_tensor(g, buf) >= 0)
        return NULL;
    int idx = hbg_graph_tensor(g, buf);
    if (idx < 0 || hbg_graph_set_const(g, idx, HBG_DT_F32, rank, dims, v, n * sizeof *v) != HBG_OK)
        return NULL;
    return buf;
}

hbg_status hbc_pre_insert(hbg_graph *g, int input, const hbc_cfg_input *in, char *err,
                          size_t errlen)
{
    hbc_pre_affine a;
    hbg_status st;
    hbg_node *node;
    char base[300], out_name[320], w_name[320], b_name[320], mid_name[320];
    float w[9], b[3];

    if (input < 0 || input >= g->n_inputs) {
        fail(err, errlen, "preprocess: graph input %d does not exist", input);
        return HBG_E_INVALID;
    }
    int x = g->inputs[input];
    hbg_tensor *t = g->tensors[x];
    if ((st = hbc_pre_affine_of(in, &a, err, errlen)) != HBG_OK)
        return st;
    int caxis = in->layout_train == HBC_LAYOUT_NHWC ? 3 : 1;
    if (t->rank != 4 || t->dims[caxis] != a.channels) {
        char sh[128];
        fail(err, errlen,
             "input %s: shape %s: input_type_train %s with input_layout_train %s needs a 4-D "
             "shape with C = %d",
             t->name, hbg_shape_str(t, sh, sizeof sh),
             hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, (int)in->type_train),
             hbc_cfg_enum_name(HBC_ENUM_LAYOUT, (int)in->layout_train), a.channels);
        return HBG_E_INVALID;
    }
    int64_t h = t->dims[caxis == 1 ? 2 : 1], wd = t->dims[caxis == 1 ? 3 : 2];
    if (in->type_rt == HBC_IT_NV12 && (h % 2 || wd % 2)) {
        fail(err, errlen,
             "input %s: Invalid nv12 input shape: H x W = %lld x %lld; nv12 type does not "
             "support odd size",
             t->name, (long long)h, (long long)wd);
        return HBG_E_INVALID;
    }
    if (t->dtype != HBG_DT_F32) {
        fail(err, errlen, "input %s: element type %s; image inputs must be float", t->name,
             hbg_dtype_name(t->dtype));
        return HBG_E_INVALID;
    }
    snprintf(base, sizeof base, "HZ_PREPROCESS_FOR_%s", t->name);
    snprintf(out_name, sizeof out_name, "%s_output", base);
    int c = a.channels;
    for (int r = 0; r < c; r++) {
        b[r] = (float)a.b[r];
        for (int j = 0; j < c; j++)
            /* Conv weight [c_out][c_in][1][1]; MatMul weight [c_in][c_out] (x @ W). */
            w[caxis == 1 ? r * c + j : j * c + r] = (float)a.w[r][j];
    }
    int64_t wdims[4] = {c, c, 1, 1}, bdims[1] = {c};
    if (hbg_graph_find_tensor(g, out_name) >= 0 ||
        !add_const(g, base, "_weight", caxis == 1 ? 4 : 2, wdims, w, (size_t)(c * c), w_name,
                   sizeof w_name) ||
        !add_const(g, base, "_bias", 1, bdims, b, (size_t)c, b_name, sizeof b_name)) {
        fail(err, errlen,
             "input %s: cannot add the preprocess node (name clash with %s_* or no "
             "memory)",
             t->name, base);
        return HBG_E_INVALID;
    }
    /* Consumers of the input read the node's output; the new node itself is added afterwards
     * so that it keeps reading the graph input. */
    int y = hbg_graph_tensor(g, out_name);
    if (y < 0)
        return HBG_E_NOMEM;
    t = g->tensors[x]; /* the tensor array may have moved */
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] == x)
                g->nodes[i].in[j] = y;
    if (caxis == 1) {
        const char *ins[3] = {t->name, w_name, b_name}, *outs[1] = {out_name};
        if ((st = hbg_graph_add_node(g, "Conv", "", base, 3, ins, 1, outs, &node)) != HBG_OK)
            goto fail;
        hbg_attr *k = hbg_node_add_attr(node, "kernel_shape", HBG_ATTR_INTS);
        if (!k || !(k->ints = malloc(2 * sizeof *k->ints))) {
            st = HBG_E_NOMEM;
            goto fail;
        }
        k->ints[0] = k->ints[1] = 1;
        k->n = 2;
    } else {
        snprintf(mid_name, sizeof mid_name, "%s_matmul", base);
        const char *ins[2] = {t->name, w_name}, *mids[1] = {mid_name};
        const char *ins2[2] = {mid_name, b_name}, *outs[1] = {out_name};
        char add_name[320];
        snprintf(add_name, sizeof add_name, "%s_bias", base);
        if ((st = hbg_graph_add_node(g, "MatMul", "", base, 2, ins, 1, mids, &node)) != HBG_OK ||
            (st = hbg_graph_add_node(g, "Add", "", add_name, 2, ins2, 1, outs, &node)) != HBG_OK)
            goto fail;
    }
    return HBG_OK;
fail:
    fail(err, errlen, "input %s: cannot add the preprocess node: %s", g->tensors[x]->name,
         g->err[0] ? g->err : hbg_status_str(st));
    return st;
}
