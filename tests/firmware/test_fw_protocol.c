/* The firmware's end of the wire protocol, on the native build: VLQ and
 * CRC against the host's independent implementation, framing faults, and
 * commands with bad input. Every fault must end in a clear shutdown or a
 * dropped block, never in a crash (this also runs under ASan/UBSan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc16.h"
#include "fw_wire.h"
#include "msg.h"
#include "vlq.h"

/* The firmware's own helpers (firmware/src/command.c). */
uint8_t *command_vlq_encode(uint8_t *p, uint32_t v);
int command_vlq_decode(const uint8_t **pp, const uint8_t *end, uint32_t *v);
uint16_t command_crc16(const uint8_t *buf, uint_fast8_t len);

static const int32_t vlq_cases[] = {
    0,          1,           -1,        95,        96,        -32,        -33,
    12287,      12288,       -4096,     -4097,     1572863,   1572864,    -524288,
    -524289,    201326591,   201326592, -67108864, -67108865, 2147483647, -2147483647 - 1,
    0x7fffffff, -0x12345678, 0x1234,
};

static void test_vlq_matches_host(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vlq_cases) / sizeof(vlq_cases[0]); i++) {
        int32_t v = vlq_cases[i];
        uint8_t fw[8], host[8];
        size_t fwlen = command_vlq_encode(fw, (uint32_t)v) - fw;
        size_t hostlen = vlq_encode(host, v);
        assert_int_equal(fwlen, hostlen);
        /* Five-byte encodings may differ in the first byte's bits above
         * bit 31 (they are dropped on decoding); shorter ones are unique. */
        if (fwlen < 5)
            assert_memory_equal(fw, host, fwlen);
        const uint8_t *p = fw;
        uint32_t back;
        assert_true(command_vlq_decode(&p, fw + fwlen, &back));
        assert_int_equal((int32_t)back, v);
        assert_ptr_equal(p, fw + fwlen);
        p = host;
        assert_true(command_vlq_decode(&p, host + hostlen, &back));
        assert_int_equal((int32_t)back, v);
        size_t pos = 0;
        assert_int_equal(vlq_decode(fw, fwlen, &pos, &back), 0);
        assert_int_equal((int32_t)back, v);
        /* One byte short must be refused, not read past. */
        p = fw;
        assert_false(command_vlq_decode(&p, fw + fwlen - 1, &back));
    }
}

static void test_crc_known_value(void **state)
{
    (void)state;
    const uint8_t check[] = "123456789";
    /* CRC-16/MCRF4XX (reflected CCITT, init 0xffff): check value 0x6f91. */
    assert_int_equal(command_crc16(check, 9), 0x6f91);
    assert_int_equal(crc16_ccitt(check, 9), 0x6f91);
}

static void test_valid_block_acked_and_answered(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "get_config");
    fw_run_ms(w, 5);
    assert_int_equal(fw_find(w, 0, "ack 1"), 0);
    assert_true(fw_find(w, 0, "config is_config=0 crc=0 is_shutdown=0 move_count=0") > 0);
    fw_close(w);
}

static void test_corrupt_block_is_dropped_and_nakked(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    uint8_t content[64];
    char err[64];
    int n = msg_encode_text(w->dict, "get_clock", content, sizeof(content), err, sizeof(err));
    uint8_t blk[64];
    size_t len = frame_build(blk, 0, content, n);
    blk[len - 2] ^= 0x01; /* CRC */
    fw_send_raw(w, blk, len);
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "clock"), 0);
    assert_int_equal(fw_find(w, 0, "ack 0"), 0); /* still expects seq 0: a nak */
    /* The retransmission goes through. */
    blk[len - 2] ^= 0x01;
    fw_send_raw(w, blk, len);
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "clock clock="), 1);
    assert_true(fw_find(w, 0, "ack 1") > 0);
    fw_close(w);
}

static void test_duplicate_block_runs_once(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    uint8_t content[64], blk[64];
    char err[64];
    int n = msg_encode_text(w->dict, "get_clock", content, sizeof(content), err, sizeof(err));
    size_t len = frame_build(blk, 0, content, n);
    fw_send_raw(w, blk, len);
    fw_send_raw(w, blk, len);
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "clock clock="), 1);
    assert_int_equal(fw_count(w, "ack 1"), 2); /* the duplicate is answered, not run */
    fw_close(w);
}

static void test_out_of_order_block_is_dropped(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    w->seq = 3; /* the MCU expects 0 */
    fw_send(w, "get_clock");
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "clock clock="), 0);
    assert_int_equal(fw_find(w, 0, "ack 0"), 0);
    w->seq = 0;
    fw_send(w, "get_clock");
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "clock clock="), 1);
    fw_close(w);
}

