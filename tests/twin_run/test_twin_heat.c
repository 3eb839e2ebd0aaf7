/* Heaters on the twin: the engine's control loop heats the simulated
 * hotend and bed, and every heater fault ends the way Klipper ends it
 * (the MCU's ADC range check, verify_heater, the max_duration watchdog). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heater_model.h"
#include "twin_fixture.h"

static void open_with(struct fx *f, const char *fault)
{
    struct fx_opts o;
    fx_opts_init(&o);
    o.faults = fault ? &fault : NULL;
    o.nfaults = fault ? 1 : 0;
    fx_open(f, &o);
}

static const char *shutdown_reason(struct fx *f)
{
    return engine_shutdown_reason(twin_run_engine(f->r));
}

static void test_heat_up_hotend(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, NULL);
    double t0 = fx_time(&f);
    fx_ok(&f, "M109 S200");
    double took = fx_time(&f) - t0;
    /* The model's hotend needs 92.5 s to 200 C at full power; PID eases
     * off before the target and M109 waits for it to settle. */
    if (took < 85 || took > 160)
        fail_msg("M109 S200 took %.1f s", took);
    struct twin_report r;
    fx_report(&f, &r);
    const struct twin_heater_report *h = fx_heater(&r, "extruder");
    if (fabs(h->sensor - 200) > 2 || fabs(h->block - 200) > 4)
        fail_msg("after M109: thermistor %.2f C, block %.2f C", h->sensor, h->block);
    assert_true(h->duty > 0.2 && h->duty < 0.8);
    /* M105 reads the simulated thermistor through the MCU's ADC. */
    fx_ok(&f, "M105");
    double t;
    const char *p = strstr(fx_last(&f), "T0:");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "T0:%lf", &t), 1);
    assert_true(fabs(t - h->sensor) < 1.5);
    assert_null(shutdown_reason(&f));
    fx_finish(&f, NULL);
}

static void test_heat_up_bed(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, NULL);
    double t0 = fx_time(&f);
    fx_ok(&f, "M190 S60");
    double took = fx_time(&f) - t0;
    /* Watermark control: full power until 60 - max_delta (2 C) as the
     * host smooths it; the model's bed reaches 58 C in about 2 min. */
    if (took < 100 || took > 200)
        fail_msg("M190 S60 took %.1f s", took);
    struct twin_report r;
    fx_report(&f, &r);
    const struct twin_heater_report *h = fx_heater(&r, "heater_bed");
    assert_true(h->sensor > 57 && h->sensor < 63);
    assert_null(shutdown_reason(&f));
    fx_finish(&f, NULL);
}

/* A thermistor lead breaks, or shorts: the MCU's ADC range check. */
static void check_sensor_fault(const char *fault)
{
    struct fx f;
    open_with(&f, fault);
    fx_ok(&f, "M104 S200");
    fx_line(&f, "G4 P3000");
    fx_line(&f, "M400");
    fx_expect_shutdown(&f, "MCU 'mcu' shutdown: ADC out of range");
    fx_expect_heater_off(&f, "extruder");
    fx_finish(&f, NULL);
}

static void test_thermistor_open(void **state)
{
    (void)state;
    check_sensor_fault("thermistor-open:extruder@line=2");
}

static void test_thermistor_short(void **state)
{
    (void)state;
    check_sensor_fault("thermistor-short:extruder@line=2");
}

static void test_bed_thermistor_open(void **state)
{
    (void)state;
    check_sensor_fault("thermistor-open:bed@t=2");
}

/* No heat reaches the block: verify_heater. */
static void test_heater_disconnected(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "heater-open:extruder");
    fx_line(&f, "M109 S200");
    fx_expect_shutdown(&f, "Heater extruder not heating at expected rate");
    fx_expect_heater_off(&f, "extruder");
    struct twin_report r;
    fx_report(&f, &r);
    assert_true(fx_heater(&r, "extruder")->peak_block < 26);
    fx_finish(&f, NULL);
}

/* The thermistor falls out of the block half-way: the reading drops while
 * the heater runs flat out; verify_heater ends it. */
static void test_thermistor_detached(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "thermistor-detached:extruder@extruder>150");
    fx_line(&f, "M109 S200");
    fx_expect_shutdown(&f, "Heater extruder not heating at expected rate");
    struct twin_run_result res;
    fx_finish(&f, &res);
    assert_true(res.report.faults[0].fired);
    assert_true(res.report.heaters[0].faults == HEATER_FAULT_SENSOR_DETACHED);
    /* The block ran away from the reading before the check fired. */
    assert_true(res.report.heaters[0].peak_block > res.report.heaters[0].peak_sensor + 5);
}

/* Thermal runaway: full power with the target at 0, until the reading
 * passes max_temp (250 C) and the MCU's range check shuts down. The
 * MOSFET still conducts: the block stays hot. */
static void test_mosfet_stuck_on(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "mosfet-stuck-on:extruder@t=1");
    fx_line(&f, "G4 P200000");
    fx_line(&f, "M400");
    fx_expect_shutdown(&f, "MCU 'mcu' shutdown: ADC out of range");
    struct twin_report r;
    fx_report(&f, &r);
    const struct twin_heater_report *h = fx_heater(&r, "extruder");
    if (!(h->peak_sensor > 250 && h->block > 250 && h->duty == 0))
        fail_msg("peak %.1f C, now %.1f C, heater pin duty %.2f", h->peak_sensor, h->block,
                 h->duty);
    fx_finish(&f, NULL);
}

/* The host goes quiet while a heater is on: the heater pin's
 * max_duration (3 s without a new value) shuts the MCU down. */
static void test_host_stall(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "host-stall:5@line=4");
    fx_ok(&f, "M104 S200");
    fx_ok(&f, "G4 P2000");
    fx_ok(&f, "M400"); /* the heater is on by now */
    double t0 = fx_time(&f);
    fx_line(&f, "M400");
    assert_true(fx_time(&f) - t0 >= 5.0);
    fx_expect_shutdown(&f, "Missed scheduling of next digital out event");
    fx_expect_heater_off(&f, "extruder");
    fx_finish(&f, NULL);
}

/* A host stall while nothing needs refreshing is harmless. */
static void test_host_stall_idle(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "host-stall:5@t=1");
    fx_ok(&f, "G4 P3000");
    fx_ok(&f, "M400");
    fx_ok(&f, "G4 P1000");
    fx_ok(&f, "M400");
    assert_true(fx_time(&f) > 6);
    assert_null(shutdown_reason(&f));
    fx_finish(&f, NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heat_up_hotend),      cmocka_unit_test(test_heat_up_bed),
        cmocka_unit_test(test_thermistor_open),     cmocka_unit_test(test_thermistor_short),
        cmocka_unit_test(test_bed_thermistor_open), cmocka_unit_test(test_heater_disconnected),
        cmocka_unit_test(test_thermistor_detached), cmocka_unit_test(test_mosfet_stuck_on),
        cmocka_unit_test(test_host_stall),          cmocka_unit_test(test_host_stall_idle),
    };
    return fx_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
