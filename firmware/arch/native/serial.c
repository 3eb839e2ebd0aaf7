/* The native port's UART: bytes leave one per 10 bit times, as on the
 * wire; received bytes are taken the moment they arrive. */
#include "arch.h"
#include "command.h"
#include "native_internal.h"
#include "sched.h"

DECL_CONSTANT("SERIAL_BAUD", CONFIG_SERIAL_BAUD);
DECL_CONSTANT_STR("RESERVE_PINS_serial", "PE0,PE1");

#define BYTE_CYCLES ((CONFIG_CLOCK_FREQ * 10 + CONFIG_SERIAL_BAUD - 1) / CONFIG_SERIAL_BAUD)

static uint64_t tx_done_at;
static uint8_t tx_byte, tx_busy;

static void start_next(void)
{
    uint8_t b;
    if (serial_tx_next(&b)) {
        tx_busy = 0;
        return;
    }
    tx_byte = b;
    tx_busy = 1;
    tx_done_at = native.now + BYTE_CYCLES;
}

void serial_kick_tx(void)
{
    if (!tx_busy)
        start_next();
}

uint64_t native_serial_next_event(void)
{
    return tx_busy ? tx_done_at : UINT64_MAX;
}

void native_serial_tx_done(void)
{
    if (native.hooks.uart_tx)
        native.hooks.uart_tx(native.hooks.ctx, native.now, tx_byte);
    start_next();
}

void native_mcu_uart_rx(uint8_t byte)
{
    serial_rx_byte(byte);
    native.tasks_due = 1;
}

void native_serial_reset(void)
{
    tx_busy = 0;
    tx_done_at = 0;
}
