#include "viz_render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DEG (3.14159265358979f / 180.0f)

#define COLOUR_TEXT 0xffd8d8dcu
#define COLOUR_DIM_TEXT 0xff9090a0u
#define COLOUR_PANEL 0xff202026u
#define COLOUR_BORDER 0xff34343cu
#define COLOUR_GRID 0xff26262du
#define COLOUR_BED 0xff45455au
#define COLOUR_OLD_LAYER 0xff3c3c46u
#define COLOUR_HOMING 0xff6a6a72u
#define COLOUR_NOT_RUN 0xff784656u
#define COLOUR_FAULT 0xffffa000u
#define COLOUR_SHUTDOWN 0xffff3c3cu
#define COLOUR_ERROR 0xfff0dc3cu
#define COLOUR_CURSOR 0xffffffffu
#define COLOUR_PROGRESS 0xff2c3c58u
/* The executed path blended over the planned one, which shows through. */
#define EXEC_OVERLAY ((VIZ_COLOUR_EXEC & 0x00ffffffu) | 0x80000000u)

/* Screen = origin + m * (x, y, z). */
struct proj {
    float m[2][3];
    float ox, oy;
};

static inline void project(const struct proj *p, const float q[3], float *x, float *y)
{
    *x = p->ox + p->m[0][0] * q[0] + p->m[0][1] * q[1] + p->m[0][2] * q[2];
    *y = p->oy + p->m[1][0] * q[0] + p->m[1][1] * q[1] + p->m[1][2] * q[2];
}

/* A line pen that drops what would not show: a move ending within a
 * pixel of where the last drawn line ended is skipped, and the next
 * line starts from there. Dense files (100k short segments) draw a
 * fraction of their moves when zoomed out. */
struct pen {
    float x, y;
    bool down;
};

void viz_layout(int w, int h, bool has_temps, struct viz_layout *l)
{
    int status_h = 2 * VIZ_CELL_H + 8, timeline_h = 40;
    int main_h = h - status_h - timeline_h;
    if (main_h < 1)
        main_h = 1;
    int left_w = w * 58 / 100;
    int top_h = has_temps ? main_h * 58 / 100 : main_h;
    l->status = (struct viz_rect){0, 0, w, status_h};
    l->view3d = (struct viz_rect){0, status_h, left_w, main_h};
    l->top = (struct viz_rect){left_w, status_h, w - left_w, top_h};
    l->temps = (struct viz_rect){left_w, status_h + top_h, w - left_w, main_h - top_h};
    l->timeline = (struct viz_rect){0, h - timeline_h, w, timeline_h};
}

uint32_t viz_speed_colour(float v, float vmax)
{
    static const uint8_t stops[5][3] = {
        {40, 40, 200}, {20, 150, 230}, {40, 200, 110}, {240, 210, 40}, {235, 60, 30}};
    float f = vmax > 0.0f ? v / vmax : 0.0f;
    f = f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
    float x = f * 4.0f;
    int i = (int)x;
    if (i > 3)
        i = 3;
    float t = x - (float)i;
    unsigned rgb[3];
    for (int k = 0; k < 3; k++)
        rgb[k] = (unsigned)(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * t + 0.5f);
    return viz_rgb(rgb[0], rgb[1], rgb[2]);
}

static void proj_3d(const struct viz_scene *s, const struct viz_view *v, const struct viz_rect *r,
                    struct proj *p)
{
    float c[3], d2 = 0.0f;
    for (int a = 0; a < 3; a++) {
        c[a] = 0.5f * (s->lo[a] + s->hi[a]);
        d2 += (s->hi[a] - s->lo[a]) * (s->hi[a] - s->lo[a]);
    }
    float radius = 0.5f * sqrtf(d2);
    float k = 0.46f * (float)(r->w < r->h ? r->w : r->h) / radius * v->zoom3d;
    float cy = cosf(v->yaw * DEG), sy = sinf(v->yaw * DEG);
    float ce = cosf(v->pitch * DEG), se = sinf(v->pitch * DEG);
    p->m[0][0] = k * cy;
    p->m[0][1] = -k * sy;
    p->m[0][2] = 0.0f;
    p->m[1][0] = -k * sy * se;
    p->m[1][1] = -k * cy * se;
    p->m[1][2] = -k * ce;
    p->ox = r->x + 0.5f * r->w + v->pan3d[0];
    p->oy = r->y + 0.5f * r->h + v->pan3d[1];
    for (int row = 0; row < 2; row++) {
        float off = p->m[row][0] * c[0] + p->m[row][1] * c[1] + p->m[row][2] * c[2];
        if (row == 0)
            p->ox -= off;
        else
            p->oy -= off;
    }
}

static void proj_top(const struct viz_scene *s, const struct viz_view *v, const struct viz_rect *r,
                     struct proj *p)
{
    float dx = s->hi[0] - s->lo[0], dy = s->hi[1] - s->lo[1];
    float kx = (float)r->w / dx, ky = (float)r->h / dy;
    float k = 0.88f * (kx < ky ? kx : ky) * v->zoom_top;
    memset(p, 0, sizeof(*p));
    p->m[0][0] = k;
    p->m[1][1] = -k;
    p->ox = r->x + 0.5f * r->w + v->pan_top[0] - k * 0.5f * (s->lo[0] + s->hi[0]);
    p->oy = r->y + 0.5f * r->h + v->pan_top[1] + k * 0.5f * (s->lo[1] + s->hi[1]);
}

