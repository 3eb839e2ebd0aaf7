#include "errmsg.h"
#include "mcu_link.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000ull

/* What every MCU answers before anyone knows its dictionary. */
static const char bootstrap_json[] =
    "{\"commands\": {\"identify offset=%u count=%c\": 1},"
    " \"responses\": {\"identify_response offset=%u data=%.*s\": 0}}";

struct link_mcu {
    struct link_transport *t;
    int own;
    struct link_mcu_opts opts;
    struct serialqueue *q;
    struct link_dict *boot, *dict;
    const struct link_dict *active;
    uint32_t freq;

    link_msg_fn fn;
    link_bad_fn bad;
    void *ctx;

    /* The response a query is waiting for. */
    const char *want;
    struct msg_params *got;
    int have;

    struct clocksync *clock; /* NULL without CLOCK_FREQ */
    uint64_t clock_time;     /* when the last sample's reply left the MCU */

    char error[256];
};

void link_mcu_opts_default(struct link_mcu_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->identify_chunk = 40;
    o->query_timeout_ns = 500 * NS_PER_MS;
    o->query_tries = 5;
}

static int have_clock(const struct link_mcu *m)
{
    return m->clock && clocksync_samples(m->clock);
}

uint64_t link_mcu_clock_now(struct link_mcu *m)
{
    if (!have_clock(m))
        return 0;
    return clocksync_est_clock(m->clock, link_now(m->t));
}

uint64_t link_mcu_clock_sample_time(const struct link_mcu *m)
{
    return have_clock(m) ? m->clock_time : 0;
}

const struct clocksync *link_mcu_clocksync(const struct link_mcu *m)
{
    return m->clock;
}

/* A clock or uptime reply is one clock sample. The MCU read its clock
 * after the block with our query had reached it (the block this reply's
 * sequence number acknowledges) and before the reply started on its way,
 * a block's transmission time before its last byte reached us. */
static void clock_response(struct link_mcu *m, const struct msg_params *p, uint64_t t_ns,
                           size_t block_len)
{
    int64_t clock, high;
    if (!m->clock || msg_get_int(p, "clock", &clock))
        return;
    uint64_t tx = block_len * link_byte_ns(m->t);
    uint64_t recv = t_ns > tx ? t_ns - tx : 0;
    uint64_t clock64;
    if (!strcmp(p->fmt->name, "uptime") && !msg_get_int(p, "high", &high)) {
        clock64 = ((uint64_t)(uint32_t)high << 32) | (uint32_t)clock;
    } else if (!strcmp(p->fmt->name, "clock") && have_clock(m)) {
        /* Only 32 bits came back; the estimate supplies the rest. */
        clock64 = clocksync_clock32_to_64(clocksync_est_clock(m->clock, recv), (uint32_t)clock);
    } else if (!strcmp(p->fmt->name, "clock")) {
        clock64 = (uint32_t)clock;
    } else {
        return;
    }
    uint64_t sent = sq_acked_sent_time(m->q);
    /* Without a known send time the sample's precision is unknown: better
     * than no estimate at all, but not worth mixing into a good one. */
    if (!sent && have_clock(m))
        return;
    if (!sent || sent > recv)
        sent = recv; /* a USB link is faster than its nominal baud rate */
    clocksync_add(m->clock, sent, recv, clock64);
    m->clock_time = recv;
}

static void on_content(void *ctx, const uint8_t *data, size_t len, uint64_t t_ns)
{
    struct link_mcu *m = ctx;
    size_t pos = 0;
    while (pos < len) {
        struct msg_params p;
        char why[200];
        if (msg_decode(m->active, data, len, &pos, &p, why, sizeof(why))) {
            if (m->bad)
                m->bad(m->ctx, why);
            return;
        }
        if (p.fmt->kind == MSG_RESPONSE)
            clock_response(m, &p, t_ns, len + FRAME_MIN);
        if (m->want && !m->have && !strcmp(p.fmt->name, m->want)) {
            *m->got = p;
            m->have = 1;
            sq_stop(m->q);
            continue;
        }
        if (m->fn)
            m->fn(m->ctx, &p, t_ns);
    }
}

