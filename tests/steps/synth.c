#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void synth_default(struct synth_config *c, uint64_t seed)
{
    c->seed = seed;
    c->accel = 5000;
    c->square_corner_v = 5;
    c->v_min = 100;
    c->v_max = 300;
    c->d_min = 0.5;
    c->d_max = 5;
    c->extrude_per_mm = 0.0333;
    c->retract_every = 40;
    c->layer_every = 400;
}

static uint64_t next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* A move before planning: where it goes and its limits. */
struct raw {
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    double d, r[AXIS_COUNT];
    double max_v2, accel;
    int xy; /* moves x/y (junction speeds apply between two such moves) */
};

static void set_profile(struct move *m, double sv2, double cv2, double ev2, double accel)
{
    double d = m->move_d;
    double cruise_v2 = fmin(cv2, 0.5 * (sv2 + ev2) + accel * d);
    if (cruise_v2 < fmax(sv2, ev2))
        cruise_v2 = fmax(sv2, ev2);
    double sv = sqrt(sv2), ev = sqrt(ev2), cv = sqrt(cruise_v2);
    double acc_d = (cruise_v2 - sv2) / (2 * accel), dec_d = (cruise_v2 - ev2) / (2 * accel);
    double cru_d = d - acc_d - dec_d;
    if (cru_d < 0)
        cru_d = 0;
    m->accel = accel;
    m->start_v = sv;
    m->cruise_v = cv;
    m->end_v = ev;
    m->accel_t = (cv - sv) / accel;
    m->decel_t = (cv - ev) / accel;
    m->cruise_t = cv > 0 ? cru_d / cv : 0;
}

struct move synth_move(double print_time, const double p0[AXIS_COUNT], const double p1[AXIS_COUNT],
                       double start_v, double cruise_v, double end_v, double accel)
{
    struct move m;
    memset(&m, 0, sizeof(m));
    double dxyz = 0;
    for (int i = 0; i < 3; i++)
        dxyz += (p1[i] - p0[i]) * (p1[i] - p0[i]);
    dxyz = sqrt(dxyz);
    double d = dxyz > 0 ? dxyz : fabs(p1[AXIS_E] - p0[AXIS_E]);
    m.print_time = print_time;
    m.move_d = d;
    for (int i = 0; i < AXIS_COUNT; i++) {
        m.start_pos[i] = p0[i];
        m.axes_r[i] = (p1[i] - p0[i]) / d;
    }
    set_profile(&m, start_v * start_v, cruise_v * cruise_v, end_v * end_v, accel);
    return m;
}

static void push_raw(struct raw **v, size_t *n, size_t *cap, const double p0[AXIS_COUNT],
                     const double p1[AXIS_COUNT], double max_v, double accel)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *v = realloc(*v, *cap * sizeof(**v));
        if (!*v)
            abort();
    }
    struct raw *r = &(*v)[(*n)++];
    memcpy(r->p0, p0, sizeof(r->p0));
    memcpy(r->p1, p1, sizeof(r->p1));
    double dxyz = 0;
    for (int i = 0; i < 3; i++)
        dxyz += (p1[i] - p0[i]) * (p1[i] - p0[i]);
    dxyz = sqrt(dxyz);
    r->d = dxyz > 0 ? dxyz : fabs(p1[AXIS_E] - p0[AXIS_E]);
    for (int i = 0; i < AXIS_COUNT; i++)
        r->r[i] = (p1[i] - p0[i]) / r->d;
    r->max_v2 = max_v * max_v;
    r->accel = accel;
    r->xy = (p1[0] != p0[0] || p1[1] != p0[1]) && p1[2] == p0[2];
}

