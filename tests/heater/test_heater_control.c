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

/* A hotend: 25 C ambient, full power would settle at 325 C, 75 s time
 * constant (about 4 C/s when heating from cold). */
static const struct plant HOTEND = {25.0, 25.0, 300.0, 75.0};

static struct heater *make(const char *name, enum heater_control control)
{
    struct heater_config hc;
    fixture_heater_config(&hc, "EPCOS 100K B57560G104F", control);
    char err[300] = "";
    struct heater *h = heater_create(name, &hc, err, sizeof(err));
    if (!h)
        fail_msg("heater_create: %s", err);
    return h;
}

static void set_target(struct heater *h, double t)
{
    char err[200] = "";
    if (heater_set_target(h, t, err, sizeof(err)) != 0)
        fail_msg("set target %g: %s", t, err);
}

/* Feed one reading; returns the output. */
static struct heater_output feed(struct heater *h, double time, double temp)
{
    struct heater_output out;
    char err[200] = "";
    if (heater_temperature_update(h, time, temp, &out, err, sizeof(err)) != 0)
        fail_msg("reading refused: %s", err);
    return out;
}

static void target_range(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    char err[200] = "";
    set_target(h, 200.0);
    assert_int_equal(heater_set_target(h, 300.5, err, sizeof(err)), -1);
    assert_string_equal(err, "Requested temperature (300.5) out of range (0.0:300.0)");
    assert_float_equal(heater_target(h), 200.0, 0.0);
    assert_int_equal(heater_set_target(h, -5.0, err, sizeof(err)), -1);
    assert_string_equal(err, "Requested temperature (-5.0) out of range (0.0:300.0)");
    assert_int_equal(heater_set_target(h, NAN, err, sizeof(err)), -1);
    assert_float_equal(heater_target(h), 200.0, 0.0);
    set_target(h, 0.0);
    assert_float_equal(heater_target(h), 0.0, 0.0);
    set_target(h, 300.0);
    heater_free(h);
}

static void create_errors(void **state)
{
    (void)state;
    struct heater_config hc;
    fixture_heater_config(&hc, "No Such Thermistor", HEATER_CONTROL_PID);
    char err[800] = "";
    assert_null(heater_create("extruder", &hc, err, sizeof(err)));
    assert_non_null(strstr(err, "Heater extruder: Unknown temperature sensor 'No Such Thermistor' "
                                "(known: EPCOS 100K B57560G104F, "));
    fixture_heater_config(&hc, "Generic 3950", HEATER_CONTROL_WATERMARK);
    hc.max_delta = 0.0;
    assert_null(heater_create("heater_bed", &hc, err, sizeof(err)));
    assert_string_equal(err, "Heater heater_bed: max_delta 0: expected a number above 0");
    fixture_heater_config(&hc, "Generic 3950", HEATER_CONTROL_PID);
    hc.max_temp = hc.min_temp;
    assert_null(heater_create("extruder", &hc, err, sizeof(err)));
    assert_null(heater_create("", &hc, err, sizeof(err)));
}

/* PID on a first-order hotend: reaches 200 C and holds it within 1 C. */
static void pid_step_response(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    struct heater_sim sim;
    sim_init(&sim, h, HOTEND);
    sim_run(&sim, 0.0, 5.0);
    set_target(h, 200.0);
    double reached = -1.0, worst_after = 0.0, peak = 0.0;
    for (double t = 5.1; t < 900.0; t += TEMP_SENSOR_REPORT_TIME) {
        sim_step(&sim, t);
        if (reached < 0.0 && sim.plant.temp >= 199.0)
            reached = t;
        if (sim.plant.temp > peak)
            peak = sim.plant.temp;
        if (t > 300.0 && fabs(sim.plant.temp - 200.0) > worst_after)
            worst_after = fabs(sim.plant.temp - 200.0);
    }
    print_message("reached 199 C at %.1f s, peak %.2f C, worst error after 300 s %.3f C\n", reached,
                  peak, worst_after);
    assert_true(reached > 0.0 && reached < 120.0);
    /* The integral is frozen while the output is saturated (the whole
     * heat-up), so the overshoot stays small. */
    assert_true(peak < 202.5);
    assert_true(worst_after <= 1.0);
    struct heater_status st;
    heater_get_status(h, &st);
    assert_float_equal(st.temperature, 200.0, 1.0);
    assert_false(heater_check_busy(h));
    assert_false(sim.fault);
    sim_free(&sim);
    heater_free(h);
}

/* Gains are in 1/255ths of full power per degree: with only Kp = 255 a
 * 1 C error asks for full power, 0.5 C for half. */
