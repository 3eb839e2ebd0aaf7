/* The lumped heater model: presets, exactness, time slicing, faults. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "heater_model.h"
#include "run_filtered.h"

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, expected %.12g +- %g", got, want, tol);
}

static struct heater_model make(const struct heater_model_params *p)
{
    struct heater_model h;
    char err[200] = "";
    if (heater_model_init(&h, p, err, sizeof(err)))
        fail_msg("init: %s", err);
    return h;
}

/* A linear block: no radiation term, so the exact solution is known. */
static struct heater_model_params linear_params(void)
{
    struct heater_model_params p = heater_model_preset_hotend();
    p.emissivity_area = 0;
    p.conductance = 0.1;
    p.fan_conductance = 0.04;
    return p;
}

/* Full power from t = 0; the first time the thermistor reads target, in
 * steps of 10 ms (-1 if not within limit seconds). */
static double time_to_reach(const struct heater_model_params *p, double target, double limit)
{
    struct heater_model h = make(p);
    assert_int_equal(heater_model_set_duty(&h, 0, 1), 0);
    for (int i = 1; i <= (int)(limit * 100); i++) {
        assert_int_equal(heater_model_advance(&h, i / 100.0), 0);
        if (heater_model_sensor_temp(&h) >= target)
            return i / 100.0;
    }
    return -1;
}

static double settle(const struct heater_model_params *p, double duty, double fan, double secs)
{
    struct heater_model h = make(p);
    assert_int_equal(heater_model_set_duty(&h, 0, duty), 0);
    assert_int_equal(heater_model_set_fan(&h, 0, fan), 0);
    assert_int_equal(heater_model_advance(&h, secs), 0);
    return heater_model_block_temp(&h);
}

static void test_hotend_preset(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    double t200 = time_to_reach(&p, 200, 600);
    print_message("hotend: 25 -> 200 C in %.2f s at full power\n", t200);
    assert_true(t200 >= 60 && t200 <= 120);
    /* Well above 250 C at full power, so PID has headroom at 250. */
    double top = heater_model_steady_temp(&p, 1, 0);
    print_message("hotend: %.1f C steady at full power\n", top);
    assert_true(top > 300 && top < 450);
    assert_near(settle(&p, 1, 0, 3000), top, 0.01);
    /* The fan costs power: holding 210 C needs more duty with it. */
    assert_true(heater_model_steady_temp(&p, 0.5, 1) < heater_model_steady_temp(&p, 0.5, 0) - 20);
    assert_near(settle(&p, 0.5, 1, 3000), heater_model_steady_temp(&p, 0.5, 1), 0.01);
}

static void test_bed_preset(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_bed();
    double t60 = time_to_reach(&p, 60, 1200);
    print_message("bed: 25 -> 60 C in %.2f s at full power\n", t60);
    assert_true(t60 >= 90 && t60 <= 300);
    double top = heater_model_steady_temp(&p, 1, 0);
    print_message("bed: %.1f C steady at full power\n", top);
    assert_true(top >= 100 && top <= 120);
    assert_near(settle(&p, 1, 0, 20000), top, 0.01);
}

/* Linear model: the steady state is ambient + P * duty / G. */
static void test_linear_steady_state(void **state)
{
    (void)state;
    struct heater_model_params p = linear_params();
    /* tau = C / G = 160 s; 30 tau leave nothing of the start. */
    assert_near(settle(&p, 1, 0, 5000), 25 + 40 / 0.1, 1e-6);
    assert_near(settle(&p, 0.3, 0, 5000), 25 + 0.3 * 40 / 0.1, 1e-6);
    assert_near(settle(&p, 1, 0.5, 5000), 25 + 40 / (0.1 + 0.5 * 0.04), 1e-6);
    assert_near(heater_model_steady_temp(&p, 1, 0), 425, 1e-6);
    assert_near(heater_model_steady_temp(&p, 1, 0.5), 25 + 40 / 0.12, 1e-6);
}

/* Linear model from ambient: block T(t) = Ta + D (1 - e^(-a t)) with
 * D = P/G, a = G/C; a sensor lagging with rate b reads
 * Ta + D (1 - (b e^(-a t) - a e^(-b t)) / (b - a)), or
 * Ta + D (1 - (1 + a t) e^(-a t)) when a == b. */