void viz_top_project(const struct viz_scene *s, const struct viz_view *v, const struct viz_rect *r,
                     float x, float y, float *px, float *py)
{
    struct proj p;
    proj_top(s, v, r, &p);
    const float q[3] = {x, y, 0.0f};
    project(&p, q, px, py);
}

void viz_3d_project(const struct viz_scene *s, const struct viz_view *v, const struct viz_rect *r,
                    const float q[3], float *px, float *py)
{
    struct proj p;
    proj_3d(s, v, r, &p);
    project(&p, q, px, py);
}

/* ---- the toolpath ---- */

enum path_style { STYLE_FULL, STYLE_OLD };

/* Speed colours looked up, not computed, for each of the many moves. */
#define SPEED_STEPS 256

struct path_ctx {
    uint32_t speed_lut[SPEED_STEPS];
    struct viz_canvas *c;
    const struct viz_scene *s;
    const struct viz_view *v;
    const struct proj *p;
    double t; /* moves starting after it are not drawn, the one in progress in part */
    int style;
    struct pen pen;
};

static void path_init(struct path_ctx *x, struct viz_canvas *c, const struct viz_scene *s,
                      const struct viz_view *v, const struct proj *p, int style)
{
    x->c = c;
    x->s = s;
    x->v = v;
    x->p = p;
    x->t = v->time;
    x->style = style;
    x->pen.down = false;
    for (int i = 0; i < SPEED_STEPS; i++)
        x->speed_lut[i] = viz_speed_colour(s->vmax * (float)i / (SPEED_STEPS - 1), s->vmax);
}

static uint32_t speed_colour(const struct path_ctx *x, float v)
{
    float f = v / x->s->vmax * (SPEED_STEPS - 1) + 0.5f;
    return x->speed_lut[f <= 0.0f ? 0 : f >= SPEED_STEPS - 1 ? SPEED_STEPS - 1 : (int)f];
}

static uint32_t travel_colour(uint32_t c)
{
    return viz_mix(c, VIZ_COLOUR_BG, 110);
}

/* The move from A to B by phases, up to fraction f_end of its length
 * (the move in progress): accelerating, cruising, decelerating, each
 * coloured by its speed (a gradient while it changes) or by its phase. */
static void draw_phases(struct path_ctx *x, const struct viz_move *m, float ax, float ay, float bx,
                        float by, float f_end)
{
    bool travel = m->kind != VIZ_EXTRUDE;
    int dash = travel ? 3 : 0;
    bool phase = x->v->colour_mode == VIZ_COLOUR_PHASE;
    float len = (float)viz_move_profile_length(m);
    float da = 0.5f * (m->start_v + m->cruise_v) * m->accel_t;
    float dc = m->cruise_v * m->cruise_t;
    float bounds[4] = {0.0f, len > 0.0f ? da / len : 0.0f, len > 0.0f ? (da + dc) / len : 1.0f,
                       1.0f};
    float speeds[4] = {m->start_v, m->cruise_v, m->cruise_v, m->end_v};
    static const uint32_t phase_colours[3] = {VIZ_COLOUR_ACCEL, VIZ_COLOUR_CRUISE,
                                              VIZ_COLOUR_DECEL};
    for (int k = 0; k < 3; k++) {
        float f0 = bounds[k], f1 = fminf(bounds[k + 1], f_end);
        if (f1 <= f0)
            continue;
        uint32_t c0, c1;
        if (phase) {
            c0 = c1 = phase_colours[k];
        } else {
            /* Speed changes linearly in time, near enough so along the
             * short phases drawn. */
            float part = (f1 - f0) / (bounds[k + 1] - f0);
            c0 = speed_colour(x, speeds[k]);
            c1 = speed_colour(x, speeds[k] + (speeds[k + 1] - speeds[k]) * part);
        }
        if (travel) {
            c0 = travel_colour(c0);
            c1 = travel_colour(c1);
        }
        viz_line(x->c, ax + (bx - ax) * f0, ay + (by - ay) * f0, ax + (bx - ax) * f1,
                 ay + (by - ay) * f1, c0, c1, dash, 1);
    }
}

/* The colour of a short move drawn as one line: that of its mean speed,
 * or of the phase it spends most time in. */
static uint32_t short_colour(const struct path_ctx *x, const struct viz_move *m)
{
    uint32_t c;
    if (x->v->colour_mode == VIZ_COLOUR_PHASE) {
        c = m->cruise_t >= m->accel_t && m->cruise_t >= m->decel_t ? VIZ_COLOUR_CRUISE
            : m->accel_t >= m->decel_t                             ? VIZ_COLOUR_ACCEL
                                                                   : VIZ_COLOUR_DECEL;
    } else {
        double dur = viz_move_duration(m);
        float mean = dur > 0.0 ? (float)(viz_move_profile_length(m) / dur) : m->cruise_v;
        c = speed_colour(x, mean);
    }
    return m->kind == VIZ_EXTRUDE ? c : travel_colour(c);
}

