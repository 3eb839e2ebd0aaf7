/* The corexy gantry: x and y from the sum and difference of two belts,
 * the frame stopping the carriage in both, one switch per coordinate. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "corexy_model.h"
#include "motion_profile.h"
#include "test_main.h"

#define MM_PER_USTEP (40.0 / 3200) /* the default pulley: 80 microsteps/mm */

struct rig {
    struct stepper_model *motor[2];
    struct corexy_model *g;
    uint64_t now;
    int changes[2];    /* reported switch changes, x and y */
    int stop_on_close; /* end a move at the step that closes a switch */
};

static void rig_open(struct rig *r, const struct axis_params *pp)
{
    memset(r, 0, sizeof(*r));
    struct axis_params p[2];
    if (pp) {
        p[0] = pp[0];
        p[1] = pp[1];
    } else {
        axis_params_default(&p[0]);
        axis_params_default(&p[1]);
        p[1].seed = 2;
    }
    struct stepper_params sp;
    stepper_params_default(&sp);
    sp.load_inertia = axis_reflected_inertia(1.0, 40.0, 1.0);
    char err[200];
    for (int i = 0; i < 2; i++) {
        r->motor[i] = stepper_model_create(&sp, err, sizeof(err));
        assert_non_null(r->motor[i]);
        assert_int_equal(stepper_model_set_enable(r->motor[i], 0, true), 0);
    }
    r->g = corexy_model_create(p, r->motor, err, sizeof(err));
    if (!r->g)
        fail_msg("%s", err);
    r->now = 1000;
}

static void rig_close(struct rig *r)
{
    corexy_model_destroy(r->g);
    stepper_model_destroy(r->motor[0]);
    stepper_model_destroy(r->motor[1]);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Move the carriage by (dx, dy) mm in a straight line at v mm/s and
 * a mm/s^2 (along the line): each motor steps where the line crosses its
 * half-microsteps. Returns the steps taken. */
static long move(struct rig *r, double dx, double dy, double v, double a)
{
    double belt[2] = {dx + dy, dx - dy};
    double len = hypot(dx, dy);
    long n[2];
    for (int i = 0; i < 2; i++) {
        n[i] = lround(belt[i] / MM_PER_USTEP);
        assert_int_equal(stepper_model_set_dir(r->motor[i], r->now, n[i] > 0), 0);
    }
    /* Profile in microns of the line: fine enough to place every step. */
    struct profile p;
    profile_init(&p, lround(len * 1000), v * 1000, a * 1000);
    uint64_t start = r->now + 160;
    size_t total = (size_t)(labs(n[0]) + labs(n[1]));
    uint64_t *ev = malloc(sizeof(*ev) * (total ? total : 1));
    assert_non_null(ev);
    size_t k = 0;
    for (int i = 0; i < 2; i++)
        for (long s = 1; s <= labs(n[i]); s++) {
            double frac = ((double)s - 0.5) / (double)labs(n[i]);
            uint64_t t = start + (uint64_t)llround(profile_time_at(&p, frac * len * 1000) * 16e6);
            /* the motor in the low bit: time order, a before b on a tie */
            ev[k++] = t << 1 | (uint64_t)i;
        }
    qsort(ev, total, sizeof(*ev), cmp_u64);
    long taken = 0;
    uint64_t end = start;
    for (k = 0; k < total; k++) {
        int i = (int)(ev[k] & 1);
        end = ev[k] >> 1;
        int rc = corexy_model_step(r->g, i, end);
        if (rc < 0)
            fail_msg("%s", corexy_model_error(r->g));
        taken++;
        for (int axis = 0; axis < 2; axis++) {
            double pos = corexy_model_position(r->g, axis);
            assert_true(pos >= -5.0 - 1e-9 && pos <= 205.0 + 1e-9);
            if (rc & (axis == COREXY_X ? COREXY_X_CHANGED : COREXY_Y_CHANGED)) {
                r->changes[axis]++;
                if (r->stop_on_close && corexy_model_endstop_closed(r->g, axis)) {
                    free(ev);
                    r->now = end + 800000;
                    return taken;
                }
            }
        }
    }
    free(ev);
    r->now = end + 800000; /* rest 50 ms */
    return taken;
}

static double pos(const struct rig *r, int axis)
{
    return corexy_model_position(r->g, axis);
}

static void test_positions(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL);
    assert_true(pos(&r, COREXY_X) == 100.0 && pos(&r, COREXY_Y) == 100.0);
    /* Pure x: both belts the same way. */
    move(&r, 10, 0, 100, 3000);
    assert_true(fabs(pos(&r, COREXY_X) - 110) < 1e-9 && fabs(pos(&r, COREXY_Y) - 100) < 1e-9);
    struct stepper_report ra, rb;
    stepper_model_report(r.motor[0], &ra);
    stepper_model_report(r.motor[1], &rb);
    assert_true(ra.commanded == 800 && rb.commanded == 800);
    /* Pure y: opposite ways. */
    move(&r, 0, -20, 100, 3000);
    assert_true(fabs(pos(&r, COREXY_X) - 110) < 1e-9 && fabs(pos(&r, COREXY_Y) - 80) < 1e-9);
    stepper_model_report(r.motor[0], &ra);
    stepper_model_report(r.motor[1], &rb);
    assert_true(ra.commanded == 800 - 1600 && rb.commanded == 800 + 1600);
    /* The diagonal x = y moves motor a alone. */
    move(&r, 5, 5, 100, 3000);
    stepper_model_report(r.motor[1], &rb);
    assert_int_equal(rb.commanded, 2400);
    assert_true(fabs(pos(&r, COREXY_X) - 115) < 1e-9 && fabs(pos(&r, COREXY_Y) - 85) < 1e-9);
    assert_true(ra.lost == 0 && rb.lost == 0);
    rig_close(&r);
}

