#include "stepfit.h"

#include <math.h>
#include <string.h>

#include "stepfit_impl.h"

_Thread_local struct stepfit_stats stepfit_stats;

static int clamp_add(double a)
{
    if (!(a > -32768))
        return -32768;
    if (!(a < 32767))
        return 32767;
    return (int)dfloor(a + 0.5);
}

/* x^(1/3) for x > 0, to about 1e-4: a guess from the exponent bits, then
 * one Halley step. The prediction needs no more, and is on the critical
 * path of every fit (libm's cbrt, or Newton steps that divide, cost as
 * much as a whole short fit). */
static double cbrt_pos(double x)
{
    if (!(x < 1e18))
        return 1e6;
    uint64_t b;
    memcpy(&b, &x, sizeof(b));
    b = b / 3 + UINT64_C(0x2A9F7893782DA1CE);
    double y;
    memcpy(&y, &b, sizeof(y));
    double y3 = y * y * y;
    return y * (y3 + x + x) / (y3 + y3 + x);
}

/* At a standstill: as sharp a bend as an add can be. */
static int standstill_add(const struct fit_piece *p)
{
    return p->a > 0 ? -32768 : 32767;
}

/* The add to start from. Locally T is a cubic with T''' > 0, and a
 * quadratic stays within E of it over about D = (24E/T''')^(1/3) steps
 * (the minimax error of a quadratic over h steps is T''' h^3 / 192).
 * A command runs about 1.2 D steps (measured on synthetic prints: it
 * starts after a step left early), and the add the search settles on is
 * the curvature T'' about 0.8 D steps in rather than in its middle: T''
 * grows along a piece, and of equally long commands the search keeps the
 * one with the latest last step, which takes the larger add. On the
 * corpus's sliced prints that start is the final add of 65 % of the
 * commands longer than the bounded steps (stepfit_best), against 46 %
 * from D/2. On an accel piece, with r the speed in steps per tick,
 * T'' = -a/r^3 and T''' = 3a^2/r^5, so D^3 = 8E r^5/a^2. */
static int predict_add(const struct fit_input *in, double *span)
{
    const struct fit_piece *p = &in->p[0];
    *span = INFINITY;
    if (p->kind != SEG_ACCEL)
        return 0;
    double r2 = piece_speed2(p, 0);
    if (!(r2 > 0)) {
        *span = 0;
        return standstill_add(p);
    }
    double ia = p->ia != 0 ? p->ia : 1 / p->a;
    double D = cbrt_pos(8 * in->E * r2 * r2 * sqrt(r2) * ia * ia);
    *span = 1.2 * D;
    double km = 0.8 * D;
    if (km > in->total - 1.0)
        km = in->total - 1.0;
    int i = 0;
    while (i + 1 < in->np && in->p[i + 1].ka <= km)
        i++;
    p = &in->p[i];
    if (p->kind != SEG_ACCEL)
        return 0;
    double kb = (double)p->ka + p->n - 1;
    double rk2 = piece_speed2(p, km < kb ? km : kb);
    if (!(rk2 > 0))
        return standstill_add(p);
    return clamp_add(-p->a / (rk2 * sqrt(rk2)));
}

struct add_range {
    int lo, hi;
};

/* Every add a queue_step can carry. */
static const struct add_range any_add = {-32768, 32767};

struct search {
    struct fit_input *in;
    struct fit_direct *d; /* look at the first steps, or (NULL) the closed form */
};

static void try_add(const struct search *s, int A, struct fit_try *r)
{
    if (s->d)
        fit_direct_try(s->d, A, r);
    else
        fit_closed_try(s->in, A, r);
}

/* Try a (with add Aa) beats b (with add Ab). */
static int better(const struct fit_try *a, int Aa, const struct fit_try *b, int Ab)
{
    return a->n > b->n || (a->n == b->n && last_clock(a->n, a->I, Aa) > last_clock(b->n, b->I, Ab));
}

