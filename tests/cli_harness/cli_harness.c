#include "cli_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

void cli_slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

void cli_run(struct cli_output *o, const char *env, const char *args)
{
    char out[] = "/tmp/lockstep_cli_outXXXXXX", err[] = "/tmp/lockstep_cli_errXXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    assert_true(fo >= 0 && fe >= 0);
    close(fo);
    close(fe);
    char cmd[4096];
    int len = snprintf(cmd, sizeof(cmd), "%s %s %s >%s 2>%s </dev/null", env ? env : "",
                       LOCKSTEP_BIN, args, out, err);
    assert_true(len > 0 && (size_t)len < sizeof(cmd));
    int rc = system(cmd);
    assert_true(rc != -1 && WIFEXITED(rc));
    o->status = WEXITSTATUS(rc);
    cli_slurp(out, o->out, sizeof(o->out));
    cli_slurp(err, o->err, sizeof(o->err));
    unlink(out);
    unlink(err);
}

void cli_expect(const struct cli_output *o, int status, const char *in_out, const char *in_err)
{
    if (o->status != status || (in_out && !strstr(o->out, in_out)) ||
        (in_err && !strstr(o->err, in_err)))
        fail_msg("exit %d (want %d), want '%s' / '%s' in\n--- stdout\n%s\n--- stderr\n%s",
                 o->status, status, in_out ? in_out : "", in_err ? in_err : "", o->out, o->err);
}
