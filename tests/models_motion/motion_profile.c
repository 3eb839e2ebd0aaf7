#include "motion_profile.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

void profile_init(struct profile *p, long n, double v, double a)
{
    double d = (double)n;
    /* Peak speed limited by what two ramps over d can reach. */
    double v_reach = sqrt(a * d);
    if (v > v_reach)
        v = v_reach;
    p->n = n;
    p->v = v;
    p->a = a;
    double ramp = v * v / (2.0 * a);
    p->d_accel = ramp;
    p->d_cruise = d - ramp;
    p->t_accel = v / a;
    p->t_cruise = p->t_accel + (p->d_cruise - p->d_accel) / v;
    p->t_total = p->t_cruise + v / a;
}

double profile_step_time(const struct profile *p, long k)
{
    return profile_time_at(p, (double)k - 0.5);
}

double profile_time_at(const struct profile *p, double x)
{
    if (x <= p->d_accel)
        return sqrt(2.0 * x / p->a);
    if (x <= p->d_cruise)
        return p->t_accel + (x - p->d_accel) / p->v;
    /* Decelerating: x - d_cruise = v t - a t^2 / 2. */
    double left = p->v * p->v - 2.0 * p->a * (x - p->d_cruise);
    return p->t_cruise + (p->v - sqrt(left > 0.0 ? left : 0.0)) / p->a;
}

void drive_init(struct drive *d, struct stepper_model *motor, struct axis_model *axis)
{
    *d = (struct drive){
        .motor = motor,
        .axis = axis,
        .clock_hz = stepper_model_params(motor)->clock_hz,
        .now = 1000,
        .first_close = NAN,
    };
}

void fit_equal_intervals(const uint64_t *ideal, size_t n, uint64_t max_err, uint64_t *out)
{
    size_t i = 0;
    while (i < n) {
        /* Start each run on an ideal time, then extend it while one
         * whole interval keeps every step within max_err. */
        uint64_t base = ideal[i];
        out[i] = base;
        double lo = 0.0, hi = INFINITY;
        size_t j = i + 1;
        uint64_t interval = 0;
        for (; j < n; j++) {
            double span = (double)(j - i);
            double t = (double)(ideal[j] - base);
            double nlo = fmax(lo, (t - (double)max_err) / span);
            double nhi = fmin(hi, (t + (double)max_err) / span);
            if (ceil(nlo) > floor(nhi))
                break;
            lo = nlo;
            hi = nhi;
        }
        if (j > i + 1) {
            double pick = fmin(fmax(nearbyint((lo + hi) / 2.0), ceil(lo)), floor(hi));
            interval = (uint64_t)fmax(pick, 1.0);
        }
        for (size_t k = i + 1; k < j; k++)
            out[k] = base + (uint64_t)(k - i) * interval;
        i = j;
    }
}

long drive_move(struct drive *d, long n, double v, double a)
{
    long count = labs(n);
    assert_int_equal(stepper_model_set_dir(d->motor, d->now, n > 0), 0);
    uint64_t start = d->now + 160; /* 10 us of dir setup */
    uint64_t *times = malloc(sizeof(uint64_t) * (size_t)(count ? count : 1));
    assert_non_null(times);
    struct profile p;
    profile_init(&p, count, v, a);
    for (long k = 1; k <= count; k++)
        times[k - 1] = start + (uint64_t)llround(profile_step_time(&p, k) * d->clock_hz);
    if (d->max_err > 0.0) {
        uint64_t *fitted = malloc(sizeof(uint64_t) * (size_t)(count ? count : 1));
        assert_non_null(fitted);
        fit_equal_intervals(times, (size_t)count, (uint64_t)llround(d->max_err * d->clock_hz),
                            fitted);
        free(times);
        times = fitted;
    }
    long taken = 0;
    uint64_t end = start;
    for (long k = 0; k < count; k++) {
        end = times[k];
        taken++;
        if (d->axis) {
            int changed = axis_model_step(d->axis, times[k]);
            assert_true(changed >= 0);
            if (changed) {
                d->changes++;
                bool closed = axis_model_endstop_closed(d->axis);
                if (closed && isnan(d->first_close))
                    d->first_close = axis_model_position(d->axis);
                if (closed && d->stop_on_close)
                    break;
            }
        } else {
            assert_int_equal(stepper_model_step(d->motor, times[k]), 0);
        }
        if (d->check_cycles > 0) {
            struct stepper_report r;
            stepper_model_report(d->motor, &r);
            assert_int_equal(r.lost % d->check_cycles, 0);
            assert_int_equal((r.commanded - r.rotor) % d->check_cycles, 0);
        }
    }
    free(times);
    d->now = end + (uint64_t)llround(0.05 * d->clock_hz);
    return taken;
}

long drive_move_mm(struct drive *d, double mm, double v_mm, double a_mm)
{
    double per_mm = 1.0 / axis_model_mm_per_microstep(d->axis);
    return drive_move(d, lround(mm * per_mm), v_mm * per_mm, a_mm * per_mm);
}
