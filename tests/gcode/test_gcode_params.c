#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gcode_params.h"

static struct gcode_command cmd;
static char err[GCODE_ERR_MAX];

static void parse(const char *line)
{
    if (gcode_parse(&cmd, line, strlen(line), err, sizeof err) != 0)
        fail_msg("refused '%s': %s", line, err);
    err[0] = '\0';
}

static void test_float(void **state)
{
    (void)state;
    double v = 0;
    parse("G1 X-1.5 E.2 F+3000");
    assert_int_equal(gcode_get_float(&cmd, "X", NULL, &v, err, sizeof err), 0);
    assert_true(v == -1.5);
    assert_int_equal(gcode_get_float(&cmd, "E", NULL, &v, err, sizeof err), 0);
    assert_true(v == 0.2);
    assert_int_equal(gcode_get_float_or(&cmd, "F", 0, NULL, &v, err, sizeof err), 0);
    assert_true(v == 3000.0);
    /* Absent: the default, not checked against the limits. */
    assert_int_equal(
        gcode_get_float_or(&cmd, "Z", -7.0, GCODE_LIMITS(GCODE_MINVAL(0)), &v, err, sizeof err), 0);
    assert_true(v == -7.0);
    parse("SET_VELOCITY_LIMIT VELOCITY=1e3 ACCEL=\" 500 \"");
    assert_int_equal(gcode_get_float(&cmd, "VELOCITY", NULL, &v, err, sizeof err), 0);
    assert_true(v == 1000.0);
    assert_int_equal(gcode_get_float(&cmd, "ACCEL", NULL, &v, err, sizeof err), 0);
    assert_true(v == 500.0);
}

static void expect_float_error(const char *line, const char *name, const struct gcode_limits *lim,
                               const char *message)
{
    parse(line);
    double v = 42.0;
    assert_int_equal(gcode_get_float(&cmd, name, lim, &v, err, sizeof err), -1);
    assert_string_equal(err, message);
    assert_true(v == 42.0);
}

/* Klipper's texts (klippy/gcode.py, GCodeCommand.get). */
static void test_float_errors(void **state)
{
    (void)state;
    expect_float_error("G1 X1.2.3", "X", NULL, "Error on 'G1 X1.2.3': unable to parse 1.2.3");
    expect_float_error("G1 X1.2.3 ; comment", "X", NULL,
                       "Error on 'G1 X1.2.3 ; comment': unable to parse 1.2.3");
    expect_float_error("G1 X", "X", NULL, "Error on 'G1 X': unable to parse ");
    expect_float_error("G1 X1 2", "X", NULL, "Error on 'G1 X1 2': unable to parse 1 2");
    expect_float_error("G1 X=5", "X", NULL, "Error on 'G1 X=5': unable to parse =5");
    expect_float_error("SET_VELOCITY_LIMIT VELOCITY=fast", "VELOCITY", NULL,
                       "Error on 'SET_VELOCITY_LIMIT VELOCITY=fast': unable to parse fast");
    expect_float_error("SET_VELOCITY_LIMIT VELOCITY=inf", "VELOCITY", NULL,
                       "Error on 'SET_VELOCITY_LIMIT VELOCITY=inf': unable to parse inf");
    expect_float_error("M109", "S", NULL, "Error on 'M109': missing S");
    expect_float_error("M106 S300", "S", GCODE_LIMITS(GCODE_MINVAL(0), GCODE_MAXVAL(255)),
                       "Error on 'M106 S300': S must have maximum of 255.0");
    expect_float_error("M106 S-1", "S", GCODE_LIMITS(GCODE_MINVAL(0), GCODE_MAXVAL(255)),
                       "Error on 'M106 S-1': S must have minimum of 0.0");
    expect_float_error("SET_VELOCITY_LIMIT VELOCITY=0", "VELOCITY", GCODE_LIMITS(GCODE_ABOVE(0)),
                       "Error on 'SET_VELOCITY_LIMIT VELOCITY=0': VELOCITY must be above 0.0");
    expect_float_error("SET_PRESSURE_ADVANCE SMOOTH_TIME=0.2", "SMOOTH_TIME",
                       GCODE_LIMITS(GCODE_MINVAL(0), GCODE_BELOW(0.2)),
                       "Error on 'SET_PRESSURE_ADVANCE SMOOTH_TIME=0.2': SMOOTH_TIME must be "
                       "below 0.2");
    expect_float_error("M204 S0.00001", "S", GCODE_LIMITS(GCODE_ABOVE(1e-5)),
                       "Error on 'M204 S0.00001': S must be above 1e-05");
    /* Limits at the edge pass: minval/maxval are inclusive. */
    parse("M106 S255");
    double v;
    assert_int_equal(gcode_get_float(&cmd, "S", GCODE_LIMITS(GCODE_MINVAL(0), GCODE_MAXVAL(255)),
                                     &v, err, sizeof err),
                     0);
    assert_true(v == 255.0);
}

