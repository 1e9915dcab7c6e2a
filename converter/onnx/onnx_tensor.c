/* TensorProto decoding, file reading and the TensorProto file reader (hbc_onnx_load_tensor_file).
 */
#include "hbc/onnx_io.h"
#include "onnx_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hbg_status hbc_onnx_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return st;
}

hbg_status hbc_onnx_read_file(const char *path, uint8_t **buf, size_t *len, char *err,
                              size_t errlen)
{
    hbg_status st = HBG_E_IO;
    FILE *f = fopen(path, "rb");
    uint8_t *b = NULL;
    size_t n = 0, cap = 0;

    *buf = NULL;
    *len = 0;
    if (!f) {
        hbc_onnx_fail(err, errlen, st, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    /* Read in growing chunks rather than trusting a size from fseek/ftell: works for pipes and
     * fails cleanly (EISDIR) on directories. */
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : (size_t)1 << 16;
            uint8_t *p;
            if (cap > HBC_ONNX_MAX_BYTES) {
                st = hbc_onnx_fail(err, errlen, HBG_E_FORMAT,
                                   "%s: larger than 2 GiB, the protobuf limit", path);
                goto fail;
            }
            if (!(p = realloc(b, nc))) {
                st = hbc_onnx_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory reading it", path);
                goto fail;
            }
            b = p;
            cap = nc;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        hbc_onnx_fail(err, errlen, st, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    if (n > HBC_ONNX_MAX_BYTES) {
        st = hbc_onnx_fail(err, errlen, HBG_E_FORMAT, "%s: larger than 2 GiB, the protobuf limit",
                           path);
        goto fail;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return HBG_OK;
fail:
    if (f)
        fclose(f);
    free(b);
    return st;
}

hbg_dtype hbc_onnx_dtype(int32_t onnx_type)
{
    /* hbg_dtype values equal TensorProto.DataType values (graph.h), so only membership matters. */
    switch (onnx_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        return (hbg_dtype)onnx_type;
    default:
        return HBG_DT_UNDEF;
    }
}

const char *hbc_onnx_type_name(int32_t onnx_type)
{
    static const char *const names[] = {
        "undefined", "float",  "uint8",     "int8",       "uint16",   "int16",
        "int32",     "int64",  "string",    "bool",       "float16",  "double",
        "uint32",    "uint64", "complex64", "complex128", "bfloat16",
    };
    if (onnx_type < 0 || onnx_type >= (int32_t)(sizeof names / sizeof names[0]))
        return "unknown";
    return names[onnx_type];
}

/* Narrow int32_data into one byte per element, checking each value against [lo, hi]. */
static hbg_status narrow_int32(const Onnx__TensorProto *tp, const char *what, int32_t lo,
                               int32_t hi, hbc_tensor_view *v, char *err, size_t errlen)
{
    uint8_t *dst = malloc(tp->n_int32_data ? tp->n_int32_data : 1);
    if (!dst)
        return hbc_onnx_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < tp->n_int32_data; i++) {
        int32_t x = tp->int32_data[i];
        if (x < lo || x > hi) {
            free(dst);
            return hbc_onnx_fail(err, errlen, HBG_E_INVALID,
                                 "%s: int32_data[%zu] = %ld is out of range for %s", what, i,
                                 (long)x, hbg_dtype_name(v->dt));
        }
        /* Two's complement byte of x: int8 -1 is stored as 0xff. */
        dst[i] = (uint8_t)(x & 0xff);
    }
    v->owned = dst;
    v->data = dst;
    return HBG_OK;
}

/* Typed-field path: the one field that holds dt, with exactly numel values. */
static hbg_status decode_typed(const Onnx__TensorProto *tp, const char *what, int64_t numel,
                               hbc_tensor_view *v, char *err, size_t errlen)
{
    const char *field;
    size_t count;
    const void *src;
    switch (v->dt) {
    case HBG_DT_F32:
        field = "float_data", count = tp->n_float_data, src = tp->float_data;
        break;
    case HBG_DT_F64:
        field = "double_data", count = tp->n_double_data, src = tp->double_data;
        break;
    case HBG_DT_I64:
        field = "int64_data", count = tp->n_int64_data, src = tp->int64_data;
        break;
    default: /* int32, int8, uint8, bool: int32_data per onnx.proto */
        field = "int32_data", count = tp->n_int32_data, src = tp->int32_data;
        break;
    }
    size_t total = tp->n_float_data + tp->n_double_data + tp->n_int64_data + tp->n_int32_data +
                   tp->n_uint64_data + tp->n_string_data;
    if (total != count)
        return hbc_onnx_fail(err, errlen, HBG_E_INVALID,
                             "%s: %s data must be in %s or raw_data, other typed fields are set",
                             what, hbg_dtype_name(v->dt), field);
    if ((uint64_t)count != (uint64_t)numel)
        return hbc_onnx_fail(err, errlen, HBG_E_INVALID,
                             "%s: %zu values in %s but the shape has %lld elements", what, count,
                             field, (long long)numel);
    switch (v->dt) {
    case HBG_DT_I8:
        return narrow_int32(tp, what, -128, 127, v, err, errlen);
    case HBG_DT_U8:
        return narrow_int32(tp, what, 0, 255, v, err, errlen);
    case HBG_DT_BOOL:
        return narrow_int32(tp, what, 0, 1, v, err, errlen);
    default:
        v->data = src; /* same width as the element type: borrowed */
        return HBG_OK;
    }
}

hbg_status hbc_onnx_tensor_decode(const Onnx__TensorProto *tp, const char *what, hbc_tensor_view *v,
                                  char *err, size_t errlen)
{
    int64_t numel = 1;
    size_t esize;

    memset(v, 0, sizeof *v);
    if ((tp->has_data_location &&
         tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        tp->n_external_data)
        return hbc_onnx_fail(err, errlen, HBG_E_UNSUPPORTED,
                             "%s: external data (data_location EXTERNAL) is not supported; save "
                             "the model with its weights inside the .onnx file",
                             what);
    if (tp->segment)
        return hbc_onnx_fail(err, errlen, HBG_E_UNSUPPORTED,
                             "%s: segmented tensors are not supported", what);
    if (!tp->has_data_type || tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED)
        return hbc_onnx_fail(err, errlen, HBG_E_INVALID, "%s: no element type", what);
    v->dt = hbc_onnx_dtype(tp->data_type);
    if (v->dt == HBG_DT_UNDEF)
        return hbc_onnx_fail(err, errlen, HBG_E_UNSUPPORTED,
                             "%s: element type %s (%ld) is not supported", what,
                             hbc_onnx_type_name(tp->data_type), (long)tp->data_type);
    esize = hbg_dtype_size(v->dt);
    if (tp->n_dims > HBG_MAX_RANK)
        return hbc_onnx_fail(err, errlen, HBG_E_UNSUPPORTED, "%s: rank %zu exceeds %d", what,
                             tp->n_dims, HBG_MAX_RANK);
    v->rank = (int)tp->n_dims;
    for (int i = 0; i < v->rank; i++) {
        int64_t d = tp->dims[i];
        if (d < 0)
            return hbc_onnx_fail(err, errlen, HBG_E_INVALID, "%s: dimension %d is negative (%lld)",
                                 what, i, (long long)d);
        /* Keep numel * esize within int64 (and so within size_t on 64-bit hosts). */
        if (d != 0 && numel > INT64_MAX / (int64_t)esize / d)
            return hbc_onnx_fail(err, errlen, HBG_E_INVALID,
                                 "%s: shape is too large (dimension %d = %lld)", what, i,
                                 (long long)d);
        numel *= d;
        v->dims[i] = d;
    }
    if ((uint64_t)numel > SIZE_MAX / esize)
        return hbc_onnx_fail(err, errlen, HBG_E_INVALID, "%s: shape is too large for this host",
                             what);
    v->nbytes = (size_t)numel * esize;

    if (tp->has_raw_data) {
        if (tp->n_float_data || tp->n_double_data || tp->n_int64_data || tp->n_int32_data ||
            tp->n_uint64_data || tp->n_string_data)
            return hbc_onnx_fail(err, errlen, HBG_E_INVALID,
                                 "%s: both raw_data and a typed data field are set", what);
        if (tp->raw_data.len != v->nbytes)
            return hbc_onnx_fail(err, errlen, HBG_E_INVALID,
                                 "%s: raw_data has %zu bytes but %lld elements of %s need %zu",
                                 what, tp->raw_data.len, (long long)numel, hbg_dtype_name(v->dt),
                                 v->nbytes);
        if (v->dt == HBG_DT_BOOL)
            for (size_t i = 0; i < tp->raw_data.len; i++)
                if (tp->raw_data.data[i] > 1)
                    return hbc_onnx_fail(err, errlen, HBG_E_INVALID,
                                         "%s: raw_data[%zu] = %u is not a bool (0 or 1)", what, i,
                                         (unsigned)tp->raw_data.data[i]);
        v->data = tp->raw_data.data;
        return HBG_OK;
    }
    return decode_typed(tp, what, numel, v, err, errlen);
}

hbg_status hbc_onnx_tensor_make(const Onnx__TensorProto *tp, const char *what, hbg_tensor **out,
                                char *err, size_t errlen)
{
    hbc_tensor_view v;
    hbg_tensor *t = NULL;
    hbg_status st = hbc_onnx_tensor_decode(tp, what, &v, err, errlen);

    *out = NULL;
    if (st != HBG_OK)
        goto fail;
    st = HBG_E_NOMEM;
    if (!(t = hbg_tensor_create(tp->name ? tp->name : ""))) {
        hbc_onnx_fail(err, errlen, st, "%s: out of memory", what);
        goto fail;
    }
    if (!(t->data = malloc(v.nbytes ? v.nbytes : 1))) {
        hbc_onnx_fail(err, errlen, st, "%s: out of memory (%zu bytes)", what, v.nbytes);
        goto fail;
    }
    if (v.nbytes)
        memcpy(t->data, v.data, v.nbytes);
    t->dtype = v.dt;
    t->rank = v.rank;
    memcpy(t->dims, v.dims, sizeof t->dims);
    t->is_const = 1; /* the tensor owns constant data */
    free(v.owned);
    *out = t;
    return HBG_OK;
fail:
    free(v.owned);
    hbg_tensor_free(t);
    return st;
}

hbg_status hbc_onnx_load_tensor_file(const char *path, hbg_tensor **out, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    Onnx__TensorProto *tp = NULL;
    char what[300], msg[512];
    hbg_status st;

    *out = NULL;
    if ((st = hbc_onnx_read_file(path, &buf, &len, err, errlen)) != HBG_OK)
        goto out;
    st = HBG_E_FORMAT;
    if (!(tp = onnx__tensor_proto__unpack(NULL, len, buf))) {
        hbc_onnx_fail(err, errlen, st, "%s: not a serialised ONNX TensorProto (parse failed)",
                      path);
        goto out;
    }
    snprintf(what, sizeof what, "tensor '%s'", tp->name ? tp->name : "");
    if ((st = hbc_onnx_tensor_make(tp, what, out, msg, sizeof msg)) != HBG_OK) {
        hbc_onnx_fail(err, errlen, st, "%s: %s", path, msg);
        goto out;
    }
    st = HBG_OK;
out:
    if (tp)
        onnx__tensor_proto__free_unpacked(tp, NULL);
    free(buf);
    return st;
}