static void test_resync_after_garbage_truncated_and_oversized(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    /* Line noise, an oversized length byte, then a block cut short. */
    const uint8_t noise[] = {0x00, 0x13, 0xff, 0x7e, 0x50, 0x10, 0x01, 0x02, 0x7e};
    fw_send_raw(w, noise, sizeof(noise));
    uint8_t content[64], blk[64];
    char err[64];
    int n = msg_encode_text(w->dict, "get_clock", content, sizeof(content), err, sizeof(err));
    size_t len = frame_build(blk, 0, content, n);
    fw_send_raw(w, blk, len - 3); /* truncated: no CRC, no sync */
    fw_send_raw(w, (const uint8_t *)"\x7e", 1);
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "clock clock="), 0);
    /* A clean copy after a sync byte is taken. */
    fw_send_raw(w, blk, len);
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "clock clock="), 1);
    assert_int_equal(fw_count(w, "shutdown"), 0);
    fw_close(w);
}

static void expect_shutdown(struct fw_wire *w, const char *reason)
{
    char want[160];
    snprintf(want, sizeof(want), "shutdown clock=");
    int i = fw_find(w, 0, want);
    if (i < 0)
        fw_dump(w);
    assert_true(i >= 0);
    const char *r = strstr(w->lines[i], "static_string_id=");
    assert_non_null(r);
    assert_string_equal(r + strlen("static_string_id="), reason);
}

static void test_unknown_command_id_shuts_down(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    const uint8_t content[] = {90, 1, 2};
    fw_send_content(w, content, sizeof(content));
    fw_run_ms(w, 5);
    expect_shutdown(w, "Invalid command");
    /* Afterwards ordinary commands are refused with the reason. */
    fw_clear(w);
    fw_send(w, "allocate_oids count=1");
    fw_run_ms(w, 5);
    assert_true(fw_find(w, 0, "is_shutdown static_string_id=Invalid command") >= 0);
    fw_close(w);
}

static void test_truncated_parameters_shut_down(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    const struct msg_format *f = dict_command(w->dict, "queue_step");
    const uint8_t content[] = {(uint8_t)f->id, 0, 100}; /* count and add missing */
    fw_send_content(w, content, sizeof(content));
    fw_run_ms(w, 5);
    expect_shutdown(w, "Command parser error");
    fw_close(w);
}

static void test_unconfigured_oid_shuts_down(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "allocate_oids count=2");
    fw_send(w, "queue_step oid=1 interval=100 count=1 add=0");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Invalid oid type");
    fw_close(w);
}

static void test_out_of_range_oid_shuts_down(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "allocate_oids count=2");
    fw_send(w, "config_stepper oid=5 step_pin=PA5 dir_pin=PA4 invert_step=0 step_pulse_ticks=32");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Can't assign oid");
    fw_close(w);
}

static void test_wrong_oid_type_shuts_down(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "allocate_oids count=2");
    fw_send(w, "config_trsync oid=0");
    fw_send(w, "stepper_get_position oid=0");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Invalid oid type");
    fw_close(w);
}

static void test_config_after_finalize_shuts_down(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "allocate_oids count=2");
    fw_send(w, "config_trsync oid=0");
    fw_send(w, "finalize_config crc=1234");
    fw_run_ms(w, 5);
    assert_true(fw_find(w, 0, "config is_config=1 crc=1234 is_shutdown=0") >= 0);
    fw_send(w, "config_trsync oid=1");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Already finalized");
    fw_close(w);
}

/* A refused queue_step must not cost a move queue entry: after the
 * shutdown is cleared, move_count entries are all still usable. */
static void test_refused_queue_step_keeps_queue(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "allocate_oids count=1");
    fw_send(w, "config_stepper oid=0 step_pin=PA5 dir_pin=PA4 invert_step=0 step_pulse_ticks=32");
    fw_send(w, "finalize_config crc=0");
    fw_run_ms(w, 5);
    int i = fw_find(w, 0, "config is_config=1");
    assert_true(i >= 0);
    unsigned moves = 0;
    assert_int_equal(sscanf(strstr(w->lines[i], "move_count="), "move_count=%u", &moves), 1);
    assert_true(moves > 4);
    fw_send(w, "queue_step oid=0 interval=100 count=0 add=0");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Invalid count parameter");
    fw_send(w, "clear_shutdown");
    fw_send(w, "reset_step_clock oid=0 clock=0");
    fw_run_ms(w, 5);
    fw_clear(w);
    /* Fill every entry with steps far in the future. The idle stepper
     * loads the first move at once and returns its entry, so move_count + 1
     * moves fit and the next one must overflow. */
    fw_send(w, "get_clock");
    fw_run_ms(w, 5);
    i = fw_find(w, 0, "clock clock=");
    assert_true(i >= 0);
    unsigned long now = strtoul(strstr(w->lines[i], "clock=") + 6, NULL, 10);
    char cmd[128];
    for (unsigned k = 0; k < moves + 2; k++) {
        snprintf(cmd, sizeof(cmd), "queue_step oid=0 interval=%lu count=1 add=0",
                 k ? 16000000ul : now + 1600000000ul);
        fw_send(w, cmd);
        fw_run_ms(w, 1);
        if (k < moves + 1) {
            assert_int_equal(fw_count(w, "shutdown"), 0);
            fw_clear(w);
        }
    }
    fw_run_ms(w, 5);
    expect_shutdown(w, "Move queue overflow");
    /* The last command overflowed, not the one before it (which would
     * have left the last answered with is_shutdown). */
    assert_int_equal(fw_count(w, "is_shutdown"), 0);
    fw_close(w);
}

