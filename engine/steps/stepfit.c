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
    return (int)lround(a);
}

/* T'' and T''' at step k, from the piece holding it. */
static void curvature(const struct fit_input *in, double k, double *T2, double *T3)
{
    int i = 0;
    while (i + 1 < in->np && in->p[i + 1].ka <= k)
        i++;
    const struct fit_piece *p = &in->p[i];
    double kb = (double)p->ka + p->n - 1;
    if (k > kb)
        k = kb;
    *T2 = *T3 = 0;
    if (p->kind != SEG_ACCEL)
        return;
    double T, T1;
    fit_time_d(p, k, &T, &T1, T2);
    double T1sq = T1 * T1;
    *T3 = 3 * p->a * p->a * T1sq * T1sq * T1;
}

/* x^(1/3) for x > 0, to a few parts in 1e10: a guess from the exponent
 * bits, then Newton steps (the prediction needs no more, and libm's
 * cbrt costs as much as a whole short fit). */
static double cbrt_pos(double x)
{
    if (!(x < 1e18))
        return 1e6;
    uint64_t b;
    memcpy(&b, &x, sizeof(b));
    b = b / 3 + UINT64_C(0x2A9F7893782DA1CE);
    double y;
    memcpy(&y, &b, sizeof(y));
    for (int i = 0; i < 3; i++)
        y = (y + y + x / (y * y)) * (1.0 / 3);
    return y;
}

/* The add to start from. Locally T is a cubic with T''' > 0, and a
 * quadratic stays within E of it over about D = (24E/T''')^(1/3) steps
 * (the minimax error of a quadratic over h steps is T''' h^3 / 192).
 * The command the search settles on has the curvature A of T'' about D/2
 * steps in (measured on synthetic prints: it starts after a step left
 * early, and runs about 1.2 D steps). */
static int predict_add(const struct fit_input *in, double *span)
{
    double T2, T3;
    curvature(in, 0, &T2, &T3);
    *span = INFINITY;
    if (!(T3 > 0))
        return clamp_add(T2);
    double D = cbrt_pos(24 * in->E / T3);
    *span = 1.2 * D;
    double km = 0.5 * D;
    if (km > in->total - 1.0)
        km = in->total - 1.0;
    curvature(in, km, &T2, &T3);
    return clamp_add(T2);
}

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

static int better(const struct fit_try *a, const struct fit_try *b)
{
    return a->n > b->n || (a->n == b->n && a->elast > b->elast);
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
 * intersection of their reaches. */
struct add_range {
    int lo, hi;
};

static void narrow(struct add_range *w, double E, int A, const struct fit_try *r)
{
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
 * smaller one; the most fit right at that switch. From the prediction,
 * move towards it by the estimated jump (doubling while the failing step
 * keeps asking for the same side), then bisect; stop early once moving
 * on cannot win a step, or when no add left to try can fit as many
 * steps as the best one (stepfit_add_reach). Of equally long commands the one
 * leaving its last step latest wins (stepfit_impl.h). */
static int search_add(const struct search *s, int A, struct fit_try *best)
{
    struct fit_try cur;
    try_add(s, A, best);
    int bestA = A;
    if (!best->n || best->open || !best->fail || best->stuck)
        return bestA;
    double E = s->in->E;
    struct add_range w = {-32768, 32767};
    narrow(&w, E, A, best);
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
        narrow(&w, E, (int)next, &cur);
        if (better(&cur, best)) {
            *best = cur;
            bestA = (int)next;
        }
        if (cur.open || cur.stuck)
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
        narrow(&w, E, mid, &cur);
        if (better(&cur, best)) {
            *best = cur;
            bestA = mid;
        }
        if (cur.open || cur.stuck)
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
        double span;
        int A0 = predict_add(in, &span);
        if (in->cut && span > 2 * FIT_DIRECT_STEPS &&
            in->first_piece_steps > 2 * FIT_DIRECT_STEPS) {
            /* A long smooth piece: the command is surely longer than the
             * direct look, so straight to the closed form, which needs
             * the whole run. */
            out->want_more = 1;
            out->count = 0;
            out->add = A0;
            return;
        }
        struct fit_direct d;
        fit_direct_init(in, &d);
        if (fit_direct_short(&d, out))
            return;
        struct search s = {in, &d};
        A = search_add(&s, A0, &best);
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
    int A2 = search_add(&s, A, &wide);
    if (wide.n >= best.n) {
        best = wide;
        A = A2;
    }
    out->count = best.n;
    out->interval = best.n ? best.I : 0;
    out->add = A;
}
