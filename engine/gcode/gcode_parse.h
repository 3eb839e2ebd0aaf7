/* One line of G-code, parsed as Klipper reads it.
 *
 *   [N<number>] [command [parameters]] [*<checksum>] [; comment]
 *
 * Classic commands are a letter and a number (G1, M104, T0, G28.1) and take
 * letter parameters with or without spaces between them ("X-1.5 E.2
 * F+3000", "X10Y20"); a parameter's value is the text up to the next
 * letter. Extended commands (Klipper's) start with a word that is not a
 * letter and a number (SET_KINEMATIC_POSITION, _MY_MACRO) and take
 * KEY=VALUE words; values keep their case and may be quoted shell-style
 * ("a b", 'a b', \x), and '#' also starts a comment outside quotes. Command
 * names and parameter names are upper-cased. M23, M117 and M118 take text:
 * their parameters are not split, the text is in raw.
 *
 * A trailing "*<digits>" is a checksum (Marlin/RepRap): the XOR of every
 * byte of the line before the '*'. A wrong one refuses the line; a
 * checksum without a line number is accepted, as senders send it.
 *
 * Values stay text until read with the getters of gcode_params.h, where a
 * malformed number is reported with Klipper's texts. Unknown commands are
 * not an error here; the dispatcher answers them. */
#ifndef LOCKSTEP_GCODE_PARSE_H
#define LOCKSTEP_GCODE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line accepted, after leading and trailing whitespace. */
#define GCODE_LINE_MAX 1024
/* Most distinct parameters on one line. */
#define GCODE_PARAMS_MAX 32
/* Room for any message of this library about a line (the reader's add
 * the file name in front). */
#define GCODE_ERR_MAX (GCODE_LINE_MAX + 512)

struct gcode_param {
    const char *name;  /* upper-cased: "X", "STEPPER" */
    const char *value; /* as written; classic: trimmed, extended: unquoted */
};

/* Strings point into the command's own storage: copy a command with
 * gcode_command_copy, not by assignment. */
struct gcode_command {
    const char *name; /* "G1", "SET_KINEMATIC_POSITION"; "" for a line without a command */
    /* Argument text after the command (one separating space skipped, as
     * Klipper's rawparams), without checksum or comment: M117's message. */
    const char *raw;
    const char *line; /* the line without surrounding whitespace, for messages */
    bool extended;
    bool has_line_number;
    bool has_checksum;
    /* An extended command whose arguments are not all KEY=VALUE words or
     * have an unclosed quote. Klipper answers "Malformed command" only
     * once a handler asks for them (an unknown command stays unknown), so
     * this is not a parse error: see gcode_check_args(). */
    bool malformed_args;
    long line_number;
    size_t nparams; /* in order of first appearance; a repeated name keeps the last value */
    struct gcode_param params[GCODE_PARAMS_MAX];
    /* For each one-letter name A..Z: 1 + its index in params, 0 if absent
     * (gcode_param_value's shortcut for classic parameters). */
    unsigned char letter_param[26];
    char storage[4 * (GCODE_LINE_MAX + 1)];
};

/* Parses text[0..len) (a trailing CR/LF is allowed). Returns 0, or -1 with
 * a message in err and *cmd left as a line without a command. Refused: a
 * wrong checksum, a line longer than GCODE_LINE_MAX, a NUL byte or a line
 * break (LF or CR) inside the line, a line that does not start with a command
 * (garbage), a classic command with text that is not a parameter, more
 * than GCODE_PARAMS_MAX parameters. */
int gcode_parse(struct gcode_command *cmd, const char *text, size_t len, char *err, size_t errlen);

static inline bool gcode_is_empty(const struct gcode_command *cmd)
{
    return !cmd->name[0];
}

/* The value of an (upper-case) parameter name, or NULL. */
const char *gcode_param_value(const struct gcode_command *cmd, const char *name);

/* Commands whose argument is free text, not parameters: M23, M117, M118. */
bool gcode_is_text_command(const char *name);

void gcode_command_copy(struct gcode_command *dst, const struct gcode_command *src);

#endif
