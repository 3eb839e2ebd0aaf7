/* Timer1 as the scheduler's clock: a 16-bit counter at F_CPU extended to
 * 32 bits by counting overflows, and its compare-A interrupt running the
 * timer list. */
#include <avr/interrupt.h>
#include <setjmp.h>

#include "arch.h"
#include "command.h"
#include "sched.h"

DECL_CONSTANT("CLOCK_FREQ", CONFIG_CLOCK_FREQ);

/* Keep at least this far ahead when arming the compare outside the
 * interrupt, so the counter cannot pass it while we write it. */
#define TIMER_KICK_TICKS 40
/* When tasks are waiting, leave the interrupt after this many ticks of
 * back-to-back timers and come back DEFER ticks later, so the main loop
 * (and the host's commands) are not starved. */
#define TIMER_REPEAT_TICKS 2000
#define TIMER_DEFER_TICKS 200

static volatile uint16_t timer_high;

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

/* Take a received byte while interrupts are off for long, so the UART's
 * two-byte buffer does not overrun. */
static inline void poll_rx(void)
{
    if (UCSR0A & (1 << RXC0))
        serial_rx_byte(UDR0);
}

ISR(TIMER1_COMPA_vect)
{
    uint16_t start = TCNT1;
    for (;;) {
        uint16_t next = sched_timer_dispatch();
        poll_rx();
        /* Wait here for a timer due soon; leave for one due later. */
        int16_t diff;
        while ((diff = next - TCNT1) > 0) {
            if (diff > TIMER_MIN_TRY_TICKS) {
                OCR1A = next;
                TIFR1 = 1 << OCF1A;
                /* The compare may have passed while we wrote it. */
                if ((int16_t)(next - TCNT1) > 0)
                    return;
            }
        }
        if (__builtin_expect(diff < -SCHED_PAST_TICKS, 0))
            shutdown("Rescheduled timer in the past");
        if (sched_tasks_status && (uint16_t)(TCNT1 - start) > TIMER_REPEAT_TICKS)
            break;
    }
    /* Tasks are waiting: leave them some time. */
    OCR1A = TCNT1 + TIMER_DEFER_TICKS;
    TIFR1 = 1 << OCF1A;
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
