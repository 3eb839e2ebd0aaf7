/* Native port: the portable core compiled for the host and driven by a
 * virtual clock (see native_mcu.h). It presents the atmega2560's pins and
 * clock rate, so the same host commands give the same schedules. */
#ifndef LOCKSTEP_ARCH_PORT_H
#define LOCKSTEP_ARCH_PORT_H

#include <stdint.h>
#include <string.h>

#define CONFIG_CLOCK_FREQ 16000000
#define CONFIG_SERIAL_BAUD 250000
#define CONFIG_RECEIVE_WINDOW 192
#define CONFIG_TRANSMIT_BUFFER 128
#define CONFIG_NATIVE_POOL 32768

typedef uint8_t irqstatus_t;

#define ARCH_PROGMEM
static inline void arch_read_progmem(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}

struct gpio_out {
    uint8_t pin;
};
struct gpio_in {
    uint8_t pin;
};
struct gpio_adc {
    uint8_t pin;
};

void native_gpio_toggle(uint8_t pin);
static inline void gpio_out_toggle_noirq(struct gpio_out g)
{
    native_gpio_toggle(g.pin);
}

/* Busy-waiting takes virtual time too: the pulse's falling edge lands
 * step_pulse_ticks after its rising edge. The event's own work takes no
 * virtual time, so every pulse waits. */
#define STEP_PULSE_FREE_TICKS 0
typedef uint32_t step_pulse_t;
uint32_t timer_read_time(void);
void native_busy_until(uint32_t time);
static inline step_pulse_t step_pulse_begin(void)
{
    return timer_read_time();
}
static inline void step_pulse_wait(step_pulse_t begin, uint16_t ticks)
{
    native_busy_until(begin + ticks);
}

/* Timers run exactly at their waketime here: nothing to save by waiting. */
static inline uint8_t timer_wait_briefly(uint32_t waketime)
{
    (void)waketime;
    return 0;
}

#endif
