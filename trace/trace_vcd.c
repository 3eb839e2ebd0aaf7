#include "trace_vcd.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define MAX_EXP 15 /* 1 fs, VCD's finest unit */
#define MIN_UNITS_PER_TICK 100
#define PULSE_US 2 /* a step pulse's width when edges are further apart */
#define NO_TIME UINT64_MAX

static uint64_t pow10u(int k)
{
    uint64_t v = 1;
    while (k-- > 0)
        v *= 10;
    return v;
}

struct trace_vcd_timescale trace_vcd_timescale(uint64_t freq)
{
    for (int k = 0; k <= MAX_EXP; k++) {
        uint64_t u = pow10u(k);
        if (u / freq >= MIN_UNITS_PER_TICK && u % freq == 0)
            return (struct trace_vcd_timescale){k, u / freq};
    }
    int k = pow10u(12) / freq >= MIN_UNITS_PER_TICK ? 12 : MAX_EXP;
    return (struct trace_vcd_timescale){k, 0};
}

uint64_t trace_vcd_time(const struct trace_vcd_timescale *ts, uint64_t freq, uint64_t tick)
{
    if (ts->per_tick)
        return tick * ts->per_tick;
    /* round(tick * 10^exp / freq) without a 128-bit product: whole
     * seconds, then the remainder's decimal digits one at a time (the
     * remainder stays below freq, so times ten fits). */
    uint64_t r = tick % freq, frac = 0;
    for (int i = 0; i < ts->exp; i++) {
        r *= 10;
        frac = frac * 10 + r / freq;
        r %= freq;
    }
    if (2 * r >= freq)
        frac++;
    return tick / freq * pow10u(ts->exp) + frac;
}

/* One stepper's step wire: the next edge from the runs, and the fall of
 * the pulse now high. */
struct pulse {
    struct trace_edges edges;
    bool has_next, high;
    uint64_t next_time, fall_time;
    int next_dir, dir; /* dir 0: not written yet */
};

struct writer {
    const struct trace *tr;
    FILE *out;
    struct trace_vcd_timescale ts;
    uint64_t pulse_units; /* PULSE_US in units, at least one */
    bool strings;
    uint64_t now; /* the timestamp written last, NO_TIME before the first */
    struct trace_vcd_stats stats;
    struct pulse pulse[TRACE_MAX_STEPPERS];
    /* Identifier codes of the variables, by what they show. */
    unsigned step[TRACE_MAX_STEPPERS], dir[TRACE_MAX_STEPPERS], enable[TRACE_MAX_STEPPERS],
        endstop[TRACE_MAX_STEPPERS];
    unsigned duty[TRACE_MAX_HEATERS], temp[TRACE_MAX_HEATERS], target[TRACE_MAX_HEATERS];
    unsigned fan, line, answer, error, shutdown, fault, fault_spec, reset, model_error,
        model_error_text, wire_released;
    unsigned nvars;
};

/* Codes are words over the printable characters '!' to '~', shortest
 * first. */
static const char *code(unsigned id, char buf[8])
{
    size_t n = 0;
    do {
        buf[n++] = (char)('!' + id % 94);
        id /= 94;
    } while (id && n < 7);
    buf[n] = 0;
    return buf;
}

static void var(struct writer *w, const char *type, int width, const char *name, unsigned *id)
{
    char c[8];
    *id = w->nvars++;
    fprintf(w->out, "$var %s %d %s %s $end\n", type, width, code(*id, c), name);
}

static void scope(struct writer *w, const char *name)
{
    fprintf(w->out, "$scope module %s $end\n", name);
}

static void upscope(struct writer *w)
{
    fputs("$upscope $end\n", w->out);
}