static void pid_gains_are_per_255(void **state)
{
    (void)state;
    struct heater_config hc;
    fixture_heater_config(&hc, "EPCOS 100K B57560G104F", HEATER_CONTROL_PID);
    hc.pid_kp = 255.0;
    hc.pid_ki = 0.0;
    hc.pid_kd = 0.0;
    struct heater *h = heater_create("extruder", &hc, NULL, 0);
    assert_non_null(h);
    heater_stats(h, 0.0, NULL, 0);
    set_target(h, 100.0);
    struct heater_output out = feed(h, 1.0, 99.5);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 0.5, 1e-12);
    out = feed(h, 1.3, 90.0);
    assert_float_equal(out.pwm_value, 1.0, 0.0);
    heater_free(h);
}

/* max_power caps the PID's output. */
static void max_power_caps(void **state)
{
    (void)state;
    struct heater_config hc;
    fixture_heater_config(&hc, "EPCOS 100K B57560G104F", HEATER_CONTROL_PID);
    hc.max_power = 0.6;
    struct heater *h = heater_create("extruder", &hc, NULL, 0);
    heater_stats(h, 0.0, NULL, 0);
    set_target(h, 200.0);
    struct heater_output out = feed(h, 1.0, 25.0);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 0.6, 0.0);
    heater_free(h);
}

/* Watermark: on at or below target - max_delta, off at or above target +
 * max_delta, unchanged in between. */
static void watermark_toggles(void **state)
{
    (void)state;
    struct heater *h = make("heater_bed", HEATER_CONTROL_WATERMARK);
    heater_stats(h, 0.0, NULL, 0);
    set_target(h, 60.0);
    struct {
        double temp;
        bool send;
        double value;
    } steps[] = {
        {50.0, true, 1.0}, {57.9, false, 0},  {60.0, false, 0}, {61.9, false, 0},
        {62.0, true, 0.0}, {61.0, false, 0},  {58.1, false, 0}, {58.0, true, 1.0},
        {61.99, false, 0}, {62.5, true, 0.0},
    };
    double t = 1.0;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++, t += 0.3) {
        struct heater_output out = feed(h, t, steps[i].temp);
        if (out.send != steps[i].send)
            fail_msg("step %zu (%.2f C): send %d, want %d", i, steps[i].temp, out.send,
                     steps[i].send);
        if (out.send) {
            assert_float_equal(out.pwm_value, steps[i].value, 0.0);
            assert_float_equal(out.pwm_time, t + HEATER_PWM_DELAY, 1e-12);
        }
    }
    heater_free(h);
}

/* While the heater is on, a refresh goes out before max_duration runs out,
 * with every reading and with every fifth reading lost. */
static void refresh_within_max_duration(void **state)
{
    (void)state;
    for (int drop = 0; drop <= 5; drop += 5) {
        struct heater *h = make("extruder", HEATER_CONTROL_PID);
        struct heater_sim sim;
        sim_init(&sim, h, HOTEND);
        sim.drop_every = drop;
        set_target(h, 200.0);
        double end = 900.0;
        sim_run(&sim, 0.0, end);
        double gap = sim_longest_refresh_gap(&sim, end);
        print_message("drop every %d: %zu sends for %lu reports, longest refresh gap %.3f s\n",
                      drop, sim.nsends, sim.readings, gap);
        assert_true(gap <= HEATER_MAX_HEAT_TIME);
        assert_true(gap > 1.0); /* unchanged power is not resent every reading */
        assert_true(sim.nsends < sim.readings / 2);
        sim_free(&sim);
        heater_free(h);
    }
}

/* The exact rule: a small change is held back until the refresh is due;
 * the refresh comes at the first reading at or after the previous
 * change's effect time + HEATER_REFRESH_TIME. */
static void refresh_rule(void **state)
{
    (void)state;
    struct heater_config hc;
    fixture_heater_config(&hc, "EPCOS 100K B57560G104F", HEATER_CONTROL_PID);
    hc.pid_kp = 25.5; /* 0.1 of full power per degree, nothing else */
    hc.pid_ki = 0.0;
    hc.pid_kd = 0.0;
    struct heater *h = heater_create("extruder", &hc, NULL, 0);
    heater_stats(h, 0.0, NULL, 0);
    set_target(h, 100.0);
    struct heater_output out = feed(h, 1.0, 95.0);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 0.5, 1e-12);
    double due = 1.0 + HEATER_PWM_DELAY + HEATER_REFRESH_TIME;
    double t = 1.3;
    for (; t < due; t += 0.3) {
        heater_stats(h, t, NULL, 0);
        out = feed(h, t, 95.2); /* asks 0.48: under the 0.05 threshold */
        assert_false(out.send);
    }
    heater_stats(h, t, NULL, 0);
    out = feed(h, t, 95.2);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 0.48, 1e-12);
    /* A change of 0.05 or more goes out at once. */
    out = feed(h, t + 0.3, 95.8);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 0.42, 1e-12);
    heater_free(h);
}

