/* Digital outputs: immediate, scheduled, and software PWM, with the
 * max_duration watchdog that keeps a crashed host from leaving a heater
 * on. */
#include "arch.h"
#include "basecmd.h"
#include "command.h"
#include "sched.h"

struct digital_move {
    struct digital_move *next;
    uint32_t waketime, on_duration;
};

struct digital_out {
    struct timer time;
    uint32_t on_duration, off_duration, cycle_time, max_duration;
    /* Deadline for the host's next update while the pin is not at its
     * default; checked by the timer. */
    uint32_t end_time;
    struct gpio_out pin;
    struct digital_move *first, **plast;
    uint8_t flags;
};

enum {
    DF_ON = 1 << 0,
    DF_TOGGLING = 1 << 1,
    DF_CHECK_END = 1 << 2,
    DF_DEFAULT_ON = 1 << 3,
    DF_ACTIVE = 1 << 4, /* timer filed */
};

static uint8_t digital_oid_type;

static uint_fast8_t digital_load_event(struct timer *t);

/* When the timer must next run for something other than a PWM toggle:
 * the next queued change, or the max_duration deadline. */
static int digital_next_event(struct digital_out *d, uint32_t *when)
{
    int have = 0;
    if (d->first) {
        *when = d->first->waketime;
        have = 1;
    }
    if ((d->flags & DF_CHECK_END) && (!have || timer_is_before(d->end_time, *when))) {
        *when = d->end_time;
        have = 1;
    }
    return have;
}

/* Software PWM half cycles. */
static uint_fast8_t digital_toggle_event(struct timer *t)
{
    struct digital_out *d = (struct digital_out *)t;
    gpio_out_toggle_noirq(d->pin);
    d->flags ^= DF_ON;
    uint32_t toggle = d->time.waketime + ((d->flags & DF_ON) ? d->on_duration : d->off_duration);
    uint32_t other;
    if (digital_next_event(d, &other) && !timer_is_before(toggle, other)) {
        d->time.func = digital_load_event;
        d->time.waketime = other;
    } else {
        d->time.waketime = toggle;
    }
    return SF_RESCHEDULE;
}

/* Apply the next queued change, or enforce max_duration. */
static uint_fast8_t digital_load_event(struct timer *t)
{
    struct digital_out *d = (struct digital_out *)t;
    struct digital_move *m = d->first;
    if (!m || timer_is_before(d->time.waketime, m->waketime)) {
        /* Woken by the deadline, not by a change: the host is late. */
        shutdown("Missed scheduling of next digital out event");
    }
    uint32_t on = m->on_duration, waketime = m->waketime;
    d->first = m->next;
    if (!d->first)
        d->plast = &d->first;
    move_free(m);

    uint8_t on_level;
    d->flags &= ~DF_TOGGLING;
    if (!on || on >= d->cycle_time) {
        on_level = on ? 1 : 0;
        gpio_out_write(d->pin, on_level);
        d->flags = on_level ? (d->flags | DF_ON) : (d->flags & ~DF_ON);
    } else {
        d->on_duration = on;
        d->off_duration = d->cycle_time - on;
        gpio_out_write(d->pin, 1);
        d->flags |= DF_ON | DF_TOGGLING;
        on_level = 2;
    }
    /* The next queued change, or the max_duration deadline. */
    uint8_t is_default = on_level == ((d->flags & DF_DEFAULT_ON) ? 1 : 0);
    if (d->max_duration && !is_default) {
        d->flags |= DF_CHECK_END;
        d->end_time = waketime + d->max_duration;
    } else {
        d->flags &= ~DF_CHECK_END;
    }
    uint32_t other;
    int have_other = digital_next_event(d, &other);
    if (d->flags & DF_TOGGLING) {
        uint32_t toggle = waketime + d->on_duration;
        if (!have_other || timer_is_before(toggle, other)) {
            d->time.func = digital_toggle_event;
            d->time.waketime = toggle;
            return SF_RESCHEDULE;
        }
    }
    d->time.func = digital_load_event;
    if (have_other) {
        d->time.waketime = other;
        return SF_RESCHEDULE;
    }
    d->flags &= ~DF_ACTIVE;
    return SF_DONE;
}

