/* The engine on the twin: homing, moves and a print land the simulated
 * carriages where the engine says they are; the same run gives the same
 * record; both simulated MCUs agree; endstop faults and lost steps are
 * seen the way Klipper users find them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twin_fixture.h"

static const char *const axes[3] = {"stepper_x", "stepper_y", "stepper_z"};
static const double mm_per_microstep[3] = {40.0 / 3200, 40.0 / 3200, 8.0 / 3200};

/* The toolhead (M114) against the simulated carriages of the first
 * naxes axes, after the moves have run: within one microstep. */
static void check_axes(struct fx *f, int naxes, const char *when)
{
    fx_ok(f, "M400");
    double pos[4];
    fx_m114(f, pos);
    struct twin_report r;
    fx_report(f, &r);
    for (int i = 0; i < naxes; i++) {
        const struct twin_stepper_report *s = fx_stepper(&r, axes[i]);
        if (fabs(s->actual_mm - pos[i]) > mm_per_microstep[i] * 1.001)
            fail_msg("%s: %s carriage at %.5f mm, the engine says %.5f", when, axes[i],
                     s->actual_mm, pos[i]);
    }
}

/* Every step edge so far came from a step the host scheduled, and none
 * later than max_late ticks after its clock. */
static void check_step_times(const struct twin_report *r, int64_t max_late)
{
    const struct twin_schedule_stats *sc = &r->schedule;
    uint64_t edges = 0;
    for (size_t i = 0; i < r->nsteppers; i++)
        edges += r->steppers[i].motor.edges;
    assert_true(sc->watching);
    if (sc->unexpected || sc->checked != edges || sc->min_late < 0 || sc->max_late > max_late)
        fail_msg("%s: %llu of %llu edges checked, %llu unexpected, %lld..%lld ticks late (at "
                 "most %lld allowed)",
                 r->backend, (unsigned long long)sc->checked, (unsigned long long)edges,
                 (unsigned long long)sc->unexpected, (long long)sc->min_late,
                 (long long)sc->max_late, (long long)max_late);
}

/* All three, and nothing slipped. */
static void check_carriages(struct fx *f, const char *when)
{
    check_axes(f, 3, when);
    struct twin_report r;
    fx_report(f, &r);
    for (size_t i = 0; i < r.nsteppers; i++)
        assert_int_equal(r.steppers[i].motor.slips, 0);
}

static void test_home_all(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    fx_open(&f, &o);
    /* Unhomed, the engine refuses moves; the carriages stay put. */
    assert_int_equal(fx_line(&f, "G1 X10"), 1);
    assert_non_null(strstr(fx_last(&f), "!! Must home axis first"));
    fx_ok(&f, "G28");
    check_carriages(&f, "after G28");
    /* safe_z_home: X and Y at home_xy_position, Z lifted by z_hop. */
    double pos[4];
    fx_m114(&f, pos);
    assert_true(fabs(pos[0] - 100) < 1e-6 && fabs(pos[1] - 100) < 1e-6);
    struct twin_run_result res;
    fx_finish(&f, &res);
    assert_false(res.shutdown);
    assert_int_equal(res.stats.errors, 1);
}

static void test_moves(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    fx_open(&f, &o);
    fx_ok(&f, "G28");
    fx_ok(&f, "G1 X20 Y30 Z5 F6000");
    check_carriages(&f, "G1 X20 Y30 Z5");
    fx_ok(&f, "G1 X180.0125 Y5.5 Z12.0025 F15000");
    fx_ok(&f, "G1 X0 Y200 F18000");
    fx_ok(&f, "G91");
    fx_ok(&f, "G1 X33.3 Y-77.7 Z-1.1");
    check_carriages(&f, "after the relative move");
    struct twin_report r;
    fx_report(&f, &r);
    /* Every step the drivers saw moved their rotors. */
    for (size_t i = 0; i < r.nsteppers; i++) {
        assert_int_equal(r.steppers[i].followed, r.steppers[i].motor.edges);
        assert_int_equal(r.steppers[i].motor.timing_violations, 0);
    }
    assert_int_equal(r.model_errors, 0);
    fx_finish(&f, NULL);
}

/* A corexy: both motors home each axis, and the carriage goes where
 * the engine says, x from the sum of the belts and y from their
 * difference. */
