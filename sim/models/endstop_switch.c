#include "endstop_switch.h"

#include <math.h>
#include <stdio.h>

bool endstop_switch_params_valid(const struct endstop_switch_params *p, double frame_min,
                                 double frame_max, const char *owner, char *err, size_t errlen)
{
    if (p->end != AXIS_END_MIN && p->end != AXIS_END_MAX) {
        snprintf(err, errlen, "%s.endstop_end: expected AXIS_END_MIN or AXIS_END_MAX", owner);
        return false;
    }
    if (!(isfinite(p->spread) && p->spread >= 0 && p->spread <= 1)) {
        snprintf(err, errlen, "%s.endstop_spread: expected mm from 0 to 1, got %g", owner,
                 p->spread);
        return false;
    }
    if (!(isfinite(p->hysteresis) && p->hysteresis >= 0 && p->hysteresis <= 10)) {
        snprintf(err, errlen, "%s.endstop_hysteresis: expected mm from 0 to 10, got %g", owner,
                 p->hysteresis);
        return false;
    }
    /* The whole spread must be reachable, or some seeds would give a
     * switch that never closes. */
    double lo = frame_min + p->spread, hi = frame_max - p->spread;
    if (!isfinite(p->position) || p->position < lo || p->position > hi) {
        snprintf(err, errlen,
                 "%s.endstop_position: expected mm from %g to %g (the frame less the "
                 "spread), got %g",
                 owner, lo, hi, p->position);
        return false;
    }
    return true;
}

static void arm(struct endstop_switch *s)
{
    s->trigger_point = s->p.position + s->p.spread * model_rng_symmetric(&s->rng);
}

static bool reported_state(const struct endstop_switch *s)
{
    switch (s->fault) {
    case ENDSTOP_STUCK_OPEN:
        return false;
    case ENDSTOP_STUCK_CLOSED:
        return true;
    default:
        return s->pressed;
    }
}

/* Take the reported state from the mechanics and the fault; 1 if it
 * changed. */
static int report(struct endstop_switch *s)
{
    bool now = reported_state(s);
    int changed = now != s->reported;
    s->reported = now;
    return changed;
}

void endstop_switch_init(struct endstop_switch *s, const struct endstop_switch_params *p,
                         double carriage)
{
    *s = (struct endstop_switch){.p = *p};
    model_rng_seed(&s->rng, p->seed);
    arm(s);
    endstop_switch_move(s, carriage);
}

int endstop_switch_move(struct endstop_switch *s, double carriage)
{
    double toward =
        s->p.end == AXIS_END_MIN ? s->trigger_point - carriage : carriage - s->trigger_point;
    if (!s->pressed && toward >= 0.0) {
        s->pressed = true;
        s->closures++;
    } else if (s->pressed && toward < -s->p.hysteresis) {
        s->pressed = false;
        arm(s);
    }
    return report(s);
}

int endstop_switch_set_fault(struct endstop_switch *s, enum endstop_fault fault, char *err,
                             size_t errlen)
{
    if (fault != ENDSTOP_WORKING && fault != ENDSTOP_STUCK_OPEN && fault != ENDSTOP_STUCK_CLOSED) {
        snprintf(err, errlen, "endstop fault: expected working, stuck open or stuck closed, got %d",
                 (int)fault);
        return -1;
    }
    s->fault = fault;
    return report(s);
}
