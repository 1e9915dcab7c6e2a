/* .bin reader, container level: magic, version, header, section table, CRCs, section placement.
 * Model contents are decoded by reader_model.c once the container is known to be sound. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader_internal.h"

static const char *const status_names[HBBIN_STATUS_COUNT] = {
    [HBBIN_OK] = "ok",
    [HBBIN_E_ARG] = "invalid argument",
    [HBBIN_E_IO] = "I/O error",
    [HBBIN_E_NOMEM] = "out of memory",
    [HBBIN_E_TRUNCATED] = "truncated",
    [HBBIN_E_CORRUPT] = "corrupt",
    [HBBIN_E_VERSION] = "unsupported version",
    [HBBIN_E_FOREIGN] = "not a .bin of this toolchain",
};

const char *hbbin_status_name(hbbin_status s)
{
    return (unsigned)s < HBBIN_STATUS_COUNT ? status_names[s] : "?";
}

hbbin_status hbbin_fail(hbbin_rd *r, hbbin_status s, const char *fmt, ...)
{
    if (r->err && r->errsz) {
        va_list ap;
        int n = snprintf(r->err, r->errsz, "%s: ", r->label ? r->label : "(memory)");
        if (n >= 0 && (size_t)n < r->errsz) {
            va_start(ap, fmt);
            vsnprintf(r->err + n, r->errsz - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return s;
}

static uint64_t round64(uint64_t v)
{
    return (v + HBBIN_ALIGN - 1) / HBBIN_ALIGN * HBBIN_ALIGN;
}

/* The Horizon toolchain's .bin is a protobuf ModelProto whose BPU code is an initializer named
 * PACKED_HBM_MODEL. Recognise it so the user learns why the file is refused. */
static hbbin_status refuse_foreign(hbbin_rd *r, const uint8_t *p, size_t n)
{
    static const char tag[] = "PACKED_HBM_MODEL";
    const size_t tn = sizeof tag - 1;
    for (const uint8_t *q = p; n >= tn && (size_t)(q - p) <= n - tn; q++) {
        q = memchr(q, 'P', n - tn + 1 - (size_t)(q - p));
        if (!q)
            break;
        if (memcmp(q, tag, tn) == 0)
            return hbbin_fail(r, HBBIN_E_FOREIGN,
                              "is a Horizon Robotics protobuf model (contains %s); this toolchain "
                              "reads only its own .bin format (docs/bin-format.md): rebuild the "
                              "model with this toolchain's hb_mapper",
                              tag);
    }
    /* A protobuf message starts with a field key: wire type 0 (varint) or 2 (bytes), field 1-15. */
    if (n > 0 && p[0] < 0x80 && ((p[0] & 7u) == 0 || (p[0] & 7u) == 2) && (p[0] >> 3) >= 1)
        return hbbin_fail(r, HBBIN_E_FOREIGN,
                          "starts with protobuf bytes, not the .bin magic: probably a Horizon "
                          "Robotics protobuf .bin, which this toolchain does not read; rebuild "
                          "the model with this toolchain's hb_mapper");
    return hbbin_fail(r, HBBIN_E_FOREIGN, "not a .bin file (bad magic)");
}

