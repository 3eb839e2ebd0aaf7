#include "gcode_parse.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* How much of an overlong line an error message quotes. */
#define QUOTE_PREFIX 40

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
/* ASCII only: the program's locale must not change how a line reads. */
static bool is_alpha(char c)
{
    /* Setting bit 5 maps 'A'..'Z' onto 'a'..'z' and nothing else there. */
    return (unsigned)(((unsigned char)c | 0x20) - 'a') < 26;
}
static bool is_word_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_';
}
static char to_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Names of classic parameters: they point here instead of taking room in
 * the command's storage. */
static const char letter_names[] = "A\0B\0C\0D\0E\0F\0G\0H\0I\0J\0K\0L\0M\0"
                                   "N\0O\0P\0Q\0R\0S\0T\0U\0V\0W\0X\0Y\0Z";

/* M23, M117 and M118, checked by hand: this runs for every line. */
bool gcode_is_text_command(const char *name)
{
    if (name[0] != 'M' || (name[1] != '1' && name[1] != '2'))
        return false;
    if (name[1] == '2')
        return name[2] == '3' && !name[3];
    return name[2] == '1' && (name[3] == '7' || name[3] == '8') && !name[4];
}

/* 'A'..'Z' as 0..25 for a one-letter name, else -1. */
static int letter_index(const char *name)
{
    return name[0] >= 'A' && name[0] <= 'Z' && !name[1] ? name[0] - 'A' : -1;
}

/* One-letter names (every classic parameter) are found through
 * letter_param: a lookup runs for each axis of every move. */
const char *gcode_param_value(const struct gcode_command *cmd, const char *name)
{
    int letter = letter_index(name);
    if (letter >= 0) {
        unsigned slot = cmd->letter_param[letter];
        return slot ? cmd->params[slot - 1].value : NULL;
    }
    for (size_t i = 0; i < cmd->nparams; i++) {
        const char *have = cmd->params[i].name;
        if (have[0] == name[0] && !strcmp(have, name))
            return cmd->params[i].value;
    }
    return NULL;
}

static void drop_params(struct gcode_command *cmd)
{
    cmd->nparams = 0;
    memset(cmd->letter_param, 0, sizeof cmd->letter_param);
}

static void clear(struct gcode_command *cmd)
{
    cmd->name = cmd->raw = cmd->line = "";
    cmd->extended = cmd->has_line_number = cmd->has_checksum = cmd->malformed_args = false;
    cmd->line_number = 0;
    drop_params(cmd);
}

static int refuse(struct gcode_command *cmd, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct gcode_command *cmd, char *err, size_t errlen, const char *fmt, ...)
{
    /* The message may quote cmd->line: format it before clearing. */
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    clear(cmd);
    return -1;
}

/* Where names and values are written, NUL-terminated, after the copy of
 * the line. The storage holds four times the longest line, and what a
 * line writes is bounded by that: the copy, the name, raw, and values
 * (each at most its source text plus a NUL, charged to its '=' or key
 * letter), so running out means a bug, reported rather than overrun. */
struct builder {
    char *pos, *end;
};

static char *emit(struct builder *b, const char *s, size_t n)
{
    if ((size_t)(b->end - b->pos) < n + 1)
        return NULL;
    char *out = b->pos;
    memcpy(out, s, n);
    out[n] = '\0';
    b->pos += n + 1;
    return out;
}

enum add_result { ADDED, TOO_MANY };

static enum add_result add_param(struct gcode_command *cmd, const char *name, const char *value)
{
    int letter = letter_index(name);
    if (letter >= 0 && cmd->letter_param[letter]) {
        cmd->params[cmd->letter_param[letter] - 1].value = value;
        return ADDED;
    }
    if (letter < 0)
        for (size_t i = 0; i < cmd->nparams; i++)
            if (!strcmp(cmd->params[i].name, name)) {
                cmd->params[i].value = value;
                return ADDED;
            }
    if (cmd->nparams == GCODE_PARAMS_MAX)
        return TOO_MANY;
    cmd->params[cmd->nparams].name = name;
    cmd->params[cmd->nparams].value = value;
    cmd->nparams++;
    if (letter >= 0)
        cmd->letter_param[letter] = (unsigned char)cmd->nparams;
    return ADDED;
}

/* First ';' or '#' outside quotes in s[from..to), or to. Quotes and
 * escapes as in Klipper's shell-style (shlex, POSIX) argument split. */
static size_t extended_comment(const char *s, size_t from, size_t to)
{
    char quote = 0;
    for (size_t p = from; p < to; p++) {
        char c = s[p];
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
        } else if (quote == '"') {
            if (c == '\\' && p + 1 < to && (s[p + 1] == '"' || s[p + 1] == '\\'))
                p++;
            else if (c == '"')
                quote = 0;
        } else if (c == '\\') {
            p++;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == ';' || c == '#') {
            return p;
        }
    }
    return to;
}