static void draw_move(struct path_ctx *x, const struct viz_move *m)
{
    if (m->kind == VIZ_E_ONLY)
        return;
    bool travel = m->kind != VIZ_EXTRUDE;
    if (travel && (!x->v->show_travel || x->style == STYLE_OLD))
        return;
    float f_end = 1.0f;
    if (viz_move_end(m) > x->t) {
        double len = viz_move_profile_length(m);
        f_end = len > 0.0 ? (float)(viz_move_dist_at(m, x->t - m->t) / len) : 1.0f;
    }
    float ax, ay, bx, by;
    project(x->p, m->from, &ax, &ay);
    project(x->p, m->to, &bx, &by);
    float ex = ax + (bx - ax) * f_end, ey = ay + (by - ay) * f_end;
    struct pen *pen = &x->pen;
    bool is_short = fabsf(ex - ax) + fabsf(ey - ay) < 8.0f, joined = false;
    if (is_short && pen->down && fabsf(ax - pen->x) < 1.5f && fabsf(ay - pen->y) < 1.5f) {
        if (fabsf(ex - pen->x) < 1.0f && fabsf(ey - pen->y) < 1.0f)
            return;
        joined = true;
    }
    float sx = joined ? pen->x : ax, sy = joined ? pen->y : ay;
    pen->x = ex;
    pen->y = ey;
    pen->down = true;
    int dash = travel ? 3 : 0;
    if (x->style == STYLE_OLD) {
        viz_line(x->c, sx, sy, ex, ey, COLOUR_OLD_LAYER, COLOUR_OLD_LAYER, 0, 1);
    } else if (m->flags & VIZ_MOVE_NOT_RUN) {
        viz_line(x->c, sx, sy, ex, ey, COLOUR_NOT_RUN, COLOUR_NOT_RUN, 3, 1);
    } else if (m->kind == VIZ_HOMING) {
        viz_line(x->c, sx, sy, ex, ey, COLOUR_HOMING, COLOUR_HOMING, 3, 1);
    } else if (is_short) {
        /* Too short to show its phases: one line. */
        uint32_t c = short_colour(x, m);
        viz_line(x->c, sx, sy, ex, ey, c, c, dash, 1);
    } else {
        draw_phases(x, m, ax, ay, bx, by, f_end);
    }
}

static void draw_path(struct path_ctx *x, size_t first, size_t end)
{
    const struct viz_plan *p = x->s->plan;
    x->pen.down = false;
    for (size_t i = first; i < end && p->moves[i].t <= x->t; i++)
        draw_move(x, &p->moves[i]);
}

/* ---- the executed path (with a trace) ---- */

static void exec_at(const struct viz_exec *ex, double t, float out[3])
{
    size_t k = viz_exec_count_upto(ex, t);
    if (!k || k == ex->n) {
        memcpy(out, ex->pts[k ? k - 1 : 0].p, 3 * sizeof(float));
        return;
    }
    const struct viz_exec_point *a = &ex->pts[k - 1], *b = &ex->pts[k];
    float f = b->t > a->t ? (float)((t - a->t) / (b->t - a->t)) : 1.0f;
    for (int i = 0; i < 3; i++)
        out[i] = a->p[i] + (b->p[i] - a->p[i]) * f;
}

static void draw_exec(struct viz_canvas *c, const struct viz_exec *ex, const struct proj *p,
                      double t0, double t1, uint32_t colour, int width)
{
    if (!ex || !ex->n || t1 < t0)
        return;
    size_t i = viz_exec_count_upto(ex, t0);
    i = i ? i - 1 : 0;
    size_t end = viz_exec_count_upto(ex, t1);
    struct pen pen = {0};
    for (; i < end; i++) {
        const struct viz_exec_point *pt = &ex->pts[i];
        if (pt->hidden) {
            pen.down = false;
            continue;
        }
        float x, y;
        project(p, pt->p, &x, &y);
        if (pen.down) {
            /* Samples come closer than the planned moves: coarser steps
             * cost no visible detail. */
            if (fabsf(x - pen.x) < 1.5f && fabsf(y - pen.y) < 1.5f)
                continue;
            viz_line(c, pen.x, pen.y, x, y, colour, colour, 0, width);
        }
        pen = (struct pen){x, y, true};
    }
    /* Up to the time itself, between two samples. */
    if (pen.down && end < ex->n && !ex->pts[end].hidden && t1 < INFINITY) {
        float q[3], x, y;
        exec_at(ex, t1, q);
        project(p, q, &x, &y);
        viz_line(c, pen.x, pen.y, x, y, colour, colour, 0, width);
    }
}

