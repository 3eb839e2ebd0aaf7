#include "serialqueue.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define NS_PER_MS 1000000ull

struct sq_block {
    uint64_t seq;
    uint64_t done_ns; /* estimated end of its last transmission */
    int retransmitted;
    uint8_t clen;
    uint8_t content[FRAME_MAX_CONTENT];
    uint8_t len;
    uint8_t wire[FRAME_MAX];
};

struct serialqueue {
    struct link_transport *t;
    struct sq_config cfg;
    sq_rx_fn rx_fn;
    void *rx_ctx;

    struct command_queues *queues;
    struct command_queue *plain; /* sq_send()'s */
    const struct clocksync *clock;
    uint64_t min_clock_window;
    uint64_t acked_sent_ns;

    struct sq_block inflight[SQ_MAX_INFLIGHT];
    size_t ninflight, inflight_bytes;
    /* 64-bit sequence numbers; the wire carries the low four bits.
     * receive_seq is the oldest block not yet acknowledged. */
    uint64_t send_seq, receive_seq;
    uint64_t ignore_nak_until;
    int synced, sent_any;

    uint64_t srtt, rttvar, rto;
    int have_rtt;
    uint64_t rto_deadline;
    unsigned consecutive_timeouts;
    uint64_t wire_free_ns;

    struct frame_parser parser;
    uint64_t rx_time;
    int stop;
    int failed;
    char error[256];
    struct sq_stats stats;
};

void sq_config_default(struct sq_config *c)
{
    c->receive_window = 192;
    c->rto_initial_ns = 100 * NS_PER_MS;
    c->rto_min_ns = 25 * NS_PER_MS;
    c->rto_max_ns = 5000 * NS_PER_MS;
    c->max_retransmits = 10;
}

static void fail(struct serialqueue *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct serialqueue *q, const char *fmt, ...)
{
    if (q->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->error, sizeof(q->error), fmt, ap);
    va_end(ap);
    q->failed = 1;
}

static void on_block(void *ctx, const uint8_t *block);

struct serialqueue *sq_create(struct link_transport *t, const struct sq_config *cfg)
{
    struct serialqueue *q = calloc(1, sizeof(*q));
    if (!q)
        abort();
    q->t = t;
    if (cfg)
        q->cfg = *cfg;
    else
        sq_config_default(&q->cfg);
    if (q->cfg.receive_window < FRAME_MAX)
        q->cfg.receive_window = FRAME_MAX;
    q->rto = q->cfg.rto_initial_ns;
    /* A freshly reset MCU expects 0; one that does not says so. */
    q->send_seq = q->receive_seq = 0;
    q->ignore_nak_until = 0;
    q->queues = cmdq_create();
    q->plain = cmdq_alloc(q->queues);
    frame_parser_init(&q->parser, on_block, q);
    return q;
}

void sq_destroy(struct serialqueue *q)
{
    if (!q)
        return;
    cmdq_destroy(q->queues);
    free(q);
}

void sq_set_rx(struct serialqueue *q, sq_rx_fn fn, void *ctx)
{
    q->rx_fn = fn;
    q->rx_ctx = ctx;
}

void sq_set_window(struct serialqueue *q, uint32_t bytes)
{
    q->cfg.receive_window = bytes < FRAME_MAX ? FRAME_MAX : bytes;
}

uint64_t sq_now(struct serialqueue *q)
{
    return link_now(q->t);
}
size_t sq_pending(const struct serialqueue *q)
{
    return cmdq_pending(q->queues);
}
size_t sq_in_flight(const struct serialqueue *q)
{
    return q->ninflight;
}
uint64_t sq_rto(const struct serialqueue *q)
{
    return q->rto;
}
const struct sq_stats *sq_get_stats(const struct serialqueue *q)
{
    return &q->stats;
}
const char *sq_error(const struct serialqueue *q)
{
    return q->failed ? q->error : NULL;
}
void sq_stop(struct serialqueue *q)
{
    q->stop = 1;
}

int sq_send(struct serialqueue *q, const uint8_t *msg, size_t len)
{
    return cmdq_push(q->plain, msg, len, 0, 0);
}

struct command_queue *sq_alloc_queue(struct serialqueue *q)
{
    return cmdq_alloc(q->queues);
}

int sq_send_queued(struct serialqueue *q, struct command_queue *cq, const uint8_t *msg, size_t len,
                   uint64_t min_clock, uint64_t req_clock)
{
    if (!cmdq_in_set(cq, q->queues))
        return -1;
    return cmdq_push(cq, msg, len, min_clock, req_clock);
}

size_t sq_clear_queue(struct serialqueue *q, struct command_queue *cq)
{
    return cmdq_in_set(cq, q->queues) ? cmdq_clear(cq) : 0;
}

void sq_set_clocksync(struct serialqueue *q, const struct clocksync *cs)
{
    q->clock = cs;
}

void sq_set_min_clock_window(struct serialqueue *q, uint64_t ticks)
{
    q->min_clock_window = ticks;
}

