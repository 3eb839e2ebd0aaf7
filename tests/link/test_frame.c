#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crc16.h"
#include "frame.h"

/* Blocks the parser handed over, copied. */
struct got {
    size_t n;
    uint8_t blocks[64][FRAME_MAX];
};

static void collect(void *ctx, const uint8_t *block)
{
    struct got *g = ctx;
    assert_true(g->n < 64);
    memcpy(g->blocks[g->n++], block, block[0]);
}

static size_t make(uint8_t *out, uint64_t seq, const char *content)
{
    return frame_build(out, seq, (const uint8_t *)content, strlen(content));
}

static int same(const uint8_t *a, const uint8_t *b)
{
    return a[0] == b[0] && !memcmp(a, b, a[0]);
}

static void test_build_layout(void **state)
{
    (void)state;
    uint8_t b[FRAME_MAX];
    size_t n = make(b, 0x13, "abc");
    assert_int_equal(n, 8);
    assert_int_equal(b[0], 8);
    assert_int_equal(b[1], 0x13);
    assert_memory_equal(b + 2, "abc", 3);
    uint16_t crc = crc16_ccitt(b, 5);
    assert_int_equal(b[5], crc >> 8);
    assert_int_equal(b[6], crc & 0xff);
    assert_int_equal(b[7], 0x7e);
    /* Only the low four bits of the sequence number are sent. */
    assert_int_equal(make(b, 0x25, ""), 5);
    assert_int_equal(b[1], 0x15);
    uint8_t big[FRAME_MAX_CONTENT + 1];
    memset(big, 'x', sizeof(big));
    assert_int_equal(frame_build(b, 0, big, FRAME_MAX_CONTENT), FRAME_MAX);
    assert_int_equal(frame_build(b, 0, big, sizeof(big)), 0);
}

/* Content already behind the header gets the same block as a copy in. */
static void test_finish_in_place(void **state)
{
    (void)state;
    for (size_t len = 0; len <= FRAME_MAX_CONTENT; len++) {
        uint8_t content[FRAME_MAX_CONTENT], built[FRAME_MAX], in_place[FRAME_MAX];
        for (size_t i = 0; i < len; i++)
            content[i] = (uint8_t)(i * 37 + len);
        memcpy(in_place + FRAME_HEADER, content, len);
        size_t a = frame_build(built, len * 3, content, len);
        size_t b = frame_finish(in_place, len * 3, len);
        assert_int_equal(a, len + FRAME_MIN);
        assert_int_equal(b, a);
        assert_memory_equal(built, in_place, a);
    }
    uint8_t block[FRAME_MAX + 1];
    assert_int_equal(frame_finish(block, 0, FRAME_MAX_CONTENT + 1), 0);
    /* The content may already be where frame_build copies it to. */
    uint8_t same[FRAME_MAX], ref[FRAME_MAX];
    memcpy(same + FRAME_HEADER, "abc", 3);
    assert_int_equal(frame_build(same, 5, same + FRAME_HEADER, 3), 8);
    assert_int_equal(frame_build(ref, 5, (const uint8_t *)"abc", 3), 8);
    assert_memory_equal(same, ref, 8);
}

static void test_parse_stream_and_bytewise(void **state)
{
    (void)state;
    uint8_t stream[256], blocks[3][FRAME_MAX];
    size_t len = 0;
    const char *contents[] = {"hello", "", "\x7e\x7e in content"};
    for (int i = 0; i < 3; i++) {
        size_t n = make(blocks[i], (uint64_t)i, contents[i]);
        memcpy(stream + len, blocks[i], n);
        len += n;
    }
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, len);
    assert_int_equal(g.n, 3);
    for (int i = 0; i < 3; i++)
        assert_true(same(g.blocks[i], blocks[i]));
    assert_int_equal(frame_parser_errors(&p), 0);
    assert_int_equal(p.stats.discarded, 0);

    struct got g2 = {0};
    frame_parser_init(&p, collect, &g2);
    for (size_t i = 0; i < len; i++)
        frame_parser_feed(&p, &stream[i], 1);
    assert_int_equal(g2.n, 3);
    assert_int_equal(frame_content_len(g2.blocks[2]), strlen(contents[2]));
    assert_memory_equal(frame_content(g2.blocks[2]), contents[2], strlen(contents[2]));
}

