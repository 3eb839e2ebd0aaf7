/* The toolhead: commanded position, limits, move validation and the
 * lookahead queue, emitting planned moves on the print timeline.
 *
 * Moves are checked (kinematics: homing and range, Z limits; extruder:
 * extrude-only length, cross section, min_extrude_temp through a
 * callback) and queued; a refused move changes nothing. Queued moves are
 * emitted to the sink, in order, once later moves can no longer change
 * them, or on toolhead_flush(). Each emitted move starts where the one
 * before it ended, at the print time where that one ended.
 *
 * Speeds are mm/s along the move; the caller converts G-code feed rates
 * and applies the M220 speed factor. The sink may not call back into the
 * toolhead. */
#ifndef LOCKSTEP_PLAN_TOOLHEAD_H
#define LOCKSTEP_PLAN_TOOLHEAD_H

#include <stddef.h>

#include "extruder.h"
#include "kinematics.h"
#include "move.h"

/* [printer] limits; SET_VELOCITY_LIMIT and M204 change them at run time. */
struct toolhead_limits {
    double max_velocity;           /* mm/s, > 0 */
    double max_accel;              /* mm/s^2, > 0 */
    double minimum_cruise_ratio;   /* 0 <= r < 1 */
    double square_corner_velocity; /* mm/s, >= 0 */
};

typedef void (*toolhead_sink_fn)(void *ctx, const struct move *m);
/* Nonzero when the extruder is hot enough (min_extrude_temp). */
typedef int (*toolhead_can_extrude_fn)(void *ctx);

struct toolhead_config {
    struct toolhead_limits limits;
    struct kin_config kin;
    struct extruder_limits extruder;
    double start_print_time; /* s: where the first move starts */
    double lookahead_time;   /* s of queued moves between lazy flushes; 0: Klipper's 0.25 */
    toolhead_sink_fn sink;   /* may be NULL */
    void *sink_ctx;
};

struct toolhead;

/* Returns NULL with a message naming the option for a bad configuration. */
struct toolhead *toolhead_new(const struct toolhead_config *cfg, char *err, size_t errlen);
void toolhead_free(struct toolhead *th);

/* Move to end (x, y, z, e in mm) at speed mm/s. A move shorter than 1 nm
 * in x, y, z is extrude-only; one that goes nowhere is accepted and
 * ignored. Returns -1 with the reason (Klipper's texts) otherwise. */
int toolhead_move(struct toolhead *th, const double end[AXIS_COUNT], double speed, char *err,
                  size_t errlen);

/* Emit every queued move, stopping after the last. */
void toolhead_flush(struct toolhead *th);
/* Flush, then leave the toolhead still for seconds (negative: 0). */
int toolhead_dwell(struct toolhead *th, double seconds, char *err, size_t errlen);
/* Flush and return the print time at which the last move ends. */
double toolhead_get_last_move_time(struct toolhead *th);
/* Restart the timeline at print_time, earlier or later, with no move
 * queued (a homing move that a trigger cut short). */
int toolhead_set_print_time(struct toolhead *th, double print_time, char *err, size_t errlen);

/* Flush, then declare the position (G92, SET_KINEMATIC_POSITION, after
 * homing); the axes in homing_axes (AXIS_BIT mask) become homed. */
int toolhead_set_position(struct toolhead *th, const double pos[AXIS_COUNT], unsigned homing_axes,
                          char *err, size_t errlen);
void toolhead_get_position(const struct toolhead *th, double pos[AXIS_COUNT]);

/* New limits apply to moves queued from now on. */
int toolhead_set_limits(struct toolhead *th, const struct toolhead_limits *lim, char *err,
                        size_t errlen);
void toolhead_get_limits(const struct toolhead *th, struct toolhead_limits *lim);

/* NULL: extrusion is always allowed (the default). */
void toolhead_set_can_extrude(struct toolhead *th, toolhead_can_extrude_fn fn, void *ctx);

/* Homing state lives here: motors off is kinematics_clear_homing(). */
struct kinematics *toolhead_kinematics(struct toolhead *th);
const struct extruder_limits *toolhead_extruder(const struct toolhead *th);
size_t toolhead_queued_moves(const struct toolhead *th);

#endif
