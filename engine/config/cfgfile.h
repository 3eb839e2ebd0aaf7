/* Reader for Klipper's printer.cfg dialect.
 *
 *   [section name]            a section; a repeated section merges into the
 *                             first, a repeated option replaces the earlier
 *   key: value  /  key = value
 *     more text               an indented line continues the value above
 *   # comment  ; comment      whole lines, or after whitespace on a line
 *   [include FILE]            FILE (glob(3) pattern) relative to the
 *                             including file; files matched in name order.
 *                             As in Klipper, a plain name must exist while a
 *                             wildcard may match nothing (a warning); a
 *                             file including itself, directly or not, fails
 *   #*# <--- SAVE_CONFIG ---> at the end of the main file: the "#*#" lines
 *                             after it form a config read last
 *
 * Option names are case-insensitive (stored lowercased), section names are
 * not. Every option remembers its file and line and whether it has been
 * read (see cfgget.h), so that a section's unread options can be refused.
 *
 * Errors are sticky: the first one is kept in the cfg_file and later calls
 * that could fail do nothing, so a caller can read a whole section and
 * check cfg_failed() once. Messages start with FILE:LINE. */
#ifndef LOCKSTEP_CONFIG_CFGFILE_H
#define LOCKSTEP_CONFIG_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>

struct cfg_file;
struct cfg_section;

/* Each returns NULL with a message in err when the text cannot be read:
 * a file that cannot be opened, a malformed line, a bad include, an
 * include cycle, a damaged SAVE_CONFIG block. cfg_load_string reads text
 * as if it were the file name (includes resolve relative to name). */
struct cfg_file *cfg_load(const char *path, char *err, size_t errlen);
struct cfg_file *cfg_load_string(const char *text, const char *name, char *err, size_t errlen);
void cfg_free(struct cfg_file *cfg);

/* The main file's name as given to cfg_load / cfg_load_string. */
const char *cfg_main_path(const struct cfg_file *cfg);

/* Sections in order of first appearance. */
size_t cfg_section_count(const struct cfg_file *cfg);
struct cfg_section *cfg_section_at(const struct cfg_file *cfg, size_t i);
struct cfg_section *cfg_find_section(const struct cfg_file *cfg, const char *name);

const char *cfg_section_name(const struct cfg_section *s);
struct cfg_file *cfg_section_file(const struct cfg_section *s);
/* Where the section's first header is. */
const char *cfg_section_path(const struct cfg_section *s);
int cfg_section_line(const struct cfg_section *s);

/* Presence and location, without marking the option read. */
bool cfg_has_option(const struct cfg_section *s, const char *option);
bool cfg_option_location(const struct cfg_section *s, const char *option, const char **path,
                         int *line);
/* Options of a section in order of appearance (for listings). */
size_t cfg_option_count(const struct cfg_section *s);
const char *cfg_option_name(const struct cfg_section *s, size_t i);

/* Non-fatal notes of the reader (an include pattern that matched no file). */
size_t cfg_warning_count(const struct cfg_file *cfg);
const char *cfg_warning(const struct cfg_file *cfg, size_t i);

bool cfg_failed(const struct cfg_file *cfg);
const char *cfg_error(const struct cfg_file *cfg); /* "" until something failed */

/* Record an error about one option: "FILE:LINE: [section] option 'x': MSG"
 * at the option's line, or at the section header if the option is absent. */
void cfg_fail_option(struct cfg_section *s, const char *option, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "FILE: MSG" about the configuration as a whole (FILE the main file). */
void cfg_fail_file(struct cfg_file *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "FILE:LINE: [section]: MSG" at the section header. */
void cfg_fail_section(struct cfg_section *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Fails on the first option of s (in file order) that nothing has read:
 * "FILE:LINE: Option 'foo' is not valid in section 'stepper_x'". */
void cfg_check_unused(struct cfg_section *s);

#endif
