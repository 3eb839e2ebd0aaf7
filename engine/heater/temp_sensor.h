/* Temperature sensors read through an MCU's ADC, by Klipper's sensor_type
 * names: thermistors (Steinhart-Hart or beta, with pullup_resistor and
 * inline_resistor), PT1000 on a pull-up, and the PT100 INA826 amplifier.
 *
 * The ADC value is normalised to 0..1: the analog_in_state sum divided by
 * sample_count * ADC_MAX (1023 on AVR). For the resistive sensors it is
 * the divider ratio r / (pullup + r). Temperatures are Celsius. */
#ifndef LOCKSTEP_HEATER_TEMP_SENSOR_H
#define LOCKSTEP_HEATER_TEMP_SENSOR_H

#include <stddef.h>
#include <stdint.h>

struct heater_config;

/* How Klipper samples an ADC sensor: SAMPLE_COUNT readings SAMPLE_TIME
 * apart, reported every REPORT_TIME; the MCU shuts down after
 * RANGE_CHECK_COUNT reports in a row outside min_temp..max_temp. */
#define TEMP_SENSOR_SAMPLE_TIME 0.001
#define TEMP_SENSOR_SAMPLE_COUNT 8
#define TEMP_SENSOR_REPORT_TIME 0.300
#define TEMP_SENSOR_RANGE_CHECK_COUNT 4

#define TEMP_KELVIN_TO_CELSIUS -273.15

/* Longest built-in table (PT1000: 0..490 C in 10 C steps). */
#define TEMP_SENSOR_TABLE_MAX 50

enum temp_sensor_model {
    TEMP_MODEL_THERMISTOR,       /* 1/T = c1 + c2 ln R + c3 (ln R)^3 */
    TEMP_MODEL_RESISTANCE_TABLE, /* resistance -> temperature, piecewise linear */
    TEMP_MODEL_VOLTAGE_TABLE,    /* ADC value -> temperature, piecewise linear */
};

/* A value type; fill it with temp_sensor_init() or one of the custom
 * initialisers. */
struct temp_sensor {
    enum temp_sensor_model model;
    double pullup;          /* ohm: thermistor, resistance table */
    double inline_resistor; /* ohm: thermistor */
    double c1, c2, c3;      /* thermistor */
    /* Tables: key (resistance in ohm, or normalised ADC value) ascending,
     * with the temperature at each. */
    size_t npoints;
    double key[TEMP_SENSOR_TABLE_MAX];
    double temp[TEMP_SENSOR_TABLE_MAX];
};

/* A built-in sensor by its sensor_type name (exact, as in Klipper).
 * pullup and inline_resistor apply to thermistors (pullup also to PT1000);
 * adc_voltage and voltage_offset to amplifiers. Returns 0, or -1 with a
 * message leaving *s untouched: "Unknown temperature sensor 'Foo' (known:
 * EPCOS 100K B57560G104F, ...)", or a resistance that is not above 0. */
int temp_sensor_init(struct temp_sensor *s, const char *sensor_type, double pullup,
                     double inline_resistor, double adc_voltage, double voltage_offset, char *err,
                     size_t errlen);
/* The same from a heater section's options. */
int temp_sensor_from_config(struct temp_sensor *s, const struct heater_config *hc, char *err,
                            size_t errlen);

/* Thermistors defined by three (temperature, resistance) points, or by one
 * point and beta, as a [thermistor NAME] section does. Three points whose
 * Steinhart-Hart fit has c3 <= 0 fall back to the beta through the first
 * and last point, as Klipper does. */
int temp_sensor_init_thermistor(struct temp_sensor *s, const double t[3], const double r[3],
                                double pullup, double inline_resistor, char *err, size_t errlen);
int temp_sensor_init_beta(struct temp_sensor *s, double t1, double r1, double beta, double pullup,
                          double inline_resistor, char *err, size_t errlen);

/* Built-in sensor_type names, NULL-terminated. */
const char *const *temp_sensor_names(void);

/* Normalised ADC value -> Celsius. Resistive sensors clamp the value to
 * 0.00001..0.99999 (an open or shorted sensor reads as a finite extreme). */
double temp_sensor_temp(const struct temp_sensor *s, double adc);
/* Celsius -> normalised ADC value (1 at or below absolute zero for
 * thermistors). */
double temp_sensor_adc(const struct temp_sensor *s, double temp);

/* query_analog_in's min_value/max_value for min_temp..max_temp on an MCU
 * whose ADC reads 0..adc_max, with Klipper's rounding (min truncated, max
 * rounded up, both clamped to 16 bits). Returns -1 when sample_count *
 * adc_max does not fit in 16 bits ("ADC sample_count=8 too large for
 * MCU") or the arguments are not finite and positive. */
int temp_sensor_mcu_range(const struct temp_sensor *s, double min_temp, double max_temp,
                          double adc_max, int sample_count, uint16_t *min_value,
                          uint16_t *max_value, char *err, size_t errlen);

/* An analog_in_state sum as a normalised value. */
double temp_sensor_normalise(uint32_t value, int sample_count, double adc_max);

#endif
