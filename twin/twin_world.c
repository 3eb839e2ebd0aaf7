/* The twin's run loop and its transport.
 *
 * The simulated MCU runs in slices; between slices the models that are
 * not driven by pin edges get their turn: the thermistors' voltages are
 * refreshed every 10 ms, timed faults act at their cycle, conditions are
 * checked. While the host waits for bytes the slices are short (a few
 * byte times) when something is on the wire and grow while the link is
 * quiet, so the host answers about as fast as on a real link without
 * cutting an idle simulation into tiny pieces. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim_mcu.h"
#include "transport.h"
#include "transport_sim.h"
#include "twin_internal.h"

#define EVENT_RX 0x20000u
#define EVENT_TX 0x30000u

struct twin_transport {
    struct link_transport base;
    struct twin *tw;
};

double twin_seconds(const struct twin *tw, uint64_t cycle)
{
    return (double)(cycle / tw->freq) + (double)(cycle % tw->freq) / tw->freq;
}

uint64_t twin_cycles(const struct twin *tw, double seconds)
{
    return seconds > 0 ? (uint64_t)llround(seconds * tw->freq) : 0;
}

void twin_fail(struct twin *tw, const char *fmt, ...)
{
    if (tw->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tw->error, sizeof(tw->error), fmt, ap);
    va_end(ap);
    tw->failed = true;
}

void twin_on_rx(void *ctx, uint64_t cycle, uint8_t byte)
{
    struct twin *tw = ctx;
    twin_record_event(&tw->rec, cycle, EVENT_RX, byte);
    if (!tw->tp)
        return; /* nobody listens: the bytes are lost, as on an unplugged cable */
    if (tw->rxlen == tw->rxcap) {
        size_t cap = tw->rxcap ? tw->rxcap * 2 : 256;
        uint8_t *rx = realloc(tw->rx, cap);
        uint64_t *rc = rx ? realloc(tw->rx_cycle, cap * sizeof(*rc)) : NULL;
        if (rx)
            tw->rx = rx;
        if (!rx || !rc) {
            twin_fail(tw, "out of memory for the MCU's bytes");
            return;
        }
        tw->rx_cycle = rc;
        tw->rxcap = cap;
    }
    tw->rx[tw->rxlen] = byte;
    tw->rx_cycle[tw->rxlen] = cycle;
    tw->rxlen++;
}

void twin_thermal_update(struct twin *tw, uint64_t now)
{
    double t = twin_seconds(tw, now);
    for (size_t i = 0; i < tw->nheaters; i++) {
        struct twin_heater *h = &tw->heaters[i];
        if (t > heater_model_time(&h->model) && heater_model_advance(&h->model, t) < 0) {
            twin_fail(tw, "%s: %s", h->name, heater_model_error(&h->model));
            return;
        }
        double block = heater_model_block_temp(&h->model);
        double sensor = heater_model_sensor_temp(&h->model);
        if (block > h->peak_block)
            h->peak_block = block;
        if (sensor > h->peak_sensor)
            h->peak_sensor = sensor;
        long mv = lround(heater_model_pin_mv(&h->model));
        mv = mv < 0 ? 0 : mv > 5000 ? 5000 : mv;
        if (mv != h->last_mv) {
            sim_mcu_set_analog_mv(tw->mcu, h->sensor_pin, (uint32_t)mv);
            h->last_mv = mv;
        }
    }
}

static void record_temperatures(struct twin *tw, uint64_t now)
{
    for (size_t i = 0; i < tw->nheaters; i++) {
        const struct twin_heater *h = &tw->heaters[i];
        double target = tw->target_fn ? tw->target_fn(tw->target_ctx, h->name) : NAN;
        if (isnan(target))
            twin_record(tw, now, "temp %s %.2f", h->name, heater_model_block_temp(&h->model));
        else
            twin_record(tw, now, "temp %s %.2f target %.1f", h->name,
                        heater_model_block_temp(&h->model), target);
    }
}