static void test_corrupted_block_then_good(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], b[FRAME_MAX], stream[128];
    size_t na = make(a, 1, "first block"), nb = make(b, 2, "second");
    /* Every single-byte corruption of the content or checksum is caught
     * and the following block still comes through. */
    for (size_t pos = 2; pos < na - 1; pos++) {
        memcpy(stream, a, na);
        stream[pos] ^= 0x01;
        memcpy(stream + na, b, nb);
        struct got g = {0};
        struct frame_parser p;
        frame_parser_init(&p, collect, &g);
        frame_parser_feed(&p, stream, na + nb);
        assert_int_equal(g.n, 1);
        assert_true(same(g.blocks[0], b));
        assert_int_equal(p.stats.bad_crc, 1);
    }
}

static void test_bad_sync_byte(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], b[FRAME_MAX], c[FRAME_MAX], stream[128];
    size_t na = make(a, 1, "aaaa"), nb = make(b, 2, "bbbb"), nc = make(c, 3, "cccc");
    memcpy(stream, a, na);
    stream[na - 1] = 0x55;
    memcpy(stream + na, b, nb);
    memcpy(stream + na + nb, c, nc);
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, na + nb + nc);
    /* With no sync byte in the bad block, everything up to the next one
     * (the end of b) is dropped: b is lost, c is not. */
    assert_int_equal(p.stats.bad_sync, 1);
    assert_int_equal(g.n, 1);
    assert_true(same(g.blocks[0], c));
}

static void test_truncated_block(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], b[FRAME_MAX], c[FRAME_MAX], stream[128];
    size_t na = make(a, 1, "truncated one"), nb = make(b, 2, "b"), nc = make(c, 3, "c");
    size_t len = 0;
    memcpy(stream, a, na - 4); /* loses part of the content, crc and sync */
    len += na - 4;
    memcpy(stream + len, b, nb);
    len += nb;
    memcpy(stream + len, c, nc);
    len += nc;
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, len);
    assert_true(frame_parser_errors(&p) >= 1);
    assert_int_equal(g.n, 1);
    assert_true(same(g.blocks[0], c));
}

static void test_duplicated_block(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], stream[128];
    size_t na = make(a, 4, "dup");
    memcpy(stream, a, na);
    memcpy(stream + na, a, na);
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, 2 * na);
    /* Framing passes both on; dropping duplicates is the sequence
     * numbers' job. */
    assert_int_equal(g.n, 2);
    assert_int_equal(frame_seq(g.blocks[0]), 4);
    assert_int_equal(frame_seq(g.blocks[1]), 4);
}

static void test_bad_length_bytes(void **state)
{
    (void)state;
    uint8_t b[FRAME_MAX];
    size_t nb = make(b, 9, "after");
    const uint8_t lengths[] = {0, 1, 4, 65, 200, 0xff};
    for (size_t i = 0; i < sizeof(lengths); i++) {
        uint8_t stream[128];
        size_t len = 0;
        stream[len++] = lengths[i];
        stream[len++] = 0x10;
        stream[len++] = 0x7e; /* a sync ends the resync */
        memcpy(stream + len, b, nb);
        len += nb;
        struct got g = {0};
        struct frame_parser p;
        frame_parser_init(&p, collect, &g);
        frame_parser_feed(&p, stream, len);
        assert_int_equal(p.stats.bad_len, 1);
        assert_int_equal(g.n, 1);
        assert_true(same(g.blocks[0], b));
    }
}

static void test_oversized_claim_swallows_until_sync(void **state)
{
    (void)state;
    /* A valid-looking 64-byte claim made by garbage: the parser waits for
     * 64 bytes, finds them bad, and resumes after the first sync byte in
     * them, so the block that sync ended is lost but the next is not. */
    uint8_t a[FRAME_MAX], b[FRAME_MAX], stream[256];
    size_t na = make(a, 1, "aaaaaaaaaaaaaaaaaaaa"), nb = make(b, 2, "bb");
    size_t len = 0;
    stream[len++] = 64;
    stream[len++] = 0x11;
    memcpy(stream + len, a, na);
    len += na;
    for (int i = 0; i < 50; i++)
        stream[len++] = 0x33;
    stream[len++] = 0x7e;
    memcpy(stream + len, b, nb);
    len += nb;
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, len);
    assert_true(frame_parser_errors(&p) >= 1);
    assert_int_equal(g.n, 1);
    assert_true(same(g.blocks[0], b));
}

