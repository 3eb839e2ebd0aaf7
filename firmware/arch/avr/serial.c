/* USART0 at 250000 baud: the host link. */
#include <avr/interrupt.h>

#include "arch.h"
#include "command.h"
#include "sched.h"

DECL_CONSTANT("SERIAL_BAUD", CONFIG_SERIAL_BAUD);
DECL_CONSTANT_STR("RESERVE_PINS_serial", "PE0,PE1");

ISR(USART0_RX_vect)
{
    serial_rx_byte(UDR0);
}

ISR(USART0_UDRE_vect)
{
    uint8_t b;
    if (serial_tx_next(&b))
        UCSR0B &= ~(1 << UDRIE0);
    else
        UDR0 = b;
}

void serial_kick_tx(void)
{
    uint8_t sreg = SREG;
    cli();
    UCSR0B |= 1 << UDRIE0;
    SREG = sreg;
}

void serial_setup(void);
void serial_setup(void)
{
    /* Double speed: 16 MHz / (8 * 250000) - 1 = 7, an exact divisor. */
    UCSR0A = 1 << U2X0;
    UBRR0 = CONFIG_CLOCK_FREQ / (8UL * CONFIG_SERIAL_BAUD) - 1;
    UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);
    UCSR0B = (1 << RXEN0) | (1 << TXEN0) | (1 << RXCIE0);
}
