/* What a simulated-MCU backend implements, and the services sim_mcu.c
 * gives it. Only backends include this. */
#ifndef LOCKSTEP_SIM_BACKEND_H
#define LOCKSTEP_SIM_BACKEND_H

#include "sim_mcu.h"

struct sim_mcu_ops {
    const char *name;
    void (*destroy)(struct sim_mcu *m);
    /* Run until the cycle counter reaches target (may overshoot by the
     * length of one instruction). Returns 0, or -1 after sim_mcu_fail(). */
    int (*run_until)(struct sim_mcu *m, uint64_t target);
    uint64_t (*cycle)(const struct sim_mcu *m);
    void (*set_input)(struct sim_mcu *m, unsigned pin, int level);
    void (*set_analog_mv)(struct sim_mcu *m, unsigned pin, uint32_t mv);
    /* The receiver has just finished taking in one byte: make it
     * available to the firmware now. sim_mcu.c paces the wire and calls
     * this at each byte's arrival cycle. */
    void (*uart_deliver)(struct sim_mcu *m, uint8_t byte);
    /* Reset the chip (its reset pin): the firmware starts over, the
     * cycle counter runs on. */
    void (*reset)(struct sim_mcu *m);
    uint64_t (*clock_origin)(const struct sim_mcu *m);
};

struct sim_mcu {
    const struct sim_mcu_ops *ops;
    void *backend;
    uint32_t freq, baud;
    /* Host-to-MCU wire: queued bytes and when the next one arrives. */
    uint8_t *txq;
    size_t txq_head, txq_len, txq_cap;
    uint64_t next_arrival;
    sim_uart_rx_fn rx_fn;
    void *rx_ctx;
    sim_pin_fn pin_fn;
    void *pin_ctx;
    int failed;
    char error[256];
};

/* Cycles one 8N1 byte occupies on the wire. */
uint64_t sim_mcu_byte_cycles(const struct sim_mcu *m);
void sim_mcu_emit_uart(struct sim_mcu *m, uint64_t cycle, uint8_t byte);
void sim_mcu_emit_pin(struct sim_mcu *m, uint64_t cycle, unsigned pin, int level);
void sim_mcu_fail(struct sim_mcu *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Backend constructors: fill m->ops, m->backend, m->freq; return 0, or -1
 * with a message in err. */
int sim_avr_open(struct sim_mcu *m, const char *elf_path, char *err, size_t errlen);
int sim_native_open(struct sim_mcu *m, char *err, size_t errlen);

#endif