static void declare(struct writer *w)
{
    const struct trace *tr = w->tr;
    scope(w, "printer");
    scope(w, "steppers");
    for (size_t i = 0; i < tr->nsteppers; i++) {
        const struct trace_stepper *s = &tr->steppers[i];
        scope(w, s->name);
        var(w, "wire", 1, "step", &w->step[i]);
        var(w, "wire", 1, "dir", &w->dir[i]);
        var(w, "wire", 1, "enable", &w->enable[i]);
        if (s->has_endstop)
            var(w, "wire", 1, "endstop", &w->endstop[i]);
        upscope(w);
    }
    upscope(w);
    scope(w, "heaters");
    for (size_t i = 0; i < tr->nheaters; i++) {
        const struct trace_heater *h = &tr->heaters[i];
        scope(w, h->name);
        if (h->has_duty)
            var(w, "real", 64, "duty", &w->duty[i]);
        var(w, "real", 64, "temp", &w->temp[i]);
        if (h->has_target)
            var(w, "real", 64, "target", &w->target[i]);
        upscope(w);
    }
    upscope(w);
    if (tr->has_fan) {
        scope(w, "fan");
        var(w, "real", 64, "duty", &w->fan);
        upscope(w);
    }
    scope(w, "host");
    var(w, "integer", 32, "line", &w->line);
    var(w, "event", 1, "error", &w->error);
    var(w, "event", 1, "shutdown", &w->shutdown);
    var(w, "event", 1, "fault", &w->fault);
    var(w, "event", 1, "reset", &w->reset);
    var(w, "event", 1, "model_error", &w->model_error);
    var(w, "event", 1, "wire_released", &w->wire_released);
    if (w->strings) {
        var(w, "string", 1, "answer", &w->answer);
        var(w, "string", 1, "fault_spec", &w->fault_spec);
        var(w, "string", 1, "model_error_text", &w->model_error_text);
    }
    upscope(w);
    upscope(w);
    fputs("$enddefinitions $end\n", w->out);
}

/* Comment text must not end the comment early. */
static void comment_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == '$' ? '?' : *s, out);
}

static const char *const unit_names[] = {"1s",  "100ms", "10ms", "1ms", "100us", "10us",
                                         "1us", "100ns", "10ns", "1ns", "100ps", "10ps",
                                         "1ps", "100fs", "10fs", "1fs"};

const char *trace_vcd_unit(const struct trace_vcd_timescale *ts)
{
    return unit_names[ts->exp];
}

static void header(struct writer *w)
{
    const struct trace *tr = w->tr;
    /* No $date: the same trace gives the same file. */
    fputs("$version lockstep trace export $end\n$comment\n  lockstep trace format 2", w->out);
    if (tr->scenario[0]) {
        fputs(", scenario ", w->out);
        comment_text(w->out, tr->scenario);
    }
    if (tr->kinematics[0]) {
        fputs(", kinematics ", w->out);
        comment_text(w->out, tr->kinematics);
    }
    if (tr->hash[0]) {
        fputs(", record hash ", w->out);
        comment_text(w->out, tr->hash);
    }
    fprintf(w->out, ".\n  MCU clock %" PRIu64 " Hz: a tick is ", tr->freq);
    if (w->ts.per_tick)
        fprintf(w->out, "%" PRIu64 " units exactly", w->ts.per_tick);
    else
        fputs("not a whole number of units: times are rounded to the nearest unit", w->out);
    fprintf(w->out,
            ".\n  step: a pulse per step edge, high at the edge for %" PRIu64
            " units or half the time to the stepper's next edge if that is shorter.\n"
            "  dir 1: towards + on the rail. enable 1: driver on. endstop 1: switch closed.\n"
            "  duty 0..1, temp and target in C. docs/trace-format.md, VCD export.\n$end\n",
            w->pulse_units);
    fprintf(w->out, "$timescale %s $end\n", unit_names[w->ts.exp]);
}

static void at(struct writer *w, uint64_t t)
{
    if (t != w->now) {
        fprintf(w->out, "#%" PRIu64 "\n", t);
        w->now = t;
    }
    w->stats.changes++;
}

static void bit(struct writer *w, uint64_t t, char v, unsigned id)
{
    char c[8];
    at(w, t);
    fprintf(w->out, "%c%s\n", v, code(id, c));
}

