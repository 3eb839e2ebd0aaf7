#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dict.h"
#include "fake_mcu.h"
#include "msg.h"
#include "vlq.h"

static struct link_dict *dict;

static int setup(void **state)
{
    (void)state;
    char err[256];
    dict = dict_parse_json(fake_mcu_dict_json, strlen(fake_mcu_dict_json), err, sizeof(err));
    return dict ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dict_free(dict);
    return 0;
}

static int encode(const char *text, uint8_t *out, char *err)
{
    return msg_encode_text(dict, text, out, FRAME_MAX_CONTENT, err, 256);
}

static void test_encode_known_bytes(void **state)
{
    (void)state;
    uint8_t a[FRAME_MAX], b[FRAME_MAX];
    char err[256];
    int n = encode("queue_step oid=0 interval=1000 count=100 add=-3", a, err);
    const uint8_t want[] = {0x04, 0x00, 0x87, 0x68, 0x80, 0x64, 0x7d};
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(a, want, sizeof(want));
    /* Any order, extra blanks, hex numbers. */
    int m = encode("  queue_step  add=-3 count=0x64\tinterval=1000 oid=0 ", b, err);
    assert_int_equal(m, n);
    assert_memory_equal(a, b, (size_t)n);
    /* A command without parameters, and a two-byte message id. */
    assert_int_equal(encode("get_clock", a, err), 1);
    assert_int_equal(a[0], 2);
    n = encode("debug_write order=1 addr=2 val=3", a, err);
    assert_int_equal(n, 5);
    assert_int_equal(a[0], 0x81);
    assert_int_equal(a[1], 0x48);
}

static void expect_encode_error(const char *text, const char *fragment)
{
    uint8_t out[FRAME_MAX];
    char err[256] = "";
    int n = encode(text, out, err);
    if (n >= 0 || !strstr(err, fragment))
        fail_msg("'%s': expected error containing '%s', got %d '%s'", text, fragment, n, err);
}

static void test_encode_errors(void **state)
{
    (void)state;
    expect_encode_error("", "empty command");
    expect_encode_error("   ", "empty command");
    expect_encode_error("no_such_thing oid=1", "unknown command 'no_such_thing'");
    expect_encode_error("clock clock=5", "unknown command 'clock'"); /* a response */
    expect_encode_error("queue_step oid=0 interval=1 count=1", "needs parameter 'add'");
    expect_encode_error("queue_step oid=0 interval=1 count=1 add=0 extra=1",
                        "has no parameter 'extra'");
    expect_encode_error("queue_step oid=0 oid=1 interval=1 count=1 add=0", "'oid' given twice");
    expect_encode_error("queue_step oid=x interval=1 count=1 add=0", "bad number 'x' for oid");
    expect_encode_error("queue_step oid=1x interval=1 count=1 add=0", "bad number '1x'");
    expect_encode_error("queue_step oid= interval=1 count=1 add=0", "bad number '' for oid");
    expect_encode_error("queue_step oid=0x interval=1 count=1 add=0", "bad number '0x'");
    expect_encode_error("queue_step oid=1.5 interval=1 count=1 add=0", "bad number '1.5'");
    expect_encode_error("queue_step oid 0 interval=1 count=1 add=0", "expected NAME=VALUE");
    expect_encode_error("queue_step =3", "expected NAME=VALUE");
    expect_encode_error("queue_step oid=256 interval=1 count=1 add=0", "oid=256 out of range");
    expect_encode_error("queue_step oid=-1 interval=1 count=1 add=0", "out of range");
    expect_encode_error("queue_step oid=0 interval=4294967296 count=1 add=0", "out of range");
    expect_encode_error("queue_step oid=0 interval=-1 count=1 add=0", "out of range for %u");
    expect_encode_error("queue_step oid=0 interval=1 count=65536 add=0", "out of range for %hu");
    expect_encode_error("queue_step oid=0 interval=1 count=1 add=32768", "out of range for %hi");
    expect_encode_error("queue_step oid=0 interval=1 count=1 add=-32769", "out of range");
    expect_encode_error("queue_step oid=0 interval=99999999999999999999 count=1 add=0",
                        "bad number");
    expect_encode_error("queue_step oid=\"0\" interval=1 count=1 add=0", "not a string");
    expect_encode_error("config_stepper oid=0 step_pin=PZ9 dir_pin=PA1 invert_step=0 "
                        "step_pulse_ticks=0",
                        "unknown pin 'PZ9' for step_pin");
    /* Numbers are not accepted where the dictionary has names. */
    expect_encode_error("config_stepper oid=0 step_pin=5 dir_pin=PA1 invert_step=0 "
                        "step_pulse_ticks=0",
                        "unknown pin '5'");
    expect_encode_error("spi_send oid=0 data=\"abc", "unterminated string");
    expect_encode_error("spi_send oid=0 data=\"\\q\"", "bad escape");
    expect_encode_error("spi_send oid=0 data=\"ab\"cd", "junk after string");
    char big[200];
    snprintf(big, sizeof(big), "spi_send oid=0 data=%060d", 0);
    expect_encode_error(big, "too long");
    /* A number as long as a whole frame (found by tests/fuzz/fuzz_link):
     * refused, with nothing written past the value's buffer. */
    snprintf(big, sizeof(big), "queue_step oid=0 interval=1 add=0 count=%0*d", FRAME_MAX + 1, 1);
    expect_encode_error(big, "value of 'count' too long");
    snprintf(big, sizeof(big), "queue_step oid=0 interval=1 add=0 count=%0*d", FRAME_MAX, 1);
    uint8_t out[FRAME_MAX];
    char err[256] = "";
    assert_true(encode(big, out, err) > 0);
}

