/* The serial queue against a fake MCU over a fake wire with virtual
 * time, 250000 baud, that can drop or corrupt chosen blocks either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_mcu.h"
#include "frame.h"
#include "msg.h"
#include "serialqueue.h"

#define MS 1000000ull
#define BYTE_NS 40000ull      /* 250000 baud, 10 bits a byte */
#define MCU_LATENCY 100000ull /* firmware's time to answer */

struct rxbyte {
    uint8_t b;
    uint64_t t;
};

struct fake_wire {
    struct link_transport base;
    uint64_t now, host_free, mcu_free, mcu_time;
    struct fake_mcu *mcu;
    struct rxbyte *rx;
    size_t rx_head, rx_len, rx_cap;
    unsigned host_blocks, mcu_blocks;
    uint64_t drop_host, corrupt_host, drop_mcu; /* bit i: the i-th block */
    int drop_everything;
    /* What the host has outstanding as far as the wire can tell. */
    uint8_t fifo_seq[64], fifo_len[64];
    size_t fifo_n, fifo_bytes, max_fifo_bytes, max_fifo_n;
    uint8_t tap[FRAME_MAX];
    size_t tap_n;
    uint64_t last_block_start; /* when the last block began to go out */
};

static int wire_write(struct link_transport *t, const uint8_t *data, size_t len)
{
    struct fake_wire *w = (struct fake_wire *)t;
    uint8_t buf[FRAME_MAX + 1];
    assert_true(len <= sizeof(buf));
    memcpy(buf, data, len);
    uint64_t start = w->now > w->host_free ? w->now : w->host_free;
    w->host_free = start + len * BYTE_NS;
    if (len >= FRAME_MIN) {
        w->last_block_start = start;
        unsigned i = w->host_blocks++;
        if (w->fifo_n < 64 && !(w->drop_host | w->corrupt_host | w->drop_mcu)) {
            w->fifo_seq[w->fifo_n] = (uint8_t)frame_seq(buf);
            w->fifo_len[w->fifo_n++] = (uint8_t)len;
            w->fifo_bytes += len;
            if (w->fifo_bytes > w->max_fifo_bytes)
                w->max_fifo_bytes = w->fifo_bytes;
            if (w->fifo_n > w->max_fifo_n)
                w->max_fifo_n = w->fifo_n;
        }
        if (w->drop_everything || (i < 64 && (w->drop_host >> i & 1)))
            return 0;
        if (i < 64 && (w->corrupt_host >> i & 1))
            buf[2] ^= 0x40;
    }
    w->mcu_time = w->host_free + MCU_LATENCY;
    fake_mcu_set_clock(w->mcu, w->host_free * 16 / 1000);
    fake_mcu_feed(w->mcu, buf, len);
    return 0;
}

static void mcu_tx(void *ctx, const uint8_t *data, size_t len)
{
    struct fake_wire *w = ctx;
    unsigned i = w->mcu_blocks++;
    if (i < 64 && (w->drop_mcu >> i & 1))
        return;
    uint64_t t = w->mcu_time > w->mcu_free ? w->mcu_time : w->mcu_free;
    for (size_t k = 0; k < len; k++) {
        if (w->rx_head + w->rx_len == w->rx_cap) {
            w->rx_cap = w->rx_cap ? w->rx_cap * 2 : 1024;
            w->rx = realloc(w->rx, w->rx_cap * sizeof(*w->rx));
        }
        t += BYTE_NS;
        w->rx[w->rx_head + w->rx_len++] = (struct rxbyte){data[k], t};
    }
    w->mcu_free = t;
}

static void note_ack(struct fake_wire *w, unsigned seq)
{
    while (w->fifo_n && w->fifo_seq[0] != seq) {
        w->fifo_bytes -= w->fifo_len[0];
        memmove(w->fifo_seq, w->fifo_seq + 1, --w->fifo_n);
        memmove(w->fifo_len, w->fifo_len + 1, w->fifo_n);
    }
}

