/* Step generation: where one stepper is, and the exact times of the
 * steps a planned move makes it take.
 *
 * The stepper's position in steps is p = sum(coef[i] * pos[i]) /
 * step_distance over the toolhead axes, so along a move it is
 * p0 + K * d(t) with d(t) the distance travelled, quadratic in t within
 * each phase. Its step count is always floor(p + 0.5): following
 * Klipper's Kinematics notes, a step is taken once the commanded
 * position has passed half-way to the next step position, so a forward
 * step falls where p rises through c + 1/2 and a backward one where p
 * drops below c - 1/2. Counts are taken from each move's absolute start
 * and end positions, never by summing increments, so no error builds up
 * over a long print. */
#ifndef LOCKSTEP_STEPS_STEPTIMES_H
#define LOCKSTEP_STEPS_STEPTIMES_H

#include <stdint.h>

#include "move.h"
#include "stepcompress.h"

struct steptrack {
    double coef[AXIS_COUNT];
    double step_distance; /* mm */
    double freq, offset;  /* clock = print_time * freq + offset */
    int64_t count;        /* floor(p + 0.5) */
};

/* Position in steps for toolhead position pos. */
double steptrack_steps(const struct steptrack *t, const double pos[AXIS_COUNT]);
/* Position in steps at the end of m. */
double steptrack_end_steps(const struct steptrack *t, const struct move *m);
/* The count for a position in steps. */
int64_t steptrack_count(double p);

/* Queue the steps m makes this stepper take. -1: out of memory. */
int steptrack_move(struct steptrack *t, const struct move *m, struct stepcompress *sc);

#endif