/* Whether s[from..to) is whitespace, digits, whitespace. */
static bool is_checksum_text(const char *s, size_t from, size_t to)
{
    while (from < to && is_space(s[from]))
        from++;
    size_t digits = from;
    while (from < to && is_digit(s[from]))
        from++;
    if (from == digits)
        return false;
    while (from < to && is_space(s[from]))
        from++;
    return from == to;
}

enum split_result { SPLIT_OK, SPLIT_MALFORMED, SPLIT_TOO_MANY, SPLIT_NO_ROOM };

/* KEY=VALUE words of an extended command, split shell-style: whitespace
 * separates words, '...' is literal, "..." honours \" and \\, a backslash
 * outside quotes takes the next character literally. */
static enum split_result split_extended(struct gcode_command *cmd, struct builder *b, const char *s,
                                        size_t p, size_t to)
{
    for (;;) {
        while (p < to && is_space(s[p]))
            p++;
        if (p == to)
            return SPLIT_OK;
        /* A word is never longer than its source text. */
        if ((size_t)(b->end - b->pos) < to - p + 1)
            return SPLIT_NO_ROOM;
        char *word = b->pos, *out = b->pos;
        while (p < to && !is_space(s[p])) {
            char c = s[p];
            if (c == '\'') {
                for (p++; p < to && s[p] != '\''; p++)
                    *out++ = s[p];
                if (p == to)
                    return SPLIT_MALFORMED;
                p++;
            } else if (c == '"') {
                for (p++; p < to && s[p] != '"'; p++) {
                    if (s[p] == '\\' && p + 1 < to && (s[p + 1] == '"' || s[p + 1] == '\\'))
                        p++;
                    *out++ = s[p];
                }
                if (p == to)
                    return SPLIT_MALFORMED;
                p++;
            } else if (c == '\\') {
                if (p + 1 == to)
                    return SPLIT_MALFORMED;
                *out++ = s[p + 1];
                p += 2;
            } else {
                *out++ = c;
                p++;
            }
        }
        *out++ = '\0';
        b->pos = out;
        char *eq = strchr(word, '=');
        if (!eq || eq == word)
            return SPLIT_MALFORMED;
        *eq = '\0';
        for (char *k = word; *k; k++)
            *k = to_upper(*k);
        if (add_param(cmd, word, eq + 1) == TOO_MANY)
            return SPLIT_TOO_MANY;
    }
}

