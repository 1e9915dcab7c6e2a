/* hbDNNGetErrorDesc and hbDNNGetVersion. Expected codes are the documented values (reference
 * notes, horizon-interface.md 5.4 and 5.6), written out here independently of the headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dnn/hb_dnn.h"

static const int32_t documented[] = {-6000001, -6000002, -6000003, -6000004, -6000005,
                                     -6000006, -6000007, -6000008, -6000009, -6000010,
                                     -6000011, -6000012, -6000013, -6000014, -6000015,
                                     -6000016, -6000129, -6000130, -6000131};

static void test_every_code_has_its_own_text(void **state)
{
    (void)state;
    const char *unknown = hbDNNGetErrorDesc(12345);
    size_t n = sizeof documented / sizeof documented[0];
    assert_non_null(unknown);
    for (size_t i = 0; i < n; i++) {
        const char *d = hbDNNGetErrorDesc(documented[i]);
        assert_non_null(d);
        assert_true(strlen(d) > 5);
        assert_string_not_equal(d, unknown);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(d, hbDNNGetErrorDesc(documented[j]));
    }
    assert_string_equal(hbDNNGetErrorDesc(0), "success");
    assert_non_null(strstr(hbDNNGetErrorDesc(HB_DNN_TIMEOUT), "timed out"));
    assert_non_null(strstr(hbDNNGetErrorDesc(HB_SYS_OUT_OF_MEMORY), "memory"));
}

static void test_codes_next_to_the_ranges_are_unknown(void **state)
{
    (void)state;
    const int32_t outside[] = {-6000000, -6000017, -6000128, -6000132, 1, -1, INT32_MIN, INT32_MAX};
    const char *unknown = hbDNNGetErrorDesc(12345);
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        assert_string_equal(hbDNNGetErrorDesc(outside[i]), unknown);
}

static void test_version_string(void **state)
{
    (void)state;
    char expect[64];
    const char *v = hbDNNGetVersion();
    assert_non_null(v);
    snprintf(expect, sizeof expect, "%u.%u.%u_(hbtoolchain ", HB_DNN_VERSION_MAJOR,
             HB_DNN_VERSION_MINOR, HB_DNN_VERSION_PATCH);
    assert_int_equal(strncmp(v, expect, strlen(expect)), 0);
    assert_int_equal(v[strlen(v) - 1], ')');
    assert_ptr_equal(v, hbDNNGetVersion()); /* static string, not reallocated per call */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_its_own_text),
        cmocka_unit_test(test_codes_next_to_the_ranges_are_unknown),
        cmocka_unit_test(test_version_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
