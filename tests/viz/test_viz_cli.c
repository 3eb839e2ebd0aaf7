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

struct output {
    int status;
    char out[16384], err[8192];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* Run a command line (a shell word list; LOCKSTEP stands first for the
 * program), standard output and error kept apart. */
static void run(struct output *o, const char *env, const char *args)
{
    char out[] = "/tmp/viz_cli_outXXXXXX", err[] = "/tmp/viz_cli_errXXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    assert_true(fo >= 0 && fe >= 0);
    close(fo);
    close(fe);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "%s %s %s >%s 2>%s </dev/null", env ? env : "", LOCKSTEP_BIN, args,
             out, err);
    int rc = system(cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    o->status = WEXITSTATUS(rc);
    slurp(out, o->out, sizeof(o->out));
    slurp(err, o->err, sizeof(o->err));
    unlink(out);
    unlink(err);
}

static void expect(const struct output *o, int status, const char *in_out, const char *in_err)
{
    if (o->status != status || (in_out && !strstr(o->out, in_out)) ||
        (in_err && !strstr(o->err, in_err)))
        fail_msg("exit %d (want %d), want '%s' / '%s' in\n--- stdout\n%s\n--- stderr\n%s",
                 o->status, status, in_out ? in_out : "", in_err ? in_err : "", o->out, o->err);
}

static struct output *new_output(void)
{
    struct output *o = calloc(1, sizeof(*o));
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
    struct output *o = new_output();
    run(o, NULL, "view --help");
    expect(o, 0, "usage: lockstep view [PRINTER.CFG] FILE.gcode [TRACE]", NULL);
    assert_non_null(strstr(o->out, "? or F1"));
    run(o, NULL, "--help");
    expect(o, 0, "  view ", NULL);
    run(o, NULL, "view");
    expect(o, 2, NULL, "view: FILE.gcode or a TRACE is required");
    run(o, NULL, "view x.gcode --size 10x10");
    expect(o, 2, NULL, "--size takes WxH from 320x240 to 8192x8192, got '10x10'");
    run(o, NULL, "view x.gcode --colour pink");
    expect(o, 2, NULL, "--colour takes speed or phase, got 'pink'");
    run(o, NULL, "view x.gcode --layers 0");
    expect(o, 2, NULL, "--layers takes A or A-B, layers from 1, got '0'");
    run(o, NULL, "view x.gcode --view 10");
    expect(o, 2, NULL, "--view takes YAW,PITCH");
    run(o, NULL, "view x.gcode --time -3");
    expect(o, 2, NULL, "--time takes seconds from 0");
    run(o, NULL, "view x.gcode --frobnicate");
    expect(o, 2, NULL, "view: unexpected argument '--frobnicate'");
    run(o, NULL, "view a.gcode b.gcode");
    expect(o, 2, NULL, "view: unexpected argument 'b.gcode'");
    free(o);
}

static void test_files_that_fail(void **state)
{
    (void)state;
    struct output *o = new_output();
    run(o, NULL, "view /nonexistent/part.gcode --screenshot /tmp/never.png");
    expect(o, 3, NULL, "/nonexistent/part.gcode");
    run(o, NULL,
        "view --config " TEST_DATA "/missing.cfg " TEST_DATA
        "/lines.gcode --screenshot /tmp/never.png");
    expect(o, 3, NULL, "missing.cfg");
    char bad[] = "/tmp/viz_bad_traceXXXXXX";
    int fd = mkstemp(bad);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# lockstep trace 2\nfreq 1000\n10 step stepper_q + 1 1 0\n", f);
    fclose(f);
    char args[512];
    snprintf(args, sizeof(args), "view %s --screenshot /tmp/never.png", bad);
    run(o, NULL, args);
    expect(o, 3, NULL, ":3: stepper 'stepper_q' was not declared");
    unlink(bad);
    assert_int_equal(access("/tmp/never.png", F_OK), -1);
    /* No display: the message says what to do instead. */
    run(o, "SDL_VIDEODRIVER=no-such-driver", "view " EXAMPLES "/square.gcode");
    expect(o, 3, NULL, "render to a file with --screenshot OUT.png");
    free(o);
}

static void test_screenshot(void **state)
{
    (void)state;
    struct output *o = new_output();
    char png[] = "/tmp/viz_cli_shotXXXXXX";
    int fd = mkstemp(png);
    assert_true(fd >= 0);
    close(fd);
    char args[1024];
    snprintf(args, sizeof(args),
             "view " EXAMPLES "/square.gcode --screenshot %s --size 640x480 --layers 1 "
             "--colour phase --view 45,60 --time 30 --help-overlay",
             png);
    run(o, NULL, args);
    expect(o, 0, "8 extruding", NULL);
    assert_non_null(strstr(o->out, "2 layers"));
    int w, h;
    png_size(png, &w, &h);
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    /* A trace alone (the files it names are not here): its own path. */
    snprintf(args, sizeof(args), "view " TEST_DATA "/small.trace --screenshot %s", png);
    run(o, NULL, args);
    expect(o, 0, "trace: 4 steppers, 2 heaters, 3 events", "1 lines of kinds this viewer");
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
    struct output *o = new_output();
    char dir[] = "/tmp/viz_twinXXXXXX";
    assert_non_null(mkdtemp(dir));
    char args[2048];
    snprintf(args, sizeof(args),
             "run --backend native " EXAMPLES "/coaster.gcode --trace %s/ok.trace -q", dir);
    run(o, NULL, args);
    expect(o, 0, "no errors", NULL);
    snprintf(args, sizeof(args),
             "view " EXAMPLES "/coaster.gcode %s/ok.trace --screenshot %s/ok.png --time 250", dir,
             dir);
    run(o, NULL, args);
    expect(o, 0, " 0 never ran", NULL);
    assert_int_equal(deviating(o->out), 0);
    snprintf(args, sizeof(args),
             "run --backend native " EXAMPLES "/coaster.gcode --trace %s/fault.trace -q "
             "--fault thermistor-open:extruder@t=200",
             dir);
    run(o, NULL, args);
    expect(o, 1, "ADC out of range", NULL);
    snprintf(args, sizeof(args),
             "view " EXAMPLES "/coaster.gcode %s/fault.trace --screenshot %s/fault.png", dir, dir);
    run(o, NULL, args);
    expect(o, 0, "first deviation: at 20", NULL);
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