static int wire_poll(struct link_transport *t, uint64_t deadline, link_rx_fn fn, void *ctx)
{
    struct fake_wire *w = (struct fake_wire *)t;
    int n = 0;
    while (w->rx_len && w->rx[w->rx_head].t <= deadline) {
        struct rxbyte r = w->rx[w->rx_head++];
        w->rx_len--;
        if (r.t > w->now)
            w->now = r.t;
        fn(ctx, &r.b, 1, r.t);
        n++;
        /* Every block from the MCU acks up to its sequence number; note
         * it when the host has just seen it, before it can send more. */
        if (w->tap_n < FRAME_MAX)
            w->tap[w->tap_n++] = r.b;
        if (r.b == FRAME_SYNC) {
            if (w->tap_n >= FRAME_MIN && w->tap[0] == w->tap_n)
                note_ack(w, frame_seq(w->tap));
            w->tap_n = 0;
            break;
        }
    }
    if (n)
        return n;
    if (deadline > w->now)
        w->now = deadline;
    return 0;
}

static uint64_t wire_now(struct link_transport *t)
{
    return ((struct fake_wire *)t)->now;
}
static void wire_close(struct link_transport *t)
{
    (void)t;
}

static const struct link_transport_ops wire_ops = {
    .write = wire_write, .poll = wire_poll, .now = wire_now, .close = wire_close};

struct harness {
    struct fake_wire w;
    struct serialqueue *q;
    struct link_dict *dict;
    char replies[16][128];
    size_t nreplies;
};

static void on_rx(void *ctx, const uint8_t *content, size_t len, uint64_t t)
{
    (void)t;
    struct harness *h = ctx;
    size_t pos = 0;
    while (pos < len && h->nreplies < 16) {
        struct msg_params p;
        char err[128];
        assert_int_equal(msg_decode(h->dict, content, len, &pos, &p, err, sizeof(err)), 0);
        msg_format_text(&p, h->replies[h->nreplies++], 128);
    }
}

static struct harness *harness_new(unsigned mcu_seq, const struct sq_config *cfg)
{
    struct harness *h = calloc(1, sizeof(*h));
    h->w.base.ops = &wire_ops;
    h->w.base.kind = "fake";
    h->w.base.baud = 250000;
    h->w.mcu = fake_mcu_create(mcu_tx, &h->w);
    fake_mcu_set_expected_seq(h->w.mcu, mcu_seq);
    h->q = sq_create(&h->w.base, cfg);
    char err[256];
    h->dict = dict_parse_json(fake_mcu_dict_json, strlen(fake_mcu_dict_json), err, sizeof(err));
    sq_set_rx(h->q, on_rx, h);
    return h;
}

static void harness_free(struct harness *h)
{
    sq_destroy(h->q);
    fake_mcu_destroy(h->w.mcu);
    dict_free(h->dict);
    free(h->w.rx);
    free(h);
}

static void send_text(struct harness *h, const char *text)
{
    uint8_t buf[FRAME_MAX];
    char err[256];
    int n = msg_encode_text(h->dict, text, buf, FRAME_MAX_CONTENT, err, sizeof(err));
    if (n < 0)
        fail_msg("%s: %s", text, err);
    assert_int_equal(sq_send(h->q, buf, (size_t)n), 0);
}

static int run_acked(struct harness *h, uint64_t for_ns)
{
    return sq_run(h->q, h->w.now + for_ns, SQ_UNTIL_ACKED);
}

static void step(struct harness *h, uint64_t ns)
{
    assert_int_equal(sq_run(h->q, h->w.now + ns, SQ_UNTIL_TIME), 0);
}

static void assert_log(struct harness *h, const char **want, size_t n)
{
    if (fake_mcu_log_count(h->w.mcu) != n) {
        for (size_t i = 0; i < fake_mcu_log_count(h->w.mcu); i++)
            fprintf(stderr, "  log[%zu] %s\n", i, fake_mcu_log(h->w.mcu, i));
        fail_msg("MCU ran %zu commands, expected %zu", fake_mcu_log_count(h->w.mcu), n);
    }
    for (size_t i = 0; i < n; i++)
        assert_string_equal(fake_mcu_log(h->w.mcu, i), want[i]);
}

static const char *A = "queue_step oid=0 interval=1000 count=1 add=0";
static const char *B = "queue_step oid=0 interval=2000 count=2 add=0";
static const char *C = "queue_step oid=0 interval=3000 count=3 add=0";