static void test_corexy(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.cfg = TEST_DATA "/corexy.cfg";
    fx_open(&f, &o);
    fx_ok(&f, "G28");
    check_carriages(&f, "after G28");
    int64_t a0 = fx_mcu_position(&f, "stepper_x"), b0 = fx_mcu_position(&f, "stepper_y");
    /* The diagonal x = y turns motor a alone; x = -y motor b alone. */
    fx_ok(&f, "G1 X130 Y130 F12000");
    check_carriages(&f, "on the x = y diagonal");
    assert_int_equal(fx_mcu_position(&f, "stepper_y"), b0);
    assert_int_equal(fx_mcu_position(&f, "stepper_x") - a0, 60 * 80);
    fx_ok(&f, "G1 X100 Y160");
    check_carriages(&f, "on the x = -y diagonal");
    assert_int_equal(fx_mcu_position(&f, "stepper_x") - a0, 60 * 80);
    assert_int_equal(fx_mcu_position(&f, "stepper_y") - b0, -60 * 80);
    fx_ok(&f, "G1 X5 Y195 F18000");
    fx_ok(&f, "G1 X195 Y5");
    check_carriages(&f, "after the corners");
    struct twin_report r;
    fx_report(&f, &r);
    check_step_times(&r, 2000);
    assert_int_equal(r.model_errors, 0);
    fx_finish(&f, NULL);
}

/* Klipper turns a driver on before it steps it. */
static void test_no_steps_while_disabled(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    fx_open(&f, &o);
    fx_ok(&f, "G28");
    fx_ok(&f, "G1 X20 Y30 Z5 E0 F6000");
    fx_ok(&f, "M84");
    fx_ok(&f, "G28 X Y");
    fx_ok(&f, "M400");
    struct twin_report r;
    fx_report(&f, &r);
    for (size_t i = 0; i < r.nsteppers; i++)
        if (r.steppers[i].motor.ignored)
            fail_msg("%s: %llu step edges while its driver was disabled", r.steppers[i].name,
                     (unsigned long long)r.steppers[i].motor.ignored);
    fx_finish(&f, NULL);
}

/* A carriage resting on its switch: the first touch ends at once, the
 * retract frees the switch, the second touch finds it. */
static void test_home_from_switch(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.start_x = -0.2;
    fx_open(&f, &o);
    fx_ok(&f, "G28 X");
    fx_ok(&f, "G1 X50 F6000");
    check_axes(&f, 1, "homed from the switch");
    fx_finish(&f, NULL);
}

/* M112, then FIRMWARE_RESTART: the MCU is reset through the twin's
 * link, the engine starts over, and the carriages are where they were. */
static void test_firmware_restart(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    fx_open(&f, &o);
    fx_ok(&f, "G28 X");
    fx_ok(&f, "G1 X40 F6000");
    fx_ok(&f, "M400");
    fx_ok(&f, "M112");
    assert_int_equal(fx_line(&f, "G1 X10"), 1);
    fx_ok(&f, "FIRMWARE_RESTART");
    assert_null(engine_shutdown_reason(twin_run_engine(f.r)));
    struct twin_report r;
    fx_report(&f, &r);
    assert_true(fabs(fx_stepper(&r, "stepper_x")->actual_mm - 40) < 1e-9);
    /* A fresh printer: unhomed again. */
    assert_int_equal(fx_line(&f, "G1 X10"), 1);
    assert_non_null(strstr(fx_last(&f), "!! Must home axis first"));
    fx_ok(&f, "G28 X");
    fx_ok(&f, "G1 X30 F6000");
    check_axes(&f, 1, "after FIRMWARE_RESTART");
    /* The MCU's clock started over with the reset: the steps after it are
     * still dated against the right clock. */
    fx_report(&f, &r);
    check_step_times(&r, 2000);
    fx_finish(&f, NULL);
}

/* A small print: every stepper's rotor follows every step, the extruder
 * included, and the carriages end where the G-code says. */
static void test_print_square(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.cfg = TEST_DATA "/ramps-cold.cfg";
    fx_open(&f, &o);
    char err[512];
    if (twin_run_file(f.r, TEST_DATA "/square.gcode", err, sizeof(err)))
        fail_msg("%s", err);
    struct twin_run_result res;
    fx_finish(&f, &res);
    assert_false(res.shutdown);
    assert_int_equal(res.stats.errors, 0);
    const struct twin_report *r = &res.report;
    assert_int_equal(r->nsteppers, 4);
    for (size_t i = 0; i < r->nsteppers; i++) {
        const struct twin_stepper_report *s = &r->steppers[i];
        if (s->followed != s->motor.edges || s->motor.slips || s->motor.lost)
            fail_msg("%s: %llu steps, the rotor followed %llu (%llu slips)", s->name,
                     (unsigned long long)s->motor.edges, (unsigned long long)s->followed,
                     (unsigned long long)s->motor.slips);
        assert_true(s->motor.edges > 0);
        assert_int_equal(s->motor.timing_violations, 0);
    }
    const double end[3] = {100, 150, 10};
    for (int i = 0; i < 3; i++)
        assert_true(fabs(fx_stepper(r, axes[i])->actual_mm - end[i]) <= mm_per_microstep[i]);
    /* 4 x 1.8 + 12 x 1.2 mm pushed, 3 x 0.8 retracted and 2 x 0.8 primed:
     * the filament the rotor fed, within a microstep. */
    const struct twin_stepper_report *e = fx_stepper(r, "extruder");
    assert_true(fabs(e->actual_mm - (7.2 + 14.4 - 0.8)) < 0.004);
    assert_int_equal(r->model_errors, 0);
}

