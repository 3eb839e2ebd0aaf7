/* G-code commands: Klipper's names, parameters, answers and error texts.
 * A handler either does everything or nothing: state is computed on the
 * side and committed only once the move or setting was accepted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_internal.h"
#include "errmsg.h"
#include "gcode_params.h"
#include "kinematics.h"

typedef int (*handler_fn)(struct engine *e, const struct gcode_command *cmd, char *err,
                          size_t errlen);

struct command {
    const char *name;
    handler_fn fn;
    const char *help; /* extended commands: listed by HELP */
    bool in_shutdown; /* allowed while shut down */
};

static const char *axis_names = "XYZE";

/* A number of a G0/G1 parameter; Klipper reports any bad one as the move. */
static int move_param(const struct gcode_command *cmd, const char *name, bool *has, double *v,
                      char *err, size_t errlen)
{
    const char *text = gcode_param_value(cmd, name);
    *has = text != NULL;
    if (!text)
        return 0;
    char e2[GCODE_ERR_MAX];
    if (gcode_get_float(cmd, name, NULL, v, e2, sizeof(e2)) || !isfinite(*v)) {
        seterr(err, errlen, "Unable to parse move '%s'", cmd->line);
        return -1;
    }
    return 0;
}

static int cmd_G1(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    struct gcode_state *gs = &e->gs;
    double pos[AXIS_COUNT];
    memcpy(pos, gs->last_position, sizeof(pos));
    double speed = gs->speed;
    for (int i = 0; i < AXIS_COUNT; i++) {
        char name[2] = {axis_names[i], 0};
        bool has;
        double v;
        if (move_param(cmd, name, &has, &v, err, errlen))
            return -1;
        if (!has)
            continue;
        if (i == AXIS_E) {
            v *= gs->extrude_factor;
            if (!gs->absolute_coord || !gs->absolute_extrude)
                pos[i] += v;
            else
                pos[i] = v + gs->base_position[i];
        } else if (gs->absolute_coord) {
            pos[i] = v + gs->base_position[i];
        } else {
            pos[i] += v;
        }
    }
    bool has_f;
    double f;
    if (move_param(cmd, "F", &has_f, &f, err, errlen))
        return -1;
    if (has_f) {
        if (!(f > 0.0)) {
            seterr(err, errlen, "Invalid speed in '%s'", cmd->line);
            return -1;
        }
        speed = f * gs->speed_factor;
    }
    if (toolhead_move(e->th, pos, speed, err, errlen))
        return -1;
    memcpy(gs->last_position, pos, sizeof(pos));
    gs->speed = speed;
    if (engine_motors_on(e, err, errlen))
        return -1;
    return 0;
}

static int cmd_G4(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    double ms;
    if (gcode_get_float_or(cmd, "P", 0.0, GCODE_LIMITS(GCODE_MINVAL(0.0)), &ms, err, errlen))
        return -1;
    return toolhead_dwell(e->th, ms / 1000.0, err, errlen);
}

static int cmd_G28(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    unsigned axes = 0;
    for (int i = AXIS_X; i <= AXIS_Z; i++) {
        char name[2] = {axis_names[i], 0};
        if (gcode_param_value(cmd, name))
            axes |= AXIS_BIT(i);
    }
    if (!axes)
        axes = AXES_XYZ;
    return engine_home(e, axes, err, errlen);
}

static int cmd_G90(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd, (void)err, (void)errlen;
    e->gs.absolute_coord = true;
    return 0;
}

static int cmd_G91(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd, (void)err, (void)errlen;
    e->gs.absolute_coord = false;
    return 0;
}

static int cmd_M82(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd, (void)err, (void)errlen;
    e->gs.absolute_extrude = true;
    return 0;
}

static int cmd_M83(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd, (void)err, (void)errlen;
    e->gs.absolute_extrude = false;
    return 0;
}

