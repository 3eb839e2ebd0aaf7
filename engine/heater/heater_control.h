/* A heater run the way Klipper's heaters.py runs it: each temperature
 * reading updates the control algorithm (PID or watermark), which asks
 * for a heater power; a new power is sent to the MCU only when it changed
 * enough, or before the last one runs into the pin's max_duration, and it
 * takes effect HEATER_PWM_DELAY after the reading. The smoothed
 * temperature (smooth_time) is what is reported, waited on, and compared
 * with min_extrude_temp.
 *
 * Nothing here reads a clock: times are print times (s) the caller
 * passes, readings must come in time order, and the caller sends the
 * queue_digital_out commands this module asks for. */
#ifndef LOCKSTEP_HEATER_HEATER_CONTROL_H
#define LOCKSTEP_HEATER_HEATER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "temp_sensor.h"

struct heater_config;

/* Klipper's constants (klippy/extras/heaters.py). */
#define HEATER_MAX_HEAT_TIME 3.0       /* s: the heater pin's max_duration */
#define HEATER_PID_PARAM_BASE 255.0    /* pid_Kp/Ki/Kd are in 1/255ths of full power */
#define HEATER_AMBIENT_TEMP 25.0       /* C: PID's assumed temperature before any reading */
#define HEATER_MIN_PWM_CHANGE 0.05     /* smaller power changes are not sent */
#define HEATER_MAX_MAINTHREAD_TIME 5.0 /* s: power is cut this long after heater_stats() stops */
#define HEATER_QUELL_STALE_TIME 7.0    /* s: older readings report as 0 C */
#define HEATER_PID_SETTLE_DELTA 1.0    /* C: M109/M190 wait until this close ... */
#define HEATER_PID_SETTLE_SLOPE 0.1    /* C/s: ... and changing no faster than this */
/* A new power takes effect one report period after the reading it answers,
 * so that it lands after the next ADC sample and after the PWM cycle in
 * progress. */
#define HEATER_PWM_DELAY TEMP_SENSOR_REPORT_TIME
/* An unchanged, non-zero power is sent again with the first reading at
 * or after this long past the last send's pwm_time. With readings every
 * report period the resend takes effect at most 2.7 s after the last one
 * (3.0 s with one reading lost): inside the MCU's max_duration. */
#define HEATER_REFRESH_TIME (HEATER_MAX_HEAT_TIME - (3.0 * HEATER_PWM_DELAY + 0.001))

/* The toolhead's refusal when the extruder is colder than min_extrude_temp. */
#define HEATER_TEXT_EXTRUDE_BELOW_MIN                                                              \
    "Extrude below minimum temp\nSee the 'min_extrude_temp' config option for details"

#define HEATER_NAME_MAX 48
#define HEATER_MSG_MAX 200

struct heater;

/* What one reading asks of the caller. */
struct heater_output {
    bool send;        /* send queue_digital_out: pwm_value from pwm_time on */
    double pwm_time;  /* print time (s) the new power takes effect */
    double pwm_value; /* duty cycle 0..max_power */
    bool fault;       /* shut the printer down; msg says why */
    char msg[HEATER_MSG_MAX];
};

/* name: "extruder", "heater_bed", as messages name the heater. Returns
 * NULL with a message for a sensor this module cannot read or options out
 * of range (the config reader has checked them already). */
struct heater *heater_create(const char *name, const struct heater_config *hc, char *err,
                             size_t errlen);
void heater_free(struct heater *h);

const char *heater_name(const struct heater *h);
const struct temp_sensor *heater_sensor(const struct heater *h);

/* M104/M140/SET_HEATER_TEMPERATURE: 0 turns the heater off; anything else
 * must lie in min_temp..max_temp, or -1 with Klipper's "Requested
 * temperature (300.0) out of range (0.0:250.0)" and the target unchanged. */
int heater_set_target(struct heater *h, double degrees, char *err, size_t errlen);
double heater_target(const struct heater *h);

/* A temperature measured at print time `time`. Fills *out; returns 0, or
 * -1 with a message (and no state change) for a time before the previous
 * reading's or a non-finite value. A reading outside min_temp..max_temp
 * TEMP_SENSOR_RANGE_CHECK_COUNT times in a row is a fault, as the MCU's
 * range check would make it ("Heater extruder: temperature 312.4 outside
 * min_temp..max_temp (0.0:250.0)"); after a fault, or heater_shutdown(),
 * the power stays 0. */
int heater_temperature_update(struct heater *h, double time, double temp, struct heater_output *out,
                              char *err, size_t errlen);
/* An analog_in_state report: read_time is the print time of its
 * next_clock minus the report period (when the samples began), adc the
 * normalised sum. The temperature is dated at the end of the samples. */
int heater_adc_update(struct heater *h, double read_time, double adc, struct heater_output *out,
                      char *err, size_t errlen);

/* query_analog_in's limits for this heater's min_temp..max_temp on an MCU
 * with that ADC_MAX (1023 on AVR), with TEMP_SENSOR_SAMPLE_COUNT samples. */
int heater_mcu_adc_range(const struct heater *h, double adc_max, uint16_t *min_value,
                         uint16_t *max_value, char *err, size_t errlen);

/* Klipper's once-a-second stats: proof that the main loop still runs.
 * Readings later than print_time + HEATER_MAX_MAINTHREAD_TIME get power 0,
 * so until the first call the heater does not heat, as in Klipper. Writes
 * "extruder: target=200 temp=199.8 pwm=0.412" into buf (may be NULL) and
 * returns whether the heater is active (a target, or above 50 C). */
bool heater_stats(struct heater *h, double print_time, char *buf, size_t len);

/* The smoothed temperature and the target as M105 and verify_heater see
 * them: 0 C when the last reading is older than HEATER_QUELL_STALE_TIME. */
void heater_get_temp(const struct heater *h, double print_time, double *temp, double *target);

struct heater_status {
    double temperature; /* smoothed */
    double last_temp;   /* the last reading as measured */
    double target;
    double power; /* the last power sent */
};
void heater_get_status(const struct heater *h, struct heater_status *st);

/* M109/M190 wait while this is true: PID until within
 * HEATER_PID_SETTLE_DELTA and HEATER_PID_SETTLE_SLOPE; watermark while
 * below target - max_delta. */
bool heater_check_busy(const struct heater *h);

/* The smoothed temperature has reached min_extrude_temp (always, when
 * that is 0 or less). Klipper's batch mode skips the check; the caller
 * decides. */
bool heater_can_extrude(const struct heater *h);
/* The same as a toolhead_can_extrude_fn (ctx is the heater). */
int heater_can_extrude_cb(void *heater);

/* The printer shut down: no power from now on. */
void heater_shutdown(struct heater *h);

#endif
