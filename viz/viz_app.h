/* The viewer on screen (an SDL2 window showing the rendered frame as a
 * texture), to a PNG without a display, and as a benchmark. All three
 * draw frames with viz_render into the same kind of canvas. This is the
 * only part of the viewer that reads a clock: playback runs at wall
 * time, and the benchmark measures it. */
#ifndef LOCKSTEP_VIZ_APP_H
#define LOCKSTEP_VIZ_APP_H

#include <stddef.h>

#include "viz_canvas.h"
#include "viz_view.h"

/* Write the canvas as a PNG. Returns 0, or -1 with err. */
int viz_save_png(const struct viz_canvas *c, const char *path, char *err, size_t errlen);

/* Render the view's frame (v->w x v->h) to a PNG. */
int viz_screenshot(const struct viz_scene *s, const struct viz_view *v, const char *path, char *err,
                   size_t errlen);

/* Open a window and run until it is closed or 'q'. Returns 0, or -1 with
 * err (no display: the message says so and suggests --screenshot). */
int viz_window(const struct viz_scene *s, struct viz_view *v, char *err, size_t errlen);

struct viz_bench_result {
    int frames;
    double seconds; /* wall time of the frames */
    double fps;
    double worst_ms; /* slowest frame */
};

/* Render frames with the 3D view orbiting a full turn and the timeline
 * at its end (everything drawn), as fast as possible. */
int viz_bench(const struct viz_scene *s, const struct viz_view *v, int frames,
              struct viz_bench_result *r, char *err, size_t errlen);

#endif
