/* The trace reader: a hand-written trace read back exactly (carriage
 * positions from step runs, temperatures, events, header), and bad
 * traces refused with the file, line and what was expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "viz_exec.h"
#include "viz_trace.h"

static void load_small(struct viz_trace *tr)
{
    char err[512];
    if (viz_trace_load(TEST_DATA "/small.trace", tr, err, sizeof(err)))
        fail_msg("%s", err);
}

static void test_header_and_declarations(void **state)
{
    (void)state;
    struct viz_trace tr;
    load_small(&tr);
    assert_true(tr.freq == 1e6);
    assert_string_equal(tr.scenario, "small");
    assert_string_equal(tr.config, "printer.cfg");
    assert_string_equal(tr.gcode, "part.gcode");
    assert_int_equal(tr.nsteppers, 4);
    assert_string_equal(tr.steppers[0].name, "stepper_x");
    assert_int_equal(viz_trace_rail(&tr, VIZ_RAIL_E)->rail, VIZ_RAIL_E);
    assert_string_equal(viz_trace_rail(&tr, VIZ_RAIL_Y)->name, "stepper_y");
    assert_true(viz_trace_rail(&tr, VIZ_RAIL_Z)->mm_per_step == 0.0025);
    assert_int_equal(tr.nheaters, 2);
    /* "frobnicate" is a kind from a newer writer: skipped, counted. */
    assert_int_equal(tr.skipped, 1);
    assert_int_equal(tr.last_tick, 3100000);
    viz_trace_free(&tr);
}

static void test_carriage_positions(void **state)
{
    (void)state;
    struct viz_trace tr;
    load_small(&tr);
    const struct viz_stepper *x = viz_trace_rail(&tr, VIZ_RAIL_X);
    const struct viz_stepper *y = viz_trace_rail(&tr, VIZ_RAIL_Y);
    /* Written out of order (after a later temp line), kept in order. */
    assert_int_equal(x->nruns, 2);
    assert_true(x->runs[0].tick < x->runs[1].tick);
    assert_true(fabs(viz_stepper_pos_at(x, 0) - 10.0) < 1e-9);
    assert_true(fabs(viz_stepper_pos_at(x, 999999) - 10.0) < 1e-9);
    assert_true(fabs(viz_stepper_pos_at(x, 1000000) - 10.01) < 1e-9);
    assert_true(fabs(viz_stepper_pos_at(x, 1050000) - 10.51) < 1e-9);
    assert_true(fabs(viz_stepper_pos_at(x, 1099000) - 11.0) < 1e-9);
    /* The second run goes back, its interval growing by 10 an edge. */
    assert_true(fabs(viz_stepper_pos_at(x, 1200500) - 10.98) < 1e-9);
    assert_true(fabs(viz_stepper_pos_at(x, 1236259) - 10.51) < 1e-9);
    assert_true(fabs(viz_stepper_pos_at(x, 1236260) - 10.50) < 1e-9);
    assert_true(fabs(viz_stepper_pos_at(x, UINT64_MAX / 8) - 10.50) < 1e-9);
    /* y shrinks its interval by 50 an edge: the last edge at
     * 1050000 + 19 * 2000 - 50 * 19 * 18 / 2. */
    uint64_t t;
    int dir;
    assert_true(viz_stepper_edge(y, 19, &t, &dir));
    assert_int_equal(t, 1079450);
    assert_int_equal(dir, 1);
    assert_false(viz_stepper_edge(y, 20, &t, &dir));
    assert_true(viz_stepper_edge(x, 101, &t, &dir));
    assert_int_equal(t, 1200500);
    assert_int_equal(dir, -1);
    int64_t steps;
    assert_int_equal(viz_stepper_edges_upto(y, 1079449, &steps), 19);
    assert_int_equal(steps, 19);
    assert_true(fabs(viz_stepper_pos_at(y, 1079450) - 20.2) < 1e-9);
    double pos[3];
    viz_exec_pos_at(&tr, 1.05, pos);
    assert_true(fabs(pos[0] - 10.51) < 1e-9 && fabs(pos[1] - 20.01) < 1e-9 && pos[2] == 0.0);
    viz_trace_free(&tr);
}

