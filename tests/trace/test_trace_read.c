/* The trace reader: every golden trace read, a hand-written trace read
 * back exactly (events in time order, texts, edges), and malformed
 * traces refused with the file, line and what was expected, without a
 * crash or a leak whatever the damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glob.h>
#include <math.h>
#include <unistd.h>

#include "trace.h"
#include "trace_fixture.h"

/* Every edge from the cursor, against the runs' closed form: in time
 * order, one tick apart at least. Returns the number of edges. */
static uint64_t walk_edges(const struct trace_stepper *s)
{
    struct trace_edges e;
    trace_edges_start(&e, s);
    uint64_t n = 0, tick, prev = 0;
    int dir;
    size_t run = 0;
    uint64_t k = 0;
    while (trace_edges_next(&e, &tick, &dir)) {
        while (k == s->runs[run].count) {
            run++;
            k = 0;
        }
        assert_int_equal(tick, trace_run_edge_tick(&s->runs[run], k));
        assert_int_equal(dir, s->runs[run].dir);
        if (n)
            assert_true(tick > prev);
        prev = tick;
        k++;
        n++;
    }
    return n;
}

static void test_golden_traces(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob(GOLDEN_DIR "/*.trace", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 25);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct trace tr;
        fixture_load(g.gl_pathv[i], &tr);
        assert_int_equal(tr.freq, 16000000);
        assert_int_equal(tr.nsteppers, 4);
        assert_true(tr.nheaters >= 1);
        assert_int_equal(strlen(tr.hash), 16);
        assert_true(tr.scenario[0] != 0);
        for (size_t k = 1; k < tr.nevents; k++)
            assert_true(tr.events[k - 1].tick <= tr.events[k].tick);
        uint64_t edges = 0;
        for (size_t s = 0; s < tr.nsteppers; s++) {
            assert_int_equal(walk_edges(&tr.steppers[s]), tr.steppers[s].edges);
            edges += tr.steppers[s].edges;
        }
        /* The text and the file give the same trace. */
        size_t len;
        char *text = fixture_slurp(g.gl_pathv[i], &len), err[512];
        struct trace tp;
        assert_int_equal(trace_parse(text, len, g.gl_pathv[i], &tp, err, sizeof(err)), 0);
        assert_int_equal(tp.nevents, tr.nevents);
        assert_int_equal(tp.last_tick, tr.last_tick);
        for (size_t s = 0; s < tr.nsteppers; s++)
            edges -= tp.steppers[s].edges;
        assert_int_equal(edges, 0);
        trace_free(&tp);
        free(text);
        trace_free(&tr);
    }
    globfree(&g);
}

static void test_hand_trace(void **state)
{
    (void)state;
    struct trace tr;
    fixture_load(TEST_DATA "/hand.trace", &tr);
    assert_string_equal(tr.scenario, "hand");
    assert_string_equal(tr.hash, "00000000deadbeef");
    assert_int_equal(tr.freq, 1000000);
    assert_int_equal(tr.skipped, 1);
    assert_int_equal(tr.last_tick, 1400);
    assert_true(tr.has_fan);
    const struct trace_stepper *sx = &tr.steppers[0], *sy = &tr.steppers[1];
    assert_true(sx->has_endstop && sx->has_enable && !sy->has_endstop && sy->has_enable);
    assert_int_equal(sx->nruns, 2);
    assert_int_equal(sx->edges, 5);
    assert_int_equal(sy->edges, 2);
    assert_int_equal(sx->runs[1].edges_before, 3);
    assert_int_equal(sx->runs[1].steps_before, 3);
    assert_int_equal(trace_run_edge_tick(&sx->runs[0], 2), 125);
    assert_true(tr.heaters[0].has_duty && tr.heaters[0].has_target);

    /* The duty line dated 90 was written after the temp at 1000. */
    static const struct {
        uint64_t tick;
        int kind;
        const char *text;
    } want[] = {
        {0, TRACE_ENDSTOP, ""},
        {0, TRACE_ENABLE, ""},
        {10, TRACE_ENABLE, ""},
        {10, TRACE_ENABLE, ""},
        {20, TRACE_LINE, ""},
        {90, TRACE_DUTY, ""},
        {1000, TRACE_TEMP, ""},
        {1000, TRACE_DUTY, ""},
        {1200, TRACE_ANSWER, "!! MCU 'mcu' shutdown: ADC out of range"},
        {1300, TRACE_FAULT, "heater-off:hot"},
        {1300, TRACE_RESET, "mcu"},
        {1350, TRACE_WIRE, "released 12 bytes"},
    };
    assert_int_equal(tr.nevents, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < tr.nevents; i++) {
        assert_int_equal(tr.events[i].tick, want[i].tick);
        assert_int_equal(tr.events[i].kind, want[i].kind);
        assert_string_equal(trace_event_text(&tr, &tr.events[i]), want[i].text);
    }
    assert_false(tr.events[0].on);
    assert_true(tr.events[2].on && tr.events[3].who == 1);
    assert_int_equal(tr.events[4].gcode_line, 3);
    assert_true(tr.events[5].value == 0.25 && tr.events[5].who == 0);
    assert_true(tr.events[6].value == 25.5 && tr.events[6].target == 200.0);
    assert_true(tr.events[7].value == 1.0 && tr.events[7].who == TRACE_FAN);
    assert_int_equal(tr.events[8].gcode_line, 3);
    assert_true(trace_answer_is_shutdown(trace_event_text(&tr, &tr.events[8])));
    assert_false(trace_answer_is_shutdown("!! Move out of range: 1 2 3 [0]"));
    trace_free(&tr);
}

