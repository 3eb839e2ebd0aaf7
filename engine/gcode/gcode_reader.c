#include "gcode_reader.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

struct gcode_reader {
    FILE *f;
    bool owns_file;
    bool eof;
    bool failed;
    int read_errno;
    bool bom_checked;
    /* Dropping the rest of a line longer than the buffer, already reported. */
    bool discarding;
    unsigned long line_number;
    size_t start, end; /* unread bytes: buf[start..end) */
    char *name;
    char buf[GCODE_READER_BUFFER];
};

static struct gcode_reader *create(FILE *f, bool owns_file, const char *name, char *err,
                                   size_t errlen)
{
    size_t namelen = strlen(name);
    struct gcode_reader *r = malloc(sizeof *r + namelen + 1);
    if (!r) {
        seterr(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    memset(r, 0, offsetof(struct gcode_reader, buf));
    r->f = f;
    r->owns_file = owns_file;
    r->name = (char *)(r + 1);
    memcpy(r->name, name, namelen + 1);
    return r;
}

struct gcode_reader *gcode_reader_open(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* Whole buffers are read at once: stdio's own buffer would only add a
     * copy. */
    setvbuf(f, NULL, _IONBF, 0);
    struct gcode_reader *r = create(f, true, path, err, errlen);
    if (!r)
        fclose(f);
    return r;
}

struct gcode_reader *gcode_reader_from_stream(FILE *f, const char *name, char *err, size_t errlen)
{
    return create(f, false, name, err, errlen);
}

void gcode_reader_close(struct gcode_reader *r)
{
    if (!r)
        return;
    if (r->owns_file)
        fclose(r->f);
    free(r);
}

unsigned long gcode_reader_line_number(const struct gcode_reader *r)
{
    return r->line_number;
}

const char *gcode_reader_name(const struct gcode_reader *r)
{
    return r->name;
}

static bool is_comment_line(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i < n && s[i] == ';';
}

static int deliver(struct gcode_reader *r, const char *s, size_t n, const char **line, size_t *len,
                   char *err, size_t errlen)
{
    r->line_number++;
    if (n && s[n - 1] == '\r')
        n--;
    if (n > GCODE_LINE_MAX) {
        if (!is_comment_line(s, n)) {
            seterr(err, errlen, "%s:%lu: line longer than %d characters", r->name, r->line_number,
                   GCODE_LINE_MAX);
            return -1;
        }
        n = GCODE_LINE_MAX;
    }
    *line = s;
    *len = n;
    return 1;
}

static void read_error(const struct gcode_reader *r, char *err, size_t errlen)
{
    seterr(err, errlen, "%s: read error: %s", r->name, strerror(r->read_errno));
}

int gcode_reader_next(struct gcode_reader *r, const char **line, size_t *len, char *err,
                      size_t errlen)
{
    if (r->failed) {
        read_error(r, err, errlen);
        return -1;
    }
    for (;;) {
        if (!r->bom_checked && (r->end - r->start >= 3 || r->eof)) {
            if (r->end - r->start >= 3 && !memcmp(r->buf + r->start, "\xef\xbb\xbf", 3))
                r->start += 3;
            r->bom_checked = true;
        }
        if (r->bom_checked) {
            char *s = r->buf + r->start;
            size_t avail = r->end - r->start;
            char *nl = memchr(s, '\n', avail);
            if (nl) {
                r->start += (size_t)(nl - s) + 1;
                if (r->discarding) {
                    r->discarding = false;
                    continue;
                }
                return deliver(r, s, (size_t)(nl - s), line, len, err, errlen);
            }
            if (r->discarding) {
                r->start = r->end;
                if (r->eof) {
                    r->discarding = false;
                    return 0;
                }
            } else if (avail == GCODE_READER_BUFFER) {
                /* Longer than the whole buffer: report (or cut) it now and
                 * drop the rest up to its newline. */
                r->start = r->end;
                r->discarding = true;
                return deliver(r, s, avail, line, len, err, errlen);
            } else if (r->eof) {
                if (!avail)
                    return 0;
                r->start = r->end;
                return deliver(r, s, avail, line, len, err, errlen);
            }
        }
        if (r->start) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->start = 0;
        }
        size_t got = fread(r->buf + r->end, 1, GCODE_READER_BUFFER - r->end, r->f);
        if (!got) {
            if (ferror(r->f)) {
                r->failed = true;
                r->read_errno = errno;
                read_error(r, err, errlen);
                return -1;
            }
            r->eof = true;
        }
        r->end += got;
    }
}

int gcode_reader_next_command(struct gcode_reader *r, struct gcode_command *cmd, char *err,
                              size_t errlen)
{
    for (;;) {
        const char *line;
        size_t len;
        int rc = gcode_reader_next(r, &line, &len, err, errlen);
        if (rc <= 0)
            return rc;
        char parse_err[GCODE_ERR_MAX];
        if (gcode_parse(cmd, line, len, parse_err, sizeof parse_err) < 0) {
            seterr(err, errlen, "%s:%lu: %s", r->name, r->line_number, parse_err);
            return -1;
        }
        if (!gcode_is_empty(cmd))
            return 1;
    }
}
