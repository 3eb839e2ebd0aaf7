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

/* 1/(k+1): the bounds of step k are its window divided by k+1. */
#define RECIP1(k) (1.0 / ((k) + 1))
#define RECIP4(k) RECIP1(k), RECIP1((k) + 1), RECIP1((k) + 2), RECIP1((k) + 3)
#define RECIP16(k) RECIP4(k), RECIP4((k) + 4), RECIP4((k) + 8), RECIP4((k) + 12)
#define RECIP64(k) RECIP16(k), RECIP16((k) + 16), RECIP16((k) + 32), RECIP16((k) + 48)
static const double recip[DIRECT_STEPS] = {RECIP64(0), RECIP64(64)};

/* The bounds of step k, exactly due at T, the step before at before. */
static inline void store(struct fit_direct *d, int k, double T, double before)
{
    double g = T - before, iy = recip[k];
    /* Steps at least 4E apart cannot break the spacing rule while
     * both stay inside their windows. */
    double D = g < d->E4 ? 0.5 * g : -INFINITY;
    d->D[k] = D;
    d->D1[k] = dmax(D, 1);
    d->Sp[k] = (T + d->E) * iy;
    d->Sm[k] = (T - d->E) * iy;
}

/* Steps up to upto (at most K), piece by piece, each kind of piece in a
 * loop of its own. */
static void load(struct fit_direct *d, int upto)
{
    if (upto > d->K)
        upto = d->K;
    int k = d->loaded;
    double before = d->before;
    while (k < upto) {
        const struct fit_piece *p = &d->in->p[d->piece];
        uint32_t left = p->n - d->j;
        int stop = (uint32_t)(upto - k) < left ? upto : k + (int)left;
        /* piece index of step k */
        double at = (double)p->ka + d->j - k;
        d->j += (uint32_t)(stop - k);
        if (p->kind == SEG_CRUISE) {
            for (; k < stop; k++) {
                double T = p->off + p->g * (at + k);
                store(d, k, T, before);
                before = T;
            }
        } else if (p->ia != 0) {
            for (; k < stop; k++) {
                double r2 = p->v * p->v + 2 * p->a * (p->u0 + (at + k));
                double T = p->off + (sqrt(r2 > 0 ? r2 : 0) - p->v) * p->ia;
                store(d, k, T, before);
                before = T;
            }
        } else {
            for (; k < stop; k++) {
                double T = fit_time(p, at + k);
                store(d, k, T, before);
                before = T;
            }
        }
        if (d->j == p->n) {
            d->j = 0;
            d->piece++;
        }
    }
    d->before = before;
    d->loaded = k;
}

/* Whether no real add fits the first n steps (n = 2 or 3), with a
 * margin: a sliver of adds thinner than that counts as fitting. Each
 * step k bounds the interval I by lines c - m A (stepfit.h): its window
 * with slope k/2 on both sides, and with slope k from below the spacing
 * rule and a tick, from above the largest interval (these bind only for
 * A < 0 and A > 0 respectively and are implied otherwise). Lines of one
 * slope merge into one; slopes are 0, 1/2, 1 and 2 (lo[i], hi[i]). For
 * a lower and an upper line the adds that keep the one below the other
 * form a half-line, or all or none, so no add fits exactly when those
 * miss each other. */
static int none_fits(const struct fit_direct *d, int n)
{
    static const double m[4] = {0, 0.5, 1, 2};
    double lo[4], hi[4];
    lo[0] = dmax(1, dmax(d->Sm[0], d->D1[0]));
    hi[0] = dmin(FIT_MAX_INTERVAL, d->Sp[0]);
    lo[1] = d->Sm[1];
    hi[1] = d->Sp[1];
    lo[2] = n > 2 ? dmax(d->Sm[2], d->D1[1]) : d->D1[1];
    hi[2] = n > 2 ? dmin(d->Sp[2], FIT_MAX_INTERVAL) : FIT_MAX_INTERVAL;
    lo[3] = n > 2 ? d->D1[2] : -INFINITY;
    hi[3] = n > 2 ? FIT_MAX_INTERVAL : INFINITY;
    double a1 = -32768, a2 = 32767;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            /* lo[i] - m[i] A <= hi[j] - m[j] A */
            double dc = hi[j] - lo[i], dm = m[j] - m[i];
            if (dm > 0)
                a2 = dmin(a2, dc / dm);
            else if (dm < 0)
                a1 = dmax(a1, dc / dm);
            else if (dc < -1e-6)
                return 1;
        }
    return a1 > a2 + 1e-6;
}

