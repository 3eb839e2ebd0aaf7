#include "clocksync.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000ull
/* Round trips quicker than this are not trusted to be any more precise:
 * the MCU's own reply latency is about that long. */
#define WIDTH_FLOOR_S 10e-6
/* The frequency is measured only once the samples' (weighted) spread in
 * time is this large; before that, the MCU's own reply latency jitter (a
 * few microseconds on the simulated AVR) would give a slope several ppm
 * off, worse than the nominal frequency of a crystal. */
#define MIN_SPREAD_S 1.0
/* A measured frequency further than this from CLOCK_FREQ is not a clock
 * drifting but a fit gone wrong; CLOCK_FREQ is used instead. */
#define MAX_DEVIATION 0.01
/* How far outside its interval a sample's clock may be before it is
 * refused: scheduling noise on a busy host, not worth a restart. */
#define OUTLIER_SLACK_S 500e-6

struct sample {
    uint64_t sent_ns, recv_ns, clock;
};

struct clocksync {
    uint32_t nominal;
    struct sample win[CLOCKSYNC_WINDOW];
    size_t head, count;
    struct sample refused[CLOCKSYNC_MAX_REFUSED];
    size_t nrefused;
    uint64_t last_clock;

    /* The line: clock = c_ref + c_off + freq * (t - t_ref). */
    uint64_t t_ref, c_ref;
    double c_off, freq;

    struct clocksync_stats stats;
};

struct clocksync *clocksync_create(uint32_t nominal_freq)
{
    struct clocksync *cs = calloc(1, sizeof(*cs));
    if (!cs)
        abort();
    cs->nominal = nominal_freq ? nominal_freq : 1;
    clocksync_reset(cs);
    return cs;
}

void clocksync_destroy(struct clocksync *cs)
{
    free(cs);
}

void clocksync_reset(struct clocksync *cs)
{
    cs->head = cs->count = cs->nrefused = 0;
    cs->last_clock = 0;
    cs->t_ref = cs->c_ref = 0;
    cs->c_off = 0;
    cs->freq = cs->nominal;
}

size_t clocksync_samples(const struct clocksync *cs)
{
    return cs->count;
}

const struct clocksync_stats *clocksync_get_stats(const struct clocksync *cs)
{
    return &cs->stats;
}

uint32_t clocksync_nominal_freq(const struct clocksync *cs)
{
    return cs->nominal;
}

double clocksync_freq(const struct clocksync *cs)
{
    return cs->freq;
}

static double sdiff(uint64_t a, uint64_t b)
{
    return (double)(int64_t)(a - b);
}

static void fit(struct clocksync *cs)
{
    const struct sample *newest = &cs->win[(cs->head + cs->count - 1) % CLOCKSYNC_WINDOW];
    cs->t_ref = newest->sent_ns + (newest->recv_ns - newest->sent_ns) / 2;
    cs->c_ref = newest->clock;
    double x[CLOCKSYNC_WINDOW], y[CLOCKSYNC_WINDOW], w[CLOCKSYNC_WINDOW];
    double sw = 0, sx = 0, sy = 0;
    for (size_t i = 0; i < cs->count; i++) {
        const struct sample *s = &cs->win[(cs->head + i) % CLOCKSYNC_WINDOW];
        double width = (double)(s->recv_ns - s->sent_ns) * 1e-9;
        x[i] = (sdiff(s->sent_ns, cs->t_ref) + sdiff(s->recv_ns, cs->t_ref)) * 0.5e-9;
        y[i] = sdiff(s->clock, cs->c_ref);
        w[i] = 1.0 / (width * width + WIDTH_FLOOR_S * WIDTH_FLOOR_S);
        sw += w[i];
        sx += w[i] * x[i];
        sy += w[i] * y[i];
    }
    double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0;
    for (size_t i = 0; i < cs->count; i++) {
        sxx += w[i] * (x[i] - mx) * (x[i] - mx);
        sxy += w[i] * (x[i] - mx) * (y[i] - my);
    }
    double f = cs->nominal;
    if (cs->count >= 3 && sqrt(sxx / sw) >= MIN_SPREAD_S) {
        double measured = sxy / sxx;
        if (fabs(measured / cs->nominal - 1.0) <= MAX_DEVIATION)
            f = measured;
    }
    cs->freq = f;
    cs->c_off = my - f * mx;
}