static int cmd_G92(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    struct gcode_state *gs = &e->gs;
    double base[AXIS_COUNT];
    memcpy(base, gs->base_position, sizeof(base));
    bool any = false;
    for (int i = 0; i < AXIS_COUNT; i++) {
        char name[2] = {axis_names[i], 0};
        if (!gcode_param_value(cmd, name))
            continue;
        double v;
        if (gcode_get_float(cmd, name, NULL, &v, err, errlen))
            return -1;
        if (i == AXIS_E)
            v *= gs->extrude_factor;
        base[i] = gs->last_position[i] - v;
        any = true;
    }
    if (!any)
        memcpy(base, gs->last_position, sizeof(base));
    memcpy(gs->base_position, base, sizeof(base));
    return 0;
}

static int cmd_M114(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd, (void)err, (void)errlen;
    const struct gcode_state *gs = &e->gs;
    double p[AXIS_COUNT];
    for (int i = 0; i < AXIS_COUNT; i++)
        p[i] = gs->last_position[i] - gs->base_position[i];
    p[AXIS_E] /= gs->extrude_factor;
    engine_respond(e, "X:%.3f Y:%.3f Z:%.3f E:%.3f", p[0], p[1], p[2], p[3]);
    return 0;
}

static int cmd_M220(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    double s;
    if (gcode_get_float_or(cmd, "S", 100.0, GCODE_LIMITS(GCODE_ABOVE(0.0)), &s, err, errlen))
        return -1;
    double factor = s / (60.0 * 100.0);
    e->gs.speed = e->gs.speed / e->gs.speed_factor * factor;
    e->gs.speed_factor = factor;
    return 0;
}

static int cmd_M221(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    double s;
    if (gcode_get_float_or(cmd, "S", 100.0, GCODE_LIMITS(GCODE_ABOVE(0.0)), &s, err, errlen))
        return -1;
    struct gcode_state *gs = &e->gs;
    double factor = s / 100.0;
    double last_e = gs->last_position[AXIS_E];
    double e_value = (last_e - gs->base_position[AXIS_E]) / gs->extrude_factor;
    gs->base_position[AXIS_E] = last_e - e_value * factor;
    gs->extrude_factor = factor;
    return 0;
}

static int cmd_M400(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd;
    return engine_wait_moves(e, err, errlen);
}

static int cmd_M84(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd;
    return engine_motors_off(e, err, errlen);
}

static int cmd_M112(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd;
    if (mcu_out_send_text(e->mcu, NULL, 0, 0, err, errlen, "emergency_stop"))
        return -1;
    e->shutdown = true;
    snprintf(e->shutdown_reason, sizeof(e->shutdown_reason), "Shutdown due to M112 command");
    engine_respond(e, "// %s", e->shutdown_reason);
    return 0;
}

/* M104/M109 (extruder) and M140/M190 (bed): a target within the
 * heater's min_temp..max_temp, 0 turning it off; M109/M190 then wait for
 * it to settle. */
static int set_heater(struct engine *e, struct engine_heater *eh, const struct gcode_command *cmd,
                      char *err, size_t errlen)
{
    double t;
    if (gcode_get_float_or(cmd, "S", 0.0, NULL, &t, err, errlen) ||
        heater_set_target(eh->h, t, err, errlen))
        return -1;
    bool wait = !strcasecmp(cmd->name, "M109") || !strcasecmp(cmd->name, "M190");
    return wait ? engine_heater_wait(e, eh, err, errlen) : 0;
}

static int cmd_M104(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    long tool;
    if (gcode_get_int_or(cmd, "T", 0, GCODE_INT_LIMITS(GCODE_MINVAL(0)), &tool, err, errlen))
        return -1;
    struct engine_heater *eh = engine_heater_by_gcode(e, false);
    if (tool != 0 || !eh) {
        seterr(err, errlen, "Extruder not configured");
        return -1;
    }
    return set_heater(e, eh, cmd, err, errlen);
}

static int cmd_M140(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    struct engine_heater *eh = engine_heater_by_gcode(e, true);
    if (!eh) {
        seterr(err, errlen, "Heater heater_bed not configured");
        return -1;
    }
    return set_heater(e, eh, cmd, err, errlen);
}

