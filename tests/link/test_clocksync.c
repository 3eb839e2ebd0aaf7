/* Clock synchronisation on synthetic round trips: a perfect clock (as in
 * simulation), a drifting one read through a jittery link, a late
 * sample, an impossible sample and an MCU whose clock restarted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "clocksync.h"

#define FREQ 16000000u
#define MS 1000000ull
#define US 1000ull
#define SEC 1000000000ull

/* The MCU's true clock: offset + rate * t. */
struct mcu_clock {
    double offset, rate; /* ticks, ticks per second */
};

static uint64_t true_clock(const struct mcu_clock *c, uint64_t t_ns)
{
    return (uint64_t)(c->offset + c->rate * ((double)t_ns * 1e-9));
}

static int64_t est_error(const struct clocksync *cs, const struct mcu_clock *c, uint64_t t_ns)
{
    return (int64_t)(clocksync_est_clock(cs, t_ns) - true_clock(c, t_ns));
}

/* A fixed, seeded sequence: the test is the same on every run. */
static uint64_t rng_state = 12345;
static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* One round trip: the MCU reads its clock a fraction `at` of the way
 * through [sent, sent + width]. */
static int sample(struct clocksync *cs, const struct mcu_clock *c, uint64_t sent, uint64_t width,
                  double at)
{
    uint64_t read = sent + (uint64_t)((double)width * at);
    return clocksync_add(cs, sent, sent + width, true_clock(c, read));
}

static void test_no_samples(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    assert_int_equal(clocksync_samples(cs), 0);
    assert_int_equal(clocksync_nominal_freq(cs), FREQ);
    assert_true(clocksync_freq(cs) == FREQ);
    /* Batch mode's clock: time x CLOCK_FREQ, print time = transport time. */
    assert_int_equal(clocksync_est_clock(cs, 1500 * MS), 24000000);
    assert_int_equal(clocksync_est_clock(cs, 62), 0);
    assert_int_equal(clocksync_est_clock(cs, 63), 1);
    assert_int_equal(clocksync_clock_to_time(cs, 24000000), 1500 * MS);
    assert_int_equal(clocksync_clock_to_time(cs, 1), 63);
    assert_int_equal(clocksync_clock_to_time(cs, 0), 0);
    assert_true(clocksync_est_print_time(cs, 2 * SEC + 500 * MS) == 2.5);
    assert_int_equal(clocksync_print_time_to_clock(cs, 0.25), 4000000);
    assert_int_equal(clocksync_print_time_to_clock(cs, 1.0 / 3.0), 5333333);
    assert_int_equal(clocksync_print_time_to_clock(cs, -1.0), 0);
    assert_true(clocksync_clock_to_print_time(cs, 8000000) == 0.5);
    /* Hours of clock do not overflow. */
    uint64_t day = 86400 * SEC;
    assert_int_equal(clocksync_est_clock(cs, day), 86400ull * FREQ);
    assert_int_equal(clocksync_clock_to_time(cs, 86400ull * FREQ), day);
    assert_int_equal(clocksync_add(cs, 10, 9, 0), -1);
    assert_int_equal(clocksync_samples(cs), 0);
    clocksync_destroy(cs);
}

/* As in simulation: an exact clock and identical round trips. The
 * frequency comes out exact and the estimate does not move from one
 * sample to the next. */
static void test_perfect_clock(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    struct mcu_clock c = {123456789.0, FREQ};
    uint64_t t = 3 * SEC;
    int64_t first = 0;
    for (int i = 0; i < 80; i++) {
        /* A burst at connect time, then one a second. */
        t += i < 8 ? 10 * MS : SEC;
        assert_int_equal(sample(cs, &c, t, 400 * US, 0.25), 0);
        double ferr = clocksync_freq(cs) / FREQ - 1.0;
        assert_true(ferr < 1e-9 && ferr > -1e-9);
        /* The line sits at the middle of each interval: 100 us late. */
        int64_t e = est_error(cs, &c, t + SEC / 2);
        if (i == 0)
            first = e;
        if (e != first)
            fail_msg("sample %d: estimate moved from %lld to %lld", i, (long long)first,
                     (long long)e);
    }
    assert_true(first >= -1601 && first <= -1599);
    /* An hour ahead it has not drifted. */
    assert_true(llabs(est_error(cs, &c, t + 3600 * SEC) - first) <= 1);
    assert_int_equal(clocksync_samples(cs), CLOCKSYNC_WINDOW);
    const struct clocksync_stats *s = clocksync_get_stats(cs);
    assert_int_equal(s->accepted, 80);
    assert_int_equal(s->refused, 0);
    clocksync_destroy(cs);

    /* Read exactly at the middle: exact to the tick. */
    cs = clocksync_create(FREQ);
    t = 0;
    for (int i = 0; i < 40; i++) {
        t += SEC;
        sample(cs, &c, t, 400 * US, 0.5);
    }
    for (uint64_t dt = 0; dt < 100 * SEC; dt += 7 * SEC + 12345)
        assert_true(llabs(est_error(cs, &c, t + dt)) <= 1);
    clocksync_destroy(cs);
}

