/* A session of the engine on the twin for tests: answers collected,
 * helpers to run lines and read positions. Every helper fails the test
 * (cmocka) on an unexpected result. */
#ifndef LOCKSTEP_TESTS_TWIN_RUN_FIXTURE_H
#define LOCKSTEP_TESTS_TWIN_RUN_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "twin.h"
#include "twin_run.h"

struct fx {
    struct twin_run *r;
    char *ans; /* every answer, one per line */
    size_t len, cap;
    size_t mark; /* start of the answers of the last line run */
};

/* Options for fx_open: the default printer unless cfg is given. */
struct fx_opts {
    const char *cfg;
    const char *backend;
    const char *const *faults;
    size_t nfaults;
    double start_x;        /* mm; NAN: the twin's default (the middle) */
    double start_z;        /* mm; NAN: 10 mm, so that homing Z is quick */
    double endstop_spread; /* NAN: the twin's default */
    uint64_t seed;
};
void fx_opts_init(struct fx_opts *o);

void fx_open(struct fx *f, const struct fx_opts *o);
/* Run a line; returns the engine's 0 or 1 (fails the test on -1). */
int fx_line(struct fx *f, const char *text);
/* Run a line that must be accepted. */
void fx_ok(struct fx *f, const char *text);
/* The answers of the last line run. */
const char *fx_last(const struct fx *f);
/* GET_POSITION's "mcu:" value of a stepper. */
int64_t fx_mcu_position(struct fx *f, const char *stepper);
/* M114: X Y Z E of the toolhead. */
void fx_m114(struct fx *f, double pos[4]);
/* The twin's state now. */
void fx_report(struct fx *f, struct twin_report *r);
const struct twin_stepper_report *fx_stepper(const struct twin_report *r, const char *name);
const struct twin_heater_report *fx_heater(const struct twin_report *r, const char *name);
void fx_finish(struct fx *f, struct twin_run_result *res);

/* Simulated seconds now. */
double fx_time(struct fx *f);
/* The MCU shut down with a reason containing want, and the engine told
 * the user once, with Klipper's "!!". */
void fx_expect_shutdown(struct fx *f, const char *want);
/* A second later the heater's pin is off. */
void fx_expect_heater_off(struct fx *f, const char *heater);

/* Run one test by name (argv[1]), or all. */
int fx_run_selected(const struct CMUnitTest *tests, size_t count, int argc, char **argv);

#endif