static void test_temperatures_and_events(void **state)
{
    (void)state;
    struct viz_trace tr;
    load_small(&tr);
    const struct viz_heater *h = &tr.heaters[0];
    assert_string_equal(h->name, "extruder");
    assert_int_equal(h->n, 3);
    assert_true(h->temps[1].t == 2.0 && fabsf(h->temps[1].temp - 60.25f) < 1e-4f);
    assert_true(h->temps[1].target == 200.0f);
    assert_true(isnan(h->temps[2].target));
    assert_int_equal(tr.heaters[1].n, 2);
    assert_true(tr.heaters[1].temps[1].target == 60.0f);
    assert_int_equal(tr.nevents, 3);
    assert_int_equal(tr.events[0].kind, VIZ_EVENT_FAULT);
    assert_string_equal(tr.events[0].text, "thermistor-open:extruder@t=2.5");
    assert_true(tr.events[0].t == 2.5);
    assert_int_equal(tr.events[1].kind, VIZ_EVENT_ERROR);
    assert_int_equal(tr.events[1].gcode_line, 7);
    assert_int_equal(tr.events[2].kind, VIZ_EVENT_SHUTDOWN);
    assert_string_equal(tr.events[2].text, "!! MCU 'mcu' shutdown: ADC out of range");
    viz_trace_free(&tr);
}

static void test_executed_samples(void **state)
{
    (void)state;
    struct viz_trace tr;
    struct viz_exec ex;
    char err[256];
    load_small(&tr);
    assert_int_equal(viz_exec_build(&tr, &ex, err, sizeof(err)), 0);
    /* Tick 0, and the first and last edge of each x and y run. */
    assert_int_equal(ex.n, 7);
    for (size_t i = 1; i < ex.n; i++)
        assert_true(ex.pts[i].t > ex.pts[i - 1].t);
    assert_true(ex.pts[0].p[0] == 10.0f && ex.pts[0].p[1] == 20.0f);
    const struct viz_exec_point *last = &ex.pts[ex.n - 1];
    assert_true(fabsf(last->p[0] - 10.5f) < 1e-5f && fabsf(last->p[1] - 20.2f) < 1e-5f);
    assert_int_equal(viz_exec_count_upto(&ex, 1.0), 2);
    viz_exec_free(&ex);
    viz_trace_free(&tr);
}

static const char head[] = "# lockstep trace 2\nfreq 1000\n"
                           "stepper sx rail x mm_per_step 0.01 start 0\nheater h\n";

struct bad {
    const char *body; /* after head (NULL: the whole text is given) */
    const char *whole;
    const char *want;
};

