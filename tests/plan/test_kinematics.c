#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kinematics.h"
#include "plan_fixture.h"

static void make(struct kinematics *k, enum kin_type type)
{
    struct kin_config cfg = {
        .type = type,
        .position_min = {-5.0, 0.0, -1.0},
        .position_max = {200.0, 210.0, 180.0},
        .max_z_velocity = 10.0,
        .max_z_accel = 100.0,
    };
    char err[200];
    assert_int_equal(kinematics_init(k, &cfg, err, sizeof(err)), 0);
}

/* Check a move from start to end; returns the check's result with the
 * limits it left in *v and *a. */
static int check(const struct kinematics *k, const double start[4], const double end[4], double *v,
                 double *a, char *err, size_t errlen)
{
    double d[4];
    for (int i = 0; i < 4; i++)
        d[i] = end[i] - start[i];
    double move_d = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    *v = 100.0;
    *a = 1000.0;
    return kinematics_check_move(k, end, d, move_d, v, a, err, errlen);
}

static void test_names(void **state)
{
    (void)state;
    enum kin_type t;
    assert_int_equal(kin_type_from_name("corexy", &t), 0);
    assert_int_equal(t, KIN_COREXY);
    assert_int_equal(kin_type_from_name("cartesian", &t), 0);
    assert_int_equal(t, KIN_CARTESIAN);
    assert_int_equal(kin_type_from_name("none", &t), 0);
    assert_int_equal(t, KIN_NONE);
    assert_int_equal(kin_type_from_name("delta", &t), -1);
    assert_string_equal(kin_type_name(KIN_COREXY), "corexy");
}

