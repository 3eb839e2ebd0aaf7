#include "trace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
    const char *p, *end; /* the rest of the line */
};

struct parser {
    const char *name;
    unsigned long line;
    struct trace *tr;
    uint64_t last_ordered; /* tick of the latest line that must be in order */
    char *err;
    size_t errlen;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
    int n = snprintf(ps->err, ps->errlen, "%s:%lu: ", ps->name, ps->line);
    if (n < 0 || (size_t)n >= ps->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_space(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* The next space-separated word into buf; false at the end of the line
 * or if it does not fit. */
static bool word(struct cursor *c, char *buf, size_t cap)
{
    skip_space(c);
    const char *s = c->p;
    while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
        c->p++;
    size_t n = (size_t)(c->p - s);
    if (!n || n >= cap)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return true;
}

static bool at_end(struct cursor *c)
{
    skip_space(c);
    return c->p == c->end;
}

static int parse_u64(struct parser *ps, struct cursor *c, const char *what, uint64_t max,
                     uint64_t *out)
{
    char buf[32];
    if (!word(c, buf, sizeof(buf)))
        return fail(ps, "expected %s (a whole number)", what);
    char *e;
    errno = 0;
    unsigned long long v = strtoull(buf, &e, 10);
    if (*e || buf[0] == '-' || buf[0] == '+' || errno || v > max)
        return fail(ps, "expected %s (a whole number up to %llu), got '%s'", what,
                    (unsigned long long)max, buf);
    *out = v;
    return 0;
}

static int parse_double(struct parser *ps, struct cursor *c, const char *what, double lo, double hi,
                        double *out)
{
    char buf[48];
    if (!word(c, buf, sizeof(buf)))
        return fail(ps, "expected %s (a number)", what);
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (*e || errno || !isfinite(v) || v < lo || v > hi)
        return fail(ps, "expected %s (a number from %g to %g), got '%s'", what, lo, hi, buf);
    *out = v;
    return 0;
}

static int keyword(struct parser *ps, struct cursor *c, const char *kw)
{
    char buf[32];
    if (!word(c, buf, sizeof(buf)) || strcmp(buf, kw))
        return fail(ps, "expected '%s'", kw);
    return 0;
}

static int line_end(struct parser *ps, struct cursor *c)
{
    if (!at_end(c))
        return fail(ps, "unexpected '%.*s' at the end of the line", (int)(c->end - c->p), c->p);
    return 0;
}

static int find_stepper(const struct trace *tr, const char *name)
{
    for (size_t i = 0; i < tr->nsteppers; i++)
        if (!strcmp(tr->steppers[i].name, name))
            return (int)i;
    return -1;
}

static int find_heater(const struct trace *tr, const char *name)
{
    for (size_t i = 0; i < tr->nheaters; i++)
        if (!strcmp(tr->heaters[i].name, name))
            return (int)i;
    return -1;
}

/* Header comments name the run: "# scenario NAME", "# config PATH",
 * "# gcode PATH", "# hash H", or several at once, comma-separated
 * ("# backend avr, board ramps14, seed 1, config examples/printer-ramps.cfg"). */
static void comment_item(struct trace *tr, const char *s, size_t n)
{
    static const struct {
        const char *key;
        size_t off, cap;
    } keys[] = {
        {"scenario ", offsetof(struct trace, scenario), sizeof(tr->scenario)},
        {"config ", offsetof(struct trace, config), sizeof(tr->config)},
        {"gcode ", offsetof(struct trace, gcode), sizeof(tr->gcode)},
        {"hash ", offsetof(struct trace, hash), sizeof(tr->hash)},
    };
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        size_t m = strlen(keys[k].key);
        if (n > m && !memcmp(s, keys[k].key, m))
            snprintf((char *)tr + keys[k].off, keys[k].cap, "%.*s", (int)(n - m), s + m);
    }
}

static void comment(struct parser *ps, struct cursor *c)
{
    const char *p = c->p;
    while (p < c->end) {
        const char *comma = memchr(p, ',', (size_t)(c->end - p));
        const char *e = comma ? comma : c->end;
        comment_item(ps->tr, p, (size_t)(e - p));
        p = comma ? comma + 1 : c->end;
    }
}

static int declare_stepper(struct parser *ps, struct cursor *c)
{
    struct trace *tr = ps->tr;
    char name[TRACE_NAME], rail[8];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "expected a stepper name (up to %d characters)", TRACE_NAME - 1);
    if (find_stepper(tr, name) >= 0)
        return fail(ps, "stepper '%s' is declared twice", name);
    if (tr->nsteppers == TRACE_MAX_STEPPERS)
        return fail(ps, "more than %d steppers", TRACE_MAX_STEPPERS);
    struct trace_stepper *s = &tr->steppers[tr->nsteppers];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    if (keyword(ps, c, "rail"))
        return -1;
    static const char *const rails[TRACE_RAIL_COUNT] = {"x", "y", "z", "e"};
    s->rail = -1;
    if (word(c, rail, sizeof(rail)))
        for (int i = 0; i < TRACE_RAIL_COUNT; i++)
            if (!strcmp(rail, rails[i]))
                s->rail = i;
    if (s->rail < 0)
        return fail(ps, "stepper '%s': expected rail x, y, z or e", name);
    if (keyword(ps, c, "mm_per_step") ||
        parse_double(ps, c, "mm_per_step", 1e-9, 1e3, &s->mm_per_step) || keyword(ps, c, "start") ||
        parse_double(ps, c, "start", -1e6, 1e6, &s->start_mm) || line_end(ps, c))
        return -1;
    tr->nsteppers++;
    return 0;
}

static int declare_heater(struct parser *ps, struct cursor *c)
{
    struct trace *tr = ps->tr;
    char name[TRACE_NAME];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "expected a heater name (up to %d characters)", TRACE_NAME - 1);
    if (find_heater(tr, name) >= 0)
        return fail(ps, "heater '%s' is declared twice", name);
    if (!strcmp(name, "fan"))
        return fail(ps, "a heater may not be called 'fan' (duty lines name the part fan so)");
    if (tr->nheaters == TRACE_MAX_HEATERS)
        return fail(ps, "more than %d heaters", TRACE_MAX_HEATERS);
    if (line_end(ps, c))
        return -1;
    struct trace_heater *h = &tr->heaters[tr->nheaters++];
    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", name);
    return 0;
}

