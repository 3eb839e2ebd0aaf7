#include "viz_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "viz_load.h"

#define FREQ 16000000.0

void fixture_plan(const char *cfg, const char *gcode, struct viz_plan *p)
{
    char gpath[1024], cpath[1024];
    if (strchr(gcode, '/'))
        snprintf(gpath, sizeof(gpath), "%s", gcode);
    else
        snprintf(gpath, sizeof(gpath), "%s/%s", TEST_DATA, gcode);
    if (!cfg)
        snprintf(cpath, sizeof(cpath), "%s", PRINTER_CFG);
    else if (strchr(cfg, '/'))
        snprintf(cpath, sizeof(cpath), "%s", cfg);
    else
        snprintf(cpath, sizeof(cpath), "%s/%s", TEST_DATA, cfg);
    struct viz_load_opts o = {.config_path = cpath, .gcode_path = gpath, .dict_path = DICT};
    char err[1024];
    viz_plan_init(p);
    if (viz_plan_load(&o, p, err, sizeof(err)))
        fail_msg("planning %s: %s", gpath, err);
}

/* The trapezoid's distance after dt, and its inverse by bisection: kept
 * apart from the viewer's own closed forms, which the tests check. */
static double dist_after(const struct viz_move *m, double dt)
{
    double ta = m->accel_t, tc = m->cruise_t, td = m->decel_t;
    double v0 = m->start_v, vc = m->cruise_v, v1 = m->end_v;
    double d = 0.0, t = fmin(dt, ta);
    if (t > 0)
        d += v0 * t + 0.5 * (vc - v0) / ta * t * t;
    t = fmin(dt - ta, tc);
    if (t > 0)
        d += vc * t;
    t = fmin(dt - ta - tc, td);
    if (t > 0)
        d += vc * t - 0.5 * (vc - v1) / td * t * t;
    return d;
}

static double time_for(const struct viz_move *m, double dist)
{
    double lo = 0.0, hi = viz_move_duration(m);
    for (int i = 0; i < 80; i++) {
        double mid = 0.5 * (lo + hi);
        if (dist_after(m, mid) < dist)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

struct synth_stepper {
    const char *name;
    double step, start;
    uint64_t *ticks;
    int8_t *dirs;
    size_t n, cap;
    int64_t mcu; /* steps from the start */
    double phys; /* where the carriage is, mm */
};

static void push_edge(struct synth_stepper *s, double t, int dir)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->ticks = realloc(s->ticks, s->cap * sizeof(*s->ticks));
        s->dirs = realloc(s->dirs, s->cap);
        assert_non_null(s->ticks);
        assert_non_null(s->dirs);
    }
    uint64_t tick = (uint64_t)llround(t * FREQ);
    if (s->n && tick <= s->ticks[s->n - 1])
        tick = s->ticks[s->n - 1] + 1;
    s->ticks[s->n] = tick;
    s->dirs[s->n] = (int8_t)dir;
    s->n++;
}

/* Runs of edges that follow the queue_step arithmetic exactly. */
static void write_runs(FILE *f, const struct synth_stepper *s)
{
    size_t i = 0;
    while (i < s->n) {
        uint64_t t0 = s->ticks[i];
        int dir = s->dirs[i];
        uint64_t interval = 0, count = 1;
        int64_t add = 0;
        uint64_t last = t0;
        size_t j = i + 1;
        for (; j < s->n && s->dirs[j] == dir; j++) {
            uint64_t t = s->ticks[j];
            if (count == 1) {
                interval = t - last;
            } else if (count == 2) {
                add = (int64_t)(t - last) - (int64_t)interval;
            } else if ((int64_t)(t - last) != (int64_t)interval + add * (int64_t)(count - 1)) {
                break;
            }
            if (add < INT32_MIN || add > INT32_MAX || interval > UINT32_MAX)
                break;
            last = t;
            count++;
        }
        fprintf(f, "%llu step %s %c %llu %llu %lld\n", (unsigned long long)t0, s->name,
                dir > 0 ? '+' : '-', (unsigned long long)interval, (unsigned long long)count,
                (long long)add);
        i = j;
    }
}