int gcode_parse(struct gcode_command *cmd, const char *text, size_t len, char *err, size_t errlen)
{
    clear(cmd);
    if (!text)
        text = "", len = 0;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    size_t lead = 0;
    while (lead < len && is_space(text[lead]))
        lead++;
    while (len > lead && is_space(text[len - 1]))
        len--;
    const char *src = text + lead;
    size_t n = len - lead;
    if (n > GCODE_LINE_MAX)
        return refuse(cmd, err, errlen, "Error on '%.*s...': line longer than %d characters",
                      QUOTE_PREFIX, src, GCODE_LINE_MAX);

    /* Copied for messages; a CR inside the line would otherwise join two
     * commands of a CR-only file into one. */
    char *s = cmd->storage;
    memcpy(s, src, n);
    s[n] = '\0';
    /* Stops at a NUL byte too. */
    size_t k = strcspn(s, "\n\r");
    if (k < n)
        return refuse(cmd, err, errlen, "Error on '%.*s': %s", (int)k, src,
                      s[k] ? "line break inside the line" : "NUL byte in line");
    cmd->line = s;
    struct builder b = {s + n + 1, cmd->storage + sizeof cmd->storage};

    size_t i = 0;
    if (n && (s[0] == 'N' || s[0] == 'n')) {
        size_t j = 1;
        while (j < n && is_space(s[j]))
            j++;
        if (j < n && is_digit(s[j])) {
            long number = 0;
            for (; j < n && is_digit(s[j]); j++) {
                int d = s[j] - '0';
                if (number > (LONG_MAX - d) / 10)
                    return refuse(cmd, err, errlen, "Error on '%s': line number out of range",
                                  cmd->line);
                number = number * 10 + d;
            }
            cmd->has_line_number = true;
            cmd->line_number = number;
            while (j < n && is_space(s[j]))
                j++;
            i = j;
        }
    }

    enum { NONE, CLASSIC, EXTENDED } kind;
    if (i == n || s[i] == ';' || s[i] == '*')
        kind = NONE;
    else if (s[i] == '_' ||
             (is_alpha(s[i]) && i + 1 < n && (is_alpha(s[i + 1]) || s[i + 1] == '_')))
        kind = EXTENDED;
    else if (is_alpha(s[i]))
        kind = CLASSIC;
    else
        return refuse(cmd, err, errlen, "Malformed command '%s'", cmd->line);

    size_t word_end = i;
    size_t end;
    if (kind == EXTENDED) {
        while (word_end < n && is_word_char(s[word_end]))
            word_end++;
        end = extended_comment(s, word_end, n);
    } else {
        const char *semicolon = memchr(s + i, ';', n - i);
        end = semicolon ? (size_t)(semicolon - s) : n;
    }

    const char *star = memrchr(s + i, '*', end - i);
    if (star && is_checksum_text(s, (size_t)(star - s) + 1, end)) {
        size_t at = (size_t)(star - s);
        unsigned computed = 0;
        for (size_t k = 0; k < lead + at; k++)
            computed ^= (unsigned char)text[k];
        unsigned long given = 0;
        const char *digits = star + 1;
        while (is_space(*digits))
            digits++;
        int ndigits = 0;
        for (const char *d = digits; is_digit(*d); d++, ndigits++)
            if (given < 1000)
                given = given * 10 + (unsigned long)(*d - '0');
        if (given != computed)
            return refuse(cmd, err, errlen,
                          "Error on '%s': checksum mismatch (line says %.*s, computed %u)",
                          cmd->line, ndigits, digits, computed);
        cmd->has_checksum = true;
        end = at;
    }
    while (end > i && is_space(s[end - 1]))
        end--;

    if (kind == NONE) {
        if (end > i)
            return refuse(cmd, err, errlen, "Malformed command '%s'", cmd->line);
        return 0;
    }

    char *name;
    if (kind == EXTENDED) {
        if (word_end < end && !is_space(s[word_end]))
            return refuse(cmd, err, errlen, "Malformed command '%s'", cmd->line);
        name = emit(&b, s + i, word_end - i);
        if (name)
            for (char *k = name; *k; k++)
                *k = to_upper(*k);
    } else {
        /* Klipper also reads "G 1" as G1. */
        size_t j = i + 1;
        size_t k = j;
        while (k < end && is_space(s[k]))
            k++;
        if (k > j && k < end && (is_digit(s[k]) || s[k] == '.'))
            j = k;
        word_end = j;
        while (word_end < end && !is_space(s[word_end]) && !is_alpha(s[word_end]))
            word_end++;
        name = emit(&b, s + i, 1 + word_end - j);
        if (name) {
            name[0] = to_upper(s[i]);
            memcpy(name + 1, s + j, word_end - j);
        }
    }
    size_t raw = word_end;
    if (raw < end && is_space(s[raw]))
        raw++;
    char *raw_text = emit(&b, s + raw, end - raw);
    if (!name || !raw_text)
        return refuse(cmd, err, errlen, "Error on '%s': line too complex", cmd->line);
    cmd->name = name;
    cmd->raw = raw_text;
    cmd->extended = kind == EXTENDED;

    if (kind == EXTENDED) {
        switch (split_extended(cmd, &b, s, word_end, end)) {
        case SPLIT_OK:
            return 0;
        case SPLIT_MALFORMED:
            cmd->malformed_args = true;
            drop_params(cmd);
            return 0;
        case SPLIT_TOO_MANY:
            return refuse(cmd, err, errlen, "Error on '%s': too many parameters (at most %d)",
                          cmd->line, GCODE_PARAMS_MAX);
        case SPLIT_NO_ROOM:
            break;
        }
        return refuse(cmd, err, errlen, "Error on '%s': line too complex", cmd->line);
    }
    if (gcode_is_text_command(cmd->name))
        return 0;
    for (size_t p = word_end;;) {
        while (p < end && is_space(s[p]))
            p++;
        if (p == end)
            return 0;
        if (!is_alpha(s[p]))
            return refuse(cmd, err, errlen, "Malformed command '%s'", cmd->line);
        const char *key = letter_names + 2 * (to_upper(s[p]) - 'A');
        size_t from = ++p;
        while (p < end && !is_alpha(s[p]))
            p++;
        size_t to = p;
        while (from < to && is_space(s[from]))
            from++;
        while (to > from && is_space(s[to - 1]))
            to--;
        const char *value = emit(&b, s + from, to - from);
        if (!value)
            return refuse(cmd, err, errlen, "Error on '%s': line too complex", cmd->line);
        if (add_param(cmd, key, value) == TOO_MANY)
            return refuse(cmd, err, errlen, "Error on '%s': too many parameters (at most %d)",
                          cmd->line, GCODE_PARAMS_MAX);
    }
}

void gcode_command_copy(struct gcode_command *dst, const struct gcode_command *src)
{
    if (dst == src)
        return;
    memcpy(dst, src, sizeof *dst);
    /* Rebase what points into src's storage; static strings stay. Compared
     * as integers: src's storage and a static string are unrelated objects. */
    uintptr_t base = (uintptr_t)src->storage, size = sizeof src->storage;
#define REBASE(ptr)                                                                                \
    do {                                                                                           \
        if ((uintptr_t)(ptr)-base < size)                                                          \
            (ptr) = dst->storage + ((uintptr_t)(ptr)-base);                                        \
    } while (0)
    REBASE(dst->name);
    REBASE(dst->raw);
    REBASE(dst->line);
    for (size_t i = 0; i < dst->nparams; i++) {
        REBASE(dst->params[i].name);
        REBASE(dst->params[i].value);
    }
#undef REBASE
}
