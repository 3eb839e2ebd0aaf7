/* Board descriptions and pin names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "board.h"
#include "test_main.h"

static unsigned pin(const char *name)
{
    unsigned n = 9999;
    char err[200];
    if (board_pin_number(name, &n, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    return n;
}

static void test_lookup(void **state)
{
    (void)state;
    const struct board *b = board_find("ramps14");
    assert_non_null(b);
    assert_string_equal(b->mcu, "atmega2560");
    assert_true(b->clock_hz == 16e6);
    assert_null(board_find("ramps13"));
    assert_null(board_find(""));
    assert_null(board_find(NULL));
    assert_null(board_find("RAMPS14"));
    /* Every board is named in the list an error message shows. */
    assert_true(board_count() >= 1);
    for (size_t i = 0; i < board_count(); i++) {
        assert_non_null(strstr(board_names(), board_at(i)->name));
        assert_ptr_equal(board_find(board_at(i)->name), board_at(i));
    }
    assert_null(board_at(board_count()));
}

static void test_ramps14_wiring(void **state)
{
    (void)state;
    const struct board *b = board_find("ramps14");
    struct {
        const char *name, *step, *dir, *enable, *endstop;
    } want[] = {
        {"stepper_x", "PF0", "PF1", "PD7", "PE5"},
        {"stepper_y", "PF6", "PF7", "PF2", "PJ1"},
        {"stepper_z", "PL3", "PL1", "PK0", "PD3"},
        {"extruder", "PA4", "PA6", "PA2", NULL},
    };
    assert_int_equal(b->stepper_count, 4);
    for (size_t i = 0; i < 4; i++) {
        const struct board_stepper *s = board_stepper(b, want[i].name);
        assert_non_null(s);
        assert_int_equal(s->step_pin, pin(want[i].step));
        assert_int_equal(s->dir_pin, pin(want[i].dir));
        assert_int_equal(s->enable_pin, pin(want[i].enable));
        assert_true(s->enable_active_low);
        assert_int_equal(s->has_endstop, want[i].endstop != NULL);
        if (want[i].endstop) {
            assert_int_equal(s->endstop_pin, pin(want[i].endstop));
            assert_true(s->endstop_pullup);
            assert_int_equal(s->endstop_triggered_level, 1);
        }
    }
    assert_null(board_stepper(b, "stepper_e"));

    const struct board_heater *h = board_heater(b, "extruder");
    assert_non_null(h);
    assert_int_equal(h->heater_pin, pin("PB4"));
    assert_int_equal(h->sensor_pin, 85);
    assert_true(h->sensor_pullup_ohms == 4700);
    h = board_heater(b, "heater_bed");
    assert_non_null(h);
    assert_int_equal(h->heater_pin, pin("PH5"));
    assert_int_equal(h->sensor_pin, pin("PK6"));
    assert_null(board_heater(b, "heater_chamber"));
    assert_true(b->has_fan);
    assert_int_equal(b->fan_pin, pin("PH6"));

    /* No pin is wired to two things. */
    unsigned used[32];
    size_t n = 0;
    for (size_t i = 0; i < b->stepper_count; i++) {
        used[n++] = b->steppers[i].step_pin;
        used[n++] = b->steppers[i].dir_pin;
        used[n++] = b->steppers[i].enable_pin;
        if (b->steppers[i].has_endstop)
            used[n++] = b->steppers[i].endstop_pin;
    }
    for (size_t i = 0; i < b->heater_count; i++) {
        used[n++] = b->heaters[i].heater_pin;
        used[n++] = b->heaters[i].sensor_pin;
    }
    used[n++] = b->fan_pin;
    for (size_t i = 0; i < n; i++) {
        char name[8];
        assert_int_equal(board_pin_name(used[i], name, sizeof(name)), 0);
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(used[i], used[j]);
    }
}

static void test_pin_names(void **state)
{
    (void)state;
    assert_int_equal(pin("PA0"), 0);
    assert_int_equal(pin("PB0"), 8);
    assert_int_equal(pin("PF0"), 40);
    assert_int_equal(pin("PG5"), 53);
    assert_int_equal(pin("PJ0"), 72);
    assert_int_equal(pin("PK5"), 85);
    assert_int_equal(pin("PL7"), 95);
    char buf[8];
    assert_int_equal(board_pin_name(40, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "PF0");
    assert_int_equal(board_pin_name(85, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "PK5");

    /* Every name round-trips; the holes (port I, PG6-7) and the end do
     * not name pins. */
    int valid = 0;
    for (unsigned n = 0; n < 200; n++) {
        if (board_pin_name(n, buf, sizeof(buf)) == 0) {
            assert_int_equal(pin(buf), n);
            valid++;
        } else {
            assert_string_equal(buf, "?");
        }
    }
    assert_int_equal(valid, 10 * 8 + 6);
    assert_int_equal(board_pin_name(64, buf, sizeof(buf)), -1);
    assert_int_equal(board_pin_name(54, buf, sizeof(buf)), -1);
    assert_int_equal(board_pin_name(96, buf, sizeof(buf)), -1);
    assert_int_equal(board_pin_name(~0u, buf, sizeof(buf)), -1);

    const char *bad[] = {"PI0", "PG6", "PF8", "pf0", "F0", "PF10", "", "PM0", "!PF0", "PF"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned n = 1234;
        char err[200] = "";
        assert_int_equal(board_pin_number(bad[i], &n, err, sizeof(err)), -1);
        assert_int_equal(n, 1234);
        printf("%s\n", err);
        assert_non_null(strstr(err, bad[i]));
    }
    unsigned n = 1234;
    char err[200] = "";
    assert_int_equal(board_pin_number(NULL, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "expected"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_ramps14_wiring),
        cmocka_unit_test(test_pin_names),
    };
    return run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