/* Header checks (bytes 0 .. 63). */
static hbbin_status check_header(hbbin_rd *r, const uint8_t *p, size_t size, hbbin_info *info)
{
    uint64_t file_size;
    uint32_t crc;
    if (size == 0)
        return hbbin_fail(r, HBBIN_E_TRUNCATED, "0 bytes: no .bin header");
    if (size < 8 && memcmp(p, HBBIN_MAGIC, size) == 0)
        return hbbin_fail(r, HBBIN_E_TRUNCATED, "%zu bytes, shorter than the magic", size);
    if (size < 8 || memcmp(p, HBBIN_MAGIC, 8) != 0)
        return refuse_foreign(r, p, size);
    if (size < HBBIN_HEADER_SIZE)
        return hbbin_fail(r, HBBIN_E_TRUNCATED, "%zu bytes, shorter than the %u-byte header", size,
                          HBBIN_HEADER_SIZE);
    info->version_major = hbbin_rd16(p + 8);
    info->version_minor = hbbin_rd16(p + 10);
    if (info->version_major != HBBIN_VERSION_MAJOR)
        return hbbin_fail(r, HBBIN_E_VERSION, "format version %u.%u; this reader reads %u.x",
                          info->version_major, info->version_minor, HBBIN_VERSION_MAJOR);
    crc = hbbin_crc32(0, p, 60);
    if (crc != hbbin_rd32(p + 60))
        return hbbin_fail(r, HBBIN_E_CORRUPT,
                          "header CRC mismatch (stored 0x%08x, computed 0x%08x)",
                          hbbin_rd32(p + 60), crc);
    if (hbbin_rd32(p + 12) != HBBIN_HEADER_SIZE)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "header_size %u, expected %u", hbbin_rd32(p + 12),
                          HBBIN_HEADER_SIZE);
    file_size = hbbin_rd64(p + 16);
    if (file_size > size)
        return hbbin_fail(r, HBBIN_E_TRUNCATED, "%zu bytes, but the header says %llu", size,
                          (unsigned long long)file_size);
    if (file_size < size)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "%zu bytes, but the header says %llu", size,
                          (unsigned long long)file_size);
    info->march = hbbin_rd32(p + 24);
    info->flags = hbbin_rd32(p + 28);
    info->model_count = hbbin_rd32(p + 36);
    for (int i = 0; i < 3; i++)
        info->toolchain[i] = hbbin_rd16(p + 40 + 2 * i);
    if (info->march >= HBBIN_MARCH_COUNT)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "unknown march %u", info->march);
    if (info->flags & ~HBBIN_FLAG_PACKED)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "unknown flags 0x%x", info->flags);
    if (!hbbin_zero(p + 46, 2) || !hbbin_zero(p + 52, 8))
        return hbbin_fail(r, HBBIN_E_CORRUPT, "reserved header bytes are not zero");
    if (info->model_count < 1 || info->model_count > HBBIN_MAX_MODELS)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "model_count %u out of range 1..%u",
                          info->model_count, HBBIN_MAX_MODELS);
    return HBBIN_OK;
}

/* Parse and place every section; sec[] gets section_count entries. */
static hbbin_status check_table(hbbin_rd *r, const uint8_t *p, uint64_t size,
                                const hbbin_info *info, hbbin_sec *sec, uint32_t n)
{
    uint64_t table_end = HBBIN_HEADER_SIZE + (uint64_t)HBBIN_ENTRY_SIZE * n;
    uint64_t prev_end = table_end;
    uint32_t crc;
    if (table_end > size)
        return hbbin_fail(r, HBBIN_E_CORRUPT, "section table of %u entries runs past the end", n);
    crc = hbbin_crc32(0, p + HBBIN_HEADER_SIZE, (size_t)(table_end - HBBIN_HEADER_SIZE));
    if (crc != hbbin_rd32(p + 48))
        return hbbin_fail(r, HBBIN_E_CORRUPT,
                          "section table CRC mismatch (stored 0x%08x, computed 0x%08x)",
                          hbbin_rd32(p + 48), crc);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = p + HBBIN_HEADER_SIZE + (uint64_t)HBBIN_ENTRY_SIZE * i;
        hbbin_sec *s = &sec[i];
        s->kind = hbbin_rd32(e);
        s->model = hbbin_rd32(e + 4);
        s->off = hbbin_rd64(e + 8);
        s->size = hbbin_rd64(e + 16);
        s->crc = hbbin_rd32(e + 24);
        s->id = hbbin_rd32(e + 28);
        int known = (s->kind >= HBBIN_SEC_MODEL && s->kind <= HBBIN_SEC_PARAMS) ||
                    hbbin_kind_is_blob(s->kind);
        if (!known && info->version_minor <= HBBIN_VERSION_MINOR)
            return hbbin_fail(r, HBBIN_E_CORRUPT, "section %u: unknown kind %u", i, s->kind);
        if (s->model >= info->model_count)
            return hbbin_fail(r, HBBIN_E_CORRUPT, "section %u: model %u, file has %u models", i,
                              s->model, info->model_count);
        if (known && !hbbin_kind_is_blob(s->kind) && (s->id != 0 || s->size == 0))
            return hbbin_fail(r, HBBIN_E_CORRUPT, "section %u (kind %u): %s", i, s->kind,
                              s->size == 0 ? "empty" : "non-zero id");
        if (s->off % HBBIN_ALIGN != 0 || s->off < round64(prev_end))
            return hbbin_fail(r, HBBIN_E_CORRUPT,
                              "section %u: offset %llu is unaligned or overlaps what precedes it",
                              i, (unsigned long long)s->off);
        if (s->off > size || s->size > size - s->off)
            return hbbin_fail(r, HBBIN_E_TRUNCATED,
                              "section %u: %llu bytes at %llu run past the end (%llu bytes)", i,
                              (unsigned long long)s->size, (unsigned long long)s->off,
                              (unsigned long long)size);
        if (!hbbin_zero(p + prev_end, (size_t)(s->off - prev_end)))
            return hbbin_fail(r, HBBIN_E_CORRUPT, "non-zero padding before section %u", i);
        crc = hbbin_crc32(0, p + s->off, (size_t)s->size);
        if (crc != s->crc)
            return hbbin_fail(r, HBBIN_E_CORRUPT,
                              "section %u (kind %u): CRC mismatch (stored 0x%08x, computed 0x%08x)",
                              i, s->kind, s->crc, crc);
        prev_end = s->off + s->size;
    }
    if (round64(prev_end) != size || !hbbin_zero(p + prev_end, (size_t)(size - prev_end)))
        return hbbin_fail(r, HBBIN_E_CORRUPT, "data after the last section");
    return HBBIN_OK;
}

