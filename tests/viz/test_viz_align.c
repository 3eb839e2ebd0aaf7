/* Planned moves against executed step edges: traces made from the
 * engine's plan of a real file, stepped exactly with waits the batch
 * plan does not have, then with steps lost and with a shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "viz_align.h"
#include "viz_fixture.h"

struct run {
    struct viz_plan plan;
    double *shifted; /* where the trace put each move */
    double *planned; /* each move's print time before the alignment */
    struct viz_trace tr;
    struct viz_exec ex;
    float *dev;
    struct viz_align_stats st;
};

static void align_run(struct run *r, const char *cfg, const char *gcode, const struct synth_opts *o)
{
    memset(r, 0, sizeof(*r));
    fixture_plan(cfg, gcode, &r->plan);
    size_t n = r->plan.n;
    r->shifted = calloc(n, sizeof(double));
    r->planned = calloc(n, sizeof(double));
    r->dev = calloc(n, sizeof(float));
    assert_non_null(r->shifted);
    for (size_t i = 0; i < n; i++)
        r->planned[i] = r->plan.moves[i].t;
    char *text = fixture_synth_trace(&r->plan, o, r->shifted);
    char err[512];
    if (viz_trace_parse(text, strlen(text), "synth.trace", &r->tr, err, sizeof(err)))
        fail_msg("%s", err);
    free(text);
    assert_int_equal(viz_exec_build(&r->tr, &r->ex, err, sizeof(err)), 0);
    if (viz_align(&r->plan, &r->tr, &r->ex, r->dev, &r->st, err, sizeof(err)))
        fail_msg("%s", err);
}

static void run_free(struct run *r)
{
    viz_plan_free(&r->plan);
    viz_trace_free(&r->tr);
    viz_exec_free(&r->ex);
    free(r->shifted);
    free(r->planned);
    free(r->dev);
}

/* The planned time of the first extruding move of layer 1 (from 0). */
static double layer_start(const struct run *r, uint32_t layer)
{
    for (size_t i = 0; i < r->plan.n; i++)
        if (r->plan.moves[i].layer == layer && r->plan.moves[i].kind == VIZ_EXTRUDE)
            return r->planned[i];
    fail_msg("no extrusion in layer %u", layer);
    return 0;
}

static void expect_clean(const struct run *r, double tolerance_s)
{
    const struct viz_align_stats *st = &r->st;
    if (st->deviating || st->not_run || st->aligned != st->bursts)
        fail_msg("%zu of %zu bursts aligned, %zu moves deviate (max %.4f mm at %.3f s), %zu "
                 "not run",
                 st->aligned, st->bursts, st->deviating, st->max_dev, st->max_dev_t, st->not_run);
    assert_true(st->checked > 10);
    /* Exact edges: the executed position is the plan's rounded to a step. */
    assert_true(st->max_dev < 0.0125f);
    assert_true(fabsf(st->threshold - 4 * 0.0125f) < 1e-6f);
    for (size_t i = 0; i < r->plan.n; i++) {
        const struct viz_move *m = &r->plan.moves[i];
        if (m->kind == VIZ_E_ONLY)
            continue;
        if (fabs(m->t - r->shifted[i]) > tolerance_s)
            fail_msg("move %zu (kind %d) at %.6f s, the trace had it at %.6f s", i, m->kind, m->t,
                     r->shifted[i]);
    }
}

static void test_exact_trace_with_waits(void **state)
{
    (void)state;
    struct run r;
    struct synth_opts o = {.offset = 3.25, .wait = 0.7, .temps = true};
    align_run(&r, NULL, EXAMPLES "/square.gcode", &o);
    expect_clean(&r, 20e-6);
    /* Every burst from rest waited 0.7 s more than the plan: the last
     * move is that much later. */
    assert_true(r.plan.t_end > r.planned[r.plan.n - 1] + 3.25 + 0.7 * 5);
    run_free(&r);
}

static void test_exact_trace_no_waits(void **state)
{
    (void)state;
    struct run r;
    struct synth_opts o = {.offset = 0.0};
    align_run(&r, NULL, EXAMPLES "/square.gcode", &o);
    expect_clean(&r, 20e-6);
    run_free(&r);
}

static void test_exact_trace_long_print(void **state)
{
    (void)state;
    struct run r;
    struct synth_opts o = {.offset = 1.5, .wait = 0.25};
    align_run(&r, NULL, EXAMPLES "/coaster.gcode", &o);
    expect_clean(&r, 20e-6);
    assert_true(r.st.bursts > 400);
    run_free(&r);
}

