/* Put the planned moves on a trace's time axis and find where the
 * executed carriage left the planned path.
 *
 * The planned moves come from a batch run, whose print time has no
 * waits for heaters and no live-mode buffering, so one offset does not
 * fit a whole print. Moves are cut into bursts at every point where the
 * toolhead is at rest (only there can a live run have waited), and
 * each burst gets its own offset: the median, over its first edges of
 * the stepper that moves most, of (executed edge time - planned time at
 * which that stepper's commanded position crosses the half step). Each
 * burst's executed edges are looked for after the previous burst's end.
 *
 * The executed position is compared with the planned one at the end of
 * every move (not homing moves: they stop at the switch). Homing sets
 * the position wherever the switch triggered, so the frame (executed
 * minus planned, per axis) is taken anew at rest after each homing. */
#ifndef LOCKSTEP_VIZ_ALIGN_H
#define LOCKSTEP_VIZ_ALIGN_H

#include <stddef.h>

#include "viz_exec.h"
#include "viz_plan.h"
#include "viz_trace.h"

struct viz_align_stats {
    size_t bursts, aligned; /* bursts with motion, and those found in the trace */
    size_t checked;         /* moves compared at their end */
    size_t deviating;       /* of them, further than threshold from the plan */
    size_t not_run;         /* moves with no steps in the trace (after a shutdown) */
    float threshold;        /* mm: 4 steps of the coarsest x/y/z stepper */
    float max_dev;          /* mm */
    double max_dev_t;       /* s: when */
    double first_dev_t;     /* s: the first deviating move's end, or -1 */
};

/* Shift p's move times onto the trace's time axis, set their
 * VIZ_MOVE_DEVIATES / VIZ_MOVE_NOT_RUN flags, write each move's
 * deviation (mm, -1 if not compared) into dev[p->n], and move the
 * executed samples into the planned frame. Returns 0, or -1 with err if
 * the trace has no x or y stepper. */
int viz_align(struct viz_plan *p, const struct viz_trace *tr, struct viz_exec *ex, float *dev,
              struct viz_align_stats *st, char *err, size_t errlen);

#endif
