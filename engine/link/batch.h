/* Batch output: the engine with no MCU attached, as in Klipper's batch
 * mode (klippy.py -o out.bin -d dict). Commands go into a file as the
 * exact bytes the serial queue would put on the wire: message blocks with
 * sequence numbers (from 0, what a freshly reset MCU expects) and CRC,
 * packed by the same rule (cmdqueue.h), in req_clock order across queues.
 *
 * Nothing answers, so nothing is acknowledged or sent again, and nothing
 * waits on time: min_clock never holds a message back (a batch has no
 * MCU whose move queue could overflow), and the clock estimate is fixed
 * at clock = print_time x CLOCK_FREQ (link_batch_clocksync()).
 *
 * Messages wait in their queues until link_batch_flush(), which is what
 * lets messages from several queues interleave by req_clock. */
#ifndef LOCKSTEP_LINK_BATCH_H
#define LOCKSTEP_LINK_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "clocksync.h"
#include "cmdqueue.h"
#include "dict.h"
#include "msg.h"

struct link_batch_stats {
    uint64_t messages; /* written */
    uint64_t blocks;
    uint64_t bytes;
};

struct link_batch;

/* Load the dictionary (JSON or zlib, as dict_load_file) and create the
 * output file. NULL with err naming the file on failure. */
struct link_batch *link_batch_open(const char *dict_path, const char *out_path, char *err,
                                   size_t errlen);
/* Write everything still queued, close the file and free b. Returns -1
 * with err if any write failed (then the file is incomplete). */
int link_batch_close(struct link_batch *b, char *err, size_t errlen);

const struct link_dict *link_batch_dict(const struct link_batch *b);
uint32_t link_batch_freq(const struct link_batch *b); /* CLOCK_FREQ */
const struct clocksync *link_batch_clocksync(const struct link_batch *b);

/* A new command queue; queues opened earlier win req_clock ties. A NULL
 * queue below means the batch's own, opened first. */
struct command_queue *link_batch_alloc_queue(struct link_batch *b);

/* Queue one encoded message / one message / one text command. -1 with
 * err if it cannot be sent (too long, bad text, earlier write failure). */
int link_batch_send(struct link_batch *b, struct command_queue *cq, const uint8_t *msg, size_t len,
                    uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen);
int link_batch_send_params(struct link_batch *b, struct command_queue *cq,
                           const struct msg_params *p, uint64_t min_clock, uint64_t req_clock,
                           char *err, size_t errlen);
int link_batch_send_text(struct link_batch *b, struct command_queue *cq, const char *text,
                         uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen);

/* Write the queued messages whose req_clock is at most req_limit (each
 * queue stops at its first later one; CMDQ_NO_LIMIT writes them all).
 * The last block may be partly filled. -1 with err on a write failure. */
int link_batch_flush(struct link_batch *b, uint64_t req_limit, char *err, size_t errlen);

size_t link_batch_pending(const struct link_batch *b); /* messages queued */
const struct link_batch_stats *link_batch_get_stats(const struct link_batch *b);

#endif
