/* Shared by the sensor models of temp_sensor.c. */
#ifndef LOCKSTEP_HEATER_TEMP_SENSOR_INTERNAL_H
#define LOCKSTEP_HEATER_TEMP_SENSOR_INTERNAL_H

#include "temp_sensor.h"

/* Steinhart-Hart thermistor (thermistor.c). */
double thermistor_temp(const struct temp_sensor *s, double adc);
double thermistor_adc(const struct temp_sensor *s, double temp);

/* Piecewise linear tables, extrapolated from the end segments
 * (sensor_table.c). */
int sensor_table_pt1000(struct temp_sensor *s, double pullup, char *err, size_t errlen);
int sensor_table_pt100_ina826(struct temp_sensor *s, double adc_voltage, double voltage_offset,
                              char *err, size_t errlen);
double sensor_table_temp(const struct temp_sensor *s, double adc);
double sensor_table_adc(const struct temp_sensor *s, double temp);

/* The divider ratio a resistive sensor is read as, kept off the rails so
 * that a shorted or open sensor still gives a finite resistance. */
double sensor_clamp_ratio(double adc);

#endif
