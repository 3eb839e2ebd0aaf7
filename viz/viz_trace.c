#include "viz_trace.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_VERSION 2
#define MAX_TRACE_BYTES ((size_t)1 << 31)

struct cursor {
    const char *p, *end; /* the rest of the line */
};

struct parser {
    const char *name;
    unsigned long line;
    struct viz_trace *tr;
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

static struct viz_stepper *find_stepper(struct viz_trace *tr, const char *name)
{
    for (size_t i = 0; i < tr->nsteppers; i++)
        if (!strcmp(tr->steppers[i].name, name))
            return &tr->steppers[i];
    return NULL;
}

static struct viz_heater *find_heater(struct viz_trace *tr, const char *name)
{
    for (size_t i = 0; i < tr->nheaters; i++)
        if (!strcmp(tr->heaters[i].name, name))
            return &tr->heaters[i];
    return NULL;
}

static int need_freq(struct parser *ps)
{
    if (!(ps->tr->freq > 0.0))
        return fail(ps, "a 'freq TICKS_PER_SECOND' line must come before timed lines");
    return 0;
}

/* Header comments name the run: "# scenario NAME", "# config PATH",
 * "# gcode PATH", or several at once, comma-separated ("# backend avr,
 * board ramps14, seed 1, config examples/printer-ramps.cfg"). */
static void header_item(struct viz_trace *tr, const char *s, size_t n)
{
    static const struct {
        const char *key;
        size_t off, cap;
    } keys[] = {
        {"scenario ", offsetof(struct viz_trace, scenario), sizeof(tr->scenario)},
        {"config ", offsetof(struct viz_trace, config), sizeof(tr->config)},
        {"gcode ", offsetof(struct viz_trace, gcode), sizeof(tr->gcode)},
    };
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        size_t m = strlen(keys[k].key);
        if (n > m && !memcmp(s, keys[k].key, m))
            snprintf((char *)tr + keys[k].off, keys[k].cap, "%.*s", (int)(n - m), s + m);
    }
}

static void header(struct parser *ps, struct cursor *c)
{
    const char *p = c->p;
    while (p < c->end) {
        const char *comma = memchr(p, ',', (size_t)(c->end - p));
        const char *e = comma ? comma : c->end;
        header_item(ps->tr, p, (size_t)(e - p));
        p = comma ? comma + 1 : c->end;
    }
}

static int declare_stepper(struct parser *ps, struct cursor *c)
{
    struct viz_trace *tr = ps->tr;
    char name[VIZ_TRACE_NAME], rail[8];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "expected a stepper name (up to %d characters)", VIZ_TRACE_NAME - 1);
    if (find_stepper(tr, name))
        return fail(ps, "stepper '%s' is declared twice", name);
    if (tr->nsteppers == VIZ_TRACE_MAX_STEPPERS)
        return fail(ps, "more than %d steppers", VIZ_TRACE_MAX_STEPPERS);
    struct viz_stepper *s = &tr->steppers[tr->nsteppers];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%s", name);
    if (keyword(ps, c, "rail"))
        return -1;
    static const char *const rails[VIZ_RAIL_COUNT] = {"x", "y", "z", "e"};
    s->rail = -1;
    if (word(c, rail, sizeof(rail)))
        for (int i = 0; i < VIZ_RAIL_COUNT; i++)
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
    struct viz_trace *tr = ps->tr;
    char name[VIZ_TRACE_NAME];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "expected a heater name (up to %d characters)", VIZ_TRACE_NAME - 1);
    if (find_heater(tr, name))
        return fail(ps, "heater '%s' is declared twice", name);
    if (tr->nheaters == VIZ_TRACE_MAX_HEATERS)
        return fail(ps, "more than %d heaters", VIZ_TRACE_MAX_HEATERS);
    if (line_end(ps, c))
        return -1;
    struct viz_heater *h = &tr->heaters[tr->nheaters++];
    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", name);
    return 0;
}

