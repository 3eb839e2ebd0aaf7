/* Building the twin from a printer.cfg on a board, and its report. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim_mcu.h"
#include "twin_internal.h"

/* How far the frame's hard stops lie beyond position_min/position_max. */
#define FRAME_MARGIN_MM 5.0
#define DEFAULT_SPREAD_MM 0.005
#define ENDSTOP_HYSTERESIS_MM 0.1

void twin_opts_init(struct twin_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->backend = "avr";
    o->board = "ramps14";
    o->seed = 1;
    for (int i = 0; i < 3; i++)
        o->start[i] = NAN;
    o->endstop_spread = NAN;
}

static int build_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int build_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A pin of the config as the simulator numbers it; only the one MCU is
 * simulated. */
static int cfg_pin(const struct twin_opts *o, const char *section, const char *option,
                   const struct config_pin *p, unsigned *pin, char *err, size_t errlen)
{
    if (strcmp(p->mcu, "mcu"))
        return build_fail(err, errlen,
                          "%s: [%s] %s: '%s:%s' is on MCU '%s'; the twin simulates only [mcu]",
                          o->config_path, section, option, p->mcu, p->name, p->mcu);
    char why[160];
    if (board_pin_number(p->name, pin, why, sizeof(why)))
        return build_fail(err, errlen, "%s: [%s] %s: %s", o->config_path, section, option, why);
    return 0;
}

static const char *pin_name(unsigned pin, char buf[8])
{
    board_pin_name(pin, buf, 8);
    return buf;
}

enum board_pins { STEP_PINS, ENDSTOP_PINS, HEATER_PINS, SENSOR_PINS };

/* "PF0 stepper_x, PF6 stepper_y, ..." for error messages. */
static void list_board_pins(const struct board *b, enum board_pins which, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    char pn[8];
    if (which == STEP_PINS || which == ENDSTOP_PINS) {
        for (size_t i = 0; i < b->stepper_count && n < cap; i++) {
            const struct board_stepper *s = &b->steppers[i];
            if (which == ENDSTOP_PINS && !s->has_endstop)
                continue;
            unsigned pin = which == STEP_PINS ? s->step_pin : s->endstop_pin;
            n += (size_t)snprintf(out + n, cap - n, "%s%s %s", n ? ", " : "", pin_name(pin, pn),
                                  s->name);
        }
    } else {
        for (size_t i = 0; i < b->heater_count && n < cap; i++) {
            const struct board_heater *h = &b->heaters[i];
            unsigned pin = which == HEATER_PINS ? h->heater_pin : h->sensor_pin;
            n += (size_t)snprintf(out + n, cap - n, "%s%s %s", n ? ", " : "", pin_name(pin, pn),
                                  h->name);
        }
    }
}

static int add_role(struct twin *tw, unsigned pin, enum pin_role_kind kind, size_t index,
                    const char *what, char *err, size_t errlen)
{
    if (pin >= TWIN_NPINS || tw->nroles[pin] >= TWIN_ROLES_PER_PIN) {
        char pn[8];
        return build_fail(err, errlen, "%s: [%s]: pin %s is shared by more than %d parts",
                          tw->config_path, what, pin_name(pin, pn), TWIN_ROLES_PER_PIN);
    }
    tw->roles[pin][tw->nroles[pin]++] = (struct pin_role){(uint8_t)kind, (uint8_t)index};
    return 0;
}

/* The driver socket whose step pin the config names; its dir and enable
 * pins must be the socket's too, as on the real board. */
