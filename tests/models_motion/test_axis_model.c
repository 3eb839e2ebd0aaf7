/* Axis mechanics: mm from microsteps, the frame's hard stops, the endstop
 * switch and its faults. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "axis_model.h"
#include "motion_profile.h"
#include "test_main.h"

struct rig {
    struct stepper_model *motor;
    struct axis_model *axis;
    struct drive drive;
};

static void rig_open(struct rig *r, const struct axis_params *ap, const struct stepper_params *sp)
{
    struct stepper_params spd;
    struct axis_params apd;
    stepper_params_default(&spd);
    axis_params_default(&apd);
    char err[200];
    r->motor = stepper_model_create(sp ? sp : &spd, err, sizeof(err));
    assert_non_null(r->motor);
    r->axis = axis_model_create(ap ? ap : &apd, r->motor, err, sizeof(err));
    if (!r->axis)
        fail_msg("%s", err);
    assert_int_equal(stepper_model_set_enable(r->motor, 0, true), 0);
    drive_init(&r->drive, r->motor, r->axis);
}

static void rig_close(struct rig *r)
{
    axis_model_destroy(r->axis);
    stepper_model_destroy(r->motor);
}

static struct stepper_report motor_report(const struct rig *r)
{
    struct stepper_report rep;
    stepper_model_report(r->motor, &rep);
    return rep;
}

/* The default printer's Z: a T8 lead screw, 400 microsteps/mm, so the
 * switch's spread spans several microsteps. */
static void z_axis(struct axis_params *ap, struct stepper_params *sp, uint64_t seed)
{
    axis_params_default(ap);
    ap->rotation_distance = 8.0;
    ap->start_position = 20.0;
    ap->frame_min = -2.5;
    ap->frame_max = 210;
    ap->endstop_position = 0.5;
    ap->seed = seed;
    stepper_params_default(sp);
    sp->load_inertia = axis_reflected_inertia(1.5, 8.0, 1.0) + 1e-6;
}

static void test_positions(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL, NULL);
    assert_true(fabs(axis_model_mm_per_microstep(r.axis) - 1.0 / 80) < 1e-15);
    drive_move_mm(&r.drive, 10, 100, 3000);
    assert_true(fabs(axis_model_position(r.axis) - 110.0) < 1e-9);
    drive_move_mm(&r.drive, -25.5, 100, 3000);
    assert_true(fabs(axis_model_position(r.axis) - 84.5) < 1e-9);
    rig_close(&r);

    /* Reversed, geared: an extruder-like drive, 50:17, 33.5 mm. */
    struct axis_params ap;
    axis_params_default(&ap);
    ap.rotation_distance = 33.5;
    ap.gear_ratio = 50.0 / 17.0;
    ap.reversed = true;
    ap.has_endstop = false;
    rig_open(&r, &ap, NULL);
    double per_mm = 200 * 16 * (50.0 / 17.0) / 33.5;
    assert_true(fabs(axis_model_mm_per_microstep(r.axis) - 1.0 / per_mm) < 1e-15);
    drive_move(&r.drive, 1000, 5000, 50000);
    assert_true(fabs(axis_model_position(r.axis) - (100.0 - 1000 / per_mm)) < 1e-9);
    assert_false(axis_model_endstop_closed(r.axis));
    assert_int_equal(axis_model_set_endstop_fault(r.axis, ENDSTOP_STUCK_CLOSED), -1);
    assert_non_null(strstr(axis_model_error(r.axis), "no endstop"));
    rig_close(&r);

    assert_true(fabs(axis_reflected_inertia(1.0, 40, 1) - 4.0528e-5) < 1e-8);
    assert_true(fabs(axis_reflected_inertia(1.0, 40, 2) - 4.0528e-5 / 4) < 1e-8);
}

/* Home toward the min endstop like Klipper's second, slow approach: from 2
 * mm above, until the switch closes; then back off 2 mm. Returns the
 * carriage position at the closing step. */
