/* Running a scenario on the twin and checking what it expects. */
#ifndef LOCKSTEP_SCENARIO_CHECK_H
#define LOCKSTEP_SCENARIO_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "scenario_file.h"

/* Run s (writing its trace to trace_path, if given), then check every
 * expectation, printing each one that failed to out with what was
 * expected and what happened. Returns 0 if all held, 1 if any failed, -1
 * with err if the run could not be made. */
int scenario_check(const struct scenario *s, const char *trace_path, FILE *out, char *err,
                   size_t errlen);

#endif
