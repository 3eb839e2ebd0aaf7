#include "twin_fault.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum value_kind { VALUE_NONE, VALUE_CYCLES, VALUE_SCALE, VALUE_SECONDS };

static const struct fault_kind {
    const char *name;
    enum twin_fault_kind kind;
    enum twin_part_kind part;
    enum value_kind value;
    const char *usage;
} kinds[] = {
    {"slip", TWIN_FAULT_SLIP, TWIN_PART_STEPPER, VALUE_CYCLES, "slip:STEPPER:N"},
    {"torque", TWIN_FAULT_TORQUE, TWIN_PART_STEPPER, VALUE_SCALE, "torque:STEPPER:SCALE"},
    {"endstop-open", TWIN_FAULT_ENDSTOP_OPEN, TWIN_PART_RAIL, VALUE_NONE, "endstop-open:RAIL"},
    {"endstop-closed", TWIN_FAULT_ENDSTOP_CLOSED, TWIN_PART_RAIL, VALUE_NONE,
     "endstop-closed:RAIL"},
    {"endstop-ok", TWIN_FAULT_ENDSTOP_OK, TWIN_PART_RAIL, VALUE_NONE, "endstop-ok:RAIL"},
    {"thermistor-open", TWIN_FAULT_THERMISTOR_OPEN, TWIN_PART_HEATER, VALUE_NONE,
     "thermistor-open:HEATER"},
    {"thermistor-short", TWIN_FAULT_THERMISTOR_SHORT, TWIN_PART_HEATER, VALUE_NONE,
     "thermistor-short:HEATER"},
    {"thermistor-detached", TWIN_FAULT_THERMISTOR_DETACHED, TWIN_PART_HEATER, VALUE_NONE,
     "thermistor-detached:HEATER"},
    {"heater-open", TWIN_FAULT_HEATER_OPEN, TWIN_PART_HEATER, VALUE_NONE, "heater-open:HEATER"},
    {"mosfet-stuck-on", TWIN_FAULT_MOSFET_STUCK_ON, TWIN_PART_HEATER, VALUE_NONE,
     "mosfet-stuck-on:HEATER"},
    {"heater-ok", TWIN_FAULT_HEATER_OK, TWIN_PART_HEATER, VALUE_NONE, "heater-ok:HEATER"},
    {"host-stall", TWIN_FAULT_HOST_STALL, TWIN_PART_NONE, VALUE_SECONDS, "host-stall:SECONDS"},
    {"wire-jam", TWIN_FAULT_WIRE_JAM, TWIN_PART_NONE, VALUE_SECONDS, "wire-jam:SECONDS"},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct alias {
    const char *name, *section;
    enum twin_part_kind kind; /* a rail is a stepper too */
} parts[] = {
    {"stepper_x", "stepper_x", TWIN_PART_RAIL},  {"x", "stepper_x", TWIN_PART_RAIL},
    {"stepper_y", "stepper_y", TWIN_PART_RAIL},  {"y", "stepper_y", TWIN_PART_RAIL},
    {"stepper_z", "stepper_z", TWIN_PART_RAIL},  {"z", "stepper_z", TWIN_PART_RAIL},
    {"extruder", "extruder", TWIN_PART_STEPPER}, {"e", "extruder", TWIN_PART_STEPPER},
};
static const struct alias heaters[] = {
    {"extruder", "extruder", TWIN_PART_HEATER},
    {"e", "extruder", TWIN_PART_HEATER},
    {"heater_bed", "heater_bed", TWIN_PART_HEATER},
    {"bed", "heater_bed", TWIN_PART_HEATER},
};

static int fail(char *err, size_t errlen, const char *spec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, const char *spec, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "fault '%s': %s", spec, msg);
    return -1;
}

