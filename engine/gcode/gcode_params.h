/* Typed parameter getters with Klipper's messages:
 *
 *   Error on 'G1 X1.2.3': unable to parse 1.2.3
 *   Error on 'M109': missing S
 *   Error on 'M106 S300': S must have maximum of 255.0
 *   Error on 'SET_VELOCITY_LIMIT VELOCITY=0': VELOCITY must be above 0.0
 *   Malformed command 'SET_PIN PIN=fan VALUE'
 *
 * Each returns 0 with the value in *out, or -1 with the message in err
 * (GCODE_ERR_MAX is enough room). Limits are checked on values read from
 * the line, not on a default. Example:
 *
 *   gcode_get_float_or(cmd, "S", 0.0, GCODE_LIMITS(GCODE_MINVAL(0), GCODE_MAXVAL(255)),
 *                      &s, err, sizeof err)
 */
#ifndef LOCKSTEP_GCODE_PARAMS_H
#define LOCKSTEP_GCODE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "gcode_parse.h"

struct gcode_limits {
    bool has_min, has_max, has_above, has_below;
    double min, max, above, below;
};

struct gcode_int_limits {
    bool has_min, has_max;
    long min, max;
};

/* Klipper's minval/maxval (inclusive) and above/below (exclusive). */
#define GCODE_MINVAL(v) .has_min = true, .min = (v)
#define GCODE_MAXVAL(v) .has_max = true, .max = (v)
#define GCODE_ABOVE(v) .has_above = true, .above = (v)
#define GCODE_BELOW(v) .has_below = true, .below = (v)
#define GCODE_LIMITS(...) (&(const struct gcode_limits){__VA_ARGS__})
#define GCODE_INT_LIMITS(...) (&(const struct gcode_int_limits){__VA_ARGS__})

/* "Malformed command '...'" for an extended command whose arguments are
 * not KEY=VALUE words; the dispatcher calls it before a known extended
 * command's handler runs (the getters check it too). */
int gcode_check_args(const struct gcode_command *cmd, char *err, size_t errlen);

/* Text of a parameter that must be present. */
int gcode_get_str(const struct gcode_command *cmd, const char *name, const char **out, char *err,
                  size_t errlen);

/* lim may be NULL. The _or forms give def when the parameter is absent;
 * the others report it missing. */
int gcode_get_float(const struct gcode_command *cmd, const char *name,
                    const struct gcode_limits *lim, double *out, char *err, size_t errlen);
int gcode_get_float_or(const struct gcode_command *cmd, const char *name, double def,
                       const struct gcode_limits *lim, double *out, char *err, size_t errlen);
int gcode_get_int(const struct gcode_command *cmd, const char *name,
                  const struct gcode_int_limits *lim, long *out, char *err, size_t errlen);
int gcode_get_int_or(const struct gcode_command *cmd, const char *name, long def,
                     const struct gcode_int_limits *lim, long *out, char *err, size_t errlen);

#endif
