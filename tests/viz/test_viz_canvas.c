/* The frame's drawing: lines end where they should, stay inside the
 * clip whatever their coordinates, carry their gradient and dashes;
 * text and rectangles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "viz_canvas.h"

#define BG 0xff000000u
#define RED 0xffff0000u
#define BLUE 0xff0000ffu

static size_t count(const struct viz_canvas *c, uint32_t colour)
{
    size_t n = 0;
    for (int i = 0; i < c->w * c->h; i++)
        n += c->px[i] == colour;
    return n;
}

static uint32_t at(const struct viz_canvas *c, int x, int y)
{
    return c->px[y * c->w + x];
}

static void test_lines(void **state)
{
    (void)state;
    struct viz_canvas c;
    assert_int_equal(viz_canvas_init(&c, 64, 48), 0);
    viz_fill_rect(&c, 0, 0, 64, 48, BG);
    viz_line(&c, 2, 3, 40, 3, RED, RED, 0, 1);
    assert_int_equal(count(&c, RED), 39);
    assert_true(at(&c, 2, 3) == RED && at(&c, 40, 3) == RED && at(&c, 41, 3) == BG);
    viz_fill_rect(&c, 0, 0, 64, 48, BG);
    viz_line(&c, 5, 5, 15, 25, RED, RED, 0, 1); /* steep: one pixel a row */
    assert_int_equal(count(&c, RED), 21);
    assert_true(at(&c, 5, 5) == RED && at(&c, 15, 25) == RED && at(&c, 10, 15) == RED);
    viz_fill_rect(&c, 0, 0, 64, 48, BG);
    viz_line(&c, 5, 5, 15, 25, RED, RED, 0, 2); /* wide: two a row */
    assert_int_equal(count(&c, RED), 42);
    viz_fill_rect(&c, 0, 0, 64, 48, BG);
    viz_line(&c, 7, 7, 7, 7, RED, RED, 0, 1); /* a point */
    assert_int_equal(count(&c, RED), 1);
    viz_canvas_free(&c);
}

static void test_clipping(void **state)
{
    (void)state;
    struct viz_canvas c;
    assert_int_equal(viz_canvas_init(&c, 50, 40), 0);
    viz_fill_rect(&c, 0, 0, 50, 40, BG);
    viz_canvas_clip(&c, 10, 10, 20, 15);
    /* Far outside, across, huge, not finite: nothing outside the clip,
     * and no crash (ASan watches the writes). */
    viz_line(&c, -1e9f, 12, 1e9f, 12, RED, RED, 0, 2);
    viz_line(&c, -1e30f, -1e30f, 1e30f, 1e30f, RED, RED, 0, 2);
    viz_line(&c, -3e38f, 0, 3e38f, 20, RED, RED, 0, 2);
    viz_line(&c, NAN, 0, 10, 10, RED, RED, 0, 1);
    viz_line(&c, 0, INFINITY, 10, 10, RED, RED, 0, 1);
    viz_line(&c, 100, 100, 200, 300, RED, RED, 0, 1);
    viz_fill_rect(&c, -5, -5, 1000, 1000, BLUE);
    viz_disc(&c, 10, 10, 6, RED);
    viz_text(&c, -3, 11, "clipped text", RED, 3);
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 50; x++) {
            bool inside = x >= 10 && x < 30 && y >= 10 && y < 25;
            if (!inside && at(&c, x, y) != BG)
                fail_msg("pixel %d,%d is %08x outside the clip", x, y, at(&c, x, y));
        }
    assert_true(count(&c, BLUE) + count(&c, RED) == 20 * 15);
    viz_canvas_unclip(&c);
    viz_line(&c, -10, -10, 100, 100, RED, RED, 0, 2);
    assert_true(at(&c, 0, 0) == RED && at(&c, 38, 38) == RED && at(&c, 38, 39) == RED);
    viz_canvas_free(&c);
    assert_int_equal(viz_canvas_init(&c, 0, 10), -1);
    assert_int_equal(viz_canvas_init(&c, 20000, 10), -1);
}

