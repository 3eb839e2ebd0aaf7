/* Frames as a person sees them: the toolpath where the file puts it, in
 * the colours of its planned speeds and phases, cut at the timeline's
 * time; a trace's deviations highlighted; the PNG the same as the frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>
#include <cmocka.h>
#include <math.h>

#include "viz_align.h"
#include "viz_app.h"
#include "viz_fixture.h"

#define W 1280
#define H 800

struct frame {
    struct viz_plan plan;
    struct viz_trace tr;
    struct viz_exec ex;
    float *dev;
    struct viz_align_stats st;
    struct viz_scene s;
    struct viz_view v;
    struct viz_canvas c;
    struct viz_layout l;
    bool traced;
};

static void frame_open(struct frame *f, const char *cfg, const char *gcode,
                       const struct synth_opts *trace)
{
    memset(f, 0, sizeof(*f));
    fixture_plan(cfg, gcode, &f->plan);
    f->s.plan = &f->plan;
    snprintf(f->s.title, sizeof(f->s.title), "%s", gcode);
    if (trace) {
        char *text = fixture_synth_trace(&f->plan, trace, NULL);
        char err[512];
        if (viz_trace_parse(text, strlen(text), "synth.trace", &f->tr, err, sizeof(err)))
            fail_msg("%s", err);
        free(text);
        assert_int_equal(viz_exec_build(&f->tr, &f->ex, err, sizeof(err)), 0);
        f->dev = calloc(f->plan.n, sizeof(float));
        assert_non_null(f->dev);
        assert_int_equal(viz_align(&f->plan, &f->tr, &f->ex, f->dev, &f->st, err, sizeof(err)), 0);
        f->s.trace = &f->tr;
        f->s.exec = &f->ex;
        f->s.dev = f->dev;
        f->s.align = &f->st;
        f->traced = true;
    }
    viz_scene_setup(&f->s);
    viz_view_init(&f->v, &f->s, W, H);
    assert_int_equal(viz_canvas_init(&f->c, W, H), 0);
    viz_layout(W, H, trace && trace->temps, &f->l);
}

static void frame_close(struct frame *f)
{
    viz_canvas_free(&f->c);
    viz_plan_free(&f->plan);
    if (f->traced) {
        viz_trace_free(&f->tr);
        viz_exec_free(&f->ex);
        free(f->dev);
    }
}

static void top_xy(const struct frame *f, float x, float y, float *px, float *py)
{
    viz_top_project(&f->s, &f->v, &f->l.top, x, y, px, py);
}

/* The square's extrusion (F1800: 30 mm/s, the scale's top) is drawn
 * where the file puts it, in its speed's colour, and nowhere else. */
static void test_square_extent_and_colour(void **state)
{
    (void)state;
    struct frame f;
    frame_open(&f, NULL, EXAMPLES "/square.gcode", NULL);
    assert_true(f.s.vmax == 30.0f);
    viz_render(&f.c, &f.s, &f.v);
    uint32_t cruise = viz_speed_colour(30.0f, f.s.vmax);
    int x0, y0, x1, y1;
    size_t n = fixture_count(&f.c, &f.l.top, cruise, &x0, &y0, &x1, &y1);
    float ax, ay, bx, by;
    top_xy(&f, 80, 80, &ax, &ay);
    top_xy(&f, 120, 120, &bx, &by);
    /* Pixels y grow downwards: (80, 80) is the bottom left corner. */
    if (abs(x0 - (int)lroundf(ax)) > 3 || abs(x1 - (int)lroundf(bx)) > 3 ||
        abs(y1 - (int)lroundf(ay)) > 3 || abs(y0 - (int)lroundf(by)) > 3)
        fail_msg("cruise pixels span %d,%d..%d,%d; the square is at %.0f,%.0f..%.0f,%.0f", x0, y0,
                 x1, y1, ax, by, bx, ay);
    /* Four sides' worth, not a filled area. */
    float side = bx - ax;
    assert_true(n > 3.5 * side && n < 8.5 * side);
    float mx, my;
    top_xy(&f, 100, 80, &mx, &my);
    assert_true(fixture_near(&f.c, mx, my, 1, cruise));
    top_xy(&f, 100, 100, &mx, &my); /* the middle is empty */
    assert_false(fixture_near(&f.c, mx, my, 5, cruise));
    /* The 3D view has the part too, and the legend its scale. */
    assert_true(fixture_count(&f.c, &f.l.view3d, cruise, NULL, NULL, NULL, NULL) > 100);
    frame_close(&f);
}

/* Along a line that accelerates from rest, cruises and stops: speed
 * colours rise and fall, and in phase colours each phase is where it
 * happens. */
