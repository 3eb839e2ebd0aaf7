/* State shared by the native port's files. */
#ifndef LOCKSTEP_NATIVE_INTERNAL_H
#define LOCKSTEP_NATIVE_INTERNAL_H

#include <stdint.h>

#include "native_mcu.h"

struct native_state {
    uint64_t now;
    struct native_mcu_hooks hooks;
    int tasks_due, had_event;
};
extern struct native_state native;

void native_gpio_reset(void);
/* The reset line: the chip's own pin state only. */
void native_gpio_chip_reset(void);
void native_serial_reset(void);
/* Cycle the byte on the transmit line finishes, or UINT64_MAX. */
uint64_t native_serial_next_event(void);
void native_serial_tx_done(void);

#endif
