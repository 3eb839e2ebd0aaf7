#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heater_control.h"
#include "heater_fixture.h"
#include "verify_heater.h"

static const char EXTRUDER_FAULT[] = "Heater extruder not heating at expected rate\n"
                                     "See the 'verify_heater' section in docs/Config_Reference.md\n"
                                     "for the parameters that control this check.\n";

static struct verify_heater make(const char *name)
{
    struct verify_heater_params p;
    verify_heater_defaults(name, &p);
    struct verify_heater v;
    char err[200] = "";
    if (verify_heater_init(&v, name, &p, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return v;
}

/* Feed (temp, target) every 0.3 s from start to end; returns the time it
 * fired, or -1. */
static double run_const(struct verify_heater *v, double start, double end, double temp,
                        double target, char *msg, size_t len)
{
    for (double t = start; t <= end; t += 0.3)
        if (verify_heater_check(v, t, temp, target, msg, len) == 1)
            return t;
    return -1.0;
}

static void defaults(void **state)
{
    (void)state;
    struct verify_heater_params p;
    verify_heater_defaults("extruder", &p);
    assert_float_equal(p.max_error, 120.0, 0.0);
    assert_float_equal(p.check_gain_time, 20.0, 0.0);
    assert_float_equal(p.hysteresis, 5.0, 0.0);
    assert_float_equal(p.heating_gain, 2.0, 0.0);
    verify_heater_defaults("heater_bed", &p);
    assert_float_equal(p.check_gain_time, 60.0, 0.0);
}

/* A heater that stays at ambient after M104 S200 fails once
 * check_gain_time has passed: within check_gain_time + 2 checks. */
static void not_heating_extruder(void **state)
{
    (void)state;
    struct verify_heater v = make("extruder");
    char msg[300] = "";
    assert_true(run_const(&v, 0.0, 10.0, 25.0, 0.0, msg, sizeof(msg)) < 0.0);
    double fired = run_const(&v, 10.2, 100.0, 25.0, 200.0, msg, sizeof(msg));
    print_message("target set at 10.2 s, fired at %.1f s\n", fired);
    assert_true(fired >= 10.2 + 20.0);
    assert_true(fired <= 10.2 + 20.0 + 2.0 * VERIFY_HEATER_CHECK_PERIOD);
    assert_string_equal(msg, EXTRUDER_FAULT);
    /* Latched: it stays fired, without repeating the message. */
    msg[0] = '\0';
    assert_int_equal(verify_heater_check(&v, fired + 1.0, 200.0, 200.0, msg, sizeof(msg)), 1);
    assert_string_equal(msg, "");
}

static void not_heating_bed(void **state)
{
    (void)state;
    struct verify_heater v = make("heater_bed");
    char msg[300] = "";
    double fired = run_const(&v, 0.0, 200.0, 22.0, 60.0, msg, sizeof(msg));
    assert_true(fired >= 60.0 && fired <= 62.0);
    assert_non_null(strstr(msg, "Heater heater_bed not heating at expected rate\n"));
}

/* Slow but steady heating (2 C every 15 s) passes; slower (2 C per 25 s)
 * fails once a gain takes longer than check_gain_time. */
static void gain_per_check_gain_time(void **state)
{
    (void)state;
    struct verify_heater v = make("extruder");
    char msg[300] = "";
    for (double t = 0.0; t < 600.0; t += 0.3)
        assert_int_equal(verify_heater_check(&v, t, 25.0 + t * 2.0 / 15.0, 200.0, msg, 300), 0);
    v = make("extruder");
    double fired = -1.0;
    for (double t = 0.0; t < 600.0 && fired < 0.0; t += 0.3)
        if (verify_heater_check(&v, t, 25.0 + t * 2.0 / 25.0, 200.0, msg, 300) == 1)
            fired = t;
    assert_true(fired > 20.0 && fired < 30.0);
}

/* Each gain clears the error: a heater that creeps up at 1 C/s and
 * stalls 1 C under the band has only its deficit since the last gain
 * counted, and fails max_error / 1 C checks after that gain (168 s). */
static void stall_under_band(void **state)
{
    (void)state;
    struct verify_heater v = make("extruder");
    char msg[300] = "";
    double fired = -1.0;
    for (double t = 0.0; t < 600.0 && fired < 0.0; t += 0.3) {
        double temp = t < 169.0 ? 25.0 + t : 194.0;
        if (verify_heater_check(&v, t, temp, 200.0, msg, sizeof(msg)) == 1)
            fired = t;
    }
    print_message("stalled at 169 s, fired at %.1f s\n", fired);
    assert_true(fired >= 280.0 && fired <= 292.0);
}

/* At a reached target, sagging below target - hysteresis adds the
 * deficit every second: 5 C below the range fires after 120 / 5 = 24
 * checks. */
static void drift_below_target(void **state)
{
    (void)state;
    struct verify_heater v = make("extruder");
    char msg[300] = "";
    assert_true(run_const(&v, 0.0, 100.0, 200.0, 200.0, msg, sizeof(msg)) < 0.0);
    double fired = run_const(&v, 100.2, 200.0, 190.0, 200.0, msg, sizeof(msg));
    print_message("drop at 100.2 s, fired at %.1f s\n", fired);
    assert_true(fired >= 100.2 + 23.0 && fired <= 100.2 + 25.0);
    assert_string_equal(msg, EXTRUDER_FAULT);
}

/* Within the hysteresis band nothing accumulates; above it the error is
 * kept but does not grow. */
static void band_and_overshoot(void **state)
{
    (void)state;
    struct verify_heater v = make("extruder");
    char msg[300] = "";
    assert_true(run_const(&v, 0.0, 1000.0, 195.5, 200.0, msg, sizeof(msg)) < 0.0);
    /* 10 checks 6 C under the range: error 60. */
    assert_true(run_const(&v, 1000.2, 1009.9, 189.0, 200.0, msg, sizeof(msg)) < 0.0);
    /* Overshoot keeps it; the next sag adds to it: 60 more fire after 10. */
    assert_true(run_const(&v, 1010.2, 1100.0, 210.0, 200.0, msg, sizeof(msg)) < 0.0);
    double fired = run_const(&v, 1100.2, 1200.0, 189.0, 200.0, msg, sizeof(msg));
    assert_true(fired > 1100.2 + 8.0 && fired < 1100.2 + 12.0);
}

/* A healthy heat-up under PID, and under watermark on a slow bed, never
 * fires; then a heater failure (power lost) does. */
static void healthy_heat_up(void **state)
{
    (void)state;
    struct {
        const char *name;
        enum heater_control control;
        struct plant plant;
        double target;
    } cases[] = {
        {"extruder", HEATER_CONTROL_PID, {25.0, 25.0, 300.0, 75.0}, 240.0},
        {"heater_bed", HEATER_CONTROL_WATERMARK, {22.0, 22.0, 100.0, 400.0}, 100.0},
    };
    for (size_t c = 0; c < 2; c++) {
        struct heater_config hc;
        fixture_heater_config(&hc, "Generic 3950", cases[c].control);
        struct heater *h = heater_create(cases[c].name, &hc, NULL, 0);
        assert_non_null(h);
        struct heater_sim sim;
        sim_init(&sim, h, cases[c].plant);
        struct verify_heater v = make(cases[c].name);
        char msg[300] = "";
        double target_time = 10.0, t = 0.0;
        for (; t < 1800.0; t += TEMP_SENSOR_REPORT_TIME) {
            if (t >= target_time && heater_target(h) == 0.0)
                assert_int_equal(heater_set_target(h, cases[c].target, NULL, 0), 0);
            sim_step(&sim, t);
            double temp, target;
            heater_get_temp(h, t, &temp, &target);
            if (verify_heater_check(&v, t, temp, target, msg, sizeof(msg)) != 0)
                fail_msg("%s: fired at %.1f s at %.1f C: %s", cases[c].name, t, temp, msg);
        }
        struct heater_status st;
        heater_get_status(h, &st);
        assert_float_equal(st.temperature, cases[c].target, 3.0);
        /* The heater element breaks: the plant gets no power. */
        sim.plant.gain = 0.0;
        double fired = -1.0;
        for (; t < 3600.0 && fired < 0.0; t += TEMP_SENSOR_REPORT_TIME) {
            sim_step(&sim, t);
            double temp, target;
            heater_get_temp(h, t, &temp, &target);
            if (verify_heater_check(&v, t, temp, target, msg, sizeof(msg)) == 1)
                fired = t;
        }
        print_message("%s: heater lost at 1800 s, verify_heater fired at %.1f s\n", cases[c].name,
                      fired);
        assert_true(fired > 1800.0);
        sim_free(&sim);
        heater_free(h);
    }
}

/* A new target at a reached one starts a new approach with its own gain
 * window; a target changed during an approach keeps the running window,
 * as in Klipper. */
static void new_target_windows(void **state)
{
    (void)state;
    struct verify_heater v = make("extruder");
    char msg[300] = "";
    assert_true(run_const(&v, 0.0, 100.0, 200.0, 200.0, msg, sizeof(msg)) < 0.0);
    double fired = run_const(&v, 100.2, 200.0, 200.0, 250.0, msg, sizeof(msg));
    assert_true(fired >= 120.2 && fired <= 122.2);

    v = make("extruder");
    assert_true(run_const(&v, 0.0, 15.0, 25.0, 200.0, msg, sizeof(msg)) < 0.0);
    fired = run_const(&v, 15.3, 100.0, 25.0, 210.0, msg, sizeof(msg));
    assert_true(fired >= 20.0 && fired <= 22.0);
}

/* No readings for HEATER_QUELL_STALE_TIME: the heater reads 0 C and the
 * check fires even at a reached target. */
static void stale_sensor(void **state)
{
    (void)state;
    struct heater_config hc;
    fixture_heater_config(&hc, "Generic 3950", HEATER_CONTROL_PID);
    struct heater *h = heater_create("extruder", &hc, NULL, 0);
    assert_int_equal(heater_set_target(h, 200.0, NULL, 0), 0);
    struct verify_heater v = make("extruder");
    struct heater_output out;
    char msg[300] = "";
    double t = 0.0;
    for (; t < 60.0; t += 0.3) {
        assert_int_equal(heater_temperature_update(h, t, 200.0, &out, NULL, 0), 0);
        double temp, target;
        heater_get_temp(h, t, &temp, &target);
        assert_int_equal(verify_heater_check(&v, t, temp, target, msg, sizeof(msg)), 0);
    }
    double last = t - 0.3, fired = -1.0;
    for (double now = t; now < t + 30.0 && fired < 0.0; now += 1.0) {
        double temp, target;
        heater_get_temp(h, now, &temp, &target);
        if (verify_heater_check(&v, now, temp, target, msg, sizeof(msg)) == 1)
            fired = now - last;
    }
    print_message("readings stopped at %.1f s, fired %.1f s later\n", last, fired);
    assert_true(fired > HEATER_QUELL_STALE_TIME && fired <= HEATER_QUELL_STALE_TIME + 1.5);
    heater_free(h);
}

/* Sparse calls run every check that came due, with the values given. */
static void sparse_calls(void **state)
{
    (void)state;
    struct verify_heater v = make("extruder");
    char msg[300] = "";
    assert_int_equal(verify_heater_check(&v, 0.0, 25.0, 200.0, msg, sizeof(msg)), 0);
    assert_int_equal(verify_heater_check(&v, 19.5, 25.0, 200.0, msg, sizeof(msg)), 0);
    assert_int_equal(verify_heater_check(&v, 21.0, 25.0, 200.0, msg, sizeof(msg)), 1);
    /* A far jump is bounded work. */
    v = make("extruder");
    assert_int_equal(verify_heater_check(&v, 0.0, 200.0, 200.0, msg, sizeof(msg)), 0);
    assert_int_equal(verify_heater_check(&v, 1e12, 200.0, 200.0, msg, sizeof(msg)), 0);
}

static void bad_arguments(void **state)
{
    (void)state;
    struct verify_heater_params p;
    verify_heater_defaults("extruder", &p);
    struct verify_heater v;
    char err[200] = "";
    p.check_gain_time = 0.5;
    assert_int_equal(verify_heater_init(&v, "extruder", &p, err, sizeof(err)), -1);
    assert_string_equal(
        err, "[verify_heater extruder] option 'check_gain_time': expected a number of at least 1, "
             "got 0.5");
    verify_heater_defaults("extruder", &p);
    p.heating_gain = 0.0;
    assert_int_equal(verify_heater_init(&v, "extruder", &p, err, sizeof(err)), -1);
    assert_string_equal(
        err, "[verify_heater extruder] option 'heating_gain': expected a number above 0, got 0");
    verify_heater_defaults("extruder", &p);
    p.max_error = NAN;
    assert_int_equal(verify_heater_init(&v, "extruder", &p, err, sizeof(err)), -1);
    verify_heater_defaults("extruder", &p);
    p.hysteresis = -1;
    assert_int_equal(verify_heater_init(&v, "extruder", &p, err, sizeof(err)), -1);
    assert_int_equal(verify_heater_init(&v, "", &p, err, sizeof(err)), -1);

    v = make("extruder");
    assert_int_equal(verify_heater_check(&v, NAN, 25.0, 200.0, err, sizeof(err)), -1);
    assert_int_equal(verify_heater_check(&v, 0.0, INFINITY, 200.0, err, sizeof(err)), -1);
    assert_false(v.started);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),           cmocka_unit_test(not_heating_extruder),
        cmocka_unit_test(not_heating_bed),    cmocka_unit_test(gain_per_check_gain_time),
        cmocka_unit_test(stall_under_band),   cmocka_unit_test(drift_below_target),
        cmocka_unit_test(band_and_overshoot), cmocka_unit_test(healthy_heat_up),
        cmocka_unit_test(new_target_windows), cmocka_unit_test(stale_sensor),
        cmocka_unit_test(sparse_calls),       cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
