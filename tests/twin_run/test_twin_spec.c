/* Refused input: fault specs and printers the twin cannot build, each
 * with a message that names what is wrong and what was expected. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "twin_fault.h"
#include "twin_fixture.h"

static void test_fault_specs(void **state)
{
    (void)state;
    struct twin_fault f;
    char err[400];
    assert_int_equal(twin_fault_parse("slip:x:2", &f, err, sizeof(err)), 0);
    assert_int_equal(f.kind, TWIN_FAULT_SLIP);
    assert_string_equal(f.part, "stepper_x");
    assert_true(f.value == 2 && f.when == TWIN_WHEN_NOW);

    assert_int_equal(twin_fault_parse("torque:e:0.5@t=12.5", &f, err, sizeof(err)), 0);
    assert_int_equal(f.kind, TWIN_FAULT_TORQUE);
    assert_string_equal(f.part, "extruder");
    assert_true(f.value == 0.5 && f.when == TWIN_WHEN_TIME && f.at_time == 12.5);

    assert_int_equal(twin_fault_parse("thermistor-open:bed@line=40", &f, err, sizeof(err)), 0);
    assert_string_equal(f.part, "heater_bed");
    assert_true(f.when == TWIN_WHEN_LINE && f.at_line == 40);

    assert_int_equal(
        twin_fault_parse("thermistor-detached:extruder@extruder>150", &f, err, sizeof(err)), 0);
    assert_int_equal(f.kind, TWIN_FAULT_THERMISTOR_DETACHED);
    assert_true(f.when == TWIN_WHEN_ABOVE && f.threshold == 150);
    assert_string_equal(f.watch, "extruder");

    assert_int_equal(twin_fault_parse("host-stall:4.5@bed<40", &f, err, sizeof(err)), 0);
    assert_true(f.kind == TWIN_FAULT_HOST_STALL && f.value == 4.5);
    assert_true(f.when == TWIN_WHEN_BELOW && f.threshold == 40);
    assert_string_equal(f.watch, "heater_bed");

    assert_int_equal(twin_fault_parse("wire-jam:0.25@line=7", &f, err, sizeof(err)), 0);
    assert_true(f.kind == TWIN_FAULT_WIRE_JAM && f.value == 0.25);
    assert_true(f.when == TWIN_WHEN_LINE && f.at_line == 7);

    assert_int_equal(twin_fault_parse("endstop-closed:stepper_z", &f, err, sizeof(err)), 0);
    assert_int_equal(f.kind, TWIN_FAULT_ENDSTOP_CLOSED);
    assert_int_equal(twin_fault_parse("mosfet-stuck-on:heater_bed", &f, err, sizeof(err)), 0);
    assert_int_equal(f.kind, TWIN_FAULT_MOSFET_STUCK_ON);
}

static void test_bad_fault_specs(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *want;
    } bad[] = {
        {"foo:x", "fault 'foo:x': unknown fault 'foo' (known: slip, torque, endstop-open,"},
        {"", "unknown fault ''"},
        {"slip:x", "fault 'slip:x': expected slip:STEPPER:N"},
        {"slip:x:2:3", "too many ':' fields; expected slip:STEPPER:N"},
        {"slip:q:2", "unknown stepper 'q' (expected stepper_x, stepper_y, stepper_z or extruder"},
        {"slip:x:0", "expected a whole number of electrical cycles from 1 to 1000 after "
                     "'slip:STEPPER:', got '0'"},
        {"slip:x:1.5", "got '1.5'"},
        {"torque:x:-1", "expected a torque scale from 0 to 100 (1 is healthy)"},
        {"torque:y:lots", "got 'lots'"},
        {"endstop-open:e", "extruder has no endstop (expected stepper_x, stepper_y or stepper_z"},
        {"endstop-open", "expected endstop-open:RAIL"},
        {"thermistor-open:chamber", "unknown heater 'chamber' (expected extruder or heater_bed"},
        {"host-stall:0", "expected seconds above 0, at most 3600, after 'host-stall:', got '0'"},
        {"host-stall:x:5", "expected host-stall:SECONDS"},
        {"wire-jam:-1", "expected seconds above 0, at most 3600, after 'wire-jam:', got '-1'"},
        {"wire-jam", "expected wire-jam:SECONDS"},
        {"slip:x:2@t=abc", "expected t=SECONDS (a number, 0 or more), got 't=abc'"},
        {"slip:x:2@t=-1", "got 't=-1'"},
        {"slip:x:2@line=0", "expected line=N (a line number, 1 or more), got 'line=0'"},
        {"slip:x:2@line=2.5", "got 'line=2.5'"},
        {"slip:x:2@chamber>5", "unknown heater 'chamber' in the condition"},
        {"slip:x:2@extruder>hot", "expected a temperature in C after 'extruder>', got 'hot'"},
        {"slip:x:2@soon", "expected t=SECONDS, line=N, HEATER>TEMP or HEATER<TEMP after '@', "
                          "got 'soon'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct twin_fault f;
        memset(&f, 0x5a, sizeof(f));
        char err[400] = "";
        if (twin_fault_parse(bad[i].spec, &f, err, sizeof(err)) != -1)
            fail_msg("'%s' was accepted", bad[i].spec);
        if (!strstr(err, bad[i].want))
            fail_msg("'%s': want '%s', got '%s'", bad[i].spec, bad[i].want, err);
        /* A refused spec leaves the output alone. */
        assert_int_equal(((unsigned char *)&f)[0], 0x5a);
    }
    char longspec[200];
    memset(longspec, 'a', sizeof(longspec) - 1);
    longspec[sizeof(longspec) - 1] = 0;
    struct twin_fault f;
    char err[400];
    assert_int_equal(twin_fault_parse(longspec, &f, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 127 characters"));
}

/* The example printer with one piece of text replaced, in a file of its
 * own; path receives its name. */
static void write_variant(const char *from, const char *to, char *path, size_t len)
{
    FILE *in = fopen(PRINTER_CFG, "r");
    assert_non_null(in);
    static char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, in);
    fclose(in);
    text[n] = 0;
    char *at = strstr(text, from);
    if (!at)
        fail_msg("the example has no '%s'", from);
    snprintf(path, len, "/tmp/twin_run_cfgXXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    assert_non_null(out);
    fwrite(text, 1, (size_t)(at - text), out);
    fputs(to, out);
    fputs(at + strlen(from), out);
    fclose(out);
}

static void expect_refused(const char *from, const char *to, const char *want)
{
    char path[64];
    write_variant(from, to, path, sizeof(path));
    struct twin_opts o;
    twin_opts_init(&o);
    o.config_path = path;
    char err[600] = "";
    struct twin *tw = twin_open(&o, err, sizeof(err));
    unlink(path);
    if (tw) {
        twin_close(tw);
        fail_msg("'%s' -> '%s' was accepted", from, to);
    }
    if (!strstr(err, want) || !strstr(err, path))
        fail_msg("'%s' -> '%s': want '%s' and the file's name, got '%s'", from, to, want, err);
}

static void test_bad_printers(void **state)
{
    (void)state;
    expect_refused("step_pin: PF0", "step_pin: PF3",
                   "[stepper_x] step_pin: PF3 is no driver's step input on board ramps14 "
                   "(expected one of PF0 stepper_x, PF6 stepper_y, PL3 stepper_z, PA4 extruder)");
    expect_refused("dir_pin: PF1", "dir_pin: PC1",
                   "[stepper_x] dir_pin: PC1 is not wired to the stepper_x driver on board "
                   "ramps14 (its dir input is PF1)");
    expect_refused("enable_pin: !PD7", "enable_pin: !PC2",
                   "[stepper_x] enable_pin: PC2 is not wired to the stepper_x driver");
    expect_refused("endstop_pin: ^PE5", "endstop_pin: ^PE4",
                   "[stepper_x] endstop_pin: PE4 is no endstop input on board ramps14 (expected "
                   "one of PE5 stepper_x, PJ1 stepper_y, PD3 stepper_z)");
    expect_refused("heater_pin: PB4", "heater_pin: PB5",
                   "[extruder] heater_pin: PB5 is no heater output on board ramps14");
    expect_refused("sensor_pin: PK6", "sensor_pin: PK7",
                   "[heater_bed] sensor_pin: PK7 is no thermistor input on board ramps14");
    expect_refused("sensor_type: EPCOS 100K B57560G104F", "sensor_type: PT1000",
                   "[extruder] sensor_type: the twin models NTC thermistors only");
    expect_refused("pin: PH6", "pin: PH4", "[fan] pin: PH4 is not the fan output of board ramps14");
}

static void test_bad_opts(void **state)
{
    (void)state;
    struct twin_opts o;
    twin_opts_init(&o);
    char err[400];
    o.config_path = "/nonexistent/printer.cfg";
    assert_null(twin_open(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/printer.cfg"));
    o.config_path = PRINTER_CFG;
    o.board = "skr13";
    assert_null(twin_open(&o, err, sizeof(err)));
    assert_string_equal(err, "unknown board 'skr13' (known: ramps14)");
    o.board = NULL;
    o.backend = "arm";
    assert_null(twin_open(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "unknown simulated MCU 'arm'"));
}

/* A fault for a part the printer lacks is refused and leaves the twin as
 * it was. */
static void test_fault_for_missing_part(void **state)
{
    (void)state;
    char path[64];
    /* A section Klipper has and the engine ignores: no bed. */
    write_variant("[heater_bed]", "[temperature_sensor chamber]", path, sizeof(path));
    struct twin_opts o;
    twin_opts_init(&o);
    o.config_path = path;
    char err[400];
    struct twin *tw = twin_open(&o, err, sizeof(err));
    unlink(path);
    if (!tw)
        fail_msg("%s", err);
    assert_int_equal(twin_add_fault(tw, "thermistor-open:bed", err, sizeof(err)), -1);
    assert_string_equal(err, "fault 'thermistor-open:bed': the printer has no heater heater_bed");
    assert_int_equal(twin_add_fault(tw, "slip:x:1@bed>40", err, sizeof(err)), -1);
    assert_string_equal(err, "fault 'slip:x:1@bed>40': the printer has no heater heater_bed to "
                             "watch");
    assert_int_equal(twin_add_fault(tw, "slip:x:1@t=2e7", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "beyond the twin's 1e7 s"));
    struct twin_report r;
    twin_report(tw, &r);
    assert_int_equal(r.nfaults, 0);
    assert_int_equal(r.nheaters, 1);
    assert_int_equal(twin_add_fault(tw, "slip:x:1", err, sizeof(err)), 0);
    twin_report(tw, &r);
    assert_int_equal(r.nfaults, 1);
    assert_true(r.faults[0].fired);
    twin_close(tw);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_specs),
        cmocka_unit_test(test_bad_fault_specs),
        cmocka_unit_test(test_bad_printers),
        cmocka_unit_test(test_bad_opts),
        cmocka_unit_test(test_fault_for_missing_part),
    };
    return fx_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
