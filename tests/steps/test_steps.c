/* Step generation and compression against exact step times. */
#include <math.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oracle.h"
#include "pipeline.h"
#include "rig.h"
#include "stepfit.h"
#include "stepfit_impl.h"
#include "synth.h"

static void at(double p[AXIS_COUNT], double x, double y, double z, double e)
{
    p[0] = x;
    p[1] = y;
    p[2] = z;
    p[3] = e;
}

/* A run of moves at one constant speed; the ticks per step are chosen
 * awkward: fractions of a tick, a tick and a bit, and very long. */
static void test_constant_velocity(void **state)
{
    (void)state;
    static const double ticks_per_step[] = {1000.5, 333.3333, 1620.00648, 2.5e6 + 0.3,
                                            207.77, 57.1,     24999.999,  1e4 / 3};
    for (size_t c = 0; c < sizeof(ticks_per_step) / sizeof(ticks_per_step[0]); c++) {
        struct rig r;
        rig_init(&r, 0, 0);
        rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
        double v = 16e6 / (80 * ticks_per_step[c]);
        double p0[AXIS_COUNT], p1[AXIS_COUNT], t = 0.001;
        at(p0, 0, 0, 0, 0);
        /* About 400 steps over moves of different lengths. */
        for (int k = 0; k < 8; k++) {
            at(p1, p0[0] + 0.3 + 0.17 * k, 0, 0, 0);
            struct move m = synth_move(t, p0, p1, v, v, v, 3000);
            rig_move(&r, &m);
            t += move_duration(&m);
            memcpy(p0, p1, sizeof(p0));
        }
        rig_flush(&r, INFINITY);
        rig_check(&r);
        /* One speed across move boundaries compresses into few commands. */
        size_t q = rig_queue_steps(&r, 0);
        if (ticks_per_step[c] < 1e5)
            assert_true(q <= 12);
        rig_free(&r);
    }
}

static void test_accel_from_zero(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_Y, 0.00625, true, 10e-6);
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    at(p0, 0, 0, 0, 0);
    at(p1, 30, 17, 0, 0);
    /* accelerate only, then decelerate only, to rest */
    double d = sqrt(30 * 30 + 17 * 17), a = 4000, vmax = sqrt(a * d);
    struct move up = synth_move(0.5, p0, p1, 0, vmax, vmax, a);
    rig_move(&r, &up);
    double p2[AXIS_COUNT];
    at(p2, 60, 34, 0, 0);
    struct move down = synth_move(0.5 + move_duration(&up), p1, p2, vmax, vmax, 0, a);
    rig_move(&r, &down);
    rig_flush(&r, INFINITY);
    rig_check(&r);
    rig_free(&r);
}

/* Decelerate to rest exactly on a half-step position: the last step is
 * due at the instant the speed reaches 0. */
static void test_decel_to_zero(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    at(p0, 0, 0, 0, 0);
    at(p1, 10.00625, 0, 0, 0); /* 800.5 steps */
    struct move m = synth_move(0.01, p0, p1, 0, 150, 0, 5000);
    rig_move(&r, &m);
    /* and a slow creep that ends at rest after a long deceleration */
    double p2[AXIS_COUNT];
    at(p2, 12, 0, 0, 0);
    struct move m2 = synth_move(0.01 + move_duration(&m), p1, p2, 0, 20, 0, 50);
    rig_move(&r, &m2);
    rig_flush(&r, INFINITY);
    rig_check(&r);
    rig_free(&r);
}

static void test_reversals(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    double t = 0.01;
    double x[] = {0, 5, 2, 2.00625 /* ends on a half step */, 1.5, 1.51, 1.495, 3, 3.0125, 3};
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    at(p0, x[0], 0, 0, 0);
    for (size_t k = 1; k < sizeof(x) / sizeof(x[0]); k++) {
        at(p1, x[k], 0, 0, 0);
        struct move m = synth_move(t, p0, p1, 0, 100, 0, 3000);
        rig_move(&r, &m);
        t += move_duration(&m);
        memcpy(p0, p1, sizeof(p0));
    }
    rig_flush(&r, INFINITY);
    rig_check(&r);
    assert_true(cmd_log_count(&r.log[0], STEP_CMD_SET_NEXT_STEP_DIR) >= 6);
    rig_free(&r);
}

static void test_corexy_diagonal(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    int a = rig_stepper(&r, STEPKIN_COREXY_A, 0.0125, false, 0);
    int b = rig_stepper(&r, STEPKIN_COREXY_B, 0.0125, false, 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT], t = 0.01;
    at(p0, 10, 10, 0, 0);
    rig_set_position(&r, a, 20);
    rig_set_position(&r, b, 0);
    double path[][2] = {{30, 30}, {40, 20}, {55, 20}, {35, 40}, {35.01, 40.01}, {10, 10}};
    for (size_t k = 0; k < sizeof(path) / sizeof(path[0]); k++) {
        at(p1, path[k][0], path[k][1], 0, 0);
        struct move m = synth_move(t, p0, p1, 0, 200, 0, 5000);
        rig_move(&r, &m);
        t += move_duration(&m);
        memcpy(p0, p1, sizeof(p0));
        if (k == 0) {
            rig_flush(&r, INFINITY);
            /* x = y: the B motor (x - y) stands still */
            assert_int_equal(r.rs[b].n, 0);
            assert_int_equal(r.log[b].n, 0);
            assert_true(r.rs[a].n == 3200);
        }
    }
    rig_flush(&r, INFINITY);
    rig_check(&r);
    rig_free(&r);
}

static void test_tiny_moves(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_Y, 0.0125, false, 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT], t = 0.01;
    at(p0, 0, 0, 0, 0);
    for (int k = 0; k < 300; k++) {
        /* one step, a fraction of a step, at various speeds */
        double dx = (k % 3 == 0) ? 0.0125 : (k % 3 == 1 ? 0.005 : -0.0125);
        double dy = (k % 5 == 0) ? 0.0125 : 0.003;
        at(p1, p0[0] + dx, p0[1] + dy, 0, 0);
        double v = 2 + (k % 7) * 15;
        double sv = (k % 4 == 0) ? 0 : v * 0.5;
        struct move m = synth_move(t, p0, p1, sv, v, sv, 3000);
        rig_move(&r, &m);
        t += move_duration(&m);
        memcpy(p0, p1, sizeof(p0));
    }
    rig_flush(&r, INFINITY);
    rig_check(&r);
    rig_free(&r);
}

