/* CRC32 of the .bin container against the published check values of CRC-32/ISO-HDLC (the IEEE
 * 802.3 CRC): "123456789" -> 0xCBF43926 (the standard check value), "" -> 0, and
 * "The quick brown fox jumps over the lazy dog" -> 0x414FA339 (also what Python's zlib.crc32,
 * used by make_bin_fixtures.py, returns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hb_bin/bin_format.h"

static void test_check_values(void **state)
{
    (void)state;
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    assert_int_equal(hbbin_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(hbbin_crc32(0, "", 0), 0);
    assert_int_equal(hbbin_crc32(0, fox, sizeof fox - 1), 0x414FA339u);
}

static void test_running_crc_equals_one_shot(void **state)
{
    (void)state;
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 31 + 7);
    uint32_t whole = hbbin_crc32(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut += 37)
        assert_int_equal(hbbin_crc32(hbbin_crc32(0, buf, cut), buf + cut, sizeof buf - cut), whole);
}

static void test_every_single_bit_flip_changes_the_crc(void **state)
{
    (void)state;
    uint8_t buf[64] = {0};
    uint32_t base = hbbin_crc32(0, buf, sizeof buf);
    for (size_t bit = 0; bit < sizeof buf * 8; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(hbbin_crc32(0, buf, sizeof buf), base);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_running_crc_equals_one_shot),
        cmocka_unit_test(test_every_single_bit_flip_changes_the_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
