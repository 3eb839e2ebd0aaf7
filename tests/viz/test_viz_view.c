/* The viewer's controls: keys, playback, mouse on the views and the
 * timeline, on a small plan built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "move.h"
#include "viz_render.h"
#include "viz_view.h"

#define W 1000
#define H 700

/* Three layers of a 10 mm square, one second a side. */
static void build(struct viz_plan *p)
{
    viz_plan_init(p);
    double t = 0, at[4] = {0, 0, 0, 0};
    for (int layer = 0; layer < 3; layer++) {
        static const double corner[5][2] = {{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}};
        for (int k = 1; k < 5; k++) {
            struct move m;
            memset(&m, 0, sizeof(m));
            double to[4] = {corner[k][0], corner[k][1], 0.2 * (layer + 1), at[3] + 1};
            double d = 0;
            for (int i = 0; i < 3; i++)
                d += (to[i] - at[i]) * (to[i] - at[i]);
            d = sqrt(d);
            for (int i = 0; i < 4; i++) {
                m.start_pos[i] = at[i];
                m.axes_r[i] = (to[i] - at[i]) / d;
            }
            m.move_d = d;
            m.print_time = t;
            m.cruise_v = d;
            m.cruise_t = 1.0;
            assert_int_equal(viz_plan_add(p, &m), 0);
            t += 1.0;
            memcpy(at, to, sizeof(at));
        }
    }
    viz_plan_finish(p);
}

struct fixture {
    struct viz_plan plan;
    struct viz_scene s;
    struct viz_view v;
};

static void open_view(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    build(&f->plan);
    f->s.plan = &f->plan;
    viz_scene_setup(&f->s);
    viz_view_init(&f->v, &f->s, W, H);
}

static void test_initial_view(void **state)
{
    (void)state;
    struct fixture f;
    open_view(&f);
    assert_int_equal(f.plan.nlayers, 3);
    assert_true(f.s.t0 == 0.0 && f.s.t1 == 12.0);
    assert_true(f.v.time == 12.0);
    assert_int_equal(f.v.layer_lo, 0);
    assert_int_equal(f.v.layer_hi, 2);
    assert_false(f.v.playing);
    assert_true(f.v.show_travel && f.v.show_exec && !f.v.help);
    assert_int_equal(viz_view_current_layer(&f.v, &f.s), 2);
    f.v.time = 5.5;
    assert_int_equal(viz_view_current_layer(&f.v, &f.s), 1);
    viz_plan_free(&f.plan);
}

static void test_playback(void **state)
{
    (void)state;
    struct fixture f;
    open_view(&f);
    double speed = f.v.speed;
    assert_int_equal(viz_view_key(&f.v, &f.s, ' ', false), 0);
    /* At the end, play starts from the beginning. */
    assert_true(f.v.playing && f.v.time == 0.0);
    viz_view_advance(&f.v, &f.s, 2.0);
    assert_true(fabs(f.v.time - 2.0 * speed) < 1e-9);
    viz_view_key(&f.v, &f.s, '+', false);
    assert_true(f.v.speed == 2 * speed);
    viz_view_key(&f.v, &f.s, '-', false);
    viz_view_key(&f.v, &f.s, '-', false);
    assert_true(f.v.speed == speed / 2);
    for (int i = 0; i < 40; i++)
        viz_view_key(&f.v, &f.s, '-', false);
    assert_true(f.v.speed == 1.0 / 8);
    for (int i = 0; i < 40; i++)
        viz_view_key(&f.v, &f.s, '+', false);
    assert_true(f.v.speed == 4096.0);
    viz_view_advance(&f.v, &f.s, 1.0);
    assert_true(f.v.time == f.s.t1 && !f.v.playing); /* stops at the end */
    viz_view_advance(&f.v, &f.s, -5.0);
    assert_true(f.v.time == f.s.t1);
    viz_plan_free(&f.plan);
}

