/* Klipper's built-in ADC temperature sensors by name, and the conversions
 * between normalised ADC values and temperatures. */
#include "errmsg.h"
#include "printer_config.h"
#include "temp_sensor_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Klipper keeps resistive readings this far off 0 and 1. */
#define RATIO_MIN 0.00001
#define RATIO_MAX 0.99999

enum builtin_kind { BUILTIN_THREE_POINT, BUILTIN_BETA, BUILTIN_PT1000, BUILTIN_PT100_INA826 };

struct builtin_sensor {
    const char *name;
    enum builtin_kind kind;
    double t[3], r[3]; /* C, ohm; for beta only the first point */
    double beta;
};

/* The points are the manufacturers' published resistance tables, the same
 * points Klipper's klippy/extras/temperature_sensors.cfg uses. */
static const struct builtin_sensor builtins[] = {
    /* TDK (EPCOS) B57560G104F glass-encapsulated NTC, datasheet
     * "Glass_enc_Sensors__B57560__G560__G1560", R/T characteristic 8016. */
    {"EPCOS 100K B57560G104F", BUILTIN_THREE_POINT, {25, 150, 250}, {100000, 1641.9, 226.15}, 0},
    /* ATC Semitec 104GT-2, "GT-2 glass thermistors" datasheet. */
    {"ATC Semitec 104GT-2", BUILTIN_THREE_POINT, {20, 150, 300}, {126800, 1360, 80.65}, 0},
    /* ATC Semitec 104NT-4-R025H42G, "Semitec NT-4 glass NTC thermistor"
     * datasheet. */
    {"ATC Semitec 104NT-4-R025H42G", BUILTIN_THREE_POINT, {25, 160, 300}, {100000, 1074, 82.78}, 0},
    /* Generic 100K "3950" NTCs: Keenovo's NTC R-T table. */
    {"Generic 3950", BUILTIN_THREE_POINT, {25, 150, 250}, {100000, 1770, 230}, 0},
    /* Slice Engineering's 450 C thermistor, product page R/T table. */
    {"SliceEngineering 450", BUILTIN_THREE_POINT, {25, 200, 400}, {500000, 3734, 240}, 0},
    /* TDK NTCG104LH104JT1 chip NTC, TDK's R/T sheet for that part. */
    {"TDK NTCG104LH104JT1", BUILTIN_THREE_POINT, {25, 50, 125}, {100000, 31230, 2066}, 0},
    /* Honeywell 135-104LAG-J01: 100 kohm at 25 C, beta 3974 (datasheet). */
    {"Honeywell 100K 135-104LAG-J01", BUILTIN_BETA, {25}, {100000}, 3974},
    /* The name itself: 100 kohm at 25 C, beta 3950. Klipper deprecates it
     * in favour of "Generic 3950". */
    {"NTC 100K beta 3950", BUILTIN_BETA, {25}, {100000}, 3950},
    /* MGB18-104F39050L32: 100 kohm at 25 C, beta 4100 (the part as
     * Marlin's thermistor table 75 describes it). */
    {"NTC 100K MGB18-104F39050L32", BUILTIN_BETA, {25}, {100000}, 4100},
    /* IEC 60751 platinum RTDs (Callendar-Van Dusen). */
    {"PT1000", BUILTIN_PT1000, {0}, {0}, 0},
    {"PT100 INA826", BUILTIN_PT100_INA826, {0}, {0}, 0},
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))

/* Thermocouple amplifiers Klipper knows by tables of datasheet voltages;
 * printer.cfg accepts them, this module does not model them yet. */
static const char *const amplifiers[] = {"AD595", "AD597", "AD8494", "AD8495", "AD8496", "AD8497"};

/* The same names in the same order (a test checks each one initialises). */
static const char *const builtin_names[] = {
    "EPCOS 100K B57560G104F",
    "ATC Semitec 104GT-2",
    "ATC Semitec 104NT-4-R025H42G",
    "Generic 3950",
    "SliceEngineering 450",
    "TDK NTCG104LH104JT1",
    "Honeywell 100K 135-104LAG-J01",
    "NTC 100K beta 3950",
    "NTC 100K MGB18-104F39050L32",
    "PT1000",
    "PT100 INA826",
    NULL,
};
_Static_assert(sizeof(builtin_names) / sizeof(builtin_names[0]) == NBUILTINS + 1,
               "every built-in sensor is listed by name");

const char *const *temp_sensor_names(void)
{
    return builtin_names;
}

