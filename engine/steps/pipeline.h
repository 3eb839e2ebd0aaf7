/* Work in batches and lanes: unit (batch, lane) runs after (batch - 1,
 * lane), and units of different lanes run in parallel, on a few threads
 * of their own and on the caller's while it waits. Which thread runs a
 * unit is left to timing, so units of different lanes must not share
 * mutable state; what one lane computes depends only on its own units,
 * run in batch order. */
#ifndef LOCKSTEP_STEPS_PIPELINE_H
#define LOCKSTEP_STEPS_PIPELINE_H

#include <stdint.h>

struct pipeline;

typedef void (*pipeline_fn)(void *ctx, uint64_t batch, unsigned lane);

/* threads besides the caller's (0: the caller runs every unit while it
 * waits); NULL if they cannot be started or out of memory. */
struct pipeline *pipeline_create(unsigned threads, pipeline_fn fn, void *ctx);
void pipeline_destroy(struct pipeline *p);

/* One more batch (they are numbered from 0): every lane may run its
 * unit of it. */
void pipeline_submit(struct pipeline *p);

/* Return when every lane has run its units up to and including batch;
 * the caller runs units meanwhile, of any batch submitted: waiting for
 * a unit another thread is running, it takes on later work rather than
 * idle. */
void pipeline_wait(struct pipeline *p, uint64_t batch);

/* Only with every submitted unit run (after pipeline_wait): the number
 * of lanes from now on; -1 out of memory. New lanes start with the next
 * batch. */
int pipeline_set_lanes(struct pipeline *p, unsigned lanes);

#endif
