/* Boot, the main loop, and sleeping when there is nothing to do. */
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include <setjmp.h>

#include "arch.h"
#include "command.h"
#include "sched.h"

DECL_CONSTANT_STR("MCU", "atmega2560");

void timer_setup(void);
void serial_setup(void);

void irq_disable(void)
{
    cli();
}

void irq_enable(void)
{
    sei();
}

irqstatus_t irq_save(void)
{
    irqstatus_t flag = SREG;
    cli();
    return flag;
}

void irq_restore(irqstatus_t flag)
{
    SREG = flag;
}

/* Sleep until an interrupt, unless a task is already waiting. SEI lets
 * exactly one more instruction run before interrupts are taken, so an
 * interrupt pending here wakes the SLEEP right after it. */
void irq_wait(void)
{
    cli();
    if (!sched_tasks_pending()) {
        sleep_enable();
        sei();
        sleep_cpu();
        sleep_disable();
    }
    sei();
}

void arch_dynmem(void **start, void **end)
{
    extern char __heap_start;
    *start = &__heap_start;
    *end = (void *)(RAMEND - CONFIG_STACK_SIZE);
}

static jmp_buf shutdown_jmp;

int main(void)
{
    cli();
    set_sleep_mode(SLEEP_MODE_IDLE);
    timer_setup();
    serial_setup();
    sched_shutdown_target = &shutdown_jmp;
    if (setjmp(shutdown_jmp)) {
        sched_after_shutdown();
    } else {
        sched_init();
    }
    for (;;) {
        sched_run_tasks();
        irq_wait();
    }
}
