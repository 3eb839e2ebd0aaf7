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

/* A step pulse lasts at least step_pulse_ticks. The stepper event's own
 * work between its two edges takes at least this many ticks on this port
 * (tests/twin measures pulse widths on the simulated pins); longer pulses
 * note the time at the rising edge and wait out the rest. */
#define STEP_PULSE_FREE_TICKS 32
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

/* Wait for a timer due this soon in the timer interrupt rather than pay
 * for leaving and re-entering it (saving and restoring 27 registers,
 * about 120 cycles, more when the CPU was asleep). */
#define TIMER_MIN_TRY_TICKS 160

/* Busy-wait until waketime if it is at most TIMER_MIN_TRY_TICKS away:
 * 1 when it has come, 0 if it is further. */
static inline uint8_t timer_wait_briefly(uint32_t waketime)
{
    uint16_t w = waketime;
    int16_t diff;
    while ((diff = w - TCNT1) > 0)
        if (diff > TIMER_MIN_TRY_TICKS)
            return 0;
    return 1;
}

#endif