void command_config_digital_out(uint32_t *args);
DECL_COMMAND(command_config_digital_out,
             "config_digital_out oid=%c pin=%u value=%c default_value=%c max_duration=%u");
void command_config_digital_out(uint32_t *args)
{
    struct digital_out *d = oid_alloc(args[0], &digital_oid_type, sizeof(*d));
    d->pin = gpio_out_setup(args[1], !!args[2]);
    d->flags = (args[2] ? DF_ON : 0) | (args[3] ? DF_DEFAULT_ON : 0);
    d->max_duration = args[4];
    d->cycle_time = 1; /* until set_digital_out_pwm_cycle: on or off only */
    d->plast = &d->first;
    move_request_size(sizeof(struct digital_move));
}

static struct digital_out *digital_oid_lookup(uint8_t oid)
{
    return oid_lookup(oid, &digital_oid_type);
}

void command_set_digital_out_pwm_cycle(uint32_t *args);
DECL_COMMAND(command_set_digital_out_pwm_cycle, "set_digital_out_pwm_cycle oid=%c cycle_ticks=%u");
void command_set_digital_out_pwm_cycle(uint32_t *args)
{
    struct digital_out *d = digital_oid_lookup(args[0]);
    if (!args[1])
        shutdown("Invalid pwm cycle_ticks");
    irq_disable();
    d->cycle_time = args[1];
    irq_enable();
}

void command_queue_digital_out(uint32_t *args);
DECL_COMMAND(command_queue_digital_out, "queue_digital_out oid=%c clock=%u on_ticks=%u");
void command_queue_digital_out(uint32_t *args)
{
    struct digital_out *d = digital_oid_lookup(args[0]);
    struct digital_move *m = move_alloc();
    m->waketime = args[1];
    m->on_duration = args[2];
    m->next = NULL;
    irq_disable();
    int was_empty = !d->first;
    *d->plast = m;
    d->plast = &m->next;
    if (!(d->flags & DF_ACTIVE)) {
        d->flags |= DF_ACTIVE;
        d->time.func = digital_load_event;
        d->time.waketime = m->waketime;
        sched_add_timer(&d->time);
    } else if (was_empty && d->time.func == digital_load_event &&
               timer_is_before(m->waketime, d->time.waketime)) {
        /* Waiting for the deadline: this change comes first. (A PWM toggle
         * event looks at the queue by itself.) */
        sched_del_timer(&d->time);
        d->time.waketime = m->waketime;
        sched_add_timer(&d->time);
    }
    irq_enable();
}

void command_update_digital_out(uint32_t *args);
DECL_COMMAND(command_update_digital_out, "update_digital_out oid=%c value=%c");
void command_update_digital_out(uint32_t *args)
{
    struct digital_out *d = digital_oid_lookup(args[0]);
    irq_disable();
    if (d->first || d->max_duration) {
        irq_enable();
        shutdown("update_digital_out not valid with active queue");
    }
    sched_del_timer(&d->time);
    uint8_t value = !!args[1];
    d->flags = (d->flags & ~(DF_ON | DF_TOGGLING | DF_CHECK_END | DF_ACTIVE)) | (value ? DF_ON : 0);
    gpio_out_write(d->pin, value);
    irq_enable();
}

void command_set_digital_out(uint32_t *args);
DECL_COMMAND(command_set_digital_out, "set_digital_out pin=%u value=%c");
void command_set_digital_out(uint32_t *args)
{
    gpio_out_setup(args[0], !!args[1]);
}

void digital_out_shutdown(void);
DECL_SHUTDOWN(digital_out_shutdown);
void digital_out_shutdown(void)
{
    uint8_t oid;
    struct digital_out *d;
    foreach_oid(oid, d, &digital_oid_type)
    {
        uint8_t level = (d->flags & DF_DEFAULT_ON) ? 1 : 0;
        gpio_out_write(d->pin, level);
        d->flags = (d->flags & DF_DEFAULT_ON) | (level ? DF_ON : 0);
        struct digital_move *m = d->first;
        while (m) {
            struct digital_move *next = m->next;
            move_free(m);
            m = next;
        }
        d->first = NULL;
        d->plast = &d->first;
    }
}
