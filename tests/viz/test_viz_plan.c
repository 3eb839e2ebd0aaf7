/* The planned-move store: kinds, layers, extent, speed scale, the
 * trapezoid's distance and time, and the engine's moves of a real file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "move.h"
#include "viz_fixture.h"
#include "viz_load.h"
#include "viz_plan.h"

/* A move from a to b (x y z e) at speed v, accelerating from and to
 * rest at accel 1000 (a triangle when it is too short to cruise). */
static struct move mk(double t, const double a[4], const double b[4], double v)
{
    struct move m;
    memset(&m, 0, sizeof(m));
    double d2 = 0;
    for (int i = 0; i < 3; i++)
        d2 += (b[i] - a[i]) * (b[i] - a[i]);
    double d = sqrt(d2);
    bool e_only = d == 0.0;
    if (e_only)
        d = fabs(b[3] - a[3]);
    for (int i = 0; i < 4; i++) {
        m.start_pos[i] = a[i];
        m.axes_r[i] = (b[i] - a[i]) / d;
    }
    m.move_d = d;
    m.print_time = t;
    m.accel = 1000.0;
    double ta = v / m.accel;
    if (ta * v > d) { /* a triangle */
        v = sqrt(d * m.accel);
        ta = v / m.accel;
    }
    m.accel_t = m.decel_t = ta;
    m.cruise_v = v;
    m.cruise_t = (d - ta * v) / v;
    if (m.cruise_t < 0)
        m.cruise_t = 0;
    return m;
}

struct builder {
    struct viz_plan p;
    double t, at[4];
};

static void go(struct builder *b, double x, double y, double z, double e, double v)
{
    double to[4] = {x, y, z, b->at[3] + e};
    struct move m = mk(b->t, b->at, to, v);
    assert_int_equal(viz_plan_add(&b->p, &m), 0);
    b->t += move_duration(&m);
    memcpy(b->at, to, sizeof(to));
}

/* A homing approach: declared at from, moving to to. */
static void home(struct builder *b, const double from[4], const double to[4])
{
    struct move m = mk(b->t, from, to, 50);
    assert_int_equal(viz_plan_add(&b->p, &m), 0);
    b->t += move_duration(&m);
    memcpy(b->at, to, sizeof(b->at));
}

static void test_kinds_and_layers(void **state)
{
    (void)state;
    struct builder b = {.t = 1.0};
    viz_plan_init(&b.p);
    const double far[4] = {300, 0, 0, 0}, zero[4] = {0, 0, 0, 0};
    home(&b, far, zero);           /* 0 homing: starts where nothing ended */
    go(&b, 10, 10, 0.2, 0, 100);   /* 1 travel */
    go(&b, 10, 10, 0.2, 1, 30);    /* 2 filament only */
    go(&b, 20, 10, 0.2, 0.5, 30);  /* 3 extrude: layer 0 at 0.2 */
    go(&b, 20, 20, 0.2, 0.5, 40);  /* 4 extrude */
    go(&b, 20, 20, 0.2, -1, 30);   /* 5 retract */
    go(&b, 20, 20, 0.4, 0, 10);    /* 6 z up: travel, leads to layer 1 */
    go(&b, 10, 20, 0.4, 0, 120);   /* 7 travel */
    go(&b, 10, 10, 0.4, 0.5, 30);  /* 8 extrude: layer 1 at 0.4 */
    go(&b, 30, 10, 0.4, 0.0, 150); /* 9 travel, faster than any extrusion */
    viz_plan_finish(&b.p);
    const struct viz_plan *p = &b.p;
    assert_int_equal(p->n, 10);
    static const int kinds[10] = {VIZ_HOMING, VIZ_TRAVEL, VIZ_E_ONLY, VIZ_EXTRUDE, VIZ_EXTRUDE,
                                  VIZ_E_ONLY, VIZ_TRAVEL, VIZ_TRAVEL, VIZ_EXTRUDE, VIZ_TRAVEL};
    for (int i = 0; i < 10; i++)
        assert_int_equal(p->moves[i].kind, kinds[i]);
    assert_int_equal(p->counts[VIZ_EXTRUDE], 3);
    assert_int_equal(p->nlayers, 2);
    assert_true(fabsf(p->layers[0].z - 0.2f) < 1e-6f && fabsf(p->layers[1].z - 0.4f) < 1e-6f);
    /* Layer 1 starts right after layer 0's last extrusion: the retract
     * and the z move lead up to it. */
    assert_int_equal(p->layers[1].first, 5);
    for (int i = 0; i < 10; i++)
        assert_int_equal(p->moves[i].layer, i < 5 ? 0 : 1);
    size_t first, end;
    viz_plan_layer_range(p, 1, 1, &first, &end);
    assert_int_equal(first, 5);
    assert_int_equal(end, 10);
    viz_plan_layer_range(p, 0, 1, &first, &end);
    assert_int_equal(first, 0);
    assert_int_equal(end, 10);
    viz_plan_layer_range(p, 2, 3, &first, &end);
    assert_int_equal(first, end);
    /* The extent is the extrusion's; the speed scale too. */
    assert_true(p->lo[0] == 10.0f && p->hi[0] == 20.0f && p->lo[1] == 10.0f && p->hi[1] == 20.0f);
    assert_true(fabsf(p->lo[2] - 0.2f) < 1e-6f && fabsf(p->hi[2] - 0.4f) < 1e-6f);
    assert_true(p->vmax == 40.0f);
    assert_true(p->t_end == viz_move_end(&p->moves[9]));
    viz_plan_free(&b.p);
}

