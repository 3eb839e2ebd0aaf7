/* The lookahead queue: moves wait here until later moves can no longer
 * change their speeds, then leave, in order, with their trapezoids set.
 *
 * Junction speeds follow Klipper's model: at most square_corner_velocity
 * at a 90 degree corner, scaled for other angles by "approximated
 * centripetal velocity" (the toolhead rounds the corner on a circle whose
 * size comes from junction_deviation), never more than the extruder's
 * instantaneous corner velocity allows, and so that the turn's circle
 * touches each move no further than its middle. Speeds are planned
 * backwards from a full stop after the last queued move. A second,
 * "smoothed" profile with acceleration accel * (1 - minimum_cruise_ratio)
 * sets how high each run of moves may peak (the cruise speed).
 *
 * Flushing is lazy: once the queued moves add up to the lookahead time,
 * the moves before the last two peaks of the smoothed profile are
 * settled and emitted (a speed dip between two peaks is held at a
 * junction limit, which no later move can lift). A full flush plans the
 * stop at the end of the queue and emits everything. */
#ifndef LOCKSTEP_PLAN_LOOKAHEAD_H
#define LOCKSTEP_PLAN_LOOKAHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "extruder.h"
#include "move.h"

#define LOOKAHEAD_FLUSH_TIME 0.250 /* s: Klipper's */

struct lookahead_move {
    struct move m; /* geometry and accel; speeds and phases once settled */
    double max_cruise_v2;
    double delta_v2;        /* 2 * move_d * accel */
    double smooth_delta_v2; /* the same with the smoothed acceleration */
    double junction_deviation;
    double min_move_t; /* s at the move's speed limit */
    bool is_kinematic; /* false for extrude-only moves: they stop at both ends */
    /* Set when the move joins the queue. */
    double max_start_v2, max_smoothed_v2;
};

/* Receives each settled move; it may not call back into the queue. */
typedef void (*lookahead_emit_fn)(void *ctx, const struct move *m);

struct lookahead_pending;

struct lookahead {
    struct lookahead_move *ring;
    struct lookahead_pending *pending;
    size_t cap, head, count; /* cap is a power of two */
    double flush_time, junction_flush;
    const struct extruder_limits *extruder;
    lookahead_emit_fn emit;
    void *emit_ctx;
};

/* flush_time <= 0 means LOOKAHEAD_FLUSH_TIME. Returns -1 without memory. */
int lookahead_init(struct lookahead *la, double flush_time, const struct extruder_limits *extruder,
                   lookahead_emit_fn emit, void *ctx);
void lookahead_release(struct lookahead *la);

/* Queue a move (its max_start_v2 and max_smoothed_v2 are computed here).
 * May emit settled moves. Returns -1, with the queue unchanged, when
 * memory runs out. */
int lookahead_add(struct lookahead *la, const struct lookahead_move *mv);

/* lazy: emit only what is final; otherwise stop after the last move and
 * emit everything. */
void lookahead_flush(struct lookahead *la, bool lazy);

static inline size_t lookahead_count(const struct lookahead *la)
{
    return la->count;
}

#endif
