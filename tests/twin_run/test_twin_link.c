/* The host link on the twin: a jammed wire (fault wire-jam) holds the
 * host's bytes and then delivers them together, so commands reach the
 * MCU after the clocks they were scheduled for. The firmware must refuse
 * the impossible schedule, as Klipper's does, and leave the hardware safe. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "twin_fixture.h"

static void open_with(struct fx *f, const char *fault)
{
    struct fx_opts o;
    fx_opts_init(&o);
    o.faults = &fault;
    o.nfaults = 1;
    fx_open(f, &o);
}

/* Every driver disabled and, a second on, every heater off. */
static void expect_safe(struct fx *f)
{
    fx_expect_heater_off(f, "extruder");
    fx_expect_heater_off(f, "heater_bed");
    struct twin_report r;
    fx_report(f, &r);
    for (size_t i = 0; i < r.nsteppers; i++)
        if (r.steppers[i].motor.enabled)
            fail_msg("%s still enabled after the shutdown", r.steppers[i].name);
}

/* A move's steps arrive a second late: the stepper's first step is far
 * in the past. */
static void test_jam_late_move(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "wire-jam:1@line=4");
    fx_ok(&f, "SET_KINEMATIC_POSITION X=100 Y=100 Z=10");
    fx_ok(&f, "G1 X110 F6000");
    fx_ok(&f, "M400"); /* the drivers are enabled before the jam */
    fx_line(&f, "G1 X130");
    fx_line(&f, "G4 P2000");
    fx_line(&f, "M400");
    fx_expect_shutdown(&f, "Stepper too far in past");
    expect_safe(&f);
    /* The late move never ran: the steps before the jam did. */
    struct twin_report r;
    fx_report(&f, &r);
    double x = fx_stepper(&r, "stepper_x")->actual_mm;
    if (fabs(x - 110) > 0.01)
        fail_msg("carriage at %.3f mm, want 110 (the move before the jam only)", x);
    fx_finish(&f, NULL);
}

/* A digital output's update arrives after its clock: the MCU cannot
 * wake for a time already gone. (With a heater on, its updates are late
 * the same way; whichever command comes first names the shutdown.) */
static void test_jam_late_update(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "wire-jam:0.5@line=4");
    fx_ok(&f, "M106 S255");
    fx_ok(&f, "G4 P500");
    fx_ok(&f, "M400");
    fx_line(&f, "M106 S128");
    fx_line(&f, "G4 P1000");
    fx_line(&f, "M400");
    fx_expect_shutdown(&f, "Timer too close");
    expect_safe(&f);
    fx_finish(&f, NULL);
}

/* A jam while nothing is due only delays the link's own traffic: the
 * printer goes on, and the bytes held did arrive. */
static void test_jam_idle(void **state)
{
    (void)state;
    struct fx f;
    open_with(&f, "wire-jam:1@t=1");
    fx_ok(&f, "SET_KINEMATIC_POSITION X=100 Y=100 Z=10");
    fx_ok(&f, "G4 P3000");
    fx_ok(&f, "M400");
    assert_true(fx_time(&f) > 3);
    fx_ok(&f, "G1 X120 F6000");
    fx_ok(&f, "M400");
    assert_null(engine_shutdown_reason(twin_run_engine(f.r)));
    struct twin_report r;
    fx_report(&f, &r);
    double x = fx_stepper(&r, "stepper_x")->actual_mm;
    if (fabs(x - 120) > 0.01)
        fail_msg("carriage at %.3f mm, want 120", x);
    fx_finish(&f, NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jam_late_move),
        cmocka_unit_test(test_jam_late_update),
        cmocka_unit_test(test_jam_idle),
    };
    return fx_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