static int match_socket(const struct twin_opts *o, const struct board *b,
                        const struct stepper_config *sc, struct twin_stepper *s, char *err,
                        size_t errlen)
{
    unsigned step, dir, enable = 0;
    if (cfg_pin(o, sc->name, "step_pin", &sc->step_pin, &step, err, errlen) ||
        cfg_pin(o, sc->name, "dir_pin", &sc->dir_pin, &dir, err, errlen) ||
        (sc->has_enable_pin &&
         cfg_pin(o, sc->name, "enable_pin", &sc->enable_pin, &enable, err, errlen)))
        return -1;
    const struct board_stepper *bs = NULL;
    for (size_t i = 0; i < b->stepper_count && !bs; i++)
        if (b->steppers[i].step_pin == step)
            bs = &b->steppers[i];
    char pn[8], pn2[8], list[256];
    if (!bs) {
        list_board_pins(b, STEP_PINS, list, sizeof(list));
        return build_fail(err, errlen,
                          "%s: [%s] step_pin: %s is no driver's step input on board %s "
                          "(expected one of %s)",
                          o->config_path, sc->name, pin_name(step, pn), b->name, list);
    }
    if (dir != bs->dir_pin)
        return build_fail(err, errlen,
                          "%s: [%s] dir_pin: %s is not wired to the %s driver on board %s "
                          "(its dir input is %s)",
                          o->config_path, sc->name, pin_name(dir, pn), bs->name, b->name,
                          pin_name(bs->dir_pin, pn2));
    if (sc->has_enable_pin && enable != bs->enable_pin)
        return build_fail(err, errlen,
                          "%s: [%s] enable_pin: %s is not wired to the %s driver on board %s "
                          "(its enable input is %s)",
                          o->config_path, sc->name, pin_name(enable, pn), bs->name, b->name,
                          pin_name(bs->enable_pin, pn2));
    snprintf(s->name, sizeof(s->name), "%s", sc->name);
    s->step_pin = step;
    s->dir_pin = dir;
    s->enable_pin = bs->enable_pin;
    /* Without enable_pin in the config the board's enable input is not
     * driven: the A4988's own pull-down keeps it enabled. */
    s->has_enable = sc->has_enable_pin;
    s->enable_active_low = bs->enable_active_low;
    s->reversed = sc->dir_pin.invert;
    return 0;
}

enum motor_load { LOAD_BELT, LOAD_GANTRY, LOAD_SCREW, LOAD_EXTRUDER };

static int make_motor(struct twin_stepper *s, const struct stepper_config *sc, double freq,
                      enum motor_load load, const char *path, char *err, size_t errlen)
{
    struct stepper_params sp;
    stepper_params_default(&sp);
    sp.clock_hz = freq;
    sp.full_steps_per_rotation = (unsigned)sc->full_steps_per_rotation;
    sp.microsteps = (unsigned)sc->microsteps;
    /* Loads as docs/twin-models-motion.md suggests for each motor of the
     * default printer, scaled by the config's own pulley or screw. */
    if (load == LOAD_BELT) { /* X, Y: a 1 kg carriage or bed */
        sp.load_inertia = axis_reflected_inertia(1.0, sc->rotation_distance, sc->gear_ratio);
    } else if (load == LOAD_GANTRY) {
        /* Corexy: a 1 kg carriage's kinetic energy m (x'^2 + y'^2) / 2 is
         * m (a'^2 + b'^2) / 4 in the belts, so each motor carries half of
         * it, whichever way the carriage goes. */
        sp.load_inertia = axis_reflected_inertia(0.5, sc->rotation_distance, sc->gear_ratio);
    } else if (load == LOAD_SCREW) { /* Z: a 1.5 kg gantry, plus the screw itself */
        sp.load_inertia = axis_reflected_inertia(1.5, sc->rotation_distance, sc->gear_ratio) + 1e-6;
        sp.friction_torque = 0.03;
    } else { /* the extruder's gears and hobbed shaft, pushing filament */
        sp.load_inertia = 3e-6;
        sp.friction_torque = 0.04;
    }
    char why[200];
    s->motor = stepper_model_create(&sp, why, sizeof(why));
    if (!s->motor)
        return build_fail(err, errlen, "%s: [%s]: the twin's motor model refuses it: %s", path,
                          sc->name, why);
    s->mm_per_microstep = sc->step_distance;
    s->rail = -1;
    s->gantry_motor = -1;
    if (!s->has_enable)
        stepper_model_set_enable(s->motor, 0, true);
    return 0;
}

/* On a corexy, rails 0 and 1 only fill gantry[i]: build_gantry makes
 * their carriage once both motors exist. */
