#include "viz_align.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Edges per burst that fix its offset: enough for the median to shrug
 * off the slow first edges, whose times depend most on where within a
 * step the carriage started. */
#define REF_EDGES 64
#define REF_SPAN_S 2.0
#define REF_MIN_EDGES 8
/* A homing stepper that stops for this long has reached its switch. */
#define HOMING_GAP_S 0.05
/* A pause this long inside what the batch plan has as one burst is a
 * wait the batch did not make (a heater wait after moves the batch
 * joined without stopping): the burst is cut there. */
#define PAUSE_S 0.25
#define REST_V 1e-3          /* mm/s */
#define DEVIATION_STEPS 4.0f /* "a few steps" */

struct anchor {
    double t;
    double bias[3]; /* executed - planned, mm */
    bool hidden;    /* a homing approach: executed and planned part on purpose */
};

struct aligner {
    struct viz_plan *p;
    const struct viz_trace *tr;
    const struct viz_stepper *rail[3];
    float *dev;
    struct viz_align_stats *st;
    struct anchor *anchors;
    size_t nanchors, anchor_cap;
    double offset; /* s: trace time - planned time, for the current burst */
    double bias[3];
    unsigned pending; /* axes homed since the frame was last taken */
    uint64_t cursor;  /* ticks: the next burst's edges come at or after this */
    bool stopped;     /* no x/y/z edges after the cursor: the rest did not run */
};

static int push_anchor(struct aligner *al, double t, bool hidden)
{
    if (al->nanchors == al->anchor_cap) {
        size_t cap = al->anchor_cap ? al->anchor_cap * 2 : 16;
        struct anchor *a = realloc(al->anchors, cap * sizeof(*a));
        if (!a)
            return -1;
        al->anchors = a;
        al->anchor_cap = cap;
    }
    struct anchor *a = &al->anchors[al->nanchors++];
    a->t = t;
    memcpy(a->bias, al->bias, sizeof(a->bias));
    a->hidden = hidden;
    return 0;
}

static bool at_rest_between(const struct viz_move *a, const struct viz_move *b)
{
    return a->end_v <= REST_V || b->start_v <= REST_V || b->t > viz_move_end(a) + 1e-6 ||
           a->kind == VIZ_HOMING || b->kind == VIZ_HOMING ||
           (a->kind == VIZ_E_ONLY) != (b->kind == VIZ_E_ONLY);
}

/* Planned times at which axis a's commanded position crosses the next
 * half steps from the burst's start, while it keeps one direction. */
