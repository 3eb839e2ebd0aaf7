/* Hangs with the watchdog running: the chip resets and starts over. PB7
 * (pin 15) goes high at each start; MCUSR as found at start is stored at
 * 0x210 (WDRF set after a watchdog reset). */
#include <avr/io.h>
#include <avr/wdt.h>
#include <stdint.h>

int main(void)
{
    uint8_t why = MCUSR;
    MCUSR = 0;
    *(volatile uint8_t *)0x210 = why;
    DDRB = 1 << PB7;
    PORTB = 1 << PB7;
    wdt_enable(WDTO_15MS);
    for (;;)
        ;
}
