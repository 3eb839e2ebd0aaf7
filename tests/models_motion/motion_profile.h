/* Step edges for the motion model tests, from the kinematics of straight
 * moves that start and end at rest, and a driver that feeds them to a
 * stepper_model or an axis_model on the MCU's 16 MHz cycle counter. */
#ifndef LOCKSTEP_TESTS_MODELS_MOTION_PROFILE_H
#define LOCKSTEP_TESTS_MODELS_MOTION_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "axis_model.h"
#include "stepper_model.h"

/* A move of n microsteps from rest to rest: accelerate at a, cruise at v,
 * decelerate at a (no cruise, lower peak, when n is too short). */
struct profile {
    double v, a;              /* peak speed (microsteps/s) and acceleration (/s^2) */
    double d_accel, d_cruise; /* microsteps at the end of each phase */
    double t_accel, t_cruise, t_total;
    long n;
};

void profile_init(struct profile *p, long n, double v, double a);
/* Seconds from the start of the move to step k (1..n): the moment the
 * ideal position passes k - 0.5 microsteps, as Klipper steps. */
double profile_step_time(const struct profile *p, long k);
/* Seconds from the start of the move until it has gone x microsteps. */
double profile_time_at(const struct profile *p, double x);

/* Feeds moves to a motor, through its axis when there is one. */
struct drive {
    struct stepper_model *motor;
    struct axis_model *axis; /* NULL to step the motor alone */
    double clock_hz;
    uint64_t now;         /* cycle at which the next move starts */
    double max_err;       /* s: > 0 replays the move as queue_step would, see below */
    long changes;         /* endstop changes seen */
    double first_close;   /* carriage mm at the first endstop change to closed, or NAN */
    int stop_on_close;    /* end the move at the step that closes the endstop */
    int64_t check_cycles; /* > 0: assert (commanded - rotor) % this == 0 at every step */
};

void drive_init(struct drive *d, struct stepper_model *motor, struct axis_model *axis);
/* Move by n microsteps (the sign is the direction: dir high for +) with
 * peak speed v and acceleration a in microsteps/s and /s^2, then rest
 * 50 ms. Returns the steps taken (fewer when stopped at the endstop). */
long drive_move(struct drive *d, long n, double v, double a);
/* The same in mm of carriage travel, for an axis that is not reversed. */
long drive_move_mm(struct drive *d, double mm, double v_mm, double a_mm);

/* With d->max_err > 0 the step times are first fitted, as the host's
 * step compression does with queue_step, by runs of equal intervals (a
 * whole number of cycles each) that stay within max_err of the ideal
 * times: the velocity then moves in small jumps instead of smoothly. */
void fit_equal_intervals(const uint64_t *ideal, size_t n, uint64_t max_err, uint64_t *out);

#endif