char *fixture_synth_trace(const struct viz_plan *p, const struct synth_opts *o, double *shifted)
{
    struct synth_stepper st[3] = {
        {.name = "stepper_x", .step = 0.0125, .start = 100.0},
        {.name = "stepper_y", .step = 0.0125, .start = 100.0},
        {.name = "stepper_z", .step = 0.0025, .start = 99.0},
    };
    for (int a = 0; a < 3; a++)
        st[a].phys = st[a].start;
    double shift = o->offset, stop_trace = -1.0;
    int lose = o->lose_steps;
    for (size_t i = 0; i < p->n; i++) {
        const struct viz_move *m = &p->moves[i];
        if (i && (p->moves[i - 1].end_v < 1e-3 || m->start_v < 1e-3))
            shift += o->wait;
        if (shifted)
            shifted[i] = m->t + shift;
        double len = viz_move_profile_length(m);
        for (int a = 0; a < 3; a++) {
            struct synth_stepper *s = &st[a];
            double d = (double)m->to[a] - m->from[a];
            if (fabs(d) < 1e-12)
                continue;
            double q0 = (s->phys - s->start) / s->step, q1 = q0 + d / s->step;
            int dir = d > 0 ? 1 : -1;
            int64_t c = s->mcu;
            while (dir > 0 ? c + 0.5 <= q1 : c - 0.5 >= q1) {
                double qc = c + 0.5 * dir, f = (qc - q0) / (q1 - q0);
                double local = time_for(m, f * len);
                if (o->stop_at > 0 && m->t + local > o->stop_at) {
                    if (stop_trace < 0)
                        stop_trace = o->stop_at + shift;
                    break;
                }
                bool lost = a == 0 && lose > 0 && m->t + local >= o->lose_at;
                if (lost)
                    lose--;
                else
                    push_edge(s, m->t + local + shift, dir);
                c += dir;
            }
            s->mcu = c;
            s->phys += d;
        }
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fprintf(f, "# lockstep trace 2\n# made by tests/viz from a plan\nfreq %.0f\n", FREQ);
    for (int a = 0; a < 3; a++)
        fprintf(f, "stepper %s rail %c mm_per_step %g start %.4f\n", st[a].name, "xyz"[a],
                st[a].step, st[a].start);
    fprintf(f, "stepper extruder rail e mm_per_step 0.003559375 start 0\n");
    if (o->temps)
        fprintf(f, "heater extruder\n");
    for (int a = 0; a < 3; a++) {
        write_runs(f, &st[a]);
        free(st[a].ticks);
        free(st[a].dirs);
    }
    double end = p->n ? viz_move_end(&p->moves[p->n - 1]) + shift : 0.0;
    if (stop_trace >= 0)
        end = stop_trace;
    for (int k = 0; o->temps && k <= (int)end; k++)
        fprintf(f, "%llu temp extruder %.2f target 200\n", (unsigned long long)(k * FREQ),
                fmin(200.0, 25.0 + 5.0 * k));
    if (stop_trace >= 0)
        fprintf(f, "%llu answer 42 !! MCU 'mcu' shutdown: ADC out of range\n",
                (unsigned long long)llround(stop_trace * FREQ));
    fprintf(f, "# hash 0000000000000000\n");
    fclose(f);
    return text;
}

size_t fixture_count(const struct viz_canvas *c, const struct viz_rect *r, uint32_t colour, int *x0,
                     int *y0, int *x1, int *y1)
{
    size_t n = 0;
    int bx0 = r->x + r->w, by0 = r->y + r->h, bx1 = r->x - 1, by1 = r->y - 1;
    for (int y = r->y; y < r->y + r->h; y++)
        for (int x = r->x; x < r->x + r->w; x++)
            if (c->px[(size_t)y * c->w + x] == colour) {
                n++;
                bx0 = x < bx0 ? x : bx0;
                by0 = y < by0 ? y : by0;
                bx1 = x > bx1 ? x : bx1;
                by1 = y > by1 ? y : by1;
            }
    if (x0) {
        *x0 = bx0;
        *y0 = by0;
        *x1 = bx1;
        *y1 = by1;
    }
    return n;
}

size_t fixture_count_coloured(const struct viz_canvas *c, const struct viz_rect *r)
{
    size_t n = 0;
    for (int y = r->y; y < r->y + r->h; y++)
        for (int x = r->x; x < r->x + r->w; x++) {
            uint32_t p = c->px[(size_t)y * c->w + x];
            int R = (int)(p >> 16 & 255), G = (int)(p >> 8 & 255), B = (int)(p & 255);
            int spread = abs(R - G) + abs(G - B) + abs(R - B);
            if (p != VIZ_COLOUR_BG && spread > 40)
                n++;
        }
    return n;
}

uint32_t fixture_pixel(const struct viz_canvas *c, int x, int y)
{
    assert_true(x >= 0 && y >= 0 && x < c->w && y < c->h);
    return c->px[(size_t)y * c->w + x];
}

bool fixture_near(const struct viz_canvas *c, float x, float y, int d, uint32_t colour)
{
    int cx = (int)lroundf(x), cy = (int)lroundf(y);
    for (int j = -d; j <= d; j++)
        for (int i = -d; i <= d; i++) {
            int px = cx + i, py = cy + j;
            if (px >= 0 && py >= 0 && px < c->w && py < c->h &&
                c->px[(size_t)py * c->w + px] == colour)
                return true;
        }
    return false;
}
