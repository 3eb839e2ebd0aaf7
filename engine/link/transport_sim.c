#include "transport_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_mcu.h"

/* How far the simulation runs before the host gets to look at what
 * arrived, in byte times on the wire. Short enough that the host acks
 * and refills the MCU's window about as fast as a real host would;
 * long enough that the per-call cost of the simulator stays small. */
#define SLICE_BYTES 4

struct sim_transport {
    struct link_transport base;
    struct sim_mcu *m;
    int own;
    uint32_t freq;
    uint64_t slice;
    uint8_t *rx;
    uint64_t *rx_cycle;
    size_t rxlen, rxcap;
};

uint64_t link_cycles_to_ns(uint64_t cycles, uint32_t freq)
{
    if (!freq)
        return 0;
    return cycles / freq * LINK_NS_PER_SEC + cycles % freq * LINK_NS_PER_SEC / freq;
}

uint64_t link_ns_to_cycles(uint64_t ns, uint32_t freq)
{
    uint64_t whole = ns / LINK_NS_PER_SEC, frac = ns % LINK_NS_PER_SEC;
    return whole * freq + (frac * freq + LINK_NS_PER_SEC - 1) / LINK_NS_PER_SEC;
}

static void on_rx(void *ctx, uint64_t cycle, uint8_t byte)
{
    struct sim_transport *s = ctx;
    if (s->rxlen == s->rxcap) {
        s->rxcap = s->rxcap ? s->rxcap * 2 : 256;
        s->rx = realloc(s->rx, s->rxcap);
        s->rx_cycle = realloc(s->rx_cycle, s->rxcap * sizeof(*s->rx_cycle));
        if (!s->rx || !s->rx_cycle)
            abort();
    }
    s->rx[s->rxlen] = byte;
    s->rx_cycle[s->rxlen] = cycle;
    s->rxlen++;
}

static int sim_write(struct link_transport *t, const uint8_t *data, size_t len)
{
    struct sim_transport *s = (struct sim_transport *)t;
    sim_mcu_uart_send(s->m, data, len);
    return 0;
}

/* Each byte carries the cycle its stop bit ended, so block timestamps are
 * exact rather than rounded to the end of a slice. */
static int deliver(struct sim_transport *s, link_rx_fn fn, void *ctx)
{
    size_t n = s->rxlen;
    for (size_t i = 0; i < n; i++)
        fn(ctx, &s->rx[i], 1, link_cycles_to_ns(s->rx_cycle[i], s->freq));
    s->rxlen = 0;
    return (int)n;
}

static int sim_poll(struct link_transport *t, uint64_t deadline_ns, link_rx_fn fn, void *ctx)
{
    struct sim_transport *s = (struct sim_transport *)t;
    if (s->rxlen)
        return deliver(s, fn, ctx);
    uint64_t target = link_ns_to_cycles(deadline_ns, s->freq);
    for (;;) {
        uint64_t now = sim_mcu_cycle(s->m);
        if (now >= target)
            return 0;
        uint64_t step = now + s->slice < target ? now + s->slice : target;
        if (sim_mcu_run_until(s->m, step)) {
            const char *e = sim_mcu_error(s->m);
            snprintf(t->error, sizeof(t->error), "simulated MCU stopped: %s",
                     e ? e : "unknown error");
            return -1;
        }
        if (s->rxlen)
            return deliver(s, fn, ctx);
    }
}

static uint64_t sim_now(struct link_transport *t)
{
    struct sim_transport *s = (struct sim_transport *)t;
    return link_cycles_to_ns(sim_mcu_cycle(s->m), s->freq);
}

static void sim_close(struct link_transport *t)
{
    struct sim_transport *s = (struct sim_transport *)t;
    sim_mcu_set_uart_rx(s->m, NULL, NULL);
    if (s->own)
        sim_mcu_destroy(s->m);
    free(s->rx);
    free(s->rx_cycle);
    free(s);
}

static int sim_reset_mcu(struct link_transport *t)
{
    struct sim_transport *s = (struct sim_transport *)t;
    sim_mcu_reset(s->m);
    return 0;
}

static const struct link_transport_ops sim_ops = {
    .write = sim_write,
    .poll = sim_poll,
    .now = sim_now,
    .close = sim_close,
    .reset_mcu = sim_reset_mcu,
};

struct link_transport *link_sim_wrap(struct sim_mcu *m, int own)
{
    struct sim_transport *s = calloc(1, sizeof(*s));
    if (!s)
        abort();
    s->base.ops = &sim_ops;
    s->base.kind = "sim";
    s->base.simulated = 1;
    s->base.baud = sim_mcu_baud(m);
    s->m = m;
    s->own = own;
    s->freq = sim_mcu_freq(m);
    uint64_t byte_cycles = s->base.baud ? (uint64_t)s->freq * 10 / s->base.baud : 0;
    s->slice = byte_cycles * SLICE_BYTES;
    if (!s->slice)
        s->slice = s->freq / 10000 + 1;
    sim_mcu_set_uart_rx(m, on_rx, s);
    return &s->base;
}

struct link_transport *link_sim_open(const char *spec, char *err, size_t errlen)
{
    struct sim_mcu *m = sim_mcu_create(spec, err, errlen);
    if (!m)
        return NULL;
    if (!sim_mcu_freq(m)) {
        snprintf(err, errlen, "simulated MCU '%s' reports no clock frequency", spec);
        sim_mcu_destroy(m);
        return NULL;
    }
    return link_sim_wrap(m, 1);
}

struct sim_mcu *link_sim_mcu(struct link_transport *t)
{
    if (!t || t->ops != &sim_ops)
        return NULL;
    return ((struct sim_transport *)t)->m;
}
