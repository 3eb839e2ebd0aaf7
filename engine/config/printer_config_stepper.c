#include "cfgget.h"
#include "cfgpin.h"
#include "printer_config_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Klipper leaves these open; bounds keep the values in an int. */
#define MAX_MICROSTEPS 65536
#define MAX_FULL_STEPS 65536

/* Configs from before rotation_distance give step_distance; say what to
 * write instead rather than calling it an unknown option. */
static bool refuse_step_distance(struct cfg_section *s)
{
    const char *text = cfg_getstr(s, "step_distance", NULL);
    if (!text)
        return false;
    char *end;
    double step = strtod(text, &end);
    if (end == text || *end != '\0' || !(step > 0) || !isfinite(step)) {
        cfg_fail_option(s, "step_distance",
                        "step_distance is no longer supported; use microsteps and "
                        "rotation_distance (rotation_distance = full_steps_per_rotation x "
                        "microsteps x step_distance)");
        return true;
    }
    long full = 200, micro = 0;
    const char *f = cfg_getstr(s, "full_steps_per_rotation", NULL);
    if (f && atol(f) > 0)
        full = atol(f);
    const char *m = cfg_getstr(s, "microsteps", NULL);
    if (m && atol(m) > 0)
        micro = atol(m);
    if (micro)
        cfg_fail_option(s, "step_distance",
                        "step_distance is no longer supported: use rotation_distance: %.3f "
                        "(full_steps_per_rotation %ld x microsteps %ld x step_distance %s)",
                        (double)full * (double)micro * step, full, micro, text);
    else
        cfg_fail_option(s, "step_distance",
                        "step_distance is no longer supported: set microsteps to the driver's "
                        "setting and use rotation_distance = full_steps_per_rotation x microsteps "
                        "x step_distance (with microsteps: 16 that is rotation_distance: %.3f)",
                        (double)full * 16.0 * step);
    return true;
}

/* "80:16, 3:1": the product of driving/driven teeth of each stage. */
static double read_gear_ratio(struct cfg_section *s)
{
    const char *text = cfg_getstr(s, "gear_ratio", NULL);
    if (!text)
        return 1.0;
    double ratio = 1.0;
    const char *p = text;
    for (;;) {
        char *end;
        double a = strtod(p, &end);
        bool ok = end != p;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        ok = ok && *p == ':';
        double b = ok ? strtod(p + 1, &end) : 0;
        ok = ok && end != p + 1 && a > 0 && b > 0 && isfinite(a) && isfinite(b);
        if (!ok) {
            cfg_fail_option(s, "gear_ratio",
                            "expected gear ratios like '5:1' or '57:11, 2:1' (positive numbers), "
                            "got '%s'",
                            text);
            return 1.0;
        }
        ratio *= a / b;
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        if (*p != ',') {
            cfg_fail_option(s, "gear_ratio", "expected ',' between gear ratios, got '%s'", text);
            return 1.0;
        }
        p++;
    }
    return ratio;
}

static void read_stepper(struct cfg_section *s, struct stepper_config *st)
{
    snprintf(st->name, sizeof(st->name), "%s", cfg_section_name(s));
    if (refuse_step_distance(s))
        return;
    cfg_getpin_req(s, "step_pin", CFG_PIN_CAN_INVERT, NULL, &st->step_pin);
    cfg_getpin_req(s, "dir_pin", CFG_PIN_CAN_INVERT, NULL, &st->dir_pin);
    /* Boards wire several drivers to one enable line; Klipper allows that. */
    st->has_enable_pin =
        cfg_getpin(s, "enable_pin", CFG_PIN_CAN_INVERT, "stepper_enable", &st->enable_pin);
    st->rotation_distance = cfg_getfloat_req(s, "rotation_distance", CFG_RANGE(CFG_ABOVE(0)));
    st->microsteps =
        (int)cfg_getint_req(s, "microsteps", CFG_RANGE(CFG_MIN(1), CFG_MAX(MAX_MICROSTEPS)));
    st->full_steps_per_rotation = (int)cfg_getint(s, "full_steps_per_rotation", 200,
                                                  CFG_RANGE(CFG_MIN(1), CFG_MAX(MAX_FULL_STEPS)));
    if (!cfg_failed(cfg_section_file(s)) && st->full_steps_per_rotation % 4 != 0)
        cfg_fail_option(s, "full_steps_per_rotation", "expected a multiple of 4, got '%d'",
                        st->full_steps_per_rotation);
    st->gear_ratio = read_gear_ratio(s);
    st->step_pulse_duration =
        cfg_getfloat(s, "step_pulse_duration", 0.000002, CFG_RANGE(CFG_MIN(0), CFG_MAX(0.001)));
    if (st->microsteps > 0 && st->full_steps_per_rotation > 0)
        st->step_distance = st->rotation_distance /
                            ((double)st->full_steps_per_rotation * st->microsteps) / st->gear_ratio;
}