/* Homing x closes the x switch only, then homing y the y switch. */
static void test_endstops(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL);
    r.stop_on_close = 1;
    move(&r, -150, 0, 50, 1000);
    assert_true(corexy_model_endstop_closed(r.g, COREXY_X));
    assert_false(corexy_model_endstop_closed(r.g, COREXY_Y));
    assert_true(fabs(pos(&r, COREXY_X)) < 0.005 + MM_PER_USTEP);
    assert_true(fabs(pos(&r, COREXY_Y) - 100) < 1e-9);
    assert_true(r.changes[0] == 1 && r.changes[1] == 0);
    move(&r, 0, -150, 50, 1000);
    assert_true(corexy_model_endstop_closed(r.g, COREXY_Y));
    assert_true(fabs(pos(&r, COREXY_Y)) < 0.005 + MM_PER_USTEP);
    assert_true(corexy_model_endstop_closed(r.g, COREXY_X)); /* still pressed */
    /* Off both switches again, past the hysteresis. */
    r.stop_on_close = 0;
    move(&r, 5, 5, 50, 1000);
    assert_false(corexy_model_endstop_closed(r.g, COREXY_X));
    assert_false(corexy_model_endstop_closed(r.g, COREXY_Y));
    rig_close(&r);
}

/* Driving x into the frame stalls both motors: the carriage stays at the
 * stop, y wanders by at most the half cycle a rotor can sit off its
 * field, and whole cycles are lost. (Moving y while still pressed against
 * the x stop pushes one motor's field further into it and can slip it
 * too, as on a real gantry.) */