/* A whole finite number, nothing after it. */
static int read_number(const char *s, double *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static const char *heater_section(const char *name)
{
    for (size_t i = 0; i < sizeof(heaters) / sizeof(heaters[0]); i++)
        if (!strcmp(heaters[i].name, name))
            return heaters[i].section;
    return NULL;
}

static int read_part(const struct fault_kind *k, const char *name, struct twin_fault *f,
                     const char *spec, char *err, size_t errlen)
{
    if (k->part == TWIN_PART_HEATER) {
        const char *s = heater_section(name);
        if (!s)
            return fail(err, errlen, spec,
                        "unknown heater '%s' (expected extruder or heater_bed, or e, bed)", name);
        snprintf(f->part, sizeof(f->part), "%s", s);
        return 0;
    }
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (strcmp(parts[i].name, name))
            continue;
        if (k->part == TWIN_PART_RAIL && parts[i].kind != TWIN_PART_RAIL)
            return fail(err, errlen, spec,
                        "%s has no endstop (expected stepper_x, stepper_y or stepper_z, or x, y, "
                        "z)",
                        parts[i].section);
        snprintf(f->part, sizeof(f->part), "%s", parts[i].section);
        return 0;
    }
    if (k->part == TWIN_PART_RAIL)
        return fail(err, errlen, spec,
                    "unknown rail '%s' (expected stepper_x, stepper_y or stepper_z, or x, y, z)",
                    name);
    return fail(err, errlen, spec,
                "unknown stepper '%s' (expected stepper_x, stepper_y, stepper_z or extruder, or "
                "x, y, z, e)",
                name);
}

static int read_value(const struct fault_kind *k, const char *text, struct twin_fault *f,
                      const char *spec, char *err, size_t errlen)
{
    double v = 0;
    int ok = read_number(text, &v) == 0;
    switch (k->value) {
    case VALUE_CYCLES:
        if (!ok || v < 1 || v > 1000 || v != floor(v))
            return fail(err, errlen, spec,
                        "expected a whole number of electrical cycles from 1 to 1000 after "
                        "'slip:STEPPER:', got '%s'",
                        text);
        break;
    case VALUE_SCALE:
        if (!ok || v < 0 || v > 100)
            return fail(err, errlen, spec,
                        "expected a torque scale from 0 to 100 (1 is healthy) after "
                        "'torque:STEPPER:', got '%s'",
                        text);
        break;
    case VALUE_SECONDS:
        if (!ok || !(v > 0) || v > 3600)
            return fail(err, errlen, spec,
                        "expected seconds above 0, at most 3600, after '%s:', got '%s'", k->name,
                        text);
        break;
    case VALUE_NONE:
        break;
    }
    f->value = v;
    return 0;
}

static int read_when(const char *when, struct twin_fault *f, const char *spec, char *err,
                     size_t errlen)
{
    static const char expected[] =
        "expected t=SECONDS, line=N, HEATER>TEMP or HEATER<TEMP after '@'";
    double v;
    if (!strncmp(when, "t=", 2)) {
        if (read_number(when + 2, &v) || v < 0)
            return fail(err, errlen, spec, "expected t=SECONDS (a number, 0 or more), got '%s'",
                        when);
        f->when = TWIN_WHEN_TIME;
        f->at_time = v;
        return 0;
    }
    if (!strncmp(when, "line=", 5)) {
        if (read_number(when + 5, &v) || v < 1 || v != floor(v) || v > 4e9)
            return fail(err, errlen, spec, "expected line=N (a line number, 1 or more), got '%s'",
                        when);
        f->when = TWIN_WHEN_LINE;
        f->at_line = (unsigned long)v;
        return 0;
    }
    const char *op = strpbrk(when, "<>");
    if (!op)
        return fail(err, errlen, spec, "%s, got '%s'", expected, when);
    char name[TWIN_NAME_MAX];
    size_t n = (size_t)(op - when);
    if (n >= sizeof(name))
        return fail(err, errlen, spec, "%s, got '%s'", expected, when);
    memcpy(name, when, n);
    name[n] = 0;
    const char *section = heater_section(name);
    if (!section)
        return fail(err, errlen, spec,
                    "unknown heater '%s' in the condition (expected extruder or heater_bed, or "
                    "e, bed)",
                    name);
    if (read_number(op + 1, &v))
        return fail(err, errlen, spec, "expected a temperature in C after '%s%c', got '%s'", name,
                    *op, op + 1);
    f->when = *op == '>' ? TWIN_WHEN_ABOVE : TWIN_WHEN_BELOW;
    snprintf(f->watch, sizeof(f->watch), "%s", section);
    f->threshold = v;
    return 0;
}