static void test_clean_link_packs_messages(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    char text[10][80];
    const char *want[10];
    for (int i = 0; i < 10; i++) {
        snprintf(text[i], sizeof(text[i]), "queue_step oid=%d interval=1000 count=100 add=0", i);
        send_text(h, text[i]);
        want[i] = text[i];
    }
    assert_int_equal(sq_pending(h->q), 10);
    assert_int_equal(run_acked(h, 1000 * MS), 1);
    assert_log(h, want, 10);
    const struct sq_stats *s = sq_get_stats(h->q);
    /* The opening empty block, then 7 bytes a message, 59 to a block: 8 + 2. */
    assert_int_equal(s->blocks_sent, 3);
    assert_int_equal(s->messages_sent, 10);
    assert_int_equal(s->retransmits, 0);
    assert_int_equal(s->timeouts, 0);
    assert_int_equal(s->naks, 0);
    assert_int_equal(s->resyncs, 0);
    assert_int_equal(sq_in_flight(h->q), 0);
    /* Two blocks at 250000 baud, acks and latency: a few milliseconds. */
    assert_true(h->w.now < 10 * MS);
    /* The round trip was measured, so the timeout dropped to its floor. */
    assert_int_equal(sq_rto(h->q), 25 * MS);
    harness_free(h);
}

/* Whatever the MCU expects at first (it may have talked to another host),
 * nothing is lost: 1 is the case where its nak looks like an ack. */
static void test_adopts_mcu_sequence(void **state)
{
    (void)state;
    unsigned starts[] = {0, 1, 7, 15, 2};
    for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
        struct harness *h = harness_new(starts[k], NULL);
        send_text(h, A);
        step(h, 1 * MS);
        send_text(h, B);
        assert_int_equal(run_acked(h, 1000 * MS), 1);
        const char *want[] = {A, B};
        assert_log(h, want, 2);
        assert_int_equal(sq_get_stats(h->q)->resyncs, starts[k] <= 1 ? 0 : 1);
        assert_int_equal(sq_get_stats(h->q)->timeouts, 0);
        harness_free(h);
    }
}

static void test_dropped_block_timeout(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    h->w.drop_host = 2; /* the first data block (after the probe) never arrives */
    send_text(h, A);
    assert_int_equal(run_acked(h, 5000 * MS), 1);
    const char *want[] = {A};
    assert_log(h, want, 1);
    const struct sq_stats *s = sq_get_stats(h->q);
    assert_int_equal(s->timeouts, 1);
    assert_int_equal(s->retransmits, 1);
    /* The probe's round trip set the timeout to its 25 ms floor; nothing
     * could have happened before it expired. */
    assert_true(h->w.now >= 25 * MS);
    assert_true(h->w.now < 40 * MS);
    harness_free(h);
}

static void test_dropped_block_nak(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    h->w.drop_host = 2;
    send_text(h, A);
    step(h, 1 * MS);
    send_text(h, B);
    step(h, 1 * MS);
    send_text(h, C);
    assert_int_equal(run_acked(h, 5000 * MS), 1);
    const char *want[] = {A, B, C};
    assert_log(h, want, 3);
    const struct sq_stats *s = sq_get_stats(h->q);
    assert_true(s->naks >= 1);
    assert_int_equal(s->timeouts, 0);
    assert_true(s->retransmits >= 1);
    assert_true(fake_mcu_naks_sent(h->w.mcu) >= 1);
    /* Recovered by the nak, long before any timeout. */
    assert_true(h->w.now < 20 * MS);
    harness_free(h);
}

static void test_corrupted_block(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    h->w.corrupt_host = 2;
    send_text(h, A);
    step(h, 1 * MS);
    send_text(h, B);
    assert_int_equal(run_acked(h, 5000 * MS), 1);
    const char *want[] = {A, B};
    assert_log(h, want, 2);
    assert_true(fake_mcu_bad_blocks(h->w.mcu) >= 1);
    assert_true(sq_get_stats(h->q)->naks >= 1);
    assert_int_equal(sq_get_stats(h->q)->timeouts, 0);

    /* Alone, a corrupted block is recovered by the timeout. */
    struct harness *h2 = harness_new(0, NULL);
    h2->w.corrupt_host = 2;
    send_text(h2, C);
    assert_int_equal(run_acked(h2, 5000 * MS), 1);
    const char *want2[] = {C};
    assert_log(h2, want2, 1);
    assert_int_equal(sq_get_stats(h2->q)->timeouts, 1);
    harness_free(h);
    harness_free(h2);
}

