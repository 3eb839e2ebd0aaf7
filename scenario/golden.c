/* Trace comparison (golden.h). Comments are left out because they name
 * paths and versions that differ between checkouts without the hardware
 * doing anything different; every other line must be equal, in order. */
#include "golden.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct trace_reader {
    FILE *f;
    char *line;
    size_t cap;
    unsigned long lineno;
    unsigned long gcode_line; /* the last "line N" record read */
    uint64_t freq;
};

/* The next line that is not a comment, or NULL at the end. */
static const char *next_line(struct trace_reader *t)
{
    ssize_t n;
    while ((n = getline(&t->line, &t->cap, t->f)) >= 0) {
        t->lineno++;
        t->line[strcspn(t->line, "\r\n")] = 0;
        if (t->line[0] == '#')
            continue;
        unsigned long long tick, g;
        unsigned long long freq;
        if (sscanf(t->line, "freq %llu", &freq) == 1)
            t->freq = freq;
        else if (sscanf(t->line, "%llu line %llu", &tick, &g) == 2)
            t->gcode_line = (unsigned long)g;
        return t->line;
    }
    return NULL;
}

/* "stepper_x" from "123 step stepper_x + ...", "header" for a header. */
static void channel(const char *line, char *out, size_t cap)
{
    char kind[32] = "", name[64] = "";
    unsigned long long tick;
    if (sscanf(line, "%llu %31s %63s", &tick, kind, name) >= 2) {
        if (!strcmp(kind, "answer") || !strcmp(kind, "line"))
            snprintf(out, cap, "G-code answers");
        else if (!strcmp(kind, "step") || !strcmp(kind, "enable") || !strcmp(kind, "endstop") ||
                 !strcmp(kind, "temp") || !strcmp(kind, "duty"))
            snprintf(out, cap, "%s (%s)", name, kind);
        else
            snprintf(out, cap, "%s", kind);
    } else {
        snprintf(out, cap, "the header");
    }
}

static double line_time(const char *line, uint64_t freq, int *ok)
{
    unsigned long long tick;
    *ok = freq && sscanf(line, "%llu ", &tick) == 1 && line[0] >= '0' && line[0] <= '9';
    return *ok ? (double)tick / (double)freq : 0;
}

int golden_compare(const char *expected_path, const char *actual_path, char *desc, size_t desclen)
{
    struct trace_reader e = {0}, a = {0};
    e.f = fopen(expected_path, "r");
    if (!e.f) {
        snprintf(desc, desclen, "cannot read the golden trace '%s': %s", expected_path,
                 strerror(errno));
        return -1;
    }
    a.f = fopen(actual_path, "r");
    if (!a.f) {
        snprintf(desc, desclen, "cannot read the trace '%s': %s", actual_path, strerror(errno));
        fclose(e.f);
        return -1;
    }
    int rc = 0;
    for (;;) {
        const char *le = next_line(&e), *la = next_line(&a);
        if (!le && !la)
            break;
        if (le && la && !strcmp(le, la))
            continue;
        rc = 1;
        char ch[96];
        channel(le ? le : la, ch, sizeof(ch));
        int ok_e = 0, ok_a = 0;
        double te = le ? line_time(le, e.freq, &ok_e) : 0,
               ta = la ? line_time(la, a.freq, &ok_a) : 0;
        double t = ok_e && ok_a ? (te < ta ? te : ta) : ok_e ? te : ta;
        int n = snprintf(desc, desclen, "first difference in %s", ch);
        if ((ok_e || ok_a) && n > 0 && (size_t)n < desclen)
            n += snprintf(desc + n, desclen - (size_t)n, " at %.6f s", t);
        if (a.gcode_line && n > 0 && (size_t)n < desclen)
            n += snprintf(desc + n, desclen - (size_t)n, ", G-code line %lu the last begun",
                          a.gcode_line);
        if (n > 0 && (size_t)n < desclen)
            snprintf(desc + n, desclen - (size_t)n,
                     " (golden line %lu, trace line %lu):\n  expected: %s\n  actual:   %s",
                     e.lineno, a.lineno, le ? le : "(the golden trace ends here)",
                     la ? la : "(the trace ends here)");
        break;
    }
    free(e.line);
    free(a.line);
    fclose(e.f);
    fclose(a.f);
    return rc;
}
