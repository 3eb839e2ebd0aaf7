/* The heater around its control algorithm: targets, smoothing, the PWM
 * update rule, the host-side range check and the extrusion check. */
#include "errmsg.h"
#include "heater_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Klipper starts with no main-loop proof, so the heater is held off until
 * the first heater_stats(). */
#define NO_MAINTHREAD_YET -999.0

/* heater_stats() counts a heater above this as active even without a
 * target (it is still cooling down). */
#define ACTIVE_TEMP 50.0

static int check_options(const char *name, const struct heater_config *hc, char *err, size_t errlen)
{
    if (!(hc->min_temp < hc->max_temp) || !isfinite(hc->min_temp) || !isfinite(hc->max_temp)) {
        seterr(err, errlen, "Heater %s: min_temp %g, max_temp %g: expected min < max", name,
               hc->min_temp, hc->max_temp);
        return -1;
    }
    if (!(hc->max_power > 0.0 && hc->max_power <= 1.0)) {
        seterr(err, errlen, "Heater %s: max_power %g: expected a number above 0, up to 1", name,
               hc->max_power);
        return -1;
    }
    if (!(hc->smooth_time > 0.0) || !isfinite(hc->smooth_time)) {
        seterr(err, errlen, "Heater %s: smooth_time %g: expected a number above 0", name,
               hc->smooth_time);
        return -1;
    }
    if (isnan(hc->min_extrude_temp)) {
        seterr(err, errlen, "Heater %s: min_extrude_temp: expected a number", name);
        return -1;
    }
    if (hc->control == HEATER_CONTROL_WATERMARK) {
        if (!(hc->max_delta > 0.0) || !isfinite(hc->max_delta)) {
            seterr(err, errlen, "Heater %s: max_delta %g: expected a number above 0", name,
                   hc->max_delta);
            return -1;
        }
    } else if (hc->control == HEATER_CONTROL_PID) {
        if (!isfinite(hc->pid_kp) || !isfinite(hc->pid_ki) || !isfinite(hc->pid_kd)) {
            seterr(err, errlen, "Heater %s: pid_Kp, pid_Ki, pid_Kd: expected numbers", name);
            return -1;
        }
    } else {
        seterr(err, errlen, "Heater %s: control: expected watermark or pid", name);
        return -1;
    }
    return 0;
}

struct heater *heater_create(const char *name, const struct heater_config *hc, char *err,
                             size_t errlen)
{
    if (!name || !*name || strlen(name) >= HEATER_NAME_MAX) {
        seterr(err, errlen, "Heater name '%s': expected 1 to %d characters", name ? name : "",
               HEATER_NAME_MAX - 1);
        return NULL;
    }
    struct temp_sensor sensor;
    char why[HEATER_MSG_MAX * 3];
    if (temp_sensor_from_config(&sensor, hc, why, sizeof(why))) {
        seterr(err, errlen, "Heater %s: %s", name, why);
        return NULL;
    }
    if (check_options(name, hc, err, errlen))
        return NULL;
    struct heater *h = calloc(1, sizeof(*h));
    if (!h) {
        seterr(err, errlen, "Heater %s: out of memory", name);
        return NULL;
    }
    snprintf(h->name, sizeof(h->name), "%s", name);
    h->sensor = sensor;
    h->control = hc->control;
    h->min_temp = hc->min_temp;
    h->max_temp = hc->max_temp;
    h->min_extrude_temp = hc->min_extrude_temp;
    h->max_power = hc->max_power;
    h->smooth_time = hc->smooth_time;
    h->can_extrude = h->min_extrude_temp <= 0.0;
    h->mainthread_deadline = NO_MAINTHREAD_YET;
    heater_algo_init(h, hc);
    return h;
}

void heater_free(struct heater *h)
{
    free(h);
}

const char *heater_name(const struct heater *h)
{
    return h->name;
}

const struct temp_sensor *heater_sensor(const struct heater *h)
{
    return &h->sensor;
}

int heater_set_target(struct heater *h, double degrees, char *err, size_t errlen)
{
    /* Written so that NaN fails the range test too. */
    if (degrees != 0.0 && !(degrees >= h->min_temp && degrees <= h->max_temp)) {
        seterr(err, errlen, "Requested temperature (%.1f) out of range (%.1f:%.1f)", degrees,
               h->min_temp, h->max_temp);
        return -1;
    }
    h->target = degrees;
    return 0;
}

double heater_target(const struct heater *h)
{
    return h->target;
}

