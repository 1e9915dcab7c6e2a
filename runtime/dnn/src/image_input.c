/* Image inputs (image_input.h): the user-facing tensor of an image input and the conversion of
 * uint8 pixels to the model's intermediate type (pixel - 128) on the CPU. */
#include "image_input.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dnn_internal.h"
#include "mem_registry.h"

/* hbDNNDataType fed by the user for each PREPROCESS type_rt; -1: not an image (featuremap). */
static const int32_t k_user_type[HBBIN_IT_COUNT] = {
    [HBBIN_IT_RGB] = HB_DNN_IMG_TYPE_RGB,       [HBBIN_IT_BGR] = HB_DNN_IMG_TYPE_BGR,
    [HBBIN_IT_YUV444] = HB_DNN_IMG_TYPE_YUV444, [HBBIN_IT_NV12] = HB_DNN_IMG_TYPE_NV12,
    [HBBIN_IT_GRAY] = HB_DNN_IMG_TYPE_Y,        [HBBIN_IT_FEATUREMAP] = -1,
};

__attribute__((format(printf, 3, 4))) static int ifail(char *err, size_t errsz, const char *fmt,
                                                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

/* The k-th ';'-separated item of the model's input_layout_rt parameter: NHWC / NCHW, or `def`
 * when the parameter or the item is absent. -1 for any other word. */
static int32_t layout_rt(const hbbin_model *bm, uint32_t k, uint32_t def)
{
    const char *v = NULL;
    for (uint32_t i = 0; i < bm->param_count && !v; i++)
        if (strcmp(bm->params[i].key, "input_layout_rt") == 0)
            v = bm->params[i].value;
    for (; v && k > 0; k--)
        v = (v = strchr(v, ';')) ? v + 1 : NULL;
    if (!v)
        return (int32_t)def;
    while (*v == ' ')
        v++;
    size_t n = strcspn(v, "; ");
    if (n == 0)
        return (int32_t)def;
    if (n == 4 && strncmp(v, "NHWC", 4) == 0)
        return HBBIN_LAYOUT_NHWC;
    if (n == 4 && strncmp(v, "NCHW", 4) == 0)
        return HBBIN_LAYOUT_NCHW;
    return -1;
}

int hb_img_describe(const hbbin_model *bm, uint32_t idx, hb_img *img, hbDNNTensorProperties *props,
                    char *err, size_t errsz)
{
    const hbbin_preprocess *pp = NULL;
    const hbbin_tensor *r = &bm->inputs[idx];
    memset(img, 0, sizeof *img);
    img->type = -1;
    for (uint32_t i = 0; i < bm->preprocess_count; i++)
        if (bm->preprocess[i].input == idx)
            pp = &bm->preprocess[i];
    if (!pp || k_user_type[pp->type_rt] < 0)
        return 0;
    int gray = pp->type_rt == HBBIN_IT_GRAY, nv12 = pp->type_rt == HBBIN_IT_NV12;
    img->graph_nhwc = pp->layout_train == HBBIN_LAYOUT_NHWC;
    if (r->data_type != HB_DNN_TENSOR_TYPE_F32 || r->valid_ndim != 4)
        return ifail(err, errsz,
                     "input %u '%s': an image input (preprocess type_rt %u) must be a 4-D F32 "
                     "graph input holding pixel - 128 (docs/bin-model.md section 8)",
                     idx, r->name, pp->type_rt);
    img->n = r->valid_dims[0];
    img->c = r->valid_dims[img->graph_nhwc ? 3 : 1];
    img->h = r->valid_dims[img->graph_nhwc ? 1 : 2];
    img->w = r->valid_dims[img->graph_nhwc ? 2 : 3];
    if (img->c != (gray ? 1 : 3))
        return ifail(err, errsz, "input %u '%s': %d channels, image type_rt %u needs %d", idx,
                     r->name, img->c, pp->type_rt, gray ? 1 : 3);
    if (nv12 && (img->h % 2 || img->w % 2))
        return ifail(err, errsz, "input %u '%s': NV12 needs even height and width, not %dx%d", idx,
                     r->name, img->h, img->w);
    int32_t lay = layout_rt(bm, idx, gray ? HBBIN_LAYOUT_NCHW : HBBIN_LAYOUT_NHWC);
    if (lay < 0)
        return ifail(err, errsz,
                     "input %u '%s': parameter input_layout_rt: item %u is not NHWC "
                     "or NCHW",
                     idx, r->name, idx);
    img->type = k_user_type[pp->type_rt];
    img->layout = nv12 ? HBBIN_LAYOUT_NCHW : (uint32_t)lay;
    uint64_t px = (uint64_t)img->n * (uint64_t)img->h * (uint64_t)img->w;
    img->bytes = nv12 ? px * 3 / 2 : px * (uint64_t)img->c;
    if (img->bytes > INT32_MAX)
        return ifail(err, errsz, "input %u '%s': image of %llu bytes is too large", idx, r->name,
                     (unsigned long long)img->bytes);
    /* what the user sees (horizon-interface 5.8) */
    memset(props, 0, sizeof *props);
    int32_t *vd = props->validShape.dimensionSize;
    int nhwc = img->layout == HBBIN_LAYOUT_NHWC;
    props->validShape.numDimensions = 4;
    vd[0] = img->n;
    vd[1] = nhwc ? img->h : img->c;
    vd[2] = nhwc ? img->w : img->h;
    vd[3] = nhwc ? img->c : img->w;
    props->alignedShape = props->validShape;
    props->tensorLayout = (int32_t)img->layout;
    props->tensorType = img->type;
    props->quantiType = NONE;
    props->alignedByteSize = (int32_t)img->bytes;
    if (!nv12) /* dense uint8; NV12 reports stride 0 as the reference does */
        for (int d = 3, st = 1; d >= 0; st *= vd[d], d--)
            props->stride[d] = st;
    return 0;
}

/* Resolve sysMem[k] of u for `need` bytes into src slot k. */
static int32_t bind_plane(const hbDNNTensor *u, int k, uint64_t need, uint32_t idx,
                          const char *name, hb_img_src *src)
{
    hb_mem_range mr;
    if (u->sysMem[k].memSize < need)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "input %u '%s': memSize %u of sysMem[%d] is smaller than the image's "
                           "%llu bytes",
                           idx, name, u->sysMem[k].memSize, k, (unsigned long long)need);
    if (hb_mem_resolve(u->sysMem[k].phyAddr, need, &mr) != 0 ||
        mr.cpu != (uint8_t *)u->sysMem[k].virAddr)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "input %u '%s': sysMem[%d] (phyAddr 0x%llx, %llu bytes) is not a buffer "
                           "from hbSysAllocMem/hbSysAllocCachedMem/hbSysRegisterMem",
                           idx, name, k, (unsigned long long)u->sysMem[k].phyAddr,
                           (unsigned long long)need);
    src->p[k] = mr.dev;
    src->phy[k] = u->sysMem[k].phyAddr;
    src->len[k] = need;
    return 0;
}

