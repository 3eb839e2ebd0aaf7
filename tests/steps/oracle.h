/* Test oracle: a straightforward per-step greedy compressor in the style
 * of Klipper's stepcompress. Each command tries adds by bisection; every
 * try walks the steps one at a time, narrowing the range of intervals
 * that keeps all of them in their windows, until it is empty, and then
 * moves the add towards the side that broke. The add that reached the
 * most steps wins. It follows the same rules as engine/steps (window,
 * spacing, interval and count limits, reset_step_clock handling, the
 * largest interval that fits), so the two message counts compare. */
#ifndef LOCKSTEP_TESTS_STEPS_ORACLE_H
#define LOCKSTEP_TESTS_STEPS_ORACLE_H

#include <stdint.h>

#include "ref_steps.h"
#include "steps_check.h"

struct oracle_config {
    uint8_t oid;
    int invert_dir;
    double max_error_ticks;
};

void oracle_compress(const struct oracle_config *cfg, const struct ref_steps *steps,
                     struct cmd_log *out);

#endif
