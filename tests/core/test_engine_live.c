/* The engine in live mode on a simulated MCU (native and avr backends):
 * connect, configure, run moves, and check at the MCU's pins that every
 * step the engine planned was taken, in the right direction. */
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

#include "engine.h"
#include "sim_mcu.h"
#include "transport_sim.h"

/* RAMPS pins of examples/printer-ramps.cfg, numbered (port - 'A') * 8 + bit. */
#define PIN(port, bit) (((port) - 'A') * 8 + (bit))

struct axis_pins {
    unsigned step, dir;
    int dir_invert; /* the cfg's '!' on dir_pin */
};

static const struct axis_pins ramps[4] = {
    {PIN('F', 0), PIN('F', 1), 0}, /* x */
    {PIN('F', 6), PIN('F', 7), 1}, /* y */
    {PIN('L', 3), PIN('L', 1), 0}, /* z */
    {PIN('A', 4), PIN('A', 6), 0}, /* extruder */
};

static const unsigned endstop_pins[3] = {PIN('E', 5), PIN('J', 1), PIN('D', 3)};

struct pins_seen {
    struct sim_mcu *mcu;
    /* Switches: the carriage (in steps from the switch) trips the
     * endstop pin high (a normally closed switch opening) at or below 0. */
    int64_t carriage[3];
    int endstop_on[3];
    int stuck_closed[3]; /* a switch that reads triggered wherever the carriage is */
    int level[128];
    uint64_t rises[128];
    int64_t pos[4]; /* net steps, + when the dir pin says positive */
    uint64_t edges[4];
    uint64_t last_cycle;
};

static void on_pin(void *ctx, uint64_t cycle, unsigned pin, int level)
{
    struct pins_seen *ps = ctx;
    if (pin >= 128)
        return;
    int rose = level && !ps->level[pin];
    if (rose)
        ps->rises[pin]++;
    ps->level[pin] = level;
    ps->last_cycle = cycle;
    for (int i = 0; i < 4; i++) {
        if (pin != ramps[i].step || !rose)
            continue;
        int dir = ps->level[ramps[i].dir] != ramps[i].dir_invert;
        ps->pos[i] += dir ? 1 : -1;
        ps->edges[i]++;
        if (i < 3) {
            ps->carriage[i] += dir ? 1 : -1;
            int on = ps->carriage[i] <= 0 || ps->stuck_closed[i];
            if (on != ps->endstop_on[i]) {
                ps->endstop_on[i] = on;
                sim_mcu_set_input(ps->mcu, endstop_pins[i], on);
            }
        }
    }
}

struct answers {
    char text[16384];
    size_t len;
};

static void collect(void *ctx, const char *line)
{
    struct answers *a = ctx;
    size_t n = strlen(line);
    if (a->len + n + 2 < sizeof(a->text)) {
        memcpy(a->text + a->len, line, n);
        a->len += n;
        a->text[a->len++] = '\n';
        a->text[a->len] = 0;
    }
}

struct live {
    struct sim_mcu *mcu;
    struct pins_seen pins;
    struct answers ans;
    struct engine *e;
};

static void live_open_cfg(struct live *l, const char *backend, const char *cfg)
{
    memset(l, 0, sizeof(*l));
    char err[256];
    l->mcu = sim_mcu_create(backend, err, sizeof(err));
    if (!l->mcu)
        fail_msg("%s", err);
    sim_mcu_set_pin_watch(l->mcu, on_pin, &l->pins);
    l->pins.mcu = l->mcu;
    /* Somewhere on the bed, switches open. */
    l->pins.carriage[0] = 3731;
    l->pins.carriage[1] = 9000;
    l->pins.carriage[2] = 4000;
    for (int i = 0; i < 3; i++)
        sim_mcu_set_input(l->mcu, endstop_pins[i], 0);
    /* Both thermistors at room temperature: 100 kOhm under 4.7 kOhm. */
    sim_mcu_set_analog_mv(l->mcu, PIN('K', 5), 4776);
    sim_mcu_set_analog_mv(l->mcu, PIN('K', 6), 4776);
    struct engine_live_opts o = {
        .config_path = cfg,
        .transport = link_sim_wrap(l->mcu, 1),
        .respond = collect,
        .respond_ctx = &l->ans,
    };
    l->e = engine_open_live(&o, err, sizeof(err));
    if (!l->e)
        fail_msg("%s", err);
}

static void live_open(struct live *l, const char *backend)
{
    live_open_cfg(l, backend, PRINTER_CFG);
}

static void run(struct live *l, const char *line)
{
    char err[256];
    int rc = engine_run_line(l->e, line, strlen(line), err, sizeof(err));
    if (rc < 0)
        fail_msg("%s: %s", line, err);
    if (rc > 0)
        fail_msg("%s refused:\n%s", line, l->ans.text);
}