/* A crystal 50 ppm fast, read through a link whose round trips vary from
 * 0.1 to 2 ms, the clock read anywhere inside each. CLOCK_FREQ alone
 * would be 800 ticks a second off. */
static void test_drift_and_jitter(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    struct mcu_clock c = {987654.0, FREQ * (1 + 50e-6)};
    uint64_t t = SEC;
    for (int i = 0; i < 60; i++) {
        t += SEC + (uint64_t)(uniform() * 50 * MS);
        uint64_t width = 100 * US + (uint64_t)(uniform() * uniform() * 1900 * US);
        assert_int_equal(sample(cs, &c, t, width, uniform()), 0);
    }
    double ppm = (clocksync_freq(cs) / c.rate - 1.0) * 1e6;
    if (ppm > 2 || ppm < -2)
        fail_msg("frequency %.1f ppm off", ppm);
    /* Within 10 us, now and a second on. */
    for (uint64_t dt = 0; dt <= SEC; dt += SEC / 4) {
        int64_t e = est_error(cs, &c, t + dt);
        if (llabs(e) > 160)
            fail_msg("estimate %lld ticks off %llu ns after the last sample", (long long)e,
                     (unsigned long long)dt);
    }
    clocksync_destroy(cs);
}

/* The frequency itself wanders (a warming crystal): the window follows. */
static void test_changing_drift(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    struct mcu_clock c = {0, FREQ * (1 + 30e-6)};
    uint64_t t = 0;
    for (int i = 0; i < 40; i++) {
        t += SEC;
        sample(cs, &c, t, 300 * US, 0.5);
    }
    /* Rate changes to -30 ppm, continuously at t. */
    struct mcu_clock c2 = {0, FREQ * (1 - 30e-6)};
    c2.offset = (c.rate - c2.rate) * ((double)t * 1e-9);
    for (int i = 0; i < 40; i++) {
        t += SEC;
        int r = sample(cs, &c2, t, 300 * US, 0.5);
        assert_true(r == 0);
    }
    double ppm = (clocksync_freq(cs) / c2.rate - 1.0) * 1e6;
    assert_true(ppm < 0.5 && ppm > -0.5);
    assert_true(llabs(est_error(cs, &c2, t)) <= 2);
    clocksync_destroy(cs);
}

static void steady_samples(struct clocksync *cs, const struct mcu_clock *c, uint64_t *t, int n)
{
    for (int i = 0; i < n; i++) {
        *t += SEC;
        assert_int_equal(sample(cs, c, *t, 300 * US, 0.5), 0);
    }
}

/* A reply held up for 20 ms (a busy host, a USB hiccup): its interval is
 * wide, so it hardly counts. An even weighting would move the estimate
 * by about 5000 ticks. */
static void test_late_sample(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    struct mcu_clock c = {5e6, FREQ * (1 + 20e-6)};
    uint64_t t = 0;
    steady_samples(cs, &c, &t, 40);
    uint64_t probe = t + SEC / 2;
    uint64_t before = clocksync_est_clock(cs, probe);
    double fbefore = clocksync_freq(cs);
    t += SEC;
    /* Read at the start: the reply then waited the whole 20 ms. */
    assert_int_equal(sample(cs, &c, t, 20 * MS, 0.0), 0);
    int64_t moved = (int64_t)(clocksync_est_clock(cs, probe) - before);
    if (llabs(moved) > 5)
        fail_msg("a late sample moved the estimate by %lld ticks", (long long)moved);
    assert_true(clocksync_freq(cs) / fbefore - 1 < 1e-7);
    assert_true(clocksync_freq(cs) / fbefore - 1 > -1e-7);
    clocksync_destroy(cs);
}