/* Target 0: the power goes to 0 once and then nothing more is sent. */
static void off_when_target_zero(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    heater_stats(h, 0.0, NULL, 0);
    set_target(h, 200.0);
    assert_true(feed(h, 1.0, 25.0).send);
    set_target(h, 0.0);
    struct heater_output out = feed(h, 1.3, 26.0);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 0.0, 0.0);
    for (double t = 1.6; t < 20.0; t += 0.3) {
        heater_stats(h, t, NULL, 0);
        assert_false(feed(h, t, 26.0).send);
    }
    heater_free(h);
}

/* Without the main loop's heater_stats() the heater stays off; once the
 * main loop stops, the power is cut HEATER_MAX_MAINTHREAD_TIME later. */
static void mainthread_deadline(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    set_target(h, 200.0);
    assert_false(feed(h, 1.0, 25.0).send);
    heater_stats(h, 1.0, NULL, 0);
    struct heater_output out = feed(h, 1.3, 25.0);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 1.0, 0.0);
    for (double t = 1.6; t <= 6.0; t += 0.3) {
        out = feed(h, t, 25.0);
        assert_true(!out.send || out.pwm_value == 1.0);
    }
    out = feed(h, 6.1, 25.0);
    assert_true(out.send);
    assert_float_equal(out.pwm_value, 0.0, 0.0);
    heater_free(h);
}

/* Four readings in a row outside min_temp..max_temp are a fault. */
static void range_check(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    heater_stats(h, 0.0, NULL, 0);
    set_target(h, 200.0);
    double t = 1.0;
    for (int i = 0; i < 3; i++, t += 0.3)
        assert_false(feed(h, t, 301.0).fault);
    assert_false(feed(h, t, 250.0).fault);
    t += 0.3;
    for (int i = 0; i < 3; i++, t += 0.3)
        assert_false(feed(h, t, -1.0).fault);
    struct heater_output out = feed(h, t, -2.5);
    assert_true(out.fault);
    assert_string_equal(out.msg, "Heater extruder: temperature -2.5 outside min_temp..max_temp "
                                 "(0.0:300.0)");
    /* After a fault the heater stays off. */
    heater_stats(h, t, NULL, 0);
    for (int i = 0; i < 20; i++) {
        t += 0.3;
        out = feed(h, t, 20.0);
        assert_false(out.fault);
        assert_true(!out.send || out.pwm_value == 0.0);
    }
    struct heater_status st;
    heater_get_status(h, &st);
    assert_float_equal(st.power, 0.0, 0.0);
    heater_free(h);
}

/* Smoothing: a step from 20 C to 120 C moves the smoothed temperature by
 * the fraction (time since last reading) / smooth_time. */
static void smoothing_and_extrude_check(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    assert_false(heater_can_extrude(h));
    assert_int_equal(heater_can_extrude_cb(h), 0);
    feed(h, 10.0, 20.0); /* a gap over smooth_time: taken as is */
    struct heater_status st;
    heater_get_status(h, &st);
    assert_float_equal(st.temperature, 20.0, 1e-12);
    feed(h, 10.3, 120.0);
    heater_get_status(h, &st);
    assert_float_equal(st.temperature, 20.0 + 100.0 * 0.3, 1e-9);
    assert_float_equal(st.last_temp, 120.0, 0.0);
    for (double t = 10.6; t < 12.0; t += 0.3)
        feed(h, t, 180.0);
    assert_false(heater_can_extrude(h)); /* 180 reached, smoothed not yet 170 */
    for (double t = 12.0; t < 16.0; t += 0.3)
        feed(h, t, 180.0);
    assert_true(heater_can_extrude(h));
    assert_int_equal(heater_can_extrude_cb(h), 1);
    heater_free(h);

    struct heater_config hc;
    fixture_heater_config(&hc, "Generic 3950", HEATER_CONTROL_PID);
    hc.min_extrude_temp = 0.0;
    h = heater_create("extruder", &hc, NULL, 0);
    assert_true(heater_can_extrude(h));
    heater_free(h);
    assert_string_equal(HEATER_TEXT_EXTRUDE_BELOW_MIN,
                        "Extrude below minimum temp\n"
                        "See the 'min_extrude_temp' config option for details");
}

