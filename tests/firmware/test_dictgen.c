/* dictgen: the dictionary it generates from declarations, and its errors.
 * Each test writes a small scanned-source file, runs the real dictgen on
 * it, and reads the result back with the host's dictionary parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dict.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/lockstep-dictgen-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) ? -1 : 0;
}

#define IDENTIFY                                                                                   \
    "__lockstep_decl__(command, command_identify, 0x01, \"identify offset=%u count=%c\");\n"       \
    "__lockstep_decl__(response, \"identify_response offset=%u data=%.*s\");\n"

/* Run dictgen over text; returns its exit status, stderr in errbuf. */
static int run_dictgen(const char *text, char *errbuf, size_t errlen)
{
    char in[128], errfile[128], cmd[1024];
    snprintf(in, sizeof(in), "%s/in.i", dir);
    snprintf(errfile, sizeof(errfile), "%s/err.txt", dir);
    FILE *f = fopen(in, "w");
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "%s --mcu testmcu --version v1 --out %s %s 2>%s", DICTGEN_PATH, dir,
             in, errfile);
    int rc = system(cmd);
    f = fopen(errfile, "r");
    size_t n = fread(errbuf, 1, errlen - 1, f);
    errbuf[n] = 0;
    fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static struct link_dict *load_result(void)
{
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/dict.json", dir);
    struct link_dict *d = dict_load_file(path, err, sizeof(err));
    if (!d)
        fprintf(stderr, "%s\n", err);
    return d;
}

static void test_generates_dictionary(void **state)
{
    (void)state;
    char err[1024];
    const char *text =
        "int x;\n" IDENTIFY
        "__lockstep_decl__(command, command_b, 0, \"b_cmd oid=%c value=%hi\");\n"
        "__lockstep_decl__(command, command_a, 0, \"a_cmd pin=%u\");\n"
        "__lockstep_decl__(response, \"zeta v=%u\");\n"
        "__lockstep_decl__(response, \"alpha \" \"v=%i\");\n"
        "__lockstep_decl__(response, \"zeta v=%u\");\n"
        "__lockstep_decl__(static_string, \"Timer too close\");\n"
        "__lockstep_decl__(static_string, \"ADC out of range\");\n"
        "__lockstep_decl__(constant, \"CLOCK_FREQ\", (16000000UL));\n"
        "__lockstep_decl__(constant, \"SHIFTED\", (1 << 4) + 2 * 3);\n"
        "__lockstep_decl__(constant_str, \"MCU_NOTE\", \"hello\");\n"
        "__lockstep_decl__(enumeration_range, \"pin\", \"PB0\", ((('B') - 'A') * 8 + (0)), 8);\n"
        "__lockstep_decl__(init, some_init);\n";
    assert_int_equal(run_dictgen(text, err, sizeof(err)), 0);
    struct link_dict *d = load_result();
    assert_non_null(d);
    /* Fixed ids for identify; others sorted, commands first. */
    assert_int_equal(dict_command(d, "identify")->id, 1);
    assert_int_equal(dict_response(d, "identify_response")->id, 0);
    assert_int_equal(dict_command(d, "a_cmd")->id, 2);
    assert_int_equal(dict_command(d, "b_cmd")->id, 3);
    assert_int_equal(dict_response(d, "alpha")->id, 4);
    assert_int_equal(dict_response(d, "zeta")->id, 5);
    int64_t v;
    assert_int_equal(dict_config_int(d, "CLOCK_FREQ", &v), 0);
    assert_int_equal(v, 16000000);
    assert_int_equal(dict_config_int(d, "SHIFTED", &v), 0);
    assert_int_equal(v, 22);
    const struct dict_enum *pins = dict_enum(d, "pin");
    int32_t pin;
    assert_int_equal(dict_enum_value(pins, "PB3", &pin), 0);
    assert_int_equal(pin, 11);
    const struct dict_enum *ss = dict_enum(d, "static_string_id");
    assert_string_equal(dict_enum_name(ss, 0), "ADC out of range");
    assert_string_equal(dict_enum_name(ss, 1), "Timer too close");
    dict_free(d);

    /* The generated C maps each response format to its encoder. */
    char path[128], line[512];
    snprintf(path, sizeof(path), "%s/dict_gen.h", dir);
    FILE *f = fopen(path, "r");
    int found = 0;
    while (fgets(line, sizeof(line), f))
        found |= strstr(line, "\"alpha v=%i\") ? &dict_encoders[1]") != NULL;
    fclose(f);
    assert_true(found);
}

