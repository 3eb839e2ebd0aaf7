/* Batch output: the file holds exactly the blocks the serial queue would
 * send, in req_clock order, and reads back through the frame parser and
 * the dictionary; min_clock never holds anything back; errors name the
 * file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch.h"
#include "fake_mcu.h"
#include "frame.h"
#include "msg.h"

#define FREQ 16000000u

static char dict_path[64], out_path[64];

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int setup(void **state)
{
    (void)state;
    strcpy(dict_path, "/tmp/link_batch_dict_XXXXXX");
    strcpy(out_path, "/tmp/link_batch_out_XXXXXX");
    int fd = mkstemp(dict_path);
    assert_true(fd >= 0);
    close(fd);
    fd = mkstemp(out_path);
    assert_true(fd >= 0);
    close(fd);
    write_file(dict_path, fake_mcu_dict_json, strlen(fake_mcu_dict_json));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(dict_path);
    unlink(out_path);
    return 0;
}

/* What the file holds, read back. */
struct readback {
    const struct link_dict *dict;
    char **lines;
    size_t nlines, cap;
    size_t *block_len; /* content length per block */
    size_t nblocks;
    unsigned bad_seq;
};

static void on_block(void *ctx, const uint8_t *block)
{
    struct readback *r = ctx;
    if (frame_seq(block) != (r->nblocks & FRAME_SEQ_MASK))
        r->bad_seq++;
    r->block_len = realloc(r->block_len, (r->nblocks + 1) * sizeof(*r->block_len));
    r->block_len[r->nblocks++] = frame_content_len(block);
    const uint8_t *c = frame_content(block);
    size_t len = frame_content_len(block), pos = 0;
    while (pos < len) {
        struct msg_params p;
        char err[200], text[256];
        if (msg_decode_command(r->dict, c, len, &pos, &p, err, sizeof(err)))
            fail_msg("block %zu: %s", r->nblocks - 1, err);
        msg_format_text(&p, text, sizeof(text));
        if (r->nlines == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->lines = realloc(r->lines, r->cap * sizeof(*r->lines));
        }
        r->lines[r->nlines++] = strdup(text);
    }
}

static void read_back(struct readback *r, const struct link_dict *d, const char *path)
{
    memset(r, 0, sizeof(*r));
    r->dict = d;
    size_t len;
    uint8_t *data = read_file(path, &len);
    struct frame_parser p;
    frame_parser_init(&p, on_block, r);
    frame_parser_feed(&p, data, len);
    assert_int_equal(frame_parser_errors(&p), 0);
    assert_int_equal(frame_parser_partial(&p, NULL), 0);
    assert_int_equal(p.stats.discarded, 0);
    free(data);
}

static void readback_free(struct readback *r)
{
    for (size_t i = 0; i < r->nlines; i++)
        free(r->lines[i]);
    free(r->lines);
    free(r->block_len);
}

/* The test's own model of the order: pending messages per queue, merged
 * by req_clock, the earlier queue first on equal clocks. */
#define NQ 4
struct expect {
    char *text[NQ][8192];
    uint64_t req[NQ][8192];
    size_t len[NQ][8192];
    size_t head[NQ], tail[NQ];
    char **order;
    size_t *order_len;
    size_t norder;
};

static void expect_flush(struct expect *e)
{
    for (;;) {
        int best = -1;
        for (int q = 0; q < NQ; q++)
            if (e->head[q] < e->tail[q] &&
                (best < 0 || e->req[q][e->head[q]] < e->req[best][e->head[best]]))
                best = q;
        if (best < 0)
            return;
        e->order[e->norder] = e->text[best][e->head[best]];
        e->order_len[e->norder++] = e->len[best][e->head[best]++];
    }
}

