/* Shows whether a Timer1 compare match at OCR1A = 0..3 fires in every
 * timer period. On the chip it does: OCF1A is set one timer clock after
 * TCNT1 equals OCR1A, whatever the value. A compare B interrupt is taken
 * one cycle before every overflow, so the overflow falls inside its
 * five-cycle interrupt entry: that is when stock simavr 1.6 loses a
 * compare due right after the overflow.
 * For each OCR1A value, counts compare interrupts over PERIODS periods
 * (plus the one simavr takes when the timer restarts, the same for all);
 * counts from 0x210, 0xAA at 0x20F when done. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <stdint.h>

#define PERIODS 6
#define RES ((volatile uint8_t *)0x210)

static volatile uint8_t compares, overflows;
static const uint8_t table[4] PROGMEM = {1, 2, 3, 4};

ISR(TIMER1_COMPA_vect)
{
    compares++;
}
ISR(TIMER1_COMPB_vect) {}
ISR(TIMER1_OVF_vect)
{
    overflows++;
}

int main(void)
{
    for (uint8_t ocr = 0; ocr < 4; ocr++) {
        cli();
        TCCR1B = 0;
        TCNT1 = 0x8000;
        OCR1A = ocr;
        OCR1B = 0xfffe; /* its flag is set at 0xffff, a cycle before the overflow */
        TIFR1 = (1 << OCF1A) | (1 << OCF1B) | (1 << TOV1);
        TIMSK1 = (1 << OCIE1A) | (1 << OCIE1B) | (1 << TOIE1);
        compares = overflows = 0;
        TCCR1B = 1 << CS10;
        sei();
        uint8_t sink = 0;
        while (overflows < PERIODS)
            sink += pgm_read_byte(&table[sink & 3]);
        /* The last period's compare comes a few cycles after its overflow. */
        while (TCNT1 < 16)
            ;
        cli();
        RES[ocr] = compares;
    }
    *(volatile uint8_t *)0x20F = 0xAA;
    for (;;)
        ;
}