static int build_rail(struct twin *tw, const struct twin_opts *o, size_t i,
                      struct axis_params gantry[2], char *err, size_t errlen)
{
    const struct rail_config *rc = &tw->pc.rails[i];
    struct twin_stepper *s = &tw->steppers[tw->nsteppers];
    if (match_socket(o, tw->board, &rc->stepper, s, err, errlen) ||
        make_motor(s, &rc->stepper, tw->freq,
                   i == 2                                   ? LOAD_SCREW
                   : tw->pc.kinematics == KINEMATICS_COREXY ? LOAD_GANTRY
                                                            : LOAD_BELT,
                   o->config_path, err, errlen))
        return -1;
    s->rail = (int)i;
    unsigned es;
    if (cfg_pin(o, rc->stepper.name, "endstop_pin", &rc->endstop_pin, &es, err, errlen))
        return -1;
    const struct board_stepper *bs = NULL;
    for (size_t k = 0; k < tw->board->stepper_count && !bs; k++)
        if (tw->board->steppers[k].has_endstop && tw->board->steppers[k].endstop_pin == es)
            bs = &tw->board->steppers[k];
    if (!bs) {
        char pn[8], list[256];
        list_board_pins(tw->board, ENDSTOP_PINS, list, sizeof(list));
        return build_fail(err, errlen,
                          "%s: [%s] endstop_pin: %s is no endstop input on board %s "
                          "(expected one of %s)",
                          o->config_path, rc->stepper.name, pin_name(es, pn), tw->board->name,
                          list);
    }
    s->has_endstop = true;
    s->endstop_pin = es;
    s->triggered_level = bs->endstop_triggered_level;

    struct axis_params ap;
    axis_params_default(&ap);
    ap.rotation_distance = rc->stepper.rotation_distance;
    ap.gear_ratio = rc->stepper.gear_ratio;
    ap.reversed = s->reversed;
    ap.frame_min = rc->position_min - FRAME_MARGIN_MM;
    ap.frame_max = rc->position_max + FRAME_MARGIN_MM;
    ap.start_position =
        isnan(o->start[i]) ? (rc->position_min + rc->position_max) / 2 : o->start[i];
    ap.has_endstop = true;
    ap.endstop_end = rc->homing_positive_dir ? AXIS_END_MAX : AXIS_END_MIN;
    ap.endstop_position = rc->position_endstop;
    ap.endstop_spread = isnan(o->endstop_spread) ? DEFAULT_SPREAD_MM : o->endstop_spread;
    ap.endstop_hysteresis = ENDSTOP_HYSTERESIS_MM;
    /* Each axis draws from its own sequence. */
    ap.seed = o->seed * 0x9e3779b97f4a7c15ull + i + 1;
    if (tw->pc.kinematics == KINEMATICS_COREXY && i < 2) {
        s->gantry_motor = (int)i;
        gantry[i] = ap;
        tw->gantry_stepper[i] = (int)tw->nsteppers;
        tw->nsteppers++;
        return 0;
    }
    char why[200];
    s->axis = axis_model_create(&ap, s->motor, why, sizeof(why));
    if (!s->axis)
        return build_fail(err, errlen, "%s: [%s]: the twin's axis model refuses it: %s",
                          o->config_path, rc->stepper.name, why);
    s->start_mm = ap.start_position;
    tw->nsteppers++;
    return 0;
}

static int build_gantry(struct twin *tw, const struct twin_opts *o,
                        const struct axis_params gantry[2], char *err, size_t errlen)
{
    struct twin_stepper *a = &tw->steppers[tw->gantry_stepper[COREXY_X]];
    struct twin_stepper *b = &tw->steppers[tw->gantry_stepper[COREXY_Y]];
    struct stepper_model *motors[2] = {a->motor, b->motor};
    char why[200];
    tw->gantry = corexy_model_create(gantry, motors, why, sizeof(why));
    if (!tw->gantry)
        return build_fail(err, errlen,
                          "%s: [stepper_x], [stepper_y]: the twin's corexy model "
                          "refuses them: %s",
                          o->config_path, why);
    double x = gantry[COREXY_X].start_position, y = gantry[COREXY_Y].start_position;
    a->start_mm = x + y;
    b->start_mm = x - y;
    return 0;
}

