/* GPIO on the atmega2560: ports A..L (there is no port I). A pin number
 * is (port - 'A') * 8 + bit, as the "pin" enumeration declares. */
#include <avr/interrupt.h>

#include "arch.h"
#include "command.h"
#include "sched.h"

#include "pins_atmega2560.h"

/* PINx of each port; DDRx and PORTx are the next two registers. */
static volatile uint8_t *const port_regs[] PROGMEM = {
    &PINA, &PINB, &PINC, &PIND, &PINE, &PINF, &PING, &PINH, NULL, &PINJ, &PINK, &PINL,
};

static volatile uint8_t *pin_regs(uint8_t pin)
{
    uint8_t port = pin / 8;
    if (port >= sizeof(port_regs) / sizeof(port_regs[0]))
        return NULL;
    return (volatile uint8_t *)pgm_read_word(&port_regs[port]);
}

struct gpio_out gpio_out_setup(uint8_t pin, uint8_t val)
{
    volatile uint8_t *regs = pin_regs(pin);
    if (!regs || (pin / 8 == 6 && pin % 8 > 5))
        shutdown("Not an output pin");
    struct gpio_out g = {.regs = regs, .bit = 1 << (pin % 8)};
    uint8_t sreg = SREG;
    cli();
    if (val)
        regs[2] |= g.bit;
    else
        regs[2] &= ~g.bit;
    regs[1] |= g.bit;
    SREG = sreg;
    return g;
}

void gpio_out_write(struct gpio_out g, uint8_t val)
{
    uint8_t sreg = SREG;
    cli();
    if (val)
        g.regs[2] |= g.bit;
    else
        g.regs[2] &= ~g.bit;
    SREG = sreg;
}

struct gpio_in gpio_in_setup(uint8_t pin, int8_t pull_up)
{
    volatile uint8_t *regs = pin_regs(pin);
    if (!regs || (pin / 8 == 6 && pin % 8 > 5))
        shutdown("Not a valid input pin");
    if (pull_up < 0)
        shutdown("Pull-down not supported on AVR");
    struct gpio_in g = {.regs = regs, .bit = 1 << (pin % 8)};
    uint8_t sreg = SREG;
    cli();
    regs[1] &= ~g.bit;
    if (pull_up)
        regs[2] |= g.bit;
    else
        regs[2] &= ~g.bit;
    SREG = sreg;
    return g;
}

uint8_t gpio_in_read(struct gpio_in g)
{
    return !!(g.regs[0] & g.bit);
}
