#include "trapezoid.h"

#include <math.h>

/* Time over a ramp is its distance divided by its average speed, so that
 * the phase distances add up to move_d however the speeds round. */
static double ramp_time(double d, double v0, double v1)
{
    return d > 0.0 ? d / (0.5 * (v0 + v1)) : 0.0;
}

void trapezoid_set(struct move *m, double start_v2, double cruise_v2, double end_v2)
{
    double half_inv_accel = 0.5 / m->accel;
    double accel_d = (cruise_v2 - start_v2) * half_inv_accel;
    double decel_d = (cruise_v2 - end_v2) * half_inv_accel;
    double cruise_d = m->move_d - accel_d - decel_d;
    if (accel_d < 0.0)
        accel_d = 0.0;
    if (decel_d < 0.0)
        decel_d = 0.0;
    if (cruise_d < 0.0)
        cruise_d = 0.0;
    m->start_v = sqrt(start_v2);
    m->cruise_v = sqrt(cruise_v2);
    m->end_v = sqrt(end_v2);
    m->accel_t = ramp_time(accel_d, m->start_v, m->cruise_v);
    m->cruise_t = m->cruise_v > 0.0 ? cruise_d / m->cruise_v : 0.0;
    m->decel_t = ramp_time(decel_d, m->end_v, m->cruise_v);
}

void trapezoid_plan(const struct trapezoid_request *rq, struct move *m)
{
    double delta_v2 = 2.0 * rq->move_d * rq->accel;
    double smooth_delta_v2 = delta_v2 * (1.0 - rq->minimum_cruise_ratio);
    double start_v2 = fmin(fmin(rq->start_v2, rq->end_v2 + delta_v2), rq->max_cruise_v2);
    double end_v2 = fmin(fmin(rq->end_v2, start_v2 + delta_v2), rq->max_cruise_v2);
    double base_v2 = 0.5 * (start_v2 + end_v2);
    double junction_v2 = fmax(start_v2, end_v2);
    double cruise_v2 = fmin(rq->max_cruise_v2, base_v2 + 0.5 * delta_v2);
    cruise_v2 = fmin(cruise_v2, fmax(base_v2 + 0.5 * smooth_delta_v2, junction_v2));
    m->move_d = rq->move_d;
    m->accel = rq->accel;
    trapezoid_set(m, start_v2, cruise_v2, end_v2);
}
