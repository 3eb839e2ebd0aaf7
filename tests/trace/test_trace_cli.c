/* `lockstep trace export` as a user runs it: both argument orders, '-'
 * for standard output, and the exit status and message for each kind of
 * trouble. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_harness.h"

static struct cli_output o;

static void test_export_both_orders(void **state)
{
    (void)state;
    static char want[16384], got[16384];
    cli_slurp(TEST_DATA "/hand.vcd", want, sizeof(want));
    const char *vcd = "/tmp/trace_cli_test.vcd";
    cli_run(&o, NULL, "trace export --vcd /tmp/trace_cli_test.vcd " TEST_DATA "/hand.trace");
    cli_expect(&o, 0, NULL, "/tmp/trace_cli_test.vcd: 2 steppers (7 step pulses), 1 heaters");
    assert_non_null(strstr(o.err, "1 lines of kinds this reader does not know"));
    cli_slurp(vcd, got, sizeof(got));
    assert_string_equal(got, want);
    unlink(vcd);
    cli_run(&o, NULL, "trace export " TEST_DATA "/hand.trace --vcd /tmp/trace_cli_test.vcd -q");
    cli_expect(&o, 0, NULL, NULL);
    assert_string_equal(o.err, "");
    cli_slurp(vcd, got, sizeof(got));
    assert_string_equal(got, want);
    unlink(vcd);
    cli_run(&o, NULL, "trace export " TEST_DATA "/hand.trace --vcd - -q");
    cli_expect(&o, 0, NULL, NULL);
    assert_string_equal(o.out, want);
    cli_run(&o, NULL, "trace export " TEST_DATA "/hand.trace --vcd - --no-strings -q");
    cli_expect(&o, 0, "$var event 1 2 wire_released $end\n$upscope", NULL);
}

static void test_usage(void **state)
{
    (void)state;
    cli_run(&o, NULL, "trace");
    cli_expect(&o, 2, NULL, "usage: lockstep trace export");
    cli_run(&o, NULL, "trace --help");
    cli_expect(&o, 0, "usage: lockstep trace export", NULL);
    cli_run(&o, NULL, "trace export --help");
    cli_expect(&o, 0, "Exit status", NULL);
    cli_run(&o, NULL, "trace import x");
    cli_expect(&o, 2, NULL, "unknown subcommand 'import'");
    cli_run(&o, NULL, "trace export " TEST_DATA "/hand.trace");
    cli_expect(&o, 2, NULL, "no --vcd OUT.vcd given");
    cli_run(&o, NULL, "trace export --vcd /tmp/x.vcd");
    cli_expect(&o, 2, NULL, "no TRACE given");
    cli_run(&o, NULL, "trace export --vcd");
    cli_expect(&o, 2, NULL, "--vcd needs a file name");
    cli_run(&o, NULL, "trace export a.trace b.trace --vcd /tmp/x.vcd");
    cli_expect(&o, 2, NULL, "too many arguments ('b.trace')");
    cli_run(&o, NULL, "trace export a.trace --vcd /tmp/x.vcd --fst");
    cli_expect(&o, 2, NULL, "unknown option '--fst'");
    cli_run(&o, NULL, "--help");
    cli_expect(&o, 0, "trace     export a trace as VCD", NULL);
}

static void test_bad_traces(void **state)
{
    (void)state;
    const char *vcd = "/tmp/trace_cli_bad.vcd";
    unlink(vcd);
    cli_run(&o, NULL, "trace export --vcd /tmp/trace_cli_bad.vcd /nonexistent/a.trace");
    cli_expect(&o, 3, NULL, "cannot open the trace '/nonexistent/a.trace'");
    const char *bad = "/tmp/trace_cli_bad.trace";
    FILE *f = fopen(bad, "w");
    fputs("# lockstep trace 2\nfreq 1000\nstepper a rail x mm_per_step 0.01 start 0\n"
          "10 step b + 10 2 0\n",
          f);
    fclose(f);
    cli_run(&o, NULL, "trace export --vcd /tmp/trace_cli_bad.vcd /tmp/trace_cli_bad.trace");
    cli_expect(&o, 3, NULL, "/tmp/trace_cli_bad.trace:4: stepper 'b' was not declared");
    /* Nothing written for a trace that was refused. */
    assert_int_equal(access(vcd, F_OK), -1);
    cli_run(&o, NULL, "trace export --vcd /nonexistent/dir/x.vcd " TEST_DATA "/hand.trace");
    cli_expect(&o, 1, NULL, "cannot write '/nonexistent/dir/x.vcd'");
    /* Too long a trace for 64-bit times: refused after the file was
     * opened, and the file goes. */
    const char *partial = "/tmp/trace_cli_partial.vcd";
    fclose(fopen(partial, "w"));
    f = fopen(bad, "w");
    fputs("# lockstep trace 2\nfreq 1\n4000000000000000000 line 1\n", f);
    fclose(f);
    cli_run(&o, NULL, "trace export --vcd /tmp/trace_cli_partial.vcd /tmp/trace_cli_bad.trace");
    cli_expect(&o, 1, NULL, "too long for 64-bit VCD times");
    assert_int_equal(access(partial, F_OK), -1);
    unlink(bad);
}

/* A failed write removes a half-written file, never the device. */
static void test_full_device(void **state)
{
    (void)state;
    struct stat sb;
    assert_int_equal(stat("/dev/full", &sb), 0);
    if (!S_ISCHR(sb.st_mode))
        skip();
    cli_run(&o, NULL, "trace export --vcd /dev/full " TEST_DATA "/hand.trace");
    cli_expect(&o, 1, NULL, "cannot write the VCD");
    assert_int_equal(stat("/dev/full", &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_both_orders),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_bad_traces),
        cmocka_unit_test(test_full_device),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