static int build_extruder_motor(struct twin *tw, const struct twin_opts *o, char *err,
                                size_t errlen)
{
    const struct extruder_config *ec = &tw->pc.extruder;
    struct twin_stepper *s = &tw->steppers[tw->nsteppers];
    if (match_socket(o, tw->board, &ec->stepper, s, err, errlen) ||
        make_motor(s, &ec->stepper, tw->freq, LOAD_EXTRUDER, o->config_path, err, errlen))
        return -1;
    tw->nsteppers++;
    return 0;
}

static int build_heater(struct twin *tw, const struct twin_opts *o, const char *section,
                        const struct heater_config *hc, bool hotend, char *err, size_t errlen)
{
    struct twin_heater *h = &tw->heaters[tw->nheaters];
    unsigned hp, sp;
    if (cfg_pin(o, section, "heater_pin", &hc->heater_pin, &hp, err, errlen) ||
        cfg_pin(o, section, "sensor_pin", &hc->sensor_pin, &sp, err, errlen))
        return -1;
    const struct board_heater *out = NULL, *in = NULL;
    for (size_t i = 0; i < tw->board->heater_count; i++) {
        if (tw->board->heaters[i].heater_pin == hp)
            out = &tw->board->heaters[i];
        if (tw->board->heaters[i].sensor_pin == sp)
            in = &tw->board->heaters[i];
    }
    char pn[8], list[256];
    if (!out) {
        list_board_pins(tw->board, HEATER_PINS, list, sizeof(list));
        return build_fail(err, errlen,
                          "%s: [%s] heater_pin: %s is no heater output on board %s "
                          "(expected one of %s)",
                          o->config_path, section, pin_name(hp, pn), tw->board->name, list);
    }
    if (!in) {
        list_board_pins(tw->board, SENSOR_PINS, list, sizeof(list));
        return build_fail(err, errlen,
                          "%s: [%s] sensor_pin: %s is no thermistor input on board %s "
                          "(expected one of %s)",
                          o->config_path, section, pin_name(sp, pn), tw->board->name, list);
    }
    struct heater_model_params p =
        hotend ? heater_model_preset_hotend() : heater_model_preset_bed();
    if (hc->sensor_kind != SENSOR_THERMISTOR ||
        thermistor_by_name(&p.thermistor, hc->sensor_type)) {
        char names[512];
        size_t n = 0;
        const char *nm;
        for (size_t i = 0; (nm = thermistor_builtin_name(i)) && n < sizeof(names); i++)
            n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "", nm);
        return build_fail(err, errlen,
                          "%s: [%s] sensor_type: the twin models NTC thermistors only (%s), "
                          "got '%s'",
                          o->config_path, section, names, hc->sensor_type);
    }
    /* The hardware's divider: the board's pull-up, whatever the config
     * tells the host to assume. */
    p.divider.pullup_ohms = in->sensor_pullup_ohms;
    char why[200];
    if (heater_model_init(&h->model, &p, why, sizeof(why)))
        return build_fail(err, errlen, "%s: [%s]: %s", o->config_path, section, why);
    snprintf(h->name, sizeof(h->name), "%s", section);
    h->heater_pin = hp;
    h->sensor_pin = sp;
    h->last_mv = -1;
    h->peak_block = h->peak_sensor = p.ambient;
    if (hotend)
        tw->hotend = (int)tw->nheaters;
    tw->nheaters++;
    return 0;
}

static int build_fan(struct twin *tw, const struct twin_opts *o, char *err, size_t errlen)
{
    unsigned pin;
    if (cfg_pin(o, "fan", "pin", &tw->pc.fan.pin, &pin, err, errlen))
        return -1;
    if (!tw->board->has_fan || pin != tw->board->fan_pin) {
        char pn[8], pn2[8];
        if (!tw->board->has_fan)
            return build_fail(err, errlen, "%s: [fan] pin: board %s has no fan output",
                              o->config_path, tw->board->name);
        return build_fail(err, errlen, "%s: [fan] pin: %s is not the fan output of board %s (%s)",
                          o->config_path, pin_name(pin, pn), tw->board->name,
                          pin_name(tw->board->fan_pin, pn2));
    }
    tw->has_fan = true;
    tw->fan_pin = pin;
    return 0;
}