static void test_bad_seq_marker(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], b[FRAME_MAX], stream[128];
    size_t na = make(a, 1, "xyz"), nb = make(b, 2, "ok");
    memcpy(stream, a, na);
    stream[1] = 0x21; /* not 0x1N */
    memcpy(stream + na, b, nb);
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, na + nb);
    assert_int_equal(p.stats.bad_seq, 1);
    assert_int_equal(g.n, 1);
    assert_true(same(g.blocks[0], b));
}

static void test_garbage_between_blocks(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], b[FRAME_MAX], c[FRAME_MAX], stream[256];
    size_t na = make(a, 1, "one"), nb = make(b, 2, "two"), nc = make(c, 3, "three");
    /* Garbage that ends in a sync byte costs nothing but itself. */
    size_t len = 0;
    memcpy(stream, a, na);
    len += na;
    const uint8_t junk[] = {0x20, 0x99, 0x01, 0x02, 0x7e};
    memcpy(stream + len, junk, sizeof(junk));
    len += sizeof(junk);
    memcpy(stream + len, b, nb);
    len += nb;
    memcpy(stream + len, c, nc);
    len += nc;
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, len);
    assert_int_equal(g.n, 3);
    assert_true(same(g.blocks[0], a));
    assert_true(same(g.blocks[1], b));
    assert_true(same(g.blocks[2], c));
    assert_int_equal(p.stats.discarded, sizeof(junk));

    /* Without a trailing sync the parser resynchronises at the end of
     * the next block: b is lost, c arrives. */
    len = 0;
    memcpy(stream, a, na);
    len += na;
    memcpy(stream + len, junk, sizeof(junk) - 1);
    len += sizeof(junk) - 1;
    memcpy(stream + len, b, nb);
    len += nb;
    memcpy(stream + len, c, nc);
    len += nc;
    struct got g2 = {0};
    frame_parser_init(&p, collect, &g2);
    frame_parser_feed(&p, stream, len);
    assert_int_equal(g2.n, 2);
    assert_true(same(g2.blocks[0], a));
    assert_true(same(g2.blocks[1], c));
}

static void test_idle_sync_bytes(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], stream[64];
    size_t na = make(a, 1, "x");
    stream[0] = 0x7e;
    stream[1] = 0x7e;
    memcpy(stream + 2, a, na);
    stream[na + 2] = 0x7e;
    struct got g = {0};
    struct frame_parser p;
    frame_parser_init(&p, collect, &g);
    frame_parser_feed(&p, stream, na + 3);
    assert_int_equal(g.n, 1);
    assert_int_equal(frame_parser_errors(&p), 0);
}

/* Random damage: whatever gets through must be a block that was sent,
 * byte for byte, and the link must keep delivering afterwards. */