static void test_gradient_and_dashes(void **state)
{
    (void)state;
    struct viz_canvas c;
    assert_int_equal(viz_canvas_init(&c, 300, 10), 0);
    viz_fill_rect(&c, 0, 0, 300, 10, BG);
    viz_line(&c, 0, 5, 255, 5, RED, BLUE, 0, 1);
    assert_true(at(&c, 0, 5) == RED);
    uint32_t mid = at(&c, 128, 5), end = at(&c, 255, 5);
    assert_true((end & 0xff) >= 0xfc && (end >> 16 & 0xff) <= 3);
    assert_true((mid >> 16 & 0xff) > 0x70 && (mid >> 16 & 0xff) < 0x90);
    assert_true((mid & 0xff) > 0x70 && (mid & 0xff) < 0x90);
    /* Clipped, the gradient keeps its place along the whole line. */
    viz_fill_rect(&c, 0, 0, 300, 10, BG);
    viz_canvas_clip(&c, 128, 0, 172, 10);
    viz_line(&c, 0, 5, 255, 5, RED, BLUE, 0, 1);
    uint32_t mid2 = at(&c, 128, 5);
    assert_true(abs((int)(mid2 & 0xff) - (int)(mid & 0xff)) <= 2);
    viz_canvas_unclip(&c);
    viz_fill_rect(&c, 0, 0, 300, 10, BG);
    viz_line(&c, 0, 2, 29, 2, RED, RED, 3, 1); /* 3 on, 3 off */
    assert_int_equal(count(&c, RED), 15);
    assert_true(at(&c, 0, 2) == RED && at(&c, 2, 2) == RED && at(&c, 3, 2) == BG &&
                at(&c, 6, 2) == RED);
    /* Half-transparent: mixed with what is there. */
    viz_fill_rect(&c, 0, 0, 300, 10, BG);
    viz_line(&c, 0, 7, 10, 7, 0x80ff0000u, 0x80ff0000u, 0, 1);
    uint32_t p = at(&c, 5, 7);
    assert_true((p >> 16 & 0xff) > 0x70 && (p >> 16 & 0xff) < 0x90 && (p & 0xffff) == 0);
    viz_canvas_free(&c);
}

static void test_text_and_shapes(void **state)
{
    (void)state;
    struct viz_canvas c;
    assert_int_equal(viz_canvas_init(&c, 120, 40), 0);
    viz_fill_rect(&c, 0, 0, 120, 40, BG);
    assert_int_equal(viz_text_width("abc", 1), 3 * VIZ_CELL_W);
    assert_int_equal(viz_text_width("ab\nwxyz", 2), 4 * VIZ_CELL_W * 2);
    int w = viz_text(&c, 1, 1, "I", RED, 1);
    assert_int_equal(w, VIZ_CELL_W);
    /* 'I': a bar of three, a stem of five, a bar of three. */
    assert_int_equal(count(&c, RED), 3 + 5 + 3);
    viz_fill_rect(&c, 0, 0, 120, 40, BG);
    viz_text(&c, 0, 0, "\x01", RED, 1); /* unprintable: drawn as '?' */
    size_t q = count(&c, RED);
    viz_fill_rect(&c, 0, 0, 120, 40, BG);
    viz_text(&c, 0, 0, "?", RED, 1);
    assert_int_equal(count(&c, RED), q);
    viz_fill_rect(&c, 0, 0, 120, 40, BG);
    viz_frame_rect(&c, 10, 10, 20, 10, RED);
    assert_int_equal(count(&c, RED), 2 * 20 + 2 * 8);
    viz_shade_rect(&c, 0, 0, 120, 40, 0xffffffffu, 255);
    assert_int_equal(count(&c, 0xffffffffu), 120 * 40);
    assert_true(viz_mix(0xff000000u, 0xffffffffu, 128) == 0xff7f7f7fu ||
                viz_mix(0xff000000u, 0xffffffffu, 128) == 0xff808080u);
    viz_canvas_free(&c);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_clipping),
        cmocka_unit_test(test_gradient_and_dashes),
        cmocka_unit_test(test_text_and_shapes),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