static void test_boundaries_roundtrip(void **state)
{
    (void)state;
    const char *texts[] = {
        "queue_step oid=255 interval=4294967295 count=65535 add=-32768",
        "queue_step oid=0 interval=0 count=0 add=32767",
        "queue_step oid=7 interval=2147483648 count=96 add=-33",
        "reset_step_clock oid=1 clock=123456789",
        "config_stepper oid=0 step_pin=PA5 dir_pin=LED invert_step=1 step_pulse_ticks=32",
        "spi_send oid=3 data=\"a\\x00b\\\"\\\\ \\n\\xff\"",
        "spi_send oid=3 data=\"\"",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        uint8_t buf[FRAME_MAX];
        char err[256];
        int n = encode(texts[i], buf, err);
        if (n < 0)
            fail_msg("%s: %s", texts[i], err);
        size_t pos = 0;
        uint32_t id;
        assert_int_equal(vlq_decode(buf, (size_t)n, &pos, &id), 0);
        const struct msg_format *f = NULL;
        for (size_t k = 0; k < dict->nmsgs; k++)
            if (dict->msgs[k].kind == MSG_COMMAND && dict->msgs[k].id == (int32_t)id)
                f = &dict->msgs[k];
        assert_non_null(f);
        struct msg_params p;
        assert_int_equal(msg_decode_params(f, buf, (size_t)n, &pos, &p, err, sizeof(err)), 0);
        assert_int_equal(pos, (size_t)n);
        char text[512];
        msg_format_text(&p, text, sizeof(text));
        assert_string_equal(text, texts[i]);
        /* And encoding the decoded params gives the same bytes. */
        uint8_t again[FRAME_MAX];
        assert_int_equal(msg_encode(&p, again, sizeof(again)), n);
        assert_memory_equal(again, buf, (size_t)n);
    }
}

static void test_param_values(void **state)
{
    (void)state;
    struct msg_params p;
    char err[256];
    assert_int_equal(msg_parse_text(dict, "queue_step oid=3 interval=4000000000 count=500 add=-2",
                                    &p, err, sizeof(err)),
                     0);
    int64_t v;
    assert_int_equal(msg_get_int(&p, "interval", &v), 0);
    assert_int_equal(v, 4000000000LL);
    assert_int_equal(msg_get_int(&p, "add", &v), 0);
    assert_int_equal(v, -2);
    assert_int_equal(msg_get_int(&p, "nope", &v), -1);
    assert_int_equal(msg_param_index(&p, "count"), 2);
    assert_int_equal(msg_parse_text(dict, "spi_send oid=1 data=bare_word", &p, err, sizeof(err)),
                     0);
    size_t len;
    const uint8_t *b = msg_param_buf(&p, 1, &len);
    assert_int_equal(len, 9);
    assert_memory_equal(b, "bare_word", 9);
    assert_int_equal(msg_get_int(&p, "data", &v), -1);
}

static size_t put_msg(uint8_t *buf, size_t n, const int32_t *vals, size_t count)
{
    for (size_t i = 0; i < count; i++)
        n += vlq_encode(buf + n, vals[i]);
    return n;
}

