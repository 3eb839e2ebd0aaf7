/* Every line of the sliced corpus (PrusaSlicer output, see the README
 * beside it) parses, and every parameter of its moves reads as a number.
 * The corpus lives outside the repository: without it the test skips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gcode_params.h"
#include "gcode_reader.h"

static const char *corpus_dir(void)
{
    const char *env = getenv("LOCKSTEP_SHARED_GCODE");
    return env && *env ? env : GCODE_CORPUS_DIR;
}

static bool is_gcode_file(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && !strcmp(name + n - 6, ".gcode");
}

static void parse_file(const char *path)
{
    char err[GCODE_ERR_MAX + 256];
    struct gcode_reader *r = gcode_reader_open(path, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    static struct gcode_command cmd;
    unsigned long commands = 0, moves = 0;
    int rc;
    while ((rc = gcode_reader_next_command(r, &cmd, err, sizeof err)) == 1) {
        commands++;
        if (strcmp(cmd.name, "G1") && strcmp(cmd.name, "G0") && strcmp(cmd.name, "G92"))
            continue;
        moves += !strcmp(cmd.name, "G1");
        for (size_t i = 0; i < cmd.nparams; i++) {
            double v;
            if (gcode_get_float(&cmd, cmd.params[i].name, NULL, &v, err, sizeof err) < 0)
                fail_msg("%s:%lu: %s", path, gcode_reader_line_number(r), err);
        }
    }
    if (rc < 0)
        fail_msg("%s", err);
    print_message("%s: %lu lines, %lu commands, %lu G1\n", path, gcode_reader_line_number(r),
                  commands, moves);
    assert_true(moves > 0);
    gcode_reader_close(r);
}

static void test_corpus(void **state)
{
    (void)state;
    const char *dir = corpus_dir();
    DIR *d = opendir(dir);
    if (!d) {
        print_message("no G-code corpus at %s (set LOCKSTEP_SHARED_GCODE): skipping\n", dir);
        skip();
    }
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_gcode_file(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        parse_file(path);
        files++;
    }
    closedir(d);
    if (!files) {
        print_message("no .gcode files in %s: skipping\n", dir);
        skip();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