/* Steps further apart than one interval may be: reset_step_clock. */
static void test_very_slow(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_Z, 0.0025, false, 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    at(p0, 0, 0, 0, 0);
    at(p1, 0, 0, 0.0101, 0); /* 4 steps */
    /* 1e-5 mm/s: 250 s (4e9 ticks) per step */
    struct move m = synth_move(0.01, p0, p1, 1e-5, 1e-5, 1e-5, 1);
    rig_move(&r, &m);
    double t = 0.01 + move_duration(&m);
    /* 1e-4 mm/s: 25 s (4e8 ticks) per step, fits one interval */
    at(p0, 0, 0, 0.0201, 0);
    struct move m2 = synth_move(t, p1, p0, 1e-4, 1e-4, 1e-4, 1);
    rig_move(&r, &m2);
    t += move_duration(&m2);
    /* a pause of 200 s, then a normal move */
    at(p1, 0, 0, 1, 0);
    struct move m3 = synth_move(t + 200, p0, p1, 0, 10, 0, 100);
    rig_move(&r, &m3);
    rig_flush(&r, INFINITY);
    rig_check(&r);
    /* each of the four slow steps, the first of the next move (146 s
     * later) and the first after the pause */
    assert_int_equal(cmd_log_count(&r.log[0], STEP_CMD_RESET_STEP_CLOCK), 6);
    for (size_t k = 0; k < r.log[0].n; k++) {
        const struct step_cmd *c = &r.log[0].v[k];
        if (c->kind == STEP_CMD_QUEUE_STEP)
            assert_true(c->interval <= (1u << 30));
        if (c->kind == STEP_CMD_RESET_STEP_CLOCK && k > 2)
            assert_true(c->min_clock > 0 && c->min_clock < c->clock);
    }
    rig_free(&r);
}

static void test_extrusion_retractions(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_Y, 0.0125, false, 0);
    int e = rig_stepper(&r, STEPKIN_EXTRUDER, 1.0 / 415, false, 0);
    struct synth_config c;
    synth_default(&c, 7);
    c.retract_every = 9;
    c.layer_every = 0;
    struct synth_moves mv = {0};
    synth_generate(&c, 400, &mv);
    rig_set_position(&r, 0, 100);
    rig_set_position(&r, 1, 100);
    for (size_t k = 0; k < mv.n; k++)
        rig_move(&r, &mv.v[k]);
    rig_flush(&r, INFINITY);
    rig_check(&r);
    assert_true(cmd_log_count(&r.log[e], STEP_CMD_SET_NEXT_STEP_DIR) >= 40);
    synth_free(&mv);
    rig_free(&r);
}

/* G92 E0 every so often: the count is rebased without a step. */
static void test_set_position(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 5);
    int e = rig_stepper(&r, STEPKIN_EXTRUDER, 1.0 / 415, false, 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT], t = 0.01, epos = 0;
    at(p0, 0, 0, 0, 0);
    for (int k = 0; k < 60; k++) {
        at(p1, 0, 0, 0, epos + 0.37 + 0.01 * k);
        struct move m = synth_move(t, p0, p1, 0, 30, 0, 2000);
        rig_move(&r, &m);
        t += move_duration(&m);
        epos = p1[AXIS_E];
        memcpy(p0, p1, sizeof(p0));
        if (k % 10 == 9) {
            struct stepgen_position before, after;
            stepgen_get_position(r.sg, e, &before);
            rig_set_position(&r, e, 0.0011);
            stepgen_get_position(r.sg, e, &after);
            assert_int_equal(after.steps, 0);
            assert_true(after.commanded == 0.0011);
            assert_int_equal(after.mcu_position, before.mcu_position);
            epos = 0.0011;
            at(p0, 0, 0, 0, epos);
        }
    }
    rig_flush(&r, INFINITY);
    rig_check(&r);
    rig_free(&r);
}

/* flush(until) hands on every step due by then, and nothing it need not. */
static void test_flush_until(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_COREXY_A, 0.0125, false, 0);
    rig_stepper(&r, STEPKIN_COREXY_B, 0.0125, false, 0);
    struct synth_config c;
    synth_default(&c, 11);
    struct synth_moves mv = {0};
    synth_generate(&c, 300, &mv);
    rig_set_position(&r, 0, 200);
    rig_set_position(&r, 1, 0);
    for (size_t k = 0; k < mv.n; k++)
        rig_move(&r, &mv.v[k]);
    for (int step = 1; step <= 4; step++) {
        double until = mv.end_time * step / 5;
        rig_flush(&r, until);
        for (int i = 0; i < r.n; i++) {
            char err[256];
            struct exec_steps ex = {0};
            assert_int_equal(fw_expand(r.log[i].v, r.log[i].n, FW_EXACT, &ex, err, sizeof(err)), 0);
            size_t due = ref_count_until(&r.rs[i], (long double)until * 16e6);
            assert_true(ex.n >= due);
            exec_free(&ex);
        }
    }
    rig_flush(&r, INFINITY);
    rig_check(&r);
    synth_free(&mv);
    rig_free(&r);
}

/* Homing: the MCU stopped the stepper; what follows restarts its clock. */
static void test_reset_stepper(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    at(p0, 0, 0, 0, 0);
    at(p1, -5, 0, 0, 0);
    struct move home = synth_move(0.01, p0, p1, 0, 20, 0, 500);
    rig_move(&r, &home);
    rig_flush(&r, INFINITY);
    size_t before = r.log[0].n;
    char err[256];
    assert_int_equal(stepgen_reset_stepper(r.sg, 0, 1234, err, sizeof(err)), 0);
    rig_set_position(&r, 0, 0);
    struct stepgen_position pos;
    stepgen_get_position(r.sg, 0, &pos);
    assert_int_equal(pos.mcu_position, 1234);
    assert_int_equal(pos.steps, 0);
    at(p0, 0, 0, 0, 0);
    at(p1, 3, 0, 0, 0);
    double t = 0.01 + move_duration(&home) + 0.1;
    struct move out = synth_move(t, p0, p1, 0, 50, 0, 1000);
    rig_move(&r, &out);
    at(p0, 1, 0, 0, 0);
    struct move back = synth_move(t + move_duration(&out), p1, p0, 0, 50, 0, 1000);
    rig_move(&r, &back);
    rig_flush(&r, INFINITY);
    /* After the reset: a direction and a clock before the first step. */
    assert_true(r.log[0].n > before + 2);
    assert_int_equal(r.log[0].v[before].kind, STEP_CMD_SET_NEXT_STEP_DIR);
    assert_int_equal(r.log[0].v[before + 1].kind, STEP_CMD_RESET_STEP_CLOCK);
    /* Both parts check out against the exact steps. */
    struct exec_steps ex = {0};
    assert_int_equal(fw_expand(r.log[0].v, r.log[0].n, FW_EXACT, &ex, err, sizeof(err)), 0);
    assert_int_equal(check_steps(&ex, &r.rs[0], 0, rig_max_error_ticks(&r, 0), err, sizeof(err)),
                     0);
    stepgen_get_position(r.sg, 0, &pos);
    assert_int_equal(pos.steps, 80);
    assert_int_equal(pos.mcu_position, 1234 + 80);
    exec_free(&ex);
    rig_free(&r);
}

/* A stop the caller did not flush up to: what was not handed on is
 * dropped with it, and nothing of it reaches the MCU afterwards. */
