/* Arithmetic for console scripts: numbers (decimal, with an optional
 * fraction, or 0x-hex), names, + - * / and parentheses, the usual
 * precedence, evaluated in double precision (exact for integers up to
 * 2^53, which covers 32-bit clocks and their sums and products with
 * frequencies). */
#ifndef LOCKSTEP_LINK_EXPR_H
#define LOCKSTEP_LINK_EXPR_H

#include <stddef.h>

/* Returns 0 and the value of name, or -1 if it is not defined. */
typedef int (*expr_lookup_fn)(void *ctx, const char *name, double *value);

/* Evaluate text (all of it). Returns 0, or -1 with err (bad syntax,
 * unknown name, division by zero). */
int expr_eval(const char *text, expr_lookup_fn lookup, void *ctx, double *out, char *err,
              size_t errlen);

/* Does the expression mention this name as a whole word? */
int expr_uses(const char *text, const char *name);

#endif
