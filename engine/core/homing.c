/* G28 in batch mode: Klipper's homing moves, with every endstop taken as
 * reached exactly at position_endstop (no MCU answers in a batch); then
 * [homing_override] and [safe_z_home] as Klipper runs them. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "errmsg.h"
#include "kinematics.h"

/* Move the toolhead to pos at speed with the axis' range opened up: the
 * homing moves start outside it on purpose. */
int engine_homing_toolhead_move(struct engine *e, int axis, const double pos[AXIS_COUNT],
                                double speed, char *err, size_t errlen)
{
    struct kinematics *k = toolhead_kinematics(e->th);
    double lo = k->cfg.position_min[axis], hi = k->cfg.position_max[axis];
    k->cfg.position_min[axis] = -INFINITY;
    k->cfg.position_max[axis] = INFINITY;
    int rc = toolhead_move(e->th, pos, speed, err, errlen);
    k->cfg.position_min[axis] = lo;
    k->cfg.position_max[axis] = hi;
    return rc;
}

/* One approach to the endstop: the toolhead declared at start (not
 * moved there) moves towards target until the switch triggers; final is
 * where it is then. A batch has no switch: it takes the trigger to be
 * exactly at target. */
static int approach(struct engine *e, int axis, const double start[AXIS_COUNT],
                    const double target[AXIS_COUNT], double speed, bool retried,
                    double final[AXIS_COUNT], char *err, size_t errlen)
{
    if (e->live)
        return engine_homing_move_live(e, axis, start, target, speed, retried, final, err, errlen);
    unsigned homed = kinematics_homed_axes(toolhead_kinematics(e->th)) | AXIS_BIT(axis);
    if (engine_set_position(e, start, homed, err, errlen) || engine_motors_on(e, err, errlen) ||
        engine_homing_toolhead_move(e, axis, target, speed, err, errlen))
        return -1;
    memcpy(final, target, AXIS_COUNT * sizeof(*final));
    return engine_set_position(e, final, homed, err, errlen);
}

static int home_axis(struct engine *e, int axis, char *err, size_t errlen)
{
    const struct rail_config *r = &e->pc.rails[axis];
    double homepos[AXIS_COUNT], start[AXIS_COUNT], final[AXIS_COUNT];
    toolhead_get_position(e->th, homepos);
    homepos[axis] = r->position_endstop;
    memcpy(start, homepos, sizeof(start));
    /* Far enough that the switch is met from anywhere on the rail. */
    if (r->homing_positive_dir)
        start[axis] -= 1.5 * (r->position_endstop - r->position_min);
    else
        start[axis] += 1.5 * (r->position_max - r->position_endstop);
    if (approach(e, axis, start, homepos, r->homing_speed, false, final, err, errlen))
        return -1;
    if (r->homing_retract_dist <= 0.0)
        return 0;
    /* Back off and touch again, slower, from no further than twice the
     * retract distance. */
    double travel = fabs(homepos[axis] - start[axis]);
    double ratio = travel > 0.0 ? fmin(1.0, r->homing_retract_dist / travel) : 0.0;
    double d = homepos[axis] - start[axis];
    /* Only the axis being homed moves from here on: the others stay where
     * the first approach halted them (on a corexy both motors halt, and
     * the other axis may have moved by a step), so that no rounding puts
     * a move on them. */
    double retract[AXIS_COUNT], again[AXIS_COUNT], target[AXIS_COUNT];
    memcpy(retract, final, sizeof(retract));
    retract[axis] = homepos[axis] - d * ratio;
    memcpy(again, retract, sizeof(again));
    again[axis] = retract[axis] - d * ratio;
    memcpy(target, final, sizeof(target));
    target[axis] = homepos[axis];
    if (engine_homing_toolhead_move(e, axis, retract, r->homing_retract_speed, err, errlen))
        return -1;
    return approach(e, axis, again, target, r->second_homing_speed, true, final, err, errlen);
}

static int home_axes(struct engine *e, unsigned axes, char *err, size_t errlen)
{
    if (toolhead_kinematics(e->th)->cfg.type == KIN_NONE)
        return 0;
    for (int axis = AXIS_X; axis <= AXIS_Z; axis++)
        if ((axes & AXIS_BIT(axis)) && home_axis(e, axis, err, errlen))
            return -1;
    return 0;
}

