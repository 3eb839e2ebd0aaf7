/* Drive the native firmware build: one MCU per process (the firmware's
 * state is global, as on a chip), advanced by a virtual clock. */
#ifndef LOCKSTEP_NATIVE_MCU_H
#define LOCKSTEP_NATIVE_MCU_H

#include <stdint.h>

struct native_mcu_hooks {
    void (*pin)(void *ctx, uint64_t cycle, unsigned pin, int level);
    void (*uart_tx)(void *ctx, uint64_t cycle, uint8_t byte);
    void *ctx;
};

/* Power on: cycle 0, every module initialised. Returns -1 if another
 * user holds the native MCU. */
int native_mcu_open(const struct native_mcu_hooks *hooks);
void native_mcu_close(void);
/* The reset line: every module starts over; the clock runs on. */
void native_mcu_reset(void);
uint64_t native_mcu_cycle(void);
/* Run timers, the UART and the main loop until the clock reaches target. */
void native_mcu_run_until(uint64_t target);
/* A byte has just arrived on the receive line. */
void native_mcu_uart_rx(uint8_t byte);
void native_mcu_set_input(unsigned pin, int level);
void native_mcu_set_analog_mv(unsigned pin, uint32_t mv);

#endif