/* A short session with homing, moves and some heat. */
static uint64_t session_hash(const char *backend, uint64_t seed, struct twin_report *out)
{
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.backend = backend;
    o.seed = seed;
    o.cfg = TEST_DATA "/ramps-cold.cfg";
    fx_open(&f, &o);
    fx_ok(&f, "M104 S120");
    fx_ok(&f, "G28 X Y");
    fx_ok(&f, "G1 X50 Y60 F9000");
    fx_ok(&f, "SET_KINEMATIC_POSITION Z=10");
    fx_ok(&f, "G1 Z12 E3 F600");
    fx_ok(&f, "G1 X120 Y20 E2 F6000");
    fx_ok(&f, "G4 P2000");
    fx_ok(&f, "M400");
    struct twin_run_result *res = malloc(sizeof(*res));
    assert_non_null(res);
    fx_finish(&f, res);
    assert_false(res->shutdown);
    if (out)
        *out = res->report;
    uint64_t h = res->report.hash;
    free(res);
    return h;
}

static void test_determinism(void **state)
{
    (void)state;
    uint64_t a = session_hash("avr", 1, NULL);
    uint64_t b = session_hash("avr", 1, NULL);
    assert_int_equal(a, b);
    /* The hash does see a difference: another seed moves the trigger
     * points of the endstops. */
    uint64_t c = session_hash("avr", 2, NULL);
    assert_int_not_equal(a, c);
}

static void test_backends_agree(void **state)
{
    (void)state;
    struct twin_report *avr = malloc(sizeof(*avr)), *native = malloc(sizeof(*native));
    assert_non_null(avr);
    assert_non_null(native);
    session_hash("avr", 1, avr);
    session_hash("native", 1, native);
    assert_int_equal(avr->nsteppers, native->nsteppers);
    /* Both ran the host's schedule: native steps late only behind another
     * stepper's 32-tick pulse due at the same tick; the AVR by its
     * interrupt latency (its worst here is printed for the record). */
    check_step_times(native, 3 * 32);
    check_step_times(avr, 2000);
    print_message("step times: native %lld..%lld, avr %lld..%lld ticks late\n",
                  (long long)native->schedule.min_late, (long long)native->schedule.max_late,
                  (long long)avr->schedule.min_late, (long long)avr->schedule.max_late);
    for (size_t i = 0; i < avr->nsteppers; i++) {
        const struct twin_stepper_report *a = &avr->steppers[i], *n = &native->steppers[i];
        if (a->motor.edges != n->motor.edges || a->motor.commanded != n->motor.commanded ||
            a->actual_mm != n->actual_mm)
            fail_msg("%s: avr %llu steps to %.5f mm, native %llu steps to %.5f mm", a->name,
                     (unsigned long long)a->motor.edges, a->actual_mm,
                     (unsigned long long)n->motor.edges, n->actual_mm);
    }
    free(avr);
    free(native);
}

static void check_homing_error(const char *fault, const char *want)
{
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.faults = &fault;
    o.nfaults = 1;
    fx_open(&f, &o);
    assert_int_equal(fx_line(&f, "G28 X"), 1);
    if (!strstr(fx_last(&f), want))
        fail_msg("%s: want '%s', got:\n%s", fault, want, fx_last(&f));
    /* The axis stays unhomed. */
    assert_int_equal(fx_line(&f, "G1 X10"), 1);
    assert_non_null(strstr(fx_last(&f), "!! Must home axis first"));
    struct twin_run_result res;
    fx_finish(&f, &res);
    assert_true(res.report.faults[0].fired);
}

static void test_endstop_stuck_open(void **state)
{
    (void)state;
    check_homing_error("endstop-open:x", "!! No trigger on x after full movement");
}

static void test_endstop_stuck_closed(void **state)
{
    (void)state;
    check_homing_error("endstop-closed:stepper_x", "!! Endstop x still triggered after retract");
}

/* Klipper's way to find lost steps: home, note the MCU's step count,
 * print, home again: the step count at the trigger differs by the steps
 * lost in between. */
