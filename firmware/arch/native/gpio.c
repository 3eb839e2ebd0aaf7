/* The native port's pins and ADC, as plain state the simulator reads
 * and drives. */
#include "arch.h"
#include "command.h"
#include "native_internal.h"
#include "sched.h"
#include "../avr/pins_atmega2560.h"

DECL_CONSTANT("ADC_MAX", 1023);
DECL_CONSTANT("PWM_MAX", 255);

#define NUM_PINS (12 * 8)

static uint8_t out_level[NUM_PINS], is_output[NUM_PINS], pull_up[NUM_PINS];
static int8_t driven[NUM_PINS]; /* -1: nothing drives the pin */
static uint16_t analog_mv[NUM_PINS];

static int valid_pin(uint8_t pin)
{
    uint8_t port = pin / 8;
    return pin < NUM_PINS && port != 'I' - 'A' && !(port == 'G' - 'A' && pin % 8 > 5);
}

/* What the pin shows the outside world, as on the AVR: the output
 * latch while it is an output, low (nothing driven) while it is not. */
static uint8_t shown(uint8_t pin)
{
    return is_output[pin] ? out_level[pin] : 0;
}

/* Change the output latch (and direction), reporting only real changes. */
static void set_output(uint8_t pin, uint8_t output, uint8_t level)
{
    uint8_t before = shown(pin);
    is_output[pin] = output;
    out_level[pin] = level;
    if (shown(pin) != before && native.hooks.pin)
        native.hooks.pin(native.hooks.ctx, native.now, pin, shown(pin));
}

void native_gpio_toggle(uint8_t pin)
{
    set_output(pin, is_output[pin], !out_level[pin]);
}

struct gpio_out gpio_out_setup(uint8_t pin, uint8_t val)
{
    if (!valid_pin(pin))
        shutdown("Not an output pin");
    set_output(pin, 1, !!val);
    return (struct gpio_out){.pin = pin};
}

void gpio_out_write(struct gpio_out g, uint8_t val)
{
    set_output(g.pin, is_output[g.pin], !!val);
}

struct gpio_in gpio_in_setup(uint8_t pin, int8_t pull)
{
    if (!valid_pin(pin))
        shutdown("Not a valid input pin");
    if (pull < 0)
        shutdown("Pull-down not supported on AVR");
    set_output(pin, 0, out_level[pin]);
    pull_up[pin] = pull > 0;
    return (struct gpio_in){.pin = pin};
}

uint8_t gpio_in_read(struct gpio_in g)
{
    if (driven[g.pin] >= 0)
        return driven[g.pin];
    return pull_up[g.pin];
}

void native_mcu_set_input(unsigned pin, int level)
{
    if (pin < NUM_PINS)
        driven[pin] = level < 0 ? -1 : !!level;
}

void native_mcu_set_analog_mv(unsigned pin, uint32_t mv)
{
    if (pin < NUM_PINS)
        analog_mv[pin] = mv > 5000 ? 5000 : mv;
}

struct gpio_adc gpio_adc_setup(uint8_t pin)
{
    uint8_t port = pin / 8;
    if (!valid_pin(pin) || (port != 'F' - 'A' && port != 'K' - 'A'))
        shutdown("Not a valid ADC pin");
    return (struct gpio_adc){.pin = pin};
}

uint32_t gpio_adc_sample(struct gpio_adc g)
{
    (void)g;
    return 0;
}

/* The AVR's transfer: 1024 * Vin / Vref, saturating at 1023. */
uint16_t gpio_adc_read(struct gpio_adc g)
{
    uint32_t v = (uint32_t)analog_mv[g.pin] * 1024 / 5000;
    return v > 1023 ? 1023 : v;
}

void gpio_adc_cancel_sample(struct gpio_adc g)
{
    (void)g;
}

void native_gpio_reset(void)
{
    for (unsigned i = 0; i < NUM_PINS; i++) {
        out_level[i] = is_output[i] = pull_up[i] = 0;
        driven[i] = -1;
        analog_mv[i] = 0;
    }
}

void native_gpio_chip_reset(void)
{
    /* What the board drives into the pins (switches, thermistors) stays;
     * the chip lets go of its outputs, and whoever watches sees it. */
    for (unsigned i = 0; i < NUM_PINS; i++) {
        int before = shown(i);
        out_level[i] = is_output[i] = pull_up[i] = 0;
        if (shown(i) != before && native.hooks.pin)
            native.hooks.pin(native.hooks.ctx, native.now, i, shown(i));
    }
}