static int step_run(struct parser *ps, struct cursor *c, uint64_t tick)
{
    char name[VIZ_TRACE_NAME], dir[4];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "expected a stepper name");
    struct viz_stepper *s = find_stepper(ps->tr, name);
    if (!s)
        return fail(ps,
                    "stepper '%s' was not declared (expected a 'stepper %s rail ...' line "
                    "first)",
                    name, name);
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
    /* The spacing after edge k is interval + k * add; it never goes below
     * zero, and the whole run stays well inside 64 bits. */
    if (count >= 2 && add < 0 && (double)interval + (double)add * (double)(count - 2) < 0.0)
        return fail(ps, "step: the interval %llu falls below 0 within %llu edges (add %lld)",
                    (unsigned long long)interval, (unsigned long long)count, add);
    double span = (double)interval * (double)(count - 1) +
                  (double)add * (double)(count - 1) * (double)(count - 2) / 2.0;
    if ((double)tick + span > 4.0e18)
        return fail(ps, "step: the run ends beyond the range of ticks");
    if (s->nruns == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct viz_run *r = realloc(s->runs, cap * sizeof(*r));
        if (!r)
            return fail(ps, "out of memory");
        s->runs = r;
        s->cap = cap;
    }
    struct viz_run *r = &s->runs[s->nruns++];
    memset(r, 0, sizeof(*r));
    r->tick = tick;
    r->interval = (uint32_t)interval;
    r->count = (uint32_t)count;
    r->add = (int32_t)add;
    r->dir = dir[0] == '+' ? 1 : -1;
    uint64_t last = viz_run_edge_tick(r, count - 1);
    if (last > ps->tr->last_tick)
        ps->tr->last_tick = last;
    return 0;
}

static int add_event(struct parser *ps, uint64_t tick, int kind, unsigned long gline,
                     struct cursor *c)
{
    struct viz_trace *tr = ps->tr;
    if (tr->nevents == tr->event_cap) {
        size_t cap = tr->event_cap ? tr->event_cap * 2 : 16;
        struct viz_event *ev = realloc(tr->events, cap * sizeof(*ev));
        if (!ev)
            return fail(ps, "out of memory");
        tr->events = ev;
        tr->event_cap = cap;
    }
    struct viz_event *ev = &tr->events[tr->nevents++];
    ev->t = (double)tick / tr->freq;
    ev->kind = kind;
    ev->gcode_line = gline;
    skip_space(c);
    int n = (int)(c->end - c->p);
    while (n > 0 && c->p[n - 1] == '\r')
        n--;
    snprintf(ev->text, sizeof(ev->text), "%.*s", n, c->p);
    return 0;
}

static int temp_sample(struct parser *ps, struct cursor *c, uint64_t tick)
{
    char name[VIZ_TRACE_NAME];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "temp: expected a heater name");
    struct viz_heater *h = find_heater(ps->tr, name);
    if (!h)
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
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        struct viz_temp *t = realloc(h->temps, cap * sizeof(*t));
        if (!t)
            return fail(ps, "out of memory");
        h->temps = t;
        h->cap = cap;
    }
    h->temps[h->n++] = (struct viz_temp){
        .t = (double)tick / ps->tr->freq, .temp = (float)temp, .target = (float)target};
    return 0;
}

static int named_state(struct parser *ps, struct cursor *c, const char *kind, bool stepper,
                       const char *a, const char *b)
{
    char name[VIZ_TRACE_NAME], state[16];
    if (!word(c, name, sizeof(name)))
        return fail(ps, "%s: expected a name", kind);
    if (stepper && !find_stepper(ps->tr, name))
        return fail(ps, "%s: stepper '%s' was not declared", kind, name);
    if (!stepper && strcmp(name, "fan") && !find_heater(ps->tr, name))
        return fail(ps, "%s: '%s' is neither a declared heater nor 'fan'", kind, name);
    if (a) {
        if (!word(c, state, sizeof(state)) || (strcmp(state, a) && strcmp(state, b)))
            return fail(ps, "%s %s: expected %s or %s", kind, name, a, b);
    } else {
        double duty;
        if (parse_double(ps, c, "a duty", 0.0, 1.0, &duty))
            return -1;
    }
    return line_end(ps, c);
}

