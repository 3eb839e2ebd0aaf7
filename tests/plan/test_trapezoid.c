#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plan_fixture.h"
#include "trapezoid.h"

static struct move plan(double d, double accel, double r, double start_v, double max_v,
                        double end_v)
{
    struct trapezoid_request rq = {
        .move_d = d,
        .accel = accel,
        .minimum_cruise_ratio = r,
        .start_v2 = start_v * start_v,
        .max_cruise_v2 = max_v * max_v,
        .end_v2 = end_v * end_v,
    };
    struct move m = {0};
    trapezoid_plan(&rq, &m);
    assert_near(move_phase_distance(&m), d, 1e-9 * fmax(1.0, d));
    return m;
}

static void test_long_move_reaches_cruise(void **state)
{
    (void)state;
    /* 100 mm at 100 mm/s, 1000 mm/s^2: 0.1 s and 5 mm per ramp. */
    struct move m = plan(100.0, 1000.0, 0.0, 0.0, 100.0, 0.0);
    assert_near(m.cruise_v, 100.0, 1e-9);
    assert_near(m.start_v, 0.0, 1e-12);
    assert_near(m.end_v, 0.0, 1e-12);
    assert_near(m.accel_t, 0.1, 1e-12);
    assert_near(m.decel_t, 0.1, 1e-12);
    assert_near(m.cruise_t, 0.9, 1e-12);
    assert_near(m.accel, 1000.0, 0.0);
}

static void test_short_move_is_triangle(void **state)
{
    (void)state;
    /* 2 mm: the ramps meet at v^2 = accel * d before 100 mm/s. */
    struct move m = plan(2.0, 1000.0, 0.0, 0.0, 100.0, 0.0);
    double peak = sqrt(1000.0 * 2.0);
    assert_near(m.cruise_v, peak, 1e-9);
    assert_near(m.cruise_t, 0.0, 1e-12);
    assert_near(m.accel_t, peak / 1000.0, 1e-12);
    assert_near(m.decel_t, peak / 1000.0, 1e-12);
}

static void test_junction_speeds(void **state)
{
    (void)state;
    /* From 20 mm/s to 10 mm/s over 10 mm, limited to 100 mm/s. */
    struct move m = plan(10.0, 1000.0, 0.0, 20.0, 100.0, 10.0);
    assert_near(m.start_v, 20.0, 1e-9);
    assert_near(m.end_v, 10.0, 1e-9);
    assert_near(m.cruise_v, 100.0, 1e-9);
    assert_near(m.accel_t, 80.0 / 1000.0, 1e-12);
    assert_near(m.decel_t, 90.0 / 1000.0, 1e-12);
    assert_near(m.cruise_t * 100.0, 10.0 - 4.8 - 4.95, 1e-9);
}

static void test_start_limited_by_reach(void **state)
{
    (void)state;
    /* A 1 mm move that must end at rest cannot start faster than
     * sqrt(2 * a * d) whatever the junction allows. */
    struct move m = plan(1.0, 1000.0, 0.0, 500.0, 500.0, 0.0);
    double v = sqrt(2.0 * 1000.0 * 1.0);
    assert_near(m.start_v, v, 1e-9);
    assert_near(m.cruise_v, v, 1e-9);
    assert_near(m.accel_t, 0.0, 1e-12);
    assert_near(m.cruise_t, 0.0, 1e-12);
    assert_near(m.decel_t, v / 1000.0, 1e-12);
    /* And the end is lowered to what the start can reach. */
    m = plan(1.0, 1000.0, 0.0, 0.0, 500.0, 500.0);
    assert_near(m.end_v, v, 1e-9);
    assert_near(m.decel_t, 0.0, 1e-12);
}