static void test_time_keys(void **state)
{
    (void)state;
    struct fixture f;
    open_view(&f);
    viz_view_key(&f.v, &f.s, VIZ_KEY_HOME, false);
    assert_true(f.v.time == 0.0);
    viz_view_key(&f.v, &f.s, VIZ_KEY_LEFT, false);
    assert_true(f.v.time == 0.0);
    viz_view_key(&f.v, &f.s, VIZ_KEY_RIGHT, false);
    assert_true(fabs(f.v.time - 0.12) < 1e-9);
    /* Shift: move by move (each 1 s). */
    viz_view_key(&f.v, &f.s, VIZ_KEY_RIGHT, true);
    assert_true(fabs(f.v.time - 1.0) < 1e-9);
    viz_view_key(&f.v, &f.s, VIZ_KEY_RIGHT, true);
    assert_true(fabs(f.v.time - 2.0) < 1e-9);
    viz_view_key(&f.v, &f.s, VIZ_KEY_LEFT, true);
    assert_true(fabs(f.v.time - 1.0) < 1e-9);
    viz_view_key(&f.v, &f.s, VIZ_KEY_END, false);
    assert_true(f.v.time == 12.0);
    viz_view_key(&f.v, &f.s, VIZ_KEY_RIGHT, false);
    assert_true(f.v.time == 12.0);
    viz_plan_free(&f.plan);
}

static void test_layer_keys(void **state)
{
    (void)state;
    struct fixture f;
    open_view(&f);
    viz_view_key(&f.v, &f.s, VIZ_KEY_UP, false);
    assert_int_equal(f.v.layer_hi, 2);
    viz_view_key(&f.v, &f.s, VIZ_KEY_DOWN, false);
    assert_int_equal(f.v.layer_hi, 1);
    viz_view_key(&f.v, &f.s, VIZ_KEY_UP, true); /* the bottom layer */
    assert_int_equal(f.v.layer_lo, 1);
    viz_view_key(&f.v, &f.s, VIZ_KEY_UP, true);
    assert_int_equal(f.v.layer_lo, 2);
    assert_int_equal(f.v.layer_hi, 2); /* pushed up with it */
    viz_view_key(&f.v, &f.s, VIZ_KEY_PAGEDOWN, false);
    assert_int_equal(f.v.layer_hi, 0);
    assert_int_equal(f.v.layer_lo, 0);
    viz_view_key(&f.v, &f.s, VIZ_KEY_PAGEUP, false);
    assert_int_equal(f.v.layer_hi, 2);
    viz_view_key(&f.v, &f.s, 's', false);
    assert_true(f.v.single_layer && f.v.layer_lo == 2);
    viz_view_key(&f.v, &f.s, VIZ_KEY_DOWN, false);
    assert_true(f.v.layer_lo == 1 && f.v.layer_hi == 1);
    viz_view_key(&f.v, &f.s, 'a', false);
    assert_true(!f.v.single_layer && f.v.layer_lo == 0 && f.v.layer_hi == 2);
    viz_plan_free(&f.plan);
}

static void test_toggles_and_quit(void **state)
{
    (void)state;
    struct fixture f;
    open_view(&f);
    viz_view_key(&f.v, &f.s, 'c', false);
    assert_int_equal(f.v.colour_mode, VIZ_COLOUR_PHASE);
    viz_view_key(&f.v, &f.s, 'c', false);
    assert_int_equal(f.v.colour_mode, VIZ_COLOUR_SPEED);
    viz_view_key(&f.v, &f.s, 't', false);
    assert_false(f.v.show_travel);
    viz_view_key(&f.v, &f.s, 'e', false);
    assert_false(f.v.show_exec);
    viz_view_key(&f.v, &f.s, 'o', false);
    assert_true(f.v.orbit);
    float yaw = f.v.yaw;
    viz_view_advance(&f.v, &f.s, 0.5);
    assert_true(fabsf(f.v.yaw - (yaw + 10.0f)) < 1e-4f);
    viz_view_key(&f.v, &f.s, '?', false);
    assert_true(f.v.help);
    /* Escape closes the help first, then quits. */
    assert_int_equal(viz_view_key(&f.v, &f.s, VIZ_KEY_ESCAPE, false), 0);
    assert_false(f.v.help);
    assert_int_equal(viz_view_key(&f.v, &f.s, VIZ_KEY_ESCAPE, false), 1);
    assert_int_equal(viz_view_key(&f.v, &f.s, 'q', false), 1);
    f.v.zoom3d = 3.0f;
    viz_view_key(&f.v, &f.s, 'r', false);
    assert_true(f.v.zoom3d == 1.0f && f.v.yaw == -30.0f);
    assert_int_equal(viz_view_key(&f.v, &f.s, 'Z', false), 0); /* nothing */
    viz_plan_free(&f.plan);
}