static void check_linear_solution(struct heater_model_params p)
{
    struct heater_model h = make(&p);
    assert_int_equal(heater_model_set_duty(&h, 0, 1), 0);
    double a = p.conductance / p.heat_capacity, b = 1 / p.sensor_tau, d = p.power / p.conductance;
    for (double t = 0.5; t <= 60; t += 0.731) {
        assert_int_equal(heater_model_advance(&h, t), 0);
        double block = 25 + d * (1 - exp(-a * t));
        /* The first form rewritten with expm1, so that it stays exact
         * when b - a is tiny. */
        double lag = b != a ? exp(-a * t) * (1 - a * expm1(-(b - a) * t) / (b - a))
                            : (1 + a * t) * exp(-a * t);
        assert_near(heater_model_block_temp(&h), block, 1e-9);
        assert_near(heater_model_sensor_temp(&h), 25 + d * (1 - lag), 1e-9);
    }
}

static void test_linear_exact_solution(void **state)
{
    (void)state;
    struct heater_model_params p = linear_params();
    check_linear_solution(p);
    /* Sensor as slow as the block: the two rates coincide. */
    p.sensor_tau = p.heat_capacity / p.conductance;
    check_linear_solution(p);
    /* And nearly coincide. */
    p.sensor_tau *= 1 + 1e-7;
    check_linear_solution(p);
}

static void assert_same_state(const struct heater_model *x, const struct heater_model *y,
                              double tol)
{
    assert_near(heater_model_time(x), heater_model_time(y), 1e-9);
    assert_near(heater_model_block_temp(x), heater_model_block_temp(y), tol);
    assert_near(heater_model_sensor_temp(x), heater_model_sensor_temp(y), tol);
}

/* 10 s in one call, in 1000 calls of 10 ms, and in odd slices that never
 * meet the model's grid: the same temperatures. The brief asks for
 * 0.01 C; the grid makes it agree to rounding. */
static void test_time_slicing(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model one = make(&p), many = make(&p), odd = make(&p);
    struct heater_model *all[] = {&one, &many, &odd};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(heater_model_set_duty(all[k], 0, 1), 0);
        assert_int_equal(heater_model_set_fan(all[k], 0, 0.5), 0);
    }
    assert_int_equal(heater_model_advance(&one, 10), 0);
    for (int i = 1; i <= 1000; i++)
        assert_int_equal(heater_model_advance(&many, i * 0.01), 0);
    for (double t = 0.0037; t < 10; t += 0.0037)
        assert_int_equal(heater_model_advance(&odd, t), 0);
    assert_int_equal(heater_model_advance(&odd, 10), 0);
    assert_true(heater_model_block_temp(&one) > 40);
    assert_same_state(&one, &many, 0.01);
    assert_same_state(&one, &odd, 0.01);
    /* In fact to rounding for slices on the grid, and far below what an
     * ADC resolves for slices off it. */
    assert_same_state(&one, &many, 1e-11);
    assert_same_state(&one, &odd, 1e-7);
}

/* Soft PWM as the firmware drives it: edges off the grid, the same edges
 * with and without many advance calls in between. */
static void test_pwm_slicing(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model edges = make(&p), sliced = make(&p);
    for (int cycle = 0; cycle < 300; cycle++) {
        double on = 0.0123 + cycle * 0.1, off = on + 0.1 * (0.3 + 0.2 * (cycle % 3));
        assert_int_equal(heater_model_set_duty(&edges, on, 1), 0);
        assert_int_equal(heater_model_set_duty(&edges, off, 0), 0);
        for (double t = heater_model_time(&sliced) + 0.00731; t < on; t += 0.00731)
            assert_int_equal(heater_model_advance(&sliced, t), 0);
        assert_int_equal(heater_model_set_duty(&sliced, on, 1), 0);
        for (double t = on + 0.0029; t < off; t += 0.0029)
            assert_int_equal(heater_model_advance(&sliced, t), 0);
        assert_int_equal(heater_model_set_duty(&sliced, off, 0), 0);
    }
    assert_int_equal(heater_model_advance(&edges, 31), 0);
    assert_int_equal(heater_model_advance(&sliced, 31), 0);
    assert_true(heater_model_block_temp(&edges) > 50);
    assert_same_state(&edges, &sliced, 1e-7);
}

/* The nonlinear model against a fine RK4 integration of the same
 * equations. */
