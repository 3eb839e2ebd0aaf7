#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expr.h"

static int lookup(void *ctx, const char *name, double *v)
{
    (void)ctx;
    if (!strcmp(name, "freq")) {
        *v = 16000000;
        return 0;
    }
    if (!strcmp(name, "clock")) {
        *v = 4294967000.0;
        return 0;
    }
    if (!strcmp(name, "x_1")) {
        *v = 2.5;
        return 0;
    }
    return -1;
}

static double eval(const char *s)
{
    double v = -12345;
    char err[128] = "";
    if (expr_eval(s, lookup, NULL, &v, err, sizeof(err)))
        fail_msg("'%s': %s", s, err);
    return v;
}

static void expect_error(const char *s, const char *fragment)
{
    double v;
    char err[128] = "";
    if (!expr_eval(s, lookup, NULL, &v, err, sizeof(err)) || !strstr(err, fragment))
        fail_msg("'%s': expected error '%s', got '%s'", s, fragment, err);
}

static void test_arithmetic(void **state)
{
    (void)state;
    assert_true(eval("1+2*3") == 7);
    assert_true(eval("(1+2)*3") == 9);
    assert_true(eval("10-4-3") == 3);
    assert_true(eval("100/10/5") == 2);
    assert_true(eval("-3*-2") == 6);
    assert_true(eval("+4") == 4);
    assert_true(eval(" 0x10 + 1 ") == 17);
    assert_true(eval("1/2") == 0.5);
    assert_true(eval("0.25*4") == 1);
    assert_true(eval("freq/1000") == 16000);
    assert_true(eval("clock + freq") == 4294967000.0 + 16000000);
    assert_true(eval("x_1*2") == 5);
    assert_true(eval("((((7))))") == 7);
    assert_true(eval("2*(3+(4-1))/3") == 4);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "ends early");
    expect_error("1+", "ends early");
    expect_error("1/0", "division by zero");
    expect_error("1/(2-2)", "division by zero");
    expect_error("nope+1", "unknown variable 'nope'");
    expect_error("(1+2", "missing ')'");
    expect_error("1 2", "unexpected '2'");
    expect_error("3)", "unexpected ')'");
    expect_error("2*%", "unexpected '%'");
    expect_error("0x", "bad hex");
    expect_error("12abc", "bad number");
    expect_error("inf", "unknown variable 'inf'");
}

static void test_uses(void **state)
{
    (void)state;
    assert_true(expr_uses("clock+1", "clock"));
    assert_true(expr_uses("(clock)", "clock"));
    assert_false(expr_uses("clocks+1", "clock"));
    assert_false(expr_uses("my_clock", "clock"));
    assert_true(expr_uses("my_clock + clock", "clock"));
    assert_false(expr_uses("freq", "clock"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_uses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
