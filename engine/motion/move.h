/* One planned move, as the lookahead planner hands it to step generation.
 *
 * A move is a straight line in (x, y, z, e) travelled with a trapezoidal
 * speed profile: accelerate from start_v to cruise_v, cruise, decelerate
 * to end_v, all with the same |accel|. The distance travelled after t
 * seconds into a phase is closed form, and every supported kinematics
 * (cartesian, corexy, extruder) makes a stepper's position a linear
 * function of that distance, so step times can be solved exactly. */
#ifndef LOCKSTEP_MOTION_MOVE_H
#define LOCKSTEP_MOTION_MOVE_H

enum { AXIS_X, AXIS_Y, AXIS_Z, AXIS_E, AXIS_COUNT };

struct move {
    double print_time;                 /* s on the print timeline: start of the move */
    double accel_t, cruise_t, decel_t; /* s, each >= 0 */
    double start_v, cruise_v, end_v;   /* mm/s along the move */
    double accel;                      /* mm/s^2, > 0 unless accel_t == decel_t == 0 */
    double move_d;                     /* mm along the move (> 0) */
    double start_pos[AXIS_COUNT];      /* mm at the start of the move */
    /* Axis displacement per mm along the move: the end position is
     * start_pos + axes_r * move_d. For an extrude-only move move_d is
     * |e| and axes_r[AXIS_E] is +-1. */
    double axes_r[AXIS_COUNT];
};

static inline double move_duration(const struct move *m)
{
    return m->accel_t + m->cruise_t + m->decel_t;
}

#endif
