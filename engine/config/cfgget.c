#include "cfg_internal.h"
#include "cfgget.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void fail_option(struct cfg_section *s, const char *option, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_option(struct cfg_section *s, const char *option, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_vfail_option(s, option, fmt, ap);
    va_end(ap);
}

/* The option, marked read, or NULL when absent. Nothing is read once the
 * configuration has failed, so the first error stays the one reported. */
static struct cfg_option *take(struct cfg_section *s, const char *option)
{
    if (s->cfg->failed)
        return NULL;
    struct cfg_option *o = cfg_find_option(s, option);
    if (o)
        o->used = true;
    return o;
}

static void fail_missing(struct cfg_section *s, const char *option)
{
    cfg_fail_at(s->cfg, s->path, s->line, "[%s] option '%s' must be specified", s->name, option);
}

const char *cfg_getstr(struct cfg_section *s, const char *option, const char *def)
{
    struct cfg_option *o = take(s, option);
    return o ? o->value : def;
}

const char *cfg_getstr_req(struct cfg_section *s, const char *option)
{
    struct cfg_option *o = take(s, option);
    if (!o) {
        fail_missing(s, option);
        return NULL;
    }
    return o->value;
}

/* "above 0 and at most 1" */
static void describe_range(const struct cfg_range *r, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!r)
        return;
    size_t n = 0;
    /* Lower bounds first: "above 0 and at most 1". */
    const char *words[4] = {"at least", "above", "at most", "below"};
    const bool has[4] = {r->has_min, r->has_above, r->has_max, r->has_below};
    const double val[4] = {r->min, r->above, r->max, r->below};
    for (int i = 0; i < 4 && n < len; i++) {
        if (!has[i])
            continue;
        n += (size_t)snprintf(buf + n, len - n, "%s%s %.15g", n ? " and " : " ", words[i], val[i]);
    }
}

static bool in_range(double v, const struct cfg_range *r)
{
    if (!r)
        return true;
    return !((r->has_min && v < r->min) || (r->has_max && v > r->max) ||
             (r->has_above && !(v > r->above)) || (r->has_below && !(v < r->below)));
}

/* Decimal only: strtod would also take hex, "inf" and "nan", which no
 * printer.cfg means. */
static bool parse_double(const char *text, double *out)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return false;
    if (strpbrk(text, "xX"))
        return false;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_long(const char *text, long *out)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

bool cfg_getfloat_opt(struct cfg_section *s, const char *option, const struct cfg_range *range,
                      double *out)
{
    struct cfg_option *o = take(s, option);
    if (!o)
        return false;
    char want[160];
    describe_range(range, want, sizeof(want));
    double v;
    if (!parse_double(o->value, &v) || !in_range(v, range)) {
        fail_option(s, option, "expected a number%s, got '%s'", want, o->value);
        return false;
    }
    *out = v;
    return true;
}

double cfg_getfloat(struct cfg_section *s, const char *option, double def,
                    const struct cfg_range *range)
{
    double v = def;
    cfg_getfloat_opt(s, option, range, &v);
    return v;
}

double cfg_getfloat_req(struct cfg_section *s, const char *option, const struct cfg_range *range)
{
    if (!s->cfg->failed && !cfg_find_option(s, option)) {
        fail_missing(s, option);
        return 0;
    }
    return cfg_getfloat(s, option, 0, range);
}

static bool getint_opt(struct cfg_section *s, const char *option, const struct cfg_range *range,
                       long *out)
{
    struct cfg_option *o = take(s, option);
    if (!o)
        return false;
    char want[160];
    describe_range(range, want, sizeof(want));
    long v;
    if (!parse_long(o->value, &v) || !in_range((double)v, range)) {
        fail_option(s, option, "expected an integer%s, got '%s'", want, o->value);
        return false;
    }
    *out = v;
    return true;
}

long cfg_getint(struct cfg_section *s, const char *option, long def, const struct cfg_range *range)
{
    long v = def;
    getint_opt(s, option, range, &v);
    return v;
}

long cfg_getint_req(struct cfg_section *s, const char *option, const struct cfg_range *range)
{
    if (!s->cfg->failed && !cfg_find_option(s, option)) {
        fail_missing(s, option);
        return 0;
    }
    return cfg_getint(s, option, 0, range);
}

bool cfg_getbool_opt(struct cfg_section *s, const char *option, bool *out)
{
    struct cfg_option *o = take(s, option);
    if (!o)
        return false;
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(o->value, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(o->value, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    fail_option(s, option, "expected a boolean (true/false, yes/no, on/off, 1/0), got '%s'",
                o->value);
    return false;
}

bool cfg_getbool(struct cfg_section *s, const char *option, bool def)
{
    bool v = def;
    cfg_getbool_opt(s, option, &v);
    return v;
}

int cfg_getchoice(struct cfg_section *s, const char *option, const char *const *choices, int def)
{
    if (!s->cfg->failed && def < 0 && !cfg_find_option(s, option)) {
        fail_missing(s, option);
        return def;
    }
    struct cfg_option *o = take(s, option);
    if (!o)
        return def;
    for (int i = 0; choices[i]; i++)
        if (strcmp(o->value, choices[i]) == 0)
            return i;
    char list[1024];
    size_t n = 0;
    for (int i = 0; choices[i] && n < sizeof(list); i++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s'%s'", i ? ", " : "", choices[i]);
    fail_option(s, option, "expected one of %s, got '%s'", list, o->value);
    return def;
}

static size_t getfloatlist(struct cfg_section *s, const char *option, char sep, double *out,
                           size_t max, size_t count, bool required)
{
    if (!s->cfg->failed && required && !cfg_find_option(s, option)) {
        fail_missing(s, option);
        return 0;
    }
    struct cfg_option *o = take(s, option);
    if (!o)
        return 0;
    size_t limit = count ? count : max;
    char want[96];
    if (count)
        snprintf(want, sizeof(want), "%zu number%s separated by '%c'", count, count > 1 ? "s" : "",
                 sep);
    else
        snprintf(want, sizeof(want), "1 to %zu numbers separated by '%c'", max, sep);

    char *copy = cfg_xstrdup(o->value);
    size_t n = 0;
    bool ok = true;
    for (char *item = copy; item && ok;) {
        char *next = strchr(item, sep);
        if (next)
            *next++ = '\0';
        while (isspace((unsigned char)*item))
            item++;
        size_t len = strlen(item);
        while (len && isspace((unsigned char)item[len - 1]))
            item[--len] = '\0';
        if (*item) { /* "1, 2," has two items, as Klipper reads it */
            double v;
            if (n == limit || !parse_double(item, &v))
                ok = false;
            else
                out[n++] = v;
        }
        item = next;
    }
    free(copy);
    if (!ok || n == 0 || (count && n != count)) {
        fail_option(s, option, "expected %s, got '%s'", want, o->value);
        return 0;
    }
    return n;
}

size_t cfg_getfloatlist(struct cfg_section *s, const char *option, char sep, double *out,
                        size_t max, size_t count)
{
    return getfloatlist(s, option, sep, out, max, count, false);
}

size_t cfg_getfloatlist_req(struct cfg_section *s, const char *option, char sep, double *out,
                            size_t max, size_t count)
{
    return getfloatlist(s, option, sep, out, max, count, true);
}
