/* Reads a G-code file line by line in bounded memory (one buffer of
 * GCODE_READER_BUFFER bytes, whatever the file's length).
 *
 * Lines end with LF or CRLF; the last line may lack one; a UTF-8 byte
 * order mark at the start is skipped. A line longer than GCODE_LINE_MAX is
 * an error naming the file and line, after which reading goes on with the
 * next line, except a comment-only line (first non-blank character ';'):
 * that one is returned cut to GCODE_LINE_MAX, as slicers write long
 * settings comments and their text has no effect. Messages start with
 * "FILE:LINE: " (or "FILE: " for open and read errors). */
#ifndef LOCKSTEP_GCODE_READER_H
#define LOCKSTEP_GCODE_READER_H

#include <stddef.h>
#include <stdio.h>

#include "gcode_parse.h"

#define GCODE_READER_BUFFER (64 * 1024)

struct gcode_reader;

/* NULL with a message in err when the file cannot be opened. */
struct gcode_reader *gcode_reader_open(const char *path, char *err, size_t errlen);
/* Reads an open stream, named name in messages; close does not close it. */
struct gcode_reader *gcode_reader_from_stream(FILE *f, const char *name, char *err, size_t errlen);
void gcode_reader_close(struct gcode_reader *r);

/* The next line, without its line ending, valid until the next call:
 * returns 1, 0 at the end of the file, or -1 with a message (an overlong
 * line: reading may go on; a read error: every later call fails too). NUL
 * bytes are passed on; gcode_parse refuses them. */
int gcode_reader_next(struct gcode_reader *r, const char **line, size_t *len, char *err,
                      size_t errlen);

/* The next line that holds a command (blank and comment-only lines are
 * skipped), parsed into cmd: returns 1, 0 at the end, or -1 with the
 * parser's message prefixed by FILE:LINE. A refused line leaves the reader
 * at the next line. */
int gcode_reader_next_command(struct gcode_reader *r, struct gcode_command *cmd, char *err,
                              size_t errlen);

/* 1-based number of the line last returned (0 before the first). */
unsigned long gcode_reader_line_number(const struct gcode_reader *r);
const char *gcode_reader_name(const struct gcode_reader *r);

#endif
