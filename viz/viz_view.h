/* What the viewer shows (the scene: planned moves, and a trace's
 * executed path, temperatures and events) and how it is looked at (the
 * view: timeline position, playback, cameras, layers, toggles), with
 * the keyboard and mouse actions that change the view. Nothing here
 * reads a clock: playback advances by the wall time the caller passes. */
#ifndef LOCKSTEP_VIZ_VIEW_H
#define LOCKSTEP_VIZ_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "viz_align.h"
#include "viz_exec.h"
#include "viz_plan.h"
#include "viz_trace.h"

struct viz_scene {
    char title[256];                     /* the files shown, for the status line */
    struct viz_plan *plan;               /* may hold no moves (a trace alone) */
    const struct viz_trace *trace;       /* NULL without a trace */
    const struct viz_exec *exec;         /* NULL without a trace */
    const float *dev;                    /* mm per move, -1 if not compared; NULL without a trace */
    const struct viz_align_stats *align; /* NULL without both plan and trace */
    /* Set by viz_scene_setup: */
    double t0, t1;      /* the timeline, s */
    float lo[3], hi[3]; /* what the views frame */
    float vmax;         /* top of the speed legend, mm/s */
};

/* Compute the timeline, the framed extent and the legend's range. */
void viz_scene_setup(struct viz_scene *s);

enum viz_colour_mode { VIZ_COLOUR_SPEED, VIZ_COLOUR_PHASE, VIZ_COLOUR_MODES };

enum viz_drag { VIZ_DRAG_NONE, VIZ_DRAG_ORBIT, VIZ_DRAG_PAN3D, VIZ_DRAG_PANTOP, VIZ_DRAG_SCRUB };

struct viz_view {
    int w, h;     /* frame size, pixels */
    double time;  /* s on the timeline: what was planned (and ran) up to here is drawn */
    double speed; /* timeline seconds per second of playback */
    bool playing;
    float yaw, pitch;       /* degrees: 3D camera around the part; pitch 90 looks straight down */
    float zoom3d, pan3d[2]; /* pan in pixels */
    float zoom_top, pan_top[2]; /* pan in pixels */
    uint32_t layer_lo, layer_hi;
    bool single_layer;
    int colour_mode; /* enum viz_colour_mode */
    bool show_travel, show_exec, help, orbit;
    int drag; /* enum viz_drag */
    int mouse_x, mouse_y;
};

void viz_view_init(struct viz_view *v, const struct viz_scene *s, int w, int h);

/* Keys: printable characters as themselves, others as these. */
enum viz_key {
    VIZ_KEY_ESCAPE = 27,
    VIZ_KEY_LEFT = 256,
    VIZ_KEY_RIGHT,
    VIZ_KEY_UP,
    VIZ_KEY_DOWN,
    VIZ_KEY_PAGEUP,
    VIZ_KEY_PAGEDOWN,
    VIZ_KEY_HOME,
    VIZ_KEY_END,
    VIZ_KEY_F1,
};

/* Apply a key; returns 1 when it asks to quit. */
int viz_view_key(struct viz_view *v, const struct viz_scene *s, int key, bool shift);
/* Playback and auto-orbit over dt seconds of wall time. */
void viz_view_advance(struct viz_view *v, const struct viz_scene *s, double dt);
/* Mouse: button 1 left, 2 middle, 3 right; wheel steps up > 0. */
void viz_view_press(struct viz_view *v, const struct viz_scene *s, int x, int y, int button);
void viz_view_motion(struct viz_view *v, const struct viz_scene *s, int x, int y);
void viz_view_release(struct viz_view *v);
void viz_view_wheel(struct viz_view *v, const struct viz_scene *s, int x, int y, float steps);

/* The layer the top view shows: the selected top layer, or the one
 * being printed at the view's time if that is earlier. */
uint32_t viz_view_current_layer(const struct viz_view *v, const struct viz_scene *s);

/* The controls, one per line, for the help overlay and --help. */
extern const char viz_controls_help[];

#endif
