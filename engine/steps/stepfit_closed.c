/* The longest command for one add, from the closed form of the step
 * times (stepfit.h). For a fixed add A every step k bounds the interval
 * from both sides, S-(k) <= I <= S+(k), and n steps fit while the
 * running max of the lower bounds stays below the running min of the
 * upper ones (in integers). On one piece (one phase of one move) T has
 * T''' >= 0, which gives S+ and S- at most two turning points each, at
 * places a few Newton steps find; the running bounds up to any step then
 * cost O(1) evaluations, and the last step that fits is a bisection over
 * evaluations rather than a scan over steps. */
#include <math.h>

#include "stepfit_impl.h"

/* The middle of S+(k) and S-(k); the window adds +-E/(k+1). */
static inline double smid(double T, double A, double k)
{
    double y = k + 1;
    return (T - 0.5 * A * k * y) / y;
}

static void piece_prepare(struct fit_piece *p, double E)
{
    double ka = p->ka, kb = (double)p->ka + p->n - 1;
    fit_time_d(p, ka, &p->Ta, &p->T1a, &p->T2a);
    if (p->n > 1)
        fit_time_d(p, kb, &p->Tb, &p->T1b, &p->T2b);
    else {
        p->Tb = p->Ta;
        p->T1b = p->T1a;
        p->T2b = p->T2a;
    }
    /* Steps at least 4E apart cannot break the spacing rule while both
     * stay inside their windows. */
    p->rule_cross = p->Ta - p->Tbefore < 4 * E;
    p->rule_in = p->n > 1 && dmin(p->T1a, p->T1b) < 4 * E;
    if (p->rule_in)
        p->Ta1 = p->n > 2 ? fit_time(p, ka + 1) : p->Tb;
    p->prepared = 1;
}

/* Pieces are prepared in order, each from the last time of the one
 * before. */
static struct fit_piece *prepared(struct fit_input *in, int i)
{
    struct fit_piece *p = &in->p[i];
    if (!p->prepared) {
        p->Tbefore = i ? in->p[i - 1].Tb : in->t_prev;
        piece_prepare(p, in->E);
    }
    return p;
}

/* Where S+ and S- of one piece have their extremes, for one add. With
 * N(x) = (x+1)T'(x) - T(x) - A(x+1)^2/2, d/dx S+- has the sign of N -+ E,
 * and N' = (x+1)(T''(x) - A): N falls until T'' reaches A (at xi) and
 * rises after, since T'' only grows. So on the integers of [c, kb]
 * (c = ceil xi) S+ falls then rises, with its minimum at kmin, and on
 * [ka, c-1] it rises then falls (its minimum there is at an end); S- is
 * the mirror image around c2 = floor xi. */
struct pext {
    int64_t c, c2;
    int64_t kmin, kmax;
    double spmin, smmax;
    double sp_cm1, sm_c2p1; /* S+(c-1) if c > ka; S-(c2+1) if c2 < kb */
    double spa, sma, spb, smb;
    double da, da1, db; /* spacing-rule lower bounds on I: cross-piece, at ka+1, at kb */
    double full_lo, full_hi;
};

static inline double sp_at(const struct fit_piece *p, double A, double E, int64_t k)
{
    double T = k == p->ka ? p->Ta : (k == (int64_t)p->ka + p->n - 1 ? p->Tb : fit_time(p, k));
    return smid(T, A, k) + E / (k + 1.0);
}

static inline double sm_at(const struct fit_piece *p, double A, double E, int64_t k)
{
    double T = k == p->ka ? p->Ta : (k == (int64_t)p->ka + p->n - 1 ? p->Tb : fit_time(p, k));
    return smid(T, A, k) - E / (k + 1.0);
}

static int64_t clampk(double x, int64_t lo, int64_t hi)
{
    if (!(x > lo))
        return lo;
    if (!(x < hi))
        return hi;
    return (int64_t)dfloor(x + 0.5);
}

/* Minimum of S+ on the integers of [lo, hi], where it falls then rises;
 * a Newton estimate x of the turning point starts the walk. */
static int64_t walk_min(const struct fit_piece *p, double A, double E, int64_t lo, int64_t hi,
                        double x, double *val)
{
    int64_t k = clampk(x, lo, hi);
    double s = sp_at(p, A, E, k);
    if (k > lo) {
        double t = sp_at(p, A, E, k - 1);
        if (t < s) {
            do {
                k--;
                s = t;
            } while (k > lo && (t = sp_at(p, A, E, k - 1)) < s);
            *val = s;
            return k;
        }
    }
    double t;
    while (k < hi && (t = sp_at(p, A, E, k + 1)) < s) {
        k++;
        s = t;
    }
    *val = s;
    return k;
}

