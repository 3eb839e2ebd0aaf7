/* Error messages into a caller's buffer (err may be NULL when the caller
 * does not want the text). Shared by the files of this library only. */
#ifndef LOCKSTEP_GCODE_ERRMSG_H
#define LOCKSTEP_GCODE_ERRMSG_H

#include <stddef.h>

void gcode_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
