/* Timers, tasks and shutdown. */
#include "sched.h"

#include <string.h>

#include "arch.h"
#include "command.h"

/* A timer that is always filed. It keeps the list non-empty and the
 * earliest waketime at most SENTINEL_TICKS ahead, so a port may compare
 * waketimes with the counter in fewer bits than 32. It also counts wraps
 * of the 32-bit clock for get_uptime. */
#define SENTINEL_TICKS 0x3000
_Static_assert(SENTINEL_TICKS + SCHED_NEAR_TICKS + SCHED_PAST_TICKS < 0x8000,
               "sched_timer_near_still_first() needs its times in one 16-bit window");

struct timer sched_sentinel;
#define sentinel sched_sentinel
struct timer *sched_timer_head;
static uint32_t uptime_high, last_sentinel_time;

static uint8_t shutdown_status; /* 0 running, 1 shut down, 2 shutting down */
static uint_fast16_t shutdown_reason;
uint8_t sched_tasks_status;
jmp_buf *sched_shutdown_target;

static uint_fast8_t sentinel_event(struct timer *t)
{
    if (t->waketime < last_sentinel_time)
        uptime_high++;
    last_sentinel_time = t->waketime;
    t->waketime += SENTINEL_TICKS;
    return SF_RESCHEDULE;
}

uint32_t sched_uptime_high(void)
{
    irqstatus_t flag = irq_save();
    uint32_t now = timer_read_time(), high = uptime_high;
    if (now < last_sentinel_time)
        high++;
    irq_restore(flag);
    return high;
}

/* File t after pos, keeping the list sorted; equal waketimes keep the
 * order they were added in. */
void sched_insert_after(struct timer *pos, struct timer *t)
{
    struct timer *next = pos->next;
    while (next && !timer_is_before(t->waketime, next->waketime)) {
        pos = next;
        next = pos->next;
    }
    t->next = next;
    pos->next = t;
}

void sched_add_timer(struct timer *t)
{
    irqstatus_t flag = irq_save();
    struct timer *head = sched_timer_head;
    if (timer_is_before(t->waketime, head->waketime)) {
        /* The new earliest timer: the hardware must wake for it, and it
         * cannot if its time has already gone. */
        if (timer_is_before(t->waketime, timer_read_time()))
            shutdown("Timer too close");
        t->next = head;
        sched_timer_head = t;
        timer_kick();
    } else {
        sched_insert_after(head, t);
    }
    irq_restore(flag);
}

void sched_del_timer(struct timer *t)
{
    irqstatus_t flag = irq_save();
    if (sched_timer_head == t) {
        sched_timer_head = t->next;
        timer_kick();
    } else {
        for (struct timer *pos = sched_timer_head; pos->next; pos = pos->next) {
            if (pos->next == t) {
                pos->next = t->next;
                break;
            }
        }
    }
    t->next = NULL;
    irq_restore(flag);
}

uint32_t sched_timer_refile(struct timer *t, uint_fast8_t res)
{
    struct timer *next = t->next;
    sched_timer_head = next;
    if (res == SF_DONE)
        t->next = NULL;
    else
        sched_insert_after(next, t);
    return sched_timer_head->waketime;
}

static void timer_list_reset(void)
{
    sentinel.func = sentinel_event;
    sentinel.next = NULL;
    last_sentinel_time = timer_read_time();
    sentinel.waketime = last_sentinel_time + SENTINEL_TICKS;
    sched_timer_head = &sentinel;
    timer_kick();
}

void sched_wake_task(struct task_wake *w)
{
    w->wake = 1;
    sched_tasks_status = 1;
}

uint8_t sched_check_wake(struct task_wake *w)
{
    if (!w->wake)
        return 0;
    w->wake = 0;
    return 1;
}

uint8_t sched_is_shutdown(void)
{
    return shutdown_status != 0;
}
uint_fast16_t sched_shutdown_reason(void)
{
    return shutdown_reason;
}

void dict_run_shutdowns(void);

void sched_shutdown(uint_fast16_t reason)
{
    irq_disable();
    if (shutdown_status != 2) {
        if (!shutdown_status)
            shutdown_reason = reason;
        shutdown_status = 2;
        /* Safe state first, whatever context this is: every module's
         * shutdown handler puts its outputs to their defaults. */
        timer_list_reset();
        dict_run_shutdowns();
    }
    longjmp(*sched_shutdown_target, 1);
}

/* Report a shutdown that just unwound to the main loop. */
void sched_after_shutdown(void)
{
    irq_disable();
    if (shutdown_status == 2) {
        shutdown_status = 1;
        irq_enable();
        sendf("shutdown clock=%u static_string_id=%hu", timer_read_time(), shutdown_reason);
    }
    irq_enable();
}

/* Leave the shut-down state. Objects stay configured; everything that
 * was queued is gone. */
void command_clear_shutdown(uint32_t *args);
DECL_COMMAND_FLAGS(command_clear_shutdown, HF_IN_SHUTDOWN, "clear_shutdown");
void command_clear_shutdown(uint32_t *args)
{
    (void)args;
    if (!shutdown_status)
        shutdown("Shutdown cleared when not shutdown");
    if (shutdown_status == 1)
        shutdown_status = 0;
}

void command_emergency_stop(uint32_t *args);
DECL_COMMAND_FLAGS(command_emergency_stop, HF_IN_SHUTDOWN, "emergency_stop");
void command_emergency_stop(uint32_t *args)
{
    (void)args;
    shutdown("Command request");
}

void dict_run_tasks(void);
void dict_run_inits(void);

void sched_run_tasks(void)
{
    sched_tasks_status = 0;
    dict_run_tasks();
}

void sched_init(void)
{
    irq_disable();
    shutdown_status = 0;
    shutdown_reason = 0;
    sched_tasks_status = 0;
    uptime_high = 0;
    timer_list_reset();
    dict_run_inits();
    irq_enable();
}
