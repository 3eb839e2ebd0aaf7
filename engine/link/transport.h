/* A byte pipe to an MCU with its own clock.
 *
 * Time is in nanoseconds on the transport's clock: a monotonic wall
 * clock for a serial port, MCU cycles / frequency for a simulated MCU.
 * Waiting is poll(): on hardware it sleeps, in simulation it runs the
 * simulated MCU forward, so code above this interface never needs to
 * know which it has. */
#ifndef LOCKSTEP_LINK_TRANSPORT_H
#define LOCKSTEP_LINK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LINK_NS_PER_SEC 1000000000ull

/* Bytes that arrived, and when the last of them did. */
typedef void (*link_rx_fn)(void *ctx, const uint8_t *data, size_t len, uint64_t t_ns);

struct link_transport;

struct link_transport_ops {
    int (*write)(struct link_transport *t, const uint8_t *data, size_t len);
    /* Return once bytes have been handed to fn or the clock reached
     * deadline_ns, whichever is first. Returns the number of bytes
     * delivered, or -1 on a failure described in t->error. */
    int (*poll)(struct link_transport *t, uint64_t deadline_ns, link_rx_fn fn, void *ctx);
    uint64_t (*now)(struct link_transport *t);
    void (*close)(struct link_transport *t);
    /* Reset the MCU (NULL: this link cannot): Arduino-style, by its
     * reset line. 0, or -1 with t->error. */
    int (*reset_mcu)(struct link_transport *t);
};

struct link_transport {
    const struct link_transport_ops *ops;
    const char *kind; /* "serial", "sim", or a test's own */
    uint32_t baud;    /* wire speed used for timing estimates; 0 if unknown */
    int simulated;    /* time is virtual: never sleep on its behalf */
    char error[256];
};

static inline int link_write(struct link_transport *t, const uint8_t *d, size_t n)
{
    return t->ops->write(t, d, n);
}
static inline int link_poll(struct link_transport *t, uint64_t deadline_ns, link_rx_fn fn,
                            void *ctx)
{
    return t->ops->poll(t, deadline_ns, fn, ctx);
}
static inline uint64_t link_now(struct link_transport *t)
{
    return t->ops->now(t);
}
static inline void link_close(struct link_transport *t)
{
    if (t)
        t->ops->close(t);
}

static inline int link_reset_mcu(struct link_transport *t)
{
    if (!t->ops->reset_mcu) {
        snprintf(t->error, sizeof(t->error), "this link (%s) cannot reset its MCU", t->kind);
        return -1;
    }
    return t->ops->reset_mcu(t);
}

/* Nanoseconds one 8N1 byte occupies at t's baud rate (0 if unknown). */
uint64_t link_byte_ns(const struct link_transport *t);

/* Open by the console's device syntax: "sim:avr", "sim:avr=FILE.elf",
 * "sim:native", or a serial device / pty path (baud applies there). */
struct link_transport *link_transport_open(const char *device, uint32_t baud, char *err,
                                           size_t errlen);

#endif
