/* The layout and padding helpers of hb_dnn_ext.h: layout names, NHWC / NCHW / NHCW_NATIVE
 * conversion (whole tensor, a box, a plane, a vector, an element), padding with strides or to a
 * larger shape and its inverse, and per-channel dequantisation. Pure functions on caller buffers;
 * every argument is checked before anything is written. */
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn_ext.h"
#include "dnn_internal.h"

/* Bytes per element of a tensor data type; 0 for image types, 4-bit types and MAX. */
static uint32_t elem_size(int32_t dt)
{
    switch (dt) {
    case HB_DNN_TENSOR_TYPE_S8:
    case HB_DNN_TENSOR_TYPE_U8:
        return 1;
    case HB_DNN_TENSOR_TYPE_F16:
    case HB_DNN_TENSOR_TYPE_S16:
    case HB_DNN_TENSOR_TYPE_U16:
        return 2;
    case HB_DNN_TENSOR_TYPE_F32:
    case HB_DNN_TENSOR_TYPE_S32:
    case HB_DNN_TENSOR_TYPE_U32:
        return 4;
    case HB_DNN_TENSOR_TYPE_F64:
    case HB_DNN_TENSOR_TYPE_S64:
    case HB_DNN_TENSOR_TYPE_U64:
        return 8;
    default:
        return 0;
    }
}

int32_t hbDNNGetLayoutName(const char **layoutName, int32_t layout)
{
    if (!layoutName)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetLayoutName: NULL argument");
    switch (layout) {
    case HB_DNN_LAYOUT_NHWC:
        *layoutName = "NHWC";
        return 0;
    case HB_DNN_LAYOUT_NCHW:
        *layoutName = "NCHW";
        return 0;
    case HB_DNN_LAYOUT_NHCW_NATIVE:
        *layoutName = "NHCW_NATIVE";
        return 0;
    case HB_DNN_LAYOUT_NONE:
        *layoutName = "NONE";
        return 0;
    default:
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNGetLayoutName: unknown layout %d",
                           layout);
    }
}

/* ---- layout conversion ------------------------------------------------------------------- */

/* Position of N, H, W, C in a 4-D layout's dimension order, or -1 for an unknown layout. */
static int layout_pos(int32_t layout, int pos[4])
{
    static const int nhwc[4] = {0, 1, 2, 3}, nchw[4] = {0, 2, 3, 1}, nhcw[4] = {0, 1, 3, 2};
    const int *p = layout == HB_DNN_LAYOUT_NHWC          ? nhwc
                   : layout == HB_DNN_LAYOUT_NCHW        ? nchw
                   : layout == HB_DNN_LAYOUT_NHCW_NATIVE ? nhcw
                                                         : NULL;
    if (!p)
        return -1;
    memcpy(pos, p, sizeof(int[4]));
    return 0;
}

/* Copy the box [start, start + ext) (in N, H, W, C terms) of a dense 4-D tensor of extents
 * full[] (NHWC terms) stored in layout `il` into a dense tensor of extents ext[] in layout `ol`. */
static void convert_box(uint8_t *out, int32_t ol, const uint8_t *in, int32_t il,
                        const int64_t full[4], const int64_t start[4], const int64_t ext[4],
                        uint32_t es, bool swap)
{
    int ip[4], op[4];
    int64_t is[4], os[4], idims[4], odims[4];
    layout_pos(il, ip);
    layout_pos(ol, op);
    for (int k = 0; k < 4; k++) {
        idims[ip[k]] = full[k];
        odims[op[k]] = ext[k];
    }
    int64_t s = es, t = es;
    for (int d = 3; d >= 0; d--) {
        is[d] = s;
        s *= idims[d];
        os[d] = t;
        t *= odims[d];
    }
    int64_t i4[4];
    for (i4[0] = 0; i4[0] < ext[0]; i4[0]++)
        for (i4[1] = 0; i4[1] < ext[1]; i4[1]++)
            for (i4[2] = 0; i4[2] < ext[2]; i4[2]++)
                for (i4[3] = 0; i4[3] < ext[3]; i4[3]++) {
                    int64_t io = 0, oo = 0;
                    for (int k = 0; k < 4; k++) {
                        io += (start[k] + i4[k]) * is[ip[k]];
                        oo += i4[k] * os[op[k]];
                    }
                    for (uint32_t b = 0; b < es; b++)
                        out[oo + b] = in[io + (swap ? es - 1 - b : b)];
                }
}