static int step_run(struct parser *ps, struct cursor *c, uint64_t tick)
{
    char name[TRACE_NAME], dir[4];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "expected a stepper name");
    int si = find_stepper(ps->tr, name);
    if (si < 0)
        return fail(ps,
                    "stepper '%s' was not declared (expected a 'stepper %s rail ...' line "
                    "first)",
                    name, name);
    struct trace_stepper *s = &ps->tr->steppers[si];
    if (!word(c, dir, sizeof(dir)) || (strcmp(dir, "+") && strcmp(dir, "-")))
        return fail(ps, "step: expected a direction + or -");
    uint64_t interval, count;
    if (parse_u64(ps, c, "the interval", UINT32_MAX, &interval) ||
        parse_u64(ps, c, "the count", UINT32_MAX, &count))
        return -1;
    char addw[24];
    if (!word(c, addw, sizeof(addw)))
        return fail(ps, "step: expected add (a whole number)");
    char *e;
    errno = 0;
    long long add = strtoll(addw, &e, 10);
    if (*e || errno || add < INT32_MIN || add > INT32_MAX)
        return fail(ps, "step: expected add (a whole number within 32 bits), got '%s'", addw);
    if (line_end(ps, c))
        return -1;
    if (!count)
        return fail(ps, "step: a run has at least one edge (count 0)");
    /* The spacing after edge k is interval + k * add: it is smallest at
     * one end of the run. A pin cannot rise twice in one tick. */
    if (count >= 2) {
        double last_gap = (double)interval + (double)add * (double)(count - 2);
        if (add < 0 && last_gap < 0.0)
            return fail(ps, "step: the interval %llu falls below 0 within %llu edges (add %lld)",
                        (unsigned long long)interval, (unsigned long long)count, add);
        if (interval == 0 || last_gap < 1.0)
            return fail(ps, "step: two edges at one tick (interval %llu, add %lld, %llu edges)",
                        (unsigned long long)interval, add, (unsigned long long)count);
    }
    double span = (double)interval * (double)(count - 1) +
                  (double)add * (double)(count - 1) * (double)(count - 2) / 2.0;
    if ((double)tick + span > 4.0e18)
        return fail(ps, "step: the run ends beyond the range of ticks");
    if (s->nruns == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct trace_run *r = realloc(s->runs, cap * sizeof(*r));
        if (!r)
            return fail(ps, "out of memory");
        s->runs = r;
        s->cap = cap;
    }
    struct trace_run *r = &s->runs[s->nruns++];
    memset(r, 0, sizeof(*r));
    r->tick = tick;
    r->interval = (uint32_t)interval;
    r->count = (uint32_t)count;
    r->add = (int32_t)add;
    r->dir = dir[0] == '+' ? 1 : -1;
    /* Until the runs are sorted, edges_before holds the run's line, so
     * that an overlap found then can name both lines. */
    r->edges_before = ps->line;
    uint64_t last = trace_run_edge_tick(r, count - 1);
    if (last > ps->tr->last_tick)
        ps->tr->last_tick = last;
    return 0;
}