static void test_must_home_first(void **state)
{
    (void)state;
    struct kinematics k;
    make(&k, KIN_CARTESIAN);
    char err[200] = "";
    double v, a;
    double start[4] = {0, 0, 0, 0}, end[4] = {10.0, 0.0, 0.0, 1.5};
    assert_int_equal(check(&k, start, end, &v, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "Must home axis first: 10.000 0.000 0.000 [1.500]");
    /* Homing X is enough for an X-only move; Y is not moved. */
    kinematics_set_homed(&k, AXIS_BIT(AXIS_X));
    assert_int_equal(kinematics_homed_axes(&k), AXIS_BIT(AXIS_X));
    assert_int_equal(check(&k, start, end, &v, &a, err, sizeof(err)), 0);
    assert_near(v, 100.0, 0.0);
    assert_near(a, 1000.0, 0.0);
    double diag[4] = {10.0, 20.0, 0.0, 0.0};
    assert_int_equal(check(&k, start, diag, &v, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "Must home axis first: 10.000 20.000 0.000 [0.000]");
}

static void test_out_of_range(void **state)
{
    (void)state;
    struct kinematics k;
    make(&k, KIN_CARTESIAN);
    kinematics_set_homed(&k, AXES_XYZ);
    char err[200] = "";
    double v, a;
    double start[4] = {100, 100, 10, 0};
    double far[4] = {200.5, 100, 10, 3.25};
    assert_int_equal(check(&k, start, far, &v, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "Move out of range: 200.500 100.000 10.000 [3.250]");
    double low[4] = {100, -0.001, 10, 0};
    assert_int_equal(check(&k, start, low, &v, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "Move out of range: 100.000 -0.001 10.000 [0.000]");
    double zlow[4] = {100, 100, -1.5, 0};
    assert_int_equal(check(&k, start, zlow, &v, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "Move out of range: 100.000 100.000 -1.500 [0.000]");
    /* The range ends themselves are allowed. */
    double edge[4] = {-5.0, 210.0, 180.0, 0};
    assert_int_equal(check(&k, start, edge, &v, &a, err, sizeof(err)), 0);
}

static void test_motors_off_clears_homing(void **state)
{
    (void)state;
    struct kinematics k;
    make(&k, KIN_CARTESIAN);
    kinematics_set_homed(&k, AXES_XYZ);
    kinematics_clear_homing(&k, AXIS_BIT(AXIS_Y));
    assert_int_equal(kinematics_homed_axes(&k), AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Z));
    char err[200] = "";
    double v, a;
    double start[4] = {100, 100, 10, 0}, end[4] = {100, 101, 10, 0};
    assert_int_equal(check(&k, start, end, &v, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "Must home axis first: 100.000 101.000 10.000 [0.000]");
    kinematics_clear_homing(&k, AXES_XYZ);
    assert_int_equal(kinematics_homed_axes(&k), 0);
}

static void test_z_limits(void **state)
{
    (void)state;
    struct kinematics k;
    make(&k, KIN_CARTESIAN);
    kinematics_set_homed(&k, AXES_XYZ);
    char err[200];
    double v, a;
    double start[4] = {100, 100, 10, 0};
    double up[4] = {100, 100, 20, 0};
    assert_int_equal(check(&k, start, up, &v, &a, err, sizeof(err)), 0);
    assert_near(v, 10.0, 1e-12);
    assert_near(a, 100.0, 1e-12);
    /* 3-4-5 move: Z covers 4/5 of it, so the move may go 5/4 as fast. */
    double diag[4] = {103, 100, 14, 0};
    assert_int_equal(check(&k, start, diag, &v, &a, err, sizeof(err)), 0);
    assert_near(v, 12.5, 1e-12);
    assert_near(a, 125.0, 1e-12);
    /* A gentle slope is held by the XY limits passed in. */
    double slope[4] = {200, 100, 11, 0};
    assert_int_equal(check(&k, start, slope, &v, &a, err, sizeof(err)), 0);
    assert_near(v, 100.0, 0.0);
    assert_near(a, 1000.0, 0.0);
}

static void test_cartesian_steppers(void **state)
{
    (void)state;
    struct kinematics k;
    make(&k, KIN_CARTESIAN);
    assert_int_equal(k.stepper_count, 3);
    assert_string_equal(k.steppers[0].name, "stepper_x");
    assert_string_equal(k.steppers[2].name, "stepper_z");
    double pos[4] = {12.5, -3.0, 7.25, 99.0};
    double sp[3];
    for (int i = 0; i < 3; i++)
        sp[i] = kinematics_stepper_position(&k, i, pos);
    assert_near(sp[0], 12.5, 0.0);
    assert_near(sp[1], -3.0, 0.0);
    assert_near(sp[2], 7.25, 0.0);
    double back[3];
    kinematics_calc_position(&k, sp, back);
    for (int i = 0; i < 3; i++)
        assert_near(back[i], pos[i], 0.0);
    assert_int_equal(kinematics_stepper_axes(&k, 1), AXIS_BIT(AXIS_Y));
    assert_int_equal(kinematics_stepper_axes(&k, 3), 0);
}

static void test_corexy_steppers(void **state)
{
    (void)state;
    struct kinematics k;
    make(&k, KIN_COREXY);
    assert_int_equal(k.stepper_count, 3);
    const double *a = k.steppers[0].coeff, *b = k.steppers[1].coeff;
    assert_near(a[AXIS_X], 1.0, 0.0);
    assert_near(a[AXIS_Y], 1.0, 0.0);
    assert_near(b[AXIS_X], 1.0, 0.0);
    assert_near(b[AXIS_Y], -1.0, 0.0);
    assert_near(a[AXIS_Z] + b[AXIS_Z] + a[AXIS_E] + b[AXIS_E], 0.0, 0.0);
    double pos[4] = {30.0, 10.0, 5.0, 1.0};
    assert_near(kinematics_stepper_position(&k, 0, pos), 40.0, 0.0);
    assert_near(kinematics_stepper_position(&k, 1, pos), 20.0, 0.0);
    assert_near(kinematics_stepper_position(&k, 2, pos), 5.0, 0.0);
    /* Either belt motor moves both x and y. */
    assert_int_equal(kinematics_stepper_axes(&k, 0), AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Y));
    assert_int_equal(kinematics_stepper_axes(&k, 1), AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Y));
    assert_int_equal(kinematics_stepper_axes(&k, 2), AXIS_BIT(AXIS_Z));
    /* The inverse recovers the position from any stepper positions. */
    uint64_t s = 12345;
    for (int i = 0; i < 1000; i++) {
        double p[4];
        for (int j = 0; j < 4; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            p[j] = (double)(s >> 11) / 9007199254740992.0 * 400.0 - 200.0;
        }
        double sp[3], back[3];
        for (int j = 0; j < 3; j++)
            sp[j] = kinematics_stepper_position(&k, j, p);
        kinematics_calc_position(&k, sp, back);
        for (int j = 0; j < 3; j++)
            assert_near(back[j], p[j], 1e-12);
    }
}

static void test_none(void **state)
{
    (void)state;
    struct kinematics k;
    make(&k, KIN_NONE);
    assert_int_equal(k.stepper_count, 0);
    char err[200];
    double v, a;
    double start[4] = {0, 0, 0, 0}, end[4] = {-1000, 5000, 300, 0};
    assert_int_equal(check(&k, start, end, &v, &a, err, sizeof(err)), 0);
    assert_near(v, 100.0, 0.0);
    kinematics_set_homed(&k, AXES_XYZ);
    assert_int_equal(kinematics_homed_axes(&k), 0);
    double back[3] = {1, 1, 1};
    kinematics_calc_position(&k, NULL, back);
    assert_near(back[0] + back[1] + back[2], 0.0, 0.0);
}

static void test_bad_config(void **state)
{
    (void)state;
    struct kinematics k;
    memset(&k, 0x5a, sizeof(k));
    struct kin_config cfg = {
        .type = KIN_CARTESIAN,
        .position_min = {0, 10, 0},
        .position_max = {200, 5, 100},
        .max_z_velocity = 5,
        .max_z_accel = 100,
    };
    char err[200] = "";
    assert_int_equal(kinematics_init(&k, &cfg, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "[stepper_y] position_min (10.000) must not be above position_max (5.000)");
    cfg.position_max[1] = 200;
    cfg.max_z_accel = 0;
    assert_int_equal(kinematics_init(&k, &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "[printer] max_z_accel must be above 0 (got 0)");
    cfg.max_z_accel = 100;
    cfg.max_z_velocity = NAN;
    assert_int_equal(kinematics_init(&k, &cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "max_z_velocity"));
    cfg.max_z_velocity = 5;
    cfg.type = (enum kin_type)42;
    assert_int_equal(kinematics_init(&k, &cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "kinematics"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),           cmocka_unit_test(test_must_home_first),
        cmocka_unit_test(test_out_of_range),    cmocka_unit_test(test_motors_off_clears_homing),
        cmocka_unit_test(test_z_limits),        cmocka_unit_test(test_cartesian_steppers),
        cmocka_unit_test(test_corexy_steppers), cmocka_unit_test(test_none),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
