/* Steppers: execute queue_step schedules tick-exactly.
 *
 * A move is (interval, count, add): count steps, the first interval ticks
 * after the previous step, each following interval grown by add. The
 * timer event is the firmware's hot path: one step, a few additions, and
 * the pulse held for step_pulse_ticks. */
#include <stddef.h>

#include "arch.h"
#include "basecmd.h"
#include "command.h"
#include "sched.h"
#include "stepper.h"
#include "trsync.h"

static uint8_t stepper_oid_type; /* its address tags stepper oids */

/* Time a step falls behind before the MCU gives up. */
#define STEPPER_PAST_TICKS timer_from_us(1000)

/* Take the next move, or go idle. Returns the timer result. */
static uint_fast8_t stepper_load_next(struct stepper *s)
{
    struct stepper_move *m = s->first;
    if (!m) {
        s->count = 0;
        s->flags &= ~SF_ACTIVE;
        return SF_DONE;
    }
    s->time.waketime += m->interval;
#ifdef LOCKSTEP_TEST_STEP_SKEW
    /* A test build only (tests/scenario): each move's first step, and so
     * all after it, this many ticks late, for the golden check to catch. */
    s->time.waketime += LOCKSTEP_TEST_STEP_SKEW;
#endif
    s->interval = m->interval + m->add;
    s->add = m->add;
    s->count = m->count;
    s->flags = m->add ? (s->flags | SF_HAVE_ADD) : (s->flags & ~SF_HAVE_ADD);
    s->flags = m->interval > SCHED_NEAR_TICKS ? (s->flags | SF_FAR) : (s->flags & ~SF_FAR);
    if ((m->flags & MF_DIR) != (s->flags & SF_LAST_DIR)) {
        s->flags ^= SF_LAST_DIR;
        gpio_out_toggle_noirq(s->dir_pin);
    }
    s->position += (s->flags & SF_LAST_DIR) ? m->count : -(uint32_t)m->count;
    s->first = m->next;
    if (!s->first)
        s->plast = &s->first;
    move_free(m);
    if (timer_is_before(s->time.waketime, timer_read_time() - STEPPER_PAST_TICKS))
        shutdown("Stepper too far in past");
    return SF_RESCHEDULE;
}

/* Every step that is not the fast path's: the last of a move, a move
 * with add != 0, or a pulse longer than the event's own work. */
static __attribute__((noinline)) uint_fast8_t stepper_event_full(struct stepper *s)
{
    step_pulse_t begin = step_pulse_begin();
    gpio_out_toggle_noirq(s->step_pin);
    uint_fast8_t ret = SF_RESCHEDULE;
    uint16_t count = s->count - 1;
    if (count) {
        s->count = count;
        uint32_t interval = s->interval;
        s->time.waketime += interval;
        s->interval = interval + s->add;
        ret = sched_timer_moved(&s->time, interval);
    } else {
        ret = stepper_load_next(s);
    }
    if (s->flags & SF_PULSE_WAIT)
        step_pulse_wait(begin, s->step_pulse_ticks);
    gpio_out_toggle_noirq(s->step_pin);
    return ret;
}

/* Steps taken back to back in one event before the interrupt handler
 * gets to look at the serial line again. */
#define STEPPER_BURST 8

/* The fast path: a constant-rate step with a short pulse. It is kept
 * small enough for the compiler to hold everything in call-clobbered
 * registers; on the AVR its work between the two edges (the count and
 * waketime updates) is what makes the pulse STEP_PULSE_FREE_TICKS long.
 * While this stepper stays the earliest timer and its next step is due
 * within the port's waiting window, it steps again here. */
uint_fast8_t stepper_event(struct timer *t)
{
    struct stepper *s = (struct stepper *)t;
    uint_fast8_t burst = STEPPER_BURST;
    for (;;) {
        uint16_t count = s->count;
        if (s->flags & STEPPER_SLOW_FLAGS || count == 1)
            return stepper_event_full(s);
        gpio_out_toggle_noirq(s->step_pin);
        s->count = count - 1;
        s->time.waketime += s->interval;
        gpio_out_toggle_noirq(s->step_pin);
        if (!sched_timer_near_still_first(t))
            return SF_NOT_FIRST;
        if (!--burst || !timer_wait_briefly(s->time.waketime))
            return SF_STILL_FIRST;
    }
}

void command_config_stepper(uint32_t *args);
DECL_COMMAND(command_config_stepper,
             "config_stepper oid=%c step_pin=%c dir_pin=%c invert_step=%c step_pulse_ticks=%u");
void command_config_stepper(uint32_t *args)
{
    struct stepper *s = oid_alloc(args[0], &stepper_oid_type, sizeof(*s));
    uint8_t invert = args[3];
    if (invert > 1)
        shutdown("Invalid invert_step");
    s->flags = invert ? SF_INVERT_STEP : 0;
    s->step_pin = gpio_out_setup(args[1], invert);
    s->dir_pin = gpio_out_setup(args[2], 0);
    s->step_pulse_ticks = args[4] > 0xffff ? 0xffff : args[4];
    if (s->step_pulse_ticks > STEP_PULSE_FREE_TICKS)
        s->flags |= SF_PULSE_WAIT;
    s->time.func = stepper_event;
    s->plast = &s->first;
    s->stop_signal.func = NULL;
    move_request_size(sizeof(struct stepper_move));
}

