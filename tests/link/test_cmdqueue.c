/* Command queues: req_clock order across queues, FIFO within one,
 * min_clock gating and how messages are packed into blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cmdqueue.h"
#include "frame.h"

/* A message whose first byte names it and whose length is chosen. */
static void push(struct command_queue *q, uint8_t tag, size_t len, uint64_t min_clock,
                 uint64_t req_clock)
{
    uint8_t m[FRAME_MAX_CONTENT];
    memset(m, tag, sizeof(m));
    assert_int_equal(cmdq_push(q, m, len, min_clock, req_clock), 0);
}

/* Pack and commit blocks until nothing more is ready; the tags in the
 * order they came out, for 1-byte messages. */
static size_t drain(struct command_queues *s, uint64_t ready, uint64_t limit, uint8_t *tags,
                    size_t cap)
{
    size_t total = 0;
    for (;;) {
        uint8_t content[FRAME_MAX_CONTENT];
        size_t n;
        size_t len = cmdq_pack(s, ready, limit, FRAME_MAX_CONTENT, content, &n);
        if (!n)
            return total;
        assert_int_equal(len, n);
        assert_true(total + n <= cap);
        memcpy(tags + total, content, n);
        total += n;
        cmdq_commit(s);
    }
}

static void test_req_clock_order_across_queues(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *a = cmdq_alloc(s), *b = cmdq_alloc(s), *c = cmdq_alloc(s);
    push(a, 'a', 1, 0, 100);
    push(a, 'b', 1, 0, 400);
    push(a, 'c', 1, 0, 50); /* behind 400 in its queue: order kept */
    push(b, 'd', 1, 0, 200);
    push(b, 'e', 1, 0, 300);
    push(c, 'f', 1, 0, 250);
    push(c, 'g', 1, 0, 500);
    assert_int_equal(cmdq_pending(s), 7);
    assert_int_equal(cmdq_queue_pending(a), 3);
    uint8_t tags[16];
    size_t n = drain(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, tags, sizeof(tags));
    assert_int_equal(n, 7);
    assert_memory_equal(tags, "adfebcg", 7);
    assert_int_equal(cmdq_pending(s), 0);
    cmdq_destroy(s);
}

static void test_ties_go_to_the_older_queue(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *q[4];
    for (int i = 0; i < 4; i++)
        q[i] = cmdq_alloc(s);
    /* Pushed youngest queue first, so arrival order cannot be the reason. */
    for (int i = 3; i >= 0; i--) {
        push(q[i], (uint8_t)('0' + i), 1, 0, 7);
        push(q[i], (uint8_t)('A' + i), 1, 0, 9);
    }
    uint8_t tags[16];
    assert_int_equal(drain(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, tags, sizeof(tags)), 8);
    assert_memory_equal(tags, "0123ABCD", 8);
    cmdq_destroy(s);
}

static void test_min_clock_gating(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *a = cmdq_alloc(s), *b = cmdq_alloc(s);
    push(a, 'a', 1, 1000, 10); /* lowest req_clock, but not ready yet */
    push(a, 'b', 1, 0, 20);    /* ready, but behind 'a' */
    push(b, 'c', 1, 0, 30);
    push(b, 'd', 1, 0, 40);
    uint8_t tags[16];
    assert_int_equal(drain(s, 999, CMDQ_NO_LIMIT, tags, sizeof(tags)), 2);
    assert_memory_equal(tags, "cd", 2);
    assert_int_equal(cmdq_next_min_clock(s, 999, CMDQ_NO_LIMIT), 1000);
    /* Nothing ready: nothing packed, nothing lost. */
    assert_int_equal(drain(s, 999, CMDQ_NO_LIMIT, tags, sizeof(tags)), 0);
    assert_int_equal(cmdq_pending(s), 2);
    /* Ready exactly at min_clock. */
    assert_int_equal(drain(s, 1000, CMDQ_NO_LIMIT, tags, sizeof(tags)), 2);
    assert_memory_equal(tags, "ab", 2);
    assert_int_equal(cmdq_next_min_clock(s, 1000, CMDQ_NO_LIMIT), UINT64_MAX);
    /* min_clock 0 is ready even at clock 0. */
    push(b, 'e', 1, 0, 5);
    assert_int_equal(drain(s, 0, CMDQ_NO_LIMIT, tags, sizeof(tags)), 1);
    cmdq_destroy(s);
}