/* A sample whose clock cannot lie on the line anywhere in its interval is
 * refused and changes nothing. */
static void test_impossible_sample_refused(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    struct mcu_clock c = {0, FREQ};
    uint64_t t = 0;
    steady_samples(cs, &c, &t, 10);
    uint64_t before = clocksync_est_clock(cs, t + SEC);
    /* 5 ms of clock too many for the interval it claims. */
    assert_int_equal(
        clocksync_add(cs, t + SEC, t + SEC + 300 * US, true_clock(&c, t + SEC) + 5 * FREQ / 1000),
        1);
    assert_int_equal(clocksync_est_clock(cs, t + SEC), before);
    assert_int_equal(clocksync_get_stats(cs)->refused, 1);
    /* Good samples afterwards are taken as before. */
    t += SEC;
    steady_samples(cs, &c, &t, 2);
    assert_int_equal(clocksync_get_stats(cs)->restarts, 0);
    clocksync_destroy(cs);
}

/* The MCU restarted: its clock starts again from 0. A few refusals, then
 * the estimate starts over and follows the new clock. */
static void test_restart_after_refusals(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    struct mcu_clock c = {7e9, FREQ};
    uint64_t t = 0;
    steady_samples(cs, &c, &t, 20);
    struct mcu_clock fresh = {0, FREQ};
    fresh.offset = -(double)FREQ * ((double)(t + SEC) * 1e-9);
    for (int i = 0; i < CLOCKSYNC_MAX_REFUSED; i++) {
        t += SEC;
        assert_int_equal(sample(cs, &fresh, t, 300 * US, 0.5), 1);
    }
    t += SEC;
    assert_int_equal(sample(cs, &fresh, t, 300 * US, 0.5), 0);
    const struct clocksync_stats *s = clocksync_get_stats(cs);
    assert_int_equal(s->restarts, 1);
    assert_int_equal(s->refused, CLOCKSYNC_MAX_REFUSED);
    /* The refused samples were the evidence: all of them are in. */
    assert_int_equal(clocksync_samples(cs), CLOCKSYNC_MAX_REFUSED + 1);
    assert_true(llabs(est_error(cs, &fresh, t + SEC)) <= 1);
    assert_int_equal(clocksync_last_clock(cs), true_clock(&fresh, t + 150 * US));
    clocksync_destroy(cs);
}

static void test_inverse_agrees(void **state)
{
    (void)state;
    struct clocksync *cs = clocksync_create(FREQ);
    struct mcu_clock c = {4e9, FREQ * (1 - 70e-6)};
    uint64_t t = 100 * SEC;
    for (int i = 0; i < 20; i++) {
        t += SEC;
        sample(cs, &c, t, 250 * US + (uint64_t)(uniform() * 500 * US), uniform());
    }
    uint64_t base = clocksync_est_clock(cs, t);
    for (int i = 0; i < 2000; i++) {
        uint64_t clock = base + (uint64_t)(uniform() * 100.0 * FREQ);
        uint64_t when = clocksync_clock_to_time(cs, clock);
        assert_true(clocksync_est_clock(cs, when) >= clock);
        assert_true(clocksync_est_clock(cs, when - 1) < clock);
    }
    clocksync_destroy(cs);
}

static void test_clock32_to_64(void **state)
{
    (void)state;
    assert_int_equal(clocksync_clock32_to_64(0x100000010ull, 0xfffffff0u), 0xfffffff0ull);
    assert_int_equal(clocksync_clock32_to_64(0x1fffffff0ull, 0x10u), 0x200000010ull);
    assert_int_equal(clocksync_clock32_to_64(0x1fffffff0ull, 0xfffffff8u), 0x1fffffff8ull);
    /* Before the clock has wrapped once nothing goes below 0. */
    assert_int_equal(clocksync_clock32_to_64(5, 0xfffffff0u), 0xfffffff0ull);
    assert_int_equal(clocksync_clock32_to_64(0, 1234), 1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_samples),
        cmocka_unit_test(test_perfect_clock),
        cmocka_unit_test(test_drift_and_jitter),
        cmocka_unit_test(test_changing_drift),
        cmocka_unit_test(test_late_sample),
        cmocka_unit_test(test_impossible_sample_refused),
        cmocka_unit_test(test_restart_after_refusals),
        cmocka_unit_test(test_inverse_agrees),
        cmocka_unit_test(test_clock32_to_64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