static int run_override(struct engine *e, unsigned axes, char *err, size_t errlen)
{
    const struct homing_override_config *ho = &e->pc.homing_override;
    (void)axes;
    double pos[AXIS_COUNT];
    toolhead_get_position(e->th, pos);
    unsigned homed = kinematics_homed_axes(toolhead_kinematics(e->th));
    bool any = false;
    for (int i = 0; i < 3; i++) {
        if (ho->has_set_position[i]) {
            pos[i] = ho->set_position[i];
            homed |= AXIS_BIT(i);
            any = true;
        }
    }
    if (any && engine_set_position(e, pos, homed, err, errlen))
        return -1;
    e->in_homing_override++;
    const char *p = ho->gcode;
    int rc = 0;
    while (p && *p && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        rc = engine_exec_line(e, p, len, err, errlen);
        p = nl ? nl + 1 : NULL;
    }
    e->in_homing_override--;
    return rc;
}

static int safe_z_home(struct engine *e, unsigned axes, char *err, size_t errlen)
{
    const struct safe_z_home_config *sz = &e->pc.safe_z_home;
    struct kinematics *k = toolhead_kinematics(e->th);
    double pos[AXIS_COUNT];
    if (sz->z_hop > 0.0) {
        toolhead_get_position(e->th, pos);
        unsigned homed = kinematics_homed_axes(k);
        if (!(homed & AXIS_BIT(AXIS_Z))) {
            /* Unknown height: take it as 0 for the hop, as Klipper does. */
            pos[AXIS_Z] = 0.0;
            /* The drivers must be on before the hop's first step. */
            if (engine_set_position(e, pos, homed | AXIS_BIT(AXIS_Z), err, errlen) ||
                engine_motors_on(e, err, errlen))
                return -1;
            pos[AXIS_Z] = sz->z_hop;
            if (engine_homing_toolhead_move(e, AXIS_Z, pos, sz->z_hop_speed, err, errlen))
                return -1;
            kinematics_clear_homing(k, AXIS_BIT(AXIS_Z));
        } else if (pos[AXIS_Z] < sz->z_hop) {
            pos[AXIS_Z] = sz->z_hop;
            if (toolhead_move(e->th, pos, sz->z_hop_speed, err, errlen))
                return -1;
        }
    }
    if (home_axes(e, axes & (AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Y)), err, errlen))
        return -1;
    if (!(axes & AXIS_BIT(AXIS_Z)))
        return 0;
    unsigned homed = kinematics_homed_axes(k);
    if ((homed & (AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Y))) != (AXIS_BIT(AXIS_X) | AXIS_BIT(AXIS_Y))) {
        seterr(err, errlen, "Must home X and Y axes first");
        return -1;
    }
    double prev[AXIS_COUNT];
    toolhead_get_position(e->th, prev);
    memcpy(pos, prev, sizeof(pos));
    pos[AXIS_X] = sz->home_x;
    pos[AXIS_Y] = sz->home_y;
    if (toolhead_move(e->th, pos, sz->speed, err, errlen) ||
        home_axes(e, AXIS_BIT(AXIS_Z), err, errlen))
        return -1;
    if (sz->z_hop > 0.0) {
        toolhead_get_position(e->th, pos);
        pos[AXIS_Z] = sz->z_hop;
        if (toolhead_move(e->th, pos, sz->z_hop_speed, err, errlen))
            return -1;
    }
    if (sz->move_to_previous) {
        toolhead_get_position(e->th, pos);
        pos[AXIS_X] = prev[AXIS_X];
        pos[AXIS_Y] = prev[AXIS_Y];
        if (toolhead_move(e->th, pos, sz->speed, err, errlen))
            return -1;
    }
    return 0;
}

int engine_home(struct engine *e, unsigned axes, char *err, size_t errlen)
{
    int rc;
    const struct homing_override_config *ho = &e->pc.homing_override;
    bool overridden = false;
    for (int i = 0; i < 3; i++)
        if ((axes & AXIS_BIT(i)) && ho->axes[i])
            overridden = true;
    if (ho->present && !e->in_homing_override && overridden)
        rc = run_override(e, axes, err, errlen);
    else if (e->pc.safe_z_home.present && !e->in_homing_override)
        rc = safe_z_home(e, axes, err, errlen);
    else
        rc = home_axes(e, axes, err, errlen);
    if (rc)
        return -1;
    /* Klipper forgets G92 offsets of homed axes. */
    for (int i = AXIS_X; i <= AXIS_Z; i++)
        if (axes & AXIS_BIT(i))
            e->gs.base_position[i] = 0.0;
    engine_sync_gcode_position(e);
    return 0;
}