/* The rest of the line into the text pool; its offset in *off. */
static int keep_text(struct parser *ps, struct cursor *c, size_t *off)
{
    struct trace *tr = ps->tr;
    skip_space(c);
    size_t n = (size_t)(c->end - c->p);
    while (n && (c->p[n - 1] == ' ' || c->p[n - 1] == '\t'))
        n--;
    if (!n) {
        *off = 0;
        return 0;
    }
    /* Offset 0 is the shared empty string. */
    size_t need = (tr->text_len ? tr->text_len : 1) + n + 1;
    if (need > tr->text_cap) {
        size_t cap = tr->text_cap ? tr->text_cap : 4096;
        while (cap < need)
            cap *= 2;
        char *t = realloc(tr->text, cap);
        if (!t)
            return fail(ps, "out of memory");
        tr->text = t;
        tr->text_cap = cap;
    }
    if (!tr->text_len)
        tr->text[tr->text_len++] = 0;
    *off = tr->text_len;
    memcpy(tr->text + tr->text_len, c->p, n);
    tr->text[tr->text_len + n] = 0;
    tr->text_len += n + 1;
    return 0;
}

static struct trace_event *new_event(struct parser *ps, uint64_t tick, int kind)
{
    struct trace *tr = ps->tr;
    if (tr->nevents == tr->event_cap) {
        size_t cap = tr->event_cap ? tr->event_cap * 2 : 64;
        struct trace_event *ev = realloc(tr->events, cap * sizeof(*ev));
        if (!ev) {
            fail(ps, "out of memory");
            return NULL;
        }
        tr->events = ev;
        tr->event_cap = cap;
    }
    struct trace_event *ev = &tr->events[tr->nevents];
    memset(ev, 0, sizeof(*ev));
    ev->tick = tick;
    ev->kind = (uint8_t)kind;
    ev->target = NAN;
    return ev;
}

/* An event whose whole content is the rest of the line. */
static int text_event(struct parser *ps, struct cursor *c, uint64_t tick, int kind,
                      const char *expected)
{
    struct trace_event *ev = new_event(ps, tick, kind);
    if (!ev || keep_text(ps, c, &ev->text))
        return -1;
    if (expected && !ev->text)
        return fail(ps, "expected %s", expected);
    ps->tr->nevents++;
    return 0;
}

static int temp_sample(struct parser *ps, struct cursor *c, uint64_t tick)
{
    char name[TRACE_NAME];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "temp: expected a heater name");
    int hi = find_heater(ps->tr, name);
    if (hi < 0)
        return fail(ps, "heater '%s' was not declared (expected a 'heater %s' line first)", name,
                    name);
    double temp, target = NAN;
    if (parse_double(ps, c, "a temperature", -300.0, 2000.0, &temp))
        return -1;
    if (!at_end(c) && (keyword(ps, c, "target") ||
                       parse_double(ps, c, "the target temperature", -300.0, 2000.0, &target)))
        return -1;
    if (line_end(ps, c))
        return -1;
    struct trace_event *ev = new_event(ps, tick, TRACE_TEMP);
    if (!ev)
        return -1;
    ev->who = (int16_t)hi;
    ev->value = temp;
    ev->target = target;
    if (!isnan(target))
        ps->tr->heaters[hi].has_target = true;
    ps->tr->nevents++;
    return 0;
}

static int duty(struct parser *ps, struct cursor *c, uint64_t tick)
{
    char name[TRACE_NAME];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "duty: expected a name");
    int who = TRACE_FAN;
    if (strcmp(name, "fan") && (who = find_heater(ps->tr, name)) < 0)
        return fail(ps, "duty: '%s' is neither a declared heater nor 'fan'", name);
    double value;
    if (parse_double(ps, c, "a duty", 0.0, 1.0, &value) || line_end(ps, c))
        return -1;
    struct trace_event *ev = new_event(ps, tick, TRACE_DUTY);
    if (!ev)
        return -1;
    ev->who = (int16_t)who;
    ev->value = value;
    if (who == TRACE_FAN)
        ps->tr->has_fan = true;
    else
        ps->tr->heaters[who].has_duty = true;
    ps->tr->nevents++;
    return 0;
}

