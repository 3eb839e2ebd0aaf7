/* Typed getters: defaults, required options, limits, and the messages that
 * name file, line, section and option with what was expected and found. */
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
#include "cfgget.h"

static const char text[] = "[stepper_x]\n" /* 1 */
                           "rotation_distance: -40\n"
                           "microsteps: 16\n"
                           "half: 0.5\n"
                           "word: forty\n" /* 5 */
                           "hex: 0x10\n"
                           "inf: inf\n"
                           "frac: 16.0\n"
                           "yes: Yes\n"
                           "off: off\n" /* 10 */
                           "maybe: maybe\n"
                           "control: pid\n"
                           "xy: 100, 50.5\n"
                           "xyz: 1,2,3,\n"
                           "bad_list: 1, x\n" /* 15 */
                           "big: 99999999999999999999\n"
                           "neg: -3\n";

static struct cfg_section *fresh(struct cfg_file **cfg)
{
    char err[256];
    *cfg = cfg_load_string(text, "printer.cfg", err, sizeof(err));
    assert_non_null(*cfg);
    return cfg_find_section(*cfg, "stepper_x");
}

/* Run one getter on a fresh config and compare the error it records. */
#define EXPECT_ERROR(call, message)                                                                \
    do {                                                                                           \
        struct cfg_file *cfg_;                                                                     \
        struct cfg_section *s = fresh(&cfg_);                                                      \
        (void)(call);                                                                              \
        assert_true(cfg_failed(cfg_));                                                             \
        assert_string_equal(cfg_error(cfg_), message);                                             \
        cfg_free(cfg_);                                                                            \
    } while (0)

static void test_numbers(void **state)
{
    (void)state;
    struct cfg_file *cfg;
    struct cfg_section *s = fresh(&cfg);
    assert_true(cfg_getfloat(s, "half", 0, CFG_RANGE(CFG_ABOVE(0), CFG_MAX(1))) == 0.5);
    assert_true(cfg_getfloat(s, "absent", 2.5, CFG_RANGE(CFG_ABOVE(10))) == 2.5);
    assert_int_equal(cfg_getint(s, "microsteps", 0, CFG_RANGE(CFG_MIN(1))), 16);
    assert_int_equal(cfg_getint(s, "absent", 200, NULL), 200);
    assert_true(cfg_getfloat(s, "microsteps", 0, NULL) == 16.0);
    assert_int_equal(cfg_getint(s, "neg", 0, CFG_RANGE(CFG_MIN(-3), CFG_MAX(-3))), -3);
    double v = 7;
    assert_false(cfg_getfloat_opt(s, "absent", NULL, &v));
    assert_true(v == 7);
    assert_true(cfg_getfloat_opt(s, "half", NULL, &v));
    assert_true(v == 0.5);
    assert_false(cfg_failed(cfg));
    cfg_free(cfg);
}

static void test_number_errors(void **state)
{
    (void)state;
    EXPECT_ERROR(cfg_getfloat_req(s, "rotation_distance", CFG_RANGE(CFG_ABOVE(0))),
                 "printer.cfg:2: [stepper_x] option 'rotation_distance': expected a number "
                 "above 0, got '-40'");
    EXPECT_ERROR(cfg_getfloat(s, "half", 1, CFG_RANGE(CFG_MIN(1))),
                 "printer.cfg:4: [stepper_x] option 'half': expected a number at least 1, got "
                 "'0.5'");
    EXPECT_ERROR(cfg_getfloat(s, "half", 1, CFG_RANGE(CFG_BELOW(0.5))),
                 "printer.cfg:4: [stepper_x] option 'half': expected a number below 0.5, got "
                 "'0.5'");
    EXPECT_ERROR(cfg_getfloat(s, "microsteps", 1, CFG_RANGE(CFG_ABOVE(0), CFG_MAX(1))),
                 "printer.cfg:3: [stepper_x] option 'microsteps': expected a number above 0 and "
                 "at most 1, got '16'");
    EXPECT_ERROR(cfg_getfloat(s, "word", 1, NULL),
                 "printer.cfg:5: [stepper_x] option 'word': expected a number, got 'forty'");
    EXPECT_ERROR(cfg_getfloat(s, "hex", 1, NULL),
                 "printer.cfg:6: [stepper_x] option 'hex': expected a number, got '0x10'");
    EXPECT_ERROR(cfg_getfloat(s, "inf", 1, NULL),
                 "printer.cfg:7: [stepper_x] option 'inf': expected a number, got 'inf'");
    EXPECT_ERROR(cfg_getint(s, "frac", 1, NULL),
                 "printer.cfg:8: [stepper_x] option 'frac': expected an integer, got '16.0'");
    EXPECT_ERROR(cfg_getint(s, "microsteps", 1, CFG_RANGE(CFG_MAX(8))),
                 "printer.cfg:3: [stepper_x] option 'microsteps': expected an integer at most 8, "
                 "got '16'");
    EXPECT_ERROR(cfg_getint(s, "big", 1, NULL),
                 "printer.cfg:16: [stepper_x] option 'big': expected an integer, got "
                 "'99999999999999999999'");
}