static void test_minimum_cruise_ratio(void **state)
{
    (void)state;
    /* Klipper's documented example: with a ratio of 0.5 a standalone
     * 1.5 mm move cruises over at least 0.75 mm. */
    struct move m = plan(1.5, 1000.0, 0.5, 0.0, 100.0, 0.0);
    assert_near(m.cruise_v * m.cruise_t, 0.75, 1e-9);
    assert_near(m.accel_t, m.decel_t, 1e-12);
    /* Without it the same move is a triangle, and faster. */
    struct move t = plan(1.5, 1000.0, 0.0, 0.0, 100.0, 0.0);
    assert_near(t.cruise_t, 0.0, 1e-12);
    assert_true(t.cruise_v > m.cruise_v);
    /* The full acceleration is still used on the ramps. */
    assert_near(m.accel, 1000.0, 0.0);
    /* A long move that cruises anyway is unaffected. */
    struct move l = plan(100.0, 1000.0, 0.5, 0.0, 100.0, 0.0);
    assert_near(l.cruise_v, 100.0, 1e-9);
    assert_near(l.accel_t, 0.1, 1e-12);
    /* Between equal junction speeds, cruise covers r of the move. */
    struct move j = plan(3.0, 1000.0, 0.25, 30.0, 1000.0, 30.0);
    assert_near(j.cruise_v * j.cruise_t, 0.75, 1e-9);
    assert_near(j.start_v, 30.0, 1e-9);
}

static void test_ratio_keeps_junction_speeds(void **state)
{
    (void)state;
    /* A move decelerating over its whole length keeps its start speed. */
    double v0 = sqrt(2.0 * 1000.0 * 2.0);
    struct move m = plan(2.0, 1000.0, 0.9, v0, 1000.0, 0.0);
    assert_near(m.start_v, v0, 1e-9);
    assert_near(m.cruise_v, v0, 1e-9);
    assert_near(m.decel_t, v0 / 1000.0, 1e-12);
}

static void test_set_exact(void **state)
{
    (void)state;
    struct move m = {.move_d = 10.0, .accel = 500.0};
    /* 0 -> 50 mm/s takes 2.5 mm, 50 -> 30 mm/s 1.6 mm. */
    trapezoid_set(&m, 0.0, 2500.0, 900.0);
    assert_near(m.accel_t, 0.1, 1e-12);
    assert_near(m.decel_t, 0.04, 1e-12);
    assert_near(m.cruise_t, (10.0 - 2.5 - 1.6) / 50.0, 1e-12);
    assert_near(move_phase_distance(&m), 10.0, 1e-12);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void test_random_profiles_are_consistent(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; i++) {
        double d = 0.001 + 50.0 * rnd() * rnd();
        double accel = 10.0 + 5000.0 * rnd();
        double r = 0.95 * rnd() * (rnd() < 0.5);
        double vmax = 1.0 + 300.0 * rnd();
        double sv = vmax * 1.2 * rnd(), ev = vmax * 1.2 * rnd();
        struct move m = plan(d, accel, r, sv, vmax, ev);
        assert_true(m.start_v <= sv * (1 + 1e-12) + 1e-12);
        assert_true(m.cruise_v <= vmax * (1 + 1e-12));
        assert_true(m.start_v <= m.cruise_v * (1 + 1e-12));
        assert_true(m.end_v <= m.cruise_v * (1 + 1e-12));
        assert_true(m.accel_t >= 0.0 && m.cruise_t >= 0.0 && m.decel_t >= 0.0);
        if (m.accel_t > 0.0)
            assert_near(m.start_v + accel * m.accel_t, m.cruise_v, 1e-6 * m.cruise_v);
        if (m.decel_t > 0.0)
            assert_near(m.cruise_v - accel * m.decel_t, m.end_v, 1e-6 * m.cruise_v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_move_reaches_cruise),
        cmocka_unit_test(test_short_move_is_triangle),
        cmocka_unit_test(test_junction_speeds),
        cmocka_unit_test(test_start_limited_by_reach),
        cmocka_unit_test(test_minimum_cruise_ratio),
        cmocka_unit_test(test_ratio_keeps_junction_speeds),
        cmocka_unit_test(test_set_exact),
        cmocka_unit_test(test_random_profiles_are_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
