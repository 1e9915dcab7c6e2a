/* .npy reading and writing (format versions 1.0-3.0, see numpy's format documentation). */
#include "hbg/npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hbg_status npy_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static hbg_status npy_fail(char *err, size_t errlen, hbg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return st;
}

static const struct {
    const char *descr; /* numpy dtype string, little-endian or byte-order free */
    hbg_dtype dt;
} npy_types[] = {
    {"<f4", HBG_DT_F32}, {"<f8", HBG_DT_F64}, {"|i1", HBG_DT_I8},   {"|u1", HBG_DT_U8},
    {"<i4", HBG_DT_I32}, {"<i8", HBG_DT_I64}, {"|b1", HBG_DT_BOOL},
};

/* Find the value text following 'key': in the header dict; NULL if absent. */
static const char *dict_value(const char *hdr, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static hbg_status parse_header(const char *hdr, const char *label, hbg_tensor *t, char *err,
                               size_t errlen)
{
    const char *v = dict_value(hdr, "descr");
    size_t i;
    if (!v || *v != '\'')
        return npy_fail(err, errlen, HBG_E_FORMAT, "%s: .npy header has no 'descr'", label);
    for (i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
        size_t n = strlen(npy_types[i].descr);
        /* "|i1" may also be written "<i1" or "i1"; accept the byte-order-free forms. */
        if (strncmp(v + 1, npy_types[i].descr, n) == 0 && v[1 + n] == '\'')
            break;
        if (npy_types[i].descr[0] == '|' &&
            ((v[1] == '<' && strncmp(v + 2, npy_types[i].descr + 1, n - 1) == 0 &&
              v[1 + n] == '\'') ||
             (strncmp(v + 1, npy_types[i].descr + 1, n - 1) == 0 && v[n] == '\'')))
            break;
    }
    if (i == sizeof npy_types / sizeof npy_types[0]) {
        const char *end = strchr(v + 1, '\'');
        int len = end ? (int)(end - v - 1) : 8;
        return npy_fail(err, errlen, HBG_E_UNSUPPORTED,
                        "%s: dtype '%.*s' not supported (float32, float64, int8, uint8, int32, "
                        "int64, bool little-endian)",
                        label, len > 16 ? 16 : len, v + 1);
    }
    t->dtype = npy_types[i].dt;
    v = dict_value(hdr, "fortran_order");
    if (!v || strncmp(v, "False", 5) != 0)
        return npy_fail(err, errlen, HBG_E_UNSUPPORTED,
                        "%s: only C-order arrays are supported (fortran_order must be False)",
                        label);
    v = dict_value(hdr, "shape");
    if (!v || *v != '(')
        return npy_fail(err, errlen, HBG_E_FORMAT, "%s: .npy header has no 'shape' tuple", label);
    v++;
    t->rank = 0;
    for (;;) {
        while (*v == ' ' || *v == ',')
            v++;
        if (*v == ')')
            break;
        if (*v < '0' || *v > '9')
            return npy_fail(err, errlen, HBG_E_FORMAT, "%s: malformed shape in .npy header", label);
        if (t->rank == HBG_MAX_RANK)
            return npy_fail(err, errlen, HBG_E_UNSUPPORTED, "%s: rank above %d", label,
                            HBG_MAX_RANK);
        errno = 0;
        char *end;
        long long d = strtoll(v, &end, 10);
        if (errno || d < 0 || d > ((long long)1 << 40))
            return npy_fail(err, errlen, HBG_E_FORMAT, "%s: dimension out of range", label);
        t->dims[t->rank++] = d;
        v = end;
    }
    return HBG_OK;
}

hbg_status hbg_npy_parse(const void *buf, size_t len, const char *label, const char *name,
                         hbg_tensor **out, char *err, size_t errlen)
{
    const unsigned char *b = buf;
    hbg_status st = HBG_E_FORMAT;
    char *hdr = NULL;
    hbg_tensor *t = NULL;
    size_t hlen, off;
    *out = NULL;
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        st = npy_fail(err, errlen, st, "%s: not a .npy file (bad magic)", label);
        goto fail;
    }
    if (b[6] == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (len < 12) {
            st = npy_fail(err, errlen, st, "%s: truncated .npy header", label);
            goto fail;
        }
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        off = 12;
    } else {
        st = npy_fail(err, errlen, HBG_E_UNSUPPORTED, "%s: .npy version %d not supported", label,
                      b[6]);
        goto fail;
    }
    if (hlen > len - off) {
        st = npy_fail(err, errlen, st, "%s: truncated .npy header (%zu bytes announced)", label,
                      hlen);
        goto fail;
    }
    st = HBG_E_NOMEM;
    hdr = malloc(hlen + 1);
    t = hbg_tensor_create(name);
    if (!hdr || !t) {
        npy_fail(err, errlen, st, "%s: out of memory", label);
        goto fail;
    }
    memcpy(hdr, b + off, hlen);
    hdr[hlen] = '\0';
    if ((st = parse_header(hdr, label, t, err, errlen)) != HBG_OK)
        goto fail;
    off += hlen;
    int64_t nb = hbg_tensor_nbytes(t);
    if (nb < 0 || (uint64_t)nb != (uint64_t)(len - off)) {
        char sh[96];
        st = npy_fail(err, errlen, HBG_E_FORMAT,
                      "%s: data is %zu bytes but shape %s of %s needs %lld", label, len - off,
                      hbg_shape_str(t, sh, sizeof sh), hbg_dtype_name(t->dtype), (long long)nb);
        goto fail;
    }
    st = HBG_E_NOMEM;
    t->data = malloc(nb ? (size_t)nb : 1);
    if (!t->data) {
        npy_fail(err, errlen, st, "%s: out of memory (%lld bytes)", label, (long long)nb);
        goto fail;
    }
    memcpy(t->data, b + off, (size_t)nb);
    t->is_const = 1;
    free(hdr);
    *out = t;
    return HBG_OK;
fail:
    free(hdr);
    hbg_tensor_free(t);
    return st;
}

