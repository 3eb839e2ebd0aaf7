/* The 10-bit ADC: PF0..PF7 are channels 0..7, PK0..PK7 channels 8..15.
 * One conversion at a time; a pin that finds the converter busy is told
 * to come back later. */
#include <avr/interrupt.h>

#include "arch.h"
#include "command.h"
#include "sched.h"

DECL_CONSTANT("ADC_MAX", 1023);
DECL_CONSTANT("PWM_MAX", 255);

/* Prescaler 128: a 125 kHz ADC clock, 13 ADC clocks per conversion. */
#define ADC_CONVERSION_TICKS (13 * 128)
#define ADC_IDLE 0xff

static uint8_t adc_current = ADC_IDLE;

struct gpio_adc gpio_adc_setup(uint8_t pin)
{
    uint8_t chan;
    if (pin >= 5 * 8 && pin < 6 * 8)
        chan = pin - 5 * 8;
    else if (pin >= 10 * 8 && pin < 11 * 8)
        chan = pin - 10 * 8 + 8;
    else
        shutdown("Not a valid ADC pin");
    /* Analog pins: the digital input buffer only adds noise and power. */
    if (chan < 8)
        DIDR0 |= 1 << chan;
    else
        DIDR2 |= 1 << (chan - 8);
    ADCSRA = (1 << ADEN) | (1 << ADPS2) | (1 << ADPS1) | (1 << ADPS0);
    return (struct gpio_adc){.chan = chan};
}

uint32_t gpio_adc_sample(struct gpio_adc g)
{
    if (adc_current == ADC_IDLE) {
        adc_current = g.chan;
        ADMUX = (1 << REFS0) | (g.chan & 0x07); /* AVCC reference */
        ADCSRB = (g.chan & 0x08) ? (1 << MUX5) : 0;
        ADCSRA |= 1 << ADSC;
        return ADC_CONVERSION_TICKS + 200;
    }
    if (adc_current != g.chan || (ADCSRA & (1 << ADSC)))
        return ADC_CONVERSION_TICKS / 4;
    return 0;
}

uint16_t gpio_adc_read(struct gpio_adc g)
{
    (void)g;
    adc_current = ADC_IDLE;
    return ADC;
}

void gpio_adc_cancel_sample(struct gpio_adc g)
{
    uint8_t sreg = SREG;
    cli();
    if (adc_current == g.chan)
        adc_current = ADC_IDLE;
    SREG = sreg;
}

void adc_init(void);
DECL_INIT(adc_init);
void adc_init(void)
{
    adc_current = ADC_IDLE;
}