static int cmd_M105(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd;
    /* Answered in the "ok" line, as Klipper does. */
    char msg[160];
    if (engine_temperature_report(e, msg, sizeof(msg))) {
        seterr(err, errlen, "temperature report does not fit");
        return -1;
    }
    engine_respond(e, "ok %s", msg);
    return 1; /* answered */
}

static int cmd_M106(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    double s;
    if (gcode_get_float_or(cmd, "S", 255.0, GCODE_LIMITS(GCODE_MINVAL(0.0)), &s, err, errlen))
        return -1;
    return engine_fan_set(e, s > 255.0 ? 1.0 : s / 255.0, err, errlen);
}

static int cmd_M107(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd;
    return engine_fan_set(e, 0.0, err, errlen);
}

static int cmd_GET_POSITION(struct engine *e, const struct gcode_command *cmd, char *err,
                            size_t errlen)
{
    (void)cmd;
    if (engine_flush_moves(e, err, errlen))
        return -1;
    char mcu[256] = "", step[256] = "";
    size_t nm = 0, ns = 0;
    double spos[ENGINE_MAX_STEPPERS] = {0};
    for (int i = 0; i < e->nsteppers; i++) {
        const struct stepper_out *so = e->steppers[i];
        spos[i] = stepper_out_position(so);
        nm += (size_t)snprintf(mcu + nm, sizeof(mcu) - nm, "%s%s:%lld", i ? " " : "",
                               stepper_out_name(so), (long long)stepper_out_mcu_position(so));
        ns += (size_t)snprintf(step + ns, sizeof(step) - ns, "%s%s:%.6f", i ? " " : "",
                               stepper_out_name(so), spos[i]);
    }
    double th[AXIS_COUNT], kin[3];
    toolhead_get_position(e->th, th);
    kinematics_calc_position(toolhead_kinematics(e->th), spos, kin);
    const struct gcode_state *gs = &e->gs;
    engine_respond(e, "// mcu: %s", mcu);
    engine_respond(e, "// stepper: %s", step);
    engine_respond(e, "// kinematic: X:%.6f Y:%.6f Z:%.6f", kin[0], kin[1], kin[2]);
    engine_respond(e, "// toolhead: X:%.6f Y:%.6f Z:%.6f E:%.6f", th[0], th[1], th[2], th[3]);
    engine_respond(e, "// gcode: X:%.6f Y:%.6f Z:%.6f E:%.6f", gs->last_position[0],
                   gs->last_position[1], gs->last_position[2], gs->last_position[3]);
    engine_respond(e, "// gcode base: X:%.6f Y:%.6f Z:%.6f E:%.6f", gs->base_position[0],
                   gs->base_position[1], gs->base_position[2], gs->base_position[3]);
    /* No SET_GCODE_OFFSET yet: the homing offsets are zero. */
    engine_respond(e, "// gcode homing: X:%.6f Y:%.6f Z:%.6f", 0.0, 0.0, 0.0);
    return 0;
}

static int cmd_SET_KINEMATIC_POSITION(struct engine *e, const struct gcode_command *cmd, char *err,
                                      size_t errlen)
{
    if (gcode_check_args(cmd, err, errlen) || engine_flush_moves(e, err, errlen))
        return -1;
    double pos[AXIS_COUNT];
    toolhead_get_position(e->th, pos);
    for (int i = AXIS_X; i <= AXIS_Z; i++) {
        char name[2] = {axis_names[i], 0};
        if (gcode_get_float_or(cmd, name, pos[i], NULL, &pos[i], err, errlen))
            return -1;
    }
    if (engine_set_position(e, pos, AXES_XYZ, err, errlen))
        return -1;
    engine_sync_gcode_position(e);
    return 0;
}

/* The direction in which only stepper so moves: solve C v = unit(so)
 * for the matrix C of all steppers' coefficients (unit rows stand in for
 * axes no stepper follows). */