static void send(struct link_batch *b, struct command_queue **qs, struct expect *e, int q,
                 const char *text, uint64_t min_clock, uint64_t req_clock)
{
    char err[256];
    if (link_batch_send_text(b, qs[q], text, min_clock, req_clock, err, sizeof(err)))
        fail_msg("%s: %s", text, err);
    uint8_t buf[FRAME_MAX];
    int n = msg_encode_text(link_batch_dict(b), text, buf, sizeof(buf), err, sizeof(err));
    assert_true(n > 0);
    size_t i = e->tail[q]++;
    assert_true(i < 8192);
    e->text[q][i] = strdup(text);
    e->req[q][i] = req_clock;
    e->len[q][i] = (size_t)n;
}

/* Several thousand messages from three stepper queues and the batch's
 * own queue, flushed now and then, including stretches that fill blocks
 * to the last byte. */
static void test_round_trip(void **state)
{
    (void)state;
    char err[512];
    struct link_batch *b = link_batch_open(dict_path, out_path, err, sizeof(err));
    if (!b)
        fail_msg("%s", err);
    assert_int_equal(link_batch_freq(b), FREQ);
    struct command_queue *qs[NQ] = {NULL};
    for (int i = 1; i < NQ; i++)
        qs[i] = link_batch_alloc_queue(b);
    struct expect *e = calloc(1, sizeof(*e));
    e->order = calloc(NQ * 8192, sizeof(*e->order));
    e->order_len = calloc(NQ * 8192, sizeof(*e->order_len));

    uint64_t clock[NQ] = {0, 1000, 1000, 1000};
    uint32_t rng = 99;
    size_t total = 0;
    for (int round = 0; round < 60; round++) {
        /* A stretch that fills a block exactly: 10 x 5 bytes + 3 x 3 bytes. */
        if (round % 10 == 3) {
            for (int i = 0; i < 10; i++, total++)
                send(b, qs, e, 1, "queue_step oid=0 interval=90 count=1 add=0", 0, clock[1]++);
            for (int i = 0; i < 3; i++, total++)
                send(b, qs, e, 1, "set_next_step_dir oid=0 dir=1", 0, clock[1]++);
            assert_int_equal(link_batch_flush(b, CMDQ_NO_LIMIT, err, sizeof(err)), 0);
            expect_flush(e);
            continue;
        }
        for (int k = 0; k < 100; k++, total++) {
            rng = rng * 1103515245u + 12345u;
            int q = 1 + (int)((rng >> 16) % 3);
            uint32_t interval = (rng >> 8) % 5 == 0 ? 50 + (rng % 40) : 1000 + (rng % 3000000);
            unsigned count = 1 + (rng >> 20) % 400;
            int add = (int)((rng >> 4) % 200) - 100;
            char text[128];
            if ((rng >> 24) % 17 == 0) {
                snprintf(text, sizeof(text), "set_next_step_dir oid=%d dir=%u", q - 1,
                         (rng >> 3) & 1);
                send(b, qs, e, q, text, 0, clock[q]);
            } else {
                snprintf(text, sizeof(text), "queue_step oid=%d interval=%u count=%u add=%d", q - 1,
                         interval, count, add);
                /* min_clock far ahead: batch mode must not wait for it. */
                send(b, qs, e, q, text, clock[q] + 10ull * FREQ, clock[q]);
                clock[q] += (uint64_t)interval * count;
            }
            if ((rng >> 12) % 50 == 0)
                send(b, qs, e, 0, "get_clock", 0, 0);
        }
        assert_int_equal(link_batch_flush(b, CMDQ_NO_LIMIT, err, sizeof(err)), 0);
        expect_flush(e);
    }
    total = e->norder;
    assert_true(total > 5000);
    assert_int_equal(link_batch_pending(b), 0);
    struct link_batch_stats st = *link_batch_get_stats(b);
    assert_int_equal(link_batch_close(b, err, sizeof(err)), 0);

    struct readback r;
    char djson_err[256];
    struct link_dict *d = dict_load_file(dict_path, djson_err, sizeof(djson_err));
    assert_non_null(d);
    read_back(&r, d, out_path);
    size_t flen;
    free(read_file(out_path, &flen));
    assert_int_equal(st.bytes, flen);
    assert_int_equal(st.messages, total);
    assert_int_equal(st.blocks, r.nblocks);
    assert_int_equal(r.bad_seq, 0);
    assert_int_equal(r.nlines, total);
    for (size_t i = 0; i < total; i++)
        if (strcmp(r.lines[i], e->order[i]))
            fail_msg("message %zu: got '%s', expected '%s'", i, r.lines[i], e->order[i]);
    /* Blocks are packed full: each ends only where the next message would
     * not fit (or at a flush), and some fill all 59 bytes. */
    size_t full = 0, msg = 0, not_full = 0;
    for (size_t k = 0; k < r.nblocks; k++) {
        size_t used = 0;
        while (used < r.block_len[k])
            used += e->order_len[msg++];
        assert_int_equal(used, r.block_len[k]);
        full += used == FRAME_MAX_CONTENT;
        if (msg < total && used + e->order_len[msg] <= FRAME_MAX_CONTENT)
            not_full++;
    }
    assert_true(full >= 6);
    /* Only flushes end a block early: 60 of them. */
    assert_true(not_full <= 60);
    readback_free(&r);
    dict_free(d);
    for (int q = 0; q < NQ; q++)
        for (size_t i = 0; i < e->tail[q]; i++)
            free(e->text[q][i]);
    free(e->order);
    free(e->order_len);
    free(e);
}

