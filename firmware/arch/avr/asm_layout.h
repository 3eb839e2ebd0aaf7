/* Offsets and constants the assembly timer interrupt (timer_isr.S) uses.
 * asm_layout_check.c fails the build if any of them stops matching the C
 * definitions, so a change to struct timer or struct stepper cannot
 * silently break the fast path. */
#ifndef LOCKSTEP_AVR_ASM_LAYOUT_H
#define LOCKSTEP_AVR_ASM_LAYOUT_H

/* struct timer */
#define T_NEXT 0
#define T_FUNC 2
#define T_WAKE 4
/* struct stepper */
#define S_INTERVAL 8
#define S_COUNT 14
#define S_STEP_REGS 16
#define S_STEP_BIT 18
#define S_FLAGS 32
#define S_SLOW_FLAGS 0xe0

/* sched.h / arch_port.h constants */
#define A_SF_STILL_FIRST 2
#define A_PAST_TICKS 4000
#define A_MIN_TRY_TICKS 160

/* When tasks are waiting, the interrupt leaves after this many ticks of
 * back-to-back timers and comes back DEFER ticks later, so that the main
 * loop (and the host's commands) are not starved. */
#define TIMER_REPEAT_TICKS 2000
#define TIMER_DEFER_TICKS 200

#endif