void synth_generate(const struct synth_config *c, size_t nmoves, struct synth_moves *out)
{
    uint64_t rs = c->seed;
    struct raw *raw = NULL;
    size_t nraw = 0, rcap = 0;
    double pos[AXIS_COUNT] = {100, 100, 0.2, 0};
    if (out->n) {
        const struct move *l = &out->v[out->n - 1];
        for (int i = 0; i < AXIS_COUNT; i++)
            pos[i] = l->start_pos[i] + l->axes_r[i] * l->move_d;
    }
    double heading = uniform(&rs, 0, 2 * M_PI);
    double vlim = uniform(&rs, c->v_min, c->v_max);
    for (size_t k = 0; k < nmoves; k++) {
        double p1[AXIS_COUNT];
        memcpy(p1, pos, sizeof(p1));
        if (c->layer_every && k && k % (size_t)c->layer_every == 0) {
            p1[AXIS_Z] += 0.2;
            push_raw(&raw, &nraw, &rcap, pos, p1, 15, 500);
            memcpy(pos, p1, sizeof(pos));
            continue;
        }
        if (c->retract_every && k && k % (size_t)c->retract_every == 0) {
            /* retract, travel, unretract */
            p1[AXIS_E] -= 1;
            push_raw(&raw, &nraw, &rcap, pos, p1, 35, 1000);
            memcpy(pos, p1, sizeof(pos));
            double td = uniform(&rs, 2, 20), th = uniform(&rs, 0, 2 * M_PI);
            p1[0] = fmin(190, fmax(10, pos[0] + td * cos(th)));
            p1[1] = fmin(190, fmax(10, pos[1] + td * sin(th)));
            if (p1[0] != pos[0] || p1[1] != pos[1]) {
                push_raw(&raw, &nraw, &rcap, pos, p1, c->v_max, c->accel);
                memcpy(pos, p1, sizeof(pos));
            }
            p1[AXIS_E] += 1;
            push_raw(&raw, &nraw, &rcap, pos, p1, 35, 1000);
            memcpy(pos, p1, sizeof(pos));
            continue;
        }
        double u = uniform(&rs, 0, 1);
        if (u < 0.75)
            heading += uniform(&rs, -0.2, 0.2);
        else if (u < 0.93)
            heading += uniform(&rs, -1.2, 1.2);
        else
            heading += uniform(&rs, 1.5, 3.1) * (next(&rs) & 1 ? 1 : -1);
        if (uniform(&rs, 0, 1) < 0.05)
            vlim = uniform(&rs, c->v_min, c->v_max);
        double d = uniform(&rs, c->d_min, c->d_max);
        double nx = pos[0] + d * cos(heading), ny = pos[1] + d * sin(heading);
        if (nx < 10 || nx > 190 || ny < 10 || ny > 190) {
            heading += M_PI;
            nx = pos[0] + d * cos(heading);
            ny = pos[1] + d * sin(heading);
        }
        p1[0] = nx;
        p1[1] = ny;
        p1[AXIS_E] += d * c->extrude_per_mm;
        push_raw(&raw, &nraw, &rcap, pos, p1, vlim, c->accel);
        memcpy(pos, p1, sizeof(pos));
    }

    /* Junction limits, then the backward pass (how fast each move may
     * start so that it can still slow down) and the forward pass. */
    double jd = c->square_corner_v * c->square_corner_v * (M_SQRT2 - 1) / c->accel;
    double *junc = calloc(nraw + 1, sizeof(double));
    double *start2 = calloc(nraw + 1, sizeof(double));
    if (!junc || !start2)
        abort();
    for (size_t i = 1; i < nraw; i++) {
        const struct raw *a = &raw[i - 1], *b = &raw[i];
        if (!a->xy || !b->xy)
            continue;
        double cos_theta = -(a->r[0] * b->r[0] + a->r[1] * b->r[1] + a->r[2] * b->r[2]);
        double v2;
        if (cos_theta < -0.999999)
            v2 = 1e18;
        else if (cos_theta > 0.999999)
            v2 = 0;
        else {
            double s = sqrt(0.5 * (1 - cos_theta));
            double R = jd * s / (1 - s);
            v2 = b->accel * R;
        }
        junc[i] = fmin(v2, fmin(a->max_v2, b->max_v2));
    }
    junc[nraw] = 0;
    double next2 = 0;
    for (size_t i = nraw; i-- > 0;) {
        double lim = fmin(junc[i], next2 + 2 * raw[i].accel * raw[i].d);
        start2[i] = lim;
        next2 = lim;
    }
    double t = out->end_time, v2 = 0;
    for (size_t i = 0; i < nraw; i++) {
        const struct raw *r = &raw[i];
        double sv2 = fmin(v2, start2[i]);
        double ev2 = fmin(start2[i + 1], sv2 + 2 * r->accel * r->d);
        if (i + 1 == nraw)
            ev2 = 0;
        struct move m;
        memset(&m, 0, sizeof(m));
        m.print_time = t;
        m.move_d = r->d;
        memcpy(m.start_pos, r->p0, sizeof(m.start_pos));
        memcpy(m.axes_r, r->r, sizeof(m.axes_r));
        set_profile(&m, sv2, r->max_v2, ev2, r->accel);
        t += move_duration(&m);
        v2 = ev2;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 1024;
            out->v = realloc(out->v, out->cap * sizeof(*out->v));
            if (!out->v)
                abort();
        }
        out->v[out->n++] = m;
    }
    out->end_time = t;
    free(junc);
    free(start2);
    free(raw);
}

void synth_free(struct synth_moves *m)
{
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}
