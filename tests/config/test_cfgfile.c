/* The printer.cfg dialect: separators, comments, continuation lines,
 * sections that merge, includes, SAVE_CONFIG, and malformed text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg_test_util.h"
#include "cfgfile.h"
#include "cfgget.h"

static struct cfg_file *load_ok(const char *text)
{
    char err[512] = "";
    struct cfg_file *cfg = cfg_load_string(text, "printer.cfg", err, sizeof(err));
    if (!cfg)
        fail_msg("unexpected error: %s", err);
    return cfg;
}

static void load_fails(const char *text, const char *expected)
{
    char err[512] = "";
    struct cfg_file *cfg = cfg_load_string(text, "printer.cfg", err, sizeof(err));
    if (cfg) {
        cfg_free(cfg);
        fail_msg("expected an error containing \"%s\"", expected);
    }
    if (!contains(err, expected))
        fail_msg("error \"%s\" lacks \"%s\"", err, expected);
}

static void test_separators_and_comments(void **state)
{
    (void)state;
    struct cfg_file *cfg = load_ok("# a comment\n"
                                   "; another\n"
                                   "[stepper_x]\n"
                                   "step_pin: PF0   # trailing comment\n"
                                   "Dir_Pin = PF1 ; trailing too\n"
                                   "  # indented comment\n"
                                   "colour: #ff0000\n"
                                   "name: a#b;c\n"
                                   "url = http://x:80/y\n"
                                   "empty:\n"
                                   "spaced   :   some value  \n");
    struct cfg_section *s = cfg_find_section(cfg, "stepper_x");
    assert_non_null(s);
    assert_string_equal(cfg_getstr(s, "step_pin", NULL), "PF0");
    /* Option names are case-insensitive. */
    assert_string_equal(cfg_getstr(s, "dir_pin", NULL), "PF1");
    assert_string_equal(cfg_option_name(s, 1), "dir_pin");
    /* A '#' right at the start of a value is a comment, as in Klipper. */
    assert_string_equal(cfg_getstr(s, "colour", "x"), "");
    assert_string_equal(cfg_getstr(s, "name", NULL), "a#b;c");
    assert_string_equal(cfg_getstr(s, "url", NULL), "http://x:80/y");
    assert_string_equal(cfg_getstr(s, "empty", NULL), "");
    assert_string_equal(cfg_getstr(s, "spaced", NULL), "some value");
    assert_int_equal(cfg_option_count(s), 7);
    assert_false(cfg_failed(cfg));
    cfg_free(cfg);
}

static void test_continuation_lines(void **state)
{
    (void)state;
    struct cfg_file *cfg = load_ok("[homing_override]\n"
                                   "gcode:\n"
                                   "    G28 Z0   ; home z first\n"
                                   "\n"
                                   "    # a comment line inside the value\n"
                                   "    G1 Z10\n"
                                   "      G28 X0 Y0\n"
                                   "\n"
                                   "\n"
                                   "axes: z\n"
                                   "set_position_z: 0\n"
                                   "  set_position_x: 1\n");
    struct cfg_section *s = cfg_find_section(cfg, "homing_override");
    /* Blank lines inside the value stay; those at its end do not. */
    assert_string_equal(cfg_getstr(s, "gcode", NULL), "\nG28 Z0\n\nG1 Z10\nG28 X0 Y0");
    assert_string_equal(cfg_getstr(s, "axes", NULL), "z");
    /* Indented more than its option: a continuation of set_position_z. */
    assert_string_equal(cfg_getstr(s, "set_position_z", NULL), "0\nset_position_x: 1");
    assert_false(cfg_has_option(s, "set_position_x"));
    cfg_free(cfg);
}

