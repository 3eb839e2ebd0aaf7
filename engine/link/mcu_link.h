/* A session with one MCU: the serial queue plus the dictionary, fetched
 * through identify at connect time, message decoding on the way in and a
 * running estimate of the MCU's clock. */
#ifndef LOCKSTEP_LINK_MCU_LINK_H
#define LOCKSTEP_LINK_MCU_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "clocksync.h"
#include "cmdqueue.h"
#include "dict.h"
#include "msg.h"
#include "serialqueue.h"
#include "transport.h"

struct link_mcu_opts {
    const char *dict_path;     /* use this dictionary file instead of identify */
    uint32_t identify_chunk;   /* bytes asked for per identify (<= 40 fits a block) */
    uint64_t query_timeout_ns; /* per attempt */
    unsigned query_tries;
};

void link_mcu_opts_default(struct link_mcu_opts *o);

/* A decoded message from the MCU, with the time its block arrived. */
typedef void (*link_msg_fn)(void *ctx, const struct msg_params *p, uint64_t t_ns);
/* A block from the MCU that could not be decoded. */
typedef void (*link_bad_fn)(void *ctx, const char *why);

struct link_mcu;

/* Connect over t: fetch the dictionary (or load opts->dict_path), size
 * the window from RECEIVE_WINDOW and take a first clock sample. own != 0
 * makes the session close t. Returns NULL with err filled on failure. */
struct link_mcu *link_mcu_open(struct link_transport *t, int own, const struct link_mcu_opts *opts,
                               char *err, size_t errlen);
void link_mcu_close(struct link_mcu *m);

const struct link_dict *link_mcu_dict(const struct link_mcu *m);
struct serialqueue *link_mcu_queue(struct link_mcu *m);
struct link_transport *link_mcu_transport(struct link_mcu *m);
/* CLOCK_FREQ from the dictionary (0 if it has none). */
uint32_t link_mcu_freq(const struct link_mcu *m);

void link_mcu_set_handler(struct link_mcu *m, link_msg_fn fn, link_bad_fn bad, void *ctx);

/* Encode a text command and queue it. -1 with err on a bad command. */
int link_mcu_send_text(struct link_mcu *m, const char *text, char *err, size_t errlen);
int link_mcu_send(struct link_mcu *m, const struct msg_params *p, char *err, size_t errlen);

/* A command queue of this session's serial queue (see serialqueue.h),
 * and a message for it with its min_clock and req_clock. */
struct command_queue *link_mcu_alloc_queue(struct link_mcu *m);
int link_mcu_send_queued(struct link_mcu *m, struct command_queue *cq, const struct msg_params *p,
                         uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen);

/* Run the link for ns nanoseconds of transport time, handing incoming
 * messages to the handler. 0, or -1 if the link failed. */
int link_mcu_run_for(struct link_mcu *m, uint64_t ns);
/* Run until everything queued is acknowledged (or timeout_ns passes:
 * then -1 with err). */
int link_mcu_wait_acked(struct link_mcu *m, uint64_t timeout_ns, char *err, size_t errlen);

/* Send cmd_text and wait for the response named resp, which is returned
 * in out rather than passed to the handler. Resends on timeout. */
int link_mcu_query(struct link_mcu *m, const char *cmd_text, const char *resp,
                   struct msg_params *out, char *err, size_t errlen);

/* Ask the MCU for its clock now (get_uptime, or get_clock). */
int link_mcu_sync_clock(struct link_mcu *m, char *err, size_t errlen);
/* Transport time of the last clock sample (0 if none). */
uint64_t link_mcu_clock_sample_time(const struct link_mcu *m);
/* The MCU's clock at the transport's current time, 64 bits wide, from
 * the clock estimate (0 before the first sample). Every clock and uptime
 * response seen on the way is a sample too. */
uint64_t link_mcu_clock_now(struct link_mcu *m);
/* The estimate itself (NULL if the dictionary has no CLOCK_FREQ). It
 * also gates the serial queue's messages on their min_clock. */
const struct clocksync *link_mcu_clocksync(const struct link_mcu *m);

const char *link_mcu_error(const struct link_mcu *m);

#endif
