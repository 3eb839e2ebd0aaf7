/* Typed access to options, as Klipper's config getters have it: a default
 * or "required", and for numbers minval/maxval/above/below limits. Reading
 * an option marks it used (see cfg_check_unused). Defaults are not checked
 * against the limits.
 *
 * On a bad value the getter records an error in the cfg_file (sticky, see
 * cfgfile.h) naming FILE:LINE, [section] and option, what was expected and
 * what was found, and returns the default (0 / NULL for required ones). */
#ifndef LOCKSTEP_CONFIG_CFGGET_H
#define LOCKSTEP_CONFIG_CFGGET_H

#include <stdbool.h>
#include <stddef.h>

#include "cfgfile.h"

struct cfg_range {
    bool has_min, has_max, has_above, has_below;
    double min, max, above, below; /* value >= min, <= max, > above, < below */
};

/* cfg_getfloat(s, "max_power", 1.0, CFG_RANGE(CFG_ABOVE(0), CFG_MAX(1))) */
#define CFG_MIN(v) .has_min = true, .min = (v)
#define CFG_MAX(v) .has_max = true, .max = (v)
#define CFG_ABOVE(v) .has_above = true, .above = (v)
#define CFG_BELOW(v) .has_below = true, .below = (v)
#define CFG_RANGE(...) (&(const struct cfg_range){__VA_ARGS__})

/* Strings: the value as written (multi-line values joined with '\n').
 * cfg_getstr returns def (which may be NULL) when the option is absent.
 * The pointer lives as long as the cfg_file. */
const char *cfg_getstr(struct cfg_section *s, const char *option, const char *def);
const char *cfg_getstr_req(struct cfg_section *s, const char *option);

/* Numbers (decimal, finite; range may be NULL). */
double cfg_getfloat(struct cfg_section *s, const char *option, double def,
                    const struct cfg_range *range);
double cfg_getfloat_req(struct cfg_section *s, const char *option, const struct cfg_range *range);
/* Returns true with *out set when the option is present and valid. */
bool cfg_getfloat_opt(struct cfg_section *s, const char *option, const struct cfg_range *range,
                      double *out);

long cfg_getint(struct cfg_section *s, const char *option, long def, const struct cfg_range *range);
long cfg_getint_req(struct cfg_section *s, const char *option, const struct cfg_range *range);

/* true/false, yes/no, on/off, 1/0 (any case). */
bool cfg_getbool(struct cfg_section *s, const char *option, bool def);
bool cfg_getbool_opt(struct cfg_section *s, const char *option, bool *out);

/* Index of the value in choices (a NULL-terminated list, compared exactly);
 * def < 0 makes the option required. */
int cfg_getchoice(struct cfg_section *s, const char *option, const char *const *choices, int def);

/* A list of numbers separated by sep (',' in Klipper's lists). With count
 * > 0 exactly that many are expected, else 1..max. Returns how many were
 * read (0 when absent or bad). */
size_t cfg_getfloatlist(struct cfg_section *s, const char *option, char sep, double *out,
                        size_t max, size_t count);
size_t cfg_getfloatlist_req(struct cfg_section *s, const char *option, char sep, double *out,
                            size_t max, size_t count);

#endif