static void test_int(void **state)
{
    (void)state;
    long v = 0;
    parse("M104 T1 S200");
    assert_int_equal(gcode_get_int(&cmd, "T", NULL, &v, err, sizeof err), 0);
    assert_int_equal(v, 1);
    assert_int_equal(gcode_get_int_or(&cmd, "P", 5, NULL, &v, err, sizeof err), 0);
    assert_int_equal(v, 5);
    parse("G4 P1.5");
    assert_int_equal(gcode_get_int(&cmd, "P", NULL, &v, err, sizeof err), -1);
    assert_string_equal(err, "Error on 'G4 P1.5': unable to parse 1.5");
    parse("M104 T-1");
    assert_int_equal(
        gcode_get_int(&cmd, "T", GCODE_INT_LIMITS(GCODE_MINVAL(0)), &v, err, sizeof err), -1);
    assert_string_equal(err, "Error on 'M104 T-1': T must have minimum of 0");
    parse("SET_FAN INDEX=9");
    assert_int_equal(
        gcode_get_int(&cmd, "INDEX", GCODE_INT_LIMITS(GCODE_MAXVAL(3)), &v, err, sizeof err), -1);
    assert_string_equal(err, "Error on 'SET_FAN INDEX=9': INDEX must have maximum of 3");
    parse("SET_FAN");
    assert_int_equal(gcode_get_int(&cmd, "INDEX", NULL, &v, err, sizeof err), -1);
    assert_string_equal(err, "Error on 'SET_FAN': missing INDEX");
}

static void test_str(void **state)
{
    (void)state;
    const char *s = NULL;
    parse("FORCE_MOVE STEPPER=stepper_x");
    assert_int_equal(gcode_get_str(&cmd, "STEPPER", &s, err, sizeof err), 0);
    assert_string_equal(s, "stepper_x");
    assert_int_equal(gcode_get_str(&cmd, "DISTANCE", &s, err, sizeof err), -1);
    assert_string_equal(err, "Error on 'FORCE_MOVE STEPPER=stepper_x': missing DISTANCE");
}

static void test_malformed_arguments(void **state)
{
    (void)state;
    parse("SET_PIN PIN=fan VALUE");
    assert_int_equal(gcode_check_args(&cmd, err, sizeof err), -1);
    assert_string_equal(err, "Malformed command 'SET_PIN PIN=fan VALUE'");
    /* The getters refuse too rather than report the parameter missing. */
    double v;
    err[0] = '\0';
    assert_int_equal(gcode_get_float_or(&cmd, "VALUE", 0, NULL, &v, err, sizeof err), -1);
    assert_string_equal(err, "Malformed command 'SET_PIN PIN=fan VALUE'");
    parse("SET_PIN PIN=fan VALUE=1");
    assert_int_equal(gcode_check_args(&cmd, err, sizeof err), 0);
    parse("G1 X1");
    assert_int_equal(gcode_check_args(&cmd, err, sizeof err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float),
        cmocka_unit_test(test_float_errors),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_malformed_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
