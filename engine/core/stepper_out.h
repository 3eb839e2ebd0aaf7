/* One stepper's MCU side: its object id and command queue, and the sink
 * that encodes what step compression (steps/stepgen.h) hands on into
 * queue_step, set_next_step_dir and reset_step_clock messages. */
#ifndef LOCKSTEP_CORE_STEPPER_OUT_H
#define LOCKSTEP_CORE_STEPPER_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcu_out.h"
#include "move.h"
#include "stepgen.h"

struct stepper_out_config {
    const char *name; /* its config section: "stepper_x", "extruder" */
    struct mcu_out *mcu;
    int oid;
    double step_distance; /* mm per step */
    bool invert_dir;      /* the dir pin is inverted */
    double coeff[AXIS_COUNT];
    double max_error; /* s */
};

struct stepper_out;

/* Adds the stepper to sg, whose index it keeps. */
struct stepper_out *stepper_out_new(struct stepgen *sg, const struct stepper_out_config *c,
                                    char *err, size_t errlen);
void stepper_out_free(struct stepper_out *so);

/* A failure of the sink (a message that could not be queued), once. */
int stepper_out_check(struct stepper_out *so, char *err, size_t errlen);

const char *stepper_out_name(const struct stepper_out *so);
const double *stepper_out_coeff(const struct stepper_out *so);
/* Steps from the origin, as the MCU counts them. */
int64_t stepper_out_mcu_position(const struct stepper_out *so);
/* The commanded position in mm. */
double stepper_out_position(const struct stepper_out *so);
int stepper_out_oid(const struct stepper_out *so);
/* The MCU counts steps by the level of its dir pin: the position along
 * the rail, in steps, from what stepper_get_position reports. */
int64_t stepper_out_from_mcu(const struct stepper_out *so, int64_t mcu_counter);
/* The MCU stopped the stepper (homing trigger) at mcu_position: drop
 * what was not sent yet, and start afresh from there. */
int stepper_out_halted(struct stepper_out *so, int64_t mcu_position, char *err, size_t errlen);
uint64_t stepper_out_step_count(const struct stepper_out *so);
uint64_t stepper_out_queue_step_count(const struct stepper_out *so);

#endif
