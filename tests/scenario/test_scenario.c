/* Scenario files, trace comparison and the golden check as CI runs it:
 * a bad scenario is refused with its file and line; a one-tick change in
 * the firmware's step timing and a changed error text both fail the
 * check, each reported in words. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "golden.h"
#include "scenario_file.h"

#define DEFAULT_PRINTER SOURCE_DIR "/examples/printer-ramps.cfg"

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/lockstep_scnXXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *tmp_path(const char *name)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

static void test_parse_good(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof(path), "%s", tmp_path("good.scn"));
    write_file(path, "# a comment\n"
                     "purpose: home and move\n"
                     "backend: native\n"
                     "seed: 7\n"
                     "fault: slip:x:2@line=3\n"
                     "gcode:\n"
                     "    G28 X\n"
                     "\n"
                     "    G1 X10 F3000 ; a G-code comment\n"
                     "expect: position X=10 Z=99\n"
                     "expect: reach extruder 199.5 by 120\n"
                     "expect: hold extruder 200 1 from 130\n"
                     "expect: shutdown MCU 'mcu' shutdown: ADC out of range by 22.5\n"
                     "expect: shutdown Heater extruder not heating at expected rate\n"
                     "expect: answer 3 !! Move out of range: 250.000 0.000 0.000 [0.000]\n"
                     "expect: error Must home axis first: 10.000 0.000 0.000 [0.000]\n"
                     "expect: step-late 1000\n"
                     "expect: lost stepper_x 128\n"
                     "expect: lost none\n");
    struct scenario *s = malloc(sizeof(*s));
    char err[512];
    assert_non_null(s);
    if (scenario_load(path, DEFAULT_PRINTER, s, err, sizeof(err)))
        fail_msg("%s", err);
    assert_string_equal(s->name, "good");
    assert_string_equal(s->purpose, "home and move");
    assert_string_equal(s->backend, "native");
    assert_int_equal(s->seed, 7);
    assert_int_equal(s->nfaults, 1);
    assert_string_equal(s->faults[0], "slip:x:2@line=3");
    assert_string_equal(s->printer, DEFAULT_PRINTER);
    assert_string_equal(s->gcode, "G28 X\n\nG1 X10 F3000 ; a G-code comment\n");
    assert_int_equal(s->nexpect, 10);
    const struct scn_expect *x = s->expect;
    assert_int_equal(x[0].kind, SCN_POSITION);
    assert_int_equal(x[0].has_pos, 5);
    assert_true(x[0].pos[0] == 10 && x[0].pos[2] == 99);
    assert_int_equal(x[1].kind, SCN_REACH);
    assert_string_equal(x[1].name, "extruder");
    assert_true(x[1].value == 199.5 && x[1].time == 120);
    assert_int_equal(x[2].kind, SCN_HOLD);
    assert_true(x[2].value == 200 && x[2].band == 1 && x[2].time == 130);
    assert_int_equal(x[3].kind, SCN_SHUTDOWN);
    assert_string_equal(x[3].text, "MCU 'mcu' shutdown: ADC out of range");
    assert_true(x[3].time == 22.5);
    assert_true(x[4].time < 0);
    assert_int_equal(x[5].gcode_line, 3);
    assert_string_equal(x[5].text, "!! Move out of range: 250.000 0.000 0.000 [0.000]");
    assert_string_equal(x[6].text, "Must home axis first: 10.000 0.000 0.000 [0.000]");
    assert_int_equal(x[7].count, 1000);
    assert_string_equal(x[8].name, "stepper_x");
    assert_int_equal(x[8].count, 128);
    assert_string_equal(x[9].name, "");
    assert_int_equal(x[9].line, 19);
    scenario_free(s);
    /* A G-code file and a printer relative to the scenario's folder. */
    write_file(tmp_path("part.gcode"), "G28\nG1 X5\n");
    write_file(path, "purpose: p\nprinter: my.cfg\ngcode: part.gcode\n");
    if (scenario_load(path, DEFAULT_PRINTER, s, err, sizeof(err)))
        fail_msg("%s", err);
    assert_string_equal(s->gcode, "G28\nG1 X5\n");
    char want[256];
    snprintf(want, sizeof(want), "%s/my.cfg", tmpdir);
    assert_string_equal(s->printer, want);
    scenario_free(s);
    free(s);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"purpose: p\n", "bad.scn:0: no G-code"},
        {"gcode:\n  G28\n", "no 'purpose:' line"},
        {"purpose: p\ngcode:\n  G28\nwhat is this\n", "bad.scn:4: expected 'key: value'"},
        {"purpose: p\ncolour: red\n", "bad.scn:2: unknown key 'colour'"},
        {"purpose: p\nbackend: arm\n", "bad.scn:2: backend: expected avr or native, got 'arm'"},
        {"purpose: p\nseed: -1\n", "bad.scn:2: seed: expected a whole number 0 or more"},
        {"purpose: p\ngcode: a.gcode\ngcode: b.gcode\n", "bad.scn:2: gcode: cannot read"},
        {"purpose: p\ngcode:\n G28\ngcode:\n G28\n", "bad.scn:4: gcode: given twice"},
        {"purpose: p\nexpect:\n", "bad.scn:2: expect: expected one of: position"},
        {"purpose: p\nexpect: teleport X=1\n", "bad.scn:2: expect: unknown kind 'teleport'"},
        {"purpose: p\nexpect: position W=3\n", "expected X=MM, Y=MM or Z=MM, got 'W=3'"},
        {"purpose: p\nexpect: position X=abc\n", "expect position: expected a number, got 'abc'"},
        {"purpose: p\nexpect: reach extruder 200 at 100\n",
         "expected 'by S' after the temperature"},
        {"purpose: p\nexpect: hold extruder 200 from 100\n", "band: expected a number, got 'from'"},
        /* found by tests/fuzz/fuzz_scenario: refused, but with no message */
        {"purpose: p\nexpect: reach\n", "bad.scn:2: expect reach: expected a heater name"},
        {"purpose: p\nexpect: hold\n", "bad.scn:2: expect hold: expected a heater name"},
        {"purpose: p\nexpect: answer 0 ok\n", "G-code lines are numbered from 1"},
        {"purpose: p\nexpect: answer 2\n", "expect answer: expected a value"},
        {"purpose: p\nexpect: step-late soon\n", "expected a whole number 0 or more, got 'soon'"},
        {"purpose: p\nexpect: lost stepper_x\n",
         "expect lost: microsteps: expected a whole number"},
        {"purpose: p\nexpect: lost none please\n", "unexpected 'please' at the end"},
        {"purpose: p\nexpect: shutdown by 5\n", "expect shutdown: expected a value"},
    };
    char path[256];
    snprintf(path, sizeof(path), "%s", tmp_path("bad.scn"));
    struct scenario *s = malloc(sizeof(*s));
    assert_non_null(s);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(path, cases[i].text);
        char err[512] = "";
        if (!scenario_load(path, DEFAULT_PRINTER, s, err, sizeof(err))) {
            scenario_free(s);
            fail_msg("case %zu accepted: %s", i, cases[i].text);
        }
        if (!strstr(err, cases[i].want) || !strstr(err, path))
            fail_msg("case %zu: error '%s' lacks '%s' or the path", i, err, cases[i].want);
    }
    char err[512];
    assert_int_equal(scenario_load(tmp_path("absent.scn"), DEFAULT_PRINTER, s, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot read scenario"));
    free(s);
}

static void test_compare(void **state)
{
    (void)state;
    const char *head = "# lockstep trace 2\nfreq 16000000\nstepper stepper_x rail x mm_per_step "
                       "0.0125 start 100\n";
    char a[512], b[512], desc[1024];
    snprintf(a, sizeof(a),
             "%s16000000 line 3\n32000000 step stepper_x + 1000 50 0\n"
             "48000000 answer 3 ok\n# hash 1\n",
             head);
    /* Comments may differ; lines may not. */
    snprintf(b, sizeof(b),
             "# another checkout\n%s16000000 line 3\n"
             "32000000 step stepper_x + 1000 50 0\n48000000 answer 3 ok\n# hash 2\n",
             head);
    char pa[256], pb[256];
    snprintf(pa, sizeof(pa), "%s", tmp_path("a.trace"));
    snprintf(pb, sizeof(pb), "%s", tmp_path("b.trace"));
    write_file(pa, a);
    write_file(pb, b);
    assert_int_equal(golden_compare(pa, pb, desc, sizeof(desc)), 0);
    snprintf(b, sizeof(b), "%s16000000 line 3\n32000001 step stepper_x + 1000 50 0\n", head);
    write_file(pb, b);
    assert_int_equal(golden_compare(pa, pb, desc, sizeof(desc)), 1);
    if (!strstr(desc, "stepper_x (step) at 2.000000 s, G-code line 3 the last begun") ||
        !strstr(desc, "expected: 32000000 step stepper_x + 1000 50 0") ||
        !strstr(desc, "actual:   32000001 step stepper_x + 1000 50 0"))
        fail_msg("%s", desc);
    /* One ends early. */
    snprintf(b, sizeof(b), "%s16000000 line 3\n32000000 step stepper_x + 1000 50 0\n", head);
    write_file(pb, b);
    assert_int_equal(golden_compare(pa, pb, desc, sizeof(desc)), 1);
    assert_non_null(strstr(desc, "(the trace ends here)"));
    assert_int_equal(golden_compare(tmp_path("none.trace"), pb, desc, sizeof(desc)), -1);
    assert_non_null(strstr(desc, "cannot read the golden trace"));
}

struct output {
    int status;
    char out[16384];
};

static void run(struct output *o, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s %s 2>&1 </dev/null", LOCKSTEP_BIN, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(o->out, 1, sizeof(o->out) - 1, p);
    o->out[n] = 0;
    int rc = pclose(p);
    assert_true(rc != -1 && WIFEXITED(rc));
    o->status = WEXITSTATUS(rc);
}

/* The firmware built with every move's steps one tick late: the golden
 * check must fail, naming the stepper and the time. */
static void test_catches_one_tick(void **state)
{
    (void)state;
    struct output *o = malloc(sizeof(*o));
    assert_non_null(o);
    run(o, "golden check " SOURCE_DIR "/scenarios/home_y.scn");
    if (o->status != 0 || !strstr(o->out, "golden home_y: same"))
        fail_msg("the real firmware should pass:\n%s", o->out);
    run(o, "golden check " SOURCE_DIR "/scenarios/home_y.scn --firmware " SKEW_ELF);
    if (o->status != 1 || !strstr(o->out, "golden home_y: DIFFERS: first difference in stepper_") ||
        !strstr(o->out, " s, G-code line 1 the last begun"))
        fail_msg("exit %d:\n%s", o->status, o->out);
    free(o);
}

/* A changed error text: here the golden trace says what an engine with
 * another text would have answered; the check must fail on the answer. */
static void test_catches_error_text(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "sed 's/Must home axis first/Must home the axis first/' %s/golden/unhomed_move.trace "
             "> %s/unhomed_move.trace",
             SOURCE_DIR, tmpdir);
    assert_int_equal(system(cmd), 0);
    struct output *o = malloc(sizeof(*o));
    assert_non_null(o);
    snprintf(cmd, sizeof(cmd), "golden check %s/scenarios/unhomed_move.scn --golden %s", SOURCE_DIR,
             tmpdir);
    run(o, cmd);
    if (o->status != 1 || !strstr(o->out, "DIFFERS: first difference in G-code answers") ||
        !strstr(o->out, "answer 1 !! Must home the axis first") ||
        !strstr(o->out, "answer 1 !! Must home axis first"))
        fail_msg("exit %d:\n%s", o->status, o->out);
    /* No golden trace at all: could not check. */
    snprintf(cmd, sizeof(cmd), "golden check %s/scenarios/home_x.scn --golden %s", SOURCE_DIR,
             tmpdir);
    run(o, cmd);
    if (o->status != 3 || !strstr(o->out, "no golden trace"))
        fail_msg("exit %d:\n%s", o->status, o->out);
    free(o);
}

