#include "ref_steps.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

static void add(struct ref_steps *s, long double t, double tol, int dir)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
            abort();
    }
    s->v[s->n].t = t;
    s->v[s->n].tol = tol;
    s->v[s->n].dir = dir;
    s->n++;
}

/* Time into the move at which distance d along it is reached. */
static long double time_at(const struct move *m, long double d)
{
    long double sv = m->start_v, cv = m->cruise_v, a = m->accel;
    long double d_acc = (sv + cv) / 2 * m->accel_t;
    long double d_cru = cv * m->cruise_t;
    if (d <= d_acc) {
        if (a > 0)
            return (sqrtl(sv * sv + 2 * a * d) - sv) / a;
        return sv > 0 ? d / sv : 0;
    }
    if (d <= d_acc + d_cru)
        return m->accel_t + (d - d_acc) / cv;
    long double dd = d - d_acc - d_cru;
    long double t0 = (long double)m->accel_t + m->cruise_t;
    if (!(a > 0))
        return t0 + dd / cv;
    long double disc = cv * cv - 2 * a * dd;
    if (disc < 0)
        disc = 0;
    return t0 + (cv - sqrtl(disc)) / a;
}

static long double clampd(const struct move *m, long double d)
{
    return d < 0 ? 0 : d > m->move_d ? m->move_d : d;
}

void ref_move(struct ref_stepper *r, const struct move *m, struct ref_steps *out)
{
    double p0 = 0, p1 = 0, k = 0;
    for (int i = 0; i < AXIS_COUNT; i++) {
        p0 += r->coef[i] * m->start_pos[i];
        p1 += r->coef[i] * (m->start_pos[i] + m->axes_r[i] * m->move_d);
        k += r->coef[i] * m->axes_r[i];
    }
    p0 /= r->step_distance;
    p1 /= r->step_distance;
    k /= r->step_distance;
    int64_t c1 = (int64_t)floor(p1 + 0.5);
    int dir = c1 > r->count ? 1 : -1;
    long double start = (long double)m->print_time;
    for (int64_t c = r->count; c != c1; c += dir) {
        long double x = dir > 0 ? (long double)c + 0.5L : (long double)c - 0.5L;
        long double d = 0, dd = 0;
        if ((dir > 0 && k > 0) || (dir < 0 && k < 0)) {
            d = (x - p0) / (long double)k;
            dd = 8 * DBL_EPSILON * (fabs(p0) + fabsl(x) + 1) / fabs(k);
        }
        long double t = (start + time_at(m, clampd(m, d))) * r->freq + r->offset;
        long double t1 = (start + time_at(m, clampd(m, d - dd))) * r->freq + r->offset;
        long double t2 = (start + time_at(m, clampd(m, d + dd))) * r->freq + r->offset;
        add(out, t, (double)(t2 - t1) / 2 + 1e-6, dir);
    }
    r->count = c1;
}

void ref_set_position(struct ref_stepper *r, double pos_mm)
{
    r->count = (int64_t)floor(pos_mm / r->step_distance + 0.5);
}

size_t ref_count_until(const struct ref_steps *s, long double t)
{
    size_t n = 0;
    while (n < s->n && s->v[n].t <= t)
        n++;
    return n;
}

void ref_free(struct ref_steps *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