/* Sort the sections into their models: singletons must be unique, blobs in strictly increasing
 * (kind, id) order per model. */
static hbbin_status group_sections(hbbin_rd *r, const hbbin_sec *sec, uint32_t n,
                                   hbbin_model_secs *ms, uint32_t models, long *blob_idx)
{
    static const char *const kind_names[] = {"",        "MODEL",      "STRINGS", "TENSORS",
                                             "QPARAMS", "PREPROCESS", "PARAMS"};
    size_t used = 0;
    for (uint32_t m = 0; m < models; m++) {
        ms[m].model = ms[m].strings = ms[m].tensors = -1;
        ms[m].qparams = ms[m].preprocess = ms[m].params = -1;
        ms[m].blob_count = 0;
    }
    for (uint32_t i = 0; i < n; i++)
        if (hbbin_kind_is_blob(sec[i].kind))
            ms[sec[i].model].blob_count++;
    for (uint32_t m = 0; m < models; m++) {
        ms[m].blobs = blob_idx + used;
        used += ms[m].blob_count;
        ms[m].blob_count = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        hbbin_model_secs *m = &ms[sec[i].model];
        long *slot = NULL;
        switch (sec[i].kind) {
        case HBBIN_SEC_MODEL:
            slot = &m->model;
            break;
        case HBBIN_SEC_STRINGS:
            slot = &m->strings;
            break;
        case HBBIN_SEC_TENSORS:
            slot = &m->tensors;
            break;
        case HBBIN_SEC_QPARAMS:
            slot = &m->qparams;
            break;
        case HBBIN_SEC_PREPROCESS:
            slot = &m->preprocess;
            break;
        case HBBIN_SEC_PARAMS:
            slot = &m->params;
            break;
        default:
            break;
        }
        if (slot) {
            if (*slot >= 0)
                return hbbin_fail(r, HBBIN_E_CORRUPT, "model %u has two %s sections", sec[i].model,
                                  kind_names[sec[i].kind]);
            *slot = (long)i;
        } else if (hbbin_kind_is_blob(sec[i].kind)) {
            if (m->blob_count > 0) {
                const hbbin_sec *prev = &sec[m->blobs[m->blob_count - 1]];
                if (prev->kind > sec[i].kind ||
                    (prev->kind == sec[i].kind && prev->id >= sec[i].id))
                    return hbbin_fail(r, HBBIN_E_CORRUPT,
                                      "model %u: blob (kind %u, id %u) out of order or repeated",
                                      sec[i].model, sec[i].kind, sec[i].id);
            }
            m->blobs[m->blob_count++] = (long)i;
        }
    }
    for (uint32_t m = 0; m < models; m++)
        if (ms[m].model < 0 || ms[m].strings < 0 || ms[m].tensors < 0)
            return hbbin_fail(r, HBBIN_E_CORRUPT, "model %u lacks a %s section", m,
                              ms[m].model < 0     ? "MODEL"
                              : ms[m].strings < 0 ? "STRINGS"
                                                  : "TENSORS");
    return HBBIN_OK;
}