static void tick(struct twin *tw, uint64_t now)
{
    tw->ticks++;
    twin_thermal_update(tw, now);
    twin_faults_check(tw, now);
    for (size_t i = 0; i < tw->nheaters; i++)
        twin_pwm_idle(tw, &tw->heaters[i].pwm, tw->heaters[i].name, now);
    if (tw->has_fan)
        twin_pwm_idle(tw, &tw->fan, "fan", now);
    if (tw->ticks % TWIN_TICKS_PER_TEMP == 0) {
        record_temperatures(tw, now);
        /* Runs that have ended go out now, so the trace stays roughly in
         * time order. */
        for (size_t i = 0; i < tw->nsteppers; i++) {
            struct twin_stepper *s = &tw->steppers[i];
            if (s->run_count && now - s->run_last > tw->run_gap_cycles)
                twin_flush_run(tw, s);
        }
    }
    if (tw->tick_fn && tw->ticks % TWIN_TICKS_PER_PROGRESS == 0)
        tw->tick_fn(tw->tick_ctx, twin_seconds(tw, now));
}

static void hand_to_mcu(struct twin *tw, uint64_t now, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        twin_record_event(&tw->rec, now, EVENT_TX, data[i]);
    sim_mcu_uart_send(tw->mcu, data, len);
    twin_schedule_host_bytes(&tw->sched, data, len);
    tw->slice = tw->slice_min;
}

void twin_jam_wire(struct twin *tw, uint64_t until)
{
    if (until > tw->jam_until)
        tw->jam_until = until;
}

/* The jam is over: what the host sent meanwhile arrives in one burst,
 * as from an adapter that hung and recovered. */
static void release_wire(struct twin *tw, uint64_t now)
{
    twin_record(tw, now, "wire released %zu bytes", tw->nheld);
    size_t n = tw->nheld;
    tw->nheld = 0;
    hand_to_mcu(tw, now, tw->held, n);
}

int twin_world_run(struct twin *tw, uint64_t target, bool for_host)
{
    for (;;) {
        if (tw->failed)
            return -1;
        uint64_t now = sim_mcu_cycle(tw->mcu);
        if (tw->nheld && now >= tw->jam_until)
            release_wire(tw, now);
        bool stalled = now < tw->stall_until;
        uint64_t goal = stalled && tw->stall_until > target ? tw->stall_until : target;
        if (now >= goal)
            return 0;
        if (for_host && !stalled && tw->rxlen)
            return 0;
        uint64_t next = goal < tw->next_tick ? goal : tw->next_tick;
        uint64_t due = twin_faults_next_time(tw);
        if (due > now && due < next)
            next = due;
        if (tw->nheld && tw->jam_until < next)
            next = tw->jam_until;
        if (for_host && !stalled && now + tw->slice < next)
            next = now + tw->slice;
        size_t rx_before = tw->rxlen;
        bool wire_busy = sim_mcu_uart_pending(tw->mcu) > 0;
        if (sim_mcu_run_until(tw->mcu, next)) {
            const char *why = sim_mcu_error(tw->mcu);
            twin_fail(tw, "simulated MCU stopped: %s", why ? why : "unknown error");
            return -1;
        }
        now = sim_mcu_cycle(tw->mcu);
        if (now >= tw->next_tick) {
            tick(tw, now);
            while (tw->next_tick <= now)
                tw->next_tick += tw->tick_cycles;
        }
        if (twin_faults_due(tw, now))
            return -1;
        if (wire_busy || tw->rxlen > rx_before || sim_mcu_uart_pending(tw->mcu))
            tw->slice = tw->slice_min;
        else if (tw->slice < tw->slice_max)
            tw->slice *= 2;
    }
}

/* ---- the transport ------------------------------------------------------ */

