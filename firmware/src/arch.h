/* What a port (arch/avr, arch/native, later arch/stm32) provides to the
 * portable core. Hot-path GPIO helpers are static inline in the port's
 * arch_port.h, which also defines struct gpio_out, gpio_in, gpio_adc,
 * irqstatus_t, ARCH_PROGMEM and arch_read_progmem(). */
#ifndef LOCKSTEP_ARCH_H
#define LOCKSTEP_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "arch_port.h"

/* Clock. timer_kick() is called when the earliest timer changed outside
 * the timer interrupt, so that the port reprograms its compare unit. */
uint32_t timer_read_time(void);
void timer_kick(void);

/* Interrupts. irq_wait() enables interrupts and sleeps until one has been
 * serviced; the simulator skips the idle time in between. */
void irq_disable(void);
void irq_enable(void);
irqstatus_t irq_save(void);
void irq_restore(irqstatus_t flag);
void irq_wait(void);

/* GPIO. Setup functions shut the MCU down on a pin the port lacks. */
struct gpio_out gpio_out_setup(uint8_t pin, uint8_t val);
void gpio_out_write(struct gpio_out g, uint8_t val);
struct gpio_in gpio_in_setup(uint8_t pin, int8_t pull_up);
uint8_t gpio_in_read(struct gpio_in g);

/* ADC. gpio_adc_sample() starts or continues a conversion: 0 when a result
 * is ready to read, otherwise the ticks to wait before asking again. */
struct gpio_adc gpio_adc_setup(uint8_t pin);
uint32_t gpio_adc_sample(struct gpio_adc g);
uint16_t gpio_adc_read(struct gpio_adc g);
void gpio_adc_cancel_sample(struct gpio_adc g);

/* Serial: the port's interrupt handlers call serial_rx_byte() and
 * serial_tx_next() (command.c); the core calls serial_kick_tx() when it
 * has queued bytes to send. */
void serial_kick_tx(void);

/* Memory left for run-time allocation (oid objects, the move queue). */
void arch_dynmem(void **start, void **end);

#endif
