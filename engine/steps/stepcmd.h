/* The commands step compression hands on for one stepper's MCU object:
 * Klipper's queue_step, set_next_step_dir and reset_step_clock.
 *
 * The firmware runs queue_step oid interval count add as count steps, the
 * first interval ticks after the previous step (or after the clock of
 * reset_step_clock), each further interval grown by add; a queue_step
 * takes the direction of the last set_next_step_dir. */
#ifndef LOCKSTEP_STEPS_STEPCMD_H
#define LOCKSTEP_STEPS_STEPCMD_H

#include <stdint.h>

enum step_cmd_kind {
    STEP_CMD_QUEUE_STEP,
    STEP_CMD_SET_NEXT_STEP_DIR,
    STEP_CMD_RESET_STEP_CLOCK,
};

struct step_cmd {
    enum step_cmd_kind kind;
    uint8_t oid;
    uint32_t interval; /* queue_step */
    uint16_t count;    /* queue_step, 1..65535 */
    int16_t add;       /* queue_step */
    uint8_t dir;       /* set_next_step_dir: the value sent, 0 or 1 */
    uint64_t clock;    /* reset_step_clock: the full clock; the MCU takes its low 32 bits */
    /* Clock of the first step this command leads up to: the order the
     * serial queue interleaves steppers in. Never decreases along one
     * stepper's commands. */
    uint64_t req_clock;
    /* Not before the MCU's clock reaches this (0: any time). A
     * reset_step_clock carries the last step of the previous run, since
     * the MCU refuses it while that stepper is still stepping. */
    uint64_t min_clock;
};

/* Receives commands in the order the MCU must get them. */
typedef void (*step_cmd_sink)(void *ctx, const struct step_cmd *cmd);

#endif