static int build(struct twin *tw, const struct twin_opts *o, char *err, size_t errlen)
{
    struct axis_params gantry[2];
    for (size_t i = 0; i < tw->pc.nrails && i < 3; i++)
        if (build_rail(tw, o, i, gantry, err, errlen))
            return -1;
    if (tw->pc.kinematics == KINEMATICS_COREXY && build_gantry(tw, o, gantry, err, errlen))
        return -1;
    if (tw->pc.extruder.present && tw->pc.extruder.has_stepper &&
        build_extruder_motor(tw, o, err, errlen))
        return -1;
    tw->hotend = -1;
    if (tw->pc.extruder.present &&
        build_heater(tw, o, "extruder", &tw->pc.extruder.heater, true, err, errlen))
        return -1;
    if (tw->pc.heater_bed.present &&
        build_heater(tw, o, "heater_bed", &tw->pc.heater_bed.heater, false, err, errlen))
        return -1;
    if (tw->pc.fan.present && build_fan(tw, o, err, errlen))
        return -1;

    for (size_t i = 0; i < tw->nsteppers; i++) {
        struct twin_stepper *s = &tw->steppers[i];
        if (add_role(tw, s->step_pin, ROLE_STEP, i, s->name, err, errlen) ||
            add_role(tw, s->dir_pin, ROLE_DIR, i, s->name, err, errlen) ||
            (s->has_enable && add_role(tw, s->enable_pin, ROLE_ENABLE, i, s->name, err, errlen)))
            return -1;
    }
    for (size_t i = 0; i < tw->nheaters; i++)
        if (add_role(tw, tw->heaters[i].heater_pin, ROLE_HEATER, i, tw->heaters[i].name, err,
                     errlen))
            return -1;
    if (tw->has_fan && add_role(tw, tw->fan_pin, ROLE_FAN, 0, "fan", err, errlen))
        return -1;
    return 0;
}

struct twin *twin_open(const struct twin_opts *o, char *err, size_t errlen)
{
    if (!o->config_path) {
        snprintf(err, errlen, "twin: no printer.cfg given");
        return NULL;
    }
    struct twin *tw = calloc(1, sizeof(*tw));
    if (!tw) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    tw->config_path = strdup(o->config_path);
    tw->board = board_find(o->board ? o->board : "ramps14");
    if (!tw->board) {
        snprintf(err, errlen, "unknown board '%s' (known: %s)", o->board, board_names());
        free(tw->config_path);
        free(tw);
        return NULL;
    }
    if (!tw->config_path || printer_config_load(o->config_path, NULL, &tw->pc, err, errlen)) {
        if (!tw->config_path)
            snprintf(err, errlen, "out of memory");
        free(tw->config_path);
        free(tw);
        return NULL;
    }
    tw->freq = (uint32_t)tw->board->clock_hz;
    const char *backend = o->backend ? o->backend : "avr";
    if (build(tw, o, err, errlen) || twin_record_open(&tw->rec, o->trace_path, err, errlen)) {
        twin_close(tw);
        return NULL;
    }
    tw->mcu = sim_mcu_create(backend, err, errlen);
    if (!tw->mcu) {
        twin_close(tw);
        return NULL;
    }
    if (sim_mcu_freq(tw->mcu) != tw->freq) {
        snprintf(err, errlen, "simulated MCU '%s' runs at %u Hz; board %s needs %u Hz", backend,
                 sim_mcu_freq(tw->mcu), tw->board->name, tw->freq);
        twin_close(tw);
        return NULL;
    }
    snprintf(tw->backend, sizeof(tw->backend), "%s", sim_mcu_backend(tw->mcu));
    /* The schedule watch needs the firmware's dictionary: the build's own
     * for the firmware it built; another ELF goes unwatched. */
    unsigned step_pins[TWIN_MAX_STEPPERS];
    for (size_t i = 0; i < tw->nsteppers; i++)
        step_pins[i] = tw->steppers[i].step_pin;
    const char *dict = !strcmp(backend, "avr")      ? LOCKSTEP_AVR_DICT
                       : !strcmp(backend, "native") ? LOCKSTEP_NATIVE_DICT
                                                    : NULL;
    if (twin_schedule_init(&tw->sched, dict, step_pins, tw->nsteppers, err, errlen)) {
        twin_close(tw);
        return NULL;
    }