static void test_spiral_layers(void **state)
{
    (void)state;
    struct builder b = {.t = 0};
    viz_plan_init(&b.p);
    /* A vase climbing 0.002 mm a segment: a layer per 0.1 mm climbed. */
    go(&b, 0, 0, 0.2, 0, 100);
    for (int i = 0; i < 200; i++)
        go(&b, 10 * cos(i * 0.1), 10 * sin(i * 0.1), 0.2 + 0.002 * (i + 1), 0.05, 30);
    viz_plan_finish(&b.p);
    assert_true(b.p.nlayers >= 3 && b.p.nlayers <= 5);
    viz_plan_free(&b.p);
}

static void test_outliers_left_out_of_extent(void **state)
{
    (void)state;
    struct builder b = {.t = 0};
    viz_plan_init(&b.p);
    go(&b, 0, 0, 0.3, 0, 100);
    go(&b, 190, 0, 0.3, 5, 30); /* a purge line along the bed's edge */
    for (int i = 0; i < 2000; i++)
        go(&b, 100 + 10 * cos(i * 0.05), 100 + 10 * sin(i * 0.05), 0.3, 0.05, 30);
    viz_plan_finish(&b.p);
    assert_true(b.p.lo[0] > 89.0f && b.p.hi[0] < 111.0f);
    assert_true(b.p.lo[1] > 89.0f && b.p.hi[1] < 111.0f);
    viz_plan_free(&b.p);
}

