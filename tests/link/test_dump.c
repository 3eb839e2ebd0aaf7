/* Reading block streams back as text: a clean batch file, one with a
 * corrupted block in the middle (the rest still decodes, the offset is
 * reported), a truncated one, a missing block, trailing garbage and a
 * block that does not decode. */
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
#include "dump.h"
#include "fake_mcu.h"
#include "frame.h"

#define NMSG 300

static char dict_path[64], out_path[64];
static struct link_dict *dict;
static uint8_t *file;
static size_t file_len;
static char *lines[NMSG];
/* Block boundaries in the file and the first message of each block. */
static size_t block_off[NMSG + 1], block_first[NMSG + 1], nblocks;

static int setup(void **state)
{
    (void)state;
    strcpy(dict_path, "/tmp/link_dump_dict_XXXXXX");
    strcpy(out_path, "/tmp/link_dump_out_XXXXXX");
    int fd = mkstemp(dict_path);
    close(fd);
    fd = mkstemp(out_path);
    close(fd);
    FILE *f = fopen(dict_path, "w");
    fputs(fake_mcu_dict_json, f);
    fclose(f);
    char err[512];
    dict = dict_load_file(dict_path, err, sizeof(err));
    assert_non_null(dict);

    /* Messages of varied lengths on two queues, interleaved by req_clock;
     * the expected lines come from the batch's own order, checked in
     * test_batch, so here they are built in that order directly. */
    struct link_batch *b = link_batch_open(dict_path, out_path, err, sizeof(err));
    assert_non_null(b);
    size_t pos = 0;
    for (int i = 0; i < NMSG; i++) {
        char text[128];
        if (i % 7 == 6)
            snprintf(text, sizeof(text), "spi_send oid=%d data=\"chunk %d\\x7e\\x00\"", i % 5, i);
        else
            snprintf(text, sizeof(text), "queue_step oid=%d interval=%d count=%d add=%d", i % 3,
                     i * 9973, 1 + i % 50, (i % 11) - 5);
        assert_int_equal(link_batch_send_text(b, NULL, text, 0, 0, err, sizeof(err)), 0);
        /* As the dump prints it: buffers come back with their own escapes. */
        struct msg_params mp;
        assert_int_equal(msg_parse_text(dict, text, &mp, err, sizeof(err)), 0);
        char shown[256];
        msg_format_text(&mp, shown, sizeof(shown));
        lines[i] = strdup(shown);
        /* Flush now and then so that blocks come in all sizes. */
        if (i % 37 == 36)
            assert_int_equal(link_batch_flush(b, CMDQ_NO_LIMIT, err, sizeof(err)), 0);
    }
    assert_int_equal(link_batch_close(b, err, sizeof(err)), 0);
    f = fopen(out_path, "rb");
    file = malloc(1 << 16);
    file_len = fread(file, 1, 1 << 16, f);
    fclose(f);

    /* Block boundaries, from the length bytes. */
    size_t msg = 0;
    while (pos < file_len) {
        block_off[nblocks] = pos;
        block_first[nblocks] = msg;
        const uint8_t *blk = file + pos;
        /* Count messages by decoding. */
        size_t p = 0, len = frame_content_len(blk);
        while (p < len) {
            struct msg_params mp;
            assert_int_equal(
                msg_decode_command(dict, frame_content(blk), len, &p, &mp, err, sizeof(err)), 0);
            msg++;
        }
        pos += blk[0];
        nblocks++;
    }
    block_off[nblocks] = pos;
    block_first[nblocks] = msg;
    assert_int_equal(msg, NMSG);
    assert_true(nblocks > 10);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NMSG; i++)
        free(lines[i]);
    free(file);
    dict_free(dict);
    unlink(dict_path);
    unlink(out_path);
    return 0;
}

struct run {
    char *out, *errs;
    size_t outlen, errlen;
    int rc;
    struct link_dump_result res;
};

