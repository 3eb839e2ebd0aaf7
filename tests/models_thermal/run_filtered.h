/* One ctest entry per test: argv[1] names the test to run. A name that
 * matches no test fails, so a misspelt entry cannot pass by running
 * nothing. Include after <cmocka.h>. */
#ifndef LOCKSTEP_TESTS_MODELS_THERMAL_RUN_FILTERED_H
#define LOCKSTEP_TESTS_MODELS_THERMAL_RUN_FILTERED_H

#include <stdio.h>
#include <string.h>

static inline int run_filtered(const struct CMUnitTest *tests, size_t n, int argc, char **argv)
{
    if (argc > 1) {
        size_t i = 0;
        while (i < n && strcmp(tests[i].name, argv[1]) != 0)
            i++;
        if (i == n) {
            fprintf(stderr, "no test named %s\n", argv[1]);
            return 1;
        }
        cmocka_set_test_filter(argv[1]);
    }
    return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}

#define RUN_FILTERED(tests, argc, argv)                                                            \
    run_filtered(tests, sizeof(tests) / sizeof((tests)[0]), argc, argv)

#endif
