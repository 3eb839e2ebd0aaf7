#include "cfgfile.h"
#include "cfgget.h"
#include "cfgpin.h"
#include "printer_config.h"
#include "printer_config_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinematics_names[] = {"cartesian", "corexy", "none", NULL};

/* Klipper's other kinematics, refused with a clearer word than "unknown". */
static const char *const other_kinematics[] = {"corexz",
                                               "hybrid_corexy",
                                               "hybrid_corexz",
                                               "rotary_delta",
                                               "delta",
                                               "deltesian",
                                               "polar",
                                               "winch",
                                               "limited_cartesian",
                                               "limited_corexy",
                                               "limited_corexz",
                                               "generic_cartesian",
                                               NULL};

static const char *const rail_sections[3] = {"stepper_x", "stepper_y", "stepper_z"};

/* Sections read here; everything else is listed in the warning. */
static bool implemented(const char *name)
{
    static const char *const names[] = {"mcu",        "printer",         "stepper_x",   "stepper_y",
                                        "stepper_z",  "extruder",        "heater_bed",  "fan",
                                        "force_move", "homing_override", "safe_z_home", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return strncmp(name, "mcu ", 4) == 0;
}

static bool valid_mcu_name(const char *name)
{
    if (!*name)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return false;
    return true;
}

static void read_mcu(struct cfg_section *s, const char *name, struct mcu_config *m)
{
    if (!valid_mcu_name(name) || strlen(name) >= sizeof(m->name)) {
        cfg_fail_section(s,
                         "expected [mcu NAME] with a NAME of up to %d letters, digits, '_', "
                         "'-' or '.', got '%s'",
                         (int)sizeof(m->name) - 1, name);
        return;
    }
    snprintf(m->name, sizeof(m->name), "%s", name);
    const char *serial = cfg_getstr_req(s, "serial");
    if (serial && !*serial)
        cfg_fail_option(s, "serial",
                        "expected a serial port (e.g. /dev/ttyACM0 or sim:avr), got ''");
    m->baud = (int)cfg_getint(s, "baud", 250000, CFG_RANGE(CFG_MIN(2400), CFG_MAX(100000000)));
    static const char *const methods[] = {"arduino", "cheetah", "rpi_usb", "command", NULL};
    m->restart_method =
        (enum mcu_restart_method)cfg_getchoice(s, "restart_method", methods, RESTART_ARDUINO);
    if (cfg_failed(cfg_section_file(s)))
        return;
    cfg_check_unused(s);
    m->serial = strdup(serial);
    if (!m->serial)
        abort();
}

static void read_mcus(struct cfg_file *cfg, struct printer_config *pc)
{
    struct cfg_section *main_mcu = cfg_find_section(cfg, "mcu");
    if (!main_mcu) {
        cfg_fail_file(cfg, "missing [mcu] section (the primary micro-controller)");
        return;
    }
    read_mcu(main_mcu, "mcu", &pc->mcus[pc->nmcus++]);
    for (size_t i = 0; i < cfg_section_count(cfg) && !cfg_failed(cfg); i++) {
        struct cfg_section *s = cfg_section_at(cfg, i);
        const char *name = cfg_section_name(s);
        if (strncmp(name, "mcu ", 4) != 0)
            continue;
        while (*name && !isspace((unsigned char)*name))
            name++;
        while (isspace((unsigned char)*name))
            name++;
        if (pc->nmcus == PRINTER_MAX_MCUS) {
            cfg_fail_section(s, "more than %d MCUs", PRINTER_MAX_MCUS);
            return;
        }
        read_mcu(s, name, &pc->mcus[pc->nmcus++]);
    }
}

static void read_printer(struct cfg_file *cfg, struct printer_config *pc)
{
    struct cfg_section *s = cfg_find_section(cfg, "printer");
    if (!s) {
        cfg_fail_file(cfg, "missing [printer] section (kinematics, max_velocity, max_accel)");
        return;
    }
    const char *kin = cfg_getstr_req(s, "kinematics");
    if (!kin)
        return;
    int k = -1;
    for (int i = 0; kinematics_names[i]; i++)
        if (strcmp(kin, kinematics_names[i]) == 0)
            k = i;
    if (k < 0) {
        bool klipper = false;
        for (size_t i = 0; other_kinematics[i]; i++)
            klipper = klipper || strcmp(kin, other_kinematics[i]) == 0;
        cfg_fail_option(s, "kinematics",
                        "expected one of 'cartesian', 'corexy', 'none', got '%s'%s", kin,
                        klipper ? " (a Klipper kinematics this engine does not implement)" : "");
        return;
    }
    pc->kinematics = (enum printer_kinematics)k;
    pc->max_velocity = cfg_getfloat_req(s, "max_velocity", CFG_RANGE(CFG_ABOVE(0)));
    pc->max_accel = cfg_getfloat_req(s, "max_accel", CFG_RANGE(CFG_ABOVE(0)));
    pc->minimum_cruise_ratio = 0.5;
    /* The deprecated way of saying the same, honoured only on its own. */
    if (!cfg_has_option(s, "minimum_cruise_ratio") && cfg_has_option(s, "max_accel_to_decel")) {
        double to_decel = cfg_getfloat(s, "max_accel_to_decel", 0, CFG_RANGE(CFG_ABOVE(0)));
        if (pc->max_accel > 0)
            pc->minimum_cruise_ratio =
                1.0 - (to_decel < pc->max_accel ? to_decel / pc->max_accel : 1.0);
    }
    pc->minimum_cruise_ratio = cfg_getfloat(s, "minimum_cruise_ratio", pc->minimum_cruise_ratio,
                                            CFG_RANGE(CFG_MIN(0), CFG_BELOW(1)));
    pc->square_corner_velocity =
        cfg_getfloat(s, "square_corner_velocity", 5.0, CFG_RANGE(CFG_MIN(0)));
    if (pc->kinematics == KINEMATICS_NONE) {
        pc->max_z_velocity = pc->max_velocity;
        pc->max_z_accel = pc->max_accel;
    } else {
        pc->max_z_velocity = cfg_getfloat(s, "max_z_velocity", pc->max_velocity,
                                          CFG_RANGE(CFG_ABOVE(0), CFG_MAX(pc->max_velocity)));
        pc->max_z_accel = cfg_getfloat(s, "max_z_accel", pc->max_accel,
                                       CFG_RANGE(CFG_ABOVE(0), CFG_MAX(pc->max_accel)));
    }
    if (!cfg_failed(cfg))
        cfg_check_unused(s);
}

static void read_rails(struct cfg_file *cfg, struct printer_config *pc)
{
    for (int i = 0; i < 3 && !cfg_failed(cfg); i++) {
        struct cfg_section *s = cfg_find_section(cfg, rail_sections[i]);
        if (pc->kinematics == KINEMATICS_NONE) {
            if (s)
                cfg_fail_section(s, "there are no axis steppers with kinematics: none");
            continue;
        }
        if (!s) {
            cfg_fail_file(cfg, "missing [%s] section (required for kinematics: %s)",
                          rail_sections[i], kinematics_names[pc->kinematics]);
            return;
        }
        read_rail(s, &pc->rails[i]);
        if (!cfg_failed(cfg))
            cfg_check_unused(s);
        pc->nrails = (size_t)i + 1;
    }
}

static void read_options(struct cfg_file *cfg, struct printer_config *pc)
{
    struct cfg_section *s;
    if (!cfg_failed(cfg) && (s = cfg_find_section(cfg, "extruder")))
        read_extruder(s, pc, &pc->extruder);
    if (!cfg_failed(cfg) && (s = cfg_find_section(cfg, "heater_bed")))
        read_heater_bed(s, &pc->heater_bed);
    if (!cfg_failed(cfg) && (s = cfg_find_section(cfg, "fan")))
        read_fan(s, &pc->fan);
    if (!cfg_failed(cfg) && (s = cfg_find_section(cfg, "force_move")))
        read_force_move(s, &pc->enable_force_move);
    if (!cfg_failed(cfg) && (s = cfg_find_section(cfg, "homing_override")))
        read_homing_override(s, &pc->homing_override);
    if (!cfg_failed(cfg) && (s = cfg_find_section(cfg, "safe_z_home")))
        read_safe_z_home(s, &pc->safe_z_home);
    if (!cfg_failed(cfg) && pc->homing_override.present && pc->safe_z_home.present)
        cfg_fail_section(cfg_find_section(cfg, "safe_z_home"),
                         "homing_override and safe_z_home cannot be used together");
}

struct text {
    char *buf;
    size_t len, cap;
};

static void appendf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if (t->len + (size_t)n + 1 > t->cap) {
        t->cap = (t->len + (size_t)n + 1) * 2;
        t->buf = realloc(t->buf, t->cap);
        if (!t->buf)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

static char *collect_warnings(const struct cfg_file *cfg)
{
    struct text t = {0};
    size_t ignored = 0;
    for (size_t i = 0; i < cfg_section_count(cfg); i++) {
        const struct cfg_section *s = cfg_section_at(cfg, i);
        const char *name = cfg_section_name(s);
        if (implemented(name))
            continue;
        appendf(&t, "%s[%s] (%s:%d%s)",
                ignored++ ? ", " : "ignored sections not implemented: ", name, cfg_section_path(s),
                cfg_section_line(s), klipper_knows_section(name) ? "" : ", not a Klipper section");
    }
    for (size_t i = 0; i < cfg_warning_count(cfg); i++)
        appendf(&t, "%s%s", t.len ? "; " : "", cfg_warning(cfg, i));
    return t.buf;
}

static int build(struct cfg_file *cfg, const struct printer_config_opts *opts,
                 struct printer_config *out, char *err, size_t errlen)
{
    if (!cfg)
        return -1;
    for (size_t i = 0; opts && i < opts->npins; i++)
        cfg_set_pin_names(cfg, opts->pins[i].mcu, opts->pins[i].names, opts->pins[i].count);

    struct printer_config pc;
    memset(&pc, 0, sizeof(pc));
    read_mcus(cfg, &pc);
    if (!cfg_failed(cfg))
        read_printer(cfg, &pc);
    if (!cfg_failed(cfg))
        read_rails(cfg, &pc);
    read_options(cfg, &pc);
    if (cfg_failed(cfg)) {
        if (err && errlen)
            snprintf(err, errlen, "%s", cfg_error(cfg));
        printer_config_free(&pc);
        cfg_free(cfg);
        return -1;
    }
    pc.warnings = collect_warnings(cfg);
    cfg_free(cfg);
    *out = pc;
    return 0;
}

int printer_config_load(const char *path, const struct printer_config_opts *opts,
                        struct printer_config *out, char *err, size_t errlen)
{
    return build(cfg_load(path, err, errlen), opts, out, err, errlen);
}

int printer_config_load_string(const char *text, const char *name,
                               const struct printer_config_opts *opts, struct printer_config *out,
                               char *err, size_t errlen)
{
    return build(cfg_load_string(text, name, err, errlen), opts, out, err, errlen);
}

void printer_config_free(struct printer_config *pc)
{
    if (!pc)
        return;
    for (size_t i = 0; i < pc->nmcus; i++)
        free(pc->mcus[i].serial);
    free(pc->homing_override.gcode);
    free(pc->warnings);
    memset(pc, 0, sizeof(*pc));
}

const struct mcu_config *printer_config_mcu(const struct printer_config *pc, const char *name)
{
    for (size_t i = 0; i < pc->nmcus; i++)
        if (strcmp(pc->mcus[i].name, name) == 0)
            return &pc->mcus[i];
    return NULL;
}