static void test_repeated_sections_merge(void **state)
{
    (void)state;
    struct cfg_file *cfg = load_ok("[printer]\n"
                                   "max_velocity: 100\n"
                                   "max_accel: 1000\n"
                                   "[fan]\n"
                                   "pin: PH6\n"
                                   "[printer]\n"
                                   "max_velocity: 300\n"
                                   "kinematics: corexy\n");
    assert_int_equal(cfg_section_count(cfg), 2);
    struct cfg_section *s = cfg_section_at(cfg, 0);
    assert_string_equal(cfg_section_name(s), "printer");
    assert_int_equal(cfg_section_line(s), 1);
    assert_string_equal(cfg_section_path(s), "printer.cfg");
    assert_string_equal(cfg_getstr(s, "max_velocity", NULL), "300");
    assert_string_equal(cfg_getstr(s, "max_accel", NULL), "1000");
    assert_string_equal(cfg_getstr(s, "kinematics", NULL), "corexy");
    const char *path;
    int line;
    assert_true(cfg_option_location(s, "max_velocity", &path, &line));
    assert_string_equal(path, "printer.cfg");
    assert_int_equal(line, 7);
    assert_true(cfg_option_location(s, "max_accel", &path, &line));
    assert_int_equal(line, 3);
    assert_false(cfg_option_location(s, "nothing", &path, &line));
    assert_null(cfg_find_section(cfg, "Printer")); /* section names keep their case */
    cfg_free(cfg);
}

static void test_crlf_line_endings(void **state)
{
    (void)state;
    struct cfg_file *cfg = load_ok("[mcu]\r\nserial: /dev/ttyACM0\r\nbaud: 250000\r\n");
    struct cfg_section *s = cfg_find_section(cfg, "mcu");
    assert_non_null(s);
    assert_string_equal(cfg_getstr(s, "serial", NULL), "/dev/ttyACM0");
    assert_string_equal(cfg_getstr(s, "baud", NULL), "250000");
    cfg_free(cfg);
}

static void test_unused_options(void **state)
{
    (void)state;
    struct cfg_file *cfg = load_ok("[stepper_x]\n"
                                   "step_pin: PF0\n"
                                   "\n"
                                   "foo: 1\n"
                                   "bar: 2\n");
    struct cfg_section *s = cfg_find_section(cfg, "stepper_x");
    cfg_getstr(s, "step_pin", NULL);
    cfg_getstr(s, "bar", NULL);
    assert_false(cfg_failed(cfg));
    cfg_check_unused(s);
    assert_true(cfg_failed(cfg));
    assert_string_equal(cfg_error(cfg),
                        "printer.cfg:4: Option 'foo' is not valid in section 'stepper_x'");
    /* The first error stays. */
    cfg_fail_section(s, "something else");
    assert_string_equal(cfg_error(cfg),
                        "printer.cfg:4: Option 'foo' is not valid in section 'stepper_x'");
    cfg_free(cfg);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    load_fails("[mcu]\nserial: x\n[stepper_x\nstep_pin: PF0\n",
               "printer.cfg:3: section header '[stepper_x' has no closing ']'");
    load_fails("step_pin: PF0\n[stepper_x]\n",
               "printer.cfg:1: option 'step_pin' is outside any section");
    load_fails("\n\njust some words\n", "printer.cfg:3: expected a [section] header, got 'just "
                                        "some words'");
    load_fails("[stepper_x]\nstep_pin PF0\n", "printer.cfg:2: [stepper_x]: expected 'option: "
                                              "value' or 'option = value', got 'step_pin PF0'");
    load_fails("[stepper_x]\n: PF0\n", "printer.cfg:2: missing option name before ':'");
    load_fails("[]\n", "printer.cfg:1: empty section name");
    load_fails("[stepper_x] extra\n",
               "printer.cfg:1: unexpected text ' extra' after section header");
}

static void test_cannot_open(void **state)
{
    (void)state;
    char *dir = tmpdir_create();
    char path[1024];
    snprintf(path, sizeof(path), "%s/absent.cfg", dir);
    char err[512] = "";
    assert_null(cfg_load(path, err, sizeof(err)));
    assert_true(contains(err, "cannot open config file"));
    assert_true(contains(err, "absent.cfg"));
    tmpdir_remove(dir);
}

