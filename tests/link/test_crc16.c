#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crc16.h"

/* Bit-serial reference: reflected polynomial 0x8408, init 0xffff. */
static uint16_t reference(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xffff;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return crc;
}

static void test_known_values(void **state)
{
    (void)state;
    const char *check = "123456789";
    /* The catalogued check value of CRC-16/MCRF4XX. */
    assert_int_equal(crc16_ccitt((const uint8_t *)check, strlen(check)), 0x6f91);
    assert_int_equal(crc16_ccitt(NULL, 0), 0xffff);
    const uint8_t zero = 0;
    assert_int_equal(crc16_ccitt(&zero, 1), reference(&zero, 1));
}

static void test_matches_reference(void **state)
{
    (void)state;
    uint8_t buf[64];
    uint32_t x = 1;
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % 65);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (uint8_t)(x >> 16);
        }
        assert_int_equal(crc16_ccitt(buf, n), reference(buf, n));
    }
}

/* The eight-at-a-time table path against the bit-serial reference and the
 * firmware's table-free loop: every length up to several 8-byte groups
 * plus a tail, from every alignment, over pseudo-random bytes. */
static void test_sliced_matches_bytewise(void **state)
{
    (void)state;
    uint8_t buf[256 + 8];
    uint32_t x = 0x2545f491u;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (uint8_t)x;
        }
        /* Long runs of one value reach table entries random bytes rarely do. */
        if (round == 1)
            memset(buf, 0xff, sizeof(buf));
        if (round == 2)
            memset(buf, 0, sizeof(buf));
        for (size_t off = 0; off < 8; off++)
            for (size_t n = 0; n <= 256; n += (n < 40 ? 1 : 7)) {
                uint16_t want = reference(buf + off, n);
                assert_int_equal(crc16_ccitt(buf + off, n), want);
                assert_int_equal(crc16_ccitt_bytewise(buf + off, n), want);
            }
    }
}

static void test_detects_single_bit_flips(void **state)
{
    (void)state;
    uint8_t buf[32];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    uint16_t good = crc16_ccitt(buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++) {
        for (int b = 0; b < 8; b++) {
            buf[i] ^= (uint8_t)(1 << b);
            assert_int_not_equal(crc16_ccitt(buf, sizeof(buf)), good);
            buf[i] ^= (uint8_t)(1 << b);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_matches_reference),
        cmocka_unit_test(test_sliced_matches_bytewise),
        cmocka_unit_test(test_detects_single_bit_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