static double touch(struct rig *r)
{
    r->drive.first_close = NAN;
    r->drive.stop_on_close = 1;
    long changes = r->drive.changes;
    drive_move_mm(&r->drive, -4, 2, 100);
    assert_int_equal(r->drive.changes, changes + 1);
    assert_true(axis_model_endstop_closed(r->axis));
    double at = r->drive.first_close;
    r->drive.stop_on_close = 0;
    drive_move_mm(&r->drive, 2, 5, 100);
    assert_false(axis_model_endstop_closed(r->axis));
    assert_int_equal(r->drive.changes, changes + 2);
    return at;
}

static void touches(uint64_t seed, double *at, double *points, int n)
{
    struct axis_params ap;
    struct stepper_params sp;
    z_axis(&ap, &sp, seed);
    ap.start_position = 2.5;
    struct rig r;
    rig_open(&r, &ap, &sp);
    for (int i = 0; i < n; i++) {
        struct axis_report rep;
        axis_model_report(r.axis, &rep);
        points[i] = rep.trigger_point;
        at[i] = touch(&r);
    }
    struct axis_report rep;
    axis_model_report(r.axis, &rep);
    assert_int_equal(rep.closures, n);
    rig_close(&r);
}

static void test_endstop_trigger_spread(void **state)
{
    (void)state;
    enum { N = 40 };
    double at[N], points[N];
    touches(7, at, points, N);
    double step = 8.0 / 3200, lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < N; i++) {
        /* Drawn within the spread, and the switch closes at the first
         * microstep at or past the drawn point. */
        assert_true(points[i] >= 0.5 - 0.005 && points[i] < 0.5 + 0.005);
        assert_true(at[i] <= points[i] + 1e-12);
        assert_true(at[i] > points[i] - step - 1e-12);
        lo = fmin(lo, at[i]);
        hi = fmax(hi, at[i]);
    }
    printf("40 touches: closed between %.4f and %.4f mm\n", lo, hi);
    /* The spread shows: +-0.005 mm is four microsteps of Z. */
    assert_true(hi - lo >= 2 * step - 1e-12);
}

static void test_endstop_seeded(void **state)
{
    (void)state;
    enum { N = 12 };
    double at1[N], at2[N], at3[N], p1[N], p2[N], p3[N];
    touches(42, at1, p1, N);
    touches(42, at2, p2, N);
    touches(43, at3, p3, N);
    assert_memory_equal(at1, at2, sizeof(at1));
    assert_memory_equal(p1, p2, sizeof(p1));
    int same = 0;
    for (int i = 0; i < N; i++)
        same += p1[i] == p3[i];
    assert_int_equal(same, 0);
    assert_true(memcmp(at1, at3, sizeof(at1)) != 0);
}

static void test_endstop_change_at_the_step(void **state)
{
    (void)state;
    struct rig r;
    struct axis_params ap;
    axis_params_default(&ap);
    ap.start_position = 1.0;
    rig_open(&r, &ap, NULL);
    struct axis_report rep;
    axis_model_report(r.axis, &rep);
    double point = rep.trigger_point;
    assert_int_equal(stepper_model_set_dir(r.motor, 10, 0), 0);
    uint64_t now = 1000;
    int changed = 0;
    double before = axis_model_position(r.axis);
    while (!changed) {
        now += 16000;
        before = axis_model_position(r.axis);
        changed = axis_model_step(r.axis, now);
        assert_true(changed >= 0);
    }
    assert_true(before > point);
    assert_true(axis_model_position(r.axis) <= point);
    assert_true(axis_model_endstop_closed(r.axis));
    /* Further down it stays closed and says nothing. */
    for (int i = 0; i < 80; i++) {
        now += 16000;
        assert_int_equal(axis_model_step(r.axis, now), 0);
    }
    /* Back up: still closed within the hysteresis (0.1 mm = 8 steps). */
    assert_int_equal(stepper_model_set_dir(r.motor, now, 1), 0);
    int steps = 0;
    changed = 0;
    while (!changed) {
        now += 16000;
        changed = axis_model_step(r.axis, now);
        steps++;
    }
    assert_false(axis_model_endstop_closed(r.axis));
    assert_true(axis_model_position(r.axis) > point + 0.1);
    assert_true(steps > 80);
    rig_close(&r);
}

