/* The backend-independent half of a simulated MCU: the serial wire's
 * timing in the host-to-MCU direction and the fan-out of records. */
#include "sim_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BAUD 250000

struct sim_mcu *sim_mcu_create(const char *spec, char *err, size_t errlen)
{
    struct sim_mcu *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->baud = DEFAULT_BAUD;
    int rc;
    if (strcmp(spec, "avr") == 0)
        rc = sim_avr_open(m, NULL, err, errlen);
    else if (strncmp(spec, "avr=", 4) == 0 && spec[4])
        rc = sim_avr_open(m, spec + 4, err, errlen);
    else if (strcmp(spec, "native") == 0)
        rc = sim_native_open(m, err, errlen);
    else {
        snprintf(err, errlen, "unknown simulated MCU '%s': expected avr, avr=FILE.elf or native",
                 spec);
        rc = -1;
    }
    if (rc) {
        free(m);
        return NULL;
    }
    return m;
}

void sim_mcu_destroy(struct sim_mcu *m)
{
    if (!m)
        return;
    m->ops->destroy(m);
    free(m->txq);
    free(m);
}

const char *sim_mcu_backend(const struct sim_mcu *m)
{
    return m->ops->name;
}
uint32_t sim_mcu_freq(const struct sim_mcu *m)
{
    return m->freq;
}
uint32_t sim_mcu_baud(const struct sim_mcu *m)
{
    return m->baud;
}
uint64_t sim_mcu_cycle(const struct sim_mcu *m)
{
    return m->ops->cycle(m);
}
const char *sim_mcu_error(const struct sim_mcu *m)
{
    return m->failed ? m->error : NULL;
}

uint64_t sim_mcu_byte_cycles(const struct sim_mcu *m)
{
    /* Start bit, 8 data bits, stop bit; rounded up so that a byte never
     * crosses the wire faster than the baud rate allows. */
    return ((uint64_t)m->freq * 10 + m->baud - 1) / m->baud;
}

int sim_mcu_run_until(struct sim_mcu *m, uint64_t target)
{
    if (m->failed)
        return -1;
    for (;;) {
        uint64_t now = m->ops->cycle(m);
        if (m->txq_len && m->next_arrival <= target) {
            if (now < m->next_arrival && m->ops->run_until(m, m->next_arrival))
                return -1;
            uint8_t b = m->txq[m->txq_head];
            m->txq_head++;
            m->txq_len--;
            m->ops->uart_deliver(m, b);
            if (m->txq_len)
                m->next_arrival += sim_mcu_byte_cycles(m);
            continue;
        }
        if (now >= target)
            return 0;
        return m->ops->run_until(m, target) ? -1 : 0;
    }
}

uint64_t sim_mcu_clock_origin(const struct sim_mcu *m)
{
    return m->ops->clock_origin(m);
}

void sim_mcu_reset(struct sim_mcu *m)
{
    m->txq_head = m->txq_len = 0;
    m->ops->reset(m);
}

void sim_mcu_uart_send(struct sim_mcu *m, const uint8_t *data, size_t len)
{
    if (!len)
        return;
    if (m->txq_head && m->txq_head + m->txq_len + len > m->txq_cap) {
        memmove(m->txq, m->txq + m->txq_head, m->txq_len);
        m->txq_head = 0;
    }
    if (m->txq_head + m->txq_len + len > m->txq_cap) {
        size_t cap = m->txq_cap ? m->txq_cap : 256;
        while (cap < m->txq_len + len)
            cap *= 2;
        uint8_t *q = realloc(m->txq, cap);
        if (!q)
            abort();
        m->txq = q;
        m->txq_cap = cap;
    }
    if (!m->txq_len) {
        /* An idle wire: the first byte's stop bit ends one byte-time from now. */
        m->next_arrival = m->ops->cycle(m) + sim_mcu_byte_cycles(m);
    }
    memcpy(m->txq + m->txq_head + m->txq_len, data, len);
    m->txq_len += len;
}

size_t sim_mcu_uart_pending(const struct sim_mcu *m)
{
    return m->txq_len;
}

void sim_mcu_set_uart_rx(struct sim_mcu *m, sim_uart_rx_fn fn, void *ctx)
{
    m->rx_fn = fn;
    m->rx_ctx = ctx;
}

void sim_mcu_set_pin_watch(struct sim_mcu *m, sim_pin_fn fn, void *ctx)
{
    m->pin_fn = fn;
    m->pin_ctx = ctx;
}

void sim_mcu_set_input(struct sim_mcu *m, unsigned pin, int level)
{
    m->ops->set_input(m, pin, level);
}

void sim_mcu_set_analog_mv(struct sim_mcu *m, unsigned pin, uint32_t mv)
{
    m->ops->set_analog_mv(m, pin, mv);
}

void sim_mcu_emit_uart(struct sim_mcu *m, uint64_t cycle, uint8_t byte)
{
    if (m->rx_fn)
        m->rx_fn(m->rx_ctx, cycle, byte);
}

void sim_mcu_emit_pin(struct sim_mcu *m, uint64_t cycle, unsigned pin, int level)
{
    if (m->pin_fn)
        m->pin_fn(m->pin_ctx, cycle, pin, level);
}

void sim_mcu_fail(struct sim_mcu *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof(m->error), fmt, ap);
    va_end(ap);
    m->failed = 1;
}
