#include "test_main.h"

#include <stdio.h>
#include <string.h>

int run_selected(const struct CMUnitTest *tests, size_t count, int argc, char **argv)
{
    if (argc > 1) {
        size_t i = 0;
        while (i < count && strcmp(tests[i].name, argv[1]) != 0)
            i++;
        if (i == count) {
            fprintf(stderr, "%s: no test named %s\n", argv[0], argv[1]);
            return 1;
        }
        return _cmocka_run_group_tests(argv[1], &tests[i], 1, NULL, NULL);
    }
    return _cmocka_run_group_tests("all", tests, count, NULL, NULL);
}
