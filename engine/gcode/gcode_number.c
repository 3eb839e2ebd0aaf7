#include "gcode_number.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Every power of ten a double holds exactly. With a mantissa below 2^53,
 * one multiplication or division by one of them is a single correctly
 * rounded operation (Clinger's fast path), which covers every number a
 * slicer writes. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#define EXACT_POW10_MAX 22
#define EXACT_MANTISSA_MAX (UINT64_C(1) << 53)
#define MANTISSA_DIGITS_MAX 19 /* still fits a uint64_t */

/* The rare number outside the fast path: strtod in the "C" locale, since
 * the program's locale may use a decimal comma. The text has already been
 * checked to be a plain decimal number, which is all strtod will read. */
static double slow_decimal(const char *text)
{
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c_locale)
        return strtod(text, NULL);
    double v = strtod_l(text, NULL, c_locale);
    freelocale(c_locale);
    return v;
}

/* Reads digits into *mantissa (wrapping past 19 digits, which the caller
 * then does not trust); returns the first non-digit. */
static const char *read_digits(const char *p, uint64_t *mantissa)
{
    uint64_t m = *mantissa;
    for (unsigned d; (d = (unsigned)(*p - '0')) < 10; p++)
        m = m * 10 + d;
    *mantissa = m;
    return p;
}

bool gcode_parse_float(const char *text, double *out)
{
    const char *p = text;
    while (is_space(*p))
        p++;
    const char *number = p;
    bool negative = false;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    /* Zeros before the first significant digit change nothing; every digit
     * from it on is one of the mantissa's. */
    const char *digits = p;
    while (*p == '0')
        p++;
    uint64_t mantissa = 0;
    const char *significant_from = p;
    p = read_digits(p, &mantissa);
    ptrdiff_t significant = p - significant_from, exp10 = 0;
    bool any_digit = p > digits;
    if (*p == '.') {
        const char *fraction = ++p;
        if (!significant)
            while (*p == '0')
                p++;
        significant_from = p;
        p = read_digits(p, &mantissa);
        significant += p - significant_from;
        exp10 = -(p - fraction);
        any_digit |= p > fraction;
    }
    if (!any_digit)
        return false;
    bool exact = significant <= MANTISSA_DIGITS_MAX;
    if (*p == 'e' || *p == 'E') {
        p++;
        bool exp_negative = false;
        if (*p == '+' || *p == '-')
            exp_negative = *p++ == '-';
        if (!is_digit(*p))
            return false;
        int e = 0;
        for (; is_digit(*p); p++)
            if (e < 100000)
                e = e * 10 + (*p - '0');
        exp10 += exp_negative ? -e : e;
    }
    while (is_space(*p))
        p++;
    if (*p)
        return false;

    double v;
    if (!significant) {
        v = negative ? -0.0 : 0.0;
    } else if (exact && mantissa <= EXACT_MANTISSA_MAX && exp10 >= -EXACT_POW10_MAX &&
               exp10 <= EXACT_POW10_MAX) {
        v = (double)mantissa;
        v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
        if (negative)
            v = -v;
    } else {
        v = slow_decimal(number);
    }
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

bool gcode_parse_int(const char *text, long *out)
{
    const char *p = text;
    while (is_space(*p))
        p++;
    bool negative = false;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if (!is_digit(*p))
        return false;
    /* LONG_MIN's magnitude is one more than LONG_MAX's. */
    unsigned long limit = negative ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
    unsigned long v = 0;
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    while (is_space(*p))
        p++;
    if (*p)
        return false;
    if (negative)
        *out = v == (unsigned long)LONG_MAX + 1 ? LONG_MIN : -(long)v;
    else
        *out = (long)v;
    return true;
}

/* The shortest decimal digits (no leading or trailing zeros) that read back
 * as v > 0, and the decimal exponent of the first digit. */
static int shortest_digits(double v, char digits[18], int *exp10)
{
    int n = 0;
    for (int precision = 1; precision <= 17; precision++) {
        char printed[40];
        snprintf(printed, sizeof printed, "%.*e", precision - 1, v);
        /* Digits and exponent only: the separator between them follows
         * the locale, which must not matter here. */
        const char *p = printed;
        n = 0;
        for (; *p && *p != 'e'; p++)
            if (is_digit(*p))
                digits[n++] = *p;
        *exp10 = *p ? atoi(p + 1) : 0;
        char reread[48];
        snprintf(reread, sizeof reread, "%c.%.*se%d", digits[0], n - 1, digits + 1, *exp10);
        double back;
        if (gcode_parse_float(reread, &back) && back == v)
            break;
    }
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
}

void gcode_format_float(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, "%sinf", v < 0 ? "-" : "");
        return;
    }
    const char *sign = signbit(v) ? "-" : "";
    if (v == 0) {
        snprintf(buf, len, "%s0.0", sign);
        return;
    }
    char d[18];
    int exp10;
    int n = shortest_digits(fabs(v), d, &exp10);
    if (exp10 < -4 || exp10 >= 16) {
        snprintf(buf, len, "%s%c%s%.*se%c%02d", sign, d[0], n > 1 ? "." : "", n - 1, d + 1,
                 exp10 < 0 ? '-' : '+', abs(exp10));
    } else if (exp10 < 0) {
        snprintf(buf, len, "%s0.%.*s%.*s", sign, -exp10 - 1, "0000", n, d);
    } else if (n > exp10 + 1) {
        snprintf(buf, len, "%s%.*s.%.*s", sign, exp10 + 1, d, n - exp10 - 1, d + exp10 + 1);
    } else {
        snprintf(buf, len, "%s%.*s%.*s.0", sign, n, d, exp10 + 1 - n, "0000000000000000");
    }
}
