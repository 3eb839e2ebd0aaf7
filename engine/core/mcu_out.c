/* The engine's side of one MCU. */
#include "mcu_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "errmsg.h"
#include "msg.h"
#include "vlq.h"

/* Moves the firmware's queue must keep free for messages that are not
 * gated here (an update of an output pin sent outside the step flow). */
#define MOVE_SLOTS_RESERVED 8

struct mcu_out {
    struct link_batch *batch; /* batch mode */
    struct link_mcu *link;    /* live mode */
    /* Live mode: when each of the last move_slots moves sent frees its
     * slot in the MCU's move queue, as a min-heap. A new move waits for
     * the earliest, so the MCU never holds more moves than it has room
     * for, whatever order the moves are sent in. */
    uint64_t *slot_free;
    size_t nslots, move_slots;
    int oid_count;
    char **config; /* text commands, in the order objects added them */
    size_t nconfig, config_cap;
    /* Sent after the configuration on every connect, not in its CRC
     * (query_analog_in: its start clock differs each time). */
    char **init;
    size_t ninit, init_cap;
    uint32_t crc;
    int finalized;
};

struct mcu_out *mcu_out_open_batch(const char *dict_path, const char *out_path, char *err,
                                   size_t errlen)
{
    struct mcu_out *m = calloc(1, sizeof(*m));
    if (!m) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    m->batch = link_batch_open(dict_path, out_path, err, errlen);
    if (!m->batch) {
        free(m);
        return NULL;
    }
    return m;
}

struct mcu_out *mcu_out_open_live(struct link_mcu *link, char *err, size_t errlen)
{
    if (!link_mcu_freq(link)) {
        seterr(err, errlen, "the MCU's dictionary has no CLOCK_FREQ");
        return NULL;
    }
    struct mcu_out *m = calloc(1, sizeof(*m));
    if (!m) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    m->link = link;
    return m;
}

int mcu_out_close(struct mcu_out *m, char *err, size_t errlen)
{
    if (!m)
        return 0;
    int rc = m->batch ? link_batch_close(m->batch, err, errlen) : 0;
    free(m->slot_free);
    for (size_t i = 0; i < m->nconfig; i++)
        free(m->config[i]);
    free(m->config);
    for (size_t i = 0; i < m->ninit; i++)
        free(m->init[i]);
    free(m->init);
    free(m);
    return rc;
}

const struct link_dict *mcu_out_dict(const struct mcu_out *m)
{
    return m->batch ? link_batch_dict(m->batch) : link_mcu_dict(m->link);
}

struct link_mcu *mcu_out_link(const struct mcu_out *m)
{
    return m->link;
}

uint32_t mcu_out_freq(const struct mcu_out *m)
{
    return m->batch ? link_batch_freq(m->batch) : link_mcu_freq(m->link);
}

uint64_t mcu_out_clock(const struct mcu_out *m, double print_time)
{
    return clocksync_print_time_to_clock(mcu_out_clocksync(m), print_time);
}

const struct clocksync *mcu_out_clocksync(const struct mcu_out *m)
{
    return m->batch ? link_batch_clocksync(m->batch) : link_mcu_clocksync(m->link);
}

int32_t mcu_out_command_id(const struct mcu_out *m, const char *name, char *err, size_t errlen)
{
    const struct msg_format *f = dict_command(mcu_out_dict(m), name);
    if (!f) {
        seterr(err, errlen, "the MCU's dictionary has no command '%s'", name);
        return -1;
    }
    return f->id;
}

/* A command's text from fmt; -1 with err if it does not fit. */
static int format_command(char *text, size_t cap, char *err, size_t errlen, const char *fmt,
                          va_list ap)
{
    int n = vsnprintf(text, cap, fmt, ap);
    if (n < 0 || (size_t)n >= cap) {
        seterr(err, errlen, "command too long: %.60s...", text);
        return -1;
    }
    return 0;
}

int mcu_out_alloc_oid(struct mcu_out *m)
{
    return m->oid_count++;
}

static int push_text(char ***list, size_t *n, size_t *cap, const char *text, char *err,
                     size_t errlen)
{
    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        char **c = realloc(*list, ncap * sizeof(*c));
        if (!c) {
            seterr(err, errlen, "out of memory");
            return -1;
        }
        *list = c;
        *cap = ncap;
    }
    (*list)[*n] = strdup(text);
    if (!(*list)[*n]) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    (*n)++;
    return 0;
}