static void test_fuzz_never_accepts_damage(void **state)
{
    (void)state;
    uint32_t x = 99;
#define RND() (x = x * 1664525u + 1013904223u, x >> 8)
    for (int round = 0; round < 500; round++) {
        uint8_t blocks[12][FRAME_MAX], stream[2048];
        size_t len = 0;
        for (int i = 0; i < 12; i++) {
            uint8_t content[FRAME_MAX_CONTENT];
            size_t n = RND() % 20;
            for (size_t k = 0; k < n; k++)
                content[k] = (uint8_t)RND();
            size_t bl = frame_build(blocks[i], (uint64_t)i, content, n);
            memcpy(stream + len, blocks[i], bl);
            len += bl;
        }
        /* Damage somewhere in the first half. */
        size_t at = RND() % (len / 2);
        switch (RND() % 3) {
        case 0:
            stream[at] ^= (uint8_t)(1 + RND() % 255);
            break;
        case 1:
            memmove(stream + at, stream + at + 3, len - at - 3);
            len -= 3;
            break;
        default:
            memmove(stream + at + 4, stream + at, len - at);
            for (int k = 0; k < 4; k++)
                stream[at + k] = (uint8_t)RND();
            len += 4;
            break;
        }
        /* Idle sync bytes and two clean blocks, as a retransmission would
         * arrive after a timeout. */
        uint8_t tail[2][FRAME_MAX];
        stream[len++] = 0x7e;
        for (int i = 0; i < 2; i++) {
            size_t bl = make(tail[i], 12 + (uint64_t)i, "tail");
            memcpy(stream + len, tail[i], bl);
            len += bl;
        }
        struct got g = {0};
        struct frame_parser p;
        frame_parser_init(&p, collect, &g);
        frame_parser_feed(&p, stream, len);
        for (size_t k = 0; k < g.n; k++) {
            int known = same(g.blocks[k], tail[0]) || same(g.blocks[k], tail[1]);
            for (int i = 0; i < 12 && !known; i++)
                known = same(g.blocks[k], blocks[i]);
            assert_true(known);
        }
        assert_true(g.n >= 1);
        assert_true(same(g.blocks[g.n - 1], tail[1]));
    }
#undef RND
}

/* Where each block and each bad block starts in the stream, and the
 * unfinished block at the end, fed in odd-sized pieces. */
struct offsets {
    uint64_t good[8], bad[8];
    const char *why[8];
    size_t ngood, nbad;
    struct frame_parser *p;
};

static void note_good(void *ctx, const uint8_t *block)
{
    (void)block;
    struct offsets *o = ctx;
    o->good[o->ngood++] = frame_parser_block_offset(o->p);
}

static void note_bad(void *ctx, uint64_t offset, const char *why)
{
    struct offsets *o = ctx;
    o->why[o->nbad] = why;
    o->bad[o->nbad++] = offset;
}

static void test_offsets(void **state)
{
    (void)state;
    uint8_t s[256];
    size_t n = 0;
    n += make(s + n, 0, "abc");   /* 0..7 */
    s[n++] = FRAME_SYNC;          /* 8: idle */
    size_t bad = n;               /* 9: checksum broken */
    n += make(s + n, 1, "defgh"); /* 9..18 */
    s[bad + 3] ^= 1;
    n += make(s + n, 2, "i"); /* 19..24 */
    s[n++] = 0xff;            /* 25: not a length */
    s[n++] = FRAME_SYNC;
    size_t tail = n;
    n += make(s + n, 3, "jklm");
    n -= 2; /* the stream stops inside the last block */
    struct frame_parser p;
    struct offsets o = {.p = &p};
    frame_parser_init(&p, note_good, &o);
    frame_parser_set_bad(&p, note_bad, &o);
    for (size_t i = 0; i < n; i += 3)
        frame_parser_feed(&p, s + i, n - i < 3 ? n - i : 3);
    assert_int_equal(o.ngood, 2);
    assert_int_equal(o.good[0], 0);
    assert_int_equal(o.good[1], 19);
    assert_int_equal(o.nbad, 2);
    assert_int_equal(o.bad[0], bad);
    assert_string_equal(o.why[0], "bad checksum");
    assert_int_equal(o.bad[1], 25);
    assert_string_equal(o.why[1], "bad length byte");
    uint64_t off;
    assert_int_equal(frame_parser_partial(&p, &off), 7);
    assert_int_equal(off, tail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_layout),
        cmocka_unit_test(test_finish_in_place),
        cmocka_unit_test(test_parse_stream_and_bytewise),
        cmocka_unit_test(test_corrupted_block_then_good),
        cmocka_unit_test(test_bad_sync_byte),
        cmocka_unit_test(test_truncated_block),
        cmocka_unit_test(test_duplicated_block),
        cmocka_unit_test(test_bad_length_bytes),
        cmocka_unit_test(test_oversized_claim_swallows_until_sync),
        cmocka_unit_test(test_bad_seq_marker),
        cmocka_unit_test(test_garbage_between_blocks),
        cmocka_unit_test(test_idle_sync_bytes),
        cmocka_unit_test(test_fuzz_never_accepts_damage),
        cmocka_unit_test(test_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
