#include "batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "frame.h"

/* Blocks are gathered here and written a buffer at a time. */
#define BATCH_OUT_BUFFER (32 * 1024)

struct link_batch {
    struct link_dict *dict;
    struct clocksync *clock;
    uint32_t freq;
    struct command_queues *queues;
    struct command_queue *plain;
    FILE *out;
    char *path;
    uint64_t seq;
    int failed;
    char error[512];
    struct link_batch_stats stats;
    size_t out_len;
    uint8_t out_buf[BATCH_OUT_BUFFER];
};

struct link_batch *link_batch_open(const char *dict_path, const char *out_path, char *err,
                                   size_t errlen)
{
    struct link_dict *d = dict_load_file(dict_path, err, errlen);
    if (!d)
        return NULL;
    int64_t freq;
    if (dict_config_int(d, "CLOCK_FREQ", &freq) || freq <= 0 || freq > UINT32_MAX) {
        seterr(err, errlen, "%s: dictionary has no usable CLOCK_FREQ", dict_path);
        dict_free(d);
        return NULL;
    }
    FILE *f = fopen(out_path, "wb");
    if (!f) {
        seterr(err, errlen, "%s: %s", out_path, strerror(errno));
        dict_free(d);
        return NULL;
    }
    struct link_batch *b = calloc(1, sizeof(*b));
    if (!b)
        abort();
    b->dict = d;
    b->freq = (uint32_t)freq;
    b->clock = clocksync_create(b->freq);
    b->queues = cmdq_create();
    b->plain = cmdq_alloc(b->queues);
    b->out = f;
    b->path = strdup(out_path);
    if (!b->path)
        abort();
    return b;
}

const struct link_dict *link_batch_dict(const struct link_batch *b)
{
    return b->dict;
}

uint32_t link_batch_freq(const struct link_batch *b)
{
    return b->freq;
}

const struct clocksync *link_batch_clocksync(const struct link_batch *b)
{
    return b->clock;
}

struct command_queue *link_batch_alloc_queue(struct link_batch *b)
{
    return cmdq_alloc(b->queues);
}

size_t link_batch_pending(const struct link_batch *b)
{
    return cmdq_pending(b->queues);
}

const struct link_batch_stats *link_batch_get_stats(const struct link_batch *b)
{
    return &b->stats;
}

/* Once a write has failed the file is missing blocks; anything written
 * after that would only make the gap harder to notice. */
static int check_failed(const struct link_batch *b, char *err, size_t errlen)
{
    if (!b->failed)
        return 0;
    seterr(err, errlen, "%s", b->error);
    return -1;
}

int link_batch_send(struct link_batch *b, struct command_queue *cq, const uint8_t *msg, size_t len,
                    uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen)
{
    if (check_failed(b, err, errlen))
        return -1;
    if (cq && !cmdq_in_set(cq, b->queues)) {
        seterr(err, errlen, "command queue is not one of this batch's");
        return -1;
    }
    if (cmdq_push(cq ? cq : b->plain, msg, len, min_clock, req_clock)) {
        seterr(err, errlen, "message of %zu bytes does not fit in a block (1..%d)", len,
               FRAME_MAX_CONTENT);
        return -1;
    }
    return 0;
}

int link_batch_send_params(struct link_batch *b, struct command_queue *cq,
                           const struct msg_params *p, uint64_t min_clock, uint64_t req_clock,
                           char *err, size_t errlen)
{
    uint8_t buf[FRAME_MAX_CONTENT];
    int n = msg_encode(p, buf, sizeof(buf));
    if (n < 0) {
        seterr(err, errlen, "%s: message does not fit in a block", p->fmt->name);
        return -1;
    }
    return link_batch_send(b, cq, buf, (size_t)n, min_clock, req_clock, err, errlen);
}

int link_batch_send_text(struct link_batch *b, struct command_queue *cq, const char *text,
                         uint64_t min_clock, uint64_t req_clock, char *err, size_t errlen)
{
    struct msg_params p;
    if (msg_parse_text(b->dict, text, &p, err, errlen))
        return -1;
    return link_batch_send_params(b, cq, &p, min_clock, req_clock, err, errlen);
}

/* Write out what out_buf holds; on failure, remember it for every later
 * call. */
static int write_out(struct link_batch *b, char *err, size_t errlen)
{
    if (b->out_len && fwrite(b->out_buf, 1, b->out_len, b->out) != b->out_len) {
        snprintf(b->error, sizeof(b->error), "%s: write failed: %s", b->path, strerror(errno));
        b->failed = 1;
    }
    b->out_len = 0;
    return check_failed(b, err, errlen);
}

/* Each block is packed straight into the output buffer behind its
 * header and finished there, so message bytes are copied once on their
 * way from the queue to the file. */
int link_batch_flush(struct link_batch *b, uint64_t req_limit, char *err, size_t errlen)
{
    if (check_failed(b, err, errlen))
        return -1;
    for (;;) {
        if (sizeof(b->out_buf) - b->out_len < FRAME_MAX && write_out(b, err, errlen))
            return -1;
        uint8_t *block = b->out_buf + b->out_len;
        size_t n;
        size_t clen = cmdq_pack(b->queues, CMDQ_ALL_READY, req_limit, FRAME_MAX_CONTENT,
                                block + FRAME_HEADER, &n);
        if (!n)
            return write_out(b, err, errlen);
        size_t blen = frame_finish(block, b->seq, clen);
        cmdq_commit(b->queues);
        b->out_len += blen;
        b->seq++;
        b->stats.messages += n;
        b->stats.blocks++;
        b->stats.bytes += blen;
    }
}

int link_batch_close(struct link_batch *b, char *err, size_t errlen)
{
    if (!b)
        return 0;
    int rc = link_batch_flush(b, CMDQ_NO_LIMIT, err, errlen);
    if (fclose(b->out) && !rc) {
        seterr(err, errlen, "%s: write failed: %s", b->path, strerror(errno));
        rc = -1;
    }
    cmdq_destroy(b->queues);
    clocksync_destroy(b->clock);
    dict_free(b->dict);
    free(b->path);
    free(b);
    return rc;
}