hbg_status hbg_npy_load(const char *path, const char *name, hbg_tensor **out, char *err,
                        size_t errlen)
{
    hbg_status st = HBG_E_IO;
    unsigned char *buf = NULL;
    long sz;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f)
        return npy_fail(err, errlen, st, "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        npy_fail(err, errlen, st, "%s: cannot read", path);
        goto out;
    }
    buf = malloc((size_t)sz + 1);
    if (!buf) {
        st = npy_fail(err, errlen, HBG_E_NOMEM, "%s: out of memory (%ld bytes)", path, sz);
        goto out;
    }
    if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        npy_fail(err, errlen, st, "%s: short read", path);
        goto out;
    }
    st = hbg_npy_parse(buf, (size_t)sz, path, name, out, err, errlen);
out:
    free(buf);
    fclose(f);
    return st;
}

hbg_status hbg_npy_save(const char *path, const hbg_tensor *t, char *err, size_t errlen)
{
    const char *descr = NULL;
    char hdr[256], shape[200], tmp[4096];
    int64_t nb = hbg_tensor_nbytes(t);
    size_t used = 0;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dt == t->dtype)
            descr = npy_types[i].descr;
    if (!descr || nb < 0 || (!t->data && nb > 0))
        return npy_fail(err, errlen, HBG_E_INVALID, "%s: tensor '%s' has no savable type/data",
                        path, t->name);
    shape[0] = '\0';
    for (int i = 0; i < t->rank; i++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s",
                                 (long long)t->dims[i], t->rank > 1 && i < t->rank - 1 ? " " : "");
    if (t->rank > 1)
        shape[used - 1] = '\0'; /* "(2, 3)" rather than "(2, 3,)"; rank 1 keeps "(5,)" */
    int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr, shape);
    /* Pad with spaces so that magic + header is a multiple of 64, ending in '\n'. */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    if ((size_t)n + pad + 1 >= sizeof hdr)
        return npy_fail(err, errlen, HBG_E_INVALID, "%s: header too long", path);
    memset(hdr + n, ' ', pad);
    hdr[(size_t)n + pad] = '\n';
    size_t hlen = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return npy_fail(err, errlen, HBG_E_IO, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return npy_fail(err, errlen, HBG_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, hlen, f) == hlen &&
             fwrite(t->data, 1, (size_t)nb, f) == (size_t)nb;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return npy_fail(err, errlen, HBG_E_IO, "%s: write failed: %s", path, strerror(errno));
    }
    return HBG_OK;
}
