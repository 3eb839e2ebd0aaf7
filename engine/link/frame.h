/* Message blocks: <length><seq><content><crc hi><crc lo><0x7e>.
 *
 * The parser takes bytes as they come off the wire and hands over only
 * blocks whose length, sequence marker, checksum and sync byte are all
 * right. After a bad block it drops everything up to and including the
 * next sync byte (searching from the bad block's first byte), which is
 * how both ends of the link find a block boundary again. */
#ifndef LOCKSTEP_LINK_FRAME_H
#define LOCKSTEP_LINK_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER 2
#define FRAME_TRAILER 3
#define FRAME_MIN 5
#define FRAME_MAX 64
#define FRAME_MAX_CONTENT (FRAME_MAX - FRAME_MIN)
#define FRAME_SYNC 0x7e
#define FRAME_DEST 0x10
#define FRAME_SEQ_MASK 0x0f

/* Build a block in out (FRAME_MAX bytes). Only seq's low four bits are
 * sent. Returns the block length, or 0 if the content is too long. */
size_t frame_build(uint8_t *out, uint64_t seq, const uint8_t *content, size_t len);
/* The same for content already in place at out + FRAME_HEADER (where a
 * packer can write it, saving a copy): adds the header, checksum and sync
 * byte around it. */
size_t frame_finish(uint8_t *out, uint64_t seq, size_t len);

static inline unsigned frame_seq(const uint8_t *block)
{
    return block[1] & FRAME_SEQ_MASK;
}
static inline const uint8_t *frame_content(const uint8_t *block)
{
    return block + FRAME_HEADER;
}
static inline size_t frame_content_len(const uint8_t *block)
{
    return block[0] - FRAME_MIN;
}

struct frame_stats {
    uint64_t blocks;    /* good blocks handed over */
    uint64_t bad_len;   /* length byte outside 5..64 */
    uint64_t bad_seq;   /* second byte lacks the 0x10 marker */
    uint64_t bad_sync;  /* block did not end in 0x7e */
    uint64_t bad_crc;   /* checksum mismatch */
    uint64_t discarded; /* bytes thrown away while resynchronising */
};

/* Called with each good block (whole block, block[0] bytes long). */
typedef void (*frame_fn)(void *ctx, const uint8_t *block);
/* Called with each bad block: where it started in the byte stream (bytes
 * fed since init) and what was wrong, e.g. "bad checksum". */
typedef void (*frame_bad_fn)(void *ctx, uint64_t offset, const char *why);

struct frame_parser {
    uint8_t buf[FRAME_MAX];
    size_t len;
    int need_sync;
    uint64_t fed;       /* stream offset of the next byte fed */
    uint64_t buf_start; /* stream offset of buf[0] */
    struct frame_stats stats;
    frame_fn fn;
    void *ctx;
    frame_bad_fn bad;
    void *bad_ctx;
};

void frame_parser_init(struct frame_parser *p, frame_fn fn, void *ctx);
void frame_parser_set_bad(struct frame_parser *p, frame_bad_fn bad, void *ctx);
void frame_parser_feed(struct frame_parser *p, const uint8_t *data, size_t len);
/* Number of bad blocks seen so far, of any kind. */
uint64_t frame_parser_errors(const struct frame_parser *p);
/* Inside frame_fn: where the block being handed over starts in the stream. */
uint64_t frame_parser_block_offset(const struct frame_parser *p);
/* Bytes of a block begun but not finished (0 if none), and its offset:
 * at the end of a stream, a truncated final block. */
size_t frame_parser_partial(const struct frame_parser *p, uint64_t *offset);

#endif