static void test_frame_stall(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL);
    move(&r, 110, 0, 100, 3000); /* 5 mm into the frame at 205 */
    assert_true(fabs(pos(&r, COREXY_X) - 205) <= MM_PER_USTEP);
    assert_true(fabs(pos(&r, COREXY_Y) - 100) <= 32 * MM_PER_USTEP);
    struct stepper_report ra, rb;
    stepper_model_report(r.motor[0], &ra);
    stepper_model_report(r.motor[1], &rb);
    assert_true(ra.slips > 0 && rb.slips > 0);
    assert_int_equal(ra.lost % 64, 0);
    assert_int_equal(rb.lost % 64, 0);
    /* The carriage is where the rotors put it. */
    double a = (double)ra.rotor * MM_PER_USTEP, b = (double)rb.rotor * MM_PER_USTEP;
    assert_true(fabs(pos(&r, COREXY_X) - (100 + (a + b) / 2)) < 1e-9);
    assert_true(fabs(pos(&r, COREXY_Y) - (100 + (a - b) / 2)) < 1e-9);
    /* Backed off the stop, the gantry moves freely again: exactly as
     * commanded, nothing more lost. */
    move(&r, -10, 0, 100, 3000);
    double x0 = pos(&r, COREXY_X), y0 = pos(&r, COREXY_Y);
    uint64_t slips = ra.slips + rb.slips;
    move(&r, -20, 30, 100, 3000);
    stepper_model_report(r.motor[0], &ra);
    stepper_model_report(r.motor[1], &rb);
    assert_true(ra.slips + rb.slips == slips);
    assert_true(fabs(pos(&r, COREXY_X) - (x0 - 20)) < 1e-9);
    assert_true(fabs(pos(&r, COREXY_Y) - (y0 + 30)) < 1e-9);
    rig_close(&r);
}

static void test_stuck_open(void **state)
{
    (void)state;
    struct rig r;
    rig_open(&r, NULL);
    assert_int_equal(corexy_model_set_endstop_fault(r.g, COREXY_Y, ENDSTOP_STUCK_OPEN), 0);
    move(&r, 0, -101, 50, 1000);
    assert_false(corexy_model_endstop_closed(r.g, COREXY_Y));
    assert_int_equal(r.changes[1], 0);
    struct axis_report rep;
    corexy_model_report(r.g, COREXY_Y, &rep);
    assert_true(rep.switch_pressed && rep.closures == 1);
    /* Repaired while pressed: it reports closed at once. */
    assert_int_equal(corexy_model_set_endstop_fault(r.g, COREXY_Y, ENDSTOP_WORKING), 1);
    assert_true(corexy_model_endstop_closed(r.g, COREXY_Y));
    assert_int_equal(corexy_model_set_endstop_fault(r.g, COREXY_X, (enum endstop_fault)7), -1);
    assert_non_null(strstr(corexy_model_error(r.g), "expected working, stuck open or stuck"));
    rig_close(&r);
}

static void test_bad_params(void **state)
{
    (void)state;
    struct axis_params p[2];
    axis_params_default(&p[0]);
    axis_params_default(&p[1]);
    p[1].frame_max = p[1].frame_min;
    struct stepper_params sp;
    stepper_params_default(&sp);
    char err[200];
    struct stepper_model *m[2] = {stepper_model_create(&sp, err, sizeof(err)),
                                  stepper_model_create(&sp, err, sizeof(err))};
    assert_null(corexy_model_create(p, m, err, sizeof(err)));
    assert_non_null(strstr(err, "corexy y: axis_params.frame_max: expected mm above frame_min"));
    axis_params_default(&p[1]);
    p[0].endstop_position = 500;
    assert_null(corexy_model_create(p, m, err, sizeof(err)));
    assert_non_null(strstr(err, "corexy x: axis_params.endstop_position"));
    struct stepper_model *none[2] = {m[0], NULL};
    assert_null(corexy_model_create(p, none, err, sizeof(err)));
    assert_string_equal(err, "corexy: two motors needed");
    stepper_model_destroy(m[0]);
    stepper_model_destroy(m[1]);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),   cmocka_unit_test(test_endstops),
        cmocka_unit_test(test_frame_stall), cmocka_unit_test(test_stuck_open),
        cmocka_unit_test(test_bad_params),
    };
    return run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
