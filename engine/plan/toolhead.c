#include "toolhead.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lookahead.h"
#include "errmsg.h"

/* Below this the x, y, z travel is treated as none (extrude-only). */
#define MIN_KINEMATIC_D 1e-9
/* Acceleration of an extrude-only move before the extruder limits it. */
#define UNLIMITED_ACCEL 99999999.9

struct toolhead {
    double pos[AXIS_COUNT]; /* commanded: the end of the last queued move */
    double print_time;      /* end of the last emitted move or dwell */
    struct toolhead_limits limits;
    double junction_deviation; /* mm */
    double accel_to_decel;     /* mm/s^2 of the smoothed profile */
    struct kinematics kin;
    struct extruder_limits extruder;
    toolhead_can_extrude_fn can_extrude;
    void *can_extrude_ctx;
    toolhead_sink_fn sink;
    void *sink_ctx;
    struct lookahead la;
};

static int check_limits(const struct toolhead_limits *l, char *err, size_t errlen)
{
    if (!(l->max_velocity > 0.0) || !isfinite(l->max_velocity)) {
        seterr(err, errlen, "[printer] max_velocity must be above 0 (got %g)", l->max_velocity);
        return -1;
    }
    if (!(l->max_accel > 0.0) || !isfinite(l->max_accel)) {
        seterr(err, errlen, "[printer] max_accel must be above 0 (got %g)", l->max_accel);
        return -1;
    }
    if (!(l->minimum_cruise_ratio >= 0.0 && l->minimum_cruise_ratio < 1.0)) {
        seterr(err, errlen,
               "[printer] minimum_cruise_ratio must be at least 0 and below 1 (got %g)",
               l->minimum_cruise_ratio);
        return -1;
    }
    if (!(l->square_corner_velocity >= 0.0) || !isfinite(l->square_corner_velocity)) {
        seterr(err, errlen, "[printer] square_corner_velocity must be at least 0 (got %g)",
               l->square_corner_velocity);
        return -1;
    }
    return 0;
}

static void apply_limits(struct toolhead *th, const struct toolhead_limits *l)
{
    th->limits = *l;
    /* The deviation that makes a 90 degree corner's circle allow exactly
     * square_corner_velocity at max_accel. */
    double scv = l->square_corner_velocity;
    th->junction_deviation = scv * scv * (M_SQRT2 - 1.0) / l->max_accel;
    th->accel_to_decel = l->max_accel * (1.0 - l->minimum_cruise_ratio);
}

static void emit_move(void *ctx, const struct move *m)
{
    struct toolhead *th = ctx;
    struct move out = *m;
    out.print_time = th->print_time;
    th->print_time += move_duration(&out);
    if (th->sink)
        th->sink(th->sink_ctx, &out);
}

struct toolhead *toolhead_new(const struct toolhead_config *cfg, char *err, size_t errlen)
{
    if (check_limits(&cfg->limits, err, errlen) != 0 ||
        extruder_limits_check(&cfg->extruder, err, errlen) != 0)
        return NULL;
    if (!isfinite(cfg->start_print_time) || !isfinite(cfg->lookahead_time)) {
        seterr(err, errlen, "toolhead: start_print_time and lookahead_time must be finite");
        return NULL;
    }
    struct toolhead *th = calloc(1, sizeof(*th));
    if (!th) {
        seterr(err, errlen, "toolhead: out of memory");
        return NULL;
    }
    if (kinematics_init(&th->kin, &cfg->kin, err, errlen) != 0) {
        free(th);
        return NULL;
    }
    apply_limits(th, &cfg->limits);
    th->extruder = cfg->extruder;
    th->print_time = cfg->start_print_time;
    th->sink = cfg->sink;
    th->sink_ctx = cfg->sink_ctx;
    if (lookahead_init(&th->la, cfg->lookahead_time, &th->extruder, emit_move, th) != 0) {
        seterr(err, errlen, "toolhead: out of memory");
        free(th);
        return NULL;
    }
    return th;
}

void toolhead_free(struct toolhead *th)
{
    if (!th)
        return;
    lookahead_release(&th->la);
    free(th);
}

static int check_position(const double pos[AXIS_COUNT], char *err, size_t errlen)
{
    for (int i = 0; i < AXIS_COUNT; i++) {
        if (!isfinite(pos[i])) {
            seterr(err, errlen, "Invalid position: %c is %g (expected a finite number)", "XYZE"[i],
                   pos[i]);
            return -1;
        }
    }
    return 0;
}

