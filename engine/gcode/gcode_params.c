#include "gcode_params.h"

#include "errmsg.h"
#include "gcode_number.h"

int gcode_check_args(const struct gcode_command *cmd, char *err, size_t errlen)
{
    if (!cmd->malformed_args)
        return 0;
    seterr(err, errlen, "Malformed command '%s'", cmd->line);
    return -1;
}

/* The value of a parameter, NULL when absent (and then, if required, the
 * message). Fails on malformed arguments as Klipper's extended handlers
 * would have before reading any. */
static int lookup(const struct gcode_command *cmd, const char *name, bool required,
                  const char **value, char *err, size_t errlen)
{
    if (gcode_check_args(cmd, err, errlen) < 0)
        return -1;
    *value = gcode_param_value(cmd, name);
    if (!*value && required) {
        seterr(err, errlen, "Error on '%s': missing %s", cmd->line, name);
        return -1;
    }
    return 0;
}

int gcode_get_str(const struct gcode_command *cmd, const char *name, const char **out, char *err,
                  size_t errlen)
{
    return lookup(cmd, name, true, out, err, errlen);
}

static int limit_error(const struct gcode_command *cmd, const char *name, const char *what,
                       double limit, char *err, size_t errlen)
{
    char number[32];
    gcode_format_float(limit, number, sizeof number);
    seterr(err, errlen, "Error on '%s': %s %s %s", cmd->line, name, what, number);
    return -1;
}

static int get_float(const struct gcode_command *cmd, const char *name, bool required, double def,
                     const struct gcode_limits *lim, double *out, char *err, size_t errlen)
{
    const char *text;
    if (lookup(cmd, name, required, &text, err, errlen) < 0)
        return -1;
    if (!text) {
        *out = def;
        return 0;
    }
    double v;
    if (!gcode_parse_float(text, &v)) {
        seterr(err, errlen, "Error on '%s': unable to parse %s", cmd->line, text);
        return -1;
    }
    if (lim) {
        if (lim->has_min && v < lim->min)
            return limit_error(cmd, name, "must have minimum of", lim->min, err, errlen);
        if (lim->has_max && v > lim->max)
            return limit_error(cmd, name, "must have maximum of", lim->max, err, errlen);
        if (lim->has_above && v <= lim->above)
            return limit_error(cmd, name, "must be above", lim->above, err, errlen);
        if (lim->has_below && v >= lim->below)
            return limit_error(cmd, name, "must be below", lim->below, err, errlen);
    }
    *out = v;
    return 0;
}

int gcode_get_float(const struct gcode_command *cmd, const char *name,
                    const struct gcode_limits *lim, double *out, char *err, size_t errlen)
{
    return get_float(cmd, name, true, 0.0, lim, out, err, errlen);
}

int gcode_get_float_or(const struct gcode_command *cmd, const char *name, double def,
                       const struct gcode_limits *lim, double *out, char *err, size_t errlen)
{
    return get_float(cmd, name, false, def, lim, out, err, errlen);
}

static int get_int(const struct gcode_command *cmd, const char *name, bool required, long def,
                   const struct gcode_int_limits *lim, long *out, char *err, size_t errlen)
{
    const char *text;
    if (lookup(cmd, name, required, &text, err, errlen) < 0)
        return -1;
    if (!text) {
        *out = def;
        return 0;
    }
    long v;
    if (!gcode_parse_int(text, &v)) {
        seterr(err, errlen, "Error on '%s': unable to parse %s", cmd->line, text);
        return -1;
    }
    if (lim && lim->has_min && v < lim->min) {
        seterr(err, errlen, "Error on '%s': %s must have minimum of %ld", cmd->line, name,
               lim->min);
        return -1;
    }
    if (lim && lim->has_max && v > lim->max) {
        seterr(err, errlen, "Error on '%s': %s must have maximum of %ld", cmd->line, name,
               lim->max);
        return -1;
    }
    *out = v;
    return 0;
}

int gcode_get_int(const struct gcode_command *cmd, const char *name,
                  const struct gcode_int_limits *lim, long *out, char *err, size_t errlen)
{
    return get_int(cmd, name, true, 0, lim, out, err, errlen);
}

int gcode_get_int_or(const struct gcode_command *cmd, const char *name, long def,
                     const struct gcode_int_limits *lim, long *out, char *err, size_t errlen)
{
    return get_int(cmd, name, false, def, lim, out, err, errlen);
}
