#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "printer_config.h"
#include "temp_sensor.h"

#define PULLUP 4700.0

static struct temp_sensor sensor(const char *name)
{
    struct temp_sensor s;
    char err[600] = "";
    if (temp_sensor_init(&s, name, PULLUP, 0.0, 5.0, 0.0, err, sizeof(err)) != 0)
        fail_msg("%s: %s", name, err);
    return s;
}

/* The divider ratio of a resistance under the standard pull-up. */
static double ratio(double r)
{
    return r / (PULLUP + r);
}

static void every_listed_name_initialises(void **state)
{
    (void)state;
    size_t n = 0;
    for (const char *const *name = temp_sensor_names(); *name; name++, n++)
        sensor(*name);
    assert_int_equal(n, 11);
}

/* temperature -> ADC -> temperature over 0..300 C, for every sensor. */
static void round_trips_within_a_tenth(void **state)
{
    (void)state;
    for (const char *const *name = temp_sensor_names(); *name; name++) {
        struct temp_sensor s = sensor(*name);
        for (double t = 0.0; t <= 300.0; t += 0.5) {
            double adc = temp_sensor_adc(&s, t);
            assert_true(adc > 0.0 && adc < 1.0);
            double back = temp_sensor_temp(&s, adc);
            if (fabs(back - t) > 0.1)
                fail_msg("%s: %.1f C -> %.9f -> %.4f C", *name, t, adc, back);
        }
    }
}

static void round_trip_with_inline_resistor(void **state)
{
    (void)state;
    struct temp_sensor s;
    assert_int_equal(temp_sensor_init(&s, "ATC Semitec 104GT-2", 2200.0, 1000.0, 5.0, 0.0, NULL, 0),
                     0);
    for (double t = 0.0; t <= 300.0; t += 1.0)
        assert_float_equal(temp_sensor_temp(&s, temp_sensor_adc(&s, t)), t, 1e-6);
    /* The inline resistor is in series with the thermistor: at 20 C the
     * divider sees 126800 + 1000 ohm. */
    assert_float_equal(temp_sensor_adc(&s, 20.0), 127800.0 / (2200.0 + 127800.0), 1e-9);
}

/* The published points themselves come back exactly. */
static void published_points(void **state)
{
    (void)state;
    struct {
        const char *name;
        double t, r;
    } points[] = {
        {"EPCOS 100K B57560G104F", 25, 100000},
        {"EPCOS 100K B57560G104F", 150, 1641.9},
        {"EPCOS 100K B57560G104F", 250, 226.15},
        {"ATC Semitec 104GT-2", 20, 126800},
        {"ATC Semitec 104GT-2", 150, 1360},
        {"ATC Semitec 104GT-2", 300, 80.65},
        {"ATC Semitec 104NT-4-R025H42G", 25, 100000},
        {"ATC Semitec 104NT-4-R025H42G", 160, 1074},
        {"ATC Semitec 104NT-4-R025H42G", 300, 82.78},
        {"Generic 3950", 25, 100000},
        {"Generic 3950", 150, 1770},
        {"Generic 3950", 250, 230},
        {"SliceEngineering 450", 25, 500000},
        {"SliceEngineering 450", 200, 3734},
        {"SliceEngineering 450", 400, 240},
        {"TDK NTCG104LH104JT1", 25, 100000},
        {"TDK NTCG104LH104JT1", 50, 31230},
        {"TDK NTCG104LH104JT1", 125, 2066},
        {"Honeywell 100K 135-104LAG-J01", 25, 100000},
        {"NTC 100K beta 3950", 25, 100000},
        {"NTC 100K MGB18-104F39050L32", 25, 100000},
        {"PT1000", 0, 1000},
        {"PT1000", 100, 1385.055},
    };
    for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
        struct temp_sensor s = sensor(points[i].name);
        double want = ratio(points[i].r);
        double adc = temp_sensor_adc(&s, points[i].t);
        if (fabs(adc - want) > 1e-9 * want)
            fail_msg("%s at %g C: ADC %.12f, want %.12f", points[i].name, points[i].t, adc, want);
        assert_float_equal(temp_sensor_temp(&s, want), points[i].t, 1e-6);
    }
    /* The brief's example: a 100k thermistor at 25 C under 4.7k. */
    struct temp_sensor epcos = sensor("EPCOS 100K B57560G104F");
    assert_float_equal(temp_sensor_adc(&epcos, 25.0), 100000.0 / 104700.0, 1e-12);
}

/* Beta sensors follow R = R25 exp(beta (1/T - 1/T25)) everywhere. */
static void beta_curve(void **state)
{
    (void)state;
    struct temp_sensor s = sensor("NTC 100K beta 3950");
    for (double t = 0.0; t <= 300.0; t += 25.0) {
        double r = 100000.0 * exp(3950.0 * (1.0 / (t + 273.15) - 1.0 / 298.15));
        assert_float_equal(temp_sensor_adc(&s, t), ratio(r), 1e-12);
    }
}

