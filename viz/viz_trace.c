/* The viewer's view of a trace: the trace reader's (trace/) records
 * turned into what the drawing wants (seconds, temperature series,
 * error and shutdown markers); the step runs are taken over as they are. */
#include "viz_trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

static void count_temps(const struct trace *t, size_t *n)
{
    for (size_t i = 0; i < t->nevents; i++)
        if (t->events[i].kind == TRACE_TEMP)
            n[t->events[i].who]++;
}

/* The events the viewer marks: faults, "!! ..." answers and shutdowns. */
static int marker_kind(const struct trace *t, const struct trace_event *ev)
{
    const char *text = trace_event_text(t, ev);
    switch (ev->kind) {
    case TRACE_FAULT:
        return VIZ_EVENT_FAULT;
    case TRACE_SHUTDOWN:
        return VIZ_EVENT_SHUTDOWN;
    case TRACE_MODEL_ERROR:
        return VIZ_EVENT_ERROR;
    case TRACE_ANSWER:
        if (strncmp(text, "!!", 2))
            return -1;
        return trace_answer_is_shutdown(text) ? VIZ_EVENT_SHUTDOWN : VIZ_EVENT_ERROR;
    default:
        return -1;
    }
}

static int fill_heaters(const struct trace *t, struct viz_trace *tr)
{
    size_t n[TRACE_MAX_HEATERS] = {0};
    count_temps(t, n);
    for (size_t h = 0; h < t->nheaters; h++) {
        struct viz_heater *vh = &tr->heaters[h];
        snprintf(vh->name, sizeof(vh->name), "%s", t->heaters[h].name);
        if (n[h] && !(vh->temps = malloc(n[h] * sizeof(*vh->temps))))
            return -1;
        vh->cap = n[h];
    }
    tr->nheaters = t->nheaters;
    for (size_t i = 0; i < t->nevents; i++) {
        const struct trace_event *ev = &t->events[i];
        if (ev->kind != TRACE_TEMP)
            continue;
        struct viz_heater *vh = &tr->heaters[ev->who];
        vh->temps[vh->n++] = (struct viz_temp){.t = (double)ev->tick / tr->freq,
                                               .temp = (float)ev->value,
                                               .target = (float)ev->target};
    }
    return 0;
}

static int fill_events(const struct trace *t, struct viz_trace *tr)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nevents; i++)
        n += marker_kind(t, &t->events[i]) >= 0;
    if (n && !(tr->events = malloc(n * sizeof(*tr->events))))
        return -1;
    tr->event_cap = n;
    for (size_t i = 0; i < t->nevents; i++) {
        const struct trace_event *ev = &t->events[i];
        int kind = marker_kind(t, ev);
        if (kind < 0)
            continue;
        struct viz_event *ve = &tr->events[tr->nevents++];
        ve->t = (double)ev->tick / tr->freq;
        ve->kind = kind;
        ve->gcode_line = ev->kind == TRACE_ANSWER ? ev->gcode_line : 0;
        snprintf(ve->text, sizeof(ve->text), "%s", trace_event_text(t, ev));
    }
    return 0;
}

/* Takes the runs out of t; the rest of t is left to free. */
static int from_trace(struct trace *t, struct viz_trace *tr)
{
    snprintf(tr->scenario, sizeof(tr->scenario), "%s", t->scenario);
    snprintf(tr->config, sizeof(tr->config), "%s", t->config);
    tr->corexy = !strcmp(t->kinematics, "corexy");
    snprintf(tr->gcode, sizeof(tr->gcode), "%s", t->gcode);
    tr->freq = (double)t->freq;
    tr->last_tick = t->last_tick;
    tr->skipped = t->skipped;
    for (size_t i = 0; i < t->nsteppers; i++) {
        struct trace_stepper *s = &t->steppers[i];
        struct viz_stepper *vs = &tr->steppers[i];
        snprintf(vs->name, sizeof(vs->name), "%s", s->name);
        vs->rail = s->rail;
        vs->mm_per_step = s->mm_per_step;
        vs->start_mm = s->start_mm;
        vs->runs = s->runs;
        vs->nruns = s->nruns;
        vs->cap = s->cap;
        s->runs = NULL;
        s->nruns = s->cap = 0;
    }
    tr->nsteppers = t->nsteppers;
    return fill_heaters(t, tr) || fill_events(t, tr) ? -1 : 0;
}

static int finish(int rc, struct trace *t, struct viz_trace *tr, const char *name, char *err,
                  size_t errlen)
{
    if (rc)
        return -1;
    rc = from_trace(t, tr);
    trace_free(t);
    if (rc) {
        snprintf(err, errlen, "%s: out of memory", name);
        viz_trace_free(tr);
    }
    return rc;
}

int viz_trace_parse(const char *text, size_t len, const char *name, struct viz_trace *tr, char *err,
                    size_t errlen)
{
    struct trace t;
    memset(tr, 0, sizeof(*tr));
    return finish(trace_parse(text, len, name, &t, err, errlen), &t, tr, name, err, errlen);
}

int viz_trace_load(const char *path, struct viz_trace *tr, char *err, size_t errlen)
{
    struct trace t;
    memset(tr, 0, sizeof(*tr));
    return finish(trace_load(path, &t, err, errlen), &t, tr, path, err, errlen);
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
    return trace_sniff(path);
}

const struct viz_stepper *viz_trace_rail(const struct viz_trace *tr, int rail)
{
    for (size_t i = 0; i < tr->nsteppers; i++)
        if (tr->steppers[i].rail == rail)
            return &tr->steppers[i];
    return NULL;
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
    const struct trace_run *r = &s->runs[i];
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
    const struct trace_run *r = &s->runs[lo - 1];
    uint64_t k = index - r->edges_before;
    if (k >= r->count)
        return false;
    *tick = viz_run_edge_tick(r, k);
    if (dir)
        *dir = r->dir;
    return true;
}