uint64_t sq_acked_sent_time(const struct serialqueue *q)
{
    return q->acked_sent_ns;
}

/* Heads whose min_clock is at most this may go now. */
static uint64_t ready_clock(struct serialqueue *q)
{
    if (!q->clock)
        return CMDQ_ALL_READY;
    uint64_t c = clocksync_est_clock(q->clock, link_now(q->t));
    return c > UINT64_MAX - q->min_clock_window ? UINT64_MAX : c + q->min_clock_window;
}

/* When the next held-back head becomes ready (UINT64_MAX: none is). */
static uint64_t next_ready_time(struct serialqueue *q)
{
    if (!q->clock || !sq_pending(q))
        return UINT64_MAX;
    uint64_t ready = ready_clock(q);
    uint64_t next = cmdq_next_min_clock(q->queues, ready, CMDQ_NO_LIMIT);
    if (next == UINT64_MAX)
        return UINT64_MAX;
    next = next > q->min_clock_window ? next - q->min_clock_window : 0;
    return clocksync_clock_to_time(q->clock, next);
}

static int wire_write(struct serialqueue *q, const uint8_t *data, size_t len, uint64_t *done)
{
    if (link_write(q->t, data, len)) {
        fail(q, "%s", q->t->error[0] ? q->t->error : "transport write failed");
        return -1;
    }
    uint64_t now = link_now(q->t);
    if (q->wire_free_ns < now)
        q->wire_free_ns = now;
    q->wire_free_ns += len * link_byte_ns(q->t);
    q->stats.bytes_sent += len;
    if (done)
        *done = q->wire_free_ns;
    return 0;
}

/* A leading sync byte makes the MCU drop any half-received block that
 * would otherwise swallow the start of what we send now. */
static int send_sync(struct serialqueue *q)
{
    static const uint8_t sync = FRAME_SYNC;
    return wire_write(q, &sync, 1, NULL);
}

static void arm_timer(struct serialqueue *q, uint64_t from)
{
    q->rto_deadline = from + q->rto;
}

/* The link opens with an empty block. Until the MCU has answered once we
 * cannot tell its nak ("I expect N") from an ack of our block N-1; if the
 * first block carries nothing, misreading that answer loses nothing, and
 * either way the answer leaves us in step with the MCU. */
static void send_probe(struct serialqueue *q)
{
    q->sent_any = 1;
    if (send_sync(q))
        return;
    struct sq_block *b = &q->inflight[q->ninflight++];
    memset(b, 0, sizeof(*b));
    b->seq = q->send_seq++;
    b->len = (uint8_t)frame_build(b->wire, b->seq, NULL, 0);
    q->inflight_bytes += b->len;
    q->stats.blocks_sent++;
    if (wire_write(q, b->wire, b->len, &b->done_ns))
        return;
    arm_timer(q, b->done_ns);
}

static void transmit(struct serialqueue *q)
{
    if (!q->sent_any)
        send_probe(q);
    /* Anything sent alongside the probe would be exposed to the very
     * ambiguity the probe is there to absorb. */
    if (!q->synced)
        return;
    while (sq_pending(q) && q->ninflight < SQ_MAX_INFLIGHT && !q->failed) {
        struct sq_block *b = &q->inflight[q->ninflight];
        memset(b, 0, sizeof(*b));
        size_t n;
        size_t clen =
            cmdq_pack(q->queues, ready_clock(q), CMDQ_NO_LIMIT, FRAME_MAX_CONTENT, b->content, &n);
        if (!n)
            return;
        size_t blen = clen + FRAME_MIN;
        if (q->ninflight && q->inflight_bytes + blen > q->cfg.receive_window)
            return;
        cmdq_commit(q->queues);
        b->clen = (uint8_t)clen;
        b->seq = q->send_seq++;
        b->len = (uint8_t)frame_build(b->wire, b->seq, b->content, b->clen);
        q->ninflight++;
        q->inflight_bytes += b->len;
        q->stats.messages_sent += n;
        q->stats.blocks_sent++;
        if (wire_write(q, b->wire, b->len, &b->done_ns))
            return;
        if (q->ninflight == 1)
            arm_timer(q, b->done_ns);
    }
}

static void retransmit_all(struct serialqueue *q)
{
    if (send_sync(q))
        return;
    for (size_t i = 0; i < q->ninflight; i++) {
        struct sq_block *b = &q->inflight[i];
        b->retransmitted = 1;
        q->stats.retransmits++;
        if (wire_write(q, b->wire, b->len, &b->done_ns))
            return;
    }
    if (q->ninflight)
        arm_timer(q, q->inflight[q->ninflight - 1].done_ns);
    /* The MCU will nak every block still on its way from before; those
     * naks are about what we just resent. */
    q->ignore_nak_until = q->send_seq;
}

/* RFC 6298 style estimator; samples from retransmitted blocks are
 * ambiguous and never taken. */