static void refused_readings_change_nothing(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    heater_stats(h, 0.0, NULL, 0);
    set_target(h, 200.0);
    feed(h, 5.0, 100.0);
    struct heater_status before, after;
    heater_get_status(h, &before);
    struct heater_output out;
    char err[200] = "";
    assert_int_equal(heater_temperature_update(h, 4.9, 100.0, &out, err, sizeof(err)), -1);
    assert_string_equal(err, "Heater extruder: reading at 4.900000 s is older than the previous "
                             "one at 5.000000 s");
    assert_int_equal(heater_temperature_update(h, 5.3, NAN, &out, err, sizeof(err)), -1);
    assert_int_equal(heater_temperature_update(h, INFINITY, 100, &out, err, sizeof(err)), -1);
    assert_int_equal(heater_adc_update(h, 5.3, NAN, &out, err, sizeof(err)), -1);
    assert_false(out.send);
    heater_get_status(h, &after);
    assert_memory_equal(&before, &after, sizeof(before));
    heater_free(h);
}

/* An ADC report is dated at the end of its samples; the power answering
 * it takes effect HEATER_PWM_DELAY later. */
static void adc_report_timing(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    heater_stats(h, 10.0, NULL, 0);
    set_target(h, 200.0);
    struct heater_output out;
    double adc = temp_sensor_adc(heater_sensor(h), 25.0);
    assert_int_equal(heater_adc_update(h, 10.0, adc, &out, NULL, 0), 0);
    assert_true(out.send);
    assert_float_equal(out.pwm_time, 10.0 + 8 * 0.001 + 0.300, 1e-12);
    struct heater_status st;
    heater_get_status(h, &st);
    assert_float_equal(st.last_temp, 25.0, 1e-6);
    uint16_t lo, hi;
    assert_int_equal(heater_mcu_adc_range(h, 1023.0, &lo, &hi, NULL, 0), 0);
    assert_true(lo < hi);
    heater_free(h);
}

/* M105 and verify_heater read 0 C once the last reading is stale. */
static void stale_readings(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    set_target(h, 210.0);
    feed(h, 20.0, 205.0);
    double temp, target;
    heater_get_temp(h, 27.0, &temp, &target);
    assert_float_equal(temp, 205.0, 1e-9);
    assert_float_equal(target, 210.0, 0.0);
    heater_get_temp(h, 27.1, &temp, &target);
    assert_float_equal(temp, 0.0, 0.0);
    heater_free(h);
}

static void stats_line(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    char buf[100];
    assert_false(heater_stats(h, 0.0, buf, sizeof(buf)));
    assert_string_equal(buf, "extruder: target=0 temp=0.0 pwm=0.000");
    set_target(h, 200.0);
    feed(h, 1.0, 25.04);
    assert_true(heater_stats(h, 1.0, buf, sizeof(buf)));
    assert_string_equal(buf, "extruder: target=200 temp=25.0 pwm=1.000");
    heater_free(h);
}

/* M109 waits while busy: PID until within 1 C and settled; watermark
 * until above target - max_delta. */
static void busy(void **state)
{
    (void)state;
    struct heater *h = make("extruder", HEATER_CONTROL_PID);
    set_target(h, 100.0);
    feed(h, 10.0, 98.5);
    assert_true(heater_check_busy(h));
    for (double t = 10.3; t < 20.0; t += 0.3)
        feed(h, t, 99.5);
    assert_false(heater_check_busy(h));
    heater_free(h);

    h = make("heater_bed", HEATER_CONTROL_WATERMARK);
    set_target(h, 60.0);
    feed(h, 10.0, 57.9);
    assert_true(heater_check_busy(h));
    feed(h, 20.0, 58.1);
    assert_false(heater_check_busy(h));
    heater_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(target_range),
        cmocka_unit_test(create_errors),
        cmocka_unit_test(pid_step_response),
        cmocka_unit_test(pid_gains_are_per_255),
        cmocka_unit_test(max_power_caps),
        cmocka_unit_test(watermark_toggles),
        cmocka_unit_test(refresh_within_max_duration),
        cmocka_unit_test(refresh_rule),
        cmocka_unit_test(off_when_target_zero),
        cmocka_unit_test(mainthread_deadline),
        cmocka_unit_test(range_check),
        cmocka_unit_test(smoothing_and_extrude_check),
        cmocka_unit_test(refused_readings_change_nothing),
        cmocka_unit_test(adc_report_timing),
        cmocka_unit_test(stale_readings),
        cmocka_unit_test(stats_line),
        cmocka_unit_test(busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
