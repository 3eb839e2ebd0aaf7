#include "viz_view.h"

#include <math.h>
#include <string.h>

#include "viz_render.h"

#define MIN_SPEED (1.0 / 8)
#define MAX_SPEED 4096.0
#define ORBIT_DEG_PER_S 20.0
#define ZOOM_STEP 1.15f

const char viz_controls_help[] =
    "mouse, 3D view     left drag: orbit   right/middle drag: pan   wheel: zoom\n"
    "mouse, top view    drag: pan   wheel: zoom\n"
    "mouse, timeline    click or drag: go to that time\n"
    "space              play / pause (from the start when at the end)\n"
    "+ / -              playback twice / half as fast\n"
    "left / right       back / forward 1% of the timeline (shift: one move)\n"
    "home / end         start / end of the timeline\n"
    "up / down          top layer shown up / down (shift: bottom layer)\n"
    "page up / down     top layer up / down by 10\n"
    "a                  all layers\n"
    "s                  single layer in the 3D view too\n"
    "c                  colour: planned speed / acceleration phases\n"
    "t                  travel moves shown / hidden\n"
    "e                  executed path shown / hidden (with a trace)\n"
    "n                  next deviation or event after the current time\n"
    "o                  orbit the 3D view by itself\n"
    "r                  reset the cameras\n"
    "? or F1            this help\n"
    "q or escape        quit";

static float nice_ceiling(float v)
{
    if (!(v > 0.0f))
        return 1.0f;
    float p = powf(10.0f, floorf(log10f(v)));
    static const float steps[] = {1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 4.0f, 5.0f, 6.0f, 8.0f, 10.0f};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (v <= steps[i] * p * 1.0001f)
            return steps[i] * p;
    return 10.0f * p;
}

void viz_scene_setup(struct viz_scene *s)
{
    const struct viz_plan *p = s->plan;
    s->t0 = 0.0;
    s->t1 = p ? p->t_end : 0.0;
    if (s->trace && (double)s->trace->last_tick / s->trace->freq > s->t1)
        s->t1 = (double)s->trace->last_tick / s->trace->freq;
    if (!(s->t1 > s->t0))
        s->t1 = s->t0 + 1.0;
    bool have = false;
    if (p && p->n) {
        memcpy(s->lo, p->lo, sizeof(s->lo));
        memcpy(s->hi, p->hi, sizeof(s->hi));
        have = true;
    } else if (s->exec) {
        for (size_t i = 0; i < s->exec->n; i++) {
            const struct viz_exec_point *pt = &s->exec->pts[i];
            if (pt->hidden)
                continue;
            for (int a = 0; a < 3; a++) {
                if (!have || pt->p[a] < s->lo[a])
                    s->lo[a] = pt->p[a];
                if (!have || pt->p[a] > s->hi[a])
                    s->hi[a] = pt->p[a];
            }
            have = true;
        }
    }
    for (int a = 0; a < 3; a++) {
        if (!have) {
            s->lo[a] = 0.0f;
            s->hi[a] = 1.0f;
        }
        if (s->hi[a] - s->lo[a] < 1.0f) {
            float mid = 0.5f * (s->lo[a] + s->hi[a]);
            s->lo[a] = mid - 0.5f;
            s->hi[a] = mid + 0.5f;
        }
    }
    s->vmax = nice_ceiling(p ? p->vmax : 1.0f);
}

static void reset_cameras(struct viz_view *v)
{
    v->yaw = -30.0f;
    v->pitch = 35.0f;
    v->zoom3d = v->zoom_top = 1.0f;
    v->pan3d[0] = v->pan3d[1] = v->pan_top[0] = v->pan_top[1] = 0.0f;
}

void viz_view_init(struct viz_view *v, const struct viz_scene *s, int w, int h)
{
    memset(v, 0, sizeof(*v));
    v->w = w;
    v->h = h;
    v->time = s->t1;
    /* The whole timeline plays in about a minute. */
    double speed = 1.0;
    while (speed < MAX_SPEED && (s->t1 - s->t0) / speed > 60.0)
        speed *= 2.0;
    v->speed = speed;
    reset_cameras(v);
    v->layer_lo = 0;
    v->layer_hi = s->plan && s->plan->nlayers ? (uint32_t)(s->plan->nlayers - 1) : 0;
    v->colour_mode = VIZ_COLOUR_SPEED;
    v->show_travel = true;
    v->show_exec = true;
}

uint32_t viz_view_current_layer(const struct viz_view *v, const struct viz_scene *s)
{
    const struct viz_plan *p = s->plan;
    if (!p || !p->n)
        return v->layer_hi;
    size_t cut = viz_plan_count_started(p, v->time);
    uint32_t l = cut ? viz_plan_layer_of(p, cut - 1) : 0;
    if (l > v->layer_hi)
        l = v->layer_hi;
    if (l < v->layer_lo)
        l = v->layer_lo;
    return l;
}