static void test_req_limit(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *a = cmdq_alloc(s), *b = cmdq_alloc(s);
    push(a, 'a', 1, 0, 10);
    push(a, 'b', 1, 0, 200);
    push(a, 'c', 1, 0, 20); /* within the limit, but behind 'b' */
    push(b, 'd', 1, 5000, 30);
    uint8_t tags[16];
    /* The limit takes precedence: no gating question for 'd' yet. */
    assert_int_equal(cmdq_next_min_clock(s, 0, 25), UINT64_MAX);
    assert_int_equal(drain(s, CMDQ_ALL_READY, 100, tags, sizeof(tags)), 2);
    assert_memory_equal(tags, "ad", 2);
    assert_int_equal(drain(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, tags, sizeof(tags)), 2);
    assert_memory_equal(tags, "bc", 2);
    cmdq_destroy(s);
}

static void test_packing(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *a = cmdq_alloc(s), *b = cmdq_alloc(s);
    /* 20 + 20 + 19 = 59 fills a block exactly. */
    push(a, 'a', 20, 0, 1);
    push(b, 'b', 20, 0, 2);
    push(a, 'c', 19, 0, 3);
    /* 30 does not fit after 30; the 5 behind it would, but blocks keep
     * req_clock order, so the block ends at the first that does not. */
    push(b, 'd', 30, 0, 4);
    push(a, 'e', 30, 0, 5);
    push(b, 'f', 5, 0, 6);
    uint8_t out[FRAME_MAX_CONTENT];
    size_t n;
    assert_int_equal(cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, FRAME_MAX_CONTENT, out, &n), 59);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 'a');
    assert_int_equal(out[20], 'b');
    assert_int_equal(out[40], 'c');
    /* Packing again without committing chooses the same again. */
    assert_int_equal(cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, FRAME_MAX_CONTENT, out, &n), 59);
    assert_int_equal(cmdq_pending(s), 6);
    cmdq_commit(s);
    assert_int_equal(cmdq_pending(s), 3);
    assert_int_equal(cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, FRAME_MAX_CONTENT, out, &n), 30);
    assert_int_equal(n, 1);
    cmdq_commit(s);
    assert_int_equal(cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, FRAME_MAX_CONTENT, out, &n), 35);
    assert_int_equal(n, 2);
    /* A smaller cap, as a caller with little room would ask. */
    assert_int_equal(cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, 34, out, &n), 30);
    assert_int_equal(n, 1);
    cmdq_destroy(s);
}

static void test_rejects_bad_sizes(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *a = cmdq_alloc(s);
    uint8_t m[FRAME_MAX] = {0};
    assert_int_equal(cmdq_push(a, m, 0, 0, 0), -1);
    assert_int_equal(cmdq_push(a, m, FRAME_MAX_CONTENT + 1, 0, 0), -1);
    assert_int_equal(cmdq_push(a, m, FRAME_MAX_CONTENT, 0, 0), 0);
    assert_int_equal(cmdq_pending(s), 1);
    struct command_queues *other = cmdq_create();
    assert_true(cmdq_in_set(a, s));
    assert_false(cmdq_in_set(a, other));
    assert_false(cmdq_in_set(NULL, s));
    cmdq_destroy(other);
    cmdq_destroy(s);
}

/* Many messages through a ring that grows and wraps, interleaved with
 * packing: every message comes out once, in order. */
static void test_many_messages(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *q[3];
    for (int i = 0; i < 3; i++)
        q[i] = cmdq_alloc(s);
    uint32_t next_out[3] = {0}, next_in[3] = {0};
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < (round * 7 + i) % 23; k++) {
                uint8_t m[6];
                uint32_t v = next_in[i]++;
                m[0] = (uint8_t)i;
                memcpy(m + 1, &v, 4);
                m[5] = 0;
                /* Each queue's clocks rise at its own pace. */
                uint64_t req = (uint64_t)v * (uint64_t)(i + 2) + (uint64_t)round * 1000;
                assert_int_equal(cmdq_push(q[i], m, sizeof(m), 0, req), 0);
            }
        }
        for (int b = 0; b < (round % 5) + 1; b++) {
            uint8_t content[FRAME_MAX_CONTENT];
            size_t n;
            size_t len = cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, sizeof(content), content, &n);
            cmdq_commit(s);
            assert_int_equal(len, n * 6);
            for (size_t j = 0; j < n; j++) {
                uint8_t qi = content[j * 6];
                uint32_t v;
                memcpy(&v, content + j * 6 + 1, 4);
                assert_true(qi < 3);
                assert_int_equal(v, next_out[qi]++);
            }
        }
    }
    uint8_t content[FRAME_MAX_CONTENT];
    size_t n;
    while (cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, sizeof(content), content, &n)) {
        cmdq_commit(s);
        for (size_t j = 0; j < n; j++) {
            uint32_t v;
            memcpy(&v, content + j * 6 + 1, 4);
            assert_int_equal(v, next_out[content[j * 6]]++);
        }
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(next_out[i], next_in[i]);
    assert_int_equal(cmdq_pending(s), 0);
    cmdq_destroy(s);
}

