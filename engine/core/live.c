/* Live mode: the engine driving an MCU over a link (a serial port, or
 * the simulated MCU in lockstep with it).
 *
 * The engine is single-threaded and never sleeps on its own: whenever it
 * has to wait (the MCU's buffer is full enough, M400, a homing move, a
 * heater), it runs the link up to a deadline on the transport's clock,
 * handling the MCU's messages as they arrive. On hardware that clock is
 * the monotonic clock and running means waiting for bytes; in simulation
 * it is the simulated MCU's cycle counter and running means simulating.
 * Either way the engine's decisions depend only on the messages and the
 * times the transport reports, which is what makes a simulated run
 * deterministic.
 *
 * Buffering follows Klipper: moves start BUFFER_TIME_START after the
 * MCU's estimated clock when the printer was idle, and the engine stops
 * taking G-code while it is more than BUFFER_TIME_HIGH ahead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "errmsg.h"
#include "gcode_reader.h"
#include "transport.h"

#define BUFFER_TIME_START 0.250
#define BUFFER_TIME_LOW 1.0
#define BUFFER_TIME_HIGH 2.0
/* Klipper asks for the MCU's clock about once a second. */
#define CLOCK_SYNC_PERIOD_NS 980000000ull
/* How long the last queued move may take to report done: the MCU runs a
 * step late by no more than this, and messages need time on the wire. */
#define WAIT_MARGIN 0.050

static uint64_t now_ns(struct engine *e)
{
    return link_now(e->transport);
}

double engine_est_print_time(struct engine *e)
{
    if (!e->live)
        return 0.0;
    return clocksync_est_print_time(mcu_out_clocksync(e->mcu), now_ns(e));
}

/* Transport time at which the MCU's clock reaches a print time. */
static uint64_t print_time_ns(struct engine *e, double print_time)
{
    const struct clocksync *cs = mcu_out_clocksync(e->mcu);
    return clocksync_clock_to_time(cs, clocksync_print_time_to_clock(cs, print_time));
}

static const char *static_string(struct engine *e, int64_t id)
{
    const struct dict_enum *en = dict_enum(mcu_out_dict(e->mcu), "static_string_id");
    const char *s = en ? dict_enum_name(en, (int32_t)id) : NULL;
    return s ? s : "(unknown reason)";
}

void engine_mcu_shutdown(struct engine *e, const char *reason)
{
    if (e->shutdown)
        return; /* the host shut down first (M112): that is the news */
    e->shutdown = true;
    snprintf(e->shutdown_reason, sizeof(e->shutdown_reason), "MCU 'mcu' shutdown: %s", reason);
    engine_respond(e, "!! %s", e->shutdown_reason);
}

static void on_message(void *ctx, const struct msg_params *p, uint64_t t_ns)
{
    struct engine *e = ctx;
    const char *name = p->fmt->name;
    int64_t id;
    if ((!strcmp(name, "shutdown") || !strcmp(name, "is_shutdown")) &&
        !msg_get_int(p, "static_string_id", &id)) {
        engine_mcu_shutdown(e, static_string(e, id));
        return;
    }
    engine_homing_message(e, p, t_ns);
    engine_heaters_message(e, p);
}

static void on_bad_block(void *ctx, const char *why)
{
    struct engine *e = ctx;
    engine_respond(e, "// MCU 'mcu': undecodable message: %s", why);
}

/* Run the link until the transport's clock reaches until_ns, keeping the
 * clock estimate fresh. */
int engine_pump_until(struct engine *e, uint64_t until_ns, char *err, size_t errlen)
{
    while (now_ns(e) < until_ns) {
        uint64_t now = now_ns(e);
        uint64_t next = until_ns < e->next_clock_sync_ns ? until_ns : e->next_clock_sync_ns;
        if (e->next_heater_tick_ns < next)
            next = e->next_heater_tick_ns;
        if (next > now && link_mcu_run_for(e->link, next - now)) {
            seterr(err, errlen, "Lost communication with MCU 'mcu': %s",
                   link_mcu_error(e->link) ? link_mcu_error(e->link) : "link failed");
            return -1;
        }
        if (now_ns(e) >= e->next_heater_tick_ns) {
            engine_heaters_tick(e);
            e->next_heater_tick_ns = now_ns(e) + LINK_NS_PER_SEC;
        }
        if (now_ns(e) >= e->next_clock_sync_ns) {
            char why[200];
            if (link_mcu_sync_clock(e->link, why, sizeof(why))) {
                seterr(err, errlen, "Lost communication with MCU 'mcu': %s", why);
                return -1;
            }
            e->next_clock_sync_ns = now_ns(e) + CLOCK_SYNC_PERIOD_NS;
        }
    }
    return 0;
}

