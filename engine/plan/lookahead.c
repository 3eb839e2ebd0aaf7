#include "lookahead.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trapezoid.h"

/* A move that decelerates over its whole smoothed length: its cruise
 * speed depends on the peak before it, found later in the backward pass. */
struct lookahead_pending {
    size_t index;
    double start_v2, end_v2;
};

#define INITIAL_CAP 64

static struct lookahead_move *slot(const struct lookahead *la, size_t i)
{
    return &la->ring[(la->head + i) & (la->cap - 1)];
}

int lookahead_init(struct lookahead *la, double flush_time, const struct extruder_limits *extruder,
                   lookahead_emit_fn emit, void *ctx)
{
    memset(la, 0, sizeof(*la));
    la->ring = malloc(INITIAL_CAP * sizeof(*la->ring));
    la->pending = malloc(INITIAL_CAP * sizeof(*la->pending));
    if (!la->ring || !la->pending) {
        lookahead_release(la);
        return -1;
    }
    la->cap = INITIAL_CAP;
    la->flush_time = flush_time > 0.0 ? flush_time : LOOKAHEAD_FLUSH_TIME;
    la->junction_flush = la->flush_time;
    la->extruder = extruder;
    la->emit = emit;
    la->emit_ctx = ctx;
    return 0;
}

void lookahead_release(struct lookahead *la)
{
    free(la->ring);
    free(la->pending);
    la->ring = NULL;
    la->pending = NULL;
    la->cap = la->count = la->head = 0;
}

static int grow(struct lookahead *la)
{
    size_t cap = la->cap * 2;
    struct lookahead_move *ring = malloc(cap * sizeof(*ring));
    struct lookahead_pending *pending = malloc(cap * sizeof(*pending));
    if (!ring || !pending || cap < la->cap) {
        free(ring);
        free(pending);
        return -1;
    }
    for (size_t i = 0; i < la->count; i++)
        ring[i] = *slot(la, i);
    free(la->ring);
    free(la->pending);
    la->ring = ring;
    la->pending = pending;
    la->cap = cap;
    la->head = 0;
    return 0;
}

/* Highest speed^2 at the junction from prev into mv. */
static void calc_junction(const struct lookahead *la, struct lookahead_move *mv,
                          const struct lookahead_move *prev)
{
    if (!mv->is_kinematic || !prev->is_kinematic)
        return;
    double v2 = fmin(mv->max_cruise_v2, prev->max_cruise_v2);
    v2 = fmin(v2, prev->max_start_v2 + prev->delta_v2);
    v2 = fmin(v2, extruder_junction_v2(la->extruder, prev->m.axes_r[AXIS_E], mv->m.axes_r[AXIS_E],
                                       mv->max_cruise_v2));
    const double *r = mv->m.axes_r, *pr = prev->m.axes_r;
    /* 1 when the move carries straight on, -1 when it reverses. */
    double dot = r[AXIS_X] * pr[AXIS_X] + r[AXIS_Y] * pr[AXIS_Y] + r[AXIS_Z] * pr[AXIS_Z];
    /* Half the angle between the reversed incoming and the outgoing
     * direction: 90 degrees straight on, 0 on reversal. */
    double sin_half = sqrt(fmax(0.5 * (1.0 + dot), 0.0));
    double cos_half = sqrt(fmax(0.5 * (1.0 - dot), 0.0));
    if (sin_half < 1.0 && cos_half > 0.0) {
        /* Radius of the circle tangent to both moves whose middle stays
         * junction_deviation from the corner, per unit of deviation. */
        double radius_per_jd = sin_half / (1.0 - sin_half);
        v2 = fmin(v2, radius_per_jd * mv->junction_deviation * mv->m.accel);
        v2 = fmin(v2, radius_per_jd * prev->junction_deviation * prev->m.accel);
        /* The circle may reach at most halfway into either move: there
         * its radius is (move_d / 2) * tan(half angle) and v^2 = accel * r. */
        double quarter_tan_half = 0.25 * sin_half / cos_half;
        v2 = fmin(v2, mv->delta_v2 * quarter_tan_half);
        v2 = fmin(v2, prev->delta_v2 * quarter_tan_half);
    }
    mv->max_start_v2 = v2;
    mv->max_smoothed_v2 = fmin(v2, prev->max_smoothed_v2 + prev->smooth_delta_v2);
}

