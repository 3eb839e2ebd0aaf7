/* Thermistor curves and the pull-up divider the ADC pin sees. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "run_filtered.h"
#include "thermistor_model.h"

#define KELVIN 273.15

static const char *const required_names[] = {"EPCOS 100K B57560G104F", "ATC Semitec 104GT-2",
                                             "Generic 3950", "NTC 100K beta 3950"};
#define NREQUIRED (sizeof(required_names) / sizeof(required_names[0]))

static struct thermistor named(const char *name)
{
    struct thermistor th;
    assert_int_equal(thermistor_by_name(&th, name), 0);
    return th;
}

static void assert_rel(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.12g, expected %.12g (relative tolerance %g)", got, want, rel);
}

static void assert_near(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, expected %.12g +- %g", got, want, tol);
}

/* The 25 C readings on a RAMPS divider: 100k parts give
 * 5000 * 100000 / 104700 mV; the 104GT-2, defined at 20 C, lands within
 * its datasheet's tolerance of 100k. */
static void test_divider_at_25c(void **state)
{
    (void)state;
    struct thermistor_divider d = thermistor_divider_ramps();
    assert_true(d.pullup_ohms == 4700 && d.inline_ohms == 0 && d.vref_mv == 5000);
    const double mv_100k = 5000.0 * 100000 / 104700;
    const char *exact[] = {"EPCOS 100K B57560G104F",     "Generic 3950",
                           "NTC 100K beta 3950",         "ATC Semitec 104NT-4-R025H42G",
                           "TDK NTCG104LH104JT1",        "Honeywell 100K 135-104LAG-J01",
                           "NTC 100K MGB18-104F39050L32"};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        struct thermistor th = named(exact[i]);
        assert_rel(thermistor_resistance(&th, 25), 100000, 1e-9);
        assert_near(thermistor_pin_mv(&th, &d, 25), mv_100k, 1e-6);
    }
    struct thermistor atc = named("ATC Semitec 104GT-2");
    double r25 = thermistor_resistance(&atc, 25);
    assert_rel(r25, 100000, 0.01);
    assert_near(thermistor_pin_mv(&atc, &d, 25), 5000 * r25 / (r25 + 4700), 1e-9);
    assert_near(thermistor_pin_mv(&atc, &d, 25), mv_100k, 1);

    struct thermistor slice = named("SliceEngineering 450");
    assert_rel(thermistor_resistance(&slice, 25), 500000, 1e-9);
    assert_near(thermistor_pin_mv(&slice, &d, 25), 5000.0 * 500000 / 504700, 1e-6);
}

/* The published points, typed in again here: the fit goes through each. */
static void test_builtin_points(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double t[3], r[3];
    } pts[] = {
        {"EPCOS 100K B57560G104F", {25, 150, 250}, {100000, 1641.9, 226.15}},
        {"ATC Semitec 104GT-2", {20, 150, 300}, {126800, 1360, 80.65}},
        {"Generic 3950", {25, 150, 250}, {100000, 1770, 230}},
        {"ATC Semitec 104NT-4-R025H42G", {25, 160, 300}, {100000, 1074, 82.78}},
        {"SliceEngineering 450", {25, 200, 400}, {500000, 3734, 240}},
        {"TDK NTCG104LH104JT1", {25, 50, 125}, {100000, 31230, 2066}},
    };
    for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
        struct thermistor th = named(pts[i].name);
        /* A genuine three-point fit, not Klipper's beta fallback. */
        assert_true(th.c3 > 0);
        for (int k = 0; k < 3; k++) {
            assert_rel(thermistor_resistance(&th, pts[i].t[k]), pts[i].r[k], 1e-9);
            assert_near(thermistor_temp_at_resistance(&th, pts[i].r[k]), pts[i].t[k], 1e-9);
        }
    }
}

static void test_beta_curves(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        double beta;
    } betas[] = {{"NTC 100K beta 3950", 3950},
                 {"Honeywell 100K 135-104LAG-J01", 3974},
                 {"NTC 100K MGB18-104F39050L32", 4100}};
    for (size_t i = 0; i < sizeof(betas) / sizeof(betas[0]); i++) {
        struct thermistor th = named(betas[i].name);
        assert_true(th.c3 == 0);
        for (double t = -20; t <= 350; t += 10) {
            double want = 100000 * exp(betas[i].beta * (1 / (t + KELVIN) - 1 / (25 + KELVIN)));
            assert_rel(thermistor_resistance(&th, t), want, 1e-12);
        }
    }
    /* Klipper's "Generic 3950" is the Keenovo table, not beta 3950: the two
     * names read several degrees apart at printing temperatures. */
    struct thermistor gen = named("Generic 3950"), b3950 = named("NTC 100K beta 3950");
    double r = thermistor_resistance(&b3950, 200);
    assert_true(fabs(thermistor_temp_at_resistance(&gen, r) - 200) > 3);
}