static void test_reset_drops_pending(void **state)
{
    (void)state;
    struct stepgen_config c = {0, 0};
    char err[256];
    struct stepgen *sg = stepgen_create(&c, err, sizeof(err));
    struct cmd_log log = {0};
    struct stepgen_stepper_config sc;
    memset(&sc, 0, sizeof(sc));
    sc.name = "x";
    stepkin_coefficients(STEPKIN_CARTESIAN_X, sc.coef);
    sc.step_distance = 0.0125;
    sc.mcu_freq = 16e6;
    sc.sink = cmd_log_sink;
    sc.sink_ctx = &log;
    assert_int_equal(stepgen_add_stepper(sg, &sc, err, sizeof(err)), 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    at(p0, 0, 0, 0, 0);
    at(p1, -5, 0, 0, 0);
    struct move home = synth_move(0.01, p0, p1, 0, 20, 0, 500);
    assert_int_equal(stepgen_add_move(sg, &home, err, sizeof(err)), 0);
    /* no flush: the whole homing move is still held */
    assert_int_equal(stepgen_reset_stepper(sg, 0, 7, err, sizeof(err)), 0);
    assert_int_equal(stepgen_set_position(sg, 0, 0, err, sizeof(err)), 0);
    at(p1, 1, 0, 0, 0);
    struct move out = synth_move(1, p0, p1, 0, 20, 0, 500);
    assert_int_equal(stepgen_add_move(sg, &out, err, sizeof(err)), 0);
    assert_int_equal(stepgen_flush(sg, INFINITY, err, sizeof(err)), 0);
    /* only the move after the stop: 80 steps, starting with a clock */
    struct exec_steps ex = {0};
    assert_int_equal(fw_expand(log.v, log.n, FW_EXACT, &ex, err, sizeof(err)), 0);
    assert_int_equal(ex.n, 80);
    assert_int_equal(log.v[0].kind, STEP_CMD_SET_NEXT_STEP_DIR);
    assert_int_equal(log.v[1].kind, STEP_CMD_RESET_STEP_CLOCK);
    assert_true(ex.v[0].clock > 16000000);
    struct stepgen_stats st;
    stepgen_get_stats(sg, 0, &st);
    assert_int_equal(st.steps, 80);
    struct stepgen_position pos;
    stepgen_get_position(sg, 0, &pos);
    assert_int_equal(pos.mcu_position, 7 + 80);
    exec_free(&ex);
    cmd_log_free(&log);
    stepgen_destroy(sg);
}

/* The print time -> clock mapping: an offset from the start, and a new
 * frequency and offset from clock synchronisation halfway. */
static void test_clock_mapping(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    int x = rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    char err[256];
    assert_int_equal(stepgen_set_clock(r.sg, x, 16e6, 123456.75, err, sizeof(err)), 0);
    r.ref[x].offset = 123456.75;
    double p0[AXIS_COUNT], p1[AXIS_COUNT], t = 0.01;
    at(p0, 0, 0, 0, 0);
    for (int k = 0; k < 20; k++) {
        at(p1, p0[0] + (k % 2 ? -3 : 5), 0, 0, 0);
        struct move m = synth_move(t, p0, p1, 0, 120, 0, 3000);
        rig_move(&r, &m);
        t += move_duration(&m);
        memcpy(p0, p1, sizeof(p0));
        if (k == 9) {
            /* the MCU runs a little slow; later moves map with that */
            double f = 16e6 * (1 - 20e-6), off = 123456.75 + t * 16e6 * 20e-6;
            assert_int_equal(stepgen_set_clock(r.sg, x, f, off, err, sizeof(err)), 0);
            r.ref[x].freq = f;
            r.ref[x].offset = off;
        }
    }
    rig_flush(&r, INFINITY);
    rig_check(&r);
    assert_int_equal(stepgen_set_clock(r.sg, x, 0, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "mcu_freq"));
    rig_free(&r);
}

static void run_synth(struct rig *r, int corexy, uint64_t seed, size_t nmoves, double max_error)
{
    rig_stepper(r, corexy ? STEPKIN_COREXY_A : STEPKIN_CARTESIAN_X, 0.0125, false, max_error);
    rig_stepper(r, corexy ? STEPKIN_COREXY_B : STEPKIN_CARTESIAN_Y, 0.0125, true, max_error);
    rig_stepper(r, STEPKIN_CARTESIAN_Z, 0.0025, false, max_error);
    rig_stepper(r, STEPKIN_EXTRUDER, 1.0 / 415, false, max_error);
    rig_set_position(r, 0, 100 + (corexy ? 100 : 0));
    rig_set_position(r, 1, corexy ? 0 : 100);
    rig_set_position(r, 2, 0.2);
    struct synth_config c;
    synth_default(&c, seed);
    struct synth_moves mv = {0};
    synth_generate(&c, nmoves, &mv);
    for (size_t k = 0; k < mv.n; k++) {
        rig_move(r, &mv.v[k]);
        if (k % 500 == 499)
            rig_flush(r, mv.v[k].print_time - 0.5);
    }
    rig_flush(r, INFINITY);
    synth_free(&mv);
}

/* Realistic prints, every step checked; and the message count against
 * the per-step greedy oracle on the same exact steps. */
static void test_synthetic_vs_oracle(void **state)
{
    (void)state;
    size_t lib_total = 0, oracle_total = 0;
    static const double errors[] = {0, 5e-6, 100e-6};
    for (int corexy = 0; corexy < 2; corexy++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            struct rig r;
            rig_init(&r, 0, 0);
            double me = errors[(seed + corexy) % 3];
            run_synth(&r, corexy, seed, 1500, me);
            rig_check(&r);
            for (int i = 0; i < r.n; i++) {
                struct cmd_log ol = {0};
                struct oracle_config oc = {r.cfg[i].oid, r.cfg[i].invert_dir,
                                           rig_max_error_ticks(&r, i)};
                oracle_compress(&oc, &r.rs[i], &ol);
                /* the oracle's own output is valid too */
                char err[256];
                struct exec_steps ex = {0};
                if (fw_expand(ol.v, ol.n, FW_EXACT, &ex, err, sizeof(err)) < 0)
                    fail_msg("oracle: %s", err);
                if (check_steps(&ex, &r.rs[i], r.cfg[i].invert_dir, rig_max_error_ticks(&r, i), err,
                                sizeof(err)) < 0)
                    fail_msg("oracle: %s", err);
                exec_free(&ex);
                size_t lq = rig_queue_steps(&r, i), oq = cmd_log_count(&ol, STEP_CMD_QUEUE_STEP);
                print_message(
                    "corexy %d seed %d stepper %d: %zu steps, %zu queue_step (oracle %zu)\n",
                    corexy, (int)seed, i, r.rs[i].n, lq, oq);
                assert_true(lq <= oq);
                lib_total += lq;
                oracle_total += oq;
                cmd_log_free(&ol);
            }
            rig_free(&r);
        }
    }
    print_message("queue_step total: %zu, oracle %zu\n", lib_total, oracle_total);
    assert_true(lib_total <= oracle_total);
}