static void dump(struct run *r, const uint8_t *data, size_t len, int offsets)
{
    memset(r, 0, sizeof(*r));
    FILE *in = len ? fmemopen((void *)data, len, "rb") : fopen("/dev/null", "rb");
    FILE *out = open_memstream(&r->out, &r->outlen);
    FILE *errs = open_memstream(&r->errs, &r->errlen);
    struct link_dump_opts o = {.offsets = offsets};
    r->rc = link_dump_stream(in, "out.bin", dict, &o, out, errs, &r->res);
    fclose(in);
    fclose(out);
    fclose(errs);
}

static void run_free(struct run *r)
{
    free(r->out);
    free(r->errs);
}

/* The output is exactly the expected lines minus those of blocks
 * [skip_from, skip_to). */
static void assert_lines_except(const struct run *r, size_t skip_from, size_t skip_to)
{
    const char *s = r->out;
    for (size_t i = 0; i < NMSG; i++) {
        if (i >= block_first[skip_from] && i < block_first[skip_to])
            continue;
        const char *nl = strchr(s, '\n');
        if (!nl)
            fail_msg("output ends before message %zu", i);
        if ((size_t)(nl - s) != strlen(lines[i]) || strncmp(s, lines[i], (size_t)(nl - s)))
            fail_msg("message %zu: got '%.*s', expected '%s'", i, (int)(nl - s), s, lines[i]);
        s = nl + 1;
    }
    assert_string_equal(s, "");
}

static void test_clean_file(void **state)
{
    (void)state;
    struct run r;
    dump(&r, file, file_len, 0);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.errs, "");
    assert_lines_except(&r, 0, 0);
    assert_int_equal(r.res.messages, NMSG);
    assert_int_equal(r.res.blocks, nblocks);
    assert_int_equal(r.res.bytes, file_len);
    run_free(&r);
}

static void test_offsets_option(void **state)
{
    (void)state;
    struct run r;
    dump(&r, file, file_len, 1);
    assert_int_equal(r.rc, 0);
    char want[256];
    snprintf(want, sizeof(want), "0:0 %s\n", lines[0]);
    assert_memory_equal(r.out, want, strlen(want));
    snprintf(want, sizeof(want), "\n%zu:%zu %s\n", block_off[2], (size_t)2 & FRAME_SEQ_MASK,
             lines[block_first[2]]);
    assert_non_null(strstr(r.out, want));
    run_free(&r);
}

/* One byte of a block in the middle flipped: that block's messages are
 * gone, the report names its offset and where decoding resumed, and
 * everything after it is still there. Every byte position in the block is
 * tried, so bytes that happen to look like a block start or a sync byte
 * are covered. A damaged sync byte hides where the next block starts, so
 * that one goes too (the parser finds its start again only at the sync
 * byte that ends it). */
static void test_corrupted_block(void **state)
{
    (void)state;
    size_t k = nblocks / 2;
    for (size_t at = block_off[k]; at < block_off[k + 1]; at++) {
        uint8_t *bad = malloc(file_len);
        memcpy(bad, file, file_len);
        bad[at] ^= 0x5a;
        size_t resume = at == block_off[k + 1] - 1 ? k + 2 : k + 1;
        struct run r;
        dump(&r, bad, file_len, 0);
        assert_int_equal(r.rc, 1);
        assert_int_equal(r.res.damaged, 1);
        assert_int_equal(r.res.truncated, 0);
        char want[128];
        snprintf(want, sizeof(want), "out.bin: offset %zu: bad block (", block_off[k]);
        if (!strstr(r.errs, want))
            fail_msg("byte %zu flipped: report '%s' lacks '%s'", at, r.errs, want);
        snprintf(want, sizeof(want), "skipped %zu bytes up to offset %zu\n",
                 block_off[resume] - block_off[k], block_off[resume]);
        if (!strstr(r.errs, want))
            fail_msg("byte %zu flipped: report '%s' lacks '%s'", at, r.errs, want);
        /* One line: one stretch, no spurious sequence report. */
        assert_ptr_equal(strchr(r.errs, '\n'), r.errs + r.errlen - 1);
        assert_lines_except(&r, k, resume);
        run_free(&r);
        free(bad);
    }
}