int toolhead_move(struct toolhead *th, const double end_in[AXIS_COUNT], double speed, char *err,
                  size_t errlen)
{
    if (check_position(end_in, err, errlen) != 0)
        return -1;
    if (!(speed > 0.0) || !isfinite(speed)) {
        seterr(err, errlen, "Invalid speed: %g mm/s (expected above 0)", speed);
        return -1;
    }
    double end[AXIS_COUNT], axes_d[AXIS_COUNT];
    for (int i = 0; i < AXIS_COUNT; i++) {
        end[i] = end_in[i];
        axes_d[i] = end[i] - th->pos[i];
    }
    double move_d = sqrt(axes_d[AXIS_X] * axes_d[AXIS_X] + axes_d[AXIS_Y] * axes_d[AXIS_Y] +
                         axes_d[AXIS_Z] * axes_d[AXIS_Z]);
    double max_v = fmin(speed, th->limits.max_velocity);
    double max_a = th->limits.max_accel;
    bool kinematic = move_d >= MIN_KINEMATIC_D;
    if (!kinematic) {
        /* The head stays put, so the speed limits of the extruder alone
         * apply; a sub-nanometre x, y, z change is dropped. */
        for (int i = AXIS_X; i <= AXIS_Z; i++) {
            end[i] = th->pos[i];
            axes_d[i] = 0.0;
        }
        move_d = fabs(axes_d[AXIS_E]);
        max_v = speed;
        max_a = UNLIMITED_ACCEL;
    }
    if (move_d == 0.0)
        return 0;
    if (!isfinite(move_d)) {
        seterr(err, errlen, "Move too long: its length overflows: %g %g %g [%g]", end[AXIS_X],
               end[AXIS_Y], end[AXIS_Z], end[AXIS_E]);
        return -1;
    }
    double axes_r[AXIS_COUNT];
    for (int i = 0; i < AXIS_COUNT; i++)
        axes_r[i] = axes_d[i] / move_d;
    if (kinematic &&
        kinematics_check_move(&th->kin, end, axes_d, move_d, &max_v, &max_a, err, errlen) != 0)
        return -1;
    if (axes_d[AXIS_E] != 0.0) {
        if (th->extruder.present && th->can_extrude && !th->can_extrude(th->can_extrude_ctx)) {
            seterr(err, errlen,
                   "Extrude below minimum temp\n"
                   "See the 'min_extrude_temp' config option for details");
            return -1;
        }
        if (extruder_check_move(&th->extruder, end, axes_d, axes_r[AXIS_E], &max_v, &max_a, err,
                                errlen) != 0)
            return -1;
    }
    /* A speed whose square vanishes would give a move of no duration. */
    if (!(max_v * max_v > 0.0) || !isfinite(move_d / max_v)) {
        seterr(err, errlen, "Invalid speed: %g mm/s (too slow to plan)", max_v);
        return -1;
    }
    struct lookahead_move mv = {0};
    memcpy(mv.m.start_pos, th->pos, sizeof(mv.m.start_pos));
    memcpy(mv.m.axes_r, axes_r, sizeof(mv.m.axes_r));
    mv.m.move_d = move_d;
    mv.m.accel = max_a;
    mv.max_cruise_v2 = max_v * max_v;
    mv.delta_v2 = 2.0 * move_d * max_a;
    mv.smooth_delta_v2 = 2.0 * move_d * fmin(max_a, th->accel_to_decel);
    mv.junction_deviation = th->junction_deviation;
    mv.min_move_t = move_d / max_v;
    mv.is_kinematic = kinematic;
    if (lookahead_add(&th->la, &mv) != 0) {
        seterr(err, errlen, "toolhead: out of memory for the move queue");
        return -1;
    }
    memcpy(th->pos, end, sizeof(th->pos));
    return 0;
}

void toolhead_flush(struct toolhead *th)
{
    lookahead_flush(&th->la, false);
}

int toolhead_dwell(struct toolhead *th, double seconds, char *err, size_t errlen)
{
    if (isnan(seconds) || isinf(seconds)) {
        seterr(err, errlen, "Invalid dwell: %g s (expected a finite number)", seconds);
        return -1;
    }
    toolhead_flush(th);
    if (seconds > 0.0)
        th->print_time += seconds;
    return 0;
}

int toolhead_set_print_time(struct toolhead *th, double print_time, char *err, size_t errlen)
{
    if (!isfinite(print_time) || toolhead_queued_moves(th)) {
        seterr(err, errlen, "toolhead: print time can only be set while no move is queued");
        return -1;
    }
    th->print_time = print_time;
    return 0;
}

double toolhead_get_last_move_time(struct toolhead *th)
{
    toolhead_flush(th);
    return th->print_time;
}

int toolhead_set_position(struct toolhead *th, const double pos[AXIS_COUNT], unsigned homing_axes,
                          char *err, size_t errlen)
{
    if (check_position(pos, err, errlen) != 0)
        return -1;
    toolhead_flush(th);
    memcpy(th->pos, pos, sizeof(th->pos));
    kinematics_set_homed(&th->kin, homing_axes);
    return 0;
}

void toolhead_get_position(const struct toolhead *th, double pos[AXIS_COUNT])
{
    memcpy(pos, th->pos, sizeof(th->pos));
}

int toolhead_set_limits(struct toolhead *th, const struct toolhead_limits *lim, char *err,
                        size_t errlen)
{
    if (check_limits(lim, err, errlen) != 0)
        return -1;
    apply_limits(th, lim);
    return 0;
}

void toolhead_get_limits(const struct toolhead *th, struct toolhead_limits *lim)
{
    *lim = th->limits;
}

void toolhead_set_can_extrude(struct toolhead *th, toolhead_can_extrude_fn fn, void *ctx)
{
    th->can_extrude = fn;
    th->can_extrude_ctx = ctx;
}

struct kinematics *toolhead_kinematics(struct toolhead *th)
{
    return &th->kin;
}

const struct extruder_limits *toolhead_extruder(const struct toolhead *th)
{
    return &th->extruder;
}

size_t toolhead_queued_moves(const struct toolhead *th)
{
    return lookahead_count(&th->la);
}
