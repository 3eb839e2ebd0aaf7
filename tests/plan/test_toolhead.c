#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plan_fixture.h"
#include "toolhead.h"

static const double HOME[4] = {10.0, 10.0, 10.0, 0.0};

static void move_ok(struct toolhead *th, double x, double y, double z, double e, double speed)
{
    double end[4] = {x, y, z, e};
    char err[300] = "";
    int rc = toolhead_move(th, end, speed, err, sizeof(err));
    if (rc != 0)
        fail_msg("move refused: %s", err);
}

/* The move must be refused with exactly want, and change nothing. */
static void move_refused(struct toolhead *th, struct recorder *rec, double x, double y, double z,
                         double e, double speed, const char *want)
{
    double before[4], after[4];
    toolhead_get_position(th, before);
    size_t queued = toolhead_queued_moves(th), emitted = rec->count;
    double end[4] = {x, y, z, e};
    char err[300] = "";
    assert_int_equal(toolhead_move(th, end, speed, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    toolhead_get_position(th, after);
    assert_memory_equal(before, after, sizeof(before));
    assert_int_equal(toolhead_queued_moves(th), queued);
    assert_int_equal(rec->count, emitted);
}

/* Expected corner speed from Klipper's documented model, computed here
 * from the turn angle: the toolhead follows a circle of radius
 * R = jd * sin(t/2) / (1 - sin(t/2)), t the angle between the two paths
 * (180 degrees when going straight on), at v^2 = accel * R, with
 * jd = scv^2 * (sqrt(2) - 1) / accel. */
static double centripetal_corner_v(double turn_deg, double scv, double accel)
{
    double t = (180.0 - turn_deg) * M_PI / 180.0;
    double jd = scv * scv * (sqrt(2.0) - 1.0) / accel;
    double s = sin(t / 2.0);
    return sqrt(accel * jd * s / (1.0 - s));
}

static void test_single_long_move(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 110.0, 10.0, 10.0, 0.0, 250.0);
    /* Nothing is final until the queue is flushed. */
    assert_int_equal(rec.count, 0);
    assert_int_equal(toolhead_queued_moves(th), 1);
    double end_time = toolhead_get_last_move_time(th);
    assert_int_equal(toolhead_queued_moves(th), 0);
    assert_int_equal(rec.count, 1);
    const struct move *m = &rec.moves[0];
    assert_near(m->print_time, FIX_START_TIME, 0.0);
    assert_near(m->move_d, 100.0, 1e-12);
    assert_near(m->cruise_v, FIX_MAX_VELOCITY, 1e-9);
    assert_near(m->accel, FIX_MAX_ACCEL, 0.0);
    assert_near(m->accel_t, 0.1, 1e-12);
    assert_near(m->cruise_t, 0.9, 1e-12);
    assert_near(m->decel_t, 0.1, 1e-12);
    assert_near(m->axes_r[AXIS_X], 1.0, 0.0);
    assert_near(end_time, FIX_START_TIME + 1.1, 1e-12);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_short_move_triangle(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 10.0, 12.0, 10.0, 0.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 1);
    double peak = sqrt(FIX_MAX_ACCEL * 2.0);
    assert_near(rec.moves[0].cruise_v, peak, 1e-9);
    assert_near(rec.moves[0].cruise_t, 0.0, 1e-12);
    assert_near(rec.moves[0].accel_t, peak / FIX_MAX_ACCEL, 1e-12);
    assert_near(rec.moves[0].decel_t, peak / FIX_MAX_ACCEL, 1e-12);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_collinear_keeps_speed(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 60.0, 10.0, 10.0, 0.0, 100.0);
    move_ok(th, 110.0, 10.0, 10.0, 0.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 2);
    assert_near(rec.moves[0].end_v, 100.0, 1e-9);
    assert_near(rec.moves[1].start_v, 100.0, 1e-9);
    assert_near(rec.moves[0].decel_t, 0.0, 1e-12);
    assert_near(rec.moves[1].accel_t, 0.0, 1e-12);
    assert_near(rec.moves[0].cruise_t, 0.45, 1e-12);
    assert_near(rec.moves[1].cruise_t, 0.45, 1e-12);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static double corner_speed(double turn_deg)
{
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, (double[4]){20, 50, 10, 0});
    double t = turn_deg * M_PI / 180.0;
    move_ok(th, 120.0, 50.0, 10.0, 0.0, 100.0);
    move_ok(th, 120.0 + 70.0 * cos(t), 50.0 + 70.0 * sin(t), 10.0, 0.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 2);
    assert_near(rec.moves[0].end_v, rec.moves[1].start_v, 1e-12);
    double v = rec.moves[0].end_v;
    check_sequence(&rec, (double[4]){20, 50, 10, 0}, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
    return v;
}

static void test_square_corner(void **state)
{
    (void)state;
    double v = corner_speed(90.0);
    assert_near(v, centripetal_corner_v(90.0, FIX_SCV, FIX_MAX_ACCEL), 1e-9);
    /* By construction of junction_deviation, that is square_corner_velocity. */
    assert_near(v, FIX_SCV, 1e-9);
}

static void test_other_corners(void **state)
{
    (void)state;
    /* Gentler turns are faster, sharper ones slower. */
    double v45 = corner_speed(45.0), v135 = corner_speed(135.0);
    assert_near(v45, centripetal_corner_v(45.0, FIX_SCV, FIX_MAX_ACCEL), 1e-9);
    assert_near(v135, centripetal_corner_v(135.0, FIX_SCV, FIX_MAX_ACCEL), 1e-9);
    assert_true(v45 > FIX_SCV && v135 < FIX_SCV);
    /* Almost straight on, the speed limit binds. */
    assert_near(corner_speed(0.5), FIX_MAX_VELOCITY, 1e-9);
}

static void test_reversal_stops(void **state)
{
    (void)state;
    double v = corner_speed(180.0);
    assert_near(v, 0.0, 1e-6);
}

/* End speed of the first of two moves from start through a to b. */
static double junction_speed(const double start[4], const double a[4], const double b[4])
{
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, start);
    move_ok(th, a[0], a[1], a[2], a[3], 100.0);
    move_ok(th, b[0], b[1], b[2], b[3], 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 2);
    check_sequence(&rec, start, FIX_START_TIME);
    double v = rec.moves[0].end_v;
    toolhead_free(th);
    recorder_reset(&rec);
    return v;
}

static void test_corner_limited_to_mid_move(void **state)
{
    (void)state;
    /* 90 degree corners between a 0.001 mm and a 0.002 mm move: the
     * rounding circle may reach only halfway into the shorter one,
     * r = 0.0005 mm * tan(45 degrees), whichever comes first. */
    double r = 0.0005 * tan(M_PI / 4.0), want = sqrt(FIX_MAX_ACCEL * r);
    double o[4] = {10, 10, 10, 0};
    assert_near(
        junction_speed(o, (double[4]){10.001, 10, 10, 0}, (double[4]){10.001, 10.002, 10, 0}), want,
        1e-6);
    assert_near(
        junction_speed(o, (double[4]){10.002, 10, 10, 0}, (double[4]){10.002, 10.001, 10, 0}), want,
        1e-6);
}

static void test_corner_with_z_limited_move(void **state)
{
    (void)state;
    /* A square corner into or out of a move whose acceleration Z limits
     * to 125 mm/s^2: the circle is the same, the lower acceleration binds. */
    double want = FIX_SCV * sqrt(FIX_MAX_Z_ACCEL * 1.25 / FIX_MAX_ACCEL);
    double o[4] = {10, 10, 10, 0};
    assert_near(junction_speed(o, (double[4]){110, 10, 10, 0}, (double[4]){110, 13, 14, 0}), want,
                1e-9);
    assert_near(junction_speed(o, (double[4]){13, 10, 14, 0}, (double[4]){13, 110, 14, 0}), want,
                1e-9);
}

static void test_minimum_cruise_ratio(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    struct toolhead_limits lim;
    toolhead_get_limits(th, &lim);
    lim.minimum_cruise_ratio = 0.5;
    char err[200];
    assert_int_equal(toolhead_set_limits(th, &lim, err, sizeof(err)), 0);
    /* The documented example: a standalone 1.5 mm move cruises 0.75 mm. */
    move_ok(th, 11.5, 10.0, 10.0, 0.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 1);
    const struct move *m = &rec.moves[0];
    assert_near(m->cruise_v * m->cruise_t, 0.75, 1e-9);
    assert_near(m->accel, FIX_MAX_ACCEL, 0.0);
    /* A zigzag of short moves peaks lower than without the ratio. */
    double peak_with = 0.0, peak_without = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        lim.minimum_cruise_ratio = pass ? 0.0 : 0.5;
        assert_int_equal(toolhead_set_limits(th, &lim, err, sizeof(err)), 0);
        size_t first = rec.count;
        double at[4];
        toolhead_get_position(th, at);
        for (int i = 0; i < 20; i++)
            move_ok(th, at[AXIS_X] + (i + 1) * 1.0, 10.0 + (i % 2 ? 0.0 : 1.0), 10.0, 0.0, 100.0);
        toolhead_flush(th);
        double peak = 0.0;
        for (size_t i = first; i < rec.count; i++)
            peak = fmax(peak, rec.moves[i].cruise_v);
        *(pass ? &peak_without : &peak_with) = peak;
    }
    assert_true(peak_with < 0.9 * peak_without);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_z_limited(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 10.0, 10.0, 30.0, 0.0, 100.0);
    toolhead_flush(th);
    /* 3-4-5: the move may run 5/4 of the Z limits. */
    move_ok(th, 13.0, 10.0, 34.0, 0.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 2);
    const struct move *m = &rec.moves[0];
    assert_near(m->cruise_v, FIX_MAX_Z_VELOCITY, 1e-9);
    assert_near(m->accel, FIX_MAX_Z_ACCEL, 1e-12);
    assert_near(m->accel_t, 0.1, 1e-12);
    assert_near(m->cruise_t, 1.9, 1e-12);
    assert_near(rec.moves[1].accel, FIX_MAX_Z_ACCEL * 1.25, 1e-9);
    assert_true(rec.moves[1].cruise_v <= FIX_MAX_Z_VELOCITY * 1.25 + 1e-9);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_extrude_only(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 60.0, 10.0, 10.0, 0.0, 100.0);
    move_ok(th, 60.0, 10.0, 10.0, 10.0, 100.0);
    move_ok(th, 60.0, 10.0, 10.0, 8.0, 100.0);
    move_ok(th, 110.0, 10.0, 10.0, 8.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 4);
    const struct move *e = &rec.moves[1], *r = &rec.moves[2];
    assert_near(e->move_d, 10.0, 1e-12);
    assert_near(e->axes_r[AXIS_E], 1.0, 0.0);
    assert_near(e->axes_r[AXIS_X] + e->axes_r[AXIS_Y] + e->axes_r[AXIS_Z], 0.0, 0.0);
    assert_near(e->cruise_v, FIX_E_ONLY_VELOCITY, 1e-9);
    assert_near(e->accel, FIX_E_ONLY_ACCEL, 1e-9);
    assert_near(r->axes_r[AXIS_E], -1.0, 0.0);
    assert_near(r->move_d, 2.0, 1e-12);
    /* The head stops for the extruder-only moves and starts again. */
    assert_near(rec.moves[0].end_v, 0.0, 1e-12);
    assert_near(rec.moves[3].start_v, 0.0, 1e-12);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_retraction_with_travel(void **state)
{
    (void)state;
    /* Retracting while travelling is limited like a retraction, scaled to
     * the move: 2 mm of filament per mm of travel halves the limits. */
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 30.0, 10.0, 10.0, -40.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 1);
    assert_near(rec.moves[0].accel, FIX_E_ONLY_ACCEL * 0.5, 1e-9);
    assert_near(rec.moves[0].cruise_v, FIX_E_ONLY_VELOCITY * 0.5, 1e-9);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_extruder_junction(void **state)
{
    (void)state;
    /* Straight on, but the filament speed would jump from 0.03 mm per mm
     * of travel to none: the extruder allows 1 mm/s of jump. */
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 60.0, 10.0, 10.0, 1.5, 100.0);
    move_ok(th, 110.0, 10.0, 10.0, 1.5, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 2);
    assert_near(rec.moves[0].end_v, 1.0 / 0.03, 1e-9);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_extruder_errors(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 60.0, 10.0, 10.0, 0.0, 100.0);
    move_refused(th, &rec, 60.0, 10.0, 10.0, 60.0, 10.0,
                 "Extrude only move too long (60.000mm vs 50.000mm)\n"
                 "See the 'max_extrude_only_distance' config option for details");
    move_refused(th, &rec, 60.0, 10.0, 10.0, -50.5, 10.0,
                 "Extrude only move too long (-50.500mm vs 50.000mm)\n"
                 "See the 'max_extrude_only_distance' config option for details");
    /* 0.5 mm of filament per mm over 10 mm: 0.5 * pi * 0.875^2 mm^2
     * against the default 4 * 0.4^2. */
    move_refused(th, &rec, 70.0, 10.0, 10.0, 5.0, 10.0,
                 "Move exceeds maximum extrusion (1.203mm^2 vs 0.640mm^2)\n"
                 "See the 'max_extrude_cross_section' config option for details");
    /* A tiny blob is tolerated (1/16 mm of filament, under 0.4 mm * ratio). */
    move_ok(th, 60.125, 10.0, 10.0, 0.0625, 10.0);
    /* Exactly 50 mm is allowed. */
    move_ok(th, 60.125, 10.0, 10.0, 50.0625, 10.0);
    toolhead_flush(th);
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static int cold(void *ctx)
{
    int *calls = ctx;
    (*calls)++;
    return 0;
}

static void test_min_extrude_temp(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    int calls = 0;
    toolhead_set_can_extrude(th, cold, &calls);
    const char *want = "Extrude below minimum temp\n"
                       "See the 'min_extrude_temp' config option for details";
    move_refused(th, &rec, 10.0, 10.0, 10.0, 1.0, 10.0, want);
    move_refused(th, &rec, 10.0, 10.0, 10.0, -1.0, 10.0, want);
    move_refused(th, &rec, 20.0, 10.0, 10.0, 0.1, 10.0, want);
    assert_int_equal(calls, 3);
    /* Travel does not ask. */
    move_ok(th, 20.0, 10.0, 10.0, 0.0, 10.0);
    assert_int_equal(calls, 3);
    toolhead_set_can_extrude(th, NULL, NULL);
    move_ok(th, 20.0, 10.0, 10.0, 1.0, 10.0);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_no_extruder(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead_config cfg;
    fixture_config(&cfg, &rec);
    cfg.extruder.present = false;
    char err[200];
    struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
    assert_non_null(th);
    assert_int_equal(toolhead_set_position(th, HOME, AXES_XYZ, err, sizeof(err)), 0);
    move_refused(th, &rec, 20.0, 10.0, 10.0, 1.0, 10.0,
                 "Extrude when no extruder present: 20.000 10.000 10.000 [1.000]");
    move_ok(th, 20.0, 10.0, 10.0, 0.0, 10.0);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_kinematic_errors_change_nothing(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead_config cfg;
    fixture_config(&cfg, &rec);
    char err[200];
    struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
    assert_non_null(th);
    move_refused(th, &rec, 5.0, 0.0, 0.0, 0.0, 10.0,
                 "Must home axis first: 5.000 0.000 0.000 [0.000]");
    assert_int_equal(
        toolhead_set_position(th, HOME, AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Y), err, sizeof(err)), 0);
    move_ok(th, 50.0, 10.0, 10.0, 0.0, 100.0);
    move_ok(th, 50.0, 50.0, 10.0, 0.0, 100.0);
    move_refused(th, &rec, 50.0, 50.0, 5.0, 0.0, 10.0,
                 "Must home axis first: 50.000 50.000 5.000 [0.000]");
    move_refused(th, &rec, 50.0, 250.0, 10.0, 0.0, 10.0,
                 "Move out of range: 50.000 250.000 10.000 [0.000]");
    move_refused(th, &rec, NAN, 50.0, 10.0, 0.0, 10.0,
                 "Invalid position: X is nan (expected a finite number)");
    move_refused(th, &rec, 60.0, 50.0, 10.0, 0.0, 0.0, "Invalid speed: 0 mm/s (expected above 0)");
    move_refused(th, &rec, 60.0, 50.0, 10.0, 0.0, -INFINITY,
                 "Invalid speed: -inf mm/s (expected above 0)");
    /* The queue carries on as if the refused moves never came. */
    move_ok(th, 10.0, 50.0, 10.0, 0.0, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 3);
    check_sequence(&rec, HOME, FIX_START_TIME);
    /* Motors off: homing is lost with the queue left alone. */
    kinematics_clear_homing(toolhead_kinematics(th), AXES_XYZ);
    move_refused(th, &rec, 20.0, 50.0, 10.0, 0.0, 10.0,
                 "Must home axis first: 20.000 50.000 10.000 [0.000]");
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_null_move_ignored(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    move_ok(th, 10.0, 10.0, 10.0, 0.0, 100.0);
    /* Sub-nanometre travel is dropped: the commanded position keeps x. */
    move_ok(th, 10.0 + 1e-12, 10.0, 10.0, 0.0, 100.0);
    assert_int_equal(toolhead_queued_moves(th), 0);
    double pos[4];
    toolhead_get_position(th, pos);
    assert_memory_equal(pos, HOME, sizeof(pos));
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_lazy_flush(void **state)
{
    (void)state;
    /* Long moves around a square: each junction is a 5 mm/s dip, so a
     * move is final once two later peaks are queued. */
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, (double[4]){50, 50, 10, 0});
    static const double corners[][2] = {{150, 50}, {150, 150}, {50, 150}, {50, 50}};
    for (int i = 0; i < 12; i++) {
        move_ok(th, corners[i % 4][0], corners[i % 4][1], 10.0, 0.0, 100.0);
        assert_int_equal(rec.count, i >= 2 ? (size_t)(i - 1) : 0);
    }
    assert_int_equal(toolhead_queued_moves(th), 2);
    toolhead_flush(th);
    assert_int_equal(rec.count, 12);
    check_sequence(&rec, (double[4]){50, 50, 10, 0}, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

struct rng {
    uint64_t s;
};

static double rnd(struct rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(r->s >> 11) / 9007199254740992.0;
}

/* A print-like random walk: short and long moves, shallow and sharp
 * corners, collinear runs, Z hops, extrusion, retractions. */
static void random_walk(struct toolhead *th, uint64_t seed, int n)
{
    struct rng r = {seed};
    double pos[4];
    toolhead_get_position(th, pos);
    double heading = 0.0;
    for (int i = 0; i < n; i++) {
        double kind = rnd(&r);
        double speed = 5.0 + 150.0 * rnd(&r);
        if (kind < 0.05) {
            pos[AXIS_E] += (rnd(&r) < 0.5 ? -1.0 : 1.0) * (0.1 + 3.0 * rnd(&r));
        } else if (kind < 0.1) {
            pos[AXIS_Z] = 5.0 + 20.0 * rnd(&r);
        } else {
            double turn = rnd(&r) < 0.5 ? 0.0 : (rnd(&r) - 0.5) * 2.0 * M_PI;
            heading += turn;
            double len = rnd(&r) < 0.7 ? 0.05 + 2.0 * rnd(&r) : 5.0 + 40.0 * rnd(&r);
            double nx = pos[AXIS_X] + len * cos(heading), ny = pos[AXIS_Y] + len * sin(heading);
            if (nx < 1.0 || nx > 199.0 || ny < 1.0 || ny > 199.0) {
                heading += M_PI;
                continue;
            }
            pos[AXIS_X] = nx;
            pos[AXIS_Y] = ny;
            if (rnd(&r) < 0.6)
                pos[AXIS_E] += 0.03 * len;
        }
        move_ok(th, pos[0], pos[1], pos[2], pos[3], speed);
        if (rnd(&r) < 0.01) {
            char err[100];
            assert_int_equal(toolhead_dwell(th, 0.5 * rnd(&r), err, sizeof(err)), 0);
        }
    }
}

static void test_lazy_equals_full_lookahead(void **state)
{
    (void)state;
    /* Moves emitted lazily are final: planning the whole walk at once
     * gives the same moves. */
    for (int mcr = 0; mcr < 2; mcr++) {
        struct recorder lazy = {0}, whole = {0};
        struct toolhead_config cfg;
        char err[200];
        fixture_config(&cfg, &lazy);
        cfg.limits.minimum_cruise_ratio = mcr ? 0.5 : 0.0;
        struct toolhead *a = toolhead_new(&cfg, err, sizeof(err));
        cfg.sink_ctx = &whole;
        cfg.lookahead_time = 1e12;
        struct toolhead *b = toolhead_new(&cfg, err, sizeof(err));
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(toolhead_set_position(a, HOME, AXES_XYZ, err, sizeof(err)), 0);
        assert_int_equal(toolhead_set_position(b, HOME, AXES_XYZ, err, sizeof(err)), 0);
        random_walk(a, 42 + mcr, 5000);
        random_walk(b, 42 + mcr, 5000);
        assert_true(lazy.count > 0);
        toolhead_flush(a);
        toolhead_flush(b);
        assert_int_equal(lazy.count, whole.count);
        for (size_t i = 0; i < lazy.count; i++) {
            const struct move *x = &lazy.moves[i], *y = &whole.moves[i];
            assert_near(x->print_time, y->print_time, 1e-9 * fmax(1.0, y->print_time));
            assert_near(x->start_v, y->start_v, 1e-9);
            assert_near(x->cruise_v, y->cruise_v, 1e-9);
            assert_near(x->end_v, y->end_v, 1e-9);
            assert_near(x->accel_t, y->accel_t, 1e-12);
            assert_near(x->cruise_t, y->cruise_t, 1e-12);
            assert_near(x->decel_t, y->decel_t, 1e-12);
        }
        toolhead_free(a);
        toolhead_free(b);
        recorder_reset(&lazy);
        recorder_reset(&whole);
    }
}

static void check_limits_respected(const struct recorder *rec)
{
    for (size_t i = 0; i < rec->count; i++) {
        const struct move *m = &rec->moves[i];
        assert_true(
            m->cruise_v <= FIX_MAX_VELOCITY * (1 + 1e-12) ||
            (m->axes_r[AXIS_X] == 0.0 && m->axes_r[AXIS_Y] == 0.0 && m->axes_r[AXIS_Z] == 0.0));
        assert_true(m->accel <= FIX_MAX_ACCEL * (1 + 1e-12));
        double z = fabs(m->axes_r[AXIS_Z]);
        assert_true(z * m->cruise_v <= FIX_MAX_Z_VELOCITY * (1 + 1e-9));
        assert_true(z * m->accel <= FIX_MAX_Z_ACCEL * (1 + 1e-9));
        double e = fabs(m->axes_r[AXIS_E]);
        if (m->axes_r[AXIS_E] < 0.0 || (m->axes_r[AXIS_X] == 0.0 && m->axes_r[AXIS_Y] == 0.0)) {
            assert_true(e * m->cruise_v <= FIX_E_ONLY_VELOCITY * (1 + 1e-9));
            assert_true(e * m->accel <= FIX_E_ONLY_ACCEL * (1 + 1e-9));
        }
    }
}

static void test_random_walk_invariants(void **state)
{
    (void)state;
    for (int mcr = 0; mcr < 2; mcr++) {
        struct recorder rec = {0};
        struct toolhead_config cfg;
        char err[200];
        fixture_config(&cfg, &rec);
        cfg.limits.minimum_cruise_ratio = mcr ? 0.5 : 0.0;
        struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
        assert_non_null(th);
        assert_int_equal(toolhead_set_position(th, HOME, AXES_XYZ, err, sizeof(err)), 0);
        random_walk(th, 7 + mcr, 20000);
        double end = toolhead_get_last_move_time(th);
        assert_true(rec.count > 15000);
        /* Moves are contiguous except where the walk dwelled. */
        double t = FIX_START_TIME;
        double pos[4];
        memcpy(pos, HOME, sizeof(pos));
        size_t first = 0;
        for (size_t i = 0; i <= rec.count; i++) {
            bool gap = i == rec.count || fabs(rec.moves[i].print_time - t) > 1e-9 * t;
            if (gap) {
                struct recorder part = {rec.moves + first, i - first, 0};
                check_sequence(&part, pos, part.count ? part.moves[0].print_time : t);
                if (i == rec.count)
                    break;
                assert_true(rec.moves[i].print_time > t);
                first = i;
                const struct move *p = &rec.moves[i - 1];
                for (int a = 0; a < 4; a++)
                    pos[a] = p->start_pos[a] + p->axes_r[a] * p->move_d;
            }
            t = rec.moves[i].print_time + move_duration(&rec.moves[i]);
        }
        assert_true(end >= t);
        check_limits_respected(&rec);
        toolhead_free(th);
        recorder_reset(&rec);
    }
}

static void test_dwell_and_time(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    char err[200];
    move_ok(th, 110.0, 10.0, 10.0, 0.0, 100.0);
    assert_int_equal(toolhead_dwell(th, 0.5, err, sizeof(err)), 0);
    /* The dwell flushed the queue first. */
    assert_int_equal(rec.count, 1);
    assert_near(toolhead_get_last_move_time(th), FIX_START_TIME + 1.6, 1e-12);
    move_ok(th, 10.0, 10.0, 10.0, 0.0, 100.0);
    toolhead_flush(th);
    assert_near(rec.moves[1].print_time, FIX_START_TIME + 1.6, 1e-12);
    /* A negative dwell is none; a nonsense one is refused. */
    double t = toolhead_get_last_move_time(th);
    assert_int_equal(toolhead_dwell(th, -3.0, err, sizeof(err)), 0);
    assert_near(toolhead_get_last_move_time(th), t, 0.0);
    assert_int_equal(toolhead_dwell(th, NAN, err, sizeof(err)), -1);
    assert_string_equal(err, "Invalid dwell: nan s (expected a finite number)");
    assert_near(toolhead_get_last_move_time(th), t, 0.0);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_set_position(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead_config cfg;
    fixture_config(&cfg, &rec);
    char err[200];
    struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
    assert_non_null(th);
    assert_int_equal(kinematics_homed_axes(toolhead_kinematics(th)), 0);
    assert_int_equal(toolhead_set_position(th, HOME, AXES_XYZ, err, sizeof(err)), 0);
    assert_int_equal(kinematics_homed_axes(toolhead_kinematics(th)), AXES_XYZ);
    move_ok(th, 50.0, 10.0, 10.0, 2.0, 100.0);
    /* G92 E0: flushes, keeps homing, moves continue from there. */
    assert_int_equal(
        toolhead_set_position(th, (double[4]){50.0, 10.0, 10.0, 0.0}, 0, err, sizeof(err)), 0);
    assert_int_equal(rec.count, 1);
    assert_int_equal(kinematics_homed_axes(toolhead_kinematics(th)), AXES_XYZ);
    move_ok(th, 60.0, 10.0, 10.0, 0.5, 100.0);
    toolhead_flush(th);
    assert_int_equal(rec.count, 2);
    assert_near(rec.moves[1].start_pos[AXIS_E], 0.0, 0.0);
    assert_near(rec.moves[1].start_pos[AXIS_X], 50.0, 0.0);
    assert_near(rec.moves[1].print_time, rec.moves[0].print_time + move_duration(&rec.moves[0]),
                1e-12);
    /* A refused position changes nothing. */
    assert_int_equal(
        toolhead_set_position(th, (double[4]){NAN, 0.0, 0.0, 0.0}, AXES_XYZ, err, sizeof(err)), -1);
    assert_string_equal(err, "Invalid position: X is nan (expected a finite number)");
    double pos[4];
    toolhead_get_position(th, pos);
    assert_near(pos[AXIS_X], 60.0, 0.0);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_set_limits(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead *th = fixture_toolhead(&rec, HOME);
    char err[200];
    move_ok(th, 110.0, 10.0, 10.0, 0.0, 500.0);
    struct toolhead_limits lim, back;
    toolhead_get_limits(th, &lim);
    lim.max_accel = 500.0;
    lim.max_velocity = 50.0;
    assert_int_equal(toolhead_set_limits(th, &lim, err, sizeof(err)), 0);
    move_ok(th, 110.0, 110.0, 10.0, 0.0, 500.0);
    toolhead_flush(th);
    /* The queued move keeps the limits it was planned with. */
    assert_near(rec.moves[0].accel, FIX_MAX_ACCEL, 0.0);
    assert_near(rec.moves[0].cruise_v, FIX_MAX_VELOCITY, 1e-9);
    assert_near(rec.moves[1].accel, 500.0, 0.0);
    assert_near(rec.moves[1].cruise_v, 50.0, 1e-9);
    /* square_corner_velocity holds whatever the acceleration. */
    assert_near(rec.moves[0].end_v, FIX_SCV, 1e-9);
    struct toolhead_limits bad = lim;
    bad.minimum_cruise_ratio = 1.0;
    assert_int_equal(toolhead_set_limits(th, &bad, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "[printer] minimum_cruise_ratio must be at least 0 and below 1 (got 1)");
    bad = lim;
    bad.max_accel = -1.0;
    assert_int_equal(toolhead_set_limits(th, &bad, err, sizeof(err)), -1);
    assert_string_equal(err, "[printer] max_accel must be above 0 (got -1)");
    toolhead_get_limits(th, &back);
    assert_memory_equal(&back, &lim, sizeof(lim));
    check_sequence(&rec, HOME, FIX_START_TIME);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_bad_config(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead_config cfg;
    char err[200] = "";
    fixture_config(&cfg, &rec);
    cfg.limits.max_velocity = 0.0;
    assert_null(toolhead_new(&cfg, err, sizeof(err)));
    assert_string_equal(err, "[printer] max_velocity must be above 0 (got 0)");
    fixture_config(&cfg, &rec);
    cfg.limits.square_corner_velocity = -1.0;
    assert_null(toolhead_new(&cfg, err, sizeof(err)));
    assert_string_equal(err, "[printer] square_corner_velocity must be at least 0 (got -1)");
    fixture_config(&cfg, &rec);
    cfg.extruder.filament_area = 0.0;
    assert_null(toolhead_new(&cfg, err, sizeof(err)));
    assert_string_equal(err, "[extruder] filament_area must be above 0 (got 0)");
    fixture_config(&cfg, &rec);
    cfg.kin.position_min[2] = 500.0;
    assert_null(toolhead_new(&cfg, err, sizeof(err)));
    assert_string_equal(
        err, "[stepper_z] position_min (500.000) must not be above position_max (180.000)");
}

static void test_corexy_toolhead(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead_config cfg;
    char err[200];
    fixture_config(&cfg, &rec);
    cfg.kin.type = KIN_COREXY;
    struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
    assert_non_null(th);
    assert_int_equal(toolhead_set_position(th, HOME, AXES_XYZ, err, sizeof(err)), 0);
    move_ok(th, 100.0, 100.0, 10.0, 0.0, 100.0);
    move_refused(th, &rec, 100.0, 201.0, 10.0, 0.0, 100.0,
                 "Move out of range: 100.000 201.000 10.000 [0.000]");
    toolhead_flush(th);
    assert_int_equal(rec.count, 1);
    /* Steppers: a travels x + y, b travels x - y. */
    const struct kinematics *k = toolhead_kinematics(th);
    const struct move *m = &rec.moves[0];
    double end[4];
    for (int a = 0; a < 4; a++)
        end[a] = m->start_pos[a] + m->axes_r[a] * m->move_d;
    assert_near(kinematics_stepper_position(k, 0, end), 200.0, 1e-9);
    assert_near(kinematics_stepper_position(k, 1, end), 0.0, 1e-9);
    toolhead_free(th);
    recorder_reset(&rec);
}

static void test_none_kinematics_toolhead(void **state)
{
    (void)state;
    struct recorder rec = {0};
    struct toolhead_config cfg;
    char err[200];
    fixture_config(&cfg, &rec);
    cfg.kin.type = KIN_NONE;
    cfg.start_print_time = 0.0;
    struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
    assert_non_null(th);
    /* No homing, no range: the planner still times the move. */
    move_ok(th, 1000.0, 0.0, 0.0, 0.0, 100.0);
    assert_near(toolhead_get_last_move_time(th), 10.1, 1e-9);
    /* Nonsense that passes every range check is still refused. */
    move_refused(th, &rec, -1e308, 0.0, 0.0, 0.0, 100.0,
                 "Move too long: its length overflows: -1e+308 0 0 [0]");
    move_refused(th, &rec, 0.0, 1.0, 0.0, 0.0, 1e-200,
                 "Invalid speed: 1e-200 mm/s (too slow to plan)");
    toolhead_free(th);
    recorder_reset(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_long_move),
        cmocka_unit_test(test_short_move_triangle),
        cmocka_unit_test(test_collinear_keeps_speed),
        cmocka_unit_test(test_square_corner),
        cmocka_unit_test(test_other_corners),
        cmocka_unit_test(test_reversal_stops),
        cmocka_unit_test(test_corner_limited_to_mid_move),
        cmocka_unit_test(test_corner_with_z_limited_move),
        cmocka_unit_test(test_minimum_cruise_ratio),
        cmocka_unit_test(test_z_limited),
        cmocka_unit_test(test_extrude_only),
        cmocka_unit_test(test_retraction_with_travel),
        cmocka_unit_test(test_extruder_junction),
        cmocka_unit_test(test_extruder_errors),
        cmocka_unit_test(test_min_extrude_temp),
        cmocka_unit_test(test_no_extruder),
        cmocka_unit_test(test_kinematic_errors_change_nothing),
        cmocka_unit_test(test_null_move_ignored),
        cmocka_unit_test(test_lazy_flush),
        cmocka_unit_test(test_lazy_equals_full_lookahead),
        cmocka_unit_test(test_random_walk_invariants),
        cmocka_unit_test(test_dwell_and_time),
        cmocka_unit_test(test_set_position),
        cmocka_unit_test(test_set_limits),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_corexy_toolhead),
        cmocka_unit_test(test_none_kinematics_toolhead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