/* enable NAME on|off, endstop NAME open|closed */
static int stepper_state(struct parser *ps, struct cursor *c, uint64_t tick, int kind)
{
    const char *what = kind == TRACE_ENABLE ? "enable" : "endstop";
    const char *yes = kind == TRACE_ENABLE ? "on" : "closed";
    const char *no = kind == TRACE_ENABLE ? "off" : "open";
    char name[TRACE_NAME], state[16];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "%s: expected a name", what);
    int si = find_stepper(ps->tr, name);
    if (si < 0)
        return fail(ps, "%s: stepper '%s' was not declared", what, name);
    if (!word(c, state, sizeof(state)) || (strcmp(state, yes) && strcmp(state, no)))
        return fail(ps, "%s %s: expected %s", what, name,
                    kind == TRACE_ENABLE ? "on or off" : "open or closed");
    if (line_end(ps, c))
        return -1;
    struct trace_event *ev = new_event(ps, tick, kind);
    if (!ev)
        return -1;
    ev->who = (int16_t)si;
    ev->on = !strcmp(state, yes);
    if (kind == TRACE_ENABLE)
        ps->tr->steppers[si].has_enable = true;
    else
        ps->tr->steppers[si].has_endstop = true;
    ps->tr->nevents++;
    return 0;
}

static int gcode_line(struct parser *ps, struct cursor *c, uint64_t tick, int kind)
{
    uint64_t n;
    if (parse_u64(ps, c, "the G-code line number", UINT32_MAX, &n))
        return -1;
    if (kind == TRACE_LINE && line_end(ps, c))
        return -1;
    struct trace_event *ev = new_event(ps, tick, kind);
    if (!ev)
        return -1;
    ev->gcode_line = (uint32_t)n;
    if (kind == TRACE_ANSWER && keep_text(ps, c, &ev->text))
        return -1;
    ps->tr->nevents++;
    return 0;
}

static int timed_line(struct parser *ps, struct cursor *c)
{
    uint64_t tick;
    char kind[16];
    if (!(ps->tr->freq > 0))
        return fail(ps, "a 'freq TICKS_PER_SECOND' line must come before timed lines");
    if (parse_u64(ps, c, "a tick", TRACE_MAX_TICK, &tick))
        return -1;
    if (!word(c, kind, sizeof(kind)))
        return fail(ps, "expected what happened after the tick (step, temp, answer, ...)");
    if (!strcmp(kind, "step"))
        return step_run(ps, c, tick);
    if (tick > ps->tr->last_tick)
        ps->tr->last_tick = tick;
    /* A pin's duty is dated when it settled, which the writer knows only
     * later: it may go back too. */
    if (!strcmp(kind, "duty"))
        return duty(ps, c, tick);
    if (tick < ps->last_ordered)
        return fail(ps,
                    "tick %llu is earlier than the line before (%llu); only step runs and "
                    "duty changes may go back",
                    (unsigned long long)tick, (unsigned long long)ps->last_ordered);
    ps->last_ordered = tick;
    if (!strcmp(kind, "temp"))
        return temp_sample(ps, c, tick);
    if (!strcmp(kind, "enable"))
        return stepper_state(ps, c, tick, TRACE_ENABLE);
    if (!strcmp(kind, "endstop"))
        return stepper_state(ps, c, tick, TRACE_ENDSTOP);
    if (!strcmp(kind, "answer"))
        return gcode_line(ps, c, tick, TRACE_ANSWER);
    if (!strcmp(kind, "line"))
        return gcode_line(ps, c, tick, TRACE_LINE);
    if (!strcmp(kind, "reset")) {
        char what[TRACE_NAME];
        struct cursor look = *c;
        if (!word(&look, what, sizeof(what)) || !at_end(&look))
            return fail(ps, "reset: expected what was reset (mcu)");
        return text_event(ps, c, tick, TRACE_RESET, NULL);
    }
    if (!strcmp(kind, "fault"))
        return text_event(ps, c, tick, TRACE_FAULT, "the fault that acted (docs/twin.md)");
    if (!strcmp(kind, "model-error"))
        return text_event(ps, c, tick, TRACE_MODEL_ERROR, "the part and why (PART: WHY)");
    if (!strcmp(kind, "shutdown"))
        return text_event(ps, c, tick, TRACE_SHUTDOWN, NULL);
    if (!strcmp(kind, "wire"))
        return text_event(ps, c, tick, TRACE_WIRE, "what the wire did (released N bytes)");
    ps->tr->skipped++; /* a newer writer's record: not ours to judge */
    return 0;
}