    tw->tick_cycles = twin_cycles(tw, TWIN_TICK_S);
    tw->next_tick = tw->tick_cycles;
    tw->run_gap_cycles = twin_cycles(tw, TWIN_RUN_GAP_S);
    /* A heater's PWM period is 0.1 s, the fan's 10 ms: a pin quiet for
     * five heater periods is steadily on or off. */
    tw->idle_pwm_cycles = twin_cycles(tw, 0.5);
    uint64_t byte_cycles = (uint64_t)tw->freq * 10 / sim_mcu_baud(tw->mcu);
    tw->slice_min = 4 * byte_cycles;
    tw->slice_max = 64 * byte_cycles;
    tw->slice = tw->slice_min;
    sim_mcu_set_pin_watch(tw->mcu, twin_on_pin, tw);
    sim_mcu_set_uart_rx(tw->mcu, twin_on_rx, tw);

    twin_record_comment(&tw->rec, "lockstep trace 2 (docs/trace-format.md)");
    if (o->title)
        twin_record_comment(&tw->rec, "scenario %s", o->title);
    twin_record_comment(&tw->rec, "backend %s, board %s, seed %llu, config %s", tw->backend,
                        tw->board->name, (unsigned long long)o->seed, o->config_path);
    twin_record_header(&tw->rec, "freq %u", tw->freq);
    if (tw->gantry)
        twin_record_header(&tw->rec, "kinematics corexy");
    for (size_t i = 0; i < tw->nsteppers; i++) {
        const struct twin_stepper *s = &tw->steppers[i];
        twin_record_header(&tw->rec, "stepper %s rail %c mm_per_step %.9g start %.4f", s->name,
                           s->rail >= 0 ? "xyz"[s->rail] : 'e', s->mm_per_microstep,
                           s->rail >= 0 ? s->start_mm : 0.0);
    }
    for (size_t i = 0; i < tw->nheaters; i++)
        twin_record_header(&tw->rec, "heater %s", tw->heaters[i].name);
    for (size_t i = 0; i < tw->nsteppers; i++)
        if (tw->steppers[i].has_endstop)
            twin_drive_endstop(tw, &tw->steppers[i], 0);
    twin_thermal_update(tw, 0);
    return tw;
}

void twin_close(struct twin *tw)
{
    if (!tw)
        return;
    twin_detach_transport(tw);
    if (tw->mcu)
        sim_mcu_destroy(tw->mcu);
    for (size_t i = 0; i < tw->nsteppers; i++) {
        axis_model_destroy(tw->steppers[i].axis);
        stepper_model_destroy(tw->steppers[i].motor);
    }
    corexy_model_destroy(tw->gantry);
    /* A stepper whose build failed half-way holds a motor not counted yet. */
    if (tw->nsteppers < TWIN_MAX_STEPPERS)
        stepper_model_destroy(tw->steppers[tw->nsteppers].motor);
    twin_record_close(&tw->rec);
    twin_schedule_free(&tw->sched);
    free(tw->rx);
    free(tw->rx_cycle);
    free(tw->held);
    printer_config_free(&tw->pc);
    free(tw->config_path);
    free(tw);
}