static void rk4_deriv(const struct heater_model_params *p, double fan, double q, const double y[2],
                      double dy[2])
{
    double tk = y[0] + 273.15, ak = p->ambient + 273.15;
    double rad = p->emissivity_area * 5.670374419e-8 * (tk * tk * tk * tk - ak * ak * ak * ak);
    double loss = (p->conductance + fan * p->fan_conductance) * (y[0] - p->ambient) + rad;
    dy[0] = (q - loss) / p->heat_capacity;
    dy[1] = (y[0] - y[1]) / p->sensor_tau;
}

static void test_against_rk4(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model h = make(&p);
    assert_int_equal(heater_model_set_duty(&h, 0, 1), 0);
    assert_int_equal(heater_model_set_fan(&h, 0, 0.7), 0);
    double y[2] = {p.ambient, p.ambient}, dt = 1e-4;
    for (int sec = 1; sec <= 120; sec++) {
        for (int i = 0; i < 10000; i++) {
            double k1[2], k2[2], k3[2], k4[2], tmp[2];
            rk4_deriv(&p, 0.7, p.power, y, k1);
            for (int j = 0; j < 2; j++)
                tmp[j] = y[j] + dt / 2 * k1[j];
            rk4_deriv(&p, 0.7, p.power, tmp, k2);
            for (int j = 0; j < 2; j++)
                tmp[j] = y[j] + dt / 2 * k2[j];
            rk4_deriv(&p, 0.7, p.power, tmp, k3);
            for (int j = 0; j < 2; j++)
                tmp[j] = y[j] + dt * k3[j];
            rk4_deriv(&p, 0.7, p.power, tmp, k4);
            for (int j = 0; j < 2; j++)
                y[j] += dt / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        }
        assert_int_equal(heater_model_advance(&h, sec), 0);
        /* The midpoint conductance keeps the error near 1e-8 C; frozen at
         * the step's start it would drift to 2e-4 C by 120 s. */
        assert_near(heater_model_block_temp(&h), y[0], 1e-6);
        assert_near(heater_model_sensor_temp(&h), y[1], 1e-6);
    }
    assert_true(y[0] > 200);
}

static void test_pin_follows_sensor(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model h = make(&p);
    assert_near(heater_model_pin_mv(&h), 5000.0 * 100000 / 104700, 1e-6);
    assert_int_equal(heater_model_set_duty(&h, 0, 1), 0);
    double last = heater_model_pin_mv(&h);
    for (int i = 1; i <= 60; i++) {
        assert_int_equal(heater_model_advance(&h, i), 0);
        double mv = heater_model_pin_mv(&h);
        assert_true(mv < last && mv > 0);
        assert_near(mv, thermistor_pin_mv(&p.thermistor, &p.divider, heater_model_sensor_temp(&h)),
                    1e-9);
        /* The host's conversion reads the sensor's temperature back. */
        assert_near(thermistor_temp_at_mv(&p.thermistor, &p.divider, mv),
                    heater_model_sensor_temp(&h), 1e-6);
        last = mv;
    }
}

static void test_fault_sensor_open_short(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model h = make(&p);
    assert_int_equal(heater_model_set_duty(&h, 0, 1), 0);
    assert_int_equal(heater_model_set_faults(&h, 10, HEATER_FAULT_SENSOR_OPEN), 0);
    assert_true(heater_model_pin_mv(&h) == 5000);
    assert_int_equal(heater_model_faults(&h), HEATER_FAULT_SENSOR_OPEN);
    /* The heater still heats; only the reading is lost. */
    assert_true(heater_model_power(&h) == 40);
    assert_int_equal(heater_model_set_faults(&h, 12, HEATER_FAULT_SENSOR_SHORT), 0);
    assert_true(heater_model_pin_mv(&h) == 0);
    assert_int_equal(
        heater_model_set_faults(&h, 13, HEATER_FAULT_SENSOR_SHORT | HEATER_FAULT_SENSOR_OPEN), 0);
    assert_true(heater_model_pin_mv(&h) == 0);
    /* Repaired: the reading is the thermistor's again. */
    assert_int_equal(heater_model_set_faults(&h, 14, 0), 0);
    double mv = heater_model_pin_mv(&h);
    assert_true(mv > 0 && mv < 4700);
    assert_near(mv, thermistor_pin_mv(&p.thermistor, &p.divider, heater_model_sensor_temp(&h)),
                1e-9);
}