/* A config read from a pipe, as `lockstep batch /dev/stdin < ...` or a
 * shell's <(...) give it: the path has no real path behind it. */
static void test_read_from_pipe(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    const char *text = "[mcu]\nserial: /dev/null\n";
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    char path[64], err[512] = "";
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
    struct cfg_file *cfg = cfg_load(path, err, sizeof(err));
    close(fds[0]);
    if (!cfg)
        fail_msg("%s", err);
    assert_non_null(cfg_find_section(cfg, "mcu"));
    cfg_free(cfg);
}

static void test_include_glob_order_and_override(void **state)
{
    (void)state;
    char *dir = tmpdir_create();
    free(tmpdir_write(dir, "parts/b.cfg", "[fan]\npin: PB2\nmax_power: 0.5\n"));
    free(tmpdir_write(dir, "parts/a.cfg", "[fan]\npin: PA1\ncycle_time: 0.01\n"));
    free(tmpdir_write(dir, "parts/notes.txt", "not a config\n"));
    char *main = tmpdir_write(dir, "printer.cfg",
                              "[fan]\n"
                              "pin: PZ0\n"
                              "[include parts/*.cfg]\n"
                              "[printer]\n"
                              "kinematics: none\n");
    char err[512] = "";
    struct cfg_file *cfg = cfg_load(main, err, sizeof(err));
    if (!cfg)
        fail_msg("%s", err);
    struct cfg_section *fan = cfg_find_section(cfg, "fan");
    /* a.cfg then b.cfg, whatever order the directory lists them in. */
    assert_string_equal(cfg_getstr(fan, "pin", NULL), "PB2");
    assert_string_equal(cfg_getstr(fan, "max_power", NULL), "0.5");
    assert_string_equal(cfg_getstr(fan, "cycle_time", NULL), "0.01");
    const char *path;
    int line;
    assert_true(cfg_option_location(fan, "cycle_time", &path, &line));
    assert_true(contains(path, "parts/a.cfg"));
    assert_int_equal(line, 3);
    assert_true(cfg_option_location(fan, "pin", &path, &line));
    assert_true(contains(path, "parts/b.cfg"));
    assert_int_equal(line, 2);
    assert_string_equal(cfg_section_path(fan), main);
    assert_non_null(cfg_find_section(cfg, "printer"));
    assert_int_equal(cfg_warning_count(cfg), 0);
    cfg_free(cfg);
    free(main);
    tmpdir_remove(dir);
}

static void test_nested_includes_resolve_per_file(void **state)
{
    (void)state;
    char *dir = tmpdir_create();
    /* sub/one.cfg names two.cfg relative to sub/, not to the main file. */
    free(tmpdir_write(dir, "sub/one.cfg", "[include two.cfg]\n[stepper_x]\nmicrosteps: 16\n"));
    free(tmpdir_write(dir, "sub/two.cfg", "[stepper_x]\nmicrosteps: 8\nrotation_distance: 40\n"));
    free(tmpdir_write(dir, "two.cfg", "[wrong_file]\n"));
    char *main = tmpdir_write(dir, "printer.cfg", "[include sub/one.cfg]\n");
    char err[512] = "";
    struct cfg_file *cfg = cfg_load(main, err, sizeof(err));
    if (!cfg)
        fail_msg("%s", err);
    struct cfg_section *s = cfg_find_section(cfg, "stepper_x");
    assert_non_null(s);
    assert_string_equal(cfg_getstr(s, "microsteps", NULL), "16");
    assert_string_equal(cfg_getstr(s, "rotation_distance", NULL), "40");
    assert_null(cfg_find_section(cfg, "wrong_file"));
    cfg_free(cfg);

    /* The same file twice, side by side, is not a cycle. */
    free(tmpdir_write(dir, "twice.cfg", "[include sub/two.cfg]\n[include sub/two.cfg]\n"));
    char path[1024];
    snprintf(path, sizeof(path), "%s/twice.cfg", dir);
    cfg = cfg_load(path, err, sizeof(err));
    if (!cfg)
        fail_msg("%s", err);
    cfg_free(cfg);
    free(main);
    tmpdir_remove(dir);
}