int lookahead_add(struct lookahead *la, const struct lookahead_move *mv)
{
    if (la->count == la->cap && grow(la) != 0)
        return -1;
    struct lookahead_move *m = slot(la, la->count);
    *m = *mv;
    m->max_start_v2 = 0.0;
    m->max_smoothed_v2 = 0.0;
    la->count++;
    if (la->count == 1)
        return 0;
    calc_junction(la, m, slot(la, la->count - 2));
    la->junction_flush -= m->min_move_t;
    if (la->junction_flush <= 0.0)
        lookahead_flush(la, true);
    return 0;
}

/* Settle the pending (fully decelerating) moves after a peak, earliest
 * first: none may cruise above the peak nor above its own start. */
static void settle_pending(struct lookahead *la, size_t npending, double peak_v2)
{
    double cruise_v2 = peak_v2;
    for (size_t k = npending; k-- > 0;) {
        const struct lookahead_pending *p = &la->pending[k];
        cruise_v2 = fmin(cruise_v2, p->start_v2);
        trapezoid_set(&slot(la, p->index)->m, fmin(p->start_v2, cruise_v2), cruise_v2,
                      fmin(p->end_v2, cruise_v2));
    }
}

void lookahead_flush(struct lookahead *la, bool lazy)
{
    la->junction_flush = la->flush_time;
    size_t n = la->count, flush_count = n, npending = 0;
    /* While searching, nothing is settled: a lazy flush first looks for
     * the second-to-last peak, before which moves are final. */
    bool searching = lazy;
    double next_end_v2 = 0.0, next_smoothed_v2 = 0.0, peak_v2 = 0.0;
    for (size_t i = n; i-- > 0;) {
        struct lookahead_move *mv = slot(la, i);
        double reachable_start_v2 = next_end_v2 + mv->delta_v2;
        double start_v2 = fmin(mv->max_start_v2, reachable_start_v2);
        double reachable_smoothed_v2 = next_smoothed_v2 + mv->smooth_delta_v2;
        double smoothed_v2 = fmin(mv->max_smoothed_v2, reachable_smoothed_v2);
        if (smoothed_v2 < reachable_smoothed_v2) {
            /* The smoothed profile rises over part of this move. It peaks
             * here if it also falls before the move ends, or if the moves
             * after it only fall. */
            if (smoothed_v2 + mv->smooth_delta_v2 > next_smoothed_v2 || npending) {
                if (searching && peak_v2 > 0.0) {
                    flush_count = i;
                    searching = false;
                }
                peak_v2 = fmin(mv->max_cruise_v2, 0.5 * (smoothed_v2 + reachable_smoothed_v2));
                if (npending && !searching && i < flush_count)
                    settle_pending(la, npending, peak_v2);
                npending = 0;
            }
            if (!searching && i < flush_count) {
                double cruise_v2 = fmin(0.5 * (start_v2 + reachable_start_v2), mv->max_cruise_v2);
                cruise_v2 = fmin(cruise_v2, peak_v2);
                trapezoid_set(&mv->m, fmin(start_v2, cruise_v2), cruise_v2,
                              fmin(next_end_v2, cruise_v2));
            }
        } else {
            la->pending[npending++] = (struct lookahead_pending){i, start_v2, next_end_v2};
        }
        next_end_v2 = start_v2;
        next_smoothed_v2 = smoothed_v2;
    }
    if (searching || flush_count == 0)
        return;
    /* The first queued move always starts below its smoothed reach (it
     * starts from rest, or it was the peak a lazy flush stopped at), so
     * nothing is left pending; settle defensively against rounding. */
    if (npending)
        settle_pending(la, npending, peak_v2 > 0.0 ? peak_v2 : INFINITY);
    for (size_t i = 0; i < flush_count; i++)
        la->emit(la->emit_ctx, &slot(la, i)->m);
    la->head = (la->head + flush_count) & (la->cap - 1);
    la->count -= flush_count;
}