static int crossings(const struct aligner *al, size_t i, size_t j, int a, double T[REF_EDGES],
                     int *dir_out)
{
    const struct viz_move *mv = al->p->moves;
    double step = al->rail[a]->mm_per_step;
    double c0 = floor(mv[i].from[a] / step + 0.5);
    double t_limit = mv[i].t + REF_SPAN_S;
    int dir = 0, k = 0;
    for (size_t m = i; m < j && k < REF_EDGES && mv[m].t <= t_limit; m++) {
        const struct viz_move *v = &mv[m];
        double a0 = v->from[a], a1 = v->to[a], d = a1 - a0;
        if (v->kind == VIZ_E_ONLY || fabs(d) < 1e-9)
            continue;
        int md = d > 0 ? 1 : -1;
        if (dir && md != dir)
            break;
        dir = md;
        double len = viz_move_profile_length(v);
        while (k < REF_EDGES) {
            double b = dir > 0 ? (c0 + k + 0.5) * step : (c0 - k - 0.5) * step;
            if (dir > 0 ? b > a1 : b < a1)
                break;
            double f = (b - a0) / d;
            T[k++] = v->t + viz_move_time_at_dist(v, (f < 0 ? 0 : f) * len);
        }
    }
    *dir_out = dir;
    return k;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t tick_of(const struct aligner *al, double t)
{
    double k = ceil(t * al->tr->freq);
    return k <= 0.0 ? 0 : (uint64_t)k;
}

static bool any_edges_after(const struct aligner *al, uint64_t tick)
{
    for (int a = 0; a < 3; a++) {
        const struct viz_stepper *s = al->rail[a];
        if (s && s->nruns) {
            const struct trace_run *r = &s->runs[s->nruns - 1];
            if (viz_run_edge_tick(r, r->count - 1) >= tick)
                return true;
        }
    }
    return false;
}

/* Where a homing approach's motion ended: the tick after the last edge
 * of s (from edge index on) before it pauses for HOMING_GAP_S, turns
 * round (the retract) or passes the planned end. */
static uint64_t motion_end(const struct aligner *al, const struct viz_stepper *s, uint64_t index,
                           uint64_t planned_end)
{
    uint64_t gap = (uint64_t)(HOMING_GAP_S * al->tr->freq);
    size_t r = 0;
    while (r + 1 < s->nruns && s->runs[r + 1].edges_before <= index)
        r++;
    for (; r < s->nruns; r++) {
        uint64_t last = viz_run_edge_tick(&s->runs[r], s->runs[r].count - 1);
        if (r + 1 == s->nruns)
            return last + 1;
        const struct trace_run *next = &s->runs[r + 1];
        if (next->tick - last >= gap || next->dir != s->runs[r].dir || next->tick > planned_end)
            return last + 1;
    }
    return al->cursor;
}

/* Fix the burst's offset from its reference stepper's first edges.
 * Returns 1 if found, 0 if the burst moves less than a step (the
 * offset stays), -1 if the reference stepper has no edges for it. */
static int align_burst(struct aligner *al, size_t i, size_t j, int *ref_axis, uint64_t *ref_index)
{
    /* The stepper that moves first, among those with a few edges: a
     * wait the batch plan lacks can only come after the burst's first
     * edges, and the burst is cut there (find_pause). */
    double best_T[REF_EDGES], T[REF_EDGES];
    int best = 0, best_axis = -1, best_dir = 0;
    for (int a = 0; a < 3; a++) {
        if (!al->rail[a])
            continue;
        int dir, k = crossings(al, i, j, a, T, &dir);
        bool enough = k >= REF_MIN_EDGES, best_enough = best >= REF_MIN_EDGES;
        if (k && (best_axis < 0 || (enough && !best_enough) ||
                  (enough == best_enough && (enough ? T[0] < best_T[0] : k > best)))) {
            best = k;
            best_axis = a;
            best_dir = dir;
            memcpy(best_T, T, sizeof(T));
        }
    }
    if (!best)
        return 0;
    const struct viz_stepper *s = al->rail[best_axis];
    uint64_t first = al->cursor ? viz_stepper_edges_upto(s, al->cursor - 1, NULL) : 0;
    double diff[REF_EDGES];
    int n = 0;
    for (int k = 0; k < best; k++) {
        uint64_t tick;
        int dir;
        if (!viz_stepper_edge(s, first + (uint64_t)k, &tick, &dir) || dir != best_dir)
            break;
        diff[n++] = (double)tick / al->tr->freq - best_T[k];
    }
    if (!n)
        return -1;
    qsort(diff, (size_t)n, sizeof(*diff), cmp_double);
    al->offset = n % 2 ? diff[n / 2] : 0.5 * (diff[n / 2 - 1] + diff[n / 2]);
    *ref_axis = best_axis;
    *ref_index = first;
    return 1;
}

/* The first pause of PAUSE_S or more in the x/y/z edges that starts
 * after from and before until (it may end later): the tick of the last
 * edge before it, or 0 if there is none. */
static uint64_t find_pause(const struct aligner *al, uint64_t from, uint64_t until)
{
    uint64_t gap = (uint64_t)(PAUSE_S * al->tr->freq);
    size_t next[3] = {0, 0, 0};
    for (int a = 0; a < 3; a++) {
        const struct viz_stepper *s = al->rail[a];
        ptrdiff_t r = s ? viz_stepper_run_at(s, from) : -1;
        next[a] = r < 0 ? 0 : (size_t)r;
    }
    uint64_t covered = 0;
    bool started = false;
    for (;;) {
        int pick = -1;
        for (int a = 0; a < 3; a++) {
            const struct viz_stepper *s = al->rail[a];
            if (s && next[a] < s->nruns &&
                (pick < 0 || s->runs[next[a]].tick < al->rail[pick]->runs[next[pick]].tick))
                pick = a;
        }
        if (pick < 0)
            return 0;
        const struct trace_run *r = &al->rail[pick]->runs[next[pick]++];
        if (started && covered >= from && covered < until && r->tick > covered + gap)
            return covered;
        if (r->tick > until)
            return 0;
        uint64_t last = viz_run_edge_tick(r, r->count - 1);
        if (!started || last > covered)
            covered = last;
        started = true;
    }
}

/* Where to cut a burst whose edges pause at tick: after the move whose
 * aligned end is nearest. Returns the index of the first move after the
 * cut (j: no cut). */
static size_t cut_at_pause(const struct aligner *al, size_t first, size_t j, uint64_t pause)
{
    double tp = (double)pause / al->tr->freq, best = INFINITY;
    size_t cut = j;
    for (size_t k = first; k + 1 < j; k++) {
        double d = fabs(viz_move_end(&al->p->moves[k]) + al->offset - tp);
        if (d < best) {
            best = d;
            cut = k + 1;
        }
    }
    return cut;
}

static void check_moves(struct aligner *al, size_t i, size_t j)
{
    struct viz_align_stats *st = al->st;
    for (size_t m = i; m < j; m++) {
        struct viz_move *v = &al->p->moves[m];
        if (v->kind == VIZ_E_ONLY || v->kind == VIZ_HOMING)
            continue;
        double end = viz_move_end(v), pos[3], d2 = 0.0;
        viz_exec_pos_at(al->tr, end, pos);
        for (int a = 0; a < 3; a++) {
            if (!al->rail[a])
                continue;
            double d = pos[a] - al->bias[a] - v->to[a];
            d2 += d * d;
        }
        float dev = (float)sqrt(d2);
        al->dev[m] = dev;
        st->checked++;
        if (dev > st->max_dev) {
            st->max_dev = dev;
            st->max_dev_t = end;
        }
        if (dev > st->threshold) {
            v->flags |= VIZ_MOVE_DEVIATES;
            if (!st->deviating++)
                st->first_dev_t = end;
        }
    }
}

static void shift(struct aligner *al, size_t i, size_t j, uint8_t flags)
{
    for (size_t m = i; m < j; m++) {
        struct viz_move *v = &al->p->moves[m];
        v->t += al->offset;
        if (flags && v->kind != VIZ_E_ONLY) {
            v->flags |= flags;
            al->st->not_run++;
        }
    }
}

/* Take the frame anew for the axes homed since, at rest at the burst's
 * start, before its first edge. */
static int reanchor(struct aligner *al, size_t first)
{
    const struct viz_move *v = &al->p->moves[first];
    double pos[3];
    viz_exec_pos_at(al->tr, v->t, pos);
    for (int a = 0; a < 3; a++)
        if (al->pending & (1u << a))
            al->bias[a] = pos[a] - v->from[a];
    al->pending = 0;
    return push_anchor(al, v->t, false);
}

static int run_bursts(struct aligner *al)
{
    struct viz_plan *p = al->p;
    size_t i = 0;
    while (i < p->n) {
        size_t j = i + 1;
        while (j < p->n && !at_rest_between(&p->moves[j - 1], &p->moves[j]))
            j++;
        size_t first = i;
        while (first < j && p->moves[first].kind == VIZ_E_ONLY)
            first++;
        if (first == j) {
            shift(al, i, j, 0);
            i = j;
            continue;
        }
        al->st->bursts++;
        if (al->stopped || !any_edges_after(al, al->cursor)) {
            al->stopped = true;
            shift(al, i, j, VIZ_MOVE_NOT_RUN);
            i = j;
            continue;
        }
        int ref_axis = -1;
        uint64_t ref_index = 0;
        int found = align_burst(al, first, j, &ref_axis, &ref_index);
        if (found > 0)
            al->st->aligned++;
        if (found > 0 && p->moves[first].kind != VIZ_HOMING) {
            uint64_t start = tick_of(al, p->moves[first].t + al->offset);
            uint64_t end = tick_of(al, viz_move_end(&p->moves[j - 1]) + al->offset);
            uint64_t margin = (uint64_t)(HOMING_GAP_S * al->tr->freq);
            uint64_t pause = end > margin ? find_pause(al, start, end - margin) : 0;
            if (pause)
                j = cut_at_pause(al, first, j, pause);
        }
        shift(al, i, j, 0);
        const struct viz_move *v = &p->moves[first];
        if (v->kind == VIZ_HOMING) {
            int axis = 0;
            for (int a = 1; a < 3; a++)
                if (fabsf(v->to[a] - v->from[a]) > fabsf(v->to[axis] - v->from[axis]))
                    axis = a;
            if (push_anchor(al, v->t, true))
                return -1;
            al->pending |= 1u << axis;
            uint64_t planned_end = tick_of(al, viz_move_end(&p->moves[j - 1]));
            if (found > 0)
                al->cursor = motion_end(al, al->rail[ref_axis], ref_index, planned_end);
            else
                al->cursor = planned_end;
        } else {
            if (al->pending && reanchor(al, first))
                return -1;
            check_moves(al, first, j);
            al->cursor = tick_of(al, viz_move_end(&p->moves[j - 1]));
        }
        i = j;
    }
    return 0;
}

static void move_samples(struct aligner *al, struct viz_exec *ex)
{
    size_t k = 0;
    for (size_t i = 0; i < ex->n; i++) {
        struct viz_exec_point *pt = &ex->pts[i];
        while (k + 1 < al->nanchors && al->anchors[k + 1].t <= pt->t)
            k++;
        const struct anchor *a = &al->anchors[k];
        for (int ax = 0; ax < 3; ax++)
            pt->p[ax] = (float)(pt->p[ax] - a->bias[ax]);
        pt->hidden = a->hidden && a->t <= pt->t;
    }
}

static void scale_move(struct viz_move *v, double duration)
{
    double f = duration / viz_move_duration(v);
    v->accel_t = (float)(v->accel_t * f);
    v->cruise_t = (float)(v->cruise_t * f);
    v->decel_t = (float)(v->decel_t * f);
    v->start_v = (float)(v->start_v / f);
    v->cruise_v = (float)(v->cruise_v / f);
    v->end_v = (float)(v->end_v / f);
}

/* Keep the moves in time order for the timeline. A homing approach
 * executes shorter than planned (it stops at the switch) and the next
 * burst may start before its planned end: it is squeezed to end there.
 * Any other overlap is a rounding of the offsets, well under a
 * millisecond. */
static void keep_order(struct viz_plan *p)
{
    for (size_t i = 1; i < p->n; i++) {
        struct viz_move *prev = &p->moves[i - 1], *v = &p->moves[i];
        double end = viz_move_end(prev);
        if (v->t >= end)
            continue;
        if (prev->kind == VIZ_HOMING && v->t > prev->t + 1e-6)
            scale_move(prev, v->t - prev->t);
        else
            v->t = end;
    }
}

int viz_align(struct viz_plan *p, const struct viz_trace *tr, struct viz_exec *ex, float *dev,
              struct viz_align_stats *st, char *err, size_t errlen)
{
    memset(st, 0, sizeof(*st));
    st->first_dev_t = -1.0;
    for (size_t i = 0; i < p->n; i++)
        dev[i] = -1.0f;
    if (tr->corexy) {
        /* Its carriage is (a + b) / 2, (a - b) / 2 of two belts: the
         * per-rail matching below does not apply. */
        snprintf(err, errlen,
                 "the trace is of a corexy printer: the executed path is rebuilt for cartesian "
                 "printers only (view the plan without the trace)");
        return -1;
    }
    struct aligner al = {.p = p, .tr = tr, .dev = dev, .st = st};
    float coarsest = 0.0f;
    for (int a = 0; a < 3; a++) {
        al.rail[a] = viz_trace_rail(tr, a);
        if (al.rail[a] && al.rail[a]->mm_per_step > coarsest)
            coarsest = (float)al.rail[a]->mm_per_step;
    }
    if (!al.rail[0] || !al.rail[1]) {
        snprintf(err, errlen,
                 "the trace has no stepper on rail %s: nothing to compare the "
                 "planned path with",
                 al.rail[0] ? "y" : "x");
        return -1;
    }
    st->threshold = DEVIATION_STEPS * coarsest;
    /* Before any homing the plan starts from 0 wherever the carriage is. */
    size_t first = 0;
    while (first < p->n && p->moves[first].kind == VIZ_E_ONLY)
        first++;
    for (int a = 0; a < 3; a++)
        al.bias[a] = (al.rail[a] ? al.rail[a]->start_mm : 0.0) -
                     (first < p->n ? p->moves[first].from[a] : 0.0f);
    int rc = push_anchor(&al, -INFINITY, false) || run_bursts(&al) ? -1 : 0;
    if (rc)
        snprintf(err, errlen, "out of memory while aligning the trace");
    else if (ex)
        move_samples(&al, ex);
    free(al.anchors);
    keep_order(p);
    /* Times moved: the end is where the last move now ends. */
    p->t_end = 0.0;
    for (size_t i = 0; i < p->n; i++)
        if (viz_move_end(&p->moves[i]) > p->t_end)
            p->t_end = viz_move_end(&p->moves[i]);
    return rc;
}