static void test_lost_ack(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    h->w.drop_mcu = 2; /* the MCU's ack of the first data block */
    send_text(h, A);
    assert_int_equal(run_acked(h, 5000 * MS), 1);
    const char *want[] = {A};
    /* Run once: the MCU recognised the retransmission as old. */
    assert_log(h, want, 1);
    assert_int_equal(fake_mcu_duplicates(h->w.mcu), 1);
    assert_int_equal(sq_get_stats(h->q)->timeouts, 1);
    harness_free(h);
}

static void test_responses_arrive(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    send_text(h, "get_clock");
    send_text(h, "emergency_stop");
    assert_int_equal(run_acked(h, 1000 * MS), 1);
    step(h, 5 * MS);
    assert_int_equal(h->nreplies, 2);
    assert_non_null(strstr(h->replies[0], "clock clock="));
    assert_non_null(strstr(h->replies[1], "static_string_id=Timer too close"));
    harness_free(h);
}

static void check_window(uint32_t window, size_t want_max_blocks)
{
    struct sq_config cfg;
    sq_config_default(&cfg);
    cfg.receive_window = window;
    struct harness *h = harness_new(0, &cfg);
    step(h, 2 * MS); /* the opening probe comes and goes */
    assert_int_equal(h->w.fifo_n, 0);
    h->w.max_fifo_n = h->w.max_fifo_bytes = 0;
    /* 22-byte messages: two to a 49-byte block. */
    char text[32][96];
    const char *want[32];
    for (int i = 0; i < 32; i++) {
        snprintf(text[i], sizeof(text[i]), "spi_send oid=%d data=\"%019d\"", i, i);
        send_text(h, text[i]);
        want[i] = text[i];
    }
    assert_int_equal(run_acked(h, 1000 * MS), 1);
    assert_log(h, want, 32);
    assert_true(h->w.max_fifo_bytes <= window);
    assert_int_equal(h->w.max_fifo_n, want_max_blocks);
    assert_int_equal(sq_get_stats(h->q)->blocks_sent, 17);
    harness_free(h);
}

static void test_receive_window(void **state)
{
    (void)state;
    check_window(64, 1);
    check_window(100, 2);
    check_window(192, 3);
    check_window(1000, SQ_MAX_INFLIGHT);
}

static void test_gives_up(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    h->w.drop_everything = 1;
    send_text(h, A);
    assert_int_equal(run_acked(h, 3600000 * MS), -1);
    assert_non_null(sq_error(h->q));
    assert_non_null(strstr(sq_error(h->q), "not responding"));
    assert_int_equal(sq_get_stats(h->q)->timeouts, 11);
    /* Backoff doubles to the 5 s ceiling. */
    assert_int_equal(sq_rto(h->q), 5000 * MS);
    harness_free(h);
}

static void test_rejects_oversized_message(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    uint8_t big[FRAME_MAX_CONTENT + 1] = {0};
    assert_int_equal(sq_send(h->q, big, sizeof(big)), -1);
    assert_int_equal(sq_send(h->q, big, 0), -1);
    assert_int_equal(sq_send(h->q, big, FRAME_MAX_CONTENT), 0);
    harness_free(h);
}

static void send_queued(struct harness *h, struct command_queue *cq, const char *text,
                        uint64_t min_clock, uint64_t req_clock)
{
    uint8_t buf[FRAME_MAX];
    char err[256];
    int n = msg_encode_text(h->dict, text, buf, FRAME_MAX_CONTENT, err, sizeof(err));
    if (n < 0)
        fail_msg("%s: %s", text, err);
    assert_int_equal(sq_send_queued(h->q, cq, buf, (size_t)n, min_clock, req_clock), 0);
}