static void draw_deviations(struct viz_canvas *c, const struct viz_scene *s, const struct proj *p,
                            size_t first, size_t end, double t)
{
    const struct viz_plan *pl = s->plan;
    if (!s->dev || !s->exec || !s->exec->n)
        return;
    float last_x = -1e9f, last_y = -1e9f;
    for (size_t i = first; i < end && pl->moves[i].t <= t; i++) {
        const struct viz_move *m = &pl->moves[i];
        /* A move is found off its plan at its end: not before. */
        double te = viz_move_end(m);
        if (!(m->flags & VIZ_MOVE_DEVIATES) || te > t)
            continue;
        draw_exec(c, s->exec, p, m->t, te, VIZ_COLOUR_DEVIATION, 2);
        float q[3], ax, ay, bx, by;
        project(p, m->to, &ax, &ay);
        if (fabsf(ax - last_x) < 8.0f && fabsf(ay - last_y) < 8.0f)
            continue;
        last_x = ax;
        last_y = ay;
        exec_at(s->exec, te, q);
        project(p, q, &bx, &by);
        viz_line(c, ax, ay, bx, by, VIZ_COLOUR_DEVIATION, VIZ_COLOUR_DEVIATION, 0, 2);
        viz_ring(c, ax, ay, 4, VIZ_COLOUR_DEVIATION);
    }
}

/* The time window of layers lo..hi: for the executed path, which has
 * no layers of its own. */
static void layer_window(const struct viz_scene *s, size_t first, size_t end, double *t0,
                         double *t1)
{
    const struct viz_plan *p = s->plan;
    if (!p->n || first >= end) {
        *t0 = s->t0;
        *t1 = s->t1;
        return;
    }
    *t0 = first ? viz_move_end(&p->moves[first - 1]) : s->t0;
    *t1 = end < p->n ? p->moves[end].t : s->t1;
}

static void draw_toolhead(struct viz_canvas *c, const struct viz_scene *s, const struct proj *p,
                          double t)
{
    const struct viz_plan *pl = s->plan;
    size_t cut = viz_plan_count_started(pl, t);
    if (cut) {
        float q[3], x, y;
        viz_move_pos_at(&pl->moves[cut - 1], t, q);
        project(p, q, &x, &y);
        viz_ring(c, x, y, 5, COLOUR_CURSOR);
    }
    if (s->exec && s->exec->n) {
        float q[3], x, y;
        exec_at(s->exec, t, q);
        project(p, q, &x, &y);
        viz_line(c, x - 4, y, x + 4, y, VIZ_COLOUR_EXEC, VIZ_COLOUR_EXEC, 0, 1);
        viz_line(c, x, y - 4, x, y + 4, VIZ_COLOUR_EXEC, VIZ_COLOUR_EXEC, 0, 1);
    }
}

/* ---- panels ---- */

static void panel(struct viz_canvas *c, const struct viz_rect *r, const char *title)
{
    viz_canvas_unclip(c);
    viz_fill_rect(c, r->x, r->y, r->w, r->h, VIZ_COLOUR_BG);
    viz_frame_rect(c, r->x, r->y, r->w, r->h, COLOUR_BORDER);
    viz_text(c, r->x + 6, r->y + 5, title, COLOUR_DIM_TEXT, 1);
    viz_canvas_clip(c, r->x + 1, r->y + 1, r->w - 2, r->h - 2);
}

static void draw_bed(struct viz_canvas *c, const struct viz_scene *s, const struct proj *p)
{
    const struct viz_plan *pl = s->plan;
    if (!pl->has_bed)
        return;
    float z = 0.0f;
    for (float g = ceilf(pl->bed_lo[0] / 10.0f) * 10.0f; g <= pl->bed_hi[0]; g += 10.0f) {
        float a[3] = {g, pl->bed_lo[1], z}, b[3] = {g, pl->bed_hi[1], z}, ax, ay, bx, by;
        project(p, a, &ax, &ay);
        project(p, b, &bx, &by);
        viz_line(c, ax, ay, bx, by, COLOUR_GRID, COLOUR_GRID, 0, 1);
    }
    for (float g = ceilf(pl->bed_lo[1] / 10.0f) * 10.0f; g <= pl->bed_hi[1]; g += 10.0f) {
        float a[3] = {pl->bed_lo[0], g, z}, b[3] = {pl->bed_hi[0], g, z}, ax, ay, bx, by;
        project(p, a, &ax, &ay);
        project(p, b, &bx, &by);
        viz_line(c, ax, ay, bx, by, COLOUR_GRID, COLOUR_GRID, 0, 1);
    }
    float corner[4][3] = {{pl->bed_lo[0], pl->bed_lo[1], z},
                          {pl->bed_hi[0], pl->bed_lo[1], z},
                          {pl->bed_hi[0], pl->bed_hi[1], z},
                          {pl->bed_lo[0], pl->bed_hi[1], z}};
    for (int i = 0; i < 4; i++) {
        float ax, ay, bx, by;
        project(p, corner[i], &ax, &ay);
        project(p, corner[(i + 1) % 4], &bx, &by);
        viz_line(c, ax, ay, bx, by, COLOUR_BED, COLOUR_BED, 0, 1);
    }
}

