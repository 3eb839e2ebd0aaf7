/* The lockstep program run as a user runs it, for CLI tests: exit
 * status, standard output and standard error kept apart. */
#ifndef LOCKSTEP_TESTS_CLI_HARNESS_H
#define LOCKSTEP_TESTS_CLI_HARNESS_H

#include <stddef.h>

struct cli_output {
    int status;
    char out[32768], err[8192];
};

/* Run `ENV lockstep ARGS` (env: "NAME=VALUE ..." or NULL; args a shell
 * word list) with standard input from /dev/null. Fails the test if the
 * program could not be run or did not exit. */
void cli_run(struct cli_output *o, const char *env, const char *args);

/* The exit status is status and the outputs contain in_out and in_err
 * (NULL: anything); else fail the test showing both outputs. */
void cli_expect(const struct cli_output *o, int status, const char *in_out, const char *in_err);

/* A file's text into buf (at most cap - 1 bytes, NUL-terminated; empty
 * if it cannot be read). */
void cli_slurp(const char *path, char *buf, size_t cap);

#endif
