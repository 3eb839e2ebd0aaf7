/* Step compression for one stepper: exact step times in (stepseg.h),
 * queue_step / set_next_step_dir / reset_step_clock out (stepcmd.h).
 *
 * Commands are cut greedily, each as long as stepfit finds. A command
 * that would still fit every step known so far is held back, since the
 * next moves may extend it (that is where compressing across move
 * boundaries pays); stepcompress_run() with force emits such commands
 * too, up to a clock. The first step ever, the first after
 * stepcompress_reset() and the first after a gap too long for one
 * interval start with reset_step_clock; that first step runs at its
 * exact time rounded to the nearest tick. */
#ifndef LOCKSTEP_STEPS_STEPCOMPRESS_H
#define LOCKSTEP_STEPS_STEPCOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "stepcmd.h"
#include "stepfit.h"
#include "stepseg.h"

struct stepcompress_stats {
    uint64_t steps, queue_steps, dir_changes, resets;
    uint64_t fallbacks; /* steps placed outside the rules (degenerate input only) */
};

struct stepcompress {
    uint8_t oid, invert_dir;
    double E; /* ticks */
    struct segq q;
    int have_last;      /* a step the next queue_step counts from */
    int64_t last_clock; /* that step's clock */
    double last_exact;  /* its exact time, relative to last_clock */
    int dir_sent;       /* value of the last set_next_step_dir, -1: none yet */
    uint64_t last_req;
    struct fit_piece *pieces;
    size_t pcap;
    /* The time of the step after the last command (its segment's own
     * ticks), computed while cutting that command: the next command
     * starts with it. Valid while next_seg is the queue's head and
     * next_j its first unused step; cleared when the queue moves. */
    const struct step_seg *next_seg;
    uint32_t next_j;
    double next_t;
    struct step_cmd *out; /* commands not yet handed on */
    size_t nout, outcap;
    int failed; /* out of memory: nothing more is emitted */
    struct stepcompress_stats stats;
};

void stepcompress_init(struct stepcompress *sc, uint8_t oid, int invert_dir,
                       double max_error_ticks);
void stepcompress_free(struct stepcompress *sc);
void stepcompress_set_max_error(struct stepcompress *sc, double max_error_ticks);

/* Queue a segment (steps after those queued before). -1: out of memory. */
int stepcompress_push(struct stepcompress *sc, const struct step_seg *s);

/* Emit every command that further steps could not lengthen; with force
 * also those starting with a step due at or before until. */
void stepcompress_run(struct stepcompress *sc, int force, int64_t until);

/* The MCU stopped this stepper: steps and commands not handed on yet are
 * dropped, and the next step starts with reset_step_clock (and
 * set_next_step_dir). */
void stepcompress_reset(struct stepcompress *sc);

#endif
