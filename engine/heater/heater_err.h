/* Error and message text into a caller's buffer (err may be NULL when
 * the caller does not want the text). */
#ifndef LOCKSTEP_HEATER_HEATER_ERR_H
#define LOCKSTEP_HEATER_HEATER_ERR_H

#include <stddef.h>

void heater_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