static void test_same_declarations_same_bytes(void **state)
{
    (void)state;
    char err[1024], path[128];
    const char *a = IDENTIFY "__lockstep_decl__(response, \"b x=%c\");\n"
                             "__lockstep_decl__(response, \"a x=%c\");\n";
    const char *b = "__lockstep_decl__(response, \"a x=%c\");\n" IDENTIFY
                    "__lockstep_decl__(response, \"b x=%c\");\n";
    char first[8192], second[8192];
    snprintf(path, sizeof(path), "%s/dict_gen.c", dir);
    assert_int_equal(run_dictgen(a, err, sizeof(err)), 0);
    FILE *f = fopen(path, "r");
    size_t n1 = fread(first, 1, sizeof(first), f);
    fclose(f);
    assert_int_equal(run_dictgen(b, err, sizeof(err)), 0);
    f = fopen(path, "r");
    size_t n2 = fread(second, 1, sizeof(second), f);
    fclose(f);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, second, n1);
}

static void expect_error_in(const char *text, const char *message, int names_file)
{
    char err[1024];
    assert_int_not_equal(run_dictgen(text, err, sizeof(err)), 0);
    if (!strstr(err, message))
        fprintf(stderr, "got: %s\n", err);
    assert_non_null(strstr(err, message));
    if (names_file)
        assert_non_null(strstr(err, "in.i"));
}

static void expect_error(const char *text, const char *message)
{
    expect_error_in(text, message, 1);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(IDENTIFY "__lockstep_decl__(command, f1, 0, \"dup x=%c\");\n"
                          "__lockstep_decl__(command, f2, 0, \"dup x=%c\");\n",
                 "declared twice");
    expect_error(IDENTIFY "__lockstep_decl__(constant, \"C\", BOGUS);\n", "not an integer");
    expect_error(IDENTIFY "__lockstep_decl__(constant, \"C\", 1);\n"
                          "__lockstep_decl__(constant, \"C\", 2);\n",
                 "different values");
    expect_error(IDENTIFY "__lockstep_decl__(response, \"bad x=%f\");\n",
                 "unsupported parameter type");
    expect_error(IDENTIFY "__lockstep_decl__(wibble, x);\n", "unknown declaration kind");
    expect_error(IDENTIFY "__lockstep_decl__(response, \"open);\n", "unterminated");
    expect_error_in("__lockstep_decl__(response, \"identify_response offset=%u data=%.*s\");\n",
                    "no 'identify offset=%u count=%c' command", 0);
}

static void test_firmware_dictionary_is_complete(void **state)
{
    (void)state;
    char err[256];
    struct link_dict *d = dict_load_file(LOCKSTEP_NATIVE_DICT, err, sizeof(err));
    assert_non_null(d);
    static const char *const commands[] = {
        "identify",
        "get_uptime",
        "get_clock",
        "get_config",
        "allocate_oids",
        "finalize_config",
        "emergency_stop",
        "clear_shutdown",
        "config_stepper",
        "queue_step",
        "set_next_step_dir",
        "reset_step_clock",
        "stepper_get_position",
        "stepper_stop_on_trigger",
        "config_endstop",
        "endstop_home",
        "endstop_query_state",
        "config_trsync",
        "trsync_start",
        "trsync_set_timeout",
        "trsync_trigger",
        "config_digital_out",
        "set_digital_out",
        "queue_digital_out",
        "update_digital_out",
        "set_digital_out_pwm_cycle",
        "config_analog_in",
        "query_analog_in",
    };
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!dict_command(d, commands[i]))
            fprintf(stderr, "missing %s\n", commands[i]);
        assert_non_null(dict_command(d, commands[i]));
    }
    static const char *const responses[] = {
        "identify_response",
        "uptime",
        "clock",
        "config",
        "shutdown",
        "is_shutdown",
        "stepper_position",
        "endstop_state",
        "trsync_state",
        "analog_in_state",
        "stats",
    };
    for (size_t i = 0; i < sizeof(responses) / sizeof(responses[0]); i++)
        assert_non_null(dict_response(d, responses[i]));
    static const char *const constants[] = {"CLOCK_FREQ",       "MCU",
                                            "ADC_MAX",          "PWM_MAX",
                                            "STATS_SUMSQ_BASE", "RECEIVE_WINDOW",
                                            "SERIAL_BAUD",      "RESERVE_PINS_serial"};
    for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
        assert_non_null(dict_config(d, constants[i]));
    dict_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generates_dictionary),
        cmocka_unit_test(test_same_declarations_same_bytes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_firmware_dictionary_is_complete),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
