#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gcode_number.h"

static double float_of(const char *text)
{
    double v = -12345.0;
    if (!gcode_parse_float(text, &v))
        fail_msg("'%s' not read as a float", text);
    return v;
}

static void test_float_accepted(void **state)
{
    (void)state;
    assert_true(float_of("1") == 1.0);
    assert_true(float_of("-1") == -1.0);
    assert_true(float_of("+3000") == 3000.0);
    assert_true(float_of("1.") == 1.0);
    assert_true(float_of(".2") == 0.2);
    assert_true(float_of("-.5") == -0.5);
    assert_true(float_of("1e3") == 1000.0);
    assert_true(float_of("2.5E-3") == 0.0025);
    assert_true(float_of(" 2.5\t") == 2.5);
    assert_true(float_of("00012.5000") == 12.5);
    assert_true(float_of("0.1") == 0.1);
    assert_true(float_of("89.181") == 89.181);
    assert_true(float_of("0") == 0.0);
    assert_true(signbit(float_of("-0")));
    assert_true(float_of("123456789012345678901234567890") == 1.2345678901234568e29);
    assert_true(float_of("1.7976931348623157e308") == 1.7976931348623157e308);
    assert_true(float_of("4.9e-324") == 4.9e-324);
    assert_true(float_of("2.2250738585072014e-308") == 2.2250738585072014e-308);
    assert_true(float_of("0.000000000000000000000000000001") == 1e-30);
}

static void test_float_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",     " ",     ".",   "-",   "+",   "1.2.3", "1e",       "1e+",
                         "e5",   "abc",   "1x",  "inf", "nan", "-inf",  "infinity", "1_000",
                         "0x10", "1e999", "1,5", "- 1", "1 2", "=5",    "1*"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v = 7.0;
        if (gcode_parse_float(bad[i], &v))
            fail_msg("'%s' read as %g", bad[i], v);
        assert_true(v == 7.0);
    }
}

/* The fast path must give strtod's correctly rounded result. */
static void test_float_matches_strtod(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint64_t r = seed >> 11;
        char text[64];
        int intdigits = (int)(r % 8), fracdigits = (int)((r >> 3) % 12);
        int exp = (int)((r >> 7) % 61) - 30;
        int n = 0;
        if (r & (1u << 13))
            text[n++] = '-';
        for (int d = 0; d < intdigits; d++)
            text[n++] = (char)('0' + (r >> (14 + d * 3)) % 10);
        text[n++] = '.';
        for (int d = 0; d < fracdigits; d++)
            text[n++] = (char)('0' + ((r >> (d * 4)) ^ (seed >> (40 - d))) % 10);
        if (!intdigits && !fracdigits)
            text[n++] = '0';
        if (r & (1u << 12))
            n += snprintf(text + n, sizeof text - (size_t)n, "e%d", exp);
        text[n] = '\0';
        double want = strtod(text, NULL), got = float_of(text);
        if (memcmp(&want, &got, sizeof want))
            fail_msg("'%s': %.17g, strtod %.17g", text, got, want);
    }
}

/* What the reader accepts, spelled out independently of it: spaces, a
 * sign, digits with at most one '.', at least one digit, an optional
 * exponent with at least one digit, spaces, the end. */
static bool reference_accepts(const char *t)
{
    const char *spaces = " \t\r\n\v\f";
    t += strspn(t, spaces);
    if (*t == '+' || *t == '-')
        t++;
    size_t intdigits = strspn(t, "0123456789");
    t += intdigits;
    size_t fracdigits = 0;
    if (*t == '.') {
        t++;
        fracdigits = strspn(t, "0123456789");
        t += fracdigits;
    }
    if (!intdigits && !fracdigits)
        return false;
    if (*t == 'e' || *t == 'E') {
        t++;
        if (*t == '+' || *t == '-')
            t++;
        size_t expdigits = strspn(t, "0123456789");
        if (!expdigits)
            return false;
        t += expdigits;
    }
    t += strspn(t, spaces);
    return !*t;
}

/* Strings built from the pieces numbers are made of, in any order and
 * length, so that odd ones come up: long runs of zeros and digits (past
 * the 19 a uint64_t holds, 2^64 itself), signs and dots in wrong places,
 * "0x10", huge exponents. Each must be accepted exactly when the grammar
 * says, and then read as strtod reads it, bit for bit (the sign of zero
 * included); a refused one leaves the output alone. */
