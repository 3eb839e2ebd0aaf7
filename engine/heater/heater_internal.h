/* The heater's state, shared by heater_control.c and the control
 * algorithms in heater_algo.c. */
#ifndef LOCKSTEP_HEATER_HEATER_INTERNAL_H
#define LOCKSTEP_HEATER_HEATER_INTERNAL_H

#include "heater_control.h"
#include "printer_config.h"

struct pid_state {
    double kp, ki, kd; /* per degree, already divided by HEATER_PID_PARAM_BASE */
    double integ_max;  /* the integral that alone gives max_power */
    double prev_temp, prev_time;
    double prev_deriv; /* C/s, averaged over smooth_time */
    double prev_integ; /* C*s */
};

struct watermark_state {
    double max_delta;
    bool heating;
};

struct heater {
    char name[HEATER_NAME_MAX];
    struct temp_sensor sensor;
    enum heater_control control;
    struct pid_state pid;
    struct watermark_state wm;
    double min_temp, max_temp, min_extrude_temp, max_power, smooth_time;

    double target;
    double last_temp, last_temp_time, smoothed_temp;
    bool can_extrude;
    int range_errors; /* consecutive readings outside min_temp..max_temp */

    double next_pwm_time, last_pwm_value;
    double mainthread_deadline;
    bool is_shutdown;
};

/* The power the algorithm asks for after a reading (0..max_power). */
double heater_algo_update(struct heater *h, double time, double temp);
bool heater_algo_busy(const struct heater *h);
void heater_algo_init(struct heater *h, const struct heater_config *hc);

#endif