/* Check the common arguments and give the NHWC-terms extents of `shape` (in layout il). */
static int32_t convert_args(const char *fn, const void *out, int32_t ol, const void *in, int32_t il,
                            int32_t dt, const hbDNNTensorShape *shape, int64_t full[4],
                            uint32_t *es)
{
    int ip[4], op[4];
    if (!out || !in)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: NULL buffer", fn);
    if (layout_pos(il, ip) || layout_pos(ol, op))
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "%s: layouts %d -> %d: only NHWC, NCHW and NHCW_NATIVE convert", fn, il,
                           ol);
    if (!(*es = elem_size(dt)))
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: data type %d has no element size", fn, dt);
    if (shape->numDimensions != 4)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: shape has %d dimensions, not 4", fn,
                           shape->numDimensions);
    for (int k = 0; k < 4; k++) {
        full[k] = shape->dimensionSize[ip[k]];
        if (full[k] < 1)
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: extent %lld < 1", fn,
                               (long long)full[k]);
    }
    return 0;
}

int32_t hbDNNConvertLayout(void *output, int32_t outputLayout, const void *input,
                           int32_t inputLayout, int32_t dataType, hbDNNTensorShape shape,
                           bool swapEndian)
{
    int64_t full[4], zero[4] = {0, 0, 0, 0};
    uint32_t es = 0;
    int32_t rc = convert_args("hbDNNConvertLayout", output, outputLayout, input, inputLayout,
                              dataType, &shape, full, &es);
    if (!rc)
        convert_box(output, outputLayout, input, inputLayout, full, zero, full, es, swapEndian);
    return rc;
}

/* A box given by coord/size in the input layout's order -> NHWC terms, checked against full. */
static int32_t box_args(const char *fn, int32_t il, const hbDNNDimension *coord,
                        const hbDNNDimension *size, const int64_t full[4], int64_t start[4],
                        int64_t ext[4])
{
    int ip[4];
    layout_pos(il, ip);
    if (coord->numDimensions != 4 || size->numDimensions != 4)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: coord and size need 4 dimensions", fn);
    for (int k = 0; k < 4; k++) {
        start[k] = coord->dimensionSize[ip[k]];
        ext[k] = size->dimensionSize[ip[k]];
        if (start[k] < 0 || ext[k] < 1 || start[k] + ext[k] > full[k])
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: box outside the tensor", fn);
    }
    return 0;
}

int32_t hbDNNConvertLayoutRoi(void *output, int32_t outputLayout, const void *input,
                              int32_t inputLayout, int32_t dataType, hbDNNTensorShape shape,
                              bool swapEndian, hbDNNDimension coord, hbDNNDimension size)
{
    int64_t full[4], start[4], ext[4];
    uint32_t es = 0;
    int32_t rc = convert_args("hbDNNConvertLayoutRoi", output, outputLayout, input, inputLayout,
                              dataType, &shape, full, &es);
    if (!rc)
        rc = box_args("hbDNNConvertLayoutRoi", inputLayout, &coord, &size, full, start, ext);
    if (!rc)
        convert_box(output, outputLayout, input, inputLayout, full, start, ext, es, swapEndian);
    return rc;
}

/* Copy the box given in NHWC terms into a dense NHWC output (the native 1HW1 / 111C / 1111). */
static int32_t native_box(const char *fn, void *output, const void *input, int32_t inputLayout,
                          int32_t dataType, const hbDNNTensorShape *shape, bool swap,
                          const int64_t start[4], const int64_t ext[4])
{
    int64_t full[4];
    uint32_t es = 0;
    int32_t rc = convert_args(fn, output, HB_DNN_LAYOUT_NHWC, input, inputLayout, dataType, shape,
                              full, &es);
    if (rc)
        return rc;
    for (int k = 0; k < 4; k++)
        if (start[k] < 0 || start[k] + ext[k] > full[k])
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: position outside the tensor", fn);
    convert_box(output, HB_DNN_LAYOUT_NHWC, input, inputLayout, full, start, ext, es, swap);
    return 0;
}