static void test_mouse(void **state)
{
    (void)state;
    struct fixture f;
    open_view(&f);
    struct viz_layout l;
    viz_layout(W, H, false, &l);
    /* Click and drag on the timeline: its left end is the start. */
    viz_view_press(&f.v, &f.s, l.timeline.x, l.timeline.y + 5, 1);
    assert_true(f.v.time == 0.0);
    viz_view_motion(&f.v, &f.s, l.timeline.x + l.timeline.w / 2, l.timeline.y + 5);
    assert_true(fabs(f.v.time - 6.0) < 0.05);
    viz_view_release(&f.v);
    viz_view_motion(&f.v, &f.s, l.timeline.x, l.timeline.y + 5);
    assert_true(fabs(f.v.time - 6.0) < 0.05);
    /* Orbit, with the pitch held between -10 and 90. */
    int cx = l.view3d.x + l.view3d.w / 2, cy = l.view3d.y + l.view3d.h / 2;
    viz_view_press(&f.v, &f.s, cx, cy, 1);
    viz_view_motion(&f.v, &f.s, cx + 50, cy + 1000);
    assert_true(fabsf(f.v.yaw - (-30.0f + 20.0f)) < 1e-4f);
    assert_true(f.v.pitch == 90.0f);
    viz_view_release(&f.v);
    /* Pan with the right button. */
    viz_view_press(&f.v, &f.s, cx, cy, 3);
    viz_view_motion(&f.v, &f.s, cx + 7, cy - 4);
    assert_true(f.v.pan3d[0] == 7.0f && f.v.pan3d[1] == -4.0f);
    viz_view_release(&f.v);
    /* The wheel zooms about the mouse: the part's corner under it stays. */
    float px, py, qx, qy;
    viz_top_project(&f.s, &f.v, &l.top, 10, 10, &px, &py);
    viz_view_wheel(&f.v, &f.s, (int)px, (int)py, 3.0f);
    assert_true(f.v.zoom_top > 1.5f);
    viz_top_project(&f.s, &f.v, &l.top, 10, 10, &qx, &qy);
    assert_true(fabsf(qx - px) < 1.0f && fabsf(qy - py) < 1.0f);
    viz_view_wheel(&f.v, &f.s, (int)px, (int)py, -1000.0f);
    assert_true(f.v.zoom_top == 0.05f);
    viz_plan_free(&f.plan);
}

static void test_next_mark(void **state)
{
    (void)state;
    struct fixture f;
    open_view(&f);
    float dev[12] = {0};
    f.plan.moves[4].flags |= VIZ_MOVE_DEVIATES; /* ends at 5 s */
    f.plan.moves[9].flags |= VIZ_MOVE_DEVIATES; /* ends at 10 s */
    f.s.dev = dev;
    f.v.time = 0.0;
    viz_view_key(&f.v, &f.s, 'n', false);
    assert_true(f.v.time == 5.0);
    viz_view_key(&f.v, &f.s, 'n', false);
    assert_true(f.v.time == 10.0);
    viz_view_key(&f.v, &f.s, 'n', false); /* round to the first */
    assert_true(f.v.time == 5.0);
    viz_plan_free(&f.plan);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_view),     cmocka_unit_test(test_playback),
        cmocka_unit_test(test_time_keys),        cmocka_unit_test(test_layer_keys),
        cmocka_unit_test(test_toggles_and_quit), cmocka_unit_test(test_mouse),
        cmocka_unit_test(test_next_mark),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
