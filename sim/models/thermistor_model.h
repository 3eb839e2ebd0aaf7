/* NTC thermistors as a board reads them: a pull-up resistor from the ADC
 * reference to the analog pin, an optional inline resistor and the
 * thermistor from the pin to ground (RAMPS: 4.7 kOhm to 5 V, the
 * ATmega2560's 10-bit ADC referenced to the same 5 V).
 *
 * A thermistor is described the way Klipper describes it, by the
 * Steinhart-Hart equation 1/T = c1 + c2 ln(R) + c3 ln(R)^3 (T in kelvin,
 * R in ohms) fitted through three temperature/resistance points, or by a
 * beta (c3 = 0). Temperatures in this interface are in degrees Celsius,
 * voltages in millivolts. */
#ifndef LOCKSTEP_SIM_MODELS_THERMISTOR_MODEL_H
#define LOCKSTEP_SIM_MODELS_THERMISTOR_MODEL_H

#include <stddef.h>

/* Add to a Celsius temperature to get kelvin. */
#define THERMISTOR_KELVIN 273.15

struct thermistor {
    double c1, c2, c3; /* Steinhart-Hart coefficients; c2 > 0, c3 >= 0 */
};

struct thermistor_divider {
    double pullup_ohms; /* from vref to the pin; > 0 */
    double inline_ohms; /* in series with the thermistor; >= 0 */
    double vref_mv;     /* the pull-up's supply, also the ADC reference; > 0 */
};

/* 4.7 kOhm pull-up to 5000 mV, no inline resistor: a RAMPS board, and
 * Klipper's pullup_resistor / inline_resistor defaults. */
struct thermistor_divider thermistor_divider_ramps(void);

/* Fits the curve through three points, as Klipper's [thermistor] section
 * does with temperature1/resistance1 .. temperature3/resistance3: the
 * points are taken in order of temperature, and when the three-point fit
 * would need c3 <= 0 the thermistor becomes the beta through the coldest
 * and the hottest point. Returns 0, or -1 with a message in err (naming
 * the option) and *th unchanged. */
int thermistor_from_points(struct thermistor *th, const double temp_c[3], const double ohms[3],
                           char *err, size_t errlen);
/* R = ohms * exp(beta * (1/T - 1/T1)), T1 = temp_c in kelvin. */
int thermistor_from_beta(struct thermistor *th, double temp_c, double ohms, double beta, char *err,
                         size_t errlen);
/* One of Klipper's built-in thermistors by its sensor_type name ("EPCOS
 * 100K B57560G104F", "ATC Semitec 104GT-2", "Generic 3950", ...). Returns
 * 0, or -1 (*th unchanged) for a name that is not a thermistor. */
int thermistor_by_name(struct thermistor *th, const char *sensor_type);
/* The built-in names, i = 0, 1, ...; NULL after the last. */
const char *thermistor_builtin_name(size_t i);

/* 0 when the coefficients describe a resistance falling with temperature
 * (c2 > 0, c3 >= 0, all finite); else -1 and a message in err. */
int thermistor_check(const struct thermistor *th, char *err, size_t errlen);
int thermistor_divider_check(const struct thermistor_divider *d, char *err, size_t errlen);

/* Resistance in ohms at a temperature: +infinity at or below absolute
 * zero, NaN for NaN. */
double thermistor_resistance(const struct thermistor *th, double temp_c);
/* The inverse: NaN when ohms is not positive or the curve gives no
 * temperature for it. */
double thermistor_temp_at_resistance(const struct thermistor *th, double ohms);

/* Voltage on the pin at a temperature: vref * Rs / (Rs + pullup) with
 * Rs = R(temp) + inline. */
double thermistor_pin_mv(const struct thermistor *th, const struct thermistor_divider *d,
                         double temp_c);
/* The temperature a pin voltage stands for, as the host converts it; NaN
 * for a voltage no temperature gives (0 and below, vref and above, or
 * below what the inline resistor alone gives). */
double thermistor_temp_at_mv(const struct thermistor *th, const struct thermistor_divider *d,
                             double mv);

/* Wiring faults as the pin sees them: an open thermistor leaves the pin
 * on its pull-up, a short pulls it to ground. */
double thermistor_open_mv(const struct thermistor_divider *d);
double thermistor_short_mv(const struct thermistor_divider *d);

#endif