/* The interval bounds of the first two steps for add A, computed as
 * fit_direct_try does. */
static void two_step_bounds(const struct fit_direct *d, int A, double *plo, double *phi)
{
    const double *Dk = A < 0 ? d->D1 : d->D;
    double top = A > 0 ? FIT_MAX_INTERVAL : INFINITY, shift = A * 0.5;
    *plo = dmax(dmax(1, dmax(d->Sm[0], Dk[0])), dmax(d->Sm[1] - shift, Dk[1] - 2 * shift));
    *phi =
        dmin(dmin(FIT_MAX_INTERVAL, dmin(d->Sp[0], top)), dmin(d->Sp[1] - shift, top - 2 * shift));
}

int fit_direct_short(struct fit_direct *d, struct fit_result *out)
{
    if (d->K < 3)
        return 0;
    load(d, 3);
    if (!none_fits(d, 3))
        return 0;
    out->want_more = 0;
    if (none_fits(d, 2)) {
        /* one step; the add plays no part */
        double l = dmax(1, dmax(d->Sm[0], d->D[0])), h = dmin(FIT_MAX_INTERVAL, d->Sp[0]);
        if (!(dceil(l) <= dfloor(h)))
            return 0;
        out->count = 1;
        out->interval = (int64_t)dfloor(h);
        out->add = 0;
        return 1;
    }
    /* Two steps, the second as late as its window allows (the rule of
     * stepfit_impl.h): that takes the upper bound of step 1, I <= Sp1 -
     * A/2, as the binding one (adds from 2 (Sp1 - Sp0) up), where 2I + A
     * = 2 floor(Sp1 - A/2) + A depends only on the parity of the add.
     * Of the adds of the better parity that keep the lower bounds below,
     * one in the middle; the other parity only if none fits. */
    double Sp1 = d->Sp[1], U0 = dmin(FIT_MAX_INTERVAL, d->Sp[0]);
    double L0 = dmax(1, dmax(d->Sm[0], d->D[0]));
    double ra = dmax(2 * (Sp1 - U0), dmax(2 * (d->D1[1] - Sp1), -32768));
    double rb = dmin(2 * (Sp1 - L0), 32767);
    if (!(ra <= rb))
        return 0;
    int parity = Sp1 - dfloor(Sp1) >= 0.5;
    double mid = dfloor(0.5 * (ra + rb));
    for (int t = 0; t < 4; t++) {
        /* the favoured parity first, then the other */
        double a = mid + (t >> 1 ? -1 : 0) + (t & 1 ? 1 : 0);
        if (((int64_t)a & 1) != (t < 2 ? parity : !parity))
            a += a + 1 <= rb ? 1 : -1;
        if (a < ra || a > rb)
            continue;
        double l, h;
        two_step_bounds(d, (int)a, &l, &h);
        if (dceil(l) <= dfloor(h)) {
            out->count = 2;
            out->interval = (int64_t)dfloor(h);
            out->add = (int32_t)a;
            return 1;
        }
    }
    return 0;
}

/* 2/m: for the add at which the windows of two steps m apart meet. */
#define TWICE_RECIP1(m) ((m) ? 2.0 / (m) : 0.0)
#define TWICE_RECIP4(m)                                                                            \
    TWICE_RECIP1(m), TWICE_RECIP1((m) + 1), TWICE_RECIP1((m) + 2), TWICE_RECIP1((m) + 3)
#define TWICE_RECIP8(m) TWICE_RECIP4(m), TWICE_RECIP4((m) + 4)
static const double twice_recip[32] = {TWICE_RECIP8(0), TWICE_RECIP8(8), TWICE_RECIP8(16),
                                       TWICE_RECIP8(24)};
_Static_assert(BOUND_STEPS <= 32, "twice_recip covers the pairs of BOUND_STEPS steps");