int engine_pump_print_time(struct engine *e, double print_time, char *err, size_t errlen)
{
    return engine_pump_until(e, print_time_ns(e, print_time), err, errlen);
}

void engine_live_prime(struct engine *e)
{
    if (!e->live || toolhead_queued_moves(e->th))
        return;
    double start = engine_est_print_time(e) + BUFFER_TIME_START;
    double last = toolhead_get_last_move_time(e->th);
    if (last < start) {
        toolhead_dwell(e->th, start - last, NULL, 0);
        if (e->sink.last_move_end < start)
            e->sink.last_move_end = start;
    }
}

int engine_live_pace(struct engine *e, char *err, size_t errlen)
{
    if (!e->live || e->shutdown)
        return 0;
    if (engine_flush_emitted(e, err, errlen))
        return -1;
    double ahead = e->sink.last_move_end - engine_est_print_time(e);
    if (ahead <= BUFFER_TIME_HIGH)
        return 0;
    /* Far enough ahead: let the MCU catch up, then take G-code again. */
    return engine_pump_print_time(e, e->sink.last_move_end - BUFFER_TIME_LOW, err, errlen);
}

int engine_wait_moves(struct engine *e, char *err, size_t errlen)
{
    if (engine_flush_moves(e, err, errlen))
        return -1;
    if (!e->live || e->shutdown)
        return 0;
    double end = toolhead_get_last_move_time(e->th);
    return engine_pump_print_time(e, end + WAIT_MARGIN, err, errlen);
}

int engine_open_live_link(struct engine *e, struct link_transport *t, char *err, size_t errlen)
{
    e->transport = t;
    struct link_mcu_opts lo;
    link_mcu_opts_default(&lo);
    e->link = link_mcu_open(t, 0, &lo, err, errlen);
    if (!e->link)
        return -1;
    link_mcu_set_handler(e->link, on_message, on_bad_block, e);
    e->next_clock_sync_ns = now_ns(e) + CLOCK_SYNC_PERIOD_NS;
    return 0;
}

/* The [mcu] section's serial and baud, read before the MCU's dictionary
 * (and so its pin names) is known. */
static int read_mcu_section(const char *config_path, char *serial, size_t cap, uint32_t *baud,
                            char *err, size_t errlen)
{
    struct printer_config pc;
    if (printer_config_load(config_path, NULL, &pc, err, errlen))
        return -1;
    snprintf(serial, cap, "%s", pc.nmcus && pc.mcus[0].serial ? pc.mcus[0].serial : "");
    *baud = pc.nmcus ? (uint32_t)pc.mcus[0].baud : 250000;
    printer_config_free(&pc);
    return 0;
}

struct engine *engine_open_live(const struct engine_live_opts *o, char *err, size_t errlen)
{
    struct link_transport *t = o->transport;
    struct engine *e = engine_alloc(o->respond, o->respond_ctx, o->max_error, err, errlen);
    if (!e) {
        link_close(t); /* handed over: ours to close whatever happens */
        return NULL;
    }
    if (!t) {
        char serial[256];
        uint32_t baud;
        if (read_mcu_section(o->config_path, serial, sizeof(serial), &baud, err, errlen))
            goto fail;
        const char *dev = o->device ? o->device : serial;
        if (!*dev) {
            seterr(err, errlen, "%s: [mcu] has no serial port and none was given", o->config_path);
            goto fail;
        }
        t = link_transport_open(dev, baud, err, errlen);
        if (!t)
            goto fail;
    }
    e->own_transport = true;
    if (engine_open_live_link(e, t, err, errlen) ||
        engine_open_mcu_live(e, e->link, o->config_path, err, errlen))
        goto fail;
    return e;
fail:
    if (!e->transport)
        link_close(t);
    engine_close(e, NULL, NULL, 0);
    return NULL;
}

void engine_live_close(struct engine *e)
{
    link_mcu_close(e->link);
    e->link = NULL;
    if (e->own_transport)
        link_close(e->transport);
    e->transport = NULL;
}

const char *engine_shutdown_reason(const struct engine *e)
{
    return e->shutdown ? e->shutdown_reason : NULL;
}