static void set_time(struct viz_view *v, const struct viz_scene *s, double t)
{
    v->time = t < s->t0 ? s->t0 : t > s->t1 ? s->t1 : t;
}

static uint32_t last_layer(const struct viz_scene *s)
{
    return s->plan && s->plan->nlayers ? (uint32_t)(s->plan->nlayers - 1) : 0;
}

static void move_layer(struct viz_view *v, const struct viz_scene *s, bool bottom, int by)
{
    uint32_t top = last_layer(s);
    uint32_t *l = bottom ? &v->layer_lo : &v->layer_hi;
    long n = (long)*l + by;
    n = n < 0 ? 0 : n > (long)top ? (long)top : n;
    *l = (uint32_t)n;
    if (v->single_layer)
        v->layer_lo = v->layer_hi = (uint32_t)n;
    if (v->layer_lo > v->layer_hi) {
        if (bottom)
            v->layer_hi = v->layer_lo;
        else
            v->layer_lo = v->layer_hi;
    }
}

/* One move back or forward: to the start of the move before, or the
 * end of the move in progress. */
static void step_move(struct viz_view *v, const struct viz_scene *s, int dir)
{
    const struct viz_plan *p = s->plan;
    if (!p || !p->n)
        return;
    size_t cut = viz_plan_count_started(p, v->time);
    if (dir > 0) {
        double end = cut ? viz_move_end(&p->moves[cut - 1]) : p->moves[0].t;
        set_time(v, s,
                 end > v->time + 1e-9 ? end
                 : cut < p->n         ? viz_move_end(&p->moves[cut])
                                      : s->t1);
    } else {
        size_t i = cut;
        while (i > 0 && p->moves[i - 1].t >= v->time - 1e-9)
            i--;
        set_time(v, s, i ? p->moves[i - 1].t : s->t0);
    }
}

/* The next deviating move's end or trace event after the current time,
 * wrapping round to the first. */
static void next_mark(struct viz_view *v, const struct viz_scene *s)
{
    double best = INFINITY, first = INFINITY;
    const struct viz_plan *p = s->plan;
    for (size_t i = 0; p && s->dev && i < p->n; i++) {
        if (!(p->moves[i].flags & VIZ_MOVE_DEVIATES))
            continue;
        double t = viz_move_end(&p->moves[i]);
        first = fmin(first, t);
        if (t > v->time + 1e-6)
            best = fmin(best, t);
    }
    for (size_t i = 0; s->trace && i < s->trace->nevents; i++) {
        double t = s->trace->events[i].t;
        first = fmin(first, t);
        if (t > v->time + 1e-6)
            best = fmin(best, t);
    }
    if (isfinite(best))
        set_time(v, s, best);
    else if (isfinite(first))
        set_time(v, s, first);
}

int viz_view_key(struct viz_view *v, const struct viz_scene *s, int key, bool shift)
{
    double span = s->t1 - s->t0;
    switch (key) {
    case 'q':
        return 1;
    case VIZ_KEY_ESCAPE:
        if (!v->help)
            return 1;
        v->help = false;
        break;
    case '?':
    case 'h':
    case VIZ_KEY_F1:
        v->help = !v->help;
        break;
    case ' ':
        if (!v->playing && v->time >= s->t1)
            v->time = s->t0;
        v->playing = !v->playing;
        break;
    case '+':
    case '=':
        v->speed = fmin(MAX_SPEED, v->speed * 2.0);
        break;
    case '-':
        v->speed = fmax(MIN_SPEED, v->speed / 2.0);
        break;
    case VIZ_KEY_LEFT:
        if (shift)
            step_move(v, s, -1);
        else
            set_time(v, s, v->time - span / 100.0);
        break;
    case VIZ_KEY_RIGHT:
        if (shift)
            step_move(v, s, 1);
        else
            set_time(v, s, v->time + span / 100.0);
        break;
    case VIZ_KEY_HOME:
        set_time(v, s, s->t0);
        break;
    case VIZ_KEY_END:
        set_time(v, s, s->t1);
        break;
    case VIZ_KEY_UP:
        move_layer(v, s, shift, 1);
        break;
    case VIZ_KEY_DOWN:
        move_layer(v, s, shift, -1);
        break;
    case VIZ_KEY_PAGEUP:
        move_layer(v, s, false, 10);
        break;
    case VIZ_KEY_PAGEDOWN:
        move_layer(v, s, false, -10);
        break;
    case 'a':
        v->single_layer = false;
        v->layer_lo = 0;
        v->layer_hi = last_layer(s);
        break;
    case 's':
        v->single_layer = !v->single_layer;
        if (v->single_layer)
            v->layer_lo = v->layer_hi;
        else
            v->layer_lo = 0;
        break;
    case 'c':
        v->colour_mode = (v->colour_mode + 1) % VIZ_COLOUR_MODES;
        break;
    case 't':
        v->show_travel = !v->show_travel;
        break;
    case 'e':
        v->show_exec = !v->show_exec;
        break;
    case 'n':
        next_mark(v, s);
        break;
    case 'o':
        v->orbit = !v->orbit;
        break;
    case 'r':
        reset_cameras(v);
        break;
    default:
        break;
    }
    return 0;
}