/* Steps of one stepper from its config: 16 microsteps x 200 per
 * rotation_distance. */
static const double steps_per_mm[4] = {80.0, 80.0, 400.0, 16.0 * 200 * 50.0 / 17.0 / 33.5};

/* The default printer, with a cold extruder allowed to extrude. */
static const char *cold_extrude_cfg(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/lockstep-live-%d.cfg", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[include %s]\n\n[extruder]\nmin_extrude_temp: 0\n", PRINTER_CFG);
    fclose(f);
    return path;
}

static void check_moves(const char *backend)
{
    struct live l;
    live_open_cfg(&l, backend, cold_extrude_cfg());
    run(&l, "SET_KINEMATIC_POSITION X=100 Y=100 Z=10");
    run(&l, "G1 X150 Y120 F6000");
    run(&l, "G1 X50 Y60 Z12 F3000");
    run(&l, "G1 X101.0125 Y99.5 Z10.25 F9000");
    run(&l, "M83");
    run(&l, "G1 E5 F1200");
    run(&l, "G1 X120 E2 F3000");
    run(&l, "M400");
    static const double end[4] = {120, 99.5, 10.25, 7.0};
    static const double start[4] = {100, 100, 10, 0};
    for (int i = 0; i < 4; i++) {
        long long want =
            (long long)((end[i] - start[i]) * steps_per_mm[i] + (end[i] >= start[i] ? 0.5 : -0.5));
        if (l.pins.pos[i] != want)
            fail_msg("%s: stepper %d at %lld steps, want %lld (answers:\n%s)", backend, i,
                     (long long)l.pins.pos[i], want, l.ans.text);
    }
    assert_null(engine_shutdown_reason(l.e));
    /* The MCU ran the moves at their times: M400 returned after them. */
    assert_true(engine_est_print_time(l.e) > 1.0);
    struct engine_stats st;
    char err[256];
    assert_int_equal(engine_close(l.e, &st, err, sizeof(err)), 0);
    uint64_t edges = 0;
    for (int i = 0; i < 4; i++)
        edges += l.pins.edges[i];
    assert_int_equal(edges, st.steps);
}

static void test_moves_native(void **state)
{
    (void)state;
    check_moves("native");
}

static void test_moves_avr(void **state)
{
    (void)state;
    check_moves("avr");
}

/* The toolhead position M114 reports. */
static void m114(struct live *l, double pos[4])
{
    l->ans.len = 0;
    l->ans.text[0] = 0;
    run(l, "M114");
    const char *p = strstr(l->ans.text, "X:");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "X:%lf Y:%lf Z:%lf E:%lf", &pos[0], &pos[1], &pos[2], &pos[3]), 4);
}

static void check_homing(const char *backend)
{
    struct live l;
    live_open(&l, backend);
    run(&l, "G28 X Y");
    double pos[4];
    m114(&l, pos);
    /* position_endstop is 0 and the switch trips at carriage 0: the
     * engine's idea of X and Y must be the carriage's, within a step. */
    for (int i = 0; i < 2; i++) {
        double truth = l.pins.carriage[i] / steps_per_mm[i];
        if (fabs(pos[i] - truth) > 1.01 / steps_per_mm[i])
            fail_msg("%s: axis %d at %.4f after homing, carriage at %.4f", backend, i, pos[i],
                     truth);
    }
    /* And a move lands where it says. */
    run(&l, "G1 X20 Y30 F6000");
    run(&l, "M400");
    assert_int_equal(l.pins.carriage[0], 1600);
    assert_int_equal(l.pins.carriage[1], 2400);
    assert_null(engine_shutdown_reason(l.e));
    char err[256];
    assert_int_equal(engine_close(l.e, NULL, err, sizeof(err)), 0);
}

static void test_homing_native(void **state)
{
    (void)state;
    check_homing("native");
}

static void test_homing_avr(void **state)
{
    (void)state;
    check_homing("avr");
}

/* A switch that never opens, or never closes: Klipper's homing errors. */
static void check_endstop_fault(const char *backend, int64_t carriage, int stuck, const char *want)
{
    struct live l;
    live_open(&l, backend);
    l.pins.carriage[0] = carriage;
    l.pins.stuck_closed[0] = stuck;
    sim_mcu_set_input(l.mcu, endstop_pins[0], stuck);
    l.pins.endstop_on[0] = stuck;
    char err[256];
    const char *line = "G28 X";
    int rc = engine_run_line(l.e, line, strlen(line), err, sizeof(err));
    if (rc != 1)
        fail_msg("%s: G28 X gave %d (%s), carriage %lld:\n%s", backend, rc, rc < 0 ? err : "",
                 (long long)l.pins.carriage[0], l.ans.text);
    if (!strstr(l.ans.text, want))
        fail_msg("%s: want '%s', got:\n%s", backend, want, l.ans.text);
    /* A refused homing leaves the axis unhomed. */
    line = "G1 X10";
    assert_int_equal(engine_run_line(l.e, line, strlen(line), err, sizeof(err)), 1);
    assert_non_null(strstr(l.ans.text, "!! Must home axis first"));
    assert_int_equal(engine_close(l.e, NULL, err, sizeof(err)), 0);
}