static int tp_write(struct link_transport *t, const uint8_t *data, size_t len)
{
    struct twin *tw = ((struct twin_transport *)t)->tw;
    if (!tw) {
        snprintf(t->error, sizeof(t->error), "the twin behind this link was closed");
        return -1;
    }
    uint64_t now = sim_mcu_cycle(tw->mcu);
    if (now >= tw->jam_until) {
        hand_to_mcu(tw, now, data, len);
        return 0;
    }
    if (tw->nheld + len > tw->heldcap) {
        size_t cap = tw->heldcap ? tw->heldcap : 1024;
        while (cap < tw->nheld + len)
            cap *= 2;
        uint8_t *held = realloc(tw->held, cap);
        if (!held) {
            snprintf(t->error, sizeof(t->error), "out of memory for the jammed wire's bytes");
            return -1;
        }
        tw->held = held;
        tw->heldcap = cap;
    }
    memcpy(tw->held + tw->nheld, data, len);
    tw->nheld += len;
    return 0;
}

/* Each byte carries the cycle its stop bit ended, so the host dates
 * blocks exactly, whatever the slice it saw them in. */
static int deliver(struct twin *tw, link_rx_fn fn, void *ctx)
{
    size_t n = tw->rxlen;
    tw->rxlen = 0;
    for (size_t i = 0; i < n; i++)
        fn(ctx, &tw->rx[i], 1, link_cycles_to_ns(tw->rx_cycle[i], tw->freq));
    return (int)n;
}

static int tp_poll(struct link_transport *t, uint64_t deadline_ns, link_rx_fn fn, void *ctx)
{
    struct twin *tw = ((struct twin_transport *)t)->tw;
    if (!tw) {
        snprintf(t->error, sizeof(t->error), "the twin behind this link was closed");
        return -1;
    }
    if (!tw->rxlen && twin_world_run(tw, link_ns_to_cycles(deadline_ns, tw->freq), true)) {
        snprintf(t->error, sizeof(t->error), "%s", tw->error);
        return -1;
    }
    return tw->rxlen ? deliver(tw, fn, ctx) : 0;
}

static uint64_t tp_now(struct link_transport *t)
{
    struct twin *tw = ((struct twin_transport *)t)->tw;
    return tw ? link_cycles_to_ns(sim_mcu_cycle(tw->mcu), tw->freq) : 0;
}

static void tp_close(struct link_transport *t)
{
    struct twin_transport *tp = (struct twin_transport *)t;
    if (tp->tw) {
        tp->tw->tp = NULL;
        tp->tw->rxlen = 0;
    }
    free(tp);
}

/* FIRMWARE_RESTART: the board's reset line. The parts keep their state
 * (carriages stay where they are, heaters cool on); the MCU's outputs let
 * go, which the pin watch passes on to them. */
static int tp_reset_mcu(struct link_transport *t)
{
    struct twin *tw = ((struct twin_transport *)t)->tw;
    if (!tw) {
        snprintf(t->error, sizeof(t->error), "the twin behind this link was closed");
        return -1;
    }
    uint64_t now = sim_mcu_cycle(tw->mcu);
    twin_record(tw, now, "reset mcu");
    sim_mcu_reset(tw->mcu);
    twin_schedule_reset(&tw->sched);
    tw->clock_origin_known = false;
    tw->rxlen = 0;
    /* The reset line (DTR) goes through the same adapter: resetting it
     * drops what it held for the old session and ends the jam. */
    tw->nheld = 0;
    tw->jam_until = 0;
    return 0;
}

static const struct link_transport_ops twin_ops = {
    .write = tp_write,
    .poll = tp_poll,
    .now = tp_now,
    .close = tp_close,
    .reset_mcu = tp_reset_mcu,
};

struct link_transport *twin_transport(struct twin *tw, char *err, size_t errlen)
{
    if (tw->tp) {
        snprintf(err, errlen, "the twin's MCU already has a host link open");
        return NULL;
    }
    struct twin_transport *tp = calloc(1, sizeof(*tp));
    if (!tp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    tp->base.ops = &twin_ops;
    tp->base.kind = "twin";
    tp->base.simulated = 1;
    tp->base.baud = sim_mcu_baud(tw->mcu);
    tp->tw = tw;
    tw->tp = tp;
    tw->rxlen = 0;
    return &tp->base;
}

void twin_detach_transport(struct twin *tw)
{
    if (tw->tp)
        tw->tp->tw = NULL;
    tw->tp = NULL;
}
