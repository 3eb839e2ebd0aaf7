/* Test helpers: run commands the way the firmware does (tick-exact
 * interval/add arithmetic on 32-bit intervals) and hold the steps that
 * result against the exact ones. */
#ifndef LOCKSTEP_TESTS_STEPS_CHECK_H
#define LOCKSTEP_TESTS_STEPS_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ref_steps.h"
#include "stepcmd.h"

struct cmd_log {
    struct step_cmd *v;
    size_t n, cap;
};

/* A step_cmd_sink appending to a struct cmd_log. */
void cmd_log_sink(void *ctx, const struct step_cmd *c);
void cmd_log_free(struct cmd_log *l);
size_t cmd_log_count(const struct cmd_log *l, enum step_cmd_kind kind);

struct exec_step {
    int64_t clock;
    int dir; /* the dir value the MCU had (0 / 1) */
};

struct exec_steps {
    struct exec_step *v;
    size_t n, cap;
};

/* How the expansion works: FW_EXACT as the firmware; FW_WRONG_ADD
 * applies add one step early (only for showing the checker fails). */
enum fw_mode { FW_EXACT, FW_WRONG_ADD };

/* Append the steps of c[0..n) to out; -1 with err for a sequence the MCU
 * would refuse (queue_step before any reset_step_clock or direction,
 * count 0), or req_clock going backwards or not at the first step. */
int fw_expand(const struct step_cmd *c, size_t n, enum fw_mode mode, struct exec_steps *out,
              char *err, size_t errlen);
void exec_free(struct exec_steps *e);

/* Every executed step against the exact ones: same number, same
 * directions (dir sent = (dir > 0) ^ invert_dir), each within max_error
 * ticks, and each at least max(1, half the exact gap) after the one
 * before; both up to the exact time's own rounding tolerance (ref_steps.h). -1 with err naming the
 * first step that fails. */
int check_steps(const struct exec_steps *ex, const struct ref_steps *ref, int invert_dir,
                double max_error_ticks, char *err, size_t errlen);

#endif
