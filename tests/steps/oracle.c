#include "oracle.h"

#include <math.h>
#include <string.h>

#define MAX_INTERVAL (1 << 30)
#define MAX_COUNT 65535
#define E_MARGIN 1e-3

struct scan {
    uint32_t n;
    int64_t I;
    int side;
};

/* Of the intervals that fit, the largest, as engine/steps takes it. */
static int64_t pick(double lo, double hi)
{
    (void)lo;
    return (int64_t)floor(hi);
}

/* Steps i0 .. i0+m-1 after a step at clock L (exactly due at tprev),
 * with add A: how many fit, the interval, and which side broke. */
static void scan(const struct ref_step *s, size_t i0, uint32_t m, int64_t L, long double tprev,
                 double E, int A, struct scan *r)
{
    double lo = -INFINITY, hi = INFINITY;
    r->side = 0;
    for (uint32_t k = 0; k < m; k++) {
        double t = (double)(s[i0 + k].t - L);
        double y = k + 1.0;
        double mid = (t - 0.5 * A * k * y) / y;
        double nlo = fmax(lo, mid - E / y), nhi = fmin(hi, mid + E / y);
        double g = (double)(s[i0 + k].t - (k ? s[i0 + k - 1].t : tprev));
        if (g < 4 * E)
            nlo = fmax(nlo, g / 2 - (double)k * A);
        double l1 = A < 0 ? 1 - (double)k * A : 1,
               h1 = A > 0 ? MAX_INTERVAL - (double)k * A : MAX_INTERVAL;
        double blo = fmax(nlo, l1), bhi = fmin(nhi, h1);
        if (ceil(blo) > floor(bhi)) {
            double pl1 = A < 0 ? 1 - (k - 1.0) * A : 1;
            double ph1 = A > 0 ? MAX_INTERVAL - (k - 1.0) * A : MAX_INTERVAL;
            double alo = fmax(lo, pl1), ahi = fmin(hi, ph1);
            r->n = k;
            if (k)
                r->I = pick(alo, ahi);
            int rose = ceil(blo) > floor(ahi), fell = ceil(alo) > floor(bhi);
            if (rose && !fell)
                r->side = 1;
            else if (fell && !rose)
                r->side = -1;
            else
                r->side = blo - alo >= ahi - bhi ? 1 : -1;
            return;
        }
        lo = nlo;
        hi = nhi;
    }
    r->n = m;
    double last = (m - 1.0) * A;
    r->I =
        pick(fmax(lo, A < 0 ? 1 - last : 1), fmin(hi, A > 0 ? MAX_INTERVAL - last : MAX_INTERVAL));
}

static void best(const struct ref_step *s, size_t i0, uint32_t m, int64_t L, long double tprev,
                 double E, struct scan *out, int *add)
{
    int A = 0;
    if (m >= 3) {
        double d2 = (double)(s[i0 + 2].t - 2 * s[i0 + 1].t + s[i0].t);
        A = d2 > 32767 ? 32767 : d2 < -32768 ? -32768 : (int)lround(d2);
    }
    int amin = -32768, amax = 32767;
    out->n = 0;
    *add = 0;
    for (int it = 0; it < 64; it++) {
        struct scan r;
        scan(s, i0, m, L, tprev, E, A, &r);
        if (r.n > out->n) {
            *out = r;
            *add = A;
        }
        if (r.n == m || !r.side)
            break;
        if (r.side > 0)
            amin = A + 1;
        else
            amax = A - 1;
        if (amin > amax)
            break;
        A = (int)floor((amin + (double)amax) / 2);
    }
}

struct ostate {
    const struct oracle_config *cfg;
    struct cmd_log *out;
    int have_last, dir_sent;
    int64_t last_clock;
    long double last_exact;
    uint64_t last_req;
};

static void put(struct ostate *o, struct step_cmd *c, int64_t req)
{
    c->oid = o->cfg->oid;
    uint64_t r = req > 0 ? (uint64_t)req : 0;
    if (r < o->last_req)
        r = o->last_req;
    o->last_req = r;
    c->req_clock = r;
    cmd_log_sink(o->out, c);
}

static void steps_out(struct ostate *o, const struct ref_steps *st, size_t i0, int dir,
                      int64_t from, int64_t reset, int64_t I, uint32_t n, int A)
{
    int64_t first = from + I;
    int dv = (dir > 0) ^ (o->cfg->invert_dir ? 1 : 0);
    struct step_cmd c;
    if (o->dir_sent != dv) {
        memset(&c, 0, sizeof(c));
        c.kind = STEP_CMD_SET_NEXT_STEP_DIR;
        c.dir = (uint8_t)dv;
        put(o, &c, first);
        o->dir_sent = dv;
    }
    if (reset >= 0) {
        memset(&c, 0, sizeof(c));
        c.kind = STEP_CMD_RESET_STEP_CLOCK;
        c.clock = (uint64_t)reset;
        c.min_clock = o->have_last && o->last_clock > 0 ? (uint64_t)o->last_clock : 0;
        put(o, &c, first);
    }
    memset(&c, 0, sizeof(c));
    c.kind = STEP_CMD_QUEUE_STEP;
    c.interval = (uint32_t)I;
    c.count = (uint16_t)n;
    c.add = (int16_t)A;
    put(o, &c, first);
    o->last_clock = from + (int64_t)n * I + (int64_t)A * ((int64_t)n * (n - 1) / 2);
    o->last_exact = st->v[i0 + n - 1].t;
    o->have_last = 1;
}

void oracle_compress(const struct oracle_config *cfg, const struct ref_steps *st,
                     struct cmd_log *out)
{
    double E = cfg->max_error_ticks - E_MARGIN;
    struct ostate o = {cfg, out, 0, -1, 0, 0, 0};
    size_t i = 0;
    while (i < st->n) {
        int dir = st->v[i].dir;
        size_t j = i;
        while (j < st->n && st->v[j].dir == dir && j - i < MAX_COUNT)
            j++;
        long double t0 = st->v[i].t;
        if (!o.have_last || (double)(t0 - o.last_clock) - E > MAX_INTERVAL) {
            int64_t V = (int64_t)floorl(t0 + 0.5L);
            if (o.have_last && V <= o.last_clock)
                V = o.last_clock + 1;
            uint32_t m = (uint32_t)(j - i - 1);
            if (m > MAX_COUNT - 1)
                m = MAX_COUNT - 1;
            struct scan r = {0, 0, 0};
            int A = 0;
            if (m)
                best(st->v, i + 1, m, V, t0, E, &r, &A);
            int64_t I = 0;
            uint32_t n = 1;
            int add = 0;
            if (r.n && r.I - A >= 0 && r.I - A <= MAX_INTERVAL && V - (r.I - A) >= 0) {
                I = r.I - A;
                n = r.n + 1;
                add = A;
            }
            steps_out(&o, st, i, dir, V - I, V - I, I, n, add);
            i += n;
            continue;
        }
        struct scan r;
        int A;
        best(st->v, i, (uint32_t)(j - i), o.last_clock, o.last_exact, E, &r, &A);
        if (!r.n) {
            int64_t I = (int64_t)floorl(t0 - o.last_clock + 0.5L);
            if (I < 1)
                I = 1;
            steps_out(&o, st, i, dir, o.last_clock, -1, I, 1, 0);
            i++;
            continue;
        }
        steps_out(&o, st, i, dir, o.last_clock, -1, r.I, r.n, A);
        i += r.n;
    }
}
