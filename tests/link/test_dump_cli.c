/* `lockstep dump` as a user runs it: help, a good file, and errors that
 * name the file (missing file, not a dictionary, truncated final block). */
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

#include "batch.h"
#include "fake_mcu.h"

static char dir[64], dict_path[128], bin_path[128], cut_path[128], junk_path[128];
static char out_txt[128], err_txt[128];

struct result {
    int status;
    char out[8192], err[2048];
};

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

static void run(struct result *r, const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s dump %s >%s 2>%s", LOCKSTEP_BIN, args, out_txt, err_txt);
    int st = system(cmd);
    assert_true(WIFEXITED(st));
    r->status = WEXITSTATUS(st);
    slurp(out_txt, r->out, sizeof(r->out));
    slurp(err_txt, r->err, sizeof(r->err));
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/link_dump_cli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(dict_path, sizeof(dict_path), "%s/dict.json", dir);
    snprintf(bin_path, sizeof(bin_path), "%s/out.bin", dir);
    snprintf(cut_path, sizeof(cut_path), "%s/cut.bin", dir);
    snprintf(junk_path, sizeof(junk_path), "%s/junk.txt", dir);
    snprintf(out_txt, sizeof(out_txt), "%s/stdout", dir);
    snprintf(err_txt, sizeof(err_txt), "%s/stderr", dir);
    write_file(dict_path, fake_mcu_dict_json, strlen(fake_mcu_dict_json));
    write_file(junk_path, "hello, world\n", 13);
    char err[512];
    struct link_batch *b = link_batch_open(dict_path, bin_path, err, sizeof(err));
    assert_non_null(b);
    struct command_queue *q = link_batch_alloc_queue(b);
    for (int i = 0; i < 20; i++) {
        char text[96];
        snprintf(text, sizeof(text), "queue_step oid=2 interval=%d count=10 add=-3", 1000 + i);
        assert_int_equal(link_batch_send_text(b, q, text, 0, (uint64_t)i, err, sizeof(err)), 0);
    }
    assert_int_equal(link_batch_send_text(b, NULL, "get_clock", 0, 0, err, sizeof(err)), 0);
    assert_int_equal(link_batch_close(b, err, sizeof(err)), 0);
    /* The same file with its last 4 bytes missing. */
    FILE *f = fopen(bin_path, "rb");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    write_file(cut_path, buf, n - 4);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *files[] = {dict_path, bin_path, cut_path, junk_path, out_txt, err_txt};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
    rmdir(dir);
    return 0;
}

static void test_help(void **state)
{
    (void)state;
    struct result r;
    run(&r, "--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: lockstep dump FILE -d DICT"));
    assert_non_null(strstr(r.out, "--offsets"));
    run(&r, "");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no FILE given"));
    char args[256];
    snprintf(args, sizeof(args), "%s", bin_path);
    run(&r, args);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "no -d DICT given"));
    run(&r, "--bogus");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown option '--bogus'"));
}

static void test_good_file(void **state)
{
    (void)state;
    struct result r;
    char args[512];
    snprintf(args, sizeof(args), "%s -d %s", bin_path, dict_path);
    run(&r, args);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    /* The batch's own queue first (req_clock 0), then the stepper's. */
    assert_memory_equal(r.out, "get_clock\nqueue_step oid=2 interval=1000 count=10 add=-3\n",
                        strlen("get_clock\nqueue_step oid=2 interval=1000 count=10 add=-3\n"));
    assert_non_null(strstr(r.out, "queue_step oid=2 interval=1019 count=10 add=-3\n"));
    /* From standard input, with the dictionary option spelled out. */
    snprintf(args, sizeof(args), "--dict %s - <%s", dict_path, bin_path);
    struct result r2;
    run(&r2, args);
    assert_int_equal(r2.status, 0);
    assert_string_equal(r2.out, r.out);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct result r;
    char args[512];
    snprintf(args, sizeof(args), "%s/nothere.bin -d %s", dir, dict_path);
    run(&r, args);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "nothere.bin: No such file or directory"));
    snprintf(args, sizeof(args), "%s -d %s/nodict.json", bin_path, dir);
    run(&r, args);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "nodict.json: No such file or directory"));
}

static void test_not_a_dictionary(void **state)
{
    (void)state;
    struct result r;
    char args[512];
    snprintf(args, sizeof(args), "%s -d %s", bin_path, junk_path);
    run(&r, args);
    assert_int_equal(r.status, 1);
    char want[256];
    snprintf(want, sizeof(want), "%s: not a data dictionary", junk_path);
    assert_non_null(strstr(r.err, want));
    /* JSON, but not a dictionary. */
    write_file(junk_path, "{\"hello\": 1}", 12);
    run(&r, args);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, want));
    /* The batch file itself passed as the dictionary. */
    snprintf(args, sizeof(args), "%s -d %s", bin_path, bin_path);
    run(&r, args);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "out.bin: not a data dictionary"));
}

static void test_truncated_file(void **state)
{
    (void)state;
    struct result r;
    char args[512];
    snprintf(args, sizeof(args), "%s -d %s", cut_path, dict_path);
    run(&r, args);
    assert_int_equal(r.status, 1);
    char want[256];
    snprintf(want, sizeof(want), "%s: offset ", cut_path);
    assert_non_null(strstr(r.err, want));
    assert_non_null(strstr(r.err, ": truncated final block ("));
    /* Everything before the last block is still printed. */
    assert_non_null(strstr(r.out, "get_clock\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),           cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_missing_file),   cmocka_unit_test(test_not_a_dictionary),
        cmocka_unit_test(test_truncated_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