/* Encoding in place: reserve, write, push the first len bytes. */
static void test_reserve_in_place(void **state)
{
    (void)state;
    struct command_queues *s = cmdq_create();
    struct command_queue *q = cmdq_alloc(s);
    uint8_t *room = cmdq_reserve(q);
    assert_non_null(room);
    /* Nothing is queued by reserving, and the room stays the same. */
    assert_int_equal(cmdq_queue_pending(q), 0);
    assert_ptr_equal(cmdq_reserve(q), room);
    memset(room, 'x', FRAME_MAX_CONTENT);
    assert_int_equal(cmdq_push_reserved(q, 0, 0, 0), -1);
    assert_int_equal(cmdq_push_reserved(q, FRAME_MAX_CONTENT + 1, 0, 0), -1);
    assert_int_equal(cmdq_pending(s), 0);
    room[0] = 'a';
    room[1] = 'b';
    assert_int_equal(cmdq_push_reserved(q, 2, 0, 20), 0);
    room = cmdq_reserve(q);
    room[0] = 'c';
    assert_int_equal(cmdq_push_reserved(q, 1, 0, 10), 0);
    push(q, 'd', 1, 0, 30);
    assert_int_equal(cmdq_pending(s), 3);
    uint8_t out[FRAME_MAX_CONTENT];
    size_t n;
    assert_int_equal(cmdq_pack(s, CMDQ_ALL_READY, CMDQ_NO_LIMIT, sizeof(out), out, &n), 4);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "abcd", 4);
    cmdq_commit(s);
    assert_int_equal(cmdq_pending(s), 0);
    cmdq_destroy(s);
}

/* The rule of cmdqueue.h, spelled out the slow way: over and over, the
 * ready head (within the limit) with the lowest req_clock, the older
 * queue on ties, until one does not fit. */
struct model_msg {
    uint64_t min_clock, req_clock;
    uint8_t len;
    uint8_t data[FRAME_MAX_CONTENT];
};

#define MODEL_QUEUES 7
#define MODEL_MAX 4096

struct model {
    struct model_msg msgs[MODEL_QUEUES][MODEL_MAX];
    size_t head[MODEL_QUEUES], count[MODEL_QUEUES];
};

static size_t model_pack(const struct model *md, uint64_t ready, uint64_t limit, size_t cap,
                         uint8_t *out, size_t taken[MODEL_QUEUES])
{
    size_t len = 0;
    memset(taken, 0, MODEL_QUEUES * sizeof(taken[0]));
    for (;;) {
        int best = -1;
        const struct model_msg *bm = NULL;
        for (int i = 0; i < MODEL_QUEUES; i++) {
            if (taken[i] >= md->count[i])
                continue;
            const struct model_msg *m = &md->msgs[i][md->head[i] + taken[i]];
            if (m->req_clock > limit || m->min_clock > ready)
                continue;
            if (!bm || m->req_clock < bm->req_clock) {
                best = i;
                bm = m;
            }
        }
        if (!bm || len + bm->len > cap)
            return len;
        memcpy(out + len, bm->data, bm->len);
        len += bm->len;
        taken[best]++;
    }
}

/* Random queues (clocks rising, falling back, tied; lengths up to a whole
 * block), random ready clocks, limits and block sizes, with rings that
 * wrap and grow: every block must be the model's, byte for byte, and a
 * pack without a commit must change nothing. */
