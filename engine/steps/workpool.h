/* A few threads that run the jobs of one call in parallel with the
 * caller. Which thread runs which job is left to timing, so jobs must not
 * share mutable state. */
#ifndef LOCKSTEP_STEPS_WORKPOOL_H
#define LOCKSTEP_STEPS_WORKPOOL_H

struct workpool;

typedef void (*workpool_fn)(void *ctx, unsigned job);

/* threads besides the caller's; NULL if they cannot be started. */
struct workpool *workpool_create(unsigned threads);
void workpool_destroy(struct workpool *wp);
/* Run fn(ctx, j) for every j < njobs; returns when all are done. */
void workpool_run(struct workpool *wp, unsigned njobs, workpool_fn fn, void *ctx);

#endif