int twin_add_fault(struct twin *tw, const char *spec, char *err, size_t errlen)
{
    if (tw->nfaults == TWIN_MAX_FAULTS) {
        snprintf(err, errlen, "fault '%s': at most %d faults", spec, TWIN_MAX_FAULTS);
        return -1;
    }
    struct twin_fault_state fs = {.index = -1, .watch = -1};
    if (twin_fault_parse(spec, &fs.f, err, errlen))
        return -1;
    const struct twin_fault *f = &fs.f;
    if (f->part_kind == TWIN_PART_STEPPER || f->part_kind == TWIN_PART_RAIL) {
        for (size_t i = 0; i < tw->nsteppers; i++)
            if (!strcmp(tw->steppers[i].name, f->part))
                fs.index = (int)i;
        if (fs.index < 0) {
            snprintf(err, errlen, "fault '%s': the printer has no %s", spec, f->part);
            return -1;
        }
    } else if (f->part_kind == TWIN_PART_HEATER) {
        for (size_t i = 0; i < tw->nheaters; i++)
            if (!strcmp(tw->heaters[i].name, f->part))
                fs.index = (int)i;
        if (fs.index < 0) {
            snprintf(err, errlen, "fault '%s': the printer has no heater %s", spec, f->part);
            return -1;
        }
    }
    if (f->when == TWIN_WHEN_ABOVE || f->when == TWIN_WHEN_BELOW) {
        for (size_t i = 0; i < tw->nheaters; i++)
            if (!strcmp(tw->heaters[i].name, f->watch))
                fs.watch = (int)i;
        if (fs.watch < 0) {
            snprintf(err, errlen, "fault '%s': the printer has no heater %s to watch", spec,
                     f->watch);
            return -1;
        }
    }
    if (f->when == TWIN_WHEN_TIME) {
        if (f->at_time > 1e7) {
            snprintf(err, errlen, "fault '%s': t=%g is beyond the twin's 1e7 s", spec, f->at_time);
            return -1;
        }
        fs.cycle = twin_cycles(tw, f->at_time);
    }
    tw->faults[tw->nfaults++] = fs;
    if (f->when == TWIN_WHEN_NOW) {
        uint64_t now = sim_mcu_cycle(tw->mcu);
        if (twin_fault_act(tw, &tw->faults[tw->nfaults - 1], now) ||
            twin_world_run(tw, now, false)) {
            snprintf(err, errlen, "fault '%s': %s", spec, tw->error);
            return -1;
        }
    }
    return 0;
}

int twin_begin_line(struct twin *tw, unsigned long line, char *err, size_t errlen)
{
    tw->line = line;
    uint64_t now = sim_mcu_cycle(tw->mcu);
    twin_record(tw, now, "line %lu", line);
    for (size_t i = 0; i < tw->nfaults; i++) {
        struct twin_fault_state *fs = &tw->faults[i];
        if (fs->fired || fs->f.when != TWIN_WHEN_LINE || fs->f.at_line != line)
            continue;
        if (twin_fault_act(tw, fs, now))
            break;
    }
    /* A host stall that began here runs now, before the engine goes on. */
    if (!tw->failed)
        twin_world_run(tw, now, false);
    if (tw->failed) {
        snprintf(err, errlen, "%s", tw->error);
        return -1;
    }
    return 0;
}

void twin_note_answer(struct twin *tw, const char *text)
{
    twin_record(tw, sim_mcu_cycle(tw->mcu), "answer %lu %s", tw->line, text);
}

int twin_run_until(struct twin *tw, double t, char *err, size_t errlen)
{
    if (twin_world_run(tw, twin_cycles(tw, t), false)) {
        snprintf(err, errlen, "%s", tw->error);
        return -1;
    }
    return 0;
}

void twin_set_tick(struct twin *tw, twin_tick_fn fn, void *ctx)
{
    tw->tick_fn = fn;
    tw->tick_ctx = ctx;
}

double twin_time(const struct twin *tw)
{
    return twin_seconds(tw, sim_mcu_cycle(tw->mcu));
}

struct sim_mcu *twin_mcu(struct twin *tw)
{
    return tw->mcu;
}

const char *twin_error(const struct twin *tw)
{
    return tw->failed ? tw->error : NULL;
}

void twin_set_target_source(struct twin *tw, twin_target_fn fn, void *ctx)
{
    tw->target_fn = fn;
    tw->target_ctx = ctx;
}

double twin_heater_temp(const struct twin *tw, const char *name)
{
    for (size_t i = 0; i < tw->nheaters; i++)
        if (!strcmp(tw->heaters[i].name, name))
            return heater_model_block_temp(&tw->heaters[i].model);
    return NAN;
}

const struct twin_stepper_report *twin_report_stepper(const struct twin_report *r, const char *name)
{
    for (size_t i = 0; i < r->nsteppers; i++)
        if (!strcmp(r->steppers[i].name, name))
            return &r->steppers[i];
    return NULL;
}

const struct twin_heater_report *twin_report_heater(const struct twin_report *r, const char *name)
{
    for (size_t i = 0; i < r->nheaters; i++)
        if (!strcmp(r->heaters[i].name, name))
            return &r->heaters[i];
    return NULL;
}

