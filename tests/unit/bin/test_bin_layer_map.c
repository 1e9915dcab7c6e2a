/* The LAYER_MAP blob (hb_bin/layer_map.h, docs/bin-model.md section 9): decoding of a blob built
 * here byte by byte from the spec, each rule's refusal, every truncation and single-bit flip
 * failing cleanly (or decoding to in-range data), and the reader's check at open on the
 * committed makertbin .bin with LAYER_MAP (tests/fuzz/corpus/bin), corrupted with valid CRCs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hb_bin/bin_reader.h"
#include "hb_bin/layer_map.h"

#define LAYERS_BIN HB_SOURCE_DIR "/tests/fuzz/corpus/bin/ok-makertbin_cifar10_quick_layers.bin"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The spec's layout for 2 layers ("conv1" Conv, "pool" MaxPool) and 3 instructions [0, 1, 1]:
 * header 32, records 2 x 8 = 16, indices 3 x 2 = 6 + 2 padding, strings
 * "conv1\0Conv\0pool\0MaxPool\0" = 24: 80 bytes. */
#define SAMPLE_SIZE 80
static void sample(uint8_t b[SAMPLE_SIZE])
{
    static const char pool[24] = "conv1\0Conv\0pool\0MaxPool";
    memset(b, 0, SAMPLE_SIZE);
    memcpy(b, "HBLM", 4);
    put32(b + 4, 1);
    put32(b + 8, 2);
    put32(b + 12, 3);
    put32(b + 16, 24);
    put32(b + 32, 0);  /* conv1 */
    put32(b + 36, 6);  /* Conv */
    put32(b + 40, 11); /* pool */
    put32(b + 44, 16); /* MaxPool */
    b[48] = 0, b[50] = 1, b[52] = 1;
    memcpy(b + 56, pool, 24);
}

static void test_decode(void **state)
{
    (void)state;
    uint8_t b[SAMPLE_SIZE];
    hbbin_layer_map *lm = NULL;
    char err[256];
    sample(b);
    assert_int_equal(hbbin_layer_map_size(2, 3, 24), SAMPLE_SIZE);
    assert_int_equal(hbbin_layer_map_size(1, 4, 2), 32 + 8 + 8 + 2);
    assert_int_equal(hbbin_layer_map_parse(b, sizeof b, 3, &lm, err, sizeof err), HBBIN_OK);
    assert_non_null(lm);
    assert_int_equal(lm->layer_count, 2);
    assert_int_equal(lm->insn_count, 3);
    assert_string_equal(lm->names[0], "conv1");
    assert_string_equal(lm->op_types[0], "Conv");
    assert_string_equal(lm->names[1], "pool");
    assert_string_equal(lm->op_types[1], "MaxPool");
    assert_int_equal(lm->insn_layer[0], 0);
    assert_int_equal(lm->insn_layer[1], 1);
    assert_int_equal(lm->insn_layer[2], 1);
    hbbin_layer_map_free(lm);
    hbbin_layer_map_free(NULL);
}

/* One rule broken: the offset and new u32 (or byte when byte >= 0), the status and a word of
 * the message. */
typedef struct breakage {
    size_t off;
    uint32_t v;
    int byte;
    hbbin_status st;
    const char *word;
} breakage;

