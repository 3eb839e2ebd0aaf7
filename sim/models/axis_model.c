#include "axis_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct axis_model {
    struct axis_params p;
    struct stepper_model *motor;
    double mm_per_microstep; /* signed: negative when reversed */
    int64_t rotor_at_start;
    double position;
    struct endstop_switch sw; /* if p.has_endstop */
    char error[192];
};

void axis_params_default(struct axis_params *p)
{
    *p = (struct axis_params){
        .rotation_distance = 40.0,
        .gear_ratio = 1.0,
        .reversed = false,
        .start_position = 100.0,
        .frame_min = -5.0,
        .frame_max = 205.0,
        .has_endstop = true,
        .endstop_end = AXIS_END_MIN,
        .endstop_position = 0.0,
        .endstop_spread = 0.005,
        .endstop_hysteresis = 0.1,
        .seed = 1,
    };
}

double axis_reflected_inertia(double mass_kg, double rotation_distance_mm, double gear_ratio)
{
    double radius = rotation_distance_mm / 1000.0 / (2.0 * M_PI * gear_ratio);
    return mass_kg * radius * radius;
}

static bool finite_in(const char *name, double v, double lo, double hi, const char *what, char *err,
                      size_t errlen)
{
    if (isfinite(v) && v >= lo && v <= hi)
        return true;
    snprintf(err, errlen, "axis_params.%s: expected %s, got %g", name, what, v);
    return false;
}

struct endstop_switch_params axis_endstop_params(const struct axis_params *p)
{
    return (struct endstop_switch_params){
        .end = p->endstop_end,
        .position = p->endstop_position,
        .spread = p->endstop_spread,
        .hysteresis = p->endstop_hysteresis,
        .seed = p->seed,
    };
}

bool axis_params_valid(const struct axis_params *p, char *err, size_t errlen)
{
    if (!finite_in("rotation_distance", p->rotation_distance, 1e-6, 1e6, "mm > 0", err, errlen) ||
        !finite_in("gear_ratio", p->gear_ratio, 1e-6, 1e6, "a ratio > 0", err, errlen) ||
        !finite_in("frame_min", p->frame_min, -1e6, 1e6, "mm", err, errlen) ||
        !finite_in("frame_max", p->frame_max, p->frame_min + 1e-6, 1e6, "mm above frame_min", err,
                   errlen) ||
        !finite_in("start_position", p->start_position, p->frame_min, p->frame_max,
                   "mm within the frame", err, errlen))
        return false;
    struct endstop_switch_params sw = axis_endstop_params(p);
    return !p->has_endstop ||
           endstop_switch_params_valid(&sw, p->frame_min, p->frame_max, "axis_params", err, errlen);
}

double axis_mm_per_microstep(const struct axis_params *p, const struct stepper_params *sp)
{
    return p->rotation_distance / (p->gear_ratio * sp->full_steps_per_rotation * sp->microsteps) *
           (p->reversed ? -1.0 : 1.0);
}

/* Snap values within rounding noise of a whole microstep onto it before
 * floor/ceil, so that a frame exactly 8000 microsteps away is not 7999. */
static double snap(double v)
{
    double n = nearbyint(v);
    return fabs(v - n) < 1e-6 ? n : v;
}

int axis_rotor_window(double lo_mm, double hi_mm, double start_mm, double mm_per_microstep,
                      int64_t rotor_at_start, int64_t *lo, int64_t *hi)
{
    double r0 = snap((lo_mm - start_mm) / mm_per_microstep);
    double r1 = snap((hi_mm - start_mm) / mm_per_microstep);
    double rlo = fmin(r0, r1), rhi = fmax(r0, r1);
    if (rlo < -4e18 || rhi > 4e18)
        return -1;
    *lo = rotor_at_start + (int64_t)ceil(rlo);
    *hi = rotor_at_start + (int64_t)floor(rhi);
    return 0;
}

static int set_motor_travel(struct axis_model *a, char *err, size_t errlen)
{
    const struct axis_params *p = &a->p;
    int64_t lo, hi;
    if (axis_rotor_window(p->frame_min, p->frame_max, p->start_position, a->mm_per_microstep,
                          a->rotor_at_start, &lo, &hi) < 0) {
        snprintf(err, errlen, "axis_params: the frame is too long for the microstep size");
        return -1;
    }
    if (stepper_model_set_travel(a->motor, lo, hi) < 0) {
        snprintf(err, errlen, "axis: %s", stepper_model_error(a->motor));
        return -1;
    }
    return 0;
}

/* Returns 1 if the reported switch state changed. */
static int update(struct axis_model *a)
{
    int64_t moved = stepper_model_rotor(a->motor) - a->rotor_at_start;
    double x = a->p.start_position + (double)moved * a->mm_per_microstep;
    a->position = fmin(fmax(x, a->p.frame_min), a->p.frame_max);
    return a->p.has_endstop ? endstop_switch_move(&a->sw, a->position) : 0;
}

struct axis_model *axis_model_create(const struct axis_params *p, struct stepper_model *motor,
                                     char *err, size_t errlen)
{
    if (!motor) {
        snprintf(err, errlen, "axis: no motor given");
        return NULL;
    }
    if (!axis_params_valid(p, err, errlen))
        return NULL;
    struct axis_model *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const struct stepper_params *sp = stepper_model_params(motor);
    a->p = *p;
    a->motor = motor;
    a->mm_per_microstep = axis_mm_per_microstep(p, sp);
    a->rotor_at_start = stepper_model_rotor(motor);
    if (set_motor_travel(a, err, errlen) < 0) {
        free(a);
        return NULL;
    }
    a->position = p->start_position;
    if (p->has_endstop) {
        struct endstop_switch_params sw = axis_endstop_params(p);
        endstop_switch_init(&a->sw, &sw, a->position);
    }
    return a;
}

void axis_model_destroy(struct axis_model *a)
{
    free(a);
}

int axis_model_step(struct axis_model *a, uint64_t cycle)
{
    if (stepper_model_step(a->motor, cycle) < 0) {
        snprintf(a->error, sizeof(a->error), "%s", stepper_model_error(a->motor));
        return -1;
    }
    return update(a);
}

const char *axis_model_error(const struct axis_model *a)
{
    return a->error;
}

int axis_model_set_endstop_fault(struct axis_model *a, enum endstop_fault fault)
{
    if (!a->p.has_endstop) {
        snprintf(a->error, sizeof(a->error), "endstop fault: this axis has no endstop");
        return -1;
    }
    return endstop_switch_set_fault(&a->sw, fault, a->error, sizeof(a->error));
}

double axis_model_position(const struct axis_model *a)
{
    return a->position;
}

bool axis_model_endstop_closed(const struct axis_model *a)
{
    return a->p.has_endstop && a->sw.reported;
}

struct stepper_model *axis_model_motor(const struct axis_model *a)
{
    return a->motor;
}

double axis_model_mm_per_microstep(const struct axis_model *a)
{
    return fabs(a->mm_per_microstep);
}

void axis_report_fill(struct axis_report *out, double position, bool has_endstop,
                      const struct endstop_switch *sw)
{
    *out = (struct axis_report){
        .position = position,
        .endstop_closed = has_endstop && sw->reported,
        .switch_pressed = sw->pressed,
        .trigger_point = sw->trigger_point,
        .closures = sw->closures,
        .fault = sw->fault,
    };
}

void axis_model_report(const struct axis_model *a, struct axis_report *out)
{
    axis_report_fill(out, a->position, a->p.has_endstop, &a->sw);
}