static void test_frame_stall(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL, NULL);
    r.drive.check_cycles = 0;
    /* 110 mm up from 100 mm: 5 mm into the frame at 205 mm. */
    drive_move_mm(&r.drive, 110, 100, 3000);
    assert_true(fabs(axis_model_position(r.axis) - 205.0) < 1e-9);
    struct stepper_report rep = motor_report(&r);
    /* The field ended 400 microsteps past the frame; the rotor keeps
     * within half a cycle of it, so 6 cycles (384) went. */
    assert_int_equal(rep.commanded, 8800);
    assert_int_equal(rep.lost, 6 * 64);
    assert_int_equal(rep.slips, 6);
    drive_move_mm(&r.drive, -110, 100, 3000);
    assert_true(fabs(axis_model_position(r.axis) - (100.0 - 384 / 80.0)) < 1e-9);
    rep = motor_report(&r);
    assert_int_equal(rep.commanded - rep.rotor, 384);

    /* Likewise at the bottom, 19.8 mm into the frame at -5 mm (the
     * endstop closes on the way): 25 cycles go, which leaves the rotor's
     * detent 0.2 mm short of the frame, so the field pulls the carriage
     * back off it to -4.8 mm. */
    drive_move_mm(&r.drive, -120, 100, 3000);
    assert_true(axis_model_endstop_closed(r.axis));
    rep = motor_report(&r);
    assert_int_equal(rep.lost, 384 - 25 * 64);
    assert_int_equal(rep.slips, 6 + 25);
    assert_true(fabs(axis_model_position(r.axis) - -4.8) < 1e-9);
    rig_close(&r);
}

static void test_force_slip_moves_carriage(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL, NULL);
    drive_move_mm(&r.drive, 10, 100, 3000);
    assert_int_equal(stepper_model_force_slip(r.motor, 2), 0);
    drive_move_mm(&r.drive, 10, 100, 3000);
    /* 8 full steps of 0.2 mm. */
    assert_true(fabs(axis_model_position(r.axis) - (120.0 - 1.6)) < 1e-9);
    rig_close(&r);
}

static void test_stuck_open(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL, NULL);
    assert_int_equal(axis_model_set_endstop_fault(r.axis, ENDSTOP_STUCK_OPEN), 0);
    /* Homing would never stop: the carriage grinds into the frame. */
    drive_move_mm(&r.drive, -110, 50, 3000);
    assert_int_equal(r.drive.changes, 0);
    assert_false(axis_model_endstop_closed(r.axis));
    struct axis_report rep;
    axis_model_report(r.axis, &rep);
    assert_true(rep.switch_pressed);
    assert_int_equal(rep.fault, ENDSTOP_STUCK_OPEN);
    assert_true(fabs(rep.position - -5.0) < 1e-9);
    assert_int_equal(motor_report(&r).lost, -6 * 64);
    /* Repaired, the pressed switch reports at once. */
    assert_int_equal(axis_model_set_endstop_fault(r.axis, ENDSTOP_WORKING), 1);
    assert_true(axis_model_endstop_closed(r.axis));
    rig_close(&r);
}