/* The search's first try: on a synthetic cartesian print at Klipper's
 * default max_error, the predicted start is good enough that fits try
 * few adds on average (1.42 with the start 0.8 D into a command; the
 * middle of the command, 0.5 D, took 1.57). Counted, not timed: the
 * same every run. */
static void test_search_first_try(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    stepfit_stats = (struct stepfit_stats){0, 0};
    run_synth(&r, 0, 1, 3000, 25e-6);
    rig_check(&r);
    double per_fit = (double)stepfit_stats.fitA / (double)stepfit_stats.fits;
    print_message("%llu fits, %.3f adds tried per fit\n", (unsigned long long)stepfit_stats.fits,
                  per_fit);
    assert_true(stepfit_stats.fits > 10000);
    assert_true(per_fit < 1.5);
    rig_free(&r);
}

static uint64_t rnd_state;

static double rnd(void)
{
    uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}

static double log_uniform(double lo, double hi)
{
    return lo * pow(hi / lo, rnd());
}

/* Random moves, speeds, accelerations, windows and flushes; positions
 * often land exactly on half steps, moves reverse, stop, crawl and race.
 * Every step is checked. */
static void test_random_stress(void **state)
{
    (void)state;
    static const double dists[] = {0.0125, 0.00625, 0.0025, 1.0 / 415, 0.1, 1.0};
    static const enum stepkin kins[] = {STEPKIN_CARTESIAN_X, STEPKIN_CARTESIAN_Y, STEPKIN_COREXY_A,
                                        STEPKIN_COREXY_B, STEPKIN_EXTRUDER};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        rnd_state = seed * 7919;
        struct rig r;
        rig_init(&r, seed % 3 == 0 ? 1 : 0, 1 + (unsigned)(rnd() * 40));
        int ns = 1 + (int)(rnd() * 3);
        for (int i = 0; i < ns; i++) {
            double sd = dists[(int)(rnd() * 6)];
            double me = rnd() < 0.3 ? 0 : log_uniform(0.2e-6, 200e-6);
            rig_stepper(&r, kins[(int)(rnd() * 5)], sd, rnd() < 0.5, me);
        }
        double pos[AXIS_COUNT] = {0, 0, 0, 0}, t = rnd() * 0.01;
        double grid = 0.0125 / 2;
        for (int k = 0; k < 120; k++) {
            double p1[AXIS_COUNT];
            memcpy(p1, pos, sizeof(p1));
            double u = rnd();
            int n_ax = u < 0.2 ? 1 : 2;
            for (int a = 0; a < n_ax; a++) {
                int ax = (int)(rnd() * 4);
                double d = (rnd() - 0.5) * log_uniform(0.001, 20);
                p1[ax] += d;
                if (rnd() < 0.4)
                    p1[ax] = round(p1[ax] / grid) * grid;
            }
            double dd = 0;
            for (int a = 0; a < 3; a++)
                dd += (p1[a] - pos[a]) * (p1[a] - pos[a]);
            if (dd == 0 && p1[AXIS_E] == pos[AXIS_E])
                continue;
            double cv = log_uniform(0.02, 400), acc = log_uniform(5, 50000);
            double dist = dd > 0 ? sqrt(dd) : fabs(p1[AXIS_E] - pos[AXIS_E]);
            double sv = rnd() < 0.4 ? 0 : cv * rnd(), ev = rnd() < 0.4 ? 0 : cv * rnd();
            /* one ramp must be able to join the two ends */
            if (ev * ev > sv * sv + 2 * acc * dist)
                ev = sqrt(sv * sv + 2 * acc * dist);
            if (sv * sv > ev * ev + 2 * acc * dist)
                sv = sqrt(ev * ev + 2 * acc * dist);
            struct move m = synth_move(t, pos, p1, sv, fmax(cv, fmax(sv, ev)), ev, acc);
            /* faster than one step per tick is refused */
            if (!rig_try_move(&r, &m))
                continue;
            t += move_duration(&m);
            if (rnd() < 0.05)
                t += log_uniform(0.001, 300);
            memcpy(pos, p1, sizeof(pos));
            if (rnd() < 0.1)
                rig_flush(&r, t - rnd() * 0.5);
            if (rnd() < 0.03) {
                int i = (int)(rnd() * r.n);
                struct stepgen_position sp;
                stepgen_get_position(r.sg, i, &sp);
                rig_set_position(&r, i, sp.commanded);
            }
        }
        rig_flush(&r, INFINITY);
        print_message("seed %d\n", (int)seed);
        rig_check(&r);
        rig_free(&r);
    }
}

static int same_logs(const struct cmd_log *a, const struct cmd_log *b)
{
    return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof(*a->v)) == 0;
}

/* Moves, flushes part way and a G92-like set_position, so that batches
 * end in every way they can. */
static void run_mixed(struct rig *r)
{
    run_synth(r, 1, 5, 1200, 0);
    struct synth_config c;
    synth_default(&c, 9);
    struct synth_moves mv = {0};
    synth_generate(&c, 400, &mv);
    /* well after the first print (1200 moves take under a minute) */
    double t0 = 1000;
    /* the second print starts elsewhere: say so, as G92 would */
    rig_set_position(r, 0, mv.v[0].start_pos[0] + mv.v[0].start_pos[1]);
    rig_set_position(r, 1, mv.v[0].start_pos[0] - mv.v[0].start_pos[1]);
    rig_set_position(r, 2, mv.v[0].start_pos[2]);
    rig_set_position(r, 3, mv.v[0].start_pos[3]);
    for (size_t k = 0; k < mv.n; k++) {
        struct move m = mv.v[k];
        m.print_time += t0;
        rig_move(r, &m);
        if (k % 97 == 96)
            rig_flush(r, m.print_time);
    }
    rig_flush(r, INFINITY);
    synth_free(&mv);
}

/* The same calls give the same commands, whatever the threads and
 * however the work falls between them; batch sizes change only where
 * batches end. */
static void test_threads_deterministic(void **state)
{
    (void)state;
    static const unsigned batches[] = {1, 7, 64};
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        struct rig ref;
        rig_init(&ref, 0, batches[b]);
        run_mixed(&ref);
        rig_check(&ref);
        static const unsigned threads[] = {1, 3};
        for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
            struct rig r;
            rig_init(&r, threads[t], batches[b]);
            run_mixed(&r);
            for (int i = 0; i < r.n; i++)
                assert_true(same_logs(&r.log[i], &ref.log[i]));
            rig_free(&r);
        }
        rig_free(&ref);
    }
}

/* A flush left for later ends its batch as stepgen_flush() would, so the
 * commands are the same; they reach the sinks only when pushed out or
 * asked for, and then include every step due by its time. */
