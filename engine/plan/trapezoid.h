/* Trapezoidal speed profiles of single moves, as pure functions.
 *
 * Speeds are handled squared (v^2), as the lookahead does: under constant
 * acceleration a, v^2 changes linearly with distance (by 2*a*d), so
 * reachability is addition and limits are min(). */
#ifndef LOCKSTEP_PLAN_TRAPEZOID_H
#define LOCKSTEP_PLAN_TRAPEZOID_H

#include "move.h"

/* Fill the speeds and phase times of m (move_d and accel already set) for
 * a move that starts at start_v2, cruises at cruise_v2 and ends at end_v2.
 * The caller guarantees start_v2, end_v2 <= cruise_v2 and that the two
 * ramps fit in move_d; rounding that leaves a tiny negative cruise is
 * clamped to zero. */
void trapezoid_set(struct move *m, double start_v2, double cruise_v2, double end_v2);

/* One move planned on its own between two junctions. */
struct trapezoid_request {
    double move_d;               /* mm, > 0 */
    double accel;                /* mm/s^2, > 0 */
    double minimum_cruise_ratio; /* 0 <= r < 1 */
    double start_v2;             /* highest start speed^2 the junction allows */
    double max_cruise_v2;        /* speed limit^2 of the move */
    double end_v2;               /* speed^2 the next move starts with */
};

/* Plan the profile: start and end are lowered to what one ramp over move_d
 * can join and to the speed limit; the cruise speed is the highest that
 * both ramps reach, lowered further by minimum_cruise_ratio: acceleration
 * above the higher junction speed is planned as if it were
 * accel * (1 - r), so a move that starts and ends at the same speed cruises
 * over at least r of its length. The ratio never lowers the junction
 * speeds themselves, which belong to the neighbouring moves. Sets
 * m->move_d, m->accel and the profile; positions are left alone. */
void trapezoid_plan(const struct trapezoid_request *rq, struct move *m);

#endif