static int force_direction(struct engine *e, const struct stepper_out *so, double v[AXIS_COUNT],
                           char *err, size_t errlen)
{
    double a[AXIS_COUNT][AXIS_COUNT + 1] = {{0}};
    int rows = 0, target = -1;
    for (int i = 0; i < e->nsteppers && rows < AXIS_COUNT; i++, rows++) {
        memcpy(a[rows], stepper_out_coeff(e->steppers[i]), sizeof(double) * AXIS_COUNT);
        if (e->steppers[i] == so) {
            target = rows;
            a[rows][AXIS_COUNT] = 1.0;
        }
    }
    for (int axis = 0; axis < AXIS_COUNT && rows < AXIS_COUNT; axis++) {
        bool used = false;
        for (int r = 0; r < rows; r++)
            used |= a[r][axis] != 0.0;
        if (!used)
            a[rows++][axis] = 1.0;
    }
    for (int col = 0; col < AXIS_COUNT; col++) {
        int piv = col;
        for (int r = col + 1; r < rows; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col]))
                piv = r;
        if (target < 0 || rows < AXIS_COUNT || fabs(a[piv][col]) < 1e-12) {
            seterr(err, errlen, "FORCE_MOVE: %s cannot move alone in this kinematics",
                   stepper_out_name(so));
            return -1;
        }
        for (int k = 0; k <= AXIS_COUNT; k++) {
            double t = a[col][k];
            a[col][k] = a[piv][k];
            a[piv][k] = t;
        }
        for (int r = 0; r < AXIS_COUNT; r++) {
            if (r == col || a[r][col] == 0.0)
                continue;
            double f = a[r][col] / a[col][col];
            for (int k = col; k <= AXIS_COUNT; k++)
                a[r][k] -= f * a[col][k];
        }
    }
    for (int i = 0; i < AXIS_COUNT; i++)
        v[i] = a[i][AXIS_COUNT] / a[i][i];
    return 0;
}

static int cmd_FORCE_MOVE(struct engine *e, const struct gcode_command *cmd, char *err,
                          size_t errlen)
{
    const char *name;
    double dist, velocity, accel;
    if (gcode_check_args(cmd, err, errlen) || gcode_get_str(cmd, "STEPPER", &name, err, errlen) ||
        gcode_get_float(cmd, "DISTANCE", NULL, &dist, err, errlen) ||
        gcode_get_float(cmd, "VELOCITY", GCODE_LIMITS(GCODE_ABOVE(0.0)), &velocity, err, errlen) ||
        gcode_get_float_or(cmd, "ACCEL", 0.0, GCODE_LIMITS(GCODE_MINVAL(0.0)), &accel, err, errlen))
        return -1;
    struct stepper_out *so = NULL;
    for (int i = 0; i < e->nsteppers; i++)
        if (!strcasecmp(stepper_out_name(e->steppers[i]), name))
            so = e->steppers[i];
    if (!so) {
        seterr(err, errlen, "Unknown stepper %s", name);
        return -1;
    }
    if (engine_flush_moves(e, err, errlen) || engine_motors_on(e, err, errlen))
        return -1;
    /* A straight move along the direction v in which this stepper moves
     * 1 mm per mm and every other stepper stays: v is a column of the
     * inverse of the steppers' coefficient matrix. */
    double v[AXIS_COUNT];
    if (force_direction(e, so, v, err, errlen))
        return -1;
    struct move m = {0};
    double d = fabs(dist), sign = dist < 0 ? -1.0 : 1.0;
    m.print_time = toolhead_get_last_move_time(e->th);
    m.move_d = d;
    toolhead_get_position(e->th, m.start_pos);
    for (int i = 0; i < AXIS_COUNT; i++)
        m.axes_r[i] = sign * v[i];
    if (accel > 0.0) {
        double accel_t = velocity / accel, accel_d = 0.5 * velocity * accel_t;
        if (2.0 * accel_d > d) {
            accel_t = sqrt(d / accel);
            velocity = accel * accel_t;
            accel_d = d / 2.0;
        }
        m.accel_t = m.decel_t = accel_t;
        m.cruise_t = (d - 2.0 * accel_d) / velocity;
        m.accel = accel;
    } else {
        m.cruise_t = d / velocity;
    }
    m.cruise_v = velocity;
    if (stepgen_add_move(e->sg, &m, err, errlen) ||
        toolhead_dwell(e->th, move_duration(&m), err, errlen))
        return -1;
    /* As in Klipper, the toolhead keeps its position: the stepper's steps
     * now stand for its kinematic position again (the others are there). */
    double pos[AXIS_COUNT];
    toolhead_get_position(e->th, pos);
    return stepgen_set_axes_position(e->sg, pos, err, errlen);
}

