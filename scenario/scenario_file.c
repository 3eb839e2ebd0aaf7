/* The scenario file format (docs/scenarios.md): "key: value" lines, '#'
 * comments, a G-code block of indented lines after "gcode:", and
 * "expect:" lines, each of which must parse in full. */
#include "scenario_file.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parse {
    struct scenario *s;
    unsigned line;
    char *err;
    size_t errlen;
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
    int n = snprintf(p->err, p->errlen, "%s:%u: ", p->s->path, p->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->errlen)
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static char *trim(char *t)
{
    while (isspace((unsigned char)*t))
        t++;
    size_t n = strlen(t);
    while (n && isspace((unsigned char)t[n - 1]))
        t[--n] = 0;
    return t;
}

/* The next blank-separated word of *t (moved past it), or NULL. */
static char *word(char **t)
{
    char *w = *t;
    while (isspace((unsigned char)*w))
        w++;
    if (!*w)
        return NULL;
    char *e = w;
    while (*e && !isspace((unsigned char)*e))
        e++;
    if (*e)
        *e++ = 0;
    *t = e;
    return w;
}

static int number(struct parse *p, const char *what, const char *w, double *out)
{
    char *end;
    errno = 0;
    double v = w ? strtod(w, &end) : 0;
    if (!w || !*w || *end || errno || !isfinite(v))
        return fail(p, "%s: expected a number, got '%s'", what, w ? w : "nothing");
    *out = v;
    return 0;
}

static int whole(struct parse *p, const char *what, const char *w, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = w ? strtoll(w, &end, 10) : 0;
    if (!w || !*w || *end || errno || v < 0)
        return fail(p, "%s: expected a whole number 0 or more, got '%s'", what, w ? w : "nothing");
    *out = v;
    return 0;
}