static void test_lost_steps(void **state)
{
    (void)state;
    struct run r;
    struct synth_opts o = {.offset = 2.0, .wait = 0.5};
    /* Fix the moment from a clean plan: the second layer's start. */
    struct viz_plan p;
    fixture_plan(NULL, EXAMPLES "/square.gcode", &p);
    double at = 0;
    for (size_t i = 0; i < p.n; i++)
        if (p.moves[i].layer == 1 && p.moves[i].kind == VIZ_EXTRUDE) {
            at = p.moves[i].t + 0.1;
            break;
        }
    viz_plan_free(&p);
    o.lose_at = at;
    o.lose_steps = 40;
    align_run(&r, NULL, EXAMPLES "/square.gcode", &o);
    const struct viz_align_stats *st = &r.st;
    assert_int_equal(st->aligned, st->bursts);
    assert_true(st->deviating >= 1);
    /* 40 steps of 0.0125 mm. */
    assert_true(fabsf(st->max_dev - 0.5f) < 0.03f);
    /* Nothing deviates before the steps were lost. */
    for (size_t i = 0; i < r.plan.n; i++)
        if (r.plan.moves[i].flags & VIZ_MOVE_DEVIATES)
            assert_true(r.planned[i] + viz_move_duration(&r.plan.moves[i]) > at);
    assert_true(st->first_dev_t > layer_start(&r, 1));
    run_free(&r);
}

static void test_shutdown(void **state)
{
    (void)state;
    struct run r;
    struct synth_opts o = {.offset = 1.0, .wait = 0.3};
    struct viz_plan p;
    fixture_plan(NULL, EXAMPLES "/coaster.gcode", &p);
    o.stop_at = 0.5 * (p.moves[0].t + p.t_end);
    viz_plan_free(&p);
    align_run(&r, NULL, EXAMPLES "/coaster.gcode", &o);
    const struct viz_align_stats *st = &r.st;
    assert_true(st->not_run > 100);
    assert_true(st->aligned < st->bursts);
    assert_int_equal(r.tr.nevents, 1);
    assert_int_equal(r.tr.events[0].kind, VIZ_EVENT_SHUTDOWN);
    for (size_t i = 0; i < r.plan.n; i++) {
        const struct viz_move *m = &r.plan.moves[i];
        bool before = r.planned[i] + viz_move_duration(m) < o.stop_at;
        if (before)
            assert_int_equal(m->flags, 0);
        if (r.planned[i] > o.stop_at + 1.0 && m->kind != VIZ_E_ONLY)
            assert_true(m->flags & VIZ_MOVE_NOT_RUN);
    }
    /* The timeline stays in order. */
    for (size_t i = 1; i < r.plan.n; i++)
        assert_true(r.plan.moves[i].t >= viz_move_end(&r.plan.moves[i - 1]) - 1e-9);
    run_free(&r);
}

static void test_trace_without_rails(void **state)
{
    (void)state;
    static const char text[] = "# lockstep trace 2\nfreq 1000\n"
                               "stepper sy rail y mm_per_step 0.01 start 0\n";
    struct viz_trace tr;
    struct viz_plan p;
    struct viz_align_stats st;
    char err[256];
    assert_int_equal(viz_trace_parse(text, strlen(text), "t", &tr, err, sizeof(err)), 0);
    viz_plan_init(&p);
    viz_plan_finish(&p);
    float dev[1];
    assert_int_equal(viz_align(&p, &tr, NULL, dev, &st, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no stepper on rail x"));
    viz_plan_free(&p);
    viz_trace_free(&tr);
}

/* A corexy trace is refused with a reason, not misdrawn. */
static void test_corexy_trace(void **state)
{
    (void)state;
    static const char text[] = "# lockstep trace 2\nfreq 1000\nkinematics corexy\n"
                               "stepper stepper_x rail x mm_per_step 0.01 start 200\n"
                               "stepper stepper_y rail y mm_per_step 0.01 start 0\n";
    struct viz_trace tr;
    struct viz_plan p;
    struct viz_align_stats st;
    char err[256];
    assert_int_equal(viz_trace_parse(text, strlen(text), "t", &tr, err, sizeof(err)), 0);
    assert_true(tr.corexy);
    viz_plan_init(&p);
    viz_plan_finish(&p);
    float dev[1];
    assert_int_equal(viz_align(&p, &tr, NULL, dev, &st, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "corexy printer"));
    viz_plan_free(&p);
    viz_trace_free(&tr);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_trace_with_waits),
        cmocka_unit_test(test_exact_trace_no_waits),
        cmocka_unit_test(test_exact_trace_long_print),
        cmocka_unit_test(test_lost_steps),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_trace_without_rails),
        cmocka_unit_test(test_corexy_trace),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
