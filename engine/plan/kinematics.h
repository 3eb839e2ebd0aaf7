/* Kinematics of the toolhead: how each stepper's position follows from
 * the cartesian position, the axis ranges, which axes are homed, and the
 * per-move checks and Z limits of Klipper's cartesian, corexy and none
 * kinematics.
 *
 * Every supported kinematics is linear: a stepper's position (mm along
 * its rail) is sum(coeff[i] * position[i]) over x, y, z, e, so step
 * generation can follow a straight move in closed form. The extruder is
 * not one of these steppers; its position is e. */
#ifndef LOCKSTEP_PLAN_KINEMATICS_H
#define LOCKSTEP_PLAN_KINEMATICS_H

#include <stddef.h>

#include "move.h"

enum kin_type { KIN_NONE, KIN_CARTESIAN, KIN_COREXY };

/* Axis masks for homing_axes, homed state and stepper_axes. */
#define AXIS_BIT(axis) (1u << (axis))
#define AXES_XYZ (AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Y) | AXIS_BIT(AXIS_Z))

struct kin_config {
    enum kin_type type;
    double position_min[3], position_max[3]; /* mm, [stepper_x/y/z] */
    double max_z_velocity, max_z_accel;      /* [printer]; unused by none */
};

#define KIN_MAX_STEPPERS 3

struct kin_stepper {
    const char *name; /* its config section, "stepper_x" */
    double coeff[AXIS_COUNT];
};

struct kinematics {
    struct kin_config cfg;
    unsigned homed; /* AXIS_BIT mask */
    int stepper_count;
    struct kin_stepper steppers[KIN_MAX_STEPPERS];
};

/* "cartesian", "corexy", "none"; -1 for other names. */
int kin_type_from_name(const char *name, enum kin_type *type);
const char *kin_type_name(enum kin_type type);

/* Nothing is homed afterwards. Returns -1 (with a message naming the
 * option) for an unusable configuration. */
int kinematics_init(struct kinematics *k, const struct kin_config *cfg, char *err, size_t errlen);

/* Refuse a move ending at end whose axes move by axes_d (move_d mm along
 * x, y, z) if an axis it moves is not homed ("Must home axis first: ...")
 * or would leave its range ("Move out of range: ..."). A move with a Z
 * component has *max_v and *max_a lowered so that Z stays within
 * max_z_velocity and max_z_accel. */
int kinematics_check_move(const struct kinematics *k, const double end[AXIS_COUNT],
                          const double axes_d[AXIS_COUNT], double move_d, double *max_v,
                          double *max_a, char *err, size_t errlen);

/* After homing or SET_KINEMATIC_POSITION: the axes in the mask are homed
 * (no effect with none kinematics, which has no ranges). */
void kinematics_set_homed(struct kinematics *k, unsigned axes);
/* Motors off: the axes in the mask must be homed again. */
void kinematics_clear_homing(struct kinematics *k, unsigned axes);
unsigned kinematics_homed_axes(const struct kinematics *k);

/* The axes a stepper moves: turning a corexy stepper off unhomes x and y. */
unsigned kinematics_stepper_axes(const struct kinematics *k, int stepper);
double kinematics_stepper_position(const struct kinematics *k, int stepper,
                                   const double pos[AXIS_COUNT]);
/* The cartesian position from stepper positions (stepper_count values),
 * for GET_POSITION and after homing; none kinematics gives 0, 0, 0. */
void kinematics_calc_position(const struct kinematics *k, const double *stepper_pos, double pos[3]);

#endif