const struct link_dict *link_mcu_dict(const struct link_mcu *m)
{
    return m->dict;
}
struct serialqueue *link_mcu_queue(struct link_mcu *m)
{
    return m->q;
}
struct link_transport *link_mcu_transport(struct link_mcu *m)
{
    return m->t;
}
uint32_t link_mcu_freq(const struct link_mcu *m)
{
    return m->freq;
}
const char *link_mcu_error(const struct link_mcu *m)
{
    return sq_error(m->q);
}

void link_mcu_set_handler(struct link_mcu *m, link_msg_fn fn, link_bad_fn bad, void *ctx)
{
    m->fn = fn;
    m->bad = bad;
    m->ctx = ctx;
}

int link_mcu_send(struct link_mcu *m, const struct msg_params *p, char *err, size_t errlen)
{
    uint8_t buf[FRAME_MAX_CONTENT];
    int n = msg_encode(p, buf, sizeof(buf));
    if (n < 0) {
        seterr(err, errlen, "%s: message does not fit in a block", p->fmt->name);
        return -1;
    }
    if (sq_send(m->q, buf, (size_t)n)) {
        seterr(err, errlen, "%s: cannot queue message", p->fmt->name);
        return -1;
    }
    return 0;
}

struct command_queue *link_mcu_alloc_queue(struct link_mcu *m)
{
    return sq_alloc_queue(m->q);
}

int link_mcu_send_queued(struct link_mcu *m, struct command_queue *cq, const struct msg_params *p,
                         uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen)
{
    uint8_t buf[FRAME_MAX_CONTENT];
    int n = msg_encode(p, buf, sizeof(buf));
    if (n < 0) {
        seterr(err, errlen, "%s: message does not fit in a block", p->fmt->name);
        return -1;
    }
    if (sq_send_queued(m->q, cq, buf, (size_t)n, min_clock, req_clock)) {
        seterr(err, errlen, "%s: cannot queue message", p->fmt->name);
        return -1;
    }
    return 0;
}

int link_mcu_send_text(struct link_mcu *m, const char *text, char *err, size_t errlen)
{
    struct msg_params p;
    if (msg_parse_text(m->active, text, &p, err, errlen))
        return -1;
    return link_mcu_send(m, &p, err, errlen);
}

int link_mcu_run_for(struct link_mcu *m, uint64_t ns)
{
    uint64_t until = link_now(m->t) + ns;
    for (;;) {
        int rc = sq_run(m->q, until, SQ_UNTIL_TIME);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return 0;
        /* Stopped early by a query's leftover stop request: keep going. */
    }
}

int link_mcu_wait_acked(struct link_mcu *m, uint64_t timeout_ns, char *err, size_t errlen)
{
    uint64_t until = link_now(m->t) + timeout_ns;
    for (;;) {
        int rc = sq_run(m->q, until, SQ_UNTIL_ACKED);
        if (rc < 0) {
            seterr(err, errlen, "%s", sq_error(m->q));
            return -1;
        }
        if (rc == 0) {
            seterr(err, errlen, "no acknowledgement from the MCU");
            return -1;
        }
        if (!sq_pending(m->q) && !sq_in_flight(m->q))
            return 0;
    }
}

int link_mcu_query(struct link_mcu *m, const char *cmd_text, const char *resp,
                   struct msg_params *out, char *err, size_t errlen)
{
    struct msg_params cmd;
    if (msg_parse_text(m->active, cmd_text, &cmd, err, errlen))
        return -1;
    m->want = resp;
    m->got = out;
    m->have = 0;
    int rc = -1;
    for (unsigned attempt = 0; attempt < m->opts.query_tries && !m->have; attempt++) {
        if (link_mcu_send(m, &cmd, err, errlen))
            break;
        uint64_t until = link_now(m->t) + m->opts.query_timeout_ns;
        while (!m->have) {
            int r = sq_run(m->q, until, SQ_UNTIL_TIME);
            if (r < 0) {
                seterr(err, errlen, "%s", sq_error(m->q));
                goto out;
            }
            if (r == 0)
                break;
        }
    }
    if (m->have)
        rc = 0;
    else if (!sq_error(m->q))
        seterr(err, errlen, "no '%s' response to '%s' after %u tries", resp, cmd_text,
               m->opts.query_tries);
out:
    m->want = NULL;
    m->got = NULL;
    return rc;
}

