/* Timer1 as the scheduler's clock: a 16-bit counter at F_CPU extended to
 * 32 bits by counting overflows; its compare-A interrupt (timer_isr.S)
 * runs the timer list. */
#include <avr/interrupt.h>
#include <setjmp.h>

#include "arch.h"
#include "command.h"
#include "sched.h"

DECL_CONSTANT("CLOCK_FREQ", CONFIG_CLOCK_FREQ);

/* Keep at least this far ahead when arming the compare outside the
 * interrupt, so the counter cannot pass it while we write it. */
#define TIMER_KICK_TICKS 40

/* The clock's high half. timer_isr.S counts overflows here too: while
 * steps keep it in the compare interrupt, the overflow interrupt cannot
 * run, and a second overflow before it does would be lost. */
volatile uint16_t timer_high;

ISR(TIMER1_OVF_vect)
{
    timer_high++;
}

uint32_t timer_read_time(void)
{
    uint8_t sreg = SREG;
    cli();
    uint16_t high = timer_high, low = TCNT1;
    if ((TIFR1 & (1 << TOV1)) && low < 0x8000)
        high++;
    SREG = sreg;
    return ((uint32_t)high << 16) | low;
}

void timer_kick(void)
{
    uint8_t sreg = SREG;
    cli();
    uint16_t next = sched_timer_head->waketime;
    uint16_t now = TCNT1;
    if ((int16_t)(next - now) < TIMER_KICK_TICKS)
        next = now + TIMER_KICK_TICKS;
    OCR1A = next;
    TIFR1 = 1 << OCF1A;
    SREG = sreg;
}

/* The compare-A interrupt is timer_isr.S: it takes constant-rate steps
 * itself, calls every other timer's function directly, and comes here to
 * re-file a timer that is no longer the earliest. Returns the low half of
 * the earliest waketime afterwards. */
uint16_t timer_refile_slow(struct timer *t, uint8_t res);
uint16_t timer_refile_slow(struct timer *t, uint8_t res)
{
    return sched_timer_after(t, res);
}

void timer_shutdown_past(void) __attribute__((noreturn));
void timer_shutdown_past(void)
{
    shutdown("Rescheduled timer in the past");
}

void timer_setup(void);
void timer_setup(void)
{
    TCCR1A = 0;
    TCCR1B = 1 << CS10; /* no prescaler: one tick per CPU cycle */
    timer_high = 0;
    TIFR1 = (1 << OCF1A) | (1 << TOV1);
    TIMSK1 = (1 << OCIE1A) | (1 << TOIE1);
}
