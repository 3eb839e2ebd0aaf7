/* Pins: modifiers, MCU names, pin name lists, and pins used twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "cfgfile.h"
#include "cfgpin.h"

static void parse_ok(const char *text, unsigned allow, const char *mcu, const char *name,
                     bool invert, bool pullup, bool pulldown)
{
    struct config_pin pin;
    char err[256] = "";
    if (cfg_parse_pin(text, allow, &pin, err, sizeof(err)) != 0)
        fail_msg("'%s': %s", text, err);
    assert_string_equal(pin.mcu, mcu);
    assert_string_equal(pin.name, name);
    assert_int_equal(pin.invert, invert);
    assert_int_equal(pin.pullup, pullup);
    assert_int_equal(pin.pulldown, pulldown);
}

static void parse_fails(const char *text, unsigned allow, const char *expected)
{
    struct config_pin pin;
    char err[256] = "";
    assert_int_equal(cfg_parse_pin(text, allow, &pin, err, sizeof(err)), -1);
    if (!contains(err, expected))
        fail_msg("'%s': error \"%s\" lacks \"%s\"", text, err, expected);
}

static void test_parse(void **state)
{
    (void)state;
    const unsigned any = CFG_PIN_CAN_INVERT | CFG_PIN_CAN_PULL;
    parse_ok("PA4", any, "mcu", "PA4", false, false, false);
    parse_ok("!PA4", any, "mcu", "PA4", true, false, false);
    parse_ok("^PA4", any, "mcu", "PA4", false, true, false);
    parse_ok("~PA4", any, "mcu", "PA4", false, false, true);
    parse_ok("^!PA4", any, "mcu", "PA4", true, true, false);
    parse_ok(" ~ ! PA4 ", any, "mcu", "PA4", true, false, true);
    parse_ok("extra:PA4", any, "extra", "PA4", false, false, false);
    parse_ok("^!extra : PB10", any, "extra", "PB10", true, true, false);
    parse_ok("probe:z_virtual_endstop", any, "probe", "z_virtual_endstop", false, false, false);

    parse_fails("!^PA4", any, "expected a pin ([^|~][!][mcu_name:]pin_name), got '!^PA4'");
    parse_fails("^^PA4", any, "got '^^PA4'");
    parse_fails("", any, "expected a pin");
    parse_fails("extra:", any, "got 'extra:'");
    parse_fails(":PA4", any, "got ':PA4'");
    parse_fails("a:b:PA4", any, "got 'a:b:PA4'");
    parse_fails("PA 4", any, "got 'PA 4'");
    parse_fails("^PA4", CFG_PIN_CAN_INVERT, "'^' (pull-up) is only allowed on input pins");
    parse_fails("~PA4", CFG_PIN_CAN_INVERT, "'~' (pull-down) is only allowed on input pins");
    parse_fails("!PA4", 0, "'!' (inverted) is not allowed on this pin");
    parse_fails("PA4567890123456789012345678901234567890123456789012", any, "longer than");
}

static struct cfg_file *load(const char *text)
{
    char err[256] = "";
    struct cfg_file *cfg = cfg_load_string(text, "printer.cfg", err, sizeof(err));
    if (!cfg)
        fail_msg("%s", err);
    return cfg;
}

static const char pins_text[] = "[mcu]\n" /* 1 */
                                "serial: /dev/ttyACM0\n"
                                "[mcu extra]\n"
                                "serial: /dev/ttyUSB0\n"
                                "[stepper_x]\n" /* 5 */
                                "step_pin: PF0\n"
                                "dir_pin: !PF1\n"
                                "enable_pin: !PD7\n"
                                "endstop_pin: ^extra:PB10\n"
                                "[stepper_y]\n" /* 10 */
                                "step_pin: PF0\n"
                                "dir_pin: extra:PF1\n"
                                "enable_pin: !PD7\n"
                                "endstop_pin: ^nowhere:PB10\n"
                                "[stepper_z]\n" /* 15 */
                                "step_pin: PZ9\n"
                                "dir_pin: foo\n"
                                "enable_pin: PD7\n"
                                "endstop_pin: probe:z_virtual_endstop\n"
                                "sensor: tmc2209_stepper_x:virtual_endstop\n" /* 20 */
                                "[tmc2209 stepper_x]\n"
                                "[bltouch]\n";

