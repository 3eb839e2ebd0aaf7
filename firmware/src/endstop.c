/* Endstops: sample a switch while homing and trigger a trsync when it
 * reads the awaited level for sample_count samples in a row. */
#include "arch.h"
#include "basecmd.h"
#include "command.h"
#include "sched.h"
#include "trsync.h"

struct endstop {
    struct timer time;
    struct gpio_in pin;
    uint32_t rest_ticks, sample_ticks;
    struct trsync *ts;
    uint8_t flags, sample_count, trigger_count, trigger_reason;
};

enum { ESF_PIN_HIGH = 1 << 0, ESF_HOMING = 1 << 1 };

static uint8_t endstop_oid_type;

static uint_fast8_t endstop_event(struct timer *t);

/* Confirming a possible trigger: every further sample must agree. */
static uint_fast8_t endstop_confirm_event(struct timer *t)
{
    struct endstop *e = (struct endstop *)t;
    uint8_t val = gpio_in_read(e->pin);
    if ((val ? ~e->flags : e->flags) & ESF_PIN_HIGH) {
        /* Bounced: back to resting between samples. */
        e->time.func = endstop_event;
        e->time.waketime += e->rest_ticks;
        return sched_timer_moved(t, e->rest_ticks);
    }
    if (--e->trigger_count) {
        e->time.waketime += e->sample_ticks;
        return sched_timer_moved(t, e->sample_ticks);
    }
    e->flags &= ~ESF_HOMING;
    trsync_do_trigger(e->ts, e->trigger_reason);
    return SF_DONE;
}

static uint_fast8_t endstop_event(struct timer *t)
{
    struct endstop *e = (struct endstop *)t;
    uint8_t val = gpio_in_read(e->pin);
    if ((val ? ~e->flags : e->flags) & ESF_PIN_HIGH) {
        e->time.waketime += e->rest_ticks;
        return sched_timer_moved(t, e->rest_ticks);
    }
    e->trigger_count = e->sample_count;
    e->time.func = endstop_confirm_event;
    return endstop_confirm_event(t);
}

void command_config_endstop(uint32_t *args);
DECL_COMMAND(command_config_endstop, "config_endstop oid=%c pin=%c pull_up=%c");
void command_config_endstop(uint32_t *args)
{
    struct endstop *e = oid_alloc(args[0], &endstop_oid_type, sizeof(*e));
    e->pin = gpio_in_setup(args[1], args[2]);
}

void command_endstop_home(uint32_t *args);
DECL_COMMAND(command_endstop_home,
             "endstop_home oid=%c clock=%u sample_ticks=%u sample_count=%c rest_ticks=%u"
             " pin_value=%c trsync_oid=%c trigger_reason=%c");
void command_endstop_home(uint32_t *args)
{
    struct endstop *e = oid_lookup(args[0], &endstop_oid_type);
    sched_del_timer(&e->time);
    e->time.waketime = args[1];
    e->sample_ticks = args[2];
    e->sample_count = args[3];
    if (!e->sample_count) {
        e->flags &= ~ESF_HOMING; /* sample_count 0 cancels homing */
        return;
    }
    e->rest_ticks = args[4];
    e->flags = ESF_HOMING | (args[5] ? ESF_PIN_HIGH : 0);
    e->ts = trsync_oid_lookup(args[6]);
    e->trigger_reason = args[7];
    e->time.func = endstop_event;
    sched_add_timer(&e->time);
}

void command_endstop_query_state(uint32_t *args);
DECL_COMMAND(command_endstop_query_state, "endstop_query_state oid=%c");
void command_endstop_query_state(uint32_t *args)
{
    uint8_t oid = args[0];
    struct endstop *e = oid_lookup(oid, &endstop_oid_type);
    irq_disable();
    uint8_t homing = !!(e->flags & ESF_HOMING);
    uint32_t next_clock = e->time.waketime;
    uint8_t level = gpio_in_read(e->pin);
    irq_enable();
    sendf("endstop_state oid=%c homing=%c next_clock=%u pin_value=%c", oid, homing, next_clock,
          level);
}

void endstop_shutdown(void);
DECL_SHUTDOWN(endstop_shutdown);
void endstop_shutdown(void)
{
    uint8_t oid;
    struct endstop *e;
    foreach_oid(oid, e, &endstop_oid_type) e->flags &= ~ESF_HOMING;
}