void viz_view_advance(struct viz_view *v, const struct viz_scene *s, double dt)
{
    if (!(dt > 0.0))
        return;
    if (v->playing) {
        set_time(v, s, v->time + dt * v->speed);
        if (v->time >= s->t1)
            v->playing = false;
    }
    if (v->orbit)
        v->yaw = fmodf(v->yaw + (float)(ORBIT_DEG_PER_S * dt), 360.0f);
}

static void scrub(struct viz_view *v, const struct viz_scene *s, const struct viz_rect *bar, int x)
{
    double f = bar->w > 1 ? (double)(x - bar->x) / (bar->w - 1) : 0.0;
    set_time(v, s, s->t0 + f * (s->t1 - s->t0));
}

static bool has_temps(const struct viz_scene *s)
{
    return s->trace && s->trace->nheaters;
}

void viz_view_press(struct viz_view *v, const struct viz_scene *s, int x, int y, int button)
{
    struct viz_layout l;
    viz_layout(v->w, v->h, has_temps(s), &l);
    v->mouse_x = x;
    v->mouse_y = y;
    v->drag = VIZ_DRAG_NONE;
    if (viz_rect_has(&l.view3d, x, y))
        v->drag = button == 1 ? VIZ_DRAG_ORBIT : VIZ_DRAG_PAN3D;
    else if (viz_rect_has(&l.top, x, y))
        v->drag = VIZ_DRAG_PANTOP;
    else if (viz_rect_has(&l.timeline, x, y) && button == 1) {
        v->drag = VIZ_DRAG_SCRUB;
        scrub(v, s, &l.timeline, x);
    }
}

void viz_view_motion(struct viz_view *v, const struct viz_scene *s, int x, int y)
{
    float dx = (float)(x - v->mouse_x), dy = (float)(y - v->mouse_y);
    v->mouse_x = x;
    v->mouse_y = y;
    switch (v->drag) {
    case VIZ_DRAG_ORBIT:
        v->yaw = fmodf(v->yaw + dx * 0.4f, 360.0f);
        v->pitch = fminf(90.0f, fmaxf(-10.0f, v->pitch + dy * 0.4f));
        break;
    case VIZ_DRAG_PAN3D:
        v->pan3d[0] += dx;
        v->pan3d[1] += dy;
        break;
    case VIZ_DRAG_PANTOP:
        v->pan_top[0] += dx;
        v->pan_top[1] += dy;
        break;
    case VIZ_DRAG_SCRUB: {
        struct viz_layout l;
        viz_layout(v->w, v->h, has_temps(s), &l);
        scrub(v, s, &l.timeline, x);
        break;
    }
    default:
        break;
    }
}

void viz_view_release(struct viz_view *v)
{
    v->drag = VIZ_DRAG_NONE;
}

/* Zoom by k about the mouse: the point under it stays put. */
static void zoom_about(float *zoom, float pan[2], const struct viz_rect *r, int x, int y, float k)
{
    float nz = fminf(200.0f, fmaxf(0.05f, *zoom * k));
    k = nz / *zoom;
    *zoom = nz;
    float cx = r->x + 0.5f * r->w, cy = r->y + 0.5f * r->h;
    pan[0] = (x - cx) - ((x - cx) - pan[0]) * k;
    pan[1] = (y - cy) - ((y - cy) - pan[1]) * k;
}

void viz_view_wheel(struct viz_view *v, const struct viz_scene *s, int x, int y, float steps)
{
    struct viz_layout l;
    viz_layout(v->w, v->h, has_temps(s), &l);
    float k = powf(ZOOM_STEP, steps);
    if (viz_rect_has(&l.view3d, x, y))
        zoom_about(&v->zoom3d, v->pan3d, &l.view3d, x, y, k);
    else if (viz_rect_has(&l.top, x, y))
        zoom_about(&v->zoom_top, v->pan_top, &l.top, x, y, k);
}