static void test_include_errors(void **state)
{
    (void)state;
    char *dir = tmpdir_create();
    char err[512] = "";

    char *missing = tmpdir_write(dir, "missing.cfg", "[printer]\n\n[include nothere.cfg]\n");
    assert_null(cfg_load(missing, err, sizeof(err)));
    assert_true(contains(err, "missing.cfg:3: [include nothere.cfg]: include file '"));
    assert_true(contains(err, "nothere.cfg' does not exist"));

    /* A wildcard may match nothing (Klipper accepts it); it is noted. */
    char *wild = tmpdir_write(dir, "wild.cfg", "[include macros/*.cfg]\n[printer]\n");
    struct cfg_file *cfg = cfg_load(wild, err, sizeof(err));
    assert_non_null(cfg);
    assert_int_equal(cfg_warning_count(cfg), 1);
    assert_true(contains(cfg_warning(cfg, 0), "wild.cfg:1: [include macros/*.cfg]: no file "
                                              "matches"));
    cfg_free(cfg);

    char *empty = tmpdir_write(dir, "empty.cfg", "[include ]\n");
    assert_null(cfg_load(empty, err, sizeof(err)));
    assert_true(contains(err, "empty.cfg:1: [include] needs a file name"));

    /* a -> b -> c -> a */
    free(tmpdir_write(dir, "b.cfg", "[fan]\n[include c.cfg]\n"));
    free(tmpdir_write(dir, "c.cfg", "\n[include a.cfg]\n"));
    char *a = tmpdir_write(dir, "a.cfg", "[include b.cfg]\n");
    assert_null(cfg_load(a, err, sizeof(err)));
    assert_true(contains(err, "c.cfg:2: include cycle: "));
    assert_true(contains(err, "a.cfg -> "));
    assert_true(contains(err, "b.cfg -> "));
    assert_true(contains(err, "c.cfg -> "));

    /* A file including itself. */
    char *self = tmpdir_write(dir, "self.cfg", "[include self.cfg]\n");
    assert_null(cfg_load(self, err, sizeof(err)));
    assert_true(contains(err, "self.cfg:1: include cycle"));

    /* An included file with a malformed line reports its own name. */
    free(tmpdir_write(dir, "bad.cfg", "[fan]\npin PA1\n"));
    char *outer = tmpdir_write(dir, "outer.cfg", "[include bad.cfg]\n");
    assert_null(cfg_load(outer, err, sizeof(err)));
    assert_true(contains(err, "bad.cfg:2: [fan]: expected 'option: value'"));

    /* Options after an include need their own header. */
    char *after = tmpdir_write(dir, "after.cfg", "[fan]\n[include b.cfg]\npin: PA1\n");
    free(tmpdir_write(dir, "c.cfg", "[printer]\n"));
    assert_null(cfg_load(after, err, sizeof(err)));
    assert_true(contains(err, "after.cfg:3: option 'pin' is outside any section"));

    free(missing);
    free(wild);
    free(empty);
    free(a);
    free(self);
    free(outer);
    free(after);
    tmpdir_remove(dir);
}

static const char save_config_text[] =
    "[extruder]\n"
    "control: pid\n"
    "pid_kp: 10\n"
    "pid_ki: 1\n"
    "\n"
    "#*# not the block, just a comment\n"
    "\n"
    "#*# <---------------------- SAVE_CONFIG ---------------------->\n"
    "#*# DO NOT EDIT THIS BLOCK OR BELOW. The contents are auto-generated.\n"
    "#*#\n"
    "#*# [extruder]\n"
    "#*# pid_kp = 22.200\n"
    "#*#\n"
    "#*# [bed_mesh default]\n"
    "#*# version = 1\n"
    "#*# points =\n"
    "#*# \t0.1, 0.2\n"
    "#*# \t0.3, 0.4\n";

