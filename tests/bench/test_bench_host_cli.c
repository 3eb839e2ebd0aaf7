/* `lockstep bench host` as a user runs it: stdout is exactly the one
 * line the benchmark promises, its figures agree with each other, --runs
 * repeats the same batch and each kind of bad argument gets its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli_harness.h"

static struct cli_output o;

struct figures {
    unsigned long long steps, msgs;
    double seconds, rate, rss;
};

/* stdout must be the benchmark line and nothing else. */
static void parse_line(const char *out, struct figures *f)
{
    int end = 0;
    int n = sscanf(out,
                   "host batch: %llu steps in %lf s = %lf steps/s, %llu queue_step msgs, "
                   "peak RSS %lf MiB\n%n",
                   &f->steps, &f->seconds, &f->rate, &f->msgs, &f->rss, &end);
    if (n != 5 || out[end] || !end || out[end - 1] != '\n')
        fail_msg("not the benchmark line alone: '%s'", out);
}

static void test_line(void **state)
{
    (void)state;
    cli_run(&o, NULL, "bench host " EXAMPLES "/coaster.gcode");
    cli_expect(&o, 0, "host batch: ", "coaster.gcode: 3413 G-code commands (0 refused)");
    struct figures f;
    parse_line(o.out, &f);
    assert_true(f.steps > 1000000);
    assert_true(f.msgs > 1000 && f.msgs < f.steps);
    assert_true(f.seconds > 0 && f.rss > 1);
    /* S is printed to the millisecond, R from the unrounded time */
    double lo = f.steps / (f.seconds + 0.0005), hi = f.steps / (f.seconds - 0.0005);
    assert_true(f.rate >= lo * 0.999 && (f.seconds <= 0.0005 || f.rate <= hi * 1.001));
    assert_null(strstr(o.err, "run 1:"));
}

static void test_runs(void **state)
{
    (void)state;
    cli_run(&o, NULL, "bench host " EXAMPLES "/coaster.gcode");
    cli_expect(&o, 0, "host batch: ", NULL);
    struct figures one, three;
    parse_line(o.out, &one);
    cli_run(&o, NULL, "bench host --runs 3 " EXAMPLES "/coaster.gcode");
    cli_expect(&o, 0, "host batch: ", "bench host: run 3: ");
    parse_line(o.out, &three);
    assert_non_null(strstr(o.err, "bench host: run 1: "));
    assert_non_null(strstr(o.err, "bench host: run 2: "));
    assert_null(strstr(o.err, "run 4:"));
    /* the time reported is the median run's */
    double t[3];
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof(key), "bench host: run %d: ", i + 1);
        const char *at = strstr(o.err, key);
        assert_non_null(at);
        assert_int_equal(sscanf(at + strlen(key), "%lf", &t[i]), 1);
    }
    double lo = t[0] < t[1] ? t[0] : t[1], hi = t[0] < t[1] ? t[1] : t[0];
    double median = t[2] < lo ? lo : t[2] > hi ? hi : t[2];
    assert_true(three.seconds == median);
    /* the same batch each time */
    assert_int_equal(three.steps, one.steps);
    assert_int_equal(three.msgs, one.msgs);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "100", "-2", "3x", "x"};
    char args[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(args, sizeof(args), "bench host " EXAMPLES "/coaster.gcode --runs %s", bad[i]);
        cli_run(&o, NULL, args);
        snprintf(args, sizeof(args), "--runs takes a number of runs from 1 to 99, got '%s'",
                 bad[i]);
        cli_expect(&o, 2, NULL, args);
        assert_string_equal(o.out, "");
    }
    cli_run(&o, NULL, "bench host " EXAMPLES "/coaster.gcode --runs");
    cli_expect(&o, 2, NULL, "--runs takes a number of runs from 1 to 99, got ''");
    cli_run(&o, NULL, "bench host /nonexistent/part.gcode");
    cli_expect(&o, 1, NULL, "bench host: /nonexistent/part.gcode: cannot open");
    assert_string_equal(o.out, "");
    cli_run(&o, NULL, "bench host " EXAMPLES "/coaster.gcode --fast");
    cli_expect(&o, 2, NULL, "bench host: unexpected argument '--fast'");
    cli_run(&o, NULL, "bench host --help");
    cli_expect(&o, 0, "--runs N (1-99)", NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_bad_arguments),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
