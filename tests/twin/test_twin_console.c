/* The example console session (examples/hello.console) through the real
 * `lockstep console` binary on a simulated MCU: it must succeed, print
 * what the session is there to show, and print the same bytes every time.
 *
 *   test_twin_console avr|native */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

static const char *backend = "native";

struct run {
    char *out;
    size_t len;
    int status;
};

static void run_console(struct run *r)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' console sim:%s '%s'", LOCKSTEP_BIN, backend, HELLO_CONSOLE);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = 4096;
    r->out = malloc(cap);
    r->len = 0;
    assert_non_null(r->out);
    size_t n;
    while ((n = fread(r->out + r->len, 1, cap - r->len - 1, f)) > 0) {
        r->len += n;
        if (cap - r->len - 1 == 0) {
            cap *= 2;
            r->out = realloc(r->out, cap);
            assert_non_null(r->out);
        }
    }
    r->out[r->len] = 0;
    int st = pclose(f);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first line starting with prefix, or NULL. */
static const char *find_line(const char *out, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *line = out; line && *line;) {
        if (!strncmp(line, prefix, n))
            return line;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

static void show(const struct run *r)
{
    print_message("---- lockstep console sim:%s %s (exit %d):\n%s----\n", backend, HELLO_CONSOLE,
                  r->status, r->out);
}

static void require_line(const struct run *r, const char *prefix, const char *contains)
{
    for (const char *line = find_line(r->out, prefix); line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
        if (!contains || strstr(buf, contains))
            return;
        line = end ? find_line(end + 1, prefix) : NULL;
    }
    show(r);
    fail_msg("sim:%s: no line starting with '%s'%s%s", backend, prefix,
             contains ? " containing " : "", contains ? contains : "");
}

static void test_hello_console(void **state)
{
    (void)state;
    struct run a, b;
    run_console(&a);
    run_console(&b);
    if (a.status != 0) {
        show(&a);
        fail_msg("sim:%s: lockstep console exited %d", backend, a.status);
    }
    assert_int_equal(b.status, 0);
    if (a.len != b.len || memcmp(a.out, b.out, a.len)) {
        show(&a);
        show(&b);
        fail_msg("sim:%s: two runs printed different output", backend);
    }
    char connected[64];
    snprintf(connected, sizeof(connected), "connected to sim:%s:", backend);
    require_line(&a, connected, NULL);
    if (find_line(a.out, "error:")) {
        show(&a);
        fail_msg("sim:%s: the session printed an error", backend);
    }
    /* What the session demonstrates: ten steps taken, one reading, an
     * emergency stop that shuts down with its own reason, and recovery. */
    require_line(&a, "stepper_position oid=0 pos=10", NULL);
    require_line(&a, "analog_in_state oid=2 ", NULL);
    require_line(&a, "shutdown ", "static_string_id=Command request");
    require_line(&a, "config is_config=1 crc=0 is_shutdown=1", NULL);
    const char *last = NULL;
    for (const char *l = find_line(a.out, "config "); l; l = find_line(l + 1, "config "))
        last = l;
    assert_non_null(last);
    if (strncmp(last, "config is_config=1 crc=0 is_shutdown=0", 38)) {
        show(&a);
        fail_msg("sim:%s: the last get_config does not show the shutdown cleared", backend);
    }
    free(a.out);
    free(b.out);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "avr") && strcmp(argv[1], "native"))) {
        fprintf(stderr, "usage: test_twin_console avr|native\n");
        return 2;
    }
    backend = argv[1];
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hello_console)};
    char name[64];
    snprintf(name, sizeof(name), "twin.console.%s", backend);
    return _cmocka_run_group_tests(name, tests, 1, NULL, NULL);
}
