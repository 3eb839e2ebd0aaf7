#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gcode_reader.h"

static char dir[64];
static char path[128];
static char err[GCODE_ERR_MAX];
static char expect[GCODE_ERR_MAX + 128];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/gcode_reader_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return rmdir(dir);
}

/* Writes the file for one test (removed by the test's teardown). */
static const char *write_file(const char *data, size_t len)
{
    snprintf(path, sizeof path, "%s/test.gcode", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static int remove_file(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static struct gcode_reader *open_text(const char *text)
{
    struct gcode_reader *r = gcode_reader_open(write_file(text, strlen(text)), err, sizeof err);
    assert_non_null(r);
    return r;
}

static void next_is(struct gcode_reader *r, const char *want, unsigned long number)
{
    const char *line;
    size_t len;
    int rc = gcode_reader_next(r, &line, &len, err, sizeof err);
    if (rc != 1)
        fail_msg("expected line %lu '%s', got %d (%s)", number, want, rc, rc < 0 ? err : "end");
    assert_int_equal(len, strlen(want));
    assert_memory_equal(line, want, len);
    assert_int_equal(gcode_reader_line_number(r), number);
}

static void at_end(struct gcode_reader *r)
{
    const char *line;
    size_t len;
    assert_int_equal(gcode_reader_next(r, &line, &len, err, sizeof err), 0);
    assert_int_equal(gcode_reader_next(r, &line, &len, err, sizeof err), 0);
}

static void next_fails(struct gcode_reader *r, const char *message)
{
    const char *line;
    size_t len;
    assert_int_equal(gcode_reader_next(r, &line, &len, err, sizeof err), -1);
    assert_string_equal(err, message);
}

static void test_lf_lines(void **state)
{
    (void)state;
    struct gcode_reader *r = open_text("G28\nG1 X1 ; go\n\n;LAYER_CHANGE\n");
    assert_int_equal(gcode_reader_line_number(r), 0);
    assert_string_equal(gcode_reader_name(r), path);
    next_is(r, "G28", 1);
    next_is(r, "G1 X1 ; go", 2);
    next_is(r, "", 3);
    next_is(r, ";LAYER_CHANGE", 4);
    at_end(r);
    gcode_reader_close(r);
}

static void test_crlf(void **state)
{
    (void)state;
    struct gcode_reader *r = open_text("G28\r\nG1 X1\r\n\r\nM84\r\n");
    next_is(r, "G28", 1);
    next_is(r, "G1 X1", 2);
    next_is(r, "", 3);
    next_is(r, "M84", 4);
    at_end(r);
    gcode_reader_close(r);
}

static void test_no_final_newline(void **state)
{
    (void)state;
    struct gcode_reader *r = open_text("G28\nG1 X1");
    next_is(r, "G28", 1);
    next_is(r, "G1 X1", 2);
    at_end(r);
    gcode_reader_close(r);
    r = open_text("G28\r\nM84\r");
    next_is(r, "G28", 1);
    next_is(r, "M84", 2);
    at_end(r);
    gcode_reader_close(r);
}

static void test_empty_file(void **state)
{
    (void)state;
    struct gcode_reader *r = open_text("");
    at_end(r);
    assert_int_equal(gcode_reader_line_number(r), 0);
    gcode_reader_close(r);
    r = open_text("\n");
    next_is(r, "", 1);
    at_end(r);
    gcode_reader_close(r);
}

static void test_byte_order_mark(void **state)
{
    (void)state;
    struct gcode_reader *r = open_text("\xef\xbb\xbfG28\nM84\n");
    next_is(r, "G28", 1);
    next_is(r, "M84", 2);
    at_end(r);
    gcode_reader_close(r);
    r = open_text("\xef\xbb\xbf");
    at_end(r);
    gcode_reader_close(r);
}

/* "G1 X" padded with '1' to n characters. */
static char *long_command(size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, '1', n);
    memcpy(s, "G1 X", 4);
    s[n] = '\0';
    return s;
}

static void test_overlong_line(void **state)
{
    (void)state;
    char *fits = long_command(GCODE_LINE_MAX), *over = long_command(GCODE_LINE_MAX + 1);
    size_t size = 3 * GCODE_LINE_MAX + 64;
    char *text = malloc(size);
    assert_non_null(text);
    snprintf(text, size, "G28\n%s\n%s\r\nG1 X3\n%s\r\n", over, fits, fits);
    struct gcode_reader *r = open_text(text);
    next_is(r, "G28", 1);
    snprintf(expect, sizeof expect, "%s:2: line longer than 1024 characters", path);
    next_fails(r, expect);
    /* Reading goes on after the refused line. */
    next_is(r, fits, 3);
    next_is(r, "G1 X3", 4);
    next_is(r, fits, 5);
    at_end(r);
    gcode_reader_close(r);
    /* Overlong as the last line, without a newline. */
    snprintf(text, size, "G28\n%s", over);
    r = open_text(text);
    next_is(r, "G28", 1);
    snprintf(expect, sizeof expect, "%s:2: line longer than 1024 characters", path);
    next_fails(r, expect);
    at_end(r);
    gcode_reader_close(r);
    free(text);
    free(fits);
    free(over);
}

/* A line longer than the reader's whole buffer is refused and skipped
 * without reading it into memory. */
static void test_line_longer_than_buffer(void **state)
{
    (void)state;
    size_t huge = 3 * GCODE_READER_BUFFER + 17;
    char *line = long_command(huge);
    size_t size = 2 * huge + 64;
    char *text = malloc(size);
    assert_non_null(text);
    snprintf(text, size, "G28\n%s\nG1 X3\n%s", line, line);
    struct gcode_reader *r = open_text(text);
    next_is(r, "G28", 1);
    snprintf(expect, sizeof expect, "%s:2: line longer than 1024 characters", path);
    next_fails(r, expect);
    next_is(r, "G1 X3", 3);
    snprintf(expect, sizeof expect, "%s:4: line longer than 1024 characters", path);
    next_fails(r, expect);
    at_end(r);
    gcode_reader_close(r);
    free(text);
    free(line);
}

/* Slicers write settings comments of several kilobytes. */
static void test_overlong_comment_is_cut(void **state)
{
    (void)state;
    size_t sizes[] = {GCODE_LINE_MAX + 1, 5000, 2 * GCODE_READER_BUFFER};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *comment = long_command(sizes[i]);
        memcpy(comment, "  ; start_gcode = ", 18);
        size_t size = sizes[i] + 64;
        char *text = malloc(size);
        assert_non_null(text);
        snprintf(text, size, "%s\r\nG1 X3\n", comment);
        struct gcode_reader *r = open_text(text);
        comment[GCODE_LINE_MAX] = '\0';
        next_is(r, comment, 1);
        next_is(r, "G1 X3", 2);
        at_end(r);
        gcode_reader_close(r);
        free(text);
        free(comment);
    }
}

/* Lines across many buffer refills, LF and CRLF mixed. */
static void test_many_lines(void **state)
{
    (void)state;
    const int count = 30000;
    size_t size = (size_t)count * 32;
    char *text = malloc(size);
    assert_non_null(text);
    size_t n = 0;
    for (int i = 0; i < count; i++)
        n += (size_t)snprintf(text + n, size - n, "G1 X%d Y%d%s", i, i % 97, i % 3 ? "\n" : "\r\n");
    struct gcode_reader *r = gcode_reader_open(write_file(text, n), err, sizeof err);
    assert_non_null(r);
    for (int i = 0; i < count; i++) {
        char want[32];
        snprintf(want, sizeof want, "G1 X%d Y%d", i, i % 97);
        next_is(r, want, (unsigned long)i + 1);
    }
    at_end(r);
    gcode_reader_close(r);
    free(text);
}

static void test_commands(void **state)
{
    (void)state;
    static const char text[] = "; header\n"
                               "\n"
                               "G28 ; home\r\n"
                               "N1 G1 X1*0\n"
                               "   \n"
                               "G1 X\0 2\n"
                               "!!\n"
                               "G1 X2 Y3\n"
                               "M84";
    struct gcode_reader *r = gcode_reader_open(write_file(text, sizeof text - 1), err, sizeof err);
    assert_non_null(r);
    static struct gcode_command cmd;
    assert_int_equal(gcode_reader_next_command(r, &cmd, err, sizeof err), 1);
    assert_string_equal(cmd.name, "G28");
    assert_int_equal(gcode_reader_line_number(r), 3);
    assert_int_equal(gcode_reader_next_command(r, &cmd, err, sizeof err), -1);
    snprintf(expect, sizeof expect,
             "%s:4: Error on 'N1 G1 X1*0': checksum mismatch (line says 0, computed 96)", path);
    assert_string_equal(err, expect);
    assert_int_equal(gcode_reader_next_command(r, &cmd, err, sizeof err), -1);
    snprintf(expect, sizeof expect, "%s:6: Error on 'G1 X': NUL byte in line", path);
    assert_string_equal(err, expect);
    assert_int_equal(gcode_reader_next_command(r, &cmd, err, sizeof err), -1);
    snprintf(expect, sizeof expect, "%s:7: Malformed command '!!'", path);
    assert_string_equal(err, expect);
    assert_int_equal(gcode_reader_next_command(r, &cmd, err, sizeof err), 1);
    assert_string_equal(cmd.name, "G1");
    assert_string_equal(gcode_param_value(&cmd, "Y"), "3");
    assert_int_equal(gcode_reader_line_number(r), 8);
    assert_int_equal(gcode_reader_next_command(r, &cmd, err, sizeof err), 1);
    assert_string_equal(cmd.name, "M84");
    assert_int_equal(gcode_reader_next_command(r, &cmd, err, sizeof err), 0);
    gcode_reader_close(r);
}

static void test_stream(void **state)
{
    (void)state;
    char text[] = "G28\nM84\n";
    FILE *f = fmemopen(text, sizeof text - 1, "r");
    assert_non_null(f);
    struct gcode_reader *r = gcode_reader_from_stream(f, "<script>", err, sizeof err);
    assert_non_null(r);
    next_is(r, "G28", 1);
    next_is(r, "M84", 2);
    at_end(r);
    assert_string_equal(gcode_reader_name(r), "<script>");
    gcode_reader_close(r);
    /* The stream stays open. */
    rewind(f);
    assert_int_equal(fgetc(f), 'G');
    fclose(f);
}

static void test_open_error(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "%s/missing.gcode", dir);
    assert_null(gcode_reader_open(path, err, sizeof err));
    snprintf(expect, sizeof expect, "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, expect);
}

static void test_read_error(void **state)
{
    (void)state;
    struct gcode_reader *r = gcode_reader_open(dir, err, sizeof err);
    assert_non_null(r);
    snprintf(expect, sizeof expect, "%s: read error: Is a directory", dir);
    next_fails(r, expect);
    next_fails(r, expect);
    gcode_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lf_lines, remove_file),
        cmocka_unit_test_teardown(test_crlf, remove_file),
        cmocka_unit_test_teardown(test_no_final_newline, remove_file),
        cmocka_unit_test_teardown(test_empty_file, remove_file),
        cmocka_unit_test_teardown(test_byte_order_mark, remove_file),
        cmocka_unit_test_teardown(test_overlong_line, remove_file),
        cmocka_unit_test_teardown(test_line_longer_than_buffer, remove_file),
        cmocka_unit_test_teardown(test_overlong_comment_is_cut, remove_file),
        cmocka_unit_test_teardown(test_many_lines, remove_file),
        cmocka_unit_test_teardown(test_commands, remove_file),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_open_error),
        cmocka_unit_test(test_read_error),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