/* Decide whether the power the algorithm asked for goes to the MCU. */
static void set_pwm(struct heater *h, double read_time, double value, struct heater_output *out)
{
    if (h->target <= 0.0 || read_time > h->mainthread_deadline || h->is_shutdown)
        value = 0.0;
    /* A heater that is off has no max_duration deadline to refresh; one
     * that is on is refreshed once next_pwm_time passes. */
    bool refresh_due = read_time >= h->next_pwm_time && h->last_pwm_value != 0.0;
    if (!refresh_due && fabs(value - h->last_pwm_value) < HEATER_MIN_PWM_CHANGE)
        return;
    double pwm_time = read_time + HEATER_PWM_DELAY;
    h->next_pwm_time = pwm_time + HEATER_REFRESH_TIME;
    h->last_pwm_value = value;
    out->send = true;
    out->pwm_time = pwm_time;
    out->pwm_value = value;
}

static void check_range(struct heater *h, double temp, struct heater_output *out)
{
    if (temp >= h->min_temp && temp <= h->max_temp) {
        h->range_errors = 0;
        return;
    }
    if (++h->range_errors < TEMP_SENSOR_RANGE_CHECK_COUNT || h->is_shutdown)
        return;
    h->is_shutdown = true;
    out->fault = true;
    snprintf(out->msg, sizeof(out->msg),
             "Heater %s: temperature %.1f outside min_temp..max_temp (%.1f:%.1f)", h->name, temp,
             h->min_temp, h->max_temp);
}

int heater_temperature_update(struct heater *h, double time, double temp, struct heater_output *out,
                              char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!isfinite(time) || !isfinite(temp)) {
        seterr(err, errlen, "Heater %s: reading %g C at %g s: expected finite numbers", h->name,
               temp, time);
        return -1;
    }
    if (time < h->last_temp_time) {
        seterr(err, errlen, "Heater %s: reading at %.6f s is older than the previous one at %.6f s",
               h->name, time, h->last_temp_time);
        return -1;
    }
    double since_last = time - h->last_temp_time;
    h->last_temp = temp;
    h->last_temp_time = time;
    check_range(h, temp, out);
    set_pwm(h, time, heater_algo_update(h, time, temp), out);
    /* First-order smoothing with time constant smooth_time; a gap longer
     * than that simply takes the new reading. */
    double weight = since_last / h->smooth_time;
    h->smoothed_temp += (temp - h->smoothed_temp) * (weight < 1.0 ? weight : 1.0);
    h->can_extrude = h->smoothed_temp >= h->min_extrude_temp;
    return 0;
}

int heater_adc_update(struct heater *h, double read_time, double adc, struct heater_output *out,
                      char *err, size_t errlen)
{
    if (isnan(adc)) {
        memset(out, 0, sizeof(*out));
        seterr(err, errlen, "Heater %s: ADC reading at %g s is not a number", h->name, read_time);
        return -1;
    }
    double temp = temp_sensor_temp(&h->sensor, adc);
    double time = read_time + TEMP_SENSOR_SAMPLE_COUNT * TEMP_SENSOR_SAMPLE_TIME;
    return heater_temperature_update(h, time, temp, out, err, errlen);
}

int heater_mcu_adc_range(const struct heater *h, double adc_max, uint16_t *min_value,
                         uint16_t *max_value, char *err, size_t errlen)
{
    return temp_sensor_mcu_range(&h->sensor, h->min_temp, h->max_temp, adc_max,
                                 TEMP_SENSOR_SAMPLE_COUNT, min_value, max_value, err, errlen);
}

bool heater_stats(struct heater *h, double print_time, char *buf, size_t len)
{
    if (!h->is_shutdown)
        h->mainthread_deadline = print_time + HEATER_MAX_MAINTHREAD_TIME;
    if (buf && len)
        snprintf(buf, len, "%s: target=%.0f temp=%.1f pwm=%.3f", h->name, h->target, h->last_temp,
                 h->last_pwm_value);
    return h->target != 0.0 || h->last_temp > ACTIVE_TEMP;
}

void heater_get_temp(const struct heater *h, double print_time, double *temp, double *target)
{
    *target = h->target;
    *temp = h->last_temp_time < print_time - HEATER_QUELL_STALE_TIME ? 0.0 : h->smoothed_temp;
}

void heater_get_status(const struct heater *h, struct heater_status *st)
{
    st->temperature = h->smoothed_temp;
    st->last_temp = h->last_temp;
    st->target = h->target;
    st->power = h->last_pwm_value;
}

bool heater_check_busy(const struct heater *h)
{
    return heater_algo_busy(h);
}

bool heater_can_extrude(const struct heater *h)
{
    return h->can_extrude;
}

int heater_can_extrude_cb(void *heater)
{
    return heater_can_extrude(heater);
}

void heater_shutdown(struct heater *h)
{
    h->is_shutdown = true;
    h->mainthread_deadline = NO_MAINTHREAD_YET;
}