static void draw_axes(struct viz_canvas *c, const struct viz_view *v, const struct viz_rect *r)
{
    struct proj p;
    struct viz_scene unit = {.lo = {-1, -1, -1}, .hi = {1, 1, 1}};
    struct viz_view plain = *v;
    plain.zoom3d = 1.0f;
    plain.pan3d[0] = plain.pan3d[1] = 0.0f;
    struct viz_rect box = {r->x + r->w - 70, r->y + r->h - 70, 60, 60};
    proj_3d(&unit, &plain, &box, &p);
    static const char *const names[3] = {"X", "Y", "Z"};
    static const uint32_t colours[3] = {0xffe05050u, 0xff50d050u, 0xff5080ffu};
    float o[3] = {0, 0, 0}, ox, oy;
    project(&p, o, &ox, &oy);
    for (int a = 0; a < 3; a++) {
        float q[3] = {0, 0, 0}, x, y;
        q[a] = 1.2f;
        project(&p, q, &x, &y);
        viz_line(c, ox, oy, x, y, colours[a], colours[a], 0, 2);
        viz_text(c, (int)x - 2, (int)y - 4, names[a], colours[a], 1);
    }
}

static const char *phase_name(const struct viz_move *m, double dt)
{
    if (dt < m->accel_t)
        return "accelerating";
    if (dt < (double)m->accel_t + m->cruise_t)
        return "cruising";
    if (dt < viz_move_duration(m))
        return "decelerating";
    return "at rest";
}

static void draw_legend(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                        const struct viz_rect *r)
{
    int x = r->x + 10, y = r->y + r->h - 46;
    char buf[64];
    if (v->colour_mode == VIZ_COLOUR_PHASE) {
        static const char *const names[3] = {"accelerating", "cruising", "decelerating"};
        static const uint32_t cols[3] = {VIZ_COLOUR_ACCEL, VIZ_COLOUR_CRUISE, VIZ_COLOUR_DECEL};
        for (int i = 0; i < 3; i++) {
            viz_fill_rect(c, x, y + 2, 18, 6, cols[i]);
            x += 22 + viz_text(c, x + 22, y, names[i], COLOUR_TEXT, 1) + 12;
        }
    } else {
        int bw = 200;
        for (int i = 0; i < bw; i++)
            viz_fill_rect(c, x + i, y, 1, 10,
                          viz_speed_colour(s->vmax * (float)i / (float)(bw - 1), s->vmax));
        for (int k = 0; k <= 4; k++) {
            int tx = x + (bw - 1) * k / 4;
            viz_fill_rect(c, tx, y + 10, 1, 3, COLOUR_DIM_TEXT);
            snprintf(buf, sizeof(buf), "%g", s->vmax * (float)k / 4.0f);
            viz_text(c, tx - viz_text_width(buf, 1) / 2, y + 15, buf, COLOUR_DIM_TEXT, 1);
        }
        viz_text(c, x + bw + 10, y + 1, "mm/s planned", COLOUR_TEXT, 1);
    }
    y += 28;
    x = r->x + 10;
    viz_line(c, (float)x, (float)y + 3, (float)x + 24, (float)y + 3, 0xff909098u, 0xff909098u, 0,
             1);
    x += 30 + viz_text(c, x + 30, y, "extrusion", COLOUR_TEXT, 1) + 14;
    viz_line(c, (float)x, (float)y + 3, (float)x + 24, (float)y + 3, 0xff909098u, 0xff909098u, 3,
             1);
    x += 30 + viz_text(c, x + 30, y, "travel", COLOUR_TEXT, 1) + 14;
    if (s->exec) {
        viz_line(c, (float)x, (float)y + 3, (float)x + 24, (float)y + 3, VIZ_COLOUR_EXEC,
                 VIZ_COLOUR_EXEC, 0, 1);
        x += 30 + viz_text(c, x + 30, y, "executed", COLOUR_TEXT, 1) + 14;
        viz_line(c, (float)x, (float)y + 3, (float)x + 24, (float)y + 3, VIZ_COLOUR_DEVIATION,
                 VIZ_COLOUR_DEVIATION, 0, 2);
        viz_text(c, x + 30, y, "deviation", COLOUR_TEXT, 1);
    }
}