static void test_endstop_faults(void **state)
{
    (void)state;
    /* 400 mm away: 1.5 x the 200 mm rail does not reach the switch. */
    check_endstop_fault("native", 400 * 80, 0, "!! No trigger on x after full movement");
    check_endstop_fault("avr", 3000, 1, "!! Endstop x still triggered after retract");
}

/* Heaters on the MCU: the control switches the hotend on for a target,
 * M105 reads the thermistor, and an open thermistor trips the MCU's own
 * range check, which turns every heater off. */
static void check_heater(const char *backend)
{
    struct live l;
    live_open(&l, backend);
    const unsigned heater = PIN('B', 4);
    run(&l, "M104 S200");
    run(&l, "G4 P4000");
    run(&l, "M400");
    if (l.pins.rises[heater] == 0)
        fail_msg("%s: heater never on:\n%s", backend, l.ans.text);
    double t, target;
    l.ans.len = 0;
    run(&l, "M105");
    const char *p = strstr(l.ans.text, "T0:");
    if (!p || sscanf(p, "T0:%lf /%lf", &t, &target) != 2)
        fail_msg("%s: M105 answered:\n%s", backend, l.ans.text);
    assert_true(fabs(t - 25.0) < 2.0);
    assert_true(target == 200.0);
    assert_non_null(strstr(l.ans.text, "ok B:"));
    /* The hotend's thermistor wire breaks: the pin reads the pull-up. */
    sim_mcu_set_analog_mv(l.mcu, PIN('K', 5), 5000);
    char err[256];
    const char *line = "G4 P3000";
    engine_run_line(l.e, line, strlen(line), err, sizeof(err));
    line = "M400";
    engine_run_line(l.e, line, strlen(line), err, sizeof(err));
    if (!strstr(l.ans.text, "!! MCU 'mcu' shutdown: ADC out of range"))
        fail_msg("%s: no ADC shutdown:\n%s", backend, l.ans.text);
    assert_int_equal(l.pins.level[heater], 0);
    assert_non_null(engine_shutdown_reason(l.e));
    engine_close(l.e, NULL, err, sizeof(err));
}

static void test_heater_native(void **state)
{
    (void)state;
    check_heater("native");
}

static void test_heater_avr(void **state)
{
    (void)state;
    check_heater("avr");
}

/* M112 stops everything at once; FIRMWARE_RESTART resets the MCU and
 * builds the printer again, which then homes and moves as before. */
static void check_restart(const char *backend)
{
    struct live l;
    live_open(&l, backend);
    run(&l, "G28 X Y");
    run(&l, "G1 X50 Y50 F6000");
    run(&l, "M400");
    run(&l, "M112");
    assert_non_null(strstr(l.ans.text, "Shutdown due to M112 command"));
    char err[256];
    const char *line = "G1 X60";
    assert_int_equal(engine_run_line(l.e, line, strlen(line), err, sizeof(err)), 1);
    assert_non_null(engine_shutdown_reason(l.e));
    run(&l, "FIRMWARE_RESTART");
    assert_null(engine_shutdown_reason(l.e));
    /* A fresh start: nothing is homed. */
    line = "G1 X60";
    assert_int_equal(engine_run_line(l.e, line, strlen(line), err, sizeof(err)), 1);
    run(&l, "G28 X Y");
    run(&l, "G1 X30 Y40 F6000");
    run(&l, "M400");
    assert_int_equal(l.pins.carriage[0], 30 * 80);
    assert_int_equal(l.pins.carriage[1], 40 * 80);
    assert_null(engine_shutdown_reason(l.e));
    assert_int_equal(engine_close(l.e, NULL, err, sizeof(err)), 0);
}

static void test_restart(void **state)
{
    (void)state;
    check_restart("native");
    check_restart("avr");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves_native),   cmocka_unit_test(test_moves_avr),
        cmocka_unit_test(test_homing_native),  cmocka_unit_test(test_homing_avr),
        cmocka_unit_test(test_endstop_faults), cmocka_unit_test(test_heater_native),
        cmocka_unit_test(test_heater_avr),     cmocka_unit_test(test_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
