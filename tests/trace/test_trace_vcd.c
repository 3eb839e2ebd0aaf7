/* The VCD export: the time unit for a clock, a hand-written trace's VCD
 * exactly as worked out by hand (data/hand.vcd), and every golden trace's
 * VCD read back: as many rising step edges per stepper as its runs have,
 * timestamps that only go forward, pulses that end before the next one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glob.h>
#include <sys/stat.h>

#include "trace.h"
#include "trace_fixture.h"
#include "trace_vcd.h"

/* The VCD of tr, in memory. */
static char *export(const struct trace *tr, const struct trace_vcd_options *opt,
                    struct trace_vcd_stats *st)
{
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (trace_vcd_write(tr, f, opt, st, err, sizeof(err)))
        fail_msg("%s", err);
    fclose(f);
    return buf;
}

static void test_timescale(void **state)
{
    (void)state;
    static const struct {
        uint64_t freq;
        int exp;
        uint64_t per_tick;
        const char *unit;
    } cases[] = {
        {16000000, 10, 625, "100ps"}, {1000000, 8, 100, "10ns"},
        {20000000, 10, 500, "100ps"}, {72000000, 12, 0, "1ps"},
        {1, 2, 100, "10ms"},          {1000000000000ull, 14, 100, "10fs"},
        {48000000, 12, 0, "1ps"},     {30000000000ull, 15, 0, "1fs"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trace_vcd_timescale ts = trace_vcd_timescale(cases[i].freq);
        if (ts.exp != cases[i].exp || ts.per_tick != cases[i].per_tick)
            fail_msg("%llu Hz: got 1e-%d s, %llu a tick", (unsigned long long)cases[i].freq, ts.exp,
                     (unsigned long long)ts.per_tick);
        assert_string_equal(trace_vcd_unit(&ts), cases[i].unit);
    }
    /* 72 MHz: 13888.9 ps a tick, rounded to the nearest ps. */
    struct trace_vcd_timescale ts = trace_vcd_timescale(72000000);
    assert_int_equal(trace_vcd_time(&ts, 72000000, 1), 13889);
    assert_int_equal(trace_vcd_time(&ts, 72000000, 2), 27778);
    assert_int_equal(trace_vcd_time(&ts, 72000000, 72000000), 1000000000000ull);
    assert_int_equal(trace_vcd_time(&ts, 72000000, 72000001), 1000000013889ull);
    ts = trace_vcd_timescale(16000000);
    assert_int_equal(trace_vcd_time(&ts, 16000000, 16000000), 10000000000ull);
}

/* data/hand.vcd was worked out by hand from data/hand.trace (1 MHz: 10 ns
 * units, 100 a tick, pulses 200 units): sx's run "100 + 10 3 5" has edges
 * at ticks 100, 110 and 125, its next run "126 - 1 2 0" at 126 and 127
 * (pulses of half the spacing: 50 units; dir falls with the first); sy's
 * edges at 105 and 108 interleave with sx's, and sy's pulse ending at
 * 11000 falls before sx's rise there; the duty dated 90 comes before the
 * runs though written after them. */
static void test_hand_export(void **state)
{
    (void)state;
    struct trace tr;
    fixture_load(TEST_DATA "/hand.trace", &tr);
    struct trace_vcd_stats st;
    char *got = export(&tr, NULL, &st), *want = fixture_slurp(TEST_DATA "/hand.vcd", NULL);
    assert_string_equal(got, want);
    assert_int_equal(st.edges, 7);
    assert_int_equal(st.end_time, 140000);
    /* The same trace gives the same bytes. */
    char *again = export(&tr, NULL, NULL);
    assert_string_equal(got, again);
    free(again);
    free(want);
    free(got);
    trace_free(&tr);
}

static void test_no_strings(void **state)
{
    (void)state;
    struct trace tr;
    fixture_load(TEST_DATA "/hand.trace", &tr);
    struct trace_vcd_options opt = {.no_strings = true};
    char *got = export(&tr, &opt, NULL);
    assert_null(strstr(got, "$var string"));
    assert_null(strstr(got, "\ns"));
    /* The events stay: error, shutdown and fault at their times. */
    assert_non_null(strstr(got, "#120000\n1-\n1.\n#130000\n1/\n10\n"));
    free(got);
    trace_free(&tr);
}

struct stepper_wire {
    char code[64];
    size_t stepper;
    int level;
    uint64_t rises;
};

/* Read a VCD back: the step wires of printer.steppers.NAME, their
 * rising edges, and that every timestamp is later than the one before
 * and every change alternates the level. */
static void check_vcd(const struct trace *tr, char *vcd)
{
    struct stepper_wire w[TRACE_MAX_STEPPERS];
    size_t nw = 0;
    char scope[4][64];
    int depth = 0;
    bool defs = true, have_time = false;
    uint64_t now = 0;
    for (char *line = strtok(vcd, "\n"); line; line = strtok(NULL, "\n")) {
        if (defs) {
            char a[64], b[64], c[64], d[64];
            if (sscanf(line, "$scope module %63s $end", a) == 1) {
                assert_true(depth < 4);
                snprintf(scope[depth++], sizeof(scope[0]), "%s", a);
            } else if (!strncmp(line, "$upscope", 8)) {
                assert_true(depth > 0);
                depth--;
            } else if (sscanf(line, "$var %63s %63s %63s %63s $end", a, b, c, d) == 4 &&
                       !strcmp(d, "step")) {
                assert_int_equal(depth, 3);
                assert_string_equal(scope[1], "steppers");
                assert_string_equal(a, "wire");
                assert_string_equal(scope[2], tr->steppers[nw].name);
                snprintf(w[nw].code, sizeof(w[nw].code), "%s", c);
                w[nw].stepper = nw;
                w[nw].level = -1; /* until $dumpvars */
                w[nw].rises = 0;
                nw++;
            } else if (!strncmp(line, "$enddefinitions", 15)) {
                defs = false;
                assert_int_equal(depth, 0);
            }
            continue;
        }
        if (line[0] == '#') {
            char *e;
            uint64_t t = strtoull(line + 1, &e, 10);
            assert_true(*e == 0);
            if (have_time && t <= now)
                fail_msg("timestamp %llu after %llu", (unsigned long long)t,
                         (unsigned long long)now);
            now = t;
            have_time = true;
            continue;
        }
        if (line[0] != '0' && line[0] != '1')
            continue;
        for (size_t i = 0; i < nw; i++) {
            if (strcmp(line + 1, w[i].code))
                continue;
            int level = line[0] - '0';
            if (level == w[i].level)
                fail_msg("%s: step wire set to %d twice in a row at %llu", tr->steppers[i].name,
                         level, (unsigned long long)now);
            w[i].level = level;
            w[i].rises += (uint64_t)level;
        }
    }
    assert_int_equal(nw, tr->nsteppers);
    for (size_t i = 0; i < nw; i++) {
        /* The edge count straight from the run lines, not the reader's sum. */
        uint64_t edges = 0;
        for (size_t r = 0; r < tr->steppers[i].nruns; r++)
            edges += tr->steppers[i].runs[r].count;
        if (w[i].rises != edges)
            fail_msg("%s: %llu rising edges in the VCD, %llu in the runs", tr->steppers[i].name,
                     (unsigned long long)w[i].rises, (unsigned long long)edges);
        assert_int_equal(w[i].level, 0);
    }
}

static void test_golden_step_edges(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob(GOLDEN_DIR "/*.trace", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 25);
    uint64_t total = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct trace tr;
        fixture_load(g.gl_pathv[i], &tr);
        struct trace_vcd_stats st;
        char *vcd = export(&tr, NULL, &st);
        assert_non_null(strstr(vcd, "$timescale 100ps $end"));
        check_vcd(&tr, vcd);
        total += st.edges;
        free(vcd);
        trace_free(&tr);
    }
    assert_true(total > 100000);
    globfree(&g);
}

