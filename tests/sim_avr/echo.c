/* USART0 test program. At start it sends "ABCDEFGH" as fast as UDRE0
 * allows (polling); then it echoes every byte it receives, from a ring
 * the RX interrupt fills, sleeping when idle. The RX handler toggles PB7
 * (pin 15) on entry, to time it. Timer 1 toggles PB6 (pin 14) from its
 * compare-A interrupt every 10000 cycles, to give the determinism test
 * something concurrent. UBRR_VALUE sets the baud rate (default 3:
 * 250000 baud at 16 MHz). */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>
#include <stdint.h>

#ifndef UBRR_VALUE
#define UBRR_VALUE 3
#endif

static volatile uint8_t ring[64];
static volatile uint8_t head, tail;

ISR(USART0_RX_vect)
{
    PINB = 1 << PB7;
    ring[head & 63] = UDR0;
    head++;
}

ISR(TIMER1_COMPA_vect)
{
    PINB = 1 << PB6;
    OCR1A += 10000;
}

static void put(uint8_t c)
{
    while (!(UCSR0A & (1 << UDRE0)))
        ;
    UDR0 = c;
}

int main(void)
{
    DDRB = (1 << PB7) | (1 << PB6);
    UBRR0 = UBRR_VALUE;
    UCSR0A = 0;
    UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);
    UCSR0B = (1 << RXEN0) | (1 << TXEN0) | (1 << RXCIE0);
    for (uint8_t c = 'A'; c <= 'H'; c++)
        put(c);
    OCR1A = 10000;
    TIMSK1 = 1 << OCIE1A;
    TCCR1B = 1 << CS10;
    set_sleep_mode(SLEEP_MODE_IDLE);
    for (;;) {
        cli();
        if (head != tail) {
            uint8_t c = ring[tail & 63];
            tail++;
            sei();
            put(c);
        } else {
            sleep_enable();
            sei();
            sleep_cpu();
            sleep_disable();
        }
    }
}
