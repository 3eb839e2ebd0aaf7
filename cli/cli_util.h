/* Small helpers the subcommands share. */
#ifndef LOCKSTEP_CLI_UTIL_H
#define LOCKSTEP_CLI_UTIL_H

#include <stddef.h>

/* Seconds on the monotonic clock: for progress displays and benchmark
 * figures only, never for anything simulated. */
double cli_wall_seconds(void);

/* Does s end in suffix? */
int cli_ends_with(const char *s, const char *suffix);

/* The largest .gcode file in dir into out (ties: the first name); 0 if
 * there is none. */
int cli_largest_gcode(const char *dir, char *out, size_t outlen);

#endif