static void test_fault_sensor_detached(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    /* Detached from the start: the block heats, the thermistor does not. */
    struct heater_model h = make(&p);
    assert_int_equal(heater_model_set_faults(&h, 0, HEATER_FAULT_SENSOR_DETACHED), 0);
    assert_int_equal(heater_model_set_duty(&h, 0, 1), 0);
    assert_int_equal(heater_model_advance(&h, 60), 0);
    assert_true(heater_model_block_temp(&h) > 150);
    assert_near(heater_model_sensor_temp(&h), 25, 1e-9);
    assert_near(heater_model_pin_mv(&h), 5000.0 * 100000 / 104700, 1e-6);

    /* Falling out of a hot block: the thermistor cools towards ambient
     * with detached_tau while the block keeps heating. */
    struct heater_model g = make(&p);
    assert_int_equal(heater_model_set_duty(&g, 0, 1), 0);
    assert_int_equal(heater_model_set_faults(&g, 60, HEATER_FAULT_SENSOR_DETACHED), 0);
    double s0 = heater_model_sensor_temp(&g), b0 = heater_model_block_temp(&g);
    assert_true(s0 > 120);
    assert_int_equal(heater_model_advance(&g, 60 + p.detached_tau), 0);
    assert_near(heater_model_sensor_temp(&g), 25 + (s0 - 25) * exp(-1), 1e-6);
    assert_true(heater_model_block_temp(&g) > b0 + 20);
    /* Pushed back in, it catches up with the block. */
    assert_int_equal(heater_model_set_faults(&g, 80, 0), 0);
    assert_int_equal(heater_model_advance(&g, 100), 0);
    assert_near(heater_model_sensor_temp(&g), heater_model_block_temp(&g), 5);
}

static void test_fault_heater_open(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model h = make(&p);
    assert_int_equal(heater_model_set_faults(&h, 0, HEATER_FAULT_HEATER_OPEN), 0);
    assert_int_equal(heater_model_set_duty(&h, 0, 1), 0);
    assert_true(heater_model_power(&h) == 0);
    assert_int_equal(heater_model_advance(&h, 60), 0);
    assert_near(heater_model_block_temp(&h), 25, 1e-9);
    /* A disconnected cartridge stays cold with the MOSFET stuck on too. */
    assert_int_equal(
        heater_model_set_faults(&h, 60, HEATER_FAULT_HEATER_OPEN | HEATER_FAULT_MOSFET_STUCK_ON),
        0);
    assert_int_equal(heater_model_advance(&h, 90), 0);
    assert_near(heater_model_block_temp(&h), 25, 1e-9);
    /* Reconnected, the duty counts again. */
    assert_int_equal(heater_model_set_faults(&h, 90, 0), 0);
    assert_true(heater_model_power(&h) == 40);
    assert_int_equal(heater_model_advance(&h, 120), 0);
    assert_true(heater_model_block_temp(&h) > 60);
}

static void test_fault_mosfet_stuck_on(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model h = make(&p);
    assert_int_equal(heater_model_set_duty(&h, 0, 0), 0);
    assert_int_equal(heater_model_set_faults(&h, 5, HEATER_FAULT_MOSFET_STUCK_ON), 0);
    assert_true(heater_model_power(&h) == 40);
    /* As hot as full power from t = 5, whatever the pin says. */
    struct heater_model ref = make(&p);
    assert_int_equal(heater_model_set_duty(&ref, 5, 1), 0);
    assert_int_equal(heater_model_set_duty(&h, 30, 0.2), 0);
    assert_int_equal(heater_model_advance(&h, 65), 0);
    assert_int_equal(heater_model_advance(&ref, 65), 0);
    assert_same_state(&h, &ref, 1e-9);
    double hot = heater_model_block_temp(&h);
    assert_true(hot > 150);
    /* Repaired, the block follows the pin (duty 0.2) and cools. */
    assert_int_equal(heater_model_set_faults(&h, 65, 0), 0);
    assert_int_equal(heater_model_advance(&h, 200), 0);
    assert_true(heater_model_block_temp(&h) < hot - 20);
}

