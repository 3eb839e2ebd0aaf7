/* The stepper driver and motor model: bookkeeping, torque limits, slips. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "motion_profile.h"
#include "stepper_model.h"
#include "test_main.h"

/* The default printer's X and Y: rotation_distance 40, 200 full steps, 16
 * microsteps. */
#define PER_MM 80.0
#define CYCLE 64

static struct stepper_model *new_motor(const struct stepper_params *p)
{
    struct stepper_params defaults;
    stepper_params_default(&defaults);
    char err[200];
    struct stepper_model *m = stepper_model_create(p ? p : &defaults, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(stepper_model_set_enable(m, 0, true), 0);
    return m;
}

static struct stepper_report report(const struct stepper_model *m)
{
    struct stepper_report r;
    stepper_model_report(m, &r);
    return r;
}

/* Slow enough that no torque question arises: 100 microsteps/s. */
static void slow_steps(struct stepper_model *m, uint64_t *now, int level, int n)
{
    *now += 16000;
    assert_int_equal(stepper_model_set_dir(m, *now, level), 0);
    for (int i = 0; i < n; i++) {
        *now += 160000;
        assert_int_equal(stepper_model_step(m, *now), 0);
    }
}

static void test_bookkeeping(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    uint64_t now = 10;
    slow_steps(m, &now, 1, 100);
    slow_steps(m, &now, 0, 30);
    assert_int_equal(stepper_model_set_enable(m, now, false), 0);
    slow_steps(m, &now, 1, 20);
    assert_int_equal(stepper_model_set_enable(m, now, true), 0);
    slow_steps(m, &now, 1, 5);
    struct stepper_report r = report(m);
    assert_int_equal(r.commanded, 75);
    assert_int_equal(r.edges, 135);
    assert_int_equal(r.ignored, 20);
    assert_int_equal(r.rotor, 75);
    assert_int_equal(r.lost, 0);
    assert_int_equal(r.slips, 0);
    assert_int_equal(r.timing_violations, 0);
    assert_true(r.enabled);
    stepper_model_destroy(m);
}

static void test_moderate_profile_no_slip(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    struct drive d;
    drive_init(&d, m, NULL);
    d.check_cycles = CYCLE;
    /* Full-length moves of the default printer, both ways, then short
     * back-and-forth moves that never reach cruise. */
    for (int i = 0; i < 2; i++) {
        drive_move(&d, (long)(200 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
        drive_move(&d, (long)(-200 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
    }
    for (int i = 0; i < 10; i++)
        drive_move(&d, (i % 2 ? -1 : 1) * (long)(2 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
    struct stepper_report r = report(m);
    printf("moderate: peak load %.2f of the available torque\n", r.peak_load);
    assert_int_equal(r.slips, 0);
    assert_int_equal(r.rotor, r.commanded);
    assert_int_equal(r.commanded, 0);
    /* A real margin, not a near miss. */
    assert_true(r.peak_load < 0.6);
    stepper_model_destroy(m);
}

static void test_moderate_profile_queue_step_timing(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    struct drive d;
    drive_init(&d, m, NULL);
    d.max_err = 25e-6;
    for (int i = 0; i < 2; i++) {
        drive_move(&d, (long)(200 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
        drive_move(&d, (long)(-200 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
    }
    struct stepper_report r = report(m);
    printf("moderate, equal-interval runs within 25 us: peak load %.2f\n", r.peak_load);
    assert_int_equal(r.slips, 0);
    assert_int_equal(r.timing_violations, 0);
    assert_true(r.peak_load < 0.8);
    stepper_model_destroy(m);
}

static void violent(double mm, double v, double a)
{
    struct stepper_model *m = new_motor(NULL);
    struct drive d;
    drive_init(&d, m, NULL);
    d.check_cycles = CYCLE;
    drive_move(&d, (long)(mm * PER_MM), v * PER_MM, a * PER_MM);
    struct stepper_report r = report(m);
    printf("%g mm/s, %g mm/s^2: peak load %.2f, %llu slips, %lld microsteps lost\n", v, a,
           r.peak_load, (unsigned long long)r.slips, (long long)r.lost);
    assert_true(r.slips > 0);
    assert_true(r.lost > 0);
    assert_int_equal(r.lost % CYCLE, 0);
    assert_int_equal(r.slipped, r.slips * CYCLE);
    assert_int_equal(r.commanded - r.rotor, r.lost);
    /* Once the move has ended the rotor is back in step, so a moderate
     * move afterwards loses nothing more. */
    uint64_t slips = r.slips;
    drive_move(&d, (long)(-50 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
    r = report(m);
    assert_int_equal(r.slips, slips);
    assert_false(r.stalled);
    stepper_model_destroy(m);
}

static void test_violent_speed_slips(void **state)
{
    (void)state;
    /* 1000 mm/s at 3000 mm/s^2 takes 167 mm to reach: a longer move than
     * the printer's bed allows, but the motor does not know that. */
    violent(400, 1000, 3000);
}

static void test_violent_accel_slips(void **state)
{
    (void)state;
    violent(150, 300, 20000);
}

static void test_limits_of_the_default_motor(void **state)
{
    (void)state;
    /* Where the defaults put the edge: 600 mm/s at 3000 and 300 mm/s at
     * 10000 still hold, 800 mm/s at 3000 does not (the motor gives out
     * near 730 mm/s). Each move is long enough to reach its speed. */
    struct {
        double mm, v, a;
        bool slips;
    } cases[] = {{200, 600, 3000, false}, {200, 300, 10000, false}, {400, 800, 3000, true}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stepper_model *m = new_motor(NULL);
        struct drive d;
        drive_init(&d, m, NULL);
        drive_move(&d, (long)(cases[i].mm * PER_MM), cases[i].v * PER_MM, cases[i].a * PER_MM);
        struct stepper_report r = report(m);
        printf("%g mm/s, %g mm/s^2: peak load %.2f, %llu slips\n", cases[i].v, cases[i].a,
               r.peak_load, (unsigned long long)r.slips);
        assert_int_equal(r.slips > 0, cases[i].slips);
        stepper_model_destroy(m);
    }
}

static void test_sudden_start(void **state)
{
    (void)state;
    /* A stepper starts without a ramp at low rates (100 full steps/s) but
     * not at the 300 mm/s cruise rate. */
    struct {
        double rate;
        bool slips;
    } cases[] = {{1600, false}, {300 * PER_MM, true}};
    for (size_t i = 0; i < 2; i++) {
        struct stepper_model *m = new_motor(NULL);
        uint64_t interval = (uint64_t)(16e6 / cases[i].rate);
        assert_int_equal(stepper_model_set_dir(m, 1, 1), 0);
        for (uint64_t k = 1; k <= 2000; k++)
            assert_int_equal(stepper_model_step(m, 1000 + k * interval), 0);
        struct stepper_report r = report(m);
        assert_int_equal(r.slips > 0, cases[i].slips);
        assert_int_equal(r.lost % CYCLE, 0);
        if (cases[i].slips) {
            /* Stalled from the start, the rotor stays where it stopped
             * while the field runs 2000 microsteps away... */
            assert_true(r.stalled);
            assert_true(r.rotor >= -CYCLE - CYCLE / 2 && r.rotor <= CYCLE / 2);
            /* ...until slow steps pull it back in. */
            uint64_t now = 1000 + 2000 * interval;
            slow_steps(m, &now, 1, 5);
            struct stepper_report after = report(m);
            assert_false(after.stalled);
            assert_int_equal(after.rotor, r.rotor + 5);
        }
        stepper_model_destroy(m);
    }
}

static void test_torque_scale_fault(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    struct drive d;
    drive_init(&d, m, NULL);
    d.check_cycles = CYCLE;
    assert_int_equal(stepper_model_set_torque_scale(m, 0.3), 0);
    drive_move(&d, (long)(100 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
    struct stepper_report r = report(m);
    printf("torque x0.3: %llu slips, %lld microsteps lost\n", (unsigned long long)r.slips,
           (long long)r.lost);
    assert_true(r.slips > 0);
    assert_int_equal(r.lost % CYCLE, 0);

    /* Healthy again: the same move loses nothing more. */
    uint64_t slips = r.slips;
    assert_int_equal(stepper_model_set_torque_scale(m, 1.0), 0);
    drive_move(&d, (long)(-100 * PER_MM), 300 * PER_MM, 3000 * PER_MM);
    r = report(m);
    assert_int_equal(r.slips, slips);

    /* Refused values leave the motor as it was. */
    assert_int_equal(stepper_model_set_torque_scale(m, -1), -1);
    assert_non_null(strstr(stepper_model_error(m), "torque scale"));
    assert_int_equal(stepper_model_set_torque_scale(m, NAN), -1);
    assert_int_equal(stepper_model_set_torque_scale(m, 1000), -1);
    assert_true(fabs(stepper_model_torque_at(m, 0) - 0.45) < 1e-12);

    /* A dead motor follows nothing. */
    assert_int_equal(stepper_model_set_torque_scale(m, 0), 0);
    assert_true(stepper_model_pullin_speed(m) == 0.0);
    drive_move(&d, (long)(10 * PER_MM), 50 * PER_MM, 3000 * PER_MM);
    r = report(m);
    assert_true(r.slips > slips + 5);
    stepper_model_destroy(m);
}

static void test_force_slip(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    uint64_t now = 10;
    slow_steps(m, &now, 1, 10);
    assert_int_equal(stepper_model_force_slip(m, 2), 0);
    /* Nothing happens until the next step. */
    assert_int_equal(report(m).lost, 0);
    slow_steps(m, &now, 1, 1);
    struct stepper_report r = report(m);
    assert_int_equal(r.commanded, 11);
    assert_int_equal(r.lost, 8 * 16);
    assert_int_equal(r.rotor, 11 - 8 * 16);
    assert_int_equal(r.slips, 2);
    assert_false(r.stalled);
    /* Only once. */
    slow_steps(m, &now, 1, 10);
    assert_int_equal(report(m).lost, 8 * 16);

    /* Moving down, the rotor falls back upward. */
    assert_int_equal(stepper_model_force_slip(m, 1), 0);
    slow_steps(m, &now, 0, 1);
    r = report(m);
    assert_int_equal(r.lost, 8 * 16 - CYCLE);
    assert_int_equal(r.slips, 3);
    assert_int_equal(r.slipped, 3 * CYCLE);

    /* Steps while disabled do not use it up; 0 cancels it. */
    assert_int_equal(stepper_model_force_slip(m, 1), 0);
    assert_int_equal(stepper_model_set_enable(m, now, false), 0);
    slow_steps(m, &now, 1, 3);
    assert_int_equal(report(m).slips, 3);
    assert_int_equal(stepper_model_set_enable(m, now, true), 0);
    assert_int_equal(stepper_model_force_slip(m, 0), 0);
    slow_steps(m, &now, 1, 3);
    assert_int_equal(report(m).slips, 3);
    stepper_model_destroy(m);
}

static void test_time_order(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    assert_int_equal(stepper_model_set_dir(m, 100, 1), 0);
    assert_int_equal(stepper_model_step(m, 1000), 0);
    struct stepper_report before = report(m);
    assert_int_equal(stepper_model_step(m, 999), -1);
    assert_non_null(strstr(stepper_model_error(m), "before the previous input at cycle 1000"));
    assert_int_equal(stepper_model_set_dir(m, 500, 0), -1);
    assert_int_equal(stepper_model_set_enable(m, 500, false), -1);
    struct stepper_report after = report(m);
    assert_int_equal(after.commanded, before.commanded);
    assert_int_equal(after.edges, before.edges);
    assert_true(after.enabled);
    assert_true(after.speed == before.speed);
    assert_int_equal(after.timing_violations, before.timing_violations);
    /* The same cycle is fine. */
    assert_int_equal(stepper_model_set_dir(m, 1000, 1), 0);
    stepper_model_destroy(m);
}

static void test_timing_violations(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    assert_int_equal(stepper_model_set_dir(m, 0, 1), 0);
    assert_int_equal(stepper_model_step(m, 1000), 0);
    /* 1 us after the previous rising edge: the A4988 needs 1 us high and
     * 1 us low. */
    assert_int_equal(stepper_model_step(m, 1016), 0);
    assert_int_equal(report(m).timing_violations, 1);
    /* A step 100 ns after a dir change: dir needs 200 ns of setup. */
    assert_int_equal(stepper_model_set_dir(m, 2000, 0), 0);
    assert_int_equal(stepper_model_step(m, 2001), 0);
    assert_int_equal(report(m).timing_violations, 2);
    /* 200 ns is enough; a dir "change" to the same level is none. */
    assert_int_equal(stepper_model_set_dir(m, 3000, 1), 0);
    assert_int_equal(stepper_model_step(m, 3004), 0);
    assert_int_equal(stepper_model_set_dir(m, 4000, 1), 0);
    assert_int_equal(stepper_model_step(m, 4001), 0);
    assert_int_equal(report(m).timing_violations, 2);
    /* Dir must also hold 200 ns after a step edge. */
    assert_int_equal(stepper_model_set_dir(m, 4002, 0), 0);
    assert_int_equal(report(m).timing_violations, 3);
    assert_int_equal(stepper_model_step(m, 5000), 0);
    assert_int_equal(stepper_model_set_dir(m, 5004, 1), 0);
    assert_int_equal(report(m).timing_violations, 3);
    /* Steps while disabled are not the driver's business. */
    assert_int_equal(stepper_model_set_enable(m, 6000, false), 0);
    assert_int_equal(stepper_model_step(m, 6001), 0);
    assert_int_equal(stepper_model_step(m, 6002), 0);
    assert_int_equal(report(m).timing_violations, 3);
    stepper_model_destroy(m);
}

static void test_travel(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    assert_int_equal(stepper_model_set_travel(m, 10, 5), -1);
    assert_int_equal(stepper_model_set_travel(m, 10, 20), -1);
    assert_non_null(strstr(stepper_model_error(m), "outside"));
    assert_int_equal(stepper_model_set_travel(m, -100, 100), 0);
    uint64_t now = 10;
    /* 100 up to the obstacle, 32 more pressed against it, the 33rd
     * throws the rotor back a cycle. */
    slow_steps(m, &now, 1, 132);
    struct stepper_report r = report(m);
    assert_int_equal(r.rotor, 100);
    assert_int_equal(r.lost, 0);
    slow_steps(m, &now, 1, 1);
    r = report(m);
    assert_int_equal(r.lost, CYCLE);
    assert_int_equal(r.rotor, 133 - CYCLE);
    assert_int_equal(r.slips, 1);

    /* Pressed against the lower end, then a start far too fast upward:
     * the rotor stalls at the obstacle and loses one cycle per cycle the
     * field runs away, not more. */
    slow_steps(m, &now, 0, 133 + 100 + 20);
    r = report(m);
    assert_int_equal(r.rotor, -100);
    uint64_t slips = r.slips;
    assert_int_equal(stepper_model_set_dir(m, now + 16000, 1), 0);
    for (uint64_t k = 1; k <= 2000; k++)
        assert_int_equal(stepper_model_step(m, now + 32000 + k * 667), 0);
    r = report(m);
    assert_true(r.stalled);
    assert_true(r.slips - slips >= 2000 / CYCLE - 1 && r.slips - slips <= 2000 / CYCLE + 2);
    assert_true(r.rotor >= -100 && r.rotor <= -100 + CYCLE);
    stepper_model_destroy(m);
}

/* An obstacle moved onto the rotor pushes it back: within half a cycle
 * it is only pressed, further it loses whole cycles. */
static void test_move_travel(void **state)
{
    (void)state;
    struct stepper_model *m = new_motor(NULL);
    uint64_t now = 10;
    slow_steps(m, &now, 1, 40);
    /* 20 past the new end: pressed against it, nothing lost. */
    assert_int_equal(stepper_model_move_travel(m, -100, 20), 0);
    struct stepper_report r = report(m);
    assert_true(r.lost == 0 && r.rotor == 20);
    /* 35 past: more than half a cycle, so the rotor falls back a whole
     * cycle behind its field. */
    assert_int_equal(stepper_model_move_travel(m, -100, 5), 0);
    r = report(m);
    assert_true(r.lost == CYCLE && r.slips == 1 && r.rotor == 40 - CYCLE);
    assert_int_equal(stepper_model_move_travel(m, 10, 5), -1);
    assert_non_null(strstr(stepper_model_error(m), "lower end 10 is above upper end 5"));
    stepper_model_destroy(m);
}

static void test_bad_params(void **state)
{
    (void)state;
    struct stepper_params p;
    char err[200];
    const char *expect[] = {"microsteps",     "microsteps",   "full_steps_per_rotation",
                            "holding_torque", "corner_speed", "rotor_inertia",
                            "load_inertia",   "filter_time",  "clock_hz",
                            "damping"};
    for (int i = 0; i < 10; i++) {
        stepper_params_default(&p);
        switch (i) {
        case 0:
            p.microsteps = 12;
            break;
        case 1:
            p.microsteps = 0;
            break;
        case 2:
            p.full_steps_per_rotation = 198;
            break;
        case 3:
            p.holding_torque = -0.45;
            break;
        case 4:
            p.corner_speed = NAN;
            break;
        case 5:
            p.rotor_inertia = 0;
            break;
        case 6:
            p.load_inertia = -1;
            break;
        case 7:
            p.filter_time = INFINITY;
            break;
        case 8:
            p.clock_hz = 0;
            break;
        case 9:
            p.damping = -1e-4;
            break;
        }
        err[0] = '\0';
        assert_null(stepper_model_create(&p, err, sizeof(err)));
        printf("%s\n", err);
        assert_non_null(strstr(err, expect[i]));
        assert_non_null(strstr(err, "expected"));
    }
}

static void test_default_curve(void **state)
{
    (void)state;
    /* The documented numbers: 0.45 Nm held, halved at 20 rad/s; at 300
     * mm/s (47.1 rad/s) 0.134 Nm; pull-in near 17 rad/s. */
    struct stepper_model *m = new_motor(NULL);
    assert_true(fabs(stepper_model_torque_at(m, 20) - 0.225) < 1e-9);
    assert_true(fabs(stepper_model_torque_at(m, 300.0 / 40 * 2 * M_PI) - 0.134) < 0.001);
    double pullin = stepper_model_pullin_speed(m);
    printf("pull-in speed %.1f rad/s = %.0f full steps/s\n", pullin, pullin / (2 * M_PI) * 200);
    assert_true(pullin > 14 && pullin < 20);
    assert_int_equal(stepper_model_cycle(m), CYCLE);
    stepper_model_destroy(m);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bookkeeping),
        cmocka_unit_test(test_moderate_profile_no_slip),
        cmocka_unit_test(test_moderate_profile_queue_step_timing),
        cmocka_unit_test(test_violent_speed_slips),
        cmocka_unit_test(test_violent_accel_slips),
        cmocka_unit_test(test_limits_of_the_default_motor),
        cmocka_unit_test(test_sudden_start),
        cmocka_unit_test(test_torque_scale_fault),
        cmocka_unit_test(test_force_slip),
        cmocka_unit_test(test_time_order),
        cmocka_unit_test(test_timing_violations),
        cmocka_unit_test(test_travel),
        cmocka_unit_test(test_move_travel),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_default_curve),
    };
    return run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
