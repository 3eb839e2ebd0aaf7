#include "steptimes.h"

#include <math.h>

double steptrack_steps(const struct steptrack *t, const double pos[AXIS_COUNT])
{
    double p = 0;
    for (int i = 0; i < AXIS_COUNT; i++)
        p += t->coef[i] * pos[i];
    return p / t->step_distance;
}

double steptrack_end_steps(const struct steptrack *t, const struct move *m)
{
    double end[AXIS_COUNT];
    for (int i = 0; i < AXIS_COUNT; i++)
        end[i] = m->start_pos[i] + m->axes_r[i] * m->move_d;
    return steptrack_steps(t, end);
}

int64_t steptrack_count(double p)
{
    return (int64_t)floor(p + 0.5);
}

/* Steps i of a phase with uf + i <= U, out of n. */
static uint64_t steps_upto(double uf, double U, uint64_t n)
{
    if (!(uf <= U))
        return 0;
    double c = floor(U - uf) + 1;
    return c >= (double)n ? n : (uint64_t)c;
}

static int push(struct stepcompress *sc, struct step_seg *s, uint64_t n)
{
    while (n) {
        uint32_t part = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        s->n = part;
        if (stepcompress_push(sc, s) < 0)
            return -1;
        n -= part;
        if (s->kind == SEG_CRUISE)
            s->t0 += s->g * part;
        else
            s->u0 += part;
    }
    return 0;
}

/* n steps all at clock t. */
static int push_instant(struct stepcompress *sc, double t, int dir, uint64_t n)
{
    struct step_seg s = {0};
    s.base = (int64_t)floor(t);
    s.t0 = t - (double)s.base;
    s.kind = SEG_CRUISE;
    s.dir = (int8_t)dir;
    return push(sc, &s, n);
}

/* n steps u0, u0+1, ... steps into a phase that starts at clock t with
 * speed v and acceleration a (per tick). */
static int push_phase(struct stepcompress *sc, double t, double u0, double v, double a, int dir,
                      uint64_t n)
{
    if (!n)
        return 0;
    struct step_seg s = {0};
    s.base = (int64_t)floor(t);
    s.t0 = t - (double)s.base;
    s.dir = (int8_t)dir;
    if (a == 0) {
        if (!(v > 0))
            return push_instant(sc, t, dir, n);
        s.kind = SEG_CRUISE;
        s.g = 1 / v;
        s.t0 += u0 * s.g;
        return push(sc, &s, n);
    }
    /* A step at a standstill gets its own segment: the closed form's
     * derivatives are infinite there. */
    if (v == 0 && u0 == 0) {
        if (push_instant(sc, t, dir, 1) < 0)
            return -1;
        u0 = 1;
        n--;
    }
    uint64_t tail = 0;
    if (a < 0) {
        /* Decelerating: steps at or past the point where the speed
         * reaches 0 (only rounding puts them there) run at that instant. */
        double ustop = -v * v / (2 * a);
        uint64_t ok = u0 < ustop ? (uint64_t)ceil(ustop - u0) : 0;
        if (ok < n) {
            tail = n - ok;
            n = ok;
        }
    }
    s.kind = SEG_ACCEL;
    s.u0 = u0;
    s.v = v;
    s.a = a;
    s.ia = 1 / a;
    /* (r - v)/a loses about eps * (r + v)/|a| ticks to cancellation */
    double r_end = sqrt(fmax(0, v * v + 2 * a * (u0 + (double)n)));
    s.fast = (v + r_end) * fabs(s.ia) < 1e7;
    if (n && push(sc, &s, n) < 0)
        return -1;
    if (tail)
        return push_instant(sc, t + v / -a, dir, tail);
    return 0;
}

int steptrack_move(struct steptrack *t, const struct move *m, struct stepcompress *sc)
{
    double p0 = steptrack_steps(t, m->start_pos);
    double p1 = steptrack_end_steps(t, m);
    int64_t c0 = t->count, c1 = steptrack_count(p1);
    t->count = c1;
    if (c1 == c0)
        return 0;
    int dir = c1 > c0 ? 1 : -1;
    uint64_t n = dir > 0 ? (uint64_t)(c1 - c0) : (uint64_t)(c0 - c1);
    double k = 0;
    for (int i = 0; i < AXIS_COUNT; i++)
        k += t->coef[i] * m->axes_r[i];
    k /= t->step_distance;
    double f = t->freq;
    double clock0 = m->print_time * f + t->offset;
    /* The stepper does not move this way: the count only catches up with
     * a start position that rounding put across a half-step. */
    if (!(dir > 0 ? k > 0 : k < 0))
        return push_instant(sc, clock0, dir, n);
    double ak = fabs(k);
    /* Distance along the move, in this stepper's steps, to its first step. */
    double uf = dir > 0 ? (double)c0 + 0.5 - p0 : p0 - ((double)c0 - 0.5);
    if (uf < 0)
        uf = 0;
    double d_acc = 0.5 * (m->start_v + m->cruise_v) * m->accel_t;
    double d_cru = m->cruise_v * m->cruise_t;
    double u_acc = ak * d_acc, u_cru = ak * (d_acc + d_cru);
    uint64_t n_acc = steps_upto(uf, u_acc, n);
    uint64_t n_cru = steps_upto(uf, u_cru, n);
    if (n_cru < n_acc)
        n_cru = n_acc;
    double vs = ak / f, as = ak / (f * f);
    if (push_phase(sc, clock0, uf, m->start_v * vs, m->accel * as, dir, n_acc) < 0)
        return -1;
    double clock1 = (m->print_time + m->accel_t) * f + t->offset;
    if (push_phase(sc, clock1, uf + (double)n_acc - u_acc, m->cruise_v * vs, 0, dir,
                   n_cru - n_acc) < 0)
        return -1;
    double clock2 = (m->print_time + m->accel_t + m->cruise_t) * f + t->offset;
    double u2 = uf + (double)n_cru - u_cru;
    if (u2 < 0)
        u2 = 0;
    return push_phase(sc, clock2, u2, m->cruise_v * vs, -m->accel * as, dir, n - n_cru);
}