static void test_bad_traces(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {NULL, "", "t.trace:1: not a lockstep trace: expected a first line '# lockstep trace 2'"},
        {NULL, "# lockstep trace 1\n", "t.trace:1: trace format '1' is not the one this viewer"},
        {NULL, "# lockstep twin trace (first version)\n", "t.trace:1: not a lockstep trace"},
        {NULL, "# lockstep trace 2\n5 temp h 20\n", "t.trace:2: a 'freq TICKS_PER_SECOND' line"},
        {NULL, "# lockstep trace 2\nstepper a rail x mm_per_step 1 start 0\n",
         "t.trace: no 'freq TICKS_PER_SECOND' line"},
        {"freq 5\n", NULL, "t.trace:5: freq is given twice"},
        {"10 step sy + 1 1 0\n", NULL, "t.trace:5: stepper 'sy' was not declared"},
        {"10 step sx * 1 1 0\n", NULL, "t.trace:5: step: expected a direction + or -"},
        {"10 step sx + 1 0 0\n", NULL, "t.trace:5: step: a run has at least one edge"},
        {"10 step sx + 100 5 -40\n", NULL, "t.trace:5: step: the interval 100 falls below 0"},
        {"10 step sx + -1 5 0\n", NULL, "t.trace:5: expected the interval (a whole number"},
        {"10 step sx + 1 5 0 extra\n", NULL, "t.trace:5: unexpected 'extra' at the end"},
        {"10 step sx + 1 5 zero\n", NULL, "t.trace:5: step: expected add"},
        {"stepper sx rail x mm_per_step 1 start 0\n", NULL,
         "t.trace:5: stepper 'sx' is declared twice"},
        {"stepper sq rail w mm_per_step 1 start 0\n", NULL,
         "t.trace:5: stepper 'sq': expected rail x, y, z or e"},
        {"stepper sq rail x mm_per_step 0 start 0\n", NULL, "t.trace:5: expected mm_per_step"},
        {"stepper sq rail x start 0\n", NULL, "t.trace:5: expected 'mm_per_step'"},
        {"10 temp h hot\n", NULL, "t.trace:5: expected a temperature (a number"},
        {"10 temp g 20\n", NULL, "t.trace:5: heater 'g' was not declared"},
        {"10 temp h 20 goal 30\n", NULL, "t.trace:5: expected 'target'"},
        {"10 duty h 1.5\n", NULL, "t.trace:5: expected a duty (a number from 0 to 1)"},
        {"10 duty pump 0.5\n", NULL, "t.trace:5: duty: 'pump' is neither a declared heater"},
        {"10 enable sx maybe\n", NULL, "t.trace:5: enable sx: expected on or off"},
        {"10 endstop sx on\n", NULL, "t.trace:5: endstop sx: expected open or closed"},
        {"20 temp h 20\n10 temp h 21\n", NULL,
         "t.trace:6: tick 10 is earlier than the line before (20)"},
        {"x10 temp h 20\n", NULL, "t.trace:5: expected a tick, '#', freq, stepper or heater"},
        {"10\n", NULL, "t.trace:5: expected what happened after the tick"},
        {"10 answer x ok\n", NULL, "t.trace:5: expected the G-code line number"},
        {"10 step sx + 100 10 0\n500 step sx + 100 10 0\n", NULL,
         "t.trace: stepper 'sx': a step run at tick 500 starts before the run before it ends "
         "(tick 910)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024];
        if (cases[i].body)
            snprintf(text, sizeof(text), "%s%s", head, cases[i].body);
        else
            snprintf(text, sizeof(text), "%s", cases[i].whole);
        struct viz_trace tr;
        memset(&tr, 0x5a, sizeof(tr));
        char err[512] = "";
        int rc = viz_trace_parse(text, strlen(text), "t.trace", &tr, err, sizeof(err));
        if (rc != -1 || !strstr(err, cases[i].want))
            fail_msg("case %zu: rc %d, got '%s', want '%s'", i, rc, err, cases[i].want);
        /* Refused: nothing half-read is left behind. */
        assert_int_equal(tr.nsteppers, 0);
        assert_null(tr.events);
    }
}

static void test_nul_and_missing_file(void **state)
{
    (void)state;
    struct viz_trace tr;
    char err[512];
    static const char text[] = "# lockstep trace 2\nfreq 10\n\0garbage\n";
    assert_int_equal(viz_trace_parse(text, sizeof(text) - 1, "b.trace", &tr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "b.trace:3: a NUL byte"));
    assert_int_equal(viz_trace_load("/nonexistent/x.trace", &tr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open the trace '/nonexistent/x.trace'"));
    assert_false(viz_trace_sniff("/nonexistent/x.trace"));
    assert_true(viz_trace_sniff(TEST_DATA "/small.trace"));
    assert_false(viz_trace_sniff(TEST_DATA "/lines.gcode"));
}

/* A run that keeps the interval within 32 bits but spans the tick range
 * is refused instead of wrapping. */
static void test_huge_runs(void **state)
{
    (void)state;
    struct viz_trace tr;
    char err[512], text[512];
    snprintf(text, sizeof(text), "%s0 step sx + 4294967295 4294967295 2147483647\n", head);
    assert_int_equal(viz_trace_parse(text, strlen(text), "h.trace", &tr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "h.trace:5: step: the run ends beyond the range of ticks"));
    snprintf(text, sizeof(text), "%s0 step sx - 4294967295 1000000 0\n", head);
    assert_int_equal(viz_trace_parse(text, strlen(text), "h.trace", &tr, err, sizeof(err)), 0);
    const struct viz_stepper *s = viz_trace_rail(&tr, VIZ_RAIL_X);
    assert_true(fabs(viz_stepper_pos_at(s, UINT64_MAX / 4) + 10000.0) < 1e-6);
    viz_trace_free(&tr);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_declarations),
        cmocka_unit_test(test_carriage_positions),
        cmocka_unit_test(test_temperatures_and_events),
        cmocka_unit_test(test_executed_samples),
        cmocka_unit_test(test_bad_traces),
        cmocka_unit_test(test_nul_and_missing_file),
        cmocka_unit_test(test_huge_runs),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
