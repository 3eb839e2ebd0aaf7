/* For speed measurements. BUSY: a counting loop that never sleeps, with
 * Timer 0 overflowing (and interrupting) every 2048 cycles as on most
 * firmwares. Otherwise: asleep except for a Timer 1 compare interrupt
 * every 16000 cycles (1 kHz) that toggles a pin. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

static volatile uint32_t ticks;

ISR(TIMER0_OVF_vect)
{
    ticks++;
}

ISR(TIMER1_COMPA_vect)
{
    PINB = 1 << PB7;
    OCR1A += 16000;
}

int main(void)
{
    DDRB = 1 << PB7;
#ifdef BUSY
    TIMSK0 = 1 << TOIE0;
    TCCR0B = 1 << CS01; /* clk/8 */
    sei();
    volatile uint32_t n = 0;
    for (;;)
        n++;
#else
    OCR1A = 16000;
    TIMSK1 = 1 << OCIE1A;
    TCCR1B = 1 << CS10;
    set_sleep_mode(SLEEP_MODE_IDLE);
    sleep_enable();
    for (;;) {
        sei();
        sleep_cpu();
    }
#endif
}