static void draw_info(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                      const struct viz_rect *r)
{
    char buf[256];
    const struct viz_plan *pl = s->plan;
    int y = r->y + 18;
    size_t cut = pl->n ? viz_plan_count_started(pl, v->time) : 0;
    if (cut) {
        const struct viz_move *m = &pl->moves[cut - 1];
        float q[3];
        viz_move_pos_at(m, v->time, q);
        double dt = v->time - m->t;
        bool moving = dt < viz_move_duration(m);
        snprintf(buf, sizeof(buf), "planned  x %7.2f  y %7.2f  z %6.2f   %6.1f mm/s %s", q[0], q[1],
                 q[2], moving ? viz_move_speed_at(m, dt) : 0.0,
                 moving ? phase_name(m, dt) : "at rest");
        viz_text(c, r->x + 6, y, buf, COLOUR_TEXT, 1);
        y += VIZ_CELL_H + 2;
    }
    if (s->exec && s->exec->n) {
        float q[3];
        exec_at(s->exec, v->time, q);
        snprintf(buf, sizeof(buf), "executed x %7.2f  y %7.2f  z %6.2f", q[0], q[1], q[2]);
        viz_text(c, r->x + 6, y, buf, VIZ_COLOUR_EXEC, 1);
        y += VIZ_CELL_H + 2;
    }
    /* The latest trace event up to now, in its colour. */
    const struct viz_event *last = NULL;
    for (size_t i = 0; s->trace && i < s->trace->nevents; i++)
        if (s->trace->events[i].t <= v->time)
            last = &s->trace->events[i];
    if (last) {
        static const char *const kinds[3] = {"fault", "shutdown", "error"};
        static const uint32_t cols[3] = {COLOUR_FAULT, COLOUR_SHUTDOWN, COLOUR_ERROR};
        if (last->kind == VIZ_EVENT_ERROR)
            snprintf(buf, sizeof(buf), "%.3f s  G-code line %lu: %s", last->t, last->gcode_line,
                     last->text);
        else
            snprintf(buf, sizeof(buf), "%.3f s  %s: %s", last->t, kinds[last->kind], last->text);
        viz_text(c, r->x + 6, y, buf, cols[last->kind], 1);
    }
}

/* What both views draw over the planned path of moves [first, end): the
 * steps the MCU ran and how far they strayed, when shown, and the
 * toolhead where it is at the view's time. */
static void draw_motion(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                        const struct proj *p, size_t first, size_t end)
{
    if (s->exec && v->show_exec) {
        double t0, t1;
        layer_window(s, first, end, &t0, &t1);
        draw_exec(c, s->exec, p, t0, fmin(t1, v->time), EXEC_OVERLAY, 1);
        draw_deviations(c, s, p, first, end, v->time);
    }
    draw_toolhead(c, s, p, v->time);
}

static void draw_3d(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                    const struct viz_rect *r)
{
    char title[96];
    snprintf(title, sizeof(title), "3D  yaw %.0f  pitch %.0f%s", v->yaw, v->pitch,
             v->orbit ? "  orbiting" : "");
    panel(c, r, title);
    struct proj p;
    proj_3d(s, v, r, &p);
    draw_bed(c, s, &p);
    const struct viz_plan *pl = s->plan;
    size_t first = 0, end = 0;
    if (pl->n) {
        uint32_t lo = v->layer_lo, hi = v->layer_hi;
        if (v->single_layer)
            lo = hi = viz_view_current_layer(v, s);
        viz_plan_layer_range(pl, lo, hi, &first, &end);
        struct path_ctx x;
        path_init(&x, c, s, v, &p, STYLE_FULL);
        draw_path(&x, first, end);
    }
    draw_motion(c, s, v, &p, first, end);
    draw_info(c, s, v, r);
    draw_legend(c, s, v, r);
    draw_axes(c, v, r);
    viz_canvas_unclip(c);
}

static float grid_step(float per_mm)
{
    static const float steps[] = {0.5f, 1, 2, 5, 10, 20, 50, 100, 200};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (steps[i] * per_mm >= 60.0f)
            return steps[i];
    return 500.0f;
}

static void draw_top(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                     const struct viz_rect *r)
{
    const struct viz_plan *pl = s->plan;
    uint32_t layer = viz_view_current_layer(v, s);
    char title[96];
    if (pl->n && pl->nlayers)
        snprintf(title, sizeof(title), "top  layer %u of %zu  z %.2f mm", layer + 1, pl->nlayers,
                 pl->layers[layer < pl->nlayers ? layer : 0].z);
    else
        snprintf(title, sizeof(title), "top");
    panel(c, r, title);
    struct proj p;
    proj_top(s, v, r, &p);
    /* A millimetre grid with labels, spaced for the zoom. */
    float step = grid_step(p.m[0][0]);
    float x0 = (r->x - p.ox) / p.m[0][0], x1 = (r->x + r->w - p.ox) / p.m[0][0];
    float y1 = (r->y - p.oy) / p.m[1][1], y0 = (r->y + r->h - p.oy) / p.m[1][1];
    char buf[32];
    for (float g = ceilf(x0 / step) * step; g <= x1; g += step) {
        float sx = p.ox + p.m[0][0] * g;
        viz_line(c, sx, (float)r->y, sx, (float)(r->y + r->h), COLOUR_GRID, COLOUR_GRID, 0, 1);
        snprintf(buf, sizeof(buf), "%g", g);
        viz_text(c, (int)sx + 2, r->y + r->h - 12, buf, COLOUR_DIM_TEXT, 1);
    }
    for (float g = ceilf(y0 / step) * step; g <= y1; g += step) {
        float sy = p.oy + p.m[1][1] * g;
        viz_line(c, (float)r->x, sy, (float)(r->x + r->w), sy, COLOUR_GRID, COLOUR_GRID, 0, 1);
        snprintf(buf, sizeof(buf), "%g", g);
        if (sy > r->y + 28) /* clear of the title */
            viz_text(c, r->x + 4, (int)sy - 10, buf, COLOUR_DIM_TEXT, 1);
    }
    size_t first = 0, end = 0;
    if (pl->n) {
        struct path_ctx x;
        path_init(&x, c, s, v, &p, STYLE_OLD);
        if (layer > 0) {
            viz_plan_layer_range(pl, layer - 1, layer - 1, &first, &end);
            draw_path(&x, first, end);
        }
        viz_plan_layer_range(pl, layer, layer, &first, &end);
        x.style = STYLE_FULL;
        draw_path(&x, first, end);
    }
    draw_motion(c, s, v, &p, first, end);
    viz_canvas_unclip(c);
}

