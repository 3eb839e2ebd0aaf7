/* Internal to step fitting: what its two ways of finding the longest
 * command for one add share (stepfit_direct.c looks at the first steps
 * one by one, stepfit_closed.c works on the closed form). */
#ifndef LOCKSTEP_STEPS_STEPFIT_IMPL_H
#define LOCKSTEP_STEPS_STEPFIT_IMPL_H

#include <math.h>
#include <stdint.h>

#include "stepfit.h"

/* The bounds here are never NaN, so plain comparisons do (fmin/fmax and
 * floor/ceil are library calls on baseline x86-64). */
static inline double dmin(double a, double b)
{
    return a < b ? a : b;
}

static inline double dmax(double a, double b)
{
    return a > b ? a : b;
}

/* floor and ceil for |x| < 2^62; beyond that x only has to compare
 * correctly against interval limits, which are far smaller. */
static inline double dfloor(double x)
{
    if (!(x > -4e18 && x < 4e18))
        return x;
    double t = (double)(int64_t)x;
    return t > x ? t - 1 : t;
}

static inline double dceil(double x)
{
    if (!(x > -4e18 && x < 4e18))
        return x;
    double t = (double)(int64_t)x;
    return t < x ? t + 1 : t;
}

/* The square of an accel piece's speed (steps per tick) at step k. */
static inline double piece_speed2(const struct fit_piece *p, double k)
{
    return p->v * p->v + 2 * p->a * (p->u0 + k);
}

/* Exact time of step k of the command (relative to L). */
static inline double fit_time(const struct fit_piece *p, double k)
{
    if (p->kind == SEG_CRUISE)
        return p->off + p->g * k;
    double u = p->u0 + k;
    double r2 = piece_speed2(p, k);
    double r = sqrt(r2 > 0 ? r2 : 0);
    if (p->ia != 0)
        return p->off + (r - p->v) * p->ia;
    double den = p->v + r;
    return p->off + (den > 0 ? 2 * u / den : 0);
}

/* The time and its first two derivatives in k. Accel pieces have speed
 * > 0 throughout (stepseg.h), so 1/r is finite. */
static inline void fit_time_d(const struct fit_piece *p, double k, double *T, double *T1,
                              double *T2)
{
    if (p->kind == SEG_CRUISE) {
        *T = p->off + p->g * k;
        *T1 = p->g;
        *T2 = 0;
        return;
    }
    double u = p->u0 + k;
    double r2 = piece_speed2(p, k);
    double r = sqrt(r2 > 0 ? r2 : 0);
    if (p->ia != 0)
        *T = p->off + (r - p->v) * p->ia;
    else {
        double den = p->v + r;
        *T = p->off + (den > 0 ? 2 * u / den : 0);
    }
    double ir = 1 / r;
    *T1 = ir;
    *T2 = -p->a * ir * ir * ir;
}

/* What one add achieves. Of the intervals that fit, the largest is
 * taken: the next command then starts after a step as late as the window
 * allows, which (T''' being positive) is the start that lets it run
 * longest. */
struct fit_try {
    uint32_t n;  /* steps that fit */
    int64_t I;   /* the largest interval that fits them */
    int fail;    /* the step after them wants: +1 a larger add, -1 a smaller one */
    int open;    /* every step offered fits */
    double jump; /* estimate of how far the add must move towards fail (0: none) */
    int stuck;   /* moving that far would lose steps that fit now */
    /* Only adds in [need_lo, need_hi] can fit the step that broke along
     * with those before it, so only they can fit more steps (at least
     * those; no bound where -/+INFINITY). */
    double need_lo, need_hi;
};

/* A try of one more add begins: counted, with nothing known yet of the
 * step that breaks. */
static inline void fit_try_begin(struct fit_try *r)
{
    stepfit_stats.fitA++;
    r->fail = 0;
    r->open = 0;
    r->jump = 0;
    r->stuck = 0;
    r->need_lo = -INFINITY;
    r->need_hi = INFINITY;
}

/* The clock of the last of n steps of (I, A), relative to L: of two
 * equally long commands the one ending later leaves its last step later
 * in the same window (stepfit.h). Exact in int64 for any command the MCU
 * takes. */
static inline int64_t last_clock(uint32_t n, int64_t I, int A)
{
    return (int64_t)n * I + (int64_t)A * ((int64_t)n * (n - 1) / 2);
}

/* Looking at the first steps directly. */
#define DIRECT_STEPS FIT_DIRECT_STEPS

struct fit_direct {
    int K;      /* steps it may look at */
    int loaded; /* steps loaded so far */
    int piece;  /* where loading goes on */
    uint32_t j;
    double before, E, E4;
    const struct fit_input *in;
    /* S+-(k) for add 0, (T(k) +- E)/(k+1): an add only shifts them */
    double Sp[DIRECT_STEPS], Sm[DIRECT_STEPS];
    double D[DIRECT_STEPS];  /* spacing rule: interval k >= D[k] (-inf: cannot bind) */
    double D1[DIRECT_STEPS]; /* max(D[k], 1): and at least a tick */
};

/* What the windows of the first steps allow the add, on their own
 * (fit_direct_bounds): no add fits more than n steps, and only adds in
 * [lo, hi] can fit n, only those in [lo1, hi1] n - 1. Leaving out the
 * spacing rule, the interval limits and some pairs of steps (below)
 * only widens these, so they hold for fit_direct_try. */
struct add_bounds {
    int n;
    double lo, hi;
    double lo1, hi1;
};
/* Steps bounded; up to BOUND_ALL_PAIRS every pair of them is looked at,
 * beyond only the pairs that bound the add at the step before. */
#define BOUND_STEPS 24
#define BOUND_ALL_PAIRS 12

void fit_direct_init(const struct fit_input *in, struct fit_direct *d);
void fit_direct_bounds(struct fit_direct *d, struct add_bounds *b);
void fit_direct_try(struct fit_direct *d, int A, struct fit_try *r);
/* The same, one step at a time with every rule spelt out: what
 * fit_direct_try falls back on where the largest interval may bind, and
 * what tests hold it against. */
void fit_direct_try_general(struct fit_direct *d, int A, struct fit_try *r);
/* When no add fits the first three steps: the best command of one or two
 * steps, found without a search (1); else 0. */
int fit_direct_short(struct fit_direct *d, struct fit_result *out);

/* The closed form: every step of the input. */
void fit_closed_try(struct fit_input *in, int A, struct fit_try *r);

#endif