int32_t hbDNNConvertLayoutToNative1HW1(void *output, const void *input, int32_t inputLayout,
                                       int32_t dataType, hbDNNTensorShape shape, bool swapEndian,
                                       uint32_t n, uint32_t c)
{
    int ip[4];
    if (layout_pos(inputLayout, ip) || shape.numDimensions != 4)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNConvertLayoutToNative1HW1: layout %d "
                           "or rank %d not supported",
                           inputLayout, shape.numDimensions);
    int64_t start[4] = {n, 0, 0, c};
    int64_t ext[4] = {1, shape.dimensionSize[ip[1]], shape.dimensionSize[ip[2]], 1};
    return native_box("hbDNNConvertLayoutToNative1HW1", output, input, inputLayout, dataType,
                      &shape, swapEndian, start, ext);
}

int32_t hbDNNConvertLayoutToNative111C(void *output, const void *input, int32_t inputLayout,
                                       int32_t dataType, hbDNNTensorShape shape, bool swapEndian,
                                       uint32_t n, uint32_t h, uint32_t w)
{
    int ip[4];
    if (layout_pos(inputLayout, ip) || shape.numDimensions != 4)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNConvertLayoutToNative111C: layout %d "
                           "or rank %d not supported",
                           inputLayout, shape.numDimensions);
    int64_t start[4] = {n, h, w, 0};
    int64_t ext[4] = {1, 1, 1, shape.dimensionSize[ip[3]]};
    return native_box("hbDNNConvertLayoutToNative111C", output, input, inputLayout, dataType,
                      &shape, swapEndian, start, ext);
}

int32_t hbDNNConvertLayoutToNative1111(void *output, const void *input, int32_t inputLayout,
                                       int32_t dataType, hbDNNTensorShape shape, bool swapEndian,
                                       hbDNNDimension coord)
{
    int ip[4];
    if (layout_pos(inputLayout, ip) || shape.numDimensions != 4 || coord.numDimensions != 4)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                           "hbDNNConvertLayoutToNative1111: layout %d or rank not supported",
                           inputLayout);
    int64_t start[4], ext[4] = {1, 1, 1, 1};
    for (int k = 0; k < 4; k++)
        start[k] = coord.dimensionSize[ip[k]];
    return native_box("hbDNNConvertLayoutToNative1111", output, input, inputLayout, dataType,
                      &shape, swapEndian, start, ext);
}

/* ---- padding ------------------------------------------------------------------------------ */

/* Copy between a dense array of dim[] and a strided one (pad: dense -> strided). */
static int32_t stride_copy(const char *fn, uint8_t *out, const uint8_t *in, uint32_t nd,
                           const uint32_t *dim, const int32_t *st, uint32_t es, int pad)
{
    if (!out || !in || !dim || !st || nd < 1 || nd > HB_DNN_TENSOR_MAX_DIMENSIONS || es < 1)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: NULL pointer, rank or element size", fn);
    /* each stride must hold the padded extent of the dimensions inside it */
    uint64_t inner = es;
    for (int d = (int)nd - 1; d >= 0; d--) {
        if (dim[d] < 1 || st[d] < 0 || (uint64_t)st[d] < inner)
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                               "%s: dimension %d: extent %u, stride %d < %llu bytes", fn, d, dim[d],
                               st[d], (unsigned long long)inner);
        inner = (uint64_t)st[d] * dim[d];
    }
    if (pad)
        memset(out, 0, (size_t)inner); /* padding bytes are zero */
    uint32_t idx[HB_DNN_TENSOR_MAX_DIMENSIONS] = {0};
    uint64_t n = 1, dense = 0;
    for (uint32_t d = 0; d < nd; d++)
        n *= dim[d];
    for (uint64_t e = 0; e < n; e++, dense += es) {
        uint64_t off = 0;
        for (uint32_t d = 0; d < nd; d++)
            off += (uint64_t)idx[d] * (uint64_t)st[d];
        if (pad)
            memcpy(out + off, in + dense, es);
        else
            memcpy(out + dense, in + off, es);
        for (int d = (int)nd - 1; d >= 0 && ++idx[d] == dim[d]; d--)
            idx[d] = 0;
    }
    return 0;
}

int32_t hbDNNAddPaddingWithStride(void *output, const void *input, uint32_t dimNum,
                                  const uint32_t *dim, const int32_t *strideBytes,
                                  uint32_t elementSize)
{
    return stride_copy("hbDNNAddPaddingWithStride", output, input, dimNum, dim, strideBytes,
                       elementSize, 1);
}