static void test_refusals(void **state)
{
    (void)state;
    static const breakage cases[] = {
        {0, 0, 'X', HBBIN_E_CORRUPT, "bad header"},         /* magic */
        {4, 2, -1, HBBIN_E_CORRUPT, "bad header"},          /* version */
        {24, 1, -1, HBBIN_E_CORRUPT, "bad header"},         /* reserved */
        {8, 0, -1, HBBIN_E_CORRUPT, "layer_count 0"},       /* no layer */
        {12, 4, -1, HBBIN_E_CORRUPT, "insn_count 4"},       /* != the program's */
        {16, 25, -1, HBBIN_E_TRUNCATED, "the counts give"}, /* pool runs past the end */
        {36, 24, -1, HBBIN_E_CORRUPT, "layer 0"},           /* op type outside the pool */
        {40, 5, -1, HBBIN_E_CORRUPT, "layer 1"},            /* empty name (the NUL after conv1) */
        {50, 0, 2, HBBIN_E_CORRUPT, "instruction 1: layer index 2"},
        {53, 0, 1, HBBIN_E_CORRUPT, "instruction 2: layer index 257"},
        {54, 0, 1, HBBIN_E_CORRUPT, "padding"},
        {79, 0, 'x', HBBIN_E_CORRUPT, "NUL-terminated"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[SAMPLE_SIZE];
        hbbin_layer_map *lm = (hbbin_layer_map *)1;
        char err[256] = "";
        sample(b);
        if (cases[i].byte >= 0)
            b[cases[i].off] = (uint8_t)cases[i].byte;
        else
            put32(b + cases[i].off, cases[i].v);
        hbbin_status st = hbbin_layer_map_parse(b, sizeof b, 3, &lm, err, sizeof err);
        if (st != cases[i].st || !strstr(err, cases[i].word))
            fail_msg("case %zu: status %d, message '%s'; expected %d with '%s'", i, (int)st, err,
                     (int)cases[i].st, cases[i].word);
        assert_null(lm);
    }
    uint8_t b[SAMPLE_SIZE + 1];
    hbbin_layer_map *lm = NULL;
    sample(b);
    b[SAMPLE_SIZE] = 0;
    assert_int_equal(hbbin_layer_map_parse(b, sizeof b, 3, &lm, NULL, 0), HBBIN_E_CORRUPT);
    assert_int_equal(hbbin_layer_map_parse(NULL, 0, 3, NULL, NULL, 0), HBBIN_E_ARG);
}

/* Every prefix is refused; every single-bit flip is refused or decodes to in-range data. */
static void test_truncations_and_flips(void **state)
{
    (void)state;
    uint8_t b[SAMPLE_SIZE];
    hbbin_layer_map *lm = NULL;
    char err[256];
    for (size_t n = 0; n < SAMPLE_SIZE; n++) {
        sample(b);
        assert_int_not_equal(hbbin_layer_map_parse(b, n, 3, &lm, err, sizeof err), HBBIN_OK);
        assert_null(lm);
    }
    int accepted = 0;
    for (size_t bit = 0; bit < 8 * SAMPLE_SIZE; bit++) {
        sample(b);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (hbbin_layer_map_parse(b, sizeof b, 3, &lm, err, sizeof err) != HBBIN_OK)
            continue;
        accepted++;
        for (uint32_t i = 0; i < lm->insn_count; i++)
            assert_true(lm->insn_layer[i] < lm->layer_count);
        for (uint32_t l = 0; l < lm->layer_count; l++)
            assert_true(lm->names[l][0] && lm->op_types[l][0]);
        hbbin_layer_map_free(lm);
        lm = NULL;
    }
    /* flips inside the name and op type text change the strings but keep the blob valid */
    assert_true(accepted > 0);
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL)
        *size = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

/* Recompute the section, table and header CRCs (docs/bin-format.md sections 3 and 4). */
static void fix_crcs(uint8_t *d)
{
    uint32_t n = get32(d + 32);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = d + 64 + 32 * i;
        put32(e + 24, hbbin_crc32(0, d + get64(e + 8), (size_t)get64(e + 16)));
    }
    put32(d + 48, hbbin_crc32(0, d + 64, 32u * n));
    put32(d + 60, hbbin_crc32(0, d, 60));
}

/* Table entry of the model's LAYER_MAP. */
static uint8_t *layer_map_entry(uint8_t *d)
{
    for (uint32_t i = 0; i < get32(d + 32); i++)
        if (get32(d + 64 + 32 * i) == HBBIN_SEC_LAYER_MAP)
            return d + 64 + 32 * i;
    return NULL;
}

static void test_reader_checks_at_open(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *d = slurp(LAYERS_BIN, &size);
    hbbin_file *f = NULL;
    char err[512];
    assert_non_null(d);
    assert_int_equal(hbbin_open_memory(d, size, "layers", &f, err, sizeof err), HBBIN_OK);
    const hbbin_model *m = hbbin_model_at(f, 0);
    const hbbin_blob *lb = hbbin_layer_map_blob(m, 0), *prog = NULL;
    assert_non_null(lb);
    assert_null(hbbin_layer_map_blob(m, 1));
    for (uint32_t i = 0; i < m->blob_count; i++)
        if (m->blobs[i].kind == HBBIN_SEC_BPU_PROGRAM && m->blobs[i].id == 0)
            prog = &m->blobs[i];
    assert_non_null(prog);
    hbbin_layer_map *lm = NULL;
    assert_int_equal(hbbin_layer_map_parse(lb->data, lb->size, prog->size / HBBIN_INSN_BYTES, &lm,
                                           err, sizeof err),
                     HBBIN_OK);
    assert_int_equal(lm->layer_count, 10); /* the 10 BPU nodes of cifar10_quick */
    assert_int_equal(lm->insn_count, prog->size / HBBIN_INSN_BYTES);
    hbbin_layer_map_free(lm);
    hbbin_close(f);

    /* an index out of range, with every CRC valid */
    uint8_t *e = layer_map_entry(d);
    assert_non_null(e);
    uint8_t *blob = d + get64(e + 8);
    uint32_t nl = get32(blob + 8);
    uint8_t *idx = blob + HBBIN_LAYER_MAP_HEADER + HBBIN_LAYER_MAP_RECORD * nl;
    uint8_t keep = idx[0];
    idx[0] = (uint8_t)nl;
    fix_crcs(d);
    assert_int_equal(hbbin_open_memory(d, size, "layers", &f, err, sizeof err), HBBIN_E_CORRUPT);
    assert_null(f);
    assert_non_null(strstr(err, "LAYER_MAP 0: layer map: instruction 0: layer index 10"));
    idx[0] = keep;

    /* a layer map whose program does not exist */
    put32(e + 28, 1);
    fix_crcs(d);
    assert_int_equal(hbbin_open_memory(d, size, "layers", &f, err, sizeof err), HBBIN_E_CORRUPT);
    assert_non_null(strstr(err, "LAYER_MAP 1: no BPU_PROGRAM 1"));
    put32(e + 28, 0);
    fix_crcs(d);
    assert_int_equal(hbbin_open_memory(d, size, "layers", &f, err, sizeof err), HBBIN_OK);
    hbbin_close(f);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_truncations_and_flips),
        cmocka_unit_test(test_reader_checks_at_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