hbbin_status hbbin_open_memory(const void *data, size_t size, const char *label, hbbin_file **out,
                               char *err, size_t errsz)
{
    hbbin_rd r = {label, err, errsz};
    hbbin_status st = HBBIN_OK;
    hbbin_file *f = NULL;
    hbbin_sec *sec = NULL;
    hbbin_model_secs *ms = NULL;
    long *blob_idx = NULL;
    uint32_t n = 0;
    const char **names = NULL;
    if (err && errsz)
        err[0] = '\0';
    if (!out || (!data && size))
        return hbbin_fail(&r, HBBIN_E_ARG, "NULL argument");
    *out = NULL;
    f = calloc(1, sizeof *f);
    if (!f)
        return hbbin_fail(&r, HBBIN_E_NOMEM, "out of memory");
    f->data = data;
    f->size = size;
    st = check_header(&r, data, size, &f->info);
    if (st != HBBIN_OK)
        goto out;
    n = hbbin_rd32(f->data + 32);
    if (n < 1 || n > HBBIN_MAX_SECTIONS) {
        st = hbbin_fail(&r, HBBIN_E_CORRUPT, "section_count %u out of range 1..%u", n,
                        HBBIN_MAX_SECTIONS);
        goto out;
    }
    if (HBBIN_HEADER_SIZE + (uint64_t)HBBIN_ENTRY_SIZE * n > size) {
        st = hbbin_fail(&r, HBBIN_E_CORRUPT, "section table of %u entries runs past the end", n);
        goto out;
    }
    sec = calloc(n, sizeof *sec);
    ms = calloc(f->info.model_count, sizeof *ms);
    blob_idx = calloc(n, sizeof *blob_idx);
    f->models = calloc(f->info.model_count, sizeof *f->models);
    f->stores = calloc(f->info.model_count, sizeof *f->stores);
    names = calloc(f->info.model_count, sizeof *names);
    if (!sec || !ms || !blob_idx || !f->models || !f->stores || !names) {
        st = hbbin_fail(&r, HBBIN_E_NOMEM, "out of memory");
        goto out;
    }
    st = check_table(&r, f->data, size, &f->info, sec, n);
    if (st == HBBIN_OK)
        st = group_sections(&r, sec, n, ms, f->info.model_count, blob_idx);
    for (uint32_t m = 0; st == HBBIN_OK && m < f->info.model_count; m++) {
        st = hbbin_decode_model(&r, f, sec, &ms[m], m);
        names[m] = f->models[m].name;
    }
    if (st == HBBIN_OK) {
        const char *which = NULL;
        int dup = hbbin_has_duplicate(names, f->info.model_count, &which);
        if (dup < 0)
            st = hbbin_fail(&r, HBBIN_E_NOMEM, "out of memory");
        else if (dup)
            st = hbbin_fail(&r, HBBIN_E_CORRUPT, "two models are named '%s'", which);
    }
out:
    free(sec);
    free(ms);
    free(blob_idx);
    free(names);
    if (st != HBBIN_OK) {
        hbbin_close(f);
        f = NULL;
    }
    *out = f;
    return st;
}

hbbin_status hbbin_open_file(const char *path, hbbin_file **out, char *err, size_t errsz)
{
    hbbin_rd r = {path, err, errsz};
    hbbin_status st;
    struct stat sb;
    void *map = NULL;
    int fd;
    if (!path || !out)
        return hbbin_fail(&r, HBBIN_E_ARG, "NULL argument");
    *out = NULL;
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return hbbin_fail(&r, HBBIN_E_IO, "cannot open: %s", strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return hbbin_fail(&r, HBBIN_E_IO, "not a readable regular file");
    }
    if (sb.st_size == 0) {
        close(fd);
        return hbbin_fail(&r, HBBIN_E_TRUNCATED, "empty file");
    }
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return hbbin_fail(&r, HBBIN_E_IO, "cannot map: %s", strerror(errno));
    st = hbbin_open_memory(map, (size_t)sb.st_size, path, out, err, errsz);
    if (st != HBBIN_OK) {
        munmap(map, (size_t)sb.st_size);
        return st;
    }
    (*out)->map = map;
    (*out)->map_size = (size_t)sb.st_size;
    return HBBIN_OK;
}

void hbbin_close(hbbin_file *f)
{
    if (!f)
        return;
    for (uint32_t m = 0; f->stores && m < f->info.model_count; m++) {
        free(f->stores[m].tensors);
        free(f->stores[m].qcopy);
        free(f->stores[m].preprocess);
        free(f->stores[m].params);
        free(f->stores[m].blobs);
    }
    free(f->stores);
    free(f->models);
    if (f->map)
        munmap(f->map, f->map_size);
    free(f);
}

const hbbin_info *hbbin_file_info(const hbbin_file *f)
{
    return f ? &f->info : NULL;
}

const hbbin_model *hbbin_model_at(const hbbin_file *f, uint32_t i)
{
    return f && i < f->info.model_count ? &f->models[i] : NULL;
}

const hbbin_model *hbbin_find_model(const hbbin_file *f, const char *name)
{
    for (uint32_t i = 0; f && name && i < f->info.model_count; i++)
        if (strcmp(f->models[i].name, name) == 0)
            return &f->models[i];
    return NULL;
}