/* PT100 INA826: 10 x 5 V x R / (4400 + R), read against adc_voltage. */
static void pt100_ina826(void **state)
{
    (void)state;
    struct temp_sensor s = sensor("PT100 INA826");
    double volts0 = 50.0 * 100.0 / 4500.0;
    assert_float_equal(temp_sensor_adc(&s, 0.0), volts0 / 5.0, 1e-12);
    assert_float_equal(temp_sensor_temp(&s, volts0 / 5.0), 0.0, 1e-9);
    /* With a 0.5 V offset the same voltage reads the same temperature. */
    struct temp_sensor off;
    assert_int_equal(temp_sensor_init(&off, "PT100 INA826", 0, 0, 5.0, 0.5, NULL, 0), 0);
    assert_float_equal(temp_sensor_temp(&off, (volts0 - 0.5) / 5.0), 0.0, 1e-9);
    /* An adc_voltage no point fits in is refused. */
    char err[300] = "";
    assert_int_equal(temp_sensor_init(&off, "PT100 INA826", 0, 0, 0.1, 0.0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fewer than two of its points"));
}

/* NTC: hotter reads lower; the rails read as finite extremes. */
static void ntc_direction_and_rails(void **state)
{
    (void)state;
    struct temp_sensor s = sensor("EPCOS 100K B57560G104F");
    double prev = INFINITY;
    for (double adc = 0.001; adc < 1.0; adc += 0.001) {
        double t = temp_sensor_temp(&s, adc);
        assert_true(t < prev);
        prev = t;
    }
    double shorted = temp_sensor_temp(&s, 0.0), open = temp_sensor_temp(&s, 1.0);
    assert_true(isfinite(shorted) && shorted > 1000.0);
    assert_true(isfinite(open) && open < -30.0);
    assert_true(isfinite(temp_sensor_temp(&s, NAN)));
    assert_float_equal(temp_sensor_adc(&s, -273.15), 1.0, 0.0);
    assert_float_equal(temp_sensor_adc(&s, -500.0), 1.0, 0.0);
    /* A reading implying less than the inline resistor is a short. */
    struct temp_sensor inl;
    assert_int_equal(temp_sensor_init(&inl, "Generic 3950", PULLUP, 1000.0, 5.0, 0.0, NULL, 0), 0);
    assert_true(temp_sensor_temp(&inl, ratio(500.0)) > 1000.0);
}

static void unknown_and_unsupported_names(void **state)
{
    (void)state;
    struct temp_sensor s, before;
    memset(&s, 0x5a, sizeof(s));
    before = s;
    char err[800] = "";
    assert_int_equal(temp_sensor_init(&s, "EPCOS 100k", PULLUP, 0, 5, 0, err, sizeof(err)), -1);
    assert_memory_equal(&s, &before, sizeof(s));
    assert_non_null(strstr(err, "Unknown temperature sensor 'EPCOS 100k'"));
    for (const char *const *name = temp_sensor_names(); *name; name++)
        assert_non_null(strstr(err, *name));
    assert_int_equal(temp_sensor_init(&s, "AD595", PULLUP, 0, 5, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Temperature sensor 'AD595' is not implemented yet"));
    assert_int_equal(temp_sensor_init(&s, NULL, PULLUP, 0, 5, 0, err, sizeof(err)), -1);
    assert_memory_equal(&s, &before, sizeof(s));
}

static void bad_resistors_refused(void **state)
{
    (void)state;
    struct temp_sensor s;
    char err[300] = "";
    assert_int_equal(temp_sensor_init(&s, "Generic 3950", 0.0, 0, 5, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "pullup_resistor 0: expected a number above 0");
    assert_int_equal(temp_sensor_init(&s, "Generic 3950", PULLUP, -1, 5, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "inline_resistor -1: expected a number of at least 0");
    assert_int_equal(temp_sensor_init(&s, "PT1000", NAN, 0, 5, 0, err, sizeof(err)), -1);
    double t[3] = {25, 25, 100}, r[3] = {100000, 90000, 5000};
    assert_int_equal(temp_sensor_init_thermistor(&s, t, r, PULLUP, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "expected three different temperatures"));
    double t2[3] = {25, 150, -300};
    assert_int_equal(temp_sensor_init_thermistor(&s, t2, r, PULLUP, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "thermistor temperature -300: expected a number above -273.15");
    assert_int_equal(temp_sensor_init_beta(&s, 25, 100000, 0, PULLUP, 0, err, sizeof(err)), -1);
    assert_string_equal(err, "thermistor beta 0: expected a number above 0");
}

/* Points that bend the wrong way for Steinhart-Hart fall back to the beta
 * through the outer points; the order they are given in does not matter. */
static void custom_thermistor_fallback_and_order(void **state)
{
    (void)state;
    struct temp_sensor s;
    double t[3] = {250, 25, 150}, r[3] = {400, 100000, 1641.9};
    assert_int_equal(temp_sensor_init_thermistor(&s, t, r, PULLUP, 0, NULL, 0), 0);
    assert_float_equal(s.c3, 0.0, 0.0);
    assert_float_equal(temp_sensor_temp(&s, ratio(100000)), 25.0, 1e-9);
    assert_float_equal(temp_sensor_temp(&s, ratio(400)), 250.0, 1e-9);
    /* The middle point is not on that curve. */
    assert_true(fabs(temp_sensor_temp(&s, ratio(1641.9)) - 150.0) > 1.0);

    double t_ok[3] = {250, 150, 25}, r_ok[3] = {226.15, 1641.9, 100000};
    assert_int_equal(temp_sensor_init_thermistor(&s, t_ok, r_ok, PULLUP, 0, NULL, 0), 0);
    struct temp_sensor epcos = sensor("EPCOS 100K B57560G104F");
    assert_float_equal(s.c1, epcos.c1, 1e-15);
    assert_float_equal(s.c2, epcos.c2, 1e-15);
    assert_float_equal(s.c3, epcos.c3, 1e-18);
    assert_true(s.c3 > 0.0);
}

/* min_value/max_value for query_analog_in: sums of 8 samples of 0..1023;
 * the low bound truncated, the high one rounded up. */
static void mcu_range(void **state)
{
    (void)state;
    struct temp_sensor s = sensor("EPCOS 100K B57560G104F");
    uint16_t lo = 0, hi = 0;
    char err[200] = "";
    assert_int_equal(temp_sensor_mcu_range(&s, 0.0, 250.0, 1023.0, 8, &lo, &hi, err, sizeof(err)),
                     0);
    double full = 8 * 1023.0;
    assert_int_equal(lo, (int)floor(temp_sensor_adc(&s, 250.0) * full));
    assert_int_equal(hi, (int)ceil(temp_sensor_adc(&s, 0.0) * full));
    /* The 250 C limit: 226.15 ohm under 4.7k, i.e. 375.7 of 8184. */
    assert_int_equal(lo, 375);
    /* Sums just inside read as temperatures inside the limits. */
    assert_true(temp_sensor_temp(&s, (lo + 1) / full) < 250.0);
    assert_true(temp_sensor_temp(&s, (hi - 1) / full) > 0.0);
    /* The PT1000 rises with temperature: min_temp gives the low bound. */
    struct temp_sensor pt = sensor("PT1000");
    assert_int_equal(temp_sensor_mcu_range(&pt, 0.0, 300.0, 1023.0, 8, &lo, &hi, NULL, 0), 0);
    assert_int_equal(lo, (int)floor(1000.0 / 5700.0 * full));
    assert_true(hi > lo);

    assert_int_equal(temp_sensor_mcu_range(&s, 0, 250, 4095.0, 17, &lo, &hi, err, sizeof(err)), -1);
    assert_string_equal(err, "ADC sample_count=17 too large for MCU");
    assert_int_equal(temp_sensor_mcu_range(&s, 0, 250, 0.0, 8, &lo, &hi, err, sizeof(err)), -1);
    assert_int_equal(temp_sensor_mcu_range(&s, NAN, 250, 1023, 8, &lo, &hi, err, sizeof(err)), -1);
}

static void normalise(void **state)
{
    (void)state;
    assert_float_equal(temp_sensor_normalise(8184, 8, 1023.0), 1.0, 1e-15);
    assert_float_equal(temp_sensor_normalise(4092, 8, 1023.0), 0.5, 1e-15);
    assert_float_equal(temp_sensor_normalise(0, 8, 1023.0), 0.0, 0.0);
}

static void from_config(void **state)
{
    (void)state;
    struct heater_config hc;
    memset(&hc, 0, sizeof(hc));
    snprintf(hc.sensor_type, sizeof(hc.sensor_type), "ATC Semitec 104GT-2");
    hc.pullup_resistor = 4700.0;
    struct temp_sensor s;
    assert_int_equal(temp_sensor_from_config(&s, &hc, NULL, 0), 0);
    assert_float_equal(temp_sensor_adc(&s, 20.0), ratio(126800), 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_listed_name_initialises),
        cmocka_unit_test(round_trips_within_a_tenth),
        cmocka_unit_test(round_trip_with_inline_resistor),
        cmocka_unit_test(published_points),
        cmocka_unit_test(beta_curve),
        cmocka_unit_test(pt100_ina826),
        cmocka_unit_test(ntc_direction_and_rails),
        cmocka_unit_test(unknown_and_unsupported_names),
        cmocka_unit_test(bad_resistors_refused),
        cmocka_unit_test(custom_thermistor_fallback_and_order),
        cmocka_unit_test(mcu_range),
        cmocka_unit_test(normalise),
        cmocka_unit_test(from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