int link_mcu_sync_clock(struct link_mcu *m, char *err, size_t errlen)
{
    struct msg_params p;
    if (dict_command(m->active, "get_uptime") && dict_response(m->active, "uptime"))
        return link_mcu_query(m, "get_uptime", "uptime", &p, err, errlen);
    if (dict_command(m->active, "get_clock") && dict_response(m->active, "clock"))
        return link_mcu_query(m, "get_clock", "clock", &p, err, errlen);
    seterr(err, errlen, "the MCU has neither get_uptime nor get_clock");
    return -1;
}

static int identify(struct link_mcu *m, char *err, size_t errlen)
{
    uint8_t *data = NULL;
    size_t len = 0;
    for (;;) {
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "identify offset=%zu count=%" PRIu32, len,
                 m->opts.identify_chunk);
        struct msg_params p;
        if (link_mcu_query(m, cmd, "identify_response", &p, err, errlen))
            goto fail;
        int64_t offset;
        size_t n;
        const uint8_t *chunk = msg_param_buf(&p, 1, &n);
        if (msg_get_int(&p, "offset", &offset) || (uint64_t)offset != len) {
            seterr(err, errlen, "identify: asked for offset %zu, got %" PRId64, len, offset);
            goto fail;
        }
        uint8_t *grown = realloc(data, len + n + 1);
        if (!grown)
            abort();
        data = grown;
        memcpy(data + len, chunk, n);
        len += n;
        if (n < m->opts.identify_chunk)
            break;
        if (len > (16u << 20)) {
            seterr(err, errlen, "identify: dictionary larger than 16 MiB");
            goto fail;
        }
    }
    m->dict = dict_parse_zlib(data, len, err, errlen);
    free(data);
    return m->dict ? 0 : -1;
fail:
    free(data);
    return -1;
}

struct link_mcu *link_mcu_open(struct link_transport *t, int own, const struct link_mcu_opts *opts,
                               char *err, size_t errlen)
{
    struct link_mcu *m = calloc(1, sizeof(*m));
    if (!m)
        abort();
    m->t = t;
    m->own = own;
    if (opts)
        m->opts = *opts;
    else
        link_mcu_opts_default(&m->opts);
    if (!m->opts.identify_chunk || m->opts.identify_chunk > 40)
        m->opts.identify_chunk = 40;
    if (!m->opts.query_tries)
        m->opts.query_tries = 1;
    m->q = sq_create(t, NULL);
    sq_set_rx(m->q, on_content, m);
    m->boot = dict_parse_json(bootstrap_json, sizeof(bootstrap_json) - 1, err, errlen);
    if (!m->boot)
        goto fail;
    m->active = m->boot;
    if (m->opts.dict_path)
        m->dict = dict_load_file(m->opts.dict_path, err, errlen);
    else if (identify(m, err, errlen))
        goto fail;
    if (!m->dict)
        goto fail;
    m->active = m->dict;
    int64_t v;
    if (!dict_config_int(m->dict, "CLOCK_FREQ", &v) && v > 0 && v <= UINT32_MAX) {
        m->freq = (uint32_t)v;
        m->clock = clocksync_create(m->freq);
    }
    if (!dict_config_int(m->dict, "RECEIVE_WINDOW", &v) && v > 0 && v <= UINT32_MAX)
        sq_set_window(m->q, (uint32_t)v);
    if (m->freq && link_mcu_sync_clock(m, err, errlen))
        goto fail;
    /* Only now: before a sample the estimate knows nothing of a real
     * board's clock, and gating on it could hold messages back for as
     * long as the board has been running. */
    if (m->clock)
        sq_set_clocksync(m->q, m->clock);
    return m;
fail:
    link_mcu_close(m);
    return NULL;
}

void link_mcu_close(struct link_mcu *m)
{
    if (!m)
        return;
    sq_destroy(m->q);
    clocksync_destroy(m->clock);
    dict_free(m->boot);
    dict_free(m->dict);
    if (m->own)
        link_close(m->t);
    free(m);
}
