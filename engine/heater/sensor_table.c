/* Sensors Klipper describes by a table of points and reads by linear
 * interpolation between them (extrapolating the end segments): PT1000 on a
 * pull-up, and a PT100 behind an INA826 amplifier. */
#include "errmsg.h"
#include "temp_sensor_internal.h"

#include <math.h>
#include <string.h>

/* Callendar-Van Dusen for platinum RTDs above 0 C (IEC 60751):
 *   R(t) = R0 (1 + A t + B t^2). */
#define RTD_A 3.9083e-3
#define RTD_B -5.775e-7
/* Klipper tabulates the RTDs from 0 C up to 490 C every 10 C. */
#define RTD_TABLE_STEP 10.0
#define RTD_TABLE_POINTS 50

/* The INA826 board Klipper's "PT100 INA826" describes: the PT100 under a
 * 4400 ohm pull-up to 5 V, amplified ten times. */
#define INA826_PULLUP 4400.0
#define INA826_SUPPLY 5.0
#define INA826_GAIN 10.0

static double rtd_resistance(double r0, double t)
{
    return r0 * (1.0 + RTD_A * t + RTD_B * t * t);
}

int sensor_table_pt1000(struct temp_sensor *s, double pullup, char *err, size_t errlen)
{
    if (!(pullup > 0.0) || !isfinite(pullup)) {
        seterr(err, errlen, "pullup_resistor %g: expected a number above 0", pullup);
        return -1;
    }
    memset(s, 0, sizeof(*s));
    s->model = TEMP_MODEL_RESISTANCE_TABLE;
    s->pullup = pullup;
    for (int i = 0; i < RTD_TABLE_POINTS; i++) {
        double t = RTD_TABLE_STEP * i;
        s->key[i] = rtd_resistance(1000.0, t);
        s->temp[i] = t;
    }
    s->npoints = RTD_TABLE_POINTS;
    return 0;
}

int sensor_table_pt100_ina826(struct temp_sensor *s, double adc_voltage, double voltage_offset,
                              char *err, size_t errlen)
{
    if (!(adc_voltage > 0.0) || !isfinite(adc_voltage) || !isfinite(voltage_offset)) {
        seterr(err, errlen,
               "adc_voltage %g, voltage_offset %g: expected a voltage above 0 and a "
               "finite offset",
               adc_voltage, voltage_offset);
        return -1;
    }
    struct temp_sensor t;
    memset(&t, 0, sizeof(t));
    t.model = TEMP_MODEL_VOLTAGE_TABLE;
    for (int i = 0; i < RTD_TABLE_POINTS; i++) {
        double temp = RTD_TABLE_STEP * i;
        double r = rtd_resistance(100.0, temp);
        double volts = INA826_GAIN * INA826_SUPPLY * r / (INA826_PULLUP + r);
        double adc = (volts - voltage_offset) / adc_voltage;
        /* Points the ADC cannot read are left out, as Klipper does. */
        if (adc < 0.0 || adc > 1.0)
            continue;
        t.key[t.npoints] = adc;
        t.temp[t.npoints] = temp;
        t.npoints++;
    }
    if (t.npoints < 2) {
        seterr(err, errlen,
               "PT100 INA826 with adc_voltage %g and voltage_offset %g: fewer than two of "
               "its points fall within the ADC's range",
               adc_voltage, voltage_offset);
        return -1;
    }
    *s = t;
    return 0;
}

/* The segment to use for x among ascending xs: the one containing it, or
 * the end segment on its side. */
static size_t segment(const double *xs, size_t n, double x)
{
    size_t i = 0;
    while (i + 2 < n && x >= xs[i + 1])
        i++;
    return i;
}

static double along(const double *from, const double *to, size_t i, double x)
{
    double gain = (to[i + 1] - to[i]) / (from[i + 1] - from[i]);
    return to[i] + (x - from[i]) * gain;
}

static double table_lookup(const struct temp_sensor *s, double key)
{
    return along(s->key, s->temp, segment(s->key, s->npoints, key), key);
}

/* Both built-in tables rise with temperature, so temperatures ascend too. */
static double table_reverse(const struct temp_sensor *s, double temp)
{
    return along(s->temp, s->key, segment(s->temp, s->npoints, temp), temp);
}

double sensor_table_temp(const struct temp_sensor *s, double adc)
{
    if (s->model == TEMP_MODEL_RESISTANCE_TABLE) {
        double ratio = sensor_clamp_ratio(adc);
        return table_lookup(s, s->pullup * ratio / (1.0 - ratio));
    }
    return table_lookup(s, adc);
}

double sensor_table_adc(const struct temp_sensor *s, double temp)
{
    double key = table_reverse(s, temp);
    if (s->model == TEMP_MODEL_RESISTANCE_TABLE)
        return key / (s->pullup + key);
    return key;
}
