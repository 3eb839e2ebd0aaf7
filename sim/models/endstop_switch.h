/* An endstop switch on one carriage coordinate, shared by the axis
 * models (cartesian rails, the corexy gantry).
 *
 * The switch closes when the carriage reaches its trigger point (at or
 * below it for a min endstop, at or above for a max one) and opens again
 * once the carriage has backed off past the trigger point by hysteresis.
 * Each trigger point is position + u * spread with u uniform in [-1, 1),
 * drawn from a PRNG seeded with seed when the switch is armed (at
 * creation and each time it opens): the same seed gives the same trigger
 * points. "Closed" means triggered; which level the MCU pin reads then is
 * the board's business (struct board_stepper). */
#ifndef LOCKSTEP_SIM_MODELS_ENDSTOP_SWITCH_H
#define LOCKSTEP_SIM_MODELS_ENDSTOP_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

enum axis_end {
    AXIS_END_MIN,
    AXIS_END_MAX,
};

enum endstop_fault {
    ENDSTOP_WORKING,
    ENDSTOP_STUCK_OPEN,   /* never reports closed */
    ENDSTOP_STUCK_CLOSED, /* always reports closed */
};

struct endstop_switch_params {
    enum axis_end end;
    double position;   /* mm, nominal trigger point */
    double spread;     /* mm, half-width of the trigger point's spread */
    double hysteresis; /* mm, back-off past the trigger point before it opens */
    uint64_t seed;
};

struct endstop_switch {
    struct endstop_switch_params p;
    struct model_rng rng;
    bool pressed;  /* the mechanics alone */
    bool reported; /* faults applied */
    double trigger_point;
    uint64_t closures;
    enum endstop_fault fault;
};

/* Whether p suits a carriage that travels frame_min..frame_max; if not,
 * err names owner.FIELD and what was expected. */
bool endstop_switch_params_valid(const struct endstop_switch_params *p, double frame_min,
                                 double frame_max, const char *owner, char *err, size_t errlen);

void endstop_switch_init(struct endstop_switch *s, const struct endstop_switch_params *p,
                         double carriage);
/* The carriage is now at carriage mm. Returns 1 if the reported state
 * changed. */
int endstop_switch_move(struct endstop_switch *s, double carriage);
/* Returns 1 if the reported state changed, 0 if not, -1 (err says why)
 * if fault is not one of enum endstop_fault. */
int endstop_switch_set_fault(struct endstop_switch *s, enum endstop_fault fault, char *err,
                             size_t errlen);

#endif
