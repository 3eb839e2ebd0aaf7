/* Error messages into a caller's buffer, as every engine area reports
 * them (err may be NULL when the caller does not want the text). */
#ifndef LOCKSTEP_COMMON_ERRMSG_H
#define LOCKSTEP_COMMON_ERRMSG_H

#include <stddef.h>

void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
