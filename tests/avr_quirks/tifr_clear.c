/* Shows what a write to a timer interrupt flag register clears. For each
 * timer every flag is made to set (interrupts off), then:
 *   write the compare A flag alone   -> only OCFnA clears
 *   write zero                       -> nothing clears
 *   write the remaining flags        -> all clear
 * and TIFRn is stored after each step. Last, with TIMER1 COMPA and COMPB
 * both pending and enabled, acknowledging OCF1A must leave COMPB to run:
 * the handlers set bits 0 (COMPA) and 1 (COMPB) of GPIOR0 (0x02 on the
 * chip). Results from 0x210, 0xAA at 0x20F when done. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <stdint.h>

#define RES ((volatile uint8_t *)0x210)

ISR(TIMER1_COMPA_vect)
{
    GPIOR0 |= 1;
}
ISR(TIMER1_COMPB_vect)
{
    GPIOR0 |= 2;
}

static void check(volatile uint8_t *tifr, uint8_t rest, volatile uint8_t *res)
{
    res[0] = *tifr;
    *tifr = 1 << 1; /* OCFnA is bit 1 in every TIFRn */
    res[1] = *tifr;
    *tifr = 0;
    res[2] = *tifr;
    *tifr = rest;
    res[3] = *tifr;
}

int main(void)
{
    /* 8-bit timers: compare A/B, overflow after 256 cycles. */
    OCR0A = 10;
    OCR0B = 20;
    TCCR0B = 1 << CS00;
    OCR2A = 10;
    OCR2B = 20;
    TCCR2B = 1 << CS20;
    /* 16-bit timers: compare A/B/C, overflow after 65536 cycles. */
    OCR1A = 100;
    OCR1B = 200;
    OCR1C = 300;
    TCCR1B = 1 << CS10;
    OCR3A = 100;
    OCR3B = 200;
    OCR3C = 300;
    TCCR3B = 1 << CS30;
    OCR4A = 100;
    OCR4B = 200;
    OCR4C = 300;
    TCCR4B = 1 << CS40;
    OCR5A = 100;
    OCR5B = 200;
    OCR5C = 300;
    TCCR5B = 1 << CS50;
    while (!(TIFR5 & (1 << TOV5)))
        ;
    /* Stop the timers so that no flag sets again between the steps. */
    TCCR0B = 0;
    TCCR2B = 0;
    TCCR1B = 0;
    TCCR3B = 0;
    TCCR4B = 0;
    TCCR5B = 0;
    check(&TIFR0, (1 << OCF0B) | (1 << TOV0), RES + 0);
    check(&TIFR2, (1 << OCF2B) | (1 << TOV2), RES + 4);
    check(&TIFR1, (1 << OCF1B) | (1 << OCF1C) | (1 << TOV1), RES + 8);
    check(&TIFR3, (1 << OCF3B) | (1 << OCF3C) | (1 << TOV3), RES + 12);
    check(&TIFR4, (1 << OCF4B) | (1 << OCF4C) | (1 << TOV4), RES + 16);
    check(&TIFR5, (1 << OCF5B) | (1 << OCF5C) | (1 << TOV5), RES + 20);

    /* Pending interrupts follow their flags. */
    TIMSK1 = (1 << OCIE1A) | (1 << OCIE1B);
    TCNT1 = 0;
    TCCR1B = 1 << CS10;
    while (!(TIFR1 & (1 << OCF1B)))
        ;
    TCCR1B = 0;
    TIFR1 = 1 << OCF1A;
    sei();
    __asm__ volatile("nop\n nop\n nop\n nop");
    cli();
    RES[24] = GPIOR0;
    *(volatile uint8_t *)0x20F = 0xAA;
    for (;;)
        ;
}