static void test_required_names_section_header(void **state)
{
    (void)state;
    EXPECT_ERROR(cfg_getfloat_req(s, "position_max", NULL),
                 "printer.cfg:1: [stepper_x] option 'position_max' must be specified");
    EXPECT_ERROR(cfg_getint_req(s, "full_steps", NULL),
                 "printer.cfg:1: [stepper_x] option 'full_steps' must be specified");
    EXPECT_ERROR(cfg_getstr_req(s, "step_pin"),
                 "printer.cfg:1: [stepper_x] option 'step_pin' must be specified");
    static const char *const choices[] = {"a", "b", NULL};
    EXPECT_ERROR(cfg_getchoice(s, "kind", choices, -1),
                 "printer.cfg:1: [stepper_x] option 'kind' must be specified");
    double xy[2];
    EXPECT_ERROR(cfg_getfloatlist_req(s, "home", ',', xy, 2, 2),
                 "printer.cfg:1: [stepper_x] option 'home' must be specified");
}

static void test_bool_and_choice(void **state)
{
    (void)state;
    struct cfg_file *cfg;
    struct cfg_section *s = fresh(&cfg);
    assert_true(cfg_getbool(s, "yes", false));
    assert_false(cfg_getbool(s, "off", true));
    assert_true(cfg_getbool(s, "absent", true));
    bool b = true;
    assert_false(cfg_getbool_opt(s, "absent2", &b));
    static const char *const controls[] = {"watermark", "pid", NULL};
    assert_int_equal(cfg_getchoice(s, "control", controls, -1), 1);
    assert_int_equal(cfg_getchoice(s, "absent", controls, 0), 0);
    assert_false(cfg_failed(cfg));
    cfg_free(cfg);

    EXPECT_ERROR(cfg_getbool(s, "maybe", false),
                 "printer.cfg:11: [stepper_x] option 'maybe': expected a boolean (true/false, "
                 "yes/no, on/off, 1/0), got 'maybe'");
    static const char *const other[] = {"bang_bang", "PID", NULL};
    EXPECT_ERROR(cfg_getchoice(s, "control", other, 0),
                 "printer.cfg:12: [stepper_x] option 'control': expected one of 'bang_bang', "
                 "'PID', got 'pid'");
}

static void test_float_lists(void **state)
{
    (void)state;
    struct cfg_file *cfg;
    struct cfg_section *s = fresh(&cfg);
    double v[4] = {0};
    assert_int_equal(cfg_getfloatlist(s, "xy", ',', v, 4, 2), 2);
    assert_true(v[0] == 100 && v[1] == 50.5);
    /* An empty last item is dropped, as Klipper's lists do. */
    assert_int_equal(cfg_getfloatlist(s, "xyz", ',', v, 4, 0), 3);
    assert_true(v[2] == 3);
    assert_int_equal(cfg_getfloatlist(s, "absent", ',', v, 4, 2), 0);
    assert_false(cfg_failed(cfg));
    cfg_free(cfg);

    EXPECT_ERROR(cfg_getfloatlist(s, "xyz", ',', v, 4, 2),
                 "printer.cfg:14: [stepper_x] option 'xyz': expected 2 numbers separated by ',', "
                 "got '1,2,3,'");
    EXPECT_ERROR(cfg_getfloatlist(s, "bad_list", ',', v, 4, 0),
                 "printer.cfg:15: [stepper_x] option 'bad_list': expected 1 to 4 numbers "
                 "separated by ',', got '1, x'");
    EXPECT_ERROR(cfg_getfloatlist(s, "xyz", ',', v, 2, 0),
                 "printer.cfg:14: [stepper_x] option 'xyz': expected 1 to 2 numbers separated by "
                 "',', got '1,2,3,'");
}

static void test_reading_marks_used(void **state)
{
    (void)state;
    struct cfg_file *cfg;
    struct cfg_section *s = fresh(&cfg);
    const char *const all[] = {"rotation_distance",
                               "microsteps",
                               "half",
                               "word",
                               "hex",
                               "inf",
                               "frac",
                               "yes",
                               "off",
                               "maybe",
                               "control",
                               "xy",
                               "xyz",
                               "bad_list",
                               "big",
                               NULL};
    for (size_t i = 0; all[i]; i++)
        cfg_getstr(s, all[i], NULL);
    /* Only "neg" is left; has_option does not count as reading. */
    assert_true(cfg_has_option(s, "neg"));
    cfg_check_unused(s);
    assert_string_equal(cfg_error(cfg),
                        "printer.cfg:17: Option 'neg' is not valid in section 'stepper_x'");
    cfg_free(cfg);

    /* After an error getters return defaults and change nothing. */
    s = fresh(&cfg);
    cfg_fail_section(s, "first");
    assert_true(cfg_getfloat(s, "half", 3, NULL) == 3);
    assert_null(cfg_getstr(s, "word", NULL));
    assert_string_equal(cfg_error(cfg), "printer.cfg:1: [stepper_x]: first");
    cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_required_names_section_header),
        cmocka_unit_test(test_bool_and_choice),
        cmocka_unit_test(test_float_lists),
        cmocka_unit_test(test_reading_marks_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