static void test_monotonic(void **state)
{
    (void)state;
    struct thermistor_divider d = thermistor_divider_ramps();
    for (size_t i = 0; thermistor_builtin_name(i); i++) {
        struct thermistor th = named(thermistor_builtin_name(i));
        double last_r = INFINITY, last_mv = 5000;
        for (double t = -40; t <= 450; t += 0.25) {
            double r = thermistor_resistance(&th, t), mv = thermistor_pin_mv(&th, &d, t);
            if (!(r < last_r && mv < last_mv && r > 0 && mv > 0))
                fail_msg("%s at %g C: R %g after %g, %g mV after %g", thermistor_builtin_name(i), t,
                         r, last_r, mv, last_mv);
            last_r = r;
            last_mv = mv;
        }
    }
}

/* The test's own inverse: the voltage falls as temperature rises. */
static double bisect_temp(const struct thermistor *th, const struct thermistor_divider *d,
                          double mv)
{
    double lo = -100, hi = 600;
    while (hi - lo > 1e-7) {
        double mid = (lo + hi) / 2;
        if (thermistor_pin_mv(th, d, mid) > mv)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void test_round_trip(void **state)
{
    (void)state;
    struct thermistor_divider d = thermistor_divider_ramps();
    for (size_t i = 0; i < NREQUIRED; i++) {
        struct thermistor th = named(required_names[i]);
        for (double t = 0; t <= 300; t += 0.1) {
            double mv = thermistor_pin_mv(&th, &d, t);
            double back = bisect_temp(&th, &d, mv);
            if (!(fabs(back - t) < 0.1))
                fail_msg("%s: %g C -> %g mV -> %g C", required_names[i], t, mv, back);
            /* The closed form the host would use agrees much more tightly. */
            assert_near(thermistor_temp_at_mv(&th, &d, mv), t, 1e-6);
        }
    }
}

/* R(T) solves a cubic; 1/T from ln R is a polynomial: each checks the other. */
static void test_cubic_inverse(void **state)
{
    (void)state;
    for (size_t i = 0; thermistor_builtin_name(i); i++) {
        struct thermistor th = named(thermistor_builtin_name(i));
        for (double t = -60; t <= 500; t += 0.37)
            assert_near(thermistor_temp_at_resistance(&th, thermistor_resistance(&th, t)), t, 1e-9);
    }
}

static void test_inline_resistor(void **state)
{
    (void)state;
    struct thermistor th = named("EPCOS 100K B57560G104F");
    struct thermistor_divider d = {.pullup_ohms = 4700, .inline_ohms = 1000, .vref_mv = 3300};
    assert_int_equal(thermistor_divider_check(&d, NULL, 0), 0);
    for (double t = 20; t <= 300; t += 20) {
        double r = thermistor_resistance(&th, t);
        double mv = thermistor_pin_mv(&th, &d, t);
        assert_near(mv, 3300 * (r + 1000) / (r + 1000 + 4700), 1e-9);
        assert_near(thermistor_temp_at_mv(&th, &d, mv), t, 1e-6);
    }
    /* Below what the inline resistor alone gives, no temperature fits. */
    double floor_mv = 3300.0 * 1000 / 5700;
    assert_true(isnan(thermistor_temp_at_mv(&th, &d, floor_mv - 1)));
}

static void test_fault_levels(void **state)
{
    (void)state;
    struct thermistor th = named("EPCOS 100K B57560G104F");
    struct thermistor_divider d = thermistor_divider_ramps();
    assert_true(thermistor_open_mv(&d) == 5000);
    assert_true(thermistor_short_mv(&d) == 0);
    /* Neither level is a temperature. */
    assert_true(isnan(thermistor_temp_at_mv(&th, &d, 5000)));
    assert_true(isnan(thermistor_temp_at_mv(&th, &d, 0)));
    assert_true(isnan(thermistor_temp_at_mv(&th, &d, -3)));
    assert_true(isnan(thermistor_temp_at_mv(&th, &d, NAN)));
}

static void test_extremes(void **state)
{
    (void)state;
    struct thermistor_divider d = thermistor_divider_ramps();
    for (size_t i = 0; thermistor_builtin_name(i); i++) {
        struct thermistor th = named(thermistor_builtin_name(i));
        assert_true(isinf(thermistor_resistance(&th, -KELVIN)));
        assert_true(isinf(thermistor_resistance(&th, -300)));
        assert_true(thermistor_pin_mv(&th, &d, -300) == 5000);
        assert_true(isnan(thermistor_resistance(&th, NAN)));
        double hot = thermistor_resistance(&th, 2000);
        assert_true(hot > 0 && isfinite(hot));
        assert_true(isnan(thermistor_temp_at_resistance(&th, 0)));
        assert_true(isnan(thermistor_temp_at_resistance(&th, -5)));
    }
}

/* Points whose fit would need c3 <= 0 give the beta through the coldest
 * and the hottest point, whatever order they are listed in. */
static void test_beta_fallback(void **state)
{
    (void)state;
    double r150 = 100000 * exp(3950 * (1 / (150 + KELVIN) - 1 / (25 + KELVIN)));
    double r250 = 100000 * exp(3950 * (1 / (250 + KELVIN) - 1 / (25 + KELVIN)));
    const double t[3] = {250, 25, 150}, r[3] = {r250, 100000, 0.8 * r150};
    struct thermistor th;
    assert_int_equal(thermistor_from_points(&th, t, r, NULL, 0), 0);
    assert_true(th.c3 == 0);
    assert_rel(1 / th.c2, 3950, 1e-9);
    assert_rel(thermistor_resistance(&th, 25), 100000, 1e-9);
    assert_rel(thermistor_resistance(&th, 250), r250, 1e-9);

    /* A good fit does not depend on the order either. */
    const double t1[3] = {25, 150, 250}, r1[3] = {100000, 1641.9, 226.15};
    const double t2[3] = {150, 250, 25}, r2[3] = {1641.9, 226.15, 100000};
    struct thermistor a, b;
    assert_int_equal(thermistor_from_points(&a, t1, r1, NULL, 0), 0);
    assert_int_equal(thermistor_from_points(&b, t2, r2, NULL, 0), 0);
    assert_rel(a.c1, b.c1, 1e-12);
    assert_rel(a.c2, b.c2, 1e-12);
    assert_rel(a.c3, b.c3, 1e-9);
}

static void expect_points_error(const double t[3], const double r[3], const char *needle)
{
    struct thermistor th = {1, 2, 3};
    char err[200] = "";
    assert_int_equal(thermistor_from_points(&th, t, r, err, sizeof(err)), -1);
    if (!strstr(err, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    /* Refused input leaves the thermistor alone. */
    assert_true(th.c1 == 1 && th.c2 == 2 && th.c3 == 3);
}

static void test_bad_input(void **state)
{
    (void)state;
    const double t[3] = {25, 150, 250}, r[3] = {100000, 1641.9, 226.15};
    double bt[3], br[3];
    memcpy(bt, t, sizeof(bt));
    memcpy(br, r, sizeof(br));
    br[1] = -5;
    expect_points_error(bt, br, "resistance2");
    br[1] = 0;
    expect_points_error(bt, br, "resistance2");
    memcpy(br, r, sizeof(br));
    bt[2] = NAN;
    expect_points_error(bt, br, "temperature3");
    bt[2] = -274;
    expect_points_error(bt, br, "temperature3");
    memcpy(bt, t, sizeof(bt));
    bt[0] = 150;
    expect_points_error(bt, br, "temperature1 and temperature2");
    memcpy(bt, t, sizeof(bt));
    /* Resistance rising with temperature: not an NTC thermistor. */
    const double rising[3] = {226.15, 1641.9, 100000};
    expect_points_error(bt, rising, "NTC");
    const double flat[3] = {1000, 1000, 1000};
    expect_points_error(bt, flat, "same resistance");

    struct thermistor th = {1, 2, 3};
    char err[200] = "";
    assert_int_equal(thermistor_from_beta(&th, 25, 100000, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "beta"));
    assert_int_equal(thermistor_from_beta(&th, 25, -1, 3950, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "resistance1"));
    assert_true(th.c1 == 1 && th.c2 == 2 && th.c3 == 3);

    assert_int_equal(thermistor_by_name(&th, "EPCOS 100k B57560G104F"), -1);
    assert_int_equal(thermistor_by_name(&th, "PT1000"), -1);
    assert_int_equal(thermistor_by_name(&th, NULL), -1);
    assert_true(th.c1 == 1 && th.c2 == 2 && th.c3 == 3);

    struct thermistor neg = {0.001, -1e-4, 1e-7};
    assert_int_equal(thermistor_check(&neg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "c2 > 0"));

    struct thermistor_divider d = {.pullup_ohms = 0, .inline_ohms = 0, .vref_mv = 5000};
    assert_int_equal(thermistor_divider_check(&d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "pullup_resistor"));
    d = (struct thermistor_divider){.pullup_ohms = 4700, .inline_ohms = -1, .vref_mv = 5000};
    assert_int_equal(thermistor_divider_check(&d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "inline_resistor"));
    d = (struct thermistor_divider){.pullup_ohms = 4700, .inline_ohms = 0, .vref_mv = NAN};
    assert_int_equal(thermistor_divider_check(&d, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "reference"));
}

static void test_names(void **state)
{
    (void)state;
    size_t n = 0;
    while (thermistor_builtin_name(n))
        n++;
    assert_int_equal(n, 9);
    for (size_t i = 0; i < NREQUIRED; i++) {
        int found = 0;
        for (size_t k = 0; k < n; k++)
            found |= strcmp(thermistor_builtin_name(k), required_names[i]) == 0;
        if (!found)
            fail_msg("no built-in \"%s\"", required_names[i]);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_divider_at_25c),  cmocka_unit_test(test_builtin_points),
        cmocka_unit_test(test_beta_curves),     cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_cubic_inverse),
        cmocka_unit_test(test_inline_resistor), cmocka_unit_test(test_fault_levels),
        cmocka_unit_test(test_extremes),        cmocka_unit_test(test_beta_fallback),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_names),
    };
    return RUN_FILTERED(tests, argc, argv);
}