/* A command for one of the lists sent at finalize. */
static int add_command(struct mcu_out *m, char ***list, size_t *n, size_t *cap, const char *what,
                       char *err, size_t errlen, const char *fmt, va_list ap)
{
    char text[256];
    if (format_command(text, sizeof(text), err, errlen, fmt, ap))
        return -1;
    if (m->finalized) {
        seterr(err, errlen, "%s command after finalize: %s", what, text);
        return -1;
    }
    return push_text(list, n, cap, text, err, errlen);
}

int mcu_out_add_config(struct mcu_out *m, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc =
        add_command(m, &m->config, &m->nconfig, &m->config_cap, "config", err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

int mcu_out_add_init(struct mcu_out *m, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_command(m, &m->init, &m->ninit, &m->init_cap, "init", err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static void compute_crc(struct mcu_out *m, const char *first)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)first, (uInt)strlen(first));
    for (size_t i = 0; i < m->nconfig; i++) {
        crc = crc32(crc, (const Bytef *)"\n", 1);
        crc = crc32(crc, (const Bytef *)m->config[i], (uInt)strlen(m->config[i]));
    }
    m->crc = (uint32_t)crc;
}

/* Queue a text command ready at once (configuration, queries' kin). */
static int send_now(struct mcu_out *m, const char *text, char *err, size_t errlen)
{
    if (m->batch)
        return link_batch_send_text(m->batch, NULL, text, 0, 0, err, errlen);
    return link_mcu_send_text(m->link, text, err, errlen);
}

static int send_config(struct mcu_out *m, const char *first, char *err, size_t errlen)
{
    if (send_now(m, first, err, errlen))
        return -1;
    for (size_t i = 0; i < m->nconfig; i++) {
        char e[200];
        if (send_now(m, m->config[i], e, sizeof(e))) {
            seterr(err, errlen, "config command '%s': %s", m->config[i], e);
            return -1;
        }
    }
    char fin[64];
    snprintf(fin, sizeof(fin), "finalize_config crc=%u", m->crc);
    return send_now(m, fin, err, errlen);
}

/* The MCU's answer to get_config. */
struct mcu_config_state {
    int64_t is_config, crc, is_shutdown, move_count;
};

static int query_config(struct mcu_out *m, struct mcu_config_state *st, char *err, size_t errlen)
{
    struct msg_params p;
    if (link_mcu_query(m->link, "get_config", "config", &p, err, errlen))
        return -1;
    if (msg_get_int(&p, "is_config", &st->is_config) || msg_get_int(&p, "crc", &st->crc) ||
        msg_get_int(&p, "is_shutdown", &st->is_shutdown) ||
        msg_get_int(&p, "move_count", &st->move_count)) {
        seterr(err, errlen, "the MCU's config response lacks a field");
        return -1;
    }
    return 0;
}

/* Live mode, as Klipper connects: an MCU that already holds this very
 * configuration keeps it; one holding another must be restarted first. */
static int finalize_live(struct mcu_out *m, const char *first, char *err, size_t errlen)
{
    struct mcu_config_state st;
    if (query_config(m, &st, err, errlen))
        return -1;
    if (st.is_shutdown) {
        seterr(err, errlen, "MCU 'mcu' is shut down; use FIRMWARE_RESTART");
        return -1;
    }
    if (st.is_config && (uint32_t)st.crc != m->crc) {
        seterr(err, errlen, "MCU 'mcu' CRC does not match config");
        return -1;
    }
    if (!st.is_config) {
        if (send_config(m, first, err, errlen) || query_config(m, &st, err, errlen))
            return -1;
        if (!st.is_config || (uint32_t)st.crc != m->crc) {
            seterr(err, errlen, "MCU 'mcu' did not accept its configuration");
            return -1;
        }
    }
    if (st.move_count <= MOVE_SLOTS_RESERVED) {
        seterr(err, errlen, "Too few moves available on MCU 'mcu' (%lld)",
               (long long)st.move_count);
        return -1;
    }
    m->move_slots = (size_t)st.move_count - MOVE_SLOTS_RESERVED;
    m->slot_free = calloc(m->move_slots, sizeof(*m->slot_free));
    if (!m->slot_free) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int mcu_out_finalize(struct mcu_out *m, char *err, size_t errlen)
{
    char first[64];
    snprintf(first, sizeof(first), "allocate_oids count=%d", m->oid_count);
    compute_crc(m, first);
    if (m->batch ? send_config(m, first, err, errlen) : finalize_live(m, first, err, errlen))
        return -1;
    for (size_t i = 0; i < m->ninit; i++) {
        char e[200];
        if (send_now(m, m->init[i], e, sizeof(e))) {
            seterr(err, errlen, "init command '%s': %s", m->init[i], e);
            return -1;
        }
    }
    m->finalized = 1;
    return 0;
}

uint32_t mcu_out_config_crc(const struct mcu_out *m)
{
    return m->crc;
}

struct command_queue *mcu_out_alloc_queue(struct mcu_out *m)
{
    return m->batch ? link_batch_alloc_queue(m->batch) : link_mcu_alloc_queue(m->link);
}

int mcu_out_send(struct mcu_out *m, struct command_queue *cq, const uint8_t *msg, size_t len,
                 uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen)
{
    if (m->batch)
        return link_batch_send(m->batch, cq, msg, len, min_clock, req_clock, err, errlen);
    if (sq_send_queued(link_mcu_queue(m->link), cq, msg, len, min_clock, req_clock)) {
        seterr(err, errlen, "cannot queue a message of %zu bytes", len);
        return -1;
    }
    return 0;
}

void mcu_out_clear_queue(struct mcu_out *m, struct command_queue *cq)
{
    if (m->link)
        sq_clear_queue(link_mcu_queue(m->link), cq);
}

static void heap_down(uint64_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < n && h[l] < h[s])
            s = l;
        if (r < n && h[r] < h[s])
            s = r;
        if (s == i)
            return;
        uint64_t t = h[i];
        h[i] = h[s];
        h[s] = t;
        i = s;
    }
}

