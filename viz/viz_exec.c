#include "viz_exec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t to_tick(const struct viz_trace *tr, double t)
{
    double k = floor(t * tr->freq + 0.5);
    return k <= 0.0 ? 0 : k >= 1.8e19 ? UINT64_MAX : (uint64_t)k;
}

void viz_exec_pos_at(const struct viz_trace *tr, double t, double out[3])
{
    uint64_t tick = to_tick(tr, t);
    for (int a = 0; a < 3; a++) {
        const struct viz_stepper *s = viz_trace_rail(tr, a);
        out[a] = s ? viz_stepper_pos_at(s, tick) : 0.0;
    }
}

int viz_exec_build(const struct viz_trace *tr, struct viz_exec *ex, char *err, size_t errlen)
{
    memset(ex, 0, sizeof(*ex));
    size_t nticks = 1;
    for (int a = 0; a < 3; a++) {
        const struct viz_stepper *s = viz_trace_rail(tr, a);
        if (s)
            nticks += 2 * s->nruns;
    }
    uint64_t *ticks = malloc(nticks * sizeof(*ticks));
    if (!ticks) {
        snprintf(err, errlen, "out of memory for %zu executed path samples", nticks);
        return -1;
    }
    size_t k = 0;
    ticks[k++] = 0;
    for (int a = 0; a < 3; a++) {
        const struct viz_stepper *s = viz_trace_rail(tr, a);
        for (size_t i = 0; s && i < s->nruns; i++) {
            ticks[k++] = s->runs[i].tick;
            ticks[k++] = viz_run_edge_tick(&s->runs[i], s->runs[i].count - 1);
        }
    }
    qsort(ticks, k, sizeof(*ticks), cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || ticks[i] != ticks[u - 1])
            ticks[u++] = ticks[i];
    ex->pts = malloc(u * sizeof(*ex->pts));
    if (!ex->pts) {
        free(ticks);
        snprintf(err, errlen, "out of memory for %zu executed path samples", u);
        return -1;
    }
    const struct viz_stepper *rail[3];
    for (int a = 0; a < 3; a++)
        rail[a] = viz_trace_rail(tr, a);
    for (size_t i = 0; i < u; i++) {
        struct viz_exec_point *pt = &ex->pts[i];
        pt->t = (double)ticks[i] / tr->freq;
        pt->hidden = false;
        for (int a = 0; a < 3; a++)
            pt->p[a] = rail[a] ? (float)viz_stepper_pos_at(rail[a], ticks[i]) : 0.0f;
    }
    ex->n = u;
    free(ticks);
    return 0;
}

void viz_exec_free(struct viz_exec *ex)
{
    free(ex->pts);
    memset(ex, 0, sizeof(*ex));
}

size_t viz_exec_count_upto(const struct viz_exec *ex, double t)
{
    size_t lo = 0, hi = ex->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ex->pts[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
