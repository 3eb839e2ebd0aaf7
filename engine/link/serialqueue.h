/* Reliable delivery of command messages to the MCU.
 *
 * Messages wait in command queues (cmdqueue.h): sq_send() uses a queue
 * of its own whose messages are ready at once with req_clock 0;
 * sq_send_queued() takes a queue from sq_alloc_queue() and the message's
 * min_clock and req_clock. Ready messages are packed into blocks in
 * req_clock order, numbered, and kept until the MCU acknowledges them.
 * A message is ready once the MCU's estimated clock (sq_set_clocksync)
 * plus the window from sq_set_min_clock_window() has reached its
 * min_clock; without a clock estimate every message is ready. The MCU acks each good block
 * with an empty block carrying the next sequence number it expects;
 * an empty block repeating a number we already sent past is a nak, and
 * everything unacknowledged is sent again, as it is when no ack comes
 * within the retransmit timeout. At most receive_window bytes (and 12
 * blocks, so that four-bit sequence numbers stay unambiguous) are in
 * flight. Blocks from the MCU that carry content go to the rx callback;
 * they are never retransmitted. The first sq_run() opens the link with
 * an empty block, whose answer tells us the sequence number the MCU
 * expects.
 *
 * Nothing runs in the background: sq_run() does the work, for as long
 * as the caller asks, on the transport's clock. */
#ifndef LOCKSTEP_LINK_SERIALQUEUE_H
#define LOCKSTEP_LINK_SERIALQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "clocksync.h"
#include "cmdqueue.h"
#include "transport.h"

#define SQ_MAX_INFLIGHT 12

struct sq_config {
    uint32_t receive_window; /* bytes; the MCU's RECEIVE_WINDOW */
    uint64_t rto_initial_ns; /* before the first round-trip sample */
    uint64_t rto_min_ns, rto_max_ns;
    unsigned max_retransmits; /* consecutive timeouts before giving up */
};

void sq_config_default(struct sq_config *c);

struct sq_stats {
    uint64_t messages_sent;
    uint64_t blocks_sent; /* first transmissions */
    uint64_t bytes_sent;  /* including retransmissions */
    uint64_t retransmits; /* blocks sent again */
    uint64_t timeouts;
    uint64_t naks;            /* naks acted on */
    uint64_t blocks_received; /* good blocks from the MCU */
    uint64_t bad_blocks;      /* bad blocks from the MCU */
    uint64_t bad_seq;         /* acks for blocks never sent */
    uint64_t resyncs;         /* sequence numbers adopted from the MCU */
};

/* Content of a block from the MCU, and when its last byte arrived. */
typedef void (*sq_rx_fn)(void *ctx, const uint8_t *content, size_t len, uint64_t t_ns);

struct serialqueue;

/* cfg may be NULL for defaults. The transport stays the caller's. */
struct serialqueue *sq_create(struct link_transport *t, const struct sq_config *cfg);
void sq_destroy(struct serialqueue *q);
void sq_set_rx(struct serialqueue *q, sq_rx_fn fn, void *ctx);
void sq_set_window(struct serialqueue *q, uint32_t bytes);

/* Queue one encoded message, ready now, req_clock 0. Returns -1 if it
 * cannot fit in a block. */
int sq_send(struct serialqueue *q, const uint8_t *msg, size_t len);

/* A new command queue, freed with the serial queue. Queues opened
 * earlier win req_clock ties (sq_send's own queue is the first). */
struct command_queue *sq_alloc_queue(struct serialqueue *q);
/* Queue one encoded message on cq. Returns -1 if it cannot fit in a
 * block or cq is not one of this serial queue's. */
int sq_send_queued(struct serialqueue *q, struct command_queue *cq, const uint8_t *msg, size_t len,
                   uint64_t min_clock, uint64_t req_clock);

/* Drop the messages of cq not yet sent (the MCU would discard them
 * anyway, e.g. steps after a homing stop); returns how many. */
size_t sq_clear_queue(struct serialqueue *q, struct command_queue *cq);
/* The MCU clock estimate that gates messages on their min_clock (NULL:
 * none, every message is ready). It stays the caller's. */
void sq_set_clocksync(struct serialqueue *q, const struct clocksync *cs);
/* Send a message up to this many MCU ticks before the estimated clock
 * reaches its min_clock (default 0). */
void sq_set_min_clock_window(struct serialqueue *q, uint64_t ticks);

/* When the newest block the MCU has acknowledged finished crossing the
 * wire (transport time), or 0 if it had to be sent more than once and
 * so cannot tell. A reply to a command in that block was made after
 * this: the lower bound of a clock sample. */
uint64_t sq_acked_sent_time(const struct serialqueue *q);

enum sq_until {
    SQ_UNTIL_TIME,  /* run to the deadline (or sq_stop) */
    SQ_UNTIL_ACKED, /* also stop once everything queued is acknowledged */
};
/* Run the link until until_ns on the transport's clock. Returns 1 if it
 * stopped early (condition met or sq_stop() called from the rx
 * callback), 0 at the deadline, -1 on failure (sq_error()). */
int sq_run(struct serialqueue *q, uint64_t until_ns, enum sq_until cond);
void sq_stop(struct serialqueue *q);

uint64_t sq_now(struct serialqueue *q);
size_t sq_pending(const struct serialqueue *q);   /* messages not yet sent, all queues */
size_t sq_in_flight(const struct serialqueue *q); /* blocks awaiting ack */
uint64_t sq_rto(const struct serialqueue *q);
const struct sq_stats *sq_get_stats(const struct serialqueue *q);
const char *sq_error(const struct serialqueue *q); /* NULL while healthy */

#endif
