#include "plan_fixture.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void recorder_sink(void *ctx, const struct move *m)
{
    struct recorder *r = ctx;
    if (r->count == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->moves = realloc(r->moves, r->cap * sizeof(*r->moves));
        assert_non_null(r->moves);
    }
    r->moves[r->count++] = *m;
}

void recorder_reset(struct recorder *r)
{
    free(r->moves);
    memset(r, 0, sizeof(*r));
}

void fixture_config(struct toolhead_config *cfg, struct recorder *rec)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->limits.max_velocity = FIX_MAX_VELOCITY;
    cfg->limits.max_accel = FIX_MAX_ACCEL;
    cfg->limits.minimum_cruise_ratio = 0.0;
    cfg->limits.square_corner_velocity = FIX_SCV;
    cfg->kin.type = KIN_CARTESIAN;
    cfg->kin.position_max[0] = cfg->kin.position_max[1] = 200.0;
    cfg->kin.position_max[2] = 180.0;
    cfg->kin.max_z_velocity = FIX_MAX_Z_VELOCITY;
    cfg->kin.max_z_accel = FIX_MAX_Z_ACCEL;
    extruder_limits_default(&cfg->extruder, 0.4, 1.75, FIX_MAX_VELOCITY, FIX_MAX_ACCEL);
    cfg->extruder.max_extrude_only_velocity = FIX_E_ONLY_VELOCITY;
    cfg->extruder.max_extrude_only_accel = FIX_E_ONLY_ACCEL;
    cfg->start_print_time = FIX_START_TIME;
    cfg->sink = recorder_sink;
    cfg->sink_ctx = rec;
}

struct toolhead *fixture_toolhead(struct recorder *rec, const double pos[AXIS_COUNT])
{
    struct toolhead_config cfg;
    fixture_config(&cfg, rec);
    char err[200];
    struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
    assert_non_null(th);
    assert_int_equal(toolhead_set_position(th, pos, AXES_XYZ, err, sizeof(err)), 0);
    return th;
}

double move_phase_distance(const struct move *m)
{
    double a = m->accel;
    return m->start_v * m->accel_t + 0.5 * a * m->accel_t * m->accel_t + m->cruise_v * m->cruise_t +
           m->cruise_v * m->decel_t - 0.5 * a * m->decel_t * m->decel_t;
}

void check_sequence(const struct recorder *rec, const double start_pos[AXIS_COUNT],
                    double start_time)
{
    double pos[AXIS_COUNT], t = start_time, prev_end_v = 0.0;
    memcpy(pos, start_pos, sizeof(pos));
    for (size_t i = 0; i < rec->count; i++) {
        const struct move *m = &rec->moves[i];
        double tol = 1e-9 * fmax(1.0, m->move_d);
        assert_true(m->move_d > 0.0);
        assert_near(m->print_time, t, 1e-9 * fmax(1.0, t));
        for (int a = 0; a < AXIS_COUNT; a++)
            assert_near(m->start_pos[a], pos[a], 1e-9 * fmax(1.0, fabs(pos[a])));
        assert_true(m->accel_t >= 0.0 && m->cruise_t >= 0.0 && m->decel_t >= 0.0);
        assert_true(move_duration(m) > 0.0);
        assert_true(m->start_v <= m->cruise_v * (1 + 1e-12));
        assert_true(m->end_v <= m->cruise_v * (1 + 1e-12));
        assert_near(move_phase_distance(m), m->move_d, tol);
        /* Each ramp ends at the speed the next phase starts with. */
        if (m->accel_t > 0.0)
            assert_near(m->start_v + m->accel * m->accel_t, m->cruise_v, 1e-6 * m->cruise_v);
        if (m->decel_t > 0.0)
            assert_near(m->cruise_v - m->accel * m->decel_t, m->end_v, 1e-6 * m->cruise_v);
        /* Speed is continuous across the junction. */
        assert_near(m->start_v, prev_end_v, 1e-6 * fmax(1.0, prev_end_v));
        prev_end_v = m->end_v;
        for (int a = 0; a < AXIS_COUNT; a++)
            pos[a] = m->start_pos[a] + m->axes_r[a] * m->move_d;
        t = m->print_time + move_duration(m);
    }
    /* A flushed queue ends at rest. */
    assert_near(prev_end_v, 0.0, 1e-9);
}