static void rtt_sample(struct serialqueue *q, uint64_t rtt)
{
    if (!q->have_rtt) {
        q->srtt = rtt;
        q->rttvar = rtt / 2;
        q->have_rtt = 1;
    } else {
        uint64_t diff = q->srtt > rtt ? q->srtt - rtt : rtt - q->srtt;
        q->rttvar = (3 * q->rttvar + diff) / 4;
        q->srtt = (7 * q->srtt + rtt) / 8;
    }
    uint64_t rto = q->srtt + 4 * q->rttvar;
    if (rto < q->cfg.rto_min_ns)
        rto = q->cfg.rto_min_ns;
    if (rto > q->cfg.rto_max_ns)
        rto = q->cfg.rto_max_ns;
    q->rto = rto;
}

static void handle_ack(struct serialqueue *q, uint64_t next)
{
    size_t n = (size_t)(next - q->receive_seq);
    const struct sq_block *last = &q->inflight[n - 1];
    if (!last->retransmitted)
        rtt_sample(q, q->rx_time > last->done_ns ? q->rx_time - last->done_ns : 0);
    q->acked_sent_ns = last->retransmitted ? 0 : last->done_ns;
    for (size_t i = 0; i < n; i++)
        q->inflight_bytes -= q->inflight[i].len;
    memmove(q->inflight, q->inflight + n, (q->ninflight - n) * sizeof(q->inflight[0]));
    q->ninflight -= n;
    q->receive_seq = next;
    q->consecutive_timeouts = 0;
    if (q->ninflight)
        arm_timer(q, q->rx_time);
}

/* Before the MCU has said anything we cannot know what sequence number
 * it expects (it may have been talking to another host). The first
 * block it sends tells us; unacknowledged blocks are renumbered to
 * match and sent again. */
static void adopt_seq(struct serialqueue *q, unsigned s4)
{
    uint64_t shift = (s4 - q->receive_seq) & FRAME_SEQ_MASK;
    q->synced = 1;
    if (!shift)
        return;
    q->stats.resyncs++;
    q->receive_seq += shift;
    q->send_seq += shift;
    for (size_t i = 0; i < q->ninflight; i++) {
        struct sq_block *b = &q->inflight[i];
        b->seq += shift;
        b->len = (uint8_t)frame_build(b->wire, b->seq, b->content, b->clen);
    }
    if (q->ninflight)
        retransmit_all(q);
}

static void on_block(void *ctx, const uint8_t *block)
{
    struct serialqueue *q = ctx;
    q->stats.blocks_received++;
    unsigned s4 = frame_seq(block);
    uint64_t next = q->receive_seq + ((s4 - q->receive_seq) & FRAME_SEQ_MASK);
    size_t clen = frame_content_len(block);
    if (!q->synced) {
        if (q->ninflight && next > q->receive_seq && next <= q->send_seq)
            q->synced = 1;
        else
            adopt_seq(q, s4);
        next = q->receive_seq + ((s4 - q->receive_seq) & FRAME_SEQ_MASK);
    }
    if (next > q->send_seq) {
        q->stats.bad_seq++;
    } else if (next > q->receive_seq) {
        handle_ack(q, next);
    } else if (!clen && q->ninflight && q->receive_seq >= q->ignore_nak_until) {
        q->stats.naks++;
        retransmit_all(q);
    }
    if (clen && q->rx_fn)
        q->rx_fn(q->rx_ctx, frame_content(block), clen, q->rx_time);
}

static void on_bytes(void *ctx, const uint8_t *data, size_t len, uint64_t t_ns)
{
    struct serialqueue *q = ctx;
    q->rx_time = t_ns;
    frame_parser_feed(&q->parser, data, len);
    q->stats.bad_blocks = frame_parser_errors(&q->parser);
}

static void on_timeout(struct serialqueue *q)
{
    q->stats.timeouts++;
    if (++q->consecutive_timeouts > q->cfg.max_retransmits) {
        fail(q, "MCU not responding: no acknowledgement after %u retransmissions",
             q->cfg.max_retransmits);
        return;
    }
    q->rto = q->rto * 2 > q->cfg.rto_max_ns ? q->cfg.rto_max_ns : q->rto * 2;
    retransmit_all(q);
}

int sq_run(struct serialqueue *q, uint64_t until_ns, enum sq_until cond)
{
    q->stop = 0;
    for (;;) {
        if (q->failed)
            return -1;
        transmit(q);
        if (q->failed)
            return -1;
        if (q->stop)
            return 1;
        if (cond == SQ_UNTIL_ACKED && !sq_pending(q) && !q->ninflight)
            return 1;
        uint64_t now = link_now(q->t);
        if (q->ninflight && now >= q->rto_deadline) {
            on_timeout(q);
            continue;
        }
        if (now >= until_ns)
            return 0;
        uint64_t wake = until_ns;
        if (q->ninflight && q->rto_deadline < wake)
            wake = q->rto_deadline;
        uint64_t ready = next_ready_time(q);
        if (ready < wake)
            wake = ready > now ? ready : now + 1;
        if (link_poll(q->t, wake, on_bytes, q) < 0) {
            fail(q, "%s", q->t->error[0] ? q->t->error : "transport read failed");
            return -1;
        }
    }
}