static int timed_line(struct parser *ps, struct cursor *c)
{
    uint64_t tick;
    char kind[16];
    if (need_freq(ps) || parse_u64(ps, c, "a tick", UINT64_MAX / 4, &tick))
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
        return named_state(ps, c, "duty", false, NULL, NULL);
    if (tick < ps->last_ordered)
        return fail(ps,
                    "tick %llu is earlier than the line before (%llu); only step runs and "
                    "duty changes may go back",
                    (unsigned long long)tick, (unsigned long long)ps->last_ordered);
    ps->last_ordered = tick;
    if (!strcmp(kind, "temp"))
        return temp_sample(ps, c, tick);
    if (!strcmp(kind, "enable"))
        return named_state(ps, c, "enable", true, "on", "off");
    if (!strcmp(kind, "endstop"))
        return named_state(ps, c, "endstop", true, "open", "closed");
    if (!strcmp(kind, "answer")) {
        uint64_t gline;
        if (parse_u64(ps, c, "the G-code line number", UINT32_MAX, &gline))
            return -1;
        skip_space(c);
        if (c->end - c->p < 2 || memcmp(c->p, "!!", 2))
            return 0;
        /* An MCU shutdown reaches the trace as the engine's answer. */
        static const char mcu_shutdown[] = "!! MCU '";
        size_t n = sizeof(mcu_shutdown) - 1, len = (size_t)(c->end - c->p);
        bool shutdown =
            len > n && !memcmp(c->p, mcu_shutdown, n) && memmem(c->p, len, "' shutdown: ", 12);
        return add_event(ps, tick, shutdown ? VIZ_EVENT_SHUTDOWN : VIZ_EVENT_ERROR,
                         (unsigned long)gline, c);
    }
    if (!strcmp(kind, "line")) {
        uint64_t gline;
        return parse_u64(ps, c, "the G-code line number", UINT32_MAX, &gline) || line_end(ps, c);
    }
    if (!strcmp(kind, "reset")) {
        char what[VIZ_TRACE_NAME];
        if (!word(c, what, sizeof(what)))
            return fail(ps, "reset: expected what was reset (mcu)");
        return line_end(ps, c);
    }
    if (!strcmp(kind, "model-error"))
        return add_event(ps, tick, VIZ_EVENT_ERROR, 0, c);
    if (!strcmp(kind, "shutdown"))
        return add_event(ps, tick, VIZ_EVENT_SHUTDOWN, 0, c);
    if (!strcmp(kind, "fault"))
        return add_event(ps, tick, VIZ_EVENT_FAULT, 0, c);
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
        header(ps, c);
        return 0;
    }
    if (*c->p >= '0' && *c->p <= '9')
        return timed_line(ps, c);
    if (!word(c, kw, sizeof(kw)))
        return fail(ps, "expected a tick or a declaration");
    if (!strcmp(kw, "freq")) {
        if (ps->tr->freq > 0.0)
            return fail(ps, "freq is given twice");
        return parse_double(ps, c, "ticks per second", 1.0, 1e12, &ps->tr->freq) || line_end(ps, c);
    }
    if (!strcmp(kw, "stepper"))
        return declare_stepper(ps, c);
    if (!strcmp(kw, "heater"))
        return declare_heater(ps, c);
    return fail(ps, "expected a tick, '#', freq, stepper or heater, got '%s'", kw);
}

static int check_version(struct parser *ps, const char *text, size_t len)
{
    const char *nl = memchr(text, '\n', len);
    size_t n = nl ? (size_t)(nl - text) : len;
    static const char magic[] = "# lockstep trace ";
    size_t m = sizeof(magic) - 1;
    ps->line = 1;
    if (n < m || memcmp(text, magic, m))
        return fail(ps, "not a lockstep trace: expected a first line '# lockstep trace %d'",
                    TRACE_VERSION);
    char *e;
    long v = strtol(text + m, &e, 10);
    if (e == text + m || v != TRACE_VERSION)
        return fail(ps, "trace format '%.*s' is not the one this viewer reads (version %d)",
                    (int)(n - m), text + m, TRACE_VERSION);
    return 0;
}

static int cmp_run(const void *a, const void *b)
{
    const struct viz_run *x = a, *y = b;
    return x->tick < y->tick ? -1 : x->tick > y->tick;
}

/* Runs of one stepper follow each other: sort them (a writer may emit
 * them out of order) and refuse overlapping ones. */
static int finish_steppers(struct parser *ps)
{
    for (size_t i = 0; i < ps->tr->nsteppers; i++) {
        struct viz_stepper *s = &ps->tr->steppers[i];
        if (s->nruns > 1)
            qsort(s->runs, s->nruns, sizeof(*s->runs), cmp_run);
        uint64_t edges = 0;
        int64_t steps = 0, prev_last = -1;
        for (size_t k = 0; k < s->nruns; k++) {
            struct viz_run *r = &s->runs[k];
            if (prev_last >= 0 && r->tick <= (uint64_t)prev_last) {
                snprintf(ps->err, ps->errlen,
                         "%s: stepper '%s': a step run at tick %llu starts before the run "
                         "before it ends (tick %lld)",
                         ps->name, s->name, (unsigned long long)r->tick, (long long)prev_last);
                return -1;
            }
            r->edges_before = edges;
            r->steps_before = steps;
            edges += r->count;
            steps += r->dir * (int64_t)r->count;
            prev_last = (int64_t)viz_run_edge_tick(r, r->count - 1);
        }
    }
    return 0;
}

