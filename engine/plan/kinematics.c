#include "kinematics.h"

#include <math.h>
#include <string.h>

#include "errmsg.h"

static const char *const type_names[] = {
    [KIN_NONE] = "none",
    [KIN_CARTESIAN] = "cartesian",
    [KIN_COREXY] = "corexy",
};

static const char *const rail_names[3] = {"stepper_x", "stepper_y", "stepper_z"};

int kin_type_from_name(const char *name, enum kin_type *type)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *type = (enum kin_type)i;
            return 0;
        }
    }
    return -1;
}

const char *kin_type_name(enum kin_type type)
{
    if ((unsigned)type < sizeof(type_names) / sizeof(type_names[0]))
        return type_names[type];
    return "?";
}

static void add_stepper(struct kinematics *k, int rail, double cx, double cy, double cz)
{
    struct kin_stepper *s = &k->steppers[k->stepper_count++];
    s->name = rail_names[rail];
    s->coeff[AXIS_X] = cx;
    s->coeff[AXIS_Y] = cy;
    s->coeff[AXIS_Z] = cz;
    s->coeff[AXIS_E] = 0.0;
}

int kinematics_init(struct kinematics *k, const struct kin_config *cfg, char *err, size_t errlen)
{
    if (cfg->type != KIN_NONE && cfg->type != KIN_CARTESIAN && cfg->type != KIN_COREXY) {
        seterr(err, errlen, "[printer] kinematics: unknown type %d", (int)cfg->type);
        return -1;
    }
    if (cfg->type != KIN_NONE) {
        for (int i = 0; i < 3; i++) {
            double lo = cfg->position_min[i], hi = cfg->position_max[i];
            if (!isfinite(lo) || !isfinite(hi) || lo > hi) {
                seterr(err, errlen,
                       "[%s] position_min (%.3f) must not be above position_max (%.3f)",
                       rail_names[i], lo, hi);
                return -1;
            }
        }
        if (!(cfg->max_z_velocity > 0.0) || !isfinite(cfg->max_z_velocity)) {
            seterr(err, errlen, "[printer] max_z_velocity must be above 0 (got %g)",
                   cfg->max_z_velocity);
            return -1;
        }
        if (!(cfg->max_z_accel > 0.0) || !isfinite(cfg->max_z_accel)) {
            seterr(err, errlen, "[printer] max_z_accel must be above 0 (got %g)", cfg->max_z_accel);
            return -1;
        }
    }
    memset(k, 0, sizeof(*k));
    k->cfg = *cfg;
    switch (cfg->type) {
    case KIN_CARTESIAN:
        add_stepper(k, 0, 1.0, 0.0, 0.0);
        add_stepper(k, 1, 0.0, 1.0, 0.0);
        add_stepper(k, 2, 0.0, 0.0, 1.0);
        break;
    case KIN_COREXY:
        add_stepper(k, 0, 1.0, 1.0, 0.0);
        add_stepper(k, 1, 1.0, -1.0, 0.0);
        add_stepper(k, 2, 0.0, 0.0, 1.0);
        break;
    case KIN_NONE:
        break;
    }
    return 0;
}

static int axis_usable(const struct kinematics *k, int axis, double pos)
{
    return (k->homed & AXIS_BIT(axis)) && pos >= k->cfg.position_min[axis] &&
           pos <= k->cfg.position_max[axis];
}

int kinematics_check_move(const struct kinematics *k, const double end[AXIS_COUNT],
                          const double axes_d[AXIS_COUNT], double move_d, double *max_v,
                          double *max_a, char *err, size_t errlen)
{
    if (k->cfg.type == KIN_NONE)
        return 0;
    /* Only the axes that move are checked, so one axis can be jogged
     * while another is still unhomed. */
    for (int axis = AXIS_X; axis <= AXIS_Z; axis++) {
        if (axes_d[axis] == 0.0 || axis_usable(k, axis, end[axis]))
            continue;
        const char *what =
            (k->homed & AXIS_BIT(axis)) ? "Move out of range" : "Must home axis first";
        seterr(err, errlen, "%s: %.3f %.3f %.3f [%.3f]", what, end[AXIS_X], end[AXIS_Y],
               end[AXIS_Z], end[AXIS_E]);
        return -1;
    }
    if (axes_d[AXIS_Z] != 0.0) {
        /* Z covers |dz| of the move's move_d, so its limits scale up by
         * the inverse of that fraction when applied along the move. */
        double z_ratio = move_d / fabs(axes_d[AXIS_Z]);
        *max_v = fmin(*max_v, k->cfg.max_z_velocity * z_ratio);
        *max_a = fmin(*max_a, k->cfg.max_z_accel * z_ratio);
    }
    return 0;
}

void kinematics_set_homed(struct kinematics *k, unsigned axes)
{
    if (k->cfg.type != KIN_NONE)
        k->homed |= axes & AXES_XYZ;
}

void kinematics_clear_homing(struct kinematics *k, unsigned axes)
{
    k->homed &= ~axes;
}

unsigned kinematics_homed_axes(const struct kinematics *k)
{
    return k->homed;
}

unsigned kinematics_stepper_axes(const struct kinematics *k, int stepper)
{
    if (stepper < 0 || stepper >= k->stepper_count)
        return 0;
    unsigned axes = 0;
    for (int i = 0; i < AXIS_COUNT; i++)
        if (k->steppers[stepper].coeff[i] != 0.0)
            axes |= AXIS_BIT(i);
    return axes;
}

double kinematics_stepper_position(const struct kinematics *k, int stepper,
                                   const double pos[AXIS_COUNT])
{
    if (stepper < 0 || stepper >= k->stepper_count)
        return 0.0;
    const double *c = k->steppers[stepper].coeff;
    return c[AXIS_X] * pos[AXIS_X] + c[AXIS_Y] * pos[AXIS_Y] + c[AXIS_Z] * pos[AXIS_Z] +
           c[AXIS_E] * pos[AXIS_E];
}

void kinematics_calc_position(const struct kinematics *k, const double *stepper_pos, double pos[3])
{
    switch (k->cfg.type) {
    case KIN_CARTESIAN:
        pos[AXIS_X] = stepper_pos[0];
        pos[AXIS_Y] = stepper_pos[1];
        pos[AXIS_Z] = stepper_pos[2];
        break;
    case KIN_COREXY:
        pos[AXIS_X] = 0.5 * (stepper_pos[0] + stepper_pos[1]);
        pos[AXIS_Y] = 0.5 * (stepper_pos[0] - stepper_pos[1]);
        pos[AXIS_Z] = stepper_pos[2];
        break;
    default:
        pos[AXIS_X] = pos[AXIS_Y] = pos[AXIS_Z] = 0.0;
        break;
    }
}
