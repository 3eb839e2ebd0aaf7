/* The extruder's limits on moves, from Klipper's [extruder] section:
 * extrude-only and retraction moves are limited in length, speed and
 * acceleration; extruding moves in cross section; and the extruder's
 * instantaneous velocity change at a junction. */
#ifndef LOCKSTEP_PLAN_EXTRUDER_H
#define LOCKSTEP_PLAN_EXTRUDER_H

#include <stdbool.h>
#include <stddef.h>

#include "move.h"

struct extruder_limits {
    bool present;                         /* false: E moves are refused */
    double filament_area;                 /* mm^2, pi * (filament_diameter / 2)^2 */
    double nozzle_diameter;               /* mm */
    double max_extrude_cross_section;     /* mm^2 */
    double max_extrude_only_distance;     /* mm of filament */
    double max_extrude_only_velocity;     /* mm/s of filament */
    double max_extrude_only_accel;        /* mm/s^2 of filament */
    double instantaneous_corner_velocity; /* mm/s of filament */
};

/* Klipper's documented defaults: cross section 4 * nozzle_diameter^2,
 * 50 mm extrude-only distance, extrude-only velocity and acceleration
 * those of an XY move of that cross section at max_velocity and
 * max_accel, 1 mm/s corner velocity. */
void extruder_limits_default(struct extruder_limits *x, double nozzle_diameter,
                             double filament_diameter, double max_velocity, double max_accel);

/* Returns -1 (message naming the option) if a limit is unusable. */
int extruder_limits_check(const struct extruder_limits *x, char *err, size_t errlen);

/* Check a move with an E component (axes_d[AXIS_E] != 0) ending at end;
 * e_ratio is the filament per mm along the move (axes_r[AXIS_E]). An
 * extrude-only move (no XY motion) or a retraction has *max_v and *max_a
 * lowered to the extrude-only limits. Returns -1 with Klipper's text if
 * the move is refused. */
int extruder_check_move(const struct extruder_limits *x, const double end[AXIS_COUNT],
                        const double axes_d[AXIS_COUNT], double e_ratio, double *max_v,
                        double *max_a, char *err, size_t errlen);

/* Highest junction speed^2 for the extruder between moves with filament
 * ratios prev_ratio and ratio: its speed may jump by at most the
 * instantaneous corner velocity. no_limit_v2 when the ratios are equal. */
double extruder_junction_v2(const struct extruder_limits *x, double prev_ratio, double ratio,
                            double no_limit_v2);

#endif