static void test_clock_not_decimal(void **state)
{
    (void)state;
    static const char text[] = "# lockstep trace 2\nfreq 72000000\n"
                               "stepper a rail x mm_per_step 0.01 start 0\n"
                               "1 step a - 1 3 0\n";
    struct trace tr;
    char err[256];
    assert_int_equal(trace_parse(text, strlen(text), "c.trace", &tr, err, sizeof(err)), 0);
    char *got = export(&tr, NULL, NULL);
    /* Edges at 13889, 27778 and 41667 ps; pulses of half the spacing
     * (6944, rounded down), the last 2 us. */
    assert_non_null(strstr(got, "$timescale 1ps $end"));
    assert_non_null(strstr(got, "rounded to the nearest unit"));
    assert_non_null(strstr(got, "#13889\n0\"\n1!\n#20833\n0!\n#27778\n1!\n#34722\n0!\n"
                                "#41667\n1!\n#2041667\n0!\n"));
    free(got);
    trace_free(&tr);
}

static void test_errors(void **state)
{
    (void)state;
    struct trace tr;
    char err[256];
    static const char text[] = "# lockstep trace 2\nfreq 1\n"
                               "stepper a rail x mm_per_step 0.01 start 0\n"
                               "4000000000000000000 line 1\n";
    assert_int_equal(trace_parse(text, strlen(text), "l.trace", &tr, err, sizeof(err)), 0);
    FILE *f = fopen("/dev/null", "w");
    assert_int_equal(trace_vcd_write(&tr, f, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too long for 64-bit VCD times in 10ms units"));
    fclose(f);
    trace_free(&tr);

    /* A machine whose /dev/full is not the device cannot show this. */
    struct stat sb;
    if (stat("/dev/full", &sb) || !S_ISCHR(sb.st_mode))
        skip();
    fixture_load(TEST_DATA "/hand.trace", &tr);
    f = fopen("/dev/full", "w");
    assert_non_null(f);
    assert_int_equal(trace_vcd_write(&tr, f, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot write the VCD"));
    fclose(f);
    trace_free(&tr);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timescale),         cmocka_unit_test(test_hand_export),
        cmocka_unit_test(test_no_strings),        cmocka_unit_test(test_golden_step_edges),
        cmocka_unit_test(test_clock_not_decimal), cmocka_unit_test(test_errors),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