static void test_save_config_overrides(void **state)
{
    (void)state;
    char *dir = tmpdir_create();
    /* The block overrides options from included files too. */
    free(tmpdir_write(dir, "inc.cfg", "[extruder]\npid_kd: 100\npid_kp: 5\n"));
    char text[2048];
    snprintf(text, sizeof(text), "[include inc.cfg]\n%s", save_config_text);
    char *main = tmpdir_write(dir, "printer.cfg", text);
    char err[512] = "";
    struct cfg_file *cfg = cfg_load(main, err, sizeof(err));
    if (!cfg)
        fail_msg("%s", err);
    struct cfg_section *ex = cfg_find_section(cfg, "extruder");
    assert_string_equal(cfg_getstr(ex, "pid_kp", NULL), "22.200");
    assert_string_equal(cfg_getstr(ex, "pid_ki", NULL), "1");
    assert_string_equal(cfg_getstr(ex, "pid_kd", NULL), "100");
    const char *path;
    int line;
    assert_true(cfg_option_location(ex, "pid_kp", &path, &line));
    assert_string_equal(path, main);
    assert_int_equal(line, 13);
    struct cfg_section *mesh = cfg_find_section(cfg, "bed_mesh default");
    assert_non_null(mesh);
    assert_string_equal(cfg_getstr(mesh, "points", NULL), "\n0.1, 0.2\n0.3, 0.4");
    assert_int_equal(cfg_section_line(mesh), 15);
    cfg_free(cfg);
    free(main);
    tmpdir_remove(dir);
}

static void test_save_config_damaged(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof(text), "%s\n[fan]\npin: PA1\n", save_config_text);
    load_fails(text, "printer.cfg:20: after the SAVE_CONFIG header (line 8) every line must "
                     "start with '#*#', got '[fan]'");
    load_fails("[fan]\n#*# <---------------------- SAVE_CONFIG ---------------------->\n"
               "#*# [include other.cfg]\n",
               "printer.cfg:3: [include other.cfg] is not allowed inside the SAVE_CONFIG block");
    load_fails("[fan]\n#*# <---------------------- SAVE_CONFIG ---------------------->\n"
               "#*# pin: PA1\n",
               "printer.cfg:3: option 'pin' is outside any section");
    /* Trailing blank lines after the block are fine. */
    snprintf(text, sizeof(text), "%s\n\n", save_config_text);
    cfg_free(load_ok(text));
}

static void test_not_text(void **state)
{
    (void)state;
    char *dir = tmpdir_create();
    char path[1024];
    snprintf(path, sizeof(path), "%s/binary.cfg", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("[a]\nb: \0c\n", 1, 10, f);
    fclose(f);
    char err[512] = "";
    assert_null(cfg_load(path, err, sizeof(err)));
    assert_true(contains(err, "is not text"));
    /* A directory matched by an include cannot be read as a file. */
    free(tmpdir_write(dir, "d/x.cfg", "[a]\n"));
    char *main = tmpdir_write(dir, "main.cfg", "[include d]\n");
    assert_null(cfg_load(main, err, sizeof(err)));
    assert_true(contains(err, "main.cfg:1: cannot read config file"));
    free(main);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_separators_and_comments),
        cmocka_unit_test(test_continuation_lines),
        cmocka_unit_test(test_repeated_sections_merge),
        cmocka_unit_test(test_crlf_line_endings),
        cmocka_unit_test(test_unused_options),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_cannot_open),
        cmocka_unit_test(test_read_from_pipe),
        cmocka_unit_test(test_include_glob_order_and_override),
        cmocka_unit_test(test_nested_includes_resolve_per_file),
        cmocka_unit_test(test_include_errors),
        cmocka_unit_test(test_save_config_overrides),
        cmocka_unit_test(test_save_config_damaged),
        cmocka_unit_test(test_not_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