static const char head[] = "# lockstep trace 2\nfreq 1000\n"
                           "stepper sx rail x mm_per_step 0.01 start 0\nheater h\n";

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"10 step sx + 1x 3 0\n", "m.trace:5: expected the interval (a whole number up to"},
        {"10 step sx + 10 3 0.5\n", "m.trace:5: step: expected add (a whole number within"},
        {"10 step sx + 10 99999999999 0\n", "m.trace:5: expected the count (a whole number up"},
        {"1e3 step sx + 10 3 0\n", "m.trace:5: expected a tick (a whole number"},
        {"10 temp h 2O.5\n", "m.trace:5: expected a temperature (a number"},
        {"10 temp h nan\n", "m.trace:5: expected a temperature (a number"},
        {"10 step sz + 10 3 0\n", "m.trace:5: stepper 'sz' was not declared"},
        {"10 enable sz on\n", "m.trace:5: enable: stepper 'sz' was not declared"},
        {"10 step sx + 10\n", "m.trace:5: expected the count (a whole number)"},
        {"10 step sx +\n", "m.trace:5: expected the interval (a whole number)"},
        {"10 step\n", "m.trace:5: expected a stepper name"},
        {"10 temp h\n", "m.trace:5: expected a temperature (a number)"},
        {"10 temp h 20 target\n", "m.trace:5: expected the target temperature (a number)"},
        {"10 duty h\n", "m.trace:5: expected a duty (a number)"},
        {"10 endstop sx\n", "m.trace:5: endstop sx: expected open or closed"},
        {"10 line\n", "m.trace:5: expected the G-code line number (a whole number)"},
        {"10 fault\n", "m.trace:5: expected the fault that acted"},
        {"10 model-error\n", "m.trace:5: expected the part and why"},
        {"10 reset\n", "m.trace:5: reset: expected what was reset (mcu)"},
        {"10 step sx + 5 3 -5\n", "m.trace:5: step: two edges at one tick"},
        {"10 step sx + 0 2 0\n", "m.trace:5: step: two edges at one tick"},
        {"heater fan\n", "m.trace:5: a heater may not be called 'fan'"},
        {"freq 0\n", "m.trace:5: freq is given twice"},
        {"10 step sx + 10 3 0\n10 temp h 20\n5 step sx + 10 2 0\n",
         "m.trace: stepper 'sx': a step run at tick 10 starts before the run before it ends "
         "(tick 15); lines 7 and 5"},
    };
    char path[] = "/tmp/trace_read_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024], err[512] = "";
        snprintf(text, sizeof(text), "%s%s", head, cases[i].body);
        struct trace tr;
        memset(&tr, 0x5a, sizeof(tr));
        int rc = trace_parse(text, strlen(text), "m.trace", &tr, err, sizeof(err));
        if (rc != -1 || !strstr(err, cases[i].want))
            fail_msg("case %zu: rc %d, got '%s', want '%s'", i, rc, err, cases[i].want);
        /* Refused: nothing half-read is left behind. */
        assert_int_equal(tr.nsteppers, 0);
        assert_null(tr.events);
        /* The file reader says the same, with the file's name. */
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        assert_int_equal(trace_load(path, &tr, err, sizeof(err)), -1);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, strchr(cases[i].want, ':')));
    }
    unlink(path);
}

