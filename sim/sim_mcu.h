/* A simulated MCU: one interface over every backend (simavr atmega2560,
 * the native firmware build, later Unicorn for ARM).
 *
 * Time is the MCU's own cycle counter, 64 bits wide, starting at 0 at
 * reset. Nothing here reads a wall clock: a backend advances only when
 * sim_mcu_run_until() is called, so the same calls give the same records.
 *
 * Pins are numbered as the firmware's "pin" enumeration numbers them:
 * (port letter - 'A') * 8 + bit, so PA0 = 0, PB0 = 8, PF0 = 40, PK5 = 85.
 */
#ifndef LOCKSTEP_SIM_MCU_H
#define LOCKSTEP_SIM_MCU_H

#include <stddef.h>
#include <stdint.h>

struct sim_mcu;

/* Called for each byte the MCU transmits, at the cycle its stop bit ends. */
typedef void (*sim_uart_rx_fn)(void *ctx, uint64_t cycle, uint8_t byte);

/* Called for each change of a watched pin's output level. */
typedef void (*sim_pin_fn)(void *ctx, uint64_t cycle, unsigned pin, int level);

/* Spec: "avr" (the project's firmware), "avr=PATH.elf" (any atmega2560
 * ELF), or "native". Returns NULL and fills err on failure. */
struct sim_mcu *sim_mcu_create(const char *spec, char *err, size_t errlen);
void sim_mcu_destroy(struct sim_mcu *m);

/* Short backend name, e.g. "avr" or "native". */
const char *sim_mcu_backend(const struct sim_mcu *m);
/* MCU clock frequency in Hz (16000000 for the atmega2560). */
uint32_t sim_mcu_freq(const struct sim_mcu *m);
/* Current cycle. */
uint64_t sim_mcu_cycle(const struct sim_mcu *m);

/* The cycle at which the MCU's own clock (the clock its commands and
 * reports use) read 0: at cycle c it reads (uint32_t)(c - origin). A
 * reset may move it. */
uint64_t sim_mcu_clock_origin(const struct sim_mcu *m);
/* Pull the reset line, as a serial adapter's DTR does on an Arduino:
 * the firmware restarts from scratch (every output back to its power-on
 * state); the cycle counter, the simulation's time, runs on. Bytes still
 * on the wire to the MCU are lost. */
void sim_mcu_reset(struct sim_mcu *m);

/* Advance the simulation until the cycle counter reaches target (it may
 * stop a few cycles beyond, never before). Returns 0, or -1 if the
 * simulated CPU crashed or stopped (sim_mcu_error() says why). */
int sim_mcu_run_until(struct sim_mcu *m, uint64_t target);
const char *sim_mcu_error(const struct sim_mcu *m);

/* Queue bytes for the MCU's UART receiver. They are delivered one after
 * another at the configured baud rate (10 bit times per 8N1 byte),
 * starting no earlier than the current cycle. */
void sim_mcu_uart_send(struct sim_mcu *m, const uint8_t *data, size_t len);
/* Bytes queued but not yet delivered to the MCU. */
size_t sim_mcu_uart_pending(const struct sim_mcu *m);
void sim_mcu_set_uart_rx(struct sim_mcu *m, sim_uart_rx_fn fn, void *ctx);
/* Bits per second on the simulated wire (250000 by default). */
uint32_t sim_mcu_baud(const struct sim_mcu *m);

/* Record changes of every output pin: one callback for all pins. */
void sim_mcu_set_pin_watch(struct sim_mcu *m, sim_pin_fn fn, void *ctx);
/* Drive a digital input pin from outside (an endstop switch, say). */
void sim_mcu_set_input(struct sim_mcu *m, unsigned pin, int level);
/* Drive an analog input pin with a voltage in millivolts (0..5000). */
void sim_mcu_set_analog_mv(struct sim_mcu *m, unsigned pin, uint32_t mv);

#endif
