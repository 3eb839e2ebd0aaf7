/* The clock estimate against the firmware on both simulated MCUs, whose
 * clocks are perfect. On the native port the MCU answers a query after
 * the same delay every time: the frequency comes out exact and the
 * estimate's error never changes, from the first sample on. The simulated
 * AVR's answer comes a few microseconds earlier or later depending on
 * where its main loop was (that is how the chip behaves), which is noise
 * in the samples: the estimate holds still within that noise, and the
 * frequency within a ppm once the window is full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mcu_link.h"
#include "sim_mcu.h"
#include "transport_sim.h"

#define MS 1000000ull

struct expect {
    double max_freq_error; /* relative, once the window is full */
    int64_t max_wander;    /* ticks, around the error once the window is full */
    int64_t max_abs_error; /* ticks; -1: the MCU clock's origin is unknown */
    int exact_from_start;  /* the bounds hold from the first sample */
};

static void check_backend(const char *backend, const struct expect *x)
{
    char err[512];
    struct link_transport *t = link_sim_open(backend, err, sizeof(err));
    if (!t)
        fail_msg("%s: %s", backend, err);
    struct sim_mcu *sim = link_sim_mcu(t);
    struct link_mcu *m = link_mcu_open(t, 1, NULL, err, sizeof(err));
    if (!m)
        fail_msg("%s: %s", backend, err);
    const struct clocksync *cs = link_mcu_clocksync(m);
    assert_non_null(cs);
    uint32_t freq = link_mcu_freq(m);
    int64_t ref = 0;
    int have_ref = 0;
    for (int i = 0; i < 50; i++) {
        /* A burst as at connect time, then two a second. */
        assert_int_equal(link_mcu_run_for(m, i < 5 ? 20 * MS : 500 * MS), 0);
        if (link_mcu_sync_clock(m, err, sizeof(err)))
            fail_msg("%s: %s", backend, err);
        /* The MCU's clock is its cycle counter (plus, on the AVR, where
         * Timer1 started): the difference is the estimate's error. */
        int64_t e = (int64_t)(link_mcu_clock_now(m) - sim_mcu_cycle(sim));
        double ferr = clocksync_freq(cs) / freq - 1.0;
        if (getenv("CLOCK_SIM_TRACE"))
            fprintf(stderr, "%s %d: error %lld ticks, frequency %.3f, %zu samples\n", backend, i,
                    (long long)e, clocksync_freq(cs), clocksync_samples(cs));
        if (!x->exact_from_start && clocksync_samples(cs) < CLOCKSYNC_WINDOW)
            continue;
        if (ferr > x->max_freq_error || ferr < -x->max_freq_error)
            fail_msg("%s: sample %d: frequency off by %g", backend, i, ferr);
        if (!have_ref) {
            ref = e;
            have_ref = 1;
        }
        if (e - ref > x->max_wander || e - ref < -x->max_wander)
            fail_msg("%s: sample %d: estimate moved by %lld ticks", backend, i,
                     (long long)(e - ref));
    }
    if (x->max_abs_error >= 0 && (ref > x->max_abs_error || ref < -x->max_abs_error))
        fail_msg("%s: estimate %lld ticks off", backend, (long long)ref);
    assert_int_equal(clocksync_get_stats(cs)->refused, 0);
    assert_int_equal(clocksync_samples(cs), CLOCKSYNC_WINDOW);
    link_mcu_close(m);
}

static void test_native(void **state)
{
    (void)state;
    /* Its clock is the cycle counter. The estimate sits at the middle of
     * the round trip: 100 us early, half the ack block that precedes each
     * reply. */
    const struct expect x = {1e-9, 1, 1600, 1};
    check_backend("native", &x);
}

static void test_avr(void **state)
{
    (void)state;
    const struct expect x = {1e-6, 120, -1, 0};
    check_backend("avr", &x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native),
        cmocka_unit_test(test_avr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