static void test_phases_along_a_line(void **state)
{
    (void)state;
    struct frame f;
    frame_open(&f, "slow-accel.cfg", "lines.gcode", NULL);
    assert_true(f.s.vmax == 50.0f);
    f.v.show_travel = false;
    viz_render(&f.c, &f.s, &f.v);
    float x, y;
    /* 50 mm/s at 100 mm/s^2: 12.5 mm to accelerate, from x 60 to 72.5. */
    top_xy(&f, 100, 100, &x, &y);
    assert_true(fixture_near(&f.c, x, y, 1, viz_speed_colour(50, 50)));
    top_xy(&f, 61, 100, &x, &y);
    assert_false(fixture_near(&f.c, x, y, 1, viz_speed_colour(50, 50)));
    uint32_t p = fixture_pixel(&f.c, (int)lroundf(x), (int)lroundf(y));
    assert_true((p & 0xff) > (p >> 16 & 0xff)); /* slow: blue over red */

    f.v.colour_mode = VIZ_COLOUR_PHASE;
    viz_render(&f.c, &f.s, &f.v);
    int ax0, ax1, dx0, dx1, cx0, cx1, y0, y1;
    float left, right, ly;
    top_xy(&f, 60, 100, &left, &ly);
    top_xy(&f, 140, 100, &right, &ly);
    struct viz_rect row = {f.l.top.x, (int)lroundf(ly) - 1, f.l.top.w, 3};
    assert_true(fixture_count(&f.c, &row, VIZ_COLOUR_ACCEL, &ax0, &y0, &ax1, &y1) > 10);
    assert_true(fixture_count(&f.c, &row, VIZ_COLOUR_CRUISE, &cx0, &y0, &cx1, &y1) > 100);
    assert_true(fixture_count(&f.c, &row, VIZ_COLOUR_DECEL, &dx0, &y0, &dx1, &y1) > 10);
    float k = (right - left) / 80.0f; /* pixels per mm */
    assert_true(abs(ax0 - (int)lroundf(left)) <= 2);
    assert_true(fabsf(ax1 - (left + 12.5f * k)) <= 3);
    assert_true(fabsf(dx0 - (right - 12.5f * k)) <= 3);
    assert_true(abs(dx1 - (int)lroundf(right)) <= 2);
    assert_true(ax1 < cx0 + 3 && cx1 < dx0 + 3);
    frame_close(&f);
}

/* At a time in the middle of the first line, what comes later is not
 * drawn yet; the second layer of the square not either. */
static void test_timeline_cuts_the_path(void **state)
{
    (void)state;
    struct frame f;
    frame_open(&f, "slow-accel.cfg", "lines.gcode", NULL);
    const struct viz_plan *p = &f.plan;
    size_t first = 0;
    while (p->moves[first].kind != VIZ_EXTRUDE)
        first++;
    const struct viz_move *m = &p->moves[first];
    f.v.time = m->t + viz_move_time_at_dist(m, 40.0); /* at x 100 */
    viz_render(&f.c, &f.s, &f.v);
    float x, y;
    top_xy(&f, 90, 100, &x, &y);
    assert_true(fixture_near(&f.c, x, y, 1, viz_speed_colour(50, 50)));
    top_xy(&f, 110, 100, &x, &y);
    assert_false(fixture_near(&f.c, x, y, 2, viz_speed_colour(50, 50)));
    top_xy(&f, 100, 140, &x, &y); /* the second line: not yet */
    assert_false(fixture_near(&f.c, x, y, 2, viz_speed_colour(20, 50)));
    f.v.time = f.s.t1;
    viz_render(&f.c, &f.s, &f.v);
    assert_true(fixture_near(&f.c, x, y, 1, viz_speed_colour(20, 50)));
    frame_close(&f);
}

/* A trace that lost steps: its deviation is drawn in the highlight
 * colour, in both views and on the timeline; an exact trace has none. */
