/* Numbers as Klipper's parameter getters read and print them: Python's
 * float() and int() on the parameter text, and Python's str() of a float
 * in messages ("0.0", "0.5", "1e-05").
 *
 * Accepted: optional surrounding whitespace, a sign, decimal digits with an
 * optional fraction ("1.", ".5") and, for floats, an exponent ("1e3").
 * Refused where Python would accept: "inf", "nan" and other non-finite
 * results (a printer must not move to infinity), and '_' digit separators.
 * Independent of the C locale. */
#ifndef LOCKSTEP_GCODE_NUMBER_H
#define LOCKSTEP_GCODE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

/* Each returns false, leaving *out alone, when text is not such a number. */
bool gcode_parse_float(const char *text, double *out);
bool gcode_parse_int(const char *text, long *out);

/* Python's repr of a float: the shortest digits that read back as v, ".0"
 * on integral values, exponent form below 1e-4 and from 1e16. */
void gcode_format_float(double v, char *buf, size_t len);

#endif
