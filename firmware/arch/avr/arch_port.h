/* atmega2560 (and other megaAVR) port: types and hot-path helpers. */
#ifndef LOCKSTEP_ARCH_PORT_H
#define LOCKSTEP_ARCH_PORT_H

#include <avr/io.h>
#include <avr/pgmspace.h>
#include <stdint.h>
#include <string.h>

#define CONFIG_CLOCK_FREQ F_CPU
#define CONFIG_SERIAL_BAUD 250000
#define CONFIG_RECEIVE_WINDOW 192
#define CONFIG_TRANSMIT_BUFFER 128
/* RAM kept for the stack; the rest after .bss is the run-time pool. */
#define CONFIG_STACK_SIZE 512

typedef uint8_t irqstatus_t;

#define ARCH_PROGMEM PROGMEM
static inline void arch_read_progmem(void *dst, const void *src, size_t n)
{
    memcpy_P(dst, src, n);
}

struct gpio_out {
    volatile uint8_t *regs; /* PINx; DDRx and PORTx follow it */
    uint8_t bit;
};
struct gpio_in {
    volatile uint8_t *regs;
    uint8_t bit;
};
struct gpio_adc {
    uint8_t chan;
};

/* Writing a one to PINx toggles the output: one store, no read-modify-
 * write, safe without disabling interrupts. */
static inline void gpio_out_toggle_noirq(struct gpio_out g)
{
    g.regs[0] = g.bit;
}

/* A step pulse lasts at least step_pulse_ticks: note the time at the
 * rising edge and wait out what the step's own bookkeeping did not. */
typedef uint16_t step_pulse_t;
static inline step_pulse_t step_pulse_begin(void)
{
    return TCNT1;
}
static inline void step_pulse_wait(step_pulse_t begin, uint16_t ticks)
{
    while ((uint16_t)(TCNT1 - begin) < ticks)
        ;
}

#endif