/* Step k's window bounds I from below by Sm[k] - A k/2, step j's from
 * above by Sp[j] - A j/2; for j < k the first stays under the second
 * only for A >= 2 (Sm[k] - Sp[j]) / (k - j), and step j's lower line
 * under step k's upper one only for A <= 2 (Sp[k] - Sm[j]) / (k - j).
 * Every pair of steps thus narrows a range of adds, and once that range
 * is empty no add keeps all the steps so far in their windows. This
 * costs k pairs at step k, so beyond BOUND_ALL_PAIRS only step 0 and the
 * three steps around the one that bound the range at the step before
 * are paired with it (the binding step moves by about half a step per
 * step); the range is then wider than it could be, never narrower. */
void fit_direct_bounds(struct fit_direct *d, struct add_bounds *b)
{
    int upto = d->K < BOUND_STEPS ? d->K : BOUND_STEPS;
    double lo = -32768, hi = 32767, lo1 = lo, hi1 = hi;
    int k, jlo = 1, jhi = 1;
    if (!d->loaded)
        load(d, 8);
    for (k = 1; k < upto; k++) {
        if (k >= d->loaded)
            load(d, k + 8);
        double nlo = lo, nhi = hi, smk = d->Sm[k], spk = d->Sp[k];
        if (k < BOUND_ALL_PAIRS) {
            for (int m = 1; m <= k; m++) {
                nlo = dmax(nlo, (smk - d->Sp[k - m]) * twice_recip[m]);
                nhi = dmin(nhi, (spk - d->Sm[k - m]) * twice_recip[m]);
            }
        } else {
            if (k == BOUND_ALL_PAIRS) {
                /* where the binding steps mostly are by now */
                jlo = k / 2;
                jhi = k / 3;
            }
            nlo = dmax(nlo, (smk - d->Sp[0]) * twice_recip[k]);
            nhi = dmin(nhi, (spk - d->Sm[0]) * twice_recip[k]);
            double blo = -INFINITY, bhi = INFINITY;
            int at_lo = jlo, at_hi = jhi;
            for (int j = jlo - 1; j <= jlo + 1; j++) {
                double x = (smk - d->Sp[j]) * twice_recip[k - j];
                at_lo = x > blo ? j : at_lo;
                blo = dmax(blo, x);
            }
            for (int j = jhi - 1; j <= jhi + 1; j++) {
                double x = (spk - d->Sm[j]) * twice_recip[k - j];
                at_hi = x < bhi ? j : at_hi;
                bhi = dmin(bhi, x);
            }
            nlo = dmax(nlo, blo);
            nhi = dmin(nhi, bhi);
            /* at least 1 and (moving a step at a time) at most k - 1 */
            jlo = at_lo < 1 ? 1 : at_lo;
            jhi = at_hi < 1 ? 1 : at_hi;
        }
        /* margin against the rounding of the quotients */
        if (nlo > nhi + 1e-6)
            break;
        lo1 = lo;
        hi1 = hi;
        lo = nlo;
        hi = nhi;
    }
    b->n = k;
    b->lo = lo;
    b->hi = hi;
    b->lo1 = lo1;
    b->hi1 = hi1;
}

/* How far the add must move for a lower bound (value lv, d/dA ls) and an
 * upper one to meet again. */
static double jump_for(double lv, double ls, double hv, double hs)
{
    double ds = hs - ls;
    return ds != 0 ? (lv - hv) / ds : 0;
}

/* Where the add must go for a lower bound line (value lv, slope ls at A)
 * to stay below an upper one (hv, hs), given the jump_for() of the two:
 * nothing if it does at A. */
static void need_pair(double A, double lv, double ls, double hv, double hs, double jump,
                      struct fit_try *r)
{
    if (!(lv - hv > 0))
        return;
    /* margin against the rounding of the quotient */
    if (ls < hs)
        r->need_lo = dmax(r->need_lo, A + jump - 1e-6);
    else if (ls > hs)
        r->need_hi = dmin(r->need_hi, A + jump + 1e-6);
    else
        r->need_lo = INFINITY;
}

/* What the step that broke the bounds asks of the add (fit_try): lo, hi
 * and their slopes d/dA before it, nlo, nhi after it. */
