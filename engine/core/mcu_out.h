/* The engine's side of one MCU: its dictionary and clock, object ids,
 * the configuration it is sent, and command queues into a link.
 *
 * Configuration follows Klipper: objects add their config commands as
 * text; finalize sends "allocate_oids", those commands and
 * "finalize_config crc=N", where N is the CRC-32 of the commands joined
 * by newlines (so a host can tell whether an MCU already holds this
 * configuration). Hot commands (queue_step and its kin) are encoded
 * directly from their dictionary ids. */
#ifndef LOCKSTEP_CORE_MCU_OUT_H
#define LOCKSTEP_CORE_MCU_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "dict.h"
#include "mcu_link.h"

struct mcu_out;

/* Batch mode: commands go to out_path as the bytes of the wire. */
struct mcu_out *mcu_out_open_batch(const char *dict_path, const char *out_path, char *err,
                                   size_t errlen);
/* Live mode: commands go over an open link (which stays the caller's). */
struct mcu_out *mcu_out_open_live(struct link_mcu *link, char *err, size_t errlen);
/* The live link, or NULL in batch mode. */
struct link_mcu *mcu_out_link(const struct mcu_out *m);
/* Sends what is queued and closes; -1 with err if a write failed. */
int mcu_out_close(struct mcu_out *m, char *err, size_t errlen);

const struct link_dict *mcu_out_dict(const struct mcu_out *m);
uint32_t mcu_out_freq(const struct mcu_out *m);
/* MCU clock at a print time (print time is the MCU clock in seconds). */
uint64_t mcu_out_clock(const struct mcu_out *m, double print_time);
const struct clocksync *mcu_out_clocksync(const struct mcu_out *m);
/* Dictionary id of a command, or -1 with err naming it. */
int32_t mcu_out_command_id(const struct mcu_out *m, const char *name, char *err, size_t errlen);

int mcu_out_alloc_oid(struct mcu_out *m);
/* A configuration command, as text (checked against the dictionary when
 * sent). Returns -1 with err if it is malformed. */
int mcu_out_add_config(struct mcu_out *m, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A command sent right after the configuration, every time (not part of
 * its CRC). */
int mcu_out_add_init(struct mcu_out *m, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Batch: queue the configuration. Live: ask the MCU for its state and
 * configure it unless it already holds this configuration (same CRC);
 * learn the size of its move queue. */
int mcu_out_finalize(struct mcu_out *m, char *err, size_t errlen);
uint32_t mcu_out_config_crc(const struct mcu_out *m);

struct command_queue *mcu_out_alloc_queue(struct mcu_out *m);
int mcu_out_send(struct mcu_out *m, struct command_queue *cq, const uint8_t *msg, size_t len,
                 uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen);
/* A message that takes a slot of the MCU's move queue (queue_step,
 * queue_digital_out) until done_clock. Live mode holds it back until a
 * slot is free then. */
int mcu_out_send_move(struct mcu_out *m, struct command_queue *cq, const uint8_t *msg, size_t len,
                      uint64_t min_clock, uint64_t req_clock, uint64_t done_clock, char *err,
                      size_t errlen);
/* Batch mode: whether its command queues may take messages directly,
 * encoded in place with cmdq_reserve() and cmdq_push_reserved() on a
 * queue from mcu_out_alloc_queue(), which is what mcu_out_send_move()
 * amounts to there (no move queue gates them). A write failure then
 * surfaces at mcu_out_flush() and mcu_out_close(). Live mode: false. */
bool mcu_out_queues_direct(const struct mcu_out *m);
/* Live: drop what cq holds that was not sent yet. */
void mcu_out_clear_queue(struct mcu_out *m, struct command_queue *cq);
/* Moves due after clock will never run (the MCU dropped them after a
 * homing stop): their slots are free from then on. */
void mcu_out_forget_moves(struct mcu_out *m, uint64_t clock);
/* A text command on cq (NULL: at once, in no particular order). */
int mcu_out_send_text(struct mcu_out *m, struct command_queue *cq, uint64_t min_clock,
                      uint64_t req_clock, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Let queued messages due by req_limit go out (all: CMDQ_NO_LIMIT). */
int mcu_out_flush(struct mcu_out *m, uint64_t req_limit, char *err, size_t errlen);
struct mcu_out_stats {
    uint64_t messages, bytes; /* sent, or written in batch mode */
};
void mcu_out_get_stats(const struct mcu_out *m, struct mcu_out_stats *st);

/* Encode a message of id with up to 6 integer arguments; returns its
 * length (out needs 5 bytes per value). */
size_t mcu_out_encode(uint8_t *out, int32_t id, const int32_t *args, size_t nargs);

#endif