static void test_trapezoid(void **state)
{
    (void)state;
    const double a[4] = {0, 0, 0, 0}, b4[4] = {30, 40, 0, 0};
    struct move m = mk(2.0, a, b4, 100);
    m.start_v = 10; /* an asymmetric profile: 10 -> 100 -> 0 */
    m.accel_t = 0.09;
    m.decel_t = 0.1;
    m.cruise_t = (50.0 - 0.5 * 110 * 0.09 - 0.5 * 100 * 0.1) / 100;
    struct viz_plan p;
    viz_plan_init(&p);
    assert_int_equal(viz_plan_add(&p, &m), 0);
    viz_plan_finish(&p);
    const struct viz_move *v = &p.moves[0];
    assert_true(fabs(viz_move_length(v) - 50.0) < 1e-4);
    assert_true(fabs(viz_move_profile_length(v) - 50.0) < 1e-4);
    assert_true(fabs(viz_move_speed_at(v, 0.0) - 10) < 1e-4);
    assert_true(fabs(viz_move_speed_at(v, 0.045) - 55) < 1e-3);
    assert_true(fabs(viz_move_speed_at(v, 0.2) - 100) < 1e-3);
    assert_true(fabs(viz_move_dist_at(v, 0.09) - 4.95) < 1e-4);
    for (double d = 0.0; d <= 50.0; d += 0.37) {
        double t = viz_move_time_at_dist(v, d);
        assert_true(fabs(viz_move_dist_at(v, t) - d) < 1e-4);
    }
    float q[3];
    viz_move_pos_at(v, 1.0, q); /* before the start: at the start */
    assert_true(q[0] == 0.0f && q[1] == 0.0f);
    viz_move_pos_at(v, viz_move_end(v) + 1.0, q);
    assert_true(fabsf(q[0] - 30.0f) < 1e-4f && fabsf(q[1] - 40.0f) < 1e-4f);
    viz_move_pos_at(v, 2.0 + viz_move_time_at_dist(v, 25.0), q);
    assert_true(fabsf(q[0] - 15.0f) < 1e-3f && fabsf(q[1] - 20.0f) < 1e-3f);
    assert_int_equal(viz_plan_count_started(&p, 1.99), 0);
    assert_int_equal(viz_plan_count_started(&p, 2.0), 1);
    viz_plan_free(&p);
}

/* The engine's own moves for a file: homing, the square, both layers. */
static void test_engine_moves(void **state)
{
    (void)state;
    struct viz_plan p;
    fixture_plan(NULL, EXAMPLES "/square.gcode", &p);
    assert_int_equal(p.counts[VIZ_EXTRUDE], 8);
    assert_true(p.counts[VIZ_HOMING] >= 3); /* x, y and z, each approached twice */
    assert_int_equal(p.nlayers, 2);
    assert_true(fabsf(p.layers[0].z - 0.3f) < 1e-5f && fabsf(p.layers[1].z - 0.6f) < 1e-5f);
    assert_true(p.lo[0] == 80.0f && p.hi[0] == 120.0f && p.lo[1] == 80.0f && p.hi[1] == 120.0f);
    assert_true(fabsf(p.vmax - 30.0f) < 1e-3f); /* F1800 */
    assert_true(p.has_bed && p.bed_hi[0] == 200.0f);
    assert_int_equal(p.refused, 0);
    for (size_t i = 1; i < p.n; i++)
        assert_true(p.moves[i].t >= viz_move_end(&p.moves[i - 1]) - 1e-6);
    viz_plan_free(&p);
}

static void test_engine_errors(void **state)
{
    (void)state;
    struct viz_plan p;
    char err[1024];
    viz_plan_init(&p);
    struct viz_load_opts o = {
        .config_path = PRINTER_CFG, .gcode_path = "/nonexistent.gcode", .dict_path = DICT};
    assert_int_equal(viz_plan_load(&o, &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent.gcode"));
    viz_plan_free(&p);
    o.config_path = TEST_DATA "/lines.gcode"; /* not a config */
    o.gcode_path = TEST_DATA "/lines.gcode";
    assert_int_equal(viz_plan_load(&o, &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "lines.gcode"));
    viz_plan_free(&p);
    /* Refused lines are counted, and planning goes on. */
    char path[] = "/tmp/viz_refusedXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("G1 X10\nG28\nG1 X500\nG1 X20 Y20 E1\n", f);
    fclose(f);
    o.config_path = PRINTER_CFG;
    o.gcode_path = path;
    assert_int_equal(viz_plan_load(&o, &p, err, sizeof(err)), 0);
    unlink(path);
    assert_int_equal(p.refused, 2);
    assert_non_null(strstr(p.first_refusal, "!! Must home axis first"));
    assert_int_equal(p.counts[VIZ_EXTRUDE], 1);
    viz_plan_free(&p);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_and_layers),
        cmocka_unit_test(test_spiral_layers),
        cmocka_unit_test(test_outliers_left_out_of_extent),
        cmocka_unit_test(test_trapezoid),
        cmocka_unit_test(test_engine_moves),
        cmocka_unit_test(test_engine_errors),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
