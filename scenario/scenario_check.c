/* A scenario on the twin: the G-code line by line, the engine's answers
 * kept with their line and time, heater temperatures followed every 0.1 s
 * of simulated time for the expectations that need them; then every
 * expectation judged against the run. Any "!!" answer that no expectation
 * names fails the scenario too: errors are never silently fine. */
#include "scenario_check.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "twin_run.h"

struct answer {
    unsigned long line;
    double time;
    char *text;
};

/* What the run saw, for the expectations. */
struct watch {
    const struct scenario *s;
    struct twin_run *r;
    struct answer *answers;
    size_t nanswers, cap;
    bool oom;
    double shutdown_time; /* < 0: none */
    /* Per expectation: reach: when first at or above; hold: the worst
     * deviation since its start, and when. */
    double reached[SCN_MAX_EXPECT], worst[SCN_MAX_EXPECT], worst_at[SCN_MAX_EXPECT];
    double last_time;
};

static void on_answer(void *ctx, const char *text)
{
    struct watch *w = ctx;
    if (!w->r)
        return; /* while connecting: nothing expected of it */
    double t = twin_time(twin_run_twin(w->r));
    if (w->shutdown_time < 0 && engine_shutdown_reason(twin_run_engine(w->r)))
        w->shutdown_time = t;
    if (w->nanswers == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct answer *a = realloc(w->answers, cap * sizeof(*a));
        if (!a) {
            w->oom = true;
            return;
        }
        w->answers = a;
        w->cap = cap;
    }
    char *copy = strdup(text);
    if (!copy) {
        w->oom = true;
        return;
    }
    w->answers[w->nanswers++] =
        (struct answer){.line = twin_run_current_line(w->r), .time = t, .text = copy};
}

static void on_progress(void *ctx, const struct twin_progress *p)
{
    struct watch *w = ctx;
    if (!w->r)
        return;
    w->last_time = p->sim_time;
    for (size_t i = 0; i < w->s->nexpect; i++) {
        const struct scn_expect *x = &w->s->expect[i];
        if (x->kind != SCN_REACH && x->kind != SCN_HOLD)
            continue;
        double c = twin_heater_temp(twin_run_twin(w->r), x->name);
        if (isnan(c))
            continue;
        if (x->kind == SCN_REACH && w->reached[i] < 0 && c >= x->value)
            w->reached[i] = p->sim_time;
        if (x->kind == SCN_HOLD && p->sim_time >= x->time && fabs(c - x->value) > w->worst[i]) {
            w->worst[i] = fabs(c - x->value);
            w->worst_at[i] = p->sim_time;
        }
    }
}

/* The shutdown reason as expected: in full, or the MCU's own words. */
static bool same_reason(const char *reason, const char *want)
{
    const char *mcu = strstr(reason, "shutdown: ");
    return !strcmp(reason, want) || (mcu && !strcmp(mcu + strlen("shutdown: "), want));
}

/* Does expectation x name this "!!" answer (so it is not unexpected)? */
static bool names_error(const struct scn_expect *x, const struct answer *a)
{
    switch (x->kind) {
    case SCN_ANSWER:
        return x->gcode_line == a->line && !strcmp(x->text, a->text);
    case SCN_ERROR:
        return !strcmp(a->text + 3, x->text);
    case SCN_SHUTDOWN:
        return same_reason(a->text + 3, x->text);
    default:
        return false;
    }
}