static int parse_line(struct parser *ps, struct cursor *c)
{
    char kw[32];
    skip_space(c);
    if (c->p == c->end)
        return 0;
    if (*c->p == '#') {
        c->p++;
        comment(ps, c);
        return 0;
    }
    if (*c->p >= '0' && *c->p <= '9')
        return timed_line(ps, c);
    if (!word(c, kw, sizeof(kw)))
        return fail(ps, "expected a tick or a declaration");
    if (!strcmp(kw, "freq")) {
        if (ps->tr->freq > 0)
            return fail(ps, "freq is given twice");
        uint64_t freq;
        if (parse_u64(ps, c, "ticks per second", 1000000000000ull, &freq) || line_end(ps, c))
            return -1;
        if (!freq)
            return fail(ps, "expected ticks per second (1 or more), got 0");
        ps->tr->freq = freq;
        return 0;
    }
    if (!strcmp(kw, "kinematics")) {
        if (ps->tr->kinematics[0])
            return fail(ps, "kinematics is given twice");
        if (!word(c, ps->tr->kinematics, sizeof(ps->tr->kinematics)))
            return fail(ps, "kinematics: expected a name (up to %zu characters)",
                        sizeof(ps->tr->kinematics) - 1);
        return line_end(ps, c);
    }
    if (!strcmp(kw, "stepper"))
        return declare_stepper(ps, c);
    if (!strcmp(kw, "heater"))
        return declare_heater(ps, c);
    return fail(ps, "expected a tick, '#', freq, stepper or heater (or kinematics), got '%s'", kw);
}

static int check_version(struct parser *ps, const char *text, size_t n)
{
    static const char magic[] = "# lockstep trace ";
    size_t m = sizeof(magic) - 1;
    if (n < m || memcmp(text, magic, m))
        return fail(ps, "not a lockstep trace: expected a first line '# lockstep trace %d'",
                    TRACE_FORMAT_VERSION);
    /* The line is not terminated (the text may end right after it), so
     * the digits are read within it. */
    size_t i = m;
    long v = 0;
    while (i < n && text[i] >= '0' && text[i] <= '9' && v < 1000000)
        v = 10 * v + (text[i++] - '0');
    if (i == m || v != TRACE_FORMAT_VERSION)
        return fail(ps,
                    "trace format '%.*s' is not the one this viewer and trace export read "
                    "(version %d)",
                    (int)(n - m), text + m, TRACE_FORMAT_VERSION);
    return 0;
}

/* One line of the file (without its newline). */
static int feed_line(struct parser *ps, const char *p, size_t n)
{
    ps->line++;
    if (memchr(p, 0, n))
        return fail(ps, "a NUL byte: this is not a text trace");
    while (n && p[n - 1] == '\r')
        n--;
    if (ps->line == 1 && check_version(ps, p, n))
        return -1;
    struct cursor c = {p, p + n};
    return parse_line(ps, &c);
}

static int cmp_run(const void *a, const void *b)
{
    const struct trace_run *x = a, *y = b;
    return x->tick < y->tick ? -1 : x->tick > y->tick;
}

/* Runs of one stepper follow each other: sort them (a writer emits a run
 * when it ends, so out of order) and refuse overlapping ones. */
