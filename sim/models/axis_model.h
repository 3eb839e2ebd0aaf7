/* The mechanics of one linear axis for the digital twin: a carriage moved
 * by one stepper_model through a pulley or lead screw, hard stops at both
 * ends of the frame, and an endstop switch.
 *
 *   carriage mm = start_position
 *               + (+-1) * (rotor - rotor at creation) * rotation_distance
 *                 / (gear_ratio * full_steps_per_rotation * microsteps)
 *
 * (-1 when reversed). The frame stops the carriage at frame_min and
 * frame_max: the axis sets the motor's travel so that driving into the
 * frame stalls the rotor and loses whole electrical cycles.
 *
 * The endstop is an endstop_switch (endstop_switch.h) on the carriage
 * position. */
#ifndef LOCKSTEP_SIM_MODELS_AXIS_MODEL_H
#define LOCKSTEP_SIM_MODELS_AXIS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endstop_switch.h"
#include "stepper_model.h"

struct axis_params {
    double rotation_distance; /* mm per rotation of the pulley or screw */
    double gear_ratio;        /* motor rotations per pulley rotation (1 without gears) */
    bool reversed;            /* a rotor turning up moves the carriage toward minus */
    double start_position;    /* mm, where the carriage is when the axis is created */
    double frame_min;         /* mm, the hard stops */
    double frame_max;
    bool has_endstop;
    enum axis_end endstop_end;
    double endstop_position;   /* mm, nominal trigger point */
    double endstop_spread;     /* mm, half-width of the trigger point's spread */
    double endstop_hysteresis; /* mm, back-off past the trigger point before it opens */
    uint64_t seed;             /* for the trigger points */
};

/* The X axis of the default RAMPS printer: rotation_distance 40, carriage
 * at 100 mm in a -5..205 mm frame, min endstop at 0 +- 0.005 mm with
 * 0.1 mm hysteresis, seed 1. */
void axis_params_default(struct axis_params *p);

/* Inertia (kg m^2) that a carriage of mass_kg reflects to the motor shaft:
 * m * (rotation_distance / (2 pi gear_ratio))^2, with the distance in
 * metres; for stepper_params.load_inertia. */
double axis_reflected_inertia(double mass_kg, double rotation_distance_mm, double gear_ratio);

/* Whether p is valid; if not, err names axis_params.FIELD and what was
 * expected. */
bool axis_params_valid(const struct axis_params *p, char *err, size_t errlen);
/* The endstop switch that p describes. */
struct endstop_switch_params axis_endstop_params(const struct axis_params *p);
/* Signed mm of carriage (or belt) per microstep of a motor with sp
 * driving p's pulley or screw: negative when p is reversed. */
double axis_mm_per_microstep(const struct axis_params *p, const struct stepper_params *sp);
/* The rotor microsteps that keep a carriage (or belt) between lo_mm and
 * hi_mm, given that rotor_at_start put it at start_mm: whole microsteps
 * inside, rounding noise snapped onto a whole one. Returns -1 if the
 * range is too long for the microstep size. */
int axis_rotor_window(double lo_mm, double hi_mm, double start_mm, double mm_per_microstep,
                      int64_t rotor_at_start, int64_t *lo, int64_t *hi);

struct axis_model;

/* The axis drives motor (not owned; it must outlive the axis) and sets
 * its travel. Returns NULL and fills err (naming the parameter) if p is
 * invalid. */
struct axis_model *axis_model_create(const struct axis_params *p, struct stepper_model *motor,
                                     char *err, size_t errlen);
void axis_model_destroy(struct axis_model *a);

/* A step edge for the motor (dir and enable go to the motor directly).
 * Returns 1 when the endstop's reported state changed at this step, so
 * that the caller drives the pin at this cycle; 0 when it did not; -1 if
 * the motor refused the edge (axis_model_error()). */
int axis_model_step(struct axis_model *a, uint64_t cycle);
const char *axis_model_error(const struct axis_model *a);

/* Returns 1 if the reported endstop state changed, 0 if not, -1 if the
 * axis has no endstop or the fault is unknown. */
int axis_model_set_endstop_fault(struct axis_model *a, enum endstop_fault fault);

/* Carriage position, mm. */
double axis_model_position(const struct axis_model *a);
/* The endstop as the machine reports it (faults applied). */
bool axis_model_endstop_closed(const struct axis_model *a);
struct stepper_model *axis_model_motor(const struct axis_model *a);
double axis_model_mm_per_microstep(const struct axis_model *a);

struct axis_report {
    double position;      /* mm */
    bool endstop_closed;  /* as reported, faults applied */
    bool switch_pressed;  /* the mechanics alone */
    double trigger_point; /* mm: where the switch closes next, or closed */
    uint64_t closures;    /* times the mechanics closed the switch */
    enum endstop_fault fault;
};
void axis_model_report(const struct axis_model *a, struct axis_report *out);
/* An axis report of a carriage at position with switch sw (used only if
 * has_endstop). */
void axis_report_fill(struct axis_report *out, double position, bool has_endstop,
                      const struct endstop_switch *sw);

#endif