static void draw_temps(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                       const struct viz_rect *r)
{
    const struct viz_trace *tr = s->trace;
    bool targets = false;
    for (size_t h = 0; h < tr->nheaters; h++)
        for (size_t i = 0; i < tr->heaters[h].n && !targets; i++)
            targets = !isnan(tr->heaters[h].temps[i].target);
    panel(c, r,
          targets ? "temperature (C): measured, - - target" : "temperature (C), no targets traced");
    static const uint32_t cols[4] = {0xffff9628u, 0xff5aaaffu, 0xff60d080u, 0xffd080e0u};
    float top = 50.0f;
    for (size_t h = 0; h < tr->nheaters; h++)
        for (size_t i = 0; i < tr->heaters[h].n; i++) {
            const struct viz_temp *t = &tr->heaters[h].temps[i];
            top = fmaxf(top, t->temp);
            if (!isnan(t->target))
                top = fmaxf(top, t->target);
        }
    top = ceilf((top + 10.0f) / 50.0f) * 50.0f;
    int px0 = r->x + 40, px1 = r->x + r->w - 10, py0 = r->y + 20, py1 = r->y + r->h - 18;
    if (px1 <= px0 + 10 || py1 <= py0 + 10) {
        viz_canvas_unclip(c);
        return;
    }
    char buf[32];
    for (float g = 0.0f; g <= top; g += 50.0f) {
        float y = py1 - (py1 - py0) * g / top;
        viz_line(c, (float)px0, y, (float)px1, y, COLOUR_GRID, COLOUR_GRID, 0, 1);
        snprintf(buf, sizeof(buf), "%g", g);
        viz_text(c, px0 - 6 - viz_text_width(buf, 1), (int)y - 3, buf, COLOUR_DIM_TEXT, 1);
    }
    double span = s->t1 - s->t0;
    int lx = px0;
    for (size_t h = 0; h < tr->nheaters; h++) {
        const struct viz_heater *ht = &tr->heaters[h];
        uint32_t col = cols[h % 4];
        float lastx = 0, lasty = 0, lastty = NAN;
        for (size_t i = 0; i < ht->n; i++) {
            const struct viz_temp *t = &ht->temps[i];
            float x = px0 + (float)((t->t - s->t0) / span) * (px1 - px0);
            float y = py1 - (py1 - py0) * t->temp / top;
            float ty = isnan(t->target) ? NAN : py1 - (py1 - py0) * t->target / top;
            if (i) {
                if (!isnan(lastty))
                    viz_line(c, lastx, lastty, x, lastty, col, col, 4, 1);
                viz_line(c, lastx, lasty, x, y, col, col, 0, 2);
            }
            lastx = x;
            lasty = y;
            lastty = ty;
        }
        lx += viz_text(c, lx, r->y + r->h - 12, ht->name, col, 1) + 12;
    }
    float cx = px0 + (float)((v->time - s->t0) / span) * (px1 - px0);
    viz_line(c, cx, (float)py0, cx, (float)py1, COLOUR_CURSOR, COLOUR_CURSOR, 2, 1);
    viz_canvas_unclip(c);
}

static void mark(struct viz_canvas *c, const struct viz_rect *bar, const struct viz_scene *s,
                 double t, int y, int h, uint32_t colour)
{
    int x = bar->x + (int)((t - s->t0) / (s->t1 - s->t0) * (bar->w - 1) + 0.5);
    viz_fill_rect(c, x, y, 1, h, colour);
}

