/* Step generation and compression for a set of steppers: planned moves
 * in (move.h), queue_step / set_next_step_dir / reset_step_clock out
 * (stepcmd.h), one sink per stepper.
 *
 * Each stepper follows a linear combination of the toolhead axes
 * (stepkin.h); its step count is floor(p + 0.5) for its position p in
 * steps, so a step falls where p passes half-way between two step
 * positions (Klipper's convention; see steptimes.h). Its MCU runs a step
 * within max_error of the exact time, and never sooner after the step
 * before than half their exact gap (stepfit.h).
 *
 * Calls are buffered in batches of batch_moves moves, and a batch is
 * turned into commands by a pipeline: each stepper's part of it runs on
 * one of `threads` extra threads (or the caller's, while it waits) once
 * its part of the batch before is done, so the steppers run in parallel
 * with each other and with the caller planning the next moves. A
 * stepper's commands are computed in one fixed order, and handed to the
 * sinks from the calling thread, batch by batch and within a batch
 * stepper by stepper in the order they were added, so the output depends
 * only on the calls made (and on batch_moves), never on threads or
 * timing. A few batches may wait for the sinks before the caller runs
 * what is left of the oldest and hands it on; stepgen_flush() hands on
 * everything. Commands that later moves could still lengthen are held
 * back until a flush reaches their first step, so an engine flushes as
 * print time advances (not after every move: each flush ends a batch).
 * Sinks are called only from stepgen_add_move(), stepgen_flush(),
 * stepgen_flush_later(), stepgen_hand_on(), stepgen_restart_time(),
 * stepgen_add_stepper() and stepgen_reset_stepper(), in the caller's
 * thread.
 *
 * Functions returning int give 0, or -1 with a message in err (which may
 * be NULL); a refused call changes nothing. */
#ifndef LOCKSTEP_STEPS_STEPGEN_H
#define LOCKSTEP_STEPS_STEPGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "move.h"
#include "stepcmd.h"
#include "stepkin.h"

struct stepgen_config {
    unsigned threads;     /* besides the caller's; 0: none */
    unsigned batch_moves; /* 0: 128 */
};

struct stepgen_stepper_config {
    const char *name; /* for messages, e.g. "stepper_x" (copied) */
    uint8_t oid;
    double coef[AXIS_COUNT]; /* stepper position = sum(coef[i] * axis[i]), mm */
    double step_distance;    /* mm per step, > 0 */
    bool invert_dir;         /* false: dir=1 while the position grows; true: dir=0 */
    double mcu_freq;         /* Hz */
    double clock_offset;     /* MCU clock at print_time 0 */
    double max_error;        /* s; 0: 25 us */
    step_cmd_sink sink;
    void *sink_ctx;
};

struct stepgen_position {
    double commanded; /* mm along the stepper's rail, after every added move */
    int64_t steps;    /* floor(commanded / step_distance + 0.5) */
    /* The MCU's step counter: net steps taken since the stepper was added
     * (or since the value given to stepgen_reset_stepper). */
    int64_t mcu_position;
};

struct stepgen_stats {
    uint64_t steps, queue_steps, dir_changes, resets, fallbacks;
};

struct stepgen;

struct stepgen *stepgen_create(const struct stepgen_config *cfg, char *err, size_t errlen);
void stepgen_destroy(struct stepgen *sg);

/* A stepper at position 0; returns its index. */
int stepgen_add_stepper(struct stepgen *sg, const struct stepgen_stepper_config *cfg, char *err,
                        size_t errlen);
int stepgen_stepper_count(const struct stepgen *sg);

/* The print_time -> MCU clock mapping for moves added from now on. */
int stepgen_set_clock(struct stepgen *sg, int stepper, double mcu_freq, double clock_offset,
                      char *err, size_t errlen);

/* A planned move, starting no earlier than the last one ended and where
 * every stepper is (after its last move or set_position), with a
 * consistent trapezoid, and asking no stepper for more than one step per
 * MCU tick. Tiny negative times and speeds (down to -1e-9) are taken as
 * rounding. */
int stepgen_add_move(struct stepgen *sg, const struct move *m, char *err, size_t errlen);

/* Hand on every command up to and including all steps due at or before
 * print time until (INFINITY: everything). */
int stepgen_flush(struct stepgen *sg, double until, char *err, size_t errlen);
/* stepgen_flush() without the wait: the batch ends here as it would (so
 * the commands are the same), but they go to the sinks only when later
 * batches push them out, or stepgen_hand_on() or a flush reaches them.
 * The caller goes on planning while the steppers catch up. *mark names
 * this point for the two functions below. */
int stepgen_flush_later(struct stepgen *sg, double until, uint64_t *mark, char *err, size_t errlen);
/* Whether every command up to mark went to the sinks. */
bool stepgen_handed_on(const struct stepgen *sg, uint64_t mark);
/* Hand on every command up to mark (running what is left of it). */
int stepgen_hand_on(struct stepgen *sg, uint64_t mark, char *err, size_t errlen);

/* The stepper is at pos (mm along its rail) from now on, without
 * stepping (G92, homing). */
int stepgen_set_position(struct stepgen *sg, int stepper, double pos, char *err, size_t errlen);
/* Every stepper at its combination of the toolhead position pos. */
int stepgen_set_axes_position(struct stepgen *sg, const double pos[AXIS_COUNT], char *err,
                              size_t errlen);

/* The MCU stopped the stepper (homing) and reports its step counter.
 * Whatever of it was not handed to the sink yet is dropped: the MCU
 * dropped its queue too (flush up to the stop first, so that everything
 * before it went out). The next step starts with reset_step_clock and
 * set_next_step_dir. The commanded position stays until set_position. */
int stepgen_reset_stepper(struct stepgen *sg, int stepper, int64_t mcu_position, char *err,
                          size_t errlen);

/* Hand on everything, then let moves start again from print_time even
 * if the last one ended later: a homing stop cut it short, and the
 * steppers it moved were reset (stepgen_reset_stepper), so no step after
 * print_time remains. */
int stepgen_restart_time(struct stepgen *sg, double print_time, char *err, size_t errlen);
int stepgen_get_position(const struct stepgen *sg, int stepper, struct stepgen_position *out);
/* Commands handed on so far (after stepgen_flush, all of them). */
int stepgen_get_stats(const struct stepgen *sg, int stepper, struct stepgen_stats *out);

#endif