/* Text that ends inside the version line, with nothing after it (found
 * by tests/fuzz/fuzz_trace): read within the text, not beyond it. */
static void test_unterminated_version(void **state)
{
    (void)state;
    static const char *const texts[] = {"# lockstep trace 2", "# lockstep trace 22",
                                        "# lockstep trace "};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t n = strlen(texts[i]);
        char *text = malloc(n); /* no terminator: the reader must not look for one */
        assert_non_null(text);
        memcpy(text, texts[i], n);
        struct trace tr;
        char err[512] = "";
        int rc = trace_parse(text, n, "v.trace", &tr, err, sizeof(err));
        free(text);
        /* the right version, then nothing; or a wrong one */
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, i == 0 ? "no 'freq TICKS_PER_SECOND' line"
                                           : "is not the one this viewer and trace export read"));
    }
}

static void test_freq_and_header(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"# lockstep trace 2\nfreq 0\n", "f.trace:2: expected ticks per second (1 or more)"},
        {"# lockstep trace 2\nfreq 1.5e6\n", "f.trace:2: expected ticks per second (a whole"},
        {"# lockstep trace 2\nfreq 2000000000000\n", "f.trace:2: expected ticks per second"},
        {"# lockstep trace 3\n", "f.trace:1: trace format '3' is not the one"},
        {"", "f.trace:1: not a lockstep trace"},
        {"# lockstep trace 2\n", "f.trace: no 'freq TICKS_PER_SECOND' line"},
        {"# lockstep trace 2\nfreq 10\n5 line 1\n4 line 2\n", "f.trace:4: tick 4 is earlier"},
        {"# lockstep trace 2\nkinematics corexy\nkinematics corexy\n",
         "f.trace:3: kinematics is given twice"},
        {"# lockstep trace 2\nkinematics\n", "f.trace:2: kinematics: expected a name"},
        {"# lockstep trace 2\nfreq 10\nwire 5\n", "f.trace:3: expected a tick, '#', freq"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        struct trace tr;
        int rc =
            trace_parse(cases[i].text, strlen(cases[i].text), "f.trace", &tr, err, sizeof(err));
        if (rc != -1 || !strstr(err, cases[i].want))
            fail_msg("case %zu: rc %d, got '%s', want '%s'", i, rc, err, cases[i].want);
    }
    struct trace tr;
    char err[256];
    static const char corexy[] = "# lockstep trace 2\nfreq 10\nkinematics corexy\n";
    assert_int_equal(trace_parse(corexy, strlen(corexy), "k.trace", &tr, err, sizeof(err)), 0);
    assert_string_equal(tr.kinematics, "corexy");
    trace_free(&tr);
    assert_int_equal(trace_load("/nonexistent/t.trace", &tr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open the trace '/nonexistent/t.trace'"));
    assert_false(trace_sniff("/nonexistent/t.trace"));
    assert_true(trace_sniff(TEST_DATA "/hand.trace"));
    assert_false(trace_sniff(TEST_DATA "/hand.vcd"));
}

/* Every prefix of a trace (a file cut off anywhere) and many seeded
 * corruptions: each is read or refused with a message naming the file,
 * and ASan/LSan see no bad access and no leak. */
static void test_damage(void **state)
{
    (void)state;
    size_t len;
    char *text = fixture_slurp(TEST_DATA "/hand.trace", &len), err[512];
    char *copy = malloc(len);
    assert_non_null(copy);
    size_t refused = 0;
    for (size_t n = 0; n <= len; n++) {
        struct trace tr;
        memcpy(copy, text, n);
        err[0] = 0;
        if (trace_parse(copy, n, "cut.trace", &tr, err, sizeof(err)) == 0)
            trace_free(&tr);
        else if (strncmp(err, "cut.trace", 9))
            fail_msg("cut at %zu: '%s'", n, err);
        else
            refused++;
    }
    assert_true(refused > 0);
    static const char pool[] = "0123456789 +-.#\n\0xe";
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, text, len);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            copy[at] = pool[(seed >> 8) % (sizeof(pool) - 1)];
        }
        struct trace tr;
        err[0] = 0;
        if (trace_parse(copy, len, "bad.trace", &tr, err, sizeof(err)) == 0)
            trace_free(&tr);
        else
            assert_int_equal(strncmp(err, "bad.trace", 9), 0);
    }
    free(copy);
    free(text);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_traces), cmocka_unit_test(test_hand_trace),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_freq_and_header),
        cmocka_unit_test(test_damage),        cmocka_unit_test(test_unterminated_version),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