static int copy(struct parse *p, char *dst, size_t cap, const char *what, const char *src)
{
    if (!*src)
        return fail(p, "%s: expected a value", what);
    if (strlen(src) >= cap)
        return fail(p, "%s: longer than %zu characters", what, cap - 1);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

/* "by T" at the end of text, cut off; time < 0 if absent. */
static int cut_deadline(struct parse *p, char *text, double *time)
{
    *time = -1;
    if (!strncmp(text, "by ", 3)) {
        char *end;
        strtod(text + 3, &end);
        if (end != text + 3 && !*trim(end))
            return fail(p, "expect shutdown: expected a value (the reason) before 'by'");
    }
    char *by = strstr(text, " by ");
    char *last = NULL;
    while (by) {
        last = by;
        by = strstr(by + 1, " by ");
    }
    if (!last)
        return 0;
    char *end;
    double t = strtod(last + 4, &end);
    if (end == last + 4 || *trim(end))
        return 0; /* " by " inside the text itself */
    if (t < 0)
        return fail(p, "expect: the deadline after 'by' must be 0 s or more");
    *last = 0;
    *time = t;
    return 0;
}

static const char expect_help[] =
    "position X=MM [Y=MM] [Z=MM], reach HEATER C by S, hold HEATER C BAND from S, "
    "shutdown REASON [by S], answer LINE TEXT, error TEXT, step-late TICKS, "
    "lost STEPPER MICROSTEPS or lost none";

static int parse_expect(struct parse *p, char *v)
{
    struct scenario *s = p->s;
    if (s->nexpect == SCN_MAX_EXPECT)
        return fail(p, "expect: at most %d expectations", SCN_MAX_EXPECT);
    struct scn_expect *x = &s->expect[s->nexpect];
    memset(x, 0, sizeof(*x));
    x->line = p->line;
    x->time = -1;
    char *kind = word(&v);
    if (!kind)
        return fail(p, "expect: expected one of: %s", expect_help);
    char *w;
    if (!strcmp(kind, "position")) {
        x->kind = SCN_POSITION;
        while ((w = word(&v))) {
            const char *axes = "XYZ", *a = strchr(axes, toupper((unsigned char)w[0]));
            if (!a || !*a || w[1] != '=')
                return fail(p, "expect position: expected X=MM, Y=MM or Z=MM, got '%s'", w);
            int i = (int)(a - axes);
            if (number(p, "expect position", w + 2, &x->pos[i]))
                return -1;
            x->has_pos |= 1u << i;
        }
        if (!x->has_pos)
            return fail(p, "expect position: expected X=MM, Y=MM or Z=MM");
    } else if (!strcmp(kind, "reach") || !strcmp(kind, "hold")) {
        bool reach = !strcmp(kind, "reach");
        x->kind = reach ? SCN_REACH : SCN_HOLD;
        char *name = word(&v);
        if (!name)
            return fail(p, "expect %s: expected a heater name", kind);
        if (copy(p, x->name, sizeof(x->name), "expect: heater", name) ||
            number(p, "expect: temperature", word(&v), &x->value))
            return -1;
        if (!reach && number(p, "expect hold: band", word(&v), &x->band))
            return -1;
        w = word(&v);
        if (!w || strcmp(w, reach ? "by" : "from"))
            return fail(p, "expect %s: expected '%s S' after the temperature", kind,
                        reach ? "by" : "from");
        if (number(p, "expect: time", word(&v), &x->time))
            return -1;
    } else if (!strcmp(kind, "shutdown")) {
        x->kind = SCN_SHUTDOWN;
        v = trim(v);
        if (cut_deadline(p, v, &x->time) ||
            copy(p, x->text, sizeof(x->text), "expect shutdown", trim(v)))
            return -1;
    } else if (!strcmp(kind, "answer")) {
        x->kind = SCN_ANSWER;
        int64_t n = 0;
        if (whole(p, "expect answer: G-code line", word(&v), &n))
            return -1;
        if (n < 1)
            return fail(p, "expect answer: G-code lines are numbered from 1");
        x->gcode_line = (unsigned long)n;
        if (copy(p, x->text, sizeof(x->text), "expect answer", trim(v)))
            return -1;
    } else if (!strcmp(kind, "error")) {
        x->kind = SCN_ERROR;
        if (copy(p, x->text, sizeof(x->text), "expect error", trim(v)))
            return -1;
    } else if (!strcmp(kind, "step-late")) {
        x->kind = SCN_STEP_LATE;
        if (whole(p, "expect step-late: ticks", word(&v), &x->count))
            return -1;
    } else if (!strcmp(kind, "lost")) {
        x->kind = SCN_LOST;
        char *name = word(&v);
        if (!name)
            return fail(p, "expect lost: expected a stepper and microsteps, or 'none'");
        if (strcmp(name, "none")) {
            if (copy(p, x->name, sizeof(x->name), "expect lost: stepper", name) ||
                whole(p, "expect lost: microsteps", word(&v), &x->count))
                return -1;
        }
    } else {
        return fail(p, "expect: unknown kind '%s'; expected one of: %s", kind, expect_help);
    }
    if (x->kind != SCN_SHUTDOWN && x->kind != SCN_ANSWER && x->kind != SCN_ERROR && (w = word(&v)))
        return fail(p, "expect %s: unexpected '%s' at the end", kind, w);
    s->nexpect++;
    return 0;
}

static int append(struct parse *p, char **buf, size_t *len, const char *text)
{
    size_t n = strlen(text);
    char *b = realloc(*buf, *len + n + 2);
    if (!b)
        return fail(p, "out of memory");
    memcpy(b + *len, text, n);
    b[*len + n] = '\n';
    b[*len + n + 1] = 0;
    *buf = b;
    *len += n + 1;
    return 0;
}

static int read_gcode_file(struct parse *p, const char *dir, const char *name)
{
    char path[2048];
    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(p, "gcode: cannot read '%s': %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, len = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, f)) >= 0) {
        line[strcspn(line, "\r\n")] = 0;
        rc = append(p, &p->s->gcode, &len, line);
    }
    free(line);
    fclose(f);
    return rc;
}

static int parse_lines(struct parse *p, FILE *f, const char *dir)
{
    struct scenario *s = p->s;
    char *raw = NULL;
    size_t cap = 0, glen = 0;
    ssize_t n;
    bool in_block = false, have_gcode = false;
    int rc = 0;
    while (!rc && (n = getline(&raw, &cap, f)) >= 0) {
        p->line++;
        raw[strcspn(raw, "\r\n")] = 0;
        if (in_block && (raw[0] == ' ' || raw[0] == '\t')) {
            if (!s->gcode_first_line)
                s->gcode_first_line = p->line;
            rc = append(p, &s->gcode, &glen, trim(raw));
            continue;
        }
        char *t = trim(raw);
        if (in_block && !*t) {
            rc = append(p, &s->gcode, &glen, "");
            continue;
        }
        in_block = false;
        if (!*t || *t == '#')
            continue;
        char *colon = strchr(t, ':');
        if (!colon) {
            rc = fail(p,
                      "expected 'key: value' (keys: purpose, printer, backend, seed, fault, "
                      "gcode, expect), got '%s'",
                      t);
            break;
        }
        *colon = 0;
        char *key = trim(t), *v = trim(colon + 1);
        if (!strcmp(key, "purpose")) {
            rc = copy(p, s->purpose, sizeof(s->purpose), "purpose", v);
        } else if (!strcmp(key, "printer")) {
            char path[2048];
            snprintf(path, sizeof(path), "%s%s", v[0] == '/' ? "" : dir, v);
            rc = copy(p, s->printer, sizeof(s->printer), "printer", *v ? path : "");
        } else if (!strcmp(key, "backend")) {
            if (strcmp(v, "avr") && strcmp(v, "native"))
                rc = fail(p, "backend: expected avr or native, got '%s'", v);
            else
                snprintf(s->backend, sizeof(s->backend), "%s", v);
        } else if (!strcmp(key, "seed")) {
            int64_t seed = 0;
            rc = whole(p, "seed", v, &seed);
            s->seed = (uint64_t)seed;
        } else if (!strcmp(key, "fault")) {
            if (s->nfaults == SCN_MAX_FAULTS)
                rc = fail(p, "fault: at most %d faults", SCN_MAX_FAULTS);
            else
                rc = copy(p, s->faults[s->nfaults++], sizeof(s->faults[0]), "fault", v);
        } else if (!strcmp(key, "gcode")) {
            if (have_gcode) {
                rc = fail(p, "gcode: given twice");
            } else if (*v) {
                rc = read_gcode_file(p, dir, v);
            } else {
                in_block = true;
                s->gcode = calloc(1, 1);
                if (!s->gcode)
                    rc = fail(p, "out of memory");
            }
            have_gcode = true;
        } else if (!strcmp(key, "expect")) {
            rc = parse_expect(p, v);
        } else {
            rc = fail(p,
                      "unknown key '%s' (keys: purpose, printer, backend, seed, fault, gcode, "
                      "expect)",
                      key);
        }
    }
    free(raw);
    if (!rc && !have_gcode) {
        p->line = 0;
        rc = fail(p, "no G-code: expected 'gcode: FILE' or a 'gcode:' block of indented lines");
    }
    if (!rc && !s->purpose[0]) {
        p->line = 0;
        rc = fail(p, "no 'purpose:' line (say in one line what the scenario is for)");
    }
    return rc;
}

int scenario_load(const char *path, const char *default_printer, struct scenario *s, char *err,
                  size_t errlen)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->path, sizeof(s->path), "%s", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(s->name, sizeof(s->name), "%s", base);
    size_t n = strlen(s->name);
    if (n > 4 && !strcmp(s->name + n - 4, ".scn"))
        s->name[n - 4] = 0;
    snprintf(s->backend, sizeof(s->backend), "avr");
    s->seed = 1;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
    struct parse p = {.s = s, .err = err, .errlen = errlen};
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read scenario '%s': %s", path, strerror(errno));
        return -1;
    }
    int rc = parse_lines(&p, f, dir);
    fclose(f);
    if (!rc && !s->printer[0])
        snprintf(s->printer, sizeof(s->printer), "%s", default_printer);
    if (rc)
        scenario_free(s);
    return rc;
}

void scenario_free(struct scenario *s)
{
    free(s->gcode);
    s->gcode = NULL;
}