static void heap_up(uint64_t *h, size_t i)
{
    while (i) {
        size_t p = (i - 1) / 2;
        if (h[p] <= h[i])
            return;
        uint64_t t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

/* The slot for a move that frees it at done_clock: the earliest to free
 * once every slot is taken. Returns the clock the move must wait for. */
static uint64_t take_slot(struct mcu_out *m, uint64_t done_clock)
{
    if (m->nslots < m->move_slots) {
        m->slot_free[m->nslots] = done_clock;
        heap_up(m->slot_free, m->nslots++);
        return 0;
    }
    uint64_t wait = m->slot_free[0];
    m->slot_free[0] = done_clock > wait ? done_clock : wait;
    heap_down(m->slot_free, m->nslots, 0);
    return wait;
}

int mcu_out_send_move(struct mcu_out *m, struct command_queue *cq, const uint8_t *msg, size_t len,
                      uint64_t min_clock, uint64_t req_clock, uint64_t done_clock, char *err,
                      size_t errlen)
{
    if (m->link && m->move_slots) {
        uint64_t wait = take_slot(m, done_clock);
        if (wait > min_clock)
            min_clock = wait;
    }
    return mcu_out_send(m, cq, msg, len, min_clock, req_clock, err, errlen);
}

bool mcu_out_queues_direct(const struct mcu_out *m)
{
    return m->batch != NULL;
}

void mcu_out_forget_moves(struct mcu_out *m, uint64_t clock)
{
    for (size_t i = 0; i < m->nslots; i++)
        if (m->slot_free[i] > clock)
            m->slot_free[i] = clock;
    for (size_t i = m->nslots; i-- > 0;)
        heap_down(m->slot_free, m->nslots, i);
}

int mcu_out_send_text(struct mcu_out *m, struct command_queue *cq, uint64_t min_clock,
                      uint64_t req_clock, char *err, size_t errlen, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    int rc = format_command(text, sizeof(text), err, errlen, fmt, ap);
    va_end(ap);
    if (rc)
        return -1;
    if (m->batch)
        return link_batch_send_text(m->batch, cq, text, min_clock, req_clock, err, errlen);
    struct msg_params p;
    if (msg_parse_text(mcu_out_dict(m), text, &p, err, errlen))
        return -1;
    if (!cq)
        return link_mcu_send(m->link, &p, err, errlen);
    return link_mcu_send_queued(m->link, cq, &p, min_clock, req_clock, err, errlen);
}

int mcu_out_flush(struct mcu_out *m, uint64_t req_limit, char *err, size_t errlen)
{
    /* Live: the serial queue lets messages out as the MCU's clock allows. */
    return m->batch ? link_batch_flush(m->batch, req_limit, err, errlen) : 0;
}

void mcu_out_get_stats(const struct mcu_out *m, struct mcu_out_stats *st)
{
    if (m->batch) {
        const struct link_batch_stats *bs = link_batch_get_stats(m->batch);
        st->messages = bs->messages;
        st->bytes = bs->bytes;
    } else {
        const struct sq_stats *ss = sq_get_stats(link_mcu_queue(m->link));
        st->messages = ss->messages_sent;
        st->bytes = ss->bytes_sent;
    }
}

size_t mcu_out_encode(uint8_t *out, int32_t id, const int32_t *args, size_t nargs)
{
    size_t n = vlq_put(out, id);
    for (size_t i = 0; i < nargs; i++)
        n += vlq_put(out + n, args[i]);
    return n;
}