static int judge(const struct scenario *s, const struct watch *w, const struct twin_run_result *res,
                 FILE *out)
{
    const struct twin_report *r = &res->report;
    int failed = 0;
#define FAILED(x, ...)                                                                             \
    do {                                                                                           \
        fprintf(out, "%s:%u: ", s->path, (x)->line);                                               \
        fprintf(out, __VA_ARGS__);                                                                 \
        fputc('\n', out);                                                                          \
        failed++;                                                                                  \
    } while (0)
    for (size_t i = 0; i < s->nexpect; i++) {
        const struct scn_expect *x = &s->expect[i];
        switch (x->kind) {
        case SCN_POSITION:
            for (int a = 0; a < 3; a++) {
                if (!(x->has_pos & (1u << a)))
                    continue;
                char name[16];
                snprintf(name, sizeof(name), "stepper_%c", "xyz"[a]);
                const struct twin_stepper_report *st = twin_report_stepper(r, name);
                if (!st)
                    FAILED(x, "expect position %c=%.4f: the printer has no %s", "XYZ"[a],
                           x -> pos[a], name);
                else if (fabs(st->actual_mm - x->pos[a]) > st->mm_per_step * 1.001)
                    FAILED(x, "expect position %c=%.4f: the carriage is at %.4f mm", "XYZ"[a],
                           x -> pos[a], st -> actual_mm);
            }
            break;
        case SCN_REACH:
            if (w->reached[i] < 0 || w->reached[i] > x->time) {
                const struct twin_heater_report *h = twin_report_heater(r, x->name);
                double c = h ? h->block : NAN;
                if (w->reached[i] < 0)
                    FAILED(
                        x,
                        "expect reach %s %.1f by %.1f: never reached (%.2f C at the end, %.1f s)",
                        x->name, x->value, x->time, c, r->time);
                else
                    FAILED(x, "expect reach %s %.1f by %.1f: reached at %.1f s", x->name, x->value,
                           x->time, w->reached[i]);
            }
            break;
        case SCN_HOLD:
            if (w->last_time < x->time)
                FAILED(x, "expect hold %s %.1f +-%.2f from %.1f: the run ended at %.1f s", x->name,
                       x->value, x->band, x->time, w->last_time);
            else if (w->worst[i] > x->band)
                FAILED(x, "expect hold %s %.1f +-%.2f from %.1f: %.2f C off at %.1f s", x->name,
                       x->value, x->band, x->time, w->worst[i], w->worst_at[i]);
            break;
        case SCN_SHUTDOWN:
            if (!res->shutdown)
                FAILED(x, "expect shutdown %s: the printer did not shut down", x->text);
            else if (!same_reason(res->shutdown_reason, x->text))
                FAILED(x, "expect shutdown %s: it shut down with '%s'", x->text,
                       res->shutdown_reason);
            else if (x->time >= 0 && w->shutdown_time > x->time)
                FAILED(x, "expect shutdown %s by %.2f: it came at %.2f s", x->text, x->time,
                       w->shutdown_time);
            break;
        case SCN_ANSWER: {
            bool found = false, any = false;
            const char *first = NULL;
            for (size_t k = 0; k < w->nanswers && !found; k++) {
                if (w->answers[k].line != x->gcode_line)
                    continue;
                any = true;
                found = !strcmp(w->answers[k].text, x->text);
                if (!first && strcmp(w->answers[k].text, "ok"))
                    first = w->answers[k].text;
            }
            if (!found)
                FAILED(x, "expect answer %lu '%s': %s%s%s", x->gcode_line, x->text,
                       any ? "it was answered '" : "the line was not run",
                       any ? (first ? first : "ok") : "", any ? "'" : "");
            break;
        }
        case SCN_ERROR: {
            bool found = false;
            for (size_t k = 0; k < w->nanswers && !found; k++)
                found = !strncmp(w->answers[k].text, "!! ", 3) &&
                        !strcmp(w->answers[k].text + 3, x->text);
            if (!found)
                FAILED(x, "expect error '%s': no line was answered with it", x->text);
            break;
        }
        case SCN_STEP_LATE: {
            const struct twin_schedule_stats *sc = &r->schedule;
            if (!sc->watching)
                FAILED(x, "expect step-late %lld: step times were not checked (%s)",
                       (long long)x->count, sc->why_not);
            else if (sc->unexpected)
                FAILED(x, "expect step-late %lld: %llu step edges that no command scheduled",
                       (long long)x->count, (unsigned long long)sc->unexpected);
            else if (sc->checked && sc->max_late > x->count)
                FAILED(x, "expect step-late %lld: %s stepped %lld ticks late at %.6f s",
                       (long long)x->count, sc->worst, (long long)sc->max_late, sc->worst_time);
            break;
        }
        case SCN_LOST:
            if (!x->name[0]) {
                for (size_t k = 0; k < r->nsteppers; k++)
                    if (r->steppers[k].motor.lost)
                        FAILED(x, "expect lost none: %s lost %lld microsteps in %llu slips",
                               r->steppers[k].name, (long long)r->steppers[k].motor.lost,
                               (unsigned long long)r->steppers[k].motor.slips);
            } else {
                const struct twin_stepper_report *st = twin_report_stepper(r, x->name);
                if (!st)
                    FAILED(x, "expect lost %s: the printer has no such stepper", x->name);
                else if (st->motor.lost != x->count)
                    FAILED(x, "expect lost %s %lld: it lost %lld microsteps", x->name,
                           (long long)x->count, (long long)st->motor.lost);
            }
            break;
        }
    }
    for (size_t k = 0; k < w->nanswers; k++) {
        const struct answer *a = &w->answers[k];
        if (strncmp(a->text, "!! ", 3))
            continue;
        bool named = false;
        for (size_t i = 0; i < s->nexpect && !named; i++)
            named = names_error(&s->expect[i], a);
        if (!named) {
            fprintf(out, "%s: G-code line %lu at %.3f s: unexpected '%s'\n", s->path, a->line,
                    a->time, a->text);
            failed++;
        }
    }
#undef FAILED
    return failed;
}

