/* The longest command for one add, found by looking at the first steps
 * one by one. Near a standstill a command covers only a handful of
 * steps, and scanning those costs less than locating the extremes of the
 * closed form (stepfit_closed.c), which takes over for commands longer
 * than DIRECT_STEPS. Each step's time is computed once per command from
 * the closed form, when a scan first reaches it; what depends on the add
 * is a shift of the precomputed bounds. */
#include <math.h>

#include "stepfit_impl.h"

void fit_direct_init(const struct fit_input *in, struct fit_direct *d)
{
    d->K = in->total < DIRECT_STEPS ? (int)in->total : DIRECT_STEPS;
    d->loaded = 0;
    d->piece = 0;
    d->j = 0;
    d->before = in->t_prev;
    d->E = in->E;
    d->E4 = 4 * in->E;
    d->in = in;
}

static void load(struct fit_direct *d, int upto)
{
    if (upto > d->K)
        upto = d->K;
    while (d->loaded < upto) {
        const struct fit_piece *p = &d->in->p[d->piece];
        int k = d->loaded;
        double T = fit_time(p, (double)p->ka + d->j);
        if (++d->j == p->n) {
            d->j = 0;
            d->piece++;
        }
        double g = T - d->before, iy = 1.0 / (k + 1);
        /* Steps at least 4E apart cannot break the spacing rule while
         * both stay inside their windows. */
        d->D[k] = g < d->E4 ? 0.5 * g : -INFINITY;
        d->Sp[k] = (T + d->E) * iy;
        d->Sm[k] = (T - d->E) * iy;
        d->before = T;
        d->loaded++;
    }
}

/* How far the add must move for a lower bound (value lv, d/dA ls) and an
 * upper one to meet again. */
static double jump_for(double lv, double ls, double hv, double hs)
{
    double ds = hs - ls;
    return ds != 0 ? (lv - hv) / ds : 0;
}

void fit_direct_try(struct fit_direct *d, int A, struct fit_try *r)
{
    stepfit_stats.fitA++;
    double dA = A;
    /* Running bounds on I and their d/dA, which the failing step turns
     * into an estimate of the add it needs. Intervals stay in
     * [1, FIT_MAX_INTERVAL]; that limit moves with k only when A pushes
     * the intervals towards it. */
    double lo = 1, los = 0, hi = FIT_MAX_INTERVAL, his = 0;
    r->fail = 0;
    r->open = 0;
    r->jump = 0;
    r->stuck = 0;
    for (int k = 0; k < d->K; k++) {
        if (k == d->loaded)
            load(d, k + 8);
        double hk = 0.5 * k, shift = dA * hk;
        double nlo = lo, nlos = los, nhi = hi, nhis = his;
        double sm = d->Sm[k] - shift, sp = d->Sp[k] - shift, dd = d->D[k] - 2 * shift;
        if (sm > nlo) {
            nlo = sm;
            nlos = -hk;
        }
        if (dd > nlo) {
            nlo = dd;
            nlos = -k;
        }
        if (sp < nhi) {
            nhi = sp;
            nhis = -hk;
        }
        if (A < 0 && 1 - 2 * shift > nlo) {
            nlo = 1 - 2 * shift;
            nlos = -k;
        }
        if (A > 0 && FIT_MAX_INTERVAL - 2 * shift < nhi) {
            nhi = FIT_MAX_INTERVAL - 2 * shift;
            nhis = -k;
        }
        if (nhi - nlo < 1 && !(dceil(nlo) <= dfloor(nhi))) {
            r->n = k;
            if (!k)
                return;
            r->I = (int64_t)dfloor(hi);
            r->elast = last_error(k, r->I, dA, 0.5 * k * (d->Sp[k - 1] + d->Sm[k - 1]));
            int rose = dceil(nlo) > dfloor(hi), fell = dceil(lo) > dfloor(nhi);
            if (rose && !fell)
                r->fail = 1;
            else if (fell && !rose)
                r->fail = -1;
            else
                r->fail = nlo - lo >= hi - nhi ? 1 : -1;
            r->jump = r->fail > 0 ? jump_for(nlo, nlos, hi, his) : -jump_for(lo, los, nhi, nhis);
            /* Moving the add closes the gap between the bounds that hold
             * now; if it closes before the failing step fits, no add
             * further that way does better. */
            double closing = r->fail * (los - his);
            r->stuck = closing > 0 && r->jump * closing > hi - lo;
            return;
        }
        lo = nlo;
        los = nlos;
        hi = nhi;
        his = nhis;
    }
    r->n = d->K;
    r->open = 1;
    r->I = (int64_t)dfloor(hi);
    r->elast = last_error(d->K, r->I, dA, 0.5 * d->K * (d->Sp[d->K - 1] + d->Sm[d->K - 1]));
}
