/* Trigger synchronisation (trsync): the link between an endstop that
 * fires and the steppers that must stop on it, plus a timeout that
 * triggers if the host does not confirm in time. */
#include "trsync.h"

#include <stddef.h>

#include "arch.h"
#include "basecmd.h"
#include "command.h"
#include "sched.h"

struct trsync {
    struct timer report_timer, expire_timer;
    uint32_t report_ticks, trigger_time, report_time;
    struct trsync_signal *signals;
    uint8_t can_trigger, trigger_reason, expire_reason, report_pending;
};

static uint8_t trsync_oid_type;
static struct task_wake trsync_wake;

void trsync_add_signal(struct trsync *ts, struct trsync_signal *s)
{
    irq_disable();
    s->next = ts->signals;
    ts->signals = s;
    irq_enable();
}

void trsync_do_trigger(struct trsync *ts, uint8_t reason)
{
    irqstatus_t flag = irq_save();
    if (ts->can_trigger) {
        ts->can_trigger = 0;
        ts->trigger_reason = reason;
        ts->trigger_time = timer_read_time();
        for (struct trsync_signal *s = ts->signals; s; s = s->next)
            s->func(s, reason);
        ts->signals = NULL;
        sched_del_timer(&ts->expire_timer);
        ts->report_pending = 1;
        sched_wake_task(&trsync_wake);
    }
    irq_restore(flag);
}

static uint_fast8_t trsync_report_event(struct timer *t)
{
    struct trsync *ts = (struct trsync *)t;
    /* A report while it can trigger carries its own time: the host sets
     * the next timeout from it. */
    ts->report_time = t->waketime;
    ts->report_pending = 1;
    sched_wake_task(&trsync_wake);
    ts->report_timer.waketime += ts->report_ticks;
    return SF_RESCHEDULE;
}

static uint_fast8_t trsync_expire_event(struct timer *t)
{
    struct trsync *ts = (struct trsync *)((char *)t - offsetof(struct trsync, expire_timer));
    trsync_do_trigger(ts, ts->expire_reason);
    return SF_DONE;
}

struct trsync *trsync_oid_lookup(uint8_t oid)
{
    return oid_lookup(oid, &trsync_oid_type);
}

void command_config_trsync(uint32_t *args);
DECL_COMMAND(command_config_trsync, "config_trsync oid=%c");
void command_config_trsync(uint32_t *args)
{
    struct trsync *ts = oid_alloc(args[0], &trsync_oid_type, sizeof(*ts));
    ts->report_timer.func = trsync_report_event;
    ts->expire_timer.func = trsync_expire_event;
}

void command_trsync_start(uint32_t *args);
DECL_COMMAND(command_trsync_start,
             "trsync_start oid=%c report_clock=%u report_ticks=%u expire_reason=%c");
void command_trsync_start(uint32_t *args)
{
    struct trsync *ts = trsync_oid_lookup(args[0]);
    irq_disable();
    sched_del_timer(&ts->report_timer);
    sched_del_timer(&ts->expire_timer);
    ts->signals = NULL;
    ts->can_trigger = 1;
    ts->trigger_reason = 0;
    ts->trigger_time = 0;
    ts->report_pending = 0;
    ts->expire_reason = args[3];
    ts->report_ticks = args[2];
    if (ts->report_ticks) {
        ts->report_timer.waketime = args[1];
        sched_add_timer(&ts->report_timer);
    }
    irq_enable();
}

void command_trsync_set_timeout(uint32_t *args);
DECL_COMMAND(command_trsync_set_timeout, "trsync_set_timeout oid=%c clock=%u");
void command_trsync_set_timeout(uint32_t *args)
{
    struct trsync *ts = trsync_oid_lookup(args[0]);
    irq_disable();
    sched_del_timer(&ts->expire_timer);
    if (ts->can_trigger) {
        ts->expire_timer.waketime = args[1];
        sched_add_timer(&ts->expire_timer);
    }
    irq_enable();
}

void command_trsync_trigger(uint32_t *args);
DECL_COMMAND(command_trsync_trigger, "trsync_trigger oid=%c reason=%c");
void command_trsync_trigger(uint32_t *args)
{
    struct trsync *ts = trsync_oid_lookup(args[0]);
    irq_disable();
    sched_del_timer(&ts->report_timer);
    irq_enable();
    trsync_do_trigger(ts, args[1]);
    ts->report_pending = 1;
    sched_wake_task(&trsync_wake);
}

void trsync_task(void);
DECL_TASK(trsync_task);
void trsync_task(void)
{
    if (!sched_check_wake(&trsync_wake))
        return;
    uint8_t oid;
    struct trsync *ts;
    foreach_oid(oid, ts, &trsync_oid_type)
    {
        irq_disable();
        uint8_t pending = ts->report_pending, can_trigger = ts->can_trigger;
        uint8_t reason = ts->trigger_reason;
        uint32_t clock = can_trigger ? ts->report_time : ts->trigger_time;
        ts->report_pending = 0;
        irq_enable();
        if (pending)
            sendf("trsync_state oid=%c can_trigger=%c trigger_reason=%c clock=%u", oid, can_trigger,
                  reason, clock);
    }
}

void trsync_shutdown(void);
DECL_SHUTDOWN(trsync_shutdown);
void trsync_shutdown(void)
{
    uint8_t oid;
    struct trsync *ts;
    foreach_oid(oid, ts, &trsync_oid_type)
    {
        ts->can_trigger = 0;
        ts->signals = NULL;
    }
}

void trsync_init(void);
DECL_INIT(trsync_init);
void trsync_init(void)
{
    trsync_wake.wake = 0;
}
