#include "viz_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "move.h"

/* A homing approach starts where the toolhead was declared to be; any
 * other move starts where the one before ended, up to rounding. */
#define JUMP_MM 1e-6
/* Planar extrusion at a height this far from the layer's starts a new
 * layer; spiral (vase mode) extrusion, which climbs while it extrudes,
 * is cut into layers this tall. */
#define LAYER_STEP_MM 1e-3
#define SPIRAL_STEP_MM 0.1

void viz_plan_init(struct viz_plan *p)
{
    memset(p, 0, sizeof(*p));
    p->last_extrude = SIZE_MAX;
}

void viz_plan_free(struct viz_plan *p)
{
    free(p->moves);
    free(p->layers);
    viz_plan_init(p);
}

static int add_layer(struct viz_plan *p, uint32_t first, float z)
{
    if (p->nlayers == p->layer_cap) {
        size_t cap = p->layer_cap ? p->layer_cap * 2 : 64;
        struct viz_layer *l = realloc(p->layers, cap * sizeof(*l));
        if (!l)
            return -1;
        p->layers = l;
        p->layer_cap = cap;
    }
    p->layers[p->nlayers++] = (struct viz_layer){.first = first, .z = z};
    /* The travel since the last extrusion leads up to this layer. */
    for (size_t i = first; i < p->n; i++)
        p->moves[i].layer = (uint32_t)(p->nlayers - 1);
    return 0;
}

static int track_layer(struct viz_plan *p, size_t idx)
{
    const struct viz_move *m = &p->moves[idx];
    float z = m->to[2];
    bool spiral = fabsf(m->to[2] - m->from[2]) > LAYER_STEP_MM;
    int rc = 0;
    if (!p->nlayers) {
        rc = add_layer(p, 0, z);
    } else {
        float dz = fabsf(z - p->layers[p->nlayers - 1].z);
        if (dz > (spiral ? SPIRAL_STEP_MM : LAYER_STEP_MM)) {
            size_t first = p->last_extrude == SIZE_MAX ? 0 : p->last_extrude + 1;
            rc = add_layer(p, (uint32_t)first, z);
        }
    }
    p->last_extrude = idx;
    return rc;
}

int viz_plan_add(struct viz_plan *p, const struct move *m)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4096;
        struct viz_move *v = realloc(p->moves, cap * sizeof(*v));
        if (!v)
            return -1;
        p->moves = v;
        p->cap = cap;
    }
    struct viz_move *v = &p->moves[p->n];
    memset(v, 0, sizeof(*v));
    v->t = m->print_time;
    bool moves_xyz = false, jump = false;
    for (int a = 0; a < 3; a++) {
        double end = m->start_pos[a] + m->axes_r[a] * m->move_d;
        v->from[a] = (float)m->start_pos[a];
        v->to[a] = (float)end;
        if (m->axes_r[a] != 0.0)
            moves_xyz = true;
        if (fabs(m->start_pos[a] - p->last_end[a]) > JUMP_MM)
            jump = true;
        p->last_end[a] = end;
    }
    v->accel_t = (float)m->accel_t;
    v->cruise_t = (float)m->cruise_t;
    v->decel_t = (float)m->decel_t;
    v->start_v = (float)m->start_v;
    v->cruise_v = (float)m->cruise_v;
    v->end_v = (float)m->end_v;
    v->layer = p->nlayers ? (uint32_t)(p->nlayers - 1) : 0;
    if (!moves_xyz)
        v->kind = VIZ_E_ONLY;
    else if (jump)
        v->kind = VIZ_HOMING;
    else if (m->axes_r[AXIS_E] > 0.0 && (m->axes_r[AXIS_X] != 0.0 || m->axes_r[AXIS_Y] != 0.0))
        v->kind = VIZ_EXTRUDE;
    else
        v->kind = VIZ_TRAVEL;
    p->n++;
    p->counts[v->kind]++;
    if (v->kind == VIZ_EXTRUDE && track_layer(p, p->n - 1))
        return -1;
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static bool framed(const struct viz_move *m, int want)
{
    if (m->kind == VIZ_HOMING || m->kind == VIZ_E_ONLY)
        return false;
    return want < 0 || m->kind == want;
}

/* The extent of the framed moves' ends, leaving out the outermost 0.5%
 * on each side when there are many: a purge line at the bed's edge
 * should not shrink the part to a corner of the view. */
static void frame_extent(struct viz_plan *p, int want, size_t count)
{
    enum { MAX_SAMPLES = 1 << 16 };
    size_t stride = count > MAX_SAMPLES ? count / MAX_SAMPLES + 1 : 1;
    size_t cap = count / stride + 2;
    float *v = malloc(cap * sizeof(*v));
    for (int a = 0; a < 3; a++) {
        size_t n = 0, seen = 0;
        bool any = false;
        for (size_t i = 0; i < p->n; i++) {
            const struct viz_move *m = &p->moves[i];
            if (!framed(m, want))
                continue;
            float lo = fminf(m->from[a], m->to[a]), hi = fmaxf(m->from[a], m->to[a]);
            if (!any || lo < p->lo[a])
                p->lo[a] = lo;
            if (!any || hi > p->hi[a])
                p->hi[a] = hi;
            any = true;
            if (v && seen++ % stride == 0 && n < cap)
                v[n++] = m->to[a];
        }
        if (v && n >= 200) {
            qsort(v, n, sizeof(*v), cmp_float);
            p->lo[a] = v[n / 200];
            p->hi[a] = v[n - 1 - n / 200];
        }
    }
    free(v);
}

