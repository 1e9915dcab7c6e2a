/* The key table against its documentation and itself: docs/hb_mapper-config.md has a row for every
 * key in the section of its group, refused keys are documented as not supported, names are unique
 * within a group, and the lookup functions handle values out of range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hbc/config.h"

static char *read_doc(void)
{
    FILE *f = fopen(HB_SOURCE_DIR "/docs/hb_mapper-config.md", "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* The section of the doc headed "### `group`", up to the next "### ". */
static void section(const char *doc, const char *group, const char **start, const char **end)
{
    char head[96];
    snprintf(head, sizeof head, "\n### `%s`", group);
    *start = strstr(doc, head);
    if (!*start)
        fail_msg("docs/hb_mapper-config.md has no section '### `%s`'", group);
    *end = strstr(*start + 1, "\n### ");
    if (!*end)
        *end = *start + strlen(*start);
}

static void test_doc_lists_every_key(void **state)
{
    (void)state;
    char *doc = read_doc();
    for (int k = 0; k < HBC_KEY_COUNT; k++) {
        hbc_cfg_key_info info = hbc_cfg_key_get((hbc_cfg_key)k);
        const char *start, *end;
        char cell[96];
        section(doc, hbc_cfg_group_name(info.group), &start, &end);
        snprintf(cell, sizeof cell, "\n| `%s` |", info.name);
        const char *row = strstr(start, cell);
        if (!row || row > end)
            fail_msg("docs/hb_mapper-config.md: no row for %s.%s in its group's section",
                     hbc_cfg_group_name(info.group), info.name);
        const char *eol = strchr(row + 1, '\n');
        size_t len = eol ? (size_t)(eol - row) : strlen(row);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, row);
        if (info.status == HBC_KEY_REFUSED && !strstr(line, "refused"))
            fail_msg("docs: the row of refused key %s does not say 'refused': %s", info.name, line);
        if (info.status != HBC_KEY_REFUSED && strstr(line, "refused"))
            fail_msg("docs: the row of %s says 'refused' but the key is accepted: %s", info.name,
                     line);
    }
    free(doc);
}

static void test_table(void **state)
{
    (void)state;
    for (int k = 0; k < HBC_KEY_COUNT; k++) {
        hbc_cfg_key_info a = hbc_cfg_key_get((hbc_cfg_key)k);
        assert_non_null(a.name);
        assert_true(a.group < HBC_GRP_COUNT);
        /* Per-input keys live in the input and calibration groups only. */
        assert_true(!a.per_input || a.group == HBC_GRP_INPUT || a.group == HBC_GRP_CALIBRATION);
        /* A refused key has a reason and no default; a required key has no default. */
        assert_true(a.status != HBC_KEY_REFUSED || (a.note && !a.dflt));
        assert_true(!a.required || !a.dflt);
        for (int j = 0; j < k; j++) {
            hbc_cfg_key_info b = hbc_cfg_key_get((hbc_cfg_key)j);
            if (a.group == b.group && strcmp(a.name, b.name) == 0)
                fail_msg("key %s is in the table twice", a.name);
        }
    }
    assert_null(hbc_cfg_key_get(HBC_KEY_COUNT).name);
    assert_string_equal(hbc_cfg_group_name(HBC_GRP_CUSTOM_OP), "custom_op");
    assert_string_equal(hbc_cfg_group_name(HBC_GRP_COUNT), "?");
    assert_string_equal(hbc_cfg_enum_name(HBC_ENUM_INPUT_TYPE, HBC_IT_NV12), "nv12");
    assert_string_equal(hbc_cfg_enum_name(HBC_ENUM_LAYOUT, HBC_LAYOUT_NONE), "none");
    assert_string_equal(hbc_cfg_enum_name(HBC_ENUM_LAYOUT, 3), "?");
    assert_string_equal(hbc_cfg_enum_name(HBC_ENUM_COUNT, 0), "?");
    assert_string_equal(hbc_log_level_name(HBC_LOG_WARNING), "WARNING");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_lists_every_key),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
