/* One frame of the viewer: status line, the orbiting 3D view, the top
 * view of the current layer, the temperature plot (with a trace), the
 * timeline, the legend and the help overlay. */
#ifndef LOCKSTEP_VIZ_RENDER_H
#define LOCKSTEP_VIZ_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "viz_canvas.h"
#include "viz_view.h"

struct viz_rect {
    int x, y, w, h;
};

struct viz_layout {
    struct viz_rect status, view3d, top, temps, timeline;
};

void viz_layout(int w, int h, bool has_temps, struct viz_layout *l);
static inline bool viz_rect_has(const struct viz_rect *r, int x, int y)
{
    return x >= r->x && y >= r->y && x < r->x + r->w && y < r->y + r->h;
}

/* The colours the frame uses for meaning (tests look for them). */
#define VIZ_COLOUR_BG 0xff18181cu
#define VIZ_COLOUR_EXEC 0xffe8e8e8u      /* the executed path */
#define VIZ_COLOUR_DEVIATION 0xffff28dcu /* executed away from the plan */
#define VIZ_COLOUR_ACCEL 0xff40c040u     /* phase colours */
#define VIZ_COLOUR_CRUISE 0xff7888a8u
#define VIZ_COLOUR_DECEL 0xffe06030u

/* A planned speed's colour on the legend's scale 0..vmax. */
uint32_t viz_speed_colour(float v, float vmax);

/* Where an (x, y) in mm lands in the top view (pixels). */
void viz_top_project(const struct viz_scene *s, const struct viz_view *v, const struct viz_rect *r,
                     float x, float y, float *px, float *py);
/* Where an (x, y, z) in mm lands in the 3D view (pixels). */
void viz_3d_project(const struct viz_scene *s, const struct viz_view *v, const struct viz_rect *r,
                    const float p[3], float *px, float *py);

/* Draw the frame for the view (c is v->w x v->h). */
void viz_render(struct viz_canvas *c, const struct viz_scene *s, const struct viz_view *v);

#endif