void viz_plan_finish(struct viz_plan *p)
{
    if (!p->nlayers && add_layer(p, 0, p->n ? p->moves[0].from[2] : 0.0f))
        p->nlayers = 0; /* out of memory: viz_plan_layer_range copes with no layers */
    int want = p->counts[VIZ_EXTRUDE] ? VIZ_EXTRUDE : -1;
    size_t count = 0;
    p->vmax = 0.0f;
    p->t_end = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        const struct viz_move *m = &p->moves[i];
        double end = viz_move_end(m);
        if (end > p->t_end)
            p->t_end = end;
        if (!framed(m, want))
            continue;
        count++;
        /* The speed scale is the extrusion's: faster travel tops it. */
        if (m->cruise_v > p->vmax)
            p->vmax = m->cruise_v;
    }
    if (count) {
        frame_extent(p, want, count);
    } else {
        for (int a = 0; a < 3; a++) {
            p->lo[a] = 0.0f;
            p->hi[a] = 1.0f;
        }
    }
    if (p->vmax <= 0.0f)
        p->vmax = 1.0f;
}

double viz_move_profile_length(const struct viz_move *m)
{
    return 0.5 * ((double)m->start_v + m->cruise_v) * m->accel_t +
           (double)m->cruise_v * m->cruise_t + 0.5 * ((double)m->cruise_v + m->end_v) * m->decel_t;
}

double viz_move_length(const struct viz_move *m)
{
    double d2 = 0.0;
    for (int a = 0; a < 3; a++) {
        double d = (double)m->to[a] - m->from[a];
        d2 += d * d;
    }
    return sqrt(d2);
}

double viz_move_dist_at(const struct viz_move *m, double dt)
{
    double ta = m->accel_t, tc = m->cruise_t, td = m->decel_t;
    double v0 = m->start_v, vc = m->cruise_v, v1 = m->end_v;
    if (dt <= 0.0)
        return 0.0;
    if (dt < ta)
        return v0 * dt + 0.5 * (vc - v0) / ta * dt * dt;
    double d = 0.5 * (v0 + vc) * ta;
    dt -= ta;
    if (dt < tc)
        return d + vc * dt;
    d += vc * tc;
    dt -= tc;
    if (dt < td)
        return d + vc * dt - 0.5 * (vc - v1) / td * dt * dt;
    return d + 0.5 * (vc + v1) * td;
}

/* Time to cover d from speed v0 with acceleration a (a may be negative). */
static double time_to_cover(double v0, double a, double d)
{
    if (fabs(a) < 1e-12)
        return v0 > 0.0 ? d / v0 : 0.0;
    double disc = v0 * v0 + 2.0 * a * d;
    if (disc < 0.0)
        disc = 0.0;
    /* The root for the first arrival, written to avoid cancellation. */
    double s = sqrt(disc);
    return v0 + s > 0.0 ? 2.0 * d / (v0 + s) : (s - v0) / a;
}

double viz_move_time_at_dist(const struct viz_move *m, double d)
{
    double ta = m->accel_t, tc = m->cruise_t, td = m->decel_t;
    double v0 = m->start_v, vc = m->cruise_v, v1 = m->end_v;
    if (d <= 0.0)
        return 0.0;
    double da = 0.5 * (v0 + vc) * ta;
    if (d < da)
        return fmin(ta, time_to_cover(v0, (vc - v0) / ta, d));
    d -= da;
    double dc = vc * tc;
    if (d < dc)
        return ta + d / vc;
    d -= dc;
    double dd = 0.5 * (vc + v1) * td;
    if (d < dd)
        return ta + tc + fmin(td, time_to_cover(vc, -(vc - v1) / td, d));
    return ta + tc + td;
}

double viz_move_speed_at(const struct viz_move *m, double dt)
{
    double ta = m->accel_t, tc = m->cruise_t, td = m->decel_t;
    if (dt <= 0.0)
        return m->start_v;
    if (dt < ta)
        return m->start_v + ((double)m->cruise_v - m->start_v) * dt / ta;
    dt -= ta;
    if (dt < tc)
        return m->cruise_v;
    dt -= tc;
    if (dt < td)
        return m->cruise_v - ((double)m->cruise_v - m->end_v) * dt / td;
    return m->end_v;
}

void viz_move_pos_at(const struct viz_move *m, double t, float out[3])
{
    double total = viz_move_profile_length(m);
    double f = total > 0.0 ? viz_move_dist_at(m, t - m->t) / total : 1.0;
    f = f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
    for (int a = 0; a < 3; a++)
        out[a] = (float)(m->from[a] + ((double)m->to[a] - m->from[a]) * f);
}

size_t viz_plan_count_started(const struct viz_plan *p, double t)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->moves[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t viz_plan_layer_of(const struct viz_plan *p, size_t move)
{
    return move < p->n ? p->moves[move].layer : (p->nlayers ? (uint32_t)(p->nlayers - 1) : 0);
}

void viz_plan_layer_range(const struct viz_plan *p, uint32_t lo, uint32_t hi, size_t *first,
                          size_t *end)
{
    if (!p->nlayers) {
        *first = 0;
        *end = p->n;
        return;
    }
    if (lo > hi || lo >= p->nlayers) {
        *first = *end = p->n;
        return;
    }
    *first = p->layers[lo].first;
    *end = hi + 1 < p->nlayers ? p->layers[hi + 1].first : p->n;
}