static void test_flush_later(void **state)
{
    (void)state;
    for (unsigned threads = 0; threads < 2; threads++) {
        struct synth_config c;
        synth_default(&c, 13);
        struct synth_moves mv = {0};
        synth_generate(&c, 1500, &mv);
        struct rig now, later;
        rig_init(&now, threads, 16);
        rig_init(&later, threads, 16);
        struct rig *rs[2] = {&now, &later};
        for (int k = 0; k < 2; k++) {
            rig_stepper(rs[k], STEPKIN_COREXY_A, 0.0125, false, 0);
            rig_stepper(rs[k], STEPKIN_COREXY_B, 0.0125, true, 0);
            rig_set_position(rs[k], 0, mv.v[0].start_pos[0] + mv.v[0].start_pos[1]);
            rig_set_position(rs[k], 1, mv.v[0].start_pos[0] - mv.v[0].start_pos[1]);
        }
        uint64_t mark = 0;
        double until = 0;
        bool pending = false;
        int checked = 0;
        char err[256];
        for (size_t k = 0; k < mv.n; k++) {
            rig_move(&now, &mv.v[k]);
            rig_move(&later, &mv.v[k]);
            if (pending && stepgen_handed_on(later.sg, mark)) {
                /* everything due by until went out with the marked batch */
                for (int i = 0; i < later.n; i++) {
                    struct exec_steps ex = {0};
                    assert_int_equal(
                        fw_expand(later.log[i].v, later.log[i].n, FW_EXACT, &ex, err, sizeof(err)),
                        0);
                    assert_true(ex.n >= ref_count_until(&later.rs[i], (long double)until * 16e6));
                    exec_free(&ex);
                }
                pending = false;
                checked++;
            }
            if (k % 150 == 149) {
                until = mv.v[k].print_time;
                rig_flush(&now, until);
                if (pending)
                    assert_int_equal(stepgen_hand_on(later.sg, mark, err, sizeof(err)), 0);
                assert_int_equal(stepgen_flush_later(later.sg, until, &mark, err, sizeof(err)), 0);
                /* its own batch waits for later batches or for hand_on */
                assert_false(stepgen_handed_on(later.sg, mark));
                pending = true;
                if (k % 450 == 449) {
                    size_t before = later.log[0].n;
                    assert_int_equal(stepgen_hand_on(later.sg, mark, err, sizeof(err)), 0);
                    assert_true(stepgen_handed_on(later.sg, mark));
                    assert_true(later.log[0].n > before);
                }
            }
        }
        assert_true(checked > 3);
        assert_int_equal(stepgen_flush_later(later.sg, NAN, &mark, err, sizeof(err)), -1);
        rig_flush(&now, INFINITY);
        rig_flush(&later, INFINITY);
        rig_check(&later);
        for (int i = 0; i < now.n; i++)
            assert_true(same_logs(&now.log[i], &later.log[i]));
        rig_free(&now);
        rig_free(&later);
        synth_free(&mv);
    }
}

/* Without flushes the commands still reach the sinks as batches pile up
 * (memory stays bounded), and a flush then hands on the rest. */
static void test_pipeline_bounded(void **state)
{
    (void)state;
    for (unsigned threads = 0; threads < 2; threads++) {
        struct rig r;
        rig_init(&r, threads, 4);
        rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
        double p0[AXIS_COUNT], p1[AXIS_COUNT], t = 0.01;
        at(p0, 0, 0, 0, 0);
        for (int k = 0; k < 200; k++) {
            at(p1, k % 2 ? 0 : 3, 0, 0, 0);
            struct move m = synth_move(t, p0, p1, 0, 50, 0, 2000);
            rig_move(&r, &m);
            t += move_duration(&m);
            memcpy(p0, p1, sizeof(p0));
        }
        /* 200 moves in batches of 4: all but the last few batches are out */
        char err[256];
        struct exec_steps ex = {0};
        assert_int_equal(fw_expand(r.log[0].v, r.log[0].n, FW_EXACT, &ex, err, sizeof(err)), 0);
        assert_true(ex.n > 240 * 150);
        assert_true(ex.n < r.rs[0].n);
        exec_free(&ex);
        rig_flush(&r, INFINITY);
        rig_check(&r);
        rig_free(&r);
    }
}

/* A reset while batches are still in the pipeline: that stepper's
 * commands not handed on yet are dropped and it restarts with a clock;
 * the other stepper loses nothing; threads change nothing. */
static void test_reset_in_pipeline(void **state)
{
    (void)state;
    struct cmd_log logs[2][2];
    size_t at_reset[2];
    for (unsigned threads = 0; threads < 2; threads++) {
        struct rig r;
        rig_init(&r, threads, 2);
        rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
        rig_stepper(&r, STEPKIN_CARTESIAN_Y, 0.0125, false, 0);
        double p0[AXIS_COUNT], p1[AXIS_COUNT], t = 0.01;
        at(p0, 0, 0, 0, 0);
        for (int k = 0; k < 40; k++) {
            at(p1, k % 2 ? 0 : 2, k % 2 ? 0 : 1, 0, 0);
            struct move m = synth_move(t, p0, p1, 0, 40, 0, 2000);
            rig_move(&r, &m);
            t += move_duration(&m);
            memcpy(p0, p1, sizeof(p0));
        }
        char err[256];
        at_reset[threads] = r.log[0].n;
        assert_int_equal(stepgen_reset_stepper(r.sg, 0, 0, err, sizeof(err)), 0);
        assert_int_equal(r.log[0].n, at_reset[threads]);
        /* some of X's moves never reached its sink */
        struct exec_steps ex = {0};
        assert_int_equal(fw_expand(r.log[0].v, r.log[0].n, FW_EXACT, &ex, err, sizeof(err)), 0);
        assert_true(ex.n < r.rs[0].n);
        exec_free(&ex);
        at(p1, 1, 0, 0, 0);
        struct move m = synth_move(t + 0.1, p0, p1, 0, 40, 0, 2000);
        rig_move(&r, &m);
        rig_flush(&r, INFINITY);
        /* X starts again with a direction and a clock */
        assert_true(r.log[0].n > at_reset[threads] + 2);
        assert_int_equal(r.log[0].v[at_reset[threads]].kind, STEP_CMD_SET_NEXT_STEP_DIR);
        assert_int_equal(r.log[0].v[at_reset[threads] + 1].kind, STEP_CMD_RESET_STEP_CLOCK);
        /* Y lost nothing */
        ex = (struct exec_steps){0};
        assert_int_equal(fw_expand(r.log[1].v, r.log[1].n, FW_EXACT, &ex, err, sizeof(err)), 0);
        assert_int_equal(
            check_steps(&ex, &r.rs[1], 0, rig_max_error_ticks(&r, 1), err, sizeof(err)), 0);
        exec_free(&ex);
        for (int i = 0; i < 2; i++) {
            logs[threads][i] = r.log[i];
            r.log[i] = (struct cmd_log){0};
        }
        rig_free(&r);
    }
    assert_int_equal(at_reset[0], at_reset[1]);
    for (int i = 0; i < 2; i++) {
        assert_true(same_logs(&logs[0][i], &logs[1][i]));
        cmd_log_free(&logs[0][i]);
        cmd_log_free(&logs[1][i]);
    }
}

struct order_log {
    uint64_t seen[4][64];
    /* read while later units may run */
    _Atomic unsigned n[4];
    volatile double work[4];
};