static int64_t walk_max(const struct fit_piece *p, double A, double E, int64_t lo, int64_t hi,
                        double x, double *val)
{
    int64_t k = clampk(x, lo, hi);
    double s = sm_at(p, A, E, k);
    if (k > lo) {
        double t = sm_at(p, A, E, k - 1);
        if (t > s) {
            do {
                k--;
                s = t;
            } while (k > lo && (t = sm_at(p, A, E, k - 1)) > s);
            *val = s;
            return k;
        }
    }
    double t;
    while (k < hi && (t = sm_at(p, A, E, k + 1)) > s) {
        k++;
        s = t;
    }
    *val = s;
    return k;
}

static void piece_ext(const struct fit_piece *p, double A, double E, struct pext *x)
{
    int64_t ka = p->ka, kb = (int64_t)p->ka + p->n - 1;
    double ya = ka + 1.0, yb = kb + 1.0;
    double ma = smid(p->Ta, A, ka), mb = smid(p->Tb, A, kb);
    /* Neutral until the walks below find them: piece_upto() reads each
     * only where its walk ran, which the optimiser cannot always see. */
    x->kmin = x->kmax = INT64_MAX;
    x->spmin = x->sp_cm1 = INFINITY;
    x->smmax = x->sm_c2p1 = -INFINITY;
    x->spa = ma + E / ya;
    x->sma = ma - E / ya;
    x->spb = mb + E / yb;
    x->smb = mb - E / yb;

    /* xi: where T'' == A */
    double xi;
    if (A <= p->T2a)
        xi = -INFINITY;
    else if (A >= p->T2b)
        xi = INFINITY;
    else {
        double r = cbrt(-p->a / A);
        xi = (r * r - p->v * p->v) / (2 * p->a) - p->u0;
    }
    x->c = xi <= ka ? ka : (xi > kb ? kb + 1 : (int64_t)dceil(xi));
    x->c2 = xi < ka ? ka - 1 : (xi >= kb ? kb : (int64_t)dfloor(xi));

    double hi = dmin(x->spa, x->spb), lo = dmax(x->sma, x->smb);
    if (x->c <= kb) {
        double Np = yb * p->T1b - p->Tb - 0.5 * A * yb * yb - E;
        double xs = kb;
        if (Np > 0 && x->c < kb) {
            /* N+ is convex and rising here: Newton from the right end
             * closes in from above. */
            for (int it = 0; it < 6; it++) {
                double T, T1, T2;
                fit_time_d(p, xs, &T, &T1, &T2);
                double y = xs + 1;
                double N = y * T1 - T - 0.5 * A * y * y - E, dN = y * (T2 - A);
                if (!(dN > 0))
                    break;
                double step = N / dN;
                double xn = xs - step;
                if (xn <= x->c) {
                    xs = x->c;
                    break;
                }
                xs = xn;
                if (fabs(step) < 0.3)
                    break;
            }
        }
        x->kmin = walk_min(p, A, E, x->c, kb, xs, &x->spmin);
        hi = dmin(hi, x->spmin);
    }
    if (x->c > ka) {
        x->sp_cm1 = sp_at(p, A, E, x->c - 1);
        hi = dmin(hi, x->sp_cm1);
    }
    if (x->c2 >= ka) {
        double Nm = ya * p->T1a - p->Ta - 0.5 * A * ya * ya + E;
        double xs = ka;
        if (Nm > 0 && x->c2 > ka) {
            for (int it = 0; it < 6; it++) {
                double T, T1, T2;
                fit_time_d(p, xs, &T, &T1, &T2);
                double y = xs + 1;
                double N = y * T1 - T - 0.5 * A * y * y + E, dN = y * (T2 - A);
                if (!(dN < 0))
                    break;
                double step = N / dN;
                double xn = xs - step;
                if (xn >= x->c2) {
                    xs = x->c2;
                    break;
                }
                if (xn < ka)
                    xn = ka;
                xs = xn;
                if (fabs(step) < 0.3)
                    break;
            }
        }
        x->kmax = walk_max(p, A, E, ka, x->c2, xs, &x->smmax);
        lo = dmax(lo, x->smmax);
    }
    if (x->c2 < kb) {
        x->sm_c2p1 = sm_at(p, A, E, x->c2 + 1);
        lo = dmax(lo, x->sm_c2p1);
    }

    /* The spacing rule: I + kA >= (T(k) - T(k-1)) / 2. The gaps of a
     * piece are convex in k, so within it the bound peaks at an end. */
    x->da = x->da1 = x->db = -INFINITY;
    if (p->rule_cross)
        x->da = 0.5 * (p->Ta - p->Tbefore) - ka * A;
    if (p->rule_in) {
        x->da1 = 0.5 * (p->Ta1 - p->Ta) - (ka + 1) * A;
        double Tbm1 = kb - 1 == ka ? p->Ta : (kb - 1 == ka + 1 ? p->Ta1 : fit_time(p, kb - 1));
        x->db = 0.5 * (p->Tb - Tbm1) - kb * A;
    }
    lo = dmax(lo, dmax(x->da, dmax(x->da1, x->db)));
    x->full_lo = lo;
    x->full_hi = hi;
}