int viz_trace_parse(const char *text, size_t len, const char *name, struct viz_trace *tr, char *err,
                    size_t errlen)
{
    memset(tr, 0, sizeof(*tr));
    struct parser ps = {.name = name, .tr = tr, .err = err, .errlen = errlen};
    if (check_version(&ps, text, len))
        return -1;
    const char *p = text, *end = text + len;
    ps.line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        ps.line++;
        struct cursor c = {p, le};
        while (c.end > c.p && c.end[-1] == '\r')
            c.end--;
        if (memchr(p, 0, (size_t)(le - p))) {
            fail(&ps, "a NUL byte: this is not a text trace");
            viz_trace_free(tr);
            return -1;
        }
        if (parse_line(&ps, &c)) {
            viz_trace_free(tr);
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    if (!(tr->freq > 0.0)) {
        snprintf(err, errlen, "%s: no 'freq TICKS_PER_SECOND' line", name);
        viz_trace_free(tr);
        return -1;
    }
    if (finish_steppers(&ps)) {
        viz_trace_free(tr);
        return -1;
    }
    return 0;
}

int viz_trace_load(const char *path, struct viz_trace *tr, char *err, size_t errlen)
{
    memset(tr, 0, sizeof(*tr));
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open the trace '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int rc = -1;
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_TRACE_BYTES) {
                snprintf(err, errlen, "%s: larger than 2 GiB", path);
                goto out;
            }
            char *b = realloc(buf, cap * 2);
            if (!b) {
                snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read the trace '%s': %s", path, strerror(errno));
        goto out;
    }
    rc = viz_trace_parse(buf, len, path, tr, err, errlen);
out:
    free(buf);
    fclose(f);
    return rc;
}

void viz_trace_free(struct viz_trace *tr)
{
    for (size_t i = 0; i < tr->nsteppers; i++)
        free(tr->steppers[i].runs);
    for (size_t i = 0; i < tr->nheaters; i++)
        free(tr->heaters[i].temps);
    free(tr->events);
    memset(tr, 0, sizeof(*tr));
}

bool viz_trace_sniff(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char buf[17];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return n == sizeof(buf) && !memcmp(buf, "# lockstep trace ", sizeof(buf));
}

const struct viz_stepper *viz_trace_rail(const struct viz_trace *tr, int rail)
{
    for (size_t i = 0; i < tr->nsteppers; i++)
        if (tr->steppers[i].rail == rail)
            return &tr->steppers[i];
    return NULL;
}

uint64_t viz_run_edge_tick(const struct viz_run *r, uint64_t k)
{
    /* The parser bounded the run, so this stays within int64. */
    int64_t k2 = (int64_t)k;
    return r->tick + (uint64_t)(k2 * (int64_t)r->interval + (int64_t)r->add * (k2 * (k2 - 1) / 2));
}

ptrdiff_t viz_stepper_run_at(const struct viz_stepper *s, uint64_t tick)
{
    size_t lo = 0, hi = s->nruns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->runs[mid].tick <= tick)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

uint64_t viz_stepper_edges_upto(const struct viz_stepper *s, uint64_t tick, int64_t *steps)
{
    ptrdiff_t i = viz_stepper_run_at(s, tick);
    if (i < 0) {
        if (steps)
            *steps = 0;
        return 0;
    }
    const struct viz_run *r = &s->runs[i];
    /* Edges of this run at or before tick: the spacing never shrinks
     * below zero, so edge times are in order. */
    uint64_t lo = 1, hi = r->count; /* edge 0 is at r->tick <= tick */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (viz_run_edge_tick(r, mid) <= tick)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (steps)
        *steps = r->steps_before + r->dir * (int64_t)lo;
    return r->edges_before + lo;
}

double viz_stepper_pos_at(const struct viz_stepper *s, uint64_t tick)
{
    int64_t steps;
    viz_stepper_edges_upto(s, tick, &steps);
    return s->start_mm + (double)steps * s->mm_per_step;
}

bool viz_stepper_edge(const struct viz_stepper *s, uint64_t index, uint64_t *tick, int *dir)
{
    size_t lo = 0, hi = s->nruns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->runs[mid].edges_before <= index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return false;
    const struct viz_run *r = &s->runs[lo - 1];
    uint64_t k = index - r->edges_before;
    if (k >= r->count)
        return false;
    *tick = viz_run_edge_tick(r, k);
    if (dir)
        *dir = r->dir;
    return true;
}
