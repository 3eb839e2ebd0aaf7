/* Test reference: the exact time of every step, solved one step at a
 * time in long double from the move's phase equations (no code shared
 * with engine/steps beyond the documented conventions). */
#ifndef LOCKSTEP_TESTS_STEPS_REF_STEPS_H
#define LOCKSTEP_TESTS_STEPS_REF_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include "move.h"

struct ref_step {
    long double t; /* MCU ticks */
    /* How far t moves if the step's position is off by a few units of
     * double rounding: where the stepper stands still (speed 0) the time
     * is that sensitive to it, and the library and this reference do not
     * round positions alike. Elsewhere it is far below a tick. */
    double tol;
    int dir; /* +1 / -1 */
};

struct ref_steps {
    struct ref_step *v;
    size_t n, cap;
};

struct ref_stepper {
    double coef[AXIS_COUNT];
    double step_distance;
    double freq, offset;
    int64_t count; /* floor(position / step_distance + 0.5) */
};

void ref_move(struct ref_stepper *r, const struct move *m, struct ref_steps *out);
void ref_set_position(struct ref_stepper *r, double pos_mm);
/* Steps at or before tick t. */
size_t ref_count_until(const struct ref_steps *s, long double t);
void ref_free(struct ref_steps *s);

#endif