static struct stepper *stepper_oid_lookup(uint8_t oid)
{
    return oid_lookup(oid, &stepper_oid_type);
}

void command_queue_step(uint32_t *args);
DECL_COMMAND(command_queue_step, "queue_step oid=%c interval=%u count=%hu add=%hi");
void command_queue_step(uint32_t *args)
{
    struct stepper *s = stepper_oid_lookup(args[0]);
    /* Check before taking a queue entry: a shutdown does not return it. */
    if (!args[2])
        shutdown("Invalid count parameter");
    struct stepper_move *m = move_alloc();
    m->interval = args[1];
    m->count = args[2];
    m->add = args[3];
    m->next = NULL;
    m->flags = (s->flags & SF_NEXT_DIR) ? MF_DIR : 0;
    irq_disable();
    if (s->flags & SF_NEED_RESET) {
        irq_enable();
        move_free(m);
        shutdown("Stepper needs reset_step_clock after stop");
    }
    *s->plast = m;
    s->plast = &m->next;
    if (!(s->flags & SF_ACTIVE)) {
        /* Idle: this move starts a new run of steps from the last step
         * (or reset_step_clock) time. */
        s->flags |= SF_ACTIVE;
        stepper_load_next(s);
        sched_add_timer(&s->time);
    }
    irq_enable();
}

void command_set_next_step_dir(uint32_t *args);
DECL_COMMAND(command_set_next_step_dir, "set_next_step_dir oid=%c dir=%c");
void command_set_next_step_dir(uint32_t *args)
{
    struct stepper *s = stepper_oid_lookup(args[0]);
    irq_disable();
    s->flags = args[1] ? (s->flags | SF_NEXT_DIR) : (s->flags & ~SF_NEXT_DIR);
    irq_enable();
}

void command_reset_step_clock(uint32_t *args);
DECL_COMMAND(command_reset_step_clock, "reset_step_clock oid=%c clock=%u");
void command_reset_step_clock(uint32_t *args)
{
    struct stepper *s = stepper_oid_lookup(args[0]);
    irq_disable();
    if (s->flags & SF_ACTIVE) {
        irq_enable();
        shutdown("Can't reset time when stepper active");
    }
    s->time.waketime = args[1];
    s->flags &= ~SF_NEED_RESET;
    irq_enable();
}

/* Position now: the loaded move's steps not yet taken are taken back. */
static uint32_t stepper_get_position(struct stepper *s)
{
    uint32_t pos = s->position;
    pos -= (s->flags & SF_LAST_DIR) ? s->count : -(uint32_t)s->count;
    return pos;
}

void command_stepper_get_position(uint32_t *args);
DECL_COMMAND(command_stepper_get_position, "stepper_get_position oid=%c");
void command_stepper_get_position(uint32_t *args)
{
    uint8_t oid = args[0];
    struct stepper *s = stepper_oid_lookup(oid);
    irq_disable();
    uint32_t pos = stepper_get_position(s);
    irq_enable();
    sendf("stepper_position oid=%c pos=%i", oid, pos);
}

/* Halt at once: drop the queue and the step in flight. */
static void stepper_stop(struct stepper *s)
{
    if (s->flags & SF_ACTIVE)
        sched_del_timer(&s->time);
    s->position = stepper_get_position(s);
    s->count = 0;
    s->flags =
        (s->flags & (SF_INVERT_STEP | SF_LAST_DIR | SF_NEXT_DIR | SF_PULSE_WAIT)) | SF_NEED_RESET;
    struct stepper_move *m = s->first;
    while (m) {
        struct stepper_move *next = m->next;
        move_free(m);
        m = next;
    }
    s->first = NULL;
    s->plast = &s->first;
}

static void stepper_stop_signal(struct trsync_signal *sig, uint8_t reason)
{
    (void)reason;
    struct stepper *s = (struct stepper *)((char *)sig - offsetof(struct stepper, stop_signal));
    stepper_stop(s);
}

void command_stepper_stop_on_trigger(uint32_t *args);
DECL_COMMAND(command_stepper_stop_on_trigger, "stepper_stop_on_trigger oid=%c trsync_oid=%c");
void command_stepper_stop_on_trigger(uint32_t *args)
{
    struct stepper *s = stepper_oid_lookup(args[0]);
    struct trsync *ts = trsync_oid_lookup(args[1]);
    s->stop_signal.func = stepper_stop_signal;
    trsync_add_signal(ts, &s->stop_signal);
}

void stepper_shutdown(void);
DECL_SHUTDOWN(stepper_shutdown);
void stepper_shutdown(void)
{
    uint8_t i;
    struct stepper *s;
    foreach_oid(i, s, &stepper_oid_type)
    {
        stepper_stop(s);
        s->flags &= ~SF_NEED_RESET;
        gpio_out_write(s->step_pin, (s->flags & SF_INVERT_STEP) ? 1 : 0);
    }
}