static void order_unit(void *ctx, uint64_t batch, unsigned lane)
{
    struct order_log *o = ctx;
    /* uneven work, so that lanes overtake each other */
    double x = 0;
    for (unsigned i = 0; i < 2000u * ((batch * 7 + lane * 3) % 5); i++)
        x += i * 1e-9;
    o->work[lane] = x;
    o->seen[lane][atomic_load(&o->n[lane])] = batch;
    atomic_fetch_add(&o->n[lane], 1);
}

/* The pipeline runs every unit once, each lane's in batch order, and a
 * wait returns only when all lanes have run the batch waited for. */
static void test_pipeline_order(void **state)
{
    (void)state;
    for (unsigned threads = 0; threads < 4; threads++) {
        static struct order_log o;
        memset(o.seen, 0, sizeof(o.seen));
        for (int l = 0; l < 4; l++)
            atomic_init(&o.n[l], 0);
        struct pipeline *p = pipeline_create(threads, order_unit, &o);
        assert_non_null(p);
        assert_int_equal(pipeline_set_lanes(p, 3), 0);
        for (uint64_t b = 0; b < 40; b++) {
            pipeline_submit(p);
            if (b % 5 == 4) {
                pipeline_wait(p, b - 2);
                for (int l = 0; l < 3; l++)
                    assert_true(atomic_load(&o.n[l]) >= b - 1);
            }
        }
        pipeline_wait(p, 39);
        /* a lane added with nothing pending starts with the next batch */
        assert_int_equal(pipeline_set_lanes(p, 4), 0);
        for (int b = 0; b < 3; b++)
            pipeline_submit(p);
        pipeline_wait(p, 42);
        for (int l = 0; l < 4; l++) {
            unsigned want = l < 3 ? 43 : 3;
            assert_int_equal(atomic_load(&o.n[l]), want);
            for (unsigned i = 0; i < want; i++)
                assert_int_equal(o.seen[l][i], (l < 3 ? 0 : 40) + i);
        }
        pipeline_destroy(p);
    }
}

/* The checks must be able to fail: a wrong expansion, a step moved past
 * its window, a missing command. */
static void test_checker_catches_errors(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 0, 0);
    run_synth(&r, 0, 9, 300, 0);
    rig_check(&r);
    char err[256];
    double E = rig_max_error_ticks(&r, 0);
    struct cmd_log *l = &r.log[0];
    struct exec_steps ex = {0};
    assert_int_equal(fw_expand(l->v, l->n, FW_WRONG_ADD, &ex, err, sizeof(err)), 0);
    assert_int_equal(check_steps(&ex, &r.rs[0], 0, E, err, sizeof(err)), -1);
    exec_free(&ex);

    /* the last queue_step started 2E+2 ticks late */
    size_t k = l->n - 1;
    while (l->v[k].kind != STEP_CMD_QUEUE_STEP)
        k--;
    uint32_t late = 2 * (uint32_t)E + 2;
    l->v[k].interval += late;
    assert_int_equal(fw_expand(l->v, l->n, FW_EXACT, &ex, err, sizeof(err)), -1); /* req_clock */
    l->v[k].req_clock += late;
    exec_free(&ex);
    assert_int_equal(fw_expand(l->v, l->n, FW_EXACT, &ex, err, sizeof(err)), 0);
    assert_int_equal(check_steps(&ex, &r.rs[0], 0, E, err, sizeof(err)), -1);
    print_message("caught: %s\n", err);
    exec_free(&ex);
    l->v[k].interval -= late;
    l->v[k].req_clock -= late;

    /* one tick too far is caught as well */
    assert_int_equal(fw_expand(l->v, l->n, FW_EXACT, &ex, err, sizeof(err)), 0);
    assert_int_equal(check_steps(&ex, &r.rs[0], 0, E, err, sizeof(err)), 0);
    size_t worst = 0;
    long double wd = -1;
    for (size_t i = 0; i < ex.n; i++) {
        long double d = fabsl((long double)ex.v[i].clock - r.rs[0].v[i].t);
        if (d > wd) {
            wd = d;
            worst = i;
        }
    }
    int64_t shift = (long double)ex.v[worst].clock > r.rs[0].v[worst].t ? 1 : -1;
    ex.v[worst].clock += shift * (int64_t)(E - wd + 1.5);
    assert_int_equal(check_steps(&ex, &r.rs[0], 0, E, err, sizeof(err)), -1);
    exec_free(&ex);

    l->n--;
    assert_int_equal(fw_expand(l->v, l->n, FW_EXACT, &ex, err, sizeof(err)), 0);
    assert_int_equal(check_steps(&ex, &r.rs[0], 0, E, err, sizeof(err)), -1);
    exec_free(&ex);
    rig_free(&r);
}

static void expect_refused(struct stepgen *sg, const struct move *m, const char *word)
{
    char err[256] = "";
    assert_int_equal(stepgen_add_move(sg, m, err, sizeof(err)), -1);
    print_message("refused: %s\n", err);
    assert_non_null(strstr(err, word));
}