static int64_t lost_by_rehoming(struct fx *f, const char *const *moves, size_t nmoves)
{
    fx_ok(f, "G28 X");
    int64_t before = fx_mcu_position(f, "stepper_x");
    for (size_t i = 0; i < nmoves; i++)
        fx_ok(f, moves[i]);
    fx_ok(f, "G28 X");
    int64_t after = fx_mcu_position(f, "stepper_x");
    check_axes(f, 1, "after homing again");
    return after - before;
}

static void test_forced_slip(void **state)
{
    (void)state;
    /* Two electrical cycles lost at the first step of line 3, the move
     * out; exact trigger points make the count exact. */
    const char *fault = "slip:x:2@line=3";
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.faults = &fault;
    o.nfaults = 1;
    o.endstop_spread = 0;
    fx_open(&f, &o);
    static const char *const moves[] = {"G1 X150 F6000", "G1 X40 F3000", "G1 X60"};
    int64_t diff = lost_by_rehoming(&f, moves, 3);
    assert_int_equal(diff, 2 * 4 * 16);
    struct twin_report r;
    fx_report(&f, &r);
    const struct twin_stepper_report *x = fx_stepper(&r, "stepper_x");
    assert_int_equal(x->motor.slips, 2);
    assert_int_equal(x->motor.lost, 128);
    fx_finish(&f, NULL);
}

static void check_lost_steps_found(struct fx *f, const char *const *moves, size_t n)
{
    int64_t diff = lost_by_rehoming(f, moves, n);
    struct twin_report r;
    fx_report(f, &r);
    const struct twin_stepper_report *x = fx_stepper(&r, "stepper_x");
    if (!x->motor.slips || diff != x->motor.lost || diff % 64)
        fail_msg("re-homing found %lld microsteps, the motor lost %lld in %llu slips",
                 (long long)diff, (long long)x->motor.lost, (unsigned long long)x->motor.slips);
}

/* 300 mm/s at 20000 mm/s^2 needs more torque than the NEMA17 has there. */
static void test_overfast_move_slips(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.cfg = TEST_DATA "/ramps-fast.cfg";
    o.endstop_spread = 0;
    fx_open(&f, &o);
    /* From the middle, so that the carriage, stalled for most of the way,
     * stays clear of the switch; homing again straight after, before it
     * can be driven into the frame. */
    static const char *const moves[] = {"G1 X100 F3000", "G1 X190 F18000"};
    check_lost_steps_found(&f, moves, 2);
    fx_finish(&f, NULL);
}

/* A driver set to 30 % of its current still homes at 50 mm/s, but loses
 * steps at the printer's 300 mm/s. */
static void test_weak_motor_slips(void **state)
{
    (void)state;
    const char *fault = "torque:x:0.3@line=3";
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.faults = &fault;
    o.nfaults = 1;
    o.endstop_spread = 0;
    fx_open(&f, &o);
    static const char *const moves[] = {"G1 X190 F18000"};
    check_lost_steps_found(&f, moves, 1);
    fx_finish(&f, NULL);
}

/* A 1000 mm/s move keeps the AVR's timer interrupt busy for 90 ms, far
 * longer than Timer1's 4.1 ms overflow period; its clock must not lose
 * the overflows, or homing afterwards puts the toolhead millimetres from
 * the carriage (the trigger clock would read early). */
static void test_home_after_saturating_move(void **state)
{
    (void)state;
    struct fx f;
    struct fx_opts o;
    fx_opts_init(&o);
    o.cfg = TEST_DATA "/ramps-fast.cfg";
    o.backend = "avr";
    o.endstop_spread = 0;
    fx_open(&f, &o);
    fx_ok(&f, "G28 X");
    fx_ok(&f, "G1 X100 F3000");
    fx_ok(&f, "G1 X190 F60000");
    fx_ok(&f, "G28 X");
    check_axes(&f, 1, "homed after a 1000 mm/s move");
    fx_finish(&f, NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_all),
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_corexy),
        cmocka_unit_test(test_no_steps_while_disabled),
        cmocka_unit_test(test_home_from_switch),
        cmocka_unit_test(test_firmware_restart),
        cmocka_unit_test(test_print_square),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_backends_agree),
        cmocka_unit_test(test_endstop_stuck_open),
        cmocka_unit_test(test_endstop_stuck_closed),
        cmocka_unit_test(test_forced_slip),
        cmocka_unit_test(test_overfast_move_slips),
        cmocka_unit_test(test_weak_motor_slips),
        cmocka_unit_test(test_home_after_saturating_move),
    };
    return fx_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