static void test_mcus_lists_and_names(void **state)
{
    (void)state;
    struct cfg_file *cfg = load(pins_text);
    struct cfg_section *x = cfg_find_section(cfg, "stepper_x");
    struct cfg_section *y = cfg_find_section(cfg, "stepper_y");
    struct cfg_section *z = cfg_find_section(cfg, "stepper_z");
    struct config_pin pin;
    assert_true(cfg_getpin(x, "endstop_pin", CFG_PIN_CAN_INVERT | CFG_PIN_CAN_PULL, NULL, &pin));
    assert_string_equal(pin.mcu, "extra");
    assert_string_equal(pin.name, "PB10");
    assert_true(pin.pullup);
    /* Virtual chips of [bltouch] and [tmc2209 stepper_x] are not checked. */
    assert_true(cfg_getpin(z, "endstop_pin", 0, NULL, &pin));
    assert_string_equal(pin.mcu, "probe");
    assert_true(cfg_getpin(z, "sensor", 0, NULL, &pin));
    assert_string_equal(pin.mcu, "tmc2209_stepper_x");
    assert_false(cfg_getpin(z, "absent_pin", 0, NULL, &pin));
    assert_false(cfg_failed(cfg));
    /* Without a list, a name of letters then digits passes. */
    assert_true(cfg_getpin(y, "dir_pin", CFG_PIN_CAN_INVERT, NULL, &pin));
    assert_false(cfg_getpin(z, "dir_pin", CFG_PIN_CAN_INVERT, NULL, &pin));
    assert_string_equal(cfg_error(cfg), "printer.cfg:17: [stepper_z] option 'dir_pin': expected "
                                        "a pin name like PA4, got 'foo'");
    cfg_free(cfg);

    cfg = load(pins_text);
    y = cfg_find_section(cfg, "stepper_y");
    assert_false(cfg_getpin(y, "endstop_pin", CFG_PIN_CAN_PULL, NULL, &pin));
    assert_string_equal(cfg_error(cfg),
                        "printer.cfg:14: [stepper_y] option 'endstop_pin': unknown MCU 'nowhere' "
                        "in pin '^nowhere:PB10' (there is no [mcu nowhere] section)");
    cfg_free(cfg);

    /* With the MCU's pin list, names outside it are refused. */
    cfg = load(pins_text);
    static const char *const avr[] = {"PF1", "PF0", "PD7", "PB10"};
    assert_int_equal(cfg_set_pin_names(cfg, "mcu", avr, 4), 0);
    assert_int_equal(cfg_set_pin_names(cfg, "", avr, 4), -1);
    x = cfg_find_section(cfg, "stepper_x");
    z = cfg_find_section(cfg, "stepper_z");
    assert_true(cfg_getpin(x, "dir_pin", CFG_PIN_CAN_INVERT, NULL, &pin));
    assert_false(cfg_getpin(z, "step_pin", 0, NULL, &pin));
    assert_string_equal(cfg_error(cfg), "printer.cfg:16: [stepper_z] option 'step_pin': MCU "
                                        "'mcu' has no pin named 'PZ9', got 'PZ9'");
    cfg_free(cfg);

    /* A list for one MCU does not apply to another. */
    cfg = load(pins_text);
    static const char *const small[] = {"PA0"};
    cfg_set_pin_names(cfg, "extra", small, 1);
    x = cfg_find_section(cfg, "stepper_x");
    assert_true(cfg_getpin(x, "step_pin", 0, NULL, &pin));
    assert_false(cfg_getpin(x, "endstop_pin", CFG_PIN_CAN_PULL, NULL, &pin));
    assert_true(contains(cfg_error(cfg), "MCU 'extra' has no pin named 'PB10'"));
    cfg_free(cfg);
}