static void test_stuck_closed(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL, NULL);
    assert_false(axis_model_endstop_closed(r.axis));
    assert_int_equal(axis_model_set_endstop_fault(r.axis, ENDSTOP_STUCK_CLOSED), 1);
    assert_true(axis_model_endstop_closed(r.axis));
    assert_int_equal(axis_model_set_endstop_fault(r.axis, ENDSTOP_STUCK_CLOSED), 0);
    drive_move_mm(&r.drive, -50, 50, 3000);
    drive_move_mm(&r.drive, 50, 50, 3000);
    assert_int_equal(r.drive.changes, 0);
    assert_true(axis_model_endstop_closed(r.axis));
    assert_int_equal(axis_model_set_endstop_fault(r.axis, ENDSTOP_WORKING), 1);
    assert_false(axis_model_endstop_closed(r.axis));
    assert_int_equal(axis_model_set_endstop_fault(r.axis, (enum endstop_fault)7), -1);
    assert_false(axis_model_endstop_closed(r.axis));
    rig_close(&r);
}

static void test_max_endstop(void **state)
{
    (void)state;
    struct axis_params ap;
    axis_params_default(&ap);
    ap.endstop_end = AXIS_END_MAX;
    ap.endstop_position = 200;
    struct rig r;
    rig_open(&r, &ap, NULL);
    drive_move_mm(&r.drive, 99, 100, 3000);
    assert_false(axis_model_endstop_closed(r.axis));
    drive_move_mm(&r.drive, 2, 100, 3000);
    assert_true(axis_model_endstop_closed(r.axis));
    assert_true(fabs(r.drive.first_close - 200) <= 0.005 + 1.0 / 80);
    rig_close(&r);

    /* Starting on the switch: closed from the start. */
    ap.start_position = 202;
    rig_open(&r, &ap, NULL);
    assert_true(axis_model_endstop_closed(r.axis));
    rig_close(&r);
}

static void test_bad_params(void **state)
{
    (void)state;
    struct stepper_params sp;
    stepper_params_default(&sp);
    char err[200];
    struct stepper_model *m = stepper_model_create(&sp, err, sizeof(err));
    assert_non_null(m);
    const char *expect[] = {"rotation_distance", "gear_ratio",        "frame_max",
                            "start_position",    "endstop_position",  "endstop_position",
                            "endstop_spread",    "endstop_hysteresis"};
    for (int i = 0; i < 8; i++) {
        struct axis_params ap;
        axis_params_default(&ap);
        switch (i) {
        case 0:
            ap.rotation_distance = 0;
            break;
        case 1:
            ap.gear_ratio = NAN;
            break;
        case 2:
            ap.frame_max = ap.frame_min;
            break;
        case 3:
            ap.start_position = 300;
            break;
        case 4:
            ap.endstop_position = -10;
            break;
        case 5:
            ap.endstop_position = ap.frame_min;
            break;
        case 6:
            ap.endstop_spread = -0.1;
            break;
        case 7:
            ap.endstop_hysteresis = INFINITY;
            break;
        }
        err[0] = '\0';
        assert_null(axis_model_create(&ap, m, err, sizeof(err)));
        printf("%s\n", err);
        assert_non_null(strstr(err, expect[i]));
        assert_non_null(strstr(err, "expected"));
    }
    struct axis_params ap;
    axis_params_default(&ap);
    assert_null(axis_model_create(&ap, NULL, err, sizeof(err)));
    /* A refused axis leaves the motor free. */
    assert_int_equal(stepper_model_set_enable(m, 0, true), 0);
    assert_int_equal(stepper_model_set_dir(m, 0, 1), 0);
    for (uint64_t k = 1; k <= 40000; k++)
        assert_int_equal(stepper_model_step(m, k * 16000), 0);
    struct stepper_report rep;
    stepper_model_report(m, &rep);
    assert_int_equal(rep.rotor, 40000);
    stepper_model_destroy(m);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),      cmocka_unit_test(test_endstop_trigger_spread),
        cmocka_unit_test(test_endstop_seeded), cmocka_unit_test(test_endstop_change_at_the_step),
        cmocka_unit_test(test_frame_stall),    cmocka_unit_test(test_force_slip_moves_carriage),
        cmocka_unit_test(test_stuck_open),     cmocka_unit_test(test_stuck_closed),
        cmocka_unit_test(test_max_endstop),    cmocka_unit_test(test_bad_params),
    };
    return run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