/* Bounds on I from the piece's steps ka..m. */
static void piece_upto(const struct fit_piece *p, const struct pext *x, double A, double E,
                       int64_t m, double *plo, double *phi)
{
    int64_t ka = p->ka;
    double Tm = fit_time(p, m);
    double mm = smid(Tm, A, m), w = E / (m + 1.0);
    double spm = mm + w, smm = mm - w;
    double hi = x->spa, lo = x->sma;
    if (m < x->c)
        hi = dmin(hi, spm);
    else {
        if (x->c > ka)
            hi = dmin(hi, x->sp_cm1);
        hi = dmin(hi, x->kmin <= m ? x->spmin : spm);
    }
    if (m <= x->c2)
        lo = dmax(lo, x->kmax <= m ? x->smmax : smm);
    else {
        if (x->c2 >= ka)
            lo = dmax(lo, x->smmax);
        lo = dmax(lo, dmax(x->sm_c2p1, smm));
    }
    lo = dmax(lo, x->da);
    if (p->rule_in && m >= ka + 1) {
        double Tm1 = m - 1 == ka ? p->Ta : fit_time(p, m - 1);
        lo = dmax(lo, dmax(x->da1, 0.5 * (Tm - Tm1) - m * A));
    }
    *plo = lo;
    *phi = hi;
}

/* Integer range of I for n steps, with every interval in
 * [1, FIT_MAX_INTERVAL]. */
static inline int ibounds(double lo, double hi, uint32_t n, double A, int64_t *il, int64_t *ih)
{
    double last = (double)(n - 1) * A;
    double l1 = A < 0 ? 1 - last : 1;
    double h1 = A > 0 ? FIT_MAX_INTERVAL - last : FIT_MAX_INTERVAL;
    if (lo < l1)
        lo = l1;
    if (hi > h1)
        hi = h1;
    double a = dceil(lo), b = dfloor(hi);
    if (!(a <= b))
        return 0;
    *il = (int64_t)a;
    *ih = (int64_t)b;
    return 1;
}

/* The most steps that fit with add A. The pieces are walked in order,
 * each checked whole from its extremes; in the first one that does not
 * fit whole, a bisection over its steps (each probe O(1) given the
 * extremes) finds the last step that does. */
void fit_closed_try(struct fit_input *in, int A, struct fit_try *r)
{
    fit_try_begin(r);
    double E = in->E, dA = A;
    double lo = -INFINITY, hi = INFINITY;
    for (int i = 0; i < in->np; i++) {
        struct fit_piece *p = prepared(in, i);
        uint32_t kb = p->ka + p->n - 1;
        int64_t il, ih;
        struct pext x;
        piece_ext(p, dA, E, &x);
        double flo = dmax(lo, x.full_lo), fhi = dmin(hi, x.full_hi);
        if (ibounds(flo, fhi, kb + 1, dA, &il, &ih)) {
            lo = flo;
            hi = fhi;
            continue;
        }
        /* The first step that does not fit is in this piece. n = a fits,
         * n = b does not. */
        uint32_t a = p->ka, b = kb + 1;
        double alo = lo, ahi = hi, plo, phi;
        while (b - a > 1) {
            uint32_t mid = a + (b - a) / 2;
            piece_upto(p, &x, dA, E, mid - 1, &plo, &phi);
            double mlo = dmax(lo, plo), mhi = dmin(hi, phi);
            if (ibounds(mlo, mhi, mid, dA, &il, &ih)) {
                a = mid;
                alo = mlo;
                ahi = mhi;
            } else
                b = mid;
        }
        r->n = a;
        if (a == 0 || !ibounds(alo, ahi, a, dA, &il, &ih)) {
            r->n = 0;
            return;
        }
        r->I = ih;
        /* Which side broke at step b-1: a rising lower bound wants a
         * larger add (it lowers late steps' bounds more than early
         * ones'), a falling upper bound a smaller one. */
        piece_upto(p, &x, dA, E, b - 1, &plo, &phi);
        double blo = dmax(alo, plo), bhi = dmin(ahi, phi);
        double last = (double)(b - 1) * dA;
        if (dA < 0)
            blo = dmax(blo, 1 - last);
        if (dA > 0)
            bhi = dmin(bhi, FIT_MAX_INTERVAL - last);
        double rise = blo - alo, fall = ahi - bhi;
        if (dceil(blo) > dfloor(ahi) && !(dceil(alo) > dfloor(bhi)))
            r->fail = 1;
        else if (dceil(alo) > dfloor(bhi) && !(dceil(blo) > dfloor(ahi)))
            r->fail = -1;
        else
            r->fail = rise >= fall ? 1 : -1;
        return;
    }
    r->n = in->total;
    r->open = 1;
    int64_t il, ih;
    if (!ibounds(lo, hi, in->total, dA, &il, &ih)) {
        r->n = 0;
        return;
    }
    r->I = ih;
}
