#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "dict.h"
#include "fake_mcu.h"

static uint8_t *deflate_text(const char *text, size_t *len)
{
    uLongf n = compressBound(strlen(text));
    uint8_t *out = malloc(n);
    assert_int_equal(compress(out, &n, (const Bytef *)text, strlen(text)), Z_OK);
    *len = n;
    return out;
}

static struct link_dict *load_compressed(const char *json, char *err, size_t errlen)
{
    size_t n;
    uint8_t *z = deflate_text(json, &n);
    struct link_dict *d = dict_parse_zlib(z, n, err, errlen);
    free(z);
    return d;
}

static void test_fake_dictionary(void **state)
{
    (void)state;
    char err[256] = "";
    struct link_dict *d = load_compressed(fake_mcu_dict_json, err, sizeof(err));
    assert_non_null(d);

    const struct msg_format *qs = dict_command(d, "queue_step");
    assert_non_null(qs);
    assert_int_equal(qs->id, 4);
    assert_int_equal(qs->kind, MSG_COMMAND);
    assert_int_equal(qs->nparams, 4);
    assert_string_equal(qs->params[0].name, "oid");
    assert_int_equal(qs->params[0].type, PT_U8);
    assert_int_equal(qs->params[1].type, PT_U32);
    assert_int_equal(qs->params[2].type, PT_U16);
    assert_int_equal(qs->params[3].type, PT_I16);
    assert_null(qs->params[0].enumeration);

    /* Enumerations apply by name or by "_NAME" suffix, only to ints. */
    const struct msg_format *cs = dict_command(d, "config_stepper");
    assert_non_null(cs);
    assert_non_null(cs->params[1].enumeration);
    assert_string_equal(cs->params[1].name, "step_pin");
    assert_string_equal(cs->params[1].enumeration->name, "pin");
    assert_non_null(cs->params[2].enumeration);
    assert_null(cs->params[3].enumeration); /* invert_step */
    const struct msg_format *sd = dict_response(d, "shutdown");
    assert_non_null(sd);
    assert_string_equal(sd->params[1].enumeration->name, "static_string_id");
    assert_ptr_equal(dict_incoming(d, 12), sd);
    assert_null(dict_incoming(d, 4)); /* a command id, not incoming */
    assert_null(dict_command(d, "shutdown"));
    assert_null(dict_response(d, "queue_step"));

    const struct msg_format *spi = dict_command(d, "spi_send");
    assert_int_equal(spi->params[1].type, PT_BUFFER);
    const struct msg_format *ir = dict_response(d, "identify_response");
    assert_int_equal(ir->params[1].type, PT_BUFFER);

    const struct msg_format *out = dict_incoming(d, 14);
    assert_non_null(out);
    assert_int_equal(out->kind, MSG_OUTPUT);
    assert_int_equal(out->nparams, 2);
    assert_int_equal(out->params[0].type, PT_U32);
    assert_int_equal(out->params[1].type, PT_BUFFER);
    assert_ptr_equal(dict_by_format(d, "Hello %u from %s"), out);

    const struct dict_enum *pin = dict_enum(d, "pin");
    assert_non_null(pin);
    assert_int_equal(pin->count, 17);
    int32_t v;
    assert_int_equal(dict_enum_value(pin, "PA0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(dict_enum_value(pin, "PA7", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(dict_enum_value(pin, "PB3", &v), 0);
    assert_int_equal(v, 11);
    assert_int_equal(dict_enum_value(pin, "LED", &v), 0);
    assert_int_equal(v, 13);
    assert_int_equal(dict_enum_value(pin, "PA8", &v), -1);
    assert_int_equal(dict_enum_value(pin, "PB8", &v), -1);
    assert_string_equal(dict_enum_name(pin, 13), "LED"); /* alphabetically before PB5 */
    assert_string_equal(dict_enum_name(pin, 8), "PB0");
    assert_null(dict_enum_name(pin, 99));
    assert_string_equal(dict_enum_name(dict_enum(d, "static_string_id"), 3), "Timer too close");

    int64_t freq;
    assert_int_equal(dict_config_int(d, "CLOCK_FREQ", &freq), 0);
    assert_int_equal(freq, 16000000);
    assert_int_equal(dict_config_int(d, "MCU", &freq), -1);
    assert_string_equal(dict_config(d, "MCU")->text, "fakemcu");
    assert_null(dict_config(d, "NOPE"));
    for (size_t i = 1; i < d->nconfig; i++)
        assert_true(strcmp(d->config[i - 1].name, d->config[i].name) < 0);
    assert_string_equal(d->version, "fake-1.0");
    assert_string_equal(d->app, "fake");
    assert_string_equal(d->build_versions, "gcc");
    dict_free(d);
}

static void test_ranges_with_offsets(void **state)
{
    (void)state;
    char err[256];
    const char *json = "{\"commands\": {\"set adc_pin=%c pin=%u xspin=%c\": 1},"
                       " \"enumerations\": {\"pin\": {\"GPIO10\": [100, 3]},"
                       " \"adc_pin\": {\"ADC0\": 5}}}";
    struct link_dict *d = dict_parse_json(json, strlen(json), err, sizeof(err));
    assert_non_null(d);
    int32_t v;
    assert_int_equal(dict_enum_value(dict_enum(d, "pin"), "GPIO12", &v), 0);
    assert_int_equal(v, 102);
    assert_int_equal(dict_enum_value(dict_enum(d, "pin"), "GPIO13", &v), -1);
    /* The longer enumeration name wins for adc_pin. */
    const struct msg_format *f = dict_command(d, "set");
    assert_string_equal(f->params[0].enumeration->name, "adc_pin");
    assert_string_equal(f->params[1].enumeration->name, "pin");
    /* A name merely ending in "pin" is not a pin. */
    assert_null(f->params[2].enumeration);
    dict_free(d);
}

/* Empty enumerations and no config at all (found by tests/fuzz/fuzz_link):
 * nothing to sort or search, and lookups simply miss. */
static void test_empty_sections(void **state)
{
    (void)state;
    char err[256] = "";
    const char *json = "{\"commands\": {\"set pin=%u\": 1}, \"enumerations\": {\"pin\": {}}}";
    struct link_dict *d = dict_parse_json(json, strlen(json), err, sizeof(err));
    if (!d)
        fail_msg("%s", err);
    int32_t v;
    assert_non_null(dict_enum(d, "pin"));
    assert_int_equal(dict_enum_value(dict_enum(d, "pin"), "PA0", &v), -1);
    assert_null(dict_config(d, "CLOCK_FREQ"));
    dict_free(d);
}

static void expect_error(const char *json, const char *fragment)
{
    char err[256] = "";
    struct link_dict *d = dict_parse_json(json, strlen(json), err, sizeof(err));
    if (d || !strstr(err, fragment))
        fail_msg("for %s: expected error containing '%s', got '%s'", json, fragment, err);
    /* The compressed path reports the same problem. */
    err[0] = 0;
    d = load_compressed(json, err, sizeof(err));
    assert_null(d);
    assert_non_null(strstr(err, fragment));
}

static void test_bad_dictionaries(void **state)
{
    (void)state;
    expect_error("{", "bad JSON");
    expect_error("[1, 2]", "not a JSON object");
    expect_error("{\"commands\": [1]}", "'commands' must be an object");
    expect_error("{\"commands\": {\"foo x=%q\": 1}}", "bad parameter 'x=%q'");
    expect_error("{\"commands\": {\"foo x\": 1}}", "bad parameter 'x'");
    expect_error("{\"commands\": {\"foo x=%u\": \"one\"}}", "integer id");
    expect_error("{\"commands\": {\"foo x=%u x=%c\": 1}}", "repeated");
    expect_error("{\"commands\": {\"a\": 1, \"b\": 1}}", "id 1 used by both");
    expect_error("{\"responses\": {\"a x=%u\": 1}, \"output\": {\"hi %u\": 1}}", "id 1");
    expect_error("{\"output\": {\"value %d\": 3}}", "unsupported conversion");
    expect_error("{\"enumerations\": {\"pin\": {\"PA\": [0, 8]}}}", "bad range 'PA'");
    expect_error("{\"enumerations\": {\"pin\": {\"PA0\": \"x\"}}}", "must be an integer");
    expect_error("{\"enumerations\": {\"pin\": {\"PA0\": [0, 2], \"PA1\": 5}}}",
                 "defines 'PA1' twice");
    expect_error("{\"config\": {\"X\": [1]}}", "config 'X'");
    expect_error("{\"commands\": {\"a\": 1}, \"commands\": {\"b\": 2}}", "bad JSON");
}

static void test_bad_zlib(void **state)
{
    (void)state;
    char err[256] = "";
    const uint8_t junk[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
    assert_null(dict_parse_zlib(junk, sizeof(junk), err, sizeof(err)));
    assert_non_null(strstr(err, "bad zlib data"));

    size_t n;
    uint8_t *z = deflate_text(fake_mcu_dict_json, &n);
    err[0] = 0;
    assert_null(dict_parse_zlib(z, n / 2, err, sizeof(err)));
    assert_non_null(strstr(err, "truncated"));
    z[n / 2] ^= 0xff;
    err[0] = 0;
    assert_null(dict_parse_zlib(z, n, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    free(z);

    err[0] = 0;
    assert_null(dict_parse_zlib(NULL, 0, err, sizeof(err)));
    assert_true(strlen(err) > 0);
}

static void test_load_files(void **state)
{
    (void)state;
    char json_path[] = "/tmp/link_dict_XXXXXX";
    int fd = mkstemp(json_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "  \n%s", fake_mcu_dict_json);
    fclose(f);
    char err[512] = "";
    struct link_dict *d = dict_load_file(json_path, err, sizeof(err));
    assert_non_null(d);
    assert_non_null(dict_command(d, "queue_step"));
    dict_free(d);

    size_t n;
    uint8_t *z = deflate_text(fake_mcu_dict_json, &n);
    f = fopen(json_path, "wb");
    fwrite(z, 1, n, f);
    fclose(f);
    free(z);
    d = dict_load_file(json_path, err, sizeof(err));
    assert_non_null(d);
    assert_non_null(dict_command(d, "spi_send"));
    dict_free(d);

    f = fopen(json_path, "w");
    fputs("{\"commands\": 5}", f);
    fclose(f);
    assert_null(dict_load_file(json_path, err, sizeof(err)));
    assert_non_null(strstr(err, json_path));
    assert_non_null(strstr(err, "'commands' must be an object"));
    unlink(json_path);

    assert_null(dict_load_file(json_path, err, sizeof(err)));
    assert_non_null(strstr(err, "No such file"));
}

/* The layout a Klipper firmware build writes to out/klipper.dict: the
 * same JSON, with members this parser has no use for ("license") and a
 * pretty-printed layout. Written here for the test, not copied. */
static const char klipper_layout[] =
    "{\n"
    "  \"app\": \"Klipper\",\n"
    "  \"build_versions\": \"gcc: (GCC) 12.2.0 binutils: (GNU Binutils) 2.40\",\n"
    "  \"commands\": {\n"
    "    \"get_clock\": 4,\n"
    "    \"get_uptime\": 5,\n"
    "    \"identify offset=%u count=%c\": 1,\n"
    "    \"queue_step oid=%c interval=%u count=%hu add=%hi\": 31,\n"
    "    \"config_digital_out oid=%c pin=%u value=%c default_value=%c max_duration=%u\": 19,\n"
    "    \"spi_transfer oid=%c data=%*s\": 40\n"
    "  },\n"
    "  \"config\": {\n"
    "    \"ADC_MAX\": 1023,\n"
    "    \"CLOCK_FREQ\": 16000000,\n"
    "    \"MCU\": \"atmega2560\",\n"
    "    \"RECEIVE_WINDOW\": 192,\n"
    "    \"RESERVE_PINS_serial\": \"PE0,PE1\",\n"
    "    \"SERIAL_BAUD\": 250000,\n"
    "    \"STATS_SUMSQ_BASE\": 256\n"
    "  },\n"
    "  \"enumerations\": {\n"
    "    \"pin\": {\"PA0\": [0, 8], \"PB0\": [8, 8], \"PL0\": [88, 8]},\n"
    "    \"static_string_id\": {\"Timer too close\": 2, \"Move queue overflow\": 9}\n"
    "  },\n"
    "  \"license\": \"GNU GPLv3\",\n"
    "  \"output\": {\"Got %u bytes: %.*s\": 60},\n"
    "  \"responses\": {\n"
    "    \"clock clock=%u\": 80,\n"
    "    \"identify_response offset=%u data=%.*s\": 0,\n"
    "    \"shutdown clock=%u static_string_id=%hu\": 83,\n"
    "    \"uptime high=%u clock=%u\": 81\n"
    "  },\n"
    "  \"version\": \"v0.12.0-100-g0123456\"\n"
    "}\n";

static void test_klipper_layout(void **state)
{
    (void)state;
    char path[] = "/tmp/link_klipper_dict_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(klipper_layout, f);
    fclose(f);
    char err[512] = "";
    struct link_dict *d = dict_load_file(path, err, sizeof(err));
    if (!d)
        fail_msg("%s", err);
    unlink(path);
    assert_string_equal(d->app, "Klipper");
    assert_string_equal(d->version, "v0.12.0-100-g0123456");
    int64_t v;
    assert_int_equal(dict_config_int(d, "CLOCK_FREQ", &v), 0);
    assert_int_equal(v, 16000000);
    const struct msg_format *qs = dict_command_by_id(d, 31);
    assert_non_null(qs);
    assert_string_equal(qs->name, "queue_step");
    assert_ptr_equal(dict_command(d, "queue_step"), qs);
    assert_null(dict_command_by_id(d, 80)); /* a response's id */
    const struct msg_format *cdo = dict_command(d, "config_digital_out");
    assert_non_null(cdo->params[1].enumeration);
    int32_t pin;
    assert_int_equal(dict_enum_value(cdo->params[1].enumeration, "PL3", &pin), 0);
    assert_int_equal(pin, 91);
    assert_non_null(dict_incoming(d, 60));
    dict_free(d);
}

/* What the firmware build writes next to the ELF loads as it is. */
static void test_firmware_dictionary_file(void **state)
{
    (void)state;
    char err[512] = "";
    struct link_dict *d = dict_load_file(LOCKSTEP_AVR_DICT, err, sizeof(err));
    if (!d)
        fail_msg("%s", err);
    int64_t v;
    assert_int_equal(dict_config_int(d, "CLOCK_FREQ", &v), 0);
    assert_int_equal(v, 16000000);
    const struct msg_format *qs = dict_command(d, "queue_step");
    assert_non_null(qs);
    assert_ptr_equal(dict_command_by_id(d, qs->id), qs);
    dict_free(d);
}

static void test_not_a_dictionary(void **state)
{
    (void)state;
    char path[] = "/tmp/link_notdict_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *bodies[] = {"", "plain text\n", "[1, 2, 3]", "{\"config\": {\"X\": 1}}"};
    const char *why[] = {"empty file", "neither JSON nor zlib", "neither JSON nor zlib",
                         "declares no messages"};
    for (size_t i = 0; i < 4; i++) {
        FILE *f = fopen(path, "w");
        fputs(bodies[i], f);
        fclose(f);
        char err[512] = "";
        assert_null(dict_load_file(path, err, sizeof(err)));
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "not a data dictionary"));
        if (!strstr(err, why[i]))
            fail_msg("'%s': %s", bodies[i], err);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_dictionary),  cmocka_unit_test(test_ranges_with_offsets),
        cmocka_unit_test(test_empty_sections),   cmocka_unit_test(test_bad_dictionaries),
        cmocka_unit_test(test_bad_zlib),         cmocka_unit_test(test_load_files),
        cmocka_unit_test(test_klipper_layout),   cmocka_unit_test(test_firmware_dictionary_file),
        cmocka_unit_test(test_not_a_dictionary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