/* The line at t, in ticks relative to c_ref (fractional). */
static double line_at(const struct clocksync *cs, uint64_t t_ns)
{
    return cs->c_off + cs->freq * sdiff(t_ns, cs->t_ref) * 1e-9;
}

static void push(struct clocksync *cs, const struct sample *s)
{
    if (cs->count == CLOCKSYNC_WINDOW) {
        cs->head = (cs->head + 1) % CLOCKSYNC_WINDOW;
        cs->count--;
    }
    cs->win[(cs->head + cs->count++) % CLOCKSYNC_WINDOW] = *s;
}

static int fits_line(const struct clocksync *cs, const struct sample *s)
{
    double slack = OUTLIER_SLACK_S * cs->nominal;
    double c = sdiff(s->clock, cs->c_ref);
    return c >= line_at(cs, s->sent_ns) - slack && c <= line_at(cs, s->recv_ns) + slack;
}

int clocksync_add(struct clocksync *cs, uint64_t sent_ns, uint64_t recv_ns, uint64_t clock)
{
    if (recv_ns < sent_ns)
        return -1;
    struct sample s = {sent_ns, recv_ns, clock};
    cs->last_clock = clock;
    if (cs->count && !fits_line(cs, &s)) {
        if (cs->nrefused < CLOCKSYNC_MAX_REFUSED) {
            cs->refused[cs->nrefused++] = s;
            cs->stats.refused++;
            return 1;
        }
        /* The refused samples agree with this one, not with the line:
         * they are the better evidence. */
        cs->stats.restarts++;
        cs->head = cs->count = 0;
        for (size_t i = 0; i < cs->nrefused; i++)
            push(cs, &cs->refused[i]);
    }
    cs->nrefused = 0;
    push(cs, &s);
    cs->stats.accepted++;
    fit(cs);
    return 0;
}

static uint64_t from_rel(uint64_t ref, double rel)
{
    double r = nearbyint(rel);
    if (r < 0 && -r >= (double)ref)
        return 0;
    return r < 0 ? ref - (uint64_t)-r : ref + (uint64_t)r;
}

uint64_t clocksync_est_clock(const struct clocksync *cs, uint64_t t_ns)
{
    if (!cs->count)
        return t_ns / NS_PER_SEC * cs->nominal + t_ns % NS_PER_SEC * cs->nominal / NS_PER_SEC;
    return from_rel(cs->c_ref, line_at(cs, t_ns));
}

uint64_t clocksync_clock_to_time(const struct clocksync *cs, uint64_t clock)
{
    uint64_t t;
    if (!cs->count) {
        t = clock / cs->nominal * NS_PER_SEC +
            (clock % cs->nominal * NS_PER_SEC + cs->nominal - 1) / cs->nominal;
    } else {
        double dt = (sdiff(clock, cs->c_ref) - cs->c_off - 0.5) / cs->freq * 1e9;
        t = from_rel(cs->t_ref, ceil(dt));
    }
    /* The inverse in floating point can be a nanosecond off either way;
     * settle it against the forward function so the two agree exactly. */
    for (int i = 0; i < 4 && clocksync_est_clock(cs, t) < clock; i++)
        t++;
    for (int i = 0; i < 4 && t && clocksync_est_clock(cs, t - 1) >= clock; i++)
        t--;
    return t;
}

uint64_t clocksync_last_clock(const struct clocksync *cs)
{
    return cs->last_clock;
}

uint64_t clocksync_clock32_to_64(uint64_t ref, uint32_t clock32)
{
    int32_t delta = (int32_t)(clock32 - (uint32_t)ref);
    if (delta < 0 && (uint64_t) - (int64_t)delta > ref)
        return clock32;
    return ref + (uint64_t)(int64_t)delta;
}

double clocksync_clock_to_print_time(const struct clocksync *cs, uint64_t clock)
{
    return (double)clock / cs->nominal;
}

uint64_t clocksync_print_time_to_clock(const struct clocksync *cs, double print_time)
{
    double c = nearbyint(print_time * cs->nominal);
    if (!(c > 0))
        return 0;
    if (c >= 18446744073709551615.0)
        return UINT64_MAX;
    return (uint64_t)c;
}

double clocksync_est_print_time(const struct clocksync *cs, uint64_t t_ns)
{
    if (!cs->count)
        return (double)(t_ns / NS_PER_SEC) + (double)(t_ns % NS_PER_SEC) * 1e-9;
    return ((double)cs->c_ref + line_at(cs, t_ns)) / cs->nominal;
}
