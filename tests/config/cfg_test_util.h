/* Scratch directories for config tests: every test writes its files under
 * a fresh mkdtemp directory, never into the source tree. */
#ifndef LOCKSTEP_TESTS_CONFIG_UTIL_H
#define LOCKSTEP_TESTS_CONFIG_UTIL_H

#include <stddef.h>

/* A new directory under $TMPDIR (or /tmp); aborts on failure. */
char *tmpdir_create(void);
/* Remove the directory and every file in it (no subdirectories deeper than
 * one level are made by the tests). */
void tmpdir_remove(char *dir);
/* Write text to dir/name (name may contain one '/', the folder is made);
 * returns the path, which the caller frees. */
char *tmpdir_write(const char *dir, const char *name, const char *text);

/* Does haystack contain needle? For asserting parts of messages. */
int contains(const char *haystack, const char *needle);

#endif