static void test_pack_matches_model(void **state)
{
    (void)state;
    static struct model md;
    memset(&md, 0, sizeof(md));
    struct command_queues *s = cmdq_create();
    struct command_queue *q[MODEL_QUEUES];
    for (int i = 0; i < MODEL_QUEUES; i++)
        q[i] = cmdq_alloc(s);
    uint64_t x = 0x853c49e6748fea9bu, clock[MODEL_QUEUES] = {0};
#define RAND() (x = x * 6364136223846793005u + 1442695040888963407u, x >> 33)
    size_t blocks = 0, messages = 0;
    for (int round = 0; round < 3000; round++) {
        /* A few queues get a burst of messages. */
        for (int k = (int)(RAND() % 4); k > 0; k--) {
            int i = (int)(RAND() % MODEL_QUEUES);
            for (int j = (int)(RAND() % 12); j > 0; j--) {
                if (md.head[i] + md.count[i] == MODEL_MAX) {
                    memmove(md.msgs[i], md.msgs[i] + md.head[i],
                            md.count[i] * sizeof(md.msgs[i][0]));
                    md.head[i] = 0;
                }
                if (md.count[i] == MODEL_MAX)
                    break;
                struct model_msg *m = &md.msgs[i][md.head[i] + md.count[i]];
                uint32_t r = (uint32_t)RAND();
                /* Mostly rising, sometimes equal to another queue's, now
                 * and then back in time. */
                if (r % 16 == 0)
                    clock[i] = clock[(r >> 4) % MODEL_QUEUES];
                else if (r % 16 == 1 && clock[i] > 50)
                    clock[i] -= 50;
                else
                    clock[i] += r % 40;
                m->req_clock = clock[i];
                m->min_clock = (r >> 8) % 4 == 0 ? clock[i] - clock[i] / 8 : 0;
                m->len = (uint8_t)((r >> 12) % 8 == 0 ? 1 + (r >> 16) % FRAME_MAX_CONTENT
                                                      : 1 + (r >> 16) % 12);
                for (size_t b = 0; b < m->len; b++)
                    m->data[b] = (uint8_t)RAND();
                uint8_t *room = cmdq_reserve(q[i]);
                memcpy(room, m->data, m->len);
                assert_int_equal(cmdq_push_reserved(q[i], m->len, m->min_clock, m->req_clock), 0);
                md.count[i]++;
            }
        }
        /* Then a few blocks leave. */
        for (int b = (int)(RAND() % 4); b > 0; b--) {
            uint64_t r = RAND();
            uint64_t base = clock[r % MODEL_QUEUES];
            uint64_t ready = r & 0x10 ? CMDQ_ALL_READY : base;
            uint64_t limit = r & 0x20 ? CMDQ_NO_LIMIT : base + (r >> 8) % 64;
            size_t cap = r & 0x40 ? FRAME_MAX_CONTENT : 1 + (r >> 16) % FRAME_MAX_CONTENT;
            uint8_t want[FRAME_MAX_CONTENT], got[FRAME_MAX_CONTENT];
            size_t taken[MODEL_QUEUES], n;
            size_t want_len = model_pack(&md, ready, limit, cap, want, taken);
            size_t want_n = 0;
            for (int i = 0; i < MODEL_QUEUES; i++)
                want_n += taken[i];
            size_t got_len = cmdq_pack(s, ready, limit, cap, got, &n);
            assert_int_equal(got_len, want_len);
            assert_int_equal(n, want_n);
            assert_memory_equal(got, want, want_len);
            if (r & 0x80) /* packed, not sent: the next pack sees the same */
                continue;
            cmdq_commit(s);
            for (int i = 0; i < MODEL_QUEUES; i++) {
                md.head[i] += taken[i];
                md.count[i] -= taken[i];
                assert_int_equal(cmdq_queue_pending(q[i]), md.count[i]);
            }
            blocks += want_n > 0;
            messages += want_n;
        }
    }
#undef RAND
    /* The run must have exercised real packing. */
    assert_true(blocks > 1000);
    assert_true(messages > 5000);
    cmdq_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_in_place),
        cmocka_unit_test(test_pack_matches_model),
        cmocka_unit_test(test_req_clock_order_across_queues),
        cmocka_unit_test(test_ties_go_to_the_older_queue),
        cmocka_unit_test(test_min_clock_gating),
        cmocka_unit_test(test_req_limit),
        cmocka_unit_test(test_packing),
        cmocka_unit_test(test_rejects_bad_sizes),
        cmocka_unit_test(test_many_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
