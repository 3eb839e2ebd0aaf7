/* Plan a G-code file with the engine in batch mode and keep every move
 * it plans: the toolpath from the engine's trapezoid queue, not from
 * re-reading the G-code. */
#ifndef LOCKSTEP_VIZ_LOAD_H
#define LOCKSTEP_VIZ_LOAD_H

#include <stddef.h>

#include "viz_plan.h"

struct viz_load_opts {
    const char *config_path;
    const char *gcode_path;
    const char *dict_path; /* the MCU's data dictionary (the engine needs its pin names) */
};

/* Fill p (viz_plan_init first) and finish it. G-code lines the engine
 * refuses are counted in p->refused and planning goes on. Returns 0, or
 * -1 with err naming the file (and line, section, option) that failed. */
int viz_plan_load(const struct viz_load_opts *o, struct viz_plan *p, char *err, size_t errlen);

#endif
