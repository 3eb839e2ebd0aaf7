/* Golden traces: a scenario's trace compared with the one kept in
 * golden/, the first difference told in words. */
#ifndef LOCKSTEP_SCENARIO_GOLDEN_H
#define LOCKSTEP_SCENARIO_GOLDEN_H

#include <stddef.h>

/* Compare two trace files line by line, comments ('#') aside. Returns 0
 * if they agree, 1 if they differ (desc says where and how: the channel,
 * the simulated time, expected and actual, the G-code line last begun),
 * -1 with desc saying why they could not be read. */
int golden_compare(const char *expected_path, const char *actual_path, char *desc, size_t desclen);

#endif
