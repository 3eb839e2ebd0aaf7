/* What the trace tests share: files read whole, traces loaded or the
 * test failed with the reader's message. */
#ifndef LOCKSTEP_TRACE_FIXTURE_H
#define LOCKSTEP_TRACE_FIXTURE_H

#include <stddef.h>

#include "trace.h"

/* The file's bytes, NUL-terminated (len may be NULL); free() them. */
char *fixture_slurp(const char *path, size_t *len);

void fixture_load(const char *path, struct trace *tr);

#endif