/* lockstep run SCENARIO.scn: failed expectations with expected and actual. */
static void test_run_scn(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof(path), "%s", tmp_path("wrong.scn"));
    char text[512];
    snprintf(text, sizeof(text),
             "purpose: expectations that do not hold\nbackend: native\nprinter: %s\n"
             "gcode:\n    G28 X\n    G1 X20 F3000\n    G1 X300\n"
             "expect: position X=25\nexpect: lost stepper_x 64\n",
             DEFAULT_PRINTER);
    write_file(path, text);
    struct output *o = malloc(sizeof(*o));
    assert_non_null(o);
    char args[512];
    snprintf(args, sizeof(args), "run %s", path);
    run(o, args);
    if (o->status != 1 ||
        !strstr(o->out, "wrong.scn:8: expect position X=25.0000: the carriage is at 20.0000 mm") ||
        !strstr(o->out, "wrong.scn:9: expect lost stepper_x 64: it lost 0 microsteps") ||
        !strstr(o->out, "G-code line 3 at ") ||
        !strstr(o->out, "unexpected '!! Move out of range: 300.000 0.000 5.000 [0.000]'") ||
        !strstr(o->out, "scenario wrong: FAILED"))
        fail_msg("exit %d:\n%s", o->status, o->out);
    write_file(path, "purpose: p\nexpect: nonsense\ngcode:\n    G28\n");
    run(o, args);
    if (o->status != 3 || !strstr(o->out, "wrong.scn:2: expect: unknown kind 'nonsense'"))
        fail_msg("exit %d:\n%s", o->status, o->out);
    free(o);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_catches_one_tick),
        cmocka_unit_test(test_catches_error_text),
        cmocka_unit_test(test_run_scn),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