/* Two commands (I, A) and (I', A') that both keep steps
 * 0..n-1 within their windows differ at step k by
 *   e(y) = (I' - I) y + (A' - A) y (y - 1) / 2,   y = k + 1 = 1..n,
 * by at most 2E. With c = (A' - A)/2 and h = floor(n/2) >= 1, e(2h) -
 * 2 e(h) = 2 c h^2, so |c| <= 3 (2E) / (2 h^2) and |A' - A| <= 6E / h^2.
 * Any add that fits at least as many steps as a tried one is that close
 * to it, so the search looks nowhere else. Rounded up by a hair against
 * the rounding of the quotient. */
int stepfit_add_reach(double E, uint32_t n)
{
    if (n < 2)
        return -1;
    double h = (double)(n / 2);
    double r = 6 * E / (h * h) + 1e-6;
    return r < 65536 ? (int)r : 65536;
}

/* The adds that may still do at least as well as every add tried: the
 * intersection of their reaches, and of the ranges where each try's
 * failing step could fit (fit_try.need_lo/hi), which every add fitting
 * more steps than that try is in. The latter does not hold for adds
 * that only tie with the best on its length but leave its last step
 * later (the tie-break of stepfit.h). That matters where commands are
 * short: the next one starts from the far side of the window, and with
 * steps far apart, that is worth a step or two of its length. So ties
 * are looked for up to TIE_SEARCH_STEPS; beyond, a search that would
 * only find a tie is cut short (a fifth fewer adds tried on sliced
 * prints, for 0.4 % more commands). */
#define TIE_SEARCH_STEPS 8

static void narrow(struct add_range *w, double E, int A, const struct fit_try *r, uint32_t best_n)
{
    if (r->n < best_n || best_n >= TIE_SEARCH_STEPS) {
        if (r->need_lo > w->lo)
            w->lo = r->need_lo > w->hi ? w->hi + 1 : (int)dceil(r->need_lo);
        if (r->need_hi < w->hi)
            w->hi = r->need_hi < w->lo ? w->lo - 1 : (int)dfloor(r->need_hi);
    }
    int reach = stepfit_add_reach(E, r->n);
    if (reach < 0)
        return;
    if (A - reach > w->lo)
        w->lo = A - reach;
    if (A + reach < w->hi)
        w->hi = A + reach;
}

/* More steps fit as the add approaches, from either side, the value
 * where the failing step switches from wanting a larger add to wanting a
 * smaller one; the most fit right at that switch. From the start A,
 * move towards it by the estimated jump (doubling while the failing step
 * keeps asking for the same side), then bisect, only among the adds in
 * w; stop early once moving on cannot win a step, when no add left to
 * try can fit as many steps as the best one (narrow()), or when one fits
 * `most` steps, which no add can beat. Of equally long commands the one
 * leaving its last step latest wins (stepfit_impl.h). */
static int search_add(const struct search *s, int A, struct fit_try *best, struct add_range w,
                      uint32_t most)
{
    struct fit_try cur;
    try_add(s, A, best);
    int bestA = A;
    if (!best->n || best->open || !best->fail || best->stuck || best->n >= most)
        return bestA;
    double E = s->in->E;
    narrow(&w, E, A, best, best->n);
    int dir = best->fail;
    int p = A, q = A, found = 0;
    double step = dmax(1, dceil(best->jump));
    for (;;) {
        if (step > 65536)
            step = 65536;
        long far = dir > 0 ? w.hi : w.lo;
        long next = (long)p + (long)dir * (long)step;
        if ((next - far) * dir > 0)
            next = far;
        if ((next - p) * dir <= 0)
            return bestA;
        try_add(s, (int)next, &cur);
        narrow(&w, E, (int)next, &cur, best->n);
        if (better(&cur, (int)next, best, bestA)) {
            *best = cur;
            bestA = (int)next;
        }
        if (cur.open || cur.stuck || cur.n >= most)
            return bestA;
        if (cur.fail == dir) {
            p = (int)next;
            step = dmax(2 * step, dceil(cur.jump));
            continue;
        }
        q = (int)next;
        found = 1;
        break;
    }
    while (found) {
        /* the adds strictly between p and q that are still in reach */
        int a = dir > 0 ? p + 1 : q + 1, b = dir > 0 ? q - 1 : p - 1;
        if (a < w.lo)
            a = w.lo;
        if (b > w.hi)
            b = w.hi;
        if (a > b)
            break;
        /* nearer p, as (p + q) / 2 rounded towards p */
        int mid = dir > 0 ? a + (b - a) / 2 : b - (b - a) / 2;
        try_add(s, mid, &cur);
        narrow(&w, E, mid, &cur, best->n);
        if (better(&cur, mid, best, bestA)) {
            *best = cur;
            bestA = mid;
        }
        if (cur.open || cur.stuck || cur.n >= most)
            break;
        if (cur.fail == dir)
            p = mid;
        else
            q = mid;
    }
    return bestA;
}

