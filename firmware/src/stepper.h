/* The stepper's layout, private to the firmware. It is a header only so
 * that a port may run the constant-rate step itself, in its own timer
 * interrupt, where a C function call costs too much (arch/avr/timer_isr.S
 * does; arch/avr/asm_layout.h names the offsets it relies on and checks
 * them against this). Everything else goes through stepper_event(). */
#ifndef LOCKSTEP_STEPPER_H
#define LOCKSTEP_STEPPER_H

#include <stdint.h>

#include "arch.h"
#include "sched.h"
#include "trsync.h"

struct stepper_move {
    struct stepper_move *next;
    uint32_t interval;
    int16_t add;
    uint16_t count;
    uint8_t flags;
};

enum { MF_DIR = 1 << 0 };
enum {
    SF_LAST_DIR = 1 << 0, /* dir of the last loaded move */
    SF_NEXT_DIR = 1 << 1, /* dir set_next_step_dir asked for */
    SF_INVERT_STEP = 1 << 2,
    SF_NEED_RESET = 1 << 3, /* stopped: requires reset_step_clock */
    SF_ACTIVE = 1 << 4,     /* timer filed */
    SF_HAVE_ADD = 1 << 5,   /* the loaded move has add != 0 */
    SF_PULSE_WAIT = 1 << 6, /* step_pulse_ticks is longer than the event's own work */
    SF_FAR = 1 << 7,        /* the loaded move's interval exceeds SCHED_NEAR_TICKS */
};

struct stepper {
    /* First, so the event casts back from it. Its waketime is the time of
     * the step in progress, or of the last step while idle. */
    struct timer time;
    uint32_t interval;
    int16_t add;
    uint16_t count;
    struct gpio_out step_pin, dir_pin;
    uint32_t position; /* steps, including all of the current move */
    struct stepper_move *first, **plast;
    uint16_t step_pulse_ticks;
    uint8_t flags;
    struct trsync_signal stop_signal;
};

/* The timer function of every stepper. A port's fast path may take a
 * step itself instead of calling it when the stepper's flags have none of
 * STEPPER_SLOW_FLAGS, its count is above 1, and the step's pulse and
 * scheduling follow stepper_event() exactly. */
#define STEPPER_SLOW_FLAGS (SF_HAVE_ADD | SF_PULSE_WAIT | SF_FAR)
uint_fast8_t stepper_event(struct timer *t);

#endif
