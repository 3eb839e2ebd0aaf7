/* The toolpath as the engine planned it: every move the lookahead
 * planner finalised, kept compact (64 bytes a move) for drawing, with
 * its layers, extent and speed range.
 *
 * Times start on the planner's print-time axis; aligning a trace
 * (viz_align.h) moves them onto the trace's time axis. */
#ifndef LOCKSTEP_VIZ_PLAN_H
#define LOCKSTEP_VIZ_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct move;

enum viz_move_kind {
    VIZ_EXTRUDE, /* extrudes while moving in XY */
    VIZ_TRAVEL,  /* any other motion of the toolhead */
    VIZ_HOMING,  /* a homing approach: starts where the toolhead was declared, not where it was */
    VIZ_E_ONLY,  /* filament only (retract, prime): nothing to draw */
};

enum viz_move_flags {
    VIZ_MOVE_DEVIATES = 1, /* the executed position differed from the plan (viz_align) */
    VIZ_MOVE_NOT_RUN = 2,  /* planned, but the trace shows no steps for it */
};

struct viz_move {
    double t;                         /* s: start of the move on the timeline */
    float from[3], to[3];             /* mm, x y z */
    float accel_t, cruise_t, decel_t; /* s */
    float start_v, cruise_v, end_v;   /* mm/s along the move */
    uint32_t layer;
    uint8_t kind, flags;
};

struct viz_layer {
    uint32_t first; /* index of its first move; a layer runs to the next one's first */
    float z;        /* mm: the height it extrudes at */
};

struct viz_plan {
    struct viz_move *moves;
    size_t n, cap;
    struct viz_layer *layers;
    size_t nlayers, layer_cap;
    /* After viz_plan_finish: the extent of the extrusion (of all
     * non-homing motion if nothing extrudes; the outermost 0.5% of move
     * ends left out when there are many), the fastest cruise speed of
     * the extrusion (of all motion), the end of the last move. */
    float lo[3], hi[3];
    float vmax;
    double t_end;
    size_t counts[4]; /* moves of each kind */
    /* The machine's travel limits from [stepper_x]/[stepper_y], when known. */
    bool has_bed;
    float bed_lo[2], bed_hi[2];
    /* G-code lines the engine refused while planning, and the first answer. */
    unsigned long refused;
    char first_refusal[160];
    /* Building state. The toolhead starts at 0, 0, 0: a first move
     * from elsewhere was declared there (a homing approach). */
    double last_end[3];
    size_t last_extrude; /* index of the latest extruding move, or SIZE_MAX */
};

void viz_plan_init(struct viz_plan *p);
void viz_plan_free(struct viz_plan *p);

/* Append a planned move (in print-time order). -1 when out of memory. */
int viz_plan_add(struct viz_plan *p, const struct move *m);
/* Compute the extent, speed range and end time; call once all are added. */
void viz_plan_finish(struct viz_plan *p);

static inline double viz_move_duration(const struct viz_move *m)
{
    return (double)m->accel_t + m->cruise_t + m->decel_t;
}
static inline double viz_move_end(const struct viz_move *m)
{
    return m->t + viz_move_duration(m);
}
/* Distance along the move (mm) and speed (mm/s) dt seconds after its start. */
double viz_move_dist_at(const struct viz_move *m, double dt);
double viz_move_speed_at(const struct viz_move *m, double dt);
double viz_move_length(const struct viz_move *m);
/* The distance its speed profile covers (mm), and the time after the
 * start at which it has covered d. */
double viz_move_profile_length(const struct viz_move *m);
double viz_move_time_at_dist(const struct viz_move *m, double d);
/* Position at time t (clamped to the move). */
void viz_move_pos_at(const struct viz_move *m, double t, float out[3]);

/* How many moves start at or before t (moves are in time order). */
size_t viz_plan_count_started(const struct viz_plan *p, double t);
/* The layer a move index falls in (moves are in layer order). */
uint32_t viz_plan_layer_of(const struct viz_plan *p, size_t move);
/* The moves of layers lo..hi: [*first, *end). */
void viz_plan_layer_range(const struct viz_plan *p, uint32_t lo, uint32_t hi, size_t *first,
                          size_t *end);

#endif
