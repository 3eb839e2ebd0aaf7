#include "trace.h"

static void enter_run(struct trace_edges *e)
{
    if (e->run < e->s->nruns) {
        const struct trace_run *r = &e->s->runs[e->run];
        e->k = 0;
        e->tick = r->tick;
        e->spacing = r->interval;
    }
}

void trace_edges_start(struct trace_edges *e, const struct trace_stepper *s)
{
    *e = (struct trace_edges){.s = s};
    enter_run(e);
}

bool trace_edges_next(struct trace_edges *e, uint64_t *tick, int *dir)
{
    if (e->run >= e->s->nruns)
        return false;
    const struct trace_run *r = &e->s->runs[e->run];
    *tick = e->tick;
    *dir = r->dir;
    /* The firmware's queue_step arithmetic, edge by edge: the parser made
     * sure the spacing stays at one tick or more. */
    if (++e->k < r->count) {
        e->tick += (uint64_t)e->spacing;
        e->spacing += r->add;
    } else {
        e->run++;
        enter_run(e);
    }
    return true;
}
