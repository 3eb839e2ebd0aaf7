/* The executed carriage path: x, y, z from a trace's step edges
 * (start + signed steps * mm_per_step), sampled wherever a step run of
 * an x, y or z stepper starts or ends, on the trace's time axis. */
#ifndef LOCKSTEP_VIZ_EXEC_H
#define LOCKSTEP_VIZ_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "viz_trace.h"

struct viz_exec_point {
    double t;    /* s */
    float p[3];  /* mm; in the planned coordinates once viz_align has run */
    bool hidden; /* during homing: no planned path to compare it with */
};

struct viz_exec {
    struct viz_exec_point *pts;
    size_t n;
};

/* Returns 0, or -1 with err when out of memory. */
int viz_exec_build(const struct viz_trace *tr, struct viz_exec *ex, char *err, size_t errlen);
void viz_exec_free(struct viz_exec *ex);

/* The carriage position at time t (s) from the step edges, without the
 * frame shift viz_align applies to the samples; rails the trace lacks
 * read 0. */
void viz_exec_pos_at(const struct viz_trace *tr, double t, double out[3]);
/* How many samples are at or before t. */
size_t viz_exec_count_upto(const struct viz_exec *ex, double t);

#endif
