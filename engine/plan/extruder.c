#include "extruder.h"

#include <math.h>

#include "errmsg.h"

void extruder_limits_default(struct extruder_limits *x, double nozzle_diameter,
                             double filament_diameter, double max_velocity, double max_accel)
{
    double radius = 0.5 * filament_diameter;
    x->present = true;
    x->filament_area = M_PI * radius * radius;
    x->nozzle_diameter = nozzle_diameter;
    x->max_extrude_cross_section = 4.0 * nozzle_diameter * nozzle_diameter;
    double ratio = x->max_extrude_cross_section / x->filament_area;
    x->max_extrude_only_distance = 50.0;
    x->max_extrude_only_velocity = max_velocity * ratio;
    x->max_extrude_only_accel = max_accel * ratio;
    x->instantaneous_corner_velocity = 1.0;
}

static int positive(double v, const char *name, char *err, size_t errlen)
{
    if (v > 0.0 && isfinite(v))
        return 0;
    seterr(err, errlen, "[extruder] %s must be above 0 (got %g)", name, v);
    return -1;
}

int extruder_limits_check(const struct extruder_limits *x, char *err, size_t errlen)
{
    if (!x->present)
        return 0;
    if (positive(x->filament_area, "filament_area", err, errlen) ||
        positive(x->nozzle_diameter, "nozzle_diameter", err, errlen) ||
        positive(x->max_extrude_cross_section, "max_extrude_cross_section", err, errlen) ||
        positive(x->max_extrude_only_velocity, "max_extrude_only_velocity", err, errlen) ||
        positive(x->max_extrude_only_accel, "max_extrude_only_accel", err, errlen))
        return -1;
    if (!(x->max_extrude_only_distance >= 0.0) || !isfinite(x->max_extrude_only_distance)) {
        seterr(err, errlen, "[extruder] max_extrude_only_distance must be at least 0 (got %g)",
               x->max_extrude_only_distance);
        return -1;
    }
    if (!(x->instantaneous_corner_velocity >= 0.0) || !isfinite(x->instantaneous_corner_velocity)) {
        seterr(err, errlen, "[extruder] instantaneous_corner_velocity must be at least 0 (got %g)",
               x->instantaneous_corner_velocity);
        return -1;
    }
    return 0;
}

int extruder_check_move(const struct extruder_limits *x, const double end[AXIS_COUNT],
                        const double axes_d[AXIS_COUNT], double e_ratio, double *max_v,
                        double *max_a, char *err, size_t errlen)
{
    if (!x->present) {
        seterr(err, errlen, "Extrude when no extruder present: %.3f %.3f %.3f [%.3f]", end[AXIS_X],
               end[AXIS_Y], end[AXIS_Z], end[AXIS_E]);
        return -1;
    }
    double e_d = axes_d[AXIS_E];
    if ((axes_d[AXIS_X] == 0.0 && axes_d[AXIS_Y] == 0.0) || e_ratio < 0.0) {
        if (fabs(e_d) > x->max_extrude_only_distance) {
            seterr(err, errlen,
                   "Extrude only move too long (%.3fmm vs %.3fmm)\n"
                   "See the 'max_extrude_only_distance' config option for details",
                   e_d, x->max_extrude_only_distance);
            return -1;
        }
        /* The filament limits apply to the filament; along the move they
         * scale by how many mm the move covers per mm of filament. */
        double inv_ratio = 1.0 / fabs(e_ratio);
        *max_v = fmin(*max_v, x->max_extrude_only_velocity * inv_ratio);
        *max_a = fmin(*max_a, x->max_extrude_only_accel * inv_ratio);
        return 0;
    }
    double max_ratio = x->max_extrude_cross_section / x->filament_area;
    if (e_ratio <= max_ratio)
        return 0;
    /* A blob no longer than the nozzle's own width is tolerated: short
     * wipes and primes otherwise trip the check. */
    if (e_d <= x->nozzle_diameter * max_ratio)
        return 0;
    seterr(err, errlen,
           "Move exceeds maximum extrusion (%.3fmm^2 vs %.3fmm^2)\n"
           "See the 'max_extrude_cross_section' config option for details",
           e_ratio * x->filament_area, max_ratio * x->filament_area);
    return -1;
}

double extruder_junction_v2(const struct extruder_limits *x, double prev_ratio, double ratio,
                            double no_limit_v2)
{
    double diff = fabs(ratio - prev_ratio);
    if (diff == 0.0)
        return no_limit_v2;
    double v = x->instantaneous_corner_velocity / diff;
    return v * v;
}