static void test_refused_inputs(void **state)
{
    (void)state;
    struct heater_model_params p = heater_model_preset_hotend();
    struct heater_model h = make(&p);
    assert_int_equal(heater_model_set_duty(&h, 0, 0.5), 0);
    assert_int_equal(heater_model_advance(&h, 20), 0);
    struct heater_model before = h;
    static const struct {
        int which; /* 0 advance, 1 duty, 2 fan, 3 faults */
        double t, v;
        unsigned faults;
        const char *needle;
    } bad[] = {
        {1, 30, 1.5, 0, "heater duty 1.5 is outside 0..1"},
        {1, 30, -0.1, 0, "heater duty"},
        {1, 30, NAN, 0, "heater duty"},
        {2, 30, 2, 0, "fan duty 2 is outside 0..1"},
        {0, 10, 0, 0, "backwards"},
        {1, 19.999, 1, 0, "backwards"},
        {0, NAN, 0, 0, "not a finite number"},
        {0, INFINITY, 0, 0, "not a finite number"},
        {0, 2e7, 0, 0, "HEATER_MODEL_MAX_TIME"},
        {3, 30, 0, 0x20, "unknown fault flags 0x20"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc;
        switch (bad[i].which) {
        case 0:
            rc = heater_model_advance(&h, bad[i].t);
            break;
        case 1:
            rc = heater_model_set_duty(&h, bad[i].t, bad[i].v);
            break;
        case 2:
            rc = heater_model_set_fan(&h, bad[i].t, bad[i].v);
            break;
        default:
            rc = heater_model_set_faults(&h, bad[i].t, bad[i].faults);
            break;
        }
        assert_int_equal(rc, -1);
        if (!strstr(heater_model_error(&h), bad[i].needle))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, heater_model_error(&h),
                     bad[i].needle);
        /* Nothing moved: not the time, not the temperatures, not the inputs. */
        assert_true(h.now == before.now && h.block == before.block && h.sensor == before.sensor);
        assert_true(h.duty == before.duty && h.fan == before.fan && h.faults == before.faults);
    }
    /* And the model carries on as if nothing had been asked. */
    struct heater_model clean = before;
    assert_int_equal(heater_model_advance(&h, 40), 0);
    assert_int_equal(heater_model_advance(&clean, 40), 0);
    assert_same_state(&h, &clean, 0);
    /* Setting at the model's own time is fine. */
    assert_int_equal(heater_model_set_duty(&h, 40, 1), 0);
}

static void test_bad_params(void **state)
{
    (void)state;
    static const struct {
        size_t offset;
        double value;
        const char *needle;
    } bad[] = {
        {offsetof(struct heater_model_params, heat_capacity), 0, "heat_capacity must be above 0"},
        {offsetof(struct heater_model_params, heat_capacity), NAN, "heat_capacity"},
        {offsetof(struct heater_model_params, power), -1, "power must be 0 W or more"},
        {offsetof(struct heater_model_params, ambient), -300, "ambient"},
        {offsetof(struct heater_model_params, conductance), 0, "conductance must be above 0"},
        {offsetof(struct heater_model_params, emissivity_area), -1e-3, "emissivity_area"},
        {offsetof(struct heater_model_params, fan_conductance), INFINITY, "fan_conductance"},
        {offsetof(struct heater_model_params, sensor_tau), 0, "sensor_tau"},
        {offsetof(struct heater_model_params, detached_tau), -2, "detached_tau"},
        {offsetof(struct heater_model_params, thermistor.c2), -1e-4, "c2 > 0"},
        {offsetof(struct heater_model_params, divider.pullup_ohms), 0, "pullup_resistor"},
        {offsetof(struct heater_model_params, divider.vref_mv), -5, "reference"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct heater_model_params p = heater_model_preset_bed();
        memcpy((char *)&p + bad[i].offset, &bad[i].value, sizeof(double));
        struct heater_model h;
        char err[200] = "";
        assert_int_equal(heater_model_init(&h, &p, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].needle))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, bad[i].needle);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotend_preset),
        cmocka_unit_test(test_bed_preset),
        cmocka_unit_test(test_linear_steady_state),
        cmocka_unit_test(test_linear_exact_solution),
        cmocka_unit_test(test_time_slicing),
        cmocka_unit_test(test_pwm_slicing),
        cmocka_unit_test(test_against_rk4),
        cmocka_unit_test(test_pin_follows_sensor),
        cmocka_unit_test(test_fault_sensor_open_short),
        cmocka_unit_test(test_fault_sensor_detached),
        cmocka_unit_test(test_fault_heater_open),
        cmocka_unit_test(test_fault_mosfet_stuck_on),
        cmocka_unit_test(test_refused_inputs),
        cmocka_unit_test(test_bad_params),
    };
    return RUN_FILTERED(tests, argc, argv);
}