static const char *kind_names(void)
{
    static char names[256];
    if (!names[0]) {
        size_t len = 0;
        for (size_t i = 0; i < NKINDS; i++)
            len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
                                    kinds[i].name);
    }
    return names;
}

int twin_fault_parse(const char *spec, struct twin_fault *out, char *err, size_t errlen)
{
    struct twin_fault f;
    memset(&f, 0, sizeof(f));
    if (strlen(spec) >= sizeof(f.spec))
        return fail(err, errlen, spec, "longer than %zu characters", sizeof(f.spec) - 1);
    snprintf(f.spec, sizeof(f.spec), "%s", spec);
    char what[sizeof(f.spec)];
    snprintf(what, sizeof(what), "%s", spec);
    char *at = strchr(what, '@');
    if (at)
        *at++ = 0;
    char *colon = strchr(what, ':');
    if (colon)
        *colon++ = 0;
    const struct fault_kind *k = NULL;
    for (size_t i = 0; i < NKINDS && !k; i++)
        if (!strcmp(kinds[i].name, what))
            k = &kinds[i];
    if (!k)
        return fail(err, errlen, spec, "unknown fault '%s' (known: %s)", what, kind_names());
    f.kind = k->kind;
    f.part_kind = k->part;
    /* The arguments after the kind: a part, a value, or both. */
    char *args[2] = {NULL, NULL};
    size_t nargs = 0;
    for (char *p = colon; p && nargs < 2; nargs++) {
        args[nargs] = p;
        p = strchr(p, ':');
        if (p)
            *p++ = 0;
        if (p && nargs == 1)
            return fail(err, errlen, spec, "too many ':' fields; expected %s", k->usage);
    }
    size_t want = (k->part != TWIN_PART_NONE) + (k->value != VALUE_NONE);
    if (nargs != want)
        return fail(err, errlen, spec, "expected %s", k->usage);
    size_t ai = 0;
    if (k->part != TWIN_PART_NONE && read_part(k, args[ai++], &f, spec, err, errlen))
        return -1;
    if (k->value != VALUE_NONE && read_value(k, args[ai], &f, spec, err, errlen))
        return -1;
    if (at && read_when(at, &f, spec, err, errlen))
        return -1;
    *out = f;
    return 0;
}

const char *twin_fault_help(void)
{
    return "  slip:STEPPER:N             the rotor loses N electrical cycles (4 full steps each)\n"
           "  torque:STEPPER:SCALE       the motor gives SCALE x its torque (0..100, 1 healthy)\n"
           "  endstop-open:RAIL          the endstop never triggers (endstop-closed: always;\n"
           "                             endstop-ok: repaired)\n"
           "  thermistor-open:HEATER     also thermistor-short, thermistor-detached\n"
           "  heater-open:HEATER         heater disconnected (mosfet-stuck-on: full power;\n"
           "                             heater-ok: all of the heater's faults repaired)\n"
           "  host-stall:SECONDS         the host sends nothing; only the MCU runs\n"
           "  wire-jam:SECONDS           the host's bytes are held that long, then arrive\n"
           "  ...@t=SECONDS              at a simulated time (default: at once)\n"
           "  ...@line=N                 when the engine starts G-code line N\n"
           "  ...@HEATER>TEMP, @HEATER<TEMP  when that thermistor passes TEMP C\n"
           "  STEPPER: x, y, z, e (or stepper_x ... extruder); RAIL: x, y, z;\n"
           "  HEATER: extruder, heater_bed (or e, bed)\n";
}