static void failed_at(int k, double A, double lo, double los, double hi, double his, double nlo,
                      double nlos, double nhi, double nhis, struct fit_try *r)
{
    r->n = (uint32_t)k;
    if (!k)
        return;
    double rise = jump_for(nlo, nlos, hi, his), fall = jump_for(lo, los, nhi, nhis);
    /* Any add fitting step k too keeps the lines that set the bounds in
     * order: the step's lower one under the upper one before it, and the
     * lower one before it under the step's upper one. */
    need_pair(A, nlo, nlos, hi, his, rise, r);
    need_pair(A, lo, los, nhi, nhis, fall, r);
    r->I = (int64_t)dfloor(hi);
    int rose = dceil(nlo) > dfloor(hi), fell = dceil(lo) > dfloor(nhi);
    if (rose && !fell)
        r->fail = 1;
    else if (fell && !rose)
        r->fail = -1;
    else
        r->fail = nlo - lo >= hi - nhi ? 1 : -1;
    r->jump = r->fail > 0 ? rise : -fall;
    /* Moving the add closes the gap between the bounds that hold now; if
     * it closes before the failing step fits, no add further that way
     * does better. */
    double closing = r->fail * (los - his);
    r->stuck = closing > 0 && r->jump * closing > hi - lo;
}

void fit_direct_try_general(struct fit_direct *d, int A, struct fit_try *r)
{
    fit_try_begin(r);
    double dA = A;
    /* Running bounds on I and their d/dA, which the failing step turns
     * into an estimate of the add it needs. Intervals stay in
     * [1, FIT_MAX_INTERVAL]; that limit moves with k only when A pushes
     * the intervals towards it. */
    double lo = 1, los = 0, hi = FIT_MAX_INTERVAL, his = 0;
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
            failed_at(k, dA, lo, los, hi, his, nlo, nlos, nhi, nhis, r);
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
}

/* d/dA of a bound set by candidate i (see fit_direct_try). */
static inline double slope_of(int i)
{
    return i < 0 ? 0 : (i & 1 ? -0.5 * (i - 1) : -0.25 * i);
}

void fit_direct_try(struct fit_direct *d, int A, struct fit_try *r)
{
    if (!d->loaded)
        load(d, 8);
    /* The largest interval bounds the upper end only where a positive
     * add would carry the intervals past it: then the general loop. */
    if (A > 0 && d->Sp[0] + (double)A * (d->K - 1) >= FIT_MAX_INTERVAL) {
        fit_direct_try_general(d, A, r);
        return;
    }
    fit_try_begin(r);
    /* The loop of fit_direct_try_general without its rare cases (the
     * tick limit folds into D1 for A < 0), with selects rather than
     * branches, which the bounds moving at random steps would mispredict.
     * Which candidate set each bound (its slope in A, needed only at the
     * failing step) is followed as an index: 2j for the window of step j,
     * 2j+1 for its spacing rule, -1 for the starting value. s = A k/2 is
     * exact, as in fit_direct_try_general, so the results are the same to
     * the bit. */
    double dA = A, hA = 0.5 * dA;
    const double *Dk = A < 0 ? d->D1 : d->D;
    double lo = 1, hi = FIT_MAX_INTERVAL, s = 0;
    int lok = -1, hik = -1;
    int k = 0;
    for (;;) {
        if (k == d->loaded) {
            if (k == d->K)
                break;
            load(d, k + 8);
        }
        for (int end = d->loaded; k < end; k++, s += hA) {
            double c1 = d->Sm[k] - s, c2 = Dk[k] - (s + s), c3 = d->Sp[k] - s;
            int nlok = c1 > lo ? 2 * k : lok;
            double lo1 = dmax(c1, lo);
            nlok = c2 > lo1 ? 2 * k + 1 : nlok;
            double nlo = dmax(c2, lo1);
            int nhik = c3 < hi ? 2 * k : hik;
            double nhi = dmin(c3, hi);
            if (nhi - nlo < 1 && !(dceil(nlo) <= dfloor(nhi))) {
                failed_at(k, dA, lo, slope_of(lok), hi, slope_of(hik), nlo, slope_of(nlok), nhi,
                          slope_of(nhik), r);
                return;
            }
            lo = nlo;
            lok = nlok;
            hi = nhi;
            hik = nhik;
        }
    }
    r->n = (uint32_t)d->K;
    r->open = 1;
    r->I = (int64_t)dfloor(hi);
}