int32_t hbDNNRemovePaddingWithStride(void *output, const void *input, uint32_t dimNum,
                                     const uint32_t *dim, const int32_t *strideBytes,
                                     uint32_t elementSize)
{
    return stride_copy("hbDNNRemovePaddingWithStride", output, input, dimNum, dim, strideBytes,
                       elementSize, 0);
}

/* Dense `small` shape inside dense `big` shape: strides of big, extents of small. */
static int32_t shape_pad(const char *fn, uint8_t *out, const uint8_t *in,
                         const hbDNNTensorShape *big, const hbDNNTensorShape *small, int32_t dt,
                         int pad)
{
    uint32_t es = elem_size(dt), dim[HB_DNN_TENSOR_MAX_DIMENSIONS];
    int32_t st[HB_DNN_TENSOR_MAX_DIMENSIONS];
    int nd = big->numDimensions;
    if (!es || nd < 1 || nd > HB_DNN_TENSOR_MAX_DIMENSIONS || small->numDimensions != nd)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: data type %d or ranks %d / %d invalid", fn,
                           dt, nd, small->numDimensions);
    int64_t s = es;
    for (int d = nd - 1; d >= 0; d--) {
        if (small->dimensionSize[d] < 1 || big->dimensionSize[d] < small->dimensionSize[d] ||
            s * big->dimensionSize[d] > INT32_MAX)
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "%s: dimension %d: %d does not fit in %d",
                               fn, d, small->dimensionSize[d], big->dimensionSize[d]);
        dim[d] = (uint32_t)small->dimensionSize[d];
        st[d] = (int32_t)s;
        s *= big->dimensionSize[d];
    }
    return stride_copy(fn, out, in, (uint32_t)nd, dim, st, es, pad);
}

int32_t hbDNNAddPadding(void *output, hbDNNTensorShape outputShape, const void *input,
                        hbDNNTensorShape inputShape, int32_t dataType)
{
    return shape_pad("hbDNNAddPadding", output, input, &outputShape, &inputShape, dataType, 1);
}

int32_t hbDNNRemovePadding(void *output, hbDNNTensorShape outputShape, const void *input,
                           hbDNNTensorShape inputShape, int32_t dataType)
{
    return shape_pad("hbDNNRemovePadding", output, input, &inputShape, &outputShape, dataType, 0);
}

/* ---- dequantisation ----------------------------------------------------------------------- */

int32_t hbDNNUnquantizeByScale(float *output, int32_t dataType, hbDNNTensorShape shape,
                               const float *scales, const void *input)
{
    int nd = shape.numDimensions;
    if (!output || !scales || !input || nd < 1 || nd > HB_DNN_TENSOR_MAX_DIMENSIONS)
        return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNUnquantizeByScale: NULL or rank %d", nd);
    int64_t n = 1;
    for (int d = 0; d < nd; d++) {
        if (shape.dimensionSize[d] < 1)
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT, "hbDNNUnquantizeByScale: extent < 1");
        n *= shape.dimensionSize[d];
    }
    int64_t c = shape.dimensionSize[nd - 1]; /* NHWC: channels last */
    for (int64_t i = 0; i < n; i++) {
        double v;
        const uint8_t *p = (const uint8_t *)input;
        switch (dataType) {
        case HB_DNN_TENSOR_TYPE_S8:
            v = ((const int8_t *)input)[i];
            break;
        case HB_DNN_TENSOR_TYPE_U8:
            v = p[i];
            break;
        case HB_DNN_TENSOR_TYPE_S16: {
            int16_t x;
            memcpy(&x, p + 2 * i, 2);
            v = x;
            break;
        }
        case HB_DNN_TENSOR_TYPE_U16: {
            uint16_t x;
            memcpy(&x, p + 2 * i, 2);
            v = x;
            break;
        }
        case HB_DNN_TENSOR_TYPE_S32: {
            int32_t x;
            memcpy(&x, p + 4 * i, 4);
            v = x;
            break;
        }
        case HB_DNN_TENSOR_TYPE_U32: {
            uint32_t x;
            memcpy(&x, p + 4 * i, 4);
            v = x;
            break;
        }
        default:
            return hb_dnn_fail(HB_DNN_INVALID_ARGUMENT,
                               "hbDNNUnquantizeByScale: data type %d is not an integer type",
                               dataType);
        }
        output[i] = (float)(v * (double)scales[i % c]);
    }
    return 0;
}
