/* A heater in a loop with a simulated hotend: a first-order thermal plant,
 * an ADC that reads it every report period (8 samples of 10 bits, as an
 * AVR), and the PWM changes the heater asks for applied at their times. */
#ifndef LOCKSTEP_TESTS_HEATER_FIXTURE_H
#define LOCKSTEP_TESTS_HEATER_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "heater_control.h"
#include "printer_config.h"

#define AVR_ADC_MAX 1023.0

/* A heater section as the config reader fills it, with Klipper's defaults:
 * pullup 4700, smooth_time 1, max_power 1, min_temp 0, max_temp 300,
 * min_extrude_temp 170, PID 22.2 / 1.08 / 114 (Klipper's example
 * extruder) or watermark with max_delta 2. */
void fixture_heater_config(struct heater_config *hc, const char *sensor_type,
                           enum heater_control control);

/* dT/dt = (ambient + gain * power - T) / tau */
struct plant {
    double temp, ambient, gain, tau;
};
void plant_advance(struct plant *p, double power, double dt);

struct pwm_event {
    double time, value;
};

struct heater_sim {
    struct heater *h;
    struct plant plant;
    double plant_time; /* the plant's state is at this print time */
    double power;      /* applied now */
    struct pwm_event pending[8];
    size_t npending;
    struct pwm_event *sends; /* every PWM change the heater sent */
    size_t nsends, cap;
    unsigned long readings;
    int drop_every; /* lose every Nth report (0: none), as a lossy link would */
    bool stats;     /* call heater_stats() every second (the main loop) */
    double next_stats;
    bool fault;
    char fault_msg[HEATER_MSG_MAX];
};

void sim_init(struct heater_sim *s, struct heater *h, struct plant plant);
void sim_free(struct heater_sim *s);
/* One report period: the reading that starts at read_time, if not lost,
 * is fed to the heater; the plant runs to read_time + report period. */
void sim_step(struct heater_sim *s, double read_time);
/* Reports every TEMP_SENSOR_REPORT_TIME from start up to end. */
void sim_run(struct heater_sim *s, double start, double end);

/* The longest time between consecutive PWM changes while the power was
 * not 0 (the last one counting up to end): what the MCU's max_duration
 * must cover. */
double sim_longest_refresh_gap(const struct heater_sim *s, double end);

#endif