static void test_float_generated_against_strtod(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "0",
        "00000000",
        "1",
        "9",
        "5",
        "18446744073709551616",
        "12345678901234567890",
        "9007199254740993",
        ".",
        "-",
        "+",
        "e",
        "E",
        "e-",
        "e+",
        "x",
        " ",
        "\t",
        "400",
        "99999999",
        "3",
        "0.",
        ".0",
        "e22",
        "e23",
        "e-22",
        "e-23",
    };
    const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
    uint64_t seed = 0x243f6a8885a308d3u;
    int accepted = 0;
    for (int i = 0; i < 300000; i++) {
        char text[256] = "";
        size_t n = 0;
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        int count = 1 + (int)((seed >> 60) % 6);
        for (int k = 0; k < count; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            const char *p = pieces[(seed >> 33) % npieces];
            size_t len = strlen(p);
            if (n + len >= sizeof text)
                break;
            memcpy(text + n, p, len + 1);
            n += len;
        }
        double got = 7.0;
        bool ok = gcode_parse_float(text, &got);
        bool want_ok = reference_accepts(text);
        if (want_ok) {
            double want = strtod(text, NULL);
            /* Non-finite results are refused on purpose. */
            want_ok = isfinite(want);
            if (want_ok && ok && memcmp(&want, &got, sizeof want))
                fail_msg("'%s': %.17g, strtod %.17g", text, got, want);
        }
        if (ok != want_ok)
            fail_msg("'%s': %s, expected %s", text, ok ? "accepted" : "refused",
                     want_ok ? "accepted" : "refused");
        if (!ok)
            assert_true(got == 7.0);
        accepted += ok;
    }
    /* The generator must reach both outcomes often enough to mean something. */
    assert_true(accepted > 30000);
    assert_true(accepted < 270000);
    /* Cases named in the brief of this reader. */
    assert_true(float_of("1e5") == 1e5);
    assert_true(float_of("-.5") == -0.5);
    assert_true(float_of("+3") == 3.0);
    double v = 7.0;
    assert_false(gcode_parse_float("0x10", &v));
    assert_true(float_of("18446744073709551616") == 18446744073709551616.0);
    assert_true(float_of("0.18446744073709551616e20") == 18446744073709551616.0);
    assert_true(float_of("1844674407370955161600000000000000000000e-20") == 18446744073709551616.0);
    assert_true(float_of("9007199254740993") == 9007199254740992.0);
}

static void test_int(void **state)
{
    (void)state;
    long v = 0;
    assert_true(gcode_parse_int("12", &v) && v == 12);
    assert_true(gcode_parse_int("-5", &v) && v == -5);
    assert_true(gcode_parse_int("+7", &v) && v == 7);
    assert_true(gcode_parse_int(" 3 ", &v) && v == 3);
    assert_true(gcode_parse_int("9223372036854775807", &v) && v == LONG_MAX);
    assert_true(gcode_parse_int("-9223372036854775808", &v) && v == LONG_MIN);
    const char *bad[] = {"1.5", "",    " ", "1e3", "9223372036854775808", "-9223372036854775809",
                         "0x1", "1_0", "-", "12a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 99;
        if (gcode_parse_int(bad[i], &v))
            fail_msg("'%s' read as %ld", bad[i], v);
        assert_int_equal(v, 99);
    }
}

static const char *format(double v)
{
    static char buf[64];
    gcode_format_float(v, buf, sizeof buf);
    return buf;
}

/* Python's repr(), which Klipper's messages print. */
static void test_format_like_python(void **state)
{
    (void)state;
    assert_string_equal(format(0.0), "0.0");
    assert_string_equal(format(-0.0), "-0.0");
    assert_string_equal(format(1.0), "1.0");
    assert_string_equal(format(255.0), "255.0");
    assert_string_equal(format(100.0), "100.0");
    assert_string_equal(format(0.5), "0.5");
    assert_string_equal(format(0.1), "0.1");
    assert_string_equal(format(0.3), "0.3");
    assert_string_equal(format(-2.5), "-2.5");
    assert_string_equal(format(2.0 / 3.0), "0.6666666666666666");
    assert_string_equal(format(0.0001), "0.0001");
    assert_string_equal(format(0.00012), "0.00012");
    assert_string_equal(format(0.000123456789), "0.000123456789");
    assert_string_equal(format(1e-05), "1e-05");
    assert_string_equal(format(1e15), "1000000000000000.0");
    assert_string_equal(format(9999999999999998.0), "9999999999999998.0");
    assert_string_equal(format(1e16), "1e+16");
    assert_string_equal(format(1e22), "1e+22");
    assert_string_equal(format(12345678901234567.0), "1.2345678901234568e+16");
    assert_string_equal(format(123456789.0), "123456789.0");
    assert_string_equal(format(1.5e300), "1.5e+300");
    assert_string_equal(format(5e-324), "5e-324");
    assert_string_equal(format(1.7976931348623157e308), "1.7976931348623157e+308");
    assert_string_equal(format(INFINITY), "inf");
    assert_string_equal(format(-INFINITY), "-inf");
    assert_string_equal(format(NAN), "nan");
}

static void test_format_round_trips(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        double v;
        uint64_t bits = seed;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        double back;
        if (!gcode_parse_float(format(v), &back) || back != v)
            fail_msg("%.17g printed as %s", v, format(v));
    }
}

/* A program that sets a decimal-comma locale reads and prints the same. */
static void test_locale_independent(void **state)
{
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *found = NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !found; i++)
        if (setlocale(LC_NUMERIC, names[i]))
            found = names[i];
    if (!found) {
        print_message("no decimal-comma locale installed: skipping\n");
        skip();
    }
    assert_true(float_of("1.5") == 1.5);
    /* Beyond the fast path (23 digits): the C library's reader. */
    assert_true(float_of("0.12345678901234567890123") == 0.12345678901234568);
    assert_string_equal(format(0.5), "0.5");
    assert_string_equal(format(1234.5678), "1234.5678");
    setlocale(LC_NUMERIC, "C");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_accepted),
        cmocka_unit_test(test_float_refused),
        cmocka_unit_test(test_float_matches_strtod),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_format_like_python),
        cmocka_unit_test(test_format_round_trips),
        cmocka_unit_test(test_locale_independent),
        cmocka_unit_test(test_float_generated_against_strtod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