static void draw_timeline(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                          const struct viz_rect *r)
{
    viz_canvas_unclip(c);
    viz_fill_rect(c, r->x, r->y, r->w, r->h, COLOUR_PANEL);
    int now = r->x + (int)((v->time - s->t0) / (s->t1 - s->t0) * (r->w - 1) + 0.5);
    viz_fill_rect(c, r->x, r->y, now - r->x, r->h, COLOUR_PROGRESS);
    viz_fill_rect(c, r->x, r->y, r->w, 1, COLOUR_BORDER);
    const struct viz_plan *pl = s->plan;
    if (pl->nlayers > 1 && pl->nlayers * 3 < (size_t)r->w)
        for (size_t l = 0; l < pl->nlayers; l++)
            if (pl->layers[l].first < pl->n)
                mark(c, r, s, pl->moves[pl->layers[l].first].t, r->y + 1, 5, 0xff50506au);
    /* One mark per pixel column is enough: skip deviating moves that
     * land on the column already marked. */
    int last = -1;
    for (size_t i = 0; s->dev && i < pl->n; i++) {
        if (!(pl->moves[i].flags & VIZ_MOVE_DEVIATES))
            continue;
        double t = viz_move_end(&pl->moves[i]);
        int x = r->x + (int)((t - s->t0) / (s->t1 - s->t0) * (r->w - 1) + 0.5);
        if (x != last)
            viz_fill_rect(c, x, r->y + r->h - 10, 1, 10, VIZ_COLOUR_DEVIATION);
        last = x;
    }
    static const uint32_t cols[3] = {COLOUR_FAULT, COLOUR_SHUTDOWN, COLOUR_ERROR};
    for (size_t i = 0; s->trace && i < s->trace->nevents; i++) {
        const struct viz_event *e = &s->trace->events[i];
        mark(c, r, s, e->t, r->y + 1, r->h - 1, cols[e->kind]);
    }
    viz_fill_rect(c, now - 1, r->y, 3, r->h, COLOUR_CURSOR);
    char buf[128];
    snprintf(buf, sizeof(buf), "%.3f s of %.3f s", v->time, s->t1);
    viz_text(c, r->x + 8, r->y + 14, buf, COLOUR_TEXT, 1);
    snprintf(buf, sizeof(buf), "%s  x%g  (space, + -)", v->playing ? "playing" : "paused",
             v->speed);
    viz_text(c, r->x + r->w - 8 - viz_text_width(buf, 1), r->y + 14, buf, COLOUR_TEXT, 1);
}

static void draw_status(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v,
                        const struct viz_rect *r)
{
    viz_fill_rect(c, r->x, r->y, r->w, r->h, COLOUR_PANEL);
    const struct viz_plan *pl = s->plan;
    char buf[512];
    viz_text(c, r->x + 6, r->y + 4, s->title, COLOUR_TEXT, 1);
    const char *help = "? help";
    viz_text(c, r->x + r->w - 6 - viz_text_width(help, 1), r->y + 4, help, COLOUR_DIM_TEXT, 1);
    int n = 0;
    if (pl->n)
        n = snprintf(buf, sizeof(buf),
                     "%zu moves: %zu extruding, %zu travel, %zu homing | layers %u-%u of %zu%s | "
                     "colour: %s%s",
                     pl->n, pl->counts[VIZ_EXTRUDE], pl->counts[VIZ_TRAVEL], pl->counts[VIZ_HOMING],
                     v->layer_lo + 1, v->layer_hi + 1, pl->nlayers,
                     v->single_layer ? " (single)" : "",
                     v->colour_mode == VIZ_COLOUR_PHASE ? "acceleration phases" : "planned speed",
                     v->show_travel ? "" : " | travel hidden");
    else
        n = snprintf(buf, sizeof(buf), "no planned moves (give PRINTER.CFG and FILE.gcode)");
    if (s->align && n >= 0 && (size_t)n < sizeof(buf)) {
        const struct viz_align_stats *a = s->align;
        n +=
            snprintf(buf + n, sizeof(buf) - (size_t)n,
                     " | executed: %zu of %zu moves off by > %.3f mm (max %.3f mm)%s", a->deviating,
                     a->checked, a->threshold, a->max_dev, a->not_run ? ", some never ran" : "");
    }
    if (pl->refused && n >= 0 && (size_t)n < sizeof(buf))
        snprintf(buf + n, sizeof(buf) - (size_t)n, " | %lu lines refused: %s", pl->refused,
                 pl->first_refusal);
    viz_text(c, r->x + 6, r->y + 4 + VIZ_CELL_H + 2, buf, COLOUR_DIM_TEXT, 1);
}

static void draw_help(struct viz_canvas *c)
{
    viz_shade_rect(c, 0, 0, c->w, c->h, 0xff000000u, 170);
    const char *title = "lockstep view: controls";
    int tw = viz_text_width(viz_controls_help, 1), th = 20 * VIZ_CELL_H;
    int x = (c->w - tw) / 2, y = (c->h - th) / 2;
    viz_fill_rect(c, x - 16, y - 28, tw + 32, th + 44, COLOUR_PANEL);
    viz_frame_rect(c, x - 16, y - 28, tw + 32, th + 44, COLOUR_BORDER);
    viz_text(c, x, y - 18, title, COLOUR_CURSOR, 1);
    viz_text(c, x, y, viz_controls_help, COLOUR_TEXT, 1);
}

void viz_render(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v)
{
    struct viz_layout l;
    bool temps = s->trace && s->trace->nheaters;
    viz_layout(c->w, c->h, temps, &l);
    viz_canvas_unclip(c);
    viz_fill_rect(c, 0, 0, c->w, c->h, VIZ_COLOUR_BG);
    draw_3d(c, s, v, &l.view3d);
    draw_top(c, s, v, &l.top);
    if (temps)
        draw_temps(c, s, v, &l.temps);
    draw_timeline(c, s, v, &l.timeline);
    draw_status(c, s, v, &l.status);
    if (v->help)
        draw_help(c);
}