static void test_bad_pin_shuts_down(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "allocate_oids count=1");
    /* 64..71 would be port I, which the atmega2560 does not have. */
    const struct msg_format *f = dict_command(w->dict, "config_analog_in");
    const uint8_t content[] = {(uint8_t)f->id, 0, 64};
    fw_send_content(w, content, sizeof(content));
    fw_run_ms(w, 5);
    expect_shutdown(w, "Not a valid ADC pin");
    fw_close(w);
}

/* A config command that shuts down half way leaves no object behind
 * (found by tests/fuzz/fuzz_receive): after clear_shutdown the oid is
 * free again, and one never completed is not a stepper. Before, the
 * half-built stepper stayed registered without its move size, and a
 * queue_step on it wrote past the end of the move queue. */
static void test_failed_config_leaves_no_object(void **state)
{
    (void)state;
    struct fw_wire *w = fw_open();
    fw_send(w, "allocate_oids count=3");
    fw_send(w, "config_stepper oid=0 step_pin=PA5 dir_pin=PA4 invert_step=2 step_pulse_ticks=32");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Invalid invert_step");
    fw_send(w, "clear_shutdown");
    fw_send(w, "config_stepper oid=1 step_pin=PA3 dir_pin=PA2 invert_step=0 step_pulse_ticks=32");
    fw_send(w, "config_digital_out oid=2 pin=PB4 value=0 default_value=0 max_duration=0");
    fw_send(w, "finalize_config crc=0");
    fw_run_ms(w, 5);
    fw_clear(w);
    fw_send(w, "queue_step oid=0 interval=100 count=1 add=0");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Invalid oid type");
    fw_close(w);

    /* The same oid configured again after the failure is a whole stepper. */
    w = fw_open();
    fw_send(w, "allocate_oids count=1");
    fw_send(w, "config_stepper oid=0 step_pin=PA5 dir_pin=PA4 invert_step=2 step_pulse_ticks=32");
    fw_run_ms(w, 5);
    expect_shutdown(w, "Invalid invert_step");
    fw_send(w, "clear_shutdown");
    fw_send(w, "config_stepper oid=0 step_pin=PA5 dir_pin=PA4 invert_step=0 step_pulse_ticks=32");
    fw_send(w, "finalize_config crc=0");
    fw_run_ms(w, 5);
    fw_clear(w);
    fw_send(w, "set_next_step_dir oid=0 dir=1");
    fw_send(w, "stepper_get_position oid=0");
    fw_run_ms(w, 5);
    assert_int_equal(fw_count(w, "shutdown"), 0);
    assert_true(fw_find(w, 0, "stepper_position oid=0 pos=0") >= 0);
    fw_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vlq_matches_host),
        cmocka_unit_test(test_crc_known_value),
        cmocka_unit_test(test_valid_block_acked_and_answered),
        cmocka_unit_test(test_corrupt_block_is_dropped_and_nakked),
        cmocka_unit_test(test_duplicate_block_runs_once),
        cmocka_unit_test(test_out_of_order_block_is_dropped),
        cmocka_unit_test(test_resync_after_garbage_truncated_and_oversized),
        cmocka_unit_test(test_unknown_command_id_shuts_down),
        cmocka_unit_test(test_truncated_parameters_shut_down),
        cmocka_unit_test(test_unconfigured_oid_shuts_down),
        cmocka_unit_test(test_out_of_range_oid_shuts_down),
        cmocka_unit_test(test_wrong_oid_type_shuts_down),
        cmocka_unit_test(test_config_after_finalize_shuts_down),
        cmocka_unit_test(test_bad_pin_shuts_down),
        cmocka_unit_test(test_refused_queue_step_keeps_queue),
        cmocka_unit_test(test_failed_config_leaves_no_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
