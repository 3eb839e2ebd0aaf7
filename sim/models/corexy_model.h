/* The gantry of a corexy printer for the digital twin: two motors on
 * crossed belts move one carriage in x and y.
 *
 *   a = x + y,  b = x - y      (mm of belt; a is stepper_x's motor, b stepper_y's)
 *   x = (a + b) / 2,  y = (a - b) / 2
 *
 * each motor's belt mm being (+-1) * rotor * rotation_distance /
 * (gear_ratio * full_steps_per_rotation * microsteps) from where it
 * started. The frame stops the carriage in x and in y; a step that would
 * take the carriage past a stop stalls that motor (its travel is set from
 * the other motor's rotor after every step), so driving into the frame
 * loses whole electrical cycles as on a cartesian rail. Each carriage
 * coordinate has its own endstop_switch, as [stepper_x] and [stepper_y]
 * configure them on a corexy printer. */
#ifndef LOCKSTEP_SIM_MODELS_COREXY_MODEL_H
#define LOCKSTEP_SIM_MODELS_COREXY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "axis_model.h"

enum { COREXY_X, COREXY_Y };
#define COREXY_X_CHANGED 1
#define COREXY_Y_CHANGED 2

struct corexy_model;

/* p[COREXY_X] gives motor a's pulley (rotation_distance, gear_ratio,
 * reversed) and the carriage's x (start_position, frame, endstop);
 * p[COREXY_Y] motor b's and y's. The motors are not owned. Returns NULL
 * and fills err (naming the parameter) if the parameters are invalid. */
struct corexy_model *corexy_model_create(const struct axis_params p[2],
                                         struct stepper_model *motor[2], char *err, size_t errlen);
void corexy_model_destroy(struct corexy_model *g);

/* A step edge of motor COREXY_X (a) or COREXY_Y (b). Returns a mask of
 * COREXY_X_CHANGED / COREXY_Y_CHANGED for the switches whose reported
 * state changed at this step; -1 if the motor refused the edge. */
int corexy_model_step(struct corexy_model *g, int motor, uint64_t cycle);
const char *corexy_model_error(const struct corexy_model *g);

/* Returns 1 if the reported state changed, 0 if not, -1 if the axis has
 * no endstop or the fault is unknown. */
int corexy_model_set_endstop_fault(struct corexy_model *g, int axis, enum endstop_fault fault);

/* Carriage x or y, mm. */
double corexy_model_position(const struct corexy_model *g, int axis);
bool corexy_model_endstop_closed(const struct corexy_model *g, int axis);
void corexy_model_report(const struct corexy_model *g, int axis, struct axis_report *out);

#endif
