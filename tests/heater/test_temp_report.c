#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "temp_report.h"

/* Sorted by G-code id, as Klipper sorts them: "B" before "T0". */
static void extruder_and_bed(void **state)
{
    (void)state;
    struct temp_report_entry e[] = {{"T0", 200.26, 200.0}, {"B", 59.94, 60.0}};
    char buf[80];
    int n = temp_report_m105(e, 2, buf, sizeof(buf));
    assert_string_equal(buf, "B:59.9 /60.0 T0:200.3 /200.0");
    assert_int_equal(n, (int)strlen(buf));
}

static void several_extruders(void **state)
{
    (void)state;
    struct temp_report_entry e[] = {{"T1", 21.0, 0.0}, {"T0", 215.04, 215.0}, {"B", 22.5, 0.0}};
    char buf[80];
    assert_true(temp_report_m105(e, 3, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "B:22.5 /0.0 T0:215.0 /215.0 T1:21.0 /0.0");
}

static void no_sensors(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(temp_report_m105(NULL, 0, buf, sizeof(buf)), 3);
    assert_string_equal(buf, "T:0");
}

static void refusals(void **state)
{
    (void)state;
    struct temp_report_entry e[] = {{"T0", 200.0, 200.0}, {"B", 60.0, 60.0}};
    char small[10] = "x";
    assert_int_equal(temp_report_m105(e, 2, small, sizeof(small)), -1);
    assert_string_equal(small, "");
    struct temp_report_entry dup[] = {{"T0", 1, 2}, {"T0", 3, 4}};
    char buf[80];
    assert_int_equal(temp_report_m105(dup, 2, buf, sizeof(buf)), -1);
    struct temp_report_entry none[] = {{NULL, 1, 2}};
    assert_int_equal(temp_report_m105(none, 1, buf, sizeof(buf)), -1);
    assert_int_equal(temp_report_m105(e, 2, buf, 0), -1);
    char exact[4];
    assert_int_equal(temp_report_m105(NULL, 0, exact, sizeof(exact)), 3);
    char too_small[3];
    assert_int_equal(temp_report_m105(NULL, 0, too_small, sizeof(too_small)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(extruder_and_bed),
        cmocka_unit_test(several_extruders),
        cmocka_unit_test(no_sensors),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