int scenario_check(const struct scenario *s, const char *trace_path, FILE *out, char *err,
                   size_t errlen)
{
    struct watch *w = calloc(1, sizeof(*w));
    struct twin_run_result *res = calloc(1, sizeof(*res));
    if (!w || !res) {
        free(w);
        free(res);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->s = s;
    w->shutdown_time = -1;
    for (size_t i = 0; i < SCN_MAX_EXPECT; i++)
        w->reached[i] = -1;
    const char *faults[SCN_MAX_FAULTS];
    for (size_t i = 0; i < s->nfaults; i++)
        faults[i] = s->faults[i];
    struct twin_run_opts o;
    memset(&o, 0, sizeof(o));
    twin_opts_init(&o.twin);
    o.twin.config_path = s->printer;
    o.twin.backend = s->backend;
    o.twin.seed = s->seed;
    o.twin.trace_path = trace_path;
    o.twin.title = s->name;
    o.faults = faults;
    o.nfaults = s->nfaults;
    o.respond = on_answer;
    o.respond_ctx = w;
    o.progress = on_progress;
    o.progress_ctx = w;
    int rc = -1;
    w->r = NULL;
    struct twin_run *r = twin_run_open(&o, err, errlen);
    if (!r)
        goto out;
    w->r = r;
    int failed = 0;
    const char *p = s->gcode;
    /* Lines after a shutdown run too: the engine refuses them with the
     * shutdown reason, and FIRMWARE_RESTART can bring the printer back. */
    while (*p) {
        size_t n = strcspn(p, "\n");
        char line[1024];
        snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), p);
        if (twin_run_line(r, line, err, errlen) < 0) {
            failed = -1;
            break;
        }
        p += n + (p[n] == '\n');
    }
    char ferr[512];
    int frc = twin_run_finish(r, res, ferr, sizeof(ferr));
    w->r = NULL;
    if (failed < 0 || frc) {
        if (!failed)
            snprintf(err, errlen, "%s", ferr);
        goto out;
    }
    if (w->oom) {
        snprintf(err, errlen, "out of memory for the answers");
        goto out;
    }
    w->r = NULL; /* freed by twin_run_finish */
    rc = judge(s, w, res, out) ? 1 : 0;
out:
    for (size_t k = 0; k < w->nanswers; k++)
        free(w->answers[k].text);
    free(w->answers);
    free(w);
    free(res);
    return rc;
}
