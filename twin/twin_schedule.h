/* The schedule watch: what the host asked each stepper to do, read from
 * the commands on the wire (config_stepper, reset_step_clock,
 * queue_step), so that every step edge the MCU makes can be dated against
 * the clock it was due at. The difference is the MCU's own scheduling
 * latency: 0 on the native backend, a few microseconds on the AVR. (Not a
 * public header: the twin's files share it.) */
#ifndef LOCKSTEP_TWIN_SCHEDULE_H
#define LOCKSTEP_TWIN_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "twin.h"

struct link_dict;

/* queue_step commands accepted but not all stepped yet, per stepper. */
struct twin_sched_queue {
    struct twin_sched_move {
        uint32_t interval;
        uint16_t count;
        int16_t add;
    } * moves;
    size_t head, len, cap;
    /* The move being stepped: the next step's clock and interval, and the
     * steps left; the clock of the last step scheduled so far. */
    uint32_t next_clock, interval;
    uint32_t left;
    int16_t add;
    uint32_t last_clock;
};

struct twin_schedule {
    struct link_dict *dict;
    int32_t id_config_stepper, id_reset_step_clock, id_queue_step;
    struct frame_parser parser;
    unsigned next_seq;
    int oid_stepper[256]; /* the twin's stepper for an oid, or -1 */
    unsigned step_pin[TWIN_MAX_STEPPERS];
    size_t nsteppers;
    struct twin_sched_queue q[TWIN_MAX_STEPPERS];
    struct twin_schedule_stats stats; /* but worst and worst_time: */
    size_t worst_stepper;
    uint64_t worst_cycle;
    bool failed;
};

/* Watch the stepper whose step pins are given (in the twin's order), with
 * the firmware's dictionary. Returns 0, or -1 with err. */
int twin_schedule_init(struct twin_schedule *s, const char *dict_path, const unsigned *step_pins,
                       size_t nsteppers, char *err, size_t errlen);
void twin_schedule_free(struct twin_schedule *s);
/* Bytes the host sent to the MCU. */
void twin_schedule_host_bytes(struct twin_schedule *s, const uint8_t *data, size_t len);
/* A step edge of stepper i at MCU clock `clock`, simulation cycle `cycle`. */
void twin_schedule_step(struct twin_schedule *s, size_t i, uint32_t clock, uint64_t cycle);
/* The MCU was reset: it forgets its queues and expects sequence 0. */
void twin_schedule_reset(struct twin_schedule *s);

#endif
