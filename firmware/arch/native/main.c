/* The native port's virtual machine: a discrete-event loop that plays
 * the roles of the timer interrupt, the UART and the main loop, with time
 * that moves only from event to event. */
#include <setjmp.h>
#include <stddef.h>

#include "arch.h"
#include "command.h"
#include "native_mcu.h"
#include "native_internal.h"
#include "sched.h"

DECL_CONSTANT("CLOCK_FREQ", CONFIG_CLOCK_FREQ);
DECL_CONSTANT_STR("MCU", "native");

struct native_state native;
static uint8_t pool[CONFIG_NATIVE_POOL] __attribute__((aligned(16)));
static int in_use;

uint32_t timer_read_time(void)
{
    return (uint32_t)native.now;
}

/* The compare unit is the head of the timer list itself. */
void timer_kick(void) {}

void native_busy_until(uint32_t time)
{
    int32_t ahead = (int32_t)(time - (uint32_t)native.now);
    if (ahead > 0)
        native.now += ahead;
}

void irq_disable(void) {}
void irq_enable(void) {}
irqstatus_t irq_save(void)
{
    return 0;
}
void irq_restore(irqstatus_t flag)
{
    (void)flag;
}

void arch_dynmem(void **start, void **end)
{
    *start = pool;
    *end = pool + sizeof(pool);
}

/* 64-bit cycle of a 32-bit waketime near now. */
static uint64_t wake_cycle(uint32_t waketime)
{
    return native.now + (int32_t)(waketime - (uint32_t)native.now);
}

/* The timer interrupt: every timer due now, in order. */
static void run_due_timers(void)
{
    for (;;) {
        uint64_t due = wake_cycle(sched_timer_head->waketime);
        if (due > native.now)
            return;
        if (native.now - due > SCHED_PAST_TICKS)
            shutdown("Rescheduled timer in the past");
        sched_timer_dispatch();
    }
}

/* Handle the earliest event at or before limit; returns 0 if there was
 * none (the clock then stands at limit). */
static int process_next_event(uint64_t limit)
{
    uint64_t t_timer = wake_cycle(sched_timer_head->waketime);
    if (t_timer < native.now)
        t_timer = native.now;
    uint64_t t_tx = native_serial_next_event();
    uint64_t next = t_timer < t_tx ? t_timer : t_tx;
    if (next > limit) {
        if (limit > native.now)
            native.now = limit;
        return 0;
    }
    native.now = next;
    if (next == t_tx)
        native_serial_tx_done();
    else
        run_due_timers();
    return 1;
}

/* Run fn with shutdowns unwinding back here. */
static void guarded(void (*fn)(void))
{
    jmp_buf here, *outer = sched_shutdown_target;
    sched_shutdown_target = &here;
    if (setjmp(here))
        sched_after_shutdown();
    else
        fn();
    sched_shutdown_target = outer;
}

static uint64_t event_limit;
static void one_event(void)
{
    native.had_event = process_next_event(event_limit);
}

/* Waiting for an interrupt from inside a task (a full transmit buffer):
 * let the next event happen. */
void irq_wait(void)
{
    uint64_t saved = event_limit;
    event_limit = UINT64_MAX;
    guarded(one_event);
    event_limit = saved;
}

void native_mcu_run_until(uint64_t target)
{
    for (;;) {
        if (native.tasks_due) {
            /* The main loop runs once after every interrupt. */
            native.tasks_due = 0;
            guarded(sched_run_tasks);
            continue;
        }
        event_limit = target;
        guarded(one_event);
        if (!native.had_event)
            return;
        native.tasks_due = 1;
    }
}

uint64_t native_mcu_cycle(void)
{
    return native.now;
}

static void boot(void)
{
    sched_init();
}

int native_mcu_open(const struct native_mcu_hooks *hooks)
{
    if (in_use)
        return -1;
    in_use = 1;
    native = (struct native_state){.hooks = *hooks};
    native_gpio_reset();
    native_serial_reset();
    guarded(boot);
    native.tasks_due = 1;
    return 0;
}

void native_mcu_reset(void)
{
    struct native_state fresh = {.hooks = native.hooks, .now = native.now};
    native = fresh;
    native_gpio_chip_reset();
    native_serial_reset();
    guarded(boot);
    native.tasks_due = 1;
}

void native_mcu_close(void)
{
    in_use = 0;
}
