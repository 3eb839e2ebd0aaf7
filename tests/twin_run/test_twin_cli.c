/* `lockstep run` as a user runs it: exit status, answers, the summary,
 * the trace, and its record hash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_harness.h"
#include "twin_fixture.h"

static void test_usage(void **state)
{
    (void)state;
    struct cli_output *o = malloc(sizeof(*o));
    assert_non_null(o);
    cli_run(o, NULL, "run --help");
    cli_expect(o, 0, "usage: lockstep run", NULL);
    assert_non_null(strstr(o->out, "host-stall:SECONDS"));
    cli_run(o, NULL, "run --fault bogus");
    cli_expect(o, 2, NULL, "run: fault 'bogus': unknown fault 'bogus'");
    cli_run(o, NULL, "run --backend arm");
    cli_expect(o, 2, NULL, "--backend takes avr, native or avr=FILE.elf, got 'arm'");
    cli_run(o, NULL, "run --seed -4");
    cli_expect(o, 2, NULL, "--seed takes a whole number");
    cli_run(o, NULL, "run a.cfg b.gcode c.gcode");
    cli_expect(o, 2, NULL, "unexpected argument 'c.gcode'");
    cli_run(o, NULL, "run /nonexistent/printer.cfg");
    cli_expect(o, 3, NULL, "/nonexistent/printer.cfg");
    cli_run(o, NULL, "run " PRINTER_CFG " /nonexistent/part.gcode -q");
    cli_expect(o, 3, NULL, "cannot read '/nonexistent/part.gcode'");
    free(o);
}

static void test_run_and_trace(void **state)
{
    (void)state;
    struct cli_output *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    char trace[] = "/tmp/twin_run_traceXXXXXX";
    int fd = mkstemp(trace);
    assert_true(fd >= 0);
    close(fd);
    char args[512];
    snprintf(args, sizeof(args), "run " PRINTER_CFG " " TEST_DATA "/moves.gcode --trace %s", trace);
    cli_run(a, NULL, args);
    cli_expect(a, 0, "no errors", NULL);
    assert_non_null(strstr(a->out, "stepper_x"));
    assert_non_null(strstr(a->out, "150.0000"));
    assert_non_null(strstr(a->out, "extruder   peak"));
    const char *hash = strstr(a->out, "record hash ");
    assert_non_null(hash);
    static char text[1 << 20];
    cli_slurp(trace, text, sizeof(text));
    unlink(trace);
    assert_non_null(strstr(text, "# lockstep trace 2"));
    assert_non_null(strstr(text, "\nstepper stepper_x rail x mm_per_step 0.0125 start "));
    assert_non_null(strstr(text, " step stepper_x - "));
    assert_non_null(strstr(text, " endstop stepper_x closed"));
    /* The trace ends with the record hash the summary gives. */
    char last[64];
    snprintf(last, sizeof(last), "# hash %.16s\n", hash + strlen("record hash "));
    assert_non_null(strstr(text, last));
    assert_non_null(strstr(text, " temp extruder "));
    assert_non_null(strstr(text, " duty extruder "));
    assert_non_null(strstr(text, " answer 3 ok"));
    /* Again, without the trace and quiet: the same record. */
    cli_run(b, NULL, "run " PRINTER_CFG " " TEST_DATA "/moves.gcode -q");
    cli_expect(b, 0, hash, NULL);
    /* The native MCU runs the same file to the same positions. */
    cli_run(b, NULL, "run " PRINTER_CFG " " TEST_DATA "/moves.gcode -q --backend native");
    cli_expect(b, 0, "(native backend)", NULL);
    assert_non_null(strstr(b->out, "150.0000"));
    free(a);
    free(b);
}

static void test_refused_and_shutdown(void **state)
{
    (void)state;
    struct cli_output *o = malloc(sizeof(*o));
    assert_non_null(o);
    cli_run(o, NULL, "run " PRINTER_CFG " " TEST_DATA "/unhomed.gcode");
    cli_expect(o, 1, "!! Must home axis first", NULL);
    assert_non_null(strstr(o->out, "errors: 1 line(s) refused"));
    cli_run(o, NULL,
            "run " PRINTER_CFG " " TEST_DATA
            "/moves.gcode -q --fault thermistor-open:extruder@line=4");
    cli_expect(o, 1, "!! MCU 'mcu' shutdown: ADC out of range", NULL);
    assert_non_null(strstr(o->out, "shutdown: MCU 'mcu' shutdown: ADC out of range"));
    assert_non_null(strstr(o->out, "fault thermistor-open:extruder@line=4: at "));
    free(o);
}

/* No arguments: the example printer prints the example part. */
static void test_example_part(void **state)
{
    (void)state;
    struct cli_output *o = malloc(sizeof(*o));
    assert_non_null(o);
    cli_run(o, NULL, "run -q --backend native");
    cli_expect(o, 0, "coaster.gcode on ", NULL);
    assert_non_null(strstr(o->out, "printer-ramps.cfg"));
    /* Heated to 200 C before printing. */
    const char *p = strstr(o->out, "extruder   peak ");
    assert_non_null(p);
    assert_true(atof(p + strlen("extruder   peak ")) > 199);
    assert_non_null(strstr(o->out, "no errors"));
    /* Every layer printed: Z ended 10 mm above the last (2 mm) layer. */
    p = strstr(o->out, "\nstepper_z ");
    assert_non_null(p);
    double commanded_mm, simulated_mm;
    unsigned long long cmd, fol, slips;
    assert_int_equal(
        sscanf(p + 11, "%llu %llu %llu %lf %lf", &cmd, &fol, &slips, &commanded_mm, &simulated_mm),
        5);
    assert_true(cmd == fol && slips == 0);
    assert_float_equal(simulated_mm, 12.0, 1e-3);
    free(o);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_run_and_trace),
        cmocka_unit_test(test_refused_and_shutdown),
        cmocka_unit_test(test_example_part),
    };
    return fx_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
