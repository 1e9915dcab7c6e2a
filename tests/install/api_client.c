/* api_client: a user program of the DNN API, written only from the public API description (the
 * function list, struct layouts, cache protocol and shape rules of the reference documentation:
 * load, select a model, allocate cached buffers of alignedByteSize, CLEAN after writing, infer,
 * wait, INVALIDATE before reading), not from this project's implementation. It is built out of
 * tree against the installed package (tests/install/CMakeLists.txt) and checks that a converted
 * model computes what hb_verifier's quantized ONNX reference computes.
 *
 *   api_client MODEL.bin REF_DIR INPUT...
 *
 * INPUT i: a file of the input's bytes in the form the API takes them: an NV12 frame
 * (H * W * 3 / 2 bytes) for an NV12 input, dense pixels for other image types, dense elements of
 * the valid shape for a feature map (the program sets alignedShape = validShape, the dense form);
 * raw, or the data of a .npy file.
 * REF_DIR holds output_<k>.npy for output k (hb_verifier --dump-ref): the reference's elements in
 * the valid shape; the program gathers each output's valid elements through `stride` and compares
 * their bytes. Prints one line per output; exit 0 when every output is equal, 1 otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnn/hb_dnn.h"
#include "dnn/hb_sys.h"

#define MAX_IO 16

static int fail(const char *what, int32_t rc)
{
    fprintf(stderr, "api_client: %s failed: %d\n", what, rc);
    return 1;
}

/* Bytes of one element of a tensor type; 0 for image types and 4-bit types. */
static size_t elem_size(int32_t type)
{
    switch (type) {
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

static size_t valid_count(const hbDNNTensorShape *s)
{
    size_t n = 1;
    for (int32_t d = 0; d < s->numDimensions; d++)
        n *= (size_t)s->dimensionSize[d];
    return n;
}

/* Bytes the user provides for input properties p in dense form. */
static size_t input_bytes(const hbDNNTensorProperties *p)
{
    size_t n = valid_count(&p->validShape);
    switch (p->tensorType) {
    case HB_DNN_IMG_TYPE_NV12: /* N x 3 x H x W valid shape; Y plane + interleaved UV */
        return n / 3 * 3 / 2;
    case HB_DNN_IMG_TYPE_Y:
    case HB_DNN_IMG_TYPE_YUV444:
    case HB_DNN_IMG_TYPE_RGB:
    case HB_DNN_IMG_TYPE_BGR:
        return n;
    default:
        return n * elem_size(p->tensorType);
    }
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *size = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The data of a version 1-3 .npy file: *data points into buf, *n bytes; *descr its dtype. */
static int npy_data(const uint8_t *buf, size_t size, const uint8_t **data, size_t *n, char *descr,
                    size_t descr_size)
{
    if (size < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return -1;
    size_t hl = buf[8] | (size_t)buf[9] << 8, start = 10;
    if (buf[6] >= 2) {
        if (size < 12)
            return -1;
        hl = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    }
    if (start + hl > size)
        return -1;
    char header[1024];
    size_t copy = hl < sizeof header - 1 ? hl : sizeof header - 1;
    memcpy(header, buf + start, copy);
    header[copy] = '\0';
    const char *d = strstr(header, "'descr':");
    if (!d || sscanf(d, "'descr': '%15[^']'", descr) != 1 || descr_size < 16)
        return -1;
    if (strstr(header, "'fortran_order': True"))
        return -1;
    *data = buf + start + hl;
    *n = size - start - hl;
    return 0;
}

/* Copy the valid elements of output tensor t, laid out by stride, densely into dst. */
static void gather(const hbDNNTensor *t, size_t es, uint8_t *dst)
{
    const hbDNNTensorProperties *p = &t->properties;
    int32_t nd = p->validShape.numDimensions;
    int32_t idx[8] = {0};
    size_t total = valid_count(&p->validShape);
    const uint8_t *src = t->sysMem[0].virAddr;
    for (size_t k = 0; k < total; k++) {
        size_t off = 0;
        for (int32_t d = 0; d < nd; d++)
            off += (size_t)idx[d] * (size_t)p->stride[d];
        memcpy(dst + k * es, src + off, es);
        for (int32_t d = nd - 1; d >= 0; d--) {
            if (++idx[d] < p->validShape.dimensionSize[d])
                break;
            idx[d] = 0;
        }
    }
}

int main(int argc, char **argv)
{
    hbPackedDNNHandle_t packed = NULL;
    hbDNNHandle_t dnn = NULL;
    hbDNNTaskHandle_t task = NULL;
    hbDNNTensor in[MAX_IO], out[MAX_IO];
    int32_t n_in = 0, n_out = 0, rc, ret = 1, count = 0;
    const char **names = NULL;
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    if (argc < 4) {
        fprintf(stderr, "usage: api_client MODEL.bin REF_DIR INPUT...\n");
        return 2;
    }
    const char *model_file = argv[1], *ref_dir = argv[2];
    if ((rc = hbDNNInitializeFromFiles(&packed, &model_file, 1)) != 0)
        return fail("hbDNNInitializeFromFiles", rc);
    if ((rc = hbDNNGetModelNameList(&names, &count, packed)) != 0 || count < 1 ||
        (rc = hbDNNGetModelHandle(&dnn, packed, names[0])) != 0 ||
        (rc = hbDNNGetInputCount(&n_in, dnn)) != 0 ||
        (rc = hbDNNGetOutputCount(&n_out, dnn)) != 0) {
        fail("model selection", rc);
        goto out;
    }
    if (n_in > MAX_IO || n_out > MAX_IO || argc - 3 != n_in) {
        fprintf(stderr, "api_client: %s has %d inputs and %d outputs; %d input files given\n",
                names[0], n_in, n_out, argc - 3);
        goto out;
    }
    printf("model %s: %d input(s), %d output(s)\n", names[0], n_in, n_out);
    for (int32_t i = 0; i < n_in; i++) {
        hbDNNTensorProperties *p = &in[i].properties;
        size_t size = 0;
        if ((rc = hbDNNGetInputTensorProperties(p, dnn, i)) != 0) {
            fail("hbDNNGetInputTensorProperties", rc);
            goto out;
        }
        uint8_t *data = read_file(argv[3 + i], &size);
        const uint8_t *bytes = data;
        size_t want = input_bytes(p);
        char descr[16];
        if (data && npy_data(data, size, &bytes, &size, descr, sizeof descr) != 0) {
            bytes = data; /* not a .npy: raw bytes */
        }
        if (!data || size != want) {
            fprintf(stderr, "api_client: %s: %zu bytes, input %d (type %d) takes %zu\n",
                    argv[3 + i], data ? size : 0, i, p->tensorType, want);
            free(data);
            goto out;
        }
        p->alignedShape = p->validShape; /* dense data: the library pads */
        uint32_t alloc = (uint32_t)want > (uint32_t)p->alignedByteSize
                             ? (uint32_t)want
                             : (uint32_t)p->alignedByteSize;
        if ((rc = hbSysAllocCachedMem(&in[i].sysMem[0], alloc)) != 0) {
            free(data);
            fail("hbSysAllocCachedMem", rc);
            goto out;
        }
        memcpy(in[i].sysMem[0].virAddr, bytes, want);
        free(data);
        hbSysFlushMem(&in[i].sysMem[0], HB_SYS_MEM_CACHE_CLEAN);
        printf("input %d: type %d, %zu bytes from %s\n", i, p->tensorType, want, argv[3 + i]);
    }
    for (int32_t o = 0; o < n_out; o++) {
        if ((rc = hbDNNGetOutputTensorProperties(&out[o].properties, dnn, o)) != 0 ||
            (rc = hbSysAllocCachedMem(&out[o].sysMem[0],
                                      (uint32_t)out[o].properties.alignedByteSize)) != 0) {
            fail("output allocation", rc);
            goto out;
        }
    }
    hbDNNInferCtrlParam ctrl;
    HB_DNN_INITIALIZE_INFER_CTRL_PARAM(&ctrl);
    hbDNNTensor *outp = out;
    if ((rc = hbDNNInfer(&task, &outp, in, dnn, &ctrl)) != 0 ||
        (rc = hbDNNWaitTaskDone(task, 0)) != 0) {
        fail("inference", rc);
        goto out;
    }
    int differ = 0;
    for (int32_t o = 0; o < n_out; o++) {
        const hbDNNTensorProperties *p = &out[o].properties;
        const char *name = NULL;
        char path[4096], descr[16] = "";
        size_t es = elem_size(p->tensorType), n = valid_count(&p->validShape), rsize = 0, rn = 0;
        const uint8_t *rdata = NULL;
        hbSysFlushMem(&out[o].sysMem[0], HB_SYS_MEM_CACHE_INVALIDATE);
        hbDNNGetOutputName(&name, dnn, o);
        snprintf(path, sizeof path, "%s/output_%d.npy", ref_dir, o);
        uint8_t *ref = read_file(path, &rsize);
        uint8_t *got = es ? malloc(n * es) : NULL;
        if (!ref || !got || npy_data(ref, rsize, &rdata, &rn, descr, sizeof descr) != 0 ||
            rn != n * es) {
            fprintf(stderr,
                    "api_client: output %d '%s': reference %s unreadable or not %zu x %zu "
                    "bytes\n",
                    o, name, path, n, es);
            differ = 1;
        } else {
            gather(&out[o], es, got);
            int same = memcmp(got, rdata, n * es) == 0;
            printf("output %d '%s': type %d, %zu elements, reference %s: %s\n", o, name,
                   p->tensorType, n, descr, same ? "equal" : "DIFFERENT");
            differ |= !same;
        }
        free(ref);
        free(got);
    }
    ret = differ;
out:
    if (task)
        hbDNNReleaseTask(task);
    for (int32_t i = 0; i < MAX_IO; i++) {
        if (in[i].sysMem[0].virAddr)
            hbSysFreeMem(&in[i].sysMem[0]);
        if (out[i].sysMem[0].virAddr)
            hbSysFreeMem(&out[i].sysMem[0]);
    }
    if (packed)
        hbDNNRelease(packed);
    return ret;
}