static void test_flush_limit(void **state)
{
    (void)state;
    char err[512];
    struct link_batch *b = link_batch_open(dict_path, out_path, err, sizeof(err));
    assert_non_null(b);
    struct command_queue *a = link_batch_alloc_queue(b), *c = link_batch_alloc_queue(b);
    assert_int_equal(
        link_batch_send_text(b, a, "set_next_step_dir oid=0 dir=0", 0, 10, err, sizeof(err)), 0);
    assert_int_equal(
        link_batch_send_text(b, a, "set_next_step_dir oid=0 dir=1", 0, 30, err, sizeof(err)), 0);
    assert_int_equal(
        link_batch_send_text(b, a, "set_next_step_dir oid=0 dir=0", 0, 20, err, sizeof(err)), 0);
    assert_int_equal(
        link_batch_send_text(b, c, "set_next_step_dir oid=1 dir=1", 0, 15, err, sizeof(err)), 0);
    assert_int_equal(link_batch_flush(b, 20, err, sizeof(err)), 0);
    assert_int_equal(link_batch_get_stats(b)->messages, 2);
    assert_int_equal(link_batch_pending(b), 2);
    assert_int_equal(link_batch_close(b, err, sizeof(err)), 0);
    struct link_dict *d = dict_load_file(dict_path, err, sizeof(err));
    struct readback r;
    read_back(&r, d, out_path);
    assert_int_equal(r.nblocks, 2);
    assert_int_equal(r.nlines, 4);
    assert_string_equal(r.lines[0], "set_next_step_dir oid=0 dir=0");
    assert_string_equal(r.lines[1], "set_next_step_dir oid=1 dir=1");
    assert_string_equal(r.lines[2], "set_next_step_dir oid=0 dir=1");
    assert_string_equal(r.lines[3], "set_next_step_dir oid=0 dir=0");
    readback_free(&r);
    dict_free(d);
}

static void test_clock_in_batch_mode(void **state)
{
    (void)state;
    char err[512];
    struct link_batch *b = link_batch_open(dict_path, out_path, err, sizeof(err));
    assert_non_null(b);
    const struct clocksync *cs = link_batch_clocksync(b);
    assert_int_equal(clocksync_samples(cs), 0);
    assert_int_equal(clocksync_print_time_to_clock(cs, 2.5), 40000000);
    assert_true(clocksync_clock_to_print_time(cs, 8000000) == 0.5);
    assert_int_equal(clocksync_est_clock(cs, 3000000000ull), 48000000);
    assert_true(clocksync_est_print_time(cs, 3000000000ull) == 3.0);
    assert_int_equal(link_batch_close(b, err, sizeof(err)), 0);
}