static void list_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NBUILTINS && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", builtins[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int temp_sensor_init(struct temp_sensor *s, const char *sensor_type, double pullup,
                     double inline_resistor, double adc_voltage, double voltage_offset, char *err,
                     size_t errlen)
{
    const struct builtin_sensor *b = NULL;
    for (size_t i = 0; sensor_type && i < NBUILTINS; i++)
        if (strcmp(sensor_type, builtins[i].name) == 0)
            b = &builtins[i];
    if (!b) {
        char known[512];
        list_names(known, sizeof(known));
        for (size_t i = 0; sensor_type && i < sizeof(amplifiers) / sizeof(amplifiers[0]); i++)
            if (strcmp(sensor_type, amplifiers[i]) == 0) {
                seterr(err, errlen,
                       "Temperature sensor '%s' is not implemented yet (implemented: %s)",
                       sensor_type, known);
                return -1;
            }
        seterr(err, errlen, "Unknown temperature sensor '%s' (known: %s)",
               sensor_type ? sensor_type : "", known);
        return -1;
    }
    struct temp_sensor tmp;
    int rc = 0;
    switch (b->kind) {
    case BUILTIN_THREE_POINT:
        rc = temp_sensor_init_thermistor(&tmp, b->t, b->r, pullup, inline_resistor, err, errlen);
        break;
    case BUILTIN_BETA:
        rc = temp_sensor_init_beta(&tmp, b->t[0], b->r[0], b->beta, pullup, inline_resistor, err,
                                   errlen);
        break;
    case BUILTIN_PT1000:
        rc = sensor_table_pt1000(&tmp, pullup, err, errlen);
        break;
    case BUILTIN_PT100_INA826:
        rc = sensor_table_pt100_ina826(&tmp, adc_voltage, voltage_offset, err, errlen);
        break;
    }
    if (rc)
        return -1;
    *s = tmp;
    return 0;
}

int temp_sensor_from_config(struct temp_sensor *s, const struct heater_config *hc, char *err,
                            size_t errlen)
{
    return temp_sensor_init(s, hc->sensor_type, hc->pullup_resistor, hc->inline_resistor,
                            hc->adc_voltage, hc->voltage_offset, err, errlen);
}

double sensor_clamp_ratio(double adc)
{
    if (!(adc > RATIO_MIN))
        return RATIO_MIN;
    return adc < RATIO_MAX ? adc : RATIO_MAX;
}

double temp_sensor_temp(const struct temp_sensor *s, double adc)
{
    if (s->model == TEMP_MODEL_THERMISTOR)
        return thermistor_temp(s, adc);
    /* An amplifier's reading is used as is: NaN (no reading) reads as 0. */
    return sensor_table_temp(s, isnan(adc) ? 0.0 : adc);
}

double temp_sensor_adc(const struct temp_sensor *s, double temp)
{
    double adc =
        s->model == TEMP_MODEL_THERMISTOR ? thermistor_adc(s, temp) : sensor_table_adc(s, temp);
    /* Extrapolated table ends can leave the ADC's range; no reading lies
     * beyond its rails. */
    if (!(adc > 0.0))
        return 0.0;
    return adc < 1.0 ? adc : 1.0;
}

int temp_sensor_mcu_range(const struct temp_sensor *s, double min_temp, double max_temp,
                          double adc_max, int sample_count, uint16_t *min_value,
                          uint16_t *max_value, char *err, size_t errlen)
{
    if (!(adc_max > 0.0) || !isfinite(adc_max) || sample_count < 1) {
        seterr(err, errlen,
               "ADC_MAX %g, sample_count %d: expected a maximum above 0 and at least one "
               "sample",
               adc_max, sample_count);
        return -1;
    }
    double full_scale = adc_max * sample_count;
    if (full_scale >= 65536.0) {
        seterr(err, errlen, "ADC sample_count=%d too large for MCU", sample_count);
        return -1;
    }
    if (isnan(min_temp) || isnan(max_temp)) {
        seterr(err, errlen, "min_temp %g, max_temp %g: expected numbers", min_temp, max_temp);
        return -1;
    }
    double a = temp_sensor_adc(s, min_temp), b = temp_sensor_adc(s, max_temp);
    double lo = a < b ? a : b, hi = a < b ? b : a;
    /* Truncating the low bound and rounding up the high one keeps both
     * limit temperatures themselves inside the accepted range. */
    double lo_sum = floor(lo * full_scale), hi_sum = ceil(hi * full_scale);
    *min_value = (uint16_t)(lo_sum < 0.0 ? 0.0 : lo_sum > 65535.0 ? 65535.0 : lo_sum);
    *max_value = (uint16_t)(hi_sum < 0.0 ? 0.0 : hi_sum > 65535.0 ? 65535.0 : hi_sum);
    return 0;
}

double temp_sensor_normalise(uint32_t value, int sample_count, double adc_max)
{
    return value * (1.0 / (sample_count * adc_max));
}