static void test_pin_used_twice(void **state)
{
    (void)state;
    struct cfg_file *cfg = load(pins_text);
    struct cfg_section *x = cfg_find_section(cfg, "stepper_x");
    struct cfg_section *y = cfg_find_section(cfg, "stepper_y");
    struct config_pin pin;
    assert_true(cfg_getpin(x, "step_pin", 0, NULL, &pin));
    assert_false(cfg_getpin(y, "step_pin", 0, NULL, &pin));
    assert_string_equal(cfg_error(cfg), "printer.cfg:11: [stepper_y] option 'step_pin': pin PF0 "
                                        "is already used by [stepper_x] option 'step_pin' "
                                        "(printer.cfg:6)");
    cfg_free(cfg);

    /* Same pin name on another MCU is another pin; modifiers do not make
     * a different pin. */
    cfg = load(pins_text);
    x = cfg_find_section(cfg, "stepper_x");
    y = cfg_find_section(cfg, "stepper_y");
    assert_true(cfg_getpin(x, "dir_pin", CFG_PIN_CAN_INVERT, NULL, &pin));
    assert_true(cfg_getpin(y, "dir_pin", CFG_PIN_CAN_INVERT, NULL, &pin));
    assert_false(cfg_failed(cfg));
    cfg_free(cfg);

    cfg = load("[a]\np: !PA1\n[b]\np: ^PA1\n");
    struct cfg_section *a = cfg_find_section(cfg, "a"), *b = cfg_find_section(cfg, "b");
    const unsigned any = CFG_PIN_CAN_INVERT | CFG_PIN_CAN_PULL;
    assert_true(cfg_getpin(a, "p", any, NULL, &pin));
    assert_false(cfg_getpin(b, "p", any, NULL, &pin));
    assert_true(contains(cfg_error(cfg), "printer.cfg:4: [b] option 'p': pin PA1 is already used "
                                         "by [a] option 'p' (printer.cfg:2)"));
    cfg_free(cfg);
}

static void test_shared_enable_pin(void **state)
{
    (void)state;
    struct cfg_file *cfg = load(pins_text);
    struct cfg_section *x = cfg_find_section(cfg, "stepper_x");
    struct cfg_section *y = cfg_find_section(cfg, "stepper_y");
    struct cfg_section *z = cfg_find_section(cfg, "stepper_z");
    struct config_pin pin;
    assert_true(cfg_getpin(x, "enable_pin", CFG_PIN_CAN_INVERT, "stepper_enable", &pin));
    assert_true(cfg_getpin(y, "enable_pin", CFG_PIN_CAN_INVERT, "stepper_enable", &pin));
    assert_true(pin.invert);
    /* Shared, but with the other polarity. */
    assert_false(cfg_getpin(z, "enable_pin", CFG_PIN_CAN_INVERT, "stepper_enable", &pin));
    assert_string_equal(cfg_error(cfg),
                        "printer.cfg:18: [stepper_z] option 'enable_pin': shared pin PD7 must "
                        "have the same modifiers as in [stepper_x] option 'enable_pin' "
                        "(printer.cfg:8)");
    cfg_free(cfg);

    /* A shareable use and an exclusive one still collide. */
    cfg = load(pins_text);
    x = cfg_find_section(cfg, "stepper_x");
    y = cfg_find_section(cfg, "stepper_y");
    assert_true(cfg_getpin(x, "enable_pin", CFG_PIN_CAN_INVERT, NULL, &pin));
    assert_false(cfg_getpin(y, "enable_pin", CFG_PIN_CAN_INVERT, "stepper_enable", &pin));
    assert_true(contains(cfg_error(cfg), "pin PD7 is already used by [stepper_x]"));
    cfg_free(cfg);
}

static void test_required_and_bad_text(void **state)
{
    (void)state;
    struct cfg_file *cfg = load("[fan]\nmax_power: 1\n[heater_bed]\nsensor_pin: !PK6\n");
    struct config_pin pin;
    assert_false(cfg_getpin_req(cfg_find_section(cfg, "fan"), "pin", 0, NULL, &pin));
    assert_string_equal(cfg_error(cfg), "printer.cfg:1: [fan] option 'pin' must be specified");
    cfg_free(cfg);

    cfg = load("[fan]\nmax_power: 1\n[heater_bed]\nsensor_pin: !PK6\n");
    assert_false(cfg_getpin_req(cfg_find_section(cfg, "heater_bed"), "sensor_pin", 0, NULL, &pin));
    assert_string_equal(cfg_error(cfg), "printer.cfg:4: [heater_bed] option 'sensor_pin': '!' "
                                        "(inverted) is not allowed on this pin, got '!PK6'");
    cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_mcus_lists_and_names),
        cmocka_unit_test(test_pin_used_twice),
        cmocka_unit_test(test_shared_enable_pin),
        cmocka_unit_test(test_required_and_bad_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