/* Bad moves are refused with a reason, and change nothing. */
static void test_bad_input(void **state)
{
    (void)state;
    struct rig good, r;
    rig_init(&good, 0, 0);
    rig_init(&r, 0, 0);
    rig_stepper(&good, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    rig_stepper(&r, STEPKIN_CARTESIAN_X, 0.0125, false, 0);
    double p0[AXIS_COUNT], p1[AXIS_COUNT];
    at(p0, 0, 0, 0, 0);
    at(p1, 10, 0, 0, 0);
    struct move m = synth_move(0.01, p0, p1, 0, 100, 0, 2000);
    rig_move(&good, &m);
    rig_move(&r, &m);

    struct move bad = synth_move(0.01 + move_duration(&m), p1, p0, 0, 100, 0, 2000);
    struct move b = bad;
    b.accel_t = NAN;
    expect_refused(r.sg, &b, "accel_t");
    b = bad;
    b.cruise_t = -1;
    expect_refused(r.sg, &b, "cruise_t");
    b = bad;
    b.move_d = 0;
    expect_refused(r.sg, &b, "move_d");
    b = bad;
    b.cruise_v *= 1.5;
    expect_refused(r.sg, &b, "speeds");
    b = bad;
    b.cruise_t += 0.1;
    expect_refused(r.sg, &b, "phases");
    b = bad;
    b.print_time = 0.02;
    expect_refused(r.sg, &b, "before the previous move");
    b = bad;
    b.start_pos[0] = 9;
    expect_refused(r.sg, &b, "s0");
    b = bad;
    b.axes_r[1] = INFINITY;
    expect_refused(r.sg, &b, "axes_r");
    char err[256];
    assert_int_equal(stepgen_set_position(r.sg, 3, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no stepper 3"));
    assert_int_equal(stepgen_set_position(r.sg, 0, NAN, err, sizeof(err)), -1);

    struct stepgen_stepper_config c = good.cfg[0];
    c.step_distance = 0;
    assert_int_equal(stepgen_add_stepper(r.sg, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "step_distance"));
    c = good.cfg[0];
    c.max_error = 1e-9;
    assert_int_equal(stepgen_add_stepper(r.sg, &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "max_error"));
    c = good.cfg[0];
    memset(c.coef, 0, sizeof(c.coef));
    assert_int_equal(stepgen_add_stepper(r.sg, &c, err, sizeof(err)), -1);
    assert_int_equal(stepgen_stepper_count(r.sg), 1);

    rig_move(&good, &bad);
    rig_move(&r, &bad);
    rig_flush(&good, INFINITY);
    rig_flush(&r, INFINITY);
    rig_check(&r);
    assert_true(same_logs(&good.log[0], &r.log[0]));
    rig_free(&good);
    rig_free(&r);
}

/* xorshift64, for the fit tests below */
static uint64_t fit_rnd_state;

static double fit_rnd(void)
{
    fit_rnd_state ^= fit_rnd_state << 13;
    fit_rnd_state ^= fit_rnd_state >> 7;
    fit_rnd_state ^= fit_rnd_state << 17;
    return (double)(fit_rnd_state >> 11) * (1.0 / 9007199254740992.0);
}

/* stepfit_add_reach against its derivation: two commands from one
 * start, (I1, A1) and (I2, A2), both within E of the step times halfway
 * between them for as many steps n as they stay within 2E of each other,
 * never have adds further apart than the reach for n. The pairs are
 * drawn near the worst case, so a bound even 5% tighter fails. */
static void test_add_reach_bound(void **state)
{
    (void)state;
    fit_rnd_state = 88172645463325252ull;
    double worst = 0;
    assert_int_equal(stepfit_add_reach(100, 1), -1);
    for (int t = 0; t < 100000; t++) {
        double E = 1 + 999 * fit_rnd();
        uint32_t n0 = 2 + (uint32_t)(fit_rnd() * 300);
        double h = n0 / 2, R = 6 * E / (h * h);
        double dA = R * (0.8 + 0.4 * fit_rnd());
        double dI = -dA * (n0 + 1) * (0.3 + 0.4 * fit_rnd()) / 2;
        uint32_t n = 0;
        for (uint32_t y = 1; y <= 65535; y++) {
            if (fabs(dI * y + dA * y * (y - 1) / 2.0) > 2 * E)
                break;
            n = y;
        }
        if (n < 2)
            continue;
        double hn = n / 2;
        double exact = 6 * E / (hn * hn);
        int reach = stepfit_add_reach(E, n);
        assert_true(reach >= 0 && reach >= (int)floor(exact) && reach <= (int)exact + 1);
        /* adds are real here; the reach is the whole adds within the bound */
        if (dA > exact * (1 + 1e-9))
            fail_msg("E %g: adds %g apart both fit %u steps, bound %g", E, dA, n, exact);
        worst = fmax(worst, dA / exact);
    }
    print_message("closest approach to the reach: %.3f\n", worst);
    assert_true(worst > 0.95);
}

/* A stretch of up to three pieces (accelerate, cruise, decelerate) in the
 * command's indices, times relative to L = 0, as stepcompress builds
 * them. Speeds 1000-50000 steps/s and accelerations up to 1e7 steps/s^2
 * at 16 MHz; windows from a few ticks to 25 us. */
static int random_stretch(struct fit_piece *p, struct fit_input *in)
{
    memset(p, 0, 3 * sizeof(*p));
    double v = (1000 + 49000 * fit_rnd()) / 16e6;
    double acc = (1e5 + 1e7 * fit_rnd()) / (16e6 * 16e6);
    double off = 0;
    uint32_t ka = 0;
    int np = 0;
    for (int i = 0; i < 3; i++) {
        if (fit_rnd() < 0.3)
            continue;
        uint32_t n = 5 + (uint32_t)(fit_rnd() * 80);
        struct fit_piece *q = &p[np++];
        q->ka = ka;
        q->n = n;
        if (i == 1) {
            q->kind = SEG_CRUISE;
            q->g = 1 / v;
            q->off = off - q->g * ka;
            off += q->g * n;
        } else {
            double a = i == 0 ? acc : -acc;
            /* decelerating: not past a stop */
            if (a < 0 && v * v + 2 * a * (n + 1) <= 0)
                a = -v * v / (4.0 * (n + 1));
            q->kind = SEG_ACCEL;
            q->u0 = 1 - (double)ka;
            q->v = v;
            q->a = a;
            q->ia = 1 / a;
            /* the piece's first step comes one step after its start */
            double r0 = sqrt(v * v + 2 * a);
            q->off = off - (r0 - v) / a;
            double r1 = sqrt(v * v + 2 * a * (n + 1));
            off = q->off + (r1 - v) / a;
            v = sqrt(v * v + 2 * a * n);
        }
        ka += n;
    }
    if (!np)
        return 0;
    static const double errors[] = {2, 40, 400};
    memset(in, 0, sizeof(*in));
    in->p = p;
    in->np = np;
    in->total = ka;
    in->E = errors[(int)(fit_rnd() * 3)];
    in->t_prev = (fit_rnd() - 0.5) * in->E;
    return 1;
}

/* The fast loop of fit_direct_try against the one spelling out every
 * rule: the same result to the last bit for every add, on stretches
 * where the spacing rule binds (windows wider than a quarter gap) and
 * where it does not, adds of both signs. */
static void test_direct_paths_agree(void **state)
{
    (void)state;
    fit_rnd_state = 0x9E3779B97F4A7C15ull;
    int fails = 0;
    for (int t = 0; t < 300; t++) {
        struct fit_piece p[3];
        struct fit_input in;
        if (!random_stretch(p, &in))
            continue;
        struct fit_direct d1, d2;
        fit_direct_init(&in, &d1);
        fit_direct_init(&in, &d2);
        for (int A = -400; A <= 400; A += 1 + (A > -40 && A < 40 ? 0 : 7)) {
            struct fit_try a, b;
            fit_direct_try(&d1, A, &a);
            fit_direct_try_general(&d2, A, &b);
            assert_int_equal(a.n, b.n);
            fails += !a.open;
            if (!a.n)
                continue;
            assert_int_equal(a.I, b.I);
            assert_int_equal(a.fail, b.fail);
            assert_int_equal(a.open, b.open);
            assert_int_equal(a.stuck, b.stuck);
            assert_true(a.jump == b.jump || (isnan(a.jump) && isnan(b.jump)));
        }
    }
    assert_true(fails > 1000);
}

/* A random stretch that stepfit_best() fits with a command it finds
 * from the direct look alone (res), and that look, ready for tries of
 * other adds; 0 if this stretch is not one. */
static int short_stretch(struct fit_piece p[3], struct fit_input *in, struct fit_result *res,
                         struct fit_direct *d)
{
    if (!random_stretch(p, in))
        return 0;
    struct fit_input in2 = *in;
    stepfit_best(&in2, res);
    if (res->want_more || !res->count)
        return 0;
    fit_direct_init(in, d);
    return 1;
}

/* The reach on real fits: of all adds tried on a stretch, any two that
 * fit n and at least n steps are within stepfit_add_reach(E, n), so
 * the search loses nothing by looking only there; and the search finds
 * as many steps as the best add near its answer. */
static void test_adds_within_reach(void **state)
{
    (void)state;
    fit_rnd_state = 0xD1B54A32D192ED03ull;
    enum { W = 300 };
    static uint32_t n[2 * W + 1];
    int tested = 0;
    for (int t = 0; t < 120; t++) {
        struct fit_piece p[3];
        struct fit_input in;
        struct fit_result res;
        struct fit_direct d;
        if (!short_stretch(p, &in, &res, &d))
            continue;
        int A0 = res.add;
        uint32_t most = 0;
        for (int i = 0; i <= 2 * W; i++) {
            struct fit_try r;
            fit_direct_try(&d, A0 - W + i, &r);
            n[i] = r.n;
            if (r.n > most)
                most = r.n;
        }
        for (int i = 0; i <= 2 * W; i++) {
            int reach = stepfit_add_reach(in.E, n[i]);
            if (reach < 0)
                continue;
            for (int j = 0; j <= 2 * W; j++)
                if (n[j] >= n[i] && abs(i - j) > reach)
                    fail_msg("adds %d and %d fit %u and %u steps, reach %d", A0 - W + i, A0 - W + j,
                             n[i], n[j], reach);
            tested++;
        }
        if ((uint32_t)d.K < in.total || most < (uint32_t)d.K)
            assert_int_equal(res.count, most);
    }
    assert_true(tested > 10000);
}

/* What a failing step asks of the add is a hard limit: no add outside a
 * try's [need_lo, need_hi] fits more steps than that try, so the search
 * may skip them all. Checked against every add near the answer, on
 * stretches with and without the spacing rule, adds of both signs. */
static void test_need_bounds(void **state)
{
    (void)state;
    fit_rnd_state = 0x2545F4914F6CDD1Dull;
    enum { W = 400 };
    static uint32_t n[2 * W + 1];
    static double need_lo[2 * W + 1], need_hi[2 * W + 1];
    int bounded = 0, skipped = 0;
    for (int t = 0; t < 150; t++) {
        struct fit_piece p[3];
        struct fit_input in;
        struct fit_result res;
        struct fit_direct d;
        if (!short_stretch(p, &in, &res, &d))
            continue;
        int A0 = res.add;
        for (int i = 0; i <= 2 * W; i++) {
            struct fit_try r;
            fit_direct_try(&d, A0 - W + i, &r);
            n[i] = r.n;
            need_lo[i] = r.need_lo;
            need_hi[i] = r.need_hi;
        }
        for (int i = 0; i <= 2 * W; i++) {
            if (need_lo[i] == -INFINITY && need_hi[i] == INFINITY)
                continue;
            bounded++;
            for (int j = 0; j <= 2 * W; j++) {
                int A = A0 - W + j;
                if (A >= need_lo[i] && A <= need_hi[i])
                    continue;
                skipped++;
                if (n[j] > n[i])
                    fail_msg("add %d fits %u steps, more than add %d (%u) allows outside "
                             "[%.3f, %.3f]",
                             A, n[j], A0 - W + i, n[i], need_lo[i], need_hi[i]);
            }
        }
    }
    assert_true(bounded > 10000);
    assert_true(skipped > 1000000);
}

/* The bounds the first steps' windows put on the add hold for every add
 * near the answer: none fits more than b.n steps, and those fitting b.n
 * or b.n - 1 steps lie in their ranges. They are also tight where it
 * counts: on most stretches some add does fit b.n steps, which is what
 * lets the search stop at its first try. */
static void test_window_bounds(void **state)
{
    (void)state;
    fit_rnd_state = 0x9E3779B97F4A7C15ull;
    enum { W = 400 };
    int bounded = 0, tight = 0, checked = 0;
    for (int t = 0; t < 150; t++) {
        struct fit_piece p[3];
        struct fit_input in;
        struct fit_result res;
        struct fit_direct d;
        if (!short_stretch(p, &in, &res, &d))
            continue;
        struct add_bounds b;
        fit_direct_bounds(&d, &b);
        assert_true(b.lo <= b.hi + 1e-6 && b.lo1 <= b.lo && b.hi <= b.hi1);
        int limited = b.n < BOUND_STEPS && b.n < d.K;
        bounded += limited;
        uint32_t most = 0;
        for (int A = res.add - W; A <= res.add + W; A++) {
            struct fit_try r;
            fit_direct_try(&d, A, &r);
            if (r.n > most)
                most = r.n;
            checked++;
            if (limited && r.n > (uint32_t)b.n)
                fail_msg("add %d fits %u steps, the windows allow %d", A, r.n, b.n);
            if (r.n >= (uint32_t)b.n && (A < b.lo - 1e-6 || A > b.hi + 1e-6))
                fail_msg("add %d fits %u steps, outside [%.4f, %.4f]", A, r.n, b.lo, b.hi);
            if (r.n + 1 >= (uint32_t)b.n && (A < b.lo1 - 1e-6 || A > b.hi1 + 1e-6))
                fail_msg("add %d fits %u steps, outside [%.4f, %.4f]", A, r.n, b.lo1, b.hi1);
        }
        tight += limited && most == (uint32_t)b.n;
    }
    assert_true(checked > 50000);
    assert_true(bounded > 40);
    assert_true(tight * 10 > bounded * 8);
}

int main(int argc, char **argv)
{
    /* One ctest entry per test: the name is the filter. */
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_velocity),   cmocka_unit_test(test_accel_from_zero),
        cmocka_unit_test(test_decel_to_zero),       cmocka_unit_test(test_reversals),
        cmocka_unit_test(test_corexy_diagonal),     cmocka_unit_test(test_tiny_moves),
        cmocka_unit_test(test_very_slow),           cmocka_unit_test(test_extrusion_retractions),
        cmocka_unit_test(test_set_position),        cmocka_unit_test(test_flush_until),
        cmocka_unit_test(test_clock_mapping),       cmocka_unit_test(test_reset_stepper),
        cmocka_unit_test(test_reset_drops_pending), cmocka_unit_test(test_random_stress),
        cmocka_unit_test(test_synthetic_vs_oracle), cmocka_unit_test(test_threads_deterministic),
        cmocka_unit_test(test_pipeline_bounded),    cmocka_unit_test(test_reset_in_pipeline),
        cmocka_unit_test(test_pipeline_order),      cmocka_unit_test(test_checker_catches_errors),
        cmocka_unit_test(test_bad_input),           cmocka_unit_test(test_add_reach_bound),
        cmocka_unit_test(test_direct_paths_agree),  cmocka_unit_test(test_adds_within_reach),
        cmocka_unit_test(test_flush_later),         cmocka_unit_test(test_need_bounds),
        cmocka_unit_test(test_window_bounds),       cmocka_unit_test(test_search_first_try),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
