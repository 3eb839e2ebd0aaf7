/* Test rig: a stepgen with its steppers, each mirrored by the reference
 * step generator, logging every command. */
#ifndef LOCKSTEP_TESTS_STEPS_RIG_H
#define LOCKSTEP_TESTS_STEPS_RIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ref_steps.h"
#include "stepgen.h"
#include "steps_check.h"

#define RIG_MAX 6

struct rig {
    struct stepgen *sg;
    int n;
    struct stepgen_stepper_config cfg[RIG_MAX];
    struct cmd_log log[RIG_MAX];
    struct ref_stepper ref[RIG_MAX];
    struct ref_steps rs[RIG_MAX];
};

void rig_init(struct rig *r, unsigned threads, unsigned batch);
void rig_free(struct rig *r);
/* Adds a stepper; max_error 0 for the default. Returns its index. */
int rig_stepper(struct rig *r, enum stepkin kind, double step_distance, bool invert,
                double max_error);
void rig_move(struct rig *r, const struct move *m);
/* As rig_move, but a refused move is skipped; returns whether it was taken. */
bool rig_try_move(struct rig *r, const struct move *m);
void rig_set_position(struct rig *r, int i, double pos_mm);
void rig_flush(struct rig *r, double until);
/* Expand every stepper's log and check it against the reference steps,
 * and its positions against the reference counts; fails the test
 * otherwise. */
void rig_check(struct rig *r);
size_t rig_queue_steps(const struct rig *r, int i);
double rig_max_error_ticks(const struct rig *r, int i);

#endif
