/* Image inputs of libdnn (ARCHITECTURE 4 and 7, docs/bin-model.md section 8): a model input with a
 * PREPROCESS record whose type_rt is an image type is fed by the user as uint8 pixels (NV12,
 * NV12_SEPARATE, YUV444, RGB, BGR, Y); the runtime converts them on the CPU to the model's
 * intermediate type (pixel - 128 as float, the F32 graph input that hb_mapper's preprocess node
 * reads), NV12 chroma replicated over its 2x2 block. */
#ifndef HB_DNN_IMAGE_INPUT_H
#define HB_DNN_IMAGE_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "dnn/hb_dnn.h"
#include "hb_bin/bin_reader.h"

/* How one input is fed. type < 0: not an image input (a tensor as the record says). */
typedef struct hb_img {
    int32_t type;        /* hbDNNDataType of the user's tensor: Y, NV12, YUV444, RGB, BGR; or -1 */
    uint32_t layout;     /* user layout of packed types: HBBIN_LAYOUT_NHWC / NCHW */
    uint32_t graph_nhwc; /* 1: the F32 graph input is [N, H, W, C], else [N, C, H, W] */
    int32_t n, c, h, w;  /* batch, channels (3, or 1 for Y), height, width */
    uint64_t bytes;      /* bytes of the user's image data (all planes, all batches) */
} hb_img;

/* Describe input `idx` of model bm: fills *img (type -1 when the input has no image preprocess) and
 * overrides *props with what the user feeds (NV12: validShape N x 3 x H x W NCHW, stride 0,
 * alignedByteSize N*H*W*3/2; packed types: dense uint8 in the layout of the model's
 * input_layout_rt parameter, default NHWC for RGB/BGR/YUV444 and NCHW for Y). Returns 0, or -1
 * with a message in err naming the input when the model's record cannot be an image input. */
int hb_img_describe(const hbbin_model *bm, uint32_t idx, hb_img *img, hbDNNTensorProperties *props,
                    char *err, size_t errsz);

/* The user's planes of one image input, resolved to device views. */
typedef struct hb_img_src {
    const uint8_t *p[2]; /* [0] Y plane or packed pixels of batch 0; [1] UV plane of batch 0 */
    uint64_t step[2];    /* bytes from one batch's plane to the next */
    uint64_t phy[2];     /* BPU ranges read, for the flush check (len 0: unused) */
    uint64_t len[2];
} hb_img_src;

/* Check the user's tensor u of image input `idx` (name) and resolve its planes. The model's type,
 * or NV12_SEPARATE for an NV12 model (Y planes in sysMem[0], UV planes in sysMem[1]); NV12 in one
 * buffer holds each batch's Y plane followed by its UV plane. alignedShape must be the valid
 * shape. Returns 0 or an hbDNNStatus code (message logged). */
int32_t hb_img_bind(const hb_img *img, const hbDNNTensor *u, uint32_t idx, const char *name,
                    hb_img_src *src);

/* Convert the bound planes to the dense F32 graph input (n*c*h*w floats in the graph's layout):
 * value = sample - 128, NV12 chroma replicated over its 2x2 block. */
void hb_img_convert(const hb_img *img, const hb_img_src *src, float *dst);

#endif