static void test_deviation_highlight(void **state)
{
    (void)state;
    struct frame f;
    struct synth_opts clean = {.offset = 2.0, .wait = 0.4, .temps = true};
    frame_open(&f, NULL, EXAMPLES "/square.gcode", &clean);
    viz_render(&f.c, &f.s, &f.v);
    assert_int_equal(f.st.deviating, 0);
    assert_int_equal(fixture_count(&f.c, &f.l.top, VIZ_COLOUR_DEVIATION, NULL, NULL, NULL, NULL),
                     0);
    assert_int_equal(
        fixture_count(&f.c, &f.l.timeline, VIZ_COLOUR_DEVIATION, NULL, NULL, NULL, NULL), 0);
    /* In the 3D view only the legend has the colour. */
    size_t legend = fixture_count(&f.c, &f.l.view3d, VIZ_COLOUR_DEVIATION, NULL, NULL, NULL, NULL);
    assert_true(legend > 0 && legend < 100);
    /* The temperature plot has the heater in it. */
    assert_true(fixture_count_coloured(&f.c, &f.l.temps) > 100);
    frame_close(&f);

    struct viz_plan p;
    fixture_plan(NULL, EXAMPLES "/square.gcode", &p);
    struct synth_opts lost = {.offset = 2.0, .wait = 0.4, .temps = true, .lose_steps = 40};
    for (size_t i = 0; i < p.n; i++)
        if (p.moves[i].layer == 1 && p.moves[i].kind == VIZ_EXTRUDE) {
            lost.lose_at = p.moves[i].t + 0.1;
            break;
        }
    viz_plan_free(&p);
    frame_open(&f, NULL, EXAMPLES "/square.gcode", &lost);
    assert_true(f.st.deviating > 0);
    viz_render(&f.c, &f.s, &f.v);
    assert_true(fixture_count(&f.c, &f.l.top, VIZ_COLOUR_DEVIATION, NULL, NULL, NULL, NULL) > 20);
    assert_true(fixture_count(&f.c, &f.l.view3d, VIZ_COLOUR_DEVIATION, NULL, NULL, NULL, NULL) >
                legend + 20);
    assert_true(fixture_count(&f.c, &f.l.timeline, VIZ_COLOUR_DEVIATION, NULL, NULL, NULL, NULL) >
                0);
    /* Before the steps were lost, nothing to highlight. */
    f.v.time = f.st.first_dev_t - 1.0;
    viz_render(&f.c, &f.s, &f.v);
    assert_int_equal(fixture_count(&f.c, &f.l.view3d, VIZ_COLOUR_DEVIATION, NULL, NULL, NULL, NULL),
                     legend);
    frame_close(&f);
}

static void test_help_overlay_and_png(void **state)
{
    (void)state;
    struct frame f;
    frame_open(&f, NULL, EXAMPLES "/square.gcode", NULL);
    viz_render(&f.c, &f.s, &f.v);
    size_t plain = fixture_count(&f.c, &f.l.view3d, VIZ_COLOUR_BG, NULL, NULL, NULL, NULL);
    assert_true(plain > 1000);
    char path[] = "/tmp/viz_shotXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    assert_int_equal(viz_screenshot(&f.s, &f.v, path, err, sizeof(err)), 0);
    SDL_Surface *img = IMG_Load(path);
    assert_non_null(img);
    SDL_Surface *argb = SDL_ConvertSurfaceFormat(img, SDL_PIXELFORMAT_ARGB8888, 0);
    assert_non_null(argb);
    assert_int_equal(argb->w, W);
    assert_int_equal(argb->h, H);
    for (int y = 0; y < H; y += 7)
        for (int x = 0; x < W; x += 5) {
            uint32_t got = ((uint32_t *)((uint8_t *)argb->pixels + y * argb->pitch))[x];
            if (got != f.c.px[y * W + x])
                fail_msg("PNG pixel %d,%d is %08x, the frame's %08x", x, y, got, f.c.px[y * W + x]);
        }
    SDL_FreeSurface(argb);
    SDL_FreeSurface(img);
    unlink(path);
    f.v.help = true;
    viz_render(&f.c, &f.s, &f.v);
    /* The overlay darkens everything behind it. */
    assert_int_equal(fixture_count(&f.c, &f.l.view3d, VIZ_COLOUR_BG, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(viz_screenshot(&f.s, &f.v, "/nonexistent/dir/x.png", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/dir/x.png"));
    frame_close(&f);
}

/* Every view state draws without touching memory it should not: all
 * layers, one, a zoom far in and out, an orbit round. */
static void test_many_views(void **state)
{
    (void)state;
    struct frame f;
    struct synth_opts o = {.offset = 1, .wait = 0.2, .temps = true, .stop_at = 40};
    frame_open(&f, NULL, EXAMPLES "/coaster.gcode", &o);
    for (int i = 0; i < 24; i++) {
        f.v.yaw = i * 15.0f;
        f.v.pitch = -10.0f + 100.0f * i / 23.0f;
        f.v.zoom3d = i % 3 == 0 ? 0.05f : i % 3 == 1 ? 1.0f : 200.0f;
        f.v.zoom_top = i % 2 ? 80.0f : 0.1f;
        f.v.single_layer = i % 4 == 0;
        f.v.layer_lo = f.v.layer_hi = (uint32_t)(i % 10);
        f.v.time = f.s.t0 + (f.s.t1 - f.s.t0) * i / 23.0;
        f.v.colour_mode = i % 2;
        f.v.help = i == 5;
        viz_render(&f.c, &f.s, &f.v);
    }
    frame_close(&f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_square_extent_and_colour), cmocka_unit_test(test_phases_along_a_line),
        cmocka_unit_test(test_timeline_cuts_the_path),   cmocka_unit_test(test_deviation_highlight),
        cmocka_unit_test(test_help_overlay_and_png),     cmocka_unit_test(test_many_views),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