static void test_decode_responses(void **state)
{
    (void)state;
    uint8_t buf[FRAME_MAX];
    size_t n = 0;
    const int32_t shutdown[] = {12, 123456, 3};
    const int32_t unknown_id[] = {12, 5, 77};
    const int32_t clock[] = {10, (int32_t)4000000000u};
    n = put_msg(buf, n, shutdown, 3);
    n = put_msg(buf, n, unknown_id, 3);
    n = put_msg(buf, n, clock, 2);
    /* An output message: printf-style, buffer printed raw. */
    n += vlq_encode(buf + n, 14);
    n += vlq_encode(buf + n, 42);
    n += vlq_encode(buf + n, 4);
    memcpy(buf + n, "m\ncu", 4);
    n += 4;

    const char *want[] = {
        "shutdown clock=123456 static_string_id=Timer too close",
        "shutdown clock=5 static_string_id=77",
        "clock clock=4000000000",
        "Hello 42 from m\\ncu",
    };
    size_t pos = 0;
    for (size_t i = 0; i < 4; i++) {
        struct msg_params p;
        char err[256], text[256];
        assert_int_equal(msg_decode(dict, buf, n, &pos, &p, err, sizeof(err)), 0);
        msg_format_text(&p, text, sizeof(text));
        assert_string_equal(text, want[i]);
    }
    assert_int_equal(pos, n);

    /* Truncated text output reports the full length, like snprintf. */
    pos = 0;
    struct msg_params p;
    char err[256], small[8];
    assert_int_equal(msg_decode(dict, buf, n, &pos, &p, err, sizeof(err)), 0);
    assert_int_equal(msg_format_text(&p, small, sizeof(small)), (int)strlen(want[0]));
    assert_string_equal(small, "shutdow");
}

static void test_decode_errors(void **state)
{
    (void)state;
    struct msg_params p;
    char err[256];
    size_t pos = 0;
    const uint8_t unknown[] = {0x33, 0x01};
    assert_int_equal(msg_decode(dict, unknown, sizeof(unknown), &pos, &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown message id 51"));
    /* A command id is not something the MCU sends. */
    const uint8_t cmd[] = {0x04, 0, 0, 0, 0};
    pos = 0;
    assert_int_equal(msg_decode(dict, cmd, sizeof(cmd), &pos, &p, err, sizeof(err)), -1);
    const uint8_t truncated[] = {12, 0x81};
    pos = 0;
    assert_int_equal(msg_decode(dict, truncated, sizeof(truncated), &pos, &p, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "truncated"));
    const uint8_t short_buf[] = {0, 0, 10, 'a'};
    pos = 0;
    assert_int_equal(msg_decode(dict, short_buf, sizeof(short_buf), &pos, &p, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "runs past"));
    pos = 0;
    assert_int_equal(msg_decode(dict, short_buf, 0, &pos, &p, err, sizeof(err)), -1);
}

static void test_random_roundtrips(void **state)
{
    (void)state;
    uint32_t x = 7;
    const struct msg_format *f = dict_command(dict, "queue_step");
    for (int i = 0; i < 20000; i++) {
        x = x * 1664525u + 1013904223u;
        uint32_t oid = x >> 24, interval = x * 2654435761u;
        int count = (int)(x >> 8 & 0xffff), add = (int)(int16_t)(x >> 3);
        char text[160];
        snprintf(text, sizeof(text), "queue_step oid=%u interval=%u count=%d add=%d", oid, interval,
                 count, add);
        struct msg_params p;
        char err[256];
        assert_int_equal(msg_parse_text(dict, text, &p, err, sizeof(err)), 0);
        assert_ptr_equal(p.fmt, f);
        uint8_t buf[FRAME_MAX];
        int n = msg_encode(&p, buf, sizeof(buf));
        assert_true(n > 0);
        size_t pos = 1;
        struct msg_params q;
        assert_int_equal(msg_decode_params(f, buf, (size_t)n, &pos, &q, err, sizeof(err)), 0);
        char back[160];
        msg_format_text(&q, back, sizeof(back));
        assert_string_equal(back, text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_known_bytes),   cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_boundaries_roundtrip), cmocka_unit_test(test_param_values),
        cmocka_unit_test(test_decode_responses),     cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_random_roundtrips),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
