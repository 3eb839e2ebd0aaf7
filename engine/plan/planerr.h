/* Error text into a caller's buffer (err may be NULL when the caller does
 * not want the text). */
#ifndef LOCKSTEP_PLAN_PLANERR_H
#define LOCKSTEP_PLAN_PLANERR_H

#include <stddef.h>

void plan_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
