/* Helpers for the viewer's tests: planning a file with the engine, a
 * trace made from a plan the way an ideal printer would step it (with
 * waits, lost steps or a shutdown on request), and looking at frames. */
#ifndef LOCKSTEP_TESTS_VIZ_FIXTURE_H
#define LOCKSTEP_TESTS_VIZ_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "viz_canvas.h"
#include "viz_plan.h"
#include "viz_render.h"

/* Plan gcode (a path, or a name in tests/viz/data) for cfg (NULL: the
 * example printer). Fails the test on error. */
void fixture_plan(const char *cfg, const char *gcode, struct viz_plan *p);

struct synth_opts {
    double offset;  /* s added to every planned time */
    double wait;    /* s of idle added at every point the toolhead is at rest */
    double lose_at; /* s (planned time): stepper_x loses lose_steps edges from here */
    int lose_steps;
    double stop_at; /* s (planned time): no edges after it, and an MCU shutdown; 0: none */
    bool temps;     /* an extruder heating to 200 C, sampled every second */
};

/* A trace of the plan's moves stepped exactly (half-step crossings),
 * as text (free it). Also the planned time of each move on the trace's
 * time axis, into shifted[p->n] when not NULL. */
char *fixture_synth_trace(const struct viz_plan *p, const struct synth_opts *o, double *shifted);

/* Pixels of the rectangle equal to colour, and their bounding box
 * (x0 > x1 when there are none). */
size_t fixture_count(const struct viz_canvas *c, const struct viz_rect *r, uint32_t colour, int *x0,
                     int *y0, int *x1, int *y1);
/* Pixels of the rectangle that are neither background nor grey. */
size_t fixture_count_coloured(const struct viz_canvas *c, const struct viz_rect *r);
uint32_t fixture_pixel(const struct viz_canvas *c, int x, int y);
/* Whether a pixel within d of (x, y) has colour. */
bool fixture_near(const struct viz_canvas *c, float x, float y, int d, uint32_t colour);

#endif
