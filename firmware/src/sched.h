/* Timers, tasks and shutdown: the firmware's execution model.
 *
 * Timers run in interrupt context at their waketime, kept in one list
 * sorted by waketime. Tasks run in the main loop. A shutdown puts every
 * output in its safe state at once (from whichever context detected the
 * fault) and then unwinds to the main loop, which reports it. */
#ifndef LOCKSTEP_SCHED_H
#define LOCKSTEP_SCHED_H

#include <setjmp.h>
#include <stdint.h>

#include "decl.h"

struct timer {
    struct timer *next;
    uint_fast8_t (*func)(struct timer *t);
    uint32_t waketime;
};

/* What a timer function returns. SF_RESCHEDULE: t->waketime was moved on
 * and the scheduler finds its place. The two hints save it that search
 * when the function already knows: SF_STILL_FIRST, no other timer is due
 * before t; SF_NOT_FIRST, one is. */
enum { SF_DONE = 0, SF_RESCHEDULE = 1, SF_STILL_FIRST = 2, SF_NOT_FIRST = 3 };

/* a is before b on the wrapping 32-bit clock. */
static inline int timer_is_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

void sched_add_timer(struct timer *t);
void sched_del_timer(struct timer *t);
/* The earliest timer (the port's interrupt handler runs it). */
extern struct timer *sched_timer_head;
/* The rarer half of sched_timer_dispatch(): t finished, or must move back. */
uint32_t sched_timer_refile(struct timer *t, uint_fast8_t res);
/* A timer this many ticks late means the MCU cannot keep up: the port's
 * interrupt handler shuts down ("Rescheduled timer in the past"). The
 * 16-bit ordering below relies on no timer ever running later than this. */
#define SCHED_PAST_TICKS 4000

extern struct timer sched_sentinel;
void sched_insert_after(struct timer *pos, struct timer *t);

/* File t (not first any more, with a near waketime) after its successor:
 * 16-bit comparisons up to the sentinel, which bounds their window (see
 * sched_timer_near_still_first()); past it, the general walk. */
static inline uint32_t sched_timer_refile_near(struct timer *t)
{
    struct timer *pos = t->next, *next = pos->next;
    sched_timer_head = pos;
    uint16_t w = t->waketime;
    while (next && (int16_t)(w - (uint16_t)next->waketime) >= 0) {
        pos = next;
        if (pos == &sched_sentinel) {
            sched_insert_after(pos, t);
            return sched_timer_head->waketime;
        }
        next = pos->next;
    }
    t->next = next;
    pos->next = t;
    return sched_timer_head->waketime;
}

/* The earliest timer t has run and returned res: re-file it; returns the
 * new earliest waketime. */
static inline uint32_t sched_timer_after(struct timer *t, uint_fast8_t res)
{
    if (__builtin_expect(res == SF_STILL_FIRST, 1))
        return t->waketime;
    if (res == SF_NOT_FIRST && t->next != &sched_sentinel)
        return sched_timer_refile_near(t);
    struct timer *next = t->next;
    if (res != SF_DONE && (!next || !timer_is_before(next->waketime, t->waketime)))
        return t->waketime;
    return sched_timer_refile(t, res);
}

/* Run the earliest timer and re-file it; returns the new earliest waketime.
 * Called by the port with interrupts disabled. Inline because it is the
 * firmware's hot path: one busy stepper stays first in the list. */
static inline uint32_t sched_timer_dispatch(void)
{
    struct timer *t = sched_timer_head;
    return sched_timer_after(t, t->func(t));
}

/* Is t, whose waketime was just moved on, still before every other
 * timer? A 16-bit comparison suffices when t's new waketime is at most
 * SCHED_NEAR_TICKS past its old one: every timer filed before the
 * sentinel is within SENTINEL_TICKS of now (and no more than the
 * overload limit behind it), so all those times lie in one 16-bit
 * window; a timer past the sentinel is later than t anyway. */
#define SCHED_NEAR_TICKS 0x2000
static inline uint_fast8_t sched_timer_near_still_first(struct timer *t)
{
    struct timer *next = t->next;
    return !next || (int16_t)((uint16_t)next->waketime - (uint16_t)t->waketime) > 0;
}

/* What a timer function returns after moving t->waketime on by delta
 * ticks: the hints where the 16-bit comparison is valid, which spares
 * the scheduler its 32-bit search. */
static inline uint_fast8_t sched_timer_moved(struct timer *t, uint32_t delta)
{
    if (delta > SCHED_NEAR_TICKS)
        return SF_RESCHEDULE;
    return sched_timer_near_still_first(t) ? SF_STILL_FIRST : SF_NOT_FIRST;
}

/* Tasks: a task runs in the main loop when its wake flag is set. */
struct task_wake {
    volatile uint8_t wake;
};
void sched_wake_task(struct task_wake *w);
uint8_t sched_check_wake(struct task_wake *w);
/* Non-zero while some task has work waiting. */
extern uint8_t sched_tasks_status;
static inline uint8_t sched_tasks_pending(void)
{
    return sched_tasks_status;
}

/* Shutdown. sched_shutdown() never returns. */
#define shutdown(MSG) sched_shutdown(DICT_STATIC_STRING(MSG))
void sched_shutdown(uint_fast16_t reason) __attribute__((noreturn));
uint8_t sched_is_shutdown(void);
uint_fast16_t sched_shutdown_reason(void);
/* Where sched_shutdown() unwinds to; the port's entry points set it. */
extern jmp_buf *sched_shutdown_target;
/* After unwinding: finish the shutdown (report it to the host). */
void sched_after_shutdown(void);

/* High 32 bits of the 64-bit uptime (wraps of the 32-bit clock). */
uint32_t sched_uptime_high(void);

/* One pass over all tasks (the main loop calls this repeatedly). */
void sched_run_tasks(void);
/* Boot: run every module's init. Also used by the native port's reset. */
void sched_init(void);

/* Ticks of the MCU clock. */
#define CLOCK_FREQ CONFIG_CLOCK_FREQ
static inline uint32_t timer_from_us(uint32_t us)
{
    return us * (CONFIG_CLOCK_FREQ / 1000000);
}

#endif