static void test_truncated_file(void **state)
{
    (void)state;
    size_t last = nblocks - 1;
    size_t cut = block_off[last] + (block_off[last + 1] - block_off[last]) / 2;
    struct run r;
    dump(&r, file, cut, 0);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.res.truncated, 1);
    char want[160];
    snprintf(want, sizeof(want),
             "out.bin: offset %zu: truncated final block (%zu of its %u bytes)\n", block_off[last],
             cut - block_off[last], file[block_off[last]]);
    assert_string_equal(r.errs, want);
    assert_lines_except(&r, last, last + 1);
    run_free(&r);

    /* Cut just after a length byte. */
    dump(&r, file, block_off[last] + 1, 0);
    assert_int_equal(r.res.truncated, 1);
    assert_lines_except(&r, last, last + 1);
    run_free(&r);

    /* An empty file is a clean, empty stream. */
    dump(&r, file, 0, 0);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "");
    run_free(&r);
}

static void test_missing_block(void **state)
{
    (void)state;
    size_t k = 3;
    uint8_t *cut = malloc(file_len);
    size_t n = block_off[k];
    memcpy(cut, file, n);
    memcpy(cut + n, file + block_off[k + 1], file_len - block_off[k + 1]);
    n += file_len - block_off[k + 1];
    struct run r;
    dump(&r, cut, n, 0);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.res.seq_jumps, 1);
    char want[128];
    snprintf(want, sizeof(want), "out.bin: offset %zu: sequence number %zu, expected %zu",
             block_off[k], (k + 1) & FRAME_SEQ_MASK, k & FRAME_SEQ_MASK);
    assert_non_null(strstr(r.errs, want));
    assert_lines_except(&r, k, k + 1);
    run_free(&r);
    free(cut);
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    uint8_t *buf = malloc(file_len + 100);
    memcpy(buf, file, file_len);
    for (int i = 0; i < 100; i++)
        buf[file_len + i] = (uint8_t)(0x80 + i % 50); /* never a sync byte */
    struct run r;
    dump(&r, buf, file_len + 100, 0);
    assert_int_equal(r.rc, 1);
    char want[128];
    snprintf(want, sizeof(want),
             "out.bin: offset %zu: bad block (bad length byte); skipped 100 "
             "bytes to the end\n",
             file_len);
    assert_string_equal(r.errs, want);
    assert_lines_except(&r, 0, 0);
    run_free(&r);
    free(buf);
}

/* A well-formed block whose content is not in the dictionary. */
static void test_undecodable_block(void **state)
{
    (void)state;
    uint8_t blk[FRAME_MAX];
    const uint8_t content[] = {4, 0, 10, 1, 0, 90, 1, 2};
    size_t bl = frame_build(blk, nblocks, content, sizeof(content));
    uint8_t *buf = malloc(file_len + bl);
    memcpy(buf, file, file_len);
    memcpy(buf + file_len, blk, bl);
    struct run r;
    dump(&r, buf, file_len + bl, 0);
    assert_int_equal(r.rc, 1);
    assert_int_equal(r.res.undecodable, 1);
    char want[160];
    snprintf(want, sizeof(want),
             "out.bin: offset %zu: unknown command id 90; rest of the block skipped\n", file_len);
    assert_string_equal(r.errs, want);
    /* The message before the bad one was printed. */
    const char *tail = "queue_step oid=0 interval=10 count=1 add=0\n";
    assert_string_equal(r.out + r.outlen - strlen(tail), tail);
    run_free(&r);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_file),        cmocka_unit_test(test_offsets_option),
        cmocka_unit_test(test_corrupted_block),   cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_missing_block),     cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_undecodable_block),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