/* Across queues the MCU gets messages in req_clock order; within one,
 * in the order queued; plain sq_send() messages (req_clock 0) first. */
static void test_queues_in_req_clock_order(void **state)
{
    (void)state;
    struct harness *h = harness_new(0, NULL);
    struct command_queue *a = sq_alloc_queue(h->q), *b = sq_alloc_queue(h->q);
    send_queued(h, a, "queue_step oid=0 interval=100 count=1 add=0", 0, 300);
    send_queued(h, a, "queue_step oid=0 interval=200 count=1 add=0", 0, 100);
    send_queued(h, b, "queue_step oid=1 interval=300 count=1 add=0", 0, 200);
    send_queued(h, b, "queue_step oid=1 interval=400 count=1 add=0", 0, 400);
    send_text(h, "get_clock");
    assert_int_equal(sq_pending(h->q), 5);
    /* A queue of another serial queue is refused. */
    struct harness *h2 = harness_new(0, NULL);
    uint8_t msg[3] = {2, 0, 0};
    assert_int_equal(sq_send_queued(h->q, sq_alloc_queue(h2->q), msg, 1, 0, 0), -1);
    harness_free(h2);
    assert_int_equal(sq_pending(h->q), 5);
    assert_int_equal(run_acked(h, 1000 * MS), 1);
    const char *want[] = {
        "get_clock",
        "queue_step oid=1 interval=300 count=1 add=0",
        "queue_step oid=0 interval=100 count=1 add=0",
        "queue_step oid=0 interval=200 count=1 add=0",
        "queue_step oid=1 interval=400 count=1 add=0",
    };
    assert_log(h, want, 5);
    harness_free(h);
}

/* A message waits until the MCU's estimated clock (within the window) has
 * reached its min_clock, holding back its own queue but not the others,
 * and goes as soon as it is ready. The fake MCU's clock is 16 ticks a
 * microsecond of wire time, which is what a clock estimate without
 * samples says too. */
static void test_min_clock_gating(void **state)
{
    (void)state;
    const uint64_t window[] = {0, 16000};
    for (size_t k = 0; k < 2; k++) {
        struct harness *h = harness_new(0, NULL);
        struct clocksync *cs = clocksync_create(16000000);
        sq_set_clocksync(h->q, cs);
        sq_set_min_clock_window(h->q, window[k]);
        struct command_queue *steps = sq_alloc_queue(h->q), *other = sq_alloc_queue(h->q);
        const uint64_t t50 = 50 * MS, c50 = 800000; /* 50 ms of MCU clock */
        send_queued(h, steps, A, c50, c50);
        send_queued(h, steps, B, 0, c50 + 1000); /* ready, but behind A */
        send_queued(h, other, C, 0, c50 + 2000); /* another queue goes at once */
        step(h, 10 * MS);
        const char *want[] = {C, A, B};
        assert_log(h, want, 1);
        assert_int_equal(sq_pending(h->q), 2);
        uint64_t ready_at = t50 - window[k] * 1000 / 16;
        assert_int_equal(sq_run(h->q, ready_at - 1000, SQ_UNTIL_TIME), 0);
        assert_log(h, want, 1);
        /* Waiting for the acks waits for the gate to open, and no longer. */
        assert_int_equal(run_acked(h, 1000 * MS), 1);
        assert_log(h, want, 3);
        assert_true(h->w.last_block_start >= ready_at);
        assert_true(h->w.last_block_start < ready_at + 100000);
        harness_free(h);
        clocksync_destroy(cs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_link_packs_messages),
        cmocka_unit_test(test_adopts_mcu_sequence),
        cmocka_unit_test(test_dropped_block_timeout),
        cmocka_unit_test(test_dropped_block_nak),
        cmocka_unit_test(test_corrupted_block),
        cmocka_unit_test(test_lost_ack),
        cmocka_unit_test(test_responses_arrive),
        cmocka_unit_test(test_receive_window),
        cmocka_unit_test(test_gives_up),
        cmocka_unit_test(test_rejects_oversized_message),
        cmocka_unit_test(test_queues_in_req_clock_order),
        cmocka_unit_test(test_min_clock_gating),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