void read_rail(struct cfg_section *s, struct rail_config *rail)
{
    struct cfg_file *cfg = cfg_section_file(s);
    read_stepper(s, &rail->stepper);
    cfg_getpin_req(s, "endstop_pin", CFG_PIN_CAN_INVERT | CFG_PIN_CAN_PULL, NULL,
                   &rail->endstop_pin);
    rail->position_min = cfg_getfloat(s, "position_min", 0, NULL);
    rail->position_max =
        cfg_getfloat_req(s, "position_max", CFG_RANGE(CFG_ABOVE(rail->position_min)));
    rail->position_endstop = cfg_getfloat_req(s, "position_endstop", NULL);
    rail->homing_speed = cfg_getfloat(s, "homing_speed", 5.0, CFG_RANGE(CFG_ABOVE(0)));
    rail->second_homing_speed =
        cfg_getfloat(s, "second_homing_speed", rail->homing_speed / 2, CFG_RANGE(CFG_ABOVE(0)));
    rail->homing_retract_speed =
        cfg_getfloat(s, "homing_retract_speed", rail->homing_speed, CFG_RANGE(CFG_ABOVE(0)));
    rail->homing_retract_dist = cfg_getfloat(s, "homing_retract_dist", 5.0, CFG_RANGE(CFG_MIN(0)));
    bool positive;
    bool given = cfg_getbool_opt(s, "homing_positive_dir", &positive);
    if (cfg_failed(cfg))
        return;

    double min = rail->position_min, max = rail->position_max, at = rail->position_endstop;
    if (at < min || at > max) {
        cfg_fail_option(s, "position_endstop",
                        "expected a position between position_min (%g) and position_max (%g), "
                        "got '%g'",
                        min, max, at);
        return;
    }
    if (!given) {
        /* The endstop sits at one end of the axis; which quarter it is in
         * tells the direction to home in. */
        double quarter = (max - min) / 4;
        if (at <= min + quarter) {
            positive = false;
        } else if (at >= max - quarter) {
            positive = true;
        } else {
            cfg_fail_option(s, "position_endstop",
                            "cannot infer homing_positive_dir: position_endstop %g is not near "
                            "position_min (%g) or position_max (%g); set homing_positive_dir",
                            at, min, max);
            return;
        }
    } else if ((positive && at == min) || (!positive && at == max)) {
        cfg_fail_option(s, "homing_positive_dir",
                        "homing %s contradicts position_endstop %g at the %s end of the axis",
                        positive ? "towards position_max" : "towards position_min", at,
                        positive ? "minimum" : "maximum");
        return;
    }
    rail->homing_positive_dir = positive;
}

static const char *const extruder_stepper_options[] = {
    "step_pin",          "dir_pin",
    "enable_pin",        "microsteps",
    "rotation_distance", "full_steps_per_rotation",
    "gear_ratio",        "step_pulse_duration",
    "step_distance",     NULL};

void read_extruder(struct cfg_section *s, const struct printer_config *pc,
                   struct extruder_config *ex)
{
    struct cfg_file *cfg = cfg_section_file(s);
    ex->present = true;
    for (size_t i = 0; extruder_stepper_options[i]; i++)
        ex->has_stepper = ex->has_stepper || cfg_has_option(s, extruder_stepper_options[i]);
    if (ex->has_stepper)
        read_stepper(s, &ex->stepper);
    else
        snprintf(ex->stepper.name, sizeof(ex->stepper.name), "%s", cfg_section_name(s));

    ex->nozzle_diameter = cfg_getfloat_req(s, "nozzle_diameter", CFG_RANGE(CFG_ABOVE(0)));
    ex->filament_diameter =
        cfg_getfloat_req(s, "filament_diameter", CFG_RANGE(CFG_MIN(ex->nozzle_diameter)));
    const double pi = 3.14159265358979323846;
    double default_section = 4.0 * ex->nozzle_diameter * ex->nozzle_diameter;
    double filament_area = pi * ex->filament_diameter * ex->filament_diameter / 4;
    double ratio = filament_area > 0 ? default_section / filament_area : 0;
    ex->max_extrude_cross_section =
        cfg_getfloat(s, "max_extrude_cross_section", default_section, CFG_RANGE(CFG_ABOVE(0)));
    ex->instantaneous_corner_velocity =
        cfg_getfloat(s, "instantaneous_corner_velocity", 1.0, CFG_RANGE(CFG_MIN(0)));
    ex->max_extrude_only_distance =
        cfg_getfloat(s, "max_extrude_only_distance", 50.0, CFG_RANGE(CFG_MIN(0)));
    ex->max_extrude_only_velocity = cfg_getfloat(s, "max_extrude_only_velocity",
                                                 pc->max_velocity * ratio, CFG_RANGE(CFG_ABOVE(0)));
    ex->max_extrude_only_accel =
        cfg_getfloat(s, "max_extrude_only_accel", pc->max_accel * ratio, CFG_RANGE(CFG_ABOVE(0)));
    ex->pressure_advance = cfg_getfloat(s, "pressure_advance", 0.0, CFG_RANGE(CFG_MIN(0)));
    ex->pressure_advance_smooth_time = cfg_getfloat(s, "pressure_advance_smooth_time", 0.040,
                                                    CFG_RANGE(CFG_ABOVE(0), CFG_MAX(0.200)));
    read_heater(s, &ex->heater);
    if (!cfg_failed(cfg))
        cfg_check_unused(s);
}
