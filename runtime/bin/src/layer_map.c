/* The LAYER_MAP blob (hb_bin/layer_map.h, docs/bin-model.md section 9): decoding and validation,
 * and the per-model check the reader runs at open. */
#include "hb_bin/layer_map.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader_internal.h"

static hbbin_status lm_fail(char *err, size_t errsz, hbbin_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static hbbin_status lm_fail(char *err, size_t errsz, hbbin_status st, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return st;
}

uint64_t hbbin_layer_map_size(uint32_t layer_count, uint32_t insn_count, uint32_t strings_bytes)
{
    uint64_t idx = 2ull * insn_count;
    /* all terms below 2^35: no overflow in 64 bits */
    return HBBIN_LAYER_MAP_HEADER + (uint64_t)HBBIN_LAYER_MAP_RECORD * layer_count +
           (idx + 3u) / 4u * 4u + strings_bytes;
}

void hbbin_layer_map_free(hbbin_layer_map *lm)
{
    if (!lm)
        return;
    free(lm->names);
    free(lm->op_types);
    free(lm->insn_layer);
    free(lm);
}

hbbin_status hbbin_layer_map_parse(const uint8_t *data, uint64_t size, uint64_t insn_count,
                                   hbbin_layer_map **out, char *err, size_t errsz)
{
    hbbin_layer_map *lm = NULL;
    hbbin_status st = HBBIN_OK;
    if (!out || (!data && size)) {
        st = lm_fail(err, errsz, HBBIN_E_ARG, "layer map: NULL argument");
        goto fail;
    }
    *out = NULL;
    if (size < HBBIN_LAYER_MAP_HEADER) {
        st = lm_fail(err, errsz, HBBIN_E_TRUNCATED,
                     "layer map: %llu bytes, shorter than its header", (unsigned long long)size);
        goto fail;
    }
    if (memcmp(data, HBBIN_LAYER_MAP_MAGIC, 4) != 0 ||
        hbbin_rd32(data + 4) != HBBIN_LAYER_MAP_VERSION || !hbbin_zero(data + 20, 12)) {
        st = lm_fail(err, errsz, HBBIN_E_CORRUPT,
                     "layer map: bad header (magic, version %u or reserved bytes)",
                     hbbin_rd32(data + 4));
        goto fail;
    }
    const uint32_t nl = hbbin_rd32(data + 8), ni = hbbin_rd32(data + 12),
                   ns = hbbin_rd32(data + 16);
    if (nl < 1 || nl > HBBIN_LAYER_MAP_MAX_LAYERS || ni != insn_count || ns < 1) {
        st = lm_fail(err, errsz, HBBIN_E_CORRUPT,
                     "layer map: layer_count %u (1..%u), insn_count %u (the program has %llu), "
                     "strings_bytes %u (>= 1)",
                     nl, HBBIN_LAYER_MAP_MAX_LAYERS, ni, (unsigned long long)insn_count, ns);
        goto fail;
    }
    const uint64_t want = hbbin_layer_map_size(nl, ni, ns);
    if (size != want) {
        st = lm_fail(err, errsz, size < want ? HBBIN_E_TRUNCATED : HBBIN_E_CORRUPT,
                     "layer map: %llu bytes, the counts give %llu", (unsigned long long)size,
                     (unsigned long long)want);
        goto fail;
    }
    const uint8_t *rec = data + HBBIN_LAYER_MAP_HEADER;
    const uint8_t *idx = rec + (size_t)HBBIN_LAYER_MAP_RECORD * nl;
    const size_t idx_bytes = ((size_t)ni * 2u + 3u) / 4u * 4u;
    const char *pool = (const char *)idx + idx_bytes;
    if (!hbbin_zero(idx + (size_t)ni * 2u, idx_bytes - (size_t)ni * 2u) || pool[ns - 1] != '\0') {
        st = lm_fail(err, errsz, HBBIN_E_CORRUPT,
                     "layer map: padding not zero or string pool not NUL-terminated");
        goto fail;
    }
    lm = calloc(1, sizeof *lm);
    if (!lm || !(lm->names = malloc(nl * sizeof *lm->names)) ||
        !(lm->op_types = malloc(nl * sizeof *lm->op_types)) ||
        !(lm->insn_layer = malloc((ni ? ni : 1u) * sizeof *lm->insn_layer))) {
        st = lm_fail(err, errsz, HBBIN_E_NOMEM, "layer map: out of memory");
        goto fail;
    }
    lm->layer_count = nl;
    lm->insn_count = ni;
    for (uint32_t l = 0; l < nl; l++) {
        uint32_t a = hbbin_rd32(rec + (size_t)HBBIN_LAYER_MAP_RECORD * l),
                 b = hbbin_rd32(rec + (size_t)HBBIN_LAYER_MAP_RECORD * l + 4);
        if (a >= ns || b >= ns || !pool[a] || !pool[b]) {
            st = lm_fail(err, errsz, HBBIN_E_CORRUPT,
                         "layer map: layer %u: name/op type offset %u/%u outside the %u-byte "
                         "string pool or empty",
                         l, a, b, ns);
            goto fail;
        }
        lm->names[l] = pool + a;
        lm->op_types[l] = pool + b;
    }
    for (uint32_t i = 0; i < ni; i++) {
        uint16_t v = hbbin_rd16(idx + 2u * (size_t)i);
        if (v >= nl) {
            st = lm_fail(err, errsz, HBBIN_E_CORRUPT,
                         "layer map: instruction %u: layer index %u, only %u layers", i, v, nl);
            goto fail;
        }
        lm->insn_layer[i] = v;
    }
    *out = lm;
    return HBBIN_OK;
fail:
    hbbin_layer_map_free(lm);
    return st;
}

const hbbin_blob *hbbin_layer_map_blob(const hbbin_model *m, uint32_t id)
{
    for (uint32_t i = 0; m && i < m->blob_count; i++)
        if (m->blobs[i].kind == HBBIN_SEC_LAYER_MAP && m->blobs[i].id == id)
            return &m->blobs[i];
    return NULL;
}

hbbin_status hbbin_check_layer_maps(hbbin_rd *r, const hbbin_model *m)
{
    char msg[256];
    for (uint32_t i = 0; i < m->blob_count; i++) {
        const hbbin_blob *b = &m->blobs[i];
        if (b->kind != HBBIN_SEC_LAYER_MAP)
            continue;
        const hbbin_blob *prog = NULL;
        for (uint32_t j = 0; j < m->blob_count && !prog; j++)
            if (m->blobs[j].kind == HBBIN_SEC_BPU_PROGRAM && m->blobs[j].id == b->id)
                prog = &m->blobs[j];
        if (!prog || prog->size == 0 || prog->size % HBBIN_INSN_BYTES != 0)
            return hbbin_fail(r, HBBIN_E_CORRUPT,
                              "model '%s': LAYER_MAP %u: no BPU_PROGRAM %u of a whole number of "
                              "%u-byte instructions",
                              m->name, b->id, b->id, HBBIN_INSN_BYTES);
        hbbin_layer_map *lm = NULL;
        hbbin_status st = hbbin_layer_map_parse(b->data, b->size, prog->size / HBBIN_INSN_BYTES,
                                                &lm, msg, sizeof msg);
        hbbin_layer_map_free(lm);
        if (st != HBBIN_OK)
            return hbbin_fail(r, st, "model '%s': LAYER_MAP %u: %s", m->name, b->id, msg);
    }
    return HBBIN_OK;
}
