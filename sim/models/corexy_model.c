#include "corexy_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct corexy_model {
    struct axis_params p[2];
    struct stepper_model *motor[2];
    double mm_per_microstep[2]; /* signed */
    int64_t rotor_at_start[2];
    double belt_at_start[2]; /* a and b, mm */
    double pos[2];           /* x, y */
    struct endstop_switch sw[2];
    char error[192];
};

static bool params_valid(const struct axis_params *p, const char *name, char *err, size_t errlen)
{
    char why[160];
    if (axis_params_valid(p, why, sizeof(why)))
        return true;
    snprintf(err, errlen, "corexy %s: %s", name, why);
    return false;
}

static double belt(const struct corexy_model *g, int i)
{
    int64_t moved = stepper_model_rotor(g->motor[i]) - g->rotor_at_start[i];
    return g->belt_at_start[i] + (double)moved * g->mm_per_microstep[i];
}

/* Motor i may pull its belt from lo to hi mm: as rotor microsteps, always
 * including where the rotor is, so that rounding alone never slips it. */
static int set_travel(struct corexy_model *g, int i, double lo, double hi)
{
    int64_t rotor = stepper_model_rotor(g->motor[i]), tlo, thi;
    if (axis_rotor_window(lo, hi, g->belt_at_start[i], g->mm_per_microstep[i], g->rotor_at_start[i],
                          &tlo, &thi) < 0) {
        snprintf(g->error, sizeof(g->error),
                 "corexy: the frame is too long for the microstep size");
        return -1;
    }
    tlo = tlo < rotor ? tlo : rotor;
    thi = thi > rotor ? thi : rotor;
    if (stepper_model_move_travel(g->motor[i], tlo, thi) < 0) {
        snprintf(g->error, sizeof(g->error), "corexy: %s", stepper_model_error(g->motor[i]));
        return -1;
    }
    return 0;
}

/* The other motor's belt fixed, x and y within their frames bound this
 * motor's belt from both sides. */
static int limit_motor(struct corexy_model *g, int i)
{
    const struct axis_params *px = &g->p[COREXY_X], *py = &g->p[COREXY_Y];
    double other = belt(g, !i);
    double lo, hi;
    if (i == COREXY_X) { /* a = 2x - b = 2y + b */
        lo = fmax(2 * px->frame_min - other, 2 * py->frame_min + other);
        hi = fmin(2 * px->frame_max - other, 2 * py->frame_max + other);
    } else { /* b = 2x - a = a - 2y */
        lo = fmax(2 * px->frame_min - other, other - 2 * py->frame_max);
        hi = fmin(2 * px->frame_max - other, other - 2 * py->frame_min);
    }
    return set_travel(g, i, lo, hi);
}

static int update(struct corexy_model *g)
{
    double a = belt(g, COREXY_X), b = belt(g, COREXY_Y);
    double xy[2] = {(a + b) / 2, (a - b) / 2};
    int changed = 0;
    for (int k = 0; k < 2; k++) {
        g->pos[k] = fmin(fmax(xy[k], g->p[k].frame_min), g->p[k].frame_max);
        if (g->p[k].has_endstop && endstop_switch_move(&g->sw[k], g->pos[k]))
            changed |= k == COREXY_X ? COREXY_X_CHANGED : COREXY_Y_CHANGED;
    }
    return changed;
}

struct corexy_model *corexy_model_create(const struct axis_params p[2],
                                         struct stepper_model *motor[2], char *err, size_t errlen)
{
    if (!motor[0] || !motor[1]) {
        snprintf(err, errlen, "corexy: two motors needed");
        return NULL;
    }
    if (!params_valid(&p[COREXY_X], "x", err, errlen) ||
        !params_valid(&p[COREXY_Y], "y", err, errlen))
        return NULL;
    struct corexy_model *g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        const struct stepper_params *sp = stepper_model_params(motor[i]);
        g->p[i] = p[i];
        g->motor[i] = motor[i];
        g->mm_per_microstep[i] = axis_mm_per_microstep(&p[i], sp);
        g->rotor_at_start[i] = stepper_model_rotor(motor[i]);
    }
    double x = p[COREXY_X].start_position, y = p[COREXY_Y].start_position;
    g->belt_at_start[COREXY_X] = x + y;
    g->belt_at_start[COREXY_Y] = x - y;
    g->pos[COREXY_X] = x;
    g->pos[COREXY_Y] = y;
    for (int k = 0; k < 2; k++) {
        if (!p[k].has_endstop)
            continue;
        struct endstop_switch_params sw = axis_endstop_params(&p[k]);
        endstop_switch_init(&g->sw[k], &sw, g->pos[k]);
    }
    if (limit_motor(g, COREXY_X) < 0 || limit_motor(g, COREXY_Y) < 0) {
        snprintf(err, errlen, "%s", g->error);
        free(g);
        return NULL;
    }
    return g;
}

void corexy_model_destroy(struct corexy_model *g)
{
    free(g);
}

int corexy_model_step(struct corexy_model *g, int motor, uint64_t cycle)
{
    if (motor != COREXY_X && motor != COREXY_Y) {
        snprintf(g->error, sizeof(g->error), "corexy: no motor %d", motor);
        return -1;
    }
    if (stepper_model_step(g->motor[motor], cycle) < 0) {
        snprintf(g->error, sizeof(g->error), "%s", stepper_model_error(g->motor[motor]));
        return -1;
    }
    if (limit_motor(g, !motor) < 0)
        return -1;
    return update(g);
}

const char *corexy_model_error(const struct corexy_model *g)
{
    return g->error;
}

int corexy_model_set_endstop_fault(struct corexy_model *g, int axis, enum endstop_fault fault)
{
    if ((axis != COREXY_X && axis != COREXY_Y) || !g->p[axis].has_endstop) {
        snprintf(g->error, sizeof(g->error), "endstop fault: this axis has no endstop");
        return -1;
    }
    return endstop_switch_set_fault(&g->sw[axis], fault, g->error, sizeof(g->error));
}

double corexy_model_position(const struct corexy_model *g, int axis)
{
    return g->pos[axis];
}

bool corexy_model_endstop_closed(const struct corexy_model *g, int axis)
{
    return g->p[axis].has_endstop && g->sw[axis].reported;
}

void corexy_model_report(const struct corexy_model *g, int axis, struct axis_report *out)
{
    axis_report_fill(out, g->pos[axis], g->p[axis].has_endstop, &g->sw[axis]);
}