static void test_errors(void **state)
{
    (void)state;
    char err[512] = "";
    assert_null(link_batch_open("/nonexistent/dict.json", out_path, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/dict.json"));
    assert_null(link_batch_open(dict_path, "/nonexistent/dir/out.bin", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/dir/out.bin"));
    assert_non_null(strstr(err, "No such file"));

    /* A dictionary without CLOCK_FREQ cannot give print times. */
    const char *noclock = "{\"commands\": {\"get_clock\": 2}}";
    write_file(out_path, noclock, strlen(noclock));
    assert_null(link_batch_open(out_path, "/dev/null", err, sizeof(err)));
    assert_non_null(strstr(err, "CLOCK_FREQ"));
    assert_non_null(strstr(err, out_path));

    struct link_batch *b = link_batch_open(dict_path, out_path, err, sizeof(err));
    assert_non_null(b);
    assert_int_equal(link_batch_send_text(b, NULL, "queue_step oid=0", 0, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "needs parameter"));
    uint8_t big[FRAME_MAX] = {0};
    assert_int_equal(link_batch_send(b, NULL, big, FRAME_MAX_CONTENT + 1, 0, 0, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "does not fit"));
    assert_int_equal(link_batch_pending(b), 0);
    /* A queue from another batch. */
    struct link_batch *b2 = link_batch_open(dict_path, "/dev/null", err, sizeof(err));
    assert_non_null(b2);
    struct command_queue *foreign = link_batch_alloc_queue(b2);
    assert_int_equal(link_batch_send_text(b, foreign, "get_clock", 0, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not one of this batch's"));
    assert_int_equal(link_batch_close(b2, err, sizeof(err)), 0);
    assert_int_equal(link_batch_close(b, err, sizeof(err)), 0);

    /* A full disk: the failure is reported, naming the file. */
    b = link_batch_open(dict_path, "/dev/full", err, sizeof(err));
    assert_non_null(b);
    for (int i = 0; i < 20000; i++)
        link_batch_send_text(b, NULL, "set_next_step_dir oid=0 dir=1", 0, 0, err, sizeof(err));
    int rc = link_batch_flush(b, CMDQ_NO_LIMIT, err, sizeof(err));
    if (!rc)
        rc = link_batch_close(b, err, sizeof(err));
    else
        assert_int_equal(link_batch_close(b, NULL, 0), -1);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "/dev/full"));
    assert_non_null(strstr(err, "write failed"));
}

/* The firmware build's own dictionaries drive a batch too. */
static void test_firmware_dictionaries(void **state)
{
    (void)state;
    const char *paths[] = {LOCKSTEP_AVR_DICT, LOCKSTEP_NATIVE_DICT};
    for (size_t i = 0; i < 2; i++) {
        char err[512];
        struct link_batch *b = link_batch_open(paths[i], out_path, err, sizeof(err));
        if (!b)
            fail_msg("%s", err);
        assert_true(link_batch_freq(b) > 0);
        assert_int_equal(
            link_batch_send_text(b, NULL, "allocate_oids count=1", 0, 0, err, sizeof(err)), 0);
        assert_int_equal(link_batch_send_text(b, NULL,
                                              "config_stepper oid=0 step_pin=PA0 dir_pin=PA1 "
                                              "invert_step=0 step_pulse_ticks=32",
                                              0, 0, err, sizeof(err)),
                         0);
        assert_int_equal(link_batch_close(b, err, sizeof(err)), 0);
        struct link_dict *d = dict_load_file(paths[i], err, sizeof(err));
        struct readback r;
        read_back(&r, d, out_path);
        assert_int_equal(r.nlines, 2);
        assert_string_equal(r.lines[0], "allocate_oids count=1");
        assert_string_equal(r.lines[1], "config_stepper oid=0 step_pin=PA0 dir_pin=PA1 "
                                        "invert_step=0 step_pulse_ticks=32");
        readback_free(&r);
        dict_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_flush_limit),
        cmocka_unit_test(test_clock_in_batch_mode),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_firmware_dictionaries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
