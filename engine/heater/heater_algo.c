/* Klipper's two control algorithms: watermark (bang-bang with max_delta
 * hysteresis) and PID on the raw readings, with the derivative averaged
 * over smooth_time and the integral kept within what max_power needs. */
#include "heater_internal.h"

#include <math.h>

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void heater_algo_init(struct heater *h, const struct heater_config *hc)
{
    if (h->control == HEATER_CONTROL_WATERMARK) {
        h->wm.max_delta = hc->max_delta;
        h->wm.heating = false;
        return;
    }
    struct pid_state *p = &h->pid;
    p->kp = hc->pid_kp / HEATER_PID_PARAM_BASE;
    p->ki = hc->pid_ki / HEATER_PID_PARAM_BASE;
    p->kd = hc->pid_kd / HEATER_PID_PARAM_BASE;
    p->integ_max = p->ki != 0.0 ? h->max_power / p->ki : 0.0;
    p->prev_temp = HEATER_AMBIENT_TEMP;
    p->prev_time = 0.0;
    p->prev_deriv = 0.0;
    p->prev_integ = 0.0;
}

static double watermark_update(struct heater *h, double temp)
{
    struct watermark_state *w = &h->wm;
    if (w->heating && temp >= h->target + w->max_delta)
        w->heating = false;
    else if (!w->heating && temp <= h->target - w->max_delta)
        w->heating = true;
    return w->heating ? h->max_power : 0.0;
}

static double pid_update(struct heater *h, double time, double temp)
{
    struct pid_state *p = &h->pid;
    double dt = time - p->prev_time;
    double dtemp = temp - p->prev_temp;
    /* Readings closer together than smooth_time blend into the previous
     * slope in proportion, so one noisy reading cannot kick the output. */
    double deriv;
    if (dt >= h->smooth_time)
        deriv = dtemp / dt;
    else
        deriv = (p->prev_deriv * (h->smooth_time - dt) + dtemp) / h->smooth_time;
    double error = h->target - temp;
    double integ = clamp(p->prev_integ + error * dt, 0.0, p->integ_max);
    double co = p->kp * error + p->ki * integ - p->kd * deriv;
    double power = clamp(co, 0.0, h->max_power);
    p->prev_temp = temp;
    p->prev_time = time;
    p->prev_deriv = deriv;
    /* While the output is saturated the integral is frozen, so it does not
     * wind up during a long heat-up. */
    if (co == power)
        p->prev_integ = integ;
    return power;
}

double heater_algo_update(struct heater *h, double time, double temp)
{
    if (h->control == HEATER_CONTROL_WATERMARK)
        return watermark_update(h, temp);
    return pid_update(h, time, temp);
}

bool heater_algo_busy(const struct heater *h)
{
    if (h->control == HEATER_CONTROL_WATERMARK)
        return h->smoothed_temp < h->target - h->wm.max_delta;
    return fabs(h->target - h->smoothed_temp) > HEATER_PID_SETTLE_DELTA ||
           fabs(h->pid.prev_deriv) > HEATER_PID_SETTLE_SLOPE;
}
