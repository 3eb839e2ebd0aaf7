/* Command queues: encoded messages waiting to be packed into blocks for
 * the MCU, in Klipper's model.
 *
 * The engine opens several queues (one per stepper, one for other
 * outputs, ...). Every message carries two 64-bit MCU clocks:
 *   req_clock  when the MCU needs it. The next message to go into a block
 *              is the one with the lowest req_clock among the queue heads
 *              that are ready; ties go to the queue opened first.
 *   min_clock  how early it may go: a head is ready once the clock the
 *              caller passes (the MCU's estimated clock plus a window)
 *              has reached it. 0 means ready at once.
 * Within a queue the order never changes, so a head that is not ready
 * holds back the messages behind it. Nothing here reads a clock: the
 * caller says what "now" is, which keeps packing deterministic. */
#ifndef LOCKSTEP_LINK_CMDQUEUE_H
#define LOCKSTEP_LINK_CMDQUEUE_H

#include <stddef.h>
#include <stdint.h>

#define CMDQ_ALL_READY UINT64_MAX /* ready_clock that makes every head ready */
#define CMDQ_NO_LIMIT UINT64_MAX  /* req_limit that takes any req_clock */

struct command_queue;
struct command_queues;

struct command_queues *cmdq_create(void);
/* Frees the set and every queue in it. */
void cmdq_destroy(struct command_queues *s);
/* A new, empty queue; it lives as long as the set. */
struct command_queue *cmdq_alloc(struct command_queues *s);

/* Append one encoded message (1..FRAME_MAX_CONTENT bytes). Returns -1,
 * queueing nothing, if it could never fit in a block. */
int cmdq_push(struct command_queue *q, const uint8_t *msg, size_t len, uint64_t min_clock,
              uint64_t req_clock);

/* The same in two steps, for encoders that write a message straight into
 * the queue instead of copying it there: cmdq_reserve() gives room for
 * one message (FRAME_MAX_CONTENT bytes) at q's tail, cmdq_push_reserved()
 * queues its first len bytes (-1, queueing nothing, on a bad length).
 * Until then nothing is queued, and another reserve gives the same room. */
uint8_t *cmdq_reserve(struct command_queue *q);
int cmdq_push_reserved(struct command_queue *q, size_t len, uint64_t min_clock, uint64_t req_clock);

/* Drop every message waiting in q (not between pack and commit);
 * returns how many. */
size_t cmdq_clear(struct command_queue *q);
/* Is q one of s's queues? */
int cmdq_in_set(const struct command_queue *q, const struct command_queues *s);

size_t cmdq_pending(const struct command_queues *s); /* messages in all queues */
size_t cmdq_queue_pending(const struct command_queue *q);

/* Choose the content of the next block: take, one at a time, the best
 * ready head (as above) whose req_clock is at most req_limit, for as long
 * as it fits in cap bytes (at most FRAME_MAX_CONTENT); the first that does
 * not fit ends the block, so blocks leave in req_clock order. Writes the
 * content to out and returns its length, with the message count in
 * *nmsgs; out[len..cap) may be overwritten with scratch bytes. Nothing
 * leaves the queues until cmdq_commit(). */
size_t cmdq_pack(struct command_queues *s, uint64_t ready_clock, uint64_t req_limit, size_t cap,
                 uint8_t *out, size_t *nmsgs);
/* Remove the messages the last cmdq_pack() chose. */
void cmdq_commit(struct command_queues *s);

/* The lowest min_clock among heads not ready at ready_clock (whose
 * req_clock is within req_limit): when to look again. UINT64_MAX if no
 * head is waiting for its min_clock. */
uint64_t cmdq_next_min_clock(const struct command_queues *s, uint64_t ready_clock,
                             uint64_t req_limit);

#endif