void stepfit_best(struct fit_input *in, struct fit_result *out)
{
    stepfit_stats.fits++;
    out->want_more = 0;
    struct fit_try best = {0};
    int A = in->resume_add;
    if (!in->resume) {
        double span = 0;
        int A0 = 0, predicted = 0;
        if (in->cut && in->first_piece_steps > 2 * FIT_DIRECT_STEPS) {
            A0 = predict_add(in, &span);
            predicted = 1;
            if (span > 2 * FIT_DIRECT_STEPS) {
                /* A long smooth piece: the command is surely longer than
                 * the direct look, so straight to the closed form, which
                 * needs the whole run. */
                out->want_more = 1;
                out->count = 0;
                out->add = A0;
                return;
            }
        }
        struct fit_direct d;
        fit_direct_init(in, &d);
        /* a command of one or two steps needs no prediction */
        if (fit_direct_short(&d, out))
            return;
        /* Where the windows of the first steps bound the command, the
         * add starts near the top of their range: the tie-break of
         * stepfit.h prefers late last steps, so large adds, but right at
         * the top the windows leave a sliver with no whole interval in
         * it. The search then stops as soon as it finds the most steps
         * the windows allow (among short commands, where ties count, it
         * goes on looking for one). */
        struct add_bounds b;
        fit_direct_bounds(&d, &b);
        struct add_range w = {(int)dceil(b.lo1), (int)dfloor(b.hi1)};
        if (w.lo > w.hi)
            w = any_add;
        uint32_t most = UINT32_MAX;
        if (b.n < BOUND_STEPS) {
            A0 = (int)dfloor(b.hi - 0.1 * (b.hi - b.lo));
            most = b.n >= TIE_SEARCH_STEPS ? (uint32_t)b.n : UINT32_MAX;
        } else {
            if (!predicted)
                A0 = predict_add(in, &span);
            /* into the adds that can fit all the bounded steps, if any */
            int lo = (int)dceil(b.lo), hi = (int)dfloor(b.hi);
            if (lo <= hi)
                A0 = A0 < lo ? lo : A0 > hi ? hi : A0;
        }
        A0 = A0 < w.lo ? w.lo : A0 > w.hi ? w.hi : A0;
        struct search s = {in, &d};
        A = search_add(&s, A0, &best, w, most);
        int longer = best.open && (uint32_t)d.K < in->total;
        if (best.open && in->cut) {
            out->want_more = 1;
            out->count = 0;
            out->add = A;
            return;
        }
        if (!longer) {
            out->count = best.n;
            out->interval = best.n ? best.I : 0;
            out->add = A;
            return;
        }
    }
    /* Longer than the direct look: the closed form, from its add. */
    struct search s = {in, NULL};
    struct fit_try wide;
    int A2 = search_add(&s, A, &wide, any_add, UINT32_MAX);
    if (wide.n >= best.n) {
        best = wide;
        A = A2;
    }
    out->count = best.n;
    out->interval = best.n ? best.I : 0;
    out->add = A;
}