static void real(struct writer *w, uint64_t t, double v, unsigned id)
{
    char c[8];
    at(w, t);
    /* Ten digits give back the trace's own decimals. */
    fprintf(w->out, "r%.10g %s\n", v, code(id, c));
}

static void integer(struct writer *w, uint64_t t, uint32_t v, unsigned id)
{
    char c[8], b[33];
    int n = 0;
    do {
        b[n++] = (char)('0' + (v & 1));
        v >>= 1;
    } while (v);
    at(w, t);
    fputc('b', w->out);
    while (n)
        fputc(b[--n], w->out);
    fprintf(w->out, " %s\n", code(id, c));
}

/* GTKWave's string values are one word: blanks and anything unprintable
 * become '_'. */
static void string(struct writer *w, uint64_t t, const char *s, unsigned id)
{
    char c[8];
    if (!w->strings)
        return;
    at(w, t);
    fputc('s', w->out);
    if (!*s)
        fputc('_', w->out);
    for (; *s; s++)
        fputc(*s > ' ' && *s <= '~' ? *s : '_', w->out);
    fprintf(w->out, " %s\n", code(id, c));
}

static void dumpvars(struct writer *w)
{
    const struct trace *tr = w->tr;
    char c[8];
    fputs("#0\n$dumpvars\n", w->out);
    w->now = 0;
    for (size_t i = 0; i < tr->nsteppers; i++) {
        /* The trace has rising edges only: the pin rests low. Direction
         * and enable are unknown until the trace says. */
        fprintf(w->out, "0%s\n", code(w->step[i], c));
        fprintf(w->out, "x%s\n", code(w->dir[i], c));
        fprintf(w->out, "x%s\n", code(w->enable[i], c));
        if (tr->steppers[i].has_endstop)
            fprintf(w->out, "x%s\n", code(w->endstop[i], c));
    }
    fprintf(w->out, "bx %s\n$end\n", code(w->line, c));
}

static void event(struct writer *w, const struct trace_event *ev)
{
    const struct trace *tr = w->tr;
    uint64_t t = trace_vcd_time(&w->ts, tr->freq, ev->tick);
    const char *text = trace_event_text(tr, ev);
    switch (ev->kind) {
    case TRACE_ENABLE:
        bit(w, t, ev->on ? '1' : '0', w->enable[ev->who]);
        break;
    case TRACE_ENDSTOP:
        bit(w, t, ev->on ? '1' : '0', w->endstop[ev->who]);
        break;
    case TRACE_DUTY:
        real(w, t, ev->value, ev->who == TRACE_FAN ? w->fan : w->duty[ev->who]);
        break;
    case TRACE_TEMP:
        real(w, t, ev->value, w->temp[ev->who]);
        if (!isnan(ev->target))
            real(w, t, ev->target, w->target[ev->who]);
        break;
    case TRACE_LINE:
        integer(w, t, ev->gcode_line, w->line);
        break;
    case TRACE_ANSWER:
        string(w, t, text, w->answer);
        if (!strncmp(text, "!!", 2))
            bit(w, t, '1', w->error);
        if (trace_answer_is_shutdown(text))
            bit(w, t, '1', w->shutdown);
        break;
    case TRACE_SHUTDOWN:
        bit(w, t, '1', w->shutdown);
        break;
    case TRACE_FAULT:
        string(w, t, text, w->fault_spec);
        bit(w, t, '1', w->fault);
        break;
    case TRACE_RESET:
        bit(w, t, '1', w->reset);
        break;
    case TRACE_MODEL_ERROR:
        string(w, t, text, w->model_error_text);
        bit(w, t, '1', w->model_error);
        break;
    case TRACE_WIRE:
        bit(w, t, '1', w->wire_released);
        break;
    }
}

static void next_edge(struct writer *w, struct pulse *p)
{
    uint64_t tick;
    p->has_next = trace_edges_next(&p->edges, &tick, &p->next_dir);
    if (p->has_next)
        p->next_time = trace_vcd_time(&w->ts, w->tr->freq, tick);
}