/* Where n microsteps from the start put the stepper's carriage, belt or
 * filament, mm. */
static double mm_after(const struct twin_stepper *s, int64_t n)
{
    return s->start_mm + (s->reversed ? -1.0 : 1.0) * (double)n * s->mm_per_microstep;
}

/* Carriage x or y had both gantry motors followed every step. */
static double gantry_commanded(const struct twin *tw, int axis)
{
    double belt[2];
    for (int m = 0; m < 2; m++) {
        const struct twin_stepper *s = &tw->steppers[tw->gantry_stepper[m]];
        struct stepper_report rep;
        stepper_model_report(s->motor, &rep);
        belt[m] = mm_after(s, rep.commanded);
    }
    return axis == COREXY_X ? (belt[0] + belt[1]) / 2 : (belt[0] - belt[1]) / 2;
}

void twin_report(struct twin *tw, struct twin_report *r)
{
    memset(r, 0, sizeof(*r));
    uint64_t now = sim_mcu_cycle(tw->mcu);
    r->time = twin_seconds(tw, now);
    r->freq = tw->freq;
    snprintf(r->backend, sizeof(r->backend), "%s", tw->backend);
    r->nsteppers = tw->nsteppers;
    for (size_t i = 0; i < tw->nsteppers; i++) {
        struct twin_stepper *s = &tw->steppers[i];
        struct twin_stepper_report *sr = &r->steppers[i];
        twin_flush_run(tw, s);
        snprintf(sr->name, sizeof(sr->name), "%s", s->name);
        stepper_model_report(s->motor, &sr->motor);
        sr->followed = sr->motor.edges - sr->motor.slipped;
        sr->mm_per_step = s->mm_per_microstep;
        if (s->axis) {
            sr->is_axis = true;
            sr->commanded_mm = mm_after(s, sr->motor.commanded);
            sr->actual_mm = axis_model_position(s->axis);
            sr->endstop_closed = axis_model_endstop_closed(s->axis);
        } else if (s->gantry_motor >= 0) {
            sr->is_axis = true;
            sr->commanded_mm = gantry_commanded(tw, s->gantry_motor);
            sr->actual_mm = corexy_model_position(tw->gantry, s->gantry_motor);
            sr->endstop_closed = corexy_model_endstop_closed(tw->gantry, s->gantry_motor);
        } else {
            /* the extruder: its start is 0 mm of filament */
            sr->commanded_mm = mm_after(s, sr->motor.commanded);
            sr->actual_mm = mm_after(s, sr->motor.rotor);
        }
    }
    r->nheaters = tw->nheaters;
    for (size_t i = 0; i < tw->nheaters; i++) {
        struct twin_heater *h = &tw->heaters[i];
        struct twin_heater_report *hr = &r->heaters[i];
        snprintf(hr->name, sizeof(hr->name), "%s", h->name);
        hr->block = heater_model_block_temp(&h->model);
        hr->sensor = heater_model_sensor_temp(&h->model);
        hr->peak_block = h->peak_block;
        hr->peak_sensor = h->peak_sensor;
        hr->duty = h->pwm.duty;
        hr->faults = heater_model_faults(&h->model);
    }
    r->schedule = tw->sched.stats;
    if (r->schedule.checked) {
        snprintf(r->schedule.worst, sizeof(r->schedule.worst), "%s",
                 tw->steppers[tw->sched.worst_stepper].name);
        r->schedule.worst_time = twin_seconds(tw, tw->sched.worst_cycle);
    } else {
        r->schedule.min_late = r->schedule.max_late = 0;
    }
    r->has_fan = tw->has_fan;
    r->fan_duty = tw->fan.duty;
    r->nfaults = tw->nfaults;
    for (size_t i = 0; i < tw->nfaults; i++) {
        snprintf(r->faults[i].spec, sizeof(r->faults[i].spec), "%s", tw->faults[i].f.spec);
        r->faults[i].fired = tw->faults[i].fired;
        r->faults[i].time = twin_seconds(tw, tw->faults[i].fired_cycle);
    }
    r->model_errors = tw->model_errors;
    r->hash = tw->rec.hash;
}
