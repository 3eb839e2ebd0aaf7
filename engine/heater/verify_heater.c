/* Klipper's verify_heater check, one tick at a time. */
#include "verify_heater.h"
#include "errmsg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_MAX_ERROR 120.0
#define DEFAULT_GAIN_TIME 20.0
#define DEFAULT_BED_GAIN_TIME 60.0
#define DEFAULT_HYSTERESIS 5.0
#define DEFAULT_HEATING_GAIN 2.0
#define MIN_GAIN_TIME 1.0
/* A caller that jumps far ahead gets the last hour of checks, not a loop
 * over every second it skipped. */
#define MAX_CATCHUP_CHECKS 3600.0

void verify_heater_defaults(const char *heater_name, struct verify_heater_params *p)
{
    p->max_error = DEFAULT_MAX_ERROR;
    p->check_gain_time = heater_name && strcmp(heater_name, "heater_bed") == 0
                             ? DEFAULT_BED_GAIN_TIME
                             : DEFAULT_GAIN_TIME;
    p->hysteresis = DEFAULT_HYSTERESIS;
    p->heating_gain = DEFAULT_HEATING_GAIN;
}

int verify_heater_init(struct verify_heater *v, const char *heater_name,
                       const struct verify_heater_params *p, char *err, size_t errlen)
{
    if (!heater_name || !*heater_name || strlen(heater_name) >= sizeof(v->heater_name)) {
        seterr(err, errlen, "verify_heater: heater name '%s': expected 1 to %zu characters",
               heater_name ? heater_name : "", sizeof(v->heater_name) - 1);
        return -1;
    }
    const char *bad = NULL, *want = NULL;
    double value = 0.0;
    if (!(p->max_error >= 0.0) || !isfinite(p->max_error))
        bad = "max_error", want = "a number of at least 0", value = p->max_error;
    else if (!(p->check_gain_time >= MIN_GAIN_TIME) || !isfinite(p->check_gain_time))
        bad = "check_gain_time", want = "a number of at least 1", value = p->check_gain_time;
    else if (!(p->hysteresis >= 0.0) || !isfinite(p->hysteresis))
        bad = "hysteresis", want = "a number of at least 0", value = p->hysteresis;
    else if (!(p->heating_gain > 0.0) || !isfinite(p->heating_gain))
        bad = "heating_gain", want = "a number above 0", value = p->heating_gain;
    if (bad) {
        seterr(err, errlen, "[verify_heater %s] option '%s': expected %s, got %g", heater_name, bad,
               want, value);
        return -1;
    }
    memset(v, 0, sizeof(*v));
    snprintf(v->heater_name, sizeof(v->heater_name), "%s", heater_name);
    v->p = *p;
    return 0;
}

/* One check at time t; true when it fires. */
static bool check_once(struct verify_heater *v, double t, double temp, double target)
{
    const struct verify_heater_params *p = &v->p;
    if (temp >= target - p->hysteresis || target <= 0.0) {
        /* In range (or off): nothing to verify. Above the range the error
         * is kept, so overshooting does not wipe a deficit. */
        v->approaching = v->starting_approach = false;
        if (temp <= target + p->hysteresis)
            v->error = 0.0;
        v->last_target = target;
        return false;
    }
    v->error += (target - p->hysteresis) - temp;
    if (!v->approaching) {
        if (target != v->last_target) {
            v->approaching = v->starting_approach = true;
            v->goal_temp = temp + p->heating_gain;
            v->goal_time = t + p->check_gain_time;
        } else if (v->error >= p->max_error) {
            return true;
        }
    } else if (temp >= v->goal_temp) {
        /* Still gaining: clear the deficit and set the next goal. */
        v->starting_approach = false;
        v->error = 0.0;
        v->goal_temp = temp + p->heating_gain;
        v->goal_time = t + p->check_gain_time;
    } else if (t >= v->goal_time) {
        v->approaching = false;
    } else if (v->starting_approach) {
        /* A heater may dip right after switching on (a fan, a cold
         * block): the first goal follows the lowest temperature seen. */
        if (temp + p->heating_gain < v->goal_temp)
            v->goal_temp = temp + p->heating_gain;
    }
    v->last_target = target;
    return false;
}

int verify_heater_check(struct verify_heater *v, double now, double temp, double target, char *msg,
                        size_t msglen)
{
    if (!isfinite(now) || !isfinite(temp) || !isfinite(target)) {
        seterr(msg, msglen,
               "verify_heater %s: time %g, temperature %g, target %g: expected finite "
               "numbers",
               v->heater_name, now, temp, target);
        return -1;
    }
    if (v->fired)
        return 1;
    if (!v->started) {
        v->started = true;
        v->next_check = now;
    }
    if (now - v->next_check > MAX_CATCHUP_CHECKS * VERIFY_HEATER_CHECK_PERIOD)
        v->next_check +=
            floor((now - v->next_check) / VERIFY_HEATER_CHECK_PERIOD - MAX_CATCHUP_CHECKS) *
            VERIFY_HEATER_CHECK_PERIOD;
    while (v->next_check <= now) {
        double t = v->next_check;
        v->next_check += VERIFY_HEATER_CHECK_PERIOD;
        if (check_once(v, t, temp, target)) {
            v->fired = true;
            seterr(msg, msglen, VERIFY_HEATER_TEXT VERIFY_HEATER_HINT, v->heater_name);
            return 1;
        }
    }
    return 0;
}
