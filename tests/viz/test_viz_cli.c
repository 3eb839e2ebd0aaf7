/* `lockstep view` as a user runs it: arguments, errors, a headless
 * screenshot, and traces of real runs of the twin (`lockstep run`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>
#include <cmocka.h>

#include "cli_harness.h"

static struct cli_output *new_output(void)
{
    struct cli_output *o = calloc(1, sizeof(*o));
    assert_non_null(o);
    return o;
}

static void png_size(const char *path, int *w, int *h)
{
    SDL_Surface *s = IMG_Load(path);
    if (!s)
        fail_msg("cannot read %s: %s", path, IMG_GetError());
    *w = s->w;
    *h = s->h;
    SDL_FreeSurface(s);
}

static void test_usage_and_bad_arguments(void **state)
{
    (void)state;
    struct cli_output *o = new_output();
    cli_run(o, NULL, "view --help");
    cli_expect(o, 0, "usage: lockstep view [PRINTER.CFG] FILE.gcode [TRACE]", NULL);
    assert_non_null(strstr(o->out, "? or F1"));
    cli_run(o, NULL, "--help");
    cli_expect(o, 0, "  view ", NULL);
    cli_run(o, NULL, "view");
    cli_expect(o, 2, NULL, "view: FILE.gcode or a TRACE is required");
    cli_run(o, NULL, "view x.gcode --size 10x10");
    cli_expect(o, 2, NULL, "--size takes WxH from 320x240 to 8192x8192, got '10x10'");
    cli_run(o, NULL, "view x.gcode --colour pink");
    cli_expect(o, 2, NULL, "--colour takes speed or phase, got 'pink'");
    cli_run(o, NULL, "view x.gcode --layers 0");
    cli_expect(o, 2, NULL, "--layers takes A or A-B, layers from 1, got '0'");
    cli_run(o, NULL, "view x.gcode --view 10");
    cli_expect(o, 2, NULL, "--view takes YAW,PITCH");
    cli_run(o, NULL, "view x.gcode --time -3");
    cli_expect(o, 2, NULL, "--time takes seconds from 0");
    cli_run(o, NULL, "view x.gcode --frobnicate");
    cli_expect(o, 2, NULL, "view: unexpected argument '--frobnicate'");
    cli_run(o, NULL, "view a.gcode b.gcode");
    cli_expect(o, 2, NULL, "view: unexpected argument 'b.gcode'");
    free(o);
}

static void test_files_that_fail(void **state)
{
    (void)state;
    struct cli_output *o = new_output();
    cli_run(o, NULL, "view /nonexistent/part.gcode --screenshot /tmp/never.png");
    cli_expect(o, 3, NULL, "/nonexistent/part.gcode");
    cli_run(o, NULL,
            "view --config " TEST_DATA "/missing.cfg " TEST_DATA
            "/lines.gcode --screenshot /tmp/never.png");
    cli_expect(o, 3, NULL, "missing.cfg");
    char bad[] = "/tmp/viz_bad_traceXXXXXX";
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# lockstep trace 2\nfreq 1000\n10 step stepper_q + 1 1 0\n", f);
    fclose(f);
    char args[512];
    snprintf(args, sizeof(args), "view %s --screenshot /tmp/never.png", bad);
    cli_run(o, NULL, args);
    cli_expect(o, 3, NULL, ":3: stepper 'stepper_q' was not declared");
    unlink(bad);
    assert_int_equal(access("/tmp/never.png", F_OK), -1);
    /* No display: the message says what to do instead. */
    cli_run(o, "SDL_VIDEODRIVER=no-such-driver", "view " EXAMPLES "/square.gcode");
    cli_expect(o, 3, NULL, "render to a file with --screenshot OUT.png");
    free(o);
}

static void test_screenshot(void **state)
{
    (void)state;
    struct cli_output *o = new_output();
    char png[] = "/tmp/viz_cli_shotXXXXXX";
    int fd = mkstemp(png);
    assert_true(fd >= 0);
    close(fd);
    char args[1024];
    snprintf(args, sizeof(args),
             "view " EXAMPLES "/square.gcode --screenshot %s --size 640x480 --layers 1 "
             "--colour phase --view 45,60 --time 30 --help-overlay",
             png);
    cli_run(o, NULL, args);
    cli_expect(o, 0, "8 extruding", NULL);
    assert_non_null(strstr(o->out, "2 layers"));
    int w, h;
    png_size(png, &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    /* A trace alone (the files it names are not here): its own path. */
    snprintf(args, sizeof(args), "view " TEST_DATA "/small.trace --screenshot %s", png);
    cli_run(o, NULL, args);
    cli_expect(o, 0, "trace: 4 steppers, 2 heaters, 3 events", "1 lines of kinds this viewer");
    png_size(png, &w, &h);
    assert_int_equal(w, 1280);
    unlink(png);
    free(o);
}

/* The number in "N moves compared, D off by more than" of view's summary. */
static long deviating(const char *out)
{
    const char *p = strstr(out, " off by more than");
    if (!p)
        fail_msg("no alignment summary in\n%s", out);
    while (p > out && p[-1] != ',')
        p--;
    return strtol(p + 1, NULL, 10);
}

/* The twin's own trace of the example part, against the batch plan:
 * every move where it was planned, to within a step; then a thermistor
 * fault mid-print shuts the MCU down, and the rest never runs. */
static void test_real_twin_traces(void **state)
{
    (void)state;
    struct cli_output *o = new_output();
    char dir[] = "/tmp/viz_twinXXXXXX";
    assert_non_null(mkdtemp(dir));
    char args[2048];
    snprintf(args, sizeof(args),
             "run --backend native " EXAMPLES "/coaster.gcode --trace %s/ok.trace -q", dir);
    cli_run(o, NULL, args);
    cli_expect(o, 0, "no errors", NULL);
    snprintf(args, sizeof(args),
             "view " EXAMPLES "/coaster.gcode %s/ok.trace --screenshot %s/ok.png --time 250", dir,
             dir);
    cli_run(o, NULL, args);
    cli_expect(o, 0, " 0 never ran", NULL);
    assert_int_equal(deviating(o->out), 0);
    snprintf(args, sizeof(args),
             "run --backend native " EXAMPLES "/coaster.gcode --trace %s/fault.trace -q "
             "--fault thermistor-open:extruder@t=200",
             dir);
    cli_run(o, NULL, args);
    cli_expect(o, 1, "ADC out of range", NULL);
    snprintf(args, sizeof(args),
             "view " EXAMPLES "/coaster.gcode %s/fault.trace --screenshot %s/fault.png", dir, dir);
    cli_run(o, NULL, args);
    cli_expect(o, 0, "first deviation: at 20", NULL);
    assert_true(deviating(o->out) >= 1);
    assert_null(strstr(o->out, " 0 never ran"));
    snprintf(args, sizeof(args), "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
    free(o);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_and_bad_arguments),
        cmocka_unit_test(test_files_that_fail),
        cmocka_unit_test(test_screenshot),
        cmocka_unit_test(test_real_twin_traces),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