static int cmd_STATUS(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd, (void)err, (void)errlen;
    if (e->shutdown)
        engine_respond(e, "// %s", e->shutdown_reason);
    else
        engine_respond(e, "// Printer is ready");
    return 0;
}

static int cmd_RESTART(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    if (e->live)
        return engine_restart_live(e, !strcasecmp(cmd->name, "FIRMWARE_RESTART"), err, errlen);
    return engine_reset_state(e, err, errlen);
}

static int cmd_HELP(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen);

static const struct command commands[] = {
    {"G0", cmd_G1, NULL, false},
    {"G1", cmd_G1, NULL, false},
    {"G4", cmd_G4, NULL, false},
    {"G28", cmd_G28, NULL, false},
    {"G90", cmd_G90, NULL, false},
    {"G91", cmd_G91, NULL, false},
    {"G92", cmd_G92, NULL, false},
    {"M18", cmd_M84, NULL, false},
    {"M82", cmd_M82, NULL, false},
    {"M83", cmd_M83, NULL, false},
    {"M84", cmd_M84, NULL, false},
    {"M104", cmd_M104, NULL, false},
    {"M105", cmd_M105, NULL, true},
    {"M106", cmd_M106, NULL, false},
    {"M107", cmd_M107, NULL, false},
    {"M109", cmd_M104, NULL, false},
    {"M112", cmd_M112, NULL, true},
    {"M114", cmd_M114, NULL, false},
    {"M140", cmd_M140, NULL, false},
    {"M190", cmd_M140, NULL, false},
    {"M220", cmd_M220, NULL, false},
    {"M221", cmd_M221, NULL, false},
    {"M400", cmd_M400, NULL, false},
    {"FIRMWARE_RESTART", cmd_RESTART, "Restart the firmware and the host; reload the config", true},
    {"FORCE_MOVE", cmd_FORCE_MOVE, "Move one stepper by DISTANCE at VELOCITY, ignoring kinematics",
     false},
    {"GET_POSITION", cmd_GET_POSITION, "Report the toolhead position in every coordinate space",
     false},
    {"HELP", cmd_HELP, "List the extended commands", true},
    {"RESTART", cmd_RESTART, "Restart the host and reload the config", true},
    {"SET_KINEMATIC_POSITION", cmd_SET_KINEMATIC_POSITION,
     "Declare the toolhead position (axes become homed) without moving", false},
    {"STATUS", cmd_STATUS, "Report the printer's state", true},
};

/* A command this printer offers: the ones of sections it lacks are
 * unknown, as in Klipper. */
static bool command_available(const struct engine *e, const struct command *c)
{
    if (c->fn == cmd_M140)
        return e->pc.heater_bed.present;
    if (c->fn == cmd_M106 || c->fn == cmd_M107)
        return e->pc.fan.present;
    if (c->fn == cmd_FORCE_MOVE)
        return e->pc.enable_force_move;
    return true;
}

static int cmd_HELP(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    (void)cmd, (void)err, (void)errlen;
    engine_respond(e, "// Available extended commands:");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].help && command_available(e, &commands[i]))
            engine_respond(e, "// %-24s: %s", commands[i].name, commands[i].help);
    return 0;
}

int engine_dispatch(struct engine *e, const struct gcode_command *cmd, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const struct command *c = &commands[i];
        if (strcmp(c->name, cmd->name) || !command_available(e, c))
            continue;
        if (e->shutdown && !c->in_shutdown) {
            seterr(err, errlen, "%s", e->shutdown_reason);
            return -1;
        }
        return c->fn(e, cmd, err, errlen);
    }
    engine_respond(e, "// Unknown command:\"%s\"", cmd->name);
    return 0;
}
