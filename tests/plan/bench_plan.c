/* Planner throughput: pushes short print-like moves (seeded, so every run
 * plans the same moves) through the toolhead and prints moves per second.
 *
 * usage: bench_plan [MOVES]   (default 10000000) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "toolhead.h"

struct tally {
    uint64_t moves;
    double distance;
};

static void count_move(void *ctx, const struct move *m)
{
    struct tally *t = ctx;
    t->moves++;
    t->distance += m->move_d;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static double rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000L;
    if (n <= 0) {
        fprintf(stderr, "usage: %s [MOVES]\n", argv[0]);
        return 2;
    }
    struct tally tally = {0};
    struct toolhead_config cfg = {
        .limits = {.max_velocity = 300.0,
                   .max_accel = 3000.0,
                   .minimum_cruise_ratio = 0.5,
                   .square_corner_velocity = 5.0},
        .kin = {.type = KIN_CARTESIAN,
                .position_max = {250.0, 250.0, 250.0},
                .max_z_velocity = 15.0,
                .max_z_accel = 300.0},
        .sink = count_move,
        .sink_ctx = &tally,
    };
    extruder_limits_default(&cfg.extruder, 0.4, 1.75, 300.0, 3000.0);
    char err[256];
    struct toolhead *th = toolhead_new(&cfg, err, sizeof(err));
    if (!th) {
        fprintf(stderr, "bench_plan: %s\n", err);
        return 1;
    }
    double pos[AXIS_COUNT] = {125.0, 125.0, 0.2, 0.0};
    if (toolhead_set_position(th, pos, AXES_XYZ, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_plan: %s\n", err);
        return 1;
    }
    /* Short segments of a wandering curve with occasional sharp turns,
     * extruding, as a sliced perimeter or infill looks to the planner. */
    double heading = 0.0;
    long refused = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        heading += rnd() < 0.1 ? (rnd() - 0.5) * M_PI * 1.5 : (rnd() - 0.5) * 0.3;
        double len = 0.2 + 2.0 * rnd();
        double nx = pos[AXIS_X] + len * cos(heading), ny = pos[AXIS_Y] + len * sin(heading);
        if (nx < 5.0 || nx > 245.0 || ny < 5.0 || ny > 245.0) {
            heading += M_PI;
            nx = pos[AXIS_X] - len * cos(heading - M_PI);
            ny = pos[AXIS_Y] - len * sin(heading - M_PI);
        }
        pos[AXIS_X] = nx;
        pos[AXIS_Y] = ny;
        pos[AXIS_E] += 0.033 * len;
        if (toolhead_move(th, pos, 40.0 + 160.0 * rnd(), err, sizeof(err)) != 0) {
            refused++;
            toolhead_get_position(th, pos);
        }
    }
    double print_end = toolhead_get_last_move_time(th);
    double elapsed = now() - t0;
    printf("bench_plan: %ld moves queued (%ld refused), %llu emitted, %.0f mm, "
           "%.1f s of printing\n",
           n, refused, (unsigned long long)tally.moves, tally.distance, print_end);
    printf("bench_plan: %.3f s, %.2f M moves/s\n", elapsed, (double)n / elapsed / 1e6);
    toolhead_free(th);
    return refused ? 1 : 0;
}