int32_t hb_img_bind(const hb_img *img, const hbDNNTensor *u, uint32_t idx, const char *name,
                    hb_img_src *src)
{
    const hbDNNTensorProperties *p = &u->properties;
    int32_t t = p->tensorType;
    uint64_t plane = (uint64_t)img->h * (uint64_t)img->w;
    int32_t rc;
    memset(src, 0, sizeof *src);
    if (t != img->type &&
        !(img->type == HB_DNN_IMG_TYPE_NV12 && t == HB_DNN_IMG_TYPE_NV12_SEPARATE))
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "input %u '%s': tensorType %d, the model has %d", idx, name, t,
                           img->type);
    /* the shape the model reports (hb_img_describe) */
    int nhwc = img->layout == HBBIN_LAYOUT_NHWC;
    const int32_t want[4] = {img->n, nhwc ? img->h : img->c, nhwc ? img->w : img->h,
                             nhwc ? img->c : img->w};
    const hbDNNTensorShape *a = &p->alignedShape, *v = &p->validShape;
    if (a->numDimensions != 4 || v->numDimensions != 4 ||
        memcmp(a->dimensionSize, want, sizeof want) != 0 ||
        memcmp(v->dimensionSize, want, sizeof want) != 0)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "input %u '%s': an image input needs validShape = alignedShape = the "
                           "model's (%d, %d, %d, %d)",
                           idx, name, want[0], want[1], want[2], want[3]);
    if (t == HB_DNN_IMG_TYPE_NV12_SEPARATE) {
        if ((rc = bind_plane(u, 0, plane * (uint64_t)img->n, idx, name, src)) != 0 ||
            (rc = bind_plane(u, 1, plane / 2 * (uint64_t)img->n, idx, name, src)) != 0)
            return rc;
        src->step[0] = plane;
        src->step[1] = plane / 2;
        return 0;
    }
    if ((rc = bind_plane(u, 0, img->bytes, idx, name, src)) != 0)
        return rc;
    if (t == HB_DNN_IMG_TYPE_NV12) {
        src->p[1] = src->p[0] + plane; /* UV plane right after the Y plane of each batch */
        src->step[0] = src->step[1] = plane * 3 / 2;
    } else {
        src->step[0] = plane * (uint64_t)img->c;
    }
    return 0;
}

void hb_img_convert(const hb_img *img, const hb_img_src *src, float *dst)
{
    const int64_t c = img->c, h = img->h, w = img->w;
    /* destination element (channel k, row y, column x) of one batch, graph layout */
    const int64_t dk = img->graph_nhwc ? 1 : h * w, dy = img->graph_nhwc ? w * c : w,
                  dx = img->graph_nhwc ? c : 1;
    /* source byte of packed pixels, user layout */
    const int nhwc = img->layout == HBBIN_LAYOUT_NHWC;
    const int64_t sk = nhwc ? 1 : h * w, sy = nhwc ? w * c : w, sx = nhwc ? c : 1;
    const int nv12 = src->p[1] != NULL;
    for (int64_t b = 0; b < img->n; b++) {
        const uint8_t *p0 = src->p[0] + (uint64_t)b * src->step[0];
        const uint8_t *uv = nv12 ? src->p[1] + (uint64_t)b * src->step[1] : NULL;
        float *o = dst + b * c * h * w;
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                float *q = o + y * dy + x * dx;
                if (nv12) {
                    const uint8_t *ch = uv + (y / 2) * w + (x / 2) * 2; /* U, V of the 2x2 block */
                    q[0] = (float)(p0[y * w + x] - 128);
                    q[dk] = (float)(ch[0] - 128);
                    q[2 * dk] = (float)(ch[1] - 128);
                } else {
                    for (int64_t k = 0; k < c; k++)
                        q[k * dk] = (float)(p0[k * sk + y * sy + x * sx] - 128);
                }
            }
    }
}
