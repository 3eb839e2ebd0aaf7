/* Shared by the plan tests: a printer with known limits and a sink that
 * records every emitted move. */
#ifndef LOCKSTEP_TESTS_PLAN_FIXTURE_H
#define LOCKSTEP_TESTS_PLAN_FIXTURE_H

#include <stddef.h>

#include "toolhead.h"

#define FIX_MAX_VELOCITY 100.0
#define FIX_MAX_ACCEL 1000.0
#define FIX_SCV 5.0
#define FIX_MAX_Z_VELOCITY 10.0
#define FIX_MAX_Z_ACCEL 100.0
#define FIX_E_ONLY_VELOCITY 25.0
#define FIX_E_ONLY_ACCEL 500.0
#define FIX_START_TIME 2.5

struct recorder {
    struct move *moves;
    size_t count, cap;
};

void recorder_sink(void *ctx, const struct move *m);
void recorder_reset(struct recorder *r);

/* Cartesian 0..200 x 0..200 x 0..180, 1.75 mm filament, 0.4 mm nozzle,
 * minimum_cruise_ratio 0 (pure trapezoids) unless the test changes it. */
void fixture_config(struct toolhead_config *cfg, struct recorder *rec);
/* A toolhead from fixture_config, all axes homed, at pos. */
struct toolhead *fixture_toolhead(struct recorder *rec, const double pos[AXIS_COUNT]);

/* Distance covered by the phases of m. */
double move_phase_distance(const struct move *m);
/* Checks every invariant of an emitted sequence that started at start_pos
 * and start_time: each move starts where and when the previous ended, its
 * speeds are continuous, phases add up to move_d, speeds and accel are
 * consistent with the phase times. */
void check_sequence(const struct recorder *rec, const double start_pos[AXIS_COUNT],
                    double start_time);

#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#endif
