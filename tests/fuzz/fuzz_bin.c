/* Fuzz target: the .bin reader must never crash, leak or read out of bounds on any bytes, and a
 * file it accepts must be fully walkable. Each input is tried twice: as given (CRCs almost always
 * stop a mutation early) and with all its CRCs recomputed, so mutations reach the checks of the
 * section table and of every record behind them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hb_bin/bin_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute the section, table and header CRCs of buf as far as its table fits. */
static void fix_crcs(uint8_t *buf, size_t size)
{
    uint64_t n, fit;
    if (size < HBBIN_HEADER_SIZE)
        return;
    n = get32(buf + 32);
    fit = (size - HBBIN_HEADER_SIZE) / HBBIN_ENTRY_SIZE;
    if (n > fit)
        n = fit;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t *e = buf + HBBIN_HEADER_SIZE + HBBIN_ENTRY_SIZE * i;
        uint64_t off = get64(e + 8), len = get64(e + 16);
        if (off <= size && len <= size - off)
            put32(e + 24, hbbin_crc32(0, buf + off, (size_t)len));
    }
    put32(buf + 48, hbbin_crc32(0, buf + HBBIN_HEADER_SIZE, (size_t)(HBBIN_ENTRY_SIZE * n)));
    put32(buf + 60, hbbin_crc32(0, buf, 60));
}

static void try_open(const uint8_t *data, size_t size)
{
    hbbin_file *f = NULL;
    char err[256];
    volatile size_t sink = 0;
    if (hbbin_open_memory(data, size, "fuzz", &f, err, sizeof err) != HBBIN_OK)
        return;
    for (uint32_t i = 0; i < hbbin_file_info(f)->model_count; i++) {
        const hbbin_model *m = hbbin_model_at(f, i);
        sink += strlen(m->name);
        for (uint32_t t = 0; t < m->input_count + m->output_count; t++) {
            const hbbin_tensor *x =
                t < m->input_count ? &m->inputs[t] : &m->outputs[t - m->input_count];
            sink += strlen(x->name);
            for (uint32_t q = 0; x->scales && q < x->quant_count; q++)
                sink += x->scales[q] > 1.0f;
            for (uint32_t q = 0; x->shifts && q < x->quant_count; q++)
                sink += x->shifts[q];
            for (uint32_t q = 0; x->zero_points && q < x->zero_point_count; q++)
                sink += (size_t)(uint8_t)x->zero_points[q];
        }
        for (uint32_t p = 0; p < m->param_count; p++)
            sink += strlen(m->params[p].key) + strlen(m->params[p].value);
        for (uint32_t b = 0; b < m->blob_count; b++)
            if (m->blobs[b].size)
                sink += m->blobs[b].data[m->blobs[b].size - 1];
    }
    hbbin_close(f);
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;
    try_open(data, size);
    if (size < HBBIN_HEADER_SIZE || !(copy = malloc(size)))
        return 0;
    memcpy(copy, data, size);
    fix_crcs(copy, size);
    try_open(copy, size);
    free(copy);
    return 0;
}