static int finish_steppers(struct parser *ps)
{
    for (size_t i = 0; i < ps->tr->nsteppers; i++) {
        struct trace_stepper *s = &ps->tr->steppers[i];
        if (s->nruns > 1)
            qsort(s->runs, s->nruns, sizeof(*s->runs), cmp_run);
        uint64_t edges = 0, prev_line = 0;
        int64_t steps = 0, prev_last = -1;
        for (size_t k = 0; k < s->nruns; k++) {
            struct trace_run *r = &s->runs[k];
            uint64_t line = r->edges_before;
            if (prev_last >= 0 && r->tick <= (uint64_t)prev_last) {
                snprintf(ps->err, ps->errlen,
                         "%s: stepper '%s': a step run at tick %llu starts before the run "
                         "before it ends (tick %lld); lines %llu and %llu",
                         ps->name, s->name, (unsigned long long)r->tick, (long long)prev_last,
                         (unsigned long long)prev_line, (unsigned long long)line);
                return -1;
            }
            r->edges_before = edges;
            r->steps_before = steps;
            edges += r->count;
            steps += r->dir * (int64_t)r->count;
            prev_last = (int64_t)trace_run_edge_tick(r, r->count - 1);
            prev_line = line;
        }
        s->edges = edges;
    }
    return 0;
}

/* Duty lines may go back in time; the rest is in order. A stable merge
 * sort keeps the file's order among equal ticks, whatever the input. */
static int finish_events(struct parser *ps)
{
    struct trace *tr = ps->tr;
    size_t n = tr->nevents;
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = tr->events[i - 1].tick <= tr->events[i].tick;
    if (sorted)
        return 0;
    struct trace_event *a = tr->events, *tmp = malloc(n * sizeof(*tmp));
    if (!tmp) {
        snprintf(ps->err, ps->errlen, "%s: out of memory", ps->name);
        return -1;
    }
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = mid + width < n ? mid + width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = a[j].tick < a[i].tick ? a[j++] : a[i++];
            while (i < mid)
                tmp[k++] = a[i++];
            while (j < hi)
                tmp[k++] = a[j++];
        }
        memcpy(a, tmp, n * sizeof(*a));
    }
    free(tmp);
    return 0;
}

static struct parser start(struct trace *tr, const char *name, char *err, size_t errlen)
{
    memset(tr, 0, sizeof(*tr));
    if (errlen)
        err[0] = 0;
    return (struct parser){.name = name, .tr = tr, .err = err, .errlen = errlen};
}

static int finish(struct parser *ps)
{
    if (!ps->line) {
        ps->line = 1;
        fail(ps, "not a lockstep trace: expected a first line '# lockstep trace %d'",
             TRACE_FORMAT_VERSION);
    } else if (!(ps->tr->freq > 0)) {
        snprintf(ps->err, ps->errlen, "%s: no 'freq TICKS_PER_SECOND' line", ps->name);
    } else if (!finish_steppers(ps) && !finish_events(ps)) {
        return 0;
    }
    trace_free(ps->tr);
    return -1;
}

int trace_parse(const char *text, size_t len, const char *name, struct trace *tr, char *err,
                size_t errlen)
{
    struct parser ps = start(tr, name, err, errlen);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (feed_line(&ps, p, (size_t)(le - p))) {
            trace_free(tr);
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return finish(&ps);
}

int trace_load(const char *path, struct trace *tr, char *err, size_t errlen)
{
    struct parser ps = start(tr, path, err, errlen);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open the trace '%s': %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&buf, &cap, f)) > 0)
        rc = feed_line(&ps, buf, (size_t)n - (buf[n - 1] == '\n'));
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "cannot read the trace '%s': %s", path, strerror(errno));
        rc = -1;
    }
    free(buf);
    fclose(f);
    if (rc) {
        trace_free(tr);
        return -1;
    }
    return finish(&ps);
}

void trace_free(struct trace *tr)
{
    for (size_t i = 0; i < tr->nsteppers; i++)
        free(tr->steppers[i].runs);
    free(tr->events);
    free(tr->text);
    memset(tr, 0, sizeof(*tr));
}

bool trace_sniff(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    static const char magic[] = "# lockstep trace ";
    char buf[sizeof(magic) - 1];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return n == sizeof(buf) && !memcmp(buf, magic, sizeof(buf));
}

const char *trace_event_text(const struct trace *tr, const struct trace_event *ev)
{
    return ev->text && tr->text ? tr->text + ev->text : "";
}

bool trace_answer_is_shutdown(const char *text)
{
    static const char prefix[] = "!! MCU '";
    return !strncmp(text, prefix, sizeof(prefix) - 1) && strstr(text, "' shutdown: ");
}

uint64_t trace_run_edge_tick(const struct trace_run *r, uint64_t k)
{
    /* The parser bounded the run, so this stays within int64. */
    int64_t k2 = (int64_t)k;
    return r->tick + (uint64_t)(k2 * (int64_t)r->interval + (int64_t)r->add * (k2 * (k2 - 1) / 2));
}
