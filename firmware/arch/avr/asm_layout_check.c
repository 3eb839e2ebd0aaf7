/* Compile-time proof that asm_layout.h matches the C structures. */
#include <stddef.h>

#include "asm_layout.h"
#include "sched.h"
#include "stepper.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " does not match " #b)
SAME(T_NEXT, offsetof(struct timer, next));
SAME(T_FUNC, offsetof(struct timer, func));
SAME(T_WAKE, offsetof(struct timer, waketime));
SAME(S_INTERVAL, offsetof(struct stepper, interval));
SAME(S_COUNT, offsetof(struct stepper, count));
SAME(S_STEP_REGS, offsetof(struct stepper, step_pin.regs));
SAME(S_STEP_BIT, offsetof(struct stepper, step_pin.bit));
SAME(S_FLAGS, offsetof(struct stepper, flags));
SAME(S_SLOW_FLAGS, STEPPER_SLOW_FLAGS);
SAME(sizeof(((struct stepper *)0)->interval), 4);
SAME(sizeof(((struct stepper *)0)->count), 2);
SAME(sizeof(((struct stepper *)0)->flags), 1);
SAME(A_SF_STILL_FIRST, SF_STILL_FIRST);
SAME(A_PAST_TICKS, SCHED_PAST_TICKS);
SAME(A_MIN_TRY_TICKS, TIMER_MIN_TRY_TICKS);
/* The fast path adds only the low 16 bits of interval to the waketime
 * (with carry): a stepper without SF_FAR has interval <= this. */
_Static_assert(SCHED_NEAR_TICKS < 0x10000, "fast-path intervals must fit 16 bits");
