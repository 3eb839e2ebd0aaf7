#include "frame.h"

#include <string.h>

#include "crc16.h"

size_t frame_build(uint8_t *out, uint64_t seq, const uint8_t *content, size_t len)
{
    if (len > FRAME_MAX_CONTENT)
        return 0;
    if (len)
        memmove(out + FRAME_HEADER, content, len);
    return frame_finish(out, seq, len);
}

size_t frame_finish(uint8_t *out, uint64_t seq, size_t len)
{
    if (len > FRAME_MAX_CONTENT)
        return 0;
    size_t total = len + FRAME_MIN;
    out[0] = (uint8_t)total;
    out[1] = (uint8_t)(FRAME_DEST | (seq & FRAME_SEQ_MASK));
    uint16_t crc = crc16_ccitt(out, total - FRAME_TRAILER);
    out[total - 3] = (uint8_t)(crc >> 8);
    out[total - 2] = (uint8_t)(crc & 0xff);
    out[total - 1] = FRAME_SYNC;
    return total;
}

void frame_parser_init(struct frame_parser *p, frame_fn fn, void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->fn = fn;
    p->ctx = ctx;
}

void frame_parser_set_bad(struct frame_parser *p, frame_bad_fn bad, void *ctx)
{
    p->bad = bad;
    p->bad_ctx = ctx;
}

uint64_t frame_parser_errors(const struct frame_parser *p)
{
    return p->stats.bad_len + p->stats.bad_seq + p->stats.bad_sync + p->stats.bad_crc;
}

uint64_t frame_parser_block_offset(const struct frame_parser *p)
{
    return p->buf_start;
}

size_t frame_parser_partial(const struct frame_parser *p, uint64_t *offset)
{
    if (offset)
        *offset = p->buf_start;
    return p->len;
}

static void push_byte(struct frame_parser *p, uint8_t b, uint64_t off);

static void report(struct frame_parser *p, uint64_t *counter, const char *why)
{
    (*counter)++;
    if (p->bad)
        p->bad(p->bad_ctx, p->buf_start, why);
}

/* The buffered bytes after the first sync byte may already hold the
 * start of the next block, so they go through the parser again instead
 * of being thrown away with the bad block. */
static void resync(struct frame_parser *p)
{
    uint8_t *sync = memchr(p->buf, FRAME_SYNC, p->len);
    if (!sync) {
        p->stats.discarded += p->len;
        p->len = 0;
        p->need_sync = 1;
        return;
    }
    size_t skip = (size_t)(sync - p->buf) + 1;
    uint8_t rest[FRAME_MAX];
    size_t nrest = p->len - skip;
    uint64_t rest_start = p->buf_start + skip;
    memcpy(rest, sync + 1, nrest);
    p->stats.discarded += skip;
    p->len = 0;
    for (size_t i = 0; i < nrest; i++)
        push_byte(p, rest[i], rest_start + i);
}

static void push_byte(struct frame_parser *p, uint8_t b, uint64_t off)
{
    if (p->need_sync) {
        p->stats.discarded++;
        if (b == FRAME_SYNC)
            p->need_sync = 0;
        return;
    }
    /* A sync byte where a block would start is an idle separator (a
     * sender may use one to flush a half-received block at the far end). */
    if (p->len == 0 && b == FRAME_SYNC)
        return;
    if (p->len == 0)
        p->buf_start = off;
    p->buf[p->len++] = b;
    if (p->len == 1) {
        if (b < FRAME_MIN || b > FRAME_MAX) {
            report(p, &p->stats.bad_len, "bad length byte");
            resync(p);
        }
        return;
    }
    if (p->len == 2) {
        if ((b & ~FRAME_SEQ_MASK) != FRAME_DEST) {
            report(p, &p->stats.bad_seq, "bad sequence byte");
            resync(p);
        }
        return;
    }
    size_t total = p->buf[0];
    if (p->len < total)
        return;
    if (p->buf[total - 1] != FRAME_SYNC) {
        report(p, &p->stats.bad_sync, "no sync byte at the end");
        resync(p);
        return;
    }
    uint16_t crc = crc16_ccitt(p->buf, total - FRAME_TRAILER);
    if (p->buf[total - 3] != (crc >> 8) || p->buf[total - 2] != (crc & 0xff)) {
        report(p, &p->stats.bad_crc, "bad checksum");
        resync(p);
        return;
    }
    p->stats.blocks++;
    p->len = 0;
    if (p->fn)
        p->fn(p->ctx, p->buf);
}

void frame_parser_feed(struct frame_parser *p, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        push_byte(p, data[i], p->fed++);
}
