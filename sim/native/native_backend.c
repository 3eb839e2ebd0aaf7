/* The native backend: the firmware's portable core built for the host,
 * on the same virtual timeline as everything else. */
#include <stdio.h>

#include "native_mcu.h"
#include "sim_backend.h"

#define NATIVE_FREQ 16000000

static void on_pin(void *ctx, uint64_t cycle, unsigned pin, int level)
{
    sim_mcu_emit_pin(ctx, cycle, pin, level);
}

static void on_uart(void *ctx, uint64_t cycle, uint8_t byte)
{
    sim_mcu_emit_uart(ctx, cycle, byte);
}

static void native_destroy(struct sim_mcu *m)
{
    (void)m;
    native_mcu_close();
}

static int native_run_until(struct sim_mcu *m, uint64_t target)
{
    (void)m;
    native_mcu_run_until(target);
    return 0;
}

static uint64_t native_cycle(const struct sim_mcu *m)
{
    (void)m;
    return native_mcu_cycle();
}

static void native_set_input(struct sim_mcu *m, unsigned pin, int level)
{
    (void)m;
    native_mcu_set_input(pin, level);
}

static void native_set_analog(struct sim_mcu *m, unsigned pin, uint32_t mv)
{
    (void)m;
    native_mcu_set_analog_mv(pin, mv);
}

static void native_deliver(struct sim_mcu *m, uint8_t byte)
{
    (void)m;
    native_mcu_uart_rx(byte);
}

static void native_reset(struct sim_mcu *m)
{
    (void)m;
    native_mcu_reset();
}

/* The native clock is the virtual cycle counter itself; a reset keeps it. */
static uint64_t native_clock_origin(const struct sim_mcu *m)
{
    (void)m;
    return 0;
}

static const struct sim_mcu_ops native_ops = {
    .name = "native",
    .destroy = native_destroy,
    .run_until = native_run_until,
    .cycle = native_cycle,
    .set_input = native_set_input,
    .set_analog_mv = native_set_analog,
    .uart_deliver = native_deliver,
    .reset = native_reset,
    .clock_origin = native_clock_origin,
};

int sim_native_open(struct sim_mcu *m, char *err, size_t errlen)
{
    struct native_mcu_hooks hooks = {.pin = on_pin, .uart_tx = on_uart, .ctx = m};
    if (native_mcu_open(&hooks)) {
        snprintf(err, errlen, "the native MCU is already in use in this process");
        return -1;
    }
    m->ops = &native_ops;
    m->freq = NATIVE_FREQ;
    return 0;
}