static void rise(struct writer *w, size_t i)
{
    struct pulse *p = &w->pulse[i];
    uint64_t t = p->next_time;
    if (p->next_dir != p->dir) {
        bit(w, t, p->next_dir > 0 ? '1' : '0', w->dir[i]);
        p->dir = p->next_dir;
    }
    bit(w, t, '1', w->step[i]);
    w->stats.edges++;
    next_edge(w, p);
    uint64_t width = w->pulse_units;
    if (p->has_next && (p->next_time - t) / 2 < width)
        width = (p->next_time - t) / 2;
    p->high = true;
    p->fall_time = t + width;
}

/* Every change in time order: a k-way merge of the steppers' pulses and
 * the events, picking the earliest each time (at equal times: falls,
 * then events, then rises, each by stepper). The steppers are few, so a
 * scan beats a heap. */
static void changes(struct writer *w)
{
    const struct trace *tr = w->tr;
    size_t ev = 0;
    for (size_t i = 0; i < tr->nsteppers; i++) {
        trace_edges_start(&w->pulse[i].edges, &tr->steppers[i]);
        next_edge(w, &w->pulse[i]);
    }
    for (;;) {
        uint64_t best = NO_TIME;
        int cls = 3;
        size_t who = 0;
        for (size_t i = 0; i < tr->nsteppers; i++) {
            const struct pulse *p = &w->pulse[i];
            if (p->high && p->fall_time < best) {
                best = p->fall_time;
                cls = 0;
                who = i;
            }
        }
        if (ev < tr->nevents) {
            uint64_t t = trace_vcd_time(&w->ts, tr->freq, tr->events[ev].tick);
            if (t < best || (t == best && cls > 1)) {
                best = t;
                cls = 1;
            }
        }
        for (size_t i = 0; i < tr->nsteppers; i++) {
            const struct pulse *p = &w->pulse[i];
            if (!p->high && p->has_next && p->next_time < best) {
                best = p->next_time;
                cls = 2;
                who = i;
            }
        }
        if (cls == 0) {
            bit(w, best, '0', w->step[who]);
            w->pulse[who].high = false;
        } else if (cls == 1) {
            event(w, &tr->events[ev++]);
        } else if (cls == 2) {
            rise(w, who);
        } else {
            break;
        }
    }
}

/* The last time written must fit 64 bits. */
static int check_range(struct writer *w, char *err, size_t errlen)
{
    uint64_t per_second = pow10u(w->ts.exp);
    uint64_t seconds = w->tr->last_tick / w->tr->freq + 1;
    if (seconds > (UINT64_MAX - w->pulse_units) / per_second) {
        snprintf(err, errlen,
                 "the trace lasts %" PRIu64 " s or more: too long for 64-bit VCD times in %s units",
                 seconds - 1, unit_names[w->ts.exp]);
        return -1;
    }
    return 0;
}

int trace_vcd_write(const struct trace *tr, FILE *out, const struct trace_vcd_options *opt,
                    struct trace_vcd_stats *stats, char *err, size_t errlen)
{
    struct writer wr = {.tr = tr, .out = out, .strings = !(opt && opt->no_strings)};
    struct writer *w = &wr;
    w->ts = trace_vcd_timescale(tr->freq);
    w->pulse_units = w->ts.exp >= 6 ? PULSE_US * pow10u(w->ts.exp - 6) : 1;
    if (check_range(w, err, errlen))
        return -1;
    header(w);
    declare(w);
    dumpvars(w);
    changes(w);
    /* Close with the trace's last tick, so that a viewer shows all of it
     * (temperatures and answers after the last change). */
    uint64_t end = trace_vcd_time(&w->ts, tr->freq, tr->last_tick);
    if (end > w->now)
        fprintf(out, "#%" PRIu64 "\n", w->now = end);
    w->stats.end_time = w->now;
    if (stats)
        *stats = w->stats;
    if (fflush(out) || ferror(out)) {
        snprintf(err, errlen, "cannot write the VCD: %s", strerror(errno));
        return -1;
    }
    return 0;
}
