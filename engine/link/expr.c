#include "expr.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *s;
    expr_lookup_fn lookup;
    void *ctx;
    char *err;
    size_t errlen;
    int failed;
    int depth;
};

static void perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = 1;
    if (!p->err || !p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
}

static void skip_space(struct parser *p)
{
    while (isspace((unsigned char)*p->s))
        p->s++;
}

static double parse_sum(struct parser *p);

static double parse_number(struct parser *p)
{
    const char *start = p->s;
    if (p->s[0] == '0' && (p->s[1] == 'x' || p->s[1] == 'X')) {
        p->s += 2;
        if (!isxdigit((unsigned char)*p->s)) {
            perr(p, "bad hex number at '%s'", start);
            return 0;
        }
        double v = 0;
        while (isxdigit((unsigned char)*p->s)) {
            int c = tolower((unsigned char)*p->s++);
            v = v * 16 + (isdigit(c) ? c - '0' : c - 'a' + 10);
        }
        return v;
    }
    /* Only plain decimals: strtod would also take "inf", "nan" and hex
     * floats, none of which belong in a script. */
    const char *q = p->s;
    while (isdigit((unsigned char)*q))
        q++;
    if (*q == '.') {
        q++;
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (q == p->s || (q == p->s + 1 && *p->s == '.')) {
        perr(p, "expected a number at '%s'", start);
        return 0;
    }
    char buf[64];
    size_t n = (size_t)(q - p->s);
    if (n >= sizeof(buf)) {
        perr(p, "number too long at '%s'", start);
        return 0;
    }
    memcpy(buf, p->s, n);
    buf[n] = 0;
    p->s = q;
    if (isalpha((unsigned char)*q) || *q == '_') {
        perr(p, "bad number at '%s'", start);
        return 0;
    }
    return strtod(buf, NULL);
}

static double parse_primary(struct parser *p)
{
    skip_space(p);
    char c = *p->s;
    if (c == '(') {
        if (++p->depth > 64) {
            perr(p, "expression nested too deeply");
            return 0;
        }
        p->s++;
        double v = parse_sum(p);
        skip_space(p);
        if (*p->s != ')') {
            perr(p, "missing ')'");
            return 0;
        }
        p->s++;
        p->depth--;
        return v;
    }
    if (c == '-' || c == '+') {
        p->s++;
        if (++p->depth > 64) {
            perr(p, "expression nested too deeply");
            return 0;
        }
        double v = parse_primary(p);
        p->depth--;
        return c == '-' ? -v : v;
    }
    if (isdigit((unsigned char)c) || c == '.')
        return parse_number(p);
    if (isalpha((unsigned char)c) || c == '_') {
        const char *start = p->s;
        while (isalnum((unsigned char)*p->s) || *p->s == '_')
            p->s++;
        char name[64];
        size_t n = (size_t)(p->s - start);
        if (n >= sizeof(name)) {
            perr(p, "name too long: '%.*s'", (int)n, start);
            return 0;
        }
        memcpy(name, start, n);
        name[n] = 0;
        double v = 0;
        if (!p->lookup || p->lookup(p->ctx, name, &v)) {
            perr(p, "unknown variable '%s'", name);
            return 0;
        }
        return v;
    }
    if (!c)
        perr(p, "expression ends early");
    else
        perr(p, "unexpected '%c'", c);
    return 0;
}

static double parse_product(struct parser *p)
{
    double v = parse_primary(p);
    for (;;) {
        skip_space(p);
        char op = *p->s;
        if (op != '*' && op != '/')
            return v;
        p->s++;
        double r = parse_primary(p);
        if (p->failed)
            return 0;
        if (op == '*') {
            v *= r;
        } else {
            if (r == 0) {
                perr(p, "division by zero");
                return 0;
            }
            v /= r;
        }
    }
}

static double parse_sum(struct parser *p)
{
    double v = parse_product(p);
    for (;;) {
        skip_space(p);
        char op = *p->s;
        if (op != '+' && op != '-')
            return v;
        p->s++;
        double r = parse_product(p);
        v = op == '+' ? v + r : v - r;
    }
}

int expr_eval(const char *text, expr_lookup_fn lookup, void *ctx, double *out, char *err,
              size_t errlen)
{
    struct parser p = {.s = text, .lookup = lookup, .ctx = ctx, .err = err, .errlen = errlen};
    double v = parse_sum(&p);
    skip_space(&p);
    if (!p.failed && *p.s)
        perr(&p, "unexpected '%s'", p.s);
    if (!p.failed && !isfinite(v))
        perr(&p, "result is not a finite number");
    if (p.failed)
        return -1;
    *out = v;
    return 0;
}

int expr_uses(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = text; (s = strstr(s, name)) != NULL; s += n) {
        int before = s > text && (isalnum((unsigned char)s[-1]) || s[-1] == '_');
        int after = isalnum((unsigned char)s[n]) || s[n] == '_';
        if (!before && !after)
            return 1;
    }
    return 0;
}
