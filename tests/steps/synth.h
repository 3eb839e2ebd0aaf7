/* Synthetic prints for tests and the benchmark: a random toolpath of
 * short moves planned the way a lookahead planner does (junction speeds
 * from the cornering angle, a backward and a forward pass, trapezoids),
 * with extrusion, retractions and layer changes. Deterministic for a
 * seed. */
#ifndef LOCKSTEP_TESTS_STEPS_SYNTH_H
#define LOCKSTEP_TESTS_STEPS_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "move.h"

struct synth_config {
    uint64_t seed;
    double accel;           /* mm/s^2 */
    double square_corner_v; /* mm/s */
    double v_min, v_max;    /* each run of moves cruises at a speed limit in this range */
    double d_min, d_max;    /* move lengths, mm */
    double extrude_per_mm;  /* e per mm of xy travel on printing moves */
    int retract_every;      /* moves between travel+retract sequences (0: none) */
    int layer_every;        /* moves between 0.2 mm layer changes (0: none) */
};

struct synth_moves {
    struct move *v;
    size_t n, cap;
    double end_time;
};

void synth_default(struct synth_config *c, uint64_t seed);
/* Append about nmoves moves (a print ends at rest). */
void synth_generate(const struct synth_config *c, size_t nmoves, struct synth_moves *out);
void synth_free(struct synth_moves *m);

/* One move from p0 to p1 with the given speeds (a single trapezoid;
 * start_v, end_v reachable): for hand-made test sequences. */
struct move synth_move(double print_time, const double p0[AXIS_COUNT], const double p1[AXIS_COUNT],
                       double start_v, double cruise_v, double end_v, double accel);

#endif
