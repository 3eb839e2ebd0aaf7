/* One ctest entry per test: the entry passes the test's name, and a name
 * that matches no test fails instead of running nothing. */
#ifndef LOCKSTEP_TESTS_MODELS_MOTION_TEST_MAIN_H
#define LOCKSTEP_TESTS_MODELS_MOTION_TEST_MAIN_H

#include <stddef.h>
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>

int run_selected(const struct CMUnitTest *tests, size_t count, int argc, char **argv);

#endif
