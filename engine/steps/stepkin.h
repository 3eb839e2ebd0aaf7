/* Stepper kinematics: every supported kinematics makes a stepper's
 * position (mm along its own rail) a fixed linear combination of the
 * toolhead's axes, sum(coef[i] * pos[i]) over x, y, z, e. */
#ifndef LOCKSTEP_STEPS_STEPKIN_H
#define LOCKSTEP_STEPS_STEPKIN_H

#include "move.h"

enum stepkin {
    STEPKIN_CARTESIAN_X,
    STEPKIN_CARTESIAN_Y,
    STEPKIN_CARTESIAN_Z,
    STEPKIN_COREXY_A, /* x + y, Klipper's stepper_x on corexy */
    STEPKIN_COREXY_B, /* x - y, stepper_y */
    STEPKIN_EXTRUDER, /* e */
};

/* Fill coef for kind; -1 for an unknown kind. */
int stepkin_coefficients(enum stepkin kind, double coef[AXIS_COUNT]);

#endif
